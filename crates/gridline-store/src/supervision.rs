//! Supervision records: orders (督办) with their replies, and the reminders the sweep has sent.
//! `store.supervision()`.

use gridline_core::case::{Case, CaseId, SupervisionLevel};
use gridline_core::ids::UnitCode;
use gridline_core::supervision::{NewOrder, Order, ReminderKind, TargetKind};
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, FromRow};

use crate::cases::{CASE_COLUMNS, CaseFilter, CaseRow, Param, Visibility, bind, case_id, where_clause};
use crate::{Store, StoreError, from_millis, millis};

/// Which supervision orders a reader may see: those on the cases `visibility` admits (all of
/// them for [`Visibility::All`]), those addressed to `unit`, and those on places when `places`.
#[derive(Clone, Debug)]
pub struct OrderScope {
    pub visibility: Visibility,
    pub unit: Option<UnitCode>,
    pub places: bool,
}

/// A reminder the sweep decided for a case.
#[derive(Clone, Debug, PartialEq)]
pub struct Reminder {
    pub case_id: CaseId,
    pub kind: ReminderKind,
    pub deadline: Timestamp,
    pub unit: Option<UnitCode>,
    pub at: Timestamp,
}

fn level_of(text: &str) -> Result<SupervisionLevel, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| StoreError::corrupt(format!("supervision level {text:?}")))
}

fn level_name(level: SupervisionLevel) -> String {
    serde_json::to_value(level).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// A `supervision_orders` row as stored.
#[derive(FromRow)]
struct OrderRow {
    id: i64,
    target_kind: String,
    target: String,
    level: String,
    note: String,
    deadline: i64,
    raised_by: i64,
    raised_at: i64,
    reply: Option<String>,
    replied_by: Option<i64>,
    replied_at: Option<i64>,
}

impl TryFrom<OrderRow> for Order {
    type Error = StoreError;

    fn try_from(row: OrderRow) -> Result<Self, StoreError> {
        Ok(Order {
            id: row.id,
            target_kind: TargetKind::parse(&row.target_kind)
                .ok_or_else(|| StoreError::corrupt(format!("order target kind {:?}", row.target_kind)))?,
            target: row.target,
            level: level_of(&row.level)?,
            note: row.note,
            deadline: from_millis(row.deadline)?,
            raised_by: row.raised_by,
            raised_at: from_millis(row.raised_at)?,
            reply: row.reply,
            replied_by: row.replied_by,
            replied_at: row.replied_at.map(from_millis).transpose()?,
        })
    }
}

const ORDER_COLUMNS: &str = "id, target_kind, target, level, note, deadline, raised_by, raised_at, reply, replied_by, replied_at";

/// A `reminders` row as stored.
#[derive(FromRow)]
struct ReminderRow {
    case_id: i64,
    kind: String,
    deadline: i64,
    unit: Option<String>,
    at: i64,
}

impl TryFrom<ReminderRow> for Reminder {
    type Error = StoreError;

    fn try_from(row: ReminderRow) -> Result<Self, StoreError> {
        Ok(Reminder {
            case_id: case_id(row.case_id)?,
            kind: match row.kind.as_str() {
                "due_soon" => ReminderKind::DueSoon,
                "overdue" => ReminderKind::Overdue,
                other => return Err(StoreError::corrupt(format!("reminder kind {other:?}"))),
            },
            deadline: from_millis(row.deadline)?,
            unit: row.unit.map(UnitCode::try_from).transpose().map_err(StoreError::corrupt)?,
            at: from_millis(row.at)?,
        })
    }
}

/// Supervision orders, the reminder sweep's reads and what it sent.
pub struct Supervision<'a>(&'a Store);

impl Store {
    pub fn supervision(&self) -> Supervision<'_> {
        Supervision(self)
    }
}

