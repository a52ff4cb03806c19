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

use super::bits::{BitCounter, P16, bernoulli_mask, block_mask, low_mask, nth_set_bit};
use super::indicators::{Ind, N_IND, diversity, quantile_sorted};
use super::world::World;
use crate::landscape::Landscape;
use crate::network::Network;
use crate::params::Levers;
use crate::rng::{EntityKey, Purpose, StreamRng, entity, stream};

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

/// Result of a finished run.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// `(steps + 1) x N_IND` indicators, row-major, row i = step i (row 0 = year 0).
    pub rows: Vec<f64>,
    pub per_school: Vec<SchoolRow>,
    /// `(years + 1) x sets`: mean attainment of the schools of each lever
    /// set of the strategy's [`Mix`] at year 0 and each year end, row-major
    /// by year (NaN for a set no authority runs).
    pub groups: Vec<f64>,
}

/// Burn-in: run status-quo dynamics for `burn_in_years`, then fix year 0
/// (Q0, attainment = potential, first publication). Returns the shared
/// starting state of every strategy.
pub fn burn_in(w: &World, burn: &Levers, st: &Settings) -> State {
    burn_in_from(w, State::initial(w), burn, st)
}

/// [`burn_in`] for a world whose landscape no one else will read: its
/// lookup tables move into the state, which then updates them in place
/// (the world's landscape keeps its maxima and evaluates by direct scoring).
pub fn burn_in_taking(w: &mut World, burn: &Levers, st: &Settings) -> State {
    let landscape = w.landscape.take_tables();
    burn_in_from(w, State::initial_with(w, landscape), burn, st)
}

fn burn_in_from(w: &World, start: State, burn: &Levers, st: &Settings) -> State {
    let mut s = start;
    let cx = Cx::new(w, &Mix::uniform(burn, w.n_authorities), st, 0.5);
    let spy = st.steps_per_year;
    // Burn-in runs under the conditions of year 0: burn's pressure, funded,
    // no cascade.
    for y in 0..st.burn_in_years {
        for k in 0..spy {
            let abs = (y * spy + k) as u64;
            // Quality and majority practice are read only from year 0 on.
            within_pass(&mut s, &cx, abs, 0, Pass::Learn);
        }
        year_end_common(&mut s, &cx, y as u64);
    }
    // Year 0.
    within_pass(&mut s, &cx, u64::MAX - 1, 0, Pass::Measure);
    s.q0 = s.quality.iter().sum::<f64>() / w.n_schools as f64;
    s.q0_school.copy_from_slice(&s.quality);
    let q0 = s.q0;
    for i in 0..w.n_schools {
        s.attainment[i] = potential(w, st, q0, i, s.quality[i]);
    }
    publish_results(&mut s, w, st.burn_in_years as u64);
    for a in 0..w.n_authorities {
        s.year0_majority[a] = authority_majority(&s, w, a);
    }
    s
}

fn potential(w: &World, st: &Settings, q0: f64, i: usize, q: f64) -> f64 {
    (w.intake[i] + st.practice_effect * (q - q0) / (1.0 - q0).max(1e-9)).clamp(0.0, 100.0)
}

fn authority_majority(s: &State, w: &World, a: usize) -> u64 {
    let m = w.members(a);
    let mut out = 0u64;
    for d in 0..w.landscape.n() {
        let ones = m
            .iter()
            .filter(|&&i| s.majority[i as usize] >> d & 1 == 1)
            .count();
        if ones * 2 > m.len() {
            out |= 1 << d;
        }
    }
    out
}

/// One strategy's run, advanced a step at a time (for benchmarks and
/// tests; [`run_strategy`] runs it to the end).
pub struct Run<'a> {
    s: State,
    cx: Cx<'a>,
    /// Steps done.
    t: usize,
    steps: usize,
    rows: Vec<f64>,
    per_school: Vec<SchoolRow>,
    groups: Vec<f64>,
}

/// Append the mean attainment of each lever set's schools.
fn record_groups(s: &State, cx: &Cx, out: &mut Vec<f64>) {
    let w = cx.w;
    let k = cx.sets.len();
    let start = out.len();
    out.resize(start + 2 * k, 0.0);
    for sc in 0..w.n_schools {
        let set = cx.of_authority[w.authority[sc] as usize] as usize;
        out[start + 2 * set] += s.attainment[sc];
        out[start + 2 * set + 1] += 1.0;
    }
    for j in 0..k {
        let n = out[start + 2 * j + 1];
        out[start + j] = if n > 0.0 {
            out[start + 2 * j] / n
        } else {
            f64::NAN
        };
    }
    out.truncate(start + k);
}

impl<'a> Run<'a> {
    /// Start a run from the shared year-0 state, every authority running `l`.
    pub fn new(w: &'a World, start: &State, l: &Levers, st: &'a Settings) -> Run<'a> {
        Run::with_mix(w, start, &Mix::uniform(l, w.n_authorities), st)
    }

    /// Start a run from the shared year-0 state, each authority running
    /// its own levers.
    ///
    /// # Panics
    /// If `mix` does not give a lever set for each of the world's authorities.
    pub fn with_mix(w: &'a World, start: &State, mix: &Mix, st: &'a Settings) -> Run<'a> {
        Run::from_state(w, start.clone(), mix, st)
    }

    /// [`Run::with_mix`] taking the year-0 state over (no copy).
    pub fn from_state(w: &'a World, start: State, mix: &Mix, st: &'a Settings) -> Run<'a> {
        let mut s = start;
        let cx = Cx::new(w, mix, st, s.q0);
        init_strategy(&mut s, &cx);
        let steps = (st.years * st.steps_per_year) as usize;
        let mut rows = vec![0.0; (steps + 1) * N_IND];
        let mut per_school = Vec::new();
        record(&mut s, &cx, 0, &mut rows[0..N_IND]);
        if st.per_school {
            per_school.reserve((steps + 1) * w.n_schools);
            push_school_rows(&s, 0, &mut per_school);
        }
        let mut groups = Vec::with_capacity((st.years as usize + 1) * cx.sets.len() * 2);
        record_groups(&s, &cx, &mut groups);
        Run {
            s,
            cx,
            t: 0,
            steps,
            rows,
            per_school,
            groups,
        }
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.s
    }

    /// Steps done so far.
    pub fn steps_done(&self) -> usize {
        self.t
    }

    /// Advance one step (and the year end after a year's last step).
    /// Returns false, doing nothing, once the run is complete.
    pub fn step(&mut self) -> bool {
        if self.t >= self.steps {
            return false;
        }
        let (cx, s) = (&self.cx, &mut self.s);
        let (st, w) = (cx.st, cx.w);
        let spy = st.steps_per_year as usize;
        let t = self.t;
        let y = (t / spy) as u32 + 1;
        if t.is_multiple_of(spy) {
            s.arrived.iter_mut().for_each(|k| *k = 0);
        }
        let abs = (st.burn_in_years as usize * spy + t) as u64;
        s.act = Activity::default();
        step(s, cx, t as u64, abs, y);
        let row = t + 1;
        let rows = &mut self.rows[row * N_IND..(row + 1) * N_IND];
        record(s, cx, (row / spy) as u32, rows);
        if row.is_multiple_of(spy) {
            let ykey = (st.burn_in_years + y) as u64;
            year_end(s, cx, ykey, y);
            for sc in 0..w.n_schools {
                let wy = cx.lv(sc).withdraw_year;
                if wy > 0 && y == wy {
                    s.q_withdrawn[sc] = s.quality[sc];
                }
            }
            // Year-end changes (turnover, ownership...) show in the year's
            // last row; its activity counts stay those of the step.
            let keep: [f64; 9] = activity_slice(rows);
            record(s, cx, y, rows);
            restore_activity(rows, keep);
            record_groups(s, cx, &mut self.groups);
        }
        if st.per_school {
            push_school_rows(s, row as u32, &mut self.per_school);
        }
        self.t += 1;
        true
    }

    /// The records of the run.
    pub fn finish(self) -> RunRecord {
        RunRecord {
            rows: self.rows,
            per_school: self.per_school,
            groups: self.groups,
        }
    }
}

