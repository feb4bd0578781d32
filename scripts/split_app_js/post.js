// The hand edits after the moves, as replacements that must each apply once.
module.exports = {
  'words.js': [["export const LANG_KEY = 'gridline.lang';\nexport let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';\n",
    `const LANG_KEY = 'gridline.lang';
/** The page's language, 'zh' or 'en', as chosen last on this browser. */
export let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
/** Chooses the language (the header's toggle), kept for the next page. */
export const setLang = (chosen) => {
  lang = chosen;
  localStorage.setItem(LANG_KEY, lang);
};
`]],
  'router.js': [
    ["import { lang, LANG_KEY, t } from './words.js';", "import { lang, setLang, t } from './words.js';"],
    [`    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem(LANG_KEY, lang);
    render();`, `    setLang(lang === 'zh' ? 'en' : 'zh');
    render();`],
    [`export const VIEWS = {};
export async function render() {`, `/** The module that draws each view (the server names the view in body[data-view]: web/mod.rs,
 *  \`Page::view\`). A page loads the shared modules and its own view's module only. */
const MODULE_OF = {
  login: 'public', public_listings: 'public', questionnaire_form: 'questionnaire',
  operator: 'operator', grid: 'grid', patrol: 'patrol', dispatcher: 'dispatcher', unit: 'unit', inbox: 'inbox',
  supervisor: 'supervisor', admin: 'admin', case: 'case', search: 'search', dashboard: 'dashboard',
  evaluation: 'evaluation', field: 'field', reviews: 'reviews', alleys: 'alleys',
  ledger: 'ledger', ledger_project: 'ledger', documents: 'documents',
};

/** The views by name: \`(name) => content\` drawing the page's <main>. */
const VIEWS = {};
/** Registers a view: its module calls this when it is loaded. */
export const register = (name, draw) => { VIEWS[name] = draw; };

/** Draws the page's view: the header, then the view's content (its module loaded first). */
export async function render() {`],
    [`  try {
    const content = await (VIEWS[view] || VIEWS.missing)();`, `  try {
    // Relative to this module: the same versioned prefix (/assets/js-HASH/) as every module.
    if (!VIEWS[view] && MODULE_OF[view]) await import(\`./\${MODULE_OF[view]}.js\`);
    const content = await (VIEWS[view] || VIEWS.missing)();`]],
  'api.js': [["// Every call below says what it reads of the answer in a `// reads: METHOD /path field …`\n// comment, checked against the OpenAPI document by crates/gridline-server/tests/web_api.rs.\n",
    "// Every API call, in every module, says what it reads of the answer in a `// reads: METHOD /path\n// field …` comment, checked against the OpenAPI document by crates/gridline-server/tests/web_api.rs\n// (the `@sets` below serve every module).\n"]],
  'main.js': [["import { render } from './router.js';\n", `// The offline queues first: on every page they send what they keep once the network is back.
import './outbox.js';
import { render } from './router.js';
`]],
};
