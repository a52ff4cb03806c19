//! Fang, Lee & Schilling (2010), "Balancing exploration and exploitation
//! through structural design: the isolation of subgroups and organizational
//! learning", in a simple version built from March's learning rule and the
//! NK landscape.
//!
//! An organisation of `groups x group_size` agents, each holding a solution
//! of `n` bits on an NK landscape (`e = score / max`, exact maximum). Every
//! agent is tied to everyone in its own subgroup. Each of these ties, in
//! order, is rewired with probability `cross_group_linking` (the lever swept):
//! the tie i - j becomes i - k with k drawn uniformly from the agents of
//! *other* subgroups not yet tied to i. The number of ties stays fixed, so
//! the sweep moves the organisation from isolated cliques (0) to a random
//! network of the same density (1) without changing how many people each
//! agent hears from.
//!
//! A period is synchronous. Each agent's *superior group* is its neighbours
//! whose `e` is strictly higher. On every bit where the superior group's
//! majority differs from the agent's bit (a tie changes nothing), the agent
//! adopts the majority's value with probability `learning`, each bit
//! independently (March's socialisation applied between peers). There is
//! no individual exploration: the organisation's diversity is only its
//! starting solutions, and the question is how fast structure lets it be
//! used up.
//!
//! A run stops when no agent can change any more (no agent has a superior
//! neighbour whose majority differs from it anywhere), or at `max_periods`
//! (counted). *Long-run performance* is the mean `e` over agents at the end,
//! averaged over replications.
//!
//! Randomness of replication `r`: the landscape from
//! `stream(seed, r, 0, Validation, 0)` and the starting solutions from
//! `stream(seed, r, 1, Validation, 0)` (the same for every point of the
//! sweep); for point `j` the network from `stream(seed, r, 2, Validation, j)`
//! and the periods from `stream(seed, r, 3, Validation, j)`.

use std::collections::HashSet;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::parts::{Chance, MeanSe, map_points, mean_se};
use crate::landscape::{Landscape, LandscapeSpec, MAX_TABLED_N};
use crate::model::bits::{P16, bernoulli_mask, low_mask};
use crate::network::Network;
use crate::rng::{Purpose, stream};

const ENTITY_LANDSCAPE: u64 = 0;
const ENTITY_STARTS: u64 = 1;
const ENTITY_NETWORK: u64 = 2;
const ENTITY_PERIODS: u64 = 3;

// ------------------------------------------------------------ configuration

/// A `fang2010` scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FangConfig {
    /// Always `"fang2010"`.
    pub model: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub seed: u64,
    /// Replications per point (each a new landscape and organisation).
    pub replicates: u32,
    #[serde(default)]
    pub landscape: FangLandscape,
    #[serde(default)]
    pub organisation: FangOrganisation,
    #[serde(default)]
    pub sweep: FangSweep,
}

/// `[landscape]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FangLandscape {
    /// Bits per solution (1 to 20).
    pub n: usize,
    /// Dependencies per bit (`0 <= k < n`).
    pub k: usize,
}

impl Default for FangLandscape {
    fn default() -> Self {
        FangLandscape { n: 20, k: 5 }
    }
}

/// `[organisation]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FangOrganisation {
    pub groups: usize,
    pub group_size: usize,
    /// Probability of adopting the superior group's majority on a bit.
    pub learning: f64,
    pub max_periods: u32,
}

impl Default for FangOrganisation {
    fn default() -> Self {
        FangOrganisation {
            groups: 10,
            group_size: 10,
            learning: 0.7,
            max_periods: 10_000,
        }
    }
}

/// `[sweep]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FangSweep {
    /// Probabilities that a within-group tie is rewired across groups.
    pub cross_group_linking: Vec<f64>,
}

impl Default for FangSweep {
    fn default() -> Self {
        FangSweep {
            cross_group_linking: vec![0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0],
        }
    }
}

impl FangConfig {
    /// Every range problem, as `(dotted key, message)`.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let l = &self.landscape;
        if !(1..=MAX_TABLED_N).contains(&l.n) {
            out.push((
                "landscape.n".into(),
                format!("{} is out of range: use 1 to {MAX_TABLED_N}", l.n),
            ));
        }
        if l.k >= l.n.max(1) {
            out.push((
                "landscape.k".into(),
                format!(
                    "{} is out of range: use 0 to n - 1 = {}",
                    l.k,
                    l.n.max(1) - 1
                ),
            ));
        }
        let o = &self.organisation;
        if !(2..=1000).contains(&o.groups) {
            out.push((
                "organisation.groups".into(),
                format!("{} is out of range: use 2 to 1000", o.groups),
            ));
        }
        if !(2..=1000).contains(&o.group_size) {
            out.push((
                "organisation.group_size".into(),
                format!("{} is out of range: use 2 to 1000", o.group_size),
            ));
        }
        let ties = o
            .groups
            .saturating_mul(o.group_size * o.group_size.saturating_sub(1) / 2);
        if ties > 1_000_000 {
            out.push((
                "organisation.group_size".into(),
                format!(
                    "{} groups of {} make {ties} ties: keep groups x group_size x (group_size - 1) / 2 \
                     at most 1000000",
                    o.groups, o.group_size
                ),
            ));
        }
        if !(0.0..=1.0).contains(&o.learning) {
            out.push((
                "organisation.learning".into(),
                format!("{} is not a probability: use 0 to 1", o.learning),
            ));
        }
        let s = &self.sweep.cross_group_linking;
        if s.is_empty() {
            out.push((
                "sweep.cross_group_linking".into(),
                "give at least one value".into(),
            ));
        }
        for v in s {
            if !(0.0..=1.0).contains(v) {
                out.push((
                    "sweep.cross_group_linking".into(),
                    format!("{v} is not a probability: use 0 to 1"),
                ));
            }
        }
        out
    }
}

