//! The sweep file (TOML): reading and validating it into a [`Sweep`].
//!
//! ```toml
//! name = "smoke"                  # names the default output folder out/<name>/
//! description = "one line"
//! scenario = "default"            # base scenario: a file (relative to this one) or a built-in
//! seed = 7                        # default: the base scenario's seed
//! design = "grid"                 # grid | random | lhs | sobol | morris
//! samples = 64                    # random, lhs: points; sobol: base samples N
//! trajectories = 20               # morris: r
//! levels = 4                      # morris: grid levels p (even)
//! replicates = 2                  # runs per point (default 1)
//! strategies = ["cascade", "enquiry"]   # default: every strategy of the base scenario
//!
//! [set]                           # fixed changes to the base, as `--set` keys
//! years = 3
//! landscape.n = 10
//!
//! [record]                        # what runs.csv keeps of every strategy
//! indicators = ["attainment_mean", "gap"]   # default: attainment_mean
//! years = [0, 3]                  # default: the last year
//!
//! [output]                        # the one output `analyze` and the charts use
//! strategy = "cascade"            # default: the first strategy
//! indicator = "attainment_mean"   # default
//! year = 3                        # default: the last year
//! minus = "enquiry"               # optional: a difference of two strategies
//!
//! [[lever]]                       # one table per varied lever
//! key = "landscape.context_weight"
//! values = [0.0, 0.5, 1.0]        # a list ...
//! [[lever]]
//! key = "strategy.cascade.fidelity"
//! min = 0.6                       # ... or a range,
//! max = 1.0
//! distribution = "uniform"        # uniform | log-uniform | triangular (mode) | normal (mean, sd)
//! steps = 5                       # grid only: evenly spaced values (by quantile)
//! label = "Cascade fidelity"      # optional: name in charts
//! ```
//!
//! Every problem is reported as `FILE:LINE:COLUMN: key `KEY`: MESSAGE`, with
//! the same [`ScenarioError`] as scenario files: unknown keys (with the
//! nearest known one), wrong types, lever names and ranges checked against
//! the lever registry (`params`), strategies and indicators that do not
//! exist. Each point of the plan is then resolved as the base scenario with
//! `--set` assignments, so every scenario rule applies to it too; a problem
//! there points at the lever (or `[set]` entry) that caused it.

use crate::model::NAMES;
use crate::params::{
    self, Kind, LANDSCAPE_LEVERS, NETWORK_LEVERS, RUN_LEVERS, SCHOOL_LEVERS, STRATEGY_LEVERS,
};
use crate::scenario::{Problem, Scenario, ScenarioError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::design;

/// Name and text of every built-in sweep (`sweeps/*.toml`).
pub const BUILTINS: &[(&str, &str)] = &[
    ("smoke", include_str!("../../sweeps/smoke.toml")),
    ("regime-map", include_str!("../../sweeps/regime-map.toml")),
    ("sobol-main", include_str!("../../sweeps/sobol-main.toml")),
];

/// How the points of a sweep are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Design {
    /// Every combination of the levers' values.
    Grid,
    /// Independent uniform samples.
    Random,
    /// A Latin hypercube.
    Lhs,
    /// Saltelli's scheme for Sobol indices.
    Sobol,
    /// Morris trajectories (elementary effects).
    Morris,
}

const DESIGNS: [&str; 5] = ["grid", "random", "lhs", "sobol", "morris"];

impl Design {
    fn from_name(s: &str) -> Option<Design> {
        Some(match s {
            "grid" => Design::Grid,
            "random" => Design::Random,
            "lhs" => Design::Lhs,
            "sobol" => Design::Sobol,
            "morris" => Design::Morris,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        DESIGNS[self as usize]
    }
}

/// A lever value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl fmt::Display for LValue {
    /// As written in CSV files and `--set` assignments: numbers in their
    /// shortest exact form, text bare.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LValue::Bool(b) => write!(f, "{b}"),
            LValue::Int(i) => write!(f, "{i}"),
            LValue::Float(x) => write!(f, "{x}"),
            LValue::Str(s) => f.write_str(s),
        }
    }
}

impl LValue {
    /// The value as a number, if it is one.
    pub fn number(&self) -> Option<f64> {
        match self {
            LValue::Int(i) => Some(*i as f64),
            LValue::Float(x) => Some(*x),
            _ => None,
        }
    }
}

/// The distribution of a lever's range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Dist {
    Uniform,
    LogUniform,
    Triangular {
        mode: f64,
    },
    /// A normal distribution truncated to the range.
    Normal {
        mean: f64,
        sd: f64,
    },
}

const DISTRIBUTIONS: [&str; 4] = ["uniform", "log-uniform", "triangular", "normal"];

/// What values a varied lever takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    /// A list of values (a grid's values; sampled designs pick among them
    /// with equal probability).
    Values(Vec<LValue>),
    /// A range with a distribution; `steps` evenly spaced quantiles for a
    /// grid.
    Range {
        min: f64,
        max: f64,
        dist: Dist,
        steps: Option<u32>,
    },
}

/// One varied lever.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lever {
    /// Dotted key, as `--set` takes it: `landscape.context_weight`,
    /// `levers.cpd_hours`, `strategy.cascade.fidelity`, `strategy.*.fidelity`.
    pub key: String,
    /// Name in charts (default: the key).
    pub label: String,
    /// The lever takes whole numbers.
    pub integer: bool,
    pub domain: Domain,
}

impl Lever {
    /// The value at unit coordinate `u` in `[0, 1]`: the `u`-quantile of the
    /// range's distribution (whole numbers: the range split into equal
    /// parts), or the value of `floor(u k)` of a list of `k`.
    pub fn at(&self, u: f64) -> LValue {
        let u = u.clamp(0.0, 1.0);
        match &self.domain {
            Domain::Values(v) => {
                let k = ((u * v.len() as f64) as usize).min(v.len() - 1);
                v[k].clone()
            }
            Domain::Range { min, max, dist, .. } => {
                if self.integer {
                    let x = match dist {
                        Dist::Uniform => (min + u * (max - min + 1.0)).floor(),
                        _ => quantile(dist, *min, *max, u).round(),
                    };
                    LValue::Int(x.clamp(*min, *max) as i64)
                } else {
                    LValue::Float(quantile(dist, *min, *max, u).clamp(*min, *max))
                }
            }
        }
    }

    /// The values of a grid: the list, or `steps` values at evenly spaced
    /// quantiles (from the minimum to the maximum, rounded to 10 significant
    /// digits so that 0.1 steps read 0.3, not 0.30000000000000004).
    pub fn grid(&self) -> Vec<LValue> {
        match &self.domain {
            Domain::Values(v) => v.clone(),
            Domain::Range {
                min,
                max,
                dist,
                steps,
            } => {
                let n = steps.unwrap_or(2).max(2) as usize;
                (0..n)
                    .map(|i| {
                        let u = i as f64 / (n - 1) as f64;
                        let x = if i + 1 == n {
                            *max
                        } else {
                            round_sig(quantile(dist, *min, *max, u))
                        };
                        if self.integer {
                            LValue::Int(x.round() as i64)
                        } else {
                            LValue::Float(x)
                        }
                    })
                    .collect()
            }
        }
    }

    /// Is the lever numeric (so a chart can put it on an axis)?
    pub fn numeric(&self) -> bool {
        match &self.domain {
            Domain::Values(v) => v.iter().all(|x| x.number().is_some()),
            Domain::Range { .. } => true,
        }
    }
}

fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{x:.9e}").parse().unwrap_or(x)
}

