//! What a document says: its kind, its numbering and the kind's data, frozen into a snapshot whose
//! SHA-256 is kept with the issued document so that anyone can check later that the figures are
//! the ones that were issued.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{ArticlePart, ReportError};

/// The kinds of document. A new kind is a variant here and in
/// [`Kind::ALL`], its data type in [`Content`] and its built-in template in `template.rs`; the
/// numbering, storage, API, list and renderers take it as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 简报: articles under section headings, numbered 第 N 期 per year and 总第 M 期.
    Bulletin,
    /// 通报 of a month's ranking by the three rates.
    Notice,
    /// 督办单: the one page sent to the unit that must act on a case.
    SupervisionOrder,
    /// 体检报告 of a district for a period, from the evaluation.
    HealthReport,
    /// The ledger's year-end report to the committee (向首都文明委书面报告).
    LedgerReport,
    /// 季点名: the quarter's worst back alleys named in a notice.
    AlleyRollcall,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Bulletin, Kind::Notice, Kind::SupervisionOrder, Kind::HealthReport, Kind::LedgerReport, Kind::AlleyRollcall];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bulletin => "bulletin",
            Kind::Notice => "notice",
            Kind::SupervisionOrder => "supervision_order",
            Kind::HealthReport => "health_report",
            Kind::LedgerReport => "ledger_report",
            Kind::AlleyRollcall => "alley_rollcall",
        }
    }

    /// The kinds' names as the API and the CLI take them: `bulletin, notice, …`.
    pub fn names() -> String {
        Kind::ALL.map(Kind::as_str).join(", ")
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The kind's name as officials write it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Bulletin => "简报",
            Kind::Notice => "通报",
            Kind::SupervisionOrder => "督办单",
            Kind::HealthReport => "体检报告",
            Kind::LedgerReport => "台账年度报告",
            Kind::AlleyRollcall => "背街小巷季点名通报",
        }
    }
}

/// A document's place in its series: 第 `number` 期 of `year`, 总第 `total` 期.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Numbering {
    pub year: i32,
    pub number: i64,
    pub total: i64,
}

/// One article of a 简报.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// The section it goes under, without brackets: 重要会议, 创新案例, 工作动态.
    pub section: String,
    pub title: String,
    /// Paragraphs separated by blank lines.
    pub body: String,
    /// The contributing office, printed in brackets under the article: 精神文明创建活动指导处.
    pub office: String,
}

/// The 简报's imprint and distribution, from configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Imprint {
    /// 责编
    pub editor: String,
    /// 核稿
    pub reviewer: String,
    /// 电话
    pub phone: String,
    /// 传真
    pub fax: String,
    /// 邮箱
    pub email: String,
    /// 报: the bodies it is reported to.
    pub report_to: String,
    /// 送: the bodies it is sent to.
    pub copy_to: String,
    /// 发: the bodies it is issued to.
    pub issue_to: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bulletin {
    /// 首都精神文明建设情况简报
    pub masthead: String,
    /// 首都精神文明办
    pub issuer: String,
    pub articles: Vec<Article>,
    pub imprint: Imprint,
}

/// One row of a ranking as the 通报 prints it (the figures already formatted as published).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoticeRow {
    pub rank: String,
    pub name: String,
    pub score: String,
    pub response_rate: String,
    pub resolution_rate: String,
    pub satisfaction_rate: String,
    /// ↑2, ↓1, 持平, 新上榜
    pub movement: String,
    /// The score as a number, for the chart.
    pub score_value: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub issuer: String,
    /// 2024 年 10 月
    pub period: String,
    /// 各区, 各街道（乡镇）, 各责任单位
    pub level: String,
    pub ranked: i64,
    pub unranked: i64,
    pub average_score: String,
    pub rows: Vec<NoticeRow>,
    /// The lowest, summoned for interview (约谈).
    pub interview: Vec<NoticeRow>,
    /// 点评
    pub comment: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SupervisionOrder {
    pub issuer: String,
    /// The unit the order is sent to.
    pub unit: String,
    pub case_id: i64,
    pub case_title: String,
    pub case_description: String,
    pub address: String,
    pub category: String,
    pub received_at: String,
    /// 一般督办, 重点督办, 挂牌督办
    pub level: String,
    pub deadline: String,
    pub note: String,
}

