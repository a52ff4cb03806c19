//! NK practice landscape with a shared table and per-context tables.
//!
//! A practice is a `u64` bit vector over `N` dimensions (bit `n` is dimension
//! `n`). Dimension `n` depends on `K` other dimensions, drawn uniformly without
//! replacement once per landscape and stored in ascending order. Its
//! contribution is read from a row of `2^(K+1)` entries at the index that packs
//! bit `n` of the practice as the lowest bit, then the bits at its
//! dependencies (in ascending order) as bits `1..=K`.
//!
//! There is one *shared* table `S` and one *local* table `L_c` per context
//! type `c`. Context `c` scores practices with
//! `T_c = (1 - lambda) * S + lambda * L_c` (`lambda` = `context_weight`):
//!
//! * raw score `E_c(x)` = mean over `n` of `T_c[n][index_n(x)]`;
//! * shared score `E_S(x)` = the same with `S` (what central experts see);
//! * normalised effectiveness `e_c(x) = E_c(x) / max_x E_c(x)`.
//!
//! For `N <= 20` the maximum is exact and every practice's raw sum (over
//! dimensions, not yet divided by `N`) is stored as an `f32` table, so
//! [`Landscape::eval`] is one lookup and one multiplication:
//! `e = min(sum * inv, 1)`, where `inv` is the reciprocal of the argmax's
//! stored sum (nudged up by an ulp if need be, so that the argmax's e is
//! exactly 1). The table comes from a Gray-code walk: the practices are split
//! into a block of the low `min(N, 10)` bits and the remaining high bits; the
//! walk visits the high patterns in Gray-code order and, at each step,
//! updates the raw sums of all `2^10` low patterns at once, touching only the
//! contributions of the flipped bit's dimension and of the dimensions that
//! depend on it (precomputed reverse-dependency lists). The block of sums is
//! recomputed from scratch every 256 steps; between resyncs a sum takes at
//! most `255 * 20` row changes, each rounding by under `2e-15`, so its drift
//! stays below `2e-11`. Every practice whose running sum comes within `1e-9`
//! of the best is kept as a candidate, and the candidates are then scored
//! directly. The reported maximum is therefore the direct evaluation of the
//! reported argmax (ties go to the lowest practice) and equals the
//! brute-force maximum.
//!
//! Turbulence mostly does not walk again. When rows change, the change
//! `T_new - T_old` of each changed row of each combined table that uses it
//! is added to the stored sums in one pass over all practices: the change of
//! a block of low patterns depends on the high bits only through the few
//! that feed a changed row, so it is tabulated once per value of those bits
//! (in `f64`, rounded once to `f32`) and added to each block by a
//! contiguous, vectorised loop that also tracks each block's best sum. A
//! stored sum is within `2^-24 (N + 1)` of its exact value after a walk, and
//! each row update adds at most `2^-24 (2N + K + 3)` (the rounded change, and
//! the rounding of the new sum); the practices within twice that bound (plus
//! `1e-9`) of the best stored sum are scored directly, so the maximum and
//! argmax stay exact. A table is walked afresh when more than `K + 2` of its
//! rows change at once (the walk is then about as cheap) and once 64 row
//! updates have accumulated, so an entry's e stays within about `4e-6` of
//! what a fresh walk gives. Clones share the tables (`Arc`): an update of a
//! shared table writes a new one, so a clone never changes the original, and
//! the result of a turbulence depends only on the landscape's history, not
//! on who else holds its tables. [`Landscape::mean_e`] is exact after a walk
//! and computed from the stored sums after an update.
//!
//! For `N > 20` there is no table: the maximum is estimated by 200 random-start
//! steepest-ascent climbs per context ([`Landscape::maxima_exact`] is then
//! `false`), and `eval` computes `E_c(x) / max` directly. An estimated maximum
//! can be exceeded, so `eval` may then return values above 1; they are not
//! clamped.
//!
//! When `lambda == 0` (or there is one context) all contexts share one
//! combined table, one maximum and one lookup table. The local tables are still
//! drawn, so the random stream consumed by generation and turbulence does not
//! depend on `lambda`.
//!
//! All hill climbs here are *best-improvement* steepest ascent over single-bit
//! flips: every flip is scored, the strictly best improving flip is taken
//! (ties go to the lowest dimension), and the climb stops at a local optimum.

use std::fmt;
use std::sync::{Arc, OnceLock};

use rand::{Rng, RngExt};

use crate::rng::{Purpose, StreamRng, stream};

/// Largest `N` for which the exact maximum and the lookup table are built.
pub const MAX_TABLED_N: usize = 20;
/// Largest `N` supported (practices are `u64`).
pub const MAX_N: usize = 64;
/// Largest `K` supported (row indices are `u32`; `2^(K+1)` entries per row).
pub const MAX_K: usize = 30;
/// Random starts used to estimate the maximum when `N > MAX_TABLED_N`.
pub const ESTIMATE_STARTS: usize = 200;
/// Random practices used to estimate `mean_e` when `N > MAX_TABLED_N`.
pub const MEAN_SAMPLES: usize = 10_000;

/// Fixed seed of the internal stream used to sample `mean_e` without a table.
const MEAN_SEED: u64 = 0x6D65_616E_5F65_0001;
/// Candidate tolerance of the exact walk, on the scale of a sum of `N` entries.
const GRAY_TOL: f64 = 1e-9;
/// Minimum improvement (on the sum scale) that a hill-climbing move must make.
const CLIMB_EPS: f64 = 1e-12;
/// Low bits enumerated as one block by the exact walk (`2^10` sums, 8 KiB).
const BLOCK_BITS: usize = 10;
/// The exact walk recomputes its block of sums every `RESYNC_BLOCKS + 1` steps.
const RESYNC_BLOCKS: usize = 255;
/// Rows of at most this many entries (`K <= 9`) use a tabulated difference.
const DIFF_LEN: usize = 1024;
/// Touched dimensions the exact walk applies in one pass over a block.
const FUSE: usize = 4;
/// Relative rounding of an `f32` sum (`2^-24`); see the module documentation
/// for the bound it gives after a walk and after each row update.
const F32_ERR: f64 = 1.0 / 16_777_216.0;
/// A distinct table is walked afresh once this many row updates have been
/// applied to its entries since its last full walk (so an entry stays
/// within `65 * 2^-24`, about `4e-6`, of the exact value).
const REWALK_ROWS: usize = 64;
/// Most entries of tabulated block changes kept by one update (256 KiB).
const COMB_CACHE: usize = 1 << 15;

/// Parameters of a landscape.
#[derive(Clone, Debug, PartialEq)]
pub struct LandscapeSpec {
    /// Number of practice dimensions, `1..=64`.
    pub n: usize,
    /// Dependencies per dimension, `0 <= k < n`, `k <= 30`.
    pub k: usize,
    /// Number of context types, at least 1.
    pub contexts: usize,
    /// Weight `lambda` of the local table, in `[0, 1]`.
    pub context_weight: f64,
}

/// An invalid [`LandscapeSpec`].
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum LandscapeError {
    #[error("n must be in 1..=64 (got {got})")]
    N { got: usize },
    #[error("k must satisfy 0 <= k < n (n = {n}) and k <= 30 (got {got})")]
    K { got: usize, n: usize },
    #[error("contexts must be at least 1 (got {got})")]
    Contexts { got: usize },
    #[error("context_weight must be a number in [0, 1] (got {got})")]
    ContextWeight { got: f64 },
}

impl LandscapeSpec {
    /// Check the ranges of every field.
    pub fn validate(&self) -> Result<(), LandscapeError> {
        if self.n == 0 || self.n > MAX_N {
            return Err(LandscapeError::N { got: self.n });
        }
        if self.k >= self.n || self.k > MAX_K {
            return Err(LandscapeError::K {
                got: self.k,
                n: self.n,
            });
        }
        if self.contexts == 0 {
            return Err(LandscapeError::Contexts { got: self.contexts });
        }
        let l = self.context_weight;
        if !(0.0..=1.0).contains(&l) {
            return Err(LandscapeError::ContextWeight { got: l });
        }
        Ok(())
    }
}

/// One entry of a reverse-dependency list: flipping bit `m` of a practice
/// toggles bit `bit` of dimension `dim`'s row index.
#[derive(Clone, Copy, Debug)]
struct Touch {
    dim: u32,
    bit: u32,
}

