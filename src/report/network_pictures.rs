//! Network pictures: each school a dot, coloured by its change in
//! attainment since year 0 (replicate 0), on the links its strategy
//! exchanged over; and the same picture year by year as an animation.

use super::layout::{LayoutInput, Placement, place};
use super::replay::Replay;
use super::scene::{Anchor, Rgb, Scene, Shape};
use crate::model::World;

/// Picture size in pixels (PNG; SVG uses the same coordinates).
pub const W: f64 = 1600.0;
pub const H: f64 = 1000.0;
/// Where the schools are drawn.
const PLOT: (f64, f64, f64, f64) = (24.0, 150.0, 1250.0, 985.0);
/// Links drawn at most (a deterministic sample beyond).
pub const EDGE_CAP: usize = 4000;

const TEXT: Rgb = (26, 26, 26);
/// Ties the centre added (brokerage).
const ADDED: Rgb = (25, 55, 125);
const SUBTEXT: Rgb = (77, 77, 77);

/// Diverging colours (brown = fell, grey = unchanged, teal = rose), after
/// ColorBrewer BrBG, which reads for the common colour-vision deficiencies.
const STOPS: [Rgb; 5] = [
    (140, 81, 10),
    (216, 179, 101),
    (236, 236, 236),
    (90, 180, 172),
    (1, 102, 94),
];

/// The colour of a change `v` on a scale from `-range` to `+range`.
pub fn diverging(v: f64, range: f64) -> Rgb {
    let t = if v.is_finite() && range > 0.0 {
        ((v / range).clamp(-1.0, 1.0) + 1.0) / 2.0
    } else {
        0.5
    };
    let pos = t * (STOPS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(STOPS.len() - 2);
    let f = pos - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Classes on each side of "no change" in the pictures' colour scale.
pub const CLASSES: usize = 4;

/// The colour of a change `v` in classes: the scale from `-range` to
/// `+range` in `2 * CLASSES + 1` steps, each a plain colour. Plain classes
/// read better on a projector than a continuous scale, and keep the GIF
/// frames' palettes exact.
pub fn class_colour(v: f64, range: f64) -> Rgb {
    if !(v.is_finite() && range > 0.0) {
        return diverging(0.0, 1.0);
    }
    let c = CLASSES as f64;
    let k = (v / range * c).round().clamp(-c, c);
    diverging(k * range / c, range)
}

/// A round number at least `x`: 1, 2, 2.5, 5 times a power of ten.
pub fn nice_ceiling(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * p >= x - 1e-12 {
            return m * p;
        }
    }
    10.0 * p
}

/// How the links of a strategy relate to the school network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// The strategy does not exchange laterally: links drawn faint.
    Unused,
    /// The school network, plus ties the centre added (from index `base`).
    Network { base: usize },
    /// A structure of its own (beacons): links to the nearest beacon.
    Beacons,
}

/// Everything of a network picture but the schools' colours and the title.
pub struct Drawing {
    /// Shapes under the schools (cells, halos, links), over them
    /// (authority names) and the legend.
    pub under: Vec<Shape>,
    pub over: Vec<Shape>,
    pub legend: Vec<Shape>,
    /// Schools drawn: `(school, centre)`.
    pub dots: Vec<(u32, (f64, f64))>,
    pub radius: f64,
    pub subtitle: Vec<String>,
}

/// What a picture is drawn from.
pub struct PictureInput<'a> {
    pub world: &'a World,
    pub replay: &'a Replay,
    pub links: Links,
    /// Authorities shown (the first `n`; all when `None`).
    pub show_authorities: Option<usize>,
    pub geographic: bool,
    pub clusters_meaningful: bool,
    pub range: f64,
    pub edge_cap: usize,
    /// A placement computed before for the same schools and links.
    pub placement: Option<&'a Placement>,
}

