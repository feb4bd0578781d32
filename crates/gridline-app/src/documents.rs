//! Documents officials read (简报, 通报, 督办单, 体检报告, the ledger's year-end report, the alleys'
//! 季点名 notice): the data
//! of each kind gathered from the store and frozen into a snapshot, previewed (with the snapshot's
//! hash, which issuing can be asked to match), issued (numbered and stored with both files and
//! the hashes, in one transaction), listed and downloaded with the stored hash checked.

use std::sync::OnceLock;

use gridline_core::actor::{Actor, Role};
use gridline_core::period::Period;
use gridline_core::ranking::{Contender, DEFAULT_MIN_CASES, RankingRow, notice, rank};
use gridline_core::rates::RateConfig;
use gridline_core::supervision::TargetKind;
use gridline_core::Reason;
use gridline_report::{
    AlleyRollcall, Article, ArticlePart, Bulletin, CommendedUnit, Content, Correction, Fonts, Format, HealthReport, Imprint, Kind, LedgerClass, LedgerExample, LedgerReport, ListedAlley,
    LostLine, Notice, NoticeRow, Numbering, RatingLine, RectificationLine, RepeatLine, ReportError, RollcallRow, ScoreLine, Snapshot, SupervisionOrder, Template,
    TrendLine, VolumeLine, sha256_hex,
};
use gridline_store::{Composed, DocumentFilter, IssuedDocument, NewDocument, RateLevel, Store};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::{App, AppError};

/// The office's settings for its documents: names, the 简报's imprint and distribution, and where
/// its paper series stood. Defaults are the 首都精神文明办's, as printed on its 简报.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DocumentSettings {
    pub issuer: String,
    pub bulletin_masthead: String,
    pub imprint: Imprint,
    /// 总第 M 期 of the first 简报 issued here.
    pub bulletin_first_total: i64,
}

/// The environment variable naming a TOML file of [`DocumentSettings`].
pub const SETTINGS_ENV: &str = "GRIDLINE_DOCUMENT_SETTINGS";

impl DocumentSettings {
    /// The settings in the file `GRIDLINE_DOCUMENT_SETTINGS` names, else the defaults.
    pub fn from_env() -> Result<DocumentSettings, AppError> {
        match std::env::var_os(SETTINGS_ENV) {
            None => Ok(DocumentSettings::default()),
            Some(path) => DocumentSettings::read(std::path::Path::new(&path)),
        }
    }

