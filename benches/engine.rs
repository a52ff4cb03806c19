//! Engine benchmarks: one step and one whole run at Burnham size (93 schools,
//! about 3,500 teachers) and at England size (about 24,000 schools in 150
//! authorities, about 450,000 teachers), each with 1 and 2 worker threads.
//!
//! Run: `cargo bench --bench engine` (add `-- burnham` or `-- england` to filter).

use divan::Bencher;
use orglearn::model::{self, Run, State, World};
use orglearn::runner;
use orglearn::scenario::Scenario;

fn main() {
    divan::main();
}

const BURNHAM: &str = r#"
name = "burnham-size"
seed = 2004
years = 10
replicates = 1
[schools]
schools = 93
staff_mean = 37.6
[[strategy]]
preset = "tri-level"
"#;

const ENGLAND: &str = r#"
name = "england-size"
seed = 2004
years = 10
replicates = 1
[schools]
authorities = 150
schools = 160
schools_cv = 0.6
staff_mean = 18.75
staff_sd = 8
[network]
kind = "clusters"
inter_authority_ties = 300
[[strategy]]
preset = "tri-level"
brokered_ties_per_year = 2
"#;

fn scenario(text: &str) -> Scenario {
    Scenario::from_str(text, "bench", None).expect("bench scenario is valid")
}

struct Prepared {
    sc: Scenario,
    world: World,
    start: State,
    settings: model::Settings,
}

fn prepare(text: &str) -> Prepared {
    let sc = scenario(text);
    let world = runner::world(&sc, 0).expect("world builds");
    let settings = runner::settings(&sc, false);
    let start = model::burn_in(&world, &sc.burn_in_levers(), &settings);
    Prepared {
        sc,
        world,
        start,
        settings,
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

fn bench_step(bencher: Bencher, p: &Prepared, threads: usize) {
    let pool = pool(threads);
    let levers = &p.sc.strategies[0].levers;
    // A run advanced into its second year, so the step is a steady-state one.
    let mut warm = Run::new(&p.world, &p.start, levers, &p.settings);
    for _ in 0..4 {
        warm.step();
    }
    let state = warm.state().clone();
    bencher
        .with_inputs(|| Run::new(&p.world, &state, levers, &p.settings))
        .bench_local_values(|mut run| {
            pool.install(|| run.step());
            run
        });
}

fn bench_run(bencher: Bencher, text: &str, threads: usize) {
    let sc = scenario(text);
    let pool = pool(threads);
    bencher.bench_local(|| pool.install(|| runner::run(&sc, false, &|_| {}).expect("runs")));
}

#[divan::bench(args = [1, 2])]
fn burnham_step(bencher: Bencher, threads: usize) {
    let p = prepare(BURNHAM);
    bench_step(bencher, &p, threads);
}

/// World building, burn-in and a 10-year tri-level run.
#[divan::bench(args = [1, 2])]
fn burnham_run(bencher: Bencher, threads: usize) {
    bench_run(bencher, BURNHAM, threads);
}

#[divan::bench(args = [1, 2], sample_count = 10, sample_size = 1)]
fn england_step(bencher: Bencher, threads: usize) {
    let p = prepare(ENGLAND);
    bench_step(bencher, &p, threads);
}

/// World building, burn-in and a 10-year tri-level run.
#[divan::bench(args = [1, 2], sample_count = 3, sample_size = 1)]
fn england_run(bencher: Bencher, threads: usize) {
    bench_run(bencher, ENGLAND, threads);
}

/// The default scenario: about 100 schools, six strategies, 20 replicates.
#[divan::bench(args = [1, 2], sample_count = 3, sample_size = 1)]
fn default_scenario(bencher: Bencher, threads: usize) {
    let sc = Scenario::open(None, &[]).expect("default scenario");
    let pool = pool(threads);
    bencher.bench_local(|| pool.install(|| runner::run(&sc, false, &|_| {}).expect("runs")));
}

/// Building an NK landscape with its exact table: the main model's size
/// (N = 16, K = 3, 4 contexts) and the validation size (N = 20, K = 5).
#[divan::bench(args = [(16, 3, 4), (20, 5, 1)])]
fn landscape_build(bencher: Bencher, (n, k, c): (usize, usize, usize)) {
    use orglearn::landscape::{Landscape, LandscapeSpec};
    use orglearn::rng::{Purpose, stream};
    let spec = LandscapeSpec {
        n,
        k,
        contexts: c,
        context_weight: 0.5,
    };
    let mut i = 0u64;
    bencher.bench_local(|| {
        i += 1;
        Landscape::generate(&spec, &mut stream(1, i, 0, Purpose::Landscape, 0)).expect("valid")
    });
}

/// One year's turbulence on the main model's landscape (N = 16, K = 3,
/// 4 contexts, lambda = 0.5) at the default rate 0.02 and at 0.1. Each
/// sample turbulates a clone of a landscape that has already seen 20 years,
/// so, as in a run, its tables are shared with the original (copy-on-write)
/// and the rows redrawn differ from sample to sample.
#[divan::bench(args = [0.02, 0.1])]
fn landscape_turbulence(bencher: Bencher, p: f64) {
    use orglearn::landscape::Landscape;
    use orglearn::rng::{Purpose, stream};
    let spec = main_landscape();
    let mut base =
        Landscape::generate(&spec, &mut stream(1, 0, 0, Purpose::Landscape, 0)).expect("valid");
    for year in 0..20 {
        base.turbulence(p, &mut stream(1, 0, 0, Purpose::Turbulence, year));
    }
    let mut year = 20u64;
    bencher
        .with_inputs(|| {
            year += 1;
            (base.clone(), year)
        })
        .bench_local_values(|(mut l, year)| {
            l.turbulence(p, &mut stream(1, 0, 0, Purpose::Turbulence, year));
            l
        });
}

/// Fifteen years of turbulence at rate 0.02 on the main model's landscape,
/// keeping a clone of every year's landscape, as a replicate's schedule
/// (`World::prepare_turbulence`) does.
#[divan::bench(sample_count = 60, sample_size = 1)]
fn landscape_schedule(bencher: Bencher) {
    use orglearn::landscape::Landscape;
    use orglearn::rng::{Purpose, stream};
    let spec = main_landscape();
    let base =
        Landscape::generate(&spec, &mut stream(1, 0, 0, Purpose::Landscape, 0)).expect("valid");
    let mut rep = 0u64;
    bencher
        .with_inputs(|| {
            rep += 1;
            rep
        })
        .bench_local_values(|rep| {
            let mut cur = base.clone();
            let mut kept = Vec::with_capacity(15);
            for year in 0..15 {
                cur.turbulence(0.02, &mut stream(1, rep, 0, Purpose::Turbulence, year));
                kept.push(cur.clone());
            }
            kept
        });
}

/// The main model's landscape: N = 16, K = 3, 4 contexts, lambda = 0.5.
fn main_landscape() -> orglearn::landscape::LandscapeSpec {
    orglearn::landscape::LandscapeSpec {
        n: 16,
        k: 3,
        contexts: 4,
        context_weight: 0.5,
    }
}
