//! Reads for the text intelligence (gridline-text): the cases a classifier learns from, the
//! open cases the duplicate index starts with, the cases hot issues are found in. Keyset pages
//! by id, so a million cases stream without OFFSET rescans. `store.text()`.

use gridline_core::case::{Case, CaseId, CaseStatus};
use jiff::Timestamp;
use sqlx::AssertSqlSafe;

use crate::cases::{CASE_COLUMNS, CaseRow, case_id};
use crate::{Store, StoreError, millis};

const PAGE: i64 = 5000;

/// Ids per `id IN (…)` look-up.
const IDS_PER_QUERY: usize = 500;

/// The reads of the text intelligence.
pub struct Text<'a>(&'a Store);

impl Store {
    pub fn text(&self) -> Text<'_> {
        Text(self)
    }
}

/// The condition of the cases read for text: above the id bound as `$1`, open ones only with
/// `open_only`, and received at or after the time bound as `$2` with `from`.
fn text_condition(open_only: bool, from: bool) -> String {
    let mut conditions = vec!["id > $1".to_owned()];
    if open_only {
        // Status names are the domain's fixed identifiers, not input.
        let closed: Vec<String> = CaseStatus::ALL.iter().filter(|s| !s.is_open()).map(|s| format!("'{}'", s.as_str())).collect();
        conditions.push(format!("status NOT IN ({})", closed.join(", ")));
    }
    if from {
        conditions.push("received_at >= $2".to_owned());
    }
    conditions.join(" AND ")
}

impl Text<'_> {
    /// Every case (only the open ones with `open_only`) received at or after `from`, by id.
    pub async fn cases(&self, open_only: bool, from: Option<Timestamp>) -> Result<Vec<Case>, StoreError> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE {} ORDER BY id LIMIT {PAGE}", text_condition(open_only, from.is_some()));
        let mut cases = Vec::new();
        let mut after = 0;
        loop {
            let mut query = sqlx::query_as::<_, CaseRow>(AssertSqlSafe(sql.clone())).bind(after);
            if let Some(from) = from {
                query = query.bind(millis(from));
            }
            let rows = query.fetch_all(&self.0.pool).await?;
            let done = (rows.len() as i64) < PAGE;
            for row in rows {
                let case = Case::try_from(row)?;
                after = case.id.get();
                cases.push(case);
            }
            if done {
                return Ok(cases);
            }
        }
    }

    /// The ids of the cases [`Text::cases`] reads whose id is above `after` (those filed since
    /// a case already read), by id: a reader that holds most of them already (the duplicate
    /// index of the process that filed them) reads only the others whole.
    pub async fn case_ids_after(&self, after: CaseId, open_only: bool, from: Option<Timestamp>) -> Result<Vec<CaseId>, StoreError> {
        let sql = format!("SELECT id FROM cases WHERE {} ORDER BY id", text_condition(open_only, from.is_some()));
        let mut query = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql)).bind(after.get());
        if let Some(from) = from {
            query = query.bind(millis(from));
        }
        query.fetch_all(&self.0.pool).await?.into_iter().map(case_id).collect()
    }

    /// The cases of `ids` that exist, by id.
    pub async fn cases_by_id(&self, ids: &[CaseId]) -> Result<Vec<Case>, StoreError> {
        let mut cases = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE id IN ({})", placeholders.join(", "));
            let mut query = sqlx::query_as::<_, CaseRow>(AssertSqlSafe(sql));
            for &id in chunk {
                query = query.bind(id.get());
            }
            for row in query.fetch_all(&self.0.pool).await? {
                cases.push(Case::try_from(row)?);
            }
        }
        cases.sort_by_key(|c| c.id);
        Ok(cases)
    }
}
