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

use super::verdict::{self, Measure, Verdict, Word};

/// One indicator of every strategy at one year.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub year: u32,
    /// Per strategy: mean and 95% interval across replicates.
    pub level: Vec<Summary>,
    /// `diff[a][b]`: the paired difference a − b across replicates.
    pub diff: Vec<Vec<Summary>>,
    /// `[strategy][replicate]`: the values themselves.
    pub values: Vec<Vec<f64>>,
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
    Snapshot {
        year,
        level,
        diff,
        values: v,
    }
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
pub enum Sign {
    /// The whole interval is above zero.
    ClearlyHigher,
    /// The whole interval is below zero.
    ClearlyLower,
    /// The interval includes zero (or there are too few replicates for one).
    NotClear,
}

/// Reads the 95% interval of a paired difference.
pub fn sign(d: &Summary) -> Sign {
    if !(d.lo.is_finite() && d.hi.is_finite()) {
        Sign::NotClear
    } else if d.lo > 0.0 {
        Sign::ClearlyHigher
    } else if d.hi < 0.0 {
        Sign::ClearlyLower
    } else {
        Sign::NotClear
    }
}

/// Mean attainment, in % and percentage points.
pub const ATTAINMENT: Measure = Measure {
    label: "mean attainment",
    best: "highest mean attainment",
    level_unit: "%",
    unit: "points",
    digits: 1,
    higher_is_better: true,
};

/// The gap between the top and bottom quarter of schools (equity).
pub const GAP: Measure = Measure {
    label: "the gap between the top and bottom quarter of schools",
    best: "smallest gap between the top and bottom quarter of schools",
    level_unit: " points",
    unit: "points",
    digits: 1,
    higher_is_better: false,
};

/// Mean capacity for enquiry and change.
pub const CAPACITY: Measure = Measure {
    label: "mean capacity (0–1)",
    best: "highest capacity for enquiry and change",
    level_unit: "",
    unit: "",
    digits: 3,
    higher_is_better: true,
};

/// Diversity of practice (ahead: more diversity kept).
pub const DIVERSITY: Measure = Measure {
    label: "diversity of practice (dimensions on which schools differ; more counts as ahead)",
    best: "most diverse practice",
    level_unit: " dimensions",
    unit: "dimensions",
    digits: 2,
    higher_is_better: true,
};

fn num(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_string()
    } else {
        s.replace('-', "−")
    }
}

/// One headline indicator at the last year: how it reads, the smallest
/// difference that matters, and its value in every run.
#[derive(Clone, Debug)]
pub struct Headline {
    pub measure: Measure,
    pub smallest: f64,
    pub year: u32,
    /// `[strategy][replicate]`.
    pub values: Vec<Vec<f64>>,
}

/// A comparison the summary states: strategy `a` against `b` on headline
/// `headline`, and its verdict (Holm-corrected over every finding).
#[derive(Clone, Debug)]
pub struct Finding {
    pub headline: usize,
    pub a: usize,
    pub b: usize,
    pub verdict: Verdict,
}

/// Runs' advantage of `a` over `b` (positive: `a` better).
pub fn advantage(h: &Headline, a: usize, b: usize) -> Vec<f64> {
    let sign = if h.measure.higher_is_better {
        1.0
    } else {
        -1.0
    };
    h.values[a]
        .iter()
        .zip(&h.values[b])
        .map(|(x, y)| sign * (x - y))
        .collect()
}

fn mean_of(v: &[f64]) -> f64 {
    let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.is_empty() {
        f64::NAN
    } else {
        f.iter().sum::<f64>() / f.len() as f64
    }
}

/// The best and second-best strategy on a headline by mean (ties: the
/// earlier), if there are two with values.
pub fn leader_and_runner_up(h: &Headline) -> Option<(usize, usize)> {
    let sign = if h.measure.higher_is_better {
        1.0
    } else {
        -1.0
    };
    let mut order: Vec<(usize, f64)> = h
        .values
        .iter()
        .enumerate()
        .map(|(s, v)| (s, sign * mean_of(v)))
        .filter(|(_, m)| m.is_finite())
        .collect();
    order.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    (order.len() >= 2).then(|| (order[0].0, order[1].0))
}

/// Every comparison the summary states, judged together: each strategy
/// against the reference, and the leader against the runner-up, on every
/// headline; Holm-corrected at family level 5%.
pub fn findings(reference: usize, heads: &[Headline]) -> Vec<Finding> {
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
    for (k, h) in heads.iter().enumerate() {
        let ns = h.values.len();
        for s in 0..ns {
            if s != reference {
                pairs.push((k, s, reference));
            }
        }
        if let Some((l, r)) = leader_and_runner_up(h)
            && l != reference
            && r != reference
        {
            pairs.push((k, l, r));
        }
    }
    let family: Vec<(Vec<f64>, f64)> = pairs
        .iter()
        .map(|&(k, a, b)| (advantage(&heads[k], a, b), heads[k].smallest))
        .collect();
    verdict::judge_family(&family, 0.05)
        .into_iter()
        .zip(pairs)
        .map(|(v, (headline, a, b))| Finding {
            headline,
            a,
            b,
            verdict: v,
        })
        .collect()
}

/// The verdict of `a` against `b` on headline `k` (either order).
fn find(fs: &[Finding], k: usize, a: usize, b: usize) -> Option<Verdict> {
    fs.iter().find_map(|f| {
        if f.headline != k {
            None
        } else if (f.a, f.b) == (a, b) {
            Some(f.verdict)
        } else if (f.a, f.b) == (b, a) {
            Some(flip(&f.verdict))
        } else {
            None
        }
    })
}

