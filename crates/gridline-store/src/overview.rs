//! Whole sets of cases for overviews (the dashboard): every case a filter matches, unpaged.

use gridline_core::case::Case;
use sqlx::AssertSqlSafe;

use crate::StoreError;
use crate::cases::{CaseFilter, CaseRow, Cases, bind, where_clause};

/// The most cases an overview reads at once. The demo city has 3,000; a city far beyond this
/// needs rollup tables kept current on write (issue 7), not a scan, and gets a clear error
/// rather than a slow page.
pub const OVERVIEW_LIMIT: usize = 200_000;

impl Cases<'_> {
    /// Every case `filter` matches (its page and page size are ignored), oldest first.
    pub async fn for_overview(&self, filter: &CaseFilter) -> Result<Vec<Case>, StoreError> {
        let (conditions, params) = where_clause(filter);
        let rows: Vec<CaseRow> = sqlx::query_as_with(
            AssertSqlSafe(format!("SELECT id, doc FROM cases WHERE {conditions} ORDER BY id LIMIT {}", OVERVIEW_LIMIT + 1)),
            bind(&params),
        )
        .fetch_all(&self.0.pool)
        .await?;
        if rows.len() > OVERVIEW_LIMIT {
            return Err(StoreError::TooMany { limit: OVERVIEW_LIMIT });
        }
        rows.into_iter().map(Case::try_from).collect()
    }
}
