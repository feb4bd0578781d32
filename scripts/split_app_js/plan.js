const { analyse } = require('./scope.js');
const assign = require('./assign.js');
const src = require('fs').readFileSync(process.argv[2], 'utf8');
const r = analyse(src);
const keyOf = (s) => {
  if (s.type === 'VariableDeclaration') return s.declarations[0].id.name;
  if (s.id) return s.id.name;
  const text = src.slice(s.start, s.end);
  let m;
  if ((m = /^VIEWS\.(\w+) =/.exec(text))) return `view:${m[1]}`;
  if ((m = /^ADMIN_PANELS\.(\w+) =/.exec(text))) return `panel:${m[1]}`;
  if (text.startsWith('for (const l of Object.keys(I18N))')) return '@for-labels';
  if (text.startsWith("document.addEventListener('reset'")) return '@reset-listener';
  if (text.startsWith("window.addEventListener('online'")) return '@online-questionnaire';
  if (text.startsWith("window.addEventListener('popstate'")) return '@popstate';
  if (text.startsWith("window.addEventListener('resize'")) return '@resize';
  if (text.startsWith('render();')) return '@render';
  return '?' + text.slice(0, 40);
};
const moduleOf = {};
for (const [m, keys] of Object.entries(assign)) for (const k of keys) moduleOf[k] = m;
const stmts = r.body.map((s, i) => ({ s, i, key: keyOf(s), declared: r.declared[i], uses: r.uses[i] }));
const missing = stmts.filter((x) => !moduleOf[x.key]).map((x) => x.key);
if (missing.length) { console.error('statements no module is named for (add them to assign.js):', missing); process.exit(1); }
const declaredIn = {};
for (const x of stmts) { x.module = moduleOf[x.key]; for (const n of x.declared) declaredIn[n] = x.module; }
const mods = {};
for (const x of stmts) {
  const m = (mods[x.module] ??= { imports: {}, now: new Set(), writes: new Set(), stmts: [] });
  m.stmts.push(x);
  for (const n of x.uses.reads) { const from = declaredIn[n]; if (from && from !== x.module) (m.imports[from] ??= new Set()).add(n); }
  for (const n of x.uses.writes) { const from = declaredIn[n]; if (from && from !== x.module) m.writes.add(`${n}<-${from}`); }
  for (const n of x.uses.now) { const from = declaredIn[n]; if (from && from !== x.module) m.now.add(`${n}@${from}`); }
}
module.exports = { src, r, stmts, mods, declaredIn };
if (require.main === module) {
  for (const [name, m] of Object.entries(mods)) {
    console.log(`== ${name}: ${Object.entries(m.imports).map(([f, ns]) => `${f}{${[...ns].join(',')}}`).join(' ')}`);
    if (m.writes.size) console.log('   WRITES', [...m.writes]);
    if (m.now.size) console.log('   NOW', [...m.now]);
  }
}
