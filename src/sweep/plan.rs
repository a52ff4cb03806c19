//! The plan of a sweep: every run listed before anything runs, each with its
//! run id, point id, replicate and seed, and the shards that split it.
//!
//! A run is one point x one replicate: run id `point x replicates +
//! replicate`. The seed of a run depends on its replicate only,
//! `derive_seed(sweep seed, [replicate])`, so every point sees the same
//! worlds (common random numbers across points, as across strategies). A
//! run's world is the world the base scenario builds for its replicate 0
//! with that seed, so `orglearn run BASE --seed SEED --replicates 1 --set
//! LEVER=VALUE ...` reproduces it.
//!
//! Shard `I/N` holds the runs whose id is `I - 1` modulo `N`: a fixed,
//! interleaved 1/N of the plan, so shards of a sweep whose cost varies
//! along a lever still take about the same time.

use super::design;
use super::spec::{Design, LValue, Sweep};
use crate::rng::derive_seed;
use std::fmt;
use std::str::FromStr;

/// Every point and run of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Lever values of each point (one per lever, in the sweep's order).
    pub points: Vec<Vec<LValue>>,
    /// Unit-cube coordinates of each point (a grid: value index / (values - 1)).
    pub units: Vec<Vec<f64>>,
    pub replicates: u32,
    /// Seed of each replicate.
    pub seeds: Vec<u64>,
}

/// One planned run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlannedRun {
    pub id: u64,
    pub point: u64,
    pub replicate: u32,
    pub seed: u64,
}

/// Shard `index` of `count` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("expected I/N with 1 <= I <= N (e.g. 2/8), found \"{s}\"");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Does this shard hold run `id`?
    pub fn holds(&self, id: u64) -> bool {
        id % self.count as u64 == (self.index - 1) as u64
    }
}

impl Plan {
    /// The plan of a validated sweep.
    pub fn new(sw: &Sweep) -> Plan {
        let d = sw.levers.len();
        let n = sw.samples as usize;
        let (points, units) = match sw.design {
            Design::Grid => grid(sw),
            design => {
                let units = match design {
                    Design::Random => design::random(n, d, sw.seed),
                    Design::Lhs => design::lhs(n, d, sw.seed),
                    Design::Sobol => design::saltelli(n, d, sw.seed),
                    _ => design::morris(n, d, sw.levels, sw.seed),
                };
                let points = units
                    .iter()
                    .map(|u| sw.levers.iter().zip(u).map(|(l, &x)| l.at(x)).collect())
                    .collect();
                (points, units)
            }
        };
        Plan {
            points,
            units,
            replicates: sw.replicates,
            seeds: (0..sw.replicates).map(|r| run_seed(sw.seed, r)).collect(),
        }
    }

    /// Number of runs.
    pub fn n_runs(&self) -> u64 {
        self.points.len() as u64 * self.replicates as u64
    }

    /// Run `id`.
    pub fn run(&self, id: u64) -> PlannedRun {
        let r = self.replicates as u64;
        let replicate = (id % r) as u32;
        PlannedRun {
            id,
            point: id / r,
            replicate,
            seed: self.seeds[replicate as usize],
        }
    }

    /// The run ids of a shard (all runs for `None`), ascending.
    pub fn ids(&self, shard: Option<Shard>) -> Vec<u64> {
        (0..self.n_runs())
            .filter(|&id| shard.is_none_or(|s| s.holds(id)))
            .collect()
    }
}

/// The seed of replicate `r`: `derive_seed(seed, [r])`, kept to 63 bits so
/// that a scenario's `seed` (and `orglearn run --seed`) can take it.
pub fn run_seed(seed: u64, r: u32) -> u64 {
    derive_seed(seed, &[r as u64]) & (i64::MAX as u64)
}

/// Every combination of the levers' grid values, the first lever varying
/// slowest.
fn grid(sw: &Sweep) -> (Vec<Vec<LValue>>, Vec<Vec<f64>>) {
    let values: Vec<Vec<LValue>> = sw.levers.iter().map(|l| l.grid()).collect();
    let total: usize = values.iter().map(Vec::len).product();
    let mut points = Vec::with_capacity(total);
    let mut units = Vec::with_capacity(total);
    for mut k in 0..total {
        let mut idx = vec![0usize; values.len()];
        for (j, v) in values.iter().enumerate().rev() {
            idx[j] = k % v.len();
            k /= v.len();
        }
        points.push(
            idx.iter()
                .zip(&values)
                .map(|(&i, v)| v[i].clone())
                .collect(),
        );
        units.push(
            idx.iter()
                .zip(&values)
                .map(|(&i, v)| {
                    if v.len() > 1 {
                        i as f64 / (v.len() - 1) as f64
                    } else {
                        0.5
                    }
                })
                .collect(),
        );
    }
    (points, units)
}

/// A fingerprint of everything that decides a sweep's runs and their
/// results: the resolved base scenario, `[set]`, seed, design and sizes,
/// strategies, recorded columns, levers and every point. Two folders hold
/// parts of the same sweep exactly when their fingerprints agree.
pub fn fingerprint(sw: &Sweep, plan: &Plan) -> String {
    let mut base = sw
        .base_scenario()
        .map(|s| serde_json::to_value(s).unwrap_or_default())
        .unwrap_or_default();
    if let Some(o) = base.as_object_mut() {
        o.remove("source");
    }
    let points: Vec<Vec<String>> = plan
        .points
        .iter()
        .map(|p| p.iter().map(|v| v.to_string()).collect())
        .collect();
    // The contents of the data files the base scenario reads (their paths
    // are in `base`): shards of different data never merge.
    let data: Vec<String> = sw
        .base_scenario()
        .map(crate::provenance::data_files)
        .unwrap_or_default()
        .into_iter()
        .map(|f| f.sha256)
        .collect();
    let v = serde_json::json!({
        "base": base,
        "data_files": data,
        "set": sw.set,
        "seed": sw.seed,
        "design": sw.design,
        "samples": sw.samples,
        "levels": sw.levels,
        "replicates": sw.replicates,
        "strategies": sw.strategies,
        "columns": sw.column_names(),
        "levers": sw.levers,
        "points": points,
        "seeds": plan.seeds,
        "model": env!("CARGO_PKG_VERSION"),
    });
    // FNV-1a, 64 bits.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in v.to_string().bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition() {
        assert_eq!(
            "2/8".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 8 }
        );
        for bad in ["0/3", "4/3", "1", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let shards: Vec<Shard> = (1..=3).map(|i| Shard { index: i, count: 3 }).collect();
        for id in 0..100 {
            assert_eq!(shards.iter().filter(|s| s.holds(id)).count(), 1);
        }
    }
}
