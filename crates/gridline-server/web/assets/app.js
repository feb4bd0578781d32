// gridline's web workbench. Every page is drawn here from the JSON API (/api/v1); the server has
// already checked that the signed-in role may open the page, and the API checks every action.
// Text goes into the page through textContent only, never as HTML, so case text cannot inject.
'use strict';

(() => {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? null;
  const TOKEN = meta('gridline-token');
  const USER = JSON.parse(meta('gridline-user') || 'null');
  const LANG_KEY = 'gridline.lang';
  let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';

  // ---------------------------------------------------------------- words
  // The words of both languages come from web/texts/zh-CN.json and en.json, which the server
  // serves as the script loaded before this one (/assets/texts-HASH.js); docs/web.md, Texts.
  const I18N = window.gridlineTexts ?? { zh: {}, en: {} };
  // The case's words (statuses, channels, satisfaction) come with the page, from the table the
  // server also labels its exports with (gridline_core::labels): [[key, label], …] per language.
  const LABELS = JSON.parse(meta('gridline-labels') || '{}');
  for (const l of Object.keys(I18N)) Object.assign(I18N[l], Object.fromEntries(LABELS[l] ?? []));
  /** The values of a kind the labels name, in the table's order: valuesOf('status') → ['received', …]. */
  const valuesOf = (kind) => (LABELS.zh ?? []).map(([key]) => key).filter((key) => key.startsWith(`${kind}.`)).map((key) => key.slice(kind.length + 1));
  const t = (key) => I18N[lang][key] ?? I18N.zh[key] ?? key;

  // ---------------------------------------------------------------- DOM and API helpers
  function h(tag, attrs, ...children) {
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

  class ApiFailure extends Error {
    constructor(status, code, message, problems) { super(message); this.status = status; this.code = code; this.problems = problems ?? []; }
  }

  // Every call below says what it reads of the answer in a `// reads: METHOD /path field …`
  // comment, checked against the OpenAPI document by crates/gridline-server/tests/web_api.rs.
  // fields @overview: today.received today.closed open overdue due_soon rates.response.rate rates.resolution.rate rates.satisfaction.rate
  // fields @case: id status channel external_id category category_name district.name region region_name address unit_name reporter.name reporter.phone received_at merged_into suspended overdue due_soon deadline time_left_seconds time_limit supervision_count rework_count pending_extension.amount pending_extension.unit pending_extension.reason photos feedback.text feedback.photos callback.resolved callback.satisfaction location.lat location.lon allowed_actions description events[].time events[].action events[].actor.username events[].actor.role events[].unit_name events[].note
  // The server tells its errors in the language asked for (codes and texts: gridline_core::message).
  const ACCEPT_LANGUAGE = () => (lang === 'zh' ? 'zh-CN' : 'en');
  async function api(method, path, body) {
    const headers = { Accept: 'application/json', 'Accept-Language': ACCEPT_LANGUAGE() };
    if (TOKEN) headers.Authorization = `Bearer ${TOKEN}`;
    // A FormData body (photos) goes as multipart/form-data, with the boundary the browser sets;
    // a file (Blob) as it is, under its own type; anything else as JSON.
    const form = body instanceof FormData;
    const file = body instanceof Blob;
    if (body !== undefined && !form) headers['Content-Type'] = file ? body.type : 'application/json';
    const response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined || form || file ? body : JSON.stringify(body) });
    if (response.status === 204) return null;
    // A file (a document's PDF or DOCX): its bytes, and the snapshot hash a preview carries.
    if (response.ok && !(response.headers.get('Content-Type') || '').includes('json')) {
      return { blob: await response.blob(), sha256: response.headers.get('X-Snapshot-Sha256') };
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      if (response.status === 401) location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
      throw new ApiFailure(response.status, data?.error?.code ?? 'error', data?.error?.message ?? response.statusText, data?.error?.problems);
    }
    return data;
  }

  /** An API call for a feature another module provides: null when the server lacks it (404/405). */
  async function optional(method, path, body) {
    try {
      return await api(method, path, body);
    } catch (err) {
      if (err instanceof ApiFailure && (err.status === 404 || err.status === 405) && err.code !== 'forbidden') return null;
      throw err;
    }
  }

  const status = (box, text, kind = 'info') => {
    box.replaceChildren(text ? h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text) : '');
  };
  /** An error as the reader sees it; a refused file's problems each on its line (the first 50), by row. */
  const failText = (err) => {
    if (!(err instanceof ApiFailure)) return `${t('error')}: ${err.message}`;
    const lines = err.problems.slice(0, 50).map((p) => `${p.line ? `${t('row_n').replace('{n}', p.line)}：` : ''}${p.message}`);
    if (err.problems.length > 50) lines.push('…');
    return [`${t('error')} ${err.status}: ${err.message}`, ...lines].join('\n');
  };
  const unavailable = (text) => h('p', { class: 'notice unavailable', 'data-unavailable': '' }, text || t('not_available'));
  const section = (title, ...body) => h('section', { class: 'panel', 'aria-label': title }, h('h2', {}, title), ...body);
  // The API's instants are UTC; people here read Beijing time (sv-SE formats as YYYY-MM-DD HH:MM:SS).
  // One formatter: toLocaleString builds one per call (0.2 ms each, most of a long table's time).
  const BEIJING = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  const beijing = (date) => BEIJING.format(date);
  const time = (iso) => (iso ? beijing(new Date(iso)).slice(0, 16) : '—');
  /** This month in Beijing time (YYYY-MM): the periods of the rankings and statistics are Beijing's. */
  const thisMonth = () => beijing(new Date()).slice(0, 7);
  const pct = (rate) => (rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`);
  let fieldSeq = 0;
  /** A labelled control: every input gets a visible label tied to it. */
  function field(label, control) {
    const id = control.id || `f${++fieldSeq}`;
    control.id = id;
    return h('div', { class: 'field' }, h('label', { for: id }, label), control.type === 'file' ? filePicker(control) : control);
  }
  /** A file input told in the page's language: the browser's own button and "no file chosen" are
   *  in the browser's. The input stays in the page, visually hidden but focusable (Enter or Space
   *  opens the picker, or a phone's camera with `capture`); its second label is the button. */
  function filePicker(input, text = t(input.hasAttribute('data-camera') ? 'pick_photos' : 'pick_files')) {
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
  const options = (items, selected) => items.map(([value, label]) => h('option', { value, selected: value === selected }, label));

  function clockBadge(c) {
    if (c.suspended) return h('span', { class: 'badge muted' }, t('suspended'));
    if (c.overdue) return h('span', { class: 'badge bad' }, t('overdue'));
    if (c.due_soon) return h('span', { class: 'badge warn' }, t('due_soon'));
    if (c.deadline) return h('span', { class: 'badge ok' }, t('on_time'));
    return h('span', { class: 'badge muted' }, t('clock_stopped'));
  }
  /** Time left, or how late, in days and hours (minutes only under a day): 超期 2天3小时. */
  function timeLeft(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    const s = Math.abs(seconds);
    const days = Math.floor(s / 86400);
    const hours = Math.floor((s % 86400) / 3600);
    const minutes = Math.floor((s % 3600) / 60);
    const span = days ? `${days}${t('u.days')}${hours}${t('u.hours')}` : `${hours}${t('u.hours')}${minutes}${t('u.minutes')}`;
    return `${t(seconds < 0 ? 'late_by' : 'left_for')} ${span}`;
  }
  const statusBadge = (s) => h('span', { class: `badge status-${s}` }, t(`status.${s}`));
  const caseLink = (c) => h('a', { href: `/cases/${c.id}` }, `#${c.id}`);
  const snippet = (text, n = 60) => (text.length > n ? `${text.slice(0, n)}…` : text);

  /** A table of cases with the given columns: [[heading, (case) => cell], …]. Each cell carries
   *  its heading (`data-label`), shown beside it on a phone, where each row is a card (`cards`):
   *  a row's buttons (签收, 退单) stay on screen instead of past its right edge. */
  function caseTable(cases, columns, rowAttrs = () => ({}), tableAttrs = {}) {
    if (!cases.length) return h('p', { class: 'empty' }, t('empty'));
    return h('div', { class: 'table-wrap' }, h('table', { class: 'cards', ...tableAttrs },
      h('thead', {}, h('tr', {}, columns.map(([heading]) => h('th', { scope: 'col' }, heading)))),
      h('tbody', {}, cases.map((c) => h('tr', { 'data-case': c.id, ...rowAttrs(c) }, columns.map(([heading, cell]) => h('td', { 'data-label': heading }, cell(c))))))));
  }
  const baseColumns = () => [
    [t('id'), caseLink],
    [t('status'), (c) => statusBadge(c.status)],
    [t('category'), (c) => c.category_name || '—'],
    [t('region'), (c) => [c.district?.name, c.region_name].filter(Boolean).join(' ') || '—'],
    [t('description'), (c) => snippet(c.description)],
  ];

  // fields @duplicate: case status title score distance_m
  /** The open cases that may be the same problem, best first (GET /cases/{id}/duplicates). */
  function duplicateTable(suggestions) {
    if (!suggestions.length) return h('p', { class: 'empty' }, t('empty'));
    return h('div', { class: 'table-wrap' }, h('table', { id: 'duplicate-table' },
      h('thead', {}, h('tr', {}, [t('id'), t('status'), t('title'), t('likeness'), t('distance')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, suggestions.map((s) => h('tr', { 'data-duplicate': s.case },
        h('td', {}, h('a', { href: `/cases/${s.case}` }, `#${s.case}`)), h('td', {}, statusBadge(s.status)), h('td', {}, snippet(s.title)),
        h('td', {}, pct(s.score)), h('td', {}, s.distance_m === null || s.distance_m === undefined ? '—' : `${Math.round(s.distance_m)} m`))))));
  }

  async function act(id, body) {
    // reads: POST /cases/{id}/actions @case
    return api('POST', `/cases/${id}/actions`, body);
  }

  /** A camera input: on a phone it opens the back camera; elsewhere it picks image files. */
  const cameraInput = (id) => h('input', { id, type: 'file', accept: 'image/*', capture: 'environment', multiple: true, 'data-camera': '' });
  /** Uploads the photos picked in `input` to case `id` at `stage`; nothing when none is picked. */
  async function uploadPhotos(id, stage, input) {
    if (!input?.files?.length) return [];
    const form = new FormData();
    form.append('stage', stage);
    for (const file of input.files) form.append('photo', file, file.name);
    // reads: POST /cases/{id}/attachments items[].id
    const added = await api('POST', `/cases/${id}/attachments`, form);
    return added.items;
  }
  /** What a phone made that the server has not acknowledged, kept across network loss and
   *  reloads: the items in localStorage under `key` ({ id: item }), their photos in IndexedDB `db`
   *  under the same id (a photo does not fit in localStorage; no `db`, no photos). `send(item,
   *  photos, id)` sends one; it may note its progress in `item` (kept when the network fails
   *  half-way). One sending at a time: the page's render and the 'online' event may both ask, and
   *  the same item sent twice at once would be filed once but upload its photos twice. `sent(n)`
   *  hears of those sent when the network came back. */
  function outbox(key, db, send, sent = () => {}) {
    const pending = () => JSON.parse(localStorage.getItem(key) || '{}');
    const keep = (all) => localStorage.setItem(key, JSON.stringify(all));
    const photoStore = (mode, work) => new Promise((resolve, reject) => {
      if (!db) { resolve(undefined); return; }
      const open = indexedDB.open(db, 1);
      open.onupgradeneeded = () => open.result.createObjectStore('photos');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const tx = open.result.transaction('photos', mode);
        const request = work(tx.objectStore('photos'));
        tx.oncomplete = () => { open.result.close(); resolve(request.result); };
        tx.onerror = () => { open.result.close(); reject(tx.error); };
      };
    });
    // Kept for later: no answer (offline) or a gateway's (the server behind it is down).
    const refused = (err) => err instanceof ApiFailure && ![502, 503, 504].includes(err.status);
    const forget = (id) => { const all = pending(); delete all[id]; keep(all); photoStore('readwrite', (st) => st.delete(id)).catch(() => {}); };
    let queue = Promise.resolve();
    const inTurn = (work) => { const turn = queue.then(work); queue = turn.catch(() => {}); return turn; };
    async function sendOne(id, photos) {
      const item = pending()[id];
      if (!item) return null;
      try {
        const answer = await send(item, photos ?? (await photoStore('readonly', (st) => st.get(id)).catch(() => null)) ?? [], id);
        forget(id);
        return answer;
      } catch (err) {
        if (refused(err)) forget(id); else { const all = pending(); all[id] = item; keep(all); }
        throw err;
      }
    }
    /** Sends every kept item, oldest first, until the network fails; how many were sent. */
    const flush = () => inTurn(async () => {
      let n = 0;
      for (const id of Object.keys(pending())) {
        try { await sendOne(id); n += 1; } catch (err) { if (!refused(err)) break; }
      }
      return n;
    });
    window.addEventListener('online', () => { flush().then((n) => n && sent(n)).catch(() => {}); });
    const put = (id, item) => { const all = pending(); all[id] = item; keep(all); };
    return { flush, refused, put, kept: (id) => pending()[id], count: () => Object.keys(pending()).length,
      /** Keeps `item` and its photos, then sends it: the answer; throws what stopped it (kept unless `refused`). */
      async post(id, item, photos = []) {
        put(id, item);
        if (photos.length) await photoStore('readwrite', (st) => st.put(photos, id)).catch(() => {});
        return inTurn(() => sendOne(id, photos));
      } };
  }
  /** Copies of picked files: kept in IndexedDB, they outlive the camera's pick. */
  const copyFiles = (input) => Promise.all([...input.files].map(async (f) => new File([await f.arrayBuffer()], f.name, { type: f.type })));

  /** The attachment stage of an action's photos. */
  const STAGE_OF = { handle: 'handling', verify: 'verification', callback: 'callback' };

  // ---------------------------------------------------------------- reference data (cached per page)
  const cache = {};
  const once = (key, load) => (cache[key] ??= load());
  // reads: GET /catalogue items[].code items[].name items[].name_en items[].parent items[].leaf items[].effective_time_limit.amount items[].effective_time_limit.unit items[].effective_unit_type items[].pinyin.full items[].pinyin.initials
  const catalogue = () => once('catalogue', () => api('GET', '/catalogue').then((r) => r.items));
  // reads: GET /units items[].code items[].name items[].kind items[].regions
  const units = () => once('units', () => api('GET', '/units').then((r) => r.items));
  /** Whether the region `outer` holds `inner` (12-digit codes: a district's ends in 000000, a street's in 000). */
  const holdsRegion = (outer, inner) => {
    const level = [/0{10}$/, /0{8}$/, /0{6}$/, /0{3}$/].find((zeros) => zeros.test(outer));
    return inner.startsWith(level ? outer.replace(level, '') : outer);
  };
  // reads: GET /regions items[].code items[].name
  const districts = () => once('districts', () => api('GET', '/regions?level=district').then((r) => r.items));
  // reads: GET /regions items[].code items[].name
  const streetsOf = (code) => once(`streets:${code}`, () => api('GET', `/regions?level=street&parent=${encodeURIComponent(code)}`).then((r) => r.items));
  const entryName = (e) => (lang === 'en' && e.name_en ? e.name_en : e.name);

  /** A category select of the catalogue's leaves, grouped under their classes. */
  async function categorySelect(attrs) {
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
  const withFilter = (categoryField, select) => { categoryField.insertBefore(categoryFilter(select), select); return categoryField; };

  /** The classifier's suggestion for `description`'s text, offered for `category` as it is typed. */
  function categorySuggestion(description, category) {
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
  async function regionPicker(prefix) {
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
  async function suggestUnit(c) {
    if (!c.category) return null;
    // reads: GET /cases/{id}/route unit candidates reason
    const route = await optional('GET', `/cases/${c.id}/route`).catch(() => null);
    const code = route?.unit ?? route?.candidates?.[0];
    const unit = code ? (await units()).find((u) => u.code === code) : null;
    return unit ? { unit, rule: route.reason } : null;
  }

  const linesOf = (text) => text.split('\n').map((s) => s.trim()).filter(Boolean);

  // ---------------------------------------------------------------- frame
  const PAGES_OF = {
    hotline_operator: ['operator', 'search', 'dashboard'], grid_worker: ['grid', 'patrol', 'search', 'dashboard'], inspector: ['grid', 'field', 'reviews', 'search', 'dashboard'],
    dispatcher: ['dispatcher', 'search', 'evaluation', 'reviews', 'alleys', 'dashboard'], handling_unit: ['unit', 'reviews', 'search', 'dashboard'],
    member_unit: ['unit', 'ledger', 'reviews', 'search', 'dashboard'], supervisor: ['supervisor', 'search', 'evaluation', 'reviews', 'alleys', 'ledger', 'documents', 'dashboard'],
    admin: ['dashboard', 'search', 'operator', 'dispatcher', 'unit', 'grid', 'supervisor', 'evaluation', 'reviews', 'alleys', 'ledger', 'documents', 'admin'],
  };

  /** Shows `n` unread in the header's badge (none: no number). */
  function showUnread(n) {
    const count = document.getElementById('inbox-count');
    const badge = document.getElementById('inbox-badge');
    if (!count || !badge) return;
    count.textContent = n > 99 ? '99+' : String(n);
    count.hidden = !n;
    badge.setAttribute('aria-label', n ? `${t('inbox_badge')} ${t('inbox_unread_n').replace('{n}', n)}` : t('inbox_badge'));
  }
  /** Fetches the unread count for the header; a failure leaves the badge without a number. */
  async function inboxCount() {
    try {
      // reads: GET /inbox unread
      const inbox = await optional('GET', '/inbox');
      if (inbox) showUnread(inbox.unread);
    } catch (_) { /* the page itself says what failed */ }
  }

  function header(view) {
    const top = document.getElementById('top');
    const toggle = h('button', { type: 'button', id: 'lang-toggle', 'aria-label': t('lang_label'), onclick: () => {
      lang = lang === 'zh' ? 'en' : 'zh';
      localStorage.setItem(LANG_KEY, lang);
      render();
    } }, t('lang_toggle'));
    const nav = USER
      ? h('nav', { 'aria-label': t('nav') }, h('ul', {}, (PAGES_OF[USER.role] || []).map((p) =>
        h('li', {}, h('a', { href: `/${p}`, 'aria-current': p === view ? 'page' : null }, t(`page.${p}`))))))
      : null;
    // The to-do badge: every page's header, for the signed-in user; its count comes after.
    const badge = USER
      ? h('a', { href: '/inbox', id: 'inbox-badge', class: 'inbox-badge', 'aria-current': view === 'inbox' ? 'page' : null },
        t('inbox_badge'), ' ', h('span', { class: 'count', id: 'inbox-count', hidden: true }))
      : null;
    const who = USER
      ? h('div', { class: 'who' }, h('span', {}, `${USER.display_name} · ${t(`role.${USER.role}`)}`),
        h('button', { type: 'button', id: 'change-password', onclick: openPasswordDialog }, t('change_password')),
        h('form', { method: 'post', action: '/logout' }, h('button', { type: 'submit', id: 'sign-out' }, t('signout'))))
      : null;
    top.replaceChildren(h('div', { class: 'bar' }, h('a', { class: 'brand', href: '/' }, t('brand')), nav, h('div', { class: 'tools' }, badge, toggle, who)));
    if (USER) inboxCount();
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.querySelector('.skip').textContent = t('skip');
  }

  const VIEWS = {};
  async function render() {
    const view = document.body.dataset.view;
    header(view);
    const main = document.getElementById('main');
    document.title = `${t(`page.${view}`) === `page.${view}` ? t('brand') : t(`page.${view}`)} · gridline`;
    main.replaceChildren(h('p', { class: 'loading' }, t('loading')));
    try {
      const content = await (VIEWS[view] || VIEWS.missing)();
      // A view may leave out a part as null; replaceChildren would print it as "null".
      main.replaceChildren(...[content].flat().filter((part) => part !== null && part !== undefined));
    } catch (err) {
      main.replaceChildren(h('p', { class: 'notice error', role: 'alert' }, failText(err)));
    }
    main.dataset.ready = view;
    // For the render benchmark (scripts/measure_render.py): when the page's content is drawn.
    performance.mark(`gridline:${view}`);
  }

  // ---------------------------------------------------------------- sign-in and errors
  VIEWS.login = async () => {
    const box = h('div', {});
    const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, maxlength: 64 });
    const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const form = h('form', { id: 'login-form', class: 'card narrow', onsubmit: async (e) => {
      e.preventDefault();
      try {
        // The server decides where to go next (`home`): the page's `?next=` if it is a path of
        // this site as the browser would read it, else the role's home page.
        const response = await fetch('/web/session' + location.search, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Accept-Language': ACCEPT_LANGUAGE() },
          body: JSON.stringify({ username: username.value.trim(), password: password.value }) });
        const data = await response.json().catch(() => null);
        if (!response.ok) throw new ApiFailure(response.status, data?.error?.code, data?.error?.message ?? response.statusText);
        location.assign(data.home);
      } catch (err) { status(box, failText(err), 'error'); }
    } }, h('h1', {}, t('signin')), field(t('username'), username), field(t('password'), password),
    h('button', { type: 'submit', class: 'primary' }, t('signin')), box);
    return [form, h('p', { class: 'card narrow' }, h('a', { href: '/public/listings' }, t('page.public_listings')))];
  };

  // ---------------------------------------------------------------- the public list (no sign-in)
  VIEWS.public_listings = async () => {
    // reads: GET /supervision/listings items[].name items[].kind items[].reason items[].deadline items[].overdue items[].checks[].at items[].checks[].passed items[].checks[].note
    const listings = await api('GET', '/supervision/listings?open=true');
    const latest = (l) => {
      const c = l.checks[l.checks.length - 1];
      return c ? `${time(c.at)} ${t(c.passed ? 'check.passed' : 'check.failed')}${c.note ? ` · ${c.note}` : ''}` : '—';
    };
    return [h('h1', {}, t('page.public_listings')), h('p', {}, t('public_listings_hint')),
      grid([t('listing_name'), t('kind'), t('reason'), t('deadline'), t('last_check')], listings.items.map((l) => [l.name, t(`lk.${l.kind}`), l.reason,
        h('span', {}, time(l.deadline), ' ', l.overdue ? h('span', { class: 'badge bad' }, t('overdue')) : ''), latest(l)]), 'public-listings')];
  };
  VIEWS.forbidden = async () => h('div', { class: 'card narrow', id: 'forbidden' }, h('h1', {}, t('forbidden')), h('p', {}, t('forbidden_hint')),
    USER ? h('a', { href: USER.home }, t('go_home')) : null);
  VIEWS.missing = async () => h('div', { class: 'card narrow' }, h('h1', {}, t('missing')), h('a', { href: '/' }, t('go_home')));

  // ---------------------------------------------------------------- hotline operator
  VIEWS.operator = async () => {
    const message = h('div', { id: 'new-case-result' });
    const history = h('div', { id: 'caller-history' });
    const duplicates = h('div', { id: 'duplicates' });
    const description = h('textarea', { id: 'description', name: 'description', rows: 4, required: true, maxlength: 2000 });
    const category = await categorySelect({ id: 'category', name: 'category' });
    const suggestion = categorySuggestion(description, category);
    const regions = await regionPicker('new');
    const address = h('input', { id: 'address', name: 'address', maxlength: 200 });
    const ticket = h('input', { id: 'external_id', name: 'external_id', maxlength: 64 });
    const caller = h('input', { id: 'caller_name', name: 'caller_name', maxlength: 50 });
    const phone = h('input', { id: 'caller_phone', name: 'caller_phone', type: 'tel', maxlength: 20, autocomplete: 'off' });
    const pin = h('div', { id: 'address-pin', class: 'mini-map', 'aria-live': 'polite' });
    phone.addEventListener('change', async () => {
      const number = phone.value.trim();
      if (!/^\d{7,15}$/.test(number)) { history.replaceChildren(); return; }
      try {
        // reads: GET /cases total items[]@case
        const page = await api('GET', `/cases?phone=${encodeURIComponent(number)}&page_size=10`);
        history.replaceChildren(h('h3', {}, `${t('caller_history')} (${page.total})`), caseTable(page.items, baseColumns()));
      } catch (err) { status(history, failText(err), 'error'); }
    });
    const locate = h('button', { type: 'button', id: 'geocode', onclick: async () => {
      const text = address.value.trim();
      if (!text) return;
      try {
        // reads: GET /geo/geocode district.code district.name street.code street.name confidence
        const found = await optional('GET', `/geo/geocode?address=${encodeURIComponent(text)}`);
        if (!found) { pin.replaceChildren(unavailable(t('geocode_unavailable'))); return; }
        if (found.district?.code) await regions.set(found.district.code, found.street?.code);
        // The gazetteer answers names, not a point: there is nothing to pin on a map.
        pin.replaceChildren(h('p', {}, `${found.district?.name ?? ''} ${found.street?.name ?? ''} (${pct(found.confidence)})`));
      } catch (err) { status(pin, failText(err), 'error'); }
    } }, t('geocode'));
    const camera = cameraInput('ticket-photos');
    const form = h('form', { id: 'new-case-form', class: 'card', onsubmit: async (e) => {
      e.preventDefault();
      const body = { channel: 'hotline', description: description.value.trim() };
      if (ticket.value.trim()) body.external_id = ticket.value.trim();
      if (category.value) body.category = category.value;
      if (regions.street.value) body.region = regions.street.value;
      if (address.value.trim()) body.address = address.value.trim();
      if (caller.value.trim() || phone.value.trim()) {
        body.reporter = {};
        if (caller.value.trim()) body.reporter.name = caller.value.trim();
        if (phone.value.trim()) body.reporter.phone = phone.value.trim();
      }
      try {
        // reads: POST /cases id status
        const created = await api('POST', '/cases', body);
        const photos = await uploadPhotos(created.id, 'intake', camera);
        message.replaceChildren(h('p', { class: 'notice ok', role: 'status' }, `${t('filed')} `, caseLink(created), ` · ${t(`status.${created.status}`)}`,
          photos.length ? ` · ${photos.length} ${t('uploaded')}` : ''));
        form.reset();
        suggestion.replaceChildren();
        // reads: GET /cases/{id}/duplicates suggestions[]@duplicate
        const dup = await optional('GET', `/cases/${created.id}/duplicates`);
        duplicates.replaceChildren(h('h3', {}, t('duplicates')),
          dup ? duplicateTable(dup.suggestions) : unavailable(t('duplicates_unavailable')));
      } catch (err) { status(message, failText(err), 'error'); }
    } },
    h('h2', {}, t('new_ticket')),
    h('div', { class: 'grid2' }, field(t('external_id'), ticket), field(t('caller_name'), caller), field(t('caller_phone'), phone)),
    field(t('description'), description), suggestion,
    h('div', { class: 'grid2' }, withFilter(field(t('category'), category), category), ...regions.nodes),
    h('div', { class: 'with-button' }, field(t('address'), address), locate), pin, field(t('take_photos'), camera),
    h('button', { type: 'submit', class: 'primary', id: 'file-case' }, t('submit')), message);
    return [h('h1', {}, t('page.operator')), h('div', { class: 'columns' }, form, h('div', {}, history, duplicates)),
      await callbackQueue()];
  };

  async function callbackQueue() {
    // reads: GET /cases total items[]@case
    const page = await api('GET', '/cases?status=closed&page_size=50');
    const box = h('div', {});
    const table = caseTable(page.items, [...baseColumns(), [t('callback'), (c) => {
      const resolved = h('input', { type: 'checkbox', id: `resolved-${c.id}`, checked: true });
      const satisfaction = h('select', { id: `satisfaction-${c.id}` }, options(['satisfied', 'basically_satisfied', 'dissatisfied'].map((s) => [s, t(`sat.${s}`)])));
      return h('form', { class: 'inline', 'data-callback': c.id, onsubmit: async (e) => {
        e.preventDefault();
        try {
          await act(c.id, { action: 'callback', resolved: resolved.checked, satisfaction: satisfaction.value });
          e.target.closest('tr').remove();
          status(box, `#${c.id} ${t('saved')}`);
        } catch (err) { status(box, failText(err), 'error'); }
      } }, h('label', { for: resolved.id }, resolved, t('resolved')), h('label', { class: 'sr-only', for: satisfaction.id }, t('satisfaction')),
      satisfaction, h('button', { type: 'submit' }, t('record_callback')));
    }]]);
    return section(`${t('callback_queue')} (${page.total})`, box, table);
  }

  // ---------------------------------------------------------------- grid worker and inspector
  // The grid worker's reports ({body, filed}) kept through network loss. Filed with an external
  // id made on the phone, a report sent again (its answer lost) is answered with the case it filed
  // (intake is idempotent on channel and external id); `filed` keeps the case when its photos could
  // not follow, so they are uploaded once the network is back.
  const reports = outbox('gridline.reports.pending', 'gridline.reports.photos', async (item, photos) => {
    // reads: POST /cases id
    item.filed ??= (await api('POST', '/cases', item.body)).id;
    return { id: item.filed, photos: (await uploadPhotos(item.filed, 'intake', { files: photos })).length };
  }, () => { const box = document.getElementById('report-result'); if (box) status(box, t('report_sent_later'), 'ok'); });

  VIEWS.grid = async () => {
    const message = h('div', { id: 'report-result' });
    if (await reports.flush().catch(() => 0)) status(message, t('report_sent_later'), 'ok');
    if (reports.count()) status(message, t('report_saved_offline'), 'info');
    const description = h('textarea', { id: 'description', rows: 3, required: true, maxlength: 2000 });
    const category = await categorySelect({ id: 'category' });
    const suggestion = categorySuggestion(description, category);
    const regions = await regionPicker('report');
    const address = h('input', { id: 'address', maxlength: 200 });
    const lat = h('input', { id: 'lat', type: 'number', step: 'any', min: -90, max: 90, inputmode: 'decimal' });
    const lon = h('input', { id: 'lon', type: 'number', step: 'any', min: -180, max: 180, inputmode: 'decimal' });
    const photos = cameraInput('photos');
    const locateMe = h('button', { type: 'button', onclick: () => navigator.geolocation?.getCurrentPosition((p) => {
      lat.value = p.coords.latitude.toFixed(6); lon.value = p.coords.longitude.toFixed(6);
    }, (err) => status(message, err.message, 'error')) }, t('use_my_location'));
    const channel = USER.role === 'inspector' ? 'inspection' : 'grid';
    const form = h('form', { id: 'report-form', class: 'card', onsubmit: async (e) => {
      e.preventDefault();
      const body = { channel, description: description.value.trim() };
      if (category.value) body.category = category.value;
      if (regions.street.value) body.region = regions.street.value;
      if (address.value.trim()) body.address = address.value.trim();
      if (lat.value && lon.value) body.location = { lat: Number(lat.value), lon: Number(lon.value) };
      body.external_id = `${channel}-${crypto.randomUUID()}`;
      const files = await copyFiles(photos);
      if (files.length) status(message, t('uploading'));
      try {
        const done = await reports.post(body.external_id, { body }, files);
        form.reset();
        if (done) message.replaceChildren(h('p', { class: 'notice ok', role: 'status' }, `${t('filed')} `, caseLink(done), done.photos ? ` · ${done.photos} ${t('uploaded')}` : ''));
      } catch (err) {
        if (!reports.refused(err)) form.reset();
        status(message, reports.refused(err) ? failText(err) : t('report_saved_offline'), reports.refused(err) ? 'error' : 'info');
      }
    } }, h('h2', {}, t('report_problem')), field(t('description'), description), suggestion,
    withFilter(field(t('category'), category), category), ...regions.nodes,
    field(t('address'), address), h('div', { class: 'grid2' }, field(t('lat'), lat), field(t('lon'), lon)), locateMe,
    field(t('take_photos'), photos), h('button', { type: 'submit', class: 'primary', id: 'report-case' }, t('submit')), message);

    // reads: GET /cases total items[]@case
    const handled = await api('GET', '/cases?status=handled&page_size=50');
    const box = h('div', {});
    const queue = caseTable(handled.items, [...baseColumns(), [t('feedback'), (c) => c.feedback?.text ?? '—'], [t('actions'), (c) => {
      const note = h('input', { id: `verify-note-${c.id}`, maxlength: 2000, placeholder: t('verify_note') });
      const camera = cameraInput(`verify-photos-${c.id}`);
      const verify = (passed) => async () => {
        try {
          await uploadPhotos(c.id, 'verification', camera);
          await act(c.id, passed ? { action: 'verify', passed: true, ...(note.value.trim() ? { note: note.value.trim() } : {}) }
            : { action: 'verify', passed: false, note: note.value.trim() });
          document.querySelector(`tr[data-case="${c.id}"]`)?.remove();
          status(box, `#${c.id} ${t('saved')}`);
        } catch (err) { status(box, failText(err), 'error'); }
      };
      return h('div', { class: 'inline' }, h('label', { class: 'sr-only', for: note.id }, t('verify_note')), note,
        filePicker(camera, t('take_photos')),
        h('button', { type: 'button', 'data-verify': 'pass', onclick: verify(true) }, t('passed')),
        h('button', { type: 'button', 'data-verify': 'fail', onclick: verify(false) }, t('failed')));
    }]]);
    // reads: GET /cases items[]@case
    const recent = await api('GET', `/cases?channel=${channel}&page_size=10`);
    return [h('h1', {}, t('page.grid')), h('div', { class: 'columns' }, form,
      h('div', {}, section(`${t('verify_queue')} (${handled.total})`, box, queue),
        section(t('recent_reports'), caseTable(recent.items, baseColumns()))))];
  };

  // ---------------------------------------------------------------- dispatcher
  VIEWS.dispatcher = async () => {
    // Everything the page reads is asked for at once, before the rows ask for their routes: the
    // browser sends six requests at a time, and the extension lists came after a hundred route
    // calls (BENCHMARKS.md, start pages).
    // reads: GET /cases items[]@case
    const waitingLists = Promise.all(['dispatched', 'accepted'].map((s) => api('GET', `/cases?status=${s}&page_size=200`)));
    const unitList = units();
    // reads: GET /cases total items[]@case
    const lists = await Promise.all(['received', 'registered', 'returned'].map((s) => api('GET', `/cases?status=${s}&page_size=100`)));
    const cases = lists.flatMap((l) => l.items).sort((a, b) => a.id - b.id);
    const allUnits = await unitList;
    // The units whose coverage holds the case's street come first (负责本区域), the others after
    // them: one list per street, copied for each of its cases.
    const unitChoices = new Map();
    const unitChoice = (region) => {
      if (!unitChoices.has(region)) {
        const covering = allUnits.filter((u) => region && (u.regions ?? []).some((r) => holdsRegion(r, region)));
        const others = allUnits.filter((u) => !covering.includes(u));
        const list = (units_) => units_.map((u) => h('option', { value: u.code }, u.name));
        unitChoices.set(region, h('select', {}, h('option', { value: '' }, '—'),
          covering.length ? [h('optgroup', { label: t('units_covering') }, list(covering)), h('optgroup', { label: t('units_other') }, list(others))] : list(allUnits)));
      }
      return unitChoices.get(region);
    };
    const box = h('div', { id: 'dispatch-result' });
    const chosen = new Map();
    const rowDone = (id) => document.querySelector(`tr[data-case="${id}"]`)?.remove();
    async function dispatchOne(c, unit) {
      // Registration dispatches by itself when the routing rules are certain of the unit.
      if (c.status === 'received' && (await act(c.id, { action: 'register' })).status === 'dispatched') return;
      await act(c.id, { action: 'dispatch', unit });
    }
    const selectors = [];
    const table = caseTable(cases, [
      [t('select'), (c) => {
        const box_ = h('input', { type: 'checkbox', id: `pick-${c.id}`, 'data-pick': c.id });
        selectors.push(box_);
        return h('label', { for: box_.id, class: 'tick' }, box_, h('span', { class: 'sr-only' }, `#${c.id}`));
      }],
      ...baseColumns(),
      [t('received_at'), (c) => time(c.received_at)],
      [t('suggested_unit'), (c) => {
        // A copy of one list of the units: building a hundred lists of ninety options one by one
        // was most of the page's time.
        const select = unitChoice(c.region).cloneNode(true);
        select.id = `unit-${c.id}`;
        select.setAttribute('aria-label', `${t('unit')} #${c.id}`);
        const rule = h('small', { class: 'rule' });
        chosen.set(c.id, select);
        // Asked once the queue is drawn: a hundred calls at once held the page back.
        setTimeout(() => suggestUnit(c).then((s) => { if (s && !select.value) { select.value = s.unit.code; rule.textContent = `${t('rule')}: ${s.rule}`; } }));
        return h('div', {}, select, rule);
      }],
      [t('actions'), (c) => {
        const reason = h('input', { id: `reason-${c.id}`, maxlength: 2000, placeholder: t('reason') });
        const into = h('input', { id: `into-${c.id}`, type: 'number', min: 1, placeholder: t('merge_into') });
        const run = (fn) => async () => {
          try { await fn(); rowDone(c.id); status(box, `#${c.id} ${t('saved')}`); } catch (err) { status(box, failText(err), 'error'); }
        };
        return h('div', { class: 'inline' },
          h('button', { type: 'button', class: 'primary', 'data-dispatch': c.id, onclick: run(() => dispatchOne(c, chosen.get(c.id).value)) }, t('register_dispatch')),
          h('details', {}, h('summary', {}, t('more')),
            h('label', { class: 'sr-only', for: reason.id }, t('reason')), reason,
            h('button', { type: 'button', onclick: run(() => act(c.id, { action: 'reject', reason: reason.value.trim() })) }, t('action.reject')),
            h('label', { class: 'sr-only', for: into.id }, t('merge_into')), into,
            h('button', { type: 'button', onclick: run(() => act(c.id, { action: 'merge', into: Number(into.value) })) }, t('action.merge'))));
      }],
    ]);
    const selected = () => selectors.filter((s) => s.checked).map((s) => cases.find((c) => String(c.id) === s.dataset.pick));
    const bulk = (fn) => async () => {
      const picked = selected();
      const failures = [];
      for (const c of picked) {
        try { await fn(c); rowDone(c.id); } catch (err) { failures.push(`#${c.id}: ${err.message}`); }
      }
      status(box, failures.length ? failures.join('; ') : `${picked.length} ${t('saved')}`, failures.length ? 'error' : 'info');
    };
    const bar = h('div', { class: 'bulk', role: 'group', 'aria-label': t('bulk') },
      h('button', { type: 'button', onclick: () => selectors.forEach((s) => { s.checked = true; }) }, t('select_all')),
      h('button', { type: 'button', id: 'bulk-dispatch', onclick: bulk((c) => dispatchOne(c, chosen.get(c.id).value)) }, t('bulk_dispatch')),
      h('button', { type: 'button', id: 'bulk-register', onclick: bulk((c) => (c.status === 'received' ? act(c.id, { action: 'register' }) : Promise.resolve())) }, t('bulk_register')));
    const waiting = (await waitingLists).flatMap((l) => l.items).filter((c) => c.pending_extension);
    const extensions = caseTable(waiting, [...baseColumns(),
      [t('pending_extension'), (c) => `${c.pending_extension.amount} ${t(`lu.${c.pending_extension.unit}`)} · ${c.pending_extension.reason}`],
      [t('actions'), (c) => h('div', { class: 'inline' },
        h('button', { type: 'button', onclick: async () => { try { await act(c.id, { action: 'approve_extension', approved: true }); rowDone(c.id); } catch (err) { status(box, failText(err), 'error'); } } }, t('approve')),
        h('button', { type: 'button', onclick: async () => { try { await act(c.id, { action: 'approve_extension', approved: false }); rowDone(c.id); } catch (err) { status(box, failText(err), 'error'); } } }, t('deny')))]]);
    const total = lists.reduce((n, l) => n + l.total, 0);
    return [h('h1', {}, t('page.dispatcher')), section(`${t('dispatch_queue')} (${total})`, bar, box, table),
      section(`${t('extension_queue')} (${waiting.length})`, extensions)];
  };

  // ---------------------------------------------------------------- handling unit
  VIEWS.unit = async () => {
    // reads: GET /cases total items[]@case
    const lists = await Promise.all(['dispatched', 'accepted'].map((s) => api('GET', `/cases?status=${s}&page_size=200`)));
    const cases = lists.flatMap((l) => l.items)
      .sort((a, b) => (a.deadline ?? '9999').localeCompare(b.deadline ?? '9999') || a.id - b.id);
    const box = h('div', { id: 'unit-result' });
    const table = caseTable(cases, [...baseColumns(),
      [t('deadline'), (c) => h('span', {}, time(c.deadline), ' ', clockBadge(c), ' ', timeLeft(c.time_left_seconds))],
      [t('actions'), (c) => {
        const done = async (body) => {
          try { await act(c.id, body); status(box, `#${c.id} ${t('saved')}`); await render(); } catch (err) { status(box, failText(err), 'error'); }
        };
        if (c.status === 'dispatched') {
          const reason = h('input', { id: `return-reason-${c.id}`, maxlength: 2000, placeholder: t('reason') });
          return h('div', { class: 'inline' }, h('button', { type: 'button', class: 'primary', 'data-accept': c.id, onclick: () => done({ action: 'accept' }) }, t('accept_now')),
            h('details', {}, h('summary', {}, t('return_now')), h('label', { class: 'sr-only', for: reason.id }, t('reason')), reason,
              h('button', { type: 'button', onclick: () => done({ action: 'return', reason: reason.value.trim() }) }, t('return_now'))));
        }
        const feedback = h('textarea', { id: `feedback-${c.id}`, rows: 2, maxlength: 2000 });
        const photos = cameraInput(`feedback-photos-${c.id}`);
        const amount = h('input', { id: `ext-amount-${c.id}`, type: 'number', min: 1, max: 30, value: 1 });
        const unit = h('select', { id: `ext-unit-${c.id}` }, options(['working_days', 'working_hours', 'hours'].map((u) => [u, t(`lu.${u}`)])));
        const reason = h('input', { id: `ext-reason-${c.id}`, maxlength: 2000 });
        return h('div', { class: 'stack' },
          h('form', { 'data-handle': c.id, onsubmit: async (e) => {
            e.preventDefault();
            try { await uploadPhotos(c.id, 'handling', photos); } catch (err) { status(box, failText(err), 'error'); return; }
            done({ action: 'handle', feedback: feedback.value.trim() });
          } },
            field(t('feedback'), feedback), field(t('take_photos'), photos), h('button', { type: 'submit', class: 'primary' }, t('handle_now'))),
          c.pending_extension ? h('p', {}, t('pending_extension')) : h('details', {}, h('summary', {}, t('extension')),
            h('form', { onsubmit: (e) => { e.preventDefault(); done({ action: 'request_extension', amount: Number(amount.value), unit: unit.value, reason: reason.value.trim() }); } },
              field(t('amount'), amount), field(t('amount_unit'), unit), field(t('reason'), reason), h('button', { type: 'submit' }, t('submit')))));
      }]]);
    const total = lists.reduce((n, l) => n + l.total, 0);
    return [h('h1', {}, t('page.unit')), section(`${t('my_cases')} (${total})`, box, table), ...(USER?.unit ? await unitRecord(USER.unit) : [])];
  };

  /** A unit's own month — its three rates (the one definition the rankings use) and its place
   *  among the units — and its latest closed cases. */
  async function unitRecord(code) {
    const month = thisMonth();
    const unitQ = encodeURIComponent(code);
    // reads: GET /rates rates.response_rate rates.resolution_rate rates.satisfaction_rate rates.score counts.dispatched counts.called_back
    // reads: GET /rankings min_cases items[].code items[].rank items[].insufficient
    // reads: GET /cases total items[]@case
    const [unitRates, unitRanking, closed, calledBack] = await Promise.all([
      optional('GET', `/rates?period=${month}&unit=${unitQ}`), optional('GET', `/rankings?period=${month}&level=unit`),
      api('GET', `/cases?unit=${unitQ}&status=closed&page_size=30`), api('GET', `/cases?unit=${unitQ}&status=called_back&page_size=30`)]);
    const mine = unitRanking?.items.find((r) => r.code === code);
    const ranked = unitRanking ? unitRanking.items.filter((r) => r.rank !== null && r.rank !== undefined).length : 0;
    const rank = !mine ? '—'
      : mine.insufficient ? h('span', { class: 'badge muted', 'data-insufficient': '' }, t('insufficient'))
        : mine.rank ? t('unit_rank_of').replace('{rank}', mine.rank).replace('{n}', ranked) : '—';
    const figures = unitRates
      ? grid([t('rate_response'), t('rate_resolution'), t('rate_satisfaction'), t('score'), t('unit_rank'), t('sample')],
        [[pct100(unitRates.rates.response_rate), pct100(unitRates.rates.resolution_rate), pct100(unitRates.rates.satisfaction_rate), num(unitRates.rates.score), rank,
          `${unitRates.counts.dispatched} / ${unitRates.counts.called_back}`]], 'unit-figures', 'cards')
      : unavailable();
    const history = [...closed.items, ...calledBack.items].sort((a, b) => b.id - a.id).slice(0, 30);
    return [section(`${t('unit_figures')} · ${month}`, figures, h('p', { class: 'muted' }, t('rates_source'))),
      section(t('unit_history'), caseTable(history, [...baseColumns(), [t('deadline'), (c) => time(c.deadline)]], () => ({}), { id: 'unit-history' }))];
  }


  // ---------------------------------------------------------------- the to-do inbox (待办)
  // fields @inbox: unread total items[].id items[].kind items[].at items[].case_id items[].order_id items[].title items[].note items[].deadline items[].approved items[].level items[].target_kind items[].target items[].reminded_at items[].unread
  /** Who answers a 督办单 from the inbox: the supervised unit's staff, and dispatchers for places. */
  const answersOrders = () => ['handling_unit', 'member_unit', 'dispatcher', 'admin'].includes(USER?.role);
  VIEWS.inbox = async () => {
    // reads: GET /inbox @inbox
    const inbox = await api('GET', '/inbox');
    showUnread(inbox.unread);
    // Orders on a unit name it, not its code.
    const unitNames = inbox.items.some((i) => i.target_kind === 'unit') ? new Map((await units()).map((u) => [u.code, u.name])) : new Map();
    const unreadOnly = new URLSearchParams(location.search).get('show') === 'unread';
    const box = h('div', { id: 'inbox-result' });
    const markRead = async (body) => {
      // reads: POST /inbox/read @inbox
      const after = await api('POST', '/inbox/read', body);
      showUnread(after.unread);
      return after;
    };
    const redraw = async () => { await render(); };
    const items = unreadOnly ? inbox.items.filter((i) => i.unread) : inbox.items;
    const card = (i) => {
      const detail = [];
      if (i.kind === 'extension_answer') detail.push(h('span', { class: `badge ${i.approved ? 'ok' : 'bad'}` }, t(i.approved ? 'ext_approved' : 'ext_refused')));
      if (i.level) detail.push(h('span', { class: 'badge warn' }, t(`sl.${i.level}`)));
      if (i.target_kind && i.target_kind !== 'case') {
        const target = i.target_kind === 'unit' ? unitNames.get(i.target) ?? i.target : i.target;
        detail.push(h('span', {}, `${t('order_target')}：${t(`tk.${i.target_kind}`)} ${target}`));
      }
      if (i.deadline) detail.push(h('span', {}, `${t('inbox_deadline')}：${time(i.deadline)}`));
      if (i.reminded_at) detail.push(h('span', {}, `${t('inbox_reminded')}：${time(i.reminded_at)}`));
      // An order on a case links to the case, as a case's own item does.
      const caseRef = i.case_id ?? (i.target_kind === 'case' ? i.target : null);
      const title = caseRef ? h('a', { href: `/cases/${caseRef}` }, `#${caseRef} ${i.title}`) : h('span', {}, i.title);
      const actions = [];
      if (i.unread) {
        actions.push(h('button', { type: 'button', class: 'mark-read', 'data-mark': i.id, onclick: async () => {
          try { await markRead({ items: [i.id] }); await redraw(); } catch (err) { status(box, failText(err), 'error'); }
        } }, t('inbox_mark_read')));
      }
      if (['assigned', 'rework', 'due_soon', 'overdue'].includes(i.kind) && ['handling_unit', 'member_unit'].includes(USER?.role)) {
        actions.push(h('a', { href: '/unit', class: 'button-link' }, t('inbox_go_unit')));
      }
      let reply = null;
      if (i.kind === 'order' && answersOrders()) {
        const text = h('textarea', { id: `order-reply-${i.order_id}`, rows: 3, maxlength: 2000, required: true });
        reply = h('form', { class: 'stack order-reply', 'data-order': i.order_id, onsubmit: async (e) => {
          e.preventDefault();
          try {
            // reads: POST /supervision/orders/{id}/reply id state
            await api('POST', `/supervision/orders/${i.order_id}/reply`, { reply: text.value.trim() });
            status(box, `${t('inbox_replied')} #${i.order_id}`);
            // The answered order leaves the inbox; nothing left to mark read.
            await redraw();
          } catch (err) { status(box, failText(err), 'error'); }
        } }, field(t('inbox_reply_text'), text), h('button', { type: 'submit', class: 'primary' }, t('inbox_reply_send')));
      }
      return h('li', { class: `inbox-item${i.unread ? ' unread' : ''}`, 'data-item': i.id, 'data-kind': i.kind },
        h('div', { class: 'inbox-head' }, h('span', { class: `badge kind-${i.kind}` }, t(`ik.${i.kind}`)),
          i.unread ? h('span', { class: 'badge unread-mark' }, t('inbox_unread')) : null, h('time', { datetime: i.at }, time(i.at))),
        h('p', { class: 'inbox-title' }, title),
        i.note ? h('p', { class: 'inbox-note' }, I18N.zh[`note.${i.kind}`] ? `${t(`note.${i.kind}`)}：${i.note}` : i.note) : null,
        detail.length ? h('p', { class: 'inbox-detail' }, ...detail.flatMap((d, n) => (n ? [' · ', d] : [d]))) : null,
        actions.length ? h('div', { class: 'inline' }, ...actions) : null, reply);
    };
    const show = h('div', { class: 'inline', role: 'group', 'aria-label': t('inbox_show') },
      h('a', { href: '/inbox', 'aria-current': unreadOnly ? null : 'true' }, `${t('inbox_show_all')} (${inbox.total})`),
      h('a', { href: '/inbox?show=unread', 'aria-current': unreadOnly ? 'true' : null }, `${t('inbox_show_unread')} (${inbox.unread})`),
      inbox.unread ? h('button', { type: 'button', id: 'inbox-all-read', onclick: async () => {
        try { await markRead({ all: true }); await redraw(); } catch (err) { status(box, failText(err), 'error'); }
      } }, t('inbox_all_read')) : null);
    const list = items.length ? h('ul', { class: 'inbox-list', id: 'inbox-list' }, items.map(card)) : h('p', { class: 'empty', id: 'inbox-empty' }, t('inbox_empty'));
    return [h('h1', {}, t('page.inbox')), section(`${t('inbox_section')} · ${t('inbox_unread_n').replace('{n}', inbox.unread)}`, show, box, list)];
  };

  // ---------------------------------------------------------------- supervisor
  VIEWS.supervisor = async () => {
    // reads: GET /dashboard @overview
    // reads: GET /cases total items[]@case
    const [overview, overdue] = await Promise.all([api('GET', '/dashboard'), api('GET', '/cases?overdue=true&page_size=50')]);
    const box = h('div', { id: 'supervise-result' });
    const table = caseTable(overdue.items, [...baseColumns(), [t('unit'), (c) => c.unit_name ?? '—'],
      [t('deadline'), (c) => h('span', {}, time(c.deadline), ' ', clockBadge(c))],
      [t('supervision'), (c) => {
        const level = h('select', { id: `level-${c.id}` }, options(['general', 'key', 'urgent'].map((l) => [l, t(`sl.${l}`)])));
        const note = h('input', { id: `supervise-note-${c.id}`, maxlength: 2000, placeholder: t('reason'), required: true });
        return h('form', { class: 'inline', 'data-supervise': c.id, onsubmit: async (e) => {
          e.preventDefault();
          try { await act(c.id, { action: 'supervise', level: level.value, note: note.value.trim() }); status(box, `#${c.id} ${t('saved')}`); } catch (err) { status(box, failText(err), 'error'); }
        } }, h('label', { class: 'sr-only', for: level.id }, t('level')), level, h('label', { class: 'sr-only', for: note.id }, t('reason')), note,
        h('button', { type: 'submit' }, t('action.supervise')));
      }]]);
    // The month asked for (?period=YYYY-MM), else this month in Beijing time.
    const asked = new URLSearchParams(location.search).get('period');
    const month = /^\d{4}-\d{2}$/.test(asked ?? '') ? asked : thisMonth();
    const picker = h('input', { type: 'month', id: 'ranking-month', value: month, max: thisMonth(), required: true });
    const monthForm = h('form', { class: 'row', id: 'month-picker', onsubmit: (e) => {
      e.preventDefault();
      if (picker.value) location.assign(`/supervisor?period=${encodeURIComponent(picker.value)}`);
    } }, field(t('period'), picker), h('button', { type: 'submit' }, t('refresh')));
    // reads: GET /rankings min_cases items[].rank items[].name items[].score items[].response_rate items[].resolution_rate items[].satisfaction_rate items[].movement items[].insufficient items[].dispatched items[].called_back interview[].name interview[].score
    // reads: GET /hotspots items[].category items[].name items[].count items[].change_vs_previous items[].change_vs_last_year spikes[].name spikes[].category spikes[].count spikes[].usual
    // reads: GET /hotspots/places items[].place items[].kind items[].count items[].categories items[].history[].id items[].history[].received_at
    // reads: GET /supervision/listings items[].id items[].name items[].kind items[].reason items[].deadline items[].overdue items[].checks
    // reads: GET /campaigns items[].theme items[].period.first items[].period.last items[].entries items[].effect.count items[].effect.previous.change_percent items[].effect.last_year.change_percent
    // reads: GET /supervision/watches items[].id items[].place items[].region items[].region_name items[].category items[].category_name items[].every_days items[].next_due items[].due items[].last_case
    const [ranking, hot, places, listings, campaigns, watches] = await Promise.all([
      optional('GET', `/rankings?period=${month}&level=street`), optional('GET', `/hotspots?period=${month}&limit=10`),
      optional('GET', `/hotspots/places?period=${month}&limit=10`), optional('GET', '/supervision/listings?open=true'),
      optional('GET', '/campaigns'), optional('GET', '/supervision/watches?active=true')]);
    const rankings = ranking
      ? [grid([t('rank'), t('region'), t('score'), t('rate_response'), t('rate_resolution'), t('rate_satisfaction'), t('movement'), t('sample')],
        ranking.items.map((r) => [r.rank ?? (r.insufficient ? h('span', { class: 'badge muted', 'data-insufficient': '' }, t('insufficient')) : '—'), r.name, num(r.score),
          pct100(r.response_rate), pct100(r.resolution_rate), pct100(r.satisfaction_rate),
          r.movement > 0 ? `▲${r.movement}` : r.movement < 0 ? `▼${-r.movement}` : '—', `${r.dispatched} / ${r.called_back}`]), 'ranking'),
      h('p', { class: 'muted' }, `${t('insufficient_hint')} ${ranking.min_cases}`),
      h('p', { 'data-interview': '' }, `${t('interview')}: `, ranking.interview.map((r) => `${r.name} (${num(r.score)})`).join('、') || '—')]
      : [unavailable(t('rankings_unavailable'))];
    const problems = hot
      ? [grid([t('category'), t('cases_n'), t('vs_previous'), t('vs_last_year')],
        hot.items.map((p) => [`${p.category} ${p.name ?? ''}`, p.count, change(p.change_vs_previous), change(p.change_vs_last_year)]), 'hot-problems'),
      hot.spikes.length ? h('p', {}, `${t('spikes')}: `, hot.spikes.map((x) => `${x.name ?? x.category} ${x.count} (${t('usual')} ${num(x.usual)})`).join('、')) : null]
      : [unavailable()];
    const placeTable = places
      ? grid([t('place'), t('kind'), t('cases_n'), t('category'), t('latest_case')], places.items.map((p) => {
        const latest = p.history[p.history.length - 1];
        return [p.place, t(`pk.${p.kind}`), p.count, p.categories.join('、'), latest ? h('a', { href: `/cases/${latest.id}` }, `#${latest.id} ${time(latest.received_at)}`) : '—'];
      }), 'hot-places')
      : unavailable();
    return [h('h1', {}, t('page.supervisor')), kpis(overview), section(`${t('overdue_list')} (${overdue.total})`, box, table),
      section(`${t('rankings')} · ${month}`, monthForm, ...rankings),
      section(`${t('hot_problems')} · ${month}`, ...problems, h('a', { href: '/dashboard' }, t('page.dashboard'))),
      section(`${t('hot_places')} · ${month}`, placeTable),
      section(t('listings'), ...(listings ? listingsPanel(listings.items) : [unavailable()])),
      section(t('campaigns'), ...(campaigns ? campaignsPanel(campaigns.items) : [unavailable()])),
      section(t('watches'), ...(watches ? await watchesPanel(watches.items) : [unavailable()]))];
  };

  const num = (x) => (x === null || x === undefined ? '—' : Number(x).toFixed(1));
  /** A rate the analytics API gives in percent (0–100). */
  const pct100 = (x) => (x === null || x === undefined ? '—' : `${Number(x).toFixed(1)}%`);
  const change = (x) => (x === null || x === undefined ? '—' : `${x > 0 ? '+' : ''}${Number(x).toFixed(1)}%`);
  /** A plain table of rows of cells (text or nodes), or a word that there is none. */
  const grid = (headings, rows, id, tableClass) => h('div', { class: 'table-wrap', id }, rows.length ? h('table', { class: tableClass },
    h('thead', {}, h('tr', {}, headings.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((x, i) => h('td', { 'data-label': headings[i] }, x)))))) : h('p', { class: 'muted' }, t('none')));
  /** A form whose submit sends `body()` and redraws the page, or says what was refused. */
  const apiForm = (id, label, controls, send) => {
    const box = h('div', { id: `${id}-result` });
    return h('form', { id, class: 'stack', onsubmit: async (e) => {
      e.preventDefault();
      try { await send(); await render(); } catch (err) { status(box, failText(err), 'error'); }
    } }, ...controls, h('button', { type: 'submit', class: 'primary' }, label), box);
  };
  /** A date input's day as a deadline at 17:00 Beijing time, the end of that working day. */
  const endOfDay = (day) => `${day}T17:00:00+08:00`;

  function listingsPanel(items) {
    const rows = items.map((l) => {
      const passed = h('input', { type: 'checkbox', id: `check-passed-${l.id}` });
      const note = h('input', { id: `check-note-${l.id}`, maxlength: 2000, placeholder: t('note') });
      const box = h('span', {});
      const check = h('form', { class: 'inline', 'data-check': l.id, onsubmit: async (e) => {
        e.preventDefault();
        // reads: POST /supervision/listings/{id}/checks -
        try { await api('POST', `/supervision/listings/${l.id}/checks`, { passed: passed.checked, note: note.value.trim() || null }); await render(); } catch (err) { status(box, failText(err), 'error'); }
      } }, h('label', { for: passed.id }, passed, t('passed')), h('label', { class: 'sr-only', for: note.id }, t('note')), note, h('button', { type: 'submit' }, t('check')), box);
      return [l.name, t(`lk.${l.kind}`), l.reason, h('span', {}, time(l.deadline), ' ', l.overdue ? h('span', { class: 'badge bad' }, t('overdue')) : ''), `${l.checks.length}`, check];
    });
    const kind = h('select', { id: 'listing-kind' }, options([['place', t('lk.place')], ['unit', t('lk.unit')], ['alley', t('lk.alley')]]));
    const target = h('input', { id: 'listing-target', required: true, maxlength: 2000 });
    const name = h('input', { id: 'listing-name', required: true, maxlength: 2000 });
    const reason = h('input', { id: 'listing-reason', required: true, maxlength: 2000 });
    const deadline = h('input', { id: 'listing-deadline', type: 'date', required: true });
    return [grid([t('listing_name'), t('kind'), t('reason'), t('deadline'), t('checks'), t('check')], rows, 'listings'),
      h('details', {}, h('summary', {}, t('list_new')), apiForm('new-listing', t('list_new'),
        [field(t('kind'), kind), field(t('target'), target), field(t('listing_name'), name), field(t('reason'), reason), field(t('deadline'), deadline)],
        // reads: POST /supervision/listings -
        () => api('POST', '/supervision/listings', { kind: kind.value, target: target.value.trim(), name: name.value.trim(), reason: reason.value.trim(), deadline: endOfDay(deadline.value) })))];
  }

  function campaignsPanel(items) {
    const rows = items.map((c) => [c.theme, `${c.period.first}–${c.period.last}`, c.entries.join('、'),
      c.effect.count, change(c.effect.previous?.change_percent), change(c.effect.last_year?.change_percent)]);
    const theme = h('input', { id: 'campaign-theme', required: true, maxlength: 200 });
    const entries = h('input', { id: 'campaign-entries', required: true, placeholder: 'S01, S0102' });
    const regions = h('input', { id: 'campaign-regions', placeholder: '110105000000' });
    const first = h('input', { id: 'campaign-first', type: 'month', required: true });
    const last = h('input', { id: 'campaign-last', type: 'month', required: true });
    const codes = (text) => text.split(/[,，、\s]+/).map((x) => x.trim()).filter(Boolean);
    return [grid([t('theme'), t('period'), t('category'), t('cases_n'), t('effect_previous'), t('effect_last_year')], rows, 'campaigns'),
      h('details', {}, h('summary', {}, t('declare')), apiForm('new-campaign', t('declare'),
        [field(t('theme'), theme), field(t('entries'), entries), field(t('campaign_regions'), regions), field(t('first_month'), first), field(t('last_month'), last)],
        // reads: POST /campaigns -
        () => api('POST', '/campaigns', { theme: theme.value.trim(), entries: codes(entries.value), regions: codes(regions.value), first_month: first.value, last_month: last.value })))];
  }

  async function watchesPanel(items) {
    // reads: POST /supervision/watches/{id}/stop -
    const rows = items.map((w) => [w.place, w.region_name ?? w.region, `${w.category} ${w.category_name ?? ''}`, w.every_days, h('span', {}, time(w.next_due), ' ', w.due ? h('span', { class: 'badge warn' }, t('due_soon')) : ''),
      w.last_case ? h('a', { href: `/cases/${w.last_case}` }, `#${w.last_case}`) : '—',
      h('button', { type: 'button', 'data-stop-watch': w.id, onclick: async () => { await api('POST', `/supervision/watches/${w.id}/stop`); await render(); } }, t('stop'))]);
    const regions = await regionPicker('watch');
    const place = h('input', { id: 'watch-place', required: true, maxlength: 300 });
    const category = await categorySelect({ id: 'watch-category', required: true });
    const every = h('input', { id: 'watch-every', type: 'number', min: 1, max: 90, value: 7, required: true });
    return [grid([t('place'), t('region'), t('category'), t('every_days'), t('next_due'), t('last_inspection'), t('actions')], rows, 'watches'),
      h('details', {}, h('summary', {}, t('watch_add')), apiForm('new-watch', t('watch_add'),
        [...regions.nodes, field(t('place'), place), field(t('category'), category), field(t('every_days'), every)],
        // reads: POST /supervision/watches -
        () => api('POST', '/supervision/watches', { region: regions.street.value || regions.district.value, place: place.value.trim(), category: category.value, every_days: Number(every.value) })))];
  }

  // ---------------------------------------------------------------- administrator
  // Users, units and the audit log, one tab each (`/admin?tab=…`); the catalogue and the routing
  // rules on the last. Every change goes through the API, which checks it and writes the audit log.
  const ADMIN_TABS = ['users', 'units', 'audit', 'reference'];
  /** The city, its districts and streets by code (what units cover), for names instead of codes. */
  const allRegions = () => once('regions:all', () => Promise.all(['city', 'district', 'street'].map((level) =>
    // reads: GET /regions items[].code items[].name items[].level items[].parent
    api('GET', `/regions?level=${level}`).then((r) => r.items))).then((lists) => new Map(lists.flat().map((x) => [x.code, x]))));
  // reads: GET /unit-types items[].code items[].name items[].name_en
  const unitTypes = () => once('unit-types', () => api('GET', '/unit-types').then((r) => r.items));
  /** A region's name, a street's after its district's (朝阳区望京街道). */
  const regionLabel = (map, code) => {
    const r = map.get(code);
    if (!r) return code;
    const up = r.parent ? map.get(r.parent) : null;
    return up && up.level === 'district' ? `${up.name}${r.name}` : r.name;
  };
  const typeName = (types, code) => { const x = types.find((y) => y.code === code); return x ? (lang === 'en' && x.name_en ? x.name_en : x.name) : code; };
  /** What the last change did, told once above the redrawn tab. */
  let adminFlash = null;
  const flashBox = () => { const text = adminFlash; adminFlash = null; return text ? h('p', { class: 'notice ok', role: 'status', id: 'admin-flash' }, text) : null; };
  /** Runs a change, then redraws the page with `flash`, or tells the refusal in `box`. */
  const adminChange = (box, send, flash) => async () => {
    try { await send(); adminFlash = flash; delete cache.units; await render(); } catch (err) { status(box, failText(err), 'error'); }
  };
  /** A question with a confirming and a cancelling button, in `box`. */
  const ask = (box, question, label, controls, onConfirm) => {
    box.replaceChildren(h('div', { class: 'confirm' }, h('p', {}, question), ...controls,
      h('div', { class: 'inline' }, h('button', { type: 'button', class: 'primary', 'data-confirm': '', onclick: onConfirm }, label),
        h('button', { type: 'button', 'data-cancel': '', onclick: () => box.replaceChildren() }, t('cancel')))));
    box.querySelector('input, select, button')?.focus();
  };
  const roleOptions = (selected) => options(valuesOf('role').map((r) => [r, t(`role.${r}`)]), selected);
  const unitOptions = (list, selected) => options([['', t('no_unit')], ...list.map((u) => [u.code, u.name])], selected ?? '');

  VIEWS.admin = async () => {
    const params = new URLSearchParams(location.search);
    const tab = ADMIN_TABS.includes(params.get('tab')) ? params.get('tab') : 'users';
    const tabs = h('nav', { class: 'tabs', 'aria-label': t('page.admin') }, ADMIN_TABS.map((name) =>
      h('a', { href: `/admin?tab=${name}`, id: `tab-${name}`, 'aria-current': name === tab ? 'page' : null }, t(`tab.${name}`))));
    return [h('h1', {}, t('page.admin')), tabs, flashBox(), ...[await ADMIN_PANELS[tab](params)].flat()].filter(Boolean);
  };
  const ADMIN_PANELS = {};

  ADMIN_PANELS.users = async (params) => {
    const [allUnits] = await Promise.all([units()]);
    const filters = new URLSearchParams();
    for (const name of ['q', 'role', 'unit', 'disabled']) if (params.get(name)) filters.set(name, params.get(name));
    const q = h('input', { id: 'user-q', type: 'search', maxlength: 64, value: filters.get('q') ?? '', placeholder: t('user_q_hint') });
    const roleFilter = h('select', { id: 'user-role' }, h('option', { value: '' }, t('all')), roleOptions(filters.get('role') ?? ''));
    const unitFilter = h('select', { id: 'user-unit' }, options([['', t('all')], ...allUnits.map((u) => [u.code, u.name])], filters.get('user_unit') ?? ''));
    const stateFilter = h('select', { id: 'user-state' }, options([['', t('all')], ['false', t('user_active')], ['true', t('user_disabled')]], filters.get('disabled') ?? ''));
    const search = h('form', { id: 'user-search', class: 'card', onsubmit: (e) => {
      e.preventDefault();
      const next = new URLSearchParams({ tab: 'users' });
      for (const [name, control] of [['q', q], ['role', roleFilter], ['unit', unitFilter], ['disabled', stateFilter]]) if (control.value.trim()) next.set(name, control.value.trim());
      history.pushState(null, '', `/admin?${next}`);
      render();
    } }, h('h2', {}, t('user_search')),
    h('div', { class: 'grid2' }, field(t('user_q'), q), field(t('role'), roleFilter), field(t('user_unit'), unitFilter), field(t('user_status'), stateFilter)),
    h('button', { type: 'submit', class: 'primary', id: 'user-search-submit' }, t('search')));

    // reads: GET /users items[].id items[].username items[].display_name items[].role items[].unit items[].unit_name items[].regions[].name items[].disabled items[].disabled_at
    const found = await api('GET', `/users?${filters}`);
    const row = (u) => {
      const box = h('div', { class: 'row-panel', 'aria-live': 'polite' });
      const name = u.display_name === u.username ? u.username : `${u.display_name}（${u.username}）`;
      const toggle = u.disabled
        // reads: POST /users/{id}/enable -
        ? h('button', { type: 'button', 'data-user-action': 'enable', onclick: () => ask(box, t('confirm_enable').replace('{name}', name), t('enable'), [],
          adminChange(box, () => api('POST', `/users/${u.id}/enable`), `${t('enable')}：${name}`)) }, t('enable'))
        // reads: POST /users/{id}/disable -
        : h('button', { type: 'button', 'data-user-action': 'disable', onclick: () => ask(box, t('confirm_disable').replace('{name}', name), t('disable'), [],
          adminChange(box, () => api('POST', `/users/${u.id}/disable`), `${t('disable')}：${name}`)) }, t('disable'));
      const reset = h('button', { type: 'button', 'data-user-action': 'reset', onclick: () => {
        const password = h('input', { id: `reset-password-${u.id}`, type: 'password', autocomplete: 'new-password' });
        // reads: POST /users/{id}/password -
        ask(box, t('confirm_reset').replace('{name}', name), t('reset_password'), [field(t('new_password'), password)],
          adminChange(box, () => api('POST', `/users/${u.id}/password`, { password: password.value }), `${t('password_was_reset')}：${name}`));
      } }, t('reset_password'));
      const edit = h('button', { type: 'button', 'data-user-action': 'change', onclick: () => {
        const display = h('input', { id: `user-name-${u.id}`, maxlength: 64, value: u.display_name });
        const role = h('select', { id: `user-role-${u.id}` }, roleOptions(u.role));
        const unit = h('select', { id: `user-unit-${u.id}` }, unitOptions(allUnits, u.unit));
        // reads: PATCH /users/{id} -
        ask(box, `${t('change_user')}：${name}`, t('save'), [h('div', { class: 'grid2' }, field(t('display_name'), display), field(t('role'), role), field(t('user_unit'), unit))],
          adminChange(box, () => api('PATCH', `/users/${u.id}`, { display_name: display.value.trim(), role: role.value, unit: unit.value || null }), `${t('user_saved')}：${name}`));
      } }, t('change_user'));
      // Oneself: no disabling and no reset here (the server refuses both); 修改密码 is in the header.
      const self = u.username === USER.username;
      return h('tr', { 'data-user': u.username },
        h('td', { 'data-label': t('username') }, u.username), h('td', { 'data-label': t('display_name') }, u.display_name),
        h('td', { 'data-label': t('role') }, t(`role.${u.role}`)), h('td', { 'data-label': t('user_unit') }, u.unit_name ?? '—'),
        h('td', { 'data-label': t('user_area') }, u.regions.map((r) => r.name).join('、') || '—'),
        h('td', { 'data-label': t('user_status') }, u.disabled ? h('span', { class: 'badge bad' }, t('user_disabled')) : h('span', { class: 'badge ok' }, t('user_active'))),
        h('td', { 'data-label': t('admin_actions') }, h('div', { class: 'inline' }, self ? null : toggle, self ? null : reset, edit), box));
    };
    const table = found.items.length
      ? h('div', { class: 'table-wrap' }, h('table', { id: 'user-table', class: 'cards' },
        h('thead', {}, h('tr', {}, [t('username'), t('display_name'), t('role'), t('user_unit'), t('user_area'), t('user_status'), t('admin_actions')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, found.items.map(row))))
      : h('p', { class: 'empty' }, t('empty'));

    const username = h('input', { id: 'new-username', maxlength: 64, autocomplete: 'off', required: true });
    const display = h('input', { id: 'new-display-name', maxlength: 64 });
    const role = h('select', { id: 'new-role' }, roleOptions('grid_worker'));
    const unit = h('select', { id: 'new-unit' }, unitOptions(allUnits, ''));
    const password = h('input', { id: 'new-password', type: 'password', autocomplete: 'new-password', required: true });
    const createBox = h('div', { id: 'new-user-result' });
    const create = h('form', { id: 'new-user', class: 'card', onsubmit: (e) => {
      e.preventDefault();
      // reads: POST /users username
      adminChange(createBox, () => api('POST', '/users', { username: username.value.trim(), display_name: display.value.trim() || null, role: role.value, unit: unit.value || null, password: password.value }),
        `${t('user_created')}：${username.value.trim()}`)();
    } }, h('h2', {}, t('new_user')), h('p', { class: 'hint' }, t('new_user_hint')),
    h('div', { class: 'grid2' }, field(t('username'), username), field(t('display_name'), display), field(t('role'), role), field(t('user_unit'), unit), field(t('initial_password'), password)),
    h('button', { type: 'submit', class: 'primary', id: 'new-user-submit' }, t('create_user')), createBox);
    return [search, section(t('admin_users_n').replace('{n}', found.items.length), table), create];
  };

  /** The form of a unit: new (`u` null) or the coverage of `u`. */
  function unitForm(u, regions, types, box, onCancel) {
    const prefix = u ? `unit-${u.code}` : 'new-unit';
    const code = u ? null : h('input', { id: `${prefix}-code`, maxlength: 64, required: true, placeholder: t('unit_code_hint') });
    const name = h('input', { id: `${prefix}-name`, maxlength: 64, required: true, value: u?.name ?? '' });
    const kind = h('select', { id: `${prefix}-kind` }, options(valuesOf('unit_kind').map((k) => [k, t(`unit_kind.${k}`)]), u?.kind ?? 'street_office'));
    const chosen = [...(u?.regions ?? [])];
    const chips = h('ul', { class: 'chips', id: `${prefix}-regions` });
    const drawChips = () => chips.replaceChildren(...(chosen.length ? chosen.map((c) => h('li', { 'data-region': c }, regionLabel(regions, c), ' ',
      h('button', { type: 'button', 'aria-label': `${t('remove')} ${regionLabel(regions, c)}`, onclick: () => { chosen.splice(chosen.indexOf(c), 1); drawChips(); } }, '×')))
      : [h('li', { class: 'empty' }, t('no_regions'))]));
    drawChips();
    const checks = h('div', { class: 'checks', id: `${prefix}-types` }, types.map((x) => h('label', {},
      h('input', { type: 'checkbox', value: x.code, checked: (u?.types ?? []).includes(x.code) }), typeName(types, x.code))));
    return (async () => {
      const picker = await regionPicker(prefix);
      const add = h('button', { type: 'button', id: `${prefix}-add-region`, onclick: () => {
        const c = picker.street.value || picker.district.value;
        if (c && !chosen.includes(c)) { chosen.push(c); drawChips(); }
      } }, t('add_region'));
      const send = () => {
        const body = { name: name.value.trim(), kind: kind.value, regions: chosen, types: [...checks.querySelectorAll('input:checked')].map((i) => i.value) };
        // reads: POST /units code
        if (!u) return api('POST', '/units', { code: code.value.trim(), ...body });
        // reads: PUT /units/{code} code
        return api('PUT', `/units/${encodeURIComponent(u.code)}`, body);
      };
      return h('form', { class: 'stack unit-form', id: `${prefix}-form`, onsubmit: (e) => { e.preventDefault(); adminChange(box, send, `${t('unit_saved')}：${name.value.trim()}`)(); } },
        h('div', { class: 'grid2' }, code ? field(t('unit_code'), code) : null, field(t('unit_name'), name), field(t('kind'), kind)),
        h('div', { class: 'field' }, h('span', { class: 'label' }, t('regions')), chips),
        h('div', { class: 'grid2 picker' }, ...picker.nodes, h('div', { class: 'field' }, h('span', { class: 'label' }, '\u00a0'), add)),
        h('div', { class: 'field' }, h('span', { class: 'label' }, t('unit_types')), checks),
        h('div', { class: 'inline' }, h('button', { type: 'submit', class: 'primary' }, u ? t('save') : t('create_unit')),
          onCancel ? h('button', { type: 'button', onclick: onCancel }, t('cancel')) : null), box);
    })();
  }

  ADMIN_PANELS.units = async () => {
    const [allUnits, regions, types] = await Promise.all([units(), allRegions(), unitTypes()]);
    // A unit's edit form opens in a full-width row under it, not squeezed into the last cell.
    const rows = allUnits.flatMap((u) => {
      const result = h('div', {});
      const editRow = h('tr', { class: 'edit-row', hidden: true }, h('td', { colspan: 5 }));
      const edit = h('button', { type: 'button', 'data-edit-unit': u.code, onclick: async () => {
        editRow.firstChild.replaceChildren(await unitForm(u, regions, types, result, () => { editRow.hidden = true; }));
        editRow.hidden = false;
        editRow.querySelector('input')?.focus();
      } }, t('edit_coverage'));
      return [h('tr', { 'data-unit': u.code },
        h('td', { 'data-label': t('unit_name') }, h('strong', {}, u.name), h('div', { class: 'hint' }, u.code)),
        h('td', { 'data-label': t('kind') }, t(`unit_kind.${u.kind}`)),
        h('td', { 'data-label': t('regions') }, u.regions.map((c) => regionLabel(regions, c)).join('、') || '—'),
        h('td', { 'data-label': t('unit_types') }, (u.types ?? []).map((c) => typeName(types, c)).join('、') || '—'),
        h('td', { 'data-label': t('admin_actions') }, edit)), editRow];
    });
    const table = h('div', { class: 'table-wrap' }, h('table', { id: 'unit-table', class: 'cards' },
      h('thead', {}, h('tr', {}, [t('unit_name'), t('kind'), t('regions'), t('unit_types'), t('admin_actions')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)));
    const createBox = h('div', { id: 'new-unit-result' });
    return [section(t('admin_units_n').replace('{n}', allUnits.length), table),
      h('details', { class: 'card', id: 'new-unit' }, h('summary', {}, t('new_unit')), await unitForm(null, regions, types, createBox))];
  };

  ADMIN_PANELS.audit = async (params) => {
    const filters = new URLSearchParams();
    for (const name of ['actor', 'kind', 'subject', 'from', 'to']) if (params.get(name)) filters.set(name, params.get(name));
    const actor = h('input', { id: 'audit-actor', maxlength: 64, value: filters.get('actor') ?? '' });
    const kind = h('select', { id: 'audit-kind' }, options([['', t('all')], ...valuesOf('audit').map((k) => [k, t(`audit.${k}`)])], filters.get('kind') ?? ''));
    const subject = h('input', { id: 'audit-subject', maxlength: 64, value: filters.get('subject') ?? '' });
    const from = h('input', { id: 'audit-from', type: 'date', value: filters.get('from') ?? '' });
    const to = h('input', { id: 'audit-to', type: 'date', value: filters.get('to') ?? '' });
    const chosen = () => {
      const out = new URLSearchParams();
      for (const [name, control] of [['actor', actor], ['kind', kind], ['subject', subject], ['from', from], ['to', to]]) if (control.value.trim()) out.set(name, control.value.trim());
      return out;
    };
    const message = h('div', { id: 'audit-message', 'aria-live': 'polite' });
    const exportCsv = async () => {
      const query = chosen();
      query.set('lang', lang);
      status(message, t('exporting'));
      try {
        // reads: GET /audit/export blob
        const file = await api('GET', `/audit/export?${query}`);
        saveFile(file, `${t('tab.audit')}-${beijing(new Date()).slice(0, 10)}.csv`);
        status(message, t('exported'), 'ok');
      } catch (err) { status(message, failText(err), 'error'); }
    };
    const form = h('form', { id: 'audit-form', class: 'card', onsubmit: (e) => {
      e.preventDefault();
      const next = chosen();
      next.set('tab', 'audit');
      history.pushState(null, '', `/admin?${next}`);
      render();
    } }, h('h2', {}, t('audit_filters')),
    h('div', { class: 'grid2' }, field(t('audit_actor'), actor), field(t('audit_kind'), kind), field(t('audit_subject'), subject), field(t('audit_from'), from), field(t('audit_to'), to)),
    h('div', { class: 'inline' }, h('button', { type: 'submit', class: 'primary', id: 'audit-submit' }, t('audit_query')),
      h('button', { type: 'button', id: 'audit-export', onclick: exportCsv }, t('audit_export'))), message);
    let body;
    try {
      // reads: GET /users items[].username items[].display_name
      // reads: GET /audit items[].id items[].at items[].kind items[].username items[].subject items[].subject_name items[].actor items[].address items[].detail
      const [people, log] = await Promise.all([api('GET', '/users'), api('GET', `/audit?${filters}`)]);
      const nameOf = new Map(people.items.map((u) => [u.username, u.display_name]));
      const who = (username) => (!username ? '—' : nameOf.get(username) && nameOf.get(username) !== username ? `${nameOf.get(username)}（${username}）` : username);
      const columns = [t('audit_when'), t('audit_kind'), t('audit_actor'), t('audit_target'), t('audit_detail'), t('audit_address')];
      body = section(t('audit_n').replace('{n}', log.items.length), log.items.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'audit-table', class: 'cards' },
        h('thead', {}, h('tr', {}, columns.map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, log.items.map((e) => h('tr', { 'data-audit': e.kind }, [time(e.at), t(`audit.${e.kind}`), who(e.actor),
          e.subject ? (e.subject_name ?? e.subject) : who(e.username), e.detail, e.address ?? '—'].map((x, i) => h('td', { 'data-label': columns[i] }, x)))))))
        : h('p', { class: 'empty' }, t('empty')));
    } catch (err) {
      if (!(err instanceof ApiFailure) || err.status >= 500 || err.status === 401) throw err;
      body = h('p', { class: 'notice error', role: 'alert', id: 'audit-refused' }, failText(err));
    }
    return [form, body];
  };

  ADMIN_PANELS.reference = async () => {
    // reads: GET /routing-rules items[].id items[].entries items[].regions items[].unit items[].unit_type items[].note
    const [allUnits, cat, rules, regions, types] = await Promise.all([units(), catalogue(), optional('GET', '/routing-rules'), allRegions(), unitTypes()]);
    const unitName = new Map(allUnits.map((u) => [u.code, u.name]));
    const limit = (l) => (l ? `${l.amount} ${t(`lu.${l.unit}`)}` : '—');
    return [section(`${t('catalogue')} (${cat.length})`, grid([t('id'), t('category'), t('time_limit'), t('unit_kind')],
      cat.map((e) => [e.code, entryName(e), limit(e.effective_time_limit), e.effective_unit_type ? typeName(types, e.effective_unit_type) : '—']))),
    section(t('routing_rules'), rules
      ? grid([t('id'), t('category'), t('regions'), t('unit'), t('note')],
        rules.items.map((r) => [r.id, (r.entries ?? []).join(', ') || '—', (r.regions ?? []).map((c) => regionLabel(regions, c)).join('、') || '—',
          r.unit ? (unitName.get(r.unit) ?? r.unit) : r.unit_type ? typeName(types, r.unit_type) : '—', r.note ?? '']))
      : unavailable())];
  };

  /** The signed-in user's own password change, from the header on every page. */
  function openPasswordDialog() {
    const old = h('input', { id: 'old-password', type: 'password', autocomplete: 'current-password', required: true });
    const next = h('input', { id: 'new-password-1', type: 'password', autocomplete: 'new-password', required: true });
    const again = h('input', { id: 'new-password-2', type: 'password', autocomplete: 'new-password', required: true });
    const box = h('div', { id: 'password-result', 'aria-live': 'polite' });
    const dialog = h('dialog', { id: 'password-dialog', 'aria-labelledby': 'password-title' });
    const form = h('form', { class: 'stack', onsubmit: async (e) => {
      e.preventDefault();
      if (next.value !== again.value) { status(box, t('password_mismatch'), 'error'); return; }
      try {
        // reads: POST /me/password -
        await api('POST', '/me/password', { old_password: old.value, new_password: next.value });
        for (const input of [old, next, again]) input.value = '';
        status(box, t('password_changed'), 'ok');
      } catch (err) { status(box, failText(err), 'error'); }
    } }, h('h2', { id: 'password-title' }, t('change_password')), field(t('old_password'), old), field(t('new_password'), next),
    h('p', { class: 'hint' }, t('password_rule')), field(t('new_password_again'), again),
    h('div', { class: 'inline' }, h('button', { type: 'submit', class: 'primary', id: 'password-submit' }, t('change_password')),
      h('button', { type: 'button', id: 'password-close', onclick: () => dialog.close() }, t('close'))), box);
    dialog.append(form);
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
  }

  // ---------------------------------------------------------------- the case page
  const ACTION_FIELDS = {
    register: [], reject: [['reason', 'text', true]], merge: [['into', 'number', true], ['note', 'text']],
    dispatch: [['unit', 'unit', true], ['note', 'text']], accept: [['note', 'text']], return: [['reason', 'text', true]],
    handle: [['feedback', 'textarea', true], ['photos', 'camera']], verify: [['passed', 'bool'], ['note', 'text'], ['photos', 'camera']],
    callback: [['resolved', 'bool'], ['satisfaction', 'satisfaction'], ['note', 'text'], ['photos', 'camera']],
    request_extension: [['amount', 'number', true], ['unit', 'limit_unit'], ['reason', 'text', true]],
    approve_extension: [['approved', 'bool'], ['note', 'text']], suspend: [['reason', 'text', true]], resume: [['note', 'text']],
    supervise: [['level', 'level'], ['note', 'text', true]],
  };
  // A note is labelled by its action (派遣说明, 核查意见, 回访记录 …).
  const FIELD_LABEL = { reason: 'reason', into: 'merge_into', unit: 'unit', feedback: 'feedback', photos: 'take_photos',
    passed: 'passed', resolved: 'resolved', satisfaction: 'satisfaction', amount: 'amount', approved: 'approve', level: 'level' };

  async function actionForm(c, action, onDone) {
    const controls = [];
    for (const [name, kind, required] of ACTION_FIELDS[action]) {
      const id = `${action}-${name}`;
      let control;
      if (kind === 'textarea') control = h('textarea', { id, rows: 2, required, maxlength: 2000 });
      else if (kind === 'camera') control = cameraInput(id);
      else if (kind === 'number') control = h('input', { id, type: 'number', min: 1, required });
      else if (kind === 'bool') control = h('input', { id, type: 'checkbox', checked: true });
      else if (kind === 'satisfaction') control = h('select', { id }, options(['satisfied', 'basically_satisfied', 'dissatisfied'].map((s) => [s, t(`sat.${s}`)])));
      else if (kind === 'level') control = h('select', { id }, options(['general', 'key', 'urgent'].map((s) => [s, t(`sl.${s}`)])));
      else if (kind === 'limit_unit') control = h('select', { id }, options(['working_days', 'working_hours', 'hours'].map((s) => [s, t(`lu.${s}`)])));
      else if (kind === 'unit') {
        const suggestion = await suggestUnit(c);
        control = h('select', { id, required }, h('option', { value: '' }, '—'), (await units()).map((u) => h('option', { value: u.code, selected: suggestion?.unit.code === u.code }, u.name)));
      } else control = h('input', { id, required, maxlength: 2000 });
      controls.push([name, kind, control]);
    }
    const box = h('div', {});
    return h('form', { class: 'action-form', 'data-action': action, onsubmit: async (e) => {
      e.preventDefault();
      const body = { action };
      let camera = null;
      for (const [name, kind, control] of controls) {
        if (kind === 'bool') body[name] = control.checked;
        else if (kind === 'number') { if (control.value) body[name] = Number(control.value); }
        else if (kind === 'camera') camera = control;
        else if (control.value.trim()) body[name] = control.value.trim();
      }
      // The photos first: a refused photo (too large, not an image) stops the action with it.
      try { await uploadPhotos(c.id, STAGE_OF[action], camera); onDone(await act(c.id, body)); } catch (err) { status(box, failText(err), 'error'); }
    } }, h('h3', {}, t(`action.${action}`)), controls.map(([name, kind, control]) => (kind === 'bool'
      ? h('div', { class: 'field' }, h('label', { for: control.id }, control, t(FIELD_LABEL[name])))
      : field(t(name === 'note' ? `note.${action}` : FIELD_LABEL[name] ?? name), control))), h('button', { type: 'submit', class: 'primary' }, t(`action.${action}`)), box);
  }

  VIEWS.case = async () => {
    const id = Number(location.pathname.split('/').pop());
    // reads: GET /cases/{id} @case
    const c = await api('GET', `/cases/${id}`);
    return drawCase(c);
  };

  async function drawCase(c) {
    const rows = [
      [t('status'), statusBadge(c.status)], [t('channel'), t(`channel.${c.channel}`)], [t('external_id'), c.external_id ?? '—'],
      [t('category'), c.category ? `${c.category} ${c.category_name ?? ''}` : '—'],
      [t('region'), [c.district?.name, c.region_name].filter(Boolean).join(' ') || '—'], [t('address'), c.address ?? '—'],
      [t('unit'), c.unit_name ?? '—'], [t('reporter'), c.reporter ? [c.reporter.name, c.reporter.phone].filter(Boolean).join(' ') : '—'],
      [t('received_at'), time(c.received_at)],
      [t('merged_into'), c.merged_into ? h('a', { href: `/cases/${c.merged_into}` }, `#${c.merged_into}`) : '—'],
    ];
    const clock = h('div', { class: 'clock', id: 'sla-clock' }, h('h2', {}, t('sla')), clockBadge(c),
      h('dl', {}, h('dt', {}, t('deadline')), h('dd', {}, time(c.deadline)), h('dt', {}, t('time_left')), h('dd', {}, timeLeft(c.time_left_seconds)),
        h('dt', {}, t('time_limit')), h('dd', {}, c.time_limit ?? '—'), h('dt', {}, t('supervision')), h('dd', {}, c.supervision_count),
        h('dt', {}, t('rework')), h('dd', {}, c.rework_count)),
      c.pending_extension ? h('p', {}, `${t('pending_extension')}: ${c.pending_extension.amount} ${t(`lu.${c.pending_extension.unit}`)} · ${c.pending_extension.reason}`) : null);
    // Links given before photos were uploaded here: only absolute ones can be followed.
    const links = [...(c.photos ?? []), ...(c.feedback?.photos ?? [])];
    // reads: GET /cases/{id}/attachments items[].id items[].stage items[].name items[].url items[].thumbnail_url
    const attached = (await api('GET', `/cases/${c.id}/attachments`)).items;
    const timeline = h('ol', { class: 'timeline', id: 'timeline' }, (c.events ?? []).map((e) => h('li', {},
      h('time', { datetime: e.time }, time(e.time)), ' ', h('strong', {}, t(`action.${e.action}`)), ' · ',
      `${e.actor.username} (${t(`role.${e.actor.role}`)})`, e.unit_name ? ` · ${e.unit_name}` : '', e.note ? h('p', {}, e.note) : null)));
    const actionsBox = h('div', { id: 'case-actions' });
    const onDone = async (updated) => { document.getElementById('main').replaceChildren(...await drawCase(updated)); };
    for (const action of c.allowed_actions) actionsBox.append(await actionForm(c, action, onDone));
    // reads: GET /cases/{id}/duplicates suggestions[]@duplicate
    const dup = await optional('GET', `/cases/${c.id}/duplicates`).catch(() => null);
    return [h('h1', {}, `${t('page.case')} #${c.id}`, ' ', statusBadge(c.status)),
      h('div', { class: 'columns' },
        h('div', {}, section(t('description'), h('p', { class: 'description' }, c.description), c.feedback ? h('p', {}, `${t('feedback')}: ${c.feedback.text}`) : null,
          c.callback ? h('p', {}, `${t('callback')}: ${c.callback.resolved ? t('resolved') : '✗'} · ${t(`sat.${c.callback.satisfaction}`)}`) : null),
        section(t('more'), h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))),
        section(t('attachments'), attachmentGallery(attached, links)),
        section(t('location'), c.location ? [h('p', {}, `${c.location.lat}, ${c.location.lon}`), pointMap(c.location, c.region)] : h('p', { class: 'empty' }, t('empty'))),
        section(t('duplicates'), dup ? duplicateTable(dup.suggestions) : unavailable(t('duplicates_unavailable')))),
        h('div', {}, clock, section(t('actions'), c.allowed_actions.length ? actionsBox : h('p', { class: 'empty' }, t('none'))), section(t('timeline'), timeline)))];
  }

  /** A case's photos as thumbnails under the stage they came with, its files as links, and
   *  the links given before (an absolute URL or path opens; anything else is shown as text). */
  function attachmentGallery(attached, links) {
    if (!attached.length && !links.length) return h('p', { class: 'empty' }, t('empty'));
    const figure = (a) => h('figure', { class: 'photo', 'data-attachment': a.id },
      a.thumbnail_url ? h('a', { href: a.url, target: '_blank', rel: 'noopener' }, h('img', { src: a.thumbnail_url, alt: `${t(`stage.${a.stage}`)} ${a.name}`, loading: 'lazy' }))
        : h('a', { href: a.url, class: 'file' }, `📄 ${a.name}`),
      h('figcaption', {}, t(`stage.${a.stage}`)));
    const followable = (p) => /^https?:\/\//i.test(p) || p.startsWith('/');
    return [h('div', { class: 'photos', id: 'attachments' }, attached.map(figure)),
      links.length ? h('p', { class: 'links' }, `${t('photo_links')}: `, links.map((p) => (followable(p) ? h('a', { href: p, rel: 'noopener' }, p) : h('span', {}, p))).flatMap((x) => [x, ' '])) : null];
  }

  // ---------------------------------------------------------------- case search and export
  /** The case list's filters the search page offers, named as the API names them. */
  const SEARCH_FILTERS = ['q', 'status', 'channel', 'category', 'region', 'unit', 'from', 'to', 'overdue'];
  const SEARCH_PAGE_SIZE = 20;

  /** Every role's case search within what it may see (the API's scope): the list's filters, the
   *  results a page at a time, and an export of every case the same filters admit. */
  VIEWS.search = async () => {
    const params = new URLSearchParams(location.search);
    const applied = new URLSearchParams();
    for (const name of SEARCH_FILTERS) if (params.get(name)) applied.set(name, params.get(name));
    const page = Math.max(1, Number.parseInt(params.get('page') || '1', 10) || 1);

    const q = h('input', { id: 'search-q', name: 'q', type: 'search', maxlength: 100, value: applied.get('q') ?? '', placeholder: t('keyword_hint') });
    const select = (name, values, label) => h('select', { id: `search-${name}`, name },
      options([['', t('all')], ...values.map((v) => [v, label(v)])], applied.get(name) ?? ''));
    const statusSelect = select('status', valuesOf('status'), (s) => t(`status.${s}`));
    const channelSelect = select('channel', valuesOf('channel'), (c) => t(`channel.${c}`));
    const overdueSelect = h('select', { id: 'search-overdue', name: 'overdue' },
      options([['', t('all')], ['true', t('overdue')], ['false', t('not_overdue')]], applied.get('overdue') ?? ''));
    const category = await categorySelect({ id: 'search-category', name: 'category' });
    category.options[0].textContent = t('all');
    category.value = applied.get('category') ?? '';
    const regions = await regionPicker('search');
    const region = applied.get('region') ?? '';
    // A street's code lies under its district's: 110105026000 is in 110105000000.
    if (/^\d{12}$/.test(region)) await regions.set(`${region.slice(0, 6)}000000`, region.endsWith('000000') ? '' : region);
    // A unit sees its own cases only: the unit filter is for those who see many units.
    const unitSelect = USER.unit ? null : h('select', { id: 'search-unit', name: 'unit' },
      options([['', t('all')], ...(await units()).map((u) => [u.code, u.name])], applied.get('unit') ?? ''));
    const date = (name) => h('input', { id: `search-${name}`, name, type: 'date', value: applied.get(name) ?? '' });
    const from = date('from');
    const to = date('to');

    /** The filters as the form holds them, without the empty ones. */
    const chosen = () => {
      const out = new URLSearchParams();
      const put = (name, value) => { if (value) out.set(name, value); };
      put('q', q.value.trim());
      put('status', statusSelect.value);
      put('channel', channelSelect.value);
      put('category', category.value);
      put('region', regions.street.value || regions.district.value);
      put('unit', unitSelect?.value);
      put('from', from.value);
      put('to', to.value);
      put('overdue', overdueSelect.value);
      return out;
    };
    const go = (filters, pageNo = 1) => {
      const next = new URLSearchParams(filters);
      if (pageNo > 1) next.set('page', pageNo);
      history.pushState(null, '', `/search${next.toString() ? `?${next}` : ''}`);
      render();
    };
    const message = h('div', { id: 'search-message', 'aria-live': 'polite' });
    const exportAs = (format) => async () => {
      const filters = chosen();
      status(message, t('exporting'));
      try {
        filters.set('format', format);
        filters.set('lang', lang);
        // reads: GET /cases/export blob
        const file = await api('GET', `/cases/export?${filters}`);
        saveFile(file, `${t('page.search')}-${beijing(new Date()).slice(0, 10)}.${format}`);
        status(message, t('exported'), 'ok');
      } catch (err) { status(message, failText(err), 'error'); }
    };
    const form = h('form', { id: 'search-form', class: 'card', onsubmit: (e) => { e.preventDefault(); go(chosen()); } },
      h('h2', {}, t('search_filters')),
      h('div', { class: 'grid2' }, field(t('keyword'), q), field(t('status'), statusSelect), field(t('channel'), channelSelect),
        field(t('category'), category), ...regions.nodes, unitSelect ? field(t('unit'), unitSelect) : null,
        field(t('date_from'), from), field(t('date_to'), to), field(t('overdue_filter'), overdueSelect)),
      h('div', { class: 'inline' }, h('button', { type: 'submit', class: 'primary', id: 'search-submit' }, t('search')),
        h('button', { type: 'button', id: 'search-reset', onclick: () => go(new URLSearchParams()) }, t('reset')),
        h('span', { class: 'export-buttons inline', title: t('export_hint') },
          h('button', { type: 'button', id: 'export-csv', onclick: exportAs('csv') }, t('export_csv')),
          h('button', { type: 'button', id: 'export-xlsx', onclick: exportAs('xlsx') }, t('export_xlsx')))),
      message);

    let results;
    try {
      const query = new URLSearchParams(applied);
      query.set('page', page);
      query.set('page_size', SEARCH_PAGE_SIZE);
      // reads: GET /cases total page page_size items[]@case
      const found = await api('GET', `/cases?${query}`);
      const pages = Math.max(1, Math.ceil(found.total / found.page_size));
      const [caseId, caseStatus, caseCategory, caseRegion, caseDescription] = baseColumns();
      const columns = [caseId, caseStatus, [t('channel'), (c) => t(`channel.${c.channel}`)], caseCategory, caseRegion,
        [t('unit'), (c) => c.unit_name ?? '—'], [t('received_at'), (c) => time(c.received_at)], [t('deadline'), (c) => clockBadge(c)], caseDescription];
      const table = caseTable(found.items, columns, () => ({}), { id: 'search-results', class: 'cards' });
      const pager = h('nav', { class: 'inline pager', 'aria-label': t('page_n').replace('{p}', found.page).replace('{pages}', pages) },
        h('button', { type: 'button', id: 'prev-page', disabled: found.page <= 1, onclick: () => go(applied, found.page - 1) }, t('prev_page')),
        h('span', { id: 'page-of' }, t('page_n').replace('{p}', found.page).replace('{pages}', pages)),
        h('button', { type: 'button', id: 'next-page', disabled: found.page >= pages, onclick: () => go(applied, found.page + 1) }, t('next_page')));
      results = section(t('results_n').replace('{n}', found.total), table, found.total > found.page_size ? pager : null);
      results.id = 'search-found';
    } catch (err) {
      // A filter the API refuses (a hand-edited address): the form stays, the refusal is told.
      if (!(err instanceof ApiFailure) || err.status >= 500 || err.status === 401) throw err;
      results = h('p', { class: 'notice error', role: 'alert', id: 'search-refused' }, failText(err));
    }
    return [h('h1', {}, t('page.search')), form, results];
  };

  // ---------------------------------------------------------------- maps and the dashboard
  /** The served GeoJSON of `level` (districts or streets), or null when the server has none. */
  // reads: GET /geo/{level}.geojson -
  const geojson = (level) => once(`geo:${level}`, () => optional('GET', `/geo/${level}.geojson`));

  /** [[west, north], [east, south]] around `feature` and the extra points, with a margin: for geo.boundingCoords. */
  function bounds(feature, ...points) {
    const flat = feature.geometry.coordinates.flat(Infinity);
    const lons = [...flat.filter((_, i) => i % 2 === 0), ...points.map((p) => p[0])];
    const lats = [...flat.filter((_, i) => i % 2 === 1), ...points.map((p) => p[1])];
    const [w, e, s, n] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
    const pad = Math.max(e - w, n - s) * 0.08;
    return [[w - pad, n + pad], [e + pad, s - pad]];
  }

  /** The optional tile layer (GRIDLINE_MAP_TILES; ECharts has none of its own): Web-Mercator tiles
   *  drawn as images under a geo chart's boundaries, redrawn as the map moves. Without it nothing
   *  is fetched from elsewhere. */
  const TILES = JSON.parse(document.querySelector('meta[name="gridline-map-tiles"]')?.content || 'null');
  const MERCATOR = { project: ([lon, lat]) => [lon, (-180 / Math.PI) * Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360))],
    unproject: ([x, y]) => [x, (360 / Math.PI) * Math.atan(Math.exp((-y * Math.PI) / 180)) - 90] };
  /** A geo component as the tiles need it: their projection, the areas see-through. */
  const tiled = (geo) => (TILES ? { ...geo, projection: MERCATOR, itemStyle: { ...geo.itemStyle, areaColor: 'rgba(255,255,255,0.2)' } } : geo);
  function drawTiles(chart) {
    if (!TILES) return;
    const draw = () => {
      const [w, ht] = [chart.getWidth(), chart.getHeight()];
      // The view's corners in degrees. (convertFromPixel answers projected coordinates under a
      // projection: the view is a scale and a shift of them, read off two known points instead.)
      const known = [[116, 39], [117, 41]];
      const [s1, s2] = known.map((p) => chart.convertToPixel('geo', p));
      const [m1, m2] = known.map(MERCATOR.project);
      const degrees = ([px, py]) => MERCATOR.unproject([m1[0] + ((px - s1[0]) * (m2[0] - m1[0])) / (s2[0] - s1[0]), m1[1] + ((py - s1[1]) * (m2[1] - m1[1])) / (s2[1] - s1[1])]);
      const [nw, se] = [degrees([0, 0]), degrees([w, ht])];
      if (!(se[0] > nw[0] && nw[1] > se[1])) return;
      const z = Math.max(1, Math.min(18, Math.round(Math.log2((360 * w) / 256 / (se[0] - nw[0])))));
      const n = 2 ** z;
      const col = (lon) => Math.floor(((lon + 180) / 360) * n);
      const row = (lat) => Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * n);
      const corner = (x, y) => chart.convertToPixel('geo', [(x / n) * 360 - 180, (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI]);
      const elements = [];
      for (let x = col(nw[0]); x <= col(se[0]); x += 1) {
        for (let y = Math.max(0, row(nw[1])); y <= Math.min(n - 1, row(se[1])) && elements.length < 100; y += 1) {
          const [a, b] = [corner(x, y), corner(x + 1, y + 1)];
          const image = TILES.url.replace('{z}', z).replace('{x}', ((x % n) + n) % n).replace('{y}', y);
          elements.push({ type: 'image', silent: true, z: -10, style: { image, x: a[0], y: a[1], width: b[0] - a[0], height: b[1] - a[1] } });
        }
      }
      if (TILES.attribution) elements.push({ type: 'text', right: 4, bottom: 2, silent: true, style: { text: TILES.attribution, fontSize: 10, fill: '#555' } });
      chart.setOption({ graphic: { elements } }, { replaceMerge: ['graphic'] });
    };
    // Not inside the event: ECharts refuses a setOption during its own update.
    chart.on('georoam', () => setTimeout(draw));
    chart.on('finished', function first() { chart.off('finished', first); setTimeout(draw); });
  }

  /** The case's place among its street's boundaries (its district's other streets around it) when
   *  the map data is served; otherwise nothing but the text. */
  function pointMap(location, region) {
    const el = h('div', { class: 'mini-map chart', id: 'case-map', role: 'img', 'aria-label': `${t('case_place')} ${location.lat}, ${location.lon}` });
    const street = /^\d{12}$/.test(region ?? '') ? `${region.slice(0, 9)}000` : '';
    geojson('streets').then((geo) => {
      if (!geo || !window.echarts) { el.replaceWith(unavailable(t('map_unavailable'))); return; }
      const here = [location.lon, location.lat];
      const own = geo.features.find((f) => String(f.properties.code) === street);
      const features = own ? geo.features.filter((f) => String(f.properties.code).startsWith(street.slice(0, 6))) : geo.features;
      echarts.registerMap(`bj-case-${street || 'city'}`, { type: 'FeatureCollection', features });
      const chart = echarts.init(el);
      drawTiles(chart);
      chart.setOption({
        geo: tiled({ map: `bj-case-${street || 'city'}`, roam: true, ...(own ? { boundingCoords: bounds(own, here) } : { center: here, zoom: 6 }),
          itemStyle: { areaColor: '#f4f4f4', borderColor: '#bbb' }, emphasis: { disabled: true },
          regions: own ? [{ name: own.properties.name, itemStyle: { areaColor: TILES ? 'rgba(31,111,178,0.12)' : '#dbe9f6', borderColor: '#1f6fb2', borderWidth: 2 },
            label: { show: true, color: '#1f6fb2' } }] : [] }),
        series: [{ type: 'effectScatter', coordinateSystem: 'geo', data: [here], symbolSize: 12, itemStyle: { color: '#d73027' }, rippleEffect: { scale: 3 } }] });
      performance.mark('gridline:case-map');
    }).catch(() => el.replaceWith(unavailable(t('map_unavailable'))));
    return el;
  }

  /** The dashboard map's cases (GET /dashboard/map cells) as ECharts layers on the geo component:
   *  points (large mode; red where a cell holds an overdue case) or heat. */
  function caseLayers(cells, layer) {
    const unit = 10 ** -cells.precision;
    const at = (i) => [(cells.x[i] + 0.5) * unit, (cells.y[i] + 0.5) * unit, cells.count[i], cells.overdue[i]];
    const all = cells.x.map((_, i) => at(i));
    const most = Math.max(1, ...cells.count.slice().sort((a, b) => b - a).slice(0, Math.ceil(cells.count.length / 50)));
    if (layer === 'heat') {
      // Neighbouring cells' glows add up: the scale's top is three busy cells, or a city's centre is
      // one red blot (looked at on the demo city's 15,000 open cases).
      return { visualMap: { type: 'continuous', seriesIndex: 1, show: false, min: 0, max: most * 3, dimension: 2, inRange: { color: ['#313695', '#4575b4', '#abd9e9', '#fee090', '#f46d43', '#a50026'] } },
        series: [{ type: 'heatmap', coordinateSystem: 'geo', data: all, pointSize: 5, blurSize: 8, silent: true }] };
    }
    // Large mode draws all the points as one path, at once (not progressively: 100,000 take a few
    // hundred ms in one go, but seconds spread over frames), of one size.
    const size = all.length > 5000 ? 4 : (v) => Math.min(5 + Math.sqrt(v[2]) * 2, 22);
    const dots = (name, data, color) => ({ type: 'scatter', name, coordinateSystem: 'geo', data, symbolSize: size, large: true, largeThreshold: 5000, progressive: 0,
      itemStyle: { color, opacity: 0.75 }, tooltip: { formatter: (p) => t('map_cell').replace('{n}', p.value[2]).replace('{overdue}', p.value[3]) } });
    return { series: [dots(t('open'), all.filter((c) => !c[3]), '#2166ac'), dots(t('overdue_now'), all.filter((c) => c[3]), '#d73027')] };
  }

  function kpis(o) {
    const card = (key, value, cls = '') => h('div', { class: `kpi ${cls}`, 'data-kpi': key }, h('span', { class: 'kpi-label' }, t(key)), h('strong', {}, value));
    const rate = (key, r) => card(key, pct(r.rate), '');
    return h('div', { class: 'kpis', id: 'kpis' }, card('today_intake', o.today.received), card('today_closed', o.today.closed), card('open', o.open),
      card('overdue_now', o.overdue, o.overdue ? 'bad' : ''), card('due_soon_now', o.due_soon, o.due_soon ? 'warn' : ''),
      rate('rate_response', o.rates.response), rate('rate_resolution', o.rates.resolution), rate('rate_satisfaction', o.rates.satisfaction));
  }

  VIEWS.dashboard = async () => {
    const params = new URLSearchParams(location.search);
    const region = params.get('region') || '';
    const colour = params.get('colour') === 'overdue' ? 'overdue' : 'volume';
    const which = ['overdue', 'received'].includes(params.get('cases')) ? params.get('cases') : 'open';
    const layer = ['heat', 'off'].includes(params.get('points')) ? params.get('points') : 'dots';
    // reads: GET /dashboard @overview scope.level scope.parent scope.code scope.name by_region[].code by_region[].name by_region[].total by_region[].open by_region[].overdue trend[].date trend[].received trend[].closed by_category[].name by_category[].count
    const o = await api('GET', `/dashboard${region ? `?region=${encodeURIComponent(region)}` : ''}`);
    const go = (code, colourBy = colour, cases = which, points = layer) => {
      const next = new URLSearchParams();
      if (code) next.set('region', code);
      if (colourBy !== 'volume') next.set('colour', colourBy);
      if (cases !== 'open') next.set('cases', cases);
      if (points !== 'dots') next.set('points', points);
      history.pushState(null, '', `/dashboard${next.toString() ? `?${next}` : ''}`);
      render();
    };
    // Breadcrumb: city → district → street.
    const trail = [h('a', { href: '/dashboard', onclick: (e) => { e.preventDefault(); go(''); } }, t('city'))];
    if (o.scope.level === 'street' && o.scope.parent) {
      const district = (await districts()).find((d) => d.code === o.scope.parent);
      if (district) trail.push(' › ', h('a', { href: `/dashboard?region=${district.code}`, onclick: (e) => { e.preventDefault(); go(district.code); } }, district.name));
    }
    if (o.scope.code) trail.push(' › ', h('span', { 'aria-current': 'page' }, o.scope.name));
    const colourSelect = h('select', { id: 'colour-by', onchange: (e) => go(region, e.target.value) },
      options([['volume', t('volume')], ['overdue', t('overdue_share')]], colour));
    const casesSelect = h('select', { id: 'map-cases', onchange: (e) => go(region, colour, e.target.value) },
      options(['open', 'overdue', 'received'].map((k) => [k, t(`map_cases.${k}`)]), which));
    const layerSelect = h('select', { id: 'map-layer', onchange: (e) => go(region, colour, which, e.target.value) },
      options(['dots', 'heat', 'off'].map((k) => [k, t(`map_layer.${k}`)]), layer));
    const mapCount = h('p', { class: 'hint', id: 'map-count', 'aria-live': 'polite' });

    const trendEl = h('div', { class: 'chart', id: 'trend-chart', role: 'img', 'aria-label': t('trend') });
    const catEl = h('div', { class: 'chart', id: 'category-chart', role: 'img', 'aria-label': t('by_category') });
    const mapEl = h('div', { class: 'chart map', id: 'region-map', role: 'img', 'aria-label': t('map') });
    const mapNote = h('div', {});
    const value = (r) => (colour === 'overdue' ? (r.total ? r.overdue / r.total : 0) : r.total);
    const regionTable = o.by_region.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'region-table' },
      h('thead', {}, h('tr', {}, [t(o.scope.level === 'district' ? 'region' : 'district'), t('total'), t('open'), t('overdue_now'), t('overdue_share')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, o.by_region.map((r) => h('tr', {},
        h('td', {}, h('a', { href: `/dashboard?region=${r.code}`, 'data-region': r.code, onclick: (e) => { e.preventDefault(); go(r.code); } }, r.name)),
        h('td', {}, r.total), h('td', {}, r.open), h('td', {}, r.overdue), h('td', {}, pct(r.total ? r.overdue / r.total : null))))))) : null;
    let casesHere = null;
    if (o.scope.level === 'street') {
      // reads: GET /cases total items[]@case
      const page = await api('GET', `/cases?region=${encodeURIComponent(o.scope.code)}&page_size=50`);
      casesHere = section(`${t('cases_here')} (${page.total})`, caseTable(page.items, [...baseColumns(), [t('deadline'), (c) => clockBadge(c)]]));
    }
    const content = [h('h1', {}, t('page.dashboard')), h('nav', { class: 'trail', 'aria-label': t('map') }, trail), kpis(o),
      h('div', { class: 'columns' }, section(t('trend'), trendEl), section(t('by_category'), catEl)),
      section(o.by_region.length ? t('by_region') : t('map'), o.by_region.length ? h('p', { class: 'hint' }, t('drill_hint')) : null,
        h('div', { class: 'inline' }, o.by_region.length ? field(t('colour_by'), colourSelect) : null, field(t('map_cases'), casesSelect), field(t('map_layer'), layerSelect)),
        mapNote, mapEl, mapCount, regionTable),
      casesHere];

    // Charts are drawn once the elements are in the page (ECharts needs their size).
    requestAnimationFrame(async () => {
      if (!window.echarts) return;
      echarts.init(trendEl).setOption({ tooltip: { trigger: 'axis' }, legend: { data: [t('received'), t('closed')] },
        grid: { left: 40, right: 16, top: 32, bottom: 24 }, xAxis: { type: 'category', data: o.trend.map((d) => d.date.slice(5)) },
        yAxis: { type: 'value', minInterval: 1 },
        series: [{ name: t('received'), type: 'line', smooth: true, data: o.trend.map((d) => d.received) },
          { name: t('closed'), type: 'line', smooth: true, data: o.trend.map((d) => d.closed) }] });
      echarts.init(catEl).setOption({ tooltip: {}, grid: { left: 110, right: 16, top: 8, bottom: 24 },
        xAxis: { type: 'value', minInterval: 1 }, yAxis: { type: 'category', inverse: true, data: o.by_category.map((c) => c.name) },
        series: [{ type: 'bar', data: o.by_category.map((c) => c.count) }] });
      const level = o.scope.level === 'city' ? 'districts' : 'streets';
      const scoped = new URLSearchParams({ cases: which });
      if (o.scope.code) scoped.set('region', o.scope.code);
      // A bookmarked address may name the months received and the grid (`?cases=received&period=2026-01..2026-06&precision=5`).
      for (const key of which === 'received' ? ['period', 'precision'] : ['precision']) if (params.get(key)) scoped.set(key, params.get(key));
      // reads: GET /dashboard/map precision placed unplaced x y count overdue
      const [geo, cells] = await Promise.all([geojson(level).catch(() => null), layer === 'off' ? null : api('GET', `/dashboard/map?${scoped}`).catch(() => null)]);
      if (cells) {
        const overdue = cells.overdue.reduce((a, b) => a + b, 0);
        mapCount.textContent = [t('map_placed').replace('{n}', cells.placed).replace('{overdue}', overdue),
          cells.unplaced ? t('map_unplaced').replace('{n}', cells.unplaced) : ''].filter(Boolean).join('；');
      }
      const data = o.by_region.map((r) => ({ name: r.name, value: value(r), code: r.code }));
      const max = Math.max(colour === 'overdue' ? 0.01 : 1, ...data.map((d) => d.value));
      let chart;
      if (geo) {
        const own = (f) => String(f.properties.code);
        const features = o.scope.level === 'street' ? geo.features.filter((f) => own(f) === o.scope.code)
          : level === 'streets' ? geo.features.filter((f) => own(f).startsWith(o.scope.code.slice(0, 6))) : geo.features;
        const mapName = `bj-${level}-${o.scope.code ?? 'city'}`;
        echarts.registerMap(mapName, { type: 'FeatureCollection', features });
        const layers = cells ? caseLayers(cells, layer) : { series: [] };
        chart = echarts.init(mapEl);
        chart.on('finished', function drawn() { chart.off('finished', drawn); performance.mark('gridline:case-map'); });
        drawTiles(chart);
        // No animation: 'finished' is when the map is drawn, not a second later when its colours settled.
        chart.setOption({ animation: false, tooltip: { formatter: (p) => `${p.name}: ${colour === 'overdue' ? pct(p.value) : p.value ?? 0}` },
          geo: tiled({ map: mapName, roam: true, label: { show: level === 'districts' }, itemStyle: { areaColor: '#f4f4f4', borderColor: '#999' } }),
          visualMap: [...(data.length ? [{ seriesIndex: 0, min: 0, max, left: 8, bottom: 8, calculable: true, ...(mapEl.clientWidth < 600 ? { itemWidth: 10, itemHeight: 70 } : {}), inRange: { color: cells ? ['#fff5eb', '#fdd0a2', '#fdae6b'] : ['#fff5eb', '#fd8d3c', '#a63603'], ...(TILES ? { colorAlpha: 0.45 } : {}) } }] : []),
            ...(layers.visualMap ? [layers.visualMap] : [])],
          series: [{ type: 'map', geoIndex: 0, data }, ...layers.series] });
      } else {
        if (!o.by_region.length) { mapEl.replaceWith(unavailable(t('map_unavailable'))); return; }
        mapNote.replaceChildren(unavailable(t('map_unavailable')));
        mapEl.classList.add('bars');
        chart = echarts.init(mapEl);
        chart.setOption({ tooltip: {}, grid: { left: 120, right: 16, top: 8, bottom: 24 }, xAxis: { type: 'value' },
          yAxis: { type: 'category', inverse: true, data: data.map((d) => d.name) },
          visualMap: { show: false, min: 0, max, dimension: 0, inRange: { color: ['#fdd0a2', '#a63603'] } },
          series: [{ type: 'bar', data: data.map((d) => d.value) }] });
      }
      chart.on('click', (p) => { const hit = o.by_region.find((r) => r.name === p.name); if (hit) go(hit.code); });
      performance.mark('gridline:charts');
    });
    return content;
  };

  // ---------------------------------------------------------------- evaluation (测评)
  const score1 = (x) => (x === null || x === undefined ? '—' : x.toFixed(1));

  /** The office's rankings (GET /evaluation/scores) and a district's health report. */
  VIEWS.evaluation = async () => {
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
  };

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

  // ---------------------------------------------------------------- material review (材料审核)
  const OFFICE_ROLES = ['admin', 'supervisor', 'dispatcher'];
  const openReviews = (q) => { history.pushState(null, '', `/reviews${q}`); render(); };

  /** The windows (GET /evaluation/reviews); the office opens one; a window's page below. */
  VIEWS.reviews = async () => {
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
  };

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

  // The evaluator's answers not yet acknowledged by the server ("round/point": [answer, …]); their
  // photos are on the server already. Back online, only the evaluator's page is drawn again: another
  // page's half-filled form would be lost.
  const evaluations = outbox('gridline.evaluation.pending', null, (answers, _, key) => {
    const [round, point] = key.split('/');
    // reads: POST /evaluation/rounds/{id}/points/{point}/answers score
    return api('POST', `/evaluation/rounds/${round}/points/${point}/answers`, { answers });
  }, () => { if (document.body.dataset.view === 'field') render(); });

  /** The evaluator's phone page: rounds, their points, a point's checklist. */
  VIEWS.field = async () => {
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
  };

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

  // ---------------------------------------------------------------- the public questionnaire (问卷调查, no sign-in)
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

  // A public answer not yet acknowledged, kept across reloads and network loss: { token: body }.
  const FORM_PENDING_KEY = 'gridline.questionnaire.pending';
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
  /** Sends a kept answer; the server's verdict replaces it, a network failure keeps it. */
  async function sendForm(token, body) {
    const all = JSON.parse(localStorage.getItem(FORM_PENDING_KEY) || '{}');
    all[token] = body;
    localStorage.setItem(FORM_PENDING_KEY, JSON.stringify(all));
    try {
      // reads: POST /public/questionnaires/{token}/responses id created
      const receipt = await api('POST', `/public/questionnaires/${encodeURIComponent(token)}/responses`, body);
      return { done: true, receipt };
    } catch (err) {
      if (!(err instanceof ApiFailure)) return { done: false, offline: true };
      return { done: err.status !== 429, err };
    } finally {
      // Kept only while the network is down.
      const now = JSON.parse(localStorage.getItem(FORM_PENDING_KEY) || '{}');
      if (navigator.onLine) { delete now[token]; localStorage.setItem(FORM_PENDING_KEY, JSON.stringify(now)); }
    }
  }

  VIEWS.questionnaire_form = async () => {
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
  };
  window.addEventListener('online', () => {
    const all = JSON.parse(localStorage.getItem(FORM_PENDING_KEY) || '{}');
    for (const [token, body] of Object.entries(all)) sendForm(token, body).then(() => render());
  });
  // ---------------------------------------------------------------- back alleys (背街小巷)
  /** A month's score as a colour: ≥95 green, ≥90 yellow-green, ≥80 orange, below red, none grey. */
  const scoreColour = (x) => (x === null || x === undefined ? '#9e9e9e' : x >= 95 ? '#1a9850' : x >= 90 ? '#a6d96a' : x >= 80 ? '#fdae61' : '#d73027');
  const lastMonth = () => {
    const [y, m] = thisMonth().split('-').map(Number);
    return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  };
  const gradeText = (g) => t(`grade.${g}`);
  const alleyLink = (id, name) => h('a', { href: `/alleys?id=${id}` }, name);

  /** The alley map (lines coloured by the month's score), the month's ranking and the quarter's worst. */
  VIEWS.alleys = async () => {
    const params = new URLSearchParams(location.search);
    if (params.get('id')) return alleyPage(params.get('id'));
    if (params.get('board')) return patrolBoard(params.get('board'), params.get('day'));
    const region = params.get('region') || '';
    const month = params.get('month') || lastMonth();
    const go = (changes) => {
      const next = new URLSearchParams(location.search);
      for (const [k, v] of Object.entries(changes)) { if (v) next.set(k, v); else next.delete(k); }
      history.pushState(null, '', `/alleys?${next}`);
      render();
    };
    const regionSelect = h('select', { id: 'alley-region' }, options([['', t('city')], ...(await districts()).map((d) => [d.code, d.name])], region));
    const monthInput = h('input', { id: 'alley-month', type: 'month', value: month });
    // The open cases on the same map (GET /dashboard/map), off unless asked for.
    const caseLayer = ['dots', 'heat'].includes(params.get('points')) ? params.get('points') : 'off';
    const caseSelect = h('select', { id: 'alley-cases' }, options(['off', 'dots', 'heat'].map((k) => [k, t(`map_layer.${k}`)]), caseLayer));
    const form = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); go({ region: regionSelect.value, month: monthInput.value, points: caseSelect.value === 'off' ? '' : caseSelect.value }); } },
      field(t('district'), regionSelect), field(t('period'), monthInput), field(t('map_cases.open'), caseSelect), h('button', { type: 'submit' }, t('refresh')));
    const where = region ? `&region=${encodeURIComponent(region)}` : '';
    // reads: GET /alleys month features[].id features[].geometry.coordinates features[].properties.name features[].properties.score features[].properties.grade features[].properties.listed features[].properties.street_name
    const map = await api('GET', `/alleys?month=${encodeURIComponent(month)}${where}`);
    // reads: GET /alleys/ranking month region_name items[].id items[].name items[].street_name items[].district_name items[].score items[].grade items[].rank_in_city items[].rank_in_district items[].rank_in_street named_worst[].id named_worst[].name named_worst[].street_name named_worst[].quarter_mean
    const ranking = await api('GET', `/alleys/ranking?period=${encodeURIComponent(month)}${where}`);
    const mapEl = h('div', { class: 'chart map', id: 'alley-map', role: 'img', 'aria-label': t('alley_map') });
    const legend = h('p', { class: 'legend muted' }, [['≥95', 95], ['90–95', 92], ['80–90', 85], ['<80', 50], [t('alley_unscored'), null]].map(([label, x]) =>
      h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${scoreColour(x)}` }), ` ${label} `)));
    const listed = map.features.filter((f) => f.properties.listed).length;
    const scored = map.features.filter((f) => f.properties.score !== null);
    const below = scored.filter((f) => f.properties.score < 90).length;
    const summary = h('p', { id: 'alley-summary' }, `${t('alley_count')} ${map.features.length} · ${t('alley_scored')} ${scored.length} · ${t('alley_below')} ${below} · ${t('alley_listed')} ${listed}`);
    setTimeout(async () => {
      const geo = await geojson(region ? 'streets' : 'districts').catch(() => null);
      if (!window.echarts) { mapEl.replaceWith(unavailable(t('map_unavailable'))); return; }
      const features = geo ? (region ? geo.features.filter((f) => String(f.properties.code).startsWith(region.slice(0, 6))) : geo.features) : [];
      const mapName = `bj-alleys-${region || 'city'}`;
      echarts.registerMap(mapName, { type: 'FeatureCollection', features });
      // reads: GET /dashboard/map precision x y count overdue
      const cells = caseLayer === 'off' ? null : await api('GET', `/dashboard/map?cases=open${where}`).catch(() => null);
      const layers = cells ? caseLayers(cells, caseLayer) : { series: [] };
      const chart = echarts.init(mapEl);
      drawTiles(chart);
      chart.setOption({
        tooltip: { formatter: (p) => (p.data?.name ? `${p.data.name} · ${p.data.street} · ${score1(p.data.score)}${p.data.listed ? ` · ${t('alley_listed')}` : ''}` : p.name) },
        geo: tiled({ map: mapName, roam: true, itemStyle: { areaColor: '#f4f4f4', borderColor: '#bbb' }, emphasis: { disabled: true } }),
        ...(layers.visualMap ? { visualMap: layers.visualMap } : {}),
        series: [{ type: 'lines', coordinateSystem: 'geo', polyline: true, silent: false,
          data: map.features.map((f) => ({ id: f.id, name: f.properties.name, street: f.properties.street_name, score: f.properties.score, listed: f.properties.listed,
            coords: f.geometry.coordinates, lineStyle: { color: scoreColour(f.properties.score), width: f.properties.listed ? 5 : 3 } })) }, ...layers.series],
      });
      chart.on('click', (p) => { if (p.data?.id) { history.pushState(null, '', `/alleys?id=${p.data.id}`); render(); } });
      performance.mark('gridline:alley-map');
    }, 0);
    const rows = ranking.items.slice(0, 200).map((r) => [r.rank_in_city, r.rank_in_district, r.rank_in_street, alleyLink(r.id, r.name),
      `${r.district_name} ${r.street_name}`, score1(r.score), gradeText(r.grade)]);
    const content = [h('h1', {}, t('page.alleys')), form, summary, mapEl, legend,
      section(`${ranking.region_name} ${t('alley_ranking')} · ${ranking.month}`,
        grid([t('alley_rank_city'), t('alley_rank_district'), t('alley_rank_street'), t('alley_name'), t('region'), t('score'), t('alley_grade')], rows, 'alley-ranking'))];
    if (ranking.named_worst.length) {
      content.push(section(t('alley_named'), grid([t('alley_name'), t('region'), t('alley_quarter_mean')],
        ranking.named_worst.map((n) => [alleyLink(n.id, n.name), n.street_name, score1(n.quarter_mean)]), 'alley-named')));
    }
    return content;
  };

  const changeText = (c) => {
    switch (c.kind) {
      case 'downgraded': return `${t('alley_downgraded')} ${gradeText(c.from)} → ${gradeText(c.to)} (${score1(c.score)})`;
      case 'restored': return `${t('alley_restored')} ${gradeText(c.to)}`;
      case 'listing_due': return `${t('alley_listing_due')} (${c.low_months})`;
      case 'listed': return `${t('alley_listed')} #${c.listing}`;
      case 'listing_checked': return `${t('alley_recheck')} ${t(c.passed ? 'check.passed' : 'check.failed')}${c.delisted ? ` · ${t('delisted')}` : ''}`;
      case 'title_named': return t('alley_title_named');
      case 'title': return `${t('alley_title')} ${t(`title.${c.from}`)} → ${t(`title.${c.to}`)} (${score1(c.quarter_low)})`;
      default: return c.kind;
    }
  };

  /** An alley's page: its 四有, grade, title and its history, scores, listing, patrols and checks. */
  async function alleyPage(id) {
    // reads: GET /alleys/{id} alley.point.name alley.point.code alley.point.region alley.community alley.length_m alley.awarded alley.standing.grade alley.standing.downgraded alley.four.chief alley.four.stewards alley.four.council alley.four.compact alley.title.status alley.title.named_in listed listing.reason listing.deadline scores[].month scores[].score scores[].checks scores[].check_mean scores[].hotline_cases scores[].other_cases scores[].grade history[].month history[].change patrols[].day patrols[].problems[].clause patrols[].problems[].case_id checks[].day checks[].ten_no.earned checks[].problems[].clause cases[].month cases[].id cases[].channel cases[].text
    const d = await api('GET', `/alleys/${encodeURIComponent(id)}`);
    // The patrols and checks name the clauses by code; the page shows their text.
    // reads: GET /alleys/standard category[].item[].clause[].code category[].item[].clause[].text
    const standard = await api('GET', '/alleys/standard');
    const clauseText = new Map(standard.category.flatMap((c) => c.item.flatMap((i) => i.clause.map((x) => [x.code, x.text]))));
    const clauses = (problems) => problems.map((x) => clauseText.get(x.clause) ?? x.clause).join('、') || '✓';
    const a = d.alley;
    const monthly = d['scores'];
    const four = [[t('alley_chief'), a.four.chief], [t('alley_stewards'), a.four.stewards.join('、')], [t('alley_council'), a.four.council], [t('alley_compact'), a.four.compact]];
    const scoreEl = h('div', { class: 'chart', id: 'alley-trend', role: 'img', 'aria-label': t('alley_scores') });
    setTimeout(() => {
      if (!window.echarts || !monthly.length) return;
      echarts.init(scoreEl).setOption({ tooltip: { trigger: 'axis' }, grid: { left: 40, right: 16, top: 16, bottom: 24 },
        xAxis: { type: 'category', data: monthly.map((s) => s.month) }, yAxis: { type: 'value', min: (v) => Math.min(70, Math.floor(v.min)), max: 100 },
        series: [{ type: 'line', data: monthly.map((s) => s.score), markLine: { silent: true, data: [{ yAxis: 90 }] } }] });
    }, 0);
    return [h('p', {}, h('a', { href: '/alleys' }, `← ${t('page.alleys')}`)),
      h('h1', {}, a.point.name, ' ', d.listed ? h('span', { class: 'badge bad' }, t('alley_listed')) : ''),
      h('p', { class: 'muted' }, `${a.point.code} · ${a.community ?? ''} · ${Math.round(a.length_m)} m · `,
        h('a', { href: `/alleys?board=${a.point.region}` }, t('alley_board'))),
      h('dl', { class: 'facts', id: 'alley-facts' },
        h('dt', {}, t('alley_grade')), h('dd', {}, `${gradeText(a.standing.grade)}${a.standing.downgraded ? ` (${t('alley_awarded')} ${gradeText(a.awarded)}, ${t('alley_downgraded')})` : ''}`),
        h('dt', {}, t('alley_title')), h('dd', {}, a.title ? `${t(`title.${a.title.status}`)} · ${t('alley_title_named')} ${a.title.named_in}` : '—'),
        ...four.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v || h('span', { class: 'badge warn' }, t('alley_missing')))])),
      d.listing ? h('p', { class: 'notice error', id: 'alley-listing' }, `${t('alley_listed')}: ${d.listing.reason} · ${t('deadline')} ${time(d.listing.deadline)}`) : null,
      section(t('alley_scores'), scoreEl, grid([t('period'), t('score'), t('alley_checks'), t('alley_check_mean'), t('ev_hotline'), t('alley_other_cases'), t('alley_grade')],
        monthly.slice().reverse().map((s) => [s.month, score1(s.score), s.checks, score1(s.check_mean), s.hotline_cases, s.other_cases, gradeText(s.grade)]), 'alley-scores')),
      section(t('alley_history'), grid([t('period'), t('alley_change')], d.history.slice().reverse().map((e) => [e.month, changeText(e.change)]), 'alley-history')),
      section(t('alley_patrols'), grid([t('alley_day'), t('alley_problems'), t('ev_case')], d.patrols.map((p) => [p.day, clauses(p.problems),
        h('span', {}, ...p.problems.filter((x) => x.case_id).map((x) => h('a', { href: `/cases/${x.case_id}` }, `#${x.case_id} `)))]), 'alley-patrols')),
      section(t('alley_weekly'), grid([t('alley_day'), t('score'), t('alley_problems')], d.checks.map((c) => [c.day, score1(c.ten_no.earned), clauses(c.problems)]), 'alley-checks')),
      section(`${t('alley_cases')}${d.cases.length ? ` · ${d.cases[0].month}` : ''}`, d.cases.length
        ? grid([t('ev_case'), t('channel'), t('description')], d.cases.map((c) => [h('a', { href: `/cases/${c.id}` }, `#${c.id}`), t(`channel.${c.channel}`), snippet(c.text)]), 'alley-cases')
        : h('p', { class: 'empty' }, t('empty')))];
  }

  /** The street's patrol board: every alley with its patrols that day, the missed ones first. */
  async function patrolBoard(region, day) {
    const q = day ? `&day=${encodeURIComponent(day)}` : '';
    // reads: GET /alleys/patrol-board items[].id items[].name items[].code items[].patrols items[].problems items[].missed
    const board = await api('GET', `/alleys/patrol-board?region=${encodeURIComponent(region)}${q}`);
    const items = board.items.slice().sort((x, y) => Number(y.missed) - Number(x.missed));
    const missed = items.filter((r) => r.missed).length;
    return [h('p', {}, h('a', { href: '/alleys' }, `← ${t('page.alleys')}`)), h('h1', {}, `${t('alley_board')} · ${day || t('today')}`),
      h('p', { id: 'board-summary' }, `${t('alley_count')} ${items.length} · ${t('alley_missed')} ${missed}`),
      grid([t('alley_name'), t('alley_patrols'), t('alley_problems'), t('status')], items.map((r) => [alleyLink(r.id, r.name), r.patrols, r.problems,
        r.missed ? h('span', { class: 'badge bad' }, t('alley_missed')) : h('span', { class: 'badge ok' }, '✓')]), 'patrol-board')];
  }

  // Patrols not yet acknowledged ({alley, body}): sent again with the same id, the server answers
  // with the patrol it has (nothing is filed twice).
  /** Sends a patrol: as JSON, or with its photos as a form (the server adds them to its cases). */
  function postPatrol(alley, body, photos) {
    if (!photos.length) {
      // reads: POST /alleys/{id}/patrols problems[].case_id
      return api('POST', `/alleys/${alley}/patrols`, body);
    }
    const form = new FormData();
    form.append('patrol', JSON.stringify(body));
    for (const p of photos) form.append('photo', p, p.name);
    // reads: POST /alleys/{id}/patrols problems[].case_id
    return api('POST', `/alleys/${alley}/patrols`, form);
  }
  const patrols = outbox('gridline.alleys.pending', 'gridline.alleys.photos', (item, photos) => postPatrol(item.alley, item.body, photos));

  /** The steward's phone page (日巡): my alleys, then an alley's 十无 by quick taps. */
  VIEWS.patrol = async () => {
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
  };

  // ---------------------------------------------------------------- the project ledger (重点工作项目台账)
  const lightBadge = (l) => (l ? h('span', { class: `badge light-${l}` }, t(`light.${l}`)) : '—');
  const ledgerStatus = (s) => h('span', { class: `badge ledger-${s}` }, t(`ls.${s}`));

  VIEWS.ledger = async () => {
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
  };

  async function ledgerReminders(year) {
    // reads: GET /ledger/{year}/reminders [].project_id [].unit_name [].title [].kind [].milestone [].reported [].due [].days_left
    const items = await api('GET', `/ledger/${year}/reminders`);
    const what = (r) => `${t(`rk.${r.kind}`)}${r.milestone ? `：${r.milestone}` : ''}${r.kind === 'mid_year_check' && !r.reported ? t('rk.no_report') : ''}`;
    const left = (r) => (r.days_left === null || r.days_left === undefined ? '—'
      : r.days_left < 0 ? h('span', { class: 'badge bad' }, `${t('late_by')} ${-r.days_left}`) : String(r.days_left));
    return section(`${t('reminders')} (${items.length})`, grid([t('member'), t('title'), t('matter'), t('due_on'), t('days_left')],
      items.slice(0, 100).map((r) => [r.unit_name, h('a', { href: `/ledger/projects/${r.project_id}` }, r.title), what(r), r.due ?? '—', left(r)]), 'ledger-reminders'));
  }

  /** An office's spreadsheet upload (XLSX, or CSV in its encoding) as form `id`: `send(query, body)`
   *  posts it and answers the text saying what was done; `extra` are the form's own fields. */
  function spreadsheetForm(id, fileLabel, label, send, ...extra) {
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

  VIEWS.ledger_project = async () => {
    const id = Number(location.pathname.split('/').pop());
    // reads: GET /ledger/projects/{id} @project
    const page = await api('GET', `/ledger/projects/${id}`);
    return drawLedgerProject(page);
  };

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


  // ---------------------------------------------------------------- documents (公文)
  const DOC_KINDS = ['bulletin', 'notice', 'supervision_order', 'health_report', 'ledger_report', 'alley_rollcall'];
  const SECTIONS = ['重要会议', '创新案例', '工作动态', '经验交流', '基层风采'];

  /** Saves a file the API answered under a name. */
  function saveFile(file, name) {
    const url = URL.createObjectURL(file.blob);
    const a = h('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  VIEWS.documents = async () => {
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
  };

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

  window.addEventListener('popstate', render);
  window.addEventListener('resize', () => document.querySelectorAll('.chart').forEach((el) => window.echarts?.getInstanceByDom(el)?.resize()));
  render();
})();
