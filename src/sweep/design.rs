//! Sampling designs in the unit hypercube: full grids, random samples,
//! Latin hypercubes, Saltelli's scheme on a Sobol sequence, and Morris
//! trajectories. Pure computation: a design maps a seed and sizes to points
//! `u` in `[0, 1]^d`; the sweep file's levers then map each coordinate to a
//! lever value (see [`super::spec::Lever::at`]).
//!
//! Every random draw comes from a keyed stream ([`crate::rng::stream`] with
//! [`Purpose::Sweep`]), so a design depends only on its seed and sizes.
//!
//! The Sobol sequence uses the direction numbers of Joe and Kuo
//! (`new-joe-kuo-6.21201`, S. Joe and F. Y. Kuo, "Constructing Sobol
//! sequences with better two-dimensional projections", SIAM J. Sci. Comput.
//! 30, 2008) for its first [`SOBOL_MAX_DIMS`] dimensions, in Gray-code
//! order (the order of Bratley and Fox, SciPy and SALib), randomised by a
//! digital shift (an XOR of every coordinate with a random 32-bit word per
//! dimension) keyed by the sweep seed. A digital shift keeps the net
//! structure of the sequence, makes every point uniformly distributed (so
//! estimators are unbiased) and keeps points off the cube's faces.

use crate::rng::{Purpose, StreamRng, stream};
use rand::RngExt;

/// Keys of the design's random streams (the stream's entity).
mod key {
    pub const RANDOM: u64 = 1;
    pub const LHS: u64 = 2;
    pub const MORRIS: u64 = 3;
    pub const SOBOL_SHIFT: u64 = 4;
}

fn rng(seed: u64, what: u64, k: u64) -> StreamRng {
    stream(seed, 0, what, Purpose::Sweep, k)
}

/// Primitive polynomials (degree `s`, inner coefficients `a`) and initial
/// direction numbers `m_1..m_s` of Sobol dimensions 2, 3, ... (dimension 1
/// is the van der Corput sequence), from Joe and Kuo's `new-joe-kuo-6.21201`.
const JOE_KUO: &[(u32, u32, &[u32])] = &[
    (1, 0, &[1]),
    (2, 1, &[1, 3]),
    (3, 1, &[1, 3, 1]),
    (3, 2, &[1, 1, 1]),
    (4, 1, &[1, 1, 3, 3]),
    (4, 4, &[1, 3, 5, 13]),
    (5, 2, &[1, 1, 5, 5, 17]),
    (5, 4, &[1, 1, 5, 5, 5]),
    (5, 7, &[1, 1, 7, 11, 19]),
    (5, 11, &[1, 1, 5, 1, 1]),
    (5, 13, &[1, 1, 1, 3, 11]),
    (5, 14, &[1, 3, 5, 5, 31]),
    (6, 1, &[1, 3, 3, 9, 7, 49]),
    (6, 13, &[1, 1, 1, 15, 21, 21]),
    (6, 16, &[1, 3, 1, 13, 27, 49]),
    (6, 19, &[1, 1, 1, 15, 7, 5]),
    (6, 22, &[1, 3, 1, 15, 13, 25]),
    (6, 25, &[1, 1, 5, 5, 19, 61]),
    (7, 1, &[1, 3, 7, 11, 23, 15, 103]),
    (7, 4, &[1, 3, 7, 13, 13, 15, 69]),
    (7, 7, &[1, 1, 3, 13, 7, 35, 63]),
    (7, 8, &[1, 3, 5, 9, 1, 25, 53]),
    (7, 14, &[1, 3, 1, 13, 9, 35, 107]),
    (7, 19, &[1, 3, 1, 5, 27, 61, 31]),
    (7, 21, &[1, 1, 5, 11, 19, 41, 61]),
    (7, 28, &[1, 3, 5, 3, 3, 13, 69]),
    (7, 31, &[1, 1, 7, 13, 1, 19, 1]),
    (7, 32, &[1, 3, 7, 5, 13, 19, 59]),
    (7, 37, &[1, 1, 3, 9, 25, 29, 41]),
    (7, 41, &[1, 3, 5, 13, 23, 1, 55]),
    (7, 42, &[1, 3, 7, 3, 13, 59, 17]),
    (7, 50, &[1, 3, 1, 3, 5, 53, 69]),
    (7, 55, &[1, 1, 5, 5, 23, 33, 13]),
    (7, 56, &[1, 1, 7, 7, 1, 61, 123]),
    (7, 59, &[1, 1, 7, 9, 13, 61, 49]),
    (7, 62, &[1, 3, 3, 5, 3, 55, 33]),
    (8, 14, &[1, 3, 1, 15, 31, 13, 49, 245]),
    (8, 21, &[1, 3, 5, 15, 31, 59, 63, 97]),
    (8, 22, &[1, 3, 1, 11, 11, 11, 77, 249]),
    (8, 38, &[1, 3, 1, 11, 27, 43, 71, 9]),
    (8, 47, &[1, 1, 7, 15, 21, 11, 81, 45]),
    (8, 49, &[1, 3, 7, 3, 25, 31, 65, 79]),
    (8, 50, &[1, 3, 1, 1, 19, 11, 3, 205]),
    (8, 52, &[1, 1, 5, 9, 19, 21, 29, 157]),
    (8, 56, &[1, 3, 7, 11, 1, 33, 89, 185]),
    (8, 67, &[1, 3, 3, 3, 15, 9, 79, 71]),
    (8, 70, &[1, 3, 7, 11, 15, 39, 119, 27]),
    (8, 84, &[1, 1, 3, 1, 11, 31, 97, 225]),
    (8, 97, &[1, 1, 1, 3, 23, 43, 57, 177]),
    (8, 103, &[1, 3, 7, 7, 17, 17, 37, 71]),
    (8, 115, &[1, 3, 1, 5, 27, 63, 123, 213]),
    (8, 122, &[1, 1, 3, 5, 11, 43, 53, 133]),
    (9, 8, &[1, 3, 5, 5, 29, 17, 47, 173, 479]),
    (9, 13, &[1, 3, 3, 11, 3, 1, 109, 9, 69]),
    (9, 16, &[1, 1, 1, 5, 17, 39, 23, 5, 343]),
    (9, 22, &[1, 3, 1, 5, 25, 15, 31, 103, 499]),
    (9, 25, &[1, 1, 1, 11, 11, 17, 63, 105, 183]),
    (9, 44, &[1, 1, 5, 11, 9, 29, 97, 231, 363]),
    (9, 47, &[1, 1, 5, 15, 19, 45, 41, 7, 383]),
    (9, 52, &[1, 3, 7, 7, 31, 19, 83, 137, 221]),
    (9, 55, &[1, 1, 1, 3, 23, 15, 111, 223, 83]),
    (9, 59, &[1, 1, 5, 13, 31, 15, 55, 25, 161]),
    (9, 62, &[1, 1, 3, 13, 25, 47, 39, 87, 257]),
];

