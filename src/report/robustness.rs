//! Robustness of the headline: does the summary's headline comparison
//! (strategy A ahead of B on the headline indicator) survive variation of
//! the levers the registry marks as uncertain (`params::UNCERTAIN`)?
//!
//! A Latin hypercube of `robustness_points` variations, each run for
//! `robustness_runs` replicates of A and B only, through the same runner
//! as the main run. All variations share the seed and replicate numbers
//! (common random numbers), so they differ by the levers alone. At each
//! variation the verdict *holds* when A is still ahead of B on average
//! over its runs. Where it does not always hold, one CART split (the
//! sampled lever and threshold that best separate variations where it
//! holds from those where it flips, by Gini impurity) names the conditions
//! under which it flips.
//!
//! The analysis ([`best_split`], [`sentence`]) is pure; [`check`] runs the
//! design.

use rayon::prelude::*;

use crate::model::indicators::Ind;
use crate::output::year_value;
use crate::params::{UNCERTAIN, Uncertain, Value};
use crate::runner::{self, RunError};
use crate::scenario::Scenario;

/// One variation of the design and what came of it.
#[derive(Clone, Debug)]
pub struct Point {
    /// The uncertain levers' values, in `UNCERTAIN` order.
    pub values: Vec<f64>,
    /// Mean advantage of A over B (positive: A better) over the runs.
    pub advantage: f64,
}

/// The split that best separates variations where the verdict holds from
/// those where it flips.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Split {
    /// Index into the levers.
    pub lever: usize,
    pub threshold: f64,
    /// Whether the flips lie above the threshold (else below).
    pub flips_above: bool,
    /// Variations on the flipping side, and how many of them flip.
    pub side: usize,
    pub side_flips: usize,
}

fn gini(flips: usize, n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let p = flips as f64 / n as f64;
    2.0 * p * (1.0 - p)
}

/// The single CART split over the levers (thresholds midway between
/// sampled values) that most reduces the weighted Gini impurity of
/// holds/flips; `None` when the verdict never flips or always does.
pub fn best_split(values: &[Vec<f64>], holds: &[bool]) -> Option<Split> {
    let n = holds.len();
    let flips = holds.iter().filter(|h| !**h).count();
    if n == 0 || flips == 0 || flips == n {
        return None;
    }
    let d = values.first().map_or(0, Vec::len);
    let mut best: Option<(f64, Split)> = None;
    // `lever` indexes the columns of `values` (each row is one variation).
    #[allow(clippy::needless_range_loop)]
    for lever in 0..d {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| {
            values[a][lever]
                .total_cmp(&values[b][lever])
                .then(a.cmp(&b))
        });
        let mut below_flips = 0usize;
        for k in 1..n {
            if !holds[order[k - 1]] {
                below_flips += 1;
            }
            let (x0, x1) = (values[order[k - 1]][lever], values[order[k]][lever]);
            if x1 <= x0 {
                continue;
            }
            let above_flips = flips - below_flips;
            let (nb, na) = (k, n - k);
            let cost =
                (nb as f64 * gini(below_flips, nb) + na as f64 * gini(above_flips, na)) / n as f64;
            let flips_above = above_flips as f64 / na as f64 > below_flips as f64 / nb as f64;
            let split = Split {
                lever,
                threshold: 0.5 * (x0 + x1),
                flips_above,
                side: if flips_above { na } else { nb },
                side_flips: if flips_above {
                    above_flips
                } else {
                    below_flips
                },
            };
            if best.as_ref().is_none_or(|(c, _)| cost < *c - 1e-12) {
                best = Some((cost, split));
            }
        }
    }
    best.map(|(_, s)| s)
}

