// Evaluation (测评): the office's rankings, the month's notice, satisfaction, findings and health reports.

import { USER } from './page.js';
import { t } from './words.js';
import { api } from './api.js';
import { failText, field, grid, h, options, score1, section, spreadsheetForm, status, thisMonth, time } from './dom.js';
import { register, render } from './router.js';

/** The office's rankings (GET /evaluation/scores) and a district's health report. */
register('evaluation', async () => {
  const params = new URLSearchParams(location.search);
  const period = params.get('period') || thisMonth();
  const level = params.get('level') === 'street' ? 'street' : 'district';
  const go = (changes) => {
    const next = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(changes)) { if (v) next.set(k, v); else next.delete(k); }
    history.pushState(null, '', `/evaluation?${next}`);
    render();
  };
  const periodInput = h('input', { id: 'ev-period', value: period, pattern: '\\d{4}-\\d{2}(\\.\\.\\d{4}-\\d{2})?', size: 18 });
  const levelSelect = h('select', { id: 'ev-level' }, options([['district', t('ev.district')], ['street', t('ev.street')]], level));
  const form = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); go({ period: periodInput.value.trim(), level: levelSelect.value }); } },
    field(t('period'), periodInput), field(t('ev_level'), levelSelect), h('button', { type: 'submit' }, t('refresh')));
  // reads: GET /evaluation/scores weights.field_check items[].code items[].name items[].rank items[].score items[].field_check items[].questionnaire items[].material_review items[].platform_data items[].points_checked items[].movement items[].insufficient_sample
  const scores = await api('GET', `/evaluation/scores?period=${encodeURIComponent(period)}&level=${level}`);
  const move = (m) => (m === null || m === undefined ? '—' : m > 0 ? `↑${m}` : m < 0 ? `↓${-m}` : '—');
  const here = `/evaluation?period=${encodeURIComponent(period)}&level=${level}`;
  const rows = scores.items.map((r) => [r.insufficient_sample ? h('span', { class: 'badge muted' }, t('ev_insufficient')) : (r.rank ?? '—'),
    level === 'district' ? h('a', { href: `${here}&report=${r.code}` }, r.name) : r.name,
    score1(r.score), r.field_check === null || r.field_check === undefined ? '—' : h('a', { href: `${here}&findings=${r.code}`, class: 'ev-findings-link', title: t('ev_findings') }, score1(r.field_check)),
    score1(r.questionnaire), score1(r.material_review), score1(r.platform_data), r.points_checked, move(r.movement)]);
  const content = [h('h1', {}, t('page.evaluation')), form,
    section(`${t('rankings')} · ${period}`, grid([t('rank'), level === 'district' ? t('district') : t('region'), t('ev_composite'), t('ev_field'), t('ev_questionnaire'), t('ev_material'),
      t('ev_platform'), t('ev_points_checked'), t('movement')], rows, 'ev-scores'), h('p', { class: 'hint' }, t('ev_findings_hint')))];
  // What was asked for comes first, above the long ranking.
  const findings = params.get('findings');
  if (findings) content.splice(2, 0, await findingsSection(findings, period));
  if (/^\d{4}-\d{2}$/.test(period)) content.push(await evaluationNotice(period, level));
  content.push(await satisfactionSection(period, level));
  const report = params.get('report');
  if (report) content.splice(2, 0, await healthReport(report, period));
  if (['dispatcher', 'supervisor', 'admin'].includes(USER.role)) content.push(pointsImport());
  return content;
});

/** The office registers inspection points (点位) from its spreadsheet. */
function pointsImport() {
  const form = spreadsheetForm('points-import', t('ev_points_file'), t('ev_import_points'), async (query, body) => {
    // reads: POST /evaluation/points/import items[].region
    const done = await api('POST', `/evaluation/points/import?${query}`, body);
    return `${t('imported')} ${done.items.length} ${t('ev_points_n')}（${new Set(done.items.map((p) => p.region)).size} ${t('ev_streets_n')}）`;
  });
  return section(t('ev_points_registry'), h('p', { class: 'hint' }, t('ev_points_columns')), form);
}

