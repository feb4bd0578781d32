// Reference data, fetched once per page (the catalogue, units, regions), and the pickers made of it:
// category select with its search and the classifier's suggestion, district and street selects,
// the routing rules' unit.

import { entryName, t } from './words.js';
import { api, optional } from './api.js';
import { failText, field, h, pct, status, unavailable } from './dom.js';

export const cache = {};
export const once = (key, load) => (cache[key] ??= load());
// reads: GET /catalogue items[].code items[].name items[].name_en items[].parent items[].leaf items[].effective_time_limit.amount items[].effective_time_limit.unit items[].effective_unit_type items[].pinyin.full items[].pinyin.initials
export const catalogue = () => once('catalogue', () => api('GET', '/catalogue').then((r) => r.items));
// reads: GET /units items[].code items[].name items[].kind items[].regions
export const units = () => once('units', () => api('GET', '/units').then((r) => r.items));
/** Whether the region `outer` holds `inner` (12-digit codes: a district's ends in 000000, a street's in 000). */
export const holdsRegion = (outer, inner) => {
  const level = [/0{10}$/, /0{8}$/, /0{6}$/, /0{3}$/].find((zeros) => zeros.test(outer));
  return inner.startsWith(level ? outer.replace(level, '') : outer);
};
// reads: GET /regions items[].code items[].name
export const districts = () => once('districts', () => api('GET', '/regions?level=district').then((r) => r.items));
// reads: GET /regions items[].code items[].name
const streetsOf = (code) => once(`streets:${code}`, () => api('GET', `/regions?level=street&parent=${encodeURIComponent(code)}`).then((r) => r.items));

/** A category select of the catalogue's leaves, grouped under their classes. */
export async function categorySelect(attrs) {
  const items = await catalogue();
  const byCode = new Map(items.map((e) => [e.code, e]));
  const groupOf = (e) => { let g = e; while (g.parent && byCode.has(g.parent)) g = byCode.get(g.parent); return g; };
  const groups = new Map();
  for (const e of items.filter((i) => i.leaf)) {
    const g = groupOf(e);
    if (!groups.has(g.code)) groups.set(g.code, h('optgroup', { label: entryName(g) }));
    groups.get(g.code).append(h('option', { value: e.code, 'data-pinyin': e.pinyin.full, 'data-initials': e.pinyin.initials.join('/') }, `${e.code} ${entryName(e)}`));
  }
  return h('select', attrs, h('option', { value: '' }, t('pick_category')), [...groups.values()]);
}

/** Whether `word` is a run of the name's pinyin initials (`ljql`; a polyphone's character offers
 *  each reading's letter, `initials` being "l/j/xh/…" from the server) or of its full pinyin. */
const spells = (option, word) => {
  if (!/^[a-z0-9]+$/.test(word)) return false;
  const letters = option.dataset.initials ? option.dataset.initials.split('/') : [];
  return (option.dataset.pinyin ?? '').includes(word) || letters.some((_, i) => i + word.length <= letters.length
    && [...word].every((c, k) => letters[i + k].includes(c)));
};

/** A search box over a category select: keeps the entries whose code, name or pinyin holds what
 *  is typed (several words: all of them), hides the rest, and picks the entry when one is left. */
function categoryFilter(select) {
  const input = h('input', { type: 'search', class: 'category-filter', id: `${select.id}-filter`, placeholder: t('category_filter'), 'aria-label': t('category_filter'), autocomplete: 'off' });
  input.addEventListener('input', () => {
    const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const shown = [];
    for (const option of select.querySelectorAll('option')) {
      if (!option.value) continue;
      const text = option.textContent.toLowerCase();
      option.hidden = !words.every((w) => text.includes(w) || spells(option, w));
      if (!option.hidden) shown.push(option);
    }
    for (const group of select.querySelectorAll('optgroup')) group.hidden = ![...group.children].some((o) => !o.hidden);
    if (shown.length === 1) select.value = shown[0].value;
  });
  return input;
}

/** A category's form field with the search box between its label and its select. */
export const withFilter = (categoryField, select) => { categoryField.insertBefore(categoryFilter(select), select); return categoryField; };

/** The classifier's suggestion for `description`'s text, offered for `category` as it is typed. */
export function categorySuggestion(description, category) {
  const suggestion = h('div', { id: 'category-suggestion', 'aria-live': 'polite' });
  let timer = null;
  let available = true;
  description.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = description.value.trim();
      if (!available || text.length < 4) return;
      try {
        // reads: POST /classify label name confidence
        const result = await optional('POST', '/classify', { text });
        if (!result) { available = false; suggestion.replaceChildren(unavailable(t('classify_unavailable'))); return; }
        suggestion.replaceChildren(h('p', {}, `${t('category_suggestion')}: ${result.label} ${result.name} (${pct(result.confidence)}) `,
          h('button', { type: 'button', id: 'apply-suggestion', onclick: () => { category.value = result.label; } }, t('apply'))));
      } catch (err) { status(suggestion, failText(err), 'error'); }
    }, 400);
  });
  return suggestion;
}

/** District and street selects, the street list following the district. */
export async function regionPicker(prefix) {
  const district = h('select', { id: `${prefix}-district`, name: 'district' }, h('option', { value: '' }, t('pick_district')),
    (await districts()).map((d) => h('option', { value: d.code }, d.name)));
  const street = h('select', { id: `${prefix}-street`, name: 'region' }, h('option', { value: '' }, t('pick_street')));
  async function fill(code) {
    street.replaceChildren(h('option', { value: '' }, t('pick_street')));
    if (code) for (const s of await streetsOf(code)) street.append(h('option', { value: s.code }, s.name));
  }
  district.addEventListener('change', () => fill(district.value));
  const set = async (districtCode, streetCode) => { district.value = districtCode; await fill(districtCode); street.value = streetCode || ''; };
  return { district, street, set, nodes: [field(t('district'), district), field(t('region'), street)] };
}

/** The unit the routing rules choose for the case, and why (GET /cases/{id}/route). */
export async function suggestUnit(c) {
  if (!c.category) return null;
  // reads: GET /cases/{id}/route unit candidates reason
  const route = await optional('GET', `/cases/${c.id}/route`).catch(() => null);
  const code = route?.unit ?? route?.candidates?.[0];
  const unit = code ? (await units()).find((u) => u.code === code) : null;
  return unit ? { unit, rule: route.reason } : null;
}
