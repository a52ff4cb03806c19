//! Each lever moves its target in the direction the model's rules say, and
//! a mechanism switched off changes nothing.
//!
//! Strategies of one scenario share every replicate's world, burn-in and
//! random streams, so a lever's effect is measured as the paired difference
//! between two strategies that differ only in that lever, across
//! replicates; a direction is accepted when the mean paired difference
//! exceeds `Z` standard errors. Levers of the schools and landscape
//! sections are compared across two scenarios with the same seed (same
//! worlds where the lever does not enter world building), also paired by
//! replicate.

mod common;

use common::*;
use orglearn::model::N_IND;
use orglearn::model::indicators::{Ind, NAMES};
use std::sync::OnceLock;

/// Standard errors a paired difference must exceed.
const Z: f64 = 3.0;

/// Years simulated in the lever scenarios.
const YEARS: usize = 4;

/// Run settings shared by the lever scenarios: small, deterministic.
fn header(seed: u64) -> String {
    format!(
        "name = \"levers\"\nseed = {seed}\nyears = {YEARS}\nreplicates = 32\n\
         burn_in_years = 3\n[schools]\nschools = 40\n"
    )
}

/// `[[strategy]]` tables: (name, preset, extra keys).
fn strategies(list: &[(&str, &str, &str)]) -> String {
    let mut s = String::new();
    for (name, preset, keys) in list {
        s.push_str(&format!(
            "\n[[strategy]]\nname = \"{name}\"\npreset = \"{preset}\"\n{keys}\n"
        ));
    }
    s
}

// ------------------------------------------------------------------ families

fn cascade_family() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let text = header(101)
            + &strategies(&[
                ("status-quo", "status-quo", ""),
                ("cascade", "cascade", ""),
                ("cascade-twin", "cascade", ""),
                ("fidelity-low", "cascade", "fidelity = 0.75"),
                ("enactment-low", "cascade", "enactment = 0.4"),
                ("compliance-low", "cascade", "compliance = 0.0"),
                ("pressure-full", "cascade", "pressure = 1.0"),
                ("legitimacy-high", "cascade", "legitimacy = 0.9"),
                ("imposition-free", "cascade", "imposition_cost = 0.0"),
                ("overloaded", "cascade", "overload_limit = 2.0"),
                ("no-initiatives", "cascade", "initiatives_per_year = 0.0"),
                ("more-tiers", "cascade", "tiers = 8"),
                ("random-design", "cascade", "design = \"random\""),
                (
                    "lax",
                    "cascade",
                    "pressure = 0.2\nimposition_cost = 0.3\nreversion = 0.5",
                ),
                (
                    "lax-reverting",
                    "cascade",
                    "pressure = 0.2\nimposition_cost = 0.3\nreversion = 4.0",
                ),
                (
                    "lax-no-reversion",
                    "cascade",
                    "pressure = 0.2\nimposition_cost = 0.3\nreversion = 0.0",
                ),
            ]);
        Run::new(&text)
    })
}

fn enquiry_family() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let text = header(202)
            + &strategies(&[
                ("status-quo", "status-quo", ""),
                ("enquiry", "enquiry", ""),
                ("no-projects", "enquiry", "projects_per_year = 0.0"),
                ("more-projects", "enquiry", "projects_per_year = 5.0"),
                ("noisy", "enquiry", "evidence_noise = 25.0"),
                ("capacity-gain", "enquiry", "capacity_gain = 0.3"),
                ("ownership-gain", "enquiry", "ownership_gain = 0.3"),
                ("strict", "enquiry", "adopt_threshold = 3.0"),
                ("funding-ends", "enquiry", "funding_end_year = 2"),
                ("published", "enquiry", "upward = true"),
                ("unpublished", "enquiry", "upward = true\npublish = 0.0"),
                (
                    "eager-uptake",
                    "enquiry",
                    "upward = true\nadvice_uptake = 0.9",
                ),
                ("no-uptake", "enquiry", "upward = true\nadvice_uptake = 0.0"),
                (
                    "unpublished-random-focus",
                    "enquiry",
                    "upward = true\npublish = 0.0\nfocus_choice = \"random\"",
                ),
                (
                    "no-uptake-random-focus",
                    "enquiry",
                    "upward = true\nadvice_uptake = 0.0\nfocus_choice = \"random\"",
                ),
            ]);
        Run::new(&text)
    })
}

