//! Supervision (督办) beyond the case's own `supervise` action: reminders when a case is due soon
//! or overdue, supervision orders on a case, a unit or a place with the reply of the supervised,
//! listed supervision (挂牌督办) until a check passes, 双向督办 links between a creation-drive
//! finding and a hotline case, and the watch list that inspects before anyone calls (未诉先办).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::case::{Case, CaseId, CaseStatus, Channel, Intake, SupervisionLevel};
use crate::catalogue::Catalogue;
use crate::error::DomainError;
use crate::ids::{CategoryCode, RegionCode};
use crate::region::RegionTree;
use crate::message::Reason;
use crate::workflow::check_region;

/// Longest free text kept on supervision records, as on case actions.
pub const MAX_TEXT_CHARS: usize = 2000;

fn text(field: &'static str, value: &str) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DomainError::Refused(Reason::new("required").on(field)));
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(DomainError::Refused(Reason::new("too_long").on(field).with("max", MAX_TEXT_CHARS)));
    }
    Ok(value.to_owned())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// 临期提醒: at most a fifth of the allowance left.
    DueSoon,
    /// 超期提醒: past the deadline.
    Overdue,
}

impl ReminderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::DueSoon => "due_soon",
            ReminderKind::Overdue => "overdue",
        }
    }
}

/// The reminder a case calls for now, with the deadline it is about; `None` while the clock is
/// not running against its unit, or has time enough. A suspended case is reminded only if it was
/// already overdue when it stopped.
pub fn reminder(case: &Case, calendar: &WorkCalendar, now: Timestamp) -> Option<(ReminderKind, Timestamp)> {
    let status = case.running_clock()?.status(calendar, now);
    if status.overdue {
        Some((ReminderKind::Overdue, status.deadline))
    } else if status.due_soon && !status.paused {
        Some((ReminderKind::DueSoon, status.deadline))
    } else {
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Case,
    Unit,
    Place,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Case => "case",
            TargetKind::Unit => "unit",
            TargetKind::Place => "place",
        }
    }

    pub fn parse(text: &str) -> Option<TargetKind> {
        [TargetKind::Case, TargetKind::Unit, TargetKind::Place].into_iter().find(|k| k.as_str() == text)
    }
}

/// A supervision order as submitted.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    pub target_kind: TargetKind,
    /// A case id, a unit code, or a place (an address or a named spot).
    pub target: String,
    #[serde(default = "general")]
    pub level: SupervisionLevel,
    pub note: String,
    pub deadline: Timestamp,
}

fn general() -> SupervisionLevel {
    SupervisionLevel::General
}

/// The furthest ahead a deadline may be set: a year covers any listed supervision.
pub const MAX_DEADLINE_DAYS: i64 = 366;

fn check_deadline(deadline: Timestamp, now: Timestamp) -> Result<(), DomainError> {
    if deadline <= now {
        return Err(DomainError::invalid("deadline", "the deadline must be in the future"));
    }
    if deadline.duration_since(now) > SignedDuration::from_hours(24 * MAX_DEADLINE_DAYS) {
        return Err(DomainError::invalid("deadline", format!("the deadline is at most {MAX_DEADLINE_DAYS} days ahead")));
    }
    Ok(())
}

impl NewOrder {
    /// Checks the texts and the deadline; that the target exists is for the caller.
    pub fn validate(mut self, now: Timestamp) -> Result<NewOrder, DomainError> {
        self.note = text("note", &self.note)?;
        self.target = text("target", &self.target)?;
        if self.target_kind == TargetKind::Case && self.target.parse::<i64>().map_or(true, |id| id <= 0) {
            return Err(DomainError::invalid("target", "a case target is a case id"));
        }
        check_deadline(self.deadline, now)?;
        Ok(self)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Order {
    pub id: i64,
    pub target_kind: TargetKind,
    pub target: String,
    pub level: SupervisionLevel,
    pub note: String,
    pub deadline: Timestamp,
    pub raised_by: i64,
    pub raised_at: Timestamp,
    pub reply: Option<String>,
    pub replied_by: Option<i64>,
    pub replied_at: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    AwaitingReply,
    Overdue,
    Replied,
    RepliedLate,
}

impl Order {
    pub fn state(&self, now: Timestamp) -> OrderState {
        match self.replied_at {
            Some(at) if at > self.deadline => OrderState::RepliedLate,
            Some(_) => OrderState::Replied,
            None if now > self.deadline => OrderState::Overdue,
            None => OrderState::AwaitingReply,
        }
    }

    /// The reply of the supervised: once, non-empty.
    pub fn check_reply(&self, reply: &str) -> Result<String, DomainError> {
        if self.reply.is_some() {
            return Err(DomainError::Conflict { message: format!("supervision order {} has already been answered", self.id) });
        }
        text("reply", reply)
    }
}

/// How long an order has waited, for the board: under a day, 1–3 days, 3–7 days, over a week.
pub fn age_bracket(raised_at: Timestamp, now: Timestamp) -> &'static str {
    let hours = now.duration_since(raised_at).as_hours();
    match hours {
        ..24 => "under_1_day",
        24..72 => "1_to_3_days",
        72..168 => "3_to_7_days",
        _ => "over_7_days",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingKind {
    Place,
    Unit,
    /// A back alley, by its code (the alleys' 挂牌督办).
    Alley,
}

impl ListingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ListingKind::Place => "place",
            ListingKind::Unit => "unit",
            ListingKind::Alley => "alley",
        }
    }