/// The `u`-quantile of `dist` on `[min, max]`.
fn quantile(dist: &Dist, min: f64, max: f64, u: f64) -> f64 {
    match dist {
        Dist::Uniform => min + u * (max - min),
        Dist::LogUniform => (min.ln() + u * (max.ln() - min.ln())).exp(),
        Dist::Triangular { mode } => {
            let c = (mode - min) / (max - min);
            if u < c {
                min + (u * (max - min) * (mode - min)).sqrt()
            } else {
                max - ((1.0 - u) * (max - min) * (max - mode)).sqrt()
            }
        }
        Dist::Normal { mean, sd } => {
            let a = design::normal_cdf((min - mean) / sd);
            let b = design::normal_cdf((max - mean) / sd);
            mean + sd * design::normal_ppf(a + u * (b - a))
        }
    }
}

/// The output that `analyze` and the charts study: one number per run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub strategy: String,
    pub indicator: String,
    pub year: u32,
    /// Subtract this strategy's value (same indicator and year).
    pub minus: Option<String>,
}

impl Output {
    /// "cascade attainment_mean at year 10" or "cascade minus enquiry: ...".
    pub fn describe(&self) -> String {
        match &self.minus {
            Some(m) => format!(
                "{} minus {}: {} at year {}",
                self.strategy, m, self.indicator, self.year
            ),
            None => format!(
                "{}: {} at year {}",
                self.strategy, self.indicator, self.year
            ),
        }
    }
}

/// A validated sweep.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sweep {
    pub name: String,
    pub description: String,
    /// Where the sweep came from: a path, or `built-in:NAME`.
    pub source: String,
    /// The base scenario as the sweep file names it.
    pub scenario: String,
    /// The base scenario as [`Scenario::open`] takes it (a path or a name).
    pub base: String,
    /// Fixed `--set` assignments applied to the base.
    pub set: Vec<String>,
    /// Seed of the design and of the runs' worlds.
    pub seed: u64,
    pub design: Design,
    /// random, lhs: points; sobol: base samples; morris: trajectories.
    pub samples: u32,
    /// morris: levels per lever.
    pub levels: u32,
    pub replicates: u32,
    /// Strategies run at every point (names in the base scenario).
    pub strategies: Vec<String>,
    /// Palette index of each strategy (its position in the base scenario,
    /// so a strategy keeps its colour across the program's charts).
    pub colors: Vec<usize>,
    /// Recorded indicators (names) and years; runs.csv has one column per
    /// pair, `INDICATOR_yYEAR`, indicator-major.
    pub indicators: Vec<String>,
    pub years: Vec<u32>,
    pub output: Output,
    pub levers: Vec<Lever>,
    /// Years of the base scenario.
    pub scenario_years: u32,
    /// Non-fatal remarks (printed before running).
    #[serde(skip)]
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub(crate) locs: Locs,
    /// The resolved base scenario.
    #[serde(skip)]
    pub(crate) base_scenario: Option<Box<Scenario>>,
}

/// Where `[set]` entries and levers were written, to point at them when a
/// point's scenario fails validation.
#[derive(Clone, Debug, Default)]
pub(crate) struct Locs {
    origin: String,
    set: Vec<(usize, usize)>,
    levers: Vec<(usize, usize)>,
}

impl Sweep {
    /// Open a sweep file or a built-in sweep (`NAME` or `built-in:NAME`).
    /// Returns the sweep and its text.
    pub fn open(arg: &str) -> Result<(Sweep, String), ScenarioError> {
        let path = Path::new(arg);
        if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ScenarioError::general(arg, format!("cannot read the sweep file: {e}"))
            })?;
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let sw = Sweep::from_str(&text, arg, Some(&dir))?;
            return Ok((sw, text));
        }
        let name = arg.strip_prefix("built-in:").unwrap_or(arg);
        match builtin(name) {
            Some(text) => {
                let sw = Sweep::from_str(text, &format!("built-in:{name}"), None)?;
                Ok((sw, text.to_string()))
            }
            None => {
                let names: Vec<&str> = BUILTINS.iter().map(|(n, _)| *n).collect();
                let hint = crate::scenario::load::nearest(name, names.iter().copied())
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                Err(ScenarioError::general(
                    "",
                    format!(
                        "no sweep file or built-in sweep named \"{arg}\"{hint}; built-in sweeps: {}",
                        names.join(", ")
                    ),
                ))
            }
        }
    }

    /// Read a sweep from TOML text. `origin` names it in messages; `dir` is
    /// the folder a relative base scenario path is resolved against (`None`:
    /// only built-in scenarios).
    pub fn from_str(text: &str, origin: &str, dir: Option<&Path>) -> Result<Sweep, ScenarioError> {
        let mut cx = Ctx {
            origin,
            text,
            problems: Vec::new(),
        };
        let raw = parse(text, &mut cx);
        let sw = raw.and_then(|raw| resolve(raw, origin, dir, &mut cx));
        cx.finish()?;
        Ok(sw.expect("no problems means a sweep"))
    }

    /// The resolved base scenario (with `[set]` applied).
    pub fn base_scenario(&self) -> Option<&Scenario> {
        self.base_scenario.as_deref()
    }

    /// The recorded columns: (indicator index, year), indicator-major.
    pub fn columns(&self) -> Vec<(usize, u32)> {
        self.indicators
            .iter()
            .filter_map(|n| NAMES.iter().position(|m| m == n))
            .flat_map(|i| self.years.iter().map(move |&y| (i, y)))
            .collect()
    }

    /// Column names of [`Sweep::columns`]: `INDICATOR_yYEAR`.
    pub fn column_names(&self) -> Vec<String> {
        self.columns()
            .iter()
            .map(|&(i, y)| format!("{}_y{y}", NAMES[i]))
            .collect()
    }

    /// Index of the column of `indicator` at `year`.
    pub fn column_of(&self, indicator: &str, year: u32) -> Option<usize> {
        let i = NAMES.iter().position(|n| *n == indicator)?;
        self.columns().iter().position(|&c| c == (i, year))
    }

    /// The `--set` assignments of a point: `[set]`, then one per lever.
    pub fn sets(&self, values: &[LValue]) -> Vec<String> {
        let mut s = self.set.clone();
        s.extend(
            self.levers
                .iter()
                .zip(values)
                .map(|(l, v)| format!("{}={v}", l.key)),
        );
        s
    }

    /// The scenario of point `point` with lever values `values`. A problem
    /// caused by a lever or a `[set]` entry points at it in the sweep file.
    pub fn scenario_at(&self, point: u64, values: &[LValue]) -> Result<Scenario, ScenarioError> {
        let sets = self.sets(values);
        Scenario::open(Some(&self.base), &sets).map_err(|e| self.remap(e, Some((point, values))))
    }

    /// Point problems of `--set #k` at the sweep file's lever or `[set]` entry.
    fn remap(&self, e: ScenarioError, point: Option<(u64, &[LValue])>) -> ScenarioError {
        let problems = e
            .problems()
            .iter()
            .map(|p| {
                let Some(k) = set_number(&p.origin) else {
                    return p.clone();
                };
                let mut q = p.clone();
                q.origin = self.locs.origin.clone();
                let nset = self.locs.set.len();
                let (loc, prefix) = if k < nset {
                    (self.locs.set.get(k).copied(), String::new())
                } else {
                    let li = k - nset;
                    let prefix = match point {
                        Some((id, values)) => format!(
                            "at point {id} ({} = {}): ",
                            self.levers[li].key,
                            values.get(li).map(|v| v.to_string()).unwrap_or_default()
                        ),
                        None => String::new(),
                    };
                    (self.locs.levers.get(li).copied(), prefix)
                };
                if let Some((l, c)) = loc.filter(|&(l, _)| l > 0) {
                    q.line = Some(l);
                    q.column = Some(c);
                }
                q.message = format!("{prefix}{}", q.message);
                q
            })
            .collect();
        ScenarioError::new(problems)
    }
}

