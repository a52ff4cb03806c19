//! The calibration file (TOML) and its observed series (CSV): reading and
//! validating them into a [`Calibration`].
//!
//! ```toml
//! name = "ks2-maths"                  # names the default output folder out/<name>/
//! description = "one line"
//! scenario = "national-strategies"    # a scenario file (relative to this one) or a built-in
//! strategy = "national-strategies"    # the strategy whose trajectory was observed
//! indicator = "attainment_mean"       # default
//! seed = 11                           # default: the scenario's seed
//! set = ["schools.schools=25"]        # fixed `--set` changes to the scenario
//!
//! [observed]
//! file = "ks2-maths.csv"              # year,value[,se]; relative to this file
//! year0 = 1997                        # the calendar year of model year 0
//! default_se = 1.0                    # noise where the CSV gives no se (points)
//! holdout = 3                         # hold-out check: fit all but the last 3 years, predict them (0: none)
//!
//! [observation]                       # optional: observed = offset + scale x model
//! offset = { distribution = "uniform", min = -5, max = 5 }
//! scale = { distribution = "uniform", min = 0.5, max = 2 }
//!
//! [[prior]]                           # 1 to 8 levers, as `--set` keys
//! key = "schools.practice_effect"
//! distribution = "uniform"            # uniform | log-uniform | normal (mean, sd; truncated to min..max)
//! min = 10
//! max = 80
//!
//! [abc]
//! particles = 100                     # particles kept in each generation
//! alpha = 0.5                         # share of a generation's population kept
//! runs = 4                            # simulations per particle (their mean is compared)
//! budget = 4000                       # most simulations in all
//! minutes = 10                        # most wall time (optional; results then depend on speed)
//! min_acceptance = 0.05               # stop once fewer of the new particles are accepted
//! ```
//!
//! Every problem is reported as `FILE:LINE:COLUMN: key `KEY`: MESSAGE`, with
//! the same [`ScenarioError`] as scenario and sweep files, and a problem of
//! the CSV as `FILE:LINE: column `NAME`: MESSAGE`.

use crate::model::NAMES;
use crate::model::indicators::bounds;
use crate::params::Kind;
use crate::scenario::{Problem, Scenario, ScenarioError};
use crate::sweep::spec::{
    At, Ctx, base_arg, describe, did_you_mean, get_float, get_int, get_str, get_str_list,
    lever_kind, sorted, table,
};
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::abc::{Prior, PriorDist};

/// Name and text of every shipped calibration (`calibrations/*.toml`) and
/// of the series they read.
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "ks2-maths",
        include_str!("../../calibrations/ks2-maths.toml"),
    ),
    (
        "synthetic",
        include_str!("../../calibrations/synthetic.toml"),
    ),
];

/// The series the shipped calibrations read, by file name.
pub const BUILTIN_SERIES: &[(&str, &str)] = &[
    (
        "ks2-maths.csv",
        include_str!("../../calibrations/ks2-maths.csv"),
    ),
    (
        "synthetic.csv",
        include_str!("../../calibrations/synthetic.csv"),
    ),
];

/// The default noise of an observation whose CSV row gives no `se`, in
/// the indicator's units. An assumption: national KS2 results move by about
/// a point a year from test to test with no change of policy.
pub const DEFAULT_SE: f64 = 1.0;

/// The observed series.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// The CSV as the calibration file names it.
    pub file: String,
    /// Calendar years, increasing by one.
    pub years: Vec<i64>,
    pub values: Vec<f64>,
    /// Standard error of each value (the CSV's, else the default).
    pub se: Vec<f64>,
    /// Whether the CSV gave the se (else [`Calibration::default_se`] is used).
    pub se_given: bool,
}

/// Settings of the ABC-SMC run.
#[derive(Clone, Debug, PartialEq)]
pub struct AbcSettings {
    pub particles: usize,
    pub alpha: f64,
    pub runs: u32,
    pub budget: u64,
    pub minutes: Option<f64>,
    pub min_acceptance: f64,
}

