// The project ledger (重点工作项目台账): the office's board and tools, a member unit's projects, a project's page.

import { t } from './words.js';
import { api } from './api.js';
import { failText, field, grid, h, options, pct, section, spreadsheetForm, status, time } from './dom.js';
import { register, render } from './router.js';

const linesOf = (text) => text.split('\n').map((s) => s.trim()).filter(Boolean);

const lightBadge = (l) => (l ? h('span', { class: `badge light-${l}` }, t(`light.${l}`)) : '—');
const ledgerStatus = (s) => h('span', { class: `badge ledger-${s}` }, t(`ls.${s}`));

register('ledger', async () => {
  const params = new URLSearchParams(location.search);
  // reads: GET /ledger years[].year years[].closed_at members[].unit members[].name members[].contact_name members[].contact_phone office
  const index = await api('GET', '/ledger');
  if (!index.years.length) return [h('h1', {}, t('page.ledger')), h('p', { class: 'empty' }, t('empty'))];
  const year = Number(params.get('year')) || index.years[0].year;
  const query = new URLSearchParams();
  for (const name of ['class', 'unit', 'status']) if (params.get(name)) query.set(name, params.get(name));
  // reads: GET /ledger/{year} year.year year.classes year.closed_at key_tasks[].code key_tasks[].title items[].id items[].unit items[].unit_name items[].class items[].title items[].status items[].key_task_title items[].responsible items[].overdue_milestones items[].check.light items[].verdict.rating
  const ledger = await api('GET', `/ledger/${year}?${query}`);
  const go = (changes) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) { if (v) next.set(k, v); else next.delete(k); }
    history.pushState(null, '', `/ledger?${next}`);
    render();
  };
  const pick = (id, label, name, items) => field(label, h('select', { id, onchange: (e) => go({ [name]: e.target.value }) },
    options([['', t('all')], ...items], params.get(name) ?? '')));
  const filters = h('div', { class: 'inline ledger-filters', id: 'ledger-filters' },
    field(t('year'), h('select', { id: 'ledger-year', onchange: (e) => go({ year: e.target.value, class: '', unit: '', status: '' }) },
      options(index.years.map((y) => [String(y.year), `${y.year}${y.closed_at ? ' ✓' : ''}`]), String(year)))),
    pick('ledger-class', t('class'), 'class', ledger.year.classes.map((c) => [c, c])),
    index.office ? pick('ledger-unit', t('member'), 'unit', index.members.map((m) => [m.unit, m.name])) : null,
    pick('ledger-status', t('status'), 'status', ['proposed', 'returned', 'accepted', 'in_progress', 'checked', 'closure_submitted', 'closed', 'archived'].map((s) => [s, t(`ls.${s}`)])));
  const byClass = ledger.year.classes.map((c) => [c, ledger.items.filter((p) => p.class === c)]).filter(([, ps]) => ps.length);
  const tables = byClass.map(([c, ps]) => h('div', { class: 'ledger-class' }, h('h3', {}, `${c} · ${new Set(ps.map((p) => p.unit)).size} ${t('units_n')} ${ps.length} ${t('projects_n')}`),
    grid([t('member'), t('title'), t('key_task'), t('status'), t('mid_check'), t('rating'), t('overdue_milestones')], ps.map((p) => [
      p.unit_name, h('a', { href: `/ledger/projects/${p.id}` }, p.title), p.key_task_title ?? '—', ledgerStatus(p.status), lightBadge(p.check?.light),
      p.verdict ? t(`rating.${p.verdict.rating}`) : '—', p.overdue_milestones ? h('span', { class: 'badge bad' }, p.overdue_milestones) : '0']))));
  const projects = section(index.office ? t('ledger_projects') : t('my_projects'), filters, tables.length ? tables : h('p', { class: 'empty' }, t('empty')));
  const head = [h('h1', {}, `${t('page.ledger')} · ${year}`), ledger.year.closed_at ? h('p', { class: 'notice info' }, t('year_closed')) : null];
  const reminders = ledger.year.closed_at ? null : await ledgerReminders(year);
  // The office starts from the board; a member unit from its own reminders, projects and, while the year is open, its proposal.
  if (index.office) return [...head, await ledgerBoard(year), reminders, projects, await ledgerReport(year), ledger.year.closed_at ? null : ledgerTools(year)].filter(Boolean);
  return [...head, reminders, projects, ledger.year.closed_at ? null : proposeForm(ledger)].filter(Boolean);
});

