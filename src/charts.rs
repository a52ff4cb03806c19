//! Publication and projector-ready charts (PNG and SVG).
//!
//! Every chart is drawn by one backend-generic routine, so the PNG and SVG
//! versions of a chart always show the same thing. The PNG is 1600x1000 and
//! the SVG 1200x750 with all text, lines and spacing scaled in proportion.
//!
//! Design choices, aimed at slides and workshop projection:
//! - large text (title ~40px, axis labels ~28px, ticks ~22px, legend ~24px
//!   at 1600x1000), 4px lines, white background, light gridlines;
//! - the legend sits outside the plot area on the right, so it never covers
//!   data;
//! - one colour per strategy from the colour-blind-safe Okabe–Ito palette,
//!   selected by [`Series::color`] / [`BarGroup::color`] so a strategy keeps
//!   its colour in every chart; beyond eight, colours repeat with dashed and
//!   then dotted lines (bars: lighter fill, then outline only);
//! - bands are the series colour at 20% opacity.
//!
//! Files are written atomically: each chart is rendered to a temporary file in
//! the target directory and renamed into place, so a reader never sees a
//! half-written chart.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One line (with optional band) in a [`LineChart`].
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// Palette index (see [`palette`]); keep it fixed per strategy.
    pub color: usize,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Lower edge of the shaded band, same length as `x`.
    pub lo: Option<Vec<f64>>,
    /// Upper edge of the shaded band, same length as `x`.
    pub hi: Option<Vec<f64>>,
}

/// A line chart with optional shaded bands and reference lines.
#[derive(Clone, Debug)]
pub struct LineChart {
    pub title: String,
    /// Shown under the title; when bands are drawn, say what they are, e.g.
    /// "Shaded: 95% interval across 20 replicates".
    pub subtitle: Option<String>,
    /// X axis label, with units.
    pub x_label: String,
    /// Y axis label, with units.
    pub y_label: String,
    pub series: Vec<Series>,
    /// `None`: fit the data (bands and reference line included) with 5% padding.
    pub y_range: Option<(f64, f64)>,
    /// `None`: fit the data exactly.
    pub x_range: Option<(f64, f64)>,
    /// Horizontal reference line at this y, with label.
    pub hline: Option<(f64, String)>,
    /// Vertical marker at this x, with label (e.g. the year support is withdrawn).
    pub vline: Option<(f64, String)>,
}

/// Grouped bar chart: one bar per category in each group.
#[derive(Clone, Debug)]
pub struct BarChart {
    pub title: String,
    /// Shown under the title; say what error bars are, if any.
    pub subtitle: Option<String>,
    /// Y axis label, with units.
    pub y_label: String,
    pub categories: Vec<String>,
    pub groups: Vec<BarGroup>,
    /// `None`: from 0 (or the lowest value, if negative) to the highest
    /// value or error bar, with 5% padding.
    pub y_range: Option<(f64, f64)>,
}

/// One group (strategy) of a [`BarChart`]: one value per category.
#[derive(Clone, Debug)]
pub struct BarGroup {
    /// Legend entry.
    pub name: String,
    /// Palette index (see [`palette`]); keep it fixed per strategy.
    pub color: usize,
    pub values: Vec<f64>,
    /// Lower ends of error bars, one per category.
    pub lo: Option<Vec<f64>>,
    /// Upper ends of error bars, one per category.
    pub hi: Option<Vec<f64>>,
}

/// Why a chart could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("cannot write chart {path}: {msg}")]
    Write { path: PathBuf, msg: String },
    #[error("chart {title}: {msg}")]
    Data { title: String, msg: String },
}

/// Okabe–Ito colours, in the order used for strategies.
const PALETTE: [(u8, u8, u8, &str); 8] = [
    (0x00, 0x72, 0xB2, "#0072B2"), // blue
    (0xD5, 0x5E, 0x00, "#D55E00"), // vermillion
    (0x00, 0x9E, 0x73, "#009E73"), // bluish green
    (0xCC, 0x79, 0xA7, "#CC79A7"), // reddish purple
    (0xE6, 0x9F, 0x00, "#E69F00"), // orange
    (0x56, 0xB4, 0xE9, "#56B4E9"), // sky blue
    (0xF0, 0xE4, 0x42, "#F0E442"), // yellow
    (0x00, 0x00, 0x00, "#000000"), // black
];

/// Opacity of shaded bands.
const BAND_ALPHA: f64 = 0.2;

/// Colour `i` of the Okabe–Ito palette; indices beyond 7 cycle.
pub fn palette(i: usize) -> RGBColor {
    let (r, g, b, _) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

/// The same colour as [`palette`]`(i)`, as `#RRGGBB` for HTML.
pub fn palette_hex(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()].3
}

/// Number of distinct colours before styles start to vary.
pub const PALETTE_LEN: usize = PALETTE.len();

/// Line style for palette index `i`: colours cycle every eight, and each
/// cycle uses a different dash pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineDash {
    Solid,
    Dashed,
    Dotted,
}

/// Dash pattern used for palette index `i`.
pub fn line_dash(i: usize) -> LineDash {
    match (i / PALETTE.len()) % 3 {
        0 => LineDash::Solid,
        1 => LineDash::Dashed,
        _ => LineDash::Dotted,
    }
}

static FONT_FILE: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const FONT: &str = "sans-serif";

/// Registers the embedded DejaVu Sans font as "sans-serif". Safe to call many
/// times; the chart functions call it themselves.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            // The font is embedded and known to be valid.
            let _ = plotters::style::register_font(FONT, style, FONT_FILE);
        }
    });
}

pub(crate) const PNG_SIZE: (u32, u32) = (1600, 1000);
pub(crate) const SVG_SIZE: (u32, u32) = (1200, 750);

/// Requested font sizes are multiplied by this so that glyphs come out at the
/// nominal pixel size (the rasteriser draws smaller than the nominal size,
/// and the SVG writer divides by the same factor).
pub(crate) const FONT_K: f64 = 1.24;

pub(crate) const TEXT: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
pub(crate) const SUBTEXT: RGBColor = RGBColor(0x4D, 0x4D, 0x4D);
pub(crate) const AXIS: RGBColor = RGBColor(0x4D, 0x4D, 0x4D);
const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
const REFLINE: RGBColor = RGBColor(0x33, 0x33, 0x33);

// Nominal sizes at 1600x1000.
pub(crate) const TITLE_PX: f64 = 40.0;
pub(crate) const SUBTITLE_PX: f64 = 24.0;
pub(crate) const AXIS_PX: f64 = 28.0;
pub(crate) const TICK_PX: f64 = 22.0;
pub(crate) const LEGEND_PX: f64 = 24.0;
const NOTE_PX: f64 = 22.0;
const LINE_W: f64 = 4.0;
pub(crate) const MARGIN: f64 = 30.0;

type DrawResult<T> = Result<T, String>;

