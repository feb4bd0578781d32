// The frame of every page: the header (navigation, the to-do badge, language, password, sign-out)
// and the router, which loads the module of the page's view (body[data-view]) and draws it into
// <main>. Every view module registers its views here with `register(name, draw)`.

import { USER } from './page.js';
import { lang, setLang, t } from './words.js';
import { api, optional } from './api.js';
import { failText, field, h, status } from './dom.js';

const PAGES_OF = {
  hotline_operator: ['operator', 'search', 'dashboard'], grid_worker: ['grid', 'patrol', 'search', 'dashboard'], inspector: ['grid', 'field', 'reviews', 'search', 'dashboard'],
  dispatcher: ['dispatcher', 'search', 'evaluation', 'reviews', 'alleys', 'dashboard'], handling_unit: ['unit', 'reviews', 'search', 'dashboard'],
  member_unit: ['unit', 'ledger', 'reviews', 'search', 'dashboard'], supervisor: ['supervisor', 'search', 'evaluation', 'reviews', 'alleys', 'ledger', 'documents', 'dashboard'],
  admin: ['dashboard', 'search', 'operator', 'dispatcher', 'unit', 'grid', 'supervisor', 'evaluation', 'reviews', 'alleys', 'ledger', 'documents', 'admin'],
};

/** Shows `n` unread in the header's badge (none: no number). */
export function showUnread(n) {
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
    setLang(lang === 'zh' ? 'en' : 'zh');
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

/** The module that draws each view (the server names the view in body[data-view]: web/mod.rs,
 *  `Page::view`). A page loads the shared modules and its own view's module only. */
const MODULE_OF = {
  login: 'public', public_listings: 'public', questionnaire_form: 'questionnaire',
  operator: 'operator', grid: 'grid', patrol: 'patrol', dispatcher: 'dispatcher', unit: 'unit', inbox: 'inbox',
  supervisor: 'supervisor', admin: 'admin', case: 'case', search: 'search', dashboard: 'dashboard',
  evaluation: 'evaluation', field: 'field', reviews: 'reviews', alleys: 'alleys',
  ledger: 'ledger', ledger_project: 'ledger', documents: 'documents',
};

/** The views by name: `(name) => content` drawing the page's <main>. */
const VIEWS = {};
/** Registers a view: its module calls this when it is loaded. */
export const register = (name, draw) => { VIEWS[name] = draw; };

/** Draws the page's view: the header, then the view's content (its module loaded first). */
export async function render() {
  const view = document.body.dataset.view;
  header(view);
  const main = document.getElementById('main');
  document.title = `${t(`page.${view}`) === `page.${view}` ? t('brand') : t(`page.${view}`)} · gridline`;
  main.replaceChildren(h('p', { class: 'loading' }, t('loading')));
  try {
    // Relative to this module: the same versioned prefix (/assets/js-HASH/) as every module.
    if (!VIEWS[view] && MODULE_OF[view]) await import(`./${MODULE_OF[view]}.js`);
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
VIEWS.forbidden = async () => h('div', { class: 'card narrow', id: 'forbidden' }, h('h1', {}, t('forbidden')), h('p', {}, t('forbidden_hint')),
  USER ? h('a', { href: USER.home }, t('go_home')) : null);
VIEWS.missing = async () => h('div', { class: 'card narrow' }, h('h1', {}, t('missing')), h('a', { href: '/' }, t('go_home')));

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
