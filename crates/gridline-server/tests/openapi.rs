//! The OpenAPI document of `/api/v1` against its reviewed snapshot, and every success answer
//! described by a schema.

mod api_schema;

use std::path::{Path, PathBuf};

use serde_json::Value;

use api_schema::{document, is_free_form};

/// Set to 1 to write the current document over the snapshot (after reviewing the change).
const ACCEPT: &str = "GRIDLINE_ACCEPT_OPENAPI";

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json")
}

#[test]
fn the_document_is_the_reviewed_snapshot() {
    let current = serde_json::to_string_pretty(document()).expect("the document serialises") + "\n";
    let path = snapshot_path();
    if std::env::var(ACCEPT).is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("tests/snapshots")).expect("create tests/snapshots");
        std::fs::write(&path, &current).expect("write the snapshot");
        return;
    }
    let reviewed = std::fs::read_to_string(&path).unwrap_or_default();
    if reviewed == current {
        return;
    }
    let first_difference = reviewed
        .lines()
        .zip(current.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| format!("line {}:\n  snapshot: {a}\n  now:      {b}", i + 1))
        .unwrap_or_else(|| format!("the snapshot has {} lines, the document {}", reviewed.lines().count(), current.lines().count()));
    panic!(
        "the OpenAPI document of /api/v1 differs from {} (first difference at {first_difference}).\n\
         If the change is intended, review it and accept it with:\n  \
         {ACCEPT}=1 cargo test -p gridline-server --test openapi\n\
         then commit the snapshot with the change.",
        path.display()
    );
}

