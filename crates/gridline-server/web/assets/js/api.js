// The JSON API (/api/v1): the one way the pages reach the server, and the case actions and photo
// uploads every role's page shares.

import { TOKEN } from './page.js';
import { lang } from './words.js';

export class ApiFailure extends Error {
  constructor(status, code, message, problems) { super(message); this.status = status; this.code = code; this.problems = problems ?? []; }
}

// Every API call, in every module, says what it reads of the answer in a `// reads: METHOD /path
// field …` comment, checked against the OpenAPI document by crates/gridline-server/tests/web_api.rs
// (the `@sets` below serve every module).
// fields @overview: today.received today.closed open overdue due_soon rates.response.rate rates.resolution.rate rates.satisfaction.rate
// fields @case: id status channel external_id category category_name district.name region region_name address unit_name reporter.name reporter.phone received_at merged_into suspended overdue due_soon deadline time_left_seconds time_limit supervision_count rework_count pending_extension.amount pending_extension.unit pending_extension.reason photos feedback.text feedback.photos callback.resolved callback.satisfaction location.lat location.lon allowed_actions description events[].time events[].action events[].actor.username events[].actor.role events[].unit_name events[].note
// The server tells its errors in the language asked for (codes and texts: gridline_core::message).
export const ACCEPT_LANGUAGE = () => (lang === 'zh' ? 'zh-CN' : 'en');
export async function api(method, path, body) {
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
export async function optional(method, path, body) {
  try {
    return await api(method, path, body);
  } catch (err) {
    if (err instanceof ApiFailure && (err.status === 404 || err.status === 405) && err.code !== 'forbidden') return null;
    throw err;
  }
}

export async function act(id, body) {
  // reads: POST /cases/{id}/actions @case
  return api('POST', `/cases/${id}/actions`, body);
}
/** Uploads the photos picked in `input` to case `id` at `stage`; nothing when none is picked. */
export async function uploadPhotos(id, stage, input) {
  if (!input?.files?.length) return [];
  const form = new FormData();
  form.append('stage', stage);
  for (const file of input.files) form.append('photo', file, file.name);
  // reads: POST /cases/{id}/attachments items[].id
  const added = await api('POST', `/cases/${id}/attachments`, form);
  return added.items;
}
