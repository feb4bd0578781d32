//! The catalogue, routing rules and crosswalk: search, export, import (validated whole, with a
//! dry run), and the routing explanation of a case.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridline_core::actor::Role;
use gridline_core::catalogue::{CATALOGUE_FILE, Catalogue, CatalogueEntry};
use gridline_core::crosswalk::{CROSSWALK_FILE, CrosswalkRow};
use gridline_core::reference::{ReferenceChanges, ReplacementFiles};
use gridline_core::routing::{ROUTING_FILE, Route, RoutingRule, UnitType};
use gridline_core::sla::TimeLimit;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::views::Items;
use crate::{ApiJson, AppState};

/// An entry as clients see it: its own fields plus what it inherits.
#[derive(Serialize, ToSchema)]
pub struct EntryView {
    #[serde(flatten)]
    entry: CatalogueEntry,
    version: u32,
    /// A leaf: cases are filed under it.
    leaf: bool,
    depth: usize,
    /// The top-level entry it belongs to.
    group: Option<String>,
    /// The names from the top down to this entry.
    path: Vec<String>,
    effective_time_limit: Option<TimeLimit>,
    effective_emergency_time_limit: Option<TimeLimit>,
    effective_unit_type: Option<String>,
    /// The name in pinyin, so that a search box can find it from a phone's keyboard.
    pinyin: NamePinyin,
}

/// A name's pinyin, computed by the server from the name (the `pinyin` crate's readings).
#[derive(Serialize, ToSchema)]
pub struct NamePinyin {
    /// By each character's first reading, without tones or spaces: `lajiqingli`.
    full: String,
    /// Per character, the first letters of its readings, the first reading's first: 行道树 is
    /// `["xh", "d", "s"]`, so `xds` and `hds` both find it.
    initials: Vec<String>,
}

fn entry_view(catalogue: &Catalogue, code: &str) -> Option<EntryView> {
    let entry = catalogue.get(code)?;
    let mut path: Vec<String> = catalogue.ancestors(code).map(|e| e.name.clone()).collect();
    path.reverse();
    Some(EntryView {
        version: entry.version,
        leaf: catalogue.is_leaf(code),
        depth: catalogue.depth(code),
        group: catalogue.group_of(code).map(|g| g.code.clone()),
        path,
        effective_time_limit: catalogue.time_limit(code, false),
        effective_emergency_time_limit: catalogue.time_limit(code, true),
        effective_unit_type: catalogue.unit_type(code).map(str::to_owned),
        pinyin: {
            let spelling = gridline_text::pinyin::spell(&entry.name);
            NamePinyin { full: spelling.full, initials: spelling.initials }
        },
        entry: entry.clone(),
    })
}

/// The catalogue in force, or the entries of a search.
#[derive(Serialize, ToSchema)]
pub struct EntryList {
    /// The revision of the reference files in force.
    revision: i64,
    total: usize,
    /// Best search matches first.
    items: Vec<EntryView>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Code prefix, name, English name or keyword, or the name's pinyin, in full or by the
    /// characters' initials (`laji`, `ljzyz`; at most 100 characters).
    q: Option<String>,
    /// Only fileable (leaf) entries.
    leaf: Option<bool>,
    /// Only the subtree of this entry.
    within: Option<String>,
}

/// `GET /api/v1/catalogue?q=&leaf=&within=`: the entries, best matches first when searching
/// (code prefix, then name, then keyword, then the name's pinyin, in full or by initials).
#[utoipa::path(get, path = "/catalogue", tag = "catalogue", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "the entries, each with what it inherits", body = EntryList),
        (status = 422, description = "a search longer than 100 characters, or an unknown `within`")))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<EntryList>, ApiError> {
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
    let q = query.q.as_deref().unwrap_or("");
    let mut found = catalogue.search(q);
    // Then the names the search's words spell in pinyin, as the pages' category boxes find them.
    let words = pinyin_words(q);
    if !words.is_empty() {
        let known: std::collections::HashSet<&str> = found.iter().map(|e| e.code.as_str()).collect();
        let spelt: Vec<&CatalogueEntry> = catalogue
            .iter()
            .filter(|e| !known.contains(e.code.as_str()))
            .filter(|e| {
                let spelling = gridline_text::pinyin::spell(&e.name);
                words.iter().all(|w| spells(&spelling, w))
            })
            .collect();
        found.extend(spelt);
    }
    let items: Vec<EntryView> = found
        .into_iter()
        .filter(|e| query.leaf.is_none_or(|leaf| catalogue.is_leaf(&e.code) == leaf))
        .filter(|e| query.within.as_deref().is_none_or(|w| catalogue.is_within(&e.code, w)))
        .filter_map(|e| entry_view(catalogue, &e.code))
        .collect();
    Ok(Json(EntryList { revision: state.reference_revision(), total: items.len(), items }))
}

