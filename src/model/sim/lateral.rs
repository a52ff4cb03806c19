//! Lateral exchange: meetings on the network's ties, imitation or mutual
//! adaptation, trust, beacons and brokered ties.

use rand::RngExt;

use super::enquiry::trial;
use super::upward::{publication_draw, publish_finding};
use super::{Cx, State, hazard};
use crate::model::bits::{P16, bernoulli_mask};
use crate::network::Network;
use crate::rng::{Purpose, entity, stream};

pub(super) fn lateral_phase(s: &mut State, cx: &Cx, abs: u64, y: u32) {
    let w = cx.w;
    for sc in 0..w.n_schools {
        s.eff[sc] = (s.code_val[sc] & s.code_def[sc]) | (s.majority[sc] & !s.code_def[sc]);
    }
    let mut r = stream(w.seed, w.replicate, entity::WORLD, Purpose::Meetings, abs);
    for e in 0..s.net.edges.len() {
        let (a, b) = s.net.edges[e];
        let (a, b) = (a as usize, b as usize);
        if !cx.tie_active(a, b) {
            continue;
        }
        // The tie meets at the lower of its ends' meeting rates (a meeting
        // needs both schools), scaled by the mean of the ends' funding
        // factors: 1 for a funded end, else its ownership (spec §4.3: the
        // mean ownership of the two schools outside funded years).
        let end_fund = |i: usize| {
            if cx.flags(i, y).funded {
                1.0
            } else {
                s.ownership[i]
            }
        };
        let fund = 0.5 * (end_fund(a) + end_fund(b));
        let rate = cx.lv(a).meetings_per_year.min(cx.lv(b).meetings_per_year);
        let p = hazard(rate * s.trust[e] * fund, cx.dt);
        if r.random::<f64>() >= p {
            continue;
        }
        s.act.meetings += 1;
        s.yr_meetings[a] += 1;
        s.yr_meetings[b] += 1;
        let (lo, hi) = if s.bench[a] < s.bench[b] {
            (a, b)
        } else if s.bench[b] < s.bench[a] {
            (b, a)
        } else {
            continue;
        };
        if r.random::<f64>() >= 0.5 + 0.5 * s.capacity[lo] {
            continue;
        }
        // What is learnt follows the learner's authority.
        let l = cx.lv(lo);
        let imit = P16::new(l.imitation);
        let m = bernoulli_mask(&mut r, imit, (s.eff[lo] ^ s.eff[hi]) & cx.mask);
        if m == 0 {
            continue;
        }
        let adopted = if !l.adapt {
            let v = s.eff[hi];
            s.write_code(w, lo, m, v);
            true
        } else {
            if r.random::<f64>() >= s.capacity[lo] {
                continue;
            }
            let ok = trial(s, cx, lo, m, Some(s.eff[hi]), &mut r);
            if ok && l.upward && publication_draw(s, w, lo, abs) < l.publish {
                publish_finding(s, w, lo, m);
            }
            ok
        };
        if adopted {
            s.act.lateral_adoptions += 1;
            s.adopt_flag[e] = if lo == a { 1 } else { 2 };
        }
    }
}

