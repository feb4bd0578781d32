// The dispatcher (派遣员): registering and dispatching, merges, returns, extensions and suspensions.

import { t } from './words.js';
import { act, api } from './api.js';
import { failText, h, section, status, time } from './dom.js';
import { baseColumns, caseTable } from './cases.js';
import { holdsRegion, suggestUnit, units } from './reference.js';
import { register } from './router.js';

register('dispatcher', async () => {
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
});
