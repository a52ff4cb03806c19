//! A fuzz target driven by proptest: damaged versions of real inputs
//! (every built-in scenario and sweep, and sample schools and edge files)
//! are fed to the scenario, sweep and CSV readers. Every input must give
//! either a clean error or an accepted value: no panic, and no input may
//! take longer than [`SLOW`]. Accepted schools files are also run on a tiny
//! scenario, so values that pass the reader cannot break the model.
//!
//! Each input is a seed text and one to six mutations (bit flips, inserted
//! bytes or hostile tokens, deleted or repeated ranges, truncation). The
//! random stream is fixed, so the corpus is the same on every run; a failure
//! is shrunk to a small reproducing input. Run with `--nocapture` to see the
//! counts.

use orglearn::network::{read_edge_file, read_schools_file};
use orglearn::scenario::Scenario;
use orglearn::sweep::Sweep;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// An input taking longer than this counts as a hang.
const SLOW: Duration = Duration::from_secs(5);

/// Inputs per target.
const CASES: u32 = 1500;

/// Tokens that often break readers.
const HOSTILE: &[&str] = &[
    "=",
    "[",
    "]]",
    "\"",
    "'''",
    "\n",
    ",",
    "\r\n",
    "[[strategy]]\n",
    "[schools]\n",
    "\u{feff}",
    "1e300",
    "-1e300",
    "1e6",
    "-1",
    "0",
    "NaN",
    "inf",
    "4294967295",
    "18446744073709551616",
    "9999999999",
    "1000000",
    "0.0000001",
    "true",
    "\"\"",
    "{}",
    "\u{0}",
    "é",
];

/// One mutation: `(kind, a, b)` with `a`, `b` positions or choices.
type Mutation = (u8, u32, u32);

fn mutate(seed: &[u8], muts: &[Mutation]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for &(kind, a, b) in muts {
        let len = v.len().max(1);
        let at = a as usize % len;
        let end = (at + b as usize % 64).min(v.len());
        match kind % 8 {
            0 if !v.is_empty() => v[at] ^= 1 << (b % 8),
            1 => {
                let bytes: Vec<u8> = (0..1 + b % 8)
                    .map(|k| (a >> (k % 4)) as u8 ^ b as u8)
                    .collect();
                v.splice(at.min(v.len())..at.min(v.len()), bytes);
            }
            2 if at < v.len() => {
                v.drain(at..end);
            }
            3 => v.truncate(at),
            4 if at < end => {
                let part = v[at..end].to_vec();
                v.splice(end..end, part);
            }
            5 | 6 => {
                let tok = HOSTILE[b as usize % HOSTILE.len()].as_bytes();
                v.splice(at.min(v.len())..at.min(v.len()), tok.iter().copied());
            }
            7 => {
                // A very long value.
                let long = vec![b'7'; 1 + (b as usize % 200_000)];
                v.splice(at.min(v.len())..at.min(v.len()), long);
            }
            _ => {}
        }
    }
    v
}

/// What one target saw.
#[derive(Debug, Default)]
struct Counts {
    tried: usize,
    errors: usize,
    accepted: usize,
    panics: usize,
    timeouts: usize,
}

/// Run every case of one target: `check` returns `Ok(true)` when the input
/// was accepted, `Ok(false)` for a clean error.
fn fuzz(name: &str, seeds: &[Vec<u8>], check: impl Fn(&[u8]) -> bool) -> Counts {
    let counts = Mutex::new(Counts::default());
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = (
        0..seeds.len(),
        prop::collection::vec((any::<u8>(), any::<u32>(), any::<u32>()), 1..7),
    );
    let result = runner.run(&strategy, |(s, muts)| {
        let input = mutate(&seeds[s], &muts);
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&input)));
        let slow = t.elapsed() > SLOW;
        let mut c = counts.lock().unwrap();
        c.tried += 1;
        match outcome {
            Ok(true) => c.accepted += 1,
            Ok(false) => c.errors += 1,
            Err(_) => c.panics += 1,
        }
        if slow {
            c.timeouts += 1;
        }
        let failed = outcome.is_err() || slow;
        drop(c);
        if failed {
            return Err(TestCaseError::fail(format!(
                "{name}: {} on seed {s} with {muts:?} ({} ms): {:?}",
                if slow { "too slow" } else { "panic" },
                t.elapsed().as_millis(),
                String::from_utf8_lossy(&input[..input.len().min(300)])
            )));
        }
        Ok(())
    });
    let c = counts.into_inner().unwrap();
    println!(
        "fuzz {name}: {} inputs tried, {} clean errors, {} accepted, {} panics, {} timeouts",
        c.tried, c.errors, c.accepted, c.panics, c.timeouts
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    c
}

