//! Cases and their events: `store.cases()`. The reads for the open doors and the overviews
//! are in `case_reads` and `overview`.

use std::collections::HashMap;

use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{Case, CaseEvent, CaseId, CaseStatus, Channel};
pub use gridline_core::workflow::Visibility;
use jiff::Timestamp;
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments, AssertSqlSafe, FromRow};
use tokio::sync::oneshot;

use crate::nullable::NullableDouble;
use crate::writer::Job;
use crate::{Backend, Store, StoreError, millis, packed, placeholders, row_placeholders};

/// The result of an intake: the case, and whether this call created it.
#[derive(Clone, Debug)]
pub struct Created {
    pub case: Case,
    pub created: bool,
}

/// Filters of the case list; every field is optional.
#[derive(Clone, Debug)]
pub struct CaseFilter {
    pub visibility: Visibility,
    pub status: Option<CaseStatus>,
    pub channel: Option<Channel>,
    pub category: Option<String>,
    /// Region-code prefix: the region and everything inside it.
    pub region_prefix: Option<String>,
    pub unit: Option<String>,
    /// With `now`: only cases past their deadline (true) or not (false).
    pub overdue: Option<bool>,
    pub now: Timestamp,
    pub received_from: Option<Timestamp>,
    pub received_to: Option<Timestamp>,
    pub text: Option<String>,
    pub reporter_phone: Option<String>,
    pub page: u32,
    pub page_size: u32,
}

impl CaseFilter {
    pub fn new(visibility: Visibility, now: Timestamp) -> Self {
        CaseFilter {
            visibility,
            status: None,
            channel: None,
            category: None,
            region_prefix: None,
            unit: None,
            overdue: None,
            now,
            received_from: None,
            received_to: None,
            text: None,
            reporter_phone: None,
            page: 1,
            page_size: 20,
        }
    }
}

#[derive(Clone, Debug)]
pub struct CasePage {
    pub cases: Vec<Case>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
}

/// The filter columns of a case row, derived from its projection.
pub(crate) struct Columns {
    status: &'static str,
    pub(crate) deadline: Option<i64>,
    suspended: i64,
    /// From when the running clock is due soon (see [`gridline_core::sla::SlaClock::due_soon_from`]).
    pub(crate) due_soon_at: Option<i64>,
    pub(crate) supervised: i64,
    search_text: String,
    /// The case's document, packed ([`crate::packed`]); empty for a case as its intake made it.
    doc: Vec<u8>,
}

impl Columns {
    /// The columns of `case`, whose stored document is `doc`.
    pub(crate) fn of(case: &Case, doc: Vec<u8>) -> Columns {
        // The deadline that decides "overdue": none while suspended with time left (the clock
        // stands still), the old one if it had already passed when the case was suspended.
        let deadline = case
            .running_clock()
            .filter(|c| c.paused_remaining_seconds.is_none_or(|left| left < 0))
            .map(|c| millis(c.deadline));
        Columns {
            status: case.status.as_str(),
            deadline,
            suspended: i64::from(case.is_suspended()),
            due_soon_at: case.running_clock().and_then(|c| c.due_soon_from(WorkCalendar::china())).map(millis),
            supervised: i64::from(case.supervision_count > 0),
            search_text: search_text(&case.intake),
            doc,
        }
    }
}

/// A case history made ready to be written: checked, replayed, its columns computed and its
/// documents packed by the caller, on the request's own task. The single writer then only binds
/// and executes, so that this work runs beside the previous batch's commit instead of inside
/// every batch's.
pub(crate) struct NewHistory {
    events: Vec<CaseEvent>,
    /// The events' documents, packed, in order.
    event_docs: Vec<Vec<u8>>,
    /// The projection, without its id until the writer gives it one.
    case: Case,
    columns: Columns,
}

