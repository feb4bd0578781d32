//! Each person's to-do (待办): one place computes what a user has to deal with from the store —
//! for a unit's staff the cases assigned or sent back to the unit, those due soon or overdue (the
//! sweep's reminders), the 督办单 waiting for the unit's reply, and the dispatchers' answers to its
//! extension requests and their suspensions; for a dispatcher the cases units returned (退单) and
//! the orders on places; for a supervisor the replies to the orders they raised and those past
//! their deadline unanswered. Nothing here is stored but the reading: each item has a key naming
//! what it is about and the moment it arose, and `inbox_reads` keeps the keys a user has read.

use std::collections::{BTreeMap, HashMap, HashSet};

use gridline_core::actor::{Actor, Role};
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{Case, CaseId, CaseStatus, Change, SupervisionLevel};
use gridline_core::supervision::{Order, OrderState, ReminderKind, TargetKind, reminder};
use gridline_core::{DomainError, Reason};
use gridline_store::{CaseFilter, EventRecord, Reminder, Visibility};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{App, AppError};

/// How far back the inbox looks for answers, replies and returned cases: two weeks.
pub const LOOK_BACK: SignedDuration = SignedDuration::from_hours(14 * 24);
/// Readings are forgotten after this: their items have left every inbox by then.
const FORGET_AFTER: SignedDuration = SignedDuration::from_hours(60 * 24);
/// Most open cases of a status read for one inbox, and most orders.
const MAX_CASES: u32 = 500;
const MAX_ORDERS: u32 = 500;
/// Most items one `mark read` may name.
pub const MAX_MARK: usize = 200;

/// What an inbox item is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// 新派单: a case dispatched to the unit, waiting for 签收 or 退单.
    Assigned,
    /// 返工: verification failed; the case is back with the unit.
    Rework,
    /// 督办单: an order waiting for the reply of the unit (or, on a place, of the dispatcher).
    Order,
    /// 临期提醒: a case of the unit with at most a fifth of its allowance left.
    DueSoon,
    /// 超期提醒: a case of the unit past its deadline.
    Overdue,
    /// 延期答复: the dispatcher approved or refused the unit's extension request.
    ExtensionAnswer,
    /// 挂起: the dispatcher suspended a case of the unit (its clock stands still).
    Suspended,
    /// 恢复: a suspended case of the unit runs again.
    Resumed,
    /// 退单: a unit returned a case; the dispatcher dispatches it again.
    Returned,
    /// 督办回复: the supervised answered an order the supervisor raised.
    OrderReplied,
    /// 督办超期: an order the supervisor raised is past its deadline without a reply.
    OrderOverdue,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Assigned => "assigned",
            ItemKind::Rework => "rework",
            ItemKind::Order => "order",
            ItemKind::DueSoon => "due_soon",
            ItemKind::Overdue => "overdue",
            ItemKind::ExtensionAnswer => "extension_answer",
            ItemKind::Suspended => "suspended",
            ItemKind::Resumed => "resumed",
            ItemKind::Returned => "returned",
            ItemKind::OrderReplied => "order_replied",
            ItemKind::OrderOverdue => "order_overdue",
        }
    }
}

/// One thing to deal with.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct InboxItem {
    /// Stable key of the item (`assigned:42:1764979200000`, `order:7`): what `POST
    /// /inbox/read` takes. A new occurrence (a case dispatched again) is a new key.
    pub id: String,
    pub kind: ItemKind,
    /// When it arose.
    pub at: Timestamp,
    #[schema(value_type = Option<i64>)]
    pub case_id: Option<CaseId>,
    pub order_id: Option<i64>,
    /// The case's title, or the order's text.
    pub title: String,
    /// The reason, answer or reply that came with it (a return's reason, a dispatcher's note, a
    /// supervised unit's reply).
    pub note: Option<String>,
    /// The case's or the order's deadline.
    pub deadline: Option<Timestamp>,
    /// An extension answer: approved or refused.
    pub approved: Option<bool>,
    /// An order's level.
    pub level: Option<SupervisionLevel>,
    /// What an order is on (`case`, `unit`, `place`) and its target.
    pub target_kind: Option<TargetKind>,
    pub target: Option<String>,
    /// When the sweep sent the reminder (due-soon and overdue items).
    pub reminded_at: Option<Timestamp>,
    /// Not read by this user yet.
    pub unread: bool,
}

