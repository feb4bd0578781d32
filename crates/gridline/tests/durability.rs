//! The durability check of the standing suite (issue 25), on both engines: a short run of
//! `gridline bench intake` — the real server binary, 16 clients filing cases at once, `SIGKILL`
//! of the server while they send, a look in the database for every case whose 201 a client
//! received, and a restart that serves them — on a fresh SQLite data directory and, when
//! `GRIDLINE_TEST_POSTGRES_URL` is set (as in CI), on a fresh PostgreSQL schema of its own.
//! Each run is bounded: 2 s of warm-up and 4 s of load, then the check (well under a minute).

use std::process::Command;
use std::time::{Duration, Instant};

/// The most one engine's run may take, load, kill, check and restart included.
const BOUND: Duration = Duration::from_secs(60);

fn kill_under_load(target: &[&str]) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_gridline"))
        .args(["bench", "intake", "--seconds", "4", "--concurrency", "16", "--no-ceiling"])
        .args(target)
        .env_remove("GRIDLINE_DATABASE")
        .env_remove("GRIDLINE_DATA_DIR")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run gridline bench intake");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "the kill -9 check failed ({}):\n{stdout}\n{stderr}", output.status);
    // The bench exits non-zero when an acknowledged case is missing; say what it found.
    let verdict = stdout.lines().find(|l| l.starts_with("kill -9 under load:")).expect("the bench reports the check");
    assert!(verdict.contains(", 0 of them missing"), "{verdict}");
    let acknowledged: u64 = verdict["kill -9 under load: ".len()..].split(' ').next().and_then(|n| n.parse().ok()).expect("a count");
    assert!(acknowledged > 100, "too few cases were acknowledged to test anything: {verdict}");
    assert!(stdout.contains("restart: the server came back"), "{stdout}");
    assert!(elapsed < BOUND, "the check took {elapsed:?}, more than {BOUND:?}");
}

#[test]
fn every_acknowledged_case_survives_kill_9_under_load_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    kill_under_load(&["--data-dir", dir.path().to_str().expect("a UTF-8 path")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_acknowledged_case_survives_kill_9_under_load_on_postgresql() {
    let Some(base) = std::env::var(gridline_store::testing::POSTGRES_ENV).ok().filter(|url| !url.is_empty()) else {
        assert!(std::env::var_os("CI").is_none(), "{} must be set in CI", gridline_store::testing::POSTGRES_ENV);
        eprintln!("{} is not set: PostgreSQL is skipped", gridline_store::testing::POSTGRES_ENV);
        return;
    };
    // A schema of its own: the other tests' schemas and data are not touched.
    let url = gridline_store::testing::fresh_postgres_schema(&base).await;
    tokio::task::spawn_blocking(move || kill_under_load(&["--database", &url])).await.expect("the check ran");
}
