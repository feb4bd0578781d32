//! PDF in the GB/T 9704-2012 layout, drawn with krilla: A4; type area 156 mm × 225 mm with the top
//! margin (天头) 37 mm and the binding margin (订口) 28 mm, so 35 mm below and 26 mm on the right
//! (§5.2.1-5.2.2); 22 lines of 28 characters of 3号 (16 pt) body text (§5.2.3); page numbers
//! "— N —" in 4号 7 mm below the type area, odd pages on the right and even on the left, one
//! character in from the edge (§7.5).
//!
//! Layout works in "grid points": the type area is 28 body characters (448 pt) wide, and the page
//! is drawn compressed horizontally by 156 mm / 448 pt (1.3 %) so that 28 characters of 16 pt fit
//! the 156 mm line exactly, as the standard's character grid asks.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Transform};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::TextDirection;

use krilla_svg::{SurfaceExt, SvgSettings};
use resvg::usvg;

use crate::ReportError;
use crate::chart::Chart;
use crate::fonts::{Face, Fonts};
use crate::template::{Align, Piece, Style};

const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 210.0 * MM;
const PAGE_H: f32 = 297.0 * MM;
const LEFT: f32 = 28.0 * MM;
const TOP: f32 = 37.0 * MM;
const AREA_W: f32 = 156.0 * MM;
const AREA_H: f32 = 225.0 * MM;
/// 22 lines to the type area.
const LINE: f32 = AREA_H / 22.0;
const BODY: f32 = 16.0;
/// The type area's width in grid points: 28 body characters.
const GRID_W: f32 = 28.0 * BODY;
const SCALE_X: f32 = AREA_W / GRID_W;

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Serif,
    SerifBold,
    SansBold,
}

enum Op {
    Text { x: f32, baseline: f32, which: Which, size: f32, text: String, red: bool },
    Line { x1: f32, x2: f32, y: f32, width: f32, red: bool },
    Frame { x: f32, y: f32, w: f32, h: f32 },
    /// A chart's SVG, drawn as vectors at (x, y) in its own size.
    Svg { x: f32, y: f32, tree: Box<usvg::Tree> },
}

struct Layout<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    /// The top of the next line on the current page, from the top of the type area.
    y: f32,
}

fn face(fonts: &Fonts, which: Which) -> &Face {
    match which {
        Which::Serif => &fonts.serif,
        Which::SerifBold => &fonts.serif_bold,
        Which::SansBold => &fonts.sans_bold,
    }
}

/// (face, size, line height) of a style.
fn setting(style: Style) -> (Which, f32, f32) {
    match style {
        Style::Masthead => (Which::SerifBold, 34.0, LINE * 2.0),
        Style::Title => (Which::SerifBold, 22.0, LINE * 1.25),
        Style::Heading => (Which::SansBold, BODY, LINE),
        Style::Body => (Which::Serif, BODY, LINE),
        Style::Small => (Which::Serif, 14.0, LINE * 0.85),
    }
}

/// Characters that may not begin a line (GB/T 15834's 行首禁则 for the common marks).
fn no_line_start(c: char) -> bool {
    "，。、；：？！）》」』”’】…—%".contains(c)
}

