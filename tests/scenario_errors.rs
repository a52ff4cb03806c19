//! Scenario files and `--set` through the library API: every error case
//! names the file, line, column and key and says what is allowed; valid
//! files resolve as documented.

use orglearn::params::{Levers, PRESETS};
use orglearn::scenario::{Problem, Scenario, ScenarioError, builtin};

const FILE: &str = "scen.toml";

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::from_str(text, FILE, None)
}

fn ok(text: &str) -> Scenario {
    parse(text).unwrap_or_else(|e| panic!("unexpected error:\n{e}"))
}

fn err(text: &str) -> ScenarioError {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

/// The only problem of a text that has exactly one.
fn one(text: &str) -> Problem {
    let e = err(text);
    assert_eq!(e.problems().len(), 1, "expected one problem:\n{e}");
    e.problems()[0].clone()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn with_sets(text: &str, sets: &[&str]) -> Result<Scenario, ScenarioError> {
    // An empty scenario is refused, so a test that only needs the defaults names itself.
    let text = if text.trim().is_empty() {
        "name = \"t\"\n"
    } else {
        text
    };
    Scenario::from_str_with_sets(text, FILE, None, &strings(sets))
}

fn set_err(text: &str, sets: &[&str]) -> ScenarioError {
    match with_sets(text, sets) {
        Ok(_) => panic!("expected an error for --set {sets:?}"),
        Err(e) => e,
    }
}

fn at(p: &Problem, line: usize, column: usize, key: &str) {
    assert_eq!(p.origin, FILE, "{p}");
    assert_eq!((p.line, p.column), (Some(line), Some(column)), "{p}");
    assert_eq!(p.key.as_deref(), Some(key), "{p}");
}

fn preset_of(name: &str) -> Levers {
    orglearn::params::preset(name).unwrap()
}

fn strategy<'a>(sc: &'a Scenario, name: &str) -> &'a Levers {
    &sc.strategies
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no strategy {name}"))
        .levers
}

// ---------------------------------------------------------------- syntax

#[test]
fn toml_syntax_error_names_file_line_and_column() {
    let e = err("name = \"x\"\nyears = \n");
    let p = &e.problems()[0];
    assert_eq!((p.line, p.column), (Some(2), Some(9)), "{p}");
    let s = e.to_string();
    assert!(s.starts_with("scen.toml:2:9: invalid TOML: "), "{s}");
}

#[test]
fn every_toml_syntax_error_is_reported() {
    let e = err("a = \nb = 1\n[levers]\n[levers]\n");
    assert_eq!(e.problems().len(), 2, "{e}");
    assert!(
        e.to_string()
            .contains("scen.toml:4:2: invalid TOML: duplicate key"),
        "{e}"
    );
}

// ---------------------------------------------------------------- unknown keys

#[test]
fn unknown_key_in_levers_suggests_the_nearest_key() {
    let p = one("[levers]\nsocialization = 0.3\n");
    at(&p, 2, 1, "levers.socialization");
    let s = p.to_string();
    assert!(s.contains("unknown key"), "{s}");
    assert!(s.contains("did you mean \"socialisation\"?"), "{s}");
    assert!(s.contains("see `orglearn levers`"), "{s}");
}

#[test]
fn unknown_top_level_key_suggests_the_nearest_key() {
    let p = one("seed = 1\nyeras = 3\n");
    at(&p, 2, 1, "yeras");
    assert!(p.message.contains("unknown top-level key"), "{p}");
    assert!(p.message.contains("did you mean \"years\"?"), "{p}");
}

#[test]
fn unknown_section_suggests_the_nearest_section() {
    let p = one("[landscpe]\nn = 12\n");
    at(&p, 1, 2, "landscpe");
    assert!(p.message.contains("unknown section `landscpe`"), "{p}");
    assert!(p.message.contains("did you mean \"landscape\"?"), "{p}");
}

#[test]
fn unknown_key_in_a_strategy_table() {
    let p = one("[[strategy]]\npreset = \"cascade\"\nfidelty = 0.9\n");
    at(&p, 3, 1, "strategy.cascade.fidelty");
    assert!(p.message.contains("did you mean \"fidelity\"?"), "{p}");
    assert!(p.message.contains("orglearn levers"), "{p}");
}

#[test]
fn unknown_key_with_no_near_key_gets_no_suggestion() {
    let p = one("[network]\nxyzzyplugh = 1\n");
    assert!(p.message.contains("unknown key in [network]"), "{p}");
    assert!(!p.message.contains("did you mean"), "{p}");
}

#[test]
fn key_in_the_wrong_section_says_where_it_belongs() {
    let p = one("[levers]\nn = 12\n");
    assert!(
        p.message.contains("belongs in [landscape] (landscape.n)"),
        "{p}"
    );
    let p = one("[landscape]\nyears = 3\n");
    assert!(p.message.contains("`years` is a top-level key"), "{p}");
    let p = one("pressure = 0.5\n");
    assert!(p.message.contains("levers.pressure"), "{p}");
}