fn err<E: Display>(e: E) -> String {
    e.to_string()
}

/// Geometry helper: scales nominal 1600-wide sizes to the canvas.
#[derive(Clone, Copy)]
struct Geo {
    s: f64,
}

impl Geo {
    fn px(&self, v: f64) -> i32 {
        (v * self.s).round() as i32
    }
    fn font(&self, nominal_px: f64) -> TextStyle<'static> {
        (FONT, nominal_px * FONT_K * self.s)
            .into_font()
            .color(&TEXT)
    }
    fn stroke(&self, color: RGBAColor, nominal_w: f64) -> ShapeStyle {
        ShapeStyle {
            color,
            filled: false,
            stroke_width: ((nominal_w * self.s).round() as u32).max(1),
        }
    }
    fn fill(&self, color: RGBAColor) -> ShapeStyle {
        ShapeStyle {
            color,
            filled: true,
            stroke_width: 0,
        }
    }
}

fn text_w<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, text: &str, style: &TextStyle) -> i32 {
    root.estimate_text_size(text, style)
        .map(|(w, _)| w as i32)
        .unwrap_or((text.chars().count() as f64 * style.font.get_size() * 0.6) as i32)
}

/// Shrinks `nominal` until `text` fits in `max_w` pixels (not below `min`).
fn fit_font<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    geo: Geo,
    text: &str,
    nominal: f64,
    min: f64,
    max_w: i32,
) -> f64 {
    let w = text_w(root, text, &geo.font(nominal));
    if w <= max_w || w == 0 {
        nominal
    } else {
        (nominal * max_w as f64 / w as f64).max(min)
    }
}

/// Shortens `text` with an ellipsis until it fits in `max_w` pixels.
fn ellipsize<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_w: i32,
) -> String {
    if text_w(root, text, style) <= max_w {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    for n in (1..chars.len()).rev() {
        let t: String = chars[..n].iter().collect::<String>() + "…";
        if text_w(root, &t, style) <= max_w {
            return t;
        }
    }
    "…".to_string()
}

/// Word-wraps `text` into lines no wider than `max_w` pixels.
fn wrap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_w: i32,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let cand = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if cur.is_empty() || text_w(root, &cand, style) <= max_w {
            cur = cand;
        } else {
            lines.push(std::mem::take(&mut cur));
            cur = word.to_string();
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Draws title and subtitle; returns the y where the chart body starts.
fn draw_header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    geo: Geo,
    title: &str,
    subtitle: Option<&str>,
) -> DrawResult<i32> {
    let (w, _) = root.dim_in_pixel();
    let left = geo.px(MARGIN);
    let avail = w as i32 - 2 * left;
    let mut y = geo.px(22.0);
    let tsize = fit_font(root, geo, title, TITLE_PX, 24.0, avail);
    let tstyle = geo.font(tsize).pos(Pos::new(HPos::Left, VPos::Top));
    root.draw(&Text::new(title.to_string(), (left, y), tstyle))
        .map_err(err)?;
    y += geo.px(tsize * 1.35);
    if let Some(sub) = subtitle.filter(|s| !s.trim().is_empty()) {
        let ssize = fit_font(root, geo, sub, SUBTITLE_PX, 16.0, avail);
        let sstyle = geo
            .font(ssize)
            .color(&SUBTEXT)
            .pos(Pos::new(HPos::Left, VPos::Top));
        root.draw(&Text::new(sub.to_string(), (left, y), sstyle))
            .map_err(err)?;
        y += geo.px(ssize * 1.5);
    }
    Ok(y + geo.px(8.0))
}

/// Legend entry swatch kind.
#[derive(Clone, Copy)]
enum Swatch {
    Line { band: bool },
    Bar,
}

struct LegendEntry {
    name: String,
    color: usize,
    swatch: Swatch,
}

/// Lays out the legend column(s) at the right of the body; returns the
/// legend width (what the plot area must leave free).
fn legend_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    geo: Geo,
    entries: &[LegendEntry],
    body_h: i32,
) -> i32 {
    let (w, _) = root.dim_in_pixel();
    let style = geo.font(LEGEND_PX);
    let max_text = (w as f64 * 0.25) as i32;
    let text_wmax = entries
        .iter()
        .map(|e| text_w(root, &e.name, &style).min(max_text))
        .max()
        .unwrap_or(0);
    let col_w = geo.px(48.0 + 14.0) + text_wmax + geo.px(24.0);
    let rows = legend_rows(geo, body_h).max(1);
    let cols = entries.len().div_ceil(rows).max(1) as i32;
    cols * col_w + geo.px(MARGIN)
}

fn legend_rows(geo: Geo, body_h: i32) -> usize {
    let row_h = geo.px(LEGEND_PX * 1.8).max(1);
    ((body_h - geo.px(20.0)) / row_h).max(1) as usize
}

fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    geo: Geo,
    entries: &[LegendEntry],
    x0: i32,
    y0: i32,
    body_h: i32,
) -> DrawResult<()> {
    let (w, _) = root.dim_in_pixel();
    let style = geo.font(LEGEND_PX).pos(Pos::new(HPos::Left, VPos::Center));
    let max_text = (w as f64 * 0.25) as i32;
    let names: Vec<String> = entries
        .iter()
        .map(|e| ellipsize(root, &e.name, &style, max_text))
        .collect();
    let text_wmax = names
        .iter()
        .map(|n| text_w(root, n, &style))
        .max()
        .unwrap_or(0);
    let col_w = geo.px(48.0 + 14.0) + text_wmax + geo.px(24.0);
    let rows = legend_rows(geo, body_h);
    let row_h = geo.px(LEGEND_PX * 1.8);
    let sw = geo.px(48.0);
    for (k, (e, name)) in entries.iter().zip(&names).enumerate() {
        let col = (k / rows) as i32;
        let row = (k % rows) as i32;
        let x = x0 + col * col_w;
        let yc = y0 + row * row_h + row_h / 2;
        let c = palette(e.color);
        match e.swatch {
            Swatch::Line { band } => {
                if band {
                    let bh = geo.px(12.0);
                    root.draw(&Rectangle::new(
                        [(x, yc - bh), (x + sw, yc + bh)],
                        geo.fill(c.mix(BAND_ALPHA)),
                    ))
                    .map_err(err)?;
                }
                draw_styled_path(root, geo, vec![(x, yc), (x + sw, yc)], e.color)?;
            }
            Swatch::Bar => {
                let bh = geo.px(13.0);
                let rect = [(x + geo.px(8.0), yc - bh), (x + sw - geo.px(8.0), yc + bh)];
                for style in bar_styles(geo, e.color) {
                    root.draw(&Rectangle::new(rect, style)).map_err(err)?;
                }
            }
        }
        root.draw(&Text::new(
            name.clone(),
            (x + sw + geo.px(14.0), yc),
            style.clone(),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// Draws a polyline in pixel coordinates with the colour and dash pattern
/// of palette index `color`.
fn draw_styled_path<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    geo: Geo,
    pts: Vec<(i32, i32)>,
    color: usize,
) -> DrawResult<()> {
    let style = geo.stroke(palette(color).to_rgba(), LINE_W);
    match line_dash(color) {
        LineDash::Solid => area.draw(&PathElement::new(pts, style)).map_err(err),
        LineDash::Dashed => area
            .draw(&DashedPathElement::new(
                pts,
                geo.px(18.0),
                geo.px(10.0),
                style,
            ))
            .map_err(err),
        LineDash::Dotted => area
            .draw(&DashedPathElement::new(
                pts,
                geo.px(5.0),
                geo.px(8.0),
                style,
            ))
            .map_err(err),
    }
}

/// Fill and outline styles for the bars of palette index `color`.
fn bar_styles(geo: Geo, color: usize) -> Vec<ShapeStyle> {
    let c = palette(color);
    match line_dash(color) {
        LineDash::Solid => vec![geo.fill(c.to_rgba())],
        LineDash::Dashed => vec![geo.fill(c.mix(0.45)), geo.stroke(c.to_rgba(), 3.0)],
        LineDash::Dotted => vec![geo.fill(WHITE.to_rgba()), geo.stroke(c.to_rgba(), 4.0)],
    }
}

/// Tick values plotters will use for `n` labels on `lo..hi`, and the
/// number of decimals needed to print them all exactly.
fn tick_decimals(lo: f64, hi: f64, n: usize) -> usize {
    let r: RangedCoordf64 = (lo..hi).into();
    let ticks: Vec<f64> = r.key_points(n);
    let scale = (hi - lo).abs().max(f64::MIN_POSITIVE);
    (0..=8)
        .find(|&d| {
            let p = 10f64.powi(d as i32);
            ticks
                .iter()
                .all(|t| ((t * p).round() / p - t).abs() <= scale * 1e-9)
        })
        .unwrap_or(8)
}

fn fmt_tick(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Width of the y-axis label area: tick labels, gap, rotated axis label.
fn y_label_area<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    geo: Geo,
    lo: f64,
    hi: f64,
    decimals: usize,
) -> i32 {
    let style = geo.font(TICK_PX);
    let r: RangedCoordf64 = (lo..hi).into();
    let widest = r
        .key_points(Y_TICKS)
        .into_iter()
        .chain([lo, hi])
        .map(|v| text_w(root, &fmt_tick(v, decimals), &style))
        .max()
        .unwrap_or(0);
    widest + geo.px(AXIS_PX * 1.3 + 36.0)
}

const X_TICKS: usize = 10;
const Y_TICKS: usize = 10;

fn finite_range(vals: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    vals.filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((a, b)) => Some((a.min(v), b.max(v))),
        })
}

/// Widens a zero-width range.
fn widen(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        (lo, hi)
    } else {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.05 };
        (lo - pad, hi + pad)
    }
}

fn pad5(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = widen(lo, hi);
    let p = (hi - lo) * 0.05;
    (lo - p, hi + p)
}

fn check_range(title: &str, what: &str, r: Option<(f64, f64)>) -> Result<(), ChartError> {
    if let Some((a, b)) = r
        && !(a.is_finite() && b.is_finite() && a < b)
    {
        return Err(ChartError::Data {
            title: title.to_string(),
            msg: format!("{what} must be finite with min < max, got ({a}, {b})"),
        });
    }
    Ok(())
}

fn data_err(title: &str, msg: String) -> ChartError {
    ChartError::Data {
        title: title.to_string(),
        msg,
    }
}

fn validate_line(c: &LineChart) -> Result<(), ChartError> {
    if c.series.is_empty() {
        return Err(data_err(&c.title, "no series to draw".into()));
    }
    for s in &c.series {
        if s.x.len() != s.y.len() {
            return Err(data_err(
                &c.title,
                format!(
                    "series {}: {} x values but {} y values",
                    s.name,
                    s.x.len(),
                    s.y.len()
                ),
            ));
        }
        for (edge, v) in [("lo", &s.lo), ("hi", &s.hi)] {
            if let Some(v) = v
                && v.len() != s.x.len()
            {
                return Err(data_err(
                    &c.title,
                    format!(
                        "series {}: {} {edge} values but {} x values",
                        s.name,
                        v.len(),
                        s.x.len()
                    ),
                ));
            }
        }
    }
    check_range(&c.title, "x_range", c.x_range)?;
    check_range(&c.title, "y_range", c.y_range)?;
    Ok(())
}

fn validate_bar(c: &BarChart) -> Result<(), ChartError> {
    if c.groups.is_empty() {
        return Err(data_err(&c.title, "no groups to draw".into()));
    }
    if c.categories.is_empty() {
        return Err(data_err(&c.title, "no categories to draw".into()));
    }
    let n = c.categories.len();
    for g in &c.groups {
        if g.values.len() != n {
            return Err(data_err(
                &c.title,
                format!(
                    "group {}: {} values but {n} categories",
                    g.name,
                    g.values.len()
                ),
            ));
        }
        for (edge, v) in [("lo", &g.lo), ("hi", &g.hi)] {
            if let Some(v) = v
                && v.len() != n
            {
                return Err(data_err(
                    &c.title,
                    format!(
                        "group {}: {} {edge} values but {n} categories",
                        g.name,
                        v.len()
                    ),
                ));
            }
        }
    }
    check_range(&c.title, "y_range", c.y_range)?;
    Ok(())
}

/// Band edges of a series: (lo, hi) vectors if both exist.
fn band(s: &Series) -> Option<(&[f64], &[f64])> {
    match (&s.lo, &s.hi) {
        (Some(lo), Some(hi)) => Some((lo, hi)),
        _ => None,
    }
}

fn line_ranges(c: &LineChart) -> ((f64, f64), (f64, f64)) {
    let used = |s: &Series, i: usize| {
        s.y[i].is_finite() || band(s).is_some_and(|(lo, hi)| lo[i].is_finite() && hi[i].is_finite())
    };
    let x = c.x_range.unwrap_or_else(|| {
        let xs = c.series.iter().flat_map(|s| {
            (0..s.x.len())
                .filter(move |&i| used(s, i))
                .map(move |i| s.x[i])
        });
        let vx = c.vline.as_ref().map(|v| v.0);
        match finite_range(xs.chain(vx)) {
            Some((a, b)) => widen(a, b),
            None => (0.0, 1.0),
        }
    });
    let y = c.y_range.unwrap_or_else(|| {
        let in_x = |v: f64| v >= x.0 && v <= x.1;
        let ys = c.series.iter().flat_map(|s| {
            (0..s.x.len())
                .filter(move |&i| in_x(s.x[i]))
                .flat_map(move |i| {
                    let (l, h) = band(s).map_or((f64::NAN, f64::NAN), |(lo, hi)| (lo[i], hi[i]));
                    [s.y[i], l, h]
                })
        });
        let hy = c.hline.as_ref().map(|h| h.0);
        match finite_range(ys.chain(hy)) {
            Some((a, b)) => pad5(a, b),
            None => (0.0, 1.0),
        }
    });
    (x, y)
}

