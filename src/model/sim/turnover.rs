//! Year-end change of staff and environment: CPD, teacher and head
//! turnover, turbulence of the landscape.

use rand::{Rng, RngExt};

use super::{Cx, State};
use crate::rng::{Purpose, entity, stream};

/// Year-end steps that run in burn-in as well.
pub(super) fn year_end_common(s: &mut State, cx: &Cx, ykey: u64) {
    let w = cx.w;
    // CPD.
    for sc in 0..w.n_schools {
        let l = cx.lv(sc);
        let cpd = (l.cpd_effect * l.cpd_hours / 35.0).min(1.0);
        s.capacity[sc] += cpd * (1.0 - s.capacity[sc]);
    }
    // Turnover.
    for sc in 0..w.n_schools {
        let l = cx.lv(sc);
        let mut r = stream(
            w.seed,
            w.replicate,
            sc as u64,
            Purpose::TeacherTurnover,
            ykey,
        );
        let (lo, hi) = (w.offsets[sc] as usize, w.offsets[sc + 1] as usize);
        let mut leavers = 0u32;
        for t in lo..hi {
            if r.random::<f64>() < l.teacher_turnover {
                leavers += 1;
                let fresh = r.next_u64() & cx.mask;
                let induct = r.random::<f64>() < l.induction;
                let def = if induct { s.code_def[sc] } else { 0 };
                s.practice[t] = (fresh & !def) | (s.code_val[sc] & def);
                s.pending[t] = 0;
            }
        }
        s.capacity[sc] *= 1.0 - leavers as f64 / (hi - lo) as f64;
        let mut hr = stream(w.seed, w.replicate, sc as u64, Purpose::HeadTurnover, ykey);
        if hr.random::<f64>() < l.head_turnover {
            s.capacity[sc] = (s.capacity[sc] - l.head_change_cost * (1.0 - l.mentoring)).max(0.0);
        }
    }
    // Turbulence (shared shocks: keyed by year only).
    if cx.st.turbulence > 0.0 {
        match w.turbulent.get(ykey as usize) {
            Some(Some(l)) => s.landscape.clone_from(l),
            _ => {
                let mut r = stream(
                    w.seed,
                    w.replicate,
                    entity::WORLD,
                    Purpose::Turbulence,
                    ykey,
                );
                s.landscape.turbulence(cx.st.turbulence, &mut r);
            }
        }
    }
}
