//! Determinism and common random numbers: results depend on the scenario
//! and the seed only, never on the thread count, the other strategies of
//! the scenario, or the number of replicates.

mod common_cli;

use common_cli::Sandbox;
use orglearn::model::{N_IND, NAMES};
use orglearn::runner::{self, Results};
use orglearn::scenario::Scenario;

/// `default` (all six presets) made small.
const SMALL_DEFAULT: &[&str] = &[
    "years=2",
    "replicates=3",
    "schools.schools=24",
    "burn_in_years=1",
];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn open(name: &str, sets: &[&str]) -> Scenario {
    Scenario::open(Some(name), &strings(sets)).unwrap_or_else(|e| panic!("{e}"))
}

fn parse(text: &str) -> Scenario {
    Scenario::from_str(text, "t.toml", None).unwrap_or_else(|e| panic!("{e}"))
}

/// Run `sc` on a pool of `threads` threads.
fn run_on(sc: &Scenario, threads: usize, per_school: bool) -> Results {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| runner::run(sc, per_school, &|_| {}))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The recorded rows of strategy `name`, replicate by replicate, as bits.
fn rows_of(sc: &Scenario, res: &Results, name: &str) -> Vec<Vec<u64>> {
    let s = sc
        .strategies
        .iter()
        .position(|st| st.name == name)
        .unwrap_or_else(|| panic!("no strategy {name}"));
    let mut runs: Vec<_> = res.runs.iter().filter(|r| r.strategy == s).collect();
    runs.sort_by_key(|r| r.replicate);
    assert_eq!(runs.len(), sc.run.replicates as usize);
    runs.iter().map(|r| bits(&r.record.rows)).collect()
}

/// One run as bits: strategy, replicate, indicator rows, per-school rows.
type RunBits = (usize, u32, Vec<u64>, Vec<[u64; 6]>);

/// Every number of a result, in output order, as bits.
fn fingerprint(res: &Results) -> Vec<RunBits> {
    res.runs
        .iter()
        .map(|r| {
            let schools = r
                .record
                .per_school
                .iter()
                .map(|p| {
                    [
                        u64::from(p.step),
                        u64::from(p.school),
                        p.attainment.to_bits(),
                        p.quality.to_bits(),
                        p.capacity.to_bits(),
                        p.ownership.to_bits(),
                    ]
                })
                .collect();
            (r.strategy, r.replicate, bits(&r.record.rows), schools)
        })
        .collect()
}

/// Names of the indicators where two rows (of bits) differ, for messages.
fn differing(a: &[u64], b: &[u64]) -> Vec<String> {
    let mut out = Vec::new();
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        if x != y {
            out.push(format!(
                "step {} {}: {} vs {}",
                k / N_IND,
                NAMES[k % N_IND],
                f64::from_bits(*x),
                f64::from_bits(*y)
            ));
        }
    }
    out.truncate(5);
    out
}

#[track_caller]
fn same_rows(a: &[Vec<u64>], b: &[Vec<u64>], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: replicate counts differ");
    for (r, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            x == y,
            "{what}: replicate {r} differs: {:?}",
            differing(x, y)
        );
    }
}

// ------------------------------------------------------- thread counts

#[test]
fn library_results_are_bit_identical_across_thread_counts() {
    let sc = open("default", SMALL_DEFAULT);
    assert_eq!(sc.strategies.len(), 6);
    let reference = run_on(&sc, 1, true);
    let fp = fingerprint(&reference);
    assert_eq!(fp.len(), 6 * 3);
    assert!(fp.iter().all(|(_, _, _, s)| s.len() == 7 * 24));
    let facts = serde_json::to_string(&reference.worlds).unwrap();
    for threads in [2, 3, 4] {
        let res = run_on(&sc, threads, true);
        let other = fingerprint(&res);
        for (a, b) in fp.iter().zip(&other) {
            assert_eq!((a.0, a.1), (b.0, b.1), "plan order, {threads} threads");
            assert!(
                a.2 == b.2,
                "strategy {} replicate {} on {threads} threads: {:?}",
                a.0,
                a.1,
                differing(&a.2, &b.2)
            );
            assert!(
                a.3 == b.3,
                "per-school rows of strategy {} replicate {} differ on {threads} threads",
                a.0,
                a.1
            );
        }
        assert_eq!(fp.len(), other.len());
        assert_eq!(serde_json::to_string(&res.worlds).unwrap(), facts);
    }
}

