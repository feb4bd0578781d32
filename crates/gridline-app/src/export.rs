//! Case export for analysts: one row per case with the names beside the codes, every step's time
//! (received … call-back) and the overdue flag, as CSV, streamed so that a million cases never
//! sit in memory. `GET /api/v1/cases/export` and `gridline export cases` share this.

use std::collections::HashMap;
use std::sync::Arc;

use gridline_core::calendar::{WorkCalendar, local_time};
use gridline_core::case::Case;
use gridline_core::catalogue::Catalogue;
use gridline_core::ids::UnitCode;
use gridline_core::region::{RegionLevel, RegionTree};
use gridline_core::unit::Unit;
use gridline_store::{CaseFilter, Store, StoreError};
use jiff::Timestamp;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use tokio::sync::mpsc;

use crate::{App, AppError};

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

/// One exported value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Number(f64),
    Bool(bool),
    /// Written as Beijing time: RFC 3339 in CSV, a date cell in XLSX.
    Time(Timestamp),
}

impl Cell {
    /// The cell as CSV text.
    pub fn into_text(self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s,
            Cell::Int(n) => n.to_string(),
            Cell::Number(x) => x.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Time(at) => local_time(at),
        }
    }
}

/// What a row needs besides the case: the names of codes.
pub struct Exporter {
    catalogue: Arc<Catalogue>,
    regions: Arc<RegionTree>,
    units: HashMap<UnitCode, Unit>,
    now: Timestamp,
}

impl Exporter {
    pub fn new(catalogue: Arc<Catalogue>, regions: Arc<RegionTree>, units: Vec<Unit>, now: Timestamp) -> Self {
        Exporter { catalogue, regions, units: units.into_iter().map(|u| (u.code.clone(), u)).collect(), now }
    }

    /// The cells of one case, in [`COLUMNS`] order, typed: a spreadsheet gets numbers as
    /// numbers and times as dates.
    pub fn cells(&self, case: &Case) -> [Cell; COLUMNS.len()] {
        let time = |at: Option<Timestamp>| at.map_or(Cell::Empty, Cell::Time);
        let text = |s: Option<&str>| s.map_or(Cell::Empty, |s| Cell::Text(s.to_owned()));
        let count = |n: u32| Cell::Int(i64::from(n));
        let intake = &case.intake;
        let overdue = case.running_clock().is_some_and(|c| c.is_overdue(self.now));
        let region = case.region.as_deref();
        [
            Cell::Int(case.id.get()),
            Cell::Text(intake.channel.as_str().to_owned()),
            text(intake.external_id.as_deref()),
            Cell::Text(case.status.as_str().to_owned()),
            Cell::Bool(overdue),
            text(case.category.as_deref()),
            text(case.category.as_deref().and_then(|c| self.catalogue.get(c)).map(|e| e.name.as_str())),
            text(region.and_then(|r| self.regions.ancestor_at(r, RegionLevel::District)).map(|d| d.name.as_str())),
            text(region),
            text(region.and_then(|r| self.regions.get(r)).map(|r| r.name.as_str())),
            text(case.unit.as_deref()),
            text(case.unit.as_deref().and_then(|u| self.units.get(u)).map(|u| u.name.as_str())),
            Cell::Text(intake.title.clone()),
            Cell::Text(intake.description.clone()),
            text(intake.address.as_deref()),
            intake.location.map_or(Cell::Empty, |p| Cell::Number(p.lat)),
            intake.location.map_or(Cell::Empty, |p| Cell::Number(p.lon)),
            Cell::Time(case.received_at),
            time(case.registered_at),
            time(case.dispatched_at),
            time(case.accepted_at),
            time(case.handled_at),
            time(case.closed_at),
            time(case.called_back_at),
            time(case.clock.as_ref().map(|c| c.deadline)),
            case.closed_late.map_or(Cell::Empty, Cell::Bool),
            case.callback.as_ref().map_or(Cell::Empty, |c| Cell::Text(c.satisfaction.as_str().to_owned())),
            count(case.rework_count),
            count(case.return_count),
            count(case.extension_count),
            count(case.supervision_count),
        ]
    }