/// `k` (0-based) of an origin `--set #K (...)`.
fn set_number(origin: &str) -> Option<usize> {
    let rest = origin.strip_prefix("--set #")?;
    let n: usize = rest.split(' ').next()?.parse().ok()?;
    n.checked_sub(1)
}

/// The text of a built-in sweep.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The `description` of a sweep text ("" if none).
pub fn description_of(text: &str) -> String {
    let Ok(doc) = DeTable::parse(text) else {
        return String::new();
    };
    match doc.get_ref().get("description").map(|v| v.get_ref()) {
        Some(DeValue::String(s)) => s.to_string(),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------- parsing

pub(crate) struct Ctx<'a> {
    pub(crate) origin: &'a str,
    pub(crate) text: &'a str,
    pub(crate) problems: Vec<(usize, Problem)>,
}

impl Ctx<'_> {
    /// A problem at byte `offset` (`usize::MAX`: no position).
    pub(crate) fn at(&mut self, offset: usize, key: Option<&str>, message: impl Into<String>) {
        let (line, column) = if offset == usize::MAX {
            (None, None)
        } else {
            let (l, c) = line_col(self.text, offset);
            (Some(l), Some(c))
        };
        self.problems.push((
            offset,
            Problem {
                origin: self.origin.to_string(),
                line,
                column,
                key: key.map(str::to_string),
                message: message.into(),
            },
        ));
    }

    pub(crate) fn finish(mut self) -> Result<(), ScenarioError> {
        if self.problems.is_empty() {
            return Ok(());
        }
        self.problems.sort_by_key(|(o, _)| *o);
        let mut out: Vec<Problem> = Vec::new();
        for (_, p) in self.problems {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        Err(ScenarioError::new(out))
    }
}

pub(crate) use crate::scenario::load::{line_col, nearest};

pub(crate) fn did_you_mean<'a>(key: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(key, candidates)
        .map(|c| format!(" (did you mean \"{c}\"?)"))
        .unwrap_or_default()
}

pub(crate) fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("a string (\"{s}\")"),
        DeValue::Integer(i) => format!("an integer ({i})"),
        DeValue::Float(f) => format!("a float ({})", f.as_str()),
        DeValue::Boolean(b) => format!("a boolean ({b})"),
        DeValue::Datetime(d) => format!("a date/time ({d})"),
        DeValue::Array(_) => "an array".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

fn integer_of(v: &DeValue<'_>) -> Option<i64> {
    match v {
        DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok(),
        _ => None,
    }
}

pub(crate) fn float_of(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
        DeValue::Integer(_) => integer_of(v).map(|i| i as f64),
        _ => None,
    }
}

/// A value with its position.
#[derive(Clone, Debug)]
pub(crate) struct At<T> {
    pub(crate) v: T,
    pub(crate) at: usize,
}

/// One `[[lever]]` table as written.
#[derive(Default)]
struct RawLever {
    at: usize,
    key: Option<At<String>>,
    label: Option<String>,
    values: Option<At<Vec<At<LValue>>>>,
    min: Option<At<f64>>,
    max: Option<At<f64>>,
    distribution: Option<At<String>>,
    mode: Option<At<f64>>,
    mean: Option<At<f64>>,
    sd: Option<At<f64>>,
    steps: Option<At<u32>>,
}

#[derive(Default)]
struct Raw {
    name: Option<String>,
    description: Option<String>,
    scenario: Option<At<String>>,
    seed: Option<u64>,
    design: Option<At<Design>>,
    samples: Option<At<u32>>,
    trajectories: Option<At<u32>>,
    levels: Option<At<u32>>,
    replicates: Option<u32>,
    strategies: Option<Vec<At<String>>>,
    set: Vec<(At<String>, String)>,
    indicators: Option<Vec<At<String>>>,
    years: Option<Vec<At<i64>>>,
    out_strategy: Option<At<String>>,
    out_indicator: Option<At<String>>,
    out_year: Option<At<i64>>,
    out_minus: Option<At<String>>,
    levers: Vec<RawLever>,
}

const TOP_KEYS: [&str; 15] = [
    "name",
    "description",
    "scenario",
    "seed",
    "design",
    "samples",
    "trajectories",
    "levels",
    "replicates",
    "strategies",
    "set",
    "record",
    "output",
    "lever",
    "levers",
];
const LEVER_KEYS: [&str; 10] = [
    "key",
    "label",
    "values",
    "min",
    "max",
    "distribution",
    "mode",
    "mean",
    "sd",
    "steps",
];

pub(crate) type Entry<'a, 'b> = (
    &'b Spanned<std::borrow::Cow<'a, str>>,
    &'b Spanned<DeValue<'a>>,
);

pub(crate) fn sorted<'a, 'b>(t: &'b DeTable<'a>) -> Vec<Entry<'a, 'b>> {
    let mut v: Vec<_> = t.iter().collect();
    v.sort_by_key(|(k, _)| k.span().start);
    v
}

pub(crate) fn get_str(cx: &mut Ctx, key: &str, v: &Spanned<DeValue>) -> Option<At<String>> {
    match v.get_ref() {
        DeValue::String(s) => Some(At {
            v: s.to_string(),
            at: v.span().start,
        }),
        other => {
            cx.at(
                v.span().start,
                Some(key),
                format!("expected a string, found {}", describe(other)),
            );
            None
        }
    }
}

pub(crate) fn get_int(
    cx: &mut Ctx,
    key: &str,
    v: &Spanned<DeValue>,
    min: i64,
    max: i64,
) -> Option<At<i64>> {
    match integer_of(v.get_ref()) {
        Some(i) if (min..=max).contains(&i) => Some(At {
            v: i,
            at: v.span().start,
        }),
        Some(i) => {
            let allowed = if max == i64::MAX {
                format!("a whole number >= {min}")
            } else {
                format!("a whole number from {min} to {max}")
            };
            cx.at(
                v.span().start,
                Some(key),
                format!("{i} is out of range: expected {allowed}"),
            );
            None
        }
        None => {
            cx.at(
                v.span().start,
                Some(key),
                format!("expected a whole number, found {}", describe(v.get_ref())),
            );
            None
        }
    }
}

pub(crate) fn get_float(cx: &mut Ctx, key: &str, v: &Spanned<DeValue>) -> Option<At<f64>> {
    match float_of(v.get_ref()) {
        Some(x) if x.is_finite() => Some(At {
            v: x,
            at: v.span().start,
        }),
        _ => {
            cx.at(
                v.span().start,
                Some(key),
                format!("expected a number, found {}", describe(v.get_ref())),
            );
            None
        }
    }
}

pub(crate) fn get_str_list(
    cx: &mut Ctx,
    key: &str,
    v: &Spanned<DeValue>,
) -> Option<Vec<At<String>>> {
    match v.get_ref() {
        DeValue::Array(items) => {
            let mut out = Vec::new();
            for item in items.iter() {
                out.push(get_str(cx, key, item)?);
            }
            Some(out)
        }
        other => {
            cx.at(
                v.span().start,
                Some(key),
                format!("expected a list of strings, found {}", describe(other)),
            );
            None
        }
    }
}

pub(crate) fn table<'a, 'b>(
    cx: &mut Ctx,
    key: &str,
    v: &'b Spanned<DeValue<'a>>,
    header: &str,
) -> Option<&'b DeTable<'a>> {
    match v.get_ref() {
        DeValue::Table(t) => Some(t),
        other => {
            cx.at(
                v.span().start,
                Some(key),
                format!("expected a table ({header}), found {}", describe(other)),
            );
            None
        }
    }
}

