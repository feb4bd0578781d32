//! Documents officials read (简报, 通报, 督办单): the data of each kind gathered from the store and
//! frozen into a snapshot, previewed, issued (numbered and stored with both files and the
//! hashes, in one transaction), listed and downloaded with the stored hash checked.

use std::sync::OnceLock;

use gridline_core::actor::{Actor, Role};
use gridline_core::period::Period;
use gridline_core::ranking::{Contender, DEFAULT_MIN_CASES, RankingRow, notice, rank};
use gridline_core::rates::RateConfig;
use gridline_core::supervision::TargetKind;
use gridline_report::{
    Article, Bulletin, Content, Correction, Fonts, Format, Imprint, Kind, Notice, NoticeRow, Numbering, ReportError, Snapshot, SupervisionOrder,
    Template, sha256_hex,
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
        }
    }
}

impl From<ReportError> for AppError {
    fn from(err: ReportError) -> Self {
        match err {
            ReportError::Invalid { field, message } => AppError::invalid(field, message),
            ReportError::UnknownField { .. } => AppError::invalid("template", err.to_string()),
            ReportError::NoData(_) => AppError::NotFound(err.to_string()),
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

fn movement(row: &RankingRow) -> String {
    match row.movement {
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
        movement: movement(row),
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
    /// Gathers the data of a document from the store.
    pub async fn document_content(&self, request: &DocumentRequest, settings: &DocumentSettings) -> Result<Content, AppError> {
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
                let period_name = if parsed.first == parsed.last {
                    format!("{} 年 {} 月", parsed.first.year(), parsed.first.number())
                } else {
                    format!("{} 年 {} 月至 {} 年 {} 月", parsed.first.year(), parsed.first.number(), parsed.last.year(), parsed.last.number())
                };
                Content::Notice(Notice {
                    issuer: settings.issuer.clone(),
                    period: period_name,
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
        })
    }

    /// The document as it would be issued now (numbered as the next of its series, unless
    /// someone issues first), in one format; nothing is stored.
    pub async fn preview_document(&self, actor: &Actor, request: &DocumentRequest, settings: &DocumentSettings, format: Format, now: Timestamp) -> Result<Vec<u8>, AppError> {
        may_issue(actor)?;
        let content = self.document_content(request, settings).await?;
        let date = shanghai(now);
        let kind = content.kind();
        let next = self.store.documents().next_number(kind.as_str(), i64::from(date.year()), first_total(kind, settings)).await?;
        let snapshot = Snapshot {
            numbering: Numbering { year: i32::from(date.year()), number: next.number, total: next.total },
            dated: chinese_date(date),
            corrects: None,
            content,
        };
        Ok(gridline_report::render_one(&snapshot, &Template::builtin(kind), fonts()?, format)?)
    }

    /// Issues a document: gathers and checks its data, takes its number, renders both formats and
    /// stores them with the snapshot and the hashes, all or nothing. `corrects` names an issued
    /// document of the same kind that this one corrects.
    pub async fn issue_document(
        &self,
        actor: &Actor,
        request: &DocumentRequest,
        settings: &DocumentSettings,
        corrects: Option<i64>,
        now: Timestamp,
    ) -> Result<IssuedDocument, AppError> {
        may_issue(actor)?;
        let content = self.document_content(request, settings).await?;
        let kind = content.kind();
        let template = Template::builtin(kind);
        let correction = match corrects {
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
        let draft = Snapshot { numbering: Numbering { year: i32::from(date.year()), number: 0, total: 0 }, dated: chinese_date(date), corrects: correction, content };
        // Refused before a number is taken: an empty title, a template naming a missing field.
        gridline_report::check(&draft, &template)?;
        let fonts = fonts()?;
        let new = NewDocument {
            kind: kind.as_str().into(),
            year: i64::from(date.year()),
            first_total: first_total(kind, settings),
            corrects,
            issued_by: actor.user_id,
            issued_at: now,
        };
        let template_json = serde_json::to_string(&template).map_err(|e| AppError::Internal(e.to_string()))?;
        self.store
            .documents()
            .issue(&new, |n| {
                let snapshot = Snapshot { numbering: Numbering { year: n.year as i32, number: n.number, total: n.total }, ..draft };
                let frozen = snapshot.freeze();
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
        Kind::Notice | Kind::SupervisionOrder => 1,
    }
}
