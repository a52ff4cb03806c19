//! Built-in scenarios: the files of `scenarios/`, embedded in the program,
//! and the rule that turns a command-line argument into a scenario text.
//!
//! Every `scenarios/*.toml` file is listed in `BUILTINS`; a test checks
//! that the list and the folder agree, so a new file must be registered here.

use super::ScenarioError;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use toml::de::{DeTable, DeValue};

/// Name (the file name without `.toml`) and text of every built-in scenario.
const BUILTINS: &[(&str, &str)] = &[
    ("default", include_str!("../../scenarios/default.toml")),
    ("minimal", include_str!("../../scenarios/minimal.toml")),
    ("england", include_str!("../../scenarios/england.toml")),
    ("burnham", include_str!("../../scenarios/burnham.toml")),
    (
        "buckinghamshire",
        include_str!("../../scenarios/buckinghamshire.toml"),
    ),
    (
        "national-strategies",
        include_str!("../../scenarios/national-strategies.toml"),
    ),
    ("nlc", include_str!("../../scenarios/nlc.toml")),
    ("psln", include_str!("../../scenarios/psln.toml")),
    (
        "learning-project",
        include_str!("../../scenarios/learning-project.toml"),
    ),
    ("liverpool", include_str!("../../scenarios/liverpool.toml")),
];

/// The TOML text of a built-in scenario.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The `description` key of a scenario text ("" if it has none).
fn description_of(text: &str) -> String {
    let Ok(doc) = DeTable::parse(text) else {
        return String::new();
    };
    match doc.get_ref().get("description").map(|v| v.get_ref()) {
        Some(DeValue::String(s)) => s.to_string(),
        _ => String::new(),
    }
}

/// Every built-in scenario: its name and its description.
pub fn builtins() -> Vec<(&'static str, &'static str)> {
    static DESCRIPTIONS: OnceLock<Vec<String>> = OnceLock::new();
    let descriptions =
        DESCRIPTIONS.get_or_init(|| BUILTINS.iter().map(|(_, t)| description_of(t)).collect());
    BUILTINS
        .iter()
        .zip(descriptions)
        .map(|((n, _), d)| (*n, d.as_str()))
        .collect()
}

/// What a scenario argument names: `(origin, text, dir)`.
///
/// A path that exists is read (`origin` is the path as given, `dir` its
/// folder); otherwise a built-in name (`NAME` or `built-in:NAME`; `origin`
/// is `built-in:NAME`, `dir` is `None`). `None` means the built-in
/// `default`.
pub fn resolve(arg: Option<&str>) -> Result<(String, String, Option<PathBuf>), ScenarioError> {
    let Some(arg) = arg else {
        let text = builtin("default").expect("the default scenario is built in");
        return Ok(("built-in:default".into(), text.into(), None));
    };
    let path = Path::new(arg);
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ScenarioError::general(arg, format!("cannot read the scenario file: {e}"))
        })?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        return Ok((arg.to_string(), text, Some(dir)));
    }
    let name = arg.strip_prefix("built-in:").unwrap_or(arg);
    match builtin(name) {
        Some(text) => Ok((format!("built-in:{name}"), text.into(), None)),
        None => Err(ScenarioError::general("", unknown_builtin(arg, "scenario"))),
    }
}

/// Every built-in name a command may take: scenarios, validation models
/// and sweeps.
fn all_names() -> Vec<&'static str> {
    BUILTINS
        .iter()
        .chain(crate::validation::source::BUILTINS)
        .chain(crate::sweep::spec::BUILTINS)
        .map(|(n, _)| *n)
        .collect()
}

/// The message for an argument that is neither a file nor a built-in:
/// the nearest built-in name when it looks like a typo, and every name.
pub fn unknown_builtin(arg: &str, what: &str) -> String {
    let name = arg.strip_prefix("built-in:").unwrap_or(arg);
    let names = all_names();
    let hint = match super::load::nearest(name, names.iter().copied()) {
        Some(c) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    };
    let list = |v: &[(&str, &str)]| v.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    format!(
        "no file or built-in {what} named \"{arg}\"{hint}; built-in scenarios: {}; validation models: {}; sweeps: {}",
        list(BUILTINS),
        list(crate::validation::source::BUILTINS),
        list(crate::sweep::spec::BUILTINS),
    )
}

/// The text of any built-in (scenario, validation model or sweep), for
/// `orglearn init`.
pub fn any_builtin(name: &str) -> Result<&'static str, ScenarioError> {
    let name = name.strip_prefix("built-in:").unwrap_or(name);
    BUILTINS
        .iter()
        .chain(crate::validation::source::BUILTINS)
        .chain(crate::sweep::spec::BUILTINS)
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| ScenarioError::general("", unknown_builtin(name, "scenario or sweep")))
}

/// Test support: every `*.toml` of `folder` (relative to the crate) is
/// registered in `builtins`, and each registered text is the file's.
#[cfg(test)]
pub(crate) fn assert_folder_registered(folder: &str, builtins: &[(&str, &str)]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".toml").map(str::to_string)
        })
        .collect();
    files.sort();
    let mut listed: Vec<String> = builtins.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "register every {folder}/*.toml");
    for (name, text) in builtins {
        let on_disk = std::fs::read_to_string(dir.join(format!("{name}.toml"))).unwrap();
        assert_eq!(*text, on_disk, "{folder}/{name}.toml");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn every_file_of_scenarios_is_registered() {
        assert_folder_registered("scenarios", BUILTINS);
    }

    #[test]
    fn every_builtin_parses_and_is_named_after_its_file() {
        for (name, description) in builtins() {
            let sc = Scenario::from_str(builtin(name).unwrap(), name, None)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(sc.run.name, name);
            assert_eq!(sc.run.description, description);
            assert!(!description.is_empty(), "{name} has no description");
        }
    }

    #[test]
    fn resolve_finds_builtins_and_files_and_names_the_builtins() {
        let (origin, text, dir) = resolve(None).unwrap();
        assert_eq!(origin, "built-in:default");
        assert_eq!(text, builtin("default").unwrap());
        assert!(dir.is_none());
        assert_eq!(resolve(Some("minimal")).unwrap().0, "built-in:minimal");
        assert_eq!(
            resolve(Some("built-in:minimal")).unwrap().0,
            "built-in:minimal"
        );
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/minimal.toml");
        let p = path.to_str().unwrap();
        let (origin, _, dir) = resolve(Some(p)).unwrap();
        assert_eq!(origin, p);
        assert_eq!(dir.unwrap(), path.parent().unwrap());
        let err = resolve(Some("nope")).unwrap_err().to_string();
        assert!(
            err.contains("no file or built-in scenario named \"nope\";"),
            "{err}"
        );
        assert!(!err.contains("did you mean"), "{err}");
        for (name, _) in builtins() {
            assert!(err.contains(name), "{err}");
        }
        assert!(err.contains("march1991") && err.contains("smoke"), "{err}");
        let err = resolve(Some("burnam")).unwrap_err().to_string();
        assert!(err.contains("(did you mean `burnham`?)"), "{err}");
        let err = resolve(Some("march1990")).unwrap_err().to_string();
        assert!(err.contains("(did you mean `march1991`?)"), "{err}");
    }
}
