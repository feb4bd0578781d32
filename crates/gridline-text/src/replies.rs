//! Reply quality: how well a government reply answers a citizen's message, scored 0–1 on four
//! counts so that supervisors can find boilerplate answers (docs/text.md has the rules):
//!
//! - **relevance**: cosine similarity of the message's and the reply's TF-IDF word vectors
//!   (IDF over all messages and replies scored together), divided by 0.3 and capped at 1 —
//!   a reply that takes up the message's own words scores high;
//! - **completeness**: the share of the parts a full reply has (addressing the citizen,
//!   acknowledging the message, what was investigated, what was done or will be done, and a
//!   way to follow up or a closing), with a penalty for replies under 80 characters;
//! - **interpretability**: the reasons given: cited documents (《…》), rules (根据/依据/按照 …
//!   规定/条), and concrete facts (dates, figures), capped at 1;
//! - **timeliness**: 1 within 15 days of the message, falling linearly to 0 at 60 days.

use std::collections::HashMap;

use serde::Serialize;

use crate::features::normalise;
use crate::segment::Segmenter;

#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    pub id: String,
    pub message: String,
    pub reply: String,
    /// Seconds since the epoch; either may be unknown.
    pub asked: Option<i64>,
    pub answered: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplyScore {
    pub id: String,
    pub relevance: f32,
    pub completeness: f32,
    pub interpretability: f32,
    /// `None` when a time is missing.
    pub timeliness: Option<f32>,
    pub days: Option<f32>,
}

const ADDRESS: &[&str] = &["您好", "你好", "网友", "市民", "同志", "先生", "女士"];
const ACKNOWLEDGE: &[&str] = &["收悉", "已收到", "收到", "来信", "留言"];
const INVESTIGATED: &[&str] = &["经查", "经调查", "调查", "核实", "核查", "了解", "现场", "据查", "经核"];
const ACTED: &[&str] = &["已经", "已", "整改", "处理", "落实", "安排", "将", "完成", "解决", "责令", "督促"];
const FOLLOW_UP: &[&str] = &["电话", "咨询", "联系", "感谢", "谢谢", "特此回复", "理解", "支持"];
const REASONS: &[&str] = &["根据", "依据", "按照", "规定", "条例", "办法", "政策", "文件", "标准", "第"];

fn has_any(text: &str, cues: &[&str]) -> bool {
    cues.iter().any(|c| text.contains(c))
}

pub fn completeness(reply: &str) -> f32 {
    let parts = [ADDRESS, ACKNOWLEDGE, INVESTIGATED, ACTED, FOLLOW_UP];
    let present = parts.iter().filter(|cues| has_any(reply, cues)).count() as f32 / parts.len() as f32;
    let length = reply.chars().filter(|c| !c.is_whitespace()).count();
    if length < 80 { present * length as f32 / 80.0 } else { present }
}

pub fn interpretability(reply: &str) -> f32 {
    let documents = reply.matches('《').count().min(2) as f32 * 0.3;
    let rules = REASONS.iter().filter(|c| reply.contains(*c)).count().min(3) as f32 * 0.1;
    let figures = reply.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty()).count().min(6) as f32 * 0.05;
    (documents + rules + figures).min(1.0)
}

pub fn timeliness(days: f32) -> f32 {
    if days <= 15.0 { 1.0 } else { ((60.0 - days) / 45.0).max(0.0) }
}

/// Scores every exchange; relevance uses IDF over all of them.
pub fn score_all(exchanges: &[Exchange], segmenter: &Segmenter) -> Vec<ReplyScore> {
    let mut vocabulary: HashMap<String, u32> = HashMap::new();
    let mut bag = |text: &str| -> Vec<(u32, f32)> {
        let text = normalise(text);
        let mut ids: Vec<u32> = segmenter
            .words(&text)
            .into_iter()
            .filter(|w| w.chars().count() >= 2)
            .map(|w| {
                let next = vocabulary.len() as u32;
                *vocabulary.entry(w.to_owned()).or_insert(next)
            })
            .collect();
        ids.sort_unstable();
        let mut out: Vec<(u32, f32)> = Vec::new();
        for id in ids {
            match out.last_mut() {
                Some((last, n)) if *last == id => *n += 1.0,
                _ => out.push((id, 1.0)),
            }
        }
        out
    };
    let bags: Vec<_> = exchanges.iter().map(|e| (bag(&e.message), bag(&e.reply))).collect();
    let mut df = vec![0u32; vocabulary.len()];
    for (m, r) in &bags {
        m.iter().chain(r).for_each(|&(i, _)| df[i as usize] += 1);
    }
    let n = 2.0 * bags.len() as f32;
    let idf: Vec<f32> = df.iter().map(|&d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0).collect();
    let weigh = |b: &[(u32, f32)]| -> HashMap<u32, f32> {
        let v: Vec<(u32, f32)> = b.iter().map(|&(i, tf)| (i, (1.0 + tf.ln()) * idf[i as usize])).collect();
        let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
        v.into_iter().map(|(i, x)| (i, x / norm)).collect()
    };
    exchanges
        .iter()
        .zip(&bags)
        .map(|(e, (m, r))| {
            let (mv, rv) = (weigh(m), weigh(r));
            let cosine: f32 = mv.iter().filter_map(|(i, x)| rv.get(i).map(|y| x * y)).sum();
            let days = e.asked.zip(e.answered).map(|(a, b)| (b - a) as f32 / 86_400.0);
            ReplyScore {
                id: e.id.clone(),
                relevance: (cosine / 0.3).min(1.0),
                completeness: completeness(&e.reply),
                interpretability: interpretability(&e.reply),
                timeliness: days.map(timeliness),
                days,
            }
        })
        .collect()
}

