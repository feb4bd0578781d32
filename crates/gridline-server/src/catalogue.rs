//! The catalogue, routing rules and crosswalk: search, export, import (validated whole, with a
//! dry run), and the routing explanation of a case.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridline_core::actor::Role;
use gridline_core::catalogue::{CATALOGUE_FILE, Catalogue};
use gridline_core::crosswalk::CROSSWALK_FILE;
use gridline_core::reference::ReplacementFiles;
use gridline_core::routing::{ROUTING_FILE, Route};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::{ApiJson, AppState};

/// An entry as clients see it: its own fields plus what it inherits.
pub fn entry_json(catalogue: &Catalogue, code: &str) -> Option<Value> {
    let entry = catalogue.get(code)?;
    let mut value = serde_json::to_value(entry).expect("an entry serialises");
    value["version"] = json!(entry.version);
    value["leaf"] = json!(catalogue.is_leaf(code));
    value["depth"] = json!(catalogue.depth(code));
    value["group"] = json!(catalogue.group_of(code).map(|g| &g.code));
    value["path"] = json!(catalogue.ancestors(code).map(|e| e.name.as_str()).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>());
    value["effective_time_limit"] = json!(catalogue.time_limit(code, false));
    value["effective_emergency_time_limit"] = json!(catalogue.time_limit(code, true));
    value["effective_unit_type"] = json!(catalogue.unit_type(code));
    Some(value)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Code prefix, name, English name or keyword (at most 100 characters).
    q: Option<String>,
    /// Only fileable (leaf) entries.
    leaf: Option<bool>,
    /// Only the subtree of this entry.
    within: Option<String>,
}

/// `GET /api/v1/catalogue?q=&leaf=&within=`: the entries, best matches first when searching.
#[utoipa::path(get, path = "/catalogue", tag = "catalogue", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "`{revision, total, items}`: each entry with what it inherits", body = serde_json::Value),
        (status = 422, description = "a search longer than 100 characters, or an unknown `within`")))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let reference = state.reference();
    let catalogue = &reference.catalogue;
    if let Some(q) = &query.q
        && q.chars().count() > 100
    {
        return Err(ApiError::invalid("q", "the search text is at most 100 characters"));
    }
    if let Some(within) = &query.within
        && catalogue.get(within).is_none()
    {
        return Err(ApiError::invalid("within", format!("unknown catalogue entry {within:?}")));
    }
    let items: Vec<Value> = catalogue
        .search(query.q.as_deref().unwrap_or(""))
        .into_iter()
        .filter(|e| query.leaf.is_none_or(|leaf| catalogue.is_leaf(&e.code) == leaf))
        .filter(|e| query.within.as_deref().is_none_or(|w| catalogue.is_within(&e.code, w)))
        .filter_map(|e| entry_json(catalogue, &e.code))
        .collect();
    Ok(Json(json!({ "revision": state.reference_revision(), "total": items.len(), "items": items })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// The version a case was filed under; the entry in force when absent.
    version: Option<u32>,
}

/// `GET /api/v1/catalogue/{code}?version=N`: the entry in force, or the version a case was filed under.
#[utoipa::path(get, path = "/catalogue/{code}", tag = "catalogue", security(("bearer" = [])),
    params(("code" = String, Path, description = "catalogue code"), VersionQuery),
    responses((status = 200, description = "the entry (`in_force`; with `children` when in force)", body = serde_json::Value),
        (status = 404, description = "no such entry, or not in that version")))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<VersionQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(code) = path?;
    let Query(query) = query?;
    let reference = state.reference();
    let current = reference.catalogue.get(&code);
    match query.version {
        Some(version) if current.is_none_or(|e| e.version != version) => {
            let entry = state
                .store
                .reference().entry_version(&code, version)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("catalogue entry {code} has no version {version}")))?;
            let mut value = serde_json::to_value(&entry).expect("an entry serialises");
            value["version"] = json!(entry.version);
            value["in_force"] = json!(false);
            Ok(Json(value))
        }
        _ => {
            let mut value = entry_json(&reference.catalogue, &code)
                .ok_or_else(|| ApiError::NotFound(format!("no catalogue entry {code}")))?;
            value["in_force"] = json!(true);
            value["children"] = json!(reference.catalogue.children(&code).map(|c| &c.code).collect::<Vec<_>>());
            Ok(Json(value))
        }
    }
}

