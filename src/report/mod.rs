//! The run report (`report.html`) and pictures of the network, written
//! after a run from its finished results.
//!
//! `report.html` is one self-contained file: its style sheet is inside,
//! every chart is inline SVG, and it loads nothing (no scripts, fonts,
//! images or styles from anywhere, so it opens offline and on a projector
//! laptop). It holds the question and the scenario in words, a summary
//! written from the numbers, the attainment, gap and equity charts, a
//! table per strategy with 95% intervals and paired differences from the
//! first strategy, Coburn's four dimensions of scale, the SLO profile, the
//! network of every strategy (an animation of the years for up to
//! [`ANIMATION_LIMIT`] schools), every lever, and how to reproduce the run.
//!
//! Files written beside it (unless `--no-charts`): `equity`, `coburn`,
//! `slo` and `network-<strategy>` as PNG and SVG, and
//! `animation-<strategy>.gif` (a frame per year; skipped above
//! [`ANIMATION_LIMIT`] schools, which the report says). With `--no-charts`
//! only `report.html` is written; its charts are inline SVG as always.
//!
//! The network pictures need each school of replicate 0 year by year, and
//! the links each strategy ended with; `replay` runs replicate 0 again for
//! that (common random numbers make it the same run).
//!
//! Modules: `compare` (paired differences and the summary sentences),
//! `describe` (the scenario in words), `layout` (where schools are drawn),
//! `scene` (shapes drawn to bitmaps and SVG), `network_pictures`,
//! `panels` (the Coburn and SLO charts), `html` (the page).

pub mod compare;
pub mod describe;
pub mod gif;
pub mod html;
pub mod layout;
pub mod network_pictures;
pub mod panels;
pub mod replay;
pub mod robustness;
pub mod scene;
pub mod verdict;

use plotters::prelude::IntoDrawingArea;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

use crate::charts::{self, ChartError, LineChart, Series};
use crate::model::indicators::Ind;
use crate::output::{OutputError, atomic_write, step_summaries};
use crate::params::{
    LANDSCAPE_LEVERS, LeverSpec, NETWORK_LEVERS, RUN_LEVERS, SCHOOL_LEVERS, Value,
};
use crate::runner::Results;
use crate::scenario::Scenario;
use crate::stats::Summary;

use compare::{Snapshot, TABLE_INDICATORS, checkpoints, middle_year, snapshot};
use network_pictures::{Links, PictureInput};
use scene::{Rgb, Shape, esc};

/// Everything a report may draw on.
pub struct ReportInputs<'a> {
    pub dir: &'a Path,
    pub scenario: &'a Scenario,
    pub results: &'a Results,
    /// `[strategy][year][indicator]` summaries across replicates.
    pub years: &'a [Vec<Vec<Summary>>],
    pub manifest: &'a serde_json::Value,
    pub draw_charts: bool,
    /// Run the robustness check of the headline.
    pub robustness: bool,
}

/// Size of the GIF frames relative to the pictures (1600 x 1000): 1200 x
/// 750.
const GIF_SCALE: f64 = 0.75;
/// How long each year is shown in a GIF, in hundredths of a second.
const GIF_DELAY_CS: u16 = 90;

/// Schools above which no animation is made.
pub const ANIMATION_LIMIT: usize = 2000;
/// Links drawn at most in the report's inline pictures (a deterministic
/// sample beyond; the files draw up to `network_pictures::EDGE_CAP`).
pub const INLINE_EDGE_CAP: usize = 1500;

/// Schools above which the report's inline network shows only the first
/// authorities (the PNG and SVG files show every school).
pub const INLINE_LIMIT: usize = 2500;

/// The seven SLO columns, with their short names.
pub const SLO: [(Ind, &str); 7] = [
    (Ind::SloVision, "1 Shared vision"),
    (Ind::SloContinuous, "2 Continuous learning"),
    (Ind::SloTeam, "3 Team learning"),
    (Ind::SloEnquiry, "4 Culture of enquiry"),
    (Ind::SloKnowledge, "5 Knowledge systems"),
    (Ind::SloExternal, "6 Learning with outside"),
    (Ind::SloLeadership, "7 Learning leadership"),
];

/// A file-name-safe form of a strategy name: "cascade, low" -> "cascade-low".
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "strategy".into() } else { s }
}

/// Distinct slugs for every strategy (a number added where two collide).
pub fn slugs(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let mut s = slug(n);
        if out.contains(&s) {
            s = format!("{s}-{}", i + 1);
        }
        out.push(s);
    }
    out
}

fn chart_err(path: &Path, msg: impl std::fmt::Display) -> OutputError {
    OutputError::Chart(ChartError::Write {
        path: path.to_path_buf(),
        msg: msg.to_string(),
    })
}

/// A temporary name beside `dest` that keeps its extension (plotters picks
/// the image format from it).
fn temp_beside(dest: &Path) -> PathBuf {
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let ext = dest.extension().and_then(|e| e.to_str()).unwrap_or("tmp");
    dest.with_file_name(format!(".{name}.tmp-{}.{ext}", std::process::id()))
}

/// Write an image through a temporary file, renamed into place on success.
fn write_image(
    dest: &Path,
    draw: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), OutputError> {
    let tmp = temp_beside(dest);
    match draw(&tmp) {
        Ok(()) if tmp.is_file() => std::fs::rename(&tmp, dest).map_err(|e| OutputError::Io {
            path: dest.to_path_buf(),
            source: e,
        }),
        Ok(()) => Err(chart_err(dest, "the image encoder wrote no file")),
        Err(m) => {
            let _ = std::fs::remove_file(&tmp);
            Err(chart_err(dest, m))
        }
    }
}

fn write_text(dest: &Path, text: &str) -> Result<(), OutputError> {
    atomic_write(dest, |w| std::io::Write::write_all(w, text.as_bytes()))
}

