//! Rollups: the monthly counters behind rates, rankings, hotspots and campaigns, kept current as
//! each event is written so that a ranking never rescans the cases.
//!
//! Each event adds to counters decided from the case before and after it alone ([`Rollup::record`]),
//! so folding every event of every case in order gives the same counters whether it happens
//! live, one event at a time, or in a rebuild from the event log.
//!
//! Which month a counter goes to:
//! - volume, 立案 and 不予立案: the month the case was **received**;
//! - dispatches: the month of the dispatch; response (签收) and returns (退单): the month of the
//!   dispatch they answer, so a dispatch on 31 January accepted on 1 February counts in January;
//! - closures (结案), with on time / reworked / extended: the month of the closure;
//! - call-backs (回访): the month of the call-back, to the last unit that handled the case;
//! - supervision: the month it was raised.
//!
//! Beside the monthly counters, daily ones per street: cases received (the day of intake) and
//! cases finished (closed, rejected or merged: the day of that event), for the dashboard's trend.

use std::collections::HashMap;

use jiff::SignedDuration;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::case::{Case, CaseEvent, CaseId, CaseStatus, Change, Channel, Satisfaction};
use crate::period::{Month, day_of};

/// A unit responds in time when it accepts (签收, the moment it takes the case and contacts the
/// citizen) within this many natural hours of the dispatch. It is fixed when counters are
/// written: a different limit needs `gridline rollups rebuild`.
pub const RESPONSE_LIMIT_HOURS: i64 = 24;

/// The street (街道/乡镇) a region code belongs to: streets are the finest level rollups keep.
/// Codes below a street (communities, grid cells) fold into it; shorter codes stay as they are.
pub fn street_of(region: &str) -> String {
    if region.len() >= 12 && region.is_ascii() {
        format!("{}000", &region[..9])
    } else {
        region.to_owned()
    }
}

/// The district (区) a street's code belongs to: its first six digits. Shorter codes stay as they
/// are. District volume is kept beside street volume so that a district's hotspot list reads a
/// few thousand rows however many cases there are.
pub fn district_of(street: &str) -> &str {
    if street.len() >= 6 && street.is_ascii() { &street[..6] } else { street }
}

/// Where rate counters are kept: a month, a street and a unit ("" before dispatch).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RateKey {
    pub month: Month,
    pub region: String,
    pub unit: String,
}

/// Where volume is kept: a month, a street, a catalogue entry, a channel.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VolumeKey {
    pub month: Month,
    pub region: String,
    pub category: String,
    pub channel: Channel,
}

