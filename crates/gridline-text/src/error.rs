//! The one error type of the text crate: every message names the file, column or row at fault.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{path} is not UTF-8 text (first bad byte at offset {offset}); it looks like a GBK/GB18030 file: \
         convert it with `iconv -f GB18030 -t UTF-8` or save it as CSV UTF-8"
    )]
    Encoding { path: PathBuf, offset: usize },
    #[error("{path}: {message}")]
    Table { path: PathBuf, message: String },
    #[error("{path} has no column {column:?}; its columns are: {available}")]
    MissingColumn { path: PathBuf, column: String, available: String },
    #[error("{0}")]
    EmptyText(String),
    #[error("{0}")]
    NotChinese(String),
    #[error("model file: {0}")]
    ModelFormat(String),
    #[error("model file is format version {found}; this gridline reads versions 2 to {expected}: retrain it with `gridline model train`")]
    ModelVersion { found: u32, expected: u32 },
    #[error("training: {0}")]
    Training(String),
    #[error("{0}")]
    Invalid(String),
}
