//! Cases: intake, the list, one case with its history, and the workflow actions.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridline_core::case::{CaseId, CaseStatus, Channel};
use gridline_core::calendar::WorkCalendar;
use gridline_app::intake::NewCase;
use gridline_core::message::Reason;
use gridline_core::workflow::Command;
use gridline_store::CaseFilter;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::views::CaseView;
use crate::{ApiJson, AppState};

pub(crate) fn parse_id(path: Result<Path<String>, PathRejection>) -> Result<CaseId, ApiError> {
    Ok(CaseId::new(path_id("case", path)?)?)
}

/// The id in a path (`/cases/{id}`, `/supervision/orders/{id}`, …): a positive number; `what`
/// names it in the 400 otherwise.
pub(crate) fn path_id(what: &str, path: Result<Path<String>, PathRejection>) -> Result<i64, ApiError> {
    let Path(id) = path?;
    id.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::BadRequest(format!("{what} id must be a positive number, not {id:?}")))
}

/// `POST /api/v1/cases`: files a case; the same channel and external id again returns the
/// existing case with 200 instead of 201 and creates nothing.
#[utoipa::path(post, path = "/cases", tag = "cases", security(("bearer" = [])),
    request_body(content = NewCase, description = "`{channel, external_id?, category?, region?, title?, description, address?, location?: {lat, lon}, reporter?: {name?, phone?}, photos?}`"),
    responses((status = 201, description = "the new case", body = CaseView), (status = 200, description = "the case already filed under this channel and external id", body = CaseView),
        (status = 403, description = "the role may not file through this channel"), (status = 409, description = "the external id is someone else's"), (status = 422, description = "an invalid field, named in `error.field`")))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(new_case): ApiJson<NewCase>,
) -> Result<(StatusCode, [(header::HeaderName, &'static str); 1], String), ApiError> {
    let intake = new_case.validate(&who.actor, &state.reference(), &state.regions)?;
    let now = Timestamp::now();
    let created = state.file_case(intake, &who.actor, now).await?;
    if !created.created && !state.visibility(&who.actor).admits(&created.case) {
        // Someone else's case holds this ticket number: say so without showing it.
        return Err(ApiError::Conflict(format!(
            "external id {:?} of the {} channel is already used by a case you cannot see",
            created.case.intake.external_id.as_deref().unwrap_or_default(),
            created.case.intake.channel.as_str()
        )));
    }
    let status = if created.created { StatusCode::CREATED } else { StatusCode::OK };
    let body = state.case_json(&created.case, &who.actor, None, now);
    Ok((status, [(header::CONTENT_TYPE, "application/json")], body))
}

/// `GET /api/v1/cases/{id}`: the case with its events.
#[utoipa::path(get, path = "/cases/{id}", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path, description = "case id")),
    responses((status = 200, description = "the case with its events", body = CaseView), (status = 404, description = "no such case, or not visible to you")))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = parse_id(path)?;
    let case = state.visible_case(id, &who.actor).await?;
    let events = state.store.cases().events(id).await?;
    // The view borrows the case: it is serialised here, as the `CaseView` documented above.
    Ok(Json(state.case_view(&case, &who.actor, Some(&events), Timestamp::now())).into_response())
}

/// `POST /api/v1/cases/{id}/actions`: one workflow step, e.g. `{"action": "dispatch", "unit": "…"}`.
#[utoipa::path(post, path = "/cases/{id}/actions", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path, description = "case id")),
    request_body(content = Command, description = "`{\"action\": register|reject|merge|dispatch|accept|return|handle|verify|callback|request_extension|approve_extension|suspend|resume|supervise, …}`; see docs/api.md"),
    responses((status = 200, description = "the case after the action, with its events", body = CaseView), (status = 403, description = "the role may not take this action"),
        (status = 404, description = "no such case"), (status = 409, description = "not allowed in the case's state"), (status = 422, description = "an invalid field")))]
pub async fn act(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    ApiJson(command): ApiJson<Command>,
) -> Result<Response, ApiError> {
    let id = parse_id(path)?;
    let actor = &who.actor;
    let case = state.act(id, actor, &command).await?;
    let events = state.store.cases().events(id).await?;
    Ok(Json(state.case_view(&case, actor, Some(&events), Timestamp::now())).into_response())
}

/// Query of `GET /api/v1/cases`. All optional; unknown names are refused.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// received, registered, rejected, merged, dispatched, returned, accepted, handled, closed, called_back
    status: Option<String>,
    /// hotline, grid, inspection, alley_patrol, public, import
    channel: Option<String>,
    /// A catalogue code.
    category: Option<String>,
    /// A region code: the region and everything inside it.
    region: Option<String>,
    /// A unit code.
    unit: Option<String>,
    /// true: only cases past their deadline; false: only the others.
    #[param(value_type = Option<bool>)]
    overdue: Option<String>,
    /// Received on or after: a Beijing date (2024-10-08) or an RFC 3339 time.
    from: Option<String>,
    /// Received before the end of this Beijing date, or before this RFC 3339 time.
    to: Option<String>,
    /// Text in the title, description or address (at most 100 characters).
    q: Option<String>,
    /// The reporter's phone number (roles that see phone numbers only).
    phone: Option<String>,
    /// From 1.
    #[param(value_type = Option<u32>)]
    page: Option<String>,
    /// 1 to 200 (default 20).
    #[param(value_type = Option<u32>)]
    page_size: Option<String>,
}

