//! The runner: plans replicates x strategies, builds each replicate's world
//! and burn-in once, and maps the strategies over it in parallel (rayon).
//!
//! Determinism: results are collected in plan order, and every random draw
//! is keyed by (seed, replicate, entity, purpose, step) — never by strategy
//! or thread — so output is identical whatever the thread count.

use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::model::{self, RunRecord, Settings, World, WorldInputs};
use crate::scenario::Scenario;

/// The result of one strategy on one replicate.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub strategy: usize,
    pub replicate: u32,
    pub record: RunRecord,
}

/// Facts about one replicate's world worth reporting in the manifest.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WorldFacts {
    pub replicate: u32,
    pub schools: usize,
    pub teachers: usize,
    pub edges: usize,
    pub landscape_maxima: Vec<f64>,
    pub maxima_exact: bool,
    pub q0: f64,
}

/// Everything a scenario run produced.
#[derive(Clone, Debug)]
pub struct Results {
    pub runs: Vec<RunResult>,
    pub worlds: Vec<WorldFacts>,
    pub steps: usize,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Building a replicate's world failed (the message is the cause's:
    /// input problems do not depend on the replicate, so it is not named).
    #[error("{cause}")]
    World {
        replicate: u32,
        cause: model::world::WorldError,
    },
    /// A strategy lists an authority the world does not have.
    #[error("{message}")]
    Mix { replicate: u32, message: String },
    /// The run was cancelled (its cancellation flag was raised).
    #[error("the run was cancelled")]
    Cancelled,
}

/// Each strategy's lever set per authority of `w` (replicate `r`).
pub fn mixes(sc: &Scenario, w: &World, r: u32) -> Result<Vec<model::Mix>, RunError> {
    sc.strategies
        .iter()
        .map(|s| {
            s.mix(w).map_err(|message| RunError::Mix {
                replicate: r,
                message,
            })
        })
        .collect()
}

/// Settings of the model from a scenario.
pub fn settings(sc: &Scenario, per_school: bool) -> Settings {
    Settings {
        years: sc.run.years,
        steps_per_year: sc.run.steps_per_year,
        burn_in_years: sc.run.burn_in_years,
        practice_effect: sc.schools.practice_effect,
        responsiveness: sc.schools.responsiveness,
        turbulence: sc.landscape.turbulence,
        sustain_years: sc.run.sustain_years,
        per_school,
    }
}

/// Build replicate `r`'s world.
pub fn world(sc: &Scenario, r: u32) -> Result<World, RunError> {
    model::build_world(&WorldInputs {
        seed: sc.run.seed,
        replicate: r as u64,
        landscape: &sc.landscape,
        schools: &sc.schools,
        network: &sc.network,
        dir: sc.dir.as_deref(),
    })
    .map_err(|cause| RunError::World {
        replicate: r,
        cause,
    })
}

/// The year keys at which turbulence strikes: burn-in years, then years 1..=years.
pub fn turbulence_keys(sc: &Scenario) -> Vec<u64> {
    let b = sc.run.burn_in_years as u64;
    (0..b).chain(b + 1..=b + sc.run.years as u64).collect()
}

/// One replicate's world facts and the runs of the strategies asked for.
#[derive(Clone, Debug)]
pub struct Replicate {
    pub facts: WorldFacts,
    /// One run per strategy asked for, in the order asked.
    pub runs: Vec<RunResult>,
}

/// Ways to watch and stop a run. The default watches nothing.
#[derive(Clone, Copy, Default)]
pub struct Hooks<'a> {
    /// Called (from any thread) after each finished strategy run with the
    /// number of runs finished so far.
    pub progress: Option<&'a (dyn Fn(usize) + Sync)>,
    /// Called (from any thread, in the order replicates finish) with each
    /// finished replicate. The final [`Results`] do not depend on that order.
    pub replicate: Option<&'a (dyn Fn(&Replicate) + Sync)>,
    /// Checked before each replicate and each strategy run: once raised, no
    /// further work starts and the run ends with [`RunError::Cancelled`].
    pub cancel: Option<&'a AtomicBool>,
}

impl Hooks<'_> {
    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// Replicate `r` of `sc`: build its world, burn in once, and run the
/// strategies `which` (indices into `sc.strategies`) from that start, in
/// parallel. This is the one place a replicate is computed: `run`, sweeps
/// and the server all come here.
pub fn replicate(
    sc: &Scenario,
    r: u32,
    which: &[usize],
    per_school: bool,
    hooks: &Hooks<'_>,
) -> Result<Replicate, RunError> {
    replicate_counted(sc, r, which, per_school, hooks, &AtomicUsize::new(0))
}

