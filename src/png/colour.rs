//! Colour spaces of art files, from the chunks a PNG carries before its
//! pixels (`cICP`, `iCCP`, `sRGB`, `gAMA`, `cHRM`).
//!
//! dropc composites in sRGB and writes sRGB PNGs: every layer's numbers are
//! taken to be sRGB numbers (see [`super::decode`]). A layer exported in
//! another colour space (Display P3 from a Mac, Adobe RGB from a print
//! workflow) would then render with shifted, usually duller colours, and
//! differently from how the artist saw it. This module says which space a
//! file declares, so that `check` can refuse what dropc would silently get
//! wrong and `qa` can list it.
//!
//! Which chunk wins follows PNG (third edition, §4.3): `cICP` over `iCCP` over
//! `sRGB` over `gAMA`/`cHRM`. An ICC profile counts as sRGB when it maps
//! colours to sRGB unchanged (a 6 × 6 × 6 cube of colours, within 2 of 255;
//! so the `sRGB IEC61966-2.1` profile that Photoshop embeds is sRGB, whatever
//! its bytes). Files without any colour chunk are sRGB, as for every viewer.
//!
//! [`convert_to_srgb`] is the explicit way out (`dropc qa --fix-profiles`):
//! it uses moxcms with the relative colorimetric intent (colours outside
//! sRGB are clipped to its gamut, colours inside keep their appearance) in
//! floating point. The converted file keeps the size and bit depth (8 or 16;
//! lower depths and palettes become 8-bit), is RGB or RGBA (grey art with a
//! grey profile becomes RGB), keeps its alpha channel unchanged, carries an
//! `sRGB` chunk and no other colour chunk, and drops text chunks.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use moxcms::{
    CicpColorPrimaries, CicpProfile, ColorProfile, DataColorSpace, Layout, MatrixCoefficients, ProfileText,
    RenderingIntent, TransferCharacteristics, TransformOptions,
};

/// The colour space an art file declares.
#[derive(Clone, Debug, PartialEq)]
pub enum ColourSpace {
    /// No colour chunk at all: sRGB by convention.
    Untagged,
    /// An `sRGB` chunk, an sRGB-equivalent ICC profile, or `cICP` sRGB.
    Srgb,
    /// `gAMA` and/or `cHRM` without `sRGB`, `iCCP` or `cICP`.
    Gamma {
        /// The file gamma (`gAMA`; 0.45455 is sRGB's approximation), if given.
        gamma: Option<f64>,
        /// Whether a `cHRM` chunk is present.
        chromaticities: bool,
    },
    /// An `iCCP` profile for the wrong kind of image (an RGB profile in a
    /// grey PNG, or a grey profile in a colour one), ignored as the PNG
    /// specification says; nothing else in the file declares another space,
    /// so its numbers are sRGB.
    IgnoredIcc {
        /// What the profile is for: `RGB` or `grey`.
        profile: &'static str,
        /// What the image is: `grey` or `colour`.
        image: &'static str,
    },
    /// An ICC profile that is not sRGB.
    Icc {
        /// The profile's description (`Display P3`), or `unnamed`.
        name: String,
        /// The profile bytes (for conversion).
        profile: Vec<u8>,
    },
    /// An ICC profile dropc cannot read or convert from.
    BadIcc {
        /// Why.
        why: String,
    },
    /// `cICP` code points other than sRGB's (primaries 1, transfer 13).
    Cicp {
        /// Colour primaries (ITU-T H.273 table 2; 12 is Display P3).
        primaries: u8,
        /// Transfer characteristics (table 3; 16 is PQ, 18 HLG).
        transfer: u8,
    },
}

impl ColourSpace {
    /// Reads the colour chunks of a PNG's header.
    pub fn of(info: &png::Info<'_>) -> ColourSpace {
        if let Some(c) = info.coding_independent_code_points {
            return if (c.color_primaries, c.transfer_function) == (1, 13) {
                ColourSpace::Srgb
            } else {
                ColourSpace::Cicp { primaries: c.color_primaries, transfer: c.transfer_function }
            };
        }
        if let Some(icc) = &info.icc_profile {
            let Some((profile, image)) = mismatched_icc(info.color_type, icc) else { return classify_icc(icc) };
            // PNG (third edition, 11.3.2.4 `iCCP`): the profile of a grey
            // image is a grey profile, that of a colour image an RGB one; a
            // decoder ignores one that is not. What the rest declares holds.
            let rest = Self::without_icc(info);
            return if rest.is_srgb() { ColourSpace::IgnoredIcc { profile, image } } else { rest };
        }
        Self::without_icc(info)
    }

