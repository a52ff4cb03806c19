//! The verdict scale: how a paired difference between two strategies is put
//! into words. One fixed, documented rule (docs/ODD.md, "How the report
//! words a difference"), used by the report's summary and tables.
//!
//! Pure: it takes the per-run differences (A − B, oriented so that a
//! positive value means A is better) and the smallest difference that
//! matters, and returns a [`Verdict`]; [`sentence`] writes it out.
//!
//! The rule, for an interval `[lo, hi]` of the mean difference at
//! confidence `1 − alpha` (alpha Holm-adjusted when several comparisons are
//! stated together, see [`holm_alphas`]) and a smallest meaningful
//! difference `m > 0`:
//! - fewer than two runs: [`Word::OneRun`] (no comparison is possible);
//! - every run's difference exactly zero: [`Word::Identical`];
//! - `lo > m`: [`Word::ClearlyAhead`]; `hi < −m`: [`Word::ClearlyBehind`];
//! - `−m < lo` and `hi < m` (the whole interval closer to zero than `m`):
//!   [`Word::AheadLessThanMatters`] when `lo > 0`,
//!   [`Word::BehindLessThanMatters`] when `hi < 0`, else
//!   [`Word::NoMeaningfulDifference`];
//! - otherwise [`Word::Unclear`], with the number of further runs that
//!   would shrink the interval, at the same mean and spread, to fit inside
//!   one of the regions above.

/// The words of the scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Word {
    ClearlyAhead,
    AheadLessThanMatters,
    NoMeaningfulDifference,
    BehindLessThanMatters,
    ClearlyBehind,
    /// About `more_runs` further runs would settle it.
    Unclear {
        more_runs: usize,
    },
    Identical,
    OneRun,
}

impl Word {
    /// The phrase, as it reads between A and B ("A is clearly ahead of B").
    pub fn phrase(&self) -> String {
        match self {
            Word::ClearlyAhead => "clearly ahead of".into(),
            Word::AheadLessThanMatters => "ahead, but by less than matters, of".into(),
            Word::NoMeaningfulDifference => "not meaningfully different from".into(),
            Word::BehindLessThanMatters => "behind, but by less than matters,".into(),
            Word::ClearlyBehind => "clearly behind".into(),
            Word::Unclear { .. } => "not yet distinguishable from".into(),
            Word::Identical => "identical in every run to".into(),
            Word::OneRun => "compared on a single run with".into(),
        }
    }

    /// A short label for tables.
    pub fn label(&self) -> String {
        match self {
            Word::ClearlyAhead => "clearly ahead".into(),
            Word::AheadLessThanMatters => "ahead, by less than matters".into(),
            Word::NoMeaningfulDifference => "no meaningful difference".into(),
            Word::BehindLessThanMatters => "behind, by less than matters".into(),
            Word::ClearlyBehind => "clearly behind".into(),
            Word::Unclear { more_runs } => {
                format!(
                    "unclear: about {} more runs would settle it",
                    nice(*more_runs)
                )
            }
            Word::Identical => "no meaningful difference (identical in every run)".into(),
            Word::OneRun => "one run: no comparison".into(),
        }
    }

    /// Whether the difference is at least the smallest that matters.
    pub fn meaningful(&self) -> bool {
        matches!(self, Word::ClearlyAhead | Word::ClearlyBehind)
    }
}

/// A paired comparison of A with B on one indicator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    /// Runs compared (pairs with both values finite).
    pub n: usize,
    /// Mean advantage of A (positive: A better), and its interval.
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
    /// Confidence level of the interval (0.95 unless Holm-adjusted).
    pub level: f64,
    /// Runs in which A was better, and in which B was.
    pub ahead: usize,
    pub behind: usize,
    pub word: Word,
}