#[test]
fn section_written_as_a_value_or_strategy_as_a_single_table() {
    let p = one("landscape = 4\n");
    at(&p, 1, 13, "landscape");
    assert!(
        p.message
            .contains("expected a table ([landscape]), found an integer"),
        "{p}"
    );
    let p = one("[strategy]\npreset = \"cascade\"\n");
    assert!(p.message.contains("[[strategy]]"), "{p}");
}

// ---------------------------------------------------------------- types and ranges

#[test]
fn wrong_type_points_at_the_value_and_says_what_is_allowed() {
    let p = one("years = \"ten\"\n");
    at(&p, 1, 9, "years");
    assert!(
        p.message.contains("expected a whole number from 1 to 200"),
        "{p}"
    );
    assert!(p.message.contains("found a string"), "{p}");
}

#[test]
fn out_of_range_points_at_the_value() {
    let p = one("[levers]\nfidelity = 1.5\n");
    at(&p, 2, 12, "levers.fidelity");
    assert_eq!(
        p.to_string(),
        "scen.toml:2:12: key `levers.fidelity`: 1.5 is out of range: expected a number from 0 to 1"
    );
}

#[test]
fn choice_lists_the_allowed_values() {
    let p = one("[network]\nkind = \"rng\"\n");
    at(&p, 2, 8, "network.kind");
    assert!(p.message.contains("\"clusters\""), "{p}");
    assert!(p.message.contains("\"small-world\""), "{p}");
}

#[test]
fn datetimes_tables_and_arrays_where_a_value_is_expected() {
    let p = one("[levers]\npressure = 1979-05-27\n");
    assert!(
        p.message
            .contains("expected a number from 0 to 1, found a date/time"),
        "{p}"
    );
    let p = one("[levers]\npressure = { high = 1 }\n");
    at(&p, 2, 12, "levers.pressure");
    assert!(p.message.contains("found a table"), "{p}");
    let p = one("[levers]\npressure = [\"a\"]\n");
    assert!(p.message.contains("found an array holding a string"), "{p}");
    let p = one("[levers]\npressure = [1, 2]\n");
    assert!(p.message.contains("found a list"), "{p}");
    let p = one("[landscape]\nn = 0x7FFFFFFFFFFFFFFFFF\n");
    assert!(p.message.contains("too large"), "{p}");
}

#[test]
fn integers_respect_their_radix() {
    let sc = ok("seed = 0xFF\n[landscape]\nn = 0o20\nk = 0b11\n");
    assert_eq!(sc.run.seed, 255);
    assert_eq!((sc.landscape.n, sc.landscape.k), (16, 3));
}

// ---------------------------------------------------------------- mechanisms

#[test]
fn lever_of_a_switched_off_mechanism_is_an_error() {
    let p = one("[[strategy]]\npreset = \"enquiry\"\nfidelity = 0.9\n");
    at(&p, 3, 1, "strategy.enquiry.fidelity");
    assert_eq!(
        p.message,
        "fidelity belongs to the cascade mechanism, which strategy \"enquiry\" switches off; \
         set cascade = true in this table or remove the key"
    );
}

#[test]
fn switching_the_mechanism_on_in_the_table_allows_its_levers() {
    let sc = ok("[[strategy]]\npreset = \"enquiry\"\ncascade = true\nfidelity = 0.9\n");
    let l = &sc.strategies[0].levers;
    assert!(l.cascade && l.enquiry);
    assert_eq!(l.fidelity, 0.9);
    assert_eq!(sc.strategies[0].overrides, ["cascade", "fidelity"]);
}

#[test]
fn switching_a_mechanism_off_makes_its_levers_errors() {
    let p = one("[[strategy]]\npreset = \"cascade\"\ncascade = false\ntiers = 5\n");
    assert!(
        p.message
            .contains("which strategy \"cascade\" switches off"),
        "{p}"
    );
}

#[test]
fn levers_table_is_exempt_from_the_mechanism_rule() {
    let sc = ok("[levers]\nfidelity = 0.9\nupward_learning = 0.2\n");
    assert_eq!(sc.base.fidelity, 0.9);
    assert_eq!(strategy(&sc, "cascade").fidelity, 0.9);
    assert_eq!(strategy(&sc, "status-quo").fidelity, 0.9);
}

#[test]
fn upward_learning_needs_a_learned_cascade() {
    let p =
        one("[[strategy]]\npreset = \"tri-level\"\ndesign = \"expert\"\nupward_learning = 0.1\n");
    at(&p, 4, 1, "strategy.tri-level.upward_learning");
    assert!(
        p.message
            .contains("only acts with cascade = true and design = \"learned\""),
        "{p}"
    );
    let sc = ok("[[strategy]]\npreset = \"tri-level\"\nupward_learning = 0.1\n");
    assert_eq!(sc.strategies[0].levers.upward_learning, 0.1);
    // Upward on without a cascade.
    let p = one("[[strategy]]\npreset = \"enquiry\"\nupward = true\nupward_learning = 0.1\n");
    assert!(p.message.contains("design = \"learned\""), "{p}");
}

// ---------------------------------------------------------------- presets and names

