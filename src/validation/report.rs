//! Files, charts and the printed table of each validation model. Reads
//! finished results only.

use std::path::Path;

use anyhow::{Context, Result};

use super::fang::{FangConfig, FangPoint, FangResults};
use super::lazer::{LfConfig, LfResults};
use super::march::{EqPoint, MarchConfig, MarchResults, SeriesRow};
use super::parts::MeanSe;
use crate::charts::{LineChart, Series, line_chart};
use crate::output::{atomic_write, thousands};

/// A number for a CSV cell: up to 6 decimals, trailing zeros dropped.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn write_csv(dir: &Path, file: &str, header: &str, rows: &[String]) -> Result<String> {
    let path = dir.join(file);
    atomic_write(&path, |w| {
        writeln!(w, "{header}")?;
        for r in rows {
            writeln!(w, "{r}")?;
        }
        Ok(())
    })
    .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(file.to_string())
}

fn chart(dir: &Path, stem: &str, c: &LineChart) -> Result<Vec<String>> {
    line_chart(c, dir, stem).with_context(|| format!("cannot draw the chart {stem}"))?;
    Ok(vec![format!("{stem}.png"), format!("{stem}.svg")])
}

/// A series with a 95% band (mean +- 1.96 standard errors).
fn banded(name: String, color: usize, x: Vec<f64>, y: &[MeanSe]) -> Series {
    Series {
        name,
        color,
        x,
        y: y.iter().map(|m| m.mean).collect(),
        lo: Some(y.iter().map(|m| m.mean - 1.96 * m.se).collect()),
        hi: Some(y.iter().map(|m| m.mean + 1.96 * m.se).collect()),
    }
}

fn band_note(reps: usize, what: &str) -> String {
    format!("Mean of {} {what}; shaded: 95% interval", thousands(reps))
}

fn cell(m: &MeanSe) -> String {
    format!("{:.3} ±{:.3}", m.mean, m.se)
}

fn print_rows(head: &[String], rows: &[Vec<String>]) {
    use std::io::Write as _;
    let _ = write!(
        std::io::stdout(),
        "{}",
        crate::output::text_table("  ", head, rows)
    );
}

// ------------------------------------------------------------------ March