/// A user's to-do list, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Inbox {
    pub items: Vec<InboxItem>,
    pub total: usize,
    /// Items not read yet: the count in the page header.
    pub unread: usize,
    /// Unread items by kind.
    pub unread_by_kind: BTreeMap<ItemKind, usize>,
}

fn item(kind: ItemKind, key: String, at: Timestamp, title: String) -> InboxItem {
    InboxItem {
        id: format!("{}:{key}", kind.as_str()),
        kind,
        at,
        case_id: None,
        order_id: None,
        title,
        note: None,
        deadline: None,
        approved: None,
        level: None,
        target_kind: None,
        target: None,
        reminded_at: None,
        unread: true,
    }
}

fn case_item(kind: ItemKind, case: &Case, key: impl std::fmt::Display, at: Timestamp) -> InboxItem {
    InboxItem {
        case_id: Some(case.id),
        deadline: case.clock.as_ref().map(|c| c.deadline),
        ..item(kind, format!("{}:{key}", case.id.get()), at, case.intake.title.clone())
    }
}

fn order_item(kind: ItemKind, order: &Order, at: Timestamp) -> InboxItem {
    InboxItem {
        order_id: Some(order.id),
        deadline: Some(order.deadline),
        level: Some(order.level),
        target_kind: Some(order.target_kind),
        target: Some(order.target.clone()),
        note: order.reply.clone(),
        ..item(kind, order.id.to_string(), at, order.note.clone())
    }
}

/// The items of a unit: `cases` are its open cases on the clock (dispatched or accepted),
/// `events` the recent events on them, `orders` the open orders addressed to it or on its cases,
/// `reminders` what the sweep sent it.
pub fn unit_items(cases: &[Case], events: &[EventRecord], orders: &[Order], reminders: &[Reminder], calendar: &WorkCalendar, now: Timestamp) -> Vec<InboxItem> {
    let sent: HashMap<(CaseId, &str, Timestamp), Timestamp> = reminders.iter().map(|r| ((r.case_id, r.kind.as_str(), r.deadline), r.at)).collect();
    let by_id: HashMap<CaseId, &Case> = cases.iter().map(|c| (c.id, c)).collect();
    let mut items = Vec::new();
    for case in cases {
        if case.status == CaseStatus::Dispatched
            && let Some(at) = case.dispatched_at
        {
            items.push(case_item(ItemKind::Assigned, case, at.as_millisecond(), at));
        }
        if let Some((kind, deadline)) = reminder(case, calendar, now) {
            let reminded_at = sent.get(&(case.id, kind.as_str(), deadline)).copied();
            let (kind, arose) = match kind {
                ReminderKind::Overdue => (ItemKind::Overdue, deadline),
                ReminderKind::DueSoon => (ItemKind::DueSoon, case.running_clock().and_then(|c| c.due_soon_from(calendar)).unwrap_or(now)),
            };
            items.push(InboxItem { reminded_at, deadline: Some(deadline), ..case_item(kind, case, deadline.as_millisecond(), reminded_at.unwrap_or(arose)) });
        }
    }
    for record in events {
        let Some(case) = by_id.get(&record.case_id) else { continue };
        // What happened before the case came to this unit (another unit's extension) is not its business.
        if case.dispatched_at.is_some_and(|d| record.event.at < d) {
            continue;
        }
        let event = &record.event;
        let with = |kind: ItemKind| case_item(kind, case, event.seq, event.at);
        items.push(match &event.change {
            Change::Verify { passed: false, note } => InboxItem { note: note.clone(), ..with(ItemKind::Rework) },
            Change::ApproveExtension { approved, note, .. } => InboxItem { approved: Some(*approved), note: note.clone(), ..with(ItemKind::ExtensionAnswer) },
            Change::Suspend { reason, .. } => InboxItem { note: Some(reason.clone()), ..with(ItemKind::Suspended) },
            Change::Resume { note, .. } => InboxItem { note: note.clone(), ..with(ItemKind::Resumed) },
            _ => continue,
        });
    }
    items.extend(orders.iter().filter(|o| o.reply.is_none()).map(|o| order_item(ItemKind::Order, o, o.raised_at)));
    items
}

