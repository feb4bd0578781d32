//! The working-day calendar of China: public holidays, make-up working days
//! (调休上班) and office hours, as data plus pure arithmetic.
//!
//! The data lives in `data/calendar/cn-holidays.toml` (see `PROVENANCE.md` next to
//! it) and is embedded at compile time; nothing here does I/O.
//!
//! Working time flows only inside office hours (`day_start`..`day_end`, local time)
//! on working days. A date is a working day when it is Monday–Friday and not a
//! holiday, or when it is a make-up working day. Outside the years the data covers
//! the calendar falls back to plain Monday–Friday.
//!
//! Internally all durations are counted in nanoseconds, so timestamps with
//! sub-second parts round-trip exactly; the public API speaks whole seconds.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use serde::Deserialize;

/// The embedded data file for China.
const CHINA_TOML: &str = include_str!("../../../data/calendar/cn-holidays.toml");

const NANOS_PER_SECOND: i128 = 1_000_000_000;

static CHINA: LazyLock<WorkCalendar> = LazyLock::new(|| {
    WorkCalendar::from_toml(CHINA_TOML)
        .unwrap_or_else(|e| panic!("embedded data/calendar/cn-holidays.toml is broken: {e}"))
});

/// A working-day calendar: time zone, office hours, holidays and make-up days.
#[derive(Clone, Debug)]
pub struct WorkCalendar {
    time_zone: TimeZone,
    day_start: Time,
    day_end: Time,
    first_year: i16,
    last_year: i16,
    /// Holiday names, indexed by the values of `days_off` / `make_up_days`.
    names: Vec<String>,
    /// Days off (sorted), each with the index of its holiday's name.
    days_off: BTreeMap<Date, usize>,
    /// Make-up working days (sorted), each with the index of its holiday's name.
    make_up_days: BTreeMap<Date, usize>,
}

/// Why a calendar file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar file is not valid TOML or has the wrong shape: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("{context}: {value:?} is not a valid date (expected YYYY-MM-DD): {reason}")]
    BadDate {
        context: String,
        value: String,
        reason: String,
    },
    #[error("`{field}`: {value:?} is not a valid time of day (expected HH:MM): {reason}")]
    BadTime {
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error("unknown time zone {name:?}: {reason}")]
    UnknownTimeZone { name: String, reason: String },
    #[error("office hours are empty: day_end {day_end} is not after day_start {day_start}")]
    EmptyOfficeHours { day_start: Time, day_end: Time },
    #[error("invalid covered years: first_year {first_year}, last_year {last_year}")]
    BadYearRange { first_year: i16, last_year: i16 },
    #[error("holiday #{index} has an empty name")]
    EmptyName { index: usize },
    #[error("{holiday} ({year}): year is outside the covered years {first_year}–{last_year}")]
    YearNotCovered {
        holiday: String,
        year: i16,
        first_year: i16,
        last_year: i16,
    },
    #[error("{holiday} ({year}): {date} belongs to neither the notice's year nor the year before")]
    DateNotInNoticeYear {
        holiday: String,
        year: i16,
        date: Date,
    },
    #[error("{holiday} ({year}): last day off {off_to} is before first day off {off_from}")]
    ReversedRange {
        holiday: String,
        year: i16,
        off_from: Date,
        off_to: Date,
    },
    #[error("{holiday} ({year}): {date} is outside the covered years {first_year}–{last_year}")]
    OutsideCoveredYears {
        holiday: String,
        year: i16,
        date: Date,
        first_year: i16,
        last_year: i16,
    },
    #[error(
        "{holiday} ({year}): make-up working day {date} is a {weekday:?}, not a Saturday or Sunday"
    )]
    MakeUpNotWeekend {
        holiday: String,
        year: i16,
        date: Date,
        weekday: Weekday,
    },
    #[error("{date} is both a day off ({holiday}) and a make-up working day ({make_up_for})")]
    HolidayAndMakeUp {
        date: Date,
        holiday: String,
        make_up_for: String,
    },
    #[error("{date} is listed twice as a {what} ({first} and {second})")]
    Duplicate {
        date: Date,
        what: &'static str,
        first: String,
        second: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    time_zone: String,
    day_start: String,
    day_end: String,
    first_year: i16,
    last_year: i16,
    #[serde(default, rename = "holiday")]
    holidays: Vec<RawHoliday>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    year: i16,
    name: String,
    off_from: String,
    off_to: String,
    #[serde(default)]
    make_up_days: Vec<String>,
}

