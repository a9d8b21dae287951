//! Writing images: PNG encoding at the collection's compression level, and
//! resizing to extra output sizes.
//!
//! Encoding dominates the cost of a run, so the levels were chosen by
//! measurement on realistic layers (see `benches/render.rs`):
//!
//! | level | deflate | row filter | size | time |
//! |---|---|---|---|---|
//! | `fast` | fdeflate's ultra-fast mode | Paeth | 1.39× | 5.7 ms |
//! | `balanced` | zlib level 6 on zlib-rs | Up | 0.97× | 58 ms |
//! | `small` | zlib level 9 on zlib-rs | adaptive | 0.87× | 770 ms |
//!
//! Sizes are relative to the png crate's default (miniz_oxide level 6,
//! adaptive filter: 365 KiB, 120 ms per 1024 × 1024 image of 8 layers on the
//! 2-core development machine). `balanced` is no larger than that default at
//! half its time; lower zlib levels were faster but larger than level 6
//! (level 5: +2 %, level 4: +6 %), and Up was the smallest filter at every
//! level. zlib-rs runs zlib's levels about twice as fast as miniz_oxide.
//!
//! The PNG is 8-bit RGB when every pixel is opaque (a quarter smaller before
//! compression, and what collections with a background produce), 8-bit RGBA
//! otherwise, with an `sRGB` chunk (perceptual intent) and nothing else: no
//! time stamps or text, so the same pixels always give the same bytes.

use image::imageops::FilterType;

use crate::check::{Compression, ResizeFilter};

use super::{Image, RenderError};

/// The deflate and filter settings of a compression level.
pub fn png_settings(level: Compression) -> (png::DeflateCompression, png::Filter) {
    match level {
        Compression::Fast => (png::DeflateCompression::FdeflateUltraFast, png::Filter::Paeth),
        Compression::Balanced => (png::DeflateCompression::Level(6), png::Filter::Up),
        Compression::Small => (png::DeflateCompression::Level(9), png::Filter::Adaptive),
    }
}

/// Encodes `image` as a PNG at `level`; see the module docs for the format.
pub fn encode_png(image: &Image, level: Compression) -> Result<Vec<u8>, RenderError> {
    let (deflate, filter) = png_settings(level);
    encode_with(image, deflate, filter)
}

/// Encodes with explicit png-crate settings (for measurements).
pub fn encode_with(
    image: &Image,
    deflate: png::DeflateCompression,
    filter: png::Filter,
) -> Result<Vec<u8>, RenderError> {
    let (width, height) = image.dimensions();
    let raw = image.as_raw();
    let opaque = raw.chunks_exact(4).all(|p| p[3] == 255);
    let rgb: Vec<u8>;
    let (data, colour) = if opaque {
        rgb = raw.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        (&rgb[..], png::ColorType::Rgb)
    } else {
        (&raw[..], png::ColorType::Rgba)
    };
    let mut out = Vec::with_capacity(data.len() / 3);
    let fail = |e: png::EncodingError| RenderError::Encode(e.to_string());
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(colour);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
    encoder.set_deflate_compression(deflate);
    encoder.set_filter(filter);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(data).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

/// Resizes `image` to `size` with `filter`.
///
/// Smooth filters work on premultiplied colour, so the colour of fully
/// transparent pixels never bleeds into the edges of what is visible; the
/// result is unpremultiplied again. Opaque images skip that step.
pub fn resize(image: &Image, size: (u32, u32), filter: ResizeFilter) -> Image {
    let filter = match filter {
        ResizeFilter::Nearest => FilterType::Nearest,
        ResizeFilter::Triangle => FilterType::Triangle,
        ResizeFilter::CatmullRom => FilterType::CatmullRom,
        ResizeFilter::Gaussian => FilterType::Gaussian,
        ResizeFilter::Lanczos3 => FilterType::Lanczos3,
    };
    if image.dimensions() == size {
        return image.clone();
    }
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
