#!/usr/bin/env node
// Splits the web UI's old one-file script (web/assets/app.js, one IIFE, before the ES modules of
// web/assets/js/) into those modules, the way they were made: each top-level statement moves to the
// module assign.js names for it (a name it declares, `view:NAME` for `VIEWS.NAME = …`), imports
// and exports follow from a scope analysis of which top-level names each statement reads
// (scope.js), headers.js heads each module, and post.js makes the few hand edits (setLang,
// register, the router's module table). Moves only: the statements' text is kept, dedented.
//
// For a branch that still changed app.js (docs/web.md, "Structure"):
//   git show $(git merge-base main BRANCH):crates/gridline-server/web/assets/app.js > /tmp/base.js
//   git show BRANCH:crates/gridline-server/web/assets/app.js > /tmp/branch.js
//   node --expose-internals scripts/split_app_js/split.js /tmp/base.js /tmp/base
//   node --expose-internals scripts/split_app_js/split.js /tmp/branch.js /tmp/branch
//   (cd /tmp && diff -ruN base branch) | patch -p1 -d crates/gridline-server/web/assets/js
// A statement the table does not place (a new top-level name) is reported: add it to assign.js.
// Node's own bundled acorn parses (hence --expose-internals): no package to install.
require('./gen.js');
