use thiserror::Error;

/// Errors of the pure domain. Workflow refusals carry enough to answer a user precisely.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DomainError {
    /// Built-in or imported reference data is inconsistent.
    #[error("invalid reference data: {0}")]
    InvalidData(String),
    /// The input names something that does not exist or breaks a rule.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// The case's state does not allow the action.
    #[error("{message}")]
    Conflict { message: String },
    /// The actor's role or unit may not do this.
    #[error("{message}")]
    Forbidden { message: String },
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid { field, message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        DomainError::Forbidden { message: message.into() }
    }
}
