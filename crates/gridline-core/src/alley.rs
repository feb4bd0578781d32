//! 背街小巷: the back-alley registry and its rules. An alley is an inspection point of type
//! [`PointType::BackAlley`] (its line, street and responsible office live on the point) with more
//! to it: a grade (精品 / 优美 / 达标), the 四有 (街巷长, 小巷管家, 自治共建理事会, 街巷公约) and perhaps the
//! title 首都文明街巷. The standard (十无 · 五好 · 四有) is an indicator system of its own, so a check
//! is answered and scored by the evaluation's [`Answer::score`](crate::evaluation::Answer::score).
//!
//! The cadence 日巡 · 周查 · 月评 · 季点名 ends in [`Standing::step`]: one month's score moves the
//! grade (downgraded below the threshold, restored after a run of good months), lists the alley
//! for supervision (挂牌督办) after a run of bad ones, and re-checks its title at each quarter's
//! end (warned, suspended, withdrawn after failed re-checks). Everything here is pure.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::case::{CaseId, GeoPoint};
use crate::error::DomainError;
use crate::evaluation::score::Tally;
use crate::evaluation::{Answer, Clause, IndicatorSystem, InspectionPoint, Location, NewPoint, Outcome, PointType};
use crate::ids::UnitCode;
use crate::period::Month;
use crate::workflow::required;

/// The alley standard built into the binary (provenance in data/alleys/PROVENANCE.md).
pub const BUILTIN_STANDARD: &str = include_str!("../../../data/alleys/standard.toml");

/// The category of the standard whose 得分率 is an alley's score (十无).
pub const TEN_NO: &str = "N";

/// The built-in standard, checked against the built-in catalogue.
pub fn builtin_standard() -> IndicatorSystem {
    let catalogue = crate::catalogue::Catalogue::builtin();
    IndicatorSystem::from_toml(BUILTIN_STANDARD, |code| catalogue.check_fileable(code).is_ok())
        .expect("the built-in alley standard is valid (tested)")
}

/// The version a check is scored under: the standard's year and name.
pub fn standard_version(standard: &IndicatorSystem) -> String {
    format!("{}:{}", standard.year, standard.name)
}

/// 街巷等级. `Substandard` is only ever a downgraded 达标 alley.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 精品
    Premium,
    /// 优美
    Fine,
    /// 达标
    Standard,
    /// 未达标 (a 达标 alley downgraded)
    Substandard,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::Premium, Grade::Fine, Grade::Standard, Grade::Substandard];

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Premium => "premium",
            Grade::Fine => "fine",
            Grade::Standard => "standard",
            Grade::Substandard => "substandard",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Grade::Premium => "精品",
            Grade::Fine => "优美",
            Grade::Standard => "达标",
            Grade::Substandard => "未达标",
        }
    }

    /// Parses the code (`fine`) or the Chinese name (`优美`); an awarded grade is never 未达标.
    pub fn parse_awarded(text: &str) -> Result<Grade, DomainError> {
        let text = text.trim();
        Grade::ALL[..3]
            .iter()
            .copied()
            .find(|g| g.as_str() == text || g.name_zh() == text)
            .ok_or_else(|| DomainError::invalid("grade", format!("grade is 精品/premium, 优美/fine or 达标/standard, not {text:?}")))
    }

    pub fn parse(text: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.as_str() == text)
    }

    /// One grade down.
    pub fn lowered(self) -> Grade {
        match self {
            Grade::Premium => Grade::Fine,
            Grade::Fine => Grade::Standard,
            Grade::Standard | Grade::Substandard => Grade::Substandard,
        }
    }
}

/// 四有: who looks after the alley.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FourHaves {
    /// 街巷长: the named official answerable for the alley.
    #[serde(default)]
    pub chief: Option<String>,
    /// 小巷管家: the stewards' names.
    #[serde(default)]
    pub stewards: Vec<String>,
    /// 自治共建理事会: its name, when one is set up.
    #[serde(default)]
    pub council: Option<String>,
    /// 街巷公约: its title, when one is posted.
    #[serde(default)]
    pub compact: Option<String>,
}

