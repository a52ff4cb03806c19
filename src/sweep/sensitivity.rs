//! Sensitivity indices from a finished sweep, with the estimators and names
//! of SALib: Sobol first-order (`S1`, Saltelli et al. 2010) and total
//! (`ST`, Jansen 1999) indices from a Saltelli plan, and Morris elementary
//! effects (`mu`, `mu_star`, `sigma`; Morris 1991, Campolongo et al. 2007)
//! from trajectories. Confidence half-widths (`*_conf`) are 1.96 times the
//! standard deviation of the estimate over bootstrap resamples of the base
//! samples (Sobol) or trajectories (Morris), as SALib computes them.
//! Pure computation: the resampling stream is keyed by the sweep seed.

use crate::rng::{Purpose, stream};
use rand::RngExt;

/// The 97.5% quantile of the standard normal distribution.
const Z975: f64 = 1.959_963_984_540_054;

/// Stream key of the bootstrap.
const BOOTSTRAP: u64 = 5;

/// First-order and total Sobol indices of one input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SobolIndex {
    pub s1: f64,
    pub s1_conf: f64,
    pub st: f64,
    pub st_conf: f64,
}

/// Elementary-effect statistics of one input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MorrisIndex {
    pub mu: f64,
    pub mu_star: f64,
    pub sigma: f64,
    pub mu_star_conf: f64,
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for x in v {
        s += x;
        n += 1;
    }
    s / n as f64
}

fn sd(v: &[f64]) -> f64 {
    let m = mean(v.iter().copied());
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt()
}

/// `(S1, ST)` of input `i` over the base samples `rows` (Saltelli 2010 and
/// Jansen estimators, over the variance of A and B together).
fn sobol_at(a: &[f64], b: &[f64], ab: &[Vec<f64>], rows: &[usize], i: usize) -> (f64, f64) {
    let n = rows.len() as f64;
    let m = rows.iter().map(|&j| a[j] + b[j]).sum::<f64>() / (2.0 * n);
    let var = rows
        .iter()
        .map(|&j| (a[j] - m).powi(2) + (b[j] - m).powi(2))
        .sum::<f64>()
        / (2.0 * n);
    let s1 = rows.iter().map(|&j| b[j] * (ab[i][j] - a[j])).sum::<f64>() / n / var;
    let st = 0.5 * rows.iter().map(|&j| (a[j] - ab[i][j]).powi(2)).sum::<f64>() / n / var;
    (s1, st)
}

/// Sobol indices of `d` inputs from outputs `y` of a Saltelli plan
/// ([`super::design::saltelli`]: per base sample, A, AB_1..AB_d, B), with
/// `resamples` bootstrap resamples for the confidence half-widths.
///
/// # Panics
/// If `y.len()` is not a multiple of `d + 2`.
pub fn sobol_indices(y: &[f64], d: usize, resamples: usize, seed: u64) -> Vec<SobolIndex> {
    let step = d + 2;
    assert!(
        y.len().is_multiple_of(step),
        "a Saltelli plan has N x (d + 2) outputs"
    );
    let n = y.len() / step;
    // Standardise, as SALib does (the indices do not change).
    let my = mean(y.iter().copied());
    let sy = (y.iter().map(|v| (v - my).powi(2)).sum::<f64>() / y.len() as f64).sqrt();
    let sy = if sy > 0.0 { sy } else { 1.0 };
    let z = |v: f64| (v - my) / sy;
    let a: Vec<f64> = (0..n).map(|j| z(y[j * step])).collect();
    let b: Vec<f64> = (0..n).map(|j| z(y[j * step + d + 1])).collect();
    let ab: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..n).map(|j| z(y[j * step + 1 + i])).collect())
        .collect();
    let all: Vec<usize> = (0..n).collect();
    let mut rng = stream(seed, 0, BOOTSTRAP, Purpose::Sweep, 0);
    let boot: Vec<Vec<usize>> = (0..resamples)
        .map(|_| (0..n).map(|_| rng.random_range(0..n)).collect())
        .collect();
    (0..d)
        .map(|i| {
            let (s1, st) = sobol_at(&a, &b, &ab, &all, i);
            let (b1, bt): (Vec<f64>, Vec<f64>) =
                boot.iter().map(|r| sobol_at(&a, &b, &ab, r, i)).unzip();
            SobolIndex {
                s1,
                s1_conf: Z975 * sd(&b1),
                st,
                st_conf: Z975 * sd(&bt),
            }
        })
        .collect()
}

/// Morris statistics of `d` inputs from `units` (unit-cube coordinates of a
/// Morris plan, [`super::design::morris`]: trajectories of `d + 1` points)
/// and outputs `y`. An elementary effect is the change in `y` divided by the
/// signed change of the one coordinate that moved (so it is in output units
/// per unit of the lever's normalised range).
pub fn morris_indices(
    units: &[Vec<f64>],
    y: &[f64],
    d: usize,
    resamples: usize,
    seed: u64,
) -> Result<Vec<MorrisIndex>, String> {
    let step = d + 1;
    if units.len() != y.len() || !y.len().is_multiple_of(step) {
        return Err(format!(
            "a Morris plan has r x {step} points; found {} points and {} outputs",
            units.len(),
            y.len()
        ));
    }
    let r = y.len() / step;
    let mut ee = vec![Vec::with_capacity(r); d];
    for t in 0..r {
        for k in 0..d {
            let (p, q) = (t * step + k, t * step + k + 1);
            let moved: Vec<usize> = (0..d).filter(|&i| units[p][i] != units[q][i]).collect();
            let [i] = moved[..] else {
                return Err(format!(
                    "points {p} and {q} differ in {} coordinates, not one: not a Morris trajectory",
                    moved.len()
                ));
            };
            ee[i].push((y[q] - y[p]) / (units[q][i] - units[p][i]));
        }
    }
    let mut rng = stream(seed, 0, BOOTSTRAP, Purpose::Sweep, 1);
    Ok(ee
        .iter()
        .map(|e| {
            let abs: Vec<f64> = e.iter().map(|x| x.abs()).collect();
            let boot: Vec<f64> = (0..resamples)
                .map(|_| mean((0..r).map(|_| abs[rng.random_range(0..r)])))
                .collect();
            MorrisIndex {
                mu: mean(e.iter().copied()),
                mu_star: mean(abs.iter().copied()),
                sigma: sd(e),
                mu_star_conf: Z975 * sd(&boot),
            }
        })
        .collect())
}