/// An NK practice landscape (see the module documentation).
#[derive(Clone)]
pub struct Landscape {
    spec: LandscapeSpec,
    n: usize,
    k: usize,
    /// Entries per row, `2^(K+1)`.
    w: usize,
    mask: u64,
    /// Dependencies, `n * k`, ascending within each dimension.
    deps: Vec<u32>,
    /// Reverse dependencies of bit `m`: `touch[touch_start[m]..touch_start[m+1]]`.
    touch_start: Vec<u32>,
    touch: Vec<Touch>,
    /// Shared table `S`, `n * w`.
    shared: Vec<f64>,
    /// Local tables `L_c`, `contexts * n * w`.
    local: Vec<f64>,
    /// Number of distinct combined tables: 1 when `lambda == 0` or one context.
    distinct: usize,
    /// Combined tables `T_c`, `distinct * n * w`.
    combined: Vec<f64>,
    /// Per distinct table: maximum raw score and a state achieving it.
    max_raw: Vec<f64>,
    argmax: Vec<u64>,
    exact: bool,
    /// Per distinct table, the `2^n` raw sums `sum_d T[d][index_d(x)]` (not
    /// divided by `n`) as `f32` (empty when `n > 20`); e is a sum times
    /// `inv[s]`, capped at 1.
    tables: Vec<Arc<[f32]>>,
    /// Per distinct table, the factor turning a stored sum into e: the
    /// reciprocal of the stored sum of the argmax (nudged up so that the
    /// argmax's e is exactly 1).
    inv: Vec<f64>,
    /// Per distinct table, the row updates applied to `tables` since its
    /// last full walk (they widen the candidate tolerance; see [`F32_ERR`]).
    updates: Vec<usize>,
    /// Low-bit block of the row indices (depends only on the dependencies;
    /// empty when `n > 20`).
    blk: Arc<LowBlock>,
    /// Per distinct table, mean of `e` when not tabled (sampled lazily).
    mean: OnceLock<Vec<f64>>,
    /// Per distinct table, mean of `e` as its last full walk found it
    /// (NaN once turbulence has updated the table: then computed on demand).
    means: Vec<f64>,
    /// Seed of the starts used to estimate maxima when `n > 20`.
    search_seed: u64,
    /// Number of times the maxima have been (re)computed.
    epoch: u64,
}

impl fmt::Debug for Landscape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Landscape")
            .field("spec", &self.spec)
            .field("maxima_exact", &self.exact)
            .field("max_raw", &self.max_raw)
            .field("argmax", &self.argmax)
            .field("tabled", &!self.tables.is_empty())
            .finish_non_exhaustive()
    }
}

/// The effectiveness of practices in one context ([`Landscape::context`]).
#[derive(Clone, Copy)]
pub struct ContextEval<'a> {
    /// The context's table of sums (empty when `N > 20`) and its factor.
    table: &'a [f32],
    inv: f64,
    mask: u64,
    land: &'a Landscape,
    slot: usize,
}

impl ContextEval<'_> {
    /// `e_c(x)`, as [`Landscape::eval`].
    #[inline(always)]
    pub fn eval(&self, x: u64) -> f64 {
        if self.table.is_empty() {
            let l = self.land;
            l.score(l.combined_of(self.slot), x) / l.max_raw[self.slot]
        } else {
            (self.table[(x & self.mask) as usize] as f64 * self.inv).min(1.0)
        }
    }
}

/// Draw one row of `w` entries uniform on `[0, 1)`.
fn draw_row<R: Rng + ?Sized>(row: &mut [f64], rng: &mut R) {
    for v in row {
        *v = rng.random::<f64>();
    }
}

impl Landscape {
    /// Draw a landscape. Draw order: the dependencies of dimensions `0..N`,
    /// then the rows of `S`, then the rows of `L_0`, `L_1`, ..., then one
    /// `u64` seeding the search used to estimate maxima when `N > 20`.
    pub fn generate<R: Rng + ?Sized>(
        spec: &LandscapeSpec,
        rng: &mut R,
    ) -> Result<Landscape, LandscapeError> {
        spec.validate()?;
        let n = spec.n;
        let k = spec.k;
        let w = 1usize << (k + 1);
        let mask = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };

        // Dependencies: K distinct dimensions other than n, by partial
        // Fisher-Yates over the other N - 1 dimensions, stored ascending.
        let mut deps = Vec::with_capacity(n * k);
        let mut pool: Vec<u32> = Vec::with_capacity(n);
        for d in 0..n {
            pool.clear();
            pool.extend((0..n as u32).filter(|&m| m as usize != d));
            for j in 0..k {
                let r = rng.random_range(j..n - 1);
                pool.swap(j, r);
            }
            let chosen = &mut pool[..k];
            chosen.sort_unstable();
            deps.extend_from_slice(chosen);
        }

        // Reverse dependencies: bit m feeds its own row (index bit 0) and the
        // row of every dimension that lists m (index bit j + 1).
        let mut lists: Vec<Vec<Touch>> = vec![Vec::new(); n];
        for (d, list) in lists.iter_mut().enumerate() {
            list.push(Touch {
                dim: d as u32,
                bit: 1,
            });
        }
        for d in 0..n {
            for j in 0..k {
                let m = deps[d * k + j] as usize;
                lists[m].push(Touch {
                    dim: d as u32,
                    bit: 1 << (j + 1),
                });
            }
        }
        let mut touch_start = Vec::with_capacity(n + 1);
        let mut touch = Vec::with_capacity(n * (k + 1));
        touch_start.push(0u32);
        for list in &lists {
            touch.extend_from_slice(list);
            touch_start.push(touch.len() as u32);
        }

        let rows = n * w;
        let mut shared = vec![0.0; rows];
        for row in shared.chunks_exact_mut(w) {
            draw_row(row, rng);
        }
        let mut local = vec![0.0; spec.contexts * rows];
        for row in local.chunks_exact_mut(w) {
            draw_row(row, rng);
        }
        let search_seed: u64 = rng.random();

