//! The scenario key reference, read from the lever registry (`params`):
//! as text or Markdown (`orglearn levers`, the README), as JSON or CSV for
//! other programs (`orglearn levers --format json|csv`), and the list of
//! built-ins as JSON (`orglearn list --format json`). The JSON Schema of
//! scenario files (`schema.rs`) reads the same [`sections`].

use crate::params::{
    self, Kind, LANDSCAPE_LEVERS, LeverSpec, Levers, NETWORK_LEVERS, PRESETS, RUN_LEVERS,
    SCHOOL_LEVERS, STRATEGY_LEVERS, Value, preset_overrides,
};
use serde_json::{Value as Json, json};

/// One section of a scenario file: its table name (`""` for the top
/// level), its title and introduction, and its levers with their defaults.
pub struct Section {
    pub table: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub levers: Vec<(&'static LeverSpec, Option<Value>)>,
}

fn with_defaults(
    specs: &'static [LeverSpec],
    get: impl Fn(&str) -> Option<Value>,
) -> Vec<(&'static LeverSpec, Option<Value>)> {
    specs.iter().map(|s| (s, get(s.key))).collect()
}

/// Every section of a scenario file, in the order of the reference.
pub fn sections() -> Vec<Section> {
    let run = params::RunParams::default();
    let land = params::LandscapeParams::default();
    let sch = params::SchoolParams::default();
    let net = params::NetworkParams::default();
    let lev = Levers::default();
    vec![
        Section {
            table: "",
            title: "top level",
            intro: "",
            levers: with_defaults(RUN_LEVERS, |k| run.get(k)),
        },
        Section {
            table: "landscape",
            title: "[landscape]",
            intro: "The practice landscape (spec §2).",
            levers: with_defaults(LANDSCAPE_LEVERS, |k| land.get(k)),
        },
        Section {
            table: "schools",
            title: "[schools]",
            intro: "Schools, intake and what is observed (spec §1, 4.8).",
            levers: with_defaults(SCHOOL_LEVERS, |k| sch.get(k)),
        },
        Section {
            table: "network",
            title: "[network]",
            intro: "The school network (spec §6).",
            levers: with_defaults(NETWORK_LEVERS, |k| net.get(k)),
        },
        Section {
            table: "levers",
            title: "[levers], [[strategy]] and [[strategy.authority]]",
            intro: "Strategy levers (spec §4, 5). `[levers]` sets a base for every strategy and for burn-in; each `[[strategy]]` table names a `preset` (and optionally a `name`) and overrides keys. A `[[strategy.authority]]` table after a strategy gives some of its authorities levers of their own: `authorities` (required: numbers from 1, or the names of a schools file's `authority` column), an optional `preset` to start from instead of the strategy's levers, an optional `name`, and any lever. Setting a lever of a mechanism the strategy (or the authority table) switches off is an error.",
            levers: with_defaults(STRATEGY_LEVERS, |k| lev.get(k)),
        },
    ]
}

/// A lever's key as written in the reference: `section.key`, or `key` at
/// the top level and for strategy levers.
fn full_key(section: &Section, spec: &LeverSpec) -> String {
    match section.table {
        "" | "levers" => spec.key.to_string(),
        t => format!("{t}.{}", spec.key),
    }
}

fn needs(spec: &LeverSpec) -> Option<&'static str> {
    spec.mechanism.switch_key()
}

/// The scenario key reference (plain text or Markdown).
pub fn levers_reference(markdown: bool) -> String {
    let show = |v: &Option<Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    let mut out = String::new();
    for sec in sections() {
        let rows: Vec<[String; 6]> = sec
            .levers
            .iter()
            .map(|(s, d)| {
                let mut mech = match needs(s) {
                    Some(m) => format!(" (needs `{m} = true`)"),
                    None => String::new(),
                };
                if let Some(u) = crate::params::uncertain(&format!("{}.{}", sec.table, s.key)) {
                    mech.push_str(&format!(
                        " Uncertain: the report's robustness check varies it from {} to {} ({}).",
                        u.lo, u.hi, u.why
                    ));
                }
                [
                    full_key(&sec, s),
                    show(d),
                    s.kind.allowed(),
                    s.unit.to_string(),
                    format!("{}{mech}", s.doc),
                    s.source.to_string(),
                ]
            })
            .collect();
        let (title, intro) = (sec.title, sec.intro);
        if markdown {
            out.push_str(&format!("#### {title}\n\n"));
            if !intro.is_empty() {
                out.push_str(&format!("{intro}\n\n"));
            }
            out.push_str("| key | default | allowed | unit | meaning | source |\n|---|---|---|---|---|---|\n");
            for r in rows {
                out.push_str(&format!(
                    "| `{}` | `{}` | {} | {} | {} | {} |\n",
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4].replace('|', "\\|"),
                    r[5]
                ));
            }
            out.push('\n');
        } else {
            out.push_str(&format!("{title}\n"));
            if !intro.is_empty() {
                out.push_str(&format!("  {intro}\n"));
            }
            for r in rows {
                out.push_str(&format!(
                    "  {:32} default {:14} {}\n      {} [{}]\n",
                    r[0], r[1], r[2], r[4], r[5]
                ));
            }
            out.push('\n');
        }
    }
    if markdown {
        out.push_str("#### Presets\n\n| preset | sets |\n|---|---|\n");
        for (p, _) in PRESETS {
            let o: Vec<String> = preset_overrides(p)
                .iter()
                .map(|(k, v)| format!("`{k} = {v}`"))
                .collect();
            out.push_str(&format!(
                "| `{p}` | {} |\n",
                if o.is_empty() {
                    "(nothing: defaults)".into()
                } else {
                    o.join(", ")
                }
            ));
        }
        out.push('\n');
    }
    out
}

