//! Shared helpers of the integration tests: building scenarios from TOML
//! text, running them, reading indicators by strategy, replicate and year,
//! and paired statistics across replicates.
//!
//! Strategies of one scenario share every replicate's world, burn-in and
//! random streams (common random numbers), so two strategies are compared
//! by their paired difference on each replicate.

#![allow(dead_code)]

use orglearn::model::N_IND;
use orglearn::model::indicators::Ind;
use orglearn::output::year_value;
use orglearn::runner::{self, Results};
use orglearn::scenario::Scenario;

/// Parse a scenario from TOML text, panicking with the full message on error.
pub fn scenario(text: &str) -> Scenario {
    Scenario::from_str(text, "test.toml", None)
        .unwrap_or_else(|e| panic!("scenario does not parse:\n{e}\n---\n{text}"))
}

/// A finished run of a scenario.
pub struct Run {
    pub sc: Scenario,
    pub res: Results,
}

impl Run {
    /// Parse and run `text` (aggregate indicators only).
    pub fn new(text: &str) -> Run {
        Run::of(scenario(text), false)
    }

    /// Parse and run `text`, keeping per-school rows.
    pub fn per_school(text: &str) -> Run {
        Run::of(scenario(text), true)
    }

    /// Run a parsed scenario.
    pub fn of(sc: Scenario, per_school: bool) -> Run {
        let res = runner::run(&sc, per_school, &|_| {}).expect("the scenario runs");
        assert_eq!(
            res.runs.len(),
            sc.strategies.len() * sc.run.replicates as usize,
            "one run per strategy and replicate"
        );
        Run { sc, res }
    }

    pub fn spy(&self) -> usize {
        self.sc.run.steps_per_year as usize
    }

    pub fn replicates(&self) -> usize {
        self.sc.run.replicates as usize
    }

    /// Index of the strategy called `name`.
    pub fn strategy(&self, name: &str) -> usize {
        self.sc
            .strategies
            .iter()
            .position(|s| s.name == name)
            .unwrap_or_else(|| panic!("no strategy named {name:?}"))
    }

    /// Indicator rows of strategy `name` on replicate `rep`.
    pub fn rows(&self, name: &str, rep: usize) -> &[f64] {
        let s = self.strategy(name);
        let run = self
            .res
            .runs
            .iter()
            .find(|r| r.strategy == s && r.replicate as usize == rep)
            .unwrap_or_else(|| panic!("no run of {name:?} on replicate {rep}"));
        assert_eq!(run.record.rows.len(), (self.res.steps + 1) * N_IND);
        &run.record.rows
    }

    /// The whole run record of strategy `name` on replicate `rep`.
    pub fn record(&self, name: &str, rep: usize) -> &orglearn::model::RunRecord {
        let s = self.strategy(name);
        &self
            .res
            .runs
            .iter()
            .find(|r| r.strategy == s && r.replicate as usize == rep)
            .unwrap_or_else(|| panic!("no run of {name:?} on replicate {rep}"))
            .record
    }

    /// Indicator `ind` of strategy `name` at year `y`, one value per
    /// replicate (level at the year's end, or the year's total for
    /// activity counts).
    pub fn at(&self, name: &str, y: usize, ind: Ind) -> Vec<f64> {
        (0..self.replicates())
            .map(|r| year_value(self.rows(name, r), self.spy(), y, ind as usize))
            .collect()
    }

    /// Indicator `ind` of strategy `name`, summed over years `from..=to`
    /// (for activity counts: the total over those years), per replicate.
    pub fn total(&self, name: &str, from: usize, to: usize, ind: Ind) -> Vec<f64> {
        (0..self.replicates())
            .map(|r| {
                (from..=to)
                    .map(|y| year_value(self.rows(name, r), self.spy(), y, ind as usize))
                    .sum()
            })
            .collect()
    }

    /// Change of indicator `ind` from year `y0` to year `y1`, per replicate.
    pub fn change(&self, name: &str, y0: usize, y1: usize, ind: Ind) -> Vec<f64> {
        diff(&self.at(name, y1, ind), &self.at(name, y0, ind))
    }

