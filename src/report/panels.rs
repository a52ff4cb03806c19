//! Charts of several panels: Coburn's four dimensions of scale over the
//! years (2 x 2 line panels), and the seven SLO dimensions at three years
//! (grouped bars, one panel per year). Drawn through plotters so the PNG
//! and the SVG show the same thing; strategy colours are those of
//! `charts::palette`, as in every other chart.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::charts::palette;
use crate::stats::Summary;

const FONT: &str = "sans-serif";
const FONT_K: f64 = 1.24;
const TEXT: RGBColor = RGBColor(26, 26, 26);
const SUBTEXT: RGBColor = RGBColor(77, 77, 77);
const GRID: RGBColor = RGBColor(221, 221, 221);

/// Size of the Coburn chart.
pub const COBURN_SIZE: (u32, u32) = (1600, 1150);
/// Size of the SLO chart.
pub const SLO_SIZE: (u32, u32) = (1600, 1500);

fn font(px: f64) -> TextStyle<'static> {
    (FONT, px * FONT_K).into_font().color(&TEXT)
}

fn bold(px: f64) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FONT), px * FONT_K, FontStyle::Bold).color(&TEXT)
}

type R<T> = Result<T, String>;

fn e<E: std::fmt::Display>(x: E) -> String {
    x.to_string()
}

/// One line panel: a title, a y label, and per strategy a summary per year.
pub struct LinePanel {
    pub title: String,
    pub y_label: String,
    /// `[strategy][year]`.
    pub series: Vec<Vec<Summary>>,
    /// Said in the panel when no value is defined.
    pub empty_note: String,
    /// Keep the axis from 0 up (levels that cannot be negative).
    pub from_zero: bool,
    /// A dashed reference line at this value, with its label.
    pub reference: Option<(f64, String)>,
}

/// The Coburn chart's data.
pub struct Coburn {
    pub title: String,
    pub subtitle: String,
    pub names: Vec<String>,
    pub years: u32,
    pub withdraw_year: Option<u32>,
    pub panels: [LinePanel; 4],
}