/// A score rate (得分率) of a category or item: the district's, the city's average and the best
/// district's, as printed, with the numbers for the chart (`None`: not scored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreLine {
    pub code: String,
    pub name: String,
    /// An item's category; empty on a category's line.
    pub category: String,
    pub score: String,
    pub city_average: String,
    pub best_district: String,
    /// The district against the city: +2.3, −1.5, —.
    pub gap: String,
    pub score_value: Option<f64>,
    pub city_value: Option<f64>,
    pub best_value: Option<f64>,
}

/// A clause that lost points in the district.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LostLine {
    pub code: String,
    pub text: String,
    pub lost: String,
    pub possible: String,
    pub score: String,
}

/// A point that failed in several rounds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RepeatLine {
    pub point: String,
    pub address: String,
    pub rounds: i64,
    /// The clauses it failed, by code: 1.2.1、2.3.4.
    pub clauses: String,
}

/// Hotline and grid cases of a problem the district lost points on (the 病因).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VolumeLine {
    pub category: String,
    pub hotline: i64,
    pub grid: i64,
    pub total: i64,
}

/// One month of the district's trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrendLine {
    /// 2024.10
    pub month: String,
    pub score: String,
    pub rank: String,
    pub city_average: String,
    pub score_value: Option<f64>,
    pub city_value: Option<f64>,
}

/// A failed clause whose case is not yet verified and closed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RectificationLine {
    pub point: String,
    pub clause: String,
    /// The case's number, #123, or — when none was filed.
    pub case: String,
    pub status: String,
}

/// 体检报告: a district's evaluation for a period, with its causes and its trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    pub issuer: String,
    pub district: String,
    /// 2024 年 10 月
    pub period: String,
    pub score: String,
    pub score_value: Option<f64>,
    /// 第 3 名, or 未排名.
    pub rank: String,
    /// ↑2, ↓1, 持平, —
    pub movement: String,
    pub city_average: String,
    /// 东城区（95.2）
    pub best_district: String,
    /// The opening paragraph, written from the figures.
    pub summary: String,
    pub categories: Vec<ScoreLine>,
    pub items: Vec<ScoreLine>,
    pub lost_most: Vec<LostLine>,
    pub repeat_failures: Vec<RepeatLine>,
    pub problem_volume: Vec<VolumeLine>,
    pub trend: Vec<TrendLine>,
    pub open_rectifications: Vec<RectificationLine>,
}

/// An example the office picked for the ledger's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerExample {
    pub unit: String,
    pub title: String,
    pub excerpt: String,
}

/// One class of the ledger in its year-end report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerClass {
    pub class: String,
    /// "市人大常委会等 8 家单位围绕制度建设立项 12 个"
    pub lead: String,
    pub units: i64,
    pub projects: i64,
    pub completed: i64,
    pub partly: i64,
    pub not_completed: i64,
    pub open: i64,
    /// 91.7%
    pub completion_rate: String,
    pub completion_value: f64,
    pub examples: Vec<LedgerExample>,
}

/// A count of the ratings given at closure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatingLine {
    pub rating: String,
    pub count: i64,
}

/// A unit proposed for commendation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommendedUnit {
    pub name: String,
    pub projects: i64,
    pub excellent: i64,
}

/// The ledger's year-end report (in the shape of 简报 2178: units and projects in total, each
/// class with its counts, outcomes and the examples the office picked, then the units to commend).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerReport {
    pub issuer: String,
    pub year: i64,
    /// "2020 年台账共有 58 个成员单位报送 114 个工作项目，分为…四大类。"
    pub headline: String,
    pub units: i64,
    pub projects: i64,
    pub completed: i64,
    pub partly: i64,
    pub not_completed: i64,
    pub open: i64,
    pub completion_rate: String,
    pub classes: Vec<LedgerClass>,
    pub ratings: Vec<RatingLine>,
    pub commended: Vec<CommendedUnit>,
}