        let distinct = if spec.context_weight == 0.0 || spec.contexts == 1 {
            1
        } else {
            spec.contexts
        };
        let mut l = Landscape {
            spec: spec.clone(),
            n,
            k,
            w,
            mask,
            deps,
            touch_start,
            touch,
            shared,
            local,
            distinct,
            combined: Vec::new(),
            max_raw: Vec::new(),
            argmax: Vec::new(),
            exact: n <= MAX_TABLED_N,
            tables: Vec::new(),
            updates: Vec::new(),
            inv: Vec::new(),
            blk: Arc::new(LowBlock::default()),
            mean: OnceLock::new(),
            means: Vec::new(),
            search_seed,
            epoch: 0,
        };
        if l.exact {
            l.blk = Arc::new(l.low_block());
        }
        l.rebuild();
        Ok(l)
    }

    /// The parameters this landscape was drawn with.
    pub fn spec(&self) -> &LandscapeSpec {
        &self.spec
    }

    /// Number of practice dimensions `N`.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Dependencies per dimension `K`.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Number of context types `C`.
    pub fn contexts(&self) -> usize {
        self.spec.contexts
    }

    /// A practice with the low `N` bits set.
    pub fn mask(&self) -> u64 {
        self.mask
    }

    /// The `K` dependencies of dimension `d`, ascending.
    pub fn dependencies(&self, d: usize) -> &[u32] {
        &self.deps[d * self.k..(d + 1) * self.k]
    }

    /// Whether a lookup table of `e` exists (`N <= 20`).
    pub fn tabled(&self) -> bool {
        !self.tables.is_empty()
    }

    /// Index of the combined table used by context `ctx`.
    #[inline]
    fn slot(&self, ctx: usize) -> usize {
        assert!(
            ctx < self.spec.contexts,
            "context {ctx} out of range (contexts = {})",
            self.spec.contexts
        );
        if self.distinct == 1 { 0 } else { ctx }
    }

    #[inline]
    fn combined_of(&self, slot: usize) -> &[f64] {
        let rows = self.n * self.w;
        &self.combined[slot * rows..(slot + 1) * rows]
    }

    /// Row index of dimension `d` in practice `x`.
    #[inline]
    fn index(&self, x: u64, d: usize) -> usize {
        let mut i = ((x >> d) & 1) as usize;
        for (j, &m) in self.dependencies(d).iter().enumerate() {
            i |= (((x >> m) & 1) as usize) << (j + 1);
        }
        i
    }

    /// Mean over dimensions of `table[d][index_d(x)]`.
    #[inline]
    fn score(&self, table: &[f64], x: u64) -> f64 {
        let mut s = 0.0;
        for d in 0..self.n {
            s += table[d * self.w + self.index(x, d)];
        }
        s / self.n as f64
    }

    /// Normalised effectiveness `e_c(x) = E_c(x) / max E_c`. Bits above `N`
    /// are ignored. Exact maxima give values in `(0, 1]` (stored as `f32`);
    /// estimated maxima (`N > 20`) can be exceeded, giving values above 1.
    #[inline]
    pub fn eval(&self, ctx: usize, x: u64) -> f64 {
        let s = self.slot(ctx);
        if let Some(t) = self.tables.get(s) {
            (t[(x & self.mask) as usize] as f64 * self.inv[s]).min(1.0)
        } else {
            self.score(self.combined_of(s), x) / self.max_raw[s]
        }
    }

    /// Hand the lookup tables over to a copy of this landscape, which
    /// becomes their only holder (so its turbulence updates them in place).
    /// This landscape keeps its maxima and still evaluates, exactly but by
    /// direct scoring; turbulence on it walks the tables afresh.
    pub fn take_tables(&mut self) -> Landscape {
        let full = self.clone();
        self.tables = Vec::new();
        self.inv = Vec::new();
        full
    }

    /// [`Landscape::eval`] for one context, with the context's table looked
    /// up once (for loops over many practices of one context).
    #[inline]
    pub fn context(&self, ctx: usize) -> ContextEval<'_> {
        let slot = self.slot(ctx);
        ContextEval {
            table: self.tables.get(slot).map_or(&[][..], |t| &t[..]),
            inv: self.inv.get(slot).copied().unwrap_or(0.0),
            mask: self.mask,
            land: self,
            slot,
        }
    }

    /// Raw score `E_c(x)`.
    pub fn raw(&self, ctx: usize, x: u64) -> f64 {
        self.score(self.combined_of(self.slot(ctx)), x)
    }

    /// Shared-only raw score `E_S(x)`.
    pub fn raw_shared(&self, x: u64) -> f64 {
        self.score(&self.shared, x)
    }

    /// Maximum raw score of context `ctx` (exact or best found).
    pub fn max_raw(&self, ctx: usize) -> f64 {
        self.max_raw[self.slot(ctx)]
    }

    /// A practice achieving [`Landscape::max_raw`].
    pub fn argmax(&self, ctx: usize) -> u64 {
        self.argmax[self.slot(ctx)]
    }

    /// Whether the maxima are exact (`N <= 20`) rather than estimated.
    pub fn maxima_exact(&self) -> bool {
        self.exact
    }

    /// Mean of `e_c` over all practices: exact when tabled, otherwise an
    /// estimate from 10 000 practices drawn from a fixed internal stream (the
    /// same practices for every context), computed on first use.
    pub fn mean_e(&self, ctx: usize) -> f64 {
        let s = self.slot(ctx);
        match self.tables.get(s) {
            Some(_) if self.means[s].is_finite() => self.means[s],
            Some(t) => {
                let total: f64 = t.iter().map(|&v| v as f64).sum();
                total / (t.len() as f64 * self.n as f64 * self.max_raw[s])
            }
            None => self.mean.get_or_init(|| self.sample_means())[s],
        }
    }

    fn sample_means(&self) -> Vec<f64> {
        let mut rng = stream(MEAN_SEED, 0, 0, Purpose::Landscape, 0);
        let xs: Vec<u64> = (0..MEAN_SAMPLES)
            .map(|_| rng.random::<u64>() & self.mask)
            .collect();
        (0..self.distinct)
            .map(|s| {
                let t = self.combined_of(s);
                let sum: f64 = xs.iter().map(|&x| self.score(t, x)).sum();
                sum / (MEAN_SAMPLES as f64 * self.max_raw[s])
            })
            .collect()
    }

    /// What a central expert designs: the best (by `E_S`) of `effort`
    /// best-improvement hill climbs on the shared score, each from a uniformly
    /// random practice (one `u64` draw per climb, so a larger effort with the
    /// same stream repeats the smaller effort's climbs first). Ties keep the
    /// earlier climb. `effort == 0` returns one random practice unimproved.
    pub fn design_expert<R: Rng + ?Sized>(&self, effort: usize, rng: &mut R) -> u64 {
        if effort == 0 {
            return rng.random::<u64>() & self.mask;
        }
        let mut buf = [0u32; MAX_N];
        let idx = &mut buf[..self.n];
        let mut best = 0u64;
        let mut best_score = f64::NEG_INFINITY;
        for _ in 0..effort {
            let start = rng.random::<u64>() & self.mask;
            let x = self.climb(&self.shared, start, idx);
            let s = self.raw_shared(x);
            if s > best_score {
                best_score = s;
                best = x;
            }
        }
        best
    }

    /// Best-improvement steepest ascent on `e_ctx` from `start` (bits above
    /// `N` dropped): deterministic, ties to the lowest dimension; returns the
    /// local optimum reached.
    pub fn hill_climb_local(&self, ctx: usize, start: u64) -> u64 {
        let mut buf = [0u32; MAX_N];
        let idx = &mut buf[..self.n];
        self.climb(self.combined_of(self.slot(ctx)), start, idx)
    }

    /// Best-improvement single-flip hill climb on `table` (an `n * w` table).
    fn climb(&self, table: &[f64], start: u64, idx: &mut [u32]) -> u64 {
        let w = self.w;
        let mut x = start & self.mask;
        for (d, i) in idx.iter_mut().enumerate() {
            *i = self.index(x, d) as u32;
        }
        loop {
            let mut best_d = CLIMB_EPS;
            let mut best_m = usize::MAX;
            for m in 0..self.n {
                let list =
                    &self.touch[self.touch_start[m] as usize..self.touch_start[m + 1] as usize];
                let mut delta = 0.0;
                for t in list {
                    let base = t.dim as usize * w;
                    let old = idx[t.dim as usize];
                    delta += table[base + (old ^ t.bit) as usize] - table[base + old as usize];
                }
                if delta > best_d {
                    best_d = delta;
                    best_m = m;
                }
            }
            if best_m == usize::MAX {
                return x;
            }
            x ^= 1u64 << best_m;
            let list = &self.touch
                [self.touch_start[best_m] as usize..self.touch_start[best_m + 1] as usize];
            for t in list {
                idx[t.dim as usize] ^= t.bit;
            }
        }
    }

    /// Redraw each row of `S` (dimensions `0..N`), then each row of `L_0`,
    /// `L_1`, ..., independently with probability `p`: every row costs one
    /// uniform draw `u` (redrawn when `u < p`) followed, if redrawn, by its
    /// `2^(K+1)` new entries, so the stream consumed depends only on which
    /// rows change. The maxima, tables and means of the combined tables that
    /// use a changed row are then brought up to date, by updating their kept
    /// raw sums or by a fresh walk (see the module documentation); with
    /// `N > 20` the maxima are estimated afresh. Returns the number of rows
    /// redrawn.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1]`.
    pub fn turbulence<R: Rng + ?Sized>(&mut self, p: f64, rng: &mut R) -> usize {
        assert!(
            (0.0..=1.0).contains(&p),
            "turbulence probability must be in [0, 1] (got {p})"
        );
        let n = self.n;
        let w = self.w;
        let mut shared_rows = Vec::new();
        for (d, row) in self.shared.chunks_exact_mut(w).enumerate() {
            if rng.random::<f64>() < p {
                draw_row(row, rng);
                shared_rows.push(d);
            }
        }
        let mut local_rows = Vec::new();
        for (i, row) in self.local.chunks_exact_mut(w).enumerate() {
            if rng.random::<f64>() < p {
                draw_row(row, rng);
                local_rows.push((i / n, i % n));
            }
        }
        let changed = shared_rows.len() + local_rows.len();
        // The rows of each distinct combined table that a redraw touches.
        let mut rows = vec![shared_rows; self.distinct];
        if self.spec.context_weight > 0.0 {
            for &(c, d) in &local_rows {
                rows[if self.distinct == 1 { 0 } else { c }].push(d);
            }
        }
        if rows.iter().all(Vec::is_empty) {
            return changed;
        }
        if !self.exact || self.tables.is_empty() {
            self.rebuild();
            return changed;
        }
        self.epoch += 1;
        let blk = Arc::clone(&self.blk);
        for (s, dims) in rows.iter_mut().enumerate() {
            dims.sort_unstable();
            dims.dedup();
            if dims.is_empty() {
                continue;
            }
            let deltas = self.update_combined(s, dims);
            if dims.is_empty() {
                continue;
            }
            self.means[s] = if dims.len() > self.k + 2 || self.updates[s] + dims.len() > REWALK_ROWS
            {
                self.exact_table(s, &blk)
            } else {
                self.exact_update(s, &blk, dims, &deltas);
                f64::NAN
            };
        }
        changed
    }

    /// Recompute rows `dims` (ascending) of distinct combined table `s` from
    /// `S` and `L_s`. Returns the change of each row (`w` entries per row, in
    /// the order of `dims`) and drops from `dims` the rows that did not change.
    fn update_combined(&mut self, s: usize, dims: &mut Vec<usize>) -> Vec<f64> {
        let w = self.w;
        let base = s * self.n * w;
        let lam = self.spec.context_weight;
        let mut deltas = Vec::with_capacity(dims.len() * w);
        dims.retain(|&d| {
            let at = deltas.len();
            let row = base + d * w..base + (d + 1) * w;
            for ((c, &a), &b) in self.combined[row.clone()]
                .iter_mut()
                .zip(&self.shared[d * w..(d + 1) * w])
                .zip(&self.local[row])
            {
                let new = (1.0 - lam) * a + lam * b;
                deltas.push(new - *c);
                *c = new;
            }
            let moved = deltas[at..].iter().any(|&v| v != 0.0);
            if !moved {
                deltas.truncate(at);
            }
            moved
        });
        deltas
    }

    /// Estimated bytes used by a landscape with this spec (saturating; for
    /// up-front memory checks).
    pub fn memory_bytes(spec: &LandscapeSpec) -> usize {
        let n = spec.n;
        let k = spec.k;
        let c = spec.contexts;
        let w = 1usize.checked_shl((k + 1) as u32).unwrap_or(usize::MAX);
        let distinct = if spec.context_weight == 0.0 || c <= 1 {
            1
        } else {
            c
        };
        let rows_bytes = n.saturating_mul(w).saturating_mul(8);
        let f64_tables =
            rows_bytes.saturating_mul(1usize.saturating_add(c).saturating_add(distinct));
        let deps = n.saturating_mul(k).saturating_mul(4);
        let touch = n.saturating_mul(k + 1).saturating_mul(8) + (n + 1) * 4;
        // Per distinct table, the f32 lookup table (and, while turbulence
        // updates it, a fresh copy when a clone shares it), plus the low-bit
        // block of row indices.
        let lookup = if n <= MAX_TABLED_N {
            distinct.saturating_mul(1usize << n).saturating_mul(4 + 4)
                + n * (1usize << n.min(BLOCK_BITS)) * 4
        } else {
            0
        };
        std::mem::size_of::<Landscape>()
            .saturating_add(f64_tables)
            .saturating_add(deps)
            .saturating_add(touch)
            .saturating_add(lookup)
            .saturating_add(distinct.saturating_mul(24))
    }

    /// Recompute combined tables, maxima, lookup tables and means by full
    /// walks.
    fn rebuild(&mut self) {
        let rows = self.n * self.w;
        let lam = self.spec.context_weight;
        self.combined.clear();
        self.combined.reserve(self.distinct * rows);
        for s in 0..self.distinct {
            let loc = &self.local[s * rows..(s + 1) * rows];
            self.combined.extend(
                self.shared
                    .iter()
                    .zip(loc)
                    .map(|(&a, &b)| (1.0 - lam) * a + lam * b),
            );
        }
        self.max_raw = vec![0.0; self.distinct];
        self.argmax = vec![0; self.distinct];
        self.mean = OnceLock::new();
        self.epoch += 1;
        if self.exact {
            self.rebuild_tabled();
        } else {
            self.rebuild_estimated();
        }
    }

    fn rebuild_tabled(&mut self) {
        self.tables
            .resize_with(self.distinct, || Arc::from(Vec::new()));
        self.updates.clear();
        self.updates.resize(self.distinct, 0);
        self.inv.clear();
        self.inv.resize(self.distinct, 0.0);
        let blk = Arc::clone(&self.blk);
        self.means = (0..self.distinct)
            .map(|s| self.exact_table(s, &blk))
            .collect();
    }

    /// Score `candidates` of distinct table `s` directly: the best is the
    /// exact maximum (ties to the lowest practice).
    fn best_of(&self, s: usize, candidates: impl IntoIterator<Item = u64>) -> (f64, u64) {
        let t = self.combined_of(s);
        let mut best = f64::NEG_INFINITY;
        let mut arg = 0u64;
        for x in candidates {
            let v = self.score(t, x);
            if v > best || (v == best && x < arg) {
                best = v;
                arg = x;
            }
        }
        (best, arg)
    }

    /// Walk every state of distinct table `s`: its exact maximum, argmax and
    /// table of sums (written as `f32` straight into the table, reusing its
    /// buffer when no one shares it). Returns the table's mean e.
    fn exact_table(&mut self, s: usize, blk: &LowBlock) -> f64 {
        let len = 1usize << self.n;
        let b = 1usize << blk.l;
        let mut slot = std::mem::replace(&mut self.tables[s], Arc::from(Vec::new()));
        if !(slot.len() == len && Arc::get_mut(&mut slot).is_some()) {
            slot = std::iter::repeat_n(0.0f32, len).collect();
        }
        let buf = Arc::get_mut(&mut slot).expect("freshly allocated table is unique");
        let (candidates, total) = self.exact_walk(blk, self.combined_of(s), |x0, v| {
            for (o, &s) in buf[x0..x0 + b].iter_mut().zip(v) {
                *o = s as f32;
            }
        });
        let (best, arg) = self.best_of(s, candidates);
        self.max_raw[s] = best;
        self.argmax[s] = arg;
        self.inv[s] = unit_factor(buf[arg as usize]);
        self.tables[s] = slot;
        self.updates[s] = 0;
        total / (len as f64 * self.n as f64 * best)
    }

    /// Apply the changes `deltas` of rows `dims` (see
    /// [`Landscape::update_combined`]) to the stored sums of distinct table
    /// `s` without walking again, in one pass that also finds each block's
    /// best new sum (writing a fresh table when a clone shares it); the
    /// practices within the (drift-widened) tolerance of the best are then
    /// scored directly, which gives the exact maximum.
    ///
    /// A state is a block of `l` low bits below the high bits `h`; the change
    /// of a state depends on `h` only through the high bits that feed a
    /// changed row (the mask `f`), so the change of a whole block is
    /// tabulated once per value of `h & f` and then added to every block
    /// with that value in a contiguous loop.
    fn exact_update(&mut self, s: usize, blk: &LowBlock, dims: &[usize], deltas: &[f64]) {
        let n = self.n;
        let w = self.w;
        let l = blk.l;
        let b = 1usize << l;
        let blocks = 1usize << (n - l);
        let lo = &blk.lo;
        // feed[j * MAX_TABLED_N + t]: the bits of row dims[j]'s index set by
        // high bit t (practice bit l + t); f: the high bits feeding any row.
        let mut feed = vec![0u32; dims.len() * MAX_TABLED_N];
        let mut f = 0usize;
        for (j, &d) in dims.iter().enumerate() {
            let fj = &mut feed[j * MAX_TABLED_N..(j + 1) * MAX_TABLED_N];
            if d >= l {
                fj[d - l] |= 1;
                f |= 1 << (d - l);
            }
            for (i, &m) in self.dependencies(d).iter().enumerate() {
                if m as usize >= l {
                    fj[m as usize - l] |= 1 << (i + 1);
                    f |= 1 << (m as usize - l);
                }
            }
        }
        // The change of the block with high bits h, for all 2^l low states.
        let mut diff = [0.0f64; DIFF_LEN];
        let mut tabulate = |comb: &mut [f64], h: usize| {
            for (j, &d) in dims.iter().enumerate() {
                let mut off = 0usize;
                let mut bits = h & f;
                while bits != 0 {
                    off |= feed[j * MAX_TABLED_N + bits.trailing_zeros() as usize] as usize;
                    bits &= bits - 1;
                }
                let row = &deltas[j * w..(j + 1) * w];
                let lod = &lo[d * b..(d + 1) * b];
                // hi and lo occupy disjoint bits, so hi | lo = hi + lo.
                if w <= DIFF_LEN {
                    let last = blk.lo_max[d] as usize;
                    diff[..=last].copy_from_slice(&row[off..=off + last]);
                    let at = |i: u32| diff[i as usize & (DIFF_LEN - 1)];
                    if j == 0 {
                        for (c, &i) in comb.iter_mut().zip(lod) {
                            *c = at(i);
                        }
                    } else {
                        for (c, &i) in comb.iter_mut().zip(lod) {
                            *c += at(i);
                        }
                    }
                } else if j == 0 {
                    for (c, &i) in comb.iter_mut().zip(lod) {
                        *c = row[off + i as usize];
                    }
                } else {
                    for (c, &i) in comb.iter_mut().zip(lod) {
                        *c += row[off + i as usize];
                    }
                }
            }
        };
        // Keep every distinct block change when there are fewer than blocks
        // and they fit in COMB_CACHE entries; otherwise tabulate each block's
        // change afresh.
        let groups = 1usize << f.count_ones();
        let cache = groups < blocks && groups * b <= COMB_CACHE;
        let mut cs = BlockChanges {
            comb: vec![0.0f64; b],
            combs: vec![0.0f32; if cache { groups * b } else { b }],
            group_of: vec![u32::MAX; if cache { blocks } else { 0 }],
            next: 0,
            cache,
            b,
            f,
        };
        // One pass: add each block's changes to its stored sums (into a
        // fresh buffer when a clone shares the table), keeping the total and
        // each block's best sum.
        self.updates[s] += dims.len();
        let mut block_max = vec![f32::NEG_INFINITY; blocks];
        let mut slot = std::mem::replace(&mut self.tables[s], Arc::from(Vec::new()));
        if let Some(buf) = Arc::get_mut(&mut slot) {
            for (h, bm) in block_max.iter_mut().enumerate() {
                let x0 = h << l;
                let comb = cs.get(h, &mut tabulate);
                *bm = add_max(&mut buf[x0..x0 + b], comb);
            }
        } else {
            let mut fresh: Vec<f32> = slot.to_vec();
            for (h, bm) in block_max.iter_mut().enumerate() {
                let x0 = h << l;
                let comb = cs.get(h, &mut tabulate);
                *bm = add_max(&mut fresh[x0..x0 + b], comb);
            }
            slot = Arc::from(fresh);
        }
        // A stored sum is within F32_ERR * (N + 1) of its exact value after
        // the walk, and each row update adds at most F32_ERR * (2N + K + 3)
        // (the change, below K + 3 rows in magnitude, rounded to f32, and the
        // rounding of the new sum, below N); a maximiser's stored sum is
        // therefore within twice the bound of the best stored one.
        let err = (self.updates[s] + 1) as f64 * F32_ERR * (2 * n + self.k + 3) as f64;
        let top = block_max.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) as f64;
        let cut = top - 2.0 * err - GRAY_TOL;
        let t = self.combined_of(s);
        let mut best = f64::NEG_INFINITY;
        let mut arg = 0u64;
        for h in (0..blocks).filter(|&h| block_max[h] as f64 > cut) {
            let x0 = h << l;
            for (i, &v) in slot[x0..x0 + b].iter().enumerate() {
                if v as f64 > cut {
                    let x = (x0 | i) as u64;
                    let v = self.score(t, x);
                    if v > best || (v == best && x < arg) {
                        best = v;
                        arg = x;
                    }
                }
            }
        }
        self.max_raw[s] = best;
        self.argmax[s] = arg;
        self.inv[s] = unit_factor(slot[arg as usize]);
        self.tables[s] = slot;
    }

    fn rebuild_estimated(&mut self) {
        self.tables.clear();
        let mut rng: StreamRng = stream(
            self.search_seed,
            self.epoch,
            0,
            Purpose::Landscape,
            u64::MAX,
        );
        let starts: Vec<u64> = (0..ESTIMATE_STARTS)
            .map(|_| rng.random::<u64>() & self.mask)
            .collect();
        let mut buf = [0u32; MAX_N];
        let idx = &mut buf[..self.n];
        for s in 0..self.distinct {
            let t = self.combined_of(s);
            let mut best = f64::NEG_INFINITY;
            let mut arg = 0u64;
            for &x0 in &starts {
                let x = self.climb(t, x0, idx);
                let v = self.score(t, x);
                if v > best {
                    best = v;
                    arg = x;
                }
            }
            self.max_raw[s] = best;
            self.argmax[s] = arg;
        }
    }
}

