//! Reading a scenario file and `--set` assignments into a [`Scenario`].
//!
//! Three stages: the TOML text is parsed into a [`RawDoc`] (tables of
//! entries that remember where each key and value was written); `--set`
//! assignments then replace or add entries of that document; finally
//! [`resolve`] validates every entry against the lever tables of `params`
//! and builds the typed scenario, collecting every problem on the way. An
//! already resolved scenario can be turned back into a [`RawDoc`], so later
//! `--set` assignments go through exactly the same validation.

use super::error::{Problem, ScenarioError};
use super::{Scenario, StrategySpec};
use crate::landscape::MAX_K;
use crate::params::{
    self, Kind, LANDSCAPE_LEVERS, LandscapeParams, LeverSpec, Levers, Mechanism, NETWORK_LEVERS,
    NetworkParams, PRESETS, RUN_LEVERS, RunParams, SCHOOL_LEVERS, STRATEGY_LEVERS, SchoolParams,
    Value,
};
use std::collections::HashMap;
use std::path::PathBuf;
use toml::de::{DeTable, DeValue};

/// Where a key or value was written. The derived order is the order in
/// which problems are reported, and "later" for cross-field checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Loc {
    /// Not written by the user: a default, or a strategy added because the
    /// file has no `[[strategy]]` table.
    Builtin,
    /// A value of an already resolved scenario (see [`Scenario::apply_set`]).
    Prior,
    /// A byte offset in the scenario text.
    File(usize),
    /// The n-th (0-based) `--set` assignment.
    Set(usize),
}

/// The parts of a scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Top,
    Landscape,
    Schools,
    Network,
    Levers,
    Strategy,
}

/// Keys of a `[[strategy]]` table that are not levers.
const STRATEGY_KEYS: [&str; 2] = ["preset", "name"];

impl Section {
    fn from_name(name: &str) -> Option<Section> {
        Some(match name {
            "landscape" => Section::Landscape,
            "schools" => Section::Schools,
            "network" => Section::Network,
            "levers" => Section::Levers,
            "strategy" => Section::Strategy,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Section::Top => "",
            Section::Landscape => "landscape",
            Section::Schools => "schools",
            Section::Network => "network",
            Section::Levers => "levers",
            Section::Strategy => "strategy",
        }
    }

    /// How the section is written in a file.
    fn header(self) -> &'static str {
        match self {
            Section::Top => "the top level",
            Section::Landscape => "[landscape]",
            Section::Schools => "[schools]",
            Section::Network => "[network]",
            Section::Levers => "[levers]",
            Section::Strategy => "a [[strategy]] table",
        }
    }

    fn specs(self) -> &'static [LeverSpec] {
        match self {
            Section::Top => RUN_LEVERS,
            Section::Landscape => LANDSCAPE_LEVERS,
            Section::Schools => SCHOOL_LEVERS,
            Section::Network => NETWORK_LEVERS,
            Section::Levers | Section::Strategy => STRATEGY_LEVERS,
        }
    }

    fn spec(self, key: &str) -> Option<&'static LeverSpec> {
        self.specs().iter().find(|s| s.key == key)
    }

    /// The dotted path of a key of this section (not for strategies).
    fn path(self, key: &str) -> String {
        match self {
            Section::Top => key.to_string(),
            s => format!("{}.{key}", s.name()),
        }
    }
}

/// One `key = value` as written.
#[derive(Clone, Debug)]
struct Entry {
    key: String,
    key_loc: Loc,
    val_loc: Loc,
    /// The value, or a description of what was found where a lever value
    /// was expected (a table, a date, ...).
    value: Result<Value, String>,
    /// Set by `--set strategy.*.KEY`: acts only where its mechanism is on.
    wildcard: bool,
}

/// The entries of one table, in the order written.
#[derive(Clone, Debug, Default)]
struct Table {
    entries: Vec<Entry>,
}

impl Table {
    fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// Add an entry, replacing one of the same key.
    fn put(&mut self, entry: Entry) {
        match self.entries.iter_mut().find(|e| e.key == entry.key) {
            Some(e) => *e = entry,
            None => self.entries.push(entry),
        }
    }

    fn string(&self, key: &str) -> Option<&str> {
        match self.get(key).map(|e| &e.value) {
            Some(Ok(Value::Str(s))) => Some(s),
            _ => None,
        }
    }
}

/// One `[[strategy]]` table.
#[derive(Clone, Debug)]
struct RawStrategy {
    /// Where the table starts (its `[[strategy]]` header).
    header: Loc,
    table: Table,
}

impl RawStrategy {
    /// The name `--set strategy.NAME.KEY` matches: `name`, else `preset`.
    fn name(&self) -> Option<&str> {
        self.table
            .string("name")
            .or_else(|| self.table.string("preset"))
    }
}

/// A scenario as written: unvalidated entries with their places.
#[derive(Clone, Debug, Default)]
struct RawDoc {
    top: Table,
    landscape: Table,
    schools: Table,
    network: Table,
    levers: Table,
    strategies: Vec<RawStrategy>,
}

impl RawDoc {
    fn table(&self, s: Section) -> &Table {
        match s {
            Section::Top => &self.top,
            Section::Landscape => &self.landscape,
            Section::Schools => &self.schools,
            Section::Network => &self.network,
            Section::Levers | Section::Strategy => &self.levers,
        }
    }