impl NewHistory {
    pub(crate) fn prepare(events: Vec<CaseEvent>) -> Result<NewHistory, StoreError> {
        if events.iter().zip(1..).any(|(event, seq)| event.seq != seq) {
            return Err(StoreError::corrupt("a case history is numbered 1, 2, 3, …"));
        }
        let case = Case::replay(CaseId::UNSTORED, &events).ok_or_else(|| StoreError::corrupt("a case history starts with its intake"))?;
        // A case that is only its intake keeps no document: `Case::received` of the intake event,
        // which every read of a case fetches beside the row, is that case. Serialising and packing
        // it was about a tenth of an intake's work on the request's thread (12 of 128 µs), for
        // bytes the case's first action rewrites.
        let doc = if events.len() == 1 { Vec::new() } else { packed::pack(&case)? };
        let columns = Columns::of(&case, doc);
        let event_docs = events.iter().map(packed::pack).collect::<Result<_, _>>()?;
        Ok(NewHistory { events, event_docs, case, columns })
    }

    pub(crate) fn events(&self) -> &[CaseEvent] {
        &self.events
    }
}

/// An event to append, made ready by the caller as [`NewHistory`] is: the case's columns after
/// it and its document, packed.
pub(crate) struct NewEvent {
    pub(crate) case: Case,
    pub(crate) event: CaseEvent,
    columns: Columns,
    doc: Vec<u8>,
}

impl NewEvent {
    pub(crate) fn prepare(case: Case, event: CaseEvent) -> Result<NewEvent, StoreError> {
        Ok(NewEvent { columns: Columns::of(&case, packed::pack(&case)?), doc: packed::pack(&event)?, case, event })
    }
}

/// The text a case is found by: its title, description and address, lower-cased, each once — a
/// title that is part of the description (as hotline systems cut titles from the first words) is
/// left out, since whatever matches in it matches in the description.
fn search_text(intake: &gridline_core::case::Intake) -> String {
    let title = intake.title.as_str();
    let title = if intake.description.contains(title) { "" } else { title };
    lowercase(&[title, intake.description.as_str(), intake.address.as_deref().unwrap_or("")].join("\n"))
}