/// A validated calibration.
#[derive(Clone, Debug)]
pub struct Calibration {
    pub name: String,
    pub description: String,
    /// Where the calibration came from: a path, or `built-in:NAME`.
    pub source: String,
    /// The scenario as the file names it.
    pub scenario: String,
    /// Fixed `--set` assignments applied to the scenario.
    pub set: Vec<String>,
    /// The observed strategy's name and position in the scenario.
    pub strategy: String,
    pub strategy_index: usize,
    pub indicator: String,
    pub indicator_index: usize,
    pub seed: u64,
    pub year0: i64,
    pub observed: Observed,
    pub default_se: f64,
    pub holdout: usize,
    pub offset: Option<Prior>,
    pub scale: Option<Prior>,
    pub priors: Vec<Prior>,
    pub abc: AbcSettings,
    /// The scenario with `set` applied.
    pub base: Scenario,
}

impl Calibration {
    /// Model year of each observation.
    pub fn model_years(&self) -> Vec<u32> {
        self.observed
            .years
            .iter()
            .map(|y| (y - self.year0) as u32)
            .collect()
    }

    /// Every parameter's prior: the levers, then offset and scale if present.
    pub fn all_priors(&self) -> Vec<Prior> {
        let mut v = self.priors.clone();
        v.extend(self.offset.clone());
        v.extend(self.scale.clone());
        v
    }

    /// Open a calibration file or a shipped one (`NAME` or `built-in:NAME`).
    /// Returns the calibration and its text.
    pub fn open(arg: &str) -> Result<(Calibration, String), ScenarioError> {
        let path = Path::new(arg);
        if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ScenarioError::general(arg, format!("cannot read the calibration file: {e}"))
            })?;
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let c = Calibration::from_str(&text, arg, Some(&dir))?;
            return Ok((c, text));
        }
        let name = arg.strip_prefix("built-in:").unwrap_or(arg);
        match BUILTINS.iter().find(|(n, _)| *n == name) {
            Some((_, text)) => {
                let c = Calibration::from_str(text, &format!("built-in:{name}"), None)?;
                Ok((c, text.to_string()))
            }
            None => {
                let names: Vec<&str> = BUILTINS.iter().map(|(n, _)| *n).collect();
                Err(ScenarioError::general(
                    "",
                    format!(
                        "no calibration file or shipped calibration named \"{arg}\"; shipped calibrations: {}",
                        names.join(", ")
                    ),
                ))
            }
        }
    }

    /// Read a calibration from TOML text. `origin` names it in messages;
    /// `dir` is the folder relative paths are resolved against (`None`: the
    /// shipped series and built-in scenarios only).
    pub fn from_str(
        text: &str,
        origin: &str,
        dir: Option<&Path>,
    ) -> Result<Calibration, ScenarioError> {
        let mut cx = Ctx {
            origin,
            text,
            problems: Vec::new(),
        };
        let raw = parse(&mut cx);
        let c = raw.and_then(|raw| resolve(raw, origin, dir, &mut cx));
        cx.finish()?;
        Ok(c.expect("no problems means a calibration"))
    }
}

// ---------------------------------------------------------------- parsing

#[derive(Default)]
struct RawPrior {
    at: usize,
    key: Option<At<String>>,
    label: Option<String>,
    dist: Option<At<String>>,
    min: Option<At<f64>>,
    max: Option<At<f64>>,
    mean: Option<At<f64>>,
    sd: Option<At<f64>>,
}

#[derive(Default)]
struct Raw {
    name: Option<String>,
    description: Option<String>,
    scenario: Option<At<String>>,
    strategy: Option<At<String>>,
    indicator: Option<At<String>>,
    seed: Option<u64>,
    set: Vec<At<String>>,
    file: Option<At<String>>,
    year0: Option<At<i64>>,
    default_se: Option<At<f64>>,
    holdout: Option<At<i64>>,
    offset: Option<RawPrior>,
    scale: Option<RawPrior>,
    priors: Vec<RawPrior>,
    particles: Option<At<i64>>,
    alpha: Option<At<f64>>,
    runs: Option<At<i64>>,
    budget: Option<At<i64>>,
    minutes: Option<At<f64>>,
    min_acceptance: Option<At<f64>>,
    observed_at: Option<usize>,
}

