//! The output folder of a run, replaced as a whole.
//!
//! A run writes into a fresh hidden folder beside `--out`
//! (`.NAME.orglearn-new-PID`), made before anything is simulated, so an
//! unwritable `--out` is found at once. When every file is written, the
//! folder takes `--out`'s place: files in the old folder that orglearn did
//! not write (those not listed in its `manifest.json` under `files`) are moved
//! into the new folder first, the old folder is renamed aside and removed, and
//! the new one is renamed into place. So a reader never sees new tables beside
//! an old report, a second run leaves none of the first run's files, and a
//! file of the user's survives. A run that fails leaves `--out` as it was.
//! Folders left behind by a killed run (their process no longer alive) are
//! removed by the next run into the same `--out`.

use std::path::{Path, PathBuf};

/// Why the output folder could not be prepared or put in place.
#[derive(Debug, thiserror::Error)]
#[error("{what} {path}: {source}")]
pub struct OutDirError {
    what: &'static str,
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

fn err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> OutDirError {
    let path = path.to_path_buf();
    move |source| OutDirError { what, path, source }
}

/// A run's output folder being written.
#[derive(Debug)]
pub struct OutDir {
    /// Where the finished folder goes.
    target: PathBuf,
    /// Where files are written meanwhile.
    staging: PathBuf,
    committed: bool,
}

/// `(parent, file name)` of the target folder.
fn split(target: &Path) -> (PathBuf, String) {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    (parent, name)
}

/// Is process `pid` alive? (Linux: `/proc/PID`; elsewhere assume it is.)
pub fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Remove `.NAME.orglearn-new-PID` and `.NAME.orglearn-old-PID` folders
/// beside the target whose process is gone.
fn remove_abandoned(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        for kind in ["new", "old"] {
            let prefix = format!(".{name}.orglearn-{kind}-");
            if let Some(pid) = file
                .strip_prefix(&prefix)
                .and_then(|p| p.parse::<u32>().ok())
                && pid != std::process::id()
                && !alive(pid)
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// The files an earlier orglearn run wrote into `dir`: its manifest's
/// `files` list and the manifest itself. Empty when there is no such
/// manifest (then every file in the folder is kept).
pub fn written_by_orglearn(dir: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else {
        return Vec::new();
    };
    let Ok(m) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    if m.get("program").and_then(|p| p.as_str()) != Some("orglearn") {
        return Vec::new();
    }
    let mut files: Vec<String> = m
        .get("files")
        .and_then(|f| f.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    files.push("manifest.json".into());
    files
}

/// The names of the files in `dir`, sorted, without temporary files.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !is_temporary(n))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Is `name` a temporary file of [`crate::output::atomic_write`] (left by a
/// process killed mid-write)?
pub fn is_temporary(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

impl OutDir {
    /// Make the staging folder beside `target` (and `target`'s parent if
    /// needed). Fails at once when the place is not writable.
    pub fn begin(target: &Path) -> Result<OutDir, OutDirError> {
        let (parent, name) = split(target);
        std::fs::create_dir_all(&parent).map_err(err("cannot create the folder", &parent))?;
        if target.exists() && !target.is_dir() {
            return Err(OutDirError {
                what: "the output folder is a file, not a folder:",
                path: target.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "choose another --out",
                ),
            });
        }
        remove_abandoned(&parent, &name);
        let staging = parent.join(format!(".{name}.orglearn-new-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .map_err(err("cannot clear the temporary folder", &staging))?;
        }
        std::fs::create_dir(&staging).map_err(err(
            "cannot write the output (the folder beside it is not writable)",
            &staging,
        ))?;
        Ok(OutDir {
            target: target.to_path_buf(),
            staging,
            committed: false,
        })
    }

    /// The folder to write into.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The folder the files will have once in place.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The names of the files written so far, sorted.
    pub fn files(&self) -> Vec<String> {
        listing(&self.staging)
    }

    /// Put the finished folder in place of the target (see the module docs).
    pub fn commit(mut self) -> Result<PathBuf, OutDirError> {
        let target = self.target.clone();
        if target.is_dir() {
            let ours = written_by_orglearn(&target);
            let new = self.files();
            let entries = std::fs::read_dir(&target).map_err(err("cannot read", &target))?;
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if ours.contains(&name) || is_temporary(&name) || new.contains(&name) {
                    continue;
                }
                let to = self.staging.join(&name);
                std::fs::rename(e.path(), &to).map_err(err("cannot keep", &e.path()))?;
            }
            let (parent, name) = split(&target);
            let aside = parent.join(format!(".{name}.orglearn-old-{}", std::process::id()));
            std::fs::rename(&target, &aside).map_err(err("cannot move aside", &target))?;
            std::fs::rename(&self.staging, &target).map_err(err("cannot rename", &self.staging))?;
            let _ = std::fs::remove_dir_all(&aside);
        } else {
            std::fs::rename(&self.staging, &target).map_err(err("cannot rename", &self.staging))?;
        }
        self.committed = true;
        Ok(target)
    }
}

impl Drop for OutDir {
    /// A run that failed removes its staging folder and leaves the target as it was.
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(dir: &Path, files: &[&str]) {
        let m = serde_json::json!({ "program": "orglearn", "files": files });
        std::fs::write(dir.join("manifest.json"), m.to_string()).unwrap();
    }

    #[test]
    fn second_run_replaces_the_first_and_keeps_foreign_files() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let first = OutDir::begin(&out).unwrap();
        std::fs::write(first.path().join("a.csv"), "1").unwrap();
        std::fs::write(first.path().join("old-only.png"), "1").unwrap();
        manifest(first.path(), &["a.csv", "old-only.png"]);
        first.commit().unwrap();
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        std::fs::write(out.join(".a.csv.tmp-99999"), "half").unwrap();

        let second = OutDir::begin(&out).unwrap();
        std::fs::write(second.path().join("a.csv"), "2").unwrap();
        manifest(second.path(), &["a.csv"]);
        second.commit().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.csv", "manifest.json", "notes.txt"]);
        assert_eq!(std::fs::read_to_string(out.join("a.csv")).unwrap(), "2");
        // Nothing is left beside it.
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_run_leaves_the_folder_as_it_was() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("a.csv"), "old").unwrap();
        {
            let d = OutDir::begin(&out).unwrap();
            std::fs::write(d.path().join("a.csv"), "new").unwrap();
        }
        assert_eq!(std::fs::read_to_string(out.join("a.csv")).unwrap(), "old");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_unwritable_place_fails_before_anything_runs() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, "").unwrap();
        let e = OutDir::begin(&file.join("out")).unwrap_err().to_string();
        assert!(e.contains("cannot create the folder"), "{e}");
        let e = OutDir::begin(&file).unwrap_err().to_string();
        assert!(e.contains("is a file"), "{e}");
    }

    #[test]
    fn abandoned_staging_folders_of_dead_processes_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dead = tmp
            .path()
            .join(format!(".out.orglearn-new-{}", u32::MAX - 1));
        std::fs::create_dir(&dead).unwrap();
        let d = OutDir::begin(&tmp.path().join("out")).unwrap();
        assert!(!dead.exists());
        d.commit().unwrap();
    }
}
