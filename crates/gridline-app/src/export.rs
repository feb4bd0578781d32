//! Case export for analysts: one row per case with the names beside the codes, every step's time
//! (received … call-back) and the overdue flag, as CSV, streamed so that a million cases never
//! sit in memory. `GET /api/v1/cases/export` and `gridline export cases` share this.

use std::collections::HashMap;
use std::sync::Arc;

use gridline_core::calendar::{WorkCalendar, local_time};
use gridline_core::case::Case;
use gridline_core::catalogue::Catalogue;
use gridline_core::ids::UnitCode;
use gridline_core::message::Lang;
use gridline_core::region::{RegionLevel, RegionTree};
use gridline_core::unit::Unit;
use gridline_store::{CaseFilter, Store, StoreError};
use jiff::Timestamp;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use tokio::sync::mpsc;

use crate::{App, AppError};

/// The columns, in order: `(name, Chinese header)`. The name is the machine-stable header of
/// `lang=en` (scripts rely on it); the Chinese header is the default. Times are Beijing time; an
/// empty cell means the step has not happened. The reporter's name and phone are never exported.
pub const COLUMNS: [(&str, &str); 31] = [
    ("id", "编号"),
    ("channel", "渠道"),
    ("external_id", "工单号"),
    ("status", "状态"),
    ("overdue", "是否超期"),
    ("category", "问题类别代码"),
    ("category_name", "问题类别"),
    ("district", "所属区"),
    ("region", "区域代码"),
    ("region_name", "所在区域"),
    ("unit", "承办单位代码"),
    ("unit_name", "承办单位"),
    ("title", "标题"),
    ("description", "问题描述"),
    ("address", "地址"),
    ("lat", "纬度"),
    ("lon", "经度"),
    ("received_at", "受理时间"),
    ("registered_at", "立案时间"),
    ("dispatched_at", "派遣时间"),
    ("accepted_at", "签收时间"),
    ("handled_at", "办结时间"),
    ("closed_at", "结案时间"),
    ("called_back_at", "回访时间"),
    ("deadline", "办理时限"),
    ("closed_late", "是否超期办结"),
    ("satisfaction", "满意度"),
    ("rework_count", "返工次数"),
    ("return_count", "退单次数"),
    ("extension_count", "延期次数"),
    ("supervision_count", "督办次数"),
];

/// The header row in `lang`: the Chinese headers, or the columns' names (`Lang::En`).
pub fn header(lang: Lang) -> [&'static str; COLUMNS.len()] {
    COLUMNS.map(|(name, zh)| if lang == Lang::Zh { zh } else { name })
}

/// One exported value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Number(f64),
    Bool(bool),
    /// Written as Beijing time: in CSV RFC 3339 (`Lang::En`) or `2024-10-08 09:30:00` (`Lang::Zh`,
    /// which spreadsheets read as a time), a date cell in XLSX.
    Time(Timestamp),
}

impl Cell {
    /// The cell as CSV text in `lang`.
    pub fn into_text(self, lang: Lang) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s,
            Cell::Int(n) => n.to_string(),
            Cell::Number(x) => x.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Time(at) => {
                let rfc3339 = local_time(at);
                match lang {
                    Lang::En => rfc3339,
                    Lang::Zh => rfc3339.get(..19).unwrap_or(&rfc3339).replacen('T', " ", 1),
                }
            }
        }
    }
}

/// What a row needs besides the case: the names of codes, and the language of the headers and
/// labels. `Lang::Zh` (the default of every edge) writes Chinese headers, statuses, channels and
/// satisfaction as people read them ([`gridline_core::labels`]) and 是/否; `Lang::En` writes
/// the columns' names and the API's values (`dispatched`, `true`), stable for scripts.
pub struct Exporter {
    catalogue: Arc<Catalogue>,
    regions: Arc<RegionTree>,
    units: HashMap<UnitCode, Unit>,
    now: Timestamp,
    lang: Lang,
}