/// The words of a search that may be pinyin: all of them ASCII letters and digits, lower-cased;
/// none when any word is not.
fn pinyin_words(q: &str) -> Vec<String> {
    let words: Vec<String> = q.split_whitespace().map(str::to_ascii_lowercase).collect();
    if words.iter().all(|w| w.chars().all(|c| c.is_ascii_alphanumeric())) { words } else { Vec::new() }
}

/// Whether `word` is part of the name's full pinyin (`laji`) or a run of its characters'
/// initials (`ljzyz`; a polyphone's character answers to each reading's letter), as the pages'
/// category box matches.
fn spells(spelling: &gridline_text::pinyin::Spelling, word: &str) -> bool {
    let letters: Vec<char> = word.chars().collect();
    spelling.full.contains(word)
        || spelling.initials.windows(letters.len()).any(|run| run.iter().zip(&letters).all(|(initials, c)| initials.contains(*c)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// The version a case was filed under; the entry in force when absent.
    version: Option<u32>,
}

/// One entry: in force, or a version a case was filed under.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum EntryAnswer {
    InForce(EntryInForce),
    Past(PastEntry),
}

#[derive(Serialize, ToSchema)]
pub struct EntryInForce {
    #[serde(flatten)]
    entry: EntryView,
    /// True.
    #[schema(schema_with = only_true)]
    in_force: bool,
    /// The codes of the entries right below it.
    children: Vec<String>,
}

/// A version of an entry that is no longer in force, as it was.
#[derive(Serialize, ToSchema)]
pub struct PastEntry {
    #[serde(flatten)]
    entry: CatalogueEntry,
    version: u32,
    /// False.
    #[schema(schema_with = only_false)]
    in_force: bool,
}

/// `in_force` of an entry in force: the one value `true`, so that the document tells the two
/// answers of `GET /catalogue/{code}` apart (each extends a schema that allows more properties).
fn only_true() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Boolean).enum_values(Some([true])).build()
}

/// `in_force` of a past version: the one value `false`.
fn only_false() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Boolean).enum_values(Some([false])).build()
}

/// `GET /api/v1/catalogue/{code}?version=N`: the entry in force, or the version a case was filed under.
#[utoipa::path(get, path = "/catalogue/{code}", tag = "catalogue", security(("bearer" = [])),
    params(("code" = String, Path, description = "catalogue code"), VersionQuery),
    responses((status = 200, description = "the entry in force with its children, or the version asked for (`in_force` false)", body = EntryAnswer),
        (status = 404, description = "no such entry, or not in that version")))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<VersionQuery>, QueryRejection>,
) -> Result<Json<EntryAnswer>, ApiError> {
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
            Ok(Json(EntryAnswer::Past(PastEntry { version: entry.version, entry, in_force: false })))
        }
        _ => {
            let entry = entry_view(&reference.catalogue, &code).ok_or_else(|| ApiError::NotFound(format!("no catalogue entry {code}")))?;
            let children = reference.catalogue.children(&code).map(|c| c.code.clone()).collect();
            Ok(Json(EntryAnswer::InForce(EntryInForce { entry, in_force: true, children })))
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
#[derive(Deserialize, ToSchema)]
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

/// What an import did, or would do.
#[derive(Serialize, ToSchema)]
pub struct Imported {
    dry_run: bool,
    /// The new revision; null in a dry run.
    revision: Option<i64>,
    /// Entries in the catalogue after the import.
    entries: usize,
    leaves: usize,
    changes: ReferenceChanges,
}

/// `POST /api/v1/catalogue/import?dry_run=true`: replaces the catalogue, rules and crosswalk
/// (administrators only). Invalid files answer 422 with every problem and change nothing.
#[utoipa::path(post, path = "/catalogue/import", tag = "catalogue", security(("bearer" = [])), params(ImportQuery),
    request_body(content = ImportBody, description = "`{catalogue?, routing?, crosswalk?, note?}`: the texts of the files to replace (up to 8 MiB together); those left out stay"),
    responses((status = 200, description = "what the import changed (or would change, in a dry run)", body = Imported), (status = 403, description = "administrators only"),
        (status = 413, description = "the files are larger than 8 MiB"),
        (status = 422, description = "no file given, or `invalid_files` with every problem in `error.problems`; nothing changed")))]
