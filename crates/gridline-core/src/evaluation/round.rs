//! Rounds of field checks (实地考察): a round draws points per district or street and type by
//! stratified random sampling reproducible from its stored seed, assigns them to evaluators with
//! a deadline, and collects an answer per applicable clause and point.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::point::{PointType, district_of};
use super::system::{Clause, Evidence, Method};
use crate::campaign::region_prefix;
use crate::attachment::MAX_FILES_PER_UPLOAD;
use crate::case::{CaseId, CaseStatus, GeoPoint};
use crate::error::DomainError;
use crate::period::Month;

/// The region a round's strata are drawn in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SamplingLevel {
    District,
    Street,
}

/// How many points of each type to draw in each district or street (the strata).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SamplingPlan {
    pub level: SamplingLevel,
    /// Points per stratum, by point type.
    pub per_type: BTreeMap<PointType, u32>,
    /// The districts or streets sampled (codes, or prefixes of codes); empty: the whole city.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// What sampling needs of a point.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub id: i64,
    pub point_type: PointType,
    /// Its street.
    pub region: String,
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a small generator whose output is fixed by its
/// definition, so that a stored seed draws the same points in every version of gridline.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), without modulo bias.
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// FNV-1a of a stratum's key: each stratum's draw depends only on the seed and its own points.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Draws the round's points: in every stratum (district or street × point type of the plan) up
/// to the planned number, uniformly without replacement. The same seed and candidates give the
/// same points in the same order, whatever order the candidates come in.
pub fn draw(candidates: &[Candidate], plan: &SamplingPlan, seed: u64) -> Vec<i64> {
    let mut strata: BTreeMap<(String, PointType), Vec<i64>> = BTreeMap::new();
    for c in candidates {
        let Some(&wanted) = plan.per_type.get(&c.point_type) else { continue };
        if wanted == 0 || !(plan.regions.is_empty() || plan.regions.iter().any(|r| c.region.starts_with(region_prefix(r)))) {
            continue;
        }
        let region = match plan.level {
            SamplingLevel::District => district_of(&c.region),
            SamplingLevel::Street => c.region.clone(),
        };
        strata.entry((region, c.point_type)).or_default().push(c.id);
    }
    let mut drawn = Vec::new();
    for ((region, point_type), mut ids) in strata {
        ids.sort_unstable();
        let mut rng = SplitMix64(seed ^ fnv1a(&format!("{region}/{}", point_type.as_str())));
        let n = (plan.per_type[&point_type] as usize).min(ids.len());
        // The first n steps of a Fisher–Yates shuffle.
        for i in 0..n {
            let j = i + rng.below((ids.len() - i) as u64) as usize;
            ids.swap(i, j);
        }
        drawn.extend_from_slice(&ids[..n]);
    }
    drawn
}

/// A round as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = EvaluationRound)]
pub struct Round {
    pub id: i64,
    /// The indicator-system revision its answers are scored under.
    pub system_id: i64,
    pub name: String,
    /// The first day of the check (Beijing time); the round counts in this day's month.
    #[schema(value_type = String, format = Date)]
    pub starts: Date,
    pub deadline: Timestamp,
    /// The seed the points were drawn with: redrawing with it gives the same points.
    #[schema(value_type = String)]
    #[serde(with = "seed_text")]
    pub seed: u64,
    pub plan: SamplingPlan,
    pub created_by: i64,
    pub created_at: Timestamp,
}

impl Round {
    pub fn month(&self) -> Month {
        Month::new(self.starts.year(), self.starts.month()).expect("a date's month")
    }

    pub fn is_open(&self, now: Timestamp) -> bool {
        now <= self.deadline
    }
}

/// Seeds travel as decimal text: JavaScript's numbers lose the low bits of a u64.
mod seed_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(seed: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(seed)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// A round to create, as submitted.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRound {
    pub name: String,
    #[schema(value_type = String, format = Date)]
    pub starts: Date,
    pub deadline: Timestamp,
    pub plan: SamplingPlan,
    /// The evaluators (user ids, role inspector) the drawn points are shared among, in turn.
    pub evaluators: Vec<i64>,
    /// A seed to draw with (decimal text); a random one when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub seed: Option<String>,
}

/// The most points one stratum may ask for.
const MAX_PER_STRATUM: u32 = 1000;

