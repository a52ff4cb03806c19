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
use super::{GroupSpec, Scenario, StrategySpec};
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
/// Keys of a `[[strategy.authority]]` table that are not levers.
const GROUP_KEYS: [&str; 3] = ["authorities", "preset", "name"];
/// The key of a strategy's array of authority tables.
const GROUP_ARRAY: &str = "authority";

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
    /// Carried into a strategy's table by `--set levers.KEY`, so that it
    /// also reaches strategies whose preset or table sets the key (it acts
    /// where its mechanism is on, like a wildcard, and is named
    /// `levers.KEY` in messages).
    from_levers: bool,
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

/// One `[[strategy]]` table (or one `[[strategy.authority]]` table).
#[derive(Clone, Debug)]
struct RawStrategy {
    /// Where the table starts (its `[[strategy]]` header).
    header: Loc,
    table: Table,
    /// Its `[[strategy.authority]]` tables.
    groups: Vec<RawGroup>,
}

/// Authorities as written: where the list is, and the names with where each
/// was written, or what was found instead of a list.
type AuthList = (Loc, Result<Vec<(String, Loc)>, String>);

/// One `[[strategy.authority]]` table.
#[derive(Clone, Debug)]
struct RawGroup {
    /// Its keys other than `authorities` (`groups` stays empty).
    raw: RawStrategy,
    auths: Option<AuthList>,
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
                        from_levers: false,
                    }],
                },
                groups: Vec::new(),
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
            from_levers: false,
        })
        .collect();
    entries.sort_by_key(|e| e.key_loc);
    Table { entries }
}

/// A `[[strategy]]` table as written, with its `[[strategy.authority]]` tables.
fn raw_strategy(header: Loc, t: &DeTable<'_>, ctx: &mut Ctx<'_>) -> RawStrategy {
    let mut table = entries(t);
    table.entries.retain(|e| e.key != GROUP_ARRAY);
    let mut groups = Vec::new();
    for (k, v) in t.iter() {
        if k.get_ref().as_ref() != GROUP_ARRAY {
            continue;
        }
        let key_loc = Loc::File(k.span().start);
        match v.get_ref() {
            DeValue::Array(items) => {
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::Table(g) => {
                            groups.push(raw_group(Loc::File(item.span().start), g))
                        }
                        other => ctx.report(
                            Loc::File(item.span().start),
                            Some(format!("strategy.{GROUP_ARRAY}")),
                            format!(
                                "expected a table for each group of authorities (write [[strategy.authority]]), found {}",
                                describe(other)
                            ),
                        ),
                    }
                }
            }
            other => ctx.report(
                key_loc,
                Some(format!("strategy.{GROUP_ARRAY}")),
                format!(
                    "expected an array of tables: write [[strategy.authority]] (double brackets) after the strategy's own keys, found {}",
                    describe(other)
                ),
            ),
        }
    }
    RawStrategy {
        header,
        table,
        groups,
    }
}

