//! `gridline bench import` and `gridline bench export`: bulk import from a generated CSV file
//! (with category and coordinates, or with neither so that every row goes through the classifier
//! and locator hooks), and the CSV export of a million cases, each into a fresh embedded database.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, ensure};
use gridline_core::actor::{Actor, Role};
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{CaseEvent, Change};
use gridline_core::catalogue::Catalogue;
use gridline_core::ids::UnitCode;
use gridline_app::intake::NewCase;
use gridline_core::region::RegionLevel;
use gridline_core::sla::SlaClock;
use gridline_core::unit::{Unit, UnitKind};
use gridline_app::export::Exporter;
use gridline_store::{CaseFilter, Store, Visibility};
use jiff::{SignedDuration, Timestamp};

use crate::bench::BenchDir;
use crate::import::{Options, import_file};

fn fresh_dir(data_dir: Option<PathBuf>, name: &str) -> anyhow::Result<BenchDir> {
    let dir = BenchDir::new(data_dir, name)?;
    ensure!(!dir.path().join("gridline.db").exists(), "{} already holds a database; give an empty directory", dir.path().display());
    std::fs::create_dir_all(dir.path()).with_context(|| format!("creating {}", dir.path().display()))?;
    Ok(dir)
}

/// Real streets and catalogue entries for generated rows.
/// The unit every benchmark case is dispatched to.
fn bench_unit() -> anyhow::Result<UnitCode> {
    Ok("BENCH-UNIT".parse()?)
}

struct Material {
    streets: Vec<(String, String, (f64, f64))>,
    entries: Vec<(String, String)>,
}

impl Material {
    fn new() -> Self {
        let regions = gridline_geo::beijing();
        Material {
            streets: regions
                .at_level(RegionLevel::Street)
                .filter_map(|r| r.label_point.map(|p| (r.code.clone(), r.name.clone(), p)))
                .collect(),
            entries: Catalogue::builtin().leaves().map(|e| (e.code.clone(), e.name.clone())).collect(),
        }
    }
}

pub async fn import(rows: usize, classify: bool, model: Option<PathBuf>, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let scratch = fresh_dir(data_dir, "import")?;
    let dir = scratch.path();
    let input = dir.join("cases.csv");
    let mapping = dir.join("mapping.toml");
    write_rows(&input, rows, classify)?;
    let mut mapping_text = String::from(
        "[source]\ntime_zone = \"Asia/Shanghai\"\nchannel = \"import\"\nid_prefix = \"bench-\"\n\n[columns]\n\
         external_id = \"编号\"\nreceived_at = \"受理时间\"\ntitle = \"标题\"\ndescription = [\"内容\"]\naddress = \"地址\"\n\
         closed_at = \"办结时间\"\n",
    );
    if !classify {
        mapping_text.push_str("category = \"分类代码\"\nlat = \"纬度\"\nlon = \"经度\"\n");
    }
    std::fs::write(&mapping, &mapping_text)?;
    let store = Store::open_data_dir(dir).await?;
    let options = Options { restart: true, model, ..Options::new(10_000) };
    let summary = import_file(&store, &input, &mapping_text, &dir.join("report.csv"), &options).await?;
    let stored = store.cases().count().await?;
    store.close().await;
    println!("{summary}");
    ensure!(summary.bad_rows == 0, "the generated file had bad rows: see {}", dir.join("report.csv").display());
    ensure!(stored == rows as i64, "{stored} cases stored, {rows} expected");
    if classify {
        println!("with classification and geocoding: {} of {rows} rows classified, {} located", summary.classified, summary.located);
    }
    println!("import: {rows} rows in {:.2} s = {:.0} rows/s (data in {})", summary.seconds, rows as f64 / summary.seconds, dir.display());
    // Closed, the store has checkpointed its WAL into the file: the file is the whole database.
    let bytes = std::fs::metadata(dir.join("gridline.db"))?.len();
    println!("database: {bytes} bytes = {:.0} bytes per case (cases, events, indexes, rollups)", bytes as f64 / rows as f64);
    let floor_dir = dir.join("floor");
    let _ = std::fs::remove_dir_all(&floor_dir);
    let floor = gridline_store::testing::sqlite_copy_floor(&dir.join("gridline.db"), &floor_dir).await?;
    ensure!(floor.cases == rows as u64, "the floor copy holds {} cases, {rows} expected", floor.cases);
    println!(
        "SQLite's own copy of the same {} cases and {} events (INSERT … SELECT, nothing parsed or bound): {:.2} s = {:.0} rows/s",
        floor.cases,
        floor.events,
        floor.seconds,
        rows as f64 / floor.seconds
    );
    Ok(())
}