/// The exchange network: the school network, or the beacon structure in the
/// authorities that choose beacons (their own ties, and their ties to
/// other authorities, give way to it); each tie's initial trust.
pub(super) fn exchange_network(s: &mut State, cx: &Cx) {
    let w = cx.w;
    let beacons = |a: usize| {
        let l = &cx.auth(a).l;
        l.lateral && l.beacons > 0
    };
    if (0..w.n_authorities).any(beacons) {
        let mut edges = Vec::new();
        for &(i, j) in &s.net.edges {
            if !beacons(w.authority[i as usize] as usize)
                && !beacons(w.authority[j as usize] as usize)
            {
                edges.push((i, j));
            }
        }
        for a in 0..w.n_authorities {
            if !beacons(a) {
                continue;
            }
            let l = &cx.auth(a).l;
            let mut m: Vec<u32> = w.members(a).to_vec();
            m.sort_by(|&i, &j| {
                s.bench[j as usize]
                    .partial_cmp(&s.bench[i as usize])
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(i.cmp(&j))
            });
            let k = (l.beacons as usize).min(m.len());
            let (beacons, others) = m.split_at(k);
            for &o in others {
                let (ox, oy) = (w.x[o as usize], w.y[o as usize]);
                let near = beacons
                    .iter()
                    .min_by(|&&a, &&b| {
                        let da = (w.x[a as usize] - ox).powi(2) + (w.y[a as usize] - oy).powi(2);
                        let db = (w.x[b as usize] - ox).powi(2) + (w.y[b as usize] - oy).powi(2);
                        da.partial_cmp(&db).unwrap_or(std::cmp::Ordering::Equal)
                    })
                    .copied();
                if let Some(b) = near {
                    edges.push((o, b));
                }
            }
        }
        s.net = Network::from_edges(w.n_schools, edges, Some(w.cluster.clone()));
    }
    s.trust = s
        .net
        .initial_trust
        .iter()
        .zip(&s.net.edges)
        .map(|(t, &(i, j))| {
            t.unwrap_or_else(|| 0.5 * (cx.lv(i as usize).trust_init + cx.lv(j as usize).trust_init))
        })
        .collect();
    s.adopt_flag = vec![0; s.net.edges.len()];
}

/// Trust from the adoptions of the year (at the adopter's rate).
pub(super) fn trust_from_adoptions(s: &mut State, cx: &Cx) {
    if cx.any_lateral {
        for e in 0..s.net.edges.len() {
            let flag = s.adopt_flag[e];
            if flag == 0 {
                continue;
            }
            let (a, b) = s.net.edges[e];
            let adopter = if flag == 1 { a } else { b } as usize;
            let gain = cx.lv(adopter).trust_gain;
            let (now, before) = (s.latest_published(adopter), s.previous_published(adopter));
            let t = &mut s.trust[e];
            if now > before {
                *t += gain * (1.0 - *t);
            } else if now < before {
                *t -= gain * *t / 2.0;
            }
            s.adopt_flag[e] = 0;
        }
    }
}

/// Trust decay under public accountability (proportional; on a tie
/// between authorities, the mean of both ends' decay).
pub(super) fn trust_decay(s: &mut State, cx: &Cx, y: u32) {
    if cx.any_lateral {
        let decay = |i: usize| cx.lv(i).trust_decay * cx.flags(i, y).pressure;
        for (e, t) in s.trust.iter_mut().enumerate() {
            let (a, b) = s.net.edges[e];
            let (a, b) = (a as usize, b as usize);
            if cx.tie_active(a, b) {
                *t *= 1.0 - 0.5 * (decay(a) + decay(b));
            }
        }
    }
}

/// Brokerage (within each authority that brokers).
pub(super) fn broker(s: &mut State, cx: &Cx, ykey: u64) {
    let w = cx.w;
    let mut pairs = Vec::new();
    for a in 0..w.n_authorities {
        let l = &cx.auth(a).l;
        if !(l.lateral && l.brokered_ties_per_year > 0) {
            continue;
        }
        let m = w.members(a);
        if m.len() < 2 {
            continue;
        }
        {
            let mut r = stream(
                w.seed,
                w.replicate,
                entity::centre(a),
                Purpose::Brokerage,
                ykey,
            );
            for _ in 0..l.brokered_ties_per_year {
                let i = m[r.random_range(0..m.len())] as usize;
                let mut chosen = None;
                let mut fallback = None;
                for _ in 0..30 {
                    let j = m[r.random_range(0..m.len())] as usize;
                    if j == i
                        || s.net.groups[j] == s.net.groups[i]
                        || s.net.has_edge(i as u32, j as u32)
                    {
                        continue;
                    }
                    if !l.broker_by_context || w.context[j] == w.context[i] {
                        chosen = Some(j);
                        break;
                    }
                    fallback.get_or_insert(j);
                }
                if let Some(j) = chosen.or(fallback) {
                    pairs.push((i as u32, j as u32));
                }
            }
        }
    }
    if !pairs.is_empty() {
        let before = s.net.edges.len();
        s.net.add_edges(&pairs);
        for e in before..s.net.edges.len() {
            // A brokered tie joins two schools of the brokering authority.
            let i = s.net.edges[e].0 as usize;
            s.trust.push(cx.lv(i).trust_init);
            s.adopt_flag.push(0);
        }
    }
}
