//! Running ABC-SMC ([`abc`](super::abc)) against the simulator, with every
//! evaluated proposal appended to a journal as it finishes and every
//! generation written to disk when it ends, so a killed calibration resumes
//! where it stopped and ends with the same posterior.
//!
//! Files in the calibration's folder:
//! - `state.json`: the fingerprint of the calibration and one entry per
//!   finished generation (tolerance, acceptance rate, simulations);
//! - `generations/gen-NNN.csv`: the population kept at generation NNN;
//! - `generations/journal-NNN.csv`: proposals of the generation under way,
//!   one line each, ending in `end` (a line cut by a kill is ignored).
//!
//! A proposal's draws, worlds and runs depend only on (seed, generation,
//! slot), and a generation on the population before it, so the posterior
//! does not depend on the thread count, the order proposals finish in, or
//! where a run was interrupted.

use anyhow::{Context, Result, anyhow, bail};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use super::abc::{
    Kernel, Particle, distance, from_prior, keep_closest, observation, prior_density, proposal_rng,
    proposals,
};
use super::spec::Calibration;
use crate::output::{atomic_write, year_value};
use crate::rng::derive_seed;
use crate::runner::{self, RunError, RunResult};
use crate::scenario::Scenario;

/// Runs of a scenario through the runner: the one place calibration calls
/// it. Runs `runs` replicates of `sc` (only strategy `only`, if given) for
/// `years` years with master seed `seed`; every strategy of a replicate
/// shares its world and burn-in (common random numbers).
pub fn simulate(
    sc: &Scenario,
    only: Option<usize>,
    seed: u64,
    runs: u32,
    years: u32,
) -> Result<Vec<RunResult>, RunError> {
    let mut sc = sc.clone();
    if let Some(i) = only {
        sc.strategies = vec![sc.strategies[i].clone()];
    }
    sc.run.seed = seed;
    sc.run.replicates = runs;
    sc.run.years = years;
    Ok(runner::run(&sc, false, &|_| {})?.runs)
}

/// The `--set` assignments of parameter vector `theta` (levers only;
/// whole-number levers rounded).
pub fn sets_of(cal: &Calibration, theta: &[f64]) -> Vec<String> {
    cal.priors
        .iter()
        .zip(theta)
        .map(|(p, &x)| {
            if p.integer {
                format!("{}={}", p.key, x.round() as i64)
            } else {
                format!("{}={x}", p.key)
            }
        })
        .collect()
}

/// The scenario at `theta`.
pub fn scenario_at(cal: &Calibration, theta: &[f64]) -> Result<Scenario> {
    let mut sc = cal.base.clone();
    let sets = sets_of(cal, theta);
    sc.apply_set(&sets).map_err(|e| {
        anyhow!(
            "{}: the scenario is not valid at {}:\n{e}",
            cal.source,
            sets.join(", ")
        )
    })?;
    Ok(sc)
}

