use thiserror::Error;

use crate::message::{Lang, Reason};

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
    /// A refusal with a stable code and parameters, told in the reader's language at the edge.
    #[error("{0}")]
    Refused(crate::message::Reason),
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid { field, message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        DomainError::Forbidden { message: message.into() }
    }

    /// The input field a refusal names, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            DomainError::Invalid { field, .. } => Some(field),
            DomainError::Refused(reason) => reason.field(),
            _ => None,
        }
    }
}

/// One problem found in a file an office sends (reference data, a ledger, a points register …),
/// located as precisely as the file allows. `reason` is what is wrong as a stable code and its
/// parameters, told in the reader's language at the edge; `message` is the English text (for
/// the command line and the logs), which may say more than the reason's own English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub file: String,
    /// 1-based line, when the problem sits on one.
    pub line: Option<usize>,
    pub reason: Reason,
    pub message: String,
}

impl FileProblem {
    /// A problem told by its code and parameters.
    pub fn new(file: &str, line: Option<usize>, reason: Reason) -> Self {
        let message = reason.render(Lang::En);
        FileProblem { file: file.to_owned(), line, reason, message }
    }

    /// A problem whose English words say more than its code: `reason` is what a Chinese reader
    /// is told (the column at fault), `detail` the English.
    pub fn detailed(file: &str, line: Option<usize>, reason: Reason, detail: impl Into<String>) -> Self {
        FileProblem { file: file.to_owned(), line, reason, message: detail.into() }
    }

    /// A TOML file that does not parse: Chinese readers are told the file and line to check,
    /// English readers the parser's `detail`.
    pub fn toml_syntax(file: &str, line: Option<usize>, detail: &str) -> Self {
        FileProblem::detailed(file, line, Reason::new("toml_syntax").with("file", file), detail)
    }

    /// The problem of a cell (`column`) that a domain check refused: its own reason when it has
    /// one, else the column's.
    pub fn of_cell(file: &str, line: usize, column: &str, err: &DomainError) -> Self {
        match err {
            DomainError::Refused(reason) => {
                let reason = reason.clone().with("column", column);
                FileProblem::detailed(file, Some(line), reason, format!("{column}: {err}"))
            }
            other => FileProblem::detailed(file, Some(line), Reason::new("bad_cell").with("column", column), format!("{column}: {other}")),
        }
    }

    /// The problem of a row that a domain check refused without naming a column.
    pub fn of_row(file: &str, line: usize, err: &DomainError) -> Self {
        match err {
            DomainError::Refused(reason) => FileProblem::new(file, Some(line), reason.clone()),
            other => FileProblem::detailed(file, Some(line), Reason::new("bad_row"), other.to_string()),
        }
    }

    /// The text for a reader of `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.message.clone(),
            Lang::Zh => self.reason.render(Lang::Zh),
        }
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
