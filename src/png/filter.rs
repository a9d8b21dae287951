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
    /// Per row, the filter whose output bytes have the least entropy
    /// (from the row's byte histogram, in exact fixed point).
    Entropy,
    /// Per row, the filter whose output has the least entropy in the first
    /// byte of every pixel (red in RGB and RGBA) alone: as [`Filter::Entropy`]
    /// on a third of the bytes (a quarter in RGBA), which are filtered and
    /// counted for every type, then the whole row is filtered once with the
    /// type chosen. Each channel's residuals follow the same edges and
    /// gradients, so one channel's histogram ranks the types nearly as the
    /// whole row's does (see `render::encode` for the sizes).
    FirstChannelEntropy,
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
    // Every byte is written below: a reused buffer is not zeroed again.
    out.resize(height * (row_len + 1), 0);
    if filter == Filter::FirstChannelEntropy {
        return filter_by_first_channel(bpp, row_len, height, row, out);
    }
    let mut prev = vec![0u8; row_len];
    let mut cur = vec![0u8; row_len];
    let choose = matches!(filter, Filter::Adaptive | Filter::Entropy);
    // Scratch rows for the per-row choice: one per type.
    let mut trial = if choose { vec![0u8; row_len * TYPES.len()] } else { Vec::new() };
    let mut histograms = (filter == Filter::Entropy).then(|| Histograms::new(row_len));
    for (y, dst) in out.chunks_exact_mut(row_len + 1).enumerate() {
        row(y, &mut cur);
        let (kind, body) = dst.split_at_mut(1);
        kind[0] = if choose {
            for (&t, scratch) in TYPES.iter().zip(trial.chunks_exact_mut(row_len.max(1))) {
                filter_row(t, bpp, &prev, &cur, scratch);
            }
            let best = match &mut histograms {
                Some(h) => h.least_entropy(&trial, row_len),
                None => least_signed_abs_sum(&trial, row_len),
            };
            body.copy_from_slice(&trial[best * row_len..(best + 1) * row_len]);
            best as u8
        } else {
            filter_row(filter, bpp, &prev, &cur, body);
            TYPES.iter().position(|&t| t == filter).unwrap_or(0) as u8
        };
        std::mem::swap(&mut prev, &mut cur);
    }
}

/// [`filter_image`] with [`Filter::FirstChannelEntropy`] (`out` already
/// sized): per row, the first byte of every pixel of the row and of the row
/// above are gathered into rows of their own, in which the left neighbour of
/// a byte is the first byte of the pixel before (so that [`filter_row`] with
/// one byte per pixel gives exactly those bytes of each filtered row); those
/// five short rows are counted ([`Histograms::least_entropy`]) and the
/// chosen type filters the whole row straight into `out`.
fn filter_by_first_channel(
    bpp: usize,
    row_len: usize,
    height: usize,
    mut row: impl FnMut(usize, &mut [u8]),
    out: &mut [u8],
) {
    let bpp = bpp.max(1);
    let pixels = row_len.div_ceil(bpp);
    let mut prev = vec![0u8; row_len];
    let mut cur = vec![0u8; row_len];
    let mut prev_first = vec![0u8; pixels];
    let mut cur_first = vec![0u8; pixels];
    let mut trial = vec![0u8; pixels * TYPES.len()];
    let mut histograms = Histograms::new(pixels);
    for (y, dst) in out.chunks_exact_mut(row_len + 1).enumerate().take(height) {
        row(y, &mut cur);
        for (f, pixel) in cur_first.iter_mut().zip(cur.chunks(bpp)) {
            *f = pixel[0];
        }
        for (&t, scratch) in TYPES.iter().zip(trial.chunks_exact_mut(pixels.max(1))) {
            filter_row(t, 1, &prev_first, &cur_first, scratch);
        }
        let best = histograms.least_entropy(&trial, pixels);
        let (kind, body) = dst.split_at_mut(1);
        filter_row(TYPES[best], bpp, &prev, &cur, body);
        kind[0] = best as u8;
        std::mem::swap(&mut prev, &mut cur);
        std::mem::swap(&mut prev_first, &mut cur_first);
    }
}

