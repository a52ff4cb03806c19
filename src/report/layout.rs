//! Where each school is drawn on a network picture.
//!
//! When positions mean something (a geographic network, or a schools file
//! with coordinates) each authority's unit square is drawn as it is.
//! Otherwise the schools are placed by a force-directed layout
//! (Fruchterman & Reingold 1991, with their grid cut-off for repulsion and
//! a weak pull to the centre so unlinked groups stay together). It is
//! deterministic: it starts from each school's learning community (placed
//! on a sunflower spiral) plus the school's generated position, and runs a
//! fixed number of iterations in a fixed order, with no random draws.
//! Several authorities are laid out side by side, one cell each.

/// A placement in picture coordinates: every school inside `[0,1]^2` of
/// the whole picture, authorities in their own cells.
#[derive(Clone, Debug)]
pub struct Placement {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Cells of the authorities: `(x0, y0, x1, y1)` in the same coordinates.
    pub cells: Vec<(f64, f64, f64, f64)>,
    /// True when positions come from the map, false for a force layout.
    pub geographic: bool,
}

/// Columns and rows of a grid holding `n` cells on a canvas of this
/// width-to-height ratio.
pub fn grid(n: usize, aspect: f64) -> (usize, usize) {
    if n <= 1 {
        return (1, 1);
    }
    let cols = ((n as f64 * aspect).sqrt().ceil() as usize).clamp(1, n);
    let rows = n.div_ceil(cols);
    // Drop columns that a smaller grid does not need.
    let cols = n.div_ceil(rows);
    (cols, rows)
}

/// Positions on a sunflower spiral: `n` points spread evenly over an
/// ellipse around (0.5, 0.5), `aspect` times as wide as high.
fn sunflower(n: usize, aspect: f64) -> Vec<(f64, f64)> {
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    let (sx, sy) = (aspect.sqrt(), 1.0 / aspect.sqrt());
    (0..n)
        .map(|i| {
            let r = 0.5 * ((i as f64 + 0.5) / n.max(1) as f64).sqrt();
            let a = i as f64 * golden;
            (0.5 + sx * r * a.cos(), 0.5 + sy * r * a.sin())
        })
        .collect()
}

/// Fruchterman–Reingold on `pos` (unit square), edges by local index
/// with a weight each (attraction is multiplied by it). The pull to the
/// centre is elliptical, so the layout fills a frame `aspect` times as
/// wide as high once it is stretched to one.
pub fn force_layout(
    pos: &mut [(f64, f64)],
    edges: &[(usize, usize, f64)],
    iterations: usize,
    aspect: f64,
) {
    let n = pos.len();
    if n < 2 {
        if n == 1 {
            pos[0] = (0.5, 0.5);
        }
        return;
    }
    let k = (1.0 / n as f64).sqrt() * 0.9;
    let cut = 2.0 * k;
    let gravity = 0.08;
    let mut disp = vec![(0.0f64, 0.0f64); n];
    let mut cells: std::collections::HashMap<(i64, i64), Vec<usize>> =
        std::collections::HashMap::new();
    let t0 = 0.1;
    for it in 0..iterations {
        let t = t0 * (1.0 - it as f64 / iterations as f64) + 1e-4;
        disp.iter_mut().for_each(|d| *d = (0.0, 0.0));
        cells.clear();
        for (i, p) in pos.iter().enumerate() {
            let key = ((p.0 / cut).floor() as i64, (p.1 / cut).floor() as i64);
            cells.entry(key).or_default().push(i);
        }
        for i in 0..n {
            let (cx, cy) = (
                (pos[i].0 / cut).floor() as i64,
                (pos[i].1 / cut).floor() as i64,
            );
            for dx in -1..=1 {
                for dy in -1..=1 {
                    let Some(list) = cells.get(&(cx + dx, cy + dy)) else {
                        continue;
                    };
                    for &j in list {
                        if j <= i {
                            continue;
                        }
                        let mut ddx = pos[i].0 - pos[j].0;
                        let mut ddy = pos[i].1 - pos[j].1;
                        let mut d2 = ddx * ddx + ddy * ddy;
                        if d2 < 1e-18 {
                            // Coincident: push apart in a fixed direction.
                            let a = (i * 7919 + j * 104_729) as f64;
                            ddx = a.cos() * 1e-6;
                            ddy = a.sin() * 1e-6;
                            d2 = 1e-12;
                        }
                        let d = d2.sqrt();
                        if d >= cut {
                            continue;
                        }
                        let f = k * k / d * (1.0 - d / cut);
                        let (fx, fy) = (ddx / d * f, ddy / d * f);
                        disp[i].0 += fx;
                        disp[i].1 += fy;
                        disp[j].0 -= fx;
                        disp[j].1 -= fy;
                    }
                }
            }
        }
        for &(a, b, wt) in edges {
            let ddx = pos[a].0 - pos[b].0;
            let ddy = pos[a].1 - pos[b].1;
            let d = (ddx * ddx + ddy * ddy).sqrt();
            if d < 1e-12 {
                continue;
            }
            let f = wt * d * d / k;
            let (fx, fy) = (ddx / d * f, ddy / d * f);
            disp[a].0 -= fx;
            disp[a].1 -= fy;
            disp[b].0 += fx;
            disp[b].1 += fy;
        }
        for i in 0..n {
            disp[i].0 += gravity * (0.5 - pos[i].0) / (aspect * aspect).max(1e-3);
            disp[i].1 += gravity * (0.5 - pos[i].1);
            let len = (disp[i].0 * disp[i].0 + disp[i].1 * disp[i].1).sqrt();
            if len > 1e-12 {
                let step = len.min(t);
                pos[i].0 += disp[i].0 / len * step;
                pos[i].1 += disp[i].1 / len * step;
            }
        }
    }
}