/// Mean and standard deviation across runs of the observed indicator at
/// each observed year, for `theta` (runs seeded by generation and slot).
pub fn evaluate(
    cal: &Calibration,
    theta: &[f64],
    generation: u32,
    slot: u32,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let sc = scenario_at(cal, theta)?;
    let years = cal.model_years();
    let last = *years.last().expect("a series has years");
    let seed = derive_seed(cal.seed, &[generation as u64, slot as u64]);
    let runs = simulate(
        &sc,
        Some(cal.strategy_index),
        seed,
        cal.abc.runs,
        last.max(1),
    )?;
    let spy = sc.run.steps_per_year as usize;
    let mut mean = Vec::with_capacity(years.len());
    let mut sd = Vec::with_capacity(years.len());
    for &y in &years {
        let v: Vec<f64> = runs
            .iter()
            .map(|r| year_value(&r.record.rows, spy, y as usize, cal.indicator_index))
            .collect();
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        let s = if v.len() > 1 {
            (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        mean.push(m);
        sd.push(s);
    }
    Ok((mean, sd))
}

/// One finished generation.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Generation {
    pub generation: u32,
    pub tolerance: f64,
    /// Share of the new proposals closer than the previous tolerance (1 at generation 0).
    pub acceptance: f64,
    pub proposals: usize,
    /// Simulations so far, this generation included.
    pub simulations: u64,
    /// Seconds of wall time so far (informative; not part of the result).
    pub seconds: f64,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct State {
    fingerprint: String,
    generations: Vec<Generation>,
    /// Why the calibration stopped, once it has.
    stopped: Option<String>,
}

/// A finished calibration.
#[derive(Clone, Debug)]
pub struct Fit {
    pub population: Vec<Particle>,
    pub generations: Vec<Generation>,
    /// Why it stopped: converged, budget or time.
    pub stopped: String,
    /// Simulations run by this call (0 when everything was on disk).
    pub fresh_simulations: u64,
    pub seconds: f64,
}

/// Progress of a calibration, for a display.
#[derive(Clone, Debug)]
pub enum Progress {
    /// `done` of `total` proposals of generation `generation` evaluated.
    Proposal {
        generation: u32,
        done: usize,
        total: usize,
    },
    /// A generation finished; `eta` is the estimated seconds left (to the
    /// budget, at the speed so far).
    Generation { info: Generation, eta: f64 },
}

/// Why a calibration did not finish.
#[derive(Debug, thiserror::Error)]
#[error(
    "interrupted: {saved} of {total} proposals of generation {generation} are saved in {}; continue with `orglearn calibrate {calibration} --out {} --resume`",
    dir.display(),
    dir.display()
)]
pub struct Interrupted {
    pub saved: usize,
    pub total: usize,
    pub generation: u32,
    pub dir: PathBuf,
    pub calibration: String,
}

/// A fingerprint of what determines the result: the calibration's text and
/// the number of fitted years.
pub fn fingerprint(text: &str, fit: usize) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes().chain(fit.to_le_bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn gen_path(dir: &Path, g: u32) -> PathBuf {
    dir.join("generations").join(format!("gen-{g:03}.csv"))
}

fn journal_path(dir: &Path, g: u32) -> PathBuf {
    dir.join("generations").join(format!("journal-{g:03}.csv"))
}

/// Whether `dir` holds a calibration (finished or not).
pub fn has_state(dir: &Path) -> bool {
    dir.join("state.json").is_file()
}

fn read_state(dir: &Path) -> Result<State> {
    let p = dir.join("state.json");
    let text =
        std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a calibration state", p.display()))
}

fn write_state(dir: &Path, s: &State) -> Result<()> {
    let text = serde_json::to_string_pretty(s)?;
    atomic_write(&dir.join("state.json"), |w| w.write_all(text.as_bytes()))?;
    Ok(())
}

/// A particle as one line: slot, born, weight, distance, theta, mean, sd.
fn particle_line(p: &Particle) -> String {
    let mut v = vec![
        p.slot.to_string(),
        p.born.to_string(),
        p.weight.to_string(),
        p.distance.to_string(),
    ];
    v.extend(p.theta.iter().map(f64::to_string));
    v.extend(p.mean.iter().map(f64::to_string));
    v.extend(p.sd.iter().map(f64::to_string));
    v.join(",")
}

fn parse_particle(line: &str, d: usize, t: usize) -> Option<Particle> {
    let f: Vec<&str> = line.split(',').collect();
    if f.len() != 4 + d + 2 * t {
        return None;
    }
    let num = |s: &str| s.parse::<f64>().ok();
    let nums: Option<Vec<f64>> = f[2..].iter().map(|s| num(s)).collect();
    let nums = nums?;
    Some(Particle {
        slot: f[0].parse().ok()?,
        born: f[1].parse().ok()?,
        weight: nums[0],
        distance: nums[1],
        theta: nums[2..2 + d].to_vec(),
        mean: nums[2 + d..2 + d + t].to_vec(),
        sd: nums[2 + d + t..].to_vec(),
    })
}

fn write_population(path: &Path, cal: &Calibration, pop: &[Particle]) -> Result<()> {
    let mut head = vec![
        "slot".to_string(),
        "born".into(),
        "weight".into(),
        "distance".into(),
    ];
    head.extend(cal.all_priors().iter().map(|p| p.key.clone()));
    head.extend(cal.observed.years.iter().map(|y| format!("mean_{y}")));
    head.extend(cal.observed.years.iter().map(|y| format!("sd_{y}")));
    atomic_write(path, |w| {
        writeln!(w, "{}", head.join(","))?;
        for p in pop {
            writeln!(w, "{}", particle_line(p))?;
        }
        Ok(())
    })?;
    Ok(())
}

fn read_population(path: &Path, d: usize, t: usize) -> Result<Vec<Particle>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .skip(1)
        .enumerate()
        .map(|(i, l)| {
            parse_particle(l, d, t)
                .ok_or_else(|| anyhow!("{}:{}: not a particle row", path.display(), i + 2))
        })
        .collect()
}

