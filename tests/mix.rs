//! Strategies whose authorities run levers of their own (`[[strategy.authority]]`,
//! `model::Mix`): a mix of identical sets is the uniform run bit for bit;
//! each authority's schools show only the mechanisms its own levers switch
//! on; a tie between authorities carries the exchange only when both ends
//! run it; results do not depend on the thread count.

use orglearn::model::{self, Mix, Run, State, World};
use orglearn::params::{self, Levers, PRESETS};
use orglearn::runner;
use orglearn::scenario::Scenario;

fn scenario(text: &str) -> Scenario {
    Scenario::from_str(text, "mix.toml", None).unwrap_or_else(|e| panic!("{e}"))
}

/// Four authorities of 12 schools, clusters inside each.
fn four(ties: u32) -> String {
    format!(
        "seed = 7\nyears = 4\nreplicates = 2\nburn_in_years = 1\n\
         [schools]\nauthorities = 4\nschools = 12\nstaff_mean = 12\n\
         [network]\nkind = \"clusters\"\ncluster_size = 6\ninter_authority_ties = {ties}\n"
    )
}

fn prepare(sc: &Scenario) -> (World, State, model::Settings) {
    let w = runner::world(sc, 0).unwrap_or_else(|e| panic!("{e}"));
    let st = runner::settings(sc, false);
    let start = model::burn_in(&w, &sc.burn_in_levers(), &st);
    (w, start, st)
}

