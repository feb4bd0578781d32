//! Reads for the open doors: a case by its channel's ticket number, the public request list of
//! Open311, the event feed of its `servicerequestupdates`, and a streamed export of the case list.

use futures_util::TryStreamExt;
use gridline_core::case::{Case, CaseEvent, CaseId, CaseStatus, Channel};
use jiff::Timestamp;
use sqlx::any::AnyArguments;
use sqlx::{Arguments, AssertSqlSafe, Row};
use tokio::sync::mpsc;

use crate::cases::{CaseFilter, case_from_row, where_clause};
use crate::{Store, StoreError, millis};

/// The Open311 request list: every field narrows it; ids, when given, override the others.
#[derive(Clone, Debug, Default)]
pub struct PublicQuery {
    pub ids: Vec<CaseId>,
    pub categories: Vec<String>,
    pub statuses: Vec<CaseStatus>,
    pub received_from: Option<Timestamp>,
    pub received_to: Option<Timestamp>,
    /// From 1.
    pub page: u32,
    pub page_size: u32,
}

/// One event with the case it belongs to.
#[derive(Clone, Debug)]
pub struct EventRecord {
    pub case_id: CaseId,
    pub event: CaseEvent,
}

/// Cases handed over per message of an export stream: large enough that the channel costs
/// nothing next to decoding, small enough to keep memory flat.
const EXPORT_BATCH: usize = 1024;

impl Store {
    /// The case filed through `channel` under the channel's own ticket number.
    pub async fn case_by_external_id(&self, channel: Channel, external_id: &str) -> Result<Option<Case>, StoreError> {
        let row = sqlx::query("SELECT id, doc FROM cases WHERE channel = $1 AND external_id = $2")
            .bind(channel.as_str())
            .bind(external_id.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(case_from_row).transpose()
    }

    /// Newest first.
    pub async fn public_requests(&self, query: &PublicQuery) -> Result<Vec<Case>, StoreError> {
        let mut binds: Vec<Bind> = Vec::new();
        // Numbered placeholders for `values`, joined by commas.
        let mut place = |values: Vec<Bind>| -> String {
            let first = binds.len() + 1;
            binds.extend(values);
            (first..=binds.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
        };
        let mut conditions = vec!["1 = 1".to_owned()];
        if !query.ids.is_empty() {
            conditions.push(format!("id IN ({})", place(query.ids.iter().map(|&id| Bind::Int(id)).collect())));
        } else {
            if !query.categories.is_empty() {
                let codes = place(query.categories.iter().map(|c| Bind::Text(c.clone())).collect());
                conditions.push(format!("category IN ({codes})"));
            }
            if !query.statuses.is_empty() {
                let statuses = place(query.statuses.iter().map(|s| Bind::Text(s.as_str().into())).collect());
                conditions.push(format!("status IN ({statuses})"));
            }
            if let Some(from) = query.received_from {
                conditions.push(format!("received_at >= {}", place(vec![Bind::Int(millis(from))])));
            }
            if let Some(to) = query.received_to {
                conditions.push(format!("received_at <= {}", place(vec![Bind::Int(millis(to))])));
            }
        }
        let mut args = AnyArguments::default();
        for value in binds {
            match value {
                Bind::Int(v) => args.add(v),
                Bind::Text(v) => args.add(v),
            }
            .map_err(StoreError::corrupt)?;
        }
        let page_size = query.page_size.max(1);
        let offset = i64::from(query.page.max(1) - 1) * i64::from(page_size);
        let rows = sqlx::query_with(
            AssertSqlSafe(format!(
                "SELECT id, doc FROM cases WHERE {} ORDER BY id DESC LIMIT {page_size} OFFSET {offset}",
                conditions.join(" AND ")
            )),
            args,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(case_from_row).collect()
    }

    /// Events recorded in `[from, to]`, oldest first, at most `limit`.
    pub async fn events_between(&self, from: Timestamp, to: Timestamp, limit: u32) -> Result<Vec<EventRecord>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT case_id, doc FROM case_events WHERE at >= $1 AND at <= $2 ORDER BY at, case_id, seq LIMIT {limit}"
        )))
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let case_id: CaseId = row.try_get("case_id")?;
                let doc: String = row.try_get("doc")?;
                let event = serde_json::from_str(&doc).map_err(|e| StoreError::corrupt(format!("event of case {case_id}: {e}")))?;
                Ok(EventRecord { case_id, event })
            })
            .collect()
    }

    /// Every case the filter admits (its page is ignored), oldest first, in batches through a
    /// channel: the export never holds more than a few batches, whatever the number of cases.
    /// The stream ends after an error.
    pub fn stream_cases(&self, filter: &CaseFilter) -> mpsc::Receiver<Result<Vec<Case>, StoreError>> {
        let (tx, rx) = mpsc::channel(4);
        let (conditions, params) = where_clause(filter);
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let sql = format!("SELECT id, doc FROM cases WHERE {conditions} ORDER BY id");
            let mut rows = sqlx::query_with(AssertSqlSafe(sql), crate::cases::bind(&params)).fetch(&pool);
            let mut batch = Vec::with_capacity(EXPORT_BATCH);
            loop {
                match rows.try_next().await {
                    Ok(Some(row)) => match case_from_row(&row) {
                        Ok(case) => batch.push(case),
                        Err(err) => {
                            let _ = tx.send(Err(err)).await;
                            return;
                        }
                    },
                    Ok(None) => break,
                    Err(err) => {
                        let _ = tx.send(Err(err.into())).await;
                        return;
                    }
                }
                if batch.len() == EXPORT_BATCH && tx.send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(EXPORT_BATCH)))).await.is_err() {
                    // The reader went away (a client hung up): stop reading.
                    return;
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(Ok(batch)).await;
            }
        });
        rx
    }
}

enum Bind {
    Int(i64),
    Text(String),
}
