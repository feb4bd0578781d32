//! Reference data for clients (units, regions, the catalogue) and the health check.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State, rejection::QueryRejection};
use gridline_core::region::RegionLevel;
use gridline_core::unit::Unit;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::views::Items;
use crate::AppState;

/// `{"status": …}` of `/healthz` and `/readyz`.
#[derive(Serialize)]
pub struct Status {
    pub status: &'static str,
}

/// `GET /healthz`: 200 while the process serves (liveness); `/readyz` also asks the database.
pub async fn health() -> Json<Status> {
    Json(Status { status: "ok" })
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("this endpoint does not take that method".into())
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; the API lives under /api/v1".into())
}

/// `GET /api/v1/units`
#[utoipa::path(get, path = "/units", tag = "reference", security(("bearer" = [])), responses((status = 200, description = "every unit, by code", body = Items<Unit>)))]
pub async fn units(State(state): State<Arc<AppState>>, _who: SignedIn) -> Json<Items<Unit>> {
    Json(Items { items: state.units().to_vec() })
}

/// A region of the tree, without its label point.
#[derive(Serialize, ToSchema)]
pub struct RegionView {
    code: String,
    name: String,
    level: RegionLevel,
    parent: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// district or street (city, community, grid where the tree has them).
    #[param(value_type = Option<String>)]
    level: Option<RegionLevel>,
    /// Only the regions directly under this code.
    parent: Option<String>,
}

/// `GET /api/v1/regions?level=district|street&parent=CODE`
#[utoipa::path(get, path = "/regions", tag = "reference", security(("bearer" = [])), params(RegionQuery), responses((status = 200, description = "the regions asked for", body = Items<RegionView>)))]
pub async fn regions(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<RegionQuery>, QueryRejection>,
) -> Result<Json<Items<RegionView>>, ApiError> {
    let Query(query) = query?;
    let items: Vec<_> = state
        .regions
        .iter()
        .filter(|r| query.level.is_none_or(|l| r.level == l))
        .filter(|r| query.parent.as_deref().is_none_or(|p| r.parent.as_deref() == Some(p)))
        .map(|r| RegionView { code: r.code.clone(), name: r.name.clone(), level: r.level, parent: r.parent.clone() })
        .collect();
    Ok(Json(Items { items }))
}