const TOP_KEYS: [&str; 11] = [
    "name",
    "description",
    "scenario",
    "strategy",
    "indicator",
    "seed",
    "set",
    "observed",
    "observation",
    "prior",
    "abc",
];
const PRIOR_KEYS: [&str; 7] = ["key", "label", "distribution", "min", "max", "mean", "sd"];
const DISTS: [&str; 3] = ["uniform", "log-uniform", "normal"];
const OBSERVED_KEYS: [&str; 4] = ["file", "year0", "default_se", "holdout"];
const ABC_KEYS: [&str; 6] = [
    "particles",
    "alpha",
    "runs",
    "budget",
    "minutes",
    "min_acceptance",
];

fn unknown(cx: &mut Ctx, at: usize, path: &str, key: &str, where_: &str, keys: &[&str]) {
    cx.at(
        at,
        Some(path),
        format!(
            "unknown key in {where_}{}; the keys are {}",
            did_you_mean(key, keys.iter().copied()),
            keys.join(", ")
        ),
    );
}

fn parse_prior(cx: &mut Ctx, prefix: &str, at: usize, t: &DeTable, with_key: bool) -> RawPrior {
    let mut p = RawPrior {
        at,
        ..RawPrior::default()
    };
    for (k, v) in sorted(t) {
        let key = k.get_ref().as_ref();
        let path = format!("{prefix}.{key}");
        match key {
            "key" if with_key => p.key = get_str(cx, &path, v),
            "label" => p.label = get_str(cx, &path, v).map(|a| a.v),
            "distribution" => {
                if let Some(s) = get_str(cx, &path, v) {
                    if DISTS.contains(&s.v.as_str()) {
                        p.dist = Some(s);
                    } else {
                        cx.at(
                            s.at,
                            Some(&path),
                            format!(
                                "\"{}\" is not a prior distribution{}: expected one of \"{}\"",
                                s.v,
                                did_you_mean(&s.v, DISTS),
                                DISTS.join("\", \"")
                            ),
                        );
                    }
                }
            }
            "min" => p.min = get_float(cx, &path, v),
            "max" => p.max = get_float(cx, &path, v),
            "mean" => p.mean = get_float(cx, &path, v),
            "sd" => p.sd = get_float(cx, &path, v),
            _ => {
                let keys: Vec<&str> = PRIOR_KEYS
                    .iter()
                    .copied()
                    .filter(|k| with_key || *k != "key")
                    .collect();
                unknown(cx, k.span().start, &path, key, "a prior", &keys)
            }
        }
    }
    p
}

fn sub_table<'a, 'b>(
    cx: &mut Ctx,
    key: &str,
    v: &'b Spanned<DeValue<'a>>,
) -> Option<&'b DeTable<'a>> {
    table(cx, key, v, &format!("[{key}]"))
}