fn parse_time(field: &'static str, value: &str) -> Result<Time, CalendarError> {
    value.parse::<Time>().map_err(|e| CalendarError::BadTime {
        field,
        value: value.to_owned(),
        reason: e.to_string(),
    })
}

fn parse_date(context: impl FnOnce() -> String, value: &str) -> Result<Date, CalendarError> {
    // Insist on the plain YYYY-MM-DD form: no times, offsets or week dates.
    let well_formed = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !well_formed {
        return Err(CalendarError::BadDate {
            context: context(),
            value: value.to_owned(),
            reason: "not of the form YYYY-MM-DD".to_owned(),
        });
    }
    value.parse::<Date>().map_err(|e| CalendarError::BadDate {
        context: context(),
        value: value.to_owned(),
        reason: e.to_string(),
    })
}

impl WorkCalendar {
    /// China's calendar, parsed once from the embedded data file.
    ///
    /// # Panics
    /// Only if the embedded file is broken, which a unit test rules out.
    pub fn china() -> &'static WorkCalendar {
        &CHINA
    }

    /// Parses and validates a calendar file (see `data/calendar/cn-holidays.toml`).
    pub fn from_toml(text: &str) -> Result<WorkCalendar, CalendarError> {
        let raw: RawCalendar = toml::from_str(text)?;

        let time_zone =
            TimeZone::get(&raw.time_zone).map_err(|e| CalendarError::UnknownTimeZone {
                name: raw.time_zone.clone(),
                reason: e.to_string(),
            })?;
        let day_start = parse_time("day_start", &raw.day_start)?;
        let day_end = parse_time("day_end", &raw.day_end)?;
        if day_end <= day_start {
            return Err(CalendarError::EmptyOfficeHours { day_start, day_end });
        }
        let (first_year, last_year) = (raw.first_year, raw.last_year);
        if first_year > last_year
            || Date::new(first_year, 1, 1).is_err()
            || Date::new(last_year, 12, 31).is_err()
        {
            return Err(CalendarError::BadYearRange {
                first_year,
                last_year,
            });
        }

        let mut names = Vec::with_capacity(raw.holidays.len());
        let mut days_off: BTreeMap<Date, usize> = BTreeMap::new();
        let mut make_up_days: BTreeMap<Date, usize> = BTreeMap::new();

        for (index, holiday) in raw.holidays.iter().enumerate() {
            let name = holiday.name.trim();
            if name.is_empty() {
                return Err(CalendarError::EmptyName { index });
            }
            let year = holiday.year;
            if !(first_year..=last_year).contains(&year) {
                return Err(CalendarError::YearNotCovered {
                    holiday: name.to_owned(),
                    year,
                    first_year,
                    last_year,
                });
            }
            let check_date = |date: Date| -> Result<(), CalendarError> {
                if !(first_year..=last_year).contains(&date.year()) {
                    return Err(CalendarError::OutsideCoveredYears {
                        holiday: name.to_owned(),
                        year,
                        date,
                        first_year,
                        last_year,
                    });
                }
                if date.year() != year && date.year() != year - 1 {
                    return Err(CalendarError::DateNotInNoticeYear {
                        holiday: name.to_owned(),
                        year,
                        date,
                    });
                }
                Ok(())
            };
            let context = |field: &str| format!("{name} ({year}), `{field}`");

            let off_from = parse_date(|| context("off_from"), &holiday.off_from)?;
            let off_to = parse_date(|| context("off_to"), &holiday.off_to)?;
            check_date(off_from)?;
            check_date(off_to)?;
            if off_to < off_from {
                return Err(CalendarError::ReversedRange {
                    holiday: name.to_owned(),
                    year,
                    off_from,
                    off_to,
                });
            }
            let mut make_up = Vec::with_capacity(holiday.make_up_days.len());
            for value in &holiday.make_up_days {
                let date = parse_date(|| context("make_up_days"), value)?;
                check_date(date)?;
                let weekday = date.weekday();
                if !matches!(weekday, Weekday::Saturday | Weekday::Sunday) {
                    return Err(CalendarError::MakeUpNotWeekend {
                        holiday: name.to_owned(),
                        year,
                        date,
                        weekday,
                    });
                }
                make_up.push(date);
            }

            names.push(name.to_owned());
            let id = names.len() - 1;
            let duplicate =
                |date: Date, what: &'static str, other: usize| CalendarError::Duplicate {
                    date,
                    what,
                    first: names[other].clone(),
                    second: name.to_owned(),
                };
            // The range is validated (same or adjacent years), so this loop is short.
            for date in off_from.series(jiff::Span::new().days(1)) {
                if date > off_to {
                    break;
                }
                if let Some(&other) = days_off.get(&date) {
                    return Err(duplicate(date, "day off", other));
                }
                days_off.insert(date, id);
            }
            for date in make_up {
                if let Some(&other) = make_up_days.get(&date) {
                    return Err(duplicate(date, "make-up working day", other));
                }
                make_up_days.insert(date, id);
            }
        }

        // Checked once everything is in, so that the order of tables does not matter.
        if let Some((&date, &make_up_for)) = make_up_days
            .iter()
            .find(|(date, _)| days_off.contains_key(date))
        {
            return Err(CalendarError::HolidayAndMakeUp {
                date,
                holiday: names[days_off[&date]].clone(),
                make_up_for: names[make_up_for].clone(),
            });
        }

        Ok(WorkCalendar {
            time_zone,
            day_start,
            day_end,
            first_year,
            last_year,
            names,
            days_off,
            make_up_days,
        })
    }

    /// The calendar's time zone (Asia/Shanghai for China).
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// The years (inclusive) the holiday data covers.
    pub fn covered_years(&self) -> RangeInclusive<i16> {
        self.first_year..=self.last_year
    }

    /// Whether `date` lies inside the years the data file covers.
    pub fn covers(&self, date: Date) -> bool {
        self.covered_years().contains(&date.year())
    }

    /// The name of the holiday `date` is a day off or a make-up working day for.
    pub fn holiday_name(&self, date: Date) -> Option<&str> {
        self.days_off
            .get(&date)
            .or_else(|| self.make_up_days.get(&date))
            .map(|&id| self.names[id].as_str())
    }

    /// Monday–Friday unless a holiday; Saturday/Sunday if a make-up working day.
    /// Outside the covered years: plain Monday–Friday.
    pub fn is_working_day(&self, date: Date) -> bool {
        if self.days_off.contains_key(&date) {
            return false;
        }
        if self.make_up_days.contains_key(&date) {
            return true;
        }
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
    }

    /// Length of office hours, `day_end - day_start`, in seconds (8 h by default).
    pub fn working_seconds_per_day(&self) -> i64 {
        fn secs(t: Time) -> i64 {
            i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second())
        }
        secs(self.day_end) - secs(self.day_start)
    }

    /// Office hours of `date` as `[start, end)` in nanoseconds since the Unix epoch,
    /// or `None` if `date` is not a working day.
    fn office_hours(&self, date: Date) -> Option<(i128, i128)> {
        if !self.is_working_day(date) {
            return None;
        }
        let start = self.instant(date.to_datetime(self.day_start))?;
        let end = self.instant(date.to_datetime(self.day_end))?;
        (end > start).then_some((start, end))
    }

    fn instant(&self, dt: DateTime) -> Option<i128> {
        self.time_zone
            .to_ambiguous_timestamp(dt)
            .compatible()
            .ok()
            .map(Timestamp::as_nanosecond)
    }

    fn local_date(&self, ts: Timestamp) -> Date {
        self.time_zone.to_datetime(ts).date()
    }

    /// Adds `seconds` of working time to `start`.
    ///
    /// Working time flows only inside office hours on working days. If `start` is
    /// outside office hours, counting begins at the next office-hours start. Adding
    /// 0 returns `start` unchanged. The result never lands on the start of a day when
    /// it can land at the end of the previous working day: exactly filling a day ends
    /// at that day's `day_end`, not at the next day's `day_start`.
    ///
    /// `seconds` is meant to be `>= 0`. A negative amount is taken as working time
    /// *before* `start` (the mirror image: counting back from the previous
    /// office-hours end, landing on a `day_start` rather than the previous `day_end`),
    /// so that `working_seconds_between(start, result) == seconds` holds either way.
    pub fn add_working_seconds(&self, start: Timestamp, seconds: i64) -> Timestamp {
        if seconds == 0 {
            return start;
        }
        if seconds < 0 {
            return self.subtract_working_nanos(start, -i128::from(seconds) * NANOS_PER_SECOND);
        }
        let cursor = start.as_nanosecond();
        let mut remaining = i128::from(seconds) * NANOS_PER_SECOND;
        let mut date = self.local_date(start);
        loop {
            if let Some((open, close)) = self.office_hours(date) {
                let begin = open.max(cursor);
                if begin < close {
                    let available = close - begin;
                    if remaining <= available {
                        return Timestamp::from_nanosecond(begin + remaining)
                            .unwrap_or(Timestamp::MAX);
                    }
                    remaining -= available;
                }
            }
            date = match date.tomorrow() {
                Ok(next) => next,
                Err(_) => return Timestamp::MAX,
            };
        }
    }

    /// The instant `nanos` (> 0) of working time before `start`.
    fn subtract_working_nanos(&self, start: Timestamp, nanos: i128) -> Timestamp {
        let cursor = start.as_nanosecond();
        let mut remaining = nanos;
        let mut date = self.local_date(start);
        loop {
            if let Some((open, close)) = self.office_hours(date) {
                let end = close.min(cursor);
                if open < end {
                    let available = end - open;
                    if remaining <= available {
                        return Timestamp::from_nanosecond(end - remaining)
                            .unwrap_or(Timestamp::MIN);
                    }
                    remaining -= available;
                }
            }
            date = match date.yesterday() {
                Ok(previous) => previous,
                Err(_) => return Timestamp::MIN,
            };
        }
    }

    /// Working time in `[from, to)`, in whole seconds (truncated); negative (minus
    /// the reverse) when `to < from`.
    pub fn working_seconds_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to < from {
            return -self.working_seconds_between(to, from);
        }
        let (lo, hi) = (from.as_nanosecond(), to.as_nanosecond());
        let last = self.local_date(to);
        let mut date = self.local_date(from);
        let mut total: i128 = 0;
        while date <= last {
            if let Some((open, close)) = self.office_hours(date) {
                let (a, b) = (open.max(lo), close.min(hi));
                if b > a {
                    total += b - a;
                }
            }
            date = match date.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        i64::try_from(total / NANOS_PER_SECOND).unwrap_or(i64::MAX)
    }
}

