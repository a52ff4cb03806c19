//! The dynamics: one strategy's run over one replicate's world.
//!
//! State is struct-of-arrays: teachers' practices, pending (mandated,
//! unowned) masks and prior values are flat `u64` arrays indexed through
//! `World::offsets`; schools' codes, capacity, ownership and attainment are
//! flat arrays. Scratch buffers live in the state and are reused, so a step
//! allocates nothing per agent. Every random draw comes from a stream keyed
//! by (seed, replicate, entity, purpose, step), never by strategy.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

use super::bits::{P16, low_mask};
use super::world::World;
use crate::landscape::Landscape;
use crate::network::Network;
use crate::params::Levers;
use crate::rng::{Purpose, stream};

mod attainment;
mod cascade;
mod driver;
mod enquiry;
mod lateral;
mod record;
mod turnover;
mod upward;
mod within;

pub use driver::{Run, RunRecord, burn_in, burn_in_taking, run_mix, run_mix_from, run_strategy};

/// Model settings that are not strategy levers: time and outcome scale.
#[derive(Clone, Debug)]
pub struct Settings {
    pub years: u32,
    pub steps_per_year: u32,
    pub burn_in_years: u32,
    pub practice_effect: f64,
    pub responsiveness: f64,
    pub turbulence: f64,
    /// Coburn sustainability is reported from this many years after withdrawal.
    pub sustain_years: u32,
    /// Record per-school rows every step.
    pub per_school: bool,
}

/// A finding adopted by a school's enquiry and published by the centre.
#[derive(Clone, Copy, Debug)]
struct Finding {
    authority: u32,
    school: u32,
    mask: u64,
    val: u64,
}

/// Per-step activity counts (totals over schools).
#[derive(Clone, Copy, Debug, Default)]
struct Activity {
    init_received: u64,
    init_complied: u64,
    projects_run: u64,
    projects_adopted: u64,
    meetings: u64,
    lateral_adoptions: u64,
    reversions: u64,
    findings_published: u64,
    findings_taken_up: u64,
}

/// Conditions of the year being simulated.
#[derive(Clone, Copy, Debug)]
struct YearFlags {
    pressure: f64,
    funded: bool,
    cascade_active: bool,
}

/// One per-school record (with `--per-school`).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct SchoolRow {
    pub step: u32,
    pub school: u32,
    pub attainment: f64,
    pub quality: f64,
    pub capacity: f64,
    pub ownership: f64,
}

/// The mutable state of one run.
#[derive(Clone, Debug)]
pub struct State {
    pub landscape: Landscape,
    // teachers
    pub practice: Vec<u64>,
    pub pending: Vec<u64>,
    pub prior: Vec<u64>,
    obs: Vec<Scratch>,
    // schools
    pub code_def: Vec<u64>,
    pub code_val: Vec<u64>,
    pub code_mand: Vec<u64>,
    /// Dimensions the school decided (enquiry, peers, advice): code learning leaves them alone until the teachers' majority agrees.
    pub code_decided: Vec<u64>,
    pub capacity: Vec<f64>,
    pub ownership: Vec<f64>,
    pub attainment: Vec<f64>,
    pub quality: Vec<f64>,
    pub majority: Vec<u64>,
    /// Published results, `hist` per school, newest at `pub_head`.
    published: Vec<f64>,
    n_published: u32,
    bench: Vec<f64>,
    skip_next: Vec<bool>,
    focus: Vec<u32>,
    centre_trust: Vec<f64>,
    advice_taken: Vec<bool>,
    yr_projects: Vec<u32>,
    yr_knowledge: Vec<u32>,
    yr_meetings: Vec<u32>,
    last_projects: Vec<u32>,
    last_knowledge: Vec<u32>,
    last_meetings: Vec<u32>,
    rev_count: Vec<u32>,
    /// Publication draws taken by each school this step.
    pub_draws: Vec<u32>,
    // network used for exchange
    pub net: Network,
    pub trust: Vec<f64>,
    adopt_flag: Vec<u8>,
    // centres
    prog_def: Vec<u64>,
    prog_val: Vec<u64>,
    /// Per authority, initiatives issued so far and arrived this year.
    issued: Vec<u64>,
    arrived: Vec<u32>,
    // outcome reference
    pub q0: f64,
    /// Each school's quality at year 0 and when its authority withdrew support.
    q0_school: Vec<f64>,
    q_withdrawn: Vec<f64>,
    year0_majority: Vec<u64>,
    // scratch
    findings: Vec<Finding>,
    team: Vec<u32>,
    eff: Vec<u64>,
    sort_buf: Vec<f64>,
    adviser_msg: Vec<(u64, u64)>,
    adviser_stamp: Vec<u64>,
    act: Activity,
}

