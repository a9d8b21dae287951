//! Writing images: PNG encoding at the collection's compression level, and
//! resizing to extra output sizes.
//!
//! Encoding dominates the cost of a run, so the levels were chosen by
//! measurement on realistic layers (`DROPC_BENCH_SURVEY=1 cargo bench
//! --bench render`: fdeflate, zlib-rs levels 1–9 and libdeflate levels 1–12,
//! each with every row filter; CPU time per 1024 × 1024 image of 8 layers on
//! one core of the 2-core development machine, size per image):
//!
//! | level | deflate | row filter | size | time |
//! |---|---|---|---|---|
//! | `fast` | fdeflate's ultra-fast mode | Paeth | 498 KiB | 5.9 ms |
//! | `balanced` | zlib level 5 on zlib-rs (level 6 for indexed images, [`indexed_deflate`]) | first-channel entropy | 363 KiB | 28.2 ms |
//! | `small` | libdeflate level 10 | entropy | 293 KiB | 700 ms |
//!
//! `balanced` is the fastest setting whose output is no larger than what
//! zlib level 6 writes for the same images, as a studio meets it: Pillow's
//! `save(..., compress_level=6)`, which is zlib level 6 (the system's zlib
//! 1.2.13 here) with the `Z_FILTERED` strategy, memory level 9 and Pillow's
//! per-row filter choice (least sum of absolute values among None, Up, Sub
//! and Paeth). The reference was taken on exactly the images dropc renders:
//! the 300 tokens of the benchmark's collection written by `dropc run`,
//! each decoded and saved again by Pillow (`benches/pillow_baseline.py
//! --reference`): 111,672,926 bytes in all, 363.5 KiB per image (the same
//! rows with zlib's default strategy: 111,534,868 bytes). The same 300
//! images encoded at each candidate (`DROPC_BENCH_REFERENCE`, see
//! `benches/render.rs`; CPU ms per image, machine loaded, load 9–12 on 2
//! cores):
//!
//! | deflate | Up | adaptive (libpng's choice) | entropy |
//! |---|---|---|---|
//! | zlib-rs 5 | 25.8 ms, +1.13 % | 30.3 ms, +1.88 % | **36.4 ms, −0.11 %** |
//! | libdeflate 5 | 22.3 ms, +3.75 % | 25.5 ms, +5.13 % | 33.1 ms, +3.36 % |
//! | libdeflate 6 | 33.2 ms, +0.41 % | 41.0 ms, +1.58 % | 42.4 ms, −0.31 % |
//! | zlib-rs 6 (the previous `balanced`) | about 60 ms, −3.8 % | | |
//!
//! (sizes in total against Pillow's; since then the entropy choice counts
//! the five filtered rows in one loop into reused 16-bit tables, the same
//! choices in 31.9 ms at zlib-rs 5 against 27.2 ms with Up alone, load 6–7;
//! 33–34 ms with eight tables per row, 36.4 ms with four). Only the entropy choice
//! ([`Filter::Entropy`]: per row, the filter type whose bytes have the least
//! order-0 entropy) brings a setting faster than zlib-rs 6 to Pillow's size:
//! zlib-rs 5 with it is 0.11 % smaller than Pillow in total (0.02 % larger
//! than zlib's default strategy would be), though larger on 132 of the 300
//! images (at worst by 1.96 %); libdeflate 6 with it is 0.31 % smaller in
//! 6 ms more. Also tried on these images and dropped: the entropy choice
//! among Sub, Up and Paeth only (zlib-rs 5: 32.0 ms, +0.12 %; the rows
//! where None or Avg win matter), and the entropy judged on every fourth
//! pixel of a row (larger than the full choice at every level, and no
//! cheaper as written).
//!
//! `balanced` then moved from the entropy choice to
//! [`Filter::FirstChannelEntropy`]: the same choice judged on the first
//! byte of each pixel alone (red), a third of the bytes to filter and
//! count five times, the chosen type filtering the whole row once. On the
//! same 300 images it is smaller still: 111,496,083 bytes, −0.16 % against
//! Pillow (larger than Pillow's file on 129 images, at worst by 2.49 %),
//! and filtering with the choice takes 3.96 ms per image instead of 7.23
//! (one core, 40 of the images, each setting in turn on each image, load
//! about 5; the whole encoding 28.2 ms instead of 31.6, the Up filter
//! alone 25.0). Other cheaper estimates tried on the 300 images (zlib-rs
//! 5, total against Pillow): the entropy of the green byte alone −0.02 %,
//! of the blue −0.03 % (red's −0.16 % is partly this collection's luck;
//! each channel alone is within Pillow's size); of every second byte
//! +0.05 %, of every fourth +0.28 %, of every second pixel's three bytes
//! +0.26 %, of every second pixel's red +0.30 %; the five types ranked by
//! their sum of absolute values and the entropy counted for the best two
//! only +1.07 %, the best three +0.74 %. So a cheaper choice has to see
//! every pixel, and one byte of each is enough. On the `neon-apes`
//! example (200 images of 256 × 256) it is 4,819,199 bytes against
//! Pillow's 4,821,257 (−0.04 %; the full entropy choice −0.55 %).
//!
//! On smooth, textured layers Up keeps long matches between successive rows
//! that a per-row choice can break; only a deep match search (zlib-rs 6,
//! libdeflate 7 and up) makes Up the smaller, which is why the previous
//! `balanced` was zlib-rs 6 with Up (347 KiB in about 60 ms): 3.8 % smaller
//! than the reference, at twice the time. Earlier surveys also tried and
//! dropped the previous row's type favoured by 1/32 (within 0.3 % of the
//! plain entropy choice), one type for the whole image by the entropy of
//! every 8th row (it picks Paeth, 3–4 % larger than Up), a running order-0
//! model of the bytes chosen so far (24 % larger), zlib-rs's other
//! strategies (filtered, RLE), a 16 KiB window and memory level 9.
//!
//! For `small` the entropy choice is kept: at libdeflate 10 it is the
//! smallest filter (293 KiB against Up's 294 KiB and adaptive's 297 KiB on
//! the 16 images), in the same time (739 ms against 757 ms, within the
//! noise), its trial histograms being 1 % of that level's work.
//!
//! In a whole `dropc run` of the benchmark's 300 tokens, with the entropy
//! choice on every byte, the encoder was about 32 of the 36–37 ms of CPU
//! per image (by the profile: deflate 66 %, the row filters and the
//! entropy choice 19 %, the rest decoding the art, compositing, SHA-256,
//! copies and the kernel), 3.9–4.2 times a two-worker Pillow script
//! writing zlib level 6 (4.5 times is 56–62 images/s on the 2 cores
//! against the 12.0–13.8 Pillow made, 32–35 ms of CPU per image for the
//! whole run). The first-channel choice takes about 7 % off the run's CPU
//! time (36.4 against 39.0 ms per image, loaded; the choice itself 3.3 ms
//! cheaper): about 4.2–4.6 times by that sitting's figures, not yet
//! measured quietly. Deflate is now about 69 %
//! of the run and the entropy count 7 %; no faster deflate setting is as
//! small (the table above; zlib-rs level 4 is 5.1 % larger, and the
//! parameters between levels 4 and 5 are not reachable through flate2).
//! README.md's Performance section has the figures of each sitting.
//!
//! The encoder itself (filtering, deflate, the bytes of the file) is
//! [`crate::png::encode`].

