//! `GET /api/v1/dashboard`: what the city (or one district or street) looks like today — intake,
//! open and overdue cases, the three rates, the daily trend, the categories and the regions one
//! level down, for the dashboard's charts and map. Computed from the cases the user may see.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{Case, Satisfaction};
use gridline_core::catalogue::Catalogue;
use gridline_core::region::{Region, RegionLevel, RegionTree};
use gridline_store::CaseFilter;
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::views::local_time;
use crate::AppState;

/// Longest trend the dashboard draws, in days.
const MAX_TREND_DAYS: u32 = 366;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// A district or street code; the whole city when absent.
    region: Option<String>,
    /// Days of trend ending today (1–366, default 30).
    days: Option<String>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Overview {
    pub scope: Scope,
    pub generated_at: String,
    pub total: usize,
    pub today: DayCount,
    pub open: usize,
    pub overdue: usize,
    pub due_soon: usize,
    pub supervised: usize,
    pub rates: Rates,
    pub trend: Vec<DayCount>,
    pub by_category: Vec<CategoryCount>,
    /// The regions one level below the scope (districts of the city, streets of a district).
    pub by_region: Vec<RegionCount>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Scope {
    pub code: Option<String>,
    pub name: String,
    pub level: RegionLevel,
    pub parent: Option<String>,
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct DayCount {
    pub date: String,
    pub received: usize,
    pub closed: usize,
}

/// 三率 as shares of whole numbers, so a reader can check them.
#[derive(Debug, Serialize, PartialEq)]
pub struct Rates {
    /// 响应率: dispatched cases the unit has accepted (签收).
    pub response: Rate,
    /// 解决率: called-back cases the citizen says were resolved.
    pub resolution: Rate,
    /// 满意率: called-back cases whose citizen was satisfied or basically satisfied.
    pub satisfaction: Rate,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Rate {
    pub numerator: usize,
    pub denominator: usize,
    /// `None` when there is nothing to measure yet.
    pub rate: Option<f64>,
}

impl Rate {
    fn of(numerator: usize, denominator: usize) -> Rate {
        #[allow(clippy::cast_precision_loss)] // counts of cases are far below 2^52
        let rate = (denominator > 0).then(|| numerator as f64 / denominator as f64);
        Rate { numerator, denominator, rate }
    }
}

#[derive(Debug, Serialize, PartialEq)]
pub struct CategoryCount {
    pub code: String,
    pub name: String,
    pub count: usize,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct RegionCount {
    pub code: String,
    pub name: String,
    pub total: usize,
    pub open: usize,
    pub overdue: usize,
}

/// `GET /api/v1/dashboard?region=&days=`
#[utoipa::path(get, path = "/dashboard", tag = "analytics", security(("bearer" = [])), params(DashboardQuery),
    responses((status = 200, description = "`{scope, generated_at, total, today, open, overdue, due_soon, supervised, rates, trend, by_category, by_region}` over the cases you may see", body = serde_json::Value),
        (status = 422, description = "an unknown region or one below a street, or `days` out of range")))]
pub async fn dashboard(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<DashboardQuery>, QueryRejection>,
) -> Result<Json<Overview>, ApiError> {
    let Query(query) = query?;
    let scope = match query.region.as_deref() {
        None | Some("") => None,
        Some(code) => {
            let region = state.regions.get(code).ok_or_else(|| ApiError::invalid("region", format!("unknown region {code:?}")))?;
            if !matches!(region.level, RegionLevel::City | RegionLevel::District | RegionLevel::Street) {
                return Err(ApiError::invalid("region", "the dashboard covers the city, a district or a street"));
            }
            Some(region)
        }
    };
    let days = match query.days.as_deref() {
        None => 30,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_TREND_DAYS).contains(d))
            .ok_or_else(|| ApiError::invalid("days", format!("days is a whole number from 1 to {MAX_TREND_DAYS}, not {text:?}")))?,
    };
    let now = Timestamp::now();
    let mut filter = CaseFilter::new(state.visibility(&who.actor), now);
    filter.region_prefix = scope.map(|r| r.code_prefix().to_owned());
    let cases = state.store.cases().for_overview(&filter).await?;
    let reference = state.reference();
    Ok(Json(summarise(&cases, scope, &state.regions, &reference.catalogue, WorkCalendar::china(), now, days)))
}