/// Dimensions of the Sobol sequence available (so a Saltelli design takes
/// at most half as many levers).
pub const SOBOL_MAX_DIMS: usize = JOE_KUO.len() + 1;

/// Bits per coordinate.
const BITS: usize = 32;

/// The primitive polynomial data of dimension `dim` (0-based; `None` for
/// dimension 0, the van der Corput sequence).
pub fn joe_kuo(dim: usize) -> Option<(u32, u32, &'static [u32])> {
    dim.checked_sub(1).and_then(|i| JOE_KUO.get(i)).copied()
}

/// The 32 direction numbers `v_1..v_32` (as 32-bit binary fractions) of
/// Sobol dimension `dim` (0-based).
pub fn direction_numbers(dim: usize) -> [u32; BITS] {
    let mut v = [0u32; BITS];
    let Some((s, a, m)) = joe_kuo(dim) else {
        for (k, vk) in v.iter_mut().enumerate() {
            *vk = 1u32 << (BITS - 1 - k);
        }
        return v;
    };
    let s = s as usize;
    for k in 0..s.min(BITS) {
        v[k] = m[k] << (BITS - 1 - k);
    }
    for k in s..BITS {
        let mut x = v[k - s] ^ (v[k - s] >> s);
        for j in 1..s {
            if (a >> (s - 1 - j)) & 1 == 1 {
                x ^= v[k - j];
            }
        }
        v[k] = x;
    }
    v
}

