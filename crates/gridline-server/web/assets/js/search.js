// Case search and export, for every role within what it may see.

import { USER } from './page.js';
import { lang, t, valuesOf } from './words.js';
import { api, ApiFailure } from './api.js';
import { beijing, failText, field, h, options, saveFile, section, status, time } from './dom.js';
import { baseColumns, caseTable, clockBadge } from './cases.js';
import { categorySelect, regionPicker, units } from './reference.js';
import { register, render } from './router.js';

/** The case list's filters the search page offers, named as the API names them. */
const SEARCH_FILTERS = ['q', 'status', 'channel', 'category', 'region', 'unit', 'from', 'to', 'overdue'];
const SEARCH_PAGE_SIZE = 20;

/** Every role's case search within what it may see (the API's scope): the list's filters, the
 *  results a page at a time, and an export of every case the same filters admit. */
register('search', async () => {
  const params = new URLSearchParams(location.search);
  const applied = new URLSearchParams();
  for (const name of SEARCH_FILTERS) if (params.get(name)) applied.set(name, params.get(name));
  const page = Math.max(1, Number.parseInt(params.get('page') || '1', 10) || 1);

  const q = h('input', { id: 'search-q', name: 'q', type: 'search', maxlength: 100, value: applied.get('q') ?? '', placeholder: t('keyword_hint') });
  const select = (name, values, label) => h('select', { id: `search-${name}`, name },
    options([['', t('all')], ...values.map((v) => [v, label(v)])], applied.get(name) ?? ''));
  const statusSelect = select('status', valuesOf('status'), (s) => t(`status.${s}`));
  const channelSelect = select('channel', valuesOf('channel'), (c) => t(`channel.${c}`));
  const overdueSelect = h('select', { id: 'search-overdue', name: 'overdue' },
    options([['', t('all')], ['true', t('overdue')], ['false', t('not_overdue')]], applied.get('overdue') ?? ''));
  const category = await categorySelect({ id: 'search-category', name: 'category' });
  category.options[0].textContent = t('all');
  category.value = applied.get('category') ?? '';
  const regions = await regionPicker('search');
  const region = applied.get('region') ?? '';
  // A street's code lies under its district's: 110105026000 is in 110105000000.
  if (/^\d{12}$/.test(region)) await regions.set(`${region.slice(0, 6)}000000`, region.endsWith('000000') ? '' : region);
  // A unit sees its own cases only: the unit filter is for those who see many units.
  const unitSelect = USER.unit ? null : h('select', { id: 'search-unit', name: 'unit' },
    options([['', t('all')], ...(await units()).map((u) => [u.code, u.name])], applied.get('unit') ?? ''));
  const date = (name) => h('input', { id: `search-${name}`, name, type: 'date', value: applied.get(name) ?? '' });
  const from = date('from');
  const to = date('to');

  /** The filters as the form holds them, without the empty ones. */
  const chosen = () => {
    const out = new URLSearchParams();
    const put = (name, value) => { if (value) out.set(name, value); };
    put('q', q.value.trim());
    put('status', statusSelect.value);
    put('channel', channelSelect.value);
    put('category', category.value);
    put('region', regions.street.value || regions.district.value);
    put('unit', unitSelect?.value);
    put('from', from.value);
    put('to', to.value);
    put('overdue', overdueSelect.value);
    return out;
  };
  const go = (filters, pageNo = 1) => {
    const next = new URLSearchParams(filters);
    if (pageNo > 1) next.set('page', pageNo);
    history.pushState(null, '', `/search${next.toString() ? `?${next}` : ''}`);
    render();
  };
  const message = h('div', { id: 'search-message', 'aria-live': 'polite' });
  const exportAs = (format) => async () => {
    const filters = chosen();
    status(message, t('exporting'));
    try {
      filters.set('format', format);
      filters.set('lang', lang);
      // reads: GET /cases/export blob
      const file = await api('GET', `/cases/export?${filters}`);
      saveFile(file, `${t('page.search')}-${beijing(new Date()).slice(0, 10)}.${format}`);
      status(message, t('exported'), 'ok');
    } catch (err) { status(message, failText(err), 'error'); }
  };
  const form = h('form', { id: 'search-form', class: 'card', onsubmit: (e) => { e.preventDefault(); go(chosen()); } },
    h('h2', {}, t('search_filters')),
    h('div', { class: 'grid2' }, field(t('keyword'), q), field(t('status'), statusSelect), field(t('channel'), channelSelect),
      field(t('category'), category), ...regions.nodes, unitSelect ? field(t('unit'), unitSelect) : null,
      field(t('date_from'), from), field(t('date_to'), to), field(t('overdue_filter'), overdueSelect)),
    h('div', { class: 'inline' }, h('button', { type: 'submit', class: 'primary', id: 'search-submit' }, t('search')),
      h('button', { type: 'button', id: 'search-reset', onclick: () => go(new URLSearchParams()) }, t('reset')),
      h('span', { class: 'export-buttons inline', title: t('export_hint') },
        h('button', { type: 'button', id: 'export-csv', onclick: exportAs('csv') }, t('export_csv')),
        h('button', { type: 'button', id: 'export-xlsx', onclick: exportAs('xlsx') }, t('export_xlsx')))),
    message);

  let results;
  try {
    const query = new URLSearchParams(applied);
    query.set('page', page);
    query.set('page_size', SEARCH_PAGE_SIZE);
    // reads: GET /cases total page page_size items[]@case
    const found = await api('GET', `/cases?${query}`);
    const pages = Math.max(1, Math.ceil(found.total / found.page_size));
    const [caseId, caseStatus, caseCategory, caseRegion, caseDescription] = baseColumns();
    const columns = [caseId, caseStatus, [t('channel'), (c) => t(`channel.${c.channel}`)], caseCategory, caseRegion,
      [t('unit'), (c) => c.unit_name ?? '—'], [t('received_at'), (c) => time(c.received_at)], [t('deadline'), (c) => clockBadge(c)], caseDescription];
    const table = caseTable(found.items, columns, () => ({}), { id: 'search-results', class: 'cards' });
    const pager = h('nav', { class: 'inline pager', 'aria-label': t('page_n').replace('{p}', found.page).replace('{pages}', pages) },
      h('button', { type: 'button', id: 'prev-page', disabled: found.page <= 1, onclick: () => go(applied, found.page - 1) }, t('prev_page')),
      h('span', { id: 'page-of' }, t('page_n').replace('{p}', found.page).replace('{pages}', pages)),
      h('button', { type: 'button', id: 'next-page', disabled: found.page >= pages, onclick: () => go(applied, found.page + 1) }, t('next_page')));
    results = section(t('results_n').replace('{n}', found.total), table, found.total > found.page_size ? pager : null);
    results.id = 'search-found';
  } catch (err) {
    // A filter the API refuses (a hand-edited address): the form stays, the refusal is told.
    if (!(err instanceof ApiFailure) || err.status >= 500 || err.status === 401) throw err;
    results = h('p', { class: 'notice error', role: 'alert', id: 'search-refused' }, failText(err));
  }
  return [h('h1', {}, t('page.search')), form, results];
});
