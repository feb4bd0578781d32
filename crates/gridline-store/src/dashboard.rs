//! The dashboard's figures as aggregates: received and finished cases per day, received per
//! street, both from the rollups, and the open cases now, counted over the `cases_open` index
//! (migration 0008) without reading a case.

use std::collections::BTreeMap;

use gridline_core::rollup::DayCounts;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{AssertSqlSafe, Row};

use crate::rollups::prefix_range;
use crate::{StoreError, millis};

/// The open cases of one region code (as stored: a street or finer) now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenCases {
    pub region: String,
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    /// Open cases supervised (督办) at least once.
    pub supervised: i64,
}

/// The region condition on `column` for a code prefix, with its two parameters from `first`.
fn region_condition(column: &str, region_prefix: Option<&str>, first: usize) -> String {
    match region_prefix {
        Some(_) => format!(" AND {column} >= ${first} AND {column} < ${}", first + 1),
        None => String::new(),
    }
}

impl crate::Store {
    /// Cases received and finished per day from `first` to `last` (Beijing time) in the streets
    /// whose codes start with `region_prefix` (all, unknown streets included, when `None`).
    pub async fn daily_counts(&self, first: Date, last: Date, region_prefix: Option<&str>) -> Result<BTreeMap<Date, DayCounts>, StoreError> {
        let sql = format!(
            "SELECT day, CAST(SUM(received) AS BIGINT) AS received, CAST(SUM(closed) AS BIGINT) AS closed FROM rollup_daily \
             WHERE day >= $1 AND day <= $2{} GROUP BY day",
            region_condition("region", region_prefix, 3)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(first.to_string()).bind(last.to_string());
        if let Some(prefix) = region_prefix {
            let (lo, hi) = prefix_range(prefix);
            query = query.bind(lo).bind(hi);
        }
        let mut out = BTreeMap::new();
        for row in query.fetch_all(&self.pool).await? {
            let day: String = row.try_get("day")?;
            let day = day.parse().map_err(|e| StoreError::corrupt(format!("rollup day {day:?}: {e}")))?;
            out.insert(day, DayCounts { received: row.try_get("received")?, closed: row.try_get("closed")? });
        }
        Ok(out)
    }

    /// Every case ever received, by street ("" for cases of no known street), in the streets
    /// whose codes start with `region_prefix` (all when `None`).
    pub async fn received_by_street(&self, region_prefix: Option<&str>) -> Result<BTreeMap<String, i64>, StoreError> {
        let sql = format!(
            "SELECT region, CAST(SUM(received) AS BIGINT) AS received FROM rollup_rates WHERE unit = ''{} GROUP BY region",
            region_condition("region", region_prefix, 1)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        if let Some(prefix) = region_prefix {
            let (lo, hi) = prefix_range(prefix);
            query = query.bind(lo).bind(hi);
        }
        let mut out = BTreeMap::new();
        for row in query.fetch_all(&self.pool).await? {
            out.insert(row.try_get::<String, _>("region")?, row.try_get::<i64, _>("received")?);
        }
        out.retain(|_, n| *n != 0);
        Ok(out)
    }

    /// The open cases at `now` by region code, in the regions whose codes start with
    /// `region_prefix` (all, cases without a region under "", when `None`). Overdue and due
    /// soon follow the running clock as [`gridline_core::sla::SlaClock::status`] does.
    pub async fn open_cases(&self, region_prefix: Option<&str>, now: Timestamp) -> Result<Vec<OpenCases>, StoreError> {
        // The status condition is the `cases_open` index's own, word for word.
        let sql = format!(
            "SELECT COALESCE(region, '') AS region, COUNT(*) AS open, \
             CAST(SUM(CASE WHEN deadline < $1 THEN 1 ELSE 0 END) AS BIGINT) AS overdue, \
             CAST(SUM(CASE WHEN due_soon_at <= $1 AND (deadline IS NULL OR deadline >= $1) THEN 1 ELSE 0 END) AS BIGINT) AS due_soon, \
             CAST(SUM(supervised) AS BIGINT) AS supervised \
             FROM cases WHERE status NOT IN ('rejected', 'merged', 'closed', 'called_back'){} GROUP BY region",
            region_condition("region", region_prefix, 2)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(millis(now));
        if let Some(prefix) = region_prefix {
            let (lo, hi) = prefix_range(prefix);
            query = query.bind(lo).bind(hi);
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(OpenCases {
                    region: row.try_get("region")?,
                    open: row.try_get("open")?,
                    overdue: row.try_get("overdue")?,
                    due_soon: row.try_get("due_soon")?,
                    supervised: row.try_get("supervised")?,
                })
            })
            .collect()
    }
}