    pub fn parse(text: &str) -> Option<ListingKind> {
        [ListingKind::Place, ListingKind::Unit, ListingKind::Alley].into_iter().find(|k| k.as_str() == text)
    }
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewListing {
    pub kind: ListingKind,
    /// A unit code, a place's key (its address or name), or an alley's code.
    pub target: String,
    /// The name shown on the public list.
    pub name: String,
    #[serde(default)]
    pub region: Option<String>,
    pub reason: String,
    pub deadline: Timestamp,
}

/// A region given as text: trimmed, and one of the tree's codes.
fn region(regions: &RegionTree, code: &str) -> Result<String, DomainError> {
    let code = text("region", code)?;
    check_region(regions, &code)?;
    Ok(code)
}

impl NewListing {
    /// Checks the texts, the region (optional; blank is none) and the deadline; that a unit
    /// target exists is for the caller.
    pub fn validate(mut self, now: Timestamp, regions: &RegionTree) -> Result<NewListing, DomainError> {
        self.target = text("target", &self.target)?;
        self.name = text("name", &self.name)?;
        self.reason = text("reason", &self.reason)?;
        self.region = match self.region.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) => Some(region(regions, code)?),
        };
        check_deadline(self.deadline, now)?;
        Ok(self)
    }
}

/// One check of a listed place or unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ListingCheck {
    pub passed: bool,
    pub note: Option<String>,
    pub by: i64,
    pub at: Timestamp,
}

/// 挂牌督办: on the public list from `listed_at` until a check at or after its deadline passes.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Listing {
    pub id: i64,
    pub kind: ListingKind,
    pub target: String,
    pub name: String,
    pub region: Option<String>,
    pub reason: String,
    pub deadline: Timestamp,
    pub listed_by: i64,
    pub listed_at: Timestamp,
    pub checks: Vec<ListingCheck>,
    pub delisted_at: Option<Timestamp>,
}

impl Listing {
    /// Past its deadline and still listed.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.delisted_at.is_none() && now > self.deadline
    }

    /// Records a check. A passed check at or after the deadline de-lists; one before it is
    /// recorded as progress and the listing stands until the deadline's check (限期整改). A
    /// failed check needs a note saying what is still wrong.
    pub fn check(&mut self, passed: bool, note: Option<&str>, by: i64, at: Timestamp) -> Result<(), DomainError> {
        if self.delisted_at.is_some() {
            return Err(DomainError::Conflict { message: format!("listing {} was already de-listed", self.id) });
        }
        let note = match note {
            Some(n) if !n.trim().is_empty() => Some(text("note", n)?),
            _ if !passed => return Err(DomainError::invalid("note", "a failed check says what is still wrong")),
            _ => None,
        };
        self.checks.push(ListingCheck { passed, note, by, at });
        if passed && at >= self.deadline {
            self.delisted_at = Some(at);
        }
        Ok(())
    }
}

/// The channels of the creation drive, whose findings pair with hotline cases (双向督办).
pub fn is_creation_finding(channel: Channel) -> bool {
    matches!(channel, Channel::Grid | Channel::Inspection | Channel::AlleyPatrol)
}

