//! Scores: 得分率 (points earned ÷ points possible) per point, clause, item, street and district;
//! a composite of the methods with the system's weights; rankings with movement.
//!
//! Field checks are pooled: a street's field-check rate is everything its checked points earned
//! over everything they could have earned, so a point with more applicable clauses weighs more,
//! as the published 得分率 of a test (e.g. 78 points, 328 clauses, 70.1 %) is computed.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::system::{Evidence, IndicatorSystem, Method, MethodWeights};
use crate::rates::Rates;
use crate::ranking::competition_ranks;

/// Points earned out of points possible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub earned: f64,
    pub possible: f64,
}

impl Tally {
    pub fn add(&mut self, earned: f64, possible: f64) {
        self.earned += earned;
        self.possible += possible;
    }

    /// 得分率 in percent; `None` when nothing could be earned.
    pub fn rate(&self) -> Option<f64> {
        (self.possible > 0.0).then(|| 100.0 * self.earned / self.possible)
    }

    /// Points lost.
    pub fn lost(&self) -> f64 {
        self.possible - self.earned
    }
}

/// A scored answer, as the roll-ups read it (not-applicable answers are not among them).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckResult {
    pub point: i64,
    /// The point's street.
    pub region: String,
    pub clause: String,
    pub earned: f64,
    pub possible: f64,
}

impl AsRef<CheckResult> for CheckResult {
    fn as_ref(&self) -> &CheckResult {
        self
    }
}

/// Sums results by a key: per point (`|c| c.point`), clause, street, district (a prefix of the
/// street), or item (through the system).
pub fn tally_by<T: AsRef<CheckResult>, K: Ord>(checks: &[T], key: impl Fn(&CheckResult) -> Option<K>) -> BTreeMap<K, Tally> {
    let mut out: BTreeMap<K, Tally> = BTreeMap::new();
    for check in checks.iter().map(AsRef::as_ref) {
        if let Some(k) = key(check) {
            out.entry(k).or_default().add(check.earned, check.possible);
        }
    }
    out
}

/// The item and category codes of each clause of `system`.
pub fn clause_parents(system: &IndicatorSystem) -> HashMap<&str, (&str, &str)> {
    system.clauses().map(|p| (p.clause.code.as_str(), (p.item.code.as_str(), p.category.code.as_str()))).collect()
}

/// A region's platform-data clauses scored on its rates: a clause whose figure has no data
/// (no case dispatched, no call-back) is left out.
pub fn platform_tally(system: &IndicatorSystem, rates: &Rates) -> Tally {
    let mut tally = Tally::default();
    for placed in system.clauses().filter(|p| p.clause.method == Method::PlatformData) {
        let clause = placed.clause;
        if let Some(value) = clause.metric.and_then(|m| m.of(rates)) {
            tally.add(clause.rule.earned(clause.points, Evidence::Value(value)), clause.points);
        }
    }
    tally
}

/// A region's questionnaire clauses scored on the mean value its respondents gave each (the
/// clause's linked questions, see `questionnaire`): a clause nobody gave a value is left out.
pub fn questionnaire_tally(system: &IndicatorSystem, values: &HashMap<String, f64>) -> Tally {
    let mut tally = Tally::default();
    for placed in system.clauses().filter(|p| p.clause.method == Method::Questionnaire) {
        let clause = placed.clause;
        if let Some(value) = values.get(&clause.code) {
            tally.add(clause.rule.earned(clause.points, Evidence::Value(*value)), clause.points);
        }
    }
    tally
}

/// A composite score and its parts, each 0–100.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Composite {
    /// Σ weight × rate over the methods with a rate, ÷ Σ of their weights.
    pub score: Option<f64>,
    pub field_check: Option<f64>,
    pub questionnaire: Option<f64>,
    pub material_review: Option<f64>,
    pub platform_data: Option<f64>,
}

impl Composite {
    pub fn of(weights: &MethodWeights, parts: &[(Method, Option<f64>)]) -> Composite {
        let get = |m: Method| parts.iter().find(|(method, _)| *method == m).and_then(|(_, r)| *r);
        let present: Vec<(f64, f64)> = Method::ALL.iter().filter_map(|m| get(*m).map(|r| (weights.of(*m), r))).filter(|(w, _)| *w > 0.0).collect();
        let weight: f64 = present.iter().map(|(w, _)| w).sum();
        Composite {
            score: (weight > 0.0).then(|| present.iter().map(|(w, r)| w * r).sum::<f64>() / weight),
            field_check: get(Method::FieldCheck),
            questionnaire: get(Method::Questionnaire),
            material_review: get(Method::MaterialReview),
            platform_data: get(Method::PlatformData),
        }
    }
}

