//! Art validation: every file a variant needs exists, is a PNG, fits the
//! canvas and is in sRGB. Only headers are read (dimensions and the colour
//! chunks before the pixels, see [`super::colour`]), never pixels, so checking
//! a collection with thousands of layers stays fast.
//!
//! File access goes through [`ArtStore`], so that the checker itself does no
//! I/O of its own choosing and tests can supply art from memory.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use super::colour::ColourSpace;
use super::model::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::render::decode::Decoded;
use crate::syntax::{Span, TraitKind};

/// What the header of an art file says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArtHeader {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// What the chunks of an art file before its pixels say.
#[derive(Clone, Debug, PartialEq)]
pub struct ArtInfo {
    /// Its size.
    pub header: ArtHeader,
    /// The colour space it declares.
    pub colour: ColourSpace,
}

/// Why an art file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArtProblem {
    /// No file at that path.
    Missing,
    /// The file exists but is not a readable PNG.
    Invalid(String),
    /// The path resolves, through symbolic links, outside the project
    /// folder (to this file): it is not read.
    Outside(PathBuf),
}

/// Where the checker reads art headers from.
pub trait ArtStore: Sync {
    /// The header of the file at `path` (relative to the project folder).
    fn header(&self, path: &Path) -> Result<ArtHeader, ArtProblem>;

    /// The header and colour space of the file at `path`; by default its
    /// [`header`](ArtStore::header), taken to be sRGB.
    fn info(&self, path: &Path) -> Result<ArtInfo, ArtProblem> {
        self.header(path).map(|header| ArtInfo { header, colour: ColourSpace::Untagged })
    }

    /// The decoded pixels of the file at `path`, needed only by `unique
    /// visually`; by default none are available.
    fn pixels(&self, path: &Path) -> Result<Decoded, ArtProblem> {
        let _ = path;
        Err(ArtProblem::Invalid("cannot be decoded here (no pixels are available)".into()))
    }

    /// Whether art should be checked at all.
    fn enabled(&self) -> bool {
        true
    }
}

/// Art on disk, relative to a project folder (the `.drop` file's folder).
#[derive(Clone, Debug)]
pub struct DiskArt {
    /// The project folder.
    pub root: PathBuf,
}

impl ArtStore for DiskArt {
    fn header(&self, path: &Path) -> Result<ArtHeader, ArtProblem> {
        self.info(path).map(|i| i.header)
    }

    fn info(&self, path: &Path) -> Result<ArtInfo, ArtProblem> {
        let full = super::paths::resolve_inside(&self.root, path).map_err(|o| ArtProblem::Outside(o.target))?;
        let file = match File::open(&full) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ArtProblem::Missing),
            Err(e) => return Err(ArtProblem::Invalid(format!("cannot be read: {e}"))),
        };
        if full.is_dir() {
            return Err(ArtProblem::Invalid("is a folder, not a file".into()));
        }
        png_info(BufReader::new(file))
    }

    fn pixels(&self, path: &Path) -> Result<Decoded, ArtProblem> {
        let full = super::paths::resolve_inside(&self.root, path).map_err(|o| ArtProblem::Outside(o.target))?;
        crate::render::decode::decode_file(&full, path).map_err(|e| match e {
            crate::render::RenderError::Art { reason, .. } if reason == "does not exist" => ArtProblem::Missing,
            crate::render::RenderError::Art { reason, .. } => ArtProblem::Invalid(reason),
            other => ArtProblem::Invalid(other.to_string()),
        })
    }
}

/// No art at all: art checks are skipped (`dropc check --no-art`, fuzzing).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoArt;

impl ArtStore for NoArt {
    fn header(&self, _path: &Path) -> Result<ArtHeader, ArtProblem> {
        Err(ArtProblem::Missing)
    }

    fn enabled(&self) -> bool {
        false
    }
}

/// Reads a PNG header: the signature and the chunks up to the first image data.
pub fn png_header(reader: impl std::io::BufRead + std::io::Seek) -> Result<ArtHeader, ArtProblem> {
    png_info(reader).map(|i| i.header)
}