    /// [`ColourSpace::of`] when there is no `cICP` or `iCCP` (or it is ignored).
    fn without_icc(info: &png::Info<'_>) -> ColourSpace {
        if info.srgb.is_some() {
            return ColourSpace::Srgb;
        }
        if info.gama_chunk.is_some() || info.chrm_chunk.is_some() {
            return ColourSpace::Gamma {
                gamma: info.gama_chunk.map(|g| f64::from(g.into_scaled()) / 100_000.0),
                chromaticities: info.chrm_chunk.is_some(),
            };
        }
        ColourSpace::Untagged
    }

    /// Whether dropc composites this file's numbers as they are meant: sRGB,
    /// or untagged.
    pub fn is_srgb(&self) -> bool {
        matches!(self, ColourSpace::Untagged | ColourSpace::Srgb | ColourSpace::IgnoredIcc { .. })
    }

    /// Whether the file must be converted to sRGB before it can be used
    /// (an ICC profile or `cICP` that is not sRGB, or an unreadable profile).
    pub fn needs_conversion(&self) -> bool {
        matches!(self, ColourSpace::Icc { .. } | ColourSpace::BadIcc { .. } | ColourSpace::Cicp { .. })
    }

    /// A short name for messages (`ICC profile \`Display P3\``); untagged
    /// and tagged sRGB have the same name, since they mean the same.
    pub fn describe(&self) -> String {
        match self {
            ColourSpace::Untagged | ColourSpace::Srgb | ColourSpace::IgnoredIcc { .. } => "sRGB".into(),
            ColourSpace::Gamma { gamma: Some(g), chromaticities } => {
                format!("gamma {g:.5}{}", if *chromaticities { " with chromaticities" } else { "" })
            }
            ColourSpace::Gamma { gamma: None, .. } => "chromaticities without sRGB".into(),
            ColourSpace::Icc { name, .. } => format!("ICC profile `{name}`"),
            ColourSpace::BadIcc { .. } => "an unreadable ICC profile".into(),
            ColourSpace::Cicp { primaries, transfer } => {
                format!("cICP primaries {primaries}, transfer {transfer}")
            }
        }
    }
}

/// For an ICC profile `icc` in an image of `colour` type that PNG says to
/// ignore, what the profile is for and what the image is. The data colour
/// space is bytes 16–19 of the profile's header (ICC.1, 7.2.6).
fn mismatched_icc(colour: png::ColorType, icc: &[u8]) -> Option<(&'static str, &'static str)> {
    let grey_image = matches!(colour, png::ColorType::Grayscale | png::ColorType::GrayscaleAlpha);
    match icc.get(16..20)? {
        b"RGB " if grey_image => Some(("RGB", "grey")),
        b"GRAY" if !grey_image => Some(("grey", "colour")),
        _ => None,
    }
}

/// Distinct ICC profiles seen so far and what they are (collections share a
/// handful of profiles across thousands of files).
fn icc_cache() -> &'static Mutex<HashMap<Vec<u8>, ColourSpace>> {
    static CACHE: OnceLock<Mutex<HashMap<Vec<u8>, ColourSpace>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn classify_icc(icc: &[u8]) -> ColourSpace {
    if let Ok(cache) = icc_cache().lock() {
        if let Some(known) = cache.get(icc) {
            return known.clone();
        }
    }
    let found = classify_icc_uncached(icc);
    if let Ok(mut cache) = icc_cache().lock() {
        if cache.len() < 256 {
            cache.insert(icc.to_vec(), found.clone());
        }
    }
    found
}

fn classify_icc_uncached(icc: &[u8]) -> ColourSpace {
    let profile = match ColorProfile::new_from_slice(icc) {
        Ok(p) => p,
        Err(e) => return ColourSpace::BadIcc { why: format!("the ICC profile cannot be read ({e})") },
    };
    match maps_to_srgb_unchanged(&profile) {
        Ok(true) => ColourSpace::Srgb,
        Ok(false) => ColourSpace::Icc { name: profile_name(&profile), profile: icc.to_vec() },
        Err(why) => ColourSpace::BadIcc { why },
    }
}