#[test]
fn missing_preset_points_at_the_table_and_lists_the_presets() {
    let p = one("years = 5\n[[strategy]]\nname = \"mine\"\n");
    at(&p, 2, 1, "strategy.mine.preset");
    assert!(p.message.contains("missing `preset`"), "{p}");
    for (name, _) in PRESETS {
        assert!(p.message.contains(&format!("\"{name}\"")), "{p}");
    }
}

#[test]
fn unknown_preset_lists_the_six() {
    let p = one("[[strategy]]\npreset = \"magic\"\n");
    at(&p, 2, 10, "strategy.magic.preset");
    assert!(p.message.contains("unknown preset \"magic\""), "{p}");
    for (name, _) in PRESETS {
        assert!(p.message.contains(&format!("\"{name}\"")), "{p}");
    }
    let p = one("[[strategy]]\npreset = 3\n");
    assert!(p.message.contains("found an integer"), "{p}");
}

#[test]
fn duplicate_strategy_names_name_both_lines() {
    let text = "[[strategy]]\npreset = \"cascade\"\n\n[[strategy]]\npreset = \"enquiry\"\nname = \"cascade\"\n";
    let p = one(text);
    at(&p, 6, 8, "strategy.cascade.name");
    assert!(p.message.contains("line 2"), "{p}");
    assert!(p.message.contains("line 6"), "{p}");
    assert!(p.message.contains("distinct `name`"), "{p}");
    let p = one("[[strategy]]\npreset = \"cascade\"\n[[strategy]]\npreset = \"cascade\"\n");
    at(&p, 4, 10, "strategy.cascade.name");
}

#[test]
fn empty_name_is_an_error() {
    let p = one("[[strategy]]\npreset = \"cascade\"\nname = \"\"\n");
    assert!(p.message.contains("must not be empty"), "{p}");
}

// ---------------------------------------------------------------- cross-field

#[test]
fn k_must_be_less_than_n_pointing_at_the_later_key() {
    let p = one("[landscape]\nn = 8\nk = 8\n");
    at(&p, 3, 1, "landscape.k");
    assert!(p.message.contains("expected k < n (n = 8)"), "{p}");
    let p = one("[landscape]\nk = 8\nn = 8\n");
    at(&p, 3, 1, "landscape.n");
    assert!(p.message.contains("expected n > k"), "{p}");
    // Only n set: the default k = 3 makes n = 3 too small.
    let p = one("[landscape]\nn = 3\n[[strategy]]\npreset = \"status-quo\"\n");
    at(&p, 2, 1, "landscape.n");
}

#[test]
fn large_n_is_allowed_and_k_is_bounded_by_the_landscape() {
    let sc = ok("[landscape]\nn = 24\nk = 5\n");
    assert_eq!(sc.landscape.n, 24);
    let p = one("[landscape]\nn = 64\nk = 40\n");
    assert!(p.message.contains("k <= 30"), "{p}");
}

#[test]
fn change_size_focus_size_and_n() {
    let p = one("[[strategy]]\npreset = \"enquiry\"\nfocus_size = 2\nchange_size = 3\n");
    at(&p, 4, 1, "strategy.enquiry.change_size");
    assert!(
        p.message.contains("expected change_size <= focus_size"),
        "{p}"
    );
    let p = one("[[strategy]]\npreset = \"enquiry\"\nchange_size = 3\nfocus_size = 2\n");
    at(&p, 4, 1, "strategy.enquiry.focus_size");
    assert!(
        p.message.contains("expected focus_size >= change_size"),
        "{p}"
    );
    let p = one("[[strategy]]\npreset = \"enquiry\"\nfocus_size = 20\n");
    assert!(p.message.contains("expected focus_size <= n"), "{p}");
    assert!(p.message.contains("landscape.n = 16"), "{p}");
    // Not checked where enquiry is off ([levers] is a base).
    ok("[levers]\nfocus_size = 20\n[[strategy]]\npreset = \"cascade\"\n");
}

#[test]
fn cross_field_problem_from_levers_names_the_strategies_once() {
    let e = err("[levers]\nfocus_size = 20\n");
    assert_eq!(e.problems().len(), 1, "{e}");
    let p = &e.problems()[0];
    at(p, 2, 1, "levers.focus_size");
    assert!(
        p.message
            .contains("(in strategies \"enquiry\", \"networked-enquiry\", \"tri-level\")"),
        "{p}"
    );
}

#[test]
fn small_n_points_at_n_when_n_comes_later() {
    let text = "[[strategy]]\npreset = \"cascade\"\ninitiative_size = 6\n";
    let e = set_err(text, &["landscape.n=5", "landscape.k=1"]);
    let p = &e.problems()[0];
    assert_eq!(p.origin, "--set #1 (landscape.n=5)");
    assert!(p.message.contains("expected n >= initiative_size"), "{p}");
    let p =
        one("[landscape]\nn = 5\nk = 1\n[[strategy]]\npreset = \"cascade\"\ninitiative_size = 6\n");
    at(&p, 6, 1, "strategy.cascade.initiative_size");
    assert!(p.message.contains("expected initiative_size <= n"), "{p}");
}