/// Strategy names in a row (wrapping), each with its colour; returns the
/// height used.
fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    names: &[String],
    top: i32,
    bars: bool,
) -> R<i32> {
    let (w, _) = root.dim_in_pixel();
    let style = font(22.0);
    let (mut x, mut y) = (30i32, top);
    let row = 34;
    for (i, n) in names.iter().enumerate() {
        let tw = root
            .estimate_text_size(n, &style)
            .map(|(w, _)| w as i32)
            .unwrap_or(12 * n.len() as i32);
        let item = 44 + tw + 30;
        if x + item > w as i32 - 20 && x > 30 {
            x = 30;
            y += row;
        }
        let c = palette(i);
        if bars {
            root.draw(&Rectangle::new([(x, y + 6), (x + 30, y + 26)], c.filled()))
                .map_err(e)?;
        } else {
            root.draw(&PathElement::new(
                vec![(x, y + 16), (x + 34, y + 16)],
                c.stroke_width(5),
            ))
            .map_err(e)?;
        }
        root.draw(&Text::new(
            n.clone(),
            (x + 44, y + 16),
            style.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(e)?;
        x += item;
    }
    Ok(y + row - top)
}

fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> R<i32> {
    root.fill(&WHITE).map_err(e)?;
    root.draw(&Text::new(
        title.to_string(),
        (30, 36),
        bold(34.0).pos(Pos::new(HPos::Left, VPos::Center)),
    ))
    .map_err(e)?;
    root.draw(&Text::new(
        subtitle.to_string(),
        (30, 78),
        font(21.0)
            .color(&SUBTEXT)
            .pos(Pos::new(HPos::Left, VPos::Center)),
    ))
    .map_err(e)?;
    Ok(100)
}

fn range_of(series: &[Vec<Summary>], from_zero: bool) -> Option<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for s in series.iter().flatten() {
        for v in [s.mean, s.lo, s.hi] {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    if !lo.is_finite() {
        return None;
    }
    if from_zero {
        lo = lo.min(0.0);
    }
    let pad = ((hi - lo) * 0.08).max(1e-3);
    Some((
        if from_zero && lo >= 0.0 {
            0.0
        } else {
            lo - pad
        },
        hi + pad,
    ))
}

fn line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &LinePanel,
    years: u32,
    withdraw: Option<u32>,
) -> R<()> {
    let Some((y0, y1)) = range_of(&p.series, p.from_zero) else {
        let (w, h) = area.dim_in_pixel();
        area.draw(&Text::new(
            p.title.clone(),
            (20, 24),
            bold(24.0).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(e)?;
        let mut y = h as i32 / 2 - 30;
        for line in super::network_pictures::wrap(&p.empty_note, (w as usize / 12).max(20)) {
            area.draw(&Text::new(
                line,
                (30, y),
                font(21.0)
                    .color(&SUBTEXT)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(e)?;
            y += 28;
        }
        return Ok(());
    };
    let x1 = years.max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(p.title.clone(), bold(24.0))
        .margin(12)
        .margin_right(28)
        .x_label_area_size(62)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..x1, y0..y1)
        .map_err(e)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(RGBColor(77, 77, 77))
        .label_style(font(19.0))
        .axis_desc_style(font(21.0))
        .x_desc("Year")
        .y_desc(p.y_label.clone())
        .x_labels((years as usize + 1).min(11))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_labels(6)
        .draw()
        .map_err(e)?;
    if let Some((v, label)) = &p.reference
        && (y0..=y1).contains(v)
    {
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                vec![(0.0, *v), (x1, *v)],
                10,
                8,
                RGBColor(51, 51, 51).stroke_width(2),
            )))
            .map_err(e)?;
        let (px, py) = chart.backend_coord(&(0.0, *v));
        area.draw(&Text::new(
            label.clone(),
            (
                px - area.get_base_pixel().0 + 8,
                py - area.get_base_pixel().1 - 14,
            ),
            font(18.0)
                .color(&SUBTEXT)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(e)?;
    }
    if let Some(wy) = withdraw {
        let wy = wy as f64;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(wy, y0), (wy, y1)],
                RGBColor(51, 51, 51).stroke_width(2),
            )))
            .map_err(e)?;
    }
    for (s, ser) in p.series.iter().enumerate() {
        let c = palette(s);
        // Bands over runs of finite intervals.
        let mut run: Vec<(f64, f64, f64)> = Vec::new();
        let flush =
            |run: &mut Vec<(f64, f64, f64)>, chart: &mut ChartContext<'_, DB, _>| -> R<()> {
                if run.len() > 1 {
                    let mut pts: Vec<(f64, f64)> = run.iter().map(|&(x, lo, _)| (x, lo)).collect();
                    pts.extend(run.iter().rev().map(|&(x, _, hi)| (x, hi)));
                    chart
                        .draw_series(std::iter::once(Polygon::new(pts, c.mix(0.18).filled())))
                        .map_err(e)?;
                }
                run.clear();
                Ok(())
            };
        for (y, v) in ser.iter().enumerate() {
            if v.lo.is_finite() && v.hi.is_finite() {
                run.push((y as f64, v.lo.max(y0), v.hi.min(y1)));
            } else {
                flush(&mut run, &mut chart)?;
            }
        }
        flush(&mut run, &mut chart)?;
        let mut seg: Vec<(f64, f64)> = Vec::new();
        let mut segs = Vec::new();
        for (y, v) in ser.iter().enumerate() {
            if v.mean.is_finite() {
                seg.push((y as f64, v.mean));
            } else if !seg.is_empty() {
                segs.push(std::mem::take(&mut seg));
            }
        }
        if !seg.is_empty() {
            segs.push(seg);
        }
        for seg in segs {
            if seg.len() == 1 {
                chart
                    .draw_series(std::iter::once(Circle::new(seg[0], 5, c.filled())))
                    .map_err(e)?;
            } else {
                chart
                    .draw_series(LineSeries::new(seg, c.stroke_width(4)))
                    .map_err(e)?;
            }
        }
    }
    Ok(())
}