    fn table_mut(&mut self, s: Section) -> &mut Table {
        match s {
            Section::Top => &mut self.top,
            Section::Landscape => &mut self.landscape,
            Section::Schools => &mut self.schools,
            Section::Network => &mut self.network,
            Section::Levers | Section::Strategy => &mut self.levers,
        }
    }

    /// The six presets, in `PRESETS` order, as if written one table each.
    fn default_strategies() -> Vec<RawStrategy> {
        PRESETS
            .iter()
            .map(|(p, _)| RawStrategy {
                header: Loc::Builtin,
                table: Table {
                    entries: vec![Entry {
                        key: "preset".into(),
                        key_loc: Loc::Builtin,
                        val_loc: Loc::Builtin,
                        value: Ok(Value::Str(p.to_string())),
                        wildcard: false,
                    }],
                },
            })
            .collect()
    }
}

/// Where problems are rendered and collected.
struct Ctx<'a> {
    origin: &'a str,
    text: &'a str,
    sets: &'a [String],
    problems: Vec<(Loc, Problem)>,
}

impl<'a> Ctx<'a> {
    fn new(origin: &'a str, text: &'a str, sets: &'a [String]) -> Self {
        Ctx {
            origin,
            text,
            sets,
            problems: Vec::new(),
        }
    }

    fn report(&mut self, loc: Loc, key: Option<String>, message: impl Into<String>) {
        let (origin, line, column) = match loc {
            Loc::File(offset) => {
                let (l, c) = line_col(self.text, offset);
                (self.origin.to_string(), Some(l), Some(c))
            }
            Loc::Set(i) => (format!("--set #{} ({})", i + 1, self.sets[i]), None, None),
            Loc::Builtin | Loc::Prior => (self.origin.to_string(), None, None),
        };
        let problem = Problem {
            origin,
            line,
            column,
            key,
            message: message.into(),
        };
        self.problems.push((loc, problem));
    }

    /// A place as words, for messages that name a second place.
    fn describe(&self, loc: Loc) -> String {
        match loc {
            Loc::File(offset) => format!("line {}", line_col(self.text, offset).0),
            Loc::Set(i) => format!("--set #{}", i + 1),
            Loc::Builtin => "the built-in list of strategies".into(),
            Loc::Prior => "the scenario".into(),
        }
    }

    /// The problems in place order, duplicates dropped; `Ok` if none.
    fn finish(mut self) -> Result<(), ScenarioError> {
        if self.problems.is_empty() {
            return Ok(());
        }
        self.problems.sort_by_key(|(loc, _)| *loc);
        let mut out: Vec<Problem> = Vec::new();
        for (_, p) in self.problems {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        Err(ScenarioError::new(out))
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |p| p + 1);
    (line, text[start..offset].chars().count() + 1)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate nearest to `key`, if it is close enough to be a typo.
pub(crate) fn nearest<'a>(
    key: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = key.chars().count();
    let limit = 2.max(len / 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(key, c), c))
        .filter(|(d, _)| *d <= limit && *d < len)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// What to say about a key that `section` does not know.
fn unknown_key_message(section: Section, key: &str) -> String {
    let mut msg = match section {
        Section::Top => "unknown top-level key".to_string(),
        s => format!("unknown key in {}", s.header()),
    };
    let elsewhere = if section != Section::Top && RUN_LEVERS.iter().any(|s| s.key == key) {
        Some(format!("`{key}` is a top-level key"))
    } else if let Some(s) = [Section::Landscape, Section::Schools, Section::Network]
        .into_iter()
        .find(|s| *s != section && s.spec(key).is_some())
    {
        Some(format!(
            "`{key}` belongs in {} ({})",
            s.header(),
            s.path(key)
        ))
    } else if matches!(
        section,
        Section::Top | Section::Landscape | Section::Schools | Section::Network
    ) && STRATEGY_LEVERS.iter().any(|s| s.key == key)
    {
        Some(format!(
            "`{key}` is a strategy lever: it belongs in [levers] (levers.{key}) or a [[strategy]] table"
        ))
    } else if section != Section::Strategy && STRATEGY_KEYS.contains(&key) {
        Some(format!("`{key}` belongs in a [[strategy]] table"))
    } else {
        None
    };
    match elsewhere {
        Some(hint) => {
            msg.push_str("; ");
            msg.push_str(&hint);
        }
        None => {
            let mut candidates: Vec<&str> = section.specs().iter().map(|s| s.key).collect();
            match section {
                Section::Top => candidates.extend(SECTION_NAMES),
                Section::Strategy => candidates.extend(STRATEGY_KEYS),
                _ => {}
            }
            if let Some(c) = nearest(key, candidates) {
                msg.push_str(&format!(" (did you mean \"{c}\"?)"));
            }
        }
    }
    msg.push_str("; see `orglearn levers` for the valid keys");
    msg
}

/// What a TOML value is, for messages.
fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("a string (\"{s}\")"),
        DeValue::Integer(i) => format!("an integer ({i})"),
        DeValue::Float(f) => format!("a float ({})", f.as_str()),
        DeValue::Boolean(b) => format!("a boolean ({b})"),
        DeValue::Datetime(d) => format!("a date/time ({d})"),
        DeValue::Array(_) => "an array".into(),
        DeValue::Table(_) => TABLE_FOUND.into(),
    }
}

/// What [`describe`] says of a table.
const TABLE_FOUND: &str = "a table";

/// The sections of a scenario file.
const SECTION_NAMES: [&str; 5] = ["landscape", "schools", "network", "levers", "strategy"];