/// The `[set]` table, flattened to dotted keys and `--set` values.
pub(crate) fn flatten_set(
    cx: &mut Ctx,
    prefix: &str,
    t: &DeTable,
    out: &mut Vec<(At<String>, String)>,
) {
    for (k, v) in sorted(t) {
        let path = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        let text = match v.get_ref() {
            DeValue::Table(sub) => {
                flatten_set(cx, &path, sub, out);
                continue;
            }
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(_) => match integer_of(v.get_ref()) {
                Some(i) => i.to_string(),
                None => {
                    cx.at(v.span().start, Some(&path), "integer too large");
                    continue;
                }
            },
            DeValue::Float(f) => f.as_str().to_string(),
            DeValue::Boolean(b) => b.to_string(),
            DeValue::Array(items) => {
                let mut parts = Vec::new();
                for item in items.iter() {
                    match integer_of(item.get_ref()) {
                        Some(i) => parts.push(i.to_string()),
                        None => {
                            cx.at(
                                item.span().start,
                                Some(&path),
                                format!(
                                    "expected a list of whole numbers, found {}",
                                    describe(item.get_ref())
                                ),
                            );
                        }
                    }
                }
                format!("[{}]", parts.join(", "))
            }
            other => {
                cx.at(
                    v.span().start,
                    Some(&path),
                    format!("expected a scenario value, found {}", describe(other)),
                );
                continue;
            }
        };
        out.push((
            At {
                v: path,
                at: k.span().start,
            },
            text,
        ));
    }
}

fn scalar(v: &DeValue<'_>) -> Result<LValue, String> {
    match v {
        DeValue::String(s) => Ok(LValue::Str(s.to_string())),
        DeValue::Integer(_) => integer_of(v)
            .map(LValue::Int)
            .ok_or_else(|| "an integer too large for 64 bits".to_string()),
        DeValue::Float(_) => float_of(v)
            .filter(|x| x.is_finite())
            .map(LValue::Float)
            .ok_or_else(|| "an unreadable float".to_string()),
        DeValue::Boolean(b) => Ok(LValue::Bool(*b)),
        other => Err(describe(other)),
    }
}

fn parse_lever(cx: &mut Ctx, at: usize, t: &DeTable) -> RawLever {
    let mut l = RawLever {
        at,
        ..RawLever::default()
    };
    for (k, v) in sorted(t) {
        let key = k.get_ref().as_ref();
        let kat = k.span().start;
        let path = format!("lever.{key}");
        match key {
            "key" => l.key = get_str(cx, &path, v),
            "label" => l.label = get_str(cx, &path, v).map(|a| a.v),
            "values" => match v.get_ref() {
                DeValue::Array(items) if !items.is_empty() => {
                    let mut vals = Vec::new();
                    for item in items.iter() {
                        match scalar(item.get_ref()) {
                            Ok(x) => vals.push(At {
                                v: x,
                                at: item.span().start,
                            }),
                            Err(found) => cx.at(
                                item.span().start,
                                Some(&path),
                                format!("expected a number, boolean or string, found {found}"),
                            ),
                        }
                    }
                    l.values = Some(At {
                        v: vals,
                        at: v.span().start,
                    });
                }
                DeValue::Array(_) => {
                    cx.at(v.span().start, Some(&path), "the list of values is empty")
                }
                other => cx.at(
                    v.span().start,
                    Some(&path),
                    format!("expected a list of values, found {}", describe(other)),
                ),
            },
            "min" => l.min = get_float(cx, &path, v),
            "max" => l.max = get_float(cx, &path, v),
            "mode" => l.mode = get_float(cx, &path, v),
            "mean" => l.mean = get_float(cx, &path, v),
            "sd" => l.sd = get_float(cx, &path, v),
            "distribution" => {
                if let Some(s) = get_str(cx, &path, v) {
                    if DISTRIBUTIONS.contains(&s.v.as_str()) {
                        l.distribution = Some(s);
                    } else {
                        cx.at(
                            s.at,
                            Some(&path),
                            format!(
                                "\"{}\" is not a distribution{}: expected one of \"{}\"",
                                s.v,
                                did_you_mean(&s.v, DISTRIBUTIONS),
                                DISTRIBUTIONS.join("\", \"")
                            ),
                        );
                    }
                }
            }
            "steps" => {
                l.steps = get_int(cx, &path, v, 2, 100_000).map(|a| At {
                    v: a.v as u32,
                    at: a.at,
                })
            }
            _ => cx.at(
                kat,
                Some(&path),
                format!(
                    "unknown key in a [[lever]] table{}; the keys are {}",
                    did_you_mean(key, LEVER_KEYS),
                    LEVER_KEYS.join(", ")
                ),
            ),
        }
    }
    l
}

fn parse(text: &str, cx: &mut Ctx) -> Option<Raw> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let at = e.span().map_or(0, |s| s.start);
            cx.at(at, None, format!("invalid TOML: {}", e.message()));
        }
        return None;
    }
    let mut raw = Raw::default();
    let doc = doc.get_ref();
    for (k, v) in sorted(doc) {
        let key = k.get_ref().as_ref();
        let kat = k.span().start;
        match key {
            "name" => raw.name = get_str(cx, key, v).map(|a| a.v),
            "description" => raw.description = get_str(cx, key, v).map(|a| a.v),
            "scenario" => raw.scenario = get_str(cx, key, v),
            "seed" => raw.seed = get_int(cx, key, v, 0, i64::MAX).map(|a| a.v as u64),
            "design" => {
                if let Some(s) = get_str(cx, key, v) {
                    match Design::from_name(&s.v) {
                        Some(d) => raw.design = Some(At { v: d, at: s.at }),
                        None => cx.at(
                            s.at,
                            Some(key),
                            format!(
                                "\"{}\" is not a design{}: expected one of \"{}\"",
                                s.v,
                                did_you_mean(&s.v, DESIGNS),
                                DESIGNS.join("\", \"")
                            ),
                        ),
                    }
                }
            }
            "samples" | "trajectories" => {
                let min = if key == "samples" { 1 } else { 2 };
                let got = get_int(cx, key, v, min, 10_000_000).map(|a| At {
                    v: a.v as u32,
                    at: a.at,
                });
                if key == "samples" {
                    raw.samples = got;
                } else {
                    raw.trajectories = got;
                }
            }
            "levels" => {
                if let Some(a) = get_int(cx, key, v, 2, 1000) {
                    if a.v % 2 == 1 {
                        cx.at(
                            a.at,
                            Some(key),
                            format!("{} is odd: Morris levels must be even (4 is usual)", a.v),
                        );
                    } else {
                        raw.levels = Some(At {
                            v: a.v as u32,
                            at: a.at,
                        });
                    }
                }
            }
            "replicates" => {
                raw.replicates = get_int(cx, key, v, 1, 1_000_000).map(|a| a.v as u32)
            }
            "strategies" => raw.strategies = get_str_list(cx, key, v),
            "set" => {
                if let Some(t) = table(cx, key, v, "[set]") {
                    flatten_set(cx, "", t, &mut raw.set);
                }
            }
            "record" => {
                let Some(t) = table(cx, key, v, "[record]") else {
                    continue;
                };
                for (k2, v2) in sorted(t) {
                    let path = format!("record.{}", k2.get_ref());
                    match k2.get_ref().as_ref() {
                        "indicators" => raw.indicators = get_str_list(cx, &path, v2),
                        "years" => match v2.get_ref() {
                            DeValue::Array(items) => {
                                let mut ys = Vec::new();
                                for item in items.iter() {
                                    if let Some(y) = get_int(cx, &path, item, 0, 200) {
                                        ys.push(y);
                                    }
                                }
                                raw.years = Some(ys);
                            }
                            other => cx.at(
                                v2.span().start,
                                Some(&path),
                                format!("expected a list of years, found {}", describe(other)),
                            ),
                        },
                        other => cx.at(
                            k2.span().start,
                            Some(&path),
                            format!(
                                "unknown key in [record]{}; the keys are indicators, years",
                                did_you_mean(other, ["indicators", "years"])
                            ),
                        ),
                    }
                }
            }
            "output" => {
                let Some(t) = table(cx, key, v, "[output]") else {
                    continue;
                };
                const OUT_KEYS: [&str; 4] = ["strategy", "indicator", "year", "minus"];
                for (k2, v2) in sorted(t) {
                    let path = format!("output.{}", k2.get_ref());
                    match k2.get_ref().as_ref() {
                        "strategy" => raw.out_strategy = get_str(cx, &path, v2),
                        "indicator" => raw.out_indicator = get_str(cx, &path, v2),
                        "year" => raw.out_year = get_int(cx, &path, v2, 0, 200),
                        "minus" => raw.out_minus = get_str(cx, &path, v2),
                        other => cx.at(
                            k2.span().start,
                            Some(&path),
                            format!(
                                "unknown key in [output]{}; the keys are {}",
                                did_you_mean(other, OUT_KEYS),
                                OUT_KEYS.join(", ")
                            ),
                        ),
                    }
                }
            }
            "lever" => match v.get_ref() {
                DeValue::Array(items) => {
                    for item in items.iter() {
                        match item.get_ref() {
                            DeValue::Table(t) => {
                                let l = parse_lever(cx, item.span().start, t);
                                raw.levers.push(l);
                            }
                            other => cx.at(
                                item.span().start,
                                Some("lever"),
                                format!(
                                    "expected a table for each lever (write [[lever]]), found {}",
                                    describe(other)
                                ),
                            ),
                        }
                    }
                }
                other => cx.at(
                    kat,
                    Some("lever"),
                    format!(
                        "expected an array of tables: write [[lever]] (double brackets) before each lever, found {}",
                        describe(other)
                    ),
                ),
            },
            "levers" => cx.at(
                kat,
                Some("levers"),
                "a sweep names its varied levers in [[lever]] tables (one per lever, with `key = \"SECTION.KEY\"`); fixed changes go in [set]",
            ),
            _ => cx.at(
                kat,
                Some(key),
                format!(
                    "unknown top-level key{}; the keys are {}",
                    did_you_mean(key, TOP_KEYS),
                    TOP_KEYS[..14].join(", ")
                ),
            ),
        }
    }
    Some(raw)
}

