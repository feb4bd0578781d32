//! `gridline alleys …`: the alley registry as XLSX or GeoJSON (import, export), the month's
//! evaluation (月评) and the ranking, through the application's alley service.

use std::io::{BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use calamine::Reader as _;
use clap::Subcommand;
use gridline_app::App;
use gridline_core::actor::{Actor, Role};
use gridline_core::alley::{Alley, AlleyRules, FourHaves, Grade, NewAlley};
use gridline_core::case::GeoPoint;
use gridline_core::ids::UnitCode;
use gridline_core::period::Month;
use rust_xlsxwriter::{Format, Workbook};
use serde_json::{Value, json};

use crate::Database;

#[derive(Subcommand)]
pub enum AlleysCommand {
    /// Registers the alleys of an office's file (.xlsx, sheet `alleys`, or .geojson): all or none;
    /// every problem is reported with its row or feature number.
    Import {
        #[arg(long)]
        input: PathBuf,
        #[command(flatten)]
        database: Database,
    },
    /// Writes the registry (under a region) as .xlsx or .geojson, in the form `import` reads.
    Export {
        #[arg(long)]
        output: PathBuf,
        /// A district or street code (default: the city).
        #[arg(long)]
        region: Option<String>,
        #[command(flatten)]
        database: Database,
    },
    /// The month's evaluation (月评): scores, downgrades and restores, listings, title re-checks.
    Evaluate {
        /// YYYY-MM: a month that is over and not evaluated yet.
        #[arg(long)]
        month: String,
        #[command(flatten)]
        rules: RulesArgs,
        #[command(flatten)]
        database: Database,
    },
    /// The month's ranking of the alleys (and at a quarter's end, the quarter's worst).
    Rank {
        /// YYYY-MM
        #[arg(long)]
        period: String,
        /// A district or street code (default: the city).
        #[arg(long)]
        region: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        database: Database,
    },
}

/// The rules of the month's evaluation (defaults: gridline_core::alley::AlleyRules).
#[derive(clap::Args)]
pub struct RulesArgs {
    /// A month below this score downgrades.
    #[arg(long, default_value_t = AlleyRules::default().threshold)]
    threshold: f64,
    /// Consecutive good months that restore the grade.
    #[arg(long, default_value_t = AlleyRules::default().restore_after)]
    restore_after: u32,
    /// Consecutive bad months that list an alley for supervision.
    #[arg(long, default_value_t = AlleyRules::default().list_after)]
    list_after: u32,
    /// A case within this many metres of an alley's line counts toward it.
    #[arg(long, default_value_t = AlleyRules::default().case_distance_m)]
    distance_m: f64,
}

impl RulesArgs {
    fn rules(&self) -> anyhow::Result<AlleyRules> {
        if !(self.threshold.is_finite() && (0.0..=100.0).contains(&self.threshold)) {
            bail!("--threshold is a score from 0 to 100");
        }
        if self.restore_after == 0 || self.list_after == 0 {
            bail!("--restore-after and --list-after are at least 1");
        }
        if !(self.distance_m.is_finite() && (1.0..=1000.0).contains(&self.distance_m)) {
            bail!("--distance-m is from 1 to 1000 metres");
        }
        Ok(AlleyRules {
            threshold: self.threshold,
            restore_after: self.restore_after,
            list_after: self.list_after,
            case_distance_m: self.distance_m,
            ..AlleyRules::default()
        })
    }
}

/// The command line acts as the office.
fn operator() -> Actor {
    Actor { user_id: 0, username: "cli".into(), role: Role::Admin, unit: None }
}

async fn app(database: &Database) -> anyhow::Result<App> {
    Ok(App::new(database.open().await?, Arc::new(gridline_geo::beijing()), &Default::default()).await?)
}

/// The columns of the `alleys` sheet: the key `import` looks for, then the Chinese heading.
pub const COLUMNS: [(&str, &str); 12] = [
    ("code", "编码"),
    ("name", "街巷名称"),
    ("street", "街道（导出时填写，导入时按走向定位）"),
    ("community", "社区"),
    ("grade", "等级（精品/优美/达标）"),
    ("line", "走向（经度,纬度;经度,纬度…）"),
    ("chief", "街巷长"),
    ("stewards", "小巷管家（以、分隔）"),
    ("council", "自治共建理事会"),
    ("compact", "街巷公约"),
    ("title_named_in", "首都文明街巷命名月份（YYYY-MM）"),
    ("unit", "责任单位编码"),
];

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `lon,lat;lon,lat;…` → points.
fn parse_line(text: &str) -> Result<Vec<GeoPoint>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (lon, lat) = pair.split_once(',').ok_or_else(|| format!("line: {pair:?} is not lon,lat"))?;
            let number = |t: &str| t.trim().parse::<f64>().map_err(|_| format!("line: {t:?} is not a number"));
            Ok(GeoPoint { lat: number(lat)?, lon: number(lon)? })
        })
        .collect()
}

fn format_line(points: &[GeoPoint]) -> String {
    points.iter().map(|p| format!("{:.6},{:.6}", p.lon, p.lat)).collect::<Vec<_>>().join(";")
}

