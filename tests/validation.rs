//! The validation models show the published direction of each finding, at
//! reduced sizes, with fixed seeds and margins measured in standard errors;
//! their results do not depend on the thread count; and the command line
//! reads, overrides, reports errors in and writes them as documented.

use std::path::Path;
use std::process::Command;

use orglearn::validation::parts::MeanSe;
use orglearn::validation::{Loaded, fang, is_validation, lazer, load, march};

/// Load a built-in with `KEY=VALUE` overrides.
fn loaded(name: &str, sets: &[&str]) -> Loaded {
    let sets: Vec<(String, String)> = sets
        .iter()
        .map(|s| (format!("test ({s})"), s.to_string()))
        .collect();
    load(name, &sets)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .1
}

fn march_cfg(sets: &[&str]) -> march::MarchConfig {
    match loaded("march1991", sets) {
        Loaded::March(c) => *c,
        other => panic!("not March: {other:?}"),
    }
}

fn lf_cfg(name: &str, sets: &[&str]) -> lazer::LfConfig {
    match loaded(name, sets) {
        Loaded::LazerFriedman(c) => *c,
        other => panic!("not Lazer & Friedman: {other:?}"),
    }
}

/// `a` exceeds `b` by more than `z` standard errors of the difference
/// (independent estimates) and by more than `margin`.
#[track_caller]
fn beats(a: MeanSe, b: MeanSe, z: f64, margin: f64, what: &str) {
    let se = (a.se * a.se + b.se * b.se).sqrt();
    assert!(
        a.mean - b.mean > z * se && a.mean - b.mean > margin,
        "{what}: {:.4} ± {:.4} should beat {:.4} ± {:.4} by {z} s.e. and {margin}",
        a.mean,
        a.se,
        b.mean,
        b.se
    );
}

// ------------------------------------------------------------------ March

#[test]
fn march_knowledge_falls_with_socialisation_when_code_learning_is_fast() {
    let cfg = march_cfg(&[
        "figure1.p1=[0.1, 0.3, 0.5, 0.7, 0.9]",
        "figure1.p2=[0.9]",
        "seed=11",
    ]);
    let rows = march::figure1(&cfg, 300);
    assert_eq!(rows.len(), 5);
    for r in &rows {
        assert_eq!(r.point.capped, 0, "a run hit the period cap at {r:?}");
    }
    for w in rows.windows(2) {
        beats(
            w[0].point.knowledge,
            w[1].point.knowledge,
            3.0,
            0.0,
            &format!("p1 = {} against p1 = {} (p2 = 0.9)", w[0].p1, w[1].p1),
        );
    }
    // Slow socialisation beats fast by a clear margin.
    beats(
        rows[0].point.knowledge,
        rows[4].point.knowledge,
        10.0,
        0.1,
        "p1 = 0.1 against p1 = 0.9 (p2 = 0.9)",
    );
    // Equilibrium knowledge is high where March found it highest.
    assert!(rows[0].point.knowledge.mean > 0.85, "{:?}", rows[0]);
}

#[test]
fn march_fast_code_learning_beats_slow_when_socialisation_is_slow() {
    let cfg = march_cfg(&["figure1.p1=[0.1]", "figure1.p2=[0.1, 0.9]", "seed=12"]);
    let rows = march::figure1(&cfg, 300);
    beats(
        rows[1].point.knowledge,
        rows[0].point.knowledge,
        5.0,
        0.0,
        "p2 = 0.9 against p2 = 0.1 (p1 = 0.1)",
    );
}

#[test]
fn march_mix_of_learners_beats_a_uniform_population_at_the_same_mean_rate() {
    let cfg = march_cfg(&["figure2.fast_learners=[25]", "seed=13"]);
    let rows = march::figure2(&cfg, 300);
    beats(
        rows[0].mixed.knowledge,
        rows[0].uniform.knowledge,
        5.0,
        0.0,
        "25 fast and 25 slow learners against everyone at p1 = 0.5",
    );
}

