//! The HTML of `report.html`: one file, its style sheet inside, every chart
//! inline as SVG, and nothing fetched from anywhere.

use super::compare::{Sign, Snapshot, sign};
use super::scene::esc;
use super::verdict;
use crate::charts::palette_hex;
use crate::params::{LeverSpec, STRATEGY_LEVERS, Value};
use crate::stats::Summary;

/// The style sheet: large type and strong contrast for projection.
pub const CSS: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #ffffff; color: #111111;
  font-family: "DejaVu Sans", Verdana, Arial, sans-serif; font-size: 21px; line-height: 1.5; }
main { max-width: 1400px; margin: 0 auto; padding: 20px 36px 80px; }
h1 { font-size: 42px; line-height: 1.15; margin: 12px 0 6px; }
h2 { font-size: 32px; margin: 56px 0 14px; padding-bottom: 6px; border-bottom: 4px solid #111111; }
h3 { font-size: 26px; margin: 32px 0 8px; }
p { margin: 10px 0; max-width: 70em; }
.question { font-size: 27px; font-weight: bold; color: #0b3d6b; margin: 8px 0 18px; }
.meta { color: #444444; font-size: 18px; }
nav { font-size: 19px; margin: 10px 0 4px; }
nav a { color: #0b5394; margin-right: 18px; white-space: nowrap; }
.summary { background: #eef3f9; border-left: 10px solid #0b5394; padding: 14px 26px; font-size: 23px; }
.summary li { margin: 10px 0; }
.note { background: #fff6d6; border-left: 8px solid #b38600; padding: 10px 20px; font-size: 19px; }
ul.strategies { list-style: none; padding: 0; }
ul.strategies > li { margin: 18px 0; }
ul.parts { margin: 4px 0 0 0; padding-left: 1.8em; font-size: 19px; color: #222222; }
ul.parts li { margin: 3px 0; }
.swatch { display: inline-block; width: 1.05em; height: 1.05em; border-radius: 3px; margin-right: 0.45em;
  vertical-align: -0.15em; border: 1px solid #333333; }
.name { font-weight: bold; }
figure { margin: 26px 0 34px; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid #d0d0d0; background: #ffffff; }
figcaption { font-size: 19px; color: #222222; margin-top: 8px; max-width: 70em; }
.tablewrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 18px; margin: 12px 0 24px; }
th, td { border: 1px solid #b5b5b5; padding: 6px 10px; vertical-align: top; }
thead th { background: #1f1f1f; color: #ffffff; text-align: left; }
tbody tr:nth-child(even) { background: #f3f3f3; }
td.num { text-align: right; white-space: nowrap; }
td.who { white-space: nowrap; }
.ci { color: #444444; font-size: 16px; }
.diff { display: block; font-size: 16px; color: #333333; }
.better { color: #00582e; font-weight: bold; }
.worse { color: #9b2c00; font-weight: bold; }
td.changed { background: #ffe98a; font-weight: bold; }
table.levers { font-size: 16px; }
table.levers td { padding: 4px 8px; }
td.doc { min-width: 16em; }
table.levers code { font-size: 15px; }
td.off { color: #8a8a8a; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 18px; }
pre { background: #f3f3f3; border: 1px solid #d0d0d0; padding: 12px 16px; white-space: pre-wrap; word-break: break-all; }
dl.kv { display: grid; grid-template-columns: max-content auto; gap: 4px 18px; }
dl.kv dt { font-weight: bold; }
dl.kv dd { margin: 0; }
@media print { body { font-size: 12pt; } h2 { break-before: page; } figure { break-inside: avoid; } }
"#;

/// A coloured square and the strategy's name.
pub fn strategy_label(i: usize, name: &str) -> String {
    format!(
        "<span class=\"swatch\" style=\"background:{}\"></span><span class=\"name\">{}</span>",
        palette_hex(i),
        esc(name)
    )
}

/// An SVG made by plotters, prepared for inline use: no XML namespace
/// (HTML does not need it), scaling with the page, and a label.
pub fn inline_svg(svg: &str, label: &str) -> String {
    let svg = svg.trim();
    let Some(end) = svg.find('>') else {
        return String::new();
    };
    let tag = &svg[..end];
    let rest = &svg[end + 1..];
    let attr = |name: &str| -> Option<String> {
        let pat = format!(" {name}=\"");
        let start = tag.find(&pat)? + pat.len();
        let len = tag[start..].find('"')?;
        Some(tag[start..start + len].to_string())
    };
    let vb = attr("viewBox").unwrap_or_else(|| {
        format!(
            "0 0 {} {}",
            attr("width").unwrap_or_else(|| "1200".into()),
            attr("height").unwrap_or_else(|| "750".into())
        )
    });
    format!(
        "<svg viewBox=\"{vb}\" role=\"img\" aria-label=\"{}\" preserveAspectRatio=\"xMidYMid meet\">{rest}",
        esc(label)
    )
}

fn fmt(v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let s = format!("{v:.digits$}");
    let neg_zero = s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.');
    let s = if neg_zero { s[1..].to_string() } else { s };
    s.replace('-', "−")
}

fn signed(v: f64, digits: usize) -> String {
    let s = fmt(v, digits);
    if s.starts_with('−') || s == "—" || s.chars().all(|c| c == '0' || c == '.') {
        s
    } else {
        format!("+{s}")
    }
}

/// Whether more of an indicator is better (`None`: neither).
pub type Direction = Option<bool>;

/// A table cell: the mean and interval, and the paired difference from the
/// first strategy (except in the first row).
pub fn cell(level: &Summary, diff: Option<&Summary>, digits: usize, dir: Direction) -> String {
    let mut s = format!("<td class=\"num\">{}", fmt(level.mean, digits));
    if level.lo.is_finite() && level.hi.is_finite() {
        s.push_str(&format!(
            " <span class=\"ci\">[{}, {}]</span>",
            fmt(level.lo, digits),
            fmt(level.hi, digits)
        ));
    }
    if let Some(d) = diff
        && d.mean.is_finite()
    {
        let v = sign(d);
        let (class, word) = match (v, dir) {
            (Sign::NotClear, _) => ("", "not clear"),
            (Sign::ClearlyHigher, Some(true)) | (Sign::ClearlyLower, Some(false)) => (
                "better",
                if v == Sign::ClearlyHigher {
                    "▲"
                } else {
                    "▼"
                },
            ),
            (Sign::ClearlyHigher, Some(false)) | (Sign::ClearlyLower, Some(true)) => (
                "worse",
                if v == Sign::ClearlyHigher {
                    "▲"
                } else {
                    "▼"
                },
            ),
            (Sign::ClearlyHigher, None) => ("", "▲"),
            (Sign::ClearlyLower, None) => ("", "▼"),
        };
        let ci = if d.lo.is_finite() {
            format!(" [{}, {}]", fmt(d.lo, digits), fmt(d.hi, digits))
        } else {
            String::new()
        };
        s.push_str(&format!(
            "<span class=\"diff {class}\">Δ {}{ci} {word}</span>",
            signed(d.mean, digits)
        ));
    }
    s.push_str("</td>");
    s
}

/// One column of a comparison table: an indicator at one year.
pub struct Column<'a> {
    pub title: String,
    pub snap: &'a Snapshot,
    pub digits: usize,
    pub dir: Direction,
    /// The smallest difference that matters, where the indicator has one
    /// (its difference is then judged on the verdict scale).
    pub smallest: Option<f64>,
}

/// A cell of a comparison table: the mean, the 95% interval of the mean,
/// the spread of 80% of runs, and (except for the reference) the paired
/// difference from the reference with its verdict.
fn comparison_cell(c: &Column, s: usize, reference: usize) -> String {
    let (lv, d) = (&c.snap.level[s], c.digits);
    let mut h = format!("<td class=\"num\">{}", fmt(lv.mean, d));
    if !lv.mean.is_finite() {
        h.push_str("</td>");
        return h;
    }
    let (avg, runs) = if lv.lo.is_finite() && lv.hi.is_finite() {
        let sp = crate::stats::spread(&c.snap.values[s]);
        (
            format!("{} to {}", fmt(lv.lo, d), fmt(lv.hi, d)),
            sp.map_or("—".into(), |(a, b)| {
                format!("{} to {}", fmt(a, d), fmt(b, d))
            }),
        )
    } else {
        ("—".into(), "—".into())
    };
    h.push_str(&format!(
        "<span class=\"diff ci\">average: {avg}</span><span class=\"diff ci\">80% of runs: {runs}</span>"
    ));
    if s != reference {
        let dsum = &c.snap.diff[s][reference];
        if dsum.mean.is_finite() {
            let sgn = match c.dir {
                Some(false) => -1.0,
                _ => 1.0,
            };
            let adv: Vec<f64> = c.snap.values[s]
                .iter()
                .zip(&c.snap.values[reference])
                .map(|(a, b)| sgn * (a - b))
                .collect();
            let (class, word) = match (c.smallest, c.dir) {
                (Some(m), Some(_)) => {
                    let v = verdict::judge(&adv, m, 0.05);
                    let class = match v.word {
                        verdict::Word::ClearlyAhead => "better",
                        verdict::Word::ClearlyBehind => "worse",
                        _ => "",
                    };
                    let runs = if v.n >= 2 {
                        format!("; better in {} of {} runs", v.ahead, v.n)
                    } else {
                        String::new()
                    };
                    (class, format!("{}{runs}", v.word.label()))
                }
                _ => match sign(dsum) {
                    Sign::NotClear => ("", "interval includes zero".to_string()),
                    Sign::ClearlyHigher => ("", "higher".to_string()),
                    Sign::ClearlyLower => ("", "lower".to_string()),
                },
            };
            let ci = if dsum.lo.is_finite() {
                format!(" [{}, {}]", fmt(dsum.lo, d), fmt(dsum.hi, d))
            } else {
                " [—]".to_string()
            };
            h.push_str(&format!(
                "<span class=\"diff {class}\">difference: {}{ci}; {}</span>",
                signed(dsum.mean, d),
                esc(&word)
            ));
        }
    }
    h.push_str("</td>");
    h
}

/// A table of one or more indicators (columns) at given snapshots, one row
/// per strategy, each cell with its difference from the reference.
pub fn comparison_table(names: &[String], reference: usize, columns: &[Column]) -> String {
    let mut h = String::from("<div class=\"tablewrap\"><table><thead><tr><th>Strategy</th>");
    for c in columns {
        h.push_str(&format!("<th>{}</th>", esc(&c.title)));
    }
    h.push_str("</tr></thead><tbody>");
    for (s, name) in names.iter().enumerate() {
        h.push_str(&format!(
            "<tr><td class=\"who\">{}{}</td>",
            strategy_label(s, name),
            if s == reference {
                " <span class=\"ci\">(reference)</span>"
            } else {
                ""
            }
        ));
        for c in columns {
            h.push_str(&comparison_cell(c, s, reference));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>");
    h
}

/// Per strategy with authorities that run levers of their own: each group's
/// attainment at year 0 and `last`, and its gain, with 95% intervals.
pub fn group_table(
    sc: &crate::scenario::Scenario,
    rows: &[crate::output::GroupRow],
    last: usize,
) -> String {
    let mut h = format!(
        "<div class=\"tablewrap\"><table><thead><tr><th>Strategy</th><th>Authorities</th><th>Attainment, year 0</th><th>Attainment, year {last}</th><th>Gain by year {last}</th></tr></thead><tbody>"
    );
    for r in rows.iter().filter(|r| r.year == last) {
        let start = rows
            .iter()
            .find(|q| q.strategy == r.strategy && q.set == r.set && q.year == 0)
            .map(|q| q.attainment);
        let who = if !r.named {
            esc(&r.name)
        } else {
            format!(
                "{} <span class=\"ci\">({})</span>",
                esc(&r.name),
                esc(&crate::report::describe::authority_list(&r.authorities))
            )
        };
        h.push_str(&format!(
            "<tr><td class=\"who\">{}</td><td>{who}</td>",
            strategy_label(r.strategy, &sc.strategies[r.strategy].name)
        ));
        if let Some(s0) = start {
            h.push_str(&cell(&s0, None, 1, Some(true)));
        } else {
            h.push_str("<td></td>");
        }
        h.push_str(&cell(&r.attainment, None, 1, Some(true)));
        h.push_str(&cell(&r.gain, r.gain_vs_others.as_ref(), 1, Some(true)));
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>");
    h
}

fn show(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every strategy lever of every strategy; values that differ from the
/// defaults highlighted, values of switched-off mechanisms greyed.
/// Each column is `(strategy index, heading, levers)`.
pub fn lever_table(columns: &[(usize, String, &crate::params::Levers)]) -> String {
    let d = crate::params::Levers::default();
    let mut h = String::from(
        "<div class=\"tablewrap\"><table class=\"levers\"><thead><tr><th>Lever</th><th>Default</th>",
    );
    for (s, n, _) in columns {
        h.push_str(&format!("<th>{}</th>", strategy_label(*s, n)));
    }
    h.push_str("<th>Meaning</th></tr></thead><tbody>");
    for spec in STRATEGY_LEVERS {
        let def = d.get(spec.key).map(|v| show(&v)).unwrap_or_default();
        h.push_str(&format!(
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td>",
            spec.key,
            esc(&def)
        ));
        for (_, _, l) in columns {
            let v = l.get(spec.key).map(|v| show(&v)).unwrap_or_default();
            let class = if v != def {
                " changed"
            } else if !l.mechanism_on(spec.mechanism) {
                " off"
            } else {
                ""
            };
            h.push_str(&format!("<td class=\"num{class}\">{}</td>", esc(&v)));
        }
        h.push_str(&format!("<td class=\"doc\">{}</td></tr>", lever_doc(spec)));
    }
    h.push_str("</tbody></table></div>");
    h
}

fn lever_doc(spec: &LeverSpec) -> String {
    let unit = if spec.unit.is_empty() {
        String::new()
    } else {
        format!(" ({})", spec.unit)
    };
    format!(
        "{}{} <span class=\"ci\">Source: {}</span>",
        esc(spec.doc),
        esc(&unit),
        esc(spec.source)
    )
}

/// One section of scenario-level keys: key, value, default.
pub fn section_table(rows: &[(String, String, String, &'static str)]) -> String {
    let mut h = String::from(
        "<div class=\"tablewrap\"><table class=\"levers\"><thead><tr><th>Key</th><th>Value</th><th>Default</th><th>Meaning</th></tr></thead><tbody>",
    );
    for (k, v, d, doc) in rows {
        let class = if v != d { " changed" } else { "" };
        h.push_str(&format!(
            "<tr><td><code>{}</code></td><td class=\"num{class}\">{}</td><td class=\"num\">{}</td><td class=\"doc\">{}</td></tr>",
            esc(k),
            esc(v),
            esc(d),
            esc(doc)
        ));
    }
    h.push_str("</tbody></table></div>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_svg_drops_the_namespace_and_sizes() {
        let s = "<svg width=\"1200\" height=\"750\" viewBox=\"0 0 1200 750\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect/></svg>";
        let i = inline_svg(s, "a & b");
        assert!(
            i.starts_with("<svg viewBox=\"0 0 1200 750\" role=\"img\" aria-label=\"a &amp; b\"")
        );
        assert!(!i.contains("http"));
        assert!(i.ends_with("<rect/></svg>"));
    }

    #[test]
    fn cells_show_intervals_and_verdicts() {
        let lv = Summary {
            n: 10,
            mean: 65.04,
            sd: 1.0,
            lo: 64.0,
            hi: 66.0,
        };
        let d = Summary {
            n: 10,
            mean: -1.5,
            sd: 1.0,
            lo: -2.0,
            hi: -1.0,
        };
        let c = cell(&lv, Some(&d), 1, Some(true));
        assert!(c.contains("65.0"));
        assert!(c.contains("[64.0, 66.0]"));
        assert!(c.contains("Δ −1.5 [−2.0, −1.0] ▼"));
        assert!(c.contains("worse"));
        let c = cell(&lv, Some(&d), 1, Some(false));
        assert!(c.contains("better"));
    }
}
