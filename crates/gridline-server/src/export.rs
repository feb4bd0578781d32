//! Case export for analysts: one row per case with the names beside the codes, every step's time
//! (received … call-back) and the overdue flag, as CSV, streamed so that a million cases never
//! sit in memory. `GET /api/v1/cases/export` and `gridline export cases` share this.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::Case;
use gridline_core::catalogue::Catalogue;
use gridline_core::region::{RegionLevel, RegionTree};
use gridline_core::unit::Unit;
use gridline_store::{CaseFilter, Store, StoreError};
use jiff::Timestamp;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::auth::SignedIn;
use crate::cases::{ListQuery, case_filter};
use crate::error::ApiError;
use crate::views::local_time;
use crate::AppState;

/// The columns, in order. Times are Beijing time (RFC 3339); an empty cell means the step has
/// not happened. The reporter's name and phone are never exported.
pub const COLUMNS: [&str; 31] = [
    "id",
    "channel",
    "external_id",
    "status",
    "overdue",
    "category",
    "category_name",
    "district",
    "region",
    "region_name",
    "unit",
    "unit_name",
    "title",
    "description",
    "address",
    "lat",
    "lon",
    "received_at",
    "registered_at",
    "dispatched_at",
    "accepted_at",
    "handled_at",
    "closed_at",
    "called_back_at",
    "deadline",
    "closed_late",
    "satisfaction",
    "rework_count",
    "return_count",
    "extension_count",
    "supervision_count",
];

/// What a row needs besides the case: the names of codes.
pub struct Exporter {
    catalogue: Arc<Catalogue>,
    regions: Arc<RegionTree>,
    units: HashMap<String, Unit>,
    now: Timestamp,
}

impl Exporter {
    pub fn new(catalogue: Arc<Catalogue>, regions: Arc<RegionTree>, units: Vec<Unit>, now: Timestamp) -> Self {
        Exporter { catalogue, regions, units: units.into_iter().map(|u| (u.code.clone(), u)).collect(), now }
    }

    /// The cells of one case, in [`COLUMNS`] order.
    pub fn row(&self, case: &Case) -> [String; COLUMNS.len()] {
        let calendar = WorkCalendar::china();
        let time = |at: Option<Timestamp>| at.map(local_time).unwrap_or_default();
        let text = |s: Option<&str>| s.unwrap_or_default().to_owned();
        let intake = &case.intake;
        let overdue = case.running_clock().is_some_and(|c| c.status(calendar, self.now).overdue);
        let region = case.region.as_deref();
        [
            case.id.to_string(),
            intake.channel.as_str().to_owned(),
            text(intake.external_id.as_deref()),
            case.status.as_str().to_owned(),
            overdue.to_string(),
            text(case.category.as_deref()),
            text(case.category.as_deref().and_then(|c| self.catalogue.get(c)).map(|e| e.name.as_str())),
            text(region.and_then(|r| self.regions.ancestor_at(r, RegionLevel::District)).map(|d| d.name.as_str())),
            text(region),
            text(region.and_then(|r| self.regions.get(r)).map(|r| r.name.as_str())),
            text(case.unit.as_deref()),
            text(case.unit.as_deref().and_then(|u| self.units.get(u)).map(|u| u.name.as_str())),
            intake.title.clone(),
            intake.description.clone(),
            text(intake.address.as_deref()),
            intake.location.map(|p| p.lat.to_string()).unwrap_or_default(),
            intake.location.map(|p| p.lon.to_string()).unwrap_or_default(),
            local_time(case.received_at),
            time(case.registered_at),
            time(case.dispatched_at),
            time(case.accepted_at),
            time(case.handled_at),
            time(case.closed_at),
            time(case.called_back_at),
            time(case.clock.as_ref().map(|c| c.deadline)),
            case.closed_late.map(|l| l.to_string()).unwrap_or_default(),
            case.callback
                .as_ref()
                .map(|c| serde_json::to_value(c.satisfaction).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
                .unwrap_or_default(),
            case.rework_count.to_string(),
            case.return_count.to_string(),
            case.extension_count.to_string(),
            case.supervision_count.to_string(),
        ]
    }

    /// The CSV header, after a UTF-8 byte-order mark so that Excel reads the Chinese right.
    pub fn csv_header() -> Vec<u8> {
        let mut out = "\u{feff}".as_bytes().to_vec();
        let mut writer = csv::Writer::from_writer(&mut out);
        let _ = writer.write_record(COLUMNS);
        drop(writer);
        out
    }

    /// The CSV lines of a batch of cases.
    pub fn csv_rows(&self, cases: &[Case]) -> Result<Vec<u8>, csv::Error> {
        let mut writer = csv::Writer::from_writer(Vec::with_capacity(cases.len() * 512));
        for case in cases {
            writer.write_record(self.row(case))?;
        }
        writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }
}

/// A piece of the CSV and how many cases it holds (none for the header).
pub struct Chunk {
    pub bytes: Vec<u8>,
    pub cases: usize,
}

/// Streams every case `filter` admits as CSV chunks through a channel; the chunks end with the
/// last case, or with an error that cuts the stream short.
pub fn csv_stream(store: &Store, exporter: Exporter, filter: &CaseFilter) -> mpsc::Receiver<Result<Chunk, StoreError>> {
    let mut batches = store.stream_cases(filter);
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        if tx.send(Ok(Chunk { bytes: Exporter::csv_header(), cases: 0 })).await.is_err() {
            return;
        }
        while let Some(batch) = batches.recv().await {
            let chunk = batch.and_then(|cases| {
                let bytes = exporter.csv_rows(&cases).map_err(|e| StoreError::Corrupt(format!("writing CSV: {e}")))?;
                Ok(Chunk { bytes, cases: cases.len() })
            });
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                return;
            }
        }
    });
    rx
}

