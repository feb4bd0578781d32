module.exports = {
  page: `// What the server wrote into the page (web/mod.rs, \`shell\`): the session token and the signed-in user.`,
  words: `// The words of the page in the language chosen (Chinese first, English switchable): web/texts/*.json
// as the texts script brings them, and the case's labels the page carries (gridline_core::labels).`,
  api: `// The JSON API (/api/v1): the one way the pages reach the server, and the case actions and photo
// uploads every role's page shares.`,
  dom: `// Building the page: elements (text goes in through textContent only, never as HTML, so case text
// cannot inject), form fields and pickers, tables, notices, and times and numbers as people read them.`,
  cases: `// Pieces of cases that several roles' pages show: status and clock badges, case tables, the
// duplicates table and the overview's figures.`,
  reference: `// Reference data, fetched once per page (the catalogue, units, regions), and the pickers made of it:
// category select with its search and the classifier's suggestion, district and street selects,
// the routing rules' unit.`,
  maps: `// Maps with ECharts: the boundaries the server serves, the optional tile layer
// (GRIDLINE_MAP_TILES), a case's place, and the case layers (points or heat) of the dashboard map.`,
  outbox: `// What a phone made that the server has not acknowledged, kept through network loss and reloads
// (docs/web.md, "Kept while offline"). The queues are loaded on every page, as each sends what it
// keeps when the network comes back, whichever page is open.`,
  router: `// The frame of every page: the header (navigation, the to-do badge, language, password, sign-out)
// and the router, which loads the module of the page's view (body[data-view]) and draws it into
// <main>. Every view module registers its views here with \`register(name, draw)\`.`,
  main: `// gridline's web workbench: the page's entry module. Every page is drawn from the JSON API
// (/api/v1); the server has already checked that the signed-in role may open the page, and the
// API checks every action. The modules are described in docs/web.md.`,
  public: `// The pages without sign-in: the sign-in form and the public list of listed supervision (挂牌督办公示).`,
  operator: `// The hotline operator (接线员): a call's ticket, the caller's history, duplicates, and the call-back queue.`,
  grid: `// The grid worker's and inspector's phone page: reports kept through network loss, and the verification queue.`,
  dispatcher: `// The dispatcher (派遣员): registering and dispatching, merges, returns, extensions and suspensions.`,
  unit: `// The handling unit's page (承办单位): its cases to accept and handle, its record, rates and rank.`,
  inbox: `// 我的待办: each user's to-do list (the header's badge leads here).`,
  supervisor: `// The supervisor (督办): overdue cases, rankings, hot problems and places, listings, campaigns, watches.`,
  admin: `// Administration: users, units and the audit log, one tab each (\`/admin?tab=…\`); the catalogue and
// the routing rules on the last.`,
  case: `// The case page (/cases/{id}): facts, clock, photos, place, duplicates, the actions the user may take, the timeline.`,
  search: `// Case search and export, for every role within what it may see.`,
  dashboard: `// The dashboard: figures, trend, categories, and the map of regions and cases, drilling down city → district → street.`,
  evaluation: `// Evaluation (测评): the office's rankings, the month's notice, satisfaction, findings and health reports.`,
  reviews: `// Material review (材料审核): the half-yearly windows; a unit submits, reviewers score, the office settles.`,
  field: `// The evaluator's phone page (实地考察): rounds, their points, a point's checklist, answers kept offline.`,
  questionnaire: `// The public questionnaire (问卷调查, no sign-in): XLSForm's \`relevant\`, one answer per device.`,
  alleys: `// Back alleys (背街小巷): the alley map, an alley's page, the patrol board and the monthly ranking.`,
  patrol: `// The steward's phone page (日巡): the daily patrol of their alleys, kept through network loss.`,
  ledger: `// The project ledger (重点工作项目台账): the office's board and tools, a member unit's projects, a project's page.`,
  documents: `// Documents (公文): issued ones listed and searched; a 简报 or report composed, previewed, issued, downloaded.`,
};
