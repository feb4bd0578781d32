//! `gridline report …`: the documents officials read (简报, 通报, 督办单, 体检报告, the ledger's
//! year-end report, the alleys' 季点名 notice) as DOCX or PDF. Without `--issue` a document is rendered as it would be issued
//! now and nothing is stored (the snapshot's hash is printed); with `--issue --by USER` it is
//! numbered, stored with its snapshot and hashes, and the file written is the stored one.
//! `report list` and `report download` read issued documents back.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use gridline_app::App;
use gridline_app::documents::{ArticleInput, DocumentRequest, DocumentSettings, IssueOptions, parse_format, parse_template};
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
    /// A JSON file of the office's own template (the built-in ones' shape: `report template`).
    #[arg(long)]
    template: Option<PathBuf>,
    /// Issue only if the snapshot's SHA-256 is this one (the one the preview printed).
    #[arg(long, requires = "issue")]
    expect_sha256: Option<String>,
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
    /// The 体检报告 of a district for a period, from the evaluation.
    HealthReport {
        /// The district's code (12 digits, e.g. 110105000000).
        #[arg(long)]
        region: String,
        /// YYYY-MM, or YYYY-MM..YYYY-MM.
        #[arg(long)]
        period: String,
        #[command(flatten)]
        issue: Issue,
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        database: Database,
    },
    /// The ledger's year-end report to the committee.
    LedgerReport {
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        issue: Issue,
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        database: Database,
    },
    /// The alleys' 季点名 notice: a quarter's worst back alleys named.
    AlleyRollcall {
        /// YYYY-Qn, a quarter that is over (2026-Q3).
        #[arg(long)]
        quarter: String,
        /// A district's code (12 digits); without it the whole city.
        #[arg(long)]
        region: Option<String>,
        #[command(flatten)]
        issue: Issue,
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        database: Database,
    },
    /// Prints a kind's built-in template as JSON, to adapt and give back with `--template`.
    Template {
        /// bulletin, notice, supervision_order, health_report, ledger_report or alley_rollcall.
        #[arg(long)]
        kind: String,
    },
    /// Issued documents, newest first.
    List {
        /// bulletin, notice, supervision_order, health_report, ledger_report or alley_rollcall.
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
    let template = match &issue.template {
        None => None,
        Some(path) => Some(parse_template(&std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?)?),
    };
    let options = IssueOptions { corrects: issue.corrects, template, expect_sha256: issue.expect_sha256 };
    let app = app(&database).await?;
    let now = Timestamp::now();
    let bytes = if issue.issue {
        let name = issue.by.as_deref().unwrap_or_default();
        let user = app.store.people().user_by_name(name).await?.with_context(|| format!("no user {name:?}"))?;
        let actor = user.actor();
        let doc = app.issue_document(&actor, &request, &settings, &options, now).await?;
        println!("issued document {}: {} ({} 年第 {} 期, 总第 {} 期), snapshot sha256 {}", doc.id, doc.title, doc.year, doc.number, doc.total, doc.snapshot_sha256);
        app.document_file(doc.id, format).await?.1
    } else {
        // Rendering only, as the operator who runs the command: nothing is stored.
        let operator = Actor { user_id: 0, username: "cli".into(), role: Role::Admin, unit: None };
        let preview = app.preview_document(&operator, &request, &settings, &options, format, now).await?;
        println!("preview, not issued: snapshot sha256 {} (issue exactly this with --issue --expect-sha256)", preview.snapshot_sha256);
        preview.bytes
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
        ReportCommand::HealthReport { region, period, issue, output, database } => {
            make(DocumentRequest::HealthReport { region, period }, issue, output, database).await
        }
        ReportCommand::LedgerReport { year, issue, output, database } => make(DocumentRequest::LedgerReport { year }, issue, output, database).await,
        ReportCommand::AlleyRollcall { quarter, region, issue, output, database } => {
            make(DocumentRequest::AlleyRollcall { quarter, region }, issue, output, database).await
        }
        ReportCommand::Template { kind } => {
            let kind = gridline_report::Kind::parse(&kind).with_context(|| format!("unknown kind {kind:?}: {}", gridline_report::Kind::names()))?;
            println!("{}", serde_json::to_string_pretty(&gridline_report::Template::builtin(kind))?);
            Ok(())
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

/// Median, min and max of timings in milliseconds.
fn spread(mut times: Vec<f64>) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0], times[times.len() - 1])
}

/// The paragraphs per demo article that make a 简报 of four pages.
pub const FOUR_PAGES: usize = 6;

