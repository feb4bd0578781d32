//! Service requests: filing (`POST requests`), reading (`GET requests`, `requests/{id}`,
//! `tokens/{token}`) and following (`servicerequestupdates`, mySociety's extension).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridline_core::actor::Actor;
use gridline_core::case::{Case, CaseId, CaseStatus, Change, Channel, GeoPoint, Reporter};
use gridline_core::ids::{CategoryCode, RegionCode};
use gridline_app::intake::NewCase;
use jiff::{SignedDuration, Timestamp};
use gridline_store::PublicQuery;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::attributes;
use super::services::{discovery, services};
use super::{Format, Open311Error, check_jurisdiction, form_pairs, path_file, query_pairs, respond, single};
use crate::AppState;
use crate::views::local_time;

/// The specification's defaults for the request list: the last 90 days, at most 1000 requests.
const DEFAULT_SPAN_DAYS: i64 = 90;
const MAX_PAGE_SIZE: u32 = 1000;
/// Tokens are the external ids of the cases Open311 files; the prefix keeps other channels'
/// ticket numbers out of reach of `tokens/{token}`.
const TOKEN_PREFIX: &str = "o311-";
const MAX_MEDIA_URL_BYTES: usize = 1000;

/// `GET /open311/v2/{discovery|services|requests|servicerequestupdates}.{format}`
pub async fn top_get(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    query: RawQuery,
) -> Response {
    let (name, format) = match path_file(path) {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };
    let answer = async {
        let pairs = query_pairs(query, format)?;
        match name.as_str() {
            "discovery" => Ok(discovery(&state, format)),
            "services" => services(&state, format, &pairs),
            "requests" => list(&state, format, &pairs).await,
            "servicerequestupdates" => updates(&state, format, &pairs).await,
            _ => Err(Open311Error::new(StatusCode::NOT_FOUND, format!("no such Open311 resource {name:?}"))),
        }
    };
    answer.await.unwrap_or_else(|e| e.in_format(format).into_response())
}

/// `POST /open311/v2/requests.{format}` with a form-encoded body.
pub async fn top_post(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (name, format) = match path_file(path) {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };
    let answer = async {
        if name != "requests" {
            return Err(Open311Error::new(StatusCode::METHOD_NOT_ALLOWED, format!("{name} cannot be posted to; post to requests")));
        }
        let form_encoded = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        if !form_encoded {
            return Err(Open311Error::bad_request("send the request as application/x-www-form-urlencoded"));
        }
        let body = body.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Open311Error::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is larger than {} KiB", crate::BODY_LIMIT_BYTES / 1024))
            } else {
                Open311Error::bad_request(e.body_text())
            }
        })?;
        let pairs = form_pairs(&body)?;
        create(&state, format, &pairs).await
    };
    answer.await.unwrap_or_else(|e| e.in_format(format).into_response())
}

fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The actor and channel an API key files as.
async fn key_actor(state: &AppState, pairs: &[(String, String)]) -> Result<(Actor, Channel), Open311Error> {
    let key = single(pairs, "api_key")?
        .filter(|k| !k.is_empty())
        .ok_or_else(|| Open311Error::new(StatusCode::FORBIDDEN, "api_key is required to file a request"))?;
    if key.len() > 200 {
        return Err(Open311Error::new(StatusCode::FORBIDDEN, "api_key is not valid"));
    }
    let (record, user) = state
        .store
        .api_keys().by_hash(&key_hash(key))
        .await?
        .ok_or_else(|| Open311Error::new(StatusCode::FORBIDDEN, "api_key is not valid or has been revoked"))?;
    Ok((user.actor(), record.channel))
}

/// An optional, non-empty, trimmed single field.
fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, Open311Error> {
    Ok(single(pairs, name)?.map(str::trim).filter(|v| !v.is_empty()))
}

fn coordinate(pairs: &[(String, String)], name: &str) -> Result<Option<f64>, Open311Error> {
    field(pairs, name)?
        .map(|v| v.parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| Open311Error::bad_request(format!("{name} is a number, not {v:?}"))))
        .transpose()
}