fn parse(cx: &mut Ctx) -> Option<Raw> {
    let (doc, errors) = DeTable::parse_recoverable(cx.text);
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
            "strategy" => raw.strategy = get_str(cx, key, v),
            "indicator" => raw.indicator = get_str(cx, key, v),
            "seed" => raw.seed = get_int(cx, key, v, 0, i64::MAX).map(|a| a.v as u64),
            "set" => raw.set = get_str_list(cx, key, v).unwrap_or_default(),
            "observed" => {
                raw.observed_at = Some(kat);
                let Some(t) = sub_table(cx, key, v) else {
                    continue;
                };
                for (k2, v2) in sorted(t) {
                    let name = k2.get_ref().as_ref();
                    let path = format!("observed.{name}");
                    match name {
                        "file" => raw.file = get_str(cx, &path, v2),
                        "year0" => raw.year0 = get_int(cx, &path, v2, -10_000, 10_000),
                        "default_se" => raw.default_se = get_float(cx, &path, v2),
                        "holdout" => raw.holdout = get_int(cx, &path, v2, 0, 1000),
                        _ => unknown(
                            cx,
                            k2.span().start,
                            &path,
                            name,
                            "[observed]",
                            &OBSERVED_KEYS,
                        ),
                    }
                }
            }
            "observation" => {
                let Some(t) = sub_table(cx, key, v) else {
                    continue;
                };
                for (k2, v2) in sorted(t) {
                    let name = k2.get_ref().as_ref();
                    let path = format!("observation.{name}");
                    match name {
                        "offset" | "scale" => {
                            let Some(t2) = table(cx, &path, v2, "a prior, e.g. { distribution = \"uniform\", min = -5, max = 5 }") else {
                                continue;
                            };
                            let p = parse_prior(cx, &path, v2.span().start, t2, false);
                            if name == "offset" {
                                raw.offset = Some(p);
                            } else {
                                raw.scale = Some(p);
                            }
                        }
                        _ => unknown(
                            cx,
                            k2.span().start,
                            &path,
                            name,
                            "[observation]",
                            &["offset", "scale"],
                        ),
                    }
                }
            }
            "prior" => match v.get_ref() {
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        match item.get_ref() {
                            DeValue::Table(t) => {
                                let p = parse_prior(
                                    cx,
                                    &format!("prior.{}", i + 1),
                                    item.span().start,
                                    t,
                                    true,
                                );
                                raw.priors.push(p);
                            }
                            other => cx.at(
                                item.span().start,
                                Some("prior"),
                                format!(
                                    "expected a table for each prior (write [[prior]]), found {}",
                                    describe(other)
                                ),
                            ),
                        }
                    }
                }
                other => cx.at(
                    kat,
                    Some("prior"),
                    format!(
                        "expected an array of tables: write [[prior]] (double brackets) before each prior, found {}",
                        describe(other)
                    ),
                ),
            },
            "abc" => {
                let Some(t) = sub_table(cx, key, v) else {
                    continue;
                };
                for (k2, v2) in sorted(t) {
                    let name = k2.get_ref().as_ref();
                    let path = format!("abc.{name}");
                    match name {
                        "particles" => raw.particles = get_int(cx, &path, v2, 4, 100_000),
                        "alpha" => raw.alpha = get_float(cx, &path, v2),
                        "runs" => raw.runs = get_int(cx, &path, v2, 1, 10_000),
                        "budget" => raw.budget = get_int(cx, &path, v2, 1, i64::MAX),
                        "minutes" => raw.minutes = get_float(cx, &path, v2),
                        "min_acceptance" => raw.min_acceptance = get_float(cx, &path, v2),
                        _ => unknown(cx, k2.span().start, &path, name, "[abc]", &ABC_KEYS),
                    }
                }
            }
            _ => unknown(cx, kat, key, key, "a calibration file", &TOP_KEYS),
        }
    }
    Some(raw)
}

// ------------------------------------------------------------- resolution