/// A lever value as JSON.
pub fn value_json(v: &Value) -> Json {
    match v {
        Value::Float(x) => json!(x),
        Value::Int(i) => json!(i),
        Value::Bool(b) => json!(b),
        Value::Str(s) => json!(s),
        Value::List(l) => json!(l),
    }
}

/// The JSON type name, bounds and choices of a lever's kind.
pub fn kind_json(kind: &Kind) -> (&'static str, Option<Json>, Option<Json>, Option<Vec<&str>>) {
    let bound = |x: f64| x.is_finite().then(|| json!(x));
    match *kind {
        Kind::Float { min, max } => ("number", bound(min), bound(max), None),
        Kind::Int { min, max } => (
            "integer",
            (min != i64::MIN).then(|| json!(min)),
            (max != i64::MAX).then(|| json!(max)),
            None,
        ),
        Kind::Bool => ("boolean", None, None, None),
        Kind::Choice(c) => ("string", None, None, Some(c.to_vec())),
        Kind::Text | Kind::OptText => ("string", None, None, None),
    }
}

/// Every lever as one JSON object: key, section, default, type, bounds,
/// choices, unit, the mechanism switch it needs, meaning and source.
pub fn levers_json() -> Json {
    let mut all = Vec::new();
    for sec in sections() {
        for (s, d) in &sec.levers {
            let (ty, min, max, choices) = kind_json(&s.kind);
            all.push(json!({
                "key": full_key(&sec, s),
                "section": if sec.table == "levers" { "levers, strategy" } else { sec.table },
                "default": d.as_ref().map(value_json),
                "type": ty,
                "minimum": min,
                "maximum": max,
                "choices": choices,
                "allowed": s.kind.allowed(),
                "unit": s.unit,
                "needs": needs(s),
                "meaning": s.doc,
                "source": s.source,
            }));
        }
    }
    Json::Array(all)
}

/// Every lever as CSV: one row per key, the columns of [`levers_json`].
pub fn levers_csv() -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let cols = [
        "key", "section", "default", "type", "minimum", "maximum", "choices", "allowed", "unit",
        "needs", "meaning", "source",
    ];
    w.write_record(cols)?;
    let Json::Array(rows) = levers_json() else {
        unreachable!("levers_json is an array")
    };
    for r in rows {
        let cell = |c: &str| match &r[c] {
            Json::Null => String::new(),
            Json::String(s) => s.clone(),
            Json::Array(a) => a
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
                .join("|"),
            v => v.to_string(),
        };
        w.write_record(cols.iter().map(|c| cell(c)))?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// The built-ins of `orglearn list` as JSON: scenarios, validation models,
/// sweeps and strategy presets, each with its name and description.
pub fn list_json() -> Json {
    let pairs = |v: Vec<(String, String)>| -> Json {
        v.into_iter()
            .map(|(n, d)| json!({ "name": n, "description": d }))
            .collect()
    };
    let own = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(n, d)| (n.to_string(), d.to_string()))
            .collect()
    };
    json!({
        "scenarios": pairs(own(&crate::scenario::builtin::builtins())),
        "validation": pairs(crate::validation::list_lines()),
        "sweeps": pairs(crate::sweep::list_lines()),
        "presets": pairs(own(PRESETS)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_csv_list_every_lever_once() {
        let Json::Array(rows) = levers_json() else {
            panic!("not an array")
        };
        let n: usize = sections().iter().map(|s| s.levers.len()).sum();
        assert_eq!(rows.len(), n);
        let n_key = rows.iter().find(|r| r["key"] == "landscape.n").unwrap();
        assert_eq!(n_key["type"], "integer");
        assert_eq!(n_key["minimum"], 1);
        assert_eq!(n_key["maximum"], 64);
        assert_eq!(n_key["default"], 16);
        let csv = levers_csv().unwrap();
        assert_eq!(csv.lines().count(), n + 1);
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let keys: Vec<String> = r.records().map(|x| x.unwrap()[0].to_string()).collect();
        assert!(keys.iter().any(|k| k == "network.kind"));
    }

    #[test]
    fn list_json_names_every_builtin() {
        let j = list_json();
        assert!(
            j["scenarios"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"] == "burnham")
        );
        assert!(!j["validation"].as_array().unwrap().is_empty());
        assert!(
            j["sweeps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"] == "smoke")
        );
        assert_eq!(j["presets"].as_array().unwrap().len(), PRESETS.len());
    }
}
