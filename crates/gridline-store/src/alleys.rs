//! 背街小巷: the alley registry (on the inspection points), stewards, daily patrols, weekly checks,
//! monthly scores and the history of what the months changed. `store.alleys()`.

use std::collections::HashMap;

use gridline_core::alley::{Alley, Change, FourHaves, Grade, MonthScore, NewAlleyRest, Patrol, Problem, Standing, Title, WeeklyCheck};
use gridline_core::case::{CaseEvent, CaseId, Change as CaseChange, Channel, GeoPoint};
use gridline_core::evaluation::InspectionPoint;
use gridline_core::evaluation::score::Tally;
use gridline_core::period::Month;
use gridline_core::supervision::{Listing, NewListing};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{AssertSqlSafe, FromRow};

use crate::cases::{EventRow, case_id};
use crate::evaluation::{POINT_COLUMNS_OF_P, PointRow, insert_point};
use crate::listings::{insert_listing, write_check};
use crate::nullable::NullableDouble;
use crate::rollups::prefix_range;
use crate::{Store, StoreError, from_millis, is_unique_violation, millis, row_placeholders};

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::corrupt)
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(format!("{what}: {e}")))
}

/// An `alleys` row joined with its point.
#[derive(FromRow)]
struct AlleyRow {
    #[sqlx(flatten)]
    point: PointRow,
    community: Option<String>,
    length_m: f64,
    awarded: String,
    four: String,
    standing: String,
    title: Option<String>,
}

impl TryFrom<AlleyRow> for Alley {
    type Error = StoreError;

    fn try_from(row: AlleyRow) -> Result<Self, StoreError> {
        let point = InspectionPoint::try_from(row.point)?;
        let what = format!("alley {}", point.id);
        Ok(Alley {
            community: row.community,
            length_m: row.length_m,
            awarded: Grade::parse(&row.awarded).ok_or_else(|| StoreError::corrupt(format!("{what}: grade {:?}", row.awarded)))?,
            four: parse::<FourHaves>(&what, &row.four)?,
            standing: parse::<Standing>(&what, &row.standing)?,
            title: row.title.as_deref().map(|t| parse::<Title>(&what, t)).transpose()?,
            point,
        })
    }
}

const ALLEY_COLUMNS: &str = "a.community, a.length_m, a.awarded, a.four, a.standing, a.title";

/// An alley with its score of a month and whether it is under listed supervision.
#[derive(Clone, Debug, PartialEq)]
pub struct AlleyEntry {
    pub alley: Alley,
    pub score: Option<f64>,
    pub listed: bool,
}

#[derive(FromRow)]
struct EntryRow {
    #[sqlx(flatten)]
    alley: AlleyRow,
    score: Option<f64>,
    listed: i64,
}

/// A month's score of an alley as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreRecord {
    pub month: Month,
    pub alley: i64,
    /// The alley's street.
    pub region: String,
    pub score: MonthScore,
    /// The grade it left in force.
    pub grade: Grade,
}

#[derive(FromRow)]
struct ScoreRow {
    month: String,
    alley_id: i64,
    region: String,
    score: f64,
    checks: i64,
    check_mean: f64,
    hotline_cases: i64,
    other_cases: i64,
    deduction: f64,
    grade: String,
}

impl TryFrom<ScoreRow> for ScoreRecord {
    type Error = StoreError;

    fn try_from(row: ScoreRow) -> Result<Self, StoreError> {
        let count = |n: i64| u32::try_from(n).map_err(StoreError::corrupt);
        Ok(ScoreRecord {
            month: Month::parse(&row.month).map_err(StoreError::corrupt)?,
            alley: row.alley_id,
            region: row.region,
            score: MonthScore {
                score: row.score,
                checks: count(row.checks)?,
                check_mean: row.check_mean,
                hotline_cases: count(row.hotline_cases)?,
                other_cases: count(row.other_cases)?,
                deduction: row.deduction,
            },
            grade: Grade::parse(&row.grade).ok_or_else(|| StoreError::corrupt(format!("alley {} score: grade {:?}", row.alley_id, row.grade)))?,
        })
    }
}

const SCORE_COLUMNS: &str = "month, alley_id, region, score, checks, check_mean, hotline_cases, other_cases, deduction, grade";
const SCORED_COLUMNS: &str =
    "s.month, s.alley_id, s.region, s.score, s.checks, s.check_mean, s.hotline_cases, s.other_cases, s.deduction, s.grade";

