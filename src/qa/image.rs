//! What the audits need from an output image, computed from one decode: its
//! header (size, colour type, bit depth, `sRGB` chunk), its pixels as 8-bit
//! RGBA, whether it is blank, a hash of its pixels (for exact duplicates) and
//! a perceptual fingerprint (for near duplicates).
//!
//! # The fingerprint
//!
//! The image, composited over black, averaged into a grid of 16 × 16 cells
//! of mean colour (8 bits per channel). Averaging is by area — a pixel that
//! straddles two cells counts in each for the part that lies in it — so an
//! image and any resized copy of it give nearly the same grid (an exact
//! nearest-neighbour upscale by a whole factor gives exactly the same), and a
//! canvas smaller than the grid is seen pixel for pixel. The distance of two
//! fingerprints is the largest difference of any cell in any channel, in
//! 8-bit levels: two images at distance 3 have no region of a 16th of their
//! side that differs by more than 3 levels on average — a difference no one
//! sees at a glance, whatever differs below that scale.
//!
//! Why not a perceptual hash (the `image_hasher` crate's dHash, pHash, …):
//! those hash luminance gradients or frequencies, which is what makes them
//! robust for photographs, and blind to what tells generative tokens apart.
//! Measured on the bundled examples, a 768-bit dHash (per channel) gave
//! distance 0 to two sprites on different backgrounds (horizontal stripes
//! have no horizontal gradient) and 4 bits to two apes with different eyes.
//! Mean colours see both at once (differences of 40 to 200 levels), and cost
//! one pass over pixels already decoded.
//!
//! A collection's fingerprints are not all kept for the search: each image
//! keeps a [`Sketch`] (a quarter of the cells, which can rule pairs out but
//! not in), and only the images of pairs the sketches leave are
//! fingerprinted again.

use crate::render::Image;

/// Cells across and down the fingerprint grid.
pub const GRID: usize = 16;

/// A perceptual fingerprint: see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// Mean colour of each cell, row by row, RGB.
    pub cells: [[u8; 3]; GRID * GRID],
    /// Mean of each 4 × 4 block of cells (a 4 × 4 grid): never further apart
    /// than the cells, so a cheap first test.
    pub coarse: [[u8; 3]; 16],
}

impl Fingerprint {
    /// The largest difference of any cell in any channel, in 8-bit levels.
    pub fn distance(&self, other: &Fingerprint) -> u8 {
        max_difference(&self.cells, &other.cells)
    }

    /// Whether the distance is at most `limit`; cheaper than [`Self::distance`]
    /// when it is not (the coarse grid is tried first, and the cells stop at
    /// the first that is too far).
    pub fn within(&self, other: &Fingerprint, limit: u8) -> bool {
        // Each coarse value is a mean of 16 cells, rounded: one level more.
        max_difference(&self.coarse, &other.coarse) <= limit.saturating_add(1)
            && self.cells.iter().zip(&other.cells).all(|(a, b)| a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) <= limit))
    }

    /// The sketch of this fingerprint: each 2 × 2 block of cells summed
    /// and divided by four, rounding down.
    pub fn sketch(&self) -> Sketch {
        let mut cells = [[0u8; 3]; SKETCH_GRID * SKETCH_GRID];
        for (i, cell) in cells.iter_mut().enumerate() {
            let (r, c) = (2 * (i / SKETCH_GRID), 2 * (i % SKETCH_GRID));
            for (ch, value) in cell.iter_mut().enumerate() {
                let total: u16 = [(r, c), (r, c + 1), (r + 1, c), (r + 1, c + 1)]
                    .iter()
                    .map(|&(y, x)| u16::from(self.cells[y * GRID + x][ch]))
                    .sum();
                *value = (total / 4) as u8;
            }
        }
        Sketch { cells }
    }
}

/// Cells across and down a [`Sketch`].
pub const SKETCH_GRID: usize = GRID / 2;