/// A media URL is a web address the client already published; nothing else is taken.
fn check_media_url(url: &str) -> Result<(), Open311Error> {
    let ok = url.len() <= MAX_MEDIA_URL_BYTES
        && (url.starts_with("https://") || url.starts_with("http://"))
        && url.split_once("://").is_some_and(|(_, rest)| !rest.is_empty())
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(()) } else { Err(Open311Error::bad_request(format!("media_url is an http(s) URL of at most {MAX_MEDIA_URL_BYTES} bytes"))) }
}

async fn create(state: &AppState, format: Format, pairs: &[(String, String)]) -> Result<Response, Open311Error> {
    check_jurisdiction(state, pairs)?;
    let (actor, channel) = key_actor(state, pairs).await?;
    let code = field(pairs, "service_code")?.ok_or_else(|| Open311Error::bad_request("service_code is required"))?;
    let reference = state.reference();
    let catalogue = &reference.catalogue;
    let entry = catalogue
        .get(code)
        .filter(|e| catalogue.is_leaf(&e.code))
        .ok_or_else(|| Open311Error::bad_request(format!("service_code {code:?} is not a service of this server; see services.json")))?;
    let lat = coordinate(pairs, "lat")?;
    let long = coordinate(pairs, "long")?;
    let location = match (lat, long) {
        (Some(lat), Some(lon)) if !gridline_app::geo::inside_city(GeoPoint { lat, lon }) => {
            return Err(Open311Error::bad_request(format!(
                "lat {lat} long {lon} (WGS-84) is outside the city this server answers for"
            )));
        }
        (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
        (None, None) => None,
        _ => return Err(Open311Error::bad_request("lat and long are given together")),
    };
    let address = field(pairs, "address_string")?;
    let address_id = field(pairs, "address_id")?;
    if location.is_none() && address.is_none() && address_id.is_none() {
        return Err(Open311Error::bad_request("a location is required: lat and long, address_string or address_id"));
    }
    // address_id is a region code of this server's region tree (see /api/v1/regions); without
    // it, the intake places the request from its point or address as it places every case.
    let region = match address_id {
        Some(id) => match state.regions.get(id).map(|region| RegionCode::parse(&region.code)) {
            Some(Ok(code)) => Some(code),
            Some(Err(_)) | None => return Err(Open311Error::bad_request(format!("address_id {id:?} is not a region code of this server"))),
        },
        None => None,
    };
    let answers = attributes::collect(pairs).map_err(Open311Error::bad_request)?;
    let attribute_lines = attributes::check(entry, &answers).map_err(Open311Error::bad_request)?;
    let text = field(pairs, "description")?.unwrap_or(&entry.name);
    if text.chars().count() > 4000 {
        return Err(Open311Error::bad_request("description is longer than 4000 characters"));
    }
    let description = if attribute_lines.is_empty() {
        text.to_owned()
    } else {
        format!("{text}\n【补充信息】{}", attribute_lines.join("；"))
    };
    let media = field(pairs, "media_url")?;
    if let Some(url) = media {
        check_media_url(url)?;
    }
    let name = [field(pairs, "last_name")?, field(pairs, "first_name")?].into_iter().flatten().collect::<Vec<_>>().concat();
    let phone = field(pairs, "phone")?;
    let reporter = (!name.is_empty() || phone.is_some())
        .then(|| Reporter { name: (!name.is_empty()).then_some(name), phone: phone.map(str::to_owned) });
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(rand::random::<[u8; 16]>()));
    let submission = NewCase {
        channel: channel.as_str().to_owned(),
        external_id: Some(token.clone()),
        category: Some(CategoryCode::parse(&entry.code).map_err(|e| Open311Error::bad_request(e.to_string()))?),
        source: None,
        emergency: false,
        region,
        title: None,
        description,
        address: address.map(str::to_owned),
        location,
        reporter,
        photos: media.map(|m| vec![m.to_owned()]).unwrap_or_default(),
    };
    let intake = submission.validate(&actor, &reference, &state.regions)?;
    let now = Timestamp::now();
    let created = state.file_case(intake, &actor, now).await?;
    tracing::info!(case = created.case.id.get(), key_user = %actor.username, "Open311 request filed");
    let notice = service_notice(state, &created.case);
    let body = json!([{
        "service_request_id": created.case.id.to_string(),
        "token": token,
        "service_notice": notice,
        "account_id": null,
    }]);
    Ok(respond(format, StatusCode::OK, "service_requests", &body))
}

