//! DOCX in the GB/T 9704-2012 layout, for editing in Word, WPS or LibreOffice: A4, margins 37 mm
//! top, 35 mm bottom, 28 mm left, 26 mm right; body lines at an exact 28.95 pt pitch (22 to the
//! type area) with characters tightened so that 28 of 3号 fill a line; "— N —" page numbers on the
//! outer side.
//!
//! The runs name the standard's fonts for East-Asian text — 方正小标宋简体 (titles), 仿宋_GB2312
//! (body), 黑体 (headings) — as offices have them installed. The fonts table names a fallback
//! for each (`w:altName`: 仿宋, 宋体, SimHei) with its GB2312 character set, family and PANOSE
//! class, so that Word and WPS substitute a Chinese face of the same kind where one is missing;
//! LibreOffice takes its fontconfig match (Noto Serif CJK SC with Debian's fonts-noto-cjk). Latin
//! text is named Times New Roman. Charts are PNG pictures (rasterised from the same SVG the PDF
//! draws), one type area wide.

use docx_rs::{
    AlignmentType, BorderType, Docx, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum, Paragraph, ParagraphBorder,
    ParagraphBorderPosition, Pic, Run, RunFonts, Table, TableCell, TableRow, WidthType,
};

use crate::ReportError;
use crate::chart::Chart;
use crate::fonts::Fonts;
use crate::template::{Align, Piece, Style};

/// GB/T 9704's fonts, named in the DOCX.
pub const TITLE_FONT: &str = "方正小标宋简体";
pub const BODY_FONT: &str = "仿宋_GB2312";
pub const HEADING_FONT: &str = "黑体";
const LATIN_FONT: &str = "Times New Roman";

/// The fonts table: each font the runs name, with the face Word and WPS fall back to
/// (`w:altName`), its character set (86: GB2312), family and PANOSE class.
fn font_table() -> String {
    const FONTS: [(&str, &str, &str, &str, &str, &str); 5] = [
        // name, fallback, PANOSE, charset, family, pitch
        (TITLE_FONT, "宋体", "02010600030101010101", "86", "script", "variable"),
        (BODY_FONT, "仿宋", "02010609030101010101", "86", "modern", "fixed"),
        (HEADING_FONT, "SimHei", "02010609060101010101", "86", "modern", "fixed"),
        ("宋体", "SimSun", "02010600030101010101", "86", "auto", "variable"),
        (LATIN_FONT, "Times", "02020603050405020304", "00", "roman", "variable"),
    ];
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
    );
    for (name, alt, panose, charset, family, pitch) in FONTS {
        xml.push_str(&format!(
            r#"<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:panose1 w:val="{panose}"/><w:charset w:val="{charset}"/><w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>"#
        ));
    }
    xml.push_str("</w:fonts>");
    xml
}

/// A chart as a PNG picture across the type area (150 dpi), centred in its own paragraph.
fn picture(fonts: &Fonts, chart: &Chart) -> Result<Paragraph, ReportError> {
    const DPI: f32 = 150.0;
    const WIDTH_PT: f32 = 156.0 * 72.0 / 25.4;
    let (png, w, h) = chart.png(fonts, WIDTH_PT, DPI)?;
    // EMU: 12,700 a point.
    let emu = |px: u32| (px as f32 * 72.0 / DPI * 12_700.0).round() as u32;
    let pic = Pic::new_with_dimensions(png, w, h).size(emu(w), emu(h));
    Ok(Paragraph::new().align(AlignmentType::Center).add_run(Run::new().add_image(pic)))
}

/// Twips (1/20 pt) per millimetre.
fn mm(v: f32) -> i32 {
    (v * 1440.0 / 25.4).round() as i32
}

/// 225 mm / 22 lines, in twips.
fn line_pitch() -> i32 {
    mm(225.0) / 22
}

fn run_fonts(east_asia: &str) -> RunFonts {
    RunFonts::new().east_asia(east_asia).ascii(LATIN_FONT).hi_ansi(LATIN_FONT)
}

/// (font, size in half-points, bold) of a style.
fn setting(style: Style) -> (&'static str, usize, bool) {
    match style {
        Style::Masthead => (TITLE_FONT, 68, false),
        Style::Title => (TITLE_FONT, 44, false),
        Style::Heading => (HEADING_FONT, 32, false),
        Style::Body => (BODY_FONT, 32, false),
        Style::Small => (BODY_FONT, 28, false),
    }
}

fn run(text: &str, style: Style, red: bool) -> Run {
    let (font, size, bold) = setting(style);
    let mut run = Run::new().add_text(text).fonts(run_fonts(font)).size(size);
    if bold {
        run = run.bold();
    }
    if red {
        run = run.color("E60012");
    }
    if style == Style::Body {
        // 28 characters of 16 pt in 156 mm: each character 0.2 pt narrower (4 twips).
        run = run.character_spacing(-4);
    }
    run
}

