//! High-frequency problems and places (高频问题、高频点位): counts by catalogue entry against the
//! period before and the same period last year, spikes against the usual level, and places that
//! keep coming back — the same address, or case points falling in the same small square.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::campaign::{VolumeRow, change_percent};
use crate::case::CaseId;
use crate::period::{Month, Period};

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProblemCount {
    pub category: String,
    pub count: i64,
    pub previous: i64,
    pub last_year: i64,
    pub change_vs_previous: Option<f64>,
    pub change_vs_last_year: Option<f64>,
}

/// Counts by catalogue entry in `period`, most frequent first (ties by code), from volume rows
/// that cover the period, the one before and the same one last year, already limited to the
/// region of interest.
pub fn problems(period: Period, rows: &[VolumeRow]) -> Vec<ProblemCount> {
    let (previous, last_year) = (period.previous(), period.same_period_last_year());
    let mut by: BTreeMap<&str, [i64; 3]> = BTreeMap::new();
    for row in rows {
        let slot = if period.contains(row.month) {
            0
        } else if previous.contains(row.month) {
            1
        } else if last_year.contains(row.month) {
            2
        } else {
            continue;
        };
        by.entry(row.category.as_str()).or_default()[slot] += row.count;
    }
    let mut out: Vec<ProblemCount> = by
        .into_iter()
        .filter(|(_, [now, ..])| *now > 0)
        .map(|(category, [count, previous, last_year])| ProblemCount {
            category: category.to_owned(),
            count,
            previous,
            last_year,
            change_vs_previous: change_percent(count, previous),
            change_vs_last_year: change_percent(count, last_year),
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.category.cmp(&b.category)));
    out
}

/// Months of history a spike is measured against.
pub const SPIKE_BASELINE_MONTHS: i32 = 6;

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Spike {
    pub category: String,
    pub count: i64,
    /// The mean monthly count over the baseline months.
    pub usual: f64,
}

/// Entries whose count in `month` is at least twice their usual monthly level and above it by
/// more than three standard deviations of a Poisson count (3·√usual, at least 3): a rise that
/// chance does not explain. Biggest excess first.
pub fn spikes(month: Month, rows: &[VolumeRow]) -> Vec<Spike> {
    let first = month.plus(-SPIKE_BASELINE_MONTHS);
    let mut by: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for row in rows {
        if row.month == month {
            by.entry(&row.category).or_default().0 += row.count;
        } else if first <= row.month && row.month < month {
            by.entry(&row.category).or_default().1 += row.count;
        }
    }
    let mut out: Vec<Spike> = by
        .into_iter()
        .filter_map(|(category, (count, history))| {
            let usual = history as f64 / f64::from(SPIKE_BASELINE_MONTHS);
            let excess = count as f64 - usual;
            (count as f64 >= 2.0 * usual && excess > (3.0 * usual.sqrt()).max(3.0))
                .then(|| Spike { category: category.to_owned(), count, usual })
        })
        .collect();
    out.sort_by(|a, b| (b.count as f64 - b.usual).total_cmp(&(a.count as f64 - a.usual)));
    out
}

/// One case as a point of a place.
#[derive(Clone, Debug)]
pub struct CasePoint {
    pub id: CaseId,
    pub category: Option<String>,
    pub address: Option<String>,
    pub location: Option<(f64, f64)>,
    pub received: jiff::Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecurringPlace {
    /// `address` for a repeated address, `cluster` for points in one square.
    pub kind: &'static str,
    /// The address, or the square's centre as `lat,lon`.
    pub place: String,
    pub count: usize,
    pub categories: Vec<String>,
    /// The cases, oldest first: the place's history.
    pub cases: Vec<CaseId>,
}

/// The side of the squares that group case points, in metres: about a building front or a
/// short stretch of street, where one problem keeps recurring.
pub const CLUSTER_METRES: f64 = 100.0;

/// An address as people write it varies in spaces and punctuation; those do not make another place.
fn normalise_address(address: &str) -> String {
    address.chars().filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation() && !"，。、（）".contains(*c)).collect()
}