/// A prior checked against the lever's range (`kind`; `None` for the
/// observation model's offset and scale).
fn resolve_prior(
    cx: &mut Ctx,
    path: &str,
    key: String,
    p: &RawPrior,
    kind: Option<Kind>,
) -> Option<Prior> {
    let (Some(min), Some(max)) = (&p.min, &p.max) else {
        cx.at(
            p.at,
            Some(path),
            "a prior needs `min` and `max` (its range; a normal prior is truncated to it)",
        );
        return None;
    };
    let mut ok = true;
    if max.v <= min.v {
        cx.at(
            max.at,
            Some(&format!("{path}.max")),
            format!("max ({}) must be greater than min ({})", max.v, min.v),
        );
        ok = false;
    }
    let integer = matches!(kind, Some(Kind::Int { .. }));
    match kind {
        Some(k @ (Kind::Float { .. } | Kind::Int { .. })) => {
            let (lo, hi) = match k {
                Kind::Int { min, max } => (min as f64, max as f64),
                Kind::Float { min, max } => (min, max),
                _ => unreachable!("matched a numeric kind"),
            };
            for (name, b) in [("min", min), ("max", max)] {
                if b.v < lo || b.v > hi {
                    cx.at(
                        b.at,
                        Some(&format!("{path}.{name}")),
                        format!(
                            "{} is outside the range of `{key}`: a prior must lie within {}",
                            b.v,
                            k.allowed()
                        ),
                    );
                    ok = false;
                }
            }
        }
        None => {}
        Some(other) => {
            cx.at(
                p.key.as_ref().map_or(p.at, |k| k.at),
                Some(&format!("{path}.key")),
                format!(
                    "`{key}` takes {}: only numeric levers can be calibrated",
                    other.allowed()
                ),
            );
            ok = false;
        }
    }
    let dist = match p.dist.as_ref().map_or("uniform", |d| d.v.as_str()) {
        "log-uniform" => {
            if min.v <= 0.0 {
                cx.at(
                    min.at,
                    Some(&format!("{path}.min")),
                    "a log-uniform prior needs min > 0",
                );
                ok = false;
            }
            PriorDist::LogUniform
        }
        "normal" => {
            let (Some(mean), Some(sd)) = (&p.mean, &p.sd) else {
                cx.at(
                    p.dist.as_ref().map_or(p.at, |d| d.at),
                    Some(&format!("{path}.distribution")),
                    "a normal prior needs `mean` and `sd` (it is truncated to min..max)",
                );
                return None;
            };
            if sd.v <= 0.0 {
                cx.at(
                    sd.at,
                    Some(&format!("{path}.sd")),
                    format!("{} must be > 0", sd.v),
                );
                ok = false;
            }
            PriorDist::Normal {
                mean: mean.v,
                sd: sd.v,
            }
        }
        _ => PriorDist::Uniform,
    };
    if !matches!(dist, PriorDist::Normal { .. }) {
        for (name, v) in [("mean", &p.mean), ("sd", &p.sd)] {
            if let Some(v) = v {
                cx.at(
                    v.at,
                    Some(&format!("{path}.{name}")),
                    "`mean` and `sd` belong to a normal prior (write distribution = \"normal\")",
                );
                ok = false;
            }
        }
    }
    ok.then(|| Prior {
        label: p.label.clone().unwrap_or_else(|| key.clone()),
        key,
        dist,
        min: min.v,
        max: max.v,
        integer,
    })
}