impl Exporter {
    pub fn new(catalogue: Arc<Catalogue>, regions: Arc<RegionTree>, units: Vec<Unit>, now: Timestamp, lang: Lang) -> Self {
        Exporter { catalogue, regions, units: units.into_iter().map(|u| (u.code.clone(), u)).collect(), now, lang }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The cells of one case, in [`COLUMNS`] order, typed: a spreadsheet gets numbers as
    /// numbers and times as dates.
    pub fn cells(&self, case: &Case) -> [Cell; COLUMNS.len()] {
        let lang = self.lang;
        let labelled = |value: &str, label: &str| Cell::Text(if lang == Lang::Zh { label } else { value }.to_owned());
        let yes_no = |b: bool| if lang == Lang::Zh { Cell::Text(if b { "是" } else { "否" }.to_owned()) } else { Cell::Bool(b) };
        let time = |at: Option<Timestamp>| at.map_or(Cell::Empty, Cell::Time);
        let text = |s: Option<&str>| s.map_or(Cell::Empty, |s| Cell::Text(s.to_owned()));
        let count = |n: u32| Cell::Int(i64::from(n));
        let intake = &case.intake;
        let overdue = case.running_clock().is_some_and(|c| c.is_overdue(self.now));
        let region = case.region.as_deref();
        [
            Cell::Int(case.id.get()),
            labelled(intake.channel.as_str(), intake.channel.label(lang)),
            text(intake.external_id.as_deref()),
            labelled(case.status.as_str(), case.status.label(lang)),
            yes_no(overdue),
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
            case.closed_late.map_or(Cell::Empty, yes_no),
            case.callback.as_ref().map_or(Cell::Empty, |c| labelled(c.satisfaction.as_str(), c.satisfaction.label(lang))),
            count(case.rework_count),
            count(case.return_count),
            count(case.extension_count),
            count(case.supervision_count),
        ]
    }

    /// The cells of one case as CSV text, in [`COLUMNS`] order.
    pub fn row(&self, case: &Case) -> [String; COLUMNS.len()] {
        self.cells(case).map(|cell| cell.into_text(self.lang))
    }

    /// The CSV header, after a UTF-8 byte-order mark so that Excel reads the Chinese right.
    pub fn csv_header(&self) -> Vec<u8> {
        let mut out = "\u{feff}".as_bytes().to_vec();
        let mut writer = csv::Writer::from_writer(&mut out);
        let _ = writer.write_record(header(self.lang));
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

    /// A workbook with the header row in `lang`; its sheet is named 案件 (`cases` in English).
    pub fn new(lang: Lang) -> Result<XlsxExport, XlsxError> {
        let mut workbook = Workbook::new();
        let header_format = Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(if lang == Lang::Zh { "案件" } else { "cases" })?;
        for ((col, (name, _)), title) in (0u16..).zip(COLUMNS).zip(header(lang)) {
            sheet.write_string_with_format(0, col, title, &header_format)?;
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
        let mut export = XlsxExport::new(exporter.lang()).map_err(xlsx)?;
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
    let header = exporter.csv_header();
    // The rows are written where each page of cases is decoded, pages in parallel.
    let mut pages = store.cases().stream_pages(filter, move |cases| {
        let bytes = exporter.csv_rows(&cases).map_err(|e| StoreError::Corrupt(format!("writing CSV: {e}")))?;
        Ok(Chunk { bytes, cases: cases.len() })
    });
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        if tx.send(Ok(Chunk { bytes: header, cases: 0 })).await.is_err() {
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
    /// The exporter of the reference and units in force, its headers and labels in `lang`.
    pub fn exporter(&self, now: Timestamp, lang: Lang) -> Exporter {
        let units = self.units().to_vec();
        Exporter::new(Arc::new(self.reference().catalogue.clone()), self.regions.clone(), units, now, lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headers_are_chinese_by_default_and_the_columns_names_in_english() {
        let zh = header(Lang::Zh);
        assert_eq!(&zh[..4], ["编号", "渠道", "工单号", "状态"]);
        assert!(zh.iter().all(|h| h.chars().all(|c| !c.is_ascii_alphabetic())), "{zh:?}");
        assert_eq!(header(Lang::En), COLUMNS.map(|(name, _)| name));
        let unique = |names: &[&str]| names.iter().collect::<std::collections::HashSet<_>>().len() == names.len();
        assert!(unique(&zh) && unique(&header(Lang::En)), "every header names one column");
    }

    #[test]
    fn a_time_is_beijing_time_rfc_3339_for_scripts_and_a_plain_date_and_time_for_people() {
        let at: Timestamp = "2024-10-08T01:30:05Z".parse().unwrap();
        assert_eq!(Cell::Time(at).into_text(Lang::En), "2024-10-08T09:30:05+08:00");
        assert_eq!(Cell::Time(at).into_text(Lang::Zh), "2024-10-08 09:30:05");
        assert_eq!(Cell::Bool(true).into_text(Lang::Zh), "true", "labels are the exporter's, not the cell's");
    }
}