/// A line chart of indicator `ind` over every step, as in `output`.
fn step_chart(sc: &Scenario, res: &Results, ind: Ind, title: &str, y_label: &str) -> LineChart {
    let spy = sc.run.steps_per_year as f64;
    let reps = sc.run.replicates;
    let sums = step_summaries(sc, res, ind as usize);
    let series = sums
        .iter()
        .enumerate()
        .map(|(s, v)| Series {
            name: sc.strategies[s].name.clone(),
            color: s,
            x: (0..v.len()).map(|k| k as f64 / spy).collect(),
            y: v.iter().map(|m| m.mean).collect(),
            lo: (reps > 1).then(|| v.iter().map(|m| m.lo).collect()),
            hi: (reps > 1).then(|| v.iter().map(|m| m.hi).collect()),
        })
        .collect();
    let wy = withdraw_year(sc);
    LineChart {
        title: format!("{title} — {}", sc.run.name),
        subtitle: Some(if reps > 1 {
            format!(
                "Lines: mean of {reps} runs; shaded: where we are 95% sure the mean lies (not the spread of single runs)"
            )
        } else {
            "One run: no interval (one run cannot support a comparison)".to_string()
        }),
        x_label: "Year (0 = start of strategy)".into(),
        y_label: y_label.into(),
        series,
        y_range: None,
        x_range: Some((0.0, sc.run.years as f64)),
        hline: None,
        vline: wy.map(|w| (w as f64, "support withdrawn".to_string())),
    }
}

/// The latest year in which any strategy withdraws support.
fn withdraw_year(sc: &Scenario) -> Option<u32> {
    sc.strategies
        .iter()
        .map(|s| s.withdraw_year())
        .max()
        .filter(|&w| w > 0)
}

/// `[strategy][year]` summaries of one indicator.
fn by_year(years: &[Vec<Vec<Summary>>], ind: Ind) -> Vec<Vec<Summary>> {
    years
        .iter()
        .map(|per_year| per_year.iter().map(|v| v[ind as usize]).collect())
        .collect()
}

fn coburn_data(sc: &Scenario, years: &[Vec<Vec<Summary>>]) -> panels::Coburn {
    let names: Vec<String> = sc.strategies.iter().map(|s| s.name.clone()).collect();
    let wy = withdraw_year(sc);
    let reps = sc.run.replicates;
    panels::Coburn {
        title: format!("Coburn's four dimensions of scale — {}", sc.run.name),
        subtitle: if reps > 1 {
            format!(
                "Lines: mean of {reps} runs; shaded: where we are 95% sure the mean lies{}",
                if wy.is_some() {
                    "; vertical line: support withdrawn"
                } else {
                    ""
                }
            )
        } else {
            "One run: no interval (one run cannot support a comparison)".to_string()
        },
        names,
        years: sc.run.years,
        withdraw_year: wy,
        panels: [
            panels::LinePanel {
                title: "Depth: practice quality gained".into(),
                y_label: "Quality gain since year 0".into(),
                series: by_year(years, Ind::Depth),
                empty_note: String::new(),
                from_zero: false,
                reference: None,
            },
            panels::LinePanel {
                title: format!(
                    "Sustainability: gain kept {}+ years after support ends",
                    sc.run.sustain_years
                ),
                y_label: "Share of gain kept".into(),
                series: by_year(years, Ind::Sustainability),
                reference: Some((1.0, "whole gain kept".into())),
                empty_note: "Not defined here: no strategy of this scenario withdraws support (set withdraw_year), or not enough years follow the withdrawal (sustain_years).".into(),
                from_zero: true,
            },
            panels::LinePanel {
                title: "Transfer of ownership".into(),
                y_label: "Mean ownership (0–1)".into(),
                series: by_year(years, Ind::Ownership),
                reference: None,
                empty_note: String::new(),
                from_zero: true,
            },
            panels::LinePanel {
                title: "Spread: schools using the best school's practice".into(),
                y_label: "Share of schools".into(),
                series: by_year(years, Ind::Spread),
                reference: None,
                empty_note: String::new(),
                from_zero: true,
            },
        ],
    }
}

fn slo_data(sc: &Scenario, years: &[Vec<Vec<Summary>>]) -> panels::Slo {
    let last = sc.run.years;
    let mid = middle_year(last);
    let mut at: Vec<u32> = vec![0, mid, last];
    at.dedup();
    let panels = at
        .iter()
        .map(|&y| {
            let title = if y == 0 {
                "Year 0 (end of burn-in, before the strategies act)".to_string()
            } else if y == last {
                format!("Year {y} (last year)")
            } else {
                format!("Year {y}")
            };
            let vals = years
                .iter()
                .map(|per_year| {
                    SLO.iter()
                        .map(|(ind, _)| per_year[y as usize][*ind as usize])
                        .collect()
                })
                .collect();
            (title, vals)
        })
        .collect();
    panels::Slo {
        title: format!(
            "Schools as learning organisations: the seven dimensions — {}",
            sc.run.name
        ),
        subtitle: if sc.run.replicates > 1 {
            format!(
                "Bars: mean of {} runs; whiskers: where we are 95% sure the mean lies",
                sc.run.replicates
            )
        } else {
            "One run: no interval (one run cannot support a comparison)".into()
        },
        names: sc.strategies.iter().map(|s| s.name.clone()).collect(),
        dims: SLO.iter().map(|(_, n)| n.to_string()).collect(),
        panels,
    }
}

/// Whether positions mean something and whether clusters do: the network
/// kind, or the columns of a schools file.
/// Whether positions are geographic, and whether learning communities are real groups.
pub fn meaningful(sc: &Scenario) -> (bool, bool) {
    let mut geo = sc.network.kind == "geographic";
    let mut clusters = sc.network.kind == "clusters";
    if !sc.schools.file.is_empty() {
        let path = match &sc.dir {
            Some(d) => d.join(&sc.schools.file),
            None => PathBuf::from(&sc.schools.file),
        };
        if let Ok(text) = std::fs::read_to_string(path) {
            let head: Vec<String> = text
                .lines()
                .next()
                .unwrap_or("")
                .split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .collect();
            let has = |c: &str| head.iter().any(|h| h == c);
            geo |= has("x") && has("y");
            clusters |= has("cluster");
        }
    }
    (geo, clusters)
}

/// How the links of strategy `s` relate to the school network.
fn links_for(sc: &Scenario, s: usize, world: &crate::model::World, r: &replay::Replay) -> Links {
    if !sc.strategies[s].any(|l| l.lateral) {
        return Links::Unused;
    }
    match &r.edges {
        None => Links::Network {
            base: world.network.edges.len(),
        },
        Some(e) if e.starts_with(&world.network.edges) => Links::Network {
            base: world.network.edges.len(),
        },
        Some(_) => Links::Beacons,
    }
}