impl FourHaves {
    /// How many of the four the alley has.
    pub fn count(&self) -> u8 {
        u8::from(self.chief.is_some()) + u8::from(!self.stewards.is_empty()) + u8::from(self.council.is_some()) + u8::from(self.compact.is_some())
    }

    fn tidy(mut self) -> FourHaves {
        let tidy = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        self.chief = tidy(self.chief);
        self.council = tidy(self.council);
        self.compact = tidy(self.compact);
        self.stewards = self.stewards.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        self
    }
}

/// 首都文明街巷: where the title stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TitleStatus {
    /// 已命名
    Named,
    /// 警示
    Warned,
    /// 暂停
    Suspended,
    /// 撤销 (final)
    Withdrawn,
}

impl TitleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TitleStatus::Named => "named",
            TitleStatus::Warned => "warned",
            TitleStatus::Suspended => "suspended",
            TitleStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<TitleStatus> {
        [TitleStatus::Named, TitleStatus::Warned, TitleStatus::Suspended, TitleStatus::Withdrawn].into_iter().find(|s| s.as_str() == text)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            TitleStatus::Named => "已命名",
            TitleStatus::Warned => "警示",
            TitleStatus::Suspended => "暂停",
            TitleStatus::Withdrawn => "撤销",
        }
    }
}

/// The title 首都文明街巷 and how its re-checks went.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Title {
    /// The month it was named in.
    pub named_in: Month,
    pub status: TitleStatus,
    /// Failed re-checks in a row.
    pub failed_rechecks: u32,
}

/// The rules of the cadence; every figure configurable, these the defaults.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlleyRules {
    /// A month below this downgrades (public reporting: 90).
    pub threshold: f64,
    /// Consecutive months at or above the threshold that restore (public reporting: 3).
    pub restore_after: u32,
    /// Consecutive months below the threshold that list the alley for supervision (gridline: 2).
    pub list_after: u32,
    /// Days a listing gives for rectification (限期整改; gridline: 30).
    pub listing_days: i64,
    /// Points a month's score loses per 12345 hotline case on the alley (gridline: 2).
    pub hotline_case_points: f64,
    /// Points lost per other case on it: grid, patrol, inspection, public (gridline: 0.5).
    pub other_case_points: f64,
    /// A case within this many metres of the line is on the alley (gridline: 50).
    pub case_distance_m: f64,
    /// A title's quarterly re-check passes when every scored month of the quarter reaches this.
    pub title_threshold: f64,
}

impl Default for AlleyRules {
    fn default() -> Self {
        AlleyRules {
            threshold: 90.0,
            restore_after: 3,
            list_after: 2,
            listing_days: 30,
            hotline_case_points: 2.0,
            other_case_points: 0.5,
            case_distance_m: 50.0,
            title_threshold: 90.0,
        }
    }
}

/// Where an alley stands after the months evaluated so far.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Standing {
    /// The grade in force: the awarded one, or one below while downgraded.
    pub grade: Grade,
    pub downgraded: bool,
    /// Months in a row at or above the threshold since the downgrade.
    pub good_run: u32,
    /// Months in a row below the threshold.
    pub low_run: u32,
    /// The lowest score of the current quarter so far.
    pub quarter_low: Option<f64>,
    /// The last month evaluated.
    pub last_month: Option<Month>,
}

/// What a month's evaluation changed; kept as the alley's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = AlleyChange)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// 降级
    Downgraded { from: Grade, to: Grade, score: f64 },
    /// 恢复
    Restored { to: Grade, good_months: u32 },
    /// The rule calls for listed supervision (挂牌督办).
    ListingDue { low_months: u32 },
    /// Listed under this listing (by rule or by hand).
    Listed { listing: i64 },
    /// A re-check of the listing at a month's evaluation.
    ListingChecked { listing: i64, passed: bool, delisted: bool },
    /// 命名
    TitleNamed,
    /// A quarter's re-check of the title moved it.
    Title { from: TitleStatus, to: TitleStatus, passed: bool, quarter_low: f64 },
}

/// A month's evaluation of one alley.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub standing: Standing,
    pub title: Option<Title>,
    pub changes: Vec<Change>,
}

