//! Steady-state steps allocate nothing: a counting global allocator around
//! a few steps of a running simulation (every mechanism on).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

use orglearn::model::{self, Run};
use orglearn::runner;
use orglearn::scenario::Scenario;

const SCENARIO: &str = r#"
name = "alloc"
seed = 11
years = 4
replicates = 1
[schools]
authorities = 3
schools = 120
staff_mean = 20
[network]
inter_authority_ties = 20
[[strategy]]
preset = "tri-level"
brokered_ties_per_year = 3
"#;

fn allocations_in_steps(threads: usize) -> usize {
    let sc = Scenario::from_str(SCENARIO, "alloc", None).unwrap();
    let world = runner::world(&sc, 0).unwrap();
    let settings = runner::settings(&sc, false);
    let start = model::burn_in(&world, &sc.burn_in_levers(), &settings);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut run = Run::new(&world, &start, &sc.strategies[0].levers, &settings);
        // Warm up through two whole years so scratch buffers reach their size.
        for _ in 0..6 {
            run.step();
        }
        assert_eq!(run.steps_done(), 6);
        // The first two steps of year 3 (the year ends after its third step).
        ALLOCATIONS.store(0, Ordering::SeqCst);
        COUNTING.store(true, Ordering::SeqCst);
        run.step();
        run.step();
        COUNTING.store(false, Ordering::SeqCst);
        ALLOCATIONS.load(Ordering::SeqCst)
    })
}

#[test]
fn steady_state_steps_allocate_nothing() {
    assert_eq!(
        allocations_in_steps(1),
        0,
        "allocations in two steps, 1 thread"
    );
    assert_eq!(
        allocations_in_steps(2),
        0,
        "allocations in two steps, 2 threads"
    );
}
