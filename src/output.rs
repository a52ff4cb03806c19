//! Outputs: CSV tables, the manifest and the charts of a run.
//!
//! Every file is written atomically: to a temporary file in the same folder,
//! then renamed, so a reader never sees a half-written file. Output code
//! reads finished [`Results`] only; it never reaches into live model state.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::charts::{self, LineChart, Series};
use crate::model::indicators::{DOCS, Ind, bounds, is_activity};
use crate::model::{N_IND, NAMES};
use crate::runner::Results;
use crate::scenario::Scenario;
use crate::stats::{Summary, summarise};

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Chart(#[from] charts::ChartError),
}

/// Write `path` atomically: `fill` writes into a temporary file in the same
/// folder, which is renamed into place only if everything succeeded.
pub fn atomic_write<F>(path: &Path, fill: F) -> Result<(), OutputError>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let io = |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let f = std::fs::File::create(&tmp)?;
        let mut w = BufWriter::new(f);
        fill(&mut w)?;
        w.flush()?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

fn fmt(v: f64) -> String {
    if v.is_finite() {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.to_string() }
    } else {
        String::new()
    }
}

/// A plain-text table: the first column left-aligned, the others right-aligned,
/// columns two spaces apart, each line prefixed with `indent`.
pub fn text_table(indent: &str, head: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..head.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([head[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |r: &[String]| {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, v)| {
                if c == 0 {
                    format!("{v:<w$}", w = widths[c])
                } else {
                    format!("{v:>w$}", w = widths[c])
                }
            })
            .collect();
        format!("{indent}{}\n", cells.join("  "))
    };
    let mut out = line(head);
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

/// Thousands separators for whole numbers: 9000 -> "9,000".
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `indicators.csv`: one row per strategy, replicate and step.
pub fn write_indicators(path: &Path, sc: &Scenario, res: &Results) -> Result<(), OutputError> {
    let spy = sc.run.steps_per_year as f64;
    atomic_write(path, |w| {
        write!(w, "strategy,replicate,step,year")?;
        for n in NAMES {
            write!(w, ",{n}")?;
        }
        writeln!(w)?;
        for run in &res.runs {
            let name = csv_field(&sc.strategies[run.strategy].name);
            for step in 0..=res.steps {
                write!(
                    w,
                    "{name},{},{step},{}",
                    run.replicate,
                    fmt(step as f64 / spy)
                )?;
                for v in &run.record.rows[step * N_IND..(step + 1) * N_IND] {
                    write!(w, ",{}", fmt(*v))?;
                }
                writeln!(w)?;
            }
        }
        Ok(())
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The value of indicator `i` of one run at year `y`: the level at the
/// year's end, or, for activity counts, the total over the year's steps.
pub fn year_value(rows: &[f64], spy: usize, y: usize, i: usize) -> f64 {
    if is_activity(i) {
        if y == 0 {
            return 0.0;
        }
        ((y - 1) * spy + 1..=y * spy)
            .map(|s| rows[s * N_IND + i])
            .sum()
    } else {
        rows[y * spy * N_IND + i]
    }
}

/// Per strategy, year and indicator: summary across replicates.
/// Indexed `[strategy][year][indicator]`.
pub fn year_summaries(sc: &Scenario, res: &Results) -> Vec<Vec<Vec<Summary>>> {
    let spy = sc.run.steps_per_year as usize;
    let years = sc.run.years as usize;
    (0..sc.strategies.len())
        .map(|s| {
            let runs: Vec<&[f64]> = res
                .runs
                .iter()
                .filter(|r| r.strategy == s)
                .map(|r| r.record.rows.as_slice())
                .collect();
            (0..=years)
                .map(|y| {
                    (0..N_IND)
                        .map(|i| {
                            let v: Vec<f64> =
                                runs.iter().map(|r| year_value(r, spy, y, i)).collect();
                            let (lo, hi) = bounds(i, sc.landscape.n);
                            summarise(&v).clipped(lo, hi)
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// Per strategy and step: summary of indicator `i` across replicates.
pub fn step_summaries(sc: &Scenario, res: &Results, i: usize) -> Vec<Vec<Summary>> {
    (0..sc.strategies.len())
        .map(|s| {
            (0..=res.steps)
                .map(|step| {
                    let v: Vec<f64> = res
                        .runs
                        .iter()
                        .filter(|r| r.strategy == s)
                        .map(|r| r.record.rows[step * N_IND + i])
                        .collect();
                    let (lo, hi) = bounds(i, sc.landscape.n);
                    summarise(&v).clipped(lo, hi)
                })
                .collect()
        })
        .collect()
}

/// `summary.csv`: per strategy, year and indicator, the mean and 95%
/// interval across replicates (tidy, long form).
pub fn write_summary(
    path: &Path,
    sc: &Scenario,
    ys: &[Vec<Vec<Summary>>],
) -> Result<(), OutputError> {
    atomic_write(path, |w| {
        writeln!(
            w,
            "strategy,year,indicator,replicates,mean,sd,ci95_low,ci95_high"
        )?;
        for (s, per_year) in ys.iter().enumerate() {
            let name = csv_field(&sc.strategies[s].name);
            for (y, inds) in per_year.iter().enumerate() {
                for (i, m) in inds.iter().enumerate() {
                    writeln!(
                        w,
                        "{name},{y},{},{},{},{},{},{}",
                        NAMES[i],
                        m.n,
                        fmt(m.mean),
                        fmt(m.sd),
                        fmt(m.lo),
                        fmt(m.hi)
                    )?;
                }
            }
        }
        Ok(())
    })
}

/// A strategy's group of authorities (those of one lever set) at a year.
#[derive(Clone, Debug)]
pub struct GroupRow {
    pub strategy: usize,
    /// The lever set: 0 for the authorities not listed in any
    /// `[[strategy.authority]]` table, `k` for the `k`-th table.
    pub set: usize,
    pub name: String,
    /// Whether `name` was given in the scenario (else it lists the authorities).
    pub named: bool,
    pub authorities: Vec<String>,
    pub year: usize,
    /// Mean attainment of the group's schools, and its change since year 0
    /// (paired by replicate), across replicates.
    pub attainment: Summary,
    pub gain: Summary,
    /// The gain less the gain of the other authorities (set 0), paired by
    /// replicate; `None` for set 0, or when every authority is in a table.
    pub gain_vs_others: Option<Summary>,
}

/// Per strategy that has `[[strategy.authority]]` tables, per group and
/// year: attainment and its gain since year 0. Empty when no strategy has
/// such tables.
pub fn group_summaries(sc: &Scenario, res: &Results) -> Vec<GroupRow> {
    let years = sc.run.years as usize;
    let mut out = Vec::new();
    for (s, st) in sc.strategies.iter().enumerate() {
        if st.groups.is_empty() {
            continue;
        }
        let sets = st.groups.len() + 1;
        let runs: Vec<&[f64]> = res
            .runs
            .iter()
            .filter(|r| r.strategy == s)
            .map(|r| r.record.groups.as_slice())
            .collect();
        for set in 0..sets {
            let (name, named, authorities) = if set == 0 {
                ("other authorities".to_string(), false, Vec::new())
            } else {
                let g = &st.groups[set - 1];
                (g.name.clone(), g.named, g.authorities.clone())
            };
            if runs.iter().all(|g| !g[set].is_finite()) {
                continue; // every authority is in a table of its own
            }
            let others = set > 0 && runs.iter().all(|g| g[0].is_finite());
            for year in 0..=years {
                let at: Vec<f64> = runs.iter().map(|g| g[year * sets + set]).collect();
                let gain: Vec<f64> = runs.iter().map(|g| g[year * sets + set] - g[set]).collect();
                out.push(GroupRow {
                    strategy: s,
                    set,
                    name: name.clone(),
                    named,
                    authorities: authorities.clone(),
                    year,
                    attainment: summarise(&at).clipped(Some(0.0), Some(100.0)),
                    gain: summarise(&gain).clipped(Some(-100.0), Some(100.0)),
                    gain_vs_others: others.then(|| {
                        let d: Vec<f64> = runs
                            .iter()
                            .map(|g| (g[year * sets + set] - g[set]) - (g[year * sets] - g[0]))
                            .collect();
                        summarise(&d).clipped(Some(-100.0), Some(100.0))
                    }),
                });
            }
        }
    }
    out
}

/// `groups.csv`: [`group_summaries`] in long form.
pub fn write_groups(path: &Path, sc: &Scenario, rows: &[GroupRow]) -> Result<(), OutputError> {
    atomic_write(path, |w| {
        writeln!(
            w,
            "strategy,group,authorities,year,replicates,attainment_mean,attainment_ci95_low,attainment_ci95_high,gain_mean,gain_ci95_low,gain_ci95_high,gain_vs_others_mean,gain_vs_others_ci95_low,gain_vs_others_ci95_high"
        )?;
        for r in rows {
            let d = r.gain_vs_others.unwrap_or(Summary {
                n: 0,
                mean: f64::NAN,
                sd: f64::NAN,
                lo: f64::NAN,
                hi: f64::NAN,
            });
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                csv_field(&sc.strategies[r.strategy].name),
                csv_field(&r.name),
                csv_field(&r.authorities.join(" ")),
                r.year,
                r.attainment.n,
                fmt(r.attainment.mean),
                fmt(r.attainment.lo),
                fmt(r.attainment.hi),
                fmt(r.gain.mean),
                fmt(r.gain.lo),
                fmt(r.gain.hi),
                fmt(d.mean),
                fmt(d.lo),
                fmt(d.hi)
            )?;
        }
        Ok(())
    })
}

/// The ids of the schools file's rows, in order (`None` without a file, or
/// when it cannot be read: the run would have failed).
pub fn school_ids(sc: &Scenario) -> Option<Vec<String>> {
    if sc.schools.file.is_empty() {
        return None;
    }
    let full = crate::provenance::resolve(sc, &sc.schools.file);
    let recs = crate::network::read_schools_file(&full).ok()?;
    Some(recs.into_iter().map(|r| r.id).collect())
}

/// `schools.csv`: per strategy, replicate, step and school. The `school`
/// column is the schools file's id when the scenario has one, else the
/// school's number from 0.
pub fn write_schools(path: &Path, sc: &Scenario, res: &Results) -> Result<(), OutputError> {
    let ids = school_ids(sc);
    atomic_write(path, |w| {
        writeln!(
            w,
            "strategy,replicate,step,school,attainment,quality,capacity,ownership"
        )?;
        for run in &res.runs {
            let name = csv_field(&sc.strategies[run.strategy].name);
            for r in &run.record.per_school {
                writeln!(
                    w,
                    "{name},{},{},{},{},{},{},{}",
                    run.replicate,
                    r.step,
                    match &ids {
                        Some(ids) => csv_field(&ids[r.school as usize]),
                        None => r.school.to_string(),
                    },
                    fmt(r.attainment),
                    fmt(r.quality),
                    fmt(r.capacity),
                    fmt(r.ownership)
                )?;
            }
        }
        Ok(())
    })
}

/// `manifest.json`.
pub fn write_manifest(path: &Path, value: &serde_json::Value) -> Result<(), OutputError> {
    atomic_write(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::other)?;
        writeln!(w)
    })
}

/// The indicator columns as a Markdown table (the README's outputs reference).
pub fn indicator_reference() -> String {
    let mut s = String::from("| column | meaning |\n|---|---|\n");
    for (n, d) in NAMES.iter().zip(DOCS) {
        s.push_str(&format!("| `{n}` | {d} |\n"));
    }
    s
}

/// The charts of a run: attainment, gap and diversity over time.
pub fn write_charts(dir: &Path, sc: &Scenario, res: &Results) -> Result<Vec<PathBuf>, OutputError> {
    let spy = sc.run.steps_per_year as f64;
    let reps = sc.run.replicates;
    let band = if reps > 1 {
        format!("Lines: mean of {reps} replicates; shaded: 95% interval across replicates")
    } else {
        "One replicate (no interval)".to_string()
    };
    let mut files = Vec::new();
    let specs: [(Ind, &str, &str, &str); 5] = [
        (
            Ind::AttMean,
            "attainment",
            "Mean attainment by strategy",
            "Attainment (% reaching expected standard)",
        ),
        (
            Ind::Gap,
            "gap",
            "Gap between top and bottom quarter of schools",
            "Gap (percentage points)",
        ),
        (
            Ind::Diversity,
            "diversity",
            "Diversity of practice between schools",
            "Mean distance between schools (dimensions)",
        ),
        (
            Ind::Ownership,
            "ownership",
            "Ownership of change",
            "Mean ownership (0-1)",
        ),
        (
            Ind::Capacity,
            "capacity",
            "Capacity to keep improving",
            "Mean capacity (0-1)",
        ),
    ];
    for (ind, stem, title, ylab) in specs {
        let sums = step_summaries(sc, res, ind as usize);
        let series: Vec<Series> = sums
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
        let wy = sc
            .strategies
            .iter()
            .map(|s| s.withdraw_year())
            .max()
            .unwrap_or(0);
        let chart = LineChart {
            title: format!("{title} — {}", sc.run.name),
            subtitle: Some(band.clone()),
            x_label: "Year (0 = start of strategy)".into(),
            y_label: ylab.into(),
            series,
            y_range: None,
            x_range: Some((0.0, sc.run.years as f64)),
            hline: None,
            vline: (wy > 0).then(|| (wy as f64, "support withdrawn".to_string())),
        };
        files.extend(charts::line_chart(&chart, dir, stem)?);
    }
    Ok(files)
}
