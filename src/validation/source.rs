//! Reading a validation scenario: a built-in name or a TOML file, the
//! `--set` assignments (applied to the parsed table before it is checked),
//! and errors that name the file, line, column and key at fault, or the
//! command-line assignment that set the key.

use std::path::Path;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};

/// Name and text of every built-in validation scenario.
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "march1991",
        include_str!("../../scenarios/validation/march1991.toml"),
    ),
    (
        "lazer-friedman2007",
        include_str!("../../scenarios/validation/lazer-friedman2007.toml"),
    ),
    (
        "lf-reference",
        include_str!("../../scenarios/validation/lf-reference.toml"),
    ),
    (
        "lf-k0",
        include_str!("../../scenarios/validation/lf-k0.toml"),
    ),
    (
        "fang2010",
        include_str!("../../scenarios/validation/fang2010.toml"),
    ),
];

/// The published model a scenario runs (its top-level `model` key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    March1991,
    LazerFriedman2007,
    Fang2010,
}

impl ModelKind {
    /// Every model, with the spelling of its `model` key.
    pub const ALL: [(ModelKind, &'static str); 3] = [
        (ModelKind::March1991, "march1991"),
        (ModelKind::LazerFriedman2007, "lazer-friedman2007"),
        (ModelKind::Fang2010, "fang2010"),
    ];

    /// The model named by a `model` key.
    pub fn from_key(s: &str) -> Option<ModelKind> {
        Self::ALL.iter().find(|(_, k)| *k == s).map(|(m, _)| *m)
    }

    /// The `model` key's spelling.
    pub fn key(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(m, _)| *m == self)
            .map(|(_, k)| *k)
            .unwrap_or("")
    }
}