#[test]
fn output_files_are_byte_identical_across_thread_counts() {
    let sb = Sandbox::new();
    let mut sets = Vec::new();
    for s in SMALL_DEFAULT {
        sets.extend(["--set", s]);
    }
    for threads in ["1", "2", "3"] {
        let out = format!("t{threads}");
        let mut argv = vec![
            "run",
            "default",
            "--out",
            &out,
            "--quiet",
            "--no-charts",
            "--per-school",
            "--threads",
            threads,
        ];
        argv.extend(&sets);
        sb.run(&argv).ok();
    }
    for file in ["indicators.csv", "summary.csv", "schools.csv"] {
        let one = sb.bytes(&format!("t1/{file}"));
        assert!(one.len() > 1000, "{file} is nearly empty");
        for threads in ["2", "3"] {
            assert!(
                one == sb.bytes(&format!("t{threads}/{file}")),
                "{file} differs between 1 and {threads} threads"
            );
        }
    }
    // The manifest differs only in run facts (time, threads, command line).
    let m1: serde_json::Value = serde_json::from_str(&sb.read("t1/manifest.json")).unwrap();
    let m3: serde_json::Value = serde_json::from_str(&sb.read("t3/manifest.json")).unwrap();
    assert_eq!(m1["scenario"], m3["scenario"]);
    assert_eq!(m1["worlds"], m3["worlds"]);
    assert_eq!(m1["threads"], 1);
    assert_eq!(m3["threads"], 3);
}

#[test]
fn charts_are_byte_identical_across_thread_counts() {
    let sb = Sandbox::new();
    for threads in ["1", "2"] {
        let out = format!("t{threads}");
        sb.run(&[
            "run",
            "minimal",
            "--out",
            &out,
            "--quiet",
            "--threads",
            threads,
            "--set",
            "years=2",
        ])
        .ok();
    }
    for f in sb.files("t1") {
        if f.ends_with(".png") || f.ends_with(".svg") {
            assert!(
                sb.bytes(&format!("t1/{f}")) == sb.bytes(&format!("t2/{f}")),
                "{f} differs between 1 and 2 threads"
            );
        }
    }
}

// ---------------------------------------------- common random numbers

/// A small scenario with the given `[[strategy]]` tables.
fn with_strategies(seed: u64, strategies: &[(&str, &str)]) -> Scenario {
    let mut text = format!(
        "name = \"crn\"\nseed = {seed}\nyears = 2\nreplicates = 3\nburn_in_years = 1\n\
         [landscape]\nn = 10\nk = 2\n[schools]\nschools = 18\n"
    );
    for (name, preset) in strategies {
        text.push_str(&format!(
            "[[strategy]]\nname = \"{name}\"\npreset = \"{preset}\"\n"
        ));
    }
    parse(&text)
}

#[test]
fn identical_strategies_give_identical_rows() {
    for preset in ["tri-level", "networked-enquiry", "cascade", "status-quo"] {
        let sc = with_strategies(5, &[("a", preset), ("b", preset)]);
        let res = run_on(&sc, 2, false);
        same_rows(
            &rows_of(&sc, &res, "a"),
            &rows_of(&sc, &res, "b"),
            &format!("two copies of {preset}"),
        );
    }
}

#[test]
fn adding_a_strategy_does_not_change_the_others() {
    let pair = with_strategies(11, &[("a", "tri-level"), ("b", "networked-enquiry")]);
    let base = run_on(&pair, 2, false);
    let (a, b) = (rows_of(&pair, &base, "a"), rows_of(&pair, &base, "b"));
    // Different strategies do give different results.
    assert_ne!(a, b);

    let appended = with_strategies(
        11,
        &[
            ("a", "tri-level"),
            ("b", "networked-enquiry"),
            ("c", "cascade"),
        ],
    );
    let res = run_on(&appended, 3, false);
    same_rows(&rows_of(&appended, &res, "a"), &a, "a after adding c");
    same_rows(&rows_of(&appended, &res, "b"), &b, "b after adding c");

    let prepended = with_strategies(
        11,
        &[
            ("c", "cascade"),
            ("a", "tri-level"),
            ("b", "networked-enquiry"),
        ],
    );
    let res = run_on(&prepended, 1, false);
    same_rows(&rows_of(&prepended, &res, "a"), &a, "a after c in front");
    same_rows(&rows_of(&prepended, &res, "b"), &b, "b after c in front");
}

#[test]
fn strategies_share_year_zero() {
    let sc = open("default", SMALL_DEFAULT);
    let res = run_on(&sc, 2, false);
    let first = rows_of(&sc, &res, "status-quo");
    for st in &sc.strategies {
        let rows = rows_of(&sc, &res, &st.name);
        for (r, (x, y)) in rows.iter().zip(&first).enumerate() {
            let att = NAMES.iter().position(|n| *n == "attainment_mean").unwrap();
            assert_eq!(
                x[att], y[att],
                "{} replicate {r}: year-0 attainment differs from status-quo",
                st.name
            );
        }
    }
}