/// `text.to_lowercase()`, without looking up in the Unicode case tables the ideographs, kana and
/// CJK punctuation (U+3000–U+9FFF, none of which has a lower case) that make up most of a
/// message: every intake lower-cases its text for the search column.
fn lowercase(text: &str) -> String {
    // Σ is the one letter whose lower case depends on its neighbours: such text takes the long way.
    if text.contains('Σ') {
        return text.to_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\u{3000}'..='\u{9fff}') {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}


/// The columns a case is read from, `FROM cases`: its id, its document and, beside it, the
/// document of its intake event ([`without_intake`]), looked up by key for each row read.
pub(crate) const CASE_COLUMNS: &str = "id, doc, (SELECT e.doc FROM case_events e WHERE e.case_id = cases.id AND e.seq = 1) AS intake";

/// A `cases` row as read: the projection's document and its intake event's; the filter columns
/// are only ever read in SQL.
#[derive(FromRow)]
pub(crate) struct CaseRow {
    id: i64,
    doc: Vec<u8>,
    intake: Option<Vec<u8>>,
}

impl TryFrom<CaseRow> for Case {
    type Error = StoreError;

    fn try_from(row: CaseRow) -> Result<Self, StoreError> {
        let id = row.id;
        let what = || format!("case {id}");
        let no_intake = || StoreError::corrupt(format!("case {id}: no intake event"));
        if row.doc.is_empty() {
            // A case as its intake made it (see `NewHistory::prepare`).
            let event: CaseEvent = packed::read(&row.intake.ok_or_else(no_intake)?, || format!("the intake event of case {id}"))?;
            let case_id = CaseId::new(id).map_err(|e| StoreError::corrupt(format!("case {id}: {e}")))?;
            return Case::received(case_id, &event).ok_or_else(|| StoreError::corrupt(format!("case {id}: its first event is not its intake")));
        }
        let mut doc: serde_json::Map<String, serde_json::Value> = packed::read(&row.doc, what)?;
        if !doc.contains_key("id") {
            doc.insert("id".to_owned(), id.into());
        }
        if !doc.contains_key("intake") {
            let intake = row.intake.ok_or_else(no_intake)?;
            let mut event: serde_json::Map<String, serde_json::Value> = packed::read(&intake, || format!("the intake event of case {id}"))?;
            let mut change = event.remove("change").unwrap_or_default();
            let action = change.as_object_mut().and_then(|fields| fields.remove("action"));
            if action.is_none_or(|action| action != "receive") {
                return Err(StoreError::corrupt(format!("case {id}: its first event is not its intake")));
            }
            doc.insert("intake".to_owned(), change);
        }
        let mut case: Case = serde_json::from_value(serde_json::Value::Object(doc)).map_err(|e| StoreError::corrupt(format!("case {id}: {e}")))?;
        case.id = CaseId::new(id).map_err(|e| StoreError::corrupt(format!("case {id}: {e}")))?;
        Ok(case)
    }
}

/// A `case_events` row as read.
#[derive(FromRow)]
pub(crate) struct EventRow {
    pub(crate) case_id: i64,
    doc: Vec<u8>,
}

impl TryFrom<EventRow> for CaseEvent {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        packed::read(&row.doc, || format!("event of case {}", row.case_id))
    }
}

/// Rows per multi-row INSERT: 20 parameters a case row keeps a chunk well inside both engines'
/// parameter limits (SQLite 32,766; PostgreSQL 65,535).
const ROWS_PER_INSERT: usize = 400;

/// What became of a history given to [`insert_histories`]: filed under a new id, or held already
/// by a case (stored, or filed from an earlier history of the same call) under its channel and
/// external id.
pub(crate) enum Filed {
    New(CaseId),
    Existing(Box<Case>),
}

impl Filed {
    /// The answer to the history's caller: its case, moved out of the history when it was filed.
    pub(crate) fn into_created(self, history: NewHistory) -> Created {
        match self {
            Filed::New(id) => Created { case: Case { id, ..history.case }, created: true },
            Filed::Existing(case) => Created { case: *case, created: false },
        }
    }
}

/// Files case histories (an intake event alone, or a whole imported history) in a handful of
/// statements whatever their number: one look-up of the external ids already used, one id
/// allocation, then multi-row inserts. A history whose channel and external id are taken, in
/// the database or earlier in the same call, yields the case that holds them.
pub(crate) async fn insert_histories(conn: &mut AnyConnection, backend: Backend, histories: &[&NewHistory]) -> Result<Vec<Filed>, StoreError> {
    let key = |case: &Case| case.intake.external_id.clone().map(|id| (case.intake.channel.as_str(), id));
    let stored = existing_cases(conn, backend, histories.iter().map(|h| &h.case)).await?;
    // Each history is new, held by a stored case, or a repeat of an earlier one in this call.
    enum Fate {
        New,
        Stored(Box<Case>),
        RepeatOf(usize),
    }
    let mut first_seen: HashMap<(&'static str, String), usize> = HashMap::new();
    let fates: Vec<Fate> = histories
        .iter()
        .enumerate()
        .map(|(i, history)| match key(&history.case) {
            Some(k) if stored.contains_key(&k) => Fate::Stored(Box::new(stored[&k].clone())),
            Some(k) => match first_seen.get(&k) {
                Some(&first) => Fate::RepeatOf(first),
                None => {
                    first_seen.insert(k, i);
                    Fate::New
                }
            },
            None => Fate::New,
        })
        .collect();
    let fresh: Vec<usize> = fates.iter().enumerate().filter(|(_, f)| matches!(f, Fate::New)).map(|(i, _)| i).collect();
    let mut ids = vec![CaseId::UNSTORED; histories.len()];
    for (&i, id) in fresh.iter().zip(allocate_case_ids(conn, backend, fresh.len()).await?) {
        ids[i] = id;
    }
    for chunk in fresh.chunks(ROWS_PER_INSERT) {
        insert_case_rows(conn, backend, chunk.iter().map(|&i| (ids[i], &histories[i].case, &histories[i].columns))).await?;
    }
    let events: Vec<(CaseId, &CaseEvent, &[u8])> = fresh
        .iter()
        .flat_map(|&i| {
            let id = ids[i];
            histories[i].events.iter().zip(&histories[i].event_docs).map(move |(e, doc)| (id, e, doc.as_slice()))
        })
        .collect();
    for chunk in events.chunks(ROWS_PER_INSERT) {
        insert_event_rows(conn, backend, chunk).await?;
    }
    Ok(fates
        .into_iter()
        .enumerate()
        .map(|(i, fate)| match fate {
            Fate::New => Filed::New(ids[i]),
            Fate::Stored(stored) => Filed::Existing(stored),
            Fate::RepeatOf(first) => Filed::Existing(Box::new(Case { id: ids[first], ..histories[first].case.clone() })),
        })
        .collect())
}

/// The stored cases holding the (channel, external id) keys of `cases`, looked up per channel so
/// that the unique index on (channel, external_id) serves.
async fn existing_cases(
    conn: &mut AnyConnection,
    backend: Backend,
    cases: impl Iterator<Item = &Case>,
) -> Result<HashMap<(&'static str, String), Case>, StoreError> {
    let mut by_channel: HashMap<&'static str, Vec<&str>> = HashMap::new();
    for case in cases {
        if let Some(id) = case.intake.external_id.as_deref() {
            by_channel.entry(case.intake.channel.as_str()).or_default().push(id);
        }
    }
    let mut found = HashMap::new();
    for (channel, external_ids) in by_channel {
        for chunk in external_ids.chunks(ROWS_PER_INSERT) {
            let placeholders = placeholders(backend, 2, chunk.len());
            let mut args = AnyArguments::default();
            args.add(channel).map_err(StoreError::corrupt)?;
            for id in chunk {
                args.add(id.to_string()).map_err(StoreError::corrupt)?;
            }
            let rows: Vec<CaseRow> = sqlx::query_as_with(
                AssertSqlSafe(format!(
                    "SELECT {CASE_COLUMNS} FROM cases WHERE channel = {} AND external_id IN ({placeholders})",
                    self::placeholders(backend, 1, 1)
                )),
                args,
            )
            .fetch_all(&mut *conn)
            .await?;
            for row in rows {
                let case = Case::try_from(row)?;
                if let Some(id) = case.intake.external_id.clone() {
                    found.insert((channel, id), case);
                }
            }
        }
    }
    Ok(found)
}

/// `n` new case ids. SQLite has one writer (this one, inside BEGIN IMMEDIATE), so the next ids
/// follow the largest; PostgreSQL draws them from the identity sequence, safe across servers.
/// A case id the store reads back, refused as corrupt if it is not one.
pub(crate) fn case_id(id: i64) -> Result<CaseId, StoreError> {
    CaseId::new(id).map_err(StoreError::corrupt)
}

async fn allocate_case_ids(conn: &mut AnyConnection, backend: Backend, n: usize) -> Result<Vec<CaseId>, StoreError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let count = i64::try_from(n).map_err(StoreError::corrupt)?;
    match backend {
        Backend::Sqlite => {
            let max: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM cases").fetch_one(&mut *conn).await?;
            (max + 1..=max + count).map(case_id).collect()
        }
        Backend::Postgres => {
            let mut ids: Vec<i64> =
                sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, $1)")
                    .bind(count)
                    .fetch_all(&mut *conn)
                    .await?;
            ids.sort_unstable();
            ids.into_iter().map(case_id).collect()
        }
    }
}

