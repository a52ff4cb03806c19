//! The run report: `report.html` is self-contained and complete, the
//! pictures beside it are written (or not, with `--no-charts`), the summary
//! sentences follow the numbers, and the replay behind the network pictures
//! is the run the results hold.

use std::path::{Path, PathBuf};
use std::process::Command;

use orglearn::model::N_IND;
use orglearn::model::indicators::Ind;
use orglearn::params::STRATEGY_LEVERS;
use orglearn::report::compare;
use orglearn::runner;
use orglearn::scenario::Scenario;
use orglearn::stats::Summary;

/// Run the binary; panics with its output unless it succeeds.
fn orglearn(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_orglearn"))
        .args(args)
        .output()
        .expect("the orglearn binary runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "orglearn {args:?} failed:\n{text}");
    text
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// Every way a page could load something from elsewhere.
fn external_references(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for needle in [
        "http://",
        "https://",
        "<script",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "@import",
        "url(",
        " src=",
        "xlink:href",
    ] {
        if lower.contains(needle) {
            found.push(needle.to_string());
        }
    }
    // Links may only point inside the page.
    for part in lower.split(" href=\"").skip(1) {
        if !part.starts_with('#') {
            found.push(format!("href=\"{}", &part[..part.len().min(40)]));
        }
    }
    found
}

fn reduced_burnham(dir: &Path, extra: &[&str]) -> String {
    let out = dir.to_str().unwrap();
    let mut args = vec![
        "run",
        "burnham",
        "--out",
        out,
        "--replicates",
        "3",
        "--set",
        "years=3",
        "--set",
        "schools.schools=36",
        "--threads",
        "2",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    orglearn(&args)
}

#[test]
fn report_is_self_contained_and_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    reduced_burnham(dir, &[]);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_eq!(
        external_references(&html),
        Vec::<String>::new(),
        "report.html must load nothing from anywhere"
    );
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<style>"), "the style sheet is inside");

    let sc = Scenario::open(Some("burnham"), &[]).unwrap();
    let names: Vec<String> = sc.strategies.iter().map(|s| s.name.clone()).collect();
    for n in &names {
        assert!(html.contains(n.as_str()), "report names strategy {n}");
    }
    // The question, in the scenario's own words.
    assert!(html.contains(&sc.run.description.replace('\'', "&#39;")));
    // Charts inline: attainment, gap, equity, Coburn, SLO and a network
    // picture per strategy.
    let svgs = html.matches("<svg").count();
    assert_eq!(svgs, 5 + names.len(), "inline SVG charts");
    for title in [
        "Mean attainment by strategy",
        "Gap between top and bottom quarter",
        "lowest-intake quarter",
        "Coburn",
        "Schools as learning organisations",
    ] {
        assert!(html.contains(title), "chart {title}");
    }
    // The summary, written from the numbers.
    assert!(html.contains("What the numbers say"));
    assert!(
        html.contains("The largest difference that matters: at year 3,")
            || html.contains("At year 3, no difference in mean attainment"),
        "the summary opens with the headline"
    );
    assert!(html.contains(&format!("Against {} on", names[0])));
    assert!(html.contains("the gap between the top and bottom quarter"));
    assert!(html.contains("How the words are chosen"));
    assert!(html.contains("Does the headline survive uncertain assumptions?"));
    assert!(html.contains("Robustness: varying context weight"));
    // The results table: both ranges and paired differences.
    assert!(html.contains("average: ") && html.contains("80% of runs: "));
    assert!(html.contains("difference: "));
    // Every lever of every strategy, non-defaults highlighted.
    for spec in STRATEGY_LEVERS {
        assert!(
            html.contains(&format!("<code>{}</code>", spec.key)),
            "lever {}",
            spec.key
        );
    }
    assert!(html.contains("class=\"num changed\""));
    // How to reproduce: command, seed and version.
    assert!(html.contains("How to reproduce"));
    assert!(html.contains(&format!("--seed {}", sc.run.seed)));
    assert!(html.contains(env!("CARGO_PKG_VERSION")));
    // The animation of the years is inline and starts on a click.
    assert!(html.contains("Play the years"));
    assert!(html.contains("begin=\"play-succeeding-together.click\""));

    // The files beside the report.
    let f = files(dir);
    for stem in ["coburn", "slo", "equity"] {
        for ext in ["png", "svg"] {
            assert!(
                f.contains(&format!("{stem}.{ext}")),
                "{stem}.{ext} in {f:?}"
            );
        }
    }
    let slugs = orglearn::report::slugs(&names);
    for s in &slugs {
        assert!(f.contains(&format!("network-{s}.png")), "{f:?}");
        assert!(f.contains(&format!("network-{s}.svg")), "{f:?}");
        let gif = std::fs::read(dir.join(format!("animation-{s}.gif"))).unwrap();
        assert!(gif.starts_with(b"GIF89a"), "animation-{s}.gif is a GIF");
        // One frame per year (0..=3) and the last one again.
        let frames = gif.windows(2).filter(|w| w == &[0x21, 0xF9]).count();
        assert!(frames >= 5, "animation-{s}.gif has {frames} frames");
    }
    for png in f.iter().filter(|n| n.ends_with(".png")) {
        let bytes = std::fs::read(dir.join(png)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{png}");
        assert!(bytes.len() > 20_000, "{png} looks empty");
    }
    assert!(
        !f.iter().any(|n| n.contains(".tmp")),
        "no temporary files left: {f:?}"
    );
}

#[test]
fn no_charts_writes_the_report_alone_with_its_charts_inline() {
    let tmp = tempfile::tempdir().unwrap();
    reduced_burnham(tmp.path(), &["--no-charts"]);
    let f = files(tmp.path());
    assert_eq!(
        f,
        vec![
            "indicators.csv",
            "manifest.json",
            "report.html",
            "robustness.csv",
            "summary.csv"
        ]
    );
    let html = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    // The charts inline; no network pictures (no runs are replayed).
    assert_eq!(html.matches("<svg").count(), 5);
    assert!(html.contains("not drawn with <code>--no-charts</code>"));
    assert!(!html.contains("network-succeeding-together.png"));
}

#[test]
fn big_scenarios_skip_animations_and_say_so() {
    // 2,400 schools in 40 linked authorities: no animation; the report's
    // pictures show the first authorities only.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().to_str().unwrap();
    orglearn(&[
        "run",
        "psln",
        "--out",
        out,
        "--replicates",
        "1",
        "--set",
        "years=2",
        "--set",
        "schools.authorities=45",
        "--quiet",
    ]);
    let f = files(tmp.path());
    assert!(!f.iter().any(|n| n.ends_with(".gif")), "{f:?}");
    assert!(f.contains(&"network-owned.png".to_string()));
    let html = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert!(html.contains("no animation is made"));
    assert!(html.contains("show the first authorities only"));
    assert!(!html.contains("Play the years"));
    assert!(html.contains("one run cannot support a comparison"));
    assert_eq!(external_references(&html), Vec::<String>::new());
}

#[test]
fn a_map_is_drawn_where_positions_mean_something() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().to_str().unwrap();
    orglearn(&[
        "run",
        "learning-project",
        "--out",
        out,
        "--replicates",
        "2",
        "--set",
        "years=2",
        "--set",
        "schools.schools=8",
        "--set",
        "network.kind=geographic",
        "--quiet",
    ]);
    let svg = std::fs::read_to_string(tmp.path().join("network-authority-as-broker.svg")).unwrap();
    assert!(svg.contains("at their place on the map"));
    assert!(svg.contains("authority 3"));
    assert!(svg.starts_with("<svg ") && svg.contains("xmlns="));
}

fn s(mean: f64, half: f64) -> Summary {
    Summary {
        n: 20,
        mean,
        sd: half,
        lo: mean - half,
        hi: mean + half,
    }
}

/// `n` runs around `mean`, spread `sd` (a fixed, symmetric pattern).
fn runs(n: usize, mean: f64, sd: f64) -> Vec<f64> {
    (0..n)
        .map(|i| mean + sd * ((i % 5) as f64 - 2.0) / 1.58)
        .collect()
}

/// Three strategies: status quo, one clearly ahead, one trivially ahead.
fn made_up(n: usize) -> Vec<compare::Headline> {
    let base = runs(n, 60.0, 2.0);
    let shift = |d: f64, noise: f64| -> Vec<f64> {
        base.iter()
            .enumerate()
            .map(|(i, x)| x + d + noise * (((i * 7) % 3) as f64 - 1.0))
            .collect()
    };
    let att = vec![base.clone(), shift(3.0, 0.3), shift(0.1, 0.02)];
    let gap = vec![runs(n, 24.0, 1.0), runs(n, 24.05, 1.0), runs(n, 21.0, 1.0)];
    let cap = vec![runs(n, 0.5, 0.01), runs(n, 0.5, 0.01), runs(n, 0.6, 0.01)];
    let div = vec![runs(n, 3.0, 0.1), runs(n, 2.0, 0.1), runs(n, 3.0, 0.1)];
    [
        (compare::ATTAINMENT, 1.0, att),
        (compare::GAP, 1.0, gap),
        (compare::CAPACITY, 0.02, cap),
        (compare::DIVERSITY, 0.25, div),
    ]
    .into_iter()
    .map(|(measure, smallest, values)| compare::Headline {
        measure,
        smallest,
        year: 10,
        values,
    })
    .collect()
}

#[test]
fn the_summary_leads_with_what_matters_and_never_calls_a_trivial_lead_clear() {
    let names: Vec<String> = ["status quo", "cascade", "enquiry"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let heads = made_up(30);
    let drift = runs(30, 2.5, 0.5);
    let all = compare::summary(&names, 0, true, &heads, Some(&drift), 30);
    let text = all.join("\n");
    assert!(
        all[0].starts_with(
            "The largest difference that matters: at year 10, cascade is clearly ahead of status quo on mean attainment: +3.0 points"
        ),
        "{text}"
    );
    // The trivial 0.1-point lead is never clear, nor a lead.
    for line in &all {
        if line.contains("enquiry is") && line.contains("mean attainment") {
            assert!(!line.contains("enquiry is clearly"), "{line}");
        }
    }
    assert!(
        text.contains("enquiry: ahead, by less than matters, +0.10 points"),
        "{text}"
    );
    // The equity and capacity findings, in the same words.
    assert!(
        text.contains("Against status quo on the gap between the top and bottom quarter of schools: cascade: behind, by less than matters, +0.05 points"),
        "{text}"
    );
    assert!(
        text.contains("enquiry: clearly ahead, −3.0 points"),
        "{text}"
    );
    assert!(
        text.contains("Highest capacity for enquiry and change at year 10: enquiry"),
        "{text}"
    );
    // The drift, with its interval, in words.
    assert!(
        text.contains("Under the status quo itself (status quo), mean attainment changes from year 0 to year 10 by +2.5 points (we are 95% sure the average change lies between +2.3 and +2.7; higher at the end in 30 of 30 runs): a rise that matters"),
        "{text}"
    );
    assert!(text.contains("Holm"), "{text}");
    // No status-quo arm: the drift is unknown.
    let none = compare::summary(&names, 0, false, &heads, None, 30).join("\n");
    assert!(none.contains("the baseline's drift is unknown"), "{none}");
    // One run: no comparison at all.
    let one: Vec<compare::Headline> = made_up(1);
    let single = compare::summary(&names, 0, true, &one, None, 1).join("\n");
    assert!(
        single.contains("one run cannot support a comparison"),
        "{single}"
    );
    assert!(!single.contains("clearly"), "{single}");
    // Sustainability.
    let kept = vec![(
        "networks".to_string(),
        3,
        vec![(5, s(1.2, 0.1)), (8, s(0.9, 0.2))],
    )];
    let k = compare::sustainability_sentence(&kept).unwrap();
    assert!(k.contains("networks (support ends after year 3) keeps 120% [110–130%] after 2 years and 90% [70–110%] after 5 years"));
}

#[test]
fn two_identical_strategies_show_no_meaningful_difference_on_any_indicator() {
    let text = r#"
name = "twins"
years = 3
replicates = 4
[schools]
schools = 30
[[strategy]]
preset = "cascade"
name = "first"
[[strategy]]
preset = "cascade"
name = "second"
"#;
    let sc = Scenario::from_str(text, "twins.toml", None).unwrap();
    let res = runner::run(&sc, false, &|_| {}).unwrap();
    let heads = orglearn::report::headlines(&sc, &res);
    let fs = compare::findings(0, &heads);
    assert_eq!(fs.len(), heads.len());
    for f in &fs {
        assert!(
            f.verdict.word.label().contains("no meaningful difference"),
            "{f:?}"
        );
    }
}

#[test]
fn one_run_shows_no_interval_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = orglearn(&[
        "run",
        "burnham",
        "--out",
        dir.to_str().unwrap(),
        "--replicates",
        "1",
        "--set",
        "years=2",
        "--set",
        "schools.schools=24",
        "--threads",
        "2",
        "--no-charts",
    ]);
    assert!(!out.contains("[0.0, 100.0]"), "{out}");
    assert!(
        out.contains("[—]"),
        "the table marks the missing interval: {out}"
    );
    let csv = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.rsplitn(5, ',').collect();
        assert_eq!(cells[..4], ["", "", "", ""], "{line}");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("one run cannot support a comparison"));
    assert!(html.contains("One run cannot support a comparison: no interval is shown"));
    assert!(
        !html.contains("sure the average difference lies between"),
        "no interval in the report"
    );
    assert!(!html.contains("clearly ahead"));
}

#[test]
fn pictures_come_from_the_median_run_and_say_so() {
    let sc = Scenario::open(
        Some("burnham"),
        &[
            "replicates=5".into(),
            "years=3".into(),
            "schools.schools=36".into(),
        ],
    )
    .unwrap();
    let res = runner::run(&sc, false, &|_| {}).unwrap();
    let med = orglearn::report::median_runs(&sc, &res);
    let spy = sc.run.steps_per_year as usize;
    for (s, (r, x)) in med.iter().enumerate() {
        // The chosen run is nearest the median of the strategy's runs.
        let mut v: Vec<f64> = res
            .runs
            .iter()
            .filter(|q| q.strategy == s)
            .map(|q| q.record.rows[3 * spy * N_IND + Ind::AttMean as usize])
            .collect();
        v.sort_by(|a, b| a.total_cmp(b));
        assert_eq!(*x, v[2], "strategy {s}: the middle of five runs");
        let _ = r;
    }
    // The replayed picture data is that run.
    let which: Vec<u32> = med.iter().map(|m| m.0).collect();
    let rep = orglearn::report::replay::replay_runs(&sc, &which).unwrap();
    for (s, r) in rep.runs.iter().enumerate() {
        assert_eq!(r.replicate, which[s]);
        let a = r.attainment.last().unwrap();
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        assert!((mean - med[s].1).abs() < 1e-9, "strategy {s}");
    }
    // The report's captions name the run.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    orglearn(&[
        "run",
        "burnham",
        "--out",
        dir.to_str().unwrap(),
        "--replicates",
        "5",
        "--set",
        "years=3",
        "--set",
        "schools.schools=36",
        "--set",
        "robustness_points=0",
        "--threads",
        "2",
        "--quiet",
    ]);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for (s, st) in sc.strategies.iter().enumerate() {
        let label = orglearn::report::run_label(which[s], 5, &st.name);
        let cap = format!(
            "{}{}: its mean attainment at year 3 is {:.1}%",
            label[..1].to_uppercase(),
            &label[1..],
            med[s].1
        );
        assert!(html.contains(&cap.replace('\'', "&#39;")), "{cap}");
    }
}

