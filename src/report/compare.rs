//! Paired comparisons between strategies, and the plain-language summary
//! written from them.
//!
//! Strategies of a scenario share every replicate (common random numbers),
//! so two strategies are compared replicate by replicate: the difference is
//! computed within each replicate and then summarised (mean and 95%
//! interval across replicates). The sentence writers take these summaries
//! only, never the raw runs, so they can be tested on made-up numbers.

use crate::model::indicators::Ind;
use crate::output::year_value;
use crate::runner::Results;
use crate::stats::{Summary, summarise};

/// One indicator of every strategy at one year.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub year: u32,
    /// Per strategy: mean and 95% interval across replicates.
    pub level: Vec<Summary>,
    /// `diff[a][b]`: the paired difference a − b across replicates.
    pub diff: Vec<Vec<Summary>>,
}

/// The value of indicator `ind` at `year` for every strategy and replicate:
/// `[strategy][replicate]` (replicates in ascending order).
pub fn values(
    res: &Results,
    strategies: usize,
    spy: usize,
    year: u32,
    ind: usize,
) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<(u32, f64)>> = vec![Vec::new(); strategies];
    for run in &res.runs {
        if run.strategy < strategies {
            out[run.strategy].push((
                run.replicate,
                year_value(&run.record.rows, spy, year as usize, ind),
            ));
        }
    }
    out.into_iter()
        .map(|mut v| {
            v.sort_by_key(|(r, _)| *r);
            v.into_iter().map(|(_, x)| x).collect()
        })
        .collect()
}

/// Mean and interval of `a − b`, replicate by replicate (non-finite pairs
/// are left out).
pub fn paired(a: &[f64], b: &[f64]) -> Summary {
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| x - y)
        .filter(|v| v.is_finite())
        .collect();
    summarise(&d)
}

/// Levels and paired differences of indicator `ind` at `year`.
pub fn snapshot(res: &Results, strategies: usize, spy: usize, year: u32, ind: usize) -> Snapshot {
    let v = values(res, strategies, spy, year, ind);
    let level = v.iter().map(|x| summarise(x)).collect();
    let diff = (0..strategies)
        .map(|a| (0..strategies).map(|b| paired(&v[a], &v[b])).collect())
        .collect();
    Snapshot { year, level, diff }
}

/// The years at which leads are reported: an early year, the middle and
/// the last year (distinct, ascending, at least year 1).
pub fn checkpoints(years: u32) -> Vec<u32> {
    let early = ((years as f64 * 0.3).round() as u32).clamp(1, years.max(1));
    let mid = (years / 2).max(1);
    let mut v = vec![early, mid, years.max(1)];
    v.sort_unstable();
    v.dedup();
    v
}

/// The year of the SLO profile's middle panel.
pub fn middle_year(years: u32) -> u32 {
    (years / 2).max(if years >= 2 { 1 } else { 0 })
}

/// How an interval of a difference reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The whole interval is above zero.
    ClearlyHigher,
    /// The whole interval is below zero.
    ClearlyLower,
    /// The interval includes zero (or there are too few replicates for one).
    NotClear,
}

/// Reads the 95% interval of a paired difference.
pub fn verdict(d: &Summary) -> Verdict {
    if !(d.lo.is_finite() && d.hi.is_finite()) {
        Verdict::NotClear
    } else if d.lo > 0.0 {
        Verdict::ClearlyHigher
    } else if d.hi < 0.0 {
        Verdict::ClearlyLower
    } else {
        Verdict::NotClear
    }
}

/// What an indicator is called in sentences and how its numbers read.
#[derive(Clone, Copy, Debug)]
pub struct Measure {
    /// "mean attainment"
    pub label: &'static str,
    /// Unit of a level, printed after the number ("%", "").
    pub level_unit: &'static str,
    /// Unit of a difference ("points").
    pub diff_unit: &'static str,
    /// Decimals to print.
    pub digits: usize,
    /// Whether more is better (sets the words "ahead" and "behind").
    pub higher_is_better: bool,
    /// A clear difference smaller than this is called small.
    pub small: f64,
}

/// Mean attainment, in % and percentage points.
pub const ATTAINMENT: Measure = Measure {
    label: "mean attainment",
    level_unit: "%",
    diff_unit: "points",
    digits: 1,
    higher_is_better: true,
    small: 0.5,
};

/// The gap between the top and bottom quarter of schools.
pub const GAP: Measure = Measure {
    label: "gap between the top and bottom quarter of schools",
    level_unit: " points",
    diff_unit: "points",
    digits: 1,
    higher_is_better: false,
    small: 0.5,
};

