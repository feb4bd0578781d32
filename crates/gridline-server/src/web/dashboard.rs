//! `GET /api/v1/dashboard`: what the city (or one district or street) looks like today — intake,
//! open and overdue cases, the three rates of a month, the daily trend, the categories and the
//! regions one level down, for the dashboard's charts and map.
//!
//! Read from the rollups (totals, trend, the period's categories and rates: the rates exactly as
//! the rankings define them) and one count of the open cases over their index: no case is read, however many
//! the city holds. The figures are the scope's for every signed-in user: the rollups count cases
//! by place and month, not by who may open them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use gridline_core::catalogue::Catalogue;
use gridline_core::period::{Month, Period, day_of};
use gridline_core::rates::{RateConfig, Share, ThreeRates};
use gridline_core::region::{Region, RegionLevel, RegionTree};
use gridline_core::rollup::{DayCounts, RateCounts, street_of};
use gridline_core::message::Reason;
use gridline_core::case_map::{PRECISIONS, cells, default_precision};
use gridline_store::{CaseFilter, OpenCases, VolumeGrain};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::views::local_time;

/// Longest trend the dashboard draws, in days.
const MAX_TREND_DAYS: u32 = 366;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// A district or street code; the whole city when absent.
    region: Option<String>,
    /// Days of trend ending today (1–366, default 30).
    #[param(value_type = Option<u32>)]
    days: Option<String>,
    /// The month (YYYY-MM) or months (YYYY-MM..YYYY-MM) of the rates; this month by default.
    period: Option<String>,
}

#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Overview {
    pub scope: Scope,
    pub generated_at: String,
    /// Every case ever received in the scope.
    pub total: i64,
    pub today: DayCount,
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    /// Open cases supervised (督办) at least once.
    pub supervised: i64,
    /// The months the rates cover: `YYYY-MM` or `YYYY-MM..YYYY-MM`.
    pub period: String,
    pub rates: DashboardRates,
    pub trend: Vec<DayCount>,
    /// Cases registered in the period (received in its months) by catalogue group, most first;
    /// duplicates merged away do not count.
    pub by_category: Vec<CategoryCount>,
    /// The regions one level below the scope (districts of the city, streets of a district).
    pub by_region: Vec<RegionCount>,
}

#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Scope {
    pub code: Option<String>,
    pub name: String,
    /// city, district or street
    #[schema(value_type = String)]
    pub level: RegionLevel,
    pub parent: Option<String>,
}

#[derive(Debug, Default, Serialize, PartialEq, utoipa::ToSchema)]
pub struct DayCount {
    pub date: String,
    pub received: i64,
    /// Cases finished that day: closed, rejected or merged.
    pub closed: i64,
}

/// 三率 of the period as shares of whole numbers, defined as the rankings define them
/// (`gridline_core::rates`): response within the time limit, returns not held against the unit,
/// 基本满意 counted as configured.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct DashboardRates {
    /// 响应率: dispatches accepted within the response limit ÷ (dispatches − returns).
    pub response: RateShare,
    /// 解决率: call-backs where the citizen says it is solved ÷ call-backs.
    pub resolution: RateShare,
    /// 满意率: call-backs satisfied (and basically satisfied) ÷ call-backs.
    pub satisfaction: RateShare,
}

#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RateShare {
    pub numerator: i64,
    pub denominator: i64,
    /// The share from 0 to 1; `None` when there is nothing to measure yet.
    pub rate: Option<f64>,
}

impl From<Share> for RateShare {
    fn from(share: Share) -> RateShare {
        RateShare { numerator: share.numerator, denominator: share.denominator, rate: share.fraction() }
    }
}

#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CategoryCount {
    pub code: String,
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RegionCount {
    pub code: String,
    pub name: String,
    pub total: i64,
    pub open: i64,
    pub overdue: i64,
}

/// `GET /api/v1/dashboard?region=&days=&period=`
#[utoipa::path(get, path = "/dashboard", tag = "analytics", security(("bearer" = [])), params(DashboardQuery),
    responses((status = 200, description = "the scope's figures today and the rates of the period", body = Overview),
        (status = 422, description = "an unknown region or one below a street, `days` out of range, or an invalid period")))]
