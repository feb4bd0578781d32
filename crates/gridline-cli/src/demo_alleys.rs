//! The demo city's back alleys (背街小巷): alleys in every street registered through the importer's
//! service, a steward per street, a year of daily patrols (the last month's problems filed as
//! cases through the one intake), weekly checks, and twelve monthly evaluations run by the
//! application — so that some alleys are downgraded and restored, listed and de-listed, titles
//! are named and one is withdrawn. Provenance (what is invented): data/alleys/PROVENANCE.md.

use std::collections::HashMap;
use std::sync::Arc;

use gridline_app::alleys::alley_standard;
use gridline_app::{App, TextOptions};
use gridline_core::actor::{Actor, Role};
use gridline_core::alley::{AlleyRules, FourHaves, Grade, NewAlley, NewPatrol, Patrol, Problem, WeeklyCheck, score_visit, standard_version};
use gridline_core::case::GeoPoint;
use gridline_core::period::{Month, day_of};
use gridline_core::region::{RegionLevel, RegionTree};
use gridline_geo::{Geography, LatLon};
use gridline_store::Store;
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Alleys tried per street (those whose line leaves the street are dropped).
const ALLEYS_PER_STREET: usize = 4;
/// Days of patrol history.
const DAYS: i64 = 365;
/// Patrols of the last days file their problems as cases through the intake; older ones are
/// history without cases.
const FILED_DAYS: i64 = 14;
const DIRECTIONS: [&str; 4] = ["东", "西", "南", "北"];
const KINDS: [&str; 4] = ["胡同", "巷", "里", "条"];
const ORDINALS: [&str; 6] = ["一", "二", "三", "四", "五", "六"];
const CHIEF_SURNAMES: [&str; 8] = ["张", "王", "李", "赵", "刘", "陈", "杨", "周"];

/// What the demo's alleys made.
#[derive(Debug, Default)]
pub struct Seeded {
    pub alleys: usize,
    pub patrols: usize,
    pub checks: usize,
    pub cases: usize,
    pub months: usize,
    pub downgraded: usize,
    pub restored: usize,
    pub listed: usize,
    pub delisted: usize,
    pub title_changes: usize,
    /// The steward's sign-in line for the credentials table.
    pub steward_line: String,
}

fn short(street: &str) -> &str {
    ["街道", "地区", "镇", "乡"].iter().find_map(|s| street.strip_suffix(s)).filter(|s| !s.is_empty()).unwrap_or(street)
}

/// How an alley's months go in the demo: mostly clean, some with a bad spell.
#[derive(Clone, Copy)]
enum Course {
    Clean,
    /// One bad month at this index (0 = the first of the twelve): downgraded, restored later.
    Dip(usize),
    /// Two bad months from this index: downgraded and listed; de-listed and restored later.
    Spell(usize),
    /// A bad month at three quarters' ends (these indices): the title warned, suspended, withdrawn.
    Falling([usize; 3]),
}

impl Course {
    fn bad(self, month: usize) -> bool {
        match self {
            Course::Clean => false,
            Course::Dip(m) => month == m,
            Course::Spell(m) => month == m || month == m + 1,
            Course::Falling(months) => months.contains(&month),
        }
    }
}

/// A line of 2–3 points, 100–350 m, roughly east–west or north–south, from `start`.
fn line_from(rng: &mut StdRng, start: GeoPoint) -> Vec<GeoPoint> {
    let metres: f64 = rng.random_range(100.0..350.0);
    let deg = metres / 111_320.0;
    let along_lon = rng.random_bool(0.6);
    let bend = rng.random_range(-0.15..0.15) * deg;
    let step = |p: GeoPoint, f: f64| {
        if along_lon {
            GeoPoint { lat: p.lat + bend * f, lon: p.lon + deg * f / 2.0 / start.lat.to_radians().cos() }
        } else {
            GeoPoint { lat: p.lat + deg * f / 2.0, lon: p.lon + bend * f }
        }
    };
    let mid = step(start, 1.0);
    let mut line = vec![start, mid];
    if rng.random_bool(0.5) {
        line.push(step(mid, 1.0));
    } else {
        line[1] = step(start, 2.0);
    }
    line
}