// ------------------------------------------------------------- resolution

/// Every key a lever may name (for suggestions): sections and strategy levers.
fn all_lever_paths() -> Vec<String> {
    let mut v = Vec::new();
    for (sec, table) in [
        ("landscape", LANDSCAPE_LEVERS),
        ("schools", SCHOOL_LEVERS),
        ("network", NETWORK_LEVERS),
        ("levers", STRATEGY_LEVERS),
    ] {
        v.extend(table.iter().map(|s| format!("{sec}.{}", s.key)));
    }
    v.extend(
        STRATEGY_LEVERS
            .iter()
            .map(|s| format!("strategy.*.{}", s.key)),
    );
    v
}

/// The kind of a lever key, or why it cannot be varied.
pub(crate) fn lever_kind(key: &str, base: Option<&Scenario>) -> Result<Kind, String> {
    let parts: Vec<&str> = key.split('.').collect();
    let unknown = || {
        let paths = all_lever_paths();
        format!(
            "unknown lever `{key}`{}; a lever is SECTION.KEY (landscape, schools, network, levers), strategy.NAME.KEY, strategy.*.KEY or strategy.NAME.authority.J.KEY; see `orglearn levers`",
            nearest(key, paths.iter().map(String::as_str))
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default()
        )
    };
    match parts.as_slice() {
        [k] => {
            if RUN_LEVERS.iter().any(|s| s.key == *k) {
                Err(format!(
                    "`{k}` is a run setting and cannot be varied (fix it under [set] instead)"
                ))
            } else {
                Err(unknown())
            }
        }
        ["strategy", name, k] => {
            let spec = params::find_spec("strategy", k).ok_or_else(unknown)?;
            if let Some(sc) = base
                && *name != "*"
                && !sc.strategies.iter().any(|s| s.name == *name)
                && name.parse::<usize>().is_err()
            {
                let names: Vec<&str> = sc.strategies.iter().map(|s| s.name.as_str()).collect();
                return Err(format!(
                    "the base scenario has no strategy \"{name}\"{}; its strategies are {} (or use strategy.*.{k})",
                    did_you_mean(name, names.iter().copied()),
                    names.join(", ")
                ));
            }
            Ok(spec.kind)
        }
        ["strategy", name, "authority", j, k] => {
            let spec = params::find_spec("strategy", k).ok_or_else(unknown)?;
            if let Some(sc) = base {
                let Some(st) = sc.strategies.iter().find(|s| s.name == *name) else {
                    let names: Vec<&str> = sc.strategies.iter().map(|s| s.name.as_str()).collect();
                    return Err(format!(
                        "the base scenario has no strategy \"{name}\"{}; its strategies are {}",
                        did_you_mean(name, names.iter().copied()),
                        names.join(", ")
                    ));
                };
                let n = st.groups.len();
                if !j.parse::<usize>().is_ok_and(|j| (1..=n).contains(&j)) {
                    return Err(format!(
                        "strategy \"{name}\" has {n} [[strategy.authority]] table(s): expected strategy.{name}.authority.J.{k} with J from 1 to {n}"
                    ));
                }
            }
            Ok(spec.kind)
        }
        [sec @ ("landscape" | "schools" | "network" | "levers"), k] => params::find_spec(sec, k)
            .map(|s| s.kind)
            .ok_or_else(unknown),
        _ => Err(unknown()),
    }
}

/// A value checked against a lever's kind (numbers of float levers become floats).
fn check_value(kind: &Kind, v: &LValue) -> Result<LValue, String> {
    let bad = || {
        let found = match v {
            LValue::Bool(_) => "a boolean",
            LValue::Int(_) => "an integer",
            LValue::Float(_) => "a float",
            LValue::Str(_) => "a string",
        };
        format!("expected {}, found {found} ({v})", kind.allowed())
    };
    match *kind {
        Kind::Float { min, max } => {
            let x = v.number().ok_or_else(bad)?;
            if x < min || x > max {
                return Err(format!("{x} is out of range: expected {}", kind.allowed()));
            }
            Ok(LValue::Float(x))
        }
        Kind::Int { min, max } => {
            let x = match v {
                LValue::Int(i) => *i,
                LValue::Float(f) if f.fract() == 0.0 => *f as i64,
                _ => return Err(bad()),
            };
            if x < min || x > max {
                return Err(format!("{x} is out of range: expected {}", kind.allowed()));
            }
            Ok(LValue::Int(x))
        }
        Kind::Bool => match v {
            LValue::Bool(_) => Ok(v.clone()),
            _ => Err(bad()),
        },
        Kind::Choice(opts) => match v {
            LValue::Str(s) if opts.contains(&s.as_str()) => Ok(v.clone()),
            LValue::Str(s) => Err(format!(
                "\"{s}\" is not allowed: expected {}",
                kind.allowed()
            )),
            _ => Err(bad()),
        },
        Kind::Text | Kind::OptText => match v {
            LValue::Str(_) => Ok(v.clone()),
            _ => Err(bad()),
        },
    }
}