/// The links to draw: `(a, b, trust, added)`.
fn links_of(inp: &PictureInput) -> Vec<(u32, u32, f64, bool)> {
    let w = inp.world;
    let r = inp.replay;
    match inp.links {
        Links::Unused => w
            .network
            .edges
            .iter()
            .map(|&(a, b)| (a, b, f64::NAN, false))
            .collect(),
        Links::Network { base } => {
            let edges = r.edges.as_deref().unwrap_or(&w.network.edges);
            edges
                .iter()
                .enumerate()
                .map(|(e, &(a, b))| (a, b, r.trust.get(e).copied().unwrap_or(0.5), e >= base))
                .collect()
        }
        Links::Beacons => r
            .edges
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .map(|(e, &(a, b))| (a, b, r.trust.get(e).copied().unwrap_or(0.5), false))
            .collect(),
    }
}

/// The schools shown, in order, and each school's position among them.
fn shown(w: &World, show: Option<usize>) -> (Vec<u32>, Vec<Option<usize>>) {
    let keep = |a: u32| show.is_none_or(|k| (a as usize) < k);
    let mut list = Vec::new();
    let mut pos = vec![None; w.n_schools];
    for (i, slot) in pos.iter_mut().enumerate() {
        if keep(w.authority[i]) {
            *slot = Some(list.len());
            list.push(i as u32);
        }
    }
    (list, pos)
}

/// The placement of the schools shown, on the links given.
pub fn placement(
    w: &World,
    links: &[(u32, u32)],
    geographic: bool,
    group_by_cluster: bool,
    show: Option<usize>,
) -> Placement {
    let (list, pos) = shown(w, show);
    let na = show.unwrap_or(w.n_authorities).min(w.n_authorities).max(1);
    let authority: Vec<u32> = list.iter().map(|&i| w.authority[i as usize]).collect();
    let cluster: Vec<u32> = list.iter().map(|&i| w.cluster[i as usize]).collect();
    let x: Vec<f64> = list.iter().map(|&i| w.x[i as usize]).collect();
    let y: Vec<f64> = list.iter().map(|&i| w.y[i as usize]).collect();
    let edges: Vec<(u32, u32)> = links
        .iter()
        .filter_map(|&(a, b)| Some((pos[a as usize]? as u32, pos[b as usize]? as u32)))
        .collect();
    place(&LayoutInput {
        authority: &authority,
        cluster: &cluster,
        x: &x,
        y: &y,
        n_authorities: na,
        edges: &edges,
        geographic,
        group_by_cluster,
        aspect: (PLOT.2 - PLOT.0) / (PLOT.3 - PLOT.1),
    })
}

fn px(p: &Placement, k: usize) -> (f64, f64) {
    (
        PLOT.0 + p.x[k] * (PLOT.2 - PLOT.0),
        PLOT.1 + p.y[k] * (PLOT.3 - PLOT.1),
    )
}

