// The grid worker's and inspector's phone page: reports kept through network loss, and the verification queue.

import { USER } from './page.js';
import { t } from './words.js';
import { act, api, uploadPhotos } from './api.js';
import { cameraInput, failText, field, filePicker, h, section, status } from './dom.js';
import { baseColumns, caseLink, caseTable } from './cases.js';
import { categorySelect, categorySuggestion, regionPicker, withFilter } from './reference.js';
import { copyFiles, reports } from './outbox.js';
import { register } from './router.js';

register('grid', async () => {
  const message = h('div', { id: 'report-result' });
  if (await reports.flush().catch(() => 0)) status(message, t('report_sent_later'), 'ok');
  if (reports.count()) status(message, t('report_saved_offline'), 'info');
  const description = h('textarea', { id: 'description', rows: 3, required: true, maxlength: 2000 });
  const category = await categorySelect({ id: 'category' });
  const suggestion = categorySuggestion(description, category);
  const regions = await regionPicker('report');
  const address = h('input', { id: 'address', maxlength: 200 });
  const lat = h('input', { id: 'lat', type: 'number', step: 'any', min: -90, max: 90, inputmode: 'decimal' });
  const lon = h('input', { id: 'lon', type: 'number', step: 'any', min: -180, max: 180, inputmode: 'decimal' });
  const photos = cameraInput('photos');
  const locateMe = h('button', { type: 'button', onclick: () => navigator.geolocation?.getCurrentPosition((p) => {
    lat.value = p.coords.latitude.toFixed(6); lon.value = p.coords.longitude.toFixed(6);
  }, (err) => status(message, err.message, 'error')) }, t('use_my_location'));
  const channel = USER.role === 'inspector' ? 'inspection' : 'grid';
  const form = h('form', { id: 'report-form', class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const body = { channel, description: description.value.trim() };
    if (category.value) body.category = category.value;
    if (regions.street.value) body.region = regions.street.value;
    if (address.value.trim()) body.address = address.value.trim();
    if (lat.value && lon.value) body.location = { lat: Number(lat.value), lon: Number(lon.value) };
    body.external_id = `${channel}-${crypto.randomUUID()}`;
    const files = await copyFiles(photos);
    if (files.length) status(message, t('uploading'));
    try {
      const done = await reports.post(body.external_id, { body }, files);
      form.reset();
      if (done) message.replaceChildren(h('p', { class: 'notice ok', role: 'status' }, `${t('filed')} `, caseLink(done), done.photos ? ` · ${done.photos} ${t('uploaded')}` : ''));
    } catch (err) {
      if (!reports.refused(err)) form.reset();
      status(message, reports.refused(err) ? failText(err) : t('report_saved_offline'), reports.refused(err) ? 'error' : 'info');
    }
  } }, h('h2', {}, t('report_problem')), field(t('description'), description), suggestion,
  withFilter(field(t('category'), category), category), ...regions.nodes,
  field(t('address'), address), h('div', { class: 'grid2' }, field(t('lat'), lat), field(t('lon'), lon)), locateMe,
  field(t('take_photos'), photos), h('button', { type: 'submit', class: 'primary', id: 'report-case' }, t('submit')), message);

  // reads: GET /cases total items[]@case
  const handled = await api('GET', '/cases?status=handled&page_size=50');
  const box = h('div', {});
  const queue = caseTable(handled.items, [...baseColumns(), [t('feedback'), (c) => c.feedback?.text ?? '—'], [t('actions'), (c) => {
    const note = h('input', { id: `verify-note-${c.id}`, maxlength: 2000, placeholder: t('verify_note') });
    const camera = cameraInput(`verify-photos-${c.id}`);
    const verify = (passed) => async () => {
      try {
        await uploadPhotos(c.id, 'verification', camera);
        await act(c.id, passed ? { action: 'verify', passed: true, ...(note.value.trim() ? { note: note.value.trim() } : {}) }
          : { action: 'verify', passed: false, note: note.value.trim() });
        document.querySelector(`tr[data-case="${c.id}"]`)?.remove();
        status(box, `#${c.id} ${t('saved')}`);
      } catch (err) { status(box, failText(err), 'error'); }
    };
    return h('div', { class: 'inline' }, h('label', { class: 'sr-only', for: note.id }, t('verify_note')), note,
      filePicker(camera, t('take_photos')),
      h('button', { type: 'button', 'data-verify': 'pass', onclick: verify(true) }, t('passed')),
      h('button', { type: 'button', 'data-verify': 'fail', onclick: verify(false) }, t('failed')));
  }]]);
  // reads: GET /cases items[]@case
  const recent = await api('GET', `/cases?channel=${channel}&page_size=10`);
  return [h('h1', {}, t('page.grid')), h('div', { class: 'columns' }, form,
    h('div', {}, section(`${t('verify_queue')} (${handled.total})`, box, queue),
      section(t('recent_reports'), caseTable(recent.items, baseColumns()))))];
});
