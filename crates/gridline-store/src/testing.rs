//! Fresh databases for tests: every test gets its own SQLite file and, when
//! `GRIDLINE_TEST_POSTGRES_URL` is set (as `.ci/run` does), its own PostgreSQL schema, so that one
//! suite runs against both engines.

use std::path::Path;

use sqlx::{AnyConnection, AssertSqlSafe, ConnectOptions, Connection, Executor};

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "GRIDLINE_TEST_POSTGRES_URL";

/// `(engine name, database URL)` for every engine under test, each a new, empty database.
/// Panics in CI (`CI` set) when PostgreSQL is not configured, so that a green run means both ran.
pub async fn fresh_databases(dir: &Path) -> Vec<(&'static str, String)> {
    let mut urls = vec![("sqlite", format!("sqlite://{}?mode=rwc", dir.join("gridline.db").display()))];
    match std::env::var(POSTGRES_ENV) {
        Ok(base) if !base.is_empty() => urls.push(("postgres", fresh_postgres_schema(&base).await)),
        _ if std::env::var_os("CI").is_some() => panic!("{POSTGRES_ENV} must be set in CI"),
        _ => eprintln!("{POSTGRES_ENV} is not set: PostgreSQL is skipped"),
    }
    urls
}

/// Creates an empty schema and returns a URL whose connections use it.
pub async fn fresh_postgres_schema(base: &str) -> String {
    sqlx::any::install_default_drivers();
    let schema = format!("gl_test_{:016x}", rand::random::<u64>());
    let mut conn = AnyConnection::connect(base).await.expect("connect to the test PostgreSQL server");
    conn.execute(AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).await.expect("create a test schema");
    let _ = conn.close().await;
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}options=-c%20search_path%3D{schema}")
}

/// Runs `statements` on the database at `url` outside the store, as someone with access to the
/// database could (tests of what gridline does when stored data was altered).
pub async fn execute(url: &str, statements: &[&str]) {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(url).await.expect("connect to the test database");
    for statement in statements {
        conn.execute(AssertSqlSafe(statement.to_string())).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    let _ = conn.close().await;
}

/// What [`sqlite_copy_floor`] copied and how long it took.
#[derive(Debug)]
pub struct CopyFloor {
    pub cases: u64,
    pub events: u64,
    pub seconds: f64,
}

/// SQLite's own copy of every case and event of the embedded database file `source` into a new
/// one in `target_dir` (the same schema, by the same migrations and the writer's settings), one
/// `INSERT … SELECT` per table: no parsing, checking, encoding or binding. No import of the same
/// rows can be faster on the machine, which is what the import benchmark compares itself with.
pub async fn sqlite_copy_floor(source: &Path, target_dir: &Path) -> Result<CopyFloor, crate::StoreError> {
    crate::Store::open_data_dir(target_dir).await?.close().await;
    let options: sqlx::any::AnyConnectOptions = format!("sqlite://{}", target_dir.join("gridline.db").display()).parse()?;
    let mut conn = AnyConnection::connect_with(&options.disable_statement_logging()).await?;
    conn.execute(crate::SQLITE_PRAGMAS).await?;
    conn.execute("PRAGMA cache_size = -131072").await?;
    let source = source.display().to_string().replace('\'', "''");
    conn.execute(AssertSqlSafe(format!("ATTACH DATABASE '{source}' AS source"))).await?;
    let started = std::time::Instant::now();
    let mut copied = [0; 2];
    for (table, n) in ["cases", "case_events"].into_iter().zip(&mut copied) {
        conn.execute("BEGIN IMMEDIATE").await?;
        *n = conn.execute(AssertSqlSafe(format!("INSERT INTO main.{table} SELECT * FROM source.{table}"))).await?.rows_affected();
        conn.execute("COMMIT").await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = conn.close().await;
    Ok(CopyFloor { cases: copied[0], events: copied[1], seconds })
}
