// The public questionnaire (问卷调查, no sign-in): XLSForm's `relevant`, one answer per device.

import { t } from './words.js';
import { api } from './api.js';
import { failText, field, h, status } from './dom.js';
import { sendForm } from './outbox.js';
import { register } from './router.js';

/** XLSForm's `relevant`, the subset the server reads (gridline_core::evaluation::relevant). */
function relevantHolds(src, values) {
  const tokens = [];
  const re = /\s*(\$\{[^}]*\}|'[^']*'|"[^"]*"|-?\d+(?:\.\d+)?|!=|<=|>=|[=<>(),]|[A-Za-z_][\w-]*)/y;
  let m;
  while (re.lastIndex < src.length && (m = re.exec(src))) tokens.push(m[1]);
  let i = 0;
  const value = (tok) => {
    if (tok.startsWith('${')) return values[tok.slice(2, -1).trim()] ?? '';
    if (tok.startsWith("'") || tok.startsWith('"')) return tok.slice(1, -1);
    return Number(tok);
  };
  const asText = (v) => (Array.isArray(v) ? v.join(' ') : String(v));
  const compare = (a, op, b) => {
    const [x, y] = [Number(asText(a)), Number(asText(b))];
    const numeric = asText(a) !== '' && asText(b) !== '' && !Number.isNaN(x) && !Number.isNaN(y);
    if (op === '=') return numeric ? x === y : asText(a) === asText(b);
    if (op === '!=') return numeric ? x !== y : asText(a) !== asText(b);
    if (!numeric) return false;
    return { '<': x < y, '<=': x <= y, '>': x > y, '>=': x >= y }[op];
  };
  const term = () => {
    const tok = tokens[i++];
    if (tok === '(') { const v = or(); i++; return v; }
    if (tok === 'not') { i++; const v = or(); i++; return !v; }
    if (tok === 'selected') { i++; const q = value(tokens[i++]); i++; const c = value(tokens[i++]); i++; return Array.isArray(q) ? q.includes(c) : asText(q) === asText(c); }
    if (['=', '!=', '<', '<=', '>', '>='].includes(tokens[i])) { const op = tokens[i++]; return compare(value(tok), op, value(tokens[i++])); }
    const v = value(tok);
    return Array.isArray(v) ? v.length > 0 : v !== '';
  };
  const and = () => { let v = term(); while (tokens[i] === 'and') { i++; v = term() && v; } return v; };
  const or = () => { let v = and(); while (tokens[i] === 'or') { i++; v = and() || v; } return v; };
  try { return or(); } catch { return true; }
}
const RESPONDENT_KEY = 'gridline.respondent';
/** This device's respondent key: one answer per device. */
function respondentKey() {
  let key = localStorage.getItem(RESPONDENT_KEY);
  if (!key) {
    key = `d-${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
    localStorage.setItem(RESPONDENT_KEY, key);
  }
  return key;
}

register('questionnaire_form', async () => {
  const token = location.pathname.split('/').pop();
  // reads: GET /public/questionnaires/{token} title open district.name streets[].code streets[].name form.sections[].label form.sections[].questions[].name form.sections[].questions[].label form.sections[].questions[].hint form.sections[].questions[].type form.sections[].questions[].required form.sections[].questions[].relevant form.sections[].questions[].choices
  const pub = await api('GET', `/public/questionnaires/${encodeURIComponent(token)}`);
  const head = [h('h1', {}, pub.title), h('p', { class: 'muted' }, `${t('qf_district')}：${pub.district.name}`)];
  const doneKey = `gridline.questionnaire.done.${token}`;
  if (localStorage.getItem(doneKey)) return [...head, h('p', { class: 'notice info', id: 'qf-done' }, t('qf_already'))];
  if (!pub.open) return [...head, h('p', { class: 'notice info', id: 'qf-closed' }, t('qf_closed'))];
  const box = h('div', { id: 'qf-status', 'aria-live': 'polite' });
  const street = h('select', { id: 'qf-street', required: true }, h('option', { value: '' }, t('qf_choose')), pub.streets.map((s) => h('option', { value: s.code }, s.name)));
  const blocks = [];
  const questions = pub.form.sections.flatMap((sec) => sec.questions);
  const read = () => {
    const values = {};
    for (const b of blocks) {
      if (b.hidden()) continue;
      const v = b.value();
      if (v !== null && v !== '' && !(Array.isArray(v) && !v.length)) values[b.q.name] = v;
    }
    return values;
  };
  const refresh = () => {
    const values = {};
    for (const b of blocks) {
      const shown = !b.q.relevant || relevantHolds(b.q.relevant, values);
      b.el.hidden = !shown;
      const v = shown ? b.value() : null;
      if (v !== null && v !== '' && !(Array.isArray(v) && !v.length)) values[b.q.name] = v;
    }
  };
  const question = (q) => {
    const name = `q-${q.name}`;
    let control;
    let value;
    if (q.type === 'single_choice' || q.type === 'satisfaction') {
      control = h('div', { class: 'choices', role: 'radiogroup' }, q.choices.map((c) => h('label', { class: 'choice' },
        h('input', { type: 'radio', name, value: c.name, onchange: refresh }), c.label)));
      value = () => control.querySelector('input:checked')?.value ?? null;
    } else if (q.type === 'multiple_choice') {
      control = h('div', { class: 'choices' }, q.choices.map((c) => h('label', { class: 'choice' },
        h('input', { type: 'checkbox', name, value: c.name, onchange: refresh }), c.label)));
      value = () => Array.from(control.querySelectorAll('input:checked'), (x) => x.value);
    } else if (q.type === 'integer' || q.type === 'decimal') {
      control = h('input', { type: 'number', inputmode: q.type === 'integer' ? 'numeric' : 'decimal', step: q.type === 'integer' ? 1 : 'any', id: name, oninput: refresh });
      value = () => (control.value === '' ? null : Number(control.value));
    } else if (q.type === 'text') {
      control = h('textarea', { id: name, rows: 3, maxlength: 2000, oninput: refresh });
      value = () => control.value.trim();
    } else {
      control = null;
      value = () => null;
    }
    const el = h('fieldset', { class: 'question', 'data-question': q.name },
      h('legend', {}, q.label, q.required ? h('span', { class: 'badge warn' }, ` ${t('qf_required')}`) : ''),
      q.hint ? h('p', { class: 'muted' }, q.hint) : null, control);
    const block = { q, el, value, hidden: () => el.hidden };
    blocks.push(block);
    return el;
  };
  const sections = pub.form.sections.map((sec) => h('section', { class: 'panel' }, sec.label ? h('h2', {}, sec.label) : null, sec.questions.map(question)));
  const form = h('form', { id: 'qf', class: 'questionnaire', onsubmit: async (e) => {
    e.preventDefault();
    refresh();
    const answers = read();
    const missing = questions.filter((q) => q.required && q.type !== 'note' && !blocks.find((b) => b.q === q).hidden() && answers[q.name] === undefined);
    if (!street.value || missing.length) {
      status(box, `${t('qf_missing')} ${[street.value ? null : t('qf_street'), ...missing.map((q) => q.label)].filter(Boolean).join('；')}`, 'error');
      return;
    }
    status(box, t('qf_pending'));
    const result = await sendForm(token, { respondent: respondentKey(), street: street.value, answers });
    if (result.offline) return status(box, t('qf_offline'));
    if (result.done && !result.err) {
      localStorage.setItem(doneKey, String(result.receipt.id));
      form.replaceWith(h('p', { class: 'notice info', id: 'qf-thanks' }, t('qf_thanks')));
      return;
    }
    const err = result.err;
    if (err.status === 429) return status(box, t('qf_too_many'), 'error');
    if (err.status === 409) {
      localStorage.setItem(doneKey, 'conflict');
      return status(box, err.message.includes('closed') || err.message.includes('not open') ? t('qf_closed') : t('qf_already'), 'error');
    }
    status(box, failText(err), 'error');
  } }, field(t('qf_street'), street), sections, h('button', { type: 'submit', class: 'primary', id: 'qf-send' }, t('qf_send')), box);
  refresh();
  return [...head, form];
});
