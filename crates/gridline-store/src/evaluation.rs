//! The evaluation (测评) and the point-and-checklist mechanism: indicator-system revisions,
//! inspection points, rounds with their drawn points and evaluators, and the answers.
//! `store.evaluation()`.

use gridline_core::case::{CaseStatus, GeoPoint};
use gridline_core::evaluation::score::CheckResult;
use gridline_core::evaluation::{Answer, Candidate, Check, InspectionPoint, Location, Outcome, PointType, Round, SamplingPlan};
use gridline_core::ids::{RegionCode, UnitCode};
use gridline_core::period::Period;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{AssertSqlSafe, FromRow};

use crate::nullable::NullableDouble;
use crate::rollups::prefix_range;
use crate::{Store, StoreError, as_stored, from_millis, is_unique_violation, millis};

/// An indicator-system revision as stored: its TOML document, parsed by the caller.
#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct SystemRevision {
    pub id: i64,
    pub year: i64,
    pub revision: i64,
    pub document: String,
    pub created_at: i64,
}

#[derive(FromRow)]
struct PointRow {
    id: i64,
    code: String,
    name: String,
    point_type: String,
    region: String,
    location: String,
    unit: Option<String>,
    address: Option<String>,
}

impl TryFrom<PointRow> for InspectionPoint {
    type Error = StoreError;

    fn try_from(row: PointRow) -> Result<Self, StoreError> {
        let id = row.id;
        Ok(InspectionPoint {
            id,
            code: row.code,
            name: row.name,
            point_type: PointType::parse(&row.point_type).map_err(|e| StoreError::corrupt(format!("point {id}: {e}")))?,
            location: serde_json::from_str::<Location>(&row.location).map_err(|e| StoreError::corrupt(format!("point {id}: {e}")))?,
            region: RegionCode::try_from(row.region).map_err(StoreError::corrupt)?,
            unit: row.unit.map(UnitCode::try_from).transpose().map_err(StoreError::corrupt)?,
            address: row.address,
        })
    }
}

const POINT_COLUMNS: &str = "id, code, name, point_type, region, location, unit, address";

#[derive(FromRow)]
struct RoundRow {
    id: i64,
    system_id: i64,
    name: String,
    starts: String,
    deadline: i64,
    seed: i64,
    plan: String,
    created_by: i64,
    created_at: i64,
}

impl TryFrom<RoundRow> for Round {
    type Error = StoreError;

    fn try_from(row: RoundRow) -> Result<Self, StoreError> {
        let id = row.id;
        let corrupt = |e: String| StoreError::corrupt(format!("round {id}: {e}"));
        Ok(Round {
            id,
            system_id: row.system_id,
            name: row.name,
            starts: row.starts.parse::<Date>().map_err(|e| corrupt(e.to_string()))?,
            deadline: from_millis(row.deadline)?,
            // The u64 seed is kept in a signed column bit for bit.
            seed: row.seed as u64,
            plan: serde_json::from_str::<SamplingPlan>(&row.plan).map_err(|e| corrupt(e.to_string()))?,
            created_by: row.created_by,
            created_at: from_millis(row.created_at)?,
        })
    }
}

const ROUND_COLUMNS: &str = "id, system_id, name, starts, deadline, seed, plan, created_by, created_at";

/// A round with how far its evaluators have come.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundProgress {
    pub round: Round,
    pub points: i64,
    /// Points with at least one answer.
    pub points_answered: i64,
    pub failures: i64,
    /// Failures whose case is verified and closed.
    pub failures_cleared: i64,
}

#[derive(FromRow)]
struct RoundProgressRow {
    #[sqlx(flatten)]
    round: RoundRow,
    points: i64,
    points_answered: i64,
    failures: i64,
    failures_cleared: i64,
}

/// A point drawn in a round, with its evaluator and how many clauses are answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub round: i64,
    pub point: InspectionPoint,
    pub assignee: i64,
    pub answered: i64,
}

#[derive(FromRow)]
struct AssignmentRow {
    round_id: i64,
    assignee: i64,
    answered: i64,
    #[sqlx(flatten)]
    point: PointRow,
}

#[derive(FromRow)]
struct AnswerRow {
    round_id: i64,
    point_id: i64,
    clause: String,
    outcome: String,
    found: Option<i64>,
    earned: Option<f64>,
    possible: f64,
    note: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    case_id: Option<i64>,
    answered_by: i64,
    answered_at: i64,
    case_status: Option<String>,
}

impl TryFrom<AnswerRow> for (Check, Option<CaseStatus>) {
    type Error = StoreError;

