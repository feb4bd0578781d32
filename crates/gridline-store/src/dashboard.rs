//! The dashboard's figures as aggregates: received and finished cases per day, received per
//! street, both from the rollups, and the open cases now, counted over the `cases_open` index
//! (migration 0008) without reading a case.

use std::collections::BTreeMap;

use gridline_core::rollup::DayCounts;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{AssertSqlSafe, FromRow};

use crate::rollups::{DailyRow, Rollups, day_of_row, prefix_range};
use crate::{Cases, StoreError, millis};

/// The open cases of one region code (as stored: a street or finer) now.
#[derive(Clone, Debug, Default, PartialEq, Eq, FromRow)]
pub struct OpenCases {
    pub region: String,
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    /// Open cases supervised (督办) at least once.
    pub supervised: i64,
}

/// The condition of an open case, word for word the `cases_open` index's own (migration 0015).
pub(crate) const OPEN_STATUSES: &str = "status NOT IN ('rejected', 'merged', 'closed', 'called_back')";

/// The region condition on `column` for a code prefix, with its two parameters from `first`.
fn region_condition(column: &str, region_prefix: Option<&str>, first: usize) -> String {
    match region_prefix {
        Some(_) => format!(" AND {column} >= ${first} AND {column} < ${}", first + 1),
        None => String::new(),
    }
}

#[derive(FromRow)]
struct StreetTotal {
    region: String,
    received: i64,
}

impl Rollups<'_> {
    /// Cases received and finished per day from `first` to `last` (Beijing time) in the streets
    /// whose codes start with `region_prefix` (all, unknown streets included, when `None`).
    pub async fn daily_counts(&self, first: Date, last: Date, region_prefix: Option<&str>) -> Result<BTreeMap<Date, DayCounts>, StoreError> {
        let sql = format!(
            "SELECT day, CAST(SUM(received) AS BIGINT) AS received, CAST(SUM(closed) AS BIGINT) AS closed FROM rollup_daily \
             WHERE day >= $1 AND day <= $2{} GROUP BY day",
            region_condition("region", region_prefix, 3)
        );
        let mut query = sqlx::query_as::<_, DailyRow>(AssertSqlSafe(sql)).bind(first.to_string()).bind(last.to_string());
        if let Some(prefix) = region_prefix {
            let (lo, hi) = prefix_range(prefix);
            query = query.bind(lo).bind(hi);
        }
        query
            .fetch_all(&self.0.pool)
            .await?
            .into_iter()
            .map(|row| Ok((day_of_row(&row.day)?, DayCounts { received: row.received, closed: row.closed })))
            .collect()
    }

    /// Every case ever received, by street ("" for cases of no known street), in the streets
    /// whose codes start with `region_prefix` (all when `None`).
    pub async fn received_by_street(&self, region_prefix: Option<&str>) -> Result<BTreeMap<String, i64>, StoreError> {
        let sql = format!(
            "SELECT region, CAST(SUM(received) AS BIGINT) AS received FROM rollup_rates WHERE unit = ''{} GROUP BY region",
            region_condition("region", region_prefix, 1)
        );
        let mut query = sqlx::query_as::<_, StreetTotal>(AssertSqlSafe(sql));
        if let Some(prefix) = region_prefix {
            let (lo, hi) = prefix_range(prefix);
            query = query.bind(lo).bind(hi);
        }
        let rows = query.fetch_all(&self.0.pool).await?;
        Ok(rows.into_iter().filter(|r| r.received != 0).map(|r| (r.region, r.received)).collect())
    }
}

impl Cases<'_> {
    /// The open cases at `now` by region code, in the regions whose codes start with
    /// `region_prefix` (all, cases without a region under "", when `None`). Overdue and due
    /// soon follow the running clock as [`gridline_core::sla::SlaClock::status`] does.
    pub async fn open_by_region(&self, region_prefix: Option<&str>, now: Timestamp) -> Result<Vec<OpenCases>, StoreError> {
        let sql = open_by_region_sql(region_prefix);
        let mut query = sqlx::query_as::<_, OpenCases>(AssertSqlSafe(sql)).bind(millis(now));
        if let Some(prefix) = region_prefix {
            let (lo, hi) = prefix_range(prefix);
            query = query.bind(lo).bind(hi);
        }
        Ok(query.fetch_all(&self.0.pool).await?)
    }
}

/// The query of [`Cases::open_by_region`]: `$1` the instant, `$2`/`$3` the region range.
fn open_by_region_sql(region_prefix: Option<&str>) -> String {
    // The status condition is the `cases_open` index's own, word for word. The region is
    // read through COALESCE, in the condition and the grouping, so that no engine can take
    // the `cases_region` index instead and look up every case of the region in the table:
    // the open cases' own covering index is scanned and grouped.
    format!(
        "SELECT COALESCE(region, '') AS region, COUNT(*) AS open, \
         CAST(SUM(CASE WHEN deadline < $1 THEN 1 ELSE 0 END) AS BIGINT) AS overdue, \
         CAST(SUM(CASE WHEN due_soon_at <= $1 AND (deadline IS NULL OR deadline >= $1) THEN 1 ELSE 0 END) AS BIGINT) AS due_soon, \
         CAST(SUM(supervised) AS BIGINT) AS supervised \
         FROM cases WHERE {OPEN_STATUSES}{} GROUP BY COALESCE(region, '')",
        region_condition("COALESCE(region, '')", region_prefix, 2)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    /// SQLite's plan for the open cases, city-wide and for a district: the `cases_open` index
    /// alone, never the table (a plan through `cases_region` read a district's every case).
    #[tokio::test]
    async fn open_cases_are_counted_over_their_own_covering_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_data_dir(dir.path()).await.unwrap();
        for prefix in [None, Some("110105")] {
            let mut plan = sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {}", open_by_region_sql(prefix)))).bind(0_i64);
            if let Some(prefix) = prefix {
                let (lo, hi) = prefix_range(prefix);
                plan = plan.bind(lo).bind(hi);
            }
            let details: Vec<String> = plan
                .fetch_all(&store.pool)
                .await
                .unwrap()
                .iter()
                .map(|row| sqlx::Row::get::<String, _>(row, "detail"))
                .collect();
            assert!(details.iter().any(|d| d.contains("COVERING INDEX cases_open")), "{prefix:?}: {details:?}");
        }
        store.close().await;
    }
}