async function ledgerReminders(year) {
  // reads: GET /ledger/{year}/reminders [].project_id [].unit_name [].title [].kind [].milestone [].reported [].due [].days_left
  const items = await api('GET', `/ledger/${year}/reminders`);
  const what = (r) => `${t(`rk.${r.kind}`)}${r.milestone ? `：${r.milestone}` : ''}${r.kind === 'mid_year_check' && !r.reported ? t('rk.no_report') : ''}`;
  const left = (r) => (r.days_left === null || r.days_left === undefined ? '—'
    : r.days_left < 0 ? h('span', { class: 'badge bad' }, `${t('late_by')} ${-r.days_left}`) : String(r.days_left));
  return section(`${t('reminders')} (${items.length})`, grid([t('member'), t('title'), t('matter'), t('due_on'), t('days_left')],
    items.slice(0, 100).map((r) => [r.unit_name, h('a', { href: `/ledger/projects/${r.project_id}` }, r.title), what(r), r.due ?? '—', left(r)]), 'ledger-reminders'));
}

/** The office's import of a year's spreadsheet and the year's closing. */
function ledgerTools(year) {
  const accept = h('input', { type: 'checkbox', id: 'ledger-import-accept' });
  const importForm = spreadsheetForm('ledger-import', t('import_file'), t('import_ledger'), async (query, body) => {
    if (accept.checked) query.set('accept', 'true');
    // reads: POST /ledger/{year}/import projects units
    const done = await api('POST', `/ledger/${year}/import?${query}`, body);
    return `${t('imported')} ${done.projects} ${t('projects_n')}（${done.units} ${t('units_n')}）`;
  }, h('label', { class: 'inline' }, accept, ` ${t('import_accept')}`));
  const closeBox = h('div', { id: 'ledger-close-result' });
  const closeButton = h('button', { type: 'button', id: 'ledger-close', onclick: async () => {
    if (!confirm(t('close_year_confirm'))) return;
    try {
      // reads: POST /ledger/{year}/close closed_at
      await api('POST', `/ledger/${year}/close`);
      await render();
    } catch (err) {
      status(closeBox, failText(err), 'error');
    }
  } }, t('close_year'));
  return section(t('ledger_tools'), importForm, h('div', { class: 'stack' }, closeButton, closeBox));
}

async function ledgerBoard(year) {
  // reads: GET /ledger/{year}/summary units projects by_class[].class by_class[].units by_class[].projects by_class[].by_status[].status by_class[].by_status[].count lights.green lights.yellow lights.red lights.unchecked overdue[].project_id overdue[].unit_name overdue[].title overdue[].milestone overdue[].due overdue[].days_late not_reported[].name not_reported[].contact_name not_reported[].contact_phone not_proposed[].name
  const board = await api('GET', `/ledger/${year}/summary`);
  const statuses = ['proposed', 'accepted', 'in_progress', 'checked', 'closure_submitted', 'closed', 'archived'];
  const late = board.overdue;
  return section(`${t('ledger_board')} · ${board.units} ${t('units_n')} ${board.projects} ${t('projects_n')}`,
    grid([t('class'), t('member'), t('total'), ...statuses.map((s) => t(`ls.${s}`))], board.by_class.map((c) => [c.class, c.units, c.projects,
      ...statuses.map((s) => c.by_status.find((x) => x.status === s)?.count ?? 0)]), 'ledger-counts'),
    h('p', { id: 'ledger-lights' }, `${t('lights')}: `, lightBadge('green'), ` ${board.lights.green}  `, lightBadge('yellow'), ` ${board.lights.yellow}  `,
      lightBadge('red'), ` ${board.lights.red}  · ${t('unchecked')} ${board.lights.unchecked}`),
    h('h3', {}, `${t('overdue_milestones')} (${late.length})`),
    grid([t('member'), t('title'), t('milestones'), t('due_on'), t('days_late')], late.slice(0, 50).map((o) => [o.unit_name,
      h('a', { href: `/ledger/projects/${o.project_id}` }, o.title), o.milestone, o.due, o.days_late]), 'ledger-overdue'),
    h('h3', {}, `${t('not_reported')} (${board.not_reported.length})`),
    h('p', { id: 'ledger-not-reported' }, board.not_reported.map((u) => `${u.name}（${u.contact_name} ${u.contact_phone}）`).join('；') || t('none')),
    h('h3', {}, `${t('not_proposed')} (${board.not_proposed.length})`), h('p', {}, board.not_proposed.map((u) => u.name).join('、') || t('none')));
}

