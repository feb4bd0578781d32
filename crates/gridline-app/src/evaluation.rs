//! The evaluation (测评) as a service: the indicator system in force, the point registry, rounds
//! of field checks and their answers — each failed clause filed as a case through
//! [`App::file_case`] — and the scores, rankings and health reports computed from them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use gridline_core::actor::{Actor, Role};
use gridline_core::case::{CaseId, CaseStatus, Channel, GeoPoint, Intake};
use gridline_core::evaluation::round::assign;
use gridline_core::evaluation::score::{Tally, clause_parents, platform_tally, questionnaire_tally, rank};
use gridline_core::evaluation::{
    Answer, Check, Composite, IndicatorSystem, InspectionPoint, Location, Method, NewPoint, NewRound, Outcome, PointType, Rectification, RegionScore, Round, draw,
};
use gridline_core::ids::{CategoryCode, RegionCode};
use gridline_core::period::{Month, Period};
use gridline_core::rates::{RateConfig, Rates};
use gridline_core::region::RegionLevel;
use gridline_geo::{Geography, LatLon};
use gridline_core::{DomainError, FileProblem};
use gridline_core::attachment::{Expect, MAX_FILES_PER_UPLOAD, Stage};
use gridline_core::message::Reason;
use gridline_store::{ClauseTotal, RateLevel, RoundProgress, StoreError, StoredAttachment, SystemRevision, VolumeGrain};
use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use crate::attachments::Upload;
use crate::{App, AppError};

/// The indicator system of a stored revision.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SystemInForce {
    /// The revision's id: rounds keep the one they were scored under.
    pub id: i64,
    pub revision: i64,
    pub system: IndicatorSystem,
}

/// Whether a district or street ranking is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScoreLevel {
    District,
    Street,
}

impl ScoreLevel {
    pub fn parse(text: &str) -> Result<ScoreLevel, AppError> {
        match text {
            "district" => Ok(ScoreLevel::District),
            "street" => Ok(ScoreLevel::Street),
            other => Err(AppError::invalid("level", format!("level is district or street, not {other:?}"))),
        }
    }

    /// The key a street is counted under at this level: its district's six digits or itself.
    pub(crate) fn key(self, street: &str) -> String {
        street[..street.len().min(self.key_len())].to_owned()
    }

    /// How many leading characters of a street's code its key at this level keeps.
    pub(crate) fn key_len(self) -> usize {
        match self {
            ScoreLevel::District => 6,
            ScoreLevel::Street => 12,
        }
    }
}

/// The evaluation ranking of a period.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = EvaluationScores)]
pub struct Scores {
    pub period: Period,
    pub previous_period: Period,
    pub level: ScoreLevel,
    /// The weights of the methods in the composite (the system in force).
    pub weights: gridline_core::evaluation::MethodWeights,
    /// The fewest points checked for a region to be ranked: below it a region is 样本不足.
    pub min_points: u64,
    /// Best first; regions without any score or with too small a sample last.
    pub items: Vec<RegionScore>,
}

/// The fewest points checked in a period for a district or street to be ranked, by default.
pub const MIN_POINTS_CHECKED: u64 = 1;

/// The office's 点评 of a month, for the city (`region` "") or a district or street.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Comment {
    pub month: String,
    pub region: String,
    pub region_name: String,
    pub text: String,
    pub written_at: Timestamp,
}

/// The data of a month's notice (通报): the ranking, the office's 点评 and the interview (约谈)
/// list of the lowest ranked.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EvaluationNotice {
    pub month: Month,
    pub scores: Scores,
    /// The city-wide 点评, then one per region that has one.
    pub comments: Vec<Comment>,
    /// The bottom `bottom` ranked regions (ties at the edge included), lowest first; a region
    /// with too small a sample is never on it.
    pub interview: Vec<RegionScore>,
    pub bottom: usize,
}

/// A clause answered at a point, with the rectification of its failure.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClauseResult {
    pub code: String,
    pub text: String,
    pub observe: Option<String>,
    pub points: f64,
    pub rule: gridline_core::evaluation::ScoringRule,
    pub answer: Option<Check>,
    pub case_status: Option<CaseStatus>,
    /// For a failed clause: where its case stands (cleared once verified and closed).
    pub rectification: Option<Rectification>,
}

/// A field-check answer that lost points, with what it was about: one line of a score's
/// explanation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Finding {
    pub round: i64,
    pub round_name: String,
    /// The month the round counts in (YYYY-MM).
    pub month: String,
    pub point_id: i64,
    pub point_code: String,
    pub point_name: String,
    pub point_type: PointType,
    /// The point's street.
    pub region: String,
    pub region_name: String,
    pub clause: String,
    pub clause_text: String,
    pub outcome: Outcome,
    pub count: Option<u32>,
    pub note: Option<String>,
    pub earned: f64,
    pub possible: f64,
    pub case_id: Option<CaseId>,
    pub rectification: Option<Rectification>,
    pub answered_at: Timestamp,
}

/// The findings behind a district's or street's field-check score over a period.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Findings {
    pub region: String,
    pub name: String,
    pub period: Period,
    /// Points lost and possible over every clause answered there in the period (the field-check
    /// sub-score is earned ÷ possible).
    pub lost: f64,
    pub possible: f64,
    pub items: Vec<Finding>,
    /// More findings than `items` holds ([`FINDINGS_LIMIT`]).
    pub truncated: bool,
}

/// The most findings one answer lists.
pub const FINDINGS_LIMIT: u32 = 1000;

/// A point in a round: its checklist (the clauses of its type) with the answers so far.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PointResult {
    pub round: i64,
    pub point: InspectionPoint,
    pub assignee: i64,
    pub clauses: Vec<ClauseResult>,
    /// 得分率 of the answered clauses, 0–100.
    pub score: Option<f64>,
    pub earned: f64,
    pub possible: f64,
    /// Failures whose case is not yet verified and closed.
    pub open_rectifications: usize,
}

/// A round with its progress.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RoundSummary {
    #[serde(flatten)]
    pub round: Round,
    pub month: Month,
    pub points: i64,
    pub points_answered: i64,
    pub failures: i64,
    pub failures_cleared: i64,
}

