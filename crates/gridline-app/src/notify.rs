//! Notifications: what the platform tells a unit (or whoever answers for it) when something lands
//! in its inbox — a case assigned or returned to it for rework, a 督办单 issued, a deadline near
//! or passed. The inbox (`crate::inbox`) is where people work from; a notification only says
//! that something arrived, so a lost one loses nothing.
//!
//! [`Notifier`] is the seam an SMS or messaging gateway plugs into: [`Logged`] (the default)
//! writes each notice to the log, [`Webhook`] posts it as JSON to a configured URL
//! (`GRIDLINE_NOTIFY_WEBHOOK`; docs/configuration.md), where a small adapter can forward it to
//! any gateway. Sending never blocks or fails the action that caused it.

use std::sync::Arc;
use std::time::Duration;

use gridline_core::case::{Case, CaseEvent, CaseId, Change, SupervisionLevel};
use gridline_core::ids::UnitCode;
use gridline_core::supervision::ReminderKind;
use jiff::Timestamp;
use serde::Serialize;

use crate::AppError;

/// The environment variable naming the webhook URL; without it notices are only logged.
pub const WEBHOOK_ENV: &str = "GRIDLINE_NOTIFY_WEBHOOK";
/// How long a webhook post may take before it is given up (and logged).
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 新派单: a case dispatched to the unit.
    Assigned,
    /// 返工: verification failed; the case is back with the unit.
    Rework,
    /// 督办单: a supervision order addressed to the unit (or on one of its cases).
    Order,
    /// 临期: at most a fifth of the case's allowance left.
    DueSoon,
    /// 超期: past the case's deadline.
    Overdue,
}

/// One notice: the JSON body the webhook receives.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Notice {
    pub kind: NoticeKind,
    /// The unit it is for, when it is for a unit (an order on a place is for the dispatchers).
    pub unit: Option<UnitCode>,
    pub case_id: Option<CaseId>,
    pub order_id: Option<i64>,
    /// The case's title or the order's text.
    pub title: String,
    pub deadline: Option<Timestamp>,
    pub level: Option<SupervisionLevel>,
    pub at: Timestamp,
}

impl Notice {
    /// The notice an event on a case calls for: a dispatch tells the unit it now has the case, a
    /// failed verification tells it the case is back. `case` is the case after the event.
    pub fn of_event(case: &Case, event: &CaseEvent) -> Option<Notice> {
        let kind = match &event.change {
            Change::Dispatch { .. } => NoticeKind::Assigned,
            Change::Verify { passed: false, .. } => NoticeKind::Rework,
            _ => return None,
        };
        Some(Notice {
            kind,
            unit: case.unit.clone(),
            case_id: Some(case.id),
            order_id: None,
            title: case.intake.title.clone(),
            deadline: case.clock.as_ref().map(|c| c.deadline),
            level: None,
            at: event.at,
        })
    }

    /// The notice of a 督办单 just issued, for `unit` (the unit addressed, or the unit the case is
    /// with; none for an order on a place).
    pub fn of_order(order: &gridline_core::supervision::Order, unit: Option<UnitCode>) -> Notice {
        Notice {
            kind: NoticeKind::Order,
            unit,
            case_id: None,
            order_id: Some(order.id),
            title: order.note.clone(),
            deadline: Some(order.deadline),
            level: Some(order.level),
            at: order.raised_at,
        }
    }

    /// The notice of a reminder the sweep sent for the first time.
    pub fn of_reminder(case: &Case, kind: ReminderKind, deadline: Timestamp, at: Timestamp) -> Notice {
        Notice {
            kind: match kind {
                ReminderKind::DueSoon => NoticeKind::DueSoon,
                ReminderKind::Overdue => NoticeKind::Overdue,
            },
            unit: case.unit.clone(),
            case_id: Some(case.id),
            order_id: None,
            title: case.intake.title.clone(),
            deadline: Some(deadline),
            level: None,
            at,
        }
    }
}

/// Where notices go. `send` must return at once (a slow gateway is the sender's own business,
/// done in a task of its own) and never fails the caller.
pub trait Notifier: Send + Sync {
    fn send(&self, notice: Notice);
}

/// The default: each notice is a line in the log (target `gridline::notify`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Logged;

impl Notifier for Logged {
    fn send(&self, notice: Notice) {
        tracing::info!(
            target: "gridline::notify",
            kind = ?notice.kind,
            unit = notice.unit.as_deref().unwrap_or(""),
            case = notice.case_id.map(|c| c.get()),
            order = notice.order_id,
            "notice"
        );
    }
}

/// Posts each notice as JSON (`Content-Type: application/json`, the [`Notice`] fields) to one
/// URL, from a task of its own, giving up after [`WEBHOOK_TIMEOUT`]; a failure is logged. Every
/// notice is logged as [`Logged`] does too, so the log shows what was sent.
#[derive(Clone, Debug)]
pub struct Webhook {
    url: reqwest::Url,
    client: reqwest::Client,
}

impl Webhook {
    /// A sender to `url`, an `http://` URL: the binary is built without a TLS client (the
    /// offline build has none), so the receiver is an adapter on the local network or a relay
    /// that speaks TLS onwards (docs/configuration.md).
    pub fn new(url: &str) -> Result<Webhook, AppError> {
        let url = reqwest::Url::parse(url.trim()).map_err(|e| AppError::Internal(format!("{WEBHOOK_ENV}: {url:?} is not a URL: {e}")))?;
        if url.scheme() != "http" {
            return Err(AppError::Internal(format!(
                "{WEBHOOK_ENV}: {url} is not an http:// URL (this build posts without TLS: point it at a local adapter or relay)"
            )));
        }
        let client = reqwest::Client::builder().timeout(WEBHOOK_TIMEOUT).build().map_err(|e| AppError::Internal(format!("webhook client: {e}")))?;
        Ok(Webhook { url, client })
    }

    /// Posts one notice and waits for the answer: what [`Notifier::send`] does in its task.
    pub async fn post(&self, notice: &Notice) -> Result<(), String> {
        let answer = self.client.post(self.url.clone()).json(notice).send().await.map_err(|e| e.to_string())?;
        if answer.status().is_success() { Ok(()) } else { Err(format!("answered {}", answer.status())) }
    }
}

impl Notifier for Webhook {
    fn send(&self, notice: Notice) {
        Logged.send(notice.clone());
        let hook = self.clone();
        // Outside a runtime (a CLI command without one) there is nowhere to post from: logged only.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        runtime.spawn(async move {
            if let Err(err) = hook.post(&notice).await {
                tracing::warn!(target: "gridline::notify", url = %hook.url, error = %err, "webhook notice not delivered");
            }
        });
    }
}

/// The notifier the environment asks for: a [`Webhook`] to `GRIDLINE_NOTIFY_WEBHOOK` when set
/// (and not empty), else [`Logged`].
pub fn from_env() -> Result<Arc<dyn Notifier>, AppError> {
    match std::env::var(WEBHOOK_ENV) {
        Ok(url) if !url.trim().is_empty() => Ok(Arc::new(Webhook::new(&url)?)),
        _ => Ok(Arc::new(Logged)),
    }
}