/// The alleys of every street, as an office's file would give them.
fn alleys(regions: &RegionTree, rng: &mut StdRng, first: Month) -> Vec<(usize, Result<NewAlley, String>)> {
    let geo = Geography::beijing();
    let mut rows = Vec::new();
    for street in regions.at_level(RegionLevel::Street) {
        let Some((lat, lon)) = street.label_point else { continue };
        let s = short(&street.name);
        for n in 0..ALLEYS_PER_STREET {
            let start = GeoPoint { lat: lat + rng.random_range(-0.006..0.006), lon: lon + rng.random_range(-0.008..0.008) };
            let line = line_from(rng, start);
            if !line.iter().all(|p| geo.street_at(LatLon { lat: p.lat, lon: p.lon }) == Some(street.code.as_str())) {
                continue;
            }
            let grade = match rng.random_range(0..100) {
                0..8 => Grade::Premium,
                8..76 => Grade::Fine,
                _ => Grade::Standard,
            };
            let chief = format!("{}{}", CHIEF_SURNAMES[rng.random_range(0..CHIEF_SURNAMES.len())], ["建国", "秀英", "志强", "桂兰", "海涛", "丽华"][n % 6]);
            rows.push((
                rows.len() + 2,
                Ok(NewAlley {
                    code: format!("{}-A{:02}", &street.code[..9], n + 1),
                    name: format!("{s}{}{}{}", DIRECTIONS[n % 4], ORDINALS[(n / 4) % 6], KINDS[(n + street.code.len()) % 4]),
                    line,
                    community: Some(format!("{s}{}社区", ["第一", "第二", "第三"][n % 3])),
                    grade,
                    unit: None,
                    four: FourHaves {
                        chief: Some(format!("{chief}（{}街道办事处副主任）", s)),
                        stewards: vec![format!("{s}小巷管家{}", n + 1)],
                        council: rng.random_bool(0.7).then(|| format!("{s}{}自治共建理事会", DIRECTIONS[n % 4])),
                        compact: rng.random_bool(0.6).then(|| "街巷公约（十条）".to_owned()),
                    },
                    title_named_in: (rows.is_empty() || (grade != Grade::Standard && rng.random_bool(0.18))).then_some(first.plus(-1)),
                }),
            ));
        }
    }
    rows
}

/// Problems of one visit: `n` findings on random 十无 clauses.
fn problems(rng: &mut StdRng, n: usize, note: &str) -> Vec<Problem> {
    let mut clauses: Vec<&str> = Vec::new();
    while clauses.len() < n.min(10) {
        let clause = ["N01", "N02", "N03", "N04", "N05", "N06", "N07", "N08", "N09", "N10"][rng.random_range(0..10)];
        if !clauses.contains(&clause) {
            clauses.push(clause);
        }
    }
    clauses.into_iter().map(|c| Problem { clause: c.into(), count: Some(1), note: Some(note.to_owned()), case_id: None }).collect()
}