/// What to say about a section name that is not one.
fn unknown_section_message(name: &str) -> String {
    let hint = nearest(name, SECTION_NAMES)
        .map(|c| format!(" (did you mean \"{c}\"?)"))
        .unwrap_or_default();
    format!(
        "unknown section `{name}`{hint}: the sections are {}; see `orglearn levers` for the valid keys",
        SECTION_NAMES.join(", ")
    )
}

fn integer(i: &toml::de::DeInteger<'_>) -> Result<i64, String> {
    i64::from_str_radix(i.as_str(), i.radix())
        .map_err(|_| format!("an integer too large for 64 bits ({i})"))
}

/// A TOML value as a lever value; `Err` describes what was found instead.
fn convert(v: &DeValue<'_>) -> Result<Value, String> {
    match v {
        DeValue::String(s) => Ok(Value::Str(s.to_string())),
        DeValue::Integer(i) => integer(i).map(Value::Int),
        DeValue::Float(f) => f
            .as_str()
            .parse::<f64>()
            .map(Value::Float)
            .map_err(|_| format!("an unreadable float ({})", f.as_str())),
        DeValue::Boolean(b) => Ok(Value::Bool(*b)),
        DeValue::Array(items) => items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::Integer(i) => integer(i),
                other => Err(format!("an array holding {}", describe(other))),
            })
            .collect::<Result<Vec<i64>, String>>()
            .map(Value::List),
        DeValue::Datetime(_) | DeValue::Table(_) => Err(describe(v)),
    }
}

/// The entries of a parsed table, in the order written.
fn entries(t: &DeTable<'_>) -> Table {
    let mut entries: Vec<Entry> = t
        .iter()
        .map(|(k, v)| Entry {
            key: k.get_ref().to_string(),
            key_loc: Loc::File(k.span().start),
            val_loc: Loc::File(v.span().start),
            value: convert(v.get_ref()),
            wildcard: false,
        })
        .collect();
    entries.sort_by_key(|e| e.key_loc);
    Table { entries }
}

/// Parse the TOML text. `None` if it is not valid TOML (problems reported).
fn parse_document(text: &str, ctx: &mut Ctx<'_>) -> Option<RawDoc> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let at = e.span().map_or(0, |s| s.start);
            ctx.report(
                Loc::File(at),
                None,
                format!("invalid TOML: {}", e.message()),
            );
        }
        return None;
    }
    let mut raw = RawDoc::default();
    let mut items: Vec<_> = doc.get_ref().iter().collect();
    items.sort_by_key(|(k, _)| k.span().start);
    for (k, v) in items {
        let key = k.get_ref().as_ref();
        let key_loc = Loc::File(k.span().start);
        let val_loc = Loc::File(v.span().start);
        match (Section::from_name(key), v.get_ref()) {
            (Some(Section::Strategy), DeValue::Array(items)) => {
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::Table(t) => raw.strategies.push(RawStrategy {
                            header: Loc::File(item.span().start),
                            table: entries(t),
                        }),
                        other => ctx.report(
                            Loc::File(item.span().start),
                            Some("strategy".into()),
                            format!(
                                "expected a table for each strategy (write [[strategy]]), found {}",
                                describe(other)
                            ),
                        ),
                    }
                }
            }
            (Some(Section::Strategy), other) => ctx.report(
                key_loc,
                Some("strategy".into()),
                format!(
                    "expected an array of tables: write [[strategy]] (double brackets) before each strategy, found {}",
                    describe(other)
                ),
            ),
            (Some(s), DeValue::Table(t)) => *raw.table_mut(s) = entries(t),
            (Some(s), other) => ctx.report(
                val_loc,
                Some(key.to_string()),
                format!(
                    "`{key}` is a section: expected a table ({}), found {}",
                    s.header(),
                    describe(other)
                ),
            ),
            (None, _) => raw.top.entries.push(Entry {
                key: key.to_string(),
                key_loc,
                val_loc,
                value: convert(v.get_ref()),
                wildcard: false,
            }),
        }
    }
    if raw.strategies.is_empty() {
        raw.strategies = RawDoc::default_strategies();
    }
    Some(raw)
}

/// Does a key hold text (so a bare `--set` value is taken as a string)?
fn is_text(section: Section, key: &str) -> bool {
    if section == Section::Strategy && STRATEGY_KEYS.contains(&key) {
        return true;
    }
    matches!(
        section.spec(key).map(|s| s.kind),
        Some(Kind::Text | Kind::OptText | Kind::Choice(_))
    )
}

/// A `--set` value: TOML if it parses as such, else the bare text.
fn set_value(raw: &str, text: bool) -> Result<Value, String> {
    match DeValue::parse(raw) {
        Ok(v) if text && !matches!(v.get_ref(), DeValue::String(_)) => Ok(Value::Str(raw.into())),
        Ok(v) => convert(v.get_ref()),
        Err(_) => Ok(Value::Str(raw.into())),
    }
}

const SET_FORMS: &str = "expected KEY=VALUE with KEY one of: a top-level key (years), \
SECTION.KEY (landscape.k, schools.schools, network.kind, levers.pressure), \
strategy.NAME.KEY or strategy.*.KEY";