/// The figure files of a `march1991` run; returns the files written.
pub fn write_march(
    dir: &Path,
    cfg: &MarchConfig,
    res: &MarchResults,
    charts: bool,
) -> Result<Vec<String>> {
    let reps = cfg.replicates as usize;
    let o = &cfg.organisation;
    let sizes = format!("m = {}, n = {}", o.dimensions, o.individuals);
    let mut files = Vec::new();
    if let Some(rows) = &res.figure1 {
        let lines: Vec<String> = rows
            .iter()
            .map(|r| {
                let k = &r.point.knowledge;
                format!(
                    "{},{},{},{},{}",
                    num(r.p1),
                    num(r.p2),
                    num(k.mean),
                    k.n,
                    num(k.se)
                )
            })
            .collect();
        files.push(write_csv(
            dir,
            "figure1.csv",
            "p1,p2,code_knowledge,replications,std_error",
            &lines,
        )?);
        if charts {
            let series = cfg
                .figure1
                .p2
                .iter()
                .enumerate()
                .map(|(i, &p2)| {
                    let pts: Vec<&_> = rows.iter().filter(|r| r.p2 == p2).collect();
                    let y: Vec<MeanSe> = pts.iter().map(|r| r.point.knowledge).collect();
                    let x = pts.iter().map(|r| r.p1).collect();
                    banded(format!("p2 = {}", num(p2)), i, x, &y)
                })
                .collect();
            files.extend(chart(
                dir,
                "figure1",
                &LineChart {
                    title: "March (1991) Figure 1: learning rates and equilibrium knowledge".into(),
                    subtitle: Some(format!(
                        "{sizes}; one line per code-learning rate p2. {}",
                        band_note(reps, "runs per point")
                    )),
                    x_label: "Socialisation rate p1 (chance per dimension per period)".into(),
                    y_label: "Code knowledge at equilibrium (net share right)".into(),
                    series,
                    y_range: None,
                    x_range: None,
                    hline: None,
                    vline: None,
                },
            )?);
        }
    }
    if let Some(rows) = &res.figure2 {
        let f2 = &cfg.figure2;
        let lines: Vec<String> = rows
            .iter()
            .map(|r| {
                let (m, u) = (&r.mixed.knowledge, &r.uniform.knowledge);
                format!(
                    "{},{},{},{},{},{},{}",
                    r.fast_learners,
                    num(r.mean_p1),
                    num(m.mean),
                    num(m.se),
                    num(u.mean),
                    num(u.se),
                    m.n
                )
            })
            .collect();
        files.push(write_csv(
            dir,
            "figure2.csv",
            "fast_learners,mean_p1,code_knowledge_mixed,std_error_mixed,code_knowledge_uniform,std_error_uniform,replications",
            &lines,
        )?);
        if charts {
            let x: Vec<f64> = rows.iter().map(|r| r.fast_learners as f64).collect();
            let mixed: Vec<MeanSe> = rows.iter().map(|r| r.mixed.knowledge).collect();
            let uniform: Vec<MeanSe> = rows.iter().map(|r| r.uniform.knowledge).collect();
            files.extend(chart(
                dir,
                "figure2",
                &LineChart {
                    title: "March (1991) Figure 2: a mix of fast and slow learners".into(),
                    subtitle: Some(format!(
                        "{sizes}, p2 = {}. Mixed: fast at p1 = {}, slow at {}; uniform: all at the mixed mean p1. {}",
                        num(f2.p2),
                        num(f2.p1_fast),
                        num(f2.p1_slow),
                        band_note(reps, "runs per point")
                    )),
                    x_label: format!(
                        "Fast learners (of {} individuals; the rest are slow)",
                        cfg.organisation.individuals
                    ),
                    y_label: "Code knowledge at equilibrium (net share right)".into(),
                    series: vec![
                        banded("mixed".into(), 0, x.clone(), &mixed),
                        banded("uniform".into(), 1, x, &uniform),
                    ],
                    y_range: None,
                    x_range: None,
                    hline: None,
                    vline: None,
                },
            )?);
        }
    }
    if let Some(rows) = &res.figure3 {
        let f3 = &cfg.figure3;
        let lines: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{},{},{},{},{},{}",
                    num(r.p1),
                    num(r.p3),
                    f3.period,
                    num(r.knowledge.mean),
                    r.knowledge.n,
                    num(r.knowledge.se)
                )
            })
            .collect();
        files.push(write_csv(
            dir,
            "figure3.csv",
            "p1,p3,period,code_knowledge,replications,std_error",
            &lines,
        )?);
        if charts {
            let series = f3
                .p1
                .iter()
                .enumerate()
                .map(|(i, &p1)| {
                    let pts: Vec<&_> = rows.iter().filter(|r| r.p1 == p1).collect();
                    let y: Vec<MeanSe> = pts.iter().map(|r| r.knowledge).collect();
                    let x = pts.iter().map(|r| r.p3).collect();
                    banded(format!("p1 = {}", num(p1)), i, x, &y)
                })
                .collect();
            files.extend(chart(
                dir,
                "figure3",
                &LineChart {
                    title: "March (1991) Figure 3: turnover and code knowledge".into(),
                    subtitle: Some(format!(
                        "{sizes}, p2 = {}, read at period {}. {}",
                        num(f3.p2),
                        f3.period,
                        band_note(reps, "runs per point")
                    )),
                    x_label: "Turnover p3 (chance per individual per period)".into(),
                    y_label: format!("Code knowledge at period {} (net share right)", f3.period),
                    series,
                    y_range: None,
                    x_range: None,
                    hline: None,
                    vline: None,
                },
            )?);
        }
    }
    for (fig, rows, spec) in [
        (4u32, &res.figure4, &cfg.figure4),
        (5, &res.figure5, &cfg.figure5),
    ] {
        let Some(rows) = rows else { continue };
        let lines: Vec<String> = rows
            .iter()
            .flat_map(|r: &SeriesRow| {
                r.knowledge.iter().enumerate().map(move |(t, k)| {
                    format!("{},{t},{},{},{}", num(r.p3), num(k.mean), k.n, num(k.se))
                })
            })
            .collect();
        let file = format!("figure{fig}.csv");
        files.push(write_csv(
            dir,
            &file,
            "p3,period,code_knowledge,replications,std_error",
            &lines,
        )?);
        if charts {
            let series = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let x = (0..r.knowledge.len()).map(|t| t as f64).collect();
                    let name = if r.p3 == 0.0 {
                        "no turnover (p3 = 0)".to_string()
                    } else {
                        format!("turnover p3 = {}", num(r.p3))
                    };
                    banded(name, i, x, &r.knowledge)
                })
                .collect();
            let title = if fig == 4 {
                "March (1991) Figure 4: turbulence without turnover"
            } else {
                "March (1991) Figure 5: turbulence with turnover"
            };
            files.extend(chart(
                dir,
                &format!("figure{fig}"),
                &LineChart {
                    title: title.into(),
                    subtitle: Some(format!(
                        "{sizes}, p1 = {}, p2 = {}, turbulence p4 = {}. {}",
                        num(spec.p1),
                        num(spec.p2),
                        num(spec.p4),
                        band_note(reps, "runs")
                    )),
                    x_label: "Period".into(),
                    y_label: "Code knowledge (net share right)".into(),
                    series,
                    y_range: None,
                    x_range: None,
                    hline: None,
                    vline: None,
                },
            )?);
        }
    }
    Ok(files)
}