    fn try_from(row: AnswerRow) -> Result<Self, StoreError> {
        let at = format!("answer {}/{}/{}", row.round_id, row.point_id, row.clause);
        let outcome = Outcome::parse(&row.outcome).ok_or_else(|| StoreError::corrupt(format!("{at}: outcome {:?}", row.outcome)))?;
        let status = row
            .case_status
            .as_deref()
            .map(|s| CaseStatus::parse(s).ok_or_else(|| StoreError::corrupt(format!("{at}: case status {s:?}"))))
            .transpose()?;
        let check = Check {
            round: row.round_id,
            point: row.point_id,
            answer: Answer {
                clause: row.clause,
                outcome,
                count: row.found.map(|n| u32::try_from(n).map_err(|_| StoreError::corrupt(format!("{at}: count {n}")))).transpose()?,
                note: row.note,
                position: row.lat.zip(row.lon).map(|(lat, lon)| GeoPoint { lat, lon }),
            },
            earned: row.earned,
            possible: row.possible,
            case_id: row.case_id.map(crate::cases::case_id).transpose()?,
            answered_by: row.answered_by,
            answered_at: from_millis(row.answered_at)?,
        };
        Ok((check, status))
    }
}

const ANSWER_COLUMNS: &str = "a.round_id, a.point_id, a.clause, a.outcome, a.found, a.earned, a.possible, a.note, a.lat, a.lon, \
     a.case_id, a.answered_by, a.answered_at, c.status AS case_status";

/// A scored answer for the roll-ups, with the round's revision and month.
#[derive(Clone, Debug, PartialEq)]
pub struct PeriodResult {
    pub round_id: i64,
    pub system_id: i64,
    pub month: String,
    pub result: CheckResult,
}

impl AsRef<CheckResult> for PeriodResult {
    fn as_ref(&self) -> &CheckResult {
        &self.result
    }
}

#[derive(FromRow)]
struct ResultRow {
    round_id: i64,
    system_id: i64,
    month: String,
    point_id: i64,
    region: String,
    clause: String,
    earned: f64,
    possible: f64,
}

/// The evaluation's tables.
pub struct Evaluation<'a>(&'a Store);

impl Store {
    pub fn evaluation(&self) -> Evaluation<'_> {
        Evaluation(self)
    }
}

