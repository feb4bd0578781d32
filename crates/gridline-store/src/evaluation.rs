//! The evaluation (测评) and the point-and-checklist mechanism: indicator-system revisions,
//! inspection points, rounds with their drawn points and evaluators, and the answers.
//! `store.evaluation()`.

use gridline_core::case::{CaseStatus, GeoPoint};
use gridline_core::evaluation::{Answer, Candidate, Check, InspectionPoint, Location, Outcome, PointType, Round, SamplingPlan};
use gridline_core::ids::{RegionCode, UnitCode};
use gridline_core::period::Period;
use jiff::Timestamp;
use jiff::civil::Date;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlx::any::AnyArguments;
use sqlx::{Arguments, AssertSqlSafe, FromRow};

use crate::nullable::NullableDouble;
use crate::rollups::prefix_range;
use crate::{Store, StoreError, as_stored, from_millis, is_unique_violation, millis, row_placeholders};

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
pub(crate) struct PointRow {
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
/// The same columns of `inspection_points p` in a join.
pub(crate) const POINT_COLUMNS_OF_P: &str = "p.id, p.code, p.name, p.point_type, p.region, p.location, p.unit, p.address";

/// Inserts a point (its id ignored) on `conn`, perhaps inside a transaction; returns its id, or
/// `Duplicate` naming the code when it is taken.
pub(crate) async fn insert_point(conn: &mut sqlx::AnyConnection, point: &InspectionPoint, at: Timestamp) -> Result<i64, StoreError> {
    let anchor = point.location.anchor();
    sqlx::query_scalar(
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
    .fetch_one(conn)
    .await
    .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate(format!("point code {:?} is taken", point.code)) } else { e.into() })
}

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
                photos: vec![],
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

/// A street's scored answers over a period.
#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct StreetTotal {
    pub region: String,
    pub answers: i64,
    /// Points with a scored answer.
    pub points: i64,
    pub earned: f64,
    pub possible: f64,
}