/// Draw the Coburn chart.
pub fn draw_coburn<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Coburn) -> R<()> {
    crate::charts::register_fonts();
    let top = header(root, &c.title, &c.subtitle)?;
    let used = legend(root, &c.names, top, false)?;
    let body = root.margin((top + used + 6) as u32, 0, 0, 0);
    let cells = body.split_evenly((2, 2));
    for (area, p) in cells.iter().zip(&c.panels) {
        line_panel(area, p, c.years, c.withdraw_year)?;
    }
    root.present().map_err(e)
}

/// The SLO chart's data.
pub struct Slo {
    pub title: String,
    pub subtitle: String,
    pub names: Vec<String>,
    /// Category labels (the seven dimensions).
    pub dims: Vec<String>,
    /// Panels: `(panel title, [strategy][dimension])`.
    pub panels: Vec<(String, Vec<Vec<Summary>>)>,
}

fn bar_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    dims: &[String],
    vals: &[Vec<Summary>],
) -> R<()> {
    let nd = dims.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(title, bold(24.0))
        .margin(10)
        .margin_right(20)
        .x_label_area_size(58)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..nd as f64, 0f64..1.0)
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(RGBColor(77, 77, 77))
        .label_style(font(19.0))
        .axis_desc_style(font(21.0))
        .y_desc("Score (0–1)")
        .x_labels(0)
        .y_labels(6)
        .draw()
        .map_err(e)?;
    let ns = vals.len().max(1);
    let bw = 0.84 / ns as f64;
    for (s, v) in vals.iter().enumerate() {
        let c = palette(s);
        for (d, m) in v.iter().enumerate() {
            if !m.mean.is_finite() {
                continue;
            }
            let x0 = d as f64 + 0.08 + s as f64 * bw;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, 0.0), (x0 + bw * 0.9, m.mean.clamp(0.0, 1.0))],
                    c.filled(),
                )))
                .map_err(e)?;
            if m.lo.is_finite() && m.hi.is_finite() && m.hi - m.lo > 1e-6 {
                let xm = x0 + bw * 0.45;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(xm, m.lo.clamp(0.0, 1.0)), (xm, m.hi.clamp(0.0, 1.0))],
                        BLACK.stroke_width(2),
                    )))
                    .map_err(e)?;
            }
        }
    }
    // Category names under the bars.
    for (d, name) in dims.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(d as f64 + 0.5, 0.0));
        let words = super::network_pictures::wrap(name, 18);
        for (k, line) in words.iter().enumerate() {
            area.draw(&Text::new(
                line.clone(),
                (
                    px - area.get_base_pixel().0,
                    py - area.get_base_pixel().1 + 16 + 24 * k as i32,
                ),
                font(19.0).pos(Pos::new(HPos::Center, VPos::Center)),
            ))
            .map_err(e)?;
        }
    }
    Ok(())
}

/// Draw the SLO chart.
pub fn draw_slo<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, s: &Slo) -> R<()> {
    crate::charts::register_fonts();
    let top = header(root, &s.title, &s.subtitle)?;
    let used = legend(root, &s.names, top, true)?;
    let body = root.margin((top + used + 6) as u32, 0, 0, 0);
    let rows = body.split_evenly((s.panels.len().max(1), 1));
    for (area, (title, vals)) in rows.iter().zip(&s.panels) {
        bar_panel(area, title, &s.dims, vals)?;
    }
    root.present().map_err(e)
}

/// Render with the SVG backend into a string.
pub fn to_svg(size: (u32, u32), f: impl Fn(&DrawingArea<SVGBackend, Shift>) -> R<()>) -> R<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        f(&root)?;
    }
    Ok(buf)
}

/// Render with the bitmap backend into a PNG file.
pub fn to_png(
    path: &std::path::Path,
    size: (u32, u32),
    f: impl Fn(&DrawingArea<BitMapBackend, Shift>) -> R<()>,
) -> R<()> {
    let root = BitMapBackend::new(path, size).into_drawing_area();
    f(&root)?;
    root.present().map_err(e)
}
