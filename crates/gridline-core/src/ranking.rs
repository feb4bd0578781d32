//! Rankings (月排名): streets, districts or units ordered by the composite score of the three
//! rates, with the places gained since the previous period, the bottom of the list for the
//! interviews (约谈), and the figures of the month's notice (通报).

use std::collections::HashMap;

use serde::Serialize;

use crate::rates::{RateConfig, Rates};
use crate::rollup::RateCounts;

/// What is ranked: a street, a district or a unit, with its counters for the period.
#[derive(Clone, Debug)]
pub struct Contender {
    pub code: String,
    pub name: String,
    pub counts: RateCounts,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RankingRow {
    pub code: String,
    pub name: String,
    /// 1 = best; equal scores share a rank (1, 2, 2, 4). `None` when nothing was measured or
    /// the sample is too small (`insufficient`).
    pub rank: Option<u32>,
    pub score: Option<f64>,
    pub response_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    /// Places gained since the previous period (negative: lost); `None` when it was not ranked then.
    pub movement: Option<i64>,
    pub previous_rank: Option<u32>,
    pub dispatched: i64,
    pub called_back: i64,
    /// 样本不足: fewer dispatches or call-backs than the minimum in the period; shown with its
    /// rates, but not ranked and never on the interview list.
    pub insufficient: bool,
}

/// The fewest dispatches and call-backs (each) a contender needs in a period to be ranked, unless
/// configured otherwise: below it one or two cases would decide a rank (a street with one
/// satisfied call-back scores 100 and ties at the top with every other such street).
pub const DEFAULT_MIN_CASES: i64 = 5;

impl Contender {
    /// Whether the period's sample is too small to rank: fewer than `min_cases` dispatches (the
    /// response rate's base) or call-backs (the resolution and satisfaction rates' base).
    pub fn insufficient(&self, min_cases: i64) -> bool {
        self.counts.dispatched.min(self.counts.called_back) < min_cases
    }
}

/// Scores closer than this are equal: rates come from integer counts, so real differences are
/// far larger.
const SCORE_EPSILON: f64 = 1e-9;

/// Sorts `rows` best first, those without a score last, equal ones by code, and gives each its
/// competition rank: equal scores share one (1, 2, 2, 4); a row without a score has none. Every
/// ranking (the rates', the evaluation's) is ordered by this one function.
pub fn competition_ranks<T>(rows: &mut [T], score: impl Fn(&T) -> Option<f64>, code: impl Fn(&T) -> &str) -> Vec<Option<u32>> {
    rows.sort_by(|a, b| match (score(a), score(b)) {
        (Some(x), Some(y)) if (x - y).abs() > SCORE_EPSILON => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        _ => code(a).cmp(code(b)),
    });
    let mut ranks = Vec::with_capacity(rows.len());
    let mut last: Option<(f64, u32)> = None;
    for (i, row) in rows.iter().enumerate() {
        let rank = score(row).map(|score| match last {
            Some((prev, rank)) if (prev - score).abs() <= SCORE_EPSILON => rank,
            _ => i as u32 + 1,
        });
        if let (Some(score), Some(rank)) = (score(row), rank) {
            last = Some((score, rank));
        }
        ranks.push(rank);
    }
    ranks
}

/// Ranks by score, best first; rows without a score or with too small a sample follow, by code.
fn ranked(contenders: &[Contender], config: &RateConfig, min_cases: i64) -> Vec<(Contender, Rates, Option<u32>)> {
    let mut rows: Vec<(Contender, Rates)> = contenders.iter().map(|c| (c.clone(), Rates::of(&c.counts, config))).collect();
    let ranks = competition_ranks(&mut rows, |(c, r)| r.score.filter(|_| !c.insufficient(min_cases)), |(c, _)| &c.code);
    rows.into_iter().zip(ranks).map(|((contender, rates), rank)| (contender, rates, rank)).collect()
}

/// The ranking of `current`, with movement against `previous` (the same kind of contenders in
/// the period before); a contender with fewer than `min_cases` dispatches or call-backs is shown
/// but not ranked (样本不足), in either period.
pub fn rank(current: &[Contender], previous: &[Contender], config: &RateConfig, min_cases: i64) -> Vec<RankingRow> {
    let before: HashMap<String, u32> =
        ranked(previous, config, min_cases).into_iter().filter_map(|(c, _, rank)| rank.map(|r| (c.code, r))).collect();
    ranked(current, config, min_cases)
        .into_iter()
        .map(|(c, rates, rank)| {
            let insufficient = c.insufficient(min_cases);
            let previous_rank = before.get(&c.code).copied();
            RankingRow {
                movement: rank.zip(previous_rank).map(|(now, then)| i64::from(then) - i64::from(now)),
                previous_rank,
                rank,
                score: rates.score,
                response_rate: rates.response_rate,
                resolution_rate: rates.resolution_rate,
                satisfaction_rate: rates.satisfaction_rate,
                dispatched: c.counts.dispatched,
                called_back: c.counts.called_back,
                insufficient,
                code: c.code,
                name: c.name,
            }
        })
        .collect()
}

/// The bottom `n` ranked rows, worst last as in the ranking: the interview list (约谈名单).
pub fn bottom(rows: &[RankingRow], n: usize) -> Vec<RankingRow> {
    let ranked: Vec<&RankingRow> = rows.iter().filter(|r| r.rank.is_some()).collect();
    ranked[ranked.len().saturating_sub(n)..].iter().map(|r| (*r).clone()).collect()
}

/// The figures of a period's notice (通报).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Notice {
    pub ranked: usize,
    /// Shown without a rank: nothing measured, or 样本不足.
    pub unranked: usize,
    /// The average score of the ranked.
    pub average_score: Option<f64>,
    pub top: Vec<RankingRow>,
    /// The bottom of the list: the interview list.
    pub interview: Vec<RankingRow>,
    /// The biggest climb and the biggest fall since the previous period.
    pub most_improved: Option<RankingRow>,
    pub most_declined: Option<RankingRow>,
}

