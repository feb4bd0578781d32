// The case page (/cases/{id}): facts, clock, photos, place, duplicates, the actions the user may take, the timeline.

import { t } from './words.js';
import { act, api, optional, uploadPhotos } from './api.js';
import { cameraInput, failText, field, h, options, section, status, time, unavailable } from './dom.js';
import { clockBadge, duplicateTable, statusBadge, timeLeft } from './cases.js';
import { suggestUnit, units } from './reference.js';
import { pointMap } from './maps.js';
import { register } from './router.js';

/** The attachment stage of an action's photos. */
const STAGE_OF = { handle: 'handling', verify: 'verification', callback: 'callback' };

const ACTION_FIELDS = {
  register: [], reject: [['reason', 'text', true]], merge: [['into', 'number', true], ['note', 'text']],
  dispatch: [['unit', 'unit', true], ['note', 'text']], accept: [['note', 'text']], return: [['reason', 'text', true]],
  handle: [['feedback', 'textarea', true], ['photos', 'camera']], verify: [['passed', 'bool'], ['note', 'text'], ['photos', 'camera']],
  callback: [['resolved', 'bool'], ['satisfaction', 'satisfaction'], ['note', 'text'], ['photos', 'camera']],
  request_extension: [['amount', 'number', true], ['unit', 'limit_unit'], ['reason', 'text', true]],
  approve_extension: [['approved', 'bool'], ['note', 'text']], suspend: [['reason', 'text', true]], resume: [['note', 'text']],
  supervise: [['level', 'level'], ['note', 'text', true]],
};
// A note is labelled by its action (派遣说明, 核查意见, 回访记录 …).
const FIELD_LABEL = { reason: 'reason', into: 'merge_into', unit: 'unit', feedback: 'feedback', photos: 'take_photos',
  passed: 'passed', resolved: 'resolved', satisfaction: 'satisfaction', amount: 'amount', approved: 'approve', level: 'level' };

async function actionForm(c, action, onDone) {
  const controls = [];
  for (const [name, kind, required] of ACTION_FIELDS[action]) {
    const id = `${action}-${name}`;
    let control;
    if (kind === 'textarea') control = h('textarea', { id, rows: 2, required, maxlength: 2000 });
    else if (kind === 'camera') control = cameraInput(id);
    else if (kind === 'number') control = h('input', { id, type: 'number', min: 1, required });
    else if (kind === 'bool') control = h('input', { id, type: 'checkbox', checked: true });
    else if (kind === 'satisfaction') control = h('select', { id }, options(['satisfied', 'basically_satisfied', 'dissatisfied'].map((s) => [s, t(`sat.${s}`)])));
    else if (kind === 'level') control = h('select', { id }, options(['general', 'key', 'urgent'].map((s) => [s, t(`sl.${s}`)])));
    else if (kind === 'limit_unit') control = h('select', { id }, options(['working_days', 'working_hours', 'hours'].map((s) => [s, t(`lu.${s}`)])));
    else if (kind === 'unit') {
      const suggestion = await suggestUnit(c);
      control = h('select', { id, required }, h('option', { value: '' }, '—'), (await units()).map((u) => h('option', { value: u.code, selected: suggestion?.unit.code === u.code }, u.name)));
    } else control = h('input', { id, required, maxlength: 2000 });
    controls.push([name, kind, control]);
  }
  const box = h('div', {});
  return h('form', { class: 'action-form', 'data-action': action, onsubmit: async (e) => {
    e.preventDefault();
    const body = { action };
    let camera = null;
    for (const [name, kind, control] of controls) {
      if (kind === 'bool') body[name] = control.checked;
      else if (kind === 'number') { if (control.value) body[name] = Number(control.value); }
      else if (kind === 'camera') camera = control;
      else if (control.value.trim()) body[name] = control.value.trim();
    }
    // The photos first: a refused photo (too large, not an image) stops the action with it.
    try { await uploadPhotos(c.id, STAGE_OF[action], camera); onDone(await act(c.id, body)); } catch (err) { status(box, failText(err), 'error'); }
  } }, h('h3', {}, t(`action.${action}`)), controls.map(([name, kind, control]) => (kind === 'bool'
    ? h('div', { class: 'field' }, h('label', { for: control.id }, control, t(FIELD_LABEL[name])))
    : field(t(name === 'note' ? `note.${action}` : FIELD_LABEL[name] ?? name), control))), h('button', { type: 'submit', class: 'primary' }, t(`action.${action}`)), box);
}

register('case', async () => {
  const id = Number(location.pathname.split('/').pop());
  // reads: GET /cases/{id} @case
  const c = await api('GET', `/cases/${id}`);
  return drawCase(c);
});