/// The overview of `cases` (all inside `scope`) at `now`, with a trend of `days` days.
pub fn summarise(
    cases: &[Case],
    scope: Option<&Region>,
    regions: &RegionTree,
    catalogue: &Catalogue,
    calendar: &WorkCalendar,
    now: Timestamp,
    days: u32,
) -> Overview {
    let tz = calendar.time_zone();
    let today = now.to_zoned(tz.clone()).date();
    let first_day = today.checked_sub(i64::from(days - 1).days()).unwrap_or(today);
    let day_of = |at: Timestamp| at.to_zoned(tz.clone()).date();

    // The level one below the scope, and which child region a case code falls in.
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

    let mut trend: BTreeMap<Date, DayCount> = BTreeMap::new();
    let mut by_category: HashMap<String, usize> = HashMap::new();
    let (mut open, mut overdue, mut due_soon, mut supervised) = (0, 0, 0, 0);
    let (mut dispatched, mut accepted, mut called_back, mut resolved, mut satisfied) = (0, 0, 0, 0, 0);
    let mut today_count = DayCount { date: today.to_string(), ..DayCount::default() };
    for case in cases {
        let clock = case.running_clock().map(|c| c.status(calendar, now));
        let is_open = case.status.is_open();
        let is_overdue = clock.is_some_and(|c| c.overdue);
        open += usize::from(is_open);
        overdue += usize::from(is_overdue);
        due_soon += usize::from(clock.is_some_and(|c| c.due_soon && !c.overdue));
        supervised += usize::from(is_open && case.supervision_count > 0);
        if case.dispatched_at.is_some() {
            dispatched += 1;
            accepted += usize::from(case.accepted_at.is_some());
        }
        if let Some(callback) = &case.callback {
            called_back += 1;
            resolved += usize::from(callback.resolved);
            satisfied += usize::from(matches!(callback.satisfaction, Satisfaction::Satisfied | Satisfaction::BasicallySatisfied));
        }
        let received = day_of(case.received_at);
        if received == today {
            today_count.received += 1;
        }
        if received >= first_day && received <= today {
            trend.entry(received).or_default().received += 1;
        }
        if let Some(closed) = case.closed_at.map(day_of) {
            if closed == today {
                today_count.closed += 1;
            }
            if closed >= first_day && closed <= today {
                trend.entry(closed).or_default().closed += 1;
            }
        }
        if let Some(group) = case.category.as_deref().and_then(|c| catalogue.group_of(c)) {
            *by_category.entry(group.code.clone()).or_default() += 1;
        }
        if let Some(level) = child_level
            && let Some(child) = case.region.as_deref().and_then(|r| regions.ancestor_at(r, level))
            && let Some(count) = by_region.get_mut(&child.code)
        {
            count.total += 1;
            count.open += usize::from(is_open);
            count.overdue += usize::from(is_overdue);
        }
    }

    let trend = (0..days)
        .filter_map(|n| first_day.checked_add(i64::from(n).days()).ok())
        .map(|date| {
            let count = trend.remove(&date).unwrap_or_default();
            DayCount { date: date.to_string(), ..count }
        })
        .collect();
    let mut by_category: Vec<CategoryCount> = by_category
        .into_iter()
        .map(|(code, count)| {
            let name = catalogue.get(&code).map(|e| e.name.clone()).unwrap_or_default();
            CategoryCount { code, name, count }
        })
        .collect();
    by_category.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));

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
        total: cases.len(),
        today: today_count,
        open,
        overdue,
        due_soon,
        supervised,
        rates: Rates {
            response: Rate::of(accepted, dispatched),
            resolution: Rate::of(resolved, called_back),
            satisfaction: Rate::of(satisfied, called_back),
        },
        trend,
        by_category,
        by_region: by_region.into_values().collect(),
    }
}

#[cfg(test)]
mod tests {
    use gridline_core::actor::{Actor, Role};
    use gridline_core::case::{CaseEvent, Change};
    use gridline_app::intake::NewCase;
    use gridline_core::reference::Reference;
    use gridline_core::unit::{Unit, UnitKind};
    use gridline_core::workflow::{Command, Context, decide};
    use jiff::SignedDuration;
    use serde_json::{Value, json};

    use super::*;

    const WANGJING: &str = "110105026000";

    fn actor(role: Role, unit: Option<&str>) -> Actor {
        Actor { user_id: 1, username: "u".into(), role, unit: unit.map(Into::into) }
    }

