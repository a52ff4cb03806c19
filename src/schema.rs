//! JSON Schemas of the input files, generated from the lever registry
//! (`orglearn schema scenario|sweep`), and the schools file's columns as a
//! Frictionless Table Schema (`orglearn schema schools`).
//!
//! Editors use the schemas to complete keys and check values as a file is
//! typed (Even Better TOML / taplo: a `#:schema FILE` first line). The
//! schema describes what the scenario reader accepts key by key; cross-field
//! rules (a lever of a switched-off mechanism, year orders, network
//! parameters that fit the schools) are checked by `orglearn check` only.

use crate::model::NAMES;
use crate::network::SCHOOL_COLUMN_DOCS;
use crate::params::{LeverSpec, PRESETS, Value};
use crate::reference::{kind_json, sections, value_json};
use serde_json::{Map, Value as Json, json};

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The schema of one lever: type, bounds, choices, default and a
/// description with its unit and source.
fn lever_schema(spec: &LeverSpec, default: Option<&Value>) -> Json {
    let (ty, min, max, choices) = kind_json(&spec.kind);
    let mut d = spec.doc.to_string();
    if !spec.unit.is_empty() {
        d.push_str(&format!(" Unit: {}.", spec.unit));
    }
    if let Some(m) = spec.mechanism.switch_key() {
        d.push_str(&format!(" Needs `{m} = true`."));
    }
    d.push_str(&format!(" Source: {}.", spec.source));
    let mut o = Map::new();
    o.insert("type".into(), json!(ty));
    o.insert("description".into(), json!(d));
    if let Some(m) = min {
        o.insert("minimum".into(), m);
    }
    if let Some(m) = max {
        o.insert("maximum".into(), m);
    }
    if let Some(c) = choices {
        o.insert("enum".into(), json!(c));
    }
    if let Some(v) = default {
        o.insert("default".into(), value_json(v));
    }
    Json::Object(o)
}

fn object(description: &str, properties: Map<String, Json>) -> Json {
    json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": false,
    })
}

/// The JSON Schema of a scenario file.
pub fn scenario_schema() -> Json {
    let secs = sections();
    let props = |table: &str| -> Map<String, Json> {
        let sec = secs
            .iter()
            .find(|s| s.table == table)
            .expect("known section");
        sec.levers
            .iter()
            .map(|(s, d)| (s.key.to_string(), lever_schema(s, d.as_ref())))
            .collect()
    };
    let presets: Vec<&str> = PRESETS.iter().map(|(p, _)| *p).collect();
    let preset_list = PRESETS
        .iter()
        .map(|(p, d)| format!("`{p}`: {d}"))
        .collect::<Vec<_>>()
        .join("; ");
    let preset = json!({
        "type": "string",
        "enum": presets,
        "description": format!("The strategy preset to start from. {preset_list}."),
    });
    let name = json!({ "type": "string", "description": "A name for the tables and charts." });
    let mut group = props("levers");
    group.insert(
        "authorities".into(),
        json!({
            "type": "array",
            "minItems": 1,
            "description": "The authorities these levers apply to: numbers from 1, or names of a schools file's `authority` column.",
            "items": { "anyOf": [ { "type": "integer", "minimum": 1 }, { "type": "string" } ] },
        }),
    );
    group.insert("preset".into(), preset.clone());
    group.insert("name".into(), name.clone());
    let mut strategy = props("levers");
    strategy.insert("preset".into(), preset);
    strategy.insert("name".into(), name);
    strategy.insert(
        "authority".into(),
        json!({
            "type": "array",
            "description": "Authority tables: levers of their own for some of the strategy's authorities.",
            "items": object("Levers for some authorities of this strategy.", group),
        }),
    );
    let mut top = props("");
    for (table, title) in [
        ("landscape", "The practice landscape (spec §2)."),
        (
            "schools",
            "Schools, intake and what is observed (spec §1, 4.8).",
        ),
        ("network", "The school network (spec §6)."),
        (
            "levers",
            "Strategy levers: a base for every strategy and for burn-in.",
        ),
    ] {
        top.insert(table.into(), object(title, props(table)));
    }
    top.insert(
        "strategy".into(),
        json!({
            "type": "array",
            "minItems": 1,
            "description": "The strategies compared, each a preset with optional lever overrides.",
            "items": object("One strategy.", strategy),
        }),
    );
    let mut s = object("An orglearn scenario file (see `orglearn levers`).", top);
    s["$schema"] = json!(DRAFT);
    s["$id"] = json!("https://orglearn.invalid/schema/scenario.json");
    s["title"] = json!("orglearn scenario");
    s
}

