//! The monthly rollups (rates and volume), written by the writer in the same transaction as the
//! events that change them, read by rankings, boards, hotspots and campaigns, and rebuilt from
//! the event log on demand.

use std::collections::{BTreeMap, HashMap};

use gridline_core::campaign::VolumeRow;
use gridline_core::case::{Case, CaseEvent, CaseId, Channel};
use gridline_core::period::{Month, Period};
use gridline_core::rollup::{DayCounts, DayKey, RateCounts, RateKey, Rollup, VolumeKey, differing_rows};
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments, AssertSqlSafe, Connection, Executor, FromRow, Row};
use tokio::sync::oneshot;

use crate::writer::Job;
use crate::cases::{CASE_COLUMNS, CaseRow, EventRow};
use crate::{Backend, Store, StoreError, row_placeholders};

/// Rows per multi-row upsert: 19 parameters a row keeps a statement well inside both engines'
/// parameter limits.
const ROWS_PER_UPSERT: usize = 400;

/// What [`Rollups::check`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RollupCheck {
    pub rate_rows: usize,
    pub volume_rows: usize,
    pub district_volume_rows: usize,
    /// Stored rows that a fold of the events does not give, and the reverse.
    pub differing_rows: usize,
}

/// How volume rows come back from [`Rollups::volume`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumeGrain {
    /// One row per month, street and catalogue entry: what a campaign's scope needs.
    Street,
    /// One row per month and catalogue entry, summed over the region asked for (the row's region
    /// is that prefix, "" for the whole city): what hotspot lists and spikes need.
    Category,
}

/// How rate counters are grouped for a ranking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateLevel {
    Street,
    District,
    Unit,
}

/// Adds `rollup` to the stored counters.
pub(crate) async fn add(conn: &mut AnyConnection, backend: Backend, rollup: &Rollup) -> Result<(), StoreError> {
    let rates: Vec<(&RateKey, &RateCounts)> = rollup.rates.iter().filter(|(_, c)| !c.is_zero()).collect();
    let width = 3 + RateCounts::COLUMNS.len();
    let updates: Vec<String> = RateCounts::COLUMNS.iter().map(|c| format!("{c} = rollup_rates.{c} + excluded.{c}")).collect();
    for chunk in rates.chunks(ROWS_PER_UPSERT) {
        let mut args = AnyArguments::default();
        for (key, counts) in chunk {
            args.add(key.month.to_string()).map_err(StoreError::corrupt)?;
            args.add(key.region.clone()).map_err(StoreError::corrupt)?;
            args.add(key.unit.clone()).map_err(StoreError::corrupt)?;
            for value in counts.values() {
                args.add(value).map_err(StoreError::corrupt)?;
            }
        }
        let sql = format!(
            "INSERT INTO rollup_rates (month, region, unit, {}) VALUES {} ON CONFLICT (month, region, unit) DO UPDATE SET {}",
            RateCounts::COLUMNS.join(", "),
            row_placeholders(backend, width, chunk.len()),
            updates.join(", ")
        );
        sqlx::query_with(AssertSqlSafe(sql), args).execute(&mut *conn).await?;
    }
    add_volume(conn, backend, VolumeTable::Street, &rollup.volume).await?;
    add_volume(conn, backend, VolumeTable::District, &rollup.district_volume()).await?;
    add_daily(conn, backend, &rollup.daily).await
}

/// Adds daily counts to the stored ones.
async fn add_daily(conn: &mut AnyConnection, backend: Backend, daily: &HashMap<DayKey, DayCounts>) -> Result<(), StoreError> {
    let daily: Vec<(&DayKey, &DayCounts)> = daily.iter().filter(|(_, c)| !c.is_zero()).collect();
    for chunk in daily.chunks(ROWS_PER_UPSERT) {
        let mut args = AnyArguments::default();
        for (key, counts) in chunk {
            for result in [args.add(key.day.to_string()), args.add(key.region.clone()), args.add(counts.received), args.add(counts.closed)] {
                result.map_err(StoreError::corrupt)?;
            }
        }
        let sql = format!(
            "INSERT INTO rollup_daily (day, region, received, closed) VALUES {} ON CONFLICT (day, region) \
             DO UPDATE SET received = rollup_daily.received + excluded.received, closed = rollup_daily.closed + excluded.closed",
            row_placeholders(backend, 4, chunk.len())
        );
        sqlx::query_with(AssertSqlSafe(sql), args).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The two volume tables: by street, and the same summed by district.
#[derive(Clone, Copy)]
enum VolumeTable {
    Street,
    District,
}

impl VolumeTable {
    /// The table, the name of its region column and its primary key.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            VolumeTable::Street => ("rollup_volume", "region", "month, region, category, channel"),
            VolumeTable::District => ("rollup_district_volume", "district", "district, month, category, channel"),
        }
    }
}

