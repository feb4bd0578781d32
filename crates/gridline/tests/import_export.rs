//! `gridline import cases`, `gridline export cases` and `gridline apikey` as an operator runs
//! them: the real binary on real files (the NYC 311 export and the message-board files in the
//! shared data) and on broken ones, each test in its own temporary data directory.

use std::path::Path;
use std::process::{Command, Output};

use gridline_testing::shared_data;
use sha2::{Digest, Sha256};

const GRIDLINE: &str = env!("CARGO_BIN_EXE_gridline");

fn gridline(args: &[&str]) -> Output {
    let mut command = Command::new(GRIDLINE);
    for var in ["GRIDLINE_DATA_DIR", "GRIDLINE_DATABASE", "RUST_BACKTRACE", "RUST_LIB_BACKTRACE", "RUST_LOG"] {
        command.env_remove(var);
    }
    command.args(args).output().expect("the gridline binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn succeeded(output: &Output) -> String {
    assert!(output.status.success(), "gridline failed:\n{}\n{}", text(&output.stdout), text(&output.stderr));
    text(&output.stdout)
}

#[track_caller]
fn failed(output: &Output) -> String {
    assert!(!output.status.success(), "gridline should have failed:\n{}", text(&output.stdout));
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(!all.contains("panicked"), "{all}");
    all
}

fn mapping(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/import").join(name).display().to_string()
}

/// A copy of `source` in `dir`: the import writes its report and checkpoint beside its input.
fn copy_in(dir: &Path, source: &Path, name: &str) -> String {
    let target = dir.join(name);
    std::fs::copy(source, &target).expect("copy the input");
    target.display().to_string()
}

/// The rows of an exported CSV (`--lang en`: the columns' names and the API's values) as
/// header → value maps.
fn export_rows(db: &[&str], dir: &Path, filters: &[&str]) -> Vec<std::collections::HashMap<String, String>> {
    let out = dir.join("export.csv");
    let out_arg = out.display().to_string();
    let mut args = vec!["export", "cases", "--lang", "en", "--output", out_arg.as_str()];
    args.extend_from_slice(filters);
    args.extend_from_slice(db);
    succeeded(&gridline(&args));
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "a byte-order mark for Excel");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_owned)).collect()).collect()
}

/// `--data-dir DIR`, and `--database URL` of a fresh PostgreSQL schema when one is configured.
async fn databases(dir: &Path) -> Vec<Vec<String>> {
    let mut all = vec![vec!["--data-dir".to_owned(), dir.join("db").display().to_string()]];
    if let Ok(base) = std::env::var(gridline_store::testing::POSTGRES_ENV)
        && !base.is_empty()
    {
        all.push(vec!["--database".to_owned(), gridline_store::testing::fresh_postgres_schema(&base).await]);
    }
    all
}

#[tokio::test]
async fn the_nyc_311_export_and_the_message_files_import_with_their_times_and_states_and_export_back() {
    let (Some(nyc), Some(replies)) = (shared_data("nyc311/311_Service_Requests_sample_2022-05.csv"), shared_data("complaints/replies.csv")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let nyc = copy_in(dir.path(), &nyc, "nyc.csv");
    let replies = copy_in(dir.path(), &replies, "replies.csv");
    for db in databases(dir.path()).await {
        let db: Vec<&str> = db.iter().map(String::as_str).collect();
        let import = |input: &str, map: &str| {
            let map = mapping(map);
            let mut args = vec!["import", "cases", "--input", input, "--mapping", map.as_str()];
            args.extend_from_slice(&db);
            gridline(&args)
        };
        let out = succeeded(&import(&nyc, "nyc311.toml"));
        assert!(out.contains("924 rows read") && out.contains("924 imported, 0 already there, 0 bad rows"), "{out}");
        // Again: nothing new, nothing doubled.
        let out = succeeded(&import(&nyc, "nyc311.toml"));
        assert!(out.contains("0 imported, 924 already there"), "{out}");
        let out = succeeded(&import(&replies, "complaints-replies.toml"));
        assert!(out.contains("2816 imported"), "{out}");

        let rows = export_rows(&db, dir.path(), &[]);
        assert_eq!(rows.len(), 924 + 2816);
        let by_id = |id: &str| rows.iter().find(|r| r["external_id"] == id).unwrap_or_else(|| panic!("{id} exported"));
        // Created 05/01/2022 12:00:09 AM and closed 12:07:46 AM, New York time (EDT, UTC-4).
        let closed = by_id("nyc311-54046813");
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["received_at"], "2022-05-01T12:00:09+08:00");
        assert_eq!(closed["closed_at"], "2022-05-01T12:07:46+08:00");
        assert_eq!(closed["handled_at"], "2022-05-01T12:07:46+08:00");
        assert_eq!(closed["category"], "R0101", "Noise - Street/Sidewalk is mapped to 社会生活噪声扰民");
        assert_eq!(closed["lat"], "40.81237834836466");
        assert_eq!(closed["channel"], "import");
        let open = by_id("nyc311-54049402");
        assert_eq!((open["status"].as_str(), open["closed_at"].as_str(), open["overdue"].as_str()), ("received", "", "false"));
        let answered = by_id("msg-2549");
        assert_eq!(answered["status"], "closed");
        assert_eq!(answered["received_at"], "2019-04-25T09:32:09+08:00");
        assert_eq!(answered["closed_at"], "2019-05-10T14:56:53+08:00");
        assert!(answered["title"].contains("景蓉华苑"), "{answered:?}");
        let only_closed = export_rows(&db, dir.path(), &["--status", "closed", "--channel", "import"]);
        assert_eq!(only_closed.len(), 480 + 2816, "NYC's 480 closed and every answered message");
        assert!(only_closed.iter().all(|r| r["status"] == "closed"));
    }
}

