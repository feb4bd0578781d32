//! Storage for gridline. One [`Store`] over two engines: SQLite (embedded, the default) and
//! PostgreSQL (scale-out), chosen by the URL scheme. Both run the same SQL through sqlx's `Any`
//! driver; each has its own migrations folder for what differs (identity columns, triggers), and
//! `tests/schema_parity.rs` checks that both define the same schema.
//!
//! Each area has its repository, a handle borrowed from the store: `store.cases()`,
//! `store.people()`, `store.supervision()`, … Each lives in its own module with the row types it
//! reads (`#[derive(FromRow)]`, converted to the domain's types in one place per table) and the
//! one INSERT of each of its tables.
//!
//! Case events are append-only and the source of truth; the `cases` row is their projection,
//! written in the same transaction. All writes go through one writer task that commits whatever
//! has queued up in a single transaction (group commit), so a durable commit (fsync) is paid once
//! per batch rather than once per case.
#![forbid(unsafe_code)]

mod alleys;
mod api_keys;
mod attachments;
mod campaigns;
mod cases;
mod case_reads;
mod dashboard;
mod documents;
mod ledger;
mod error;
mod evaluation;
mod inbox;
mod links;
mod listings;
mod material;
mod nullable;
mod packed;
mod people;
mod places;
mod questionnaires;
mod rollups;
mod security;
mod supervision;
mod reference;
mod text;
mod watches;
mod writer;
pub mod testing;

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};
use tokio::sync::mpsc;

pub use alleys::{AlleyEntry, Alleys, CaseSketch, CoverageRow, ListingStep, MonthOutcome, NamedScore, ScoreRecord};
pub use api_keys::{ApiKeyRecord, ApiKeys};
pub use attachments::{Attachments, CaseAttachment, FilesDir, NewAttachment, StoredAttachment, Variant};
pub use campaigns::Campaigns;
pub use case_reads::{EventRecord, PublicQuery};
pub use cases::{CaseFilter, CasePage, Cases, Created, Visibility};
pub use dashboard::OpenCases;
pub use documents::{Composed, DocumentFilter, Documents, IssuedDocument, NewDocument, Numbered};
pub use error::StoreError;
pub use inbox::Inbox;
pub use evaluation::{Assignment, ClauseTotal, Evaluation, RoundProgress, StreetTotal, SystemRevision};
pub use ledger::{Ledger, ProjectFilter};
pub use links::Links;
pub use listings::Listings;
pub use material::{Material, Submission};
pub use questionnaires::{CommentRecord, MeasureTotal, NewResponse, Questionnaires, ResponseRecord, Stored};
pub use people::{NewUser, People, UserRecord};
pub use places::{CasePlaces, PlacedCase};
pub use reference::{NewReferenceRevision, Reference, ReferenceRevision};
pub use rollups::{RateLevel, RollupCheck, Rollups, VolumeGrain};
pub use security::{AuditEntry, AuditFilter, NewAuditEntry, Security, SignInLock, SignInSubject};
pub use supervision::{OrderScope, Reminder, Supervision};
pub use text::Text;
pub use watches::Watches;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    writer: mpsc::Sender<writer::Job>,
    backend: Backend,
    /// Where attachments' bytes live (`attachments.rs`): `files/` beside an SQLite database, or
    /// the directory configured with [`Store::with_files_dir`] (shared by every server of a
    /// PostgreSQL deployment). `None`: attachments cannot be kept.
    files: Option<std::sync::Arc<std::path::PathBuf>>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// SQLite settings for every connection: WAL so readers never block the writer, FULL sync so an
/// acknowledged commit survives a crash, a busy timeout instead of immediate SQLITE_BUSY, and a
/// WAL cut back to at most 64 MB whenever a checkpoint lets it start over.
pub(crate) const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; \
     PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = 67108864;";

/// How often the WAL is checkpointed into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Checkpoints the WAL every [`CHECKPOINT_EVERY`] for as long as the pool is open: passively
/// (never blocking the writer) while writes come in, and once the writer has been idle for a
/// whole interval with everything copied, a truncating checkpoint that empties the WAL file, so
/// that a quiet server does not keep a WAL as large as its busiest hour made it.
async fn checkpoint_while_open(pool: AnyPool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    let mut last_frames = -1;
    loop {
        tick.tick().await;
        let passive: Result<(i64, i64, i64), sqlx::Error> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&pool).await;
        let result = match passive {
            // (blocked, frames in the WAL, frames copied): idle when nothing came since the last
            // tick and everything is in the database file.
            Ok((0, frames, copied)) if frames > 0 && frames == copied && frames == last_frames => {
                last_frames = -1;
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.map(|_| ())
            }
            Ok((_, frames, _)) => {
                last_frames = frames;
                Ok(())
            }
            Err(err) => Err(err),
        };
        if let Err(err) = result {
            if pool.is_closed() {
                break;
            }
            tracing::warn!(error = %err, "WAL checkpoint failed");
        }
    }
}