fn same_quarter(a: Month, b: Month) -> bool {
    a.year() == b.year() && (a.number() - 1) / 3 == (b.number() - 1) / 3
}

impl Standing {
    pub fn new(awarded: Grade) -> Standing {
        Standing { grade: awarded, downgraded: false, good_run: 0, low_run: 0, quarter_low: None, last_month: None }
    }

    /// Moves the alley on by one month's score: downgrade below the threshold (once, one grade),
    /// restore after `restore_after` good months in a row, a listing due after `list_after` bad
    /// months in a row, and at a quarter's last month the title's re-check (failed when a month of
    /// the quarter fell below the title threshold: named → warned → suspended → withdrawn; a pass
    /// puts a warned or suspended title back to named). Months must come in order.
    pub fn step(&self, awarded: Grade, title: Option<Title>, month: Month, score: f64, rules: &AlleyRules) -> Result<Step, DomainError> {
        if let Some(last) = self.last_month
            && month <= last
        {
            return Err(DomainError::Conflict { message: format!("{month} is not after the last month evaluated, {last}") });
        }
        if !score.is_finite() {
            return Err(DomainError::invalid("score", "a score is a number"));
        }
        let mut next = *self;
        let mut changes = Vec::new();
        next.last_month = Some(month);
        if score < rules.threshold {
            next.low_run += 1;
            next.good_run = 0;
            if !next.downgraded {
                next.downgraded = true;
                next.grade = awarded.lowered();
                changes.push(Change::Downgraded { from: awarded, to: next.grade, score });
            }
            if next.low_run == rules.list_after {
                changes.push(Change::ListingDue { low_months: next.low_run });
            }
        } else {
            next.low_run = 0;
            if next.downgraded {
                next.good_run += 1;
                if next.good_run >= rules.restore_after {
                    changes.push(Change::Restored { to: awarded, good_months: next.good_run });
                    next.downgraded = false;
                    next.good_run = 0;
                    next.grade = awarded;
                }
            }
        }
        let low = match (self.quarter_low, self.last_month) {
            (Some(low), Some(last)) if same_quarter(last, month) => low.min(score),
            _ => score,
        };
        next.quarter_low = Some(low);
        let mut title = title;
        if month.number() % 3 == 0 {
            next.quarter_low = None;
            if let Some(t) = title.as_mut()
                && t.status != TitleStatus::Withdrawn
                && t.named_in < month
            {
                let passed = low >= rules.title_threshold;
                let from = t.status;
                if passed {
                    t.failed_rechecks = 0;
                    t.status = TitleStatus::Named;
                } else {
                    t.failed_rechecks += 1;
                    t.status = match from {
                        TitleStatus::Named => TitleStatus::Warned,
                        TitleStatus::Warned => TitleStatus::Suspended,
                        TitleStatus::Suspended | TitleStatus::Withdrawn => TitleStatus::Withdrawn,
                    };
                }
                if t.status != from || !passed {
                    changes.push(Change::Title { from, to: t.status, passed, quarter_low: low });
                }
            }
        }
        Ok(Step { standing: next, title, changes })
    }
}

/// Whether a month's score passes the re-check of a listed alley.
pub fn listing_passes(score: f64, rules: &AlleyRules) -> bool {
    score >= rules.threshold
}

/// A month's score (月评) and how it was reached.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MonthScore {
    /// 0–100, two decimals.
    pub score: f64,
    /// Weekly checks (周查) in the month.
    pub checks: u32,
    /// Their mean 十无 得分率.
    pub check_mean: f64,
    /// 12345 hotline cases on the alley received in the month.
    pub hotline_cases: u32,
    /// Other cases on it (grid, patrol findings, inspection, public).
    pub other_cases: u32,
    pub deduction: f64,
}