pub fn notice(rows: &[RankingRow], n: usize) -> Notice {
    let scores: Vec<f64> = rows.iter().filter(|r| r.rank.is_some()).filter_map(|r| r.score).collect();
    let moved = || rows.iter().filter(|r| r.movement.is_some_and(|m| m != 0));
    Notice {
        ranked: scores.len(),
        unranked: rows.len() - scores.len(),
        average_score: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
        top: rows.iter().filter(|r| r.rank.is_some()).take(n).cloned().collect(),
        interview: bottom(rows, n),
        most_improved: moved().filter(|r| r.movement > Some(0)).max_by_key(|r| r.movement).cloned(),
        most_declined: moved().filter(|r| r.movement < Some(0)).min_by_key(|r| r.movement).cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A contender whose response, resolution and satisfaction are `r`, `s`, `t` out of 10.
    fn c(code: &str, r: i64, s: i64, t: i64) -> Contender {
        Contender {
            code: code.into(),
            name: format!("{code}街道"),
            counts: RateCounts { dispatched: 10, responded: r, called_back: 10, resolved: s, satisfied: t, ..RateCounts::default() },
        }
    }

    #[test]
    fn ranks_by_score_with_shared_ranks_and_movement() {
        // Scores: A 0.1·100+0.45·90+0.45·90 = 91; B 0.1·50+0.45·100+0.45·100 = 95;
        // C = 91 (ties with A); D 0.1·100 + 0 + 0 = 10; E has no data.
        let now = vec![c("A", 10, 9, 9), c("B", 5, 10, 10), c("C", 10, 9, 9), c("D", 10, 0, 0), Contender {
            code: "E".into(),
            name: "E".into(),
            counts: RateCounts::default(),
        }];
        // Last month: D first, A second, B third; C not ranked.
        let before = vec![c("D", 10, 10, 10), c("A", 10, 9, 9), c("B", 0, 5, 5)];
        let rows = rank(&now, &before, &RateConfig::default(), 0);
        let view: Vec<(&str, Option<u32>, Option<i64>)> = rows.iter().map(|r| (r.code.as_str(), r.rank, r.movement)).collect();
        assert_eq!(
            view,
            vec![("B", Some(1), Some(2)), ("A", Some(2), Some(0)), ("C", Some(2), None), ("D", Some(4), Some(-3)), ("E", None, None)]
        );
        assert!((rows[0].score.unwrap() - 95.0).abs() < 1e-9);
        assert!((rows[1].score.unwrap() - 91.0).abs() < 1e-9);
    }

    #[test]
    fn the_bottom_and_the_notice() {
        let now = vec![c("A", 10, 10, 10), c("B", 10, 8, 8), c("C", 10, 6, 6), c("D", 10, 4, 4)];
        let before = vec![c("A", 10, 1, 1), c("B", 10, 8, 8), c("C", 10, 9, 9), c("D", 10, 10, 10)];
        let rows = rank(&now, &before, &RateConfig::default(), 0);
        let bottom2: Vec<String> = bottom(&rows, 2).into_iter().map(|r| r.code).collect();
        assert_eq!(bottom2, vec!["C", "D"]);
        assert_eq!(bottom(&rows, 10).len(), 4);
        let notice = notice(&rows, 1);
        assert_eq!((notice.ranked, notice.unranked), (4, 0));
        // Scores 100, 82, 64, 46 → average 73.
        assert!((notice.average_score.unwrap() - 73.0).abs() < 1e-9);
        assert_eq!(notice.top[0].code, "A");
        assert_eq!(notice.interview[0].code, "D");
        assert_eq!(notice.most_improved.unwrap().code, "A"); // 4th → 1st
        assert_eq!(notice.most_declined.unwrap().code, "D"); // 1st → 4th
    }

    /// A contender with `n` dispatches and call-backs, every one responded, resolved, satisfied.
    fn perfect(code: &str, n: i64) -> Contender {
        Contender {
            code: code.into(),
            name: format!("{code}街道"),
            counts: RateCounts { dispatched: n, responded: n, called_back: n, resolved: n, satisfied: n, ..RateCounts::default() },
        }
    }

    #[test]
    fn too_small_a_sample_is_shown_but_neither_ranked_nor_interviewed() {
        // One perfect call-back used to rank first, tied with every other such street; now only
        // the streets with enough cases are ranked, and the interview list names none of the rest.
        let now = vec![perfect("A", 1), perfect("B", 2), c("C", 10, 9, 9), c("D", 10, 4, 4), perfect("E", 12)];
        let rows = rank(&now, &[], &RateConfig::default(), DEFAULT_MIN_CASES);
        let view: Vec<(&str, Option<u32>, bool)> = rows.iter().map(|r| (r.code.as_str(), r.rank, r.insufficient)).collect();
        assert_eq!(view, vec![("E", Some(1), false), ("C", Some(2), false), ("D", Some(3), false), ("A", None, true), ("B", None, true)]);
        assert_eq!(rows[3].score, Some(100.0), "its rates are still shown");
        let notice = notice(&rows, 3);
        assert_eq!((notice.ranked, notice.unranked), (3, 2));
        assert_eq!(notice.interview.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), vec!["E", "C", "D"]);
        assert!(bottom(&rows, 1)[0].code == "D");
        // Equal scores share a rank, and the next rank skips (1, 1, 3).
        let tied = rank(&[perfect("X", 6), perfect("Y", 9), c("Z", 10, 9, 9)], &[], &RateConfig::default(), DEFAULT_MIN_CASES);
        assert_eq!(tied.iter().map(|r| r.rank).collect::<Vec<_>>(), vec![Some(1), Some(1), Some(3)]);
    }

    #[test]
    fn an_empty_ranking_is_empty() {
        let rows = rank(&[], &[], &RateConfig::default(), DEFAULT_MIN_CASES);
        assert!(rows.is_empty());
        let notice = notice(&rows, 3);
        assert_eq!((notice.ranked, notice.average_score), (0, None));
        assert!(notice.interview.is_empty());
    }
}