macro_rules! rate_counts {
    ($($(#[$doc:meta])* $field:ident),* $(,)?) => {
        /// The counters behind the three rates and the digital city-management rates.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
        pub struct RateCounts { $($(#[$doc])* pub $field: i64),* }

        impl RateCounts {
            /// Column names, in the order of [`RateCounts::values`].
            pub const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];

            pub fn values(&self) -> Vec<i64> {
                vec![$(self.$field),*]
            }

            /// The inverse of [`RateCounts::values`]; `None` when the count of values is wrong.
            pub fn from_values(values: &[i64]) -> Option<RateCounts> {
                let mut it = values.iter().copied();
                let counts = RateCounts { $($field: it.next()?),* };
                it.next().is_none().then_some(counts)
            }

            pub fn add(&mut self, other: &RateCounts) {
                $(self.$field += other.$field;)*
            }

            pub fn is_zero(&self) -> bool {
                $(self.$field == 0)&&*
            }
        }
    };
}

rate_counts! {
    /// 受理: cases received (in the street of their intake, before any dispatch).
    received,
    /// 立案: cases registered.
    registered,
    /// 不予立案: cases rejected.
    rejected,
    /// 并案: cases merged into another.
    merged,
    /// 派遣: dispatches to a unit (a re-dispatch counts again).
    dispatched,
    /// 退单: dispatches the unit sent back as not its own.
    returned,
    /// Dispatches accepted within [`RESPONSE_LIMIT_HOURS`].
    responded,
    /// 结案: cases verified and closed.
    closed,
    /// Closed cases that the unit handled by its deadline (extensions and suspensions included).
    closed_on_time,
    /// Closed cases that failed verification at least once (返工).
    closed_reworked,
    /// Closed cases that were granted at least one extension (延期).
    closed_extended,
    /// 回访: call-backs recorded.
    called_back,
    /// Call-backs where the citizen says the problem is solved.
    resolved,
    /// Call-backs answered 满意.
    satisfied,
    /// Call-backs answered 基本满意.
    basically_satisfied,
    /// 督办 raised.
    supervised,
}

/// Where daily counts are kept: a Beijing-time day and a street.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DayKey {
    pub day: Date,
    pub region: String,
}

/// What happened on one day in one street.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    pub received: i64,
    /// Cases finished that day: closed, rejected or merged.
    pub closed: i64,
}

impl DayCounts {
    pub fn add(&mut self, other: &DayCounts) {
        self.received += other.received;
        self.closed += other.closed;
    }

    pub fn is_zero(&self) -> bool {
        self.received == 0 && self.closed == 0
    }
}

/// A set of counters: what one batch of events adds, or the whole rollup.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rollup {
    pub rates: HashMap<RateKey, RateCounts>,
    pub volume: HashMap<VolumeKey, i64>,
    pub daily: HashMap<DayKey, DayCounts>,
}

fn rate_key(month: Month, case: &Case, unit: Option<&str>) -> RateKey {
    RateKey {
        month,
        region: case.region.as_deref().map(street_of).unwrap_or_default(),
        unit: unit.unwrap_or_default().to_owned(),
    }
}

impl Rollup {
    pub fn is_empty(&self) -> bool {
        self.rates.is_empty() && self.volume.is_empty() && self.daily.is_empty()
    }

    /// Adds what `event` contributes, given the case before it (`None` for the intake) and
    /// after it.
    pub fn record(&mut self, before: Option<&Case>, after: &Case, event: &CaseEvent) {
        let received = Month::of(after.received_at);
        let at = Month::of(event.at);
        if let Some(closed_at) = after.closed_at
            && before.is_some_and(|b| b.closed_at.is_none())
        {
            self.count_day(closed_at, after, |c| c.closed += 1);
        }
        match &event.change {
            Change::Register { category, .. } => {
                self.count(rate_key(received, after, None), |c| c.registered += 1);
                self.add_volume(received, after, category, 1);
            }
            Change::Reject { .. } => self.count(rate_key(received, after, None), |c| c.rejected += 1),
            Change::Merge { .. } => {
                self.count(rate_key(received, after, None), |c| c.merged += 1);
                // A registered duplicate stops counting as a problem of its own.
                if let (Some(before), Some(category)) = (before, after.category.as_deref())
                    && before.status == CaseStatus::Registered
                {
                    self.add_volume(received, after, category, -1);
                }
            }
            Change::Dispatch { unit, .. } => self.count(rate_key(at, after, Some(unit)), |c| c.dispatched += 1),
            Change::Accept { .. } => {
                if let Some(dispatched_at) = after.dispatched_at {
                    let in_time = event.at.duration_since(dispatched_at) <= SignedDuration::from_hours(RESPONSE_LIMIT_HOURS);
                    let key = rate_key(Month::of(dispatched_at), after, after.unit.as_deref());
                    self.count(key, |c| c.responded += i64::from(in_time));
                }
            }
            Change::Return { .. } => {
                if let Some(before) = before
                    && let Some(dispatched_at) = before.dispatched_at
                {
                    let key = rate_key(Month::of(dispatched_at), before, before.unit.as_deref());
                    self.count(key, |c| c.returned += 1);
                }
            }
            Change::Verify { passed: true, .. } => {
                self.count(rate_key(at, after, after.unit.as_deref()), |c| {
                    c.closed += 1;
                    c.closed_on_time += i64::from(after.closed_late == Some(false));
                    c.closed_reworked += i64::from(after.rework_count > 0);
                    c.closed_extended += i64::from(after.extension_count > 0);
                });
            }
            Change::Callback { resolved, satisfaction, .. } => {
                self.count(rate_key(at, after, after.unit.as_deref()), |c| {
                    c.called_back += 1;
                    c.resolved += i64::from(*resolved);
                    c.satisfied += i64::from(*satisfaction == Satisfaction::Satisfied);
                    c.basically_satisfied += i64::from(*satisfaction == Satisfaction::BasicallySatisfied);
                });
            }
            Change::Supervise { .. } => self.count(rate_key(at, after, after.unit.as_deref()), |c| c.supervised += 1),
            Change::Receive(_) => {
                self.count(rate_key(received, after, None), |c| c.received += 1);
                self.count_day(after.received_at, after, |c| c.received += 1);
            }
            Change::Verify { passed: false, .. }
            | Change::Handle { .. }
            | Change::RequestExtension { .. }
            | Change::ApproveExtension { .. }
            | Change::Suspend { .. }
            | Change::Resume { .. } => {}
        }
    }

    /// Folds a whole history (an import, or one case of a rebuild).
    pub fn record_history(&mut self, events: &[CaseEvent]) {
        let Some((first, rest)) = events.split_first() else { return };
        let Some(mut case) = Case::received(CaseId::UNSTORED, first) else { return };
        self.record(None, &case, first);
        for event in rest {
            let before = case.clone();
            case.apply(event);
            self.record(Some(&before), &case, event);
        }
    }

    /// Adds another rollup's counters into this one.
    pub fn merge(&mut self, other: Rollup) {
        for (key, counts) in other.rates {
            self.rates.entry(key).or_default().add(&counts);
        }
        for (key, n) in other.volume {
            *self.volume.entry(key).or_default() += n;
        }
        for (key, counts) in other.daily {
            self.daily.entry(key).or_default().add(&counts);
        }
    }

    /// The volume summed by district: what the district volume table must hold.
    pub fn district_volume(&self) -> HashMap<VolumeKey, i64> {
        let mut out: HashMap<VolumeKey, i64> = HashMap::new();
        for (key, n) in &self.volume {
            let district = VolumeKey { region: district_of(&key.region).to_owned(), ..key.clone() };
            *out.entry(district).or_default() += n;
        }
        out.retain(|_, n| *n != 0);
        out
    }

    /// How many rate and volume rows differ between two rollups (a row held by one only counts).
    pub fn differences(&self, other: &Rollup) -> usize {
        differing_rows(&self.rates, &other.rates) + differing_rows(&self.volume, &other.volume) + differing_rows(&self.daily, &other.daily)
    }

    /// The same counters without the entries that add up to nothing.
    pub fn without_zeros(mut self) -> Rollup {
        self.rates.retain(|_, c| !c.is_zero());
        self.volume.retain(|_, n| *n != 0);
        self.daily.retain(|_, c| !c.is_zero());
        self
    }

    fn count(&mut self, key: RateKey, f: impl FnOnce(&mut RateCounts)) {
        f(self.rates.entry(key).or_default());
    }

    fn count_day(&mut self, at: jiff::Timestamp, case: &Case, f: impl FnOnce(&mut DayCounts)) {
        let key = DayKey { day: day_of(at), region: case.region.as_deref().map(street_of).unwrap_or_default() };
        f(self.daily.entry(key).or_default());
    }

    fn add_volume(&mut self, month: Month, case: &Case, category: &str, n: i64) {
        let key = VolumeKey {
            month,
            region: case.region.as_deref().map(street_of).unwrap_or_default(),
            category: category.to_owned(),
            channel: case.intake.channel,
        };
        *self.volume.entry(key).or_default() += n;
    }
}

/// Keys whose values differ between two maps, a key held by one only included.
pub fn differing_rows<K: Eq + std::hash::Hash, V: PartialEq>(a: &HashMap<K, V>, b: &HashMap<K, V>) -> usize {
    a.iter().filter(|(k, v)| b.get(*k) != Some(*v)).count() + b.keys().filter(|k| !a.contains_key(*k)).count()
}

#[cfg(test)]
pub(crate) mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::actor::{Actor, Role};
    use crate::calendar::WorkCalendar;
    use crate::case::{Intake, SupervisionLevel};
    use crate::sla::{LimitUnit, SlaClock, TimeLimit};

    /// A Beijing local time, `YYYY-MM-DD HH:MM`.
    pub(crate) fn bj(text: &str) -> Timestamp {
        let civil: jiff::civil::DateTime = text.parse().unwrap();
        civil.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).unwrap().timestamp()
    }

    /// A case history written event by event, with natural-hour clocks so deadlines are plain.
    pub(crate) struct History {
        pub events: Vec<CaseEvent>,
        case: Case,
    }

    fn actor() -> Actor {
        Actor { user_id: 1, username: "t".into(), role: Role::Admin, unit: None }
    }

    impl History {
        pub(crate) fn received(channel: Channel, region: &str, at: &str) -> History {
            let intake = Intake {
                channel,
                external_id: None,
                category: None,
                category_version: None,
                source: None,
                emergency: false,
                suggestion: None,
                region: Some(region.parse().unwrap()),
                title: "t".into(),
                description: "d".into(),
                address: None,
                location: None,
                reporter: None,
                photos: vec![],
            };
            let first = CaseEvent { seq: 1, at: bj(at), actor: actor(), change: Change::Receive(intake) };
            let case = Case::received(CaseId::new(1).unwrap(), &first).unwrap();
            History { events: vec![first], case }
        }

        pub(crate) fn then(mut self, at: &str, change: Change) -> History {
            let event = CaseEvent { seq: self.events.len() as u32 + 1, at: bj(at), actor: actor(), change };
            self.case.apply(&event);
            self.events.push(event);
            self
        }

        pub(crate) fn register(self, at: &str, category: &str) -> History {
            let region = self.case.region.clone().unwrap();
            self.then(at, Change::Register { category: category.parse().unwrap(), category_version: 1, region, note: None })
        }

        /// Dispatch with a clock of `hours` natural hours.
        pub(crate) fn dispatch(self, at: &str, unit: &str, hours: u32) -> History {
            let clock = SlaClock::start(WorkCalendar::china(), bj(at), TimeLimit::new(hours, LimitUnit::Hours));
            self.then(at, Change::Dispatch { unit: unit.parse().unwrap(), clock, note: None, rule: None })
        }

        pub(crate) fn accept(self, at: &str) -> History {
            self.then(at, Change::Accept { note: None })
        }

        pub(crate) fn handle(self, at: &str) -> History {
            self.then(at, Change::Handle { feedback: "done".into(), photos: vec![] })
        }

        pub(crate) fn verify(self, at: &str, passed: bool) -> History {
            self.then(at, Change::Verify { passed, note: None })
        }

        pub(crate) fn callback(self, at: &str, resolved: bool, satisfaction: Satisfaction) -> History {
            self.then(at, Change::Callback { resolved, satisfaction, note: None })
        }

        pub(crate) fn extend(self, at: &str, hours: u32) -> History {
            let clock = self.case.clock.as_ref().unwrap().extended(WorkCalendar::china(), TimeLimit::new(hours, LimitUnit::Hours));
            let request = Change::RequestExtension { extension: TimeLimit::new(hours, LimitUnit::Hours), reason: "r".into() };
            self.then(at, request).then(at, Change::ApproveExtension { approved: true, clock: Some(clock), note: None })
        }

        pub(crate) fn suspend(self, at: &str) -> History {
            let clock = self.case.clock.as_ref().unwrap().paused(WorkCalendar::china(), bj(at));
            self.then(at, Change::Suspend { reason: "r".into(), clock })
        }

        pub(crate) fn resume(self, at: &str) -> History {
            let clock = self.case.clock.as_ref().unwrap().resumed(WorkCalendar::china(), bj(at));
            self.then(at, Change::Resume { clock, note: None })
        }

        /// Fully closed and called back: dispatched, accepted after `accept_h` hours, handled,
        /// verified, called back.
        pub(crate) fn closed_loop(
            channel: Channel,
            region: &str,
            unit: &str,
            day: &str,
            satisfaction: Satisfaction,
        ) -> History {
            History::received(channel, region, &format!("{day} 09:00"))
                .register(&format!("{day} 09:10"), "0101")
                .dispatch(&format!("{day} 09:20"), unit, 48)
                .accept(&format!("{day} 10:00"))
                .handle(&format!("{day} 15:00"))
                .verify(&format!("{day} 16:00"), true)
                .callback(&format!("{day} 17:00"), satisfaction != Satisfaction::Dissatisfied, satisfaction)
        }
    }

    fn month(text: &str) -> Month {
        Month::parse(text).unwrap()
    }

    fn rates(rollup: &Rollup, m: &str, region: &str, unit: &str) -> RateCounts {
        rollup.rates.get(&RateKey { month: month(m), region: region.into(), unit: unit.into() }).copied().unwrap_or_default()
    }

    const STREET: &str = "110105026000";

    #[test]
    fn a_closed_loop_counts_once_in_each_rate_counter() {
        let mut rollup = Rollup::default();
        rollup.record_history(&History::closed_loop(Channel::Hotline, STREET, "U1", "2026-03-10", Satisfaction::BasicallySatisfied).events);
        let unit = rates(&rollup, "2026-03", STREET, "U1");
        assert_eq!(
            unit,
            RateCounts {
                dispatched: 1,
                responded: 1,
                closed: 1,
                closed_on_time: 1,
                called_back: 1,
                resolved: 1,
                basically_satisfied: 1,
                ..RateCounts::default()
            }
        );
        assert_eq!(rates(&rollup, "2026-03", STREET, "").registered, 1);
        let volume = VolumeKey { month: month("2026-03"), region: STREET.into(), category: "0101".into(), channel: Channel::Hotline };
        assert_eq!(rollup.volume.get(&volume), Some(&1));
    }

    #[test]
    fn a_case_crossing_a_month_boundary_counts_in_the_month_of_each_step() {
        // Received 31 January 23:00, dispatched 31 January 23:30, accepted 1 February 08:00
        // (8.5 h: in time), closed 3 February, called back 2 March.
        let h = History::received(Channel::Hotline, STREET, "2026-01-31 23:00")
            .register("2026-01-31 23:10", "0101")
            .dispatch("2026-01-31 23:30", "U1", 72)
            .accept("2026-02-01 08:00")
            .handle("2026-02-02 10:00")
            .verify("2026-02-03 10:00", true)
            .callback("2026-03-02 10:00", true, Satisfaction::Satisfied);
        let mut rollup = Rollup::default();
        rollup.record_history(&h.events);
        assert_eq!(rates(&rollup, "2026-01", STREET, "").registered, 1);
        let jan = rates(&rollup, "2026-01", STREET, "U1");
        assert_eq!((jan.dispatched, jan.responded, jan.closed), (1, 1, 0));
        let feb = rates(&rollup, "2026-02", STREET, "U1");
        assert_eq!((feb.dispatched, feb.closed, feb.closed_on_time, feb.called_back), (0, 1, 1, 0));
        let mar = rates(&rollup, "2026-03", STREET, "U1");
        assert_eq!((mar.called_back, mar.resolved, mar.satisfied), (1, 1, 1));
    }

    #[test]
    fn a_late_acceptance_is_no_response_and_a_return_is_counted_against_the_first_unit() {
        let h = History::received(Channel::Hotline, STREET, "2026-04-01 09:00")
            .register("2026-04-01 09:05", "0101")
            .dispatch("2026-04-01 09:10", "WRONG", 48)
            .then("2026-04-01 11:00", Change::Return { reason: "not ours".into() })
            .dispatch("2026-04-01 12:00", "U1", 48)
            // 25 hours after the second dispatch: too late to count as a response.
            .accept("2026-04-02 13:00");
        let mut rollup = Rollup::default();
        rollup.record_history(&h.events);
        let wrong = rates(&rollup, "2026-04", STREET, "WRONG");
        assert_eq!((wrong.dispatched, wrong.returned, wrong.responded), (1, 1, 0));
        let u1 = rates(&rollup, "2026-04", STREET, "U1");
        assert_eq!((u1.dispatched, u1.returned, u1.responded), (1, 0, 0));
    }

    #[test]
    fn rework_extension_and_suspension_decide_how_a_closure_counts() {
        // Reworked once, handled on time: closed on time, reworked.
        let reworked = History::received(Channel::Grid, STREET, "2026-05-04 09:00")
            .register("2026-05-04 09:05", "0101")
            .dispatch("2026-05-04 09:10", "U1", 24)
            .accept("2026-05-04 09:30")
            .handle("2026-05-04 12:00")
            .verify("2026-05-04 13:00", false)
            .handle("2026-05-04 16:00")
            .verify("2026-05-04 17:00", true);
        // 24 h limit, 24 h extension, handled after 40 h: on time thanks to the extension.
        let extended = History::received(Channel::Hotline, STREET, "2026-05-04 09:00")
            .register("2026-05-04 09:05", "0101")
            .dispatch("2026-05-04 09:10", "U1", 24)
            .accept("2026-05-04 09:30")
            .extend("2026-05-04 20:00", 24)
            .handle("2026-05-06 01:10")
            .verify("2026-05-06 09:00", true);
        // 24 h limit, suspended for 3 days after 2 h: handled 30 h after dispatch, yet on time.
        let suspended = History::received(Channel::Hotline, STREET, "2026-05-04 09:00")
            .register("2026-05-04 09:05", "0101")
            .dispatch("2026-05-04 10:00", "U1", 24)
            .accept("2026-05-04 11:00")
            .suspend("2026-05-04 12:00")
            .resume("2026-05-07 12:00")
            .handle("2026-05-07 16:00")
            .verify("2026-05-07 17:00", true);
        // 24 h limit, handled after 30 h without anything: late.
        let late = History::received(Channel::Hotline, STREET, "2026-05-04 09:00")
            .register("2026-05-04 09:05", "0101")
            .dispatch("2026-05-04 10:00", "U1", 24)
            .accept("2026-05-04 11:00")
            .handle("2026-05-05 16:00")
            .verify("2026-05-05 17:00", true);
        let mut rollup = Rollup::default();
        for h in [reworked, extended, suspended, late] {
            rollup.record_history(&h.events);
        }
        let u1 = rates(&rollup, "2026-05", STREET, "U1");
        assert_eq!((u1.closed, u1.closed_on_time, u1.closed_reworked, u1.closed_extended), (4, 3, 1, 1));
    }

    #[test]
    fn a_registered_duplicate_merged_away_leaves_the_volume() {
        let kept = History::received(Channel::Hotline, STREET, "2026-06-01 09:00").register("2026-06-01 09:05", "0101");
        let duplicate = History::received(Channel::Hotline, STREET, "2026-06-01 10:00")
            .register("2026-06-01 10:05", "0101")
            .then("2026-06-01 10:10", Change::Merge { into: CaseId::new(1).unwrap(), note: None });
        // Merged before registration: it never counted.
        let early = History::received(Channel::Hotline, STREET, "2026-06-01 11:00")
            .then("2026-06-01 11:10", Change::Merge { into: CaseId::new(1).unwrap(), note: None });
        let rejected = History::received(Channel::Hotline, STREET, "2026-06-01 12:00")
            .then("2026-06-01 12:10", Change::Reject { reason: "not a city problem".into() });
        let mut rollup = Rollup::default();
        for h in [kept, duplicate, early, rejected] {
            rollup.record_history(&h.events);
        }
        let volume = VolumeKey { month: month("2026-06"), region: STREET.into(), category: "0101".into(), channel: Channel::Hotline };
        assert_eq!(rollup.volume.get(&volume), Some(&1));
        let intake = rates(&rollup, "2026-06", STREET, "");
        assert_eq!((intake.registered, intake.rejected, intake.merged), (2, 1, 2));
    }

    #[test]
    fn cases_count_on_the_day_they_came_in_and_on_the_day_they_were_finished() {
        // Received 31 January 23:00, closed 3 February; another rejected the day it came in;
        // a third still open.
        let closed = History::received(Channel::Hotline, STREET, "2026-01-31 23:00")
            .register("2026-01-31 23:10", "0101")
            .dispatch("2026-01-31 23:30", "U1", 72)
            .accept("2026-02-01 08:00")
            .handle("2026-02-02 10:00")
            .verify("2026-02-03 10:00", true)
            .callback("2026-02-04 10:00", true, Satisfaction::Satisfied);
        let rejected = History::received(Channel::Hotline, "110105026001", "2026-02-03 09:00")
            .then("2026-02-03 09:10", Change::Reject { reason: "not a city problem".into() });
        let open = History::received(Channel::Grid, STREET, "2026-02-03 11:00");
        let mut rollup = Rollup::default();
        for h in [closed, rejected, open] {
            rollup.record_history(&h.events);
        }
        let day = |d: &str| rollup.daily.get(&DayKey { day: d.parse().unwrap(), region: STREET.into() }).copied().unwrap_or_default();
        assert_eq!(day("2026-01-31"), DayCounts { received: 1, closed: 0 });
        assert_eq!(day("2026-02-03"), DayCounts { received: 2, closed: 2 }, "the call-back finishes nothing");
        assert_eq!(rollup.daily.values().map(|c| c.closed).sum::<i64>(), 2);
        assert_eq!(rates(&rollup, "2026-01", STREET, "").received, 1);
        assert_eq!(rates(&rollup, "2026-02", STREET, "").received, 2);
    }

    #[test]
    fn supervision_counts_where_the_case_is() {
        let h = History::received(Channel::Hotline, STREET, "2026-07-01 09:00")
            .register("2026-07-01 09:05", "0101")
            .dispatch("2026-07-01 09:10", "U1", 2)
            .then("2026-07-01 12:00", Change::Supervise { level: SupervisionLevel::Key, note: "late".into() });
        let mut rollup = Rollup::default();
        rollup.record_history(&h.events);
        assert_eq!(rates(&rollup, "2026-07", STREET, "U1").supervised, 1);
    }

    #[test]
    fn recording_event_by_event_equals_recording_the_history() {
        let h = History::closed_loop(Channel::Hotline, "110105026001", "U1", "2026-03-10", Satisfaction::Satisfied);
        let mut whole = Rollup::default();
        whole.record_history(&h.events);
        let mut live = Rollup::default();
        let mut case: Option<Case> = None;
        for event in &h.events {
            let after = match &case {
                None => Case::received(CaseId::new(1).unwrap(), event).unwrap(),
                Some(c) => {
                    let mut c = c.clone();
                    c.apply(event);
                    c
                }
            };
            let mut one = Rollup::default();
            one.record(case.as_ref(), &after, event);
            live.merge(one);
            case = Some(after);
        }
        assert_eq!(live, whole);
        // Community codes fold into their street.
        assert!(whole.rates.keys().all(|k| k.region == "110105026000"));
    }

    #[test]
    fn counters_round_trip_through_their_columns() {
        let counts = RateCounts { registered: 3, supervised: 9, ..RateCounts::default() };
        assert_eq!(RateCounts::from_values(&counts.values()), Some(counts));
        assert_eq!(RateCounts::from_values(&[1, 2]), None);
        assert_eq!(RateCounts::COLUMNS.len(), counts.values().len());
        assert_eq!(street_of("110105026001"), "110105026000");
        assert_eq!(street_of("110105"), "110105");
        assert_eq!(district_of("110105026000"), "110105");
        assert_eq!(district_of("11"), "11");
    }

    #[test]
    fn district_volume_sums_the_streets_of_each_district_and_keeps_channels_apart() {
        let mut rollup = Rollup::default();
        for (street, channel) in [("110105026000", Channel::Hotline), ("110105001000", Channel::Hotline), ("110105001000", Channel::Grid), ("110108001000", Channel::Hotline)] {
            rollup.record_history(&History::received(channel, street, "2026-03-02 09:00").register("2026-03-02 09:05", "0101").events);
        }
        let key = |region: &str, channel| VolumeKey { month: month("2026-03"), region: region.into(), category: "0101".into(), channel };
        let districts = rollup.district_volume();
        assert_eq!(districts.len(), 3);
        assert_eq!(districts[&key("110105", Channel::Hotline)], 2);
        assert_eq!(districts[&key("110105", Channel::Grid)], 1);
        assert_eq!(districts[&key("110108", Channel::Hotline)], 1);
        let mut other = rollup.clone();
        assert_eq!(rollup.differences(&other), 0);
        other.volume.remove(&key("110108001000", Channel::Hotline));
        other.rates.values_mut().for_each(|c| c.registered += 1);
        assert_eq!(rollup.differences(&other), 1 + rollup.rates.len());
        assert_eq!(differing_rows(&other.district_volume(), &districts), 1);
    }
}