/// `GET /api/v1/catalogue/files/{catalogue.toml|routing.toml|crosswalk.csv}`: the file in force,
/// as an administrator edits and imports it.
#[utoipa::path(get, path = "/catalogue/files/{file}", tag = "catalogue", security(("bearer" = [])),
    params(("file" = String, Path, description = "catalogue.toml, routing.toml or crosswalk.csv")),
    responses((status = 200, description = "the file in force, as an attachment", content((String = "application/toml"), (String = "text/csv"))),
        (status = 404, description = "no such file")))]
pub async fn export(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(file) = path?;
    let files = state.reference().files();
    let (text, content_type) = match file.as_str() {
        CATALOGUE_FILE => (files.catalogue, "application/toml; charset=utf-8"),
        ROUTING_FILE => (files.routing, "application/toml; charset=utf-8"),
        CROSSWALK_FILE => (files.crosswalk, "text/csv; charset=utf-8"),
        other => {
            return Err(ApiError::NotFound(format!(
                "no file {other:?}; the files are {CATALOGUE_FILE}, {ROUTING_FILE} and {CROSSWALK_FILE}"
            )));
        }
    };
    let disposition = format!("attachment; filename=\"{file}\"");
    Ok(([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], text).into_response())
}

/// The body of an import: any of the three files (those left out stay as they are).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    catalogue: Option<String>,
    routing: Option<String>,
    crosswalk: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// true: check the files and report the changes without applying them.
    dry_run: Option<bool>,
}

/// `POST /api/v1/catalogue/import?dry_run=true`: replaces the catalogue, rules and crosswalk
/// (administrators only). Invalid files answer 422 with every problem and change nothing.
#[utoipa::path(post, path = "/catalogue/import", tag = "catalogue", security(("bearer" = [])), params(ImportQuery),
    request_body(content = serde_json::Value, description = "`{catalogue?, routing?, crosswalk?, note?}`: the texts of the files to replace (up to 8 MiB together); those left out stay"),
    responses((status = 200, description = "`{dry_run, revision, entries, leaves, changes}`", body = serde_json::Value), (status = 403, description = "administrators only"),
        (status = 413, description = "the files are larger than 8 MiB"),
        (status = 422, description = "no file given, or `invalid_files` with every problem in `error.problems`; nothing changed")))]
