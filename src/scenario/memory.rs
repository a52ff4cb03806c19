//! A conservative estimate of the memory a scenario needs, checked against
//! the memory available before anything is built.
//!
//! The estimate is a sum of sizes per entity, on the high side: teachers
//! (about 40 bytes each), schools (about 200 bytes), network edges (about 32
//! bytes each, counted from the network kind's expected degree) and the
//! landscape (a table of `2^n` 4-byte effectiveness values per context when
//! `n <= 20`, and the contribution tables). A run holds one such state; at
//! most `threads` runs are alive at once, plus the shared world (landscape,
//! schools, network and burn-in state) of every replicate in flight. Stored
//! indicators add 80 numbers of 8 bytes per step, strategy and replicate.

use super::{Scenario, ScenarioError};

/// Bytes per teacher of run state (practice, prior values, ids).
const TEACHER_BYTES: f64 = 40.0;
/// Bytes per school of run state (code, capacity, results, ...).
const SCHOOL_BYTES: f64 = 200.0;
/// Bytes per network edge (adjacency both ways and trust).
const EDGE_BYTES: f64 = 32.0;
/// Indicators stored per step, strategy and replicate.
const INDICATORS: f64 = 80.0;
/// Safety factor over the sum (allocator slack, scratch buffers).
const SLACK: f64 = 1.25;
/// The program itself.
const BASE_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// The parts of the estimate, in bytes.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    schools: f64,
    teachers: f64,
    edges: f64,
    /// One run's state, landscape included.
    run: f64,
    runs_alive: f64,
    worlds_alive: f64,
    indicators: f64,
    total: f64,
}

/// Expected edges of one authority's network of `s` schools.
fn edges_per_authority(sc: &Scenario, s: f64) -> f64 {
    let net = &sc.network;
    let pairs = s * (s - 1.0).max(0.0) / 2.0;
    match net.kind.as_str() {
        "clusters" => {
            let c = f64::from(net.cluster_size).min(s).max(1.0);
            let within = s * (c - 1.0) / 2.0 * net.p_within;
            let between = ((pairs - s * (c - 1.0) / 2.0).max(0.0)).min(s * net.between_ties / 2.0);
            within + between
        }
        "geographic" => pairs * (std::f64::consts::PI * net.radius * net.radius).min(1.0),
        "small-world" => s * f64::from(net.sw_degree) / 2.0,
        "scale-free" => s * f64::from(net.sf_m),
        "complete" => pairs,
        "ring" => s,
        "none" => 0.0,
        // An edge list: at most one edge per 4 bytes of the file; if it
        // cannot be read yet, assume a dense-ish network.
        _ => {
            let path = match &sc.dir {
                Some(d) => d.join(&net.file),
                None => std::path::PathBuf::from(&net.file),
            };
            std::fs::metadata(path).map_or(s * 20.0, |m| m.len() as f64 / 4.0)
        }
    }
}

/// Schools, authorities and teachers of a scenario's schools file, when it
/// has one that can be read (a file that cannot be read is reported on its
/// own when the world is built).
fn file_counts(sc: &Scenario) -> Option<(f64, f64, f64)> {
    if sc.schools.file.is_empty() {
        return None;
    }
    let full = crate::provenance::resolve(sc, &sc.schools.file);
    let recs = crate::network::read_schools_file(&full).ok()?;
    let drawn = (sc.schools.staff_mean + sc.schools.staff_sd).max(3.0);
    let teachers: f64 = recs.iter().map(|r| r.staff.map_or(drawn, f64::from)).sum();
    let mut auths: Vec<&str> = recs
        .iter()
        .map(|r| r.authority.as_deref().unwrap_or("1"))
        .collect();
    auths.sort_unstable();
    auths.dedup();
    Some((recs.len() as f64, auths.len() as f64, teachers))
}