async function drawCase(c) {
  const rows = [
    [t('status'), statusBadge(c.status)], [t('channel'), t(`channel.${c.channel}`)], [t('external_id'), c.external_id ?? '—'],
    [t('category'), c.category ? `${c.category} ${c.category_name ?? ''}` : '—'],
    [t('region'), [c.district?.name, c.region_name].filter(Boolean).join(' ') || '—'], [t('address'), c.address ?? '—'],
    [t('unit'), c.unit_name ?? '—'], [t('reporter'), c.reporter ? [c.reporter.name, c.reporter.phone].filter(Boolean).join(' ') : '—'],
    [t('received_at'), time(c.received_at)],
    [t('merged_into'), c.merged_into ? h('a', { href: `/cases/${c.merged_into}` }, `#${c.merged_into}`) : '—'],
  ];
  const clock = h('div', { class: 'clock', id: 'sla-clock' }, h('h2', {}, t('sla')), clockBadge(c),
    h('dl', {}, h('dt', {}, t('deadline')), h('dd', {}, time(c.deadline)), h('dt', {}, t('time_left')), h('dd', {}, timeLeft(c.time_left_seconds)),
      h('dt', {}, t('time_limit')), h('dd', {}, c.time_limit ?? '—'), h('dt', {}, t('supervision')), h('dd', {}, c.supervision_count),
      h('dt', {}, t('rework')), h('dd', {}, c.rework_count)),
    c.pending_extension ? h('p', {}, `${t('pending_extension')}: ${c.pending_extension.amount} ${t(`lu.${c.pending_extension.unit}`)} · ${c.pending_extension.reason}`) : null);
  // Links given before photos were uploaded here: only absolute ones can be followed.
  const links = [...(c.photos ?? []), ...(c.feedback?.photos ?? [])];
  // reads: GET /cases/{id}/attachments items[].id items[].stage items[].name items[].url items[].thumbnail_url
  const attached = (await api('GET', `/cases/${c.id}/attachments`)).items;
  const timeline = h('ol', { class: 'timeline', id: 'timeline' }, (c.events ?? []).map((e) => h('li', {},
    h('time', { datetime: e.time }, time(e.time)), ' ', h('strong', {}, t(`action.${e.action}`)), ' · ',
    `${e.actor.username} (${t(`role.${e.actor.role}`)})`, e.unit_name ? ` · ${e.unit_name}` : '', e.note ? h('p', {}, e.note) : null)));
  const actionsBox = h('div', { id: 'case-actions' });
  const onDone = async (updated) => { document.getElementById('main').replaceChildren(...await drawCase(updated)); };
  for (const action of c.allowed_actions) actionsBox.append(await actionForm(c, action, onDone));
  // reads: GET /cases/{id}/duplicates suggestions[]@duplicate
  const dup = await optional('GET', `/cases/${c.id}/duplicates`).catch(() => null);
  return [h('h1', {}, `${t('page.case')} #${c.id}`, ' ', statusBadge(c.status)),
    h('div', { class: 'columns' },
      h('div', {}, section(t('description'), h('p', { class: 'description' }, c.description), c.feedback ? h('p', {}, `${t('feedback')}: ${c.feedback.text}`) : null,
        c.callback ? h('p', {}, `${t('callback')}: ${c.callback.resolved ? t('resolved') : '✗'} · ${t(`sat.${c.callback.satisfaction}`)}`) : null),
      section(t('more'), h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))),
      section(t('attachments'), attachmentGallery(attached, links)),
      section(t('location'), c.location ? [h('p', {}, `${c.location.lat}, ${c.location.lon}`), pointMap(c.location, c.region)] : h('p', { class: 'empty' }, t('empty'))),
      section(t('duplicates'), dup ? duplicateTable(dup.suggestions) : unavailable(t('duplicates_unavailable')))),
      h('div', {}, clock, section(t('actions'), c.allowed_actions.length ? actionsBox : h('p', { class: 'empty' }, t('none'))), section(t('timeline'), timeline)))];
}

/** A case's photos as thumbnails under the stage they came with, its files as links, and
 *  the links given before (an absolute URL or path opens; anything else is shown as text). */
function attachmentGallery(attached, links) {
  if (!attached.length && !links.length) return h('p', { class: 'empty' }, t('empty'));
  const figure = (a) => h('figure', { class: 'photo', 'data-attachment': a.id },
    a.thumbnail_url ? h('a', { href: a.url, target: '_blank', rel: 'noopener' }, h('img', { src: a.thumbnail_url, alt: `${t(`stage.${a.stage}`)} ${a.name}`, loading: 'lazy' }))
      : h('a', { href: a.url, class: 'file' }, `📄 ${a.name}`),
    h('figcaption', {}, t(`stage.${a.stage}`)));
  const followable = (p) => /^https?:\/\//i.test(p) || p.startsWith('/');
  return [h('div', { class: 'photos', id: 'attachments' }, attached.map(figure)),
    links.length ? h('p', { class: 'links' }, `${t('photo_links')}: `, links.map((p) => (followable(p) ? h('a', { href: p, rel: 'noopener' }, p) : h('span', {}, p))).flatMap((x) => [x, ' '])) : null];
}