/// Apply `--set` assignments to the raw document, in order.
fn apply_sets(doc: &mut RawDoc, sets: &[String], ctx: &mut Ctx<'_>) {
    for (i, assignment) in sets.iter().enumerate() {
        let loc = Loc::Set(i);
        let Some((path, raw)) = assignment.split_once('=') else {
            ctx.report(loc, None, SET_FORMS);
            continue;
        };
        let (path, raw) = (path.trim(), raw.trim());
        let entry = |key: &str, section: Section, wildcard: bool| Entry {
            key: key.to_string(),
            key_loc: loc,
            val_loc: loc,
            value: set_value(raw, is_text(section, key)),
            wildcard,
        };
        let Some((head, rest)) = path.split_once('.') else {
            if let Some(s) = Section::from_name(path) {
                let form = match s {
                    Section::Strategy => "strategy.NAME.KEY=VALUE".to_string(),
                    s => format!("{}.KEY=VALUE", s.name()),
                };
                ctx.report(
                    loc,
                    Some(path.into()),
                    format!("`{path}` is a section: use {form}"),
                );
            } else {
                doc.top.put(entry(path, Section::Top, false));
            }
            continue;
        };
        match Section::from_name(head) {
            Some(Section::Strategy) => {
                let Some((selector, key)) = rest.rsplit_once('.') else {
                    ctx.report(
                        loc,
                        Some(path.into()),
                        "expected strategy.NAME.KEY, where NAME is a strategy name, its position from 1, or *",
                    );
                    continue;
                };
                let targets: Vec<usize> = if selector == "*" {
                    (0..doc.strategies.len()).collect()
                } else if let Some(i) = doc
                    .strategies
                    .iter()
                    .position(|s| s.name() == Some(selector))
                {
                    vec![i]
                } else if let Some(i) = selector
                    .parse::<usize>()
                    .ok()
                    .filter(|i| (1..=doc.strategies.len()).contains(i))
                {
                    vec![i - 1]
                } else {
                    let names: Vec<String> = doc
                        .strategies
                        .iter()
                        .map(|s| format!("\"{}\"", s.name().unwrap_or("?")))
                        .collect();
                    ctx.report(
                        loc,
                        Some(path.into()),
                        format!(
                            "no strategy named \"{selector}\": expected one of {}, a position from 1 to {}, or *",
                            names.join(", "),
                            doc.strategies.len()
                        ),
                    );
                    continue;
                };
                for t in targets {
                    let e = entry(key, Section::Strategy, selector == "*");
                    doc.strategies[t].table.put(e);
                }
            }
            Some(s) => doc.table_mut(s).put(entry(rest, s, false)),
            None => ctx.report(loc, Some(path.into()), unknown_section_message(head)),
        }
    }
}

/// Set one entry through `set`, reporting a wrong type or range at its
/// value. The key must be a lever of `spec`.
fn apply_entry(
    ctx: &mut Ctx<'_>,
    e: &Entry,
    spec: &LeverSpec,
    path: &str,
    set: &mut dyn FnMut(&str, &Value) -> Result<(), String>,
) -> bool {
    let result = match &e.value {
        Ok(v) => set(&e.key, v),
        Err(found) => Err(format!("expected {}, found {found}", spec.kind.allowed())),
    };
    match result {
        Ok(()) => true,
        Err(m) => {
            ctx.report(e.val_loc, Some(path.to_string()), m);
            false
        }
    }
}

/// Apply a section's table: unknown keys, wrong types and ranges reported.
fn apply_section(
    ctx: &mut Ctx<'_>,
    doc: &RawDoc,
    section: Section,
    set: &mut dyn FnMut(&str, &Value) -> Result<(), String>,
) {
    for e in &doc.table(section).entries {
        let path = section.path(&e.key);
        match section.spec(&e.key) {
            Some(spec) => {
                apply_entry(ctx, e, spec, &path, set);
            }
            None if section == Section::Top
                && matches!(&e.value, Err(found) if found == TABLE_FOUND) =>
            {
                ctx.report(e.key_loc, Some(path), unknown_section_message(&e.key))
            }
            None => ctx.report(e.key_loc, Some(path), unknown_key_message(section, &e.key)),
        }
    }
}

/// The name of a mechanism as used in messages.
fn mechanism_name(m: Mechanism) -> &'static str {
    m.switch_key().unwrap_or("always-on")
}

/// A strategy being resolved.
struct Resolved<'d> {
    raw: &'d RawStrategy,
    /// How its keys are written in messages: `strategy.LABEL.KEY`.
    label: String,
    name: String,
    preset: Option<String>,
    levers: Levers,
    /// Keys its own table set (applied), in order.
    overrides: Vec<String>,
}

impl Resolved<'_> {
    fn path(&self, key: &str) -> String {
        format!("strategy.{}.{key}", self.label)
    }
}