async fn insert_case_rows<'a>(
    conn: &mut AnyConnection,
    backend: Backend,
    cases: impl Iterator<Item = (CaseId, &'a Case, &'a Columns)>,
) -> Result<(), StoreError> {
    let mut args = AnyArguments::default();
    let mut rows = 0;
    for (id, case, cols) in cases {
        let intake = &case.intake;
        rows += 1;
        for result in [
            args.add(id.get()),
            args.add(i64::from(case.version)),
            args.add(intake.channel.as_str()),
            args.add(intake.external_id.clone()),
            args.add(cols.status),
            args.add(case.category.clone().map(String::from)),
            args.add(case.region.clone().map(String::from)),
            args.add(case.unit.clone().map(String::from)),
            args.add(cols.deadline),
            args.add(cols.suspended),
            args.add(cols.due_soon_at),
            args.add(cols.supervised),
            args.add(case.reported_by),
            args.add(intake.reporter.as_ref().and_then(|r| r.phone.clone())),
            args.add(millis(case.received_at)),
            args.add(millis(case.updated_at)),
            args.add(cols.search_text.as_str()),
            args.add(cols.doc.as_slice()),
            // The intake's place (migration 0024), for the map; it never changes afterwards.
            args.add(NullableDouble(intake.location.map(|p| p.lon))),
            args.add(NullableDouble(intake.location.map(|p| p.lat))),
        ] {
            result.map_err(StoreError::corrupt)?;
        }
    }
    if rows == 0 {
        return Ok(());
    }
    sqlx::query_with(
        AssertSqlSafe(format!(
            "INSERT INTO cases (id, version, channel, external_id, status, category, region, unit, deadline, suspended, \
             due_soon_at, supervised, reported_by, reporter_phone, received_at, updated_at, search_text, doc, lon, lat) VALUES {}",
            row_placeholders(backend, 20, rows)
        )),
        args,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_event_rows(conn: &mut AnyConnection, backend: Backend, events: &[(CaseId, &CaseEvent, &[u8])]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut args = AnyArguments::default();
    for &(case_id, event, doc) in events {
        for result in [
            args.add(case_id.get()),
            args.add(i64::from(event.seq)),
            args.add(event.change.action()),
            args.add(event.actor.user_id),
            args.add(millis(event.at)),
            args.add(doc),
        ] {
            result.map_err(StoreError::corrupt)?;
        }
    }
    sqlx::query_with(
        AssertSqlSafe(format!("INSERT INTO case_events (case_id, seq, action, actor_id, at, doc) VALUES {}", row_placeholders(backend, 6, events.len()))),
        args,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes one event and the projection it produced, if nobody wrote before us.
pub(crate) async fn append_event(conn: &mut AnyConnection, backend: Backend, new: &NewEvent) -> Result<(), StoreError> {
    let NewEvent { case, event, columns: cols, doc } = new;
    let expected = event.seq - 1;
    let updated = sqlx::query(
        "UPDATE cases SET version = $1, status = $2, category = $3, region = $4, unit = $5, deadline = $6, \
         suspended = $7, due_soon_at = $8, supervised = $9, updated_at = $10, search_text = $11, doc = $12 \
         WHERE id = $13 AND version = $14",
    )
    .bind(i64::from(event.seq))
    .bind(cols.status)
    .bind(case.category.as_deref())
    .bind(case.region.as_deref())
    .bind(case.unit.as_deref())
    .bind(cols.deadline)
    .bind(cols.suspended)
    .bind(cols.due_soon_at)
    .bind(cols.supervised)
    .bind(millis(event.at))
    .bind(cols.search_text.as_str())
    .bind(cols.doc.as_slice())
    .bind(case.id.get())
    .bind(i64::from(expected))
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::VersionConflict { case_id: case.id.get(), expected });
    }
    insert_event_rows(conn, backend, &[(case.id, event, doc.as_slice())]).await
}

/// Cases and their events.
pub struct Cases<'a>(pub(crate) &'a Store);

impl Store {
    pub fn cases(&self) -> Cases<'_> {
        Cases(self)
    }
}

