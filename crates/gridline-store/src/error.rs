use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL scheme {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A unique value is taken (a username, a unit code).
    #[error("{0}")]
    Duplicate(String),
    /// Someone else changed the case since it was read; read it again and retry.
    #[error("case {case_id} changed concurrently (expected version {expected})")]
    VersionConflict { case_id: i64, expected: u32 },
    /// Someone else changed the ledger project since it was read; read it again and retry.
    #[error("project {project_id} changed concurrently")]
    ProjectChanged { project_id: i64 },
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("the database writer has stopped")]
    WriterStopped,
    /// Not something this engine does.
    #[error("{0}")]
    Unsupported(String),
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }
}