/// A `[[strategy.authority]]` table as written.
fn raw_group(header: Loc, t: &DeTable<'_>) -> RawGroup {
    let mut table = entries(t);
    table.entries.retain(|e| e.key != "authorities");
    let auths = t
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == "authorities")
        .map(|(_, v)| {
            let loc = Loc::File(v.span().start);
            let list = match v.get_ref() {
                DeValue::Array(items) => items
                    .iter()
                    .map(|item| {
                        let at = Loc::File(item.span().start);
                        match item.get_ref() {
                            DeValue::Integer(i) => match integer(i) {
                                Ok(n) if n >= 1 => Ok((n.to_string(), at)),
                                Ok(n) => Err(format!("{n}, but authorities are numbered from 1")),
                                Err(e) => Err(e),
                            },
                            DeValue::String(s) => Ok((s.to_string(), at)),
                            other => Err(format!("an array holding {}", describe(other))),
                        }
                    })
                    .collect(),
                other => Err(describe(other)),
            };
            (loc, list)
        });
    RawGroup {
        raw: RawStrategy {
            header,
            table,
            groups: Vec::new(),
        },
        auths,
    }
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
    if doc.get_ref().is_empty() && ctx.sets.is_empty() {
        ctx.report(
            Loc::Prior,
            None,
            "the scenario sets no keys (the file is empty, only comments, or cut short) and no \
             --set gives any; a \
             scenario needs at least `name = \"...\"`; run `orglearn list` for built-in \
             scenarios to start from",
        );
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
                        DeValue::Table(t) => {
                            raw.strategies
                                .push(raw_strategy(Loc::File(item.span().start), t, ctx))
                        }
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
                from_levers: false,
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
            from_levers: false,
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
                // strategy.NAME.authority.J.KEY: the J-th authority table.
                if let Some((sel, j)) = selector.rsplit_once(&format!(".{GROUP_ARRAY}."))
                    && let Ok(j) = j.parse::<usize>()
                {
                    let i = doc
                        .strategies
                        .iter()
                        .position(|s| s.name() == Some(sel))
                        .or_else(|| {
                            sel.parse::<usize>()
                                .ok()
                                .filter(|i| (1..=doc.strategies.len()).contains(i))
                                .map(|i| i - 1)
                        });
                    match i {
                        Some(i) if (1..=doc.strategies[i].groups.len()).contains(&j) => {
                            let e = entry(key, Section::Strategy, false);
                            doc.strategies[i].groups[j - 1].raw.table.put(e);
                        }
                        Some(i) => ctx.report(
                            loc,
                            Some(path.into()),
                            format!(
                                "strategy \"{sel}\" has {} [[strategy.authority]] table(s): expected strategy.{sel}.authority.J.KEY with J from 1 to {}",
                                doc.strategies[i].groups.len(),
                                doc.strategies[i].groups.len()
                            ),
                        ),
                        None => ctx.report(
                            loc,
                            Some(path.into()),
                            format!("no strategy named \"{sel}\""),
                        ),
                    }
                    continue;
                }
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
            Some(Section::Levers) => {
                let e = entry(rest, Section::Levers, false);
                // A valid `levers.KEY` also reaches every strategy and
                // authority table, over what its preset or table sets (an
                // invalid one is reported once, at `[levers]`).
                let valid = matches!(&e.value, Ok(v) if Levers::default().set(rest, v).is_ok());
                if valid {
                    let carried = Entry {
                        wildcard: true,
                        from_levers: true,
                        ..e.clone()
                    };
                    for s in &mut doc.strategies {
                        s.table.put(carried.clone());
                        for g in &mut s.groups {
                            g.raw.table.put(carried.clone());
                        }
                    }
                }
                doc.table_mut(Section::Levers).put(e);
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

/// A strategy, or one of its `[[strategy.authority]]` tables, being resolved.
struct Resolved<'d> {
    raw: &'d RawStrategy,
    /// How its keys are written in messages: `strategy.LABEL.KEY`.
    label: String,
    /// How it is named in messages.
    name: String,
    preset: Option<String>,
    levers: Levers,
    /// Keys its own table set (applied), in order.
    overrides: Vec<String>,
    /// Whether `levers` are meaningful (the presets involved are known).
    ok: bool,
    /// For an authority table: its strategy's index in the resolved list.
    parent: Option<usize>,
    /// For an authority table: the label for reports, whether `name` gave
    /// it, and the authorities with where each was written.
    display: String,
    named: bool,
    authorities: Vec<(String, Loc)>,
}

impl Resolved<'_> {
    fn path(&self, key: &str) -> String {
        format!("strategy.{}.{key}", self.label)
    }
}

/// The presets, as words for messages.
fn presets_allowed() -> String {
    let presets: Vec<String> = PRESETS.iter().map(|(p, _)| format!("\"{p}\"")).collect();
    format!("one of {}", presets.join(", "))
}