/// The items of a dispatcher: the cases units returned (`returned`, within what they may see) and
/// the open orders on places, which dispatchers answer.
pub fn dispatcher_items(returned: &[Case], orders: &[Order]) -> Vec<InboxItem> {
    let mut items: Vec<InboxItem> = returned
        .iter()
        .filter(|c| c.status == CaseStatus::Returned)
        .map(|c| InboxItem { note: c.return_reason.clone(), ..case_item(ItemKind::Returned, c, c.return_count, c.updated_at) })
        .collect();
    items.extend(
        orders
            .iter()
            .filter(|o| o.reply.is_none() && o.target_kind == TargetKind::Place)
            .map(|o| order_item(ItemKind::Order, o, o.raised_at)),
    );
    items
}

/// The items of a supervisor (`user`): replies to the orders they raised within [`LOOK_BACK`],
/// and their orders past the deadline without a reply.
pub fn supervisor_items(user: i64, orders: &[Order], now: Timestamp) -> Vec<InboxItem> {
    orders
        .iter()
        .filter(|o| o.raised_by == user)
        .filter_map(|o| match (o.state(now), o.replied_at) {
            (OrderState::Replied | OrderState::RepliedLate, Some(at)) if now.duration_since(at) <= LOOK_BACK => {
                Some(order_item(ItemKind::OrderReplied, o, at))
            }
            (OrderState::Overdue, _) => Some(order_item(ItemKind::OrderOverdue, o, o.deadline)),
            _ => None,
        })
        .collect()
}

/// The inbox of `items` for a user who has read `read`: newest first, each marked unread or not.
pub fn assemble(mut items: Vec<InboxItem>, read: &HashSet<String>) -> Inbox {
    let mut seen = HashSet::new();
    items.retain(|i| seen.insert(i.id.clone()));
    items.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
    let mut unread_by_kind = BTreeMap::new();
    for item in &mut items {
        item.unread = !read.contains(&item.id);
        if item.unread {
            *unread_by_kind.entry(item.kind).or_default() += 1;
        }
    }
    Inbox { total: items.len(), unread: unread_by_kind.values().sum(), unread_by_kind, items }
}

impl App {
    /// The to-do list of `actor` at `now`.
    pub async fn inbox(&self, actor: &Actor, now: Timestamp) -> Result<Inbox, AppError> {
        let items = self.inbox_items(actor, now).await?;
        let read = self.store.inbox().read_items(actor.user_id).await?;
        Ok(assemble(items, &read))
    }

    async fn inbox_items(&self, actor: &Actor, now: Timestamp) -> Result<Vec<InboxItem>, AppError> {
        let scope = self.order_scope(actor);
        Ok(match actor.role {
            Role::HandlingUnit | Role::MemberUnit => {
                let Some(unit) = actor.unit.clone() else { return Ok(Vec::new()) };
                let mut cases = Vec::new();
                for status in [CaseStatus::Dispatched, CaseStatus::Accepted] {
                    let filter = CaseFilter {
                        status: Some(status),
                        unit: Some(unit.to_string()),
                        page_size: MAX_CASES,
                        ..CaseFilter::new(Visibility::Unit(unit.clone()), now)
                    };
                    cases.extend(self.store.cases().list(&filter).await?.cases);
                }
                let ids: Vec<CaseId> = cases.iter().map(|c| c.id).collect();
                let events = self
                    .store
                    .inbox()
                    .events_of(&ids, &["verify", "approve_extension", "suspend", "resume"], now - LOOK_BACK, MAX_CASES)
                    .await?;
                let orders = self.store.supervision().orders(true, &scope, MAX_ORDERS).await?;
                let reminders = self.store.supervision().reminders(Some(unit.as_str()), MAX_CASES).await?;
                unit_items(&cases, &events, &orders, &reminders, WorkCalendar::china(), now)
            }
            Role::Dispatcher => {
                let filter = CaseFilter { status: Some(CaseStatus::Returned), page_size: MAX_CASES, ..CaseFilter::new(scope.visibility.clone(), now) };
                let returned = self.store.cases().list(&filter).await?.cases;
                let orders = self.store.supervision().orders(true, &scope, MAX_ORDERS).await?;
                dispatcher_items(&returned, &orders)
            }
            Role::Supervisor | Role::Admin => {
                let orders = self.store.supervision().orders(false, &scope, MAX_ORDERS).await?;
                supervisor_items(actor.user_id, &orders, now)
            }
            Role::HotlineOperator | Role::GridWorker | Role::Inspector => Vec::new(),
        })
    }

