//! The watch list (未诉先办): (place, problem) pairs inspected on a schedule while they stand.
//! `store.watches()`.

use gridline_core::case::CaseId;
use gridline_core::ids::{CategoryCode, RegionCode};
use gridline_core::supervision::{NewWatch, Watch};
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, FromRow};

use crate::cases::case_id;
use crate::{Store, StoreError, as_stored, from_millis, is_unique_violation, millis};

/// A `watch_list` row as stored.
#[derive(FromRow)]
struct WatchRow {
    id: i64,
    region: String,
    place: String,
    category: String,
    every_days: i64,
    next_due: i64,
    active: i64,
    last_case: Option<i64>,
}

impl TryFrom<WatchRow> for Watch {
    type Error = StoreError;

    fn try_from(row: WatchRow) -> Result<Self, StoreError> {
        let id = row.id;
        Ok(Watch {
            id,
            region: RegionCode::try_from(row.region).map_err(StoreError::corrupt)?,
            place: row.place,
            category: CategoryCode::try_from(row.category).map_err(StoreError::corrupt)?,
            every_days: u32::try_from(row.every_days)
                .map_err(|_| StoreError::corrupt(format!("watch {id}: every_days {}", row.every_days)))?,
            next_due: from_millis(row.next_due)?,
            active: row.active != 0,
            last_case: row.last_case.map(case_id).transpose()?,
        })
    }
}

/// A watch that is due, with the user who put it on the list.
#[derive(FromRow)]
struct DueWatchRow {
    #[sqlx(flatten)]
    watch: WatchRow,
    created_by: i64,
}

const COLUMNS: &str = "id, region, place, category, every_days, next_due, active, last_case";

/// The watch list.
pub struct Watches<'a>(&'a Store);

impl Store {
    pub fn watches(&self) -> Watches<'_> {
        Watches(self)
    }
}

impl Watches<'_> {
    /// Puts a (place, problem) pair on watch from `first_due`; `Duplicate` while the same region,
    /// place and entry are watched already.
    pub async fn create(&self, new: &NewWatch, first_due: Timestamp, by: i64, at: Timestamp) -> Result<Watch, StoreError> {
        let inserted = sqlx::query_scalar(
            "INSERT INTO watch_list (region, place, category, every_days, next_due, active, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id",
        )
        .bind(new.region.as_str())
        .bind(new.place.clone())
        .bind(new.category.as_str())
        .bind(i64::from(new.every_days))
        .bind(millis(first_due))
        .bind(by)
        .bind(millis(at))
        .fetch_one(&self.0.pool)
        .await;
        let id = match inserted {
            Ok(id) => id,
            Err(err) if is_unique_violation(&err) => {
                return Err(StoreError::Duplicate(format!("{} at {:?} is already on the watch list", new.category, new.place)));
            }
            Err(err) => return Err(err.into()),
        };
        Ok(Watch {
            id,
            region: new.region.clone(),
            place: new.place.clone(),
            category: new.category.clone(),
            every_days: new.every_days,
            next_due: as_stored(first_due),
            active: true,
            last_case: None,
        })
    }

    pub async fn get(&self, id: i64) -> Result<Option<Watch>, StoreError> {
        let row: Option<WatchRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM watch_list WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(Watch::try_from).transpose()
    }

    /// Watches, newest first; only those standing when `active_only`.
    pub async fn list(&self, active_only: bool, limit: u32) -> Result<Vec<Watch>, StoreError> {
        let filter = if active_only { "WHERE active = 1" } else { "" };
        let rows: Vec<WatchRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM watch_list {filter} ORDER BY id DESC LIMIT {limit}")))
                .fetch_all(&self.0.pool)
                .await?;
        rows.into_iter().map(Watch::try_from).collect()
    }

    /// Standing watches due by `by`, soonest first, each with the user who put it on the list.
    pub async fn due(&self, by: Timestamp, limit: u32) -> Result<Vec<(Watch, i64)>, StoreError> {
        let rows: Vec<DueWatchRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COLUMNS}, created_by FROM watch_list WHERE active = 1 AND next_due <= $1 ORDER BY next_due, id LIMIT {limit}"
        )))
        .bind(millis(by))
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(|row| Ok((row.watch.try_into()?, row.created_by))).collect()
    }

    /// Moves a standing watch on from the inspection due at `was_due` to `next_due`, recording the
    /// case filed; writes nothing when the watch was moved on (by a concurrent sweep) or stopped
    /// meanwhile.
    pub async fn advance(&self, id: i64, was_due: Timestamp, next_due: Timestamp, case: CaseId) -> Result<(), StoreError> {
        sqlx::query("UPDATE watch_list SET next_due = $1, last_case = $2 WHERE id = $3 AND next_due = $4 AND active = 1")
            .bind(millis(next_due))
            .bind(case.get())
            .bind(id)
            .bind(millis(was_due))
            .execute(&self.0.pool)
            .await?;
        Ok(())
    }

    /// Takes a watch off the list; false when it was not standing (stopped before, or unknown).
    pub async fn stop(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE watch_list SET active = 0 WHERE id = $1 AND active = 1").bind(id).execute(&self.0.pool).await?;
        Ok(done.rows_affected() == 1)
    }
}