type Pt = (f64, f64);

/// Clips segment a-b to the rectangle (Liang–Barsky). Returns the clipped
/// segment and whether each end was moved.
fn clip_segment(a: Pt, b: Pt, xr: (f64, f64), yr: (f64, f64)) -> Option<(Pt, Pt, bool, bool)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0 = 0.0f64;
    let mut t1 = 1.0f64;
    for (p, q) in [
        (-dx, a.0 - xr.0),
        (dx, xr.1 - a.0),
        (-dy, a.1 - yr.0),
        (dy, yr.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some((at(t0), at(t1), t0 > 0.0, t1 < 1.0))
}

/// Splits a polyline into the visible pieces inside the rectangle.
fn clip_polyline(pts: &[Pt], xr: (f64, f64), yr: (f64, f64)) -> Vec<Vec<Pt>> {
    let mut out = Vec::new();
    let mut cur: Vec<Pt> = Vec::new();
    for w in pts.windows(2) {
        match clip_segment(w[0], w[1], xr, yr) {
            None => {
                if cur.len() > 1 {
                    out.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
            Some((p, q, start_moved, end_moved)) => {
                if start_moved || cur.is_empty() {
                    if cur.len() > 1 {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur = vec![p];
                }
                cur.push(q);
                if end_moved {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if cur.len() > 1 {
        out.push(cur);
    }
    out
}

/// Clips a polygon to the rectangle (Sutherland–Hodgman).
fn clip_polygon(poly: Vec<Pt>, xr: (f64, f64), yr: (f64, f64)) -> Vec<Pt> {
    type Inside = fn(Pt, f64) -> bool;
    type Cross = fn(Pt, Pt, f64) -> Pt;
    let x_at = |a: Pt, b: Pt, x: f64| (x, a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0));
    let y_at = |a: Pt, b: Pt, y: f64| (a.0 + (b.0 - a.0) * (y - a.1) / (b.1 - a.1), y);
    let edges: [(Inside, Cross, f64); 4] = [
        (|p, v| p.0 >= v, x_at, xr.0),
        (|p, v| p.0 <= v, x_at, xr.1),
        (|p, v| p.1 >= v, y_at, yr.0),
        (|p, v| p.1 <= v, y_at, yr.1),
    ];
    let mut poly = poly;
    for (inside, cross, v) in edges {
        if poly.is_empty() {
            break;
        }
        let input = std::mem::take(&mut poly);
        let mut prev = input[input.len() - 1];
        for &p in &input {
            match (inside(p, v), inside(prev, v)) {
                (true, true) => poly.push(p),
                (true, false) => {
                    poly.push(cross(prev, p, v));
                    poly.push(p);
                }
                (false, true) => poly.push(cross(prev, p, v)),
                (false, false) => {}
            }
            prev = p;
        }
    }
    poly
}

/// Maximal runs of indices where `ok(i)` holds.
fn runs(n: usize, ok: impl Fn(usize) -> bool) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..=n {
        let good = i < n && ok(i);
        match (good, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn in_rect(p: Pt, xr: (f64, f64), yr: (f64, f64)) -> bool {
    p.0 >= xr.0 && p.0 <= xr.1 && p.1 >= yr.0 && p.1 <= yr.1
}

enum ChartRef<'a> {
    Line(&'a LineChart),
    Bar(&'a BarChart),
}

impl ChartRef<'_> {
    fn title(&self) -> &str {
        match self {
            ChartRef::Line(c) => &c.title,
            ChartRef::Bar(c) => &c.title,
        }
    }
    fn validate(&self) -> Result<(), ChartError> {
        match self {
            ChartRef::Line(c) => validate_line(c),
            ChartRef::Bar(c) => validate_bar(c),
        }
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        let (w, _) = root.dim_in_pixel();
        let geo = Geo {
            s: w as f64 / PNG_SIZE.0 as f64,
        };
        root.fill(&WHITE).map_err(err)?;
        match self {
            ChartRef::Line(c) => draw_line_chart(root, geo, c),
            ChartRef::Bar(c) => draw_bar_chart(root, geo, c),
        }
    }
}

/// Splits the body (below the header) into the plot area and legend origin.
struct Body {
    top: i32,
    height: i32,
    plot_w: i32,
}

fn body_layout<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    geo: Geo,
    top: i32,
    entries: &[LegendEntry],
) -> Body {
    let (w, h) = root.dim_in_pixel();
    let height = h as i32 - top - geo.px(10.0);
    let legend_w = legend_width(root, geo, entries, height);
    let plot_w = (w as i32 - legend_w).max(w as i32 / 2);
    Body {
        top,
        height,
        plot_w,
    }
}

/// Axis-label size: nominal, shrunk if the rotated y label (of width
/// `label_w` at nominal size) would not fit the plot height.
fn axis_font_size(label_w: i32, plot_h: i32) -> f64 {
    if label_w > plot_h && label_w > 0 {
        (AXIS_PX * plot_h as f64 / label_w as f64).max(16.0)
    } else {
        AXIS_PX
    }
}

fn draw_line_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    geo: Geo,
    c: &LineChart,
) -> DrawResult<()> {
    let top = draw_header(root, geo, &c.title, c.subtitle.as_deref())?;
    let entries: Vec<LegendEntry> = c
        .series
        .iter()
        .map(|s| LegendEntry {
            name: s.name.clone(),
            color: s.color,
            swatch: Swatch::Line {
                band: band(s).is_some(),
            },
        })
        .collect();
    let body = body_layout(root, geo, top, &entries);
    let ((x0, x1), (y0, y1)) = line_ranges(c);
    let xdec = tick_decimals(x0, x1, X_TICKS);
    let ydec = tick_decimals(y0, y1, Y_TICKS);

    let plot_area = root.margin(top, 0, 0, 0);
    let plot_area = plot_area.split_horizontally(body.plot_w).0;
    let x_area_h = geo.px(TICK_PX * 1.3 + AXIS_PX * 1.3 + 34.0);
    let y_area_w = y_label_area(root, geo, y0, y1, ydec);
    let plot_h = body.height - x_area_h - geo.px(10.0);
    let axis_size = axis_font_size(text_w(root, &c.y_label, &geo.font(AXIS_PX)), plot_h);

    let mut chart = ChartBuilder::on(&plot_area)
        .margin_top(geo.px(10.0))
        .margin_right(geo.px(40.0))
        .margin_left(geo.px(MARGIN - 10.0))
        .margin_bottom(geo.px(10.0))
        .x_label_area_size(x_area_h)
        .y_label_area_size(y_area_w)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;

    let xfmt = |v: &f64| fmt_tick(*v, xdec);
    let yfmt = |v: &f64| fmt_tick(*v, ydec);
    chart
        .configure_mesh()
        .x_labels(X_TICKS)
        .y_labels(Y_TICKS)
        .max_light_lines(0)
        .bold_line_style(geo.stroke(GRID.to_rgba(), 1.5))
        .axis_style(geo.stroke(AXIS.to_rgba(), 2.0))
        .set_all_tick_mark_size(geo.px(8.0))
        .label_style(geo.font(TICK_PX))
        .axis_desc_style(geo.font(axis_size))
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .x_label_formatter(&xfmt)
        .y_label_formatter(&yfmt)
        .draw()
        .map_err(err)?;

    let xr = (x0, x1);
    let yr = (y0, y1);
    // Bands first, so every line is drawn on top of every band.
    for s in &c.series {
        let Some((lo, hi)) = band(s) else { continue };
        let color = palette(s.color).mix(BAND_ALPHA);
        let ok = |i: usize| s.x[i].is_finite() && lo[i].is_finite() && hi[i].is_finite();
        for run in runs(s.x.len(), ok) {
            if run.len() == 1 {
                let i = run.start;
                let seg = clip_segment((s.x[i], lo[i]), (s.x[i], hi[i]), xr, yr);
                if let Some((p, q, _, _)) = seg {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![p, q],
                            geo.stroke(palette(s.color).mix(0.35), 14.0),
                        )))
                        .map_err(err)?;
                }
                continue;
            }
            let mut poly: Vec<Pt> = run.clone().map(|i| (s.x[i], hi[i])).collect();
            poly.extend(run.rev().map(|i| (s.x[i], lo[i])));
            let poly = clip_polygon(poly, xr, yr);
            if poly.len() >= 3 {
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, geo.fill(color))))
                    .map_err(err)?;
            }
        }
    }

    let area = chart.plotting_area();
    let to_px = |p: Pt| chart.backend_coord(&p);
    let ref_style = geo.stroke(REFLINE.to_rgba(), 2.5);
    let note = geo.font(NOTE_PX).color(&REFLINE);
    let (pw, _) = area.dim_in_pixel();
    let (bx, by) = area.get_base_pixel();
    // Reference-line labels are drawn last, over the data, on a light box.
    let mut notes: Vec<(String, (i32, i32), HPos, VPos)> = Vec::new();
    if let Some((hy, label)) = &c.hline
        && hy.is_finite()
        && *hy >= y0
        && *hy <= y1
    {
        let a = to_px((x0, *hy));
        let b = to_px((x1, *hy));
        root.draw(&DashedPathElement::new(
            [a, b],
            geo.px(14.0),
            geo.px(8.0),
            ref_style,
        ))
        .map_err(err)?;
        if !label.is_empty() {
            let near_top = a.1 - by < geo.px(NOTE_PX * 1.6);
            let (ty, vpos) = if near_top {
                (a.1 + geo.px(6.0), VPos::Top)
            } else {
                (a.1 - geo.px(6.0), VPos::Bottom)
            };
            notes.push((label.clone(), (b.0 - geo.px(8.0), ty), HPos::Right, vpos));
        }
    }
    if let Some((vx, label)) = &c.vline
        && vx.is_finite()
        && *vx >= x0
        && *vx <= x1
    {
        let a = to_px((*vx, y0));
        let b = to_px((*vx, y1));
        root.draw(&DashedPathElement::new(
            [a, b],
            geo.px(14.0),
            geo.px(8.0),
            ref_style,
        ))
        .map_err(err)?;
        if !label.is_empty() {
            let right_part = (b.0 - bx) as f64 > pw as f64 * 0.7;
            let (tx, hpos) = if right_part {
                (b.0 - geo.px(8.0), HPos::Right)
            } else {
                (b.0 + geo.px(8.0), HPos::Left)
            };
            notes.push((label.clone(), (tx, b.1 + geo.px(6.0)), hpos, VPos::Top));
        }
    }

    for s in &c.series {
        let ok = |i: usize| s.x[i].is_finite() && s.y[i].is_finite();
        for run in runs(s.x.len(), ok) {
            let pts: Vec<Pt> = run.map(|i| (s.x[i], s.y[i])).collect();
            if pts.len() == 1 {
                if in_rect(pts[0], xr, yr) {
                    let p = to_px(pts[0]);
                    root.draw(&Circle::new(
                        p,
                        geo.px(7.0),
                        geo.fill(palette(s.color).to_rgba()),
                    ))
                    .map_err(err)?;
                }
                continue;
            }
            for piece in clip_polyline(&pts, xr, yr) {
                let px: Vec<(i32, i32)> = piece.into_iter().map(to_px).collect();
                draw_styled_path(root, geo, px, s.color)?;
            }
        }
    }

    for (label, (tx, ty), hpos, vpos) in notes {
        let tw = text_w(root, &label, &note);
        let th = geo.px(NOTE_PX);
        let pad = geo.px(4.0);
        let left = match hpos {
            HPos::Left => tx,
            HPos::Center => tx - tw / 2,
            HPos::Right => tx - tw,
        };
        let top = match vpos {
            VPos::Top => ty,
            VPos::Center => ty - th / 2,
            VPos::Bottom => ty - th,
        };
        root.draw(&Rectangle::new(
            [(left - pad, top - pad), (left + tw + pad, top + th + pad)],
            geo.fill(WHITE.mix(0.7)),
        ))
        .map_err(err)?;
        root.draw(&Text::new(label, (tx, ty), note.pos(Pos::new(hpos, vpos))))
            .map_err(err)?;
    }

    let legend_x = body.plot_w + geo.px(10.0);
    let legend_y = body.top + geo.px(10.0);
    draw_legend(root, geo, &entries, legend_x, legend_y, body.height)
}

fn bar_ranges(c: &BarChart) -> (f64, f64) {
    if let Some(r) = c.y_range {
        return r;
    }
    let vals = c.groups.iter().flat_map(|g| {
        let lo = g.lo.iter().flatten().copied();
        let hi = g.hi.iter().flatten().copied();
        g.values.iter().copied().chain(lo).chain(hi)
    });
    match finite_range(vals.chain([0.0])) {
        Some((a, b)) => {
            let (a, b) = widen(a, b);
            let p = (b - a) * 0.05;
            (
                if a < 0.0 { a - p } else { a },
                if b > 0.0 { b + p } else { b },
            )
        }
        None => (0.0, 1.0),
    }
}

fn draw_bar_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    geo: Geo,
    c: &BarChart,
) -> DrawResult<()> {
    let top = draw_header(root, geo, &c.title, c.subtitle.as_deref())?;
    let entries: Vec<LegendEntry> = c
        .groups
        .iter()
        .map(|g| LegendEntry {
            name: g.name.clone(),
            color: g.color,
            swatch: Swatch::Bar,
        })
        .collect();
    let body = body_layout(root, geo, top, &entries);
    let (y0, y1) = bar_ranges(c);
    let ydec = tick_decimals(y0, y1, Y_TICKS);
    let n = c.categories.len();

    let y_area_w = y_label_area(root, geo, y0, y1, ydec);
    let margin_left = geo.px(MARGIN - 10.0);
    let margin_right = geo.px(40.0);
    let slot_w = (body.plot_w - y_area_w - margin_left - margin_right) / n as i32;
    let cat_style = geo.font(TICK_PX);
    let cat_lines: Vec<Vec<String>> = c
        .categories
        .iter()
        .map(|t| {
            wrap(root, t, &cat_style, (slot_w as f64 * 0.92) as i32)
                .into_iter()
                .map(|l| ellipsize(root, &l, &cat_style, slot_w))
                .collect()
        })
        .collect();
    let max_lines = cat_lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let line_h = geo.px(TICK_PX * 1.3);
    let x_area_h = line_h * max_lines as i32 + geo.px(24.0);

    let plot_area = root.margin(top, 0, 0, 0);
    let plot_area = plot_area.split_horizontally(body.plot_w).0;
    let plot_h = body.height - x_area_h - geo.px(10.0);
    let axis_size = axis_font_size(text_w(root, &c.y_label, &geo.font(AXIS_PX)), plot_h);

    let mut chart = ChartBuilder::on(&plot_area)
        .margin_top(geo.px(10.0))
        .margin_right(margin_right)
        .margin_left(margin_left)
        .margin_bottom(geo.px(10.0))
        .x_label_area_size(x_area_h)
        .y_label_area_size(y_area_w)
        .build_cartesian_2d(0.0..n as f64, y0..y1)
        .map_err(err)?;

    let yfmt = |v: &f64| fmt_tick(*v, ydec);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(Y_TICKS)
        .max_light_lines(0)
        .bold_line_style(geo.stroke(GRID.to_rgba(), 1.5))
        .axis_style(geo.stroke(AXIS.to_rgba(), 2.0))
        .set_all_tick_mark_size(geo.px(8.0))
        .label_style(geo.font(TICK_PX))
        .axis_desc_style(geo.font(axis_size))
        .y_desc(c.y_label.as_str())
        .y_label_formatter(&yfmt)
        .draw()
        .map_err(err)?;

    let to_px = |p: Pt| chart.backend_coord(&p);
    // Category labels, centred under each slot.
    for (k, lines) in cat_lines.iter().enumerate() {
        let (cx, base) = to_px((k as f64 + 0.5, y0));
        for (j, line) in lines.iter().enumerate() {
            root.draw(&Text::new(
                line.clone(),
                (cx, base + geo.px(12.0) + j as i32 * line_h),
                cat_style.pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(err)?;
        }
    }

    let clamp = |v: f64| v.clamp(y0, y1);
    let base = clamp(0.0);
    let m = c.groups.len() as f64;
    let group_w = 0.8;
    let bar_w = group_w / m;
    let err_style = geo.stroke(TEXT.to_rgba(), 3.0);
    for (gi, g) in c.groups.iter().enumerate() {
        for k in 0..n {
            let left = k as f64 + (1.0 - group_w) / 2.0 + gi as f64 * bar_w;
            let (bl, br) = (left + bar_w * 0.06, left + bar_w * 0.94);
            let v = g.values[k];
            if v.is_finite() {
                let (p, q) = (to_px((bl, base)), to_px((br, clamp(v))));
                for style in bar_styles(geo, g.color) {
                    root.draw(&Rectangle::new([p, q], style)).map_err(err)?;
                }
            }
        }
    }
    // Error bars on top of all bars.
    for (gi, g) in c.groups.iter().enumerate() {
        let (Some(lo), Some(hi)) = (&g.lo, &g.hi) else {
            continue;
        };
        for k in 0..n {
            let (l, h) = (lo[k], hi[k]);
            if !(l.is_finite() && h.is_finite()) {
                continue;
            }
            let centre = k as f64 + (1.0 - group_w) / 2.0 + (gi as f64 + 0.5) * bar_w;
            let (l, h) = (l.min(h), l.max(h));
            let a = to_px((centre, clamp(l)));
            let b = to_px((centre, clamp(h)));
            let cap = ((to_px((bar_w, y0)).0 - to_px((0.0, y0)).0) as f64 * 0.22) as i32;
            let cap = cap.clamp(geo.px(4.0), geo.px(14.0));
            root.draw(&PathElement::new(vec![a, b], err_style))
                .map_err(err)?;
            // Caps only where the bar end is inside the axis range.
            for (y, visible) in [(a.1, l >= y0), (b.1, h <= y1)] {
                if visible {
                    root.draw(&PathElement::new(
                        vec![(a.0 - cap, y), (a.0 + cap, y)],
                        err_style,
                    ))
                    .map_err(err)?;
                }
            }
        }
    }
    if y0 < 0.0 && y1 > 0.0 {
        let a = to_px((0.0, 0.0));
        let b = to_px((n as f64, 0.0));
        root.draw(&PathElement::new(
            vec![a, b],
            geo.stroke(AXIS.to_rgba(), 2.0),
        ))
        .map_err(err)?;
    }

    let legend_x = body.plot_w + geo.px(10.0);
    let legend_y = body.top + geo.px(10.0);
    draw_legend(root, geo, &entries, legend_x, legend_y, body.height)
}

fn render_svg(chart: &ChartRef) -> Result<String, ChartError> {
    register_fonts();
    chart.validate()?;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, SVG_SIZE).into_drawing_area();
        chart
            .draw(&root)
            .and_then(|_| root.present().map_err(err))
            .map_err(|msg| data_err(chart.title(), msg))?;
    }
    Ok(buf)
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary path next to `path` that keeps its extension, so the bitmap
/// backend picks the right encoder.
fn temp_path(dir: &Path, stem: &str, ext: &str) -> PathBuf {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(
        ".{stem}.{ext}.{}-{n}.tmp.{ext}",
        std::process::id()
    ))
}

