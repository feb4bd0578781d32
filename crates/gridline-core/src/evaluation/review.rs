//! Material review (材料审核): "每半年网上申报材料". The office opens a window for a half-year
//! (2026-H1) with an opening and a closing day; in it each district's or street's unit submits
//! its materials (text and files) for every clause whose method is material review; reviewers
//! score each submission with a comment, and a joint review (联审) shows their scores side by
//! side with their spread; the office settles the score.
//!
//! The rules, all here and pure:
//! - A reviewer's score is points, from 0 to the clause's points, in steps of 0.01.
//! - The score a submission counts with ([`joint`]): the office's settled score when it settled
//!   one; else the mean of the reviewers' scores (provisional); none before any reviewer scored.
//!   The office settles either on the mean of the scores then given or on a score of its own
//!   choosing (by hand, with a note); once settled, reviewers' scores no longer change.
//! - Disagreement: the spread (highest − lowest score) is more than [`DISAGREEMENT_SHARE`] of the
//!   clause's points; the 联审 lists such submissions first for the office to settle.
//! - What a window counts in the scores ([`window_scores`]): each settled or reviewed submission
//!   earns its score of the clause's points; once the window has closed, a clause a region did
//!   not submit earns 0 of its points (未申报); before then it is left out, as is a submission no
//!   reviewer has scored yet. A window counts in every period that shares a month with its half.
//! - Reminders ([`reminders`]): from the opening day until the closing day, a region that has not
//!   submitted every clause is reminded once the close is at most the lead days away.

use std::collections::HashSet;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::round::SamplingLevel;
use super::system::{IndicatorSystem, Method};
use crate::error::DomainError;
use crate::period::{Month, Period};

/// A submission's text: at most this many characters.
pub const MAX_TEXT_CHARS: usize = 5000;
/// A reviewer's comment or the office's note: at most this many characters.
pub const MAX_COMMENT_CHARS: usize = 1000;
/// Files of one submission, at most.
pub const MAX_FILES: usize = 20;
/// Reviewers of one window, at most.
pub const MAX_REVIEWERS: usize = 9;
/// Scores disagree when their spread is more than this share of the clause's points.
pub const DISAGREEMENT_SHARE: f64 = 0.25;
/// Reminders start this many days before the close, by default.
pub const REMINDER_LEAD_DAYS: i32 = 7;

/// A half-year, written `2026-H1` (January–June) or `2026-H2` (July–December).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Half {
    year: i16,
    /// 1 or 2.
    half: i8,
}

impl Half {
    pub fn new(year: i16, half: i8) -> Option<Half> {
        ((1..=2).contains(&half) && (1900..=9998).contains(&year)).then_some(Half { year, half })
    }

    /// Parses `YYYY-H1` or `YYYY-H2`, nothing else.
    pub fn parse(text: &str) -> Result<Half, DomainError> {
        let bad = || DomainError::invalid("half", format!("{text:?} is not a half-year written YYYY-H1 or YYYY-H2"));
        let (y, h) = text.split_once("-H").ok_or_else(bad)?;
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) || !matches!(h, "1" | "2") {
            return Err(bad());
        }
        Half::new(y.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?).ok_or_else(bad)
    }

    /// The half a month falls in.
    pub fn of(month: Month) -> Half {
        Half { year: month.year(), half: if month.number() <= 6 { 1 } else { 2 } }
    }

    /// Its six months.
    pub fn period(self) -> Period {
        let first = Month::new(self.year, if self.half == 1 { 1 } else { 7 }).expect("a valid half");
        Period { first, last: first.plus(5) }
    }
}

impl std::fmt::Display for Half {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-H{}", self.year, self.half)
    }
}

