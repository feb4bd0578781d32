// Scope analysis of app.js's IIFE: for each top-level statement, the top-level names it reads/writes.
const acorn = require('internal/deps/acorn/acorn/dist/acorn');
function analyse(src) {
  const ast = acorn.parse(src, { ecmaVersion: 'latest', locations: true });
  const iife = ast.body.find((s) => s.type === 'ExpressionStatement' && s.expression.type === 'CallExpression');
  const fn = iife.expression.callee;
  const body = fn.body.body;
  const top = { names: new Set(), parent: null };
  let current = -1; // statement index
  let fnDepth = 0;
  const uses = body.map(() => ({ reads: new Set(), writes: new Set(), now: new Set() }));
  const globals = new Set();
  const patternNames = (p, out = []) => {
    if (!p) return out;
    if (p.type === 'Identifier') out.push(p.name);
    else if (p.type === 'ObjectPattern') p.properties.forEach((q) => patternNames(q.type === 'RestElement' ? q.argument : q.value, out));
    else if (p.type === 'ArrayPattern') p.elements.forEach((e) => patternNames(e, out));
    else if (p.type === 'AssignmentPattern') patternNames(p.left, out);
    else if (p.type === 'RestElement') patternNames(p.argument, out);
    return out;
  };
  const declareBlock = (stmts, scope) => {
    for (const s of stmts) {
      if (s.type === 'VariableDeclaration') s.declarations.forEach((d) => patternNames(d.id).forEach((n) => scope.names.add(n)));
      else if ((s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') && s.id) scope.names.add(s.id.name);
    }
  };
  const ref = (name, scope, write) => {
    let s = scope;
    while (s && !s.names.has(name)) s = s.parent;
    if (s === top) { (write ? uses[current].writes : uses[current].reads).add(name); if (!fnDepth) uses[current].now.add(name); }
    else if (!s) globals.add(name);
  };
  // Default values and computed keys of a pattern are reads; its names are declarations (or writes when assigning).
  const pattern = (p, scope, assign) => {
    if (!p) return;
    if (p.type === 'Identifier') { if (assign) ref(p.name, scope, true); }
    else if (p.type === 'ObjectPattern') p.properties.forEach((q) => { if (q.type === 'RestElement') pattern(q.argument, scope, assign); else { if (q.computed) visit(q.key, scope); pattern(q.value, scope, assign); } });
    else if (p.type === 'ArrayPattern') p.elements.forEach((e) => pattern(e, scope, assign));
    else if (p.type === 'AssignmentPattern') { pattern(p.left, scope, assign); visit(p.right, scope); }
    else if (p.type === 'RestElement') pattern(p.argument, scope, assign);
    else visit(p, scope); // member expression target
  };
  const func = (f, scope) => {
    fnDepth++;
    const s = { names: new Set(), parent: scope };
    if (f.type === 'FunctionExpression' && f.id) s.names.add(f.id.name);
    f.params.forEach((p) => patternNames(p).forEach((n) => s.names.add(n)));
    s.names.add('arguments');
    f.params.forEach((p) => pattern(p, s, false));
    if (f.body.type === 'BlockStatement') { declareBlock(f.body.body, s); f.body.body.forEach((x) => visit(x, s)); } else visit(f.body, s);
    fnDepth--;
  };
  function visit(n, scope) {
    if (!n || typeof n.type !== 'string') return;
    switch (n.type) {
      case 'Identifier': ref(n.name, scope, false); return;
      case 'FunctionDeclaration': case 'FunctionExpression': case 'ArrowFunctionExpression': func(n, scope); return;
      case 'ClassDeclaration': case 'ClassExpression': {
        const s = { names: new Set(n.id && n.type === 'ClassExpression' ? [n.id.name] : []), parent: scope };
        visit(n.superClass, scope);
        for (const m of n.body.body) { if (m.computed) visit(m.key, s); visit(m.value, s); if (m.type === 'StaticBlock') m.body.forEach((x) => visit(x, s)); }
        return;
      }
      case 'VariableDeclaration': n.declarations.forEach((d) => { pattern(d.id, scope, false); visit(d.init, scope); }); return;
      case 'MemberExpression': visit(n.object, scope); if (n.computed) visit(n.property, scope); return;
      case 'Property': if (n.computed) visit(n.key, scope); visit(n.value, scope); return;
      case 'AssignmentExpression': pattern(n.left, scope, true); if (n.operator !== '=' && n.left.type === 'Identifier') ref(n.left.name, scope, false); visit(n.right, scope); return;
      case 'UpdateExpression': if (n.argument.type === 'Identifier') { ref(n.argument.name, scope, true); ref(n.argument.name, scope, false); } else visit(n.argument, scope); return;
      case 'BlockStatement': case 'StaticBlock': { const s = { names: new Set(), parent: scope }; declareBlock(n.body, s); n.body.forEach((x) => visit(x, s)); return; }
      case 'SwitchStatement': { visit(n.discriminant, scope); const s = { names: new Set(), parent: scope }; n.cases.forEach((c) => declareBlock(c.consequent, s)); n.cases.forEach((c) => { visit(c.test, s); c.consequent.forEach((x) => visit(x, s)); }); return; }
      case 'ForStatement': case 'ForInStatement': case 'ForOfStatement': {
        const s = { names: new Set(), parent: scope };
        const init = n.init || n.left;
        if (init && init.type === 'VariableDeclaration') declareBlock([init], s);
        if (n.type === 'ForStatement') { visit(n.init, s); visit(n.test, s); visit(n.update, s); }
        else { if (n.left.type === 'VariableDeclaration') visit(n.left, s); else pattern(n.left, s, true); visit(n.right, s); }
        visit(n.body, s); return;
      }
      case 'CatchClause': { const s = { names: new Set(patternNames(n.param)), parent: scope }; visit(n.body, s); return; }
      case 'LabeledStatement': visit(n.body, scope); return;
      case 'BreakStatement': case 'ContinueStatement': return;
      case 'MetaProperty': return;
      default:
        for (const k of Object.keys(n)) {
          if (k === 'loc' || k === 'start' || k === 'end' || k === 'type') continue;
          const v = n[k];
          if (Array.isArray(v)) v.forEach((x) => visit(x, scope)); else if (v && typeof v.type === 'string') visit(v, scope);
        }
    }
  }
  declareBlock(body, top);
  body.forEach((s, i) => { current = i; visit(s, top); });
  // Statement's own declared names
  const declared = body.map((s) => {
    const out = new Set();
    if (s.type === 'VariableDeclaration') s.declarations.forEach((d) => patternNames(d.id).forEach((n) => out.add(n)));
    else if (s.id) out.add(s.id.name);
    return out;
  });
  return { body, uses, declared, globals, top };
}
module.exports = { analyse };