#[test]
fn a_bad_row_fails_its_batch_only_and_the_report_names_its_row_and_column() {
    let Some(hotspots) = shared_data("complaints/hotspot_messages.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = copy_in(dir.path(), &hotspots, "hotspots.csv");
    let db = dir.path().join("db").display().to_string();
    let map = mapping("complaints.toml");
    let args = ["import", "cases", "--input", &input, "--mapping", &map, "--batch-size", "1000", "--data-dir", &db];
    let all = failed(&gridline(&args));
    assert!(all.contains("1 bad rows in 1 batches not imported"), "{all}");
    let report = std::fs::read_to_string(format!("{input}.import-report.csv")).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], "row,column,error");
    assert_eq!(lines.len(), 2, "{report}");
    // The one message longer than a description may be (7,028 characters).
    let (row, rest) = lines[1].split_once(',').unwrap();
    assert!(rest.starts_with("留言详情,") && rest.contains("longer than 5000"), "{report}");
    let row: usize = row.parse().unwrap();
    let bad_batch = (row - 2) / 1000;
    let batch_rows = if bad_batch == 4 { 4326 - 4000 } else { 1000 };
    assert!(all.contains(&format!("{} imported", 4326 - batch_rows)), "{all}");
    let rows = export_rows(&["--data-dir", &db], dir.path(), &[]);
    assert_eq!(rows.len(), 4326 - batch_rows);
}

#[test]
fn a_duplicated_id_in_a_real_file_is_reported_with_both_rows_and_its_batch_imports_nothing() {
    let Some(labelled) = shared_data("complaints/labelled_messages.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = copy_in(dir.path(), &labelled, "labelled.csv");
    let db = dir.path().join("db").display().to_string();
    let map = mapping("complaints.toml");
    let all = failed(&gridline(&["import", "cases", "--input", &input, "--mapping", &map, "--data-dir", &db]));
    assert!(all.contains("0 imported") && all.contains("1 bad rows"), "{all}");
    let report = std::fs::read_to_string(format!("{input}.import-report.csv")).unwrap();
    assert!(report.contains("留言编号,\"id \"\"37042\"\" repeats row"), "{report}");
}

#[test]
fn malformed_files_get_a_precise_report_and_import_nothing_of_the_bad_batch() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db").display().to_string();
    let map_path = dir.path().join("map.toml");
    std::fs::write(
        &map_path,
        "[columns]\nexternal_id = \"id\"\nreceived_at = \"time\"\ndescription = [\"text\"]\nlat = \"lat\"\nlon = \"lon\"\nclosed_at = \"closed\"\n",
    )
    .unwrap();
    let map = map_path.display().to_string();
    let import = |name: &str, content: &[u8]| {
        let input = dir.path().join(name);
        std::fs::write(&input, content).unwrap();
        let input = input.display().to_string();
        let output = gridline(&["import", "cases", "--input", &input, "--mapping", &map, "--data-dir", &db]);
        let report = std::fs::read_to_string(format!("{input}.import-report.csv")).unwrap_or_default();
        (output, report)
    };
    let mut bad = "id,time,text,lat,lon,closed\n1,2024-10-08 09:00,good row,39.9,116.4,\n2,2024-10-08 09:00,北京".as_bytes().to_vec();
    bad.extend_from_slice(b",39.9,116.4,\n3,yesterday,text,39.9,116.4,\n4,2024-10-08 09:00,text,north,116.4,\n");
    bad.extend_from_slice(b"5,2024-10-08 09:00,text,39.9,,\n6,2024-10-08 09:00,,39.9,116.4,\n1,2024-10-08 09:00,again,39.9,116.4,\n");
    bad.extend_from_slice(b"8,2024-10-08 09:00,closed before it came,39.9,116.4,2024-10-01 09:00\n");
    let (output, report) = import("bad.csv", &bad);
    let all = failed(&output);
    assert!(all.contains("0 imported") && all.contains("6 bad rows"), "{all}");
    for expected in [
        "4,time,\"\"\"yesterday\"\" is not a time\"",
        "5,lat,\"\"\"north\"\" is not a number\"",
        "6,lat,latitude and longitude come together",
        "7,text,the description is empty",
        "8,id,\"id \"\"1\"\" repeats row 2\"",
        "9,closed,closed is before time",
    ] {
        assert!(report.contains(expected), "{expected} in:\n{report}");
    }
    // A mapped column the file lacks stops the import before anything is read.
    let (output, _) = import("missing.csv", b"id,time,text,lat\n1,2024-10-08 09:00,x,39.9\n");
    let all = failed(&output);
    assert!(all.contains("column \"lon\" (mapped to lon) is not in the file's header"), "{all}");
    // A row with more fields than the header has lost its way in the file.
    let (output, report) = import("fields.csv", b"id,time,text,lat,lon,closed\n1,2024-10-08 09:00,a,39.9,116.4,,extra\n");
    failed(&output);
    assert!(report.contains("2,,the row has 7 fields and the header 6"), "{report}");
    // Nothing of any of it went in.
    let rows = export_rows(&["--data-dir", &db], dir.path(), &[]);
    assert!(rows.is_empty(), "{rows:?}");
    // A broken mapping is refused with its reason.
    std::fs::write(&map_path, "[columns]\nexternal_id = \"id\"\n").unwrap();
    let (output, _) = import("good.csv", b"id,time,text\n1,2024-10-08 09:00,x\n");
    assert!(failed(&output).contains("mapping"));
}

