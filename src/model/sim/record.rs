//! The indicators recorded after each step (spec §7).

use super::{Cx, MIN_GAIN_FOR_SUSTAINABILITY, State, hazard};
use crate::model::indicators::{Ind, diversity, quantile_sorted};
use crate::model::world::World;

/// Record the indicators of the state after `year` completed years.
pub(super) fn record(s: &mut State, cx: &Cx, year: u32, row: &mut [f64]) {
    let w = cx.w;
    let ns = w.n_schools;
    let nf = ns as f64;
    let set = |row: &mut [f64], i: Ind, v: f64| row[i as usize] = v;
    // Attainment distribution.
    s.sort_buf.clear();
    s.sort_buf.extend_from_slice(&s.attainment);
    s.sort_buf.sort_unstable_by(|a, b| a.total_cmp(b));
    let sorted = &s.sort_buf;
    let m = mean(sorted);
    let var = sorted.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (nf - 1.0).max(1.0);
    set(row, Ind::AttMean, m);
    set(row, Ind::AttSd, var.sqrt());
    set(row, Ind::AttP10, quantile_sorted(sorted, 0.1));
    set(row, Ind::AttP25, quantile_sorted(sorted, 0.25));
    set(row, Ind::AttMedian, quantile_sorted(sorted, 0.5));
    set(row, Ind::AttP75, quantile_sorted(sorted, 0.75));
    set(row, Ind::AttP90, quantile_sorted(sorted, 0.9));
    let qn = (ns / 4).max(1);
    let bottom = mean(&sorted[..qn]);
    let top = mean(&sorted[ns - qn..]);
    set(row, Ind::Gap, top - bottom);
    // Equity: the quarter of schools with the lowest intake (fixed per world).
    let low = &w.low_intake;
    let eq = low.iter().map(|&i| s.attainment[i as usize]).sum::<f64>() / low.len() as f64;
    set(row, Ind::Equity, eq);
    let qm = mean(&s.quality);
    set(row, Ind::Quality, qm);
    let head = (1.0 - s.q0).max(1e-9);
    set(
        row,
        Ind::Headroom,
        s.quality.iter().map(|q| (q - s.q0) / head).sum::<f64>() / nf,
    );
    set(row, Ind::Diversity, diversity(&s.majority, cx.n));
    set(row, Ind::Capacity, mean(&s.capacity));
    set(row, Ind::Ownership, mean(&s.ownership));
    // Trust over the ties the exchange runs on; centre trust over the
    // schools whose authority publishes findings.
    let mut trust = (0.0, 0usize);
    if cx.any_lateral {
        for (e, &t) in s.trust.iter().enumerate() {
            let (a, b) = s.net.edges[e];
            if cx.tie_active(a as usize, b as usize) {
                trust.0 += t;
                trust.1 += 1;
            }
        }
    }
    let ratio = |(sum, n): (f64, usize)| if n > 0 { sum / n as f64 } else { f64::NAN };
    set(row, Ind::Trust, ratio(trust));
    let mut ctrust = (0.0, 0usize);
    if cx.any_upward {
        for (sc, &t) in s.centre_trust.iter().enumerate() {
            if cx.lv(sc).upward {
                ctrust.0 += t;
                ctrust.1 += 1;
            }
        }
    }
    set(row, Ind::CentreTrust, ratio(ctrust));
    let defined: u32 = s.code_def.iter().map(|d| d.count_ones()).sum();
    let mand: u32 = s.code_mand.iter().map(|d| d.count_ones()).sum();
    set(row, Ind::Mandated, mand as f64 / (nf * cx.n as f64));
    let _ = defined;
    let a = s.act;
    set(row, Ind::InitReceived, a.init_received as f64 / nf);
    set(row, Ind::InitComplied, a.init_complied as f64 / nf);
    set(row, Ind::ProjectsRun, a.projects_run as f64 / nf);
    set(row, Ind::ProjectsAdopted, a.projects_adopted as f64 / nf);
    set(row, Ind::Meetings, a.meetings as f64 / nf);
    set(row, Ind::LateralAdoptions, a.lateral_adoptions as f64 / nf);
    set(row, Ind::Reversions, a.reversions as f64 / nf);
    set(
        row,
        Ind::FindingsPublished,
        a.findings_published as f64 / nf,
    );
    set(row, Ind::FindingsTakenUp, a.findings_taken_up as f64 / nf);
    set(row, Ind::Depth, qm - s.q0);
    // Sustainability over the schools whose authority withdrew support at
    // least sustain_years ago.
    let (mut now, mut at0, mut atw, mut k) = (0.0, 0.0, 0.0, 0usize);
    for sc in 0..ns {
        let wy = cx.lv(sc).withdraw_year;
        if s.q_withdrawn[sc].is_finite() && year >= wy + cx.st.sustain_years {
            now += s.quality[sc];
            at0 += s.q0_school[sc];
            atw += s.q_withdrawn[sc];
            k += 1;
        }
    }
    let sus = if k > 0 {
        let kf = k as f64;
        let (now, at0, atw) = (now / kf, at0 / kf, atw / kf);
        if atw - at0 > MIN_GAIN_FOR_SUSTAINABILITY {
            (now - at0) / (atw - at0)
        } else {
            f64::NAN
        }
    } else {
        f64::NAN
    };
    set(row, Ind::Sustainability, sus);
    set(row, Ind::Spread, spread(s, w));
    // SLO composites.
    let mut vision = 0.0;
    for sc in 0..ns {
        let (lo, hi) = (w.offsets[sc] as usize, w.offsets[sc + 1] as usize);
        let def = s.code_def[sc];
        let val = s.code_val[sc];
        let agree: u32 = s.practice[lo..hi]
            .iter()
            .map(|&p| (!(p ^ val) & def).count_ones())
            .sum();
        vision += agree as f64 / ((hi - lo) as f64 * cx.n as f64);
    }
    set(row, Ind::SloVision, vision / nf);
    let cpd = cx.school_mean(|l| (l.cpd_hours / 35.0).min(1.0));
    set(row, Ind::SloContinuous, 0.5 * cpd + 0.5 * mean(&s.capacity));
    let team = cx.school_mean(|l| {
        let collab = |p: f64| p + l.collaboration * (1.0 - p);
        0.5 * collab(hazard(l.socialisation, 1.0)) + 0.5 * collab(hazard(l.code_learning, 1.0))
    });
    set(row, Ind::SloTeam, team);
    set(
        row,
        Ind::SloEnquiry,
        s.last_projects
            .iter()
            .map(|&p| (p as f64 / 3.0).min(1.0))
            .sum::<f64>()
            / nf,
    );
    set(
        row,
        Ind::SloKnowledge,
        s.last_knowledge
            .iter()
            .map(|&p| (p as f64 / 3.0).min(1.0))
            .sum::<f64>()
            / nf,
    );
    let mut ext = 0.0;
    for sc in 0..ns {
        let mut tsum = 0.0;
        let mut deg = 0;
        for (j, e) in s.net.neighbours(sc) {
            if cx.tie_active(sc, j as usize) {
                tsum += s.trust[e as usize];
                deg += 1;
            }
        }
        let tr = if deg > 0 { tsum / deg as f64 } else { 0.0 };
        ext += (s.last_meetings[sc] as f64 * tr / 6.0).min(1.0);
    }
    set(
        row,
        Ind::SloExternal,
        if cx.any_lateral { ext / nf } else { 0.0 },
    );
    set(
        row,
        Ind::SloLeadership,
        s.capacity
            .iter()
            .zip(&s.ownership)
            .map(|(c, o)| c * o)
            .sum::<f64>()
            / nf,
    );
}

