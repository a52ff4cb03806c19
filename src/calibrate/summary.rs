//! What a posterior says: per-parameter medians, 90% credible intervals and
//! contraction; identifiability and trade-off warnings; the posterior
//! predictive bands; RMSE; and whether the model fits, with the feature it
//! misses. Pure: numbers in, numbers and words out.
//!
//! Rules (documented in docs/ODD.md, "Calibration"):
//! - a parameter is *not identified* when its contraction,
//!   1 - posterior variance / prior variance, is below [`WEAK_CONTRACTION`];
//! - two parameters *trade off* when their weighted posterior correlation
//!   is beyond +-[`STRONG_CORRELATION`];
//! - the model *fits* when at least [`FIT_COVERAGE`] of the fitted points lie
//!   inside the 90% posterior predictive band and no feature (size of the
//!   rise, its timing, the plateau) misses by more than two predictive
//!   standard deviations (the 90% band's mean half-width / 1.645; timing:
//!   by two years or more);
//! - a scale *far from 1* has its 90% interval outside 0.8 to 1.25.

use rand::RngExt;
use rand_distr::StandardNormal;

use super::abc::{Particle, Prior, observation, proposal_rng};

/// Contraction below which a parameter is called not identified.
pub const WEAK_CONTRACTION: f64 = 0.2;
/// |correlation| above which two parameters are said to trade off.
pub const STRONG_CORRELATION: f64 = 0.7;
/// Share of fitted points inside the 90% band for an adequate fit.
pub const FIT_COVERAGE: f64 = 0.8;

/// The posterior of one parameter.
#[derive(Clone, Debug)]
pub struct ParamSummary {
    pub key: String,
    pub label: String,
    pub median: f64,
    /// The 90% credible interval (5% and 95% weighted quantiles).
    pub lo: f64,
    pub hi: f64,
    pub contraction: f64,
}

/// The `q`-quantile of `x` under weights `w` (the smallest value whose
/// cumulative weight reaches `q`, linearly interpolated).
pub fn weighted_quantile(x: &[f64], w: &[f64], q: f64) -> f64 {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(a.cmp(&b)));
    let total: f64 = w.iter().sum();
    let mut acc = 0.0;
    let mut prev = (f64::NAN, 0.0);
    for &i in &idx {
        let next = acc + w[i] / total;
        // Midpoint rule: a value stands at the middle of its weight.
        let mid = (acc + next) / 2.0;
        if mid >= q {
            if prev.0.is_nan() {
                return x[i];
            }
            let f = (q - prev.1) / (mid - prev.1);
            return prev.0 + f * (x[i] - prev.0);
        }
        prev = (x[i], mid);
        acc = next;
    }
    prev.0
}

fn weighted_mean_var(x: &[f64], w: &[f64]) -> (f64, f64) {
    let total: f64 = w.iter().sum();
    let m = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / total;
    let v = x
        .iter()
        .zip(w)
        .map(|(a, b)| b * (a - m) * (a - m))
        .sum::<f64>()
        / total;
    (m, v)
}

/// Medians, 90% intervals and contraction of every parameter.
pub fn summarise(pop: &[Particle], priors: &[Prior]) -> Vec<ParamSummary> {
    let w: Vec<f64> = pop.iter().map(|p| p.weight).collect();
    priors
        .iter()
        .enumerate()
        .map(|(j, pr)| {
            let x: Vec<f64> = pop.iter().map(|p| p.theta[j]).collect();
            let (_, var) = weighted_mean_var(&x, &w);
            ParamSummary {
                key: pr.key.clone(),
                label: pr.label.clone(),
                median: weighted_quantile(&x, &w, 0.5),
                lo: weighted_quantile(&x, &w, 0.05),
                hi: weighted_quantile(&x, &w, 0.95),
                contraction: 1.0 - var / pr.variance(),
            }
        })
        .collect()
}

/// Weighted correlation of parameters `a` and `b`.
pub fn correlation(pop: &[Particle], a: usize, b: usize) -> f64 {
    let w: Vec<f64> = pop.iter().map(|p| p.weight).collect();
    let xa: Vec<f64> = pop.iter().map(|p| p.theta[a]).collect();
    let xb: Vec<f64> = pop.iter().map(|p| p.theta[b]).collect();
    let (ma, va) = weighted_mean_var(&xa, &w);
    let (mb, vb) = weighted_mean_var(&xb, &w);
    let total: f64 = w.iter().sum();
    let c = (0..pop.len())
        .map(|i| w[i] * (xa[i] - ma) * (xb[i] - mb))
        .sum::<f64>()
        / total;
    if va > 0.0 && vb > 0.0 {
        c / (va * vb).sqrt()
    } else {
        0.0
    }
}