/// The first `n` points of the `dims`-dimensional Sobol sequence as 32-bit
/// integers (divide by 2^32 for the unit interval), in Gray-code order;
/// point 0 is the origin.
///
/// # Panics
/// If `dims > SOBOL_MAX_DIMS` or `n > 2^32`.
pub fn sobol_raw(n: usize, dims: usize) -> Vec<Vec<u32>> {
    assert!(
        dims <= SOBOL_MAX_DIMS,
        "at most {SOBOL_MAX_DIMS} dimensions"
    );
    assert!(n as u64 <= 1u64 << 32, "at most 2^32 points");
    let dirs: Vec<[u32; BITS]> = (0..dims).map(direction_numbers).collect();
    let mut x = vec![0u32; dims];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        if i > 0 {
            // Gray code: point i differs from point i-1 by the direction
            // number of the lowest zero bit of i-1.
            let c = (!(i - 1)).trailing_zeros() as usize;
            for (xd, v) in x.iter_mut().zip(&dirs) {
                *xd ^= v[c];
            }
        }
        out.push(x.clone());
    }
    out
}

/// The first `n` points of the `dims`-dimensional Sobol sequence in
/// `(0, 1)`, digitally shifted by words drawn from `seed` (no shift when
/// `seed` is `None`: then point 0 is the origin and coordinates are the
/// plain binary fractions).
pub fn sobol(n: usize, dims: usize, seed: Option<u64>) -> Vec<Vec<f64>> {
    let shift: Vec<u32> = match seed {
        Some(s) => {
            let mut r = rng(s, key::SOBOL_SHIFT, 0);
            (0..dims).map(|_| r.random::<u32>()).collect()
        }
        None => vec![0; dims],
    };
    let scale = 1.0 / (1u64 << 32) as f64;
    sobol_raw(n, dims)
        .into_iter()
        .map(|p| {
            p.iter()
                .zip(&shift)
                .map(|(&x, &s)| match seed {
                    // The centre of the point's cell keeps u off 0 and 1.
                    Some(_) => ((x ^ s) as f64 + 0.5) * scale,
                    None => x as f64 * scale,
                })
                .collect()
        })
        .collect()
}

/// Saltelli's scheme for first-order and total Sobol indices (Saltelli et
/// al. 2010, as SALib's `sobol.sample` with `calc_second_order = False`):
/// from `n` base points of a `2d`-dimensional Sobol sequence, split into
/// matrices A (first `d` columns) and B (last `d`), the plan lists, for each
/// base point `j`, the row A_j, then AB_j^i (A_j with column `i` taken from
/// B_j) for `i = 1..d`, then B_j: `n (d + 2)` points.
pub fn saltelli(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let base = sobol(n, 2 * d, Some(seed));
    let mut out = Vec::with_capacity(n * (d + 2));
    for row in &base {
        let (a, b) = row.split_at(d);
        out.push(a.to_vec());
        for i in 0..d {
            let mut ab = a.to_vec();
            ab[i] = b[i];
            out.push(ab);
        }
        out.push(b.to_vec());
    }
    out
}

/// `n` independent uniform points in `[0, 1)^d`.
pub fn random(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    (0..n)
        .map(|j| {
            let mut r = rng(seed, key::RANDOM, j as u64);
            (0..d).map(|_| r.random::<f64>()).collect()
        })
        .collect()
}

/// A Latin hypercube of `n` points in `[0, 1)^d`: in every dimension, each
/// of the `n` strata `[k/n, (k+1)/n)` holds exactly one point, placed
/// uniformly inside it; the strata are paired across dimensions by
/// independent random permutations (McKay, Beckman and Conover 1979).
pub fn lhs(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut out = vec![vec![0.0; d]; n];
    for k in 0..d {
        let mut r = rng(seed, key::LHS, k as u64);
        let mut perm: Vec<usize> = (0..n).collect();
        // Fisher-Yates.
        for i in (1..n).rev() {
            let j = r.random_range(0..=i);
            perm.swap(i, j);
        }
        for (j, row) in out.iter_mut().enumerate() {
            row[k] = (perm[j] as f64 + r.random::<f64>()) / n as f64;
        }
    }
    out
}

/// The step of a Morris design with `levels` levels: `p / (2 (p - 1))`.
pub fn morris_delta(levels: u32) -> f64 {
    levels as f64 / (2.0 * (levels as f64 - 1.0))
}