/// Breaks `text` into lines no wider than `first` (the first line) and `rest` grid points.
fn wrap(face: &Face, text: &str, size: f32, first: f32, rest: f32) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let advances = face.advances(text);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut width = 0.0;
    let mut i = 0;
    while i < chars.len() {
        // A run of ASCII letters and digits stays together when it can.
        let mut j = i + 1;
        if chars[i].is_ascii_alphanumeric() {
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '.') {
                j += 1;
            }
        }
        let w: f32 = advances[i..j].iter().sum::<f32>() * size;
        let limit = if lines.is_empty() { first } else { rest };
        if width + w > limit + 0.01 && !line.is_empty() && !no_line_start(chars[i]) {
            lines.push(std::mem::take(&mut line));
            width = 0.0;
        }
        line.extend(&chars[i..j]);
        width += w;
        i = j;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Layout { fonts, pages: vec![Vec::new()], y: 0.0 }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a layout has a page")
    }

    /// Starts a new page unless `height` still fits on this one.
    fn room(&mut self, height: f32) {
        if self.y + height > AREA_H + 0.5 && self.y > 0.0 {
            self.pages.push(Vec::new());
            self.y = 0.0;
        }
    }

    fn text_line(&mut self, text: String, which: Which, size: f32, height: f32, x: f32, red: bool) {
        self.room(height);
        // The glyphs sit centred in their line: the baseline a third of the size below the middle.
        let baseline = self.y + height / 2.0 + size * 0.35;
        self.ops().push(Op::Text { x, baseline, which, size, text, red });
        self.y += height;
    }

    fn aligned(&mut self, text: &str, style: Style, align: Align, red: bool) {
        let (which, size, height) = setting(style);
        if style == Style::Heading {
            // A heading stays with at least two lines of what it heads.
            self.room(height * 3.0);
        }
        let face = face(self.fonts, which).clone();
        for line in wrap(&face, text, size, GRID_W, GRID_W) {
            let w = face.width(&line, size);
            let x = match align {
                Align::Left => 0.0,
                Align::Center => (GRID_W - w) / 2.0,
                // Right-aligned lines (the signing office, the date) stand one character in (§7.3.5).
                Align::Right => GRID_W - w - BODY,
            };
            self.text_line(line, which, size, height, x.max(0.0), red);
        }
    }

    fn paragraph(&mut self, text: &str) {
        let face = self.fonts.serif.clone();
        for (i, line) in wrap(&face, text, BODY, GRID_W - 2.0 * BODY, GRID_W).into_iter().enumerate() {
            let x = if i == 0 { 2.0 * BODY } else { 0.0 };
            self.text_line(line, Which::Serif, BODY, LINE, x, false);
        }
    }

    fn rule(&mut self, red: bool) {
        let height = LINE * 0.5;
        self.room(height);
        let y = self.y + height / 2.0;
        self.ops().push(Op::Line { x1: 0.0, x2: GRID_W, y, width: if red { 1.5 } else { 0.75 }, red });
        self.y += height;
    }

    fn table(&mut self, headers: &[String], rows: &[Vec<String>]) {
        const SIZE: f32 = 12.0;
        const PAD: f32 = 3.0;
        let pitch = SIZE * 1.45;
        let serif = self.fonts.serif.clone();
        let sans = self.fonts.sans_bold.clone();
        // Columns as wide as their widest cell, scaled to the type area.
        let mut widths: Vec<f32> = headers.iter().map(|h| sans.width(h, SIZE) + 2.0 * PAD).collect();
        for row in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = w.max(serif.width(cell, SIZE) + 2.0 * PAD);
            }
        }
        let total: f32 = widths.iter().sum();
        widths.iter_mut().for_each(|w| *w *= GRID_W / total);
        let draw_row = |layout: &mut Layout, cells: &[String], face: &Face, which: Which| {
            let wrapped: Vec<Vec<String>> =
                cells.iter().zip(&widths).map(|(c, w)| wrap(face, c, SIZE, w - 2.0 * PAD, w - 2.0 * PAD)).collect();
            let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32;
            let height = lines * pitch + 2.0 * PAD;
            layout.room(height);
            let top = layout.y;
            let mut x = 0.0;
            for (cell, w) in wrapped.iter().zip(&widths) {
                layout.ops().push(Op::Frame { x, y: top, w: *w, h: height });
                for (k, line) in cell.iter().enumerate() {
                    let lw = face.width(line, SIZE);
                    let baseline = top + PAD + k as f32 * pitch + pitch / 2.0 + SIZE * 0.35;
                    layout.ops().push(Op::Text { x: x + (w - lw) / 2.0, baseline, which, size: SIZE, text: line.clone(), red: false });
                }
                x += w;
            }
            layout.y += height;
        };
        draw_row(self, headers, &sans, Which::SansBold);
        for row in rows {
            draw_row(self, row, &serif, Which::Serif);
        }
        self.y += LINE * 0.5;
    }

    /// A chart across the type area, kept on one page with its caption under it.
    fn chart(&mut self, chart: &Chart) -> Result<(), ReportError> {
        let tree = chart.tree(self.fonts, GRID_W)?;
        let height = tree.size().height();
        self.room(height + LINE * 0.85);
        let y = self.y;
        self.ops().push(Op::Svg { x: 0.0, y, tree: Box::new(tree) });
        self.y += height;
        self.aligned(&chart.caption, Style::Small, Align::Center, false);
        Ok(())
    }

    fn piece(&mut self, piece: &Piece) -> Result<(), ReportError> {
        match piece {
            Piece::Text { text, style, align, red } => self.aligned(text, *style, *align, *red),
            Piece::Split { left, right } => {
                self.room(LINE);
                let rw = self.fonts.serif.width(right, BODY);
                let baseline = self.y + LINE / 2.0 + BODY * 0.35;
                // 发文机关 and date each one character in from the margins (§7.2.3's practice).
                self.ops().push(Op::Text { x: BODY, baseline, which: Which::Serif, size: BODY, text: left.clone(), red: false });
                self.ops().push(Op::Text { x: GRID_W - BODY - rw, baseline, which: Which::Serif, size: BODY, text: right.clone(), red: false });
                self.y += LINE;
            }
            Piece::Rule { red } => self.rule(*red),
            Piece::Paragraph(text) => self.paragraph(text),
            Piece::Table { headers, rows } => self.table(headers, rows),
            Piece::Chart(chart) => self.chart(chart)?,
            Piece::Space(lines) => {
                let h = f32::from(*lines) * LINE;
                if self.y + h <= AREA_H {
                    self.y += h;
                }
            }
        }
        Ok(())
    }
}

