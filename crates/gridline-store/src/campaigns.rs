//! Campaigns (专项整治) as they were declared; their effect is computed from the volume rollup.

use gridline_core::campaign::Campaign;
use gridline_core::period::{Month, Period};
use jiff::Timestamp;
use sqlx::Row;

use crate::{StoreError, millis};

fn campaign_from_row(row: &sqlx::any::AnyRow) -> Result<Campaign, StoreError> {
    let id: i64 = row.try_get("id")?;
    let bad = |what: &str| StoreError::corrupt(format!("campaign {id}: {what}"));
    let month = |name: &str| -> Result<Month, StoreError> {
        let text: String = row.try_get(name)?;
        Month::parse(&text).map_err(|_| bad(name))
    };
    let entries: String = row.try_get("entries")?;
    let regions: String = row.try_get("regions")?;
    Ok(Campaign {
        id,
        theme: row.try_get("theme")?,
        entries: serde_json::from_str(&entries).map_err(|_| bad("entries"))?,
        regions: serde_json::from_str(&regions).map_err(|_| bad("regions"))?,
        period: Period::new(month("first_month")?, month("last_month")?).map_err(|_| bad("period"))?,
    })
}

const COLUMNS: &str = "id, theme, entries, regions, first_month, last_month";

impl crate::Store {
    pub async fn create_campaign(
        &self,
        theme: &str,
        entries: &[String],
        regions: &[String],
        period: Period,
        by: i64,
        at: Timestamp,
    ) -> Result<Campaign, StoreError> {
        let row = sqlx::query(
            "INSERT INTO campaigns (theme, entries, regions, first_month, last_month, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(theme.to_owned())
        .bind(serde_json::to_string(entries).map_err(StoreError::corrupt)?)
        .bind(serde_json::to_string(regions).map_err(StoreError::corrupt)?)
        .bind(period.first.to_string())
        .bind(period.last.to_string())
        .bind(by)
        .bind(millis(at))
        .fetch_one(&self.pool)
        .await?;
        Ok(Campaign { id: row.try_get("id")?, theme: theme.to_owned(), entries: entries.to_vec(), regions: regions.to_vec(), period })
    }

    pub async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM campaigns ORDER BY id DESC")))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(campaign_from_row).collect()
    }

    pub async fn campaign(&self, id: i64) -> Result<Option<Campaign>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(campaign_from_row).transpose()
    }
}