fn preset(name: &str) -> Levers {
    params::preset(name).unwrap()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn a_mix_of_identical_sets_is_the_uniform_run() {
    let sc = scenario(&four(6));
    let (w, start, st) = prepare(&sc);
    for (p, _) in PRESETS {
        let l = preset(p);
        let uniform = model::run_strategy(&w, &start, &l, &st);
        let mix = Mix {
            sets: vec![l.clone(), l.clone(), l.clone()],
            of_authority: vec![0, 2, 1, 2],
        };
        let mixed = model::run_mix(&w, &start, &mix, &st);
        let first_difference = bits(&uniform.rows)
            .iter()
            .zip(bits(&mixed.rows))
            .position(|(a, b)| *a != b);
        assert_eq!(first_difference, None, "{p}: rows differ");
        // Per set: the mean attainment of its schools, which together make
        // the whole.
        let sets = 3;
        assert_eq!(mixed.groups.len(), (sc.run.years as usize + 1) * sets);
        let whole = *uniform
            .rows
            .chunks(model::N_IND)
            .last()
            .map(|r| &r[orglearn::model::indicators::Ind::AttMean as usize])
            .unwrap();
        let last = &mixed.groups[sc.run.years as usize * sets..];
        // Authorities are the same size, so the whole is the mean of the
        // sets weighted 1:1:2.
        let weighted = (last[0] + last[1] + 2.0 * last[2]) / 4.0;
        assert!(
            (weighted - whole).abs() < 1e-9,
            "{p}: {weighted} vs {whole}"
        );
    }
}

/// Schools of authority `a` in `w`.
fn schools_of(w: &World, a: usize) -> Vec<usize> {
    (0..w.n_schools)
        .filter(|&s| w.authority[s] as usize == a)
        .collect()
}

#[test]
fn each_authority_shows_only_its_own_mechanisms() {
    let sc = scenario(&four(0));
    let (w, start, st) = prepare(&sc);
    // 1: status quo, 2: cascade, 3: enquiry, 4: networks.
    let mix = Mix {
        sets: vec![
            preset("status-quo"),
            preset("cascade"),
            preset("enquiry"),
            preset("network"),
        ],
        of_authority: vec![0, 1, 2, 3],
    };
    let mut run = Run::with_mix(&w, &start, &mix, &st);
    let t0 = run.state().trust.clone();
    let (mut mandated, mut decided) = ([false; 4], [false; 4]);
    while run.step() {
        let s = run.state();
        for a in 0..4 {
            for sc in schools_of(&w, a) {
                mandated[a] |= s.code_mand[sc] != 0;
                decided[a] |= s.code_decided[sc] != 0;
            }
        }
    }
    assert_eq!(
        mandated,
        [false, true, false, false],
        "mandates only under the cascade"
    );
    assert!(
        !decided[0] && !decided[1],
        "no enquiry or peers in 1 and 2: {decided:?}"
    );
    assert!(
        decided[2] && decided[3],
        "enquiry and peers decide in 3 and 4: {decided:?}"
    );
    // Trust moves only on the ties of the networking authority.
    let s = run.state();
    let mut moved = [false; 4];
    for (e, &(i, j)) in s.net.edges.iter().enumerate().take(t0.len()) {
        let a = w.authority[i as usize] as usize;
        assert_eq!(
            a, w.authority[j as usize] as usize,
            "no ties between authorities"
        );
        moved[a] |= s.trust[e] != t0[e];
    }
    assert_eq!(moved, [false, false, false, true], "trust moves only in 4");
}

#[test]
fn a_tie_between_authorities_needs_both_ends_in_the_exchange() {
    let sc = scenario(&four(40));
    let (w, start, st) = prepare(&sc);
    // Authorities 1 and 2 network, 3 and 4 do not.
    let mix = Mix {
        sets: vec![preset("network"), preset("cascade")],
        of_authority: vec![0, 0, 1, 1],
    };
    let mut run = Run::with_mix(&w, &start, &mix, &st);
    let t0 = run.state().trust.clone();
    while run.step() {}
    let s = run.state();
    let lateral = |i: u32| (w.authority[i as usize] as usize) < 2;
    let (mut across_active, mut inactive) = (0, 0);
    for (e, &(i, j)) in s.net.edges.iter().enumerate().take(t0.len()) {
        if lateral(i) && lateral(j) {
            across_active += usize::from(w.authority[i as usize] != w.authority[j as usize]);
        } else {
            inactive += 1;
            assert_eq!(
                s.trust[e], t0[e],
                "tie {i}-{j} has an end outside the exchange"
            );
        }
    }
    assert!(
        across_active > 0 && inactive > 0,
        "the world has both kinds of tie"
    );
}

#[test]
fn a_mixed_scenario_does_not_depend_on_the_thread_count() {
    let text = format!(
        "{}[[strategy]]\npreset = \"cascade\"\nname = \"mix\"\n\
         [[strategy.authority]]\nauthorities = [2, 3]\npreset = \"tri-level\"\nbrokered_ties_per_year = 2\n\
         [[strategy.authority]]\nauthorities = [4]\npreset = \"enquiry\"\nwithdraw_year = 2\n",
        four(10)
    );
    let sc = scenario(&text);
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| runner::run(&sc, true, &|_| {}))
            .unwrap()
    };
    let (one, two) = (on(1), on(2));
    assert_eq!(one.runs.len(), two.runs.len());
    for (a, b) in one.runs.iter().zip(&two.runs) {
        assert_eq!((a.strategy, a.replicate), (b.strategy, b.replicate));
        assert_eq!(bits(&a.record.rows), bits(&b.record.rows));
        assert_eq!(bits(&a.record.groups), bits(&b.record.groups));
    }
}

#[test]
fn a_group_listing_an_authority_the_world_lacks_is_an_error_at_run_time() {
    let sc = scenario(&format!(
        "{}[[strategy]]\npreset = \"cascade\"\n[[strategy.authority]]\nauthorities = [2]\n",
        four(0)
    ));
    let w = runner::world(&sc, 0).unwrap();
    let mut st = sc.strategies[0].clone();
    st.groups[0].authorities = vec!["9".into()];
    let e = st.mix(&w).unwrap_err();
    assert!(e.contains("authority \"9\""), "{e}");
    assert_eq!(
        sc.strategies[0].mix(&w).unwrap().of_authority,
        vec![0, 1, 0, 0]
    );
}
