//! Indicators (spec §7), recorded every step for every strategy and replicate.

/// Declares the indicator list once: names, documentation, and indices.
macro_rules! indicators {
    ( $( $id:ident = $name:literal : $doc:literal ; )* ) => {
        /// Index of each indicator in a recorded row.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub enum Ind { $( $id, )* }
        /// Column names, in row order.
        pub const NAMES: &[&str] = &[ $( $name, )* ];
        /// One-line documentation per indicator, in row order.
        pub const DOCS: &[&str] = &[ $( $doc, )* ];
    };
}

indicators! {
    AttMean = "attainment_mean": "Mean attainment across schools (% of pupils reaching the expected standard).";
    AttSd = "attainment_sd": "Standard deviation of attainment across schools (points).";
    AttP10 = "attainment_p10": "10th percentile of school attainment.";
    AttP25 = "attainment_p25": "25th percentile of school attainment.";
    AttMedian = "attainment_median": "Median school attainment.";
    AttP75 = "attainment_p75": "75th percentile of school attainment.";
    AttP90 = "attainment_p90": "90th percentile of school attainment.";
    Gap = "gap": "Mean attainment of the top quartile of schools minus that of the bottom quartile (points).";
    Equity = "equity_low_intake": "Mean attainment of the quarter of schools with the lowest intake.";
    Quality = "quality_mean": "Mean practice quality Q (mean normalised effectiveness of teachers' practices, 0-1).";
    Headroom = "headroom_realised": "Mean share of headroom realised, (Q - Q0) / (1 - Q0).";
    Diversity = "diversity": "Mean pairwise Hamming distance between schools' majority practices (dimensions).";
    Capacity = "capacity": "Mean capacity c (0-1).";
    Ownership = "ownership": "Mean ownership o (0-1); Coburn's transfer of ownership.";
    Trust = "trust": "Mean trust on network edges (0-1); empty when lateral exchange is off.";
    CentreTrust = "centre_trust": "Mean trust of schools in the centre (0-1); empty when upward learning is off.";
    Mandated = "mandated_share": "Share of code dimensions held as mandated and not yet owned.";
    InitReceived = "initiatives_received": "Initiatives received per school this step.";
    InitComplied = "initiatives_complied": "Initiatives complied with per school this step.";
    ProjectsRun = "projects_run": "Enquiry projects run per school this step.";
    ProjectsAdopted = "projects_adopted": "Enquiry projects adopted per school this step.";
    Meetings = "meetings": "Network meetings per school this step (each meeting counted once).";
    LateralAdoptions = "lateral_adoptions": "Practices adopted from a peer per school this step.";
    Reversions = "reversions": "Teacher practice bits reverted to their pre-mandate value, per school this step.";
    FindingsPublished = "findings_published": "Findings published by the centre, per school this step.";
    FindingsTakenUp = "findings_taken_up": "Published findings written into a school code, per school this step.";
    Depth = "depth": "Coburn depth: mean quality gain since year 0, Q - Q0.";
    Sustainability = "sustainability": "Coburn sustainability: share of the year-`withdraw_year` quality gain still held (empty before withdrawal or without it).";
    Spread = "spread": "Coburn spread: share of schools whose practice agrees with the year's best school on 3/4 of the dimensions where it departs from the year-0 majority.";
    SloVision = "slo_vision": "SLO 1 shared vision: mean agreement of teachers with the school code (0-1).";
    SloContinuous = "slo_continuous": "SLO 2 continuous learning: mean of min(1, CPD hours/35) and capacity (0-1).";
    SloTeam = "slo_team": "SLO 3 team learning: mean of the yearly socialisation and code-learning probabilities (0-1).";
    SloEnquiry = "slo_enquiry": "SLO 4 culture of enquiry: projects run last year / 3, capped at 1.";
    SloKnowledge = "slo_knowledge": "SLO 5 knowledge systems: findings published plus taken up last year / 3, capped at 1.";
    SloExternal = "slo_external": "SLO 6 learning with the external environment: meetings last year times mean trust / 6, capped at 1.";
    SloLeadership = "slo_leadership": "SLO 7 learning leadership: capacity times ownership.";
}

/// Number of indicators per row.
pub const N_IND: usize = NAMES.len();

/// Indicators whose value at a year is a level (not a count per step).
pub fn is_activity(i: usize) -> bool {
    (Ind::InitReceived as usize..=Ind::FindingsTakenUp as usize).contains(&i)
}

/// The range an indicator can take (`n` practice dimensions), used to clip
/// intervals across few replicates to possible values. `None`: unbounded
/// above (counts) or a difference.
pub fn bounds(i: usize, n: u32) -> (Option<f64>, Option<f64>) {
    use Ind::*;
    const ATT: [Ind; 9] = [
        AttMean, AttSd, AttP10, AttP25, AttMedian, AttP75, AttP90, Gap, Equity,
    ];
    if ATT.iter().any(|&a| a as usize == i) {
        return (Some(0.0), Some(100.0));
    }
    if i == Diversity as usize {
        return (Some(0.0), Some(n as f64));
    }
    if is_activity(i) {
        return (Some(0.0), None);
    }
    if i == Depth as usize || i == Headroom as usize || i == Sustainability as usize {
        return (None, None);
    }
    (Some(0.0), Some(1.0))
}

/// The `q`-quantile of sorted data, by linear interpolation.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let w = pos - lo as f64;
    sorted[lo] * (1.0 - w) + sorted[hi] * w
}

/// Exact mean pairwise Hamming distance over `n` dimensions, in O(S x N).
pub fn diversity(practices: &[u64], n: u32) -> f64 {
    let s = practices.len();
    if s < 2 {
        return 0.0;
    }
    let mut total = 0.0;
    for d in 0..n {
        let ones = practices.iter().filter(|&&p| p >> d & 1 == 1).count() as f64;
        let f = ones / s as f64;
        total += 2.0 * f * (1.0 - f);
    }
    total * s as f64 / (s as f64 - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diversity_matches_pairwise() {
        let p = [0b0000u64, 0b1111, 0b1010, 0b0011, 0b0110];
        let mut sum = 0.0;
        let mut pairs = 0.0;
        for i in 0..p.len() {
            for j in i + 1..p.len() {
                sum += (p[i] ^ p[j]).count_ones() as f64;
                pairs += 1.0;
            }
        }
        assert!((diversity(&p, 4) - sum / pairs).abs() < 1e-12);
        assert_eq!(diversity(&[5, 5, 5], 4), 0.0);
    }

    #[test]
    fn names_are_unique() {
        let mut v = NAMES.to_vec();
        v.sort();
        v.dedup();
        assert_eq!(v.len(), N_IND);
        assert_eq!(DOCS.len(), N_IND);
    }

    #[test]
    fn quantiles_interpolate() {
        let s = [0.0, 10.0, 20.0, 30.0, 40.0];
        assert_eq!(quantile_sorted(&s, 0.5), 20.0);
        assert_eq!(quantile_sorted(&s, 0.1), 4.0);
    }
}
