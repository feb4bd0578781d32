use thiserror::Error;

/// Errors of the pure domain. Workflow refusals carry enough to answer a user precisely.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DomainError {
    /// Built-in or imported reference data is inconsistent.
    #[error("invalid reference data: {0}")]
    InvalidData(String),
    /// A reference-data file (catalogue, routing rules, crosswalk) is refused as a whole.
    #[error("{} problem(s) in the files: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidFiles(Vec<FileProblem>),
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

/// One problem found in a reference-data file, located as precisely as the file allows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FileProblem {
    pub file: String,
    /// 1-based line, when the problem sits on one.
    pub line: Option<usize>,
    pub message: String,
}

impl FileProblem {
    pub fn new(file: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        FileProblem { file: file.to_owned(), line, message: message.into() }
    }
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// The 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}
