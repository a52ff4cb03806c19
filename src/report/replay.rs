//! The median run of each strategy again, school by school, for the
//! network pictures.
//!
//! The runner keeps only authority-wide indicators (and, with
//! `--per-school`, per-school rows without the network a strategy ended
//! with). The pictures need each school's attainment at every year's end
//! and the links each strategy exchanged over (beacon structures and
//! brokered ties change them), so the run each picture shows (the one
//! nearest the strategy's median headline outcome, [`median_run`]) is run
//! again here, from the same world and burn-in: common random numbers make
//! it the very run the results hold. Only those runs are replayed.

use rayon::prelude::*;

use crate::model::{self, Run, World};
use crate::runner::{self, RunError};
use crate::scenario::Scenario;

/// What one run of one strategy did, school by school.
#[derive(Clone, Debug)]
pub struct Replay {
    /// The replicate this run is (0-based).
    pub replicate: u32,
    /// `attainment[y][school]` at the end of year `y` (year 0 first).
    pub attainment: Vec<Vec<f64>>,
    /// The links exchanges ran over at the end (`None`: the school network
    /// unchanged).
    pub edges: Option<Vec<(u32, u32)>>,
    /// Trust on each of the links at the end (same order as the links of
    /// `edges`, or of the school network).
    pub trust: Vec<f64>,
}

/// The worlds of the replayed replicates, and every strategy's replay.
pub struct Replays {
    /// `(replicate, world)`, one per distinct replicate replayed.
    pub worlds: Vec<(u32, World)>,
    pub runs: Vec<Replay>,
}

impl Replays {
    /// The world strategy `s`'s replay ran in.
    pub fn world_of(&self, s: usize) -> &World {
        let r = self.runs[s].replicate;
        &self
            .worlds
            .iter()
            .find(|(q, _)| *q == r)
            .expect("every replayed replicate has its world")
            .1
    }
}

/// The run nearest the median: of `(replicate, value)`, the replicate
/// whose value is closest to the median of the finite values (ties: the
/// lower replicate). `None` when no value is finite.
pub fn median_run(values: &[(u32, f64)]) -> Option<u32> {
    let mut v: Vec<f64> = values
        .iter()
        .map(|x| x.1)
        .filter(|x| x.is_finite())
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    let med = if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    };
    values
        .iter()
        .filter(|x| x.1.is_finite())
        .min_by(|a, b| {
            (a.1 - med)
                .abs()
                .total_cmp(&(b.1 - med).abs())
                .then(a.0.cmp(&b.0))
        })
        .map(|x| x.0)
}

/// One replicate's world and the replays of the strategies shown from it.
type Built = ((u32, World), Vec<(usize, Replay)>);

/// Replicate 0 of every strategy (see [`replay_runs`]).
pub fn replay(sc: &Scenario) -> Result<Replays, RunError> {
    replay_runs(sc, &vec![0; sc.strategies.len()])
}

/// Run replicate `which[s]` of every strategy `s` again (in parallel),
/// keeping what the pictures need. Each replicate's world and burn-in is
/// built once, as the runner builds it, so each replay is the run the
/// results hold.
pub fn replay_runs(sc: &Scenario, which: &[u32]) -> Result<Replays, RunError> {
    let mut reps: Vec<u32> = which.to_vec();
    reps.sort_unstable();
    reps.dedup();
    let st = runner::settings(sc, false);
    let spy = sc.run.steps_per_year as usize;
    let built: Vec<Result<Built, RunError>> = reps
        .par_iter()
        .map(|&r| {
            let mut w = runner::world(sc, r)?;
            if sc.strategies.len() > 1 {
                w.prepare_turbulence(sc.landscape.turbulence, &runner::turbulence_keys(sc));
            }
            let mixes = runner::mixes(sc, &w, r)?;
            let start = model::burn_in(&w, &sc.burn_in_levers(), &st);
            let mine: Vec<usize> = (0..which.len()).filter(|&s| which[s] == r).collect();
            let runs: Vec<(usize, Replay)> = mine
                .par_iter()
                .map(|&s| {
                    let mut run = Run::with_mix(&w, &start, &mixes[s], &st);
                    let mut attainment = vec![run.state().attainment.clone()];
                    while run.step() {
                        if run.steps_done().is_multiple_of(spy) {
                            attainment.push(run.state().attainment.clone());
                        }
                    }
                    let s_ = run.state();
                    let edges = (s_.net.edges != w.network.edges).then(|| s_.net.edges.clone());
                    let trust = s_.trust.clone();
                    (
                        s,
                        Replay {
                            replicate: r,
                            attainment,
                            edges,
                            trust,
                        },
                    )
                })
                .collect();
            Ok(((r, w), runs))
        })
        .collect();
    let mut worlds = Vec::new();
    let mut runs: Vec<Option<Replay>> = vec![None; which.len()];
    for b in built {
        let (w, rs) = b?;
        worlds.push(w);
        for (s, r) in rs {
            runs[s] = Some(r);
        }
    }
    Ok(Replays {
        worlds,
        runs: runs
            .into_iter()
            .map(|r| r.expect("every strategy replayed"))
            .collect(),
    })
}