fn eq_note(points: &[&EqPoint]) -> String {
    let runs: usize = points.iter().map(|p| p.knowledge.n).sum();
    let capped: usize = points.iter().map(|p| p.capped).sum();
    let stalled: usize = points.iter().map(|p| p.stalled).sum();
    let mut periods = 0.0;
    for p in points {
        periods += p.mean_periods * p.knowledge.n as f64;
    }
    format!(
        "{} runs, mean {:.0} periods to equilibrium; {} stopped because nothing could change, {} hit the period cap",
        thousands(runs),
        periods / runs.max(1) as f64,
        stalled,
        capped
    )
}

/// The printed summary of a `march1991` run.
pub fn print_march(cfg: &MarchConfig, res: &MarchResults) {
    let reps = cfg.replicates as usize;
    println!(
        "{} (March 1991) — mean ± standard error over {} replications per point",
        cfg.name,
        thousands(reps)
    );
    if let Some(rows) = &res.figure1 {
        println!("\nFigure 1: code knowledge at equilibrium");
        let mut head = vec!["p1".to_string()];
        head.extend(cfg.figure1.p2.iter().map(|p| format!("p2 = {}", num(*p))));
        let body: Vec<Vec<String>> = cfg
            .figure1
            .p1
            .iter()
            .map(|&p1| {
                let mut r = vec![num(p1)];
                for &p2 in &cfg.figure1.p2 {
                    let pt = rows.iter().find(|x| x.p1 == p1 && x.p2 == p2);
                    r.push(pt.map_or(String::new(), |x| cell(&x.point.knowledge)));
                }
                r
            })
            .collect();
        print_rows(&head, &body);
        let pts: Vec<&EqPoint> = rows.iter().map(|r| &r.point).collect();
        println!("  ({})", eq_note(&pts));
    }
    if let Some(rows) = &res.figure2 {
        println!(
            "\nFigure 2: fast (p1 = {}) and slow (p1 = {}) learners, p2 = {}",
            num(cfg.figure2.p1_fast),
            num(cfg.figure2.p1_slow),
            num(cfg.figure2.p2)
        );
        let body: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.fast_learners.to_string(),
                    num(r.mean_p1),
                    cell(&r.mixed.knowledge),
                    cell(&r.uniform.knowledge),
                ]
            })
            .collect();
        print_rows(
            &[
                "fast learners".into(),
                "mean p1".into(),
                "mixed".into(),
                "uniform at mean p1".into(),
            ],
            &body,
        );
        let pts: Vec<&EqPoint> = rows.iter().flat_map(|r| [&r.mixed, &r.uniform]).collect();
        println!("  ({})", eq_note(&pts));
    }
    if let Some(rows) = &res.figure3 {
        let f3 = &cfg.figure3;
        println!(
            "\nFigure 3: code knowledge at period {} by turnover p3, p2 = {}",
            f3.period,
            num(f3.p2)
        );
        let mut head = vec!["p3".to_string()];
        head.extend(f3.p1.iter().map(|p| format!("p1 = {}", num(*p))));
        let body: Vec<Vec<String>> = f3
            .p3
            .iter()
            .map(|&p3| {
                let mut r = vec![num(p3)];
                for &p1 in &f3.p1 {
                    let pt = rows.iter().find(|x| x.p1 == p1 && x.p3 == p3);
                    r.push(pt.map_or(String::new(), |x| cell(&x.knowledge)));
                }
                r
            })
            .collect();
        print_rows(&head, &body);
    }
    for (fig, rows, spec) in [
        (4u32, &res.figure4, &cfg.figure4),
        (5, &res.figure5, &cfg.figure5),
    ] {
        let Some(rows) = rows else { continue };
        println!(
            "\nFigure {fig}: code knowledge over time, turbulence p4 = {}",
            num(spec.p4)
        );
        let last = spec.periods as usize;
        let marks: Vec<usize> = [0, 10, 25, 50, last]
            .into_iter()
            .filter(|&t| t <= last)
            .fold(Vec::new(), |mut v, t| {
                if !v.contains(&t) {
                    v.push(t);
                }
                v
            });
        let mut head = vec!["turnover".to_string()];
        head.extend(marks.iter().map(|t| format!("period {t}")));
        let body: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let mut v = vec![format!("p3 = {}", num(r.p3))];
                v.extend(marks.iter().map(|&t| cell(&r.knowledge[t])));
                v
            })
            .collect();
        print_rows(&head, &body);
    }
}

