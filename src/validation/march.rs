//! March (1991), "Exploration and exploitation in organizational learning",
//! with the rules of the specification, §9, and his Figures 1 to 5.
//!
//! Reality is `m` dimensions of +1 or -1; `n` individuals and the code hold
//! beliefs in {+1, 0, -1}. A belief vector is two bit masks: `nz` (the belief
//! is not 0) and `pos` (it is +1; always a subset of `nz`). One period, in
//! this order:
//!
//! 1. turnover: each individual, with probability `p3`, is replaced by one
//!    whose beliefs are +1, 0 or -1 with probability 1/3 each;
//! 2. turbulence: each reality dimension flips with probability `p4`;
//! 3. actions and scores: an individual acts on its belief, and on a 0
//!    belief by a fair coin flip (one random bit); its score is the sum of
//!    action x reality, `m - 2 * popcount(action ^ reality)`. The code's score
//!    counts its 0s as 0;
//! 4. code learning, from the state at the start of the period: the superior
//!    group is every individual whose score beats the code's. Per dimension,
//!    bit-sliced counters add up the group's +1 *actions*; the majority
//!    margin is `k = |2 * plus - group|`; where the majority differs from the
//!    code (a 0 code always differs), the code takes the majority value with
//!    probability `1 - (1 - p2)^k`; a tie changes nothing;
//! 5. socialisation, also from the state at the start of the period: where
//!    the code is not 0 and a belief differs from it, the belief moves one
//!    step toward the code (-1 -> 0 -> +1, or back) with probability `p1`,
//!    each dimension independently (a Bernoulli mask over the differing
//!    dimensions; `p1` is applied as a multiple of 2^-16).
//!
//! Steps 4 and 5 both read the start-of-period state: each individual's
//! action is drawn before its own socialisation, and socialisation reads the
//! code as it was before this period's code learning.
//!
//! Without turnover and turbulence a run stops at *equilibrium*, when every
//! belief equals the code, or earlier when nothing can change any more (no
//! belief can move toward the code and no individual can ever beat the
//! code); both are absorbing. Runs are capped at `max_periods`; those that
//! hit the cap are counted.
//!
//! The output is the code's *net knowledge*: (dimensions where the code
//! equals reality - dimensions where it is the opposite) / `m`.
//!
//! Randomness: the reality and the initial beliefs of replication `r` come
//! from `stream(seed, r, 0, Validation, 0)`, so every point of every figure
//! starts from the same organisations; the dynamics of figure `f`, point `j`
//! come from `stream(seed, r, f, Validation, j)`.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::parts::{Chance, MarginTable, MeanSe, map_points, mean_se, series_mean_se};
use crate::model::bits::{P16, bernoulli_mask, low_mask};
use crate::rng::{Purpose, stream};

/// Largest number of reality dimensions (beliefs are `u64` masks).
pub const MAX_DIMENSIONS: usize = 64;
/// Largest organisation (the bit-sliced vote counters have 16 planes).
pub const MAX_INDIVIDUALS: usize = 65_535;

/// Entity id of the stream that draws reality and the initial beliefs.
const ENTITY_INIT: u64 = 0;

// ------------------------------------------------------------------ state

/// One organisation: reality, the code and every individual's beliefs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    m: u32,
    mask: u64,
    /// Bit set: reality is +1 on that dimension.
    reality: u64,
    code_nz: u64,
    code_pos: u64,
    nz: Vec<u64>,
    pos: Vec<u64>,
}

/// Beliefs drawn +1, 0 or -1 with probability 1/3 each on every dimension
/// of `mask`: two random bits per dimension, the pattern `11` redrawn.
/// Returns `(nz, pos)`.
fn random_beliefs<R: Rng + ?Sized>(rng: &mut R, mask: u64) -> (u64, u64) {
    let half = mask >> 32 == 0;
    let (mut nz, mut pos) = (0u64, 0u64);
    let mut todo = mask;
    while todo != 0 {
        let (a, b) = if half {
            let w = rng.next_u64();
            (w & mask, (w >> 32) & mask)
        } else {
            (rng.next_u64(), rng.next_u64())
        };
        let ok = todo & !(a & b);
        // (a, b) = 10: +1; 00: -1; 01: 0.
        nz |= ok & !b;
        pos |= ok & a & !b;
        todo &= !ok;
    }
    (nz, pos)
}

