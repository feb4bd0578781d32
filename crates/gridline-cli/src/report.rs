//! `gridline report …`: the documents officials read (简报, 通报, 督办单) as DOCX or PDF. Without
//! `--issue` a document is rendered as it would be issued now and nothing is stored; with
//! `--issue --by USER` it is numbered, stored with its snapshot and hashes, and the file written
//! is the stored one. `report list` and `report download` read issued documents back.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use gridline_app::App;
use gridline_app::documents::{ArticleInput, DocumentRequest, DocumentSettings, parse_format};
use gridline_core::actor::{Actor, Role};
use gridline_store::DocumentFilter;
use jiff::Timestamp;

use crate::Database;

#[derive(Args, Clone)]
pub struct Output {
    /// docx or pdf.
    #[arg(long, default_value = "pdf")]
    format: String,
    /// The file to write.
    #[arg(long)]
    output: PathBuf,
}

#[derive(Args, Clone)]
pub struct Issue {
    /// Issue the document: number it and store it (otherwise only render it).
    #[arg(long, requires = "by")]
    issue: bool,
    /// The user who issues it (a supervisor or an administrator).
    #[arg(long)]
    by: Option<String>,
    /// The id of an issued document this one corrects.
    #[arg(long, requires = "issue")]
    corrects: Option<i64>,
    /// A TOML file of the office's document settings (issuer, masthead, imprint, distribution).
    #[arg(long)]
    settings: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// A 简报 of the articles in a JSON file: `[{"section", "title", "body", "office"}, …]`.
    Bulletin {
        #[arg(long)]
        articles: PathBuf,
        #[command(flatten)]
        issue: Issue,
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        database: Database,
    },
    /// The 通报 of a month's ranking by the three rates.
    Notice {
        /// YYYY-MM
        #[arg(long)]
        period: String,
        /// district, street or unit.
        #[arg(long, default_value = "district")]
        level: String,
        /// How many of the lowest go on the interview list.
        #[arg(long, default_value_t = 3)]
        bottom: usize,
        /// The office's 点评 (otherwise written from the figures).
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        issue: Issue,
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        database: Database,
    },
    /// The 督办单 of a supervision order raised on a case.
    SupervisionOrder {
        /// The supervision order's id.
        #[arg(long)]
        order: i64,
        #[command(flatten)]
        issue: Issue,
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        database: Database,
    },
    /// Issued documents, newest first.
    List {
        /// bulletin, notice or supervision_order.
        #[arg(long)]
        kind: Option<String>,
        /// Words in the title or the data.
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[command(flatten)]
        database: Database,
    },
    /// An issued document's file, checked against its stored hash.
    Download {
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        database: Database,
    },
}

/// `--settings FILE`, else the file `GRIDLINE_DOCUMENT_SETTINGS` names, else the defaults.
fn settings(path: Option<&Path>) -> anyhow::Result<DocumentSettings> {
    Ok(match path {
        None => DocumentSettings::from_env()?,
        Some(path) => DocumentSettings::read(path)?,
    })
}

async fn app(database: &Database) -> anyhow::Result<App> {
    Ok(App::new(database.open().await?, Arc::new(gridline_geo::beijing()), &Default::default()).await?)
}

async fn make(request: DocumentRequest, issue: Issue, output: Output, database: Database) -> anyhow::Result<()> {
    let format = parse_format(&output.format)?;
    let settings = settings(issue.settings.as_deref())?;
    let app = app(&database).await?;
    let now = Timestamp::now();
    let bytes = if issue.issue {
        let name = issue.by.as_deref().unwrap_or_default();
        let user = app.store.people().user_by_name(name).await?.with_context(|| format!("no user {name:?}"))?;
        let actor = user.actor();
        let doc = app.issue_document(&actor, &request, &settings, issue.corrects, now).await?;
        println!("issued document {}: {} ({} 年第 {} 期, 总第 {} 期), snapshot sha256 {}", doc.id, doc.title, doc.year, doc.number, doc.total, doc.snapshot_sha256);
        app.document_file(doc.id, format).await?.1
    } else {
        // Rendering only, as the operator who runs the command: nothing is stored.
        let operator = Actor { user_id: 0, username: "cli".into(), role: Role::Admin, unit: None };
        app.preview_document(&operator, &request, &settings, format, now).await?
    };
    std::fs::write(&output.output, &bytes).with_context(|| format!("writing {}", output.output.display()))?;
    println!("wrote {} ({} bytes)", output.output.display(), bytes.len());
    Ok(())
}