/// The promise of the service: its time limit from the catalogue.
fn service_notice(state: &AppState, case: &Case) -> Option<String> {
    let code = case.category.as_deref()?;
    state.reference().catalogue.time_limit(code, case.intake.emergency).map(|limit| format!("处置时限 {limit}"))
}

/// mySociety's detailed statuses, which Open311 clients that follow progress understand.
fn detailed_status(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::Received => "OPEN",
        CaseStatus::Registered => "INVESTIGATING",
        CaseStatus::Rejected => "NO_FURTHER_ACTION",
        CaseStatus::Merged => "DUPLICATE",
        CaseStatus::Dispatched => "ACTION_SCHEDULED",
        CaseStatus::Returned => "INTERNAL_REFERRAL",
        CaseStatus::Accepted | CaseStatus::Handled => "IN_PROGRESS",
        CaseStatus::Closed => "FIXED",
        CaseStatus::CalledBack => "CLOSED",
    }
}

/// The detailed status an event left its case in. Extensions, suspensions and supervision only
/// happen while a unit works on the case.
fn status_after(change: &Change) -> &'static str {
    match change {
        Change::Receive(_) => "OPEN",
        Change::Register { .. } => "INVESTIGATING",
        Change::Reject { .. } => "NO_FURTHER_ACTION",
        Change::Merge { .. } => "DUPLICATE",
        Change::Dispatch { .. } => "ACTION_SCHEDULED",
        Change::Return { .. } => "INTERNAL_REFERRAL",
        Change::Verify { passed: true, .. } => "FIXED",
        Change::Callback { .. } => "CLOSED",
        Change::Accept { .. }
        | Change::Handle { .. }
        | Change::Verify { passed: false, .. }
        | Change::RequestExtension { .. }
        | Change::ApproveExtension { .. }
        | Change::Suspend { .. }
        | Change::Resume { .. }
        | Change::Supervise { .. } => "IN_PROGRESS",
    }
}

/// What the public is told about a step: the unit's feedback and a refusal's reason are the
/// citizen's business; internal notes (returns, supervision, extensions) are not shown.
fn public_note(change: &Change, unit_name: Option<&str>) -> String {
    let unit = unit_name.unwrap_or("承办单位");
    match change {
        Change::Receive(_) => "已受理".to_owned(),
        Change::Register { .. } => "已立案".to_owned(),
        Change::Reject { reason } => format!("不予立案：{reason}"),
        Change::Merge { into, .. } => format!("与工单 {into} 为同一问题，已并案办理"),
        Change::Dispatch { .. } => format!("已派遣至{unit}"),
        Change::Accept { .. } => format!("{unit}已签收，正在处置"),
        Change::Return { .. } => "正在重新派遣".to_owned(),
        Change::Handle { feedback, .. } => format!("处置反馈：{feedback}"),
        Change::Verify { passed: true, .. } => "经核查已整改到位，已结案".to_owned(),
        Change::Verify { passed: false, .. } => "经核查尚未整改到位，继续处置".to_owned(),
        Change::Callback { .. } => "已回访".to_owned(),
        Change::RequestExtension { .. } | Change::ApproveExtension { .. } => "处置中".to_owned(),
        Change::Suspend { .. } => "暂停办理".to_owned(),
        Change::Resume { .. } => "恢复办理".to_owned(),
        Change::Supervise { .. } => "已督办".to_owned(),
    }
}

/// The status notes of a case, from where the workflow stands.
fn status_notes(case: &Case, unit_name: Option<&str>) -> String {
    let unit = unit_name.unwrap_or("承办单位");
    match case.status {
        CaseStatus::Received => "已受理，等待立案".to_owned(),
        CaseStatus::Registered => "已立案，等待派遣".to_owned(),
        CaseStatus::Rejected => format!("不予立案：{}", case.reject_reason.as_deref().unwrap_or("")),
        CaseStatus::Merged => format!("与工单 {} 为同一问题，已并案办理", case.merged_into.map_or(0, CaseId::get)),
        CaseStatus::Dispatched => format!("已派遣至{unit}，等待签收"),
        CaseStatus::Returned => "正在重新派遣".to_owned(),
        CaseStatus::Accepted if case.is_suspended() => format!("{unit}处置中（暂停办理）"),
        CaseStatus::Accepted => format!("{unit}已签收，正在处置"),
        CaseStatus::Handled => format!("{unit}已处置，等待核查"),
        CaseStatus::Closed | CaseStatus::CalledBack => match &case.feedback {
            Some(feedback) => format!("已结案。处置反馈：{}", feedback.text),
            None => "已结案".to_owned(),
        },
    }
}

