//! The built-in scenarios drawn from the source documents: each validates
//! as shipped, runs when reduced, documents every key it sets, and shows
//! the headline its source claims, where the model reproduces it (each
//! claim is a paired comparison across replicates under common random
//! numbers, with a 95% interval).

use orglearn::model::N_IND;
use orglearn::model::indicators::Ind;
use orglearn::output::year_value;
use orglearn::runner::{self, Results};
use orglearn::scenario::{self, Scenario};
use orglearn::stats::{Summary, summarise};

/// The scenarios built from the seed documents.
const SCENARIOS: [&str; 7] = [
    "burnham",
    "buckinghamshire",
    "national-strategies",
    "nlc",
    "psln",
    "learning-project",
    "liverpool",
];

fn open(name: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Scenario::open(Some(name), &sets).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A finished run and paired statistics on it.
struct Run {
    sc: Scenario,
    res: Results,
}

impl Run {
    fn new(name: &str, sets: &[&str]) -> Run {
        let sc = open(name, sets);
        let res = runner::run(&sc, false, &|_| {}).expect("the scenario runs");
        Run { sc, res }
    }

    fn strategy(&self, name: &str) -> usize {
        self.sc
            .strategies
            .iter()
            .position(|s| s.name == name)
            .unwrap_or_else(|| panic!("no strategy {name}"))
    }

    /// Indicator `ind` of strategy `name` at `year`, per replicate.
    fn at(&self, name: &str, year: u32, ind: Ind) -> Vec<f64> {
        let s = self.strategy(name);
        let spy = self.sc.run.steps_per_year as usize;
        let mut runs: Vec<_> = self.res.runs.iter().filter(|r| r.strategy == s).collect();
        runs.sort_by_key(|r| r.replicate);
        runs.iter()
            .map(|r| {
                assert_eq!(r.record.rows.len(), (self.res.steps + 1) * N_IND);
                year_value(&r.record.rows, spy, year as usize, ind as usize)
            })
            .collect()
    }

    /// The paired difference a − b of `ind` at `year`.
    fn diff(&self, a: &str, b: &str, year: u32, ind: Ind) -> Summary {
        let (x, y) = (self.at(a, year, ind), self.at(b, year, ind));
        summarise(&x.iter().zip(&y).map(|(p, q)| p - q).collect::<Vec<_>>())
    }

    /// Mean attainment of the schools of a strategy's group of authorities
    /// (`""`: those in no [[strategy.authority]] table) at `year`, per replicate.
    fn group_at(&self, name: &str, group: &str, year: u32) -> Vec<f64> {
        let s = self.strategy(name);
        let st = &self.sc.strategies[s];
        let set = if group.is_empty() {
            0
        } else {
            1 + st
                .groups
                .iter()
                .position(|g| g.name == group)
                .unwrap_or_else(|| panic!("{name} has no group {group}"))
        };
        let sets = st.groups.len() + 1;
        let mut runs: Vec<_> = self.res.runs.iter().filter(|r| r.strategy == s).collect();
        runs.sort_by_key(|r| r.replicate);
        runs.iter()
            .map(|r| r.record.groups[year as usize * sets + set])
            .collect()
    }

    /// Per replicate, the change of `ind` from year `from` to year `to`.
    fn change(&self, name: &str, from: u32, to: u32, ind: Ind) -> Vec<f64> {
        let (a, b) = (self.at(name, to, ind), self.at(name, from, ind));
        a.iter().zip(&b).map(|(p, q)| p - q).collect()
    }
}

#[track_caller]
fn clearly_positive(what: &str, d: &Summary) {
    assert!(
        d.lo > 0.0,
        "{what}: expected clearly above zero, got {:.3} [{:.3}, {:.3}] (n = {})",
        d.mean,
        d.lo,
        d.hi,
        d.n
    );
}

#[test]
fn every_scenario_checks_as_shipped() {
    for name in SCENARIOS {
        let sc = open(name, &[]);
        assert_eq!(sc.run.name, name);
        assert!(!sc.run.description.is_empty(), "{name} has a description");
        scenario::check_memory(&sc, 2).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(sc.strategies.len() >= 3, "{name} compares strategies");
    }
}

#[test]
fn every_key_of_every_scenario_says_where_it_comes_from() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for name in SCENARIOS {
        let text = std::fs::read_to_string(dir.join(format!("{name}.toml"))).unwrap();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            // Names and descriptions speak for themselves.
            if t.is_empty()
                || t.starts_with('#')
                || t.starts_with('[')
                || t.starts_with("name =")
                || t.starts_with("description =")
            {
                continue;
            }
            let (_, comment) = t
                .split_once('#')
                .unwrap_or_else(|| panic!("{name}.toml:{}: `{t}` has no comment", i + 1));
            assert!(
                comment.trim().len() > 3,
                "{name}.toml:{}: `{t}` has an empty comment",
                i + 1
            );
        }
        assert!(text.contains("seed 00"), "{name} cites its seed document");
        assert!(text.contains("assumption"), "{name} marks its assumptions");
    }
}