impl AppState {
    fn exporter(&self, now: Timestamp) -> Exporter {
        let units = self.units.read().expect("unit cache").values().cloned().collect();
        Exporter::new(Arc::new(self.reference().catalogue.clone()), self.regions.clone(), units, now)
    }
}

/// `GET /api/v1/cases/export?format=csv&…` with the filters of the case list (its paging aside).
#[utoipa::path(get, path = "/cases/export", tag = "cases", security(("bearer" = [])),
    params(("format" = Option<String>, Query, description = "csv (the default)"), ListQuery),
    responses((status = 200, description = "every case the filters admit, one CSV row each (columns: see docs/import-export.md)", content_type = "text/csv", body = String),
        (status = 422, description = "an invalid filter or format, or a page")))]
pub async fn cases(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::BadRequest(format!("the query cannot be read: {e}")))?;
    let mut format = None;
    let mut rest = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            "format" if format.is_none() => format = Some(value),
            "format" => return Err(ApiError::invalid("format", "format is given more than once")),
            "page" | "page_size" => return Err(ApiError::invalid(&name, "an export has every case the filters admit; it takes no page")),
            _ => rest.push((name, value)),
        }
    }
    match format.as_deref().unwrap_or("csv") {
        "csv" => {}
        other => return Err(ApiError::invalid("format", format!("format is csv, not {other:?}"))),
    }
    let rest = serde_urlencoded::to_string(&rest).map_err(|e| ApiError::Internal(e.to_string()))?;
    let uri: axum::http::Uri =
        format!("/?{rest}").parse().map_err(|_| ApiError::BadRequest("the query is not a valid URI query".into()))?;
    let query: Result<Query<ListQuery>, QueryRejection> = Query::try_from_uri(&uri);
    let now = Timestamp::now();
    let filter = case_filter(&state, &who, query, now)?;
    let mut chunks = csv_stream(&state.store, state.exporter(now), &filter);
    // A store error ends the body with an error, which aborts the transfer: a client never takes
    // a cut file for a whole one.
    let stream = futures_util::stream::poll_fn(move |cx| chunks.poll_recv(cx)).map(|chunk| {
        chunk.map(|c| Bytes::from(c.bytes)).map_err(|e| {
            tracing::error!(error = %e, "export failed mid-stream");
            std::io::Error::other(e.to_string())
        })
    });
    let filename = format!("cases-{}.csv", local_time(now).get(..10).unwrap_or("export"));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
