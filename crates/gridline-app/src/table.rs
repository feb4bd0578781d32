//! Tables that offices send as files: the first sheet of an XLSX workbook or a CSV file, as rows
//! of text numbered as the office sees them. One reader for the CLI and the HTTP uploads.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, ReaderRef};
use gridline_core::message::Reason;
use gridline_core::{DomainError, FileProblem};
use jiff::civil::DateTime;

use crate::AppError;

/// What a file holds, from its name or its content type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    Xlsx,
    Csv,
}

impl TableFormat {
    /// By a file name's extension: `.xlsx` is a workbook, anything else CSV.
    pub fn of_file_name(name: &str) -> TableFormat {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".xlsx") { TableFormat::Xlsx } else { TableFormat::Csv }
    }
}

/// Where each named column sits in the header row: every one of `required` must be there, each of
/// `optional` may be; a missing one is refused naming the columns the file needs.
pub fn header_columns(file: &str, header: &[String], required: &[&'static str], optional: &[&'static str]) -> Result<HashMap<&'static str, usize>, AppError> {
    let mut columns = HashMap::new();
    for &name in required.iter().chain(optional) {
        match header.iter().position(|h| h.trim() == name) {
            Some(c) => {
                columns.insert(name, c);
            }
            None if optional.contains(&name) => {}
            None => {
                return Err(refused(FileProblem::new(file, Some(1), Reason::new("missing_column").with("column", name).with("columns", required.join("、")))));
            }
        }
    }
    Ok(columns)
}

/// A row under the header, its cells read by column name.
pub struct Record<'a> {
    cells: &'a [String],
    columns: &'a HashMap<&'static str, usize>,
}

impl Record<'_> {
    /// The trimmed text under column `name`; empty when the file has no such column or the row
    /// stops short of it.
    pub fn cell(&self, name: &str) -> &str {
        self.columns.get(name).and_then(|&c| self.cells.get(c)).map_or("", |v| v.trim())
    }
}

/// The rows below a header row (`rows` without it), each with its line as the office sees it
/// (the header is line 1); blank rows are skipped.
pub fn records<'a>(rows: &'a [Vec<String>], columns: &'a HashMap<&'static str, usize>) -> impl Iterator<Item = (usize, Record<'a>)> {
    rows.iter()
        .enumerate()
        .filter(|(_, row)| !row.iter().all(|c| c.trim().is_empty()))
        .map(move |(i, row)| (i + 2, Record { cells: row, columns }))
}

fn refused(problem: FileProblem) -> AppError {
    AppError::Domain(DomainError::InvalidFiles(vec![problem]))
}

/// The file's rows as text; row `n` of the result is the file's line (or sheet row) `n + 1`,
/// blank ones kept empty so that problems are named by the row the office sees. A CSV file is
/// UTF-8 unless `encoding` names another (a WHATWG label such as gb18030); a file that is not
/// valid text in it is refused with the row where it breaks.
pub fn read_table(file: &str, bytes: &[u8], format: TableFormat, encoding: Option<&str>) -> Result<Vec<Vec<String>>, AppError> {
    match format {
        TableFormat::Xlsx => read_workbook(file, bytes),
        TableFormat::Csv => read_csv(file, bytes, encoding),
    }
}

fn read_workbook(file: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, AppError> {
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| refused(FileProblem::detailed(file, None, Reason::new("not_xlsx"), format!("not a readable XLSX workbook: {e}"))))?;
    let sheet = workbook.sheet_names().first().cloned().ok_or_else(|| refused(FileProblem::new(file, None, Reason::new("workbook_no_sheet"))))?;
    let range = workbook.worksheet_range_ref(&sheet).map_err(|e| refused(FileProblem::detailed(file, None, Reason::new("sheet_unreadable").with("sheet", &sheet), format!("reading sheet {sheet:?}: {e}"))))?;
    let offset = range.start().map_or(0, |(row, _)| row as usize);
    let mut rows = vec![Vec::new(); offset];
    rows.extend(range.rows().map(|row| row.iter().map(|cell| cell_text(cell).0).collect()));
    Ok(rows)
}