/// The standard normal quantile (Acklam's rational approximation,
/// relative error below 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let lowp = 0.02425;
    if p < lowp {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - lowp {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

/// The upper `1 − alpha/2` quantile of Student's t with `df` degrees of
/// freedom: the exact table at alpha = 0.05, else the Cornish-Fisher
/// expansion (within 1.5% for 4 or more degrees of freedom).
pub fn t_quantile(alpha: f64, df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    if (alpha - 0.05).abs() < 1e-12 {
        return crate::stats::t975(df);
    }
    let z = normal_quantile(1.0 - alpha / 2.0);
    let v = df as f64;
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
}

/// Judge the differences `d` (A − B per run, positive: A better) against
/// the smallest meaningful difference `smallest` (> 0), with an interval
/// at confidence `1 − alpha`.
pub fn judge(d: &[f64], smallest: f64, alpha: f64) -> Verdict {
    let v: Vec<f64> = d.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len();
    let ahead = v.iter().filter(|&&x| x > 0.0).count();
    let behind = v.iter().filter(|&&x| x < 0.0).count();
    let mut out = Verdict {
        n,
        mean: f64::NAN,
        lo: f64::NAN,
        hi: f64::NAN,
        level: 1.0 - alpha,
        ahead,
        behind,
        word: Word::OneRun,
    };
    if n == 0 {
        return out;
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    out.mean = mean;
    if n < 2 {
        return out;
    }
    if v.iter().all(|&x| x == 0.0) {
        out.lo = 0.0;
        out.hi = 0.0;
        out.word = Word::Identical;
        return out;
    }
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    let t = t_quantile(alpha, n - 1);
    let half = t * sd / (n as f64).sqrt();
    let (lo, hi) = (mean - half, mean + half);
    out.lo = lo;
    out.hi = hi;
    let m = smallest.abs();
    out.word = if lo > m {
        Word::ClearlyAhead
    } else if hi < -m {
        Word::ClearlyBehind
    } else if lo > -m && hi < m {
        if lo > 0.0 {
            Word::AheadLessThanMatters
        } else if hi < 0.0 {
            Word::BehindLessThanMatters
        } else {
            Word::NoMeaningfulDifference
        }
    } else {
        // The half-width that would fit the interval inside a region.
        let room = if mean.abs() < m {
            m - mean.abs()
        } else {
            mean.abs() - m
        };
        let need = if room > 0.0 {
            ((t * sd / room).powi(2)).ceil()
        } else {
            f64::INFINITY
        };
        let more = if need.is_finite() && need < 1e9 {
            (need as usize).saturating_sub(n).max(1)
        } else {
            usize::MAX
        };
        Word::Unclear { more_runs: more }
    };
    out
}

/// Holm's step-down correction as a per-comparison alpha: comparisons are
/// taken in decreasing order of `|t|` (their t statistics for a zero
/// difference); the k-th (from 0) of m is tested at `alpha / (m − k)`, and
/// once one is not significant at its level, every later one keeps that
/// level. `t_crit(alpha)` gives the critical value of a comparison.
pub fn holm_alphas(t_abs: &[f64], alpha: f64, t_crit: impl Fn(usize, f64) -> f64) -> Vec<f64> {
    let m = t_abs.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| t_abs[b].total_cmp(&t_abs[a]).then(a.cmp(&b)));
    let mut out = vec![alpha; m];
    let mut stopped: Option<f64> = None;
    for (k, &i) in order.iter().enumerate() {
        let a = stopped.unwrap_or(alpha / (m - k) as f64);
        out[i] = a;
        if stopped.is_none()
            && t_abs[i].partial_cmp(&t_crit(i, a)) != Some(std::cmp::Ordering::Greater)
        {
            stopped = Some(a);
        }
    }
    out
}

/// Judge several comparisons stated together, Holm-corrected at family
/// level `alpha`: `(differences, smallest meaningful difference)` each.
pub fn judge_family(family: &[(Vec<f64>, f64)], alpha: f64) -> Vec<Verdict> {
    let stats: Vec<(f64, usize)> = family
        .iter()
        .map(|(d, _)| {
            let v: Vec<f64> = d.iter().copied().filter(|x| x.is_finite()).collect();
            let n = v.len();
            if n < 2 {
                return (0.0, n);
            }
            let mean = v.iter().sum::<f64>() / n as f64;
            let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
            let t = if sd > 0.0 {
                mean.abs() / (sd / (n as f64).sqrt())
            } else if mean != 0.0 {
                f64::INFINITY
            } else {
                0.0
            };
            (t, n)
        })
        .collect();
    let t_abs: Vec<f64> = stats.iter().map(|s| s.0).collect();
    let alphas = holm_alphas(&t_abs, alpha, |i, a| {
        t_quantile(a, stats[i].1.saturating_sub(1))
    });
    family
        .iter()
        .zip(alphas)
        .map(|((d, m), a)| judge(d, *m, a))
        .collect()
}

/// How an indicator is named and printed in a sentence.
#[derive(Clone, Copy, Debug)]
pub struct Measure {
    /// "mean attainment"
    pub label: &'static str,
    /// "highest mean attainment": the leader's title.
    pub best: &'static str,
    /// Unit of a level, printed after the number ("%", "").
    pub level_unit: &'static str,
    /// Unit of a difference ("points").
    pub unit: &'static str,
    pub digits: usize,
    /// Whether more is better (sets "higher"/"lower" against "ahead").
    pub higher_is_better: bool,
}

/// "about 30 more runs would settle it".
pub fn more_runs_words(n: usize) -> String {
    format!(
        "about {} more run{} would settle it",
        nice(n),
        if n == 1 { "" } else { "s" }
    )
}

/// A rounded count for "about N more runs".
pub fn nice(n: usize) -> String {
    if n == usize::MAX {
        return "many thousand".into();
    }
    let r = if n < 20 {
        n
    } else if n < 200 {
        n.div_ceil(10) * 10
    } else if n < 2000 {
        n.div_ceil(100) * 100
    } else {
        n.div_ceil(1000) * 1000
    };
    crate::report::describe::thousands(r)
}

fn num(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    let zero = s
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.');
    if zero {
        s.trim_start_matches('-').to_string()
    } else {
        s.replace('-', "−")
    }
}

fn signed(x: f64, digits: usize) -> String {
    let s = num(x, digits);
    if s.starts_with('−') || s.chars().all(|c| c == '0' || c == '.') {
        s
    } else {
        format!("+{s}")
    }
}

/// Decimals for a difference: one more when it is small.
fn digits_for(v: &Verdict, digits: usize) -> usize {
    let big = [v.mean, v.lo, v.hi]
        .iter()
        .filter(|x| x.is_finite())
        .fold(0.0f64, |a, x| a.max(x.abs()));
    if big < 0.5 { digits + 1 } else { digits }
}

/// The evidence in words: "+3.2 points (we are 95% sure the average
/// difference lies between +2.4 and +4.0; better in 28 of 30 runs)".
/// The difference is in the indicator's own direction.
pub fn evidence(m: &Measure, v: &Verdict) -> String {
    evidence_as(m, v, "difference", "better")
}

/// [`evidence`] with other words for the quantity ("change") and for a
/// run in which it favours the first ("higher at the end").
pub fn evidence_as(m: &Measure, v: &Verdict, what: &str, ahead: &str) -> String {
    let dg = digits_for(v, m.digits);
    let sign = if m.higher_is_better { 1.0 } else { -1.0 };
    let unit = if m.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", m.unit)
    };
    if v.n < 2 {
        return format!(
            "{}{unit} in the one run; one run cannot support a comparison",
            signed(sign * v.mean, dg)
        );
    }
    if v.word == Word::Identical {
        return format!("the same in all {} runs", v.n);
    }
    let (a, b) = if sign > 0.0 {
        (v.lo, v.hi)
    } else {
        (-v.hi, -v.lo)
    };
    format!(
        "{}{unit} (we are {}% sure the average {what} lies between {} and {}; {ahead} in {} of {} runs)",
        signed(sign * v.mean, dg),
        pct(v.level),
        signed(a, dg),
        signed(b, dg),
        v.ahead,
        v.n
    )
}

fn pct(level: f64) -> String {
    let p = 100.0 * level;
    if (p - p.round()).abs() < 0.05 {
        format!("{:.0}", p)
    } else {
        format!("{:.1}", p)
    }
}

/// "cascade is clearly ahead of status quo on mean attainment: +3.2 points
/// (...)". With an unclear verdict, the number of runs that would settle it.
pub fn sentence(a: &str, b: &str, m: &Measure, v: &Verdict) -> String {
    let tail = match v.word {
        Word::Unclear { more_runs } => {
            format!("; about {} more runs would settle it", nice(more_runs))
        }
        _ => String::new(),
    };
    format!(
        "{a} is {} {b} on {}: {}{tail}.",
        v.word.phrase(),
        m.label,
        evidence(m, v)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};
    use rand_distr::{Distribution, StandardNormal};

    fn draws(seed: u64, n: usize, mean: f64, sd: f64) -> Vec<f64> {
        let mut r = stream(11, seed, 0, Purpose::Validation, 0);
        (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut r);
                mean + sd * z
            })
            .collect()
    }

    #[test]
    fn half_the_smallest_difference_is_never_clearly_ahead() {
        for seed in 0..1000 {
            for &(n, sd) in &[(10usize, 0.5f64), (30, 1.0), (100, 2.0)] {
                let v = judge(&draws(seed, n, 0.5, sd), 1.0, 0.05);
                assert!(!v.word.meaningful(), "seed {seed}, n {n}, sd {sd}: {v:?}");
            }
        }
    }

    #[test]
    fn three_times_the_smallest_difference_with_enough_runs_is_clearly_ahead() {
        let mut clear = 0;
        for seed in 0..500 {
            let v = judge(&draws(seed, 30, 3.0, 1.0), 1.0, 0.05);
            if v.word == Word::ClearlyAhead {
                clear += 1;
            }
            let w = judge(&draws(seed, 30, -3.0, 1.0), 1.0, 0.05);
            assert_ne!(w.word, Word::ClearlyAhead);
        }
        assert!(clear >= 495, "{clear} of 500");
    }

    #[test]
    fn no_difference_with_enough_runs_reads_as_no_meaningful_difference() {
        let mut none = 0;
        for seed in 0..500 {
            let v = judge(&draws(seed, 40, 0.0, 1.0), 1.0, 0.05);
            assert!(!v.word.meaningful(), "{v:?}");
            if v.word == Word::NoMeaningfulDifference {
                none += 1;
            }
        }
        // 95% coverage: the interval includes zero in about 95% of cases.
        assert!(none >= 450, "{none} of 500");
    }

    #[test]
    fn the_estimate_of_more_runs_settles_an_unclear_comparison() {
        // True difference 2 (beyond the smallest, 1), too few runs to know.
        let mut settled = 0;
        let mut asked = 0;
        for seed in 0..200 {
            let d = draws(seed, 6, 2.0, 2.0);
            let v = judge(&d, 1.0, 0.05);
            if let Word::Unclear { more_runs } = v.word {
                asked += 1;
                // Add that many runs from the same distribution.
                let mut all = d.clone();
                all.extend(draws(seed + 10_000, more_runs.min(5000), 2.0, 2.0));
                if !matches!(judge(&all, 1.0, 0.05).word, Word::Unclear { .. }) {
                    settled += 1;
                }
            }
        }
        assert!(asked > 50, "{asked}");
        assert!(settled as f64 >= 0.4 * asked as f64, "{settled} of {asked}");
    }

    #[test]
    fn small_clear_differences_are_less_than_matters() {
        let d: Vec<f64> = (0..30).map(|i| 0.3 + 0.01 * (i % 3) as f64).collect();
        assert_eq!(judge(&d, 1.0, 0.05).word, Word::AheadLessThanMatters);
        let neg: Vec<f64> = d.iter().map(|x| -x).collect();
        assert_eq!(judge(&neg, 1.0, 0.05).word, Word::BehindLessThanMatters);
        assert_eq!(judge(&[0.0; 5], 1.0, 0.05).word, Word::Identical);
        assert_eq!(judge(&[2.0], 1.0, 0.05).word, Word::OneRun);
    }

    #[test]
    fn holm_tests_the_strongest_at_the_strictest_level_and_stops() {
        let crit = |_: usize, a: f64| normal_quantile(1.0 - a / 2.0);
        let a = holm_alphas(&[10.0, 0.5, 3.0], 0.05, crit);
        assert!((a[0] - 0.05 / 3.0).abs() < 1e-12);
        assert!((a[2] - 0.025).abs() < 1e-12);
        assert!((a[1] - 0.05).abs() < 1e-12);
        // The second fails at 0.025 (z 2.24 > 2.0): the third keeps 0.025.
        let b = holm_alphas(&[10.0, 1.9, 2.0], 0.05, crit);
        assert!((b[2] - 0.025).abs() < 1e-12 && (b[1] - 0.025).abs() < 1e-12);
    }

    #[test]
    fn quantiles_match_tables() {
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-5);
        assert!((t_quantile(0.01, 10) - 3.169).abs() < 0.03);
        assert!((t_quantile(0.01, 30) - 2.750).abs() < 0.01);
        assert_eq!(t_quantile(0.05, 10), crate::stats::t975(10));
    }

    #[test]
    fn sentences_say_direction_and_runs() {
        let m = Measure {
            label: "the gap",
            best: "smallest gap",
            level_unit: " points",
            unit: "points",
            digits: 1,
            higher_is_better: false,
        };
        // A's gap is 2 smaller: A better, advantage +2.
        let d: Vec<f64> = (0..10).map(|i| 2.0 + 0.1 * (i % 2) as f64).collect();
        let v = judge(&d, 1.0, 0.05);
        let s = sentence("enquiry", "status quo", &m, &v);
        assert!(
            s.starts_with("enquiry is clearly ahead of status quo on the gap: −2.0"),
            "{s}"
        );
        assert!(s.contains("better in 10 of 10 runs"), "{s}");
    }
}
