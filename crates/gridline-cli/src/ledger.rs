//! `gridline ledger import|export|summary|close`: the committee's project ledger from and to the
//! offices' spreadsheets, and the progress board, through the application layer (App::ledger_*).
//! The commands act as the office (an administrator); the import writes nothing of a file with
//! any bad row.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use gridline_app::table::{TableFormat, read_table};
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
    /// Close a year (年底清点 done): refused while a project is not archived; nothing of a closed
    /// year changes afterwards.
    Close {
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        database: Database,
    },
}

/// The command line acts as the office.
fn office() -> Actor {
    Actor { user_id: 0, username: "cli".into(), role: Role::Admin, unit: None }
}

/// Problems of a refused file, one per line, as `file line N: message`.
/// A refused file's problems, one a line.
pub(crate) fn explain(err: AppError) -> anyhow::Error {
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
            let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let table = read_table(&name, &bytes, TableFormat::of_file_name(&name), encoding.as_deref()).map_err(explain)?;
            let report = app(&database).await?.ledger_import(&office(), year, &name, &table, accept).await.map_err(explain)?;
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
        LedgerCommand::Close { year, database } => {
            let closed = app(&database).await?.ledger_close_year(&office(), year).await?;
            println!("the {year} ledger is closed ({})", closed.closed_at.map(gridline_core::calendar::local_time).unwrap_or_default());
        }
    }
    Ok(())
}

async fn app(database: &Database) -> anyhow::Result<App> {
    let store = database.open().await?;
    Ok(App::new(store, Arc::new(gridline_geo::beijing()), &Default::default()).await?)
}
