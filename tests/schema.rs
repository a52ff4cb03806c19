//! `orglearn schema`: every shipped scenario and sweep file validates
//! against the generated JSON Schemas with a real validator (boon), and
//! broken files do not.

use orglearn::schema::{scenario_schema, schools_schema, sweep_schema};
use serde_json::Value;
use std::path::Path;

fn compile(name: &str, schema: Value) -> (boon::Schemas, boon::SchemaIndex) {
    let mut schemas = boon::Schemas::new();
    let mut c = boon::Compiler::new();
    let url = format!("https://orglearn.invalid/schema/{name}.json");
    c.add_resource(&url, schema)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let idx = c
        .compile(&url, &mut schemas)
        .unwrap_or_else(|e| panic!("{name} schema does not compile: {e:#}"));
    (schemas, idx)
}

fn toml_json(text: &str) -> Value {
    toml::from_str(text).expect("TOML")
}

fn files(folder: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut v: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "toml").then(|| {
                (
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
        })
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no TOML files in {folder}");
    v
}

#[test]
fn every_shipped_scenario_validates() {
    let (s, i) = compile("scenario", scenario_schema());
    for (path, text) in files("scenarios") {
        if let Err(e) = s.validate(&toml_json(&text), i) {
            panic!("{path} does not validate: {e:#}");
        }
    }
}

#[test]
fn every_shipped_sweep_validates() {
    let (s, i) = compile("sweep", sweep_schema());
    for (path, text) in files("sweeps") {
        if let Err(e) = s.validate(&toml_json(&text), i) {
            panic!("{path} does not validate: {e:#}");
        }
    }
}

#[test]
fn broken_scenarios_do_not_validate() {
    let (s, i) = compile("scenario", scenario_schema());
    let good = "name = \"x\"\nyears = 3\n[landscape]\nn = 10\n[[strategy]]\npreset = \"cascade\"\n";
    assert!(s.validate(&toml_json(good), i).is_ok());
    for (bad, why) in [
        ("name = \"x\"\nyeers = 3\n", "unknown top-level key"),
        ("[landscape]\nn = 100\n", "n above its maximum"),
        ("[landscape]\nn = 0\n", "n below its minimum"),
        ("[landscape]\nn = \"ten\"\n", "wrong type"),
        ("[landscape]\nnn = 10\n", "unknown key in a section"),
        ("[network]\nkind = \"mesh\"\n", "a choice not in the list"),
        ("[[strategy]]\npreset = \"casade\"\n", "an unknown preset"),
        (
            "[[strategy]]\npreset = \"cascade\"\n[[strategy.authority]]\nauthorities = []\n",
            "no authorities",
        ),
        (
            "[[strategy]]\npreset = \"cascade\"\nfidelty = 0.5\n",
            "unknown strategy lever",
        ),
    ] {
        assert!(
            s.validate(&toml_json(bad), i).is_err(),
            "{why} validates:\n{bad}"
        );
    }
}

#[test]
fn broken_sweeps_do_not_validate() {
    let (s, i) = compile("sweep", sweep_schema());
    let good =
        "design = \"lhs\"\nsamples = 8\n[[lever]]\nkey = \"landscape.k\"\nmin = 0\nmax = 4\n";
    assert!(s.validate(&toml_json(good), i).is_ok());
    for (bad, why) in [
        ("design = \"lhs\"\n", "no levers"),
        (
            "design = \"latin\"\n[[lever]]\nkey = \"landscape.k\"\n",
            "unknown design",
        ),
        ("[[lever]]\nlabel = \"k\"\n", "a lever without a key"),
        (
            "[[lever]]\nkey = \"landscape.k\"\ndistribution = \"beta\"\n",
            "unknown distribution",
        ),
        (
            "[record]\nindicators = [\"attainment\"]\n[[lever]]\nkey = \"landscape.k\"\n",
            "unknown indicator",
        ),
        (
            "replicates = 0\n[[lever]]\nkey = \"landscape.k\"\n",
            "no replicates",
        ),
    ] {
        assert!(
            s.validate(&toml_json(bad), i).is_err(),
            "{why} validates:\n{bad}"
        );
    }
}

#[test]
fn schema_descriptions_carry_ranges_units_and_defaults() {
    let s = scenario_schema();
    let n = &s["properties"]["landscape"]["properties"]["n"];
    assert_eq!(n["type"], "integer");
    assert_eq!(n["minimum"], 1);
    assert_eq!(n["maximum"], 64);
    assert_eq!(n["default"], 16);
    assert!(
        n["description"]
            .as_str()
            .unwrap()
            .contains("Unit: dimensions")
    );
    let kind = &s["properties"]["network"]["properties"]["kind"];
    assert!(kind["enum"].as_array().unwrap().iter().any(|k| k == "ring"));
}

#[test]
fn schools_schema_lists_every_column_with_its_type() {
    let s = schools_schema();
    let fields = s["fields"].as_array().unwrap();
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "id",
            "authority",
            "context",
            "staff",
            "cohort",
            "intake",
            "x",
            "y",
            "cluster"
        ]
    );
    for f in fields {
        assert!(["string", "integer", "number"].contains(&f["type"].as_str().unwrap()));
        let required = f["constraints"]["required"].as_bool().unwrap();
        assert_eq!(required, f["name"] == "id");
    }
}