/// A case as an Open311 service request. No reporter's details ever leave through here.
fn request_view(state: &AppState, case: &Case, extensions: bool) -> Value {
    let intake = &case.intake;
    let unit_name = case.unit.as_deref().map(|code| state.unit(code).map_or_else(|| code.to_owned(), |u| u.name.clone()));
    let service_name = case.category.as_deref().and_then(|c| state.reference().catalogue.get(c).map(|e| e.name.clone()));
    let closed = !case.status.is_open();
    let mut view = json!({
        "service_request_id": case.id.to_string(),
        "status": if closed { "closed" } else { "open" },
        "status_notes": status_notes(case, unit_name.as_deref()),
        "service_name": service_name,
        // Cases from other channels may wait for a dispatcher to classify them.
        "service_code": case.category.as_deref().unwrap_or("unclassified"),
        "description": intake.description.chars().take(4000).collect::<String>(),
        "agency_responsible": unit_name,
        "service_notice": service_notice(state, case),
        "requested_datetime": local_time(case.received_at),
        "updated_datetime": local_time(case.updated_at),
        "expected_datetime": case.clock.as_ref().filter(|_| !closed).map(|c| local_time(c.deadline)),
        "address": intake.address,
        "address_id": case.region,
        "zipcode": null,
        "lat": intake.location.map(|p| p.lat),
        "long": intake.location.map(|p| p.lon),
        "media_url": intake.photos.first().filter(|p| p.starts_with("http://") || p.starts_with("https://")),
    });
    if extensions {
        view["extended_attributes"] = json!({
            "detailed_status": detailed_status(case.status),
            "gridline_status": case.status.as_str(),
            "channel": intake.channel.as_str(),
            "title": intake.title,
            "region_name": case.region.as_deref().and_then(|r| state.regions.get(r)).map(|r| r.name.clone()),
            "closed_datetime": case.closed_at.map(local_time),
        });
    }
    view
}

/// A date-time as W3C/RFC 3339 (`2026-11-22T09:30:00+08:00`, `…Z`) or a Beijing date.
fn parse_datetime(name: &str, text: &str) -> Result<Timestamp, Open311Error> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(gridline_core::calendar::WorkCalendar::china().time_zone().clone()).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| Open311Error::bad_request(format!("{name} is a date-time like 2026-11-22T09:30:00+08:00, not {text:?}")))
}

/// `start_date`/`end_date` with the specification's default (the last 90 days) and limit (a
/// span of at most 90 days).
fn window(pairs: &[(String, String)], now: Timestamp) -> Result<(Timestamp, Timestamp), Open311Error> {
    let span = SignedDuration::from_hours(24 * DEFAULT_SPAN_DAYS);
    let start = field(pairs, "start_date")?.map(|t| parse_datetime("start_date", t)).transpose()?;
    let end = field(pairs, "end_date")?.map(|t| parse_datetime("end_date", t)).transpose()?;
    let (start, end) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s.saturating_add(span).map_err(|_| Open311Error::bad_request("start_date is out of range"))?),
        (None, Some(e)) => (e.saturating_sub(span).map_err(|_| Open311Error::bad_request("end_date is out of range"))?, e),
        (None, None) => (now.saturating_sub(span).map_err(|_| Open311Error::bad_request("the clock is out of range"))?, now),
    };
    if end < start {
        return Err(Open311Error::bad_request("end_date is before start_date"));
    }
    if end.duration_since(start) > span {
        return Err(Open311Error::bad_request(format!("start_date to end_date spans more than {DEFAULT_SPAN_DAYS} days")));
    }
    Ok((start, end))
}