/// Build the static parts of a picture.
pub fn drawing(inp: &PictureInput) -> Drawing {
    let w = inp.world;
    let (list, pos) = shown(w, inp.show_authorities);
    let links = links_of(inp);
    let computed;
    let pl = match inp.placement {
        Some(p) => p,
        None => {
            let plain: Vec<(u32, u32)> = links.iter().map(|&(a, b, _, _)| (a, b)).collect();
            computed = placement(
                w,
                &plain,
                inp.geographic,
                inp.clusters_meaningful && inp.links != Links::Beacons,
                inp.show_authorities,
            );
            &computed
        }
    };
    let n = list.len().max(1);
    // Dot size from the crowding of the fullest authority's cell.
    let na_cells = pl.cells.len().max(1);
    let mut per_cell = vec![0usize; na_cells];
    for &i in &list {
        per_cell[(w.authority[i as usize] as usize).min(na_cells - 1)] += 1;
    }
    let fullest = per_cell.iter().copied().max().unwrap_or(1).max(1);
    let cell_area = (PLOT.2 - PLOT.0) * (PLOT.3 - PLOT.1) / na_cells as f64;
    let radius = (0.25 * (cell_area / fullest as f64).sqrt()).clamp(1.5, 10.0);
    let mut under = Vec::new();
    let mut over = Vec::new();
    let na = inp
        .show_authorities
        .unwrap_or(w.n_authorities)
        .min(w.n_authorities);
    if na > 1 {
        for (a, c) in pl.cells.iter().enumerate() {
            let (x0, y0) = (
                PLOT.0 + c.0 * (PLOT.2 - PLOT.0),
                PLOT.1 + c.1 * (PLOT.3 - PLOT.1),
            );
            let (x1, y1) = (
                PLOT.0 + c.2 * (PLOT.2 - PLOT.0),
                PLOT.1 + c.3 * (PLOT.3 - PLOT.1),
            );
            under.push(Shape::Rect {
                x0: x0 + 2.0,
                y0: y0 + 2.0,
                x1: x1 - 2.0,
                y1: y1 - 2.0,
                fill: None,
                stroke: Some(((205, 205, 205), 1.0)),
            });
            if na <= 40 {
                over.push(Shape::Text {
                    at: (x0 + 8.0, y0 + 14.0),
                    text: format!("authority {}", a + 1),
                    size: if na <= 12 { 18.0 } else { 14.0 },
                    color: SUBTEXT,
                    anchor: Anchor::Start,
                    bold: false,
                });
            }
        }
    }
    // Learning communities as light halos.
    if inp.clusters_meaningful && inp.links != Links::Beacons {
        let mut groups: std::collections::BTreeMap<u32, Vec<(f64, f64)>> = Default::default();
        for (k, &i) in list.iter().enumerate() {
            groups
                .entry(w.cluster[i as usize])
                .or_default()
                .push(px(pl, k));
        }
        for pts in groups.values().filter(|p| p.len() > 1) {
            let cx = pts.iter().map(|p| p.0).sum::<f64>() / pts.len() as f64;
            let cy = pts.iter().map(|p| p.1).sum::<f64>() / pts.len() as f64;
            let r = pts
                .iter()
                .map(|p| ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt())
                .fold(0.0, f64::max)
                + radius
                + 3.0;
            under.push(Shape::Circle {
                c: (cx, cy),
                r,
                fill: (225, 233, 242),
                fill_alpha: 0.7,
                stroke: Some(((180, 195, 212), 1.0)),
                school: None,
            });
        }
    }
    // Links: a deterministic sample when there are too many.
    let in_view: Vec<&(u32, u32, f64, bool)> = links
        .iter()
        .filter(|(a, b, _, _)| pos[*a as usize].is_some() && pos[*b as usize].is_some())
        .collect();
    let plain = in_view.iter().filter(|l| !l.3).count();
    let every = plain.div_ceil(inp.edge_cap.max(1)).max(1);
    let mut drawn = 0usize;
    let mut k = 0usize;
    let mut added = 0usize;
    let mut added_lines = Vec::new();
    for &&(a, b, trust, is_added) in &in_view {
        let (pa, pb) = (
            px(pl, pos[a as usize].unwrap()),
            px(pl, pos[b as usize].unwrap()),
        );
        if is_added {
            added += 1;
            added_lines.push(Shape::Line {
                a: pa,
                b: pb,
                color: ADDED,
                alpha: 0.5,
                width: 1.4,
            });
            continue;
        }
        k += 1;
        if !(k - 1).is_multiple_of(every) {
            continue;
        }
        drawn += 1;
        let (color, alpha) = if trust.is_finite() {
            ((60, 60, 60), 0.12 + 0.6 * trust.clamp(0.0, 1.0))
        } else {
            ((140, 140, 140), 0.3)
        };
        under.push(Shape::Line {
            a: pa,
            b: pb,
            color,
            alpha,
            width: if n > 2000 { 0.8 } else { 1.3 },
        });
    }
    under.extend(added_lines);
    let dots = list
        .iter()
        .enumerate()
        .map(|(k, &i)| (i, px(pl, k)))
        .collect();

    // Subtitle: how to read the picture.
    let mut sub = Vec::new();
    let placed = if pl.geographic {
        "Dots: schools, at their place on the map"
    } else {
        "Dots: schools, placed by a force layout of their links (near = linked, not near on a map)"
    };
    let halos = if inp.clusters_meaningful && inp.links != Links::Beacons {
        "; shaded rings: learning communities"
    } else {
        ""
    };
    sub.push(format!("{placed}{halos}."));
    let mut l = match inp.links {
        Links::Unused => "Faint lines: links this strategy does not use".to_string(),
        Links::Network { .. } => "Lines: links used (darker = more trust)".to_string(),
        Links::Beacons => {
            "Lines: each school's link to its nearest beacon school (darker = more trust)"
                .to_string()
        }
    };
    if every > 1 {
        l.push_str(&format!(
            "; 1 in {every} of {} shown",
            crate::report::describe::thousands(plain)
        ));
    }
    if added > 0 {
        l.push_str(&format!(
            "; dark blue: {} ties the centre added",
            crate::report::describe::thousands(added)
        ));
    }
    if let Some(k) = inp.show_authorities.filter(|&k| k < w.n_authorities) {
        l.push_str(&format!(
            "; showing the first {k} of {} authorities",
            w.n_authorities
        ));
    }
    let _ = drawn;
    sub.push(format!("{l}."));
    Drawing {
        under,
        over,
        legend: legend(inp.range),
        dots,
        radius,
        subtitle: sub,
    }
}

