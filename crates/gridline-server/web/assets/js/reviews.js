// Material review (材料审核): the half-yearly windows; a unit submits, reviewers score, the office settles.

import { USER } from './page.js';
import { t } from './words.js';
import { api } from './api.js';
import { beijing, failText, field, grid, h, options, section, status, time } from './dom.js';
import { register, render } from './router.js';

const OFFICE_ROLES = ['admin', 'supervisor', 'dispatcher'];
const openReviews = (q) => { history.pushState(null, '', `/reviews${q}`); render(); };

/** The windows (GET /evaluation/reviews); the office opens one; a window's page below. */
register('reviews', async () => {
  const id = new URLSearchParams(location.search).get('window');
  if (id) return reviewWindow(id);
  // reads: GET /evaluation/reviews items[].id items[].name items[].half items[].level items[].opens items[].closes items[].open items[].expected items[].submitted items[].reviewed items[].settled items[].disagreements
  const list = await api('GET', '/evaluation/reviews');
  const content = [h('h1', {}, t('page.reviews')), h('ul', { class: 'field-list', id: 'mr-windows' }, list.items.map((w) =>
    h('li', {}, h('a', { href: `/reviews?window=${w.id}`, onclick: (e) => { e.preventDefault(); openReviews(`?window=${w.id}`); } },
      h('strong', {}, w.name), ' ', h('span', { class: w.open ? 'badge ok' : 'badge muted' }, t(w.open ? 'mr_open' : 'mr_closed')),
      h('span', { class: 'muted' }, ` ${w.half} · ${w.opens} – ${w.closes} · ${w.expected}/${w.submitted}/${w.reviewed}/${w.settled}`),
      w.disagreements ? h('span', { class: 'badge warn' }, ` ${t('mr_disagreements')} ${w.disagreements}`) : null))))];
  if (!list.items.length) content.push(h('p', { class: 'empty' }, t('empty')));
  if (OFFICE_ROLES.includes(USER?.role)) content.push(windowForm());
  return content;
});

function windowForm() {
  const box = h('div', { id: 'mr-window-status', 'aria-live': 'polite' });
  const now = beijing(new Date());
  const half = h('input', { id: 'mr-half', value: `${now.slice(0, 4)}-H${Number(now.slice(5, 7)) <= 6 ? 1 : 2}`, pattern: '\\d{4}-H[12]', size: 8, required: true });
  const level = h('select', { id: 'mr-level' }, options([['district', t('ev.district')], ['street', t('ev.street')]], 'district'));
  const name = h('input', { id: 'mr-name', maxlength: 100 });
  const opens = h('input', { id: 'mr-opens', type: 'date', required: true, value: now.slice(0, 10) });
  const closes = h('input', { id: 'mr-closes', type: 'date', required: true });
  const reviewers = h('input', { id: 'mr-reviewers', required: true, inputmode: 'numeric', pattern: '[0-9, ，]+' });
  const form = h('form', { id: 'mr-window-form', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const ids = reviewers.value.split(/[,，\s]+/).filter(Boolean).map(Number);
      // reads: POST /evaluation/reviews id
      const w = await api('POST', '/evaluation/reviews', { half: half.value.trim(), level: level.value, name: name.value.trim() || undefined,
        opens: opens.value, closes: closes.value, reviewers: ids });
      openReviews(`?window=${w.id}`);
    } catch (err) { status(box, failText(err), 'error'); }
  } }, field(t('mr_half'), half), field(t('mr_level'), level), field(t('mr_name'), name), field(t('mr_opens'), opens), field(t('mr_closes'), closes),
  field(t('mr_reviewers'), reviewers), h('button', { type: 'submit', class: 'primary' }, t('mr_open_window')), box);
  return section(t('mr_open_window'), form);
}

