//! A small animated-GIF writer with an exact palette.
//!
//! The pictures use a few plain colours (the classes of the colour scale,
//! greys, the halos) and the anti-aliased edges of text and dots. The
//! palette is the 256 most frequent colours over all frames, so every
//! class colour is kept exactly (a learned palette, such as NeuQuant's,
//! merges colours that cover few pixels, such as a legend's); any other
//! colour takes its nearest palette entry. Frames are LZW-compressed as the
//! GIF 89a specification describes. Deterministic: the same frames give the
//! same bytes.

use std::collections::HashMap;
use std::io::{self, Write};

/// One frame: `width * height` RGB pixels, row by row.
pub type Frame = Vec<u8>;

fn key(p: &[u8]) -> u32 {
    (p[0] as u32) << 16 | (p[1] as u32) << 8 | p[2] as u32
}

/// The palette: the most frequent colours of all frames (ties by colour),
/// at most 256.
fn palette(frames: &[Frame]) -> Vec<u32> {
    let mut count: HashMap<u32, u64> = HashMap::new();
    for f in frames {
        for p in f.chunks_exact(3) {
            *count.entry(key(p)).or_insert(0) += 1;
        }
    }
    let mut all: Vec<(u32, u64)> = count.into_iter().collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(256);
    let mut pal: Vec<u32> = all.into_iter().map(|(c, _)| c).collect();
    if pal.is_empty() {
        pal.push(0xFFFFFF);
    }
    pal
}

fn nearest(pal: &[u32], c: u32) -> u8 {
    let (r, g, b) = ((c >> 16) as i32, (c >> 8 & 0xFF) as i32, (c & 0xFF) as i32);
    let mut best = (i32::MAX, 0usize);
    for (i, &p) in pal.iter().enumerate() {
        let (pr, pg, pb) = ((p >> 16) as i32, (p >> 8 & 0xFF) as i32, (p & 0xFF) as i32);
        let d = 2 * (pr - r).pow(2) + 4 * (pg - g).pow(2) + 3 * (pb - b).pow(2);
        if d < best.0 {
            best = (d, i);
        }
    }
    best.1 as u8
}