/// `gridline bench documents`: a 4-page 简报 rendered `repeat` times (PDF alone, and both
/// formats); then the 16 districts' 体检报告 of the demo city in `data_dir` (made first if absent)
/// as PDF — the data gathered from the store, then rendered on both cores — `repeat` times.
pub async fn bench(repeat: usize, data_dir: &Path, cases: usize) -> anyhow::Result<()> {
    use gridline_core::period::Month;
    use gridline_core::region::RegionLevel;
    use gridline_report::{Bulletin, Content, Fonts, Format, Kind, Numbering, Snapshot, Template};
    let started = std::time::Instant::now();
    let fonts = Fonts::system()?;
    let fonts_read = started.elapsed().as_secs_f64() * 1000.0;
    println!("fonts read once in {fonts_read:.0} ms");
    let settings = DocumentSettings::default();
    let articles = demo_articles(FOUR_PAGES)
        .into_iter()
        .map(|a| gridline_report::Article { section: a.section, title: a.title, body: a.body, office: a.office })
        .collect();
    let numbering = Numbering { year: 2024, number: 12, total: 2236 };
    let snapshot = Snapshot {
        numbering,
        dated: "2024 年 11 月 5 日".into(),
        corrects: None,
        content: Content::Bulletin(Bulletin { masthead: settings.bulletin_masthead.clone(), issuer: settings.issuer.clone(), articles, imprint: settings.imprint.clone() }),
    };
    let template = Template::builtin(Kind::Bulletin);
    let (mut pdf_times, mut both_times) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..repeat {
        let t = std::time::Instant::now();
        gridline_report::render_one(&snapshot, &template, &fonts, Format::Pdf)?;
        pdf_times.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = std::time::Instant::now();
        last = Some(gridline_report::render(&snapshot, &template, &fonts)?);
        both_times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let last = last.expect("repeat is at least 1");
    let ((pm, pl, ph), (bm, bl, bh)) = (spread(pdf_times), spread(both_times));
    println!(
        "简报 of {} pages: PDF in median {pm:.0} ms (min {pl:.0}, max {ph:.0}); DOCX + PDF in median {bm:.0} ms (min {bl:.0}, max {bh:.0}) over {repeat} runs (DOCX {} bytes, PDF {} bytes)",
        last.pages,
        last.docx.len(),
        last.pdf.len()
    );

    // The demo city, made once in data_dir.
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let url = format!("sqlite://{}?mode=rwc", data_dir.join("gridline.db").display());
    let store = gridline_store::Store::open(&url).await?;
    let t = std::time::Instant::now();
    crate::demo::ensure(&store, data_dir, cases).await?;
    println!("demo city in {} ready ({:.1} s)", data_dir.display(), t.elapsed().as_secs_f64());
    let app = App::new(store, Arc::new(gridline_geo::beijing()), &Default::default()).await?;
    let districts: Vec<String> = app.regions.at_level(RegionLevel::District).map(|r| r.code.clone()).collect();
    let month = Month::of(Timestamp::now()).previous();
    let period = format!("{:04}-{:02}", month.year(), month.number());
    let template = Template::builtin(Kind::HealthReport);
    let (mut gather_times, mut render_times, mut total_times) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..repeat {
        let t = std::time::Instant::now();
        let mut snapshots = Vec::with_capacity(districts.len());
        for (n, region) in districts.iter().enumerate() {
            let content = app.document_content(&DocumentRequest::HealthReport { region: region.clone(), period: period.clone() }, &settings, Timestamp::now()).await?;
            snapshots.push(Snapshot { numbering: Numbering { year: i32::from(month.year()), number: n as i64 + 1, total: n as i64 + 1 }, dated: "2024 年 11 月 5 日".into(), corrects: None, content });
        }
        let gathered = t.elapsed().as_secs_f64() * 1000.0;
        let r = std::time::Instant::now();
        // Both cores: each thread renders every other district.
        let rendered: Vec<Result<Vec<u8>, gridline_report::ReportError>> = std::thread::scope(|scope| {
            let halves: Vec<_> = (0..2)
                .map(|k| {
                    let (snapshots, template, fonts) = (&snapshots, &template, &fonts);
                    scope.spawn(move || snapshots.iter().skip(k).step_by(2).map(|s| gridline_report::render_one(s, template, fonts, Format::Pdf)).collect::<Vec<_>>())
                })
                .collect();
            halves.into_iter().flat_map(|h| h.join().expect("a rendering thread panicked")).collect()
        });
        rendered.into_iter().collect::<Result<Vec<_>, _>>()?;
        render_times.push(r.elapsed().as_secs_f64() * 1000.0);
        gather_times.push(gathered);
        total_times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let ((gm, gl, gh), (rm, rl, rh), (tm, tl, th)) = (spread(gather_times), spread(render_times), spread(total_times));
    println!(
        "16 districts' 体检报告 of {period} as PDF ({} districts): together in median {tm:.0} ms (min {tl:.0}, max {th:.0}) — gathering the data {gm:.0} ms (min {gl:.0}, max {gh:.0}), rendering on 2 threads {rm:.0} ms (min {rl:.0}, max {rh:.0}) — over {repeat} runs",
        districts.len()
    );
    Ok(())
}