/// Resolve one `[[strategy]]` table over `base`.
fn resolve_strategy<'d>(
    ctx: &mut Ctx<'_>,
    i: usize,
    raw: &'d RawStrategy,
    base: &Levers,
    wildcard_hits: &mut HashMap<String, (Loc, Mechanism, usize)>,
) -> Resolved<'d> {
    let table = &raw.table;
    let preset_name = table.string("preset");
    let label = table
        .string("name")
        .filter(|n| !n.trim().is_empty())
        .or(preset_name)
        .map_or_else(|| (i + 1).to_string(), str::to_string);
    let mut r = Resolved {
        raw,
        name: label.clone(),
        label,
        preset: None,
        levers: base.clone(),
        overrides: Vec::new(),
    };
    let presets: Vec<String> = PRESETS.iter().map(|(p, _)| format!("\"{p}\"")).collect();
    let presets = format!("one of {}", presets.join(", "));
    let key_path = |r: &Resolved<'_>, e: &Entry| {
        if e.wildcard {
            format!("strategy.*.{}", e.key)
        } else {
            r.path(&e.key)
        }
    };

    match table.get("preset") {
        None => ctx.report(
            raw.header,
            Some(r.path("preset")),
            format!("missing `preset`: every [[strategy]] table needs one, {presets}"),
        ),
        Some(e) => match &e.value {
            Ok(Value::Str(p)) if params::preset(p).is_some() => r.preset = Some(p.clone()),
            Ok(Value::Str(p)) => ctx.report(
                e.val_loc,
                Some(key_path(&r, e)),
                format!("unknown preset \"{p}\": expected {presets}"),
            ),
            Ok(v) => ctx.report(
                e.val_loc,
                Some(key_path(&r, e)),
                format!("expected {presets}, found {} ({v})", v.type_name()),
            ),
            Err(found) => ctx.report(
                e.val_loc,
                Some(key_path(&r, e)),
                format!("expected {presets}, found {found}"),
            ),
        },
    }
    if let Some(e) = table.get("name") {
        let problem = match &e.value {
            Ok(Value::Str(s)) if s.trim().is_empty() => Some("a strategy name must not be empty"),
            Ok(Value::Str(_)) => None,
            _ => Some("expected a string (the strategy's name)"),
        };
        if let Some(m) = problem {
            let found = match &e.value {
                Ok(Value::Str(_)) => String::new(),
                Ok(v) => format!(", found {} ({v})", v.type_name()),
                Err(found) => format!(", found {found}"),
            };
            ctx.report(e.val_loc, Some(key_path(&r, e)), format!("{m}{found}"));
        }
    }

    if let Some(p) = &r.preset {
        for (k, v) in params::preset_overrides(p) {
            r.levers
                .set(k, &v)
                .expect("preset values are valid lever values");
        }
    }

    // Own keys first (wildcard mechanism levers wait until the switches
    // are known), then the mechanism checks.
    let mut own: Vec<&Entry> = Vec::new();
    let mut deferred: Vec<(&Entry, &LeverSpec)> = Vec::new();
    for e in &table.entries {
        if STRATEGY_KEYS.contains(&e.key.as_str()) {
            continue;
        }
        let path = key_path(&r, e);
        let Some(spec) = Section::Strategy.spec(&e.key) else {
            ctx.report(
                e.key_loc,
                Some(path),
                unknown_key_message(Section::Strategy, &e.key),
            );
            continue;
        };
        if e.wildcard && spec.mechanism.switch_key().is_some() {
            deferred.push((e, spec));
            continue;
        }
        let levers = &mut r.levers;
        if apply_entry(ctx, e, spec, &path, &mut |k, v| levers.set(k, v)) {
            own.push(e);
            r.overrides.push(e.key.clone());
        }
    }
    if r.preset.is_some() {
        for e in own {
            let spec = Section::Strategy.spec(&e.key).expect("checked above");
            let m = spec.mechanism;
            let hint = |switch: &str| match e.key_loc {
                Loc::Set(_) => format!(
                    "add --set strategy.{}.{switch}=true or drop this assignment",
                    r.label
                ),
                _ => format!("set {switch} = true in this table or remove the key"),
            };
            if let Some(switch) = m.switch_key().filter(|_| !r.levers.mechanism_on(m)) {
                ctx.report(
                    e.key_loc,
                    Some(key_path(&r, e)),
                    format!(
                        "{} belongs to the {} mechanism, which strategy \"{}\" switches off; {}",
                        e.key,
                        mechanism_name(m),
                        r.name,
                        hint(switch)
                    ),
                );
            } else if e.key == "upward_learning" && !r.levers.learned() {
                ctx.report(
                    e.key_loc,
                    Some(key_path(&r, e)),
                    format!(
                        "upward_learning only acts with cascade = true and design = \"learned\" \
                         (strategy \"{}\" has cascade = {}, design = \"{}\"); set both or remove the key",
                        r.name, r.levers.cascade, r.levers.design
                    ),
                );
            }
        }
    }
    for (e, spec) in deferred {
        let m = spec.mechanism;
        let hit = wildcard_hits
            .entry(e.key.clone())
            .or_insert((e.key_loc, m, 0));
        let acts = r.preset.is_some()
            && r.levers.mechanism_on(m)
            && (e.key != "upward_learning" || r.levers.learned());
        if acts {
            hit.2 += 1;
            let path = key_path(&r, e);
            let levers = &mut r.levers;
            if apply_entry(ctx, e, spec, &path, &mut |k, v| levers.set(k, v)) {
                r.overrides.push(e.key.clone());
            }
        }
    }
    r
}

/// A cross-field problem found for one strategy (merged across strategies).
struct Cross {
    loc: Loc,
    path: String,
    message: String,
    strategy: Option<String>,
}

/// Where a strategy lever's value came from: its own table, its preset,
/// `[levers]`, or the default.
fn lever_source(r: &Resolved<'_>, doc: &RawDoc, key: &str) -> (Loc, String) {
    if let Some(e) = r
        .raw
        .table
        .get(key)
        .filter(|_| r.overrides.iter().any(|k| k == key))
    {
        return (e.key_loc, r.path(key));
    }
    if let Some(p) = &r.preset
        && params::preset_overrides(p).iter().any(|(k, _)| *k == key)
    {
        let loc = r
            .raw
            .table
            .get("preset")
            .map_or(r.raw.header, |e| e.key_loc);
        return (loc, r.path("preset"));
    }
    if let Some(e) = doc.levers.get(key) {
        return (e.key_loc, format!("levers.{key}"));
    }
    (Loc::Builtin, r.path(key))
}

