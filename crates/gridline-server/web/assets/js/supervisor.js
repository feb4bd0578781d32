// The supervisor (督办): overdue cases, rankings, hot problems and places, listings, campaigns, watches.

import { t } from './words.js';
import { act, api, optional } from './api.js';
import { change, failText, field, grid, h, num, options, pct100, section, status, thisMonth, time, unavailable } from './dom.js';
import { baseColumns, caseTable, clockBadge, kpis } from './cases.js';
import { categorySelect, regionPicker } from './reference.js';
import { register, render } from './router.js';

register('supervisor', async () => {
  // reads: GET /dashboard @overview
  // reads: GET /cases total items[]@case
  const [overview, overdue] = await Promise.all([api('GET', '/dashboard'), api('GET', '/cases?overdue=true&page_size=50')]);
  const box = h('div', { id: 'supervise-result' });
  const table = caseTable(overdue.items, [...baseColumns(), [t('unit'), (c) => c.unit_name ?? '—'],
    [t('deadline'), (c) => h('span', {}, time(c.deadline), ' ', clockBadge(c))],
    [t('supervision'), (c) => {
      const level = h('select', { id: `level-${c.id}` }, options(['general', 'key', 'urgent'].map((l) => [l, t(`sl.${l}`)])));
      const note = h('input', { id: `supervise-note-${c.id}`, maxlength: 2000, placeholder: t('reason'), required: true });
      return h('form', { class: 'inline', 'data-supervise': c.id, onsubmit: async (e) => {
        e.preventDefault();
        try { await act(c.id, { action: 'supervise', level: level.value, note: note.value.trim() }); status(box, `#${c.id} ${t('saved')}`); } catch (err) { status(box, failText(err), 'error'); }
      } }, h('label', { class: 'sr-only', for: level.id }, t('level')), level, h('label', { class: 'sr-only', for: note.id }, t('reason')), note,
      h('button', { type: 'submit' }, t('action.supervise')));
    }]]);
  // The month asked for (?period=YYYY-MM), else this month in Beijing time.
  const asked = new URLSearchParams(location.search).get('period');
  const month = /^\d{4}-\d{2}$/.test(asked ?? '') ? asked : thisMonth();
  const picker = h('input', { type: 'month', id: 'ranking-month', value: month, max: thisMonth(), required: true });
  const monthForm = h('form', { class: 'row', id: 'month-picker', onsubmit: (e) => {
    e.preventDefault();
    if (picker.value) location.assign(`/supervisor?period=${encodeURIComponent(picker.value)}`);
  } }, field(t('period'), picker), h('button', { type: 'submit' }, t('refresh')));
  // reads: GET /rankings min_cases items[].rank items[].name items[].score items[].response_rate items[].resolution_rate items[].satisfaction_rate items[].movement items[].insufficient items[].dispatched items[].called_back interview[].name interview[].score
  // reads: GET /hotspots items[].category items[].name items[].count items[].change_vs_previous items[].change_vs_last_year spikes[].name spikes[].category spikes[].count spikes[].usual
  // reads: GET /hotspots/places items[].place items[].kind items[].count items[].categories items[].history[].id items[].history[].received_at
  // reads: GET /supervision/listings items[].id items[].name items[].kind items[].reason items[].deadline items[].overdue items[].checks
  // reads: GET /campaigns items[].theme items[].period.first items[].period.last items[].entries items[].effect.count items[].effect.previous.change_percent items[].effect.last_year.change_percent
  // reads: GET /supervision/watches items[].id items[].place items[].region items[].region_name items[].category items[].category_name items[].every_days items[].next_due items[].due items[].last_case
  const [ranking, hot, places, listings, campaigns, watches] = await Promise.all([
    optional('GET', `/rankings?period=${month}&level=street`), optional('GET', `/hotspots?period=${month}&limit=10`),
    optional('GET', `/hotspots/places?period=${month}&limit=10`), optional('GET', '/supervision/listings?open=true'),
    optional('GET', '/campaigns'), optional('GET', '/supervision/watches?active=true')]);
  const rankings = ranking
    ? [grid([t('rank'), t('region'), t('score'), t('rate_response'), t('rate_resolution'), t('rate_satisfaction'), t('movement'), t('sample')],
      ranking.items.map((r) => [r.rank ?? (r.insufficient ? h('span', { class: 'badge muted', 'data-insufficient': '' }, t('insufficient')) : '—'), r.name, num(r.score),
        pct100(r.response_rate), pct100(r.resolution_rate), pct100(r.satisfaction_rate),
        r.movement > 0 ? `▲${r.movement}` : r.movement < 0 ? `▼${-r.movement}` : '—', `${r.dispatched} / ${r.called_back}`]), 'ranking'),
    h('p', { class: 'muted' }, `${t('insufficient_hint')} ${ranking.min_cases}`),
    h('p', { 'data-interview': '' }, `${t('interview')}: `, ranking.interview.map((r) => `${r.name} (${num(r.score)})`).join('、') || '—')]
    : [unavailable(t('rankings_unavailable'))];
  const problems = hot
    ? [grid([t('category'), t('cases_n'), t('vs_previous'), t('vs_last_year')],
      hot.items.map((p) => [`${p.category} ${p.name ?? ''}`, p.count, change(p.change_vs_previous), change(p.change_vs_last_year)]), 'hot-problems'),
    hot.spikes.length ? h('p', {}, `${t('spikes')}: `, hot.spikes.map((x) => `${x.name ?? x.category} ${x.count} (${t('usual')} ${num(x.usual)})`).join('、')) : null]
    : [unavailable()];
  const placeTable = places
    ? grid([t('place'), t('kind'), t('cases_n'), t('category'), t('latest_case')], places.items.map((p) => {
      const latest = p.history[p.history.length - 1];
      return [p.place, t(`pk.${p.kind}`), p.count, p.categories.join('、'), latest ? h('a', { href: `/cases/${latest.id}` }, `#${latest.id} ${time(latest.received_at)}`) : '—'];
    }), 'hot-places')
    : unavailable();
  return [h('h1', {}, t('page.supervisor')), kpis(overview), section(`${t('overdue_list')} (${overdue.total})`, box, table),
    section(`${t('rankings')} · ${month}`, monthForm, ...rankings),
    section(`${t('hot_problems')} · ${month}`, ...problems, h('a', { href: '/dashboard' }, t('page.dashboard'))),
    section(`${t('hot_places')} · ${month}`, placeTable),
    section(t('listings'), ...(listings ? listingsPanel(listings.items) : [unavailable()])),
    section(t('campaigns'), ...(campaigns ? campaignsPanel(campaigns.items) : [unavailable()])),
    section(t('watches'), ...(watches ? await watchesPanel(watches.items) : [unavailable()]))];
});
/** A form whose submit sends `body()` and redraws the page, or says what was refused. */
const apiForm = (id, label, controls, send) => {
  const box = h('div', { id: `${id}-result` });
  return h('form', { id, class: 'stack', onsubmit: async (e) => {
    e.preventDefault();
    try { await send(); await render(); } catch (err) { status(box, failText(err), 'error'); }
  } }, ...controls, h('button', { type: 'submit', class: 'primary' }, label), box);
};
/** A date input's day as a deadline at 17:00 Beijing time, the end of that working day. */
const endOfDay = (day) => `${day}T17:00:00+08:00`;

