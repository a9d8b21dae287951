//! Art validation: every file a variant needs exists, is a PNG and fits the
//! canvas. Only headers are read (dimensions and colour type), never pixels,
//! so checking a collection with thousands of layers stays fast.
//!
//! File access goes through [`ArtStore`], so that the checker itself does no
//! I/O of its own choosing and tests can supply art from memory.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use super::model::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::{Span, TraitKind};

/// What the header of an art file says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArtHeader {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Why an art file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArtProblem {
    /// No file at that path.
    Missing,
    /// The file exists but is not a readable PNG.
    Invalid(String),
}

/// Where the checker reads art headers from.
pub trait ArtStore: Sync {
    /// The header of the file at `path` (relative to the project folder).
    fn header(&self, path: &Path) -> Result<ArtHeader, ArtProblem>;

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
        let full = self.root.join(path);
        let file = match File::open(&full) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ArtProblem::Missing),
            Err(e) => return Err(ArtProblem::Invalid(format!("cannot be read: {e}"))),
        };
        if full.is_dir() {
            return Err(ArtProblem::Invalid("is a folder, not a file".into()));
        }
        png_header(BufReader::new(file))
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
    let decoder = png::Decoder::new(reader);
    match decoder.read_info() {
        Ok(reader) => {
            let info = reader.info();
            Ok(ArtHeader { width: info.width, height: info.height })
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
    let mut cache: HashMap<PathBuf, Result<ArtHeader, ArtProblem>> = HashMap::new();
    let mut header = |path: &Path| cache.entry(path.to_path_buf()).or_insert_with(|| store.header(path)).clone();

    for t in &model.traits {
        if t.kind == TraitKind::MetadataOnly {
            continue;
        }
        for v in &t.variants {
            let Art::Files(files) = &v.art else { continue };
            for file in files {
                if file.path.as_os_str().is_empty() {
                    continue;
                }
                match header(&file.path) {
                    Ok(h) => {
                        if let Some(d) = size_problem(h, (cw, ch), &v.style, file.span, &file.path) {
                            out.push(d);
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
    }
    for l in &model.legendaries {
        match header(&l.image) {
            Ok(h) => {
                if let Some(d) = size_problem(h, (cw, ch), &LayerStyle::default(), l.span, &l.image) {
                    out.push(d);
                }
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
                if let Some(Ok(h)) = cache.get(&file.path).cloned() {
                    if let Some(d) = size_problem(h, (cw, ch), &v.style, v.span, &file.path) {
                        out.push(d);
                    }
                }
            }
        }
    }
    out
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