/// The index of the row of `trial` (the five filtered rows of `row_len`
/// bytes, in type order) with the least [`signed_abs_sum`], the first on ties.
fn least_signed_abs_sum(trial: &[u8], row_len: usize) -> usize {
    let mut best = (u64::MAX, 0);
    for (i, row) in trial.chunks_exact(row_len.max(1)).take(TYPES.len()).enumerate() {
        let cost = signed_abs_sum(row);
        if cost < best.0 {
            best = (cost, i);
        }
    }
    best.1
}

/// Lanes of byte counts per filter type (see [`Histograms::least_entropy`]).
const LANES: usize = 4;

/// Bytes counted in 16-bit lanes before they are added to the totals: no
/// lane can overflow within a segment (lane 0 also takes the last bytes of
/// a segment that are fewer than a block).
const SEGMENT: usize = LANES * (u16::MAX as usize - LANES);

/// The byte histograms of the five filtered rows, kept between rows so that
/// nothing is allocated or zeroed twice, and the `n log2 n` table.
struct Histograms {
    /// Per type, [`LANES`] tables of 16-bit counts: byte `i` of a row is
    /// counted in lane `i % LANES`.
    lanes: Vec<[[u16; 256]; LANES]>,
    /// Per type, the counts of the whole row.
    totals: Vec<[u32; 256]>,
    /// `n log2 n` for every count up to the row length ([`n_log2_n`]).
    nlogn: Vec<u64>,
}

impl Histograms {
    fn new(row_len: usize) -> Self {
        Histograms {
            lanes: vec![[[0; 256]; LANES]; TYPES.len()],
            totals: vec![[0; 256]; TYPES.len()],
            nlogn: n_log2_n(row_len),
        }
    }

    /// The index of the row of `trial` (the five filtered rows of `row_len`
    /// bytes, in type order) whose bytes have the least order-0 entropy, the
    /// first on ties: the greatest `Σ n log2 n` over its byte counts `n`,
    /// since every row has the same `N log2 N` (see [`entropy`]).
    ///
    /// Counting is what costs (five counts per byte of the image): the five
    /// rows are counted in one loop, each in [`LANES`] tables, so that a run
    /// of one value (most of a smooth row's residuals) does not wait on the
    /// store of one counter before the next increment, and the 16-bit
    /// tables stay small in the cache.
    fn least_entropy(&mut self, trial: &[u8], row_len: usize) -> usize {
        let Histograms { lanes, totals, nlogn } = self;
        let [l0, l1, l2, l3, l4] = &mut lanes[..] else { return 0 };
        let row = |t: usize, from: usize, to: usize| &trial[t * row_len + from..t * row_len + to];
        for start in (0..row_len).step_by(SEGMENT) {
            let end = (start + SEGMENT).min(row_len);
            let blocks = row(0, start, end)
                .chunks_exact(LANES)
                .zip(row(1, start, end).chunks_exact(LANES))
                .zip(row(2, start, end).chunks_exact(LANES))
                .zip(row(3, start, end).chunks_exact(LANES))
                .zip(row(4, start, end).chunks_exact(LANES));
            for ((((b0, b1), b2), b3), b4) in blocks {
                for k in 0..LANES {
                    l0[k][usize::from(b0[k])] += 1;
                    l1[k][usize::from(b1[k])] += 1;
                    l2[k][usize::from(b2[k])] += 1;
                    l3[k][usize::from(b3[k])] += 1;
                    l4[k][usize::from(b4[k])] += 1;
                }
            }
            // The last bytes of the segment, fewer than a block, in lane 0.
            let tail = start + (end - start) / LANES * LANES;
            for (t, lane) in [&mut *l0, &mut *l1, &mut *l2, &mut *l3, &mut *l4].into_iter().enumerate() {
                for &b in row(t, tail, end) {
                    lane[0][usize::from(b)] += 1;
                }
            }
            // Into the totals, leaving the lanes zeroed for the next segment:
            // table by table, so that the additions and the zeroing vectorise.
            for (lane, total) in [&mut *l0, &mut *l1, &mut *l2, &mut *l3, &mut *l4].into_iter().zip(totals.iter_mut()) {
                for table in lane.iter_mut() {
                    for (n, c) in total.iter_mut().zip(table.iter_mut()) {
                        *n += u32::from(*c);
                        *c = 0;
                    }
                }
            }
        }
        let mut best = (0, 0);
        for (t, total) in totals.iter_mut().enumerate() {
            let mut sum = 0;
            for n in total.iter_mut() {
                sum += nlogn[*n as usize];
                *n = 0;
            }
            if t == 0 || sum > best.0 {
                best = (sum, t);
            }
        }
        best.1
    }
}