/// [`replicate`], counting finished runs in `done` for `hooks.progress`.
fn replicate_counted(
    sc: &Scenario,
    r: u32,
    which: &[usize],
    per_school: bool,
    hooks: &Hooks<'_>,
    done: &AtomicUsize,
) -> Result<Replicate, RunError> {
    if hooks.cancelled() {
        return Err(RunError::Cancelled);
    }
    let st = settings(sc, per_school);
    let mut w = world(sc, r)?;
    if which.len() > 1 {
        w.prepare_turbulence(sc.landscape.turbulence, &turbulence_keys(sc));
    }
    let mixes = mixes(sc, &w, r)?;
    // A run's only strategy is the only reader of its landscape and start
    // state, so it takes them over instead of copying them.
    let start = if which.len() == 1 {
        model::burn_in_taking(&mut w, &sc.burn_in_levers(), &st)
    } else {
        model::burn_in(&w, &sc.burn_in_levers(), &st)
    };
    let facts = WorldFacts {
        replicate: r,
        schools: w.n_schools,
        teachers: w.n_teachers(),
        edges: w.network.edges.len(),
        landscape_maxima: (0..w.landscape.contexts())
            .map(|c| w.landscape.max_raw(c))
            .collect(),
        maxima_exact: w.landscape.maxima_exact(),
        q0: start.q0,
    };
    let finish = |strategy: usize, record: RunRecord| {
        if let Some(p) = hooks.progress {
            p(done.fetch_add(1, Ordering::Relaxed) + 1);
        }
        RunResult {
            strategy,
            replicate: r,
            record,
        }
    };
    let runs: Vec<RunResult> = if let [only] = which {
        if hooks.cancelled() {
            return Err(RunError::Cancelled);
        }
        vec![finish(
            *only,
            model::run_mix_from(&w, start, &mixes[*only], &st),
        )]
    } else {
        which
            .par_iter()
            .map(|&i| {
                if hooks.cancelled() {
                    return Err(RunError::Cancelled);
                }
                Ok(finish(i, model::run_mix(&w, &start, &mixes[i], &st)))
            })
            .collect::<Result<_, _>>()?
    };
    Ok(Replicate { facts, runs })
}

/// Run every strategy of `sc` on every replicate. `progress` is called
/// (from any thread) after each finished run with the number finished.
pub fn run(
    sc: &Scenario,
    per_school: bool,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Results, RunError> {
    run_with(
        sc,
        per_school,
        &Hooks {
            progress: Some(progress),
            ..Hooks::default()
        },
    )
}

/// Run every strategy of `sc` on every replicate, in parallel, with
/// `hooks` to watch each replicate finish and to cancel. Results are
/// collected in plan order, so they do not depend on the thread count.
pub fn run_with(sc: &Scenario, per_school: bool, hooks: &Hooks<'_>) -> Result<Results, RunError> {
    let done = AtomicUsize::new(0);
    let all: Vec<usize> = (0..sc.strategies.len()).collect();
    let reps: Vec<u32> = (0..sc.run.replicates).collect();
    let per_rep: Vec<Result<Replicate, RunError>> = reps
        .par_iter()
        .map(|&r| {
            let rep = replicate_counted(sc, r, &all, per_school, hooks, &done)?;
            if let Some(f) = hooks.replicate {
                f(&rep);
            }
            Ok(rep)
        })
        .collect();
    let mut runs = Vec::new();
    let mut worlds = Vec::new();
    for item in per_rep {
        let rep = item?;
        runs.extend(rep.runs);
        worlds.push(rep.facts);
    }
    Ok(Results {
        runs,
        worlds,
        steps: sc.steps(),
    })
}

/// Options of a scenario run shared by the front ends (`orglearn run`, the
/// validation models, and the server's report export). The command line
/// fills it; nothing here knows of clap.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Scenario file or built-in name (`None`: `default`).
    pub scenario: Option<String>,
    /// Output folder (`None`: `out/<scenario name>/`).
    pub out: Option<PathBuf>,
    /// Replicates, overriding the scenario's.
    pub replicates: Option<u32>,
    /// Master seed, overriding the scenario's.
    pub seed: Option<u64>,
    /// Worker threads (`None`: every core).
    pub threads: Option<usize>,
    /// `KEY=VALUE` assignments, as `--set`.
    pub set: Vec<String>,
    /// Keep per-school rows (`schools.csv`).
    pub per_school: bool,
    /// No progress bar and no table.
    pub quiet: bool,
    /// No charts.
    pub no_charts: bool,
    /// Skip the report's robustness check.
    pub no_robustness: bool,
}

/// Why the worker threads could not start.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("--threads must be at least 1 (leave it out to use every core)")]
    Zero,
    #[error("cannot start the worker threads: {0}")]
    Build(#[from] rayon::ThreadPoolBuildError),
}

/// The worker pool of `threads` threads (`None`: every core).
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, PoolError> {
    if threads == Some(0) {
        return Err(PoolError::Zero);
    }
    Ok(rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()?)
}