impl NewRound {
    /// Checks the round; `known_region` says whether a region code or prefix names one.
    pub fn validate(&self, known_region: impl Fn(&str) -> bool) -> Result<Option<u64>, DomainError> {
        crate::workflow::required("name", &self.name)?;
        if self.deadline < self.starts.to_zoned(jiff::tz::TimeZone::UTC).map_err(|e| DomainError::invalid("starts", e.to_string()))?.timestamp() {
            return Err(DomainError::invalid("deadline", "the deadline is before the round starts"));
        }
        if self.plan.per_type.is_empty() || self.plan.per_type.values().all(|n| *n == 0) {
            return Err(DomainError::invalid("plan.per_type", "the plan draws no point: give a number for at least one point type"));
        }
        if let Some((t, n)) = self.plan.per_type.iter().find(|(_, n)| **n > MAX_PER_STRATUM) {
            return Err(DomainError::invalid("plan.per_type", format!("{n} {} points per stratum; at most {MAX_PER_STRATUM}", t.as_str())));
        }
        if let Some(region) = self.plan.regions.iter().find(|r| !known_region(r)) {
            return Err(DomainError::invalid("plan.regions", format!("unknown region {region:?}")));
        }
        if self.evaluators.is_empty() {
            return Err(DomainError::invalid("evaluators", "a round needs at least one evaluator"));
        }
        self.seed
            .as_deref()
            .map(|s| s.trim().parse::<u64>().map_err(|_| DomainError::invalid("seed", format!("{s:?} is not a whole number from 0 to 2^64-1"))))
            .transpose()
    }
}

/// Shares drawn points among evaluators in turn: `(point, evaluator)`.
pub fn assign(points: &[i64], evaluators: &[i64]) -> Vec<(i64, i64)> {
    points.iter().enumerate().map(|(i, p)| (*p, evaluators[i % evaluators.len()])).collect()
}

/// An evaluator's verdict on a clause at a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CheckOutcome)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    NotApplicable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        [Outcome::Pass, Outcome::Fail, Outcome::NotApplicable].into_iter().find(|o| o.as_str() == text)
    }
}

/// One clause answered at a point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ClauseAnswer)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub clause: String,
    pub outcome: Outcome,
    /// For a failure: the findings of a deduction (default 1), or the count found against a
    /// ratio's target.
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub note: Option<String>,
    /// Where the evaluator stood.
    #[serde(default)]
    pub position: Option<GeoPoint>,
    /// The photos taken of it: attachment ids the evaluator uploaded to the point
    /// (`POST …/rounds/{round}/points/{point}/photos`); a failure's case carries them.
    #[serde(default)]
    pub photos: Vec<i64>,
}

/// An answer checked against its clause, with the points it earns.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    pub answer: Answer,
    /// `None` for not applicable: the clause leaves the point's possible points.
    pub earned: Option<f64>,
    pub possible: f64,
}

const MAX_NOTE_CHARS: usize = 500;

impl Answer {
    /// Checks the answer against its clause at a point of `point_type` and scores it. A clause
    /// that does not apply to the point's type, a count that contradicts the verdict, a bad
    /// position are refused.
    pub fn score(mut self, clause: &Clause, point_type: PointType) -> Result<Scored, DomainError> {
        if clause.method != Method::FieldCheck {
            return Err(DomainError::invalid("clause", format!("clause {} is not a field check", clause.code)));
        }
        if !clause.applies_to(point_type) {
            return Err(DomainError::invalid(
                "clause",
                format!("clause {} does not apply to a point of type {} ({})", clause.code, point_type.as_str(), point_type.name_zh()),
            ));
        }
        self.note = self.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if self.note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
            return Err(DomainError::invalid("note", format!("a note is at most {MAX_NOTE_CHARS} characters")));
        }
        self.photos.sort_unstable();
        self.photos.dedup();
        if self.photos.len() > MAX_FILES_PER_UPLOAD {
            return Err(DomainError::invalid("photos", format!("a clause has at most {MAX_FILES_PER_UPLOAD} photos")));
        }
        if let Some(p) = self.position
            && !(p.lat.is_finite() && p.lon.is_finite() && (-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon))
        {
            return Err(DomainError::invalid("position", "lat must be within ±90 and lon within ±180"));
        }
        let evidence = match (self.outcome, clause.rule) {
            (Outcome::NotApplicable, _) => return Ok(Scored { answer: self, earned: None, possible: clause.points }),
            (Outcome::Pass, _) if self.count.is_some() => {
                return Err(DomainError::invalid("count", "a passed clause has no count"));
            }
            (Outcome::Pass, _) => Evidence::Findings(0),
            (Outcome::Fail, super::ScoringRule::Ratio { target }) => match self.count {
                Some(n) if f64::from(n) < target => Evidence::Value(f64::from(n)),
                Some(n) => {
                    return Err(DomainError::invalid("count", format!("{n} found reaches the target {target}: the clause passes")));
                }
                None => return Err(DomainError::invalid("count", format!("a failed clause {} needs the count found (target {target})", clause.code))),
            },
            (Outcome::Fail, super::ScoringRule::Deduction { .. }) => match self.count {
                Some(0) => return Err(DomainError::invalid("count", "a failure has at least one finding")),
                n => Evidence::Findings(n.unwrap_or(1)),
            },
            (Outcome::Fail, super::ScoringRule::Threshold { .. }) => Evidence::Findings(self.count.unwrap_or(1).max(1)),
        };
        let earned = clause.rule.earned(clause.points, evidence);
        Ok(Scored { answer: self, earned: Some(earned), possible: clause.points })
    }
}

