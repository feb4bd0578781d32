//! `gridline ledger import|export|summary`: the committee's project ledger from and to the
//! offices' spreadsheets, and the progress board, through the application layer (App::ledger_*).
//! The commands act as the office (an administrator); the import writes nothing of a file with
//! any bad row.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Subcommand;
use gridline_app::{App, AppError};
use gridline_core::{DomainError, UnitCode};
use gridline_core::actor::{Actor, Role};
use gridline_core::ledger::{KeyTask, LedgerYear, MemberUnit, UnitTier};

use crate::Database;

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Open a year's ledger (or change an open year's classes and limit) with its key tasks.
    Year {
        #[arg(long)]
        year: i32,
        /// The classes (repeat the flag); 制度建设, 文明宣传, 文明治理, 机关建设 by default.
        #[arg(long = "class")]
        classes: Vec<String>,
        /// Projects a member unit may propose (2 by default).
        #[arg(long)]
        limit: Option<u32>,
        /// A key task as CODE=TITLE (repeat the flag), e.g. T1=贯彻落实《北京市文明行为促进条例》.
        #[arg(long = "task")]
        tasks: Vec<String>,
        #[command(flatten)]
        database: Database,
    },
    /// Make a unit a member unit of the committee, with its tier and contact.
    Member {
        unit: String,
        /// central, municipal, district, enterprise or university (or 中央单位, 市级单位, 区, 企业, 高校).
        #[arg(long)]
        tier: String,
        #[arg(long)]
        contact: String,
        #[arg(long)]
        phone: String,
        #[command(flatten)]
        database: Database,
    },
    /// Import a year's ledger from XLSX (or CSV): one row a project, headers 单位, 类别, 重点任务,
    /// 项目名称, 工作目标, 主要措施, 节点安排, 责任人, 佐证材料 (docs/ledger.md).
    Import {
        file: PathBuf,
        #[arg(long)]
        year: i32,
        /// Enter the projects as accepted (立项) rather than proposed.
        #[arg(long)]
        accept: bool,
        /// The text encoding of a CSV file, a WHATWG label (gb18030, gbk, …); UTF-8 by default.
        #[arg(long)]
        encoding: Option<String>,
        #[command(flatten)]
        database: Database,
    },
    /// Export a year's ledger to XLSX.
    Export {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        database: Database,
    },
    /// The progress board of a year: counts by class and status, overdue milestones, who has not
    /// reported.
    Summary {
        #[arg(long)]
        year: i32,
        /// Print JSON (the API's summary) instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        database: Database,
    },
}

/// The command line acts as the office.
fn office() -> Actor {
    Actor { user_id: 0, username: "cli".into(), role: Role::Admin, unit: None }
}