/// A layout in two levels for schools in learning communities: the
/// communities are laid out as a graph of their own (linked when any of
/// their schools are), then each community's schools inside a disc around
/// its point, sized by its membership. Communities never mix, whatever the
/// number of schools.
pub fn grouped_layout(
    pos: &mut [(f64, f64)],
    cluster: &[u32],
    edges: &[(usize, usize, f64)],
    aspect: f64,
) {
    let n = pos.len();
    let mut ids: Vec<u32> = cluster.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let nc = ids.len();
    let of: Vec<usize> = cluster
        .iter()
        .map(|c| ids.binary_search(c).unwrap_or(0))
        .collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); nc];
    for (i, &c) in of.iter().enumerate() {
        members[c].push(i);
    }
    // The graph of communities.
    let mut between: std::collections::BTreeMap<(usize, usize), f64> = Default::default();
    let mut inside: Vec<Vec<(usize, usize, f64)>> = vec![Vec::new(); nc];
    let mut local = vec![0usize; n];
    for m in &members {
        for (k, &i) in m.iter().enumerate() {
            local[i] = k;
        }
    }
    for &(a, b, _) in edges {
        let (ca, cb) = (of[a], of[b]);
        if ca == cb {
            inside[ca].push((local[a], local[b], 1.0));
        } else {
            *between.entry((ca.min(cb), ca.max(cb))).or_insert(0.0) += 1.0;
        }
    }
    let cedges: Vec<(usize, usize, f64)> = between
        .into_iter()
        .map(|((a, b), k)| (a, b, (0.3 * k).min(1.0)))
        .collect();
    let mut cpos = sunflower(nc, aspect);
    if nc > 1 {
        force_layout(&mut cpos, &cedges, 300, aspect);
    }
    // Disc radii: a share of the typical distance to the nearest community.
    let mut nn: Vec<f64> = (0..nc)
        .map(|c| {
            (0..nc)
                .filter(|&d| d != c)
                .map(|d| ((cpos[c].0 - cpos[d].0).powi(2) + (cpos[c].1 - cpos[d].1).powi(2)).sqrt())
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    nn.sort_by(|a, b| a.total_cmp(b));
    let typical = if nc > 1 { nn[nc / 2] } else { 1.0 };
    let m_max = members.iter().map(Vec::len).max().unwrap_or(1).max(1) as f64;
    for (c, m) in members.iter().enumerate() {
        let k = m.len();
        // Start on a circle, then let the community's own links arrange it.
        let mut lp: Vec<(f64, f64)> = (0..k)
            .map(|j| {
                let t = std::f64::consts::TAU * j as f64 / k.max(1) as f64;
                (0.5 + 0.4 * t.cos(), 0.5 + 0.4 * t.sin())
            })
            .collect();
        if k > 2 {
            force_layout(&mut lp, &inside[c], 150, 1.0);
        }
        let cx = lp.iter().map(|p| p.0).sum::<f64>() / k.max(1) as f64;
        let cy = lp.iter().map(|p| p.1).sum::<f64>() / k.max(1) as f64;
        let rmax = lp
            .iter()
            .map(|p| ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt())
            .fold(0.0, f64::max)
            .max(1e-9);
        let r = if nc > 1 {
            0.35 * typical * (k as f64 / m_max).sqrt()
        } else {
            0.5
        };
        for (j, &i) in m.iter().enumerate() {
            let (dx, dy) = ((lp[j].0 - cx) / rmax, (lp[j].1 - cy) / rmax);
            pos[i] = (cpos[c].0 + r * dx, cpos[c].1 + r * dy);
        }
    }
}

/// What a placement is computed from.
pub struct LayoutInput<'a> {
    pub authority: &'a [u32],
    pub cluster: &'a [u32],
    /// The generated (or given) positions, unit square per authority.
    pub x: &'a [f64],
    pub y: &'a [f64],
    pub n_authorities: usize,
    /// Links drawn (and used by the force layout).
    pub edges: &'a [(u32, u32)],
    /// Use `x, y` as they are.
    pub geographic: bool,
    /// Learning communities are real groups: keep their schools together.
    pub group_by_cluster: bool,
    /// Width-to-height ratio of the area the schools are drawn in.
    pub aspect: f64,
}