/// Where a key of a plain section came from.
fn section_source(doc: &RawDoc, section: Section, key: &str) -> (Loc, String) {
    let loc = doc
        .table(section)
        .get(key)
        .map_or(Loc::Builtin, |e| e.key_loc);
    (loc, section.path(key))
}

/// The checks that involve two keys. Each problem points at the later of
/// the keys involved, with a message written for that key.
fn cross_checks(ctx: &mut Ctx<'_>, doc: &RawDoc, sc: &Scenario, resolved: &[Resolved<'_>]) {
    let mut found: Vec<Cross> = Vec::new();
    // Report `(at_a, msg_a)` or `(at_b, msg_b)`, whichever key came later.
    let mut pair = |a: (Loc, String),
                    msg_a: String,
                    b: (Loc, String),
                    msg_b: String,
                    strategy: Option<&str>| {
        let ((loc, path), message) = if b.0 > a.0 { (b, msg_b) } else { (a, msg_a) };
        found.push(Cross {
            loc,
            path,
            message,
            strategy: strategy.map(str::to_string),
        });
    };

    let land = &sc.landscape;
    let n_src = || section_source(doc, Section::Landscape, "n");
    if land.k >= land.n || land.k as usize > MAX_K {
        let max_k = (land.n as usize - 1).min(MAX_K);
        pair(
            section_source(doc, Section::Landscape, "k"),
            format!(
                "k = {} is too large: expected k < n (n = {}) and k <= {MAX_K}, so at most {max_k}",
                land.k, land.n
            ),
            n_src(),
            format!(
                "n = {} is too small for k = {}: expected n > k",
                land.n, land.k
            ),
            None,
        );
    }

    let years_src = || section_source(doc, Section::Top, "years");
    for r in resolved.iter().filter(|r| r.preset.is_some()) {
        let l = &r.levers;
        let who = Some(r.name.as_str());
        if l.enquiry {
            if l.change_size > l.focus_size {
                pair(
                    lever_source(r, doc, "change_size"),
                    format!(
                        "change_size = {} is larger than focus_size = {}: a project changes dimensions of the priority area, expected change_size <= focus_size",
                        l.change_size, l.focus_size
                    ),
                    lever_source(r, doc, "focus_size"),
                    format!(
                        "focus_size = {} is smaller than change_size = {}: expected focus_size >= change_size",
                        l.focus_size, l.change_size
                    ),
                    who,
                );
            }
            if l.focus_size > land.n {
                pair(
                    lever_source(r, doc, "focus_size"),
                    format!(
                        "focus_size = {} is larger than the number of practice dimensions (landscape.n = {}): expected focus_size <= n",
                        l.focus_size, land.n
                    ),
                    n_src(),
                    format!(
                        "n = {} is smaller than focus_size = {}: expected n >= focus_size",
                        land.n, l.focus_size
                    ),
                    who,
                );
            }
        }
        if l.cascade && l.initiative_size > land.n {
            pair(
                lever_source(r, doc, "initiative_size"),
                format!(
                    "initiative_size = {} is larger than the number of practice dimensions (landscape.n = {}): expected initiative_size <= n",
                    l.initiative_size, land.n
                ),
                n_src(),
                format!(
                    "n = {} is smaller than initiative_size = {}: expected n >= initiative_size",
                    land.n, l.initiative_size
                ),
                who,
            );
        }
        for (key, year) in [
            ("withdraw_year", l.withdraw_year),
            ("relax_year", l.relax_year),
            ("funding_end_year", l.funding_end_year),
        ] {
            if year > sc.run.years {
                pair(
                    lever_source(r, doc, key),
                    format!(
                        "{key} = {year} is after the last simulated year (years = {}): expected 0 (never) to {}",
                        sc.run.years, sc.run.years
                    ),
                    years_src(),
                    format!(
                        "years = {} ends before {key} = {year}: expected years >= {year}",
                        sc.run.years
                    ),
                    who,
                );
            }
        }
    }

    let net = &sc.network;
    if net.sw_degree % 2 == 1 {
        let (loc, path) = section_source(doc, Section::Network, "sw_degree");
        found.push(Cross {
            loc,
            path,
            message: format!(
                "sw_degree = {} is odd: the small-world ring lattice links sw_degree / 2 neighbours on each side, expected an even number",
                net.sw_degree
            ),
            strategy: None,
        });
    }
    if net.kind == "file" && net.file.is_empty() {
        let (loc, path) = section_source(doc, Section::Network, "kind");
        found.push(Cross {
            loc,
            path,
            message: "kind = \"file\" needs network.file: the path of an edge list CSV (`from,to[,trust]`)".into(),
            strategy: None,
        });
    }
    if net.kind != "file" && !net.file.is_empty() {
        let (loc, path) = section_source(doc, Section::Network, "file");
        found.push(Cross {
            loc,
            path,
            message: format!(
                "network.file is read only when kind = \"file\", and kind is \"{}\"; set kind = \"file\" or remove the key",
                net.kind
            ),
            strategy: None,
        });
    }

    // Input files must exist (relative paths are read from the scenario's folder).
    for (section, file, used) in [
        (Section::Schools, &sc.schools.file, true),
        (Section::Network, &net.file, net.kind == "file"),
    ] {
        if !used || file.is_empty() {
            continue;
        }
        let p = std::path::Path::new(file.as_str());
        let full = match &sc.dir {
            Some(d) if p.is_relative() => d.join(p),
            _ => p.to_path_buf(),
        };
        if !full.is_file() {
            let (loc, path) = section_source(doc, section, "file");
            found.push(Cross {
                loc,
                path,
                message: format!(
                    "file \"{file}\" not found (looked for {}): give a path relative to the scenario file, or an absolute path",
                    full.display()
                ),
                strategy: None,
            });
        }
    }

    // Merge the same problem found in several strategies.
    let mut merged: Vec<(Loc, String, String, Vec<String>)> = Vec::new();
    for c in found {
        match merged
            .iter_mut()
            .find(|(l, p, m, _)| *l == c.loc && *p == c.path && *m == c.message)
        {
            Some((_, _, _, who)) => who.extend(c.strategy),
            None => merged.push((c.loc, c.path, c.message, c.strategy.into_iter().collect())),
        }
    }
    for (loc, path, mut message, who) in merged {
        if !who.is_empty() && !path.starts_with("strategy.") {
            let names: Vec<String> = who.iter().map(|n| format!("\"{n}\"")).collect();
            let s = if names.len() == 1 { "" } else { "ies" };
            let noun = if names.len() == 1 {
                "strategy"
            } else {
                "strateg"
            };
            message.push_str(&format!(" (in {noun}{s} {})", names.join(", ")));
        }
        ctx.report(loc, Some(path), message);
    }
}

