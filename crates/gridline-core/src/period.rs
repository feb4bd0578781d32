//! Calendar months in Beijing time: the unit of the monthly dispatch, ranking and review
//! (月调度、月排名、月点评), and periods made of whole months.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// A month, written `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i16,
    /// 1–12
    month: i8,
}

fn beijing() -> TimeZone {
    TimeZone::get("Asia/Shanghai").expect("the bundled time zone database has Asia/Shanghai")
}

/// The Beijing-time date an instant falls in: the day of daily counts.
pub fn day_of(at: Timestamp) -> Date {
    at.to_zoned(beijing()).date()
}

impl Month {
    pub fn new(year: i16, month: i8) -> Option<Month> {
        ((1..=12).contains(&month) && (1900..=9998).contains(&year)).then_some(Month { year, month })
    }

    /// Parses `YYYY-MM`, nothing else.
    pub fn parse(text: &str) -> Result<Month, DomainError> {
        let bad = || DomainError::invalid("period", format!("{text:?} is not a month written YYYY-MM"));
        let (y, m) = text.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Month::new(y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?).ok_or_else(bad)
    }

    /// The Beijing-time month an instant falls in.
    pub fn of(at: Timestamp) -> Month {
        let date = at.to_zoned(beijing()).date();
        Month { year: date.year(), month: date.month() }
    }

    pub fn year(self) -> i16 {
        self.year
    }

    pub fn number(self) -> i8 {
        self.month
    }

    pub fn previous(self) -> Month {
        self.plus(-1)
    }

    pub fn same_month_last_year(self) -> Month {
        self.plus(-12)
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> Month {
        let index = i32::from(self.year) * 12 + i32::from(self.month) - 1 + n;
        Month { year: index.div_euclid(12) as i16, month: (index.rem_euclid(12) + 1) as i8 }
    }

    /// The first instant of the month in Beijing time.
    pub fn start(self) -> Timestamp {
        Date::new(self.year, self.month, 1)
            .expect("a valid month")
            .to_zoned(beijing())
            .expect("midnight exists in Beijing")
            .timestamp()
    }

    /// Months from `self` to `other`, both included; empty when `other` is earlier.
    pub fn through(self, other: Month) -> impl Iterator<Item = Month> {
        let n = other.index() - self.index();
        (0..=n).map(move |i| self.plus(i))
    }

    fn index(self) -> i32 {
        i32::from(self.year) * 12 + i32::from(self.month) - 1
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// In the API's description: the text `YYYY-MM` it is written as.
impl utoipa::PartialSchema for Month {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^\d{4}-\d{2}$"))
            .examples(["2024-10"])
            .into()
    }
}

impl utoipa::ToSchema for Month {}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Month::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Whole months from `first` to `last`, both included: a month, a quarter, a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Period {
    pub first: Month,
    pub last: Month,
}

/// The longest period accepted: ten years of months keeps every query bounded.
pub const MAX_PERIOD_MONTHS: i32 = 120;

impl Period {
    pub fn new(first: Month, last: Month) -> Result<Period, DomainError> {
        let len = last.index() - first.index() + 1;
        if len < 1 {
            return Err(DomainError::invalid("period", format!("the period ends ({last}) before it starts ({first})")));
        }
        if len > MAX_PERIOD_MONTHS {
            return Err(DomainError::invalid("period", format!("a period is at most {MAX_PERIOD_MONTHS} months")));
        }
        Ok(Period { first, last })
    }

    pub fn month(month: Month) -> Period {
        Period { first: month, last: month }
    }

    /// `YYYY-MM` for one month or `YYYY-MM..YYYY-MM` for a range.
    pub fn parse(text: &str) -> Result<Period, DomainError> {
        match text.split_once("..") {
            Some((a, b)) => Period::new(Month::parse(a)?, Month::parse(b)?),
            None => Ok(Period::month(Month::parse(text)?)),
        }
    }

    /// A quarter written `YYYY-Qn` (n 1–4): its three months.
    pub fn quarter(text: &str) -> Result<Period, DomainError> {
        let bad = || DomainError::invalid("quarter", format!("{text:?} is not a quarter written YYYY-Qn, e.g. 2026-Q3"));
        let (y, q) = text.split_once("-Q").ok_or_else(bad)?;
        if y.len() != 4 || q.len() != 1 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let q: i8 = q.parse().ok().filter(|q| (1..=4).contains(q)).ok_or_else(bad)?;
        let first = Month::new(y.parse().map_err(|_| bad())?, q * 3 - 2).ok_or_else(bad)?;
        Ok(Period { first, last: first.plus(2) })
    }

    pub fn month_count(self) -> i32 {
        self.last.index() - self.first.index() + 1
    }

    pub fn months(self) -> impl Iterator<Item = Month> {
        self.first.through(self.last)
    }

    pub fn contains(self, month: Month) -> bool {
        self.first <= month && month <= self.last
    }

    /// The period of the same length just before this one.
    pub fn previous(self) -> Period {
        Period { first: self.first.plus(-self.month_count()), last: self.first.plus(-1) }
    }

    pub fn same_period_last_year(self) -> Period {
        Period { first: self.first.plus(-12), last: self.last.plus(-12) }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.first == self.last { write!(f, "{}", self.first) } else { write!(f, "{}..{}", self.first, self.last) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_parse_strictly() {
        let q3 = Period::quarter("2026-Q3").unwrap();
        assert_eq!((q3.first.to_string(), q3.last.to_string()), ("2026-07".into(), "2026-09".into()));
        assert_eq!(Period::quarter("2025-Q4").unwrap().last.to_string(), "2025-12");
        for bad in ["2026-Q0", "2026-Q5", "2026Q3", "2026-q3", "26-Q3", "2026-Q33", ""] {
            assert!(Period::quarter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(Month::parse("2026-11").unwrap().to_string(), "2026-11");
        for bad in ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", "2026-11-01", "２０２６-11", "-2026-11"] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_month_is_taken_in_beijing_time() {
        // 2026-10-31T16:30Z is 00:30 on 1 November in Beijing.
        let at: Timestamp = "2026-10-31T16:30:00Z".parse().unwrap();
        assert_eq!(Month::of(at).to_string(), "2026-11");
        assert_eq!(Month::parse("2026-11").unwrap().start(), "2026-10-31T16:00:00Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn month_arithmetic_crosses_years() {
        let jan = Month::parse("2026-01").unwrap();
        assert_eq!(jan.previous().to_string(), "2025-12");
        assert_eq!(jan.same_month_last_year().to_string(), "2025-01");
        assert_eq!(jan.plus(14).to_string(), "2027-03");
        assert_eq!(Month::parse("2025-11").unwrap().through(jan).count(), 3);
    }

    #[test]
    fn periods_have_a_previous_and_last_year() {
        let q = Period::parse("2026-01..2026-03").unwrap();
        assert_eq!(q.month_count(), 3);
        assert_eq!(q.previous().to_string(), "2025-10..2025-12");
        assert_eq!(q.same_period_last_year().to_string(), "2025-01..2025-03");
        assert!(Period::parse("2026-03..2026-01").is_err());
        assert!(Period::parse("2000-01..2026-01").is_err());
        assert_eq!(Period::parse("2026-02").unwrap().previous().to_string(), "2026-01");
    }
}
