//! `orglearn calibrate`: recovery of known truths, non-identifiability,
//! thread-count and resume invariance, and clear errors for bad files.

use orglearn::calibrate::{Calibration, engine};
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// A small cascade scenario: a short calibration runs in about a second.
const SCENARIO: &str = r#"
name = "tiny"
seed = 3
years = 6
burn_in_years = 1
replicates = 1
[landscape]
n = 10
k = 2
[schools]
authorities = 2
schools = 10
staff_mean = 12
staff_sd = 3
[[strategy]]
preset = "cascade"
name = "cascade"
tiers = 4
"#;

fn calibration_text(extra_priors: &str, particles: usize, budget: usize) -> String {
    format!(
        r#"
name = "t"
scenario = "tiny.toml"
strategy = "cascade"
seed = 5
[observed]
file = "series.csv"
year0 = 0
[[prior]]
key = "schools.practice_effect"
min = 5
max = 80
{extra_priors}
[abc]
particles = {particles}
runs = 2
budget = {budget}
"#
    )
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A series made by the model at `practice_effect = truth` (mean of 4 runs
/// with a seed of its own), se 0.5.
fn synthetic(dir: &Path, truth: f64, seed: u64) -> String {
    write(dir, "tiny.toml", SCENARIO);
    write(dir, "series.csv", "year,value,se\n0,50,1\n1,50,1\n2,50,1\n");
    let text = calibration_text("", 8, 10_000);
    write(dir, "cal.toml", &text);
    let (cal, _) = Calibration::open(dir.join("cal.toml").to_str().unwrap()).unwrap();
    let sc = engine::scenario_at(&cal, &[truth]).unwrap();
    let runs = engine::simulate(&sc, Some(0), seed, 4, 6).unwrap();
    let spy = sc.run.steps_per_year as usize;
    let mut csv = String::from("year,value,se\n");
    for y in 0..=6 {
        let m: f64 = runs
            .iter()
            .map(|r| orglearn::output::year_value(&r.record.rows, spy, y, 0))
            .sum::<f64>()
            / runs.len() as f64;
        csv += &format!("{y},{m},0.5\n");
    }
    csv
}

fn fit(dir: &Path, text: &str, threads: usize) -> engine::Fit {
    write(dir, "cal.toml", text);
    let (cal, text) = Calibration::open(dir.join("cal.toml").to_str().unwrap()).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let out = dir.join(format!("out-{threads}"));
    let _ = std::fs::remove_dir_all(&out);
    let stop = AtomicBool::new(false);
    pool.install(|| {
        engine::run(
            &cal,
            &text,
            cal.observed.years.len(),
            &out,
            false,
            &stop,
            &|_| {},
        )
    })
    .unwrap()
}

fn summary(dir: &Path, f: &engine::Fit) -> Vec<orglearn::calibrate::summary::ParamSummary> {
    let (cal, _) = Calibration::open(dir.join("cal.toml").to_str().unwrap()).unwrap();
    orglearn::calibrate::summary::summarise(&f.population, &cal.all_priors())
}

#[test]
fn credible_intervals_cover_known_truths_at_about_their_rate() {
    let truths = 20;
    let mut inside = 0;
    for i in 0..truths {
        let dir = tempfile::tempdir().unwrap();
        let truth = 15.0 + 55.0 * (i as f64 + 0.5) / truths as f64;
        let series = synthetic(dir.path(), truth, 1000 + i as u64);
        write(dir.path(), "series.csv", &series);
        let f = fit(dir.path(), &calibration_text("", 20, 400), 2);
        let p = &summary(dir.path(), &f)[0];
        if p.lo <= truth && truth <= p.hi {
            inside += 1;
        }
    }
    // Nominal 90%: 18 of 20; fewer than 14 would be a real failure of
    // calibration (binomial probability below 1% at the nominal rate).
    assert!(
        inside >= 14,
        "{inside} of {truths} intervals hold the truth"
    );
}

#[test]
fn a_lever_without_effect_keeps_its_prior_and_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let series = synthetic(dir.path(), 40.0, 77);
    write(dir.path(), "series.csv", &series);
    // The cascade does not use the network: p_between cannot matter.
    let extra = "[[prior]]\nkey = \"network.between_ties\"\nmin = 0\nmax = 0.5\n";
    let f = fit(dir.path(), &calibration_text(extra, 30, 900), 2);
    let params = summary(dir.path(), &f);
    assert!(params[1].contraction < 0.35, "{:?}", params[1]);
    assert!(params[0].contraction > params[1].contraction);
    let warnings = orglearn::calibrate::summary::warnings(&f.population, &params);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("does not identify network.between_ties")),
        "{warnings:?}"
    );
}

#[test]
fn the_posterior_does_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let series = synthetic(dir.path(), 40.0, 9);
    write(dir.path(), "series.csv", &series);
    let text = calibration_text("", 10, 120);
    let a = fit(dir.path(), &text, 1);
    let b = fit(dir.path(), &text, 2);
    assert!(a.generations.len() >= 2);
    assert_eq!(a.population, b.population);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out-1/generations/gen-001.csv")).unwrap(),
        std::fs::read_to_string(dir.path().join("out-2/generations/gen-001.csv")).unwrap()
    );
}