fn write_err(path: &Path, msg: impl Display) -> ChartError {
    ChartError::Write {
        path: path.to_path_buf(),
        msg: msg.to_string(),
    }
}

/// Moves `tmp` to `dest`, removing `tmp` if that fails.
fn commit(tmp: &Path, dest: &Path) -> Result<(), ChartError> {
    std::fs::rename(tmp, dest).map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        write_err(dest, e)
    })
}

fn check_stem(dir: &Path, stem: &str, ext: &str) -> Result<PathBuf, ChartError> {
    let dest = dir.join(format!("{stem}.{ext}"));
    if stem.is_empty() || stem.contains(['/', '\\']) || stem == "." || stem == ".." {
        return Err(write_err(&dest, "file stem must be a plain file name"));
    }
    Ok(dest)
}

fn write_png(chart: &ChartRef, dir: &Path, stem: &str) -> Result<PathBuf, ChartError> {
    let dest = check_stem(dir, stem, "png")?;
    if !dir.is_dir() {
        return Err(write_err(&dest, "directory does not exist"));
    }
    let tmp = temp_path(dir, stem, "png");
    let result = {
        let root = BitMapBackend::new(&tmp, PNG_SIZE).into_drawing_area();
        chart.draw(&root).and_then(|_| root.present().map_err(err))
        // `root` (and the backend) is dropped here, before cleanup.
    };
    match result {
        Ok(()) if tmp.is_file() => commit(&tmp, &dest).map(|_| dest),
        Ok(()) => Err(write_err(&dest, "image encoder wrote no file")),
        Err(msg) => {
            let _ = std::fs::remove_file(&tmp);
            Err(write_err(&dest, msg))
        }
    }
}

