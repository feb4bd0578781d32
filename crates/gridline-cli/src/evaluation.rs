//! `gridline evaluation …`: the indicator system as XLSX (export, import), points from a
//! spreadsheet, the rounds and the scores, through the application's evaluation service.

use std::io::{BufReader, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use calamine::Reader as _;
use clap::Subcommand;
use gridline_app::App;
use gridline_app::evaluation::ScoreLevel;
use gridline_app::table::{TableFormat, read_table};
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
    /// Inspection points (点位): import the office's spreadsheet.
    Points {
        #[command(subcommand)]
        command: PointsCommand,
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
    /// The month's notice data: ranking, 点评 and the interview (约谈) list of the bottom N.
    Notice {
        /// YYYY-MM
        #[arg(long)]
        month: String,
        #[arg(long, default_value = "district")]
        level: String,
        /// How many of the lowest ranked are on the interview list.
        #[arg(long, default_value_t = 3)]
        bottom: usize,
        /// The fewest points checked for a region to be ranked (fewer: 样本不足).
        #[arg(long, default_value_t = gridline_app::evaluation::MIN_POINTS_CHECKED)]
        min_points: u64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        database: Database,
    },
    /// Writes the office's 点评 of a month (for the city, or --region).
    Comment {
        #[arg(long)]
        month: String,
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        text: String,
        #[command(flatten)]
        database: Database,
    },
    /// Questionnaires (问卷调查): XLSForm import, open and close, links, answers, the index.
    Questionnaire {
        #[command(subcommand)]
        command: QuestionnaireCommand,
    },
}

#[derive(Subcommand)]
pub enum QuestionnaireCommand {
    /// Creates a questionnaire in draft from an XLSForm workbook (survey, choices, settings).
    Import {
        #[arg(long)]
        code: String,
        #[arg(long)]
        input: PathBuf,
        #[command(flatten)]
        database: Database,
    },
    /// Opens a draft for answers, with a public link per district.
    Open {
        #[arg(long)]
        id: i64,
        /// RFC 3339 instant after which answers are refused.
        #[arg(long)]
        closes_at: Option<String>,
        #[command(flatten)]
        database: Database,
    },
    /// Closes an open questionnaire.
    Close {
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        database: Database,
    },
    /// The questionnaires with their status and responses, or one's public links.
    List {
        /// Print this questionnaire's links per district.
        #[arg(long)]
        links: Option<i64>,
        #[command(flatten)]
        database: Database,
    },
    /// Imports answers from CSV or XLSX: columns respondent, street (code or name), submitted_at
    /// (optional) and one per question; all rows are checked before any is stored.
    Answers {
        #[arg(long)]
        id: i64,
        #[arg(long)]
        input: PathBuf,
        #[command(flatten)]
        database: Database,
    },
    /// The satisfaction index of a period per district or street.
    Index {
        /// YYYY-MM or YYYY-MM..YYYY-MM (a quarter).
        #[arg(long)]
        period: String,
        #[arg(long, default_value = "district")]
        level: String,
        #[arg(long)]
        questionnaire: Option<i64>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        database: Database,
    },
}

#[derive(Subcommand)]
pub enum PointsCommand {
    /// Registers the points of an XLSX or CSV file (columns 编码, 名称, 类型, 纬度 + 经度 or 线路,
    /// optionally 责任单位 and 地址), all or none: every bad row is named and nothing is written.
    Import {
        file: PathBuf,
        /// The text encoding of a CSV file, a WHATWG label (gb18030, gbk, …); UTF-8 by default.
        #[arg(long)]
        encoding: Option<String>,
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
        EvaluationCommand::Points { command: PointsCommand::Import { file, encoding, database } } => {
            let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let table = read_table(&name, &bytes, TableFormat::of_file_name(&name), encoding.as_deref()).map_err(crate::ledger::explain)?;
            let points = app(&database).await?.import_points(&operator(), &name, &table, jiff::Timestamp::now()).await.map_err(crate::ledger::explain)?;
            let streets = points.iter().map(|p| p.region.as_str()).collect::<std::collections::BTreeSet<_>>().len();
            println!("registered {} point(s) in {streets} street(s) from {}", points.len(), file.display());
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
        EvaluationCommand::Notice { month, level, bottom, min_points, json, database } => {
            let month = gridline_core::period::Month::parse(&month)?;
            let notice = app(&database).await?.evaluation_notice(month, ScoreLevel::parse(&level)?, bottom, min_points).await?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &notice)?;
                return Ok(writeln!(out)?);
            }
            for c in &notice.comments {
                writeln!(out, "点评 {}: {}", if c.region.is_empty() { "全市" } else { &c.region_name }, c.text)?;
            }
            let thin = notice.scores.items.iter().filter(|r| r.insufficient_sample).count();
            writeln!(out, "{} regions ranked, {thin} 样本不足 (fewer than {min_points} points checked)", notice.scores.items.iter().filter(|r| r.rank.is_some()).count())?;
            writeln!(out, "约谈名单 (bottom {bottom}):")?;
            for r in &notice.interview {
                writeln!(out, "{}\t{}\t{}\t{:.1}", r.rank.unwrap_or(0), r.code, r.name, r.score.unwrap_or(0.0))?;
            }
            Ok(())
        }
        EvaluationCommand::Comment { month, region, text, database } => {
            let month = gridline_core::period::Month::parse(&month)?;
            let comment = app(&database).await?.put_evaluation_comment(&operator(), month, region.as_deref(), &text, jiff::Timestamp::now()).await?;
            println!("点评 of {} for {} saved", comment.month, if comment.region.is_empty() { "the city" } else { &comment.region_name });
            Ok(())
        }
        EvaluationCommand::Questionnaire { command } => questionnaire(command).await,
    }
}