pub async fn run(command: ReportCommand) -> anyhow::Result<()> {
    match command {
        ReportCommand::Bulletin { articles, issue, output, database } => {
            let text = std::fs::read_to_string(&articles).with_context(|| format!("reading {}", articles.display()))?;
            let articles: Vec<ArticleInput> = serde_json::from_str(&text).with_context(|| format!("{}: a list of articles", articles.display()))?;
            make(DocumentRequest::Bulletin { articles }, issue, output, database).await
        }
        ReportCommand::Notice { period, level, bottom, comment, issue, output, database } => {
            make(DocumentRequest::Notice { period, level, bottom: Some(bottom), comment }, issue, output, database).await
        }
        ReportCommand::SupervisionOrder { order, issue, output, database } => {
            make(DocumentRequest::SupervisionOrder { order }, issue, output, database).await
        }
        ReportCommand::List { kind, search, limit, database } => {
            if !(1..=500).contains(&limit) {
                bail!("--limit is 1–500");
            }
            let app = app(&database).await?;
            let docs = app.issued_documents(&DocumentFilter { kind, text: search, limit }).await?;
            println!("id\tkind\tyear\tnumber\ttotal\tissued_at\tcorrects\ttitle");
            for d in docs {
                let corrects = d.corrects.map_or_else(|| "—".to_owned(), |c| c.to_string());
                println!("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", d.id, d.kind, d.year, d.number, d.total, d.issued_at, corrects, d.title);
            }
            Ok(())
        }
        ReportCommand::Download { id, output, database } => {
            let format = parse_format(&output.format)?;
            let app = app(&database).await?;
            let (doc, bytes) = app.document_file(id, format).await?;
            std::fs::write(&output.output, &bytes).with_context(|| format!("writing {}", output.output.display()))?;
            println!("wrote {} ({}, {} bytes, sha256 checked)", output.output.display(), doc.title, bytes.len());
            Ok(())
        }
    }
}

/// The demo city's 简报 articles: two sections, each article of `paragraphs` paragraphs.
pub fn demo_articles(paragraphs: usize) -> Vec<ArticleInput> {
    let body = |lead: &str| {
        (0..paragraphs)
            .map(|i| {
                format!(
                    "{lead}（{}）各区以“日巡、周查、月评、季点名”推进背街小巷环境精细化治理，对群众反映集中的堆物堆料、非法小广告、停车秩序等问题建立台账、限期整改，\
                     12345 热线同期受理量下降 18.4%，满意率达到 96.2%。下一步将把整改成效纳入月度排名，对排名靠后的单位约谈督办。",
                    i + 1
                )
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    vec![
        ArticleInput {
            section: "重要会议".into(),
            title: "全市文明城区创建月度调度会召开".into(),
            body: body("会议通报了上月三率排名情况。"),
            office: "综合协调处".into(),
        },
        ArticleInput {
            section: "创新案例".into(),
            title: "东城区“小巷管家”参与街巷治理见实效".into(),
            body: body("东城区组建小巷管家队伍。"),
            office: "精神文明创建活动指导处".into(),
        },
    ]
}

/// `gridline bench documents`: the demo 简报 (six pages) rendered `repeat` times.
pub fn bench(repeat: usize) -> anyhow::Result<()> {
    use gridline_report::{Bulletin, Content, Fonts, Kind, Numbering, Snapshot, Template};
    let started = std::time::Instant::now();
    let fonts = Fonts::system()?;
    let fonts_read = started.elapsed();
    let settings = DocumentSettings::default();
    let articles = demo_articles(9)
        .into_iter()
        .map(|a| gridline_report::Article { section: a.section, title: a.title, body: a.body, office: a.office })
        .collect();
    let snapshot = Snapshot {
        numbering: Numbering { year: 2024, number: 12, total: 2236 },
        dated: "2024 年 11 月 5 日".into(),
        corrects: None,
        content: Content::Bulletin(Bulletin { masthead: settings.bulletin_masthead, issuer: settings.issuer, articles, imprint: settings.imprint }),
    };
    let template = Template::builtin(Kind::Bulletin);
    let mut times = Vec::with_capacity(repeat);
    let mut last = None;
    for _ in 0..repeat {
        let t = std::time::Instant::now();
        last = Some(gridline_report::render(&snapshot, &template, &fonts)?);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let last = last.expect("repeat is at least 1");
    times.sort_by(f64::total_cmp);
    println!(
        "简报 of {} pages (DOCX {} bytes, PDF {} bytes): DOCX + PDF in median {:.0} ms, min {:.0} ms, max {:.0} ms over {repeat} runs; fonts read once in {:.0} ms",
        last.pages,
        last.docx.len(),
        last.pdf.len(),
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
        fonts_read.as_secs_f64() * 1000.0
    );
    Ok(())
}