fn lateral_family() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let text = header(303)
            + &strategies(&[
                ("status-quo", "status-quo", ""),
                ("network", "network", ""),
                ("meet-more", "network", "meetings_per_year = 12.0"),
                ("meet-none", "network", "meetings_per_year = 0.0"),
                ("no-imitation", "network", "imitation = 0.0"),
                ("decay-high", "network", "trust_decay = 0.9"),
                ("decay-none", "network", "trust_decay = 0.0"),
                ("brokered", "network", "brokered_ties_per_year = 10"),
                ("beacons", "network", "beacons = 3"),
                ("distrust", "network", "trust_init = 0.1"),
                ("adapting", "network", "adapt = true"),
            ]);
        Run::new(&text)
    })
}

fn always_family() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let text = header(404)
            + &strategies(&[
                ("status-quo", "status-quo", ""),
                ("turnover-high", "status-quo", "teacher_turnover = 0.3"),
                ("head-churn", "status-quo", "head_turnover = 0.6"),
                (
                    "head-churn-mentored",
                    "status-quo",
                    "head_turnover = 0.6\nmentoring = 1.0",
                ),
                ("mentored", "status-quo", "mentoring = 1.0"),
                ("cpd-double", "status-quo", "cpd_hours = 70.0"),
                ("cpd-none", "status-quo", "cpd_hours = 0.0"),
                ("socialisation-fast", "status-quo", "socialisation = 3.0"),
                ("collaborative", "status-quo", "collaboration = 0.5"),
                ("enquiry", "enquiry", ""),
                ("enquiry-cpd-double", "enquiry", "cpd_hours = 70.0"),
            ]);
        Run::per_school(&text)
    })
}

/// Every step's value of one indicator, for every replicate, concatenated.
fn all_steps(r: &Run, name: &str, ind: Ind) -> Vec<f64> {
    (0..r.replicates())
        .flat_map(|rep| column(r.rows(name, rep), ind))
        .collect()
}

/// Indices of the indicators whose rows differ (bitwise) between two
/// strategies on some replicate.
fn differing(r: &Run, a: &str, b: &str) -> Vec<&'static str> {
    (0..N_IND)
        .filter(|&i| {
            (0..r.replicates()).any(|rep| {
                let x = r.rows(a, rep);
                let y = r.rows(b, rep);
                x.chunks(N_IND)
                    .zip(y.chunks(N_IND))
                    .any(|(p, q)| p[i].to_bits() != q[i].to_bits())
            })
        })
        .map(|i| NAMES[i])
        .collect()
}

/// The attainment and quality indicators.
const OUTCOMES: &[Ind] = &[
    Ind::AttMean,
    Ind::AttSd,
    Ind::AttP10,
    Ind::AttP25,
    Ind::AttMedian,
    Ind::AttP75,
    Ind::AttP90,
    Ind::Gap,
    Ind::Equity,
    Ind::Quality,
    Ind::Headroom,
    Ind::Depth,
    Ind::Diversity,
];

/// Assert that strategies `a` and `b` differ in no indicator outside
/// `allowed`, and in each indicator of `must`.
#[track_caller]
fn assert_differ_only_in(r: &Run, a: &str, b: &str, allowed: &[&str], must: &[&str]) {
    let d = differing(r, a, b);
    assert!(
        d.iter().all(|n| allowed.contains(n)),
        "{a} vs {b}: differ in {d:?}, expected only {allowed:?}"
    );
    assert!(
        must.iter().all(|n| d.contains(n)),
        "{a} vs {b}: differ in {d:?}, expected at least {must:?}"
    );
}

#[track_caller]
fn assert_outcomes_identical(r: &Run, a: &str, b: &str) {
    for &ind in OUTCOMES {
        assert!(
            same_bits(&all_steps(r, a, ind), &all_steps(r, b, ind)),
            "{a} and {b} differ in {}",
            NAMES[ind as usize]
        );
    }
}