/// A folder with small data files that scenarios may name.
fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schools.csv"), SCHOOLS).unwrap();
    std::fs::write(dir.path().join("edges.csv"), EDGES).unwrap();
    dir
}

const SCHOOLS: &str = "id,authority,context,staff,cohort,intake,x,y,cluster\n\
    a,north,0,30,60,55.5,0.1,0.2,c1\nb,north,1,12,30,40,0.3,0.9,c1\n\
    c,south,0,8,20,70,0.5,0.5,c2\nd,south,1,50,120,35.25,0.9,0.1,c2\n";
const SCHOOLS_NAMED: &str = "id,context,x,y\nA1,urban,0.1,0.1\nB2,rural,0.7,0.2\nC3,urban,1,0\n";
const EDGES: &str = "from,to,trust\na,b,0.5\nb,c,\nc,d,1\n";
const EDGES_INDEX: &str = "from,to\n0,1\n1,2\n3,0\n";

/// Quiet panics: the counts and the shrunk failure say what happened.
fn quiet() {
    std::panic::set_hook(Box::new(|_| {}));
}

#[test]
fn scenario_files() {
    quiet();
    let dir = data_dir();
    let seeds: Vec<Vec<u8>> = orglearn::scenario::builtin::builtins()
        .iter()
        .filter_map(|(n, _)| orglearn::scenario::builtin::builtin(n))
        .map(|t| t.as_bytes().to_vec())
        .chain([
            b"name = \"x\"\n[schools]\nfile = \"schools.csv\"\n[network]\nkind = \"file\"\nfile = \"edges.csv\"\n".to_vec(),
        ])
        .collect();
    let c = fuzz("scenario", &seeds, |bytes| {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return false;
        };
        match Scenario::from_str(text, "fuzz.toml", Some(dir.path().to_path_buf())) {
            Ok(sc) => {
                orglearn::scenario::estimate_memory_bytes(&sc, 2);
                true
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                false
            }
        }
    });
    assert!(c.accepted > 0 && c.errors > 0, "{c:?}");
}

#[test]
fn sweep_files() {
    quiet();
    let seeds: Vec<Vec<u8>> = orglearn::sweep::spec::BUILTINS
        .iter()
        .map(|(_, t)| t.as_bytes().to_vec())
        .collect();
    let c = fuzz("sweep", &seeds, |bytes| {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return false;
        };
        match Sweep::from_str(text, "fuzz-sweep.toml", None) {
            Ok(sw) => {
                sw.column_names();
                true
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                false
            }
        }
    });
    assert!(c.accepted > 0 && c.errors > 0, "{c:?}");
}

/// The tiny scenario an accepted schools file is run on.
fn tiny_run(dir: &Path) -> bool {
    let text = "name = \"f\"\nyears = 1\nsteps_per_year = 1\nreplicates = 1\nburn_in_years = 0\n\
                [landscape]\nn = 6\nk = 1\ncontexts = 4\n[schools]\nfile = \"s.csv\"\n\
                [network]\nkind = \"geographic\"\n[[strategy]]\npreset = \"networked-enquiry\"\n";
    let Ok(sc) = Scenario::from_str(text, "tiny.toml", Some(dir.to_path_buf())) else {
        return false;
    };
    orglearn::runner::run(&sc, true, &|_| {}).is_ok()
}

#[test]
fn schools_files() {
    quiet();
    let seeds = vec![
        SCHOOLS.as_bytes().to_vec(),
        SCHOOLS_NAMED.as_bytes().to_vec(),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.csv");
    let c = fuzz("schools csv", &seeds, |bytes| {
        std::fs::write(&path, bytes).unwrap();
        match read_schools_file(&path) {
            Ok(recs) => {
                if recs.len() <= 200 {
                    tiny_run(dir.path());
                }
                true
            }
            Err(e) => {
                assert!(e.to_string().contains("s.csv"), "{e}");
                false
            }
        }
    });
    assert!(c.accepted > 0 && c.errors > 0, "{c:?}");
}

#[test]
fn edge_files() {
    quiet();
    let seeds = vec![EDGES.as_bytes().to_vec(), EDGES_INDEX.as_bytes().to_vec()];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.csv");
    let ids: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
    let map = orglearn::network::id_map(&ids);
    let c = fuzz("edges csv", &seeds, |bytes| {
        std::fs::write(&path, bytes).unwrap();
        let by_id = read_edge_file(&path, Some(&map), 4);
        let by_index = read_edge_file(&path, None, 4);
        for r in [&by_id, &by_index] {
            if let Err(e) = r {
                assert!(e.to_string().contains("e.csv"), "{e}");
            }
        }
        by_id.is_ok() || by_index.is_ok()
    });
    assert!(c.accepted > 0 && c.errors > 0, "{c:?}");
}
