//! The fonts a PDF is set in, read from the system at run time and never shipped with gridline.
//!
//! GB/T 9704's fonts (方正小标宋, 仿宋_GB2312, 黑体) are licensed; the PDF uses the free Noto CJK
//! faces of Debian's `fonts-noto-cjk` in their place (Serif for 仿宋 and, bold, for 小标宋; Sans
//! bold for 黑体), embedded and subset so that the PDF prints the same anywhere. The DOCX names the
//! GB/T fonts themselves (see `docx.rs`). The files are OpenType collections (`.ttc`): the
//! Simplified Chinese face is found in each by its family name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skrifa::raw::FileRef;
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};

use crate::ReportError;

/// Where Debian's `fonts-noto-cjk` puts its files; `GRIDLINE_FONT_DIR` names another folder
/// holding the same files.
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts/opentype/noto";
pub const FONT_DIR_ENV: &str = "GRIDLINE_FONT_DIR";

/// One face of a font file.
#[derive(Clone)]
pub(crate) struct Face {
    data: Arc<Vec<u8>>,
    index: u32,
    pub(crate) pdf: krilla::text::Font,
}

impl Face {
    fn load(path: &Path) -> Result<Face, ReportError> {
        let missing = |why: String| ReportError::Font(format!("{}: {why} (install Debian's fonts-noto-cjk, or set {FONT_DIR_ENV})", path.display()));
        let data = std::fs::read(path).map_err(|e| missing(e.to_string()))?;
        let file = FileRef::new(&data).map_err(|e| missing(format!("not a font: {e}")))?;
        let index = file
            .fonts()
            .position(|font| {
                font.ok()
                    .and_then(|f| f.localized_strings(StringId::FAMILY_NAME).english_or_first().map(|s| s.to_string()))
                    .is_some_and(|family| family.ends_with(" SC"))
            })
            .ok_or_else(|| missing("no Simplified Chinese (SC) face in it".into()))?;
        let index = u32::try_from(index).map_err(|_| missing("too many faces".into()))?;
        let data = Arc::new(data);
        let pdf = krilla::text::Font::new(data.clone().into(), index).ok_or_else(|| missing("krilla cannot read it".into()))?;
        Ok(Face { data, index, pdf })
    }

    /// Each character's advance in ems (a character the font lacks counts as one em).
    pub(crate) fn advances(&self, text: &str) -> Vec<f32> {
        let Ok(font) = FontRef::from_index(&self.data, self.index) else {
            return text.chars().map(|_| 1.0).collect();
        };
        let charmap = font.charmap();
        let upem = f32::from(font.metrics(skrifa::instance::Size::unscaled(), skrifa::instance::LocationRef::default()).units_per_em);
        let metrics = font.glyph_metrics(skrifa::instance::Size::unscaled(), skrifa::instance::LocationRef::default());
        text.chars()
            .map(|c| charmap.map(c).and_then(|g| metrics.advance_width(g)).map_or(1.0, |w| w / upem))
            .collect()
    }

    /// The width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        self.advances(text).iter().sum::<f32>() * size
    }
}

/// The three faces documents are set in.
#[derive(Clone)]
pub struct Fonts {
    /// The same font files (shared, not copied) for laying out the charts' SVG text.
    pub(crate) svg: Arc<resvg::usvg::fontdb::Database>,
    /// Body text (仿宋's place).
    pub(crate) serif: Face,
    /// Titles and mastheads (小标宋's place).
    pub(crate) serif_bold: Face,
    /// Headings and table heads (黑体's place).
    pub(crate) sans_bold: Face,
}

impl Fonts {
    /// The fonts in `GRIDLINE_FONT_DIR`, else in Debian's folder.
    pub fn system() -> Result<Fonts, ReportError> {
        let dir = std::env::var_os(FONT_DIR_ENV).map_or_else(|| PathBuf::from(DEFAULT_FONT_DIR), PathBuf::from);
        Fonts::load(&dir)
    }

    /// `NotoSerifCJK-Regular.ttc`, `NotoSerifCJK-Bold.ttc` and `NotoSansCJK-Bold.ttc` in `dir`.
    pub fn load(dir: &Path) -> Result<Fonts, ReportError> {
        let serif = Face::load(&dir.join("NotoSerifCJK-Regular.ttc"))?;
        let serif_bold = Face::load(&dir.join("NotoSerifCJK-Bold.ttc"))?;
        let sans_bold = Face::load(&dir.join("NotoSansCJK-Bold.ttc"))?;
        let mut svg = resvg::usvg::fontdb::Database::new();
        for face in [&serif, &serif_bold, &sans_bold] {
            let data: Arc<dyn AsRef<[u8]> + Send + Sync> = face.data.clone();
            svg.load_font_source(resvg::usvg::fontdb::Source::Binary(data));
        }
        Ok(Fonts { svg: Arc::new(svg), serif, serif_bold, sans_bold })
    }
}
