// Administration: users, units and the audit log, one tab each (`/admin?tab=…`); the catalogue and
// the routing rules on the last.

import { USER } from './page.js';
import { entryName, lang, t, valuesOf } from './words.js';
import { api, ApiFailure, optional } from './api.js';
import { beijing, failText, field, grid, h, options, saveFile, section, status, time, unavailable } from './dom.js';
import { cache, catalogue, once, regionPicker, units } from './reference.js';
import { register, render } from './router.js';

// Users, units and the audit log, one tab each (`/admin?tab=…`); the catalogue and the routing
// rules on the last. Every change goes through the API, which checks it and writes the audit log.
const ADMIN_TABS = ['users', 'units', 'audit', 'reference'];
/** The city, its districts and streets by code (what units cover), for names instead of codes. */
const allRegions = () => once('regions:all', () => Promise.all(['city', 'district', 'street'].map((level) =>
  // reads: GET /regions items[].code items[].name items[].level items[].parent
  api('GET', `/regions?level=${level}`).then((r) => r.items))).then((lists) => new Map(lists.flat().map((x) => [x.code, x]))));
// reads: GET /unit-types items[].code items[].name items[].name_en
const unitTypes = () => once('unit-types', () => api('GET', '/unit-types').then((r) => r.items));
/** A region's name, a street's after its district's (朝阳区望京街道). */
const regionLabel = (map, code) => {
  const r = map.get(code);
  if (!r) return code;
  const up = r.parent ? map.get(r.parent) : null;
  return up && up.level === 'district' ? `${up.name}${r.name}` : r.name;
};
const typeName = (types, code) => { const x = types.find((y) => y.code === code); return x ? (lang === 'en' && x.name_en ? x.name_en : x.name) : code; };
/** What the last change did, told once above the redrawn tab. */
let adminFlash = null;
const flashBox = () => { const text = adminFlash; adminFlash = null; return text ? h('p', { class: 'notice ok', role: 'status', id: 'admin-flash' }, text) : null; };
/** Runs a change, then redraws the page with `flash`, or tells the refusal in `box`. */
const adminChange = (box, send, flash) => async () => {
  try { await send(); adminFlash = flash; delete cache.units; await render(); } catch (err) { status(box, failText(err), 'error'); }
};
/** A question with a confirming and a cancelling button, in `box`. */
const ask = (box, question, label, controls, onConfirm) => {
  box.replaceChildren(h('div', { class: 'confirm' }, h('p', {}, question), ...controls,
    h('div', { class: 'inline' }, h('button', { type: 'button', class: 'primary', 'data-confirm': '', onclick: onConfirm }, label),
      h('button', { type: 'button', 'data-cancel': '', onclick: () => box.replaceChildren() }, t('cancel')))));
  box.querySelector('input, select, button')?.focus();
};
const roleOptions = (selected) => options(valuesOf('role').map((r) => [r, t(`role.${r}`)]), selected);
const unitOptions = (list, selected) => options([['', t('no_unit')], ...list.map((u) => [u.code, u.name])], selected ?? '');

register('admin', async () => {
  const params = new URLSearchParams(location.search);
  const tab = ADMIN_TABS.includes(params.get('tab')) ? params.get('tab') : 'users';
  const tabs = h('nav', { class: 'tabs', 'aria-label': t('page.admin') }, ADMIN_TABS.map((name) =>
    h('a', { href: `/admin?tab=${name}`, id: `tab-${name}`, 'aria-current': name === tab ? 'page' : null }, t(`tab.${name}`))));
  return [h('h1', {}, t('page.admin')), tabs, flashBox(), ...[await ADMIN_PANELS[tab](params)].flat()].filter(Boolean);
});
const ADMIN_PANELS = {};