/// How an entry's key is written in messages.
fn entry_path(r: &Resolved<'_>, e: &Entry) -> String {
    if e.from_levers {
        format!("levers.{}", e.key)
    } else if e.wildcard {
        format!("strategy.*.{}", e.key)
    } else {
        r.path(&e.key)
    }
}

/// Read the table's `preset` (if any) into `r.preset`, reporting an unknown
/// one; `required` reports a missing one.
fn read_preset(ctx: &mut Ctx<'_>, r: &mut Resolved<'_>, required: bool) {
    let presets = presets_allowed();
    match r.raw.table.get("preset") {
        None if required => ctx.report(
            r.raw.header,
            Some(r.path("preset")),
            format!("missing `preset`: every [[strategy]] table needs one, {presets}"),
        ),
        None => {}
        Some(e) => match &e.value {
            Ok(Value::Str(p)) if params::preset(p).is_some() => r.preset = Some(p.clone()),
            Ok(Value::Str(p)) => ctx.report(
                e.val_loc,
                Some(entry_path(r, e)),
                format!("unknown preset \"{p}\": expected {presets}"),
            ),
            Ok(v) => ctx.report(
                e.val_loc,
                Some(entry_path(r, e)),
                format!("expected {presets}, found {} ({v})", v.type_name()),
            ),
            Err(found) => ctx.report(
                e.val_loc,
                Some(entry_path(r, e)),
                format!("expected {presets}, found {found}"),
            ),
        },
    }
}

/// The longest strategy, group or scenario name, in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// Check the table's `name`: a non-empty string of at most [`MAX_NAME_CHARS`].
fn check_name(ctx: &mut Ctx<'_>, r: &Resolved<'_>, what: &str) {
    if let Some(e) = r.raw.table.get("name") {
        let problem = match &e.value {
            Ok(Value::Str(s)) if s.trim().is_empty() => {
                Some(format!("a {what} name must not be empty"))
            }
            Ok(Value::Str(s)) if s.chars().count() > MAX_NAME_CHARS => Some(format!(
                "a {what} name is at most {MAX_NAME_CHARS} characters (it labels tables and chart lines), found one of {}",
                s.chars().count()
            )),
            Ok(Value::Str(_)) => None,
            _ => Some(format!("expected a string (the {what}'s name)")),
        };
        if let Some(m) = problem {
            let found = match &e.value {
                Ok(Value::Str(_)) => String::new(),
                Ok(v) => format!(", found {} ({v})", v.type_name()),
                Err(found) => format!(", found {found}"),
            };
            ctx.report(e.val_loc, Some(entry_path(r, e)), format!("{m}{found}"));
        }
    }
}

/// Apply the preset's values over `r.levers`.
fn apply_preset(r: &mut Resolved<'_>) {
    if let Some(p) = &r.preset {
        for (k, v) in params::preset_overrides(p) {
            r.levers
                .set(k, &v)
                .expect("preset values are valid lever values");
        }
    }
}

/// Report each of `own` (applied keys of the table) that belongs to a
/// mechanism the resolved levers switch off.
fn check_mechanisms(ctx: &mut Ctx<'_>, r: &Resolved<'_>, own: &[&Entry]) {
    if !r.ok {
        return;
    }
    for e in own {
        let spec = Section::Strategy
            .spec(&e.key)
            .expect("checked by the caller");
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
                Some(entry_path(r, e)),
                format!(
                    "{} belongs to the {} mechanism, which {} switches off; {}",
                    e.key,
                    mechanism_name(m),
                    r.name,
                    hint(switch)
                ),
            );
        } else if e.key == "upward_learning" && !r.levers.learned() {
            ctx.report(
                e.key_loc,
                Some(entry_path(r, e)),
                format!(
                    "upward_learning only acts with cascade = true and design = \"learned\" \
                     ({} has cascade = {}, design = \"{}\"); set both or remove the key",
                    r.name, r.levers.cascade, r.levers.design
                ),
            );
        }
    }
}

