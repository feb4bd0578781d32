const fs = require('fs');
const path = require('path');
const { src, stmts, mods, declaredIn } = require('./plan.js');
const headers = require('./headers.js');
const out = process.argv[3];
if (!out) { console.error("usage: node --expose-internals scripts/split_app_js/split.js APP_JS OUT_DIR"); process.exit(2); }
fs.mkdirSync(out, { recursive: true });
const ORDER = ['page', 'words', 'api', 'dom', 'cases', 'reference', 'maps', 'outbox', 'router'];
// Which names each module must export: those another module imports.
const exported = new Set();
for (const m of Object.values(mods)) for (const ns of Object.values(m.imports)) for (const n of ns) exported.add(n);
// Multi-line template literals would change if dedented: find them.
const acorn = require('internal/deps/acorn/acorn/dist/acorn');
const walk = require('internal/deps/acorn/acorn-walk/dist/walk');
const ast = acorn.parse(src, { ecmaVersion: 'latest', locations: true });
walk.full(ast, (n) => { if (n.type === 'TemplateLiteral' && n.loc.start.line !== n.loc.end.line) console.error('multi-line template at', n.loc.start.line); });
const dedent = (text) => text.split('\n').map((l) => (l.startsWith('  ') ? l.slice(2) : l)).join('\n');
let prevEnd = null;
const pieces = {};
for (const x of stmts) {
  const s = x.s;
  const start = prevEnd ?? src.lastIndexOf('\n', s.start) + 1;
  let lead = src.slice(start, s.start);
  prevEnd = s.end;
  // Section markers give way to the module's own header.
  lead = lead.split('\n').filter((l) => !/^\s*\/\/ -{10,}/.test(l)).join('\n');
  let body = src.slice(s.start, s.end);
  let m;
  if (s.type === 'ExpressionStatement' && (m = /^VIEWS\.(\w+) = /.exec(body)) && x.module !== 'router') {
    const right = s.expression.right;
    body = `register('${m[1]}', ${src.slice(right.start, right.end)});`;
  } else if ((s.type === 'VariableDeclaration' || s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') && [...x.declared].some((n) => exported.has(n))) {
    body = `export ${body}`;
  }
  (pieces[x.module] ??= []).push(dedent(lead + body));
}
for (const [name, m] of Object.entries(mods)) {
  const imports = Object.entries(m.imports).sort(([a], [b]) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b)).map(([from, ns]) => {
    let names = [...ns];
    if (names.includes('VIEWS') && name !== 'router') names = names.filter((n) => n !== 'VIEWS').concat('register');
    names.sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }) || a.localeCompare(b));
    return `import { ${names.join(', ')} } from './${from}.js';`;
  });
  let text = pieces[name].join('').replace(/^\n+/, '').replace(/\n{3,}/g, '\n\n');
  text = `${headers[name]}\n\n${imports.join('\n')}${imports.length ? '\n\n' : ''}${text.trimEnd()}\n`;
  for (const [from, to] of require('./post.js')[`${name}.js`] ?? []) {
    if (text.split(from).length !== 2) throw new Error(`${name}.js: the edit does not apply once: ${from.slice(0, 60)}`);
    text = text.replace(from, () => to);
  }
  fs.writeFileSync(path.join(out, `${name}.js`), text);
}
console.log(Object.keys(mods).length, 'modules');