pub async fn import(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<ImportQuery>, QueryRejection>,
    ApiJson(body): ApiJson<ImportBody>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    if who.actor.role != Role::Admin {
        return Err(ApiError::Forbidden("only administrators change the catalogue".into()));
    }
    let replacements = ReplacementFiles { catalogue: body.catalogue, routing: body.routing, crosswalk: body.crosswalk };
    if replacements.is_empty() {
        return Err(ApiError::invalid("catalogue", "give at least one of catalogue, routing and crosswalk"));
    }
    let note = body.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let dry_run = query.dry_run.unwrap_or(false);
    let applied = state.apply_reference(replacements, &who.actor.username, note, dry_run).await?;
    Ok(Json(json!({
        "dry_run": dry_run,
        "revision": applied.revision,
        "entries": applied.reference.catalogue.len(),
        "leaves": applied.reference.catalogue.leaves().count(),
        "changes": applied.changes,
    })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CrosswalkQuery {
    /// Only the rows of this source scheme.
    scheme: Option<String>,
    /// true: only codes that map to no entry; false: only those that do.
    unmapped: Option<bool>,
}

/// `GET /api/v1/crosswalk?scheme=&unmapped=true`: source codes and the entries they map to.
#[utoipa::path(get, path = "/crosswalk", tag = "catalogue", security(("bearer" = [])), params(CrosswalkQuery),
    responses((status = 200, description = "`{schemes, total, items}`: the rows and, per scheme, the count of unmapped codes", body = serde_json::Value),
        (status = 422, description = "an unknown scheme")))]
pub async fn crosswalk(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<CrosswalkQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let reference = state.reference();
    let crosswalk = &reference.crosswalk;
    if let Some(scheme) = &query.scheme
        && !crosswalk.schemes().contains(&scheme.as_str())
    {
        return Err(ApiError::invalid("scheme", format!("unknown scheme {scheme:?}; one of {}", crosswalk.schemes().join(", "))));
    }
    let items: Vec<_> = crosswalk
        .rows()
        .iter()
        .filter(|r| query.scheme.as_deref().is_none_or(|s| r.scheme == s))
        .filter(|r| query.unmapped.is_none_or(|u| r.entry.is_none() == u))
        .collect();
    let schemes: Vec<Value> = crosswalk
        .schemes()
        .into_iter()
        .map(|s| {
            let rows = crosswalk.rows().iter().filter(|r| r.scheme == s).count();
            json!({ "scheme": s, "rows": rows, "unmapped": crosswalk.unmapped(Some(s)).count() })
        })
        .collect();
    Ok(Json(json!({ "schemes": schemes, "total": items.len(), "items": items })))
}

/// `GET /api/v1/unit-types`
#[utoipa::path(get, path = "/unit-types", tag = "catalogue", security(("bearer" = [])),
    responses((status = 200, description = "`{items}`: the unit types the routing rules name", body = serde_json::Value)))]
pub async fn unit_types(State(state): State<Arc<AppState>>, _who: SignedIn) -> Json<Value> {
    Json(json!({ "items": state.reference().routing.unit_types() }))
}

/// `GET /api/v1/routing-rules`
#[utoipa::path(get, path = "/routing-rules", tag = "catalogue", security(("bearer" = [])),
    responses((status = 200, description = "`{items}`: the routing rules in force", body = serde_json::Value)))]
pub async fn rules(State(state): State<Arc<AppState>>, _who: SignedIn) -> Json<Value> {
    Json(json!({ "items": state.reference().routing.rules() }))
}

/// `GET /api/v1/cases/{id}/route`: which unit the rules choose for the case, and why.
#[utoipa::path(get, path = "/cases/{id}/route", tag = "catalogue", security(("bearer" = [])), params(("id" = i64, Path, description = "case id")),
    responses((status = 200, description = "the unit chosen, the rule and the reason", body = serde_json::Value),
        (status = 404, description = "no such case, or not visible to you"), (status = 409, description = "the case has no category yet")))]
pub async fn case_route(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Route>, ApiError> {
    let id = crate::cases::parse_id(path)?;
    let case = state.visible_case(id, &who.actor).await?;
    state
        .route_of(&case, Timestamp::now())
        .map(Json)
        .ok_or_else(|| ApiError::Conflict(format!("case {id} has no category yet: register it with one to route it")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteBody {
    category: String,
    region: Option<String>,
    /// When the case happens (RFC 3339); now when absent.
    at: Option<Timestamp>,
}

/// `POST /api/v1/route`: where a case of this category and region would go (for the intake form
/// and for checking rules before importing them).
#[utoipa::path(post, path = "/route", tag = "catalogue", security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "`{category, region?, at?}`: `at` (RFC 3339) is when the case happens, now when absent"),
    responses((status = 200, description = "the unit chosen, the rule and the reason", body = serde_json::Value),
        (status = 422, description = "an unknown category or region")))]
pub async fn route(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    ApiJson(body): ApiJson<RouteBody>,
) -> Result<(StatusCode, Json<Route>), ApiError> {
    let reference = state.reference();
    if reference.catalogue.get(&body.category).is_none() {
        return Err(ApiError::invalid("category", format!("unknown category {:?}", body.category)));
    }
    if let Some(region) = &body.region {
        gridline_core::workflow::check_region(&state.regions, region)?;
    }
    let at = body.at.unwrap_or_else(Timestamp::now);
    Ok((StatusCode::OK, Json(state.route_for(&body.category, body.region.as_deref(), at))))
}