/// The first `n` records of a CSV file, written back as UTF-8 text.
fn first_records(path: &Path, n: usize) -> (String, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().take(n).map(Result::unwrap).collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(reader.headers().unwrap()).unwrap();
    for record in &records {
        out.write_record(record).unwrap();
    }
    (String::from_utf8(out.into_inner().unwrap()).unwrap(), records)
}

#[test]
fn a_gb18030_file_imports_with_its_encoding_named_and_without_it_stops_before_anything_is_written() {
    let Some(replies) = shared_data("complaints/replies.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    let (text, records) = first_records(&replies, 300);
    let (gbk, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert_ne!(gbk.as_ref(), text.as_bytes(), "the Chinese text is encoded differently");
    let input = dir.path().join("replies-gbk.csv");
    std::fs::write(&input, &gbk).unwrap();
    let input = input.display().to_string();
    let db = dir.path().join("db").display().to_string();
    // Without an encoding the file must be UTF-8: stopped at its first row, nothing written.
    let plain = std::fs::read_to_string(mapping("complaints-replies.toml")).unwrap();
    let map_utf8 = dir.path().join("utf8.toml");
    std::fs::write(&map_utf8, &plain).unwrap();
    let map_utf8 = map_utf8.display().to_string();
    let all = failed(&gridline(&["import", "cases", "--input", &input, "--mapping", &map_utf8, "--data-dir", &db]));
    // Its header is Chinese too: the first bad bytes are there.
    assert!(all.contains("is not UTF-8: row 1 (the header), column 1 holds bytes that are not UTF-8 (byte 1 of the file)"), "{all}");
    assert!(all.contains("encoding = \"gb18030\""), "{all}");
    assert!(all.contains("nothing was imported"), "{all}");
    assert!(export_rows(&["--data-dir", &db], dir.path(), &[]).is_empty());
    // With it, every row goes in with its text intact.
    let map_gbk = dir.path().join("gbk.toml");
    std::fs::write(&map_gbk, plain.replace("[source]\n", "[source]\nencoding = \"gb18030\"\n")).unwrap();
    let map_gbk = map_gbk.display().to_string();
    let out = succeeded(&gridline(&["import", "cases", "--input", &input, "--mapping", &map_gbk, "--data-dir", &db]));
    assert!(out.contains("300 imported, 0 already there, 0 bad rows"), "{out}");
    let rows = export_rows(&["--data-dir", &db], dir.path(), &[]);
    assert_eq!(rows.len(), 300);
    let first = rows.iter().find(|r| r["external_id"] == format!("msg-{}", &records[0][0])).expect("the first message");
    assert_eq!(first["title"], records[0][2].trim());
    assert_eq!(first["status"], "closed");

    // UTF-16 with a byte-order mark is recognised by the mark, with no encoding named.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let input16 = dir.path().join("replies-utf16.csv");
    std::fs::write(&input16, &utf16).unwrap();
    let input16 = input16.display().to_string();
    let db16 = dir.path().join("db16").display().to_string();
    let out = succeeded(&gridline(&["import", "cases", "--input", &input16, "--mapping", &map_utf8, "--data-dir", &db16]));
    assert!(out.contains("300 imported, 0 already there, 0 bad rows"), "{out}");
    let rows16 = export_rows(&["--data-dir", &db16], dir.path(), &[]);
    let first16 = rows16.iter().find(|r| r["external_id"] == first["external_id"]).unwrap();
    assert_eq!(first16["title"], first["title"]);
    assert_eq!(first16["description"], first["description"]);
}

#[test]
fn a_bad_byte_deep_in_a_utf8_file_names_its_row_and_column_and_keeps_the_good_rows_out_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db").display().to_string();
    let map = dir.path().join("map.toml");
    std::fs::write(&map, "[columns]\nexternal_id = \"id\"\nreceived_at = \"time\"\ndescription = [\"text\"]\naddress = \"address\"\n").unwrap();
    let mut csv = String::from("id,time,text,address\n");
    for n in 1..=50 {
        // A quoted field across lines: rows are records, not lines.
        csv.push_str(&format!("{n},2024-10-08 09:00,\"门口暴露垃圾\n没人清运\",朝阳区望京街道{n}号\n"));
    }
    let mut bytes = csv.into_bytes();
    bytes.extend_from_slice(b"51,2024-10-08 09:00,ok,");
    bytes.extend_from_slice(&[0xB3, 0xAF, 0xD1, 0xF4]); // 朝阳 in GBK
    bytes.extend_from_slice(b"\n");
    let input = dir.path().join("cases.csv");
    std::fs::write(&input, &bytes).unwrap();
    let input = input.display().to_string();
    let map = map.display().to_string();
    let all = failed(&gridline(&["import", "cases", "--input", &input, "--mapping", &map, "--batch-size", "10", "--data-dir", &db]));
    assert!(all.contains("row 52, column \"address\" holds bytes that are not UTF-8"), "{all}");
    assert!(export_rows(&["--data-dir", &db], dir.path(), &[]).is_empty(), "not even the batches before it");
    // An encoding that is not a WHATWG label is refused by name.
    std::fs::write(dir.path().join("map.toml"), "[source]\nencoding = \"klingon\"\n[columns]\nexternal_id = \"id\"\nreceived_at = \"time\"\ndescription = [\"text\"]\n").unwrap();
    let all = failed(&gridline(&["import", "cases", "--input", &input, "--mapping", &map, "--data-dir", &db]));
    assert!(all.contains("unknown encoding \"klingon\""), "{all}");
}

#[test]
fn an_xlsx_workbook_imports_with_its_date_cells_and_sheet_row_numbers_and_exports_back_as_xlsx() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db").display().to_string();
    let mut workbook = Workbook::new();
    workbook.add_worksheet().set_name("说明").unwrap().write_string(0, 0, "工单导出").unwrap();
    let sheet = workbook.add_worksheet().set_name("工单").unwrap();
    let date = Format::new().set_num_format("yyyy/m/d h:mm");
    for (col, name) in ["工单编号", "受理时间", "诉求内容", "地址", "办结时间"].into_iter().enumerate() {
        sheet.write_string(0, col as u16, name).unwrap();
    }
    let at = |d: &str| ExcelDateTime::parse_from_str(d).unwrap();
    // Row 2: a numeric id and real date cells.
    sheet.write_number(1, 0, 1001).unwrap();
    sheet.write_datetime_with_format(1, 1, at("2024-10-08 09:30:00"), &date).unwrap();
    sheet.write_string(1, 2, "门口暴露垃圾没人清运").unwrap();
    sheet.write_string(1, 3, "朝阳区望京街道阜通东大街6号").unwrap();
    sheet.write_datetime_with_format(1, 4, at("2024-10-09 10:00:00"), &date).unwrap();
    // Row 3: the time as text, in the mapping's format.
    sheet.write_string(2, 0, "A-1002").unwrap();
    sheet.write_string(2, 1, "08.10.2024 10:15").unwrap();
    sheet.write_string(2, 2, "小区门口积存垃圾").unwrap();
    // Row 4 is empty; row 5 has a time that is none.
    sheet.write_string(4, 0, "A-1003").unwrap();
    sheet.write_string(4, 1, "昨天").unwrap();
    sheet.write_string(4, 2, "路灯不亮").unwrap();
    let input = dir.path().join("工单.xlsx");
    workbook.save(&input).unwrap();
    let map = dir.path().join("map.toml");
    std::fs::write(
        &map,
        "[source]\nsheet = \"工单\"\ntime_format = \"%d.%m.%Y %H:%M\"\n[columns]\nexternal_id = \"工单编号\"\nreceived_at = \"受理时间\"\n\
         description = [\"诉求内容\"]\naddress = \"地址\"\nclosed_at = \"办结时间\"\n",
    )
    .unwrap();
    let (input, map) = (input.display().to_string(), map.display().to_string());
    let all = failed(&gridline(&["import", "cases", "--input", &input, "--mapping", &map, "--batch-size", "2", "--data-dir", &db]));
    let report = std::fs::read_to_string(format!("{input}.import-report.csv")).unwrap();
    assert!(all.contains("3 rows read") && all.contains("2 imported") && all.contains("1 bad rows in 1 batches"), "{all}\n{report}");
    assert_eq!(report.lines().nth(1), Some("5,受理时间,\"\"\"昨天\"\" is not a time of the form %d.%m.%Y %H:%M\""), "{report}");
    let rows = export_rows(&["--data-dir", &db], dir.path(), &[]);
    let by_id = |id: &str| rows.iter().find(|r| r["external_id"] == id).unwrap_or_else(|| panic!("{id} in {rows:?}"));
    let first = by_id("1001");
    assert_eq!(first["received_at"], "2024-10-08T09:30:00+08:00");
    assert_eq!((first["status"].as_str(), first["closed_at"].as_str()), ("closed", "2024-10-09T10:00:00+08:00"));
    assert_eq!(by_id("A-1002")["received_at"], "2024-10-08T10:15:00+08:00");
    // A sheet that is not there is named with the ones that are.
    std::fs::write(dir.path().join("map.toml"), "[source]\nsheet = \"Sheet9\"\n[columns]\nexternal_id = \"工单编号\"\nreceived_at = \"受理时间\"\ndescription = [\"诉求内容\"]\n").unwrap();
    let all = failed(&gridline(&["import", "cases", "--input", &input, "--mapping", &map, "--data-dir", &db]));
    assert!(all.contains("no sheet \"Sheet9\"; its sheets: 说明, 工单"), "{all}");

    // Export as a workbook, by the output's extension, and read it back.
    let out = dir.path().join("cases.xlsx").display().to_string();
    succeeded(&gridline(&["export", "cases", "--lang", "en", "--output", &out, "--data-dir", &db]));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&out).expect("an XLSX file");
    let range = calamine::Reader::worksheet_range_at(&mut book, 0).unwrap().unwrap();
    let sheet: Vec<&[calamine::Data]> = range.rows().collect();
    let header: Vec<String> = sheet[0].iter().map(ToString::to_string).collect();
    let csv_header: Vec<&String> = rows[0].keys().collect();
    assert_eq!(header.len(), csv_header.len());
    assert!(csv_header.iter().all(|h| header.contains(h)), "the CSV's columns");
    assert_eq!(sheet.len(), 3);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = sheet.iter().find(|r| r[col("external_id")] == calamine::Data::String("1001".into())).expect("1001 exported");
    let calamine::Data::DateTime(received) = &row[col("received_at")] else { panic!("a date cell: {:?}", row[col("received_at")]) };
    assert_eq!(received.to_ymd_hms_milli(), (2024, 10, 8, 9, 30, 0, 0));
    assert!(matches!(row[col("closed_at")], calamine::Data::DateTime(_)));
    assert_eq!(row[col("status")].to_string(), "closed");
    assert_eq!(row[col("overdue")], calamine::Data::Bool(false));
    assert!(matches!(row[col("id")], calamine::Data::Float(_)));
    assert_eq!(row[col("description")].to_string(), first["description"]);
    // --format wins over the extension; an unknown one is refused.
    let named = dir.path().join("cases.dat").display().to_string();
    succeeded(&gridline(&["export", "cases", "--output", &named, "--format", "xlsx", "--data-dir", &db]));
    assert!(std::fs::read(&named).unwrap().starts_with(b"PK"), "a zip file");
    // Without --lang: Chinese headers and labels, on a sheet named 案件, as on the search page.
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&named).expect("an XLSX file");
    assert_eq!(calamine::Reader::sheet_names(&book), ["案件"]);
    let range = calamine::Reader::worksheet_range_at(&mut book, 0).unwrap().unwrap();
    let sheet: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(ToString::to_string).collect()).collect();
    assert_eq!(sheet[0], gridline_app::export::header(gridline_core::message::Lang::Zh));
    let closed = sheet.iter().find(|r| r[2] == "1001").expect("1001 exported");
    assert_eq!((closed[3].as_str(), closed[4].as_str()), ("已结案", "否"), "状态 and 是否超期 as people read them: {closed:?}");
    let csv = dir.path().join("中文.csv");
    succeeded(&gridline(&["export", "cases", "--output", csv.to_str().unwrap(), "--data-dir", &db]));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("\u{feff}编号,渠道,工单号,状态,"), "{text}");
}