// ------------------------------------------------------- Lazer & Friedman

/// `lf_curves.csv` and its chart; returns the files written.
pub fn write_lf(dir: &Path, cfg: &LfConfig, res: &LfResults, charts: bool) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for (kind, curve) in res.kinds.iter().zip(&res.curves) {
        for (t, m) in curve.iter().enumerate() {
            lines.push(format!("{},{t},{}", kind.as_str(), num(m.mean)));
        }
    }
    let mut files = vec![write_csv(
        dir,
        "lf_curves.csv",
        "network,round,mean_payoff",
        &lines,
    )?];
    if charts {
        let w = &cfg.networks;
        let series = res
            .kinds
            .iter()
            .zip(&res.curves)
            .map(|(kind, curve)| {
                let name = match kind {
                    super::lazer::NetKind::Random => {
                        format!("random (p = {})", num(w.random_link_probability))
                    }
                    super::lazer::NetKind::SmallWorld => "small world".to_string(),
                    k => k.as_str().to_string(),
                };
                let x = (0..curve.len()).map(|t| t as f64).collect();
                banded(name, kind.id() as usize, x, curve)
            })
            .collect();
        let l = &cfg.landscape;
        let a = &cfg.agents;
        let mut extra = String::new();
        if res.kinds.contains(&super::lazer::NetKind::SmallWorld) {
            extra.push_str(&format!(
                "; small world: degree {}, rewiring {}",
                w.small_world_degree,
                num(w.small_world_rewire)
            ));
        }
        if a.velocity < 1.0 {
            extra.push_str(&format!(", velocity {}", num(a.velocity)));
        }
        if a.error > 0.0 {
            extra.push_str(&format!(", copying error {}", num(a.error)));
        }
        files.extend(chart(
            dir,
            "lf_curves",
            &LineChart {
                title: format!(
                    "Lazer & Friedman (2007): payoff over time by network, K = {}",
                    l.k
                ),
                subtitle: Some(format!(
                    "N = {}, {} agents, payoff = (score / max)^{}{extra}. {}",
                    l.n,
                    a.agents,
                    num(l.exponent),
                    band_note(res.landscapes, "landscapes")
                )),
                x_label: "Round".into(),
                y_label: "Mean payoff (0 to 1)".into(),
                series,
                y_range: None,
                x_range: None,
                hline: None,
                vline: None,
            },
        )?);
    }
    Ok(files)
}