/// Reads a PNG's size and colour space from the chunks up to the first image data.
pub fn png_info(reader: impl std::io::BufRead + std::io::Seek) -> Result<ArtInfo, ArtProblem> {
    let mut decoder = png::Decoder::new(reader);
    decoder.set_ignore_text_chunk(true);
    match decoder.read_info() {
        Ok(reader) => {
            let info = reader.info();
            Ok(ArtInfo { header: ArtHeader { width: info.width, height: info.height }, colour: ColourSpace::of(info) })
        }
        Err(png::DecodingError::Format(e)) => Err(ArtProblem::Invalid(format!("is not a valid PNG ({e})"))),
        Err(png::DecodingError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(ArtProblem::Invalid("is not a PNG, or is cut short".into()))
        }
        Err(e) => Err(ArtProblem::Invalid(format!("cannot be decoded ({e})"))),
    }
}

/// Checks every art file of the model; returns the diagnostics.
pub fn check_art(model: &Model, store: &dyn ArtStore) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if !store.enabled() {
        return out;
    }
    let (cw, ch) = model.settings.canvas;
    let mut cache: HashMap<PathBuf, Result<ArtInfo, ArtProblem>> = HashMap::new();
    let mut info = |path: &Path| cache.entry(path.to_path_buf()).or_insert_with(|| store.info(path)).clone();

    for t in &model.traits {
        if t.kind == TraitKind::MetadataOnly {
            continue;
        }
        // Colour space of each readable file of the trait, for `mixed_colour_profiles`.
        let mut spaces: Vec<(String, &Path)> = Vec::new();
        for v in &t.variants {
            let Art::Files(files) = &v.art else { continue };
            for file in files {
                if file.path.as_os_str().is_empty() {
                    continue;
                }
                match info(&file.path) {
                    Ok(i) => {
                        if let Some(d) = size_problem(i.header, (cw, ch), &v.style, file.span, &file.path) {
                            out.push(d);
                        }
                        out.extend(colour_problem(&i.colour, file.span, &file.path));
                        if !spaces.iter().any(|(_, p)| *p == file.path.as_path()) {
                            spaces.push((i.colour.describe(), &file.path));
                        }
                    }
                    Err(problem) => out.push(problem_diagnostic(
                        problem,
                        file.span,
                        &file.path,
                        &format!("`{}.{}`", t.name, v.name),
                    )),
                }
            }
        }
        out.extend(mixed_profiles(&t.name, t.span, &spaces));
    }
    for l in &model.legendaries {
        match info(&l.image) {
            Ok(i) => {
                if let Some(d) = size_problem(i.header, (cw, ch), &LayerStyle::default(), l.span, &l.image) {
                    out.push(d);
                }
                out.extend(colour_problem(&i.colour, l.span, &l.image));
            }
            Err(problem) => out.push(problem_diagnostic(problem, l.span, &l.image, &format!("legendary `{}`", l.name))),
        }
    }
    // A derived variant has its source's art at its own offset.
    for t in &model.traits {
        for v in &t.variants {
            let Art::Derived { from, .. } = &v.art else { continue };
            let Art::Files(files) = &t.variants[*from].art else { continue };
            for file in files {
                if let Some(Ok(i)) = cache.get(&file.path).cloned() {
                    if let Some(d) = size_problem(i.header, (cw, ch), &v.style, v.span, &file.path) {
                        out.push(d);
                    }
                }
            }
        }
    }
    out
}

/// How to get an art file into sRGB (the help of `art_colour_profile`, and of qa's finding).
pub const CONVERT_HELP: &str = "export the layer in sRGB (Photoshop: Edit > Convert to Profile > sRGB IEC61966-2.1), \
     or let dropc convert it: `dropc qa --fix-profiles FILE.drop` rewrites every such file in sRGB \
     and keeps the original beside it as `<name>.png.orig`";