    /// The settings in a TOML file.
    pub fn read(path: &std::path::Path) -> Result<DocumentSettings, AppError> {
        let text = std::fs::read_to_string(path).map_err(|e| AppError::Internal(format!("document settings {}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| AppError::Internal(format!("document settings {}: {e}", path.display())))
    }
}

impl Default for DocumentSettings {
    fn default() -> Self {
        DocumentSettings {
            issuer: "首都精神文明办".into(),
            bulletin_masthead: "首都精神文明建设情况简报".into(),
            imprint: Imprint {
                editor: "梅雪峰".into(),
                reviewer: "吕俊超".into(),
                phone: "55569506".into(),
                fax: "55569505".into(),
                email: "jswmzhxtc@163.com".into(),
                report_to: "中央文明办，首都文明委主任、副主任，市委、市人大、市政府、市政协".into(),
                copy_to: "首都文明委委员，市委、市政府各部委办局，各总公司、高等院校，市级群众团体".into(),
                issue_to: "各区委书记、区长、宣传部长，各区文明办，有关新闻单位".into(),
            },
            bulletin_first_total: 1,
        }
    }
}

/// What to make a document of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DocumentRequest {
    /// A 简报 of the articles given.
    Bulletin { articles: Vec<ArticleInput> },
    /// The 通报 of a month's ranking.
    Notice {
        /// YYYY-MM
        period: String,
        /// district, street or unit
        level: String,
        /// How many of the lowest go on the interview list (default 3).
        #[serde(default)]
        bottom: Option<usize>,
        /// The office's own 点评; without it the 点评 is written from the figures.
        #[serde(default)]
        comment: Option<String>,
    },
    /// The 督办单 of a supervision order raised on a case.
    SupervisionOrder { order: i64 },
    /// The 体检报告 of a district for a period.
    HealthReport {
        /// The district's code (12 digits).
        region: String,
        /// YYYY-MM, or YYYY-MM..YYYY-MM
        period: String,
    },
    /// The ledger's year-end report.
    LedgerReport { year: i32 },
    /// The alleys' 季点名 notice: a quarter's worst back alleys, named.
    AlleyRollcall {
        /// YYYY-Qn, a quarter that is over: 2026-Q3.
        quarter: String,
        /// A district's code (12 digits); without it the whole city.
        #[serde(default)]
        region: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    /// The section heading without brackets: 重要会议, 创新案例.
    pub section: String,
    pub title: String,
    /// Paragraphs separated by blank lines.
    pub body: String,
    /// The contributing office.
    pub office: String,
}

impl DocumentRequest {
    pub fn kind(&self) -> Kind {
        match self {
            DocumentRequest::Bulletin { .. } => Kind::Bulletin,
            DocumentRequest::Notice { .. } => Kind::Notice,
            DocumentRequest::SupervisionOrder { .. } => Kind::SupervisionOrder,
            DocumentRequest::HealthReport { .. } => Kind::HealthReport,
            DocumentRequest::LedgerReport { .. } => Kind::LedgerReport,
            DocumentRequest::AlleyRollcall { .. } => Kind::AlleyRollcall,
        }
    }
}

/// How a document is issued (or previewed) beyond its data.
#[derive(Clone, Debug, Default)]
pub struct IssueOptions {
    /// An issued document of the same kind that this one corrects.
    pub corrects: Option<i64>,
    /// The office's own template (else the kind's built-in one).
    pub template: Option<Template>,
    /// The snapshot's SHA-256 the issuer previewed: issuing refuses a snapshot that differs (the
    /// data or the number changed since), and nothing is issued.
    pub expect_sha256: Option<String>,
}

/// A template given as JSON (the built-in templates' shape), or a refusal saying why it does not read.
pub fn parse_template(json: &str) -> Result<Template, AppError> {
    serde_json::from_str(json).map_err(|e| AppError::invalid("template", format!("not a document template: {e}")))
}

/// A preview: one format, and the hash of the snapshot it shows.
#[derive(Clone, Debug)]
pub struct Preview {
    pub bytes: Vec<u8>,
    pub snapshot_sha256: String,
}

/// A refusal with its code and parameters, told in the reader's language at the edge.
fn refused(reason: Reason) -> AppError {
    AppError::Domain(gridline_core::DomainError::Refused(reason))
}

impl From<ReportError> for AppError {
    fn from(err: ReportError) -> Self {
        match err {
            ReportError::Invalid { field, message } => AppError::invalid(field, message),
            ReportError::IncompleteArticle { number, title, part } => {
                let code = match part {
                    ArticlePart::Title => "article_untitled",
                    ArticlePart::Body => "article_empty",
                    ArticlePart::Section => "article_no_section",
                };
                refused(Reason::new(code).on("articles").with("number", number).with("title", title))
            }
            ReportError::UnknownField { field, .. } => refused(Reason::new("template_unknown_field").on("template").with("name", field)),
            ReportError::NoData(what) => refused(Reason::new("nothing_to_report").with("what", what)),
            ReportError::HashMismatch { .. } => AppError::Integrity(err.to_string()),
            ReportError::Font(_) | ReportError::Render(_) => AppError::Internal(err.to_string()),
        }
    }
}

/// The fonts, read once per process.
fn fonts() -> Result<&'static Fonts, AppError> {
    static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
    FONTS.get_or_init(|| Fonts::system().map_err(|e| e.to_string())).as_ref().map_err(|e| AppError::Internal(e.clone()))
}

fn shanghai(at: Timestamp) -> jiff::civil::Date {
    at.to_zoned(TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC)).date()
}

/// 2024 年 3 月 7 日
fn chinese_date(date: jiff::civil::Date) -> String {
    format!("{} 年 {} 月 {} 日", date.year(), date.month(), date.day())
}

fn level_of(text: &str) -> Result<(RateLevel, &'static str), AppError> {
    match text {
        "district" => Ok((RateLevel::District, "各区")),
        "street" => Ok((RateLevel::Street, "各街道（乡镇）")),
        "unit" => Ok((RateLevel::Unit, "各责任单位")),
        _ => Err(AppError::invalid("level", format!("unknown level {text:?}: district, street or unit"))),
    }
}

fn movement(places: Option<i64>) -> String {
    match places {
        Some(m) if m > 0 => format!("↑{m}"),
        Some(m) if m < 0 => format!("↓{}", -m),
        Some(_) => "持平".into(),
        None => "新上榜".into(),
    }
}

fn notice_row(row: &RankingRow) -> NoticeRow {
    let pct = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}%"));
    NoticeRow {
        rank: row.rank.map_or_else(|| "—".to_owned(), |r| r.to_string()),
        name: row.name.clone(),
        score: row.score.map_or_else(|| "—".to_owned(), |s| format!("{s:.1}")),
        response_rate: pct(row.response_rate),
        resolution_rate: pct(row.resolution_rate),
        satisfaction_rate: pct(row.satisfaction_rate),
        movement: movement(row.movement),
        score_value: row.score.unwrap_or(0.0),
    }
}