fn resolve(raw: Raw, origin: &str, dir: Option<&Path>, cx: &mut Ctx) -> Option<Calibration> {
    let origin_name = {
        let o = origin.strip_prefix("built-in:").unwrap_or(origin);
        Path::new(o)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "calibration".into())
    };
    let Some(scenario) = raw.scenario.as_ref() else {
        cx.at(
            usize::MAX,
            Some("scenario"),
            "missing: name the scenario to calibrate (a file or a built-in, see `orglearn list`)",
        );
        return None;
    };
    let base_name = match base_arg(&scenario.v, dir) {
        Ok(b) => b,
        Err(msg) => {
            cx.at(scenario.at, Some("scenario"), msg);
            return None;
        }
    };
    let set: Vec<String> = raw.set.iter().map(|s| s.v.clone()).collect();
    let base = match Scenario::open(Some(&base_name), &set) {
        Ok(sc) => sc,
        Err(e) => {
            for p in e.problems() {
                let at = if p.origin.starts_with("--set #") {
                    p.origin
                        .strip_prefix("--set #")
                        .and_then(|r| r.split(' ').next())
                        .and_then(|n| n.parse::<usize>().ok())
                        .and_then(|n| raw.set.get(n.wrapping_sub(1)))
                        .map_or(scenario.at, |s| s.at)
                } else {
                    scenario.at
                };
                let key = if at == scenario.at { "scenario" } else { "set" };
                cx.at(at, Some(key), p.to_string());
            }
            return None;
        }
    };

    // Strategy and indicator.
    let names: Vec<&str> = base.strategies.iter().map(|s| s.name.as_str()).collect();
    let (strategy, strategy_index) = match &raw.strategy {
        None => (names[0].to_string(), 0),
        Some(s) => match names.iter().position(|n| *n == s.v) {
            Some(i) => (s.v.clone(), i),
            None => {
                cx.at(
                    s.at,
                    Some("strategy"),
                    format!(
                        "the scenario has no strategy \"{}\"{}; its strategies are {}",
                        s.v,
                        did_you_mean(&s.v, names.iter().copied()),
                        names.join(", ")
                    ),
                );
                return None;
            }
        },
    };
    let indicator = raw
        .indicator
        .as_ref()
        .map_or("attainment_mean".to_string(), |i| i.v.clone());
    let Some(indicator_index) = NAMES.iter().position(|n| *n == indicator) else {
        let at = raw.indicator.as_ref().map_or(usize::MAX, |i| i.at);
        cx.at(
            at,
            Some("indicator"),
            format!(
                "unknown indicator \"{indicator}\"{}; see the indicators in the README",
                did_you_mean(&indicator, NAMES.iter().copied())
            ),
        );
        return None;
    };

    // Priors.
    let mut priors = Vec::new();
    for (i, p) in raw.priors.iter().enumerate() {
        let path = format!("prior.{}", i + 1);
        let Some(key) = &p.key else {
            cx.at(
                p.at,
                Some(&path),
                "a prior needs `key`: the lever, as `--set` takes it (e.g. \"schools.practice_effect\", \"strategy.NAME.fidelity\")",
            );
            continue;
        };
        if priors.iter().any(|q: &Prior| q.key == key.v) {
            cx.at(
                key.at,
                Some(&format!("{path}.key")),
                format!("`{}` has two priors", key.v),
            );
            continue;
        }
        match lever_kind(&key.v, Some(&base)) {
            Ok(kind) => {
                if let Some(pr) = resolve_prior(cx, &path, key.v.clone(), p, Some(kind)) {
                    priors.push(pr);
                }
            }
            Err(msg) => cx.at(key.at, Some(&format!("{path}.key")), msg),
        }
    }
    if raw.priors.is_empty() || raw.priors.len() > 8 {
        cx.at(
            usize::MAX,
            Some("prior"),
            format!(
                "a calibration has 1 to 8 [[prior]] tables (it has {}): one per lever to fit",
                raw.priors.len()
            ),
        );
    }
    let offset = raw
        .offset
        .as_ref()
        .and_then(|p| resolve_prior(cx, "observation.offset", "offset".into(), p, None));
    let scale = raw
        .scale
        .as_ref()
        .and_then(|p| resolve_prior(cx, "observation.scale", "scale".into(), p, None));
    if let Some(s) = &scale
        && s.min <= 0.0
    {
        let at = raw
            .scale
            .as_ref()
            .and_then(|r| r.min.as_ref())
            .map_or(usize::MAX, |m| m.at);
        cx.at(at, Some("observation.scale.min"), "a scale must be > 0");
    }

    // The observed series.
    let observed_at = raw.observed_at.unwrap_or(usize::MAX);
    let Some(file) = &raw.file else {
        cx.at(
            observed_at,
            Some("observed.file"),
            "missing: name the observed series, a CSV of year,value[,se]",
        );
        return None;
    };
    let Some(year0) = &raw.year0 else {
        cx.at(
            observed_at,
            Some("observed.year0"),
            "missing: the calendar year that model year 0 corresponds to",
        );
        return None;
    };
    let default_se = match &raw.default_se {
        Some(a) if a.v <= 0.0 => {
            cx.at(
                a.at,
                Some("observed.default_se"),
                format!("{} must be > 0", a.v),
            );
            DEFAULT_SE
        }
        Some(a) => a.v,
        None => DEFAULT_SE,
    };
    let (series_origin, series_text) = match read_series_text(&file.v, dir) {
        Ok(t) => t,
        Err(msg) => {
            cx.at(file.at, Some("observed.file"), msg);
            return None;
        }
    };
    let observed = match read_series(
        &series_origin,
        &file.v,
        &series_text,
        default_se,
        bounds(indicator_index, base.landscape.n),
    ) {
        Ok(o) => o,
        Err(e) => {
            let (l, c) = crate::sweep::spec::line_col(cx.text, file.at);
            let mut problems: Vec<Problem> = e.problems().to_vec();
            problems.push(Problem {
                origin: origin.to_string(),
                line: Some(l),
                column: Some(c),
                key: Some("observed.file".into()),
                message: "the observed series above has problems".into(),
            });
            for p in problems {
                cx.problems.push((file.at, p));
            }
            return None;
        }
    };
    if observed.years[0] < year0.v {
        cx.at(
            year0.at,
            Some("observed.year0"),
            format!(
                "the series starts in {}, before model year 0 ({}): year0 must be at most the first observed year",
                observed.years[0], year0.v
            ),
        );
    }
    let last_model_year = observed.years.last().copied().unwrap_or(0) - year0.v;
    if !(1..=200).contains(&last_model_year) {
        cx.at(
            year0.at,
            Some("observed.year0"),
            format!(
                "the series ends {last_model_year} years after year0: expected 1 to 200 model years"
            ),
        );
    }
    let holdout = raw.holdout.as_ref().map_or(0, |h| h.v as usize);
    if let Some(h) = &raw.holdout
        && h.v as usize + 3 > observed.years.len()
    {
        cx.at(
            h.at,
            Some("observed.holdout"),
            format!(
                "holding out {} of {} years leaves fewer than 3 to fit",
                h.v,
                observed.years.len()
            ),
        );
    }

    // ABC settings.
    let particles = raw.particles.as_ref().map_or(100, |a| a.v as usize);
    let alpha = match &raw.alpha {
        Some(a) if a.v <= 0.0 || a.v >= 1.0 => {
            cx.at(
                a.at,
                Some("abc.alpha"),
                format!(
                    "{} is out of range: expected a number between 0 and 1 (0.5 is usual)",
                    a.v
                ),
            );
            0.5
        }
        Some(a) => a.v,
        None => 0.5,
    };
    let min_acceptance = match &raw.min_acceptance {
        Some(a) if a.v <= 0.0 || a.v >= 1.0 => {
            cx.at(
                a.at,
                Some("abc.min_acceptance"),
                format!(
                    "{} is out of range: expected a number between 0 and 1 (0.05 is usual)",
                    a.v
                ),
            );
            0.05
        }
        Some(a) => a.v,
        None => 0.05,
    };
    let minutes = match &raw.minutes {
        Some(a) if a.v <= 0.0 => {
            cx.at(a.at, Some("abc.minutes"), format!("{} must be > 0", a.v));
            None
        }
        Some(a) => Some(a.v),
        None => None,
    };
    let runs = raw.runs.as_ref().map_or(4, |a| a.v as u32);
    let budget = raw.budget.as_ref().map_or(
        (particles as f64 / alpha).ceil() as u64 * runs as u64 * 6,
        |a| a.v as u64,
    );
    let first = (particles as f64 / alpha).ceil() as u64 * runs as u64;
    if budget < first {
        let at = raw.budget.as_ref().map_or(usize::MAX, |a| a.at);
        cx.at(
            at,
            Some("abc.budget"),
            format!(
                "{budget} simulations do not cover the first generation ({} proposals x {runs} runs = {first}): raise the budget or lower particles or runs",
                (particles as f64 / alpha).ceil()
            ),
        );
    }

    Some(Calibration {
        name: raw.name.unwrap_or(origin_name),
        description: raw.description.unwrap_or_default(),
        source: origin.to_string(),
        scenario: scenario.v.clone(),
        set,
        strategy,
        strategy_index,
        indicator,
        indicator_index,
        seed: raw.seed.unwrap_or(base.run.seed),
        year0: year0.v,
        observed,
        default_se,
        holdout,
        offset,
        scale,
        priors,
        abc: AbcSettings {
            particles,
            alpha,
            runs,
            budget,
            minutes,
            min_acceptance,
        },
        base,
    })
}

