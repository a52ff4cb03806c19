//! Damaged, huge or hostile inputs give a clear error and a non-zero exit,
//! never a panic, a hang or a silently wrong result; outputs are replaced as
//! a whole (issues 15 and 10).

mod common_cli;
use common_cli::Sandbox;

/// A small, fast scenario; `extra` goes at the end of its top level.
fn tiny(name: &str, extra: &str) -> String {
    format!(
        "name = \"{name}\"\nyears = 1\nreplicates = 2\nburn_in_years = 0\n{extra}\n\
         [landscape]\nn = 8\nk = 2\n[schools]\nschools = 6\n"
    )
}

#[test]
fn two_runs_into_one_folder_leave_only_the_second_runs_files_and_foreign_files() {
    let sb = Sandbox::new();
    // The first writes groups.csv and schools.csv, the second neither.
    sb.write(
        "a.toml",
        &format!(
            "{}[[strategy]]\npreset = \"enquiry\"\n[[strategy.authority]]\nauthorities = [\"1\"]\n",
            tiny("first", "")
        ),
    );
    sb.write("b.toml", &tiny("second", ""));
    sb.run(&["run", "a.toml", "--out", "res", "--per-school", "--quiet"])
        .ok();
    let first = sb.files("res");
    assert!(first.contains(&"schools.csv".to_string()), "{first:?}");
    sb.write("res/my-notes.txt", "kept");
    sb.run(&["run", "b.toml", "--out", "res", "--no-charts", "--quiet"])
        .ok();
    let second = sb.files("res");
    let manifest: serde_json::Value = serde_json::from_str(&sb.read("res/manifest.json")).unwrap();
    let mut listed: Vec<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    listed.push("my-notes.txt".into());
    listed.sort();
    assert_eq!(
        second, listed,
        "only the second run's files and the foreign one"
    );
    assert!(!second.contains(&"schools.csv".to_string()));
    assert_eq!(sb.read("res/my-notes.txt"), "kept");
    // Nothing is left beside the folder.
    let beside: Vec<String> = sb
        .files("")
        .into_iter()
        .filter(|f| f.starts_with('.'))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
}

#[test]
fn an_unwritable_out_is_refused_before_simulating() {
    let sb = Sandbox::new();
    sb.write("blocker", "a file");
    // A scenario that would take minutes: the refusal must come first.
    let out = sb
        .run(&[
            "run",
            "--set",
            "replicates=100000",
            "--out",
            "blocker/res",
            "--quiet",
        ])
        .fails();
    out.stderr_has(&["blocker"]);
    assert!(out.elapsed.as_secs() < 20, "{:?}", out.elapsed);
}

#[test]
fn empty_or_comment_only_scenarios_are_refused() {
    let sb = Sandbox::new();
    for (file, text) in [("empty.toml", ""), ("comments.toml", "# march 1991\n\n")] {
        sb.write(file, text);
        for cmd in ["check", "run"] {
            sb.run(&[cmd, file, "--quiet"][..if cmd == "check" { 2 } else { 3 }])
                .fails()
                .stderr_has(&[file, "sets no keys", "name = "]);
        }
    }
}

#[test]
fn a_staff_total_over_u32_is_an_error_not_a_panic() {
    let sb = Sandbox::new();
    sb.write(
        "s.toml",
        "name = \"s\"\nyears = 1\nreplicates = 1\n[schools]\nfile = \"s.csv\"\n",
    );
    sb.write("s.csv", "id,staff\na,4294967295\nb,3\n");
    for cmd in ["check", "run"] {
        sb.run(&[cmd, "s.toml"])
            .fails()
            .stderr_has(&["s.csv line 2", "\"staff\"", "1 to 10000"]);
    }
    sb.write("s.csv", "id,staff\na,30000000\n");
    sb.run(&["check", "s.toml"])
        .fails()
        .stderr_has(&["s.csv line 2", "10000"]);
}

#[test]
fn coordinates_outside_the_unit_square_are_refused_at_once() {
    let sb = Sandbox::new();
    sb.write(
        "g.toml",
        "name = \"g\"\nyears = 1\nreplicates = 1\n[schools]\nfile = \"g.csv\"\n\
         [network]\nkind = \"geographic\"\n",
    );
    for bad in ["1e6", "1e300", "-0.5"] {
        sb.write("g.csv", &format!("id,x,y\na,0.5,0.5\nb,{bad},0.2\n"));
        let out = sb.run(&["run", "g.toml", "--quiet"]).fails();
        out.stderr_has(&["g.csv line 3", "\"x\"", "0 to 1", "rescale"]);
        assert!(out.elapsed.as_secs() < 20, "{bad}: {:?}", out.elapsed);
    }
}

