//! The SLURM deployment on a real single-node cluster (`.ci/slurm-test.sh`:
//! installs and starts slurmctld, slurmd and munge, submits the `smoke`
//! sweep as a job array with a dependent merge, and checks the merged
//! results against an unsharded run). It needs root and takes about half a
//! minute, so it runs only when `ORGLEARN_SLURM_TEST=1` is set; otherwise
//! the test passes without doing anything.

use std::process::Command;

#[test]
fn smoke_sweep_as_a_slurm_job_array_merges_into_the_unsharded_results() {
    if std::env::var("ORGLEARN_SLURM_TEST").as_deref() != Ok("1") {
        eprintln!("not run: set ORGLEARN_SLURM_TEST=1 to start a SLURM cluster for this test");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("bash")
        .arg(format!("{root}/.ci/slurm-test.sh"))
        .env("ORGLEARN", env!("CARGO_BIN_EXE_orglearn"))
        .output()
        .expect("bash starts");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the SLURM test failed:\n{text}");
    assert!(
        text.contains("slurm-test: OK") || text.contains("SKIPPED: slurm-test"),
        "{text}"
    );
    eprintln!("{text}");
}