function listingsPanel(items) {
  const rows = items.map((l) => {
    const passed = h('input', { type: 'checkbox', id: `check-passed-${l.id}` });
    const note = h('input', { id: `check-note-${l.id}`, maxlength: 2000, placeholder: t('note') });
    const box = h('span', {});
    const check = h('form', { class: 'inline', 'data-check': l.id, onsubmit: async (e) => {
      e.preventDefault();
      // reads: POST /supervision/listings/{id}/checks -
      try { await api('POST', `/supervision/listings/${l.id}/checks`, { passed: passed.checked, note: note.value.trim() || null }); await render(); } catch (err) { status(box, failText(err), 'error'); }
    } }, h('label', { for: passed.id }, passed, t('passed')), h('label', { class: 'sr-only', for: note.id }, t('note')), note, h('button', { type: 'submit' }, t('check')), box);
    return [l.name, t(`lk.${l.kind}`), l.reason, h('span', {}, time(l.deadline), ' ', l.overdue ? h('span', { class: 'badge bad' }, t('overdue')) : ''), `${l.checks.length}`, check];
  });
  const kind = h('select', { id: 'listing-kind' }, options([['place', t('lk.place')], ['unit', t('lk.unit')], ['alley', t('lk.alley')]]));
  const target = h('input', { id: 'listing-target', required: true, maxlength: 2000 });
  const name = h('input', { id: 'listing-name', required: true, maxlength: 2000 });
  const reason = h('input', { id: 'listing-reason', required: true, maxlength: 2000 });
  const deadline = h('input', { id: 'listing-deadline', type: 'date', required: true });
  return [grid([t('listing_name'), t('kind'), t('reason'), t('deadline'), t('checks'), t('check')], rows, 'listings'),
    h('details', {}, h('summary', {}, t('list_new')), apiForm('new-listing', t('list_new'),
      [field(t('kind'), kind), field(t('target'), target), field(t('listing_name'), name), field(t('reason'), reason), field(t('deadline'), deadline)],
      // reads: POST /supervision/listings -
      () => api('POST', '/supervision/listings', { kind: kind.value, target: target.value.trim(), name: name.value.trim(), reason: reason.value.trim(), deadline: endOfDay(deadline.value) })))];
}