/// Builds an alley from named fields (a sheet's row or a feature's properties).
fn new_alley(get: impl Fn(&str) -> String, line: Result<Vec<GeoPoint>, String>) -> Result<NewAlley, String> {
    let grade = Grade::parse_awarded(&get("grade")).map_err(|e| format!("grade: {e}"))?;
    let unit = optional(&get("unit")).map(|u| UnitCode::parse(&u).map_err(|e| format!("unit: {e}"))).transpose()?;
    let title_named_in = optional(&get("title_named_in")).map(|m| Month::parse(&m).map_err(|e| format!("title_named_in: {e}"))).transpose()?;
    Ok(NewAlley {
        code: get("code"),
        name: get("name"),
        line: line?,
        community: optional(&get("community")),
        grade,
        unit,
        four: FourHaves {
            chief: optional(&get("chief")),
            stewards: get("stewards").split(['、', ',', '，']).filter_map(optional).collect(),
            council: optional(&get("council")),
            compact: optional(&get("compact")),
        },
        title_named_in,
    })
}

/// The rows of an `alleys` sheet, numbered as Excel shows them.
fn read_xlsx(path: &Path) -> anyhow::Result<Vec<(usize, Result<NewAlley, String>)>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut workbook = calamine::Xlsx::new(BufReader::new(file)).with_context(|| format!("{} is not a readable XLSX workbook", path.display()))?;
    let range = workbook.worksheet_range("alleys").context("the workbook needs a sheet \"alleys\"")?;
    let mut rows = range.rows().map(|row| row.iter().map(|c| c.to_string()).collect::<Vec<String>>());
    let header = rows.next().context("the sheet \"alleys\" is empty")?;
    let key = |cell: &str| cell.split_whitespace().next().unwrap_or("").to_owned();
    let index: Vec<String> = header.iter().map(|h| key(h)).collect();
    for (column, _) in COLUMNS.iter().filter(|(k, _)| *k != "street") {
        if !index.iter().any(|h| h == column) {
            bail!("the sheet \"alleys\" has no column {column:?} (headings: {})", COLUMNS.iter().map(|(k, zh)| format!("{k} {zh}")).collect::<Vec<_>>().join(" | "));
        }
    }
    Ok(rows
        .enumerate()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, cells)| {
            let get = |name: &str| index.iter().position(|h| h == name).and_then(|c| cells.get(c)).cloned().unwrap_or_default();
            (i + 2, new_alley(get, parse_line(&get("line"))))
        })
        .collect())
}

/// The features of a GeoJSON FeatureCollection, numbered from 1.
fn read_geojson(path: &Path) -> anyhow::Result<Vec<(usize, Result<NewAlley, String>)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let doc: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let features = doc.get("features").and_then(Value::as_array).context("not a GeoJSON FeatureCollection: no \"features\"")?;
    Ok(features
        .iter()
        .enumerate()
        .map(|(i, feature)| {
            let props = feature.get("properties").cloned().unwrap_or(Value::Null);
            let get = |name: &str| match props.get(name) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("、"),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            (i + 1, new_alley(get, geometry_line(feature.get("geometry"))))
        })
        .collect())
}

/// A LineString geometry's points.
fn geometry_line(geometry: Option<&Value>) -> Result<Vec<GeoPoint>, String> {
    let geometry = geometry.filter(|g| !g.is_null()).ok_or("geometry: missing")?;
    if geometry.get("type").and_then(Value::as_str) != Some("LineString") {
        return Err("geometry: not a LineString".into());
    }
    let coordinates = geometry.get("coordinates").and_then(Value::as_array).ok_or("geometry: no coordinates")?;
    coordinates
        .iter()
        .map(|c| match c.as_array().map(|a| a.iter().map(Value::as_f64).collect::<Vec<_>>()).as_deref() {
            Some([Some(lon), Some(lat), ..]) => Ok(GeoPoint { lat: *lat, lon: *lon }),
            _ => Err(format!("geometry: {c} is not a [lon, lat] position")),
        })
        .collect()
}

fn row_cells(alley: &Alley, street_name: &str) -> [String; 12] {
    [
        alley.point.code.clone(),
        alley.point.name.clone(),
        street_name.to_owned(),
        alley.community.clone().unwrap_or_default(),
        alley.awarded.name_zh().to_owned(),
        format_line(alley.line()),
        alley.four.chief.clone().unwrap_or_default(),
        alley.four.stewards.join("、"),
        alley.four.council.clone().unwrap_or_default(),
        alley.four.compact.clone().unwrap_or_default(),
        alley.title.map(|t| t.named_in.to_string()).unwrap_or_default(),
        alley.point.unit.as_ref().map(|u| u.as_str().to_owned()).unwrap_or_default(),
    ]
}

