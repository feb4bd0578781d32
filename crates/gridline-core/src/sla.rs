//! SLA clocks: a time limit from the catalogue becomes a deadline that can be paused (挂起),
//! resumed and extended (延期), measured in working time or in natural hours.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    /// 工作日: one is a full office day of working time.
    WorkingDays,
    /// 工作时: office hours on working days only.
    WorkingHours,
    /// 自然小时: round the clock, for emergencies.
    Hours,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimeLimit {
    pub amount: u32,
    pub unit: LimitUnit,
}

impl TimeLimit {
    pub fn new(amount: u32, unit: LimitUnit) -> Self {
        TimeLimit { amount, unit }
    }

    fn is_working_time(self) -> bool {
        self.unit != LimitUnit::Hours
    }

    /// The limit in seconds of its own measure (working seconds or natural seconds).
    pub fn seconds(self, calendar: &WorkCalendar) -> i64 {
        let amount = i64::from(self.amount);
        match self.unit {
            LimitUnit::WorkingDays => amount * calendar.working_seconds_per_day(),
            LimitUnit::WorkingHours | LimitUnit::Hours => amount * 3600,
        }
    }
}

impl std::fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.unit {
            LimitUnit::WorkingDays => "个工作日",
            LimitUnit::WorkingHours => "个工作时",
            LimitUnit::Hours => "小时",
        };
        write!(f, "{}{}", self.amount, unit)
    }
}

/// The clock of one case at one unit. Stored inside the case; all fields are decided values so
/// that replaying events never needs the calendar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlaClock {
    pub limit: TimeLimit,
    /// True when the clock counts working time only.
    pub working_time: bool,
    pub started_at: Timestamp,
    /// The deadline while the clock runs; while paused, the deadline it had when paused.
    pub deadline: Timestamp,
    /// The whole allowance in seconds of the clock's measure, extensions included.
    pub budget_seconds: i64,
    /// Set while suspended: the time left when the clock stopped.
    pub paused_remaining_seconds: Option<i64>,
}

/// What a clock says at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SlaStatus {
    pub deadline: Timestamp,
    /// Time left in the clock's measure; negative once overdue.
    pub time_left_seconds: i64,
    pub due_soon: bool,
    pub overdue: bool,
    pub paused: bool,
}

/// A clock is due soon when at most this share of its allowance is left (documented default:
/// a fifth, as digital city-management platforms turn a case yellow at 80 % of the limit).
const DUE_SOON_SHARE: i64 = 5;

impl SlaClock {
    pub fn start(calendar: &WorkCalendar, at: Timestamp, limit: TimeLimit) -> Self {
        let budget_seconds = limit.seconds(calendar);
        let working_time = limit.is_working_time();
        SlaClock {
            limit,
            working_time,
            started_at: at,
            deadline: advance(calendar, working_time, at, budget_seconds),
            budget_seconds,
            paused_remaining_seconds: None,
        }
    }

    fn remaining(&self, calendar: &WorkCalendar, now: Timestamp) -> i64 {
        match self.paused_remaining_seconds {
            Some(left) => left,
            None if self.working_time => calendar.working_seconds_between(now, self.deadline),
            None => now.duration_until(self.deadline).as_secs(),
        }
    }

    pub fn status(&self, calendar: &WorkCalendar, now: Timestamp) -> SlaStatus {
        let left = self.remaining(calendar, now);
        // A stopped clock is overdue only if it was already late when it stopped.
        let overdue = left < 0 || (left == 0 && self.paused_remaining_seconds.is_none() && now >= self.deadline);
        SlaStatus {
            deadline: self.deadline,
            time_left_seconds: left,
            due_soon: !overdue && left * DUE_SOON_SHARE <= self.budget_seconds,
            overdue,
            paused: self.paused_remaining_seconds.is_some(),
        }
    }

