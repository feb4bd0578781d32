//! Charts drawn on the server: each is written once as SVG (text in the Noto CJK faces the PDF is
//! set in), then drawn into the PDF as vectors by krilla-svg and rasterised to PNG for the DOCX by
//! resvg — the same picture in both formats, with no asset committed and no browser involved.

use std::fmt::Write as _;
use std::sync::Arc;

use resvg::tiny_skia;
use resvg::usvg;
use serde::{Deserialize, Serialize};

use crate::ReportError;
use crate::fonts::Fonts;

/// How a chart draws its series.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Horizontal bars, one group a row (a ranking, a score against the city's).
    #[default]
    Bars,
    /// Lines over the rows in order (a trend by month); a missing value breaks the line.
    Lines,
}

/// One series of a chart: its name (the legend) and a value a row, `None` where there is none.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) values: Vec<Option<f64>>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Chart {
    pub(crate) kind: ChartKind,
    pub(crate) caption: String,
    pub(crate) labels: Vec<String>,
    pub(crate) series: Vec<Series>,
}

/// Series colours: the documents' red first, then grey and a dark blue that print apart in black
/// and white too.
const COLOURS: [&str; 4] = ["#B22222", "#8C8C8C", "#1F4E79", "#D98C1F"];
const FAMILY: &str = "Noto Serif CJK SC";
const TEXT: f32 = 10.5;
const LEGEND: f32 = 20.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One decimal, without a trailing ".0" for whole numbers.
fn number(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// A round step for about `parts` ticks over `span`.
fn step_of(span: f64, parts: f64) -> f64 {
    let raw = (span / parts).max(1e-9);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude)
}

fn text(out: &mut String, x: f32, y: f32, anchor: &str, size: f32, fill: &str, body: &str) {
    let _ = write!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" font-family="{FAMILY}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
        escape(body)
    );
}

