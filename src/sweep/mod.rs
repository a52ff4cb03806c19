//! Parameter sweeps and sensitivity analysis: plan, run (resumable,
//! shardable), merge and analyse.
//!
//! A sweep file ([`spec`]) names a base scenario, the levers to vary and a
//! design; [`plan`] lists every run before anything runs (run id, point,
//! replicate, seed); [`sweep`] runs a shard of the plan in parallel and
//! appends each finished run to a journal ([`results`]) at once; at the end
//! the journal becomes `runs.csv` and `points.csv`, sorted by run id, so the
//! files do not depend on the thread count, the shards or the order runs
//! finished in. [`merge`] combines shard folders; [`analyze`] computes Sobol
//! or Morris indices ([`sensitivity`]); [`charts`] draws two-lever grids.
//!
//! A run is one point x one replicate: the sweep's strategies run on one
//! shared world and burn-in (common random numbers), exactly as
//! `orglearn run` runs them, and each strategy's recorded indicators at the
//! recorded years make one row of `runs.csv`.

pub mod charts;
pub mod design;
pub mod guard;
pub mod plan;
pub mod results;
pub mod sensitivity;
pub mod spec;

pub use plan::{Plan, PlannedRun, Shard};
pub use results::Record;
pub use spec::{Design, LValue, Lever, Output, Sweep};

use anyhow::{Context, Result, bail};
use clap::Args;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use crate::model::NAMES;
use crate::output::{self, atomic_write, year_value};
use crate::runner::{self, RunError};
use crate::scenario::Scenario;
use crate::stats::summarise;
use results::{Damaged, JOURNAL, POINTS, RUNS};

const MANIFEST: &str = "manifest.json";
const PLAN: &str = "plan.csv";
const SWEEP_COPY: &str = "sweep.toml";

const SWEEP_EXAMPLES: &str = "\
Examples:
  orglearn sweep smoke                          # a built-in sweep (see `orglearn list`)
  orglearn sweep my-sweep.toml --out results    # your own sweep file
  orglearn sweep regime-map --threads 2
  orglearn sweep sobol-main --shard 3/8 --out out/sobol-main/shard-3
  orglearn sweep sobol-main --resume            # finish an interrupted sweep
  orglearn merge out/sobol-main/shard-*         # combine shards
  orglearn analyze out/sobol-main               # Sobol or Morris indices";

/// `orglearn sweep`.
#[derive(Args, Debug)]
#[command(after_help = SWEEP_EXAMPLES)]
pub struct SweepArgs {
    /// Sweep file, or the name of a built-in sweep (see `orglearn list`).
    pub sweep: String,
    /// Output folder (default: `out/<sweep name>/`, or
    /// `out/<sweep name>/shard-I-of-N/` with `--shard`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run only shard I of N of the plan (1 <= I <= N): the runs whose id is
    /// I-1 modulo N. Combine the shards' folders with `orglearn merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Keep the runs already recorded in the output folder and run the rest.
    #[arg(long)]
    pub resume: bool,
    /// Discard results already in the output folder and start again.
    #[arg(long, conflicts_with = "resume")]
    pub fresh: bool,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Plan only: write `plan.csv` and the manifest, print the plan's size,
    /// run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// No progress bar and no summary: only errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not draw charts.
    #[arg(long)]
    pub no_charts: bool,
}

/// `orglearn merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Shard output folders.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Output folder (default: the folder that holds the shard folders).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No summary: only errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not draw charts.
    #[arg(long)]
    pub no_charts: bool,
}

/// `orglearn analyze`.
#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// A finished (or merged) sweep's output folder.
    pub dir: PathBuf,
    /// Where to write the indices and chart (default: DIR).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Analyse this strategy instead of the sweep's `[output]` strategy.
    #[arg(long)]
    pub strategy: Option<String>,
    /// Analyse this recorded indicator instead of the sweep's.
    #[arg(long)]
    pub indicator: Option<String>,
    /// Analyse this recorded year instead of the sweep's.
    #[arg(long)]
    pub year: Option<u32>,
    /// Analyse the difference from this strategy (`none` for no difference).
    #[arg(long)]
    pub minus: Option<String>,
    /// Bootstrap resamples for the confidence intervals.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub resamples: usize,
    /// No table: only errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not draw the chart.
    #[arg(long)]
    pub no_charts: bool,
}

/// The built-in sweeps for `orglearn list`: name and description.
pub fn list_lines() -> Vec<(String, String)> {
    spec::BUILTINS
        .iter()
        .map(|(n, t)| (n.to_string(), spec::description_of(t)))
        .collect()
}

// ---------------------------------------------------------------- running

/// Run one planned run on scenario `sc` (its point's scenario): build the
/// world of the run's seed, burn in once, run each of `strategies` (indices
/// into `sc.strategies`) and keep the sweep's recorded columns.
pub fn execute(
    sw: &Sweep,
    sc: &Scenario,
    run: &PlannedRun,
    strategies: &[usize],
) -> Result<Record, RunError> {
    let mut sc = sc.clone();
    sc.run.seed = run.seed;
    let spy = sc.run.steps_per_year as usize;
    let cols = sw.columns();
    let rep = runner::replicate(&sc, 0, strategies, false, &runner::Hooks::default())?;
    let values = rep
        .runs
        .iter()
        .map(|r| {
            cols.iter()
                .map(|&(ind, y)| {
                    let v = year_value(&r.record.rows, spy, y as usize, ind);
                    v.is_finite().then_some(v)
                })
                .collect()
        })
        .collect();
    Ok(Record {
        run: run.id,
        point: run.point,
        replicate: run.replicate,
        seed: run.seed,
        values,
    })
}

