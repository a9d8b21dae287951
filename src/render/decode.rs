//! Decoding art files into one pixel format.
//!
//! Artists export PNGs in every colour type: grey, grey with alpha, indexed
//! with a `tRNS` chunk, RGB, RGBA, at 1 to 16 bits per sample. Compositing is
//! written once, for 8-bit straight (not premultiplied) sRGB RGBA, so every
//! file is converted on load:
//!
//! - low bit depths, palettes and `tRNS` are expanded by the `png` crate
//!   (`Transformations::EXPAND`), exactly as PNG specifies;
//! - 16-bit samples become 8-bit by rounding, `round(v · 255 / 65535)`, so
//!   that a 16-bit file written as `v8 · 257` decodes to exactly `v8`;
//! - grey `g` becomes `(g, g, g)`; a missing alpha channel is 255.
//!
//! Colour-space chunks (`gAMA`, `cHRM`, `iCCP`) are ignored: art is taken to
//! be sRGB, as every tool that exports NFT layers writes it.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::RenderError;

/// A decoded image: 8-bit straight sRGB RGBA, row by row, no padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width · height · 4` bytes.
    pub rgba: Vec<u8>,
}

/// Reads and decodes the PNG at `full` (reported as `shown` in errors).
pub fn decode_file(full: &Path, shown: &Path) -> Result<Decoded, RenderError> {
    let art_error = |reason: String| RenderError::Art { path: shown.to_path_buf(), reason };
    let file = File::open(full).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => art_error("does not exist".into()),
        _ => art_error(format!("cannot be read ({e})")),
    })?;
    decode(BufReader::new(file)).map_err(art_error)
}

/// Decodes a PNG from memory.
pub fn decode_bytes(bytes: &[u8]) -> Result<Decoded, String> {
    decode(std::io::Cursor::new(bytes))
}

fn decode(reader: impl std::io::BufRead + std::io::Seek) -> Result<Decoded, String> {
    let mut decoder = png::Decoder::new(reader);
    decoder.set_transformations(png::Transformations::EXPAND);
    decoder.set_ignore_text_chunk(true);
    let mut reader = decoder.read_info().map_err(describe)?;
    let size = reader.output_buffer_size().ok_or_else(|| "is too large to decode".to_string())?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(describe)?;
    let (width, height) = (info.width, info.height);
    let pixels = width as usize * height as usize;
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err("has an indexed colour type that could not be expanded".into()),
    };
    let wide = match info.bit_depth {
        png::BitDepth::Eight => false,
        png::BitDepth::Sixteen => true,
        other => return Err(format!("has an unexpected bit depth after expansion ({other:?})")),
    };
    // One 8-bit sample per channel, rows without padding.
    let bytes_per_sample = if wide { 2 } else { 1 };
    let mut samples = Vec::with_capacity(pixels * channels);
    for row in buf.chunks(info.line_size).take(height as usize) {
        let row = row.get(..width as usize * channels * bytes_per_sample).ok_or("has a short row")?;
        if wide {
            samples.extend(row.chunks_exact(2).map(|s| {
                let v = u32::from(u16::from_be_bytes([s[0], s[1]]));
                ((v * 255 + 32767) / 65535) as u8
            }));
        } else {
            samples.extend_from_slice(row);
        }
    }
    let mut rgba = Vec::with_capacity(pixels * 4);
    match channels {
        1 => samples.iter().for_each(|&g| rgba.extend_from_slice(&[g, g, g, 255])),
        2 => samples.chunks_exact(2).for_each(|p| rgba.extend_from_slice(&[p[0], p[0], p[0], p[1]])),
        3 => samples.chunks_exact(3).for_each(|p| rgba.extend_from_slice(&[p[0], p[1], p[2], 255])),
        _ => rgba = samples,
    }
    if rgba.len() != pixels * 4 {
        return Err("is cut short".into());
    }
    Ok(Decoded { width, height, rgba })
}

/// A PNG decoding error as a phrase after "it" (`is not a valid PNG (…)`).
pub(crate) fn describe(e: png::DecodingError) -> String {
    match e {
        png::DecodingError::Format(e) => format!("is not a valid PNG ({e})"),
        png::DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "is not a PNG, or is cut short".into()
        }
        png::DecodingError::LimitsExceeded => "is too large to decode".into(),
        e => format!("cannot be decoded ({e})"),
    }
}
