//! Provenance: what a result was made from. The program's version, the
//! command line, the thread count and the SHA-256 of every input file (the
//! scenario or sweep file, and the schools and edge files they name), for the
//! manifests, and a digest of the inputs' contents for the sweep fingerprint.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use crate::scenario::Scenario;

/// One input file: what it is, its path as given, and its SHA-256 (hex).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputFile {
    /// `scenario`, `sweep`, `schools` or `edges`.
    pub role: String,
    pub path: String,
    pub sha256: String,
}

/// SHA-256 of bytes, as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file's contents (streamed).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// A path of a scenario, resolved against its folder.
pub fn resolve(sc: &Scenario, file: &str) -> PathBuf {
    let p = Path::new(file);
    match &sc.dir {
        Some(d) if p.is_relative() => d.join(p),
        _ => p.to_path_buf(),
    }
}

/// The data files a scenario reads: its schools file and its edge list.
/// A file that cannot be read gets the hash `unreadable` (the run reports
/// the error itself).
pub fn data_files(sc: &Scenario) -> Vec<InputFile> {
    let mut out = Vec::new();
    for (role, file, used) in [
        ("schools", &sc.schools.file, true),
        ("edges", &sc.network.file, sc.network.kind == "file"),
    ] {
        if used && !file.is_empty() {
            let full = resolve(sc, file);
            out.push(InputFile {
                role: role.into(),
                path: full.display().to_string(),
                sha256: sha256_file(&full).unwrap_or_else(|_| "unreadable".into()),
            });
        }
    }
    out
}

/// Every input file of a scenario run: the scenario file itself (when it
/// is a file, not a built-in) and its data files.
pub fn scenario_inputs(sc: &Scenario) -> Vec<InputFile> {
    let mut out = Vec::new();
    let p = Path::new(&sc.source);
    if !sc.source.starts_with("built-in:") && p.is_file() {
        out.push(InputFile {
            role: "scenario".into(),
            path: sc.source.clone(),
            sha256: sha256_file(p).unwrap_or_else(|_| "unreadable".into()),
        });
    }
    out.extend(data_files(sc));
    out
}

/// The provenance block of a manifest.
pub fn block(threads: usize, inputs: &[InputFile]) -> serde_json::Value {
    serde_json::json!({
        "program": "orglearn",
        "version": env!("CARGO_PKG_VERSION"),
        "command_line": std::env::args().collect::<Vec<_>>(),
        "threads": threads,
        "input_files": inputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_and_file_digest_agree() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(sha256_file(&p).unwrap(), sha256_hex(b"abc"));
    }

    #[test]
    fn inputs_list_the_scenario_and_its_schools_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.csv"), "id\na\nb\n").unwrap();
        let toml = dir.path().join("sc.toml");
        std::fs::write(&toml, "name = \"t\"\n[schools]\nfile = \"s.csv\"\n").unwrap();
        let sc = Scenario::load(&toml).unwrap();
        let got = scenario_inputs(&sc);
        let roles: Vec<&str> = got.iter().map(|f| f.role.as_str()).collect();
        assert_eq!(roles, ["scenario", "schools"]);
        assert_eq!(got[1].sha256, sha256_hex(b"id\na\nb\n"));
        // Another content, another hash.
        std::fs::write(dir.path().join("s.csv"), "id\na\nc\n").unwrap();
        assert_ne!(data_files(&sc)[0].sha256, got[1].sha256);
    }
}
