//! Sweeps: plans per design, the sampling designs, the sensitivity
//! estimators on functions with known indices, and the command line end to
//! end — resume after a crash, shards run as separate processes and merged,
//! merge's refusals, errors in sweep files, and independence from the
//! thread count.

use orglearn::sweep::design;
use orglearn::sweep::sensitivity::{morris_indices, sobol_indices};
use orglearn::sweep::{Design, LValue, Plan, Sweep};
use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_orglearn");

/// Run the program; panic with its output if it fails.
fn orglearn(args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("the program starts");
    assert!(
        out.status.success(),
        "orglearn {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Run the program expecting failure; return its stderr.
fn orglearn_fails(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("the program starts");
    assert!(
        !out.status.success(),
        "orglearn {} should have failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn read(p: impl AsRef<Path>) -> Vec<u8> {
    std::fs::read(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The same result files in two folders.
fn assert_same_results(a: &Path, b: &Path, files: &[&str]) {
    for f in files {
        assert!(
            read(a.join(f)) == read(b.join(f)),
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn sweep_text(design: &str, sizes: &str, levers: &str) -> String {
    format!(
        "name = \"t\"\nscenario = \"minimal\"\nseed = 3\ndesign = \"{design}\"\n{sizes}\nreplicates = 2\n{levers}"
    )
}

const THREE_LEVERS: &str = r#"
[[lever]]
key = "landscape.context_weight"
min = 0.0
max = 1.0
[[lever]]
key = "levers.cpd_hours"
min = 0.0
max = 70.0
distribution = "triangular"
mode = 35.0
[[lever]]
key = "landscape.k"
min = 1
max = 4
"#;

fn parse(text: &str) -> Sweep {
    Sweep::from_str(text, "t.toml", None).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

#[test]
fn plans_have_the_size_of_their_design_and_are_deterministic() {
    let cases = [
        ("random", "samples = 10", 10),
        ("lhs", "samples = 12", 12),
        ("sobol", "samples = 8", 8 * (3 + 2)),
        ("morris", "trajectories = 5", 5 * (3 + 1)),
    ];
    for (design, sizes, points) in cases {
        let sw = parse(&sweep_text(design, sizes, THREE_LEVERS));
        let plan = Plan::new(&sw);
        assert_eq!(plan.points.len(), points, "{design}");
        assert_eq!(plan.n_runs(), 2 * points as u64, "{design}");
        assert_eq!(plan, Plan::new(&sw), "{design}: the plan is deterministic");
        let other = parse(&sweep_text(design, sizes, THREE_LEVERS).replace("seed = 3", "seed = 4"));
        assert_ne!(
            plan.points,
            Plan::new(&other).points,
            "{design}: the seed matters"
        );
        // Values respect the levers' kinds and ranges.
        for p in &plan.points {
            assert!(matches!(p[0], LValue::Float(x) if (0.0..=1.0).contains(&x)));
            assert!(matches!(p[1], LValue::Float(x) if (0.0..=70.0).contains(&x)));
            assert!(matches!(p[2], LValue::Int(k) if (1..=4).contains(&k)));
        }
        // Run ids: point-major; seeds depend on the replicate only.
        let r = plan.run(7);
        assert_eq!((r.point, r.replicate), (3, 1));
        assert_eq!(r.seed, plan.run(1).seed);
        assert_ne!(plan.run(0).seed, plan.run(1).seed);
    }
    let grid = parse(&sweep_text(
        "grid",
        "",
        r#"
[[lever]]
key = "landscape.context_weight"
values = [0.0, 0.5, 1.0]
[[lever]]
key = "network.kind"
values = ["clusters", "ring"]
[[lever]]
key = "landscape.turbulence"
min = 0.0
max = 0.1
steps = 4
"#,
    ));
    let plan = Plan::new(&grid);
    assert_eq!(plan.points.len(), 3 * 2 * 4);
    assert_eq!(grid.design, Design::Grid);
    // The first lever varies slowest, the last fastest; steps are rounded.
    assert_eq!(
        plan.points[1],
        vec![
            LValue::Float(0.0),
            LValue::Str("clusters".into()),
            LValue::Float(0.03333333333),
        ]
    );
    assert_eq!(plan.points[4][1], LValue::Str("ring".into()));
    assert_eq!(plan.points[8][0], LValue::Float(0.5));
}

#[test]
fn shards_split_the_plan_exactly() {
    let sw = parse(&sweep_text("lhs", "samples = 17", THREE_LEVERS));
    let plan = Plan::new(&sw);
    let mut all: Vec<u64> = (1..=4)
        .flat_map(|i| plan.ids(Some(orglearn::sweep::Shard { index: i, count: 4 })))
        .collect();
    all.sort();
    assert_eq!(all, plan.ids(None));
}

#[test]
fn latin_hypercube_puts_one_point_in_every_stratum() {
    for (n, d) in [(1, 3), (10, 4), (97, 6)] {
        let pts = design::lhs(n, d, 11);
        assert_eq!(pts.len(), n);
        for k in 0..d {
            let mut strata: Vec<usize> = pts.iter().map(|p| (p[k] * n as f64) as usize).collect();
            strata.sort();
            assert_eq!(strata, (0..n).collect::<Vec<_>>(), "n {n}, dimension {k}");
        }
    }
    // Through a sweep: the unit coordinates of an lhs plan are stratified too.
    let sw = parse(&sweep_text("lhs", "samples = 20", THREE_LEVERS));
    let plan = Plan::new(&sw);
    for k in 0..3 {
        let mut strata: Vec<usize> = plan.units.iter().map(|u| (u[k] * 20.0) as usize).collect();
        strata.sort();
        assert_eq!(strata, (0..20).collect::<Vec<_>>());
    }
}

#[test]
fn saltelli_plan_has_a_b_and_the_mixed_matrices() {
    let (n, d) = (16, 4);
    let pts = design::saltelli(n, d, 5);
    assert_eq!(pts.len(), n * (d + 2));
    let base = design::sobol(n, 2 * d, Some(5));
    for j in 0..n {
        let block = &pts[j * (d + 2)..(j + 1) * (d + 2)];
        let (a, b) = (&block[0], &block[d + 1]);
        assert_eq!(a.as_slice(), &base[j][..d]);
        assert_eq!(b.as_slice(), &base[j][d..]);
        for i in 0..d {
            let ab = &block[1 + i];
            for k in 0..d {
                assert_eq!(ab[k], if k == i { b[k] } else { a[k] }, "AB_{i} column {k}");
            }
        }
    }
    // The shifted sequence stays in (0, 1) and each dimension of a power-of-two
    // prefix is still stratified.
    let pts = design::sobol(64, 10, Some(9));
    for k in 0..10 {
        let mut cells: Vec<usize> = pts.iter().map(|p| (p[k] * 64.0) as usize).collect();
        cells.sort();
        assert_eq!(cells, (0..64).collect::<Vec<_>>());
    }
}

fn ishigami(x: &[f64]) -> f64 {
    let (a, b) = (7.0, 0.1);
    let x: Vec<f64> = x.iter().map(|u| -PI + 2.0 * PI * u).collect();
    x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
}

fn sobol_g(a: &[f64], x: &[f64]) -> f64 {
    a.iter()
        .zip(x)
        .map(|(a, x)| ((4.0 * x - 2.0).abs() + a) / (1.0 + a))
        .product()
}

#[test]
fn sobol_estimators_recover_the_ishigami_indices() {
    let (a, b) = (7.0_f64, 0.1_f64);
    let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let v13 = b * b * PI.powi(8) * (1.0 / 18.0 - 1.0 / 50.0);
    let v = v1 + v2 + v13;
    let want = [(v1 / v, (v1 + v13) / v), (v2 / v, v2 / v), (0.0, v13 / v)];
    let n = 1 << 13;
    let y: Vec<f64> = design::saltelli(n, 3, 1)
        .iter()
        .map(|x| ishigami(x))
        .collect();
    let idx = sobol_indices(&y, 3, 300, 1);
    for (i, (s, (s1, st))) in idx.iter().zip(want).enumerate() {
        assert!((s.s1 - s1).abs() < 0.03, "S1[{i}] {} vs {s1}", s.s1);
        assert!((s.st - st).abs() < 0.03, "ST[{i}] {} vs {st}", s.st);
        assert!(
            s.s1_conf > 0.0 && s.s1_conf < 0.06,
            "S1_conf[{i}] {}",
            s.s1_conf
        );
        assert!(
            s.st_conf > 0.0 && s.st_conf < 0.06,
            "ST_conf[{i}] {}",
            s.st_conf
        );
        // The 95% intervals cover the truth (with room for the 5%).
        assert!(
            (s.s1 - s1).abs() < 2.0 * s.s1_conf + 0.005,
            "S1[{i}] interval"
        );
        assert!(
            (s.st - st).abs() < 2.0 * s.st_conf + 0.005,
            "ST[{i}] interval"
        );
    }
}

#[test]
fn sobol_estimators_recover_the_g_function_indices() {
    let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0];
    let vi: Vec<f64> = a
        .iter()
        .map(|a| 1.0 / (3.0 * (1.0 + a) * (1.0f64 + a)))
        .collect();
    let v = vi.iter().map(|x| 1.0 + x).product::<f64>() - 1.0;
    let n = 1 << 13;
    let y: Vec<f64> = design::saltelli(n, 6, 2)
        .iter()
        .map(|x| sobol_g(&a, x))
        .collect();
    let idx = sobol_indices(&y, 6, 300, 2);
    for (i, s) in idx.iter().enumerate() {
        let s1 = vi[i] / v;
        let st = vi[i]
            * vi.iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, x)| 1.0 + x)
                .product::<f64>()
            / v;
        assert!((s.s1 - s1).abs() < 0.03, "S1[{i}] {} vs {s1}", s.s1);
        assert!((s.st - st).abs() < 0.03, "ST[{i}] {} vs {st}", s.st);
    }
    // The ranking of the factors is right.
    assert!(idx[0].st > idx[1].st && idx[1].st > idx[2].st && idx[2].st > idx[4].st);
}

#[test]
fn morris_effects_are_exact_for_a_linear_function_and_rank_the_g_function() {
    let c = [3.0, -2.0, 0.0, 0.5];
    let pts = design::morris(12, 4, 4, 8);
    assert_eq!(pts.len(), 12 * 5);
    let y: Vec<f64> = pts
        .iter()
        .map(|x| c.iter().zip(x).map(|(c, x)| c * x).sum())
        .collect();
    let idx = morris_indices(&pts, &y, 4, 200, 8).unwrap();
    for (i, m) in idx.iter().enumerate() {
        assert!((m.mu - c[i]).abs() < 1e-9, "mu[{i}] {}", m.mu);
        assert!((m.mu_star - c[i].abs()).abs() < 1e-9, "mu*[{i}]");
        assert!(m.sigma.abs() < 1e-9, "sigma[{i}]");
    }
    // Trajectories: each step moves one coordinate by +-delta, on the grid.
    let delta = design::morris_delta(4);
    for t in 0..12 {
        for k in 0..4 {
            let (p, q) = (&pts[t * 5 + k], &pts[t * 5 + k + 1]);
            let moved: Vec<f64> = p
                .iter()
                .zip(q)
                .map(|(a, b)| b - a)
                .filter(|d| *d != 0.0)
                .collect();
            assert_eq!(moved.len(), 1);
            assert!((moved[0].abs() - delta).abs() < 1e-12);
        }
    }
    let a = [0.0, 1.0, 9.0, 99.0];
    let pts = design::morris(40, 4, 4, 9);
    let y: Vec<f64> = pts.iter().map(|x| sobol_g(&a, x)).collect();
    let idx = morris_indices(&pts, &y, 4, 200, 9).unwrap();
    assert!(idx[0].mu_star > idx[1].mu_star && idx[1].mu_star > idx[2].mu_star);
    assert!(idx[2].mu_star > idx[3].mu_star);
    assert!(idx.iter().all(|m| m.mu_star_conf > 0.0));
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

#[test]
fn resume_after_a_crash_gives_the_same_results() {
    let t = tempdir();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    orglearn(&["sweep", "smoke", "--out", s(&a), "-q"]);
    // A crash: a copy of the folder with half the journal and a partial last line.
    orglearn(&["sweep", "smoke", "--out", s(&b), "-q"]);
    for f in ["runs.csv", "points.csv", "heatmap.png", "regime-map.png"] {
        std::fs::remove_file(b.join(f)).unwrap();
    }
    let journal = read(a.join("journal.jsonl"));
    let cut = journal.len() / 2;
    assert_ne!(journal[cut - 1], b'\n', "the cut falls inside a line");
    std::fs::write(b.join("journal.jsonl"), &journal[..cut]).unwrap();
    // Without --resume the folder is not overwritten.
    let err = orglearn_fails(&["sweep", "smoke", "--out", s(&b), "-q"]);
    assert!(err.contains("--resume"), "{err}");
    orglearn(&["sweep", "smoke", "--out", s(&b), "--resume", "-q"]);
    assert_same_results(
        &a,
        &b,
        &["runs.csv", "points.csv", "journal.jsonl", "heatmap.png"],
    );
    // Resuming a finished sweep runs nothing and changes nothing.
    orglearn(&["sweep", "smoke", "--out", s(&b), "--resume", "-q"]);
    assert_same_results(&a, &b, &["runs.csv", "points.csv"]);
}

#[test]
fn kill_9_loses_only_the_runs_in_flight() {
    let t = tempdir();
    let file = t.path().join("slow.toml");
    std::fs::write(
        &file,
        "scenario = \"default\"\ndesign = \"lhs\"\nsamples = 80\nstrategies = [\"tri-level\"]\n\
         [set]\nschools.schools = 40\nyears = 5\n\
         [[lever]]\nkey = \"landscape.context_weight\"\nmin = 0.0\nmax = 1.0\n",
    )
    .unwrap();
    let (whole, killed) = (t.path().join("whole"), t.path().join("killed"));
    orglearn(&["sweep", s(&file), "--out", s(&whole), "-q", "--no-charts"]);
    let mut child = Command::new(BIN)
        .args([
            "sweep",
            s(&file),
            "--out",
            s(&killed),
            "-q",
            "--no-charts",
            "--threads",
            "1",
        ])
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) once a few runs are recorded.
    let journal = killed.join("journal.jsonl");
    let start = std::time::Instant::now();
    while std::fs::read(&journal).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count()) < 5
        && start.elapsed().as_secs() < 60
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let recorded = std::fs::read(&journal).unwrap();
    let lines = recorded.iter().filter(|&&c| c == b'\n').count();
    assert!(lines >= 5, "runs recorded before the kill: {lines}");
    orglearn(&[
        "sweep",
        s(&file),
        "--out",
        s(&killed),
        "--resume",
        "-q",
        "--no-charts",
    ]);
    assert_same_results(
        &whole,
        &killed,
        &["runs.csv", "points.csv", "journal.jsonl"],
    );
}

#[test]
fn shards_run_as_separate_processes_merge_into_the_unsharded_results() {
    let t = tempdir();
    let whole = t.path().join("whole");
    orglearn(&["sweep", "smoke", "--out", s(&whole), "-q"]);
    let shards = t.path().join("shards");
    let dirs: Vec<PathBuf> = (1..=3).map(|i| shards.join(format!("shard-{i}"))).collect();
    let children: Vec<_> = dirs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            Command::new(BIN)
                .args([
                    "sweep",
                    "smoke",
                    "--shard",
                    &format!("{}/3", i + 1),
                    "--out",
                    s(d),
                ])
                .args(["-q", "--threads", "1"])
                .spawn()
                .expect("a shard starts")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a shard failed");
    }
    // Shards write their own runs only, and no points.csv.
    let rows = |d: &Path| {
        String::from_utf8(read(d.join("runs.csv")))
            .unwrap()
            .lines()
            .count()
            - 1
    };
    assert_eq!(dirs.iter().map(|d| rows(d)).sum::<usize>(), rows(&whole));
    assert!(!dirs[0].join("points.csv").exists());
    let mut args = vec!["merge", "-q"];
    args.extend(dirs.iter().map(|d| s(d)));
    orglearn(&args);
    // By default the merge lands in the folder holding the shards.
    assert_same_results(
        &whole,
        &shards,
        &[
            "runs.csv",
            "points.csv",
            "journal.jsonl",
            "plan.csv",
            "heatmap.png",
            "regime-map.svg",
        ],
    );

    // Merge refuses a missing shard and a shard given twice, saying why.
    let err = orglearn_fails(&[
        "merge",
        s(&dirs[0]),
        s(&dirs[2]),
        "--out",
        s(&t.path().join("m1")),
    ]);
    assert!(
        err.contains("missing") && err.contains("no folder given for shard 2/3"),
        "{err}"
    );
    let copy = t.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for f in ["manifest.json", "journal.jsonl"] {
        std::fs::copy(dirs[1].join(f), copy.join(f)).unwrap();
    }
    let err = orglearn_fails(&[
        "merge",
        s(&dirs[0]),
        s(&dirs[1]),
        s(&dirs[2]),
        s(&copy),
        "--out",
        s(&t.path().join("m2")),
    ]);
    assert!(
        err.contains("is recorded in both") && err.contains("exactly one folder"),
        "{err}"
    );
    // An unfinished shard is named, with the command that finishes it.
    let j = read(dirs[1].join("journal.jsonl"));
    let first_line = j.iter().position(|&b| b == b'\n').unwrap() + 1;
    std::fs::write(copy.join("journal.jsonl"), &j[first_line..]).unwrap();
    let err = orglearn_fails(&[
        "merge",
        s(&dirs[0]),
        s(&copy),
        s(&dirs[2]),
        "--out",
        s(&t.path().join("m3")),
    ]);
    assert!(
        err.contains("shard 2/3") && err.contains("--resume"),
        "{err}"
    );
    // Folders of another sweep are refused.
    let other = t.path().join("other");
    let file = t.path().join("other.toml");
    std::fs::write(&file, sweep_text("lhs", "samples = 3", THREE_LEVERS)).unwrap();
    orglearn(&["sweep", s(&file), "--out", s(&other), "-q"]);
    let err = orglearn_fails(&[
        "merge",
        s(&whole),
        s(&other),
        "--out",
        s(&t.path().join("m4")),
    ]);
    assert!(err.contains("different sweeps"), "{err}");
}

#[test]
fn the_thread_count_changes_no_output_byte() {
    let t = tempdir();
    let (one, two) = (t.path().join("one"), t.path().join("two"));
    orglearn(&["sweep", "smoke", "--out", s(&one), "--threads", "1", "-q"]);
    orglearn(&["sweep", "smoke", "--out", s(&two), "--threads", "2", "-q"]);
    assert_same_results(
        &one,
        &two,
        &[
            "runs.csv",
            "points.csv",
            "journal.jsonl",
            "plan.csv",
            "heatmap.png",
            "regime-map.png",
            "regime-map.svg",
        ],
    );
    let runs = String::from_utf8(read(one.join("runs.csv"))).unwrap();
    assert_eq!(runs.lines().count(), 1 + 40 * 3, "40 runs x 3 strategies");
    assert!(runs.starts_with(
        "run_id,point_id,replicate,seed,landscape.context_weight,landscape.turbulence,strategy,attainment_mean_y0,"
    ));
}

#[test]
fn a_sweep_run_is_the_scenario_run_with_the_runs_seed() {
    // Run 0 of smoke (point 0, replicate 0) equals `orglearn run` of the base
    // scenario with the run's seed and the point's levers.
    let t = tempdir();
    let out = t.path().join("s");
    orglearn(&["sweep", "smoke", "--out", s(&out), "-q"]);
    let runs = String::from_utf8(read(out.join("runs.csv"))).unwrap();
    let row: Vec<&str> = runs.lines().nth(2).unwrap().split(',').collect();
    assert_eq!(row[6], "cascade");
    let seed = row[3];
    let run = t.path().join("run");
    orglearn(&[
        "run",
        "default",
        "--seed",
        seed,
        "--replicates",
        "1",
        "--out",
        s(&run),
        "-q",
        "--no-charts",
        "--set",
        "years=3",
        "--set",
        "burn_in_years=1",
        "--set",
        "sustain_years=1",
        "--set",
        "landscape.n=10",
        "--set",
        "landscape.k=2",
        "--set",
        "schools.schools=12",
        "--set",
        "landscape.context_weight=0",
        "--set",
        "landscape.turbulence=0",
    ]);
    let summary = String::from_utf8(read(run.join("summary.csv"))).unwrap();
    let line = summary
        .lines()
        .find(|l| l.starts_with("cascade,3,attainment_mean,"))
        .expect("a summary row");
    let mean: f64 = line.split(',').nth(4).unwrap().parse().unwrap();
    let swept: f64 = row[8].parse().unwrap();
    assert!((mean - swept).abs() < 1e-5, "{mean} vs {swept}");
}

#[test]
fn analyze_writes_sobol_and_morris_indices() {
    let t = tempdir();
    for (design, sizes, file, head) in [
        (
            "sobol",
            "samples = 4",
            "sobol",
            "lever,S1,S1_conf,ST,ST_conf",
        ),
        (
            "morris",
            "trajectories = 3",
            "morris",
            "lever,mu,mu_star,sigma,mu_star_conf",
        ),
    ] {
        let path = t.path().join(format!("{design}.toml"));
        std::fs::write(&path, sweep_text(design, sizes, THREE_LEVERS)).unwrap();
        let out = t.path().join(design);
        orglearn(&["sweep", s(&path), "--out", s(&out), "-q"]);
        orglearn(&["analyze", s(&out), "-q", "--resamples", "50"]);
        let csv = String::from_utf8(read(out.join(format!("{file}.csv")))).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], head);
        assert_eq!(lines.len(), 4);
        assert!(lines[1].starts_with("landscape.context_weight,"));
        assert!(out.join(format!("{file}.png")).is_file());
    }
    // A grid cannot be analysed, and says so; nor can a folder that is not a sweep's.
    let smoke = t.path().join("smoke");
    orglearn(&["sweep", "smoke", "--out", s(&smoke), "-q", "--no-charts"]);
    let err = orglearn_fails(&["analyze", s(&smoke)]);
    assert!(err.contains("holds a \"grid\" design"), "{err}");
    let err = orglearn_fails(&["analyze", s(&t.path().join("missing"))]);
    assert!(err.contains("manifest.json"), "{err}");
}

/// Write `text` as a sweep file and return the error of opening it.
fn error_of(text: &str) -> (String, String) {
    let t = tempdir();
    let path = t.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let err = Sweep::open(path.to_str().unwrap())
        .expect_err("an error")
        .to_string();
    (err, path.display().to_string())
}

#[test]
fn bad_sweep_files_are_reported_with_file_line_and_column() {
    let base = "name = \"bad\"\nscenario = \"minimal\"\ndesign = \"random\"\nsamples = 4\n";
    let cases: [(&str, &str); 8] = [
        (
            "[[lever]]\nkey = \"landscape.context_weigth\"\nmin = 0.0\nmax = 1.0\n",
            ":6:7: key `lever.key`: unknown lever `landscape.context_weigth` (did you mean `landscape.context_weight`?)",
        ),
        (
            "[[lever]]\nkey = \"landscape.context_weight\"\nmin = 0.0\nmax = 1.5\n",
            ":8:7: key `landscape.context_weight`: `max = 1.5` is out of range: expected a number from 0 to 1",
        ),
        (
            "[[lever]]\nkey = \"network.kind\"\nvalues = [\"ring\", \"rnig\"]\n",
            ":7:19: key `network.kind`: \"rnig\" is not allowed: expected one of \"clusters\"",
        ),
        (
            "replicats = 3\n",
            ":5:1: key `replicats`: unknown top-level key (did you mean \"replicates\"?)",
        ),
        (
            "[[lever]]\nkey = \"years\"\nvalues = [3, 4]\n",
            ":6:7: key `lever.key`: `years` is a run setting and cannot be varied (fix it under [set] instead)",
        ),
        (
            "strategies = [\"tri-levl\"]\n",
            ":5:15: key `strategies`: the base scenario has no strategy \"tri-levl\" (did you mean \"tri-level\"?)",
        ),
        (
            "[record]\nindicators = [\"atainment_mean\"]\n",
            ":6:15: key `record.indicators`: unknown indicator \"atainment_mean\" (did you mean \"attainment_mean\"?)",
        ),
        (
            "[[lever]]\nkey = \"landscape.context_weight\"\nmin = 0.0\nmax = 1.0\nsteps = 3\n",
            ":9:9: key `landscape.context_weight`: `steps` sets the values of a grid",
        ),
    ];
    for (extra, want) in cases {
        let (err, path) = error_of(&format!("{base}{extra}"));
        assert!(
            err.contains(&format!("{path}{want}")),
            "want `{want}` in:\n{err}"
        );
    }
    // A point whose scenario breaks a scenario rule (k < n) points at its lever.
    let t = tempdir();
    let path = t.path().join("points.toml");
    std::fs::write(
        &path,
        format!("{base}[[lever]]\nkey = \"landscape.k\"\nmin = 10\nmax = 12\n"),
    )
    .unwrap();
    let err = orglearn_fails(&[
        "sweep",
        s(&path),
        "--out",
        s(&t.path().join("o")),
        "--dry-run",
    ]);
    let want = format!(
        "{}:6:7: key `landscape.k`: at point 0 (landscape.k = ",
        path.display()
    );
    assert!(
        err.contains(&want) && err.contains("is too large: expected k < n"),
        "want `{want}` in:\n{err}"
    );
    // A design needs its sizes; a grid needs values; invalid TOML is located.
    let (err, path) =
        error_of("design = \"sobol\"\n[[lever]]\nkey = \"landscape.k\"\nmin = 1\nmax = 2\n");
    assert!(
        err.contains(&format!(
            "{path}:1:10: key `design`: design \"sobol\" needs `samples`"
        )),
        "{err}"
    );
    let (err, path) =
        error_of("scenario = \"minimal\"\n[[lever]]\nkey = \"landscape.k\"\nmin = 1\nmax = 2\n");
    assert!(
        err.contains(&format!(
            "{path}:4:7: key `landscape.k`: a grid needs the lever's values"
        )),
        "{err}"
    );
    let (err, path) = error_of("design = \"grid\"\nsamples = [\n");
    assert!(
        err.contains(&format!("{path}:2:")) && err.contains("invalid TOML"),
        "{err}"
    );
    let (err, path) = error_of("design = \"latin\"\n");
    assert!(
        err.contains(&format!(
            "{path}:1:10: key `design`: \"latin\" is not a design"
        )),
        "{err}"
    );
    // Every problem is reported, one per line.
    let (err, _) = error_of("desing = \"grid\"\nreplicates = 0\n");
    assert_eq!(err.lines().count(), 2, "{err}");
}

#[test]
fn built_in_sweeps_are_listed_and_the_smoke_sweep_is_small() {
    let names: Vec<String> = orglearn::sweep::list_lines()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["smoke", "regime-map", "sobol-main"]);
    for n in &names {
        let (sw, _) = Sweep::open(n).unwrap();
        let plan = Plan::new(&sw);
        assert!(plan.n_runs() <= 3000, "{n}: {} runs", plan.n_runs());
    }
    let (smoke, _) = Sweep::open("smoke").unwrap();
    assert_eq!(Plan::new(&smoke).n_runs(), 40);
}

#[test]
fn a_lever_of_an_authority_table_can_be_swept() {
    let text = r#"scenario = "learning-project"
design = "grid"
replicates = 1
strategies = ["own-mix"]
[[lever]]
key = "strategy.own-mix.authority.2.cpd_hours"
values = [10, 70]
"#;
    let sw = parse(text);
    let plan = Plan::new(&sw);
    let ids: Vec<u64> = (0..plan.n_runs()).collect();
    let scs = orglearn::sweep::point_scenarios(&sw, &plan, &ids).unwrap();
    let base = orglearn::scenario::Scenario::open(Some("learning-project"), &[]).unwrap();
    let own = |sc: &orglearn::scenario::Scenario| {
        sc.strategies
            .iter()
            .find(|s| s.name == "own-mix")
            .unwrap()
            .clone()
    };
    for (p, hours) in [(0u64, 10.0), (1, 70.0)] {
        let st = own(&scs[&p]);
        assert_eq!(st.groups[1].levers.cpd_hours, hours);
        // Only that table changes.
        let mut expected = own(&base);
        expected.groups[1].levers.cpd_hours = hours;
        expected.groups[1].overrides = st.groups[1].overrides.clone();
        assert_eq!(st, expected);
    }
    let (msg, _) = error_of(&text.replace("authority.2.", "authority.4."));
    assert!(
        msg.contains("has 3 [[strategy.authority]] table(s)"),
        "{msg}"
    );
}