    /// Marks `items` of `actor`'s inbox read (all of them when `items` is `None`); every key
    /// must be an item of the inbox now. Returns the inbox after.
    pub async fn mark_read(&self, actor: &Actor, items: Option<&[String]>, now: Timestamp) -> Result<Inbox, AppError> {
        let current = self.inbox_items(actor, now).await?;
        let keys: Vec<String> = match items {
            None => current.iter().map(|i| i.id.clone()).collect(),
            Some(asked) => {
                if asked.is_empty() {
                    return Err(DomainError::Refused(Reason::new("required").on("items")).into());
                }
                if asked.len() > MAX_MARK {
                    return Err(DomainError::Refused(Reason::new("inbox_too_many").on("items").with("max", MAX_MARK)).into());
                }
                let known: HashSet<&str> = current.iter().map(|i| i.id.as_str()).collect();
                if let Some(unknown) = asked.iter().find(|k| !known.contains(k.as_str())) {
                    let shown: String = unknown.chars().take(80).collect();
                    return Err(DomainError::Refused(Reason::new("inbox_item_unknown").on("items").with("item", shown)).into());
                }
                asked.to_vec()
            }
        };
        self.store.inbox().mark_read(actor.user_id, &keys, now, now - FORGET_AFTER).await?;
        let read = self.store.inbox().read_items(actor.user_id).await?;
        Ok(assemble(current, &read))
    }
}

#[cfg(test)]
mod tests {
    use gridline_core::case::{CaseEvent, Channel, Intake};
    use gridline_core::sla::{LimitUnit, SlaClock, TimeLimit};

    use super::*;

