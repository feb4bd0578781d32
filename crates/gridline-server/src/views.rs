//! The JSON a client sees of a case: names beside codes, local times, the clock's reading, and the
//! reporter's phone masked for roles that must not see it.

use gridline_core::actor::{Actor, Role, mask_phone};
use gridline_core::case::{Case, CaseEvent, CaseStatus, Change, Channel, GeoPoint, Reporter, Satisfaction, SupervisionLevel};
use gridline_core::ids::CaseId;
use gridline_core::region::RegionLevel;
use gridline_core::sla::LimitUnit;
use gridline_core::workflow::allowed_actions;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
pub use gridline_core::calendar::local_time;

fn mask_reporter(value: &mut Value) {
    if let Some(phone) = value.pointer_mut("/phone")
        && let Some(text) = phone.as_str()
    {
        *phone = Value::String(mask_phone(text));
    }
}

/// A list answer: `{items}`.
#[derive(Serialize, ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// A region code with its name, e.g. the case's district.
#[derive(Serialize, ToSchema)]
pub struct RegionName<'a> {
    code: &'a str,
    name: &'a str,
}

#[derive(Serialize, ToSchema)]
struct ExtensionView<'a> {
    amount: u32,
    unit: LimitUnit,
    reason: &'a str,
    requested_at: String,
}

#[derive(Serialize, ToSchema)]
struct FeedbackView<'a> {
    text: &'a str,
    photos: &'a [String],
    at: String,
}

#[derive(Serialize, ToSchema)]
struct CallbackView<'a> {
    resolved: bool,
    satisfaction: Satisfaction,
    note: Option<&'a str>,
    at: String,
}

#[derive(Serialize, ToSchema)]
struct SuspensionView<'a> {
    reason: &'a str,
    since: String,
}

/// The case as the API shows it. A typed struct rather than a `json!` map: it is on the hot path
/// of intake and of every list. Times are Beijing time (`2024-10-08T17:00:00+08:00`).
#[derive(Serialize, ToSchema)]
pub struct CaseView<'a> {
    id: CaseId,
    version: u32,
    status: CaseStatus,
    channel: Channel,
    external_id: Option<&'a str>,
    category: Option<&'a str>,
    category_name: Option<String>,
    /// The code in the channel's own taxonomy, when the case came with one.
    source: Option<&'a gridline_core::crosswalk::SourceCode>,
    emergency: bool,
    category_version: Option<u32>,
    region: Option<&'a str>,
    region_name: Option<&'a str>,
    district: Option<RegionName<'a>>,
    unit: Option<&'a str>,
    unit_name: Option<String>,
    title: &'a str,
    description: &'a str,
    address: Option<&'a str>,
    location: Option<GeoPoint>,
    reporter: Option<Reporter>,
    photos: &'a [String],
    deadline: Option<String>,
    time_limit: Option<String>,
    time_left_seconds: Option<i64>,
    due_soon: bool,
    overdue: bool,
    suspended: bool,
    suspension: Option<SuspensionView<'a>>,
    pending_extension: Option<ExtensionView<'a>>,
    feedback: Option<FeedbackView<'a>>,
    callback: Option<CallbackView<'a>>,
    merged_into: Option<CaseId>,
    reject_reason: Option<&'a str>,
    return_reason: Option<&'a str>,
    rework_count: u32,
    return_count: u32,
    extension_count: u32,
    supervision_count: u32,
    supervision_level: Option<SupervisionLevel>,
    closed_late: Option<bool>,
    received_at: String,
    registered_at: Option<String>,
    dispatched_at: Option<String>,
    accepted_at: Option<String>,
    handled_at: Option<String>,
    closed_at: Option<String>,
    called_back_at: Option<String>,
    updated_at: String,
    allowed_actions: Vec<&'static str>,
    /// The classifier's category suggestion at intake (docs/text.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    suggestion: Option<&'a gridline_core::case::CategorySuggestion>,
    /// The history, oldest first: on the case's own page and after an action, not in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Vec<EventView<'a>>>,
}