#[test]
fn schedule_years_must_be_within_the_run() {
    for key in ["withdraw_year", "relax_year", "funding_end_year"] {
        let p = one(&format!(
            "years = 10\n[[strategy]]\npreset = \"enquiry\"\n{key} = 11\n"
        ));
        at(&p, 4, 1, &format!("strategy.enquiry.{key}"));
        assert!(p.message.contains("expected 0 (never) to 10"), "{p}");
    }
    let p = one("[[strategy]]\npreset = \"enquiry\"\nwithdraw_year = 11\n");
    assert!(p.message.contains("(years = 10)"), "{p}");
    // years written after the schedule: the problem is at years.
    let e = set_err(
        "[[strategy]]\npreset = \"enquiry\"\nwithdraw_year = 8\n",
        &["years=5"],
    );
    let p = &e.problems()[0];
    assert_eq!(p.key.as_deref(), Some("years"), "{p}");
    assert!(p.message.contains("expected years >= 8"), "{p}");
}

#[test]
fn small_world_degree_must_be_even() {
    let p = one("[network]\nkind = \"small-world\"\nsw_degree = 5\n");
    at(&p, 3, 1, "network.sw_degree");
    assert!(p.message.contains("expected an even number"), "{p}");
}

#[test]
fn network_file_exactly_with_kind_file() {
    let p = one("[network]\nkind = \"file\"\n");
    at(&p, 2, 1, "network.kind");
    assert!(p.message.contains("needs network.file"), "{p}");
    let p = one("[network]\nfile = \"edges.csv\"\n");
    at(&p, 2, 1, "network.file");
    assert!(p.message.contains("kind is \"clusters\""), "{p}");
    // The file must exist, relative to the scenario's folder.
    let text = "[network]\nkind = \"file\"\nfile = \"edges.csv\"\n";
    let p = one(text);
    at(&p, 3, 1, "network.file");
    assert!(p.message.contains("\"edges.csv\" not found"), "{p}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("edges.csv"), "from,to\n0,1\n").unwrap();
    let sc = Scenario::from_str(text, FILE, Some(dir.path().to_path_buf()))
        .unwrap_or_else(|e| panic!("unexpected error:\n{e}"));
    assert_eq!(sc.network.file, "edges.csv");
}

// ---------------------------------------------------------------- all problems

#[test]
fn every_problem_is_reported_in_file_order() {
    let text = "yeras = 3\n[levers]\nfidelity = 2.0\n[network]\nkind = \"rng\"\n\
                [[strategy]]\npreset = \"enquiry\"\nfidelity = 0.9\n[[strategy]]\npreset = \"magic\"\n";
    let e = err(text);
    let lines: Vec<usize> = e.problems().iter().map(|p| p.line.unwrap()).collect();
    assert_eq!(lines, [1, 3, 5, 8, 10], "{e}");
    let shown = e.to_string();
    assert_eq!(shown.lines().count(), 5);
    for line in shown.lines() {
        assert!(line.starts_with("scen.toml:"), "{line}");
    }
}

// ---------------------------------------------------------------- valid files

#[test]
fn valid_file_round_trip() {
    let text = r#"
name = "trial"
description = "a trial"
seed = 7
years = 6
steps_per_year = 4
replicates = 3
burn_in_years = 2
sustain_years = 2

[landscape]
n = 12
k = 2
contexts = 3

[schools]
schools = 40
staff_mean = 20.0

[network]
kind = "ring"

[levers]
socialisation = 0.4
pressure = 0.5

[[strategy]]
preset = "cascade"
name = "cascade (low pressure)"
pressure = 0.4
fidelity = 0.9

[[strategy]]
preset = "networked-enquiry"
imitation = 0.5
"#;
    let sc = ok(text);
    assert_eq!(sc.run.name, "trial");
    assert_eq!(sc.run.description, "a trial");
    assert_eq!(
        (sc.run.seed, sc.run.years, sc.run.steps_per_year),
        (7, 6, 4)
    );
    assert_eq!(
        (
            sc.run.replicates,
            sc.run.burn_in_years,
            sc.run.sustain_years
        ),
        (3, 2, 2)
    );
    assert_eq!(sc.steps(), 24);
    assert_eq!(
        (sc.landscape.n, sc.landscape.k, sc.landscape.contexts),
        (12, 2, 3)
    );
    assert_eq!(sc.schools.schools, 40);
    assert_eq!(sc.schools.staff_mean, 20.0);
    assert_eq!(sc.network.kind, "ring");
    assert_eq!(sc.base.socialisation, 0.4);
    assert_eq!(sc.source, FILE);
    let names: Vec<&str> = sc.strategies.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["cascade (low pressure)", "networked-enquiry"]);
    let c = &sc.strategies[0];
    assert_eq!(c.preset, "cascade");
    assert_eq!(c.overrides, ["pressure", "fidelity"]);
    assert!(c.levers.cascade);
    assert_eq!((c.levers.pressure, c.levers.fidelity), (0.4, 0.9));
    assert_eq!(c.levers.socialisation, 0.4);
    let ne = &sc.strategies[1].levers;
    assert!(ne.enquiry && ne.lateral && ne.adapt && !ne.cascade);
    assert_eq!((ne.pressure, ne.imitation), (0.5, 0.5));
    // Burn-in runs the base with every mechanism off.
    let b = sc.burn_in_levers();
    assert!(!b.cascade && !b.enquiry && !b.lateral && !b.upward);
    assert_eq!(b.pressure, 0.5);
}