#[test]
fn march_turnover_helps_fast_socialisation_and_hurts_slow() {
    let cfg = march_cfg(&["figure3.p1=[0.1, 0.9]", "figure3.p3=[0.0, 0.2]", "seed=14"]);
    let rows = march::figure3(&cfg, 300);
    let at = |p1: f64, p3: f64| {
        rows.iter()
            .find(|r| r.p1 == p1 && r.p3 == p3)
            .expect("point computed")
            .knowledge
    };
    beats(at(0.9, 0.2), at(0.9, 0.0), 5.0, 0.0, "turnover at p1 = 0.9");
    beats(
        at(0.1, 0.0),
        at(0.1, 0.2),
        5.0,
        0.0,
        "no turnover at p1 = 0.1",
    );
}

#[test]
fn march_turnover_sustains_knowledge_under_turbulence() {
    let cfg = march_cfg(&["figure5.p3=[0.0, 0.1]", "figure5.periods=60", "seed=15"]);
    let rows = march::figure45(&cfg, 5, 200);
    let (none, some) = (&rows[0].knowledge, &rows[1].knowledge);
    assert_eq!(none.len(), 61);
    beats(
        some[60],
        none[60],
        5.0,
        0.1,
        "turnover at period 60 under turbulence",
    );
    // Without turnover the code loses most of what it learned.
    let peak = none.iter().map(|m| m.mean).fold(f64::MIN, f64::max);
    assert!(
        none[60].mean < peak / 2.0,
        "peak {peak}, end {:?}",
        none[60]
    );
}

// ------------------------------------------------------- Lazer & Friedman

#[test]
fn lf_complete_leads_early_and_linear_leads_at_round_100() {
    let cfg = lf_cfg(
        "lazer-friedman2007",
        &[
            "networks.kinds=[\"linear\", \"complete\"]",
            "replicates=100",
        ],
    );
    let res = lazer::run(&cfg);
    assert!(res.maxima_exact);
    let (linear, complete) = (&res.curves[0], &res.curves[1]);
    assert_eq!(linear.len(), 101);
    assert_eq!(linear[0], complete[0], "both start from the same solutions");
    for t in 1..=10 {
        beats(
            complete[t],
            linear[t],
            3.0,
            0.0,
            &format!("complete against linear at round {t}"),
        );
    }
    beats(
        linear[100],
        complete[100],
        4.0,
        0.05,
        "linear against complete at round 100",
    );
}

#[test]
fn lf_with_k0_both_reach_the_optimum_and_complete_first() {
    let cfg = lf_cfg(
        "lf-k0",
        &[
            "networks.kinds=[\"linear\", \"complete\"]",
            "replicates=100",
        ],
    );
    let res = lazer::run(&cfg);
    let first_at_optimum = |c: &[MeanSe]| c.iter().position(|m| m.mean >= 1.0 - 1e-12);
    let linear = first_at_optimum(&res.curves[0]).expect("linear reaches the optimum");
    let complete = first_at_optimum(&res.curves[1]).expect("complete reaches the optimum");
    assert!(
        complete < linear,
        "complete at {complete}, linear at {linear}"
    );
}

#[test]
fn lf_lower_velocity_is_slower_early() {
    let base = [
        "networks.kinds=[\"complete\"]",
        "replicates=60",
        "agents.rounds=10",
    ];
    let fast = lazer::run(&lf_cfg("lazer-friedman2007", &base));
    let mut slow_sets = base.to_vec();
    slow_sets.push("agents.velocity=0.2");
    let slow = lazer::run(&lf_cfg("lazer-friedman2007", &slow_sets));
    beats(
        fast.curves[0][3],
        slow.curves[0][3],
        3.0,
        0.0,
        "velocity 1 against 0.2 at round 3",
    );
}

// ------------------------------------------------------------------- Fang

#[test]
fn fang_moderate_linking_beats_isolation_and_full_integration() {
    let cfg = match loaded(
        "fang2010",
        &[
            "sweep.cross_group_linking=[0.0, 0.1, 1.0]",
            "replicates=200",
        ],
    ) {
        Loaded::Fang(c) => *c,
        other => panic!("not Fang: {other:?}"),
    };
    let res = fang::run(&cfg);
    let p: Vec<MeanSe> = res.points.iter().map(|p| p.performance).collect();
    beats(p[1], p[0], 5.0, 0.0, "linking 0.1 against isolated groups");
    beats(p[1], p[2], 3.0, 0.0, "linking 0.1 against full rewiring");
}