/// One event of a case's history.
#[derive(Serialize, ToSchema)]
pub struct EventView<'a> {
    seq: u32,
    action: &'static str,
    actor: EventActor<'a>,
    unit: Option<&'a str>,
    unit_name: Option<String>,
    time: String,
    note: Option<&'a str>,
    /// What the action recorded (the intake, the unit dispatched to, the deadline…), by action.
    data: Value,
}

#[derive(Serialize, ToSchema)]
struct EventActor<'a> {
    id: i64,
    username: &'a str,
    role: Role,
}

/// The fields of a case that both sides of a link supervise by: no reporter, no description.
#[derive(Serialize, ToSchema)]
pub struct LinkedCase {
    id: CaseId,
    status: CaseStatus,
    channel: Channel,
    title: String,
    category: Option<String>,
    category_name: Option<String>,
    region: Option<String>,
    region_name: Option<String>,
    unit: Option<String>,
    unit_name: Option<String>,
    deadline: Option<String>,
    due_soon: bool,
    overdue: bool,
    supervision_level: Option<SupervisionLevel>,
}

impl From<CaseView<'_>> for LinkedCase {
    fn from(v: CaseView<'_>) -> Self {
        LinkedCase {
            id: v.id,
            status: v.status,
            channel: v.channel,
            title: v.title.to_owned(),
            category: v.category.map(str::to_owned),
            category_name: v.category_name,
            region: v.region.map(str::to_owned),
            region_name: v.region_name.map(str::to_owned),
            unit: v.unit.map(str::to_owned),
            unit_name: v.unit_name,
            deadline: v.deadline,
            due_soon: v.due_soon,
            overdue: v.overdue,
            supervision_level: v.supervision_level,
        }
    }
}

impl AppState {
    /// The case's view serialised straight to JSON text (the intake's answer).
    pub fn case_json(&self, case: &Case, viewer: &Actor, events: Option<&[CaseEvent]>, now: Timestamp) -> String {
        serde_json::to_string(&self.case_view(case, viewer, events, now)).unwrap_or_default()
    }