fn read_csv(file: &str, bytes: &[u8], encoding: Option<&str>) -> Result<Vec<Vec<String>>, AppError> {
    let text = match encoding {
        Some(label) => {
            let encoding = encoding_rs::Encoding::for_label(label.as_bytes())
                .ok_or_else(|| AppError::invalid("encoding", format!("unknown encoding {label:?}; use a WHATWG label such as utf-8, gb18030, gbk")))?;
            let (text, _, bad) = encoding.decode(bytes);
            if bad {
                return Err(refused(FileProblem::new(file, None, Reason::new("not_in_encoding").with("encoding", encoding.name()))));
            }
            text.into_owned()
        }
        None => match std::str::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(e) => {
                let at = e.valid_up_to();
                let row = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
                return Err(refused(FileProblem::new(file, Some(row), Reason::new("not_utf8").with("byte", at))));
            }
        },
    };
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| refused(FileProblem::detailed(file, Some(i + 1), Reason::new("not_csv"), format!("not CSV: {e}"))))?;
        // Blank lines are skipped by the reader, and a record's position is where the blank lines
        // before it began: number the rows as the file's lines, from the record's first byte.
        let line = record.position().map_or(rows.len() + 1, |p| {
            let bytes = text.as_bytes();
            let start = p.byte() as usize + bytes[p.byte() as usize..].iter().take_while(|&&b| b == b'\n' || b == b'\r').count();
            bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1
        });
        rows.resize(line.saturating_sub(1).max(rows.len()), Vec::new());
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(rows)
}

/// A cell as text, and its local time when the workbook stored a date.
pub fn cell_text(value: &DataRef<'_>) -> (String, Option<DateTime>) {
    match value {
        DataRef::Empty => (String::new(), None),
        DataRef::String(s) => (s.clone(), None),
        DataRef::SharedString(s) => ((*s).to_owned(), None),
        DataRef::Int(i) => (i.to_string(), None),
        // An id or a count typed as a number is 12345, not 12345.0.
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => (format!("{}", *f as i64), None),
        DataRef::Float(f) => (f.to_string(), None),
        DataRef::Bool(b) => (b.to_string(), None),
        DataRef::DateTime(d) if d.is_datetime() => match excel_date(d) {
            Some(at) => (at.strftime("%Y-%m-%d %H:%M:%S").to_string(), Some(at)),
            None => (d.as_f64().to_string(), None),
        },
        DataRef::DateTime(d) => (d.as_f64().to_string(), None),
        DataRef::DateTimeIso(s) => {
            let at = s.parse::<DateTime>().ok().or_else(|| s.parse::<jiff::civil::Date>().ok().map(|d| d.to_datetime(jiff::civil::Time::midnight())));
            (s.clone(), at)
        }
        DataRef::DurationIso(s) => (s.clone(), None),
        DataRef::Error(e) => (format!("#{e}"), None),
    }
}

/// The local time of an Excel serial date, to the nearest second: a serial is a float, and
/// 10:00 can come out as 09:59:59.999 (or as 1000 ms).
fn excel_date(d: &calamine::ExcelDateTime) -> Option<DateTime> {
    let (y, mo, da, h, mi, s, ms) = d.to_ymd_hms_milli();
    let day = jiff::civil::Date::new(i16::try_from(y).ok()?, i8::try_from(mo).ok()?, i8::try_from(da).ok()?).ok()?;
    let millis = ((i64::from(h) * 60 + i64::from(mi)) * 60 + i64::from(s)) * 1000 + i64::from(ms);
    let seconds = (millis + 500) / 1000;
    day.to_datetime(jiff::civil::Time::midnight()).checked_add(jiff::SignedDuration::from_secs(seconds)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serial_dates_become_local_times_to_the_second() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        let at = |serial: f64| excel_date(&ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, false)).unwrap().to_string();
        // 45574.416666666664 is 2024-10-09 10:00 as rust_xlsxwriter writes it.
        assert_eq!(at(45574.416666666664), "2024-10-09T10:00:00");
        assert_eq!(at(45573.395833333336), "2024-10-08T09:30:00");
        assert_eq!(at(45573.999999999), "2024-10-09T00:00:00");
        // Before 1900-03-01 Excel counts a 29 February 1900 that never was.
        assert_eq!(at(1.5), "1900-01-01T12:00:00");
    }

    #[test]
    fn csv_rows_keep_the_file_s_line_numbers_and_a_gbk_file_is_named_with_its_row() {
        let rows = read_table("a.csv", "单位,类别\n\nx,y\n".as_bytes(), TableFormat::Csv, None).unwrap();
        assert_eq!(rows, vec![vec!["单位".to_owned(), "类别".to_owned()], vec![], vec!["x".to_owned(), "y".to_owned()]]);
        let (gbk, _, _) = encoding_rs::GB18030.encode("单位,类别\n北京,制度建设\n");
        let err = read_table("a.csv", &gbk, TableFormat::Csv, None).unwrap_err();
        let AppError::Domain(DomainError::InvalidFiles(problems)) = err else { panic!("{err}") };
        assert_eq!(problems[0].line, Some(1), "{problems:?}");
        assert!(problems[0].message.contains("GB18030"), "{problems:?}");
        assert_eq!(read_table("a.csv", &gbk, TableFormat::Csv, Some("gb18030")).unwrap()[1], ["北京", "制度建设"]);
        assert!(read_table("a.xlsx", b"PK not a zip", TableFormat::Xlsx, None).is_err());
    }
}