impl From<RoundProgress> for RoundSummary {
    fn from(p: RoundProgress) -> Self {
        RoundSummary {
            month: p.round.month(),
            round: p.round,
            points: p.points,
            points_answered: p.points_answered,
            failures: p.failures,
            failures_cleared: p.failures_cleared,
        }
    }
}

/// A drawn point of a round with its evaluator and how many clauses are answered.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssignedPoint {
    pub round: i64,
    pub point: InspectionPoint,
    pub assignee: i64,
    pub answered: i64,
    /// Clauses of the point's checklist.
    pub clauses: usize,
}

/// A score rate of one category or item: the district's, the city's and the best district's.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReportLine {
    pub code: String,
    pub name: String,
    /// Category lines have no parent; item lines name their category.
    pub category: Option<String>,
    pub score: Option<f64>,
    pub city_average: Option<f64>,
    pub best_district: Option<f64>,
}

/// A clause that lost points in the district.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LostClause {
    pub code: String,
    pub text: String,
    pub lost: f64,
    pub possible: f64,
    pub score: Option<f64>,
    /// The catalogue entry its failures are filed under.
    pub case_category: Option<CategoryCode>,
}

/// A point that failed in several rounds.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RepeatFailure {
    pub point: InspectionPoint,
    /// Rounds of the last six months in which it lost points.
    pub rounds_failed: usize,
    pub clauses: Vec<String>,
}

/// Hotline and grid cases of a problem category in the district over the period (the "病因").
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProblemVolume {
    pub category: String,
    pub category_name: Option<String>,
    pub hotline: i64,
    pub grid: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TrendPoint {
    pub month: Month,
    pub score: Option<f64>,
    pub rank: Option<u32>,
    pub city_average: Option<f64>,
}

/// An open rectification: a failed clause whose case is not yet verified and closed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OpenRectification {
    pub check: Check,
    pub point_name: String,
    pub case_status: Option<CaseStatus>,
}

/// 体检报告: a district's evaluation for a period.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HealthReport {
    pub region: String,
    pub name: String,
    pub period: Period,
    /// The district's row of the district ranking.
    pub score: RegionScore,
    pub best_district: Option<RegionScore>,
    pub city_average: Option<f64>,
    pub categories: Vec<ReportLine>,
    pub items: Vec<ReportLine>,
    /// The ten clauses that lost most points.
    pub lost_most: Vec<LostClause>,
    pub repeat_failures: Vec<RepeatFailure>,
    pub problem_volume: Vec<ProblemVolume>,
    /// The district over the six months ending with the period's last.
    pub trend: Vec<TrendPoint>,
    pub open_rectifications: Vec<OpenRectification>,
}

/// The office that keeps the evaluation: indicators, points, rounds.
pub fn require_office(actor: &Actor, what: &str) -> Result<(), AppError> {
    if matches!(actor.role, Role::Admin | Role::Supervisor | Role::Dispatcher) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!("role {} may not {what}", actor.role.as_str())))
    }
}

/// The office sees every round; an evaluator (inspector) only those assigned to them.
fn round_reader(actor: &Actor) -> Result<Option<i64>, AppError> {
    match actor.role {
        Role::Admin | Role::Supervisor | Role::Dispatcher => Ok(None),
        Role::Inspector => Ok(Some(actor.user_id)),
        other => Err(AppError::forbidden(format!("role {} does not take part in field checks", other.as_str()))),
    }
}

/// The columns of a points spreadsheet every file has.
pub const POINT_HEADERS: [&str; 3] = ["编码", "名称", "类型"];
/// The columns a points spreadsheet may have: a place as 纬度 and 经度 (WGS-84), or a road's or
/// alley's line as 线路 (`纬度,经度; 纬度,经度; …`); the responsible unit (code or name); the address.
pub const POINT_OPTIONAL_HEADERS: [&str; 5] = ["纬度", "经度", "线路", "责任单位", "地址"];