#[test]
fn no_strategy_tables_means_the_six_presets_in_order() {
    let sc = ok("years = 4\n");
    let names: Vec<&str> = sc.strategies.iter().map(|s| s.name.as_str()).collect();
    let presets: Vec<&str> = PRESETS.iter().map(|(p, _)| *p).collect();
    assert_eq!(names, presets);
    for s in &sc.strategies {
        assert_eq!(s.name, s.preset);
        assert!(s.overrides.is_empty());
        assert_eq!(s.levers, orglearn::params::preset(&s.preset).unwrap());
    }
}

#[test]
fn preset_beats_levers_and_strategy_beats_preset() {
    let sc = ok("[levers]\npressure = 0.5\nlegitimacy = 0.6\n");
    // The cascade preset sets its own pressure: it beats [levers].
    assert_ne!(preset_of("cascade").pressure, Levers::default().pressure);
    assert_ne!(
        preset_of("tri-level").legitimacy,
        Levers::default().legitimacy
    );
    assert_eq!(
        strategy(&sc, "cascade").pressure,
        preset_of("cascade").pressure
    );
    // Presets that leave pressure at its default take [levers].
    assert_eq!(strategy(&sc, "enquiry").pressure, 0.5);
    assert_eq!(strategy(&sc, "status-quo").pressure, 0.5);
    assert_eq!(strategy(&sc, "cascade").legitimacy, 0.6);
    assert_eq!(
        strategy(&sc, "tri-level").legitimacy,
        preset_of("tri-level").legitimacy
    );
    let sc = ok("[levers]\npressure = 0.5\n[[strategy]]\npreset = \"cascade\"\npressure = 0.4\n");
    assert_eq!(sc.strategies[0].levers.pressure, 0.4);
    assert_eq!(sc.base.pressure, 0.5);
}

#[test]
fn load_reads_a_file_and_names_it_in_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my.toml");
    std::fs::write(&path, "years = 3\n[levers]\nfidelity = 7\n").unwrap();
    let e = Scenario::load(&path).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}:3:12: key `levers.fidelity`", path.display())),
        "{e}"
    );
    std::fs::write(&path, "years = 3\n").unwrap();
    let sc = Scenario::load(&path).unwrap();
    assert_eq!(sc.run.years, 3);
    assert_eq!(sc.dir.as_deref(), Some(dir.path()));
    assert_eq!(sc.source, path.display().to_string());
    let sc = Scenario::load_with_sets(&path, &strings(&["years=4"])).unwrap();
    assert_eq!(sc.run.years, 4);
    let missing = dir.path().join("missing.toml");
    let e = Scenario::load(&missing).unwrap_err().to_string();
    assert!(e.contains("cannot read the scenario file"), "{e}");
}

// ---------------------------------------------------------------- --set

#[test]
fn set_on_every_path_form() {
    let text =
        "[[strategy]]\npreset = \"cascade\"\n[[strategy]]\npreset = \"enquiry\"\nname = \"mine\"\n";
    let sc = with_sets(
        text,
        &[
            "years=7",
            "landscape.k=5",
            "schools.schools=50",
            "network.kind=ring",
            "strategy.cascade.fidelity=0.8",
            "strategy.2.team_share=0.5",
            "strategy.mine.evidence_noise=2",
            "name=my run",
        ],
    )
    .unwrap();
    assert_eq!(sc.run.years, 7);
    assert_eq!(sc.run.name, "my run");
    assert_eq!(sc.landscape.k, 5);
    assert_eq!(sc.schools.schools, 50);
    assert_eq!(sc.network.kind, "ring");
    assert_eq!(strategy(&sc, "cascade").fidelity, 0.8);
    assert_eq!(strategy(&sc, "mine").team_share, 0.5);
    assert_eq!(strategy(&sc, "mine").evidence_noise, 2.0);
    assert_eq!(sc.strategies[1].overrides, ["team_share", "evidence_noise"]);
    // Quoted values work too.
    let sc = with_sets("", &["network.kind=\"ring\""]).unwrap();
    assert_eq!(sc.network.kind, "ring");
}

#[test]
fn set_levers_changes_the_base_and_re_resolves_every_strategy() {
    let sc = with_sets("", &["levers.pressure=0.6"]).unwrap();
    assert_eq!(sc.base.pressure, 0.6);
    assert_eq!(strategy(&sc, "enquiry").pressure, 0.6);
    // It reaches the presets that set it too.
    assert_ne!(preset_of("cascade").pressure, 0.6);
    assert_eq!(strategy(&sc, "cascade").pressure, 0.6);
    assert_eq!(sc.burn_in_levers().pressure, 0.6);
}

