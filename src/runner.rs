//! The runner: plans replicates x strategies, builds each replicate's world
//! and burn-in once, and maps the strategies over it in parallel (rayon).
//!
//! Determinism: results are collected in plan order, and every random draw
//! is keyed by (seed, replicate, entity, purpose, step) — never by strategy
//! or thread — so output is identical whatever the thread count.

use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// Run every strategy of `sc` on every replicate. `progress` is called
/// (from any thread) after each finished run with the number finished.
pub fn run(
    sc: &Scenario,
    per_school: bool,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Results, RunError> {
    let st = settings(sc, per_school);
    let done = AtomicUsize::new(0);
    let reps: Vec<u32> = (0..sc.run.replicates).collect();
    let per_rep: Vec<Result<(Vec<RunResult>, WorldFacts), RunError>> = reps
        .par_iter()
        .map(|&r| {
            let mut w = world(sc, r)?;
            if sc.strategies.len() > 1 {
                w.prepare_turbulence(sc.landscape.turbulence, &turbulence_keys(sc));
            }
            let mixes = mixes(sc, &w, r)?;
            // A replicate's only strategy is the only reader of its landscape.
            let start = if mixes.len() == 1 {
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
            let runs: Vec<RunResult> = if mixes.len() == 1 {
                // One strategy takes the start state over instead of a copy.
                let record = model::run_mix_from(&w, start, &mixes[0], &st);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                vec![RunResult {
                    strategy: 0,
                    replicate: r,
                    record,
                }]
            } else {
                mixes
                    .par_iter()
                    .enumerate()
                    .map(|(i, mix)| {
                        let record = model::run_mix(&w, &start, mix, &st);
                        progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                        RunResult {
                            strategy: i,
                            replicate: r,
                            record,
                        }
                    })
                    .collect()
            };
            Ok((runs, facts))
        })
        .collect();
    let mut runs = Vec::new();
    let mut worlds = Vec::new();
    for item in per_rep {
        let (r, f) = item?;
        runs.extend(r);
        worlds.push(f);
    }
    Ok(Results {
        runs,
        worlds,
        steps: sc.steps(),
    })
}