pub async fn dashboard(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<DashboardQuery>, QueryRejection>,
) -> Result<Json<Overview>, ApiError> {
    let Query(query) = query?;
    let scope = scope_of(&state.regions, query.region.as_deref())?;
    let days = match query.days.as_deref() {
        None => 30,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_TREND_DAYS).contains(d))
            .ok_or_else(|| ApiError::invalid("days", format!("days is a whole number from 1 to {MAX_TREND_DAYS}, not {text:?}")))?,
    };
    let now = Timestamp::now();
    let period = match query.period.as_deref() {
        None => Period::month(Month::of(now)),
        Some(text) => Period::parse(text)?,
    };
    let (first_day, today) = trend_days(now, days);
    let prefix = scope.map(Region::code_prefix);
    let (rollups, cases) = (state.store.rollups(), state.store.cases());
    // Five small reads, side by side.
    let (rate_counts, daily, received, open, volume) = tokio::try_join!(
        rollups.rate_total(period, prefix, None),
        rollups.daily_counts(first_day, today, prefix),
        rollups.received_by_street(prefix),
        cases.open_by_region(prefix, now),
        rollups.volume(period.first, period.last, prefix, None, VolumeGrain::Category),
    )?;
    let registered = volume.iter().fold(HashMap::new(), |mut by_entry: HashMap<String, i64>, row| {
        *by_entry.entry(row.category.clone()).or_default() += row.count;
        by_entry
    });
    let figures = Figures { rate_counts, daily, received, open, registered };
    let reference = state.reference();
    Ok(Json(overview(&figures, scope, &state.regions, &reference.catalogue, now, days, period)))
}

/// The dashboard's scope named by `region`: the city (`None`) when absent, else a district or a street.
fn scope_of<'r>(regions: &'r RegionTree, region: Option<&str>) -> Result<Option<&'r Region>, ApiError> {
    match region {
        None | Some("") => Ok(None),
        Some(code) => {
            let region = regions.get(code).ok_or_else(|| ApiError::invalid("region", format!("unknown region {code:?}")))?;
            match region.level {
                RegionLevel::City => Ok(None),
                RegionLevel::District | RegionLevel::Street => Ok(Some(region)),
                _ => Err(ApiError::invalid("region", "the dashboard covers the city, a district or a street")),
            }
        }
    }
}

/// The first and the last day of a trend of `days` days ending on the day of `now`.
fn trend_days(now: Timestamp, days: u32) -> (Date, Date) {
    let today = day_of(now);
    (today.checked_sub(i64::from(days - 1).days()).unwrap_or(today), today)
}

/// What the store gives the dashboard, all inside its scope.
pub struct Figures {
    pub rate_counts: RateCounts,
    /// Received and finished per day over the trend's days (days without cases absent).
    pub daily: BTreeMap<Date, DayCounts>,
    /// Cases ever received, by street ("" for no known street).
    pub received: BTreeMap<String, i64>,
    /// Open cases now, by region code.
    pub open: Vec<OpenCases>,
    /// Cases registered in the period by catalogue entry.
    pub registered: HashMap<String, i64>,
}

/// The overview of `figures` (all inside `scope`) at `now`, with a trend of `days` days and the
/// rates of `period`.
pub fn overview(
    figures: &Figures,
    scope: Option<&Region>,
    regions: &RegionTree,
    catalogue: &Catalogue,
    now: Timestamp,
    days: u32,
    period: Period,
) -> Overview {
    let (first_day, today) = trend_days(now, days);
    // The level one below the scope, and the child region each street or case code falls in.
    let child_level = match scope.map(|r| r.level) {
        None | Some(RegionLevel::City) => Some(RegionLevel::District),
        Some(RegionLevel::District) => Some(RegionLevel::Street),
        Some(_) => None,
    };
    let mut by_region: BTreeMap<String, RegionCount> = child_level
        .map(|level| {
            regions
                .at_level(level)
                .filter(|r| scope.is_none_or(|s| r.parent.as_deref() == Some(s.code.as_str())))
                .map(|r| (r.code.clone(), RegionCount { code: r.code.clone(), name: r.name.clone(), total: 0, open: 0, overdue: 0 }))
                .collect()
        })
        .unwrap_or_default();
    // Codes below a street (communities, grid cells) are placed by their street.
    let child_of = |code: &str| Some(regions.ancestor_at(&street_of(code), child_level?)?.code.as_str());
    for (street, n) in &figures.received {
        if let Some(count) = child_of(street).and_then(|c| by_region.get_mut(c)) {
            count.total += n;
        }
    }
    for cases in &figures.open {
        if let Some(count) = child_of(&cases.region).and_then(|c| by_region.get_mut(c)) {
            count.open += cases.open;
            count.overdue += cases.overdue;
        }
    }

    let trend = (0..days)
        .filter_map(|n| first_day.checked_add(i64::from(n).days()).ok())
        .map(|date| day_count(date, figures.daily.get(&date)))
        .collect();
    let mut groups: HashMap<&str, i64> = HashMap::new();
    for (entry, n) in &figures.registered {
        if let Some(group) = catalogue.group_of(entry) {
            *groups.entry(group.code.as_str()).or_default() += n;
        }
    }
    let mut by_category: Vec<CategoryCount> = groups
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(code, count)| CategoryCount { code: code.to_owned(), name: catalogue.get(code).map(|e| e.name.clone()).unwrap_or_default(), count })
        .collect();
    by_category.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    let three = ThreeRates::of(&figures.rate_counts, &RateConfig::default());
    let open_sum = |f: fn(&OpenCases) -> i64| figures.open.iter().map(f).sum::<i64>();

    Overview {
        scope: match scope {
            Some(region) => Scope {
                code: Some(region.code.clone()),
                name: region.name.clone(),
                level: region.level,
                parent: region.parent.clone(),
            },
            None => Scope { code: None, name: "北京市".into(), level: RegionLevel::City, parent: None },
        },
        generated_at: local_time(now),
        total: figures.received.values().sum(),
        today: day_count(today, figures.daily.get(&today)),
        open: open_sum(|c| c.open),
        overdue: open_sum(|c| c.overdue),
        due_soon: open_sum(|c| c.due_soon),
        supervised: open_sum(|c| c.supervised),
        period: period.to_string(),
        rates: DashboardRates { response: three.response.into(), resolution: three.resolution.into(), satisfaction: three.satisfaction.into() },
        trend,
        by_category,
        by_region: by_region.into_values().collect(),
    }
}