#[test]
fn paired_snapshots_come_from_the_results() {
    let sc = Scenario::open(
        Some("liverpool"),
        &[
            "replicates=3".into(),
            "years=2".into(),
            "schools.schools=24".into(),
        ],
    )
    .unwrap();
    let res = runner::run(&sc, false, &|_| {}).unwrap();
    let spy = sc.run.steps_per_year as usize;
    let snap = compare::snapshot(&res, 4, spy, 2, Ind::AttMean as usize);
    // The level of strategy 1 and its difference from strategy 0, by hand.
    let v = |st: usize| -> Vec<f64> {
        let mut runs: Vec<_> = res.runs.iter().filter(|r| r.strategy == st).collect();
        runs.sort_by_key(|r| r.replicate);
        runs.iter()
            .map(|r| r.record.rows[2 * spy * N_IND + Ind::AttMean as usize])
            .collect()
    };
    let (a, b) = (v(1), v(0));
    let mean = a.iter().sum::<f64>() / 3.0;
    assert!((snap.level[1].mean - mean).abs() < 1e-12);
    let d: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x - y).collect();
    let dm = d.iter().sum::<f64>() / 3.0;
    assert!((snap.diff[1][0].mean - dm).abs() < 1e-12);
    assert!((snap.diff[0][1].mean + dm).abs() < 1e-12);
    assert_eq!(snap.diff[2][2].mean, 0.0);
}