#[test]
fn every_scenario_runs_reduced() {
    for name in SCENARIOS {
        let full = open(name, &[]);
        let years = 2u32;
        // Authorities named in [[strategy.authority]] tables stay; their
        // schools shrink instead.
        let grouped = full.strategies.iter().any(|s| !s.groups.is_empty());
        let mut sets: Vec<String> = vec![
            "replicates=2".into(),
            format!("years={years}"),
            format!("schools.schools={}", if grouped { 8 } else { 24 }),
        ];
        if full.schools.authorities > 3 && !grouped {
            sets.push("schools.authorities=3".into());
        }
        if full.network.inter_authority_ties > 0 {
            sets.push("network.inter_authority_ties=4".into());
        }
        // Schedules beyond the reduced years move to year 1.
        for st in &full.strategies {
            for (key, year) in [
                ("withdraw_year", st.levers.withdraw_year),
                ("relax_year", st.levers.relax_year),
                ("funding_end_year", st.levers.funding_end_year),
            ] {
                if year > years {
                    sets.push(format!("strategy.{}.{key}=1", st.name));
                }
            }
        }
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let run = Run::new(name, &sets);
        assert_eq!(
            run.res.runs.len(),
            2 * run.sc.strategies.len(),
            "{name}: a run per strategy and replicate"
        );
        for st in &run.sc.strategies {
            for v in run.at(&st.name, years, Ind::AttMean) {
                assert!(
                    (0.0..=100.0).contains(&v),
                    "{name}/{}: attainment {v}",
                    st.name
                );
            }
        }
    }
}

/// Burnham (seed 000): Succeeding Together starts slower than the cascade
/// of development planning but is clearly ahead by year 10; the version
/// seen in 2004 (plans sent up, not shared) ends below it; explaining and
/// justifying change raises ownership under both regimes.
#[test]
fn burnham_succeeding_together_overtakes_development_planning() {
    let r = Run::new("burnham", &[]);
    let early = r.diff(
        "development-planning",
        "succeeding-together",
        3,
        Ind::AttMean,
    );
    clearly_positive("development planning ahead at year 3", &early);
    let late = r.diff(
        "succeeding-together",
        "development-planning",
        10,
        Ind::AttMean,
    );
    clearly_positive("succeeding together ahead at year 10", &late);
    let seen = r.diff("succeeding-together", "plans-sent-up", 10, Ind::AttMean);
    clearly_positive("plans sent up keep less of it", &seen);
    let own = r.diff("succeeding-together", "not-legitimised", 10, Ind::Ownership);
    clearly_positive("legitimacy raises ownership (tri-level)", &own);
    let own = r.diff(
        "legitimised-planning",
        "development-planning",
        10,
        Ind::Ownership,
    );
    clearly_positive("legitimacy raises ownership (cascade)", &own);
}

