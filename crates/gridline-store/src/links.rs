//! 双向督办 links between a creation-drive finding and a hotline case.

use gridline_core::case::CaseId;
use gridline_core::supervision::CaseLink;
use jiff::Timestamp;
use sqlx::Row;

use crate::{StoreError, as_stored, from_millis, is_unique_violation, millis};

impl crate::Store {
    /// Links the two cases; `Duplicate` when they are linked already.
    pub async fn link_cases(&self, finding: CaseId, hotline: CaseId, by: i64, at: Timestamp) -> Result<CaseLink, StoreError> {
        let inserted = sqlx::query("INSERT INTO case_links (finding_case, hotline_case, linked_by, linked_at) VALUES ($1, $2, $3, $4)")
            .bind(finding)
            .bind(hotline)
            .bind(by)
            .bind(millis(at))
            .execute(&self.pool)
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
    pub async fn links_of(&self, case: CaseId) -> Result<Vec<CaseLink>, StoreError> {
        let rows = sqlx::query(
            "SELECT finding_case, hotline_case, linked_by, linked_at FROM case_links WHERE finding_case = $1 \
             UNION ALL SELECT finding_case, hotline_case, linked_by, linked_at FROM case_links WHERE hotline_case = $1 \
             ORDER BY linked_at, finding_case, hotline_case",
        )
        .bind(case)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CaseLink {
                    finding: row.try_get("finding_case")?,
                    hotline: row.try_get("hotline_case")?,
                    linked_by: row.try_get("linked_by")?,
                    linked_at: from_millis(row.try_get("linked_at")?)?,
                })
            })
            .collect()
    }
}