/// Place every school (see the module docs).
pub fn place(inp: &LayoutInput) -> Placement {
    let n = inp.authority.len();
    let na = inp.n_authorities.max(1);
    let (cols, rows) = grid(na, inp.aspect);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); na];
    for (i, &a) in inp.authority.iter().enumerate() {
        members[(a as usize).min(na - 1)].push(i);
    }
    let mut local = vec![0usize; n];
    for m in &members {
        for (li, &i) in m.iter().enumerate() {
            local[i] = li;
        }
    }
    // Links inside a learning community pull harder than links between
    // communities, so the communities show as groups.
    let mut local_edges: Vec<Vec<(usize, usize, f64)>> = vec![Vec::new(); na];
    for &(a, b) in inp.edges {
        let (a, b) = (a as usize, b as usize);
        if a < n && b < n && inp.authority[a] == inp.authority[b] {
            let wt = if !inp.group_by_cluster {
                1.0
            } else if inp.cluster[a] == inp.cluster[b] {
                3.0
            } else {
                0.15
            };
            local_edges[inp.authority[a] as usize].push((local[a], local[b], wt));
        }
    }
    let mut x = vec![0.5; n];
    let mut y = vec![0.5; n];
    let mut cells = Vec::with_capacity(na);
    // Cell size in picture units; cells are square in pixels.
    let (cw, ch) = (1.0 / cols as f64, 1.0 / rows as f64);
    let cell_aspect = inp.aspect * rows as f64 / cols as f64;
    for (a, m) in members.iter().enumerate() {
        let (c, r) = (a % cols, a / cols);
        let cell = (
            c as f64 * cw,
            r as f64 * ch,
            (c + 1) as f64 * cw,
            (r + 1) as f64 * ch,
        );
        cells.push(cell);
        if m.is_empty() {
            continue;
        }
        let mut pos: Vec<(f64, f64)> = if inp.geographic {
            m.iter().map(|&i| (inp.x[i], 1.0 - inp.y[i])).collect()
        } else {
            // Start from the learning communities on a spiral, each school
            // near its community's point.
            let mut ids: Vec<u32> = m.iter().map(|&i| inp.cluster[i]).collect();
            ids.sort_unstable();
            ids.dedup();
            let spots = sunflower(ids.len(), cell_aspect);
            let spread = 0.6 / (ids.len() as f64).sqrt().max(1.0);
            m.iter()
                .map(|&i| {
                    let c = ids.binary_search(&inp.cluster[i]).unwrap_or(0);
                    (
                        spots[c].0 + spread * (inp.x[i] - 0.5),
                        spots[c].1 + spread * (inp.y[i] - 0.5),
                    )
                })
                .collect()
        };
        if inp.geographic {
        } else if inp.group_by_cluster {
            let cl: Vec<u32> = m.iter().map(|&i| inp.cluster[i]).collect();
            grouped_layout(&mut pos, &cl, &local_edges[a], cell_aspect);
        } else {
            let iters = if m.len() > 3000 { 120 } else { 250 };
            force_layout(&mut pos, &local_edges[a], iters, cell_aspect);
        }
        fit(&mut pos, inp.geographic, cell_aspect);
        let pad = 0.06;
        for (li, &i) in m.iter().enumerate() {
            x[i] = cell.0 + cw * (pad + (1.0 - 2.0 * pad) * pos[li].0);
            y[i] = cell.1 + ch * (pad + (1.0 - 2.0 * pad) * pos[li].1);
        }
    }
    Placement {
        x,
        y,
        cells,
        geographic: inp.geographic,
    }
}