/// A month's score with the alley's code and name, for the rankings.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedScore {
    pub record: ScoreRecord,
    pub code: String,
    pub name: String,
}

/// A month's evaluation of one alley, written with the others of the month at once.
#[derive(Clone, Debug)]
pub struct MonthOutcome {
    pub record: ScoreRecord,
    pub standing: Standing,
    pub title: Option<Title>,
    pub changes: Vec<Change>,
    /// What the month does to its listed supervision (挂牌督办), if anything.
    pub listing: Option<ListingStep>,
}

/// A month's step in an alley's listed supervision, written in the month's transaction and
/// recorded in its history after the month's other changes.
#[derive(Clone, Debug)]
pub enum ListingStep {
    /// Its open listing re-checked: `before` as read, `after` with the month's check (perhaps
    /// de-listed); recorded as [`Change::ListingChecked`].
    Check { before: Listing, after: Listing },
    /// A listing opened by the rule, by `by` at `at`; recorded as [`Change::Listed`].
    Open { new: NewListing, by: i64, at: Timestamp },
}

#[derive(FromRow)]
struct PatrolRow {
    id: String,
    alley_id: i64,
    steward: i64,
    day: String,
    at: i64,
    lat: Option<f64>,
    lon: Option<f64>,
    findings: String,
}

impl TryFrom<PatrolRow> for Patrol {
    type Error = StoreError;

    fn try_from(row: PatrolRow) -> Result<Self, StoreError> {
        let what = format!("patrol {}", row.id);
        Ok(Patrol {
            day: row.day.parse::<Date>().map_err(|e| StoreError::corrupt(format!("{what}: {e}")))?,
            at: from_millis(row.at)?,
            position: row.lat.zip(row.lon).map(|(lat, lon)| GeoPoint { lat, lon }),
            problems: parse::<Vec<Problem>>(&what, &row.findings)?,
            id: row.id,
            alley: row.alley_id,
            steward: row.steward,
        })
    }
}

const PATROL_COLUMNS: &str = "id, alley_id, steward, day, at, lat, lon, findings";

#[derive(FromRow)]
struct CheckRow {
    alley_id: i64,
    day: String,
    standard: String,
    earned: f64,
    possible: f64,
    answers: String,
    checked_by: i64,
    checked_at: i64,
}

impl TryFrom<CheckRow> for WeeklyCheck {
    type Error = StoreError;

    fn try_from(row: CheckRow) -> Result<Self, StoreError> {
        let what = format!("check of alley {} on {}", row.alley_id, row.day);
        Ok(WeeklyCheck {
            alley: row.alley_id,
            day: row.day.parse::<Date>().map_err(|e| StoreError::corrupt(format!("{what}: {e}")))?,
            standard: row.standard,
            ten_no: Tally { earned: row.earned, possible: row.possible },
            problems: parse::<Vec<Problem>>(&what, &row.answers)?,
            checked_by: row.checked_by,
            checked_at: from_millis(row.checked_at)?,
        })
    }
}

/// A case as the month's evaluation sees it: where it is and what it says.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseSketch {
    pub id: CaseId,
    pub channel: Channel,
    pub text: String,
    pub location: Option<GeoPoint>,
}

/// A street's patrol coverage on a day: each alley with how many patrols it had.
#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct CoverageRow {
    pub alley_id: i64,
    pub code: String,
    pub name: String,
    pub region: String,
    pub patrols: i64,
    pub problems: i64,
}

/// Rows per multi-row INSERT of the batch writers (9 columns: 9,000 parameters, well under
/// either engine's limit of bound parameters).
const BATCH_ROWS: usize = 1000;

/// The alleys. `store.alleys()`.
pub struct Alleys<'a>(&'a Store);

impl Store {
    pub fn alleys(&self) -> Alleys<'_> {
        Alleys(self)
    }
}