#[test]
fn replicates_do_not_depend_on_how_many_run() {
    let few = open("minimal", &["years=2", "replicates=2"]);
    let more = open("minimal", &["years=2", "replicates=4"]);
    let a = run_on(&few, 2, false);
    let b = run_on(&more, 2, false);
    let (ra, rb) = (
        rows_of(&few, &a, "tri-level"),
        rows_of(&more, &b, "tri-level"),
    );
    same_rows(&ra, &rb[..2], "the first two of four replicates");
    assert_ne!(rb[0], rb[1], "replicates must differ from each other");
}

#[test]
fn a_different_seed_changes_the_results() {
    let one = with_strategies(1, &[("a", "tri-level")]);
    let two = with_strategies(2, &[("a", "tri-level")]);
    let (r1, r2) = (run_on(&one, 2, false), run_on(&two, 2, false));
    let (x, y) = (rows_of(&one, &r1, "a"), rows_of(&two, &r2, "a"));
    for r in 0..x.len() {
        assert_ne!(x[r], y[r], "replicate {r} is the same under seeds 1 and 2");
    }
    // And the same seed again gives the same rows.
    let again = run_on(&one, 3, false);
    same_rows(&rows_of(&one, &again, "a"), &x, "seed 1 twice");
}

#[test]
fn the_cli_seed_flag_changes_and_reproduces_results() {
    let sb = Sandbox::new();
    let base = [
        "run",
        "minimal",
        "--quiet",
        "--no-charts",
        "--set",
        "years=1",
    ];
    for (out, seed) in [("s1", "1"), ("s1b", "1"), ("s2", "2")] {
        let mut argv = base.to_vec();
        argv.extend(["--out", out, "--seed", seed]);
        sb.run(&argv).ok();
    }
    let s1 = sb.bytes("s1/indicators.csv");
    assert_eq!(s1, sb.bytes("s1b/indicators.csv"));
    assert_ne!(s1, sb.bytes("s2/indicators.csv"));
}

/// Each replicate reaches the `replicate` hook once, with the very runs the
/// final results hold, whatever the thread count; the final results equal
/// those of a run without hooks.
#[test]
fn replicate_hook_delivers_each_replicate_once_with_the_final_runs() {
    let sc = open("default", SMALL_DEFAULT);
    let plain = run_on(&sc, 1, false);
    for threads in [1, 2, 3] {
        let seen = std::sync::Mutex::new(Vec::new());
        let hook = |rep: &runner::Replicate| {
            let runs: Vec<RunBits> = rep
                .runs
                .iter()
                .map(|r| (r.strategy, r.replicate, bits(&r.record.rows), Vec::new()))
                .collect();
            seen.lock().unwrap().push((rep.facts.replicate, runs));
        };
        let res = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                runner::run_with(
                    &sc,
                    false,
                    &runner::Hooks {
                        replicate: Some(&hook),
                        ..runner::Hooks::default()
                    },
                )
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let mut seen = seen.into_inner().unwrap();
        seen.sort_by_key(|(r, _)| *r);
        let reps: Vec<u32> = seen.iter().map(|(r, _)| *r).collect();
        assert_eq!(reps, (0..sc.run.replicates).collect::<Vec<_>>());
        let delivered: Vec<RunBits> = seen.into_iter().flat_map(|(_, runs)| runs).collect();
        let fin: Vec<RunBits> = res
            .runs
            .iter()
            .map(|r| (r.strategy, r.replicate, bits(&r.record.rows), Vec::new()))
            .collect();
        let plain: Vec<RunBits> = plain
            .runs
            .iter()
            .map(|r| (r.strategy, r.replicate, bits(&r.record.rows), Vec::new()))
            .collect();
        assert_eq!(
            delivered, fin,
            "{threads} threads: the hook saw the final runs"
        );
        assert_eq!(fin, plain, "{threads} threads: hooks change nothing");
    }
}

/// Raising the cancellation flag stops the run: no replicate starts after
/// it, and the run ends with `Cancelled` rather than partial results.
#[test]
fn cancellation_stops_before_the_next_replicate() {
    let sc = open(
        "default",
        &[
            "years=2",
            "replicates=12",
            "schools.schools=24",
            "burn_in_years=1",
        ],
    );
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let delivered = std::sync::atomic::AtomicUsize::new(0);
    let hook = |_: &runner::Replicate| {
        delivered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        cancel.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let out = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| {
            runner::run_with(
                &sc,
                false,
                &runner::Hooks {
                    replicate: Some(&hook),
                    cancel: Some(&cancel),
                    ..runner::Hooks::default()
                },
            )
        });
    assert!(matches!(out, Err(runner::RunError::Cancelled)), "{out:?}");
    // On one thread replicates run one after another: the first one raised
    // the flag, so no other replicate was computed.
    assert_eq!(delivered.load(std::sync::atomic::Ordering::SeqCst), 1);
}
