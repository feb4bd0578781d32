// 我的待办: each user's to-do list (the header's badge leads here).

import { USER } from './page.js';
import { I18N, t } from './words.js';
import { api } from './api.js';
import { failText, field, h, section, status, time } from './dom.js';
import { units } from './reference.js';
import { register, render, showUnread } from './router.js';

// fields @inbox: unread total items[].id items[].kind items[].at items[].case_id items[].order_id items[].title items[].note items[].deadline items[].approved items[].level items[].target_kind items[].target items[].reminded_at items[].unread
/** Who answers a 督办单 from the inbox: the supervised unit's staff, and dispatchers for places. */
const answersOrders = () => ['handling_unit', 'member_unit', 'dispatcher', 'admin'].includes(USER?.role);
register('inbox', async () => {
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
});