use image::imageops::FilterType;

use crate::model::{Compression, ResizeFilter};
pub use crate::png::{Deflate, Filter};

use super::{Image, RenderError};

/// The deflate and filter settings of a compression level.
pub fn settings(level: Compression) -> (Deflate, Filter) {
    match level {
        Compression::Fast => (Deflate::Fdeflate, Filter::Paeth),
        Compression::Balanced => (Deflate::Zlib(5), Filter::FirstChannelEntropy),
        Compression::Small => (Deflate::Libdeflate(10), Filter::Entropy),
    }
}

/// The deflate setting of an image of at most 256 colours, written indexed
/// with unfiltered rows, at `level`: as [`settings`] but for `balanced`,
/// which keeps zlib level 6 there. Indexed rows are a quarter of the RGBA
/// bytes or less, so level 6 costs little (pixel art upscaled to
/// 1024 × 1024: about 2 ms), and level 5 made those files about two
/// thirds larger (5 KiB per image instead of 3 KiB on the benchmark's).
pub fn indexed_deflate(level: Compression) -> Deflate {
    match level {
        Compression::Balanced => Deflate::Zlib(6),
        other => settings(other).0,
    }
}

/// Encodes `image` as a PNG at `level`; see the module docs for the format.
pub fn encode_png(image: &Image, level: Compression) -> Result<Vec<u8>, RenderError> {
    crate::png::encode_choosing(image, settings(level), indexed_deflate(level)).map_err(RenderError::Encode)
}

