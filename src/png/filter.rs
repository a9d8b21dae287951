//! PNG row filters (PNG specification, section 9), applied before deflate.
//!
//! Each filter predicts a byte from its left neighbour `a` (the same channel
//! of the previous pixel), the byte above `b` and the byte above-left `c`,
//! and stores the difference. Encoding reads only raw bytes, so every loop
//! here has no dependency between iterations and vectorises.

/// A PNG filter type, or the per-row choice among them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Type 0: the raw bytes.
    None,
    /// Type 1: minus the byte to the left.
    Sub,
    /// Type 2: minus the byte above.
    Up,
    /// Type 3: minus the floor of the mean of left and above.
    Avg,
    /// Type 4: minus the Paeth predictor of left, above and above-left.
    Paeth,
    /// Per row, the filter whose output has the least sum of absolute
    /// values (bytes read as signed): the heuristic of the PNG
    /// specification, libpng, Pillow and the png crate.
    Adaptive,
}

/// The five filter types, in type-number order.
const TYPES: [Filter; 5] = [Filter::None, Filter::Sub, Filter::Up, Filter::Avg, Filter::Paeth];

/// Filters the rows of `image` (`height` rows of `row_len` bytes, `bpp`
/// bytes per pixel) into `out`: each row becomes its filter-type byte
/// followed by its `row_len` filtered bytes. `row` reads row `y` into the
/// buffer it is given (a conversion, e.g. RGBA to RGB, can happen there).
pub fn filter_image(
    filter: Filter,
    bpp: usize,
    row_len: usize,
    height: usize,
    mut row: impl FnMut(usize, &mut [u8]),
    out: &mut Vec<u8>,
) {
    out.clear();
    out.resize(height * (row_len + 1), 0);
    let mut prev = vec![0u8; row_len];
    let mut cur = vec![0u8; row_len];
    // Scratch rows for the adaptive choice: one per type.
    let mut trial = if filter == Filter::Adaptive { vec![0u8; row_len * TYPES.len()] } else { Vec::new() };
    for (y, dst) in out.chunks_exact_mut(row_len + 1).enumerate() {
        row(y, &mut cur);
        let (kind, body) = dst.split_at_mut(1);
        kind[0] = if filter == Filter::Adaptive {
            let mut best = (u64::MAX, 0);
            for (i, (&t, scratch)) in TYPES.iter().zip(trial.chunks_exact_mut(row_len)).enumerate() {
                filter_row(t, bpp, &prev, &cur, scratch);
                let cost = signed_abs_sum(scratch);
                if cost < best.0 {
                    best = (cost, i);
                }
            }
            body.copy_from_slice(&trial[best.1 * row_len..(best.1 + 1) * row_len]);
            best.1 as u8
        } else {
            filter_row(filter, bpp, &prev, &cur, body);
            TYPES.iter().position(|&t| t == filter).unwrap_or(0) as u8
        };
        std::mem::swap(&mut prev, &mut cur);
    }
}

/// Sum of the bytes of `row` read as signed, in absolute value.
fn signed_abs_sum(row: &[u8]) -> u64 {
    // In blocks whose sum fits in 32 bits, so that the inner loop stays narrow.
    row.chunks(1 << 16)
        .map(|c| c.iter().map(|&b| u32::from((b as i8).unsigned_abs())).sum::<u32>())
        .map(u64::from)
        .sum()
}