/// An answer as recorded: scored under its round's revision, with the case its failure filed.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = PointCheck)]
pub struct Check {
    pub round: i64,
    pub point: i64,
    #[serde(flatten)]
    pub answer: Answer,
    /// `None` for not applicable.
    pub earned: Option<f64>,
    pub possible: f64,
    pub case_id: Option<CaseId>,
    pub answered_by: i64,
    pub answered_at: Timestamp,
}

impl Check {
    /// Whether `answer` says the same as this recorded one (a submission sent again).
    pub fn same_answer(&self, answer: &Answer) -> bool {
        self.answer.outcome == answer.outcome && self.answer.count == answer.count && self.answer.note == answer.note && self.answer.photos == answer.photos
    }
}

/// Where the rectification of a failed clause stands, from its case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rectification {
    /// The case is being handled.
    Open,
    /// Handled by the unit, waiting for verification (核查).
    Fixed,
    /// Verified and closed: the finding is cleared.
    Verified,
    /// Not registered or merged into another case.
    Dropped,
}

impl Rectification {
    pub fn of(status: CaseStatus) -> Rectification {
        match status {
            CaseStatus::Closed | CaseStatus::CalledBack => Rectification::Verified,
            CaseStatus::Handled => Rectification::Fixed,
            CaseStatus::Rejected | CaseStatus::Merged => Rectification::Dropped,
            _ => Rectification::Open,
        }
    }

