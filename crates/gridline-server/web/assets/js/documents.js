// Documents (公文): issued ones listed and searched; a 简报 or report composed, previewed, issued, downloaded.

import { t } from './words.js';
import { api } from './api.js';
import { failText, field, grid, h, options, saveFile, section, status, thisMonth, time } from './dom.js';
import { districts } from './reference.js';
import { register, render } from './router.js';

const DOC_KINDS = ['bulletin', 'notice', 'supervision_order', 'health_report', 'ledger_report', 'alley_rollcall'];
const SECTIONS = ['重要会议', '创新案例', '工作动态', '经验交流', '基层风采'];

register('documents', async () => {
  const params = new URLSearchParams(location.search);
  const query = new URLSearchParams();
  if (params.get('kind')) query.set('kind', params.get('kind'));
  if (params.get('q')) query.set('q', params.get('q'));
  // reads: GET /documents items[].id items[].kind_label items[].title items[].year items[].number items[].total items[].issued_at items[].corrects items[].pdf_sha256
  const list = await api('GET', `/documents?${query}`);
  const go = (changes) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) { if (v) next.set(k, v); else next.delete(k); }
    history.pushState(null, '', `/documents?${next}`);
    render();
  };
  const kindSelect = h('select', { id: 'doc-filter-kind' }, options([['', t('all')], ...DOC_KINDS.map((k) => [k, t(`dk.${k}`)])], params.get('kind') ?? ''));
  const search = h('input', { id: 'doc-search', type: 'search', value: params.get('q') ?? '' });
  const filters = h('form', { class: 'inline', id: 'doc-filters', onsubmit: (e) => { e.preventDefault(); go({ kind: kindSelect.value, q: search.value.trim() }); } },
    field(t('doc_kind'), kindSelect), field(t('doc_search'), search), h('button', { type: 'submit' }, t('filter')));
  const message = h('div', { 'aria-live': 'polite' });
  const download = async (d, format) => {
    try {
      // reads: GET /documents/{id}/file blob
      const file = await api('GET', `/documents/${d.id}/file?format=${format}`);
      saveFile(file, `${d.kind_label}-${d.year}-${d.number}.${format}`);
    } catch (err) { status(message, failText(err), 'error'); }
  };
  const number = (d) => t('doc_no').replace('{n}', d.number).replace('{t}', d.total);
  const issued = section(t('doc_issued'), filters, message, grid([t('id'), t('doc_kind'), t('title'), t('doc_number'), t('doc_issued_at'), t('doc_download')],
    list.items.map((d) => [d.id, d.kind_label, d.corrects ? `${d.title}（更正 #${d.corrects}）` : d.title, `${d.year} · ${number(d)}`, time(d.issued_at),
      h('span', { class: 'inline' }, h('button', { type: 'button', 'data-download': `${d.id}-pdf`, onclick: () => download(d, 'pdf') }, 'PDF'),
        h('button', { type: 'button', 'data-download': `${d.id}-docx`, onclick: () => download(d, 'docx') }, 'DOCX'))]), 'doc-list'));
  return [h('h1', {}, t('page.documents')), await composer(), issued];
});

/** One article of a 简报 being composed. */
function articleFields(n, onChange, onRemove) {
  const input = (name, attrs = {}) => h('input', { name, required: true, oninput: onChange, ...attrs });
  const sectionInput = input('section', { list: 'doc-sections', value: SECTIONS[0] });
  return h('fieldset', { class: 'doc-article', 'data-article': n }, h('legend', {}, `${t('doc_articles')} ${n}`),
    field(t('doc_section'), sectionInput), field(t('title'), input('title')),
    field(t('doc_body'), h('textarea', { name: 'body', rows: 6, required: true, oninput: onChange })), field(t('doc_office'), input('office', { value: '综合协调处' })),
    h('button', { type: 'button', class: 'secondary', onclick: onRemove }, t('doc_remove')));
}