function campaignsPanel(items) {
  const rows = items.map((c) => [c.theme, `${c.period.first}–${c.period.last}`, c.entries.join('、'),
    c.effect.count, change(c.effect.previous?.change_percent), change(c.effect.last_year?.change_percent)]);
  const theme = h('input', { id: 'campaign-theme', required: true, maxlength: 200 });
  const entries = h('input', { id: 'campaign-entries', required: true, placeholder: 'S01, S0102' });
  const regions = h('input', { id: 'campaign-regions', placeholder: '110105000000' });
  const first = h('input', { id: 'campaign-first', type: 'month', required: true });
  const last = h('input', { id: 'campaign-last', type: 'month', required: true });
  const codes = (text) => text.split(/[,，、\s]+/).map((x) => x.trim()).filter(Boolean);
  return [grid([t('theme'), t('period'), t('category'), t('cases_n'), t('effect_previous'), t('effect_last_year')], rows, 'campaigns'),
    h('details', {}, h('summary', {}, t('declare')), apiForm('new-campaign', t('declare'),
      [field(t('theme'), theme), field(t('entries'), entries), field(t('campaign_regions'), regions), field(t('first_month'), first), field(t('last_month'), last)],
      // reads: POST /campaigns -
      () => api('POST', '/campaigns', { theme: theme.value.trim(), entries: codes(entries.value), regions: codes(regions.value), first_month: first.value, last_month: last.value })))];
}

async function watchesPanel(items) {
  // reads: POST /supervision/watches/{id}/stop -
  const rows = items.map((w) => [w.place, w.region_name ?? w.region, `${w.category} ${w.category_name ?? ''}`, w.every_days, h('span', {}, time(w.next_due), ' ', w.due ? h('span', { class: 'badge warn' }, t('due_soon')) : ''),
    w.last_case ? h('a', { href: `/cases/${w.last_case}` }, `#${w.last_case}`) : '—',
    h('button', { type: 'button', 'data-stop-watch': w.id, onclick: async () => { await api('POST', `/supervision/watches/${w.id}/stop`); await render(); } }, t('stop'))]);
  const regions = await regionPicker('watch');
  const place = h('input', { id: 'watch-place', required: true, maxlength: 300 });
  const category = await categorySelect({ id: 'watch-category', required: true });
  const every = h('input', { id: 'watch-every', type: 'number', min: 1, max: 90, value: 7, required: true });
  return [grid([t('place'), t('region'), t('category'), t('every_days'), t('next_due'), t('last_inspection'), t('actions')], rows, 'watches'),
    h('details', {}, h('summary', {}, t('watch_add')), apiForm('new-watch', t('watch_add'),
      [...regions.nodes, field(t('place'), place), field(t('category'), category), field(t('every_days'), every)],
      // reads: POST /supervision/watches -
      () => api('POST', '/supervision/watches', { region: regions.street.value || regions.district.value, place: place.value.trim(), category: category.value, every_days: Number(every.value) })))];
}
