//! `discovery`, `services` and `services/{code}`: the catalogue as Open311 services.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gridline_core::catalogue::{Catalogue, CatalogueEntry};
use serde_json::{Value, json};

use super::{Format, Open311Error, check_jurisdiction, jurisdiction, path_file, query_pairs, respond};
use crate::AppState;

/// One service: a fileable (leaf) catalogue entry. `group` is its top-level class, `keywords`
/// the entry's words, `metadata` whether it asks for attributes.
pub(super) fn service(catalogue: &Catalogue, entry: &CatalogueEntry) -> Value {
    let description = entry.register_condition.clone().unwrap_or_else(|| entry.name_en.clone());
    json!({
        "service_code": entry.code,
        "service_name": entry.name,
        "description": (!description.is_empty()).then_some(description),
        "metadata": !entry.attributes.is_empty(),
        "type": "realtime",
        "keywords": (!entry.keywords.is_empty()).then(|| entry.keywords.join(",")),
        "group": catalogue.group_of(&entry.code).filter(|g| g.code != entry.code).map(|g| g.name.clone()),
    })
}

/// The service definition: the entry's attributes in the specification's shape.
fn definition_of(entry: &CatalogueEntry) -> Value {
    let mut attributes: Vec<_> = entry.attributes.iter().collect();
    attributes.sort_by_key(|a| a.order);
    let attributes: Vec<Value> = attributes
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            json!({
                "variable": true,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": datatype_description(a.datatype),
                "order": if a.order == 0 { i + 1 } else { a.order as usize },
                "description": a.description,
                "values": a.values.iter().map(|v| json!({"key": v.key, "name": v.name})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "service_code": entry.code, "attributes": attributes })
}

fn datatype_description(datatype: gridline_core::catalogue::AttributeDatatype) -> Option<&'static str> {
    use gridline_core::catalogue::AttributeDatatype::*;
    match datatype {
        Number => Some("a number, e.g. 3 or 2.5"),
        Datetime => Some("a date and time, e.g. 2026-11-22T09:30:00+08:00"),
        Singlevaluelist => Some("one of the keys of values"),
        Multivaluelist => Some("any of the keys of values, each as attribute[code][]"),
        String | Text => None,
    }
}

/// `GET /open311/v2/discovery.{format}`, and `services.{format}` through the top dispatcher.
pub(super) fn discovery(state: &AppState, format: Format) -> Response {
    let formats = ["application/json", "text/xml"];
    let body = json!({
        "changeset": "2026-11-22T00:00:00+08:00",
        "contact": "the operator of this gridline server",
        "key_service": "API keys are issued per client system by the administrators of this server",
        "jurisdiction_id": jurisdiction(state),
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "/open311/v2",
            "changeset": "2026-11-22T00:00:00+08:00",
            "type": "production",
            "formats": formats,
        }],
    });
    respond(format, StatusCode::OK, "discovery", &body)
}

pub(super) fn services(state: &AppState, format: Format, pairs: &[(String, String)]) -> Result<Response, Open311Error> {
    check_jurisdiction(state, pairs)?;
    let reference = state.reference();
    let list: Vec<Value> = reference.catalogue.leaves().map(|e| service(&reference.catalogue, e)).collect();
    Ok(respond(format, StatusCode::OK, "services", &Value::Array(list)))
}

/// `GET /open311/v2/services/{code}.{format}`
pub async fn definition(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    query: RawQuery,
) -> Response {
    let (code, format) = match path_file(path) {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };
    let answer = || -> Result<Response, Open311Error> {
        let pairs = query_pairs(query, format)?;
        check_jurisdiction(&state, &pairs)?;
        let reference = state.reference();
        let entry = reference
            .catalogue
            .get(&code)
            .filter(|e| reference.catalogue.is_leaf(&e.code))
            .ok_or_else(|| Open311Error::new(StatusCode::NOT_FOUND, format!("no service with service_code {code:?}")))?;
        Ok(respond(format, StatusCode::OK, "service_definition", &definition_of(entry)))
    };
    answer().unwrap_or_else(|e| e.in_format(format).into_response())
}
