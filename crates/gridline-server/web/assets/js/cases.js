// Pieces of cases that several roles' pages show: status and clock badges, case tables, the
// duplicates table and the overview's figures.

import { t } from './words.js';
import { h, pct, snippet } from './dom.js';

export function clockBadge(c) {
  if (c.suspended) return h('span', { class: 'badge muted' }, t('suspended'));
  if (c.overdue) return h('span', { class: 'badge bad' }, t('overdue'));
  if (c.due_soon) return h('span', { class: 'badge warn' }, t('due_soon'));
  if (c.deadline) return h('span', { class: 'badge ok' }, t('on_time'));
  return h('span', { class: 'badge muted' }, t('clock_stopped'));
}
/** Time left, or how late, in days and hours (minutes only under a day): 超期 2天3小时. */
export function timeLeft(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.abs(seconds);
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const span = days ? `${days}${t('u.days')}${hours}${t('u.hours')}` : `${hours}${t('u.hours')}${minutes}${t('u.minutes')}`;
  return `${t(seconds < 0 ? 'late_by' : 'left_for')} ${span}`;
}
export const statusBadge = (s) => h('span', { class: `badge status-${s}` }, t(`status.${s}`));
export const caseLink = (c) => h('a', { href: `/cases/${c.id}` }, `#${c.id}`);

/** A table of cases with the given columns: [[heading, (case) => cell], …]. Each cell carries
 *  its heading (`data-label`), shown beside it on a phone, where each row is a card (`cards`):
 *  a row's buttons (签收, 退单) stay on screen instead of past its right edge. */
export function caseTable(cases, columns, rowAttrs = () => ({}), tableAttrs = {}) {
  if (!cases.length) return h('p', { class: 'empty' }, t('empty'));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'cards', ...tableAttrs },
    h('thead', {}, h('tr', {}, columns.map(([heading]) => h('th', { scope: 'col' }, heading)))),
    h('tbody', {}, cases.map((c) => h('tr', { 'data-case': c.id, ...rowAttrs(c) }, columns.map(([heading, cell]) => h('td', { 'data-label': heading }, cell(c))))))));
}
export const baseColumns = () => [
  [t('id'), caseLink],
  [t('status'), (c) => statusBadge(c.status)],
  [t('category'), (c) => c.category_name || '—'],
  [t('region'), (c) => [c.district?.name, c.region_name].filter(Boolean).join(' ') || '—'],
  [t('description'), (c) => snippet(c.description)],
];

// fields @duplicate: case status title score distance_m
/** The open cases that may be the same problem, best first (GET /cases/{id}/duplicates). */
export function duplicateTable(suggestions) {
  if (!suggestions.length) return h('p', { class: 'empty' }, t('empty'));
  return h('div', { class: 'table-wrap' }, h('table', { id: 'duplicate-table' },
    h('thead', {}, h('tr', {}, [t('id'), t('status'), t('title'), t('likeness'), t('distance')].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, suggestions.map((s) => h('tr', { 'data-duplicate': s.case },
      h('td', {}, h('a', { href: `/cases/${s.case}` }, `#${s.case}`)), h('td', {}, statusBadge(s.status)), h('td', {}, snippet(s.title)),
      h('td', {}, pct(s.score)), h('td', {}, s.distance_m === null || s.distance_m === undefined ? '—' : `${Math.round(s.distance_m)} m`))))));
}

export function kpis(o) {
  const card = (key, value, cls = '') => h('div', { class: `kpi ${cls}`, 'data-kpi': key }, h('span', { class: 'kpi-label' }, t(key)), h('strong', {}, value));
  const rate = (key, r) => card(key, pct(r.rate), '');
  return h('div', { class: 'kpis', id: 'kpis' }, card('today_intake', o.today.received), card('today_closed', o.today.closed), card('open', o.open),
    card('overdue_now', o.overdue, o.overdue ? 'bad' : ''), card('due_soon_now', o.due_soon, o.due_soon ? 'warn' : ''),
    rate('rate_response', o.rates.response), rate('rate_resolution', o.rates.resolution), rate('rate_satisfaction', o.rates.satisfaction));
}
