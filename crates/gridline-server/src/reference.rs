//! Reference data for clients (units, regions, the catalogue) and the health check.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State, rejection::QueryRejection};
use axum::http::StatusCode;
use gridline_core::region::RegionLevel;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::AppState;

/// `GET /healthz`: 200 when the database answers.
pub async fn health(State(state): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    state.store.ping().await?;
    Ok(Json(json!({ "status": "ok" })))
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("this endpoint does not take that method".into())
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; the API lives under /api/v1".into())
}

/// `GET /api/v1/units`
pub async fn units(State(state): State<Arc<AppState>>, _who: SignedIn) -> Json<Value> {
    let mut units: Vec<_> = state.units.read().expect("unit cache").values().cloned().collect();
    units.sort_by(|a, b| a.code.cmp(&b.code));
    Json(json!({ "items": units }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionQuery {
    level: Option<RegionLevel>,
    parent: Option<String>,
}

/// `GET /api/v1/regions?level=district|street&parent=CODE`
pub async fn regions(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<RegionQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let items: Vec<_> = state
        .regions
        .iter()
        .filter(|r| query.level.is_none_or(|l| r.level == l))
        .filter(|r| query.parent.as_deref().is_none_or(|p| r.parent.as_deref() == Some(p)))
        .map(|r| json!({ "code": r.code, "name": r.name, "level": r.level, "parent": r.parent }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/catalogue`
pub async fn catalogue(State(state): State<Arc<AppState>>, _who: SignedIn) -> (StatusCode, Json<Value>) {
    let items: Vec<_> = state
        .catalogue
        .iter()
        .map(|e| {
            json!({
                "code": e.code, "name": e.name, "name_en": e.name_en, "parent": e.parent,
                "leaf": state.catalogue.is_leaf(&e.code),
                "time_limit": state.catalogue.time_limit(&e.code),
                "unit_kind": e.unit_kind, "version": e.version,
            })
        })
        .collect();
    (StatusCode::OK, Json(json!({ "items": items })))
}