    /// Whether the clock is overdue at `now`: [`SlaClock::status`]'s `overdue` without counting
    /// working time. A running clock has no working time left exactly when `now` has reached
    /// its deadline (from then on the time left is zero or negative); a stopped one is overdue
    /// if it was late when it stopped. Exports ask this of a million cases.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        match self.paused_remaining_seconds {
            Some(left) => left < 0,
            None => now >= self.deadline,
        }
    }

    /// From when [`SlaClock::status`] says due soon, as long as the clock stays as it is: the
    /// first second with at most a fifth of the allowance left. `None` when it never will be
    /// (stopped with more left, or stopped late: overdue instead); the start when a stopped
    /// clock already is. Stored beside the deadline, it makes "due soon now" a comparison.
    pub fn due_soon_from(&self, calendar: &WorkCalendar) -> Option<Timestamp> {
        let soon = |left: i64| left * DUE_SOON_SHARE <= self.budget_seconds;
        if let Some(left) = self.paused_remaining_seconds {
            return (left >= 0 && soon(left)).then_some(self.started_at);
        }
        // Search the seconds between one second more than a fifth before the deadline (not
        // yet due soon) and the deadline (due soon): working-time clocks may stay due soon
        // through nights and holidays before that fifth, which the search finds.
        let fifth = self.budget_seconds / DUE_SOON_SHARE;
        let (mut early, mut late) = (advance(calendar, self.working_time, self.deadline, -fifth - 1), self.deadline);
        if soon(self.remaining(calendar, early)) {
            return Some(early);
        }
        while late.duration_since(early) > SignedDuration::from_secs(1) {
            let middle = early + SignedDuration::from_secs(late.duration_since(early).as_secs() / 2);
            if soon(self.remaining(calendar, middle)) { late = middle } else { early = middle }
        }
        Some(late)
    }

    /// Stops the clock, keeping the time left (which may already be negative).
    pub fn paused(&self, calendar: &WorkCalendar, at: Timestamp) -> SlaClock {
        SlaClock { paused_remaining_seconds: Some(self.remaining(calendar, at)), ..self.clone() }
    }

    /// Restarts a stopped clock: the time left when it stopped runs again from `at`.
    pub fn resumed(&self, calendar: &WorkCalendar, at: Timestamp) -> SlaClock {
        let Some(left) = self.paused_remaining_seconds else { return self.clone() };
        let deadline = if left >= 0 {
            advance(calendar, self.working_time, at, left)
        } else {
            // Already overdue when stopped: the deadline stays in the past by the same amount.
            at.checked_add(SignedDuration::from_secs(left)).unwrap_or(at)
        };
        SlaClock { deadline, paused_remaining_seconds: None, ..self.clone() }
    }

    /// Moves the deadline by an approved extension, measured in the clock's own measure.
    pub fn extended(&self, calendar: &WorkCalendar, extra: TimeLimit) -> SlaClock {
        let extra_seconds = if self.working_time == extra.is_working_time() {
            extra.seconds(calendar)
        } else if self.working_time {
            // Natural hours granted on a working-time clock count as working hours.
            i64::from(extra.amount) * 3600
        } else {
            // Working days granted on a natural-hours clock count as whole days.
            i64::from(extra.amount) * if extra.unit == LimitUnit::WorkingDays { 86_400 } else { 3600 }
        };
        let deadline = match self.paused_remaining_seconds {
            Some(_) => self.deadline,
            None => advance(calendar, self.working_time, self.deadline, extra_seconds),
        };
        SlaClock {
            deadline,
            budget_seconds: self.budget_seconds + extra_seconds,
            paused_remaining_seconds: self.paused_remaining_seconds.map(|left| left + extra_seconds),
            ..self.clone()
        }
    }
}

