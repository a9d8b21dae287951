//! PNG encoding: 8-bit RGB or RGBA with an `sRGB` chunk, rows filtered here
//! ([`super::filter`]) and compressed by the deflate implementation asked
//! for ([`Deflate`]). The compression levels of the language are fixed
//! choices of these settings (`render::encode`, which says why).
//!
//! The PNG is 8-bit RGB when every pixel is opaque (a quarter smaller before
//! compression, and what collections with a background produce), 8-bit RGBA
//! otherwise, with an `sRGB` chunk (perceptual intent) and nothing else: no
//! time stamps or text, so the same pixels always give the same bytes. Each
//! deflate implementation's output depends only on its version, and
//! libdeflate's is pinned (`libdeflater = "=1.26.1"`, libdeflate 1.26).
//! Only fdeflate goes through the png crate's own writer; the others' zlib
//! stream is written as one `IDAT` chunk.

use std::cell::RefCell;

use image::RgbaImage;

pub use super::filter::Filter;
use super::filter::filter_image;

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
///
/// The error says what failed (the png crate's or a deflate library's message).
pub fn encode_with(image: &RgbaImage, deflate: Deflate, filter: Filter) -> Result<Vec<u8>, String> {
    let (width, height) = image.dimensions();
    let raw = image.as_raw();
    let colour = if opaque(raw) { png::ColorType::Rgb } else { png::ColorType::Rgba };
    let bpp = colour.samples();
    let row_len = width as usize * bpp;
    let mut out = Vec::with_capacity(raw.len() / 8);
    let fail = |e: png::EncodingError| e.to_string();
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
                            .map_err(|_| format!("no libdeflate level {level}"))?;
                        libdeflate.push((level, libdeflater::Compressor::new(lvl)));
                        libdeflate.len() - 1
                    }
                };
                let compressor = &mut libdeflate[i].1;
                compressed.resize(compressor.zlib_compress_bound(filtered.len()), 0);
                let n = compressor.zlib_compress(filtered, compressed).map_err(|e| format!("libdeflate: {e:?}"))?;
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
                    other => return Err(format!("zlib: {other:?}")),
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