// ---------------------------------------------------------------- network

/// Cliques of `size` agents (agents `g * size ..`), each tie rewired across
/// groups with probability `p`; returns the ties.
pub fn clustered<R: Rng + ?Sized>(
    groups: usize,
    size: usize,
    p: f64,
    rng: &mut R,
) -> Vec<(u32, u32)> {
    let n = groups * size;
    let canon = |a: usize, b: usize| (a.min(b) as u32, a.max(b) as u32);
    let mut ties = Vec::new();
    for g in 0..groups {
        for a in g * size..(g + 1) * size {
            for b in a + 1..(g + 1) * size {
                ties.push((a, b));
            }
        }
    }
    let mut set: HashSet<(u32, u32)> = ties.iter().map(|&(a, b)| canon(a, b)).collect();
    // Ties from i to other groups; rewiring stops for i once it has them all.
    let mut outside = vec![0usize; n];
    let c = Chance::new(p);
    for (a, b) in ties {
        if !c.hit(rng) {
            continue;
        }
        let ga = a / size;
        if outside[a] >= n - size {
            continue;
        }
        let k = loop {
            let k = rng.random_range(0..n - size);
            // Skip a's own group.
            let k = if k >= ga * size { k + size } else { k };
            if !set.contains(&canon(a, k)) {
                break k;
            }
        };
        set.remove(&canon(a, b));
        set.insert(canon(a, k));
        outside[a] += 1;
        outside[k] += 1;
    }
    let mut out: Vec<(u32, u32)> = set.into_iter().collect();
    out.sort_unstable();
    out
}

/// Number of ties between agents of different groups.
pub fn cross_ties(ties: &[(u32, u32)], size: usize) -> usize {
    ties.iter()
        .filter(|&&(a, b)| a as usize / size != b as usize / size)
        .count()
}

// ---------------------------------------------------------------- periods

/// Outcome of one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FangOutcome {
    /// Mean `e` over agents at the end.
    pub performance: f64,
    pub periods: u32,
    pub capped: bool,
}

/// Run from `starts` on the network until nothing can change.
pub fn play<R: Rng + ?Sized>(
    land: &Landscape,
    starts: &[u64],
    offsets: &[u32],
    adj: &[u32],
    learning: P16,
    max_periods: u32,
    rng: &mut R,
) -> FangOutcome {
    let n = starts.len();
    let bits = land.n();
    let mut sol = starts.to_vec();
    let mut score: Vec<f32> = sol.iter().map(|&x| land.eval(0, x) as f32).collect();
    let mut next = sol.clone();
    let mut periods = 0;
    let capped = loop {
        let mut any = false;
        for i in 0..n {
            let own = score[i];
            let x = sol[i];
            let mut planes = [0u64; 16];
            let mut group = 0u32;
            for &j in &adj[offsets[i] as usize..offsets[i + 1] as usize] {
                if score[j as usize] > own {
                    let mut carry = sol[j as usize];
                    for p in planes.iter_mut() {
                        let c = *p & carry;
                        *p ^= carry;
                        carry = c;
                        if carry == 0 {
                            break;
                        }
                    }
                    group += 1;
                }
            }
            next[i] = x;
            if group == 0 {
                continue;
            }
            let used = (32 - group.leading_zeros()) as usize;
            let mut differ = 0u64;
            for b in 0..bits {
                let mut ones = 0u32;
                for (p, plane) in planes[..used].iter().enumerate() {
                    ones |= (((plane >> b) & 1) as u32) << p;
                }
                let bit = (x >> b) & 1;
                if (2 * ones > group && bit == 0) || (2 * ones < group && bit == 1) {
                    differ |= 1 << b;
                }
            }
            if differ != 0 {
                any = true;
                next[i] = x ^ bernoulli_mask(rng, learning, differ);
            }
        }
        if !any {
            break false;
        }
        if periods >= max_periods {
            break true;
        }
        periods += 1;
        std::mem::swap(&mut sol, &mut next);
        for (s, &x) in score.iter_mut().zip(&sol) {
            *s = land.eval(0, x) as f32;
        }
    };
    let mut total = 0.0;
    for &s in &score {
        total += s as f64;
    }
    FangOutcome {
        performance: total / n as f64,
        periods,
        capped,
    }
}