async fn questionnaire(command: QuestionnaireCommand) -> anyhow::Result<()> {
    use gridline_app::questionnaires::read_xlsform;
    let now = jiff::Timestamp::now();
    match command {
        QuestionnaireCommand::Import { code, input, database } => {
            let bytes = std::fs::read(&input).with_context(|| format!("reading {}", input.display()))?;
            let form = read_xlsform(&bytes)?;
            let q = app(&database).await?.create_questionnaire(&operator(), &code, form, now).await?;
            println!("questionnaire {} ({}) created as a draft: {} questions in {} sections", q.id, q.title, q.form.questions().count(), q.form.sections.len());
        }
        QuestionnaireCommand::Open { id, closes_at, database } => {
            let closes_at = closes_at.map(|t| t.parse::<jiff::Timestamp>()).transpose().context("--closes-at is an RFC 3339 instant")?;
            let app = app(&database).await?;
            let q = app.open_questionnaire(&operator(), id, closes_at, now).await?;
            println!("questionnaire {} ({}) is open; its links:", q.id, q.title);
            for link in app.questionnaire_links(&operator(), id).await? {
                println!("{}\t{}\t{}", link.district, link.district_name, link.path);
            }
        }
        QuestionnaireCommand::Close { id, database } => {
            let q = app(&database).await?.close_questionnaire(&operator(), id, now).await?;
            println!("questionnaire {} ({}) is closed", q.id, q.title);
        }
        QuestionnaireCommand::List { links, database } => {
            let app = app(&database).await?;
            if let Some(id) = links {
                for link in app.questionnaire_links(&operator(), id).await? {
                    println!("{}\t{}\t{}", link.district, link.district_name, link.path);
                }
                return Ok(());
            }
            println!("id\tcode\tstatus\tresponses\ttitle");
            for q in app.questionnaires(&operator()).await? {
                println!("{}\t{}\t{}\t{}\t{}", q.questionnaire.id, q.questionnaire.code, q.questionnaire.status.as_str(), q.responses, q.questionnaire.title);
            }
        }
        QuestionnaireCommand::Answers { id, input, database } => {
            let bytes = std::fs::read(&input).with_context(|| format!("reading {}", input.display()))?;
            let name = input.display().to_string();
            let rows = gridline_app::table::read_table(&name, &bytes, gridline_app::table::TableFormat::of_file_name(&name), None)?;
            let done = app(&database).await?.import_responses(&operator(), id, &rows, now).await?;
            println!("{} answers imported, {} already there", done.imported, done.unchanged);
        }
        QuestionnaireCommand::Index { period, level, questionnaire, json, database } => {
            let index = app(&database).await?.satisfaction_index(questionnaire, Period::parse(&period)?, ScoreLevel::parse(&level)?).await?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &index)?;
                return Ok(writeln!(out)?);
            }
            let f = |x: Option<f64>| x.map_or_else(|| "—".to_owned(), |x| format!("{x:.1}"));
            writeln!(out, "city\t{}\t±{}\tn={}", f(index.city.mean), f(index.city.margin), index.city.n)?;
            writeln!(out, "code\tname\tindex\tmargin\tn")?;
            for r in index.items.iter().filter(|r| r.estimate.n > 0) {
                writeln!(out, "{}\t{}\t{}\t±{}\t{}", r.code, r.name, f(r.estimate.mean), f(r.estimate.margin), r.estimate.n)?;
            }
        }
    }
    Ok(())
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