impl Evaluation<'_> {
    /// Records an indicator system as the next revision of its year.
    pub async fn add_system(&self, year: i16, document: &str, by: i64, at: Timestamp) -> Result<SystemRevision, StoreError> {
        let mut tx = self.0.pool.begin().await?;
        let revision: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(revision), 0) + 1 AS BIGINT) FROM evaluation_systems WHERE year = $1")
            .bind(i64::from(year))
            .fetch_one(&mut *tx)
            .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO evaluation_systems (year, revision, document, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(i64::from(year))
        .bind(revision)
        .bind(document.to_owned())
        .bind(by)
        .bind(millis(at))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate(format!("revision {revision} of {year} was just imported")) } else { e.into() })?;
        tx.commit().await?;
        Ok(SystemRevision { id, year: i64::from(year), revision, document: document.to_owned(), created_at: millis(at) })
    }

    pub async fn system(&self, id: i64) -> Result<Option<SystemRevision>, StoreError> {
        Ok(sqlx::query_as("SELECT id, year, revision, document, created_at FROM evaluation_systems WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?)
    }

    /// The revision in force: the last imported.
    pub async fn current_system(&self) -> Result<Option<SystemRevision>, StoreError> {
        Ok(sqlx::query_as("SELECT id, year, revision, document, created_at FROM evaluation_systems ORDER BY id DESC LIMIT 1")
            .fetch_optional(&self.0.pool)
            .await?)
    }

    /// Registers a point placed in `region`; `Duplicate` when its code is taken.
    pub async fn create_point(&self, point: &InspectionPoint, at: Timestamp) -> Result<InspectionPoint, StoreError> {
        let anchor = point.location.anchor();
        let id = sqlx::query_scalar(
            "INSERT INTO inspection_points (code, name, point_type, region, location, lat, lon, unit, address, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(point.code.clone())
        .bind(point.name.clone())
        .bind(point.point_type.as_str())
        .bind(point.region.as_str().to_owned())
        .bind(serde_json::to_string(&point.location).map_err(StoreError::corrupt)?)
        .bind(anchor.lat)
        .bind(anchor.lon)
        .bind(point.unit.as_ref().map(|u| u.as_str().to_owned()))
        .bind(point.address.clone())
        .bind(millis(at))
        .fetch_one(&self.0.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate(format!("point code {:?} is taken", point.code)) } else { e.into() })?;
        Ok(InspectionPoint { id, ..point.clone() })
    }

    pub async fn point(&self, id: i64) -> Result<Option<InspectionPoint>, StoreError> {
        let row: Option<PointRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {POINT_COLUMNS} FROM inspection_points WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(InspectionPoint::try_from).transpose()
    }

    /// Points in the streets under `region_prefix` ("" = the city), of one type or all, by code;
    /// at most `limit`.
    pub async fn points(&self, region_prefix: &str, point_type: Option<PointType>, limit: u32) -> Result<Vec<InspectionPoint>, StoreError> {
        let (lo, hi) = prefix_range(region_prefix);
        let rows: Vec<PointRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {POINT_COLUMNS} FROM inspection_points WHERE region >= $1 AND region < $2 AND ($3 = '' OR point_type = $3) \
             ORDER BY code LIMIT {limit}"
        )))
        .bind(lo)
        .bind(hi)
        .bind(point_type.map_or("", PointType::as_str))
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(InspectionPoint::try_from).collect()
    }

    /// Every point as sampling sees it.
    pub async fn candidates(&self) -> Result<Vec<Candidate>, StoreError> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, point_type, region FROM inspection_points").fetch_all(&self.0.pool).await?;
        rows.into_iter()
            .map(|(id, t, region)| {
                Ok(Candidate { id, point_type: PointType::parse(&t).map_err(|e| StoreError::corrupt(format!("point {id}: {e}")))?, region })
            })
            .collect()
    }

    /// Creates a round with its drawn points and their evaluators, in one transaction.
    pub async fn create_round(&self, round: &Round, assignments: &[(i64, i64)]) -> Result<Round, StoreError> {
        let mut tx = self.0.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO evaluation_rounds (system_id, name, starts, month, deadline, seed, plan, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(round.system_id)
        .bind(round.name.clone())
        .bind(round.starts.to_string())
        .bind(round.month().to_string())
        .bind(millis(round.deadline))
        .bind(round.seed as i64)
        .bind(serde_json::to_string(&round.plan).map_err(StoreError::corrupt)?)
        .bind(round.created_by)
        .bind(millis(round.created_at))
        .fetch_one(&mut *tx)
        .await?;
        for (point, assignee) in assignments {
            sqlx::query("INSERT INTO evaluation_assignments (round_id, point_id, assignee) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(*point)
                .bind(*assignee)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Round { id, deadline: as_stored(round.deadline), created_at: as_stored(round.created_at), ..round.clone() })
    }

    pub async fn round(&self, id: i64) -> Result<Option<Round>, StoreError> {
        let row: Option<RoundRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {ROUND_COLUMNS} FROM evaluation_rounds WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(Round::try_from).transpose()
    }

    /// Rounds newest first with their progress; only those with a point assigned to `assignee`
    /// when given. At most `limit`.
    pub async fn rounds(&self, assignee: Option<i64>, limit: u32) -> Result<Vec<RoundProgress>, StoreError> {
        let columns: Vec<String> = ROUND_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect();
        let sql = format!(
            "SELECT {}, \
               (SELECT COUNT(*) FROM evaluation_assignments s WHERE s.round_id = r.id) AS points, \
               (SELECT COUNT(DISTINCT a.point_id) FROM evaluation_answers a WHERE a.round_id = r.id) AS points_answered, \
               (SELECT COUNT(*) FROM evaluation_answers a WHERE a.round_id = r.id AND a.outcome = 'fail') AS failures, \
               (SELECT COUNT(*) FROM evaluation_answers a JOIN cases c ON c.id = a.case_id \
                 WHERE a.round_id = r.id AND a.outcome = 'fail' AND c.status IN ('closed', 'called_back')) AS failures_cleared \
             FROM evaluation_rounds r \
             WHERE ($1 = 0 OR EXISTS (SELECT 1 FROM evaluation_assignments s WHERE s.round_id = r.id AND s.assignee = $1)) \
             ORDER BY r.id DESC LIMIT {limit}",
            columns.join(", ")
        );
        let rows: Vec<RoundProgressRow> = sqlx::query_as(AssertSqlSafe(sql)).bind(assignee.unwrap_or(0)).fetch_all(&self.0.pool).await?;
        rows.into_iter()
            .map(|row| {
                Ok(RoundProgress {
                    round: row.round.try_into()?,
                    points: row.points,
                    points_answered: row.points_answered,
                    failures: row.failures,
                    failures_cleared: row.failures_cleared,
                })
            })
            .collect()
    }

    /// The points of a round (only `assignee`'s when given), by point code.
    pub async fn assignments(&self, round: i64, assignee: Option<i64>) -> Result<Vec<Assignment>, StoreError> {
        let columns: Vec<String> = POINT_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect();
        let sql = format!(
            "SELECT s.round_id, s.assignee, \
               (SELECT COUNT(*) FROM evaluation_answers a WHERE a.round_id = s.round_id AND a.point_id = s.point_id) AS answered, {} \
             FROM evaluation_assignments s JOIN inspection_points p ON p.id = s.point_id \
             WHERE s.round_id = $1 AND ($2 = 0 OR s.assignee = $2) ORDER BY p.code",
            columns.join(", ")
        );
        let rows: Vec<AssignmentRow> = sqlx::query_as(AssertSqlSafe(sql)).bind(round).bind(assignee.unwrap_or(0)).fetch_all(&self.0.pool).await?;
        rows.into_iter()
            .map(|row| Ok(Assignment { round: row.round_id, assignee: row.assignee, answered: row.answered, point: row.point.try_into()? }))
            .collect()
    }

    /// The evaluator a round's point is assigned to; `None` when the round did not draw it.
    pub async fn assignee(&self, round: i64, point: i64) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT assignee FROM evaluation_assignments WHERE round_id = $1 AND point_id = $2")
            .bind(round)
            .bind(point)
            .fetch_optional(&self.0.pool)
            .await?)
    }

    /// The answers of a round at a point, by clause, each with its case's status.
    pub async fn answers(&self, round: i64, point: i64) -> Result<Vec<(Check, Option<CaseStatus>)>, StoreError> {
        let rows: Vec<AnswerRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ANSWER_COLUMNS} FROM evaluation_answers a LEFT JOIN cases c ON c.id = a.case_id \
             WHERE a.round_id = $1 AND a.point_id = $2 ORDER BY a.clause"
        )))
        .bind(round)
        .bind(point)
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Records a point's answers in one transaction; `Duplicate` (and nothing written) when one
    /// of its clauses was answered before.
    pub async fn record_answers(&self, checks: &[Check]) -> Result<(), StoreError> {
        let mut tx = self.0.pool.begin().await?;
        for check in checks {
            let a = &check.answer;
            sqlx::query(
                "INSERT INTO evaluation_answers (round_id, point_id, clause, outcome, found, earned, possible, note, lat, lon, case_id, answered_by, answered_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(check.round)
            .bind(check.point)
            .bind(a.clause.clone())
            .bind(a.outcome.as_str())
            .bind(a.count.map(i64::from))
            .bind(NullableDouble(check.earned))
            .bind(check.possible)
            .bind(a.note.clone())
            .bind(NullableDouble(a.position.map(|p| p.lat)))
            .bind(NullableDouble(a.position.map(|p| p.lon)))
            .bind(check.case_id.map(i64::from))
            .bind(check.answered_by)
            .bind(millis(check.answered_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Duplicate(format!("clause {} at point {} of round {} is answered already", a.clause, check.point, check.round))
                } else {
                    e.into()
                }
            })?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The scored answers (not applicable ones left out) of the rounds counting in `period`, at
    /// points in the streets under `region_prefix` ("" = the city).
    pub async fn results(&self, period: Period, region_prefix: &str) -> Result<Vec<PeriodResult>, StoreError> {
        let (lo, hi) = prefix_range(region_prefix);
        let rows: Vec<ResultRow> = sqlx::query_as(
            "SELECT r.id AS round_id, r.system_id, r.month, a.point_id, p.region, a.clause, a.earned, a.possible \
             FROM evaluation_rounds r JOIN evaluation_answers a ON a.round_id = r.id JOIN inspection_points p ON p.id = a.point_id \
             WHERE r.month >= $1 AND r.month <= $2 AND p.region >= $3 AND p.region < $4 AND a.earned IS NOT NULL",
        )
        .bind(period.first.to_string())
        .bind(period.last.to_string())
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.0.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| PeriodResult {
                round_id: row.round_id,
                system_id: row.system_id,
                month: row.month,
                result: CheckResult { point: row.point_id, region: row.region, clause: row.clause, earned: row.earned, possible: row.possible },
            })
            .collect())
    }

    /// Failed answers under `region_prefix` whose case is not closed yet (open, fixed awaiting
    /// verification, or without a case), oldest first: the open rectifications. At most `limit`.
    pub async fn open_rectifications(&self, region_prefix: &str, limit: u32) -> Result<Vec<(Check, Option<CaseStatus>)>, StoreError> {
        let (lo, hi) = prefix_range(region_prefix);
        let rows: Vec<AnswerRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ANSWER_COLUMNS} FROM evaluation_answers a JOIN inspection_points p ON p.id = a.point_id \
             LEFT JOIN cases c ON c.id = a.case_id \
             WHERE a.outcome = 'fail' AND p.region >= $1 AND p.region < $2 \
               AND (c.status IS NULL OR c.status NOT IN ('closed', 'called_back', 'rejected', 'merged')) \
             ORDER BY a.answered_at, a.round_id, a.point_id, a.clause LIMIT {limit}"
        )))
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}
