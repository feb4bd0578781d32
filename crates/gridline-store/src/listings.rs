//! Listed supervision (挂牌督办): places and units on the public list, with their checks.

use gridline_core::supervision::{Listing, ListingCheck, ListingKind, NewListing};
use jiff::Timestamp;
use sqlx::Row;

use crate::{StoreError, as_stored, from_millis, is_unique_violation, millis};

fn checks_json(checks: &[ListingCheck]) -> Result<String, StoreError> {
    serde_json::to_string(checks).map_err(StoreError::corrupt)
}

fn listing_from_row(row: &sqlx::any::AnyRow) -> Result<Listing, StoreError> {
    let id: i64 = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let checks: String = row.try_get("checks")?;
    Ok(Listing {
        id,
        kind: ListingKind::parse(&kind).ok_or_else(|| StoreError::corrupt(format!("listing {id}: kind {kind:?}")))?,
        target: row.try_get("target")?,
        name: row.try_get("name")?,
        region: row.try_get("region")?,
        reason: row.try_get("reason")?,
        deadline: from_millis(row.try_get("deadline")?)?,
        listed_by: row.try_get("listed_by")?,
        listed_at: from_millis(row.try_get("listed_at")?)?,
        checks: serde_json::from_str(&checks).map_err(|e| StoreError::corrupt(format!("listing {id}: checks: {e}")))?,
        delisted_at: row.try_get::<Option<i64>, _>("delisted_at")?.map(from_millis).transpose()?,
    })
}

const COLUMNS: &str = "id, kind, target, name, region, reason, deadline, listed_by, listed_at, checks, delisted_at";

impl crate::Store {
    /// Lists a place or unit; `Duplicate` while the same target has an open listing.
    pub async fn create_listing(&self, new: &NewListing, by: i64, at: Timestamp) -> Result<Listing, StoreError> {
        let inserted = sqlx::query(
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
        .fetch_one(&self.pool)
        .await;
        let row = match inserted {
            Ok(row) => row,
            Err(err) if is_unique_violation(&err) => {
                return Err(StoreError::Duplicate(format!("{} {:?} is already listed", new.kind.as_str(), new.target)));
            }
            Err(err) => return Err(err.into()),
        };
        Ok(Listing {
            id: row.try_get("id")?,
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

    pub async fn listing(&self, id: i64) -> Result<Option<Listing>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM listings WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(listing_from_row).transpose()
    }

    /// Listings, newest first; only those still listed when `open_only`.
    pub async fn listings(&self, open_only: bool, limit: u32) -> Result<Vec<Listing>, StoreError> {
        let filter = if open_only { "WHERE delisted_at IS NULL" } else { "" };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM listings {filter} ORDER BY id DESC LIMIT {limit}")))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(listing_from_row).collect()
    }

    /// The open listing of a place or unit, if it has one.
    pub async fn open_listing_of(&self, kind: ListingKind, target: &str) -> Result<Option<Listing>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM listings WHERE kind = $1 AND target = $2 AND delisted_at IS NULL"
        )))
        .bind(kind.as_str())
        .bind(target.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(listing_from_row).transpose()
    }

    /// Writes `after` (the listing with a check added, perhaps de-listed) over `before`, in one
    /// statement that holds only if nobody checked the listing since it was read; otherwise
    /// `Duplicate`, and nothing is written.
    pub async fn record_listing_check(&self, before: &Listing, after: &Listing) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE listings SET checks = $1, delisted_at = $2 WHERE id = $3 AND delisted_at IS NULL AND checks = $4")
            .bind(checks_json(&after.checks)?)
            .bind(after.delisted_at.map(millis))
            .bind(before.id)
            .bind(checks_json(&before.checks)?)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Duplicate(format!("listing {} was checked by someone else meanwhile; read it again", before.id)));
        }
        Ok(())
    }
}
