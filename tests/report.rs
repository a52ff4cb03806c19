//! The run report: `report.html` is self-contained and complete, the
//! pictures beside it are written (or not, with `--no-charts`), the summary
//! sentences follow the numbers, and the replay behind the network pictures
//! is the run the results hold.

use std::path::{Path, PathBuf};
use std::process::Command;

use orglearn::model::N_IND;
use orglearn::model::indicators::Ind;
use orglearn::params::STRATEGY_LEVERS;
use orglearn::report::compare::{self, Snapshot};
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
    assert!(html.contains("By year 3,"), "a sentence on the last year");
    assert!(html.contains(&format!("Compared with {}", names[0])));
    // The results table with paired differences.
    assert!(html.contains("Δ "));
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
            "summary.csv"
        ]
    );
    let html = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 10);
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
    assert!(html.contains("With only 1 replicate"));
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

/// Two strategies at one year: levels, and the paired difference.
fn two(year: u32, a: f64, b: f64, d_half: f64) -> Snapshot {
    Snapshot {
        year,
        level: vec![s(a, 1.0), s(b, 1.0)],
        diff: vec![
            vec![s(0.0, 0.0), s(a - b, d_half)],
            vec![s(b - a, d_half), s(0.0, 0.0)],
        ],
    }
}

#[test]
fn summary_sentences_follow_the_numbers() {
    let names = vec!["cascade".to_string(), "enquiry".to_string()];
    // A clear lead: the paired interval excludes zero (even though the
    // levels' own intervals overlap).
    let clear = two(10, 62.0, 64.5, 0.8);
    let (sentence, is_clear) =
        compare::lead_sentence(&names, &compare::ATTAINMENT, &clear).unwrap();
    assert!(is_clear);
    assert!(sentence.contains("By year 10, enquiry has the highest mean attainment (64.5%)"));
    assert!(sentence.contains("2.5 points more than cascade"));
    assert!(sentence.contains("95% interval 1.7 to 3.3"));
    assert!(sentence.contains("a clear lead"));
    // Overlapping: the interval includes zero.
    let unclear = two(10, 62.0, 62.4, 1.0);
    let (sentence, is_clear) =
        compare::lead_sentence(&names, &compare::ATTAINMENT, &unclear).unwrap();
    assert!(!is_clear);
    assert!(sentence.contains("are level within the uncertainty"));
    assert!(sentence.contains("not clear"));
    assert!(sentence.contains("−0.6 to 1.4"));
    // A small clear difference is called small.
    let small = two(10, 62.0, 62.2, 0.1);
    let (sentence, _) = compare::lead_sentence(&names, &compare::ATTAINMENT, &small).unwrap();
    assert!(sentence.contains("small but clear lead"));

    // The lead changes hands, and each strategy is set against the first.
    let early = two(3, 65.0, 63.0, 0.5);
    let all = compare::summary_sentences(&names, &[early, clear.clone()], None, 20);
    assert!(all[0].starts_with("By year 3, cascade"));
    assert!(all[1].starts_with("By year 10, enquiry"));
    assert!(all.iter().any(|t| {
        t.contains("The lead changes hands: cascade is ahead at year 3, enquiry by year 10")
    }));
    assert!(all.iter().any(|t| t.contains(
        "Compared with cascade at year 10, mean attainment is clearly higher under enquiry (+2.5 points"
    )));
    let steady = compare::summary_sentences(&names, std::slice::from_ref(&unclear), None, 20);
    assert!(
        steady
            .iter()
            .any(|t| t.contains("not clearly different under enquiry"))
    );
    assert!(!steady.iter().any(|t| t.contains("changes hands")));
    // Few replicates: a warning.
    let few = compare::summary_sentences(&names, &[unclear], None, 3);
    assert!(few.iter().any(|t| t.contains("With only 3 replicates")));
    // Lower is better for the gap.
    let gap = two(10, 25.0, 23.0, 0.5);
    let (g, clear_gap) = compare::lead_sentence(&names, &compare::GAP, &gap).unwrap();
    assert!(clear_gap);
    assert!(g.contains("enquiry has the lowest gap"));
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
    let base = &rep.world.network.edges;
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
