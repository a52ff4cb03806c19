//! Charts of two-lever grids: a heatmap of one output, and a regime map
//! (which strategy leads in each cell, by how much, and where the lead is
//! not clear). Drawn with plotters directly, in the look of `crate::charts`
//! (same font, palette, sizes; PNG 1600x1000 and SVG 1200x750 with
//! everything scaled in proportion), by one backend-generic routine per
//! chart, so the PNG and the SVG always show the same thing. Files are
//! written to a temporary name and renamed into place.

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

use crate::charts::{
    AXIS, AXIS_PX, FONT_K, LEGEND_PX, MARGIN, PNG_SIZE, SUBTEXT, SUBTITLE_PX, SVG_SIZE, TEXT,
    TICK_PX, TITLE_PX, palette, register_fonts,
};

const FONT: &str = "sans-serif";
const MISSING: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);
const HATCH: RGBColor = RGBColor(0xA6, 0xA6, 0xA6);
const CELL_PX: f64 = 24.0;

/// The frame shared by both charts: titles, axes and the lever values.
#[derive(Clone, Debug)]
pub struct Frame {
    pub title: String,
    pub subtitle: String,
    /// Horizontal lever (columns), with units.
    pub x_label: String,
    /// Vertical lever (rows, first value at the bottom), with units.
    pub y_label: String,
    pub x_ticks: Vec<String>,
    pub y_ticks: Vec<String>,
}

/// A heatmap: `values[x][y]` (NaN: no value).
#[derive(Clone, Debug)]
pub struct Heatmap {
    pub frame: Frame,
    pub values: Vec<Vec<f64>>,
    /// What the colour shows, with units (heads the colour bar).
    pub value_label: String,
}

/// One cell of a regime map.
#[derive(Clone, Copy, Debug)]
pub struct RegimeCell {
    /// Index of the leading strategy in [`RegimeMap::strategies`] (`None`: no data).
    pub leader: Option<usize>,
    /// Mean lead over the runner-up.
    pub lead: f64,
    /// The leader's and the runner-up's 95% intervals do not overlap.
    pub decided: bool,
}

/// A regime map: `cells[x][y]`.
#[derive(Clone, Debug)]
pub struct RegimeMap {
    pub frame: Frame,
    pub cells: Vec<Vec<RegimeCell>>,
    /// Strategy names and palette indices.
    pub strategies: Vec<(String, usize)>,
}

type Res<T> = std::result::Result<T, String>;

fn e<E: std::fmt::Display>(x: E) -> String {
    x.to_string()
}

struct Cv<'a, DB: DrawingBackend> {
    root: &'a DrawingArea<DB, Shift>,
    s: f64,
    w: i32,
    h: i32,
}

