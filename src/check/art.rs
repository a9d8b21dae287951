//! Art validation: every file a variant needs exists, is a PNG that decodes
//! whole, fits the canvas and is in sRGB; and which variants of a trait draw
//! identical art.
//!
//! Invariant: every problem with an art file that `dropc run` would meet when
//! it decodes the file is found here. Headers alone cannot promise that (a
//! file cut short inside its pixel data, or a palette image without its
//! `PLTE`, has a sound header), so [`DiskArt`] decodes every file fully, once
//! per file however many variants use it, on the rayon pool, and keeps only
//! two SHA-256 digests (of the bytes and of the decoded pixels), never the
//! pixels. The pixel digest also tells which variants draw exactly the same
//! thing ([`IdenticalArt`]): the same file, byte-identical files, or files
//! that decode to the same pixels, with the same rendering options.
//!
//! File access goes through [`ArtStore`], so that the checker itself does no
//! I/O of its own choosing and tests can supply art from memory.

use std::collections::{HashMap, HashSet};
use std::io::BufReader;

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic};
use crate::digest::{Sha256Digest, sha256};
use crate::files::{Links, Unread};
use crate::model::TraitKind;
use crate::model::*;
use crate::png::ColourSpace;
use crate::png::Decoded;
use crate::span::Span;

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

    /// The file at `path` checked as `dropc run` will use it: its header and
    /// colour space, and, where the store can decode it, the digests of its
    /// bytes and pixels (a file that does not decode whole is an
    /// [`ArtProblem::Invalid`]). By default only [`info`](ArtStore::info).
    fn verify(&self, path: &Path) -> Result<Verified, ArtProblem> {
        self.info(path).map(|info| Verified { info, digests: None, content: None, translucent: None })
    }

    /// Whether art should be checked at all.
    fn enabled(&self) -> bool {
        true
    }

    /// The names of the files in the folder `dir` (relative to the project
    /// folder), for finding a variant's art named `<Variant>#<weight>.png`
    /// when `<Variant>.png` does not exist; by default none are known (no
    /// such lookup).
    fn file_names(&self, dir: &Path) -> Vec<String> {
        let _ = dir;
        Vec::new()
    }
}

/// An art file that decodes whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    /// Its header and colour space.
    pub info: ArtInfo,
    /// SHA-256 of its bytes and of its decoded pixels (with the size), when
    /// the store decoded it.
    pub digests: Option<(Sha256Digest, Sha256Digest)>,
    /// The box of its pixels that are not fully transparent, when the store
    /// decoded it.
    pub content: Option<Content>,
    /// The box of its pixels that are not fully opaque (alpha under 255),
    /// when the store decoded it.
    pub translucent: Option<Content>,
}

/// The box `[x0, x1) × [y0, y1)` of an image's pixels that are not fully
/// transparent, in image coordinates; empty (`x0 == x1`) when every pixel is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Content {
    /// Left edge.
    pub x0: u32,
    /// Top edge.
    pub y0: u32,
    /// Right edge (exclusive).
    pub x1: u32,
    /// Bottom edge (exclusive).
    pub y1: u32,
}

impl Content {
    /// The box of the pixels of straight RGBA `rgba` (`width` pixels a row)
    /// whose alpha is `inside` (`|a| a > 0`: the visible ones).
    pub fn of(rgba: &[u8], width: u32, inside: impl Fn(u8) -> bool) -> Content {
        let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
        let width = width.max(1) as usize;
        for (row_index, row) in rgba.chunks(width * 4).enumerate() {
            let Some(first) = row.chunks_exact(4).position(|p| inside(p[3])) else { continue };
            let last = row.chunks_exact(4).rposition(|p| inside(p[3])).unwrap_or(first);
            let y = row_index as u32;
            (x0, x1) = (x0.min(first as u32), x1.max(last as u32 + 1));
            (y0, y1) = (y0.min(y), y + 1);
        }
        if x1 == 0 { Content { x0: 0, y0: 0, x1: 0, y1: 0 } } else { Content { x0, y0, x1, y1 } }
    }

    /// Whether no pixel is visible.
    pub fn is_empty(&self) -> bool {
        self.x0 >= self.x1 || self.y0 >= self.y1
    }
}

/// Art on disk, relative to a project folder (the `.drop` file's folder).
#[derive(Clone, Debug)]
pub struct DiskArt {
    /// The project folder.
    pub root: PathBuf,
}

/// An art file that could not be read, as the checker reports it.
fn unread(why: Unread) -> ArtProblem {
    match why {
        Unread::Missing => ArtProblem::Missing,
        Unread::Refused(why) => ArtProblem::Invalid(why),
    }
}

impl DiskArt {
    /// The art of the `.drop` file at `drop_file`: paths are relative to its folder.
    pub fn beside(drop_file: &Path) -> DiskArt {
        DiskArt { root: drop_file.parent().map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf) }
    }
}

