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
//! Filtering is done here ([`super::filter`]) and the zlib stream is
//! written as one `IDAT` chunk; only fdeflate goes through the png crate's
//! own writer.
//!
//! The PNG is 8-bit RGB when every pixel is opaque (a quarter smaller before
//! compression, and what collections with a background produce), 8-bit RGBA
//! otherwise, with an `sRGB` chunk (perceptual intent) and nothing else: no
//! time stamps or text, so the same pixels always give the same bytes. Each
//! deflate implementation's output depends only on its version, and
//! libdeflate's is pinned (`libdeflater = "=1.26.1"`, libdeflate 1.26).

use std::cell::RefCell;

use image::imageops::FilterType;

use crate::model::{Compression, ResizeFilter};

pub use super::filter::Filter;
use super::filter::filter_image;
use super::{Image, RenderError};

/// Which deflate implementation compresses the filtered rows, at which level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deflate {
    /// fdeflate's ultra-fast mode, through the png crate.
    Fdeflate,
    /// zlib level 1–9 on zlib-rs, through the png crate.
    Zlib(u8),
    /// libdeflate level 1–12; this module filters the rows itself.
    Libdeflate(u8),
}

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

/// Whether every pixel of straight RGBA `raw` is opaque.
fn opaque(raw: &[u8]) -> bool {
    // 16 pixels at a time, without a branch per pixel.
    let blocks = raw.chunks_exact(64);
    let tail = blocks.remainder().iter().skip(3).step_by(4).all(|&a| a == 255);
    tail && blocks.fold(255u8, |m, b| b.iter().skip(3).step_by(4).fold(m, |m, &a| m & a)) == 255
}

/// RGBA row to RGB row.
fn rgba_to_rgb(rgba: &[u8], rgb: &mut [u8]) {
    for (d, s) in rgb.chunks_exact_mut(3).zip(rgba.chunks_exact(4)) {
        d.copy_from_slice(&s[..3]);
    }
}

/// Per-thread buffers and compressors, kept between images: a run encodes
/// thousands of images per thread, and a fresh multi-megabyte buffer costs
/// page faults every time.
#[derive(Default)]
struct Scratch {
    filtered: Vec<u8>,
    compressed: Vec<u8>,
    libdeflate: Vec<(u8, libdeflater::Compressor)>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Encodes with explicit settings (the levels are fixed choices of these;
/// the benchmark surveys the rest).
pub fn encode_with(image: &Image, deflate: Deflate, filter: Filter) -> Result<Vec<u8>, RenderError> {
    let (width, height) = image.dimensions();
    let raw = image.as_raw();
    let colour = if opaque(raw) { png::ColorType::Rgb } else { png::ColorType::Rgba };
    let bpp = colour.samples();
    let row_len = width as usize * bpp;
    let mut out = Vec::with_capacity(raw.len() / 8);
    let fail = |e: png::EncodingError| RenderError::Encode(e.to_string());
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(colour);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
    if deflate == Deflate::Fdeflate {
        // fdeflate is only reachable through the png crate's own writer.
        encoder.set_deflate_compression(png::DeflateCompression::FdeflateUltraFast);
        encoder.set_filter(match filter {
            Filter::None => png::Filter::NoFilter,
            Filter::Sub => png::Filter::Sub,
            Filter::Up => png::Filter::Up,
            Filter::Avg => png::Filter::Avg,
            Filter::Paeth => png::Filter::Paeth,
            Filter::Adaptive => png::Filter::Adaptive,
        });
        let mut writer = encoder.write_header().map_err(fail)?;
        if bpp == 4 {
            writer.write_image_data(raw).map_err(fail)?;
        } else {
            let mut rgb = vec![0; row_len * height as usize];
            rgba_to_rgb(raw, &mut rgb);
            writer.write_image_data(&rgb).map_err(fail)?;
        }
        writer.finish().map_err(fail)?;
        return Ok(out);
    }
    SCRATCH.with_borrow_mut(|scratch| {
        let Scratch { filtered, compressed, libdeflate } = scratch;
        let rgba_row = width as usize * 4;
        filter_image(
            filter,
            bpp,
            row_len,
            height as usize,
            |y, row| {
                let src = &raw[y * rgba_row..(y + 1) * rgba_row];
                if bpp == 4 { row.copy_from_slice(src) } else { rgba_to_rgb(src, row) }
            },
            filtered,
        );
        let stream = match deflate {
            Deflate::Libdeflate(level) => {
                let i = match libdeflate.iter().position(|(l, _)| *l == level) {
                    Some(i) => i,
                    None => {
                        let lvl = libdeflater::CompressionLvl::new(i32::from(level))
                            .map_err(|_| RenderError::Encode(format!("no libdeflate level {level}")))?;
                        libdeflate.push((level, libdeflater::Compressor::new(lvl)));
                        libdeflate.len() - 1
                    }
                };
                let compressor = &mut libdeflate[i].1;
                compressed.resize(compressor.zlib_compress_bound(filtered.len()), 0);
                let n = compressor
                    .zlib_compress(filtered, compressed)
                    .map_err(|e| RenderError::Encode(format!("libdeflate: {e:?}")))?;
                &compressed[..n]
            }
            Deflate::Zlib(_) | Deflate::Fdeflate => {
                let level = if let Deflate::Zlib(l) = deflate { u32::from(l.min(9)) } else { 1 };
                let mut z = flate2::Compress::new(flate2::Compression::new(level), true);
                compressed.clear();
                // Deflate's worst case is a few bytes per 16 KiB block over the input.
                compressed.reserve(filtered.len() + filtered.len() / 1000 + 64);
                match z.compress_vec(filtered, compressed, flate2::FlushCompress::Finish) {
                    Ok(flate2::Status::StreamEnd) => {}
                    other => return Err(RenderError::Encode(format!("zlib: {other:?}"))),
                }
                &compressed[..]
            }
        };
        let mut writer = encoder.write_header().map_err(fail)?;
        writer.write_chunk(png::chunk::IDAT, stream).map_err(fail)?;
        writer.finish().map_err(fail)
    })?;
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
