//! Fresh databases for tests: every test gets its own SQLite file and, when
//! `GRIDLINE_TEST_POSTGRES_URL` is set (as `.ci/run` does), its own PostgreSQL schema, so that one
//! suite runs against both engines.

use std::path::Path;

use sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor};

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