impl<DB: DrawingBackend> Cv<'_, DB> {
    fn px(&self, v: f64) -> i32 {
        (v * self.s).round() as i32
    }
    fn font(&self, nominal: f64) -> TextStyle<'static> {
        (FONT, nominal * FONT_K * self.s).into_font().color(&TEXT)
    }
    fn tw(&self, text: &str, style: &TextStyle) -> i32 {
        self.root
            .estimate_text_size(text, style)
            .map(|(w, _)| w as i32)
            .unwrap_or((text.chars().count() as f64 * style.font.get_size() * 0.6) as i32)
    }
    fn text(&self, t: &str, at: (i32, i32), style: TextStyle) -> Res<()> {
        self.root
            .draw(&Text::new(t.to_string(), at, style))
            .map_err(e)
    }
    fn rect(&self, a: (i32, i32), b: (i32, i32), c: RGBColor) -> Res<()> {
        self.root
            .draw(&Rectangle::new([a, b], c.filled()))
            .map_err(e)
    }
    fn line(&self, pts: Vec<(i32, i32)>, c: RGBColor, w: f64) -> Res<()> {
        let style = ShapeStyle {
            color: c.to_rgba(),
            filled: false,
            stroke_width: ((w * self.s).round() as u32).max(1),
        };
        self.root.draw(&PathElement::new(pts, style)).map_err(e)
    }
    /// Word-wrap into lines no wider than `max_w`.
    fn wrap(&self, text: &str, style: &TextStyle, max_w: i32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut cur = String::new();
        for word in text.split_whitespace() {
            let cand = if cur.is_empty() {
                word.to_string()
            } else {
                format!("{cur} {word}")
            };
            if cur.is_empty() || self.tw(&cand, style) <= max_w {
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
    /// The largest nominal size <= `nominal` at which `text` fits `max_w`.
    fn fit(&self, text: &str, nominal: f64, min: f64, max_w: i32) -> f64 {
        let w = self.tw(text, &self.font(nominal));
        if w <= max_w || w == 0 {
            nominal
        } else {
            (nominal * max_w as f64 / w as f64).max(min)
        }
    }
}

/// Where the cells are.
struct Cells {
    x0: f64,
    y1: f64,
    cw: f64,
    ch: f64,
}

impl Cells {
    /// Pixel corners of cell (i, j); row 0 at the bottom.
    fn rect(&self, i: usize, j: usize) -> ((i32, i32), (i32, i32)) {
        let a = (
            (self.x0 + i as f64 * self.cw).round() as i32,
            (self.y1 - (j + 1) as f64 * self.ch).round() as i32,
        );
        let b = (
            (self.x0 + (i + 1) as f64 * self.cw).round() as i32,
            (self.y1 - j as f64 * self.ch).round() as i32,
        );
        (a, b)
    }
}

/// Titles, axis labels and lever values; returns the cell layout. The
/// right `right_w` pixels are left for a legend.
fn frame<DB: DrawingBackend>(cv: &Cv<DB>, f: &Frame, right_w: i32) -> Res<Cells> {
    let left = cv.px(MARGIN);
    let avail = cv.w - 2 * left;
    let mut y = cv.px(22.0);
    let tsize = cv.fit(&f.title, TITLE_PX, 24.0, avail);
    cv.text(
        &f.title,
        (left, y),
        cv.font(tsize).pos(Pos::new(HPos::Left, VPos::Top)),
    )?;
    y += cv.px(tsize * 1.35);
    let sstyle = cv.font(SUBTITLE_PX).color(&SUBTEXT);
    for line in cv.wrap(&f.subtitle, &sstyle, avail).iter().take(3) {
        cv.text(
            line,
            (left, y),
            sstyle.clone().pos(Pos::new(HPos::Left, VPos::Top)),
        )?;
        y += cv.px(SUBTITLE_PX * 1.4);
    }
    let top = y + cv.px(16.0);

    let tick = cv.font(TICK_PX);
    let axis = cv.font(AXIS_PX);
    let ytick_w = f.y_ticks.iter().map(|t| cv.tw(t, &tick)).max().unwrap_or(0);
    let x0 = left + cv.px(AXIS_PX * 1.4) + ytick_w + cv.px(14.0);
    let x1 = cv.w - right_w - cv.px(MARGIN);
    let y1 = cv.h - cv.px(MARGIN) - cv.px(AXIS_PX * 1.4) - cv.px(TICK_PX * 1.3) - cv.px(20.0);
    let (nx, ny) = (f.x_ticks.len().max(1), f.y_ticks.len().max(1));
    let cells = Cells {
        x0: x0 as f64,
        y1: y1 as f64,
        cw: (x1 - x0) as f64 / nx as f64,
        ch: (y1 - top) as f64 / ny as f64,
    };

    // Tick labels: every k-th when they would collide.
    let xw = f.x_ticks.iter().map(|t| cv.tw(t, &tick)).max().unwrap_or(0) as f64;
    let kx = ((xw + cv.px(12.0) as f64) / cells.cw).ceil().max(1.0) as usize;
    for (i, t) in f.x_ticks.iter().enumerate() {
        if i % kx != 0 {
            continue;
        }
        let cx = (cells.x0 + (i as f64 + 0.5) * cells.cw).round() as i32;
        cv.line(vec![(cx, y1), (cx, y1 + cv.px(8.0))], AXIS, 2.0)?;
        cv.text(
            t,
            (cx, y1 + cv.px(12.0)),
            tick.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        )?;
    }
    let ky = ((TICK_PX * 1.2 * cv.s) / cells.ch).ceil().max(1.0) as usize;
    for (j, t) in f.y_ticks.iter().enumerate() {
        if j % ky != 0 {
            continue;
        }
        let cy = (cells.y1 - (j as f64 + 0.5) * cells.ch).round() as i32;
        cv.line(vec![(x0 - cv.px(8.0), cy), (x0, cy)], AXIS, 2.0)?;
        cv.text(
            t,
            (x0 - cv.px(12.0), cy),
            tick.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        )?;
    }
    // Axis labels.
    let xs = cv.fit(&f.x_label, AXIS_PX, 16.0, x1 - x0);
    cv.text(
        &f.x_label,
        ((x0 + x1) / 2, cv.h - cv.px(MARGIN)),
        cv.font(xs).pos(Pos::new(HPos::Center, VPos::Bottom)),
    )?;
    let ys = cv.fit(&f.y_label, AXIS_PX, 16.0, y1 - top);
    cv.text(
        &f.y_label,
        (left, (top + y1) / 2),
        cv.font(ys)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    )?;
    let _ = axis;
    Ok(cells)
}

/// Dark text on light fills, white on dark ones.
fn ink(c: RGBColor) -> RGBColor {
    let l = 0.2126 * c.0 as f64 + 0.7152 * c.1 as f64 + 0.0722 * c.2 as f64;
    if l > 140.0 {
        TEXT
    } else {
        RGBColor(0xFF, 0xFF, 0xFF)
    }
}

fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let m = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * t).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

/// Viridis (sequential), through five anchors.
fn viridis(t: f64) -> RGBColor {
    const A: [(u8, u8, u8); 5] = [
        (0x44, 0x01, 0x54),
        (0x3B, 0x52, 0x8B),
        (0x21, 0x91, 0x8C),
        (0x5E, 0xC9, 0x62),
        (0xFD, 0xE7, 0x25),
    ];
    let t = t.clamp(0.0, 1.0) * 4.0;
    let k = (t.floor() as usize).min(3);
    let (a, b) = (A[k], A[k + 1]);
    mix(
        RGBColor(a.0, a.1, a.2),
        RGBColor(b.0, b.1, b.2),
        t - k as f64,
    )
}

/// Blue - white - orange (diverging around 0), `t` in [-1, 1].
fn diverging(t: f64) -> RGBColor {
    let white = RGBColor(0xF7, 0xF7, 0xF7);
    if t < 0.0 {
        mix(white, RGBColor(0x21, 0x66, 0xAC), -t.max(-1.0))
    } else {
        mix(white, RGBColor(0xB3, 0x58, 0x06), t.min(1.0))
    }
}

/// Decimals that show numbers of size `span` to `sig` significant digits.
fn decimals(span: f64, sig: i32) -> usize {
    if !span.is_finite() || span == 0.0 {
        return 2;
    }
    (sig - 1 - span.abs().log10().floor() as i32).clamp(0, 6) as usize
}

/// `v` with `dec` decimals, without a minus sign on a rounded zero.
fn num(v: f64, dec: usize) -> String {
    let s = format!("{v:.dec$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Round tick values (1, 2 or 5 times a power of ten) covering `[lo, hi]`.
fn nice_ticks(lo: f64, hi: f64) -> (Vec<f64>, usize) {
    if !hi.is_finite() || !lo.is_finite() || hi <= lo {
        return (vec![lo], decimals(lo, 3));
    }
    let raw = (hi - lo) / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    let ticks = (first..=last).map(|k| k as f64 * step).collect();
    let dec = (-(step.log10().floor()) as i32).max(0) as usize;
    (ticks, dec)
}

fn draw_heatmap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, h: &Heatmap, s: f64) -> Res<()> {
    root.fill(&WHITE).map_err(e)?;
    let (w, hh) = root.dim_in_pixel();
    let cv = Cv {
        root,
        s,
        w: w as i32,
        h: hh as i32,
    };
    let finite: Vec<f64> = h
        .values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let div = lo < 0.0 && hi > 0.0;
    let amax = lo.abs().max(hi.abs());
    let (vlo, vhi) = if div { (-amax, amax) } else { (lo, hi) };
    let colour = |v: f64| -> RGBColor {
        if !v.is_finite() {
            MISSING
        } else if div {
            diverging(v / amax)
        } else if vhi > vlo {
            viridis((v - vlo) / (vhi - vlo))
        } else {
            viridis(0.5)
        }
    };
    let dec = decimals(amax.max((hi - lo).abs()), 3);

    // The colour bar takes the right.
    let bar_w = cv.px(36.0);
    let tick = cv.font(TICK_PX);
    let (ticks, tdec) = nice_ticks(vlo, vhi);
    let tick_w = ticks
        .iter()
        .map(|v| cv.tw(&num(*v, tdec), &tick))
        .max()
        .unwrap_or(0);
    // Wide enough for the ticks and for the longest word of the label.
    let lstyle = cv.font(LEGEND_PX);
    let word_w = h
        .value_label
        .split_whitespace()
        .map(|w| cv.tw(w, &lstyle))
        .max()
        .unwrap_or(0)
        .min((cv.w as f64 * 0.25) as i32);
    let right_w = (bar_w + cv.px(12.0) + tick_w + cv.px(20.0))
        .max(word_w + cv.px(30.0))
        .max(cv.px(200.0));
    let cells = frame(&cv, &h.frame, right_w)?;

    let nx = h.values.len();
    let ny = h.values.first().map_or(0, Vec::len);
    let gap = cv.px(2.0).max(1);
    let cell_font = (CELL_PX * s).min(cells.ch * 0.45).min(cells.cw * 0.3) / s;
    for i in 0..nx {
        for j in 0..ny {
            let v = h.values[i][j];
            let (a, b) = cells.rect(i, j);
            let c = colour(v);
            let text_colour = ink(c);
            cv.rect((a.0 + gap, a.1 + gap), (b.0 - gap, b.1 - gap), c)?;
            if cell_font >= 11.0 {
                let t = if v.is_finite() {
                    num(v, dec)
                } else {
                    "—".into()
                };
                let size = cv.fit(&t, cell_font, 9.0, (cells.cw * 0.9) as i32);
                cv.text(
                    &t,
                    ((a.0 + b.0) / 2, (a.1 + b.1) / 2),
                    cv.font(size)
                        .color(&text_colour)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )?;
            }
        }
    }

    // Colour bar: label on top, gradient, ticks.
    let bx = cv.w - right_w + cv.px(10.0);
    let label_lines = cv.wrap(&h.value_label, &lstyle, right_w - cv.px(20.0));
    let mut ly = (cells.y1 - ny as f64 * cells.ch) as i32;
    for l in &label_lines {
        cv.text(
            l,
            (bx, ly),
            lstyle.clone().pos(Pos::new(HPos::Left, VPos::Top)),
        )?;
        ly += cv.px(LEGEND_PX * 1.3);
    }
    let by0 = ly + cv.px(14.0);
    let by1 = cells.y1 as i32;
    let steps = (by1 - by0).max(1);
    for k in 0..steps {
        let t = 1.0 - k as f64 / steps as f64;
        let v = vlo + (vhi - vlo) * t;
        cv.rect((bx, by0 + k), (bx + bar_w, by0 + k + 1), colour(v))?;
    }
    for v in &ticks {
        let t = if vhi > vlo {
            (v - vlo) / (vhi - vlo)
        } else {
            0.5
        };
        let y = by1 - ((by1 - by0) as f64 * t).round() as i32;
        cv.line(
            vec![(bx + bar_w, y), (bx + bar_w + cv.px(8.0), y)],
            AXIS,
            2.0,
        )?;
        cv.text(
            &num(*v, tdec),
            (bx + bar_w + cv.px(12.0), y),
            tick.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        )?;
    }
    Ok(())
}

fn draw_regime<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &RegimeMap,
    s: f64,
) -> Res<()> {
    root.fill(&WHITE).map_err(e)?;
    let (w, hh) = root.dim_in_pixel();
    let cv = Cv {
        root,
        s,
        w: w as i32,
        h: hh as i32,
    };
    let lstyle = cv.font(LEGEND_PX);
    let undecided = "no clear leader (95% intervals overlap)";
    let sw = cv.px(40.0);
    let max_text = (cv.w as f64 * 0.2) as i32;
    // Legend entries: each strategy with the number of cells it leads.
    let names: Vec<String> = (0..m.strategies.len())
        .map(|k| {
            let n = m
                .cells
                .iter()
                .flatten()
                .filter(|c| c.leader == Some(k))
                .count();
            format!("{} ({n})", m.strategies[k].0)
        })
        .collect();
    let text_w = names
        .iter()
        .map(|n| cv.tw(n, &lstyle).min(max_text))
        .max()
        .unwrap_or(0)
        .max(cv.px(200.0));
    let right_w = sw + cv.px(14.0) + text_w + cv.px(24.0);
    let cells = frame(&cv, &m.frame, right_w)?;
    let lead_abs = m
        .cells
        .iter()
        .flatten()
        .filter(|c| c.leader.is_some())
        .map(|c| c.lead.abs())
        .fold(0.0, f64::max);
    let dec = decimals(lead_abs, 2).max(1);
    let gap = cv.px(2.0).max(1);
    let cell_font = (CELL_PX * s).min(cells.ch * 0.45).min(cells.cw * 0.3) / s;

    let pale = |c: RGBColor| mix(c, RGBColor(0xFF, 0xFF, 0xFF), 0.6);
    let hatch = |a: (i32, i32), b: (i32, i32)| -> Res<()> {
        // Diagonal lines, clipped to the cell.
        let step = cv.px(20.0).max(4);
        let (w, h) = (b.0 - a.0, b.1 - a.1);
        let mut k = -h;
        while k < w {
            let (mut xs, mut ys) = (a.0 + k, b.1);
            let (mut xe, mut ye) = (a.0 + k + h, a.1);
            if xs < a.0 {
                ys -= a.0 - xs;
                xs = a.0;
            }
            if xe > b.0 {
                ye += xe - b.0;
                xe = b.0;
            }
            if xe > xs {
                cv.line(vec![(xs, ys), (xe, ye)], HATCH, 1.2)?;
            }
            k += step;
        }
        Ok(())
    };
    for (i, col) in m.cells.iter().enumerate() {
        for (j, c) in col.iter().enumerate() {
            let (a, b) = cells.rect(i, j);
            let (a, b) = ((a.0 + gap, a.1 + gap), (b.0 - gap, b.1 - gap));
            let Some(l) = c.leader else {
                cv.rect(a, b, MISSING)?;
                continue;
            };
            let base = palette(m.strategies[l].1);
            let fill = if c.decided { base } else { pale(base) };
            cv.rect(a, b, fill)?;
            if !c.decided {
                hatch(a, b)?;
            }
            if cell_font >= 11.0 {
                let t = if c.decided {
                    format!("+{}", num(c.lead, dec))
                } else {
                    format!("(+{})", num(c.lead, dec))
                };
                let size = cv.fit(&t, cell_font, 9.0, (cells.cw * 0.9) as i32);
                let text_colour = ink(fill);
                let style = cv
                    .font(size)
                    .color(&text_colour)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                let centre = ((a.0 + b.0) / 2, (a.1 + b.1) / 2);
                if !c.decided {
                    // A white plate keeps the number legible over the hatching.
                    let tw = cv.tw(&t, &style);
                    let th = cv.px(size * 1.1);
                    cv.rect(
                        (centre.0 - tw / 2 - cv.px(4.0), centre.1 - th / 2),
                        (centre.0 + tw / 2 + cv.px(4.0), centre.1 + th / 2),
                        RGBColor(0xFF, 0xFF, 0xFF),
                    )?;
                }
                cv.text(&t, centre, style)?;
            }
        }
    }

    // Legend: one swatch per strategy, then the undecided swatch.
    let x = cv.w - right_w + cv.px(10.0);
    let mut y = (cells.y1 - cells.ch * m.cells.first().map_or(0, Vec::len) as f64) as i32;
    let row_h = cv.px(LEGEND_PX * 1.8);
    let head = cv.font(LEGEND_PX);
    cv.text(
        "Leading strategy (cells)",
        (x, y),
        head.pos(Pos::new(HPos::Left, VPos::Top)),
    )?;
    y += row_h;
    let tstyle = lstyle.clone().pos(Pos::new(HPos::Left, VPos::Center));
    let bh = cv.px(13.0);
    for (name, (_, c)) in names.iter().zip(&m.strategies) {
        let yc = y + row_h / 2;
        cv.rect((x, yc - bh), (x + sw, yc + bh), palette(*c))?;
        cv.text(name, (x + sw + cv.px(14.0), yc), tstyle.clone())?;
        y += row_h;
    }
    y += cv.px(10.0);
    let lines = cv.wrap(undecided, &lstyle, text_w);
    let yc = y + row_h / 2;
    let (a, b) = ((x, yc - bh), (x + sw, yc + bh));
    cv.rect(a, b, pale(RGBColor(0x99, 0x99, 0x99)))?;
    hatch(a, b)?;
    for (k, l) in lines.iter().enumerate() {
        cv.text(
            l,
            (
                x + sw + cv.px(14.0),
                yc + k as i32 * cv.px(LEGEND_PX * 1.25),
            ),
            tstyle.clone(),
        )?;
    }
    Ok(())
}

enum Chart<'a> {
    Heat(&'a Heatmap),
    Regime(&'a RegimeMap),
}

impl Chart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> Res<()> {
        match self {
            Chart::Heat(h) => draw_heatmap(root, h, s),
            Chart::Regime(m) => draw_regime(root, m, s),
        }
    }
}

fn write(chart: Chart, dir: &Path, stem: &str) -> Result<Vec<PathBuf>> {
    register_fonts();
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SVG_SIZE).into_drawing_area();
        chart
            .draw(&root, SVG_SIZE.0 as f64 / PNG_SIZE.0 as f64)
            .and_then(|_| root.present().map_err(e))
            .map_err(|m| anyhow!("cannot draw {}: {m}", svg.display()))?;
    }
    let tmp = dir.join(format!(".{stem}.tmp-{}.png", std::process::id()));
    let drawn = {
        let root = BitMapBackend::new(&tmp, PNG_SIZE).into_drawing_area();
        chart
            .draw(&root, 1.0)
            .and_then(|_| root.present().map_err(e))
    };
    if let Err(m) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(anyhow!("cannot draw {}: {m}", png.display()));
    }
    std::fs::rename(&tmp, &png).with_context(|| format!("cannot write {}", png.display()))?;
    crate::output::atomic_write(&svg, |w| w.write_all(text.as_bytes()))?;
    Ok(vec![png, svg])
}

/// Writes `<dir>/<stem>.png` and `.svg`.
pub fn heatmap(h: &Heatmap, dir: &Path, stem: &str) -> Result<Vec<PathBuf>> {
    write(Chart::Heat(h), dir, stem)
}

/// Writes `<dir>/<stem>.png` and `.svg`.
pub fn regime_map(m: &RegimeMap, dir: &Path, stem: &str) -> Result<Vec<PathBuf>> {
    write(Chart::Regime(m), dir, stem)
}