async function ledgerReport(year) {
  // reads: GET /ledger/{year}/report headline outcomes.completed outcomes.partly outcomes.not_completed outcomes.completion_rate classes[].class classes[].lead classes[].outcomes.completion_rate classes[].examples[].unit_name classes[].examples[].title classes[].examples[].excerpt commended[].name commended[].excellent
  const report = await api('GET', `/ledger/${year}/report`);
  return section(t('ledger_report'), h('p', { id: 'ledger-headline' }, report.headline),
    h('p', {}, `${t('outcome.completed')} ${report.outcomes.completed} · ${t('outcome.partly')} ${report.outcomes.partly} · ${t('outcome.not_completed')} ${report.outcomes.not_completed} · ${t('completion_rate')} ${pct(report.outcomes.completion_rate)}`),
    report.classes.map((c) => h('div', { class: 'ledger-report-class' }, h('h3', {}, `${c.class}（${t('completion_rate')} ${pct(c.outcomes.completion_rate)}）`),
      h('p', {}, `${c.lead}。`, c.examples.map((e) => e.excerpt).join('')))),
    h('p', {}, `${t('commended')}: `, report.commended.map((u) => `${u.name}（${t('rating.excellent')} ${u.excellent}）`).join('、') || t('none')));
}

/** The fields of a draft: what a unit proposes and revises. */
function draftFields(ledger, prefix, d) {
  const c = {
    class: h('select', { id: `${prefix}-class`, required: true }, options(ledger.year.classes.map((x) => [x, x]), d?.class)),
    key_task: h('select', { id: `${prefix}-key-task`, required: true }, options(ledger.key_tasks.map((k) => [k.code, `${k.code} ${k.title}`]), d?.key_task)),
    title: h('input', { id: `${prefix}-title`, required: true, maxlength: 100, value: d?.title ?? '' }),
    goals: h('textarea', { id: `${prefix}-goals`, required: true, rows: 2 }, d?.goals ?? ''),
    measures: h('textarea', { id: `${prefix}-measures`, required: true, rows: 2 }, d?.measures ?? ''),
    milestones: h('textarea', { id: `${prefix}-milestones`, required: true, rows: 3, placeholder: t('milestones_hint') },
      (d?.milestones ?? []).map((m) => `${m.due} ${m.title}`).join('\n')),
    responsible: h('input', { id: `${prefix}-responsible`, required: true, maxlength: 50, value: d?.responsible ?? '' }),
    evidence: h('input', { id: `${prefix}-evidence`, required: true, value: d?.evidence ?? '' }),
  };
  const read = () => ({
    class: c.class.value, key_task: c.key_task.value, title: c.title.value.trim(), goals: c.goals.value.trim(), measures: c.measures.value.trim(),
    milestones: linesOf(c.milestones.value).map((line) => { const [due, ...rest] = line.split(/\s+/); return { due, title: rest.join(' ') }; }),
    responsible: c.responsible.value.trim(), evidence: c.evidence.value.trim(),
  });
  const labels = { class: 'class', key_task: 'key_task', title: 'title', goals: 'goals', measures: 'measures', milestones: 'milestones', responsible: 'responsible', evidence: 'evidence' };
  return [Object.entries(c).map(([name, control]) => field(t(labels[name]), control)), read];
}