/// The base scenario argument for [`Scenario::open`]: a file next to the
/// sweep file, or a built-in name.
pub(crate) fn base_arg(name: &str, dir: Option<&Path>) -> Result<String, String> {
    if let Some(d) = dir {
        let p = d.join(name);
        if p.is_file() {
            return Ok(p.display().to_string());
        }
    }
    let bare = name.strip_prefix("built-in:").unwrap_or(name);
    if crate::scenario::builtin::builtin(bare).is_some() {
        return Ok(bare.to_string());
    }
    let names: Vec<&str> = crate::scenario::builtin::builtins()
        .iter()
        .map(|(n, _)| *n)
        .collect();
    Err(match dir {
        Some(d) => format!(
            "no scenario file \"{name}\" in {} and no built-in scenario of that name; built-ins: {}",
            d.display(),
            names.join(", ")
        ),
        None => format!(
            "no built-in scenario \"{name}\" (a built-in sweep can only use built-in scenarios); built-ins: {}",
            names.join(", ")
        ),
    })
}

fn resolve(raw: Raw, origin: &str, dir: Option<&Path>, cx: &mut Ctx) -> Option<Sweep> {
    let text = cx.text;
    let pos = |at: usize| line_col(text, at);
    let origin_name = {
        let o = origin.strip_prefix("built-in:").unwrap_or(origin);
        Path::new(o)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sweep".into())
    };
    let design = raw.design.as_ref().map_or(Design::Grid, |d| d.v);
    let design_at = raw.design.as_ref().map_or(usize::MAX, |d| d.at);

    // The base scenario, with [set].
    let scenario_name = raw
        .scenario
        .as_ref()
        .map_or("default".to_string(), |s| s.v.clone());
    let scenario_at = raw.scenario.as_ref().map_or(usize::MAX, |s| s.at);
    let set: Vec<String> = raw
        .set
        .iter()
        .map(|(k, v)| format!("{}={v}", k.v))
        .collect();
    let locs = Locs {
        origin: origin.to_string(),
        set: raw.set.iter().map(|(k, _)| pos(k.at)).collect(),
        levers: raw
            .levers
            .iter()
            .map(|l| pos(l.key.as_ref().map_or(l.at, |k| k.at)))
            .collect(),
    };
    let base = match base_arg(&scenario_name, dir) {
        Ok(b) => Some(b),
        Err(msg) => {
            cx.at(scenario_at, Some("scenario"), msg);
            None
        }
    };
    let mut probe = Sweep {
        name: String::new(),
        description: String::new(),
        source: origin.to_string(),
        scenario: scenario_name.clone(),
        base: base.clone().unwrap_or_default(),
        set: set.clone(),
        seed: 0,
        design,
        samples: 0,
        levels: 0,
        replicates: 1,
        strategies: Vec::new(),
        colors: Vec::new(),
        indicators: Vec::new(),
        years: Vec::new(),
        output: Output {
            strategy: String::new(),
            indicator: String::new(),
            year: 0,
            minus: None,
        },
        levers: Vec::new(),
        scenario_years: 0,
        warnings: Vec::new(),
        locs,
        base_scenario: None,
    };
    let sc = match &base {
        Some(b) => match Scenario::open(Some(b), &set) {
            Ok(sc) => Some(sc),
            Err(e) => {
                // After the sweep file's own problems, in the scenario's order.
                for p in probe.remap(e, None).problems() {
                    cx.problems.push((usize::MAX - 1, p.clone()));
                }
                None
            }
        },
        None => None,
    };

    // Strategies.
    let mut strategies = Vec::new();
    let mut colors = Vec::new();
    if let Some(sc) = &sc {
        let names: Vec<&str> = sc.strategies.iter().map(|s| s.name.as_str()).collect();
        match &raw.strategies {
            Some(list) if list.is_empty() => cx.at(
                usize::MAX,
                Some("strategies"),
                "the list of strategies is empty (leave it out to run every strategy of the base scenario)",
            ),
            Some(list) => {
                for s in list {
                    match names.iter().position(|n| *n == s.v) {
                        Some(_) if strategies.contains(&s.v) => {
                            cx.at(s.at, Some("strategies"), format!("\"{}\" is listed twice", s.v))
                        }
                        Some(i) => {
                            strategies.push(s.v.clone());
                            colors.push(i);
                        }
                        None => cx.at(
                            s.at,
                            Some("strategies"),
                            format!(
                                "the base scenario has no strategy \"{}\"{}; its strategies are {}",
                                s.v,
                                did_you_mean(&s.v, names.iter().copied()),
                                names.join(", ")
                            ),
                        ),
                    }
                }
            }
            None => {
                strategies = names.iter().map(|s| s.to_string()).collect();
                colors = (0..names.len()).collect();
            }
        }
    }
    let years_max = sc.as_ref().map_or(200, |s| s.run.years);

    // What is recorded.
    let check_indicator = |cx: &mut Ctx, s: &At<String>, key: &str| -> bool {
        if NAMES.contains(&s.v.as_str()) {
            return true;
        }
        cx.at(
            s.at,
            Some(key),
            format!(
                "unknown indicator \"{}\"{}; the indicators are the columns of indicators.csv: {}",
                s.v,
                did_you_mean(&s.v, NAMES.iter().copied()),
                NAMES.join(", ")
            ),
        );
        false
    };
    let mut indicators: Vec<String> = Vec::new();
    match &raw.indicators {
        Some(list) => {
            for s in list {
                if check_indicator(cx, s, "record.indicators") {
                    if indicators.contains(&s.v) {
                        cx.at(
                            s.at,
                            Some("record.indicators"),
                            format!("\"{}\" is listed twice", s.v),
                        );
                    } else {
                        indicators.push(s.v.clone());
                    }
                }
            }
        }
        None => indicators.push("attainment_mean".into()),
    }
    let mut years: Vec<u32> = Vec::new();
    let check_year = |cx: &mut Ctx, y: &At<i64>, key: &str| -> bool {
        if y.v as u32 <= years_max {
            return true;
        }
        cx.at(
            y.at,
            Some(key),
            format!(
                "year {} is after the end of the base scenario: expected a year from 0 to {years_max}",
                y.v
            ),
        );
        false
    };
    match &raw.years {
        Some(list) => {
            for y in list {
                if check_year(cx, y, "record.years") {
                    if years.contains(&(y.v as u32)) {
                        cx.at(
                            y.at,
                            Some("record.years"),
                            format!("year {} is listed twice", y.v),
                        );
                    } else {
                        years.push(y.v as u32);
                    }
                }
            }
        }
        None => years.push(years_max),
    }

    // The analysed output.
    let first = strategies.first().cloned().unwrap_or_default();
    let check_strategy = |cx: &mut Ctx, s: &At<String>, key: &str| -> bool {
        if strategies.contains(&s.v) || sc.is_none() {
            return true;
        }
        cx.at(
            s.at,
            Some(key),
            format!(
                "\"{}\" is not one of the sweep's strategies{}: {}",
                s.v,
                did_you_mean(&s.v, strategies.iter().map(String::as_str)),
                strategies.join(", ")
            ),
        );
        false
    };
    let out_strategy = match &raw.out_strategy {
        Some(s) => {
            check_strategy(cx, s, "output.strategy");
            s.v.clone()
        }
        None => first,
    };
    let out_minus = match &raw.out_minus {
        Some(s) => {
            if check_strategy(cx, s, "output.minus") && s.v == out_strategy {
                cx.at(
                    s.at,
                    Some("output.minus"),
                    "a strategy minus itself is zero: name another strategy",
                );
            }
            Some(s.v.clone())
        }
        None => None,
    };
    let out_indicator = match &raw.out_indicator {
        Some(s) => {
            check_indicator(cx, s, "output.indicator");
            s.v.clone()
        }
        None => "attainment_mean".to_string(),
    };
    let out_year = match &raw.out_year {
        Some(y) => {
            check_year(cx, y, "output.year");
            y.v as u32
        }
        None => years_max,
    };
    if !indicators.contains(&out_indicator) {
        indicators.push(out_indicator.clone());
    }
    if !years.contains(&out_year) {
        years.push(out_year);
    }
    years.sort_unstable();

    // Levers.
    let mut levers: Vec<Lever> = Vec::new();
    let set_keys: Vec<&str> = raw.set.iter().map(|(k, _)| k.v.as_str()).collect();
    for l in &raw.levers {
        let Some(key) = &l.key else {
            cx.at(
                l.at,
                Some("lever"),
                "a [[lever]] table needs `key = \"SECTION.KEY\"` (e.g. \"landscape.context_weight\")",
            );
            continue;
        };
        let kind = match lever_kind(&key.v, sc.as_ref()) {
            Ok(k) => k,
            Err(msg) => {
                cx.at(key.at, Some("lever.key"), msg);
                continue;
            }
        };
        if levers.iter().any(|m| m.key == key.v) {
            cx.at(key.at, Some(&key.v), "this lever is varied twice");
            continue;
        }
        if set_keys.contains(&key.v.as_str()) {
            cx.at(
                key.at,
                Some(&key.v),
                "this lever is both fixed in [set] and varied: remove one",
            );
            continue;
        }
        let k = key.v.as_str();
        let integer = matches!(kind, Kind::Int { .. });
        let has_range = l.min.is_some() || l.max.is_some();
        let range_only: [(&str, Option<usize>); 5] = [
            ("distribution", l.distribution.as_ref().map(|a| a.at)),
            ("mode", l.mode.as_ref().map(|a| a.at)),
            ("mean", l.mean.as_ref().map(|a| a.at)),
            ("sd", l.sd.as_ref().map(|a| a.at)),
            ("steps", l.steps.as_ref().map(|a| a.at)),
        ];
        let domain = if let Some(values) = &l.values {
            if has_range {
                let at = l
                    .min
                    .as_ref()
                    .or(l.max.as_ref())
                    .map_or(values.at, |a| a.at);
                cx.at(
                    at,
                    Some(k),
                    "give either `values` or a range (`min` and `max`), not both",
                );
                continue;
            }
            if let Some((name, Some(at))) = range_only.iter().find(|(_, a)| a.is_some()) {
                cx.at(
                    *at,
                    Some(k),
                    format!(
                        "`{name}` belongs to a range (`min`, `max`), not to a list of `values`"
                    ),
                );
                continue;
            }
            let mut vals = Vec::new();
            let mut ok = true;
            for v in &values.v {
                match check_value(&kind, &v.v) {
                    Ok(x) if vals.contains(&x) => {
                        cx.at(v.at, Some(k), format!("the value {x} is listed twice"));
                        ok = false;
                    }
                    Ok(x) => vals.push(x),
                    Err(msg) => {
                        cx.at(v.at, Some(k), msg);
                        ok = false;
                    }
                }
            }
            if !ok {
                continue;
            }
            Domain::Values(vals)
        } else if has_range {
            let (lo, hi) = match (&l.min, &l.max) {
                (Some(a), Some(b)) => (a, b),
                _ => {
                    cx.at(
                        l.min.as_ref().or(l.max.as_ref()).map_or(l.at, |a| a.at),
                        Some(k),
                        "a range needs both `min` and `max`",
                    );
                    continue;
                }
            };
            let (kmin, kmax) = match kind {
                Kind::Float { min, max } => (min, max),
                Kind::Int { min, max } => (min as f64, max as f64),
                Kind::Bool => {
                    cx.at(
                        lo.at,
                        Some(k),
                        "this lever is true or false: write `values = [false, true]`",
                    );
                    continue;
                }
                _ => {
                    cx.at(
                        lo.at,
                        Some(k),
                        format!(
                            "this lever takes {}: list them with `values = [...]`",
                            kind.allowed()
                        ),
                    );
                    continue;
                }
            };
            let mut ok = true;
            for (name, a) in [("min", lo), ("max", hi)] {
                if a.v < kmin || a.v > kmax {
                    cx.at(
                        a.at,
                        Some(k),
                        format!(
                            "`{name} = {}` is out of range: expected {}",
                            a.v,
                            kind.allowed()
                        ),
                    );
                    ok = false;
                } else if integer && a.v.fract() != 0.0 {
                    cx.at(
                        a.at,
                        Some(k),
                        format!("`{name} = {}`: this lever takes whole numbers", a.v),
                    );
                    ok = false;
                }
            }
            if ok && lo.v >= hi.v {
                cx.at(
                    hi.at,
                    Some(k),
                    format!("`max = {}` must be greater than `min = {}`", hi.v, lo.v),
                );
                ok = false;
            }
            let dist_name = l.distribution.as_ref().map_or("uniform", |d| d.v.as_str());
            let dist_at = l.distribution.as_ref().map_or(lo.at, |d| d.at);
            let need = |cx: &mut Ctx, p: &Option<At<f64>>, what: &str| -> Option<f64> {
                match p {
                    Some(a) => Some(a.v),
                    None => {
                        cx.at(
                            dist_at,
                            Some(k),
                            format!("distribution \"{dist_name}\" needs `{what}`"),
                        );
                        None
                    }
                }
            };
            let dist = match dist_name {
                "uniform" => Some(Dist::Uniform),
                "log-uniform" => {
                    if lo.v <= 0.0 {
                        cx.at(lo.at, Some(k), "a log-uniform range needs `min` > 0");
                        ok = false;
                    }
                    Some(Dist::LogUniform)
                }
                "triangular" => need(cx, &l.mode, "mode").map(|mode| Dist::Triangular { mode }),
                _ => match (need(cx, &l.mean, "mean"), need(cx, &l.sd, "sd")) {
                    (Some(mean), Some(sd)) => Some(Dist::Normal { mean, sd }),
                    _ => None,
                },
            };
            let Some(dist) = dist else {
                continue;
            };
            for (name, p) in [("mode", &l.mode), ("mean", &l.mean), ("sd", &l.sd)] {
                let used = matches!(
                    (name, &dist),
                    ("mode", Dist::Triangular { .. }) | ("mean" | "sd", Dist::Normal { .. })
                );
                if let (Some(a), false) = (p, used) {
                    cx.at(
                        a.at,
                        Some(k),
                        format!("`{name}` does not apply to distribution \"{dist_name}\""),
                    );
                    ok = false;
                }
            }
            if let (Some(a), Dist::Triangular { mode }) = (&l.mode, &dist)
                && !(lo.v..=hi.v).contains(mode)
            {
                cx.at(
                    a.at,
                    Some(k),
                    format!("`mode = {mode}` must lie between `min` and `max`"),
                );
                ok = false;
            }
            if let (Some(a), Dist::Normal { sd, .. }) = (&l.sd, &dist)
                && *sd <= 0.0
            {
                cx.at(a.at, Some(k), "`sd` must be greater than 0");
                ok = false;
            }
            if let Some(s) = &l.steps {
                if design != Design::Grid {
                    cx.at(
                        s.at,
                        Some(k),
                        format!("`steps` sets the values of a grid; design \"{}\" samples the range itself", design.name()),
                    );
                    ok = false;
                } else if integer && s.v as f64 > hi.v - lo.v + 1.0 {
                    cx.at(
                        s.at,
                        Some(k),
                        format!(
                            "{} steps between {} and {} would repeat whole numbers: at most {}",
                            s.v,
                            lo.v,
                            hi.v,
                            hi.v - lo.v + 1.0
                        ),
                    );
                    ok = false;
                }
            } else if design == Design::Grid {
                cx.at(
                    lo.at,
                    Some(k),
                    "a grid needs the lever's values: add `steps = N` (N evenly spaced values) or give `values = [...]`",
                );
                ok = false;
            }
            if !ok {
                continue;
            }
            Domain::Range {
                min: lo.v,
                max: hi.v,
                dist,
                steps: l.steps.as_ref().map(|s| s.v),
            }
        } else {
            cx.at(
                key.at,
                Some(k),
                "give the lever's `values = [...]` or a range (`min`, `max`)",
            );
            continue;
        };
        let lever = Lever {
            key: key.v.clone(),
            label: l.label.clone().unwrap_or_else(|| key.v.clone()),
            integer,
            domain,
        };
        if let Domain::Range { steps: Some(_), .. } = &lever.domain {
            let g = lever.grid();
            if g.windows(2).any(|w| w[0] == w[1]) {
                cx.at(
                    key.at,
                    Some(k),
                    "the steps give repeated values: use fewer steps",
                );
                continue;
            }
        }
        levers.push(lever);
    }
    if raw.levers.is_empty() && design != Design::Grid {
        cx.at(
            design_at,
            Some("design"),
            format!("design \"{}\" needs at least one [[lever]]", design.name()),
        );
    }

    // Sizes.
    let d = levers.len();
    let mut samples = 0;
    let mut levels = 0;
    match design {
        Design::Grid => {
            if let Some(s) = &raw.samples {
                cx.at(s.at, Some("samples"), "a grid takes no `samples`: its points are every combination of the levers' values");
            }
            let size: f64 = levers.iter().map(|l| l.grid().len() as f64).product();
            if size > 10_000_000.0 {
                cx.at(design_at, Some("design"), format!("the grid has {size} points: at most 10,000,000"));
            }
        }
        Design::Random | Design::Lhs | Design::Sobol => match &raw.samples {
            Some(s) => {
                samples = s.v;
                if design == Design::Sobol {
                    if 2 * d > design::SOBOL_MAX_DIMS {
                        cx.at(
                            design_at,
                            Some("design"),
                            format!(
                                "a sobol design takes at most {} levers ({d} given)",
                                design::SOBOL_MAX_DIMS / 2
                            ),
                        );
                    }
                    if s.v < 2 {
                        cx.at(s.at, Some("samples"), "a sobol design needs at least 2 base samples");
                    } else if !s.v.is_power_of_two() {
                        probe.warnings.push(format!(
                            "samples = {} is not a power of two: Sobol points are best balanced at {} or {}",
                            s.v,
                            s.v.next_power_of_two() / 2,
                            s.v.next_power_of_two()
                        ));
                    }
                }
            }
            None => cx.at(
                design_at,
                Some("design"),
                match design {
                    Design::Sobol => format!("design \"sobol\" needs `samples` (base samples N: the plan has N x (levers + 2) = N x {} points)", d + 2),
                    _ => format!("design \"{}\" needs `samples` (the number of points)", design.name()),
                },
            ),
        },
        Design::Morris => {
            match &raw.trajectories {
                Some(t) => samples = t.v,
                None => cx.at(
                    design_at,
                    Some("design"),
                    format!("design \"morris\" needs `trajectories` (r: the plan has r x (levers + 1) = r x {} points)", d + 1),
                ),
            }
            levels = raw.levels.as_ref().map_or(4, |l| l.v);
        }
    }
    if design != Design::Morris {
        for (name, a) in [("trajectories", &raw.trajectories), ("levels", &raw.levels)] {
            if let Some(a) = a {
                cx.at(
                    a.at,
                    Some(name),
                    format!("`{name}` applies to design \"morris\" only"),
                );
            }
        }
    }
    if design == Design::Morris
        && let Some(s) = &raw.samples
    {
        cx.at(
            s.at,
            Some("samples"),
            "design \"morris\" takes `trajectories`, not `samples`",
        );
    }

    // Remarks: a `levers.KEY` that a strategy's preset (or table) overrides
    // does not reach that strategy.
    if let Some(sc) = &sc {
        for l in &levers {
            let Some(k) = l.key.strip_prefix("levers.") else {
                continue;
            };
            for st in sc
                .strategies
                .iter()
                .filter(|s| strategies.contains(&s.name))
            {
                let by_preset = params::preset_overrides(&st.preset)
                    .iter()
                    .any(|(p, _)| *p == k);
                if by_preset || st.overrides.iter().any(|o| o == k) {
                    probe.warnings.push(format!(
                        "{}: strategy \"{}\" sets `{k}` itself, so varying levers.{k} does not change it (vary strategy.{}.{k} or strategy.*.{k} to reach it)",
                        l.key, st.name, st.name
                    ));
                }
            }
        }
    }

    let sc = sc?;
    probe.name = raw.name.unwrap_or(origin_name);
    probe.description = raw.description.unwrap_or_default();
    probe.seed = raw.seed.unwrap_or(sc.run.seed);
    probe.samples = samples;
    probe.levels = levels;
    probe.replicates = raw.replicates.unwrap_or(1);
    probe.strategies = strategies;
    probe.colors = colors;
    probe.indicators = indicators;
    probe.years = years;
    probe.output = Output {
        strategy: out_strategy,
        indicator: out_indicator,
        year: out_year,
        minus: out_minus,
    };
    probe.levers = levers;
    probe.scenario_years = sc.run.years;
    probe.base_scenario = Some(Box::new(sc));
    Some(probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_sweeps_is_registered_and_valid() {
        crate::scenario::builtin::assert_folder_registered("sweeps", BUILTINS);
        for (name, _) in BUILTINS {
            let (sw, _) = Sweep::open(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(sw.name, *name);
            assert!(!sw.description.is_empty(), "{name} has no description");
            assert!(sw.warnings.is_empty(), "{name}: {:?}", sw.warnings);
        }
    }

    #[test]
    fn grid_steps_are_even_quantiles_rounded() {
        let l = Lever {
            key: "landscape.turbulence".into(),
            label: String::new(),
            integer: false,
            domain: Domain::Range {
                min: 0.0,
                max: 0.1,
                dist: Dist::Uniform,
                steps: Some(11),
            },
        };
        let g = l.grid();
        assert_eq!(g[3], LValue::Float(0.03));
        assert_eq!(g[10], LValue::Float(0.1));
        let l = Lever {
            domain: Domain::Range {
                min: 1.0,
                max: 100.0,
                dist: Dist::LogUniform,
                steps: Some(3),
            },
            ..l
        };
        assert_eq!(
            l.grid(),
            vec![
                LValue::Float(1.0),
                LValue::Float(10.0),
                LValue::Float(100.0)
            ]
        );
    }

    #[test]
    fn integer_ranges_split_into_equal_parts() {
        let l = Lever {
            key: "landscape.k".into(),
            label: String::new(),
            integer: true,
            domain: Domain::Range {
                min: 1.0,
                max: 4.0,
                dist: Dist::Uniform,
                steps: None,
            },
        };
        let got: Vec<LValue> = [0.0, 0.24, 0.26, 0.5, 0.99, 1.0]
            .iter()
            .map(|&u| l.at(u))
            .collect();
        let want: Vec<LValue> = [1, 1, 2, 3, 4, 4].iter().map(|&i| LValue::Int(i)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn quantiles_of_the_distributions() {
        let t = Dist::Triangular { mode: 0.0 };
        assert!((quantile(&t, 0.0, 1.0, 0.75) - 0.5).abs() < 1e-12);
        let n = Dist::Normal { mean: 0.0, sd: 1.0 };
        assert!(quantile(&n, -5.0, 5.0, 0.5).abs() < 1e-6);
        assert!((quantile(&n, -5.0, 5.0, 0.975) - 1.96).abs() < 1e-3);
    }
}
