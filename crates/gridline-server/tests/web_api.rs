//! The web UI's calls against the OpenAPI document: every call the script makes is to an
//! operation the document has, and every field it reads of the answer is in that answer's schema.
//!
//! The script is the modules of `web/assets/js/`, each checked on its own (a `@set` may be defined
//! in any of them).
//!
//! The script says what it reads: each API call has a `// reads: METHOD /path field …` comment
//! in the lines just above it (`items[].status` is a field of each element of `items`, `[].id` of
//! each element of an answer that is a list;
//! `items[]@case` stands for every field of the `// fields @case: …` set; `-` reads nothing).
//! A second check keeps the comments honest: where the answer is bound to a name
//! (`const dup = await api(…)`, `.then((r) => …)`, `const [a, b] = await Promise.all([…])`),
//! every `name.field` the script reads is among the fields its comment names.

mod api_schema;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use api_schema::{document, variants};

/// The web UI's modules, `(name, text)`, by name.
static MODULES: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/web/assets/js");
    let mut modules: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("web/assets/js")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "js"))
        .map(|path| (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&path).expect("a module")))
        .collect();
    modules.sort();
    assert!(modules.len() > 20, "only {} modules in {dir}", modules.len());
    modules
});

/// All the modules as one text: where the `// fields @set:` lists are looked for.
static ALL: LazyLock<String> = LazyLock::new(|| MODULES.iter().map(|(_, text)| text.as_str()).collect::<Vec<_>>().join("\n"));

/// Calls the script makes outside `/api/v1`: the page's own sign-in, which answers the session
/// of `POST /api/v1/session` with the page to go to (`home`).
const OUTSIDE_THE_API: &[&str] = &["/web/session", "/api/v1${path}"];

#[derive(Debug)]
struct Call {
    line: usize,
    method: String,
    /// As the script builds it, with `{}` for each interpolation and no query.
    path: String,
    /// The name the answer is bound to, and where in the script its scope starts.
    binding: Option<(String, usize)>,
}

#[derive(Debug)]
struct Reads {
    line: usize,
    method: String,
    path: String,
    fields: Vec<String>,
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

/// The string literal starting at `at` ('…' or `…` with `${…}` nested), and where it ends.
fn literal(text: &str, at: usize) -> (String, usize) {
    let bytes = text.as_bytes();
    let quote = bytes[at];
    let mut depth = 0;
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if quote == b'`' && bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'{' if depth > 0 => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b'`' if depth > 0 => {
                // A template nested in an interpolation: skip it whole.
                let (_, end) = literal(text, i);
                i = end;
                continue;
            }
            c if c == quote && depth == 0 => return (text[at + 1..i].to_owned(), i + 1),
            _ => {}
        }
        i += 1;
    }
    panic!("unterminated string at line {}", line_of(text, at));
}

/// `/cases/${c.id}/duplicates?x=${y}` → `/cases/{}/duplicates`; an interpolation that is not a
/// whole segment and ends the path (a query built aside) is dropped.
fn normalise(raw: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' if depth == 0 && chars.peek() == Some(&'{') => {
                chars.next();
                depth = 1;
                out.push_str("{}");
            }
            '{' if depth > 0 => depth += 1,
            '}' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    let path = out.split('?').next().unwrap_or_default();
    match path.strip_suffix("{}") {
        Some(rest) if !rest.ends_with('/') => rest.to_owned(),
        _ => path.to_owned(),
    }
}