/** A window: a unit submits its materials; reviewers score; the office settles the joint review. */
async function reviewWindow(id) {
  // reads: GET /evaluation/reviews/{id} name half opens closes open expected submitted reviewed settled disagreements clauses[].code clauses[].text clauses[].points clauses[].item regions[].code regions[].name submissions[].id submissions[].region submissions[].region_name submissions[].clause submissions[].points submissions[].text submissions[].submitted_at submissions[].files[].name submissions[].files[].url submissions[].reviews[].reviewer submissions[].reviews[].reviewer_name submissions[].reviews[].score submissions[].reviews[].comment submissions[].joint.mean submissions[].joint.spread submissions[].joint.disagreement submissions[].joint.score submissions[].joint.settled submissions[].settlement.rule submissions[].settlement.note may_score may_settle
  const w = await api('GET', `/evaluation/reviews/${id}`);
  const unit = ['handling_unit', 'member_unit'].includes(USER?.role);
  const head = [h('p', {}, h('a', { href: '/reviews', onclick: (e) => { e.preventDefault(); openReviews(''); } }, `← ${t('mr_back')}`)),
    h('h1', {}, w.name), h('p', { class: 'muted' }, `${w.half} · ${w.opens} – ${w.closes} `, h('span', { class: w.open ? 'badge ok' : 'badge muted' }, t(w.open ? 'mr_open' : 'mr_closed')),
      ` · ${t('mr_progress')} ${w.expected}/${w.submitted}/${w.reviewed}/${w.settled}`)];
  const content = [...head];
  // reads: GET /evaluation/reviews/{id}/reminders items[].region items[].region_name items[].missing items[].days_left items[].units
  const reminders = await api('GET', `/evaluation/reviews/${id}/reminders`);
  const reminding = reminders.items.length ? section(t('mr_reminders'), grid([t('region'), t('mr_missing'), t('mr_days_left'), t('mr_units')],
    reminders.items.map((r) => [r.region_name, r.missing.join('、'), r.days_left, r.units.join('、') || '—']), 'mr-reminders')) : null;
  const submitted = section(unit ? t('mr_my_submissions') : t('mr_submissions'), w.submissions.length
    ? h('ol', { class: 'checklist', id: 'mr-submissions' }, w.submissions.map((s) => submissionCard(id, w, s)))
    : h('p', { class: 'empty' }, t('empty')));
  // A unit sees what it still owes first; the reviewers and the office the joint review.
  if (unit) content.push(reminding, submitSection(id, w), submitted);
  else content.push(submitted, reminding);
  return content.filter(Boolean);
}

/** The unit's forms: one per region and clause not yet submitted (text, then files). */
function submitSection(id, w) {
  const done = new Set(w.submissions.map((s) => `${s.region}/${s.clause}`));
  const forms = [];
  for (const r of w.regions) {
    for (const c of w.clauses) {
      if (done.has(`${r.code}/${c.code}`)) continue;
      const box = h('div', { 'aria-live': 'polite' });
      const text = h('textarea', { rows: 3, maxlength: 5000, required: true, class: 'mr-text' });
      const files = h('input', { type: 'file', multiple: true, accept: '.pdf,.docx,.xlsx,image/*', class: 'mr-files' });
      forms.push(h('li', { class: 'clause', 'data-clause': c.code, 'data-region': r.code },
        h('p', {}, h('strong', {}, `${r.name} · ${c.code} ${c.text}`), ` (${t('mr_points')} ${c.points})`),
        h('form', { class: 'mr-submit', onsubmit: async (e) => {
          e.preventDefault();
          if (!w.open) { status(box, t('mr_closed'), 'error'); return; }
          try {
            // reads: POST /evaluation/reviews/{id}/submissions id
            const s = await api('POST', `/evaluation/reviews/${id}/submissions`, { region: r.code, clause: c.code, text: text.value });
            if (files.files.length) {
              const form = new FormData();
              for (const f of files.files) form.append('file', f, f.name);
              // reads: POST /evaluation/reviews/{id}/submissions/{submission}/files id
              await api('POST', `/evaluation/reviews/${id}/submissions/${s.id}/files`, form);
            }
            await render();
          } catch (err) { status(box, failText(err), 'error'); }
        } }, field(t('mr_text'), text), field(t('mr_files'), files), h('button', { type: 'submit', class: 'primary' }, t('mr_submit')), box)));
    }
  }
  return section(t('mr_submit'), forms.length ? h('ol', { class: 'checklist', id: 'mr-forms' }, forms) : h('p', { class: 'empty' }, t('mr_submitted')));
}

