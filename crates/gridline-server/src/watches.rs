//! The watch list (未诉先办) over HTTP, and the filing of its inspections by the sweep: while a
//! (place, problem) pair is on watch, an inspection case is filed for it every `every_days`,
//! through the same intake as any case, so that it is registered, routed and dispatched like one.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gridline_core::supervision::{NewWatch, Watch};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::supervision::{flag, require_supervisor};
use crate::views::Items;
use crate::{ApiJson, AppState};

/// A watch with the names of its region and problem, and whether its inspection is due.
#[derive(Serialize, ToSchema)]
pub struct WatchView {
    #[serde(flatten)]
    watch: Watch,
    region_name: Option<String>,
    category_name: Option<String>,
    due: bool,
}

pub(crate) fn watch_view(state: &AppState, watch: Watch, now: Timestamp) -> WatchView {
    WatchView {
        region_name: state.regions.get(&watch.region).map(|r| r.name.clone()),
        category_name: state.reference().catalogue.get(&watch.category).map(|e| e.name.clone()),
        due: watch.is_due(now),
        watch,
    }
}


/// `POST /api/v1/supervision/watches` `{region, place, category, every_days, first_due?}`
#[utoipa::path(post, path = "/supervision/watches", tag = "supervision", security(("bearer" = [])),
    request_body(content = NewWatch, description = "`{region, place, category, every_days, first_due?}`"),
    responses((status = 201, description = "the watch", body = WatchView), (status = 403, description = "supervisors and administrators only"),
        (status = 409, description = "the place and problem are on the watch list already"), (status = 422, description = "an invalid field, named in `error.field`")))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(new): ApiJson<NewWatch>,
) -> Result<(StatusCode, Json<WatchView>), ApiError> {
    require_supervisor(&who.actor, "keep the watch list")?;
    let now = Timestamp::now();
    let new = new.validate(now, &state.reference().catalogue, &state.regions)?;
    let watch = state.store.watches().create(&new, new.first_due_at(now), who.actor.user_id, now).await?;
    tracing::info!(watch = watch.id, place = %watch.place, user = %who.actor.username, "put on the watch list");
    Ok((StatusCode::CREATED, Json(watch_view(&state, watch, now))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WatchesQuery {
    /// true: only the watches not stopped (default false: every watch).
    active: Option<String>,
}

/// `GET /api/v1/supervision/watches?active=true`
#[utoipa::path(get, path = "/supervision/watches", tag = "supervision", security(("bearer" = [])), params(WatchesQuery),
    responses((status = 200, description = "up to 1000 watches, each with `due`", body = Items<WatchView>), (status = 422, description = "`active` is not true or false")))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<WatchesQuery>, QueryRejection>,
) -> Result<Json<Items<WatchView>>, ApiError> {
    let Query(query) = query?;
    let active = flag("active", query.active.as_deref())?;
    let now = Timestamp::now();
    let items = state.store.watches().list(active, 1000).await?.into_iter().map(|w| watch_view(&state, w, now)).collect();
    Ok(Json(Items { items }))
}

/// `POST /api/v1/supervision/watches/{id}/stop`: takes the pair off the watch list; 409 when it
/// was stopped before.
#[utoipa::path(post, path = "/supervision/watches/{id}/stop", tag = "supervision", security(("bearer" = [])), params(("id" = i64, Path, description = "watch id")),
    responses((status = 200, description = "the stopped watch", body = WatchView), (status = 403, description = "supervisors and administrators only"),
        (status = 404, description = "no such watch"), (status = 409, description = "the watch was stopped before")))]
pub async fn stop(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<WatchView>, ApiError> {
    require_supervisor(&who.actor, "keep the watch list")?;
    let id = crate::cases::path_id("watch", path)?;
    let stopped = state.store.watches().stop(id).await?;
    let watch = state.store.watches().get(id).await?.ok_or_else(|| ApiError::NotFound(format!("watch {id} not found")))?;
    if !stopped {
        return Err(ApiError::Conflict(format!("watch {id} was stopped before")));
    }
    tracing::info!(watch = id, user = %who.actor.username, "taken off the watch list");
    Ok(Json(watch_view(&state, watch, Timestamp::now())))
}
