//! What keeps a sweep's folder sound while it runs: a lock file, so two
//! sweeps never write one folder, and the interrupt flag, so Ctrl-C (SIGINT)
//! or SIGTERM lets the runs in flight finish their journal lines, updates the
//! manifest and says how to resume. A second interrupt ends the process at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The lock file's name in a sweep's folder.
pub const LOCK: &str = ".orglearn.lock";

/// A held lock on a folder; released (the file removed) when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Take the lock of `dir` (which must exist). A lock left by a process
    /// that is no longer running is taken over.
    pub fn take(dir: &Path) -> Result<Lock, String> {
        let path = dir.join(LOCK);
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.trim().parse::<u32>().ok());
                    match holder {
                        Some(pid) if crate::outdir::alive(pid) => {
                            return Err(format!(
                                "another orglearn sweep (process {pid}) is writing to {}: wait for it \
                                 to finish, or use another --out (if no such process is running, \
                                 delete {})",
                                dir.display(),
                                path.display()
                            ));
                        }
                        // Its process is gone (or the file is unreadable): take it over.
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
            }
        }
        Err(format!(
            "cannot take the lock {}: another process keeps creating it",
            path.display()
        ))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The interrupt flag: set by SIGINT or SIGTERM once [`watch`] is called.
pub fn flag() -> &'static Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Start watching for SIGINT and SIGTERM: the first sets [`flag`], a second
/// ends the process (exit status 130).
pub fn watch() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            let f = Arc::clone(flag());
            let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&f));
            let _ = signal_hook::flag::register(sig, f);
        }
    });
}

/// The error that stops a sweep's runs after an interrupt.
#[derive(Debug, thiserror::Error)]
#[error("interrupted (Ctrl-C or SIGTERM)")]
pub struct Interrupted;

/// Has an interrupt arrived?
pub fn interrupted() -> bool {
    flag().load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_refused_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let lock = Lock::take(dir.path()).unwrap();
        let e = Lock::take(dir.path()).unwrap_err();
        assert!(e.contains("another orglearn sweep"), "{e}");
        assert!(e.contains(&std::process::id().to_string()), "{e}");
        drop(lock);
        assert!(!dir.path().join(LOCK).exists());
        // A lock of a dead process is taken over.
        std::fs::write(dir.path().join(LOCK), format!("{}\n", u32::MAX - 1)).unwrap();
        assert!(Lock::take(dir.path()).is_ok());
    }
}