/// A diagnostic for a file whose colour space dropc would get wrong.
fn colour_problem(colour: &ColourSpace, span: Span, path: &Path) -> Option<Diagnostic> {
    let shown = path.display();
    match colour {
        ColourSpace::Untagged | ColourSpace::Srgb => None,
        ColourSpace::Gamma { .. } => Some(
            Diagnostic::new(Code::ArtGamma, span, format!("art `{shown}` declares {} but not sRGB", colour.describe()))
                .label("gAMA/cHRM without sRGB")
                .help(
                    "dropc uses its numbers as sRGB, but viewers that honour gAMA may show it lighter or darker; \
                 export it again with an sRGB profile (or without colour chunks)",
                ),
        ),
        ColourSpace::BadIcc { why } => Some(
            Diagnostic::new(Code::ArtColourProfile, span, format!("art `{shown}` has an ICC profile dropc cannot use"))
                .label(why.clone())
                .help("export the layer again in sRGB"),
        ),
        ColourSpace::Icc { .. } | ColourSpace::Cicp { .. } => Some(
            Diagnostic::new(
                Code::ArtColourProfile,
                span,
                format!("art `{shown}` is in {}, not sRGB", colour.describe()),
            )
            .label("its colours would render wrong")
            .help(CONVERT_HELP),
        ),
    }
}

/// A warning when the files of one trait declare different colour spaces.
fn mixed_profiles(trait_name: &str, span: Span, spaces: &[(String, &Path)]) -> Option<Diagnostic> {
    let mut kinds: Vec<(&str, usize, &Path)> = Vec::new();
    for (name, path) in spaces {
        match kinds.iter_mut().find(|(k, _, _)| k == name) {
            Some(k) => k.1 += 1,
            None => kinds.push((name, 1, path)),
        }
    }
    if kinds.len() < 2 {
        return None;
    }
    let parts: Vec<String> = kinds
        .iter()
        .map(|(k, n, first)| {
            let files = if *n == 1 { "file".to_string() } else { "files".to_string() };
            format!("{k} ({n} {files}, e.g. `{}`)", first.display())
        })
        .collect();
    Some(
        Diagnostic::new(
            Code::MixedColourProfiles,
            span,
            format!("the layers of `{trait_name}` are in different colour spaces: {}", parts.join(", ")),
        )
        .label("layers exported with different colour settings")
        .help("export every layer of a trait with the same colour settings (sRGB)"),
    )
}

fn problem_diagnostic(problem: ArtProblem, span: Span, path: &Path, who: &str) -> Diagnostic {
    let shown = path.display();
    match problem {
        ArtProblem::Missing => Diagnostic::new(Code::MissingArt, span, format!("missing art `{shown}`"))
            .label(format!("{who} needs this file"))
            .help("add the file, or give the path after the weight: `Name: 3 \"folder/file.png\"`"),
        ArtProblem::Invalid(why) => Diagnostic::new(Code::InvalidArt, span, format!("art `{shown}` {why}"))
            .label(format!("{who} uses this file"))
            .help("export the layer again as a PNG"),
        ArtProblem::Outside(target) => Diagnostic::new(
            Code::PathEscape,
            span,
            format!("art `{shown}` is a link to `{}`, outside the project folder", target.display()),
        )
        .label(format!("{who} uses this file"))
        .help("copy the art into the project folder instead of linking to it; links inside the folder are fine"),
    }
}

fn size_problem(h: ArtHeader, (cw, ch): (u32, u32), style: &LayerStyle, span: Span, path: &Path) -> Option<Diagnostic> {
    let shown = path.display();
    let offset = style.offset;
    if (h.width, h.height) == (cw, ch) {
        return None; // canvas-sized art may be shifted; what leaves the canvas is clipped
    }
    if !style.placed {
        return Some(
            Diagnostic::new(
                Code::ArtSizeMismatch,
                span,
                format!("art `{shown}` is {} x {} but the canvas is {cw} x {ch}", h.width, h.height),
            )
            .label("wrong size")
            .help("export layers at the canvas size, or place a smaller image with `offset (x, y)`"),
        );
    }
    let (x, y) = (i64::from(offset.0), i64::from(offset.1));
    let inside =
        x >= 0 && y >= 0 && x + i64::from(h.width) <= i64::from(cw) && y + i64::from(h.height) <= i64::from(ch);
    if inside {
        return None;
    }
    Some(
        Diagnostic::new(
            Code::ArtSizeMismatch,
            span,
            format!(
                "art `{shown}` ({} x {}) at offset ({x}, {y}) does not fit the {cw} x {ch} canvas",
                h.width, h.height
            ),
        )
        .label("reaches outside the canvas")
        .help("crop the image or change the offset so that it lies inside the canvas"),
    )
}
