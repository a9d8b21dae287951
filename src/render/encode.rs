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
//! | `balanced` | zlib level 6 on zlib-rs | Up | 347 KiB | 57 ms |
//! | `small` | libdeflate level 10 | Up | 294 KiB | 700 ms |
//!
//! Nothing available reaches the size of zlib level 6 faster. On this kind
//! of image libdeflate is larger than zlib-rs at equal time (survey of 4
//! images, Up filter: zlib 6 352 KiB in 59 ms; libdeflate 6 368 KiB in
//! 34 ms, 7 354 KiB in 68 ms, 8 339 KiB in 184 ms, 9 333 KiB in 322 ms),
//! lower zlib levels are larger (level 5: 370 KiB in 27 ms), and a one-off
//! trial of zlib-rs's other strategies (filtered, RLE), a 16 KiB window and
//! memory level 9 found nothing better either.
//! For `small`, libdeflate 10 is 7 % smaller than zlib 9 (319 KiB with the
//! adaptive filter, 730 ms, the previous choice) in the same time; levels
//! 11 and 12 save 2 % more in 1.7 and 2.2 times the time. Up is the
//! smallest filter at nearly every level, smaller than the adaptive per-row
//! choice (minimum sum of absolute differences).
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
        Compression::Balanced => (Deflate::Zlib(6), Filter::Up),
        Compression::Small => (Deflate::Libdeflate(10), Filter::Up),
    }
}

/// Encodes `image` as a PNG at `level`; see the module docs for the format.
pub fn encode_png(image: &Image, level: Compression) -> Result<Vec<u8>, RenderError> {
    let (deflate, filter) = settings(level);
    encode_with(image, deflate, filter)
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
/// result is unpremultiplied again. Opaque images skip that step.
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
    let opaque = image.as_raw().chunks_exact(4).all(|p| p[3] == 255);
    if opaque || filter == FilterType::Nearest {
        return image::imageops::resize(image, size.0, size.1, filter);
    }
    let mut pre = image.clone();
    for p in pre.chunks_exact_mut(4) {
        let a = u16::from(p[3]);
        for c in &mut p[..3] {
            *c = super::blend::div255(u16::from(*c) * a) as u8;
        }
    }
    let mut out = image::imageops::resize(&pre, size.0, size.1, filter);
    super::unpremultiply(&mut out);
    out
}