/// The environment variable giving the fewest dispatches and call-backs a region or unit needs
/// in a period to be ranked (default [`DEFAULT_MIN_CASES`]); below it, 样本不足.
pub const MIN_CASES_ENV: &str = "GRIDLINE_RANKING_MIN_CASES";

/// The minimum sample of the rankings in force: [`MIN_CASES_ENV`], else [`DEFAULT_MIN_CASES`].
pub fn ranking_min_cases() -> Result<i64, AppError> {
    match std::env::var(MIN_CASES_ENV) {
        Err(_) => Ok(DEFAULT_MIN_CASES),
        Ok(text) => text
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=100_000).contains(n))
            .ok_or_else(|| AppError::Internal(format!("{MIN_CASES_ENV} is a whole number from 0 to 100000, not {text:?}"))),
    }
}

/// The ranking of a period by the three rates (inside the regions whose codes start with
/// `region_prefix`, if given), with the movement against the period before: the figures of
/// `gridline rank` and of the 通报. Contenders with fewer than `min_cases` dispatches or
/// call-backs are listed unranked (样本不足).
pub async fn ranking(
    store: &Store,
    regions: &gridline_core::region::RegionTree,
    period: Period,
    level: RateLevel,
    region_prefix: Option<&str>,
    min_cases: i64,
) -> Result<Vec<RankingRow>, AppError> {
    let units: std::collections::HashMap<String, String> = store.people().units().await?.into_iter().map(|u| (u.code.into_string(), u.name)).collect();
    let contenders = |counts: std::collections::BTreeMap<String, gridline_core::rollup::RateCounts>| -> Vec<Contender> {
        counts
            .into_iter()
            .map(|(code, counts)| {
                let name = match level {
                    RateLevel::Unit => units.get(&code).cloned(),
                    RateLevel::District => regions.get(&format!("{code}000000")).map(|r| r.name.clone()),
                    RateLevel::Street => regions.get(&code).map(|r| r.name.clone()),
                };
                Contender { name: name.unwrap_or_else(|| code.clone()), code, counts }
            })
            .collect()
    };
    let now = contenders(store.rollups().rate_counts(period, level, region_prefix).await?);
    let before = contenders(store.rollups().rate_counts(period.previous(), level, region_prefix).await?);
    Ok(rank(&now, &before, &RateConfig::default(), min_cases))
}

/// The 点评 written from the figures.
fn comment_of(level: &str, n: &gridline_core::ranking::Notice) -> String {
    let mut text = format!("本期{level}平均得分 {:.1}。", n.average_score.unwrap_or(0.0));
    if let Some(up) = &n.most_improved {
        text.push_str(&format!("{}较上期上升 {} 位，进步最大。", up.name, up.movement.unwrap_or(0)));
    }
    if let Some(down) = &n.most_declined {
        text.push_str(&format!("{}较上期下降 {} 位，应认真查找原因。", down.name, -down.movement.unwrap_or(0)));
    }
    if !n.interview.is_empty() {
        let names: Vec<&str> = n.interview.iter().map(|r| r.name.as_str()).collect();
        text.push_str(&format!("{}得分靠后，列入约谈名单，请于下月 10 日前报送整改措施。", names.join("、")));
    }
    text
}