impl Org {
    /// A fresh organisation: reality (one draw), then each individual's
    /// beliefs in order; the code is 0 everywhere.
    ///
    /// # Panics
    /// If `m` is not in `1..=64` or `n` not in `1..=65535`.
    pub fn new<R: Rng + ?Sized>(m: usize, n: usize, rng: &mut R) -> Org {
        assert!((1..=MAX_DIMENSIONS).contains(&m), "m = {m} out of range");
        assert!((1..=MAX_INDIVIDUALS).contains(&n), "n = {n} out of range");
        let mask = low_mask(m as u32);
        let reality = rng.next_u64() & mask;
        let mut nz = Vec::with_capacity(n);
        let mut pos = Vec::with_capacity(n);
        for _ in 0..n {
            let (a, b) = random_beliefs(rng, mask);
            nz.push(a);
            pos.push(b);
        }
        Org {
            m: m as u32,
            mask,
            reality,
            code_nz: 0,
            code_pos: 0,
            nz,
            pos,
        }
    }

    /// Number of individuals.
    pub fn individuals(&self) -> usize {
        self.nz.len()
    }

    /// Net knowledge of a belief vector: (right - wrong) / m.
    fn knowledge_of(&self, nz: u64, pos: u64) -> f64 {
        let wrong = (nz & (pos ^ self.reality)).count_ones() as i64;
        let right = nz.count_ones() as i64 - wrong;
        (right - wrong) as f64 / self.m as f64
    }

    /// The code's net knowledge: (dimensions right - dimensions wrong) / m.
    pub fn code_knowledge(&self) -> f64 {
        self.knowledge_of(self.code_nz, self.code_pos)
    }

    /// Mean net knowledge of the individuals.
    pub fn mean_individual_knowledge(&self) -> f64 {
        let mut s = 0.0;
        for (&nz, &pos) in self.nz.iter().zip(&self.pos) {
            s += self.knowledge_of(nz, pos);
        }
        s / self.nz.len() as f64
    }

    /// The code's score: its 0s count 0.
    #[inline]
    fn code_score(&self) -> i32 {
        let wrong = (self.code_nz & (self.code_pos ^ self.reality)).count_ones() as i32;
        self.code_nz.count_ones() as i32 - 2 * wrong
    }

    /// Whether every belief equals the code.
    pub fn all_equal_code(&self) -> bool {
        self.nz
            .iter()
            .zip(&self.pos)
            .all(|(&nz, &pos)| nz == self.code_nz && pos == self.code_pos)
    }

    /// How a run without turnover or turbulence stands: `Some(Equilibrium)`
    /// when every belief equals the code, `Some(Stalled)` when nothing can
    /// change any more, else `None`.
    fn settled(&self, d: &Dynamics) -> Option<End> {
        let code_score = self.code_score();
        let mut all_equal = true;
        let mut frozen = true;
        for i in 0..self.nz.len() {
            let (nz, pos) = (self.nz[i], self.pos[i]);
            if nz != self.code_nz || pos != self.code_pos {
                all_equal = false;
            }
            if frozen {
                let differ = self.code_nz & (!nz | (pos ^ self.code_pos));
                if differ != 0 && !d.p1[i].is_zero() {
                    frozen = false;
                }
                // The best score this individual can reach (every coin right).
                let best = self.m as i32 - 2 * (nz & (pos ^ self.reality)).count_ones() as i32;
                if !d.p2_never && best > code_score {
                    frozen = false;
                }
            }
        }
        if all_equal {
            Some(End::Equilibrium)
        } else if frozen {
            Some(End::Stalled)
        } else {
            None
        }
    }