/// One point of the sweep.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FangPoint {
    pub cross_group_linking: f64,
    pub performance: MeanSe,
    pub mean_periods: f64,
    /// Mean number of ties between groups.
    pub mean_cross_ties: f64,
    pub capped: usize,
}

/// The results of a run.
#[derive(Clone, Debug, Serialize)]
pub struct FangResults {
    pub points: Vec<FangPoint>,
    pub maxima_exact: bool,
}

/// One replication: a landscape and starting solutions shared by every
/// point of the sweep; per point `(outcome, cross ties)`.
fn replicate(cfg: &FangConfig, rep: usize) -> (Vec<(FangOutcome, usize)>, bool) {
    let seed = cfg.seed;
    let r = rep as u64;
    let spec = LandscapeSpec {
        n: cfg.landscape.n,
        k: cfg.landscape.k,
        contexts: 1,
        context_weight: 0.0,
    };
    let land = Landscape::generate(
        &spec,
        &mut stream(seed, r, ENTITY_LANDSCAPE, Purpose::Validation, 0),
    )
    .expect("landscape spec was checked");
    let o = &cfg.organisation;
    let n = o.groups * o.group_size;
    let mask = low_mask(cfg.landscape.n as u32);
    let mut srng = stream(seed, r, ENTITY_STARTS, Purpose::Validation, 0);
    let starts: Vec<u64> = (0..n).map(|_| srng.next_u64() & mask).collect();
    let per_point = cfg
        .sweep
        .cross_group_linking
        .iter()
        .enumerate()
        .map(|(j, &p)| {
            let ties = clustered(
                o.groups,
                o.group_size,
                p,
                &mut stream(seed, r, ENTITY_NETWORK, Purpose::Validation, j as u64),
            );
            let cross = cross_ties(&ties, o.group_size);
            let net = Network::from_edges(n, ties, Some(vec![0; n]));
            let mut rng = stream(seed, r, ENTITY_PERIODS, Purpose::Validation, j as u64);
            let out = play(
                &land,
                &starts,
                &net.offsets,
                &net.adj,
                P16::new(o.learning),
                o.max_periods,
                &mut rng,
            );
            (out, cross)
        })
        .collect();
    (per_point, land.maxima_exact())
}

/// Run the sweep on the current rayon pool (replications in parallel).
pub fn run(cfg: &FangConfig) -> FangResults {
    let reps = cfg.replicates as usize;
    let runs = map_points(1, reps, |_, rep| replicate(cfg, rep))
        .pop()
        .unwrap_or_default();
    let maxima_exact = runs.iter().all(|r| r.1);
    let points = cfg
        .sweep
        .cross_group_linking
        .iter()
        .enumerate()
        .map(|(j, &linking)| {
            let perf: Vec<f64> = runs.iter().map(|r| r.0[j].0.performance).collect();
            let mut periods = 0.0;
            let mut cross = 0.0;
            for r in &runs {
                periods += r.0[j].0.periods as f64;
                cross += r.0[j].1 as f64;
            }
            FangPoint {
                cross_group_linking: linking,
                performance: mean_se(&perf),
                mean_periods: periods / reps.max(1) as f64,
                mean_cross_ties: cross / reps.max(1) as f64,
                capped: runs.iter().filter(|r| r.0[j].0.capped).count(),
            }
        })
        .collect();
    FangResults {
        points,
        maxima_exact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewiring_keeps_ties_and_moves_them_across() {
        let mut r = stream(1, 0, 0, Purpose::Validation, 0);
        let none = clustered(4, 5, 0.0, &mut r);
        assert_eq!(none.len(), 4 * 10);
        assert_eq!(cross_ties(&none, 5), 0);
        let all = clustered(4, 5, 1.0, &mut r);
        assert_eq!(all.len(), 40);
        assert_eq!(cross_ties(&all, 5), 40);
        let some = clustered(10, 10, 0.1, &mut r);
        assert_eq!(some.len(), 450);
        let c = cross_ties(&some, 10);
        assert!(c > 15 && c < 80, "{c}");
    }

    #[test]
    fn isolated_cliques_end_with_no_superior_majority() {
        let spec = LandscapeSpec {
            n: 12,
            k: 3,
            contexts: 1,
            context_weight: 0.0,
        };
        let land =
            Landscape::generate(&spec, &mut stream(2, 0, 0, Purpose::Validation, 0)).unwrap();
        let mut r = stream(2, 0, 1, Purpose::Validation, 0);
        let starts: Vec<u64> = (0..20).map(|_| r.next_u64() & 0xFFF).collect();
        let net = Network::from_edges(20, clustered(2, 10, 0.0, &mut r), None);
        let start_mean: f64 = starts.iter().map(|&x| land.eval(0, x)).sum::<f64>() / 20.0;
        let out = play(
            &land,
            &starts,
            &net.offsets,
            &net.adj,
            P16::new(0.5),
            1000,
            &mut r,
        );
        assert!(!out.capped);
        assert!(out.performance > start_mean, "{out:?} vs {start_mean}");
    }
}
