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
//! Colour-space chunks (`gAMA`, `cHRM`, `iCCP`) are ignored here: what a
//! file declares is read by [`info`] ([`super::ColourSpace`]), and `check`
//! refuses art that is not sRGB, so the numbers are sRGB numbers.
//!
//! Output images are read back by `qa` with [`decode_stored`], which keeps
//! the stored layout (RGB stays 3 channels) and says how the file is stored.
//! Every error is a phrase after "it" (`is not a valid PNG (…)`).

use std::io::{BufReader, Cursor};
use std::path::Path;

use image::RgbaImage;

use super::ColourSpace;

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

/// Reads and decodes the art file at `path` (a link at the path followed:
/// the caller has checked where it leads); a file that is not there "does
/// not exist" ([`NOT_FOUND`]). Only a regular file of at most
/// [`crate::files::ART_LIMIT`] bytes is read ([`crate::files::open`]: a FIFO
/// or a device is refused without waiting).
pub fn decode_file(path: &Path) -> Result<Decoded, String> {
    use crate::files::{ART_LIMIT, Links, Unread, open};
    let file = open(path, ART_LIMIT, Links::Follow).map_err(|e| match e {
        Unread::Missing => NOT_FOUND.to_string(),
        Unread::Refused(why) => why,
    })?;
    decode(BufReader::new(file))
}

/// What [`decode_file`] says of a file that does not exist.
pub const NOT_FOUND: &str = "does not exist";

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
pub fn describe(e: png::DecodingError) -> String {
    match e {
        png::DecodingError::Format(e) => format!("is not a valid PNG ({e})"),
        png::DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "is not a PNG, or is cut short".into()
        }
        png::DecodingError::LimitsExceeded => "is too large to decode".into(),
        e => format!("cannot be decoded ({e})"),
    }
}

/// What the chunks of a PNG before its pixels say.
#[derive(Clone, Debug, PartialEq)]
pub struct Info {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The colour space it declares.
    pub colour: ColourSpace,
}

/// Reads a PNG's signature and chunks up to the first image data: its size
/// and colour space, without decoding a pixel.
pub fn info(reader: impl std::io::BufRead + std::io::Seek) -> Result<Info, String> {
    let mut decoder = png::Decoder::new(reader);
    decoder.set_ignore_text_chunk(true);
    match decoder.read_info() {
        Ok(reader) => {
            let info = reader.info();
            Ok(Info { width: info.width, height: info.height, colour: ColourSpace::of(info) })
        }
        Err(png::DecodingError::Format(e)) => Err(format!("is not a valid PNG ({e})")),
        Err(png::DecodingError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err("is not a PNG, or is cut short".into())
        }
        Err(e) => Err(format!("cannot be decoded ({e})")),
    }
}

/// A PNG decoded as it is stored ([`decode_stored`]).
#[derive(Clone, Debug)]
pub struct Stored {
    /// Width and height from the header.
    pub size: (u32, u32),
    /// Colour type as stored.
    pub colour: png::ColorType,
    /// Bit depth as stored.
    pub depth: png::BitDepth,
    /// Whether the file has an `sRGB` chunk.
    pub srgb: bool,
    /// 3 (RGB, or indexed with every colour opaque) or 4 (straight RGBA), 8 bits each.
    pub channels: usize,
    /// The pixels, row by row, no padding.
    pub data: Vec<u8>,
}

impl Stored {
    /// Whether it is stored as dropc writes images: 8-bit RGB or RGBA, or
    /// indexed colour (at most 256 colours) at any depth.
    pub fn is_rgb8(&self) -> bool {
        self.colour == png::ColorType::Indexed
            || self.depth == png::BitDepth::Eight && matches!(self.colour, png::ColorType::Rgb | png::ColorType::Rgba)
    }

    /// The pixels as 8-bit straight RGBA.
    pub fn into_rgba(self) -> RgbaImage {
        let (w, h) = self.size;
        let rgba = if self.channels == 4 {
            self.data
        } else {
            let mut rgba = vec![255u8; self.data.len() / 3 * 4];
            for (d, s) in rgba.chunks_exact_mut(4).zip(self.data.chunks_exact(3)) {
                d[..3].copy_from_slice(s);
            }
            rgba
        };
        RgbaImage::from_raw(w, h, rgba).unwrap_or_else(|| RgbaImage::new(0, 0))
    }

    /// Whether every pixel has the same value (an empty image is blank too).
    pub fn is_blank(&self) -> bool {
        let Some(first) = self.data.get(..self.channels) else { return true };
        self.data.chunks_exact(self.channels).all(|p| p == first)
    }
}

/// The width and height a PNG file's header declares, read without
/// decoding a pixel: what an untrusted image is checked against before its
/// pixels are allocated (a header may declare 100000 × 100000). The error is
/// a phrase after "it", as [`decode_stored`]'s.
pub fn dimensions(bytes: &[u8]) -> Result<(u32, u32), String> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_ignore_text_chunk(true);
    let reader = decoder.read_info().map_err(describe)?;
    let info = reader.info();
    Ok((info.width, info.height))
}

