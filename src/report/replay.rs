//! Replicate 0 again, school by school, for the network pictures.
//!
//! The runner keeps only authority-wide indicators (and, with
//! `--per-school`, per-school rows without the network a strategy ended
//! with). The pictures need each school's attainment at every year's end
//! and the links each strategy exchanged over (beacon structures and
//! brokered ties change them), so replicate 0 is run again here, from the
//! same world and burn-in: common random numbers make it the very run the
//! results hold.

use rayon::prelude::*;

use crate::model::{self, Run, World};
use crate::runner::{self, RunError};
use crate::scenario::Scenario;

/// What replicate 0 of one strategy did, school by school.
#[derive(Clone, Debug)]
pub struct Replay {
    /// `attainment[y][school]` at the end of year `y` (year 0 first).
    pub attainment: Vec<Vec<f64>>,
    /// The links exchanges ran over at the end (`None`: the school network
    /// unchanged).
    pub edges: Option<Vec<(u32, u32)>>,
    /// Trust on each of the links at the end (same order as the links of
    /// `edges`, or of the school network).
    pub trust: Vec<f64>,
}

/// Replicate 0's world and every strategy's replay.
pub struct Replays {
    pub world: World,
    pub runs: Vec<Replay>,
}

/// Run replicate 0 of every strategy (in parallel), keeping what the
/// pictures need.
pub fn replay(sc: &Scenario) -> Result<Replays, RunError> {
    let mut w = runner::world(sc, 0)?;
    if sc.strategies.len() > 1 {
        w.prepare_turbulence(sc.landscape.turbulence, &runner::turbulence_keys(sc));
    }
    let st = runner::settings(sc, false);
    let mixes = runner::mixes(sc, &w, 0)?;
    let start = model::burn_in(&w, &sc.burn_in_levers(), &st);
    let spy = sc.run.steps_per_year as usize;
    let runs: Vec<Replay> = mixes
        .par_iter()
        .map(|mix| {
            let mut run = Run::with_mix(&w, &start, mix, &st);
            let mut attainment = vec![run.state().attainment.clone()];
            while run.step() {
                if run.steps_done().is_multiple_of(spy) {
                    attainment.push(run.state().attainment.clone());
                }
            }
            let s = run.state();
            let edges = (s.net.edges != w.network.edges).then(|| s.net.edges.clone());
            Replay {
                attainment,
                edges,
                trust: s.trust.clone(),
            }
        })
        .collect();
    Ok(Replays { world: w, runs })
}