fn two_decimals(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The month's score: the mean 十无 得分率 of its weekly checks, less the points of the cases on
/// the alley, never below 0; `None` for a month without a check (the alley is not scored).
pub fn month_score(check_rates: &[f64], hotline_cases: u32, other_cases: u32, rules: &AlleyRules) -> Option<MonthScore> {
    if check_rates.is_empty() {
        return None;
    }
    let check_mean = check_rates.iter().sum::<f64>() / check_rates.len() as f64;
    let deduction = rules.hotline_case_points * f64::from(hotline_cases) + rules.other_case_points * f64::from(other_cases);
    Some(MonthScore {
        score: two_decimals((check_mean - deduction).clamp(0.0, 100.0)),
        checks: check_rates.len() as u32,
        check_mean: two_decimals(check_mean),
        hotline_cases,
        other_cases,
        deduction: two_decimals(deduction),
    })
}

/// The quarter's worst `n` (季点名): the rows with the lowest mean score, worst first.
pub fn named_worst<T: Clone>(rows: &[T], mean: impl Fn(&T) -> Option<f64>, code: impl Fn(&T) -> &str, n: usize) -> Vec<T> {
    let mut scored: Vec<T> = rows.iter().filter(|r| mean(r).is_some()).cloned().collect();
    scored.sort_by(|a, b| mean(a).unwrap_or(0.0).total_cmp(&mean(b).unwrap_or(0.0)).then_with(|| code(a).cmp(code(b))));
    scored.truncate(n);
    scored
}

/// A problem found on a visit (a patrol's quick tap, a check's failed clause): the clause of the
/// standard, how many places (default 1) and a note.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    /// A clause code of the standard (`N03` 无乱停车 …).
    pub clause: String,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub note: Option<String>,
    /// For a patrol: the case it was filed as (set by gridline; ignored when sent).
    #[serde(default)]
    pub case_id: Option<CaseId>,
}

/// A visit scored against the standard: every clause of the alley's checklist answered, the
/// problems failed and the rest passed, by the evaluation's scoring.
#[derive(Clone, Debug, PartialEq)]
pub struct Visit {
    /// The problems, tidied, each with its clause.
    pub problems: Vec<(Problem, Clause)>,
    /// The 十无 points earned of those possible.
    pub ten_no: Tally,
    /// All the standard's points.
    pub all: Tally,
}

/// Scores a visit: a problem's clause must be in the standard and apply to alleys, and appear once.
pub fn score_visit(standard: &IndicatorSystem, problems: Vec<Problem>) -> Result<Visit, DomainError> {
    let mut failed: HashMap<String, Problem> = HashMap::new();
    for problem in problems {
        let code = problem.clause.trim().to_owned();
        if standard.clause(&code).is_none() {
            return Err(DomainError::invalid("clause", format!("{code:?} is no clause of the standard ({})", standard.name)));
        }
        if failed.insert(code.clone(), Problem { clause: code.clone(), case_id: None, ..problem }).is_some() {
            return Err(DomainError::invalid("clause", format!("clause {code} is given twice")));
        }
    }
    let mut visit = Visit { problems: Vec::new(), ten_no: Tally::default(), all: Tally::default() };
    for placed in standard.clauses() {
        let problem = failed.remove(&placed.clause.code);
        let answer = Answer {
            clause: placed.clause.code.clone(),
            outcome: if problem.is_some() { Outcome::Fail } else { Outcome::Pass },
            count: problem.as_ref().and_then(|p| p.count),
            note: problem.as_ref().and_then(|p| p.note.clone()),
            position: None,
            photos: vec![],
        };
        let scored = answer.score(placed.clause, PointType::BackAlley)?;
        let earned = scored.earned.unwrap_or(0.0);
        visit.all.add(earned, scored.possible);
        if placed.category.code == TEN_NO {
            visit.ten_no.add(earned, scored.possible);
        }
        if let Some(problem) = problem {
            visit.problems.push((Problem { note: scored.answer.note, ..problem }, placed.clause.clone()));
        }
    }
    Ok(visit)
}

/// A daily patrol (日巡) as the steward's phone sends it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPatrol {
    /// The phone's own id for the patrol: sent again, it is answered with the patrol stored.
    pub id: String,
    /// The problems found; none is a clean patrol.
    #[serde(default)]
    pub problems: Vec<Problem>,
    /// Where the steward stood.
    #[serde(default)]
    pub position: Option<GeoPoint>,
}

