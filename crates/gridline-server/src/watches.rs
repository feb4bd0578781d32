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

/// Due watches handled per sweep; the rest wait for the next one.
const DUE_PER_SWEEP: u32 = 1000;

/// A watch with the names of its region and problem, and whether its inspection is due.
#[derive(Serialize, ToSchema)]
pub struct WatchView {
    #[serde(flatten)]
    watch: Watch,
    region_name: Option<String>,
    category_name: Option<String>,
    due: bool,
}

// TEMPORARY until supervision.rs is typed after the gridline-app merge.
pub(crate) fn watch_json(state: &AppState, watch: &Watch, now: Timestamp) -> serde_json::Value {
    serde_json::to_value(watch_view(state, watch.clone(), now)).unwrap_or_default()
}

pub(crate) fn watch_view(state: &AppState, watch: Watch, now: Timestamp) -> WatchView {
    WatchView {
        region_name: state.regions.get(&watch.region).map(|r| r.name.clone()),
        category_name: state.reference().catalogue.get(&watch.category).map(|e| e.name.clone()),
        due: watch.is_due(now),
        watch,
    }
}

/// Files the inspection of every watch that is due at `now` and moves each on to its next slot;
/// returns how many cases were filed. The inspection of a slot carries the slot in its external
/// id, so a sweep that runs twice (or on two servers) files it once. A watch that cannot be
/// filed is logged and left due; the others go on.
pub(crate) async fn file_due(state: &AppState, now: Timestamp) -> Result<u64, ApiError> {
    let mut filed = 0;
    for (watch, created_by) in state.store.watches_due(now, DUE_PER_SWEEP).await? {
        match file_one(state, &watch, created_by, now).await {
            Ok(true) => filed += 1,
            Ok(false) => {}
            Err(err) => tracing::warn!(watch = watch.id, error = %err, "watch list inspection not filed"),
        }
    }
    Ok(filed)
}

/// Files one due watch's inspection, in the name of whoever put the pair on watch; true when
/// this call created the case.
async fn file_one(state: &AppState, watch: &Watch, created_by: i64, now: Timestamp) -> Result<bool, ApiError> {
    let user = state.store.user(created_by).await?.ok_or_else(|| ApiError::Internal(format!("the watch's author {created_by} no longer exists")))?;
    let mut intake = watch.inspection(watch.next_due);
    intake.category_version = Some(state.reference().catalogue.check_fileable(&watch.category)?.version);
    let created = state.file_case(intake, &user.actor(), now).await?;
    state.store.advance_watch(watch.id, watch.next_due, watch.next_after(now), created.case.id).await?;
    if created.created {
        tracing::info!(watch = watch.id, case = created.case.id, "watch list inspection filed");
    }
    Ok(created.created)
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
    let watch = state.store.create_watch(&new, new.first_due_at(now), who.actor.user_id, now).await?;
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
    let items = state.store.watches(active, 1000).await?.into_iter().map(|w| watch_view(&state, w, now)).collect();
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
    let stopped = state.store.stop_watch(id).await?;
    let watch = state.store.watch(id).await?.ok_or_else(|| ApiError::NotFound(format!("watch {id} not found")))?;
    if !stopped {
        return Err(ApiError::Conflict(format!("watch {id} was stopped before")));
    }
    tracing::info!(watch = id, user = %who.actor.username, "taken off the watch list");
    Ok(Json(watch_view(&state, watch, Timestamp::now())))
}
