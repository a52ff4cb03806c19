//! Building blocks shared by the validation models: exact probabilities for
//! one draw, the majority-margin table of March's code learning, the
//! copy-with-error mask, and the in-order parallel map with fixed-order
//! summaries that keeps results independent of the thread count.

use rand::Rng;
use rayon::prelude::*;

use crate::model::bits::{P16, bernoulli_mask};

/// A probability as a 53-bit threshold: one `u64` draw decides an event.
///
/// `Chance::new(p).hit(rng)` is true with probability `p` rounded to a
/// multiple of 2^-53 (exact for 0 and 1: 0 never fires, 1 always does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chance(u64);

impl Chance {
    const ONE: u64 = 1 << 53;

    /// The event of probability `p` (clamped to [0, 1]).
    pub fn new(p: f64) -> Chance {
        Chance((p.clamp(0.0, 1.0) * Self::ONE as f64).round() as u64)
    }

    /// Never fires.
    pub fn is_never(self) -> bool {
        self.0 == 0
    }

    /// Always fires.
    pub fn is_sure(self) -> bool {
        self.0 >= Self::ONE
    }

    /// One draw: true with the event's probability. Draws one `u64` even
    /// when the event is sure or impossible, so the stream consumed does not
    /// depend on the probability.
    #[inline]
    pub fn hit<R: Rng + ?Sized>(self, rng: &mut R) -> bool {
        (rng.next_u64() >> 11) < self.0
    }
}

/// The chance that March's code adopts a majority of margin `k`:
/// `1 - (1 - p2)^k`, tabulated for `k = 0..=n`.
#[derive(Clone, Debug)]
pub struct MarginTable {
    q: Vec<Chance>,
}

impl MarginTable {
    /// The table for code-learning rate `p2` and at most `n` voters.
    pub fn new(p2: f64, n: usize) -> MarginTable {
        let q = (0..=n)
            .map(|k| Chance::new(1.0 - (1.0 - p2).powi(k as i32)))
            .collect();
        MarginTable { q }
    }

    /// The chance for margin `k` (`k <= n`).
    #[inline]
    pub fn get(&self, k: usize) -> Chance {
        self.q[k]
    }
}

/// `src` copied bit by bit within `mask`, each bit wrong (the complement of
/// the source's bit) independently with probability `error`.
#[inline]
pub fn copy_with_error<R: Rng + ?Sized>(rng: &mut R, src: u64, error: P16, mask: u64) -> u64 {
    src ^ bernoulli_mask(rng, error, mask)
}

/// Mean and standard error of the mean over replications, summed in the
/// order given.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct MeanSe {
    pub mean: f64,
    /// Sample standard deviation over `sqrt(n)`; 0 when `n < 2`.
    pub se: f64,
    pub n: usize,
}

/// The mean and its standard error, summing in the order of `values`.
pub fn mean_se(values: &[f64]) -> MeanSe {
    let n = values.len();
    if n == 0 {
        return MeanSe {
            mean: f64::NAN,
            se: f64::NAN,
            n,
        };
    }
    let mut sum = 0.0;
    for &v in values {
        sum += v;
    }
    let mean = sum / n as f64;
    if n < 2 {
        return MeanSe { mean, se: 0.0, n };
    }
    let mut ss = 0.0;
    for &v in values {
        ss += (v - mean) * (v - mean);
    }
    let sd = (ss / (n - 1) as f64).sqrt();
    MeanSe {
        mean,
        se: sd / (n as f64).sqrt(),
        n,
    }
}

/// `f(point, replication)` for every point and replication, in parallel on
/// the current rayon pool, returned as one `Vec` per point in replication
/// order. The order of the results never depends on the thread count.
pub fn map_points<T, F>(points: usize, reps: usize, f: F) -> Vec<Vec<T>>
where
    T: Send,
    F: Fn(usize, usize) -> T + Sync,
{
    let flat: Vec<T> = (0..points * reps)
        .into_par_iter()
        .with_min_len(1)
        .map(|i| f(i / reps, i % reps))
        .collect();
    let mut out: Vec<Vec<T>> = (0..points).map(|_| Vec::with_capacity(reps)).collect();
    for (i, v) in flat.into_iter().enumerate() {
        out[i / reps].push(v);
    }
    out
}

/// Element-wise mean and standard error of equal-length series (one per
/// replication), summed in replication order.
pub fn series_mean_se(series: &[Vec<f64>]) -> Vec<MeanSe> {
    let len = series.first().map_or(0, Vec::len);
    let mut col = Vec::with_capacity(series.len());
    (0..len)
        .map(|t| {
            col.clear();
            col.extend(series.iter().map(|s| s[t]));
            mean_se(&col)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    #[test]
    fn chance_extremes_and_rate() {
        let mut r = stream(1, 0, 0, Purpose::Validation, 0);
        assert!(Chance::new(0.0).is_never() && Chance::new(1.0).is_sure());
        assert!((0..1000).all(|_| Chance::new(1.0).hit(&mut r)));
        assert!((0..1000).all(|_| !Chance::new(0.0).hit(&mut r)));
        let c = Chance::new(0.3);
        let hits = (0..100_000).filter(|_| c.hit(&mut r)).count();
        // s.e. of the rate is about 0.00145.
        assert!((hits as f64 / 1e5 - 0.3).abs() < 0.008, "{hits}");
    }

    #[test]
    fn margin_table_matches_formula() {
        let t = MarginTable::new(0.5, 4);
        assert_eq!(t.get(0), Chance::new(0.0));
        assert_eq!(t.get(1), Chance::new(0.5));
        assert_eq!(t.get(3), Chance::new(0.875));
        assert!(MarginTable::new(1.0, 3).get(1).is_sure());
    }

    #[test]
    fn copy_with_error_flips_at_the_rate() {
        let mut r = stream(2, 0, 0, Purpose::Validation, 0);
        assert_eq!(
            copy_with_error(&mut r, 0xABCD, P16::new(0.0), 0xFFFF),
            0xABCD
        );
        assert_eq!(
            copy_with_error(&mut r, 0xABCD, P16::new(1.0), 0xFFFF),
            0x5432
        );
        let mut wrong = 0;
        for _ in 0..10_000 {
            wrong += (copy_with_error(&mut r, 0, P16::new(0.1), 0xFFFF)).count_ones();
        }
        let rate = wrong as f64 / 160_000.0;
        assert!((rate - 0.1).abs() < 0.005, "{rate}");
    }

    #[test]
    fn mean_se_and_in_order_map() {
        let m = mean_se(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m.mean, 2.5);
        assert!((m.se - (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-12);
        assert_eq!(mean_se(&[7.0]).se, 0.0);
        let got = map_points(3, 4, |p, r| p * 10 + r);
        assert_eq!(got[2], vec![20, 21, 22, 23]);
        let s = series_mean_se(&[vec![1.0, 2.0], vec![3.0, 6.0]]);
        assert_eq!(s[0].mean, 2.0);
        assert_eq!(s[1].mean, 4.0);
    }
}