/// Bits written least significant first, as GIF's LZW codes are.
struct Bits {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl Bits {
    fn put(&mut self, code: u16, size: u32) {
        self.acc |= (code as u32) << self.n;
        self.n += size;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// LZW compression of 8-bit indices (minimum code size 8), with the
/// classic rule for growing the code size and a clear code when the
/// table is full.
pub fn lzw(indices: &[u8]) -> Vec<u8> {
    const MIN: u32 = 8;
    const CLEAR: u16 = 1 << MIN;
    const EOI: u16 = CLEAR + 1;
    const MAX_CODES: u32 = 4096;
    let mut bits = Bits {
        out: Vec::with_capacity(indices.len() / 2),
        acc: 0,
        n: 0,
    };
    // table[prefix * 256 + k] = code + 1 (0: none)
    let mut table = vec![0u16; MAX_CODES as usize * 256];
    let mut size = MIN + 1;
    let mut max_code = (1u32 << size) - 1;
    let mut next = EOI as u32 + 1;
    // Write a code, then widen the codes once the table has outgrown them.
    fn emit(bits: &mut Bits, code: u16, size: &mut u32, max_code: &mut u32, next: u32) {
        bits.put(code, *size);
        if next > *max_code && *size < 12 {
            *size += 1;
            *max_code = if *size == 12 {
                MAX_CODES
            } else {
                (1 << *size) - 1
            };
        }
    }
    bits.put(CLEAR, size);
    let Some((&first, rest)) = indices.split_first() else {
        bits.put(EOI, size);
        return bits.finish();
    };
    let mut prefix = first as u16;
    for &k in rest {
        let slot = prefix as usize * 256 + k as usize;
        let found = table[slot];
        if found != 0 {
            prefix = found - 1;
            continue;
        }
        emit(&mut bits, prefix, &mut size, &mut max_code, next);
        if next < MAX_CODES {
            table[slot] = next as u16 + 1;
            next += 1;
        } else {
            // Table full: clear it and start again.
            table.iter_mut().for_each(|t| *t = 0);
            next = EOI as u32 + 1;
            bits.put(CLEAR, size);
            size = MIN + 1;
            max_code = (1 << size) - 1;
        }
        prefix = k as u16;
    }
    emit(&mut bits, prefix, &mut size, &mut max_code, next);
    bits.put(EOI, size);
    bits.finish()
}

/// Write an animated GIF that loops forever, each frame shown
/// `delay_cs` hundredths of a second.
pub fn write_gif(
    w: &mut dyn Write,
    width: u16,
    height: u16,
    frames: &[Frame],
    delay_cs: u16,
) -> io::Result<()> {
    let pal = palette(frames);
    w.write_all(b"GIF89a")?;
    w.write_all(&width.to_le_bytes())?;
    w.write_all(&height.to_le_bytes())?;
    // Global colour table of 256 entries, 8 bits per primary.
    w.write_all(&[0xF7, 0, 0])?;
    for i in 0..256 {
        let c = pal.get(i).copied().unwrap_or(0);
        w.write_all(&[(c >> 16) as u8, (c >> 8) as u8, c as u8])?;
    }
    // Loop forever.
    w.write_all(&[0x21, 0xFF, 0x0B])?;
    w.write_all(b"NETSCAPE2.0")?;
    w.write_all(&[0x03, 0x01, 0x00, 0x00, 0x00])?;
    let mut index: HashMap<u32, u8> = pal.iter().enumerate().map(|(i, &c)| (c, i as u8)).collect();
    let mut idx = Vec::with_capacity(width as usize * height as usize);
    for f in frames {
        idx.clear();
        for p in f.chunks_exact(3) {
            let c = key(p);
            let i = match index.get(&c) {
                Some(&i) => i,
                None => {
                    let i = nearest(&pal, c);
                    index.insert(c, i);
                    i
                }
            };
            idx.push(i);
        }
        // Graphic control: leave the frame in place, the delay.
        w.write_all(&[0x21, 0xF9, 0x04, 0x04])?;
        w.write_all(&delay_cs.to_le_bytes())?;
        w.write_all(&[0x00, 0x00])?;
        // Image descriptor: the whole canvas, no local table.
        w.write_all(&[0x2C, 0, 0, 0, 0])?;
        w.write_all(&width.to_le_bytes())?;
        w.write_all(&height.to_le_bytes())?;
        w.write_all(&[0x00, 0x08])?;
        for block in lzw(&idx).chunks(255) {
            w.write_all(&[block.len() as u8])?;
            w.write_all(block)?;
        }
        w.write_all(&[0x00])?;
    }
    w.write_all(&[0x3B])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain LZW decoder (as a GIF viewer has), to check the encoder.
    fn unlzw(data: &[u8], n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let (clear, eoi) = (256u32, 257u32);
        let mut dict: Vec<Vec<u8>> = Vec::new();
        let reset = |d: &mut Vec<Vec<u8>>| {
            d.clear();
            for i in 0..256 {
                d.push(vec![i as u8]);
            }
            d.push(Vec::new());
            d.push(Vec::new());
        };
        reset(&mut dict);
        let mut size = 9u32;
        let (mut acc, mut nbits, mut pos) = (0u32, 0u32, 0usize);
        let mut prev: Option<Vec<u8>> = None;
        loop {
            while nbits < size {
                acc |= (data[pos] as u32) << nbits;
                pos += 1;
                nbits += 8;
            }
            let code = acc & ((1 << size) - 1);
            acc >>= size;
            nbits -= size;
            if code == clear {
                reset(&mut dict);
                size = 9;
                prev = None;
                continue;
            }
            if code == eoi {
                break;
            }
            let entry = if (code as usize) < dict.len() {
                dict[code as usize].clone()
            } else {
                let p = prev.clone().unwrap();
                let mut e = p.clone();
                e.push(p[0]);
                e
            };
            out.extend_from_slice(&entry);
            if let Some(p) = prev {
                let mut e = p;
                e.push(entry[0]);
                dict.push(e);
                if dict.len() == (1 << size) && size < 12 {
                    size += 1;
                }
            }
            prev = Some(entry);
        }
        assert_eq!(out.len(), n);
        out
    }

    #[test]
    fn lzw_round_trips_plain_and_busy_data() {
        let plain = vec![7u8; 10_000];
        assert_eq!(unlzw(&lzw(&plain), plain.len()), plain);
        // Enough variety to fill the table several times.
        let mut x = 12345u32;
        let busy: Vec<u8> = (0..200_000)
            .map(|i| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                if i % 3 == 0 {
                    (x >> 16) as u8
                } else {
                    (x >> 27) as u8
                }
            })
            .collect();
        assert_eq!(unlzw(&lzw(&busy), busy.len()), busy);
        assert_eq!(unlzw(&lzw(&[1]), 1), vec![1]);
    }

    #[test]
    fn gif_keeps_rare_colours_exactly() {
        // Mostly white, a few pixels of a legend colour.
        let (w, h) = (20u16, 10u16);
        let mut f = vec![255u8; w as usize * h as usize * 3];
        f[0..3].copy_from_slice(&[140, 81, 10]);
        let mut out = Vec::new();
        write_gif(&mut out, w, h, &[f.clone(), f], 50).unwrap();
        assert!(out.starts_with(b"GIF89a"));
        assert_eq!(*out.last().unwrap(), 0x3B);
        let table = &out[13..13 + 768];
        assert!(table.windows(3).step_by(3).any(|c| c == [140, 81, 10]));
    }
}
