//! Within-school learning: code learning, socialisation, tinkering and
//! reversion, then quality and attainment (the school-local pass, parallel
//! over schools).

use rand::{Rng, RngExt};

use super::attainment::potential;
use super::{Cx, Scratch, State, geometric_skip, hazard, normal};
use crate::landscape::Landscape;
use crate::model::bits::{BitCounter, P16, bernoulli_mask};
use crate::rng::{EntityKey, Purpose, StreamRng};

/// Mutable views of the school-local arrays, split across threads by school.
struct Block<'a> {
    s0: usize,
    t0: usize,
    practice: &'a mut [u64],
    pending: &'a mut [u64],
    prior: &'a [u64],
    obs: &'a mut [Scratch],
    code_def: &'a mut [u64],
    code_val: &'a mut [u64],
    code_mand: &'a mut [u64],
    decided: &'a [u64],
    quality: &'a mut [f64],
    attainment: &'a mut [f64],
    majority: &'a mut [u64],
    rev: &'a mut [u32],
}

impl<'a> Block<'a> {
    fn split(self, mid: usize, offsets: &[u32]) -> (Block<'a>, Block<'a>) {
        let ks = mid - self.s0;
        let kt = offsets[mid] as usize - self.t0;
        let (p1, p2) = self.practice.split_at_mut(kt);
        let (q1, q2) = self.pending.split_at_mut(kt);
        let (r1, r2) = self.prior.split_at(kt);
        let (o1, o2) = self.obs.split_at_mut(kt);
        let (d1, d2) = self.code_def.split_at_mut(ks);
        let (v1, v2) = self.code_val.split_at_mut(ks);
        let (m1, m2) = self.code_mand.split_at_mut(ks);
        let (k1, k2) = self.decided.split_at(ks);
        let (qa, qb) = self.quality.split_at_mut(ks);
        let (aa, ab) = self.attainment.split_at_mut(ks);
        let (ma, mb) = self.majority.split_at_mut(ks);
        let (ra, rb) = self.rev.split_at_mut(ks);
        (
            Block {
                s0: self.s0,
                t0: self.t0,
                practice: p1,
                pending: q1,
                prior: r1,
                obs: o1,
                code_def: d1,
                code_val: v1,
                code_mand: m1,
                decided: k1,
                quality: qa,
                attainment: aa,
                majority: ma,
                rev: ra,
            },
            Block {
                s0: mid,
                t0: offsets[mid] as usize,
                practice: p2,
                pending: q2,
                prior: r2,
                obs: o2,
                code_def: d2,
                code_val: v2,
                code_mand: m2,
                decided: k2,
                quality: qb,
                attainment: ab,
                majority: mb,
                rev: rb,
            },
        )
    }
}

/// Read-only inputs of the school-local pass.
struct PassIn<'a> {
    landscape: &'a Landscape,
    capacity: &'a [f64],
    ownership: &'a [f64],
    q0: f64,
    abs: u64,
    /// The year whose conditions apply (0 in burn-in).
    year: u32,
    pass: Pass,
}

/// What a school-local pass computes after within-school learning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pass {
    /// Nothing more (burn-in, where quality and majority are not read).
    Learn,
    /// Quality and majority practice (year 0).
    Measure,
    /// Quality, majority practice and attainment (a strategy's steps).
    Attain,
}

const GRAIN_TEACHERS: usize = 4096;

/// From this tinkering probability per step (in 2^-16), who tinkers is
/// drawn teacher by teacher, 16 bits each, rather than by geometric
/// skipping, whose logarithm costs more than about twenty 16-bit draws.
const TINKER_CHUNKS_FROM: u32 = 65536 / 20;

fn par_blocks(b: Block, cx: &Cx, pin: &PassIn) {
    let s1 = b.s0 + b.code_def.len();
    let teachers = b.practice.len();
    if teachers <= GRAIN_TEACHERS || s1 - b.s0 < 2 {
        let mut b = b;
        for sc in b.s0..s1 {
            school_pass(&mut b, sc, cx, pin);
        }
        return;
    }
    let mid = b.s0 + (s1 - b.s0) / 2;
    let (l, r) = b.split(mid, &cx.w.offsets);
    rayon::join(|| par_blocks(l, cx, pin), || par_blocks(r, cx, pin));
}

