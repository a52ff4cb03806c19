//! Runs the `orglearn` binary in a temporary folder and captures what it
//! printed. Shared by the command-line and determinism tests.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The longest any single command may take before the test fails.
pub const LIMIT: Duration = Duration::from_secs(300);

/// What one command did.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// The command line, for messages.
    pub line: String,
}

impl Output {
    /// Panics unless the command exited 0.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert!(
            self.status.success(),
            "`{}` failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            self.line,
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics unless the command exited non-zero (and was not killed).
    #[track_caller]
    pub fn fails(self) -> Self {
        assert!(
            !self.status.success(),
            "`{}` should have failed but exited 0:\n--- stdout\n{}\n--- stderr\n{}",
            self.line,
            self.stdout,
            self.stderr
        );
        assert!(
            self.status.code().is_some(),
            "`{}` was killed by a signal ({}):\n{}",
            self.line,
            self.status,
            self.stderr
        );
        self
    }

    /// Panics unless stderr contains every needle.
    #[track_caller]
    pub fn stderr_has(&self, needles: &[&str]) -> &Self {
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "`{}`: stderr should contain {n:?}:\n{}",
                self.line,
                self.stderr
            );
        }
        self
    }

    /// Panics unless stdout contains every needle.
    #[track_caller]
    pub fn stdout_has(&self, needles: &[&str]) -> &Self {
        for n in needles {
            assert!(
                self.stdout.contains(n),
                "`{}`: stdout should contain {n:?}:\n{}",
                self.line,
                self.stdout
            );
        }
        self
    }
}

/// A temporary working folder in which the binary runs.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::Builder::new()
                .prefix("orglearn-cli-")
                .tempdir()
                .expect("create a temporary folder"),
        }
    }

    /// The working folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the working folder.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Write a file (creating its folders) and return its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&p, text).expect("write a file");
        p
    }

    /// Read a file of the working folder as text.
    #[track_caller]
    pub fn read(&self, rel: &str) -> String {
        let p = self.join(rel);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
    }

    /// Read a file of the working folder as bytes.
    #[track_caller]
    pub fn bytes(&self, rel: &str) -> Vec<u8> {
        let p = self.join(rel);
        std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
    }

    /// The sorted file names of a folder of the working folder (empty when
    /// it does not exist).
    pub fn files(&self, rel: &str) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.join(rel)) else {
            return Vec::new();
        };
        let mut v: Vec<String> = rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Run `orglearn ARGS` in the working folder, with no input and a time
    /// limit ([`LIMIT`]).
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Output {
        run_in(self.path(), args)
    }
}

/// Run `orglearn ARGS` in `dir`, capturing its exit status and output.
#[track_caller]
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    let line = format!("orglearn {}", args.join(" "));
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_orglearn"))
        .args(args)
        .current_dir(dir)
        .env_remove("RAYON_NUM_THREADS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{line}`: {e}"));
    // Drain both pipes on their own threads so a chatty child cannot block.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for the child") {
            break s;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{line}` ran longer than {LIMIT:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
        elapsed,
        line,
    }
}

/// Split a CSV line on commas (the outputs quote no field in these tests).
pub fn cells(line: &str) -> Vec<&str> {
    line.split(',').collect()
}