/// Buckinghamshire (seed 002): the lateral learning communities keep their
/// gain after the funding ends, end ahead of a beacon structure, and ending
/// the funding costs a little against funding on.
#[test]
fn buckinghamshire_communities_keep_their_gain_and_end_ahead_of_beacons() {
    // Sustainability is a ratio, noisy where gains are small: 60 replicates.
    let r = Run::new("buckinghamshire", &["replicates=60"]);
    let last = r.sc.run.years;
    let two_later = 3 + r.sc.run.sustain_years;
    // From a steady-state burn-in (docs/ODD.md §10, item 44) the
    // communities no longer keep a larger share of their gain than the
    // beacons (measured -0.10 at year 5 and -0.20 at year 8, both below
    // zero): that part of the source's claim is not reproduced. They still
    // keep their whole gain, end ahead, and lose a little when funding ends.
    for y in [two_later, last] {
        let held = summarise(&r.at("learning-communities", y, Ind::Sustainability));
        assert!(
            held.mean > 1.0,
            "communities keep at least their whole gain at year {y}: {held:?}"
        );
    }
    let ahead = r.diff("learning-communities", "beacon-schools", last, Ind::AttMean);
    clearly_positive("communities end ahead of beacons", &ahead);
    let cost = r.diff(
        "funding-continues",
        "learning-communities",
        last,
        Ind::AttMean,
    );
    clearly_positive("ending the funding costs something", &cost);
}

/// National strategies (seed 004, after Earl et al. 2003): attainment rises
/// sharply in the first years and then levels off (the gain of years 1-3 is
/// at least twice that of years 4-10), and tri-level change goes beyond the
/// plateau. Both are gains over the scenario's status-quo arm, so the
/// baseline's own drift is not read as the strategy's rise.
#[test]
fn national_strategies_rise_then_plateau() {
    let r = Run::new("national-strategies", &[]);
    let net = |y0, y1| {
        let s = r.change("national-strategies", y0, y1, Ind::AttMean);
        let q = r.change("status-quo", y0, y1, Ind::AttMean);
        s.iter().zip(&q).map(|(a, b)| a - b).collect::<Vec<f64>>()
    };
    let early = summarise(&net(0, 3));
    let late = summarise(&net(3, 10));
    clearly_positive("the early rise", &early);
    assert!(
        early.mean >= 2.0 * late.mean,
        "rise then plateau: years 1-3 {:.2}, years 4-10 {:.2}",
        early.mean,
        late.mean
    );
    let beyond = r.diff(
        "beyond-the-plateau",
        "national-strategies",
        10,
        Ind::AttMean,
    );
    clearly_positive("tri-level change beyond the plateau", &beyond);
}

/// Networked Learning Communities (seed 004): joint enquiry in networks
/// beats copying between schools, which falls below leaving schools alone
/// (practice that does not fit), and keeps its gain after funding ends.
/// Reduced to 30 networks of 11 schools.
#[test]
fn nlc_networked_learning_beats_replication() {
    let r = Run::new("nlc", &["schools.schools=330", "replicates=4"]);
    let d = r.diff("networked-learning", "replication", 7, Ind::AttMean);
    clearly_positive("networked learning over replication", &d);
    let d = r.diff("status-quo", "replication", 7, Ind::AttMean);
    clearly_positive("replication below schools left alone", &d);
    let held = summarise(&r.at("networked-learning", 7, Ind::Sustainability));
    assert!(held.mean > 1.0, "networks keep their gain: {held:?}");
}

