//! Supervision over HTTP: orders (督办) on a case, a unit or a place with the reply of the
//! supervised, the board, the reminders, and the periodic sweep that sends them and files the
//! watch list's inspections. Listed supervision, 双向督办 links and the watch list have modules
//! of their own (`listings`, `links`, `watches`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gridline_core::actor::{Actor, Role};
use gridline_core::case::{CaseId, SupervisionLevel};
use gridline_core::ids::UnitCode;
use gridline_core::supervision::{NewOrder, Order, OrderState, ReminderKind, TargetKind, age_bracket};
use gridline_store::Reminder;
use gridline_app::supervision::{SWEEP_EVERY, Swept};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::listings::{ListingView, listing_view};
use crate::views::Items;
use crate::watches::{WatchView, watch_view};
use crate::{ApiJson, AppState};

/// Runs the supervision sweep every [`SWEEP_EVERY`] for as long as the server runs.
pub fn spawn_sweeper(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        loop {
            tick.tick().await;
            match state.sweep(Timestamp::now()).await {
                Ok(swept) if swept == Swept::default() => {}
                Ok(swept) => tracing::info!(reminders = swept.reminders, inspections = swept.inspections, "supervision sweep"),
                Err(err) => tracing::warn!(error = %err, "supervision sweep failed"),
            }
        }
    });
}

/// Supervisors and administrators raise orders, list places and units, check them and keep the
/// watch list; `doing` says what was refused.
pub(crate) fn require_supervisor(actor: &Actor, doing: &str) -> Result<(), ApiError> {
    if matches!(actor.role, Role::Supervisor | Role::Admin) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("role {} may not {doing}", actor.role.as_str())))
    }
}

/// An order with where it stands now.
#[derive(Serialize, ToSchema)]
pub struct OrderView {
    #[serde(flatten)]
    order: Order,
    state: OrderState,
}

pub(crate) fn order_view(order: Order, now: Timestamp) -> OrderView {
    OrderView { state: order.state(now), order }
}

/// `POST /api/v1/supervision/orders` `{target_kind, target, level, note, deadline}`
#[utoipa::path(post, path = "/supervision/orders", tag = "supervision", security(("bearer" = [])),
    request_body(content = NewOrder, description = "`{target_kind: case|unit|place, target, level, note, deadline}`"),
    responses((status = 201, description = "the order", body = OrderView), (status = 403, description = "supervisors and administrators only"),
        (status = 422, description = "an invalid field or an unknown target, named in `error.field`")))]
pub async fn create_order(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(new): ApiJson<NewOrder>,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    require_supervisor(&who.actor, "raise supervision orders")?;
    let now = Timestamp::now();
    let new = new.validate(now)?;
    match new.target_kind {
        TargetKind::Case => {
            let id: CaseId = new.target.parse().map_err(|_| ApiError::invalid("target", "a case target is a case id"))?;
            if state.store.cases().get(id).await?.is_none() {
                return Err(ApiError::invalid("target", format!("no case {id}")));
            }
        }
        TargetKind::Unit if state.unit(&new.target).is_none() => {
            return Err(ApiError::invalid("target", format!("unknown unit {:?}", new.target)));
        }
        TargetKind::Unit | TargetKind::Place => {}
    }
    let order = state.store.supervision().create_order(&new, who.actor.user_id, now).await?;
    let unit = state.order_unit(&order).await?.and_then(|u| UnitCode::parse(&u).ok());
    state.notify(gridline_app::notify::Notice::of_order(&order, unit));
    Ok((StatusCode::CREATED, Json(order_view(order, now))))
}

/// The query of the order and listing lists: `open=true` keeps what still stands.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OpenQuery {
    /// true: only what still stands (default false: everything).
    #[param(value_type = Option<bool>)]
    pub(crate) open: Option<String>,
}

/// A `true|false` query parameter, false when absent.
pub(crate) fn flag(field: &str, text: Option<&str>) -> Result<bool, ApiError> {
    Ok(text.map(|t| crate::cases::parse_bool(field, t)).transpose()?.unwrap_or(false))
}