impl ArtStore for DiskArt {
    fn header(&self, path: &Path) -> Result<ArtHeader, ArtProblem> {
        self.info(path).map(|i| i.header)
    }

    fn info(&self, path: &Path) -> Result<ArtInfo, ArtProblem> {
        let full = super::paths::resolve_inside(&self.root, path).map_err(|o| ArtProblem::Outside(o.target))?;
        let file = crate::files::open(&full, crate::files::ART_LIMIT, Links::Follow).map_err(unread)?;
        png_info(BufReader::new(file))
    }

    fn verify(&self, path: &Path) -> Result<Verified, ArtProblem> {
        let full = super::paths::resolve_inside(&self.root, path).map_err(|o| ArtProblem::Outside(o.target))?;
        let bytes = crate::files::read(&full, crate::files::ART_LIMIT, Links::Follow).map_err(unread)?;
        verify_bytes(&bytes)
    }

    fn file_names(&self, dir: &Path) -> Vec<String> {
        self.list(dir)
    }

    fn pixels(&self, path: &Path) -> Result<Decoded, ArtProblem> {
        let full = super::paths::resolve_inside(&self.root, path).map_err(|o| ArtProblem::Outside(o.target))?;
        crate::png::decode_file(&full).map_err(|reason| match reason {
            r if r == crate::png::decode::NOT_FOUND => ArtProblem::Missing,
            r => ArtProblem::Invalid(r),
        })
    }
}