    /// One period (see the module documentation for the order).
    pub fn step<R: Rng + ?Sized>(&mut self, d: &Dynamics, rng: &mut R) {
        let mask = self.mask;
        let n = self.nz.len();
        debug_assert_eq!(d.p1.len(), n, "one socialisation rate per individual");
        if !d.turnover.is_never() {
            for i in 0..n {
                if d.turnover.hit(rng) {
                    let (a, b) = random_beliefs(rng, mask);
                    self.nz[i] = a;
                    self.pos[i] = b;
                }
            }
        }
        if !d.turbulence.is_zero() {
            self.reality ^= bernoulli_mask(rng, d.turbulence, mask);
        }

        let r = self.reality;
        let (cnz, cpos) = (self.code_nz, self.code_pos);
        let code_score = self.code_score();
        let m = self.m as i32;
        let half = self.m <= 32;
        let mut planes = [0u64; 16];
        let mut group = 0u32;
        let mut coins = 0u64;
        let mut left = 0u32;
        for i in 0..n {
            let coin = if half {
                if left == 0 {
                    coins = rng.next_u64();
                    left = 2;
                }
                let c = coins & mask;
                coins >>= 32;
                left -= 1;
                c
            } else {
                rng.next_u64() & mask
            };
            let (nzi, posi) = (self.nz[i], self.pos[i]);
            let act = posi | (coin & !nzi);
            let score = m - 2 * (act ^ r).count_ones() as i32;
            if score > code_score {
                // Bit-sliced add of the +1 actions.
                let mut carry = act;
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
            let differ = cnz & (!nzi | (posi ^ cpos));
            if differ != 0 {
                let s = bernoulli_mask(rng, d.p1[i], differ);
                if s != 0 {
                    self.nz[i] = nzi ^ s;
                    self.pos[i] = (posi & !s) | (cpos & s & !nzi);
                }
            }
        }

        if group > 0 && !d.p2_never {
            let used = (32 - group.leading_zeros()) as usize;
            for dim in 0..self.m {
                let mut plus = 0u32;
                for (p, plane) in planes[..used].iter().enumerate() {
                    plus |= (((plane >> dim) & 1) as u32) << p;
                }
                let diff = 2 * plus as i32 - group as i32;
                if diff == 0 {
                    continue;
                }
                let bit = 1u64 << dim;
                let up = diff > 0;
                let differs = cnz & bit == 0 || ((cpos & bit) != 0) != up;
                if differs && d.table.get(diff.unsigned_abs() as usize).hit(rng) {
                    self.code_nz |= bit;
                    if up {
                        self.code_pos |= bit;
                    } else {
                        self.code_pos &= !bit;
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------- dynamics

/// The rates of one run, prepared for the inner loop.
#[derive(Clone, Debug)]
pub struct Dynamics {
    /// Socialisation rate per individual.
    p1: Vec<P16>,
    table: MarginTable,
    p2_never: bool,
    turnover: Chance,
    turbulence: P16,
}

impl Dynamics {
    /// Rates for `n` individuals: `p1` per individual (`p1.len() == n`),
    /// code learning `p2`, turnover `p3`, turbulence `p4`.
    pub fn new(p1: &[f64], p2: f64, p3: f64, p4: f64) -> Dynamics {
        Dynamics {
            p1: p1.iter().map(|&p| P16::new(p)).collect(),
            table: MarginTable::new(p2, p1.len()),
            p2_never: Chance::new(p2).is_never(),
            turnover: Chance::new(p3),
            turbulence: P16::new(p4),
        }
    }

    /// The same socialisation rate for all `n` individuals.
    pub fn uniform(n: usize, p1: f64, p2: f64, p3: f64, p4: f64) -> Dynamics {
        Dynamics::new(&vec![p1; n], p2, p3, p4)
    }

    fn is_closed(&self) -> bool {
        self.turnover.is_never() && self.turbulence.is_zero()
    }
}

/// How a run to equilibrium ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// Every belief equals the code.
    Equilibrium,
    /// Not every belief equals the code, but nothing can change any more.
    Stalled,
    /// Stopped at the period cap.
    Cap,
}

/// The end of one run to equilibrium.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    pub code_knowledge: f64,
    pub periods: u32,
    pub end: End,
}

/// Run until equilibrium (every belief equals the code), until nothing can
/// change, or for `max_periods` periods.
///
/// # Panics
/// If the dynamics have turnover or turbulence (no equilibrium exists).
pub fn run_to_equilibrium<R: Rng + ?Sized>(
    org: &mut Org,
    d: &Dynamics,
    max_periods: u32,
    rng: &mut R,
) -> Outcome {
    assert!(
        d.is_closed(),
        "a run with turnover or turbulence has no equilibrium"
    );
    let mut t = 0;
    let end = loop {
        if let Some(end) = org.settled(d) {
            break end;
        }
        if t >= max_periods {
            break End::Cap;
        }
        org.step(d, rng);
        t += 1;
    };
    Outcome {
        code_knowledge: org.code_knowledge(),
        periods: t,
        end,
    }
}

/// Code knowledge after each of `periods` periods, with period 0 (the
/// start) first: `periods + 1` values.
pub fn run_series<R: Rng + ?Sized>(
    org: &mut Org,
    d: &Dynamics,
    periods: u32,
    rng: &mut R,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(periods as usize + 1);
    out.push(org.code_knowledge());
    for _ in 0..periods {
        org.step(d, rng);
        out.push(org.code_knowledge());
    }
    out
}

// ------------------------------------------------------------ configuration

fn default_figures() -> Vec<u32> {
    vec![1, 2, 3, 4, 5]
}

/// A `march1991` scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MarchConfig {
    /// Always `"march1991"`.
    pub model: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub seed: u64,
    /// Replications per point (March used 80).
    pub replicates: u32,
    /// Which of March's figures to produce (1 to 5).
    #[serde(default = "default_figures")]
    pub figures: Vec<u32>,
    #[serde(default)]
    pub organisation: Organisation,
    #[serde(default)]
    pub figure1: Figure1,
    #[serde(default)]
    pub figure2: Figure2,
    #[serde(default)]
    pub figure3: Figure3,
    #[serde(default = "Figure45::figure4")]
    pub figure4: Figure45,
    #[serde(default = "Figure45::figure5")]
    pub figure5: Figure45,
}

/// `[organisation]`: the sizes shared by every figure.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Reality dimensions `m` (1 to 64; March: 30).
    pub dimensions: usize,
    /// Individuals `n` (March: 50).
    pub individuals: usize,
    /// Cap on the periods of a run to equilibrium.
    pub max_periods: u32,
}

impl Default for Organisation {
    fn default() -> Self {
        Organisation {
            dimensions: 30,
            individuals: 50,
            max_periods: 10_000,
        }
    }
}

fn grid(lo: u32, hi: u32, step: u32, scale: f64) -> Vec<f64> {
    (lo..=hi)
        .step_by(step as usize)
        .map(|i| i as f64 / scale)
        .collect()
}

/// `[figure1]`: equilibrium code knowledge over a grid of `p1` and `p2`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Figure1 {
    /// Socialisation rates (the x axis).
    pub p1: Vec<f64>,
    /// Code-learning rates (one line each).
    pub p2: Vec<f64>,
}

impl Default for Figure1 {
    fn default() -> Self {
        Figure1 {
            p1: grid(1, 9, 1, 10.0),
            p2: vec![0.1, 0.5, 0.9],
        }
    }
}

/// `[figure2]`: equilibrium code knowledge against the number of fast
/// learners in a population of fast and slow learners.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Figure2 {
    /// Numbers of fast learners (each at most `individuals`).
    pub fast_learners: Vec<usize>,
    pub p1_fast: f64,
    pub p1_slow: f64,
    pub p2: f64,
}

impl Default for Figure2 {
    fn default() -> Self {
        Figure2 {
            fast_learners: (0..=50).step_by(5).collect(),
            p1_fast: 0.9,
            p1_slow: 0.1,
            p2: 0.5,
        }
    }
}

/// `[figure3]`: code knowledge after `period` periods against turnover,
/// one line per socialisation rate.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Figure3 {
    /// Turnover rates (the x axis).
    pub p3: Vec<f64>,
    /// Socialisation rates (one line each).
    pub p1: Vec<f64>,
    pub p2: f64,
    /// The period at which code knowledge is read.
    pub period: u32,
}