/// Coburn spread, averaged over authorities (weighted by schools).
pub(super) fn spread(s: &State, w: &World) -> f64 {
    let mut agree = 0usize;
    let mut total = 0usize;
    for a in 0..w.n_authorities {
        let m = w.members(a);
        let best = m
            .iter()
            .copied()
            .max_by(|&i, &j| {
                s.bench[i as usize]
                    .total_cmp(&s.bench[j as usize])
                    .then(j.cmp(&i))
            })
            .unwrap_or(0) as usize;
        let d = (s.majority[best] ^ s.year0_majority[a]) & w.landscape.mask();
        let nd = d.count_ones();
        if nd == 0 {
            continue;
        }
        for &i in m {
            let same = (!(s.majority[i as usize] ^ s.majority[best]) & d).count_ones();
            if same * 4 >= nd * 3 {
                agree += 1;
            }
            total += 1;
        }
    }
    if total == 0 {
        f64::NAN
    } else {
        agree as f64 / total as f64
    }
}
pub(super) fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

pub(super) fn authority_majority(s: &State, w: &World, a: usize) -> u64 {
    let m = w.members(a);
    let mut out = 0u64;
    for d in 0..w.landscape.n() {
        let ones = m
            .iter()
            .filter(|&&i| s.majority[i as usize] >> d & 1 == 1)
            .count();
        if ones * 2 > m.len() {
            out |= 1 << d;
        }
    }
    out
}