    /// The case as `viewer` may see it, with its events when given.
    pub fn case_view<'a>(&'a self, case: &'a Case, viewer: &Actor, events: Option<&'a [CaseEvent]>, now: Timestamp) -> CaseView<'a> {
        let calendar = gridline_core::calendar::WorkCalendar::china();
        let running = case.running_clock().map(|c| c.status(calendar, now));
        let intake = &case.intake;
        let reporter = intake.reporter.as_ref().map(|r| Reporter {
            name: r.name.clone(),
            phone: r.phone.as_deref().map(|p| if viewer.role.sees_phone_numbers() { p.to_owned() } else { mask_phone(p) }),
        });
        let region = case.region.as_deref().and_then(|r| self.regions.get(r));
        let district = case.region.as_deref().and_then(|r| self.regions.ancestor_at(r, RegionLevel::District));
        CaseView {
            id: case.id,
            version: case.version,
            status: case.status,
            channel: intake.channel,
            external_id: intake.external_id.as_deref(),
            category: case.category.as_deref(),
            category_name: case.category.as_deref().and_then(|c| self.reference().catalogue.get(c).map(|e| e.name.clone())),
            category_version: case.category_version,
            source: intake.source.as_ref(),
            emergency: intake.emergency,
            region: case.region.as_deref(),
            region_name: region.map(|r| r.name.as_str()),
            district: district.map(|d| RegionName { code: &d.code, name: &d.name }),
            unit: case.unit.as_deref(),
            unit_name: case.unit.as_deref().and_then(|u| self.unit(u)).map(|u| u.name.clone()),
            title: &intake.title,
            description: &intake.description,
            address: intake.address.as_deref(),
            location: intake.location,
            reporter,
            photos: &intake.photos,
            deadline: running.map(|c| local_time(c.deadline)),
            time_limit: case.clock.as_ref().map(|c| c.limit.to_string()),
            time_left_seconds: running.map(|c| c.time_left_seconds),
            due_soon: running.is_some_and(|c| c.due_soon),
            overdue: running.is_some_and(|c| c.overdue),
            suspended: case.is_suspended(),
            suspension: case.suspension.as_ref().map(|s| SuspensionView { reason: &s.reason, since: local_time(s.at) }),
            pending_extension: case.pending_extension.as_ref().map(|e| ExtensionView {
                amount: e.extension.amount,
                unit: e.extension.unit,
                reason: &e.reason,
                requested_at: local_time(e.at),
            }),
            feedback: case.feedback.as_ref().map(|f| FeedbackView { text: &f.text, photos: &f.photos, at: local_time(f.at) }),
            callback: case.callback.as_ref().map(|c| CallbackView {
                resolved: c.resolved,
                satisfaction: c.satisfaction,
                note: c.note.as_deref(),
                at: local_time(c.at),
            }),
            merged_into: case.merged_into,
            reject_reason: case.reject_reason.as_deref(),
            return_reason: case.return_reason.as_deref(),
            rework_count: case.rework_count,
            return_count: case.return_count,
            extension_count: case.extension_count,
            supervision_count: case.supervision_count,
            supervision_level: case.supervision_level,
            closed_late: case.closed_late,
            received_at: local_time(case.received_at),
            registered_at: case.registered_at.map(local_time),
            dispatched_at: case.dispatched_at.map(local_time),
            accepted_at: case.accepted_at.map(local_time),
            handled_at: case.handled_at.map(local_time),
            closed_at: case.closed_at.map(local_time),
            called_back_at: case.called_back_at.map(local_time),
            updated_at: local_time(case.updated_at),
            allowed_actions: allowed_actions(case)
                .into_iter()
                .filter(|action| gridline_core::workflow::role_may(viewer.role, action))
                .collect(),
            suggestion: intake.suggestion.as_ref(),
            events: events.map(|events| events.iter().map(|e| self.event_view(e, viewer)).collect()),
        }
    }

    fn event_view<'a>(&self, event: &'a CaseEvent, viewer: &Actor) -> EventView<'a> {
        let mut data = serde_json::to_value(&event.change).unwrap_or(Value::Null);
        if let Some(object) = data.as_object_mut() {
            object.remove("action");
        }
        if let (Change::Receive(_), false) = (&event.change, viewer.role.sees_phone_numbers())
            && let Some(reporter) = data.get_mut("reporter")
        {
            mask_reporter(reporter);
        }
        let unit_name = event.actor.unit.as_deref().and_then(|u| self.unit(u)).map(|u| u.name.clone());
        EventView {
            seq: event.seq,
            action: event.change.action(),
            actor: EventActor { id: event.actor.user_id, username: &event.actor.username, role: event.actor.role },
            unit: event.actor.unit.as_deref(),
            unit_name,
            time: local_time(event.at),
            note: event.change.note(),
            data,
        }
    }
}

#[cfg(test)]
mod local_time_tests {
    use super::local_time;
    use jiff::Timestamp;

    #[test]
    fn local_time_is_strftime_of_the_beijing_time() {
        let zone = gridline_core::calendar::WorkCalendar::china().time_zone().clone();
        // Beijing kept summer time in 1986–1991: the offset comes from the zone, not a constant.
        for text in ["2024-10-08T01:30:00Z", "1988-07-01T12:00:00Z", "1970-01-01T00:00:00Z", "2026-11-22T15:59:59.999Z"] {
            let at: Timestamp = text.parse().unwrap();
            assert_eq!(local_time(at), at.to_zoned(zone.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(), "{text}");
        }
    }
}