impl Default for Figure3 {
    fn default() -> Self {
        Figure3 {
            p3: grid(0, 50, 5, 100.0),
            p1: vec![0.1, 0.5, 0.9],
            p2: 0.5,
            period: 20,
        }
    }
}

/// `[figure4]` and `[figure5]`: code knowledge over time under turbulence,
/// one line per turnover rate.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Figure45 {
    pub p1: f64,
    pub p2: f64,
    /// Turnover rates (one line each).
    pub p3: Vec<f64>,
    /// Turbulence: probability per period that a reality dimension flips.
    pub p4: f64,
    /// Periods simulated (the x axis runs from 0 to this).
    pub periods: u32,
}

impl Figure45 {
    fn figure4() -> Self {
        Figure45 {
            p1: 0.5,
            p2: 0.5,
            p3: vec![0.0],
            p4: 0.02,
            periods: 100,
        }
    }
    fn figure5() -> Self {
        Figure45 {
            p3: vec![0.0, 0.1],
            ..Figure45::figure4()
        }
    }
}

fn check_probs(out: &mut Vec<(String, String)>, key: &str, values: &[f64]) {
    if values.is_empty() {
        out.push((key.into(), "give at least one value".into()));
    }
    for v in values {
        if !(0.0..=1.0).contains(v) {
            out.push((
                key.into(),
                format!("{v} is not a probability: use a number from 0 to 1"),
            ));
        }
    }
}

