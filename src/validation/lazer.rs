//! Lazer & Friedman (2007), "The network structure of exploration and
//! exploitation", with the rules of the specification, §9.
//!
//! Each replication draws a new NK landscape (`N = 20`, `K = 5` by default;
//! the exact maximum comes from the landscape's Gray-code walk), one random
//! starting solution per agent, and one network of each kind asked for. Every
//! kind starts from the same landscape and solutions.
//!
//! A round is synchronous: every decision reads the solutions at the start
//! of the round. Each agent, with probability `velocity`, looks at its
//! neighbours; if the best of them (ties to the lowest index) scores strictly
//! higher than the agent, the agent copies that neighbour's whole solution,
//! each bit wrong (the complement of the source's bit) with probability
//! `error`. An agent that does not look, or finds no better neighbour, flips
//! one uniformly chosen bit and keeps the flip only if its score strictly
//! rises. Scores are the landscape's normalised `e = score / max` (one table
//! lookup); two agents with the same solution always have the same `e`, so
//! they never count as better than each other. The payoff is `e^exponent`
//! (Lazer & Friedman: 8), averaged over agents and then over landscapes.
//!
//! Networks over agents `0..n`: `linear` (i - i+1), `complete`, `random`
//! (each pair linked with probability `random_link_probability`), and
//! `small_world` (a ring lattice where each agent links to the
//! `small_world_degree / 2` nearest on each side; each lattice tie i - j,
//! taken in the order j = i+1, i+2, ..., is rewired with probability
//! `small_world_rewire` to i - k, k uniform among the agents not yet linked
//! to i).
//!
//! Randomness of replication `r`: the landscape from
//! `stream(seed, r, 0, Validation, 0)`, the starting solutions from
//! `stream(seed, r, 1, Validation, 0)`, and for network kind `c` (linear 0,
//! complete 1, random 2, small world 3) the network from
//! `stream(seed, r, 2, Validation, c)` and the rounds from
//! `stream(seed, r, 3, Validation, c)`. A kind's curve is therefore the same
//! whichever other kinds run beside it.

use std::collections::HashSet;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::parts::{Chance, MeanSe, copy_with_error, map_points, series_mean_se};
use crate::landscape::{Landscape, LandscapeSpec, MAX_TABLED_N};
use crate::model::bits::{P16, low_mask};
use crate::network::Network;
use crate::rng::{Purpose, stream};

const ENTITY_LANDSCAPE: u64 = 0;
const ENTITY_STARTS: u64 = 1;
const ENTITY_NETWORK: u64 = 2;
const ENTITY_ROUNDS: u64 = 3;

/// A network kind of Lazer & Friedman.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetKind {
    Linear,
    Complete,
    Random,
    SmallWorld,
}

impl NetKind {
    /// The spelling in scenario files and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            NetKind::Linear => "linear",
            NetKind::Complete => "complete",
            NetKind::Random => "random",
            NetKind::SmallWorld => "small_world",
        }
    }

    /// The fixed id that keys this kind's streams.
    pub fn id(self) -> u64 {
        match self {
            NetKind::Linear => 0,
            NetKind::Complete => 1,
            NetKind::Random => 2,
            NetKind::SmallWorld => 3,
        }
    }
}

// ------------------------------------------------------------ configuration

/// A `lazer-friedman2007` scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LfConfig {
    /// Always `"lazer-friedman2007"`.
    pub model: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub seed: u64,
    /// Landscapes (each with its own starts and networks).
    pub replicates: u32,
    #[serde(default)]
    pub landscape: LfLandscape,
    #[serde(default)]
    pub agents: LfAgents,
    #[serde(default)]
    pub networks: LfNetworks,
}

/// `[landscape]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LfLandscape {
    /// Bits per solution (1 to 20, so the maximum is exact).
    pub n: usize,
    /// Dependencies per bit (`0 <= k < n`).
    pub k: usize,
    /// Payoff = (score / max)^exponent.
    pub exponent: f64,
}

impl Default for LfLandscape {
    fn default() -> Self {
        LfLandscape {
            n: 20,
            k: 5,
            exponent: 8.0,
        }
    }
}