/// The text of a built-in validation scenario.
pub fn builtin(name: &str) -> Option<&'static str> {
    let name = name.strip_prefix("built-in:").unwrap_or(name);
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The top-level `model` key of a TOML text, if it is a string.
pub fn model_key(text: &str) -> Option<String> {
    // Recoverable: a file with a mistake elsewhere still names its model, so
    // the mistake is reported by the validation reader.
    let (doc, _) = DeTable::parse_recoverable(text);
    match doc.get_ref().get("model").map(|v| v.get_ref()) {
        Some(DeValue::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

/// The top-level `description` key of a TOML text ("" if none).
pub fn description(text: &str) -> String {
    let Ok(doc) = DeTable::parse(text) else {
        return String::new();
    };
    match doc.get_ref().get("description").map(|v| v.get_ref()) {
        Some(DeValue::String(s)) => s.to_string(),
        _ => String::new(),
    }
}

/// Everything wrong with a validation scenario, one line per problem, each
/// `ORIGIN[:LINE:COLUMN]: key `KEY`: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl ConfigError {
    fn one(s: String) -> ConfigError {
        ConfigError { problems: vec![s] }
    }
}

/// One command-line assignment of a key.
#[derive(Clone, Debug)]
struct Assignment {
    /// How the user wrote it, for messages: `--set #2 (a.b=3)`, `--seed`.
    label: String,
    key: Vec<String>,
}

/// A validation scenario, parsed, with the command-line assignments applied.
#[derive(Clone, Debug)]
pub struct Source {
    /// The file as the user named it, or `built-in:NAME`.
    pub origin: String,
    /// The scenario text as read.
    pub text: String,
    /// The table after the assignments.
    pub table: toml::Table,
    pub model: ModelKind,
    sets: Vec<Assignment>,
}

pub(crate) use crate::scenario::load::line_col;

/// The dotted key path at a byte offset of a TOML text: the deepest key
/// whose name or value covers the offset (empty if none).
pub fn path_at(text: &str, offset: usize) -> Vec<String> {
    fn walk(t: &DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
        for (k, v) in t.iter() {
            if let DeValue::Table(sub) = v.get_ref() {
                path.push(k.get_ref().to_string());
                if walk(sub, offset, path) {
                    return true;
                }
                path.pop();
            }
            if k.span().contains(&offset) || v.span().contains(&offset) {
                path.push(k.get_ref().to_string());
                return true;
            }
        }
        false
    }
    let mut path = Vec::new();
    if let Ok(doc) = DeTable::parse(text) {
        walk(doc.get_ref(), offset, &mut path);
    }
    path
}

/// Byte offset of the deepest existing key along `path` in a TOML text.
fn key_offset(text: &str, path: &[String]) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let mut found = None;
    for seg in path {
        let (k, v) = table.get_key_value(seg.as_str())?;
        found = Some(k.span().start);
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    found
}

/// Parse the value of a `--set` assignment as a TOML value; anything that
/// is not one (e.g. `linear`) is taken as a string.
fn parse_value(raw: &str) -> toml::Value {
    let doc = format!("v = {raw}");
    match doc.parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or(toml::Value::String(raw.into())),
        Err(_) => toml::Value::String(raw.trim().into()),
    }
}

/// Set the dotted `key` in `table`, creating sections on the way; `Err`
/// names a part of the path that holds a value instead of a section.
fn assign(table: &mut toml::Table, key: &[String], value: toml::Value) -> Result<(), String> {
    let Some((last, parents)) = key.split_last() else {
        return Ok(());
    };
    let mut t = table;
    for (i, seg) in parents.iter().enumerate() {
        let entry = t
            .entry(seg.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = match entry {
            toml::Value::Table(sub) => sub,
            _ => return Err(key[..=i].join(".")),
        };
    }
    t.insert(last.clone(), value);
    Ok(())
}

impl Source {
    /// Read `arg` (an existing file, else a built-in name) and apply the
    /// assignments `(label, "KEY=VALUE")` in order.
    pub fn open(arg: &str, sets: &[(String, String)]) -> Result<Source, ConfigError> {
        let path = Path::new(arg);
        let (origin, text) = if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError::one(format!("{arg}: cannot read the scenario file: {e}"))
            })?;
            (arg.to_string(), text)
        } else if let Some(t) = builtin(arg) {
            let name = arg.strip_prefix("built-in:").unwrap_or(arg);
            (format!("built-in:{name}"), t.to_string())
        } else {
            let names: Vec<&str> = BUILTINS.iter().map(|(n, _)| *n).collect();
            return Err(ConfigError::one(format!(
                "no file or built-in validation model named \"{arg}\"; built-ins: {}",
                names.join(", ")
            )));
        };
        Source::from_text(origin, text, sets)
    }

    /// Parse `text` (named `origin` in messages) and apply the assignments.
    pub fn from_text(
        origin: String,
        text: String,
        sets: &[(String, String)],
    ) -> Result<Source, ConfigError> {
        let mut table = match text.parse::<toml::Table>() {
            Ok(t) => t,
            Err(e) => {
                let at = e.span().map_or(0, |s| s.start);
                let (l, c) = line_col(&text, at);
                return Err(ConfigError::one(format!(
                    "{origin}:{l}:{c}: invalid TOML: {}",
                    e.message().trim_end()
                )));
            }
        };
        let mut src = Source {
            origin,
            text,
            table: toml::Table::new(),
            model: ModelKind::March1991,
            sets: Vec::new(),
        };
        let mut problems = Vec::new();
        for (label, assignment) in sets {
            let Some((key, raw)) = assignment.split_once('=') else {
                problems.push(format!(
                    "{label}: write KEY=VALUE, e.g. replicates=100 (got \"{assignment}\")"
                ));
                continue;
            };
            let key: Vec<String> = key
                .trim()
                .split('.')
                .map(|s| s.trim().to_string())
                .collect();
            if key.iter().any(String::is_empty) {
                problems.push(format!(
                    "{label}: the key \"{}\" is empty or has an empty part",
                    key.join(".")
                ));
                continue;
            }
            if let Err(parent) = assign(&mut table, &key, parse_value(raw)) {
                problems.push(format!(
                    "{label}: key `{}`: `{parent}` is a value, not a section",
                    key.join(".")
                ));
                continue;
            }
            src.sets.push(Assignment {
                label: label.clone(),
                key,
            });
        }
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        src.table = table;
        src.model = match src.table.get("model") {
            Some(toml::Value::String(s)) => ModelKind::from_key(s).ok_or_else(|| {
                ConfigError::one(src.at(
                    "model",
                    &format!(
                        "\"{s}\" is not a validation model: use one of {}",
                        Self::model_list()
                    ),
                ))
            })?,
            _ => {
                return Err(ConfigError::one(src.at(
                    "model",
                    &format!(
                        "a validation scenario needs a top-level string `model`, one of {}",
                        Self::model_list()
                    ),
                )));
            }
        };
        Ok(src)
    }

    fn model_list() -> String {
        ModelKind::ALL
            .iter()
            .map(|(_, k)| format!("\"{k}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Where a dotted key was set: the last command-line assignment of it
    /// (or of a section holding it), else its place in the file.
    pub fn locate(&self, key: &str) -> String {
        let path: Vec<String> = if key.is_empty() {
            Vec::new()
        } else {
            key.split('.').map(str::to_string).collect()
        };
        for a in self.sets.iter().rev() {
            let n = a.key.len().min(path.len());
            if n > 0 && a.key[..n] == path[..n] {
                return a.label.clone();
            }
        }
        match key_offset(&self.text, &path) {
            Some(at) => {
                let (l, c) = line_col(&self.text, at);
                format!("{}:{l}:{c}", self.origin)
            }
            None => self.origin.clone(),
        }
    }

    /// A problem with `key`, located.
    pub fn at(&self, key: &str, message: &str) -> String {
        if key.is_empty() {
            format!("{}: {message}", self.locate(key))
        } else {
            format!("{}: key `{key}`: {message}", self.locate(key))
        }
    }

    /// Deserialise the scenario (after the assignments) into `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        // Without assignments, read the file's own text so that positions
        // are exact; with them, read the edited table and map the key back.
        let text = if self.sets.is_empty() {
            self.text.clone()
        } else {
            toml::to_string(&self.table).map_err(|e| {
                ConfigError::one(format!("{}: cannot apply --set: {e}", self.origin))
            })?
        };
        toml::from_str::<T>(&text).map_err(|e| {
            let message = e.message().trim_end().to_string();
            let Some(span) = e.span() else {
                return ConfigError::one(format!("{}: {message}", self.origin));
            };
            let path = path_at(&text, span.start).join(".");
            if self.sets.is_empty() {
                let (l, c) = line_col(&text, span.start);
                let key = if path.is_empty() {
                    String::new()
                } else {
                    format!("key `{path}`: ")
                };
                ConfigError::one(format!("{}:{l}:{c}: {key}{message}", self.origin))
            } else {
                ConfigError::one(self.at(&path, &message))
            }
        })
    }

    /// Deserialise into `T` and check it with `problems` (a list of
    /// `(dotted key, message)`), locating every problem.
    pub fn load<T: DeserializeOwned>(
        &self,
        problems: impl Fn(&T) -> Vec<(String, String)>,
    ) -> Result<T, ConfigError> {
        let value: T = self.parse()?;
        let found = problems(&value);
        if found.is_empty() {
            Ok(value)
        } else {
            Err(ConfigError {
                problems: found.iter().map(|(k, m)| self.at(k, m)).collect(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Demo {
        model: String,
        seed: u64,
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        p: f64,
        kinds: Vec<String>,
    }

    const TEXT: &str =
        "# demo\nmodel = \"fang2010\"\nseed = 3\n\n[inner]\np = 0.5\nkinds = [\"a\"]\n";

    fn src(text: &str, sets: &[&str]) -> Result<Source, ConfigError> {
        let sets: Vec<(String, String)> = sets
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("--set #{} ({s})", i + 1), s.to_string()))
            .collect();
        Source::from_text("demo.toml".into(), text.into(), &sets)
    }

    #[test]
    fn line_col_and_path_at() {
        assert_eq!(line_col("ab\ncd", 3), (2, 1));
        let at = TEXT.find("0.5").unwrap();
        assert_eq!(path_at(TEXT, at), ["inner", "p"]);
        assert_eq!(path_at(TEXT, TEXT.find("seed").unwrap()), ["seed"]);
    }

    #[test]
    fn unknown_keys_and_bad_types_are_located() {
        let text = TEXT.replace("p = 0.5", "p = 0.5\nq = 1");
        let e = src(&text, &[]).unwrap().parse::<Demo>().unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("demo.toml:7:1: key `inner.q`:"), "{msg}");
        assert!(msg.contains("unknown field"), "{msg}");
        let text = TEXT.replace("p = 0.5", "p = \"high\"");
        let msg = src(&text, &[])
            .unwrap()
            .parse::<Demo>()
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("demo.toml:6:5: key `inner.p`:"), "{msg}");
    }

    #[test]
    fn sets_apply_and_are_named_in_errors() {
        let s = src(TEXT, &["inner.p=0.25", "inner.kinds=[\"x\", \"y\"]"]).unwrap();
        let d: Demo = s.parse().unwrap();
        assert_eq!(d.inner.p, 0.25);
        assert_eq!(d.inner.kinds, ["x", "y"]);
        let s = src(TEXT, &["inner.p=fast"]).unwrap();
        let msg = s.parse::<Demo>().unwrap_err().to_string();
        assert!(
            msg.starts_with("--set #1 (inner.p=fast): key `inner.p`"),
            "{msg}"
        );
        let s = src(TEXT, &["inner.zz=1"]).unwrap();
        let msg = s.parse::<Demo>().unwrap_err().to_string();
        assert!(msg.starts_with("--set #1 (inner.zz=1)"), "{msg}");
        assert!(msg.contains("unknown field"), "{msg}");
        let msg = src(TEXT, &["seed.x=1"]).unwrap_err().to_string();
        assert!(msg.contains("`seed` is a value"), "{msg}");
        assert!(src(TEXT, &["noequals"]).is_err());
        // A problem found after parsing points at the file or the --set.
        let s = src(TEXT, &["seed=4"]).unwrap();
        assert_eq!(s.locate("inner.p"), "demo.toml:6:1");
        assert_eq!(s.locate("seed"), "--set #1 (seed=4)");
    }

    #[test]
    fn model_key_is_required_and_checked() {
        let msg = src("seed = 1\n", &[]).unwrap_err().to_string();
        assert!(msg.contains("key `model`"), "{msg}");
        let msg = src("model = \"nope\"\n", &[]).unwrap_err().to_string();
        assert!(msg.starts_with("demo.toml:1:1: key `model`"), "{msg}");
        let msg = src("model = [1\n", &[]).unwrap_err().to_string();
        assert!(msg.starts_with("demo.toml:1:"), "{msg}");
        assert!(msg.contains("invalid TOML"), "{msg}");
    }

    #[test]
    fn every_builtin_names_its_model_and_file() {
        crate::scenario::builtin::assert_folder_registered("scenarios/validation", BUILTINS);
        for (name, text) in BUILTINS {
            let key = model_key(text).unwrap();
            assert!(ModelKind::from_key(&key).is_some(), "{name}");
            assert!(!description(text).is_empty(), "{name}");
        }
    }
}