// ------------------------------------------------------------------ cascade

#[test]
fn higher_fidelity_gives_a_larger_cascade_gain_and_less_diversity() {
    let r = cascade_family();
    let y = YEARS;
    assert_greater(
        &r.at("cascade", y, Ind::AttMean),
        &r.at("fidelity-low", y, Ind::AttMean),
        Z,
        "fidelity 0.95 vs 0.75: attainment",
    );
    assert_greater(
        &r.at("fidelity-low", y, Ind::Diversity),
        &r.at("cascade", y, Ind::Diversity),
        Z,
        "fidelity 0.75 vs 0.95: diversity",
    );
}

#[test]
fn more_tiers_lose_more_of_the_message() {
    let r = cascade_family();
    assert_greater(
        &r.at("cascade", YEARS, Ind::AttMean),
        &r.at("more-tiers", YEARS, Ind::AttMean),
        Z,
        "4 tiers vs 8 tiers: attainment",
    );
}

#[test]
fn higher_enactment_gives_a_larger_cascade_gain_and_less_diversity() {
    let r = cascade_family();
    assert_greater(
        &r.at("cascade", 2, Ind::AttMean),
        &r.at("enactment-low", 2, Ind::AttMean),
        Z,
        "enactment 0.8 vs 0.4: attainment at year 2",
    );
    assert_greater(
        &r.at("enactment-low", 2, Ind::Diversity),
        &r.at("cascade", 2, Ind::Diversity),
        Z,
        "enactment 0.4 vs 0.8: diversity at year 2",
    );
}

#[test]
fn compliance_and_pressure_raise_initiatives_complied() {
    let r = cascade_family();
    let complied = |n| r.total(n, 1, YEARS, Ind::InitComplied);
    let received = |n| r.total(n, 1, YEARS, Ind::InitReceived);
    assert_greater(
        &complied("cascade"),
        &complied("compliance-low"),
        Z,
        "compliance 0.7 vs 0: initiatives complied",
    );
    assert_greater(
        &complied("pressure-full"),
        &complied("cascade"),
        Z,
        "pressure 1 vs 0.8: initiatives complied",
    );
    // Compliance does not change what arrives.
    assert!(same_bits(&received("cascade"), &received("compliance-low")));
    // Full pressure makes every school comply with every initiative, and
    // holds imposed practice in place (no reversion).
    for rep in 0..r.replicates() {
        let rows = r.rows("pressure-full", rep);
        let rec = column(rows, Ind::InitReceived);
        let com = column(rows, Ind::InitComplied);
        assert!(same_bits(&rec, &com), "replicate {rep}");
        assert!(column(rows, Ind::Reversions).iter().all(|&v| v == 0.0));
    }
    // Four initiatives a year reach every school.
    for v in received("cascade") {
        assert!((v - 4.0 * YEARS as f64).abs() < 1e-9, "received {v}");
    }
}

#[test]
fn legitimacy_and_low_imposition_cost_keep_ownership() {
    let r = cascade_family();
    let own = |n| r.at(n, YEARS, Ind::Ownership);
    assert_greater(
        &own("legitimacy-high"),
        &own("cascade"),
        Z,
        "legitimacy 0.9 vs 0.3: ownership",
    );
    assert_greater(
        &own("imposition-free"),
        &own("cascade"),
        Z,
        "imposition_cost 0 vs 0.05: ownership",
    );
    // Imposition without legitimacy erodes ownership below what schools
    // left alone keep.
    assert_greater(
        &own("status-quo"),
        &own("cascade"),
        Z,
        "status-quo vs cascade: ownership",
    );
}