/// An alley named in the quarter's notice, its figures as printed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RollcallRow {
    /// 1 is the worst.
    pub rank: i64,
    pub name: String,
    pub district: String,
    pub street: String,
    /// The mean of the quarter's monthly scores: 84.35.
    pub mean: String,
    pub mean_value: f64,
    /// Months of the quarter scored below the threshold: 2.
    pub low_months: i64,
    /// 是 while under listed supervision (挂牌督办), else 否.
    pub listed: String,
    /// 街巷长, or 未设.
    pub chief: String,
}

/// An alley under listed supervision (挂牌督办) when a 季点名 is issued, as printed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListedAlley {
    pub name: String,
    pub district: String,
    pub street: String,
    /// 2026 年 9 月 30 日
    pub listed_on: String,
    /// 限期整改 by: 2026 年 10 月 30 日, with （已逾期） when past and still listed.
    pub deadline: String,
    pub reason: String,
}

/// 季点名: the quarter's worst back alleys of the city or a district, named in a notice with the
/// quarter's figures and a deadline to put them right, and the list of alleys under listed
/// supervision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlleyRollcall {
    pub issuer: String,
    /// 2026 年第三季度
    pub quarter: String,
    /// The district named in the title, empty for the whole city.
    pub district: String,
    /// 全市, or the district's name.
    pub area: String,
    /// Alleys with at least one monthly score in the quarter.
    pub scored: i64,
    /// The mean of their quarter means: 93.1.
    pub mean_score: String,
    /// The threshold of a month's score: 90.
    pub threshold: String,
    /// Alleys with a month below the threshold.
    pub below: i64,
    /// Downgrades and listings (挂牌督办) the quarter's evaluations made.
    pub downgraded: i64,
    pub listed: i64,
    pub named: i64,
    pub rows: Vec<RollcallRow>,
    /// The alleys of the area under listed supervision (挂牌督办) on the day of issue, the
    /// longest listed first. (Absent from snapshots frozen before the list was printed.)
    #[serde(default)]
    pub listed_alleys: Vec<ListedAlley>,
    /// 限期整改: the date by which the named alleys are put right.
    pub deadline: String,
    /// The date the office re-checks them from.
    pub recheck: String,
    /// 抄送, from the office's distribution.
    pub copy_to: String,
}

/// The kind's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Content {
    Bulletin(Bulletin),
    Notice(Notice),
    SupervisionOrder(SupervisionOrder),
    HealthReport(HealthReport),
    LedgerReport(LedgerReport),
    AlleyRollcall(AlleyRollcall),
}

impl Content {
    pub fn kind(&self) -> Kind {
        match self {
            Content::Bulletin(_) => Kind::Bulletin,
            Content::Notice(_) => Kind::Notice,
            Content::SupervisionOrder(_) => Kind::SupervisionOrder,
            Content::HealthReport(_) => Kind::HealthReport,
            Content::LedgerReport(_) => Kind::LedgerReport,
            Content::AlleyRollcall(_) => Kind::AlleyRollcall,
        }
    }

    /// The document's title, as listed and searched.
    pub fn title(&self) -> String {
        match self {
            Content::Bulletin(b) => b.masthead.clone(),
            Content::Notice(n) => format!("关于{}{}三率排名情况的通报", n.period, n.level),
            Content::SupervisionOrder(o) => format!("督办单：{}", o.case_title),
            Content::HealthReport(h) => format!("{}{}创建测评体检报告", h.district, h.period),
            Content::LedgerReport(l) => format!("关于{} 年首都文明委重点工作项目台账完成情况的报告", l.year),
            Content::AlleyRollcall(r) => format!("关于{}{}背街小巷环境问题点名情况的通报", r.quarter, r.district),
        }
    }