/// Apply one of a table's own keys to `r.levers`, recording it as an
/// override; false (and the problem reported) if its value is invalid.
fn apply_own(
    ctx: &mut Ctx<'_>,
    r: &mut Resolved<'_>,
    e: &Entry,
    spec: &LeverSpec,
    path: &str,
) -> bool {
    let levers = &mut r.levers;
    let ok = apply_entry(ctx, e, spec, path, &mut |k, v| levers.set(k, v));
    if ok {
        r.overrides.push(e.key.clone());
    }
    ok
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
    let label = table
        .string("name")
        .filter(|n| !n.trim().is_empty())
        .or(table.string("preset"))
        .map_or_else(|| (i + 1).to_string(), str::to_string);
    let mut r = Resolved {
        raw,
        name: format!("strategy \"{label}\""),
        display: label.clone(),
        label,
        preset: None,
        levers: base.clone(),
        overrides: Vec::new(),
        ok: false,
        parent: None,
        named: true,
        authorities: Vec::new(),
    };
    read_preset(ctx, &mut r, true);
    check_name(ctx, &r, "strategy");
    r.ok = r.preset.is_some();
    apply_preset(&mut r);

    // Own keys first (wildcard mechanism levers wait until the switches
    // are known), then the mechanism checks.
    let mut own: Vec<&Entry> = Vec::new();
    let mut deferred: Vec<(&Entry, &LeverSpec)> = Vec::new();
    for e in &table.entries {
        if STRATEGY_KEYS.contains(&e.key.as_str()) {
            continue;
        }
        let path = entry_path(&r, e);
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
        if apply_own(ctx, &mut r, e, spec, &path) {
            own.push(e);
        }
    }
    check_mechanisms(ctx, &r, &own);
    for (e, spec) in deferred {
        let m = spec.mechanism;
        let acts =
            r.ok && r.levers.mechanism_on(m) && (e.key != "upward_learning" || r.levers.learned());
        // `levers.KEY` that acts nowhere was always accepted: it sets the base.
        if !e.from_levers {
            let hit = wildcard_hits
                .entry(e.key.clone())
                .or_insert((e.key_loc, m, 0));
            hit.2 += usize::from(acts);
        }
        if acts {
            let path = entry_path(&r, e);
            let levers = &mut r.levers;
            if apply_entry(ctx, e, spec, &path, &mut |k, v| levers.set(k, v)) {
                r.overrides.push(e.key.clone());
            }
        }
    }
    r
}

/// How a group of authorities is labelled when its table has no `name`.
fn authorities_label(names: &[String]) -> String {
    const SHOWN: usize = 6;
    let s = if names.len() == 1 { "y" } else { "ies" };
    if names.len() <= SHOWN {
        format!("authorit{s} {}", names.join(", "))
    } else {
        format!(
            "authorities {}, ... ({} in all)",
            names[..SHOWN - 1].join(", "),
            names.len()
        )
    }
}