impl Store {
    /// The embedded database inside a data directory (created if absent).
    pub async fn open_data_dir(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Corrupt(format!("cannot create data directory {}: {e}", dir.display())))?;
        Store::open(&format!("sqlite://{}?mode=rwc", dir.join("gridline.db").display())).await
    }

    /// The store with its attachments kept in `dir` (created when the first one is stored)
    /// rather than beside the SQLite database: required for PostgreSQL, where it must be a
    /// directory every server of the deployment shares (a network file system).
    pub fn with_files_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Store {
        self.files = Some(std::sync::Arc::new(dir.into()));
        self
    }

    /// Opens `sqlite://PATH` or `postgres://…` and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            // Only the scheme: the rest may hold a password.
            return Err(StoreError::UnsupportedUrl(url.split_once("://").map_or(url, |(scheme, _)| scheme).to_owned()));
        };
        let options: AnyConnectOptions = url.parse()?;
        let options = options.disable_statement_logging();
        // The writer's own connection comes first: a server that cannot be reached is reported
        // with its real cause, not as a pool timeout.
        let mut writer_conn = sqlx::AnyConnection::connect_with(&options).await?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(SQLITE_PRAGMAS).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        if backend == Backend::Sqlite {
            writer_conn.execute(SQLITE_PRAGMAS).await?;
            // Checkpoints copy the WAL into the database file and fsync it; done by the writer
            // they stall every commit queued behind it. A background task does them instead.
            writer_conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
            // A multi-row INSERT inside the batch's transaction keeps a statement journal (to undo
            // just that statement), and past 64 KB SQLite spills it to a temporary file: about a
            // sixth of the writer thread's time in intake went to writing that file. The writer's
            // statements are bounded (at most `ROWS_PER_INSERT` rows each), so memory holds it.
            writer_conn.execute("PRAGMA temp_store = MEMORY").await?;
            // The writer's page cache grows for bulk imports only (writer::BULK_CACHE).
            tokio::spawn(checkpoint_while_open(pool.clone()));
        }
        rollups::catch_up(&mut writer_conn, backend).await?;
        places::backfill(&mut writer_conn).await?;
        let writer = writer::spawn(writer_conn, backend);
        Ok(Store { pool, writer, backend, files: attachments::files_beside(url).map(std::sync::Arc::new) })
    }

    /// Writes a consistent copy of the embedded database to `target` (which must not exist) while
    /// it serves: SQLite's `VACUUM INTO` reads one snapshot, so the copy holds every write
    /// committed before it began and nothing half-written, compacted. PostgreSQL deployments back
    /// up with pg_dump or base backups instead (docs/postgresql.md).
    pub async fn backup_to(&self, target: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Unsupported("gridline backup copies the embedded SQLite store; back PostgreSQL up with pg_dump (docs/postgresql.md)".into()));
        }
        let target = target.to_str().ok_or_else(|| StoreError::Unsupported(format!("{} is not a UTF-8 path", target.display())))?;
        sqlx::query("VACUUM INTO $1").bind(target.to_owned()).execute(&self.pool).await?;
        Ok(())
    }

    /// Writes waiting for the writer now (group commit's queue).
    pub fn writer_queue_depth(&self) -> usize {
        self.writer.max_capacity() - self.writer.capacity()
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the connections. Every write that was answered is already on disk; the writer task
    /// ends once the last handle to the store is gone.
    pub async fn close(self) {
        drop(self.writer);
        self.pool.close().await;
    }
}

/// SQLite's integrity check of the database file `path`, opened read-only: `ok`, or what is wrong.
pub async fn sqlite_integrity(path: &Path) -> Result<String, StoreError> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&format!("sqlite://{}?mode=ro", path.display())).await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await?;
    conn.close().await?;
    Ok(verdict)
}

/// `count` bind parameters numbered from `first`. SQLite gets anonymous `?`: it resolves each
/// named parameter by a linear search, which makes a statement of thousands of `$N` quadratic.
pub(crate) fn placeholders(backend: Backend, first: usize, count: usize) -> String {
    let mut sql = String::with_capacity(count * 5);
    push_placeholders(&mut sql, backend, first, count);
    sql
}

/// [`placeholders`] written onto `sql`: every intake batch builds hundreds of them, one string
/// rather than a string each.
fn push_placeholders(sql: &mut String, backend: Backend, first: usize, count: usize) {
    for n in first..first + count {
        if n > first {
            sql.push_str(", ");
        }
        match backend {
            Backend::Sqlite => sql.push('?'),
            Backend::Postgres => {
                use std::fmt::Write;
                let _ = write!(sql, "${n}");
            }
        }
    }
}

/// The VALUES list of `rows` rows of `columns` parameters each: `(?, ?), (?, ?)` or `($1, $2), ($3, $4)`.
pub(crate) fn row_placeholders(backend: Backend, columns: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(rows * (columns * 5 + 4));
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        push_placeholders(&mut sql, backend, row * columns + 1, columns);
        sql.push(')');
    }
    sql
}

pub(crate) fn millis(at: jiff::Timestamp) -> i64 {
    at.as_millisecond()
}

/// `at` as the database keeps it, to the millisecond: what a write returns is what a read will.
pub(crate) fn as_stored(at: jiff::Timestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(at.as_millisecond()).unwrap_or(at)
}

pub(crate) fn from_millis(ms: i64) -> Result<jiff::Timestamp, StoreError> {
    jiff::Timestamp::from_millisecond(ms).map_err(StoreError::corrupt)
}

pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation() || db.code().is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_each_parameter_once_in_each_engines_style() {
        assert_eq!(placeholders(Backend::Sqlite, 1, 3), "?, ?, ?");
        assert_eq!(placeholders(Backend::Postgres, 2, 2), "$2, $3");
        assert_eq!(placeholders(Backend::Postgres, 1, 0), "");
        assert_eq!(row_placeholders(Backend::Postgres, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(row_placeholders(Backend::Sqlite, 3, 2), "(?, ?, ?), (?, ?, ?)");
    }
}