/// The 2xx answers of every operation: (method path status, content type, schema).
fn success_answers(document: &Value) -> Vec<(String, String, Option<Value>)> {
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Some(responses) = operation.get("responses").and_then(Value::as_object) else { continue };
            for (status, response) in responses.iter().filter(|(status, _)| status.starts_with('2')) {
                let name = format!("{} {path} {status}", method.to_uppercase());
                match response.get("content").and_then(Value::as_object) {
                    None => out.push((name, String::new(), None)),
                    Some(content) => {
                        for (kind, body) in content {
                            out.push((name.clone(), kind.clone(), body.get("schema").cloned()));
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_success_answer_has_a_schema_that_names_its_fields() {
    let document = document();
    let answers = success_answers(document);
    assert!(answers.len() >= 49, "the document has {} success answers; every operation has one", answers.len());
    let mut untyped = Vec::new();
    for (operation, kind, schema) in &answers {
        match schema {
            // Only "no content" may come without a body.
            None => assert!(operation.ends_with(" 204"), "{operation} describes no body"),
            // The boundaries are served as GeoJSON files, passed through as they are.
            Some(_) if kind == "application/geo+json" => {}
            Some(schema) if is_free_form(document, schema) => untyped.push(operation.clone()),
            Some(_) => {}
        }
    }
    assert!(untyped.is_empty(), "success answers described as a free-form object (give the handler a typed view): {untyped:#?}");
}

#[test]
fn a_free_form_answer_would_be_noticed() {
    let document = serde_json::json!({
        "components": { "schemas": { "Loose": { "type": "object" }, "Typed": { "type": "object", "properties": { "id": { "type": "integer" } } } } },
    });
    assert!(is_free_form(&document, &serde_json::json!({})));
    assert!(is_free_form(&document, &serde_json::json!({ "$ref": "#/components/schemas/Loose" })));
    assert!(!is_free_form(&document, &serde_json::json!({ "$ref": "#/components/schemas/Typed" })));
    assert!(!is_free_form(&document, &serde_json::json!({ "type": "array", "items": {} })));
}

/// The check the end-to-end tests run on every success answer finds what strays from the schema.
#[test]
fn an_answer_that_strays_from_its_schema_is_noticed() {
    let check = |path: &str, body: serde_json::Value| api_schema::check_answer("GET", path, 200, &body);
    assert_eq!(check("/api/v1/units", serde_json::json!({ "items": [] })), Vec::<String>::new());
    let unit = serde_json::json!({ "code": "U1", "name": "城管委", "kind": "department", "regions": [], "types": [] });
    assert_eq!(check("/api/v1/units", serde_json::json!({ "items": [unit] })), Vec::<String>::new());
    let missing = check("/api/v1/units", serde_json::json!({ "items": [{ "code": "U1" }] }));
    assert!(missing.iter().any(|p| p.contains("answer.items[0].name: required")), "{missing:?}");
    let extra = check("/api/v1/units", serde_json::json!({ "items": [], "total": 0 }));
    assert!(extra.iter().any(|p| p.contains("answer.total: not in the schema")), "{extra:?}");
    let wrong_kind = check("/api/v1/units", serde_json::json!({ "items": [{ "code": "U1", "name": "x", "kind": "guild", "regions": [] }] }));
    assert!(wrong_kind.iter().any(|p| p.contains("answer.items[0].kind")), "{wrong_kind:?}");
    // A flattened view: the watch's own fields and the names beside them.
    let watch = serde_json::json!({ "id": 1, "region": "110105026000", "place": "阜通东大街", "category": "S0102", "every_days": 7,
        "next_due": "2026-12-07T01:00:00Z", "active": true, "last_case": null, "region_name": "望京街道", "category_name": null, "due": false });
    assert_eq!(api_schema::check_answer("POST", "/api/v1/supervision/watches/1/stop", 200, &watch), Vec::<String>::new());
    let mut stray = watch.clone();
    stray["overdue"] = serde_json::json!(true);
    assert!(!api_schema::check_answer("POST", "/api/v1/supervision/watches/1/stop", 200, &stray).is_empty());
    assert_eq!(api_schema::template_of(document(), "/api/v1/cases/export"), Some("/api/v1/cases/export"));
    assert_eq!(api_schema::template_of(document(), "/api/v1/cases/12"), Some("/api/v1/cases/{id}"));
}

/// Two types described under one name overwrite each other in the document without a word (the
/// dashboard's `Rates` once hid the rankings'): every `ToSchema` type of the workspace's sources
/// has a name of its own (its `#[schema(as = …)]` where it has one).
#[test]
fn no_two_schema_types_share_a_name() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut names: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut stack = vec![crates];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() && !path.ends_with("target") && !path.ends_with("node_modules") {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && path.components().any(|c| c.as_os_str() == "src") {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut derived = false;
                let mut renamed = None;
                for line in text.lines().map(str::trim) {
                    if line.starts_with("#[derive(") && line.contains("ToSchema") {
                        derived = true;
                    } else if let Some(rest) = line.strip_prefix("#[schema(as = ") {
                        renamed = rest.split(')').next().map(str::to_owned);
                    } else if derived && let Some(name) = ["pub struct ", "pub enum ", "struct ", "enum "].iter().find_map(|p| line.strip_prefix(p)) {
                        let name = name.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or_default();
                        names.entry(renamed.take().unwrap_or_else(|| name.to_owned())).or_default().push(path.display().to_string());
                        derived = false;
                    }
                }
            }
        }
    }
    assert!(names.len() > 50, "the types were found: {}", names.len());
    let shared: Vec<_> = names.iter().filter(|(_, places)| places.len() > 1).collect();
    assert!(shared.is_empty(), "schema names used by more than one type (name one apart with #[schema(as = …)]): {shared:#?}");
}

#[test]
fn every_refusal_is_described_with_the_error_body_and_bodies_list_their_refusals() {
    let document = document();
    let mut problems = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let responses = operation["responses"].as_object().expect("responses");
            let mut needed = vec!["422", "500"];
            if operation.get("requestBody").is_some() {
                needed.extend(["400", "413", "415"]);
            }
            if path.contains('{') {
                needed.extend(["400", "404"]);
            }
            for status in needed {
                if !responses.contains_key(status) {
                    problems.push(format!("{method} {path} does not list {status}"));
                }
            }
            for (status, response) in responses {
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                if status.starts_with(['4', '5']) && schema != "#/components/schemas/ErrorBody" {
                    problems.push(format!("{method} {path} {status} has no ErrorBody schema"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_schema_that_another_extends_does_not_forbid_the_extension() {
    let document = document();
    let text = document.to_string();
    for (name, schema) in document["components"]["schemas"].as_object().expect("schemas") {
        let extended = text.contains(&format!(r##"{{"$ref":"#/components/schemas/{name}"}}"##))
            && document["components"]["schemas"].as_object().unwrap().values().any(|s| {
                s["allOf"].as_array().is_some_and(|parts| parts.iter().any(|p| p["$ref"] == format!("#/components/schemas/{name}")))
            });
        if extended {
            assert_ne!(schema["additionalProperties"], Value::Bool(false), "{name} is extended through allOf but forbids other properties");
        }
    }
}