#[test]
fn rejected_and_called_back_rows_keep_their_states_and_impossible_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db").display().to_string();
    let map = dir.path().join("map.toml");
    std::fs::write(
        &map,
        r#"[columns]
external_id = "编号"
received_at = "受理时间"
description = ["内容"]
closed_at = "办结时间"
rejected_at = "退回时间"
reject_reason = "退回原因"
callback_at = "回访时间"
satisfaction = "满意度"
resolved = "是否解决"

[satisfaction_map]
"满意" = "satisfied"
"基本满意" = "basically_satisfied"
"不满意" = "dissatisfied"
"#,
    )
    .unwrap();
    let csv = "编号,受理时间,内容,办结时间,退回时间,退回原因,回访时间,满意度,是否解决\n\
        1,2024-10-08 09:00,门口暴露垃圾没人清运,2024-10-09 09:00,,,2024-10-10 15:30,满意,是\n\
        2,2024-10-08 09:05,楼上邻居家里吵架,,2024-10-08 11:00,不属于城市管理范围,,,\n\
        3,2024-10-08 09:10,路灯不亮,2024-10-09 09:00,,,2024-10-10 16:00,不满意,\n\
        4,2024-10-08 09:15,井盖缺失,,,,2024-10-10 16:00,满意,是\n\
        5,2024-10-08 09:20,井盖缺失,2024-10-09 09:00,,,2024-10-10 16:00,还行,是\n\
        6,2024-10-08 09:25,井盖缺失,2024-10-09 09:00,2024-10-08 10:00,重复,,,\n\
        7,2024-10-08 09:30,井盖缺失,2024-10-09 09:00,,,2024-10-09 08:00,满意,是\n";
    let input = dir.path().join("cases.csv");
    std::fs::write(&input, csv).unwrap();
    let (input, map) = (input.display().to_string(), map.display().to_string());
    let all = failed(&gridline(&["import", "cases", "--input", &input, "--mapping", &map, "--batch-size", "3", "--data-dir", &db]));
    assert!(all.contains("3 imported") && all.contains("4 bad rows in 2 batches"), "{all}");
    let report = std::fs::read_to_string(format!("{input}.import-report.csv")).unwrap();
    for expected in [
        "5,回访时间,\"a call-back comes after the case was closed, and the row gives no time closed\"",
        "6,满意度,\"unknown satisfaction \"\"还行\"\"; map it in [satisfaction_map]",
        "7,退回时间,\"a rejected case was never registered, dispatched or closed, and the row gives 办结时间 too\"",
        "8,回访时间,回访时间 is before 办结时间",
    ] {
        assert!(report.contains(expected), "{expected} in:\n{report}");
    }
    let rows = export_rows(&["--data-dir", &db], dir.path(), &[]);
    let by_id = |id: &str| rows.iter().find(|r| r["external_id"] == id).unwrap_or_else(|| panic!("{id} in {rows:?}"));
    let called = by_id("1");
    assert_eq!(called["status"], "called_back");
    assert_eq!(called["satisfaction"], "satisfied");
    assert_eq!(called["called_back_at"], "2024-10-10T15:30:00+08:00");
    assert_eq!(called["closed_at"], "2024-10-09T09:00:00+08:00");
    let rejected = by_id("2");
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["closed_at"], "2024-10-08T11:00:00+08:00", "a rejection ends the case");
    assert_eq!(rejected["handled_at"], "");
    assert_eq!(by_id("3")["satisfaction"], "dissatisfied");
    let only_called_back = export_rows(&["--data-dir", &db], dir.path(), &["--status", "called_back"]);
    assert_eq!(only_called_back.len(), 2);
    // A mapping whose satisfaction_map points outside the domain's values is refused.
    std::fs::write(dir.path().join("map.toml"), "[columns]\nexternal_id = \"编号\"\nreceived_at = \"受理时间\"\ndescription = [\"内容\"]\n[satisfaction_map]\n\"满意\" = \"happy\"\n").unwrap();
    let all = failed(&gridline(&["import", "cases", "--input", &input, "--mapping", &map, "--data-dir", &db]));
    assert!(all.contains("satisfaction_map \"满意\" = \"happy\""), "{all}");
}