#[test]
fn higher_reversion_reverts_more_and_none_reverts_nothing() {
    let r = cascade_family();
    let rev = |n| r.total(n, 1, YEARS, Ind::Reversions);
    assert_greater(
        &rev("lax-reverting"),
        &rev("lax"),
        Z,
        "reversion 4 vs 0.5 (low pressure, low ownership): reversions",
    );
    assert_positive(est(&rev("lax")), Z, "reversions at rate 0.5");
    assert!(
        all_steps(r, "lax-no-reversion", Ind::Reversions)
            .iter()
            .all(|&v| v == 0.0)
    );
    // Reversion undoes the cascade's gain.
    assert_greater(
        &r.at("lax", YEARS, Ind::AttMean),
        &r.at("lax-reverting", YEARS, Ind::AttMean),
        Z,
        "reversion 0.5 vs 4: attainment",
    );
}

#[test]
fn overload_weakens_the_cascade() {
    let r = cascade_family();
    assert_greater(
        &r.at("cascade", YEARS, Ind::AttMean),
        &r.at("overloaded", YEARS, Ind::AttMean),
        Z,
        "overload_limit 6 vs 2 (4 initiatives a year): attainment",
    );
    // Overload scales enactment, not what arrives or is complied with.
    assert!(same_bits(
        &all_steps(r, "cascade", Ind::InitComplied),
        &all_steps(r, "overloaded", Ind::InitComplied)
    ));
}

#[test]
fn an_expert_design_beats_a_random_one() {
    let r = cascade_family();
    assert_greater(
        &r.at("cascade", YEARS, Ind::AttMean),
        &r.at("random-design", YEARS, Ind::AttMean),
        Z,
        "expert vs random design: attainment",
    );
    assert_greater(
        &r.at("cascade", YEARS, Ind::AttMean),
        &r.at("status-quo", YEARS, Ind::AttMean),
        Z,
        "expert cascade vs status-quo: attainment",
    );
}

#[test]
fn a_cascade_without_initiatives_is_the_status_quo() {
    let r = cascade_family();
    assert_outcomes_identical(r, "no-initiatives", "status-quo");
    assert_differ_only_in(r, "no-initiatives", "status-quo", &[], &[]);
    assert!(
        all_steps(r, "no-initiatives", Ind::InitReceived)
            .iter()
            .all(|&v| v == 0.0)
    );
    assert!(
        all_steps(r, "no-initiatives", Ind::Mandated)
            .iter()
            .all(|&v| v == 0.0)
    );
}

#[test]
fn identical_strategies_give_identical_rows() {
    let r = cascade_family();
    for rep in 0..r.replicates() {
        assert!(
            same_bits(r.rows("cascade", rep), r.rows("cascade-twin", rep)),
            "replicate {rep}"
        );
    }
    // ... and a different strategy does not.
    assert!(!same_bits(r.rows("cascade", 0), r.rows("fidelity-low", 0)));
}

#[test]
fn strategies_share_year_zero() {
    for r in [
        cascade_family(),
        enquiry_family(),
        lateral_family(),
        always_family(),
    ] {
        let first = &r.sc.strategies[0].name;
        for s in &r.sc.strategies {
            for rep in 0..r.replicates() {
                let a = &r.rows(first, rep)[..N_IND];
                let b = &r.rows(&s.name, rep)[..N_IND];
                for &ind in OUTCOMES {
                    let i = ind as usize;
                    assert_eq!(a[i].to_bits(), b[i].to_bits(), "{} {}", s.name, NAMES[i]);
                }
            }
        }
    }
}

// ------------------------------------------------------------------ enquiry

#[test]
fn enquiry_raises_attainment_over_the_status_quo() {
    let r = enquiry_family();
    assert_greater(
        &r.at("enquiry", YEARS, Ind::AttMean),
        &r.at("status-quo", YEARS, Ind::AttMean),
        Z,
        "enquiry vs status-quo: attainment",
    );
}

#[test]
fn noisier_evidence_lowers_the_enquiry_gain() {
    let r = enquiry_family();
    assert_greater(
        &r.at("enquiry", YEARS, Ind::AttMean),
        &r.at("noisy", YEARS, Ind::AttMean),
        Z,
        "evidence_noise 4 vs 25: attainment",
    );
}

