//! PNG encoding: indexed colour, 8-bit RGB or 8-bit RGBA with an `sRGB`
//! chunk, rows filtered here ([`super::filter`]) and compressed by the
//! deflate implementation asked for ([`Deflate`]). The compression levels of
//! the language are fixed choices of these settings (`render::encode`, which
//! says why).
//!
//! The PNG is indexed when the image has at most 256 colours
//! ([`super::palette`]: lossless, 1 to 8 bits per pixel, `tRNS` for colours
//! that are not opaque, rows unfiltered as PNG recommends for palettes);
//! otherwise 8-bit RGB when every pixel is opaque (a quarter smaller before
//! compression, and what collections with a background produce), 8-bit RGBA
//! otherwise. Every file has an `sRGB` chunk (perceptual intent) and nothing else: no
//! time stamps or text, so the same pixels always give the same bytes. Each
//! deflate implementation's output depends only on its version, and
//! libdeflate's is pinned (`libdeflater = "=1.26.1"`, libdeflate 1.26).
//! Neither depends on the CPU: zlib-rs picks SIMD code at run time only for
//! comparing match lengths, sliding its hash table and checksums, libdeflate
//! only for checksums (its match finder's SIMD is chosen at compile time),
//! and each variant computes the same values as the portable code. The row
//! filters and the per-row choices ([`Filter::Adaptive`],
//! [`Filter::Entropy`], [`Filter::FirstChannelEntropy`], in integer
//! arithmetic) are this crate's own code.
//! Which setting each compression level uses, and the measurements behind
//! the choice, are in `render::encode`.
//! Only fdeflate goes through the png crate's own writer; the others' zlib
//! stream is written as one `IDAT` chunk.

use std::cell::RefCell;

use image::RgbaImage;

pub use super::filter::Filter;
use super::filter::filter_image;
use super::palette::Indexed;

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
pub fn opaque(raw: &[u8]) -> bool {
    // The AND of every pixel as a little-endian word has alpha 255 in its
    // top byte only if every alpha is 255: a loop without a branch per
    // pixel that the compiler vectorises, stopping at the first block of
    // 4 KiB with a translucent pixel.
    let and =
        |block: &[u8]| block.chunks_exact(4).fold(u32::MAX, |m, p| m & u32::from_le_bytes([p[0], p[1], p[2], p[3]]));
    raw.chunks(4096).all(|block| and(block) >> 24 == 255)
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
    /// zlib-rs streams by level, reset between images: a new one allocates
    /// (and the kernel zeroes) about 300 KiB of tables every time. A reset
    /// stream writes the same bytes as a new one (tested).
    zlib: Vec<(u32, flate2::Compress)>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Encodes with explicit settings (the levels are fixed choices of these;
/// the benchmark surveys the rest).
///
/// The error says what failed (the png crate's or a deflate library's message).
pub fn encode_with(image: &RgbaImage, deflate: Deflate, filter: Filter) -> Result<Vec<u8>, String> {
    encode_choosing(image, (deflate, filter), deflate)
}

/// [`encode_with`] with a deflate setting of its own for indexed images
/// (`indexed`; their rows are not filtered), `truecolour` for the others.
pub fn encode_choosing(image: &RgbaImage, truecolour: (Deflate, Filter), indexed: Deflate) -> Result<Vec<u8>, String> {
    if let Some(palette) = super::palette::index(image.as_raw()) {
        let (width, height) = image.dimensions();
        return encode_indexed(&palette, width, height, indexed);
    }
    encode_truecolour_with(image, truecolour.0, truecolour.1)
}

/// [`encode_with`] without the palette: 8-bit RGB when every pixel is
/// opaque, 8-bit RGBA otherwise, whatever the number of colours (what the
/// benchmark compares indexed colour with).
pub fn encode_truecolour_with(image: &RgbaImage, deflate: Deflate, filter: Filter) -> Result<Vec<u8>, String> {
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
            Filter::Adaptive | Filter::Entropy | Filter::FirstChannelEntropy => png::Filter::Adaptive,
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
    let rgba_row = width as usize * 4;
    write_idat(encoder, deflate, filter, bpp, row_len, height as usize, |y, row| {
        let src = &raw[y * rgba_row..(y + 1) * rgba_row];
        if bpp == 4 { row.copy_from_slice(src) } else { rgba_to_rgb(src, row) }
    })?;
    Ok(out)
}

/// Writes `encoder`'s header, then the image as one `IDAT` chunk: `height`
/// rows of `row_len` bytes (`bpp` bytes per pixel) read by `row` (as in
/// [`filter_image`]), filtered with `filter` and compressed with `deflate`
/// (not fdeflate, which only the png crate's writer reaches), then the end
/// of the file.
fn write_idat(
    encoder: png::Encoder<'_, &mut Vec<u8>>,
    deflate: Deflate,
    filter: Filter,
    bpp: usize,
    row_len: usize,
    height: usize,
    row: impl FnMut(usize, &mut [u8]),
) -> Result<(), String> {
    let fail = |e: png::EncodingError| e.to_string();
    SCRATCH.with_borrow_mut(|scratch| {
        let Scratch { filtered, compressed, libdeflate, zlib } = scratch;
        filter_image(filter, bpp, row_len, height, row, filtered);
        let stream = compress(deflate, filtered, compressed, libdeflate, zlib)?;
        let mut writer = encoder.write_header().map_err(fail)?;
        writer.write_chunk(png::chunk::IDAT, stream).map_err(fail)?;
        writer.finish().map_err(fail)
    })
}

/// The zlib stream of `filtered` rows with `deflate` (not fdeflate, which
/// only the png crate's writer reaches), in `compressed`.
fn compress<'a>(
    deflate: Deflate,
    filtered: &[u8],
    compressed: &'a mut Vec<u8>,
    libdeflate: &mut Vec<(u8, libdeflater::Compressor)>,
    zlib: &mut Vec<(u32, flate2::Compress)>,
) -> Result<&'a [u8], String> {
    match deflate {
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
            Ok(&compressed[..n])
        }
        Deflate::Zlib(_) | Deflate::Fdeflate => {
            let level = if let Deflate::Zlib(l) = deflate { u32::from(l.min(9)) } else { 1 };
            let i = match zlib.iter().position(|(l, _)| *l == level) {
                Some(i) => {
                    zlib[i].1.reset();
                    i
                }
                None => {
                    zlib.push((level, flate2::Compress::new(flate2::Compression::new(level), true)));
                    zlib.len() - 1
                }
            };
            let z = &mut zlib[i].1;
            compressed.clear();
            // Deflate's worst case is a few bytes per 16 KiB block over the input.
            compressed.reserve(filtered.len() + filtered.len() / 1000 + 64);
            match z.compress_vec(filtered, compressed, flate2::FlushCompress::Finish) {
                Ok(flate2::Status::StreamEnd) => Ok(&compressed[..]),
                other => Err(format!("zlib: {other:?}")),
            }
        }
    }
}