/// `[agents]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LfAgents {
    pub agents: usize,
    pub rounds: u32,
    /// Probability that an agent looks at its neighbours in a round.
    pub velocity: f64,
    /// Probability that each copied bit is wrong.
    pub error: f64,
}

impl Default for LfAgents {
    fn default() -> Self {
        LfAgents {
            agents: 100,
            rounds: 100,
            velocity: 1.0,
            error: 0.0,
        }
    }
}

fn all_kinds() -> Vec<NetKind> {
    vec![
        NetKind::Linear,
        NetKind::Complete,
        NetKind::Random,
        NetKind::SmallWorld,
    ]
}

/// `[networks]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LfNetworks {
    /// Kinds to run, in output order.
    #[serde(default = "all_kinds")]
    pub kinds: Vec<NetKind>,
    /// Random network: probability of each possible tie.
    pub random_link_probability: f64,
    /// Small world: ring lattice degree (even).
    pub small_world_degree: usize,
    /// Small world: probability that each lattice tie is rewired.
    pub small_world_rewire: f64,
}

impl Default for LfNetworks {
    fn default() -> Self {
        LfNetworks {
            kinds: all_kinds(),
            random_link_probability: 0.05,
            small_world_degree: 4,
            small_world_rewire: 0.1,
        }
    }
}

fn prob(out: &mut Vec<(String, String)>, key: &str, v: f64) {
    if !(0.0..=1.0).contains(&v) {
        out.push((
            key.into(),
            format!("{v} is not a probability: use a number from 0 to 1"),
        ));
    }
}