/// Primary Strategy Learning Networks (seed 004): delivered under the
/// strategies' pressure, trust between schools erodes (competition under
/// accountability); owned networks keep it. Both beat schools left alone.
/// Reduced to 10 authorities.
#[test]
fn psln_owned_networks_keep_trust() {
    let r = Run::new("psln", &["schools.authorities=10", "replicates=3"]);
    let d = r.diff("owned", "delivered", 5, Ind::Trust);
    clearly_positive("owned networks keep more trust", &d);
    for s in ["owned", "delivered"] {
        let d = r.diff(s, "status-quo", 5, Ind::AttMean);
        clearly_positive(&format!("{s} over schools left alone"), &d);
    }
}

/// The LEArning project (seed 004): central directives lead at first;
/// networks keep rising and overtake them; the authority as broker adds to
/// networks left alone.
#[test]
fn learning_project_networks_overtake_central_directives() {
    // 20 replicates: with the scenario's 8, the year-2 lead (about one
    // point) is not clear.
    let r = Run::new("learning-project", &["replicates=20"]);
    let early = r.diff("central-directives", "networks-alone", 2, Ind::AttMean);
    clearly_positive("central directives ahead at year 2", &early);
    let rise = |s: &str| r.change(s, 2, 8, Ind::AttMean);
    let (net, cen) = (rise("networks-alone"), rise("central-directives"));
    let d = summarise(&net.iter().zip(&cen).map(|(a, b)| a - b).collect::<Vec<_>>());
    clearly_positive("networks rise more after year 2", &d);
    let late = summarise(&r.at("networks-alone", 8, Ind::AttMean));
    let central = summarise(&r.at("central-directives", 8, Ind::AttMean));
    assert!(late.mean > central.mean, "networks ahead by year 8");
    let broker = r.diff("authority-as-broker", "networks-alone", 8, Ind::AttMean);
    clearly_positive("brokerage adds to networks", &broker);

    // Each authority with its own strategy: the authorities that build and
    // broker networks rise more after year 2 than those that keep to
    // central directives, in the same linked system.
    let rise = |g: &str| {
        let (a, b) = (r.group_at("own-mix", g, 8), r.group_at("own-mix", g, 2));
        a.iter().zip(&b).map(|(p, q)| p - q).collect::<Vec<_>>()
    };
    let (builders, delivery) = (rise("network builders"), rise(""));
    let d = summarise(
        &builders
            .iter()
            .zip(&delivery)
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>(),
    );
    clearly_positive("network builders rise more than delivery authorities", &d);
    // The mix lies between its parts: above central directives everywhere
    // at year 8 is not claimed, but it is not below them.
    let mix = r.diff("own-mix", "central-directives", 8, Ind::AttMean);
    assert!(
        mix.hi > 0.0,
        "own-mix is not clearly below central directives: {mix:?}"
    );
}

/// Liverpool (seed 001): strength at one level is largely wasted when the
/// others are weak. Strong individual learning alone adds clearly but less
/// than a fifth of what strength at every level adds; strong collective and
/// organisational learning alone carries most of it.
#[test]
fn liverpool_individual_strength_alone_is_largely_wasted() {
    let r = Run::new("liverpool", &[]);
    let y = 10;
    let ind = r.diff("individual-only", "all-weak", y, Ind::AttMean);
    clearly_positive("individual strength adds something", &ind);
    let a = r.at("individual-only", y, Ind::AttMean);
    let s = r.at("all-strong", y, Ind::AttMean);
    let w = r.at("all-weak", y, Ind::AttMean);
    let c = r.at("collective-and-system-only", y, Ind::AttMean);
    let short: Vec<f64> = (0..a.len())
        .map(|k| 0.2 * (s[k] - w[k]) - (a[k] - w[k]))
        .collect();
    clearly_positive(
        "individual strength alone gives under a fifth of strength everywhere",
        &summarise(&short),
    );
    let most: Vec<f64> = (0..a.len())
        .map(|k| (c[k] - w[k]) - 0.6 * (s[k] - w[k]))
        .collect();
    clearly_positive(
        "collective and organisational strength alone gives most of it",
        &summarise(&most),
    );
}