/** The month's notice: the office's 点评 (editable) and the interview (约谈) list. */
async function evaluationNotice(month, level) {
  // reads: GET /evaluation/notice comments[].region comments[].region_name comments[].text interview[].name interview[].rank interview[].score bottom
  const notice = await api('GET', `/evaluation/notice?month=${month}&level=${level}`);
  const box = h('div', { id: 'ev-comment-status', 'aria-live': 'polite' });
  const region = h('input', { id: 'ev-comment-region', size: 14, pattern: '\\d{12}' });
  const text = h('textarea', { id: 'ev-comment-text', rows: 3, maxlength: 5000, required: true },
    notice.comments.find((c) => c.region === '')?.text ?? '');
  const form = h('form', { id: 'ev-comment', onsubmit: async (e) => {
    e.preventDefault();
    try {
      // reads: PUT /evaluation/comments region text
      await api('PUT', '/evaluation/comments', { month, region: region.value.trim() || undefined, text: text.value });
      status(box, t('ev_saved'));
      await render();
    } catch (err) { status(box, failText(err), 'error'); }
  } }, field(t('ev_comment_region'), region), field(t('ev_comment'), text), h('button', { type: 'submit' }, t('ev_comment_save')), box);
  return section(`${t('ev_notice')} · ${month}`,
    h('div', { id: 'ev-comments' }, notice.comments.map((c) => h('p', {}, h('strong', {}, `${c.region ? c.region_name : t('ev_comment_city')}：`), c.text))),
    h('h3', {}, `${t('ev_interview')}（${t('ev_interview_hint')}，${notice.bottom}）`),
    grid([t('rank'), t('region'), t('ev_composite')], notice.interview.map((r) => [r.rank, r.name, score1(r.score)]), 'ev-interview'), form);
}

/** The satisfaction index of the period with its sample sizes and margins of error. */
async function satisfactionSection(period, level) {
  // reads: GET /questionnaires/satisfaction city.n city.mean city.margin items[].name items[].n items[].mean items[].margin
  const index = await api('GET', `/questionnaires/satisfaction?period=${encodeURIComponent(period)}&level=${level}`);
  const margin = (m) => (m === null || m === undefined ? '—' : `±${m.toFixed(1)}`);
  return section(`${t('ev_satisfaction')} · ${period}`,
    h('p', {}, `${t('city')} ${score1(index.city.mean)} ${margin(index.city.margin)} · ${t('ev_respondents')} ${index.city.n}`),
    grid([t('region'), t('ev_satisfaction'), t('ev_margin'), t('ev_respondents')],
      index.items.filter((r) => r.n > 0).map((r) => [r.name, score1(r.mean), margin(r.margin), r.n]), 'ev-satisfaction'));
}

/** 体检报告 of a district (GET /evaluation/health-report). */
/** What a district's or street's field-check score lost points on, answer by answer. */
async function findingsSection(region, period) {
  // reads: GET /evaluation/findings name lost possible truncated items[].month items[].round_name items[].point_name items[].point_code items[].region_name items[].clause items[].clause_text items[].count items[].note items[].earned items[].possible items[].case_id items[].rectification
  const f = await api('GET', `/evaluation/findings?region=${encodeURIComponent(region)}&period=${encodeURIComponent(period)}`);
  const rows = f.items.map((i) => [i.month, i.round_name, `${i.point_name}（${i.point_code}）`, i.region_name, `${i.clause} ${i.clause_text}`,
    [i.count ? `${i.count} ${t('ev_found_n')}` : '', i.note ?? ''].filter(Boolean).join(' · ') || '—', `${score1(i.earned)} / ${score1(i.possible)}`,
    i.case_id ? h('a', { href: `/cases/${i.case_id}` }, `#${i.case_id}`) : '—', i.rectification ? t(`rect.${i.rectification}`) : '—']);
  return h('section', { class: 'panel', id: 'ev-findings', 'aria-label': t('ev_findings') },
    h('h2', {}, `${f.name} ${t('ev_findings')} · ${period}`),
    h('p', {}, `${t('ev_lost_of')} ${score1(f.lost)} / ${score1(f.possible)}`, f.truncated ? ` · ${t('ev_findings_truncated')}` : ''),
    f.items.length ? grid([t('period'), t('ev_round'), t('place'), t('region'), t('ev_checklist'), t('ev_finding'), t('ev_earned'), t('ev_case'), t('ev_rectification')], rows, 'ev-findings-table')
      : h('p', { class: 'empty' }, t('empty')));
}