/// Adds volume counts (keyed by street or by district, as `table` says) to the stored ones.
async fn add_volume(
    conn: &mut AnyConnection,
    backend: Backend,
    table: VolumeTable,
    volume: &HashMap<VolumeKey, i64>,
) -> Result<(), StoreError> {
    let (table, region, key) = table.names();
    let volume: Vec<(&VolumeKey, &i64)> = volume.iter().filter(|(_, n)| **n != 0).collect();
    for chunk in volume.chunks(ROWS_PER_UPSERT) {
        let mut args = AnyArguments::default();
        for (key, n) in chunk {
            for result in [
                args.add(key.month.to_string()),
                args.add(key.region.clone()),
                args.add(key.category.clone()),
                args.add(key.channel.as_str()),
                args.add(**n),
            ] {
                result.map_err(StoreError::corrupt)?;
            }
        }
        let sql = format!(
            "INSERT INTO {table} (month, {region}, category, channel, n) VALUES {} \
             ON CONFLICT ({key}) DO UPDATE SET n = {table}.n + excluded.n",
            row_placeholders(backend, 5, chunk.len())
        );
        sqlx::query_with(AssertSqlSafe(sql), args).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The case as stored before the event being written: what the rollup of that event compares with.
pub(crate) async fn case_before(conn: &mut AnyConnection, id: CaseId) -> Result<Option<Case>, StoreError> {
    let row: Option<CaseRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"))).bind(id.get()).fetch_optional(&mut *conn).await?;
    row.map(Case::try_from).transpose()
}

/// Cases read per query while folding the event log.
const REBUILD_CASES_PER_QUERY: i64 = 5_000;

/// Folds every event of every case, in order, into fresh counters.
pub(crate) async fn from_events(conn: &mut AnyConnection) -> Result<Rollup, StoreError> {
    let mut rollup = Rollup::default();
    let mut after_id = 0_i64;
    loop {
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(id) FROM (SELECT id FROM cases WHERE id > $1 ORDER BY id LIMIT $2) AS page")
                .bind(after_id)
                .bind(REBUILD_CASES_PER_QUERY)
                .fetch_one(&mut *conn)
                .await?;
        let Some(last) = last else { break };
        let rows: Vec<EventRow> = sqlx::query_as("SELECT case_id, doc FROM case_events WHERE case_id > $1 AND case_id <= $2 ORDER BY case_id, seq")
            .bind(after_id)
            .bind(last)
            .fetch_all(&mut *conn)
            .await?;
        let mut history: Vec<CaseEvent> = Vec::new();
        let mut current = None;
        for row in rows {
            if current != Some(row.case_id) {
                rollup.record_history(&history);
                history.clear();
                current = Some(row.case_id);
            }
            history.push(row.try_into()?);
        }
        rollup.record_history(&history);
        after_id = last;
    }
    Ok(rollup.without_zeros())
}

/// Replaces the stored counters by a fold of the event log (inside the writer's transaction).
pub(crate) async fn rebuild(conn: &mut AnyConnection, backend: Backend) -> Result<Rollup, StoreError> {
    let rollup = from_events(conn).await?;
    conn.execute("DELETE FROM rollup_rates").await?;
    conn.execute("DELETE FROM rollup_volume").await?;
    conn.execute("DELETE FROM rollup_district_volume").await?;
    conn.execute("DELETE FROM rollup_daily").await?;
    add(conn, backend, &rollup).await?;
    Ok(rollup)
}

/// Cases re-read per query when their columns are caught up.
const CATCH_UP_CASES_PER_QUERY: i64 = 5_000;

/// Brings a store that held cases before the daily counters and the due-soon column existed
/// (migration 0008) up to date, once, on the writer's connection before it starts: the
/// counters folded afresh from the events, and the columns of the cases with a running clock
/// recomputed. A store with cases always has daily counters afterwards (each intake counts).
pub(crate) async fn catch_up(conn: &mut AnyConnection, backend: Backend) -> Result<(), StoreError> {
    let has_cases = sqlx::query("SELECT id FROM cases LIMIT 1").fetch_optional(&mut *conn).await?.is_some();
    let has_daily = sqlx::query("SELECT day FROM rollup_daily LIMIT 1").fetch_optional(&mut *conn).await?.is_some();
    if !has_cases || has_daily {
        return Ok(());
    }
    tracing::info!("folding the dashboard's counters from the case events (once, after an upgrade)");
    let mut tx = conn.begin().await?;
    rebuild(&mut tx, backend).await?;
    let mut after_id = 0_i64;
    loop {
        let rows: Vec<CaseRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {CASE_COLUMNS} FROM cases WHERE id > $1 AND status IN ('dispatched', 'accepted') ORDER BY id LIMIT $2")))
                .bind(after_id)
                .bind(CATCH_UP_CASES_PER_QUERY)
                .fetch_all(&mut *tx)
                .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let case = Case::try_from(row)?;
            after_id = case.id.get();
            let columns = crate::cases::Columns::of(&case, Vec::new());
            sqlx::query("UPDATE cases SET due_soon_at = $1 WHERE id = $2").bind(columns.due_soon_at).bind(case.id.get()).execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

fn month_of(text: &str) -> Result<Month, StoreError> {
    Month::parse(text).map_err(|e| StoreError::corrupt(format!("rollup month: {e}")))
}

/// The counters of a row whose columns from `first` on are [`RateCounts::COLUMNS`], in order:
/// a `rollup_rates` row or a sum of them.
fn counts_of(row: &sqlx::any::AnyRow, first: usize) -> Result<RateCounts, StoreError> {
    let values = (first..first + RateCounts::COLUMNS.len()).map(|i| row.try_get::<i64, _>(i)).collect::<Result<Vec<_>, _>>()?;
    RateCounts::from_values(&values).ok_or_else(|| StoreError::corrupt("rollup row width"))
}

/// A `rollup_rates` row read as `month, region, unit` and then its counters. The counters are as
/// many as the domain defines, so this table is mapped by hand, here only.
fn rate_row(row: &sqlx::any::AnyRow) -> Result<(RateKey, RateCounts), StoreError> {
    let month: String = row.try_get(0)?;
    Ok((RateKey { month: month_of(&month)?, region: row.try_get(1)?, unit: row.try_get(2)? }, counts_of(row, 3)?))
}

/// A `rollup_volume` row, or a `rollup_district_volume` row with its district read as `region`.
#[derive(FromRow)]
struct VolumeTableRow {
    month: String,
    region: String,
    category: String,
    channel: String,
    n: i64,
}

impl VolumeTableRow {
    fn into_entry(self) -> Result<(VolumeKey, i64), StoreError> {
        let channel =
            Channel::parse(&self.channel).ok_or_else(|| StoreError::corrupt(format!("rollup channel {:?}", self.channel)))?;
        Ok((VolumeKey { month: month_of(&self.month)?, region: self.region, category: self.category, channel }, self.n))
    }
}

/// A sum of volume rows, as [`Rollups::volume`] reads it.
#[derive(FromRow)]
struct VolumeSumRow {
    month: String,
    region: String,
    category: String,
    n: i64,
}

/// A `rollup_daily` row, or a sum of them by day (region "").
#[derive(FromRow)]
pub(crate) struct DailyRow {
    pub(crate) day: String,
    #[sqlx(default)]
    pub(crate) region: String,
    pub(crate) received: i64,
    pub(crate) closed: i64,
}

pub(crate) fn day_of_row(text: &str) -> Result<jiff::civil::Date, StoreError> {
    text.parse().map_err(|e| StoreError::corrupt(format!("rollup day {text:?}: {e}")))
}

/// The half-open range of codes that start with `prefix`.
pub(crate) fn prefix_range(prefix: &str) -> (String, String) {
    let mut hi = prefix.to_owned();
    match hi.pop() {
        Some(last) => hi.push(char::from(last as u8 + 1)),
        None => hi.push('\u{7f}'),
    }
    (prefix.to_owned(), hi)
}

/// The monthly counters behind rates, rankings, hotspots and campaigns.
pub struct Rollups<'a>(pub(crate) &'a Store);

impl Store {
    pub fn rollups(&self) -> Rollups<'_> {
        Rollups(self)
    }
}

impl Rollups<'_> {
    /// The stored counters, as they are.
    pub async fn stored(&self) -> Result<Rollup, StoreError> {
        let mut rollup = Rollup::default();
        let sql = format!("SELECT month, region, unit, {} FROM rollup_rates", RateCounts::COLUMNS.join(", "));
        for row in sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.0.pool).await? {
            let (key, counts) = rate_row(&row)?;
            rollup.rates.insert(key, counts);
        }
        let rows: Vec<VolumeTableRow> =
            sqlx::query_as("SELECT month, region, category, channel, n FROM rollup_volume").fetch_all(&self.0.pool).await?;
        for row in rows {
            let (key, n) = row.into_entry()?;
            rollup.volume.insert(key, n);
        }
        let rows: Vec<DailyRow> =
            sqlx::query_as("SELECT day, region, received, closed FROM rollup_daily").fetch_all(&self.0.pool).await?;
        for row in rows {
            let key = DayKey { day: day_of_row(&row.day)?, region: row.region };
            rollup.daily.insert(key, DayCounts { received: row.received, closed: row.closed });
        }
        Ok(rollup.without_zeros())
    }

    /// Compares the stored counters, street and district volume included, with a fresh fold of
    /// the event log (read only).
    pub async fn check(&self) -> Result<RollupCheck, StoreError> {
        let stored = self.stored().await?;
        let districts = self.stored_district_volume().await?;
        let folded = self.from_events().await?;
        Ok(RollupCheck {
            rate_rows: stored.rates.len(),
            volume_rows: stored.volume.len(),
            district_volume_rows: districts.len(),
            differing_rows: stored.differences(&folded) + differing_rows(&districts, &folded.district_volume()),
        })
    }

    /// What the counters would be, folded afresh from the event log (read only).
    pub async fn from_events(&self) -> Result<Rollup, StoreError> {
        let mut conn = self.0.pool.acquire().await?;
        from_events(&mut conn).await
    }

    /// Recomputes the counters from the event log and replaces the stored ones, in one
    /// transaction of the writer: no write can slip between the fold and the replacement.
    pub async fn rebuild(&self) -> Result<Rollup, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.0.writer.send(Job::RebuildRollups { reply }).await.map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Adds counters as they are, without events behind them: only for loading benchmark
    /// histories whose facts were folded outside the store. A rebuild discards them.
    pub async fn add(&self, rollup: Rollup) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.0.writer.send(Job::AddRollups { rollup: Box::new(rollup), reply }).await.map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Rate counters of `period` summed by street, district or unit (code → counters). With
    /// `region_prefix`, only streets whose codes start with it.
    pub async fn rate_counts(
        &self,
        period: Period,
        level: RateLevel,
        region_prefix: Option<&str>,
    ) -> Result<BTreeMap<String, RateCounts>, StoreError> {
        let group = match level {
            RateLevel::Street => "region",
            RateLevel::District => "substr(region, 1, 6)",
            RateLevel::Unit => "unit",
        };
        let sums: Vec<String> = RateCounts::COLUMNS.iter().map(|c| format!("CAST(SUM({c}) AS BIGINT)")).collect();
        let mut conditions = vec!["month >= $1 AND month <= $2".to_owned()];
        if level == RateLevel::Unit {
            conditions.push("unit <> ''".into());
        } else {
            conditions.push("region <> ''".into());
        }
        let (lo, hi) = prefix_range(region_prefix.unwrap_or(""));
        if region_prefix.is_some() {
            conditions.push("region >= $3 AND region < $4".into());
        }
        let sql = format!(
            "SELECT {group} AS code, {} FROM rollup_rates WHERE {} GROUP BY {group}",
            sums.join(", "),
            conditions.join(" AND ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(period.first.to_string()).bind(period.last.to_string());
        if region_prefix.is_some() {
            query = query.bind(lo).bind(hi);
        }
        let mut out = BTreeMap::new();
        for row in query.fetch_all(&self.0.pool).await? {
            out.insert(row.try_get::<String, _>(0)?, counts_of(&row, 1)?);
        }
        Ok(out)
    }

    /// Counters of one unit or region (prefix) over `period`, summed.
    pub async fn rate_total(&self, period: Period, region_prefix: Option<&str>, unit: Option<&str>) -> Result<RateCounts, StoreError> {
        let sums: Vec<String> = RateCounts::COLUMNS.iter().map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)")).collect();
        let (lo, hi) = prefix_range(region_prefix.unwrap_or(""));
        let sql = format!(
            "SELECT {} FROM rollup_rates WHERE month >= $1 AND month <= $2 AND region >= $3 AND region < $4 AND ($5 = '' OR unit = $5)",
            sums.join(", ")
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(period.first.to_string())
            .bind(period.last.to_string())
            .bind(if region_prefix.is_some() { lo } else { String::new() })
            .bind(if region_prefix.is_some() { hi } else { "\u{7f}".to_owned() })
            .bind(unit.unwrap_or("").to_owned())
            .fetch_one(&self.0.pool)
            .await?;
        counts_of(&row, 0)
    }

    /// Registered volume over the months `from..=to`, of one channel (all when `None`), in the
    /// streets whose codes start with `region_prefix`: by month, street and catalogue entry, or
    /// summed over the region (see [`VolumeGrain`]).
    pub async fn volume(
        &self,
        from: Month,
        to: Month,
        region_prefix: Option<&str>,
        channel: Option<Channel>,
        grain: VolumeGrain,
    ) -> Result<Vec<VolumeRow>, StoreError> {
        // A district or the whole city summed by category reads the district table: a few
        // thousand rows for a district's year, where its streets hold twenty times more.
        let by_district = grain == VolumeGrain::Category && region_prefix.is_none_or(|p| p.len() <= 6);
        let (table, region, _) = if by_district { VolumeTable::District } else { VolumeTable::Street }.names();
        let street = if grain == VolumeGrain::Street { "region" } else { "''" };
        let group = if grain == VolumeGrain::Street { "month, region, category" } else { "month, category" };
        let sql = format!(
            "SELECT month, {street} AS region, category, CAST(SUM(n) AS BIGINT) AS n FROM {table} \
             WHERE month >= $1 AND month <= $2 AND {region} >= $3 AND {region} < $4 AND ($5 = '' OR channel = $5) \
             GROUP BY {group}"
        );
        let (lo, hi) = prefix_range(region_prefix.unwrap_or(""));
        let rows: Vec<VolumeSumRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(from.to_string())
            .bind(to.to_string())
            .bind(if region_prefix.is_some() { lo } else { String::new() })
            .bind(if region_prefix.is_some() { hi } else { "\u{7f}".to_owned() })
            .bind(channel.map_or("", Channel::as_str).to_owned())
            .fetch_all(&self.0.pool)
            .await?;
        let summed_region = region_prefix.unwrap_or("");
        rows.into_iter()
            .map(|row| {
                Ok(VolumeRow {
                    month: month_of(&row.month)?,
                    region: if grain == VolumeGrain::Street { row.region } else { summed_region.to_owned() },
                    category: row.category,
                    count: row.n,
                })
            })
            .collect()
    }

    /// The stored district volume, keyed like street volume with the district in `region`.
    pub async fn stored_district_volume(&self) -> Result<HashMap<VolumeKey, i64>, StoreError> {
        let rows: Vec<VolumeTableRow> =
            sqlx::query_as("SELECT month, district AS region, category, channel, n FROM rollup_district_volume").fetch_all(&self.0.pool).await?;
        let mut out = rows.into_iter().map(VolumeTableRow::into_entry).collect::<Result<HashMap<_, _>, _>>()?;
        out.retain(|_, n| *n != 0);
        Ok(out)
    }
}
