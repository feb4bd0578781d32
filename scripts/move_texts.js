#!/usr/bin/env node
// Moves the web UI's words from an app.js that still holds them inline (`const I18N = { zh: {…},
// en: {…} };`, as app.js did before the texts moved to web/texts/) into web/texts/zh-CN.json and
// en.json: keys missing from a file are appended in app.js's order, keys already there keep their
// text unless --overwrite is given. With --strip it also removes the inline dictionaries from that
// app.js, leaving the line that reads the texts the page brings (`window.gridlineTexts`). So a branch
// that added words inline is merged with:
//   git show BRANCH:crates/gridline-server/web/assets/app.js > /tmp/app.js
//   node scripts/move_texts.js /tmp/app.js            # adds that branch's new keys to the JSON
// Usage: node scripts/move_texts.js APP_JS [--strip] [--overwrite]
'use strict';
const fs = require('fs');
const path = require('path');

const [file, ...flags] = process.argv.slice(2);
if (!file) { console.error('usage: move_texts.js APP_JS [--strip] [--overwrite]'); process.exit(2); }
const textsDir = path.join(__dirname, '..', 'crates', 'gridline-server', 'web', 'texts');
fs.mkdirSync(textsDir, { recursive: true });
const files = { zh: path.join(textsDir, 'zh-CN.json'), en: path.join(textsDir, 'en.json') };

const lines = fs.readFileSync(file, 'utf8').split('\n');
const start = lines.findIndex((l) => /^\s*const I18N = \{\s*$/.test(l));
if (start < 0) { console.error(`${file}: no inline \`const I18N = {\` block`); process.exit(1); }
const indent = lines[start].match(/^\s*/)[0];
const end = lines.findIndex((l, i) => i > start && l === `${indent}};`);
// The block is a plain object literal of string texts; evaluating it keeps JavaScript's own
// reading (a key given twice keeps its last text).
const inline = new Function(`${lines.slice(start, end + 1).join('\n')}; return I18N;`)();

for (const [lang, target] of Object.entries(files)) {
  const texts = fs.existsSync(target) ? JSON.parse(fs.readFileSync(target, 'utf8')) : {};
  let added = 0;
  for (const [key, text] of Object.entries(inline[lang] ?? {})) {
    if (typeof text !== 'string') throw new Error(`${lang}.${key} is not a string`);
    if (!(key in texts)) added += 1;
    if (!(key in texts) || flags.includes('--overwrite')) texts[key] = text;
  }
  fs.writeFileSync(target, `{\n${Object.entries(texts).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n')}\n}\n`);
  console.log(`${target}: ${added} key(s) added, ${Object.keys(texts).length} in all`);
}
if (flags.includes('--strip')) {
  lines.splice(start, end - start + 1, `${indent}const I18N = window.gridlineTexts ?? { zh: {}, en: {} };`);
  fs.writeFileSync(file, lines.join('\n'));
  console.log(`${file}: inline dictionaries removed`);
}