ADMIN_PANELS.users = async (params) => {
  const [allUnits] = await Promise.all([units()]);
  const filters = new URLSearchParams();
  for (const name of ['q', 'role', 'unit', 'disabled']) if (params.get(name)) filters.set(name, params.get(name));
  const q = h('input', { id: 'user-q', type: 'search', maxlength: 64, value: filters.get('q') ?? '', placeholder: t('user_q_hint') });
  const roleFilter = h('select', { id: 'user-role' }, h('option', { value: '' }, t('all')), roleOptions(filters.get('role') ?? ''));
  const unitFilter = h('select', { id: 'user-unit' }, options([['', t('all')], ...allUnits.map((u) => [u.code, u.name])], filters.get('user_unit') ?? ''));
  const stateFilter = h('select', { id: 'user-state' }, options([['', t('all')], ['false', t('user_active')], ['true', t('user_disabled')]], filters.get('disabled') ?? ''));
  const search = h('form', { id: 'user-search', class: 'card', onsubmit: (e) => {
    e.preventDefault();
    const next = new URLSearchParams({ tab: 'users' });
    for (const [name, control] of [['q', q], ['role', roleFilter], ['unit', unitFilter], ['disabled', stateFilter]]) if (control.value.trim()) next.set(name, control.value.trim());
    history.pushState(null, '', `/admin?${next}`);
    render();
  } }, h('h2', {}, t('user_search')),
  h('div', { class: 'grid2' }, field(t('user_q'), q), field(t('role'), roleFilter), field(t('user_unit'), unitFilter), field(t('user_status'), stateFilter)),
  h('button', { type: 'submit', class: 'primary', id: 'user-search-submit' }, t('search')));

  // reads: GET /users items[].id items[].username items[].display_name items[].role items[].unit items[].unit_name items[].regions[].name items[].disabled items[].disabled_at
  const found = await api('GET', `/users?${filters}`);
  const row = (u) => {
    const box = h('div', { class: 'row-panel', 'aria-live': 'polite' });
    const name = u.display_name === u.username ? u.username : `${u.display_name}（${u.username}）`;
    const toggle = u.disabled
      // reads: POST /users/{id}/enable -
      ? h('button', { type: 'button', 'data-user-action': 'enable', onclick: () => ask(box, t('confirm_enable').replace('{name}', name), t('enable'), [],
        adminChange(box, () => api('POST', `/users/${u.id}/enable`), `${t('enable')}：${name}`)) }, t('enable'))
      // reads: POST /users/{id}/disable -
      : h('button', { type: 'button', 'data-user-action': 'disable', onclick: () => ask(box, t('confirm_disable').replace('{name}', name), t('disable'), [],
        adminChange(box, () => api('POST', `/users/${u.id}/disable`), `${t('disable')}：${name}`)) }, t('disable'));
    const reset = h('button', { type: 'button', 'data-user-action': 'reset', onclick: () => {
      const password = h('input', { id: `reset-password-${u.id}`, type: 'password', autocomplete: 'new-password' });
      // reads: POST /users/{id}/password -
      ask(box, t('confirm_reset').replace('{name}', name), t('reset_password'), [field(t('new_password'), password)],
        adminChange(box, () => api('POST', `/users/${u.id}/password`, { password: password.value }), `${t('password_was_reset')}：${name}`));
    } }, t('reset_password'));
    const edit = h('button', { type: 'button', 'data-user-action': 'change', onclick: () => {
      const display = h('input', { id: `user-name-${u.id}`, maxlength: 64, value: u.display_name });
      const role = h('select', { id: `user-role-${u.id}` }, roleOptions(u.role));
      const unit = h('select', { id: `user-unit-${u.id}` }, unitOptions(allUnits, u.unit));
      // reads: PATCH /users/{id} -
      ask(box, `${t('change_user')}：${name}`, t('save'), [h('div', { class: 'grid2' }, field(t('display_name'), display), field(t('role'), role), field(t('user_unit'), unit))],
        adminChange(box, () => api('PATCH', `/users/${u.id}`, { display_name: display.value.trim(), role: role.value, unit: unit.value || null }), `${t('user_saved')}：${name}`));
    } }, t('change_user'));
    // Oneself: no disabling and no reset here (the server refuses both); 修改密码 is in the header.
    const self = u.username === USER.username;
    return h('tr', { 'data-user': u.username },
      h('td', { 'data-label': t('username') }, u.username), h('td', { 'data-label': t('display_name') }, u.display_name),
      h('td', { 'data-label': t('role') }, t(`role.${u.role}`)), h('td', { 'data-label': t('user_unit') }, u.unit_name ?? '—'),
      h('td', { 'data-label': t('user_area') }, u.regions.map((r) => r.name).join('、') || '—'),
      h('td', { 'data-label': t('user_status') }, u.disabled ? h('span', { class: 'badge bad' }, t('user_disabled')) : h('span', { class: 'badge ok' }, t('user_active'))),
      h('td', { 'data-label': t('admin_actions') }, h('div', { class: 'inline' }, self ? null : toggle, self ? null : reset, edit), box));
  };
  const table = found.items.length
    ? h('div', { class: 'table-wrap' }, h('table', { id: 'user-table', class: 'cards' },
      h('thead', {}, h('tr', {}, [t('username'), t('display_name'), t('role'), t('user_unit'), t('user_area'), t('user_status'), t('admin_actions')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, found.items.map(row))))
    : h('p', { class: 'empty' }, t('empty'));

  const username = h('input', { id: 'new-username', maxlength: 64, autocomplete: 'off', required: true });
  const display = h('input', { id: 'new-display-name', maxlength: 64 });
  const role = h('select', { id: 'new-role' }, roleOptions('grid_worker'));
  const unit = h('select', { id: 'new-unit' }, unitOptions(allUnits, ''));
  const password = h('input', { id: 'new-password', type: 'password', autocomplete: 'new-password', required: true });
  const createBox = h('div', { id: 'new-user-result' });
  const create = h('form', { id: 'new-user', class: 'card', onsubmit: (e) => {
    e.preventDefault();
    // reads: POST /users username
    adminChange(createBox, () => api('POST', '/users', { username: username.value.trim(), display_name: display.value.trim() || null, role: role.value, unit: unit.value || null, password: password.value }),
      `${t('user_created')}：${username.value.trim()}`)();
  } }, h('h2', {}, t('new_user')), h('p', { class: 'hint' }, t('new_user_hint')),
  h('div', { class: 'grid2' }, field(t('username'), username), field(t('display_name'), display), field(t('role'), role), field(t('user_unit'), unit), field(t('initial_password'), password)),
  h('button', { type: 'submit', class: 'primary', id: 'new-user-submit' }, t('create_user')), createBox);
  return [search, section(t('admin_users_n').replace('{n}', found.items.length), table), create];
};

/** The form of a unit: new (`u` null) or the coverage of `u`. */
function unitForm(u, regions, types, box, onCancel) {
  const prefix = u ? `unit-${u.code}` : 'new-unit';
  const code = u ? null : h('input', { id: `${prefix}-code`, maxlength: 64, required: true, placeholder: t('unit_code_hint') });
  const name = h('input', { id: `${prefix}-name`, maxlength: 64, required: true, value: u?.name ?? '' });
  const kind = h('select', { id: `${prefix}-kind` }, options(valuesOf('unit_kind').map((k) => [k, t(`unit_kind.${k}`)]), u?.kind ?? 'street_office'));
  const chosen = [...(u?.regions ?? [])];
  const chips = h('ul', { class: 'chips', id: `${prefix}-regions` });
  const drawChips = () => chips.replaceChildren(...(chosen.length ? chosen.map((c) => h('li', { 'data-region': c }, regionLabel(regions, c), ' ',
    h('button', { type: 'button', 'aria-label': `${t('remove')} ${regionLabel(regions, c)}`, onclick: () => { chosen.splice(chosen.indexOf(c), 1); drawChips(); } }, '×')))
    : [h('li', { class: 'empty' }, t('no_regions'))]));
  drawChips();
  const checks = h('div', { class: 'checks', id: `${prefix}-types` }, types.map((x) => h('label', {},
    h('input', { type: 'checkbox', value: x.code, checked: (u?.types ?? []).includes(x.code) }), typeName(types, x.code))));
  return (async () => {
    const picker = await regionPicker(prefix);
    const add = h('button', { type: 'button', id: `${prefix}-add-region`, onclick: () => {
      const c = picker.street.value || picker.district.value;
      if (c && !chosen.includes(c)) { chosen.push(c); drawChips(); }
    } }, t('add_region'));
    const send = () => {
      const body = { name: name.value.trim(), kind: kind.value, regions: chosen, types: [...checks.querySelectorAll('input:checked')].map((i) => i.value) };
      // reads: POST /units code
      if (!u) return api('POST', '/units', { code: code.value.trim(), ...body });
      // reads: PUT /units/{code} code
      return api('PUT', `/units/${encodeURIComponent(u.code)}`, body);
    };
    return h('form', { class: 'stack unit-form', id: `${prefix}-form`, onsubmit: (e) => { e.preventDefault(); adminChange(box, send, `${t('unit_saved')}：${name.value.trim()}`)(); } },
      h('div', { class: 'grid2' }, code ? field(t('unit_code'), code) : null, field(t('unit_name'), name), field(t('kind'), kind)),
      h('div', { class: 'field' }, h('span', { class: 'label' }, t('regions')), chips),
      h('div', { class: 'grid2 picker' }, ...picker.nodes, h('div', { class: 'field' }, h('span', { class: 'label' }, '\u00a0'), add)),
      h('div', { class: 'field' }, h('span', { class: 'label' }, t('unit_types')), checks),
      h('div', { class: 'inline' }, h('button', { type: 'submit', class: 'primary' }, u ? t('save') : t('create_unit')),
        onCancel ? h('button', { type: 'button', onclick: onCancel }, t('cancel')) : null), box);
  })();
}

ADMIN_PANELS.units = async () => {
  const [allUnits, regions, types] = await Promise.all([units(), allRegions(), unitTypes()]);
  // A unit's edit form opens in a full-width row under it, not squeezed into the last cell.
  const rows = allUnits.flatMap((u) => {
    const result = h('div', {});
    const editRow = h('tr', { class: 'edit-row', hidden: true }, h('td', { colspan: 5 }));
    const edit = h('button', { type: 'button', 'data-edit-unit': u.code, onclick: async () => {
      editRow.firstChild.replaceChildren(await unitForm(u, regions, types, result, () => { editRow.hidden = true; }));
      editRow.hidden = false;
      editRow.querySelector('input')?.focus();
    } }, t('edit_coverage'));
    return [h('tr', { 'data-unit': u.code },
      h('td', { 'data-label': t('unit_name') }, h('strong', {}, u.name), h('div', { class: 'hint' }, u.code)),
      h('td', { 'data-label': t('kind') }, t(`unit_kind.${u.kind}`)),
      h('td', { 'data-label': t('regions') }, u.regions.map((c) => regionLabel(regions, c)).join('、') || '—'),
      h('td', { 'data-label': t('unit_types') }, (u.types ?? []).map((c) => typeName(types, c)).join('、') || '—'),
      h('td', { 'data-label': t('admin_actions') }, edit)), editRow];
  });
  const table = h('div', { class: 'table-wrap' }, h('table', { id: 'unit-table', class: 'cards' },
    h('thead', {}, h('tr', {}, [t('unit_name'), t('kind'), t('regions'), t('unit_types'), t('admin_actions')].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows)));
  const createBox = h('div', { id: 'new-unit-result' });
  return [section(t('admin_units_n').replace('{n}', allUnits.length), table),
    h('details', { class: 'card', id: 'new-unit' }, h('summary', {}, t('new_unit')), await unitForm(null, regions, types, createBox))];
};

ADMIN_PANELS.audit = async (params) => {
  const filters = new URLSearchParams();
  for (const name of ['actor', 'kind', 'subject', 'from', 'to']) if (params.get(name)) filters.set(name, params.get(name));
  const actor = h('input', { id: 'audit-actor', maxlength: 64, value: filters.get('actor') ?? '' });
  const kind = h('select', { id: 'audit-kind' }, options([['', t('all')], ...valuesOf('audit').map((k) => [k, t(`audit.${k}`)])], filters.get('kind') ?? ''));
  const subject = h('input', { id: 'audit-subject', maxlength: 64, value: filters.get('subject') ?? '' });
  const from = h('input', { id: 'audit-from', type: 'date', value: filters.get('from') ?? '' });
  const to = h('input', { id: 'audit-to', type: 'date', value: filters.get('to') ?? '' });
  const chosen = () => {
    const out = new URLSearchParams();
    for (const [name, control] of [['actor', actor], ['kind', kind], ['subject', subject], ['from', from], ['to', to]]) if (control.value.trim()) out.set(name, control.value.trim());
    return out;
  };
  const message = h('div', { id: 'audit-message', 'aria-live': 'polite' });
  const exportCsv = async () => {
    const query = chosen();
    query.set('lang', lang);
    status(message, t('exporting'));
    try {
      // reads: GET /audit/export blob
      const file = await api('GET', `/audit/export?${query}`);
      saveFile(file, `${t('tab.audit')}-${beijing(new Date()).slice(0, 10)}.csv`);
      status(message, t('exported'), 'ok');
    } catch (err) { status(message, failText(err), 'error'); }
  };
  const form = h('form', { id: 'audit-form', class: 'card', onsubmit: (e) => {
    e.preventDefault();
    const next = chosen();
    next.set('tab', 'audit');
    history.pushState(null, '', `/admin?${next}`);
    render();
  } }, h('h2', {}, t('audit_filters')),
  h('div', { class: 'grid2' }, field(t('audit_actor'), actor), field(t('audit_kind'), kind), field(t('audit_subject'), subject), field(t('audit_from'), from), field(t('audit_to'), to)),
  h('div', { class: 'inline' }, h('button', { type: 'submit', class: 'primary', id: 'audit-submit' }, t('audit_query')),
    h('button', { type: 'button', id: 'audit-export', onclick: exportCsv }, t('audit_export'))), message);
  let body;
  try {
    // reads: GET /users items[].username items[].display_name
    // reads: GET /audit items[].id items[].at items[].kind items[].username items[].subject items[].subject_name items[].actor items[].address items[].detail
    const [people, log] = await Promise.all([api('GET', '/users'), api('GET', `/audit?${filters}`)]);
    const nameOf = new Map(people.items.map((u) => [u.username, u.display_name]));
    const who = (username) => (!username ? '—' : nameOf.get(username) && nameOf.get(username) !== username ? `${nameOf.get(username)}（${username}）` : username);
    const columns = [t('audit_when'), t('audit_kind'), t('audit_actor'), t('audit_target'), t('audit_detail'), t('audit_address')];
    body = section(t('audit_n').replace('{n}', log.items.length), log.items.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'audit-table', class: 'cards' },
      h('thead', {}, h('tr', {}, columns.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, log.items.map((e) => h('tr', { 'data-audit': e.kind }, [time(e.at), t(`audit.${e.kind}`), who(e.actor),
        e.subject ? (e.subject_name ?? e.subject) : who(e.username), e.detail, e.address ?? '—'].map((x, i) => h('td', { 'data-label': columns[i] }, x)))))))
      : h('p', { class: 'empty' }, t('empty')));
  } catch (err) {
    if (!(err instanceof ApiFailure) || err.status >= 500 || err.status === 401) throw err;
    body = h('p', { class: 'notice error', role: 'alert', id: 'audit-refused' }, failText(err));
  }
  return [form, body];
};

ADMIN_PANELS.reference = async () => {
  // reads: GET /routing-rules items[].id items[].entries items[].regions items[].unit items[].unit_type items[].note
  const [allUnits, cat, rules, regions, types] = await Promise.all([units(), catalogue(), optional('GET', '/routing-rules'), allRegions(), unitTypes()]);
  const unitName = new Map(allUnits.map((u) => [u.code, u.name]));
  const limit = (l) => (l ? `${l.amount} ${t(`lu.${l.unit}`)}` : '—');
  return [section(`${t('catalogue')} (${cat.length})`, grid([t('id'), t('category'), t('time_limit'), t('unit_kind')],
    cat.map((e) => [e.code, entryName(e), limit(e.effective_time_limit), e.effective_unit_type ? typeName(types, e.effective_unit_type) : '—']))),
  section(t('routing_rules'), rules
    ? grid([t('id'), t('category'), t('regions'), t('unit'), t('note')],
      rules.items.map((r) => [r.id, (r.entries ?? []).join(', ') || '—', (r.regions ?? []).map((c) => regionLabel(regions, c)).join('、') || '—',
        r.unit ? (unitName.get(r.unit) ?? r.unit) : r.unit_type ? typeName(types, r.unit_type) : '—', r.note ?? '']))
    : unavailable())];
};