    /// A case received `days_ago` days before `now` in `region`, then taken through `steps`
    /// ten minutes apart.
    fn case(id: i64, now: Timestamp, days_ago: i64, region: &str, steps: &[Value]) -> Case {
        let regions = gridline_geo::beijing();
        let reference = Reference::builtin(&regions);
        let catalogue = &reference.catalogue;
        let units = |code: &str| {
            (code == "CY-WJ").then(|| Unit {
                code: code.into(),
                name: "望京街道办事处".into(),
                kind: UnitKind::StreetOffice,
                regions: vec![WANGJING.into()],
                types: vec!["street_office".into()],
            })
        };
        let new_case: NewCase = serde_json::from_value(json!({"channel": "hotline", "category": "S0102", "region": region, "description": "暴露垃圾"})).expect("a body");
        let operator = actor(Role::HotlineOperator, None);
        let received_at = now - SignedDuration::from_hours(24 * days_ago);
        let intake = new_case.validate(&operator, &reference, &regions).expect("valid");
        let mut case = Case::received(id, &CaseEvent { seq: 1, at: received_at, actor: operator, change: Change::Receive(intake) }).expect("a case");
        for (n, step) in steps.iter().enumerate() {
            let at = received_at + SignedDuration::from_mins(10 * (n as i64 + 1));
            let command: Command = serde_json::from_value(step.clone()).expect("a command");
            let who = match command {
                Command::Accept { .. } | Command::Handle { .. } => actor(Role::HandlingUnit, Some("CY-WJ")),
                _ => actor(Role::Admin, None),
            };
            let ctx = Context { calendar: WorkCalendar::china(), catalogue, regions: &regions, units: &units, now: at };
            let change = decide(&case, &command, &who, &ctx, None).expect("allowed");
            case.apply(&CaseEvent { seq: case.version + 1, at, actor: who, change });
        }
        case
    }

    #[test]
    fn overdue_cases_count_once_in_the_total_their_district_and_the_window_of_the_trend() {
        let now: Timestamp = "2026-11-20T06:00:00Z".parse().expect("a time"); // a Friday, 14:00 in Beijing
        let dispatch = [json!({"action": "register"}), json!({"action": "dispatch", "unit": "CY-WJ"})];
        let cases = vec![
            // Dispatched 20 days ago: long past its working-day limit.
            case(1, now, 20, WANGJING, &dispatch),
            // Received today, not yet dispatched: no clock.
            case(2, now, 0, WANGJING, &[]),
            // Received 40 days ago in 东城: outside a 30-day trend, still counted as open.
            case(3, now, 40, "110101001000", &[]),
        ];
        let regions = gridline_geo::beijing();
        let o = summarise(&cases, None, &regions, &Catalogue::builtin(), WorkCalendar::china(), now, 30);
        assert_eq!((o.total, o.open, o.overdue, o.due_soon), (3, 3, 1, 0));
        assert_eq!(o.today, DayCount { date: "2026-11-20".into(), received: 1, closed: 0 });
        assert_eq!(o.trend.len(), 30);
        assert_eq!(o.trend.first().map(|d| d.date.as_str()), Some("2026-10-22"));
        assert_eq!(o.trend.iter().map(|d| d.received).sum::<usize>(), 2, "the 40-day-old case is outside the window");
        assert_eq!(o.rates.response, Rate { numerator: 0, denominator: 1, rate: Some(0.0) });
        assert_eq!(o.rates.satisfaction, Rate { numerator: 0, denominator: 0, rate: None }, "nothing to measure is not 0 %");
        let chaoyang = o.by_region.iter().find(|r| r.code == "110105000000").expect("朝阳区");
        assert_eq!((chaoyang.total, chaoyang.open, chaoyang.overdue), (2, 2, 1));
        assert_eq!(o.by_region.iter().map(|r| r.total).sum::<usize>(), 3);

        // One street: nothing below it, and an empty city is all zeros, not an error.
        let street = regions.get(WANGJING);
        let o = summarise(&cases[..2], street, &regions, &Catalogue::builtin(), WorkCalendar::china(), now, 1);
        assert!(o.by_region.is_empty());
        assert_eq!(o.trend.len(), 1);
        let empty = summarise(&[], None, &regions, &Catalogue::builtin(), WorkCalendar::china(), now, 7);
        assert_eq!((empty.total, empty.open, empty.by_region.len(), empty.by_category.len()), (0, 0, 16, 0));
    }
}