/// The network section of the report, and the network files.
struct NetworkOut {
    html: String,
    files: Vec<PathBuf>,
}

/// The replicate nearest each strategy's median of mean attainment at the
/// last year, and that value.
pub fn median_runs(sc: &Scenario, res: &Results) -> Vec<(u32, f64)> {
    let spy = sc.run.steps_per_year as usize;
    let last = sc.run.years as usize;
    (0..sc.strategies.len())
        .map(|s| {
            let v: Vec<(u32, f64)> = res
                .runs
                .iter()
                .filter(|r| r.strategy == s)
                .map(|r| {
                    (
                        r.replicate,
                        crate::output::year_value(&r.record.rows, spy, last, Ind::AttMean as usize),
                    )
                })
                .collect();
            let r = replay::median_run(&v).unwrap_or(0);
            let x = v.iter().find(|q| q.0 == r).map_or(f64::NAN, |q| q.1);
            (r, x)
        })
        .collect()
}

/// "Run 17 of 30, the median run for cascade".
pub fn run_label(run: u32, runs: u32, strategy: &str) -> String {
    if runs <= 1 {
        format!("the only run of {strategy}")
    } else {
        format!("run {} of {runs}, the median run for {strategy}", run + 1)
    }
}

/// The first authorities of `w` that fit in [`INLINE_LIMIT`] schools, when
/// the world is larger.
fn shown_authorities(w: &crate::model::World) -> Option<usize> {
    if w.n_schools > INLINE_LIMIT && w.n_authorities > 1 {
        let mut k = 0usize;
        let mut count = 0usize;
        while k < w.n_authorities && count + w.members(k).len() <= INLINE_LIMIT {
            count += w.members(k).len();
            k += 1;
        }
        Some(k.max(1))
    } else {
        None
    }
}