fn estimate(sc: &Scenario, threads: usize) -> Estimate {
    let threads = threads.max(1) as f64;
    // A school has at least 3 teachers; the mean plus one s.d. covers the
    // skew of the gamma distribution of staff.
    let (schools, authorities, teachers) = file_counts(sc).unwrap_or_else(|| {
        let authorities = f64::from(sc.schools.authorities);
        let schools = authorities * f64::from(sc.schools.schools);
        let teachers = schools * (sc.schools.staff_mean + sc.schools.staff_sd).max(3.0);
        (schools, authorities, teachers)
    });
    let per_authority = schools / authorities.max(1.0);
    let edges = authorities * edges_per_authority(sc, per_authority)
        + f64::from(sc.network.inter_authority_ties);

    let land = &sc.landscape;
    let contexts = f64::from(land.contexts);
    let lookup = if land.n <= 20 {
        (contexts + 1.0) * 2f64.powi(land.n as i32) * 4.0
    } else {
        0.0
    };
    // Shared, local and combined contribution tables.
    let rows = (2.0 * contexts + 1.0) * f64::from(land.n) * 2f64.powi(land.k as i32 + 1) * 8.0;
    let landscape = lookup + rows;

    let run = teachers * TEACHER_BYTES + schools * SCHOOL_BYTES + edges * EDGE_BYTES + landscape;
    let replicates = f64::from(sc.run.replicates);
    let strategies = sc.strategies.len().max(1) as f64;
    let runs_alive = threads.min(replicates * strategies);
    let worlds_alive = threads.min(replicates);
    let indicators = replicates * strategies * (sc.steps() as f64 + 1.0) * INDICATORS * 8.0;
    // A replicate with several strategies keeps the landscape after each
    // year's turbulence (shared by its strategies).
    let schedule = if land.turbulence > 0.0 && strategies > 1.0 {
        f64::from(sc.run.burn_in_years + sc.run.years) * landscape
    } else {
        0.0
    };
    let total =
        (runs_alive * run + worlds_alive * (run + schedule) + indicators) * SLACK + BASE_BYTES;
    Estimate {
        schools,
        teachers,
        edges,
        run,
        runs_alive,
        worlds_alive,
        indicators,
        total,
    }
}

/// A conservative estimate, in bytes, of the memory a run of `sc` on
/// `threads` threads needs (see the module docs).
pub fn estimate_memory_bytes(sc: &Scenario, threads: usize) -> u64 {
    estimate(sc, threads).total as u64
}

/// `MemAvailable` from `/proc/meminfo`, in bytes.
fn mem_available() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Bytes as "850 MB" or "12.3 GB".
fn human(bytes: f64) -> String {
    const MB: f64 = 1e6;
    const GB: f64 = 1e9;
    if bytes < GB {
        format!("{:.0} MB", (bytes / MB).ceil())
    } else {
        format!("{:.1} GB", bytes / GB)
    }
}

/// Refuse a scenario whose estimate exceeds `available` bytes.
fn check_against(sc: &Scenario, threads: usize, available: u64) -> Result<(), ScenarioError> {
    let e = estimate(sc, threads);
    if e.total <= available as f64 {
        return Ok(());
    }
    let state = (e.runs_alive + e.worlds_alive) * e.run * SLACK;
    let driver = if e.indicators * SLACK > state {
        format!(
            "most of it is stored indicators ({}): {} replicates x {} strategies x {} steps; \
             use fewer replicates, strategies or years",
            human(e.indicators * SLACK),
            sc.run.replicates,
            sc.strategies.len(),
            sc.steps() + 1
        )
    } else {
        format!(
            "most of it is simulation state ({}): {:.0} runs alive at once (at most one per thread, \
             plus one world per replicate in flight) of {} each; reduce schools.schools or \
             schools.authorities, use fewer threads (--threads), or a smaller landscape.n",
            human(state),
            e.runs_alive + e.worlds_alive,
            human(e.run)
        )
    };
    Err(ScenarioError::general(
        sc.source.clone(),
        format!(
            "this scenario needs about {} of memory but {} is available: {:.0} schools, \
             {:.0} teachers, about {:.0} network edges, {} replicates of {} strategies on {} threads; {driver}",
            human(e.total),
            human(available as f64),
            e.schools,
            e.teachers,
            e.edges,
            sc.run.replicates,
            sc.strategies.len(),
            threads.max(1),
        ),
    ))
}