/// A district's or street's row of the evaluation ranking.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RegionScore {
    pub code: String,
    pub name: String,
    /// 1 = best; equal scores share a rank. `None` when nothing was scored.
    pub rank: Option<u32>,
    /// The composite, 0–100.
    pub score: Option<f64>,
    /// Per-method 得分率, 0–100.
    pub field_check: Option<f64>,
    pub questionnaire: Option<f64>,
    pub material_review: Option<f64>,
    pub platform_data: Option<f64>,
    /// Field-check answers counted (not applicable ones left out) and points checked.
    pub answers: u64,
    pub points_checked: u64,
    pub previous_rank: Option<u32>,
    /// Places gained since the previous period (negative: lost).
    pub movement: Option<i64>,
    /// 样本不足: fewer points checked than the ranking's minimum; shown, not ranked, never on
    /// the interview list.
    pub insufficient_sample: bool,
}

impl RegionScore {
    pub fn new(code: String, name: String, composite: Composite, answers: u64, points_checked: u64) -> RegionScore {
        RegionScore {
            code,
            name,
            rank: None,
            score: composite.score,
            field_check: composite.field_check,
            questionnaire: composite.questionnaire,
            material_review: composite.material_review,
            platform_data: composite.platform_data,
            answers,
            points_checked,
            previous_rank: None,
            movement: None,
            insufficient_sample: false,
        }
    }
}

/// The score a row is ranked on: none when its sample is insufficient.
fn ranked_score(row: &RegionScore) -> Option<f64> {
    row.score.filter(|_| !row.insufficient_sample)
}

