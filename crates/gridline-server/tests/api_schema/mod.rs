//! Reading the OpenAPI document of `/api/v1` in tests: following references, finding the operation
//! a request went to, and checking a real answer against the schema the document gives it.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::sync::OnceLock;

use serde_json::Value;

/// The document, as served at `/api/v1/openapi.json`, built once per test binary.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::to_value(gridline_server::openapi_document()).expect("the document serialises"))
}

/// Follows `$ref`s to `#/components/schemas/…` until a schema that is not a reference.
pub fn resolve<'a>(document: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected reference {reference}"));
        schema = &document["components"]["schemas"][name];
        assert!(!schema.is_null(), "{reference} is not in the components");
    }
    schema
}

/// The schemas a value of `schema` may be: through references, `allOf` (all at once), and
/// `oneOf`/`anyOf` (any, e.g. an `Option`'s null or the value).
pub fn variants<'a>(document: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let schema = resolve(document, schema);
    let mut out = vec![schema];
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
            out.extend(variants(document, part));
        }
    }
    out
}

/// A schema that says nothing of its fields: `{}` or an object without properties (what
/// `serde_json::Value` and a `json!` answer are described as).
pub fn is_free_form(document: &Value, schema: &Value) -> bool {
    let schema = resolve(document, schema);
    let says_something = ["properties", "items", "allOf", "oneOf", "anyOf", "enum"].iter().any(|k| schema.get(k).is_some());
    let kind = schema.get("type");
    let is_object = kind.is_none() || kind == Some(&Value::from("object"));
    is_object && !says_something
}

/// The document's path template that `path` (no query) was served by, e.g.
/// `/api/v1/cases/12/actions` → `/api/v1/cases/{id}/actions`; a literal segment wins over a
/// parameter (`/cases/export` is not `/cases/{id}`).
pub fn template_of<'a>(document: &'a Value, path: &str) -> Option<&'a str> {
    let segments: Vec<&str> = path.split('/').collect();
    let templates = document["paths"].as_object()?.keys().map(String::as_str);
    templates
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            let fits = parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')));
            fits.then(|| (parts.iter().filter(|t| t.starts_with('{')).count(), template))
        })
        .min_by_key(|(parameters, _)| *parameters)
        .map(|(_, template)| template)
}

/// What is wrong with `answer` as the `status` answer of `method path` (a real path, no query):
/// nothing when the document says so, or when the answer is no JSON object or list of the API.
pub fn check_answer(method: &str, path: &str, status: u16, answer: &Value) -> Vec<String> {
    let document = document();
    let Some(template) = template_of(document, path) else { return Vec::new() };
    let Some(operation) = document["paths"][template].get(method.to_lowercase()) else {
        return vec![format!("{method} {template} is not in the document")];
    };
    let Some(response) = operation["responses"].get(status.to_string()) else {
        return vec![format!("{method} {template} answered {status}, which the document does not list")];
    };
    match response.get("content").and_then(|c| c.get("application/json")).and_then(|j| j.get("schema")) {
        Some(schema) => conforms(document, schema, answer, "answer"),
        None => Vec::new(),
    }
}

/// The fields an object schema names, through references and `allOf`.
fn property_names(document: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve(document, schema);
    let mut names: Vec<String> = schema.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default();
    for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        names.extend(property_names(document, part));
    }
    names
}

/// What is wrong with `value` against `schema`, each problem with where it is (`answer.items[0].id`).
pub fn conforms(document: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolve(document, schema);
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let results: Vec<Vec<String>> = options.iter().map(|o| conforms(document, o, value, at)).collect();
            if results.iter().any(Vec::is_empty) {
                return Vec::new();
            }
            return vec![format!("{at}: {value} is none of the {key} choices ({})", results.concat().join("; "))];
        }
    }
    let mut problems = Vec::new();
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        // The parts of a flattened view: together they name every field.
        let mut known = Vec::new();
        for part in parts {
            let mine = property_names(document, part);
            let mut only_theirs = value.clone();
            if let Some(object) = only_theirs.as_object_mut() {
                object.retain(|k, _| mine.contains(k));
            }
            problems.extend(conforms(document, part, &only_theirs, at));
            known.extend(mine);
        }
        if let Some(object) = value.as_object() {
            problems.extend(object.keys().filter(|k| !known.contains(k)).map(|k| format!("{at}.{k}: not in the schema")));
        }
        return problems;
    }
    if let Some(choices) = schema.get("enum").and_then(Value::as_array)
        && !choices.contains(value)
    {
        return vec![format!("{at}: {value} is not one of {choices:?}")];
    }
    let kinds: Vec<&str> = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => return problems, // `{}`: anything
    };
    let kind_of = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !kinds.iter().any(|k| *k == kind_of || (*k == "number" && kind_of == "integer")) {
        return vec![format!("{at}: a {kind_of} where the schema says {kinds:?}")];
    }
    match value {
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    problems.extend(conforms(document, item_schema, item, &format!("{at}[{i}]")));
                }
            }
        }
        Value::Object(object) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            for required in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                if !object.contains_key(required) {
                    problems.push(format!("{at}.{required}: required, but missing"));
                }
            }
            for (key, field) in object {
                match (properties.and_then(|p| p.get(key)), schema.get("additionalProperties")) {
                    (Some(field_schema), _) => problems.extend(conforms(document, field_schema, field, &format!("{at}.{key}"))),
                    (None, Some(extra)) if extra.is_object() => problems.extend(conforms(document, extra, field, &format!("{at}.{key}"))),
                    (None, _) if properties.is_none() => {}
                    (None, _) => problems.push(format!("{at}.{key}: not in the schema")),
                }
            }
        }
        _ => {}
    }
    problems
}