    /// A Beijing local time, `YYYY-MM-DD HH:MM`.
    fn bj(text: &str) -> Timestamp {
        let civil: jiff::civil::DateTime = text.parse().unwrap();
        civil.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).unwrap().timestamp()
    }

    fn cal() -> &'static WorkCalendar {
        WorkCalendar::china()
    }

    /// A case history written event by event; natural-hour clocks so deadlines are plain.
    struct History {
        events: Vec<CaseEvent>,
        case: Case,
    }

    impl History {
        fn received(id: i64, at: &str) -> History {
            let intake = Intake {
                channel: Channel::Hotline,
                external_id: None,
                category: None,
                category_version: None,
                source: None,
                emergency: false,
                suggestion: None,
                region: Some("110105026000".parse().unwrap()),
                title: format!("案件{id}"),
                description: "d".into(),
                address: None,
                location: None,
                reporter: None,
                photos: vec![],
            };
            let first = CaseEvent { seq: 1, at: bj(at), actor: actor(), change: Change::Receive(intake) };
            let case = Case::received(CaseId::new(id).unwrap(), &first).unwrap();
            History { events: vec![first], case }
        }

        fn then(mut self, at: &str, change: Change) -> History {
            let event = CaseEvent { seq: self.events.len() as u32 + 1, at: bj(at), actor: actor(), change };
            self.case.apply(&event);
            self.events.push(event);
            self
        }

        fn dispatched(id: i64, at: &str, unit: &str, hours: u32) -> History {
            let h = History::received(id, at);
            let region = h.case.region.clone().unwrap();
            let clock = SlaClock::start(cal(), bj(at), TimeLimit::new(hours, LimitUnit::Hours));
            h.then(at, Change::Register { category: "0101".parse().unwrap(), category_version: 1, region, note: None })
                .then(at, Change::Dispatch { unit: unit.parse().unwrap(), clock, note: None, rule: None })
        }

        fn records(&self) -> Vec<EventRecord> {
            self.events.iter().map(|e| EventRecord { case_id: self.case.id, event: e.clone() }).collect()
        }
    }

    fn actor() -> Actor {
        Actor { user_id: 1, username: "t".into(), role: Role::Admin, unit: None }
    }

    fn order(id: i64, kind: TargetKind, target: &str, deadline: &str) -> Order {
        Order {
            id,
            target_kind: kind,
            target: target.into(),
            level: SupervisionLevel::Key,
            note: "请于期限内整改".into(),
            deadline: bj(deadline),
            raised_by: 9,
            raised_at: bj("2026-05-04 10:00"),
            reply: None,
            replied_by: None,
            replied_at: None,
        }
    }

    fn kinds(items: &[InboxItem]) -> Vec<(ItemKind, Option<i64>)> {
        let mut k: Vec<_> = items.iter().map(|i| (i.kind, i.case_id.map(|c| c.get()).or(i.order_id))).collect();
        k.sort();
        k
    }

    #[test]
    fn a_unit_sees_what_was_assigned_sent_back_answered_and_is_due() {
        // 1: just dispatched; 2: accepted, 10 h clock, due soon at 17:30; 3: accepted, overdue;
        // 4: handled then failed verification (rework); 5: extension refused, then suspended.
        let assigned = History::dispatched(1, "2026-05-04 09:00", "U1", 48);
        let due_soon = History::dispatched(2, "2026-05-04 09:00", "U1", 10).then("2026-05-04 09:30", Change::Accept { note: None });
        let overdue = History::dispatched(3, "2026-05-03 09:00", "U1", 10).then("2026-05-03 09:30", Change::Accept { note: None });
        let rework = History::dispatched(4, "2026-05-04 08:00", "U1", 48)
            .then("2026-05-04 08:10", Change::Accept { note: None })
            .then("2026-05-04 12:00", Change::Handle { feedback: "done".into(), photos: vec![] })
            .then("2026-05-04 14:00", Change::Verify { passed: false, note: Some("仍有垃圾".into()) });
        let h5 = History::dispatched(5, "2026-05-04 08:00", "U1", 48).then("2026-05-04 08:10", Change::Accept { note: None });
        let request = Change::RequestExtension { extension: TimeLimit::new(2, LimitUnit::Hours), reason: "r".into() };
        let paused = h5.case.clock.as_ref().unwrap().paused(cal(), bj("2026-05-04 16:00"));
        let h5 = h5
            .then("2026-05-04 15:00", request)
            .then("2026-05-04 15:30", Change::ApproveExtension { approved: false, clock: None, note: Some("理由不足".into()) })
            .then("2026-05-04 16:00", Change::Suspend { reason: "等待施工".into(), clock: paused });
        let histories = [&assigned, &due_soon, &overdue, &rework, &h5];
        let cases: Vec<Case> = histories.iter().map(|h| h.case.clone()).collect();
        let events: Vec<EventRecord> = histories.iter().flat_map(|h| h.records()).collect();
        let now = bj("2026-05-04 17:30");
        let sent = Reminder { case_id: CaseId::new(3).unwrap(), kind: ReminderKind::Overdue, deadline: bj("2026-05-03 19:00"), unit: None, at: bj("2026-05-03 19:01") };
        let orders = [order(7, TargetKind::Unit, "U1", "2026-05-06 17:00"), answered(order(8, TargetKind::Case, "1", "2026-05-06 17:00"))];
        let items = unit_items(&cases, &events, &orders, &[sent], cal(), now);
        assert_eq!(
            kinds(&items),
            vec![
                (ItemKind::Assigned, Some(1)),
                (ItemKind::Rework, Some(4)),
                (ItemKind::Order, Some(7)),
                (ItemKind::DueSoon, Some(2)),
                (ItemKind::Overdue, Some(3)),
                (ItemKind::ExtensionAnswer, Some(5)),
                (ItemKind::Suspended, Some(5)),
            ]
        );
        let overdue_item = items.iter().find(|i| i.kind == ItemKind::Overdue).unwrap();
        assert_eq!(overdue_item.reminded_at, Some(bj("2026-05-03 19:01")), "the sweep's reminder is the item");
        assert_eq!(overdue_item.id, format!("overdue:3:{}", bj("2026-05-03 19:00").as_millisecond()));
        let answer = items.iter().find(|i| i.kind == ItemKind::ExtensionAnswer).unwrap();
        assert_eq!((answer.approved, answer.note.as_deref()), (Some(false), Some("理由不足")));
        assert_eq!(items.iter().find(|i| i.kind == ItemKind::Rework).unwrap().note.as_deref(), Some("仍有垃圾"));
    }

    #[test]
    fn events_from_before_the_case_came_to_the_unit_are_not_its_business() {
        // Suspended and resumed while with U0, returned, dispatched to U1.
        let h = History::dispatched(1, "2026-05-04 08:00", "U0", 48);
        let paused = h.case.clock.as_ref().unwrap().paused(cal(), bj("2026-05-04 09:00"));
        let h = h.then("2026-05-04 09:00", Change::Suspend { reason: "r".into(), clock: paused });
        let resumed = h.case.clock.as_ref().unwrap().resumed(cal(), bj("2026-05-04 10:00"));
        let h = h.then("2026-05-04 10:00", Change::Resume { clock: resumed, note: None }).then("2026-05-04 10:30", Change::Return { reason: "非本单位职责".into() });
        let clock = SlaClock::start(cal(), bj("2026-05-04 11:00"), TimeLimit::new(48, LimitUnit::Hours));
        let h = h.then("2026-05-04 11:00", Change::Dispatch { unit: "U1".parse().unwrap(), clock, note: None, rule: None });
        let items = unit_items(std::slice::from_ref(&h.case), &h.records(), &[], &[], cal(), bj("2026-05-04 12:00"));
        assert_eq!(kinds(&items), vec![(ItemKind::Assigned, Some(1))]);
    }

    #[test]
    fn a_dispatcher_sees_returned_cases_and_orders_on_places() {
        let h = History::dispatched(1, "2026-05-04 08:00", "U0", 48).then("2026-05-04 10:30", Change::Return { reason: "非本单位职责".into() });
        let orders = [order(7, TargetKind::Place, "朝阳门外大街", "2026-05-06 17:00"), order(8, TargetKind::Unit, "U1", "2026-05-06 17:00")];
        let items = dispatcher_items(std::slice::from_ref(&h.case), &orders);
        assert_eq!(kinds(&items), vec![(ItemKind::Order, Some(7)), (ItemKind::Returned, Some(1))]);
        assert_eq!(items.iter().find(|i| i.kind == ItemKind::Returned).unwrap().note.as_deref(), Some("非本单位职责"));
    }

    #[test]
    fn a_supervisor_sees_replies_to_their_orders_and_their_late_ones() {
        let now = bj("2026-05-10 12:00");
        let mut replied = answered(order(1, TargetKind::Unit, "U1", "2026-05-12 17:00"));
        replied.replied_at = Some(bj("2026-05-09 12:00"));
        let old_reply = answered(order(2, TargetKind::Unit, "U1", "2026-05-12 17:00")); // answered 05-05 … still within two weeks
        let late = order(3, TargetKind::Unit, "U1", "2026-05-08 17:00");
        let waiting = order(4, TargetKind::Unit, "U1", "2026-05-12 17:00");
        let someone_elses = Order { raised_by: 10, ..order(5, TargetKind::Unit, "U1", "2026-05-08 17:00") };
        let items = supervisor_items(9, &[replied, old_reply, late, waiting, someone_elses], now);
        assert_eq!(kinds(&items), vec![(ItemKind::OrderReplied, Some(1)), (ItemKind::OrderReplied, Some(2)), (ItemKind::OrderOverdue, Some(3))]);
        assert_eq!(items[0].note.as_deref(), Some("已整改"));
        // Three weeks on, the replies have left the inbox; the late order stays until answered.
        let later = supervisor_items(9, &[answered(order(2, TargetKind::Unit, "U1", "2026-05-12 17:00")), order(3, TargetKind::Unit, "U1", "2026-05-08 17:00")], bj("2026-05-26 12:00"));
        assert_eq!(kinds(&later), vec![(ItemKind::OrderOverdue, Some(3))]);
    }

    #[test]
    fn reading_marks_items_and_counts_the_rest() {
        let h = History::dispatched(1, "2026-05-04 08:00", "U1", 48);
        let orders = [order(7, TargetKind::Unit, "U1", "2026-05-06 17:00")];
        let items = unit_items(std::slice::from_ref(&h.case), &[], &orders, &[], cal(), bj("2026-05-04 09:00"));
        let inbox = assemble(items.clone(), &HashSet::new());
        assert_eq!((inbox.total, inbox.unread), (2, 2));
        assert_eq!(inbox.items[0].kind, ItemKind::Order, "newest first");
        let read: HashSet<String> = ["order:7".to_owned()].into();
        let inbox = assemble(items.clone(), &read);
        assert_eq!((inbox.total, inbox.unread), (2, 1));
        assert_eq!(inbox.unread_by_kind, BTreeMap::from([(ItemKind::Assigned, 1)]));
        assert!(!inbox.items.iter().find(|i| i.id == "order:7").unwrap().unread);
        // Dispatched again after a return: a new key, unread again.
        let again = assemble(items, &[format!("assigned:1:{}", bj("2026-05-03 08:00").as_millisecond())].into());
        assert_eq!(again.unread, 2);
    }

    /// `order` answered on 2026-05-05 09:00 with 已整改.
    fn answered(order: Order) -> Order {
        Order { reply: Some("已整改".into()), replied_by: Some(3), replied_at: Some(bj("2026-05-05 09:00")), ..order }
    }
}
