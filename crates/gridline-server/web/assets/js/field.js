// The evaluator's phone page (实地考察): rounds, their points, a point's checklist, answers kept offline.

import { t } from './words.js';
import { api, ApiFailure } from './api.js';
import { cameraInput, failText, h, score1, status, time } from './dom.js';
import { evaluations } from './outbox.js';
import { register, render } from './router.js';

/** The evaluator's phone page: rounds, their points, a point's checklist. */
register('field', async () => {
  await evaluations.flush().catch(() => {});
  const params = new URLSearchParams(location.search);
  const round = params.get('round');
  const point = params.get('point');
  const open = (q) => { history.pushState(null, '', `/field${q}`); render(); };
  if (round && point) return fieldChecklist(round, point, open);
  if (round) {
    // reads: GET /evaluation/rounds/{id}/points items[].point.id items[].point.name items[].point.point_type items[].point.code items[].answered items[].clauses
    const points = await api('GET', `/evaluation/rounds/${round}/points`);
    return [h('h1', {}, t('page.field')), h('ul', { class: 'field-list', id: 'ev-points' }, points.items.map((a) =>
      h('li', {}, h('a', { href: `/field?round=${round}&point=${a.point.id}`, onclick: (e) => { e.preventDefault(); open(`?round=${round}&point=${a.point.id}`); } },
        h('strong', {}, a.point.name), h('span', { class: 'muted' }, ` ${a.point.code}`),
        h('span', { class: a.answered >= a.clauses ? 'badge ok' : 'badge warn' }, ` ${a.answered}/${a.clauses}`)))))];
  }
  // reads: GET /evaluation/rounds items[].id items[].name items[].deadline items[].points items[].points_answered
  const rounds = await api('GET', '/evaluation/rounds');
  return [h('h1', {}, t('ev_rounds')), h('ul', { class: 'field-list', id: 'ev-rounds' }, rounds.items.map((r) =>
    h('li', {}, h('a', { href: `/field?round=${r.id}`, onclick: (e) => { e.preventDefault(); open(`?round=${r.id}`); } },
      h('strong', {}, r.name), h('span', { class: 'muted' }, ` ${t('ev_deadline')} ${time(r.deadline)} · ${r.points_answered}/${r.points}`)))))];
});

/** A kept photo's thumbnail, opening the photo. */
const thumb = (id) => h('a', { href: `/files/${id}`, target: '_blank', class: 'thumb' }, h('img', { src: `/files/${id}/thumb`, alt: t('attachments'), loading: 'lazy' }));