/// Places with at least `min_count` cases: repeated addresses and squares of
/// [`CLUSTER_METRES`]; most cases first.
pub fn recurring_places(points: &[CasePoint], min_count: usize) -> Vec<RecurringPlace> {
    let mut by_address: HashMap<String, Vec<&CasePoint>> = HashMap::new();
    let mut by_square: HashMap<(i64, i64), Vec<&CasePoint>> = HashMap::new();
    // Degrees per metre: latitude is constant; longitude shrinks with the cosine of latitude.
    let lat_step = CLUSTER_METRES / 111_320.0;
    for point in points {
        if let Some(address) = point.address.as_deref().map(normalise_address).filter(|a| !a.is_empty()) {
            by_address.entry(address).or_default().push(point);
        }
        if let Some((lat, lon)) = point.location.filter(|(lat, lon)| lat.is_finite() && lon.is_finite() && lat.abs() < 89.0) {
            let lon_step = lat_step / lat.to_radians().cos();
            by_square.entry(((lat / lat_step).floor() as i64, (lon / lon_step).floor() as i64)).or_default().push(point);
        }
    }
    let place = |kind: &'static str, name: String, mut cases: Vec<&CasePoint>| {
        cases.sort_by_key(|p| (p.received, p.id));
        let mut categories: Vec<String> = cases.iter().filter_map(|p| p.category.clone()).collect();
        categories.sort();
        categories.dedup();
        RecurringPlace { kind, place: name, count: cases.len(), categories, cases: cases.iter().map(|p| p.id).collect() }
    };
    let mut out: Vec<RecurringPlace> = by_address
        .into_iter()
        .filter(|(_, v)| v.len() >= min_count)
        .map(|(address, cases)| place("address", address, cases))
        .collect();
    for ((y, x), cases) in by_square.into_iter().filter(|(_, v)| v.len() >= min_count) {
        let lat = (y as f64 + 0.5) * lat_step;
        let lon = (x as f64 + 0.5) * lat_step / lat.to_radians().cos();
        out.push(place("cluster", format!("{lat:.5},{lon:.5}"), cases));
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.kind.cmp(b.kind)).then_with(|| a.place.cmp(&b.place)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollup::tests::bj;

    fn row(month: &str, category: &str, count: i64) -> VolumeRow {
        VolumeRow { month: Month::parse(month).unwrap(), region: "110105026000".into(), category: category.into(), count }
    }

    #[test]
    fn problems_by_entry_with_both_comparisons() {
        let rows = vec![
            row("2026-05", "0101", 30),
            row("2026-05", "0301", 45),
            row("2026-04", "0101", 20),
            row("2025-05", "0101", 60),
            row("2025-05", "0301", 45),
            row("2026-04", "0999", 7), // only before: not a problem of this month
        ];
        let p = problems(Period::parse("2026-05").unwrap(), &rows);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].category.as_str(), p[0].count, p[0].previous, p[0].last_year), ("0301", 45, 0, 45));
        assert_eq!((p[0].change_vs_previous, p[0].change_vs_last_year), (None, Some(0.0)));
        assert_eq!((p[1].category.as_str(), p[1].change_vs_previous, p[1].change_vs_last_year), ("0101", Some(50.0), Some(-50.0)));
    }

    #[test]
    fn a_spike_is_far_above_the_usual_level() {
        let mut rows = Vec::new();
        for m in ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"] {
            rows.push(row(m, "0101", 10)); // usual 10: 25 is a spike (≥ 20 and > 10 + 9.5)
            rows.push(row(m, "0102", 10)); // 19 is not (< 20)
            rows.push(row(m, "0103", 1)); //  usual 1: 3 is not (excess 2 ≤ 3)
        }
        rows.extend([row("2026-07", "0101", 25), row("2026-07", "0102", 19), row("2026-07", "0103", 3), row("2026-07", "0104", 5)]);
        let s = spikes(Month::parse("2026-07").unwrap(), &rows);
        let codes: Vec<&str> = s.iter().map(|s| s.category.as_str()).collect();
        // 0104 is new: usual 0, 5 > 3.
        assert_eq!(codes, vec!["0101", "0104"]);
        assert!((s[0].usual - 10.0).abs() < 1e-9);
    }

    #[test]
    fn places_recur_by_address_and_by_square() {
        let p = |id, address: Option<&str>, location, day: &str| CasePoint {
            id,
            category: Some("0101".into()),
            address: address.map(Into::into),
            location,
            received: bj(&format!("{day} 10:00")),
        };
        let points = vec![
            p(CaseId::new(1).unwrap(), Some("阜通东大街6号"), Some((39.99620, 116.47010)), "2026-05-03"),
            p(CaseId::new(2).unwrap(), Some("阜通东大街 6号"), Some((39.99630, 116.47020)), "2026-05-01"),
            p(CaseId::new(3).unwrap(), Some("阜通东大街6号。"), None, "2026-05-02"),
            p(CaseId::new(4).unwrap(), Some("望京西路1号"), Some((39.99625, 116.47015)), "2026-05-04"),
            p(CaseId::new(5).unwrap(), None, Some((39.9, 116.3)), "2026-05-04"),
        ];
        let places = recurring_places(&points, 3);
        assert_eq!(places.len(), 2);
        assert_eq!((places[0].kind, places[0].place.as_str(), places[0].cases.iter().map(|c| c.get()).collect::<Vec<_>>()), ("address", "阜通东大街6号", vec![2, 3, 1]));
        assert_eq!((places[1].kind, places[1].cases.iter().map(|c| c.get()).collect::<Vec<_>>()), ("cluster", vec![2, 1, 4]));
        assert!(recurring_places(&[], 2).is_empty());
    }
}