fn may_issue(actor: &Actor) -> Result<(), AppError> {
    if matches!(actor.role, Role::Supervisor | Role::Admin) {
        Ok(())
    } else {
        Err(AppError::forbidden("only the 文明办's supervisors and administrators issue documents"))
    }
}

/// The format asked for a download or preview.
pub fn parse_format(text: &str) -> Result<Format, AppError> {
    Format::parse(text).ok_or_else(|| AppError::invalid("format", format!("unknown format {text:?}: docx or pdf")))
}

impl App {
    /// Gathers the data of a document from the store, as of `now`.
    pub async fn document_content(&self, request: &DocumentRequest, settings: &DocumentSettings, now: Timestamp) -> Result<Content, AppError> {
        Ok(match request {
            DocumentRequest::Bulletin { articles } => Content::Bulletin(Bulletin {
                masthead: settings.bulletin_masthead.clone(),
                issuer: settings.issuer.clone(),
                articles: articles
                    .iter()
                    .map(|a| Article { section: a.section.clone(), title: a.title.clone(), body: a.body.clone(), office: a.office.clone() })
                    .collect(),
                imprint: settings.imprint.clone(),
            }),
            DocumentRequest::Notice { period, level, bottom, comment } => {
                let parsed = Period::parse(period)?;
                let (rate_level, level_name) = level_of(level)?;
                let bottom = bottom.unwrap_or(3);
                if !(1..=50).contains(&bottom) {
                    return Err(AppError::invalid("bottom", "bottom is 1–50"));
                }
                let rows = ranking(&self.store, &self.regions, parsed, rate_level, None, ranking_min_cases()?).await?;
                let figures = notice(&rows, bottom);
                Content::Notice(Notice {
                    issuer: settings.issuer.clone(),
                    period: period_name(parsed),
                    level: level_name.into(),
                    ranked: figures.ranked as i64,
                    unranked: figures.unranked as i64,
                    average_score: figures.average_score.map_or_else(|| "—".to_owned(), |s| format!("{s:.1}")),
                    rows: rows.iter().filter(|r| r.rank.is_some()).map(notice_row).collect(),
                    interview: figures.interview.iter().map(notice_row).collect(),
                    comment: comment.clone().filter(|c| !c.trim().is_empty()).unwrap_or_else(|| comment_of(level_name, &figures)),
                })
            }
            DocumentRequest::SupervisionOrder { order } => {
                let order = self.store.supervision().order(*order).await?.ok_or_else(|| AppError::NotFound(format!("no supervision order {order}")))?;
                if order.target_kind != TargetKind::Case {
                    return Err(AppError::invalid("order", format!("order {} is raised on a {}; a 督办单 is made for an order on a case", order.id, order.target_kind.as_str())));
                }
                let case_id: gridline_core::ids::CaseId =
                    order.target.parse().map_err(|_| AppError::Internal(format!("order {} names case {:?}", order.id, order.target)))?;
                let case = self.store.cases().get(case_id).await?.ok_or_else(|| AppError::NotFound(format!("no case {case_id}")))?;
                let reference = self.reference();
                let category = case.category.as_deref().and_then(|c| reference.catalogue.get(c)).map_or_else(|| "未分类".to_owned(), |e| e.name.clone());
                let unit = case.unit.as_deref().map(|code| self.unit(code).map_or_else(|| code.to_owned(), |u| u.name)).unwrap_or_default();
                let level = match order.level {
                    gridline_core::case::SupervisionLevel::General => "一般督办",
                    gridline_core::case::SupervisionLevel::Key => "重点督办",
                    gridline_core::case::SupervisionLevel::Urgent => "紧急督办",
                };
                Content::SupervisionOrder(SupervisionOrder {
                    issuer: settings.issuer.clone(),
                    unit,
                    case_id: case_id.get(),
                    case_title: case.intake.title.clone(),
                    case_description: case.intake.description.clone(),
                    address: case.intake.address.clone().unwrap_or_else(|| "未填写".into()),
                    category,
                    received_at: chinese_date(shanghai(case.received_at)),
                    level: level.into(),
                    deadline: chinese_date(shanghai(order.deadline)),
                    note: if order.note.trim().is_empty() { "请按期办结。".into() } else { order.note.clone() },
                })
            }
            DocumentRequest::HealthReport { region, period } => {
                let parsed = Period::parse(period)?;
                Content::HealthReport(health_content(settings, &self.health_report(region, parsed).await?, period_name(parsed)))
            }
            DocumentRequest::LedgerReport { year } => Content::LedgerReport(ledger_content(settings, &self.ledger_report_of(*year).await?)),
            DocumentRequest::AlleyRollcall { quarter, region } => {
                Content::AlleyRollcall(rollcall_content(settings, &self.alley_rollcall(quarter, region.as_deref(), now).await?, shanghai(now)))
            }
        })
    }