impl MarchConfig {
    /// Every range problem, as `(dotted key, message)`.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let o = &self.organisation;
        if !(1..=MAX_DIMENSIONS).contains(&o.dimensions) {
            out.push((
                "organisation.dimensions".into(),
                format!(
                    "{} is out of range: use 1 to {MAX_DIMENSIONS}",
                    o.dimensions
                ),
            ));
        }
        if !(1..=MAX_INDIVIDUALS).contains(&o.individuals) {
            out.push((
                "organisation.individuals".into(),
                format!(
                    "{} is out of range: use 1 to {MAX_INDIVIDUALS}",
                    o.individuals
                ),
            ));
        }
        for f in &self.figures {
            if !(1..=5).contains(f) {
                out.push((
                    "figures".into(),
                    format!("March's figures are numbered 1 to 5 (got {f})"),
                ));
            }
        }
        check_probs(&mut out, "figure1.p1", &self.figure1.p1);
        check_probs(&mut out, "figure1.p2", &self.figure1.p2);
        let f2 = &self.figure2;
        check_probs(&mut out, "figure2.p1_fast", &[f2.p1_fast]);
        check_probs(&mut out, "figure2.p1_slow", &[f2.p1_slow]);
        check_probs(&mut out, "figure2.p2", &[f2.p2]);
        if f2.fast_learners.is_empty() {
            out.push(("figure2.fast_learners".into(), "give at least one".into()));
        }
        let too_many = f2
            .fast_learners
            .iter()
            .max()
            .filter(|&&f| f > o.individuals);
        if let (Some(&f), true) = (too_many, self.wants(2)) {
            out.push((
                "figure2.fast_learners".into(),
                format!(
                    "{f} fast learners is more than the {} individuals (set fewer, or leave \
                     figure 2 out of `figures`)",
                    o.individuals
                ),
            ));
        }
        let f3 = &self.figure3;
        check_probs(&mut out, "figure3.p3", &f3.p3);
        check_probs(&mut out, "figure3.p1", &f3.p1);
        check_probs(&mut out, "figure3.p2", &[f3.p2]);
        for (key, f) in [("figure4", &self.figure4), ("figure5", &self.figure5)] {
            check_probs(&mut out, &format!("{key}.p1"), &[f.p1]);
            check_probs(&mut out, &format!("{key}.p2"), &[f.p2]);
            check_probs(&mut out, &format!("{key}.p3"), &f.p3);
            check_probs(&mut out, &format!("{key}.p4"), &[f.p4]);
        }
        out
    }

    fn wants(&self, figure: u32) -> bool {
        self.figures.contains(&figure)
    }
}

// ---------------------------------------------------------------- figures

/// Summary of the runs to equilibrium at one point.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct EqPoint {
    pub knowledge: MeanSe,
    pub mean_periods: f64,
    /// Runs that stopped because nothing could change any more.
    pub stalled: usize,
    /// Runs that hit the period cap.
    pub capped: usize,
}

fn summarise_eq(runs: &[Outcome]) -> EqPoint {
    let k: Vec<f64> = runs.iter().map(|o| o.code_knowledge).collect();
    let mut periods = 0.0;
    for o in runs {
        periods += o.periods as f64;
    }
    EqPoint {
        knowledge: mean_se(&k),
        mean_periods: periods / runs.len().max(1) as f64,
        stalled: runs.iter().filter(|o| o.end == End::Stalled).count(),
        capped: runs.iter().filter(|o| o.end == End::Cap).count(),
    }
}

/// The organisation of replication `rep`: the same for every point and figure.
pub fn initial_org(seed: u64, rep: usize, m: usize, n: usize) -> Org {
    let mut rng = stream(seed, rep as u64, ENTITY_INIT, Purpose::Validation, 0);
    Org::new(m, n, &mut rng)
}