/// The same comparison seen from the other side.
pub fn flip(v: &Verdict) -> Verdict {
    let word = match v.word {
        Word::ClearlyAhead => Word::ClearlyBehind,
        Word::ClearlyBehind => Word::ClearlyAhead,
        Word::AheadLessThanMatters => Word::BehindLessThanMatters,
        Word::BehindLessThanMatters => Word::AheadLessThanMatters,
        w => w,
    };
    Verdict {
        mean: -v.mean,
        lo: -v.hi,
        hi: -v.lo,
        ahead: v.behind,
        behind: v.ahead,
        word,
        ..*v
    }
}

fn level_words(h: &Headline, s: usize) -> String {
    let m = &h.measure;
    let mean = mean_of(&h.values[s]);
    let spread = match crate::stats::spread(&h.values[s]) {
        Some((lo, hi)) => format!(
            "; in 80% of runs between {} and {}",
            num(lo, m.digits),
            num(hi, m.digits)
        ),
        None => String::new(),
    };
    format!("{}{}{spread}", num(mean, m.digits), m.level_unit)
}

/// The plain-language summary: the largest difference that matters on
/// the headline (the first of `heads`), the leader against the runner-up
/// and every strategy against the reference on every headline (the
/// equity and capacity findings among them), and the status quo's drift.
/// `status_quo`: the reference when it is a status-quo arm; `drift`: its
/// change in the headline from year 0, run by run.
pub fn summary(
    names: &[String],
    reference: usize,
    status_quo: bool,
    heads: &[Headline],
    drift: Option<&[f64]>,
    replicates: u32,
) -> Vec<String> {
    let mut out = Vec::new();
    if replicates < 2 || names.is_empty() || heads.is_empty() {
        out.push("This is a single run: one run cannot support a comparison, so no difference is judged and no interval is shown. Run more (--replicates) before drawing conclusions.".into());
        return out;
    }
    let fs = findings(reference, heads);
    let refname = &names[reference];
    let h0 = &heads[0];
    // 1. The largest difference that matters on the headline.
    let top = fs
        .iter()
        .filter(|f| f.headline == 0 && f.verdict.word.meaningful())
        .max_by(|x, y| {
            x.verdict
                .mean
                .abs()
                .total_cmp(&y.verdict.mean.abs())
                .then(y.a.cmp(&x.a))
        });
    match top {
        Some(f) => {
            let (a, b, v) = if f.verdict.mean >= 0.0 {
                (f.a, f.b, f.verdict)
            } else {
                (f.b, f.a, flip(&f.verdict))
            };
            out.push(format!(
                "The largest difference that matters: at year {}, {}",
                h0.year,
                verdict::sentence(&names[a], &names[b], &h0.measure, &v)
            ));
        }
        None if names.len() > 1 => out.push(format!(
            "At year {}, no difference in {} between strategies is shown to be as large as the smallest difference that matters ({} {}).",
            h0.year,
            h0.measure.label,
            num(h0.smallest, h0.measure.digits.max(1)),
            h0.measure.unit
        )),
        None => {}
    }
    for (k, h) in heads.iter().enumerate() {
        let m = &h.measure;
        let Some((l, r)) = leader_and_runner_up(h) else {
            continue;
        };
        let mut s = format!(
            "{} at year {}: {} ({}).",
            capitalise(m.best),
            h.year,
            names[l],
            level_words(h, l)
        );
        if let Some(v) = find(&fs, k, l, r) {
            s.push_str(&format!(
                " Against the runner-up, {}",
                verdict::sentence(&names[l], &names[r], m, &v)
            ));
        }
        out.push(s);
        let items: Vec<String> = (0..names.len())
            .filter(|&s| s != reference)
            .filter_map(|s| {
                find(&fs, k, s, reference).map(|v| {
                    format!(
                        "{}: {}, {}",
                        names[s],
                        v.word.label(),
                        verdict::evidence(m, &v)
                    )
                })
            })
            .collect();
        if !items.is_empty() {
            out.push(format!(
                "Against {refname} on {}: {}.",
                m.label,
                items.join("; ")
            ));
        }
    }
    // The status quo's drift.
    match (status_quo, drift) {
        (true, Some(d)) => {
            let v = verdict::judge(d, h0.smallest, 0.05);
            let size = match v.word {
                Word::ClearlyAhead => "a rise that matters",
                Word::ClearlyBehind => "a fall that matters",
                Word::Unclear { .. } => "a drift whose size is not yet clear",
                _ => "no drift that matters",
            };
            out.push(format!(
                "Under the status quo itself ({refname}), {} changes from year 0 to year {} by {}: {size}. Every strategy shares this drift; the differences between strategies above are net of it, but a strategy's own change over time is not.",
                h0.measure.label,
                h0.year,
                verdict::evidence_as(
                    &Measure {
                        higher_is_better: true,
                        ..h0.measure
                    },
                    &v,
                    "change",
                    "higher at the end"
                )
            ));
        }
        _ => out.push(format!(
            "This scenario has no status-quo strategy, so the baseline's drift is unknown: how much of a change in {} over time would have happened anyway is not separated from the strategies' effect. Compare strategies with each other, or add a status-quo strategy to measure the drift.",
            h0.measure.label
        )),
    }
    let m = fs.len();
    if m > 1 {
        out.push(format!(
            "These {m} comparisons are judged together: their intervals are widened (Holm's correction) so that, taken together, they mislead at most 5% of the time. \"Clearly\" means the whole interval lies beyond the smallest difference that matters; see “How the words are chosen” below."
        ));
    }
    if replicates < 5 {
        out.push(format!(
            "With only {replicates} runs the intervals are wide: run more (--replicates) before drawing conclusions."
        ));
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
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