#[test]
fn more_projects_per_year_run_more_projects() {
    let r = enquiry_family();
    let run = |n| r.total(n, 1, YEARS, Ind::ProjectsRun);
    assert_greater(
        &run("more-projects"),
        &run("enquiry"),
        Z,
        "projects_per_year 5 vs 2.5: projects run",
    );
    assert_greater(
        &r.at("more-projects", YEARS, Ind::AttMean),
        &r.at("enquiry", YEARS, Ind::AttMean),
        Z,
        "projects_per_year 5 vs 2.5: attainment",
    );
    // Projects are never more than planned (failed projects may skip one).
    for v in run("enquiry") {
        assert!(v <= 2.5 * YEARS as f64 + 1.0, "projects run {v}");
    }
}

#[test]
fn a_higher_adoption_threshold_adopts_fewer_projects() {
    let r = enquiry_family();
    let adopted = |n| r.total(n, 1, YEARS, Ind::ProjectsAdopted);
    assert_greater(
        &adopted("enquiry"),
        &adopted("strict"),
        Z,
        "adopt_threshold 0 vs 3: projects adopted",
    );
    for rep in 0..r.replicates() {
        let rows = r.rows("enquiry", rep);
        let run = column(rows, Ind::ProjectsRun);
        let ad = column(rows, Ind::ProjectsAdopted);
        assert!(run.iter().zip(&ad).all(|(a, b)| b <= a));
    }
}

#[test]
fn capacity_and_ownership_gains_raise_capacity_and_ownership() {
    let r = enquiry_family();
    assert_greater(
        &r.at("capacity-gain", YEARS, Ind::Capacity),
        &r.at("enquiry", YEARS, Ind::Capacity),
        Z,
        "capacity_gain 0.3 vs 0.05: capacity",
    );
    assert_greater(
        &r.at("ownership-gain", YEARS, Ind::Ownership),
        &r.at("enquiry", YEARS, Ind::Ownership),
        Z,
        "ownership_gain 0.3 vs 0.05: ownership",
    );
}

#[test]
fn enquiry_without_projects_is_the_status_quo() {
    let r = enquiry_family();
    assert_outcomes_identical(r, "no-projects", "status-quo");
    let diff = differing(r, "no-projects", "status-quo");
    assert!(
        diff.is_empty(),
        "enquiry with no projects differs from status-quo in {diff:?}"
    );
}

#[test]
fn projects_fall_after_funding_ends() {
    let r = enquiry_family();
    // Identical while funded.
    let spy = r.spy();
    for rep in 0..r.replicates() {
        let a = &r.rows("enquiry", rep)[..(2 * spy + 1) * N_IND];
        let b = &r.rows("funding-ends", rep)[..(2 * spy + 1) * N_IND];
        assert!(same_bits(a, b), "replicate {rep}: differs while funded");
    }
    let after = |n| r.total(n, 3, YEARS, Ind::ProjectsRun);
    assert_greater(
        &after("enquiry"),
        &after("funding-ends"),
        Z,
        "projects run after funding ends",
    );
    // Activity goes on at a fraction (the ownership of each school).
    assert_positive(est(&after("funding-ends")), Z, "projects after funding");
}

#[test]
fn nothing_published_means_no_findings() {
    let r = enquiry_family();
    for ind in [Ind::FindingsPublished, Ind::FindingsTakenUp] {
        assert!(
            all_steps(r, "unpublished", ind).iter().all(|&v| v == 0.0),
            "{}",
            NAMES[ind as usize]
        );
    }
    assert_positive(
        est(&r.total("published", 1, YEARS, Ind::FindingsPublished)),
        Z,
        "findings published at publish = 0.5",
    );
    // Findings published but never taken up change no school's code: with
    // the priority area chosen at random, the same outcomes as publishing
    // none. (With the default choice, publication also shows every school
    // the authority's best school, which steers its priority area.)
    assert_outcomes_identical(r, "no-uptake-random-focus", "unpublished-random-focus");
    assert_differ_only_in(
        r,
        "no-uptake-random-focus",
        "unpublished-random-focus",
        &["findings_published", "slo_knowledge"],
        &["findings_published"],
    );
}