#[test]
fn contexts_by_name_and_per_school_ids_and_input_hashes() {
    let sb = Sandbox::new();
    let csv = "id,authority,context,x,y\nA100,north,urban,0.1,0.1\nB200,north,rural,0.2,0.3\n\
               C300,north,urban,0.3,0.2\nD400,south,coastal,0.8,0.9\nE500,south,rural,0.9,0.7\n";
    sb.write("in/schools.csv", csv);
    sb.write(
        "in/c.toml",
        "name = \"c\"\nyears = 1\nreplicates = 2\nburn_in_years = 0\n\
         [landscape]\nn = 8\nk = 2\ncontexts = 3\n[schools]\nfile = \"schools.csv\"\n",
    );
    sb.run(&[
        "run",
        "in/c.toml",
        "--out",
        "res",
        "--per-school",
        "--no-charts",
        "--quiet",
    ])
    .ok();
    let schools = sb.read("res/schools.csv");
    let ids: std::collections::BTreeSet<&str> = schools
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        ["A100", "B200", "C300", "D400", "E500"]
    );
    let m: serde_json::Value = serde_json::from_str(&sb.read("res/manifest.json")).unwrap();
    let inputs = m["input_files"].as_array().unwrap();
    let roles: Vec<&str> = inputs.iter().map(|f| f["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["scenario", "schools"]);
    let digest = inputs[1]["sha256"].as_str().unwrap();
    assert_eq!(digest.len(), 64);
    assert!(m["command_line"].as_array().unwrap().len() > 2);
    assert!(m["threads"].as_u64().unwrap() >= 1);
    assert!(m["version"].is_string());

    // Two contexts allowed, three names given: the error lists what is allowed.
    sb.write(
        "in/c2.toml",
        "name = \"c\"\n[landscape]\ncontexts = 2\n[schools]\nfile = \"schools.csv\"\n",
    );
    sb.run(&["check", "in/c2.toml"]).fails().stderr_has(&[
        "schools.csv line 5",
        "\"coastal\"",
        "at most 2 distinct names",
        "urban, rural",
    ]);
    sb.write("in/schools.csv", "id,context\na,0\nb,5\n");
    sb.run(&["check", "in/c2.toml"])
        .fails()
        .stderr_has(&["line 3", "numbers 0 to 1"]);
}

#[test]
fn huge_values_are_not_echoed_whole_and_errors_are_capped() {
    let sb = Sandbox::new();
    let long = "x".repeat(2_000_000);
    sb.write("long.toml", &format!("name = \"{long}\"\n"));
    let out = sb.run(&["check", "long.toml"]).fails();
    assert!(out.stderr.len() < 10_000, "{} bytes", out.stderr.len());
    out.stderr_has(&["at most 1000 characters"]);
    sb.write(
        "strat.toml",
        &format!(
            "name = \"s\"\n[[strategy]]\npreset = \"enquiry\"\nname = \"{}\"\n",
            "y".repeat(500)
        ),
    );
    sb.run(&["check", "strat.toml"])
        .fails()
        .stderr_has(&["at most 80 characters"]);
    let junk: String = (0..20_000)
        .map(|i| if i % 7 == 0 { '\n' } else { '=' })
        .collect();
    sb.write("junk.toml", &junk);
    let out = sb.run(&["check", "junk.toml"]).fails();
    assert!(
        out.stderr.lines().count() <= 25,
        "{}",
        out.stderr.lines().count()
    );
}

/// Run the smoke sweep as shards 1/2 and 2/2 into `dir/shard-1` and `dir/shard-2`.
fn smoke_shards(sb: &Sandbox, dir: &str) {
    for i in 1..=2 {
        sb.run(&[
            "sweep",
            "smoke",
            "--shard",
            &format!("{i}/2"),
            "--out",
            &format!("{dir}/shard-{i}"),
            "-q",
            "--no-charts",
        ])
        .ok();
    }
}

#[test]
fn every_single_bit_flip_in_a_journal_is_caught_by_merge() {
    let sb = Sandbox::new();
    smoke_shards(&sb, "s");
    let journal = sb.bytes("s/shard-1/journal.jsonl");
    let bits = journal.len() * 8;
    // 120 flips spread over the whole file (a prime stride visits every byte region).
    let flips: Vec<usize> = (0..120).map(|k| (k * 7919 + 13) % bits).collect();
    let mut caught = 0;
    for (k, &bit) in flips.iter().enumerate() {
        let mut damaged = journal.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(sb.join("s/shard-1/journal.jsonl"), &damaged).unwrap();
        let out = sb
            .run(&[
                "merge",
                "s/shard-1",
                "s/shard-2",
                "--out",
                &format!("m{k}"),
                "-q",
                "--no-charts",
            ])
            .fails();
        out.stderr_has(&["journal.jsonl:"]);
        caught += 1;
    }
    assert_eq!(caught, flips.len());
    // Junk appended without a newline is refused too.
    let mut junk = journal.clone();
    junk.extend_from_slice(b"{\"run\":1");
    std::fs::write(sb.join("s/shard-1/journal.jsonl"), &junk).unwrap();
    sb.run(&["merge", "s/shard-1", "s/shard-2", "--out", "mj", "-q"])
        .fails()
        .stderr_has(&["journal.jsonl:", "incomplete"]);
    // The sound journal merges; its values are labelled with their keys.
    std::fs::write(sb.join("s/shard-1/journal.jsonl"), &journal).unwrap();
    sb.run(&[
        "merge",
        "s/shard-1",
        "s/shard-2",
        "--out",
        "ok",
        "-q",
        "--no-charts",
    ])
    .ok();
    let first = sb.read("ok/journal.jsonl");
    let line = first.lines().next().unwrap();
    assert!(
        line.contains("\"networked-enquiry\":{") && line.contains("\"attainment_mean_y3\":"),
        "{line}"
    );
    assert!(line.contains("\"crc32\":\""), "{line}");
}

#[test]
fn resume_drops_damaged_records_runs_them_again_and_says_so() {
    let sb = Sandbox::new();
    sb.run(&["sweep", "smoke", "--out", "a", "-q", "--no-charts"])
        .ok();
    sb.run(&["sweep", "smoke", "--out", "b", "-q", "--no-charts"])
        .ok();
    let journal = sb.bytes("b/journal.jsonl");
    let mut damaged = journal.clone();
    // A digit in the middle of the file becomes another digit.
    let mid = (journal.len() / 2..journal.len())
        .find(|&i| journal[i].is_ascii_digit() && journal[i] != b'9')
        .unwrap();
    damaged[mid] += 1;
    std::fs::write(sb.join("b/journal.jsonl"), &damaged).unwrap();
    let out = sb
        .run(&["sweep", "smoke", "--out", "b", "--resume", "--no-charts"])
        .ok();
    out.stderr_has(&[
        "dropped 1 damaged record",
        "journal.jsonl",
        "checksum",
        "runs again",
    ]);
    assert_eq!(sb.bytes("a/runs.csv"), sb.bytes("b/runs.csv"));
    // The manifest keeps the first session and appends the resumption.
    let m: serde_json::Value = serde_json::from_str(&sb.read("b/manifest.json")).unwrap();
    let sessions = m["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{m}");
    assert_eq!(sessions[1]["runs_this_session"], 1);
    assert!(
        !m["command_line"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--resume"),
        "the original command line stays: {m}"
    );
    assert_eq!(m["input_files"][0]["role"], "sweep");
}

#[test]
fn shards_of_different_data_files_do_not_merge() {
    let sb = Sandbox::new();
    sb.write(
        "base.toml",
        "name = \"b\"\nyears = 2\nreplicates = 1\nburn_in_years = 0\n[landscape]\nn = 8\nk = 2\n\
         [schools]\nfile = \"schools.csv\"\n",
    );
    sb.write(
        "sw.toml",
        "name = \"sw\"\nscenario = \"base.toml\"\nseed = 1\ndesign = \"grid\"\nreplicates = 1\n\
         [[lever]]\nkey = \"landscape.context_weight\"\nvalues = [0.0, 0.5, 1.0, 0.25]\n",
    );
    sb.write("schools.csv", "id,staff\na,10\nb,12\nc,9\n");
    sb.run(&[
        "sweep",
        "sw.toml",
        "--shard",
        "1/2",
        "--out",
        "s1",
        "-q",
        "--no-charts",
    ])
    .ok();
    sb.write("schools.csv", "id,staff\na,10\nb,12\nc,90\n");
    sb.run(&[
        "sweep",
        "sw.toml",
        "--shard",
        "2/2",
        "--out",
        "s2",
        "-q",
        "--no-charts",
    ])
    .ok();
    sb.run(&["merge", "s1", "s2", "--out", "m", "-q"])
        .fails()
        .stderr_has(&["different sweeps"]);
    let m: serde_json::Value = serde_json::from_str(&sb.read("s2/manifest.json")).unwrap();
    let roles: Vec<&str> = m["input_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["sweep", "scenario", "schools"]);
}

#[test]
fn a_folder_held_by_another_sweep_is_refused() {
    let sb = Sandbox::new();
    // This test's own process is alive: its id in the lock holds the folder.
    sb.write("held/.orglearn.lock", &format!("{}\n", std::process::id()));
    sb.run(&["sweep", "smoke", "--out", "held", "-q"])
        .fails()
        .stderr_has(&["another orglearn sweep", "held", ".orglearn.lock"]);
    // A lock left by a process that has gone is taken over.
    sb.write("held/.orglearn.lock", &format!("{}\n", u32::MAX - 1));
    sb.run(&["sweep", "smoke", "--out", "held", "-q", "--no-charts"])
        .ok();
    assert!(!sb.join("held/.orglearn.lock").exists());
}

#[test]
fn fresh_removes_the_earlier_sweeps_files_and_keeps_foreign_ones() {
    let sb = Sandbox::new();
    sb.run(&["sweep", "smoke", "--out", "f", "-q"]).ok();
    assert!(sb.join("f/heatmap.png").exists());
    sb.write("f/notes.txt", "mine");
    sb.write("f/.runs.csv.tmp-4000000", "half");
    sb.run(&[
        "sweep",
        "smoke",
        "--out",
        "f",
        "--fresh",
        "-q",
        "--no-charts",
    ])
    .ok();
    let files = sb.files("f");
    assert!(
        !files
            .iter()
            .any(|f| f.ends_with(".png") || f.contains(".tmp-")),
        "{files:?}"
    );
    assert!(files.contains(&"notes.txt".to_string()));
}

#[test]
fn a_sweep_point_too_big_for_memory_is_refused_before_running() {
    let sb = Sandbox::new();
    sb.write(
        "big.toml",
        "name = \"big\"\nscenario = \"default\"\nseed = 1\ndesign = \"grid\"\nreplicates = 1\n\
         strategies = [\"cascade\"]\n[set]\nschools.authorities = 1000\n\
         [[lever]]\nkey = \"schools.schools\"\nvalues = [10, 1000000]\n",
    );
    let out = sb.run(&["sweep", "big.toml", "--out", "big", "-q"]).fails();
    out.stderr_has(&["sweep point 1", "memory"]);
    assert!(out.elapsed.as_secs() < 30, "{:?}", out.elapsed);
}

#[cfg(unix)]
#[test]
fn an_interrupt_stops_the_sweep_records_its_runs_and_says_how_to_resume() {
    let sb = Sandbox::new();
    sb.write(
        "slow.toml",
        "name = \"slow\"\nscenario = \"default\"\ndesign = \"lhs\"\nsamples = 200\n\
         strategies = [\"tri-level\"]\n[set]\nschools.schools = 40\nyears = 5\n\
         [[lever]]\nkey = \"landscape.context_weight\"\nmin = 0.0\nmax = 1.0\n",
    );
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_orglearn"))
        .args([
            "sweep",
            "slow.toml",
            "--out",
            "o",
            "-q",
            "--no-charts",
            "--threads",
            "1",
        ])
        .current_dir(sb.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let journal = sb.join("o/journal.jsonl");
    let lines = || std::fs::read(&journal).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
    let start = std::time::Instant::now();
    while lines() < 3 && start.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        stderr.contains("--resume") && stderr.contains("slow.toml"),
        "{stderr}"
    );
    let m: serde_json::Value = serde_json::from_str(&sb.read("o/manifest.json")).unwrap();
    assert_eq!(
        m["runs_recorded"].as_u64().unwrap() as usize,
        lines(),
        "{m}"
    );
    assert!(lines() < 200);
    assert_eq!(m["status"], "interrupted");
    assert!(!sb.join("o/.orglearn.lock").exists());
}