/// `r` Morris trajectories (Morris 1991; Campolongo et al. 2007) on a grid
/// of `levels` (even, >= 2) levels per dimension: each trajectory is `d + 1`
/// points; consecutive points differ in exactly one coordinate, by
/// `+-delta` ([`morris_delta`]), and every coordinate changes once, in a
/// random order and direction, from a random base point. `r (d + 1)` points.
pub fn morris(r: usize, d: usize, levels: u32, seed: u64) -> Vec<Vec<f64>> {
    let p = levels as f64;
    let delta = morris_delta(levels);
    // Base levels k / (p - 1) with k / (p - 1) + delta <= 1.
    let base_levels = (levels / 2).max(1);
    let mut out = Vec::with_capacity(r * (d + 1));
    for t in 0..r {
        let mut g = rng(seed, key::MORRIS, t as u64);
        let mut x: Vec<f64> = (0..d)
            .map(|_| g.random_range(0..base_levels) as f64 / (p - 1.0))
            .collect();
        let up: Vec<bool> = (0..d).map(|_| g.random::<bool>()).collect();
        // Coordinates that will go down start one step up.
        for (xi, &u) in x.iter_mut().zip(&up) {
            if !u {
                *xi += delta;
            }
        }
        let mut order: Vec<usize> = (0..d).collect();
        for i in (1..d).rev() {
            let j = g.random_range(0..=i);
            order.swap(i, j);
        }
        out.push(x.clone());
        for &i in &order {
            x[i] += if up[i] { delta } else { -delta };
            // Undo rounding drift: coordinates are multiples of 1 / (p - 1).
            x[i] = (x[i] * (p - 1.0)).round() / (p - 1.0);
            out.push(x.clone());
        }
    }
    out
}

/// The standard normal cumulative distribution function, through the
/// complementary error function below (absolute error below 1e-7).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' Chebyshev fit
/// `erfcc`, refined: fractional error below 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let ans = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { ans } else { 2.0 - ans }
}

/// The standard normal quantile function (P. J. Acklam's rational
/// approximation, relative error below 1.2e-9).
pub fn normal_ppf(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
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
    let lo = 0.024_25;
    if p < lo {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - lo {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Is `x^s + a_1 x^(s-1) + ... + a_(s-1) x + 1` primitive over GF(2)?
    fn primitive(s: u32, a: u32) -> bool {
        let poly: u64 = (1 << s) | ((a as u64) << 1) | 1;
        let order = (1u64 << s) - 1;
        // The order of x modulo poly must be 2^s - 1.
        let mut x = 1u64;
        for k in 1..=order {
            x <<= 1;
            if x >> s & 1 == 1 {
                x ^= poly;
            }
            if x == 1 {
                return k == order;
            }
        }
        false
    }

    #[test]
    fn joe_kuo_rows_are_primitive_polynomials_with_valid_direction_numbers() {
        let mut seen = std::collections::HashSet::new();
        for (i, (s, a, m)) in JOE_KUO.iter().enumerate() {
            assert_eq!(m.len(), *s as usize, "row {i}");
            assert!(*a < 1 << (s - 1), "row {i}");
            assert!(primitive(*s, *a), "row {i}: not primitive");
            assert!(seen.insert((*s, *a)), "row {i}: repeated polynomial");
            for (k, mk) in m.iter().enumerate() {
                assert!(mk % 2 == 1 && *mk < 1 << (k + 1), "row {i}: m_{}", k + 1);
            }
        }
    }

    #[test]
    fn sobol_starts_like_the_reference_sequence() {
        let pts = sobol(10, 3, None);
        let want = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [0.75, 0.25, 0.25],
            [0.25, 0.75, 0.75],
            [0.375, 0.375, 0.625],
            [0.875, 0.875, 0.125],
            [0.625, 0.125, 0.875],
            [0.125, 0.625, 0.375],
            [0.1875, 0.3125, 0.9375],
            [0.6875, 0.8125, 0.4375],
        ];
        for (p, w) in pts.iter().zip(want) {
            assert_eq!(p.as_slice(), w.as_slice());
        }
    }

    #[test]
    fn every_dimension_of_a_power_of_two_prefix_is_stratified() {
        let n = 256;
        let pts = sobol_raw(n, SOBOL_MAX_DIMS);
        for d in 0..SOBOL_MAX_DIMS {
            let mut cells: Vec<u32> = pts.iter().map(|p| p[d] >> 24).collect();
            cells.sort();
            assert_eq!(cells, (0..n as u32).collect::<Vec<_>>(), "dimension {d}");
        }
    }

    #[test]
    fn normal_quantile_inverts_the_cdf() {
        for p in [1e-6, 0.01, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999_99] {
            let x = normal_ppf(p);
            assert!((normal_cdf(x) - p).abs() < 2e-7 * p.max(1e-3), "{p}");
        }
        assert!((normal_ppf(0.975) - 1.959_964).abs() < 1e-5);
    }
}
