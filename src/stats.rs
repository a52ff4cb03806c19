//! Small statistics: means and 95% intervals across replicates.

/// Two-sided 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => T[df - 1],
        // Cornish-Fisher style expansion around the normal quantile.
        _ => {
            let z: f64 = 1.959_964;
            let d = df as f64;
            z + (z.powi(3) + z) / (4.0 * d)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
        }
    }
}

/// Mean, standard deviation and 95% interval of the finite values.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub lo: f64,
    pub hi: f64,
}

/// Summarise values, ignoring non-finite ones (e.g. undefined indicators).
pub fn summarise(values: &[f64]) -> Summary {
    let mut n = 0usize;
    let mut sum = 0.0;
    for &v in values {
        if v.is_finite() {
            n += 1;
            sum += v;
        }
    }
    if n == 0 {
        return Summary {
            n,
            mean: f64::NAN,
            sd: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
        };
    }
    let mean = sum / n as f64;
    if n == 1 {
        return Summary {
            n,
            mean,
            sd: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
        };
    }
    let ss: f64 = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| (v - mean).powi(2))
        .sum();
    let sd = (ss / (n - 1) as f64).sqrt();
    let half = t975(n - 1) * sd / (n as f64).sqrt();
    Summary {
        n,
        mean,
        sd,
        lo: mean - half,
        hi: mean + half,
    }
}

impl Summary {
    /// The interval clipped to the values the quantity can take.
    pub fn clipped(mut self, lo: Option<f64>, hi: Option<f64>) -> Summary {
        // An interval that does not exist (one value) stays missing.
        if let Some(l) = lo
            && self.lo.is_finite()
        {
            self.lo = self.lo.max(l);
        }
        if let Some(h) = hi
            && self.hi.is_finite()
        {
            self.hi = self.hi.min(h);
        }
        self
    }
}

/// The share of runs the spread of outcomes covers: 80%, from the 10th to
/// the 90th percentile.
pub const SPREAD_SHARE: f64 = 0.8;

/// The spread of outcomes across runs: the 10th and 90th percentiles of
/// the finite values (linear interpolation between order statistics), or
/// `None` with fewer than two values.
pub fn spread(values: &[f64]) -> Option<(f64, f64)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.len() < 2 {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| {
        let h = p * (v.len() - 1) as f64;
        let i = h.floor() as usize;
        let j = (i + 1).min(v.len() - 1);
        v[i] + (h - i as f64) * (v[j] - v[i])
    };
    let tail = (1.0 - SPREAD_SHARE) / 2.0;
    Some((q(tail), q(1.0 - tail)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_covers_the_mean_about_95_percent_of_the_time() {
        use crate::rng::{Purpose, stream};
        use rand_distr::{Distribution, StandardNormal};
        let mut cover = 0;
        let trials = 2000;
        for i in 0..trials {
            let mut r = stream(3, i, 0, Purpose::Validation, 0);
            let v: Vec<f64> = (0..10)
                .map(|_| {
                    let z: f64 = StandardNormal.sample(&mut r);
                    5.0 + z
                })
                .collect();
            let s = summarise(&v);
            if s.lo <= 5.0 && 5.0 <= s.hi {
                cover += 1;
            }
        }
        let rate = cover as f64 / trials as f64;
        assert!((rate - 0.95).abs() < 0.02, "coverage {rate}");
    }

    #[test]
    fn one_value_has_no_interval_even_when_clipped() {
        let s = summarise(&[42.0]).clipped(Some(0.0), Some(100.0));
        assert!(s.lo.is_nan() && s.hi.is_nan(), "{s:?}");
        assert!(spread(&[42.0]).is_none());
    }

    #[test]
    fn spread_covers_eighty_percent_of_runs() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        let (lo, hi) = spread(&v).unwrap();
        assert!((lo - 10.0).abs() < 1e-9 && (hi - 90.0).abs() < 1e-9);
    }

    #[test]
    fn ignores_non_finite_values() {
        let s = summarise(&[1.0, f64::NAN, 3.0]);
        assert_eq!(s.n, 2);
        assert_eq!(s.mean, 2.0);
        assert!(summarise(&[f64::NAN]).mean.is_nan());
    }

    #[test]
    fn t_quantiles_approach_normal() {
        assert!((t975(1000) - 1.962).abs() < 0.002);
        assert!(t975(31) < t975(30) + 1e-3 && t975(31) > 2.03);
    }
}
