//! `gridline evaluation …`: the indicator system as XLSX (export, import), the rounds and the
//! scores, through the application's evaluation service.

use std::io::{BufReader, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use calamine::Reader as _;
use clap::Subcommand;
use gridline_app::App;
use gridline_app::evaluation::ScoreLevel;
use gridline_core::actor::{Actor, Role};
use gridline_core::evaluation::IndicatorSystem;
use gridline_core::evaluation::table::CLAUSE_COLUMNS;
use gridline_core::period::Period;
use rust_xlsxwriter::{Format, Workbook};

use crate::Database;

#[derive(Subcommand)]
pub enum EvaluationCommand {
    /// The indicator system (测评体系): export or import as XLSX.
    Indicators {
        #[command(subcommand)]
        command: IndicatorsCommand,
    },
    /// The rounds of field checks with their progress.
    Rounds {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        database: Database,
    },
    /// The scores and ranking of a period.
    Scores {
        /// YYYY-MM, or YYYY-MM..YYYY-MM.
        #[arg(long)]
        period: String,
        /// district or street.
        #[arg(long, default_value = "district")]
        level: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        database: Database,
    },
}

#[derive(Subcommand)]
pub enum IndicatorsCommand {
    /// Writes the system in force as an XLSX workbook (sheets `system` and `clauses`).
    Export {
        #[arg(long)]
        output: PathBuf,
        #[command(flatten)]
        database: Database,
    },
    /// Imports a workbook as the next revision of its year; nothing is written when it has a problem.
    Import {
        #[arg(long)]
        input: PathBuf,
        #[command(flatten)]
        database: Database,
    },
}

/// The command line acts as the office.
fn operator() -> Actor {
    Actor { user_id: 0, username: "cli".into(), role: Role::Admin, unit: None }
}

async fn app(database: &Database) -> anyhow::Result<App> {
    Ok(App::new(database.open().await?, Arc::new(gridline_geo::beijing()), &Default::default()).await?)
}

pub async fn run(command: EvaluationCommand) -> anyhow::Result<()> {
    match command {
        EvaluationCommand::Indicators { command: IndicatorsCommand::Export { output, database } } => {
            let system = app(&database).await?.indicator_system().await?;
            write_workbook(&system.system, &output)?;
            println!("wrote {} (revision {} of {}, {} clauses)", output.display(), system.revision, system.system.year, system.system.clauses().count());
            Ok(())
        }
        EvaluationCommand::Indicators { command: IndicatorsCommand::Import { input, database } } => {
            let (settings, clauses) = read_workbook(&input)?;
            let app = app(&database).await?;
            let catalogue = app.reference().catalogue.clone();
            let system = IndicatorSystem::from_table(&settings, &clauses, |code| catalogue.check_fileable(code).is_ok())?;
            let imported = app.import_indicators(&operator(), &system.to_toml(), jiff::Timestamp::now()).await?;
            println!("imported {} as revision {} of {} (id {})", input.display(), imported.revision, imported.system.year, imported.id);
            Ok(())
        }
        EvaluationCommand::Rounds { json, database } => {
            let rounds = app(&database).await?.rounds(&operator(), 1000).await?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &rounds)?;
                return Ok(writeln!(out)?);
            }
            writeln!(out, "id\tmonth\tname\tdeadline\tanswered/points\tfailures\tcleared")?;
            for r in rounds {
                writeln!(out, "{}\t{}\t{}\t{}\t{}/{}\t{}\t{}", r.round.id, r.month, r.round.name, r.round.deadline, r.points_answered, r.points, r.failures, r.failures_cleared)?;
            }
            Ok(())
        }
        EvaluationCommand::Scores { period, level, json, database } => {
            let scores = app(&database).await?.evaluation_scores(Period::parse(&period)?, ScoreLevel::parse(&level)?).await?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &scores)?;
                return Ok(writeln!(out)?);
            }
            let f = |x: Option<f64>| x.map_or_else(|| "—".to_owned(), |x| format!("{x:.1}"));
            writeln!(out, "{} scores: rank\tcode\tname\tscore\tfield_check\tplatform_data\tpoints\tmovement", scores.period)?;
            for r in &scores.items {
                let movement = r.movement.map_or_else(|| "new".to_owned(), |m| format!("{m:+}"));
                let rank = r.rank.map_or_else(|| "—".to_owned(), |n| n.to_string());
                writeln!(out, "{rank}\t{}\t{}\t{}\t{}\t{}\t{}\t{movement}", r.code, r.name, f(r.score), f(r.field_check), f(r.platform_data), r.points_checked)?;
            }
            Ok(())
        }
    }
}

fn write_workbook(system: &IndicatorSystem, path: &std::path::Path) -> anyhow::Result<()> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("system")?;
    for (row, [key, value]) in (0u32..).zip(system.settings_rows()) {
        sheet.write_string(row, 0, key)?;
        sheet.write_string(row, 1, value)?;
    }
    let sheet = workbook.add_worksheet();
    sheet.set_name("clauses")?;
    for (col, name) in (0u16..).zip(CLAUSE_COLUMNS) {
        sheet.write_string_with_format(0, col, name, &bold)?;
    }
    for (row, cells) in (1u32..).zip(system.clause_rows()) {
        for (col, cell) in (0u16..).zip(cells) {
            sheet.write_string(row, col, cell)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    workbook.save(path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The `system` and `clauses` sheets as text cells.
fn read_workbook(path: &std::path::Path) -> anyhow::Result<(Vec<Vec<String>>, Vec<Vec<String>>)> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut workbook = calamine::Xlsx::new(BufReader::new(file)).with_context(|| format!("{} is not a readable XLSX workbook", path.display()))?;
    let mut sheet = |name: &str| -> anyhow::Result<Vec<Vec<String>>> {
        let range = workbook.worksheet_range(name).with_context(|| format!("the workbook needs a sheet {name:?}"))?;
        Ok(range.rows().map(|row| row.iter().map(ToString::to_string).collect()).collect())
    };
    Ok((sheet("system")?, sheet("clauses")?))
}