/// Scale positions into `[0,1]^2`, keeping proportions in pixels for a
/// cell of the given width-to-height ratio (a map keeps its unit square).
fn fit(pos: &mut [(f64, f64)], geographic: bool, cell_aspect: f64) {
    let (mut x0, mut y0, mut x1, mut y1) = if geographic {
        (0.0, 0.0, 1.0, 1.0)
    } else {
        (f64::MAX, f64::MAX, f64::MIN, f64::MIN)
    };
    if !geographic {
        for p in pos.iter() {
            x0 = x0.min(p.0);
            y0 = y0.min(p.1);
            x1 = x1.max(p.0);
            y1 = y1.max(p.1);
        }
    }
    let (w, h) = ((x1 - x0).max(1e-9), (y1 - y0).max(1e-9));
    // In pixel terms the cell is `cell_aspect` wide per unit of height.
    let sx = 1.0 / w;
    let sy = 1.0 / h;
    // Equal pixel scales (ux * cell width = uy * cell height) for a map; a
    // force layout may stretch up to 1.5 times along one axis to fill the
    // cell, since its distances carry no meaning beyond who is linked.
    let s = sx.min(sy / cell_aspect);
    let (mut ux, mut uy) = (s, s * cell_aspect);
    if !geographic {
        ux = (ux * 1.5).min(sx);
        uy = (uy * 1.5).min(sy);
    }
    let (ox, oy) = ((1.0 - w * ux) / 2.0, (1.0 - h * uy) / 2.0);
    for p in pos.iter_mut() {
        p.0 = ox + (p.0 - x0) * ux;
        p.1 = oy + (p.1 - y0) * uy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_hold_every_cell() {
        for n in 1..200 {
            let (c, r) = grid(n, 1.6);
            assert!(c * r >= n, "{n}: {c}x{r}");
            assert!(c * (r - 1) < n, "{n}: {c}x{r} has an empty row");
        }
        assert_eq!(grid(19, 1.6), (5, 4));
    }

    #[test]
    fn linked_schools_end_closer_than_unlinked_ones() {
        // Two triangles, unlinked to each other.
        let mut pos: Vec<(f64, f64)> = (0..6)
            .map(|i| (0.2 + 0.1 * i as f64, 0.3 + 0.05 * (i % 2) as f64))
            .collect();
        let edges = [
            (0, 2, 1.0),
            (2, 4, 1.0),
            (0, 4, 1.0),
            (1, 3, 1.0),
            (3, 5, 1.0),
            (1, 5, 1.0),
        ];
        force_layout(&mut pos, &edges, 300, 1.0);
        let d = |a: usize, b: usize| {
            ((pos[a].0 - pos[b].0).powi(2) + (pos[a].1 - pos[b].1).powi(2)).sqrt()
        };
        let within = (d(0, 2) + d(2, 4) + d(1, 3)) / 3.0;
        let between = (d(0, 1) + d(2, 3) + d(4, 5)) / 3.0;
        assert!(within < between, "within {within} between {between}");
    }

    #[test]
    fn placement_is_deterministic_and_inside_the_picture() {
        let authority: Vec<u32> = (0..40).map(|i| (i / 20) as u32).collect();
        let cluster: Vec<u32> = (0..40).map(|i| (i / 5) as u32).collect();
        let x: Vec<f64> = (0..40).map(|i| ((i * 37) % 40) as f64 / 40.0).collect();
        let y: Vec<f64> = (0..40).map(|i| ((i * 11) % 40) as f64 / 40.0).collect();
        let edges: Vec<(u32, u32)> = (0..40u32)
            .filter(|i| i % 5 != 4)
            .map(|i| (i, i + 1))
            .collect();
        let inp = LayoutInput {
            authority: &authority,
            cluster: &cluster,
            x: &x,
            y: &y,
            n_authorities: 2,
            edges: &edges,
            geographic: false,
            group_by_cluster: true,
            aspect: 1.5,
        };
        let a = place(&inp);
        let b = place(&inp);
        assert_eq!(a.x, b.x);
        assert_eq!(a.y, b.y);
        assert!(a.x.iter().chain(&a.y).all(|v| (0.0..=1.0).contains(v)));
        // The two authorities sit side by side.
        assert!(a.x[..20].iter().all(|&v| v <= 0.5));
        assert!(a.x[20..].iter().all(|&v| v >= 0.5));
    }
}