#[test]
fn set_on_every_strategy() {
    let sc = with_sets("", &["strategy.*.pressure=0.6"]).unwrap();
    for s in &sc.strategies {
        assert_eq!(s.levers.pressure, 0.6, "{}", s.name);
        assert_eq!(s.overrides, ["pressure"]);
    }
    // A mechanism lever acts where its mechanism is on.
    let sc = with_sets("", &["strategy.*.fidelity=0.6"]).unwrap();
    assert_eq!(strategy(&sc, "cascade").fidelity, 0.6);
    assert_eq!(strategy(&sc, "tri-level").fidelity, 0.6);
    assert_eq!(
        strategy(&sc, "enquiry").fidelity,
        Levers::default().fidelity
    );
    let sc = with_sets("", &["strategy.*.upward_learning=0.2"]).unwrap();
    assert_eq!(strategy(&sc, "tri-level").upward_learning, 0.2);
    assert_eq!(
        strategy(&sc, "cascade").upward_learning,
        Levers::default().upward_learning
    );
    // ...and is an error where it would act on none.
    let e = set_err(
        "[[strategy]]\npreset = \"enquiry\"\n",
        &["strategy.*.fidelity=0.6"],
    );
    let p = &e.problems()[0];
    assert_eq!(p.origin, "--set #1 (strategy.*.fidelity=0.6)");
    assert!(p.message.contains("no strategy switches on"), "{p}");
}

#[test]
fn set_errors_name_the_assignment() {
    let e = set_err("", &["years=5", "network.kind=rng"]);
    assert_eq!(
        e.to_string(),
        "--set #2 (network.kind=rng): key `network.kind`: \"rng\" is not allowed: expected one of \
         \"clusters\", \"geographic\", \"small-world\", \"scale-free\", \"complete\", \"ring\", \"none\", \"file\""
    );
    let e = set_err("", &["levers.socialization=0.3"]);
    let p = &e.problems()[0];
    assert!(p.message.contains("did you mean \"socialisation\"?"), "{p}");
    let e = set_err("", &["landscpe.n=3"]);
    assert!(e.to_string().contains("did you mean \"landscape\"?"), "{e}");
    let e = set_err("", &["years"]);
    assert!(e.to_string().contains("expected KEY=VALUE"), "{e}");
    let e = set_err("", &["strategy.nope.pressure=0.3"]);
    let s = e.to_string();
    assert!(s.contains("no strategy named \"nope\""), "{s}");
    assert!(s.contains("\"networked-enquiry\""), "{s}");
    let e = set_err("", &["strategy.7.pressure=0.3"]);
    assert!(e.to_string().contains("from 1 to 6"), "{e}");
    let e = set_err("", &["strategy.cascade=1"]);
    assert!(e.to_string().contains("strategy.NAME.KEY"), "{e}");
    let e = set_err("", &["levers=1"]);
    assert!(e.to_string().contains("is a section"), "{e}");
    let e = set_err("", &["years=abc", "landscape.n=0"]);
    assert_eq!(e.problems().len(), 2, "{e}");
    assert!(e.problems()[0].message.contains("found a string (\"abc\")"));
    assert!(e.problems()[1].message.contains("out of range"));
}

#[test]
fn set_obeys_the_mechanism_rule() {
    let e = set_err("", &["strategy.enquiry.fidelity=0.9"]);
    let p = &e.problems()[0];
    assert_eq!(p.origin, "--set #1 (strategy.enquiry.fidelity=0.9)");
    assert_eq!(p.key.as_deref(), Some("strategy.enquiry.fidelity"));
    assert!(
        p.message
            .contains("which strategy \"enquiry\" switches off"),
        "{p}"
    );
    assert!(
        p.message.contains("--set strategy.enquiry.cascade=true"),
        "{p}"
    );
    with_sets(
        "",
        &[
            "strategy.enquiry.cascade=true",
            "strategy.enquiry.fidelity=0.9",
        ],
    )
    .unwrap();
    // Switching a mechanism off leaves the file's levers of it in error.
    let text = "[[strategy]]\npreset = \"cascade\"\nfidelity = 0.9\n";
    let e = set_err(text, &["strategy.cascade.cascade=false"]);
    let p = &e.problems()[0];
    assert_eq!(
        (p.line, p.key.as_deref()),
        (Some(3), Some("strategy.cascade.fidelity"))
    );
}

#[test]
fn set_replaces_a_bad_value_of_the_file() {
    let sc = with_sets("[levers]\nfidelity = 2.0\n", &["levers.fidelity=0.5"]).unwrap();
    assert_eq!(sc.base.fidelity, 0.5);
}