    pub fn is_cleared(self) -> bool {
        matches!(self, Rectification::Verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::system::ScoringRule;

    fn candidates() -> Vec<Candidate> {
        let mut out = Vec::new();
        let mut id = 1;
        for street in ["110105026000", "110105027000", "110101001000"] {
            for t in [PointType::MainRoad, PointType::BackAlley, PointType::BusStop] {
                for _ in 0..10 {
                    out.push(Candidate { id, point_type: t, region: street.into() });
                    id += 1;
                }
            }
        }
        out
    }

    fn plan(level: SamplingLevel) -> SamplingPlan {
        SamplingPlan { level, per_type: [(PointType::MainRoad, 2), (PointType::BackAlley, 3)].into_iter().collect(), regions: vec![] }
    }

    #[test]
    fn sampling_is_stratified_and_reproducible_from_its_seed() {
        let all = candidates();
        let by_id = |id: i64| all.iter().find(|c| c.id == id).unwrap().clone();
        let street = draw(&all, &plan(SamplingLevel::Street), 42);
        // 3 streets × (2 main roads + 3 alleys), no bus stop, no point twice.
        assert_eq!(street.len(), 15);
        let mut unique = street.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 15);
        for s in ["110105026000", "110105027000", "110101001000"] {
            let here: Vec<Candidate> = street.iter().map(|id| by_id(*id)).filter(|c| c.region == s).collect();
            assert_eq!(here.iter().filter(|c| c.point_type == PointType::MainRoad).count(), 2);
            assert_eq!(here.iter().filter(|c| c.point_type == PointType::BackAlley).count(), 3);
        }
        // The same seed draws the same points whatever order the registry is read in; another
        // seed draws others.
        let mut shuffled = all.clone();
        shuffled.reverse();
        assert_eq!(draw(&shuffled, &plan(SamplingLevel::Street), 42), street);
        assert_ne!(draw(&all, &plan(SamplingLevel::Street), 43), street);
        // By district: 朝阳 has two streets' points in one stratum, 东城 one.
        let district = draw(&all, &plan(SamplingLevel::District), 42);
        assert_eq!(district.len(), 10);
        // Restricted to one district.
        let mut only = plan(SamplingLevel::Street);
        only.regions = vec!["110101000000".into()];
        assert!(draw(&all, &only, 42).iter().all(|id| by_id(*id).region == "110101001000"));
        // A stratum smaller than asked gives what it has.
        let mut many = plan(SamplingLevel::Street);
        many.per_type.insert(PointType::BusStop, 50);
        assert_eq!(draw(&all, &many, 1).len(), 15 + 30);
    }

    #[test]
    fn the_generator_is_the_published_splitmix64() {
        // Reference outputs of SplitMix64 seeded with 0.
        let mut g = SplitMix64(0);
        assert_eq!(g.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(g.next(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn points_are_shared_among_evaluators_in_turn() {
        assert_eq!(assign(&[10, 11, 12], &[7, 8]), vec![(10, 7), (11, 8), (12, 7)]);
    }

    fn clause(rule: ScoringRule, points: f64) -> Clause {
        Clause {
            code: "3.1.1".into(),
            text: "路面平整".into(),
            method: Method::FieldCheck,
            metric: None,
            points,
            rule,
            point_types: vec![PointType::BackAlley],
            observe: Some("破损".into()),
            case_category: Some(crate::ids::CategoryCode::parse("B0201").unwrap()),
        }
    }

    fn answer(outcome: Outcome, count: Option<u32>) -> Answer {
        Answer { clause: "3.1.1".into(), outcome, count, note: None, position: None, photos: vec![] }
    }

    #[test]
    fn answers_are_scored_by_their_clause_rule() {
        let deduction = clause(ScoringRule::Deduction { per_finding: 1.5, floor: 0.0 }, 4.0);
        let earned = |c: &Clause, a: Answer| a.score(c, PointType::BackAlley).unwrap().earned;
        assert_eq!(earned(&deduction, answer(Outcome::Pass, None)), Some(4.0));
        assert_eq!(earned(&deduction, answer(Outcome::Fail, None)), Some(2.5));
        assert_eq!(earned(&deduction, answer(Outcome::Fail, Some(2))), Some(1.0));
        assert_eq!(earned(&deduction, answer(Outcome::Fail, Some(9))), Some(0.0));
        assert_eq!(earned(&deduction, answer(Outcome::NotApplicable, None)), None);
        let ratio = clause(ScoringRule::Ratio { target: 5.0 }, 2.0);
        assert_eq!(earned(&ratio, answer(Outcome::Fail, Some(4))), Some(1.6));
        let threshold = clause(ScoringRule::Threshold { min: 95.0 }, 3.0);
        assert_eq!(earned(&threshold, answer(Outcome::Fail, None)), Some(0.0));
        assert_eq!(earned(&threshold, answer(Outcome::Pass, None)), Some(3.0));
    }

    #[test]
    fn contradictory_or_misplaced_answers_are_refused() {
        let deduction = clause(ScoringRule::Deduction { per_finding: 1.0, floor: 0.0 }, 4.0);
        let err = |c: &Clause, a: Answer, t| a.score(c, t).unwrap_err().to_string();
        assert!(err(&deduction, answer(Outcome::Pass, None), PointType::Hospital).contains("does not apply to a point of type hospital"));
        assert!(err(&deduction, answer(Outcome::Pass, Some(1)), PointType::BackAlley).contains("no count"));
        assert!(err(&deduction, answer(Outcome::Fail, Some(0)), PointType::BackAlley).contains("at least one"));
        let ratio = clause(ScoringRule::Ratio { target: 5.0 }, 2.0);
        assert!(err(&ratio, answer(Outcome::Fail, None), PointType::BackAlley).contains("needs the count"));
        assert!(err(&ratio, answer(Outcome::Fail, Some(5)), PointType::BackAlley).contains("passes"));
        let mut far = answer(Outcome::Pass, None);
        far.position = Some(GeoPoint { lat: 100.0, lon: 0.0 });
        assert!(err(&deduction, far, PointType::BackAlley).contains("lat"));
        let mut crowded = answer(Outcome::Fail, None);
        crowded.photos = (1..=10).collect();
        assert!(err(&deduction, crowded, PointType::BackAlley).contains("at most 9 photos"));
    }

    #[test]
    fn photos_are_kept_once_in_order_and_compared_as_a_set() {
        let deduction = clause(ScoringRule::Deduction { per_finding: 1.0, floor: 0.0 }, 4.0);
        let mut sent = answer(Outcome::Fail, None);
        sent.photos = vec![7, 3, 7, 5];
        let scored = sent.clone().score(&deduction, PointType::BackAlley).unwrap();
        assert_eq!(scored.answer.photos, vec![3, 5, 7]);
        let check = Check {
            round: 1,
            point: 2,
            answer: scored.answer,
            earned: scored.earned,
            possible: 4.0,
            case_id: None,
            answered_by: 9,
            answered_at: Timestamp::UNIX_EPOCH,
        };
        let again = sent.clone().score(&deduction, PointType::BackAlley).unwrap().answer;
        assert!(check.same_answer(&again));
        let mut other = sent;
        other.photos = vec![3, 5];
        assert!(!check.same_answer(&other.score(&deduction, PointType::BackAlley).unwrap().answer));
    }
}
