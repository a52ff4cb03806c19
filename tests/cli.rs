//! The `orglearn` command line, end to end: the built binary runs in a
//! temporary folder; the files it writes, what it prints and its exit
//! status are checked.

mod common_cli;

use common_cli::{Output, Sandbox, cells};
use orglearn::model::NAMES;
use orglearn::params::{
    LANDSCAPE_LEVERS, NETWORK_LEVERS, PRESETS, RUN_LEVERS, SCHOOL_LEVERS, STRATEGY_LEVERS,
    preset_overrides,
};
use orglearn::scenario::builtin;
use std::collections::BTreeMap;
use std::time::Duration;

/// Overrides that keep a run of a built-in scenario tiny.
const TINY: &[&str] = &[
    "--set",
    "years=2",
    "--replicates",
    "2",
    "--set",
    "schools.schools=12",
];

/// Chart stems written by a run (each as PNG and SVG).
const CHARTS: [&str; 5] = ["attainment", "gap", "diversity", "ownership", "capacity"];

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// A small scenario file with three strategies (one name needs CSV quoting),
/// two steps a year and three replicates.
const TRIO: &str = r#"
name = "trio"
description = "three strategies for the output tests"
seed = 7
years = 2
steps_per_year = 2
replicates = 3
burn_in_years = 1

[landscape]
n = 8
k = 2

[schools]
schools = 12

[[strategy]]
preset = "status-quo"

[[strategy]]
preset = "enquiry"
name = "enquiry, slow"
projects_per_year = 1.0

[[strategy]]
preset = "cascade"
"#;

fn args<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    head.iter().chain(tail).copied().collect()
}

/// Parse a CSV file into its header and records.
fn read_csv(sb: &Sandbox, rel: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(sb.join(rel)).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// Panics unless folder `dir` holds every file of `want`.
#[track_caller]
fn has_files(sb: &Sandbox, dir: &str, want: &[&str]) {
    let got = sb.files(dir);
    for w in want {
        assert!(got.iter().any(|g| g == w), "{dir} lacks {w}: {got:?}");
    }
}

/// Whether a file name is a picture (a chart or another drawing).
fn is_picture(name: &str) -> bool {
    [".png", ".svg", ".gif"].iter().any(|e| name.ends_with(e))
}

#[track_caller]
fn no_temporary_files(sb: &Sandbox, dir: &str) {
    let hidden: Vec<String> = sb
        .files(dir)
        .into_iter()
        .filter(|f| f.starts_with('.') || f.contains(".tmp"))
        .collect();
    assert!(hidden.is_empty(), "temporary files left behind: {hidden:?}");
}

// ------------------------------------------------------------------ run

#[test]
fn run_minimal_writes_every_output_file() {
    let sb = Sandbox::new();
    let out = sb
        .run(&args(&["run", "minimal", "--out", "res", "--quiet"], TINY))
        .ok();
    assert_eq!(out.stdout, "", "--quiet prints nothing to stdout");

    let mut expected = vec![
        "indicators.csv".to_string(),
        "manifest.json".to_string(),
        "summary.csv".to_string(),
    ];
    for c in CHARTS {
        expected.push(format!("{c}.png"));
        expected.push(format!("{c}.svg"));
    }
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    has_files(&sb, "res", &expected);
    let files = sb.files("res");
    assert!(
        !files.iter().any(|f| f == "schools.csv"),
        "schools.csv without --per-school"
    );
    no_temporary_files(&sb, "res");

    for c in CHARTS {
        let svg = sb.read(&format!("res/{c}.svg"));
        assert!(svg.contains("<svg"), "{c}.svg is not an SVG");
        assert!(svg.contains("tri-level"), "{c}.svg lacks the strategy");
    }
    // Every PNG written (the charts and any other picture) is a real PNG.
    for f in files.iter().filter(|f| f.ends_with(".png")) {
        let png = sb.bytes(&format!("res/{f}"));
        assert!(png.len() > 1000, "{f} is only {} bytes", png.len());
        assert!(png.starts_with(&PNG_SIGNATURE), "{f} is not a PNG");
    }

    // indicators.csv: one column per indicator; 1 strategy x 2 replicates
    // x (2 years x 3 steps + 1) rows.
    let text = sb.read("res/indicators.csv");
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut want = vec!["strategy", "replicate", "step", "year"];
    want.extend(NAMES);
    assert_eq!(cells(header), want);
    let rows: Vec<Vec<&str>> = lines.map(cells).collect();
    assert_eq!(rows.len(), 2 * 7);
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), want.len(), "row {k}");
        assert_eq!(row[0], "tri-level");
        assert_eq!(row[1], (k / 7).to_string());
        assert_eq!(row[2], (k % 7).to_string());
    }
    let att: f64 = rows[0][4].parse().unwrap();
    assert!((0.0..=100.0).contains(&att), "attainment {att}");

    // summary.csv: long form, per strategy, year (0..=2) and indicator.
    let (h, rows) = read_csv(&sb, "res/summary.csv");
    assert_eq!(
        h,
        [
            "strategy",
            "year",
            "indicator",
            "replicates",
            "mean",
            "sd",
            "mean_ci95_low",
            "mean_ci95_high",
            "runs_p10",
            "runs_p90"
        ]
    );
    assert_eq!(rows.len(), 3 * NAMES.len());
    for r in &rows {
        assert_eq!(r[0], "tri-level");
        // `replicates` counts the replicates where the indicator is defined
        // (e.g. sustainability is empty without a withdrawal).
        match r[3].as_str() {
            "2" => assert!(r[4].parse::<f64>().is_ok(), "{r:?}"),
            "0" => assert_eq!(r[4..], ["", "", "", "", "", ""], "{r:?}"),
            other => panic!("replicates = {other} in {r:?}"),
        }
        if r[2] == "attainment_mean" || r[2] == "quality_mean" {
            assert_eq!(r[3], "2", "{r:?}");
        }
    }
    let first = &rows[0];
    assert_eq!((first[1].as_str(), first[2].as_str()), ("0", NAMES[0]));
    let v: Vec<f64> = first[4..].iter().map(|s| s.parse().unwrap()).collect();
    assert!(
        v[2] <= v[0] && v[0] <= v[3],
        "interval around the mean: {v:?}"
    );
    assert!(v[4] <= v[5], "spread across runs: {v:?}");
}

