//! Validation models: published models of organisational learning rebuilt
//! from orglearn's parts (bit-vector beliefs and practices, the NK landscape
//! with exact maxima, networks, keyed streams, outputs, charts), runnable as
//! built-in scenarios (the specification, §9).
//!
//! - [`march`]: March (1991), his Figures 1 to 5 (`march1991`);
//! - [`lazer`]: Lazer & Friedman (2007), payoff curves by network
//!   (`lazer-friedman2007`, the timing load `lf-reference`, and `lf-k0`);
//! - [`fang`]: Fang, Lee & Schilling (2010), long-run performance against
//!   cross-group linking (`fang2010`).
//!
//! A validation scenario is a TOML file whose top-level `model` key names
//! one of these; the built-ins are `scenarios/validation/*.toml`, embedded.
//! [`source`] reads it, applies `--set`, `--replicates` and `--seed`, and
//! locates every problem. The models are pure computation on the current
//! rayon pool; each replication draws from its own keyed streams and results
//! are collected and summed in a fixed order, so they do not depend on the
//! thread count. [`run`] builds the pool, writes the CSV files, charts and
//! `manifest.json`, and prints a summary table.

pub mod fang;
pub mod lazer;
pub mod march;
pub mod parts;
mod report;
pub mod source;

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result, bail};

use crate::runner::RunOptions;
use source::{BUILTINS, ConfigError, ModelKind, Source};

/// A validation scenario, read and checked.
#[derive(Clone, Debug)]
pub enum Loaded {
    March(Box<march::MarchConfig>),
    LazerFriedman(Box<lazer::LfConfig>),
    Fang(Box<fang::FangConfig>),
}

impl Loaded {
    /// The scenario's `name`.
    pub fn name(&self) -> &str {
        match self {
            Loaded::March(c) => &c.name,
            Loaded::LazerFriedman(c) => &c.name,
            Loaded::Fang(c) => &c.name,
        }
    }

    fn model(&self) -> ModelKind {
        match self {
            Loaded::March(_) => ModelKind::March1991,
            Loaded::LazerFriedman(_) => ModelKind::LazerFriedman2007,
            Loaded::Fang(_) => ModelKind::Fang2010,
        }
    }

    fn seed_and_replicates(&self) -> (u64, u32) {
        match self {
            Loaded::March(c) => (c.seed, c.replicates),
            Loaded::LazerFriedman(c) => (c.seed, c.replicates),
            Loaded::Fang(c) => (c.seed, c.replicates),
        }
    }

    fn parameters(&self) -> serde_json::Value {
        match self {
            Loaded::March(c) => serde_json::to_value(c),
            Loaded::LazerFriedman(c) => serde_json::to_value(c),
            Loaded::Fang(c) => serde_json::to_value(c),
        }
        .unwrap_or(serde_json::Value::Null)
    }
}

/// Problems every model shares: the replication count.
fn common_problems(replicates: u32) -> Vec<(String, String)> {
    if (1..=1_000_000).contains(&replicates) {
        Vec::new()
    } else {
        vec![(
            "replicates".into(),
            format!("{replicates} is out of range: use 1 to 1000000"),
        )]
    }
}

/// Read, override and check a validation scenario. `sets` are
/// `(label for messages, "KEY=VALUE")`, applied in order.
pub fn load(arg: &str, sets: &[(String, String)]) -> Result<(Source, Loaded), ConfigError> {
    let src = Source::open(arg, sets)?;
    let loaded = match src.model {
        ModelKind::March1991 => {
            let c = src.load(|c: &march::MarchConfig| {
                let mut p = common_problems(c.replicates);
                p.extend(c.problems());
                p
            })?;
            Loaded::March(Box::new(c))
        }
        ModelKind::LazerFriedman2007 => {
            let c = src.load(|c: &lazer::LfConfig| {
                let mut p = common_problems(c.replicates);
                p.extend(c.problems());
                p
            })?;
            Loaded::LazerFriedman(Box::new(c))
        }
        ModelKind::Fang2010 => {
            let c = src.load(|c: &fang::FangConfig| {
                let mut p = common_problems(c.replicates);
                p.extend(c.problems());
                p
            })?;
            Loaded::Fang(Box::new(c))
        }
    };
    Ok((src, loaded))
}

/// Does this scenario argument name a validation model (a built-in name or
/// a file whose top-level `model` key names one)?
pub fn is_validation(arg: Option<&str>) -> bool {
    let Some(arg) = arg else {
        return false;
    };
    let path = Path::new(arg);
    if path.is_file() {
        return std::fs::read_to_string(path)
            .ok()
            .and_then(|t| source::model_key(&t))
            .is_some_and(|k| ModelKind::from_key(&k).is_some());
    }
    source::builtin(arg).is_some()
}

/// The built-in validation scenarios: `(name, description)`, for `orglearn list`.
pub fn list_lines() -> Vec<(String, String)> {
    BUILTINS
        .iter()
        .map(|(n, t)| (n.to_string(), source::description(t)))
        .collect()
}

