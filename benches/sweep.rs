//! Sweep throughput: Burnham-size runs (93 schools, about 3,500 teachers,
//! 10 years after 5 of burn-in, one strategy) through the sweep machinery,
//! with 1 and 2 worker threads. Each iteration runs 8 runs of a Latin
//! hypercube plan; divan reports runs per second ("item/s"), and the ratio of
//! the two gives the parallel efficiency. Planning (points, seeds and the
//! validated scenario of every point) is timed separately.
//!
//! Run: `cargo bench --bench sweep`.

use divan::Bencher;
use divan::counter::ItemsCount;
use orglearn::sweep::{Plan, Sweep, point_scenarios, run_ids};

fn main() {
    divan::main();
}

const BURNHAM: &str = r#"
name = "burnham-bench"
scenario = "default"
seed = 2004
design = "lhs"
samples = 8
replicates = 1
strategies = ["tri-level"]
[set]
schools.schools = 93
schools.staff_mean = 37.6
[[lever]]
key = "landscape.context_weight"
min = 0.0
max = 1.0
[[lever]]
key = "levers.cpd_hours"
min = 0.0
max = 70.0
"#;

fn sweep(text: &str) -> Sweep {
    Sweep::from_str(text, "bench", None).expect("the bench sweep is valid")
}

/// Runs per second at Burnham size.
#[divan::bench(args = [1, 2], sample_count = 5, sample_size = 1)]
fn burnham_runs(b: Bencher, threads: usize) {
    let sw = sweep(BURNHAM);
    let plan = Plan::new(&sw);
    let ids = plan.ids(None);
    let scenarios = point_scenarios(&sw, &plan, &ids).expect("points are valid");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    b.counter(ItemsCount::new(ids.len())).bench_local(|| {
        pool.install(|| run_ids(&sw, &plan, &scenarios, &ids, &|_| Ok(())))
            .expect("the runs succeed")
    });
}

/// Planning a 10,000-point Sobol design and validating every point's scenario.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn plan_10000_points(b: Bencher) {
    let text = BURNHAM
        .replace("design = \"lhs\"", "design = \"sobol\"")
        .replace("samples = 8", "samples = 2500");
    let sw = sweep(&text);
    b.counter(ItemsCount::new(10_000usize)).bench_local(|| {
        let plan = Plan::new(&sw);
        let ids = plan.ids(None);
        point_scenarios(&sw, &plan, &ids).expect("points are valid")
    });
}
