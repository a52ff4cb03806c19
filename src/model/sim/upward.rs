//! Upward learning: findings published by the centre, advice taken up by
//! schools, centre trust, and a learned programme.

use rand::RngExt;

use super::{Cx, Finding, State};
use crate::model::world::World;
use crate::rng::{Purpose, entity, stream};

/// The uniform draw deciding whether a school's next adopted finding is
/// published: the `k`-th draw of school `sc` in this step, from its own
/// publication stream, so that publishing never shifts the draws of
/// enquiry or meetings.
pub(super) fn publication_draw(s: &mut State, w: &World, sc: usize, abs: u64) -> f64 {
    let k = s.pub_draws[sc] as u64;
    s.pub_draws[sc] += 1;
    let mut r = stream(
        w.seed,
        w.replicate,
        sc as u64,
        Purpose::Publication,
        abs * 1024 + k,
    );
    r.random::<f64>()
}

pub(super) fn publish_finding(s: &mut State, w: &World, sc: usize, mask: u64) {
    s.findings.push(Finding {
        authority: w.authority[sc],
        school: sc as u32,
        mask,
        val: s.code_val[sc] & mask,
    });
    s.yr_knowledge[sc] += 1;
}

pub(super) fn publication_phase(s: &mut State, cx: &Cx, abs: u64) {
    let w = cx.w;
    if s.findings.is_empty() {
        return;
    }
    s.act.findings_published += s.findings.len() as u64;
    s.findings
        .sort_unstable_by_key(|f| (f.authority, f.school, f.mask));
    let mut start = 0usize;
    while start < s.findings.len() {
        let a = s.findings[start].authority;
        let mut end = start;
        while end < s.findings.len() && s.findings[end].authority == a {
            end += 1;
        }
        for mi in w.auth_offsets[a as usize] as usize..w.auth_offsets[a as usize + 1] as usize {
            let sc = w.auth_members[mi] as usize;
            let p = cx.lv(sc).advice_uptake * s.centre_trust[sc];
            if p <= 0.0 {
                continue;
            }
            let mut r = stream(w.seed, w.replicate, sc as u64, Purpose::Advice, abs);
            for fi in start..end {
                let fnd = s.findings[fi];
                // Findings are published for schools of the same context type.
                if fnd.school as usize == sc || w.context[fnd.school as usize] != w.context[sc] {
                    continue;
                }
                if r.random::<f64>() < p {
                    s.write_code(w, sc, fnd.mask, fnd.val);
                    s.act.findings_taken_up += 1;
                    s.advice_taken[sc] = true;
                    s.yr_knowledge[sc] += 1;
                }
            }
        }
        start = end;
    }
    s.findings.clear();
}

/// Each school's initial trust in its centre's advice.
pub(super) fn init_centre_trust(s: &mut State, cx: &Cx) {
    let w = cx.w;
    for sc in 0..w.n_schools {
        s.centre_trust[sc] = cx.lv(sc).centre_trust;
    }
}

/// Centre trust from the results of the schools that took advice this year.
pub(super) fn centre_trust_from_results(s: &mut State, cx: &Cx) {
    let w = cx.w;
    if cx.any_upward {
        for sc in 0..w.n_schools {
            let l = cx.lv(sc);
            if !l.upward || !s.advice_taken[sc] {
                continue;
            }
            let (now, before) = (s.latest_published(sc), s.previous_published(sc));
            let t = &mut s.centre_trust[sc];
            if now > before {
                *t += l.centre_trust_gain * (1.0 - *t);
            } else if now < before {
                *t -= l.centre_trust_gain * *t / 2.0;
            }
            s.advice_taken[sc] = false;
        }
    }
}

/// Upward learning of a learned programme.
pub(super) fn learn_programmes(s: &mut State, cx: &Cx, ykey: u64, y: u32) {
    let w = cx.w;
    for a in 0..w.n_authorities {
        let set = cx.auth(a);
        let l = &set.l;
        if l.upward && l.learned() && set.flags[y as usize].cascade_active {
            let m = w.members(a);
            let avg = m.iter().map(|&i| s.bench[i as usize]).sum::<f64>() / m.len() as f64;
            let mut ones = [0u32; 64];
            let mut sup = 0u32;
            for &i in m {
                if s.bench[i as usize] > avg {
                    sup += 1;
                    for (d, o) in ones.iter_mut().enumerate().take(cx.n as usize) {
                        *o += (s.majority[i as usize] >> d & 1) as u32;
                    }
                }
            }
            let mut r = stream(
                w.seed,
                w.replicate,
                entity::centre(a),
                Purpose::Upward,
                ykey,
            );
            for (d, &o) in ones.iter().enumerate().take(cx.n as usize) {
                let z = sup - o;
                if o == z {
                    continue;
                }
                let maj = (o > z) as u64;
                let k = o.abs_diff(z) as i32;
                if (s.prog_val[a] >> d & 1) != maj || s.prog_def[a] >> d & 1 == 0 {
                    let p = 1.0 - (1.0 - l.upward_learning).powi(k);
                    if r.random::<f64>() < p {
                        s.prog_def[a] |= 1 << d;
                        s.prog_val[a] = (s.prog_val[a] & !(1 << d)) | (maj << d);
                    }
                }
            }
        }
    }
}