fn count(pairs: &[(String, String)], name: &str, max: u32, default: u32) -> Result<u32, Open311Error> {
    match field(pairs, name)? {
        None => Ok(default),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| Open311Error::bad_request(format!("{name} is a whole number from 1 to {max}, not {text:?}"))),
    }
}

fn comma_list<'a>(pairs: &'a [(String, String)], name: &str) -> Result<Vec<&'a str>, Open311Error> {
    // Repeated names and commas both list values (the specification allows either).
    Ok(pairs.iter().filter(|(k, _)| k == name).flat_map(|(_, v)| v.split(',')).map(str::trim).filter(|v| !v.is_empty()).collect())
}

fn extensions(pairs: &[(String, String)]) -> Result<bool, Open311Error> {
    match field(pairs, "extensions")? {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(Open311Error::bad_request(format!("extensions is true or false, not {other:?}"))),
    }
}

/// `GET requests`: by ids (which override every other filter), or by service codes, status
/// and time window.
async fn list(state: &AppState, format: Format, pairs: &[(String, String)]) -> Result<Response, Open311Error> {
    check_jurisdiction(state, pairs)?;
    let extended = extensions(pairs)?;
    let mut query = PublicQuery {
        page: count(pairs, "page", 1_000_000, 1)?,
        page_size: count(pairs, "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)?,
        ..PublicQuery::default()
    };
    let ids = comma_list(pairs, "service_request_id")?;
    if ids.len() > MAX_PAGE_SIZE as usize {
        return Err(Open311Error::bad_request(format!("at most {MAX_PAGE_SIZE} service_request_id at once")));
    }
    if !ids.is_empty() {
        query.ids = ids.iter().map(|id| request_id(id)).collect::<Result<_, _>>()?;
    } else {
        for code in comma_list(pairs, "service_code")? {
            if state.reference().catalogue.get(code).is_none() {
                return Err(Open311Error::bad_request(format!("service_code {code:?} is not a service of this server")));
            }
            query.categories.push(code.to_owned());
        }
        for status in comma_list(pairs, "status")? {
            let closed = match status {
                "open" => false,
                "closed" => true,
                other => return Err(Open311Error::bad_request(format!("status is open or closed, not {other:?}"))),
            };
            query.statuses.extend(CaseStatus::ALL.into_iter().filter(|s| s.is_open() != closed));
        }
        let (start, end) = window(pairs, Timestamp::now())?;
        query.received_from = Some(start);
        query.received_to = Some(end);
    }
    let cases = state.store.cases().public_requests(&query).await?;
    let list: Vec<Value> = cases.iter().map(|case| request_view(state, case, extended)).collect();
    Ok(respond(format, StatusCode::OK, "service_requests", &Value::Array(list)))
}

fn request_id(text: &str) -> Result<CaseId, Open311Error> {
    text.parse::<CaseId>()
        .ok()
        .ok_or_else(|| Open311Error::bad_request(format!("service_request_id is a positive number, not {text:?}")))
}

/// `GET /open311/v2/requests/{id}.{format}`: a list of one, as the specification has it.
pub async fn one(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    query: RawQuery,
) -> Response {
    let (id, format) = match path_file(path) {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };
    let answer = async {
        let pairs = query_pairs(query, format)?;
        check_jurisdiction(&state, &pairs)?;
        let extended = extensions(&pairs)?;
        let id = request_id(&id).map_err(|e| Open311Error::new(StatusCode::NOT_FOUND, e.description))?;
        let case = state
            .store
            .cases().get(id)
            .await?
            .ok_or_else(|| Open311Error::new(StatusCode::NOT_FOUND, format!("no service request {id}")))?;
        Ok(respond(format, StatusCode::OK, "service_requests", &json!([request_view(&state, &case, extended)])))
    };
    answer.await.unwrap_or_else(|e: Open311Error| e.in_format(format).into_response())
}

/// `GET /open311/v2/tokens/{token}.{format}`: the request a token became. Requests are filed at
/// once, so a token issued by this server always resolves.
pub async fn token(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    query: RawQuery,
) -> Response {
    let (token, format) = match path_file(path) {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };
    let answer = async {
        let pairs = query_pairs(query, format)?;
        check_jurisdiction(&state, &pairs)?;
        let not_found = || Open311Error::new(StatusCode::NOT_FOUND, format!("no request was filed with token {token:?}"));
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 100 {
            return Err(not_found());
        }
        for channel in Channel::ALL {
            if let Some(case) = state.store.cases().by_external_id(channel, &token).await? {
                let body = json!([{ "service_request_id": case.id.to_string(), "token": token }]);
                return Ok(respond(format, StatusCode::OK, "service_requests", &body));
            }
        }
        Err(not_found())
    };
    answer.await.unwrap_or_else(|e: Open311Error| e.in_format(format).into_response())
}

/// `GET servicerequestupdates` (mySociety): every step of every request in the window, oldest
/// first, each with the status it left the request in.
async fn updates(state: &AppState, format: Format, pairs: &[(String, String)]) -> Result<Response, Open311Error> {
    check_jurisdiction(state, pairs)?;
    let (start, end) = window(pairs, Timestamp::now())?;
    let limit = count(pairs, "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)?;
    let events = state.store.cases().events_between(start, end, limit).await?;
    let list: Vec<Value> = events
        .iter()
        .map(|record| {
            let event = &record.event;
            let unit_name = match &event.change {
                Change::Dispatch { unit, .. } => state.unit(unit).map(|u| u.name.clone()),
                _ => event.actor.unit.as_deref().and_then(|u| state.unit(u)).map(|u| u.name.clone()),
            };
            let media = match &event.change {
                Change::Handle { photos, .. } => photos.iter().find(|p| p.starts_with("http://") || p.starts_with("https://")).cloned(),
                _ => None,
            };
            json!({
                "update_id": format!("{}-{}", record.case_id, event.seq),
                "service_request_id": record.case_id.to_string(),
                "status": status_after(&event.change),
                "updated_datetime": local_time(event.at),
                "description": public_note(&event.change, unit_name.as_deref()),
                "media_url": media,
            })
        })
        .collect();
    Ok(respond(format, StatusCode::OK, "service_request_updates", &Value::Array(list)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    #[test]
    fn the_window_defaults_to_the_last_90_days_and_may_not_be_longer() {
        let now: Timestamp = "2026-11-22T00:00:00Z".parse().unwrap();
        let (start, end) = window(&[], now).unwrap();
        assert_eq!((end, end.duration_since(start)), (now, SignedDuration::from_hours(24 * 90)));
        let given = pairs(&[("start_date", "2026-01-01T00:00:00Z")]);
        let (start, end) = window(&given, now).unwrap();
        assert_eq!(start, "2026-01-01T00:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(end, "2026-04-01T00:00:00Z".parse::<Timestamp>().unwrap());
        let too_long = pairs(&[("start_date", "2026-01-01T00:00:00Z"), ("end_date", "2026-06-01T00:00:00+08:00")]);
        assert!(window(&too_long, now).unwrap_err().description.contains("90 days"));
        let backwards = pairs(&[("start_date", "2026-02-01"), ("end_date", "2026-01-01")]);
        assert!(window(&backwards, now).unwrap_err().description.contains("before"));
        assert!(window(&pairs(&[("start_date", "yesterday")]), now).is_err());
        // A bare date is Beijing's midnight.
        let (start, _) = window(&pairs(&[("start_date", "2026-01-01")]), now).unwrap();
        assert_eq!(start, "2025-12-31T16:00:00Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn lists_take_commas_and_repeats() {
        let given = pairs(&[("service_code", "0101, 0102"), ("service_code", "0201"), ("service_code", "")]);
        assert_eq!(comma_list(&given, "service_code").unwrap(), ["0101", "0102", "0201"]);
    }

    #[test]
    fn media_urls_are_web_addresses_only() {
        assert!(check_media_url("https://example.org/a.jpg").is_ok());
        for bad in ["javascript:alert(1)", "file:///etc/passwd", "https://", "https://a b", &format!("https://{}", "a".repeat(1000))] {
            assert!(check_media_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_status_has_a_detailed_status_and_closed_ones_read_closed() {
        for status in CaseStatus::ALL {
            let detailed = detailed_status(status);
            assert_eq!(matches!(detailed, "NO_FURTHER_ACTION" | "DUPLICATE" | "FIXED" | "CLOSED"), !status.is_open(), "{status:?}");
        }
    }
}