fn networks(inp: &ReportInputs, slugs: &[String]) -> Result<NetworkOut, OutputError> {
    let sc = inp.scenario;
    let mut html = String::new();
    let mut files = Vec::new();
    let medians = median_runs(sc, inp.results);
    let which: Vec<u32> = medians.iter().map(|m| m.0).collect();
    let reps = match replay::replay_runs(sc, &which) {
        Ok(r) => r,
        Err(e) => {
            html.push_str(&format!(
                "<p class=\"note\">The network pictures could not be drawn: {}</p>",
                esc(&e.to_string())
            ));
            return Ok(NetworkOut { html, files });
        }
    };
    let n = reps
        .worlds
        .iter()
        .map(|(_, w)| w.n_schools)
        .max()
        .unwrap_or(0);
    let years = sc.run.years as usize;
    let (geographic, clusters) = meaningful(sc);
    // One colour scale for every strategy and year: round 95th percentile
    // of the absolute changes.
    let mut all: Vec<f64> = reps
        .runs
        .iter()
        .flat_map(|r| {
            (1..r.attainment.len()).flat_map(move |y| {
                network_pictures::gains(r, y)
                    .into_iter()
                    .map(f64::abs)
                    .collect::<Vec<_>>()
            })
        })
        .filter(|v| v.is_finite())
        .collect();
    all.sort_by(|a, b| a.total_cmp(b));
    let p95 = if all.is_empty() {
        1.0
    } else {
        all[((all.len() - 1) as f64 * 0.95) as usize]
    };
    let range = network_pictures::nice_ceiling(p95.max(0.5));
    let animate = n <= ANIMATION_LIMIT;
    // Per replayed world: which authorities are shown inline, and the
    // placements over its school network.
    let bases: Vec<(
        u32,
        Option<usize>,
        layout::Placement,
        Option<layout::Placement>,
    )> = reps
        .worlds
        .iter()
        .map(|(r, w)| {
            let show = shown_authorities(w);
            let full = network_pictures::placement(w, &w.network.edges, geographic, clusters, None);
            let shown = show.map(|k| {
                network_pictures::placement(w, &w.network.edges, geographic, clusters, Some(k))
            });
            (*r, show, full, shown)
        })
        .collect();
    let any_shown = bases.iter().any(|b| b.1.is_some());

    html.push_str(&format!(
        "<p>Each picture shows one run of {}: the run whose mean attainment at year {} is nearest the median of that strategy's runs, so it is a typical run, not the average the charts above show; each caption names the run. School by school, colour: each school's change in attainment since year 0, in steps of {} points (brown fell, grey unchanged, teal rose; the same scale in every picture). {}</p>",
        sc.run.replicates,
        sc.run.years,
        describe::short(range / network_pictures::CLASSES as f64),
        if animate {
            "Press <b>Play</b> on a picture to watch the change spread year by year, <b>Pause</b> to stop, or drag the slider to a year (keyboard: space plays and pauses, the arrow keys step a year)."
        } else {
            "This scenario has more than 2,000 schools, so no animation is made (a picture per year would be unreadable and slow); the pictures show the last year."
        }
    ));
    if any_shown {
        html.push_str(&format!(
            "<p class=\"note\">With {} schools, the pictures below show the first authorities only; the PNG and SVG files beside this report show all of them.</p>",
            describe::thousands(n)
        ));
    }

    // Each strategy's pictures, in parallel (the GIF encoding dominates).
    let one = |s: usize| -> Result<(String, Vec<PathBuf>), OutputError> {
        let strat = &sc.strategies[s];
        let mut files = Vec::new();
        let r = &reps.runs[s];
        let w = reps.world_of(s);
        let (_, show, base_full, base_shown) = bases
            .iter()
            .find(|b| b.0 == r.replicate)
            .expect("a placement per replayed world");
        let show = *show;
        let links = links_for(sc, s, w, r);
        let own_full;
        let own_shown;
        let (pl_full, pl_shown) = if links == Links::Beacons {
            let e = r.edges.clone().unwrap_or_default();
            own_full = network_pictures::placement(w, &e, geographic, false, None);
            own_shown =
                show.map(|k| network_pictures::placement(w, &e, geographic, false, Some(k)));
            (&own_full, own_shown.as_ref())
        } else {
            (base_full, base_shown.as_ref())
        };
        let last = r.attainment.len().saturating_sub(1);
        let g = network_pictures::gains(r, last);
        let colours: Vec<Rgb> = g
            .iter()
            .map(|&v| network_pictures::class_colour(v, range))
            .collect();
        let which_run = run_label(r.replicate, sc.run.replicates, &strat.name);
        let short_run = if sc.run.replicates > 1 {
            format!(
                "run {} of {}, the median run",
                r.replicate + 1,
                sc.run.replicates
            )
        } else {
            "the only run".to_string()
        };
        let title = format!(
            "{} · {} · {short_run} · change since year 0",
            sc.run.name, strat.name
        );
        let stats = network_pictures::stats_lines(&g, last);
        let last_label = format!("Year {last}");
        let picture = |show_k: Option<usize>, pl: &layout::Placement, cap: usize| {
            network_pictures::drawing(&PictureInput {
                world: w,
                replay: r,
                links,
                show_authorities: show_k,
                geographic,
                clusters_meaningful: clusters,
                range,
                edge_cap: cap,
                placement: Some(pl),
            })
        };
        let full = picture(None, pl_full, network_pictures::EDGE_CAP);
        let full_scene =
            network_pictures::scene(&full, &colours, &title, &stats, Some(&last_label));
        if inp.draw_charts {
            let stem = format!("network-{}", slugs[s]);
            let png = inp.dir.join(format!("{stem}.png"));
            write_image(&png, |p| {
                let root = plotters::prelude::BitMapBackend::new(
                    p,
                    (network_pictures::W as u32, network_pictures::H as u32),
                )
                .into_drawing_area();
                scene::draw(&root, &full_scene, 1.0)?;
                root.present().map_err(|e| e.to_string())
            })?;
            let svg_path = inp.dir.join(format!("{stem}.svg"));
            write_text(&svg_path, &scene::svg(&full_scene, true, None))?;
            files.push(png);
            files.push(svg_path);
            if animate {
                let gif = inp.dir.join(format!("animation-{}.gif", slugs[s]));
                let scale = GIF_SCALE;
                let (gw, gh) = (
                    (network_pictures::W * scale) as u32,
                    (network_pictures::H * scale) as u32,
                );
                // A frame per year, the last one shown twice as long.
                let mut frames = Vec::new();
                for y in (0..=years).chain([years]) {
                    let y = y.min(last);
                    let gy = network_pictures::gains(r, y);
                    let cy: Vec<Rgb> = gy
                        .iter()
                        .map(|&v| network_pictures::class_colour(v, range))
                        .collect();
                    let sc_y = network_pictures::scene(
                        &full,
                        &cy,
                        &title,
                        &network_pictures::stats_lines(&gy, y),
                        Some(&format!("Year {y}")),
                    );
                    let mut buf = vec![0u8; gw as usize * gh as usize * 3];
                    {
                        let root =
                            plotters::prelude::BitMapBackend::with_buffer(&mut buf, (gw, gh))
                                .into_drawing_area();
                        scene::draw(&root, &sc_y, scale).map_err(|m| chart_err(&gif, m))?;
                        root.present().map_err(|e| chart_err(&gif, e))?;
                    }
                    frames.push(buf);
                }
                atomic_write(&gif, |w| {
                    gif::write_gif(w, gw as u16, gh as u16, &frames, GIF_DELAY_CS)
                })?;
                files.push(gif);
            }
        }
        // The report's picture: animated when small enough.
        // Fewer links inline than in the files, to keep the page light.
        let d = match (show, pl_shown) {
            (Some(k), Some(pl)) => picture(Some(k), pl, INLINE_EDGE_CAP),
            _ => picture(None, pl_full, INLINE_EDGE_CAP),
        };
        let d = &d;
        // The animated picture brings its own year labels.
        let inline_scene = network_pictures::scene(
            d,
            &colours,
            &title,
            &stats,
            (!animate).then_some(last_label.as_str()),
        );
        let svg = if animate {
            let frames: Vec<Vec<Rgb>> = (0..=last)
                .map(|y| {
                    network_pictures::gains(r, y)
                        .iter()
                        .map(|&v| network_pictures::class_colour(v, range))
                        .collect()
                })
                .collect();
            let labels: Vec<Shape> = (0..=last)
                .map(|y| network_pictures::year_text(&format!("Year {y}")))
                .collect();
            scene::svg(
                &inline_scene,
                false,
                Some(&scene::Animation {
                    frames: &frames,
                    labels: &labels,
                    seconds_per_frame: 1.0,
                    play_button: Some(format!("play-{}", slugs[s])),
                }),
            )
        } else {
            scene::svg(&inline_scene, false, None)
        };
        let files_note = if inp.draw_charts {
            format!(
                " Files: <code>network-{0}.png</code>, <code>network-{0}.svg</code>{1}.",
                slugs[s],
                if animate {
                    format!(
                        ", <code>animation-{}.gif</code> (a frame per year, for slides)",
                        slugs[s]
                    )
                } else {
                    String::new()
                }
            )
        } else {
            String::new()
        };
        let caption = format!(
            "{}: its mean attainment at year {} is {:.1}% (the mean over all runs, as in the chart above: {:.1}%). {}",
            capital(&which_run),
            sc.run.years,
            medians[s].1,
            inp.years[s][sc.run.years as usize][Ind::AttMean as usize].mean,
            stats.join("; ")
        );
        let fragment = format!(
            "<h3>{}</h3><figure>{}<figcaption class=\"run\">{}.{}</figcaption></figure>",
            html::strategy_label(s, &strat.name),
            svg,
            esc(&caption),
            files_note
        );
        Ok((fragment, files))
    };
    let parts: Vec<Result<(String, Vec<PathBuf>), OutputError>> =
        (0..sc.strategies.len()).into_par_iter().map(one).collect();
    for part in parts {
        let (fragment, f) = part?;
        html.push_str(&fragment);
        files.extend(f);
    }
    Ok(NetworkOut { html, files })
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn spec_rows(
    table: &'static [LeverSpec],
    get: &dyn Fn(&str) -> Option<Value>,
    def: &dyn Fn(&str) -> Option<Value>,
    prefix: &str,
) -> Vec<(String, String, String, &'static str)> {
    let show = |v: Option<Value>| match v {
        Some(Value::Str(s)) => s,
        Some(v) => v.to_string(),
        None => String::new(),
    };
    table
        .iter()
        .filter(|s| !matches!(s.key, "name" | "description"))
        .map(|s| {
            (
                format!("{prefix}{}", s.key),
                show(get(s.key)),
                show(def(s.key)),
                s.doc,
            )
        })
        .collect()
}

fn manifest_str(m: &serde_json::Value, key: &str) -> String {
    match m.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// A shell word, quoted when needed.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The headline indicators at the last year: attainment (the headline),
/// the gap (equity), capacity and diversity, each with its smallest
/// meaningful difference.
pub fn headlines(sc: &Scenario, res: &Results) -> Vec<compare::Headline> {
    let ns = sc.strategies.len();
    let spy = sc.run.steps_per_year as usize;
    let year = sc.run.years;
    [
        (
            Ind::AttMean,
            compare::ATTAINMENT,
            sc.run.meaningful_attainment,
        ),
        (Ind::Gap, compare::GAP, sc.run.meaningful_gap),
        (Ind::Capacity, compare::CAPACITY, sc.run.meaningful_capacity),
        (
            Ind::Diversity,
            compare::DIVERSITY,
            sc.run.meaningful_diversity,
        ),
    ]
    .into_iter()
    .map(|(ind, measure, smallest)| compare::Headline {
        measure,
        smallest,
        year,
        values: compare::values(res, ns, spy, year, ind as usize),
    })
    .collect()
}

/// How the verdict words are chosen, with this scenario's smallest
/// meaningful differences.
fn words_html(sc: &Scenario) -> String {
    format!(
        "<details class=\"meta\" id=\"words\"><summary>How the words are chosen</summary><p>Each comparison takes the difference between two strategies run by run, and the interval within which we are 95% sure the average difference lies (wider when several comparisons are stated together: Holm's correction). The smallest difference that matters is {} points of attainment, {} points of the gap, {} of capacity and {} dimensions of diversity (scenario keys <code>meaningful_attainment</code>, <code>meaningful_gap</code>, <code>meaningful_capacity</code>, <code>meaningful_diversity</code>). <b>Clearly ahead</b> (or behind): the whole interval lies beyond the smallest difference that matters. <b>Ahead (or behind), but by less than matters</b>: the whole interval lies on one side of zero and closer to zero than the smallest difference that matters. <b>No meaningful difference</b>: the interval includes zero and lies within the smallest difference that matters on both sides. <b>Unclear</b>: anything else; the report estimates how many more runs, at the same average and spread, would shrink the interval enough to settle it. “Better in N of M runs” counts the runs in which the first strategy came out ahead.</p></details>",
        sc.run.meaningful_attainment,
        sc.run.meaningful_gap,
        sc.run.meaningful_capacity,
        sc.run.meaningful_diversity
    )
}

/// The pair the robustness check follows: the leader on the headline
/// against the runner-up (who leads is what uncertain assumptions can
/// overturn).
pub fn headline_pair(heads: &[compare::Headline]) -> Option<(usize, usize)> {
    compare::leader_and_runner_up(heads.first()?)
}

/// The robustness section: runs the check (unless switched off) and
/// writes `robustness.csv`.
fn robustness_section(
    inp: &ReportInputs,
    heads: &[compare::Headline],
    files: &mut Vec<PathBuf>,
) -> Result<String, OutputError> {
    let sc = inp.scenario;
    let mut h =
        String::from("<h3 id=\"robustness\">Does the headline survive uncertain assumptions?</h3>");
    let pair = headline_pair(heads);
    let why_not = if !inp.robustness {
        Some("The robustness check was skipped (<code>--no-robustness</code>).".to_string())
    } else if sc.run.robustness_points == 0 {
        Some(
            "The robustness check is switched off (<code>robustness_points = 0</code>)."
                .to_string(),
        )
    } else if sc.run.replicates < 2 {
        Some("No robustness check: with one run there is no headline to check.".to_string())
    } else if pair.is_none() {
        Some("No robustness check: it needs two strategies.".to_string())
    } else {
        None
    };
    if let Some(w) = why_not {
        h.push_str(&format!("<p class=\"note\">{w}</p>"));
        return Ok(h);
    }
    let (a, b) = pair.expect("checked above");
    let t0 = std::time::Instant::now();
    let points = match robustness::check(sc, a, b, Ind::AttMean, true) {
        Ok(p) => p,
        Err(e) => {
            h.push_str(&format!(
                "<p class=\"note\">The robustness check could not run: {}</p>",
                esc(&e.to_string())
            ));
            return Ok(h);
        }
    };
    let secs = t0.elapsed().as_secs_f64();
    let (na, nb) = (&sc.strategies[a].name, &sc.strategies[b].name);
    let sentence = robustness::sentence(
        na,
        nb,
        compare::ATTAINMENT.label,
        crate::params::UNCERTAIN,
        &points,
    );
    let path = inp.dir.join("robustness.csv");
    write_text(&path, &robustness::csv(&points, na, nb))?;
    files.push(path);
    h.push_str(&format!(
        "<ul class=\"summary\"><li>{}</li></ul>",
        esc(&sentence)
    ));
    let ranges: Vec<String> = crate::params::UNCERTAIN
        .iter()
        .map(|u| {
            format!(
                "{} (<code>{}</code>) from {} to {}",
                esc(u.words),
                u.key,
                u.lo,
                u.hi
            )
        })
        .collect();
    h.push_str(&format!(
        "<p class=\"meta\">How: {} variations of the levers marked uncertain ({}), spread evenly over their ranges (a Latin hypercube), each run {} times for {} and {} only, with the same seed; the headline holds at a variation when {} is still ahead on average there. The conditions under which it flips are the single split of one lever that best separates the variations where it holds from those where it flips (a classification-tree split). Design and results: <code>robustness.csv</code>. The check took {:.1} s.</p>",
        points.len(),
        ranges.join("; "),
        sc.run.robustness_runs,
        esc(na),
        esc(nb),
        esc(na),
        secs
    ));
    Ok(h)
}

/// Write the report and pictures; returns the files written.
pub fn write(inp: &ReportInputs) -> Result<Vec<PathBuf>, OutputError> {
    let sc = inp.scenario;
    let res = inp.results;
    let names: Vec<String> = sc.strategies.iter().map(|s| s.name.clone()).collect();
    let ns = names.len();
    let spy = sc.run.steps_per_year as usize;
    let last = sc.run.years;
    let slugs = slugs(&names);
    let mut files: Vec<PathBuf> = Vec::new();
    let svg_err = |e: ChartError| OutputError::Chart(e);

    // Line charts (inline), and the equity chart's files.
    let att = step_chart(
        sc,
        res,
        Ind::AttMean,
        "Mean attainment by strategy",
        "Attainment (% reaching expected standard)",
    );
    let gap = step_chart(
        sc,
        res,
        Ind::Gap,
        "Gap between top and bottom quarter of schools",
        "Gap (percentage points)",
    );
    let equity = step_chart(
        sc,
        res,
        Ind::Equity,
        "Attainment of the lowest-intake quarter of schools",
        "Attainment (% reaching expected standard)",
    );
    let att_svg = charts::line_chart_svg(&att).map_err(svg_err)?;
    let gap_svg = charts::line_chart_svg(&gap).map_err(svg_err)?;
    let equity_svg = charts::line_chart_svg(&equity).map_err(svg_err)?;
    if inp.draw_charts {
        files.extend(charts::line_chart(&equity, inp.dir, "equity")?);
    }

    // Coburn and SLO.
    let coburn = coburn_data(sc, inp.years);
    let slo = slo_data(sc, inp.years);
    let coburn_svg = panels::to_svg(panels::COBURN_SIZE, |r| panels::draw_coburn(r, &coburn))
        .map_err(|m| chart_err(&inp.dir.join("coburn.svg"), m))?;
    let slo_svg = panels::to_svg(panels::SLO_SIZE, |r| panels::draw_slo(r, &slo))
        .map_err(|m| chart_err(&inp.dir.join("slo.svg"), m))?;
    if inp.draw_charts {
        for (stem, svg, size, which) in [
            ("coburn", &coburn_svg, panels::COBURN_SIZE, 0),
            ("slo", &slo_svg, panels::SLO_SIZE, 1),
        ] {
            let png = inp.dir.join(format!("{stem}.png"));
            write_image(&png, |p| {
                panels::to_png(p, size, |r| {
                    if which == 0 {
                        panels::draw_coburn(r, &coburn)
                    } else {
                        panels::draw_slo(r, &slo)
                    }
                })
            })?;
            let path = inp.dir.join(format!("{stem}.svg"));
            write_text(&path, svg)?;
            files.push(png);
            files.push(path);
        }
    }

    // Comparisons: the reference is the status quo where there is one.
    let sq = sc
        .strategies
        .iter()
        .position(|st| st.preset == "status-quo");
    let reference = sq.unwrap_or(0);
    let heads = headlines(sc, res);
    let drift: Option<Vec<f64>> = sq.map(|q| {
        let v0 = compare::values(res, ns, spy, 0, Ind::AttMean as usize);
        let v1 = compare::values(res, ns, spy, last, Ind::AttMean as usize);
        v1[q].iter().zip(&v0[q]).map(|(b, a)| b - a).collect()
    });
    let mut sentences = compare::summary(
        &names,
        reference,
        sq.is_some(),
        &heads,
        drift.as_deref(),
        sc.run.replicates,
    );
    let kept: Vec<compare::Kept> = sc
        .strategies
        .iter()
        .enumerate()
        .filter(|(_, st)| st.withdraw_year() > 0)
        .map(|(s, st)| {
            let w = st.withdraw_year();
            let mut at: Vec<u32> = vec![w + sc.run.sustain_years, last];
            at.retain(|&y| y <= last && y > w);
            at.dedup();
            (
                st.name.clone(),
                w,
                at.iter()
                    .map(|&y| (y, inp.years[s][y as usize][Ind::Sustainability as usize]))
                    .collect(),
            )
        })
        .collect();
    if let Some(s) = compare::sustainability_sentence(&kept) {
        sentences.push(s);
    }

    // Robustness of the headline.
    let robust_html = robustness_section(inp, &heads, &mut files)?;

    let net = if inp.draw_charts {
        networks(inp, &slugs)?
    } else {
        NetworkOut {
            html: "<p class=\"note\">The network pictures are not drawn with <code>--no-charts</code> (they need each school of a run again).</p>".into(),
            files: Vec::new(),
        }
    };
    files.extend(net.files);

    // Tables.
    let smallest_of = |i: usize| -> Option<f64> {
        if i == Ind::AttMean as usize || i == Ind::Equity as usize {
            Some(sc.run.meaningful_attainment)
        } else if i == Ind::Gap as usize {
            Some(sc.run.meaningful_gap)
        } else if i == Ind::Capacity as usize {
            Some(sc.run.meaningful_capacity)
        } else if i == Ind::Diversity as usize {
            Some(sc.run.meaningful_diversity)
        } else {
            None
        }
    };
    let cps = checkpoints(last);
    let att_snaps: Vec<Snapshot> = cps
        .iter()
        .map(|&y| snapshot(res, ns, spy, y, Ind::AttMean as usize))
        .collect();
    let att_cols: Vec<html::Column> = att_snaps
        .iter()
        .map(|s| html::Column {
            title: format!("Attainment, year {}", s.year),
            snap: s,
            digits: 1,
            dir: Some(true),
            smallest: smallest_of(Ind::AttMean as usize),
        })
        .collect();
    let last_snaps: Vec<(usize, Snapshot)> = TABLE_INDICATORS
        .iter()
        .skip(1)
        .map(|(ind, _, _)| (*ind as usize, snapshot(res, ns, spy, last, *ind as usize)))
        .collect();
    let dir_of = |i: usize| -> html::Direction {
        if i == Ind::Gap as usize {
            Some(false)
        } else {
            Some(true)
        }
    };
    let last_cols: Vec<html::Column> = TABLE_INDICATORS
        .iter()
        .skip(1)
        .zip(&last_snaps)
        .map(|((_, label, digits), (i, snap))| html::Column {
            title: label.to_string(),
            snap,
            digits: *digits,
            dir: dir_of(*i),
            smallest: smallest_of(*i),
        })
        .collect();

    // The page.
    let m = inp.manifest;
    let version = manifest_str(m, "version");
    let started = manifest_str(m, "start_time");
    let wall = m
        .get("wall_time_seconds")
        .and_then(|v| v.as_f64())
        .unwrap_or(f64::NAN);
    let cmd: Vec<String> = m
        .get("command_line")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(shell_word))
                .collect()
        })
        .unwrap_or_default();
    let (schools_total, teachers_total) = res
        .worlds
        .first()
        .map(|w| (w.schools, w.teachers))
        .unwrap_or((0, 0));

    let mut h = String::with_capacity(1 << 20);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    h.push_str(&format!(
        "<title>{} — orglearn report</title><style>{}</style></head><body><main>",
        esc(&sc.run.name),
        html::CSS
    ));
    h.push_str(&format!("<h1>{}</h1>", esc(&sc.run.name)));
    h.push_str(&format!(
        "<p class=\"question\">{}</p>",
        if sc.run.description.trim().is_empty() {
            "(This scenario has no description.)".to_string()
        } else {
            esc(&sc.run.description)
        }
    ));
    h.push_str(&format!(
        "<p class=\"meta\">orglearn {} · scenario {} · seed {} · {} replicate{} · run started {}</p>",
        esc(&version),
        esc(&sc.source),
        sc.run.seed,
        sc.run.replicates,
        if sc.run.replicates == 1 { "" } else { "s" },
        esc(&started)
    ));
    h.push_str("<nav><a href=\"#scenario\">Scenario</a><a href=\"#summary\">Summary</a><a href=\"#charts\">Charts</a><a href=\"#table\">Table</a><a href=\"#coburn\">Scale</a><a href=\"#slo\">SLO profile</a><a href=\"#networks\">Networks</a><a href=\"#levers\">Every lever</a><a href=\"#reproduce\">Reproduce</a></nav>");

    h.push_str("<h2 id=\"scenario\">The question and the scenario</h2>");
    h.push_str(&format!(
        "<p>{}</p>",
        esc(&describe::scenario_words(sc, schools_total, teachers_total))
    ));
    h.push_str(&format!(
        "<h3>The {} strateg{} compared</h3><ul class=\"strategies\">",
        ns,
        if ns == 1 { "y" } else { "ies" }
    ));
    for (s, st) in sc.strategies.iter().enumerate() {
        let parts = describe::strategy_parts(st);
        h.push_str(&format!(
            "<li>{} — {}<ul class=\"parts\">",
            html::strategy_label(s, &st.name),
            esc(parts.first().map(String::as_str).unwrap_or(""))
        ));
        for p in parts.iter().skip(1) {
            h.push_str(&format!("<li>{}</li>", esc(p)));
        }
        h.push_str("</ul></li>");
    }
    h.push_str("</ul>");

    h.push_str("<h2 id=\"summary\">What the numbers say</h2><ul class=\"summary\">");
    for s in &sentences {
        h.push_str(&format!("<li>{}</li>", esc(s)));
    }
    h.push_str("</ul>");
    h.push_str(&format!(
        "<p class=\"meta\">How to read this: the strategies meet the same schools, landscape, network and shocks in each of the {} runs, so each difference is taken run by run and then summarised. Two ranges are given: how sure we are of the average (“we are 95% sure the average lies between …”), and how much single runs vary (“in 80% of runs the result lay between …”); an authority would see one run, not the average. These are results of a model under stated assumptions, not forecasts.</p>",
        sc.run.replicates
    ));
    h.push_str(&words_html(sc));
    h.push_str(&robust_html);

    h.push_str("<h2 id=\"charts\">Attainment, gap and equity over time</h2>");
    for (svg, label, caption) in [
        (
            &att_svg,
            "Mean attainment by strategy",
            "Mean attainment across schools: the share of pupils reaching the expected standard. Year 0 is the end of burn-in, when the strategies start.",
        ),
        (
            &gap_svg,
            "Gap between top and bottom quarter of schools",
            "Mean attainment of the top quarter of schools minus that of the bottom quarter: lower is more equal.",
        ),
        (
            &equity_svg,
            "Attainment of the lowest-intake quarter of schools",
            "Mean attainment of the quarter of schools whose pupils arrive with the lowest prior attainment (equity).",
        ),
    ] {
        h.push_str(&format!(
            "<figure>{}<figcaption>{}</figcaption></figure>",
            html::inline_svg(svg, label),
            caption
        ));
    }

    h.push_str("<h2 id=\"table\">Results by strategy</h2>");
    h.push_str(&format!(
        "<p>Each cell: the mean over the runs; “average”: the 95% interval of the mean; “80% of runs”: the range the middle 80% of runs fell in (10th to 90th percentile). Below, the difference from <b>{}</b> (the reference), taken run by run, with its 95% interval and its verdict on the scale above (each cell judged on its own, without the correction the summary applies); green: clearly better, red: clearly worse. {}</p>",
        esc(&names[reference]),
        if sc.run.replicates < 2 {
            "<b>One run cannot support a comparison: no interval is shown (—).</b>"
        } else {
            ""
        }
    ));
    h.push_str("<h3>Attainment over time</h3>");
    h.push_str(&html::comparison_table(&names, reference, &att_cols));
    let group_rows = crate::output::group_summaries(sc, inp.results);
    if !group_rows.is_empty() {
        h.push_str("<h3>Authorities that run levers of their own</h3>");
        h.push_str("<p>Within a strategy whose authorities do not all run the same levers: the mean attainment of each group's schools and its gain since year 0, each with its 95% interval across replicates. Below each gain, Δ: its difference from the gain of the strategy's other authorities (those in no group), paired by replicate. The groups start from different schools, so compare their gains rather than their levels; groups linked by ties between authorities learn from each other.</p>");
        h.push_str(&html::group_table(sc, &group_rows, last as usize));
    }
    let groups = [
        (
            "equity, depth and sustainability",
            [Ind::Gap, Ind::Equity, Ind::Depth, Ind::Sustainability],
        ),
        (
            "ownership, spread, capacity and diversity",
            [Ind::Ownership, Ind::Spread, Ind::Capacity, Ind::Diversity],
        ),
    ];
    for (title, inds) in groups {
        let cols: Vec<html::Column> = last_cols
            .iter()
            .zip(&last_snaps)
            .filter(|(_, (i, snap))| {
                inds.iter().any(|x| *x as usize == *i)
                    && snap.level.iter().any(|l| l.mean.is_finite())
            })
            .map(|(c, _)| html::Column {
                title: c.title.clone(),
                ..*c
            })
            .collect();
        if cols.is_empty() {
            continue;
        }
        h.push_str(&format!("<h3>At year {last}: {title}</h3>"));
        h.push_str(&html::comparison_table(&names, reference, &cols));
    }

    h.push_str("<h2 id=\"coburn\">Scale: Coburn's four dimensions</h2>");
    h.push_str(&format!(
        "<figure>{}<figcaption><b>Depth</b>: how far practice improved (mean gain in practice quality since year 0, on the 0–1 effectiveness scale). <b>Sustainability</b>: the share of the gain made by the year support is withdrawn that is still held {} or more years later (only for strategies that withdraw support; above 1: schools kept improving on their own). <b>Transfer of ownership</b>: how far staff own the changes they make (0–1). <b>Spread</b>: the share of schools whose practice agrees with that year's best school where it departs from the authority's year-0 practice.</figcaption></figure>",
        html::inline_svg(&coburn_svg, "Coburn's four dimensions of scale"),
        sc.run.sustain_years
    ));

    h.push_str("<h2 id=\"slo\">Schools as learning organisations</h2>");
    h.push_str(&format!(
        "<figure>{}<figcaption>The seven dimensions of the OECD Schools as Learning Organisations model, each a 0–1 composite computed from the model's state: 1 agreement of teachers with their school's agreed practice; 2 CPD hours (of 35) and capacity; 3 socialisation and code-learning rates; 4 enquiry projects run; 5 findings published and taken up; 6 network meetings weighted by trust; 7 capacity times ownership.</figcaption></figure>",
        html::inline_svg(&slo_svg, "The seven SLO dimensions by strategy")
    ));

    h.push_str("<h2 id=\"networks\">The schools and their links</h2>");
    h.push_str(&net.html);

    h.push_str("<h2 id=\"levers\">Every lever</h2>");
    h.push_str("<p>Every strategy lever of every strategy. Highlighted: a value that differs from the built-in default. Grey: a lever of a mechanism the strategy switches off (it has no effect). A strategy whose authorities run levers of their own has a column for each such group of authorities.</p>");
    let mut columns: Vec<(usize, String, &crate::params::Levers)> = Vec::new();
    for (s, st) in sc.strategies.iter().enumerate() {
        columns.push((s, st.name.clone(), &st.levers));
        for g in &st.groups {
            let who = if g.named {
                format!("{} ({})", g.name, describe::authority_list(&g.authorities))
            } else {
                g.name.clone()
            };
            columns.push((s, format!("{}: {who}", st.name), &g.levers));
        }
    }
    h.push_str(&html::lever_table(&columns));
    h.push_str("<h3>Scenario settings</h3>");
    let mut rows = Vec::new();
    let run_d = crate::params::RunParams::default();
    let land_d = crate::params::LandscapeParams::default();
    let sch_d = crate::params::SchoolParams::default();
    let net_d = crate::params::NetworkParams::default();
    rows.extend(spec_rows(
        RUN_LEVERS,
        &|k| sc.run.get(k),
        &|k| run_d.get(k),
        "",
    ));
    rows.extend(spec_rows(
        LANDSCAPE_LEVERS,
        &|k| sc.landscape.get(k),
        &|k| land_d.get(k),
        "landscape.",
    ));
    rows.extend(spec_rows(
        SCHOOL_LEVERS,
        &|k| sc.schools.get(k),
        &|k| sch_d.get(k),
        "schools.",
    ));
    rows.extend(spec_rows(
        NETWORK_LEVERS,
        &|k| sc.network.get(k),
        &|k| net_d.get(k),
        "network.",
    ));
    h.push_str(&html::section_table(&rows));

    h.push_str("<h2 id=\"reproduce\">How to reproduce this run</h2>");
    let canonical = format!(
        "orglearn run {} --seed {} --replicates {}",
        shell_word(sc.source.strip_prefix("built-in:").unwrap_or(&sc.source)),
        sc.run.seed,
        sc.run.replicates
    );
    h.push_str(&format!(
        "<p>The command as it was run:</p><pre>{}</pre><p>or, with the scenario's resolved values (any <code>--set</code> of the original command still applies):</p><pre>{}</pre>",
        esc(&cmd.join(" ")),
        esc(&canonical)
    ));
    h.push_str(&format!(
        "<dl class=\"kv\"><dt>Program</dt><dd>orglearn {}</dd><dt>Scenario</dt><dd>{}</dd><dt>Seed</dt><dd>{}</dd><dt>Started</dt><dd>{}</dd><dt>Simulation time</dt><dd>{} s on {} threads (before the report)</dd><dt>Landscape maxima</dt><dd>{}</dd></dl>",
        esc(&version),
        esc(&sc.source),
        sc.run.seed,
        esc(&started),
        if wall.is_finite() { format!("{wall:.1}") } else { "—".into() },
        esc(&manifest_str(m, "threads")),
        esc(&manifest_str(m, "landscape_maxima"))
    ));
    h.push_str("<p>The same scenario, seed and program version give identical <code>indicators.csv</code> and <code>summary.csv</code>, whatever the number of threads. <code>manifest.json</code> beside this report records every resolved lever.</p>");
    h.push_str("</main></body></html>\n");

    let report = inp.dir.join("report.html");
    write_text(&report, &h)?;
    files.push(report);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_names_and_distinct() {
        assert_eq!(slug("cascade, low pressure"), "cascade-low-pressure");
        assert_eq!(slug("  "), "strategy");
        let s = slugs(&["a b".into(), "a-b".into(), "c".into()]);
        assert_eq!(s, vec!["a-b", "a-b-2", "c"]);
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("run"), "run");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }
}