/// Proposals of generation `g` already in its journal, by slot.
fn read_journal(dir: &Path, g: u32, d: usize, t: usize) -> BTreeMap<u32, Particle> {
    let Ok(text) = std::fs::read_to_string(journal_path(dir, g)) else {
        return BTreeMap::new();
    };
    text.lines()
        .filter_map(|l| l.strip_suffix(",end"))
        .filter_map(|l| parse_particle(l, d, t))
        .map(|p| (p.slot, p))
        .collect()
}

/// Run (or resume) the calibration of `cal`'s first `fit` observations in
/// `dir`. `text` is the calibration file's text (its fingerprint guards a
/// resume). With `resume`, generations and proposals on disk are kept;
/// without, `dir` must not hold a calibration. `stop` is polled between
/// proposals (Ctrl-C).
pub fn run(
    cal: &Calibration,
    text: &str,
    fit: usize,
    dir: &Path,
    resume: bool,
    stop: &AtomicBool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Fit> {
    let t0 = Instant::now();
    let priors = cal.all_priors();
    let (d, t) = (priors.len(), cal.observed.years.len());
    let n = cal.abc.particles;
    let fp = fingerprint(text, fit);
    std::fs::create_dir_all(dir.join("generations"))
        .with_context(|| format!("cannot create {}", dir.join("generations").display()))?;
    let mut state = if resume && has_state(dir) {
        let s = read_state(dir)?;
        if s.fingerprint != fp {
            bail!(
                "{} holds a calibration of a different file or series; pass --fresh to start again there, or choose another --out",
                dir.display()
            );
        }
        s
    } else {
        State {
            fingerprint: fp,
            generations: Vec::new(),
            stopped: None,
        }
    };
    let mut pop = match state.generations.last() {
        Some(g) => read_population(&gen_path(dir, g.generation), d, t)?,
        None => Vec::new(),
    };
    let seconds_before = state.generations.last().map_or(0.0, |g| g.seconds);
    let mut fresh = 0u64;
    let (n_levers, has_o, has_s) = (cal.priors.len(), cal.offset.is_some(), cal.scale.is_some());
    let obs = &cal.observed;
    while state.stopped.is_none() {
        let g = state.generations.len() as u32;
        let m = proposals(n, cal.abc.alpha, g);
        let kernel = (g > 0).then(|| Kernel::new(&pop, &priors));
        let done = read_journal(dir, g, d, t);
        let saved = AtomicUsize::new(done.len());
        let journal = Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(journal_path(dir, g))
                .with_context(|| format!("cannot open {}", journal_path(dir, g).display()))?,
        );
        let results: Vec<Option<Result<Particle>>> = (0..m as u32)
            .into_par_iter()
            .map(|slot| {
                if let Some(p) = done.get(&slot) {
                    return Some(Ok(p.clone()));
                }
                if stop.load(Ordering::SeqCst) {
                    return None;
                }
                let mut rng = proposal_rng(cal.seed, g, slot);
                let theta = match &kernel {
                    None => from_prior(&priors, &mut rng),
                    Some(k) => k.propose(&priors, &mut rng),
                };
                let (mean, sd) = match evaluate(cal, &theta, g, slot) {
                    Ok(v) => v,
                    Err(e) => return Some(Err(e)),
                };
                let (o, s) = observation(&theta, n_levers, has_o, has_s);
                let dist = distance(&obs.values, &obs.se, fit, &mean, &sd, cal.abc.runs, o, s);
                let weight = match &kernel {
                    None => 1.0,
                    Some(k) => prior_density(&priors, &theta) / k.density(&theta),
                };
                let p = Particle {
                    slot,
                    born: g,
                    theta,
                    weight,
                    distance: dist,
                    mean,
                    sd,
                };
                let line = format!("{},end\n", particle_line(&p));
                if let Ok(mut f) = journal.lock() {
                    let _ = f.write_all(line.as_bytes()).and_then(|_| f.flush());
                }
                let k = saved.fetch_add(1, Ordering::SeqCst) + 1;
                progress(Progress::Proposal {
                    generation: g,
                    done: k,
                    total: m,
                });
                Some(Ok(p))
            })
            .collect();
        fresh += (m - done.len()) as u64 * cal.abc.runs as u64;
        if results.iter().any(Option::is_none) {
            return Err(Interrupted {
                saved: saved.load(Ordering::SeqCst),
                total: m,
                generation: g,
                dir: dir.to_path_buf(),
                calibration: cal.source.clone(),
            }
            .into());
        }
        let new: Vec<Particle> = results
            .into_iter()
            .map(|r| r.expect("checked"))
            .collect::<Result<_>>()?;
        let acceptance = match state.generations.last() {
            None => 1.0,
            Some(prev) => {
                new.iter().filter(|p| p.distance < prev.tolerance).count() as f64 / m as f64
            }
        };
        let mut pool = std::mem::take(&mut pop);
        pool.extend(new);
        let (kept, eps) = keep_closest(pool, n);
        pop = kept;
        let sims = state.generations.last().map_or(0, |p| p.simulations)
            + (m as u64) * cal.abc.runs as u64;
        let info = Generation {
            generation: g,
            tolerance: eps,
            acceptance,
            proposals: m,
            simulations: sims,
            seconds: seconds_before + t0.elapsed().as_secs_f64(),
        };
        write_population(&gen_path(dir, g), cal, &pop)?;
        state.generations.push(info.clone());
        let next = proposals(n, cal.abc.alpha, g + 1) as u64 * cal.abc.runs as u64;
        state.stopped = if g > 0 && acceptance < cal.abc.min_acceptance {
            Some(format!(
                "converged: {:.0}% of the new proposals were accepted, below the {:.0}% asked",
                acceptance * 100.0,
                cal.abc.min_acceptance * 100.0
            ))
        } else if sims + next > cal.abc.budget {
            Some(format!(
                "budget: {sims} of {} simulations spent (another generation needs {next})",
                cal.abc.budget
            ))
        } else if cal
            .abc
            .minutes
            .is_some_and(|mins| info.seconds > mins * 60.0)
        {
            Some(format!(
                "time: {:.1} of {} minutes spent",
                info.seconds / 60.0,
                cal.abc.minutes.unwrap_or_default()
            ))
        } else {
            None
        };
        write_state(dir, &state)?;
        let _ = std::fs::remove_file(journal_path(dir, g));
        let rate = sims as f64 / info.seconds.max(1e-9);
        let eta = (cal.abc.budget.saturating_sub(sims)) as f64 / rate;
        progress(Progress::Generation { info, eta });
    }
    Ok(Fit {
        population: pop,
        generations: state.generations.clone(),
        stopped: state.stopped.clone().unwrap_or_default(),
        fresh_simulations: fresh,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
