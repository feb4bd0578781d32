// The pages without sign-in: the sign-in form and the public list of listed supervision (挂牌督办公示).

import { t } from './words.js';
import { ACCEPT_LANGUAGE, api, ApiFailure } from './api.js';
import { failText, field, grid, h, status, time } from './dom.js';
import { register } from './router.js';

register('login', async () => {
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
});

register('public_listings', async () => {
  // reads: GET /supervision/listings items[].name items[].kind items[].reason items[].deadline items[].overdue items[].checks[].at items[].checks[].passed items[].checks[].note
  const listings = await api('GET', '/supervision/listings?open=true');
  const latest = (l) => {
    const c = l.checks[l.checks.length - 1];
    return c ? `${time(c.at)} ${t(c.passed ? 'check.passed' : 'check.failed')}${c.note ? ` · ${c.note}` : ''}` : '—';
  };
  return [h('h1', {}, t('page.public_listings')), h('p', {}, t('public_listings_hint')),
    grid([t('listing_name'), t('kind'), t('reason'), t('deadline'), t('last_check')], listings.items.map((l) => [l.name, t(`lk.${l.kind}`), l.reason,
      h('span', {}, time(l.deadline), ' ', l.overdue ? h('span', { class: 'badge bad' }, t('overdue')) : ''), latest(l)]), 'public-listings')];
});