#[test]
fn apply_set_on_a_resolved_scenario() {
    let text = "[levers]\npressure = 0.5\n[[strategy]]\npreset = \"enquiry\"\nteam_share = 0.4\n\
                [[strategy]]\npreset = \"cascade\"\n";
    let mut sc = ok(text);
    sc.apply_set(&strings(&["levers.pressure=0.2", "years=6"]))
        .unwrap();
    assert_eq!(sc.run.years, 6);
    assert_eq!(sc.base.pressure, 0.2);
    assert_eq!(strategy(&sc, "enquiry").pressure, 0.2);
    assert_eq!(strategy(&sc, "enquiry").team_share, 0.4);
    assert_eq!(strategy(&sc, "cascade").pressure, 0.2);
    let same = with_sets(text, &["levers.pressure=0.2", "years=6"]).unwrap();
    assert_eq!(sc, same);
    sc.apply_set(&strings(&["strategy.*.pressure=0.3"]))
        .unwrap();
    assert_eq!(strategy(&sc, "cascade").pressure, 0.3);
    // An error leaves the scenario as it was.
    let before = sc.clone();
    let e = sc.apply_set(&strings(&["network.kind=rng"])).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("--set #1 (network.kind=rng): key `network.kind`"),
        "{e}"
    );
    assert_eq!(sc, before);
    let e = sc
        .apply_set(&strings(&["strategy.enquiry.fidelity=0.9"]))
        .unwrap_err();
    assert!(e.to_string().contains("switches off"), "{e}");
}

// ---------------------------------------------------------------- built-ins

#[test]
fn every_builtin_scenario_parses() {
    let all = builtin::builtins();
    assert!(all.iter().any(|(n, _)| *n == "default"));
    assert!(all.iter().any(|(n, _)| *n == "minimal"));
    for (name, _) in all {
        let sc = Scenario::open(Some(name), &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sc.source, format!("built-in:{name}"));
        assert!(!sc.strategies.is_empty());
    }
    let sc = Scenario::open(None, &[]).unwrap();
    assert_eq!(sc.run.name, "default");
    assert_eq!(sc.strategies.len(), 6);
    assert_eq!(
        (sc.run.years, sc.run.steps_per_year, sc.run.replicates),
        (10, 3, 20)
    );
    assert_eq!(sc.schools.schools, 100);
    assert_eq!(sc.network.cluster_size, 6);
    let e = Scenario::open(Some("no-such-scenario"), &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no file or built-in scenario named \"no-such-scenario\""),
        "{e}"
    );
    assert!(e.contains("built-in scenarios: default, minimal"), "{e}");
}

// ---------------------------------------------------------------- authority tables

const MIX: &str = "[schools]\nauthorities = 4\n\
[[strategy]]\npreset = \"cascade\"\nname = \"mix\"\nfidelity = 0.9\n\
[[strategy.authority]]\nauthorities = [2]\ninitiatives_per_year = 1\n\
[[strategy.authority]]\nauthorities = [3, 4]\nname = \"enquirers\"\npreset = \"enquiry\"\ncpd_hours = 70\n";

#[test]
fn authority_tables_resolve_over_the_strategy_or_their_own_preset() {
    let sc = ok(MIX);
    let st = &sc.strategies[0];
    assert_eq!(st.groups.len(), 2);
    let (g1, g2) = (&st.groups[0], &st.groups[1]);
    assert_eq!(g1.authorities, strings(&["2"]));
    assert_eq!(g1.name, "authority 2");
    assert!(!g1.named);
    // No preset: the strategy's levers (its own fidelity) with the table's keys.
    assert_eq!(g1.preset, None);
    assert!(g1.levers.cascade);
    assert_eq!(g1.levers.fidelity, 0.9);
    assert_eq!(g1.levers.initiatives_per_year, 1.0);
    assert_eq!(g1.overrides, strings(&["initiatives_per_year"]));
    // A preset: the defaults and that preset, not the strategy's keys.
    assert_eq!(g2.name, "enquirers");
    assert!(g2.named);
    assert_eq!(g2.authorities, strings(&["3", "4"]));
    let mut want = preset_of("enquiry");
    want.cpd_hours = 70.0;
    assert_eq!(g2.levers, want);
    // The strategy itself is untouched.
    assert_eq!(
        st.levers.initiatives_per_year,
        preset_of("cascade").initiatives_per_year
    );
    assert!(st.any(|l| l.enquiry) && !st.levers.enquiry);
}