/// Decodes a PNG file's bytes; the error is a phrase after "it"
/// (`is not a valid PNG (…)`). Allocates what the header declares: check
/// [`dimensions`] first on a file that is not trusted.
pub fn decode_stored(bytes: &[u8]) -> Result<Stored, String> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    decoder.set_ignore_text_chunk(true);
    let mut reader = decoder.read_info().map_err(describe)?;
    let info = reader.info();
    let (size, colour, depth, srgb) = ((info.width, info.height), info.color_type, info.bit_depth, info.srgb.is_some());
    let fast = depth == png::BitDepth::Eight && matches!(colour, png::ColorType::Rgb | png::ColorType::Rgba);
    let (channels, data) = if fast {
        let len = reader.output_buffer_size().ok_or("is too large to decode")?;
        let mut buf = vec![0; len];
        let frame = reader.next_frame(&mut buf).map_err(describe)?;
        let (w, h) = (frame.width as usize, frame.height as usize);
        let channels = if colour == png::ColorType::Rgb { 3 } else { 4 };
        let row_bytes = w * channels;
        if frame.line_size == row_bytes {
            buf.truncate(row_bytes * h);
        } else {
            let mut packed = Vec::with_capacity(row_bytes * h);
            for row in buf.chunks(frame.line_size).take(h) {
                packed.extend_from_slice(row.get(..row_bytes).ok_or("has a short row")?);
            }
            buf = packed;
        }
        if buf.len() != row_bytes * h {
            return Err("is cut short".into());
        }
        (channels, buf)
    } else {
        // Indexed colour is what dropc writes for images of at most 256
        // colours (3 channels when every colour is opaque, like RGB); other
        // formats are not (a finding of their own): decode them the way art
        // is decoded, to still compare pixels.
        let d = decode_bytes(bytes)?;
        if colour == png::ColorType::Indexed && d.rgba.chunks_exact(4).all(|p| p[3] == 255) {
            (3, d.rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect())
        } else {
            (4, d.rgba)
        }
    };
    Ok(Stored { size, colour, depth, srgb, channels, data })
}

/// A PNG file's pixels as stored ([`decode_stored`]'s header fields), handed
/// out one row at a time as 8-bit straight RGBA: the rows of
/// [`Stored::into_rgba`], without the whole image in memory. An 8-bit RGB,
/// RGBA or indexed image that is not interlaced (what dropc writes) is
/// decoded row by row; any other is decoded whole first. Made by
/// [`stored_rows`].
pub struct StoredRows<'a> {
    /// Width and height from the header.
    pub size: (u32, u32),
    /// Colour type as stored.
    pub colour: png::ColorType,
    /// Bit depth as stored.
    pub depth: png::BitDepth,
    /// Whether the file has an `sRGB` chunk.
    pub srgb: bool,
    /// 3 (RGB, or indexed without transparency) or 4 channels as decoded.
    pub channels: usize,
    source: RowSource<'a>,
    /// The row handed out, RGBA.
    rgba: Vec<u8>,
    /// Rows handed out so far.
    y: u32,
}

enum RowSource<'a> {
    Stream(Box<png::Reader<Cursor<&'a [u8]>>>),
    Whole(Vec<u8>),
}

/// Starts decoding a PNG file's bytes row by row (see [`StoredRows`]); the
/// error is a phrase after "it", as [`decode_stored`]'s. Allocates a row of
/// what the header declares: check [`dimensions`] first on a file that is
/// not trusted.
pub fn stored_rows(bytes: &[u8]) -> Result<StoredRows<'_>, String> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    decoder.set_ignore_text_chunk(true);
    let reader = decoder.read_info().map_err(describe)?;
    let info = reader.info();
    let (size, colour, depth, srgb) = ((info.width, info.height), info.color_type, info.bit_depth, info.srgb.is_some());
    let streamed = !info.interlaced
        && match colour {
            png::ColorType::Rgb | png::ColorType::Rgba => depth == png::BitDepth::Eight,
            png::ColorType::Indexed => true,
            _ => false,
        };
    let row_len = (size.0 as usize).checked_mul(4).ok_or("is too large to decode")?;
    let (channels, source) = if streamed {
        let channels = match reader.output_color_type() {
            (png::ColorType::Rgb, png::BitDepth::Eight) => 3,
            (png::ColorType::Rgba, png::BitDepth::Eight) => 4,
            (other, depth) => return Err(format!("decodes to an unexpected format ({other:?}, {depth:?})")),
        };
        (channels, RowSource::Stream(Box::new(reader)))
    } else {
        let stored = decode_stored(bytes)?;
        (stored.channels, RowSource::Whole(stored.into_rgba().into_raw()))
    };
    Ok(StoredRows { size, colour, depth, srgb, channels, source, rgba: vec![0; row_len], y: 0 })
}

impl StoredRows<'_> {
    /// Whether it is stored as dropc writes images ([`Stored::is_rgb8`]).
    pub fn is_rgb8(&self) -> bool {
        self.colour == png::ColorType::Indexed
            || self.depth == png::BitDepth::Eight && matches!(self.colour, png::ColorType::Rgb | png::ColorType::Rgba)
    }

    /// The next row, `width · 4` bytes of RGBA; `None` after the last. An
    /// error (damaged or cut-short data) is a phrase after "it".
    pub fn next_row(&mut self) -> Result<Option<&[u8]>, String> {
        if self.y >= self.size.1 {
            return Ok(None);
        }
        let y = self.y as usize;
        self.y += 1;
        let len = self.rgba.len();
        match &mut self.source {
            RowSource::Whole(pixels) => {
                let row = pixels.get(y * len..(y + 1) * len).ok_or("is cut short")?;
                self.rgba.copy_from_slice(row);
            }
            RowSource::Stream(reader) => {
                let row = reader.next_row().map_err(describe)?.ok_or("is cut short")?;
                let data = row.data();
                if self.channels == 4 {
                    self.rgba.copy_from_slice(data.get(..len).ok_or("has a short row")?);
                } else {
                    let data = data.get(..len / 4 * 3).ok_or("has a short row")?;
                    for (d, s) in self.rgba.chunks_exact_mut(4).zip(data.chunks_exact(3)) {
                        d[..3].copy_from_slice(s);
                        d[3] = 255;
                    }
                }
            }
        }
        Ok(Some(&self.rgba))
    }
}