/// What an image keeps of its fingerprint while the rest of the collection
/// is scanned: an 8 × 8 grid, each cell the sum of a 2 × 2 block of the
/// fingerprint's cells divided by four, rounding down (192 bytes against
/// the fingerprint's 816). It can only rule pairs out: when every cell of
/// two fingerprints differs by at most `d` in every channel, each block's
/// sums differ by at most `4 d`, and whole numbers whose difference is at
/// most `4 d` have quotients by four, rounded down, at most `d` apart; so
/// two images whose sketches are further apart than `d` are not within `d`,
/// and only the images of the pairs left are fingerprinted again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sketch {
    /// Per cell, row by row, RGB.
    cells: [[u8; 3]; SKETCH_GRID * SKETCH_GRID],
}

impl Sketch {
    /// Whether the images may have fingerprints within `limit`: `false`
    /// proves they do not.
    pub fn may_be_within(&self, other: &Sketch, limit: u8) -> bool {
        self.cells.iter().zip(&other.cells).all(|(a, b)| a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) <= limit))
    }

    /// Mean brightness (the sum of the three channels, averaged over the
    /// cells; 0..=765): sketches that may be within `d` differ here by at
    /// most `3 d`. Exact: a whole number over 64.
    pub fn brightness(&self) -> f64 {
        let total: u32 = self.cells.iter().flatten().map(|&x| u32::from(x)).sum();
        f64::from(total) / (SKETCH_GRID * SKETCH_GRID) as f64
    }
}

fn max_difference(a: &[[u8; 3]], b: &[[u8; 3]]) -> u8 {
    a.iter().zip(b).flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| p.abs_diff(*q))).max().unwrap_or(0)
}

pub use crate::png::{Stored as Decoded, decode_stored as decode, dimensions};

impl Decoded {
    /// The perceptual fingerprint (see the module documentation).
    pub fn fingerprint(&self) -> Fingerprint {
        fingerprint_of(&self.data, self.size.0 as usize, self.size.1 as usize, self.channels)
    }
}

/// Decodes a PNG file's bytes into 8-bit RGBA pixels, row by row into the
/// image ([`crate::png::stored_rows`]): it holds the image and one row, not
/// the stored pixels beside their RGBA copy. The error is a phrase after
/// "it". Check [`dimensions`] first on a file that is not trusted.
pub fn decode_rgba(bytes: &[u8]) -> Result<Image, String> {
    let mut rows = crate::png::stored_rows(bytes)?;
    let (w, h) = rows.size;
    let mut image = Image::new(w, h);
    let row_len = w as usize * 4;
    let mut chunks = image.chunks_exact_mut(row_len.max(1));
    while let Some(row) = rows.next_row()? {
        chunks.next().ok_or("has more rows than its header declares")?.copy_from_slice(row);
    }
    Ok(image)
}

/// A 128-bit hash of the pixels and the size: equal for equal images, and
/// for different ones equal only by a chance of 2⁻¹²⁸. Not cryptographic
/// (SHA-256 over every pixel would cost more than decoding), and it need not
/// be: it groups candidates, and an attacker gains nothing by a collision.
pub fn pixel_hash(image: &Image) -> u128 {
    let (w, h) = image.dimensions();
    let mut hasher = PixelHasher::new((w, h));
    hasher.update(image.as_raw());
    hasher.finish()
}

/// [`pixel_hash`] fed row by row: the same hash of the same RGBA bytes,
/// however they are cut.
#[derive(Clone, Debug)]
pub struct PixelHasher {
    a: u64,
    b: u64,
    /// Bytes of an unfinished 8-byte word.
    pending: [u8; 8],
    filled: usize,
}

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xC2B2_AE3D_27D4_EB4F;

impl PixelHasher {
    /// A hasher of the RGBA pixels of an image of `(w, h)`.
    pub fn new((w, h): (u32, u32)) -> PixelHasher {
        let len = u64::from(w) * u64::from(h) * 4;
        PixelHasher { a: K1 ^ (u64::from(w) << 32 | u64::from(h)), b: K2 ^ len, pending: [0; 8], filled: 0 }
    }