/// Encodes with explicit settings (the levels are fixed choices of these;
/// the benchmark surveys the rest).
pub fn encode_with(image: &Image, deflate: Deflate, filter: Filter) -> Result<Vec<u8>, RenderError> {
    crate::png::encode_with(image, deflate, filter).map_err(RenderError::Encode)
}

/// Resizes `image` to `size` with `filter`.
///
/// Smooth filters work on premultiplied colour, so the colour of fully
/// transparent pixels never bleeds into the edges of what is visible; the
/// result is unpremultiplied again. The premultiplied colour is kept in
/// `f32`, so every output pixel is within one level per channel of the
/// exact straight-alpha result of the filter (tested against an `f64`
/// reference). Opaque images skip that step.
///
/// The pixel-art filters `scale2x`, `scale3x` and `scale4x` ([`super::scale`])
/// enlarge by their factor; a size that is not exactly that factor times the
/// image is reached from the enlarged image with nearest neighbour, and a
/// size no larger than the image with nearest neighbour alone.
pub fn resize(image: &Image, size: (u32, u32), filter: ResizeFilter) -> Image {
    if image.dimensions() == size {
        return image.clone();
    }
    let filter = match filter {
        ResizeFilter::Nearest => FilterType::Nearest,
        ResizeFilter::Triangle => FilterType::Triangle,
        ResizeFilter::CatmullRom => FilterType::CatmullRom,
        ResizeFilter::Gaussian => FilterType::Gaussian,
        ResizeFilter::Lanczos3 => FilterType::Lanczos3,
        ResizeFilter::Scale2x | ResizeFilter::Scale3x | ResizeFilter::Scale4x => {
            if size.0 <= image.width() && size.1 <= image.height() {
                return image::imageops::resize(image, size.0, size.1, FilterType::Nearest);
            }
            let scaled = match filter {
                ResizeFilter::Scale3x => super::scale::scale3x(image),
                ResizeFilter::Scale4x => super::scale::scale2x(&super::scale::scale2x(image)),
                _ => super::scale::scale2x(image),
            };
            if scaled.dimensions() == size {
                return scaled;
            }
            return image::imageops::resize(&scaled, size.0, size.1, FilterType::Nearest);
        }
    };
    if crate::png::opaque(image.as_raw()) || filter == FilterType::Nearest {
        return image::imageops::resize(image, size.0, size.1, filter);
    }
    resize_premultiplied(image, size, filter)
}