/// Every API call of the script, with the name its answer is bound to.
fn calls(script: &str) -> Vec<Call> {
    let call = Regex::new(r"\b(?:api|optional)\(\s*'(GET|POST|PUT|PATCH|DELETE)'\s*,\s*").unwrap();
    let bound = Regex::new(r"(?:const|let)\s+([A-Za-z_]\w*)\s*=\s*\(?\s*await\s+$").unwrap();
    let then = Regex::new(r"^\)?\.then\(\(([A-Za-z_]\w*)\)\s*=>").unwrap();
    let all = Regex::new(r"const\s*\[([^\]]+)\]\s*=\s*await\s+Promise\.all\(\[").unwrap();
    // Names bound by position in a `Promise.all([…])`: (start of the array, names).
    let destructured: Vec<(usize, Vec<String>)> =
        all.captures_iter(script).map(|c| (c.get(0).unwrap().end(), c[1].split(',').map(|n| n.trim().to_owned()).collect())).collect();
    let mut out = Vec::new();
    for m in call.captures_iter(script) {
        let whole = m.get(0).unwrap();
        let (raw, end) = literal(script, whole.end());
        let line_start = script[..whole.start()].rfind('\n').map_or(0, |i| i + 1);
        let before = &script[line_start..whole.start()];
        let after_args = script[end..].find(')').map_or(end, |i| end + i + 1);
        let mut binding = bound.captures(before).map(|c| (c[1].to_owned(), end));
        if binding.is_none() {
            binding = then.captures(&script[after_args..]).map(|c| (c[1].to_owned(), after_args));
        }
        if binding.is_none()
            && let Some((start, names)) = destructured.iter().rfind(|(start, _)| *start <= whole.start())
        {
            // The n-th call inside the array, if this call is inside it.
            if let Some(n) = element_index(&script[*start..whole.start()]) {
                binding = names.get(n).map(|name| (name.clone(), *start));
            }
        }
        out.push(Call { line: line_of(script, whole.start()), method: m[1].to_owned(), path: normalise(&raw), binding });
    }
    out
}

/// Which element of an array literal `text` (from just after its `[`) ends in: the count of
/// commas outside any bracket or string; None once the array is closed.
fn element_index(text: &str) -> Option<usize> {
    let (mut depth, mut commas, mut quote) = (0usize, 0, None);
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ']') if depth == 0 => return None,
            (None, ')' | ']' | '}') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => commas += 1,
            _ => {}
        }
    }
    Some(commas)
}

/// The `// reads:` comments, with the `@set`s of `sets_from` expanded.
fn reads(script: &str, sets_from: &str) -> Vec<Reads> {
    let set = Regex::new(r"//\s*fields\s+@(\w+):\s*(.*)").unwrap();
    let sets: BTreeMap<String, Vec<String>> =
        set.captures_iter(sets_from).map(|c| (c[1].to_owned(), c[2].split_whitespace().map(str::to_owned).collect())).collect();
    let comment = Regex::new(r"//\s*reads:\s*(GET|POST|PUT|PATCH|DELETE)\s+(\S+)(.*)").unwrap();
    let mut out = Vec::new();
    for (i, line) in script.lines().enumerate() {
        let Some(c) = comment.captures(line) else { continue };
        let mut fields = Vec::new();
        for token in c[3].split_whitespace().filter(|t| *t != "-") {
            match token.split_once('@') {
                Some((prefix, name)) => {
                    let members = sets.get(name).unwrap_or_else(|| panic!("line {}: no `// fields @{name}:` set", i + 1));
                    let prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}.") };
                    fields.extend(members.iter().map(|f| format!("{prefix}{f}")));
                }
                None => fields.push(token.to_owned()),
            }
        }
        out.push(Reads { line: i + 1, method: c[1].to_owned(), path: c[2].to_owned(), fields });
    }
    out
}

/// `/cases/{id}` → `/cases/{}`: the comment names what the script fills in; the call does not.
fn unnamed(path: &str) -> String {
    static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{\w*\}").unwrap());
    PLACEHOLDER.replace_all(path, "{}").into_owned()
}

/// Whether the script's path (`{}` or `{name}` for what it fills in) is the document's path.
fn same_path(script: &str, document: &str) -> bool {
    let script = unnamed(script);
    let (a, b): (Vec<&str>, Vec<&str>) = (script.split('/').collect(), document.split('/').collect());
    a.len() == b.len()
        && a.iter().zip(&b).all(|(s, d)| {
            if *s == "{}" {
                d.starts_with('{') && d.ends_with('}')
            } else if s.contains("{}") {
                // Part of a segment filled in: any text there.
                let pattern = format!("^{}$", regex::escape(s).replace(r"\{\}", ".+"));
                Regex::new(&pattern).unwrap().is_match(d)
            } else {
                s == d
            }
        })
}

