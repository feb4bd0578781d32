// The handling unit's page (承办单位): its cases to accept and handle, its record, rates and rank.

import { USER } from './page.js';
import { t } from './words.js';
import { act, api, optional, uploadPhotos } from './api.js';
import { cameraInput, failText, field, grid, h, num, options, pct100, section, status, thisMonth, time, unavailable } from './dom.js';
import { baseColumns, caseTable, clockBadge, timeLeft } from './cases.js';
import { register, render } from './router.js';

register('unit', async () => {
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
});

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