fn red() -> rgb::Color {
    rgb::Color::new(230, 0, 18)
}

/// Renders the pieces to a PDF with the fonts embedded and subset; the PDF and its page count.
pub(crate) fn render(fonts: &Fonts, pieces: &[Piece], title: &str) -> Result<(Vec<u8>, usize), ReportError> {
    let mut layout = Layout::new(fonts);
    for piece in pieces {
        layout.piece(piece)?;
    }
    let mut document = Document::new();
    let pages = layout.pages.len();
    for (n, ops) in layout.pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| ReportError::Render("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        surface.push_transform(&Transform::from_row(SCALE_X, 0.0, 0.0, 1.0, LEFT, TOP));
        for op in ops {
            match op {
                Op::Text { x, baseline, which, size, text, red: is_red } => {
                    let color = if *is_red { red() } else { rgb::Color::black() };
                    surface.set_fill(Some(Fill { paint: color.into(), ..Default::default() }));
                    surface.set_stroke(None);
                    let font = face(fonts, *which).pdf.clone();
                    surface.draw_text(Point::from_xy(*x, *baseline), font, *size, text, false, TextDirection::Auto);
                }
                Op::Line { x1, x2, y, width, red: is_red } => {
                    let color = if *is_red { red() } else { rgb::Color::black() };
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y);
                    path.line_to(*x2, *y);
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke { paint: color.into(), width: *width, ..Default::default() }));
                        surface.draw_path(&path);
                    }
                }
                Op::Svg { x, y, tree } => {
                    let size = krilla::geom::Size::from_wh(tree.size().width(), tree.size().height())
                        .ok_or_else(|| ReportError::Render("a chart of no size".into()))?;
                    surface.push_transform(&Transform::from_translate(*x, *y));
                    // Text outlined: the chart is a picture (its figures are in the tables beside it).
                    surface.draw_svg(tree, size, SvgSettings { embed_text: false, ..SvgSettings::default() });
                    surface.pop();
                }
                Op::Frame { x, y, w, h } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x, *y);
                    path.line_to(x + w, *y);
                    path.line_to(x + w, y + h);
                    path.line_to(*x, y + h);
                    path.close();
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke { paint: rgb::Color::black().into(), width: 0.5, ..Default::default() }));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        // Page number: "— N —" in 4号, 7 mm under the type area.
        let number = format!("— {} —", n + 1);
        let size = 14.0;
        let w = fonts.serif.width(&number, size);
        let x = if (n + 1) % 2 == 1 { GRID_W - BODY - w } else { BODY };
        surface.set_stroke(None);
        surface.set_fill(Some(Fill { paint: rgb::Color::black().into(), ..Default::default() }));
        surface.draw_text(Point::from_xy(x, AREA_H + 7.0 * MM + size * 0.8), fonts.serif.pdf.clone(), size, &number, false, TextDirection::Auto);
        surface.pop();
        surface.finish();
        page.finish();
    }
    let mut metadata = krilla::metadata::Metadata::new().title(title.to_owned()).language("zh-CN".to_owned());
    metadata = metadata.creator("gridline".to_owned());
    document.set_metadata(metadata);
    let pdf = document.finish().map_err(|e| ReportError::Render(format!("{e:?}")))?;
    Ok((pdf, pages))
}
