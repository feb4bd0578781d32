//! Listed supervision (挂牌督办) over HTTP: a supervisor lists a place or unit with a reason and a
//! deadline; the list is public; checks record progress, and a passed check at or after the
//! deadline de-lists.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gridline_core::supervision::{Listing, ListingKind, NewListing};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::supervision::{OpenQuery, flag, require_supervisor};
use crate::views::Items;
use crate::{ApiJson, AppState};

/// A listing as the public list shows it: who listed or checked it is left out.
#[derive(Serialize, ToSchema)]
pub struct ListingView {
    id: i64,
    kind: ListingKind,
    /// A unit code, or the place's key.
    target: String,
    name: String,
    region: Option<String>,
    region_name: Option<String>,
    reason: String,
    deadline: Timestamp,
    listed_at: Timestamp,
    /// Past its deadline and still listed.
    overdue: bool,
    delisted_at: Option<Timestamp>,
    /// Oldest first.
    checks: Vec<PublicCheck>,
}

/// A check of a listing, without who made it.
#[derive(Serialize, ToSchema)]
pub struct PublicCheck {
    passed: bool,
    note: Option<String>,
    at: Timestamp,
}

pub(crate) fn listing_view(state: &AppState, listing: Listing, now: Timestamp) -> ListingView {
    ListingView {
        region_name: listing.region.as_deref().and_then(|r| state.regions.get(r)).map(|r| r.name.clone()),
        overdue: listing.overdue(now),
        id: listing.id,
        kind: listing.kind,
        target: listing.target,
        name: listing.name,
        region: listing.region,
        reason: listing.reason,
        deadline: listing.deadline,
        listed_at: listing.listed_at,
        delisted_at: listing.delisted_at,
        checks: listing.checks.into_iter().map(|c| PublicCheck { passed: c.passed, note: c.note, at: c.at }).collect(),
    }
}

/// `POST /api/v1/supervision/listings` `{kind: place|unit, target, name, region?, reason, deadline}`
#[utoipa::path(post, path = "/supervision/listings", tag = "supervision", security(("bearer" = [])),
    request_body(content = NewListing, description = "`{kind: place|unit|alley, target, name, region?, reason, deadline}`"),
    responses((status = 201, description = "the listing", body = ListingView), (status = 403, description = "supervisors and administrators only"),
        (status = 409, description = "the target is listed already"), (status = 422, description = "an invalid field, an unknown unit or alley code, named in `error.field`")))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(new): ApiJson<NewListing>,
) -> Result<(StatusCode, Json<ListingView>), ApiError> {
    require_supervisor(&who.actor, "list places or units for supervision")?;
    let now = Timestamp::now();
    let new = new.validate(now, &state.regions)?;
    if new.kind == ListingKind::Unit && state.unit(&new.target).is_none() {
        return Err(ApiError::Refused(gridline_core::Reason::new("unknown_unit").on("target").with("unit", &new.target)));
    }
    if new.kind == ListingKind::Alley
        && state.store.evaluation().point_by_code(&new.target).await?.is_none_or(|p| p.point_type != gridline_core::evaluation::PointType::BackAlley)
    {
        return Err(ApiError::invalid("target", format!("no alley has the code {:?}", new.target)));
    }
    let listing = state.store.listings().create(&new, who.actor.user_id, now).await?;
    tracing::info!(listing = listing.id, target = %listing.target, user = %who.actor.username, "listed for supervision");
    Ok((StatusCode::CREATED, Json(listing_view(&state, listing, now))))
}

/// `GET /api/v1/supervision/listings?open=true`: the public list, readable without signing in.
#[utoipa::path(get, path = "/supervision/listings", tag = "supervision", params(OpenQuery),
    responses((status = 200, description = "the latest 1000 listings with their checks, without who listed or checked them", body = Items<ListingView>),
        (status = 422, description = "`open` is not true or false")))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    query: Result<Query<OpenQuery>, QueryRejection>,
) -> Result<Json<Items<ListingView>>, ApiError> {
    let Query(query) = query?;
    let open = flag("open", query.open.as_deref())?;
    let now = Timestamp::now();
    let items = state.store.listings().list(open, 1000).await?.into_iter().map(|l| listing_view(&state, l, now)).collect();
    Ok(Json(Items { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    passed: bool,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /api/v1/supervision/listings/{id}/checks` `{passed, note?}`: a failed check says what is
/// still wrong; a passed one at or after the deadline de-lists.
#[utoipa::path(post, path = "/supervision/listings/{id}/checks", tag = "supervision", security(("bearer" = [])), params(("id" = i64, Path, description = "listing id")),
    request_body(content = CheckBody, description = "`{passed: bool, note?}`; a failed check needs a note"),
    responses((status = 200, description = "the listing with the check", body = ListingView), (status = 403, description = "supervisors and administrators only"),
        (status = 404, description = "no such listing"), (status = 409, description = "de-listed already, or checked by someone else meanwhile"),
        (status = 422, description = "a failed check without a note")))]
pub async fn check(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<CheckBody>,
) -> Result<Json<ListingView>, ApiError> {
    require_supervisor(&who.actor, "check listed places or units")?;
    let id = crate::cases::path_id("listing", path)?;
    let before = state.store.listings().get(id).await?.ok_or_else(|| ApiError::NotFound(format!("listing {id} not found")))?;
    let now = Timestamp::now();
    let mut after = before.clone();
    after.check(body.passed, body.note.as_deref(), who.actor.user_id, now)?;
    state.store.listings().record_check(&before, &after).await?;
    if after.delisted_at.is_some() {
        tracing::info!(listing = id, user = %who.actor.username, "de-listed");
    }
    let listing = state.store.listings().get(id).await?.ok_or_else(|| ApiError::Internal(format!("listing {id} vanished")))?;
    Ok(Json(listing_view(&state, listing, now)))
}