function proposeForm(ledger) {
  const box = h('div', {});
  const [fields, read] = draftFields(ledger, 'propose');
  return section(t('propose'), h('form', { id: 'ledger-propose', onsubmit: async (e) => {
    e.preventDefault();
    try {
      // reads: POST /ledger/projects project.id
      const created = await api('POST', '/ledger/projects', { year: ledger.year.year, draft: read() });
      location.assign(`/ledger/projects/${created.project.id}`);
    } catch (err) { status(box, failText(err), 'error'); }
  } }, h('div', { class: 'grid2' }, fields), h('button', { type: 'submit', class: 'primary' }, t('propose')), box));
}

/** The fields of each action on a project: [name, kind, label]. */
const LEDGER_ACTION_FIELDS = {
  return: [['guidance', 'textarea', 'guidance']], accept: [['note', 'text', 'note_optional']],
  report: [['text', 'textarea', 'text'], ['milestones_done', 'milestones', 'milestones']],
  check: [['assessment', 'textarea', 'assessment'], ['comment', 'textarea', 'comment'], ['light', 'light', 'lights']],
  submit_closure: [['outcome', 'outcome', 'outcome'], ['summary', 'textarea', 'summary'], ['evidence', 'text', 'evidence']],
  close: [['outcome', 'outcome', 'outcome'], ['rating', 'rating', 'rating'], ['comment', 'textarea', 'comment']],
  pick_example: [['excerpt', 'textarea', 'excerpt']], archive: [],
};

function ledgerActionForm(page, action, onDone) {
  const p = page.project;
  const box = h('div', {});
  if (action === 'revise') {
    const [fields, read] = draftFields({ year: page.year, key_tasks: [{ code: p.key_task, title: p.key_task_title ?? '' }] }, 'revise', p);
    return h('form', { class: 'action-form', 'data-action': action, onsubmit: async (e) => {
      e.preventDefault();
      try { onDone(await ledgerAct(p.id, { action, draft: read() })); } catch (err) { status(box, failText(err), 'error'); }
    } }, h('h3', {}, t('la.revise')), fields, h('button', { type: 'submit', class: 'primary' }, t('la.revise')), box);
  }
  const controls = LEDGER_ACTION_FIELDS[action].map(([name, kind, label]) => {
    const id = `${action}-${name}`;
    let control;
    if (kind === 'textarea') control = h('textarea', { id, rows: 2, required: true, maxlength: 4000 });
    else if (kind === 'light') control = h('select', { id }, options(['green', 'yellow', 'red'].map((l) => [l, t(`light.${l}`)])));
    else if (kind === 'outcome') control = h('select', { id }, options(['completed', 'partly', 'not_completed'].map((o) => [o, t(`outcome.${o}`)])));
    else if (kind === 'rating') control = h('select', { id }, options(['excellent', 'good', 'fair', 'poor'].map((r) => [r, t(`rating.${r}`)]), 'good'));
    else if (kind === 'milestones') control = h('select', { id, multiple: true }, p.milestones.map((m, i) => h('option', { value: i, disabled: Boolean(m.done_on) }, `${m.due} ${m.title}`)));
    else control = h('input', { id, required: name !== 'note', maxlength: 4000 });
    return [name, kind, label, control];
  });
  return h('form', { class: 'action-form', 'data-action': action, onsubmit: async (e) => {
    e.preventDefault();
    const body = { action };
    for (const [name, kind, , control] of controls) {
      if (kind === 'milestones') body[name] = [...control.selectedOptions].map((o) => Number(o.value));
      else if (control.value.trim()) body[name] = control.value.trim();
    }
    try { onDone(await ledgerAct(p.id, body)); } catch (err) { status(box, failText(err), 'error'); }
  } }, h('h3', {}, t(`la.${action}`)), controls.map(([, , label, control]) => field(t(label), control)),
  h('button', { type: 'submit', class: 'primary' }, t(`la.${action}`)), box);
}