/// Seeds the alleys and their year; `office` registers and evaluates.
pub async fn seed(store: &Store, regions: &RegionTree, office: &Actor, now: Timestamp) -> anyhow::Result<Seeded> {
    let app = App::new(store.clone(), Arc::new(regions.clone()), &TextOptions::default()).await?;
    let mut rng = StdRng::seed_from_u64(2026_0022);
    let this_month = Month::of(now);
    let first = this_month.plus(-12);
    let start = first.start();
    let created = app.import_alleys(office, alleys(regions, &mut rng, first), start - SignedDuration::from_hours(24)).await?;
    let mut seeded = Seeded { alleys: created.len(), ..Seeded::default() };

    // A steward (小巷管家) per street: the demo's `steward` signs in for 望京; the others are locked.
    let mut stewards: HashMap<String, Actor> = HashMap::new();
    let password = crate::demo::demo_password();
    for alley in &created {
        let street = alley.point.region.as_str().to_owned();
        if stewards.contains_key(&street) {
            continue;
        }
        let unit = format!("{street}-JD");
        let unit = app.unit(&unit).map(|u| u.code);
        let user = if street == crate::demo::WANGJING {
            crate::add_user(store, "steward", Some("望京街道小巷管家"), Role::GridWorker, unit, &password).await?
        } else {
            let new = gridline_store::NewUser {
                username: format!("steward-{street}"),
                display_name: format!("{}小巷管家", regions.get(&street).map_or("", |r| r.name.as_str())),
                role: Role::GridWorker,
                unit,
                password_hash: crate::demo::LOCKED.into(),
            };
            store.people().create_user(&new, now).await?
        };
        stewards.insert(street, user.actor());
    }
    seeded.steward_line = format!("  {:<11} {password:<18} grid_worker (小巷管家, 望京街道)\n", "steward");
    let pairs: Vec<(i64, i64)> = created.iter().map(|a| (a.point.id, stewards[a.point.region.as_str()].user_id)).collect();
    app.assign_stewards(office, &pairs).await?;

    // Each alley's course over the twelve months; the first alley (titled) falls at the first
    // three quarters' ends.
    let quarter_ends: Vec<usize> = (0..12).filter(|m| first.plus(*m as i32).number() % 3 == 0).collect();
    let falling = Course::Falling([quarter_ends[0], quarter_ends[1], quarter_ends[2]]);
    let courses: Vec<Course> = created
        .iter()
        .enumerate()
        .map(|(i, _)| match rng.random_range(0..100) {
            _ if i == 0 => falling,
            0..5 => Course::Spell(rng.random_range(0..11)),
            5..11 => Course::Dip(rng.random_range(0..11)),
            _ => Course::Clean,
        })
        .collect();

    tracing::info!(alleys = created.len(), "demo alleys registered, stewards assigned");
    let version = standard_version(alley_standard());
    let beijing = jiff::tz::TimeZone::get("Asia/Shanghai")?;
    let filed_from = now - SignedDuration::from_hours(24 * FILED_DAYS);
    let mut patrols = Vec::new();
    let mut checks = Vec::new();
    for day in 0..DAYS {
        let morning = start + SignedDuration::from_hours(24 * day + 1);
        if morning >= now {
            break;
        }
        let month_index = (Month::of(morning).year() as i32 * 12 + Month::of(morning).number() as i32) - (first.year() as i32 * 12 + first.number() as i32);
        for (i, alley) in created.iter().enumerate() {
            let bad = courses[i].bad(month_index as usize);
            let steward = &stewards[alley.point.region.as_str()];
            let at = morning + SignedDuration::from_mins(rng.random_range(0..8 * 60));
            if at >= now {
                continue;
            }
            // 周查: the street checks each alley once a week, on the alley's own weekday.
            if (day + i as i64) % 7 == 0 {
                let found = if bad { rng.random_range(3..6) } else { [0, 0, 0, 0, 0, 0, 0, 1, 1, 2][rng.random_range(0..10)] };
                let visit = score_visit(alley_standard(), problems(&mut rng, found, "街道周查发现"))?;
                checks.push(WeeklyCheck {
                    alley: alley.point.id,
                    day: day_of(at),
                    standard: version.clone(),
                    ten_no: visit.ten_no,
                    problems: visit.problems.into_iter().map(|(p, _)| p).collect(),
                    checked_by: office.user_id,
                    checked_at: at,
                });
            }
            // 日巡: most days; now and then a problem.
            if rng.random_bool(0.03) {
                continue;
            }
            let found = usize::from(rng.random_bool(if bad { 0.3 } else { 0.02 }));
            let id = format!("demo-{}-{}", alley.point.id, day);
            if found > 0 && at >= filed_from {
                let new = NewPatrol { id, problems: problems(&mut rng, found, "小巷管家日巡发现"), position: None };
                let (patrol, _) = app.submit_patrol(steward, alley.point.id, new, at).await?;
                seeded.cases += patrol.problems.len();
                seeded.patrols += 1;
                continue;
            }
            patrols.push(Patrol {
                id,
                alley: alley.point.id,
                steward: steward.user_id,
                day: at.to_zoned(beijing.clone()).date(),
                at,
                position: None,
                problems: problems(&mut rng, found, "小巷管家日巡发现"),
            });
        }
        if patrols.len() >= 20_000 {
            seeded.patrols += patrols.len();
            store.alleys().record_patrols(&patrols).await?;
            patrols.clear();
        }
    }
    seeded.patrols += patrols.len();
    store.alleys().record_patrols(&patrols).await?;
    seeded.checks = checks.len();
    store.alleys().record_checks(&checks).await?;
    tracing::info!(patrols = seeded.patrols, checks = seeded.checks, cases = seeded.cases, "demo alleys' year of patrols and checks written");

    // 月评: the twelve months that are over, in order.
    let rules = AlleyRules::default();
    for m in 0..12 {
        let summary = app.evaluate_alley_month(office, first.plus(m), &rules, now).await?;
        seeded.months += 1;
        seeded.downgraded += summary.downgraded;
        seeded.restored += summary.restored;
        seeded.listed += summary.listed;
        seeded.delisted += summary.delisted;
        seeded.title_changes += summary.title_changes;
    }
    Ok(seeded)
}
