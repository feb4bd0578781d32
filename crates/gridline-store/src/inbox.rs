//! The to-do inbox's reads: the events of a unit's open cases that concern it, and which inbox
//! items each user has read. `store.inbox()`. The items themselves are computed by the
//! application (`gridline_app::inbox`); only the reading is kept here.

use std::collections::HashSet;

use gridline_core::case::CaseId;
use jiff::Timestamp;
use sqlx::AssertSqlSafe;

use crate::case_reads::EventRecord;
use crate::cases::EventRow;
use crate::cases::{Param, bind, case_id};
use crate::{Store, StoreError, millis};

/// Inbox reads and read marks.
pub struct Inbox<'a>(&'a Store);

impl Store {
    pub fn inbox(&self) -> Inbox<'_> {
        Inbox(self)
    }
}

impl Inbox<'_> {
    /// The events of `actions` recorded on the cases `ids` since `since`, newest first, at most
    /// `limit`. Read by key range per case (the events' primary key starts with the case).
    pub async fn events_of(&self, ids: &[CaseId], actions: &[&str], since: Timestamp, limit: u32) -> Result<Vec<EventRecord>, StoreError> {
        if ids.is_empty() || actions.is_empty() {
            return Ok(Vec::new());
        }
        let mut params = vec![Param::Int(millis(since))];
        params.extend(ids.iter().map(|id| Param::Int(id.get())));
        params.extend(actions.iter().map(|a| Param::Text((*a).to_owned())));
        // `$n` numbered in the order they appear, each once: both engines take them so.
        let marks = |from: usize, n: usize| (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT case_id, doc FROM case_events WHERE at >= $1 AND case_id IN ({}) AND action IN ({}) ORDER BY at DESC, case_id DESC LIMIT {limit}",
            marks(2, ids.len()),
            marks(2 + ids.len(), actions.len())
        );
        let rows: Vec<EventRow> = sqlx::query_as_with(AssertSqlSafe(sql), bind(&params)).fetch_all(&self.0.pool).await?;
        rows.into_iter().map(|row| Ok(EventRecord { case_id: case_id(row.case_id)?, event: row.try_into()? })).collect()
    }

    /// The keys of the inbox items `user` has read.
    pub async fn read_items(&self, user: i64) -> Result<HashSet<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT item FROM inbox_reads WHERE user_id = $1").bind(user).fetch_all(&self.0.pool).await?;
        Ok(rows.into_iter().map(|(item,)| item).collect())
    }

    /// Marks `items` read by `user` at `at` (an item read before keeps its first reading), and
    /// forgets the readings older than `forget_before`, whose items have left every inbox. One
    /// transaction that writes first (SQLite: no read-then-write upgrade).
    pub async fn mark_read(&self, user: i64, items: &[String], at: Timestamp, forget_before: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.0.pool.begin().await?;
        sqlx::query("DELETE FROM inbox_reads WHERE user_id = $1 AND read_at < $2")
            .bind(user)
            .bind(millis(forget_before))
            .execute(&mut *tx)
            .await?;
        let mut new = 0;
        for item in items {
            let done = sqlx::query("INSERT INTO inbox_reads (user_id, item, read_at) VALUES ($1, $2, $3) ON CONFLICT (user_id, item) DO NOTHING")
                .bind(user)
                .bind(item.clone())
                .bind(millis(at))
                .execute(&mut *tx)
                .await?;
            new += done.rows_affected();
        }
        tx.commit().await?;
        Ok(new)
    }
}