    /// The cells of one case as CSV text, in [`COLUMNS`] order.
    pub fn row(&self, case: &Case) -> [String; COLUMNS.len()] {
        self.cells(case).map(Cell::into_text)
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

/// The export as an XLSX workbook: one sheet with the columns of the CSV, numbers as numbers and
/// times as date cells in Beijing time (a spreadsheet has no time zones). Written with a
/// constant-memory sheet (rows go to a temporary file as they come), then zipped whole.
pub struct XlsxExport {
    workbook: Workbook,
    next_row: u32,
    time_format: Format,
}

impl XlsxExport {
    /// A sheet holds at most this many cases: Excel's 1,048,576 rows less the header.
    pub const MAX_CASES: u64 = 1_048_575;

    pub fn new() -> Result<XlsxExport, XlsxError> {
        let mut workbook = Workbook::new();
        let header_format = Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name("cases")?;
        for (col, name) in (0u16..).zip(COLUMNS) {
            sheet.write_string_with_format(0, col, name, &header_format)?;
            let width = match name {
                "description" => 60.0,
                "title" | "address" => 30.0,
                n if n.ends_with("_at") || n == "deadline" => 20.0,
                _ => 12.0,
            };
            sheet.set_column_width(col, width)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(XlsxExport { workbook, next_row: 1, time_format: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss") })
    }

    /// Appends one row per case.
    pub fn write(&mut self, exporter: &Exporter, cases: &[Case]) -> Result<(), XlsxError> {
        let zone = WorkCalendar::china().time_zone().clone();
        let sheet = self.workbook.worksheet_from_index(0)?;
        for case in cases {
            let row = self.next_row;
            if u64::from(row) > Self::MAX_CASES {
                return Err(XlsxError::RowColumnLimitError);
            }
            for (col, cell) in (0u16..).zip(exporter.cells(case)) {
                match cell {
                    Cell::Empty => {}
                    Cell::Text(s) => {
                        sheet.write_string(row, col, s)?;
                    }
                    Cell::Int(n) => {
                        sheet.write_number(row, col, n as f64)?;
                    }
                    Cell::Number(x) => {
                        sheet.write_number(row, col, x)?;
                    }
                    Cell::Bool(b) => {
                        sheet.write_boolean(row, col, b)?;
                    }
                    Cell::Time(at) => {
                        sheet.write_datetime_with_format(row, col, at.to_zoned(zone.clone()).datetime(), &self.time_format)?;
                    }
                }
            }
            self.next_row += 1;
        }
        Ok(())
    }

    /// The cases written so far.
    pub fn cases(&self) -> u64 {
        u64::from(self.next_row - 1)
    }

    /// The workbook's bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        self.workbook.save_to_buffer()
    }
}

/// Every case `filter` admits as an XLSX workbook: (bytes, cases). More cases than a sheet holds
/// are refused before anything is read.
pub async fn xlsx_bytes(store: &Store, exporter: Exporter, filter: &CaseFilter) -> Result<(Vec<u8>, u64), AppError> {
    let total = store.cases().list(&CaseFilter { page_size: 1, ..filter.clone() }).await?.total;
    if u64::try_from(total).unwrap_or(0) > XlsxExport::MAX_CASES {
        return Err(AppError::invalid(
            "format",
            format!("{total} cases are more than an XLSX sheet holds ({}): export CSV or narrow the filters", XlsxExport::MAX_CASES),
        ));
    }
    let mut batches = store.cases().stream(filter);
    let xlsx = |e: XlsxError| AppError::Internal(format!("writing XLSX: {e}"));
    tokio::task::spawn_blocking(move || {
        let mut export = XlsxExport::new().map_err(xlsx)?;
        while let Some(batch) = batches.blocking_recv() {
            export.write(&exporter, &batch?).map_err(xlsx)?;
        }
        let cases = export.cases();
        Ok((export.finish().map_err(xlsx)?, cases))
    })
    .await
    .map_err(|e| AppError::Internal(format!("the XLSX export stopped: {e}")))?
}

/// The content type of an XLSX workbook.
pub const XLSX_CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A piece of the CSV and how many cases it holds (none for the header).
pub struct Chunk {
    pub bytes: Vec<u8>,
    pub cases: usize,
}

/// Streams every case `filter` admits as CSV chunks through a channel; the chunks end with the
/// last case, or with an error that cuts the stream short.
pub fn csv_stream(store: &Store, exporter: Exporter, filter: &CaseFilter) -> mpsc::Receiver<Result<Chunk, StoreError>> {
    // The rows are written where each page of cases is decoded, pages in parallel.
    let mut pages = store.cases().stream_pages(filter, move |cases| {
        let bytes = exporter.csv_rows(&cases).map_err(|e| StoreError::Corrupt(format!("writing CSV: {e}")))?;
        Ok(Chunk { bytes, cases: cases.len() })
    });
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        if tx.send(Ok(Chunk { bytes: Exporter::csv_header(), cases: 0 })).await.is_err() {
            return;
        }
        while let Some(chunk) = pages.recv().await {
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                return;
            }
        }
    });
    rx
}


impl App {
    /// The exporter of the reference and units in force.
    pub fn exporter(&self, now: Timestamp) -> Exporter {
        let units = self.units().to_vec();
        Exporter::new(Arc::new(self.reference().catalogue.clone()), self.regions.clone(), units, now)
    }
}