#[test]
fn higher_advice_uptake_takes_up_more_findings() {
    let r = enquiry_family();
    let up = |n| r.total(n, 1, YEARS, Ind::FindingsTakenUp);
    assert_greater(
        &up("eager-uptake"),
        &up("published"),
        Z,
        "advice_uptake 0.9 vs 0.3: findings taken up",
    );
    assert_positive(est(&up("published")), Z, "findings taken up");
    assert!(up("no-uptake").iter().all(|&v| v == 0.0));
    let slo = |n| r.at(n, YEARS, Ind::SloKnowledge);
    assert_greater(
        &slo("published"),
        &slo("enquiry"),
        Z,
        "publication vs none: slo_knowledge",
    );
}

// ------------------------------------------------------------------ lateral

#[test]
fn more_meetings_per_year_hold_more_meetings() {
    let r = lateral_family();
    let m = |n| r.total(n, 1, YEARS, Ind::Meetings);
    assert_greater(
        &m("meet-more"),
        &m("network"),
        Z,
        "meetings_per_year 12 vs 6: meetings",
    );
    assert_greater(
        &m("network"),
        &m("distrust"),
        Z,
        "trust_init 0.5 vs 0.1: meetings",
    );
    assert_greater(
        &r.at("meet-more", YEARS, Ind::SloExternal),
        &r.at("network", YEARS, Ind::SloExternal),
        Z,
        "meetings_per_year 12 vs 6: slo_external",
    );
}

#[test]
fn a_network_that_never_meets_is_the_status_quo() {
    let r = lateral_family();
    assert_outcomes_identical(r, "meet-none", "status-quo");
    // Only trust is defined (and decays) where lateral exchange is on.
    assert_differ_only_in(r, "meet-none", "status-quo", &["trust"], &["trust"]);
    for ind in [Ind::Meetings, Ind::LateralAdoptions] {
        assert!(all_steps(r, "meet-none", ind).iter().all(|&v| v == 0.0));
    }
}

#[test]
fn without_imitation_nothing_is_adopted() {
    let r = lateral_family();
    assert!(
        all_steps(r, "no-imitation", Ind::LateralAdoptions)
            .iter()
            .all(|&v| v == 0.0)
    );
    assert_outcomes_identical(r, "no-imitation", "status-quo");
    assert_differ_only_in(
        r,
        "no-imitation",
        "status-quo",
        &["trust", "meetings", "slo_external"],
        &["trust", "meetings", "slo_external"],
    );
    // Meetings still happen.
    assert_positive(
        est(&r.total("no-imitation", 1, YEARS, Ind::Meetings)),
        Z,
        "meetings at imitation 0",
    );
    assert_positive(
        est(&r.total("network", 1, YEARS, Ind::LateralAdoptions)),
        Z,
        "lateral adoptions at imitation 0.25",
    );
}

#[test]
fn trust_decays_faster_with_a_higher_decay_rate() {
    let r = lateral_family();
    assert_greater(
        &r.at("network", YEARS, Ind::Trust),
        &r.at("decay-high", YEARS, Ind::Trust),
        Z,
        "trust_decay 0.2 vs 0.9: trust",
    );
    assert_greater(
        &r.at("decay-none", YEARS, Ind::Trust),
        &r.at("network", YEARS, Ind::Trust),
        Z,
        "trust_decay 0 vs 0.2: trust",
    );
    // Trust is undefined without lateral exchange.
    assert!(
        all_steps(r, "status-quo", Ind::Trust)
            .iter()
            .all(|v| v.is_nan())
    );
}

#[test]
fn brokered_ties_add_meetings() {
    let r = lateral_family();
    let m = |n| r.total(n, 2, YEARS, Ind::Meetings);
    assert_greater(
        &m("brokered"),
        &m("network"),
        Z,
        "brokered_ties_per_year 10 vs 0: meetings",
    );
    // Nothing changes before the first ties are added at the end of year 1.
    let spy = r.spy();
    for rep in 0..r.replicates() {
        let a = &r.rows("network", rep)[..spy * N_IND];
        let b = &r.rows("brokered", rep)[..spy * N_IND];
        assert!(same_bits(a, b), "replicate {rep}");
    }
}