/// Warnings, in words: parameters the series does not identify, and pairs
/// that trade off.
pub fn warnings(pop: &[Particle], params: &[ParamSummary]) -> Vec<String> {
    let mut out = Vec::new();
    for p in params {
        if p.contraction < WEAK_CONTRACTION {
            out.push(format!(
                "the series does not identify {}: its posterior is close to its prior (contraction {:.2}, below {WEAK_CONTRACTION}); read its interval as the prior's, not as a finding",
                p.label, p.contraction
            ));
        }
    }
    for a in 0..params.len() {
        for b in a + 1..params.len() {
            let r = correlation(pop, a, b);
            if r.abs() > STRONG_CORRELATION {
                let how = if r < 0.0 {
                    "the data pin down a combination of them (one up, the other down), not each"
                } else {
                    "the data pin down their difference, not each (they move together)"
                };
                out.push(format!(
                    "{} and {} trade off (posterior correlation {r:+.2}): {how}",
                    params[a].label, params[b].label
                ));
            }
        }
    }
    out
}

/// The posterior predictive distribution at each observed year: what a
/// particle predicts the observation to be (offset + scale x the mean of its
/// `runs` runs, with the noise of that mean and the observation noise, as in
/// the distance), drawn `draws` times from the weighted population. The
/// mean of runs is the prediction because a run is a reduced system that
/// stands for a much larger one, whose own spread is smaller.
#[derive(Clone, Debug)]
pub struct Bands {
    pub median: Vec<f64>,
    pub lo50: Vec<f64>,
    pub hi50: Vec<f64>,
    pub lo90: Vec<f64>,
    pub hi90: Vec<f64>,
}

#[allow(clippy::too_many_arguments)]
pub fn predictive(
    pop: &[Particle],
    se: &[f64],
    n_levers: usize,
    has_offset: bool,
    has_scale: bool,
    runs: u32,
    seed: u64,
    draws: usize,
) -> Bands {
    let t_len = se.len();
    let total: f64 = pop.iter().map(|p| p.weight).sum();
    let mut cum = Vec::with_capacity(pop.len());
    let mut acc = 0.0;
    for p in pop {
        acc += p.weight / total;
        cum.push(acc);
    }
    let mut rng = proposal_rng(seed, u32::MAX, 0);
    let mut samples = vec![Vec::with_capacity(draws); t_len];
    for _ in 0..draws {
        let u: f64 = rng.random();
        let i = cum.partition_point(|&c| c < u).min(pop.len() - 1);
        let p = &pop[i];
        let (offset, scale) = observation(&p.theta, n_levers, has_offset, has_scale);
        for (t, s) in samples.iter_mut().enumerate() {
            let z: f64 = rng.sample(StandardNormal);
            let sd = (se[t] * se[t] + (scale * p.sd[t]).powi(2) / runs as f64).sqrt();
            s.push(offset + scale * p.mean[t] + sd * z);
        }
    }
    let ones = vec![1.0; draws];
    let q = |s: &Vec<f64>, q| weighted_quantile(s, &ones, q);
    Bands {
        median: samples.iter().map(|s| q(s, 0.5)).collect(),
        lo50: samples.iter().map(|s| q(s, 0.25)).collect(),
        hi50: samples.iter().map(|s| q(s, 0.75)).collect(),
        lo90: samples.iter().map(|s| q(s, 0.05)).collect(),
        hi90: samples.iter().map(|s| q(s, 0.95)).collect(),
    }
}

/// Root mean square error of the predictive median over `range`.
pub fn rmse(observed: &[f64], bands: &Bands, range: std::ops::Range<usize>) -> f64 {
    let n = range.len() as f64;
    (range
        .map(|t| (bands.median[t] - observed[t]).powi(2))
        .sum::<f64>()
        / n)
        .sqrt()
}

/// How many of the points in `range` lie inside the 90% band.
pub fn inside90(observed: &[f64], bands: &Bands, range: std::ops::Range<usize>) -> usize {
    range
        .filter(|&t| observed[t] >= bands.lo90[t] && observed[t] <= bands.hi90[t])
        .count()
}

/// Whether the model fits, and in what it misses.
#[derive(Clone, Debug)]
pub struct Diagnosis {
    pub fits: bool,
    /// One sentence per feature that misses.
    pub misses: Vec<String>,
    pub observed_rise: f64,
    pub model_rise: f64,
    pub inside: usize,
    pub fitted: usize,
}

