//! Strategy forecasts from the posterior: every strategy of the scenario run
//! from posterior draws on common random numbers (each run's strategies share
//! its world and burn-in), and the probability that each beats the
//! calibrated one on each headline indicator at a year.

use anyhow::Result;
use rand::RngExt;
use rayon::prelude::*;

use super::abc::{Particle, proposal_rng};
use super::engine::{scenario_at, simulate};
use super::spec::Calibration;
use crate::model::indicators::Ind;
use crate::output::year_value;
use crate::rng::derive_seed;

/// The headline indicators and whether more is better.
pub const HEADLINE: [(Ind, &str, bool); 3] = [
    (Ind::AttMean, "mean attainment", true),
    (
        Ind::Gap,
        "gap between the top and bottom quarter of schools",
        false,
    ),
    (Ind::Equity, "attainment of the lowest-intake quarter", true),
];

/// P(strategy beats the calibrated one on an indicator at a year).
#[derive(Clone, Debug)]
pub struct Beat {
    pub strategy: String,
    pub indicator: &'static str,
    pub label: &'static str,
    pub higher_is_better: bool,
    /// Share of paired runs in which the strategy does better.
    pub p: f64,
    /// Wilson 95% interval of that share.
    pub lo: f64,
    pub hi: f64,
    /// Paired runs (posterior draws x runs per draw).
    pub n: usize,
}

/// Wilson score 95% interval of `k` successes in `n`.
pub fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// `draws` particles resampled by weight (systematic resampling).
pub fn resample(pop: &[Particle], draws: usize, seed: u64) -> Vec<&Particle> {
    let total: f64 = pop.iter().map(|p| p.weight).sum();
    let u0: f64 = proposal_rng(seed, u32::MAX - 1, 0).random::<f64>() / draws as f64;
    let mut out = Vec::with_capacity(draws);
    let mut acc = 0.0;
    let mut i = 0;
    for k in 0..draws {
        let u = u0 + k as f64 / draws as f64;
        while i + 1 < pop.len() && acc + pop[i].weight / total < u {
            acc += pop[i].weight / total;
            i += 1;
        }
        out.push(&pop[i]);
    }
    out
}

/// Run every strategy from `draws` posterior draws, `runs` runs each, to
/// `year`, and compare each with the calibrated strategy.
pub fn forecast(
    cal: &Calibration,
    pop: &[Particle],
    year: u32,
    draws: usize,
    runs: u32,
) -> Result<Vec<Beat>> {
    let picked = resample(pop, draws, cal.seed);
    let per_draw: Vec<Result<Vec<Vec<[f64; 3]>>>> = picked
        .par_iter()
        .enumerate()
        .map(|(d, p)| {
            let sc = scenario_at(cal, &p.theta)?;
            let spy = sc.run.steps_per_year as usize;
            let seed = derive_seed(cal.seed, &[0x00F0_CA57, d as u64]);
            let res = simulate(&sc, None, seed, runs, year)?;
            // [strategy][replicate] -> headline values.
            let mut v = vec![vec![[0.0; 3]; runs as usize]; sc.strategies.len()];
            for r in &res {
                for (j, (ind, _, _)) in HEADLINE.iter().enumerate() {
                    v[r.strategy][r.replicate as usize][j] =
                        year_value(&r.record.rows, spy, year as usize, *ind as usize);
                }
            }
            Ok(v)
        })
        .collect();
    let per_draw: Vec<Vec<Vec<[f64; 3]>>> = per_draw.into_iter().collect::<Result<_>>()?;
    let base = cal.strategy_index;
    let mut out = Vec::new();
    for (s, spec) in cal.base.strategies.iter().enumerate() {
        if s == base {
            continue;
        }
        for (j, (ind, label, higher)) in HEADLINE.iter().enumerate() {
            let mut k = 0;
            let mut n = 0;
            for v in &per_draw {
                for (vs, vb) in v[s].iter().zip(&v[base]) {
                    let (a, b) = (vs[j], vb[j]);
                    if a.is_finite() && b.is_finite() {
                        n += 1;
                        if (*higher && a > b) || (!*higher && a < b) {
                            k += 1;
                        }
                    }
                }
            }
            let (lo, hi) = wilson(k, n);
            out.push(Beat {
                strategy: spec.name.clone(),
                indicator: crate::model::NAMES[*ind as usize],
                label,
                higher_is_better: *higher,
                p: if n > 0 { k as f64 / n as f64 } else { f64::NAN },
                lo,
                hi,
                n,
            });
        }
    }
    Ok(out)
}

/// "more likely than not" / "less likely than not" / "about even": the
/// Wilson interval's side of one half.
pub fn verdict(b: &Beat) -> &'static str {
    if b.lo > 0.5 {
        "more likely than not"
    } else if b.hi < 0.5 {
        "less likely than not"
    } else {
        "not clearly different from even"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_contains_the_share_and_narrows_with_n() {
        let (lo, hi) = wilson(7, 10);
        assert!(lo < 0.7 && hi > 0.7);
        let (lo2, hi2) = wilson(700, 1000);
        assert!(hi2 - lo2 < hi - lo);
        assert_eq!(wilson(0, 10).0, 0.0);
    }

    #[test]
    fn resampling_follows_the_weights() {
        let p = |w| Particle {
            slot: 0,
            born: 0,
            theta: vec![w],
            weight: w,
            distance: 0.0,
            mean: vec![],
            sd: vec![],
        };
        let pop = vec![p(1.0), p(3.0)];
        let picked = resample(&pop, 100, 1);
        let heavy = picked.iter().filter(|q| q.weight == 3.0).count();
        assert!((74..=76).contains(&heavy), "{heavy}");
    }
}
