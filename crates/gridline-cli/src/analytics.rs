//! `gridline rank`, `gridline rollups …` and `gridline bench rankings`: the monthly ranking on
//! the command line, the rollups' rebuild and check, and the ranking benchmark over a generated
//! year of cases.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Subcommand;
use gridline_core::actor::{Actor, Role};
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{CaseEvent, Change, Channel, Intake, Satisfaction};
use gridline_core::catalogue::Catalogue;
use gridline_core::hotspots::problems;
use gridline_core::ids::{CategoryCode, RegionCode, UnitCode};
use gridline_core::period::{Month, Period};
use gridline_core::ranking::{RankingRow, notice};
use gridline_core::region::{RegionLevel, RegionTree};
use gridline_core::rollup::Rollup;
use gridline_core::sla::{LimitUnit, SlaClock, TimeLimit};
use gridline_store::{RateLevel, Store, VolumeGrain};
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::Database;

#[derive(Subcommand)]
pub enum RollupsCommand {
    /// Recompute the rollups from the case events and replace the stored ones.
    Rebuild {
        #[command(flatten)]
        database: Database,
    },
    /// Compare the stored rollups with a fold of the case events; fails if they differ.
    Check {
        #[command(flatten)]
        database: Database,
    },
}

pub fn parse_level(text: &str) -> anyhow::Result<RateLevel> {
    Ok(match text {
        "street" => RateLevel::Street,
        "district" => RateLevel::District,
        "unit" => RateLevel::Unit,
        other => bail!("unknown level {other:?}; one of street, district, unit"),
    })
}

/// The ranking of `period` at `level`, as the application layer computes it for every edge.
async fn ranking(store: &Store, period: Period, level: RateLevel, region: Option<&str>) -> anyhow::Result<Vec<RankingRow>> {
    let min_cases = gridline_app::documents::ranking_min_cases()?;
    Ok(gridline_app::documents::ranking(store, &gridline_geo::beijing(), period, level, region, min_cases).await?)
}

fn region_prefix(tree: &RegionTree, code: &str) -> anyhow::Result<String> {
    let region = tree.get(code).with_context(|| format!("unknown region {code:?}"))?;
    Ok(if region.level == RegionLevel::City { String::new() } else { region.code_prefix().to_owned() })
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}"))
}

/// `gridline rank`
pub async fn rank_command(database: &Database, period: &str, level: &str, region: Option<&str>, bottom: usize, json: bool) -> anyhow::Result<()> {
    let period = Period::parse(period)?;
    let level = parse_level(level)?;
    if !(1..=50).contains(&bottom) {
        bail!("--bottom is 1–50");
    }
    let prefix = region.map(|r| region_prefix(&gridline_geo::beijing(), r)).transpose()?;
    let store = database.open().await?;
    let rows = ranking(&store, period, level, prefix.as_deref()).await?;
    let notice = notice(&rows, bottom);
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "period": period, "items": rows, "notice": notice }))?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "{period} ranking: rank\tcode\tname\tscore\tresponse\tresolution\tsatisfaction\tmovement")?;
    for r in &rows {
        let movement = r.movement.map_or_else(|| "new".to_owned(), |m| format!("{m:+}"));
        let rank = match r.rank {
            Some(n) => n.to_string(),
            None if r.insufficient => "样本不足".to_owned(),
            None => "—".to_owned(),
        };
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            rank,
            r.code,
            r.name,
            pct(r.score),
            pct(r.response_rate),
            pct(r.resolution_rate),
            pct(r.satisfaction_rate),
            movement
        )?;
    }
    let names: Vec<String> = notice.interview.iter().map(|r| format!("{} {}", r.name, pct(r.score))).collect();
    writeln!(out, "interview list (bottom {bottom}): {}", names.join("; "))?;
    Ok(())
}

/// `gridline rollups rebuild|check`
pub async fn rollups_command(command: RollupsCommand) -> anyhow::Result<()> {
    match command {
        RollupsCommand::Rebuild { database } => {
            let started = Instant::now();
            let rollup = database.open().await?.rollups().rebuild().await?;
            println!(
                "rebuilt the rollups from the events in {:.1} s: {} rate rows, {} volume rows",
                started.elapsed().as_secs_f64(),
                rollup.rates.len(),
                rollup.volume.len()
            );
            Ok(())
        }
        RollupsCommand::Check { database } => {
            let store = database.open().await?;
            let check = store.rollups().check().await?;
            if check.differing_rows > 0 {
                bail!("{} rollup rows differ from the events; run `gridline rollups rebuild`", check.differing_rows);
            }
            println!(
                "the rollups agree with the events: {} rate rows, {} volume rows, {} district volume rows",
                check.rate_rows, check.volume_rows, check.district_volume_rows
            );
            Ok(())
        }
    }
}

/// One generated case: what happens to it, decided up front so the same facts feed both the
/// store's rollups and the Parquet file.
pub(crate) struct Fact {
    received: Timestamp,
    street: usize,
    unit_is_department: bool,
    category: usize,
    channel: Channel,
    responded: bool,
    closed: bool,
    on_time: bool,
    called_back: bool,
    resolved: bool,
    satisfaction: Satisfaction,
}