    /// The snapshot a document would be issued with now, numbered as the next of its series
    /// (unless someone issues first), and the template it fills; checked, nothing stored.
    async fn draft(&self, request: &DocumentRequest, settings: &DocumentSettings, options: &IssueOptions, now: Timestamp) -> Result<(Snapshot, Template), AppError> {
        let content = self.document_content(request, settings, now).await?;
        let kind = content.kind();
        let template = options.template.clone().unwrap_or_else(|| Template::builtin(kind));
        let correction = match options.corrects {
            None => None,
            Some(id) => {
                let earlier = self.store.documents().get(id).await?.ok_or_else(|| AppError::NotFound(format!("no issued document {id} to correct")))?;
                if earlier.kind != kind.as_str() {
                    return Err(AppError::invalid("corrects", format!("document {id} is a {}, not a {}", earlier.kind, kind.label())));
                }
                Some(Correction { id, title: earlier.title.clone(), cited_as: format!("{} 年第 {} 期", earlier.year, earlier.number) })
            }
        };
        let date = shanghai(now);
        let next = self.store.documents().next_number(kind.as_str(), i64::from(date.year()), first_total(kind, settings)).await?;
        let snapshot = Snapshot {
            numbering: Numbering { year: i32::from(date.year()), number: next.number, total: next.total },
            dated: chinese_date(date),
            corrects: correction,
            content,
        };
        // Refused before a number is taken: an empty title, a template naming a missing field.
        gridline_report::check(&snapshot, &template)?;
        Ok((snapshot, template))
    }

    /// The document as it would be issued now, in one format, with its snapshot's hash (which
    /// issuing can be asked to match); nothing is stored.
    pub async fn preview_document(
        &self,
        actor: &Actor,
        request: &DocumentRequest,
        settings: &DocumentSettings,
        options: &IssueOptions,
        format: Format,
        now: Timestamp,
    ) -> Result<Preview, AppError> {
        may_issue(actor)?;
        let (snapshot, template) = self.draft(request, settings, options, now).await?;
        let bytes = gridline_report::render_one(&snapshot, &template, fonts()?, format)?;
        Ok(Preview { bytes, snapshot_sha256: snapshot.freeze().sha256 })
    }

    /// Issues a document: gathers and checks its data, takes its number, renders both formats and
    /// stores them with the snapshot and the hashes, all or nothing. A snapshot whose hash is not
    /// the one the issuer previewed (`options.expect_sha256`) is refused and nothing is issued.
    pub async fn issue_document(
        &self,
        actor: &Actor,
        request: &DocumentRequest,
        settings: &DocumentSettings,
        options: &IssueOptions,
        now: Timestamp,
    ) -> Result<IssuedDocument, AppError> {
        may_issue(actor)?;
        let (draft, template) = self.draft(request, settings, options, now).await?;
        let kind = draft.content.kind();
        let fonts = fonts()?;
        let new = NewDocument {
            kind: kind.as_str().into(),
            year: i64::from(draft.numbering.year),
            first_total: first_total(kind, settings),
            corrects: options.corrects,
            issued_by: actor.user_id,
            issued_at: now,
        };
        let template_json = serde_json::to_string(&template).map_err(|e| AppError::Internal(e.to_string()))?;
        self.store
            .documents()
            .issue(&new, |n| {
                let snapshot = Snapshot { numbering: Numbering { year: n.year as i32, number: n.number, total: n.total }, ..draft };
                let frozen = snapshot.freeze();
                if let Some(expected) = options.expect_sha256.as_deref().filter(|e| *e != frozen.sha256) {
                    return Err(refused(Reason::new("snapshot_changed").with("actual", &frozen.sha256).with("expected", expected)));
                }
                let rendered = gridline_report::render(&snapshot, &template, fonts)?;
                Ok::<_, AppError>(Composed {
                    title: rendered.title,
                    template: template_json,
                    snapshot: frozen.json,
                    snapshot_sha256: frozen.sha256,
                    docx_sha256: sha256_hex(&rendered.docx),
                    docx: rendered.docx,
                    pdf_sha256: sha256_hex(&rendered.pdf),
                    pdf: rendered.pdf,
                })
            })
            .await
    }