impl LfConfig {
    /// Every range problem, as `(dotted key, message)`.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let l = &self.landscape;
        if !(1..=MAX_TABLED_N).contains(&l.n) {
            out.push((
                "landscape.n".into(),
                format!(
                    "{} is out of range: use 1 to {MAX_TABLED_N} (the exact maximum needs every solution tabled)",
                    l.n
                ),
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
        if !(l.exponent.is_finite() && l.exponent > 0.0) {
            out.push((
                "landscape.exponent".into(),
                format!("{} is not allowed: use a positive number", l.exponent),
            ));
        }
        let a = &self.agents;
        if !(2..=10_000).contains(&a.agents) {
            out.push((
                "agents.agents".into(),
                format!("{} is out of range: use 2 to 10000", a.agents),
            ));
        }
        prob(&mut out, "agents.velocity", a.velocity);
        prob(&mut out, "agents.error", a.error);
        let w = &self.networks;
        if w.kinds.is_empty() {
            out.push(("networks.kinds".into(), "give at least one kind".into()));
        }
        let distinct: HashSet<&NetKind> = w.kinds.iter().collect();
        if distinct.len() != w.kinds.len() {
            out.push(("networks.kinds".into(), "a kind is listed twice".into()));
        }
        prob(
            &mut out,
            "networks.random_link_probability",
            w.random_link_probability,
        );
        prob(
            &mut out,
            "networks.small_world_rewire",
            w.small_world_rewire,
        );
        let d = w.small_world_degree;
        if d == 0 || d % 2 == 1 || d >= a.agents {
            out.push((
                "networks.small_world_degree".into(),
                format!(
                    "{d} is not allowed: use an even number from 2 to agents - 1 ({})",
                    a.agents.saturating_sub(1)
                ),
            ));
        }
        out
    }

    /// The landscape specification (one context).
    pub fn landscape_spec(&self) -> LandscapeSpec {
        LandscapeSpec {
            n: self.landscape.n,
            k: self.landscape.k,
            contexts: 1,
            context_weight: 0.0,
        }
    }
}

// ---------------------------------------------------------------- networks

/// Adjacency for the rounds: CSR lists, or "everyone" for the complete
/// network (whose best neighbour is found from the top two scores).
#[derive(Clone, Debug)]
pub struct Net {
    complete: bool,
    offsets: Vec<u32>,
    adj: Vec<u32>,
}

impl Net {
    fn from_network(net: Network) -> Net {
        Net {
            complete: false,
            offsets: net.offsets,
            adj: net.adj,
        }
    }

    /// Number of ties.
    pub fn ties(&self, n: usize) -> usize {
        if self.complete {
            n * (n - 1) / 2
        } else {
            self.adj.len() / 2
        }
    }
}

/// Ring lattice of even `degree`, each tie rewired with probability `beta`
/// (Watts-Strogatz); ties as `(i, j)` pairs.
pub fn small_world<R: Rng + ?Sized>(
    n: usize,
    degree: usize,
    beta: f64,
    rng: &mut R,
) -> Vec<(u32, u32)> {
    let canon = |a: usize, b: usize| (a.min(b) as u32, a.max(b) as u32);
    let mut set: HashSet<(u32, u32)> = HashSet::new();
    let mut order = Vec::new();
    for j in 1..=degree / 2 {
        for i in 0..n {
            let e = canon(i, (i + j) % n);
            if set.insert(e) {
                order.push((i, e));
            }
        }
    }
    let rewire = Chance::new(beta);
    let mut degree_of = vec![0usize; n];
    for &(a, b) in &set {
        degree_of[a as usize] += 1;
        degree_of[b as usize] += 1;
    }
    for (i, e) in order {
        if !rewire.hit(rng) || degree_of[i] >= n - 1 {
            continue;
        }
        // Uniform among agents not i and not linked to i: draw until free.
        let k = loop {
            let k = rng.random_range(0..n);
            if k != i && !set.contains(&canon(i, k)) {
                break k;
            }
        };
        set.remove(&e);
        let other = if e.0 as usize == i { e.1 } else { e.0 } as usize;
        degree_of[other] -= 1;
        degree_of[k] += 1;
        set.insert(canon(i, k));
    }
    let mut edges: Vec<(u32, u32)> = set.into_iter().collect();
    edges.sort_unstable();
    edges
}

/// The network of `kind` over `n` agents.
pub fn build_net<R: Rng + ?Sized>(kind: NetKind, n: usize, w: &LfNetworks, rng: &mut R) -> Net {
    let edges: Vec<(u32, u32)> = match kind {
        NetKind::Complete => {
            return Net {
                complete: true,
                offsets: Vec::new(),
                adj: Vec::new(),
            };
        }
        NetKind::Linear => (1..n as u32).map(|i| (i - 1, i)).collect(),
        NetKind::Random => {
            let c = Chance::new(w.random_link_probability);
            let mut e = Vec::new();
            for a in 0..n as u32 {
                for b in a + 1..n as u32 {
                    if c.hit(rng) {
                        e.push((a, b));
                    }
                }
            }
            e
        }
        NetKind::SmallWorld => small_world(n, w.small_world_degree, w.small_world_rewire, rng),
    };
    Net::from_network(Network::from_edges(n, edges, Some(vec![0; n])))
}

// ------------------------------------------------------------------ rounds

/// The rates of the rounds, prepared for the inner loop.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    pub velocity: Chance,
    pub error: P16,
    pub exponent: f64,
    pub rounds: u32,
}

impl Rules {
    pub fn new(a: &LfAgents, exponent: f64) -> Rules {
        Rules {
            velocity: Chance::new(a.velocity),
            error: P16::new(a.error),
            exponent,
            rounds: a.rounds,
        }
    }