fn day_count(date: Date, counts: Option<&DayCounts>) -> DayCount {
    let counts = counts.copied().unwrap_or_default();
    DayCount { date: date.to_string(), received: counts.received, closed: counts.closed }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WANGJING: &str = "110105026000";

    fn day(text: &str) -> Date {
        text.parse().expect("a date")
    }

    #[test]
    fn streets_and_open_cases_fold_into_the_regions_one_level_down() {
        let now: Timestamp = "2026-11-20T06:00:00Z".parse().expect("a time"); // 14:00 in Beijing
        let figures = Figures {
            rate_counts: RateCounts { dispatched: 4, returned: 1, responded: 2, called_back: 2, resolved: 1, satisfied: 1, basically_satisfied: 1, ..RateCounts::default() },
            daily: BTreeMap::from([
                (day("2026-11-20"), DayCounts { received: 1, closed: 0 }),
                (day("2026-10-22"), DayCounts { received: 2, closed: 1 }),
            ]),
            received: BTreeMap::from([(WANGJING.to_owned(), 5), ("110105001000".to_owned(), 2), ("110101001000".to_owned(), 1), (String::new(), 4)]),
            open: vec![
                OpenCases { region: "110105026001".into(), open: 2, overdue: 1, due_soon: 1, supervised: 1 },
                OpenCases { region: String::new(), open: 1, ..OpenCases::default() },
            ],
            registered: HashMap::from([("S0102".to_owned(), 3), ("S0101".to_owned(), 1)]),
        };
        let regions = gridline_geo::beijing();
        let catalogue = Catalogue::builtin();
        let o = overview(&figures, None, &regions, &catalogue, now, 30, Period::parse("2026-11").expect("a month"));
        // Cases of no known street count in the city, in no district.
        assert_eq!((o.total, o.open, o.overdue, o.due_soon, o.supervised), (12, 3, 1, 1, 1));
        assert_eq!(o.today, DayCount { date: "2026-11-20".into(), received: 1, closed: 0 });
        assert_eq!(o.trend.len(), 30);
        assert_eq!(o.trend[0], DayCount { date: "2026-10-22".into(), received: 2, closed: 1 });
        assert_eq!(o.rates.response, RateShare { numerator: 2, denominator: 3, rate: Some(2.0 / 3.0) });
        assert_eq!(o.rates.satisfaction, RateShare { numerator: 2, denominator: 2, rate: Some(1.0) });
        assert_eq!(o.period, "2026-11");
        let chaoyang = o.by_region.iter().find(|r| r.code == "110105000000").expect("朝阳区");
        assert_eq!((chaoyang.total, chaoyang.open, chaoyang.overdue), (7, 2, 1));
        assert_eq!(o.by_region.iter().map(|r| r.total).sum::<i64>(), 8);
        assert_eq!(o.by_region.len(), 16);
        assert_eq!(o.by_category.len(), 1, "both entries are in one group");
        assert_eq!(o.by_category[0].count, 4);

        // One street: nothing below it; nothing at all is all zeros and no rate, not an error.
        let street = regions.get(WANGJING);
        let empty = Figures { rate_counts: RateCounts::default(), daily: BTreeMap::new(), received: BTreeMap::new(), open: vec![], registered: HashMap::new() };
        let o = overview(&empty, street, &regions, &catalogue, now, 1, Period::parse("2026-11").expect("a month"));
        assert!(o.by_region.is_empty());
        assert_eq!(o.trend.len(), 1);
        assert_eq!((o.total, o.open, o.by_category.len()), (0, 0, 0));
        assert_eq!(o.rates.resolution, RateShare { numerator: 0, denominator: 0, rate: None }, "nothing to measure is not 0 %");
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseMapQuery {
    /// A district or street code; the whole city when absent.
    region: Option<String>,
    /// open (the cases open now, the default), overdue (open and past their deadline) or
    /// received (every case received in `period`).
    cases: Option<String>,
    /// With `cases=received`: the month (YYYY-MM) or months (YYYY-MM..YYYY-MM); this month by default.
    period: Option<String>,
    /// The grid: cells of 10^-precision degrees, 2 (about 1 km) to 5 (about 1 m); by default 3 for
    /// the city, 4 for a district, 5 for a street.
    #[param(value_type = Option<u8>)]
    precision: Option<String>,
}

/// The cases of the dashboard map as the cells of a grid, in parallel columns: cell `i` has its
/// south-west corner at (`x[i]`, `y[i]`) × 10^-`precision` degrees (WGS 84) and holds `count[i]`
/// cases, `overdue[i]` of them past their deadline.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CaseMap {
    /// The region code of the scope; null for the city.
    pub region: Option<String>,
    /// open, overdue or received
    pub cases: String,
    /// With `cases=received`, the months; otherwise null.
    pub period: Option<String>,
    pub precision: u8,
    /// The cases drawn: those the filter admits, inside the scope, that the user may open and
    /// that have a place.
    pub placed: i64,
    /// Those the filter admits that have no place (not drawn).
    pub unplaced: i64,
    pub x: Vec<i64>,
    pub y: Vec<i64>,
    pub count: Vec<u32>,
    pub overdue: Vec<u32>,
}

/// `GET /api/v1/dashboard/map?region=&cases=&period=&precision=`
///
/// Unlike the dashboard's figures (counts by place, the same for everyone), a cell of this map is a
/// few cases at a spot down to a metre: it holds only the cases the user may open, as the case list
/// does (a unit its own, a grid worker or a dispatcher of an area that area's and its own reports).
#[utoipa::path(get, path = "/dashboard/map", tag = "analytics", security(("bearer" = [])), params(CaseMapQuery),
    responses((status = 200, description = "the scope's cases that the user may see, counted in the cells of a grid", body = CaseMap),
        (status = 422, description = "an unknown region or one below a street, an unknown `cases`, an invalid period or precision")))]