/// A smooth resize of translucent `image`: premultiplied in `f32` (channels
/// in 0–1), resampled, clamped by the filter to 0–1, and unpremultiplied
/// with one rounding at the end. Premultiplying in 8 bits instead would
/// round away the colour of low-alpha pixels (at alpha 1 every channel
/// becomes 0 or 255).
fn resize_premultiplied(image: &Image, size: (u32, u32), filter: FilterType) -> Image {
    let (width, height) = image.dimensions();
    let mut pre = image::Rgba32FImage::new(width, height);
    for (d, s) in pre.chunks_exact_mut(4).zip(image.as_raw().chunks_exact(4)) {
        let a = f32::from(s[3]) / 255.0;
        for (d, &c) in d.iter_mut().zip(&s[..3]) {
            *d = f32::from(c) / 255.0 * a;
        }
        d[3] = a;
    }
    let resized = image::imageops::resize(&pre, size.0, size.1, filter);
    let mut out = Image::new(size.0, size.1);
    for (d, s) in out.chunks_exact_mut(4).zip(resized.chunks_exact(4)) {
        let alpha = (s[3] * 255.0).round();
        if alpha < 1.0 {
            continue; // clear, stored as (0, 0, 0, 0)
        }
        for (d, &c) in d.iter_mut().zip(&s[..3]) {
            // Ringing filters can leave colour above alpha: clamp to white.
            *d = ((c / s[3]).min(1.0) * 255.0).round() as u8;
        }
        d[3] = alpha as u8;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The image crate's kernel of `filter` and its support, in `f64`.
    fn kernel(filter: ResizeFilter) -> (fn(f64) -> f64, f64) {
        fn sinc(t: f64) -> f64 {
            if t == 0.0 { 1.0 } else { (t * std::f64::consts::PI).sin() / (t * std::f64::consts::PI) }
        }
        match filter {
            ResizeFilter::Triangle => (|x: f64| (1.0 - x.abs()).max(0.0), 1.0),
            ResizeFilter::CatmullRom => (
                |x: f64| {
                    // Mitchell–Netravali with b = 0, c = 0.5.
                    let a = x.abs();
                    if a < 1.0 {
                        (9.0 * a.powi(3) - 15.0 * a.powi(2) + 6.0) / 6.0
                    } else if a < 2.0 {
                        (-3.0 * a.powi(3) + 15.0 * a.powi(2) - 24.0 * a + 12.0) / 6.0
                    } else {
                        0.0
                    }
                },
                2.0,
            ),
            ResizeFilter::Gaussian => {
                (|x: f64| (-x * x / (2.0 * 0.25)).exp() / ((2.0 * std::f64::consts::PI).sqrt() * 0.5), 3.0)
            }
            ResizeFilter::Lanczos3 => (|x: f64| if x.abs() < 3.0 { sinc(x) * sinc(x / 3.0) } else { 0.0 }, 3.0),
            other => panic!("{other:?} is not smooth"),
        }
    }

    /// For each output position of `from → to` samples, the first input
    /// sample and the normalised weights (the image crate's placement).
    fn weights(from: u32, to: u32, filter: ResizeFilter) -> Vec<(usize, Vec<f64>)> {
        let (k, support) = kernel(filter);
        let ratio = f64::from(from) / f64::from(to);
        let sratio = ratio.max(1.0);
        (0..to)
            .map(|o| {
                let centre = (f64::from(o) + 0.5) * ratio;
                let left = ((centre - support * sratio).floor() as i64).clamp(0, i64::from(from) - 1);
                let right = ((centre + support * sratio).ceil() as i64).clamp(left + 1, i64::from(from));
                let ws: Vec<f64> = (left..right).map(|i| k((i as f64 - (centre - 0.5)) / sratio)).collect();
                let sum: f64 = ws.iter().sum();
                (left as usize, ws.into_iter().map(|w| w / sum).collect())
            })
            .collect()
    }

    /// The exact straight-alpha result in `f64`: premultiplied, columns
    /// then rows, clamped to 0–1, unpremultiplied; alpha and channels
    /// before rounding (channels `None` where alpha rounds to 0).
    fn reference(image: &Image, size: (u32, u32), filter: ResizeFilter) -> Vec<(f64, Option<[f64; 3]>)> {
        let (w, h) = (image.width() as usize, image.height() as usize);
        let pre: Vec<[f64; 4]> = image
            .pixels()
            .map(|p| {
                let a = f64::from(p[3]) / 255.0;
                [f64::from(p[0]) / 255.0 * a, f64::from(p[1]) / 255.0 * a, f64::from(p[2]) / 255.0 * a, a]
            })
            .collect();
        let mut columns = vec![[0.0; 4]; w * size.1 as usize];
        for (oy, (top, ws)) in weights(h as u32, size.1, filter).into_iter().enumerate() {
            for x in 0..w {
                for (i, wt) in ws.iter().enumerate() {
                    let p = pre[(top + i) * w + x];
                    for (t, v) in columns[oy * w + x].iter_mut().zip(p) {
                        *t += wt * v;
                    }
                }
            }
        }
        let mut out = Vec::new();
        let rows = weights(w as u32, size.0, filter);
        for oy in 0..size.1 as usize {
            for (left, ws) in &rows {
                let mut t = [0.0; 4];
                for (i, wt) in ws.iter().enumerate() {
                    for (t, v) in t.iter_mut().zip(columns[oy * w + left + i]) {
                        *t += wt * v;
                    }
                }
                let t = t.map(|v: f64| v.clamp(0.0, 1.0));
                let alpha = t[3] * 255.0;
                let colour = (alpha.round() >= 1.0).then(|| [0, 1, 2].map(|c| (t[c] / t[3]).min(1.0) * 255.0));
                out.push((alpha, colour));
            }
        }
        out
    }

    /// Random translucent pixels, most of them of low alpha.
    fn translucent(w: u32, h: u32, seed: u32) -> Image {
        let mut s = seed;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        Image::from_fn(w, h, |_, _| {
            let r = next();
            let alpha = match r % 4 {
                0 => (r >> 8) as u8 % 4,
                1 => (r >> 8) as u8 % 16,
                2 => (r >> 8) as u8,
                _ => 255,
            };
            let c = next().to_le_bytes();
            image::Rgba([c[0], c[1], c[2], alpha])
        })
    }

    const SMOOTH: [ResizeFilter; 4] =
        [ResizeFilter::Triangle, ResizeFilter::CatmullRom, ResizeFilter::Gaussian, ResizeFilter::Lanczos3];

    #[test]
    fn smooth_resize_of_translucent_images_is_within_a_level_of_exact() {
        let mut compared = 0;
        for (seed, (from, to)) in
            [((23, 17), (9, 31)), ((40, 40), (13, 13)), ((7, 5), (20, 16)), ((64, 3), (16, 7))].into_iter().enumerate()
        {
            let image = translucent(from.0, from.1, 0x9e37_79b9 + seed as u32);
            for filter in SMOOTH {
                let out = resize(&image, to, filter);
                assert_eq!(out.dimensions(), to);
                for (p, (alpha, colour)) in out.pixels().zip(reference(&image, to, filter)) {
                    assert!(
                        (f64::from(p[3]) - alpha).abs() <= 1.0,
                        "{filter:?} {from:?}→{to:?}: alpha {p:?} vs {alpha}"
                    );
                    if let (Some(colour), true) = (colour, p[3] >= 1) {
                        for (&got, want) in p.0.iter().zip(colour) {
                            let d = (f64::from(got) - want).abs();
                            assert!(d <= 1.0, "{filter:?} {from:?}→{to:?}: {p:?} vs {colour:?} (alpha {alpha})");
                        }
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 2000, "{compared} translucent pixels compared");
    }

    #[test]
    fn low_alpha_keeps_its_colour() {
        // Premultiplied in 8 bits, (107, 193, 192, 1) became (0, 255, 255, 1).
        for px in [[107, 193, 192, 1], [255, 128, 1, 1], [10, 20, 30, 3]] {
            let image = Image::from_pixel(6, 6, image::Rgba(px));
            for filter in SMOOTH {
                for size in [(3, 3), (11, 8)] {
                    let out = resize(&image, size, filter);
                    assert!(out.pixels().all(|p| p.0 == px), "{filter:?} {size:?}: {:?}", out.get_pixel(0, 0));
                }
            }
        }
    }
}