#[test]
fn a_trained_model_classifies_rows_without_a_category_through_the_category_map_above_the_confidence() {
    let Some(labelled) = shared_data("complaints/labelled_messages.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    // Every 8th message is imported (the file is sorted by label); the model learns from the
    // others, so it has not seen them.
    let mut reader = csv::Reader::from_path(&labelled).unwrap();
    let header = reader.headers().unwrap().clone();
    let (mut training, mut held_out) = (csv::Writer::from_writer(Vec::new()), csv::Writer::from_writer(Vec::new()));
    training.write_record(&header).unwrap();
    held_out.write_record(&header).unwrap();
    let mut records = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.unwrap();
        if n % 8 == 0 {
            held_out.write_record(&record).unwrap();
            records.push(record);
        } else {
            training.write_record(&record).unwrap();
        }
    }
    let text = String::from_utf8(held_out.into_inner().unwrap()).unwrap();
    let n = records.len();
    let training_path = dir.path().join("training.csv");
    std::fs::write(&training_path, training.into_inner().unwrap()).unwrap();
    let model = dir.path().join("model.bin").display().to_string();
    let training_path = training_path.display().to_string();
    succeeded(&gridline(&[
        "model", "train", "--input", &training_path, "--text-col", "留言主题,留言详情", "--label-col", "一级标签", "--output", &model,
    ]));
    let input = dir.path().join("messages.csv");
    std::fs::write(&input, &text).unwrap();
    let input = input.display().to_string();
    let labels = [
        ("城乡建设", "R0201"),
        ("劳动和社会保障", "R0202"),
        ("教育文体", "R0203"),
        ("商贸旅游", "R0204"),
        ("卫生计生", "R0205"),
        ("交通运输", "R0206"),
        ("环境保护", "R0101"),
    ];
    let mut map_text = std::fs::read_to_string(mapping("complaints.toml")).unwrap();
    map_text.push_str("\n[category_map]\n");
    for (label, code) in labels {
        map_text.push_str(&format!("\"{label}\" = \"{code}\"\n"));
    }
    let map = dir.path().join("map.toml");
    std::fs::write(&map, map_text).unwrap();
    let map = map.display().to_string();
    let import = |db: &str, extra: &[&str]| {
        let mut args = vec!["import", "cases", "--input", input.as_str(), "--mapping", map.as_str(), "--model", model.as_str(), "--data-dir", db];
        args.extend_from_slice(extra);
        succeeded(&gridline(&args))
    };
    let expected = |id: &str| {
        let label = &records.iter().find(|r| format!("msg-{}", &r[0]) == id).unwrap()[5];
        labels.iter().find(|(l, _)| *l == label).map(|(_, code)| *code).unwrap()
    };
    // At confidence 0 every message is filed under a label's catalogue code, mostly its own.
    let all_db = dir.path().join("all").display().to_string();
    let out = import(&all_db, &["--min-confidence", "0"]);
    assert!(out.contains(&format!("{n} imported")) && out.contains(&format!("{n} classified")), "{out}");
    let rows = export_rows(&["--data-dir", &all_db], dir.path(), &[]);
    let codes: Vec<&str> = labels.iter().map(|(_, c)| *c).collect();
    assert!(rows.iter().all(|r| codes.contains(&r["category"].as_str())), "every case under a mapped code");
    let right = rows.iter().filter(|r| r["category"] == expected(&r["external_id"])).count();
    eprintln!("{right} of {n} right");
    assert!(right * 10 >= n * 7, "{right} of {n} filed under their own label's code");
    // At the intake's default threshold (0.9) only the confident ones are filed.
    let strict_db = dir.path().join("strict").display().to_string();
    let out = import(&strict_db, &[]);
    let filed = export_rows(&["--data-dir", &strict_db], dir.path(), &[]).iter().filter(|r| !r["category"].is_empty()).count();
    assert!(out.contains(&format!("{filed} classified")), "{out}");
    eprintln!("{filed} of {n} at 0.9");
    assert!(filed < n, "{filed}: some messages are below 0.9");
    // Without a model the catalogue keywords are the fallback: other codes than the mapped ones.
    let keywords_db = dir.path().join("keywords").display().to_string();
    succeeded(&gridline(&["import", "cases", "--input", &input, "--mapping", &map, "--data-dir", &keywords_db]));
    let keyword_rows = export_rows(&["--data-dir", &keywords_db], dir.path(), &[]);
    assert!(keyword_rows.iter().any(|r| !r["category"].is_empty() && !codes.contains(&r["category"].as_str())), "keyword categories");
    let bad = gridline(&["import", "cases", "--input", &input, "--mapping", &map, "--model", &map, "--data-dir", &keywords_db]);
    assert!(failed(&bad).contains("loading the model"));
}