#[test]
fn manifest_holds_the_resolved_scenario_and_run_facts() {
    let sb = Sandbox::new();
    sb.run(&args(
        &["run", "minimal", "--out", "res", "--quiet", "--seed", "99"],
        TINY,
    ))
    .ok();
    let text = sb.read("res/manifest.json");
    let m: serde_json::Value = serde_json::from_str(&text).expect("manifest.json is JSON");

    assert_eq!(m["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["seed"], 99);
    let sc = &m["scenario"];
    assert_eq!(sc["source"], "built-in:minimal");
    assert_eq!(sc["run"]["seed"], 99);
    assert_eq!(sc["run"]["years"], 2);
    assert_eq!(sc["run"]["replicates"], 2);
    assert_eq!(sc["schools"]["schools"], 12);
    assert_eq!(sc["landscape"]["n"], 10);
    for (section, table) in [
        ("run", RUN_LEVERS),
        ("landscape", LANDSCAPE_LEVERS),
        ("schools", SCHOOL_LEVERS),
        ("network", NETWORK_LEVERS),
        ("base", STRATEGY_LEVERS),
    ] {
        for spec in table {
            assert!(
                !sc[section][spec.key].is_null(),
                "manifest lacks {section}.{}",
                spec.key
            );
        }
    }
    let strategies = sc["strategies"].as_array().unwrap();
    assert_eq!(strategies.len(), 1);
    assert_eq!(strategies[0]["name"], "tri-level");
    assert_eq!(strategies[0]["preset"], "tri-level");
    for spec in STRATEGY_LEVERS {
        assert!(
            !strategies[0]["levers"][spec.key].is_null(),
            "manifest lacks strategy lever {}",
            spec.key
        );
    }
    assert_eq!(strategies[0]["levers"]["upward"], true);

    let cl: Vec<&str> = m["command_line"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(cl.windows(2).any(|w| w == ["--seed", "99"]), "{cl:?}");
    assert!(cl.contains(&"minimal"), "{cl:?}");

    let start = m["start_time"].as_str().unwrap();
    let b = start.as_bytes();
    assert!(
        start.len() == 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'Z'
            && start.starts_with("20"),
        "start_time is not RFC 3339 UTC: {start}"
    );
    let wall = m["wall_time_seconds"].as_f64().unwrap();
    assert!((0.0..600.0).contains(&wall), "{wall}");
    assert!(m["threads"].as_u64().unwrap() >= 1);
    let names: Vec<&str> = m["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names, NAMES);

    // Landscape maxima: exact for n = 10, one per context, per replicate.
    assert_eq!(m["landscape_maxima"], "exact");
    let worlds = m["worlds"].as_array().unwrap();
    assert_eq!(worlds.len(), 2);
    for (r, w) in worlds.iter().enumerate() {
        assert_eq!(w["replicate"], r);
        assert_eq!(w["maxima_exact"], true);
        assert_eq!(w["schools"], 12);
        let maxima = w["landscape_maxima"].as_array().unwrap();
        assert_eq!(
            maxima.len(),
            sc["landscape"]["contexts"].as_u64().unwrap() as usize
        );
        assert!(maxima.iter().all(|v| v.as_f64().unwrap() > 0.0));
    }
}

#[test]
fn landscape_maxima_are_marked_estimated_above_n_20() {
    let sb = Sandbox::new();
    sb.run(&args(
        &[
            "run",
            "minimal",
            "--out",
            "res",
            "--quiet",
            "--no-charts",
            "--set",
            "landscape.n=24",
            "--replicates",
            "1",
        ],
        &["--set", "years=1", "--set", "schools.schools=6"],
    ))
    .ok();
    let m: serde_json::Value = serde_json::from_str(&sb.read("res/manifest.json")).unwrap();
    let s = m["landscape_maxima"].as_str().unwrap();
    assert!(s.contains("estimated"), "{s}");
    assert_eq!(m["worlds"][0]["maxima_exact"], false);
}

#[test]
fn row_counts_follow_strategies_replicates_and_steps() {
    let sb = Sandbox::new();
    sb.write("trio.toml", TRIO);
    sb.run(&[
        "run",
        "trio.toml",
        "--out",
        "res",
        "--quiet",
        "--per-school",
    ])
    .ok();
    let names = ["status-quo", "enquiry, slow", "cascade"];
    let (reps, spy, years, schools) = (3usize, 2usize, 2usize, 12usize);
    let steps = spy * years;

    let (h, rows) = read_csv(&sb, "res/indicators.csv");
    assert_eq!(h.len(), 4 + NAMES.len());
    assert_eq!(rows.len(), names.len() * reps * (steps + 1));
    let mut count: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in &rows {
        assert_eq!(r.len(), h.len());
        *count.entry((r[0].clone(), r[1].clone())).or_default() += 1;
        let step: f64 = r[2].parse().unwrap();
        let year: f64 = r[3].parse().unwrap();
        assert_eq!(year, step / spy as f64, "year column of {r:?}");
    }
    for n in names {
        for rep in 0..reps {
            assert_eq!(
                count[&(n.to_string(), rep.to_string())],
                steps + 1,
                "{n} {rep}"
            );
        }
    }

    let (_, rows) = read_csv(&sb, "res/summary.csv");
    assert_eq!(rows.len(), names.len() * (years + 1) * NAMES.len());
    for r in &rows {
        assert!(r[3] == "3" || r[3] == "0", "{r:?}");
        if r[2] == "attainment_mean" {
            assert_eq!(r[3], "3", "{r:?}");
        }
    }

    let (h, rows) = read_csv(&sb, "res/schools.csv");
    assert_eq!(
        h,
        [
            "strategy",
            "replicate",
            "step",
            "school",
            "attainment",
            "quality",
            "capacity",
            "ownership"
        ]
    );
    assert_eq!(rows.len(), names.len() * reps * (steps + 1) * schools);
    for r in &rows {
        assert!(names.contains(&r[0].as_str()), "{r:?}");
        let school: usize = r[3].parse().unwrap();
        assert!(school < schools);
        let q: f64 = r[5].parse().unwrap();
        assert!((0.0..=1.0).contains(&q), "quality {q}");
    }
    no_temporary_files(&sb, "res");
}

#[test]
fn per_school_and_no_charts() {
    let sb = Sandbox::new();
    sb.run(&args(
        &[
            "run",
            "minimal",
            "--out",
            "res",
            "--quiet",
            "--per-school",
            "--no-charts",
        ],
        TINY,
    ))
    .ok();
    has_files(
        &sb,
        "res",
        &[
            "indicators.csv",
            "manifest.json",
            "schools.csv",
            "summary.csv",
        ],
    );
    let pictures: Vec<String> = sb
        .files("res")
        .into_iter()
        .filter(|f| is_picture(f))
        .collect();
    assert!(pictures.is_empty(), "--no-charts drew {pictures:?}");
    no_temporary_files(&sb, "res");
    let text = sb.read("res/schools.csv");
    assert_eq!(
        text.lines().next().unwrap(),
        "strategy,replicate,step,school,attainment,quality,capacity,ownership"
    );
    assert_eq!(text.lines().count(), 1 + 2 * 7 * 12);
}

#[test]
fn default_output_folder_is_out_slash_name() {
    let sb = Sandbox::new();
    sb.run(&args(&["run", "minimal", "--quiet", "--no-charts"], TINY))
        .ok();
    has_files(
        &sb,
        "out/minimal",
        &["indicators.csv", "manifest.json", "summary.csv"],
    );
}

#[test]
fn without_quiet_the_summary_table_is_printed() {
    let sb = Sandbox::new();
    sb.write("trio.toml", TRIO);
    let out = sb
        .run(&["run", "trio.toml", "--out", "res", "--no-charts"])
        .ok();
    out.stdout_has(&[
        "trio",
        "strategy",
        "attainment y0",
        "attainment y2",
        "gap y2",
        "status-quo",
        "enquiry, slow",
        "cascade",
        "indicators.csv",
    ]);
    // One table line per strategy, each starting with its name.
    for n in ["status-quo", "enquiry, slow", "cascade"] {
        assert!(
            out.stdout.lines().any(|l| l.starts_with(n)),
            "no table row for {n}:\n{}",
            out.stdout
        );
    }
}

#[test]
fn overwriting_an_existing_output_folder_works() {
    let sb = Sandbox::new();
    let a = args(
        &["run", "minimal", "--out", "res", "--quiet", "--no-charts"],
        TINY,
    );
    sb.run(&a).ok();
    let first = sb.read("res/indicators.csv");
    sb.run(&a).ok();
    assert_eq!(sb.read("res/indicators.csv"), first);
    no_temporary_files(&sb, "res");
}

// ------------------------------------------------------------ bad input

/// Run `orglearn ARGS` (after writing `files`) and check it fails, leaves
/// the output folder `res` absent or empty, and says every needle on stderr.
#[track_caller]
fn refused(files: &[(&str, &str)], argv: &[&str], needles: &[&str]) -> Output {
    let sb = Sandbox::new();
    for (name, text) in files {
        sb.write(name, text);
    }
    let out = sb.run(argv).fails();
    out.stderr_has(needles);
    assert!(
        sb.files("res").is_empty(),
        "`{}` wrote {:?} although it failed",
        out.line,
        sb.files("res")
    );
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
    out
}

fn run_bad(file: &str) -> Vec<&str> {
    vec!["run", file, "--out", "res", "--quiet"]
}

#[test]
fn unknown_key_is_refused_with_a_suggestion() {
    refused(
        &[("bad.toml", "name = \"x\"\nyeers = 3\n")],
        &run_bad("bad.toml"),
        &["bad.toml:2:1:", "key `yeers`", "did you mean \"years\"?"],
    );
    refused(
        &[(
            "bad.toml",
            "[[strategy]]\npreset = \"cascade\"\npresure = 0.5\n",
        )],
        &run_bad("bad.toml"),
        &[
            "bad.toml:3:1:",
            "key `strategy.cascade.presure`",
            "did you mean \"pressure\"?",
        ],
    );
}

#[test]
fn wrong_type_is_refused_saying_what_is_allowed() {
    refused(
        &[("bad.toml", "name = \"x\"\nyears = \"three\"\n")],
        &run_bad("bad.toml"),
        &[
            "bad.toml:2:9:",
            "key `years`",
            "expected a whole number from 1 to 200",
            "found a string",
        ],
    );
}

#[test]
fn out_of_range_value_is_refused_with_the_range() {
    refused(
        &[("bad.toml", "[network]\np_within = 1.5\n")],
        &run_bad("bad.toml"),
        &[
            "bad.toml:2:12:",
            "key `network.p_within`",
            "1.5 is out of range",
            "from 0 to 1",
        ],
    );
}

#[test]
fn lever_of_a_switched_off_mechanism_is_refused() {
    refused(
        &[(
            "bad.toml",
            "name = \"x\"\n[[strategy]]\npreset = \"enquiry\"\nfidelity = 0.5\n",
        )],
        &run_bad("bad.toml"),
        &[
            "bad.toml:4:",
            "key `strategy.enquiry.fidelity`",
            "cascade",
            "switches off",
        ],
    );
}

#[test]
fn unknown_preset_is_refused_listing_the_presets() {
    let mut needles = vec!["bad.toml:2:10:", "unknown preset \"cascad\""];
    needles.extend(PRESETS.iter().map(|(p, _)| *p));
    refused(
        &[("bad.toml", "[[strategy]]\npreset = \"cascad\"\n")],
        &run_bad("bad.toml"),
        &needles,
    );
}

#[test]
fn toml_syntax_error_is_refused_with_its_position() {
    refused(
        &[("bad.toml", "name = \"x\"\nyears = \n")],
        &run_bad("bad.toml"),
        &["bad.toml:2:9:", "invalid TOML"],
    );
    refused(
        &[("bad.toml", "[landscape\nn = 8\n")],
        &run_bad("bad.toml"),
        &["bad.toml:1:", "invalid TOML"],
    );
}

#[test]
fn set_with_an_unknown_key_is_refused() {
    refused(
        &[],
        &[
            "run",
            "minimal",
            "--out",
            "res",
            "--set",
            "levers.fidelty=0.5",
        ],
        &[
            "--set #1 (levers.fidelty=0.5)",
            "key `levers.fidelty`",
            "did you mean \"fidelity\"?",
        ],
    );
    refused(
        &[],
        &["run", "minimal", "--out", "res", "--set", "years"],
        &["--set #1 (years)", "KEY=VALUE"],
    );
    refused(
        &[],
        &[
            "run",
            "minimal",
            "--out",
            "res",
            "--set",
            "strategy.nosuch.pressure=0.4",
        ],
        &["no strategy named \"nosuch\"", "\"tri-level\""],
    );
}

#[test]
fn set_network_kind_lists_the_allowed_kinds() {
    refused(
        &[],
        &[
            "run",
            "minimal",
            "--out",
            "res",
            "--set",
            "network.kind=rng",
        ],
        &[
            "--set #1 (network.kind=rng)",
            "key `network.kind`",
            "\"rng\" is not allowed",
            "\"clusters\"",
            "\"small-world\"",
            "\"ring\"",
            "\"file\"",
        ],
    );
}

#[test]
fn unknown_scenario_name_lists_the_builtins() {
    let mut needles = vec!["no-such-scenario"];
    needles.extend(builtin::builtins().iter().map(|(n, _)| *n));
    refused(&[], &run_bad("no-such-scenario"), &needles);
}

#[test]
fn zero_threads_is_refused() {
    refused(
        &[],
        &[
            "run",
            "minimal",
            "--out",
            "res",
            "--quiet",
            "--threads",
            "0",
        ],
        &["--threads", "at least 1"],
    );
}

#[test]
fn zero_replicates_is_refused() {
    refused(
        &[],
        &[
            "run",
            "minimal",
            "--out",
            "res",
            "--quiet",
            "--replicates",
            "0",
        ],
        &["--replicates", "0 is not in 1..=1000000"],
    );
}

#[test]
fn bad_row_of_a_schools_file_names_file_and_line() {
    let scenario = "name = \"x\"\nyears = 1\nreplicates = 1\nburn_in_years = 0\n\
                    [landscape]\nn = 8\nk = 2\n[schools]\nfile = \"schools.csv\"\n\
                    [[strategy]]\npreset = \"enquiry\"\n";
    let out = refused(
        &[
            ("in/bad.toml", scenario),
            ("in/schools.csv", "id,staff\na,30\nb,zero\nc,20\n"),
        ],
        &run_bad("in/bad.toml"),
        &[
            "schools.csv line 3",
            "column \"staff\"",
            "\"zero\"",
            "from 1 to 10000",
        ],
    );
    assert!(out.stderr.contains("in/schools.csv"), "{}", out.stderr);
    refused(
        &[("bad.toml", scenario), ("schools.csv", "id,staf\na,30\n")],
        &run_bad("bad.toml"),
        &["schools.csv line 1", "unknown column \"staf\"", "staff"],
    );
}

#[test]
fn bad_row_of_an_edge_file_names_file_and_line() {
    refused(
        &[
            (
                "bad.toml",
                "years = 1\nreplicates = 1\n[schools]\nschools = 6\n\
                 [network]\nkind = \"file\"\nfile = \"edges.csv\"\n\
                 [[strategy]]\npreset = \"network\"\n",
            ),
            ("edges.csv", "from,to\n0,1\n1,x\n"),
        ],
        &run_bad("bad.toml"),
        &["edges.csv line 3", "column \"to\"", "\"x\"", "0 to 5"],
    );
}

#[test]
fn missing_schools_file_is_refused() {
    refused(
        &[(
            "bad.toml",
            "years = 1\nreplicates = 1\n[schools]\nfile = \"nowhere.csv\"\n",
        )],
        &run_bad("bad.toml"),
        &["nowhere.csv"],
    );
}

// ----------------------------------------------------------------- check

#[test]
fn check_accepts_a_builtin_and_refuses_a_bad_file() {
    let sb = Sandbox::new();
    let out = sb.run(&["check", "minimal"]).ok();
    out.stdout_has(&["built-in:minimal", "ok", "tri-level"]);

    sb.write("trio.toml", TRIO);
    sb.run(&["check", "trio.toml"]).ok().stdout_has(&[
        "trio.toml",
        "ok",
        "3 strategies",
        "enquiry, slow",
    ]);
    sb.run(&["check", "minimal", "--set", "years=4"])
        .ok()
        .stdout_has(&["4 years"]);

    sb.write("bad.toml", "name = \"x\"\nyears = 0\n");
    let out = sb.run(&["check", "bad.toml"]).fails();
    out.stderr_has(&["bad.toml:2:9:", "key `years`", "out of range"]);
    assert!(!out.stdout.contains("ok"), "{}", out.stdout);
    let out = sb.run(&["check", "minimal", "--set", "network.kind=rng"]);
    out.fails().stderr_has(&["network.kind"]);
    // check writes nothing.
    assert_eq!(sb.files(""), ["bad.toml", "trio.toml"]);
}

#[test]
fn every_problem_of_a_file_is_reported_on_its_own_line() {
    let out = refused(
        &[(
            "bad.toml",
            "yeers = 3\n[landscape]\nk = \"two\"\n[network]\np_within = 2\n",
        )],
        &["check", "bad.toml"],
        &["bad.toml:1:1:", "bad.toml:3:5:", "bad.toml:5:12:"],
    );
    let lines = out
        .stderr
        .lines()
        .filter(|l| l.contains("bad.toml:"))
        .count();
    assert_eq!(lines, 3, "{}", out.stderr);
}

// -------------------------------------------------------- list, levers, help

#[test]
fn list_shows_builtins_with_descriptions_and_the_presets() {
    let out = Sandbox::new().run(&["list"]).ok();
    let b = builtin::builtins();
    let names: Vec<&str> = b.iter().map(|(n, _)| *n).collect();
    assert!(names.contains(&"default") && names.contains(&"minimal"));
    for (name, description) in &b {
        assert!(!description.is_empty(), "{name} has no description");
        assert!(
            out.stdout
                .lines()
                .any(|l| l.contains(name) && l.contains(description)),
            "list lacks {name} with its description:\n{}",
            out.stdout
        );
    }
    assert_eq!(PRESETS.len(), 6);
    for (preset, description) in PRESETS {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.contains(preset) && l.contains(description)),
            "list lacks preset {preset}:\n{}",
            out.stdout
        );
    }
}

#[test]
fn levers_mentions_every_key() {
    let out = Sandbox::new().run(&["levers"]).ok();
    let text = &out.stdout;
    for (section, table) in [
        ("", RUN_LEVERS),
        ("landscape.", LANDSCAPE_LEVERS),
        ("schools.", SCHOOL_LEVERS),
        ("network.", NETWORK_LEVERS),
        ("", STRATEGY_LEVERS),
    ] {
        for spec in table {
            let key = format!("{section}{}", spec.key);
            assert!(
                text.lines().any(|l| l.trim_start().starts_with(&key)),
                "levers lacks {key}"
            );
            assert!(text.contains(spec.doc), "levers lacks the doc of {key}");
        }
    }
    for (preset, _) in PRESETS {
        for (key, _) in preset_overrides(preset) {
            assert!(text.contains(key), "levers lacks {key} of {preset}");
        }
    }
    for key in ["fidelity", "pressure", "legitimacy", "design", "adapt"] {
        assert!(text.contains(key), "levers lacks {key}");
    }
}

#[test]
fn levers_markdown_is_tables() {
    let out = Sandbox::new().run(&["levers", "--markdown"]).ok();
    let text = &out.stdout;
    let headers = text
        .lines()
        .filter(|l| *l == "| key | default | allowed | unit | meaning | source |")
        .count();
    assert!(headers >= 5, "one table per section:\n{text}");
    assert!(text.contains("|---|---|---|---|---|---|"));
    assert!(text.contains("| `fidelity` |"));
    assert!(text.contains("| `landscape.n` |"));
    assert!(text.contains("| `network.kind` |"));
    // Every table row has the header's six columns.
    for l in text
        .lines()
        .filter(|l| l.starts_with("| `") && l.contains(" | "))
    {
        let unescaped = l.replace("\\|", "");
        let columns = unescaped.matches('|').count() - 1;
        assert!(
            columns == 6 || columns == 2,
            "row of {columns} columns: {l}"
        );
    }
    // The presets table names every preset and what it sets.
    assert!(text.contains("| preset | sets |"));
    for (preset, _) in PRESETS {
        assert!(
            text.contains(&format!("| `{preset}` |")),
            "no row for {preset}"
        );
    }
    assert!(text.contains("`pressure = 0.8`"), "{text}");
}

#[test]
fn help_shows_examples() {
    let sb = Sandbox::new();
    for argv in [
        &["--help"][..],
        &["run", "--help"][..],
        &["help", "run"][..],
    ] {
        let out = sb.run(argv).ok();
        out.stdout_has(&["Usage:", "Examples:", "orglearn run", "--set"]);
    }
    sb.run(&["run", "--help"]).ok().stdout_has(&[
        "--out",
        "--replicates",
        "--seed",
        "--threads",
        "--per-school",
        "--quiet",
        "--no-charts",
    ]);
    sb.run(&["--version"])
        .ok()
        .stdout_has(&[env!("CARGO_PKG_VERSION")]);
    let out = sb.run(&["frobnicate"]).fails();
    out.stderr_has(&["frobnicate"]);
    let out = sb.run(&["run", "--bogus-flag"]).fails();
    out.stderr_has(&["--bogus-flag"]);
}

// ---------------------------------------------------------------- memory

/// Whether this system reports the memory available (the refusal needs it).
fn memory_is_known() -> bool {
    std::fs::read_to_string("/proc/meminfo").is_ok_and(|s| s.contains("MemAvailable:"))
}

#[test]
fn a_scenario_far_too_large_for_memory_is_refused_up_front() {
    if !memory_is_known() {
        eprintln!("skipped: /proc/meminfo has no MemAvailable");
        return;
    }
    // 100 authorities x 1,000,000 schools x 1,000 teachers: petabytes.
    let huge = [
        "--set",
        "schools.authorities=100",
        "--set",
        "schools.schools=1000000",
        "--set",
        "schools.staff_mean=1000",
    ];
    for head in [
        &["run", "minimal", "--out", "res", "--quiet"][..],
        &["check", "minimal"][..],
    ] {
        let out = refused(
            &[],
            &args(head, &huge),
            &[
                "needs about",
                "GB of memory",
                "is available",
                "reduce schools.schools",
                "--threads",
            ],
        );
        assert!(
            out.elapsed < Duration::from_secs(20),
            "`{}` took {:?}: it must refuse before building anything",
            out.line,
            out.elapsed
        );
    }
}