#[test]
fn beacons_thin_the_network() {
    // A beacon structure links each school to one beacon only, fewer links
    // than learning communities of six with dense ties inside.
    let r = lateral_family();
    let m = |n| r.total(n, 1, YEARS, Ind::Meetings);
    assert_greater(
        &m("network"),
        &m("beacons"),
        Z,
        "clusters vs 3 beacons: meetings",
    );
}

#[test]
fn replication_collapses_diversity_more_than_mutual_adaptation() {
    let r = lateral_family();
    assert_greater(
        &r.at("status-quo", YEARS, Ind::Diversity),
        &r.at("network", YEARS, Ind::Diversity),
        Z,
        "status-quo vs network: diversity",
    );
    assert_greater(
        &r.at("adapting", YEARS, Ind::Diversity),
        &r.at("network", YEARS, Ind::Diversity),
        Z,
        "adapt vs replicate: diversity",
    );
}

// ------------------------------------------------------------------ always-on levers

#[test]
fn teacher_turnover_lowers_capacity() {
    let r = always_family();
    assert_greater(
        &r.at("status-quo", YEARS, Ind::Capacity),
        &r.at("turnover-high", YEARS, Ind::Capacity),
        Z,
        "teacher_turnover 0.1 vs 0.3: capacity",
    );
}

#[test]
fn mentoring_protects_capacity_from_head_changes() {
    let r = always_family();
    assert_greater(
        &r.at("head-churn-mentored", YEARS, Ind::Capacity),
        &r.at("head-churn", YEARS, Ind::Capacity),
        Z,
        "mentoring 1 vs 0 (head_turnover 0.6): capacity",
    );
    assert_greater(
        &r.at("status-quo", YEARS, Ind::Capacity),
        &r.at("head-churn", YEARS, Ind::Capacity),
        Z,
        "head_turnover 0.1 vs 0.6: capacity",
    );
    // Full mentoring removes the head-change cost: how often heads change
    // then does not touch capacity at all.
    assert!(same_bits(
        &all_steps(r, "head-churn-mentored", Ind::Capacity),
        &all_steps(r, "mentored", Ind::Capacity),
    ));
    assert_greater(
        &r.at("mentored", YEARS, Ind::Capacity),
        &r.at("status-quo", YEARS, Ind::Capacity),
        Z,
        "mentoring 1 vs 0 (head_turnover 0.1): capacity",
    );
}

#[test]
fn cpd_raises_capacity() {
    let r = always_family();
    assert_greater(
        &r.at("cpd-double", YEARS, Ind::Capacity),
        &r.at("status-quo", YEARS, Ind::Capacity),
        Z,
        "cpd_hours 70 vs 35: capacity",
    );
    assert_greater(
        &r.at("status-quo", YEARS, Ind::Capacity),
        &r.at("cpd-none", YEARS, Ind::Capacity),
        Z,
        "cpd_hours 35 vs 0: capacity",
    );
    assert_greater(
        &r.at("enquiry-cpd-double", YEARS, Ind::AttMean),
        &r.at("enquiry", YEARS, Ind::AttMean),
        Z,
        "cpd_hours 70 vs 35 under enquiry: attainment",
    );
    // Under status-quo, capacity feeds back into nothing: CPD changes
    // capacity and the SLO composites built on it, and no outcome.
    assert_outcomes_identical(r, "cpd-double", "status-quo");
    assert_differ_only_in(
        r,
        "cpd-double",
        "status-quo",
        &["capacity", "slo_continuous", "slo_leadership"],
        &["capacity", "slo_continuous", "slo_leadership"],
    );
    // Every update of capacity is monotone in capacity and in CPD, and the
    // draws of turnover do not depend on it: more CPD gives every school at
    // least as much capacity at every step.
    for rep in 0..r.replicates() {
        let more = &r.record("cpd-double", rep).per_school;
        let base = &r.record("status-quo", rep).per_school;
        let none = &r.record("cpd-none", rep).per_school;
        assert_eq!(more.len(), base.len());
        for ((m, b), z) in more.iter().zip(base).zip(none) {
            assert_eq!((m.step, m.school), (b.step, b.school));
            assert!(
                m.capacity >= b.capacity && b.capacity >= z.capacity,
                "{m:?} {b:?} {z:?}"
            );
        }
    }
}