/// The profile's description, or `unnamed`.
pub fn profile_name(profile: &ColorProfile) -> String {
    let text = match &profile.description {
        Some(ProfileText::PlainString(s)) => s.clone(),
        Some(ProfileText::Localizable(list)) => list.first().map(|l| l.value.clone()).unwrap_or_default(),
        Some(ProfileText::Description(d)) => d.ascii_string.clone(),
        None => String::new(),
    };
    let text = text.trim_matches(|c: char| c.is_control() || c.is_whitespace()).to_string();
    if text.is_empty() { "unnamed".into() } else { text }
}

/// Whether `profile` maps a cube of colours to sRGB unchanged (within 2).
fn maps_to_srgb_unchanged(profile: &ColorProfile) -> Result<bool, String> {
    let srgb = ColorProfile::new_srgb();
    let cant = |e: moxcms::CmsError| format!("dropc cannot convert from this ICC profile ({e})");
    match profile.color_space {
        DataColorSpace::Rgb => {
            let t = profile
                .create_transform_8bit(Layout::Rgb, &srgb, Layout::Rgb, TransformOptions::default())
                .map_err(cant)?;
            let levels = [0u8, 51, 102, 153, 204, 255];
            let mut src: Vec<u8> = Vec::with_capacity(3 * levels.len().pow(3));
            for r in levels {
                for g in levels {
                    for b in levels {
                        src.extend([r, g, b]);
                    }
                }
            }
            let mut dst = vec![0u8; src.len()];
            t.transform(&src, &mut dst).map_err(cant)?;
            Ok(src.iter().zip(&dst).all(|(&a, &b)| a.abs_diff(b) <= 2))
        }
        DataColorSpace::Gray => {
            let t = profile
                .create_transform_8bit(Layout::Gray, &srgb, Layout::Rgb, TransformOptions::default())
                .map_err(cant)?;
            let src: Vec<u8> = (0..=255u8).step_by(15).collect();
            let mut dst = vec![0u8; src.len() * 3];
            t.transform(&src, &mut dst).map_err(cant)?;
            Ok(src.iter().zip(dst.chunks_exact(3)).all(|(&g, rgb)| rgb.iter().all(|&c| c.abs_diff(g) <= 2)))
        }
        other => Err(format!("the ICC profile is for {other:?} data, not RGB or grey")),
    }
}

/// The colour space a PNG declares (from its header).
pub fn colour_space(bytes: &[u8]) -> Result<ColourSpace, String> {
    super::info(std::io::Cursor::new(bytes)).map(|i| i.colour)
}

/// The source profile of a file in `colour`, when it has one dropc converts from.
fn source_profile(colour: &ColourSpace) -> Result<ColorProfile, String> {
    match colour {
        ColourSpace::Icc { profile, .. } => {
            ColorProfile::new_from_slice(profile).map_err(|e| format!("the ICC profile cannot be read ({e})"))
        }
        ColourSpace::Cicp { primaries, transfer } => {
            let color_primaries = CicpColorPrimaries::try_from(*primaries)
                .map_err(|_| format!("cICP primaries {primaries} are not known to dropc"))?;
            let transfer_characteristics = TransferCharacteristics::try_from(*transfer)
                .map_err(|_| format!("cICP transfer {transfer} is not known to dropc"))?;
            Ok(ColorProfile::new_from_cicp(CicpProfile {
                color_primaries,
                transfer_characteristics,
                matrix_coefficients: MatrixCoefficients::Identity,
                full_range: true,
            }))
        }
        ColourSpace::BadIcc { why } => Err(why.clone()),
        ColourSpace::Untagged | ColourSpace::Srgb | ColourSpace::IgnoredIcc { .. } | ColourSpace::Gamma { .. } => {
            Err("is not in a colour space dropc converts from".into())
        }
    }
}