#[test]
fn address_only_rows_are_geocoded_and_point_only_rows_placed_in_their_street_polygon() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db").display().to_string();
    let map = dir.path().join("map.toml");
    std::fs::write(&map, "[columns]\nexternal_id = \"id\"\nreceived_at = \"time\"\ndescription = [\"text\"]\naddress = \"address\"\nlat = \"lat\"\nlon = \"lon\"\n").unwrap();
    // Tiananmen (东华门街道) by point only; 望京 by address only; New York by point: no street.
    let csv = "id,time,text,address,lat,lon\n\
        1,2024-10-08 09:00,门口暴露垃圾,,39.9087,116.3975\n\
        2,2024-10-08 09:00,门口暴露垃圾,朝阳区望京街道阜通东大街6号,,\n\
        3,2024-10-08 09:00,门口暴露垃圾,,40.7128,-74.0060\n";
    let input = dir.path().join("cases.csv");
    std::fs::write(&input, csv).unwrap();
    let (input, map) = (input.display().to_string(), map.display().to_string());
    let out = succeeded(&gridline(&["import", "cases", "--input", &input, "--mapping", &map, "--data-dir", &db]));
    assert!(out.contains("3 imported") && out.contains("2 located"), "{out}");
    let rows = export_rows(&["--data-dir", &db], dir.path(), &[]);
    let region = |id: &str| rows.iter().find(|r| r["external_id"] == id).unwrap()["region_name"].clone();
    assert_eq!(region("1"), "东华门街道");
    assert_eq!(region("2"), "望京街道");
    assert_eq!(region("3"), "");
}

