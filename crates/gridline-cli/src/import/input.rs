//! Reading an import's input: CSV in any WHATWG encoding (UTF-8 unless the mapping says
//! otherwise), or the first (or a named) sheet of an XLSX workbook. Either way the importer sees
//! the header and then numbered rows of text cells, the numbers being those a spreadsheet shows
//! (the header is row 1), plus the cells a workbook stored as dates.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::mpsc;

use anyhow::{Context, bail};
use encoding_rs::{CoderResult, DecoderResult, Encoding, UTF_8};
use jiff::civil::DateTime;

use super::RowError;

/// One data row of the input.
#[derive(Debug, Default)]
pub struct SourceRow {
    /// As a spreadsheet numbers it: the header is row 1.
    pub number: u64,
    pub fields: Vec<String>,
    /// Cells a workbook stored as dates (Excel serial dates), by column index: their local time,
    /// taken as it is whatever the mapping's `time_format` says.
    pub dates: Vec<(usize, DateTime)>,
}

/// What the input gives next.
pub enum Next {
    Row(SourceRow),
    /// A row that cannot be a case whatever its cells say (more or fewer fields than the header).
    BadRow(RowError),
    /// The input cannot be read from here on.
    Broken(RowError),
    End,
}

/// An opened input, positioned after its header.
pub struct Input {
    pub header: Vec<String>,
    kind: Kind,
    /// What the progress bar counts to: bytes of a CSV file, rows of a sheet.
    pub total: u64,
}

enum Kind {
    Csv { reader: Box<csv::Reader<Decoding<BufReader<File>>>>, record: csv::StringRecord },
    Xlsx { rows: mpsc::Receiver<Result<SourceRow, RowError>>, last_row: u64 },
}

/// Whether a path is read as a workbook (by its extension).
pub fn is_workbook(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "xlsx" | "xlsm"))
}

impl Input {
    /// Opens a CSV file in `encoding` (a WHATWG label; UTF-8 when none) or a workbook. A CSV
    /// file is first checked whole: one byte that is not of its encoding stops the import before
    /// anything is written, naming the row it is in.
    pub fn open(path: &Path, encoding: Option<&str>, sheet: Option<&str>) -> anyhow::Result<Input> {
        if is_workbook(path) {
            if let Some(label) = encoding {
                bail!("encoding = {label:?} in the mapping is for CSV files; a workbook's text is Unicode already");
            }
            return open_workbook(path, sheet);
        }
        if let Some(sheet) = sheet {
            bail!("sheet = {sheet:?} in the mapping is for workbooks (.xlsx), and {} is read as CSV", path.display());
        }
        let encoding = match encoding {
            None => UTF_8,
            Some(label) => Encoding::for_label(label.trim().as_bytes()).with_context(|| {
                format!("unknown encoding {label:?} in the mapping; use a WHATWG label such as utf-8, gb18030, gbk, big5, utf-16le")
            })?,
        };
        check_encoding(path, encoding)?;
        let total = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
        let mut reader = csv_reader(path, encoding)?;
        let header: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(|f| f.trim_start_matches('\u{feff}').to_owned()).collect(),
            Err(e) => bail!("reading the header of {}: {e}", path.display()),
        };
        Ok(Input { header, kind: Kind::Csv { reader: Box::new(reader), record: csv::StringRecord::new() }, total })
    }

    pub fn next(&mut self) -> Next {
        match &mut self.kind {
            Kind::Csv { reader, record } => match reader.read_record(record) {
                Ok(false) => Next::End,
                Ok(true) => {
                    let number = record.position().map_or(0, |p| p.record() + 1);
                    if record.len() != self.header.len() {
                        return Next::BadRow(RowError {
                            row: number,
                            column: String::new(),
                            message: format!("the row has {} fields and the header {}", record.len(), self.header.len()),
                        });
                    }
                    Next::Row(SourceRow { number, fields: record.iter().map(str::to_owned).collect(), dates: Vec::new() })
                }
                Err(e) => {
                    // A broken quote or byte stream: nothing after it can be trusted.
                    let row = e.position().map_or(0, |p| p.record() + 1);
                    Next::Broken(RowError { row, column: String::new(), message: format!("the file cannot be read from here on: {e}") })
                }
            },
            Kind::Xlsx { rows, last_row } => match rows.recv() {
                Ok(Ok(row)) => {
                    *last_row = row.number;
                    if row.fields.len() > self.header.len() {
                        let extra = row.fields.len();
                        return Next::BadRow(RowError {
                            row: row.number,
                            column: String::new(),
                            message: format!("the row has a value in column {extra} and the header has {} columns", self.header.len()),
                        });
                    }
                    let mut row = row;
                    row.fields.resize(self.header.len(), String::new());
                    Next::Row(row)
                }
                Ok(Err(e)) => Next::Broken(e),
                Err(_) => Next::End,
            },
        }
    }

    /// How far the reading got, in the unit of [`Input::total`].
    pub fn position(&self) -> u64 {
        match &self.kind {
            Kind::Csv { reader, .. } => reader.get_ref().raw_read,
            Kind::Xlsx { last_row, .. } => *last_row,
        }
    }
}