/// The text of the series `file`: next to the calibration file, or shipped.
fn read_series_text(file: &str, dir: Option<&Path>) -> Result<(String, String), String> {
    if let Some(d) = dir {
        let p = d.join(file);
        return match std::fs::read_to_string(&p) {
            Ok(t) => Ok((p.display().to_string(), t)),
            Err(e) => Err(format!(
                "cannot read the observed series {}: {e}",
                p.display()
            )),
        };
    }
    BUILTIN_SERIES
        .iter()
        .find(|(n, _)| *n == file)
        .map(|(n, t)| (format!("built-in:{n}"), t.to_string()))
        .ok_or_else(|| format!("no shipped series \"{file}\""))
}

/// Read a series CSV (`year,value[,se]`, a header row, one row per year
/// with no gaps). Every problem names the file, line and column.
pub fn read_series(
    origin: &str,
    file: &str,
    text: &str,
    default_se: f64,
    (lo, hi): (Option<f64>, Option<f64>),
) -> Result<Observed, ScenarioError> {
    let mut problems = Vec::new();
    let mut at = |line: usize, col: Option<&str>, msg: String| {
        problems.push(Problem {
            origin: origin.to_string(),
            line: Some(line),
            column: Some(1),
            key: col.map(|c| format!("column {c}")),
            message: msg,
        })
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((hl, header)) = lines.next() else {
        return Err(ScenarioError::general(
            origin,
            "the series is empty: expected a header `year,value[,se]` and one row per year",
        ));
    };
    let head: Vec<String> = header
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let has_se = match head
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["year", "value"] => false,
        ["year", "value", "se"] => true,
        _ => {
            at(
                hl + 1,
                None,
                format!(
                    "the header is `{}`: expected `year,value` or `year,value,se`",
                    header.trim()
                ),
            );
            return Err(ScenarioError::new(problems));
        }
    };
    let mut years: Vec<i64> = Vec::new();
    let mut values = Vec::new();
    let mut se = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != head.len() {
            at(
                n,
                None,
                format!(
                    "{} cells, expected {} ({})",
                    cells.len(),
                    head.len(),
                    head.join(",")
                ),
            );
            continue;
        }
        let year = match cells[0].parse::<i64>() {
            Ok(y) => y,
            Err(_) => {
                at(
                    n,
                    Some("year"),
                    format!("\"{}\" is not a year (expected a whole number)", cells[0]),
                );
                continue;
            }
        };
        if let Some(&prev) = years.last() {
            if year <= prev {
                at(
                    n,
                    Some("year"),
                    format!("{year} follows {prev}: years must increase"),
                );
                continue;
            }
            if year > prev + 1 {
                let missing: Vec<String> = (prev + 1..year).map(|y| y.to_string()).collect();
                at(
                    n,
                    Some("year"),
                    format!(
                        "missing year{} {} between {prev} and {year}: the series needs one row per year",
                        if missing.len() > 1 { "s" } else { "" },
                        missing.join(", ")
                    ),
                );
            }
        }
        let value = match cells[1].parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                at(
                    n,
                    Some("value"),
                    format!("\"{}\" is not a number", cells[1]),
                );
                continue;
            }
        };
        if lo.is_some_and(|lo| value < lo) || hi.is_some_and(|hi| value > hi) {
            at(
                n,
                Some("value"),
                format!(
                    "{value} is outside what the indicator can take ({} to {})",
                    lo.unwrap_or(f64::NEG_INFINITY),
                    hi.unwrap_or(f64::INFINITY)
                ),
            );
        }
        let s = if has_se {
            match cells[2].parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 => s,
                Ok(s) => {
                    at(n, Some("se"), format!("{s}: a standard error must be > 0"));
                    continue;
                }
                Err(_) => {
                    at(n, Some("se"), format!("\"{}\" is not a number", cells[2]));
                    continue;
                }
            }
        } else {
            default_se
        };
        years.push(year);
        values.push(value);
        se.push(s);
    }
    if problems.is_empty() && years.len() < 3 {
        problems.push(Problem::general(
            origin,
            format!("{} rows: a series needs at least 3 years", years.len()),
        ));
    }
    if !problems.is_empty() {
        return Err(ScenarioError::new(problems));
    }
    Ok(Observed {
        file: file.to_string(),
        years,
        values,
        se,
        se_given: has_se,
    })
}