fn fact(rng: &mut StdRng, year_start: Timestamp, streets: usize, categories: usize) -> Fact {
    let satisfaction = match rng.random_range(0..100) {
        0..75 => Satisfaction::Satisfied,
        75..90 => Satisfaction::BasicallySatisfied,
        _ => Satisfaction::Dissatisfied,
    };
    // Streets differ in how well they do, so the ranking has something to rank.
    let street = rng.random_range(0..streets);
    let skill = (street % 10) as f64 / 100.0;
    Fact {
        received: year_start + SignedDuration::from_secs(rng.random_range(0..360 * 86_400)),
        street,
        unit_is_department: rng.random_bool(0.3),
        category: rng.random_range(0..categories),
        channel: if rng.random_bool(0.8) { Channel::Hotline } else { Channel::Grid },
        responded: rng.random_bool(0.85 + skill),
        closed: rng.random_bool(0.9),
        on_time: rng.random_bool(0.8 + skill),
        called_back: rng.random_bool(0.8),
        resolved: rng.random_bool(0.8 + skill),
        satisfaction,
    }
}

/// The event history of a fact: receive, register, dispatch, accept (within the response limit
/// or not), handle (before or after the deadline), verify and call back, all inside an hour or a
/// day of the intake. This is what the store's writer folds for every case.
fn history(f: &Fact, street: &RegionCode, unit: &UnitCode, category: &CategoryCode, actor: &Actor) -> Vec<CaseEvent> {
    let at = |minutes: i64| f.received + SignedDuration::from_mins(minutes);
    let clock = SlaClock::start(WorkCalendar::china(), at(10), TimeLimit::new(24, LimitUnit::Hours));
    let intake = Intake {
        channel: f.channel,
        external_id: None,
        category: Some(category.clone()),
        category_version: Some(1),
        source: None,
        emergency: false,
        suggestion: None,
        region: Some(street.clone()),
        title: String::new(),
        description: String::new(),
        address: None,
        location: None,
        reporter: None,
        photos: vec![],
    };
    let mut changes = vec![
        (0, Change::Receive(intake)),
        (5, Change::Register { category: category.clone(), category_version: 1, region: street.clone(), note: None }),
        (10, Change::Dispatch { unit: unit.clone(), clock, note: None, rule: None }),
        (if f.responded { 60 } else { 60 * 30 }, Change::Accept { note: None }),
    ];
    if f.closed {
        let handled = if f.on_time { 60 * 20 } else { 60 * 40 };
        changes.push((handled, Change::Handle { feedback: String::new(), photos: vec![] }));
        changes.push((handled + 60, Change::Verify { passed: true, note: None }));
        if f.called_back {
            changes.push((handled + 120, Change::Callback { resolved: f.resolved, satisfaction: f.satisfaction, note: None }));
        }
    }
    changes
        .into_iter()
        .zip(1..)
        .map(|((minutes, change), seq)| CaseEvent { seq, at: at(minutes), actor: actor.clone(), change })
        .collect()
}

/// One generated case received in the 360 days from `year_start`: its facts, the unit it goes
/// to (the street's office, or the district's city-management department) and its history.
pub(crate) fn generated_case(rng: &mut StdRng, year_start: Timestamp, streets: &[RegionCode], categories: &[CategoryCode], actor: &Actor) -> (Fact, UnitCode, Vec<CaseEvent>) {
    let f = fact(rng, year_start, streets.len(), categories.len());
    let street = &streets[f.street];
    let unit = if f.unit_is_department { format!("{}-CGW", &street[..6]) } else { format!("{street}-JD") };
    // A street's code with a suffix of letters is always a unit code.
    let unit: UnitCode = unit.parse().expect("a street code with a suffix is a unit code");
    let events = history(&f, street, &unit, &categories[f.category], actor);
    (f, unit, events)
}

/// The streets and the catalogue's leaves that generated cases are placed in and filed under.
pub(crate) fn generated_codes(tree: &RegionTree) -> anyhow::Result<(Vec<RegionCode>, Vec<CategoryCode>)> {
    let streets = tree.at_level(RegionLevel::Street).map(|r| r.code.parse()).collect::<Result<_, _>>()?;
    let categories = Catalogue::builtin().leaves().map(|e| e.code.parse()).collect::<Result<_, _>>()?;
    Ok((streets, categories))
}