    fn word(&mut self, x: u64) {
        self.a = (self.a ^ x).wrapping_mul(K1).rotate_left(29);
        self.b = (self.b.wrapping_add(x)).wrapping_mul(K2).rotate_left(31) ^ self.a;
    }

    /// Hashes the next bytes of the pixels.
    pub fn update(&mut self, mut bytes: &[u8]) {
        if self.filled > 0 {
            let take = (8 - self.filled).min(bytes.len());
            self.pending[self.filled..self.filled + take].copy_from_slice(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled < 8 {
                return;
            }
            self.word(u64::from_le_bytes(self.pending));
            self.filled = 0;
        }
        let words = bytes.chunks_exact(8);
        let tail = words.remainder();
        for word in words {
            let mut b = [0u8; 8];
            b.copy_from_slice(word);
            self.word(u64::from_le_bytes(b));
        }
        self.pending[..tail.len()].copy_from_slice(tail);
        self.filled = tail.len();
    }

    /// The hash of every byte fed.
    pub fn finish(self) -> u128 {
        let mut last = [0u8; 8];
        last[..self.filled].copy_from_slice(&self.pending[..self.filled]);
        let x = u64::from_le_bytes(last);
        let a = mix(self.a ^ x);
        let b = mix(self.b.wrapping_add(x) ^ a.rotate_left(17));
        u128::from(a) << 64 | u128::from(b)
    }
}

/// splitmix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// How the pixels of an axis of `len` pixels fall into the grid's cells.
#[derive(Clone, Debug)]
struct Axis {
    /// Per cell, the pixels wholly inside it (`start..end`, maybe empty).
    whole: [(usize, usize); GRID],
    /// The other pixels: `(pixel, cell, overlap)`, the overlap (in pixels)
    /// under 1: a pixel on a border counts in each cell for its part there.
    partial: Vec<(usize, usize, f64)>,
}

impl Axis {
    fn new(len: usize) -> Axis {
        let cell = len as f64 / GRID as f64;
        let mut whole = [(0, 0); GRID];
        let mut partial = Vec::new();
        for (c, range) in whole.iter_mut().enumerate() {
            let (lo, hi) = (c as f64 * cell, (c + 1) as f64 * cell);
            let (mut start, mut end) = (usize::MAX, 0);
            for x in (lo.floor() as usize)..(hi.ceil() as usize).min(len) {
                let overlap = hi.min(x as f64 + 1.0) - lo.max(x as f64);
                if overlap >= 1.0 - 1e-9 {
                    start = start.min(x);
                    end = x + 1;
                } else if overlap > 1e-9 {
                    partial.push((x, c, overlap));
                }
            }
            if start < end {
                *range = (start, end);
            }
        }
        Axis { whole, partial }
    }

    /// Per pixel, the cells it counts in and with what weight.
    fn weights(&self, len: usize) -> Vec<Vec<(usize, f64)>> {
        let mut out = vec![Vec::new(); len];
        for (c, &(start, end)) in self.whole.iter().enumerate() {
            for w in out.iter_mut().take(end).skip(start) {
                w.push((c, 1.0));
            }
        }
        for &(x, c, overlap) in &self.partial {
            out[x].push((c, overlap));
        }
        out
    }
}

/// The perceptual fingerprint of an RGBA image: see the module documentation.
pub fn fingerprint(image: &Image) -> Fingerprint {
    fingerprint_of(image.as_raw(), image.width() as usize, image.height() as usize, 4)
}

/// The fingerprint of `w × h` pixels of `channels` (3: RGB, 4: RGBA) bytes.
fn fingerprint_of(data: &[u8], w: usize, h: usize, channels: usize) -> Fingerprint {
    let mut sums = FingerprintSums::new((w as u32, h as u32));
    if w > 0 && h > 0 && data.len() >= w * h * channels {
        for row in data.chunks_exact(w * channels).take(h) {
            sums.add_row(row, channels);
        }
    }
    sums.finish()
}

/// A [`Fingerprint`] made row by row, top to bottom: the image need not be
/// in memory at once.
#[derive(Clone, Debug)]
pub struct FingerprintSums {
    size: (usize, usize),
    across: Axis,
    /// Per row, the cells it counts in and with what weight.
    down: Vec<Vec<(usize, f64)>>,
    /// Colour × alpha per cell.
    sums: Vec<[f64; 3]>,
    /// Rows added so far.
    y: usize,
}

impl FingerprintSums {
    /// The sums of an image of `(w, h)`, no row added yet.
    pub fn new((w, h): (u32, u32)) -> FingerprintSums {
        let (w, h) = (w as usize, h as usize);
        FingerprintSums {
            size: (w, h),
            across: Axis::new(w),
            down: Axis::new(h).weights(h),
            sums: vec![[0f64; 3]; GRID * GRID],
            y: 0,
        }
    }