/// The filter of the case list (and of the export) from its query, checked.
pub(crate) fn case_filter(
    state: &AppState,
    who: &SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
    now: Timestamp,
) -> Result<CaseFilter, ApiError> {
    let Query(query) = query?;
    let mut filter = CaseFilter::new(state.visibility(&who.actor), now);
    filter.status = query
        .status
        .map(|s| CaseStatus::parse(&s).ok_or_else(|| unknown("status", &s, CaseStatus::ALL.map(|v| v.as_str()))))
        .transpose()?;
    filter.channel = query
        .channel
        .map(|c| Channel::parse(&c).ok_or_else(|| unknown("channel", &c, Channel::ALL.map(|v| v.as_str()))))
        .transpose()?;
    if let Some(category) = query.category {
        if state.reference().catalogue.get(&category).is_none() {
            return Err(ApiError::Refused(Reason::new("unknown_category").on("category").with("category", &category)));
        }
        filter.category = Some(category);
    }
    if let Some(region) = query.region {
        let found = state.regions.get(&region).ok_or_else(|| ApiError::Refused(Reason::new("unknown_region").on("region").with("region", &region)))?;
        filter.region_prefix = Some(found.code_prefix().to_owned());
    }
    if let Some(unit) = query.unit {
        if state.unit(&unit).is_none() {
            return Err(ApiError::Refused(Reason::new("unknown_unit").on("unit").with("unit", &unit)));
        }
        filter.unit = Some(unit);
    }
    filter.overdue = query.overdue.map(|o| parse_bool("overdue", &o)).transpose()?;
    filter.received_from = query.from.map(|f| parse_time("from", &f, false)).transpose()?;
    filter.received_to = query.to.map(|t| parse_time("to", &t, true)).transpose()?;
    filter.text = query.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    if let Some(q) = &filter.text
        && q.chars().count() > 100
    {
        return Err(ApiError::Refused(Reason::new("too_long").on("q").with("max", 100)));
    }
    if let Some(phone) = query.phone {
        if !who.actor.role.sees_phone_numbers() {
            return Err(ApiError::Forbidden(format!("role {} may not search by phone number", who.actor.role.as_str())));
        }
        filter.reporter_phone = Some(phone);
    }
    filter.page = query.page.map(|p| parse_count("page", &p, 1, 1_000_000)).transpose()?.unwrap_or(1);
    filter.page_size = query.page_size.map(|p| parse_count("page_size", &p, 1, 200)).transpose()?.unwrap_or(20);
    Ok(filter)
}

/// A page of cases.
#[derive(Serialize, ToSchema)]
pub struct CaseList<'a> {
    items: Vec<CaseView<'a>>,
    /// Every case the filters admit, on all pages.
    total: i64,
    page: u32,
    page_size: u32,
}

/// `GET /api/v1/cases?status=&channel=&category=&region=&unit=&overdue=&from=&to=&q=&page=&page_size=`
#[utoipa::path(get, path = "/cases", tag = "cases", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "a page of the cases the filters admit, newest first", body = CaseList),
        (status = 403, description = "`phone` given by a role that may not search by phone number"), (status = 422, description = "an invalid filter")))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let now = Timestamp::now();
    let filter = case_filter(&state, &who, query, now)?;
    let page = state.store.cases().list(&filter).await?;
    let items = page.cases.iter().map(|c| state.case_view(c, &who.actor, None, now)).collect();
    // Serialised here, where the cases the views borrow from live.
    Ok(Json(CaseList { items, total: page.total, page: page.page, page_size: page.page_size }).into_response())
}

fn unknown<const N: usize>(field: &'static str, value: &str, known: [&str; N]) -> ApiError {
    ApiError::Refused(Reason::new("unknown_value").on(field).with("value", value).with("known", known.join(", ")))
}

pub(crate) fn parse_bool(field: &str, text: &str) -> Result<bool, ApiError> {
    match text {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::invalid(field, format!("{field} is true or false, not {text:?}"))),
    }
}

fn parse_count(field: &str, text: &str, min: u32, max: u32) -> Result<u32, ApiError> {
    text.parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| ApiError::invalid(field, format!("{field} is a whole number from {min} to {max}, not {text:?}")))
}

/// A date (`2024-10-08`, Beijing time; `to` then includes that whole day) or a full timestamp.
pub(crate) fn parse_time(field: &'static str, text: &str, end_of_day: bool) -> Result<Timestamp, ApiError> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    let bad = || ApiError::Refused(Reason::new("bad_date").on(field).with("value", text));
    let date: jiff::civil::Date = text.parse().map_err(|_| bad())?;
    let date = if end_of_day { date.tomorrow().map_err(|_| bad())? } else { date };
    date.to_zoned(WorkCalendar::china().time_zone().clone()).map(|z| z.timestamp()).map_err(|_| bad())
}
