//! 双向督办 over HTTP: a creation-drive finding and the hotline case about the same problem are
//! linked, and each side sees the other's progress and supervision.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gridline_core::actor::{Actor, Role};
use gridline_core::case::CaseId;
use gridline_core::supervision::{CaseLink, ListingKind, TargetKind, link_pair};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::listings::{ListingView, listing_view};
use crate::supervision::{OrderView, order_view};
use crate::views::LinkedCase;
use crate::{ApiJson, AppState};

/// A case's links: `case` is the case asked about.
#[derive(Serialize, ToSchema)]
pub struct LinksView {
    case: CaseId,
    items: Vec<LinkView>,
}

/// A link seen from one of its cases: the case at the other end with what supervises it.
#[derive(Serialize, ToSchema)]
pub struct LinkView {
    finding: CaseId,
    hotline: CaseId,
    linked_by: i64,
    linked_at: Timestamp,
    /// The case at the other end.
    case: LinkedCase,
    /// The supervision orders raised on the other case.
    orders: Vec<OrderView>,
    /// The open listings of the other case's unit and of its address.
    listings: Vec<ListingView>,
}

impl AppState {
    /// A link seen from `case`: the case at the other end with its state, unit, deadline and
    /// whether it is overdue, the supervision orders raised on it, and the open listings of its
    /// unit and of its address.
    async fn link_view(&self, link: &CaseLink, case: CaseId, viewer: &Actor, now: Timestamp) -> Result<LinkView, ApiError> {
        let other_id = link.other(case);
        let other = self.store.cases().get(other_id).await?.ok_or_else(|| ApiError::Internal(format!("linked case {other_id} is missing")))?;
        let orders = self.store.supervision().orders_on(TargetKind::Case, &other_id.to_string()).await?.into_iter().map(|o| order_view(o, now)).collect();
        let mut listings = Vec::new();
        for (kind, target) in [(ListingKind::Unit, other.unit.as_deref()), (ListingKind::Place, other.intake.address.as_deref())] {
            if let Some(target) = target
                && let Some(listing) = self.store.listings().open_of(kind, target).await?
            {
                listings.push(listing_view(self, listing, now));
            }
        }
        Ok(LinkView {
            finding: link.finding,
            hotline: link.hotline,
            linked_by: link.linked_by,
            linked_at: link.linked_at,
            case: self.case_view(&other, viewer, None, now).into(),
            orders,
            listings,
        })
    }

    async fn links_view(&self, case: CaseId, viewer: &Actor, now: Timestamp) -> Result<LinksView, ApiError> {
        let mut items = Vec::new();
        for link in self.store.links().of(case).await? {
            items.push(self.link_view(&link, case, viewer, now).await?);
        }
        Ok(LinksView { case, items })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// The other case.
    case: CaseId,
}

/// `POST /api/v1/cases/{id}/links` `{"case": other}`: links a creation-drive finding and a hotline
/// case, named in either order (dispatchers, supervisors, administrators).
#[utoipa::path(post, path = "/cases/{id}/links", tag = "supervision", security(("bearer" = [])), params(("id" = i64, Path, description = "case id")),
    request_body(content = LinkBody, description = "`{\"case\": other case id}`: one a creation-drive finding, the other a hotline case"),
    responses((status = 201, description = "the case's links, each with the other case, its orders and listings", body = LinksView),
        (status = 403, description = "dispatchers, supervisors and administrators only"), (status = 404, description = "no such case, or not visible to you"),
        (status = 409, description = "the two cases are linked already, or one of them is rejected or merged"), (status = 422, description = "the other case is unknown, the same, or not of the other kind")))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<LinkBody>,
) -> Result<(StatusCode, Json<LinksView>), ApiError> {
    let actor = &who.actor;
    if !matches!(actor.role, Role::Dispatcher | Role::Supervisor | Role::Admin) {
        return Err(ApiError::Forbidden(format!("role {} may not link cases", actor.role.as_str())));
    }
    let id = crate::cases::parse_id(path)?;
    let case = state.visible_case(id, actor).await?;
    let other = match state.visible_case(body.case, actor).await {
        Ok(other) => other,
        Err(gridline_app::AppError::NotFound(message)) => return Err(ApiError::invalid("case", message)),
        Err(other) => return Err(other.into()),
    };
    let (finding, hotline) = link_pair(&case, &other)?;
    let now = Timestamp::now();
    state.store.links().link(finding.id, hotline.id, actor.user_id, now).await?;
    tracing::info!(finding = finding.id.get(), hotline = hotline.id.get(), user = %actor.username, "cases linked");
    Ok((StatusCode::CREATED, Json(state.links_view(id, actor, now).await?)))
}

/// `GET /api/v1/cases/{id}/links`: the cases linked to this one, each with what supervises it.
#[utoipa::path(get, path = "/cases/{id}/links", tag = "supervision", security(("bearer" = [])), params(("id" = i64, Path, description = "case id")),
    responses((status = 200, description = "each link with the other case, its orders and listings", body = LinksView),
        (status = 404, description = "no such case, or not visible to you")))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<LinksView>, ApiError> {
    let id = crate::cases::parse_id(path)?;
    state.visible_case(id, &who.actor).await?;
    Ok(Json(state.links_view(id, &who.actor, Timestamp::now()).await?))
}