/// Add to each sum `v[s]` the tabulated changes `diffs[j * DIFF_LEN +
/// lods[j][s]]` of the dimensions `j = 0, 1, ...`, one after the other.
#[inline]
fn apply_changes(v: &mut [f64], diffs: &[f64], lods: &[&[u32]]) {
    const M: usize = DIFF_LEN - 1;
    let d = |j: usize| &diffs[j * DIFF_LEN..(j + 1) * DIFF_LEN];
    match lods {
        [] => {}
        [a] => {
            let da = d(0);
            for (s, &i) in v.iter_mut().zip(*a) {
                *s += da[i as usize & M];
            }
        }
        [a, b] => {
            let (da, db) = (d(0), d(1));
            for ((s, &i), &j) in v.iter_mut().zip(*a).zip(*b) {
                *s = *s + da[i as usize & M] + db[j as usize & M];
            }
        }
        [a, b, c] => {
            let (da, db, dc) = (d(0), d(1), d(2));
            for (((s, &i), &j), &k) in v.iter_mut().zip(*a).zip(*b).zip(*c) {
                *s = *s + da[i as usize & M] + db[j as usize & M] + dc[k as usize & M];
            }
        }
        [a, b, c, e] => {
            let (da, db, dc, de) = (d(0), d(1), d(2), d(3));
            for ((((s, &i), &j), &k), &l) in v.iter_mut().zip(*a).zip(*b).zip(*c).zip(*e) {
                *s = *s
                    + da[i as usize & M]
                    + db[j as usize & M]
                    + dc[k as usize & M]
                    + de[l as usize & M];
            }
        }
        _ => unreachable!("at most FUSE dimensions are fused"),
    }
}