/// Validate a raw document and build the scenario. Every problem is
/// reported to `ctx`; the scenario is only meaningful if there were none.
fn resolve(ctx: &mut Ctx<'_>, doc: &RawDoc, source: &str, dir: Option<PathBuf>) -> Scenario {
    let mut run = RunParams::default();
    let mut landscape = LandscapeParams::default();
    let mut schools = SchoolParams::default();
    let mut network = NetworkParams::default();
    let mut base = Levers::default();
    apply_section(ctx, doc, Section::Top, &mut |k, v| run.set(k, v));
    apply_section(ctx, doc, Section::Landscape, &mut |k, v| {
        landscape.set(k, v)
    });
    apply_section(ctx, doc, Section::Schools, &mut |k, v| schools.set(k, v));
    apply_section(ctx, doc, Section::Network, &mut |k, v| network.set(k, v));
    apply_section(ctx, doc, Section::Levers, &mut |k, v| base.set(k, v));

    let mut wildcard_hits = HashMap::new();
    let resolved: Vec<Resolved<'_>> = doc
        .strategies
        .iter()
        .enumerate()
        .map(|(i, raw)| resolve_strategy(ctx, i, raw, &base, &mut wildcard_hits))
        .collect();
    let mut hits: Vec<_> = wildcard_hits.into_iter().collect();
    hits.sort_by_key(|(_, (loc, _, _))| *loc);
    for (key, (loc, m, n)) in hits {
        if n == 0 {
            let extra = if key == "upward_learning" {
                " with design = \"learned\""
            } else {
                ""
            };
            ctx.report(
                loc,
                Some(format!("strategy.*.{key}")),
                format!(
                    "{key} belongs to the {} mechanism, which no strategy switches on{extra}: it would do nothing; switch it on in a strategy or drop this assignment",
                    mechanism_name(m)
                ),
            );
        }
    }

    // Strategy names are unique.
    let mut seen: Vec<(&str, Loc)> = Vec::new();
    for r in &resolved {
        let loc = r
            .raw
            .table
            .get("name")
            .or_else(|| r.raw.table.get("preset"))
            .map_or(r.raw.header, |e| e.val_loc);
        match seen.iter().find(|(n, _)| *n == r.name) {
            Some((_, first)) => {
                let first = ctx.describe(*first);
                let here = ctx.describe(loc);
                ctx.report(
                    loc,
                    Some(r.path("name")),
                    format!(
                        "strategy name \"{}\" is used twice ({first} and {here}); give each strategy a distinct `name`",
                        r.name
                    ),
                );
            }
            None => seen.push((&r.name, loc)),
        }
    }

    let strategies = resolved
        .iter()
        .map(|r| StrategySpec {
            name: r.name.clone(),
            preset: r.preset.clone().unwrap_or_default(),
            levers: r.levers.clone(),
            overrides: r.overrides.clone(),
        })
        .collect();
    let sc = Scenario {
        run,
        landscape,
        schools,
        network,
        base,
        strategies,
        source: source.to_string(),
        dir,
    };
    cross_checks(ctx, doc, &sc, &resolved);
    sc
}