/// Ranks `rows` by their composite, with the movement against `previous` (the same regions
/// ranked in the period before). Rows with an insufficient sample are not ranked.
pub fn rank(mut rows: Vec<RegionScore>, previous: &[RegionScore]) -> Vec<RegionScore> {
    let mut before = previous.to_vec();
    let before_ranks = competition_ranks(&mut before, ranked_score, |r| &r.code);
    let before: HashMap<&str, u32> = before.iter().zip(before_ranks).filter_map(|(r, rank)| rank.map(|k| (r.code.as_str(), k))).collect();
    let ranks = competition_ranks(&mut rows, ranked_score, |r| &r.code);
    for (row, rank) in rows.iter_mut().zip(ranks) {
        row.rank = rank;
        row.previous_rank = before.get(row.code.as_str()).copied();
        row.movement = rank.zip(row.previous_rank).map(|(now, then)| i64::from(then) - i64::from(now));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollup::RateCounts;

    fn check(point: i64, region: &str, clause: &str, earned: f64, possible: f64) -> CheckResult {
        CheckResult { point, region: region.into(), clause: clause.into(), earned, possible }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn score_rates_per_point_clause_street_and_district_by_hand() {
        // Street A (东城 001): point 1 earns 3 of 4 and 2 of 2; point 2 earns 0 of 4.
        // Street B (东城 002): point 3 earns 4 of 4.   Street C (西城 001): point 4 earns 1 of 2.
        let checks = vec![
            check(1, "110101001000", "c1", 3.0, 4.0),
            check(1, "110101001000", "c2", 2.0, 2.0),
            check(2, "110101001000", "c1", 0.0, 4.0),
            check(3, "110101002000", "c1", 4.0, 4.0),
            check(4, "110102001000", "c2", 1.0, 2.0),
        ];
        let points = tally_by(&checks, |c| Some(c.point));
        assert!(close(points[&1].rate(), 500.0 / 6.0));
        assert!(close(points[&2].rate(), 0.0));
        let clauses = tally_by(&checks, |c| Some(c.clause.clone()));
        // c1: 7 of 12; c2: 3 of 4.
        assert!(close(clauses["c1"].rate(), 700.0 / 12.0));
        assert!(close(clauses["c2"].rate(), 75.0));
        let streets = tally_by(&checks, |c| Some(c.region.clone()));
        // Street A: 5 of 10 = 50 %.
        assert!(close(streets["110101001000"].rate(), 50.0));
        let districts = tally_by(&checks, |c| Some(c.region[..6].to_owned()));
        // 东城: 9 of 14; 西城: 1 of 2.
        assert!(close(districts["110101"].rate(), 900.0 / 14.0));
        assert!(close(districts["110102"].rate(), 50.0));
        assert_eq!(Tally::default().rate(), None);
    }

    #[test]
    fn items_roll_up_through_the_system() {
        let system = IndicatorSystem::builtin();
        let parents = clause_parents(&system);
        let placed = system.clauses().find(|p| p.clause.method == Method::FieldCheck).unwrap();
        let checks = vec![check(1, "110101001000", &placed.clause.code, 1.0, 2.0)];
        let items = tally_by(&checks, |c| parents.get(c.clause.as_str()).map(|(item, _)| item.to_string()));
        assert!(close(items[&placed.item.code].rate(), 50.0));
    }

    #[test]
    fn a_composite_weighs_the_methods_it_has() {
        let weights = MethodWeights { field_check: 60.0, questionnaire: 30.0, material_review: 0.0, platform_data: 10.0 };
        // Field 70, platform 90, no questionnaire: (60·70 + 10·90) / 70 = 72.857…
        let c = Composite::of(&weights, &[(Method::FieldCheck, Some(70.0)), (Method::PlatformData, Some(90.0))]);
        assert!(close(c.score, 5100.0 / 70.0));
        assert_eq!(c.questionnaire, None);
        // With a questionnaire at 80: (4200 + 2400 + 900) / 100 = 75.
        let c = Composite::of(&weights, &[(Method::FieldCheck, Some(70.0)), (Method::PlatformData, Some(90.0)), (Method::Questionnaire, Some(80.0))]);
        assert!(close(c.score, 75.0));
        // A material review weighing 0 does not count.
        assert!(close(Composite::of(&weights, &[(Method::MaterialReview, Some(10.0)), (Method::FieldCheck, Some(50.0))]).score, 50.0));
        assert_eq!(Composite::of(&weights, &[]).score, None);
    }

    #[test]
    fn platform_clauses_score_gridlines_own_rates() {
        let system = IndicatorSystem::builtin();
        // 10 dispatched, 8 responded; 10 called back, 9 resolved, 9 satisfied; 10 closed, 10 on time.
        let counts = RateCounts { dispatched: 10, responded: 8, called_back: 10, resolved: 9, satisfied: 9, closed: 10, closed_on_time: 10, ..RateCounts::default() };
        let rates = Rates::of(&counts, &crate::rates::RateConfig::default());
        let tally = platform_tally(&system, &rates);
        // By hand, from each platform clause of the built-in system.
        let mut expected = Tally::default();
        for p in system.clauses().filter(|p| p.clause.method == Method::PlatformData) {
            let value = match p.clause.metric.unwrap() {
                super::super::PlatformMetric::ResponseRate => 80.0,
                super::super::PlatformMetric::ResolutionRate | super::super::PlatformMetric::SatisfactionRate => 90.0,
                super::super::PlatformMetric::OnTimeClosureRate => 100.0,
            };
            expected.add(p.clause.rule.earned(p.clause.points, Evidence::Value(value)), p.clause.points);
        }
        assert!(close(tally.rate(), expected.rate().unwrap()));
        assert!(tally.possible > 0.0 && tally.earned < tally.possible);
        // No cases: no platform score.
        assert_eq!(platform_tally(&system, &Rates::of(&RateCounts::default(), &crate::rates::RateConfig::default())).rate(), None);
    }

    #[test]
    fn questionnaire_clauses_score_their_respondents_mean_by_hand() {
        let system = IndicatorSystem::builtin();
        // 5.1.1 (4 points, ratio of 100) at a mean of 80 → 3.2; 5.1.2 (2 points) at 50 → 1;
        // together 4.2 of 6 = 70 %.
        let values: HashMap<String, f64> = [("5.1.1".to_owned(), 80.0), ("5.1.2".to_owned(), 50.0)].into();
        let tally = questionnaire_tally(&system, &values);
        assert!((tally.earned - 4.2).abs() < 1e-9 && tally.possible == 6.0);
        assert!(close(tally.rate(), 70.0));
        // A clause without answers is left out: 5.1.1 alone, 3.2 of 4.
        let only: HashMap<String, f64> = [("5.1.1".to_owned(), 80.0)].into();
        assert!(close(questionnaire_tally(&system, &only).rate(), 80.0));
        assert_eq!(questionnaire_tally(&system, &HashMap::new()).rate(), None);
    }

    #[test]
    fn ranking_shares_ranks_and_shows_movement() {
        let row = |code: &str, score: Option<f64>| {
            RegionScore::new(code.into(), code.into(), Composite { score, ..Composite::default() }, 1, 1)
        };
        let now = vec![row("A", Some(80.0)), row("B", Some(90.0)), row("C", Some(80.0)), row("D", None), row("E", Some(70.0))];
        let before = vec![row("A", Some(95.0)), row("B", Some(60.0)), row("E", Some(85.0))];
        let ranked = rank(now, &before);
        let view: Vec<(&str, Option<u32>, Option<i64>)> = ranked.iter().map(|r| (r.code.as_str(), r.rank, r.movement)).collect();
        // Before: A 1, E 2, B 3.  Now: B 1 (+2), A 2 (-1), C 2 (new), E 4 (-2), D unranked.
        assert_eq!(view, vec![("B", Some(1), Some(2)), ("A", Some(2), Some(-1)), ("C", Some(2), None), ("E", Some(4), Some(-2)), ("D", None, None)]);
        // 样本不足: B's score stands but it is not ranked, and the others move up.
        let mut thin = vec![row("A", Some(80.0)), row("B", Some(90.0)), row("E", Some(70.0))];
        thin[1].insufficient_sample = true;
        let ranked = rank(thin, &[]);
        let view: Vec<(&str, Option<u32>)> = ranked.iter().map(|r| (r.code.as_str(), r.rank)).collect();
        assert_eq!(view, vec![("A", Some(1)), ("E", Some(2)), ("B", None)]);
    }
}