/// Runs to equilibrium for every `(point, replication)`; the dynamics of
/// point `j` come from `stream(seed, rep, figure, Validation, j)`.
pub fn equilibrium_points(
    seed: u64,
    reps: usize,
    org: &Organisation,
    figure: u64,
    points: &[Dynamics],
) -> Vec<EqPoint> {
    let runs = map_points(points.len(), reps, |j, rep| {
        let mut o = initial_org(seed, rep, org.dimensions, org.individuals);
        let mut rng = stream(seed, rep as u64, figure, Purpose::Validation, j as u64);
        run_to_equilibrium(&mut o, &points[j], org.max_periods, &mut rng)
    });
    runs.iter().map(|r| summarise_eq(r)).collect()
}

/// Code-knowledge series (periods `0..=periods`) averaged over replications
/// for every point; the dynamics of point `j` come from
/// `stream(seed, rep, figure, Validation, j)`.
pub fn series_points(
    seed: u64,
    reps: usize,
    org: &Organisation,
    figure: u64,
    points: &[Dynamics],
    periods: u32,
) -> Vec<Vec<MeanSe>> {
    let runs = map_points(points.len(), reps, |j, rep| {
        let mut o = initial_org(seed, rep, org.dimensions, org.individuals);
        let mut rng = stream(seed, rep as u64, figure, Purpose::Validation, j as u64);
        run_series(&mut o, &points[j], periods, &mut rng)
    });
    runs.iter().map(|r| series_mean_se(r)).collect()
}

/// Figure 1: one row per `(p2, p1)`, `p2` outer.
#[derive(Clone, Debug, Serialize)]
pub struct Figure1Row {
    pub p1: f64,
    pub p2: f64,
    pub point: EqPoint,
}

/// Figure 1 of the configuration, with `reps` replications per point.
pub fn figure1(cfg: &MarchConfig, reps: usize) -> Vec<Figure1Row> {
    let n = cfg.organisation.individuals;
    let mut keys = Vec::new();
    let mut dyns = Vec::new();
    for &p2 in &cfg.figure1.p2 {
        for &p1 in &cfg.figure1.p1 {
            keys.push((p1, p2));
            dyns.push(Dynamics::uniform(n, p1, p2, 0.0, 0.0));
        }
    }
    let pts = equilibrium_points(cfg.seed, reps, &cfg.organisation, 1, &dyns);
    keys.into_iter()
        .zip(pts)
        .map(|((p1, p2), point)| Figure1Row { p1, p2, point })
        .collect()
}

/// Figure 2: one row per number of fast learners.
#[derive(Clone, Debug, Serialize)]
pub struct Figure2Row {
    pub fast_learners: usize,
    /// The population's mean socialisation rate.
    pub mean_p1: f64,
    /// Fast learners at `p1_fast`, the rest at `p1_slow`.
    pub mixed: EqPoint,
    /// Everyone at `mean_p1` (the uniform population to beat).
    pub uniform: EqPoint,
}

/// Figure 2: the first `f` individuals learn at `p1_fast`, the rest at
/// `p1_slow`; beside each mix, a uniform population at the mix's mean rate.
/// Point `j < len` is mix `j`, point `len + j` its uniform twin.
pub fn figure2(cfg: &MarchConfig, reps: usize) -> Vec<Figure2Row> {
    let f2 = &cfg.figure2;
    let n = cfg.organisation.individuals;
    let mean_p1 = |f: usize| (f as f64 * f2.p1_fast + (n - f) as f64 * f2.p1_slow) / n as f64;
    let mut dyns: Vec<Dynamics> = f2
        .fast_learners
        .iter()
        .map(|&f| {
            let p1: Vec<f64> = (0..n)
                .map(|i| if i < f { f2.p1_fast } else { f2.p1_slow })
                .collect();
            Dynamics::new(&p1, f2.p2, 0.0, 0.0)
        })
        .collect();
    dyns.extend(
        f2.fast_learners
            .iter()
            .map(|&f| Dynamics::uniform(n, mean_p1(f), f2.p2, 0.0, 0.0)),
    );
    let pts = equilibrium_points(cfg.seed, reps, &cfg.organisation, 2, &dyns);
    let len = f2.fast_learners.len();
    f2.fast_learners
        .iter()
        .enumerate()
        .map(|(j, &fast_learners)| Figure2Row {
            fast_learners,
            mean_p1: mean_p1(fast_learners),
            mixed: pts[j],
            uniform: pts[len + j],
        })
        .collect()
}

