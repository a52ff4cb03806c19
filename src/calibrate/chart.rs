//! The posterior predictive chart: observed points with error bars, the
//! model's 50% and 90% posterior predictive bands and median.

use plotters::prelude::*;
use std::path::Path;

use super::summary::Bands;
use crate::charts::{FONT_K, PNG_SIZE, palette, register_fonts};

/// What the chart shows.
pub struct Predictive<'a> {
    pub title: &'a str,
    pub subtitle: &'a str,
    pub y_label: &'a str,
    pub years: &'a [i64],
    pub observed: &'a [f64],
    pub se: &'a [f64],
    pub bands: &'a Bands,
    /// Points from this index on were held out of the fit (drawn hollow).
    pub fitted: usize,
}

/// Draw `c` to `path` (PNG), atomically.
pub fn draw(c: &Predictive, path: &Path) -> Result<(), String> {
    register_fonts();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("chart.png");
    let tmp = path.with_file_name(format!(".tmp-{}-{name}", std::process::id()));
    let result = draw_to(c, &tmp);
    match result {
        Ok(()) => std::fs::rename(&tmp, path).map_err(|e| e.to_string()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn draw_to(c: &Predictive, tmp: &Path) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let root = BitMapBackend::new(tmp, PNG_SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let font = |px: f64| ("sans-serif", px * FONT_K).into_font();
    let (top, rest) = root.split_vertically(130);
    top.draw(&Text::new(c.title, (40, 20), font(40.0)))
        .map_err(|e| err(&e))?;
    top.draw(&Text::new(
        c.subtitle,
        (40, 78),
        font(24.0).color(&RGBColor(0x4D, 0x4D, 0x4D)),
    ))
    .map_err(|e| err(&e))?;
    let x0 = c.years[0] as f64 - 0.5;
    let x1 = *c.years.last().unwrap_or(&0) as f64 + 0.5;
    let lo = c
        .bands
        .lo90
        .iter()
        .chain(
            c.observed
                .iter()
                .zip(c.se)
                .map(|(v, s)| v - 1.96 * s)
                .collect::<Vec<_>>()
                .iter(),
        )
        .fold(f64::INFINITY, |a, &b| a.min(b));
    let hi = c
        .bands
        .hi90
        .iter()
        .chain(
            c.observed
                .iter()
                .zip(c.se)
                .map(|(v, s)| v + 1.96 * s)
                .collect::<Vec<_>>()
                .iter(),
        )
        .fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let pad = (hi - lo) * 0.05;
    let mut chart = ChartBuilder::on(&rest)
        .margin(30)
        .x_label_area_size(90)
        .y_label_area_size(110)
        .build_cartesian_2d(x0..x1, (lo - pad)..(hi + pad))
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("Year")
        .y_desc(c.y_label)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style(font(22.0))
        .axis_desc_style(font(28.0))
        .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
        .draw()
        .map_err(|e| err(&e))?;
    let xs: Vec<f64> = c.years.iter().map(|&y| y as f64).collect();
    let model = palette(0);
    let band = |lo: &[f64], hi: &[f64]| -> Vec<(f64, f64)> {
        xs.iter()
            .zip(hi)
            .map(|(&x, &h)| (x, h))
            .chain(xs.iter().zip(lo).rev().map(|(&x, &l)| (x, l)))
            .collect()
    };
    chart
        .draw_series(std::iter::once(Polygon::new(
            band(&c.bands.lo90, &c.bands.hi90),
            model.mix(0.18).filled(),
        )))
        .map_err(|e| err(&e))?
        .label("model: 90% posterior predictive band")
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 8), (x + 24, y + 8)], model.mix(0.18).filled())
        });
    chart
        .draw_series(std::iter::once(Polygon::new(
            band(&c.bands.lo50, &c.bands.hi50),
            model.mix(0.40).filled(),
        )))
        .map_err(|e| err(&e))?
        .label("model: 50% band")
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 8), (x + 24, y + 8)], model.mix(0.40).filled())
        });
    chart
        .draw_series(LineSeries::new(
            xs.iter().copied().zip(c.bands.median.iter().copied()),
            model.stroke_width(4),
        ))
        .map_err(|e| err(&e))?
        .label("model: median")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], model.stroke_width(4)));
    let black = RGBColor(0x1A, 0x1A, 0x1A);
    chart
        .draw_series(
            xs.iter()
                .zip(c.observed)
                .zip(c.se)
                .flat_map(|((&x, &v), &s)| {
                    let (lo, hi, w) = (v - 1.96 * s, v + 1.96 * s, 0.08);
                    [
                        PathElement::new(vec![(x, lo), (x, hi)], black.stroke_width(3)),
                        PathElement::new(vec![(x - w, lo), (x + w, lo)], black.stroke_width(3)),
                        PathElement::new(vec![(x - w, hi), (x + w, hi)], black.stroke_width(3)),
                    ]
                }),
        )
        .map_err(|e| err(&e))?;
    chart
        .draw_series(
            xs.iter()
                .zip(c.observed)
                .take(c.fitted)
                .map(|(&x, &v)| Circle::new((x, v), 9, black.filled())),
        )
        .map_err(|e| err(&e))?
        .label("observed (bars: ±1.96 se)")
        .legend(move |(x, y)| Circle::new((x + 12, y), 8, black.filled()));
    if c.fitted < xs.len() {
        chart
            .draw_series(
                xs.iter()
                    .zip(c.observed)
                    .skip(c.fitted)
                    .map(|(&x, &v)| Circle::new((x, v), 9, black.stroke_width(3))),
            )
            .map_err(|e| err(&e))?
            .label("observed, held out of the fit")
            .legend(move |(x, y)| Circle::new((x + 12, y), 8, black.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(font(22.0))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(0xBB, 0xBB, 0xBB))
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