    #[inline]
    fn payoff(&self, e: f32) -> f64 {
        let e = e as f64;
        if self.exponent == 8.0 {
            let e2 = e * e;
            let e4 = e2 * e2;
            e4 * e4
        } else {
            e.powf(self.exponent)
        }
    }
}

/// The best neighbour of `i` (highest score, ties to the lowest index).
#[inline]
fn best_neighbour(net: &Net, score: &[f32], top: (usize, usize), i: usize) -> Option<usize> {
    if net.complete {
        return Some(if i == top.0 { top.1 } else { top.0 });
    }
    let lo = net.offsets[i] as usize;
    let hi = net.offsets[i + 1] as usize;
    let mut best: Option<usize> = None;
    let mut best_score = f32::NEG_INFINITY;
    for &j in &net.adj[lo..hi] {
        let s = score[j as usize];
        if s > best_score {
            best_score = s;
            best = Some(j as usize);
        }
    }
    best
}

/// The two best agents (highest score, ties to the lowest index).
fn top_two(score: &[f32]) -> (usize, usize) {
    let (mut a, mut b) = (0usize, usize::MAX);
    for (i, &s) in score.iter().enumerate().skip(1) {
        if s > score[a] {
            b = a;
            a = i;
        } else if b == usize::MAX || s > score[b] {
            b = i;
        }
    }
    (a, b)
}

/// Play the rounds on one network from `starts`; returns the mean payoff
/// over agents at rounds `0..=rounds`.
pub fn play<R: Rng + ?Sized>(
    land: &Landscape,
    starts: &[u64],
    net: &Net,
    rules: &Rules,
    rng: &mut R,
) -> Vec<f64> {
    let n = starts.len();
    let bits = land.n() as u32;
    let mask = land.mask();
    let mut sol = starts.to_vec();
    let mut score: Vec<f32> = sol.iter().map(|&x| land.eval(0, x) as f32).collect();
    let mut next_sol = sol.clone();
    let mut next_score = score.clone();
    let mean = |score: &[f32]| {
        let mut s = 0.0;
        for &e in score {
            s += rules.payoff(e);
        }
        s / n as f64
    };
    let mut out = Vec::with_capacity(rules.rounds as usize + 1);
    out.push(mean(&score));
    let looks_always = rules.velocity.is_sure();
    for _ in 0..rules.rounds {
        let top = if net.complete {
            top_two(&score)
        } else {
            (0, 0)
        };
        for i in 0..n {
            let own = score[i];
            if (looks_always || rules.velocity.hit(rng))
                && let Some(j) = best_neighbour(net, &score, top, i)
                && score[j] > own
            {
                if rules.error.is_zero() {
                    next_sol[i] = sol[j];
                    next_score[i] = score[j];
                } else {
                    let x = copy_with_error(rng, sol[j], rules.error, mask);
                    next_sol[i] = x;
                    next_score[i] = land.eval(0, x) as f32;
                }
                continue;
            }
            let cand = sol[i] ^ (1u64 << rng.random_range(0..bits));
            let e = land.eval(0, cand) as f32;
            if e > own {
                next_sol[i] = cand;
                next_score[i] = e;
            } else {
                next_sol[i] = sol[i];
                next_score[i] = own;
            }
        }
        std::mem::swap(&mut sol, &mut next_sol);
        std::mem::swap(&mut score, &mut next_score);
        out.push(mean(&score));
    }
    out
}

/// One replication: a landscape, starting solutions, and the curve of each
/// kind in `cfg.networks.kinds` order.
pub fn replicate(cfg: &LfConfig, rep: usize) -> (Vec<Vec<f64>>, bool) {
    let seed = cfg.seed;
    let r = rep as u64;
    let land = Landscape::generate(
        &cfg.landscape_spec(),
        &mut stream(seed, r, ENTITY_LANDSCAPE, Purpose::Validation, 0),
    )
    .expect("landscape spec was checked");
    let mask = low_mask(cfg.landscape.n as u32);
    let mut srng = stream(seed, r, ENTITY_STARTS, Purpose::Validation, 0);
    let starts: Vec<u64> = (0..cfg.agents.agents)
        .map(|_| srng.next_u64() & mask)
        .collect();
    let rules = Rules::new(&cfg.agents, cfg.landscape.exponent);
    let curves = cfg
        .networks
        .kinds
        .iter()
        .map(|&kind| {
            let net = build_net(
                kind,
                starts.len(),
                &cfg.networks,
                &mut stream(seed, r, ENTITY_NETWORK, Purpose::Validation, kind.id()),
            );
            let mut rng = stream(seed, r, ENTITY_ROUNDS, Purpose::Validation, kind.id());
            play(&land, &starts, &net, &rules, &mut rng)
        })
        .collect();
    (curves, land.maxima_exact())
}

/// The mean payoff curves of a run.
#[derive(Clone, Debug, Serialize)]
pub struct LfResults {
    pub kinds: Vec<NetKind>,
    /// Per kind, per round `0..=rounds`: mean over agents and landscapes.
    pub curves: Vec<Vec<MeanSe>>,
    pub landscapes: usize,
    pub maxima_exact: bool,
}

/// Run every replication on the current rayon pool.
pub fn run(cfg: &LfConfig) -> LfResults {
    let reps = cfg.replicates as usize;
    let mut per_rep = map_points(1, reps, |_, rep| replicate(cfg, rep))
        .pop()
        .unwrap_or_default();
    let maxima_exact = per_rep.iter().all(|(_, exact)| *exact);
    let curves = (0..cfg.networks.kinds.len())
        .map(|c| {
            let series: Vec<Vec<f64>> = per_rep
                .iter_mut()
                .map(|(curves, _)| std::mem::take(&mut curves[c]))
                .collect();
            series_mean_se(&series)
        })
        .collect();
    LfResults {
        kinds: cfg.networks.kinds.clone(),
        curves,
        landscapes: reps,
        maxima_exact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> LfConfig {
        let base = "model = \"lazer-friedman2007\"\nname = \"t\"\nseed = 7\nreplicates = 2\n";
        toml::from_str(&format!("{base}{text}")).unwrap()
    }

    #[test]
    fn networks_have_the_right_shape() {
        let w = LfNetworks::default();
        let mut r = stream(1, 0, 0, Purpose::Validation, 0);
        let line = build_net(NetKind::Linear, 10, &w, &mut r);
        assert_eq!(line.ties(10), 9);
        let sw = small_world(100, 4, 0.1, &mut r);
        assert_eq!(sw.len(), 200);
        let ring = small_world(10, 2, 0.0, &mut r);
        assert_eq!(ring.len(), 10);
        assert!(ring.contains(&(0, 9)));
        let full = small_world(5, 4, 1.0, &mut r);
        assert_eq!(full.len(), 10);
        let rnd = build_net(
            NetKind::Random,
            100,
            &LfNetworks {
                random_link_probability: 0.1,
                ..w.clone()
            },
            &mut r,
        );
        let ties = rnd.ties(100) as f64;
        // 495 expected, s.d. about 21.
        assert!((ties - 495.0).abs() < 100.0, "{ties}");
    }

    #[test]
    fn top_two_breaks_ties_low() {
        assert_eq!(top_two(&[0.5, 0.9, 0.9, 0.1]), (1, 2));
        assert_eq!(top_two(&[0.9, 0.5, 0.7]), (0, 2));
        assert_eq!(top_two(&[0.1, 0.1]), (0, 1));
    }

    #[test]
    fn complete_network_converges_on_one_solution_without_exploring_down() {
        let c = cfg(
            "[networks]\nkinds = [\"complete\"]\nrandom_link_probability = 0.05\nsmall_world_degree = 4\nsmall_world_rewire = 0.1\n",
        );
        let (curves, exact) = replicate(&c, 0);
        assert!(exact);
        let curve = &curves[0];
        assert_eq!(curve.len(), 101);
        // Payoffs never fall: copies and kept flips only raise scores.
        assert!(curve.windows(2).all(|w| w[1] >= w[0] - 1e-12));
        assert!(curve.iter().all(|&p| p > 0.0 && p <= 1.0));
    }

    #[test]
    fn curves_do_not_depend_on_other_kinds() {
        let both = cfg("");
        let one = cfg(
            "[networks]\nkinds = [\"random\"]\nrandom_link_probability = 0.05\nsmall_world_degree = 4\nsmall_world_rewire = 0.1\n",
        );
        assert_eq!(replicate(&both, 1).0[2], replicate(&one, 1).0[0]);
    }

    #[test]
    fn problems_name_keys() {
        let mut c = cfg("");
        assert!(c.problems().is_empty());
        c.landscape.n = 24;
        c.networks.small_world_degree = 3;
        c.agents.error = 2.0;
        let keys: Vec<String> = c.problems().into_iter().map(|p| p.0).collect();
        assert_eq!(
            keys,
            ["landscape.n", "agents.error", "networks.small_world_degree"]
        );
    }
}