/// Half the rise reached: the first index at or past half of the rise from
/// the first point to the mean of the last two.
fn half_rise_at(y: &[f64]) -> Option<usize> {
    let n = y.len();
    let end = (y[n - 1] + y[n - 2]) / 2.0;
    let rise = end - y[0];
    if rise.abs() < 1e-9 {
        return None;
    }
    y.iter().position(|&v| (v - y[0]) / rise >= 0.5)
}

/// Least-squares slope of `y` per step.
fn slope(y: &[f64]) -> f64 {
    let n = y.len() as f64;
    let mx = (n - 1.0) / 2.0;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in y.iter().enumerate() {
        sxy += (i as f64 - mx) * (v - my);
        sxx += (i as f64 - mx).powi(2);
    }
    if sxx > 0.0 { sxy / sxx } else { 0.0 }
}

/// Compare the fitted points with the predictive median (rules above).
pub fn diagnose(observed: &[f64], se: &[f64], bands: &Bands, fit: usize) -> Diagnosis {
    let y = &observed[..fit];
    let m = &bands.median[..fit];
    // The predictive spread (observation and run noise): the 90% band's
    // mean half-width over 1.645.
    let sigma = (0..fit)
        .map(|t| (bands.hi90[t] - bands.lo90[t]) / (2.0 * 1.645))
        .sum::<f64>()
        / fit as f64;
    let _ = se;
    let rise = |v: &[f64]| (v[fit - 1] + v[fit - 2]) / 2.0 - v[0];
    let (ro, rm) = (rise(y), rise(m));
    let mut misses = Vec::new();
    if (ro - rm).abs() > 2.0 * sigma {
        misses.push(format!(
            "size of the rise: the series rises {ro:+.1} from its first year to its last two, the model {rm:+.1}"
        ));
    }
    if let (Some(a), Some(b)) = (half_rise_at(y), half_rise_at(m))
        && ro.abs() > 2.0 * sigma
        && a.abs_diff(b) >= 2
    {
        misses.push(format!(
            "timing: the series reaches half its rise after {a} year(s), the model after {b}"
        ));
    }
    let half = fit / 2;
    let (so, sm) = (slope(&y[half..]), slope(&m[half..]));
    let span = (fit - half - 1) as f64;
    if ((so - sm) * span).abs() > 2.0 * sigma {
        misses.push(format!(
            "plateau: over the last {} years the series moves {:+.1} points a year, the model {:+.1}",
            fit - half,
            so,
            sm
        ));
    }
    let inside = inside90(observed, bands, 0..fit);
    let fits = inside as f64 >= FIT_COVERAGE * fit as f64 && misses.is_empty();
    Diagnosis {
        fits,
        misses,
        observed_rise: ro,
        model_rise: rm,
        inside,
        fitted: fit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_quantiles_follow_the_weights() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let eq = [1.0; 4];
        assert!((weighted_quantile(&x, &eq, 0.5) - 2.5).abs() < 1e-12);
        let heavy = [0.0, 0.0, 0.0, 1.0];
        assert_eq!(weighted_quantile(&x, &heavy, 0.5), 4.0);
        assert_eq!(weighted_quantile(&x, &eq, 0.0), 1.0);
        assert_eq!(weighted_quantile(&x, &eq, 1.0), 4.0);
    }

    #[test]
    fn diagnosis_names_the_feature_that_misses() {
        let obs: Vec<f64> = (0..9).map(|t| 62.0 + 13.0 * (t as f64 / 8.0)).collect();
        let flat: Vec<f64> = (0..9).map(|t| 62.0 + 4.0 * (t as f64 / 8.0)).collect();
        let bands = |m: &Vec<f64>| Bands {
            median: m.clone(),
            lo50: m.iter().map(|v| v - 0.7).collect(),
            hi50: m.iter().map(|v| v + 0.7).collect(),
            lo90: m.iter().map(|v| v - 1.6).collect(),
            hi90: m.iter().map(|v| v + 1.6).collect(),
        };
        let se = vec![1.0; 9];
        let good = diagnose(&obs, &se, &bands(&obs), 9);
        assert!(good.fits && good.misses.is_empty());
        let bad = diagnose(&obs, &se, &bands(&flat), 9);
        assert!(!bad.fits);
        assert!(
            bad.misses[0].starts_with("size of the rise"),
            "{:?}",
            bad.misses
        );
    }
}