impl DiskArt {
    /// The names of the regular files (or links to them) in `dir`, a folder
    /// inside the project folder; none when it cannot be read.
    pub fn list(&self, dir: &Path) -> Vec<String> {
        let Ok(full) = super::paths::resolve_inside(&self.root, dir) else { return Vec::new() };
        let Ok(entries) = std::fs::read_dir(full) else { return Vec::new() };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect()
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

/// Checks a whole PNG file in memory as the renderer will decode it.
pub fn verify_bytes(bytes: &[u8]) -> Result<Verified, ArtProblem> {
    if bytes.is_empty() {
        return Err(ArtProblem::Invalid("is empty (0 bytes)".into()));
    }
    let info = png_info(std::io::Cursor::new(bytes))?;
    let decoded = crate::png::decode_bytes(bytes).map_err(|why| {
        // The header was read: what ends early is the pixel data.
        ArtProblem::Invalid(if why == "is not a PNG, or is cut short" {
            "is cut short inside its pixel data".to_string()
        } else {
            why
        })
    })?;
    let mut pixels = Sha256::new();
    pixels.update(decoded.width.to_le_bytes());
    pixels.update(decoded.height.to_le_bytes());
    pixels.update(&decoded.rgba);
    let content = Content::of(&decoded.rgba, decoded.width, |a| a > 0);
    let translucent = Content::of(&decoded.rgba, decoded.width, |a| a < 255);
    Ok(Verified {
        info,
        digests: Some((sha256(bytes), pixels.finalize().into())),
        content: Some(content),
        translucent: Some(translucent),
    })
}

/// Reads a PNG header: the signature and the chunks up to the first image data.
pub fn png_header(reader: impl std::io::BufRead + std::io::Seek) -> Result<ArtHeader, ArtProblem> {
    png_info(reader).map(|i| i.header)
}

/// Reads a PNG's size and colour space from the chunks up to the first image data.
pub fn png_info(reader: impl std::io::BufRead + std::io::Seek) -> Result<ArtInfo, ArtProblem> {
    let info = crate::png::info(reader).map_err(ArtProblem::Invalid)?;
    Ok(ArtInfo { header: ArtHeader { width: info.width, height: info.height }, colour: info.colour })
}

/// Checks every art file of the model; returns the diagnostics.
pub fn check_art(model: &Model, store: &dyn ArtStore) -> Vec<Diagnostic> {
    audit_art(model, store).0
}

/// Checks every art file of the model (each decoded once, see the module
/// docs); returns the diagnostics and which variants draw identical art.
pub fn audit_art(model: &Model, store: &dyn ArtStore) -> (Vec<Diagnostic>, IdenticalArt) {
    let (out, identical, _, _) = audit_art_opaque(model, store);
    (out, identical)
}

/// A finding about an art file's colour space that `profiles ignore`
/// silenced: the option that did (`None`: the collection's setting) and
/// the diagnostic it would have been.
#[derive(Clone, Debug)]
pub struct Silenced {
    /// The trait's, variant's or `art` line's `profiles ignore`; `None`
    /// for the collection's.
    pub by: Option<Span>,
    /// What would have been reported.
    pub diagnostic: Diagnostic,
}

/// [`audit_art`], and the variants that make a token opaque: those every
/// art of which (its own and any conditional art) paints the whole canvas
/// opaque (a file covering the canvas at its offset, every pixel fully
/// opaque, at opacity 1, recoloured by hue only); `None` when the store
/// cannot tell (no pixels, or art checks off). Findings about the colour
/// spaces of files whose spaces are ignored ([`Model::profile_policies`])
/// are not among the diagnostics but in the fourth list ([`profile_notes`]
/// sums them up).
pub fn audit_art_opaque<'m>(
    model: &'m Model,
    store: &dyn ArtStore,
) -> (Vec<Diagnostic>, IdenticalArt, Option<Vec<VariantId>>, Vec<Silenced>) {
    let mut out = Vec::new();
    if !store.enabled() {
        return (out, IdenticalArt::none(), None, Vec::new());
    }
    let mut identical = IdenticalArt::each_its_own(model);
    let policies = model.profile_policies();
    let policy_of = |p: &Path| policies.get(p).copied().unwrap_or(ProfilePolicy::Check);
    let mut silenced: Vec<Silenced> = Vec::new();
    // A file's colour space is judged once: at the first use that checks it
    // (a file any use checks is checked), or, when every use ignores it, at
    // the first use, into `silenced`.
    let mut judged: HashSet<&Path> = HashSet::new();
    let mut colour = |path: &'m Path,
                      use_checks: bool,
                      found: &dyn Fn() -> Option<Diagnostic>,
                      out: &mut Vec<Diagnostic>,
                      silenced: &mut Vec<Silenced>| {
        let policy = policy_of(path);
        if !(use_checks || policy.ignored()) || !judged.insert(path) {
            return;
        }
        let Some(diagnostic) = found() else { return };
        match policy {
            ProfilePolicy::Check => out.push(diagnostic),
            ProfilePolicy::Ignore { by } => silenced.push(Silenced { by, diagnostic }),
        }
    };
    let (cw, ch) = model.settings.canvas;
    let mut paths: Vec<&Path> = model
        .art_files()
        .filter(|(t, _)| model.traits[*t].kind != TraitKind::MetadataOnly)
        .map(|(_, f)| f.path.as_path())
        .filter(|p| !p.as_os_str().is_empty())
        .chain(model.legendaries.iter().map(|l| l.image.as_path()))
        .collect();
    paths.sort();
    paths.dedup();
    let verified: Vec<Result<Verified, ArtProblem>> = paths.par_iter().map(|p| store.verify(p)).collect();
    let cache: HashMap<&Path, Result<Verified, ArtProblem>> = paths.into_iter().zip(verified).collect();
    let info = |path: &Path| cache.get(path).cloned().unwrap_or(Err(ArtProblem::Missing));
    // A file's own problems (not its size, which depends on the variant's
    // offset) are reported once, at its first use.
    let mut reported: HashMap<&Path, ()> = HashMap::new();

    for (trait_id, t) in model.traits.iter().enumerate() {
        if t.kind == TraitKind::MetadataOnly {
            continue;
        }
        // Colour space of each readable file of the trait, for `mixed_colour_profiles`.
        let mut spaces: Vec<(String, &Path)> = Vec::new();
        // The first of them whose space is ignored, and by what.
        let mut ignored: Option<Option<Span>> = None;
        for (index, v) in t.variants.iter().enumerate() {
            let Some(files) = t.own_files(index) else { continue };
            let who = format!("`{}`", model.variant_name(VariantId { trait_id, index }));
            for file in files {
                if file.path.as_os_str().is_empty() {
                    continue;
                }
                let first_use = reported.insert(file.path.as_path(), ()).is_none();
                match info(&file.path) {
                    Ok(i) => {
                        if let Some(d) = size_problem(
                            i.info.header,
                            i.content,
                            (cw, ch),
                            &t.options_of(v).style,
                            file.span,
                            &file.path,
                        ) {
                            out.push(d);
                        }
                        colour(
                            &file.path,
                            !model.profile_policy(t.options_of(v).profiles).ignored(),
                            &|| colour_problem(&i.info.colour, file.span, &file.path),
                            &mut out,
                            &mut silenced,
                        );
                        if !spaces.iter().any(|(_, p)| *p == file.path.as_path()) {
                            spaces.push((i.info.colour.describe(), &file.path));
                            if let (None, ProfilePolicy::Ignore { by }) = (ignored, policy_of(&file.path)) {
                                ignored = Some(by);
                            }
                        }
                    }
                    Err(problem @ ArtProblem::Missing) => {
                        out.push(problem_diagnostic(problem, file.span, &file.path, &who));
                    }
                    Err(problem) if first_use => out.push(problem_diagnostic(problem, file.span, &file.path, &who)),
                    Err(_) => {}
                }
            }
        }
        // Files whose spaces are ignored do not count; if the warning
        // needs them, it is one more finding their option silenced.
        let checked: Vec<(String, &Path)> = spaces.iter().filter(|(_, p)| !policy_of(p).ignored()).cloned().collect();
        match (mixed_profiles(&t.name, t.span, &checked), ignored) {
            (Some(d), _) => out.push(d),
            (None, Some(by)) => {
                if let Some(diagnostic) = mixed_profiles(&t.name, t.span, &spaces) {
                    silenced.push(Silenced { by, diagnostic });
                }
            }
            (None, None) => {}
        }
    }
    for l in &model.legendaries {
        let first_use = reported.insert(l.image.as_path(), ()).is_none();
        match info(&l.image) {
            Ok(i) => {
                // A legendary is drawn as it is: only the canvas size will do.
                if let Some(d) = size_problem(i.info.header, None, (cw, ch), &LayerStyle::default(), l.span, &l.image) {
                    out.push(d);
                }
                colour(
                    &l.image,
                    !model.profile_policy(None).ignored(),
                    &|| colour_problem(&i.info.colour, l.span, &l.image),
                    &mut out,
                    &mut silenced,
                );
            }
            Err(problem @ ArtProblem::Missing) => {
                out.push(problem_diagnostic(problem, l.span, &l.image, &format!("legendary `{}`", l.name)));
            }
            Err(problem) if first_use => {
                out.push(problem_diagnostic(problem, l.span, &l.image, &format!("legendary `{}`", l.name)));
            }
            Err(_) => {}
        }
    }
    // Conditional art: its files, at the options it is drawn with (a
    // derived one: its source's files at its offset).
    for (rule, w) in model.whens.iter().enumerate() {
        for (index, line) in w.art.iter().enumerate() {
            let ArtChange::Variant { index: variant, art, profiles, .. } = &line.change else { continue };
            let id = VariantId { trait_id: line.trait_id, index: *variant };
            let Ok(drawn) = model.drawn_from(id, ArtSource::When { rule, art: index }) else { continue };
            let who = format!("conditional art of `{}`", model.variant_name(id));
            for file in drawn.files.iter().filter(|f| !f.path.as_os_str().is_empty()) {
                // A derived one's files are its source's, checked there: only the size is its own.
                let own_file = matches!(art, Art::Files(_) | Art::Default);
                let first_use = own_file && reported.insert(file.path.as_path(), ()).is_none();
                let span = if own_file { file.span } else { line.span };
                match info(&file.path) {
                    Ok(i) => {
                        let content = i.content.filter(|_| alpha_kept(&drawn));
                        if let Some(d) = size_problem(i.info.header, content, (cw, ch), drawn.style, span, &file.path) {
                            out.push(d);
                        }
                        if own_file {
                            colour(
                                &file.path,
                                !model.profile_policy(*profiles).ignored(),
                                &|| colour_problem(&i.info.colour, span, &file.path),
                                &mut out,
                                &mut silenced,
                            );
                        }
                    }
                    Err(problem @ ArtProblem::Missing) if own_file => {
                        out.push(problem_diagnostic(problem, span, &file.path, &who));
                    }
                    Err(problem) if first_use => out.push(problem_diagnostic(problem, span, &file.path, &who)),
                    Err(_) => {}
                }
            }
        }
    }
    // A derived variant has its source's art at its own offset.
    for (trait_id, t) in model.traits.iter().enumerate() {
        for (index, v) in t.variants.iter().enumerate() {
            if !matches!(v.art, Art::Derived { .. }) {
                continue;
            }
            let Ok(drawn) = model.drawn(VariantId { trait_id, index }) else { continue };
            for file in drawn.files {
                if let Some(Ok(i)) = cache.get(file.path.as_path()) {
                    let content = i.content.filter(|_| alpha_kept(&drawn));
                    if let Some(d) =
                        size_problem(i.info.header, content, (cw, ch), &t.options_of(v).style, v.span(), &file.path)
                    {
                        out.push(d);
                    }
                }
            }
        }
    }
    let conditional = ConditionalArt::new(model);
    if !conditional.is_empty() {
        identical.looks = (0..model.traits.len())
            .map(|t| match model.traits[t].kind {
                TraitKind::MetadataOnly => (0..model.traits[t].variants.len()).collect(),
                _ => identical_looks(model, &conditional, t, &cache),
            })
            .collect();
    }
    for (trait_id, t) in model.traits.iter().enumerate() {
        if t.kind == TraitKind::MetadataOnly {
            continue;
        }
        let groups = identical_groups(model, trait_id, &cache);
        for group in &groups {
            let first = group[0];
            for &v in &group[1..] {
                identical.first[trait_id][v] = first;
            }
            out.push(identical_diagnostic(model, trait_id, group, &cache));
        }
    }
    out.extend(identical_across_traits(model, &cache));
    let opaque = opaque_variants(model, &conditional, &cache);
    (out, identical, opaque, silenced)
}

/// The variants every look of which paints the whole canvas opaque (see
/// [`audit_art_opaque`]); `None` when some file's pixels are unknown.
fn opaque_variants(
    model: &Model,
    conditional: &ConditionalArt,
    cache: &HashMap<&Path, Result<Verified, ArtProblem>>,
) -> Option<Vec<VariantId>> {
    let (cw, ch) = model.settings.canvas;
    let mut out = Vec::new();
    for (trait_id, t) in model.traits.iter().enumerate() {
        if t.kind == TraitKind::MetadataOnly {
            continue;
        }
        let looks = conditional.looks(trait_id, t.variants.len());
        for index in 0..t.variants.len() {
            let mut covers = true;
            for look in looks.iter().filter(|l| l.variant == index) {
                let Ok(drawn) = model.drawn_from(VariantId { trait_id, index }, look.source) else {
                    covers = false;
                    break;
                };
                let style = drawn.style;
                let mut any = false;
                for f in drawn.files {
                    let verified = cache.get(f.path.as_path())?.as_ref().ok()?;
                    let h = verified.info.header;
                    let (x, y) = (i64::from(style.offset.0), i64::from(style.offset.1));
                    let placed_over = x <= 0
                        && y <= 0
                        && x + i64::from(h.width) >= i64::from(cw)
                        && y + i64::from(h.height) >= i64::from(ch);
                    // No pixel under 255 alpha falls on the canvas.
                    let t = verified.translucent?;
                    let clear = t.is_empty()
                        || x + i64::from(t.x1) <= 0
                        || y + i64::from(t.y1) <= 0
                        || x + i64::from(t.x0) >= i64::from(cw)
                        || y + i64::from(t.y0) >= i64::from(ch);
                    any |= placed_over && clear;
                }
                if !(any && style.opacity >= 1.0 && alpha_kept(&drawn)) {
                    covers = false;
                    break;
                }
            }
            if covers {
                out.push(VariantId { trait_id, index });
            }
        }
    }
    Some(out)
}

/// `translucent_tokens` as `dropc run` (and `dropc qa`) measures it: without
/// a `background` setting, more than half of the `rendered` generated tokens
/// have a pixel with alpha under 255.
pub fn translucent_rendered(model: &Model, translucent: usize, rendered: usize, span: Span) -> Option<Diagnostic> {
    if translucent * 2 <= rendered || model.settings.background.is_some() {
        return None;
    }
    Some(
        Diagnostic::new(
            Code::TranslucentTokens,
            span,
            format!(
                "{translucent} of the {rendered} tokens rendered have translucent pixels: no layer covers the \
                 canvas with opaque pixels there"
            ),
        )
        .label("no `background`")
        .help(
            "viewers show the page through translucent pixels; give the collection a `background` colour (or an \
             opaque background layer) if that is not meant",
        ),
    )
}

/// `translucent_tokens`: without a `background` setting, more than half of
/// the tokens (by the law of one token under the rules) have no variant that
/// paints the whole canvas opaque ([`audit_art_opaque`]). That share bounds
/// the share of translucent tokens from above: layers that together cover
/// the canvas make a token opaque too.
pub fn warn_translucent(model: &Model, opaque: &[VariantId], span: Span, diagnostics: &mut Vec<Diagnostic>) {
    if model.settings.background.is_some() || model.traits.iter().all(|t| t.kind == TraitKind::MetadataOnly) {
        return;
    }
    let without = if opaque.is_empty() {
        1.0
    } else {
        match crate::solve::network::share_of_any(model, opaque) {
            Some(share) => 1.0 - share,
            None => return,
        }
    };
    if without <= 0.5 {
        return;
    }
    let percent = (without * 100.0).round();
    let what = if without >= 1.0 {
        "no token has a layer that paints the whole canvas opaque".to_string()
    } else {
        format!("{percent}% of the tokens (predicted) have no layer that paints the whole canvas opaque")
    };
    diagnostics.push(
        Diagnostic::new(
            Code::TranslucentTokens,
            span,
            format!("{what}: unless their layers together cover it, they come out translucent"),
        )
        .label("no `background`")
        .help(
            "viewers show the page through translucent pixels; give the collection a `background` colour \
             (`background #101018`) or an opaque background layer, or write `background #00000000` if \
             translucent tokens are meant",
        ),
    );
}

/// `identical_art` for variants of different traits that draw the same
/// pixels (the same file, or byte- or pixel-identical files, with the same
/// placement, recolouring and rendering options): one warning per look,
/// naming the first such variant of each trait. Reported after the
/// per-trait groups, which `qa` reads in order.
fn identical_across_traits(model: &Model, cache: &HashMap<&Path, Result<Verified, ArtProblem>>) -> Vec<Diagnostic> {
    let mut by_look: Vec<(String, Vec<VariantId>)> = Vec::new();
    for (trait_id, t) in model.traits.iter().enumerate() {
        if t.kind == TraitKind::MetadataOnly {
            continue;
        }
        for index in 0..t.variants.len() {
            let id = VariantId { trait_id, index };
            let Some(look) = look_of(model, id, cache) else { continue };
            match by_look.iter_mut().find(|(l, _)| *l == look) {
                // One variant per trait: identical art within a trait is the per-trait warning's.
                Some((_, ids)) if ids.iter().all(|i| i.trait_id != trait_id) => ids.push(id),
                Some(_) => {}
                None => by_look.push((look, vec![id])),
            }
        }
    }
    let mut out = Vec::new();
    for (_, ids) in by_look.into_iter().filter(|(_, ids)| ids.len() > 1) {
        let names: Vec<String> = ids.iter().map(|&i| model.variant_name(i)).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let files: Vec<String> = model
            .drawn(ids[0])
            .map(|d| d.files.iter().map(|f| format!("`{}`", f.path.display())).collect())
            .unwrap_or_default();
        let what = if files.len() == 1 { format!(" (as {})", files[0]) } else { String::new() };
        let help = format!(
            "a token with `{}` and one with `{}` in its place can get the same image; give each its own art{}",
            names[0],
            names[1],
            if model.visually.is_some() {
                " (`unique visually` compares each trait's art on its own, so it does not keep such tokens apart)"
            } else {
                ""
            }
        );
        let mut d = Diagnostic::new(
            Code::IdenticalArt,
            model.variant(ids[1]).span(),
            format!("{} draw identical art in different traits{what}", super::resolve::quote_list(&refs)),
        )
        .label(format!("draws exactly what `{}` draws", names[0]))
        .with_label(model.variant(ids[0]).span(), "the same art");
        for &i in &ids[2..] {
            d = d.with_label(model.variant(i).span(), "the same art");
        }
        out.push(d.help(help));
    }
    out
}

/// What a variant draws, as far as pixels go: per art file its pixels
/// (their digest, or the path when the store has no pixels) and depth, then
/// the recolourings and the rendering options. `None` for a variant without
/// art or with a file that cannot be used.
fn look_of(model: &Model, id: VariantId, cache: &HashMap<&Path, Result<Verified, ArtProblem>>) -> Option<String> {
    look_from(model, id, ArtSource::Own, cache)
}

/// What variant `id` draws from `source` (its own art, or a `when` block's),
/// as [`look_of`] says it.
fn look_from(
    model: &Model,
    id: VariantId,
    source: ArtSource,
    cache: &HashMap<&Path, Result<Verified, ArtProblem>>,
) -> Option<String> {
    if matches!(model.variant(id).art, Art::Empty) && source == ArtSource::Own {
        return None;
    }
    let drawn = model.drawn_from(id, source).ok()?;
    if drawn.files.is_empty() {
        return None;
    }
    let mut look = String::new();
    for f in drawn.files {
        let verified = cache.get(f.path.as_path())?.as_ref().ok()?;
        match verified.digests {
            Some((_, pixels)) => look.push_str(&crate::digest::hex(&pixels)),
            None => look.push_str(&format!("{:?}", f.path)),
        }
        // Pixels declared in different colour spaces are not meant to look alike.
        look.push_str(&format!(" {}", verified.info.colour.describe()));
        look.push_str(&format!(" {:?};", f.placement()));
    }
    let style = drawn.style;
    let recolours: Vec<&Recolour> = drawn.recolours().collect();
    look.push_str(&format!("{recolours:?} {:?} {} {:?}", style.blend, style.opacity.to_bits(), style.offset));
    Some(look)
}

/// Per look of trait `t` ([`ConditionalArt::looks`]), the first look of the
/// trait that draws identical art (itself when none does).
fn identical_looks(
    model: &Model,
    conditional: &ConditionalArt,
    trait_id: TraitId,
    cache: &HashMap<&Path, Result<Verified, ArtProblem>>,
) -> Vec<usize> {
    let looks = conditional.looks(trait_id, model.traits[trait_id].variants.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    looks
        .iter()
        .enumerate()
        .map(|(i, l)| match look_from(model, VariantId { trait_id, index: l.variant }, l.source, cache) {
            Some(look) => *seen.entry(look).or_insert(i),
            None => i,
        })
        .collect()
}

/// Groups (of two or more variant indices, ascending) of variants of `t` that draw identical art.
fn identical_groups(
    model: &Model,
    trait_id: TraitId,
    cache: &HashMap<&Path, Result<Verified, ArtProblem>>,
) -> Vec<Vec<usize>> {
    let mut by_look: Vec<(String, Vec<usize>)> = Vec::new();
    for i in 0..model.traits[trait_id].variants.len() {
        let Some(look) = look_of(model, VariantId { trait_id, index: i }, cache) else { continue };
        match by_look.iter_mut().find(|(l, _)| *l == look) {
            Some((_, group)) => group.push(i),
            None => by_look.push((look, vec![i])),
        }
    }
    by_look.into_iter().map(|(_, g)| g).filter(|g| g.len() > 1).collect()
}

/// The `identical_art` warning for one group of variants.
fn identical_diagnostic(
    model: &Model,
    trait_id: TraitId,
    group: &[usize],
    cache: &HashMap<&Path, Result<Verified, ArtProblem>>,
) -> Diagnostic {
    let t = &model.traits[trait_id];
    let name = |i: usize| model.variant_name(VariantId { trait_id, index: i });
    let names: Vec<String> = group.iter().map(|&i| name(i)).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let files = |i: usize| -> Vec<&Path> {
        let drawn = model.drawn(VariantId { trait_id, index: i });
        drawn.map_or(Vec::new(), |d| d.files.iter().map(|f| f.path.as_path()).collect())
    };
    let all: Vec<Vec<&Path>> = group.iter().map(|&i| files(i)).collect();
    let bytes = |p: &Path| cache.get(p).and_then(|r| r.as_ref().ok()).and_then(|v| v.digests).map(|d| d.0);
    let why = if all.iter().all(|f| *f == all[0]) {
        match all[0].as_slice() {
            [one] => format!("they use the same file `{}`", one.display()),
            _ => "they use the same files".to_string(),
        }
    } else {
        let distinct: Vec<&Path> = {
            let mut d: Vec<&Path> = all.iter().flatten().copied().collect();
            d.sort();
            d.dedup();
            d
        };
        let shown: Vec<String> = distinct.iter().take(4).map(|p| format!("`{}`", p.display())).collect();
        let more = if distinct.len() > 4 { format!(" and {} more", distinct.len() - 4) } else { String::new() };
        let same_bytes = all.iter().all(|f| {
            f.len() == all[0].len() && f.iter().zip(&all[0]).all(|(a, b)| bytes(a).is_some() && bytes(a) == bytes(b))
        });
        let kind = if same_bytes { "byte-identical files" } else { "files with identical pixels" };
        format!("{kind} {}{more}", shown.join(", "))
    };
    let help = if model.visually.is_some() {
        "under `unique visually` they count as one look, so tokens that differ only in them are kept apart; \
         give each its own art if they are meant to look different"
            .to_string()
    } else {
        format!(
            "tokens that differ only in {} get identical images; give each its own art, or write \
             `unique visually` so that tokens that look the same are kept apart (`unique by` cannot help: \
             the tokens differ in name)",
            if group.len() == 2 { "these two" } else { "these variants" }
        )
    };
    let first = &t.variants[group[0]];
    let mut d = Diagnostic::new(
        Code::IdenticalArt,
        t.variants[group[1]].span(),
        format!("{} draw identical art: {why}", super::resolve::quote_list(&refs)),
    )
    .label(format!("draws exactly what `{}` draws", names[0]))
    .with_label(first.span(), "the same art");
    for &i in &group[2..] {
        d = d.with_label(t.variants[i].span(), "the same art");
    }
    d.help(help)
}

/// One note, `colour_profiles_ignored`, per `profiles ignore` that
/// silenced findings ([`Silenced`]; `setting`: the collection's `profiles`
/// setting), saying how many there were and showing the first, in the order
/// the options first silenced something.
pub fn profile_notes(silenced: &[Silenced], setting: Span) -> Vec<Diagnostic> {
    let mut by: Vec<(Option<Span>, Vec<&Diagnostic>)> = Vec::new();
    for s in silenced {
        match by.iter_mut().find(|(b, _)| *b == s.by) {
            Some((_, list)) => list.push(&s.diagnostic),
            None => by.push((s.by, vec![&s.diagnostic])),
        }
    }
    let mut notes = Vec::new();
    for (option, ignored) in by {
        let span = option.unwrap_or(setting);
        let Some(first) = ignored.first() else { continue };
        let n = ignored.len();
        notes.push(
            Diagnostic::new(
                Code::ColourProfilesIgnored,
                span,
                format!(
                    "colour spaces ignored: {n} {} about art colour spaces not reported, the first: {}",
                    if n == 1 { "finding" } else { "findings" },
                    first.message
                ),
            )
            .label("art numbers taken as sRGB")
            .with_label(first.span(), "for example here")
            .help(
                "dropc composites every layer's numbers as sRGB; if the art was really drawn in another space, \
                 convert it instead (`dropc qa --fix-profiles`) and remove `profiles ignore`",
            ),
        );
    }
    notes
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
        ColourSpace::IgnoredIcc { profile, image } => Some(
            Diagnostic::new(
                Code::IgnoredColourProfile,
                span,
                format!("art `{shown}` is a {image} image with an {profile} ICC profile, which PNG says to ignore"),
            )
            .label("its profile is ignored; its numbers are taken as sRGB")
            .help(format!(
                "nothing to convert: export the layer again without the profile (or with a {image} one) \
                 to silence this"
            )),
        ),
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

/// Whether what a variant draws keeps its files' alpha: a palette may map
/// a transparent colour to a visible one, a hue rotation never does.
fn alpha_kept(drawn: &Drawn<'_>) -> bool {
    drawn.recolours().all(|r| matches!(r, Recolour::Hue(_)))
}

/// Art that is not the canvas size: refused when it is smaller and not
/// placed with `offset`, or when pixels that are not fully transparent fall
/// outside the canvas (or `content` is unknown); otherwise drawn cropped to
/// the canvas, with a note (`art_cropped`).
fn size_problem(
    h: ArtHeader,
    content: Option<Content>,
    (cw, ch): (u32, u32),
    style: &LayerStyle,
    span: Span,
    path: &Path,
) -> Option<Diagnostic> {
    let shown = path.display();
    if (h.width, h.height) == (cw, ch) {
        return None; // canvas-sized art may be shifted; what leaves the canvas is clipped
    }
    let larger = h.width > cw || h.height > ch;
    if !style.placed && (h.width < cw || h.height < ch) {
        return Some(
            Diagnostic::new(
                Code::ArtSizeMismatch,
                span,
                format!("art `{shown}` is {} x {} but the canvas is {cw} x {ch}", h.width, h.height),
            )
            .label("wrong size")
            .help(if larger {
                format!("export the layer at the canvas size, {cw} x {ch} (or crop it to that size)")
            } else {
                "export layers at the canvas size, or place a smaller image with `offset (x, y)`".to_string()
            }),
        );
    }
    let (x, y) = if style.placed { (i64::from(style.offset.0), i64::from(style.offset.1)) } else { (0, 0) };
    let (cw64, ch64) = (i64::from(cw), i64::from(ch));
    let inside = x >= 0 && y >= 0 && x + i64::from(h.width) <= cw64 && y + i64::from(h.height) <= ch64;
    if inside {
        return None;
    }
    let at = if style.placed { format!(" at offset ({x}, {y})") } else { String::new() };
    // Only fully transparent pixels outside: drawn cropped.
    if let Some(c) = content {
        let fits = c.is_empty()
            || (x + i64::from(c.x0) >= 0
                && y + i64::from(c.y0) >= 0
                && x + i64::from(c.x1) <= cw64
                && y + i64::from(c.y1) <= ch64);
        if fits {
            return Some(
                Diagnostic::new(
                    Code::ArtCropped,
                    span,
                    format!(
                        "art `{shown}` ({} x {}){at} reaches outside the {cw} x {ch} canvas with fully transparent \
                         pixels only: it is cropped to the canvas",
                        h.width, h.height
                    ),
                )
                .label("cropped to the canvas")
                .help(if larger {
                    format!("nothing is lost; export the layer at {cw} x {ch} to silence this")
                } else {
                    "nothing is lost; crop the transparent margin from the file to silence this".to_string()
                }),
            );
        }
    }
    let help = match content {
        Some(c) if i64::from(c.x1 - c.x0) <= cw64 && i64::from(c.y1 - c.y0) <= ch64 => {
            // An offset that puts the drawing inside the canvas, as close to the current one as can be.
            let ox = x.clamp(-i64::from(c.x0), cw64 - i64::from(c.x1));
            let oy = y.clamp(-i64::from(c.y0), ch64 - i64::from(c.y1));
            format!(
                "its drawing ({} x {} pixels) fits the canvas: {} `offset ({ox}, {oy})` (what then falls outside \
                 is transparent and cropped), or crop the image",
                c.x1 - c.x0,
                c.y1 - c.y0,
                if style.placed { "change the offset to" } else { "place it with" }
            )
        }
        Some(c) => format!(
            "its drawing is {} x {} pixels, larger than the {cw} x {ch} canvas: crop or scale the drawing to at \
             most {cw} x {ch} (moving it cannot make it fit)",
            c.x1 - c.x0,
            c.y1 - c.y0
        ),
        None if !style.placed => format!("export the layer at the canvas size, {cw} x {ch} (or crop it to that size)"),
        None => "crop the image or change the offset so that it lies inside the canvas".to_string(),
    };
    let message = if style.placed {
        format!("art `{shown}` ({} x {}){at} does not fit the {cw} x {ch} canvas", h.width, h.height)
    } else {
        format!("art `{shown}` is {} x {} but the canvas is {cw} x {ch}", h.width, h.height)
    };
    let label = if content.is_some() { "has visible pixels outside the canvas" } else { "reaches outside the canvas" };
    Some(Diagnostic::new(Code::ArtSizeMismatch, span, message).label(label).help(help))
}
