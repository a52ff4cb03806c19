//! The step driver: burn-in, a strategy's initialisation, the order of the
//! phases in a step and of the year-end updates, and the run's records.

use super::attainment::{potential, publish_results, update_bench};
use super::cascade::cascade_phase;
use super::enquiry::{choose_focus, enquiry_phase};
use super::lateral::lateral_phase;
use super::record::{authority_majority, record};
use super::upward::publication_phase;
use super::within::{Pass, within_pass};
use super::{Activity, Cx, Mix, SchoolRow, Settings, State};
use super::{attainment, cascade, lateral, turnover, upward, within};
use crate::model::indicators::{Ind, N_IND};
use crate::model::world::World;
use crate::params::Levers;

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

pub(super) fn burn_in_from(w: &World, start: State, burn: &Levers, st: &Settings) -> State {
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
        turnover::year_end_common(&mut s, &cx, y as u64);
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
pub(super) fn record_groups(s: &State, cx: &Cx, out: &mut Vec<f64>) {
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

pub(super) fn activity_slice(r: &[f64]) -> [f64; 9] {
    let mut a = [0.0; 9];
    a.copy_from_slice(&r[Ind::InitReceived as usize..=Ind::FindingsTakenUp as usize]);
    a
}

pub(super) fn restore_activity(r: &mut [f64], a: [f64; 9]) {
    r[Ind::InitReceived as usize..=Ind::FindingsTakenUp as usize].copy_from_slice(&a);
}

pub(super) fn push_school_rows(s: &State, step: u32, out: &mut Vec<SchoolRow>) {
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

/// Strategy-specific initialisation at year 0.
pub(super) fn init_strategy(s: &mut State, cx: &Cx) {
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
    lateral::exchange_network(s, cx);
    upward::init_centre_trust(s, cx);
    cascade::design_programmes(s, cx);
    if cx.any_enquiry {
        choose_focus(s, cx, 0);
    }
}

/// One step: cascade, enquiry, lateral exchange, publication, then the
/// school-local pass (within-school learning, reversion, attainment).
pub(super) fn step(s: &mut State, cx: &Cx, t: u64, abs: u64, y: u32) {
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

pub(super) fn year_end(s: &mut State, cx: &Cx, ykey: u64, y: u32) {
    let w = cx.w;
    publish_results(s, w, ykey);
    update_bench(s, cx);
    lateral::trust_from_adoptions(s, cx);
    upward::centre_trust_from_results(s, cx);
    upward::learn_programmes(s, cx, ykey, y);
    turnover::year_end_common(s, cx, ykey);
    lateral::trust_decay(s, cx, y);
    lateral::broker(s, cx, ykey);
    cascade::own_mandated(s, cx, ykey);
    within::release_decisions(s, cx);
    // Roll the yearly counters.
    std::mem::swap(&mut s.last_projects, &mut s.yr_projects);
    std::mem::swap(&mut s.last_knowledge, &mut s.yr_knowledge);
    std::mem::swap(&mut s.last_meetings, &mut s.yr_meetings);
    s.yr_projects.iter_mut().for_each(|x| *x = 0);
    s.yr_knowledge.iter_mut().for_each(|x| *x = 0);
    s.yr_meetings.iter_mut().for_each(|x| *x = 0);
    attainment::measure_all(s, cx);
    if cx.any_enquiry {
        choose_focus(s, cx, ykey);
    }
}