fn num(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_string()
    } else {
        s
    }
}

fn signed(x: f64, digits: usize) -> String {
    let s = num(x, digits);
    if s.starts_with('-') || s.trim_start_matches(['0', '.']).is_empty() {
        s.replace('-', "−")
    } else {
        format!("+{s}")
    }
}

/// Decimals for a difference: one more when it is small, so a small
/// interval does not print as "0.0 to 0.0".
fn fine(d: &Summary, digits: usize) -> usize {
    let big = [d.mean, d.lo, d.hi]
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |a, v| a.max(v.abs()));
    if big < 0.5 { digits + 1 } else { digits }
}

/// "(95% interval 0.6 to 1.8)" or "(no interval: one replicate)".
fn interval(d: &Summary, digits: usize) -> String {
    if d.lo.is_finite() && d.hi.is_finite() {
        format!(
            "95% interval {} to {}",
            num(d.lo, digits).replace('-', "−"),
            num(d.hi, digits).replace('-', "−")
        )
    } else {
        "no interval with a single replicate".to_string()
    }
}

/// Index of the best strategy by mean (ties: the earlier), if any is finite.
fn best(level: &[Summary], higher_is_better: bool) -> Option<usize> {
    let mut out: Option<usize> = None;
    for (i, s) in level.iter().enumerate() {
        if !s.mean.is_finite() {
            continue;
        }
        out = match out {
            None => Some(i),
            Some(j) => {
                let better = if higher_is_better {
                    s.mean > level[j].mean
                } else {
                    s.mean < level[j].mean
                };
                Some(if better { i } else { j })
            }
        };
    }
    out
}

/// Whether a paired difference is exactly zero in every replicate (the two
/// strategies have not yet diverged).
fn identical(d: &Summary) -> bool {
    d.mean.abs() < 1e-12 && (d.sd.is_nan() || d.sd <= 1e-12)
}

/// Who leads at one checkpoint, in one sentence, and whether the lead is
/// clear (the paired difference to the runner-up excludes zero).
/// Strategies that have not yet diverged from the leader are named with
/// it, and the comparison is with the best strategy that has.
pub fn lead_sentence(names: &[String], m: &Measure, snap: &Snapshot) -> Option<(String, bool)> {
    let lead = best(&snap.level, m.higher_is_better)?;
    let lv = &snap.level[lead];
    let same: Vec<usize> = (0..snap.level.len())
        .filter(|&o| o != lead && identical(&snap.diff[lead][o]))
        .collect();
    let group = if same.is_empty() {
        names[lead].clone()
    } else {
        let mut all = vec![names[lead].clone()];
        all.extend(same.iter().map(|&o| names[o].clone()));
        join_and(&all)
    };
    let (tag, tag_in) = if same.is_empty() {
        ("", "")
    } else {
        (" (identical so far)", "identical so far: ")
    };
    let masked: Vec<Summary> = snap
        .level
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i == lead || same.contains(&i) {
                Summary {
                    mean: f64::NAN,
                    ..*s
                }
            } else {
                *s
            }
        })
        .collect();
    let Some(second) = best(&masked, m.higher_is_better) else {
        let s = if same.is_empty() {
            format!(
                "By year {}, {} is {}{} under {}.",
                snap.year,
                m.label,
                num(lv.mean, m.digits),
                m.level_unit,
                names[lead]
            )
        } else {
            format!(
                "By year {}, every strategy gives the same results so far ({} {}{}).",
                snap.year,
                m.label,
                num(lv.mean, m.digits),
                m.level_unit
            )
        };
        return Some((s, false));
    };
    let has = if same.is_empty() { "has" } else { "have" };
    let d = &snap.diff[lead][second];
    let v = verdict(d);
    let clear = if m.higher_is_better {
        v == Verdict::ClearlyHigher
    } else {
        v == Verdict::ClearlyLower
    };
    let word = if m.higher_is_better {
        "highest"
    } else {
        "lowest"
    };
    let s = if clear {
        let all = (0..snap.level.len())
            .filter(|&o| o != lead && !same.contains(&o))
            .all(|o| {
                let v = verdict(&snap.diff[lead][o]);
                if m.higher_is_better {
                    v == Verdict::ClearlyHigher
                } else {
                    v == Verdict::ClearlyLower
                }
            });
        format!(
            "By year {}, {}{tag} {has} the {} {} ({}{}), {} {} {} than {}, the next best ({}): a {}clear lead{}.",
            snap.year,
            group,
            word,
            m.label,
            num(lv.mean, m.digits),
            m.level_unit,
            num(d.mean.abs(), fine(d, m.digits)),
            m.diff_unit,
            if d.mean >= 0.0 { "more" } else { "less" },
            names[second],
            interval(d, fine(d, m.digits)),
            if d.mean.abs() < m.small {
                "small but "
            } else {
                ""
            },
            if all && snap.level.len() > 2 {
                " over every other strategy"
            } else {
                ""
            }
        )
    } else {
        format!(
            "By year {}, {} ({tag_in}{}{}) and {} ({}{}) are level within the uncertainty: the paired difference of {} {} ({}) includes zero, so which is better is not clear.",
            snap.year,
            group,
            num(lv.mean, m.digits),
            m.level_unit,
            names[second],
            num(snap.level[second].mean, m.digits),
            m.level_unit,
            signed(d.mean, fine(d, m.digits)),
            m.diff_unit,
            interval(d, fine(d, m.digits))
        )
    };
    Some((s, clear))
}