impl Serialize for Half {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Half {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Half::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// In the API's description: the text `YYYY-H1` / `YYYY-H2` it is written as.
impl utoipa::PartialSchema for Half {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^\d{4}-H[12]$"))
            .examples(["2026-H1"])
            .into()
    }
}

impl utoipa::ToSchema for Half {}

/// A review window to open, as the office sends it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = NewReviewWindow)]
#[serde(deny_unknown_fields)]
pub struct NewWindow {
    pub half: Half,
    /// Whose materials: each district's, or each street's.
    pub level: SamplingLevel,
    /// e.g. 2026年上半年创建工作材料网上申报; by default made from the half.
    #[serde(default)]
    pub name: Option<String>,
    /// The first and the last day (Beijing time) submissions are taken.
    #[schema(value_type = String, format = Date)]
    pub opens: Date,
    #[schema(value_type = String, format = Date)]
    pub closes: Date,
    /// The reviewers of the joint review (user ids).
    pub reviewers: Vec<i64>,
}

impl NewWindow {
    /// Checks the window; returns its name (given or made from the half).
    pub fn validate(&self) -> Result<String, DomainError> {
        if self.closes < self.opens {
            return Err(DomainError::invalid("closes", format!("the window closes ({}) before it opens ({})", self.closes, self.opens)));
        }
        if self.reviewers.is_empty() || self.reviewers.len() > MAX_REVIEWERS {
            return Err(DomainError::invalid("reviewers", format!("a joint review has 1 to {MAX_REVIEWERS} reviewers")));
        }
        if self.reviewers.iter().collect::<HashSet<_>>().len() != self.reviewers.len() {
            return Err(DomainError::invalid("reviewers", "a reviewer is named twice"));
        }
        let name = match self.name.as_deref().map(str::trim) {
            None | Some("") => format!("{}年{}半年创建工作材料网上申报", self.half.year, if self.half.half == 1 { "上" } else { "下" }),
            Some(name) if name.chars().count() > 100 => return Err(DomainError::invalid("name", "a window's name is at most 100 characters")),
            Some(name) => name.to_owned(),
        };
        Ok(name)
    }
}

/// A review window as stored.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = ReviewWindow)]
pub struct Window {
    pub id: i64,
    pub half: Half,
    pub level: SamplingLevel,
    pub name: String,
    /// The indicator-system revision its clauses and points are taken from.
    pub system_id: i64,
    #[schema(value_type = String, format = Date)]
    pub opens: Date,
    #[schema(value_type = String, format = Date)]
    pub closes: Date,
    pub reviewers: Vec<i64>,
    pub created_by: i64,
    pub created_at: Timestamp,
}

impl Window {
    /// Whether submissions are taken on `today` (both days included).
    pub fn accepts(&self, today: Date) -> bool {
        self.opens <= today && today <= self.closes
    }

    /// Whether the window has closed by `today`: what was not submitted then earns nothing.
    pub fn closed(&self, today: Date) -> bool {
        today > self.closes
    }
}

/// A submission's text, trimmed: 1 to [`MAX_TEXT_CHARS`] characters.
pub fn check_text(text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DomainError::invalid("text", "the submission's text is empty: say what the materials show"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(DomainError::invalid("text", format!("the submission's text is at most {MAX_TEXT_CHARS} characters")));
    }
    Ok(text.to_owned())
}

/// A comment or note, trimmed: at most [`MAX_COMMENT_CHARS`] characters; `required` refuses none.
pub fn check_comment(field: &'static str, text: Option<&str>, required: bool) -> Result<Option<String>, DomainError> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    match text {
        None if required => Err(DomainError::invalid(field, "a comment is required")),
        Some(t) if t.chars().count() > MAX_COMMENT_CHARS => Err(DomainError::invalid(field, format!("at most {MAX_COMMENT_CHARS} characters"))),
        t => Ok(t.map(str::to_owned)),
    }
}

/// A score of a clause worth `points`: from 0 to the points, in steps of 0.01.
pub fn check_score(points: f64, score: f64) -> Result<f64, DomainError> {
    if !(score.is_finite() && (0.0..=points + 1e-9).contains(&score)) {
        return Err(DomainError::invalid("score", format!("a score of this clause is from 0 to its {points} points, not {score}")));
    }
    if ((score * 100.0).round() - score * 100.0).abs() > 1e-6 {
        return Err(DomainError::invalid("score", format!("a score has at most two decimals, not {score}")));
    }
    Ok(score.min(points))
}

/// One reviewer's score of a submission.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReviewerScore {
    pub reviewer: i64,
    pub reviewer_name: String,
    pub score: f64,
    pub comment: String,
    pub scored_at: Timestamp,
}

/// How the office settled a score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettleRule {
    /// The mean of the reviewers' scores.
    Mean,
    /// A score the office chose (with a note).
    Hand,
}

impl SettleRule {
    pub fn as_str(self) -> &'static str {
        match self {
            SettleRule::Mean => "mean",
            SettleRule::Hand => "hand",
        }
    }

    pub fn parse(text: &str) -> Option<SettleRule> {
        [SettleRule::Mean, SettleRule::Hand].into_iter().find(|r| r.as_str() == text)
    }
}