fn legend(range: f64) -> Vec<Shape> {
    let mut v = Vec::new();
    let x0 = 1300.0;
    let (top, bottom) = (230.0, 640.0);
    for (k, t) in ["Change in", "attainment"].iter().enumerate() {
        v.push(Shape::Text {
            at: (x0 - 10.0, 170.0 + 30.0 * k as f64),
            text: t.to_string(),
            size: 24.0,
            color: TEXT,
            anchor: Anchor::Start,
            bold: true,
        });
    }
    // One block per class, from the highest (top) to the lowest.
    let n = 2 * CLASSES + 1;
    let h = (bottom - top) / n as f64;
    let short = |x: f64| super::describe::short(x);
    for b in 0..n {
        let k = CLASSES as i64 - b as i64;
        let val = k as f64 * range / CLASSES as f64;
        let y0 = top + b as f64 * h;
        v.push(Shape::Rect {
            x0,
            y0,
            x1: x0 + 44.0,
            y1: y0 + h,
            fill: Some((diverging(val, range), 1.0)),
            stroke: Some(((90, 90, 90), 1.0)),
        });
        let label = if k == CLASSES as i64 {
            Some(format!("+{} points or more", short(val)))
        } else if k == -(CLASSES as i64) {
            Some(format!("−{} or less", short(-val)))
        } else if k == 0 {
            Some(format!(
                "no change (±{})",
                short(range / CLASSES as f64 / 2.0)
            ))
        } else if k % 2 == 0 {
            Some(if k > 0 {
                format!("+{}", short(val))
            } else {
                format!("−{}", short(-val))
            })
        } else {
            None
        };
        if let Some(label) = label {
            v.push(Shape::Text {
                at: (x0 + 54.0, y0 + h / 2.0),
                text: label,
                size: 21.0,
                color: TEXT,
                anchor: Anchor::Start,
                bold: false,
            });
        }
    }
    for (k, t) in ["percentage points,", "since year 0"].iter().enumerate() {
        v.push(Shape::Text {
            at: (x0 - 10.0, 690.0 + 26.0 * k as f64),
            text: t.to_string(),
            size: 20.0,
            color: SUBTEXT,
            anchor: Anchor::Start,
            bold: false,
        });
    }
    v
}