/// Checks a 双向督办 link: one creation-drive finding, one hotline case, both still live.
pub fn check_link(finding: &Case, hotline: &Case) -> Result<(), DomainError> {
    if !is_creation_finding(finding.intake.channel) {
        return Err(DomainError::invalid("finding", format!("case {} is not a creation-drive finding (grid, inspection or alley patrol)", finding.id)));
    }
    if hotline.intake.channel != Channel::Hotline {
        return Err(DomainError::invalid("hotline", format!("case {} is not a hotline case", hotline.id)));
    }
    for case in [finding, hotline] {
        if matches!(case.status, CaseStatus::Rejected | CaseStatus::Merged) {
            return Err(DomainError::Conflict { message: format!("case {} is {} and cannot be linked", case.id, case.status.as_str()) });
        }
    }
    Ok(())
}

/// Orders two cases named for a 双向督办 link, in whichever order they came, as
/// `(finding, hotline)`, and checks the pair with [`check_link`].
pub fn link_pair<'a>(a: &'a Case, b: &'a Case) -> Result<(&'a Case, &'a Case), DomainError> {
    if a.id == b.id {
        return Err(DomainError::invalid("case", format!("case {} cannot be linked to itself", a.id)));
    }
    let (finding, hotline) = if is_creation_finding(a.intake.channel) { (a, b) } else { (b, a) };
    check_link(finding, hotline)?;
    Ok((finding, hotline))
}

/// A 双向督办 link: both sides see and supervise the same problem.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseLink {
    pub finding: CaseId,
    pub hotline: CaseId,
    pub linked_by: i64,
    pub linked_at: Timestamp,
}

impl CaseLink {
    /// The case at the other end of the link from `case`.
    pub fn other(&self, case: CaseId) -> CaseId {
        if self.finding == case { self.hotline } else { self.finding }
    }
}

/// A (place, problem) pair on the watch list, inspected every `every_days` while active.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Watch {
    pub id: i64,
    pub region: RegionCode,
    pub place: String,
    pub category: CategoryCode,
    pub every_days: u32,
    pub next_due: Timestamp,
    pub active: bool,
    pub last_case: Option<CaseId>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWatch {
    pub region: RegionCode,
    pub place: String,
    pub category: CategoryCode,
    pub every_days: u32,
    /// The first inspection; now when absent.
    #[serde(default)]
    pub first_due: Option<Timestamp>,
}

/// The longest interval between scheduled inspections.
pub const MAX_WATCH_DAYS: u32 = 90;

/// The longest place on the watch list: it becomes the inspection case's address.
pub const MAX_PLACE_CHARS: usize = 300;

impl NewWatch {
    /// Checks the place, the region, the catalogue entry (a leaf that cases may be filed under),
    /// the interval and the first inspection (at most [`MAX_DEADLINE_DAYS`] ahead).
    pub fn validate(mut self, now: Timestamp, catalogue: &Catalogue, regions: &RegionTree) -> Result<NewWatch, DomainError> {
        self.place = text("place", &self.place)?;
        if self.place.chars().count() > MAX_PLACE_CHARS {
            return Err(DomainError::invalid("place", format!("place is at most {MAX_PLACE_CHARS} characters")));
        }
        check_region(regions, &self.region)?;
        catalogue.check_fileable(&self.category)?;
        if !(1..=MAX_WATCH_DAYS).contains(&self.every_days) {
            return Err(DomainError::invalid("every_days", format!("inspect every 1–{MAX_WATCH_DAYS} days")));
        }
        if let Some(first) = self.first_due
            && first.duration_since(now) > SignedDuration::from_hours(24 * MAX_DEADLINE_DAYS)
        {
            return Err(DomainError::invalid("first_due", format!("the first inspection is at most {MAX_DEADLINE_DAYS} days ahead")));
        }
        Ok(self)
    }

    /// When the first inspection is due: as asked, but not before `now`.
    pub fn first_due_at(&self, now: Timestamp) -> Timestamp {
        self.first_due.map_or(now, |first| first.max(now))
    }
}

impl Watch {
    pub fn is_due(&self, now: Timestamp) -> bool {
        self.active && self.next_due <= now
    }

    /// The next due time after an inspection at `now`: whole intervals from the schedule, so a
    /// sweep that ran late does not shift the cadence nor create a burst of catch-up cases.
    pub fn next_after(&self, now: Timestamp) -> Timestamp {
        let step = SignedDuration::from_hours(24 * i64::from(self.every_days));
        let mut next = self.next_due;
        while next <= now {
            let Ok(later) = next.checked_add(step) else { break };
            next = later;
        }
        next
    }