/// The printed summary of a Lazer & Friedman run.
pub fn print_lf(cfg: &LfConfig, res: &LfResults) {
    println!(
        "{} (Lazer & Friedman 2007) — mean payoff ± standard error over {} landscapes, N = {}, K = {}",
        cfg.name,
        thousands(res.landscapes),
        cfg.landscape.n,
        cfg.landscape.k
    );
    let last = cfg.agents.rounds as usize;
    let marks: Vec<usize> = [0, 5, 10, 25, 50, last]
        .into_iter()
        .filter(|&t| t <= last)
        .fold(Vec::new(), |mut v, t| {
            if !v.contains(&t) {
                v.push(t);
            }
            v
        });
    let mut head = vec!["network".to_string()];
    head.extend(marks.iter().map(|t| format!("round {t}")));
    let body: Vec<Vec<String>> = res
        .kinds
        .iter()
        .zip(&res.curves)
        .map(|(k, c)| {
            let mut r = vec![k.as_str().to_string()];
            r.extend(marks.iter().map(|&t| cell(&c[t])));
            r
        })
        .collect();
    print_rows(&head, &body);
}

// -------------------------------------------------------------------- Fang

/// `fang_performance.csv` and its chart; returns the files written.
pub fn write_fang(
    dir: &Path,
    cfg: &FangConfig,
    res: &FangResults,
    charts: bool,
) -> Result<Vec<String>> {
    let lines: Vec<String> = res
        .points
        .iter()
        .map(|p| {
            format!(
                "{},{},{},{},{},{}",
                num(p.cross_group_linking),
                num(p.mean_cross_ties),
                num(p.performance.mean),
                p.performance.n,
                num(p.performance.se),
                num(p.mean_periods)
            )
        })
        .collect();
    let mut files = vec![write_csv(
        dir,
        "fang_performance.csv",
        "cross_group_linking,mean_cross_group_ties,mean_performance,replications,std_error,mean_periods",
        &lines,
    )?];
    if charts {
        let o = &cfg.organisation;
        // A log axis shows the small rates where the peak lies; isolated
        // groups (no linking) cannot sit on it and are a reference line.
        let (pos, zero): (Vec<&FangPoint>, Vec<&FangPoint>) =
            res.points.iter().partition(|p| p.cross_group_linking > 0.0);
        let x = pos.iter().map(|p| p.cross_group_linking.log10()).collect();
        let y: Vec<MeanSe> = pos.iter().map(|p| p.performance).collect();
        let hline = zero.first().map(|p| {
            (
                p.performance.mean,
                format!("isolated groups (no linking): {:.3}", p.performance.mean),
            )
        });
        files.extend(chart(
            dir,
            "fang_performance",
            &LineChart {
                title: "Fang, Lee & Schilling (2010): cross-group linking and long-run performance"
                    .into(),
                subtitle: Some(format!(
                    "{} groups of {}, N = {}, K = {}, learning {}. {}",
                    o.groups,
                    o.group_size,
                    cfg.landscape.n,
                    cfg.landscape.k,
                    num(o.learning),
                    band_note(cfg.replicates as usize, "organisations per point")
                )),
                x_label:
                    "Cross-group linking, log10 scale (-2: 1% of ties rewired, -1: 10%, 0: all)"
                        .into(),
                y_label: "Mean performance at equilibrium (score / max)".into(),
                series: vec![banded("mean performance".into(), 0, x, &y)],
                y_range: None,
                x_range: None,
                hline,
                vline: None,
            },
        )?);
    }
    Ok(files)
}

/// The printed summary of a Fang, Lee & Schilling run.
pub fn print_fang(cfg: &FangConfig, res: &FangResults) {
    println!(
        "{} (Fang, Lee & Schilling 2010) — long-run performance ± standard error over {} organisations per point",
        cfg.name,
        thousands(cfg.replicates as usize)
    );
    let body: Vec<Vec<String>> = res
        .points
        .iter()
        .map(|p| {
            vec![
                num(p.cross_group_linking),
                format!("{:.1}", p.mean_cross_ties),
                cell(&p.performance),
                format!("{:.0}", p.mean_periods),
            ]
        })
        .collect();
    print_rows(
        &[
            "linking".into(),
            "cross ties".into(),
            "performance".into(),
            "periods".into(),
        ],
        &body,
    );
    let best = res.points.iter().max_by(|a, b| {
        a.performance
            .mean
            .partial_cmp(&b.performance.mean)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    if let Some(b) = best {
        println!(
            "  highest at linking {} ({:.3})",
            num(b.cross_group_linking),
            b.performance.mean
        );
    }
}
