//! Bit-vector helpers for practices (one `u64` per practice, bit n = dimension n).

use rand::Rng;

/// A probability quantised to 1/65536, for [`bernoulli_mask`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct P16(pub u32);

impl P16 {
    /// Quantise `p` (clamped to [0, 1]) to a multiple of 2^-16.
    pub fn new(p: f64) -> P16 {
        P16((p.clamp(0.0, 1.0) * 65536.0).round() as u32)
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

/// Each set bit of `within` kept independently with probability `p`.
///
/// One random word serves four bits (16-bit uniforms), so the cost is
/// `popcount(within) / 4` words; nothing is drawn when `within` is empty or
/// `p` is 0 or 1.
#[inline]
pub fn bernoulli_mask<R: Rng + ?Sized>(rng: &mut R, p: P16, within: u64) -> u64 {
    if within == 0 || p.0 == 0 {
        return 0;
    }
    if p.0 >= 65536 {
        return within;
    }
    let mut out = 0u64;
    let mut w = within;
    let mut word = 0u64;
    let mut left = 0u32;
    while w != 0 {
        let b = w.trailing_zeros();
        w &= w - 1;
        if left == 0 {
            word = rng.next_u64();
            left = 4;
        }
        // Branch-free: whether the bit is kept is data the CPU cannot guess.
        out |= u64::from(((word & 0xFFFF) as u32) < p.0) << b;
        word >>= 16;
        left -= 1;
    }
    out
}

/// A uniformly random practice of `n` bits.
#[inline]
pub fn random_bits<R: Rng + ?Sized>(rng: &mut R, mask: u64) -> u64 {
    rng.next_u64() & mask
}

/// The `i`-th set bit of `x` (0-based), if any.
#[inline]
pub fn nth_set_bit(mut x: u64, i: u32) -> Option<u32> {
    for _ in 0..i {
        if x == 0 {
            return None;
        }
        x &= x - 1;
    }
    (x != 0).then(|| x.trailing_zeros())
}

/// Low `n` bits set.
#[inline]
pub fn low_mask(n: u32) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// The mask of a contiguous block of `size` dimensions starting at `start`,
/// wrapping round at `n`.
#[inline]
pub fn block_mask(start: u32, size: u32, n: u32) -> u64 {
    let mut m = 0u64;
    for i in 0..size.min(n) {
        m |= 1u64 << ((start + i) % n);
    }
    m
}

/// `SPREAD[b]` has byte j equal to bit j of `b`: adding it to a counter
/// word counts eight dimensions at once.
const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut j = 0;
        let mut v = 0u64;
        while j < 8 {
            v |= (((b >> j) & 1) as u64) << (8 * j);
            j += 1;
        }
        t[b] = v;
        b += 1;
    }
    t
};

/// Per-dimension counts of set bits over a set of practices, eight
/// dimensions per table lookup (byte-sliced counters, flushed before they
/// can overflow).
#[derive(Clone, Debug)]
pub struct BitCounter {
    bytes: usize,
    acc: [u64; 8],
    pending: u32,
    counts: [u32; 64],
}

impl BitCounter {
    /// A counter over the low `n` dimensions.
    #[inline]
    pub fn new(n: u32) -> BitCounter {
        BitCounter {
            bytes: (n as usize).div_ceil(8),
            acc: [0; 8],
            pending: 0,
            counts: [0; 64],
        }
    }

    /// Count the set bits of `x`.
    #[inline(always)]
    pub fn add(&mut self, x: u64) {
        // The usual practice widths get straight-line code.
        match self.bytes {
            1 => self.acc[0] += SPREAD[(x & 0xFF) as usize],
            2 => {
                self.acc[0] += SPREAD[(x & 0xFF) as usize];
                self.acc[1] += SPREAD[((x >> 8) & 0xFF) as usize];
            }
            3 => {
                self.acc[0] += SPREAD[(x & 0xFF) as usize];
                self.acc[1] += SPREAD[((x >> 8) & 0xFF) as usize];
                self.acc[2] += SPREAD[((x >> 16) & 0xFF) as usize];
            }
            bytes => {
                for (j, a) in self.acc.iter_mut().enumerate().take(bytes) {
                    *a += SPREAD[((x >> (8 * j)) & 0xFF) as usize];
                }
            }
        }
        self.pending += 1;
        if self.pending == 255 {
            self.flush();
        }
    }

    #[inline(never)]
    fn flush(&mut self) {
        for j in 0..self.bytes {
            let a = self.acc[j];
            for k in 0..8 {
                self.counts[8 * j + k] += ((a >> (8 * k)) & 0xFF) as u32;
            }
            self.acc[j] = 0;
        }
        self.pending = 0;
    }

    /// The counts per dimension.
    #[inline]
    pub fn finish(mut self) -> [u32; 64] {
        self.flush();
        self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    #[test]
    fn bernoulli_mask_has_the_right_rate() {
        let mut r = stream(1, 0, 0, Purpose::Validation, 0);
        for &p in &[0.05, 0.3, 0.5, 0.9] {
            let pp = P16::new(p);
            let mut ones = 0u64;
            let trials = 20_000u64;
            for _ in 0..trials {
                ones += bernoulli_mask(&mut r, pp, 0xFFFF).count_ones() as u64;
            }
            let rate = ones as f64 / (trials * 16) as f64;
            let se = (p * (1.0 - p) / (trials * 16) as f64).sqrt();
            assert!((rate - p).abs() < 5.0 * se + 1e-4, "p {p} rate {rate}");
        }
    }

    #[test]
    fn bernoulli_mask_stays_within() {
        let mut r = stream(2, 0, 0, Purpose::Validation, 0);
        for _ in 0..1000 {
            let w = r.next_u64();
            assert_eq!(bernoulli_mask(&mut r, P16::new(0.5), w) & !w, 0);
        }
        assert_eq!(bernoulli_mask(&mut r, P16::new(0.0), u64::MAX), 0);
        assert_eq!(bernoulli_mask(&mut r, P16::new(1.0), 0xF0), 0xF0);
    }

    #[test]
    fn blocks_wrap() {
        assert_eq!(block_mask(0, 4, 16), 0xF);
        assert_eq!(block_mask(14, 4, 16), 0b11 | (0b11 << 14));
        assert_eq!(nth_set_bit(0b1010, 1), Some(3));
        assert_eq!(nth_set_bit(0b1010, 2), None);
        assert_eq!(low_mask(64), u64::MAX);
    }

    #[test]
    fn bit_counter_matches_naive_counts() {
        let mut r = stream(4, 0, 0, Purpose::Validation, 0);
        for &n in &[1u32, 7, 16, 20, 33, 64] {
            let xs: Vec<u64> = (0..700).map(|_| r.next_u64() & low_mask(n)).collect();
            let mut c = BitCounter::new(n);
            for &x in &xs {
                c.add(x);
            }
            let got = c.finish();
            for (d, &g) in got.iter().enumerate() {
                let want = xs.iter().filter(|&&x| x >> d & 1 == 1).count() as u32;
                assert_eq!(g, want, "n {n} d {d}");
            }
        }
    }
}