/// An indexed PNG of `indexed`, `width × height`, rows unfiltered.
fn encode_indexed(indexed: &Indexed, width: u32, height: u32, deflate: Deflate) -> Result<Vec<u8>, String> {
    let depth = indexed.depth();
    let row_len = (width as usize * usize::from(depth)).div_ceil(8);
    let mut out = Vec::with_capacity(indexed.indices.len() / 8 + 1024);
    let fail = |e: png::EncodingError| e.to_string();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(match depth {
        1 => png::BitDepth::One,
        2 => png::BitDepth::Two,
        4 => png::BitDepth::Four,
        _ => png::BitDepth::Eight,
    });
    encoder.set_palette(indexed.plte());
    if let Some(trns) = indexed.trns() {
        encoder.set_trns(trns);
    }
    encoder.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
    if deflate == Deflate::Fdeflate {
        encoder.set_deflate_compression(png::DeflateCompression::FdeflateUltraFast);
        encoder.set_filter(png::Filter::NoFilter);
        let mut packed = vec![0u8; row_len * height as usize];
        for (y, row) in packed.chunks_exact_mut(row_len.max(1)).enumerate() {
            indexed.pack_row(width as usize, y, row);
        }
        let mut writer = encoder.write_header().map_err(fail)?;
        writer.write_image_data(&packed).map_err(fail)?;
        writer.finish().map_err(fail)?;
        return Ok(out);
    }
    write_idat(encoder, deflate, Filter::None, 1, row_len, height as usize, |y, row| {
        indexed.pack_row(width as usize, y, row)
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes `rgba` (`w × h`) at every setting and decodes it back.
    fn round_trip(rgba: &[u8], w: u32, h: u32) -> Vec<(Deflate, png::ColorType, png::BitDepth)> {
        let image = RgbaImage::from_raw(w, h, rgba.to_vec()).expect("size");
        let mut kinds = Vec::new();
        for deflate in [Deflate::Fdeflate, Deflate::Zlib(6), Deflate::Libdeflate(6)] {
            let png = encode_with(&image, deflate, Filter::Up).expect("encodes");
            let decoded = super::super::decode_bytes(&png).expect("decodes");
            assert_eq!((decoded.width, decoded.height), (w, h));
            assert!(decoded.rgba == rgba, "{deflate:?}: pixels changed");
            let stored = super::super::decode_stored(&png).expect("decodes stored");
            assert!(stored.srgb);
            kinds.push((deflate, stored.colour, stored.depth));
        }
        kinds
    }

    fn noise(n: usize, colours: u32, seed: u32) -> Vec<u8> {
        let mut s = seed;
        (0..n)
            .flat_map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let c = s % colours;
                // Translucent and clear colours among them, clear ones with colour.
                [(c * 37) as u8, (c * 91) as u8, (c * 13) as u8, [255, 255, 0, 128, 1][(c % 5) as usize]]
            })
            .collect()
    }

    #[test]
    fn few_colours_are_indexed_at_the_smallest_depth_and_round_trip() {
        for (colours, depth) in [
            (1, png::BitDepth::One),
            (2, png::BitDepth::One),
            (3, png::BitDepth::Two),
            (4, png::BitDepth::Two),
            (5, png::BitDepth::Four),
            (16, png::BitDepth::Four),
            (17, png::BitDepth::Eight),
            (256, png::BitDepth::Eight),
        ] {
            // Odd widths: rows end inside a byte at low depths.
            for (w, h) in [(1, 1), (7, 3), (33, 17)] {
                let rgba = noise((w * h) as usize, colours, 0x9e37_79b9 ^ colours);
                let distinct: std::collections::BTreeSet<&[u8]> = rgba.chunks_exact(4).collect();
                for (deflate, colour, d) in round_trip(&rgba, w, h) {
                    assert_eq!(colour, png::ColorType::Indexed, "{colours} colours, {deflate:?}");
                    let want = if distinct.len() <= 2 { png::BitDepth::One } else { depth };
                    if distinct.len() == colours as usize {
                        assert_eq!(d, want, "{colours} colours at {w}x{h}, {deflate:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn many_colours_stay_rgb_or_rgba() {
        // 1,600 distinct colours, some translucent.
        let mut rgba: Vec<u8> =
            (0..40 * 40u32).flat_map(|i| [i as u8, (i >> 8) as u8, 7, (i % 3 * 100) as u8]).collect();
        for (deflate, colour, depth) in round_trip(&rgba, 40, 40) {
            assert_eq!((colour, depth), (png::ColorType::Rgba, png::BitDepth::Eight), "{deflate:?}");
        }
        rgba.chunks_exact_mut(4).for_each(|p| p[3] = 255);
        for (deflate, colour, _) in round_trip(&rgba, 40, 40) {
            assert_eq!(colour, png::ColorType::Rgb, "{deflate:?}");
        }
    }

    #[test]
    fn one_translucent_pixel_anywhere_is_seen() {
        // Across the 4 KiB blocks, at their edges and in a last short block;
        // colour bytes of 0 beside alpha 255 do not count.
        let pixels = 3 * 1024 + 7;
        let mut raw: Vec<u8> = (0..pixels).flat_map(|i| [0, (i % 251) as u8, 0, 255]).collect();
        assert!(opaque(&raw));
        assert!(opaque(&[]));
        for at in [0, 1, 1023, 1024, 1025, 2047, 2048, pixels - 1] {
            for alpha in [0, 1, 127, 254] {
                raw[at * 4 + 3] = alpha;
                assert!(!opaque(&raw), "pixel {at} alpha {alpha}");
            }
            raw[at * 4 + 3] = 255;
            assert!(opaque(&raw));
        }
    }

    #[test]
    fn a_reused_zlib_stream_writes_what_a_new_one_writes() {
        // Each image compressed by a fresh stream, against the thread's
        // streams reused (reset) across images of different sizes and levels.
        let images: Vec<RgbaImage> = [(40, 40, 1), (9, 9, 2), (64, 30, 3), (40, 40, 4)]
            .into_iter()
            .map(|(w, h, seed)| {
                let mut rgba = noise((w * h) as usize, 5000, seed);
                rgba.iter_mut().enumerate().for_each(|(i, b)| *b = b.wrapping_add((i / 97) as u8));
                RgbaImage::from_raw(w, h, rgba).expect("size")
            })
            .collect();
        for level in [5, 6, 5] {
            for image in &images {
                let reused = encode_with(image, Deflate::Zlib(level), Filter::Entropy).expect("encodes");
                // A fresh stream on a thread of its own (nothing kept yet).
                let copy = image.clone();
                let fresh = std::thread::spawn(move || encode_with(&copy, Deflate::Zlib(level), Filter::Entropy))
                    .join()
                    .expect("thread")
                    .expect("encodes");
                assert_eq!(reused, fresh, "level {level}");
            }
        }
    }

    #[test]
    fn same_pixels_same_bytes() {
        let image = RgbaImage::from_raw(9, 9, noise(81, 12, 3)).expect("size");
        let a = encode_with(&image, Deflate::Libdeflate(6), Filter::Up).expect("encodes");
        let b = encode_with(&image, Deflate::Libdeflate(6), Filter::Up).expect("encodes");
        assert_eq!(a, b);
    }
}