/// Within-school learning, reversion, quality and attainment of every
/// school (in parallel over schools; each school has its own streams).
pub(super) fn within_pass(s: &mut State, cx: &Cx, abs: u64, year: u32, pass: Pass) {
    let q0 = s.q0;
    let pin = PassIn {
        landscape: &s.landscape,
        capacity: &s.capacity,
        ownership: &s.ownership,
        q0,
        abs,
        year,
        pass,
    };
    let b = Block {
        s0: 0,
        t0: 0,
        practice: &mut s.practice,
        pending: &mut s.pending,
        prior: &s.prior,
        obs: &mut s.obs,
        code_def: &mut s.code_def,
        code_val: &mut s.code_val,
        code_mand: &mut s.code_mand,
        decided: &s.code_decided,
        quality: &mut s.quality,
        attainment: &mut s.attainment,
        majority: &mut s.majority,
        rev: &mut s.rev_count,
    };
    par_blocks(b, cx, &pin);
    s.act.reversions += s.rev_count.iter().map(|&x| x as u64).sum::<u64>();
}

fn school_pass(b: &mut Block, sc: usize, cx: &Cx, pin: &PassIn) {
    let w = cx.w;
    let set = cx.of(sc);
    let l = &set.l;
    let i = sc - b.s0;
    let lo = w.offsets[sc] as usize - b.t0;
    let hi = w.offsets[sc + 1] as usize - b.t0;
    let staff = hi - lo;
    let ctx = w.context[sc] as usize;
    let land = pin.landscape.context(ctx);
    let n = cx.n;
    let key = EntityKey::new(w.seed, w.replicate, sc as u64);
    // Observed classroom effectiveness, and the superior group's majorities.
    let mut r = key.stream(Purpose::CodeLearning, pin.abs);
    let mut sum = 0.0;
    for t in lo..hi {
        let x = b.practice[t];
        let e = land.eval(x);
        let o = e + l.classroom_noise * normal(&mut r);
        b.obs[t] = Scratch { obs: o, e, x };
        sum += o;
    }
    let mean_obs = sum / staff as f64;
    let mut counter = BitCounter::new(n);
    let mut sup = 0u32;
    for t in lo..hi {
        // Branch-free: about half the teachers are above the mean, at random.
        let above = b.obs[t].obs > mean_obs;
        sup += u32::from(above);
        counter.add(b.practice[t] & cx.mask & 0u64.wrapping_sub(u64::from(above)));
    }
    let ones = counter.finish();
    let old_def = b.code_def[i];
    let old_val = b.code_val[i];
    let mut new_def = old_def;
    let mut new_val = old_val;
    let held = b.decided[i] | b.code_mand[i];
    if sup > 0 && set.p2 > 0.0 {
        for (d, &o) in ones.iter().enumerate().take(n as usize) {
            if held >> d & 1 == 1 {
                continue;
            }
            let z = sup - o;
            if o == z {
                continue;
            }
            let k = o.abs_diff(z) as usize;
            let maj = (o > z) as u64;
            let bit = 1u64 << d;
            if old_def & bit == 0 || (old_val >> d & 1) != maj {
                let p = set.code_table[k.min(set.code_table.len() - 1)];
                if r.random::<f64>() < p {
                    new_def |= bit;
                    new_val = (new_val & !bit) | (maj << d);
                }
            }
        }
    }
    // Socialisation toward the code as it was at the start of the step.
    let mut rs = key.stream(Purpose::Socialisation, pin.abs);
    for t in lo..hi {
        let diff = (b.practice[t] ^ old_val) & old_def & cx.mask;
        if diff != 0 {
            b.practice[t] ^= bernoulli_mask(&mut rs, set.p1, diff);
        }
    }
    let changed = (new_val ^ old_val) & old_def;
    b.code_def[i] = new_def;
    b.code_val[i] = new_val;
    if changed & b.code_mand[i] != 0 {
        let c = changed & b.code_mand[i];
        b.code_mand[i] &= !c;
        for t in lo..hi {
            b.pending[t] &= !c;
        }
    }
    // Tinkering.
    if set.p_tinker > 0.0 {
        let mut rt = key.stream(Purpose::Tinkering, pin.abs);
        // Who tinkers: a 16-bit uniform per teacher (four a draw) when many
        // do; geometric skipping (one draw per tinkering teacher) when few do.
        let chunks = set.tinker.0 >= TINKER_CHUNKS_FROM;
        let mut word = 0u64;
        let mut left = 0u32;
        let mut next = |rt: &mut StreamRng, t: usize| -> usize {
            if !chunks {
                return t + geometric_skip(rt, set.ln_keep_tinker);
            }
            let mut t = t;
            while t < hi {
                if left == 0 {
                    word = rt.next_u64();
                    left = 4;
                }
                let u = (word & 0xFFFF) as u32;
                word >>= 16;
                left -= 1;
                if u < set.tinker.0 {
                    break;
                }
                t += 1;
            }
            t
        };
        let mut t = next(&mut rt, lo);
        while t < hi {
            let d = rt.random_range(0..n);
            let x = b.practice[t];
            let x2 = x ^ (1 << d);
            let before = land.eval(x) + l.classroom_noise * normal(&mut rt);
            let after = land.eval(x2) + l.classroom_noise * normal(&mut rt);
            if after > before {
                b.practice[t] = x2;
                b.pending[t] &= !(1 << d);
            }
            t = next(&mut rt, t + 1);
        }
    }
    // Reversion of mandated, unowned practice.
    b.rev[i] = 0;
    if l.cascade {
        let pressure = set.flags[pin.year as usize].pressure;
        let rate = l.reversion * (1.0 - pin.ownership[sc]) * (1.0 - pressure);
        let p = P16::new(hazard(rate, cx.dt));
        if !p.is_zero() {
            let mut rr = key.stream(Purpose::Reversion, pin.abs);
            let mut count = 0u32;
            for t in lo..hi {
                let m = bernoulli_mask(&mut rr, p, b.pending[t]);
                if m != 0 {
                    b.practice[t] = (b.practice[t] & !m) | (b.prior[t] & m);
                    b.pending[t] &= !m;
                    count += m.count_ones();
                }
            }
            let d = bernoulli_mask(&mut rr, p, b.code_mand[i]);
            b.code_def[i] &= !d;
            b.code_mand[i] &= !d;
            b.rev[i] = count;
        }
    }
    // Quality, majority practice, attainment.
    if pin.pass == Pass::Learn {
        return;
    }
    let mut q = 0.0;
    let mut counter = BitCounter::new(n);
    for t in lo..hi {
        let x = b.practice[t];
        let sc = b.obs[t];
        q += if sc.x == x { sc.e } else { land.eval(x) };
        counter.add(x & cx.mask);
    }
    let cnt = counter.finish();
    q /= staff as f64;
    b.quality[i] = q;
    b.majority[i] = majority_of(&cnt, staff, n, b.code_val[i] & b.code_def[i]);
    let _ = pin.capacity;
    if pin.pass == Pass::Attain {
        let p = potential(w, cx.st, pin.q0, sc, q);
        let k = 1.0 - (-cx.st.responsiveness * cx.dt).exp();
        b.attainment[i] += k * (p - b.attainment[i]);
    }
}

/// Majority practice from per-dimension counts of ones among `staff`
/// teachers; a tie takes the code's value (`code` holds defined bits only), else 0.
pub(super) fn majority_of(cnt: &[u32; 64], staff: usize, n: u32, code: u64) -> u64 {
    let mut maj = 0u64;
    for (d, &c) in cnt.iter().enumerate().take(n as usize) {
        let c2 = c as usize * 2;
        let bit = if c2 > staff {
            1
        } else if c2 == staff {
            code >> d & 1
        } else {
            0
        };
        maj |= bit << d;
    }
    maj
}

/// A decision the teachers' majority now practises is released to code learning.
pub(super) fn release_decisions(s: &mut State, cx: &Cx) {
    let w = cx.w;
    for sc in 0..w.n_schools {
        s.code_decided[sc] &= (s.majority[sc] ^ s.code_val[sc]) & s.code_def[sc];
    }
}