/// The JSON Schema of a sweep file.
pub fn sweep_schema() -> Json {
    let int = |min: i64, max: i64, d: &str| json!({ "type": "integer", "minimum": min, "maximum": max, "description": d });
    let text = |d: &str| json!({ "type": "string", "description": d });
    let indicator = json!({ "type": "string", "enum": NAMES, "description": "An indicator (see the README's indicator table)." });
    let scalar = json!({ "type": ["number", "string", "boolean"] });
    let mut lever = Map::new();
    lever.insert("key".into(), text("The lever to vary, as a `--set` key: `SECTION.KEY` (e.g. `landscape.turbulence`), a strategy lever `levers.KEY`, or one strategy's `strategy.NAME.KEY`."));
    lever.insert("label".into(), text("The lever's name in charts."));
    lever.insert("values".into(), json!({ "type": "array", "minItems": 1, "items": scalar, "description": "The values to take (instead of a range)." }));
    lever.insert(
        "min".into(),
        json!({ "type": "number", "description": "Lower end of the range." }),
    );
    lever.insert(
        "max".into(),
        json!({ "type": "number", "description": "Upper end of the range." }),
    );
    lever.insert("distribution".into(), json!({ "type": "string", "enum": ["uniform", "log-uniform", "triangular", "normal"], "default": "uniform", "description": "How the range is sampled." }));
    lever.insert(
        "mode".into(),
        json!({ "type": "number", "description": "Mode of a triangular distribution." }),
    );
    lever.insert(
        "mean".into(),
        json!({ "type": "number", "description": "Mean of a normal distribution." }),
    );
    lever.insert("sd".into(), json!({ "type": "number", "exclusiveMinimum": 0, "description": "Standard deviation of a normal distribution." }));
    lever.insert(
        "steps".into(),
        int(
            2,
            100_000,
            "Grid designs: evenly spaced values (by quantile) of the range.",
        ),
    );
    let mut record = Map::new();
    record.insert("indicators".into(), json!({ "type": "array", "minItems": 1, "items": indicator, "default": ["attainment_mean"], "description": "The indicators runs.csv keeps of every strategy." }));
    record.insert("years".into(), json!({ "type": "array", "minItems": 1, "items": { "type": "integer", "minimum": 0 }, "description": "The years recorded (default: the last year)." }));
    let mut output = Map::new();
    output.insert(
        "strategy".into(),
        text("The strategy analysed (default: the first)."),
    );
    output.insert("indicator".into(), indicator);
    output.insert("year".into(), json!({ "type": "integer", "minimum": 0, "description": "The year analysed (default: the last recorded year)." }));
    output.insert(
        "minus".into(),
        text("Optional: analyse the difference from this strategy."),
    );
    let mut top = Map::new();
    top.insert(
        "name".into(),
        text("Names the default output folder out/NAME/."),
    );
    top.insert("description".into(), text("One line describing the sweep."));
    top.insert(
        "scenario".into(),
        text("The base scenario: a file (relative to this one) or a built-in name."),
    );
    top.insert(
        "seed".into(),
        int(
            0,
            i64::MAX,
            "The sweep's seed (default: the base scenario's).",
        ),
    );
    top.insert("design".into(), json!({ "type": "string", "enum": ["grid", "random", "lhs", "sobol", "morris"], "description": "How points are chosen." }));
    top.insert(
        "samples".into(),
        int(
            1,
            i64::MAX,
            "random, lhs: the number of points; sobol: the base samples N.",
        ),
    );
    top.insert(
        "trajectories".into(),
        int(2, i64::MAX, "morris: the number of trajectories r."),
    );
    top.insert(
        "levels".into(),
        int(2, 1000, "morris: grid levels p (even)."),
    );
    top.insert(
        "replicates".into(),
        int(1, 1_000_000, "Runs per point (default 1)."),
    );
    top.insert("strategies".into(), json!({ "type": "array", "minItems": 1, "items": { "type": "string" }, "description": "The strategies to run (default: every strategy of the base scenario)." }));
    top.insert("set".into(), json!({ "type": "object", "description": "Fixed changes to the base scenario, as `--set` keys (see `orglearn levers`)." }));
    top.insert("record".into(), object("What runs.csv keeps.", record));
    top.insert(
        "output".into(),
        object("The one output `analyze` and the charts use.", output),
    );
    let mut lever_obj = object("One varied lever.", lever);
    lever_obj["required"] = json!(["key"]);
    top.insert("lever".into(), json!({ "type": "array", "minItems": 1, "items": lever_obj, "description": "The varied levers, one table each." }));
    let mut s = object("An orglearn sweep file (see docs/sweeps.md).", top);
    s["$schema"] = json!(DRAFT);
    s["$id"] = json!("https://orglearn.invalid/schema/sweep.json");
    s["title"] = json!("orglearn sweep");
    s["required"] = json!(["lever"]);
    s
}

/// The schools file's columns as a Frictionless Table Schema
/// (<https://specs.frictionlessdata.io/table-schema/>).
pub fn schools_schema() -> Json {
    let fields: Vec<Json> = SCHOOL_COLUMN_DOCS
        .iter()
        .map(|c| {
            let mut cons = Map::new();
            cons.insert("required".into(), json!(c.required));
            if c.name == "id" {
                cons.insert("unique".into(), json!(true));
            }
            if let Some(m) = c.minimum {
                cons.insert("minimum".into(), json!(m));
            }
            if let Some(m) = c.maximum {
                cons.insert("maximum".into(), json!(m));
            }
            json!({
                "name": c.name,
                "type": c.kind,
                "description": format!("{} Allowed: {}.", c.meaning, c.allowed),
                "constraints": cons,
            })
        })
        .collect();
    json!({
        "title": "orglearn schools file (schools.file)",
        "description": "One row per school. Only `id` is required; an absent column is generated, a present column may not have empty cells.",
        "fields": fields,
        "primaryKey": "id",
    })
}

/// The schools file's columns as a Markdown table (for the README).
pub fn schools_markdown() -> String {
    let mut out =
        String::from("| column | type | required | allowed | meaning |\n|---|---|---|---|---|\n");
    for c in &SCHOOL_COLUMN_DOCS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            c.name,
            c.kind,
            if c.required { "yes" } else { "no" },
            c.allowed,
            c.meaning
        ));
    }
    out
}