    /// Adds the next row: `w` pixels of `channels` (3: RGB, 4: RGBA) bytes.
    /// Rows past the last, or shorter than `w` pixels, are ignored.
    pub fn add_row(&mut self, row: &[u8], channels: usize) {
        let (w, h) = self.size;
        let y = self.y;
        self.y += 1;
        if y >= h || row.len() < w * channels {
            return;
        }
        let alpha = |p: &[u8]| if channels == 4 { p[3] } else { 255 };
        // This row's sums per column of cells, colour times alpha: whole
        // pixels in integers, border pixels weighted.
        let mut line = [[0f64; 3]; GRID];
        for (c, &(start, end)) in self.across.whole.iter().enumerate() {
            let (mut r, mut g, mut b) = (0u64, 0u64, 0u64);
            for p in row[start * channels..end * channels].chunks_exact(channels) {
                let a = u64::from(alpha(p));
                r += u64::from(p[0]) * a;
                g += u64::from(p[1]) * a;
                b += u64::from(p[2]) * a;
            }
            line[c] = [r as f64, g as f64, b as f64];
        }
        for &(x, c, overlap) in &self.across.partial {
            let p = &row[x * channels..(x + 1) * channels];
            let a = f64::from(alpha(p)) * overlap;
            for ch in 0..3 {
                line[c][ch] += f64::from(p[ch]) * a;
            }
        }
        for &(r, weight) in &self.down[y] {
            for (cell, value) in self.sums[r * GRID..(r + 1) * GRID].iter_mut().zip(&line) {
                for ch in 0..3 {
                    cell[ch] += value[ch] * weight;
                }
            }
        }
    }