/// Refuse a scenario whose estimated memory ([`estimate_memory_bytes`])
/// exceeds the memory available (`MemAvailable` of `/proc/meminfo`). When
/// that cannot be read, nothing is checked.
pub fn check_memory(sc: &Scenario, threads: usize) -> Result<(), ScenarioError> {
    match mem_available() {
        Some(available) => check_against(sc, threads, available),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(sets: &[&str]) -> Scenario {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        Scenario::from_str_with_sets("name = \"t\"", "t.toml", None, &sets).unwrap()
    }

    #[test]
    fn default_scenario_is_small_and_grows_with_schools_and_threads() {
        let sc = scenario(&[]);
        let base = estimate_memory_bytes(&sc, 2);
        assert!(base < 1_000_000_000, "{base}");
        assert!(base > 64 * 1024 * 1024);
        let big = scenario(&["schools.schools=100000"]);
        assert!(estimate_memory_bytes(&big, 2) > base);
        assert!(estimate_memory_bytes(&sc, 16) > base);
        let complete = scenario(&["schools.schools=20000", "network.kind=complete"]);
        let ring = scenario(&["schools.schools=20000", "network.kind=ring"]);
        assert!(estimate_memory_bytes(&complete, 1) > 10 * estimate_memory_bytes(&ring, 1));
    }

    #[test]
    fn check_refuses_with_the_estimate_and_its_drivers() {
        let sc = scenario(&["schools.authorities=100", "schools.schools=100000"]);
        let err = check_against(&sc, 8, 1_000_000_000)
            .unwrap_err()
            .to_string();
        assert!(err.contains("GB of memory"), "{err}");
        assert!(err.contains("10000000 schools"), "{err}");
        assert!(err.contains("teachers"), "{err}");
        assert!(err.contains("--threads"), "{err}");
        assert!(check_against(&scenario(&[]), 2, 64_000_000_000).is_ok());
    }

    #[test]
    fn a_schools_file_is_counted_from_its_rows_and_staff() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("id,staff\n");
        for i in 0..3000 {
            text.push_str(&format!("s{i},9000\n"));
        }
        std::fs::write(dir.path().join("big.csv"), text).unwrap();
        std::fs::write(dir.path().join("small.csv"), "id,staff\na,10\nb,10\n").unwrap();
        let at = |file: &str| {
            let text = format!("name = \"t\"\n[schools]\nfile = \"{file}\"\n");
            Scenario::from_str(&text, "t.toml", Some(dir.path().to_path_buf())).unwrap()
        };
        let (big, small) = (at("big.csv"), at("small.csv"));
        // 27 million teachers of 40 bytes: over 1 GB, whatever the generated defaults say.
        assert!(estimate_memory_bytes(&big, 1) > 1_000_000_000);
        assert!(estimate_memory_bytes(&small, 1) < estimate_memory_bytes(&scenario(&[]), 1));
        let err = check_against(&big, 1, 500_000_000).unwrap_err().to_string();
        assert!(err.contains("3000 schools"), "{err}");
    }

    #[test]
    fn indicators_can_drive_the_estimate() {
        let sc = scenario(&["replicates=1000000", "years=200", "schools.schools=10"]);
        let err = check_against(&sc, 1, 1_000_000_000)
            .unwrap_err()
            .to_string();
        assert!(err.contains("stored indicators"), "{err}");
        assert!(err.contains("fewer replicates"), "{err}");
    }
}