/// `GET /api/v1/supervision/orders?open=true`
#[utoipa::path(get, path = "/supervision/orders", tag = "supervision", security(("bearer" = [])), params(OpenQuery),
    responses((status = 200, description = "the latest 500 orders, each with its `state`", body = Items<OrderView>), (status = 422, description = "`open` is not true or false")))]
pub async fn orders(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<OpenQuery>, QueryRejection>,
) -> Result<Json<Items<OrderView>>, ApiError> {
    let Query(query) = query?;
    let open = flag("open", query.open.as_deref())?;
    let now = Timestamp::now();
    let items = state.store.supervision().orders(open, &state.order_scope(&who.actor), 500).await?.into_iter().map(|o| order_view(o, now)).collect();
    Ok(Json(Items { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    reply: String,
}

impl AppState {
    /// The unit an order is addressed to: the unit itself, or the unit a case is with.
    async fn order_unit(&self, order: &Order) -> Result<Option<String>, ApiError> {
        Ok(match order.target_kind {
            TargetKind::Unit => Some(order.target.clone()),
            TargetKind::Case => match order.target.parse::<CaseId>() {
                Ok(id) => self.store.cases().get(id).await?.and_then(|c| c.unit).map(String::from),
                Err(_) => None,
            },
            TargetKind::Place => None,
        })
    }
}

fn may_reply(actor: &Actor, unit: Option<&str>) -> bool {
    match actor.role {
        Role::Admin | Role::Dispatcher => true,
        Role::HandlingUnit | Role::MemberUnit => unit.is_some() && actor.unit.as_deref() == unit,
        _ => false,
    }
}

/// `POST /api/v1/supervision/orders/{id}/reply` `{reply}`: the supervised answers, once.
#[utoipa::path(post, path = "/supervision/orders/{id}/reply", tag = "supervision", security(("bearer" = [])), params(("id" = i64, Path, description = "order id")),
    request_body(content = ReplyBody, description = "`{\"reply\": text}`"),
    responses((status = 200, description = "the order with its reply", body = OrderView),
        (status = 403, description = "only the supervised unit's staff, a dispatcher or an administrator answer"), (status = 404, description = "no such order"),
        (status = 409, description = "the order has already been answered"), (status = 422, description = "an invalid reply")))]
pub async fn reply(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<ReplyBody>,
) -> Result<Json<OrderView>, ApiError> {
    let id = crate::cases::path_id("order", path)?;
    let order = state.store.supervision().order(id).await?.ok_or_else(|| ApiError::NotFound(format!("supervision order {id} not found")))?;
    let unit = state.order_unit(&order).await?;
    if !may_reply(&who.actor, unit.as_deref()) {
        return Err(ApiError::Forbidden("only the supervised unit, a dispatcher or an administrator answers this order".into()));
    }
    let text = order.check_reply(&body.reply)?;
    let now = Timestamp::now();
    state.store.supervision().reply_order(id, &text, who.actor.user_id, now).await?;
    let order = state.store.supervision().order(id).await?.ok_or_else(|| ApiError::Internal(format!("order {id} vanished")))?;
    Ok(Json(order_view(order, now)))
}

/// How far ahead the board looks for watches coming due.
const BOARD_WATCH_HORIZON: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// `GET /api/v1/supervision/board`: open orders by level, unit and age, what is overdue now by
/// unit, the latest reminders, the open listings with those past their deadline, and the watches
/// whose inspection is due within a day.
#[utoipa::path(get, path = "/supervision/board", tag = "supervision", security(("bearer" = [])),
    responses((status = 200, description = "what stands open and overdue in supervision now", body = Board)))]