async function fieldChecklist(round, point, open) {
  // reads: GET /evaluation/rounds/{id}/points/{point} point.name point.point_type score clauses[].code clauses[].text clauses[].observe clauses[].points clauses[].rule.kind clauses[].answer.outcome clauses[].answer.count clauses[].answer.case_id clauses[].answer.photos clauses[].rectification
  const result = await api('GET', `/evaluation/rounds/${round}/points/${point}`);
  const key = `${round}/${point}`;
  const kept = evaluations.kept(key) || [];
  const box = h('div', { id: 'ev-status', 'aria-live': 'polite' });
  if (kept.length) status(box, t('ev_pending'), 'info');
  const choices = new Map();
  const items = result.clauses.map((c) => {
    const done = c.answer;
    const mine = kept.find((a) => a.clause === c.code);
    const name = `c-${c.code}`;
    const count = h('input', { type: 'number', min: 0, inputmode: 'numeric', class: 'count', 'aria-label': t('ev_count'), placeholder: t('ev_count'), value: mine?.count ?? '' });
    const note = h('input', { type: 'text', maxlength: 500, class: 'note', 'aria-label': t('ev_note'), placeholder: t('ev_note'), value: mine?.note ?? '' });
    const radio = (value, label) => h('label', { class: 'choice' }, h('input', { type: 'radio', name, value, disabled: !!done,
      checked: (done?.outcome ?? mine?.outcome) === value }), label);
    // The photos are kept on the server as soon as they are taken; the answer names their ids.
    const photos = [...(mine?.photos ?? [])];
    const thumbs = h('span', { class: 'photos' }, (done?.photos ?? photos).map(thumb));
    const camera = done ? null : cameraInput(`ph-${c.code}`);
    camera?.classList.add('sr-only');
    if (camera) camera.addEventListener('change', async () => {
      if (!camera.files.length) return;
      const form = new FormData();
      for (const file of camera.files) form.append('photo', file, file.name);
      status(box, t('uploading'), 'info');
      try {
        // reads: POST /evaluation/rounds/{id}/points/{point}/photos items[].id
        const kept = await api('POST', `/evaluation/rounds/${round}/points/${point}/photos`, form);
        for (const p of kept.items) { photos.push(p.id); thumbs.append(thumb(p.id)); }
        status(box, `${kept.items.length} ${t('uploaded')}`, 'info');
      } catch (err) {
        status(box, err instanceof ApiFailure ? failText(err) : t('ev_photo_offline'), 'error');
      }
      camera.value = '';
    });
    choices.set(c.code, { name, count, note, photos });
    const after = done?.case_id
      ? h('p', { class: 'muted' }, h('a', { href: `/cases/${done.case_id}` }, `${t('ev_case')} #${done.case_id}`), ' ', c.rectification ? t(`rect.${c.rectification}`) : '')
      : null;
    return h('li', { class: 'clause', 'data-clause': c.code }, h('p', {}, h('strong', {}, `${c.code} ${c.text}`), ` (${c.points})`),
      c.observe ? h('p', { class: 'muted' }, `${t('ev_observe')}: ${c.observe}`) : null,
      h('div', { class: 'choices' }, radio('pass', t('ev_pass')), radio('fail', t('ev_fail')), radio('not_applicable', t('ev_na'))),
      done ? null : h('div', { class: 'row' }, count, note),
      camera ? h('label', { class: 'photo-pick', for: camera.id }, t('take_photos')) : null, camera, thumbs, after);
  });
  const send = h('button', { type: 'submit', class: 'primary', id: 'ev-send' }, t('ev_send'));
  const form = h('form', { id: 'ev-checklist', onsubmit: async (e) => {
    e.preventDefault();
    const answers = [];
    for (const c of result.clauses) {
      if (c.answer) continue;
      const { name, count, note, photos } = choices.get(c.code);
      const picked = form.querySelector(`input[name="${CSS.escape(name)}"]:checked`);
      if (!picked) continue;
      const a = { clause: c.code, outcome: picked.value };
      if (picked.value === 'fail' && count.value !== '') a.count = Number(count.value);
      if (note.value.trim()) a.note = note.value.trim();
      if (photos.length) a.photos = [...photos];
      answers.push(a);
    }
    if (!answers.length) return;
    evaluations.put(key, answers);
    const position = await new Promise((done) => navigator.geolocation
      ? navigator.geolocation.getCurrentPosition((p) => done({ lat: p.coords.latitude, lon: p.coords.longitude }), () => done(null), { timeout: 3000 })
      : done(null));
    if (position) answers.forEach((a) => { a.position = position; });
    try {
      await evaluations.post(key, answers);
      status(box, t('ev_sent'), 'info');
      await render();
    } catch (err) {
      status(box, evaluations.refused(err) ? failText(err) : t('ev_saved_offline'), evaluations.refused(err) ? 'error' : 'info');
    }
  } }, h('ol', { class: 'checklist' }, items), send, box);
  return [h('p', {}, h('a', { href: `/field?round=${round}`, onclick: (e) => { e.preventDefault(); open(`?round=${round}`); } }, `← ${t('ev_back')}`)),
    h('h1', {}, result.point.name), h('p', { class: 'muted' }, `${t('ev_point_score')} ${score1(result.score)}`), form];
}