/// Resolve the `j`-th `[[strategy.authority]]` table of strategy `parent`
/// (at index `pi`): over the strategy's levers, or over `base` and its own
/// preset when it names one.
fn resolve_group<'d>(
    ctx: &mut Ctx<'_>,
    parent: &Resolved<'d>,
    pi: usize,
    j: usize,
    g: &'d RawGroup,
    base: &Levers,
) -> Resolved<'d> {
    let table = &g.raw.table;
    let mut r = Resolved {
        raw: &g.raw,
        label: format!("{}.authority.{}", parent.label, j + 1),
        name: format!("authority table {} of strategy \"{}\"", j + 1, parent.label),
        display: String::new(),
        preset: None,
        levers: parent.levers.clone(),
        overrides: Vec::new(),
        ok: parent.ok,
        parent: Some(pi),
        named: false,
        authorities: Vec::new(),
    };
    let example = "e.g. authorities = [1, 3] (authorities are numbered from 1; with a schools \
                   file, use the names in its authority column)";
    match &g.auths {
        None => ctx.report(
            g.raw.header,
            Some(r.path("authorities")),
            format!(
                "missing `authorities`: each [[strategy.authority]] table lists the authorities it applies to, {example}"
            ),
        ),
        Some((loc, Err(found))) => ctx.report(
            *loc,
            Some(r.path("authorities")),
            format!("expected an array of authority numbers or names, {example}; found {found}"),
        ),
        Some((loc, Ok(list))) if list.is_empty() => ctx.report(
            *loc,
            Some(r.path("authorities")),
            format!("lists no authority: expected at least one, {example}"),
        ),
        Some((_, Ok(list))) => r.authorities = list.clone(),
    }
    check_name(ctx, &r, "group");
    r.named = table.string("name").is_some_and(|n| !n.trim().is_empty());
    let names: Vec<String> = r.authorities.iter().map(|(n, _)| n.clone()).collect();
    r.display = match table.string("name").filter(|n| !n.trim().is_empty()) {
        Some(n) => n.to_string(),
        None => authorities_label(&names),
    };
    read_preset(ctx, &mut r, false);
    if r.preset.is_some() {
        r.levers = base.clone();
        r.ok = true;
        apply_preset(&mut r);
    } else if table.get("preset").is_some() {
        // An unknown preset: the levers it would give are unknown.
        r.ok = false;
    }
    let mut own: Vec<&Entry> = Vec::new();
    for e in &table.entries {
        if GROUP_KEYS.contains(&e.key.as_str()) {
            continue;
        }
        let path = entry_path(&r, e);
        let Some(spec) = Section::Strategy.spec(&e.key) else {
            let mut msg = unknown_key_message(Section::Strategy, &e.key)
                .replace("a [[strategy]] table", "a [[strategy.authority]] table");
            if msg.contains("did you mean") {
                // The suggestion came from strategy keys; nothing to add.
            } else if let Some(c) = nearest(&e.key, GROUP_KEYS) {
                msg = msg.replace(
                    "; see `orglearn levers`",
                    &format!(" (did you mean \"{c}\"?); see `orglearn levers`"),
                );
            }
            ctx.report(e.key_loc, Some(path), msg);
            continue;
        };
        if e.from_levers
            && !(r.ok
                && r.levers.mechanism_on(spec.mechanism)
                && (e.key != "upward_learning" || r.levers.learned()))
        {
            continue;
        }
        if apply_own(ctx, &mut r, e, spec, &path) && !e.from_levers {
            own.push(e);
        }
    }
    check_mechanisms(ctx, &r, &own);
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
/// (for an authority table without a preset) its strategy, `[levers]`, or
/// the default.
fn lever_source(all: &[Resolved<'_>], r: &Resolved<'_>, doc: &RawDoc, key: &str) -> (Loc, String) {
    if let Some(e) = r
        .raw
        .table
        .get(key)
        .filter(|_| r.overrides.iter().any(|k| k == key))
    {
        return (e.key_loc, entry_path(r, e));
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
    if let Some(p) = r.parent.filter(|_| r.preset.is_none()) {
        return lever_source(all, &all[p], doc, key);
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
    let lever_source = |r, key| lever_source(resolved, r, doc, key);
    for r in resolved.iter().filter(|r| r.ok) {
        let l = &r.levers;
        let who_text = match r.parent {
            Some(p) => format!("{}, {}", resolved[p].display, r.display),
            None => r.display.clone(),
        };
        let who = Some(who_text.as_str());
        if l.enquiry {
            if l.change_size > l.focus_size {
                pair(
                    lever_source(r, "change_size"),
                    format!(
                        "change_size = {} is larger than focus_size = {}: a project changes dimensions of the priority area, expected change_size <= focus_size",
                        l.change_size, l.focus_size
                    ),
                    lever_source(r, "focus_size"),
                    format!(
                        "focus_size = {} is smaller than change_size = {}: expected focus_size >= change_size",
                        l.focus_size, l.change_size
                    ),
                    who,
                );
            }
            if l.focus_size > land.n {
                pair(
                    lever_source(r, "focus_size"),
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
                lever_source(r, "initiative_size"),
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
                    lever_source(r, key),
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
        } else if section == Section::Schools
            && let Err(message) = check_schools_file(&full, sc.landscape.contexts)
        {
            let (loc, path) = section_source(doc, section, "file");
            found.push(Cross {
                loc,
                path,
                message,
                strategy: None,
            });
        }
    }

    // The authorities of [[strategy.authority]] tables exist, each listed
    // once per strategy.
    if resolved.iter().any(|r| r.parent.is_some()) {
        let names: Option<Vec<String>> = if sc.schools.file.is_empty() {
            Some(
                (1..=sc.schools.authorities)
                    .map(|a| a.to_string())
                    .collect(),
            )
        } else {
            let p = std::path::Path::new(sc.schools.file.as_str());
            let full = match &sc.dir {
                Some(d) if p.is_relative() => d.join(p),
                _ => p.to_path_buf(),
            };
            // A missing or unreadable file is reported on its own.
            crate::network::read_schools_file(&full).ok().map(|recs| {
                let mut names: Vec<String> = Vec::new();
                for r in recs {
                    let n = r.authority.unwrap_or_else(|| "1".to_string());
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
                names
            })
        };
        let mut listed: HashMap<(usize, String), Loc> = HashMap::new();
        for r in resolved {
            let Some(pi) = r.parent else { continue };
            for (name, loc) in &r.authorities {
                let path = r.path("authorities");
                if let Some(names) = &names
                    && !names.contains(name)
                {
                    let message = if sc.schools.file.is_empty() {
                        let a = sc.schools.authorities;
                        let (shown, why) = if name.parse::<u64>().is_ok() {
                            (name.clone(), "")
                        } else {
                            (
                                format!("named \"{name}\""),
                                " (authorities have names only when a schools file gives them)",
                            )
                        };
                        format!(
                            "no authority {shown}: the scenario has {a} authorit{} (schools.authorities = {a}), numbered 1 to {a}{why}",
                            if a == 1 { "y" } else { "ies" }
                        )
                    } else {
                        let hint = nearest(name, names.iter().map(String::as_str))
                            .map(|c| format!(" (did you mean \"{c}\"?)"))
                            .unwrap_or_default();
                        let shown: Vec<&str> = names.iter().take(12).map(String::as_str).collect();
                        let more = if names.len() > 12 { ", ..." } else { "" };
                        format!(
                            "no authority named \"{name}\" in the schools file \"{}\"{hint}: its authority column names {}{more}",
                            sc.schools.file,
                            shown.join(", ")
                        )
                    };
                    found.push(Cross {
                        loc: *loc,
                        path,
                        message,
                        strategy: None,
                    });
                    continue;
                }
                match listed.get(&(pi, name.clone())) {
                    Some(first) => {
                        let first = ctx.describe(*first);
                        found.push(Cross {
                            loc: *loc,
                            path,
                            message: format!(
                                "authority {name} is already listed for strategy \"{}\" ({first}): an authority runs one set of levers, so list it in one [[strategy.authority]] table",
                                resolved[pi].display
                            ),
                            strategy: None,
                        });
                    }
                    None => {
                        listed.insert((pi, name.clone()), *loc);
                    }
                }
            }
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
    let mut resolved: Vec<Resolved<'_>> = doc
        .strategies
        .iter()
        .enumerate()
        .map(|(i, raw)| resolve_strategy(ctx, i, raw, &base, &mut wildcard_hits))
        .collect();
    let n_strategies = resolved.len();
    for pi in 0..n_strategies {
        for (j, g) in doc.strategies[pi].groups.iter().enumerate() {
            let r = resolve_group(ctx, &resolved[pi], pi, j, g, &base);
            resolved.push(r);
        }
    }
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
    for r in &resolved[..n_strategies] {
        let loc = r
            .raw
            .table
            .get("name")
            .or_else(|| r.raw.table.get("preset"))
            .map_or(r.raw.header, |e| e.val_loc);
        match seen.iter().find(|(n, _)| *n == r.display) {
            Some((_, first)) => {
                let first = ctx.describe(*first);
                let here = ctx.describe(loc);
                ctx.report(
                    loc,
                    Some(r.path("name")),
                    format!(
                        "strategy name \"{}\" is used twice ({first} and {here}); give each strategy a distinct `name`",
                        r.display
                    ),
                );
            }
            None => seen.push((&r.display, loc)),
        }
    }

    let strategies = resolved[..n_strategies]
        .iter()
        .enumerate()
        .map(|(i, r)| StrategySpec {
            name: r.display.clone(),
            preset: r.preset.clone().unwrap_or_default(),
            levers: r.levers.clone(),
            overrides: r.overrides.clone(),
            groups: resolved[n_strategies..]
                .iter()
                .filter(|g| g.parent == Some(i))
                .map(|g| GroupSpec {
                    name: g.display.clone(),
                    named: g.named,
                    authorities: g.authorities.iter().map(|(n, _)| n.clone()).collect(),
                    preset: g.preset.clone(),
                    levers: g.levers.clone(),
                    overrides: g.overrides.clone(),
                })
                .collect(),
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
            from_levers: false,
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
                    groups: s
                        .groups
                        .iter()
                        .map(|g| {
                            let mut entries = Vec::new();
                            if let Some(p) = &g.preset {
                                entries.push(prior("preset", Value::Str(p.clone())));
                            }
                            if g.named {
                                entries.push(prior("name", Value::Str(g.name.clone())));
                            }
                            entries.extend(
                                g.overrides
                                    .iter()
                                    .filter_map(|k| Some(prior(k, g.levers.get(k)?))),
                            );
                            let names = g
                                .authorities
                                .iter()
                                .map(|n| (n.clone(), Loc::Prior))
                                .collect();
                            RawGroup {
                                raw: RawStrategy {
                                    header: Loc::Prior,
                                    table: Table { entries },
                                    groups: Vec::new(),
                                },
                                auths: Some((Loc::Prior, Ok(names))),
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

/// Parse, apply `--set`, validate and resolve. See the module docs.
/// Read a schools file and check its contexts against `contexts`
/// (`landscape.contexts`); the error names the file and line.
fn check_schools_file(path: &std::path::Path, contexts: u32) -> Result<(), String> {
    use crate::network::ContextCell;
    let recs = crate::network::read_schools_file(path).map_err(|e| e.to_string())?;
    let mut names: Vec<&str> = Vec::new();
    for r in &recs {
        let (ctx, shown) = match &r.context {
            None => continue,
            Some(ContextCell::Number(c)) => (*c, c.to_string()),
            Some(ContextCell::Name(n)) => {
                let k = names.iter().position(|m| m == n).unwrap_or_else(|| {
                    names.push(n);
                    names.len() - 1
                });
                (k as u32, format!("\"{}\"", crate::network::shown(n)))
            }
        };
        if ctx >= contexts {
            let allowed = if names.is_empty() {
                format!("numbers 0 to {}", contexts.saturating_sub(1))
            } else {
                format!(
                    "at most {contexts} distinct names; the first are {}",
                    names[..contexts as usize].join(", ")
                )
            };
            return Err(format!(
                "{} line {}: school \"{}\" has context {shown}, but landscape.contexts = {contexts} allows {allowed}; change the school's context or raise landscape.contexts",
                path.display(),
                r.line,
                r.id
            ));
        }
    }
    Ok(())
}

pub(super) fn from_text(
    text: &str,
    origin: &str,
    dir: Option<PathBuf>,
    sets: &[String],
) -> Result<Scenario, ScenarioError> {
    let mut ctx = Ctx::new(origin, text, sets);
    let Some(mut doc) = parse_document(text, &mut ctx) else {
        return Err(ctx.finish().expect_err("a problem was reported"));
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
