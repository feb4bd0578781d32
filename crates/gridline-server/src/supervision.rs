//! Supervision over HTTP: orders (督办) on a case, a unit or a place with the reply of the
//! supervised, the board, the reminders, and the periodic sweep that sends them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gridline_core::actor::{Actor, Role};
use gridline_core::calendar::WorkCalendar;
use gridline_core::supervision::{NewOrder, Order, OrderState, TargetKind, age_bracket, reminder};
use gridline_store::Reminder;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::{ApiJson, AppState};

/// How often the sweep looks for cases due soon or overdue.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Cases read per page by the sweep.
const SWEEP_PAGE: u32 = 1000;

/// Sends the reminders that the running clocks call for and were not sent before; returns how
/// many were new.
pub async fn sweep(state: &AppState, now: Timestamp) -> Result<u64, ApiError> {
    let mut after = 0;
    let mut new = 0;
    loop {
        let cases = state.store.cases_on_the_clock(after, SWEEP_PAGE).await?;
        let Some(last) = cases.last() else { break };
        after = last.id;
        let reminders: Vec<Reminder> = cases
            .iter()
            .filter_map(|case| {
                reminder(case, WorkCalendar::china(), now).map(|(kind, deadline)| Reminder {
                    case_id: case.id,
                    kind,
                    deadline,
                    unit: case.unit.clone(),
                    at: now,
                })
            })
            .collect();
        new += state.store.record_reminders(&reminders).await?;
    }
    Ok(new)
}

/// Runs [`sweep`] every [`SWEEP_EVERY`] for as long as the server runs.
pub fn spawn_sweeper(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        loop {
            tick.tick().await;
            match sweep(&state, Timestamp::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminders = n, "supervision sweep sent reminders"),
                Err(err) => tracing::warn!(error = %err, "supervision sweep failed"),
            }
        }
    });
}

fn may_supervise(role: Role) -> bool {
    matches!(role, Role::Supervisor | Role::Admin)
}

fn order_json(order: &Order, now: Timestamp) -> Value {
    let mut v = json!(order);
    v["state"] = json!(order.state(now));
    v
}

/// `POST /api/v1/supervision/orders` `{target_kind, target, level, note, deadline}`
pub async fn create_order(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(new): ApiJson<NewOrder>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if !may_supervise(who.actor.role) {
        return Err(ApiError::Forbidden(format!("role {} may not raise supervision orders", who.actor.role.as_str())));
    }
    let now = Timestamp::now();
    let new = new.validate(now)?;
    match new.target_kind {
        TargetKind::Case => {
            let id: i64 = new.target.parse().map_err(|_| ApiError::invalid("target", "a case target is a case id"))?;
            if state.store.case(id).await?.is_none() {
                return Err(ApiError::invalid("target", format!("no case {id}")));
            }
        }
        TargetKind::Unit if state.unit(&new.target).is_none() => {
            return Err(ApiError::invalid("target", format!("unknown unit {:?}", new.target)));
        }
        TargetKind::Unit | TargetKind::Place => {}
    }
    let order = state.store.create_order(&new, who.actor.user_id, now).await?;
    Ok((StatusCode::CREATED, Json(order_json(&order, now))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrdersQuery {
    open: Option<String>,
}

/// `GET /api/v1/supervision/orders?open=true`
pub async fn orders(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<OrdersQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let open = match query.open.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(ApiError::invalid("open", format!("open is true or false, not {other:?}"))),
    };
    let now = Timestamp::now();
    let items: Vec<Value> = state.store.orders(open, 500).await?.iter().map(|o| order_json(o, now)).collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    reply: String,
}

impl AppState {
    /// The unit an order is addressed to: the unit itself, or the unit a case is with.
    async fn order_unit(&self, order: &Order) -> Result<Option<String>, ApiError> {
        Ok(match order.target_kind {
            TargetKind::Unit => Some(order.target.clone()),
            TargetKind::Case => match order.target.parse::<i64>() {
                Ok(id) => self.store.case(id).await?.and_then(|c| c.unit),
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
pub async fn reply(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<ReplyBody>,
) -> Result<Json<Value>, ApiError> {
    let Path(id) = path?;
    let id: i64 = id.parse().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::BadRequest(format!("order id must be a positive number, not {id:?}")))?;
    let order = state.store.order(id).await?.ok_or_else(|| ApiError::NotFound(format!("supervision order {id} not found")))?;
    let unit = state.order_unit(&order).await?;
    if !may_reply(&who.actor, unit.as_deref()) {
        return Err(ApiError::Forbidden("only the supervised unit, a dispatcher or an administrator answers this order".into()));
    }
    let text = order.check_reply(&body.reply)?;
    let now = Timestamp::now();
    state.store.reply_order(id, &text, who.actor.user_id, now).await?;
    let order = state.store.order(id).await?.ok_or_else(|| ApiError::Internal(format!("order {id} vanished")))?;
    Ok(Json(order_json(&order, now)))
}

/// `GET /api/v1/supervision/board`: open orders by level, unit and age, what is overdue now by
/// unit, and the latest reminders.
pub async fn board(State(state): State<Arc<AppState>>, _who: SignedIn) -> Result<Json<Value>, ApiError> {
    let now = Timestamp::now();
    let open = state.store.orders(true, 10_000).await?;
    let mut by_level: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_unit: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_age: BTreeMap<&str, u64> = BTreeMap::new();
    let mut overdue_orders = Vec::new();
    for order in &open {
        *by_level.entry(json!(order.level).as_str().unwrap_or_default().to_owned()).or_default() += 1;
        if let Some(unit) = state.order_unit(order).await? {
            *by_unit.entry(unit).or_default() += 1;
        }
        *by_age.entry(age_bracket(order.raised_at, now)).or_default() += 1;
        if order.state(now) == OrderState::Overdue {
            overdue_orders.push(order_json(order, now));
        }
    }
    let overdue_cases: Vec<Value> = state
        .store
        .overdue_by_unit(now)
        .await?
        .into_iter()
        .map(|(unit, n)| json!({ "unit": unit, "unit_name": state.unit(&unit).map(|u| u.name), "overdue": n }))
        .collect();
    let reminders: Vec<Value> = state.store.reminders(None, 50).await?.iter().map(reminder_json).collect();
    Ok(Json(json!({
        "open_orders": open.len(),
        "orders_by_level": by_level, "orders_by_unit": by_unit, "orders_by_age": by_age,
        "overdue_orders": overdue_orders, "overdue_cases_by_unit": overdue_cases, "recent_reminders": reminders,
    })))
}

fn reminder_json(r: &Reminder) -> Value {
    json!({ "case_id": r.case_id, "kind": r.kind, "deadline": r.deadline, "unit": r.unit, "at": r.at })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemindersQuery {
    unit: Option<String>,
}

/// `GET /api/v1/supervision/reminders?unit=CODE`: a unit's staff see their own unit's only.
pub async fn reminders(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<RemindersQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
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
    let items: Vec<Value> = state.store.reminders(unit.as_deref(), 500).await?.iter().map(reminder_json).collect();
    Ok(Json(json!({ "items": items })))
}

/// The routes of this module, merged into `/api/v1`.
pub fn routes() -> axum::Router<Arc<AppState>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/supervision/orders", get(orders).post(create_order))
        .route("/supervision/orders/{id}/reply", post(reply))
        .route("/supervision/board", get(board))
        .route("/supervision/reminders", get(reminders))
}
