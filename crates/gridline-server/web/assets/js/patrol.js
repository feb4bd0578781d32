// The steward's phone page (日巡): the daily patrol of their alleys, kept through network loss.

import { t } from './words.js';
import { api } from './api.js';
import { cameraInput, failText, field, h, status } from './dom.js';
import { copyFiles, patrols } from './outbox.js';
import { register } from './router.js';

/** The steward's phone page (日巡): my alleys, then an alley's 十无 by quick taps. */
register('patrol', async () => {
  await patrols.flush().catch(() => {});
  const alley = new URLSearchParams(location.search).get('alley');
  // reads: GET /alleys/mine items[].id items[].name items[].code items[].street_name
  const mine = await api('GET', '/alleys/mine');
  if (!alley) {
    return [h('h1', {}, t('page.patrol')), mine.items.length ? h('ul', { class: 'field-list', id: 'my-alleys' }, mine.items.map((a) => h('li', {},
      h('a', { href: `/patrol?alley=${a.id}` }, h('strong', {}, a.name), h('span', { class: 'muted' }, ` ${a.street_name} ${a.code}`))))) : h('p', { class: 'empty' }, t('empty'))];
  }
  const here = mine.items.find((a) => String(a.id) === alley);
  // reads: GET /alleys/standard category[].code category[].item[].clause[].code category[].item[].clause[].text
  const standard = await api('GET', '/alleys/standard');
  const ten = standard.category.find((c) => c.code === 'N');
  const clauses = ten.item.flatMap((i) => i.clause);
  const box = h('div', { id: 'patrol-status', 'aria-live': 'polite' });
  const rows = clauses.map((c) => {
    const tick = h('input', { type: 'checkbox', id: `p-${c.code}`, 'data-clause': c.code });
    const count = h('input', { type: 'number', min: 1, value: 1, inputmode: 'numeric', class: 'count', 'aria-label': `${c.text} ${t('ev_count')}` });
    return { c, tick, count, node: h('li', { class: 'clause' }, h('label', { class: 'choice', for: tick.id }, tick, ` ${c.text}`), count) };
  });
  const camera = cameraInput('patrol-photos');
  const previews = h('div', { class: 'photos', id: 'patrol-previews' });
  camera.addEventListener('change', () => {
    previews.replaceChildren(...[...camera.files].map((f) => h('img', { src: URL.createObjectURL(f), alt: f.name })));
  });
  const form = h('form', { id: 'patrol-form', onsubmit: async (e) => {
    e.preventDefault();
    const problems = rows.filter((r) => r.tick.checked).map((r) => ({ clause: r.c.code, count: Math.max(1, Number(r.count.value) || 1) }));
    if (camera.files.length && !problems.length) { status(box, t('alley_photo_needs_problem'), 'error'); return; }
    const photos = await copyFiles(camera);
    const body = { id: crypto.randomUUID(), problems };
    const position = await new Promise((done) => navigator.geolocation
      ? navigator.geolocation.getCurrentPosition((p) => done({ lat: p.coords.latitude, lon: p.coords.longitude }), () => done(null), { timeout: 3000 })
      : done(null));
    if (position) body.position = position;
    try {
      const done = await patrols.post(body.id, { alley, body }, photos);
      form.reset();
      previews.replaceChildren();
      status(box, `${t('alley_patrol_sent')}${photos.length ? ` · ${photos.length} ${t('uploaded')}` : ''}${done?.problems.length ? ` · ${t('ev_case')} ${done.problems.map((p) => `#${p.case_id}`).join(' ')}` : ''}`, 'ok');
    } catch (err) {
      status(box, patrols.refused(err) ? failText(err) : t('alley_patrol_saved_offline'), patrols.refused(err) ? 'error' : 'info');
    }
  } }, h('p', { class: 'muted' }, t('alley_patrol_hint')), h('ol', { class: 'checklist' }, rows.map((r) => r.node)),
  field(t('alley_patrol_photos'), camera), previews,
  h('button', { type: 'submit', class: 'primary', id: 'patrol-send' }, t('alley_patrol_send')), box);
  return [h('p', {}, h('a', { href: '/patrol' }, `← ${t('page.patrol')}`)), h('h1', {}, here?.name ?? `#${alley}`), form];
});