/// Each strategy against the first one, at one checkpoint.
pub fn versus_first_sentence(names: &[String], m: &Measure, snap: &Snapshot) -> Option<String> {
    if names.len() < 2 {
        return None;
    }
    let mut higher = Vec::new();
    let mut lower = Vec::new();
    let mut unclear = Vec::new();
    for (s, name) in names.iter().enumerate().skip(1) {
        let d = &snap.diff[s][0];
        if !d.mean.is_finite() {
            continue;
        }
        let item = format!(
            "{} ({} {}, {})",
            name,
            signed(d.mean, fine(d, m.digits)),
            m.diff_unit,
            interval(d, fine(d, m.digits))
        );
        match verdict(d) {
            Verdict::ClearlyHigher => higher.push(item),
            Verdict::ClearlyLower => lower.push(item),
            Verdict::NotClear => unclear.push(item),
        }
    }
    let mut parts = Vec::new();
    if !higher.is_empty() {
        parts.push(format!("clearly higher under {}", join_and(&higher)));
    }
    if !lower.is_empty() {
        parts.push(format!("clearly lower under {}", join_and(&lower)));
    }
    if !unclear.is_empty() {
        parts.push(format!(
            "not clearly different under {}",
            join_and(&unclear)
        ));
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "Compared with {} at year {}, {} is {}.",
        names[0],
        snap.year,
        m.label,
        parts.join("; ")
    ))
}