/// The office's settlement of a submission's score.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Settlement {
    pub score: f64,
    pub rule: SettleRule,
    pub note: Option<String>,
    pub settled_by: i64,
    pub settled_at: Timestamp,
}

/// The joint review (联审) of a submission: its reviewers' scores compared, and the score it
/// counts with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Joint {
    /// Reviewers who scored.
    pub reviewers: usize,
    pub mean: Option<f64>,
    pub lowest: Option<f64>,
    pub highest: Option<f64>,
    /// Highest − lowest.
    pub spread: Option<f64>,
    /// The spread is more than [`DISAGREEMENT_SHARE`] of the clause's points.
    pub disagreement: bool,
    /// What the submission counts with: the settled score, else the mean; none before any score.
    pub score: Option<f64>,
    pub settled: bool,
}

/// Compares the scores of a clause worth `points` and says what the submission counts with.
pub fn joint(points: f64, scores: &[f64], settlement: Option<&Settlement>) -> Joint {
    let n = scores.len();
    let mean = (n > 0).then(|| scores.iter().sum::<f64>() / n as f64);
    let lowest = scores.iter().copied().reduce(f64::min);
    let highest = scores.iter().copied().reduce(f64::max);
    let spread = lowest.zip(highest).map(|(lo, hi)| hi - lo);
    Joint {
        reviewers: n,
        mean,
        lowest,
        highest,
        spread,
        disagreement: spread.is_some_and(|s| s > DISAGREEMENT_SHARE * points + 1e-9),
        score: settlement.map(|s| s.score).or(mean),
        settled: settlement.is_some(),
    }
}

/// What a region earned of a clause in a window.
#[derive(Clone, Debug, PartialEq)]
pub struct MaterialScore {
    pub region: String,
    pub clause: String,
    pub earned: f64,
    pub possible: f64,
}

/// A submission as scoring needs it: its region, clause and the score it counts with.
#[derive(Clone, Debug, PartialEq)]
pub struct Counted {
    pub region: String,
    pub clause: String,
    pub score: Option<f64>,
}

/// The material-review clauses of `system` with their points.
pub fn material_clauses(system: &IndicatorSystem) -> impl Iterator<Item = (&str, f64)> {
    system.clauses().filter(|p| p.clause.method == Method::MaterialReview).map(|p| (p.clause.code.as_str(), p.clause.points))
}

/// What a window counts in the scores (see the module's rules): each scored submission's score,
/// and once `closed`, 0 for each clause an expected region did not submit.
pub fn window_scores(system: &IndicatorSystem, regions: &[String], closed: bool, submissions: &[Counted]) -> Vec<MaterialScore> {
    let mut out = Vec::new();
    let submitted: HashSet<(&str, &str)> = submissions.iter().map(|s| (s.region.as_str(), s.clause.as_str())).collect();
    for (clause, points) in material_clauses(system) {
        for s in submissions.iter().filter(|s| s.clause == clause) {
            if let Some(score) = s.score {
                out.push(MaterialScore { region: s.region.clone(), clause: clause.to_owned(), earned: score.min(points), possible: points });
            }
        }
        if closed {
            for region in regions.iter().filter(|r| !submitted.contains(&(r.as_str(), clause))) {
                out.push(MaterialScore { region: region.clone(), clause: clause.to_owned(), earned: 0.0, possible: points });
            }
        }
    }
    out
}

/// A region that has not submitted every clause while the window's close nears.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MaterialReminder {
    pub region: String,
    /// The clauses not submitted yet.
    pub missing: Vec<String>,
    #[schema(value_type = String, format = Date)]
    pub due: Date,
    /// Days until the closing day (0 on the day itself).
    pub days_left: i32,
}