    /// The inspection case the watch files: an inspection at the place, for the problem.
    pub fn inspection(&self, at: Timestamp) -> Intake {
        Intake {
            channel: Channel::Inspection,
            external_id: Some(format!("watch-{}-{}", self.id, at.as_second())),
            category: Some(self.category.clone()),
            category_version: None,
            source: None,
            emergency: false,
            suggestion: None,
            region: Some(self.region.clone()),
            title: format!("未诉先办: 定期巡查 {}", self.place),
            description: format!("关注清单第 {} 项: 每 {} 天巡查 {} 的同类问题, 发现即处置。", self.id, self.every_days, self.place),
            address: Some(self.place.clone()),
            location: None,
            reporter: None,
            photos: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{CaseEvent, Change};
    use crate::rollup::tests::{History, bj};

    #[test]
    fn reminders_follow_the_clock() {
        // 10 natural hours from 09:00: due soon from 17:00 (2 h left), overdue after 19:00.
        let h = History::received(Channel::Hotline, "110105026000", "2026-05-04 08:00")
            .register("2026-05-04 08:30", "0101")
            .dispatch("2026-05-04 09:00", "U1", 10);
        let case = Case::replay(CaseId::new(1).unwrap(), &h.events).unwrap();
        let cal = WorkCalendar::china();
        assert_eq!(reminder(&case, cal, bj("2026-05-04 12:00")), None);
        assert_eq!(reminder(&case, cal, bj("2026-05-04 17:30")), Some((ReminderKind::DueSoon, bj("2026-05-04 19:00"))));
        assert_eq!(reminder(&case, cal, bj("2026-05-04 19:01")), Some((ReminderKind::Overdue, bj("2026-05-04 19:00"))));
        // Handled: the unit's part is done, no reminder however late.
        let handled = h.handle("2026-05-04 20:00");
        assert_eq!(reminder(&Case::replay(CaseId::new(1).unwrap(), &handled.events).unwrap(), cal, bj("2026-05-05 12:00")), None);
    }

    #[test]
    fn a_suspended_case_with_time_left_is_not_reminded() {
        let h = History::received(Channel::Hotline, "110105026000", "2026-05-04 08:00")
            .register("2026-05-04 08:30", "0101")
            .dispatch("2026-05-04 09:00", "U1", 10)
            .suspend("2026-05-04 18:00");
        let case = Case::replay(CaseId::new(1).unwrap(), &h.events).unwrap();
        assert_eq!(reminder(&case, WorkCalendar::china(), bj("2026-05-09 12:00")), None);
    }

    fn order(deadline: &str) -> Order {
        Order {
            id: 7,
            target_kind: TargetKind::Unit,
            target: "U1".into(),
            level: SupervisionLevel::Key,
            note: "n".into(),
            deadline: bj(deadline),
            raised_by: 1,
            raised_at: bj("2026-05-01 09:00"),
            reply: None,
            replied_by: None,
            replied_at: None,
        }
    }

    #[test]
    fn an_order_waits_for_its_reply_and_is_answered_once() {
        let mut o = order("2026-05-03 09:00");
        assert_eq!(o.state(bj("2026-05-02 09:00")), OrderState::AwaitingReply);
        assert_eq!(o.state(bj("2026-05-04 09:00")), OrderState::Overdue);
        assert!(o.check_reply("  ").is_err());
        o.reply = Some(o.check_reply(" 已整改 ").unwrap());
        o.replied_at = Some(bj("2026-05-04 10:00"));
        assert_eq!(o.reply.as_deref(), Some("已整改"));
        assert_eq!(o.state(bj("2026-05-05 09:00")), OrderState::RepliedLate);
        assert!(matches!(o.check_reply("again"), Err(DomainError::Conflict { .. })));
        assert_eq!(age_bracket(bj("2026-05-01 09:00"), bj("2026-05-05 09:00")), "3_to_7_days");
        assert_eq!(age_bracket(bj("2026-05-01 09:00"), bj("2026-05-01 10:00")), "under_1_day");
    }

    #[test]
    fn new_orders_are_checked() {
        let now = bj("2026-05-01 09:00");
        let new = |kind, target: &str, note: &str, deadline: &str| NewOrder {
            target_kind: kind,
            target: target.into(),
            level: SupervisionLevel::General,
            note: note.into(),
            deadline: bj(deadline),
        };
        assert!(new(TargetKind::Case, "12", "late", "2026-05-02 09:00").validate(now).is_ok());
        assert!(new(TargetKind::Case, "abc", "late", "2026-05-02 09:00").validate(now).is_err());
        assert!(new(TargetKind::Case, "-3", "late", "2026-05-02 09:00").validate(now).is_err());
        assert!(new(TargetKind::Unit, "U1", " ", "2026-05-02 09:00").validate(now).is_err());
        assert!(new(TargetKind::Place, "阜通东大街", "x", "2026-04-30 09:00").validate(now).is_err());
        assert!(new(TargetKind::Place, "阜通东大街", "x", "2027-06-01 09:00").validate(now).is_err());
        assert!(new(TargetKind::Place, "阜通东大街", &"长".repeat(2001), "2026-05-02 09:00").validate(now).is_err());
    }

    #[test]
    fn a_listing_stays_until_a_check_passes() {
        let mut l = Listing {
            id: 3,
            kind: ListingKind::Place,
            target: "阜通东大街6号".into(),
            name: "阜通东大街6号门前".into(),
            region: None,
            reason: "暴露垃圾反复出现".into(),
            deadline: bj("2026-06-01 00:00"),
            listed_by: 1,
            listed_at: bj("2026-05-01 09:00"),
            checks: vec![],
            delisted_at: None,
        };
        assert!(!l.overdue(bj("2026-05-31 09:00")));
        assert!(l.overdue(bj("2026-06-02 09:00")));
        // Fixed early: recorded, but the listing stands until the deadline's check.
        l.check(true, Some(" 已清理 "), 2, bj("2026-05-20 09:00")).unwrap();
        assert_eq!((l.delisted_at, l.checks[0].note.as_deref()), (None, Some("已清理")));
        assert!(l.check(false, None, 2, bj("2026-06-02 09:00")).is_err());
        l.check(false, Some("仍有垃圾"), 2, bj("2026-06-02 09:00")).unwrap();
        assert_eq!(l.delisted_at, None);
        l.check(true, None, 2, bj("2026-06-05 09:00")).unwrap();
        assert_eq!((l.delisted_at, l.checks.len(), l.overdue(bj("2026-06-06 09:00"))), (Some(bj("2026-06-05 09:00")), 3, false));
        assert!(matches!(l.check(true, None, 2, bj("2026-06-06 09:00")), Err(DomainError::Conflict { .. })));
        // Passed exactly at the deadline: de-listed.
        let mut on_time = Listing { checks: vec![], delisted_at: None, ..l };
        on_time.check(true, None, 2, bj("2026-06-01 00:00")).unwrap();
        assert_eq!(on_time.delisted_at, Some(bj("2026-06-01 00:00")));
    }

    #[test]
    fn new_listings_are_checked() {
        let now = bj("2026-05-01 09:00");
        let tree = crate::region::tests::small_tree();
        let new = |region: Option<&str>, reason: &str, deadline: &str| NewListing {
            kind: ListingKind::Place,
            target: " 东华门大街1号 ".into(),
            name: "东华门大街1号门前".into(),
            region: region.map(Into::into),
            reason: reason.into(),
            deadline: bj(deadline),
        };
        let ok = new(Some(" 110101001000 "), "乱堆物料", "2026-06-01 00:00").validate(now, &tree).unwrap();
        assert_eq!((ok.target.as_str(), ok.region.as_deref()), ("东华门大街1号", Some("110101001000")));
        assert_eq!(new(Some(" "), "乱堆物料", "2026-06-01 00:00").validate(now, &tree).unwrap().region, None);
        assert!(new(Some("999"), "乱堆物料", "2026-06-01 00:00").validate(now, &tree).is_err());
        assert!(new(None, "", "2026-06-01 00:00").validate(now, &tree).is_err());
        assert!(new(None, "乱堆物料", "2026-04-01 00:00").validate(now, &tree).is_err());
    }

    #[test]
    fn links_pair_a_finding_with_a_hotline_case() {
        let finding = Case::replay(CaseId::new(1).unwrap(), &History::received(Channel::Grid, "110105026000", "2026-05-01 09:00").events).unwrap();
        let hotline = Case::replay(CaseId::new(2).unwrap(), &History::received(Channel::Hotline, "110105026000", "2026-05-01 10:00").events).unwrap();
        assert!(check_link(&finding, &hotline).is_ok());
        assert!(check_link(&hotline, &finding).is_err());
        assert!(check_link(&finding, &finding).is_err());
        let mut merged = hotline.clone();
        merged.apply(&CaseEvent { seq: 2, at: bj("2026-05-01 11:00"), actor: finding_actor(), change: Change::Merge { into: CaseId::new(9).unwrap(), note: None } });
        assert!(matches!(check_link(&finding, &merged), Err(DomainError::Conflict { .. })));
        // Either order: the finding comes first.
        let (f, h) = link_pair(&hotline, &finding).unwrap();
        assert_eq!((f.id.get(), h.id.get()), (1, 2));
        assert_eq!(link_pair(&finding, &hotline).map(|(f, h)| (f.id.get(), h.id.get())), Ok((1, 2)));
        assert!(matches!(link_pair(&finding, &finding), Err(DomainError::Invalid { field: "case", .. })));
        let grid_too = Case::replay(CaseId::new(3).unwrap(), &History::received(Channel::AlleyPatrol, "110105026000", "2026-05-01 10:00").events).unwrap();
        assert!(link_pair(&finding, &grid_too).is_err(), "two findings are not a pair");
        let link = CaseLink { finding: CaseId::new(1).unwrap(), hotline: CaseId::new(2).unwrap(), linked_by: 5, linked_at: bj("2026-05-01 12:00") };
        assert_eq!([link.other(CaseId::new(1).unwrap()), link.other(CaseId::new(2).unwrap())].map(CaseId::get), [2, 1]);
    }

    fn finding_actor() -> crate::actor::Actor {
        crate::actor::Actor { user_id: 1, username: "d".into(), role: crate::actor::Role::Dispatcher, unit: None }
    }

    #[test]
    fn a_watch_keeps_its_cadence() {
        let w = Watch {
            id: 4,
            region: "110105026000".parse().unwrap(),
            place: "望京SOHO北侧".into(),
            category: "0101".parse().unwrap(),
            every_days: 7,
            next_due: bj("2026-05-01 09:00"),
            active: true,
            last_case: None,
        };
        assert!(!w.is_due(bj("2026-04-30 09:00")));
        assert!(w.is_due(bj("2026-05-01 09:00")));
        // Swept 17 days late: the next is the first slot on the weekly schedule after now.
        assert_eq!(w.next_after(bj("2026-05-18 10:00")), bj("2026-05-22 09:00"));
        assert_eq!(w.next_after(bj("2026-05-01 09:00")), bj("2026-05-08 09:00"));
        let intake = w.inspection(bj("2026-05-01 09:00"));
        assert_eq!((intake.channel, intake.category.as_deref()), (Channel::Inspection, Some("0101")));
    }

    #[test]
    fn new_watches_are_checked() {
        let now = bj("2026-05-01 09:00");
        let (catalogue, tree) = (Catalogue::builtin(), crate::region::tests::small_tree());
        let new = |region: &str, place: &str, category: &str, every_days: u32, first_due: Option<&str>| NewWatch {
            region: region.parse().unwrap(),
            place: place.into(),
            category: category.parse().unwrap(),
            every_days,
            first_due: first_due.map(bj),
        };
        let ok = new("110101001000", " 东华门大街1号 ", "S0102", 7, None).validate(now, &catalogue, &tree).unwrap();
        assert_eq!((ok.place.as_str(), ok.first_due_at(now)), ("东华门大街1号", now));
        let later = new("110101001000", "p", "S0102", 7, Some("2026-05-03 09:00")).validate(now, &catalogue, &tree).unwrap();
        assert_eq!(later.first_due_at(now), bj("2026-05-03 09:00"));
        let past = new("110101001000", "p", "S0102", 7, Some("2026-04-03 09:00")).validate(now, &catalogue, &tree).unwrap();
        assert_eq!(past.first_due_at(now), now, "a past start begins now, without catch-up");
        for (bad, field) in [
            (new("110101001000", "p", "S0102", 0, None), "every_days"),
            (new("110101001000", "p", "S0102", 91, None), "every_days"),
            (new("999", "p", "S0102", 7, None), "region"),
            (new("110101001000", "p", "S01", 7, None), "category"),
            (new("110101001000", "p", "nope", 7, None), "category"),
            (new("110101001000", " ", "S0102", 7, None), "place"),
            (new("110101001000", &"街".repeat(301), "S0102", 7, None), "place"),
            (new("110101001000", "p", "S0102", 7, Some("2027-06-01 09:00")), "first_due"),
        ] {
            match bad.validate(now, &catalogue, &tree) {
                Err(e) if e.field().is_some() => assert_eq!(e.field(), Some(field)),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