fn spaced(p: Paragraph, style: Style) -> Paragraph {
    let pitch = match style {
        Style::Masthead => line_pitch() * 2,
        Style::Title => line_pitch() * 5 / 4,
        Style::Small => line_pitch() * 17 / 20,
        Style::Heading | Style::Body => line_pitch(),
    };
    p.line_spacing(LineSpacing::new().line_rule(LineSpacingType::Exact).line(pitch).before(0).after(0))
}

fn alignment(align: Align) -> AlignmentType {
    match align {
        Align::Left => AlignmentType::Left,
        Align::Center => AlignmentType::Center,
        Align::Right => AlignmentType::Right,
    }
}

fn rule(red: bool) -> Paragraph {
    let mut p = spaced(Paragraph::new(), Style::Small);
    let border = ParagraphBorder::new(ParagraphBorderPosition::Bottom)
        .val(BorderType::Single)
        .size(if red { 12 } else { 6 })
        .color(if red { "E60012" } else { "000000" });
    p.property = p.property.set_border(border);
    p
}

fn cell(text: &str, bold: bool) -> TableCell {
    let mut r = Run::new().add_text(text).fonts(run_fonts(if bold { HEADING_FONT } else { BODY_FONT })).size(24);
    if bold {
        r = r.bold();
    }
    TableCell::new().add_paragraph(Paragraph::new().align(AlignmentType::Center).add_run(r))
}

fn page_number(align: AlignmentType) -> Footer {
    let dash = |t: &str| Run::new().add_text(t).fonts(run_fonts("宋体")).size(28);
    Footer::new().add_paragraph(Paragraph::new().align(align).add_run(dash("— ")).add_page_num(PageNum::new()).add_run(dash(" —")))
}

pub(crate) fn render(fonts: &Fonts, pieces: &[Piece], title: &str) -> Result<Vec<u8>, ReportError> {
    let mut docx = Docx::new()
        .page_size(mm(210.0) as u32, mm(297.0) as u32)
        .page_margin(PageMargin { top: mm(37.0), bottom: mm(35.0), left: mm(28.0), right: mm(26.0), header: mm(15.0), footer: mm(21.0), gutter: 0 })
        .default_fonts(run_fonts(BODY_FONT))
        .default_size(32)
        // Odd pages' numbers on the right, even pages' on the left (GB/T 9704 §7.5).
        .footer(page_number(AlignmentType::Right))
        .even_footer(page_number(AlignmentType::Left));
    docx.doc_props = docx.doc_props.custom_property("title", title);
    for piece in pieces {
        docx = match piece {
            Piece::Text { text, style, align, red } => {
                docx.add_paragraph(spaced(Paragraph::new().align(alignment(*align)).add_run(run(text, *style, *red)), *style))
            }
            Piece::Split { left, right } => {
                // One line: the office one character in from the left, the date to a right tab.
                let p = Paragraph::new()
                    .add_tab(docx_rs::Tab::new().val(docx_rs::TabValueType::Right).pos(mm(156.0) as usize - 320))
                    .add_run(run(&format!("　{left}"), Style::Body, false))
                    .add_run(Run::new().add_tab())
                    .add_run(run(right, Style::Body, false));
                docx.add_paragraph(spaced(p, Style::Body))
            }
            Piece::Rule { red } => docx.add_paragraph(rule(*red)),
            Piece::Paragraph(text) => docx.add_paragraph(spaced(
                Paragraph::new().align(AlignmentType::Both).first_line_chars(200).add_run(run(text, Style::Body, false)),
                Style::Body,
            )),
            Piece::Table { headers, rows } => {
                let mut table_rows = vec![TableRow::new(headers.iter().map(|h| cell(h, true)).collect())];
                table_rows.extend(rows.iter().map(|r| TableRow::new(r.iter().map(|c| cell(c, false)).collect())));
                docx.add_table(Table::new(table_rows).width(mm(156.0) as usize, WidthType::Dxa))
            }
            Piece::Chart(chart) => docx.add_paragraph(picture(fonts, chart)?).add_paragraph(spaced(
                Paragraph::new().align(AlignmentType::Center).add_run(run(&chart.caption, Style::Small, false)),
                Style::Small,
            )),
            Piece::Space(lines) => {
                for _ in 0..*lines {
                    docx = docx.add_paragraph(spaced(Paragraph::new(), Style::Body));
                }
                docx
            }
        };
    }
    let mut out = std::io::Cursor::new(Vec::new());
    let mut xml = docx.build();
    xml.font_table = font_table().into_bytes();
    xml.pack(&mut out).map_err(|e| ReportError::Render(format!("docx: {e}")))?;
    Ok(out.into_inner())
}