    /// The fingerprint of the rows added (an image with rows missing is
    /// darker where they are).
    pub fn finish(&self) -> Fingerprint {
        let (w, h) = self.size;
        // Means in 8-bit levels: sums are colour × alpha (255²) over a cell's area.
        let area = (w as f64 / GRID as f64) * (h as f64 / GRID as f64) * 255.0;
        let mut cells = [[0u8; 3]; GRID * GRID];
        for (cell, sum) in cells.iter_mut().zip(&self.sums) {
            for ch in 0..3 {
                cell[ch] = if area > 0.0 { (sum[ch] / area).round().clamp(0.0, 255.0) as u8 } else { 0 };
            }
        }
        let mut coarse = [[0u8; 3]; 16];
        for (i, block) in coarse.iter_mut().enumerate() {
            let (br, bc) = (i / 4, i % 4);
            for ch in 0..3 {
                let mut total = 0u32;
                for r in 0..4 {
                    for c in 0..4 {
                        total += u32::from(cells[(br * 4 + r) * GRID + bc * 4 + c][ch]);
                    }
                }
                block[ch] = ((total + 8) / 16) as u8;
            }
        }
        Fingerprint { cells, coarse }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(image: &Image) -> Vec<u8> {
        crate::render::encode_png(image, crate::model::Compression::Fast).expect("encode")
    }

    #[test]
    fn decodes_indexed_to_the_same_pixels() {
        // Two colours: written with a palette, read back as RGB, then RGBA with a clear pixel.
        let mut opaque = Image::from_pixel(5, 3, image::Rgba([10, 20, 30, 255]));
        opaque.put_pixel(4, 2, image::Rgba([1, 2, 3, 255]));
        let d = decode(&encode(&opaque)).expect("decodes");
        assert_eq!((d.colour, d.channels), (png::ColorType::Indexed, 3));
        assert!(d.srgb && d.is_rgb8() && !d.is_blank());
        assert_eq!(d.fingerprint(), fingerprint(&opaque));
        assert_eq!(d.into_rgba(), opaque);
        let mut clear = opaque.clone();
        clear.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        let d = decode(&encode(&clear)).expect("decodes");
        assert_eq!((d.colour, d.channels), (png::ColorType::Indexed, 4));
        assert_eq!(d.into_rgba(), clear);
    }

    /// More than 256 colours: not indexed.
    fn many_colours(alpha: u8) -> Image {
        Image::from_fn(20, 20, |x, y| image::Rgba([x as u8 * 10, y as u8 * 10, (x * y) as u8, alpha]))
    }

    #[test]
    fn decodes_rgb_and_rgba_to_the_same_pixels() {
        let opaque = many_colours(255);
        let d = decode(&encode(&opaque)).expect("decodes");
        assert_eq!((d.colour, d.channels), (png::ColorType::Rgb, 3));
        assert!(d.srgb && d.is_rgb8() && !d.is_blank());
        assert_eq!(d.fingerprint(), fingerprint(&opaque));
        assert_eq!(d.into_rgba(), opaque);
        let mut clear = opaque.clone();
        clear.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        let d = decode(&encode(&clear)).expect("decodes");
        assert_eq!(d.colour, png::ColorType::Rgba);
        assert!(!d.is_blank());
        assert_eq!(d.into_rgba(), clear);
        let blank = decode(&encode(&Image::from_pixel(4, 4, image::Rgba([9, 9, 9, 9])))).expect("decodes");
        assert!(blank.is_blank());
        assert!(decode(b"not a png").is_err());
    }

    #[test]
    fn pixel_hashes_tell_one_pixel_apart() {
        let a = Image::from_pixel(64, 64, image::Rgba([100, 100, 100, 255]));
        let mut b = a.clone();
        b.put_pixel(63, 63, image::Rgba([100, 100, 101, 255]));
        assert_ne!(pixel_hash(&a), pixel_hash(&b));
        assert_eq!(pixel_hash(&a), pixel_hash(&a.clone()));
        // Same bytes, other shape.
        let c = Image::from_pixel(32, 128, image::Rgba([100, 100, 100, 255]));
        assert_ne!(pixel_hash(&a), pixel_hash(&c));
    }

    /// Fed row by row, or in pieces that cut words, the hash and the
    /// fingerprint are those of the whole image; a stored RGB image
    /// streamed as RGBA rows gives what its RGBA pixels give.
    #[test]
    fn streamed_hash_and_fingerprint_are_the_whole_image_s() {
        for (w, h) in [(7, 5), (33, 17), (16, 16), (1, 1)] {
            let img = Image::from_fn(w, h, |x, y| image::Rgba([(x * 7) as u8, (y * 13) as u8, (x ^ y) as u8, 255]));
            let mut hasher = PixelHasher::new((w, h));
            for piece in img.as_raw().chunks(3) {
                hasher.update(piece);
            }
            assert_eq!(hasher.finish(), pixel_hash(&img), "{w} x {h}");
            let mut sums = FingerprintSums::new((w, h));
            for row in img.as_raw().chunks_exact(w as usize * 4) {
                sums.add_row(row, 4);
            }
            assert_eq!(sums.finish(), fingerprint(&img), "{w} x {h}");
            let png = encode(&img);
            let mut rows = crate::png::stored_rows(&png).expect("decodes");
            let mut streamed = Vec::new();
            while let Some(row) = rows.next_row().expect("row") {
                streamed.extend_from_slice(row);
            }
            assert_eq!(streamed, *img.as_raw(), "{w} x {h}");
            assert_eq!(decode(&png).expect("decodes").fingerprint(), fingerprint(&img));
        }
    }

    proptest::proptest! {
        /// Sketches never rule out a pair of fingerprints within the
        /// limit, and their brightness differs by at most three times it.
        #[test]
        fn sketches_keep_every_pair_within_the_limit(
            cells in proptest::collection::vec(proptest::prelude::any::<[u8; 3]>(), GRID * GRID),
            moves in proptest::collection::vec(proptest::prelude::any::<[i8; 3]>(), GRID * GRID),
            limit in 0u8..12,
        ) {
            let mut a = Fingerprint { cells: [[0; 3]; GRID * GRID], coarse: [[0; 3]; 16] };
            a.cells.copy_from_slice(&cells);
            let mut b = a;
            for (cell, step) in b.cells.iter_mut().zip(&moves) {
                for ch in 0..3 {
                    let step = i16::from(step[ch]).rem_euclid(2 * i16::from(limit) + 1) - i16::from(limit);
                    cell[ch] = (i16::from(cell[ch]) + step).clamp(0, 255) as u8;
                }
            }
            proptest::prop_assert!(a.distance(&b) <= limit);
            let (sa, sb) = (a.sketch(), b.sketch());
            proptest::prop_assert!(sa.may_be_within(&sb, limit));
            proptest::prop_assert!((sa.brightness() - sb.brightness()).abs() <= 3.0 * f64::from(limit));
        }
    }

    #[test]
    fn sketches_rule_out_what_differs() {
        let img = Image::from_fn(64, 64, |x, y| image::Rgba([(x * 4) as u8, (y * 4) as u8, 90, 255]));
        let mut spot = img.clone();
        for (x, y) in (0..8).flat_map(|x| (0..8).map(move |y| (x, y))) {
            spot.put_pixel(x, y, image::Rgba([250, 250, 250, 255]));
        }
        let (f, g) = (fingerprint(&img), fingerprint(&spot));
        assert!(!f.within(&g, 6));
        assert!(!f.sketch().may_be_within(&g.sketch(), 6));
        assert!(f.sketch().may_be_within(&f.sketch(), 0));
    }

    #[test]
    fn fingerprints_survive_scaling_and_see_colour() {
        // A gradient with a red square.
        let img = Image::from_fn(256, 256, |x, y| {
            let inside = (64..128).contains(&x) && (96..160).contains(&y);
            if inside { image::Rgba([200, 40, 40, 255]) } else { image::Rgba([(x / 2) as u8, (y / 2) as u8, 90, 255]) }
        });
        let f = fingerprint(&img);
        for (size, at_most) in [(128, 8), (64, 16)] {
            let small = image::imageops::resize(&img, size, size, image::imageops::FilterType::Triangle);
            let d = f.distance(&fingerprint(&small));
            assert!(d <= at_most, "{size}: {d}");
        }
        // Pixel art scaled up by a whole factor: the same fingerprint.
        let tiny = Image::from_fn(24, 24, |x, y| image::Rgba([(x * 10) as u8, (y * 10) as u8, 7, 255]));
        let big = image::imageops::resize(&tiny, 384, 384, image::imageops::FilterType::Nearest);
        assert_eq!(fingerprint(&tiny), fingerprint(&big));
        // The square in another colour of the same brightness: far.
        let recoloured = Image::from_fn(256, 256, |x, y| {
            let p = *img.get_pixel(x, y);
            if p.0 == [200, 40, 40, 255] { image::Rgba([40, 40, 200, 255]) } else { p }
        });
        let g = fingerprint(&recoloured);
        assert!(f.distance(&g) > 100 && !f.within(&g, 3));
        // One pixel changed in 256 x 256: near.
        let mut dot = img.clone();
        dot.put_pixel(10, 10, image::Rgba([255, 255, 255, 255]));
        let d = fingerprint(&dot);
        assert!(f.distance(&d) <= 1 && f.within(&d, 1));
        // Tiny images and the empty image do not panic.
        let _ = fingerprint(&Image::from_pixel(3, 2, image::Rgba([1, 2, 3, 4])));
        assert_eq!(fingerprint(&Image::new(0, 0)).cells, [[0; 3]; GRID * GRID]);
    }
}