fn join_and(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// The share of the quality gain kept after support ends, per strategy
/// that withdraws it: `(name, withdraw year, [(year, summary)])`.
pub type Kept = (String, u32, Vec<(u32, Summary)>);

/// One sentence on what is left after support is withdrawn.
pub fn sustainability_sentence(kept: &[Kept]) -> Option<String> {
    let items: Vec<String> = kept
        .iter()
        .filter_map(|(name, w, at)| {
            let parts: Vec<String> = at
                .iter()
                .filter(|(_, s)| s.mean.is_finite())
                .map(|(y, s)| {
                    let ci = if s.lo.is_finite() {
                        format!(" [{:.0}–{:.0}%]", 100.0 * s.lo, 100.0 * s.hi)
                    } else {
                        String::new()
                    };
                    format!(
                        "{:.0}%{} after {} year{}",
                        100.0 * s.mean,
                        ci,
                        y - w,
                        if y - w == 1 { "" } else { "s" }
                    )
                })
                .collect();
            (!parts.is_empty()).then(|| {
                format!(
                    "{} (support ends after year {}) keeps {}",
                    name,
                    w,
                    parts.join(" and ")
                )
            })
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    Some(format!(
        "Of the practice gain made while supported (quality at the withdrawal year, relative to year 0), {}. Above 100% means schools kept improving on their own.",
        join_and(&items)
    ))
}

/// The whole plain-language summary of attainment and gap: who leads at
/// each checkpoint, whether the lead changes hands, and each strategy
/// against the first at the last checkpoint.
pub fn summary_sentences(
    names: &[String],
    attainment: &[Snapshot],
    gap: Option<&Snapshot>,
    replicates: u32,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut leaders: Vec<(u32, usize, bool)> = Vec::new();
    for snap in attainment {
        if let Some((s, clear)) = lead_sentence(names, &ATTAINMENT, snap) {
            out.push(s);
            if let Some(l) = best(&snap.level, true) {
                leaders.push((snap.year, l, clear));
            }
        }
    }
    if let (Some(first), Some(last)) = (leaders.first(), leaders.last())
        && first.1 != last.1
        && first.2
        && last.2
    {
        out.push(format!(
            "The lead changes hands: {} is ahead at year {}, {} by year {}.",
            names[first.1], first.0, names[last.1], last.0
        ));
    }
    if let Some(last) = attainment.last()
        && let Some(s) = versus_first_sentence(names, &ATTAINMENT, last)
    {
        out.push(s);
    }
    if let Some(g) = gap
        && names.len() > 1
        && let Some((s, _)) = lead_sentence(names, &GAP, g)
    {
        out.push(s.replacen("has the lowest", "has the smallest", 1));
    }
    if replicates < 5 {
        out.push(format!(
            "With only {replicates} replicate{} the intervals are wide or missing: run more replicates (--replicates) before drawing conclusions.",
            if replicates == 1 { "" } else { "s" }
        ));
    }
    out
}

/// Indicators shown in the summary tables, with their labels and digits.
pub const TABLE_INDICATORS: &[(Ind, &str, usize)] = &[
    (Ind::AttMean, "Attainment (%)", 1),
    (Ind::Gap, "Gap, top − bottom quarter (points)", 1),
    (Ind::Equity, "Lowest-intake quarter (%)", 1),
    (Ind::Depth, "Depth: quality gain", 3),
    (Ind::Sustainability, "Sustainability: share of gain kept", 2),
    (Ind::Ownership, "Ownership (0–1)", 2),
    (Ind::Spread, "Spread (share of schools)", 2),
    (Ind::Capacity, "Capacity (0–1)", 2),
    (Ind::Diversity, "Diversity (dimensions)", 2),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn s(mean: f64, half: f64) -> Summary {
        Summary {
            n: 10,
            mean,
            sd: half,
            lo: mean - half,
            hi: mean + half,
        }
    }

    #[test]
    fn checkpoints_are_distinct_and_end_at_the_last_year() {
        assert_eq!(checkpoints(10), vec![3, 5, 10]);
        assert_eq!(checkpoints(1), vec![1]);
        assert_eq!(checkpoints(2), vec![1, 2]);
        assert_eq!(middle_year(10), 5);
        assert_eq!(middle_year(1), 0);
    }

    #[test]
    fn paired_differences_remove_the_shared_replicate_effect() {
        let a = [10.0, 20.0, 30.0];
        let b = [9.0, 19.1, 28.9];
        let d = paired(&a, &b);
        assert!((d.mean - 1.0).abs() < 1e-9);
        assert!(d.lo > 0.0, "{d:?}");
        assert_eq!(verdict(&d), Verdict::ClearlyHigher);
        assert_eq!(verdict(&s(0.5, 1.0)), Verdict::NotClear);
        assert_eq!(verdict(&s(-2.0, 1.0)), Verdict::ClearlyLower);
    }

    #[test]
    fn identical_strategies_are_called_identical() {
        let names = vec!["a".to_string(), "b".to_string()];
        let zero = Summary {
            n: 5,
            mean: 0.0,
            sd: 0.0,
            lo: 0.0,
            hi: 0.0,
        };
        let snap = Snapshot {
            year: 1,
            level: vec![s(61.5, 1.0), s(61.5, 1.0)],
            diff: vec![vec![zero, zero], vec![zero, zero]],
        };
        let (t, clear) = lead_sentence(&names, &ATTAINMENT, &snap).unwrap();
        assert!(!clear);
        assert!(
            t.contains("every strategy gives the same results so far"),
            "{t}"
        );
        // With a third strategy that has diverged, the pair leads together.
        let names3 = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let d = s(1.0, 0.5);
        let neg = s(-1.0, 0.5);
        let snap3 = Snapshot {
            year: 1,
            level: vec![s(61.5, 1.0), s(61.5, 1.0), s(60.5, 1.0)],
            diff: vec![
                vec![zero, zero, d],
                vec![zero, zero, d],
                vec![neg, neg, zero],
            ],
        };
        let (t, clear) = lead_sentence(&names3, &ATTAINMENT, &snap3).unwrap();
        assert!(clear);
        assert!(
            t.starts_with("By year 1, a and b (identical so far) have the highest"),
            "{t}"
        );
        assert!(t.contains("than c, the next best"), "{t}");
    }

    #[test]
    fn signs_are_typeset() {
        assert_eq!(signed(1.25, 1), "+1.2");
        assert_eq!(signed(-0.04, 1), "0.0");
        assert_eq!(signed(-2.0, 1), "−2.0");
    }
}
