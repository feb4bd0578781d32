//! gridline's documents: the 简报, the monthly 通报, the 督办单, a district's 体检报告, the
//! ledger's year-end report and the alleys' 季点名 notice — a kind, a frozen data snapshot (hashed, stored with the issued
//! document) and a template — rendered to DOCX and PDF in the layout of GB/T 9704-2012 (格式 of
//! official documents), with charts drawn on the server (SVG in the PDF, PNG in the DOCX).
//!
//! A kind is a variant of [`Kind`] with its data in [`Content`] and its built-in
//! [`Template`]; the renderers know only the template's blocks, so a new kind plugs in as data
//! and a template, drawing with the same blocks (tables, charts, paragraphs).
//!
//! This crate does no I/O but reading the fonts; numbering and storing issued documents are the
//! store's and the application's.
#![forbid(unsafe_code)]

mod chart;
mod content;
mod docx;
mod fonts;
mod pdf;
mod template;

pub use chart::ChartKind;
pub use content::{
    AlleyRollcall, Article, Bulletin, CommendedUnit, Content, Correction, Frozen, HealthReport, Imprint, Kind, LedgerClass, LedgerExample, LedgerReport, ListedAlley, LostLine,
    Notice, NoticeRow, Numbering, RatingLine, RectificationLine, RepeatLine, RollcallRow, ScoreLine, Snapshot, SupervisionOrder, TrendLine, VolumeLine,
    sha256_hex,
};
pub use docx::{BODY_FONT, HEADING_FONT, TITLE_FONT};
pub use fonts::{DEFAULT_FONT_DIR, FONT_DIR_ENV, Fonts};
pub use template::{Align, Block, Column, SeriesField, Style, Template};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ReportError {
    /// The document's data would print a broken document (an article without a title).
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// An article of a 简报 lacks its title, body or section heading.
    #[error("article {number} {}", part.describe(title))]
    IncompleteArticle { number: usize, title: String, part: ArticlePart },
    /// There is nothing to report for what was asked (in Chinese: 2001 年 1 月朝阳区的测评).
    #[error("no data for {0}")]
    NoData(String),
    #[error("template {template} names a field the document has no data for: {field}")]
    UnknownField { template: String, field: String },
    /// Stored bytes no longer match the hash stored with them.
    #[error("the stored {what} does not match its hash (expected sha256 {expected}, found {actual})")]
    HashMismatch { what: String, expected: String, actual: String },
    #[error("font: {0}")]
    Font(String),
    #[error("rendering failed: {0}")]
    Render(String),
}

/// The part of an article that is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArticlePart {
    Title,
    Body,
    Section,
}

impl ArticlePart {
    fn describe(self, title: &str) -> String {
        match self {
            ArticlePart::Title => "has an empty title".into(),
            ArticlePart::Body => format!("({title}) has an empty body"),
            ArticlePart::Section => format!("({title}) has no section heading"),
        }
    }
}

impl ReportError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ReportError::Invalid { field, message: message.into() }
    }
}

/// The two formats of every document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Docx,
    Pdf,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "docx" => Some(Format::Docx),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Pdf => "pdf",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Format::Pdf => "application/pdf",
        }
    }
}

/// A document rendered in both formats.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub title: String,
    /// The PDF's page count.
    pub pages: usize,
    pub docx: Vec<u8>,
    pub pdf: Vec<u8>,
}

/// Checks the snapshot against the template (every placeholder names a field, the content is
/// whole) without rendering: what issuing refuses, refused early.
pub fn check(snapshot: &Snapshot, template: &Template) -> Result<(), ReportError> {
    snapshot.content.check()?;
    template.resolve(snapshot).map(drop)
}

/// Renders a snapshot through a template to DOCX and PDF.
pub fn render(snapshot: &Snapshot, template: &Template, fonts: &Fonts) -> Result<Rendered, ReportError> {
    snapshot.content.check()?;
    let pieces = template.resolve(snapshot)?;
    let title = snapshot.content.title();
    let (pdf, pages) = pdf::render(fonts, &pieces, &title)?;
    Ok(Rendered { docx: docx::render(fonts, &pieces, &title)?, pdf, pages, title })
}

/// Renders one format only (a preview).
pub fn render_one(snapshot: &Snapshot, template: &Template, fonts: &Fonts, format: Format) -> Result<Vec<u8>, ReportError> {
    snapshot.content.check()?;
    let pieces = template.resolve(snapshot)?;
    let title = snapshot.content.title();
    match format {
        Format::Docx => docx::render(fonts, &pieces, &title),
        Format::Pdf => pdf::render(fonts, &pieces, &title).map(|(pdf, _)| pdf),
    }
}
