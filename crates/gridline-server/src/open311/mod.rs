//! Open311 GeoReport v2 under `/open311/v2/` (<http://wiki.open311.org/GeoReport_v2>): the
//! catalogue's leaves as services, cases as service requests, in JSON and XML alike.
//!
//! Every resource ends in `.json` or `.xml`, and errors leave as the specification's list of
//! `{code, description}` in that format. Reading is open to anyone (as the specification
//! intends) and shows no reporter's details; filing needs an `api_key` issued by an
//! administrator (`gridline apikey add`), which decides the channel and the actor of the case.
//! Extensions: `page`/`page_size`, `extensions=true` (detailed status), and mySociety's
//! `servicerequestupdates`.

mod attributes;
mod requests;
mod services;
mod xml;

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use gridline_core::region::RegionLevel;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/{resource}", get(requests::top_get).post(requests::top_post))
        .route("/services/{file}", get(services::definition))
        .route("/requests/{file}", get(requests::one))
        .route("/tokens/{file}", get(requests::token))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// Splits `services.json` into `("services", Json)`; anything else is no resource of ours.
fn split_format(file: &str) -> Result<(&str, Format), Open311Error> {
    let unknown = || Open311Error::new(StatusCode::NOT_FOUND, format!("no such resource {file:?}; resources end in .json or .xml"));
    let (name, ext) = file.rsplit_once('.').ok_or_else(unknown)?;
    let format = match ext {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return Err(unknown()),
    };
    if name.is_empty() {
        return Err(unknown());
    }
    Ok((name, format))
}

fn path_file(path: Result<Path<String>, PathRejection>) -> Result<(String, Format), Open311Error> {
    let Path(file) = path.map_err(|e| Open311Error::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let (name, format) = split_format(&file)?;
    Ok((name.to_owned(), format))
}

/// Most fields a query or form may carry: the specification lets clients add their own, which
/// are ignored, but not without end.
const MAX_FIELDS: usize = 100;

/// A query string or form body as pairs, decoded strictly: text that is not UTF-8 or holds a
/// NUL is refused with 422 naming the field (never stored as U+FFFD), and more than
/// [`MAX_FIELDS`] fields with 400. Repeated names are kept; unknown ones are ignored.
fn form_pairs(input: &[u8]) -> Result<Vec<(String, String)>, Open311Error> {
    let pairs = crate::input::strict_pairs(input).map_err(|invalid| Open311Error::new(StatusCode::UNPROCESSABLE_ENTITY, invalid.message))?;
    if pairs.len() > MAX_FIELDS {
        return Err(Open311Error::bad_request(format!("{} fields given; at most {MAX_FIELDS} are read", pairs.len())));
    }
    Ok(pairs)
}

/// The query as pairs ([`form_pairs`]).
fn query_pairs(RawQuery(query): RawQuery, format: Format) -> Result<Vec<(String, String)>, Open311Error> {
    form_pairs(query.as_deref().unwrap_or("").as_bytes()).map_err(|e| e.in_format(format))
}

/// The single value of `name`; given twice it is an error rather than a guess.
fn single<'a>(pairs: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, Open311Error> {
    let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(Open311Error::bad_request(format!("{name} is given more than once")));
    }
    Ok(first)
}

/// The jurisdiction this server answers for: the code of the city at the root of its region tree.
fn jurisdiction(state: &AppState) -> Option<&str> {
    state.regions.at_level(RegionLevel::City).next().map(|r| r.code.as_str())
}

/// `jurisdiction_id` is optional for a single-jurisdiction server, but a wrong one is refused
/// rather than answered with another city's data.
fn check_jurisdiction(state: &AppState, pairs: &[(String, String)]) -> Result<(), Open311Error> {
    match single(pairs, "jurisdiction_id")? {
        None | Some("") => Ok(()),
        Some(given) if Some(given) == jurisdiction(state) => Ok(()),
        Some(given) => Err(Open311Error::new(
            StatusCode::NOT_FOUND,
            format!("unknown jurisdiction_id {given:?}; this server answers for {}", jurisdiction(state).unwrap_or("-")),
        )),
    }
}

/// A document in the format asked for. `root` names the XML root element.
fn respond(format: Format, status: StatusCode, root: &str, value: &Value) -> Response {
    match format {
        Format::Json => (status, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], value.to_string()).into_response(),
        Format::Xml => (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml::document(root, value)).into_response(),
    }
}

/// An Open311 error: `[{"code": 400, "description": "…"}]`, or `<errors><error>…` in XML.
#[derive(Debug)]
pub struct Open311Error {
    status: StatusCode,
    description: String,
    format: Format,
}

impl Open311Error {
    fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error { status, description: description.into(), format: Format::Json }
    }

    fn bad_request(description: impl Into<String>) -> Self {
        Open311Error::new(StatusCode::BAD_REQUEST, description)
    }

    /// The same error, answered in `format`.
    fn in_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(detail = %self.description, "Open311 request failed");
        }
        let description = if self.status.is_server_error() {
            "the server failed to complete the request; it has been logged".to_owned()
        } else {
            self.description
        };
        let body = json!([{ "code": self.status.as_u16(), "description": description }]);
        respond(self.format, self.status, "errors", &body)
    }
}

/// The API's errors in Open311's terms: what the client got wrong is a 400, a refusal a 403.
impl From<ApiError> for Open311Error {
    fn from(err: ApiError) -> Self {
        let status = match &err {
            ApiError::Unauthorized(_) | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        Open311Error::new(status, err.to_string())
    }
}

impl From<gridline_store::StoreError> for Open311Error {
    fn from(err: gridline_store::StoreError) -> Self {
        Open311Error::from(ApiError::from(err))
    }
}

impl From<gridline_app::AppError> for Open311Error {
    fn from(err: gridline_app::AppError) -> Self {
        Open311Error::from(ApiError::from(err))
    }
}

impl From<gridline_core::DomainError> for Open311Error {
    fn from(err: gridline_core::DomainError) -> Self {
        Open311Error::from(ApiError::from(err))
    }
}

async fn not_found() -> Open311Error {
    Open311Error::new(StatusCode::NOT_FOUND, "no such Open311 resource; see /open311/v2/discovery.json")
}

async fn method_not_allowed() -> Open311Error {
    Open311Error::new(StatusCode::METHOD_NOT_ALLOWED, "this resource does not take that method")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_end_in_json_or_xml() {
        assert_eq!(split_format("services.json").unwrap(), ("services", Format::Json));
        assert_eq!(split_format("0101.xml").unwrap(), ("0101", Format::Xml));
        assert_eq!(split_format("a.b.json").unwrap(), ("a.b", Format::Json));
        for bad in ["services", "services.html", ".json", "services.JSON"] {
            assert_eq!(split_format(bad).unwrap_err().status, StatusCode::NOT_FOUND, "{bad}");
        }
    }

    #[test]
    fn a_name_given_twice_is_refused() {
        let pairs = vec![("status".to_owned(), "open".to_owned()), ("status".to_owned(), "closed".to_owned())];
        assert!(single(&pairs, "status").is_err());
        assert_eq!(single(&pairs, "page").unwrap(), None);
    }
}