/** Compose a document, preview it in the page, issue exactly what was previewed. */
async function composer() {
  const kind = h('select', { id: 'doc-kind' }, options(DOC_KINDS.map((k) => [k, t(`dk.${k}`)]), 'bulletin'));
  const message = h('div', { id: 'doc-message', 'aria-live': 'polite' });
  const frame = h('iframe', { id: 'doc-preview', title: t('doc_preview'), hidden: true });
  let previewed = null;
  const changed = () => { if (previewed) { previewed = null; status(message, t('doc_changed'), 'info'); } };
  const articles = h('div', { id: 'doc-articles' });
  let count = 0;
  const addArticle = () => {
    const el = articleFields(++count, changed, () => { el.remove(); changed(); });
    articles.append(el);
  };
  addArticle();
  // The month before this one (Beijing time): the last whole month of data.
  const [y, m] = thisMonth().split('-').map(Number);
  const lastMonth = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  // The last whole quarter: the one before this month's.
  const q = Math.floor((m - 1) / 3);
  const lastQuarter = q === 0 ? `${y - 1}-Q4` : `${y}-Q${q}`;
  const regions = await districts();
  const controls = {
    quarter: h('input', { id: 'doc-quarter', value: lastQuarter, pattern: '\\d{4}-Q[1-4]', oninput: changed }),
    scope: h('select', { id: 'doc-scope', onchange: changed }, options([['', t('doc_city')], ...regions.map((r) => [r.code, r.name])], '')),
    period: h('input', { id: 'doc-period', value: lastMonth, pattern: '\\d{4}-\\d{2}(\\.\\.\\d{4}-\\d{2})?', oninput: changed }),
    level: h('select', { id: 'doc-level', onchange: changed }, options([['district', t('ev.district')], ['street', t('ev.street')], ['unit', t('unit')]], 'district')),
    region: h('select', { id: 'doc-region', onchange: changed }, options(regions.map((r) => [r.code, r.name]), regions[0]?.code)),
    year: h('input', { id: 'doc-year', type: 'number', value: new Date().getFullYear() - 1, min: 2000, max: 2100, oninput: changed }),
    order: h('input', { id: 'doc-order', type: 'number', min: 1, oninput: changed }),
    corrects: h('input', { id: 'doc-corrects', type: 'number', min: 1, oninput: changed }),
  };
  const fieldsOf = {
    bulletin: [articles, h('datalist', { id: 'doc-sections' }, SECTIONS.map((x) => h('option', { value: x }))),
      h('button', { type: 'button', id: 'doc-add-article', onclick: () => { addArticle(); changed(); } }, t('doc_add_article'))],
    notice: [field(t('period'), controls.period), field(t('doc_level'), controls.level)],
    supervision_order: [field(t('doc_order'), controls.order)],
    health_report: [field(t('doc_region'), controls.region), field(t('period'), controls.period)],
    ledger_report: [field(t('year'), controls.year)],
    alley_rollcall: [field(t('doc_quarter'), controls.quarter), field(t('doc_region'), controls.scope)],
  };
  const body = h('div', { id: 'doc-fields' });
  const showKind = () => { body.replaceChildren(...fieldsOf[kind.value]); changed(); };
  kind.addEventListener('change', showKind);
  showKind();
  const request = () => {
    const k = kind.value;
    const document = { kind: k };
    if (k === 'bulletin') {
      document.articles = [...articles.querySelectorAll('.doc-article')].map((el) => Object.fromEntries(
        ['section', 'title', 'body', 'office'].map((name) => [name, el.querySelector(`[name=${name}]`).value.trim()])));
    }
    if (k === 'notice') Object.assign(document, { period: controls.period.value.trim(), level: controls.level.value });
    if (k === 'supervision_order') document.order = Number(controls.order.value);
    if (k === 'health_report') Object.assign(document, { region: controls.region.value, period: controls.period.value.trim() });
    if (k === 'ledger_report') document.year = Number(controls.year.value);
    if (k === 'alley_rollcall') Object.assign(document, { quarter: controls.quarter.value.trim(), ...(controls.scope.value ? { region: controls.scope.value } : {}) });
    const corrects = Number(controls.corrects.value) || null;
    return corrects ? { document, corrects } : { document };
  };
  const preview = async () => {
    status(message, t('loading'));
    try {
      // reads: POST /documents/preview blob sha256
      const file = await api('POST', '/documents/preview?format=pdf', request());
      if (frame.src) URL.revokeObjectURL(frame.src);
      frame.src = URL.createObjectURL(file.blob);
      frame.hidden = false;
      previewed = file.sha256;
      status(message, `${t('doc_previewed')} ${file.sha256}`, 'info');
    } catch (err) { previewed = null; status(message, failText(err), 'error'); }
  };
  const issue = async () => {
    if (!previewed) { status(message, t('doc_preview_first'), 'error'); return; }
    try {
      // reads: POST /documents id kind_label title year number total
      const doc = await api('POST', '/documents', { ...request(), snapshot_sha256: previewed });
      status(message, `${t('doc_issued_ok')}: #${doc.id} ${doc.kind_label} ${doc.year} ${t('doc_no').replace('{n}', doc.number).replace('{t}', doc.total)}《${doc.title}》`, 'ok');
      previewed = null;
      setTimeout(render, 1500);
    } catch (err) { status(message, failText(err), 'error'); }
  };
  const form = h('form', { id: 'doc-compose', onsubmit: (e) => { e.preventDefault(); preview(); } },
    field(t('doc_kind'), kind), body, field(t('doc_corrects'), controls.corrects),
    h('div', { class: 'inline' }, h('button', { type: 'submit', id: 'doc-preview-button' }, t('doc_preview')),
      h('button', { type: 'button', id: 'doc-issue-button', onclick: issue }, t('doc_issue'))));
  return section(t('doc_compose'), form, message, frame);
}