impl Cases<'_> {
    /// Files a new case from its intake event (seq 1). Idempotent on (channel, external id).
    pub async fn create(&self, event: CaseEvent) -> Result<Created, StoreError> {
        let mut created = self.import(vec![vec![event]]).await?;
        created.pop().ok_or(StoreError::WriterStopped)
    }

    /// Files whole case histories (imports, demo data) in one transaction: all or nothing. Each
    /// history is checked by replaying it; one already filed under its external id is skipped.
    pub async fn import(&self, histories: Vec<Vec<CaseEvent>>) -> Result<Vec<Created>, StoreError> {
        let histories = histories.into_iter().map(NewHistory::prepare).collect::<Result<_, _>>()?;
        let (reply, answer) = oneshot::channel();
        self.0.writer.send(Job::Import { histories, reply }).await.map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Records `event` on `case`, given the case as it is after the event. Fails with
    /// [`StoreError::VersionConflict`] if the case moved on since it was read.
    pub async fn append(&self, case: Case, event: CaseEvent) -> Result<Case, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Append { new: Box::new(NewEvent::prepare(case.clone(), event)?), reply };
        self.0.writer.send(job).await.map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)??;
        Ok(case)
    }

    pub async fn get(&self, id: CaseId) -> Result<Option<Case>, StoreError> {
        let row: Option<CaseRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"))).bind(id.get()).fetch_optional(&self.0.pool).await?;
        row.map(Case::try_from).transpose()
    }

    pub async fn events(&self, id: CaseId) -> Result<Vec<CaseEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as("SELECT case_id, doc FROM case_events WHERE case_id = $1 ORDER BY seq")
            .bind(id.get())
            .fetch_all(&self.0.pool)
            .await?;
        rows.into_iter().map(CaseEvent::try_from).collect()
    }

    /// How many cases there are in all.
    pub async fn count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(&self.0.pool).await?)
    }

    /// How many cases are in each status, by the status's name.
    pub async fn count_by_status(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as("SELECT status, COUNT(*) FROM cases GROUP BY status ORDER BY status").fetch_all(&self.0.pool).await?)
    }

    pub async fn list(&self, filter: &CaseFilter) -> Result<CasePage, StoreError> {
        let (conditions, params) = where_clause(filter);
        let total: i64 = sqlx::query_scalar_with(AssertSqlSafe(format!("SELECT COUNT(*) FROM cases WHERE {conditions}")), bind(&params))
            .fetch_one(&self.0.pool)
            .await?;
        let page_size = filter.page_size.clamp(1, 200);
        let page = filter.page.max(1);
        let offset = i64::from(page - 1) * i64::from(page_size);
        let rows: Vec<CaseRow> = sqlx::query_as_with(
            AssertSqlSafe(format!(
                "SELECT {CASE_COLUMNS} FROM cases WHERE {conditions} ORDER BY id DESC LIMIT {page_size} OFFSET {offset}"
            )),
            bind(&params),
        )
        .fetch_all(&self.0.pool)
        .await?;
        let cases = rows.into_iter().map(Case::try_from).collect::<Result<_, _>>()?;
        Ok(CasePage { cases, total, page, page_size })
    }
}