impl Supervision<'_> {
    pub async fn create_order(&self, order: &NewOrder, by: i64, at: Timestamp) -> Result<Order, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO supervision_orders (target_kind, target, level, note, deadline, raised_by, raised_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(order.target_kind.as_str())
        .bind(order.target.clone())
        .bind(level_name(order.level))
        .bind(order.note.clone())
        .bind(millis(order.deadline))
        .bind(by)
        .bind(millis(at))
        .fetch_one(&self.0.pool)
        .await?;
        Ok(Order {
            id,
            target_kind: order.target_kind,
            target: order.target.clone(),
            level: order.level,
            note: order.note.clone(),
            deadline: order.deadline,
            raised_by: by,
            raised_at: at,
            reply: None,
            replied_by: None,
            replied_at: None,
        })
    }

    pub async fn order(&self, id: i64) -> Result<Option<Order>, StoreError> {
        let row: Option<OrderRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {ORDER_COLUMNS} FROM supervision_orders WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(Order::try_from).transpose()
    }

    /// The orders raised on one target (a case id, a unit code, a place), newest first.
    pub async fn orders_on(&self, kind: TargetKind, target: &str) -> Result<Vec<Order>, StoreError> {
        let rows: Vec<OrderRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM supervision_orders WHERE target_kind = $1 AND target = $2 ORDER BY id DESC"
        )))
        .bind(kind.as_str())
        .bind(target.to_owned())
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(Order::try_from).collect()
    }

    /// Orders `scope` admits, newest first; only those still waiting for a reply when `open_only`.
    pub async fn orders(&self, open_only: bool, scope: &OrderScope, limit: u32) -> Result<Vec<Order>, StoreError> {
        let mut conditions = vec![if open_only { "reply IS NULL" } else { "1 = 1" }.to_owned()];
        let mut params = Vec::new();
        if scope.visibility != Visibility::All {
            let (visible, case_params) = where_clause(&CaseFilter::new(scope.visibility.clone(), Timestamp::UNIX_EPOCH));
            params = case_params;
            let mut any = vec![format!("(target_kind = 'case' AND target IN (SELECT CAST(id AS TEXT) FROM cases WHERE {visible}))")];
            if let Some(unit) = &scope.unit {
                params.push(Param::Text(unit.to_string()));
                any.push(format!("(target_kind = 'unit' AND target = ${})", params.len()));
            }
            if scope.places {
                any.push("target_kind = 'place'".to_owned());
            }
            conditions.push(format!("({})", any.join(" OR ")));
        }
        let rows: Vec<OrderRow> = sqlx::query_as_with(
            AssertSqlSafe(format!(
                "SELECT {ORDER_COLUMNS} FROM supervision_orders WHERE {} ORDER BY id DESC LIMIT {limit}",
                conditions.join(" AND ")
            )),
            bind(&params),
        )
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(Order::try_from).collect()
    }

    /// Records the reply unless one is there already (then `Duplicate`): the reply is written once.
    pub async fn reply_order(&self, id: i64, reply: &str, by: i64, at: Timestamp) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE supervision_orders SET reply = $1, replied_by = $2, replied_at = $3 WHERE id = $4 AND reply IS NULL")
            .bind(reply.to_owned())
            .bind(by)
            .bind(millis(at))
            .bind(id)
            .execute(&self.0.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Duplicate(format!("supervision order {id} has already been answered")));
        }
        Ok(())
    }

    /// Cases whose unit's clock runs now (dispatched or accepted), for the reminder sweep.
    pub async fn cases_on_the_clock(&self, after_id: i64, limit: u32) -> Result<Vec<Case>, StoreError> {
        let rows: Vec<CaseRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE status IN ('dispatched', 'accepted') AND id > $1 ORDER BY id LIMIT {limit}"
        )))
        .bind(after_id)
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(Case::try_from).collect()
    }

    /// Stores the reminders not sent before (one per case, kind and deadline); returns how many are new.
    pub async fn record_reminders(&self, reminders: &[Reminder]) -> Result<u64, StoreError> {
        let mut new = 0;
        for r in reminders {
            let done = sqlx::query(
                "INSERT INTO reminders (case_id, kind, deadline, unit, at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (case_id, kind, deadline) DO NOTHING",
            )
            .bind(r.case_id.get())
            .bind(r.kind.as_str())
            .bind(millis(r.deadline))
            .bind(r.unit.as_deref())
            .bind(millis(r.at))
            .execute(&self.0.pool)
            .await?;
            new += done.rows_affected();
        }
        Ok(new)
    }

    /// Reminders sent, newest first; of one unit when given.
    pub async fn reminders(&self, unit: Option<&str>, limit: u32) -> Result<Vec<Reminder>, StoreError> {
        let rows: Vec<ReminderRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT case_id, kind, deadline, unit, at FROM reminders WHERE ($1 = '' OR unit = $1) ORDER BY at DESC, case_id DESC LIMIT {limit}"
        )))
        .bind(unit.unwrap_or("").to_owned())
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(Reminder::try_from).collect()
    }

    /// Cases past their deadline now, counted by unit (most first).
    pub async fn overdue_by_unit(&self, now: Timestamp) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT unit, COUNT(*) AS n FROM cases WHERE deadline IS NOT NULL AND deadline < $1 AND unit IS NOT NULL \
             GROUP BY unit ORDER BY n DESC, unit",
        )
        .bind(millis(now))
        .fetch_all(&self.0.pool)
        .await?)
    }
}