/// The scenario of every point that runs `ids` need, validated. The first
/// failing point (in point order) is reported.
pub fn point_scenarios(sw: &Sweep, plan: &Plan, ids: &[u64]) -> Result<HashMap<u64, Scenario>> {
    let r = plan.replicates as u64;
    let mut points: Vec<u64> = ids.iter().map(|id| id / r).collect();
    points.dedup();
    let built: Vec<_> = points
        .par_iter()
        .map(|&p| sw.scenario_at(p, &plan.points[p as usize]))
        .collect();
    let mut out = HashMap::with_capacity(points.len());
    for (p, sc) in points.into_iter().zip(built) {
        out.insert(p, sc?);
    }
    Ok(out)
}

/// Remove temporary files of writes cut off by a kill (see
/// [`crate::outdir::is_temporary`]).
fn remove_temporaries(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if crate::outdir::is_temporary(&e.file_name().to_string_lossy()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Refuse a sweep any of whose points would not fit in memory (see
/// [`crate::scenario::check_memory`]); the error names the point.
pub fn check_points_memory(scenarios: &HashMap<u64, Scenario>, threads: usize) -> Result<()> {
    let mut points: Vec<(&u64, &Scenario)> = scenarios.iter().collect();
    points.sort_unstable_by_key(|(p, _)| **p);
    for (p, sc) in points {
        crate::scenario::check_memory(sc, threads)
            .with_context(|| format!("sweep point {p} would not fit in memory"))?;
    }
    Ok(())
}

/// Indices of the sweep's strategies in its base scenario.
fn strategy_indices(sw: &Sweep) -> Vec<usize> {
    let base = sw.base_scenario().expect("a validated sweep has its base");
    sw.strategies
        .iter()
        .map(|n| {
            base.strategies
                .iter()
                .position(|s| &s.name == n)
                .expect("validated")
        })
        .collect()
}

/// Run `ids` in parallel (in the current rayon pool), calling `done` with
/// each record as soon as its run finishes. Stops at the first error.
pub fn run_ids(
    sw: &Sweep,
    plan: &Plan,
    scenarios: &HashMap<u64, Scenario>,
    ids: &[u64],
    done: &(dyn Fn(Record) -> std::io::Result<()> + Sync),
) -> Result<()> {
    let strategies = strategy_indices(sw);
    ids.par_iter().with_max_len(1).try_for_each(|&id| {
        if guard::interrupted() {
            return Err(guard::Interrupted.into());
        }
        let run = plan.run(id);
        let rec = execute(sw, &scenarios[&run.point], &run, &strategies)
            .with_context(|| format!("run {id} (point {})", run.point))?;
        done(rec).context("cannot append to the journal")
    })
}

fn default_out(sw: &Sweep, shard: Option<Shard>) -> PathBuf {
    let base = Path::new("out").join(&sw.name);
    match shard {
        Some(s) => base.join(format!("shard-{}-of-{}", s.index, s.count)),
        None => base,
    }
}

fn read_manifest(dir: &Path) -> Result<Option<serde_json::Value>> {
    let path = dir.join(MANIFEST);
    match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .with_context(|| format!("{} is not valid JSON", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn shard_of(m: &serde_json::Value) -> Option<Shard> {
    serde_json::from_value(m.get("shard")?.clone()).ok()
}

fn shard_name(s: Option<Shard>) -> String {
    s.map_or("the whole plan".into(), |s| format!("shard {s}"))
}

/// `plan.csv`: every planned run with its point's lever values.
fn write_plan(path: &Path, sw: &Sweep, plan: &Plan) -> Result<()> {
    atomic_write(path, |w| {
        write!(w, "run_id,point_id,replicate,seed")?;
        for l in &sw.levers {
            write!(w, ",{}", l.key)?;
        }
        writeln!(w)?;
        for id in 0..plan.n_runs() {
            let r = plan.run(id);
            write!(w, "{},{},{},{}", r.id, r.point, r.replicate, r.seed)?;
            for v in &plan.points[r.point as usize] {
                let s = v.to_string();
                if s.contains([',', '"', '\n']) {
                    write!(w, ",\"{}\"", s.replace('"', "\"\""))?;
                } else {
                    write!(w, ",{s}")?;
                }
            }
            writeln!(w)?;
        }
        Ok(())
    })?;
    Ok(())
}

struct ManifestInfo<'a> {
    kind: &'a str,
    sw: &'a Sweep,
    plan: &'a Plan,
    fingerprint: &'a str,
    shard: Option<Shard>,
    recorded: usize,
    finished: bool,
    threads: usize,
    started: SystemTime,
    wall: f64,
    ran_now: usize,
    files: Vec<String>,
    extra: serde_json::Value,
    /// The input files and their SHA-256.
    inputs: &'a [crate::provenance::InputFile],
    /// The sessions before this one (resume keeps them), oldest first.
    earlier: &'a [serde_json::Value],
    /// `running`, `finished`, `interrupted` or `stopped by an error`.
    status: &'a str,
}

/// This session's provenance, as recorded in `sessions`.
fn session(m: &ManifestInfo) -> serde_json::Value {
    serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "command_line": std::env::args().collect::<Vec<_>>(),
        "threads": m.threads,
        "start_time": crate::output::rfc3339(m.started),
        "wall_time_seconds": m.wall,
        "runs_this_session": m.ran_now,
        "status": m.status,
    })
}

/// The sessions recorded in an earlier manifest (none if it has none).
fn earlier_sessions(prior: Option<&serde_json::Value>) -> Vec<serde_json::Value> {
    prior
        .and_then(|m| m.get("sessions"))
        .and_then(|s| s.as_array())
        .cloned()
        .unwrap_or_default()
}

fn manifest(m: &ManifestInfo) -> serde_json::Value {
    let complete = m.recorded as u64 == m.plan.n_runs();
    let mut sessions = m.earlier.to_vec();
    sessions.push(session(m));
    let first = &sessions[0];
    serde_json::json!({
        "program": "orglearn",
        "version": env!("CARGO_PKG_VERSION"),
        "kind": m.kind,
        "name": m.sw.name,
        "sweep_file": m.sw.source,
        "base_scenario": m.sw.base_scenario().map(|s| s.source.clone()),
        "fingerprint": m.fingerprint,
        "design": m.sw.design,
        "plan": {
            "points": m.plan.points.len(),
            "replicates": m.plan.replicates,
            "runs": m.plan.n_runs(),
            "strategies": m.sw.strategies,
            "columns": m.sw.column_names(),
        },
        "shard": m.shard,
        "runs_recorded": m.recorded,
        "complete": complete,
        "status": if m.finished { "finished" } else { m.status },
        "threads": m.threads,
        "command_line": first["command_line"],
        "start_time": first["start_time"],
        "input_files": m.inputs,
        "sessions": sessions,
        "wall_time_seconds": m.wall,
        "runs_this_session": m.ran_now,
        "runs_per_second": if m.wall > 0.0 { m.ran_now as f64 / m.wall } else { 0.0 },
        "files": m.files,
        "details": m.extra,
        "sweep": m.sw,
    })
}

/// `orglearn sweep`.
pub fn sweep(a: SweepArgs) -> Result<()> {
    let started = SystemTime::now();
    let t0 = Instant::now();
    let (sw, text) = Sweep::open(&a.sweep)?;
    if !a.quiet {
        for w in &sw.warnings {
            eprintln!("warning: {w}");
        }
    }
    if a.threads == Some(0) {
        bail!("--threads must be at least 1 (leave it out to use every core)");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let nthreads = pool.current_num_threads();
    let plan = Plan::new(&sw);
    let mut inputs = vec![crate::provenance::InputFile {
        role: "sweep".into(),
        path: sw.source.clone(),
        sha256: crate::provenance::sha256_hex(text.as_bytes()),
    }];
    if let Some(base) = sw.base_scenario() {
        inputs.extend(crate::provenance::scenario_inputs(base));
    }
    let fp = plan::fingerprint(&sw, &plan);
    let shard = a.shard.filter(|s| s.count > 1);
    let ids = plan.ids(shard);
    let out = a.out.clone().unwrap_or_else(|| default_out(&sw, a.shard));
    let base = sw.base_scenario().expect("validated");
    crate::scenario::check_memory(base, nthreads)?;
    let scenarios = pool.install(|| point_scenarios(&sw, &plan, &ids))?;
    check_points_memory(&scenarios, nthreads)?;

    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let _lock = guard::Lock::take(&out).map_err(anyhow::Error::msg)?;
    remove_temporaries(&out);
    let journal_path = out.join(JOURNAL);
    let prior = read_manifest(&out)?;
    let journal_len = std::fs::metadata(&journal_path).map_or(0, |m| m.len());
    if journal_len > 0 && !a.fresh {
        if let Some(m) = &prior {
            if m.get("fingerprint").and_then(|v| v.as_str()) != Some(fp.as_str()) {
                bail!(
                    "{} holds results of a different sweep plan (the sweep file, its base scenario or the program changed): use another --out, or --fresh to discard them",
                    out.display()
                );
            }
            let theirs = shard_of(m).filter(|s| s.count > 1);
            if theirs != shard {
                bail!(
                    "{} holds {} of this sweep, not {}: use another --out",
                    out.display(),
                    shard_name(theirs),
                    shard_name(shard)
                );
            }
        }
        if !a.resume {
            let j = results::read_journal(&journal_path, &sw, &plan, shard, Damaged::Drop)?;
            bail!(
                "{} already holds {} of this sweep's runs: pass --resume to keep them and run the rest, or --fresh to start again",
                out.display(),
                j.records.len()
            );
        }
    }
    if a.fresh {
        // Every file the earlier sweep wrote goes (charts included); other files stay.
        let mut old = crate::outdir::written_by_orglearn(&out);
        old.extend([JOURNAL, RUNS, POINTS].map(String::from));
        for f in old.iter().filter(|f| !f.contains(['/', '\\'])) {
            let _ = std::fs::remove_file(out.join(f));
        }
    }
    let earlier = if a.fresh || journal_len == 0 {
        Vec::new()
    } else {
        earlier_sessions(prior.as_ref())
    };
    atomic_write(&out.join(SWEEP_COPY), |w| w.write_all(text.as_bytes()))?;
    write_plan(&out.join(PLAN), &sw, &plan)?;

    // What is already recorded.
    let journal = results::read_journal(&journal_path, &sw, &plan, shard, Damaged::Drop)?;
    if !journal.dropped.is_empty() {
        // Damaged records: keep only the sound ones, and run the rest again.
        results::write_journal(&journal_path, &sw, journal.records.values())?;
        if !a.quiet {
            let lines: Vec<String> = journal
                .dropped
                .iter()
                .take(10)
                .map(|(l, _)| l.to_string())
                .collect();
            eprintln!(
                "note: dropped {} damaged record{} of {} (line{} {}{}: {}); {} again",
                journal.dropped.len(),
                if journal.dropped.len() == 1 { "" } else { "s" },
                journal_path.display(),
                if journal.dropped.len() == 1 { "" } else { "s" },
                lines.join(", "),
                if journal.dropped.len() > 10 {
                    ", ..."
                } else {
                    ""
                },
                journal.dropped[0].1,
                if journal.dropped.len() == 1 {
                    "its run runs"
                } else {
                    "their runs run"
                }
            );
        }
    } else if journal.partial {
        // A run cut off mid-write: drop its partial line before appending.
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&journal_path)
            .with_context(|| format!("cannot open {}", journal_path.display()))?;
        f.set_len(journal.complete_len)
            .with_context(|| format!("cannot truncate {}", journal_path.display()))?;
        if !a.quiet {
            eprintln!("note: dropped the partial record of a run cut off mid-write; it runs again");
        }
    }
    let pending: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|id| !journal.records.contains_key(id))
        .collect();
    let resumed = ids.len() - pending.len();
    let info = |recorded: usize, finished: bool, ran_now: usize, files: Vec<String>| ManifestInfo {
        kind: "sweep",
        sw: &sw,
        plan: &plan,
        fingerprint: &fp,
        shard,
        recorded,
        finished,
        threads: nthreads,
        started,
        wall: t0.elapsed().as_secs_f64(),
        ran_now,
        files,
        extra: serde_json::json!({ "runs_in_shard": ids.len(), "resumed": resumed }),
        inputs: &inputs,
        earlier: &earlier,
        status: "running",
    };
    output::write_manifest(
        &out.join(MANIFEST),
        &manifest(&info(resumed, false, 0, vec![])),
    )?;
    if a.dry_run {
        if !a.quiet {
            println!(
                "{}: {} design, {} points x {} replicates = {} runs{}, {} strateg{} each; wrote {}: {PLAN}, {MANIFEST}",
                sw.name,
                sw.design.name(),
                plan.points.len(),
                plan.replicates,
                plan.n_runs(),
                shard
                    .map(|s| format!(" ({} in shard {s})", ids.len()))
                    .unwrap_or_default(),
                sw.strategies.len(),
                if sw.strategies.len() == 1 { "y" } else { "ies" },
                out.display()
            );
        }
        return Ok(());
    }

    // Run, appending each finished run to the journal.
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&journal_path)
        .with_context(|| format!("cannot open {}", journal_path.display()))?;
    let file = Mutex::new(file);
    let bar = (!a.quiet && std::io::stderr().is_terminal()).then(|| {
        let pb = indicatif::ProgressBar::new(ids.len() as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {pos}/{len} runs, {rate}, {elapsed} elapsed, ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .with_key(
                "rate",
                |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.1} runs/s", s.per_sec());
                },
            )
            .progress_chars("=> "),
        );
        pb.set_message(match shard {
            Some(s) => format!("{} {s}", sw.name),
            None => sw.name.clone(),
        });
        pb.set_position(resumed as u64);
        pb.reset_eta();
        pb
    });
    let t_run = Instant::now();
    let done = |rec: Record| -> std::io::Result<()> {
        let line = rec.line(&sw);
        let mut f = file.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all(line.as_bytes())?;
        if let Some(pb) = &bar {
            pb.inc(1);
        }
        Ok(())
    };
    guard::watch();
    let ran = pool.install(|| run_ids(&sw, &plan, &scenarios, &pending, &done));
    if let Some(pb) = &bar {
        pb.finish_and_clear();
    }
    let run_secs = t_run.elapsed().as_secs_f64();
    let file = file.into_inner().unwrap_or_else(|p| p.into_inner());
    file.sync_all().ok();
    if let Err(e) = ran {
        let recorded = results::read_journal(&journal_path, &sw, &plan, shard, Damaged::Drop)
            .map_or(0, |j| j.records.len());
        let stopped = e.downcast_ref::<guard::Interrupted>().is_some();
        let mut m = info(recorded, false, recorded.saturating_sub(resumed), vec![]);
        m.status = if stopped {
            "interrupted"
        } else {
            "stopped by an error"
        };
        output::write_manifest(&out.join(MANIFEST), &manifest(&m))?;
        if stopped {
            bail!(
                "interrupted: {recorded} of {} runs are recorded in {}; to run the rest: orglearn sweep {} --out {}{} --resume",
                ids.len(),
                journal_path.display(),
                a.sweep,
                out.display(),
                shard.map(|s| format!(" --shard {s}")).unwrap_or_default()
            );
        }
        return Err(e.context(format!(
            "the sweep stopped; {recorded} of {} runs are recorded in {} (run again with --resume once the problem is fixed)",
            ids.len(),
            journal_path.display()
        )));
    }

    // Sorted tables.
    let journal = results::read_journal(&journal_path, &sw, &plan, shard, Damaged::Refuse)?;
    let missing = ids
        .iter()
        .filter(|id| !journal.records.contains_key(id))
        .count();
    if missing > 0 {
        bail!(
            "{missing} runs are missing from {} after running (did another process write to this folder?)",
            journal_path.display()
        );
    }
    let records: Vec<Record> = journal.records.into_values().collect();
    results::write_journal(&journal_path, &sw, records.iter())?;
    results::write_runs(&out.join(RUNS), &sw, &plan, records.iter())?;
    let mut files = vec![
        RUNS.to_string(),
        JOURNAL.to_string(),
        PLAN.to_string(),
        SWEEP_COPY.to_string(),
    ];
    if shard.is_none() {
        files.extend(finish_complete(&out, &sw, &plan, &records, !a.no_charts)?);
    }
    files.push(MANIFEST.to_string());
    let m = info(records.len(), true, pending.len(), files.clone());
    output::write_manifest(&out.join(MANIFEST), &manifest(&m))?;
    if !a.quiet {
        let rate = if run_secs > 0.0 {
            pending.len() as f64 / run_secs
        } else {
            0.0
        };
        println!(
            "{}{}: {} runs{} in {:.1} s ({:.1} runs/s, {} threads); wrote {}: {}",
            sw.name,
            shard.map(|s| format!(" shard {s}")).unwrap_or_default(),
            pending.len(),
            if resumed > 0 {
                format!(" (and {resumed} already recorded)")
            } else {
                String::new()
            },
            run_secs,
            rate,
            nthreads,
            out.display(),
            files.join(", ")
        );
        if shard.is_some() {
            println!(
                "when every shard has finished: orglearn merge {}",
                out.parent()
                    .map(|p| p.join("shard-*").display().to_string())
                    .unwrap_or_else(|| "SHARD_DIRS...".into())
            );
        }
    }
    Ok(())
}

