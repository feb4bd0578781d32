// The words of the page in the language chosen (Chinese first, English switchable): web/texts/*.json
// as the texts script brings them, and the case's labels the page carries (gridline_core::labels).

import { meta } from './page.js';

const LANG_KEY = 'gridline.lang';
/** The page's language, 'zh' or 'en', as chosen last on this browser. */
export let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
/** Chooses the language (the header's toggle), kept for the next page. */
export const setLang = (chosen) => {
  lang = chosen;
  localStorage.setItem(LANG_KEY, lang);
};

// The words of both languages come from web/texts/zh-CN.json and en.json, which the server
// serves as the script loaded before this one (/assets/texts-HASH.js); docs/web.md, Texts.
export const I18N = window.gridlineTexts ?? { zh: {}, en: {} };
// The case's words (statuses, channels, satisfaction) come with the page, from the table the
// server also labels its exports with (gridline_core::labels): [[key, label], …] per language.
const LABELS = JSON.parse(meta('gridline-labels') || '{}');
for (const l of Object.keys(I18N)) Object.assign(I18N[l], Object.fromEntries(LABELS[l] ?? []));
/** The values of a kind the labels name, in the table's order: valuesOf('status') → ['received', …]. */
export const valuesOf = (kind) => (LABELS.zh ?? []).map(([key]) => key).filter((key) => key.startsWith(`${kind}.`)).map((key) => key.slice(kind.length + 1));
export const t = (key) => I18N[lang][key] ?? I18N.zh[key] ?? key;
export const entryName = (e) => (lang === 'en' && e.name_en ? e.name_en : e.name);