impl Chart {
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.series.iter().flat_map(|s| s.values.iter().flatten().copied())
    }

    /// Whether there is anything to draw.
    pub(crate) fn is_empty(&self) -> bool {
        self.labels.is_empty() || self.values().next().is_none()
    }

    fn legend(&self, out: &mut String, fonts: &Fonts, width: f32) {
        if self.series.len() < 2 {
            return;
        }
        let widths: Vec<f32> = self.series.iter().map(|s| 14.0 + fonts.serif.width(&s.name, TEXT) + 14.0).collect();
        let mut x = (width - widths.iter().sum::<f32>()) / 2.0;
        for (i, (s, w)) in self.series.iter().zip(&widths).enumerate() {
            let _ = write!(out, r#"<rect x="{x:.1}" y="5" width="10" height="10" fill="{}"/>"#, COLOURS[i % COLOURS.len()]);
            text(out, x + 14.0, 14.0, "start", TEXT, "#000", &s.name);
            x += w;
        }
    }

    /// The chart as an SVG document `width` points wide; its height follows from the rows.
    pub(crate) fn svg(&self, fonts: &Fonts, width: f32) -> (String, f32) {
        let mut body = String::new();
        self.legend(&mut body, fonts, width);
        let top = if self.series.len() > 1 { LEGEND + 4.0 } else { 6.0 };
        let height = match self.kind {
            ChartKind::Bars => self.bars(&mut body, fonts, width, top),
            ChartKind::Lines => self.lines(&mut body, fonts, width, top),
        };
        let svg = format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"><rect width="{width}" height="{height}" fill="#FFFFFF"/>{body}</svg>"##
        );
        (svg, height)
    }

    fn bars(&self, out: &mut String, fonts: &Fonts, width: f32, top: f32) -> f32 {
        let bar = if self.series.len() > 1 { 8.0 } else { 11.0 };
        let group = bar * self.series.len() as f32 + 7.0;
        let label_w = self.labels.iter().map(|l| fonts.serif.width(l, TEXT)).fold(0.0, f32::max) + 8.0;
        let value_w = 34.0;
        let span = (width - label_w - value_w).max(40.0);
        let max = self.values().fold(0.0, f64::max);
        let step = step_of(max.max(1e-9), 4.0);
        let scale_max = (max / step).ceil().max(1.0) * step;
        let x_of = |v: f64| label_w + (v.max(0.0) / scale_max) as f32 * span;
        let bottom = top + group * self.labels.len() as f32;
        // Grid lines and their values under the chart.
        let mut tick = 0.0;
        while tick <= scale_max + 1e-9 {
            let x = x_of(tick);
            let _ = write!(out, r##"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{bottom:.1}" stroke="#D9D9D9" stroke-width="0.6"/>"##);
            text(out, x, bottom + 12.0, "middle", 9.0, "#404040", &number(tick));
            tick += step;
        }
        for (row, label) in self.labels.iter().enumerate() {
            let y = top + group * row as f32 + 3.5;
            text(out, label_w - 6.0, y + group / 2.0 - 3.5 + TEXT * 0.35, "end", TEXT, "#000", label);
            for (i, s) in self.series.iter().enumerate() {
                let Some(v) = s.values.get(row).copied().flatten() else { continue };
                let by = y + bar * i as f32;
                let w = (x_of(v) - label_w).max(0.6);
                let _ = write!(out, r#"<rect x="{label_w:.1}" y="{by:.1}" width="{w:.1}" height="{:.1}" fill="{}"/>"#, bar - 1.0, COLOURS[i % COLOURS.len()]);
                text(out, label_w + w + 3.0, by + bar / 2.0 + 3.0, "start", 8.5, "#000", &number(v));
            }
        }
        let _ = write!(out, r##"<line x1="{label_w:.1}" y1="{top:.1}" x2="{label_w:.1}" y2="{bottom:.1}" stroke="#000" stroke-width="0.8"/>"##);
        bottom + 18.0
    }

    fn lines(&self, out: &mut String, fonts: &Fonts, width: f32, top: f32) -> f32 {
        let plot_h = 150.0;
        let (lo, hi) = self.values().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let step = step_of((hi - lo).max(1.0), 4.0);
        let (lo, hi) = ((lo / step).floor() * step, ((hi / step).ceil() * step).max((lo / step).floor() * step + step));
        let axis_w = fonts.serif.width(&number(hi), 9.0).max(fonts.serif.width(&number(lo), 9.0)) + 8.0;
        let (left, right) = (axis_w, width - 12.0);
        let bottom = top + plot_h;
        let y_of = |v: f64| bottom - ((v - lo) / (hi - lo)) as f32 * plot_h;
        let n = self.labels.len().max(1);
        let x_of = |i: usize| if n == 1 { (left + right) / 2.0 } else { left + 14.0 + (right - left - 28.0) * i as f32 / (n - 1) as f32 };
        let mut tick = lo;
        while tick <= hi + 1e-9 {
            let y = y_of(tick);
            let _ = write!(out, r##"<line x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="#D9D9D9" stroke-width="0.6"/>"##);
            text(out, left - 4.0, y + 3.0, "end", 9.0, "#404040", &number(tick));
            tick += step;
        }
        let _ = write!(out, r##"<line x1="{left:.1}" y1="{bottom:.1}" x2="{right:.1}" y2="{bottom:.1}" stroke="#000" stroke-width="0.8"/>"##);
        for (i, label) in self.labels.iter().enumerate() {
            text(out, x_of(i), bottom + 13.0, "middle", 9.5, "#000", label);
        }
        for (k, s) in self.series.iter().enumerate().rev() {
            let colour = COLOURS[k % COLOURS.len()];
            // A line through each run of months with a value.
            let mut run: Vec<(f32, f32)> = Vec::new();
            let flush = |run: &mut Vec<(f32, f32)>, out: &mut String| {
                if run.len() > 1 {
                    let points: Vec<String> = run.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                    let _ = write!(out, r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="{}"/>"#, points.join(" "), if k == 0 { 1.8 } else { 1.2 });
                }
                run.clear();
            };
            for (i, v) in s.values.iter().enumerate() {
                match v {
                    Some(v) => run.push((x_of(i), y_of(*v))),
                    None => flush(&mut run, out),
                }
            }
            flush(&mut run, out);
            for (i, v) in s.values.iter().enumerate() {
                let Some(v) = v else { continue };
                let (x, y) = (x_of(i), y_of(*v));
                let _ = write!(out, r#"<circle cx="{x:.1}" cy="{y:.1}" r="2.4" fill="{colour}"/>"#);
                if k == 0 {
                    text(out, x, y - 5.0, "middle", 8.5, colour, &number(*v));
                }
            }
        }
        bottom + 20.0
    }

    /// The chart's SVG read into a usvg tree, its text laid out in the documents' fonts.
    pub(crate) fn tree(&self, fonts: &Fonts, width: f32) -> Result<usvg::Tree, ReportError> {
        let (svg, _) = self.svg(fonts, width);
        let options = usvg::Options { fontdb: Arc::clone(&fonts.svg), font_family: FAMILY.to_owned(), ..usvg::Options::default() };
        usvg::Tree::from_str(&svg, &options).map_err(|e| ReportError::Render(format!("chart {:?}: {e}", self.caption)))
    }

    /// The chart as PNG, `width` points wide at `dpi`: what the DOCX shows. The PNG and its size
    /// in pixels.
    pub(crate) fn png(&self, fonts: &Fonts, width: f32, dpi: f32) -> Result<(Vec<u8>, u32, u32), ReportError> {
        let tree = self.tree(fonts, width)?;
        let scale = dpi / 72.0;
        let size = tree.size();
        let (w, h) = ((size.width() * scale).ceil() as u32, (size.height() * scale).ceil() as u32);
        let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or_else(|| ReportError::Render(format!("chart {:?}: empty picture", self.caption)))?;
        resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
        let png = pixmap.encode_png().map_err(|e| ReportError::Render(format!("chart {:?}: {e}", self.caption)))?;
        Ok((png, w, h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_numbers() {
        assert_eq!(step_of(95.2, 4.0), 25.0);
        assert_eq!(step_of(12.0, 4.0), 5.0);
        assert_eq!(step_of(0.9, 4.0), 0.25);
        assert_eq!(number(90.0), "90");
        assert_eq!(number(87.46), "87.5");
        assert_eq!(escape("A&B<C>"), "A&amp;B&lt;C&gt;");
    }
}