/// Figure 3: one row per `(p1, p3)`, `p1` outer.
#[derive(Clone, Debug, Serialize)]
pub struct Figure3Row {
    pub p1: f64,
    pub p3: f64,
    pub knowledge: MeanSe,
}

/// Figure 3: code knowledge at period `figure3.period` with turnover.
pub fn figure3(cfg: &MarchConfig, reps: usize) -> Vec<Figure3Row> {
    let f3 = &cfg.figure3;
    let n = cfg.organisation.individuals;
    let mut keys = Vec::new();
    let mut dyns = Vec::new();
    for &p1 in &f3.p1 {
        for &p3 in &f3.p3 {
            keys.push((p1, p3));
            dyns.push(Dynamics::uniform(n, p1, f3.p2, p3, 0.0));
        }
    }
    let series = series_points(cfg.seed, reps, &cfg.organisation, 3, &dyns, f3.period);
    keys.into_iter()
        .zip(series)
        .map(|((p1, p3), s)| Figure3Row {
            p1,
            p3,
            knowledge: s[f3.period as usize],
        })
        .collect()
}

/// Figures 4 and 5: one series per turnover rate.
#[derive(Clone, Debug, Serialize)]
pub struct SeriesRow {
    pub p3: f64,
    /// Code knowledge at periods `0..=periods`.
    pub knowledge: Vec<MeanSe>,
}

/// Figure 4 or 5 (`figure` is 4 or 5).
pub fn figure45(cfg: &MarchConfig, figure: u32, reps: usize) -> Vec<SeriesRow> {
    let f = if figure == 4 {
        &cfg.figure4
    } else {
        &cfg.figure5
    };
    let n = cfg.organisation.individuals;
    let dyns: Vec<Dynamics> =
        f.p3.iter()
            .map(|&p3| Dynamics::uniform(n, f.p1, f.p2, p3, f.p4))
            .collect();
    let series = series_points(
        cfg.seed,
        reps,
        &cfg.organisation,
        figure as u64,
        &dyns,
        f.periods,
    );
    f.p3.iter()
        .zip(series)
        .map(|(&p3, knowledge)| SeriesRow { p3, knowledge })
        .collect()
}

/// Everything a `march1991` run computes.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MarchResults {
    pub figure1: Option<Vec<Figure1Row>>,
    pub figure2: Option<Vec<Figure2Row>>,
    pub figure3: Option<Vec<Figure3Row>>,
    pub figure4: Option<Vec<SeriesRow>>,
    pub figure5: Option<Vec<SeriesRow>>,
}

