//! Build script: the version string carries the git commit the program was
//! built from and whether the working tree had uncommitted changes, as
//! `0.1.0 (abc123def456)` or `0.1.0 (abc123def456, modified)`. Built outside
//! a git checkout (a source archive, or no `git` installed), it is
//! `0.1.0 (commit unknown)`.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let pkg = env!("CARGO_PKG_VERSION");
    let version = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) if !commit.is_empty() => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{pkg} ({commit}, modified)")
            } else {
                format!("{pkg} ({commit})")
            }
        }
        _ => format!("{pkg} (commit unknown)"),
    };
    println!("cargo:rustc-env=ORGLEARN_VERSION={version}");
    // Run again when the commit or the tracked files change.
    for p in [
        "build.rs",
        "Cargo.toml",
        "src",
        "scenarios",
        "sweeps",
        "assets",
    ] {
        println!("cargo:rerun-if-changed={p}");
    }
    let mut watched = vec![
        "HEAD".to_string(),
        "index".to_string(),
        "packed-refs".to_string(),
    ];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for what in watched {
        // A path that does not exist would make every build run this again.
        if let Some(p) = git(&["rev-parse", "--git-path", &what])
            && std::path::Path::new(&p).exists()
        {
            println!("cargo:rerun-if-changed={p}");
        }
    }
}