/// Sum and maximum of `v` (four independent lanes, so the loop pipelines).
#[inline]
fn sum_max(v: &[f64]) -> (f64, f64) {
    let mut s = [0.0f64; 4];
    let mut m = [f64::NEG_INFINITY; 4];
    let chunks = v.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..4 {
            s[j] += c[j];
            m[j] = if c[j] > m[j] { c[j] } else { m[j] };
        }
    }
    let mut sum = (s[0] + s[1]) + (s[2] + s[3]);
    let mut max = m[0].max(m[1]).max(m[2].max(m[3]));
    for &x in rest {
        sum += x;
        max = max.max(x);
    }
    (sum, max)
}

/// The changes of the blocks of an update: tabulated once per value of the
/// feeding high bits when they fit (`cache`), else afresh for each block.
struct BlockChanges {
    /// Scratch of one block's change, summed over rows in `f64`.
    comb: Vec<f64>,
    /// The changes, rounded once to `f32`.
    combs: Vec<f32>,
    group_of: Vec<u32>,
    next: u32,
    cache: bool,
    b: usize,
    f: usize,
}

impl BlockChanges {
    /// The change of every state of the block with high bits `h`.
    fn get(&mut self, h: usize, tabulate: &mut impl FnMut(&mut [f64], usize)) -> &[f32] {
        let b = self.b;
        let mut fill = |combs: &mut [f32]| {
            tabulate(&mut self.comb, h);
            for (o, &c) in combs.iter_mut().zip(&self.comb) {
                *o = c as f32;
            }
        };
        if !self.cache {
            fill(&mut self.combs[..b]);
            return &self.combs[..b];
        }
        let g = &mut self.group_of[h & self.f];
        if *g == u32::MAX {
            *g = self.next;
            self.next += 1;
            let at = *g as usize * b;
            fill(&mut self.combs[at..at + b]);
        }
        let at = self.group_of[h & self.f] as usize * b;
        &self.combs[at..at + b]
    }
}

/// Add the changes `c` to the stored sums `v`; the maximum of the new sums
/// (eight independent lanes, so the loop vectorises).
#[inline]
fn add_max(v: &mut [f32], c: &[f32]) -> f32 {
    let mut m = [f32::NEG_INFINITY; 8];
    let mut vs = v.chunks_exact_mut(8);
    let mut cs = c.chunks_exact(8);
    for (v, c) in (&mut vs).zip(&mut cs) {
        for j in 0..8 {
            let x = v[j] + c[j];
            v[j] = x;
            m[j] = if x > m[j] { x } else { m[j] };
        }
    }
    let mut max = m.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    for (v, &c) in vs.into_remainder().iter_mut().zip(cs.remainder()) {
        *v += c;
        max = max.max(*v);
    }
    max
}

/// The factor that turns a stored sum into e, given the stored sum of the
/// argmax: its reciprocal, nudged up if need be so that the argmax's e is
/// exactly 1 (e is capped at 1).
fn unit_factor(top: f32) -> f64 {
    let top = top as f64;
    let mut inv = 1.0 / top;
    while top * inv < 1.0 {
        inv = inv.next_up();
    }
    inv
}

/// Scratch shared by the exact walks of one rebuild: the practices are split
/// into a low block of `l` bits and `n - l` high bits, and `lo[d * 2^l + b]`
/// is the part of dimension `d`'s row index fed by the low bits `b`.
#[derive(Default)]
struct LowBlock {
    l: usize,
    lo: Vec<u32>,
    /// Per dimension, the union of the row-index bits fed by low bits.
    lo_max: Vec<u32>,
}