/// The schema of `path` (`a.b[].c`) inside `schema`, or what is missing.
fn field<'a>(document: &'a Value, schema: &'a Value, path: &str) -> Result<&'a Value, String> {
    let mut here = schema;
    for segment in path.split('.') {
        let (name, each) = match segment.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (segment, false),
        };
        // `[].x` reads each element of an answer that is itself a list.
        if !name.is_empty() {
            here = variants(document, here)
                .into_iter()
                .find_map(|s| s.get("properties").and_then(|p| p.get(name)))
                .ok_or_else(|| format!("no field `{name}`"))?;
        }
        if each {
            here = variants(document, here).into_iter().find_map(|s| s.get("items")).ok_or_else(|| format!("`{name}` is not a list"))?;
        }
    }
    Ok(here)
}

/// The JSON schemas of an operation's success answers; None for an answer that is no JSON.
fn answer_schemas(operation: &Value) -> Vec<Option<&Value>> {
    operation["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(status, _)| status.starts_with('2'))
        .map(|(_, response)| response.get("content").and_then(|c| c.get("application/json")).and_then(|j| j.get("schema")))
        .collect()
}

/// Everything wrong between the script and the document.
fn problems(script: &str, document: &Value) -> Vec<String> {
    problems_with(script, script, document)
}

/// Everything wrong between one module and the document, its `@set`s taken from `sets_from`.
fn problems_with(script: &str, sets_from: &str, document: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let calls = calls(script);
    let reads = reads(script, sets_from);
    let mut used = BTreeSet::new();
    for call in &calls {
        // The comment in the lines just above the call (a multi-line statement may hold several).
        let found = reads.iter().rposition(|r| r.line <= call.line && call.line - r.line <= 8 && r.method == call.method && {
            unnamed(&r.path) == call.path
        });
        let Some(index) = found else {
            out.push(format!("line {}: {} {} has no `// reads: {} {}` comment above it", call.line, call.method, call.path, call.method, call.path));
            continue;
        };
        used.insert(index);
        let annotation = &reads[index];
        if let Some((name, from)) = &call.binding {
            let roots: BTreeSet<&str> = annotation.fields.iter().map(|f| f.split(['.', '[']).next().unwrap_or_default()).collect();
            // An answer that is a list (`[].x`): its length and methods are no fields of it.
            let list = roots.contains("");
            for read in read_fields(script, name, *from) {
                let list_member = list && ["length", "slice", "map", "filter", "find", "some", "every", "forEach"].contains(&read.as_str());
                if !roots.contains(read.as_str()) && !list_member {
                    out.push(format!("line {}: the script reads `{name}.{read}` of {} {}, which its `// reads:` comment does not name", call.line, call.method, call.path));
                }
            }
        }
    }
    for (index, annotation) in reads.iter().enumerate() {
        if !used.contains(&index) {
            out.push(format!("line {}: `// reads: {} {}` is above no such call", annotation.line, annotation.method, annotation.path));
        }
        out.extend(check_against_document(document, annotation));
    }
    out
}

/// `script` with the text of '…' and "…" strings and of comments blanked (same length), so that
/// `t('page.case')` or a comment is not taken for a read.
fn code_only(script: &str) -> String {
    enum In {
        Code,
        Text(char),
        LineComment,
        BlockComment,
    }
    let mut out = String::with_capacity(script.len());
    let mut here = In::Code;
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        let blank = match (&here, c) {
            (In::LineComment, '\n') => {
                here = In::Code;
                false
            }
            (In::BlockComment, '*') if chars.peek() == Some(&'/') => {
                chars.next();
                out.push_str("  ");
                here = In::Code;
                continue;
            }
            (In::LineComment | In::BlockComment, _) => true,
            (In::Text(_), '\\') => {
                // An escaped character stays inside the string.
                let next = chars.next().map_or(0, char::len_utf8);
                out.push_str(&" ".repeat(1 + next));
                continue;
            }
            (In::Text(q), c) if c == *q => {
                here = In::Code;
                false
            }
            (In::Text(_), _) => true,
            (In::Code, '\'' | '"') => {
                here = In::Text(c);
                false
            }
            (In::Code, '/') if chars.peek() == Some(&'/') => {
                here = In::LineComment;
                true
            }
            (In::Code, '/') if chars.peek() == Some(&'*') => {
                here = In::BlockComment;
                true
            }
            (In::Code, _) => false,
        };
        if blank {
            out.push_str(&" ".repeat(c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

/// The fields `name.field` read from `from` on, until `name` is bound again.
fn read_fields(script: &str, name: &str, from: usize) -> BTreeSet<String> {
    let script = code_only(script);
    let name = regex::escape(name);
    let rebound = Regex::new(&format!(r"(?:const|let|var)\s+{name}\b|\(\s*{name}\s*\)\s*=>|\b{name}\s*=>|function\s*\w*\s*\([^)]*\b{name}\b")).unwrap();
    let rest = &script[from..];
    let scope = rebound.find(rest).map_or(rest, |m| &rest[..m.start()]);
    let access = Regex::new(&format!(r"\b{name}\??\.([A-Za-z_]\w*)")).unwrap();
    access.captures_iter(scope).map(|c| c[1].to_owned()).filter(|f| f != "catch" && f != "then").collect()
}

fn check_against_document(document: &Value, reads: &Reads) -> Vec<String> {
    let operations: Vec<(&String, &Value)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .filter_map(|(path, item)| path.strip_prefix("/api/v1").filter(|p| same_path(&reads.path, p)).map(|_| (path, item)))
        .filter_map(|(path, item)| item.get(reads.method.to_lowercase()).map(|operation| (path, operation)))
        .collect();
    if operations.is_empty() {
        return vec![format!("line {}: {} /api/v1{} is not in the OpenAPI document", reads.line, reads.method, reads.path)];
    }
    let mut out = Vec::new();
    for (path, operation) in operations {
        let name = format!("{} {}", reads.method, path.trim_start_matches("/api/v1"));
        for schema in answer_schemas(operation) {
            // Not JSON (GeoJSON, files): nothing to check the fields against.
            let Some(schema) = schema else { continue };
            for f in &reads.fields {
                if let Err(missing) = field(document, schema, f) {
                    out.push(format!("line {}: the UI reads `{f}` of {name}, but its answer has {missing}", reads.line));
                }
            }
        }
    }
    out
}

#[test]
fn the_web_ui_reads_only_what_the_api_answers() {
    let document = document();
    let problems: Vec<String> =
        MODULES.iter().flat_map(|(name, text)| problems_with(text, &ALL, document).into_iter().map(move |p| format!("{name}: {p}"))).collect();
    assert!(problems.is_empty(), "the web UI and the API disagree:\n{}", problems.join("\n"));
}

#[test]
fn every_call_of_the_script_is_found() {
    let calls: Vec<Call> = MODULES.iter().flat_map(|(_, text)| calls(text)).collect();
    assert!(calls.len() >= 30, "only {} API calls found in the modules: is the pattern still right?", calls.len());
    for (name, text) in MODULES.iter() {
        let fetches: Vec<String> = Regex::new(r"\bfetch\(\s*(['`])").unwrap().find_iter(text).map(|m| literal(text, m.end() - 1).0).collect();
        for fetch in &fetches {
            assert!(OUTSIDE_THE_API.contains(&fetch.as_str()), "{name} fetches {fetch} directly: call the API through api()/optional() so that it is checked");
        }
    }
    let duplicates = calls.iter().find(|c| c.path == "/cases/{}/duplicates").expect("the duplicates call");
    assert_eq!(duplicates.method, "GET");
}

#[test]
fn paths_are_read_as_the_document_writes_them() {
    assert_eq!(normalise("/cases/${c.id}/duplicates"), "/cases/{}/duplicates");
    assert_eq!(normalise("/cases?status=${s}&page_size=100"), "/cases");
    assert_eq!(normalise("/dashboard${region ? `?region=${encodeURIComponent(region)}` : ''}"), "/dashboard");
    assert_eq!(normalise("/geo/${level}.geojson"), "/geo/{}.geojson");
    assert!(same_path("/cases/{id}", "/cases/{id}"));
    assert!(!same_path("/cases/{}", "/cases/export"));
    assert!(same_path("/geo/{level}.geojson", "/geo/streets.geojson"));
    assert_eq!(element_index("units(), catalogue(), "), Some(2));
    assert_eq!(element_index("api('GET', `/x?a=${f(1, 2)}`), "), Some(1));
    assert_eq!(element_index("a, b]); c, "), None);
    assert_eq!(code_only("t('page.case') + x.y // dup.items\n/** it's */z"), format!("t('{}') + x.y {}\n{}z", " ".repeat(9), " ".repeat(12), " ".repeat(11)));
}

/// The drift this test was written for: the duplicates panel read `items` where the API answers
/// `suggestions`. Named in the comment, the schema refuses it; left out, the honesty check does.
#[test]
fn the_old_duplicates_panel_would_have_failed() {
    let document = document();
    let named = "// reads: GET /cases/{id}/duplicates items[].id\nconst dup = await optional('GET', `/cases/${c.id}/duplicates`);\ndraw(dup.items ?? dup);\n";
    let problems_named = problems(named, document);
    assert!(problems_named.iter().any(|p| p.contains("`items[].id`") && p.contains("no field `items`")), "{problems_named:?}");
    let hidden = "// reads: GET /cases/{id}/duplicates suggestions[].case\nconst dup = await optional('GET', `/cases/${c.id}/duplicates`);\ndraw(dup.items ?? dup);\n";
    let problems_hidden = problems(hidden, document);
    assert!(problems_hidden.iter().any(|p| p.contains("`dup.items`")), "{problems_hidden:?}");
    let right = "// reads: GET /cases/{id}/duplicates suggestions[].case suggestions[].score\nconst dup = await optional('GET', `/cases/${c.id}/duplicates`);\ndraw(dup.suggestions);\n";
    assert_eq!(problems(right, document), Vec::<String>::new());
}

#[test]
fn a_call_without_a_comment_or_to_an_unknown_path_is_refused() {
    let document = document();
    let bare = "const page = await api('GET', '/cases?status=closed');\n";
    assert!(problems(bare, document).iter().any(|p| p.contains("has no `// reads: GET /cases` comment")));
    let unknown = "// reads: GET /no-such-thing items\nconst x = await api('GET', '/no-such-thing');\n";
    assert!(problems(unknown, document).iter().any(|p| p.contains("is not in the OpenAPI document")));
}

/// Every module parses: a merge once left a function without its closing brace, and every page
/// stayed blank. Node.js checks the syntax (as a module) where it is installed (it is on the CI
/// machines).
#[test]
fn the_script_parses() {
    use std::io::Write as _;
    for (name, text) in MODULES.iter() {
        let node = std::process::Command::new("node")
            .args(["--input-type=module", "--check"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn();
        let mut node = match node {
            Ok(node) => node,
            Err(err) => {
                assert!(std::env::var_os("CI").is_none(), "node is needed in CI to check the modules: {err}");
                eprintln!("node is not installed ({err}): the syntax check is skipped");
                return;
            }
        };
        node.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("to node");
        let out = node.wait_with_output().expect("node");
        assert!(out.status.success(), "{name} does not parse:\n{}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn months_and_days_are_taken_in_beijing_time() {
    // `toISOString()` tells the UTC date: before 08:00 on the 1st in Beijing it is still the
    // month before, and the supervisor's ranking showed that month. Every month and day the
    // script derives from the clock goes through `thisMonth()` / `time()` in Asia/Shanghai.
    for (name, text) in MODULES.iter() {
        for (n, line) in text.lines().enumerate() {
            assert!(!line.contains("toISOString()"), "{name} line {}: a date taken in UTC: {line}", n + 1);
        }
    }
    // One formatter in Beijing time (building one per call was a tenth of the dispatcher's page).
    assert!(ALL.contains("const BEIJING = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai',"));
    assert!(ALL.contains("const thisMonth = () => beijing(new Date()).slice(0, 7);"));
}