/// A number as it reads in a sentence (up to three significant decimals).
fn short(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// The robustness finding in words. `a`, `b`: the headline's strategies;
/// `what`: the headline indicator's label.
pub fn sentence(a: &str, b: &str, what: &str, levers: &[Uncertain], points: &[Point]) -> String {
    let holds: Vec<bool> = points.iter().map(|p| p.advantage > 0.0).collect();
    let n = points.len();
    let k = holds.iter().filter(|h| **h).count();
    let names: Vec<&str> = levers.iter().map(|u| u.words).collect();
    let mut s = format!(
        "Robustness: varying {} over their plausible ranges in {n} variations, {a} stays ahead of {b} on {what} in {k} of {n}.",
        join(&names),
    );
    let values: Vec<Vec<f64>> = points.iter().map(|p| p.values.clone()).collect();
    match best_split(&values, &holds) {
        None if k == n => s.push_str(" The headline holds throughout."),
        None => s.push_str(&format!(" {b} leads instead throughout.")),
        Some(sp) => s.push_str(&format!(
            " {b} leads instead when {} is {} {} (in {} of the {} variations there).",
            levers[sp.lever].words,
            if sp.flips_above { "above" } else { "below" },
            short(sp.threshold),
            sp.side_flips,
            sp.side
        )),
    }
    s
}

fn join(items: &[&str]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].to_string(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// Set an uncertain lever on a scenario: `landscape.*`, `schools.*`, or a
/// strategy lever (`levers.*`) in the base, burn-in and every strategy and
/// authority group.
pub fn set(sc: &mut Scenario, key: &str, x: f64) -> Result<(), String> {
    let v = Value::Float(x);
    let (section, k) = key
        .split_once('.')
        .ok_or_else(|| format!("{key}: no section"))?;
    match section {
        "landscape" => sc.landscape.set(k, &v),
        "schools" => sc.schools.set(k, &v),
        "levers" => {
            sc.base.set(k, &v)?;
            for st in &mut sc.strategies {
                st.levers.set(k, &v)?;
                for g in &mut st.groups {
                    g.levers.set(k, &v)?;
                }
            }
            Ok(())
        }
        _ => Err(format!("{key}: cannot be varied")),
    }
}

/// The design: `points` variations of the uncertain levers (a Latin
/// hypercube scaled to each lever's range), seeded by the scenario's seed.
pub fn design(points: usize, seed: u64) -> Vec<Vec<f64>> {
    crate::sweep::design::lhs(points, UNCERTAIN.len(), seed)
        .into_iter()
        .map(|u| {
            u.iter()
                .zip(UNCERTAIN)
                .map(|(x, l)| l.lo + x * (l.hi - l.lo))
                .collect()
        })
        .collect()
}

/// Run the design for strategies `a` against `b` on indicator `ind` (more
/// is better when `higher_is_better`) at the last year.
pub fn check(
    sc: &Scenario,
    a: usize,
    b: usize,
    ind: Ind,
    higher_is_better: bool,
) -> Result<Vec<Point>, RunError> {
    let pts = design(sc.run.robustness_points as usize, sc.run.seed);
    let mut base = sc.clone();
    base.strategies = vec![sc.strategies[a].clone(), sc.strategies[b].clone()];
    base.run.replicates = sc.run.robustness_runs;
    let spy = sc.run.steps_per_year as usize;
    let year = sc.run.years as usize;
    let sign = if higher_is_better { 1.0 } else { -1.0 };
    pts.par_iter()
        .map(|vals| {
            let mut v = base.clone();
            for (u, &x) in UNCERTAIN.iter().zip(vals) {
                set(&mut v, u.key, x).map_err(|message| RunError::Mix {
                    replicate: 0,
                    message,
                })?;
            }
            let res = runner::run(&v, false, &|_| {})?;
            let at = |s: usize| -> Vec<(u32, f64)> {
                res.runs
                    .iter()
                    .filter(|r| r.strategy == s)
                    .map(|r| {
                        (
                            r.replicate,
                            year_value(&r.record.rows, spy, year, ind as usize),
                        )
                    })
                    .collect()
            };
            let (xa, xb) = (at(0), at(1));
            let d: Vec<f64> = xa
                .iter()
                .filter_map(|(r, x)| xb.iter().find(|(q, _)| q == r).map(|(_, y)| sign * (x - y)))
                .filter(|d| d.is_finite())
                .collect();
            let advantage = if d.is_empty() {
                f64::NAN
            } else {
                d.iter().sum::<f64>() / d.len() as f64
            };
            Ok(Point {
                values: vals.clone(),
                advantage,
            })
        })
        .collect()
}

/// `robustness.csv`: one row per variation, its levers and the result.
pub fn csv(points: &[Point], a: &str, b: &str) -> String {
    let mut s = String::from("variation");
    for u in UNCERTAIN {
        s.push(',');
        s.push_str(u.key);
    }
    s.push_str(",advantage,holds,ahead,behind\n");
    let q = |x: &str| {
        if x.contains([',', '"', '\n']) {
            format!("\"{}\"", x.replace('"', "\"\""))
        } else {
            x.to_string()
        }
    };
    for (i, p) in points.iter().enumerate() {
        s.push_str(&(i + 1).to_string());
        for x in &p.values {
            s.push_str(&format!(",{x}"));
        }
        s.push_str(&format!(
            ",{},{},{},{}\n",
            if p.advantage.is_finite() {
                p.advantage.to_string()
            } else {
                String::new()
            },
            p.advantage > 0.0,
            q(a),
            q(b)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_names_the_lever_and_side_where_the_leader_reverses() {
        // A leads when lever 1 is above 0.4, B below; lever 0 is noise.
        let pts: Vec<Point> = design(64, 7)
            .into_iter()
            .map(|v| {
                let x = (v[0] - UNCERTAIN[0].lo) / (UNCERTAIN[0].hi - UNCERTAIN[0].lo);
                let t = (v[1] - UNCERTAIN[1].lo) / (UNCERTAIN[1].hi - UNCERTAIN[1].lo);
                Point {
                    advantage: (t - 0.4) + 0.01 * (x - 0.5),
                    values: v,
                }
            })
            .collect();
        let s = sentence("enquiry", "cascade", "mean attainment", UNCERTAIN, &pts);
        let cut = UNCERTAIN[1].lo + 0.4 * (UNCERTAIN[1].hi - UNCERTAIN[1].lo);
        assert!(
            s.contains(&format!(
                "cascade leads instead when {} is below",
                UNCERTAIN[1].words
            )),
            "{s}"
        );
        let vals: Vec<Vec<f64>> = pts.iter().map(|p| p.values.clone()).collect();
        let holds: Vec<bool> = pts.iter().map(|p| p.advantage > 0.0).collect();
        let sp = best_split(&vals, &holds).unwrap();
        assert_eq!(sp.lever, 1);
        assert!(!sp.flips_above);
        assert!((sp.threshold - cut).abs() < 0.05 * (UNCERTAIN[1].hi - UNCERTAIN[1].lo));
        assert_eq!(sp.side, sp.side_flips, "a clean split");
    }

    #[test]
    fn a_verdict_that_always_holds_has_no_split() {
        let pts: Vec<Point> = design(16, 1)
            .into_iter()
            .map(|v| Point {
                values: v,
                advantage: 1.0,
            })
            .collect();
        let s = sentence("a", "b", "x", UNCERTAIN, &pts);
        assert!(
            s.contains("in 16 of 16") && s.contains("holds throughout"),
            "{s}"
        );
    }
}