/// The labelled assignments of a command line: each `--set`, then
/// `--replicates` and `--seed`.
fn assignments(
    sets: &[String],
    replicates: Option<u32>,
    seed: Option<u64>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = sets
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("--set #{} ({s})", i + 1), s.clone()))
        .collect();
    if let Some(r) = replicates {
        out.push((format!("--replicates {r}"), format!("replicates={r}")));
    }
    if let Some(s) = seed {
        out.push((format!("--seed {s}"), format!("seed={s}")));
    }
    out
}

/// Check a validation scenario without running it (for `orglearn check`).
pub fn check(arg: &str, sets: &[String]) -> Result<()> {
    let (src, loaded) = load(arg, &assignments(sets, None, None))?;
    let (seed, reps) = loaded.seed_and_replicates();
    println!(
        "{}: ok — validation model {} ({}), {} replications, seed {seed}",
        src.origin,
        loaded.model().key(),
        loaded.name(),
        reps
    );
    Ok(())
}

/// What a validation run computed.
enum Computed {
    March(march::MarchResults),
    LazerFriedman(lazer::LfResults),
    Fang(fang::FangResults),
}

/// Compute a loaded scenario on the current rayon pool.
fn compute(loaded: &Loaded) -> Computed {
    match loaded {
        Loaded::March(c) => Computed::March(march::run(c)),
        Loaded::LazerFriedman(c) => Computed::LazerFriedman(lazer::run(c)),
        Loaded::Fang(c) => Computed::Fang(fang::run(c)),
    }
}

/// Run a validation model from the command line.
pub fn run(args: &RunOptions) -> Result<()> {
    let started = SystemTime::now();
    let t0 = Instant::now();
    let Some(arg) = args.scenario.as_deref() else {
        bail!("name a validation model or file, e.g. `orglearn run march1991`");
    };
    if args.per_school {
        bail!("--per-school has no meaning for the validation model {arg}: leave it out");
    }
    let (src, loaded) = load(arg, &assignments(&args.set, args.replicates, args.seed))?;
    let pool = crate::runner::thread_pool(args.threads)?;
    let threads = pool.current_num_threads();
    let out_dir: PathBuf = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(loaded.name()));

    let computed = pool.install(|| compute(&loaded));
    let compute_s = t0.elapsed().as_secs_f64();

    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create the output folder {}", out_dir.display()))?;
    let charts = !args.no_charts;
    let (files, results, maxima) = match (&loaded, &computed) {
        (Loaded::March(c), Computed::March(r)) => (
            report::write_march(&out_dir, c, r, charts)?,
            serde_json::to_value(r)?,
            "not used (March's model has no landscape)",
        ),
        (Loaded::LazerFriedman(c), Computed::LazerFriedman(r)) => (
            report::write_lf(&out_dir, c, r, charts)?,
            serde_json::json!({
                "landscapes": r.landscapes,
                "final_round": r.kinds.iter().zip(&r.curves).map(|(k, c)| {
                    (k.as_str().to_string(), c.last().copied())
                }).collect::<std::collections::BTreeMap<_, _>>(),
            }),
            if r.maxima_exact { "exact" } else { "estimated" },
        ),
        (Loaded::Fang(c), Computed::Fang(r)) => (
            report::write_fang(&out_dir, c, r, charts)?,
            serde_json::to_value(r)?,
            if r.maxima_exact { "exact" } else { "estimated" },
        ),
        _ => unreachable!("results match the scenario's model"),
    };
    let (seed, reps) = loaded.seed_and_replicates();
    let manifest = serde_json::json!({
        "program": "orglearn",
        "version": env!("CARGO_PKG_VERSION"),
        "model": loaded.model().key(),
        "scenario": loaded.name(),
        "source": src.origin,
        "parameters": loaded.parameters(),
        "seed": seed,
        "replicates": reps,
        "command_line": std::env::args().collect::<Vec<_>>(),
        "start_time": crate::output::rfc3339(started),
        "compute_seconds": compute_s,
        "wall_time_seconds": t0.elapsed().as_secs_f64(),
        "threads": threads,
        "landscape_maxima": maxima,
        "files": files,
        "results": results,
    });
    crate::output::write_manifest(&out_dir.join("manifest.json"), &manifest)
        .context("cannot write manifest.json")?;
    if !args.quiet {
        match (&loaded, &computed) {
            (Loaded::March(c), Computed::March(r)) => report::print_march(c, r),
            (Loaded::LazerFriedman(c), Computed::LazerFriedman(r)) => report::print_lf(c, r),
            (Loaded::Fang(c), Computed::Fang(r)) => report::print_fang(c, r),
            _ => {}
        }
        println!(
            "\nWrote {}: {}, manifest.json ({:.2} s, {} thread{})",
            out_dir.display(),
            files.join(", "),
            t0.elapsed().as_secs_f64(),
            threads,
            if threads == 1 { "" } else { "s" }
        );
    }
    Ok(())
}
