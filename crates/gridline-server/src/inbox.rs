//! The to-do inbox over HTTP (issue 20 item 2): `GET /inbox` is the signed-in user's to-do list,
//! computed by the application (`gridline_app::inbox`), and `POST /inbox/read` marks items read.
//! Every page's header shows the unread count.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use gridline_app::inbox::Inbox;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::{ApiJson, AppState};

/// `GET /api/v1/inbox`: what the signed-in user has to deal with, newest first, each item marked
/// read or unread, with the unread count.
#[utoipa::path(get, path = "/inbox", tag = "inbox", security(("bearer" = [])),
    responses((status = 200, description = "the user's to-do list: for a unit's staff the cases assigned or sent back to the unit, \
        those due soon or overdue, the 督办单 waiting for its reply, the answers to its extension requests and its suspensions; \
        for a dispatcher the returned cases and the orders on places; for a supervisor the replies to their orders and \
        their orders past the deadline", body = Inbox)))]
pub async fn inbox(State(state): State<Arc<AppState>>, who: SignedIn) -> Result<Json<Inbox>, ApiError> {
    Ok(Json(state.app.inbox(&who.actor, Timestamp::now()).await?))
}

/// Which items to mark read: `{"items": [id, …]}` (1 to 200 ids of the inbox now) or
/// `{"all": true}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// Item ids (`InboxItem.id`), each an item of the inbox now.
    #[serde(default)]
    items: Option<Vec<String>>,
    /// true: every item of the inbox now.
    #[serde(default)]
    all: Option<bool>,
}

/// `POST /api/v1/inbox/read` `{items: [id, …]}` or `{all: true}`: marks items read; answers the
/// inbox after.
#[utoipa::path(post, path = "/inbox/read", tag = "inbox", security(("bearer" = [])),
    request_body(content = MarkRead, description = "`{\"items\": [id, …]}` or `{\"all\": true}`"),
    responses((status = 200, description = "the inbox after", body = Inbox),
        (status = 422, description = "no items named, more than 200, both `items` and `all`, or an id that is not an item of the inbox now (`inbox_item_unknown`)")))]
pub async fn mark_read(State(state): State<Arc<AppState>>, who: SignedIn, ApiJson(body): ApiJson<MarkRead>) -> Result<Json<Inbox>, ApiError> {
    let items = match (body.items, body.all) {
        (Some(_), Some(true)) => return Err(ApiError::invalid("all", "give either items or all, not both")),
        (None, Some(true)) => None,
        (items, _) => Some(items.unwrap_or_default()),
    };
    Ok(Json(state.app.mark_read(&who.actor, items.as_deref(), Timestamp::now()).await?))
}
