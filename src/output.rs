//! Outputs: CSV tables, the manifest and the charts of a run.
//!
//! Every file is written atomically: to a temporary file in the same folder,
//! then renamed, so a reader never sees a half-written file. Output code
//! reads finished [`Results`] only; it never reaches into live model state.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

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

/// `summary.csv`: per strategy, year and indicator, the mean with the 95%
/// interval of the mean (`mean_ci95_low`, `mean_ci95_high`), and the
/// spread of outcomes across runs (`runs_p10`, `runs_p90`: 80% of runs lay
/// between them), tidy long form. With one replicate both are empty.
pub fn write_summary(
    path: &Path,
    sc: &Scenario,
    res: &Results,
    ys: &[Vec<Vec<Summary>>],
) -> Result<(), OutputError> {
    let spy = sc.run.steps_per_year as usize;
    atomic_write(path, |w| {
        writeln!(
            w,
            "strategy,year,indicator,replicates,mean,sd,mean_ci95_low,mean_ci95_high,runs_p10,runs_p90"
        )?;
        for (s, per_year) in ys.iter().enumerate() {
            let name = csv_field(&sc.strategies[s].name);
            let runs: Vec<&[f64]> = res
                .runs
                .iter()
                .filter(|r| r.strategy == s)
                .map(|r| r.record.rows.as_slice())
                .collect();
            let mut v = Vec::with_capacity(runs.len());
            for (y, inds) in per_year.iter().enumerate() {
                for (i, m) in inds.iter().enumerate() {
                    v.clear();
                    v.extend(runs.iter().map(|r| year_value(r, spy, y, i)));
                    let (p10, p90) = crate::stats::spread(&v).unwrap_or((f64::NAN, f64::NAN));
                    writeln!(
                        w,
                        "{name},{y},{},{},{},{},{},{},{},{}",
                        NAMES[i],
                        m.n,
                        fmt(m.mean),
                        fmt(m.sd),
                        fmt(m.lo),
                        fmt(m.hi),
                        fmt(p10),
                        fmt(p90)
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
        format!(
            "Lines: mean of {reps} runs; shaded: where we are 95% sure the mean lies (not the spread of single runs)"
        )
    } else {
        "One run: no interval (one run cannot support a comparison)".to_string()
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

/// "61.2 [60.1, 62.3]": a mean and its 95% interval (or the mean alone).
pub fn cell(m: &Summary, digits: usize) -> String {
    if !m.mean.is_finite() {
        return "—".into();
    }
    if m.lo.is_finite() {
        format!("{:.d$} [{:.d$}, {:.d$}]", m.mean, m.lo, m.hi, d = digits)
    } else {
        format!("{:.d$} [—]", m.mean, d = digits)
    }
}

/// The headline table `orglearn run` prints (and the server shows): per
/// strategy, attainment at year 0, a middle year and the last year, and the
/// last year's gap, diversity and ownership, each as [`cell`].
pub fn headline_table(
    sc: &Scenario,
    res: &Results,
    ys: &[Vec<Vec<Summary>>],
) -> (Vec<String>, Vec<Vec<String>>) {
    let last = sc.run.years as usize;
    let spy = sc.run.steps_per_year as usize;
    let spread_of = |s: usize| -> String {
        let v: Vec<f64> = res
            .runs
            .iter()
            .filter(|r| r.strategy == s)
            .map(|r| year_value(&r.record.rows, spy, last, Ind::AttMean as usize))
            .collect();
        match crate::stats::spread(&v) {
            Some((a, b)) => format!("{a:.1} to {b:.1}"),
            None => "—".into(),
        }
    };
    // A middle year (3, as in the model's stylised facts) when there is room.
    let mid = if last > 6 {
        Some(3)
    } else if last > 2 {
        Some(last / 2)
    } else {
        None
    };
    let mut head = vec!["strategy".to_string(), "attainment y0".to_string()];
    if let Some(m) = mid {
        head.push(format!("attainment y{m}"));
    }
    head.extend([
        format!("attainment y{last}"),
        format!("80% of runs y{last}"),
        format!("gap y{last}"),
        format!("diversity y{last}"),
        format!("ownership y{last}"),
    ]);
    let rows = sc
        .strategies
        .iter()
        .enumerate()
        .map(|(s, st)| {
            let y = &ys[s];
            let mut r = vec![st.name.clone(), cell(&y[0][Ind::AttMean as usize], 1)];
            if let Some(m) = mid {
                r.push(cell(&y[m][Ind::AttMean as usize], 1));
            }
            r.extend([
                cell(&y[last][Ind::AttMean as usize], 1),
                spread_of(s),
                cell(&y[last][Ind::Gap as usize], 1),
                cell(&y[last][Ind::Diversity as usize], 2),
                cell(&y[last][Ind::Ownership as usize], 2),
            ]);
            r
        })
        .collect();
    (head, rows)
}

/// Where and how a run was made, for its manifest.
#[derive(Clone, Debug)]
pub struct Provenance {
    pub command_line: Vec<String>,
    pub started: SystemTime,
    pub wall_seconds: f64,
    pub threads: usize,
    /// The input files and their SHA-256.
    pub inputs: Vec<crate::provenance::InputFile>,
}

/// What [`write_all`] writes besides the tables.
#[derive(Clone, Debug)]
pub struct WriteOptions {
    /// `schools.csv`, one row per strategy, replicate, step and school.
    pub per_school: bool,
    /// Charts and the report's pictures.
    pub charts: bool,
    /// The report's robustness check of the headline.
    pub robustness: bool,
}

/// What [`write_all`] wrote.
pub struct Written {
    /// The yearly summaries the tables were made from.
    pub years: Vec<Vec<Vec<Summary>>>,
    /// Whether `groups.csv` was written.
    pub groups: bool,
    /// Chart files (PNG and SVG).
    pub charts: usize,
    /// Report files (`report.html` and its pictures).
    pub report_files: usize,
}

/// Every output of a scenario run into `dir`: the CSV tables, the charts
/// (with `charts`), the report and `manifest.json`, which is written last.
/// `orglearn run` and the server's report export both write through here.
pub fn write_all(
    dir: &Path,
    sc: &Scenario,
    res: &Results,
    prov: &Provenance,
    opts: &WriteOptions,
) -> Result<Written, OutputError> {
    std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let ys = year_summaries(sc, res);
    write_indicators(&dir.join("indicators.csv"), sc, res)?;
    write_summary(&dir.join("summary.csv"), sc, res, &ys)?;
    if opts.per_school {
        write_schools(&dir.join("schools.csv"), sc, res)?;
    }
    let group_rows = group_summaries(sc, res);
    if !group_rows.is_empty() {
        write_groups(&dir.join("groups.csv"), sc, &group_rows)?;
    }
    let chart_files = if opts.charts {
        write_charts(dir, sc, res)?
    } else {
        Vec::new()
    };
    let mut manifest = crate::provenance::block(prov.threads, &prov.inputs);
    manifest.as_object_mut().expect("an object").extend(
        serde_json::json!({
            "scenario": sc,
            "seed": sc.run.seed,
            "command_line": prov.command_line,
            "start_time": rfc3339(prov.started),
            "wall_time_seconds": prov.wall_seconds,
            "indicators": NAMES,
            "worlds": res.worlds,
            "landscape_maxima": if res.worlds.iter().all(|w| w.maxima_exact) { "exact" } else { "estimated by hill climbing (N > 20)" },
        })
        .as_object()
        .expect("an object")
        .clone(),
    );
    let report_files = crate::report::write(&crate::report::ReportInputs {
        dir,
        scenario: sc,
        results: res,
        years: &ys,
        manifest: &manifest,
        draw_charts: opts.charts,
        robustness: opts.robustness,
    })?;
    let mut files = crate::outdir::listing(dir);
    files.push("manifest.json".into());
    files.sort();
    files.dedup();
    manifest["files"] = serde_json::json!(files);
    write_manifest(&dir.join("manifest.json"), &manifest)?;
    Ok(Written {
        years: ys,
        groups: !group_rows.is_empty(),
        charts: chart_files.len(),
        report_files: report_files.len(),
    })
}

/// UTC time as RFC 3339 (no external time crate).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod provenance_tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn rfc3339_formats_known_instants() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }
}
