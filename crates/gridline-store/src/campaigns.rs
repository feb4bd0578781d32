//! Campaigns (专项整治) as they were declared; their effect is computed from the volume rollup.
//! `store.campaigns()`.

use gridline_core::campaign::Campaign;
use gridline_core::period::{Month, Period};
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, FromRow};

use crate::{Store, StoreError, millis};

/// A `campaigns` row as stored.
#[derive(FromRow)]
struct CampaignRow {
    id: i64,
    theme: String,
    entries: String,
    regions: String,
    first_month: String,
    last_month: String,
}

impl TryFrom<CampaignRow> for Campaign {
    type Error = StoreError;

    fn try_from(row: CampaignRow) -> Result<Self, StoreError> {
        let id = row.id;
        let bad = |what: &str| StoreError::corrupt(format!("campaign {id}: {what}"));
        let month = |text: &str, name: &str| Month::parse(text).map_err(|_| bad(name));
        Ok(Campaign {
            id,
            entries: serde_json::from_str(&row.entries).map_err(|_| bad("entries"))?,
            regions: serde_json::from_str(&row.regions).map_err(|_| bad("regions"))?,
            period: Period::new(month(&row.first_month, "first_month")?, month(&row.last_month, "last_month")?)
                .map_err(|_| bad("period"))?,
            theme: row.theme,
        })
    }
}

const COLUMNS: &str = "id, theme, entries, regions, first_month, last_month";

/// The campaigns declared.
pub struct Campaigns<'a>(&'a Store);

impl Store {
    pub fn campaigns(&self) -> Campaigns<'_> {
        Campaigns(self)
    }
}

impl Campaigns<'_> {
    pub async fn create(
        &self,
        theme: &str,
        entries: &[String],
        regions: &[String],
        period: Period,
        by: i64,
        at: Timestamp,
    ) -> Result<Campaign, StoreError> {
        let id: i64 = sqlx::query_scalar(
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
        .fetch_one(&self.0.pool)
        .await?;
        Ok(Campaign { id, theme: theme.to_owned(), entries: entries.to_vec(), regions: regions.to_vec(), period })
    }

    /// Newest first.
    pub async fn list(&self) -> Result<Vec<Campaign>, StoreError> {
        let rows: Vec<CampaignRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM campaigns ORDER BY id DESC"))).fetch_all(&self.0.pool).await?;
        rows.into_iter().map(Campaign::try_from).collect()
    }

    pub async fn get(&self, id: i64) -> Result<Option<Campaign>, StoreError> {
        let row: Option<CampaignRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(Campaign::try_from).transpose()
    }
}
