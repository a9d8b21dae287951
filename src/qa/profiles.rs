//! Converting art to sRGB: the fix for `art_colour_profile`.
//!
//! dropc never converts colours behind the author's back: the art on disk is
//! what is rendered and hashed into the provenance record. A layer in another
//! colour space (an ICC profile such as Display P3, or `cICP` code points) is
//! an error of `dropc check`, and this module is the explicit way out:
//! [`fix_profiles`] rewrites each such file of a collection in sRGB and keeps
//! the original beside it as `<name>.png.orig` (`dropc qa --fix-profiles`).
//!
//! The conversion ([`convert_to_srgb`]) uses moxcms with the relative
//! colorimetric intent (colours outside sRGB are clipped to its gamut, colours
//! inside keep their appearance) in floating point. The converted file keeps
//! the size and bit depth (8 or 16; lower depths and palettes become 8-bit),
//! is RGB or RGBA (grey art with a grey profile becomes RGB), keeps its alpha
//! channel unchanged, carries an `sRGB` chunk and no other colour chunk, and
//! drops text chunks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use moxcms::{
    CicpColorPrimaries, CicpProfile, ColorProfile, Layout, MatrixCoefficients, RenderingIntent,
    TransferCharacteristics, TransformOptions,
};

use crate::model::{Art, Model};

use crate::check::ColourSpace;
use crate::model::TraitKind;

/// What [`fix_profiles`] did to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileFix {
    /// The art file, relative to the project folder.
    pub path: PathBuf,
    /// The colour space it was in (`ICC profile \`Display P3\``).
    pub from: String,
    /// `Ok` when the file now holds the sRGB version (the original is at
    /// `<path>.orig`), or why it was left as it was.
    pub result: Result<(), String>,
}

/// The colour space a PNG declares (from its header).
pub fn colour_space(bytes: &[u8]) -> Result<ColourSpace, String> {
    crate::check::art::png_info(std::io::Cursor::new(bytes)).map(|i| i.colour).map_err(|p| match p {
        crate::check::ArtProblem::Missing => "is missing".to_string(),
        crate::check::ArtProblem::Invalid(why) => why,
        crate::check::ArtProblem::Outside(target) => format!("is a link to `{}`", target.display()),
    })
}

/// Converts every art file of `model` (paths relative to `root`) whose ICC
/// profile or `cICP` is not sRGB: the file is rewritten in sRGB and the
/// original kept as `<name>.png.orig`. Files already in sRGB (or untagged, or
/// with only `gAMA`) are left alone and not listed. A file whose backup name
/// is taken is not converted (the error says so): converting twice would lose
/// the original.
pub fn fix_profiles(model: &Model, root: &Path) -> Vec<ProfileFix> {
    let mut paths: BTreeSet<&Path> = BTreeSet::new();
    for t in model.traits.iter().filter(|t| t.kind != TraitKind::MetadataOnly) {
        for v in &t.variants {
            if let Art::Files(files) = &v.art {
                paths.extend(files.iter().map(|f| f.path.as_path()));
            }
        }
    }
    paths.extend(model.legendaries.iter().map(|l| l.image.as_path()));
    let mut out = Vec::new();
    for path in paths {
        let full = root.join(path);
        // A file that cannot be read or whose header is broken is not
        // skipped silently: it is listed as not converted, with why.
        let unread = |why: String| ProfileFix {
            path: path.to_path_buf(),
            from: "an unknown colour space".into(),
            result: Err(why),
        };
        let bytes = match std::fs::read(&full) {
            Ok(bytes) => bytes,
            Err(e) => {
                out.push(unread(format!("cannot be read: {}", super::read::describe_io(&e))));
                continue;
            }
        };
        let colour = match colour_space(&bytes) {
            Ok(colour) => colour,
            Err(why) => {
                out.push(unread(why));
                continue;
            }
        };
        if !colour.needs_conversion() {
            continue;
        }
        let result = convert_to_srgb(&bytes).and_then(|converted| {
            let mut backup = full.clone().into_os_string();
            backup.push(".orig");
            let backup = PathBuf::from(backup);
            if backup.exists() {
                return Err(format!("`{}` already exists; move it away first", backup.display()));
            }
            let mut temporary = full.clone().into_os_string();
            temporary.push(".srgb-tmp");
            let temporary = PathBuf::from(temporary);
            std::fs::write(&temporary, &converted).map_err(|e| format!("cannot write: {e}"))?;
            std::fs::rename(&full, &backup).map_err(|e| format!("cannot keep the original: {e}"))?;
            std::fs::rename(&temporary, &full).map_err(|e| format!("cannot replace the file: {e}"))
        });
        out.push(ProfileFix { path: path.to_path_buf(), from: colour.describe(), result });
    }
    out
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
        ColourSpace::Untagged | ColourSpace::Srgb | ColourSpace::Gamma { .. } => {
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