/// The reminders of a window on `today`: none before it opens or after it closes, none while the
/// close is more than `lead_days` away; else one per expected region missing a clause, by region.
pub fn reminders(window: &Window, system: &IndicatorSystem, regions: &[String], submitted: &HashSet<(String, String)>, today: Date, lead_days: i32) -> Vec<MaterialReminder> {
    let days_left = (window.closes - today).get_days();
    if !window.accepts(today) || days_left > lead_days {
        return Vec::new();
    }
    let clauses: Vec<&str> = material_clauses(system).map(|(c, _)| c).collect();
    let mut out: Vec<MaterialReminder> = regions
        .iter()
        .filter_map(|region| {
            let missing: Vec<String> = clauses.iter().filter(|c| !submitted.contains(&(region.clone(), (**c).to_owned()))).map(|c| (*c).to_owned()).collect();
            (!missing.is_empty()).then(|| MaterialReminder { region: region.clone(), missing, due: window.closes, days_left })
        })
        .collect();
    out.sort_by(|a, b| a.region.cmp(&b.region));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::score::Tally;

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn window(opens: &str, closes: &str) -> Window {
        Window {
            id: 1,
            half: Half::parse("2026-H1").unwrap(),
            level: SamplingLevel::District,
            name: "w".into(),
            system_id: 1,
            opens: day(opens),
            closes: day(closes),
            reviewers: vec![7, 8, 9],
            created_by: 1,
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    fn settled(score: f64, rule: SettleRule) -> Settlement {
        Settlement { score, rule, note: None, settled_by: 1, settled_at: Timestamp::UNIX_EPOCH }
    }

    #[test]
    fn halves_parse_strictly_and_span_six_months() {
        let h1 = Half::parse("2026-H1").unwrap();
        assert_eq!(h1.to_string(), "2026-H1");
        assert_eq!(h1.period().to_string(), "2026-01..2026-06");
        assert_eq!(Half::parse("2026-H2").unwrap().period().to_string(), "2026-07..2026-12");
        assert_eq!(Half::of(Month::parse("2026-07").unwrap()).to_string(), "2026-H2");
        assert_eq!(Half::of(Month::parse("2026-06").unwrap()), h1);
        for bad in ["2026-H3", "2026-H0", "2026H1", "26-H1", "2026-h1", "2026-H1 ", "", "2026-06"] {
            assert!(Half::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_new_window_is_checked() {
        let mut new = NewWindow { half: Half::parse("2026-H1").unwrap(), level: SamplingLevel::District, name: None, opens: day("2026-06-01"), closes: day("2026-06-30"), reviewers: vec![3, 4] };
        assert_eq!(new.validate().unwrap(), "2026年上半年创建工作材料网上申报");
        new.closes = day("2026-05-31");
        assert!(new.validate().unwrap_err().to_string().contains("before it opens"));
        new.closes = day("2026-06-01");
        new.reviewers = vec![3, 3];
        assert!(new.validate().unwrap_err().to_string().contains("twice"));
        new.reviewers = vec![];
        assert!(new.validate().is_err());
    }

    #[test]
    fn a_window_takes_submissions_from_its_opening_to_its_closing_day() {
        let w = window("2026-06-01", "2026-06-30");
        assert!(!w.accepts(day("2026-05-31")));
        assert!(w.accepts(day("2026-06-01")) && w.accepts(day("2026-06-30")));
        assert!(!w.accepts(day("2026-07-01")) && w.closed(day("2026-07-01")) && !w.closed(day("2026-06-30")));
    }

    #[test]
    fn texts_and_scores_are_checked() {
        assert_eq!(check_text("  工作方案 ").unwrap(), "工作方案");
        assert!(check_text("   ").is_err());
        assert!(check_text(&"材".repeat(MAX_TEXT_CHARS + 1)).is_err());
        assert!(check_text(&"材".repeat(MAX_TEXT_CHARS)).is_ok());
        assert_eq!(check_score(2.0, 1.5).unwrap(), 1.5);
        assert_eq!(check_score(2.0, 0.0).unwrap(), 0.0);
        assert_eq!(check_score(2.0, 2.0).unwrap(), 2.0);
        for bad in [-0.5, 2.01, 3.0, f64::NAN, f64::INFINITY, 1.234] {
            assert!(check_score(2.0, bad).is_err(), "{bad}");
        }
        assert_eq!(check_comment("comment", Some("  "), false).unwrap(), None);
        assert!(check_comment("comment", None, true).is_err());
        assert!(check_comment("comment", Some(&"x".repeat(MAX_COMMENT_CHARS + 1)), false).is_err());
    }

    #[test]
    fn the_joint_review_compares_scores_and_settles_on_the_mean_unless_by_hand() {
        // A clause of 2 points; three reviewers give 2, 1.5 and 1: mean 1.5, spread 1 (50 % of
        // the points, more than 25 %): they disagree.
        let j = joint(2.0, &[2.0, 1.5, 1.0], None);
        assert_eq!((j.reviewers, j.mean, j.lowest, j.highest, j.spread), (3, Some(1.5), Some(1.0), Some(2.0), Some(1.0)));
        assert!(j.disagreement && !j.settled);
        assert_eq!(j.score, Some(1.5), "the mean counts until the office settles");
        // The office settles by hand on 1.2: that counts, the comparison stays.
        let j = joint(2.0, &[2.0, 1.5, 1.0], Some(&settled(1.2, SettleRule::Hand)));
        assert_eq!((j.score, j.settled, j.mean), (Some(1.2), true, Some(1.5)));
        // 1.5 and 2: spread 0.5, exactly 25 % of 2 points: no disagreement.
        let j = joint(2.0, &[1.5, 2.0], None);
        assert_eq!((j.mean, j.spread, j.disagreement), (Some(1.75), Some(0.5), false));
        // Nobody scored yet: nothing counts.
        assert_eq!(joint(2.0, &[], None).score, None);
        assert_eq!(joint(2.0, &[], None).spread, None);
    }

    #[test]
    fn a_window_scores_what_was_reviewed_and_zero_for_what_was_missing_after_the_close() {
        let system = IndicatorSystem::builtin();
        let clauses: Vec<(&str, f64)> = material_clauses(&system).collect();
        // The built-in system's two material clauses, 2 points each.
        assert_eq!(clauses, vec![("5.2.1", 2.0), ("5.2.2", 2.0)]);
        let regions = vec!["110101000000".to_owned(), "110102000000".to_owned(), "110105000000".to_owned()];
        let counted = |region: &str, clause: &str, score: Option<f64>| Counted { region: region.into(), clause: clause.into(), score };
        // 东城 submitted both (1.5 by the mean, 2 settled); 西城 one, not scored yet; 朝阳 none.
        let submissions = vec![counted("110101000000", "5.2.1", Some(1.5)), counted("110101000000", "5.2.2", Some(2.0)), counted("110102000000", "5.2.1", None)];
        let open = window_scores(&system, &regions, false, &submissions);
        assert_eq!(open.len(), 2, "while open: only what was scored");
        let tally = |scores: &[MaterialScore], region: &str| {
            let mut t = Tally::default();
            scores.iter().filter(|s| s.region == region).for_each(|s| t.add(s.earned, s.possible));
            t
        };
        // 东城: 3.5 of 4 = 87.5 %.
        assert_eq!(tally(&open, "110101000000").rate(), Some(87.5));
        assert_eq!(tally(&open, "110105000000").rate(), None);
        let closed = window_scores(&system, &regions, true, &submissions);
        // After the close: 西城 0 of 2 for 5.2.2 (5.2.1 waits for its review), 朝阳 0 of 4.
        assert_eq!(tally(&closed, "110101000000").rate(), Some(87.5));
        assert_eq!((tally(&closed, "110102000000").earned, tally(&closed, "110102000000").possible), (0.0, 2.0));
        assert_eq!((tally(&closed, "110105000000").earned, tally(&closed, "110105000000").possible), (0.0, 4.0));
        assert_eq!(closed.len(), 2 + 1 + 2);
    }

    #[test]
    fn reminders_name_who_has_not_submitted_within_the_lead_days() {
        let system = IndicatorSystem::builtin();
        let w = window("2026-06-01", "2026-06-30");
        let regions = vec!["110101000000".to_owned(), "110102000000".to_owned()];
        let submitted: HashSet<(String, String)> =
            [("110101000000", "5.2.1"), ("110101000000", "5.2.2"), ("110102000000", "5.2.1")].iter().map(|(r, c)| ((*r).to_owned(), (*c).to_owned())).collect();
        // 24 June: 6 days left, within 7: 西城 is reminded of 5.2.2.
        let found = reminders(&w, &system, &regions, &submitted, day("2026-06-24"), 7);
        assert_eq!(found, vec![MaterialReminder { region: "110102000000".into(), missing: vec!["5.2.2".into()], due: day("2026-06-30"), days_left: 6 }]);
        // 22 June: 8 days left: not yet.
        assert!(reminders(&w, &system, &regions, &submitted, day("2026-06-22"), 7).is_empty());
        // The closing day itself: 0 days left; nobody has submitted anything: both, both clauses.
        let none = HashSet::new();
        let found = reminders(&w, &system, &regions, &none, day("2026-06-30"), 7);
        assert_eq!(found.iter().map(|r| (r.region.as_str(), r.missing.len(), r.days_left)).collect::<Vec<_>>(), vec![("110101000000", 2, 0), ("110102000000", 2, 0)]);
        // After the close, or before the opening (even within the lead days): none.
        assert!(reminders(&w, &system, &regions, &none, day("2026-07-01"), 7).is_empty());
        let short = window("2026-06-28", "2026-06-30");
        assert!(reminders(&short, &system, &regions, &none, day("2026-06-27"), 7).is_empty());
    }
}
