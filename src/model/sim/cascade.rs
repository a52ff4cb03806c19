//! The cascade: programme design, initiatives passed down the tiers with
//! fidelity loss, compliance and enactment, and ownership of mandates.

use rand::{Rng, RngExt};

use super::{Cx, State};
use crate::model::bits::{P16, bernoulli_mask, nth_set_bit};
use crate::rng::{Purpose, entity, stream};

pub(super) fn cascade_phase(s: &mut State, cx: &Cx, t: u64, y: u32) {
    let w = cx.w;
    let spy = cx.st.steps_per_year as f64;
    // Authority by authority: each issues its own initiatives (the g-th
    // initiative of every authority shares the national tiers' draws).
    for a in 0..w.n_authorities {
        let set = cx.auth(a);
        let (l, f) = (&set.l, set.flags[y as usize]);
        if !f.cascade_active {
            continue;
        }
        let due = ((t + 1) as f64 * l.initiatives_per_year / spy - 1e-9).ceil()
            - (t as f64 * l.initiatives_per_year / spy - 1e-9).ceil();
        let due = due.max(0.0) as u64;
        let fid_loss = P16::new(1.0 - l.fidelity);
        let comply_p = l.compliance + (1.0 - l.compliance) * f.pressure;
        for _ in 0..due {
            let g = s.issued[a];
            s.issued[a] += 1;
            s.arrived[a] += 1;
            let arrived = s.arrived[a] as f64;
            let overload = if arrived > l.overload_limit {
                l.overload_limit / arrived
            } else {
                1.0
            };
            let enact = P16::new(l.enactment * overload);
            // National tiers above the authority (tiers > 4).
            let mut nat_corrupt = 0u64;
            let mut nat_vals = 0u64;
            if l.tiers > 4 {
                let mut r = stream(
                    w.seed,
                    w.replicate,
                    entity::WORLD,
                    Purpose::CascadeTransmission,
                    g,
                );
                for _ in 4..l.tiers {
                    let c = bernoulli_mask(&mut r, fid_loss, cx.mask);
                    nat_vals = (nat_vals & !c) | (r.next_u64() & c);
                    nat_corrupt |= c;
                }
            }
            let def = s.prog_def[a];
            let nd = def.count_ones();
            if nd == 0 {
                continue;
            }
            let size = (l.initiative_size).min(nd);
            let mut m = 0u64;
            for j in 0..size {
                let idx = ((g * l.initiative_size as u64 + j as u64) % nd as u64) as u32;
                if let Some(b) = nth_set_bit(def, idx) {
                    m |= 1 << b;
                }
            }
            let mut msg = s.prog_val[a] & m;
            msg = (msg & !(nat_corrupt & m)) | (nat_vals & nat_corrupt & m);
            if l.tiers >= 4 {
                let mut r = stream(
                    w.seed,
                    w.replicate,
                    entity::centre(a),
                    Purpose::CascadeTransmission,
                    g,
                );
                let c = bernoulli_mask(&mut r, fid_loss, m);
                msg = (msg & !c) | (r.next_u64() & c);
            }
            for mi in w.auth_offsets[a] as usize..w.auth_offsets[a + 1] as usize {
                let sc = w.auth_members[mi] as usize;
                let mut smsg = msg;
                if l.tiers >= 3 {
                    let adv = w.adviser[sc] as usize;
                    if s.adviser_stamp[adv] != g {
                        let ent = (1u64 << 60) | adv as u64;
                        let mut r =
                            stream(w.seed, w.replicate, ent, Purpose::CascadeTransmission, g);
                        let c = bernoulli_mask(&mut r, fid_loss, m);
                        s.adviser_msg[adv] = (c, r.next_u64() & c);
                        s.adviser_stamp[adv] = g;
                    }
                    let (c, v) = s.adviser_msg[adv];
                    smsg = (smsg & !c) | v;
                }
                deliver(s, cx, sc, m, smsg, g, comply_p, enact, fid_loss);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn deliver(
    s: &mut State,
    cx: &Cx,
    sc: usize,
    m: u64,
    msg: u64,
    g: u64,
    comply_p: f64,
    enact: P16,
    fid_loss: P16,
) {
    let (w, l) = (cx.w, cx.lv(sc));
    let mut r = stream(w.seed, w.replicate, sc as u64, Purpose::Cascade, g);
    // School hand-over.
    let c = bernoulli_mask(&mut r, fid_loss, m);
    let msg = (msg & !c) | (r.next_u64() & c);
    s.act.init_received += 1;
    s.ownership[sc] -= l.imposition_cost * (1.0 - l.legitimacy) * s.ownership[sc];
    if r.random::<f64>() >= comply_p {
        return;
    }
    s.act.init_complied += 1;
    let def = s.code_def[sc];
    let owned_same = def & !s.code_mand[sc] & !(s.code_val[sc] ^ msg) & m;
    let new_mand = m & !owned_same;
    s.code_def[sc] |= m;
    s.code_val[sc] = (s.code_val[sc] & !m) | msg;
    s.code_mand[sc] |= new_mand;
    let mut er = stream(w.seed, w.replicate, sc as u64, Purpose::Enactment, g);
    for t in w.offsets[sc] as usize..w.offsets[sc + 1] as usize {
        let e = bernoulli_mask(&mut er, enact, m);
        if e == 0 {
            continue;
        }
        // Teacher hand-over (the corrupted details' values are drawn only
        // when some are corrupted).
        let tc = bernoulli_mask(&mut er, fid_loss, e);
        let tmsg = if tc == 0 {
            msg
        } else {
            (msg & !tc) | (er.next_u64() & tc)
        };
        let newly = e & new_mand & !s.pending[t];
        s.prior[t] = (s.prior[t] & !newly) | (s.practice[t] & newly);
        s.pending[t] |= e & new_mand;
        s.practice[t] = (s.practice[t] & !e) | (tmsg & e);
    }
}

/// Programme design by each centre.
pub(super) fn design_programmes(s: &mut State, cx: &Cx) {
    let w = cx.w;
    for a in 0..w.n_authorities {
        let l = &cx.auth(a).l;
        if l.cascade {
            let mut r = stream(w.seed, w.replicate, entity::centre(a), Purpose::Design, 0);
            let val = match l.design.as_str() {
                "random" => r.next_u64() & cx.mask,
                _ => s.landscape.design_expert(l.design_effort as usize, &mut r),
            };
            s.prog_def[a] = cx.mask;
            s.prog_val[a] = val;
        }
    }
}

/// Ownership of mandated dimensions, at rate o.
pub(super) fn own_mandated(s: &mut State, cx: &Cx, ykey: u64) {
    let w = cx.w;
    for sc in 0..w.n_schools {
        if cx.lv(sc).cascade {
            let mut r = stream(w.seed, w.replicate, sc as u64, Purpose::Owning, ykey);
            let d = bernoulli_mask(&mut r, P16::new(s.ownership[sc]), s.code_mand[sc]);
            s.own_dims(w, sc, d);
        }
    }
}
