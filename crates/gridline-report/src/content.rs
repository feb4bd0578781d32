//! What a document says: its kind, its numbering and the kind's data, frozen into a snapshot whose
//! SHA-256 is kept with the issued document so that anyone can check later that the figures are
//! the ones that were issued.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ReportError;

/// The kinds of document. A new kind (体检报告, the ledger's report, the alleys' 季点名) is a
/// variant here, its data type in [`Content`] and its built-in template in `template.rs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 简报: articles under section headings, numbered 第 N 期 per year and 总第 M 期.
    Bulletin,
    /// 通报 of a month's ranking by the three rates.
    Notice,
    /// 督办单: the one page sent to the unit that must act on a case.
    SupervisionOrder,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Bulletin, Kind::Notice, Kind::SupervisionOrder];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bulletin => "bulletin",
            Kind::Notice => "notice",
            Kind::SupervisionOrder => "supervision_order",
        }
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

/// The kind's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Content {
    Bulletin(Bulletin),
    Notice(Notice),
    SupervisionOrder(SupervisionOrder),
}

impl Content {
    pub fn kind(&self) -> Kind {
        match self {
            Content::Bulletin(_) => Kind::Bulletin,
            Content::Notice(_) => Kind::Notice,
            Content::SupervisionOrder(_) => Kind::SupervisionOrder,
        }
    }

    /// The document's title, as listed and searched.
    pub fn title(&self) -> String {
        match self {
            Content::Bulletin(b) => b.masthead.clone(),
            Content::Notice(n) => format!("关于{}{}三率排名情况的通报", n.period, n.level),
            Content::SupervisionOrder(o) => format!("督办单：{}", o.case_title),
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
                    if blank(&a.title) {
                        return Err(ReportError::invalid("articles", format!("article {} has an empty title", i + 1)));
                    }
                    if blank(&a.body) {
                        return Err(ReportError::invalid("articles", format!("article {} ({}) has an empty body", i + 1, a.title.trim())));
                    }
                    if blank(&a.section) {
                        return Err(ReportError::invalid("articles", format!("article {} ({}) has no section heading", i + 1, a.title.trim())));
                    }
                }
                if blank(&b.masthead) || blank(&b.issuer) {
                    return Err(ReportError::invalid("masthead", "a 简报 needs its masthead and issuing office"));
                }
            }
            Content::Notice(n) => {
                if n.rows.is_empty() {
                    return Err(ReportError::NoData(format!("{}{}: nothing was ranked", n.period, n.level)));
                }
            }
            Content::SupervisionOrder(o) => {
                if blank(&o.unit) {
                    return Err(ReportError::invalid("unit", format!("case {} has no unit to send the order to", o.case_id)));
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