/// A spreadsheet row's location: the place (纬度, 经度) or the line (线路), not both.
fn point_location(lat: &str, lon: &str, line: &str) -> Result<Location, Reason> {
    let number = |column: &'static str, text: &str| text.parse::<f64>().map_err(|_| Reason::new("not_a_number").with("column", column).with("value", text));
    match (lat.is_empty() && lon.is_empty(), line.is_empty()) {
        (false, true) => Ok(Location::Point { lat: number("纬度", lat)?, lon: number("经度", lon)? }),
        (true, false) => {
            let points = line
                .split([';', '；'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|pair| match pair.split([',', '，']).map(str::trim).collect::<Vec<_>>()[..] {
                    [lat, lon] => Ok(GeoPoint { lat: number("线路", lat)?, lon: number("线路", lon)? }),
                    _ => Err(Reason::new("not_lat_lon").with("pair", pair)),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Location::Line { points })
        }
        (true, true) => Err(Reason::new("point_no_location")),
        (false, false) => Err(Reason::new("point_two_locations")),
    }
}

/// The spreadsheet column of a refused point's field.
fn point_column(field: &str) -> &str {
    match field {
        "code" => "编码",
        "name" => "名称",
        "point_type" => "类型",
        "location" => "纬度/经度/线路",
        "unit" => "责任单位",
        "address" => "地址",
        other => other,
    }
}

/// How many failed points a health report lists, and lost clauses.
const REPORT_LIST: usize = 10;
const TREND_MONTHS: i32 = 6;

impl App {
    fn parse_system(&self, revision: SystemRevision) -> Result<SystemInForce, AppError> {
        // A stored revision was checked against the catalogue when imported; filing checks each
        // entry again.
        let system = IndicatorSystem::from_toml(&revision.document, |_| true)
            .map_err(|e| AppError::Internal(format!("stored indicator system {} does not read: {e}", revision.id)))?;
        Ok(SystemInForce { id: revision.id, revision: revision.revision, system })
    }

    /// The indicator system in force: the last imported, or the built-in one, recorded as the
    /// first revision on first use.
    pub async fn indicator_system(&self) -> Result<SystemInForce, AppError> {
        if let Some(revision) = self.store.evaluation().current_system().await? {
            return self.parse_system(revision);
        }
        let builtin = IndicatorSystem::builtin();
        match self.store.evaluation().add_system(builtin.year, &builtin.to_toml(), 0, Timestamp::now()).await {
            Ok(revision) => Ok(SystemInForce { id: revision.id, revision: revision.revision, system: builtin }),
            // Another request recorded it first.
            Err(StoreError::Duplicate(_)) => {
                let revision = self.store.evaluation().current_system().await?.ok_or_else(|| AppError::Internal("no indicator system".into()))?;
                self.parse_system(revision)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn system_revision(&self, id: i64) -> Result<SystemInForce, AppError> {
        let revision = self.store.evaluation().system(id).await?.ok_or_else(|| AppError::Internal(format!("indicator system {id} is missing")))?;
        self.parse_system(revision)
    }

    /// Imports an indicator system (TOML) as the next revision of its year; every problem of
    /// the file is reported and nothing is written when there is one.
    pub async fn import_indicators(&self, actor: &Actor, text: &str, now: Timestamp) -> Result<SystemInForce, AppError> {
        require_office(actor, "import indicator systems")?;
        let catalogue = &self.reference().catalogue;
        let system = IndicatorSystem::from_toml(text, |code| catalogue.check_fileable(code).is_ok())?;
        let revision = self.store.evaluation().add_system(system.year, &system.to_toml(), actor.user_id, now).await?;
        tracing::info!(id = revision.id, year = system.year, revision = revision.revision, user = %actor.username, "indicator system imported");
        Ok(SystemInForce { id: revision.id, revision: revision.revision, system })
    }

    /// Registers an inspection point, placed in its street by gridline's locate.
    pub async fn create_point(&self, actor: &Actor, new: NewPoint, now: Timestamp) -> Result<InspectionPoint, AppError> {
        require_office(actor, "register inspection points")?;
        let point = self.placed_point(new)?;
        Ok(self.store.evaluation().create_point(&point, now).await?)
    }

    /// A new point checked and placed in the street its location (a line's half-way point) lies in.
    fn placed_point(&self, new: NewPoint) -> Result<InspectionPoint, AppError> {
        let new = new.validate(|code| self.unit(code).is_some())?;
        let anchor = new.location.anchor();
        let region = Geography::beijing()
            .street_at(LatLon { lat: anchor.lat, lon: anchor.lon })
            .ok_or_else(|| AppError::invalid("location", format!("({}, {}) lies in none of the city's streets", anchor.lat, anchor.lon)))?;
        Ok(InspectionPoint {
            id: 0,
            code: new.code,
            name: new.name,
            point_type: new.point_type,
            location: new.location,
            region: RegionCode::parse(region)?,
            unit: new.unit,
            address: new.address,
        })
    }

    /// Registers the points of an office's spreadsheet (headers [`POINT_HEADERS`], optional
    /// [`POINT_OPTIONAL_HEADERS`]), all or none: every row is checked and placed as
    /// [`App::create_point`] does, a code must be new in the file and in the registry, and every
    /// problem is named with its row; nothing is written while there is one.
    pub async fn import_points(&self, actor: &Actor, file: &str, table: &[Vec<String>], now: Timestamp) -> Result<Vec<InspectionPoint>, AppError> {
        require_office(actor, "register inspection points")?;
        let problems = |found: Vec<FileProblem>| AppError::Domain(DomainError::InvalidFiles(found));
        let (header, rows) = table.split_first().ok_or_else(|| problems(vec![FileProblem::new(file, None, Reason::new("file_empty"))]))?;
        let columns = crate::table::header_columns(file, header, &POINT_HEADERS, &POINT_OPTIONAL_HEADERS)?;
        let units = self.units();
        let mut found = Vec::new();
        let mut seen = HashSet::new();
        let mut ready = Vec::new();
        for (line, record) in crate::table::records(rows, &columns) {
            let cell = |name: &str| record.cell(name);
            let mut problem = |reason: Reason| found.push(FileProblem::new(file, Some(line), reason));
            let Ok(point_type) = PointType::parse(cell("类型")) else {
                let known: Vec<&str> = PointType::ALL.iter().map(|t| t.name_zh()).collect();
                problem(Reason::new("unknown_point_type").with("value", cell("类型")).with("known", known.join("、")));
                continue;
            };
            let location = match point_location(cell("纬度"), cell("经度"), cell("线路")) {
                Ok(location) => location,
                Err(reason) => {
                    problem(reason);
                    continue;
                }
            };
            let unit = match cell("责任单位") {
                "" => None,
                text => match units.iter().find(|u| u.code.as_str() == text || u.name == text) {
                    Some(u) => Some(u.code.clone()),
                    None => {
                        problem(Reason::new("unknown_unit_cell").with("column", "责任单位").with("unit", text));
                        continue;
                    }
                },
            };
            let new = NewPoint { code: cell("编码").to_owned(), name: cell("名称").to_owned(), point_type, location, unit, address: Some(cell("地址").to_owned()) };
            let point = match self.placed_point(new) {
                Ok(point) => point,
                Err(AppError::Domain(err)) => {
                    found.push(match err.field() {
                        Some(field) => FileProblem::of_cell(file, line, point_column(field), &err),
                        None => FileProblem::of_row(file, line, &err),
                    });
                    continue;
                }
                Err(other) => return Err(other),
            };
            if !seen.insert(point.code.clone()) {
                problem(Reason::new("code_twice").with("code", &point.code));
                continue;
            }
            if self.store.evaluation().point_by_code(&point.code).await?.is_some() {
                problem(Reason::new("code_registered").with("code", &point.code));
                continue;
            }
            ready.push(point);
        }
        if !found.is_empty() {
            return Err(problems(found));
        }
        if ready.is_empty() {
            return Err(problems(vec![FileProblem::new(file, None, Reason::new("no_rows"))]));
        }
        let created = self.store.evaluation().create_points(&ready, now).await.map_err(|err| match err {
            StoreError::Duplicate(message) => problems(vec![FileProblem::detailed(file, None, Reason::new("rows_duplicate"), message)]),
            other => other.into(),
        })?;
        tracing::info!(points = created.len(), user = %actor.username, file, "inspection points imported");
        Ok(created)
    }

    /// The points under a region (its code; the city when `None`), of one type or all.
    pub async fn points(&self, region: Option<&str>, point_type: Option<PointType>, limit: u32) -> Result<Vec<InspectionPoint>, AppError> {
        let prefix = match region {
            Some(code) => self.region_prefix(code)?,
            None => String::new(),
        };
        Ok(self.store.evaluation().points(&prefix, point_type, limit).await?)
    }

    /// The code prefix of a region, or a refusal naming the unknown region.
    pub(crate) fn region_prefix(&self, code: &str) -> Result<String, AppError> {
        let region = self.regions.get(code).ok_or_else(|| AppError::invalid("region", format!("unknown region {code:?}")))?;
        Ok(if region.level == RegionLevel::City { String::new() } else { region.code_prefix().to_owned() })
    }

    /// Creates a round: draws its points by the plan from the stored (or a random) seed and
    /// shares them among the evaluators, under the indicator system in force.
    pub async fn create_round(&self, actor: &Actor, new: NewRound, now: Timestamp) -> Result<RoundSummary, AppError> {
        require_office(actor, "create evaluation rounds")?;
        let seed = new.validate(|code| self.regions.get(code).is_some())?.unwrap_or_else(rand::random);
        for &id in &new.evaluators {
            match self.store.people().user(id).await? {
                Some(user) if user.role == Role::Inspector => {}
                Some(user) => {
                    return Err(AppError::invalid("evaluators", format!("user {} is a {}, not an inspector", user.username, user.role.as_str())));
                }
                None => return Err(AppError::invalid("evaluators", format!("no user {id}"))),
            }
        }
        let drawn = draw(&self.store.evaluation().candidates().await?, &new.plan, seed);
        if drawn.is_empty() {
            return Err(AppError::invalid("plan", "no registered point matches the plan's types and regions"));
        }
        let system = self.indicator_system().await?;
        let round = Round {
            id: 0,
            system_id: system.id,
            name: new.name.trim().to_owned(),
            starts: new.starts,
            deadline: new.deadline,
            seed,
            plan: new.plan,
            created_by: actor.user_id,
            created_at: now,
        };
        let assignments = assign(&drawn, &new.evaluators);
        let round = self.store.evaluation().create_round(&round, &assignments).await?;
        tracing::info!(round = round.id, points = drawn.len(), seed, user = %actor.username, "evaluation round created");
        Ok(RoundSummary { month: round.month(), round, points: drawn.len() as i64, points_answered: 0, failures: 0, failures_cleared: 0 })
    }

    /// Rounds newest first: all for the office, an evaluator's own for an inspector.
    pub async fn rounds(&self, actor: &Actor, limit: u32) -> Result<Vec<RoundSummary>, AppError> {
        let assignee = round_reader(actor)?;
        Ok(self.store.evaluation().rounds(assignee, limit).await?.into_iter().map(RoundSummary::from).collect())
    }

    async fn visible_round(&self, actor: &Actor, id: i64) -> Result<(Round, Option<i64>), AppError> {
        let assignee = round_reader(actor)?;
        let round = self.store.evaluation().round(id).await?.ok_or_else(|| AppError::NotFound(format!("round {id} not found")))?;
        if let Some(user) = assignee
            && self.store.evaluation().assignments(id, Some(user)).await?.is_empty()
        {
            return Err(AppError::NotFound(format!("round {id} not found")));
        }
        Ok((round, assignee))
    }

    /// The points of a round: all for the office, the evaluator's own for an inspector.
    pub async fn round_points(&self, actor: &Actor, round: i64) -> Result<Vec<AssignedPoint>, AppError> {
        let (round, assignee) = self.visible_round(actor, round).await?;
        let system = self.system_revision(round.system_id).await?;
        Ok(self
            .store
            .evaluation()
            .assignments(round.id, assignee)
            .await?
            .into_iter()
            .map(|a| AssignedPoint {
                clauses: system.system.checklist(a.point.point_type).count(),
                round: a.round,
                assignee: a.assignee,
                answered: a.answered,
                point: a.point,
            })
            .collect())
    }

    /// A round's point: its checklist with the answers and their rectifications.
    pub async fn point_result(&self, actor: &Actor, round: i64, point: i64) -> Result<PointResult, AppError> {
        let (round, reader) = self.visible_round(actor, round).await?;
        let assignee = self.store.evaluation().assignee(round.id, point).await?;
        let assignee = match (assignee, reader) {
            (Some(a), Some(user)) if a != user => None,
            (a, _) => a,
        }
        .ok_or_else(|| AppError::NotFound(format!("point {point} is not among the points of round {}", round.id)))?;
        let system = self.system_revision(round.system_id).await?;
        let point = self.store.evaluation().point(point).await?.ok_or_else(|| AppError::NotFound(format!("point {point} not found")))?;
        let mut answers: HashMap<String, (Check, Option<CaseStatus>)> =
            self.store.evaluation().answers(round.id, point.id).await?.into_iter().map(|(c, s)| (c.answer.clause.clone(), (c, s))).collect();
        let mut tally = Tally::default();
        let mut open = 0;
        let clauses = system
            .system
            .checklist(point.point_type)
            .map(|placed| {
                let clause = placed.clause;
                let (answer, case_status) = answers.remove(&clause.code).map_or((None, None), |(c, s)| (Some(c), s));
                if let Some(earned) = answer.as_ref().and_then(|a| a.earned) {
                    tally.add(earned, clause.points);
                }
                let failed = answer.as_ref().is_some_and(|a| a.answer.outcome == Outcome::Fail);
                let rectification = failed.then(|| case_status.map_or(Rectification::Open, Rectification::of));
                if rectification.is_some_and(|r| !r.is_cleared() && r != Rectification::Dropped) {
                    open += 1;
                }
                ClauseResult {
                    code: clause.code.clone(),
                    text: clause.text.clone(),
                    observe: clause.observe.clone(),
                    points: clause.points,
                    rule: clause.rule,
                    answer,
                    case_status,
                    rectification,
                }
            })
            .collect();
        Ok(PointResult {
            round: round.id,
            assignee,
            clauses,
            score: tally.rate(),
            earned: tally.earned,
            possible: tally.possible,
            open_rectifications: open,
            point,
        })
    }

    /// The round, if `point` is assigned to `actor` in it (an administrator answers any) and the
    /// round is still open.
    pub async fn answerable_round(&self, actor: &Actor, round: i64, point: i64, now: Timestamp) -> Result<Round, AppError> {
        let round = self.store.evaluation().round(round).await?.ok_or_else(|| AppError::NotFound(format!("round {round} not found")))?;
        match self.store.evaluation().assignee(round.id, point).await? {
            Some(a) if a == actor.user_id => {}
            Some(_) if actor.role == Role::Admin => {}
            _ => return Err(AppError::NotFound(format!("point {point} is not assigned to you in round {}", round.id))),
        }
        if !round.is_open(now) {
            return Err(AppError::Conflict(format!("round {} closed at its deadline {}", round.id, round.deadline)));
        }
        Ok(round)
    }

    /// Records an evaluator's answers at a round's point. Each is checked against its clause
    /// (refused when the clause does not apply to the point's type); each failure is filed as
    /// a case (channel inspection, the clause's catalogue entry, the point's location); then all
    /// are stored at once. Sending the same answers again changes nothing; a different answer
    /// to a clause already answered is a conflict. Photos are the evaluator's own uploads
    /// ([`App::store_check_photos`]).
    pub async fn submit_answers(&self, actor: &Actor, round: i64, point: i64, answers: Vec<Answer>, now: Timestamp) -> Result<PointResult, AppError> {
        let round = self.answerable_round(actor, round, point, now).await?;
        if answers.is_empty() {
            return Err(AppError::invalid("answers", "no answer given"));
        }
        for id in answers.iter().flat_map(|a| &a.photos) {
            match self.store.attachments().get(*id).await? {
                Some(photo) if photo.uploaded_by == actor.user_id && photo.media.is_image() => {}
                _ => return Err(AppError::Domain(DomainError::Refused(Reason::new("photo_not_uploaded").on("photos").with("id", id)))),
            }
        }
        let system = self.system_revision(round.system_id).await?;
        let point = self.store.evaluation().point(point).await?.ok_or_else(|| AppError::NotFound(format!("point {point} not found")))?;
        let existing: HashMap<String, Check> =
            self.store.evaluation().answers(round.id, point.id).await?.into_iter().map(|(c, _)| (c.answer.clause.clone(), c)).collect();
        let mut seen = BTreeSet::new();
        let mut fresh = Vec::new();
        for answer in answers {
            if !seen.insert(answer.clause.clone()) {
                return Err(AppError::invalid("answers", format!("clause {} is answered twice", answer.clause)));
            }
            let placed = system.system.clause(&answer.clause).ok_or_else(|| AppError::invalid("clause", format!("unknown clause {:?}", answer.clause)))?;
            let scored = answer.score(placed.clause, point.point_type)?;
            match existing.get(&scored.answer.clause) {
                Some(before) if before.same_answer(&scored.answer) => {}
                Some(_) => {
                    return Err(AppError::Conflict(format!("clause {} at this point was answered before, differently", scored.answer.clause)));
                }
                None => fresh.push((placed.clause.clone(), scored)),
            }
        }
        let mut checks = Vec::with_capacity(fresh.len());
        for (clause, scored) in fresh {
            let case_id = match scored.answer.outcome {
                Outcome::Fail => {
                    let case = self.file_finding(actor, &round, &point, &clause, &scored.answer, now).await?;
                    if !scored.answer.photos.is_empty() {
                        self.store.attachments().add_to_case(case, &scored.answer.photos, Stage::Intake, actor.user_id, now).await?;
                    }
                    Some(case)
                }
                _ => None,
            };
            checks.push(Check {
                round: round.id,
                point: point.id,
                answer: scored.answer,
                earned: scored.earned,
                possible: scored.possible,
                case_id,
                answered_by: actor.user_id,
                answered_at: now,
            });
        }
        if !checks.is_empty() {
            // Two submissions may cross: the loser's cases are the winner's (same external ids).
            match self.store.evaluation().record_answers(&checks).await {
                Ok(()) | Err(StoreError::Duplicate(_)) => {}
                Err(e) => return Err(e.into()),
            }
            tracing::debug!(round = round.id, point = point.id, answers = checks.len(), user = %actor.username, "field check answered");
        }
        self.point_result(actor, round.id, point.id).await
    }

    /// Keeps photos an evaluator took at a point assigned to them in an open round; their ids go
    /// into the answers' `photos` (a failed clause's case carries them).
    pub async fn store_check_photos(&self, actor: &Actor, round: i64, point: i64, uploads: Vec<Upload>, now: Timestamp) -> Result<Vec<StoredAttachment>, AppError> {
        let round = self.answerable_round(actor, round, point, now).await?;
        if uploads.is_empty() {
            return Err(AppError::Domain(DomainError::Refused(Reason::new("required").on("photo"))));
        }
        if uploads.len() > MAX_FILES_PER_UPLOAD {
            return Err(AppError::Domain(DomainError::Refused(Reason::new("too_many_files").with("max", MAX_FILES_PER_UPLOAD))));
        }
        let mut stored = Vec::with_capacity(uploads.len());
        for upload in uploads {
            stored.push(self.store_attachment(Upload { expect: Expect::Photo, ..upload }, actor, now).await?);
        }
        tracing::debug!(round = round.id, point, photos = stored.len(), user = %actor.username, "field check photos kept");
        Ok(stored)
    }

    /// Whether `actor` may see the field check that carries photo `attachment`: the office, or
    /// the evaluator the point was assigned to.
    pub(crate) async fn sees_check_photo(&self, actor: &Actor, attachment: i64) -> Result<bool, AppError> {
        let Ok(reader) = round_reader(actor) else { return Ok(false) };
        for (round, point) in self.store.evaluation().checks_with_photo(attachment).await? {
            if reader.is_none() || self.store.evaluation().assignee(round, point).await? == reader {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Files a failed clause as a case; the same finding filed again returns its case.
    async fn file_finding(
        &self,
        actor: &Actor,
        round: &Round,
        point: &InspectionPoint,
        clause: &gridline_core::evaluation::Clause,
        answer: &Answer,
        now: Timestamp,
    ) -> Result<CaseId, AppError> {
        let category = clause.case_category.clone().ok_or_else(|| AppError::Internal(format!("field check {} has no case category", clause.code)))?;
        let version = self.reference().catalogue.check_fileable(&category)?.version;
        let found = answer.count.map(|n| format!("，发现 {n} 处")).unwrap_or_default();
        let note = answer.note.as_deref().map(|n| format!("。{n}")).unwrap_or_default();
        let intake = Intake {
            channel: Channel::Inspection,
            external_id: Some(format!("evaluation:{}:{}:{}", round.id, point.id, clause.code)),
            category: Some(category),
            category_version: Some(version),
            source: None,
            emergency: false,
            region: Some(point.region.clone()),
            title: format!("测评发现：{}", clause.text).chars().take(200).collect(),
            description: format!("{}，点位 {}（{}）：{}不达标{found}{note}", round.name, point.name, point.point_type.name_zh(), clause.text),
            address: point.address.clone().or_else(|| Some(point.name.clone())),
            location: Some(answer.position.unwrap_or_else(|| point.location.anchor())),
            reporter: None,
            photos: vec![],
            suggestion: None,
        };
        Ok(self.file_case(intake, actor, now).await?.case.id)
    }

    /// The composite per district or street over `period`, unranked: field checks pooled,
    /// questionnaires and material reviews by their clauses, platform data from the rates,
    /// weighted by the system in force.
    async fn region_scores(&self, period: Period, level: ScoreLevel, system: &IndicatorSystem, min_points: u64) -> Result<Vec<RegionScore>, AppError> {
        let mut field: HashMap<String, Tally> = HashMap::new();
        let mut checked: HashMap<String, u64> = HashMap::new();
        let mut answers: HashMap<String, u64> = HashMap::new();
        for street in self.store.evaluation().street_totals(period).await? {
            let key = level.key(&street.region);
            field.entry(key.clone()).or_default().add(street.earned, street.possible);
            // A point lies in one street: a district's points are its streets' together.
            *checked.entry(key.clone()).or_default() += street.points as u64;
            *answers.entry(key).or_default() += street.answers as u64;
        }
        let questionnaires = self.questionnaire_values(period, level).await?;
        let material = self.material_tallies(period, level).await?;
        let rate_level = match level {
            ScoreLevel::District => RateLevel::District,
            ScoreLevel::Street => RateLevel::Street,
        };
        let counts = self.store.rollups().rate_counts(period, rate_level, None).await?;
        let config = RateConfig::default();
        let region_level = match level {
            ScoreLevel::District => RegionLevel::District,
            ScoreLevel::Street => RegionLevel::Street,
        };
        Ok(self
            .regions
            .at_level(region_level)
            .map(|region| {
                let key = level.key(&region.code);
                let platform = counts.get(&key).map(|c| platform_tally(system, &Rates::of(c, &config))).and_then(|t| t.rate());
                let questionnaire = questionnaires.get(&key).map(|values| questionnaire_tally(system, values)).and_then(|t| t.rate());
                let composite = Composite::of(
                    &system.weights,
                    &[
                        (Method::FieldCheck, field.get(&key).and_then(Tally::rate)),
                        (Method::Questionnaire, questionnaire),
                        (Method::MaterialReview, material.get(&key).and_then(Tally::rate)),
                        (Method::PlatformData, platform),
                    ],
                );
                let mut row = RegionScore::new(
                    region.code.clone(),
                    region.name.clone(),
                    composite,
                    answers.get(&key).copied().unwrap_or(0),
                    checked.get(&key).copied().unwrap_or(0),
                );
                row.insufficient_sample = row.points_checked < min_points;
                row
            })
            .collect())
    }

    /// The evaluation ranking of `period` with the movement since the period before; a region
    /// needs [`MIN_POINTS_CHECKED`] points checked to be ranked.
    pub async fn evaluation_scores(&self, period: Period, level: ScoreLevel) -> Result<Scores, AppError> {
        self.evaluation_scores_with(period, level, MIN_POINTS_CHECKED).await
    }

    /// The ranking with a region's minimum sample: fewer points checked is 样本不足, not ranked.
    pub async fn evaluation_scores_with(&self, period: Period, level: ScoreLevel, min_points: u64) -> Result<Scores, AppError> {
        let system = self.indicator_system().await?.system;
        let previous = period.previous();
        let (now, before) =
            futures_util::future::try_join(self.region_scores(period, level, &system, min_points), self.region_scores(previous, level, &system, min_points)).await?;
        let items = rank(now, &before);
        Ok(Scores { period, previous_period: previous, level, weights: system.weights, min_points, items })
    }

    /// Writes the office's 点评 of a month for the city (no region) or a district or street.
    pub async fn put_evaluation_comment(&self, actor: &Actor, month: Month, region: Option<&str>, text: &str, now: Timestamp) -> Result<Comment, AppError> {
        require_office(actor, "write the month's 点评")?;
        let region = match region {
            Some(code) => {
                let r = self.regions.get(code).filter(|r| matches!(r.level, RegionLevel::District | RegionLevel::Street));
                r.ok_or_else(|| AppError::invalid("region", format!("{code:?} is not a district's or street's code")))?.code.clone()
            }
            None => String::new(),
        };
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 5000 {
            return Err(AppError::invalid("text", "the 点评 is 1–5000 characters"));
        }
        self.store.questionnaires().put_comment(&month.to_string(), &region, text, actor.user_id, now).await?;
        Ok(Comment { month: month.to_string(), region_name: self.regions.get(&region).map(|r| r.name.clone()).unwrap_or_default(), region, text: text.to_owned(), written_at: now })
    }

    /// The data of a month's notice: ranking, 点评 and the interview list of the bottom `bottom`.
    pub async fn evaluation_notice(&self, month: Month, level: ScoreLevel, bottom: usize, min_points: u64) -> Result<EvaluationNotice, AppError> {
        let scores = self.evaluation_scores_with(Period::month(month), level, min_points).await?;
        let comments = self
            .store
            .questionnaires()
            .comments(&month.to_string())
            .await?
            .into_iter()
            .map(|c| {
                Ok(Comment {
                    region_name: self.regions.get(&c.region).map(|r| r.name.clone()).unwrap_or_default(),
                    month: c.month,
                    region: c.region,
                    text: c.text,
                    written_at: Timestamp::from_millisecond(c.written_at).map_err(|e| AppError::Internal(e.to_string()))?,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let mut ranked: Vec<&RegionScore> = scores.items.iter().filter(|r| r.rank.is_some()).collect();
        ranked.sort_by(|a, b| b.rank.cmp(&a.rank).then_with(|| a.code.cmp(&b.code)));
        let edge = ranked.get(bottom.saturating_sub(1)).and_then(|r| r.rank);
        let interview = match edge {
            Some(edge) if bottom > 0 => ranked.into_iter().filter(|r| r.rank >= Some(edge)).cloned().collect(),
            _ if bottom > 0 => ranked.into_iter().cloned().collect(),
            _ => vec![],
        };
        Ok(EvaluationNotice { month, scores, comments, interview, bottom })
    }

    /// The findings behind the field-check score of a district or street over `period`: every
    /// answer that lost points there, with its point, clause, case and rectification.
    pub async fn evaluation_findings(&self, region: &str, period: Period) -> Result<Findings, AppError> {
        let area = self.regions.get(region).filter(|r| matches!(r.level, RegionLevel::District | RegionLevel::Street)).ok_or_else(|| {
            AppError::invalid("region", format!("{region:?} is not a district's or street's code"))
        })?;
        let prefix = area.code_prefix().to_owned();
        let (mut earned, mut possible) = (0.0, 0.0);
        for street in self.store.evaluation().street_totals(period).await?.into_iter().filter(|s| s.region.starts_with(&prefix)) {
            earned += street.earned;
            possible += street.possible;
        }
        let answers = self.store.evaluation().findings(period, &prefix, FINDINGS_LIMIT + 1).await?;
        let truncated = answers.len() > FINDINGS_LIMIT as usize;
        let (mut rounds, mut points, mut systems): (HashMap<i64, Round>, HashMap<i64, InspectionPoint>, HashMap<i64, IndicatorSystem>) = Default::default();
        let mut items = Vec::with_capacity(answers.len().min(FINDINGS_LIMIT as usize));
        for (check, case_status) in answers.into_iter().take(FINDINGS_LIMIT as usize) {
            if !rounds.contains_key(&check.round) {
                let round = self.store.evaluation().round(check.round).await?.ok_or_else(|| AppError::Internal(format!("round {} is gone", check.round)))?;
                if !systems.contains_key(&round.system_id) {
                    systems.insert(round.system_id, self.system_revision(round.system_id).await?.system);
                }
                rounds.insert(check.round, round);
            }
            if !points.contains_key(&check.point) {
                let point = self.store.evaluation().point(check.point).await?.ok_or_else(|| AppError::Internal(format!("point {} is gone", check.point)))?;
                points.insert(check.point, point);
            }
            let (round, point) = (&rounds[&check.round], &points[&check.point]);
            let clause_text = systems[&round.system_id].clause(&check.answer.clause).map(|p| p.clause.text.clone()).unwrap_or_default();
            items.push(Finding {
                round: round.id,
                round_name: round.name.clone(),
                month: round.month().to_string(),
                point_id: point.id,
                point_code: point.code.clone(),
                point_name: point.name.clone(),
                point_type: point.point_type,
                region: point.region.to_string(),
                region_name: self.region_name(point.region.as_str()),
                clause: check.answer.clause.clone(),
                clause_text,
                outcome: check.answer.outcome,
                count: check.answer.count,
                note: check.answer.note.clone(),
                earned: check.earned.unwrap_or(0.0),
                possible: check.possible,
                rectification: (check.answer.outcome == Outcome::Fail).then(|| case_status.map_or(Rectification::Open, Rectification::of)),
                case_id: check.case_id,
                answered_at: check.answered_at,
            });
        }
        Ok(Findings { region: area.code.clone(), name: area.name.clone(), period, lost: possible - earned, possible, items, truncated })
    }

    /// 体检报告 of a district for a period.
    pub async fn health_report(&self, region: &str, period: Period) -> Result<HealthReport, AppError> {
        let district = self.regions.get(region).filter(|r| r.level == RegionLevel::District).ok_or_else(|| {
            AppError::invalid("region", format!("{region:?} is not a district's code (a health report is a district's)"))
        })?;
        let prefix = district.code_prefix().to_owned();
        let system = self.indicator_system().await?.system;
        let ranking = self.evaluation_scores(period, ScoreLevel::District).await?;
        let score = ranking.items.iter().find(|r| r.code == district.code).cloned().ok_or_else(|| AppError::Internal("district missing from its ranking".into()))?;
        let best = ranking.items.first().filter(|r| r.rank == Some(1)).cloned();
        let ranked: Vec<f64> = ranking.items.iter().filter_map(|r| r.score).collect();
        let city_average = (!ranked.is_empty()).then(|| ranked.iter().sum::<f64>() / ranked.len() as f64);

        // Category and item lines, each tally mapped through the revision it was scored under.
        // Field checks' and material reviews' clauses alike.
        let mut totals = self.store.evaluation().district_clause_totals(period).await?;
        totals.extend(self.material_clause_totals(period).await?);
        let systems = self.systems_of(totals.iter().map(|t| t.system_id)).await?;
        let parents: HashMap<i64, HashMap<&str, (&str, &str)>> = systems.iter().map(|(id, s)| (*id, clause_parents(s))).collect();
        let parent = |t: &ClauseTotal| parents.get(&t.system_id).and_then(|p| p.get(t.clause.as_str())).copied();
        let best_prefix = best.as_ref().map(|b| b.code[..6].to_owned());
        // Tallies of the district, the city and the best district, by item or category code.
        let sums = |item: bool, inside: &dyn Fn(&ClauseTotal) -> bool| {
            let mut out: BTreeMap<String, Tally> = BTreeMap::new();
            for t in totals.iter().filter(|t| inside(t)) {
                if let Some((i, c)) = parent(t) {
                    out.entry(if item { i } else { c }.to_owned()).or_default().add(t.earned, t.possible);
                }
            }
            out
        };
        let mut lines = Vec::new();
        for item in [false, true] {
            let mine = sums(item, &|t| t.region.starts_with(&prefix));
            let city = sums(item, &|_| true);
            let top = sums(item, &|t| best_prefix.as_deref().is_some_and(|b| t.region.starts_with(b)));
            for category in &system.categories {
                let entries: Vec<(&str, &str, Option<String>)> = if item {
                    category.items.iter().map(|i| (i.code.as_str(), i.name.as_str(), Some(category.code.clone()))).collect()
                } else {
                    vec![(category.code.as_str(), category.name.as_str(), None)]
                };
                for (code, name, category) in entries.into_iter().filter(|(code, _, _)| city.contains_key(*code)) {
                    lines.push((item, ReportLine {
                        score: mine.get(code).and_then(Tally::rate),
                        city_average: city.get(code).and_then(Tally::rate),
                        best_district: top.get(code).and_then(Tally::rate),
                        code: code.to_owned(),
                        name: name.to_owned(),
                        category,
                    }));
                }
            }
        }
        let (items, categories): (Vec<_>, Vec<_>) = lines.into_iter().partition(|(is_item, _)| *is_item);

        // The clauses that lost most.
        let mut by_clause: BTreeMap<String, Tally> = BTreeMap::new();
        for t in totals.iter().filter(|t| t.region.starts_with(&prefix)) {
            by_clause.entry(t.clause.clone()).or_default().add(t.earned, t.possible);
        }
        let mut lost: Vec<LostClause> = by_clause
            .into_iter()
            .filter(|(_, t)| t.lost() > 1e-9)
            .map(|(code, t)| {
                let clause = system.clause(&code).map(|p| p.clause);
                LostClause {
                    text: clause.map(|c| c.text.clone()).unwrap_or_default(),
                    case_category: clause.and_then(|c| c.case_category.clone()),
                    lost: t.lost(),
                    possible: t.possible,
                    score: t.rate(),
                    code,
                }
            })
            .collect();
        lost.sort_by(|a, b| b.lost.total_cmp(&a.lost).then_with(|| a.code.cmp(&b.code)));

        // Points failing again and again over the last six months: the most rounds failed first
        // (then by registration), the first ten looked up.
        let six = Period::new(period.last.plus(1 - TREND_MONTHS), period.last)?;
        let mut failing: BTreeMap<i64, (BTreeSet<i64>, BTreeSet<String>)> = BTreeMap::new();
        for (round, point, clause) in self.store.evaluation().failures(six, &prefix).await? {
            let entry = failing.entry(point).or_default();
            entry.0.insert(round);
            entry.1.insert(clause);
        }
        let mut repeated: Vec<(i64, BTreeSet<i64>, BTreeSet<String>)> =
            failing.into_iter().filter(|(_, (rounds, _))| rounds.len() >= 2).map(|(p, (r, c))| (p, r, c)).collect();
        repeated.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        let mut repeat_failures = Vec::new();
        for (point, rounds, clauses) in repeated.into_iter().take(REPORT_LIST) {
            if let Some(point) = self.store.evaluation().point(point).await? {
                repeat_failures.push(RepeatFailure { point, rounds_failed: rounds.len(), clauses: clauses.into_iter().collect() });
            }
        }

        // The hotline and grid volume of the problems the district lost points on.
        let categories_lost: BTreeSet<String> = lost.iter().filter_map(|l| l.case_category.clone().map(String::from)).collect();
        let mut volume: BTreeMap<String, (i64, i64)> = categories_lost.iter().map(|c| (c.clone(), (0, 0))).collect();
        for (channel, hotline) in [(Channel::Hotline, true), (Channel::Grid, false)] {
            for row in self.store.rollups().volume(period.first, period.last, Some(&prefix), Some(channel), VolumeGrain::Category).await? {
                if let Some(v) = volume.get_mut(&row.category) {
                    if hotline { v.0 += row.count } else { v.1 += row.count }
                }
            }
        }
        let catalogue = &self.reference().catalogue;
        let problem_volume = volume
            .into_iter()
            .map(|(category, (hotline, grid))| ProblemVolume { category_name: catalogue.get(&category).map(|e| e.name.clone()), category, hotline, grid })
            .collect();
        lost.truncate(REPORT_LIST);

        // The six months' rankings read side by side (each is a handful of summed queries).
        let months: Vec<Month> = six.months().collect();
        let rankings = futures_util::future::try_join_all(months.iter().map(|month| self.region_scores(Period::month(*month), ScoreLevel::District, &system, MIN_POINTS_CHECKED))).await?;
        let mut trend = Vec::new();
        for (month, scores) in months.into_iter().zip(rankings) {
            // Ranked as the month's ranking ranks (its movement is not needed here).
            let ranking = rank(scores, &[]);
            let scores: Vec<f64> = ranking.iter().filter_map(|r| r.score).collect();
            let row = ranking.iter().find(|r| r.code == district.code);
            trend.push(TrendPoint {
                month,
                score: row.and_then(|r| r.score),
                rank: row.and_then(|r| r.rank),
                city_average: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
            });
        }

        let mut open_rectifications = Vec::new();
        let mut names: HashMap<i64, String> = HashMap::new();
        for (check, case_status) in self.store.evaluation().open_rectifications(&prefix, 100).await? {
            if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(check.point) {
                slot.insert(self.store.evaluation().point(check.point).await?.map(|p| p.name).unwrap_or_default());
            }
            open_rectifications.push(OpenRectification { point_name: names[&check.point].clone(), check, case_status });
        }

        Ok(HealthReport {
            region: district.code.clone(),
            name: district.name.clone(),
            period,
            score,
            best_district: best,
            city_average,
            categories: categories.into_iter().map(|(_, l)| l).collect(),
            items: items.into_iter().map(|(_, l)| l).collect(),
            lost_most: lost,
            repeat_failures,
            problem_volume,
            trend,
            open_rectifications,
        })
    }

    /// The indicator systems of these revision ids.
    async fn systems_of(&self, ids: impl Iterator<Item = i64>) -> Result<HashMap<i64, IndicatorSystem>, AppError> {
        let mut out = HashMap::new();
        for id in ids.collect::<BTreeSet<_>>() {
            out.insert(id, self.system_revision(id).await?.system);
        }
        Ok(out)
    }
}