/** A submission with its reviewers' scores side by side, the spread, and the forms to score and settle. */
function submissionCard(id, w, s) {
  const box = h('div', { 'aria-live': 'polite' });
  const j = s.joint;
  const scores = s.reviews.length
    ? grid([t('mr_reviewer'), t('mr_score'), t('mr_comment')], s.reviews.map((r) => [r.reviewer_name || `#${r.reviewer}`, r.score.toFixed(2), r.comment]), `mr-reviews-${s.id}`)
    : h('p', { class: 'muted' }, t('mr_none_yet'));
  const summary = h('p', { class: 'mr-joint' }, `${t('mr_mean')} ${j.mean === null ? '—' : j.mean.toFixed(2)} · ${t('mr_spread')} ${j.spread === null ? '—' : j.spread.toFixed(2)} · ${t('mr_counts')} ${j.score === null ? '—' : j.score.toFixed(2)}/${s.points} `,
    j.disagreement ? h('span', { class: 'badge warn' }, t('mr_disagree')) : null,
    j.settled ? h('span', { class: 'badge ok' }, `${t('mr_settled')}（${t(`mr.${s.settlement.rule}`)}）`) : null,
    s.settlement?.note ? ` ${s.settlement.note}` : '');
  const act = async (call) => {
    try { await call(); await render(); } catch (err) { status(box, failText(err), 'error'); }
  };
  const forms = [];
  if (w.may_score && !j.settled) {
    const mine = s.reviews.find((r) => r.reviewer === USER?.id);
    const score = h('input', { type: 'number', min: 0, max: s.points, step: 0.01, required: true, inputmode: 'decimal', class: 'mr-score', value: mine?.score ?? '' });
    const comment = h('input', { type: 'text', maxlength: 1000, required: true, class: 'mr-comment', value: mine?.comment ?? '' });
    const give = () => act(() =>
      // reads: PUT /evaluation/reviews/{id}/submissions/{submission}/score joint.score
      api('PUT', `/evaluation/reviews/${id}/submissions/${s.id}/score`, { score: Number(score.value), comment: comment.value }));
    forms.push(h('form', { class: 'row mr-score-form', onsubmit: (e) => { e.preventDefault(); give(); } },
      field(`${t('mr_score')}（0–${s.points}）`, score), field(t('mr_comment'), comment), h('button', { type: 'submit' }, t('mr_give_score'))));
  }
  if (w.may_settle) {
    const score = h('input', { type: 'number', min: 0, max: s.points, step: 0.01, inputmode: 'decimal', class: 'mr-settle-score' });
    const note = h('input', { type: 'text', maxlength: 1000, class: 'mr-note' });
    const settle = (byHand) => act(() =>
      // reads: PUT /evaluation/reviews/{id}/submissions/{submission}/settlement joint.score
      api('PUT', `/evaluation/reviews/${id}/submissions/${s.id}/settlement`, byHand ? { score: Number(score.value), note: note.value } : { note: note.value || undefined }));
    forms.push(h('form', { class: 'row mr-settle-form', onsubmit: (e) => { e.preventDefault(); settle(true); } },
      field(t('mr_score'), score), field(t('mr_note'), note),
      h('button', { type: 'button', class: 'mr-settle-mean', disabled: !s.reviews.length, onclick: () => settle(false) }, t('mr_settle_mean')),
      h('button', { type: 'submit', class: 'mr-settle-hand' }, t('mr_settle_hand'))));
  }
  return h('li', { class: 'clause', 'data-submission': s.id },
    h('p', {}, h('strong', {}, `${s.region_name} · ${s.clause}`), h('span', { class: 'muted' }, ` ${time(s.submitted_at)}`)),
    h('p', {}, s.text),
    s.files.length ? h('p', {}, s.files.map((f) => h('a', { href: f.url, class: 'mr-file' }, f.name, ' '))) : null,
    scores, summary, ...forms, box);
}