/// `n · log2 n` for `n` in `0..=max`, in fixed point with 16 fractional
/// bits, computed in integers so that every machine chooses the same rows.
fn n_log2_n(max: usize) -> Vec<u64> {
    (0..=max as u64).map(|n| n * log2_fixed(n)).collect()
}

/// `log2 n` (0 for `n` ≤ 1) with 16 fractional bits, rounded down: the
/// integer part from the highest set bit, the fraction by repeated squaring.
fn log2_fixed(n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    let int = 63 - u64::from(n.leading_zeros());
    // n / 2^int in [1, 2) with 62 fractional bits.
    let mut x = u128::from(n) << (62 - int);
    let mut frac = 0;
    for _ in 0..16 {
        x = (x * x) >> 62;
        frac <<= 1;
        if x >= 2 << 62 {
            x >>= 1;
            frac |= 1;
        }
    }
    (int << 16) | frac
}

/// The entropy of `row`'s bytes times its length `N`, `N log2 N − Σ n log2 n`
/// over the counts `n` of its byte values: what an order-0 code of the row
/// alone would take, in bits (fixed point). [`Filter::Entropy`] chooses the
/// row for which this is least; [`Histograms`] computes the choice without
/// this function, which states it.
#[cfg(test)]
fn entropy(row: &[u8], nlogn: &[u64]) -> u64 {
    let mut counts = [0u32; 256];
    for &b in row {
        counts[usize::from(b)] += 1;
    }
    let sum: u64 = counts.iter().map(|&n| nlogn[n as usize]).sum();
    nlogn[row.len()] - sum
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
/// first row) into `out` with one filter type (not a per-row choice).
pub fn filter_row(filter: Filter, bpp: usize, prev: &[u8], cur: &[u8], out: &mut [u8]) {
    let n = cur.len();
    let (prev, out) = (&prev[..n], &mut out[..n]);
    let bpp = bpp.min(n);
    match filter {
        Filter::None | Filter::Adaptive | Filter::Entropy | Filter::FirstChannelEntropy => out.copy_from_slice(cur),
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
    // Two selects instead of the specification's branches, so that the
    // row's loop vectorises: `b` only if strictly nearer than `a`, `c` only
    // if strictly nearer than both.
    let ab = if pb < pa { b } else { a };
    if pc < pa.min(pb) { c } else { ab }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded xorshift32 stream (test data).
    fn xorshift(mut s: u32) -> impl FnMut() -> u32 {
        move || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        }
    }

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
            for filter in TYPES.iter().copied().chain([Filter::Adaptive, Filter::Entropy, Filter::FirstChannelEntropy])
            {
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
                    if TYPES.contains(&filter) {
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
    fn fixed_point_log2_is_exact_to_its_last_bit() {
        for n in (1..5000u64).chain([65_535, 65_536, 1 << 40, u64::MAX >> 1]) {
            let want = (n as f64).log2() * 65536.0;
            let got = log2_fixed(n) as f64;
            assert!(got <= want + 1e-6 && want - got <= 1.0, "log2 {n}: {got} vs {want}");
        }
        assert_eq!(log2_fixed(1024), 10 << 16);
        // One value repeated costs nothing, two values half and half one bit each.
        let t = n_log2_n(8);
        assert_eq!(entropy(&[7; 8], &t), 0);
        assert_eq!(entropy(&[1, 2, 1, 2, 1, 2, 1, 2], &t), 8 << 16);
    }

    #[test]
    fn the_entropy_choice_is_the_row_of_least_entropy() {
        // Five rows of every length up to 40 (every remainder of the lanes),
        // of a real row's length and longer than a segment of 16-bit lanes,
        // mostly runs of one value, one histogram reused throughout (so its
        // lanes must come back zeroed), against `entropy` row by row.
        let mut next = xorshift(0x1234_5678_u32);
        let lengths: Vec<usize> = (0..40).chain([3071, 3072, 4096, SEGMENT - 1, SEGMENT, SEGMENT + 5]).collect();
        let longest = *lengths.iter().max().expect("lengths");
        let mut histograms = Histograms::new(longest);
        let mut chosen = [0usize; 5];
        for &len in &lengths {
            for round in 0..6 {
                // Each row a different mix of zeros and a few or many values.
                let trial: Vec<u8> = (0..5 * len)
                    .map(|i| {
                        let r = next();
                        let t = i / len.max(1);
                        let zeros = (3 * t + round) % 5;
                        let spread = 2 + 50 * ((t + round) % 5) as u8;
                        if (r % 5) < zeros as u32 { 0 } else { (r >> 24) as u8 % spread }
                    })
                    .collect();
                let t = n_log2_n(len);
                let costs: Vec<u64> = trial.chunks(len.max(1)).take(5).map(|r| entropy(r, &t)).collect();
                let want = (0..costs.len()).fold(0, |best, i| if costs[i] < costs[best] { i } else { best });
                let got = histograms.least_entropy(&trial, len);
                assert_eq!(got, want, "length {len} round {round}: costs {costs:?}");
                chosen[got] += 1;
            }
        }
        // Ties (all rows empty) go to the first type; several types won.
        assert_eq!(histograms.least_entropy(&[], 0), 0);
        assert!(chosen.iter().filter(|&&n| n > 0).count() >= 3, "{chosen:?}");
    }

    #[test]
    fn the_first_channel_choice_is_the_least_entropy_of_first_bytes() {
        // Against the statement: each row filtered whole by every type, the
        // entropy of the first byte of each pixel of each, the least (first
        // on ties) chosen; the row written is that type's whole row. Widths
        // with every remainder of the lanes, RGB and RGBA, textured rows
        // where different types win.
        let mut next = xorshift(0x0bad_5eed_u32);
        let mut chosen = [0usize; 5];
        for bpp in [1, 3, 4] {
            for width in [1, 2, 3, 5, 8, 13, 40, 301] {
                let (row_len, height) = (width * bpp, 12);
                let image: Vec<u8> = (0..row_len * height)
                    .map(|i| {
                        let (x, y) = (i % row_len, i / row_len);
                        let noise = (next() >> 24) as u8 & [0, 1, 3, 63, 255][(y + x / 7) % 5];
                        ((x / bpp) as u8).wrapping_mul(3 + (y % 4) as u8).wrapping_add(noise)
                    })
                    .collect();
                let raw = |y: usize| &image[y * row_len..(y + 1) * row_len];
                let mut out = Vec::new();
                filter_image(
                    Filter::FirstChannelEntropy,
                    bpp,
                    row_len,
                    height,
                    |y, r| r.copy_from_slice(raw(y)),
                    &mut out,
                );
                let nlogn = n_log2_n(width);
                let zero = vec![0u8; row_len];
                for (y, got) in out.chunks_exact(row_len + 1).enumerate() {
                    let prev = if y == 0 { &zero[..] } else { raw(y - 1) };
                    let rows: Vec<Vec<u8>> = TYPES
                        .iter()
                        .map(|&t| {
                            let mut r = vec![0u8; row_len];
                            filter_row(t, bpp, prev, raw(y), &mut r);
                            r
                        })
                        .collect();
                    let costs: Vec<u64> = rows
                        .iter()
                        .map(|r| entropy(&r.iter().step_by(bpp).copied().collect::<Vec<u8>>(), &nlogn))
                        .collect();
                    let want = (0..5).fold(0, |best, i| if costs[i] < costs[best] { i } else { best });
                    assert_eq!(usize::from(got[0]), want, "bpp {bpp} width {width} row {y}: {costs:?}");
                    assert_eq!(got[1..], rows[want][..], "bpp {bpp} width {width} row {y}");
                    chosen[want] += 1;
                }
            }
        }
        assert!(chosen.iter().filter(|&&n| n > 0).count() >= 3, "{chosen:?}");
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