impl NewPatrol {
    /// Checks the id (8–64 letters, digits, `-`, `_` or `:`) and the position.
    pub fn check(&self) -> Result<(), DomainError> {
        let id = self.id.as_str();
        if !(8..=64).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_:".contains(&b)) {
            return Err(DomainError::invalid("id", "a patrol id is 8 to 64 letters, digits, '-', '_' or ':' (a UUID will do)"));
        }
        if let Some(p) = self.position
            && !(p.lat.is_finite() && p.lon.is_finite() && (-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon))
        {
            return Err(DomainError::invalid("position", "lat must be within ±90 and lon within ±180"));
        }
        Ok(())
    }
}

/// A patrol as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = AlleyPatrol)]
pub struct Patrol {
    pub id: String,
    pub alley: i64,
    pub steward: i64,
    #[schema(value_type = String, format = Date)]
    pub day: jiff::civil::Date,
    pub at: jiff::Timestamp,
    pub position: Option<GeoPoint>,
    /// Each with the case it was filed as.
    pub problems: Vec<Problem>,
}

impl Patrol {
    /// Whether `new` says the same as this recorded patrol (the phone sending it again).
    pub fn same_as(&self, alley: i64, steward: i64, new: &NewPatrol) -> bool {
        let key = |p: &Problem| (p.clause.trim().to_owned(), p.count, p.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned));
        let mut mine: Vec<_> = self.problems.iter().map(key).collect();
        let mut theirs: Vec<_> = new.problems.iter().map(key).collect();
        mine.sort();
        theirs.sort();
        self.alley == alley && self.steward == steward && mine == theirs
    }
}

/// A weekly check (周查) as recorded: the problems failed, the rest passed.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = AlleyCheck)]
pub struct WeeklyCheck {
    pub alley: i64,
    #[schema(value_type = String, format = Date)]
    pub day: jiff::civil::Date,
    /// The standard's version it was scored under.
    pub standard: String,
    /// 十无 points earned and possible.
    pub ten_no: Tally,
    pub problems: Vec<Problem>,
    pub checked_by: i64,
    pub checked_at: jiff::Timestamp,
}

/// A registered alley.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Alley {
    /// The inspection point it is (type 背街小巷): code, name, line, street, responsible unit.
    pub point: InspectionPoint,
    /// The community (社区) it lies in, as the office writes it.
    pub community: Option<String>,
    pub length_m: f64,
    /// The grade awarded (精品 / 优美 / 达标).
    pub awarded: Grade,
    pub standing: Standing,
    pub four: FourHaves,
    pub title: Option<Title>,
}

impl Alley {
    /// The line it follows.
    pub fn line(&self) -> &[GeoPoint] {
        match &self.point.location {
            Location::Line { points } => points,
            Location::Point { .. } => &[],
        }
    }
}

/// An alley to register, as an office's file or the API gives it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAlley {
    pub code: String,
    pub name: String,
    pub line: Vec<GeoPoint>,
    #[serde(default)]
    pub community: Option<String>,
    pub grade: Grade,
    /// The street office answerable for it (its unit code).
    #[serde(default)]
    pub unit: Option<UnitCode>,
    #[serde(default)]
    pub four: FourHaves,
    /// The month it was named 首都文明街巷, if it was.
    #[serde(default)]
    pub title_named_in: Option<Month>,
}

impl NewAlley {
    /// Checks the fields as a back-alley point (code, name, line) and the grade; where the line
    /// lies (inside the city) is for the application, which places it.
    pub fn validate(self, unit_known: impl Fn(&str) -> bool) -> Result<(NewPoint, NewAlleyRest), DomainError> {
        if self.grade == Grade::Substandard {
            return Err(DomainError::invalid("grade", "an awarded grade is 精品, 优美 or 达标"));
        }
        let point = NewPoint {
            code: self.code,
            name: self.name,
            point_type: PointType::BackAlley,
            location: Location::Line { points: self.line },
            unit: self.unit,
            address: None,
        }
        .validate(unit_known)?;
        let community = match self.community.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(required("community", c)?),
        };
        let length_m = point.location.length_m();
        Ok((point, NewAlleyRest { community, length_m, awarded: self.grade, four: self.four.tidy(), title_named_in: self.title_named_in }))
    }
}