const HIST: usize = 20;

/// Sustainability is a share of the quality gain held at withdrawal; below
/// this gain (0.005 of the effectiveness scale, about half a point of
/// attainment with the default practice effect) the share is undefined,
/// because a ratio to a near-zero gain says nothing.
pub const MIN_GAIN_FOR_SUSTAINABILITY: f64 = 0.005;

#[inline]
fn hazard(rate_per_year: f64, dt: f64) -> f64 {
    1.0 - (-rate_per_year * dt).exp()
}

#[inline]
fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

/// Number of failures before the next success of a Bernoulli(p) sequence,
/// given ln(1 - p) (0 when p = 1, "never" when p = 0).
#[inline]
fn geometric_skip<R: Rng + ?Sized>(rng: &mut R, ln_keep: f64) -> usize {
    if ln_keep == 0.0 {
        return usize::MAX / 2;
    }
    if ln_keep == f64::NEG_INFINITY {
        return 0;
    }
    let u = 1.0 - rng.random::<f64>(); // in (0, 1]
    let k = (u.ln() / ln_keep).floor();
    if k >= (usize::MAX / 4) as f64 {
        usize::MAX / 4
    } else {
        k as usize
    }
}

/// Per-teacher scratch of the school-local pass: observed effectiveness,
/// and the true effectiveness of the practice it was observed on (reused
/// for quality when the practice has not changed since).
#[derive(Clone, Copy, Debug, Default)]
struct Scratch {
    obs: f64,
    e: f64,
    x: u64,
}

/// The levers of one strategy, authority by authority: `sets[of_authority[a]]`
/// are the levers authority `a` runs with. A strategy whose authorities all
/// run the same levers has one set ([`Mix::uniform`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Mix {
    /// The lever sets; `sets[0]` is the strategy's own (its default).
    pub sets: Vec<Levers>,
    /// Per authority, the index of its set.
    pub of_authority: Vec<u16>,
}

impl Mix {
    /// Every one of `authorities` runs `l`.
    pub fn uniform(l: &Levers, authorities: usize) -> Mix {
        Mix {
            sets: vec![l.clone()],
            of_authority: vec![0; authorities],
        }
    }

    /// The levers authority `a` runs with.
    pub fn of(&self, a: usize) -> &Levers {
        &self.sets[self.of_authority[a] as usize]
    }

    /// Whether any authority's levers satisfy `f`.
    pub fn any(&self, f: impl Fn(&Levers) -> bool) -> bool {
        self.sets.iter().any(f)
    }
}

/// Derived constants of one lever set.
struct SetCx {
    l: Levers,
    p1: P16,
    p2: f64,
    p_tinker: f64,
    /// `p_tinker` quantised, for drawing who tinkers 16 bits at a time.
    tinker: P16,
    /// ln(1 - p_tinker), for geometric skipping.
    ln_keep_tinker: f64,
    code_table: Vec<f64>,
    /// Conditions of each year `0..=years + 1` (year 0: burn-in).
    flags: Vec<YearFlags>,
}

/// Derived per-run constants.
struct Cx<'a> {
    w: &'a World,
    st: &'a Settings,
    n: u32,
    mask: u64,
    dt: f64,
    scale: f64,
    sets: Vec<SetCx>,
    of_authority: Vec<u16>,
    /// Whether every authority runs the same levers.
    uniform: bool,
    any_cascade: bool,
    any_enquiry: bool,
    any_lateral: bool,
    any_upward: bool,
}

