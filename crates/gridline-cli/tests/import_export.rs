//! `gridline import cases`, `gridline export cases` and `gridline apikey` as an operator runs
//! them: the real binary on real files (the NYC 311 export and the message-board files in the
//! shared data) and on broken ones, each test in its own temporary data directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// A file of the shared data beside the checkout, or None (then the test says so and stops).
fn shared(file: &str) -> Option<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let found = [manifest.join("../../../shared/data").join(file), Path::new("/work/shared/data").join(file)]
        .into_iter()
        .find(|p| p.exists());
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "the shared data file {file} is missing");
        eprintln!("SKIPPED: the shared data file {file} is not beside the checkout");
    }
    found
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

/// The rows of an exported CSV as header → value maps.
fn export_rows(db: &[&str], dir: &Path, filters: &[&str]) -> Vec<std::collections::HashMap<String, String>> {
    let out = dir.join("export.csv");
    let out_arg = out.display().to_string();
    let mut args = vec!["export", "cases", "--output", out_arg.as_str()];
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
    let (Some(nyc), Some(replies)) = (shared("nyc311/311_Service_Requests_sample_2022-05.csv"), shared("complaints/replies.csv")) else {
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
    let Some(hotspots) = shared("complaints/hotspot_messages.csv") else { return };
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
    let Some(labelled) = shared("complaints/labelled_messages.csv") else { return };
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
    let mut bad = b"id,time,text,lat,lon,closed\n1,2024-10-08 09:00,good row,39.9,116.4,\n2,2024-10-08 09:00,".to_vec();
    bad.extend_from_slice(&[0xB1, 0xB1, 0xBE, 0xA9]); // 北京 in GBK
    bad.extend_from_slice(b",39.9,116.4,\n3,yesterday,text,39.9,116.4,\n4,2024-10-08 09:00,text,north,116.4,\n");
    bad.extend_from_slice(b"5,2024-10-08 09:00,text,39.9,,\n6,2024-10-08 09:00,,39.9,116.4,\n1,2024-10-08 09:00,again,39.9,116.4,\n");
    bad.extend_from_slice(b"8,2024-10-08 09:00,closed before it came,39.9,116.4,2024-10-01 09:00\n");
    let (output, report) = import("bad.csv", &bad);
    let all = failed(&output);
    assert!(all.contains("0 imported") && all.contains("7 bad rows"), "{all}");
    for expected in [
        "3,text,not valid UTF-8",
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
        ("--format", "xlsx", "csv"),
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