// ------------------------------------------------------------ determinism

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let m = march_cfg(&["replicates=6", "figure5.periods=20", "figure4.periods=20"]);
    let a = in_pool(1, || march::run(&m));
    let b = in_pool(2, || march::run(&m));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let l = lf_cfg("lazer-friedman2007", &["replicates=4", "agents.rounds=20"]);
    let a = in_pool(1, || lazer::run(&l));
    let b = in_pool(2, || lazer::run(&l));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let f = match loaded(
        "fang2010",
        &["replicates=4", "sweep.cross_group_linking=[0.0, 0.1, 1.0]"],
    ) {
        Loaded::Fang(c) => *c,
        other => panic!("{other:?}"),
    };
    let a = in_pool(1, || fang::run(&f));
    let b = in_pool(2, || fang::run(&f));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

// ----------------------------------------------------------- command line

fn orglearn(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_orglearn"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("orglearn runs")
}

#[test]
fn cli_writes_figure1_with_the_documented_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = orglearn(
        dir.path(),
        &[
            "run",
            "march1991",
            "--replicates",
            "4",
            "--set",
            "figures=[1]",
            "--out",
            "m",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Figure 1"), "{stdout}");
    let csv = std::fs::read_to_string(dir.path().join("m/figure1.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("p1,p2,code_knowledge,replications,std_error")
    );
    assert_eq!(lines.count(), 27);
    for f in ["figure1.png", "figure1.svg", "manifest.json"] {
        assert!(dir.path().join("m").join(f).is_file(), "{f}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("m/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["model"], "march1991");
    assert_eq!(manifest["replicates"], 4);
    assert_eq!(manifest["parameters"]["organisation"]["dimensions"], 30);
    assert!(manifest["wall_time_seconds"].as_f64().unwrap() > 0.0);
}

#[test]
fn cli_results_match_across_thread_counts_and_default_out_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for t in ["1", "2"] {
        let out = orglearn(
            dir.path(),
            &[
                "run",
                "lf-reference",
                "--replicates",
                "3",
                "--set",
                "agents.rounds=15",
                "--threads",
                t,
                "--quiet",
                "--no-charts",
                "--out",
                t,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "--quiet prints nothing");
    }
    let one = std::fs::read(dir.path().join("1/lf_curves.csv")).unwrap();
    let two = std::fs::read(dir.path().join("2/lf_curves.csv")).unwrap();
    assert_eq!(one, two);
    assert!(String::from_utf8_lossy(&one).starts_with("network,round,mean_payoff\nlinear,0,"));
    assert!(!dir.path().join("1/lf_curves.png").exists());
    let out = orglearn(
        dir.path(),
        &[
            "run",
            "fang2010",
            "--replicates",
            "2",
            "--seed",
            "3",
            "--quiet",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path()
            .join("out/fang2010/fang_performance.csv")
            .is_file()
    );
    assert!(
        dir.path()
            .join("out/fang2010/fang_performance.png")
            .is_file()
    );
}

#[test]
fn cli_errors_name_the_file_line_column_and_key_or_the_set() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    std::fs::write(
        &file,
        "model = \"lazer-friedman2007\"\nname = \"mine\"\nseed = 1\nreplicates = 2\n\n[agents]\nagents = 10\nrounds = 5\nvelocity = 1.0\nerror = 0.0\nspeed = 3\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    assert!(is_validation(Some(path)));
    assert!(is_validation(Some("march1991")));
    assert!(!is_validation(Some("default")));
    assert!(!is_validation(None));
    let out = orglearn(dir.path(), &["run", path]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{path}:11:1: key `agents.speed`")),
        "{err}"
    );
    let out = orglearn(
        dir.path(),
        &["run", "march1991", "--set", "figure1.p1=[0.5, 2]"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("--set #1 (figure1.p1=[0.5, 2]): key `figure1.p1`"),
        "{err}"
    );
    let out = orglearn(dir.path(), &["run", "march1991", "--set", "replicates=0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--set #1 (replicates=0): key `replicates`"),
        "{err}"
    );
}
