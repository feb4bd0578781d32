//! Reads for the open doors: a case by its channel's ticket number, the public request list of
//! Open311, the event feed of its `servicerequestupdates`, and a streamed export of the case list.

use std::sync::Arc;

use futures_util::StreamExt;
use gridline_core::case::{Case, CaseEvent, CaseId, CaseStatus, Channel};
use jiff::Timestamp;
use sqlx::any::AnyArguments;
use sqlx::{Arguments, AssertSqlSafe};
use tokio::sync::mpsc;

use crate::cases::{CASE_COLUMNS, CaseFilter, CaseRow, Cases, EventRow, Param, case_id, where_clause};
use crate::{StoreError, millis};

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

/// Ids per page of an export stream: large enough that a query and a hand-over cost nothing
/// next to decoding, small enough to keep memory flat.
const EXPORT_PAGE_IDS: i64 = 2048;

/// Pages read and decoded at once: enough to keep two cores and the database busy.
const EXPORT_PAGES_AT_ONCE: usize = 3;

impl Cases<'_> {
    /// The case filed through `channel` under the channel's own ticket number.
    pub async fn by_external_id(&self, channel: Channel, external_id: &str) -> Result<Option<Case>, StoreError> {
        let row: Option<CaseRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {CASE_COLUMNS} FROM cases WHERE channel = $1 AND external_id = $2")))
            .bind(channel.as_str())
            .bind(external_id.to_owned())
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(Case::try_from).transpose()
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
            conditions.push(format!("id IN ({})", place(query.ids.iter().map(|&id| Bind::Int(id.get())).collect())));
        } else {
            if !query.categories.is_empty() {
                let codes = place(query.categories.iter().map(|c| Bind::Text(c.to_string())).collect());
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
        let rows: Vec<CaseRow> = sqlx::query_as_with(
            AssertSqlSafe(format!(
                "SELECT {CASE_COLUMNS} FROM cases WHERE {} ORDER BY id DESC LIMIT {page_size} OFFSET {offset}",
                conditions.join(" AND ")
            )),
            args,
        )
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(Case::try_from).collect()
    }

    /// Events recorded in `[from, to]`, oldest first, at most `limit`.
    pub async fn events_between(&self, from: Timestamp, to: Timestamp, limit: u32) -> Result<Vec<EventRecord>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT case_id, doc FROM case_events WHERE at >= $1 AND at <= $2 ORDER BY at, case_id, seq LIMIT {limit}"
        )))
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(|row| Ok(EventRecord { case_id: case_id(row.case_id)?, event: row.try_into()? })).collect()
    }

    /// Every case the filter admits (its page is ignored), oldest first, in batches through a
    /// channel: the export never holds more than a few batches, whatever the number of cases.
    /// The stream ends after an error.
    pub fn stream(&self, filter: &CaseFilter) -> mpsc::Receiver<Result<Vec<Case>, StoreError>> {
        self.stream_pages(filter, Ok)
    }

    /// [`Cases::stream`] with `each_page` applied to every batch where the batch was
    /// decoded, so that what the reader does with the cases (an export writing its rows) runs
    /// in parallel too.
    ///
    /// The cases are read in pages of consecutive ids, a few pages at once on their own
    /// connections, each page decoded and handed to `each_page` on a blocking thread; the
    /// results come out in id order. Reading one row at a time through one connection left a
    /// core idle and spent the other on handing rows between threads.
    pub fn stream_pages<T: Send + 'static>(
        &self,
        filter: &CaseFilter,
        each_page: impl Fn(Vec<Case>) -> Result<T, StoreError> + Send + Sync + 'static,
    ) -> mpsc::Receiver<Result<T, StoreError>> {
        let (tx, rx) = mpsc::channel(EXPORT_PAGES_AT_ONCE);
        let (conditions, params) = where_clause(filter);
        let pool = self.0.pool.clone();
        let each_page = Arc::new(each_page);
        tokio::spawn(async move {
            let last: Result<Option<i64>, _> = sqlx::query_scalar("SELECT MAX(id) FROM cases").fetch_one(&pool).await;
            let last = match last {
                Ok(last) => last.unwrap_or(0),
                Err(err) => {
                    let _ = tx.send(Err(err.into())).await;
                    return;
                }
            };
            let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE {conditions} AND id > ${} AND id <= ${} ORDER BY id", params.len() + 1, params.len() + 2);
            let mut pages = futures_util::stream::iter(0..=last / EXPORT_PAGE_IDS)
                .map(|k| {
                    let (pool, sql, each_page) = (pool.clone(), sql.clone(), each_page.clone());
                    let mut params = params.clone();
                    params.extend([Param::Int(k * EXPORT_PAGE_IDS), Param::Int((k + 1) * EXPORT_PAGE_IDS)]);
                    async move {
                        let rows: Vec<CaseRow> = sqlx::query_as_with(AssertSqlSafe(sql), crate::cases::bind(&params)).fetch_all(&pool).await?;
                        if rows.is_empty() {
                            return Ok(None);
                        }
                        tokio::task::spawn_blocking(move || {
                            let cases = rows.into_iter().map(Case::try_from).collect::<Result<Vec<Case>, StoreError>>()?;
                            each_page(cases).map(Some)
                        })
                        .await
                        .map_err(|e| StoreError::corrupt(format!("reading a page of cases stopped: {e}")))?
                    }
                })
                .buffered(EXPORT_PAGES_AT_ONCE);
            while let Some(page) = pages.next().await {
                let page = match page {
                    Ok(None) => continue,
                    Ok(Some(page)) => Ok(page),
                    Err(err) => Err(err),
                };
                let failed = page.is_err();
                // A send fails when the reader went away (a client hung up): stop reading.
                if tx.send(page).await.is_err() || failed {
                    return;
                }
            }
        });
        rx
    }
}

enum Bind {
    Int(i64),
    Text(String),
}