/// Files of a complete sweep (all runs, sorted): `points.csv` and charts.
fn finish_complete(
    out: &Path,
    sw: &Sweep,
    plan: &Plan,
    records: &[Record],
    draw: bool,
) -> Result<Vec<String>> {
    assert_eq!(records.len() as u64, plan.n_runs());
    results::write_points(&out.join(POINTS), sw, plan, records)?;
    let mut files = vec![POINTS.to_string()];
    if draw {
        for p in draw_charts(out, sw, plan, records)? {
            if let Some(n) = p.file_name() {
                files.push(n.to_string_lossy().into_owned());
            }
        }
    }
    Ok(files)
}

// ------------------------------------------------------------------ merge

/// `orglearn merge`.
pub fn merge(a: MergeArgs) -> Result<()> {
    let t0 = Instant::now();
    let started = SystemTime::now();
    let mut parts = Vec::new();
    for d in &a.dirs {
        let m = read_manifest(d)?.with_context(|| {
            format!(
                "{} has no {MANIFEST}: it is not a sweep's output folder",
                d.display()
            )
        })?;
        let fp = m
            .get("fingerprint")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let sw: Sweep = serde_json::from_value(m.get("sweep").cloned().unwrap_or_default())
            .with_context(|| format!("{}: the manifest has no readable sweep", d.display()))?;
        parts.push((d.clone(), m, fp, sw));
    }
    let (_, _, fp, sw) = &parts[0];
    for (d, _, f, _) in &parts[1..] {
        if f != fp {
            bail!(
                "{} and {} hold results of different sweeps (or of different versions of one): merge only the shards of one sweep",
                a.dirs[0].display(),
                d.display()
            );
        }
    }
    let plan = Plan::new(sw);

    // Gather every run, refusing duplicates.
    let mut owner: BTreeMap<u64, usize> = BTreeMap::new();
    let mut records: BTreeMap<u64, Record> = BTreeMap::new();
    let mut counts = Vec::new();
    for (k, (d, m, _, _)) in parts.iter().enumerate() {
        let shard = shard_of(m).filter(|s| s.count > 1);
        let j = results::read_journal(&d.join(JOURNAL), sw, &plan, shard, Damaged::Refuse)?;
        counts.push((shard, j.records.len(), plan.ids(shard).len()));
        for (id, rec) in j.records {
            if let Some(&o) = owner.get(&id) {
                bail!(
                    "run {id} is recorded in both {} and {}: each planned run must come from exactly one folder (was a shard given twice, or run twice into two folders?)",
                    parts[o].0.display(),
                    d.display()
                );
            }
            owner.insert(id, k);
            records.insert(id, rec);
        }
    }
    let missing: Vec<u64> = (0..plan.n_runs())
        .filter(|id| !records.contains_key(id))
        .collect();
    if !missing.is_empty() {
        let mut why = Vec::new();
        for ((d, _, _, _), (shard, have, want)) in parts.iter().zip(&counts) {
            if have < want {
                why.push(format!(
                    "{} ({}) has {have} of its {want} runs: finish it with `orglearn sweep {} --out {}{} --resume`",
                    d.display(),
                    shard_name(*shard),
                    sw.source,
                    d.display(),
                    shard.map(|s| format!(" --shard {s}")).unwrap_or_default()
                ));
            }
        }
        let shards: Vec<Shard> = counts.iter().filter_map(|c| c.0).collect();
        if let Some(n) = shards.first().map(|s| s.count) {
            let absent: Vec<String> = (1..=n)
                .filter(|i| !shards.iter().any(|s| s.index == *i))
                .map(|i| format!("{i}/{n}"))
                .collect();
            if !absent.is_empty() {
                why.push(format!("no folder given for shard {}", absent.join(", ")));
            }
        }
        let shown: Vec<String> = missing.iter().take(10).map(|i| i.to_string()).collect();
        bail!(
            "cannot merge: {} of the plan's {} runs are missing (run ids {}{}){}",
            missing.len(),
            plan.n_runs(),
            shown.join(", "),
            if missing.len() > 10 { ", ..." } else { "" },
            if why.is_empty() {
                String::new()
            } else {
                format!(":\n  {}", why.join("\n  "))
            }
        );
    }

    let out = match &a.out {
        Some(o) => o.clone(),
        None => {
            let parents: Vec<PathBuf> = a
                .dirs
                .iter()
                .map(|d| {
                    std::path::absolute(d)
                        .unwrap_or(d.clone())
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_default()
                })
                .collect();
            if parents.windows(2).any(|w| w[0] != w[1]) || parents[0].as_os_str().is_empty() {
                bail!("the shard folders are not in one folder: say where to write with --out DIR");
            }
            parents[0].clone()
        }
    };
    let out_abs = std::path::absolute(&out).unwrap_or(out.clone());
    if a.dirs
        .iter()
        .any(|d| std::path::absolute(d).unwrap_or(d.clone()) == out_abs)
    {
        bail!("--out must not be one of the folders being merged");
    }
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let records: Vec<Record> = records.into_values().collect();
    results::write_journal(&out.join(JOURNAL), sw, records.iter())?;
    results::write_runs(&out.join(RUNS), sw, &plan, records.iter())?;
    write_plan(&out.join(PLAN), sw, &plan)?;
    if let Ok(text) = std::fs::read(a.dirs[0].join(SWEEP_COPY)) {
        atomic_write(&out.join(SWEEP_COPY), |w| w.write_all(&text))?;
    }
    let mut files = vec![
        RUNS.to_string(),
        JOURNAL.to_string(),
        PLAN.to_string(),
        SWEEP_COPY.to_string(),
    ];
    files.extend(finish_complete(&out, sw, &plan, &records, !a.no_charts)?);
    files.push(MANIFEST.to_string());
    let shards: Vec<serde_json::Value> = parts
        .iter()
        .map(|(d, m, _, _)| {
            serde_json::json!({
                "folder": d.display().to_string(),
                "shard": m.get("shard"),
                "threads": m.get("threads"),
                "wall_time_seconds": m.get("wall_time_seconds"),
                "start_time": m.get("start_time"),
                "sessions": m.get("sessions"),
            })
        })
        .collect();
    // The shards' inputs (the same in every shard: the fingerprint covers them).
    let inputs: Vec<crate::provenance::InputFile> = parts[0]
        .1
        .get("input_files")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let m = ManifestInfo {
        kind: "merge",
        sw,
        plan: &plan,
        fingerprint: fp,
        shard: None,
        recorded: records.len(),
        finished: true,
        threads: 1,
        started,
        wall: t0.elapsed().as_secs_f64(),
        ran_now: 0,
        files: files.clone(),
        extra: serde_json::json!({ "merged_from": shards }),
        inputs: &inputs,
        earlier: &[],
        status: "finished",
    };
    output::write_manifest(&out.join(MANIFEST), &manifest(&m))?;
    if !a.quiet {
        println!(
            "{}: merged {} runs from {} folders; wrote {}: {}",
            sw.name,
            records.len(),
            parts.len(),
            out.display(),
            files.join(", ")
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- outputs

/// The analysed output of each run (per run id).
fn output_values(sw: &Sweep, out: &Output, records: &[Record]) -> Result<Vec<f64>> {
    let s = sw
        .strategies
        .iter()
        .position(|n| *n == out.strategy)
        .with_context(|| {
            format!(
                "\"{}\" is not one of the sweep's strategies: {}",
                out.strategy,
                sw.strategies.join(", ")
            )
        })?;
    let m = match &out.minus {
        Some(m) => Some(sw.strategies.iter().position(|n| n == m).with_context(|| {
            format!(
                "\"{m}\" is not one of the sweep's strategies: {}",
                sw.strategies.join(", ")
            )
        })?),
        None => None,
    };
    let c = sw.column_of(&out.indicator, out.year).with_context(|| {
        format!(
            "{} at year {} was not recorded; the recorded columns are {}",
            out.indicator,
            out.year,
            sw.column_names().join(", ")
        )
    })?;
    Ok(records
        .iter()
        .map(|r| r.get(s, c) - m.map_or(0.0, |m| r.get(m, c)))
        .collect())
}

/// Mean of each point over its replicates.
fn point_means(plan: &Plan, per_run: &[f64]) -> Vec<f64> {
    per_run
        .chunks(plan.replicates as usize)
        .map(|v| summarise(v).mean)
        .collect()
}

fn tick(v: &LValue) -> String {
    match v {
        LValue::Float(x) => {
            let s = format!("{x:.4}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s.is_empty() || s == "-0" {
                "0".into()
            } else {
                s.to_string()
            }
        }
        other => other.to_string(),
    }
}

/// Charts of a complete grid sweep: for two levers a heatmap of the output
/// and (with two or more strategies) a regime map; for one numeric lever,
/// the output indicator of each strategy along it.
fn draw_charts(out: &Path, sw: &Sweep, plan: &Plan, records: &[Record]) -> Result<Vec<PathBuf>> {
    if sw.design != Design::Grid || !(1..=2).contains(&sw.levers.len()) {
        return Ok(Vec::new());
    }
    let reps = plan.replicates;
    let rep_note = if reps > 1 {
        format!("mean of {reps} replicates")
    } else {
        "one replicate".to_string()
    };
    let mut files = Vec::new();
    let grids: Vec<Vec<LValue>> = sw.levers.iter().map(|l| l.grid()).collect();
    let col = sw
        .column_of(&sw.output.indicator, sw.output.year)
        .expect("the output is recorded");
    if sw.levers.len() == 1 {
        let l = &sw.levers[0];
        if !l.numeric() {
            return Ok(files);
        }
        let xs: Vec<f64> = grids[0].iter().filter_map(LValue::number).collect();
        let series = sw
            .strategies
            .iter()
            .enumerate()
            .map(|(s, name)| {
                let sums: Vec<_> = (0..plan.points.len())
                    .map(|p| {
                        let v: Vec<f64> = records[p * reps as usize..(p + 1) * reps as usize]
                            .iter()
                            .map(|r| r.get(s, col))
                            .collect();
                        summarise(&v)
                    })
                    .collect();
                crate::charts::Series {
                    name: name.clone(),
                    color: sw.colors[s],
                    x: xs.clone(),
                    y: sums.iter().map(|m| m.mean).collect(),
                    lo: (reps > 1).then(|| sums.iter().map(|m| m.lo).collect()),
                    hi: (reps > 1).then(|| sums.iter().map(|m| m.hi).collect()),
                }
            })
            .collect();
        let chart = crate::charts::LineChart {
            title: format!(
                "{} at year {} along {} — {}",
                sw.output.indicator, sw.output.year, l.label, sw.name
            ),
            subtitle: Some(if reps > 1 {
                format!("Lines: mean of {reps} replicates per value; shaded: 95% interval")
            } else {
                "One replicate per value (no interval)".into()
            }),
            x_label: l.label.clone(),
            y_label: sw.output.indicator.clone(),
            series,
            y_range: None,
            x_range: None,
            hline: None,
            vline: None,
        };
        files.extend(crate::charts::line_chart(&chart, out, "response")?);
        return Ok(files);
    }

    let (nx, ny) = (grids[0].len(), grids[1].len());
    let frame = |title: String, subtitle: String| charts::Frame {
        title,
        subtitle,
        x_label: sw.levers[0].label.clone(),
        y_label: sw.levers[1].label.clone(),
        x_ticks: grids[0].iter().map(tick).collect(),
        y_ticks: grids[1].iter().map(tick).collect(),
    };
    // Points are x-major (the first lever varies slowest).
    let at = |i: usize, j: usize| i * ny + j;

    let means = point_means(plan, &output_values(sw, &sw.output, records)?);
    let heat = charts::Heatmap {
        frame: frame(
            format!("{} — {}", sw.output.describe(), sw.name),
            format!(
                "Each cell: {rep_note} at one point of the grid; {} runs in all",
                plan.n_runs()
            ),
        ),
        values: (0..nx)
            .map(|i| (0..ny).map(|j| means[at(i, j)]).collect())
            .collect(),
        value_label: match &sw.output.minus {
            Some(m) => format!("{} − {m}", sw.output.strategy),
            None => sw.output.strategy.clone(),
        },
    };
    files.extend(charts::heatmap(&heat, out, "heatmap")?);

    if sw.strategies.len() >= 2 {
        let cells: Vec<Vec<charts::RegimeCell>> = (0..nx)
            .map(|i| {
                (0..ny)
                    .map(|j| {
                        let p = at(i, j);
                        let runs = &records[p * reps as usize..(p + 1) * reps as usize];
                        let mut sums: Vec<(usize, crate::stats::Summary)> =
                            (0..sw.strategies.len())
                                .map(|s| {
                                    let v: Vec<f64> = runs.iter().map(|r| r.get(s, col)).collect();
                                    (s, summarise(&v))
                                })
                                .filter(|(_, m)| m.mean.is_finite())
                                .collect();
                        sums.sort_by(|a, b| b.1.mean.total_cmp(&a.1.mean).then(a.0.cmp(&b.0)));
                        match sums.as_slice() {
                            [(s, top), (_, next), ..] => charts::RegimeCell {
                                leader: Some(*s),
                                lead: top.mean - next.mean,
                                decided: top.lo.is_finite()
                                    && next.hi.is_finite()
                                    && top.lo > next.hi,
                            },
                            [(s, _)] => charts::RegimeCell {
                                leader: Some(*s),
                                lead: 0.0,
                                decided: false,
                            },
                            [] => charts::RegimeCell {
                                leader: None,
                                lead: 0.0,
                                decided: false,
                            },
                        }
                    })
                    .collect()
            })
            .collect();
        let regime = charts::RegimeMap {
            frame: frame(
                format!(
                    "Which strategy leads: {} at year {} — {}",
                    sw.output.indicator, sw.output.year, sw.name
                ),
                format!(
                    "Colour: strategy with the highest mean ({rep_note}); number: its lead over the runner-up; pale and hatched: the two 95% intervals overlap{}",
                    if reps > 1 {
                        String::new()
                    } else {
                        " (one replicate: no intervals, so no lead counts as clear)".into()
                    }
                ),
            ),
            cells,
            strategies: sw
                .strategies
                .iter()
                .zip(&sw.colors)
                .map(|(n, &c)| (n.clone(), c))
                .collect(),
        };
        files.extend(charts::regime_map(&regime, out, "regime-map")?);
    }
    Ok(files)
}

// ---------------------------------------------------------------- analyze

fn short(v: f64) -> String {
    if v.is_finite() {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.to_string() }
    } else {
        String::new()
    }
}

/// `orglearn analyze`.
pub fn analyze(a: AnalyzeArgs) -> Result<()> {
    let m = read_manifest(&a.dir)?.with_context(|| {
        format!(
            "{} has no {MANIFEST}: it is not a sweep's output folder",
            a.dir.display()
        )
    })?;
    let mut sw: Sweep = serde_json::from_value(m.get("sweep").cloned().unwrap_or_default())
        .context("the manifest has no readable sweep")?;
    if let Some(s) = shard_of(&m).filter(|s| s.count > 1) {
        bail!(
            "{} holds shard {s} only: merge the shards first (`orglearn merge`), then analyse the merged folder",
            a.dir.display()
        );
    }
    if m.get("status").and_then(|v| v.as_str()) != Some("finished") {
        bail!(
            "the sweep in {} has not finished: finish it with `orglearn sweep {} --out {} --resume`",
            a.dir.display(),
            sw.source,
            a.dir.display()
        );
    }
    if !matches!(sw.design, Design::Sobol | Design::Morris) {
        bail!(
            "analyze computes Sobol indices of a \"sobol\" design and elementary effects of a \"morris\" design; {} holds a \"{}\" design (see its points.csv and charts)",
            a.dir.display(),
            sw.design.name()
        );
    }
    if let Some(s) = &a.strategy {
        sw.output.strategy = s.clone();
    }
    if let Some(i) = &a.indicator {
        if !NAMES.contains(&i.as_str()) {
            bail!(
                "unknown indicator \"{i}\"; the indicators are {}",
                NAMES.join(", ")
            );
        }
        sw.output.indicator = i.clone();
    }
    if let Some(y) = a.year {
        sw.output.year = y;
    }
    if let Some(mn) = &a.minus {
        sw.output.minus = (mn != "none").then(|| mn.clone());
    }
    let plan = Plan::new(&sw);
    let records = results::read_runs(&a.dir.join(RUNS), &sw, &plan)?;
    let per_run = output_values(&sw, &sw.output, &records)?;
    let y = point_means(&plan, &per_run);
    if let Some(p) = y.iter().position(|v| !v.is_finite()) {
        bail!(
            "the output ({}) is undefined at point {p} (and maybe others): choose an indicator defined for this strategy",
            sw.output.describe()
        );
    }
    let out = a.out.clone().unwrap_or_else(|| a.dir.clone());
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let d = sw.levers.len();
    // Category labels that wrap: a key's parts as words.
    let labels: Vec<String> = sw
        .levers
        .iter()
        .map(|l| {
            if l.label == l.key {
                l.key.replace(['.', '_'], " ")
            } else {
                l.label.clone()
            }
        })
        .collect();
    let reps = if plan.replicates > 1 {
        format!(", mean of {} replicates per point", plan.replicates)
    } else {
        String::new()
    };
    let (file, rows, chart) = match sw.design {
        Design::Sobol => {
            let idx = sensitivity::sobol_indices(&y, d, a.resamples, sw.seed);
            let rows: Vec<[String; 5]> = sw
                .levers
                .iter()
                .zip(&idx)
                .map(|(l, s)| {
                    [
                        l.key.clone(),
                        short(s.s1),
                        short(s.s1_conf),
                        short(s.st),
                        short(s.st_conf),
                    ]
                })
                .collect();
            let mut order: Vec<usize> = (0..d).collect();
            order.sort_by(|&i, &j| idx[j].st.total_cmp(&idx[i].st).then(i.cmp(&j)));
            let group =
                |name: &str, c: usize, f: &dyn Fn(&sensitivity::SobolIndex) -> (f64, f64)| {
                    crate::charts::BarGroup {
                        name: name.into(),
                        color: c,
                        values: order.iter().map(|&i| f(&idx[i]).0).collect(),
                        lo: Some(order.iter().map(|&i| f(&idx[i]).0 - f(&idx[i]).1).collect()),
                        hi: Some(order.iter().map(|&i| f(&idx[i]).0 + f(&idx[i]).1).collect()),
                    }
                };
            let chart = crate::charts::BarChart {
                title: format!("Sobol indices: {} — {}", sw.output.describe(), sw.name),
                subtitle: Some(format!(
                    "Whiskers: 95% bootstrap interval ({} resamples); N = {} base samples, {} runs{reps}",
                    a.resamples,
                    sw.samples,
                    plan.n_runs()
                )),
                y_label: "Share of the output's variance".into(),
                categories: order.iter().map(|&i| labels[i].clone()).collect(),
                groups: vec![
                    group("first-order (S1)", 0, &|s| (s.s1, s.s1_conf)),
                    group("total (ST)", 1, &|s| (s.st, s.st_conf)),
                ],
                y_range: None,
            };
            (
                "sobol",
                (["lever", "S1", "S1_conf", "ST", "ST_conf"], rows),
                chart,
            )
        }
        _ => {
            let idx = sensitivity::morris_indices(&plan.units, &y, d, a.resamples, sw.seed)
                .map_err(anyhow::Error::msg)?;
            let rows: Vec<[String; 5]> = sw
                .levers
                .iter()
                .zip(&idx)
                .map(|(l, s)| {
                    [
                        l.key.clone(),
                        short(s.mu),
                        short(s.mu_star),
                        short(s.sigma),
                        short(s.mu_star_conf),
                    ]
                })
                .collect();
            let mut order: Vec<usize> = (0..d).collect();
            order.sort_by(|&i, &j| idx[j].mu_star.total_cmp(&idx[i].mu_star).then(i.cmp(&j)));
            let chart = crate::charts::BarChart {
                title: format!(
                    "Morris elementary effects: {} — {}",
                    sw.output.describe(),
                    sw.name
                ),
                subtitle: Some(format!(
                    "mu*: mean absolute effect (whiskers: 95% bootstrap interval, {} resamples); sigma: spread of the effects; {} trajectories{reps}",
                    a.resamples, sw.samples
                )),
                y_label: "Effect of the lever's whole range".into(),
                categories: order.iter().map(|&i| labels[i].clone()).collect(),
                groups: vec![
                    crate::charts::BarGroup {
                        name: "mu* (importance)".into(),
                        color: 0,
                        values: order.iter().map(|&i| idx[i].mu_star).collect(),
                        lo: Some(
                            order
                                .iter()
                                .map(|&i| idx[i].mu_star - idx[i].mu_star_conf)
                                .collect(),
                        ),
                        hi: Some(
                            order
                                .iter()
                                .map(|&i| idx[i].mu_star + idx[i].mu_star_conf)
                                .collect(),
                        ),
                    },
                    crate::charts::BarGroup {
                        name: "sigma (interaction, non-linearity)".into(),
                        color: 1,
                        values: order.iter().map(|&i| idx[i].sigma).collect(),
                        lo: None,
                        hi: None,
                    },
                ],
                y_range: None,
            };
            (
                "morris",
                (["lever", "mu", "mu_star", "sigma", "mu_star_conf"], rows),
                chart,
            )
        }
    };
    let (head, rows) = rows;
    let csv_path = out.join(format!("{file}.csv"));
    atomic_write(&csv_path, |w| {
        writeln!(w, "{}", head.join(","))?;
        for r in &rows {
            writeln!(w, "{}", r.join(","))?;
        }
        Ok(())
    })?;
    let mut files = vec![format!("{file}.csv")];
    if !a.no_charts {
        for p in crate::charts::bar_chart(&chart, &out, file)? {
            if let Some(n) = p.file_name() {
                files.push(n.to_string_lossy().into_owned());
            }
        }
    }
    if !a.quiet {
        println!("{} — {}{reps}", sw.name, sw.output.describe());
        let head: Vec<String> = head.iter().map(|s| s.to_string()).collect();
        let rows: Vec<Vec<String>> = rows.iter().map(|r| r.to_vec()).collect();
        print!("{}", crate::output::text_table("", &head, &rows));
        println!("\nWrote {}: {}", out.display(), files.join(", "));
    }
    Ok(())
}