#[test]
fn an_interrupted_import_goes_on_after_the_last_durable_batch() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db").display().to_string();
    let map_text = "[columns]\nexternal_id = \"id\"\nreceived_at = \"time\"\ndescription = [\"text\"]\naddress = \"address\"\n";
    let map_path = dir.path().join("map.toml");
    std::fs::write(&map_path, map_text).unwrap();
    let mut csv = String::from("id,time,text,address\n");
    for n in 1..=10 {
        csv.push_str(&format!("{n},2024-10-08 09:{n:02},门口暴露垃圾没人清运,朝阳区望京街道{n}号\n"));
    }
    let input = dir.path().join("cases.csv");
    std::fs::write(&input, &csv).unwrap();
    // What a run killed after its first two batches of 3 rows leaves behind.
    let checkpoint = format!(
        "{{\"input_bytes\":{},\"mapping_sha256\":\"{}\",\"rows_done\":6}}",
        csv.len(),
        hex::encode(Sha256::digest(map_text.as_bytes()))
    );
    let checkpoint_path = dir.path().join("cases.csv.import-checkpoint.json");
    std::fs::write(&checkpoint_path, &checkpoint).unwrap();
    let input = input.display().to_string();
    let map = map_path.display().to_string();
    let args = ["import", "cases", "--input", &input, "--mapping", &map, "--batch-size", "3", "--data-dir", &db];
    let out = succeeded(&gridline(&args));
    assert!(out.contains("4 rows read") && out.contains("4 imported") && out.contains("resumed after row 7"), "{out}");
    assert!(!checkpoint_path.exists(), "a finished import leaves no checkpoint");
    let rows = export_rows(&["--data-dir", &db], dir.path(), &[]);
    let ids: Vec<&str> = rows.iter().map(|r| r["external_id"].as_str()).collect();
    assert_eq!(ids, ["7", "8", "9", "10"]);
    // The hooks found the street in the address, and the category in the text.
    assert!(rows.iter().all(|r| r["region"] == "110105026000" && r["category"] == "S0102"), "{rows:?}");
    // A checkpoint of another file is not taken for this one.
    let other = format!("{{\"input_bytes\":1,\"mapping_sha256\":\"{}\",\"rows_done\":6}}", hex::encode(Sha256::digest(map_text.as_bytes())));
    std::fs::write(&checkpoint_path, other).unwrap();
    assert!(failed(&gridline(&args)).contains("--restart"));
    let args = ["import", "cases", "--input", &input, "--mapping", &map, "--restart", "--data-dir", &db];
    let out = succeeded(&gridline(&args));
    assert!(out.contains("6 imported, 4 already there"), "{out}");
}