/// Problems of a refused file, one per line, as `file line N: message`.
fn explain(err: AppError) -> anyhow::Error {
    match err {
        AppError::Domain(DomainError::InvalidFiles(problems)) => {
            let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            anyhow::anyhow!("the file was refused; nothing was written:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

pub async fn run(command: LedgerCommand) -> anyhow::Result<()> {
    match command {
        LedgerCommand::Year { year, classes, limit, tasks, database } => {
            let ledger_year = LedgerYear::new(year, (!classes.is_empty()).then_some(classes), limit)?;
            let tasks = tasks
                .iter()
                .map(|t| {
                    let (code, title) = t.split_once('=').with_context(|| format!("--task {t:?}: write CODE=TITLE"))?;
                    Ok(KeyTask { year, code: code.trim().to_owned(), title: title.trim().to_owned() })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            app(&database).await?.ledger_open_year(&office(), &ledger_year, &tasks).await?;
            println!("the {year} ledger is open: {} ({} a unit), {} key task(s) added", ledger_year.classes.join("、"), ledger_year.per_unit_limit, tasks.len());
        }
        LedgerCommand::Member { unit, tier, contact, phone, database } => {
            let tier = UnitTier::parse(&tier).with_context(|| format!("unknown tier {tier:?}; one of central, municipal, district, enterprise, university"))?;
            let member = MemberUnit { unit: UnitCode::parse(&unit)?, tier, contact_name: contact, contact_phone: phone };
            app(&database).await?.ledger_put_member(&office(), &member).await?;
            println!("{unit} is a member unit ({})", tier.label());
        }
        LedgerCommand::Import { file, year, accept, encoding, database } => {
            let table = read_table(&file, encoding.as_deref())?;
            let app = app(&database).await?;
            let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
            let report = app.ledger_import(&office(), year, &name, &table, accept).await.map_err(explain)?;
            println!("imported {} project(s) of {} unit(s) into the {year} ledger", report.projects, report.units);
        }
        LedgerCommand::Export { year, out, database } => {
            let app = app(&database).await?;
            let bytes = app.ledger_export_xlsx(&office(), year).await?;
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote the {year} ledger to {}", out.display());
        }
        LedgerCommand::Summary { year, json, database } => {
            let app = app(&database).await?;
            let today = gridline_core::period::day_of(jiff::Timestamp::now());
            let summary = app.ledger_summary(&office(), year, today).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                println!("{year} 年台账: {} 个成员单位, {} 个项目{}", summary.units, summary.projects, if summary.closed { " (已关账)" } else { "" });
                for class in &summary.by_class {
                    let statuses: Vec<String> = class.by_status.iter().map(|s| format!("{} {}", s.status.label(), s.count)).collect();
                    println!("  {}\t{} 家单位\t{} 个项目\t{}", class.class, class.units, class.projects, statuses.join(", "));
                }
                println!("  半年检查: 绿 {} 黄 {} 红 {} 未检查 {}", summary.lights.green, summary.lights.yellow, summary.lights.red, summary.lights.unchecked);
                println!("  逾期节点 {} 个; 未报送进展 {} 家; 未申报 {} 家", summary.overdue.len(), summary.not_reported.len(), summary.not_proposed.len());
            }
        }
    }
    Ok(())
}

async fn app(database: &Database) -> anyhow::Result<App> {
    let store = database.open().await?;
    Ok(App::new(store, Arc::new(gridline_geo::beijing()), &Default::default()).await?)
}

/// The file's rows as text: the first sheet of an XLSX workbook, or a CSV file.
fn read_table(path: &Path, encoding: Option<&str>) -> anyhow::Result<Vec<Vec<String>>> {
    let is_xlsx = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if is_xlsx {
        use calamine::{Reader, ReaderRef};
        let mut workbook: calamine::Xlsx<_> =
            calamine::open_workbook(path).with_context(|| format!("{} is not a readable XLSX workbook", path.display()))?;
        let sheet = workbook.sheet_names().first().cloned().context("the workbook has no sheet")?;
        let range = workbook.worksheet_range_ref(&sheet).with_context(|| format!("reading sheet {sheet:?}"))?;
        // Rows are numbered from the sheet's first row, as the office sees them.
        let offset = range.start().map_or(0, |(row, _)| row as usize);
        let mut rows = vec![Vec::new(); offset];
        rows.extend(range.rows().map(|row| row.iter().map(|cell| crate::import::cell_text(cell).0).collect()));
        return Ok(rows);
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = match encoding {
        Some(label) => {
            let encoding = encoding_rs::Encoding::for_label(label.as_bytes())
                .with_context(|| format!("unknown encoding {label:?}; use a WHATWG label such as utf-8, gb18030, gbk"))?;
            let (text, _, bad) = encoding.decode(&bytes);
            if bad {
                bail!("{} is not valid {} text", path.display(), encoding.name());
            }
            text.into_owned()
        }
        None => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let row = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
                bail!(
                    "{} row {row}: not UTF-8 text (byte {at}); it looks like a GBK/GB18030 file: pass --encoding gb18030, \
                     or save it as XLSX or UTF-8 CSV. Nothing was written.",
                    path.display()
                );
            }
        },
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{} row {}: not CSV", path.display(), i + 1))?;
        // Blank lines are skipped by the reader: keep the rows numbered as the file's lines.
        let line = record.position().map_or(rows.len() + 1, |p| p.line() as usize);
        rows.resize(line.saturating_sub(1).max(rows.len()), Vec::new());
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(rows)
}
