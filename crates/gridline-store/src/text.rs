//! Reads for the text intelligence (gridline-text): the cases a classifier learns from, the
//! open cases the duplicate index starts with, the cases hot issues are found in. Keyset pages
//! by id, so a million cases stream without OFFSET rescans. `store.text()`.

use gridline_core::case::{Case, CaseStatus};
use jiff::Timestamp;
use sqlx::AssertSqlSafe;

use crate::cases::CaseRow;
use crate::{Store, StoreError, millis};

const PAGE: i64 = 5000;

/// The reads of the text intelligence.
pub struct Text<'a>(&'a Store);

impl Store {
    pub fn text(&self) -> Text<'_> {
        Text(self)
    }
}

impl Text<'_> {
    /// Every case (only the open ones with `open_only`) received at or after `from`, by id.
    pub async fn cases(&self, open_only: bool, from: Option<Timestamp>) -> Result<Vec<Case>, StoreError> {
        self.cases_after(0, open_only, from).await
    }

    /// [`Text::cases`] of the cases whose id is above `after` (those filed since a case already
    /// read).
    pub async fn cases_after(&self, after: i64, open_only: bool, from: Option<Timestamp>) -> Result<Vec<Case>, StoreError> {
        let mut conditions = vec!["id > $1".to_owned()];
        if open_only {
            // Status names are the domain's fixed identifiers, not input.
            let closed: Vec<String> =
                CaseStatus::ALL.iter().filter(|s| !s.is_open()).map(|s| format!("'{}'", s.as_str())).collect();
            conditions.push(format!("status NOT IN ({})", closed.join(", ")));
        }
        if from.is_some() {
            conditions.push("received_at >= $2".to_owned());
        }
        let sql = format!("SELECT id, doc FROM cases WHERE {} ORDER BY id LIMIT {PAGE}", conditions.join(" AND "));
        let mut cases = Vec::new();
        let mut after = after;
        loop {
            let mut query = sqlx::query_as::<_, CaseRow>(AssertSqlSafe(sql.clone())).bind(after);
            if let Some(from) = from {
                query = query.bind(millis(from));
            }
            let rows = query.fetch_all(&self.0.pool).await?;
            let done = (rows.len() as i64) < PAGE;
            for row in rows {
                let case = Case::try_from(row)?;
                after = case.id;
                cases.push(case);
            }
            if done {
                return Ok(cases);
            }
        }
    }
}
