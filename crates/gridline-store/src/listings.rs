//! Listed supervision (挂牌督办): places and units on the public list, with their checks.
//! `store.listings()`.

use gridline_core::supervision::{Listing, ListingCheck, ListingKind, NewListing};
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, FromRow};

use crate::{Store, StoreError, as_stored, from_millis, is_unique_violation, millis};

fn checks_json(checks: &[ListingCheck]) -> Result<String, StoreError> {
    serde_json::to_string(checks).map_err(StoreError::corrupt)
}

/// A `listings` row as stored.
#[derive(FromRow)]
struct ListingRow {
    id: i64,
    kind: String,
    target: String,
    name: String,
    region: Option<String>,
    reason: String,
    deadline: i64,
    listed_by: i64,
    listed_at: i64,
    checks: String,
    delisted_at: Option<i64>,
}

impl TryFrom<ListingRow> for Listing {
    type Error = StoreError;

    fn try_from(row: ListingRow) -> Result<Self, StoreError> {
        let id = row.id;
        Ok(Listing {
            id,
            kind: ListingKind::parse(&row.kind).ok_or_else(|| StoreError::corrupt(format!("listing {id}: kind {:?}", row.kind)))?,
            target: row.target,
            name: row.name,
            region: row.region,
            reason: row.reason,
            deadline: from_millis(row.deadline)?,
            listed_by: row.listed_by,
            listed_at: from_millis(row.listed_at)?,
            checks: serde_json::from_str(&row.checks).map_err(|e| StoreError::corrupt(format!("listing {id}: checks: {e}")))?,
            delisted_at: row.delisted_at.map(from_millis).transpose()?,
        })
    }
}

const COLUMNS: &str = "id, kind, target, name, region, reason, deadline, listed_by, listed_at, checks, delisted_at";

/// The places and units under listed supervision.
pub struct Listings<'a>(&'a Store);

impl Store {
    pub fn listings(&self) -> Listings<'_> {
        Listings(self)
    }
}

impl Listings<'_> {
    /// Lists a place or unit; `Duplicate` while the same target has an open listing.
    pub async fn create(&self, new: &NewListing, by: i64, at: Timestamp) -> Result<Listing, StoreError> {
        insert_listing(&mut *self.0.pool.acquire().await?, new, by, at).await
    }

    pub async fn get(&self, id: i64) -> Result<Option<Listing>, StoreError> {
        let row: Option<ListingRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM listings WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(Listing::try_from).transpose()
    }

    /// Listings, newest first; only those still listed when `open_only`.
    pub async fn list(&self, open_only: bool, limit: u32) -> Result<Vec<Listing>, StoreError> {
        let filter = if open_only { "WHERE delisted_at IS NULL" } else { "" };
        let rows: Vec<ListingRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM listings {filter} ORDER BY id DESC LIMIT {limit}")))
                .fetch_all(&self.0.pool)
                .await?;
        rows.into_iter().map(Listing::try_from).collect()
    }

    /// The open listing of a place or unit, if it has one.
    pub async fn open_of(&self, kind: ListingKind, target: &str) -> Result<Option<Listing>, StoreError> {
        let row: Option<ListingRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM listings WHERE kind = $1 AND target = $2 AND delisted_at IS NULL"
        )))
        .bind(kind.as_str())
        .bind(target.to_owned())
        .fetch_optional(&self.0.pool)
        .await?;
        row.map(Listing::try_from).transpose()
    }

    /// Writes `after` (the listing with a check added, perhaps de-listed) over `before`, in one
    /// statement that holds only if nobody checked the listing since it was read; otherwise
    /// `Duplicate`, and nothing is written.
    pub async fn record_check(&self, before: &Listing, after: &Listing) -> Result<(), StoreError> {
        write_check(&mut *self.0.pool.acquire().await?, before, after).await
    }
}

// The two writes of a listing take a connection, so that a caller with a transaction (the
// alleys' month, which opens and checks a few hundred listings with its standings) makes them
// part of it rather than paying a commit for each; `Listings` runs them on their own.

/// Inserts a listing; `Duplicate` while the same target has an open listing.
pub(crate) async fn insert_listing(conn: &mut sqlx::AnyConnection, new: &NewListing, by: i64, at: Timestamp) -> Result<Listing, StoreError> {
    let inserted = sqlx::query_scalar(
        "INSERT INTO listings (kind, target, name, region, reason, deadline, listed_by, listed_at, checks) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]') RETURNING id",
    )
    .bind(new.kind.as_str())
    .bind(new.target.clone())
    .bind(new.name.clone())
    .bind(new.region.clone())
    .bind(new.reason.clone())
    .bind(millis(new.deadline))
    .bind(by)
    .bind(millis(at))
    .fetch_one(&mut *conn)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(err) if is_unique_violation(&err) => {
            return Err(StoreError::Duplicate(format!("{} {:?} is already listed", new.kind.as_str(), new.target)));
        }
        Err(err) => return Err(err.into()),
    };
    Ok(Listing {
        id,
        kind: new.kind,
        target: new.target.clone(),
        name: new.name.clone(),
        region: new.region.clone(),
        reason: new.reason.clone(),
        deadline: as_stored(new.deadline),
        listed_by: by,
        listed_at: as_stored(at),
        checks: vec![],
        delisted_at: None,
    })
}

/// Writes `after` over `before` if nobody checked the listing since it was read; otherwise
/// `Duplicate`, and nothing is written.
pub(crate) async fn write_check(conn: &mut sqlx::AnyConnection, before: &Listing, after: &Listing) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE listings SET checks = $1, delisted_at = $2 WHERE id = $3 AND delisted_at IS NULL AND checks = $4")
        .bind(checks_json(&after.checks)?)
        .bind(after.delisted_at.map(millis))
        .bind(before.id)
        .bind(checks_json(&before.checks)?)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Duplicate(format!("listing {} was checked by someone else meanwhile; read it again", before.id)));
    }
    Ok(())
}
