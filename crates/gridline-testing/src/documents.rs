//! Readers written elsewhere, for the documents' tests: python-docx (through
//! `python/read_docx.py`) for DOCX, poppler's `pdftotext` and `pdftoppm` for PDF. `.ci/run`
//! installs them; when one is missing, CI (`CI` set) fails and elsewhere the caller skips.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A reader is missing: a failure in CI, else a message and `None` for the caller to skip.
fn missing<T>(why: &str) -> Option<T> {
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("SKIPPED: {why}");
    None
}

/// The interpreter of `.ci/run`'s virtual environment (`GRIDLINE_PYTHON`), else `python3`.
fn python() -> String {
    std::env::var("GRIDLINE_PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| {
        let venv = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/gridline-venv/bin/python"));
        venv.filter(|p| p.exists()).map_or_else(|| "python3".into(), |p| p.display().to_string())
    })
}

/// What python-docx reads in `docx`: `{paragraphs, tables, east_asia_fonts, page_mm, margins_mm}`.
pub fn read_docx(docx: &Path) -> Option<serde_json::Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/read_docx.py");
    let output = match Command::new(python()).arg(script).arg(docx).output() {
        Ok(output) => output,
        Err(e) => return missing(&format!("cannot run Python: {e}")),
    };
    if output.status.code() == Some(77) {
        return missing("python-docx is not installed (run .ci/run, or pip install python-docx)");
    }
    assert!(output.status.success(), "python-docx could not read {}: {}", docx.display(), String::from_utf8_lossy(&output.stderr));
    Some(serde_json::from_slice(&output.stdout).expect("read_docx.py prints JSON"))
}

/// The text `pdftotext -layout` extracts from `pdf`.
pub fn pdf_text(pdf: &Path) -> Option<String> {
    match Command::new("pdftotext").arg("-layout").arg(pdf).arg("-").output() {
        Ok(output) => {
            assert!(output.status.success(), "pdftotext could not read {}: {}", pdf.display(), String::from_utf8_lossy(&output.stderr));
            Some(String::from_utf8(output.stdout).expect("pdftotext writes UTF-8"))
        }
        Err(e) => missing(&format!("pdftotext is not installed (poppler-utils): {e}")),
    }
}

/// The number of pages `pdfinfo` counts in `pdf`.
pub fn pdf_pages(pdf: &Path) -> Option<u32> {
    let output = Command::new("pdfinfo").arg(pdf).output().ok()?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").and_then(|n| n.trim().parse().ok()))
}

/// Renders the first page of `pdf` to `png` (at 60 dpi) for a person to look at; the PNG's path.
pub fn first_page_png(pdf: &Path, png: &Path) -> Option<PathBuf> {
    let stem = png.with_extension("");
    let status = Command::new("pdftoppm").args(["-png", "-r", "60", "-f", "1", "-singlefile"]).arg(pdf).arg(&stem).status().ok()?;
    assert!(status.success(), "pdftoppm could not render {}", pdf.display());
    Some(stem.with_extension("png"))
}
