//! `gridline bench alleys`: the city's 5,393 alleys with a year of daily patrols (about two
//! million records), weekly checks and a year of located cases; times the month's evaluation
//! (every alley's score, grade, listing and title, and the ranking) in process, and one
//! district's alley map and the month's ranking over HTTP against the real server.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::ensure;
use gridline_app::alleys::alley_standard;
use gridline_app::{App, TextOptions};
use gridline_core::actor::{Actor, Role};
use gridline_core::alley::{AlleyRules, FourHaves, Grade, NewAlley, Patrol, Problem, WeeklyCheck, score_visit, standard_version};
use gridline_core::case::{CaseEvent, Change, Channel, GeoPoint, Intake};
use gridline_core::period::{Month, day_of};
use gridline_core::region::RegionLevel;
use gridline_geo::{Geography, LatLon};
use gridline_store::Store;
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const BENCH_USER: &str = "bench-dispatcher";
const BENCH_PASSWORD: &str = "bench-password-1";
const DISTRICT: &str = "110105000000";

fn ms(seconds: f64) -> String {
    format!("{:.1} ms", seconds * 1000.0)
}

/// Fills `dir` (unless an earlier run did) and times the month's work.
/// With `fill_only`, stops once `dir` is filled.
pub async fn alleys(dir: &Path, count: usize, cases_per_month: usize, rounds: usize, fill_only: bool) -> anyhow::Result<()> {
    ensure!(rounds > 0 && count > 0, "--alleys and --rounds must be at least 1");
    let store = Store::open_data_dir(dir).await?;
    let regions = Arc::new(gridline_geo::beijing());
    let app = App::new(store.clone(), regions.clone(), &TextOptions::default()).await?;
    let office = Actor { user_id: 0, username: "bench".into(), role: Role::Admin, unit: None };
    let now = Timestamp::now();
    let first = Month::of(now).plus(-12);
    if store.alleys().list("").await?.is_empty() {
        fill(&app, &store, &office, count, cases_per_month, first, now).await?;
        crate::add_user(&store, BENCH_USER, None, Role::Dispatcher, None, BENCH_PASSWORD).await?;
    } else {
        println!("reusing {}", dir.display());
    }
    if fill_only {
        store.close().await;
        return Ok(());
    }
    let rules = AlleyRules::default();
    println!("the month's evaluation (every alley's score from its checks and the month's cases near it, grade, listing, title; written at once):");
    let mut evaluated = Vec::new();
    for m in 0..12 {
        let month = first.plus(m);
        if store.alleys().evaluated(month).await? {
            continue;
        }
        let started = Instant::now();
        let summary = app.evaluate_alley_month(&office, month, &rules, now).await?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "  {month}: {} ({} scored, {} downgraded, {} restored, {} listed, {} de-listed, {} cases on alleys)",
            ms(seconds), summary.scored, summary.downgraded, summary.restored, summary.listed, summary.delisted, summary.cases_on_alleys
        );
        evaluated.push(seconds);
    }
    if !evaluated.is_empty() {
        evaluated.sort_by(f64::total_cmp);
        println!("  median {} max {}", ms(evaluated[evaluated.len() / 2]), ms(evaluated[evaluated.len() - 1]));
    }
    let last = first.plus(11);
    for (label, region) in [("city", None), ("one district", Some(DISTRICT))] {
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..rounds {
            let started = Instant::now();
            n = app.alley_ranking(last, region).await?.items.len();
            times.push(started.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        println!("ranking of {last}, {label} ({n} alleys ranked in street, district and city): p50 {} max {}", ms(times[times.len() / 2]), ms(times[times.len() - 1]));
    }
    store.close().await;
    drop(app);
    let (mut server, http, base, token) = crate::bench_web::serve_signed_in(dir, None).await?;
    println!("over HTTP, {rounds} rounds each, one request at a time:");
    crate::bench_web::time_requests(
        &http,
        &base,
        &token,
        &[
            &format!("/api/v1/alleys?region={DISTRICT}&month={last}"),
            &format!("/api/v1/alleys/ranking?period={last}&region={DISTRICT}"),
            &format!("/api/v1/alleys/ranking?period={last}"),
        ],
        rounds,
    )
    .await?;
    server.kill().await?;
    Ok(())
}

/// A line of two points, 100–350 m east–west or north–south, every vertex in the city.
fn line_near(rng: &mut StdRng, geo: &Geography, lat: f64, lon: f64) -> Option<Vec<GeoPoint>> {
    for _ in 0..20 {
        let start = GeoPoint { lat: lat + rng.random_range(-0.006..0.006), lon: lon + rng.random_range(-0.008..0.008) };
        let deg = rng.random_range(100.0..350.0) / 111_320.0;
        let end = if rng.random_bool(0.6) { GeoPoint { lat: start.lat, lon: start.lon + deg / 0.77 } } else { GeoPoint { lat: start.lat + deg, lon: start.lon } };
        if [start, end].iter().all(|p| geo.street_at(LatLon { lat: p.lat, lon: p.lon }).is_some()) {
            return Some(vec![start, end]);
        }
    }
    None
}

async fn fill(app: &App, store: &Store, office: &Actor, count: usize, cases_per_month: usize, first: Month, now: Timestamp) -> anyhow::Result<()> {
    let geo = Geography::beijing();
    let mut rng = StdRng::seed_from_u64(22);
    let streets: Vec<(String, f64, f64)> =
        app.regions.at_level(RegionLevel::Street).filter_map(|s| s.label_point.map(|(lat, lon)| (s.name.clone(), lat, lon))).collect();
    let started = Instant::now();
    let mut rows = Vec::with_capacity(count);
    let mut i = 0;
    while rows.len() < count {
        let (name, lat, lon) = &streets[i % streets.len()];
        i += 1;
        let Some(line) = line_near(&mut rng, geo, *lat, *lon) else { continue };
        let n = rows.len();
        rows.push((
            n + 2,
            Ok(NewAlley {
                code: format!("B{n:05}"),
                name: format!("{}{}号巷", name.trim_end_matches("街道"), n),
                line,
                community: None,
                grade: [Grade::Premium, Grade::Fine, Grade::Fine, Grade::Standard][n % 4],
                unit: None,
                four: FourHaves { chief: Some("街巷长".into()), stewards: vec!["小巷管家".into()], council: None, compact: None },
                title_named_in: (n % 7 == 0).then_some(first.plus(-1)),
            }),
        ));
    }
    let alleys = app.import_alleys(office, rows, first.start() - SignedDuration::from_hours(24)).await?;
    println!("registered {} alleys in {:.1} s", alleys.len(), started.elapsed().as_secs_f64());

    let started = Instant::now();
    let beijing = jiff::tz::TimeZone::get("Asia/Shanghai")?;
    let version = standard_version(alley_standard());
    let start = first.start();
    let mut patrols = Vec::with_capacity(50_000);
    let mut checks = Vec::new();
    let mut written = 0;
    for day in 0..365 {
        let at = start + SignedDuration::from_hours(24 * day + 2);
        if at >= now {
            break;
        }
        let date = at.to_zoned(beijing.clone()).date();
        for (k, alley) in alleys.iter().enumerate() {
            let problems = if rng.random_bool(0.02) { vec![Problem { clause: "N03".into(), count: Some(1), note: None, case_id: None }] } else { vec![] };
            patrols.push(Patrol { id: format!("b-{}-{day}", alley.point.id), alley: alley.point.id, steward: 1, day: date, at, position: None, problems });
            if (day + k as i64) % 7 == 0 {
                let found = [0, 0, 0, 0, 1, 1, 2, 3][rng.random_range(0..8)];
                let problems = ["N01", "N04", "N07"].iter().take(found).map(|c| Problem { clause: (*c).into(), count: Some(1), note: None, case_id: None }).collect();
                let visit = score_visit(alley_standard(), problems)?;
                checks.push(WeeklyCheck {
                    alley: alley.point.id,
                    day: day_of(at),
                    standard: version.clone(),
                    ten_no: visit.ten_no,
                    problems: visit.problems.into_iter().map(|(p, _)| p).collect(),
                    checked_by: 0,
                    checked_at: at,
                });
            }
        }
        if patrols.len() >= 50_000 {
            store.alleys().record_patrols(&patrols).await?;
            written += patrols.len();
            patrols.clear();
        }
    }
    store.alleys().record_patrols(&patrols).await?;
    written += patrols.len();
    store.alleys().record_checks(&checks).await?;
    println!("wrote {written} patrols and {} weekly checks in {:.1} s", checks.len(), started.elapsed().as_secs_f64());

    // Cases of each month: at random along the city's streets' label points, a fifth near an
    // alley (within 100 m of its start), a few naming one.
    let started = Instant::now();
    let actor = Actor { user_id: 1, username: "bench".into(), role: Role::HotlineOperator, unit: None };
    let mut filed = 0;
    for m in 0..12 {
        let month = first.plus(m);
        let mut batch = Vec::with_capacity(10_000);
        for c in 0..cases_per_month {
            let at = month.start() + SignedDuration::from_mins(rng.random_range(0..60 * 24 * 27));
            let alley = &alleys[rng.random_range(0..alleys.len())];
            let (location, title) = match c % 10 {
                0 | 1 => {
                    let p = alley.line()[0];
                    (GeoPoint { lat: p.lat + rng.random_range(-0.0009..0.0009), lon: p.lon + rng.random_range(-0.0009..0.0009) }, "路边堆放杂物".to_owned())
                }
                2 => (GeoPoint { lat: 39.0, lon: 116.0 }, format!("{}有人乱停车", alley.point.name)),
                _ => {
                    let (_, lat, lon) = &streets[rng.random_range(0..streets.len())];
                    (GeoPoint { lat: lat + rng.random_range(-0.01..0.01), lon: lon + rng.random_range(-0.01..0.01) }, "噪音扰民".to_owned())
                }
            };
            let intake = Intake {
                channel: if c % 5 == 0 { Channel::Grid } else { Channel::Hotline },
                external_id: None,
                category: None,
                category_version: None,
                source: None,
                emergency: false,
                region: Some(alley.point.region.clone()),
                title: title.clone(),
                description: title,
                address: None,
                location: Some(location),
                reporter: None,
                photos: vec![],
                suggestion: None,
            };
            batch.push(vec![CaseEvent { seq: 1, at, actor: actor.clone(), change: Change::Receive(intake) }]);
            if batch.len() == 10_000 {
                filed += batch.len();
                store.cases().import(std::mem::take(&mut batch)).await?;
            }
        }
        filed += batch.len();
        if !batch.is_empty() {
            store.cases().import(batch).await?;
        }
    }
    println!("imported {filed} cases in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
