//! Enquiry: schools' projects, local trials of a change, and the choice of
//! focus.

use rand::RngExt;

use super::upward::{publication_draw, publish_finding};
use super::{Cx, State, normal};
use crate::model::bits::{P16, bernoulli_mask, block_mask, low_mask, nth_set_bit};
use crate::rng::{Purpose, StreamRng, stream};

pub(super) fn enquiry_phase(s: &mut State, cx: &Cx, abs: u64, y: u32) {
    let w = cx.w;
    for sc in 0..w.n_schools {
        let (l, f) = (cx.lv(sc), cx.flags(sc, y));
        if !l.enquiry {
            continue;
        }
        let per_step = l.projects_per_year * cx.dt;
        let fs = l.focus_size.min(cx.n);
        let mut r = stream(w.seed, w.replicate, sc as u64, Purpose::Enquiry, abs);
        let rate = if f.funded {
            per_step
        } else {
            per_step * s.ownership[sc]
        };
        let mut count = rate.floor() as u32;
        if r.random::<f64>() < rate.fract() {
            count += 1;
        }
        for _ in 0..count {
            if s.skip_next[sc] {
                s.skip_next[sc] = false;
                continue;
            }
            let block = block_mask(s.focus[sc] * fs, fs, cx.n);
            let mut flips = 0u64;
            let mut avail = block;
            for _ in 0..l.change_size.min(fs) {
                let k = avail.count_ones();
                if k == 0 {
                    break;
                }
                let b = nth_set_bit(avail, r.random_range(0..k)).unwrap();
                flips |= 1 << b;
                avail &= !(1 << b);
            }
            s.act.projects_run += 1;
            s.yr_projects[sc] += 1;
            let adopted = trial(s, cx, sc, flips, None, &mut r);
            if adopted {
                s.act.projects_adopted += 1;
                if l.upward && publication_draw(s, w, sc, abs) < l.publish {
                    publish_finding(s, w, sc, flips);
                }
            } else if r.random::<f64>() < f.pressure * (1.0 - s.capacity[sc]) {
                s.skip_next[sc] = true;
            }
        }
    }
}

/// An enquiry trial of changing `flips` in school `sc`: to `vals` where
/// given, else to the opposite of the code's value (or of the team's
/// majority where the code is silent). Adopts on positive evidence.
/// Returns whether the change was adopted.
pub(super) fn trial(
    s: &mut State,
    cx: &Cx,
    sc: usize,
    flips: u64,
    vals: Option<u64>,
    r: &mut StreamRng,
) -> bool {
    let (w, l) = (cx.w, cx.lv(sc));
    let (lo, hi) = (w.offsets[sc] as usize, w.offsets[sc + 1] as usize);
    s.team.clear();
    // Each teacher joins with probability team_share (16 bits each, up to
    // 64 teachers a mask).
    let share = P16::new(l.team_share);
    let mut t0 = lo;
    while t0 < hi {
        let k = (hi - t0).min(64);
        let mut m = bernoulli_mask(r, share, low_mask(k as u32));
        while m != 0 {
            s.team.push((t0 + m.trailing_zeros() as usize) as u32);
            m &= m - 1;
        }
        t0 += k;
    }
    if s.team.is_empty() {
        s.team.push(r.random_range(lo..hi) as u32);
    }
    let def = s.code_def[sc];
    let val = s.code_val[sc];
    let v = match vals {
        Some(v) => v & flips,
        None => {
            let mut v = 0u64;
            let mut rest = flips;
            while rest != 0 {
                let b = rest.trailing_zeros();
                rest &= rest - 1;
                let cur = if def >> b & 1 == 1 {
                    val >> b & 1
                } else {
                    let ones = s
                        .team
                        .iter()
                        .filter(|&&t| s.practice[t as usize] >> b & 1 == 1)
                        .count();
                    (ones * 2 > s.team.len()) as u64
                };
                v |= (cur ^ 1) << b;
            }
            v
        }
    };
    let land = s.landscape.context(w.context[sc] as usize);
    let mut delta = 0.0;
    for &t in &s.team {
        let p = s.practice[t as usize];
        let base = (p & !def) | (val & def);
        let prop = (base & !flips) | v;
        delta += land.eval(prop) - land.eval(base);
    }
    delta /= s.team.len() as f64;
    let noise = l.evidence_noise / (0.5 + s.capacity[sc]);
    let observed = delta * cx.scale + noise * normal(r);
    let adopted = observed > l.adopt_threshold;
    if adopted {
        s.write_code(w, sc, flips, v);
        // The team keeps the practice it trialled.
        for i in 0..s.team.len() {
            let t = s.team[i] as usize;
            s.practice[t] = (s.practice[t] & !flips) | v;
            s.pending[t] &= !flips;
        }
        s.ownership[sc] += l.ownership_gain * (1.0 - s.ownership[sc]);
        s.capacity[sc] += l.capacity_gain * (1.0 - s.capacity[sc]);
    } else {
        // A mandated dimension the school tested and kept is now its own.
        s.own_dims(w, sc, flips);
    }
    adopted
}

pub(super) fn choose_focus(s: &mut State, cx: &Cx, year: u64) {
    let w = cx.w;
    for sc in 0..w.n_schools {
        s.eff[sc] = (s.code_val[sc] & s.code_def[sc]) | (s.majority[sc] & !s.code_def[sc]);
    }
    for a in 0..w.n_authorities {
        let l = &cx.auth(a).l;
        if !l.enquiry {
            continue;
        }
        let fs = l.focus_size.min(cx.n).max(1);
        let nb = cx.n.div_ceil(fs);
        // The authority's best school is visible through published findings.
        let best = w
            .members(a)
            .iter()
            .copied()
            .max_by(|&i, &j| {
                s.bench[i as usize]
                    .partial_cmp(&s.bench[j as usize])
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(j.cmp(&i))
            })
            .unwrap_or(0) as usize;
        for mi in w.auth_offsets[a] as usize..w.auth_offsets[a + 1] as usize {
            let sc = w.auth_members[mi] as usize;
            let mut r = stream(
                w.seed,
                w.replicate,
                sc as u64,
                Purpose::Enquiry,
                (1 << 40) + year,
            );
            if l.focus_choice == "random" {
                s.focus[sc] = r.random_range(0..nb);
                continue;
            }
            let mine = s.eff[sc];
            let my_bench = s.bench[sc];
            let mut best_score = 0u32;
            let mut best_block = u32::MAX;
            let mut ties = 0u32;
            for b in 0..nb {
                let bm = block_mask(b * fs, fs, cx.n);
                let mut score = 0u32;
                if l.lateral {
                    for (nb_i, _) in s.net.neighbours(sc) {
                        if cx.lv(nb_i as usize).lateral && s.bench[nb_i as usize] > my_bench {
                            score += ((mine ^ s.eff[nb_i as usize]) & bm).count_ones();
                        }
                    }
                }
                if l.upward && l.publish > 0.0 && best != sc && s.bench[best] > my_bench {
                    score += ((mine ^ s.eff[best]) & bm).count_ones();
                }
                if score == 0 {
                    continue;
                }
                if score > best_score {
                    best_score = score;
                    best_block = b;
                    ties = 1;
                } else if score == best_score {
                    ties += 1;
                    if r.random_range(0..ties) == 0 {
                        best_block = b;
                    }
                }
            }
            s.focus[sc] = if best_block == u32::MAX {
                r.random_range(0..nb)
            } else {
                best_block
            };
        }
    }
}
