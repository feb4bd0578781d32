// Building the page: elements (text goes in through textContent only, never as HTML, so case text
// cannot inject), form fields and pickers, tables, notices, and times and numbers as people read them.

import { t } from './words.js';
import { ApiFailure } from './api.js';

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const status = (box, text, kind = 'info') => {
  box.replaceChildren(text ? h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text) : '');
};
/** An error as the reader sees it; a refused file's problems each on its line (the first 50), by row. */
export const failText = (err) => {
  if (!(err instanceof ApiFailure)) return `${t('error')}: ${err.message}`;
  const lines = err.problems.slice(0, 50).map((p) => `${p.line ? `${t('row_n').replace('{n}', p.line)}：` : ''}${p.message}`);
  if (err.problems.length > 50) lines.push('…');
  return [`${t('error')} ${err.status}: ${err.message}`, ...lines].join('\n');
};
export const unavailable = (text) => h('p', { class: 'notice unavailable', 'data-unavailable': '' }, text || t('not_available'));
export const section = (title, ...body) => h('section', { class: 'panel', 'aria-label': title }, h('h2', {}, title), ...body);
// The API's instants are UTC; people here read Beijing time (sv-SE formats as YYYY-MM-DD HH:MM:SS).
// One formatter: toLocaleString builds one per call (0.2 ms each, most of a long table's time).
const BEIJING = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
export const beijing = (date) => BEIJING.format(date);
export const time = (iso) => (iso ? beijing(new Date(iso)).slice(0, 16) : '—');
/** This month in Beijing time (YYYY-MM): the periods of the rankings and statistics are Beijing's. */
export const thisMonth = () => beijing(new Date()).slice(0, 7);
export const pct = (rate) => (rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`);
let fieldSeq = 0;
/** A labelled control: every input gets a visible label tied to it. */
export function field(label, control) {
  const id = control.id || `f${++fieldSeq}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control.type === 'file' ? filePicker(control) : control);
}
/** A file input told in the page's language: the browser's own button and "no file chosen" are
 *  in the browser's. The input stays in the page, visually hidden but focusable (Enter or Space
 *  opens the picker, or a phone's camera with `capture`); its second label is the button. */
export function filePicker(input, text = t(input.hasAttribute('data-camera') ? 'pick_photos' : 'pick_files')) {
  input.id ||= `f${++fieldSeq}`;
  input.classList.add('file-input');
  const chosen = h('span', { class: 'file-chosen', 'aria-live': 'polite' }, t('no_file_chosen'));
  const show = () => {
    const n = input.files?.length ?? 0;
    chosen.textContent = n === 0 ? t('no_file_chosen') : n === 1 ? input.files[0].name : t('files_chosen').replace('{n}', n);
  };
  input.addEventListener('change', show);
  input.addEventListener('cleared', show);
  return h('span', { class: 'file-pick' }, input, h('label', { for: input.id, class: 'file-button' }, text), chosen);
}
// A form's reset empties its file inputs without a change event: their pickers are told after it.
document.addEventListener('reset', (e) => setTimeout(() => e.target.querySelectorAll?.('.file-input').forEach((i) => i.dispatchEvent(new Event('cleared')))));
export const options = (items, selected) => items.map(([value, label]) => h('option', { value, selected: value === selected }, label));
export const snippet = (text, n = 60) => (text.length > n ? `${text.slice(0, n)}…` : text);

/** A camera input: on a phone it opens the back camera; elsewhere it picks image files. */
export const cameraInput = (id) => h('input', { id, type: 'file', accept: 'image/*', capture: 'environment', multiple: true, 'data-camera': '' });

export const num = (x) => (x === null || x === undefined ? '—' : Number(x).toFixed(1));
/** A rate the analytics API gives in percent (0–100). */
export const pct100 = (x) => (x === null || x === undefined ? '—' : `${Number(x).toFixed(1)}%`);
export const change = (x) => (x === null || x === undefined ? '—' : `${x > 0 ? '+' : ''}${Number(x).toFixed(1)}%`);
/** A plain table of rows of cells (text or nodes), or a word that there is none. */
export const grid = (headings, rows, id, tableClass) => h('div', { class: 'table-wrap', id }, rows.length ? h('table', { class: tableClass },
  h('thead', {}, h('tr', {}, headings.map((x) => h('th', { scope: 'col' }, x)))),
  h('tbody', {}, rows.map((r) => h('tr', {}, r.map((x, i) => h('td', { 'data-label': headings[i] }, x)))))) : h('p', { class: 'muted' }, t('none')));

export const score1 = (x) => (x === null || x === undefined ? '—' : x.toFixed(1));

/** An office's spreadsheet upload (XLSX, or CSV in its encoding) as form `id`: `send(query, body)`
 *  posts it and answers the text saying what was done; `extra` are the form's own fields. */
export function spreadsheetForm(id, fileLabel, label, send, ...extra) {
  const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  const fileInput = h('input', { type: 'file', id: `${id}-file`, required: true, accept: `.xlsx,.csv,${XLSX},text/csv` });
  const encoding = h('select', { id: `${id}-encoding` }, options([['', 'UTF-8'], ['gb18030', 'GB18030 / GBK']], ''));
  const box = h('div', { id: `${id}-result` });
  return h('form', { id, class: 'stack', onsubmit: async (e) => {
    e.preventDefault();
    const chosen = fileInput.files[0];
    if (!chosen) return;
    const query = new URLSearchParams({ file: chosen.name });
    if (encoding.value) query.set('encoding', encoding.value);
    const body = new Blob([chosen], { type: chosen.name.toLowerCase().endsWith('.xlsx') ? XLSX : 'text/csv' });
    try {
      status(box, await send(query, body));
    } catch (err) {
      status(box, failText(err), 'error');
    }
  } }, field(fileLabel, fileInput), ...extra, field(t('csv_encoding'), encoding), h('button', { type: 'submit', class: 'primary' }, label), box);
}

/** Saves a file the API answered under a name. */
export function saveFile(file, name) {
  const url = URL.createObjectURL(file.blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