#[test]
fn authority_table_errors_name_line_column_and_key() {
    let base = "[schools]\nauthorities = 3\n[[strategy]]\npreset = \"cascade\"\n";
    // An authority the scenario does not have.
    let p = one(&format!(
        "{base}[[strategy.authority]]\nauthorities = [1, 4]\n"
    ));
    at(&p, 6, 19, "strategy.cascade.authority.1.authorities");
    assert!(p.message.contains("no authority 4"), "{p}");
    assert!(p.message.contains("numbered 1 to 3"), "{p}");
    // A name without a schools file.
    let p = one(&format!(
        "{base}[[strategy.authority]]\nauthorities = [\"Bolton\"]\n"
    ));
    assert!(p.message.contains("no authority named \"Bolton\""), "{p}");
    assert!(p.message.contains("schools file"), "{p}");
    // Listed twice in one strategy.
    let p = one(&format!(
        "{base}[[strategy.authority]]\nauthorities = [2]\n[[strategy.authority]]\nauthorities = [3, 2]\n"
    ));
    at(&p, 8, 19, "strategy.cascade.authority.2.authorities");
    assert!(p.message.contains("already listed"), "{p}");
    assert!(p.message.contains("line 6"), "{p}");
    // Missing, empty, not an array, zero.
    let p = one(&format!("{base}[[strategy.authority]]\ncpd_hours = 7\n"));
    at(&p, 5, 1, "strategy.cascade.authority.1.authorities");
    assert!(p.message.contains("missing `authorities`"), "{p}");
    let p = one(&format!("{base}[[strategy.authority]]\nauthorities = []\n"));
    assert!(p.message.contains("lists no authority"), "{p}");
    let p = one(&format!("{base}[[strategy.authority]]\nauthorities = 2\n"));
    assert!(p.message.contains("found an integer (2)"), "{p}");
    let p = one(&format!(
        "{base}[[strategy.authority]]\nauthorities = [0]\n"
    ));
    assert!(p.message.contains("numbered from 1"), "{p}");
    // A single table instead of an array of tables.
    let p = one(&format!("{base}[strategy.authority]\nauthorities = [1]\n"));
    assert!(p.message.contains("[[strategy.authority]]"), "{p}");
    // Unknown key, with a suggestion.
    let p = one(&format!(
        "{base}[[strategy.authority]]\nauthorities = [1]\nfidelty = 0.5\n"
    ));
    at(&p, 7, 1, "strategy.cascade.authority.1.fidelty");
    assert!(p.message.contains("[[strategy.authority]]"), "{p}");
    assert!(p.message.contains("did you mean \"fidelity\""), "{p}");
    // Unknown preset.
    let p = one(&format!(
        "{base}[[strategy.authority]]\nauthorities = [1]\npreset = \"enqiury\"\n"
    ));
    assert!(p.message.contains("unknown preset \"enqiury\""), "{p}");
}

#[test]
fn authority_table_levers_follow_the_mechanism_rule() {
    let base = "[schools]\nauthorities = 3\n[[strategy]]\npreset = \"cascade\"\n";
    // Inherits the cascade: a lateral lever is an error...
    let p = one(&format!(
        "{base}[[strategy.authority]]\nauthorities = [1]\nmeetings_per_year = 3\n"
    ));
    at(&p, 7, 1, "strategy.cascade.authority.1.meetings_per_year");
    assert!(p.message.contains("lateral mechanism"), "{p}");
    assert!(
        p.message
            .contains("authority table 1 of strategy \"cascade\""),
        "{p}"
    );
    // ...unless the table switches it on, or starts from a preset with it.
    ok(&format!(
        "{base}[[strategy.authority]]\nauthorities = [1]\nlateral = true\nmeetings_per_year = 3\n"
    ));
    ok(&format!(
        "{base}[[strategy.authority]]\nauthorities = [1]\npreset = \"network\"\nmeetings_per_year = 3\n"
    ));
    // Cross-field rules apply to the table's levers.
    let p = one(&format!(
        "years = 5\n{base}[[strategy.authority]]\nauthorities = [1]\nwithdraw_year = 9\n"
    ));
    at(&p, 8, 1, "strategy.cascade.authority.1.withdraw_year");
}

#[test]
fn authority_names_come_from_the_schools_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("schools.csv"),
        "id,authority\na,Bolton\nb,Bolton\nc,Cornwall\nd,Essex\n",
    )
    .unwrap();
    let text = "[schools]\nfile = \"schools.csv\"\n[[strategy]]\npreset = \"cascade\"\n\
                [[strategy.authority]]\nauthorities = [\"Cornwall\", \"Bolten\"]\n";
    let e = Scenario::from_str(text, FILE, Some(dir.path().to_path_buf())).unwrap_err();
    assert_eq!(e.problems().len(), 1, "{e}");
    let p = &e.problems()[0];
    at(p, 6, 28, "strategy.cascade.authority.1.authorities");
    assert!(p.message.contains("no authority named \"Bolten\""), "{p}");
    assert!(p.message.contains("did you mean \"Bolton\""), "{p}");
    let fixed = text.replace("Bolten", "Bolton");
    let sc = Scenario::from_str(&fixed, FILE, Some(dir.path().to_path_buf())).unwrap();
    assert_eq!(
        sc.strategies[0].groups[0].authorities,
        strings(&["Cornwall", "Bolton"])
    );
}

#[test]
fn set_reaches_authority_tables_and_survives_re_resolution() {
    let sc = with_sets(MIX, &["strategy.mix.authority.2.cpd_hours=10"]).unwrap();
    assert_eq!(sc.strategies[0].groups[1].levers.cpd_hours, 10.0);
    // A later --set on the strategy reaches tables without a preset only.
    let mut again = sc.clone();
    again
        .apply_set(&strings(&["strategy.mix.fidelity=0.5"]))
        .unwrap();
    let st = &again.strategies[0];
    assert_eq!(st.groups[0].levers.fidelity, 0.5);
    assert_eq!(st.groups[1].levers.cpd_hours, 10.0);
    assert_eq!(st.groups[1].levers.fidelity, preset_of("enquiry").fidelity);
    assert_eq!(st.groups[1].authorities, strings(&["3", "4"]));
    let e = set_err(MIX, &["strategy.mix.authority.3.cpd_hours=10"]);
    assert!(
        e.to_string().contains("has 2 [[strategy.authority]] table"),
        "{e}"
    );
}