/// `gridline bench rankings`
pub async fn bench_rankings(cases: u64, dir: &Path, python: &str, repeat: usize) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    anyhow::ensure!(!dir.join("gridline.db").exists(), "{} already holds a database; give an empty directory", dir.display());
    let tree = gridline_geo::beijing();
    let (streets, categories) = generated_codes(&tree)?;
    let year_start: Timestamp = Month::parse("2025-12")?.start();
    let csv_path = dir.join("facts.csv");
    println!("generating {cases} cases over 2025-12..2026-11 and folding their histories into rollups…");
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).max(1);
    let per = cases.div_ceil(threads as u64);
    let mut workers = Vec::new();
    for t in 0..threads as u64 {
        let (streets, categories) = (streets.clone(), categories.clone());
        let path = dir.join(format!("facts-{t}.csv"));
        let count = per.min(cases.saturating_sub(t * per));
        workers.push(std::thread::spawn(move || -> anyhow::Result<Rollup> {
            let mut rng = StdRng::seed_from_u64(7 + t);
            let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
            let actor = Actor { user_id: 1, username: "bench".into(), role: Role::Admin, unit: None };
            let mut rollup = Rollup::default();
            for _ in 0..count {
                let (f, unit, events) = generated_case(&mut rng, year_start, &streets, &categories, &actor);
                let street = &streets[f.street];
                rollup.record_history(&events);
                // The analyst's copy: one row per case with the same facts, in the months the
                // rollup assigns them (all steps of a generated case fall within ~2 days).
                let month = |at: Timestamp| Month::of(at).to_string();
                let closed_at = events.iter().find(|e| matches!(e.change, Change::Verify { .. })).map(|e| e.at);
                let callback_at = events.iter().find(|e| matches!(e.change, Change::Callback { .. })).map(|e| e.at);
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    month(f.received),
                    month(f.received + SignedDuration::from_mins(10)),
                    closed_at.map(month).unwrap_or_default(),
                    callback_at.map(month).unwrap_or_default(),
                    street,
                    unit,
                    categories[f.category],
                    f.channel.as_str(),
                    u8::from(f.responded),
                    u8::from(f.closed && f.on_time),
                    u8::from(f.closed && f.called_back),
                    u8::from(f.closed && f.called_back && f.resolved),
                    u8::from(f.closed && f.called_back && f.satisfaction != Satisfaction::Dissatisfied),
                )?;
            }
            out.flush()?;
            Ok(rollup)
        }));
    }
    let mut rollup = Rollup::default();
    for worker in workers {
        rollup.merge(worker.join().map_err(|_| anyhow::anyhow!("a generator thread panicked"))??);
    }
    let fold_time = started.elapsed();
    {
        let mut csv = std::io::BufWriter::new(std::fs::File::create(&csv_path)?);
        writeln!(csv, "received_month,dispatch_month,closed_month,callback_month,street,unit,category,channel,responded,on_time,called_back,resolved,satisfied")?;
        for t in 0..threads {
            let part = dir.join(format!("facts-{t}.csv"));
            std::io::copy(&mut std::fs::File::open(&part)?, &mut csv)?;
            std::fs::remove_file(part)?;
        }
        csv.flush()?;
    }
    let rollup = rollup.without_zeros();
    println!(
        "  {cases} histories folded in {:.1} s on {threads} threads: {} rate rows, {} volume rows",
        fold_time.as_secs_f64(),
        rollup.rates.len(),
        rollup.volume.len()
    );
    let store = Store::open_data_dir(dir).await?;
    let started = Instant::now();
    store.rollups().add(rollup).await?;
    println!("  rollups written to SQLite in {:.1} s", started.elapsed().as_secs_f64());

    let month = Month::parse("2026-11")?;
    let district = "110105";
    println!("SQLite (gridline's rollups), month {month}:");
    let mut times = Vec::with_capacity(repeat);
    let mut rows = 0;
    for _ in 0..repeat {
        let t = Instant::now();
        rows = ranking(&store, Period::month(month), RateLevel::Street, None).await?.len();
        times.push(t.elapsed());
    }
    report("street ranking", rows, &mut times);
    times.clear();
    for _ in 0..repeat {
        let t = Instant::now();
        let volume = store.rollups().volume(month.same_month_last_year(), month, Some(district), None, VolumeGrain::Category).await?;
        rows = problems(Period::month(month), &volume).len();
        times.push(t.elapsed());
    }
    report("hotspot list of 朝阳 (110105)", rows, &mut times);
    let top = ranking(&store, Period::month(month), RateLevel::Street, None).await?;
    let head: Vec<String> = top.iter().take(3).map(|r| format!("{} {}", r.code, pct(r.score))).collect();
    println!("  best three streets: {}", head.join(", "));
    store.close().await;

    println!("DuckDB over Parquet (bench/rankings_duckdb.py):");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/rankings_duckdb.py");
    let status = std::process::Command::new(python)
        .arg(&script)
        .arg(&csv_path)
        .arg(month.to_string())
        .arg(district)
        .arg(repeat.to_string())
        .status()
        .with_context(|| format!("running {python} {}", script.display()))?;
    if !status.success() {
        bail!("the DuckDB comparison failed (is the duckdb module installed for {python}?)");
    }
    Ok(())
}

fn report(what: &str, rows: usize, times: &mut [Duration]) {
    times.sort();
    println!(
        "  {what}: {rows} rows; median {:.2} ms, max {:.2} ms over {} runs",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        times.len()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Where `gridline bench rankings` works by default.
pub fn default_bench_dir() -> PathBuf {
    std::env::temp_dir().join(format!("gridline-bench-rankings-{}", std::process::id()))
}