/// Filters one row `cur` (with `prev` the raw row above, zeros for the
/// first row) into `out` with one filter type (not [`Filter::Adaptive`]).
pub fn filter_row(filter: Filter, bpp: usize, prev: &[u8], cur: &[u8], out: &mut [u8]) {
    let n = cur.len();
    let (prev, out) = (&prev[..n], &mut out[..n]);
    let bpp = bpp.min(n);
    match filter {
        Filter::None | Filter::Adaptive => out.copy_from_slice(cur),
        Filter::Sub => {
            out[..bpp].copy_from_slice(&cur[..bpp]);
            for ((o, &x), &a) in out[bpp..].iter_mut().zip(&cur[bpp..]).zip(&cur[..n - bpp]) {
                *o = x.wrapping_sub(a);
            }
        }
        Filter::Up => {
            for ((o, &x), &b) in out.iter_mut().zip(cur).zip(prev) {
                *o = x.wrapping_sub(b);
            }
        }
        Filter::Avg => {
            for ((o, &x), &b) in out[..bpp].iter_mut().zip(&cur[..bpp]).zip(&prev[..bpp]) {
                *o = x.wrapping_sub(b >> 1);
            }
            let rest = out[bpp..].iter_mut().zip(&cur[bpp..]).zip(&prev[bpp..]).zip(&cur[..n - bpp]);
            for (((o, &x), &b), &a) in rest {
                *o = x.wrapping_sub(((u16::from(a) + u16::from(b)) >> 1) as u8);
            }
        }
        Filter::Paeth => {
            // With a = c = 0 the predictor is b.
            for ((o, &x), &b) in out[..bpp].iter_mut().zip(&cur[..bpp]).zip(&prev[..bpp]) {
                *o = x.wrapping_sub(b);
            }
            let rest =
                out[bpp..].iter_mut().zip(&cur[bpp..]).zip(&prev[bpp..]).zip(&cur[..n - bpp]).zip(&prev[..n - bpp]);
            for ((((o, &x), &b), &a), &c) in rest {
                *o = x.wrapping_sub(paeth(a, b, c));
            }
        }
    }
}

/// The Paeth predictor: whichever of `a`, `b`, `c` is nearest to
/// `a + b − c`, preferring `a`, then `b`.
#[inline(always)]
fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let (ia, ib, ic) = (i16::from(a), i16::from(b), i16::from(c));
    let pa = (ib - ic).abs();
    let pb = (ia - ic).abs();
    let pc = (ia + ib - 2 * ic).abs();
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Undoes one filtered row (the decoder's side), for the round trip.
    fn unfilter(kind: u8, bpp: usize, prev: &[u8], row: &[u8]) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::with_capacity(row.len());
        for (i, &x) in row.iter().enumerate() {
            let a = if i >= bpp { out[i - bpp] } else { 0 };
            let b = prev[i];
            let c = if i >= bpp { prev[i - bpp] } else { 0 };
            let p = match kind {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                _ => panic!("bad filter type {kind}"),
            };
            out.push(x.wrapping_add(p));
        }
        out
    }

    #[test]
    fn every_filter_round_trips() {
        let mut state = 0x2545_f491_u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        };
        for bpp in [3, 4] {
            let (w, h) = (37, 9);
            let row_len = w * bpp;
            // Smooth-ish data with noise, so every filter gets chosen somewhere.
            let image: Vec<u8> =
                (0..row_len * h).map(|i| ((i % row_len) as u8).wrapping_mul(3) ^ (next() & 7)).collect();
            for filter in TYPES.iter().copied().chain([Filter::Adaptive]) {
                let mut out = Vec::new();
                filter_image(
                    filter,
                    bpp,
                    row_len,
                    h,
                    |y, r| r.copy_from_slice(&image[y * row_len..(y + 1) * row_len]),
                    &mut out,
                );
                let mut prev = vec![0u8; row_len];
                for (y, row) in out.chunks_exact(row_len + 1).enumerate() {
                    if filter != Filter::Adaptive {
                        assert_eq!(TYPES[usize::from(row[0])], filter);
                    }
                    let raw = unfilter(row[0], bpp, &prev, &row[1..]);
                    assert_eq!(raw, image[y * row_len..(y + 1) * row_len], "{filter:?} bpp {bpp} row {y}");
                    prev = raw;
                }
            }
        }
    }

    #[test]
    fn paeth_matches_the_specification() {
        for a in (0..=255u8).step_by(5) {
            for b in (0..=255u8).step_by(7) {
                for c in (0..=255u8).step_by(11) {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
                    let want = if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    };
                    assert_eq!(paeth(a, b, c), want);
                }
            }
        }
    }
}