#[test]
fn export_refuses_unknown_filters_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db").display().to_string();
    let out = dir.path().join("x.csv").display().to_string();
    for (flag, value, expected) in [
        ("--format", "ods", "csv or xlsx"),
        ("--lang", "fr", "possible values: zh, en"),
        ("--status", "lost", "unknown status"),
        ("--category", "ZZ", "unknown category"),
        ("--region", "999", "unknown region"),
        ("--unit", "NOPE", "unknown unit"),
    ] {
        let all = failed(&gridline(&["export", "cases", "--output", &out, flag, value, "--data-dir", &db]));
        assert!(all.contains(expected), "{flag} {value}: {all}");
    }
}

#[test]
fn api_keys_are_issued_once_listed_without_the_key_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db").display().to_string();
    let key = succeeded(&gridline(&["apikey", "add", "12345-hotline", "--channel", "hotline", "--data-dir", &db]));
    let key = key.trim();
    assert!(key.starts_with("gl_") && key.len() > 40, "{key}");
    assert!(failed(&gridline(&["apikey", "add", "12345-hotline", "--channel", "public", "--data-dir", &db])).contains("already exists"));
    assert!(failed(&gridline(&["apikey", "add", "grid", "--channel", "grid", "--data-dir", &db])).contains("no API key files through the grid channel"));
    assert!(failed(&gridline(&["apikey", "add", "bad name", "--channel", "public", "--data-dir", &db])).contains("key name"));
    let list = succeeded(&gridline(&["apikey", "list", "--data-dir", &db]));
    assert!(list.starts_with("12345-hotline\thotline\t") && list.contains("active") && !list.contains(key), "{list}");
    succeeded(&gridline(&["apikey", "revoke", "12345-hotline", "--data-dir", &db]));
    assert!(succeeded(&gridline(&["apikey", "list", "--data-dir", &db])).contains("revoked"));
    assert!(failed(&gridline(&["apikey", "revoke", "12345-hotline", "--data-dir", &db])).contains("no active API key"));
}