/// A timestamp as Beijing time, e.g. `2024-10-08T17:00:00+08:00`.
pub fn local_time(at: Timestamp) -> String {
    // As `strftime("%Y-%m-%dT%H:%M:%S%:z")` of the zoned time, without parsing the format and
    // building a zoned value each time: an export writes seven of these per case.
    let offset = WorkCalendar::china().time_zone().to_offset(at);
    let t = offset.to_datetime(at);
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let (hours, minutes) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{hours:02}:{minutes:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    const HOUR: i64 = 3600;
    const DAY: i64 = 8 * HOUR;

    fn cal() -> &'static WorkCalendar {
        WorkCalendar::china()
    }

    /// A local (Asia/Shanghai) time as a timestamp.
    fn at(y: i16, m: i8, d: i8, h: i8, mi: i8) -> Timestamp {
        date(y, m, d)
            .at(h, mi, 0, 0)
            .to_zoned(cal().time_zone().clone())
            .unwrap()
            .timestamp()
    }

    /// A minimal valid file with one holiday, for the error tests to break.
    fn sample(holiday: &str) -> String {
        format!(
            "time_zone = \"Asia/Shanghai\"\nday_start = \"09:00\"\nday_end = \"17:00\"\n\
             first_year = 2024\nlast_year = 2024\n\n[[holiday]]\nyear = 2024\n{holiday}\n"
        )
    }

    const GOOD_HOLIDAY: &str = "name = \"国庆节\"\noff_from = \"2024-10-01\"\n\
                                off_to = \"2024-10-07\"\nmake_up_days = [\"2024-09-29\", \"2024-10-12\"]";

    #[test]
    fn the_embedded_file_parses_and_covers_2020_to_2026() {
        let parsed = WorkCalendar::from_toml(CHINA_TOML).expect("embedded file must parse");
        assert_eq!(parsed.covered_years(), 2020..=2026);
        let cal = cal();
        assert_eq!(cal.time_zone().iana_name(), Some("Asia/Shanghai"));
        assert_eq!(cal.working_seconds_per_day(), 8 * HOUR);
        assert!(cal.covers(date(2020, 1, 1)));
        assert!(cal.covers(date(2026, 12, 31)));
        assert!(!cal.covers(date(2019, 12, 31)));
        assert!(!cal.covers(date(2027, 1, 1)));
        // Every covered year has its National Day holiday.
        for year in 2020..=2026 {
            assert!(!cal.is_working_day(date(year, 10, 1)), "{year}-10-01");
            assert!(
                cal.holiday_name(date(year, 10, 1))
                    .unwrap()
                    .contains("国庆节")
            );
        }
    }

    #[test]
    fn the_sample_file_used_by_the_error_tests_is_itself_valid() {
        let cal = WorkCalendar::from_toml(&sample(GOOD_HOLIDAY)).unwrap();
        assert!(cal.is_working_day(date(2024, 9, 29)));
        assert!(!cal.is_working_day(date(2024, 10, 1)));
    }

    #[test]
    fn three_working_days_from_friday_before_national_day_2024_end_on_october_8() {
        let cal = cal();
        let start = at(2024, 9, 27, 17, 0);
        let end = cal.add_working_seconds(start, 3 * DAY);
        // 09-29 (make-up Sunday) and 09-30 count, 10-01..10-07 do not, 10-08 does.
        assert_eq!(end, at(2024, 10, 8, 17, 0));
        assert_eq!(cal.working_seconds_between(start, end), 3 * DAY);

        assert!(cal.is_working_day(date(2024, 9, 29)));
        assert!(cal.is_working_day(date(2024, 10, 12)));
        assert!(!cal.is_working_day(date(2024, 9, 28)));
        for day in 1..=7 {
            assert!(!cal.is_working_day(date(2024, 10, day)), "2024-10-{day:02}");
        }
        assert!(cal.is_working_day(date(2024, 10, 8)));
    }

    #[test]
    fn one_working_hour_from_friday_half_past_four_ends_monday_half_past_nine() {
        let cal = cal();
        // 2024-03-15 is an ordinary Friday.
        let start = at(2024, 3, 15, 16, 30);
        assert_eq!(cal.add_working_seconds(start, HOUR), at(2024, 3, 18, 9, 30));
    }

    #[test]
    fn a_start_on_saturday_begins_counting_on_monday_at_nine() {
        let cal = cal();
        let saturday = at(2024, 3, 16, 11, 0);
        assert_eq!(
            cal.add_working_seconds(saturday, HOUR),
            at(2024, 3, 18, 10, 0)
        );
        assert_eq!(
            cal.add_working_seconds(saturday, 1),
            at(2024, 3, 18, 9, 0) + jiff::SignedDuration::from_secs(1)
        );
        // Early on a working day, counting starts at 09:00 the same day.
        assert_eq!(
            cal.add_working_seconds(at(2024, 3, 18, 7, 0), HOUR),
            at(2024, 3, 18, 10, 0)
        );
        // After hours, it starts the next working morning.
        assert_eq!(
            cal.add_working_seconds(at(2024, 3, 18, 20, 0), HOUR),
            at(2024, 3, 19, 10, 0)
        );
    }

    #[test]
    fn adding_zero_returns_the_start_unchanged_even_outside_office_hours() {
        let cal = cal();
        let saturday = at(2024, 3, 16, 11, 0);
        assert_eq!(cal.add_working_seconds(saturday, 0), saturday);
    }

    #[test]
    fn a_negative_amount_counts_back_from_the_previous_office_hours_end() {
        let cal = cal();
        let saturday = at(2024, 3, 16, 11, 0);
        assert_eq!(
            cal.add_working_seconds(saturday, -HOUR),
            at(2024, 3, 15, 16, 0)
        );
        // Exactly emptying a day lands on its day_start, not the previous day_end.
        assert_eq!(
            cal.add_working_seconds(at(2024, 3, 18, 17, 0), -DAY),
            at(2024, 3, 18, 9, 0)
        );
        // Back across National Day 2024 to the make-up Sunday 09-29.
        assert_eq!(
            cal.add_working_seconds(at(2024, 10, 8, 9, 0), -2 * DAY),
            at(2024, 9, 29, 9, 0)
        );
    }

    #[test]
    fn exactly_filling_a_day_ends_at_day_end_not_at_the_next_morning() {
        let cal = cal();
        assert_eq!(
            cal.add_working_seconds(at(2024, 3, 18, 9, 0), DAY),
            at(2024, 3, 18, 17, 0)
        );
        assert_eq!(
            cal.add_working_seconds(at(2024, 3, 15, 17, 0), DAY),
            at(2024, 3, 18, 17, 0)
        );
        assert_eq!(
            cal.add_working_seconds(at(2024, 3, 18, 13, 0), 4 * HOUR),
            at(2024, 3, 18, 17, 0)
        );
    }

    #[test]
    fn working_seconds_between_counts_only_office_hours() {
        let cal = cal();
        let (fri, mon) = (at(2024, 3, 15, 12, 0), at(2024, 3, 18, 12, 0));
        assert_eq!(cal.working_seconds_between(fri, mon), 8 * HOUR);
        assert_eq!(cal.working_seconds_between(mon, fri), -8 * HOUR);
        assert_eq!(cal.working_seconds_between(fri, fri), 0);
        // A whole weekend counts nothing.
        assert_eq!(
            cal.working_seconds_between(at(2024, 3, 15, 17, 0), at(2024, 3, 18, 9, 0)),
            0
        );
    }

    #[test]
    fn february_1_and_2_2020_are_not_working_days_after_the_spring_festival_extension() {
        let cal = cal();
        assert!(
            !cal.is_working_day(date(2020, 2, 1)),
            "the 02-01 make-up day was cancelled"
        );
        assert!(!cal.is_working_day(date(2020, 2, 2)));
        assert!(
            !cal.is_working_day(date(2020, 1, 31)),
            "01-31 was added by the extension"
        );
        assert!(cal.is_working_day(date(2020, 2, 3)));
        assert!(cal.is_working_day(date(2020, 1, 19)), "make-up Sunday");
        assert!(!cal.is_working_day(date(2020, 1, 24)));
    }

    #[test]
    fn new_year_2023_runs_from_december_31_2022_to_january_2_2023() {
        let cal = cal();
        assert!(cal.is_working_day(date(2022, 12, 30)));
        for d in [date(2022, 12, 31), date(2023, 1, 1), date(2023, 1, 2)] {
            assert!(!cal.is_working_day(d), "{d}");
            assert_eq!(cal.holiday_name(d), Some("元旦"));
        }
        assert!(cal.is_working_day(date(2023, 1, 3)));
        // Friday 17:00 before the holiday to Tuesday 10:00 after it: one hour.
        assert_eq!(
            cal.working_seconds_between(at(2022, 12, 30, 17, 0), at(2023, 1, 3, 10, 0)),
            HOUR
        );
    }

    #[test]
    fn spring_festival_2026_runs_from_february_15_to_23_with_two_make_up_saturdays() {
        let cal = cal();
        assert!(cal.is_working_day(date(2026, 2, 13)));
        assert!(cal.is_working_day(date(2026, 2, 14)), "make-up Saturday");
        for day in 15..=23 {
            assert!(!cal.is_working_day(date(2026, 2, day)), "2026-02-{day}");
            assert_eq!(cal.holiday_name(date(2026, 2, day)), Some("春节"));
        }
        assert!(cal.is_working_day(date(2026, 2, 24)));
        assert!(cal.is_working_day(date(2026, 2, 28)), "make-up Saturday");
        // Saturday 2026-02-14 17:00 + 1 h ends Tuesday 2026-02-24 10:00.
        assert_eq!(
            cal.add_working_seconds(at(2026, 2, 14, 17, 0), HOUR),
            at(2026, 2, 24, 10, 0)
        );
    }

    #[test]
    fn outside_the_covered_years_the_week_is_plain_monday_to_friday() {
        let cal = cal();
        assert!(
            cal.is_working_day(date(2019, 10, 1)),
            "not covered: a plain Tuesday"
        );
        assert!(
            cal.is_working_day(date(2027, 1, 1)),
            "not covered: a plain Friday"
        );
        assert!(!cal.is_working_day(date(2027, 1, 2)));
        assert!(!cal.is_working_day(date(2027, 1, 3)));
    }

    #[test]
    fn malformed_toml_gives_an_error_not_a_panic() {
        for text in [
            "this is = not [ toml",
            "",
            "time_zone = \"Asia/Shanghai\"",
            &sample(&format!("{GOOD_HOLIDAY}\nunexpected_field = 1")),
            &sample("name = \"x\"\noff_from = 2024-10-01\noff_to = \"2024-10-02\""),
        ] {
            let err = WorkCalendar::from_toml(text).unwrap_err();
            assert!(matches!(err, CalendarError::Toml(_)), "{text:?}: {err}");
        }
    }

    #[test]
    fn contradictory_or_invalid_data_gives_a_clear_calendar_error() {
        let with = |holiday: &str| WorkCalendar::from_toml(&sample(holiday)).unwrap_err();

        let err = with("name = \"国庆节\"\noff_from = \"2024-02-30\"\noff_to = \"2024-10-07\"");
        assert!(matches!(err, CalendarError::BadDate { .. }), "{err}");
        assert!(err.to_string().contains("2024-02-30"), "{err}");

        let err =
            with("name = \"国庆节\"\noff_from = \"2024-10-01T00:00\"\noff_to = \"2024-10-07\"");
        assert!(matches!(err, CalendarError::BadDate { .. }), "{err}");

        let err = with(
            "name = \"国庆节\"\noff_from = \"2024-10-01\"\noff_to = \"2024-10-07\"\n\
             make_up_days = [\"2024-10-05\"]",
        );
        assert!(
            matches!(err, CalendarError::HolidayAndMakeUp { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("2024-10-05"), "{err}");

        let err = with("name = \"国庆节\"\noff_from = \"2024-10-07\"\noff_to = \"2024-10-01\"");
        assert!(matches!(err, CalendarError::ReversedRange { .. }), "{err}");

        let err = with(
            "name = \"国庆节\"\noff_from = \"2024-10-01\"\noff_to = \"2024-10-07\"\n\
             make_up_days = [\"2024-10-08\"]",
        );
        assert!(
            matches!(err, CalendarError::MakeUpNotWeekend { .. }),
            "{err}"
        );

        let err = with("name = \"国庆节\"\noff_from = \"2025-10-01\"\noff_to = \"2025-10-07\"");
        assert!(
            matches!(err, CalendarError::OutsideCoveredYears { .. }),
            "{err}"
        );

        let err = with("name = \"  \"\noff_from = \"2024-10-01\"\noff_to = \"2024-10-07\"");
        assert!(matches!(err, CalendarError::EmptyName { .. }), "{err}");

        let twice = format!(
            "{GOOD_HOLIDAY}\n\n[[holiday]]\nyear = 2024\nname = \"中秋节\"\n\
             off_from = \"2024-10-07\"\noff_to = \"2024-10-07\""
        );
        let err = with(&twice);
        assert!(matches!(err, CalendarError::Duplicate { .. }), "{err}");

        // A make-up day of one holiday that is a day off of another.
        let crossed = format!(
            "{GOOD_HOLIDAY}\n\n[[holiday]]\nyear = 2024\nname = \"中秋节\"\n\
             off_from = \"2024-09-28\"\noff_to = \"2024-09-29\""
        );
        let err = with(&crossed);
        assert!(
            matches!(err, CalendarError::HolidayAndMakeUp { .. }),
            "{err}"
        );

        let header = |tz: &str, start: &str, end: &str, first: i32, last: i32| {
            format!(
                "time_zone = \"{tz}\"\nday_start = \"{start}\"\nday_end = \"{end}\"\n\
                 first_year = {first}\nlast_year = {last}\n"
            )
        };
        let err = WorkCalendar::from_toml(&header("Asia/Shanghai", "17:00", "09:00", 2024, 2024))
            .unwrap_err();
        assert!(
            matches!(err, CalendarError::EmptyOfficeHours { .. }),
            "{err}"
        );
        let err = WorkCalendar::from_toml(&header("Asia/Shanghai", "09:00", "09:00", 2024, 2024))
            .unwrap_err();
        assert!(
            matches!(err, CalendarError::EmptyOfficeHours { .. }),
            "{err}"
        );
        let err = WorkCalendar::from_toml(&header("Asia/Shanghai", "25:00", "26:00", 2024, 2024))
            .unwrap_err();
        assert!(matches!(err, CalendarError::BadTime { .. }), "{err}");
        let err = WorkCalendar::from_toml(&header("Mars/Olympus", "09:00", "17:00", 2024, 2024))
            .unwrap_err();
        assert!(
            matches!(err, CalendarError::UnknownTimeZone { .. }),
            "{err}"
        );
        let err = WorkCalendar::from_toml(&header("Asia/Shanghai", "09:00", "17:00", 2026, 2020))
            .unwrap_err();
        assert!(matches!(err, CalendarError::BadYearRange { .. }), "{err}");
        // A file without holidays is valid: a plain Monday–Friday calendar.
        let plain = WorkCalendar::from_toml(&header("Asia/Shanghai", "08:30", "17:30", 2024, 2024))
            .unwrap();
        assert_eq!(plain.working_seconds_per_day(), 9 * HOUR);
        assert!(plain.is_working_day(date(2024, 10, 1)));
    }

    // ---------------------------------------------------------------- properties

    /// 2020-01-01T00:00+08:00 and 2027-01-01T00:00+08:00 as Unix seconds.
    const RANGE_START: i64 = 1_577_808_000;
    const RANGE_END: i64 = 1_798_732_800;
    const MAX_N: i64 = 30 * DAY;

    /// Any instant in 2020–2026 (China time), with a sub-second part.
    fn any_instant() -> impl Strategy<Value = Timestamp> {
        (RANGE_START..RANGE_END, 0..1_000_000_000i32)
            .prop_map(|(s, ns)| Timestamp::new(s, ns).unwrap())
    }

    /// An instant inside office hours of a working day in 2020–2026.
    fn office_instant() -> impl Strategy<Value = Timestamp> {
        (0..2557i64, 0..DAY)
            .prop_map(|(day, offset)| {
                let d = date(2020, 1, 1)
                    .checked_add(jiff::Span::new().days(day))
                    .unwrap();
                (d, offset)
            })
            .prop_filter("a working day", |(d, _)| cal().is_working_day(*d))
            .prop_map(|(d, offset)| {
                at(d.year(), d.month(), d.day(), 9, 0) + jiff::SignedDuration::from_secs(offset)
            })
    }

    proptest! {
        #[test]
        fn adding_then_measuring_round_trips_from_office_hours(
            start in office_instant(), n in 0..MAX_N,
        ) {
            let cal = cal();
            let end = cal.add_working_seconds(start, n);
            prop_assert_eq!(cal.working_seconds_between(start, end), n);
        }

        #[test]
        fn adding_then_measuring_round_trips_from_any_instant(
            start in any_instant(), n in 0..MAX_N,
        ) {
            let cal = cal();
            let end = cal.add_working_seconds(start, n);
            prop_assert_eq!(cal.working_seconds_between(start, end), n);
        }

        #[test]
        fn subtracting_then_measuring_round_trips_from_any_instant(
            start in any_instant(), n in 0..MAX_N,
        ) {
            let cal = cal();
            let earlier = cal.add_working_seconds(start, -n);
            prop_assert!(earlier <= start);
            prop_assert_eq!(cal.working_seconds_between(start, earlier), -n);
        }

        #[test]
        fn a_positive_amount_ends_inside_office_hours_never_at_day_start(
            start in any_instant(), n in 1..MAX_N,
        ) {
            let cal = cal();
            let end = cal.add_working_seconds(start, n);
            let local = cal.time_zone().to_datetime(end);
            prop_assert!(cal.is_working_day(local.date()), "{} is not a working day", local);
            prop_assert!(local.time() > cal.day_start && local.time() <= cal.day_end, "{}", local);
        }

        #[test]
        fn adding_working_seconds_is_monotonic_in_the_amount(
            start in any_instant(), a in 0..MAX_N, b in 0..MAX_N,
        ) {
            let cal = cal();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(cal.add_working_seconds(start, lo) <= cal.add_working_seconds(start, hi));
            prop_assert!(cal.add_working_seconds(start, lo) >= start);
        }

        #[test]
        fn measuring_backwards_is_minus_measuring_forwards(
            a in any_instant(), offset in -(40 * 86_400i64)..(40 * 86_400i64),
        ) {
            let cal = cal();
            let b = a + jiff::SignedDuration::from_secs(offset);
            prop_assert_eq!(
                cal.working_seconds_between(a, b),
                -cal.working_seconds_between(b, a)
            );
        }
    }
}
