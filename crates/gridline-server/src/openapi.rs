//! The OpenAPI description of `/api/v1`, served at `/api/v1/openapi.json` and browsable at
//! `/api/v1/docs` (Swagger UI, built into the binary: no CDN). Every `/api/v1` route is served
//! through `utoipa_axum`'s `OpenApiRouter` with `routes!`, which serves each handler at the path
//! and methods of its `#[utoipa::path]` attribute and adds that description to the document, so
//! what is served and what is described cannot drift apart. (A plain `.route` would serve a path
//! undescribed; `lib.rs` uses none under `/api/v1`.)

use std::sync::Arc;

use axum::Router;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::{Content, Ref, RefOr, Response, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gridline API",
        description = "The civilised-city case platform: intake from every channel, the unified catalogue, \
                       dispatch, SLA clocks, verification and call-back. Errors are \
                       `{\"error\": {\"code\", \"message\", \"field\"?}}`; see docs/api.md.",
    ),
    modifiers(&BearerToken),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    tags(
        (name = "session", description = "Signing in and out"),
        (name = "cases", description = "Cases: intake, list, history, workflow actions, export"),
        (name = "reference", description = "Units and regions"),
        (name = "admin", description = "Administration: users (add, change role, unit or name, disable, reset the password) and units (add, edit their coverage); every change audited"),
        (name = "catalogue", description = "The catalogue, the routing rules and the crosswalk: search, export, import, and where a case is routed"),
        (name = "geo", description = "Geography: locate a point, geocode an address, teach the gazetteer, district and street boundaries"),
        (name = "text", description = "Text intelligence: category suggestions and duplicate cases"),
        (name = "inbox", description = "Each person's to-do (待办): assigned and returned cases, due-soon and overdue, 督办单 waiting for a reply, answers to extension requests, suspensions; read and unread"),
        (name = "supervision", description = "Supervision orders and their replies, the board, reminders, listed supervision, linked cases and the watch list"),
        (name = "analytics", description = "The dashboard, rankings, the three rates, high-frequency problems and campaigns"),
        (name = "alleys", description = "背街小巷: the alley map (GeoJSON), an alley's page, the monthly ranking and the quarter's worst, the patrol board, the stewards' daily patrols and the streets' weekly checks"),
        (name = "evaluation", description = "The evaluation (测评): the indicator system, inspection points, rounds of field checks and their answers, scores and rankings, a district's health report"),
        (name = "questionnaires", description = "Questionnaires (问卷调查): forms from XLSForm, public links per district, responses from the public form, enumerators and files, the satisfaction index with its margin of error"),
        (name = "documents", description = "Documents officials read (简报, 通报, 督办单) as DOCX and PDF in the GB/T 9704 layout: preview, issue, list, download checked against the stored hash"),
        (name = "ledger", description = "The committee's yearly project ledger (重点工作项目台账): projects, the progress board, the year-end report and the workflow"),
    )
)]
pub struct ApiDoc;

/// The bearer token of `POST /api/v1/session`, required by every operation but signing in and
/// the public list of listed supervision.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// Describes the refusals every handler shares, said once here rather than on each handler, and
/// gives every refusal the error body's schema:
/// - 401 for every operation that needs the bearer token (the session extractor refuses first);
/// - 400 (malformed JSON), 413 (too large), 415 (not JSON) and 422 (an invalid field) for every
///   JSON request body;
/// - 400 for a query parameter that is unknown or malformed, or a path parameter that does not
///   parse; 404 for a path naming what does not exist or may not be seen;
/// - 422 for a query string holding a NUL or bytes that are not UTF-8 (refused before any
///   handler: `input::refuse_invalid_query`); 500 for a failure of the server's own.
pub fn describe_refusals(openapi: &mut utoipa::openapi::OpenApi) {
    let error = || {
        Content::new(Some(Ref::from_schema_name("ErrorBody")))
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            let parameters = operation.parameters.as_deref().unwrap_or_default();
            let has_query = parameters.iter().any(|p| p.parameter_in == ParameterIn::Query);
            let has_path = parameters.iter().any(|p| p.parameter_in == ParameterIn::Path);
            let mut refusals: Vec<(&str, &str)> = Vec::new();
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                refusals.push(("401", "no session: the bearer token is missing, unknown or expired"));
            }
            if operation.request_body.is_some() {
                refusals.extend([
                    ("400", "the body is not well-formed JSON"),
                    ("413", "the body is larger than the limit (64 KiB; 8 MiB for catalogue imports)"),
                    ("415", "the body is not sent as Content-Type: application/json"),
                    ("422", "a field is missing, unknown, of the wrong type or invalid (named in `error.field`)"),
                ]);
            }
            if has_query {
                refusals.push(("400", "an unknown or malformed query parameter"));
            }
            if has_path {
                refusals.push(("400", "a path parameter that does not parse"));
                refusals.push(("404", "not found, or not visible to this user"));
            }
            refusals.push(("422", "a query parameter holding a NUL or bytes that are not UTF-8 (named in `error.field`)"));
            refusals.push(("500", "the server failed to complete the request; it has been logged"));
            for (status, description) in refusals {
                operation.responses.responses.entry(status.to_owned()).or_insert_with(|| Response::new(description).into());
            }
            for (status, response) in operation.responses.responses.iter_mut() {
                if status.starts_with(['4', '5'])
                    && let RefOr::T(response) = response
                    && response.content.is_empty()
                {
                    response.content.insert("application/json".to_owned(), error());
                }
            }
        }
    }
}

/// Lets the schemas that other schemas extend (`allOf`, from `#[serde(flatten)]`) have more
/// properties: a part that forbids them (`additionalProperties: false`, from
/// `deny_unknown_fields`) would make every answer of the extending view invalid.
pub fn open_extended_schemas(openapi: &mut utoipa::openapi::OpenApi) {
    fn extended(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(parts) = map.get("allOf").and_then(|p| p.as_array()) {
                    for part in parts {
                        if let Some(name) = part.get("$ref").and_then(|r| r.as_str()).and_then(|r| r.strip_prefix("#/components/schemas/")) {
                            found.push(name.to_owned());
                        }
                    }
                }
                map.values().for_each(|v| extended(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| extended(v, found)),
            _ => {}
        }
    }
    let Some(components) = openapi.components.as_mut() else { return };
    let mut names = Vec::new();
    for schema in components.schemas.values() {
        extended(&serde_json::to_value(schema).unwrap_or_default(), &mut names);
    }
    for name in names {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&name) {
            object.additional_properties = None;
        }
    }
}

/// The document and its browsable page.
pub fn docs(openapi: utoipa::openapi::OpenApi) -> Router<Arc<AppState>> {
    SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", openapi).into()
}