#[test]
fn faster_socialisation_raises_shared_vision() {
    let r = always_family();
    assert_greater(
        &r.at("socialisation-fast", YEARS, Ind::SloVision),
        &r.at("status-quo", YEARS, Ind::SloVision),
        Z,
        "socialisation 3 vs 0.5: slo_vision",
    );
}

#[test]
fn collaboration_raises_team_learning() {
    let r = always_family();
    let a = r.at("collaborative", YEARS, Ind::SloTeam);
    let b = r.at("status-quo", YEARS, Ind::SloTeam);
    // A deterministic composite of the rates: higher on every replicate.
    assert!(a.iter().zip(&b).all(|(x, y)| x > y), "{a:?} vs {b:?}");
    assert_greater(
        &r.at("collaborative", YEARS, Ind::SloVision),
        &r.at("status-quo", YEARS, Ind::SloVision),
        Z,
        "collaboration 0.5 vs 0: slo_vision",
    );
}

// ------------------------------------------------------------------ outcome scale and landscape

/// Two scenarios that differ in one key, run on the same seed. The texts
/// follow the header, so a bare key lands in `[schools]`.
fn pair(seed: u64, section_a: &str, section_b: &str, strats: &[(&str, &str, &str)]) -> (Run, Run) {
    let make = |sec: &str| header(seed) + sec + "\n" + &strategies(strats);
    (Run::new(&make(section_a)), Run::new(&make(section_b)))
}

#[test]
fn turbulence_lowers_status_quo_quality() {
    let strats = [("status-quo", "status-quo", "")];
    let (calm, rough) = pair(
        505,
        "[landscape]\nturbulence = 0.0",
        "[landscape]\nturbulence = 0.25",
        &strats,
    );
    assert_greater(
        &calm.at("status-quo", YEARS, Ind::Quality),
        &rough.at("status-quo", YEARS, Ind::Quality),
        Z,
        "turbulence 0 vs 0.25: quality",
    );
}

#[test]
fn without_a_practice_effect_attainment_is_intake() {
    let strats = [
        ("status-quo", "status-quo", ""),
        ("cascade", "cascade", ""),
        ("network", "network", ""),
    ];
    let text = header(606) + "practice_effect = 0.0\n" + &strategies(&strats);
    let r = Run::per_school(&text);
    // Quality moves with the strategy ...
    assert_greater(
        &r.at("cascade", YEARS, Ind::Quality),
        &r.at("status-quo", YEARS, Ind::Quality),
        Z,
        "cascade vs status-quo: quality with practice_effect 0",
    );
    // ... but attainment does not: it stays at each school's year-0 value
    // (its intake) whatever the strategy.
    for s in ["status-quo", "cascade", "network"] {
        assert!(same_bits(
            &all_steps(&r, s, Ind::AttMean),
            &all_steps(&r, "status-quo", Ind::AttMean)
        ));
        for rep in 0..r.replicates() {
            let ps = &r.record(s, rep).per_school;
            let n = r.sc.schools.schools as usize;
            for row in ps {
                let y0 = &ps[row.school as usize];
                assert_eq!(y0.step, 0);
                assert_eq!(row.attainment.to_bits(), y0.attainment.to_bits());
            }
            assert_eq!(ps.len(), n * (r.res.steps + 1));
        }
    }
}

#[test]
fn higher_responsiveness_shows_the_gain_sooner() {
    let strats = [("status-quo", "status-quo", ""), ("cascade", "cascade", "")];
    let (slow, fast) = pair(707, "responsiveness = 0.5", "responsiveness = 4.0", &strats);
    let g = |r: &Run| r.gain("cascade", "status-quo", 1, Ind::AttMean);
    assert_greater(
        &g(&fast),
        &g(&slow),
        Z,
        "responsiveness 4 vs 0.5: cascade gain at year 1",
    );
}