#[test]
fn resuming_after_kill_9_gives_the_same_posterior() {
    let dir = tempfile::tempdir().unwrap();
    let series = synthetic(dir.path(), 40.0, 11);
    write(dir.path(), "series.csv", &series);
    write(dir.path(), "cal.toml", &calibration_text("", 30, 600));
    let exe = env!("CARGO_BIN_EXE_orglearn");
    let cal = dir.path().join("cal.toml");
    let run = |out: &str, extra: &[&str]| {
        std::process::Command::new(exe)
            .arg("calibrate")
            .arg(&cal)
            .args([
                "--out",
                dir.path().join(out).to_str().unwrap(),
                "--quiet",
                "--threads",
                "2",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let whole = run("whole", &[]);
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    // Kill a second run once a later generation's journal has lines.
    let killed_dir = dir.path().join("killed");
    let mut child = std::process::Command::new(exe)
        .arg("calibrate")
        .arg(&cal)
        .args([
            "--out",
            killed_dir.to_str().unwrap(),
            "--quiet",
            "--threads",
            "2",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let journal = killed_dir.join("generations/journal-002.csv");
    let t0 = std::time::Instant::now();
    loop {
        let lines = std::fs::read_to_string(&journal)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if lines >= 3 || t0.elapsed().as_secs() > 60 {
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let was_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        was_running,
        "the calibration finished before it could be killed"
    );
    assert!(!killed_dir.join("posterior.csv").exists());
    let resumed = run("killed", &["--resume"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("whole/posterior.csv")).unwrap(),
        std::fs::read_to_string(killed_dir.join("posterior.csv")).unwrap()
    );
}

fn error_of(cal: &str, series: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tiny.toml", SCENARIO);
    write(dir.path(), "series.csv", series);
    write(dir.path(), "cal.toml", cal);
    match Calibration::open(dir.path().join("cal.toml").to_str().unwrap()) {
        Ok(_) => panic!("accepted:\n{cal}\n{series}"),
        Err(e) => e.to_string(),
    }
}

const GOOD: &str = "year,value\n0,50\n1,52\n2,53\n3,55\n";

#[test]
fn bad_series_get_clear_errors() {
    let cal = calibration_text("", 10, 200);
    let e = error_of(&cal, "year,value\n0,50\n1,52\n3,53\n");
    assert!(
        e.contains("series.csv:4:1: key `column year`: missing year 2 between 1 and 3"),
        "{e}"
    );
    let e = error_of(&cal, "year,value\n0,50\n1,lots\n2,53\n");
    assert!(
        e.contains("series.csv:3:1: key `column value`: \"lots\" is not a number"),
        "{e}"
    );
    let e = error_of(&cal, "year,value,se\n0,50,1\n1,52,0\n2,53,1\n");
    assert!(
        e.contains("series.csv:3:1: key `column se`: 0: a standard error must be > 0"),
        "{e}"
    );
    let e = error_of(&cal, "when,value\n0,50\n");
    assert!(
        e.contains("expected `year,value` or `year,value,se`"),
        "{e}"
    );
    // The calibration file's line is named too.
    assert!(e.contains("cal.toml:7:8: key `observed.file`"), "{e}");
}

#[test]
fn bad_calibration_files_get_clear_errors() {
    let base = calibration_text("", 10, 200);
    let e = error_of(
        &base.replace("schools.practice_effect", "schools.practise_effect"),
        GOOD,
    );
    assert!(
        e.contains("cal.toml:10:7: key `prior.1.key`: unknown lever `schools.practise_effect`"),
        "{e}"
    );
    assert!(e.contains("did you mean `schools.practice_effect`"), "{e}");
    let e = error_of(&base.replace("max = 80", "max = 180"), GOOD);
    assert!(e.contains("cal.toml:12:7: key `prior.1.max`: 180 is outside the range of `schools.practice_effect`: a prior must lie within a number from 0 to 100"), "{e}");
    let e = error_of(
        &base.replace("strategy = \"cascade\"", "strategy = \"cascde\""),
        GOOD,
    );
    assert!(
        e.contains(
            "key `strategy`: the scenario has no strategy \"cascde\" (did you mean \"cascade\"?)"
        ),
        "{e}"
    );
    let e = error_of(&base.replace("runs = 2", "runs = 2\nrunz = 3"), GOOD);
    assert!(
        e.contains("key `abc.runz`: unknown key in [abc] (did you mean \"runs\"?)"),
        "{e}"
    );
    let e = error_of(&base.replace("budget = 200", "budget = 5"), GOOD);
    assert!(
        e.contains("key `abc.budget`: 5 simulations do not cover the first generation"),
        "{e}"
    );
}

#[test]
fn shipped_calibrations_are_valid() {
    for (name, _) in orglearn::calibrate::spec::BUILTINS {
        let from_file = format!("{}/calibrations/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        Calibration::open(&from_file).unwrap_or_else(|e| panic!("{name}: {e}"));
        Calibration::open(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