/// Run one strategy from the shared year-0 state to the end, every
/// authority running `l`.
pub fn run_strategy(w: &World, start: &State, l: &Levers, st: &Settings) -> RunRecord {
    run_mix(w, start, &Mix::uniform(l, w.n_authorities), st)
}

/// Run one strategy from the shared year-0 state to the end, each
/// authority running its own levers.
pub fn run_mix(w: &World, start: &State, mix: &Mix, st: &Settings) -> RunRecord {
    run_mix_from(w, start.clone(), mix, st)
}

/// [`run_mix`] taking the year-0 state over (for a replicate's only strategy).
pub fn run_mix_from(w: &World, start: State, mix: &Mix, st: &Settings) -> RunRecord {
    let mut run = Run::from_state(w, start, mix, st);
    while run.step() {}
    run.finish()
}

fn activity_slice(r: &[f64]) -> [f64; 9] {
    let mut a = [0.0; 9];
    a.copy_from_slice(&r[Ind::InitReceived as usize..=Ind::FindingsTakenUp as usize]);
    a
}

fn restore_activity(r: &mut [f64], a: [f64; 9]) {
    r[Ind::InitReceived as usize..=Ind::FindingsTakenUp as usize].copy_from_slice(&a);
}

fn push_school_rows(s: &State, step: u32, out: &mut Vec<SchoolRow>) {
    for i in 0..s.attainment.len() {
        out.push(SchoolRow {
            step,
            school: i as u32,
            attainment: s.attainment[i],
            quality: s.quality[i],
            capacity: s.capacity[i],
            ownership: s.ownership[i],
        });
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
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

/// Strategy-specific initialisation at year 0.
fn init_strategy(s: &mut State, cx: &Cx) {
    let w = cx.w;
    // Benchmarks from the year-0 publication, as this strategy compares.
    update_bench(s, cx);
    // Scratch sized up front, so steps do not allocate.
    let max_staff = (0..w.n_schools).map(|i| w.staff(i)).max().unwrap_or(0);
    s.team.reserve(max_staff);
    let projects = cx
        .sets
        .iter()
        .map(|k| k.l.projects_per_year)
        .fold(0.0, f64::max);
    let per_step = (projects / cx.st.steps_per_year as f64).ceil() as usize + 1;
    s.findings.reserve(w.n_schools * per_step * 2);
    // Exchange network: the school network, or the beacon structure in the
    // authorities that choose beacons (their own ties, and their ties to
    // other authorities, give way to it).
    let beacons = |a: usize| {
        let l = &cx.auth(a).l;
        l.lateral && l.beacons > 0
    };
    if (0..w.n_authorities).any(beacons) {
        let mut edges = Vec::new();
        for &(i, j) in &s.net.edges {
            if !beacons(w.authority[i as usize] as usize)
                && !beacons(w.authority[j as usize] as usize)
            {
                edges.push((i, j));
            }
        }
        for a in 0..w.n_authorities {
            if !beacons(a) {
                continue;
            }
            let l = &cx.auth(a).l;
            let mut m: Vec<u32> = w.members(a).to_vec();
            m.sort_by(|&i, &j| {
                s.bench[j as usize]
                    .partial_cmp(&s.bench[i as usize])
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(i.cmp(&j))
            });
            let k = (l.beacons as usize).min(m.len());
            let (beacons, others) = m.split_at(k);
            for &o in others {
                let (ox, oy) = (w.x[o as usize], w.y[o as usize]);
                let near = beacons
                    .iter()
                    .min_by(|&&a, &&b| {
                        let da = (w.x[a as usize] - ox).powi(2) + (w.y[a as usize] - oy).powi(2);
                        let db = (w.x[b as usize] - ox).powi(2) + (w.y[b as usize] - oy).powi(2);
                        da.partial_cmp(&db).unwrap_or(std::cmp::Ordering::Equal)
                    })
                    .copied();
                if let Some(b) = near {
                    edges.push((o, b));
                }
            }
        }
        s.net = Network::from_edges(w.n_schools, edges, Some(w.cluster.clone()));
    }
    s.trust = s
        .net
        .initial_trust
        .iter()
        .zip(&s.net.edges)
        .map(|(t, &(i, j))| {
            t.unwrap_or_else(|| 0.5 * (cx.lv(i as usize).trust_init + cx.lv(j as usize).trust_init))
        })
        .collect();
    s.adopt_flag = vec![0; s.net.edges.len()];
    for sc in 0..w.n_schools {
        s.centre_trust[sc] = cx.lv(sc).centre_trust;
    }
    // Programme design by each centre.
    for a in 0..w.n_authorities {
        let l = &cx.auth(a).l;
        if l.cascade {
            let mut r = stream(w.seed, w.replicate, entity::centre(a), Purpose::Design, 0);
            let val = match l.design.as_str() {
                "random" => r.next_u64() & cx.mask,
                _ => s.landscape.design_expert(l.design_effort as usize, &mut r),
            };
            s.prog_def[a] = cx.mask;
            s.prog_val[a] = val;
        }
    }
    if cx.any_enquiry {
        choose_focus(s, cx, 0);
    }
}

/// One step: cascade, enquiry, lateral exchange, publication, then the
/// school-local pass (within-school learning, reversion, attainment).
fn step(s: &mut State, cx: &Cx, t: u64, abs: u64, y: u32) {
    s.pub_draws.iter_mut().for_each(|k| *k = 0);
    if cx.any_cascade {
        cascade_phase(s, cx, t, y);
    }
    if cx.any_enquiry {
        enquiry_phase(s, cx, abs, y);
    }
    if cx.any_lateral {
        lateral_phase(s, cx, abs, y);
    }
    if cx.any_upward {
        publication_phase(s, cx, abs);
    } else {
        s.findings.clear();
    }
    within_pass(s, cx, abs, y, Pass::Attain);
}

// ---------------------------------------------------------------- cascade

fn cascade_phase(s: &mut State, cx: &Cx, t: u64, y: u32) {
    let w = cx.w;
    let spy = cx.st.steps_per_year as f64;
    // Authority by authority: each issues its own initiatives (the g-th
    // initiative of every authority shares the national tiers' draws).
    for a in 0..w.n_authorities {
        let set = cx.auth(a);
        let (l, f) = (&set.l, set.flags[y as usize]);
        if !f.cascade_active {
            continue;
        }
        let due = ((t + 1) as f64 * l.initiatives_per_year / spy - 1e-9).ceil()
            - (t as f64 * l.initiatives_per_year / spy - 1e-9).ceil();
        let due = due.max(0.0) as u64;
        let fid_loss = P16::new(1.0 - l.fidelity);
        let comply_p = l.compliance + (1.0 - l.compliance) * f.pressure;
        for _ in 0..due {
            let g = s.issued[a];
            s.issued[a] += 1;
            s.arrived[a] += 1;
            let arrived = s.arrived[a] as f64;
            let overload = if arrived > l.overload_limit {
                l.overload_limit / arrived
            } else {
                1.0
            };
            let enact = P16::new(l.enactment * overload);
            // National tiers above the authority (tiers > 4).
            let mut nat_corrupt = 0u64;
            let mut nat_vals = 0u64;
            if l.tiers > 4 {
                let mut r = stream(
                    w.seed,
                    w.replicate,
                    entity::WORLD,
                    Purpose::CascadeTransmission,
                    g,
                );
                for _ in 4..l.tiers {
                    let c = bernoulli_mask(&mut r, fid_loss, cx.mask);
                    nat_vals = (nat_vals & !c) | (r.next_u64() & c);
                    nat_corrupt |= c;
                }
            }
            let def = s.prog_def[a];
            let nd = def.count_ones();
            if nd == 0 {
                continue;
            }
            let size = (l.initiative_size).min(nd);
            let mut m = 0u64;
            for j in 0..size {
                let idx = ((g * l.initiative_size as u64 + j as u64) % nd as u64) as u32;
                if let Some(b) = nth_set_bit(def, idx) {
                    m |= 1 << b;
                }
            }
            let mut msg = s.prog_val[a] & m;
            msg = (msg & !(nat_corrupt & m)) | (nat_vals & nat_corrupt & m);
            if l.tiers >= 4 {
                let mut r = stream(
                    w.seed,
                    w.replicate,
                    entity::centre(a),
                    Purpose::CascadeTransmission,
                    g,
                );
                let c = bernoulli_mask(&mut r, fid_loss, m);
                msg = (msg & !c) | (r.next_u64() & c);
            }
            for mi in w.auth_offsets[a] as usize..w.auth_offsets[a + 1] as usize {
                let sc = w.auth_members[mi] as usize;
                let mut smsg = msg;
                if l.tiers >= 3 {
                    let adv = w.adviser[sc] as usize;
                    if s.adviser_stamp[adv] != g {
                        let ent = (1u64 << 60) | adv as u64;
                        let mut r =
                            stream(w.seed, w.replicate, ent, Purpose::CascadeTransmission, g);
                        let c = bernoulli_mask(&mut r, fid_loss, m);
                        s.adviser_msg[adv] = (c, r.next_u64() & c);
                        s.adviser_stamp[adv] = g;
                    }
                    let (c, v) = s.adviser_msg[adv];
                    smsg = (smsg & !c) | v;
                }
                deliver(s, cx, sc, m, smsg, g, comply_p, enact, fid_loss);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn deliver(
    s: &mut State,
    cx: &Cx,
    sc: usize,
    m: u64,
    msg: u64,
    g: u64,
    comply_p: f64,
    enact: P16,
    fid_loss: P16,
) {
    let (w, l) = (cx.w, cx.lv(sc));
    let mut r = stream(w.seed, w.replicate, sc as u64, Purpose::Cascade, g);
    // School hand-over.
    let c = bernoulli_mask(&mut r, fid_loss, m);
    let msg = (msg & !c) | (r.next_u64() & c);
    s.act.init_received += 1;
    s.ownership[sc] -= l.imposition_cost * (1.0 - l.legitimacy) * s.ownership[sc];
    if r.random::<f64>() >= comply_p {
        return;
    }
    s.act.init_complied += 1;
    let def = s.code_def[sc];
    let owned_same = def & !s.code_mand[sc] & !(s.code_val[sc] ^ msg) & m;
    let new_mand = m & !owned_same;
    s.code_def[sc] |= m;
    s.code_val[sc] = (s.code_val[sc] & !m) | msg;
    s.code_mand[sc] |= new_mand;
    let mut er = stream(w.seed, w.replicate, sc as u64, Purpose::Enactment, g);
    for t in w.offsets[sc] as usize..w.offsets[sc + 1] as usize {
        let e = bernoulli_mask(&mut er, enact, m);
        if e == 0 {
            continue;
        }
        // Teacher hand-over (the corrupted details' values are drawn only
        // when some are corrupted).
        let tc = bernoulli_mask(&mut er, fid_loss, e);
        let tmsg = if tc == 0 {
            msg
        } else {
            (msg & !tc) | (er.next_u64() & tc)
        };
        let newly = e & new_mand & !s.pending[t];
        s.prior[t] = (s.prior[t] & !newly) | (s.practice[t] & newly);
        s.pending[t] |= e & new_mand;
        s.practice[t] = (s.practice[t] & !e) | (tmsg & e);
    }
}

// ---------------------------------------------------------------- enquiry

fn enquiry_phase(s: &mut State, cx: &Cx, abs: u64, y: u32) {
    let w = cx.w;
    for sc in 0..w.n_schools {
        let (l, f) = (cx.lv(sc), cx.flags(sc, y));
        if !l.enquiry {
            continue;
        }
        let per_step = l.projects_per_year * cx.dt;
        let fs = l.focus_size.min(cx.n);
        let mut r = stream(w.seed, w.replicate, sc as u64, Purpose::Enquiry, abs);
        let rate = if f.funded {
            per_step
        } else {
            per_step * s.ownership[sc]
        };
        let mut count = rate.floor() as u32;
        if r.random::<f64>() < rate.fract() {
            count += 1;
        }
        for _ in 0..count {
            if s.skip_next[sc] {
                s.skip_next[sc] = false;
                continue;
            }
            let block = block_mask(s.focus[sc] * fs, fs, cx.n);
            let mut flips = 0u64;
            let mut avail = block;
            for _ in 0..l.change_size.min(fs) {
                let k = avail.count_ones();
                if k == 0 {
                    break;
                }
                let b = nth_set_bit(avail, r.random_range(0..k)).unwrap();
                flips |= 1 << b;
                avail &= !(1 << b);
            }
            s.act.projects_run += 1;
            s.yr_projects[sc] += 1;
            let adopted = trial(s, cx, sc, flips, None, &mut r);
            if adopted {
                s.act.projects_adopted += 1;
                if l.upward && publication_draw(s, w, sc, abs) < l.publish {
                    publish_finding(s, w, sc, flips);
                }
            } else if r.random::<f64>() < f.pressure * (1.0 - s.capacity[sc]) {
                s.skip_next[sc] = true;
            }
        }
    }
}

/// The uniform draw deciding whether a school's next adopted finding is
/// published: the `k`-th draw of school `sc` in this step, from its own
/// publication stream, so that publishing never shifts the draws of
/// enquiry or meetings.
fn publication_draw(s: &mut State, w: &World, sc: usize, abs: u64) -> f64 {
    let k = s.pub_draws[sc] as u64;
    s.pub_draws[sc] += 1;
    let mut r = stream(
        w.seed,
        w.replicate,
        sc as u64,
        Purpose::Publication,
        abs * 1024 + k,
    );
    r.random::<f64>()
}

fn publish_finding(s: &mut State, w: &World, sc: usize, mask: u64) {
    s.findings.push(Finding {
        authority: w.authority[sc],
        school: sc as u32,
        mask,
        val: s.code_val[sc] & mask,
    });
    s.yr_knowledge[sc] += 1;
}

/// An enquiry trial of changing `flips` in school `sc`: to `vals` where
/// given, else to the opposite of the code's value (or of the team's
/// majority where the code is silent). Adopts on positive evidence.
/// Returns whether the change was adopted.
fn trial(
    s: &mut State,
    cx: &Cx,
    sc: usize,
    flips: u64,
    vals: Option<u64>,
    r: &mut StreamRng,
) -> bool {
    let (w, l) = (cx.w, cx.lv(sc));
    let (lo, hi) = (w.offsets[sc] as usize, w.offsets[sc + 1] as usize);
    s.team.clear();
    // Each teacher joins with probability team_share (16 bits each, up to
    // 64 teachers a mask).
    let share = P16::new(l.team_share);
    let mut t0 = lo;
    while t0 < hi {
        let k = (hi - t0).min(64);
        let mut m = bernoulli_mask(r, share, low_mask(k as u32));
        while m != 0 {
            s.team.push((t0 + m.trailing_zeros() as usize) as u32);
            m &= m - 1;
        }
        t0 += k;
    }
    if s.team.is_empty() {
        s.team.push(r.random_range(lo..hi) as u32);
    }
    let def = s.code_def[sc];
    let val = s.code_val[sc];
    let v = match vals {
        Some(v) => v & flips,
        None => {
            let mut v = 0u64;
            let mut rest = flips;
            while rest != 0 {
                let b = rest.trailing_zeros();
                rest &= rest - 1;
                let cur = if def >> b & 1 == 1 {
                    val >> b & 1
                } else {
                    let ones = s
                        .team
                        .iter()
                        .filter(|&&t| s.practice[t as usize] >> b & 1 == 1)
                        .count();
                    (ones * 2 > s.team.len()) as u64
                };
                v |= (cur ^ 1) << b;
            }
            v
        }
    };
    let land = s.landscape.context(w.context[sc] as usize);
    let mut delta = 0.0;
    for &t in &s.team {
        let p = s.practice[t as usize];
        let base = (p & !def) | (val & def);
        let prop = (base & !flips) | v;
        delta += land.eval(prop) - land.eval(base);
    }
    delta /= s.team.len() as f64;
    let noise = l.evidence_noise / (0.5 + s.capacity[sc]);
    let observed = delta * cx.scale + noise * normal(r);
    let adopted = observed > l.adopt_threshold;
    if adopted {
        s.write_code(w, sc, flips, v);
        // The team keeps the practice it trialled.
        for i in 0..s.team.len() {
            let t = s.team[i] as usize;
            s.practice[t] = (s.practice[t] & !flips) | v;
            s.pending[t] &= !flips;
        }
        s.ownership[sc] += l.ownership_gain * (1.0 - s.ownership[sc]);
        s.capacity[sc] += l.capacity_gain * (1.0 - s.capacity[sc]);
    } else {
        // A mandated dimension the school tested and kept is now its own.
        s.own_dims(w, sc, flips);
    }
    adopted
}

fn choose_focus(s: &mut State, cx: &Cx, year: u64) {
    let w = cx.w;
    for sc in 0..w.n_schools {
        s.eff[sc] = (s.code_val[sc] & s.code_def[sc]) | (s.majority[sc] & !s.code_def[sc]);
    }
    for a in 0..w.n_authorities {
        let l = &cx.auth(a).l;
        if !l.enquiry {
            continue;
        }
        let fs = l.focus_size.min(cx.n).max(1);
        let nb = cx.n.div_ceil(fs);
        // The authority's best school is visible through published findings.
        let best = w
            .members(a)
            .iter()
            .copied()
            .max_by(|&i, &j| {
                s.bench[i as usize]
                    .partial_cmp(&s.bench[j as usize])
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(j.cmp(&i))
            })
            .unwrap_or(0) as usize;
        for mi in w.auth_offsets[a] as usize..w.auth_offsets[a + 1] as usize {
            let sc = w.auth_members[mi] as usize;
            let mut r = stream(
                w.seed,
                w.replicate,
                sc as u64,
                Purpose::Enquiry,
                (1 << 40) + year,
            );
            if l.focus_choice == "random" {
                s.focus[sc] = r.random_range(0..nb);
                continue;
            }
            let mine = s.eff[sc];
            let my_bench = s.bench[sc];
            let mut best_score = 0u32;
            let mut best_block = u32::MAX;
            let mut ties = 0u32;
            for b in 0..nb {
                let bm = block_mask(b * fs, fs, cx.n);
                let mut score = 0u32;
                if l.lateral {
                    for (nb_i, _) in s.net.neighbours(sc) {
                        if cx.lv(nb_i as usize).lateral && s.bench[nb_i as usize] > my_bench {
                            score += ((mine ^ s.eff[nb_i as usize]) & bm).count_ones();
                        }
                    }
                }
                if l.upward && l.publish > 0.0 && best != sc && s.bench[best] > my_bench {
                    score += ((mine ^ s.eff[best]) & bm).count_ones();
                }
                if score == 0 {
                    continue;
                }
                if score > best_score {
                    best_score = score;
                    best_block = b;
                    ties = 1;
                } else if score == best_score {
                    ties += 1;
                    if r.random_range(0..ties) == 0 {
                        best_block = b;
                    }
                }
            }
            s.focus[sc] = if best_block == u32::MAX {
                r.random_range(0..nb)
            } else {
                best_block
            };
        }
    }
}

// ---------------------------------------------------------------- lateral

fn lateral_phase(s: &mut State, cx: &Cx, abs: u64, y: u32) {
    let w = cx.w;
    for sc in 0..w.n_schools {
        s.eff[sc] = (s.code_val[sc] & s.code_def[sc]) | (s.majority[sc] & !s.code_def[sc]);
    }
    let mut r = stream(w.seed, w.replicate, entity::WORLD, Purpose::Meetings, abs);
    for e in 0..s.net.edges.len() {
        let (a, b) = s.net.edges[e];
        let (a, b) = (a as usize, b as usize);
        if !cx.tie_active(a, b) {
            continue;
        }
        // Each end meets on its authority's funding (or, unfunded, on its
        // ownership); the tie meets at the rate of the less willing end.
        let end_fund = |i: usize| {
            if cx.flags(i, y).funded {
                1.0
            } else {
                s.ownership[i]
            }
        };
        let fund = 0.5 * (end_fund(a) + end_fund(b));
        let rate = cx.lv(a).meetings_per_year.min(cx.lv(b).meetings_per_year);
        let p = hazard(rate * s.trust[e] * fund, cx.dt);
        if r.random::<f64>() >= p {
            continue;
        }
        s.act.meetings += 1;
        s.yr_meetings[a] += 1;
        s.yr_meetings[b] += 1;
        let (lo, hi) = if s.bench[a] < s.bench[b] {
            (a, b)
        } else if s.bench[b] < s.bench[a] {
            (b, a)
        } else {
            continue;
        };
        if r.random::<f64>() >= 0.5 + 0.5 * s.capacity[lo] {
            continue;
        }
        // What is learnt follows the learner's authority.
        let l = cx.lv(lo);
        let imit = P16::new(l.imitation);
        let m = bernoulli_mask(&mut r, imit, (s.eff[lo] ^ s.eff[hi]) & cx.mask);
        if m == 0 {
            continue;
        }
        let adopted = if !l.adapt {
            let v = s.eff[hi];
            s.write_code(w, lo, m, v);
            true
        } else {
            if r.random::<f64>() >= s.capacity[lo] {
                continue;
            }
            let ok = trial(s, cx, lo, m, Some(s.eff[hi]), &mut r);
            if ok && l.upward && publication_draw(s, w, lo, abs) < l.publish {
                publish_finding(s, w, lo, m);
            }
            ok
        };
        if adopted {
            s.act.lateral_adoptions += 1;
            s.adopt_flag[e] = if lo == a { 1 } else { 2 };
        }
    }
}

// ---------------------------------------------------------------- publication

fn publication_phase(s: &mut State, cx: &Cx, abs: u64) {
    let w = cx.w;
    if s.findings.is_empty() {
        return;
    }
    s.act.findings_published += s.findings.len() as u64;
    s.findings
        .sort_unstable_by_key(|f| (f.authority, f.school, f.mask));
    let mut start = 0usize;
    while start < s.findings.len() {
        let a = s.findings[start].authority;
        let mut end = start;
        while end < s.findings.len() && s.findings[end].authority == a {
            end += 1;
        }
        for mi in w.auth_offsets[a as usize] as usize..w.auth_offsets[a as usize + 1] as usize {
            let sc = w.auth_members[mi] as usize;
            let p = cx.lv(sc).advice_uptake * s.centre_trust[sc];
            if p <= 0.0 {
                continue;
            }
            let mut r = stream(w.seed, w.replicate, sc as u64, Purpose::Advice, abs);
            for fi in start..end {
                let fnd = s.findings[fi];
                // Findings are published for schools of the same context type.
                if fnd.school as usize == sc || w.context[fnd.school as usize] != w.context[sc] {
                    continue;
                }
                if r.random::<f64>() < p {
                    s.write_code(w, sc, fnd.mask, fnd.val);
                    s.act.findings_taken_up += 1;
                    s.advice_taken[sc] = true;
                    s.yr_knowledge[sc] += 1;
                }
            }
        }
        start = end;
    }
    s.findings.clear();
}

// ---------------------------------------------------------------- school-local pass

/// Mutable views of the school-local arrays, split across threads by school.
struct Block<'a> {
    s0: usize,
    t0: usize,
    practice: &'a mut [u64],
    pending: &'a mut [u64],
    prior: &'a [u64],
    obs: &'a mut [Scratch],
    code_def: &'a mut [u64],
    code_val: &'a mut [u64],
    code_mand: &'a mut [u64],
    decided: &'a [u64],
    quality: &'a mut [f64],
    attainment: &'a mut [f64],
    majority: &'a mut [u64],
    rev: &'a mut [u32],
}

impl<'a> Block<'a> {
    fn split(self, mid: usize, offsets: &[u32]) -> (Block<'a>, Block<'a>) {
        let ks = mid - self.s0;
        let kt = offsets[mid] as usize - self.t0;
        let (p1, p2) = self.practice.split_at_mut(kt);
        let (q1, q2) = self.pending.split_at_mut(kt);
        let (r1, r2) = self.prior.split_at(kt);
        let (o1, o2) = self.obs.split_at_mut(kt);
        let (d1, d2) = self.code_def.split_at_mut(ks);
        let (v1, v2) = self.code_val.split_at_mut(ks);
        let (m1, m2) = self.code_mand.split_at_mut(ks);
        let (k1, k2) = self.decided.split_at(ks);
        let (qa, qb) = self.quality.split_at_mut(ks);
        let (aa, ab) = self.attainment.split_at_mut(ks);
        let (ma, mb) = self.majority.split_at_mut(ks);
        let (ra, rb) = self.rev.split_at_mut(ks);
        (
            Block {
                s0: self.s0,
                t0: self.t0,
                practice: p1,
                pending: q1,
                prior: r1,
                obs: o1,
                code_def: d1,
                code_val: v1,
                code_mand: m1,
                decided: k1,
                quality: qa,
                attainment: aa,
                majority: ma,
                rev: ra,
            },
            Block {
                s0: mid,
                t0: offsets[mid] as usize,
                practice: p2,
                pending: q2,
                prior: r2,
                obs: o2,
                code_def: d2,
                code_val: v2,
                code_mand: m2,
                decided: k2,
                quality: qb,
                attainment: ab,
                majority: mb,
                rev: rb,
            },
        )
    }
}

/// Read-only inputs of the school-local pass.
struct PassIn<'a> {
    landscape: &'a Landscape,
    capacity: &'a [f64],
    ownership: &'a [f64],
    q0: f64,
    abs: u64,
    /// The year whose conditions apply (0 in burn-in).
    year: u32,
    pass: Pass,
}

/// What a school-local pass computes after within-school learning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pass {
    /// Nothing more (burn-in, where quality and majority are not read).
    Learn,
    /// Quality and majority practice (year 0).
    Measure,
    /// Quality, majority practice and attainment (a strategy's steps).
    Attain,
}

const GRAIN_TEACHERS: usize = 4096;

/// From this tinkering probability per step (in 2^-16), who tinkers is
/// drawn teacher by teacher, 16 bits each, rather than by geometric
/// skipping, whose logarithm costs more than about twenty 16-bit draws.
const TINKER_CHUNKS_FROM: u32 = 65536 / 20;

fn par_blocks(b: Block, cx: &Cx, pin: &PassIn) {
    let s1 = b.s0 + b.code_def.len();
    let teachers = b.practice.len();
    if teachers <= GRAIN_TEACHERS || s1 - b.s0 < 2 {
        let mut b = b;
        for sc in b.s0..s1 {
            school_pass(&mut b, sc, cx, pin);
        }
        return;
    }
    let mid = b.s0 + (s1 - b.s0) / 2;
    let (l, r) = b.split(mid, &cx.w.offsets);
    rayon::join(|| par_blocks(l, cx, pin), || par_blocks(r, cx, pin));
}

/// Within-school learning, reversion, quality and attainment of every
/// school (in parallel over schools; each school has its own streams).
fn within_pass(s: &mut State, cx: &Cx, abs: u64, year: u32, pass: Pass) {
    let q0 = s.q0;
    let pin = PassIn {
        landscape: &s.landscape,
        capacity: &s.capacity,
        ownership: &s.ownership,
        q0,
        abs,
        year,
        pass,
    };
    let b = Block {
        s0: 0,
        t0: 0,
        practice: &mut s.practice,
        pending: &mut s.pending,
        prior: &s.prior,
        obs: &mut s.obs,
        code_def: &mut s.code_def,
        code_val: &mut s.code_val,
        code_mand: &mut s.code_mand,
        decided: &s.code_decided,
        quality: &mut s.quality,
        attainment: &mut s.attainment,
        majority: &mut s.majority,
        rev: &mut s.rev_count,
    };
    par_blocks(b, cx, &pin);
    s.act.reversions += s.rev_count.iter().map(|&x| x as u64).sum::<u64>();
}

fn school_pass(b: &mut Block, sc: usize, cx: &Cx, pin: &PassIn) {
    let w = cx.w;
    let set = cx.of(sc);
    let l = &set.l;
    let i = sc - b.s0;
    let lo = w.offsets[sc] as usize - b.t0;
    let hi = w.offsets[sc + 1] as usize - b.t0;
    let staff = hi - lo;
    let ctx = w.context[sc] as usize;
    let land = pin.landscape.context(ctx);
    let n = cx.n;
    let key = EntityKey::new(w.seed, w.replicate, sc as u64);
    // Observed classroom effectiveness, and the superior group's majorities.
    let mut r = key.stream(Purpose::CodeLearning, pin.abs);
    let mut sum = 0.0;
    for t in lo..hi {
        let x = b.practice[t];
        let e = land.eval(x);
        let o = e + l.classroom_noise * normal(&mut r);
        b.obs[t] = Scratch { obs: o, e, x };
        sum += o;
    }
    let mean_obs = sum / staff as f64;
    let mut counter = BitCounter::new(n);
    let mut sup = 0u32;
    for t in lo..hi {
        // Branch-free: about half the teachers are above the mean, at random.
        let above = b.obs[t].obs > mean_obs;
        sup += u32::from(above);
        counter.add(b.practice[t] & cx.mask & 0u64.wrapping_sub(u64::from(above)));
    }
    let ones = counter.finish();
    let old_def = b.code_def[i];
    let old_val = b.code_val[i];
    let mut new_def = old_def;
    let mut new_val = old_val;
    let held = b.decided[i] | b.code_mand[i];
    if sup > 0 && set.p2 > 0.0 {
        for (d, &o) in ones.iter().enumerate().take(n as usize) {
            if held >> d & 1 == 1 {
                continue;
            }
            let z = sup - o;
            if o == z {
                continue;
            }
            let k = o.abs_diff(z) as usize;
            let maj = (o > z) as u64;
            let bit = 1u64 << d;
            if old_def & bit == 0 || (old_val >> d & 1) != maj {
                let p = set.code_table[k.min(set.code_table.len() - 1)];
                if r.random::<f64>() < p {
                    new_def |= bit;
                    new_val = (new_val & !bit) | (maj << d);
                }
            }
        }
    }
    // Socialisation toward the code as it was at the start of the step.
    let mut rs = key.stream(Purpose::Socialisation, pin.abs);
    for t in lo..hi {
        let diff = (b.practice[t] ^ old_val) & old_def & cx.mask;
        if diff != 0 {
            b.practice[t] ^= bernoulli_mask(&mut rs, set.p1, diff);
        }
    }
    let changed = (new_val ^ old_val) & old_def;
    b.code_def[i] = new_def;
    b.code_val[i] = new_val;
    if changed & b.code_mand[i] != 0 {
        let c = changed & b.code_mand[i];
        b.code_mand[i] &= !c;
        for t in lo..hi {
            b.pending[t] &= !c;
        }
    }
    // Tinkering.
    if set.p_tinker > 0.0 {
        let mut rt = key.stream(Purpose::Tinkering, pin.abs);
        // Who tinkers: a 16-bit uniform per teacher (four a draw) when many
        // do; geometric skipping (one draw per tinkering teacher) when few do.
        let chunks = set.tinker.0 >= TINKER_CHUNKS_FROM;
        let mut word = 0u64;
        let mut left = 0u32;
        let mut next = |rt: &mut StreamRng, t: usize| -> usize {
            if !chunks {
                return t + geometric_skip(rt, set.ln_keep_tinker);
            }
            let mut t = t;
            while t < hi {
                if left == 0 {
                    word = rt.next_u64();
                    left = 4;
                }
                let u = (word & 0xFFFF) as u32;
                word >>= 16;
                left -= 1;
                if u < set.tinker.0 {
                    break;
                }
                t += 1;
            }
            t
        };
        let mut t = next(&mut rt, lo);
        while t < hi {
            let d = rt.random_range(0..n);
            let x = b.practice[t];
            let x2 = x ^ (1 << d);
            let before = land.eval(x) + l.classroom_noise * normal(&mut rt);
            let after = land.eval(x2) + l.classroom_noise * normal(&mut rt);
            if after > before {
                b.practice[t] = x2;
                b.pending[t] &= !(1 << d);
            }
            t = next(&mut rt, t + 1);
        }
    }
    // Reversion of mandated, unowned practice.
    b.rev[i] = 0;
    if l.cascade {
        let pressure = set.flags[pin.year as usize].pressure;
        let rate = l.reversion * (1.0 - pin.ownership[sc]) * (1.0 - pressure);
        let p = P16::new(hazard(rate, cx.dt));
        if !p.is_zero() {
            let mut rr = key.stream(Purpose::Reversion, pin.abs);
            let mut count = 0u32;
            for t in lo..hi {
                let m = bernoulli_mask(&mut rr, p, b.pending[t]);
                if m != 0 {
                    b.practice[t] = (b.practice[t] & !m) | (b.prior[t] & m);
                    b.pending[t] &= !m;
                    count += m.count_ones();
                }
            }
            let d = bernoulli_mask(&mut rr, p, b.code_mand[i]);
            b.code_def[i] &= !d;
            b.code_mand[i] &= !d;
            b.rev[i] = count;
        }
    }
    // Quality, majority practice, attainment.
    if pin.pass == Pass::Learn {
        return;
    }
    let mut q = 0.0;
    let mut counter = BitCounter::new(n);
    for t in lo..hi {
        let x = b.practice[t];
        let sc = b.obs[t];
        q += if sc.x == x { sc.e } else { land.eval(x) };
        counter.add(x & cx.mask);
    }
    let cnt = counter.finish();
    q /= staff as f64;
    b.quality[i] = q;
    b.majority[i] = majority_of(&cnt, staff, n, b.code_val[i] & b.code_def[i]);
    let _ = pin.capacity;
    if pin.pass == Pass::Attain {
        let p = potential(w, cx.st, pin.q0, sc, q);
        let k = 1.0 - (-cx.st.responsiveness * cx.dt).exp();
        b.attainment[i] += k * (p - b.attainment[i]);
    }
}

/// Majority practice from per-dimension counts of ones among `staff`
/// teachers; a tie takes the code's value (`code` holds defined bits only), else 0.
fn majority_of(cnt: &[u32; 64], staff: usize, n: u32, code: u64) -> u64 {
    let mut maj = 0u64;
    for (d, &c) in cnt.iter().enumerate().take(n as usize) {
        let c2 = c as usize * 2;
        let bit = if c2 > staff {
            1
        } else if c2 == staff {
            code >> d & 1
        } else {
            0
        };
        maj |= bit << d;
    }
    maj
}

// ---------------------------------------------------------------- year end

fn publish_results(s: &mut State, w: &World, ykey: u64) {
    let slot = s.n_published as usize % HIST;
    for sc in 0..w.n_schools {
        let mut r = stream(w.seed, w.replicate, sc as u64, Purpose::Results, ykey);
        let a = s.attainment[sc];
        let sd = (a * (100.0 - a) / w.cohort[sc]).max(0.0).sqrt();
        s.published[sc * HIST + slot] = (a + sd * normal(&mut r)).clamp(0.0, 100.0);
    }
    s.n_published += 1;
}

fn update_bench(s: &mut State, cx: &Cx) {
    let w = cx.w;
    for sc in 0..w.n_schools {
        let l = cx.lv(sc);
        let k = (l.benchmark_years as usize)
            .min(s.n_published as usize)
            .min(HIST);
        let mut sum = 0.0;
        for j in 0..k {
            let idx = (s.n_published as usize - 1 - j) % HIST;
            sum += s.published[sc * HIST + idx];
        }
        let m = if k > 0 { sum / k as f64 } else { w.intake[sc] };
        s.bench[sc] = if l.value_added() { m - w.intake[sc] } else { m };
    }
}

/// Year-end steps that run in burn-in as well.
fn year_end_common(s: &mut State, cx: &Cx, ykey: u64) {
    let w = cx.w;
    // CPD.
    for sc in 0..w.n_schools {
        let l = cx.lv(sc);
        let cpd = (l.cpd_effect * l.cpd_hours / 35.0).min(1.0);
        s.capacity[sc] += cpd * (1.0 - s.capacity[sc]);
    }
    // Turnover.
    for sc in 0..w.n_schools {
        let l = cx.lv(sc);
        let mut r = stream(
            w.seed,
            w.replicate,
            sc as u64,
            Purpose::TeacherTurnover,
            ykey,
        );
        let (lo, hi) = (w.offsets[sc] as usize, w.offsets[sc + 1] as usize);
        let mut leavers = 0u32;
        for t in lo..hi {
            if r.random::<f64>() < l.teacher_turnover {
                leavers += 1;
                let fresh = r.next_u64() & cx.mask;
                let induct = r.random::<f64>() < l.induction;
                let def = if induct { s.code_def[sc] } else { 0 };
                s.practice[t] = (fresh & !def) | (s.code_val[sc] & def);
                s.pending[t] = 0;
            }
        }
        s.capacity[sc] *= 1.0 - leavers as f64 / (hi - lo) as f64;
        let mut hr = stream(w.seed, w.replicate, sc as u64, Purpose::HeadTurnover, ykey);
        if hr.random::<f64>() < l.head_turnover {
            s.capacity[sc] = (s.capacity[sc] - l.head_change_cost * (1.0 - l.mentoring)).max(0.0);
        }
    }
    // Turbulence (shared shocks: keyed by year only).
    if cx.st.turbulence > 0.0 {
        match w.turbulent.get(ykey as usize) {
            Some(Some(l)) => s.landscape.clone_from(l),
            _ => {
                let mut r = stream(
                    w.seed,
                    w.replicate,
                    entity::WORLD,
                    Purpose::Turbulence,
                    ykey,
                );
                s.landscape.turbulence(cx.st.turbulence, &mut r);
            }
        }
    }
}

fn year_end(s: &mut State, cx: &Cx, ykey: u64, y: u32) {
    let w = cx.w;
    publish_results(s, w, ykey);
    update_bench(s, cx);
    // Trust from the adoptions of the year (at the adopter's rate).
    if cx.any_lateral {
        for e in 0..s.net.edges.len() {
            let flag = s.adopt_flag[e];
            if flag == 0 {
                continue;
            }
            let (a, b) = s.net.edges[e];
            let adopter = if flag == 1 { a } else { b } as usize;
            let gain = cx.lv(adopter).trust_gain;
            let (now, before) = (s.latest_published(adopter), s.previous_published(adopter));
            let t = &mut s.trust[e];
            if now > before {
                *t += gain * (1.0 - *t);
            } else if now < before {
                *t -= gain * *t / 2.0;
            }
            s.adopt_flag[e] = 0;
        }
    }
    if cx.any_upward {
        for sc in 0..w.n_schools {
            let l = cx.lv(sc);
            if !l.upward || !s.advice_taken[sc] {
                continue;
            }
            let (now, before) = (s.latest_published(sc), s.previous_published(sc));
            let t = &mut s.centre_trust[sc];
            if now > before {
                *t += l.centre_trust_gain * (1.0 - *t);
            } else if now < before {
                *t -= l.centre_trust_gain * *t / 2.0;
            }
            s.advice_taken[sc] = false;
        }
    }
    // Upward learning of a learned programme.
    for a in 0..w.n_authorities {
        let set = cx.auth(a);
        let l = &set.l;
        if l.upward && l.learned() && set.flags[y as usize].cascade_active {
            let m = w.members(a);
            let avg = m.iter().map(|&i| s.bench[i as usize]).sum::<f64>() / m.len() as f64;
            let mut ones = [0u32; 64];
            let mut sup = 0u32;
            for &i in m {
                if s.bench[i as usize] > avg {
                    sup += 1;
                    for (d, o) in ones.iter_mut().enumerate().take(cx.n as usize) {
                        *o += (s.majority[i as usize] >> d & 1) as u32;
                    }
                }
            }
            let mut r = stream(
                w.seed,
                w.replicate,
                entity::centre(a),
                Purpose::Upward,
                ykey,
            );
            for (d, &o) in ones.iter().enumerate().take(cx.n as usize) {
                let z = sup - o;
                if o == z {
                    continue;
                }
                let maj = (o > z) as u64;
                let k = o.abs_diff(z) as i32;
                if (s.prog_val[a] >> d & 1) != maj || s.prog_def[a] >> d & 1 == 0 {
                    let p = 1.0 - (1.0 - l.upward_learning).powi(k);
                    if r.random::<f64>() < p {
                        s.prog_def[a] |= 1 << d;
                        s.prog_val[a] = (s.prog_val[a] & !(1 << d)) | (maj << d);
                    }
                }
            }
        }
    }
    year_end_common(s, cx, ykey);
    // Trust decay under public accountability (proportional; on a tie
    // between authorities, the mean of both ends' decay).
    if cx.any_lateral {
        let decay = |i: usize| cx.lv(i).trust_decay * cx.flags(i, y).pressure;
        for (e, t) in s.trust.iter_mut().enumerate() {
            let (a, b) = s.net.edges[e];
            let (a, b) = (a as usize, b as usize);
            if cx.tie_active(a, b) {
                *t *= 1.0 - 0.5 * (decay(a) + decay(b));
            }
        }
    }
    // Brokerage (within each authority that brokers).
    let mut pairs = Vec::new();
    for a in 0..w.n_authorities {
        let l = &cx.auth(a).l;
        if !(l.lateral && l.brokered_ties_per_year > 0) {
            continue;
        }
        let m = w.members(a);
        if m.len() < 2 {
            continue;
        }
        {
            let mut r = stream(
                w.seed,
                w.replicate,
                entity::centre(a),
                Purpose::Brokerage,
                ykey,
            );
            for _ in 0..l.brokered_ties_per_year {
                let i = m[r.random_range(0..m.len())] as usize;
                let mut chosen = None;
                let mut fallback = None;
                for _ in 0..30 {
                    let j = m[r.random_range(0..m.len())] as usize;
                    if j == i
                        || s.net.groups[j] == s.net.groups[i]
                        || s.net.has_edge(i as u32, j as u32)
                    {
                        continue;
                    }
                    if !l.broker_by_context || w.context[j] == w.context[i] {
                        chosen = Some(j);
                        break;
                    }
                    fallback.get_or_insert(j);
                }
                if let Some(j) = chosen.or(fallback) {
                    pairs.push((i as u32, j as u32));
                }
            }
        }
    }
    if !pairs.is_empty() {
        let before = s.net.edges.len();
        s.net.add_edges(&pairs);
        for e in before..s.net.edges.len() {
            // A brokered tie joins two schools of the brokering authority.
            let i = s.net.edges[e].0 as usize;
            s.trust.push(cx.lv(i).trust_init);
            s.adopt_flag.push(0);
        }
    }
    // Ownership of mandated dimensions, at rate o.
    for sc in 0..w.n_schools {
        if cx.lv(sc).cascade {
            let mut r = stream(w.seed, w.replicate, sc as u64, Purpose::Owning, ykey);
            let d = bernoulli_mask(&mut r, P16::new(s.ownership[sc]), s.code_mand[sc]);
            s.own_dims(w, sc, d);
        }
    }
    // A decision the teachers' majority now practises is released to code learning.
    for sc in 0..w.n_schools {
        s.code_decided[sc] &= (s.majority[sc] ^ s.code_val[sc]) & s.code_def[sc];
    }
    // Roll the yearly counters.
    std::mem::swap(&mut s.last_projects, &mut s.yr_projects);
    std::mem::swap(&mut s.last_knowledge, &mut s.yr_knowledge);
    std::mem::swap(&mut s.last_meetings, &mut s.yr_meetings);
    s.yr_projects.iter_mut().for_each(|x| *x = 0);
    s.yr_knowledge.iter_mut().for_each(|x| *x = 0);
    s.yr_meetings.iter_mut().for_each(|x| *x = 0);
    // Recompute quality and majority practice after turnover and turbulence.
    for sc in 0..w.n_schools {
        let land = s.landscape.context(w.context[sc] as usize);
        let (lo, hi) = (w.offsets[sc] as usize, w.offsets[sc + 1] as usize);
        let mut q = 0.0;
        let mut counter = BitCounter::new(cx.n);
        for &x in &s.practice[lo..hi] {
            q += land.eval(x);
            counter.add(x & cx.mask);
        }
        let cnt = counter.finish();
        s.quality[sc] = q / (hi - lo) as f64;
        s.majority[sc] = majority_of(&cnt, hi - lo, cx.n, s.code_val[sc] & s.code_def[sc]);
    }
    if cx.any_enquiry {
        choose_focus(s, cx, ykey);
    }
}

// ---------------------------------------------------------------- indicators

/// Record the indicators of the state after `year` completed years.
fn record(s: &mut State, cx: &Cx, year: u32, row: &mut [f64]) {
    let w = cx.w;
    let ns = w.n_schools;
    let nf = ns as f64;
    let set = |row: &mut [f64], i: Ind, v: f64| row[i as usize] = v;
    // Attainment distribution.
    s.sort_buf.clear();
    s.sort_buf.extend_from_slice(&s.attainment);
    s.sort_buf.sort_unstable_by(|a, b| a.total_cmp(b));
    let sorted = &s.sort_buf;
    let m = mean(sorted);
    let var = sorted.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (nf - 1.0).max(1.0);
    set(row, Ind::AttMean, m);
    set(row, Ind::AttSd, var.sqrt());
    set(row, Ind::AttP10, quantile_sorted(sorted, 0.1));
    set(row, Ind::AttP25, quantile_sorted(sorted, 0.25));
    set(row, Ind::AttMedian, quantile_sorted(sorted, 0.5));
    set(row, Ind::AttP75, quantile_sorted(sorted, 0.75));
    set(row, Ind::AttP90, quantile_sorted(sorted, 0.9));
    let qn = (ns / 4).max(1);
    let bottom = mean(&sorted[..qn]);
    let top = mean(&sorted[ns - qn..]);
    set(row, Ind::Gap, top - bottom);
    // Equity: the quarter of schools with the lowest intake (fixed per world).
    let low = &w.low_intake;
    let eq = low.iter().map(|&i| s.attainment[i as usize]).sum::<f64>() / low.len() as f64;
    set(row, Ind::Equity, eq);
    let qm = mean(&s.quality);
    set(row, Ind::Quality, qm);
    let head = (1.0 - s.q0).max(1e-9);
    set(
        row,
        Ind::Headroom,
        s.quality.iter().map(|q| (q - s.q0) / head).sum::<f64>() / nf,
    );
    set(row, Ind::Diversity, diversity(&s.majority, cx.n));
    set(row, Ind::Capacity, mean(&s.capacity));
    set(row, Ind::Ownership, mean(&s.ownership));
    // Trust over the ties the exchange runs on; centre trust over the
    // schools whose authority publishes findings.
    let mut trust = (0.0, 0usize);
    if cx.any_lateral {
        for (e, &t) in s.trust.iter().enumerate() {
            let (a, b) = s.net.edges[e];
            if cx.tie_active(a as usize, b as usize) {
                trust.0 += t;
                trust.1 += 1;
            }
        }
    }
    let ratio = |(sum, n): (f64, usize)| if n > 0 { sum / n as f64 } else { f64::NAN };
    set(row, Ind::Trust, ratio(trust));
    let mut ctrust = (0.0, 0usize);
    if cx.any_upward {
        for (sc, &t) in s.centre_trust.iter().enumerate() {
            if cx.lv(sc).upward {
                ctrust.0 += t;
                ctrust.1 += 1;
            }
        }
    }
    set(row, Ind::CentreTrust, ratio(ctrust));
    let defined: u32 = s.code_def.iter().map(|d| d.count_ones()).sum();
    let mand: u32 = s.code_mand.iter().map(|d| d.count_ones()).sum();
    set(row, Ind::Mandated, mand as f64 / (nf * cx.n as f64));
    let _ = defined;
    let a = s.act;
    set(row, Ind::InitReceived, a.init_received as f64 / nf);
    set(row, Ind::InitComplied, a.init_complied as f64 / nf);
    set(row, Ind::ProjectsRun, a.projects_run as f64 / nf);
    set(row, Ind::ProjectsAdopted, a.projects_adopted as f64 / nf);
    set(row, Ind::Meetings, a.meetings as f64 / nf);
    set(row, Ind::LateralAdoptions, a.lateral_adoptions as f64 / nf);
    set(row, Ind::Reversions, a.reversions as f64 / nf);
    set(
        row,
        Ind::FindingsPublished,
        a.findings_published as f64 / nf,
    );
    set(row, Ind::FindingsTakenUp, a.findings_taken_up as f64 / nf);
    set(row, Ind::Depth, qm - s.q0);
    // Sustainability over the schools whose authority withdrew support at
    // least sustain_years ago.
    let (mut now, mut at0, mut atw, mut k) = (0.0, 0.0, 0.0, 0usize);
    for sc in 0..ns {
        let wy = cx.lv(sc).withdraw_year;
        if s.q_withdrawn[sc].is_finite() && year >= wy + cx.st.sustain_years {
            now += s.quality[sc];
            at0 += s.q0_school[sc];
            atw += s.q_withdrawn[sc];
            k += 1;
        }
    }
    let sus = if k > 0 {
        let kf = k as f64;
        let (now, at0, atw) = (now / kf, at0 / kf, atw / kf);
        if atw - at0 > MIN_GAIN_FOR_SUSTAINABILITY {
            (now - at0) / (atw - at0)
        } else {
            f64::NAN
        }
    } else {
        f64::NAN
    };
    set(row, Ind::Sustainability, sus);
    set(row, Ind::Spread, spread(s, w));
    // SLO composites.
    let mut vision = 0.0;
    for sc in 0..ns {
        let (lo, hi) = (w.offsets[sc] as usize, w.offsets[sc + 1] as usize);
        let def = s.code_def[sc];
        let val = s.code_val[sc];
        let agree: u32 = s.practice[lo..hi]
            .iter()
            .map(|&p| (!(p ^ val) & def).count_ones())
            .sum();
        vision += agree as f64 / ((hi - lo) as f64 * cx.n as f64);
    }
    set(row, Ind::SloVision, vision / nf);
    let cpd = cx.school_mean(|l| (l.cpd_hours / 35.0).min(1.0));
    set(row, Ind::SloContinuous, 0.5 * cpd + 0.5 * mean(&s.capacity));
    let team = cx.school_mean(|l| {
        let collab = |p: f64| p + l.collaboration * (1.0 - p);
        0.5 * collab(hazard(l.socialisation, 1.0)) + 0.5 * collab(hazard(l.code_learning, 1.0))
    });
    set(row, Ind::SloTeam, team);
    set(
        row,
        Ind::SloEnquiry,
        s.last_projects
            .iter()
            .map(|&p| (p as f64 / 3.0).min(1.0))
            .sum::<f64>()
            / nf,
    );
    set(
        row,
        Ind::SloKnowledge,
        s.last_knowledge
            .iter()
            .map(|&p| (p as f64 / 3.0).min(1.0))
            .sum::<f64>()
            / nf,
    );
    let mut ext = 0.0;
    for sc in 0..ns {
        let mut tsum = 0.0;
        let mut deg = 0;
        for (j, e) in s.net.neighbours(sc) {
            if cx.tie_active(sc, j as usize) {
                tsum += s.trust[e as usize];
                deg += 1;
            }
        }
        let tr = if deg > 0 { tsum / deg as f64 } else { 0.0 };
        ext += (s.last_meetings[sc] as f64 * tr / 6.0).min(1.0);
    }
    set(
        row,
        Ind::SloExternal,
        if cx.any_lateral { ext / nf } else { 0.0 },
    );
    set(
        row,
        Ind::SloLeadership,
        s.capacity
            .iter()
            .zip(&s.ownership)
            .map(|(c, o)| c * o)
            .sum::<f64>()
            / nf,
    );
}

/// Coburn spread, averaged over authorities (weighted by schools).
fn spread(s: &State, w: &World) -> f64 {
    let mut agree = 0usize;
    let mut total = 0usize;
    for a in 0..w.n_authorities {
        let m = w.members(a);
        let best = m
            .iter()
            .copied()
            .max_by(|&i, &j| {
                s.bench[i as usize]
                    .total_cmp(&s.bench[j as usize])
                    .then(j.cmp(&i))
            })
            .unwrap_or(0) as usize;
        let d = (s.majority[best] ^ s.year0_majority[a]) & w.landscape.mask();
        let nd = d.count_ones();
        if nd == 0 {
            continue;
        }
        for &i in m {
            let same = (!(s.majority[i as usize] ^ s.majority[best]) & d).count_ones();
            if same * 4 >= nd * 3 {
                agree += 1;
            }
            total += 1;
        }
    }
    if total == 0 {
        f64::NAN
    } else {
        agree as f64 / total as f64
    }
}