/// Compute the figures the configuration asks for, on the current rayon pool.
pub fn run(cfg: &MarchConfig) -> MarchResults {
    let reps = cfg.replicates as usize;
    MarchResults {
        figure1: cfg.wants(1).then(|| figure1(cfg, reps)),
        figure2: cfg.wants(2).then(|| figure2(cfg, reps)),
        figure3: cfg.wants(3).then(|| figure3(cfg, reps)),
        figure4: cfg.wants(4).then(|| figure45(cfg, 4, reps)),
        figure5: cfg.wants(5).then(|| figure45(cfg, 5, reps)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    fn rng(k: u64) -> crate::rng::StreamRng {
        stream(k, 0, 0, Purpose::Validation, 0)
    }

    /// Beliefs as +1 / 0 / -1 per dimension.
    fn trits(nz: u64, pos: u64, m: u32) -> Vec<i8> {
        (0..m)
            .map(|d| {
                if nz >> d & 1 == 0 {
                    0
                } else if pos >> d & 1 == 1 {
                    1
                } else {
                    -1
                }
            })
            .collect()
    }

    #[test]
    fn random_beliefs_are_uniform_over_three_values() {
        let mut r = rng(1);
        let mut counts = [0u32; 3];
        for _ in 0..20_000 {
            let (nz, pos) = random_beliefs(&mut r, low_mask(30));
            assert_eq!(pos & !nz, 0);
            assert_eq!(nz >> 30, 0);
            for t in trits(nz, pos, 30) {
                counts[(t + 1) as usize] += 1;
            }
        }
        let total = 600_000.0;
        for c in counts {
            // s.e. of a share is about 0.0006.
            assert!((c as f64 / total - 1.0 / 3.0).abs() < 0.004, "{counts:?}");
        }
        // Wide masks draw two words per try.
        let (nz, pos) = random_beliefs(&mut r, u64::MAX);
        assert_eq!(pos & !nz, 0);
    }

    #[test]
    fn socialisation_moves_one_step_toward_the_code() {
        let mut r = rng(2);
        let mut org = Org::new(4, 1, &mut r);
        // Code: +1, +1, -1, 0. Belief: -1, 0, +1, +1.
        org.code_nz = 0b0111;
        org.code_pos = 0b0011;
        org.nz[0] = 0b1101;
        org.pos[0] = 0b1100;
        org.reality = 0b0000;
        // p1 = 1, no code learning.
        let d = Dynamics::uniform(1, 1.0, 0.0, 0.0, 0.0);
        org.step(&d, &mut r);
        assert_eq!(trits(org.nz[0], org.pos[0], 4), vec![0, 1, 0, 1]);
        org.step(&d, &mut r);
        assert_eq!(trits(org.nz[0], org.pos[0], 4), vec![1, 1, -1, 1]);
        assert_eq!(trits(org.code_nz, org.code_pos, 4), vec![1, 1, -1, 0]);
    }

    #[test]
    fn code_learns_the_superior_majority_with_p2_one() {
        let mut r = rng(3);
        let mut org = Org::new(3, 3, &mut r);
        org.reality = 0b111;
        // Everyone believes +1 everywhere: all beat the 0 code.
        for i in 0..3 {
            org.nz[i] = 0b111;
            org.pos[i] = 0b111;
        }
        let d = Dynamics::uniform(3, 0.0, 1.0, 0.0, 0.0);
        org.step(&d, &mut r);
        assert_eq!((org.code_nz, org.code_pos), (0b111, 0b111));
        assert_eq!(org.code_knowledge(), 1.0);
        assert_eq!(org.settled(&d), Some(End::Equilibrium));
    }

    #[test]
    fn a_code_that_nobody_beats_never_changes() {
        let mut r = rng(4);
        let mut org = Org::new(2, 2, &mut r);
        org.reality = 0b11;
        org.code_nz = 0b11;
        org.code_pos = 0b11;
        for i in 0..2 {
            org.nz[i] = 0b11;
            org.pos[i] = 0b00;
        }
        // p1 = 0: beliefs cannot move, nobody can beat a perfect code.
        let d = Dynamics::uniform(2, 0.0, 0.9, 0.0, 0.0);
        assert_eq!(org.settled(&d), Some(End::Stalled));
        let out = run_to_equilibrium(&mut org, &d, 100, &mut r);
        assert_eq!(out.end, End::Stalled);
        assert_eq!(out.periods, 0);
        assert_eq!(out.code_knowledge, 1.0);
    }

    #[test]
    fn runs_reach_equilibrium_with_all_beliefs_equal() {
        for seed in 0..20 {
            let mut org = initial_org(seed, 0, 30, 50);
            let d = Dynamics::uniform(50, 0.5, 0.5, 0.0, 0.0);
            let mut r = rng(100 + seed);
            let out = run_to_equilibrium(&mut org, &d, 10_000, &mut r);
            assert_ne!(out.end, End::Cap);
            if out.end == End::Equilibrium {
                assert!(org.all_equal_code());
                assert_eq!(org.code_nz, low_mask(30));
                assert!((org.mean_individual_knowledge() - org.code_knowledge()).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn turbulence_flips_reality_and_turnover_replaces() {
        let mut r = rng(5);
        let mut org = Org::new(30, 50, &mut r);
        let before = org.clone();
        let d = Dynamics::uniform(50, 0.0, 0.0, 1.0, 1.0);
        org.step(&d, &mut r);
        assert_eq!(org.reality, before.reality ^ low_mask(30));
        assert_ne!(org.nz, before.nz);
    }

    #[test]
    fn config_problems_name_keys() {
        let mut cfg: MarchConfig =
            toml::from_str("model = \"march1991\"\nname = \"x\"\nseed = 1\nreplicates = 2\n")
                .unwrap();
        assert!(cfg.problems().is_empty());
        cfg.figure1.p1 = vec![1.5];
        cfg.figure2.fast_learners = vec![60];
        cfg.figures = vec![2, 6];
        let keys: Vec<String> = cfg.problems().into_iter().map(|p| p.0).collect();
        assert_eq!(keys, ["figures", "figure1.p1", "figure2.fast_learners"]);
    }
}