impl<'a> Cx<'a> {
    fn new(w: &'a World, mix: &Mix, st: &'a Settings, q0: f64) -> Cx<'a> {
        assert_eq!(
            mix.of_authority.len(),
            w.n_authorities,
            "a strategy mix must give a lever set for each authority"
        );
        assert!(
            mix.of_authority
                .iter()
                .all(|&k| (k as usize) < mix.sets.len()),
            "a strategy mix refers to a lever set it does not have"
        );
        let dt = 1.0 / st.steps_per_year as f64;
        let max_staff = (0..w.n_schools).map(|s| w.staff(s)).max().unwrap_or(1);
        let sets = mix
            .sets
            .iter()
            .map(|l| {
                let collab = |p: f64| p + l.collaboration * (1.0 - p);
                let p1 = collab(hazard(l.socialisation, dt));
                let p2 = collab(hazard(l.code_learning, dt));
                SetCx {
                    l: l.clone(),
                    p1: P16::new(p1),
                    p2,
                    p_tinker: hazard(l.tinkering, dt),
                    tinker: P16::new(hazard(l.tinkering, dt)),
                    ln_keep_tinker: (1.0 - hazard(l.tinkering, dt)).ln(),
                    code_table: (0..=max_staff)
                        .map(|k| 1.0 - (1.0 - p2).powi(k as i32))
                        .collect(),
                    flags: (0..=st.years + 1).map(|y| year_flags(l, y)).collect(),
                }
            })
            .collect();
        let n = w.landscape.n() as u32;
        let used = |f: &dyn Fn(&Levers) -> bool| {
            mix.of_authority.iter().any(|&k| f(&mix.sets[k as usize]))
        };
        let first = mix.of_authority.first().copied().unwrap_or(0);
        Cx {
            w,
            st,
            n,
            mask: low_mask(n),
            dt,
            scale: st.practice_effect / (1.0 - q0).max(1e-9),
            sets,
            uniform: mix
                .of_authority
                .iter()
                .all(|&k| mix.sets[k as usize] == mix.sets[first as usize]),
            of_authority: mix.of_authority.clone(),
            any_cascade: used(&|l| l.cascade),
            any_enquiry: used(&|l| l.enquiry),
            any_lateral: used(&|l| l.lateral),
            any_upward: used(&|l| l.upward),
        }
    }

    /// The lever set of authority `a`.
    #[inline]
    fn auth(&self, a: usize) -> &SetCx {
        &self.sets[self.of_authority[a] as usize]
    }

    /// The lever set of school `sc`'s authority.
    #[inline]
    fn of(&self, sc: usize) -> &SetCx {
        self.auth(self.w.authority[sc] as usize)
    }

    /// The levers of school `sc`'s authority.
    #[inline]
    fn lv(&self, sc: usize) -> &Levers {
        &self.of(sc).l
    }

    /// The conditions of year `y` in school `sc`'s authority.
    #[inline]
    fn flags(&self, sc: usize, y: u32) -> YearFlags {
        self.of(sc).flags[y as usize]
    }

    /// Whether the lateral exchange runs on the tie between `a` and `b`:
    /// both schools' authorities must run it.
    #[inline]
    fn tie_active(&self, a: usize, b: usize) -> bool {
        self.lv(a).lateral && self.lv(b).lateral
    }

    /// Mean over schools of a per-lever-set value (the value itself when
    /// every authority runs the same levers).
    fn school_mean(&self, f: impl Fn(&Levers) -> f64) -> f64 {
        if self.uniform {
            return f(&self.sets[self.of_authority.first().copied().unwrap_or(0) as usize].l);
        }
        let ns = self.w.n_schools;
        (0..ns).map(|sc| f(self.lv(sc))).sum::<f64>() / ns as f64
    }
}

impl State {
    /// The state before burn-in: random practices, undefined codes.
    pub fn initial(w: &World) -> State {
        State::initial_with(w, w.landscape.clone())
    }

