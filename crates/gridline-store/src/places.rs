//! Where cases are, for the dashboard map (issue 20): the places of the cases a filter admits,
//! read from the `lon` and `lat` columns (migration 0024) without unpacking a document, and the
//! one-time copy of the places of cases filed before those columns existed.

use gridline_core::case::{CaseEvent, Change};
use sqlx::{AnyConnection, Arguments, AssertSqlSafe, Connection, FromRow};

use crate::cases::{CaseFilter, EventRow, bind, where_clause};
use crate::dashboard::OPEN_STATUSES;
use crate::{Cases, StoreError, millis};

/// One case on the map: its place (WGS 84) and whether it is past its deadline now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlacedCase {
    pub lon: f64,
    pub lat: f64,
    pub overdue: bool,
}

/// The places of the cases a filter admits, and how many of them have none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CasePlaces {
    pub placed: Vec<PlacedCase>,
    pub unplaced: i64,
}

#[derive(FromRow)]
struct PlaceRow {
    lon: Option<f64>,
    lat: Option<f64>,
    overdue: i64,
}

impl Cases<'_> {
    /// The places of the cases `filter` admits (its page ignored), of the open ones only when
    /// `open_only`; overdue as at `filter.now`.
    pub async fn places(&self, filter: &CaseFilter, open_only: bool) -> Result<CasePlaces, StoreError> {
        let (conditions, params) = where_clause(filter);
        let open = if open_only { format!(" AND {OPEN_STATUSES}") } else { String::new() };
        let now = params.len() + 1;
        let mut args = bind(&params);
        args.add(millis(filter.now)).map_err(StoreError::corrupt)?;
        let rows: Vec<PlaceRow> = sqlx::query_as_with(
            AssertSqlSafe(format!(
                "SELECT lon, lat, CASE WHEN deadline < ${now} THEN 1 ELSE 0 END AS overdue FROM cases WHERE {conditions}{open}"
            )),
            args,
        )
        .fetch_all(&self.0.pool)
        .await?;
        let mut places = CasePlaces { placed: Vec::with_capacity(rows.len()), unplaced: 0 };
        for row in rows {
            match row.lon.zip(row.lat) {
                Some((lon, lat)) => places.placed.push(PlacedCase { lon, lat, overdue: row.overdue != 0 }),
                None => places.unplaced += 1,
            }
        }
        Ok(places)
    }
}

/// Intake events read per query by the backfill.
const BACKFILL_EVENTS_PER_QUERY: i64 = 5_000;

/// Copies each case's place from its intake event into its row, once, after migration 0024 (which
/// leaves a `case_places` row in `pending_backfills` when there were cases to copy).
pub(crate) async fn backfill(conn: &mut AnyConnection) -> Result<(), StoreError> {
    let pending = sqlx::query("SELECT name FROM pending_backfills WHERE name = 'case_places'").fetch_optional(&mut *conn).await?.is_some();
    if !pending {
        return Ok(());
    }
    tracing::info!("copying the cases' places into their rows for the map (once, after an upgrade)");
    let mut tx = conn.begin().await?;
    let mut after_id = 0_i64;
    loop {
        let rows: Vec<EventRow> = sqlx::query_as("SELECT case_id, doc FROM case_events WHERE case_id > $1 AND seq = 1 ORDER BY case_id LIMIT $2")
            .bind(after_id)
            .bind(BACKFILL_EVENTS_PER_QUERY)
            .fetch_all(&mut *tx)
            .await?;
        let Some(last) = rows.last() else { break };
        after_id = last.case_id;
        for row in rows {
            let id = row.case_id;
            if let Change::Receive(intake) = CaseEvent::try_from(row)?.change
                && let Some(place) = intake.location
            {
                sqlx::query("UPDATE cases SET lon = $1, lat = $2 WHERE id = $3").bind(place.lon).bind(place.lat).bind(id).execute(&mut *tx).await?;
            }
        }
    }
    sqlx::query("DELETE FROM pending_backfills WHERE name = 'case_places'").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