pub async fn import(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<ImportQuery>, QueryRejection>,
    ApiJson(body): ApiJson<ImportBody>,
) -> Result<Json<Imported>, ApiError> {
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
    Ok(Json(Imported {
        dry_run,
        revision: applied.revision,
        entries: applied.reference.catalogue.len(),
        leaves: applied.reference.catalogue.leaves().count(),
        changes: applied.changes,
    }))
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

/// Crosswalk rows with, per scheme, how many of its codes map to no entry.
#[derive(Serialize, ToSchema)]
pub struct CrosswalkView {
    schemes: Vec<SchemeCounts>,
    total: usize,
    items: Vec<CrosswalkRow>,
}

#[derive(Serialize, ToSchema)]
pub struct SchemeCounts {
    scheme: String,
    rows: usize,
    unmapped: usize,
}

/// `GET /api/v1/crosswalk?scheme=&unmapped=true`: source codes and the entries they map to.
#[utoipa::path(get, path = "/crosswalk", tag = "catalogue", security(("bearer" = [])), params(CrosswalkQuery),
    responses((status = 200, description = "the rows and, per scheme, the count of unmapped codes", body = CrosswalkView),
        (status = 422, description = "an unknown scheme")))]
pub async fn crosswalk(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<CrosswalkQuery>, QueryRejection>,
) -> Result<Json<CrosswalkView>, ApiError> {
    let Query(query) = query?;
    let reference = state.reference();
    let crosswalk = &reference.crosswalk;
    if let Some(scheme) = &query.scheme
        && !crosswalk.schemes().contains(&scheme.as_str())
    {
        return Err(ApiError::invalid("scheme", format!("unknown scheme {scheme:?}; one of {}", crosswalk.schemes().join(", "))));
    }
    let items: Vec<CrosswalkRow> = crosswalk
        .rows()
        .iter()
        .filter(|r| query.scheme.as_deref().is_none_or(|s| r.scheme == s))
        .filter(|r| query.unmapped.is_none_or(|u| r.entry.is_none() == u))
        .cloned()
        .collect();
    let schemes = crosswalk
        .schemes()
        .into_iter()
        .map(|s| SchemeCounts {
            rows: crosswalk.rows().iter().filter(|r| r.scheme == s).count(),
            unmapped: crosswalk.unmapped(Some(s)).count(),
            scheme: s.to_owned(),
        })
        .collect();
    Ok(Json(CrosswalkView { schemes, total: items.len(), items }))
}

/// `GET /api/v1/unit-types`
#[utoipa::path(get, path = "/unit-types", tag = "catalogue", security(("bearer" = [])),
    responses((status = 200, description = "the unit types the routing rules name", body = Items<UnitType>)))]
pub async fn unit_types(State(state): State<Arc<AppState>>, _who: SignedIn) -> Json<Items<UnitType>> {
    Json(Items { items: state.reference().routing.unit_types().to_vec() })
}

/// `GET /api/v1/routing-rules`
#[utoipa::path(get, path = "/routing-rules", tag = "catalogue", security(("bearer" = [])),
    responses((status = 200, description = "the routing rules in force", body = Items<RoutingRule>)))]
pub async fn rules(State(state): State<Arc<AppState>>, _who: SignedIn) -> Json<Items<RoutingRule>> {
    Json(Items { items: state.reference().routing.rules().to_vec() })
}

/// `GET /api/v1/cases/{id}/route`: which unit the rules choose for the case, and why.
#[utoipa::path(get, path = "/cases/{id}/route", tag = "catalogue", security(("bearer" = [])), params(("id" = i64, Path, description = "case id")),
    responses((status = 200, description = "the unit chosen, the rule and the reason", body = Route),
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

#[derive(Deserialize, ToSchema)]
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
    request_body(content = RouteBody, description = "`{category, region?, at?}`: `at` (RFC 3339) is when the case happens, now when absent"),
    responses((status = 200, description = "the unit chosen, the rule and the reason", body = Route),
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