/// What an alley has beyond its point, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAlleyRest {
    pub community: Option<String>,
    pub length_m: f64,
    pub awarded: Grade,
    pub four: FourHaves,
    pub title_named_in: Option<Month>,
}

impl NewAlleyRest {
    pub fn into_alley(self, point: InspectionPoint) -> Alley {
        Alley {
            point,
            community: self.community,
            length_m: (self.length_m * 10.0).round() / 10.0,
            awarded: self.awarded,
            standing: Standing::new(self.awarded),
            four: self.four,
            title: self.title_named_in.map(|named_in| Title { named_in, status: TitleStatus::Named, failed_rechecks: 0 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Month {
        Month::parse(text).unwrap()
    }

    #[test]
    fn the_builtin_standard_has_ten_nos_worth_100_and_applies_to_alleys() {
        let standard = builtin_standard();
        let ten: Vec<_> = standard.clauses().filter(|p| p.category.code == TEN_NO).collect();
        assert_eq!(ten.len(), 10);
        assert!((ten.iter().map(|p| p.clause.points).sum::<f64>() - 100.0).abs() < 1e-9);
        assert_eq!(standard.checklist(PointType::BackAlley).count(), 19);
        assert!(standard_version(&standard).starts_with("2026:"));
    }

    #[test]
    fn a_check_is_scored_by_the_evaluations_rules() {
        // 私搭乱建 1 finding (10 − 5 = 5), 乱停车 3 findings (10 − 15 → floor 0), the rest pass:
        // 十无 earns 100 − 5 − 10 = 85 of 100.
        let standard = builtin_standard();
        let mut tally = Tally::default();
        for placed in standard.clauses().filter(|p| p.category.code == TEN_NO) {
            let (outcome, count) = match placed.clause.code.as_str() {
                "N01" => (Outcome::Fail, Some(1)),
                "N03" => (Outcome::Fail, Some(3)),
                _ => (Outcome::Pass, None),
            };
            let answer = Answer { clause: placed.clause.code.clone(), outcome, count, note: None, position: None, photos: vec![] };
            let scored = answer.score(placed.clause, PointType::BackAlley).unwrap();
            tally.add(scored.earned.unwrap(), scored.possible);
        }
        assert_eq!(tally.rate(), Some(85.0));
    }

    #[test]
    fn a_visit_fails_the_problems_and_passes_the_rest() {
        let standard = builtin_standard();
        let p = |clause: &str, count| Problem { clause: clause.into(), count, note: Some("  ".into()), case_id: None };
        let visit = score_visit(&standard, vec![p("N01", None), p("N03", Some(3)), p("G1", Some(1))]).unwrap();
        // 十无: 100 − 5 − 10 = 85; 五好 G1 loses 2.5: all 145 − 17.5 = 127.5.
        assert_eq!((visit.ten_no.earned, visit.ten_no.possible), (85.0, 100.0));
        assert_eq!((visit.all.earned, visit.all.possible), (127.5, 145.0));
        assert_eq!(visit.problems.len(), 3);
        assert_eq!(visit.problems[0].0.note, None);
        assert_eq!(visit.problems[0].1.case_category.as_deref(), Some("W0501"));
        assert!(score_visit(&standard, vec![p("N99", None)]).is_err());
        assert!(score_visit(&standard, vec![p("N01", None), p("N01", None)]).is_err());
        assert!(score_visit(&standard, vec![p("N01", Some(0))]).is_err());
        assert_eq!(score_visit(&standard, vec![]).unwrap().ten_no.rate(), Some(100.0));
    }

    #[test]
    fn a_patrol_sent_again_is_the_same_patrol() {
        let new = NewPatrol { id: "phone-0001".into(), problems: vec![Problem { clause: "N03".into(), count: Some(2), note: None, case_id: None }], position: None };
        assert!(new.check().is_ok());
        let stored = Patrol {
            id: new.id.clone(),
            alley: 7,
            steward: 3,
            day: jiff::civil::date(2026, 5, 1),
            at: jiff::Timestamp::UNIX_EPOCH,
            position: None,
            problems: vec![Problem { clause: "N03".into(), count: Some(2), note: None, case_id: CaseId::new(9).ok() }],
        };
        assert!(stored.same_as(7, 3, &new));
        assert!(!stored.same_as(8, 3, &new));
        let mut other = new.clone();
        other.problems[0].count = Some(3);
        assert!(!stored.same_as(7, 3, &other));
        assert!(NewPatrol { id: "short".into(), problems: vec![], position: None }.check().is_err());
    }

    #[test]
    fn the_month_score_is_the_checks_mean_less_the_cases() {
        let rules = AlleyRules::default();
        // Checks 85, 95, 90, 100 → mean 92.5; two hotline cases (4) and three others (1.5) → 87.
        let s = month_score(&[85.0, 95.0, 90.0, 100.0], 2, 3, &rules).unwrap();
        assert_eq!((s.score, s.check_mean, s.deduction, s.checks), (87.0, 92.5, 5.5, 4));
        assert_eq!(month_score(&[], 5, 0, &rules), None);
        assert_eq!(month_score(&[10.0], 10, 0, &rules).unwrap().score, 0.0);
    }

    fn run(scores: &[(&str, f64)], title: Option<Title>) -> (Standing, Option<Title>, Vec<(String, Change)>) {
        let rules = AlleyRules::default();
        let mut standing = Standing::new(Grade::Fine);
        let mut title = title;
        let mut all = Vec::new();
        for (month, score) in scores {
            let step = standing.step(Grade::Fine, title, m(month), *score, &rules).unwrap();
            standing = step.standing;
            title = step.title;
            all.extend(step.changes.into_iter().map(|c| (month.to_string(), c)));
        }
        (standing, title, all)
    }

    #[test]
    fn one_bad_month_downgrades_and_exactly_three_good_ones_restore() {
        let (s, _, changes) = run(&[("2026-01", 95.0), ("2026-02", 89.99)], None);
        assert_eq!(s.grade, Grade::Standard);
        assert_eq!(changes, vec![("2026-02".into(), Change::Downgraded { from: Grade::Fine, to: Grade::Standard, score: 89.99 })]);
        // Two good months are not enough …
        let (s, _, changes) = run(&[("2026-02", 80.0), ("2026-03", 90.0), ("2026-04", 99.0)], None);
        assert_eq!((s.grade, s.good_run, changes.len()), (Grade::Standard, 2, 1));
        // … the third restores; a bad month in between starts the run again.
        let (s, _, changes) = run(&[("2026-02", 80.0), ("2026-03", 90.0), ("2026-04", 99.0), ("2026-05", 90.0)], None);
        assert_eq!(s.grade, Grade::Fine);
        assert_eq!(changes.last().unwrap(), &("2026-05".into(), Change::Restored { to: Grade::Fine, good_months: 3 }));
        let (s, _, _) = run(&[("2026-02", 80.0), ("2026-03", 90.0), ("2026-04", 89.0), ("2026-05", 90.0), ("2026-06", 90.0)], None);
        assert_eq!((s.grade, s.good_run), (Grade::Standard, 2));
    }

    #[test]
    fn two_bad_months_in_a_row_call_for_a_listing_once() {
        let (_, _, changes) = run(&[("2026-01", 80.0), ("2026-02", 85.0), ("2026-03", 70.0)], None);
        let due: Vec<_> = changes.iter().filter(|(_, c)| matches!(c, Change::ListingDue { .. })).collect();
        assert_eq!(due, vec![&("2026-02".to_string(), Change::ListingDue { low_months: 2 })]);
        let (_, _, changes) = run(&[("2026-01", 80.0), ("2026-02", 95.0), ("2026-03", 80.0)], None);
        assert!(!changes.iter().any(|(_, c)| matches!(c, Change::ListingDue { .. })));
        assert!(listing_passes(90.0, &AlleyRules::default()) && !listing_passes(89.9, &AlleyRules::default()));
    }

    #[test]
    fn failed_quarterly_rechecks_warn_suspend_and_withdraw_a_title() {
        let named = Some(Title { named_in: m("2025-12"), status: TitleStatus::Named, failed_rechecks: 0 });
        // Q1: lowest 88 → warned; Q2: all ≥ 90 → named again; Q3, Q4 and the next Q1 fail → warned,
        // suspended, withdrawn.
        let months = [
            ("2026-01", 95.0), ("2026-02", 88.0), ("2026-03", 96.0),
            ("2026-04", 91.0), ("2026-05", 92.0), ("2026-06", 90.0),
            ("2026-07", 80.0), ("2026-08", 95.0), ("2026-09", 95.0),
            ("2026-10", 95.0), ("2026-11", 95.0), ("2026-12", 70.0),
            ("2027-01", 95.0), ("2027-02", 85.0), ("2027-03", 95.0),
        ];
        let (_, title, changes) = run(&months, named);
        let title_changes: Vec<_> = changes
            .iter()
            .filter_map(|(month, c)| match c {
                Change::Title { to, quarter_low, .. } => Some((month.as_str(), *to, *quarter_low)),
                _ => None,
            })
            .collect();
        assert_eq!(
            title_changes,
            vec![
                ("2026-03", TitleStatus::Warned, 88.0),
                ("2026-06", TitleStatus::Named, 90.0),
                ("2026-09", TitleStatus::Warned, 80.0),
                ("2026-12", TitleStatus::Suspended, 70.0),
                ("2027-03", TitleStatus::Withdrawn, 85.0),
            ]
        );
        assert_eq!(title.unwrap().status, TitleStatus::Withdrawn);
        // Withdrawn is final: a good quarter changes nothing.
        let withdrawn = Some(Title { named_in: m("2025-12"), status: TitleStatus::Withdrawn, failed_rechecks: 3 });
        let (_, title, changes) = run(&[("2026-01", 99.0), ("2026-02", 99.0), ("2026-03", 99.0)], withdrawn);
        assert_eq!(title.unwrap().status, TitleStatus::Withdrawn);
        assert!(changes.is_empty());
    }

    #[test]
    fn months_go_forward_only() {
        let rules = AlleyRules::default();
        let s = Standing::new(Grade::Standard).step(Grade::Standard, None, m("2026-03"), 95.0, &rules).unwrap().standing;
        assert!(matches!(s.step(Grade::Standard, None, m("2026-03"), 95.0, &rules), Err(DomainError::Conflict { .. })));
        let down = s.step(Grade::Standard, None, m("2026-04"), 50.0, &rules).unwrap();
        assert_eq!(down.standing.grade, Grade::Substandard);
    }

    #[test]
    fn new_alleys_are_checked_as_back_alley_points() {
        let line = vec![GeoPoint { lat: 39.93, lon: 116.41 }, GeoPoint { lat: 39.93, lon: 116.412 }];
        let new = |code: &str, name: &str, line: Vec<GeoPoint>| NewAlley {
            code: code.into(),
            name: name.into(),
            line,
            community: Some("  ".into()),
            grade: Grade::Fine,
            unit: None,
            four: FourHaves { chief: Some(" 张三 ".into()), stewards: vec!["".into(), "李四".into()], council: None, compact: None },
            title_named_in: None,
        };
        let (point, rest) = new("DC-001", "东四三条", line.clone()).validate(|_| true).unwrap();
        assert_eq!(point.point_type, PointType::BackAlley);
        assert_eq!(rest.community, None);
        assert_eq!(rest.four.count(), 2);
        assert_eq!(rest.four.stewards, vec!["李四".to_string()]);
        assert!((rest.length_m - 170.8).abs() < 1.0, "{}", rest.length_m);
        assert!(new("DC-001", " ", line.clone()).validate(|_| true).is_err());
        assert!(new("DC 001", "x", line.clone()).validate(|_| true).is_err());
        assert!(new("DC-001", "x", vec![line[0]]).validate(|_| true).is_err());
        assert_eq!(Grade::parse_awarded("优美").unwrap(), Grade::Fine);
        assert!(Grade::parse_awarded("未达标").is_err());
    }

    #[test]
    fn the_quarter_names_its_worst() {
        let rows = vec![("A", Some(80.0)), ("B", Some(70.0)), ("C", None), ("D", Some(70.0))];
        let worst = named_worst(&rows, |r| r.1, |r| r.0, 2);
        assert_eq!(worst, vec![("B", Some(70.0)), ("D", Some(70.0))]);
    }
}