// fields @project: project.id project.year project.unit project.unit_name project.class project.title project.status project.key_task project.key_task_title project.goals project.measures project.milestones[].title project.milestones[].due project.milestones[].done_on project.responsible project.evidence project.guidance project.reports[].text project.reports[].at project.check.light project.check.assessment project.check.comment project.closure.outcome project.closure.summary project.closure.evidence project.verdict.outcome project.verdict.rating project.verdict.comment project.example project.actions year.year year.classes history[].seq history[].at history[].by history[].role history[].change.action
async function ledgerAct(id, body) {
  // reads: POST /ledger/projects/{id}/actions @project
  return api('POST', `/ledger/projects/${id}/actions`, body);
}

register('ledger_project', async () => {
  const id = Number(location.pathname.split('/').pop());
  // reads: GET /ledger/projects/{id} @project
  const page = await api('GET', `/ledger/projects/${id}`);
  return drawLedgerProject(page);
});

function drawLedgerProject(page) {
  const p = page.project;
  const rows = [[t('member'), p.unit_name], [t('year'), p.year], [t('class'), p.class], [t('key_task'), p.key_task_title ?? p.key_task],
    [t('status'), ledgerStatus(p.status)], [t('goals'), p.goals], [t('measures'), p.measures], [t('responsible'), p.responsible], [t('evidence'), p.evidence],
    [t('guidance'), p.guidance ?? '—']];
  const milestones = grid([t('milestones'), t('due_on'), t('status')], p.milestones.map((m) => [m.title, m.due, m.done_on ? `✓ ${m.done_on}` : '—']), 'ledger-milestones');
  const reports = h('ol', { class: 'timeline', id: 'ledger-reports' }, p.reports.map((r) => h('li', {}, h('time', { datetime: r.at }, time(r.at)), ' ', r.text)));
  const outcome = [
    p.check ? h('p', { id: 'ledger-check' }, `${t('mid_check')}: `, lightBadge(p.check.light), ` ${p.check.assessment} · ${p.check.comment}`) : null,
    p.closure ? h('p', { id: 'ledger-closure' }, `${t('closure')}（${t(`outcome.${p.closure.outcome}`)}）: ${p.closure.summary} · ${p.closure.evidence}`) : null,
    p.verdict ? h('p', { id: 'ledger-verdict' }, `${t('verdict')}: ${t(`outcome.${p.verdict.outcome}`)} · ${t(`rating.${p.verdict.rating}`)} · ${p.verdict.comment}`) : null,
    p.example ? h('p', {}, `${t('example')}: ${p.example}`) : null];
  const history = h('ol', { class: 'timeline', id: 'ledger-history' }, page.history.map((e) => h('li', {},
    h('time', { datetime: e.at }, time(e.at)), ' ', h('strong', {}, t(`la.${e.change.action}`)), ` · ${e.by} (${t(`role.${e.role}`)})`)));
  const onDone = (updated) => { document.getElementById('main').replaceChildren(...drawLedgerProject(updated)); };
  const actions = h('div', { id: 'ledger-actions' }, p.actions.map((a) => ledgerActionForm(page, a, onDone)));
  return [h('p', {}, h('a', { href: `/ledger?year=${p.year}` }, `← ${t('page.ledger')} ${p.year}`)),
    h('h1', {}, `${p.title} `, ledgerStatus(p.status)),
    h('div', { class: 'columns' }, h('div', {}, section(t('page.ledger_project'), h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))),
      section(t('milestones'), milestones), section(t('reports'), p.reports.length ? reports : h('p', { class: 'empty' }, t('empty')), ...outcome)),
    h('div', {}, p.actions.length ? section(t('actions'), actions) : null, section(t('timeline'), history)))];
}
