//! Validation-model benchmarks, single-threaded: the loads other
//! implementations are timed against, and the parts they are made of.
//!
//! - `march_figure1_80`: March's Figure 1 sweep (27 points) at 80
//!   replications per point, every run to equilibrium;
//! - `march_run_to_equilibrium`: one run at p1 = p2 = 0.5;
//! - `lf_reference`: the `lf-reference` load (linear network, 100 agents,
//!   100 rounds, 100 landscapes of N = 20, K = 5, exact maxima included);
//! - `lf_landscape`: one N = 20, K = 5 landscape with its exact maximum and
//!   table (the bulk of `lf_reference`);
//! - `lf_rounds`: 100 rounds of 100 agents on one landscape, per network;
//! - `fang_sweep_10`: the `fang2010` sweep (9 points) for 10 organisations.
//!
//! Run: `cargo bench --bench validation` (add a name to filter).

use divan::Bencher;
use orglearn::landscape::Landscape;
use orglearn::rng::{Purpose, stream};
use orglearn::validation::{Loaded, lazer, load, march};

fn main() {
    divan::main();
}

fn loaded(name: &str, sets: &[&str]) -> Loaded {
    let sets: Vec<(String, String)> = sets
        .iter()
        .map(|s| (s.to_string(), s.to_string()))
        .collect();
    load(name, &sets).expect("built-in loads").1
}

fn one_thread() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn march_figure1_80(bencher: Bencher) {
    let Loaded::March(cfg) = loaded("march1991", &["figures=[1]", "replicates=80"]) else {
        unreachable!()
    };
    let pool = one_thread();
    bencher.bench(|| pool.install(|| march::run(divan::black_box(&cfg))));
}

#[divan::bench]
fn march_run_to_equilibrium(bencher: Bencher) {
    let d = march::Dynamics::uniform(50, 0.5, 0.5, 0.0, 0.0);
    let mut rep = 0;
    bencher.bench_local(|| {
        rep += 1;
        let mut org = march::initial_org(1991, rep, 30, 50);
        let mut rng = stream(1991, rep as u64, 1, Purpose::Validation, 0);
        march::run_to_equilibrium(&mut org, &d, 10_000, &mut rng)
    });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn lf_reference(bencher: Bencher) {
    let Loaded::LazerFriedman(cfg) = loaded("lf-reference", &[]) else {
        unreachable!()
    };
    let pool = one_thread();
    bencher.bench(|| pool.install(|| lazer::run(divan::black_box(&cfg))));
}

#[divan::bench(sample_count = 20)]
fn lf_landscape(bencher: Bencher) {
    let Loaded::LazerFriedman(cfg) = loaded("lf-reference", &[]) else {
        unreachable!()
    };
    let spec = cfg.landscape_spec();
    let mut rep = 0;
    bencher.bench_local(|| {
        rep += 1;
        Landscape::generate(&spec, &mut stream(2007, rep, 0, Purpose::Validation, 0)).unwrap()
    });
}

#[divan::bench(args = ["linear", "complete", "random", "small_world"], sample_count = 20)]
fn lf_rounds(bencher: Bencher, kind: &str) {
    let Loaded::LazerFriedman(cfg) = loaded(
        "lazer-friedman2007",
        &[&format!("networks.kinds=[\"{kind}\"]")],
    ) else {
        unreachable!()
    };
    let land = Landscape::generate(
        &cfg.landscape_spec(),
        &mut stream(2007, 0, 0, Purpose::Validation, 0),
    )
    .unwrap();
    let mut srng = stream(2007, 0, 1, Purpose::Validation, 0);
    let starts: Vec<u64> = (0..100)
        .map(|_| rand::Rng::next_u64(&mut srng) & land.mask())
        .collect();
    let net = lazer::build_net(
        cfg.networks.kinds[0],
        100,
        &cfg.networks,
        &mut stream(2007, 0, 2, Purpose::Validation, 0),
    );
    let rules = lazer::Rules::new(&cfg.agents, cfg.landscape.exponent);
    bencher.bench_local(|| {
        let mut rng = stream(2007, 0, 3, Purpose::Validation, 0);
        lazer::play(&land, &starts, &net, &rules, &mut rng)
    });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn fang_sweep_10(bencher: Bencher) {
    let Loaded::Fang(cfg) = loaded("fang2010", &["replicates=10"]) else {
        unreachable!()
    };
    let pool = one_thread();
    bencher.bench(|| pool.install(|| orglearn::validation::fang::run(divan::black_box(&cfg))));
}