pub async fn case_map(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<CaseMapQuery>, QueryRejection>,
) -> Result<Json<CaseMap>, ApiError> {
    let Query(query) = query?;
    let scope = scope_of(&state.regions, query.region.as_deref())?;
    let now = Timestamp::now();
    let mut filter = CaseFilter::new(state.visibility(&who.actor), now);
    filter.region_prefix = scope.map(|r| r.code_prefix().to_owned());
    let cases = query.cases.as_deref().unwrap_or("open");
    let mut period = None;
    match cases {
        "open" => {}
        "overdue" => filter.overdue = Some(true),
        "received" => {
            let months = match query.period.as_deref() {
                None => Period::month(Month::of(now)),
                Some(text) => Period::parse(text)?,
            };
            filter.received_from = Some(months.first.start());
            filter.received_to = Some(months.last.plus(1).start());
            period = Some(months.to_string());
        }
        other => return Err(ApiError::Refused(Reason::new("unknown_value").on("cases").with("value", other).with("known", "open, overdue, received"))),
    }
    if period.is_none() && query.period.is_some() {
        return Err(ApiError::invalid("period", "period goes with cases=received"));
    }
    let precision = match query.precision.as_deref() {
        None => default_precision(scope.map_or(RegionLevel::City, |r| r.level)),
        Some(text) => text.parse::<u8>().ok().filter(|p| PRECISIONS.contains(p)).ok_or_else(|| {
            ApiError::invalid("precision", format!("precision is a whole number from {} to {}, not {text:?}", PRECISIONS.start(), PRECISIONS.end()))
        })?,
    };
    let places = state.store.cases().places(&filter, cases != "received").await?;
    let grid = cells(places.placed.iter().map(|p| (p.lon, p.lat, p.overdue)), precision);
    Ok(Json(CaseMap {
        region: scope.map(|r| r.code.clone()),
        cases: cases.to_owned(),
        period,
        precision,
        placed: places.placed.len() as i64,
        unplaced: places.unplaced,
        x: grid.x,
        y: grid.y,
        count: grid.count,
        overdue: grid.overdue,
    }))
}