/// How well scores agree with 0/1 labels: the area under the ROC curve (the chance that a
/// labelled-good reply outscores a labelled-poor one), and accuracy and Cohen's kappa at a
/// threshold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Agreement {
    pub pairs: usize,
    pub auc: f64,
    pub threshold: f32,
    pub accuracy: f64,
    pub kappa: f64,
}

pub fn agreement(scores: &[f32], labels: &[bool], threshold: f32) -> Agreement {
    let positives: Vec<f32> = scores.iter().zip(labels).filter(|(_, l)| **l).map(|(s, _)| *s).collect();
    let negatives: Vec<f32> = scores.iter().zip(labels).filter(|(_, l)| !**l).map(|(s, _)| *s).collect();
    let mut wins = 0.0;
    for p in &positives {
        for q in &negatives {
            wins += if p > q { 1.0 } else if p == q { 0.5 } else { 0.0 };
        }
    }
    let auc = if positives.is_empty() || negatives.is_empty() { f64::NAN } else { wins / (positives.len() * negatives.len()) as f64 };
    let n = scores.len() as f64;
    let predicted: Vec<bool> = scores.iter().map(|s| *s >= threshold).collect();
    let agree = predicted.iter().zip(labels).filter(|(p, l)| p == l).count() as f64;
    let p_yes = predicted.iter().filter(|p| **p).count() as f64 / n;
    let l_yes = labels.iter().filter(|l| **l).count() as f64 / n;
    let chance = p_yes * l_yes + (1.0 - p_yes) * (1.0 - l_yes);
    let accuracy = agree / n;
    let kappa = if (1.0 - chance).abs() < 1e-12 { 0.0 } else { (accuracy - chance) / (1.0 - chance) };
    Agreement { pairs: scores.len(), auc, threshold, accuracy, kappa }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_reply_outscores_boilerplate_on_every_count() {
        let seg = Segmenter::new(&[]);
        let message = "A3区洋湖街道潇楚南路一直没修好，坑洼积水，出行困难";
        let full = "网友您好！您的留言已收悉。经调查核实，潇楚南路道路工程因管线迁改延误，根据《A市城市道路管理办法》第十二条，\
                    施工单位已于2019年5月3日恢复施工，预计8月底完工通车，坑洼积水路段已安排临时修补。如有疑问请拨打咨询电话0000-0000。感谢您的支持。";
        let boilerplate = "您的留言已收悉，我们会转交相关部门处理。";
        let day = 86_400;
        let ex = |reply: &str, days: i64| Exchange { id: "1".into(), message: message.into(), reply: reply.into(), asked: Some(0), answered: Some(days * day) };
        let scores = score_all(&[ex(full, 10), ex(boilerplate, 50)], &seg);
        let (good, poor) = (&scores[0], &scores[1]);
        assert!(good.relevance > poor.relevance, "{good:?} {poor:?}");
        assert!(good.completeness > poor.completeness + 0.3, "{good:?} {poor:?}");
        assert!(good.interpretability >= 0.7 && poor.interpretability < 0.2, "{good:?} {poor:?}");
        assert_eq!(good.timeliness, Some(1.0));
        assert!((poor.timeliness.unwrap() - 10.0 / 45.0).abs() < 1e-6);
    }

    #[test]
    fn unknown_times_give_no_timeliness_and_late_replies_zero() {
        assert_eq!(timeliness(90.0), 0.0);
        let seg = Segmenter::new(&[]);
        let s = score_all(&[Exchange { id: "x".into(), message: "路灯坏了".into(), reply: "".into(), asked: None, answered: Some(1) }], &seg);
        assert_eq!(s[0].timeliness, None);
        assert_eq!((s[0].completeness, s[0].relevance), (0.0, 0.0));
    }

    #[test]
    fn agreement_is_perfect_for_a_perfect_score_and_chance_for_a_constant() {
        let labels = [true, true, false, false];
        let a = agreement(&[0.9, 0.8, 0.1, 0.2], &labels, 0.5);
        assert_eq!((a.auc, a.accuracy, a.kappa), (1.0, 1.0, 1.0));
        let c = agreement(&[0.5; 4], &labels, 0.5);
        assert_eq!((c.auc, c.kappa), (0.5, 0.0));
    }
}