    pub async fn issued_documents(&self, filter: &DocumentFilter) -> Result<Vec<IssuedDocument>, AppError> {
        Ok(self.store.documents().list(filter).await?)
    }

    pub async fn issued_document(&self, id: i64) -> Result<IssuedDocument, AppError> {
        self.store.documents().get(id).await?.ok_or_else(|| AppError::NotFound(format!("no issued document {id}")))
    }

    /// An issued document's file, checked against the hash stored when it was issued; the
    /// snapshot is checked against its hash too.
    pub async fn document_file(&self, id: i64, format: Format) -> Result<(IssuedDocument, Vec<u8>), AppError> {
        let doc = self.issued_document(id).await?;
        Snapshot::thaw(&doc.snapshot, &doc.snapshot_sha256)?;
        let bytes = self.store.documents().file(id, format == Format::Pdf).await?.ok_or_else(|| AppError::NotFound(format!("no issued document {id}")))?;
        let expected = if format == Format::Pdf { &doc.pdf_sha256 } else { &doc.docx_sha256 };
        let actual = sha256_hex(&bytes);
        if &actual != expected {
            return Err(ReportError::HashMismatch { what: format!("{} of document {id}", format.extension()), expected: expected.clone(), actual }.into());
        }
        Ok((doc, bytes))
    }
}

fn first_total(kind: Kind, settings: &DocumentSettings) -> i64 {
    match kind {
        Kind::Bulletin => settings.bulletin_first_total,
        Kind::Notice | Kind::SupervisionOrder | Kind::HealthReport | Kind::LedgerReport | Kind::AlleyRollcall => 1,
    }
}

/// 2024 年 10 月, or 2024 年 7 月至 2024 年 9 月.
fn period_name(period: Period) -> String {
    if period.first == period.last {
        format!("{} 年 {} 月", period.first.year(), period.first.number())
    } else {
        format!("{} 年 {} 月至 {} 年 {} 月", period.first.year(), period.first.number(), period.last.year(), period.last.number())
    }
}

/// A score rate as printed: one decimal, or — when nothing was scored.
fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}"))
}

/// The district against the city: +2.3, −1.5, 持平.
fn gap(score: Option<f64>, city: Option<f64>) -> String {
    match score.zip(city).map(|(s, c)| ((s - c) * 10.0).round() / 10.0) {
        None => "—".into(),
        Some(d) if d > 0.0 => format!("+{d:.1}"),
        Some(d) if d < 0.0 => format!("−{:.1}", -d),
        Some(_) => "持平".into(),
    }
}

fn rectification_status(status: Option<gridline_core::case::CaseStatus>) -> &'static str {
    use gridline_core::evaluation::Rectification;
    match status.map(Rectification::of) {
        None | Some(Rectification::Open) => "整改中",
        Some(Rectification::Fixed) => "已整改待核查",
        Some(Rectification::Verified) => "已核查销号",
        Some(Rectification::Dropped) => "未立案",
    }
}