impl Landscape {
    fn low_block(&self) -> LowBlock {
        let n = self.n;
        let l = n.min(BLOCK_BITS);
        let b = 1usize << l;
        // feed[d * l + s]: the bits of d's row index set by low bit s.
        let mut feed = vec![0u32; n * l];
        for d in 0..n {
            if d < l {
                feed[d * l + d] |= 1;
            }
            for (j, &m) in self.dependencies(d).iter().enumerate() {
                if (m as usize) < l {
                    feed[d * l + m as usize] |= 1 << (j + 1);
                }
            }
        }
        let mut lo = vec![0u32; n * b];
        for (d, row) in lo.chunks_exact_mut(b).enumerate() {
            for x in 1..b {
                row[x] = row[x & (x - 1)] | feed[d * l + x.trailing_zeros() as usize];
            }
        }
        let lo_max = (0..n).map(|d| lo[(d + 1) * b - 1]).collect();
        LowBlock { l, lo, lo_max }
    }

    /// Exact enumeration of all `2^n` practices on the combined table `t`: a
    /// Gray-code walk over the high `n - l` bits, each step updating, for all
    /// `2^l` low-bit states at once, only the contributions of the dimensions
    /// touched by the flipped bit. Hands each block of `2^l` practices' sums
    /// of contributions (not yet divided by `n`) to `store`, with the first
    /// practice of the block, and returns the practices whose
    /// sum came within [`GRAY_TOL`] of the best sum (a superset of the
    /// maximisers) and the total of all sums. The block of sums is recomputed
    /// from scratch every `RESYNC_BLOCKS + 1` steps, so rounding drift stays
    /// far below the tolerance.
    fn exact_walk(
        &self,
        blk: &LowBlock,
        t: &[f64],
        mut store: impl FnMut(usize, &[f64]),
    ) -> (Vec<u64>, f64) {
        let n = self.n;
        let w = self.w;
        let l = blk.l;
        let b = 1usize << l;
        let lo = &blk.lo;
        // hi[d]: the part of d's row index fed by the current high bits.
        let mut hi = vec![0u32; n];
        let mut v = vec![0.0f64; b];
        let mut diffs = vec![0.0f64; FUSE * DIFF_LEN];
        let mut lods: [&[u32]; FUSE] = [&[]; FUSE];
        let fill = |v: &mut [f64], hi: &[u32]| {
            v.fill(0.0);
            for d in 0..n {
                let row = &t[d * w + hi[d] as usize..(d + 1) * w];
                for (s, &i) in v.iter_mut().zip(&lo[d * b..(d + 1) * b]) {
                    *s += row[i as usize];
                }
            }
        };
        fill(&mut v, &hi);
        let mut best = f64::NEG_INFINITY;
        let mut total = 0.0;
        let mut near: Vec<(u64, f64)> = Vec::new();
        let mut h = 0usize;
        for g in 0..(1usize << (n - l)) {
            if g > 0 {
                let bit = g.trailing_zeros() as usize;
                h ^= 1 << bit;
                let resync = g & RESYNC_BLOCKS == 0;
                let m = l + bit;
                let list =
                    &self.touch[self.touch_start[m] as usize..self.touch_start[m + 1] as usize];
                // Up to FUSE touched dimensions are applied in one pass over
                // the block; each sum still takes their changes one by one,
                // in list order, so the result is that of one pass each.
                for chunk in list.chunks(FUSE) {
                    let mut k = 0;
                    for e in chunk {
                        let d = e.dim as usize;
                        let old = hi[d];
                        let new = old ^ e.bit;
                        hi[d] = new;
                        if resync {
                            continue;
                        }
                        // hi and lo occupy disjoint bits, so hi | lo = hi + lo.
                        let row_old = &t[d * w + old as usize..(d + 1) * w];
                        let row_new = &t[d * w + new as usize..(d + 1) * w];
                        let lod = &lo[d * b..(d + 1) * b];
                        if w <= DIFF_LEN {
                            // Tabulate the change for every low part.
                            let top = blk.lo_max[d] as usize;
                            let dk = &mut diffs[k * DIFF_LEN..k * DIFF_LEN + top + 1];
                            for (j, c) in dk.iter_mut().enumerate() {
                                *c = row_new[j] - row_old[j];
                            }
                            lods[k] = lod;
                            k += 1;
                        } else {
                            for (s, &i) in v.iter_mut().zip(lod) {
                                *s += row_new[i as usize] - row_old[i as usize];
                            }
                        }
                    }
                    apply_changes(&mut v, &diffs, &lods[..k]);
                }
                if resync {
                    fill(&mut v, &hi);
                }
            }
            let x0 = h << l;
            store(x0, &v);
            let (sum, max) = sum_max(&v);
            total += sum;
            if max > best - GRAY_TOL {
                best = best.max(max);
                let cut = best - GRAY_TOL;
                for (i, &s) in v.iter().enumerate() {
                    if s > cut {
                        near.push(((x0 | i) as u64, s));
                    }
                }
                if near.len() >= 4096 {
                    near.retain(|&(_, s)| s > cut);
                }
            }
        }
        let cut = best - GRAY_TOL;
        let candidates = near
            .into_iter()
            .filter(|&(_, s)| s > cut)
            .map(|(x, _)| x)
            .collect();
        (candidates, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    fn spec(n: usize, k: usize, contexts: usize, lambda: f64) -> LandscapeSpec {
        LandscapeSpec {
            n,
            k,
            contexts,
            context_weight: lambda,
        }
    }

    fn gen_(s: &LandscapeSpec, seed: u64) -> Landscape {
        let mut rng = stream(seed, 0, 0, Purpose::Landscape, 0);
        Landscape::generate(s, &mut rng).unwrap()
    }

    #[test]
    fn rejects_invalid_specs() {
        let cases = [
            (spec(0, 0, 1, 0.0), "n"),
            (spec(65, 2, 1, 0.0), "n"),
            (spec(5, 5, 1, 0.0), "k"),
            (spec(40, 31, 1, 0.0), "k"),
            (spec(5, 2, 0, 0.0), "contexts"),
            (spec(5, 2, 1, 1.5), "context_weight"),
            (spec(5, 2, 1, f64::NAN), "context_weight"),
        ];
        for (s, key) in cases {
            let mut rng = stream(1, 0, 0, Purpose::Landscape, 0);
            let e = Landscape::generate(&s, &mut rng).unwrap_err();
            assert!(e.to_string().starts_with(key), "{e}");
        }
        assert!(spec(64, 63, 1, 0.0).validate().is_err());
        assert!(spec(64, 30, 1, 0.0).validate().is_ok());
    }

    #[test]
    fn dependencies_are_distinct_and_exclude_self() {
        let l = gen_(&spec(12, 5, 1, 0.0), 3);
        for d in 0..12 {
            let deps = l.dependencies(d);
            assert_eq!(deps.len(), 5);
            assert!(deps.windows(2).all(|p| p[0] < p[1]));
            assert!(deps.iter().all(|&m| m as usize != d && (m as usize) < 12));
        }
    }

    #[test]
    fn gray_max_equals_brute_force() {
        let mut seed = 0;
        for n in 8..=12 {
            for k in 0..=4 {
                for (c, lambda) in [(1, 0.0), (2, 0.4), (3, 1.0), (3, 0.0)] {
                    seed += 1;
                    let l = gen_(&spec(n, k, c, lambda), seed);
                    assert!(l.maxima_exact() && l.tabled());
                    for ctx in 0..c {
                        let mut brute = f64::NEG_INFINITY;
                        let mut sum_e = 0.0;
                        for x in 0..(1u64 << n) {
                            brute = brute.max(l.raw(ctx, x));
                        }
                        for x in 0..(1u64 << n) {
                            let e = l.eval(ctx, x);
                            assert!(e > 0.0 && e <= 1.0, "entry {e}");
                            sum_e += l.raw(ctx, x) / brute;
                        }
                        assert_eq!(l.max_raw(ctx), brute, "n={n} k={k} c={c} l={lambda}");
                        assert_eq!(l.raw(ctx, l.argmax(ctx)), l.max_raw(ctx));
                        assert!((l.eval(ctx, l.argmax(ctx)) - 1.0).abs() < 1e-9);
                        let mean = sum_e / (1u64 << n) as f64;
                        assert!((l.mean_e(ctx) - mean).abs() < 1e-9);
                    }
                }
            }
        }
    }

    /// Larger N exercises many high-bit steps and the periodic resync; K >= 10
    /// exercises rows too long for the tabulated difference.
    #[test]
    fn exact_walk_long_and_wide_rows() {
        for (i, s) in [
            spec(19, 3, 2, 0.5),
            spec(14, 10, 2, 0.7),
            spec(18, 12, 1, 0.0),
        ]
        .into_iter()
        .enumerate()
        {
            let l = gen_(&s, 900 + i as u64);
            for ctx in 0..s.contexts {
                let mut brute = f64::NEG_INFINITY;
                for x in 0..(1u64 << s.n) {
                    brute = brute.max(l.raw(ctx, x));
                }
                assert_eq!(l.max_raw(ctx), brute, "{s:?}");
                let mut sum = 0.0;
                for x in 0..(1u64 << s.n) {
                    let direct = l.raw(ctx, x) / brute;
                    let e = l.eval(ctx, x);
                    assert!((e - direct).abs() < 1e-6, "{s:?} x={x}: {e} vs {direct}");
                    assert!(e > 0.0 && e <= 1.0);
                    sum += direct;
                }
                let mean = sum / (1u64 << s.n) as f64;
                assert!((l.mean_e(ctx) - mean).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn lookup_matches_direct() {
        let l = gen_(&spec(16, 3, 4, 0.5), 11);
        let mut rng = stream(11, 0, 1, Purpose::Validation, 0);
        for _ in 0..20_000 {
            let x: u64 = rng.random();
            let ctx = rng.random_range(0..4);
            let direct = l.raw(ctx, x) / l.max_raw(ctx);
            assert!((l.eval(ctx, x) - direct).abs() < 1e-6);
            // Bits above N are ignored.
            assert_eq!(l.eval(ctx, x), l.eval(ctx, x & l.mask()));
        }
    }

    #[test]
    fn k_zero_has_single_optimum() {
        for seed in 0..5 {
            let n = 10;
            let l = gen_(&spec(n, 0, 1, 0.0), 100 + seed);
            // With K = 0, row d has two entries: bit d = 0 and bit d = 1.
            let mut best = 0u64;
            for d in 0..n {
                let t = l.combined_of(0);
                if t[d * 2 + 1] > t[d * 2] {
                    best |= 1 << d;
                }
            }
            assert_eq!(l.argmax(0), best);
            for x in 0..(1u64 << n) {
                assert_eq!(l.hill_climb_local(0, x), best);
            }
        }
    }

    #[test]
    fn climb_reaches_local_optimum() {
        let l = gen_(&spec(14, 4, 2, 0.3), 5);
        let mut rng = stream(5, 0, 1, Purpose::Validation, 0);
        for _ in 0..200 {
            let x0 = rng.random::<u64>();
            for ctx in 0..2 {
                let x = l.hill_climb_local(ctx, x0);
                let e = l.raw(ctx, x);
                assert!(e >= l.raw(ctx, x0 & l.mask()));
                for m in 0..14 {
                    assert!(l.raw(ctx, x ^ (1 << m)) <= e + 1e-12);
                }
            }
        }
    }

    #[test]
    fn lambda_zero_identical_lambda_one_differs() {
        let l0 = gen_(&spec(10, 3, 3, 0.0), 21);
        let l1 = gen_(&spec(10, 3, 3, 1.0), 21);
        let mut differs = false;
        for x in 0..(1u64 << 10) {
            assert_eq!(l0.eval(0, x), l0.eval(1, x));
            assert_eq!(l0.eval(0, x), l0.eval(2, x));
            assert_eq!(l0.raw(2, x), l0.raw_shared(x));
            if (l1.eval(0, x) - l1.eval(1, x)).abs() > 1e-3 {
                differs = true;
            }
        }
        assert!(differs);
        assert_ne!(l1.max_raw(0), l1.max_raw(1));
    }

    #[test]
    fn turbulence_and_determinism() {
        let s = spec(12, 3, 2, 0.4);
        let a = gen_(&s, 7);
        let b = gen_(&s, 7);
        let all = |l: &Landscape| -> Vec<f64> {
            (0..2)
                .flat_map(|c| (0..(1u64 << 12)).map(move |x| (c, x)))
                .map(|(c, x)| l.eval(c, x))
                .collect()
        };
        assert_eq!(all(&a), all(&b));
        assert_eq!(a.argmax(1), b.argmax(1));
        assert_eq!(a.max_raw(1), b.max_raw(1));
        let c = gen_(&s, 8);
        assert_ne!(all(&a), all(&c));

        let mut t = a.clone();
        let mut rng = stream(7, 0, 0, Purpose::Turbulence, 0);
        assert_eq!(t.turbulence(0.0, &mut rng), 0);
        assert_eq!(all(&t), all(&a));
        let mut rng = stream(7, 0, 0, Purpose::Turbulence, 1);
        assert_eq!(t.turbulence(1.0, &mut rng), 12 * 3);
        let after = all(&t);
        assert_ne!(after, all(&a));
        assert!(after.iter().all(|&e| e > 0.0 && e <= 1.0));
        // The clone shares nothing mutable with the original.
        assert_eq!(all(&a), all(&b));

        // Turbulence is deterministic for the same stream.
        let mut u = a.clone();
        let mut v = a.clone();
        let nu = u.turbulence(0.3, &mut stream(9, 0, 0, Purpose::Turbulence, 2));
        let nv = v.turbulence(0.3, &mut stream(9, 0, 0, Purpose::Turbulence, 2));
        assert_eq!(nu, nv);
        assert!(nu > 0);
        assert_eq!(all(&u), all(&v));
        for ctx in 0..2 {
            let brute = (0..(1u64 << 12))
                .map(|x| u.raw(ctx, x))
                .fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(u.max_raw(ctx), brute);
        }
    }

    #[test]
    fn design_effort_helps() {
        let s = spec(16, 4, 1, 0.0);
        let mut low = 0.0;
        let mut high = 0.0;
        let reps = 20;
        for seed in 0..reps {
            let l = gen_(&s, 500 + seed);
            let x1 = l.design_expert(1, &mut stream(seed, 0, 0, Purpose::Design, 0));
            let x50 = l.design_expert(50, &mut stream(seed, 0, 0, Purpose::Design, 0));
            let (s1, s50) = (l.raw_shared(x1), l.raw_shared(x50));
            assert!(s50 >= s1);
            low += s1;
            high += s50;
        }
        assert!(high > low, "effort 50 mean {high} vs effort 1 mean {low}");
    }

    #[test]
    fn large_n_estimates_maximum() {
        let s = spec(24, 4, 2, 0.5);
        let l = gen_(&s, 42);
        assert!(!l.maxima_exact() && !l.tabled());
        let mut rng = stream(42, 0, 1, Purpose::Validation, 0);
        for _ in 0..5_000 {
            let x: u64 = rng.random();
            for ctx in 0..2 {
                let e = l.eval(ctx, x);
                assert!(e > 0.0 && e <= 1.0 + 1e-9, "e = {e}");
            }
        }
        for ctx in 0..2 {
            assert_eq!(l.raw(ctx, l.argmax(ctx)), l.max_raw(ctx));
            assert_eq!(l.eval(ctx, l.argmax(ctx)), 1.0);
            let m = l.mean_e(ctx);
            assert!(m > 0.3 && m < 1.0, "mean {m}");
        }
        let b = gen_(&s, 42);
        assert_eq!(l.argmax(1), b.argmax(1));
        let x = l.design_expert(10, &mut stream(1, 0, 0, Purpose::Design, 0));
        assert_eq!(x & !l.mask(), 0);
        let n64 = gen_(&spec(64, 2, 1, 0.0), 3);
        assert_eq!(n64.mask(), u64::MAX);
        assert!(n64.eval(0, n64.argmax(0)) == 1.0);
    }

    #[test]
    fn memory_estimate_is_sane() {
        let m = Landscape::memory_bytes(&spec(16, 3, 4, 0.5));
        assert!(m > 4 * (1 << 16) * 8 && m < 4 * (1 << 16) * 8 + 200_000);
        let one = Landscape::memory_bytes(&spec(20, 5, 1, 0.0));
        assert!(one >= (1 << 20) * 8);
        assert!(Landscape::memory_bytes(&spec(64, 63, 1, 0.0)) == usize::MAX);
    }

    #[test]
    fn landscape_is_send_sync_clone_debug() {
        fn check<T: Clone + Send + Sync + fmt::Debug>() {}
        check::<Landscape>();
        let l = gen_(&spec(6, 1, 1, 0.0), 1);
        assert!(format!("{l:?}").contains("Landscape"));
    }

    /// Compare `l` with a full rebuild of a clone: maxima and argmax exactly,
    /// the lookup table within `1e-5`, the mean within `1e-6`; and the
    /// maxima with brute force. Rebuilding the clone must leave `l` alone.
    fn assert_matches_full_rebuild(l: &Landscape, what: &str) {
        let before = tables_of(l);
        let mut full = l.clone();
        full.rebuild();
        assert!(
            tables_of(l) == before,
            "{what}: rebuilding a clone changed the original"
        );
        for c in 0..l.contexts() {
            assert_eq!(l.max_raw(c), full.max_raw(c), "{what} ctx {c}");
            assert_eq!(l.argmax(c), full.argmax(c), "{what} ctx {c}");
            let brute = (0..(1u64 << l.n()))
                .map(|x| l.raw(c, x))
                .fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(l.max_raw(c), brute, "{what} ctx {c}");
            assert_eq!(l.raw(c, l.argmax(c)), l.max_raw(c), "{what} ctx {c}");
            assert_eq!(l.eval(c, l.argmax(c)), 1.0, "{what} ctx {c}");
            for x in 0..(1u64 << l.n()) {
                let (a, b) = (l.eval(c, x), full.eval(c, x));
                assert!((a - b).abs() < 1e-5, "{what} ctx {c} x {x}: {a} vs {b}");
                assert!(a > 0.0 && a <= 1.0, "{what} ctx {c} x {x}: {a}");
            }
            let (a, b) = (l.mean_e(c), full.mean_e(c));
            assert!((a - b).abs() < 1e-6, "{what} ctx {c}: mean {a} vs {b}");
        }
    }

    /// Everything a turbulence updates, bit for bit.
    fn tables_of(l: &Landscape) -> Vec<u64> {
        let mut v: Vec<u64> = l
            .tables
            .iter()
            .flat_map(|t| t.iter().map(|e| e.to_bits() as u64))
            .collect();
        v.extend(l.max_raw.iter().map(|m| m.to_bits()));
        v.extend(l.argmax.iter().copied());
        v.extend(l.combined.iter().map(|e| e.to_bits()));
        v.extend((0..l.contexts()).map(|c| l.mean_e(c).to_bits()));
        v
    }

    #[test]
    fn partial_rebuild_after_turbulence_equals_a_full_rebuild() {
        // Local rows of one context change far more often than shared rows
        // at low turbulence, which takes the incremental path.
        for seed in 0..6 {
            let mut l = gen_(&spec(10, 2, 4, 0.5), seed);
            for year in 0..8 {
                l.turbulence(0.03, &mut stream(9, seed, 0, Purpose::Turbulence, year));
                assert_matches_full_rebuild(&l, &format!("seed {seed} year {year}"));
            }
        }
    }

    #[test]
    fn incremental_turbulence_stays_exact_over_many_years() {
        let mut seed = 0;
        let mut updated = 0;
        for n in 10..=12 {
            for k in 2..=4 {
                for (c, lambda) in [(1, 0.0), (1, 0.5), (4, 0.0), (4, 0.5)] {
                    for p in [0.01, 0.05, 0.3] {
                        seed += 1;
                        let mut l = gen_(&spec(n, k, c, lambda), seed);
                        for year in 0..60 {
                            let before = l.updates.clone();
                            l.turbulence(p, &mut stream(seed, 0, 0, Purpose::Turbulence, year));
                            updated += l.updates.iter().zip(&before).filter(|(a, b)| a > b).count();
                            if year % 6 == 5 || p == 0.3 {
                                let what =
                                    format!("n {n} k {k} c {c} l {lambda} p {p} year {year}");
                                assert_matches_full_rebuild(&l, &what);
                            }
                        }
                    }
                }
            }
        }
        // The incremental update (not only the fallback walk) was exercised.
        assert!(updated > 1000, "{updated} incremental updates");
    }

    /// Rows too long for the tabulated difference (K >= 10), and N = 10
    /// (one block of low bits, no high bits).
    #[test]
    fn incremental_turbulence_with_wide_rows_and_one_block() {
        for (i, s) in [
            spec(14, 10, 2, 0.5),
            spec(10, 9, 1, 0.0),
            spec(10, 3, 3, 0.6),
        ]
        .into_iter()
        .enumerate()
        {
            let mut l = gen_(&s, 80 + i as u64);
            let mut updated = 0;
            for year in 0..40 {
                let before = l.updates.clone();
                l.turbulence(
                    0.03,
                    &mut stream(80, i as u64, 0, Purpose::Turbulence, year),
                );
                updated += l.updates.iter().zip(&before).filter(|(a, b)| a > b).count();
                if year % 4 == 3 {
                    assert_matches_full_rebuild(&l, &format!("{s:?} year {year}"));
                }
            }
            assert!(updated > 5, "{s:?}: {updated} updates");
        }
    }

    /// Thousands of years of updates: the tolerance widens with the updates
    /// since the last walk, and a table is walked afresh after REWALK_ROWS.
    #[test]
    fn long_runs_of_updates_stay_exact_and_rewalk() {
        for (i, (n, k, c, lambda)) in [(12, 3, 2, 0.5), (11, 2, 1, 0.3)].into_iter().enumerate() {
            let mut l = gen_(&spec(n, k, c, lambda), 70 + i as u64);
            let mut most = 0;
            let mut rewalked = false;
            for year in 0..3000 {
                let before = l.updates.clone();
                l.turbulence(
                    0.02,
                    &mut stream(70, i as u64, 0, Purpose::Turbulence, year),
                );
                for (a, b) in l.updates.iter().zip(&before) {
                    assert!(*a <= REWALK_ROWS);
                    most = most.max(*a);
                    rewalked |= a < b;
                }
                if year % 500 == 499 {
                    assert_matches_full_rebuild(&l, &format!("n {n} year {year}"));
                }
            }
            assert!(
                most > REWALK_ROWS / 2 && rewalked,
                "most {most}, rewalked {rewalked}"
            );
        }
    }

    #[test]
    fn one_table_is_shared_when_lambda_is_zero_or_one_context() {
        for (c, lambda) in [(4, 0.0), (1, 0.0), (1, 0.7)] {
            let mut l = gen_(&spec(11, 3, c, lambda), 31);
            assert_eq!(l.distinct, 1);
            for year in 0..40 {
                l.turbulence(0.04, &mut stream(31, 0, 0, Purpose::Turbulence, year));
                for ctx in 1..c {
                    assert_eq!(l.argmax(ctx), l.argmax(0));
                    assert_eq!(l.max_raw(ctx), l.max_raw(0));
                    for x in 0..(1u64 << 11) {
                        assert_eq!(l.eval(ctx, x).to_bits(), l.eval(0, x).to_bits());
                    }
                }
                if lambda == 0.0 {
                    for x in (0..(1u64 << 11)).step_by(7) {
                        assert_eq!(l.raw(0, x), l.raw_shared(x));
                    }
                }
                if year % 5 == 4 {
                    assert_matches_full_rebuild(&l, &format!("c {c} l {lambda} year {year}"));
                }
            }
        }
        // With lambda = 0 a year in which only local rows change leaves the
        // table alone.
        let mut l = gen_(&spec(10, 2, 4, 0.0), 32);
        let mut quiet = 0;
        for year in 0..200 {
            let before = tables_of(&l);
            let shared_before = l.shared.clone();
            let changed = l.turbulence(0.01, &mut stream(32, 0, 0, Purpose::Turbulence, year));
            if changed > 0 && l.shared == shared_before {
                quiet += 1;
                assert!(tables_of(&l) == before, "year {year}");
            }
        }
        assert!(quiet > 0);
    }

    #[test]
    fn turbulence_is_deterministic_and_clones_are_independent() {
        for (n, c, lambda) in [(12, 4, 0.5), (10, 1, 0.0), (16, 3, 0.4)] {
            let s = spec(n, 3, c, lambda);
            let original = gen_(&s, 40);
            let snapshot = tables_of(&original);
            // Turbulence on a clone (shared buffers, written afresh) leaves
            // the original alone, year after year.
            let mut a = original.clone();
            // `b` keeps its buffers to itself (updated in place); `c` keeps
            // a clone of every year alive, as a run's schedule does.
            let mut b = gen_(&s, 40);
            let mut c = original.clone();
            let mut kept = Vec::new();
            for year in 0..25 {
                let r = || stream(41, 0, 0, Purpose::Turbulence, year);
                let na = a.turbulence(0.05, &mut r());
                assert_eq!(b.turbulence(0.05, &mut r()), na);
                assert_eq!(c.turbulence(0.05, &mut r()), na);
                kept.push(c.clone());
                assert!(tables_of(&original) == snapshot, "n {n} year {year}");
                let ta = tables_of(&a);
                assert!(tables_of(&b) == ta, "n {n} year {year}: in place vs fresh");
                assert!(tables_of(&c) == ta, "n {n} year {year}");
            }
            // Earlier years' clones still hold their own years.
            let mut again = original.clone();
            for (year, k) in kept.iter().enumerate() {
                again.turbulence(
                    0.05,
                    &mut stream(41, 0, 0, Purpose::Turbulence, year as u64),
                );
                assert!(tables_of(k) == tables_of(&again), "n {n} year {year}");
            }
            assert_matches_full_rebuild(&a, &format!("n {n}"));
        }
    }
}