async function healthReport(region, period) {
  // reads: GET /evaluation/health-report name period score.score score.rank city_average best_district.name best_district.score categories[].name categories[].score categories[].city_average categories[].best_district items[].code items[].name items[].score items[].city_average items[].best_district lost_most[].code lost_most[].text lost_most[].lost lost_most[].score repeat_failures[].point.name repeat_failures[].rounds_failed repeat_failures[].clauses problem_volume[].category_name problem_volume[].hotline problem_volume[].grid trend[].month trend[].score trend[].rank trend[].city_average open_rectifications[].point_name open_rectifications[].check.clause open_rectifications[].check.case_id open_rectifications[].check.answered_at open_rectifications[].case_status
  const r = await api('GET', `/evaluation/health-report?region=${encodeURIComponent(region)}&period=${encodeURIComponent(period)}`);
  const line = (l) => [l.code ?? '', l.name, score1(l.score), score1(l.city_average), score1(l.best_district)];
  const heads = [t('id'), t('ev_items'), t('score'), t('ev_city_avg'), t('ev_best')];
  return h('section', { class: 'panel', id: 'ev-report', 'aria-label': t('ev_report') },
    h('h2', {}, `${r.name} ${t('ev_report')} · ${period}`),
    h('p', {}, `${t('ev_composite')} ${score1(r.score.score)} · ${t('rank')} ${r.score.rank ?? '—'} · ${t('ev_city_avg')} ${score1(r.city_average)}`,
      r.best_district ? ` · ${t('ev_best')} ${r.best_district.name} ${score1(r.best_district.score)}` : ''),
    h('h3', {}, t('ev_categories')), grid(heads, r.categories.map(line), 'ev-categories'),
    h('h3', {}, t('ev_items')), grid(heads, r.items.map(line), 'ev-items'),
    h('h3', {}, t('ev_lost')), grid([t('id'), t('description'), t('ev_lost_points'), t('score')], r.lost_most.map((l) => [l.code, l.text, score1(l.lost), score1(l.score)]), 'ev-lost'),
    h('h3', {}, t('ev_repeat')), grid([t('place'), t('ev_rounds_failed'), t('ev_checklist')], r.repeat_failures.map((f) => [f.point.name, f.rounds_failed, f.clauses.join('、')]), 'ev-repeat'),
    h('h3', {}, t('ev_volume')), grid([t('category'), t('ev_hotline'), t('ev_grid')], r.problem_volume.map((v) => [v.category_name ?? v.category, v.hotline, v.grid]), 'ev-volume'),
    h('h3', {}, t('ev_trend')), grid([t('period'), t('score'), t('rank'), t('ev_city_avg')], r.trend.map((p) => [p.month, score1(p.score), p.rank ?? '—', score1(p.city_average)]), 'ev-trend'),
    h('h3', {}, t('ev_open')), grid([t('place'), t('ev_checklist'), t('ev_case'), t('status'), t('received_at')], r.open_rectifications.map((o) => [o.point_name, o.check.clause,
      o.check.case_id ? h('a', { href: `/cases/${o.check.case_id}` }, `#${o.check.case_id}`) : '—', o.case_status ? t(`status.${o.case_status}`) : '—', time(o.check.answered_at)]), 'ev-open'));
}