/// The SQL condition of a filter with its numbered parameters; values are always bound, never
/// spliced into the text.
pub(crate) fn where_clause(filter: &CaseFilter) -> (String, Vec<Param>) {
    let mut params = Vec::new();
    let mut param = |value: Param| -> String {
        params.push(value);
        format!("${}", params.len())
    };
    let mut conditions = vec!["1 = 1".to_owned()];
    match &filter.visibility {
        Visibility::All => {}
        Visibility::Unit(unit) => conditions.push(format!("unit = {}", param(Param::Text(unit.to_string())))),
        Visibility::Regions { prefixes, reporter } => {
            let mut any = vec![format!("reported_by = {}", param(Param::Int(*reporter)))];
            for prefix in prefixes {
                let (lo, hi) = prefix_range(prefix);
                any.push(format!("(region >= {} AND region < {})", param(Param::Text(lo)), param(Param::Text(hi))));
            }
            conditions.push(format!("({})", any.join(" OR ")));
        }
    }
    if let Some(status) = filter.status {
        conditions.push(format!("status = {}", param(Param::Text(status.as_str().into()))));
    }
    if let Some(channel) = filter.channel {
        conditions.push(format!("channel = {}", param(Param::Text(channel.as_str().into()))));
    }
    if let Some(category) = &filter.category {
        conditions.push(format!("category = {}", param(Param::Text(category.clone()))));
    }
    if let Some(prefix) = &filter.region_prefix {
        let (lo, hi) = prefix_range(prefix);
        conditions.push(format!("region >= {} AND region < {}", param(Param::Text(lo)), param(Param::Text(hi))));
    }
    if let Some(unit) = &filter.unit {
        conditions.push(format!("unit = {}", param(Param::Text(unit.to_string()))));
    }
    if let Some(overdue) = filter.overdue {
        let late = format!("deadline IS NOT NULL AND deadline < {}", param(Param::Int(millis(filter.now))));
        conditions.push(if overdue { late } else { format!("NOT ({late})") });
    }
    if let Some(from) = filter.received_from {
        conditions.push(format!("received_at >= {}", param(Param::Int(millis(from)))));
    }
    if let Some(to) = filter.received_to {
        conditions.push(format!("received_at < {}", param(Param::Int(millis(to)))));
    }
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        conditions.push(format!("search_text LIKE {} ESCAPE '\\'", param(Param::Text(pattern))));
    }
    if let Some(phone) = &filter.reporter_phone {
        conditions.push(format!("reporter_phone = {}", param(Param::Text(phone.clone()))));
    }
    (conditions.join(" AND "), params)
}

