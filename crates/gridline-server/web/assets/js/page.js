// What the server wrote into the page (web/mod.rs, `shell`): the session token and the signed-in user.

export const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? null;
export const TOKEN = meta('gridline-token');
export const USER = JSON.parse(meta('gridline-user') || 'null');