    /// [`State::initial`] on the given copy of the world's landscape.
    fn initial_with(w: &World, landscape: Landscape) -> State {
        let n_t = w.n_teachers();
        let s = w.n_schools;
        let mask = w.landscape.mask();
        let mut practice = vec![0u64; n_t];
        for sc in 0..s {
            let mut r = stream(w.seed, w.replicate, sc as u64, Purpose::InitialPractice, 0);
            for p in &mut practice[w.offsets[sc] as usize..w.offsets[sc + 1] as usize] {
                *p = r.next_u64() & mask;
            }
        }
        State {
            landscape,
            practice,
            pending: vec![0; n_t],
            prior: vec![0; n_t],
            obs: vec![Scratch::default(); n_t],
            code_def: vec![0; s],
            code_val: vec![0; s],
            code_mand: vec![0; s],
            code_decided: vec![0; s],
            capacity: w.initial_capacity.clone(),
            ownership: w.initial_ownership.clone(),
            attainment: w.intake.clone(),
            quality: vec![0.0; s],
            majority: vec![0; s],
            published: vec![f64::NAN; s * HIST],
            n_published: 0,
            bench: vec![0.0; s],
            skip_next: vec![false; s],
            focus: vec![0; s],
            centre_trust: vec![0.5; s],
            advice_taken: vec![false; s],
            yr_projects: vec![0; s],
            yr_knowledge: vec![0; s],
            yr_meetings: vec![0; s],
            last_projects: vec![0; s],
            last_knowledge: vec![0; s],
            last_meetings: vec![0; s],
            rev_count: vec![0; s],
            pub_draws: vec![0; s],
            net: w.network.clone(),
            trust: vec![0.5; w.network.edges.len()],
            adopt_flag: vec![0; w.network.edges.len()],
            prog_def: vec![0; w.n_authorities],
            prog_val: vec![0; w.n_authorities],
            issued: vec![0; w.n_authorities],
            arrived: vec![0; w.n_authorities],
            q0: f64::NAN,
            q0_school: vec![f64::NAN; s],
            q_withdrawn: vec![f64::NAN; s],
            year0_majority: vec![0; w.n_authorities],
            findings: Vec::new(),
            team: Vec::new(),
            eff: vec![0; s],
            sort_buf: Vec::with_capacity(s),
            adviser_msg: vec![(0, 0); w.n_advisers],
            adviser_stamp: vec![u64::MAX; w.n_advisers],
            act: Activity::default(),
        }
    }

    fn latest_published(&self, s: usize) -> f64 {
        if self.n_published == 0 {
            return f64::NAN;
        }
        let head = (self.n_published as usize - 1) % HIST;
        self.published[s * HIST + head]
    }

    fn previous_published(&self, s: usize) -> f64 {
        if self.n_published < 2 {
            return f64::NAN;
        }
        let i = (self.n_published as usize - 2) % HIST;
        self.published[s * HIST + i]
    }

    /// Clear the mandated mark of `mask` in school `s`'s code and its teachers.
    fn own_dims(&mut self, w: &World, s: usize, mask: u64) {
        if mask & self.code_mand[s] == 0 {
            return;
        }
        self.code_mand[s] &= !mask;
        for p in &mut self.pending[w.offsets[s] as usize..w.offsets[s + 1] as usize] {
            *p &= !mask;
        }
    }

    /// Write values into a school's code (not the mandate: clears its marks there).
    fn write_code(&mut self, w: &World, s: usize, mask: u64, val: u64) {
        self.code_def[s] |= mask;
        self.code_decided[s] |= mask;
        self.code_val[s] = (self.code_val[s] & !mask) | (val & mask);
        self.own_dims(w, s, mask);
    }
}

fn year_flags(l: &Levers, y: u32) -> YearFlags {
    let withdrawn = l.withdraw_year > 0 && y > l.withdraw_year;
    let mut pressure = l.pressure;
    if l.relax_year > 0 && y > l.relax_year {
        pressure = l.relaxed_pressure;
    }
    if withdrawn {
        pressure = l.withdrawn_pressure;
    }
    YearFlags {
        pressure,
        funded: !(withdrawn || (l.funding_end_year > 0 && y > l.funding_end_year)),
        cascade_active: l.cascade && !withdrawn,
    }
}