/// A CSV like a hotline system's export: half the cases closed a day after they came in.
fn write_rows(path: &Path, rows: usize, classify: bool) -> anyhow::Result<()> {
    let material = Material::new();
    let mut out = csv::Writer::from_writer(std::io::BufWriter::new(std::fs::File::create(path)?));
    out.write_record(["编号", "受理时间", "办结时间", "分类代码", "标题", "内容", "地址", "纬度", "经度"])?;
    let start: Timestamp = "2025-01-01T00:00:00Z".parse()?;
    let zone = WorkCalendar::china().time_zone().clone();
    let local = |at: Timestamp| at.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M:%S").to_string();
    for n in 0..rows {
        let (_, street, (lat, lon)) = &material.streets[(n * 7919) % material.streets.len()];
        let (code, name) = &material.entries[n % material.entries.len()];
        let received = start + SignedDuration::from_secs(n as i64 * 17);
        let closed = if n % 2 == 0 { local(received + SignedDuration::from_hours(26)) } else { String::new() };
        let (code, lat, lon) = if classify { (String::new(), String::new(), String::new()) } else { (code.clone(), lat.to_string(), lon.to_string()) };
        out.write_record([
            n.to_string(),
            local(received),
            closed,
            code,
            format!("{street}{name}"),
            format!("市民反映{street}第{n}号楼附近{name}，已持续多日，请尽快安排人员到现场核实整改"),
            format!("北京市{street}{}号", n % 300),
            lat,
            lon,
        ])?;
    }
    out.flush()?;
    Ok(())
}

pub async fn export(cases: usize, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let scratch = fresh_dir(data_dir, "export")?;
    let dir = scratch.path();
    let store = Store::open_data_dir(dir).await?;
    let filled = Instant::now();
    fill(&store, cases).await?;
    println!("filled {cases} cases in {:.1} s", filled.elapsed().as_secs_f64());
    let units = store.people().units().await?;
    let now = Timestamp::now();
    // What `gridline export cases` writes by default: Chinese headers and labels.
    let exporter = Exporter::new(Arc::new(Catalogue::builtin()), Arc::new(gridline_geo::beijing()), units, now, gridline_core::message::Lang::Zh);
    let path = dir.join("cases.csv");
    let started = Instant::now();
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    let (rows, bytes) = crate::export::write_csv(&store, exporter, &CaseFilter::new(Visibility::All, now), file).await?;
    let seconds = started.elapsed().as_secs_f64();
    store.close().await;
    ensure!(rows == cases as u64, "{rows} rows exported, {cases} expected");
    println!(
        "export: {rows} cases to CSV ({:.0} MB) in {seconds:.2} s = {:.0} cases/s (file {})",
        bytes as f64 / 1e6,
        rows as f64 / seconds,
        path.display()
    );
    std::io::stdout().flush()?;
    Ok(())
}

/// `cases` histories through the store's import path: a third received, a third in a unit's
/// hands, a third closed, with real categories and streets.
async fn fill(store: &Store, cases: usize) -> anyhow::Result<()> {
    let material = Material::new();
    let regions = gridline_geo::beijing();
    let reference = gridline_core::reference::Reference::builtin(&regions);
    let catalogue = &reference.catalogue;
    let calendar = WorkCalendar::china();
    let now = Timestamp::now();
    store
        .people().put_unit(&Unit { code: bench_unit()?, name: "基准测试承办单位".into(), kind: UnitKind::StreetOffice, regions: vec!["110000000000".into()], types: Vec::new() }, now)
        .await?;
    let actor = Actor { user_id: 1, username: "bench".into(), role: Role::Dispatcher, unit: None };
    let start = now - SignedDuration::from_hours(24 * 300);
    let mut batch = Vec::with_capacity(10_000);
    for n in 0..cases {
        let (region, street, (lat, lon)) = &material.streets[(n * 7919) % material.streets.len()];
        let (code, name) = &material.entries[n % material.entries.len()];
        let submission = NewCase {
            channel: "hotline".into(),
            external_id: Some(format!("EXPORT-{n}")),
            category: Some(code.parse()?),
            source: None,
            emergency: false,
            region: Some(region.parse()?),
            title: None,
            description: format!("市民反映{street}第{n}号楼附近{name}，请尽快处理"),
            address: Some(format!("北京市{street}{}号", n % 300)),
            location: Some(gridline_core::case::GeoPoint { lat: *lat, lon: *lon }),
            reporter: None,
            photos: Vec::new(),
        };
        let intake = submission.validate(&actor, &reference, &regions)?;
        let at = start + SignedDuration::from_secs(n as i64 * 20);
        let hour = SignedDuration::from_hours(1);
        let mut history = vec![CaseEvent { seq: 1, at, actor: actor.clone(), change: Change::Receive(intake) }];
        let mut push = |change: Change, at: Timestamp| {
            let seq = history.len() as u32 + 1;
            history.push(CaseEvent { seq, at, actor: actor.clone(), change });
        };
        if n % 3 > 0 {
            let limit = catalogue.time_limit(code, false).context("every leaf has a limit")?;
            push(Change::Register { category: code.parse()?, category_version: 1, region: region.parse()?, note: None }, at + hour);
            let clock = SlaClock::start(calendar, at + hour * 2, limit);
            push(Change::Dispatch { unit: bench_unit()?, clock, note: None, rule: None }, at + hour * 2);
            push(Change::Accept { note: None }, at + hour * 3);
        }
        if n % 3 == 2 {
            push(Change::Handle { feedback: "已清理完毕".into(), photos: Vec::new() }, at + hour * 20);
            push(Change::Verify { passed: true, note: None }, at + hour * 22);
        }
        batch.push(history);
        if batch.len() == 10_000 {
            store.cases().import(std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        store.cases().import(batch).await?;
    }
    Ok(())
}