/// Wrap text into lines of at most `max_chars` characters.
pub fn wrap(text: &str, max_chars: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > max_chars {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// The picture for given school colours and title. `stats` is a line of
/// numbers shown under the legend.
pub fn scene(
    d: &Drawing,
    colours: &[Rgb],
    title: &str,
    stats: &[String],
    year_label: Option<&str>,
) -> Scene {
    let mut shapes = Vec::new();
    shapes.push(Shape::Text {
        at: (24.0, 36.0),
        text: title.to_string(),
        size: 34.0,
        color: TEXT,
        anchor: Anchor::Start,
        bold: true,
    });
    let mut y = 80.0;
    for line in d.subtitle.iter().flat_map(|s| wrap(s, 118)).take(3) {
        shapes.push(Shape::Text {
            at: (24.0, y),
            text: line,
            size: 21.0,
            color: SUBTEXT,
            anchor: Anchor::Start,
            bold: false,
        });
        y += 27.0;
    }
    shapes.extend(d.under.iter().cloned());
    let stroke = (d.radius >= 3.0).then_some(((70, 70, 70), 0.8));
    for &(i, c) in &d.dots {
        shapes.push(Shape::Circle {
            c,
            r: d.radius,
            fill: colours.get(i as usize).copied().unwrap_or((200, 200, 200)),
            fill_alpha: 1.0,
            stroke,
            school: Some(i),
        });
    }
    shapes.extend(d.over.iter().cloned());
    shapes.extend(d.legend.iter().cloned());
    let mut y = 770.0;
    for s in stats {
        for line in wrap(s, 24) {
            shapes.push(Shape::Text {
                at: (1290.0, y),
                text: line,
                size: 21.0,
                color: TEXT,
                anchor: Anchor::Start,
                bold: false,
            });
            y += 27.0;
        }
        y += 8.0;
    }
    if let Some(t) = year_label {
        shapes.push(year_text(t));
    }
    Scene {
        w: W,
        h: H,
        title: title.to_string(),
        shapes,
    }
}

/// The large year label of an animation frame.
pub fn year_text(t: &str) -> Shape {
    Shape::Text {
        at: (1290.0, 880.0),
        text: t.to_string(),
        size: 38.0,
        color: TEXT,
        anchor: Anchor::Start,
        bold: true,
    }
}

/// Each school's change in attainment from year 0 to year `y`.
pub fn gains(r: &Replay, y: usize) -> Vec<f64> {
    let y = y.min(r.attainment.len().saturating_sub(1));
    r.attainment[y]
        .iter()
        .zip(&r.attainment[0])
        .map(|(a, b)| a - b)
        .collect()
}

/// "By year 10: mean change +2.3 points", "71% of schools rose".
pub fn stats_lines(g: &[f64], year: usize) -> Vec<String> {
    if g.is_empty() {
        return Vec::new();
    }
    if year == 0 {
        return vec![
            "Year 0: the start, as burn-in left it".to_string(),
            "(changes are counted from here)".to_string(),
        ];
    }
    let mean = g.iter().sum::<f64>() / g.len() as f64;
    let up = g.iter().filter(|&&v| v > 0.0).count() as f64 / g.len() as f64;
    vec![
        format!(
            "By year {year}: mean change {}{:.1} points",
            if mean >= 0.0 { "+" } else { "−" },
            mean.abs()
        ),
        format!("{:.0}% of schools rose", 100.0 * up),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_run_from_brown_through_grey_to_teal() {
        assert_eq!(diverging(-10.0, 5.0), STOPS[0]);
        assert_eq!(diverging(0.0, 5.0), STOPS[2]);
        assert_eq!(diverging(5.0, 5.0), STOPS[4]);
        assert_eq!(diverging(f64::NAN, 5.0), STOPS[2]);
    }

    #[test]
    fn classes_are_plain_steps_of_the_scale() {
        assert_eq!(class_colour(0.4, 8.0), diverging(0.0, 8.0));
        assert_eq!(class_colour(1.1, 8.0), diverging(2.0, 8.0));
        assert_eq!(class_colour(-30.0, 8.0), STOPS[0]);
        assert_eq!(class_colour(f64::NAN, 8.0), STOPS[2]);
    }

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(3.2), 5.0);
        assert_eq!(nice_ceiling(0.7), 1.0);
        assert_eq!(nice_ceiling(11.0), 20.0);
        assert_eq!(nice_ceiling(2.2), 2.5);
        assert_eq!(nice_ceiling(0.0), 1.0);
    }

    #[test]
    fn wrapping_keeps_every_word() {
        let t = "one two three four five six seven";
        let lines = wrap(t, 10);
        assert!(lines.iter().all(|l| l.chars().count() <= 10));
        assert_eq!(lines.join(" "), t);
    }
}
