//! The JSON a client sees of a case: names beside codes, local times, the clock's reading, and the
//! reporter's phone masked for roles that must not see it.

use gridline_core::actor::{Actor, mask_phone};
use gridline_core::case::{Case, CaseEvent, Change};
use gridline_core::workflow::allowed_actions;
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::AppState;

/// A timestamp as Beijing time, e.g. `2024-10-08T17:00:00+08:00`.
pub fn local_time(at: Timestamp) -> String {
    at.to_zoned(gridline_core::calendar::WorkCalendar::china().time_zone().clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn local_opt(at: Option<Timestamp>) -> Value {
    at.map_or(Value::Null, |t| Value::String(local_time(t)))
}

fn mask_reporter(value: &mut Value) {
    if let Some(phone) = value.pointer_mut("/phone")
        && let Some(text) = phone.as_str()
    {
        *phone = Value::String(mask_phone(text));
    }
}

impl AppState {
    fn region_ref(&self, code: Option<&str>) -> Value {
        code.map_or(Value::Null, |code| {
            let name = self.regions.get(code).map(|r| r.name.as_str());
            json!({ "code": code, "name": name })
        })
    }

    /// The case as `viewer` may see it, with its events when given.
    pub fn case_view(&self, case: &Case, viewer: &Actor, events: Option<&[CaseEvent]>, now: Timestamp) -> Value {
        let calendar = gridline_core::calendar::WorkCalendar::china();
        let running = case.running_clock().map(|c| c.status(calendar, now));
        let intake = &case.intake;
        let mut reporter = serde_json::to_value(&intake.reporter).unwrap_or(Value::Null);
        if !viewer.role.sees_phone_numbers() {
            mask_reporter(&mut reporter);
        }
        let category_name = case.category.as_deref().and_then(|c| self.catalogue.get(c)).map(|e| e.name.clone());
        let unit_name = case.unit.as_deref().and_then(|u| self.unit(u)).map(|u| u.name);
        let district = case
            .region
            .as_deref()
            .and_then(|r| self.regions.ancestor_at(r, gridline_core::region::RegionLevel::District))
            .map(|d| d.code.as_str());
        let viewer_actions: Vec<&str> = allowed_actions(case)
            .into_iter()
            .filter(|action| gridline_core::workflow::role_may(viewer.role, action))
            .collect();
        let mut view = json!({
            "id": case.id,
            "version": case.version,
            "status": case.status,
            "channel": intake.channel,
            "external_id": intake.external_id,
            "category": case.category,
            "category_name": category_name,
            "category_version": case.category_version,
            "region": case.region,
            "region_name": case.region.as_deref().and_then(|r| self.regions.get(r)).map(|r| r.name.clone()),
            "district": self.region_ref(district),
            "unit": case.unit,
            "unit_name": unit_name,
            "title": intake.title,
            "description": intake.description,
            "address": intake.address,
            "location": intake.location,
            "reporter": reporter,
            "photos": intake.photos,
            "deadline": running.map(|c| local_time(c.deadline)),
            "time_limit": case.clock.as_ref().map(|c| c.limit.to_string()),
            "time_left_seconds": running.map(|c| c.time_left_seconds),
            "due_soon": running.is_some_and(|c| c.due_soon),
            "overdue": running.is_some_and(|c| c.overdue),
            "suspended": case.is_suspended(),
            "suspension": case.suspension.as_ref().map(|s| json!({"reason": s.reason, "since": local_time(s.at)})),
            "pending_extension": case.pending_extension.as_ref().map(|e| json!({
                "amount": e.extension.amount, "unit": e.extension.unit, "reason": e.reason, "requested_at": local_time(e.at)
            })),
            "feedback": case.feedback.as_ref().map(|f| json!({"text": f.text, "photos": f.photos, "at": local_time(f.at)})),
            "callback": case.callback.as_ref().map(|c| json!({
                "resolved": c.resolved, "satisfaction": c.satisfaction, "note": c.note, "at": local_time(c.at)
            })),
            "merged_into": case.merged_into,
            "reject_reason": case.reject_reason,
            "return_reason": case.return_reason,
            "rework_count": case.rework_count,
            "return_count": case.return_count,
            "extension_count": case.extension_count,
            "supervision_count": case.supervision_count,
            "supervision_level": case.supervision_level,
            "closed_late": case.closed_late,
            "received_at": local_time(case.received_at),
            "registered_at": local_opt(case.registered_at),
            "dispatched_at": local_opt(case.dispatched_at),
            "accepted_at": local_opt(case.accepted_at),
            "handled_at": local_opt(case.handled_at),
            "closed_at": local_opt(case.closed_at),
            "called_back_at": local_opt(case.called_back_at),
            "updated_at": local_time(case.updated_at),
            "allowed_actions": viewer_actions,
        });
        if let Some(events) = events {
            view["events"] = events.iter().map(|e| self.event_view(e, viewer)).collect();
        }
        view
    }

    fn event_view(&self, event: &CaseEvent, viewer: &Actor) -> Value {
        let mut data = serde_json::to_value(&event.change).unwrap_or(Value::Null);
        if let Some(object) = data.as_object_mut() {
            object.remove("action");
        }
        if let (Change::Receive(_), false) = (&event.change, viewer.role.sees_phone_numbers())
            && let Some(reporter) = data.get_mut("reporter")
        {
            mask_reporter(reporter);
        }
        let unit_name = event.actor.unit.as_deref().and_then(|u| self.unit(u)).map(|u| u.name);
        json!({
            "seq": event.seq,
            "action": event.change.action(),
            "actor": { "id": event.actor.user_id, "username": event.actor.username, "role": event.actor.role },
            "unit": event.actor.unit,
            "unit_name": unit_name,
            "time": local_time(event.at),
            "note": event.change.note(),
            "data": data,
        })
    }
}