fn csv_reader(path: &Path, encoding: &'static Encoding) -> anyhow::Result<csv::Reader<Decoding<BufReader<File>>>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let decoding = Decoding::new(BufReader::with_capacity(1 << 20, file), encoding);
    Ok(csv::ReaderBuilder::new().flexible(true).from_reader(decoding))
}

/// Reads `inner` as text in an encoding and gives it out as UTF-8. A byte-order mark decides the
/// encoding (UTF-8, UTF-16LE or UTF-16BE) and is dropped, as WHATWG decoding does; bytes that
/// are not of the encoding become U+FFFD (the file was checked before, see [`check_encoding`]).
pub struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    raw: Box<[u8]>,
    raw_start: usize,
    raw_end: usize,
    eof: bool,
    /// Bytes taken from `inner` so far.
    raw_read: u64,
    out: Box<[u8]>,
    out_start: usize,
    out_end: usize,
    done: bool,
}

const CHUNK: usize = 64 * 1024;

impl<R: Read> Decoding<R> {
    pub fn new(inner: R, encoding: &'static Encoding) -> Self {
        Decoding {
            inner,
            decoder: encoding.new_decoder(),
            raw: vec![0; CHUNK].into_boxed_slice(),
            raw_start: 0,
            raw_end: 0,
            eof: false,
            raw_read: 0,
            out: vec![0; CHUNK * 3 + 16].into_boxed_slice(),
            out_start: 0,
            out_end: 0,
            done: false,
        }
    }