impl Alleys<'_> {
    /// Registers alleys, each as a point and its alley row, all in one transaction: `Duplicate`
    /// naming the code when one is taken, and then nothing is written.
    pub async fn create_many(&self, alleys: Vec<(InspectionPoint, NewAlleyRest)>, at: Timestamp) -> Result<Vec<Alley>, StoreError> {
        let mut tx = self.0.pool.begin().await?;
        let mut created = Vec::with_capacity(alleys.len());
        for (point, rest) in alleys {
            let id = insert_point(&mut tx, &point, at).await?;
            let alley = rest.into_alley(InspectionPoint { id, ..point });
            sqlx::query(
                "INSERT INTO alleys (point_id, community, length_m, awarded, grade, four, standing, title, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(alley.community.clone())
            .bind(alley.length_m)
            .bind(alley.awarded.as_str())
            .bind(alley.standing.grade.as_str())
            .bind(json(&alley.four)?)
            .bind(json(&alley.standing)?)
            .bind(alley.title.as_ref().map(json).transpose()?)
            .bind(millis(at))
            .execute(&mut *tx)
            .await?;
            created.push(alley);
        }
        tx.commit().await?;
        Ok(created)
    }

    pub async fn get(&self, id: i64) -> Result<Option<Alley>, StoreError> {
        let row: Option<AlleyRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {POINT_COLUMNS_OF_P}, {ALLEY_COLUMNS} FROM alleys a JOIN inspection_points p ON p.id = a.point_id WHERE a.point_id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.0.pool)
        .await?;
        row.map(Alley::try_from).transpose()
    }

    /// The alleys of the streets under `region_prefix` ("" = the city) by code, with their score
    /// of `month` and whether they are listed.
    pub async fn entries(&self, region_prefix: &str, month: Month) -> Result<Vec<AlleyEntry>, StoreError> {
        let (lo, hi) = prefix_range(region_prefix);
        let rows: Vec<EntryRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {POINT_COLUMNS_OF_P}, {ALLEY_COLUMNS}, s.score, \
               CAST(CASE WHEN l.id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS listed \
             FROM alleys a JOIN inspection_points p ON p.id = a.point_id \
             LEFT JOIN alley_scores s ON s.month = $3 AND s.alley_id = a.point_id \
             LEFT JOIN listings l ON l.kind = 'alley' AND l.target = p.code AND l.delisted_at IS NULL \
             WHERE p.region >= $1 AND p.region < $2 ORDER BY p.code"
        )))
        .bind(lo)
        .bind(hi)
        .bind(month.to_string())
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(|r| Ok(AlleyEntry { alley: r.alley.try_into()?, score: r.score, listed: r.listed != 0 })).collect()
    }

    /// Alleys under `region_prefix`, by code.
    pub async fn list(&self, region_prefix: &str) -> Result<Vec<Alley>, StoreError> {
        let (lo, hi) = prefix_range(region_prefix);
        let rows: Vec<AlleyRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {POINT_COLUMNS_OF_P}, {ALLEY_COLUMNS} FROM alleys a JOIN inspection_points p ON p.id = a.point_id \
             WHERE p.region >= $1 AND p.region < $2 ORDER BY p.code"
        )))
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(Alley::try_from).collect()
    }

    /// Makes `users` the stewards (小巷管家) of the alley, beside any it has.
    pub async fn assign_stewards(&self, pairs: &[(i64, i64)]) -> Result<(), StoreError> {
        let mut tx = self.0.pool.begin().await?;
        for chunk in pairs.chunks(BATCH_ROWS) {
            let sql = format!("INSERT INTO alley_stewards (alley_id, user_id) VALUES {} ON CONFLICT DO NOTHING", row_placeholders(self.0.backend, 2, chunk.len()));
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for (alley, user) in chunk {
                query = query.bind(*alley).bind(*user);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn is_steward(&self, alley: i64, user: i64) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alley_stewards WHERE alley_id = $1 AND user_id = $2")
            .bind(alley)
            .bind(user)
            .fetch_one(&self.0.pool)
            .await?;
        Ok(n > 0)
    }

    /// The alleys a steward patrols, by code.
    pub async fn of_steward(&self, user: i64) -> Result<Vec<Alley>, StoreError> {
        let rows: Vec<AlleyRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {POINT_COLUMNS_OF_P}, {ALLEY_COLUMNS} FROM alley_stewards w JOIN alleys a ON a.point_id = w.alley_id \
             JOIN inspection_points p ON p.id = a.point_id WHERE w.user_id = $1 ORDER BY p.code"
        )))
        .bind(user)
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(Alley::try_from).collect()
    }

    pub async fn patrol(&self, id: &str) -> Result<Option<Patrol>, StoreError> {
        let row: Option<PatrolRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {PATROL_COLUMNS} FROM alley_patrols WHERE id = $1")))
            .bind(id.to_owned())
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(Patrol::try_from).transpose()
    }

    /// Records patrols in one transaction, many rows per statement; `Duplicate` (and nothing
    /// written) when one of their ids is taken.
    pub async fn record_patrols(&self, patrols: &[Patrol]) -> Result<(), StoreError> {
        let mut tx = self.0.pool.begin().await?;
        for chunk in patrols.chunks(BATCH_ROWS) {
            let sql = format!(
                "INSERT INTO alley_patrols (id, alley_id, steward, day, at, lat, lon, problems, findings) VALUES {}",
                row_placeholders(self.0.backend, 9, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for p in chunk {
                query = query
                    .bind(p.id.clone())
                    .bind(p.alley)
                    .bind(p.steward)
                    .bind(p.day.to_string())
                    .bind(millis(p.at))
                    .bind(NullableDouble(p.position.map(|g| g.lat)))
                    .bind(NullableDouble(p.position.map(|g| g.lon)))
                    .bind(p.problems.len() as i64)
                    .bind(json(&p.problems)?);
            }
            query.execute(&mut *tx).await.map_err(|e| {
                if is_unique_violation(&e) { StoreError::Duplicate("a patrol with this id is recorded already".into()) } else { e.into() }
            })?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// An alley's latest patrols, newest first.
    pub async fn patrols_of(&self, alley: i64, limit: u32) -> Result<Vec<Patrol>, StoreError> {
        let rows: Vec<PatrolRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PATROL_COLUMNS} FROM alley_patrols WHERE alley_id = $1 ORDER BY day DESC, at DESC LIMIT {limit}"
        )))
        .bind(alley)
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(Patrol::try_from).collect()
    }

    /// The patrol board of a day: every alley under `region_prefix` with its patrols and problems
    /// that day (0 for one that missed its patrol), by code.
    pub async fn coverage(&self, region_prefix: &str, day: Date) -> Result<Vec<CoverageRow>, StoreError> {
        let (lo, hi) = prefix_range(region_prefix);
        Ok(sqlx::query_as(
            "SELECT a.point_id AS alley_id, p.code, p.name, p.region, \
               CAST(COUNT(t.id) AS BIGINT) AS patrols, CAST(COALESCE(SUM(t.problems), 0) AS BIGINT) AS problems \
             FROM alleys a JOIN inspection_points p ON p.id = a.point_id \
             LEFT JOIN alley_patrols t ON t.alley_id = a.point_id AND t.day = $3 \
             WHERE p.region >= $1 AND p.region < $2 GROUP BY a.point_id, p.code, p.name, p.region ORDER BY p.code",
        )
        .bind(lo)
        .bind(hi)
        .bind(day.to_string())
        .fetch_all(&self.0.pool)
        .await?)
    }

    /// Records weekly checks in one transaction; `Duplicate` (and nothing written) when an alley
    /// was checked that day already.
    pub async fn record_checks(&self, checks: &[WeeklyCheck]) -> Result<(), StoreError> {
        let mut tx = self.0.pool.begin().await?;
        for chunk in checks.chunks(BATCH_ROWS) {
            let sql = format!(
                "INSERT INTO alley_checks (alley_id, day, month, standard, earned, possible, answers, checked_by, checked_at) VALUES {}",
                row_placeholders(self.0.backend, 9, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for c in chunk {
                query = query
                    .bind(c.alley)
                    .bind(c.day.to_string())
                    .bind(format!("{:04}-{:02}", c.day.year(), c.day.month()))
                    .bind(c.standard.clone())
                    .bind(c.ten_no.earned)
                    .bind(c.ten_no.possible)
                    .bind(json(&c.problems)?)
                    .bind(c.checked_by)
                    .bind(millis(c.checked_at));
            }
            query.execute(&mut *tx).await.map_err(|e| {
                if is_unique_violation(&e) { StoreError::Duplicate("the alley was checked that day already".into()) } else { e.into() }
            })?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// An alley's latest weekly checks, newest first.
    pub async fn checks_of(&self, alley: i64, limit: u32) -> Result<Vec<WeeklyCheck>, StoreError> {
        let rows: Vec<CheckRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT alley_id, day, standard, earned, possible, answers, checked_by, checked_at FROM alley_checks \
             WHERE alley_id = $1 ORDER BY day DESC LIMIT {limit}"
        )))
        .bind(alley)
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(WeeklyCheck::try_from).collect()
    }

    /// The 十无 得分率 of every weekly check of `month`, per alley.
    pub async fn check_rates(&self, month: Month) -> Result<HashMap<i64, Vec<f64>>, StoreError> {
        let rows: Vec<(i64, f64, f64)> = sqlx::query_as("SELECT alley_id, earned, possible FROM alley_checks WHERE month = $1")
            .bind(month.to_string())
            .fetch_all(&self.0.pool)
            .await?;
        let mut rates: HashMap<i64, Vec<f64>> = HashMap::new();
        for (alley, earned, possible) in rows {
            if let Some(rate) = (Tally { earned, possible }).rate() {
                rates.entry(alley).or_default().push(rate);
            }
        }
        Ok(rates)
    }

    /// The cases received in `[from, to)` that were not rejected or merged into another. Only
    /// their intake events are read and unpacked (where and what was reported), not the cases.
    pub async fn cases_received(&self, from: Timestamp, to: Timestamp) -> Result<Vec<CaseSketch>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT e.case_id, e.doc FROM cases c JOIN case_events e ON e.case_id = c.id AND e.seq = 1 \
             WHERE c.received_at >= $1 AND c.received_at < $2 AND c.status NOT IN ('rejected', 'merged')",
        )
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let id = case_id(row.case_id)?;
                let CaseChange::Receive(intake) = CaseEvent::try_from(row)?.change else {
                    return Err(StoreError::corrupt(format!("case {id}: its first event is not its intake")));
                };
                let text = match intake.address {
                    Some(address) => format!("{} {address}", intake.title),
                    None => intake.title,
                };
                Ok(CaseSketch { id, channel: intake.channel, text, location: intake.location })
            })
            .collect()
    }

    /// Writes a month's evaluation in one transaction: the scores, each alley's standing and
    /// title, the listings it opens and re-checks, and the changes. Returns the listings as
    /// written, in the order of the outcomes. `Duplicate` (nothing written) when the month was
    /// evaluated before or a listing was checked or opened by someone else meanwhile.
    pub async fn record_month(&self, outcomes: &[MonthOutcome], at: Timestamp) -> Result<Vec<Listing>, StoreError> {
        let mut tx = self.0.pool.begin().await?;
        for chunk in outcomes.chunks(BATCH_ROWS / 2) {
            let sql = format!("INSERT INTO alley_scores ({SCORE_COLUMNS}) VALUES {}", row_placeholders(self.0.backend, 10, chunk.len()));
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for o in chunk {
                let r = &o.record;
                query = query
                    .bind(r.month.to_string())
                    .bind(r.alley)
                    .bind(r.region.clone())
                    .bind(r.score.score)
                    .bind(i64::from(r.score.checks))
                    .bind(r.score.check_mean)
                    .bind(i64::from(r.score.hotline_cases))
                    .bind(i64::from(r.score.other_cases))
                    .bind(r.score.deduction)
                    .bind(r.grade.as_str());
            }
            query.execute(&mut *tx).await.map_err(|e| {
                if is_unique_violation(&e) { StoreError::Duplicate("the month was evaluated already".into()) } else { e.into() }
            })?;
        }
        // Every alley's standing in a few statements: one round trip per statement is most of
        // what a month of 5,000 alleys costs.
        for chunk in outcomes.chunks(BATCH_ROWS / 4) {
            let sql = format!(
                "UPDATE alleys SET standing = v.column2, grade = v.column3, title = v.column4 FROM (VALUES {}) AS v WHERE alleys.point_id = v.column1",
                row_placeholders(self.0.backend, 4, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for o in chunk {
                query = query.bind(o.record.alley).bind(json(&o.standing)?).bind(o.standing.grade.as_str()).bind(o.title.as_ref().map(json).transpose()?);
            }
            query.execute(&mut *tx).await?;
        }
        // The listings after the standings: a listing's write is a statement on the open
        // transaction (one commit for the month, not one per listing), and its change follows
        // the month's others in the alley's history.
        let mut listings = Vec::new();
        let mut listing_changes = Vec::new();
        for o in outcomes {
            let (listing, change) = match &o.listing {
                None => continue,
                Some(ListingStep::Check { before, after }) => {
                    write_check(&mut tx, before, after).await?;
                    let passed = after.checks.last().is_some_and(|c| c.passed);
                    (after.clone(), Change::ListingChecked { listing: before.id, passed, delisted: after.delisted_at.is_some() })
                }
                Some(ListingStep::Open { new, by, at: listed_at }) => {
                    let listing = insert_listing(&mut tx, new, *by, *listed_at).await?;
                    let change = Change::Listed { listing: listing.id };
                    (listing, change)
                }
            };
            listings.push(listing);
            listing_changes.push((o, o.changes.len() as i64, change));
        }
        let mut changes: Vec<(&MonthOutcome, i64, &Change)> =
            outcomes.iter().flat_map(|o| o.changes.iter().zip(0..).map(move |(change, seq)| (o, seq, change))).collect();
        changes.extend(listing_changes.iter().map(|(o, seq, change)| (*o, *seq, change)));
        for chunk in changes.chunks(BATCH_ROWS / 5) {
            let sql = format!("INSERT INTO alley_changes (alley_id, month, seq, change, at) VALUES {}", row_placeholders(self.0.backend, 5, chunk.len()));
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for (o, seq, change) in chunk {
                query = query.bind(o.record.alley).bind(o.record.month.to_string()).bind(*seq).bind(json(change)?).bind(millis(at));
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(listings)
    }

    /// Adds changes to an alley's history after those of the month (a listing, a title named).
    pub async fn add_changes(&self, alley: i64, month: Month, changes: &[Change], at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.0.pool.begin().await?;
        // Each change numbers itself in its INSERT: a transaction that read first and wrote after
        // could meet a newer snapshot on SQLite and fail with 'database is locked'.
        for change in changes {
            sqlx::query(
                "INSERT INTO alley_changes (alley_id, month, seq, change, at) \
                 SELECT $1, $2, COALESCE(MAX(seq) + 1, 0), $3, $4 FROM alley_changes WHERE alley_id = $1 AND month = $2",
            )
            .bind(alley)
            .bind(month.to_string())
            .bind(json(change)?)
            .bind(millis(at))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The scores of `month` of the alleys under `region_prefix`, with their codes and names.
    pub async fn named_scores(&self, month: Month, region_prefix: &str) -> Result<Vec<NamedScore>, StoreError> {
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            score: ScoreRow,
            code: String,
            name: String,
        }
        let (lo, hi) = prefix_range(region_prefix);
        let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SCORED_COLUMNS}, p.code, p.name FROM alley_scores s JOIN inspection_points p ON p.id = s.alley_id \
             WHERE s.month = $1 AND s.region >= $2 AND s.region < $3"
        )))
        .bind(month.to_string())
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(|r| Ok(NamedScore { record: r.score.try_into()?, code: r.code, name: r.name })).collect()
    }

    /// The changes the months from `first` to `last` made to the alleys under `region_prefix`,
    /// by alley and in order.
    pub async fn changes_between(&self, first: Month, last: Month, region_prefix: &str) -> Result<Vec<(i64, Change)>, StoreError> {
        let (lo, hi) = prefix_range(region_prefix);
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT c.alley_id, c.change FROM alley_changes c JOIN inspection_points p ON p.id = c.alley_id \
             WHERE c.month >= $1 AND c.month <= $2 AND p.region >= $3 AND p.region < $4 ORDER BY c.alley_id, c.month, c.seq",
        )
        .bind(first.to_string())
        .bind(last.to_string())
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(|(alley, change)| Ok((alley, parse::<Change>(&format!("alley {alley} change"), &change)?))).collect()
    }

    /// The latest month with scores.
    pub async fn latest_month(&self) -> Result<Option<Month>, StoreError> {
        let month: Option<String> = sqlx::query_scalar("SELECT MAX(month) FROM alley_scores").fetch_one(&self.0.pool).await?;
        month.map(|m| Month::parse(&m).map_err(StoreError::corrupt)).transpose()
    }

    /// Whether any alley has a score of `month`.
    pub async fn evaluated(&self, month: Month) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM alley_scores WHERE month = $1 LIMIT 1) x")
            .bind(month.to_string())
            .fetch_one(&self.0.pool)
            .await?;
        Ok(n > 0)
    }

    /// An alley's monthly scores, oldest first, and the changes of its history in order.
    pub async fn history(&self, alley: i64) -> Result<(Vec<ScoreRecord>, Vec<(Month, Change)>), StoreError> {
        let rows: Vec<ScoreRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {SCORE_COLUMNS} FROM alley_scores WHERE alley_id = $1 ORDER BY month")))
            .bind(alley)
            .fetch_all(&self.0.pool)
            .await?;
        let scores = rows.into_iter().map(ScoreRecord::try_from).collect::<Result<Vec<_>, _>>()?;
        let changes: Vec<(String, String)> = sqlx::query_as("SELECT month, change FROM alley_changes WHERE alley_id = $1 ORDER BY month, seq")
            .bind(alley)
            .fetch_all(&self.0.pool)
            .await?;
        let changes = changes
            .into_iter()
            .map(|(month, change)| Ok((Month::parse(&month).map_err(StoreError::corrupt)?, parse::<Change>(&format!("alley {alley} change"), &change)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((scores, changes))
    }
}
