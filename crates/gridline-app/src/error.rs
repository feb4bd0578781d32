//! The one error type of the application layer. Each edge turns it into its own answer (the
//! API's JSON error, Open311's error list, the CLI's message).

use gridline_core::DomainError;
use gridline_store::StoreError;
use gridline_text::TextError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A refusal of the domain: invalid input, a forbidden action, a state that does not allow it.
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Text(#[from] TextError),
    /// Missing, or not visible to whoever asked: the two are not told apart.
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A stored file or snapshot no longer matches the hash stored with it: it was altered after
    /// it was issued. Said plainly, for the official who asked for it.
    #[error("{0}")]
    Integrity(String),
    /// Too many wrong passwords of the account: refused until then (sign-in throttling).
    #[error("too many failed attempts; try again after {0}")]
    LockedOut(jiff::Timestamp),
    /// Stored data or the server's own state is broken; not the caller's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Domain(DomainError::invalid(field, message))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Domain(DomainError::forbidden(message))
    }
}
