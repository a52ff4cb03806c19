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
        if ((word & 0xFFFF) as u32) < p.0 {
            out |= 1u64 << b;
        }
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
}
