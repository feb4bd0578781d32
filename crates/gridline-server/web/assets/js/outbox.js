// What a phone made that the server has not acknowledged, kept through network loss and reloads
// (docs/web.md, "Kept while offline"). The queues are loaded on every page, as each sends what it
// keeps when the network comes back, whichever page is open.

import { t } from './words.js';
import { api, ApiFailure, uploadPhotos } from './api.js';
import { status } from './dom.js';
import { render } from './router.js';

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
export const copyFiles = (input) => Promise.all([...input.files].map(async (f) => new File([await f.arrayBuffer()], f.name, { type: f.type })));

// The grid worker's reports ({body, filed}) kept through network loss. Filed with an external
// id made on the phone, a report sent again (its answer lost) is answered with the case it filed
// (intake is idempotent on channel and external id); `filed` keeps the case when its photos could
// not follow, so they are uploaded once the network is back.
export const reports = outbox('gridline.reports.pending', 'gridline.reports.photos', async (item, photos) => {
  // reads: POST /cases id
  item.filed ??= (await api('POST', '/cases', item.body)).id;
  return { id: item.filed, photos: (await uploadPhotos(item.filed, 'intake', { files: photos })).length };
}, () => { const box = document.getElementById('report-result'); if (box) status(box, t('report_sent_later'), 'ok'); });

// The evaluator's answers not yet acknowledged by the server ("round/point": [answer, …]); their
// photos are on the server already. Back online, only the evaluator's page is drawn again: another
// page's half-filled form would be lost.
export const evaluations = outbox('gridline.evaluation.pending', null, (answers, _, key) => {
  const [round, point] = key.split('/');
  // reads: POST /evaluation/rounds/{id}/points/{point}/answers score
  return api('POST', `/evaluation/rounds/${round}/points/${point}/answers`, { answers });
}, () => { if (document.body.dataset.view === 'field') render(); });

// A public answer not yet acknowledged, kept across reloads and network loss: { token: body }.
const FORM_PENDING_KEY = 'gridline.questionnaire.pending';
/** Sends a kept answer; the server's verdict replaces it, a network failure keeps it. */
export async function sendForm(token, body) {
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
window.addEventListener('online', () => {
  const all = JSON.parse(localStorage.getItem(FORM_PENDING_KEY) || '{}');
  for (const [token, body] of Object.entries(all)) sendForm(token, body).then(() => render());
});

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
export const patrols = outbox('gridline.alleys.pending', 'gridline.alleys.photos', (item, photos) => postPatrol(item.alley, item.body, photos));