pub(crate) fn bind(params: &[Param]) -> AnyArguments {
    let mut args = AnyArguments::default();
    for value in params {
        match value {
            Param::Text(t) => args.add(t.clone()).expect("text binds"),
            Param::Int(i) => args.add(*i).expect("integer binds"),
        }
    }
    args
}

#[derive(Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
}

/// The half-open range of codes that start with `prefix` (codes are ASCII digits).
fn prefix_range(prefix: &str) -> (String, String) {
    let mut hi = prefix.to_owned();
    match hi.pop() {
        Some(last) => hi.push(char::from(last as u8 + 1)),
        None => hi.push(char::MAX),
    }
    (prefix.to_owned(), hi)
}

fn escape_like(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use gridline_core::actor::{Actor, Role};
    use gridline_core::case::{Change, Intake};

    use super::*;

    /// An intake event of the hotline, with `external_id` when given.
    pub(crate) fn intake(external_id: Option<&str>) -> CaseEvent {
        CaseEvent {
            seq: 1,
            at: "2026-12-06T08:00:00Z".parse().expect("time"),
            actor: Actor { user_id: 1, username: "op".into(), role: Role::HotlineOperator, unit: None },
            change: Change::Receive(Intake {
                channel: Channel::Hotline,
                external_id: external_id.map(Into::into),
                category: Some("S0102".parse().expect("code")),
                category_version: Some(1),
                source: None,
                emergency: false,
                region: Some("110105026000".parse().expect("code")),
                title: "垃圾".into(),
                description: "望京街道阜通东大街6号门口垃圾两天没人清运".into(),
                address: Some("阜通东大街6号".into()),
                location: None,
                reporter: None,
                photos: vec![],
                suggestion: None,
            }),
        }
    }

    #[test]
    fn a_case_only_received_keeps_no_document_and_reads_back_whole_from_its_intake() {
        let history = NewHistory::prepare(vec![intake(Some("T-1"))]).expect("prepared");
        assert!(history.columns.doc.is_empty());
        let row = CaseRow { id: 42, doc: Vec::new(), intake: Some(history.event_docs[0].clone()) };
        let read = Case::try_from(row).expect("read");
        assert_eq!(read, Case { id: CaseId::new(42).expect("id"), ..history.case });
        let orphan = CaseRow { id: 43, doc: Vec::new(), intake: None };
        assert!(Case::try_from(orphan).expect_err("no intake event").to_string().contains("case 43"));
    }

    #[test]
    fn a_stored_document_leaves_out_the_intake_and_the_id_and_reads_back_whole() {
        let received = intake(Some("T-1"));
        let rejected = CaseEvent { seq: 2, change: Change::Reject { reason: "不属于受理范围".into() }, ..received.clone() };
        let history = NewHistory::prepare(vec![received, rejected]).expect("prepared");
        let json = packed::unpack(&history.columns.doc).expect("unpacked").into_owned();
        let doc: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&json).expect("json");
        assert!(!doc.contains_key("intake") && !doc.contains_key("id"), "{doc:?}");
        assert_eq!(doc["status"], "rejected");
        let row = CaseRow { id: 42, doc: history.columns.doc.clone(), intake: Some(history.event_docs[0].clone()) };
        let read = Case::try_from(row).expect("read");
        assert_eq!(read, Case { id: CaseId::new(42).expect("id"), ..history.case });
    }

    #[test]
    fn a_history_not_numbered_from_one_or_not_starting_with_its_intake_is_refused_before_the_writer() {
        let mut late = intake(None);
        late.seq = 2;
        assert!(NewHistory::prepare(vec![late]).is_err());
        assert!(NewHistory::prepare(Vec::new()).is_err());
    }

    #[test]
    fn a_prefix_range_holds_exactly_the_codes_below_it() {
        let (lo, hi) = prefix_range("110105");
        assert_eq!((lo.as_str(), hi.as_str()), ("110105", "110106"));
        assert!("110105026000" >= lo.as_str() && "110105026000" < hi.as_str());
        assert!("110106001000" >= hi.as_str());
        let (_, hi) = prefix_range("110109");
        assert_eq!(hi, "11010:");
    }

    #[test]
    fn the_search_column_is_lower_cased_as_to_lowercase_does() {
        for text in ["望京街道阜通东大街6号门口ABC垃圾，两天没人清运", "ＡＢＣ　İstanbul ÄÖ", "ΟΔΟΣ ΣΟΦΙΑΣ 路灯", "", "ǅ"] {
            assert_eq!(lowercase(text), text.to_lowercase(), "{text:?}");
        }
        // What the short cut rests on.
        assert!(('\u{3000}'..='\u{9fff}').all(|c| c.to_lowercase().eq([c])));
    }

    #[test]
    fn the_search_column_holds_a_title_cut_from_the_description_once() {
        let mut intake: gridline_core::case::Intake = serde_json::from_value(serde_json::json!({
            "channel": "hotline", "external_id": null, "category": null, "category_version": null, "region": null,
            "title": "阜通东大街垃圾", "description": "阜通东大街垃圾两天没人清运", "address": "望京ABC",
            "location": null, "reporter": null, "photos": []
        }))
        .expect("an intake");
        assert_eq!(search_text(&intake), "\n阜通东大街垃圾两天没人清运\n望京abc");
        intake.title = "垃圾堆积".into();
        assert_eq!(search_text(&intake), "垃圾堆积\n阜通东大街垃圾两天没人清运\n望京abc");
    }

    #[test]
    fn like_wildcards_in_a_search_are_taken_literally() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