/// The 体检报告's content from the evaluation's health report: every figure as printed, and the
/// opening paragraph written from them.
fn health_content(settings: &DocumentSettings, report: &crate::evaluation::HealthReport, period: String) -> HealthReport {
    let line = |l: &crate::evaluation::ReportLine, category: String| ScoreLine {
        code: l.code.clone(),
        name: l.name.clone(),
        category,
        score: rate(l.score),
        city_average: rate(l.city_average),
        best_district: rate(l.best_district),
        gap: gap(l.score, l.city_average),
        score_value: l.score,
        city_value: l.city_average,
        best_value: l.best_district,
    };
    let category_names: std::collections::HashMap<&str, &str> = report.categories.iter().map(|c| (c.code.as_str(), c.name.as_str())).collect();
    let rank = report.score.rank.map_or_else(|| "未排名".to_owned(), |r| format!("第 {r} 名"));
    let best = report.best_district.as_ref().map_or_else(|| "—".to_owned(), |b| format!("{}（{}）", b.name, rate(b.score)));
    let lost_most: Vec<LostLine> = report
        .lost_most
        .iter()
        .map(|l| LostLine { code: l.code.clone(), text: l.text.clone(), lost: format!("{:.1}", l.lost), possible: format!("{:.1}", l.possible), score: rate(l.score) })
        .collect();
    let mut summary = match report.score.score {
        Some(score) => format!(
            "{period}，{}创建测评综合得分 {score:.1}，{}（较上期{}），全市各区平均 {}，得分最高的是{}。",
            report.name,
            report.score.rank.map_or_else(|| "未参加排名".to_owned(), |r| format!("在全市各区中列第 {r} 名")),
            movement(report.score.movement),
            rate(report.city_average),
            best
        ),
        None => format!("{period}，{}没有综合得分（没有实地考察结果和平台数据）。", report.name),
    };
    if let Some(worst) = report.categories.iter().filter(|c| c.score.is_some()).min_by(|a, b| {
        let d = |l: &crate::evaluation::ReportLine| l.score.unwrap_or(0.0) - l.city_average.unwrap_or(0.0);
        d(a).total_cmp(&d(b))
    }) {
        summary.push_str(&format!("各类别中“{}”得分率 {}，与全市平均相比{}。", worst.name, rate(worst.score), gap(worst.score, worst.city_average)));
    }
    if let Some(first) = lost_most.first() {
        summary.push_str(&format!("失分最多的测评内容是“{}”（失 {} 分）。", first.text, first.lost));
    }
    summary.push_str(&format!(
        "近六个月有 {} 个点位两轮以上不达标，尚有 {} 项整改未完成。",
        report.repeat_failures.len(),
        report.open_rectifications.len()
    ));
    HealthReport {
        issuer: settings.issuer.clone(),
        district: report.name.clone(),
        period,
        score: rate(report.score.score),
        score_value: report.score.score,
        rank,
        movement: movement(report.score.movement),
        city_average: rate(report.city_average),
        best_district: best,
        summary,
        categories: report.categories.iter().map(|c| line(c, String::new())).collect(),
        items: report
            .items
            .iter()
            .map(|i| line(i, i.category.as_deref().and_then(|c| category_names.get(c)).map_or_else(String::new, |n| (*n).to_owned())))
            .collect(),
        lost_most,
        repeat_failures: report
            .repeat_failures
            .iter()
            .map(|r| RepeatLine {
                point: r.point.name.clone(),
                address: r.point.address.clone().unwrap_or_else(|| "—".into()),
                rounds: r.rounds_failed as i64,
                clauses: r.clauses.join("、"),
            })
            .collect(),
        problem_volume: report
            .problem_volume
            .iter()
            .map(|v| VolumeLine {
                category: v.category_name.clone().unwrap_or_else(|| v.category.clone()),
                hotline: v.hotline,
                grid: v.grid,
                total: v.hotline + v.grid,
            })
            .filter(|v| v.total > 0)
            .collect(),
        trend: report
            .trend
            .iter()
            .map(|t| TrendLine {
                month: format!("{}.{:02}", t.month.year(), t.month.number()),
                score: rate(t.score),
                rank: t.rank.map_or_else(|| "—".to_owned(), |r| r.to_string()),
                city_average: rate(t.city_average),
                score_value: t.score,
                city_value: t.city_average,
            })
            .collect(),
        open_rectifications: report
            .open_rectifications
            .iter()
            .map(|o| RectificationLine {
                point: o.point_name.clone(),
                clause: o.check.answer.clause.clone(),
                case: o.check.case_id.map_or_else(|| "—".to_owned(), |c| format!("#{c}")),
                status: rectification_status(o.case_status).into(),
            })
            .collect(),
    }
}