    fn fill_raw(&mut self) -> std::io::Result<()> {
        if self.raw_start == self.raw_end && !self.eof {
            let n = loop {
                match self.inner.read(&mut self.raw) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            self.raw_start = 0;
            self.raw_end = n;
            self.raw_read += n as u64;
            self.eof = n == 0;
        }
        Ok(())
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.out_start == self.out_end && !self.done {
            self.fill_raw()?;
            let (result, read, written, _) =
                self.decoder.decode_to_utf8(&self.raw[self.raw_start..self.raw_end], &mut self.out, self.eof);
            self.raw_start += read;
            self.out_start = 0;
            self.out_end = written;
            if self.eof && result == CoderResult::InputEmpty {
                self.done = true;
            }
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.out[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

/// Checks the whole file against its encoding before anything is imported. The first byte that
/// does not belong stops the import with its row (and column, when it can be told).
fn check_encoding(path: &Path, encoding: &'static Encoding) -> anyhow::Result<()> {
    let Some((raw_offset, decoded_offset)) = first_malformed(path, encoding)? else { return Ok(()) };
    // The row holding it: read the text as the import would (the bad bytes replaced) up to there.
    let mut reader = csv_reader(path, encoding)?;
    let header: Vec<String> = reader.headers().map(|h| h.iter().map(str::to_owned).collect()).unwrap_or_default();
    let mut place = match header.iter().position(|f| f.contains('\u{fffd}')) {
        Some(i) => format!("row 1 (the header), column {}", i + 1),
        None => String::from("row 1 (the header)"),
    };
    let mut record = csv::StringRecord::new();
    while let Ok(true) = reader.read_record(&mut record) {
        let Some(position) = record.position() else { break };
        if position.byte() > decoded_offset {
            break;
        }
        let column = record.iter().position(|f| f.contains('\u{fffd}')).and_then(|i| header.get(i));
        place = match column {
            Some(column) => format!("row {}, column {column:?}", position.record() + 1),
            None => format!("row {}", position.record() + 1),
        };
    }
    let name = encoding.name();
    if encoding == UTF_8 {
        bail!(
            "{} is not UTF-8: {place} holds bytes that are not UTF-8 (byte {} of the file); nothing was imported. \
             If the file was saved as GBK/GB18030 (common for Chinese spreadsheets), put `encoding = \"gb18030\"` \
             in the mapping's [source]; or save the file as UTF-8",
            path.display(),
            raw_offset + 1
        );
    }
    bail!(
        "{} is not valid {name}: {place} holds bytes that are not {name} (byte {} of the file); nothing was imported. \
         Check the mapping's `encoding`",
        path.display(),
        raw_offset + 1
    )
}

/// The first byte that is not of the encoding: (offset in the file, offset in the decoded text).
fn first_malformed(path: &Path, encoding: &'static Encoding) -> anyhow::Result<Option<(u64, u64)>> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut decoder = encoding.new_decoder();
    let mut raw = vec![0u8; 1 << 20];
    let mut out = vec![0u8; (1 << 20) * 3 + 16];
    let (mut raw_done, mut decoded_done) = (0u64, 0u64);
    loop {
        let n = file.read(&mut raw).with_context(|| format!("reading {}", path.display()))?;
        let last = n == 0;
        let mut start = 0;
        loop {
            let (result, read, written) = decoder.decode_to_utf8_without_replacement(&raw[start..n], &mut out, last);
            start += read;
            decoded_done += written as u64;
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, after) => {
                    // The bad sequence may have begun in the chunk before.
                    let offset = (raw_done + start as u64).saturating_sub(u64::from(bad) + u64::from(after));
                    return Ok(Some((offset, decoded_done)));
                }
            }
        }
        raw_done += n as u64;
        if last {
            return Ok(None);
        }
    }
}

fn open_workbook(path: &Path, sheet: Option<&str>) -> anyhow::Result<Input> {
    use calamine::Reader;
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let workbook =
        calamine::Xlsx::new(BufReader::with_capacity(1 << 20, file)).with_context(|| format!("{} is not a readable XLSX workbook", path.display()))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .cloned()
            .with_context(|| format!("the workbook has no sheet {wanted:?}; its sheets: {}", names.join(", ")))?,
        None => names.first().cloned().context("the workbook has no sheet")?,
    };
    let (header_tx, header_rx) = mpsc::sync_channel::<anyhow::Result<(Vec<String>, u64)>>(1);
    let (tx, rx) = mpsc::sync_channel(4096);
    // The sheet is read on its own thread, streaming, while the rows are converted and written.
    std::thread::spawn(move || read_sheet(workbook, &name, header_tx, tx));
    let (header, total) = header_rx.recv().context("reading the workbook")??;
    Ok(Input { header, kind: Kind::Xlsx { rows: rx, last_row: 1 }, total })
}

fn read_sheet(
    mut workbook: calamine::Xlsx<BufReader<File>>,
    name: &str,
    header_tx: mpsc::SyncSender<anyhow::Result<(Vec<String>, u64)>>,
    tx: mpsc::SyncSender<Result<SourceRow, RowError>>,
) {
    let mut cells = match workbook.worksheet_cells_reader(name) {
        Ok(cells) => cells,
        Err(e) => {
            let _ = header_tx.send(Err(anyhow::anyhow!("reading sheet {name:?}: {e}")));
            return;
        }
    };
    let total = u64::from(cells.dimensions().end.0) + 1;
    let mut header: Option<Vec<String>> = None;
    let mut row = SourceRow::default();
    let send = |row: SourceRow, header: &mut Option<Vec<String>>| -> bool {
        if row.fields.iter().all(|f| f.trim().is_empty()) {
            return true; // empty rows are skipped, as a CSV reader skips empty lines
        }
        match header {
            None => {
                let mut names = row.fields;
                while names.last().is_some_and(|n| n.trim().is_empty()) {
                    names.pop();
                }
                *header = Some(names.iter().map(|n| n.trim().to_owned()).collect());
                header_tx.send(Ok((names, total))).is_ok()
            }
            Some(_) => tx.send(Ok(row)).is_ok(),
        }
    };
    loop {
        match cells.next_cell() {
            Ok(Some(cell)) => {
                let (r, c) = cell.get_position();
                let number = u64::from(r) + 1;
                if number != row.number {
                    if row.number != 0 && !send(std::mem::take(&mut row), &mut header) {
                        return;
                    }
                    row.number = number;
                }
                let c = c as usize;
                if row.fields.len() <= c {
                    row.fields.resize(c + 1, String::new());
                }
                let (text, date) = gridline_app::table::cell_text(cell.get_value());
                row.fields[c] = text;
                if let Some(date) = date {
                    row.dates.push((c, date));
                }
            }
            Ok(None) => {
                if row.number != 0 {
                    send(std::mem::take(&mut row), &mut header);
                }
                if header.is_none() {
                    let _ = header_tx.send(Err(anyhow::anyhow!("sheet {name:?} is empty: it has no header row")));
                }
                return;
            }
            Err(e) => {
                let message = format!("the workbook cannot be read from here on: {e}");
                match header {
                    None => {
                        let _ = header_tx.send(Err(anyhow::anyhow!(message)));
                    }
                    Some(_) => {
                        let _ = tx.send(Err(RowError { row: row.number.max(2), column: String::new(), message }));
                    }
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], encoding: &'static Encoding) -> String {
        let mut text = String::new();
        // A tiny inner read size would be the worst case; the chunks are 64 KiB, so feed a
        // reader that gives 3 bytes at a time to cross multi-byte characters.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(3).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        Decoding::new(Trickle(bytes), encoding).read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn gb18030_and_utf16_with_a_byte_order_mark_decode_to_the_same_text() {
        let text = "编号,内容\n1,朝阳区望京街道门口暴露垃圾\n";
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        assert_eq!(decode_all(&gbk, encoding_rs::GB18030), text);
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        // The byte-order mark decides, whatever was declared.
        assert_eq!(decode_all(&utf16, UTF_8), text);
        let mut utf8 = "\u{feff}".as_bytes().to_vec();
        utf8.extend_from_slice(text.as_bytes());
        assert_eq!(decode_all(&utf8, UTF_8), text);
    }

    #[test]
    fn the_first_malformed_byte_is_found_with_its_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, b"a,b\n1,\xe5\x8c\x97\n2,\xb1\xb1\n").unwrap();
        assert_eq!(first_malformed(&path, UTF_8).unwrap(), Some((12, 12)));
        std::fs::write(&path, "a,b\n1,北京\n".as_bytes()).unwrap();
        assert_eq!(first_malformed(&path, UTF_8).unwrap(), None);
    }
}