fn advance(calendar: &WorkCalendar, working_time: bool, from: Timestamp, seconds: i64) -> Timestamp {
    if working_time {
        calendar.add_working_seconds(from, seconds)
    } else {
        from.checked_add(SignedDuration::from_secs(seconds)).unwrap_or(from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", text)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
            .unwrap()
            .timestamp()
    }

    #[test]
    fn a_three_working_day_clock_crosses_national_day_2024() {
        let cal = WorkCalendar::china();
        let clock = SlaClock::start(cal, at("2024-09-27 17:00"), TimeLimit::new(3, LimitUnit::WorkingDays));
        assert_eq!(clock.deadline, at("2024-10-08 17:00"));
        let during_holiday = clock.status(cal, at("2024-10-03 12:00"));
        assert_eq!(during_holiday.time_left_seconds, 8 * 3600);
        assert!(!during_holiday.overdue);
        assert!(clock.status(cal, at("2024-10-08 17:01")).overdue);
    }

    #[test]
    fn is_overdue_agrees_with_the_status_at_every_quarter_hour_around_a_holiday() {
        let cal = WorkCalendar::china();
        let started = at("2024-09-27 17:00");
        for limit in [TimeLimit::new(3, LimitUnit::WorkingDays), TimeLimit::new(4, LimitUnit::WorkingHours), TimeLimit::new(2, LimitUnit::Hours)] {
            let clock = SlaClock::start(cal, started, limit);
            for quarter in 0..(16 * 24 * 4) {
                let now = started + jiff::SignedDuration::from_mins(15 * quarter);
                assert_eq!(clock.is_overdue(now), clock.status(cal, now).overdue, "{limit:?} at {now}");
                let paused = clock.paused(cal, now);
                let later = now + jiff::SignedDuration::from_hours(30);
                assert_eq!(paused.is_overdue(later), paused.status(cal, later).overdue, "{limit:?} stopped at {now}");
            }
        }
    }

    #[test]
    fn a_natural_hours_clock_ignores_the_calendar() {
        let cal = WorkCalendar::china();
        let clock = SlaClock::start(cal, at("2024-10-01 10:00"), TimeLimit::new(2, LimitUnit::Hours));
        assert_eq!(clock.deadline, at("2024-10-01 12:00"));
        let status = clock.status(cal, at("2024-10-01 11:40"));
        assert!(status.due_soon && !status.overdue);
    }

    #[test]
    fn a_suspension_stops_the_clock_and_resumption_carries_the_time_left() {
        let cal = WorkCalendar::china();
        // Monday 2024-11-04 10:00, 2 working days: due Wednesday 10:00.
        let clock = SlaClock::start(cal, at("2024-11-04 10:00"), TimeLimit::new(2, LimitUnit::WorkingDays));
        assert_eq!(clock.deadline, at("2024-11-06 10:00"));
        let paused = clock.paused(cal, at("2024-11-04 16:00"));
        // A week later nothing has been used up.
        let status = paused.status(cal, at("2024-11-11 16:00"));
        assert!(status.paused && !status.overdue);
        assert_eq!(status.time_left_seconds, 10 * 3600);
        let resumed = paused.resumed(cal, at("2024-11-11 09:00"));
        assert_eq!(resumed.deadline, at("2024-11-12 11:00"));
    }

    #[test]
    fn an_extension_moves_the_deadline_and_grows_the_allowance() {
        let cal = WorkCalendar::china();
        let clock = SlaClock::start(cal, at("2024-11-04 10:00"), TimeLimit::new(1, LimitUnit::WorkingDays));
        let longer = clock.extended(cal, TimeLimit::new(2, LimitUnit::WorkingDays));
        assert_eq!(longer.deadline, at("2024-11-07 10:00"));
        assert_eq!(longer.budget_seconds, 3 * 8 * 3600);
    }

    #[test]
    fn due_soon_from_is_the_first_second_the_status_says_due_soon() {
        let cal = WorkCalendar::china();
        let second = SignedDuration::from_secs(1);
        let clocks = [
            SlaClock::start(cal, at("2024-11-04 09:00"), TimeLimit::new(10, LimitUnit::WorkingHours)),
            // Its last fifth starts before a weekend: due soon from Friday's close on.
            SlaClock::start(cal, at("2024-11-06 10:00"), TimeLimit::new(3, LimitUnit::WorkingDays)),
            // Across the National Day holiday.
            SlaClock::start(cal, at("2024-09-27 17:00"), TimeLimit::new(3, LimitUnit::WorkingDays)),
            SlaClock::start(cal, at("2024-11-04 09:00"), TimeLimit::new(24, LimitUnit::Hours)),
            SlaClock::start(cal, at("2024-11-04 09:00"), TimeLimit::new(2, LimitUnit::WorkingDays)).extended(cal, TimeLimit::new(1, LimitUnit::WorkingDays)),
        ];
        for clock in &clocks {
            let from = clock.due_soon_from(cal).expect("a running clock turns due soon");
            assert!(clock.status(cal, from).due_soon, "{clock:?} at {from}");
            assert!(!clock.status(cal, from - second).due_soon, "{clock:?} a second before {from}");
            assert!(from < clock.deadline);
        }
        // Stopped: due soon all along or never, by the time left when it stopped.
        let clock = SlaClock::start(cal, at("2024-11-04 09:00"), TimeLimit::new(10, LimitUnit::Hours));
        assert_eq!(clock.paused(cal, at("2024-11-04 18:00")).due_soon_from(cal), Some(clock.started_at));
        assert_eq!(clock.paused(cal, at("2024-11-04 10:00")).due_soon_from(cal), None);
        assert_eq!(clock.paused(cal, at("2024-11-05 10:00")).due_soon_from(cal), None, "overdue, not due soon");
    }

    #[test]
    fn a_clock_turns_due_soon_in_its_last_fifth() {
        let cal = WorkCalendar::china();
        let clock = SlaClock::start(cal, at("2024-11-04 09:00"), TimeLimit::new(10, LimitUnit::WorkingHours));
        assert!(!clock.status(cal, at("2024-11-04 15:00")).due_soon);
        assert!(clock.status(cal, at("2024-11-05 09:00")).due_soon);
    }
}