fn write_text(
    dest: &Path,
    dir: &Path,
    stem: &str,
    ext: &str,
    text: &str,
) -> Result<(), ChartError> {
    let tmp = temp_path(dir, stem, ext);
    if let Err(e) = std::fs::write(&tmp, text) {
        let _ = std::fs::remove_file(&tmp);
        return Err(write_err(dest, e));
    }
    commit(&tmp, dest)
}

fn write_chart(chart: ChartRef, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, ChartError> {
    let svg_dest = check_stem(dir, stem, "svg")?;
    // Render the SVG first: it validates the data without touching the disk.
    let svg = render_svg(&chart)?;
    let png = write_png(&chart, dir, stem)?;
    write_text(&svg_dest, dir, stem, "svg", &svg)?;
    Ok(vec![png, svg_dest])
}

/// Writes `<dir>/<stem>.png` and `<dir>/<stem>.svg`; returns both paths.
pub fn line_chart(chart: &LineChart, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, ChartError> {
    write_chart(ChartRef::Line(chart), dir, stem)
}

/// Writes `<dir>/<stem>.png` and `<dir>/<stem>.svg`; returns both paths.
pub fn bar_chart(chart: &BarChart, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, ChartError> {
    write_chart(ChartRef::Bar(chart), dir, stem)
}

/// SVG as a string (for embedding in HTML reports), same drawing code.
pub fn line_chart_svg(chart: &LineChart) -> Result<String, ChartError> {
    render_svg(&ChartRef::Line(chart))
}

/// SVG as a string (for embedding in HTML reports), same drawing code.
pub fn bar_chart_svg(chart: &BarChart) -> Result<String, ChartError> {
    render_svg(&ChartRef::Bar(chart))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 6] = [
        "status-quo",
        "cascade",
        "enquiry",
        "network",
        "networked-enquiry",
        "tri-level",
    ];

    fn demo_line() -> LineChart {
        let series = NAMES
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let x: Vec<f64> = (0..31).map(|i| i as f64 / 3.0).collect();
                let y: Vec<f64> = x
                    .iter()
                    .map(|t| 58.0 + k as f64 * 0.9 * t.sqrt() + 0.4 * (t * (k + 1) as f64).sin())
                    .collect();
                let lo = y.iter().map(|v| v - 1.5).collect();
                let hi = y.iter().map(|v| v + 1.5).collect();
                Series {
                    name: name.to_string(),
                    color: k,
                    x,
                    y,
                    lo: Some(lo),
                    hi: Some(hi),
                }
            })
            .collect();
        LineChart {
            title: "Mean attainment by strategy".into(),
            subtitle: Some("Shaded: 95% interval across 20 replicates".into()),
            x_label: "Year".into(),
            y_label: "Attainment (% reaching expected standard)".into(),
            series,
            y_range: None,
            x_range: None,
            hline: Some((60.0, "Baseline 60%".into())),
            vline: Some((5.0, "Support withdrawn".into())),
        }
    }

    fn demo_bar() -> BarChart {
        let categories = [
            "1 Shared vision",
            "2 Team learning",
            "3 Enquiry culture",
            "4 Collaboration",
            "5 Systems thinking",
            "6 External connection",
            "7 Learning leadership",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let groups = ["status-quo", "enquiry", "tri-level"]
            .iter()
            .enumerate()
            .map(|(g, name)| {
                let values: Vec<f64> = (0..7)
                    .map(|k| 0.3 + 0.08 * g as f64 + 0.05 * ((k * 3 + g) % 5) as f64)
                    .collect();
                BarGroup {
                    name: name.to_string(),
                    color: [0, 2, 5][g],
                    lo: Some(values.iter().map(|v| v - 0.06).collect()),
                    hi: Some(values.iter().map(|v| v + 0.06).collect()),
                    values,
                }
            })
            .collect();
        BarChart {
            title: "Learning-organisation dimensions after 10 years".into(),
            subtitle: Some("Error bars: 95% interval across 20 replicates".into()),
            y_label: "Mean score (0–1)".into(),
            categories,
            groups,
            y_range: Some((0.0, 1.0)),
        }
    }

    fn no_temp_files(dir: &Path) {
        for e in std::fs::read_dir(dir).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().to_string();
            assert!(!name.contains(".tmp"), "temp file left behind: {name}");
        }
    }

    #[test]
    fn palette_is_okabe_ito() {
        assert_eq!(palette_hex(0), "#0072B2");
        assert_eq!(palette_hex(6), "#F0E442");
        assert_eq!(palette_hex(8), "#0072B2");
        assert_eq!(palette(1), RGBColor(0xD5, 0x5E, 0x00));
        assert_eq!(line_dash(3), LineDash::Solid);
        assert_eq!(line_dash(9), LineDash::Dashed);
        assert_eq!(line_dash(17), LineDash::Dotted);
    }

    #[test]
    fn line_chart_writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let chart = demo_line();
        let paths = line_chart(&chart, dir.path(), "attainment").unwrap();
        assert_eq!(
            paths,
            vec![
                dir.path().join("attainment.png"),
                dir.path().join("attainment.svg")
            ]
        );
        let png = std::fs::read(&paths[0]).unwrap();
        assert!(png.len() > 1000);
        assert!(png.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]));
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("<svg"));
        assert!(svg.contains(&chart.title));
        for name in NAMES {
            assert!(svg.contains(name), "svg lacks series {name}");
        }
        assert_eq!(svg, line_chart_svg(&chart).unwrap());
        no_temp_files(dir.path());
    }

    #[test]
    fn output_is_deterministic() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let chart = demo_line();
        line_chart(&chart, a.path(), "c").unwrap();
        line_chart(&chart, b.path(), "c").unwrap();
        for f in ["c.png", "c.svg"] {
            let x = std::fs::read(a.path().join(f)).unwrap();
            let y = std::fs::read(b.path().join(f)).unwrap();
            assert!(x == y, "{f} differs between runs");
        }
        let bar = demo_bar();
        bar_chart(&bar, a.path(), "b").unwrap();
        bar_chart(&bar, b.path(), "b").unwrap();
        for f in ["b.png", "b.svg"] {
            let x = std::fs::read(a.path().join(f)).unwrap();
            let y = std::fs::read(b.path().join(f)).unwrap();
            assert!(x == y, "{f} differs between runs");
        }
    }

    #[test]
    fn bar_chart_writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let chart = demo_bar();
        let paths = bar_chart(&chart, dir.path(), "dims").unwrap();
        let png = std::fs::read(&paths[0]).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("<svg") && svg.contains(&chart.title));
        for g in &chart.groups {
            assert!(svg.contains(&g.name));
        }
        assert!(svg.contains("Shared") && svg.contains("leadership"));
        no_temp_files(dir.path());
    }

    #[test]
    fn nan_flat_and_single_point_inputs_do_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = demo_line();
        c.hline = None;
        c.vline = None;
        // Gaps, an all-NaN series, a flat series, a single point.
        c.series[0].y[5] = f64::NAN;
        c.series[0].x[9] = f64::NAN;
        if let Some(lo) = c.series[0].lo.as_mut() {
            lo[12] = f64::NAN;
        }
        c.series[1].y = vec![f64::NAN; 31];
        c.series[1].lo = Some(vec![f64::NAN; 31]);
        c.series[1].hi = Some(vec![f64::NAN; 31]);
        line_chart(&c, dir.path(), "gaps").unwrap();

        let flat = LineChart {
            series: vec![Series {
                name: "flat".into(),
                color: 0,
                x: vec![0.0, 1.0, 2.0],
                y: vec![0.5; 3],
                lo: None,
                hi: None,
            }],
            ..demo_line()
        };
        line_chart(&flat, dir.path(), "flat").unwrap();

        let single = LineChart {
            series: vec![Series {
                name: "one".into(),
                color: 3,
                x: vec![2.0],
                y: vec![7.0],
                lo: Some(vec![6.0]),
                hi: Some(vec![8.0]),
            }],
            hline: None,
            vline: None,
            ..demo_line()
        };
        line_chart(&single, dir.path(), "single").unwrap();

        let all_nan = LineChart {
            series: vec![Series {
                name: "nothing".into(),
                color: 0,
                x: vec![f64::NAN, 1.0],
                y: vec![f64::NAN; 2],
                lo: None,
                hi: None,
            }],
            hline: None,
            vline: None,
            ..demo_line()
        };
        line_chart(&all_nan, dir.path(), "nan").unwrap();

        // Explicit ranges that cut the data, and many series (dash cycling).
        let mut many = demo_line();
        many.y_range = Some((60.0, 63.0));
        many.x_range = Some((2.0, 8.0));
        let extra: Vec<Series> = many
            .series
            .iter()
            .map(|s| Series {
                name: format!("{} (alt)", s.name),
                color: s.color + 8,
                ..s.clone()
            })
            .collect();
        many.series.extend(extra);
        line_chart(&many, dir.path(), "many").unwrap();

        let mut bar = demo_bar();
        bar.groups[0].values[2] = f64::NAN;
        bar.groups[1].lo.as_mut().unwrap()[0] = f64::NAN;
        bar.y_range = None;
        bar_chart(&bar, dir.path(), "bar").unwrap();
        let mut flat_bar = demo_bar();
        flat_bar.y_range = None;
        for g in &mut flat_bar.groups {
            g.values = vec![0.0; 7];
            g.lo = None;
            g.hi = None;
        }
        bar_chart(&flat_bar, dir.path(), "flatbar").unwrap();
        no_temp_files(dir.path());
    }

    #[test]
    fn invalid_data_is_a_data_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = demo_line();
        c.series.clear();
        assert!(matches!(
            line_chart(&c, dir.path(), "empty"),
            Err(ChartError::Data { .. })
        ));
        let mut c = demo_line();
        c.series[2].y.pop();
        assert!(matches!(line_chart_svg(&c), Err(ChartError::Data { .. })));
        let mut c = demo_line();
        c.y_range = Some((1.0, 1.0));
        assert!(matches!(line_chart_svg(&c), Err(ChartError::Data { .. })));
        let mut b = demo_bar();
        b.groups.clear();
        assert!(matches!(
            bar_chart(&b, dir.path(), "empty"),
            Err(ChartError::Data { .. })
        ));
        let mut b = demo_bar();
        b.groups[0].values.push(0.1);
        assert!(matches!(bar_chart_svg(&b), Err(ChartError::Data { .. })));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn unwritable_directory_is_a_write_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no").join("such").join("dir");
        match line_chart(&demo_line(), &missing, "x") {
            Err(ChartError::Write { path, msg }) => {
                assert_eq!(path, missing.join("x.png"));
                let shown = ChartError::Write {
                    path: path.clone(),
                    msg,
                }
                .to_string();
                assert!(shown.contains(&missing.display().to_string()));
            }
            other => panic!("expected a write error, got {other:?}"),
        }
        // A file where the directory should be.
        let file = dir.path().join("plain-file");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            bar_chart(&demo_bar(), &file, "b"),
            Err(ChartError::Write { .. })
        ));
        // Writing over a directory fails on rename; nothing is left behind.
        std::fs::create_dir(dir.path().join("taken.png")).unwrap();
        std::fs::write(dir.path().join("taken.png").join("keep"), b"x").unwrap();
        match line_chart(&demo_line(), dir.path(), "taken") {
            Err(ChartError::Write { path, .. }) => {
                assert_eq!(path, dir.path().join("taken.png"))
            }
            other => panic!("expected a write error, got {other:?}"),
        }
        no_temp_files(dir.path());
    }

    /// Renders the demo charts to `ORGLEARN_CHART_DIR` for visual inspection.
    #[test]
    fn render_demo_charts_when_asked() {
        let Ok(dir) = std::env::var("ORGLEARN_CHART_DIR") else {
            return;
        };
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        line_chart(&demo_line(), &dir, "line").unwrap();
        bar_chart(&demo_bar(), &dir, "bar").unwrap();
        let mut many = demo_line();
        let extra: Vec<Series> = many
            .series
            .iter()
            .map(|s| Series {
                name: format!("{} v2", s.name),
                color: s.color + 6,
                ..s.clone()
            })
            .collect();
        many.series.extend(extra);
        many.y_range = Some((60.0, 66.0));
        many.x_range = Some((1.0, 9.0));
        line_chart(&many, &dir, "many").unwrap();
        let crowded = LineChart {
            series: (0..26)
                .map(|k| Series {
                    name: format!("strategy number {k}"),
                    color: k,
                    x: vec![0.0, 5.0, 10.0],
                    y: vec![k as f64, k as f64 + 2.0, k as f64 + 1.0],
                    lo: None,
                    hi: None,
                })
                .collect(),
            hline: None,
            vline: None,
            subtitle: None,
            ..demo_line()
        };
        line_chart(&crowded, &dir, "crowded").unwrap();
    }
}