pub async fn board(State(state): State<Arc<AppState>>, who: SignedIn) -> Result<Json<Board>, ApiError> {
    let now = Timestamp::now();
    let open = state.store.supervision().orders(true, &state.order_scope(&who.actor), 10_000).await?;
    let open_orders = open.len();
    let mut by_level = BTreeMap::new();
    let mut by_unit = BTreeMap::new();
    let mut by_age = BTreeMap::new();
    let mut overdue_orders = Vec::new();
    for order in open {
        *by_level.entry(order.level).or_default() += 1;
        if let Some(unit) = state.order_unit(&order).await? {
            *by_unit.entry(unit).or_default() += 1;
        }
        *by_age.entry(age_bracket(order.raised_at, now)).or_default() += 1;
        if order.state(now) == OrderState::Overdue {
            overdue_orders.push(order_view(order, now));
        }
    }
    let overdue_cases = state
        .store
        .supervision().overdue_by_unit(now)
        .await?
        .into_iter()
        .map(|(unit, overdue)| UnitOverdue { unit_name: state.unit(&unit).map(|u| u.name.clone()), unit, overdue })
        .collect();
    let reminders = state.store.supervision().reminders(None, 50).await?.into_iter().map(ReminderView::from).collect();
    let listings = state.store.listings().list(true, 10_000).await?;
    let open_listings = listings.len();
    let overdue_listings = listings.into_iter().filter(|l| l.overdue(now)).map(|l| listing_view(&state, l, now)).collect();
    let due_watches = state
        .store
        .watches().due(now + BOARD_WATCH_HORIZON, 500)
        .await?
        .into_iter()
        .map(|(watch, _)| watch_view(&state, watch, now))
        .collect();
    Ok(Json(Board {
        open_orders,
        orders_by_level: by_level,
        orders_by_unit: by_unit,
        orders_by_age: by_age,
        overdue_orders,
        overdue_cases_by_unit: overdue_cases,
        recent_reminders: reminders,
        open_listings,
        overdue_listings,
        due_watches,
    }))
}

/// The supervision board.
#[derive(Serialize, ToSchema)]
pub struct Board {
    open_orders: usize,
    /// Open orders by level.
    orders_by_level: BTreeMap<SupervisionLevel, u64>,
    /// Open orders by the unit they are addressed to.
    orders_by_unit: BTreeMap<String, u64>,
    /// Open orders by age bracket (`under_1_day`, `1_to_3_days`, …).
    orders_by_age: BTreeMap<&'static str, u64>,
    overdue_orders: Vec<OrderView>,
    /// The cases overdue now, by unit.
    overdue_cases_by_unit: Vec<UnitOverdue>,
    /// The latest 50 reminders.
    recent_reminders: Vec<ReminderView>,
    open_listings: usize,
    overdue_listings: Vec<ListingView>,
    /// The watches whose inspection is due within a day.
    due_watches: Vec<WatchView>,
}

#[derive(Serialize, ToSchema)]
pub struct UnitOverdue {
    unit: String,
    unit_name: Option<String>,
    overdue: i64,
}

/// A reminder the sweep sent for a case due soon or overdue.
#[derive(Serialize, ToSchema)]
pub struct ReminderView {
    case_id: CaseId,
    kind: ReminderKind,
    deadline: Timestamp,
    unit: Option<UnitCode>,
    at: Timestamp,
}

impl From<Reminder> for ReminderView {
    fn from(r: Reminder) -> Self {
        ReminderView { case_id: r.case_id, kind: r.kind, deadline: r.deadline, unit: r.unit, at: r.at }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RemindersQuery {
    /// A unit code; ignored for a unit's own staff, who see their unit's reminders only.
    unit: Option<UnitCode>,
}

/// `GET /api/v1/supervision/reminders?unit=CODE`: a unit's staff see their own unit's only.
#[utoipa::path(get, path = "/supervision/reminders", tag = "supervision", security(("bearer" = [])), params(RemindersQuery),
    responses((status = 200, description = "the latest 500 reminders", body = Items<ReminderView>),
        (status = 422, description = "an unknown unit")))]
pub async fn reminders(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<RemindersQuery>, QueryRejection>,
) -> Result<Json<Items<ReminderView>>, ApiError> {
    let Query(query) = query?;
    let unit = match who.actor.role {
        Role::HandlingUnit | Role::MemberUnit => who.actor.unit.clone(),
        _ => query.unit.clone(),
    };
    if let Some(code) = unit.as_deref()
        && state.unit(code).is_none()
    {
        return Err(ApiError::invalid("unit", format!("unknown unit {code:?}")));
    }
    let items = state.store.supervision().reminders(unit.as_deref(), 500).await?.into_iter().map(ReminderView::from).collect();
    Ok(Json(Items { items }))
}
