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
//! For `N <= 20` the maximum is exact and `e_c(x)` is stored for every
//! practice as an `f32` table, so [`Landscape::eval`] is one lookup. The table
//! comes from a Gray-code walk: the practices are split into a block of the
//! low `min(N, 10)` bits and the remaining high bits; the walk visits the high
//! patterns in Gray-code order and, at each step, updates the raw sums of all
//! `2^10` low patterns at once, touching only the contributions of the flipped
//! bit's dimension and of the dimensions that depend on it (precomputed
//! reverse-dependency lists). The block of sums is recomputed from scratch
//! every 256 steps, so rounding drift stays far below `1e-9`; every practice
//! whose running sum comes within `1e-9` of the best is kept as a candidate,
//! and the candidates are then scored directly. The reported maximum is
//! therefore the direct evaluation of the reported argmax and equals the
//! brute-force maximum.
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
    /// Per distinct table, `2^n` normalised scores (empty when `n > 20`).
    tables: Vec<Arc<[f32]>>,
    /// Per distinct table, mean of `e` (exact when tabled, else sampled lazily).
    mean: OnceLock<Vec<f64>>,
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
            mean: OnceLock::new(),
            search_seed,
            epoch: 0,
        };
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
            t[(x & self.mask) as usize] as f64
        } else {
            self.score(self.combined_of(s), x) / self.max_raw[s]
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
        self.mean.get_or_init(|| self.sample_means())[s]
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
    /// rows change. Maxima, tables and means are recomputed when a row that
    /// matters changed. Returns the number of rows redrawn.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1]`.
    pub fn turbulence<R: Rng + ?Sized>(&mut self, p: f64, rng: &mut R) -> usize {
        assert!(
            (0.0..=1.0).contains(&p),
            "turbulence probability must be in [0, 1] (got {p})"
        );
        let w = self.w;
        let mut shared_changed = 0;
        for row in self.shared.chunks_exact_mut(w) {
            if rng.random::<f64>() < p {
                draw_row(row, rng);
                shared_changed += 1;
            }
        }
        let mut local_changed = 0;
        // Which distinct tables a changed local row touches.
        let mut dirty = vec![shared_changed > 0; self.distinct];
        let rows_per_context = self.n * w;
        for (i, row) in self.local.chunks_exact_mut(w).enumerate() {
            if rng.random::<f64>() < p {
                draw_row(row, rng);
                local_changed += 1;
                if self.spec.context_weight > 0.0 {
                    let c = i * w / rows_per_context;
                    dirty[if self.distinct == 1 { 0 } else { c }] = true;
                }
            }
        }
        if dirty.iter().any(|&d| d) {
            if self.exact && !dirty.iter().all(|&d| d) {
                self.rebuild_some(&dirty);
            } else {
                self.rebuild();
            }
        }
        shared_changed + local_changed
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
        let lookup = if n <= MAX_TABLED_N {
            distinct.saturating_mul(1usize << n).saturating_mul(4)
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

    /// Recompute combined tables, maxima, lookup tables and means.
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

    /// Rebuild only the distinct tables marked dirty (exact case): the
    /// others keep their combined rows, maxima, tables and means.
    fn rebuild_some(&mut self, dirty: &[bool]) {
        let rows = self.n * self.w;
        let lam = self.spec.context_weight;
        for (s, &d) in dirty.iter().enumerate() {
            if !d {
                continue;
            }
            let loc = &self.local[s * rows..(s + 1) * rows];
            for ((c, &a), &b) in self.combined[s * rows..(s + 1) * rows]
                .iter_mut()
                .zip(&self.shared)
                .zip(loc)
            {
                *c = (1.0 - lam) * a + lam * b;
            }
        }
        self.epoch += 1;
        let old_means = self.mean.take();
        let blk = self.low_block();
        let mut means = old_means.unwrap_or_else(|| vec![f64::NAN; self.distinct]);
        for (s, &d) in dirty.iter().enumerate() {
            if !d {
                continue;
            }
            means[s] = self.exact_table(s, &blk);
        }
        if means.iter().all(|m| m.is_finite()) {
            let _ = self.mean.set(means);
        }
    }

    fn rebuild_tabled(&mut self) {
        self.tables
            .resize_with(self.distinct, || Arc::from(Vec::new()));
        let blk = self.low_block();
        let means = (0..self.distinct)
            .map(|s| self.exact_table(s, &blk))
            .collect();
        let _ = self.mean.set(means);
    }

    /// Walk every state of distinct table `s`: its exact maximum, argmax and
    /// normalised lookup table (reusing the buffer when no one shares it).
    /// Returns the table's mean e.
    fn exact_table(&mut self, s: usize, blk: &LowBlock) -> f64 {
        let len = 1usize << self.n;
        let mut slot = std::mem::replace(&mut self.tables[s], Arc::from(Vec::new()));
        if !(slot.len() == len && Arc::get_mut(&mut slot).is_some()) {
            slot = std::iter::repeat_n(0.0f32, len).collect();
        }
        let buf = Arc::get_mut(&mut slot).expect("freshly allocated table is unique");
        let (candidates, total) = self.exact_walk(blk, self.combined_of(s), buf);
        // Score the candidates directly; the best is the exact maximum.
        let t = self.combined_of(s);
        let mut best = f64::NEG_INFINITY;
        let mut arg = 0u64;
        for &x in &candidates {
            let v = self.score(t, x);
            if v > best || (v == best && x < arg) {
                best = v;
                arg = x;
            }
        }
        self.max_raw[s] = best;
        self.argmax[s] = arg;
        let scale = (1.0 / (self.n as f64 * best)) as f32;
        for v in buf.iter_mut() {
            *v = (*v * scale).min(1.0);
        }
        buf[arg as usize] = 1.0;
        self.tables[s] = slot;
        total / (len as f64 * self.n as f64 * best)
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

/// Scratch shared by the exact walks of one rebuild: the practices are split
/// into a low block of `l` bits and `n - l` high bits, and `lo[d * 2^l + b]`
/// is the part of dimension `d`'s row index fed by the low bits `b`.
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
    /// touched by the flipped bit. Writes each practice's sum of contributions
    /// (not yet divided by `n`) to `out[x]` and returns the practices whose
    /// sum came within [`GRAY_TOL`] of the best sum (a superset of the
    /// maximisers) and the total of all sums. The block of sums is recomputed
    /// from scratch every `RESYNC_BLOCKS + 1` steps, so rounding drift stays
    /// far below the tolerance.
    fn exact_walk(&self, blk: &LowBlock, t: &[f64], out: &mut [f32]) -> (Vec<u64>, f64) {
        let n = self.n;
        let w = self.w;
        let l = blk.l;
        let b = 1usize << l;
        let lo = &blk.lo;
        debug_assert_eq!(out.len(), 1usize << n);
        // hi[d]: the part of d's row index fed by the current high bits.
        let mut hi = vec![0u32; n];
        let mut v = vec![0.0f64; b];
        let mut diff = [0.0f64; DIFF_LEN];
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
                for e in list {
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
                        // Tabulate the change for every low part, then apply.
                        let top = blk.lo_max[d] as usize;
                        for (j, c) in diff[..=top].iter_mut().enumerate() {
                            *c = row_new[j] - row_old[j];
                        }
                        for (s, &i) in v.iter_mut().zip(lod) {
                            *s += diff[i as usize & (DIFF_LEN - 1)];
                        }
                    } else {
                        for (s, &i) in v.iter_mut().zip(lod) {
                            *s += row_new[i as usize] - row_old[i as usize];
                        }
                    }
                }
                if resync {
                    fill(&mut v, &hi);
                }
            }
            let x0 = h << l;
            for (o, &s) in out[x0..x0 + b].iter_mut().zip(&v) {
                *o = s as f32;
            }
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
        assert!(m > 4 * (1 << 16) * 4 && m < 4 * (1 << 16) * 4 + 100_000);
        let one = Landscape::memory_bytes(&spec(20, 5, 1, 0.0));
        assert!(one >= (1 << 20) * 4);
        assert!(Landscape::memory_bytes(&spec(64, 63, 1, 0.0)) == usize::MAX);
    }

    #[test]
    fn landscape_is_send_sync_clone_debug() {
        fn check<T: Clone + Send + Sync + fmt::Debug>() {}
        check::<Landscape>();
        let l = gen_(&spec(6, 1, 1, 0.0), 1);
        assert!(format!("{l:?}").contains("Landscape"));
    }

    #[test]
    fn partial_rebuild_after_turbulence_equals_a_full_rebuild() {
        // Local rows of one context change far more often than shared rows
        // at low turbulence, which takes the partial path.
        for seed in 0..6 {
            let mut l = gen_(&spec(10, 2, 4, 0.5), seed);
            for year in 0..8 {
                l.turbulence(0.03, &mut stream(9, seed, 0, Purpose::Turbulence, year));
                let mut full = l.clone();
                full.rebuild();
                for c in 0..4 {
                    assert_eq!(l.max_raw(c), full.max_raw(c));
                    assert_eq!(l.argmax(c), full.argmax(c));
                    for x in 0..(1u64 << 10) {
                        assert_eq!(l.eval(c, x).to_bits(), full.eval(c, x).to_bits());
                    }
                    assert!((l.mean_e(c) - full.mean_e(c)).abs() < 1e-12);
                }
            }
        }
    }
}
