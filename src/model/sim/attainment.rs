//! Attainment: potential from practice quality, published results and the
//! benchmarks schools compare themselves on.

use super::within::majority_of;
use super::{Cx, HIST, Settings, State, normal};
use crate::model::bits::BitCounter;
use crate::model::world::World;
use crate::rng::{Purpose, stream};

pub(super) fn potential(w: &World, st: &Settings, q0: f64, i: usize, q: f64) -> f64 {
    (w.intake[i] + st.practice_effect * (q - q0) / (1.0 - q0).max(1e-9)).clamp(0.0, 100.0)
}

pub(super) fn publish_results(s: &mut State, w: &World, ykey: u64) {
    let slot = s.n_published as usize % HIST;
    for sc in 0..w.n_schools {
        let mut r = stream(w.seed, w.replicate, sc as u64, Purpose::Results, ykey);
        let a = s.attainment[sc];
        let sd = (a * (100.0 - a) / w.cohort[sc]).max(0.0).sqrt();
        s.published[sc * HIST + slot] = (a + sd * normal(&mut r)).clamp(0.0, 100.0);
    }
    s.n_published += 1;
}

pub(super) fn update_bench(s: &mut State, cx: &Cx) {
    let w = cx.w;
    for sc in 0..w.n_schools {
        let l = cx.lv(sc);
        let k = (l.benchmark_years as usize)
            .min(s.n_published as usize)
            .min(HIST);
        let mut sum = 0.0;
        for j in 0..k {
            let idx = (s.n_published as usize - 1 - j) % HIST;
            sum += s.published[sc * HIST + idx];
        }
        let m = if k > 0 { sum / k as f64 } else { w.intake[sc] };
        s.bench[sc] = if l.value_added() { m - w.intake[sc] } else { m };
    }
}

/// Quality and majority practice of every school, recomputed after
/// turnover and turbulence.
pub(super) fn measure_all(s: &mut State, cx: &Cx) {
    let w = cx.w;
    for sc in 0..w.n_schools {
        let land = s.landscape.context(w.context[sc] as usize);
        let (lo, hi) = (w.offsets[sc] as usize, w.offsets[sc + 1] as usize);
        let mut q = 0.0;
        let mut counter = BitCounter::new(cx.n);
        for &x in &s.practice[lo..hi] {
            q += land.eval(x);
            counter.add(x & cx.mask);
        }
        let cnt = counter.finish();
        s.quality[sc] = q / (hi - lo) as f64;
        s.majority[sc] = majority_of(&cnt, hi - lo, cx.n, s.code_val[sc] & s.code_def[sc]);
    }
}
