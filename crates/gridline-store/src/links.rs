//! 双向督办 links between a creation-drive finding and a hotline case: `store.links()`.

use gridline_core::case::CaseId;
use gridline_core::supervision::CaseLink;
use jiff::Timestamp;
use sqlx::FromRow;

use crate::cases::case_id;
use crate::{Store, StoreError, as_stored, from_millis, is_unique_violation, millis};

/// A `case_links` row as stored.
#[derive(FromRow)]
struct LinkRow {
    finding_case: i64,
    hotline_case: i64,
    linked_by: i64,
    linked_at: i64,
}

impl TryFrom<LinkRow> for CaseLink {
    type Error = StoreError;

    fn try_from(row: LinkRow) -> Result<Self, StoreError> {
        Ok(CaseLink { finding: case_id(row.finding_case)?, hotline: case_id(row.hotline_case)?, linked_by: row.linked_by, linked_at: from_millis(row.linked_at)? })
    }
}

/// The links between findings and hotline cases.
pub struct Links<'a>(&'a Store);

impl Store {
    pub fn links(&self) -> Links<'_> {
        Links(self)
    }
}

impl Links<'_> {
    /// Links the two cases; `Duplicate` when they are linked already.
    pub async fn link(&self, finding: CaseId, hotline: CaseId, by: i64, at: Timestamp) -> Result<CaseLink, StoreError> {
        let inserted = sqlx::query("INSERT INTO case_links (finding_case, hotline_case, linked_by, linked_at) VALUES ($1, $2, $3, $4)")
            .bind(finding.get())
            .bind(hotline.get())
            .bind(by)
            .bind(millis(at))
            .execute(&self.0.pool)
            .await;
        match inserted {
            Ok(_) => Ok(CaseLink { finding, hotline, linked_by: by, linked_at: as_stored(at) }),
            Err(err) if is_unique_violation(&err) => {
                Err(StoreError::Duplicate(format!("cases {finding} and {hotline} are already linked")))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The links of a case, from either end, oldest first.
    pub async fn of(&self, case: CaseId) -> Result<Vec<CaseLink>, StoreError> {
        let rows: Vec<LinkRow> = sqlx::query_as(
            "SELECT finding_case, hotline_case, linked_by, linked_at FROM case_links WHERE finding_case = $1 \
             UNION ALL SELECT finding_case, hotline_case, linked_by, linked_at FROM case_links WHERE hotline_case = $1 \
             ORDER BY linked_at, finding_case, hotline_case",
        )
        .bind(case.get())
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(CaseLink::try_from).collect()
    }
}