#[test]
fn the_replay_is_the_run_the_results_hold() {
    let sc = Scenario::open(
        Some("buckinghamshire"),
        &[
            "replicates=2".into(),
            "years=4".into(),
            "schools.schools=48".into(),
        ],
    )
    .unwrap();
    let res = runner::run(&sc, false, &|_| {}).unwrap();
    let rep = orglearn::report::replay::replay(&sc).unwrap();
    let spy = sc.run.steps_per_year as usize;
    for (s, r) in rep.runs.iter().enumerate() {
        let run = res
            .runs
            .iter()
            .find(|x| x.strategy == s && x.replicate == 0)
            .unwrap();
        assert_eq!(r.attainment.len(), sc.run.years as usize + 1);
        for (y, a) in r.attainment.iter().enumerate() {
            let mean = a.iter().sum::<f64>() / a.len() as f64;
            let recorded = run.record.rows[y * spy * N_IND + Ind::AttMean as usize];
            assert!(
                (mean - recorded).abs() < 1e-9,
                "strategy {s} year {y}: replay {mean} recorded {recorded}"
            );
        }
    }
    // The beacon strategy exchanged over a structure of its own; the
    // communities with brokerage over the network plus added ties.
    let base = &rep.world_of(0).network.edges;
    let beacon = rep.runs[0].edges.as_ref().expect("beacon links");
    assert!(!beacon.starts_with(base));
    let brokered = rep.runs[1].edges.as_ref().expect("brokered ties added");
    assert!(brokered.len() > base.len() && brokered.starts_with(base));
    assert_eq!(rep.runs[1].trust.len(), brokered.len());
}

#[test]
fn slugs_name_files_safely() {
    let names: Vec<String> = ["a, b", "a-b", "Ünïcode strategy"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let slugs = orglearn::report::slugs(&names);
    assert_eq!(slugs[0], "a-b");
    assert_eq!(slugs[1], "a-b-2");
    assert_eq!(slugs[2], "n-code-strategy");
    let _: Vec<PathBuf> = slugs.iter().map(PathBuf::from).collect();
}
