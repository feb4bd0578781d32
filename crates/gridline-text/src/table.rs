//! Message tables from CSV (UTF-8, RFC 4180) or Excel workbooks (first sheet), as the commands
//! read them: named columns, text columns joined, clear errors for a wrong encoding or a missing
//! column.

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};

use crate::TextError;

/// Files beyond this are refused rather than read into memory (the largest public message
/// sets are a few tens of megabytes).
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Table {
    pub path: PathBuf,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(path: &Path) -> Result<Table, TextError> {
        let io = |source| TextError::Io { path: path.to_owned(), source };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_FILE_BYTES {
            return Err(TextError::Table {
                path: path.to_owned(),
                message: format!("the file is {size} bytes; at most {MAX_FILE_BYTES} are read"),
            });
        }
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
        match extension.as_str() {
            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => Table::read_workbook(path),
            _ => Table::from_csv(path, &std::fs::read(path).map_err(io)?),
        }
    }

    /// Parses CSV bytes; `path` only names the source in errors.
    pub fn from_csv(path: &Path, bytes: &[u8]) -> Result<Table, TextError> {
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        if let Err(e) = std::str::from_utf8(bytes) {
            return Err(TextError::Encoding { path: path.to_owned(), offset: e.valid_up_to() });
        }
        let table_error = |message: String| TextError::Table { path: path.to_owned(), message };
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| table_error(e.to_string()))?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        if headers.iter().all(String::is_empty) {
            return Err(table_error("the file has no header row".into()));
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| table_error(e.to_string()))?;
            rows.push(record.iter().map(str::to_owned).collect());
        }
        Ok(Table { path: path.to_owned(), headers, rows })
    }

    fn read_workbook(path: &Path) -> Result<Table, TextError> {
        let table_error = |message: String| TextError::Table { path: path.to_owned(), message };
        let mut workbook = open_workbook_auto(path).map_err(|e| table_error(format!("not a readable workbook: {e}")))?;
        let range = workbook
            .worksheet_range_at(0)
            .ok_or_else(|| table_error("the workbook has no sheet".into()))?
            .map_err(|e| table_error(e.to_string()))?;
        let mut rows = range.rows().map(|row| row.iter().map(cell_text).collect::<Vec<_>>());
        let headers: Vec<String> = rows
            .next()
            .ok_or_else(|| table_error("the first sheet is empty".into()))?
            .into_iter()
            .map(|h| h.trim().to_owned())
            .collect();
        Ok(Table { path: path.to_owned(), headers, rows: rows.collect() })
    }

    /// The index of a column, or an error listing the columns there are.
    pub fn column(&self, name: &str) -> Result<usize, TextError> {
        self.headers.iter().position(|h| h == name.trim()).ok_or_else(|| TextError::MissingColumn {
            path: self.path.clone(),
            column: name.to_owned(),
            available: self.headers.join(", "),
        })
    }

    /// The columns named in a comma-separated list such as `留言主题,留言详情`.
    pub fn columns(&self, names: &[String]) -> Result<Vec<usize>, TextError> {
        let names: Vec<&str> = names.iter().flat_map(|n| n.split(',')).map(str::trim).filter(|n| !n.is_empty()).collect();
        if names.is_empty() {
            return Err(TextError::Invalid("name at least one text column".into()));
        }
        names.into_iter().map(|n| self.column(n)).collect()
    }

    /// One row's text columns joined by a newline (title and body read as one message).
    pub fn joined(&self, row: usize, columns: &[usize]) -> String {
        let cells = &self.rows[row];
        let parts: Vec<&str> =
            columns.iter().filter_map(|&c| cells.get(c)).map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
        parts.join("\n")
    }

    /// One cell, empty when the row is short.
    pub fn cell(&self, row: usize, column: usize) -> &str {
        self.rows[row].get(column).map_or("", |s| s.trim())
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_several_text_columns_and_reads_quoted_newlines() {
        let csv = "id,主题,详情\n1,路灯坏了,\"A3区\n西湖路\"\n2,,只有详情\n";
        let t = Table::from_csv(Path::new("m.csv"), csv.as_bytes()).unwrap();
        let cols = t.columns(&["主题,详情".into()]).unwrap();
        assert_eq!(t.joined(0, &cols), "路灯坏了\nA3区\n西湖路");
        assert_eq!(t.joined(1, &cols), "只有详情");
    }

    #[test]
    fn a_missing_column_lists_the_columns_there_are() {
        let t = Table::from_csv(Path::new("m.csv"), "id,text\n1,x\n".as_bytes()).unwrap();
        let err = t.columns(&["留言详情".into()]).unwrap_err().to_string();
        assert!(err.contains("留言详情") && err.contains("id, text"), "{err}");
    }

    #[test]
    fn a_gbk_file_is_refused_with_the_fix() {
        // "留言" in GBK.
        let gbk = b"id,\xc1\xf4\xd1\xd4\n1,x\n";
        let err = Table::from_csv(Path::new("gbk.csv"), gbk).unwrap_err();
        assert!(matches!(err, TextError::Encoding { offset: 3, .. }), "{err}");
        assert!(err.to_string().contains("iconv"));
    }

    #[test]
    fn a_ragged_csv_names_the_record() {
        let err = Table::from_csv(Path::new("r.csv"), "a,b\n1,2\n3\n".as_bytes()).unwrap_err().to_string();
        assert!(err.contains("r.csv") && err.contains("record"), "{err}");
    }

    #[test]
    fn a_file_that_is_no_workbook_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.xlsx");
        std::fs::write(&path, b"not a zip").unwrap();
        let err = Table::read(&path).unwrap_err().to_string();
        assert!(err.contains("not a readable workbook"), "{err}");
    }
}