/// A PNG in an ICC or `cICP` colour space, converted to an sRGB PNG (see the
/// module docs for what is kept).
pub fn convert_to_srgb(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let colour = colour_space(bytes)?;
    let source = source_profile(&colour)?;
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    decoder.set_ignore_text_chunk(true);
    let mut reader = decoder.read_info().map_err(|e| format!("cannot be decoded ({e})"))?;
    let size = reader.output_buffer_size().ok_or("is too large to decode")?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(|e| format!("cannot be decoded ({e})"))?;
    let (width, height) = (frame.width, frame.height);
    let (in_layout, out_layout, out_colour) = match frame.color_type {
        png::ColorType::Grayscale => (Layout::Gray, Layout::Rgb, png::ColorType::Rgb),
        png::ColorType::GrayscaleAlpha => (Layout::GrayAlpha, Layout::Rgba, png::ColorType::Rgba),
        png::ColorType::Rgb => (Layout::Rgb, Layout::Rgb, png::ColorType::Rgb),
        png::ColorType::Rgba => (Layout::Rgba, Layout::Rgba, png::ColorType::Rgba),
        png::ColorType::Indexed => return Err("has a palette that could not be expanded".into()),
    };
    let in_channels = frame.color_type.samples();
    let out_channels = out_colour.samples();
    let pixels = width as usize * height as usize;
    let options = TransformOptions {
        rendering_intent: RenderingIntent::RelativeColorimetric,
        prefer_fixed_point: false,
        ..TransformOptions::default()
    };
    let srgb = ColorProfile::new_srgb();
    let cant = |e: moxcms::CmsError| format!("cannot be converted ({e})");
    let row_bytes = |depth: usize, channels: usize| width as usize * channels * depth;
    let (depth, data) = match frame.bit_depth {
        png::BitDepth::Sixteen => {
            let mut src: Vec<u16> = Vec::with_capacity(pixels * in_channels);
            for row in buf.chunks(frame.line_size).take(height as usize) {
                let row = row.get(..row_bytes(2, in_channels)).ok_or("has a short row")?;
                src.extend(row.chunks_exact(2).map(|s| u16::from_be_bytes([s[0], s[1]])));
            }
            let mut dst = vec![0u16; pixels * out_channels];
            let t = source.create_transform_16bit(in_layout, &srgb, out_layout, options).map_err(cant)?;
            t.transform(&src, &mut dst).map_err(cant)?;
            copy_alpha(&src, in_channels, &mut dst, out_channels);
            (png::BitDepth::Sixteen, dst.iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<u8>>())
        }
        _ => {
            let mut src: Vec<u8> = Vec::with_capacity(pixels * in_channels);
            for row in buf.chunks(frame.line_size).take(height as usize) {
                src.extend_from_slice(row.get(..row_bytes(1, in_channels)).ok_or("has a short row")?);
            }
            let mut dst = vec![0u8; pixels * out_channels];
            let t = source.create_transform_8bit(in_layout, &srgb, out_layout, options).map_err(cant)?;
            t.transform(&src, &mut dst).map_err(cant)?;
            copy_alpha(&src, in_channels, &mut dst, out_channels);
            (png::BitDepth::Eight, dst)
        }
    };
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(out_colour);
    encoder.set_depth(depth);
    encoder.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
    let mut writer = encoder.write_header().map_err(|e| format!("cannot be encoded ({e})"))?;
    writer.write_image_data(&data).map_err(|e| format!("cannot be encoded ({e})"))?;
    writer.finish().map_err(|e| format!("cannot be encoded ({e})"))?;
    Ok(out)
}

/// Copies the alpha samples (the last of each pixel) from `src` to `dst`
/// unchanged: colour management converts colour, never coverage.
fn copy_alpha<T: Copy>(src: &[T], src_channels: usize, dst: &mut [T], dst_channels: usize) {
    if src_channels % 2 == 0 && dst_channels % 2 == 0 {
        for (s, d) in src.chunks_exact(src_channels).zip(dst.chunks_exact_mut(dst_channels)) {
            d[dst_channels - 1] = s[src_channels - 1];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rgb_profile_in_a_grey_image_is_ignored() {
        // Grey + alpha with a Display P3 profile (scripts/tiny_png.py).
        let grey = include_bytes!("../../tests/fixtures/art/colour-layers/Mask/Grey.png");
        let colour = colour_space(grey).expect("reads");
        assert_eq!(colour, ColourSpace::IgnoredIcc { profile: "RGB", image: "grey" });
        assert!(colour.is_srgb() && !colour.needs_conversion());
        // The same profile in a colour image is honoured.
        let p3 = include_bytes!("../../tests/fixtures/art/colour-layers/Eyes/Normal.png");
        assert!(matches!(colour_space(p3), Ok(ColourSpace::Icc { .. })));
        assert_eq!(mismatched_icc(png::ColorType::Rgba, b"0123456789abcdefGRAY"), Some(("grey", "colour")));
        assert_eq!(mismatched_icc(png::ColorType::Grayscale, b"0123456789abcdefGRAY"), None);
    }
}
