// The hotline operator (接线员): a call's ticket, the caller's history, duplicates, and the call-back queue.

import { t } from './words.js';
import { act, api, optional, uploadPhotos } from './api.js';
import { cameraInput, failText, field, h, options, pct, section, status, unavailable } from './dom.js';
import { baseColumns, caseLink, caseTable, duplicateTable } from './cases.js';
import { categorySelect, categorySuggestion, regionPicker, withFilter } from './reference.js';
import { register } from './router.js';

register('operator', async () => {
  const message = h('div', { id: 'new-case-result' });
  const history = h('div', { id: 'caller-history' });
  const duplicates = h('div', { id: 'duplicates' });
  const description = h('textarea', { id: 'description', name: 'description', rows: 4, required: true, maxlength: 2000 });
  const category = await categorySelect({ id: 'category', name: 'category' });
  const suggestion = categorySuggestion(description, category);
  const regions = await regionPicker('new');
  const address = h('input', { id: 'address', name: 'address', maxlength: 200 });
  const ticket = h('input', { id: 'external_id', name: 'external_id', maxlength: 64 });
  const caller = h('input', { id: 'caller_name', name: 'caller_name', maxlength: 50 });
  const phone = h('input', { id: 'caller_phone', name: 'caller_phone', type: 'tel', maxlength: 20, autocomplete: 'off' });
  const pin = h('div', { id: 'address-pin', class: 'mini-map', 'aria-live': 'polite' });
  phone.addEventListener('change', async () => {
    const number = phone.value.trim();
    if (!/^\d{7,15}$/.test(number)) { history.replaceChildren(); return; }
    try {
      // reads: GET /cases total items[]@case
      const page = await api('GET', `/cases?phone=${encodeURIComponent(number)}&page_size=10`);
      history.replaceChildren(h('h3', {}, `${t('caller_history')} (${page.total})`), caseTable(page.items, baseColumns()));
    } catch (err) { status(history, failText(err), 'error'); }
  });
  const locate = h('button', { type: 'button', id: 'geocode', onclick: async () => {
    const text = address.value.trim();
    if (!text) return;
    try {
      // reads: GET /geo/geocode district.code district.name street.code street.name confidence
      const found = await optional('GET', `/geo/geocode?address=${encodeURIComponent(text)}`);
      if (!found) { pin.replaceChildren(unavailable(t('geocode_unavailable'))); return; }
      if (found.district?.code) await regions.set(found.district.code, found.street?.code);
      // The gazetteer answers names, not a point: there is nothing to pin on a map.
      pin.replaceChildren(h('p', {}, `${found.district?.name ?? ''} ${found.street?.name ?? ''} (${pct(found.confidence)})`));
    } catch (err) { status(pin, failText(err), 'error'); }
  } }, t('geocode'));
  const camera = cameraInput('ticket-photos');
  const form = h('form', { id: 'new-case-form', class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const body = { channel: 'hotline', description: description.value.trim() };
    if (ticket.value.trim()) body.external_id = ticket.value.trim();
    if (category.value) body.category = category.value;
    if (regions.street.value) body.region = regions.street.value;
    if (address.value.trim()) body.address = address.value.trim();
    if (caller.value.trim() || phone.value.trim()) {
      body.reporter = {};
      if (caller.value.trim()) body.reporter.name = caller.value.trim();
      if (phone.value.trim()) body.reporter.phone = phone.value.trim();
    }
    try {
      // reads: POST /cases id status
      const created = await api('POST', '/cases', body);
      const photos = await uploadPhotos(created.id, 'intake', camera);
      message.replaceChildren(h('p', { class: 'notice ok', role: 'status' }, `${t('filed')} `, caseLink(created), ` · ${t(`status.${created.status}`)}`,
        photos.length ? ` · ${photos.length} ${t('uploaded')}` : ''));
      form.reset();
      suggestion.replaceChildren();
      // reads: GET /cases/{id}/duplicates suggestions[]@duplicate
      const dup = await optional('GET', `/cases/${created.id}/duplicates`);
      duplicates.replaceChildren(h('h3', {}, t('duplicates')),
        dup ? duplicateTable(dup.suggestions) : unavailable(t('duplicates_unavailable')));
    } catch (err) { status(message, failText(err), 'error'); }
  } },
  h('h2', {}, t('new_ticket')),
  h('div', { class: 'grid2' }, field(t('external_id'), ticket), field(t('caller_name'), caller), field(t('caller_phone'), phone)),
  field(t('description'), description), suggestion,
  h('div', { class: 'grid2' }, withFilter(field(t('category'), category), category), ...regions.nodes),
  h('div', { class: 'with-button' }, field(t('address'), address), locate), pin, field(t('take_photos'), camera),
  h('button', { type: 'submit', class: 'primary', id: 'file-case' }, t('submit')), message);
  return [h('h1', {}, t('page.operator')), h('div', { class: 'columns' }, form, h('div', {}, history, duplicates)),
    await callbackQueue()];
});

async function callbackQueue() {
  // reads: GET /cases total items[]@case
  const page = await api('GET', '/cases?status=closed&page_size=50');
  const box = h('div', {});
  const table = caseTable(page.items, [...baseColumns(), [t('callback'), (c) => {
    const resolved = h('input', { type: 'checkbox', id: `resolved-${c.id}`, checked: true });
    const satisfaction = h('select', { id: `satisfaction-${c.id}` }, options(['satisfied', 'basically_satisfied', 'dissatisfied'].map((s) => [s, t(`sat.${s}`)])));
    return h('form', { class: 'inline', 'data-callback': c.id, onsubmit: async (e) => {
      e.preventDefault();
      try {
        await act(c.id, { action: 'callback', resolved: resolved.checked, satisfaction: satisfaction.value });
        e.target.closest('tr').remove();
        status(box, `#${c.id} ${t('saved')}`);
      } catch (err) { status(box, failText(err), 'error'); }
    } }, h('label', { for: resolved.id }, resolved, t('resolved')), h('label', { class: 'sr-only', for: satisfaction.id }, t('satisfaction')),
    satisfaction, h('button', { type: 'submit' }, t('record_callback')));
  }]]);
  return section(`${t('callback_queue')} (${page.total})`, box, table);
}
