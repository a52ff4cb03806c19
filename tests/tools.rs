//! The command line with other tools: completions, manual pages, the
//! version string, machine-readable listings and `init`.

mod common_cli;

use common_cli::Sandbox;

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    let sb = Sandbox::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef orglearn"),
        ("fish", "complete -c orglearn"),
    ] {
        let out = sb.run(&["completions", shell]).ok();
        assert!(out.stdout.contains(marker), "{shell}: no `{marker}`");
        for sub in ["sweep", "analyze", "schema", "init", "completions"] {
            assert!(out.stdout.contains(sub), "{shell}: no `{sub}`");
        }
    }
    sb.run(&["completions", "tcsh"])
        .fails()
        .stderr_has(&["bash", "zsh", "fish"]);
}

#[test]
fn man_pages_are_written() {
    let sb = Sandbox::new();
    let out = sb.run(&["man"]).ok();
    assert!(out.stdout.starts_with(".ie") || out.stdout.contains(".TH orglearn"));
    assert!(out.stdout.contains("completions"));
    sb.run(&["man", "--out", "man"]).ok();
    let files = sb.files("man");
    for page in [
        "orglearn.1",
        "orglearn-run.1",
        "orglearn-sweep.1",
        "orglearn-schema.1",
    ] {
        assert!(
            files.iter().any(|f| f == page),
            "{page} missing from {files:?}"
        );
    }
    assert!(sb.read("man/orglearn-run.1").contains("orglearn\\-run \\-"));
}

#[test]
fn version_names_the_commit_or_says_it_is_unknown() {
    let out = Sandbox::new().run(&["--version"]).ok();
    let v = out.stdout.trim();
    let rest = v
        .strip_prefix(&format!("orglearn {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected version line {v:?}"));
    if rest != "commit unknown" {
        let commit = rest.strip_suffix(", modified").unwrap_or(rest);
        assert_eq!(commit.len(), 12, "{v}");
        assert!(commit.chars().all(|c| c.is_ascii_hexdigit()), "{v}");
    }
}

#[test]
fn levers_and_list_are_machine_readable() {
    let sb = Sandbox::new();
    let json: serde_json::Value =
        serde_json::from_str(&sb.run(&["levers", "--format", "json"]).ok().stdout).unwrap();
    let rows = json.as_array().unwrap();
    let csv = sb.run(&["levers", "--format", "csv"]).ok().stdout;
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let keys: Vec<String> = r.records().map(|x| x.unwrap()[0].to_string()).collect();
    let json_keys: Vec<&str> = rows.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys, json_keys);
    assert_eq!(
        sb.run(&["levers", "--format", "markdown"]).ok().stdout,
        sb.run(&["levers", "--markdown"]).ok().stdout
    );
    let list: serde_json::Value =
        serde_json::from_str(&sb.run(&["list", "--format", "json"]).ok().stdout).unwrap();
    for (section, name) in [
        ("scenarios", "burnham"),
        ("validation", "march1991"),
        ("sweeps", "smoke"),
        ("presets", "cascade"),
    ] {
        assert!(
            list[section]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["name"] == name
                    && e["description"].as_str().is_some_and(|d| !d.is_empty())),
            "{section} lacks {name}"
        );
    }
}

#[test]
fn init_writes_a_file_that_runs_identically() {
    let sb = Sandbox::new();
    sb.run(&["init", "minimal", "--out", "mine.toml"]).ok();
    sb.run(&["init", "minimal", "--out", "mine.toml"])
        .fails()
        .stderr_has(&["mine.toml already exists"]);
    let flags = ["--no-charts", "--quiet", "--replicates", "2"];
    let mut a = vec!["run", "minimal", "--out", "a"];
    a.extend(flags);
    let mut b = vec!["run", "mine.toml", "--out", "b"];
    b.extend(flags);
    sb.run(&a).ok();
    sb.run(&b).ok();
    for f in ["indicators.csv", "summary.csv"] {
        assert_eq!(
            sb.read(&format!("a/{f}")),
            sb.read(&format!("b/{f}")),
            "{f}"
        );
    }
    let sweep = sb.run(&["init", "smoke"]).ok();
    assert!(sweep.stdout.contains("[[lever]]"));
    assert!(sb.run(&["init", "march1991"]).ok().stdout.contains("march"));
}

#[test]
fn misspelt_builtins_get_the_nearest_name() {
    let sb = Sandbox::new();
    sb.run(&["check", "burnam"])
        .fails()
        .stderr_has(&["did you mean `burnham`?", "validation models: march1991"]);
    sb.run(&["run", "liverpol", "--no-charts"])
        .fails()
        .stderr_has(&["did you mean `liverpool`?"]);
    sb.run(&["init", "smok"])
        .fails()
        .stderr_has(&["did you mean `smoke`?"]);
    sb.run(&["sweep", "smok"])
        .fails()
        .stderr_has(&["did you mean `smoke`?"]);
}

#[test]
fn schema_subcommand_prints_json() {
    let sb = Sandbox::new();
    for kind in ["scenario", "sweep", "schools"] {
        let out = sb.run(&["schema", kind]).ok();
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert!(v.is_object(), "{kind}");
    }
}