/// A street's tally of one clause under one revision over a period.
#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct ClauseTotal {
    pub region: String,
    pub system_id: i64,
    pub clause: String,
    pub earned: f64,
    pub possible: f64,
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
        // One statement: a transaction that read first and wrote second could find its snapshot
        // stale when it wants to write (SQLite answers "database is locked" without waiting).
        let (id, revision): (i64, i64) = sqlx::query_as(
            "INSERT INTO evaluation_systems (year, revision, document, created_by, created_at) \
             SELECT $1, CAST(COALESCE(MAX(revision), 0) + 1 AS BIGINT), $2, $3, $4 FROM evaluation_systems WHERE year = $1 RETURNING id, revision",
        )
        .bind(i64::from(year))
        .bind(document.to_owned())
        .bind(by)
        .bind(millis(at))
        .fetch_one(&self.0.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate(format!("a revision of {year} was just imported")) } else { e.into() })?;
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
        let id = insert_point(&mut *self.0.pool.acquire().await?, point, at).await?;
        Ok(InspectionPoint { id, ..point.clone() })
    }

    /// Registers points all at once: `Duplicate` (and nothing written) when a code is taken.
    pub async fn create_points(&self, points: &[InspectionPoint], at: Timestamp) -> Result<Vec<InspectionPoint>, StoreError> {
        let mut tx = self.0.pool.begin().await?;
        let mut created = Vec::with_capacity(points.len());
        for point in points {
            let id = insert_point(&mut tx, point, at).await?;
            created.push(InspectionPoint { id, ..point.clone() });
        }
        tx.commit().await?;
        Ok(created)
    }

    pub async fn point_by_code(&self, code: &str) -> Result<Option<InspectionPoint>, StoreError> {
        let row: Option<PointRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {POINT_COLUMNS} FROM inspection_points WHERE code = $1")))
            .bind(code.to_owned())
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(InspectionPoint::try_from).transpose()
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
        let mut answers: Vec<(Check, Option<CaseStatus>)> = rows.into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?;
        let photos: Vec<(String, i64)> =
            sqlx::query_as("SELECT clause, attachment_id FROM evaluation_answer_photos WHERE round_id = $1 AND point_id = $2 ORDER BY clause, attachment_id")
                .bind(round)
                .bind(point)
                .fetch_all(&self.0.pool)
                .await?;
        for (clause, attachment) in photos {
            if let Some((check, _)) = answers.iter_mut().find(|(c, _)| c.answer.clause == clause) {
                check.answer.photos.push(attachment);
            }
        }
        Ok(answers)
    }

    /// The (round, point) answers that carry attachment `id` as a photo.
    pub async fn checks_with_photo(&self, id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(sqlx::query_as("SELECT DISTINCT round_id, point_id FROM evaluation_answer_photos WHERE attachment_id = $1 ORDER BY round_id, point_id")
            .bind(id)
            .fetch_all(&self.0.pool)
            .await?)
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
            for photo in &a.photos {
                sqlx::query("INSERT INTO evaluation_answer_photos (round_id, point_id, clause, attachment_id) VALUES ($1, $2, $3, $4)")
                    .bind(check.round)
                    .bind(check.point)
                    .bind(a.clause.clone())
                    .bind(*photo)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        // The tallies move with the answers: per month, street, revision and clause.
        let mut rounds: HashMap<i64, (String, i64)> = HashMap::new();
        let mut regions: HashMap<i64, String> = HashMap::new();
        let mut tallies: BTreeMap<(String, String, i64, String), (i64, f64, f64)> = BTreeMap::new();
        let mut checked: BTreeSet<(String, i64, String)> = BTreeSet::new();
        for check in checks {
            let Some(earned) = check.earned else { continue };
            if !rounds.contains_key(&check.round) {
                let round: (String, i64) = sqlx::query_as("SELECT month, system_id FROM evaluation_rounds WHERE id = $1").bind(check.round).fetch_one(&mut *tx).await?;
                rounds.insert(check.round, round);
            }
            if !regions.contains_key(&check.point) {
                let region: String = sqlx::query_scalar("SELECT region FROM inspection_points WHERE id = $1").bind(check.point).fetch_one(&mut *tx).await?;
                regions.insert(check.point, region);
            }
            let (month, system) = &rounds[&check.round];
            let region = &regions[&check.point];
            let t = tallies.entry((month.clone(), region.clone(), *system, check.answer.clause.clone())).or_default();
            t.0 += 1;
            t.1 += earned;
            t.2 += check.possible;
            checked.insert((month.clone(), check.point, region.clone()));
        }
        let backend = self.0.backend;
        let rows: Vec<_> = tallies.into_iter().collect();
        for chunk in rows.chunks(500) {
            let mut args = AnyArguments::default();
            for ((month, region, system, clause), (answers, earned, possible)) in chunk {
                args.add(month.clone()).map_err(StoreError::corrupt)?;
                args.add(region.clone()).map_err(StoreError::corrupt)?;
                args.add(*system).map_err(StoreError::corrupt)?;
                args.add(clause.clone()).map_err(StoreError::corrupt)?;
                args.add(*answers).map_err(StoreError::corrupt)?;
                args.add(*earned).map_err(StoreError::corrupt)?;
                args.add(*possible).map_err(StoreError::corrupt)?;
            }
            let sql = format!(
                "INSERT INTO evaluation_tallies (month, region, system_id, clause, answers, earned, possible) VALUES {} \
                 ON CONFLICT (month, region, system_id, clause) DO UPDATE SET answers = evaluation_tallies.answers + excluded.answers, \
                 earned = evaluation_tallies.earned + excluded.earned, possible = evaluation_tallies.possible + excluded.possible",
                row_placeholders(backend, 7, chunk.len())
            );
            sqlx::query_with(AssertSqlSafe(sql), args).execute(&mut *tx).await?;
        }
        let checked: Vec<_> = checked.into_iter().collect();
        for chunk in checked.chunks(500) {
            let mut args = AnyArguments::default();
            for (month, point, region) in chunk {
                args.add(month.clone()).map_err(StoreError::corrupt)?;
                args.add(*point).map_err(StoreError::corrupt)?;
                args.add(region.clone()).map_err(StoreError::corrupt)?;
            }
            let sql = format!(
                "INSERT INTO evaluation_checked (month, point_id, region) VALUES {} ON CONFLICT (month, point_id) DO NOTHING",
                row_placeholders(backend, 3, chunk.len())
            );
            sqlx::query_with(AssertSqlSafe(sql), args).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The scored answers of the rounds counting in `period`, summed per street (from the
    /// tallies kept with the answers): what a ranking needs without reading every answer.
    pub async fn street_totals(&self, period: Period) -> Result<Vec<StreetTotal>, StoreError> {
        let (first, last) = (period.first.to_string(), period.last.to_string());
        let sums: Vec<(String, i64, f64, f64)> = sqlx::query_as(
            "SELECT region, CAST(SUM(answers) AS BIGINT), CAST(SUM(earned) AS DOUBLE PRECISION), CAST(SUM(possible) AS DOUBLE PRECISION) \
             FROM evaluation_tallies WHERE month >= $1 AND month <= $2 GROUP BY region",
        )
        .bind(first.clone())
        .bind(last.clone())
        .fetch_all(&self.0.pool)
        .await?;
        let points: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
            "SELECT region, CAST(COUNT(DISTINCT point_id) AS BIGINT) FROM evaluation_checked WHERE month >= $1 AND month <= $2 GROUP BY region",
        )
        .bind(first)
        .bind(last)
        .fetch_all(&self.0.pool)
        .await?
        .into_iter()
        .collect();
        Ok(sums
            .into_iter()
            .map(|(region, answers, earned, possible)| StreetTotal { points: points.get(&region).copied().unwrap_or(0), region, answers, earned, possible })
            .collect())
    }

    /// The tallies of `period` per district (`region` is its six digits), revision and clause,
    /// summed in the database (a few hundred rows where the streets' are thousands).
    pub async fn district_clause_totals(&self, period: Period) -> Result<Vec<ClauseTotal>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT substr(region, 1, 6) AS region, system_id, clause, CAST(SUM(earned) AS DOUBLE PRECISION) AS earned, CAST(SUM(possible) AS DOUBLE PRECISION) AS possible \
             FROM evaluation_tallies WHERE month >= $1 AND month <= $2 GROUP BY 1, 2, 3",
        )
        .bind(period.first.to_string())
        .bind(period.last.to_string())
        .fetch_all(&self.0.pool)
        .await?)
    }

    /// The answers that lost points in the rounds of `period` at points under `region_prefix`:
    /// (round, point, clause).
    pub async fn failures(&self, period: Period, region_prefix: &str) -> Result<Vec<(i64, i64, String)>, StoreError> {
        let (lo, hi) = prefix_range(region_prefix);
        Ok(sqlx::query_as(
            "SELECT a.round_id, a.point_id, a.clause \
             FROM inspection_points p JOIN evaluation_answers a ON a.point_id = p.id JOIN evaluation_rounds r ON r.id = a.round_id \
             WHERE p.region >= $3 AND p.region < $4 AND r.month >= $1 AND r.month <= $2 AND a.earned < a.possible - 0.000000001",
        )
        .bind(period.first.to_string())
        .bind(period.last.to_string())
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.0.pool)
        .await?)
    }

    /// The answers that lost points under `region_prefix` in the rounds of `period`, each with its
    /// case's status, by month, round, point and clause: the findings behind a field-check score.
    /// At most `limit`.
    pub async fn findings(&self, period: Period, region_prefix: &str, limit: u32) -> Result<Vec<(Check, Option<CaseStatus>)>, StoreError> {
        let (lo, hi) = prefix_range(region_prefix);
        let rows: Vec<AnswerRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ANSWER_COLUMNS} FROM inspection_points p JOIN evaluation_answers a ON a.point_id = p.id              JOIN evaluation_rounds r ON r.id = a.round_id LEFT JOIN cases c ON c.id = a.case_id              WHERE p.region >= $3 AND p.region < $4 AND r.month >= $1 AND r.month <= $2 AND a.earned < a.possible - 0.000000001              ORDER BY r.month, a.round_id, p.code, a.clause LIMIT {limit}"
        )))
        .bind(period.first.to_string())
        .bind(period.last.to_string())
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
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