/// 2026 年第三季度
fn quarter_name(quarter: Period) -> String {
    let n = ["一", "二", "三", "四"][usize::try_from((quarter.first.number() - 1) / 3).unwrap_or(0).min(3)];
    format!("{} 年第{n}季度", quarter.first.year())
}

/// The 季点名 notice's content from the quarter's figures, dated `today`: the named alleys put
/// right within the listing's days, re-checked the day after.
fn rollcall_content(settings: &DocumentSettings, r: &crate::alleys::QuarterRollcall, today: jiff::civil::Date) -> AlleyRollcall {
    let deadline = today.checked_add(jiff::Span::new().days(r.listing_days)).unwrap_or(today);
    let recheck = deadline.tomorrow().unwrap_or(deadline);
    AlleyRollcall {
        issuer: settings.issuer.clone(),
        quarter: quarter_name(r.quarter),
        district: r.region.as_ref().map_or_else(String::new, |(_, name)| name.clone()),
        area: r.area.clone(),
        scored: r.scored as i64,
        mean_score: format!("{:.1}", r.mean),
        threshold: format!("{}", r.threshold),
        below: r.below as i64,
        downgraded: r.downgraded as i64,
        listed: r.listed as i64,
        named: r.named.len() as i64,
        rows: r
            .named
            .iter()
            .enumerate()
            .map(|(i, n)| RollcallRow {
                rank: i as i64 + 1,
                name: n.alley.name.clone(),
                district: n.district.clone(),
                street: n.street_name.clone(),
                mean: format!("{:.2}", n.alley.mean),
                mean_value: n.alley.mean,
                low_months: i64::from(n.alley.low_months),
                listed: if n.listed { "是" } else { "否" }.into(),
                chief: n.chief.clone().unwrap_or_else(|| "未设".into()),
            })
            .collect(),
        listed_alleys: r
            .listed_now
            .iter()
            .map(|l| ListedAlley {
                name: l.listing.name.clone(),
                district: l.district.clone(),
                street: l.street_name.clone(),
                listed_on: chinese_date(shanghai(l.listing.listed_at)),
                deadline: format!("{}{}", chinese_date(shanghai(l.listing.deadline)), if shanghai(l.listing.deadline) < today { "（已逾期）" } else { "" }),
                reason: l.listing.reason.clone(),
            })
            .collect(),
        deadline: chinese_date(deadline),
        recheck: chinese_date(recheck),
        copy_to: settings.imprint.copy_to.clone(),
    }
}

/// The ledger report's content from the ledger's year-end data, every figure as printed.
fn ledger_content(settings: &DocumentSettings, report: &crate::ledger::LedgerReport) -> LedgerReport {
    let percent = |r: f64| format!("{:.1}%", r * 100.0);
    LedgerReport {
        issuer: settings.issuer.clone(),
        year: i64::from(report.year),
        headline: report.headline.replace(',', "，"),
        units: report.units as i64,
        projects: report.projects as i64,
        completed: report.outcomes.completed as i64,
        partly: report.outcomes.partly as i64,
        not_completed: report.outcomes.not_completed as i64,
        open: report.outcomes.open as i64,
        completion_rate: percent(report.outcomes.completion_rate),
        classes: report
            .classes
            .iter()
            .map(|c| LedgerClass {
                class: c.class.clone(),
                lead: c.lead.clone(),
                units: c.units as i64,
                projects: c.projects as i64,
                completed: c.outcomes.completed as i64,
                partly: c.outcomes.partly as i64,
                not_completed: c.outcomes.not_completed as i64,
                open: c.outcomes.open as i64,
                completion_rate: percent(c.outcomes.completion_rate),
                completion_value: (c.outcomes.completion_rate * 1000.0).round() / 10.0,
                examples: c.examples.iter().map(|e| LedgerExample { unit: e.unit_name.clone(), title: e.title.clone(), excerpt: e.excerpt.clone() }).collect(),
            })
            .collect(),
        ratings: report.ratings.iter().map(|r| RatingLine { rating: r.rating.label().into(), count: r.count as i64 }).collect(),
        commended: report.commended.iter().map(|c| CommendedUnit { name: c.name.clone(), projects: c.projects as i64, excellent: c.excellent as i64 }).collect(),
    }
}