    /// Gain of strategy `a` over strategy `b` in indicator `ind` at year `y`,
    /// per replicate.
    pub fn gain(&self, a: &str, b: &str, y: usize, ind: Ind) -> Vec<f64> {
        diff(&self.at(a, y, ind), &self.at(b, y, ind))
    }
}

/// Element-wise `a - b`.
pub fn diff(a: &[f64], b: &[f64]) -> Vec<f64> {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

/// Mean and standard error of the finite values of a sample.
#[derive(Clone, Copy, Debug)]
pub struct Est {
    pub n: usize,
    pub mean: f64,
    pub se: f64,
}

impl Est {
    /// Mean in units of its standard error (a t statistic against 0).
    pub fn t(&self) -> f64 {
        if self.se > 0.0 {
            self.mean / self.se
        } else if self.mean > 0.0 {
            f64::INFINITY
        } else if self.mean < 0.0 {
            f64::NEG_INFINITY
        } else {
            0.0
        }
    }
}

impl std::fmt::Display for Est {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.5} (s.e. {:.5}, t {:.2}, n {})",
            self.mean,
            self.se,
            self.t(),
            self.n
        )
    }
}

/// Mean and standard error of the finite values of `v`.
pub fn est(v: &[f64]) -> Est {
    let x: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let n = x.len();
    assert!(n >= 2, "need at least two finite values, got {n}");
    let mean = x.iter().sum::<f64>() / n as f64;
    let var = x.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
    Est {
        n,
        mean,
        se: (var / n as f64).sqrt(),
    }
}

/// Paired difference `a - b` across replicates, skipping pairs where
/// either value is not finite.
pub fn paired(a: &[f64], b: &[f64]) -> Est {
    assert_eq!(a.len(), b.len());
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| x - y)
        .collect();
    est(&d)
}

/// Mean of the finite values.
pub fn mean(v: &[f64]) -> f64 {
    est(v).mean
}

/// Assert that the mean of `e` is positive by more than `z` standard errors.
#[track_caller]
pub fn assert_positive(e: Est, z: f64, what: &str) {
    eprintln!("{what}: {e}");
    assert!(
        e.mean > 0.0 && e.t() > z,
        "{what}: expected a positive mean beyond {z} s.e., got {e}"
    );
}

/// Assert that `a` exceeds `b` (paired by replicate) by more than `z`
/// standard errors of the paired difference.
#[track_caller]
pub fn assert_greater(a: &[f64], b: &[f64], z: f64, what: &str) -> Est {
    let e = paired(a, b);
    eprintln!("{what}: paired difference {e}");
    assert!(
        e.mean > 0.0 && e.t() > z,
        "{what}: expected the first to exceed the second beyond {z} s.e.; paired difference {e}"
    );
    e
}

/// Bit-identical comparison of two slices of floats (NaN equals NaN).
pub fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Column `ind` of a run's rows, every step.
pub fn column(rows: &[f64], ind: Ind) -> Vec<f64> {
    rows.chunks(N_IND).map(|r| r[ind as usize]).collect()
}

/// Paired sign test of `a > b` across replicates, skipping pairs where
/// either value is not finite: (pairs with a > b, pairs compared, z score
/// of that count against a fair coin, with ties counted as half).
pub fn sign_test(a: &[f64], b: &[f64]) -> (f64, usize, f64) {
    assert_eq!(a.len(), b.len());
    let mut wins = 0.0;
    let mut n = 0usize;
    for (x, y) in a.iter().zip(b) {
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        n += 1;
        if x > y {
            wins += 1.0;
        } else if x == y {
            wins += 0.5;
        }
    }
    let z = if n == 0 {
        0.0
    } else {
        (2.0 * wins - n as f64) / (n as f64).sqrt()
    };
    (wins, n, z)
}

/// Median of the finite values.
pub fn median(v: &[f64]) -> f64 {
    let mut x: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    assert!(!x.is_empty(), "median of no finite values");
    x.sort_by(f64::total_cmp);
    let m = x.len() / 2;
    if x.len() % 2 == 1 {
        x[m]
    } else {
        0.5 * (x[m - 1] + x[m])
    }
}