    /// Refuses content that would print a broken document.
    pub fn check(&self) -> Result<(), ReportError> {
        let blank = |s: &str| s.trim().is_empty();
        match self {
            Content::Bulletin(b) => {
                if b.articles.is_empty() {
                    return Err(ReportError::invalid("articles", "a 简报 needs at least one article"));
                }
                for (i, a) in b.articles.iter().enumerate() {
                    let part = if blank(&a.title) {
                        ArticlePart::Title
                    } else if blank(&a.body) {
                        ArticlePart::Body
                    } else if blank(&a.section) {
                        ArticlePart::Section
                    } else {
                        continue;
                    };
                    return Err(ReportError::IncompleteArticle { number: i + 1, title: a.title.trim().to_owned(), part });
                }
                if blank(&b.masthead) || blank(&b.issuer) {
                    return Err(ReportError::invalid("masthead", "a 简报 needs its masthead and issuing office"));
                }
            }
            Content::Notice(n) => {
                if n.rows.is_empty() {
                    return Err(ReportError::NoData(format!("{}{}的三率排名", n.period, n.level)));
                }
            }
            Content::SupervisionOrder(o) => {
                if blank(&o.unit) {
                    return Err(ReportError::invalid("unit", format!("case {} has no unit to send the order to", o.case_id)));
                }
            }
            Content::HealthReport(h) => {
                if h.score_value.is_none() && h.categories.iter().all(|c| c.score_value.is_none()) {
                    return Err(ReportError::NoData(format!("{}{}的测评得分", h.district, h.period)));
                }
            }
            Content::LedgerReport(l) => {
                if l.projects == 0 {
                    return Err(ReportError::NoData(format!("{} 年台账的项目", l.year)));
                }
            }
            Content::AlleyRollcall(r) => {
                if r.rows.is_empty() {
                    return Err(ReportError::NoData(format!("{}{}背街小巷的月评得分", r.quarter, r.area)));
                }
            }
        }
        Ok(())
    }
}

/// A document that names an earlier one it corrects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub id: i64,
    pub title: String,
    /// How the corrected document is cited: 2024 年第 3 期.
    pub cited_as: String,
}

/// Everything a document prints, frozen at issue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub numbering: Numbering,
    /// The date printed on the document: 2024 年 3 月 7 日.
    pub dated: String,
    /// The earlier document this one corrects, if any.
    pub corrects: Option<Correction>,
    #[serde(flatten)]
    pub content: Content,
}

/// A snapshot's canonical bytes and their SHA-256, lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frozen {
    pub json: String,
    pub sha256: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Snapshot {
    /// Serialises the snapshot once; the bytes stored are the bytes hashed.
    pub fn freeze(&self) -> Frozen {
        let json = serde_json::to_string(self).expect("a snapshot is plain data");
        let sha256 = sha256_hex(json.as_bytes());
        Frozen { json, sha256 }
    }

    /// Reads a stored snapshot back, refusing bytes whose hash is not the one stored with them.
    pub fn thaw(json: &str, sha256: &str) -> Result<Snapshot, ReportError> {
        let actual = sha256_hex(json.as_bytes());
        if actual != sha256 {
            return Err(ReportError::HashMismatch { what: "snapshot".into(), expected: sha256.to_owned(), actual });
        }
        serde_json::from_str(json).map_err(|e| ReportError::invalid("snapshot", format!("unreadable snapshot: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Snapshot {
        Snapshot {
            numbering: Numbering { year: 2024, number: 3, total: 12 },
            dated: "2024 年 3 月 7 日".into(),
            corrects: None,
            content: Content::SupervisionOrder(SupervisionOrder {
                issuer: "首都精神文明办".into(),
                unit: "朝阳区城管委".into(),
                case_id: 7,
                case_title: "井盖缺失".into(),
                case_description: "路口井盖缺失".into(),
                address: "朝阳路 1 号".into(),
                category: "井盖".into(),
                received_at: "2024 年 3 月 1 日".into(),
                level: "挂牌督办".into(),
                deadline: "2024 年 3 月 10 日".into(),
                note: "限期整改".into(),
            }),
        }
    }

    #[test]
    fn a_frozen_snapshot_thaws_only_with_its_own_hash() {
        let frozen = order().freeze();
        assert_eq!(Snapshot::thaw(&frozen.json, &frozen.sha256).unwrap(), order());
        let tampered = frozen.json.replace("井盖缺失", "井盖丢失");
        let err = Snapshot::thaw(&tampered, &frozen.sha256).unwrap_err();
        assert!(matches!(err, ReportError::HashMismatch { .. }), "{err}");
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(order().freeze().json.contains("\"kind\":\"supervision_order\""), true);
    }
}