/// Rebuild the raw document of a resolved scenario: every value that
/// differs from its default, and each strategy's preset, name and own keys.
fn doc_from_scenario(sc: &Scenario) -> RawDoc {
    fn table_of(
        get: impl Fn(&str) -> Option<Value>,
        default: impl Fn(&str) -> Option<Value>,
        specs: &[LeverSpec],
    ) -> Table {
        let entries = specs
            .iter()
            .filter_map(|s| {
                let v = get(s.key)?;
                (Some(&v) != default(s.key).as_ref()).then(|| prior(s.key, v))
            })
            .collect();
        Table { entries }
    }
    fn prior(key: &str, v: Value) -> Entry {
        Entry {
            key: key.to_string(),
            key_loc: Loc::Prior,
            val_loc: Loc::Prior,
            value: Ok(v),
            wildcard: false,
        }
    }
    let (run, land, sch, net, lev) = (
        RunParams::default(),
        LandscapeParams::default(),
        SchoolParams::default(),
        NetworkParams::default(),
        Levers::default(),
    );
    RawDoc {
        top: table_of(|k| sc.run.get(k), |k| run.get(k), RUN_LEVERS),
        landscape: table_of(|k| sc.landscape.get(k), |k| land.get(k), LANDSCAPE_LEVERS),
        schools: table_of(|k| sc.schools.get(k), |k| sch.get(k), SCHOOL_LEVERS),
        network: table_of(|k| sc.network.get(k), |k| net.get(k), NETWORK_LEVERS),
        levers: table_of(|k| sc.base.get(k), |k| lev.get(k), STRATEGY_LEVERS),
        strategies: sc
            .strategies
            .iter()
            .map(|s| {
                let mut entries = vec![
                    prior("preset", Value::Str(s.preset.clone())),
                    prior("name", Value::Str(s.name.clone())),
                ];
                entries.extend(
                    s.overrides
                        .iter()
                        .filter_map(|k| Some(prior(k, s.levers.get(k)?))),
                );
                RawStrategy {
                    header: Loc::Prior,
                    table: Table { entries },
                }
            })
            .collect(),
    }
}

/// Parse, apply `--set`, validate and resolve. See the module docs.
pub(super) fn from_text(
    text: &str,
    origin: &str,
    dir: Option<PathBuf>,
    sets: &[String],
) -> Result<Scenario, ScenarioError> {
    let mut ctx = Ctx::new(origin, text, sets);
    let Some(mut doc) = parse_document(text, &mut ctx) else {
        return Err(ctx.finish().expect_err("a syntax error was reported"));
    };
    apply_sets(&mut doc, sets, &mut ctx);
    let sc = resolve(&mut ctx, &doc, origin, dir);
    ctx.finish().map(|()| sc)
}

/// Apply `--set` assignments to a resolved scenario and re-resolve it.
pub(super) fn reapply(sc: &Scenario, sets: &[String]) -> Result<Scenario, ScenarioError> {
    let mut doc = doc_from_scenario(sc);
    let mut ctx = Ctx::new(&sc.source, "", sets);
    apply_sets(&mut doc, sets, &mut ctx);
    let new = resolve(&mut ctx, &doc, &sc.source, sc.dir.clone());
    ctx.finish().map(|()| new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let t = "ab\ncé = 1\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 3), (2, 1));
        // "é" is two bytes: the '=' after "cé " is the 4th character.
        assert_eq!(line_col(t, t.find('=').unwrap()), (2, 4));
        assert_eq!(line_col(t, 999), (3, 1));
    }

    #[test]
    fn edit_distance_and_nearest() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            nearest("socialization", ["tinkering", "socialisation"]),
            Some("socialisation")
        );
        assert_eq!(nearest("zzzzzz", ["socialisation"]), None);
        assert_eq!(nearest("x", ["n", "k"]), None);
        assert_eq!(nearest("nn", ["n", "k"]), Some("n"));
    }

    #[test]
    fn convert_respects_radix_and_rejects_non_values() {
        let v = |s: &str| convert(DeValue::parse(s).unwrap().get_ref());
        assert_eq!(v("0x1F"), Ok(Value::Int(31)));
        assert_eq!(v("0o17"), Ok(Value::Int(15)));
        assert_eq!(v("0b101"), Ok(Value::Int(5)));
        assert_eq!(v("-5"), Ok(Value::Int(-5)));
        assert_eq!(v("1_000"), Ok(Value::Int(1000)));
        assert_eq!(v("2.5"), Ok(Value::Float(2.5)));
        assert_eq!(v("[1, 2]"), Ok(Value::List(vec![1, 2])));
        assert!(
            v("[1, \"a\"]")
                .unwrap_err()
                .contains("array holding a string")
        );
        assert!(v("1979-05-27").unwrap_err().contains("date"));
        assert!(v("{ a = 1 }").unwrap_err().contains("table"));
        assert!(v("0x7FFFFFFFFFFFFFFFF").is_err());
    }

    #[test]
    fn set_values_fall_back_to_bare_text() {
        assert_eq!(set_value("ring", true), Ok(Value::Str("ring".into())));
        assert_eq!(set_value("\"ring\"", true), Ok(Value::Str("ring".into())));
        assert_eq!(set_value("2024", true), Ok(Value::Str("2024".into())));
        assert_eq!(set_value("0.5", false), Ok(Value::Float(0.5)));
        assert_eq!(set_value("abc", false), Ok(Value::Str("abc".into())));
    }

    #[test]
    fn rebuilt_document_resolves_to_the_same_scenario() {
        let text = "years = 7\n[landscape]\nn = 12\n[levers]\npressure = 0.5\n\
                    [[strategy]]\npreset = \"cascade\"\nname = \"c\"\nfidelity = 0.9\n\
                    [[strategy]]\npreset = \"enquiry\"\n";
        let sc = from_text(text, "t.toml", None, &[]).unwrap();
        let again = reapply(&sc, &[]).unwrap();
        assert_eq!(sc, again);
    }
}