fn write_xlsx(app: &App, alleys: &[Alley], path: &Path) -> anyhow::Result<()> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("alleys")?;
    for (col, (key, zh)) in (0u16..).zip(COLUMNS) {
        sheet.write_string_with_format(0, col, format!("{key} {zh}"), &bold)?;
    }
    for (row, alley) in (1u32..).zip(alleys) {
        let street = app.regions.get(alley.point.region.as_str()).map(|r| r.name.clone()).unwrap_or_default();
        for (col, cell) in (0u16..).zip(row_cells(alley, &street)) {
            sheet.write_string(row, col, cell)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    workbook.save(path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn write_geojson(app: &App, alleys: &[Alley], path: &Path) -> anyhow::Result<()> {
    let features: Vec<Value> = alleys
        .iter()
        .map(|alley| {
            let street = app.regions.get(alley.point.region.as_str()).map(|r| r.name.clone()).unwrap_or_default();
            let cells = row_cells(alley, &street);
            let mut props = serde_json::Map::new();
            for ((key, _), cell) in COLUMNS.iter().zip(cells) {
                if *key != "line" {
                    props.insert((*key).to_owned(), if cell.is_empty() { Value::Null } else { Value::String(cell) });
                }
            }
            props.insert("stewards".into(), json!(alley.four.stewards));
            json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": alley.line().iter().map(|p| [p.lon, p.lat]).collect::<Vec<_>>()}, "properties": props})
        })
        .collect();
    let doc = json!({"type": "FeatureCollection", "features": features});
    std::fs::write(path, serde_json::to_string_pretty(&doc)?).with_context(|| format!("writing {}", path.display()))
}

fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

pub async fn run(command: AlleysCommand) -> anyhow::Result<()> {
    match command {
        AlleysCommand::Import { input, database } => {
            let rows = match extension(&input).as_str() {
                "xlsx" => read_xlsx(&input)?,
                "geojson" | "json" => read_geojson(&input)?,
                other => bail!("alleys are imported from .xlsx or .geojson, not .{other}"),
            };
            let app = app(&database).await?;
            let created = app.import_alleys(&operator(), rows, jiff::Timestamp::now()).await?;
            println!("registered {} alleys from {}", created.len(), input.display());
            Ok(())
        }
        AlleysCommand::Export { output, region, database } => {
            let app = app(&database).await?;
            let alleys: Vec<Alley> = app.alley_map(region.as_deref(), Month::of(jiff::Timestamp::now())).await?.into_iter().map(|e| e.alley).collect();
            match extension(&output).as_str() {
                "xlsx" => write_xlsx(&app, &alleys, &output)?,
                "geojson" | "json" => write_geojson(&app, &alleys, &output)?,
                other => bail!("alleys are exported as .xlsx or .geojson, not .{other}"),
            }
            println!("wrote {} alleys to {}", alleys.len(), output.display());
            Ok(())
        }
        AlleysCommand::Evaluate { month, rules, database } => {
            let month = Month::parse(&month)?;
            let app = app(&database).await?;
            let summary = app.evaluate_alley_month(&operator(), month, &rules.rules()?, jiff::Timestamp::now()).await?;
            println!(
                "{month}: {} alleys scored ({} without a check), {} downgraded, {} restored, {} listed, {} de-listed, {} title changes; {} cases counted on alleys",
                summary.scored, summary.unscored, summary.downgraded, summary.restored, summary.listed, summary.delisted, summary.title_changes, summary.cases_on_alleys
            );
            Ok(())
        }
        AlleysCommand::Rank { period, region, json, database } => {
            let ranking = app(&database).await?.alley_ranking(Month::parse(&period)?, region.as_deref()).await?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &ranking)?;
                return Ok(writeln!(out)?);
            }
            writeln!(out, "{} {} alley ranking: city\tdistrict\tstreet\tcode\tname\tstreet\tscore\tgrade", ranking.region_name, ranking.month)?;
            for r in &ranking.items {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{:.2}\t{}",
                    r.rank_in_city, r.rank_in_district, r.rank_in_street, r.code, r.name, r.street_name, r.score, r.grade.name_zh()
                )?;
            }
            if !ranking.named_worst.is_empty() {
                writeln!(out, "\n季点名 (the quarter's worst): code\tname\tstreet\tquarter mean")?;
                for n in &ranking.named_worst {
                    writeln!(out, "{}\t{}\t{}\t{:.2}", n.code, n.name, n.street_name, n.quarter_mean)?;
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_as_lon_lat_pairs() {
        let line = parse_line("116.41,39.93; 116.412,39.93;").unwrap();
        assert_eq!(line, vec![GeoPoint { lat: 39.93, lon: 116.41 }, GeoPoint { lat: 39.93, lon: 116.412 }]);
        assert!(parse_line("116.41;39.93").unwrap_err().contains("lon,lat"));
        assert!(parse_line("116.41,x").unwrap_err().contains("not a number"));
        assert_eq!(parse_line(&format_line(&line)).unwrap(), line);
    }

    #[test]
    fn broken_geometries_are_named() {
        assert_eq!(geometry_line(None).unwrap_err(), "geometry: missing");
        assert!(geometry_line(Some(&json!({"type": "Point", "coordinates": [116.4, 39.9]}))).unwrap_err().contains("LineString"));
        assert!(geometry_line(Some(&json!({"type": "LineString", "coordinates": [[116.4], [116.5, 39.9]]}))).unwrap_err().contains("[lon, lat]"));
    }
}
