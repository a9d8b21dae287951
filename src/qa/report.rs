//! `report.html`: the audit as a page people would rather look at than read.
//!
//! One self-contained HTML file in the output folder, beside the images it
//! shows: inline CSS and inline SVG charts, no script, no font, no image or
//! style from the network (its Content-Security-Policy forbids all of them,
//! so a browser could not fetch anything even if a string slipped through).
//! It holds, top to bottom:
//!
//! - the collection's name, size, seed and a verdict (clean, or how many
//!   errors and warnings);
//! - every finding, errors first, with thumbnails of the images it names;
//! - one bar chart per trait: the declared share of every variant (its
//!   weight), the predicted one (exact, under the rules) and the realised one
//!   (what the sample drew), with the figures in a table below;
//! - a contact sheet of every token, rarest first, each thumbnail linking to
//!   its full image and to its metadata;
//! - the rarity ranking with every token's attributes (the rarest
//!   [`RANKING_ROWS`]; the rest are in `rarity.json`).
//!
//! Thumbnails are PNG files beside the report, `report/thumbs/<id>.png` for
//! tokens, made in parallel from the full images with the collection's
//! resize filter (`nearest` keeps pixel art crisp) and written atomically.
//! Every string that comes from the user (collection, trait, variant and
//! token names, attribute values, messages, paths) is escaped; the page is a
//! pure function of its input, so the same input gives the same bytes.
//!
//! [`ReportInput::from_collection`] fills the input from a model, its tokens
//! and the findings of an audit; [`write_report`] writes the thumbnails and
//! the page; [`render_html`] is the page alone, without I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use super::{Finding, Severity, Subject};
use crate::model::TraitKind;
use crate::model::{Compression, Model, ResizeFilter};
use crate::publish::provenance::sha256_hex;
use crate::publish::rarity::{collection_attributes, scores};
use crate::publish::write_atomic;
use crate::sample::Tokens;

/// The report's file name, in the output folder.
pub const REPORT_FILE: &str = crate::output::REPORT;
/// The folder of the report's thumbnails, relative to the output folder.
pub const THUMBS_DIR: &str = crate::output::THUMBS;
/// Rows of the rarity table; the contact sheet shows every token.
pub const RANKING_ROWS: usize = 1000;
/// Images shown for one finding; the others are counted.
pub const FINDING_IMAGES: usize = 8;
/// Findings of one code shown open; more are folded under a summary.
const OPEN_FINDINGS: usize = 12;

/// Everything the report shows.
#[derive(Clone, Debug)]
pub struct ReportInput<'a> {
    /// The collection's name.
    pub collection: String,
    /// The seed it was drawn from.
    pub seed: String,
    /// Number of tokens, legendaries included.
    pub size: u64,
    /// Number of generated tokens (the size without legendaries): realised
    /// shares are counts over this.
    pub generated: u64,
    /// The provenance hash (`provenance.json`), when known.
    pub provenance: Option<String>,
    /// Every trait, in declaration order.
    pub traits: Vec<TraitChart>,
    /// Every token with its rarity; shown rarest first (by rank, then id)
    /// whatever the order given.
    pub tokens: Vec<RankedToken>,
    /// The audit's findings, in any order.
    pub findings: &'a [Finding],
    /// How thumbnails are made.
    pub thumbnails: ThumbnailOptions,
}

/// One trait's chart: the shares of its variants.
#[derive(Clone, Debug, PartialEq)]
pub struct TraitChart {
    /// The trait's name.
    pub name: String,
    /// Visible, hidden or metadata-only.
    pub kind: TraitKind,
    /// Its variants, in declaration order.
    pub variants: Vec<VariantBars>,
}

/// One variant's share of the generated tokens, three ways.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantBars {
    /// The variant's name.
    pub name: String,
    /// Its weight over the trait's total weight, in `[0, 1]`.
    pub declared: f64,
    /// Its exact probability under the rules, when it could be computed.
    pub predicted: Option<f64>,
    /// How many generated tokens drew it.
    pub count: u64,
}

/// One token of the rarity ranking.
#[derive(Clone, Debug, PartialEq)]
pub struct RankedToken {
    /// Its id.
    pub id: u64,
    /// Its name (from its metadata).
    pub name: String,
    /// Its rank, 1 for the rarest (ties share a rank).
    pub rank: usize,
    /// Its rarity score.
    pub score: f64,
    /// Its published attributes, `(trait type, value)`, in metadata order.
    pub attributes: Vec<(String, String)>,
    /// Its full image, relative to the output folder.
    pub image: PathBuf,
    /// Its metadata document, relative to the output folder.
    pub metadata: PathBuf,
}

/// How thumbnails are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThumbnailOptions {
    /// The longer side of a thumbnail, in pixels (images are never enlarged).
    pub size: u32,
    /// The resize filter: `Nearest` for pixel art, `Lanczos3` for the rest.
    pub filter: ResizeFilter,
    /// The largest image (width, height) decoded for a thumbnail: an image
    /// of the folder whose header declares more (a tampered file) is shown
    /// as a placeholder, and its pixels are never allocated.
    pub largest: (u32, u32),
}

impl Default for ThumbnailOptions {
    fn default() -> Self {
        let side = crate::check::settings::MAX_PIXELS as u32;
        ThumbnailOptions { size: 128, filter: ResizeFilter::Lanczos3, largest: (side, side) }
    }
}

impl<'a> ReportInput<'a> {
    /// The input for `tokens`, drawn from `model` with `seed`, and the
    /// `findings` of its audit: declared shares from the weights, predicted
    /// ones from [`crate::sample::predicted_shares`] (left out when the rules
    /// cannot be compiled), realised counts from the tokens, and the ranking
    /// `rarity.json` publishes (same scores, same order). Images and metadata
    /// are where `dropc run` writes them; thumbnails use the collection's
    /// resize filter.
    pub fn from_collection(model: &Model, tokens: &Tokens, seed: &str, findings: &'a [Finding]) -> ReportInput<'a> {
        let predicted = crate::sample::predicted_shares(model).ok();
        let counts = tokens.variant_counts(model);
        let traits = model
            .traits
            .iter()
            .enumerate()
            .map(|(t, tr)| {
                let total: f64 = tr.variants.iter().map(|v| v.weight).sum();
                let variants = tr
                    .variants
                    .iter()
                    .enumerate()
                    .map(|(v, var)| VariantBars {
                        name: var.name.clone(),
                        declared: if total > 0.0 { var.weight / total } else { 0.0 },
                        predicted: predicted.as_ref().and_then(|p| p.get(t)?.get(v).copied()),
                        count: counts.get(t).and_then(|c| c.get(v)).copied().unwrap_or(0),
                    })
                    .collect();
                TraitChart { name: tr.name.clone(), kind: tr.kind, variants }
            })
            .collect();
        let all: Vec<_> = tokens.iter().collect();
        let attributes = collection_attributes(model, tokens);
        let mut ranked: Vec<RankedToken> = scores(&attributes)
            .into_iter()
            .filter_map(|e| {
                let token = *all.get(e.index)?;
                let id = token.id();
                let doc = crate::publish::metadata(model, token);
                Some(RankedToken {
                    id,
                    name: doc.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string(),
                    rank: e.rank,
                    score: e.score,
                    attributes: attributes.get(e.index).cloned().unwrap_or_default(),
                    image: PathBuf::from(crate::output::image_rel(id, None)),
                    metadata: PathBuf::from(crate::output::metadata_rel(id)),
                })
            })
            .collect();
        ranked.sort_by_key(|t| (t.rank, t.id));
        ReportInput {
            collection: model.settings.name.clone(),
            seed: seed.to_string(),
            size: tokens.len() as u64,
            generated: tokens.ids.len() as u64,
            provenance: None,
            traits,
            tokens: ranked,
            findings,
            thumbnails: ThumbnailOptions {
                size: 128,
                filter: model.settings.resize,
                largest: model
                    .settings
                    .sizes
                    .iter()
                    .fold(model.settings.canvas, |(w, h), &(a, b)| (w.max(a), h.max(b))),
            },
        }
    }
}

impl ReportInput<'_> {
    /// Takes each token's rank and score from a recorded ranking (the lines
    /// of `rarity.json`: id, rank, score) instead of computing them, so the
    /// page shows what was published; tokens the record does not list keep
    /// theirs. An empty record (unreadable) changes nothing.
    pub fn use_recorded_ranking(&mut self, record: impl IntoIterator<Item = (u64, usize, f64)>) {
        let record: BTreeMap<u64, (usize, f64)> =
            record.into_iter().map(|(id, rank, score)| (id, (rank, score))).collect();
        for t in &mut self.tokens {
            if let Some(&(rank, score)) = record.get(&t.id) {
                t.rank = rank;
                t.score = score;
            }
        }
        self.tokens.sort_by_key(|t| (t.rank, t.id));
    }
}

/// Which thumbnails exist: images that could not be read are shown as a
/// placeholder naming the reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Thumbnails {
    /// Images (relative to the output folder) without a thumbnail, and why.
    pub missing: BTreeMap<PathBuf, String>,
}

/// Writes the thumbnails and `report.html` into the output folder `dir`.
pub fn write_report(dir: &Path, input: &ReportInput<'_>) -> io::Result<()> {
    let thumbs = write_thumbnails(dir, input)?;
    write_atomic(&dir.join(REPORT_FILE), render_html(input, &thumbs).as_bytes())
}

/// Token ids by image path, to name thumbnails.
type ByImage<'i> = BTreeMap<&'i Path, u64>;

fn by_image<'i>(input: &'i ReportInput<'_>) -> ByImage<'i> {
    input.tokens.iter().map(|t| (t.image.as_path(), t.id)).collect()
}

/// The thumbnail of an image (relative to the output folder), relative to
/// the output folder: `report/thumbs/<id>.png` for a token's image, and
/// `report/thumbs/other/<hash of the path>.png` for any other.
fn thumbnail_path(by_image: &ByImage<'_>, image: &Path) -> PathBuf {
    let thumbs = Path::new(THUMBS_DIR);
    match by_image.get(image) {
        Some(id) => thumbs.join(format!("{id}.png")),
        None => {
            let key = sha256_hex(url_path(image).as_bytes());
            thumbs.join("other").join(format!("{}.png", key.get(..16).unwrap_or(&key)))
        }
    }
}

/// The record of the thumbnails made, in [`THUMBS_DIR`]: the SHA-256 of each
/// image they were made from, and how. A thumbnail whose image and options
/// are unchanged is kept, so a second report of a large collection costs
/// reading its images, not decoding and resizing them.
const THUMBS_INDEX: &str = crate::output::THUMBS_INDEX;

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct ThumbsIndex {
    /// dropc's version and the options: thumbnails of other ones are redone.
    made_by: String,
    /// Image path (`/`-separated, relative to the output folder) → SHA-256.
    images: BTreeMap<String, String>,
}

/// Makes the thumbnail of every token's image and every image a finding
/// shows, in parallel on the current rayon pool, and removes thumbnails left
/// by earlier reports that this one does not use. Images that cannot be read
/// are not an error (the audit reports them): they are returned as missing.
/// Thumbnails already made from the same bytes with the same options are
/// kept.
pub fn write_thumbnails(dir: &Path, input: &ReportInput<'_>) -> io::Result<Thumbnails> {
    let by_image = by_image(input);
    let mut jobs: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    for image in input.tokens.iter().map(|t| t.image.as_path()).chain(finding_images(input.findings)) {
        if !jobs.contains_key(image) {
            jobs.insert(image.to_path_buf(), thumbnail_path(&by_image, image));
        }
    }
    let root = dir.join(THUMBS_DIR);
    let folders: BTreeSet<PathBuf> =
        std::iter::once(root.clone()).chain(jobs.values().filter_map(|t| Some(dir.join(t.parent()?)))).collect();
    for folder in &folders {
        std::fs::create_dir_all(folder)?;
    }
    let options = input.thumbnails;
    let made_by = format!("dropc {} {} {:?}", env!("CARGO_PKG_VERSION"), options.size, options.filter);
    // The index only saves work: one that cannot be read (or is not a
    // regular file) means every thumbnail is made again.
    let previous: ThumbsIndex = super::read::read_file(&root.join(THUMBS_INDEX), super::read::record_limit(0))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<ThumbsIndex>(&bytes).ok())
        .filter(|index| index.made_by == made_by)
        .unwrap_or_default();
    let jobs: Vec<(PathBuf, PathBuf)> = jobs.into_iter().collect();
    let results: Vec<(PathBuf, Result<String, ThumbError>)> = jobs
        .par_iter()
        .map(|(image, thumb)| {
            let known = previous.images.get(&url_path(image)).map(String::as_str);
            (image.clone(), make_thumbnail(&dir.join(image), &dir.join(thumb), known, options))
        })
        .collect();
    let mut missing = BTreeMap::new();
    let mut index = ThumbsIndex { made_by, images: BTreeMap::new() };
    for (image, result) in results {
        match result {
            Ok(hash) => {
                index.images.insert(url_path(&image), hash);
            }
            Err(ThumbError::Image(reason)) => {
                missing.insert(image, reason);
            }
            Err(ThumbError::Io(e)) => return Err(e),
        }
    }
    let mut bytes = serde_json::to_vec_pretty(&index).map_err(io::Error::other)?;
    bytes.push(b'\n');
    write_atomic(&root.join(THUMBS_INDEX), &bytes)?;
    // Thumbnails of an earlier report (a larger collection, other findings)
    // and temporary files of an interrupted one.
    let keep: BTreeSet<PathBuf> = jobs.iter().map(|(_, thumb)| dir.join(thumb)).collect();
    for folder in &folders {
        let Ok(entries) = std::fs::read_dir(folder) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = name.ends_with(".png") || (name.starts_with('.') && name.contains(".tmp-"));
            if path.is_file() && ours && !keep.contains(&path) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    Ok(Thumbnails { missing })
}

/// Why a thumbnail was not made.
enum ThumbError {
    /// The image cannot be read or decoded: shown as a placeholder.
    Image(String),
    /// The thumbnail cannot be written: the report fails.
    Io(io::Error),
}

/// Makes the thumbnail of `image` at `thumb`, unless it exists and was made
/// from an image whose SHA-256 is `known`; returns the image's SHA-256.
fn make_thumbnail(
    image: &Path,
    thumb: &Path,
    known: Option<&str>,
    options: ThumbnailOptions,
) -> Result<String, ThumbError> {
    // The folder is not trusted: a regular file no larger than the largest
    // image can be, whose header declares no more than that.
    let bytes = super::read::read_file(image, super::read::png_limit(options.largest)).map_err(|e| {
        ThumbError::Image(match e {
            super::read::Unread::Missing => "does not exist".to_string(),
            super::read::Unread::Refused(why) => why,
        })
    })?;
    let (w, h) = super::image::dimensions(&bytes).map_err(ThumbError::Image)?;
    if w > options.largest.0 || h > options.largest.1 {
        return Err(ThumbError::Image(format!(
            "is {w} x {h}, larger than any image of the collection ({} x {})",
            options.largest.0, options.largest.1
        )));
    }
    let hash = sha256_hex(&bytes);
    if known == Some(hash.as_str()) && thumb.is_file() {
        return Ok(hash);
    }
    let decoded = crate::png::decode_bytes(&bytes).map_err(ThumbError::Image)?;
    drop(bytes);
    let (w, h) = (decoded.width, decoded.height);
    let pixels = crate::render::Image::from_raw(w, h, decoded.rgba)
        .ok_or_else(|| ThumbError::Image("has an inconsistent size".to_string()))?;
    let small = crate::render::resize(&pixels, thumbnail_size((w, h), options.size), options.filter);
    // The fastest level: a thumbnail is hardly larger (3 % at 128 px) and
    // encodes eight times faster.
    let png = crate::render::encode_png(&small, Compression::Fast)
        .map_err(|e| ThumbError::Io(io::Error::other(e.to_string())))?;
    write_atomic(thumb, &png).map_err(ThumbError::Io)?;
    Ok(hash)
}

/// The size of the thumbnail of an image of `size`: its longer side `max`,
/// its aspect kept, never enlarged, never empty.
fn thumbnail_size((w, h): (u32, u32), max: u32) -> (u32, u32) {
    let max = max.max(1);
    let longer = w.max(h);
    if longer <= max {
        return (w.max(1), h.max(1));
    }
    let scale = |side: u32| ((u64::from(side) * u64::from(max) + u64::from(longer) / 2) / u64::from(longer)) as u32;
    (scale(w).max(1), scale(h).max(1))
}

/// Every image the findings show, each once, in order.
fn finding_images(findings: &[Finding]) -> impl Iterator<Item = &Path> {
    findings.iter().flat_map(|f| f.images.iter().map(PathBuf::as_path))
}

// ---------------------------------------------------------------------------
// The page.

/// The page for `input`, with thumbnails as `thumbs` says: a pure function,
/// the same input gives the same bytes.
pub fn render_html(input: &ReportInput<'_>, thumbs: &Thumbnails) -> String {
    let mut tokens: Vec<&RankedToken> = input.tokens.iter().collect();
    tokens.sort_by_key(|t| (t.rank, t.id));
    let mut findings: Vec<&Finding> = input.findings.iter().collect();
    findings.sort_by(|a, b| {
        (a.severity, a.code.as_str(), &a.subject, &a.message).cmp(&(b.severity, b.code.as_str(), &b.subject, &b.message))
    });
    let page = Page { input, thumbs, by_image: by_image(input), tokens, findings };
    let mut out = String::with_capacity(16_384 + input.tokens.len() * 700);
    page.write(&mut out);
    out
}

struct Page<'p, 'a> {
    input: &'p ReportInput<'a>,
    thumbs: &'p Thumbnails,
    by_image: ByImage<'p>,
    tokens: Vec<&'p RankedToken>,
    findings: Vec<&'p Finding>,
}

impl Page<'_, '_> {
    fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Error).count()
    }

    fn warnings(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Warning).count()
    }

    fn write(&self, out: &mut String) {
        let name = esc(&self.input.collection);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file:; \
             style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n\
             <meta name=\"color-scheme\" content=\"light dark\">\n\
             <meta name=\"generator\" content=\"dropc {}\">\n\
             <title>{name} · QA report</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
            env!("CARGO_PKG_VERSION")
        );
        self.header(out);
        out.push_str("<main class=\"wrap\">\n");
        self.findings_section(out);
        self.traits_section(out);
        self.sheet_section(out);
        self.ranking_section(out);
        out.push_str("</main>\n");
        let _ = writeln!(
            out,
            "<footer class=\"wrap foot\">Written by dropc {} · this page loads nothing from the network; \
             thumbnails are in <code>{THUMBS_DIR}/</code>.</footer>\n</body>\n</html>",
            env!("CARGO_PKG_VERSION")
        );
    }

    fn header(&self, out: &mut String) {
        let input = self.input;
        let (errors, warnings) = (self.errors(), self.warnings());
        let (class, headline, detail) = match (errors, warnings) {
            (0, 0) => ("ok", "Clean".to_string(), "no findings".to_string()),
            (0, w) => ("warn", plural(w, "warning"), "nothing blocks the release; look at each".to_string()),
            (e, w) => ("error", plural(e, "error"), format!("{} · must be fixed before release", plural(w, "warning"))),
        };
        let legendaries = input.size.saturating_sub(input.generated);
        let _ = write!(
            out,
            "<header class=\"top\">\n<div class=\"wrap top-row\">\n<div class=\"title\">\n\
             <p class=\"eyebrow\">dropc quality report</p>\n<h1>{}</h1>\n<dl class=\"facts\">\n\
             <div><dt>Tokens</dt><dd>{}</dd></div>\n<div><dt>Generated</dt><dd>{}</dd></div>\n\
             <div><dt>Legendaries</dt><dd>{}</dd></div>\n<div><dt>Seed</dt><dd><code>{}</code></dd></div>\n",
            esc(&input.collection),
            thousands(input.size),
            thousands(input.generated),
            thousands(legendaries),
            esc(&input.seed),
        );
        if let Some(p) = &input.provenance {
            let _ = writeln!(
                out,
                "<div class=\"wide\"><dt>Provenance</dt><dd><code class=\"hash\">{}</code></dd></div>",
                esc(p)
            );
        }
        let _ = write!(
            out,
            "</dl>\n</div>\n<div class=\"verdict verdict-{class}\" role=\"status\">\
             <span class=\"verdict-mark\" aria-hidden=\"true\">{}</span>\
             <div><strong>{headline}</strong><span>{detail}</span></div></div>\n</div>\n",
            match class {
                "ok" => "✓",
                "warn" => "!",
                _ => "×",
            }
        );
        let _ = write!(
            out,
            "<nav class=\"wrap toc\" aria-label=\"Sections\"><a href=\"#findings\">Findings <span>{}</span></a>\
             <a href=\"#traits\">Traits <span>{}</span></a><a href=\"#sheet\">Contact sheet <span>{}</span></a>\
             <a href=\"#ranking\">Rarity ranking</a></nav>\n</header>\n",
            self.findings.len(),
            input.traits.len(),
            thousands(self.tokens.len() as u64)
        );
    }

    fn findings_section(&self, out: &mut String) {
        out.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n");
        if self.findings.is_empty() {
            out.push_str(
                "<p class=\"clean\"><span aria-hidden=\"true\">✓</span> Every audit passed: no errors, no warnings.</p>\n",
            );
            out.push_str("</section>\n");
            return;
        }
        for severity in [Severity::Error, Severity::Warning] {
            let of: Vec<&Finding> = self.findings.iter().copied().filter(|f| f.severity == severity).collect();
            if of.is_empty() {
                continue;
            }
            let (word, class) = match severity {
                Severity::Error => ("Errors", "error"),
                Severity::Warning => ("Warnings", "warning"),
            };
            let _ =
                writeln!(out, "<h3 class=\"sev sev-{class}\">{word} <span class=\"count\">{}</span></h3>", of.len());
            for group in of.chunk_by(|a, b| a.code == b.code) {
                let folded = group.len() > OPEN_FINDINGS;
                if folded {
                    let _ = writeln!(
                        out,
                        "<details class=\"group\"><summary><code>{}</code> · {} findings</summary>",
                        esc(group.first().map_or("", |f| f.code.as_str())),
                        thousands(group.len() as u64)
                    );
                }
                for f in group {
                    self.finding(out, f, class);
                }
                if folded {
                    out.push_str("</details>\n");
                }
            }
        }
        out.push_str("</section>\n");
    }

    fn finding(&self, out: &mut String, f: &Finding, class: &str) {
        let subject = match &f.subject {
            Subject::Collection => "collection".to_string(),
            Subject::Token { id } => format!("<a href=\"#token-{id}\">token {id}</a>"),
            Subject::File { path } => format!("<code>{}</code>", esc(path)),
            Subject::Variant { trait_name, variant } => format!("<code>{}.{}</code>", esc(trait_name), esc(variant)),
        };
        let _ = write!(
            out,
            "<article class=\"finding finding-{class}\">\n<p class=\"finding-head\"><span class=\"badge badge-{class}\">{class}</span> \
             <code class=\"code\">{}</code> <span class=\"subject\">{subject}</span></p>\n<p class=\"message\">{}</p>\n",
            esc(f.code.as_str()),
            esc(&f.message)
        );
        if !f.help.is_empty() {
            let _ = writeln!(out, "<p class=\"help\"><span>help</span> {}</p>", esc(&f.help));
        }
        if !f.images.is_empty() {
            out.push_str("<div class=\"shots\">");
            for image in f.images.iter().take(FINDING_IMAGES) {
                let label = url_path(image);
                let _ = write!(out, "<figure><a href=\"{}\">", esc(&url_encode(&label)));
                self.thumb(out, image, &label);
                let _ = write!(out, "</a><figcaption>{}</figcaption></figure>", esc(&label));
            }
            if f.images.len() > FINDING_IMAGES {
                let _ = write!(
                    out,
                    "<p class=\"more\">and {} more</p>",
                    thousands((f.images.len() - FINDING_IMAGES) as u64)
                );
            }
            out.push_str("</div>\n");
        }
        out.push_str("</article>\n");
    }

    /// An `<img>` of the thumbnail of `image`, or a placeholder of the same
    /// size when there is none.
    fn thumb(&self, out: &mut String, image: &Path, alt: &str) {
        let size = self.input.thumbnails.size.max(1);
        match self.thumbs.missing.get(image) {
            Some(reason) => {
                let _ = write!(
                    out,
                    "<span class=\"thumb missing\" role=\"img\" aria-label=\"{} {}\"><span>image<br>{}</span></span>",
                    esc(alt),
                    esc(reason),
                    esc(reason)
                );
            }
            None => {
                let src = url_path(&thumbnail_path(&self.by_image, image));
                let _ = write!(
                    out,
                    "<img class=\"thumb\" src=\"{}\" width=\"{size}\" height=\"{size}\" loading=\"lazy\" decoding=\"async\" alt=\"{}\">",
                    esc(&url_encode(&src)),
                    esc(alt)
                );
            }
        }
    }

    fn traits_section(&self, out: &mut String) {
        out.push_str(
            "<section id=\"traits\">\n<h2>Traits</h2>\n<p class=\"lede\">For every variant, its share of the generated tokens three ways: \
             <span class=\"key key-declared\">declared</span> by its weight, <span class=\"key key-predicted\">predicted</span> \
             exactly under the rules, and <span class=\"key key-realised\">realised</span> in this sample.</p>\n<div class=\"charts\">\n",
        );
        // Variants a finding is about are marked, with its severity.
        let mut flagged: BTreeMap<(&str, &str), Severity> = BTreeMap::new();
        for f in &self.findings {
            if let Subject::Variant { trait_name, variant } = &f.subject {
                let worst = flagged.entry((trait_name.as_str(), variant.as_str())).or_insert(f.severity);
                *worst = (*worst).min(f.severity);
            }
        }
        for (i, t) in self.input.traits.iter().enumerate() {
            let marks: Vec<Option<Severity>> =
                t.variants.iter().map(|v| flagged.get(&(t.name.as_str(), v.name.as_str())).copied()).collect();
            chart(out, i, t, &marks, self.input.generated);
        }
        out.push_str("</div>\n</section>\n");
    }

    fn sheet_section(&self, out: &mut String) {
        let flagged = self.flagged_tokens();
        let _ = writeln!(
            out,
            "<section id=\"sheet\">\n<h2>Contact sheet</h2>\n<p class=\"lede\">{} tokens, rarest first. \
             Each thumbnail opens the full image; the number opens its metadata.</p>\n<ol class=\"sheet\">",
            thousands(self.tokens.len() as u64)
        );
        for t in &self.tokens {
            let class = match flagged.get(&t.id) {
                Some(Severity::Error) => " class=\"flag-error\"",
                Some(Severity::Warning) => " class=\"flag-warning\"",
                None => "",
            };
            let tip: Vec<String> = t.attributes.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            let _ = write!(
                out,
                "<li id=\"token-{}\"{class} title=\"{}\"><a href=\"{}\">",
                t.id,
                esc(&format!("{}\n{}", t.name, tip.join("\n"))),
                esc(&url_encode(&url_path(&t.image)))
            );
            self.thumb(out, &t.image, &format!("{} (token {})", t.name, t.id));
            let _ = writeln!(
                out,
                "</a><span class=\"cap\"><a href=\"{}\">#{}</a><span>rank {}</span></span></li>",
                esc(&url_encode(&url_path(&t.metadata))),
                t.id,
                t.rank
            );
        }
        out.push_str("</ol>\n</section>\n");
    }

    /// The worst severity of a finding about each token.
    fn flagged_tokens(&self) -> BTreeMap<u64, Severity> {
        let mut flagged = BTreeMap::new();
        for f in &self.findings {
            if let Subject::Token { id } = f.subject {
                let worst = flagged.entry(id).or_insert(f.severity);
                *worst = (*worst).min(f.severity);
            }
        }
        flagged
    }

    fn ranking_section(&self, out: &mut String) {
        out.push_str("<section id=\"ranking\">\n<h2>Rarity ranking</h2>\n");
        let shown = self.tokens.len().min(RANKING_ROWS);
        if shown < self.tokens.len() {
            let _ = writeln!(
                out,
                "<p class=\"lede\">The {} rarest of {} tokens; the full ranking is in <code>rarity.json</code>.</p>",
                thousands(shown as u64),
                thousands(self.tokens.len() as u64)
            );
        } else {
            out.push_str(
                "<p class=\"lede\">OpenRarity scores, as published in <code>rarity.json</code>: tokens with equal scores share a rank.</p>\n",
            );
        }
        out.push_str(
            "<div class=\"table-wrap\"><table class=\"ranking\">\n<thead><tr><th scope=\"col\">Rank</th><th scope=\"col\">Id</th>\
             <th scope=\"col\">Name</th><th scope=\"col\" class=\"num\">Score</th><th scope=\"col\">Attributes</th></tr></thead>\n<tbody>\n",
        );
        for t in self.tokens.iter().take(RANKING_ROWS) {
            let _ = write!(
                out,
                "<tr><td class=\"num\">{}</td><td class=\"num\"><a href=\"#token-{}\">{}</a></td><td>{}</td><td class=\"num\">{:.4}</td><td>",
                t.rank,
                t.id,
                t.id,
                esc(&t.name),
                t.score
            );
            for (k, v) in &t.attributes {
                let _ = write!(out, "<span class=\"attr\"><span>{}</span> {}</span>", esc(k), esc(v));
            }
            out.push_str("</td></tr>\n");
        }
        out.push_str("</tbody>\n</table></div>\n</section>\n");
    }
}

// ---------------------------------------------------------------------------
// Charts.

/// Width of a chart's view box.
const CHART_WIDTH: f64 = 640.0;
/// Where variant names end (right-aligned) and bars start.
const LABEL_END: f64 = 152.0;
const BARS_START: f64 = 162.0;
const BARS_END: f64 = 570.0;
/// Where the realised share is written, right of the bars.
const VALUE_X: f64 = BARS_END + 16.0;
/// Height of one bar and of one variant's row.
const BAR: f64 = 6.0;
const ROW: f64 = 30.0;
/// Height above the first row: legend and axis labels.
const CHART_TOP: f64 = 46.0;
/// Longest variant name drawn in full; longer ones are cut (the full name is in the tooltip and the table).
const LABEL_CHARS: usize = 22;

/// A bar chart of one trait's variants (declared, predicted, realised) and
/// the same figures as a table; `marks` holds, for each variant, the worst
/// severity of a finding about it.
fn chart(out: &mut String, index: usize, t: &TraitChart, marks: &[Option<Severity>], generated: u64) {
    let mark = |row: usize| match marks.get(row).copied().flatten() {
        Some(Severity::Error) => " flag-error",
        Some(Severity::Warning) => " flag-warning",
        None => "",
    };
    let realised = |v: &VariantBars| if generated > 0 { v.count as f64 / generated as f64 } else { 0.0 };
    let max = t
        .variants
        .iter()
        .flat_map(|v| [v.declared, v.predicted.unwrap_or(0.0), realised(v)])
        .filter(|x| x.is_finite())
        .fold(0.0_f64, f64::max);
    let (step, top) = axis(max);
    let height = CHART_TOP + ROW * t.variants.len() as f64 + 8.0;
    let x = |share: f64| {
        let share = if share.is_finite() { share.clamp(0.0, top) } else { 0.0 };
        BARS_START + (BARS_END - BARS_START) * share / top
    };
    let kind = match t.kind {
        TraitKind::Visible => "",
        TraitKind::Hidden => "<span class=\"kind\">hidden: drawn, not in metadata</span>",
        TraitKind::MetadataOnly => "<span class=\"kind\">metadata only: not drawn</span>",
    };
    let description: Vec<String> = t
        .variants
        .iter()
        .map(|v| {
            let predicted =
                v.predicted.map_or_else(|| "predicted unknown".to_string(), |p| format!("predicted {}", pct(p)));
            format!(
                "{}: declared {}, {predicted}, realised {} ({} tokens)",
                v.name,
                pct(v.declared),
                pct(realised(v)),
                v.count
            )
        })
        .collect();
    let _ = write!(
        out,
        "<figure class=\"chart\" id=\"trait-{index}\">\n<figcaption><h3>{}</h3>{kind}</figcaption>\n\
         <svg viewBox=\"0 0 {CHART_WIDTH} {height}\" width=\"100%\" role=\"img\" aria-labelledby=\"trait-{index}-title trait-{index}-desc\" \
         preserveAspectRatio=\"xMinYMin meet\">\n<title id=\"trait-{index}-title\">{}: share of each variant, declared, predicted and realised</title>\n\
         <desc id=\"trait-{index}-desc\">{}</desc>\n",
        esc(&t.name),
        esc(&t.name),
        esc(&description.join("; ")),
    );
    // Legend.
    let mut lx = BARS_START;
    for (class, word) in [("declared", "declared"), ("predicted", "predicted"), ("realised", "realised")] {
        let _ = write!(
            out,
            "<rect class=\"bar-{class}\" x=\"{lx}\" y=\"6\" width=\"10\" height=\"10\" rx=\"2\"/>\
             <text class=\"legend\" x=\"{}\" y=\"15\">{word}</text>",
            lx + 14.0
        );
        lx += 96.0;
    }
    out.push('\n');
    // Axis: grid lines and their labels.
    let bottom = CHART_TOP + ROW * t.variants.len() as f64;
    let ticks = (top / step).round() as usize;
    for i in 0..=ticks {
        let share = step * i as f64;
        let gx = x(share);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{gx:.1}\" y1=\"{:.1}\" x2=\"{gx:.1}\" y2=\"{bottom:.1}\"/>\
             <text class=\"tick\" x=\"{gx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            CHART_TOP - 6.0,
            CHART_TOP - 10.0,
            tick_label(share, step)
        );
    }
    // The column of realised shares is headed on the legend's line, clear of the axis labels.
    let _ = writeln!(out, "<text class=\"tick\" x=\"{VALUE_X:.1}\" y=\"15\">realised</text>");
    for (row, v) in t.variants.iter().enumerate() {
        let y0 = CHART_TOP + ROW * row as f64;
        if row % 2 == 1 {
            let _ =
                write!(out, "<rect class=\"stripe\" x=\"0\" y=\"{y0:.1}\" width=\"{CHART_WIDTH}\" height=\"{ROW}\"/>");
        }
        let label = if v.name.chars().count() > LABEL_CHARS {
            format!("{}…", v.name.chars().take(LABEL_CHARS - 1).collect::<String>())
        } else {
            v.name.clone()
        };
        let (class, sign, why) = match mark(row) {
            "" => ("label", "", ""),
            class => (class.trim_start(), "⚑ ", " (see the findings)"),
        };
        let _ = write!(
            out,
            "<text class=\"{class}\" x=\"{LABEL_END}\" y=\"{:.1}\" text-anchor=\"end\"><title>{}{why}</title>{sign}{}</text>",
            y0 + ROW / 2.0 + 4.0,
            esc(&v.name),
            esc(&label)
        );
        let bars = [("declared", Some(v.declared)), ("predicted", v.predicted), ("realised", Some(realised(v)))];
        for (i, (class, share)) in bars.into_iter().enumerate() {
            let by = y0 + 5.0 + (BAR + 1.0) * i as f64;
            match share {
                Some(s) => {
                    let _ = write!(
                        out,
                        "<rect class=\"bar-{class}\" x=\"{BARS_START}\" y=\"{by:.1}\" width=\"{:.1}\" height=\"{BAR}\" rx=\"1\">\
                         <title>{}: {class} {}</title></rect>",
                        x(s) - BARS_START,
                        esc(&v.name),
                        pct(s)
                    );
                }
                None => {
                    let _ = write!(
                        out,
                        "<text class=\"na\" x=\"{BARS_START}\" y=\"{:.1}\">{class}: unknown</text>",
                        by + BAR
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "<text class=\"value\" x=\"{VALUE_X:.1}\" y=\"{:.1}\">{}</text>",
            y0 + ROW / 2.0 + 4.0,
            pct(realised(v))
        );
    }
    out.push_str("</svg>\n");
    // The figures, for reading and for screen readers.
    out.push_str(
        "<details class=\"figures\"><summary>Figures</summary>\n<table>\n<thead><tr><th scope=\"col\">Variant</th>\
         <th scope=\"col\" class=\"num\">Declared</th><th scope=\"col\" class=\"num\">Predicted</th>\
         <th scope=\"col\" class=\"num\">Realised</th><th scope=\"col\" class=\"num\">Tokens</th>\
         <th scope=\"col\" class=\"num\" title=\"realised minus predicted, in percentage points\">Δ</th></tr></thead>\n<tbody>\n",
    );
    for (row, v) in t.variants.iter().enumerate() {
        let r = realised(v);
        let delta = v.predicted.map_or_else(|| "–".to_string(), |p| format!("{:+.1}", (r - p) * 100.0));
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\" class=\"{}\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{delta}</td></tr>",
            mark(row).trim_start(),
            esc(&v.name),
            pct(v.declared),
            v.predicted.map_or_else(|| "–".to_string(), pct),
            pct(r),
            thousands(v.count)
        );
    }
    out.push_str("</tbody>\n</table>\n</details>\n</figure>\n");
}

/// The axis of a chart whose largest share is `max`: a round step, and the
/// top (a whole number of steps, at most five, at least `max`).
fn axis(max: f64) -> (f64, f64) {
    const STEPS: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5];
    let max = if max.is_finite() { max.clamp(0.0, 1.0) } else { 0.0 };
    for step in STEPS {
        let n = (max / step - 1e-9).ceil().max(1.0);
        if n <= 5.0 {
            return (step, n * step);
        }
    }
    (0.25, 1.0)
}

/// A tick's label: as many decimals as its step needs.
fn tick_label(share: f64, step: f64) -> String {
    let percent = share * 100.0;
    if step >= 0.01 { format!("{percent:.0}%") } else { format!("{percent:.1}%") }
}

/// A share as a percentage with one decimal.
fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{} {word}s", thousands(n as u64)) }
}

/// `12345` as `12,345`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A relative path with `/` separators (`..` kept, `.` dropped).
fn url_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => None,
        })
        .collect();
    parts.join("/")
}

/// Percent-encodes everything in a relative URL path but unreserved
/// characters and `/`, so that a name with `#`, `?`, `%` or a space still
/// links to its file.
fn url_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The page's style: system fonts, a restrained palette with a dark variant,
/// a responsive grid, and a print layout.
const CSS: &str = r#"
:root{--bg:#f6f7f9;--surface:#fff;--text:#1b2128;--muted:#5d6873;--border:#e1e5ea;--stripe:#f3f5f8;--link:#2f5bb7;
--declared:#a7b1bd;--predicted:#3f6fb5;--realised:#e07b39;
--error:#c0392b;--error-bg:#fdecea;--warning:#9a6700;--warning-bg:#fff6dd;--ok:#237a3b;--ok-bg:#e7f6ec}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--surface:#171b21;--text:#e4e8ec;--muted:#98a3ae;--border:#2a3038;
--stripe:#1c2128;--link:#8fb2ff;--declared:#66717e;--predicted:#6f9be0;--realised:#f0955a;
--error:#ff7b6e;--error-bg:#2b1715;--warning:#e8b341;--warning-bg:#2a2211;--ok:#5fcf7d;--ok-bg:#13261a}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;font-variant-numeric:tabular-nums}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
code{font:0.9em ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
h1,h2,h3{line-height:1.2;margin:0}
h2{font-size:1.35rem;margin:0 0 .35rem}
h3{font-size:1rem}
.wrap{max-width:1240px;margin:0 auto;padding:0 24px}
.top{background:var(--surface);border-bottom:1px solid var(--border)}
.top-row{display:flex;flex-wrap:wrap;gap:24px;align-items:center;justify-content:space-between;padding-top:28px;padding-bottom:20px}
.title{flex:1 1 520px;min-width:0}
.eyebrow{margin:0 0 4px;font-size:.75rem;letter-spacing:.08em;text-transform:uppercase;color:var(--muted)}
h1{font-size:2rem;font-weight:700;overflow-wrap:anywhere}
.facts{display:flex;flex-wrap:wrap;gap:8px 28px;margin:14px 0 0}
.facts div{min-width:0}.facts dt{font-size:.72rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.facts dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.hash{font-size:.8em;word-break:break-all}
.verdict{display:flex;gap:14px;align-items:center;padding:14px 20px;border-radius:12px;min-width:240px;border:1px solid}
.verdict strong{display:block;font-size:1.3rem}.verdict span{font-size:.85rem}
.verdict-mark{display:grid;place-items:center;width:40px;height:40px;border-radius:50%;color:#fff;font-weight:700;font-size:1.2rem!important;flex:none}
.verdict-ok{background:var(--ok-bg);color:var(--ok);border-color:var(--ok)}.verdict-ok .verdict-mark{background:var(--ok)}
.verdict-warn{background:var(--warning-bg);color:var(--warning);border-color:var(--warning)}.verdict-warn .verdict-mark{background:var(--warning)}
.verdict-error{background:var(--error-bg);color:var(--error);border-color:var(--error)}.verdict-error .verdict-mark{background:var(--error)}
.toc{display:flex;flex-wrap:wrap;gap:4px 22px;padding-top:8px;padding-bottom:12px;font-size:.9rem}
.toc span{color:var(--muted);margin-left:2px}
section{padding:32px 0 8px}
.lede{color:var(--muted);margin:0 0 16px;max-width:75ch}
.clean{padding:14px 18px;border-radius:10px;background:var(--ok-bg);color:var(--ok);font-weight:600}
.sev{margin:18px 0 10px}.sev .count{font-weight:400;color:var(--muted)}
.sev-error{color:var(--error)}.sev-warning{color:var(--warning)}
.finding{background:var(--surface);border:1px solid var(--border);border-left:4px solid;border-radius:8px;padding:12px 16px;margin:0 0 10px;break-inside:avoid}
.finding-error{border-left-color:var(--error)}.finding-warning{border-left-color:var(--warning)}
.finding p{margin:0 0 4px}
.finding-head{display:flex;flex-wrap:wrap;gap:6px 10px;align-items:baseline}
.badge{font-size:.7rem;font-weight:700;text-transform:uppercase;letter-spacing:.06em;padding:1px 7px;border-radius:99px}
.badge-error{background:var(--error-bg);color:var(--error)}.badge-warning{background:var(--warning-bg);color:var(--warning)}
.code{color:var(--muted)}.subject{font-weight:600}
.message{font-size:1rem}
.help{color:var(--muted);font-size:.9rem}.help span{font-weight:600;margin-right:4px}
.shots{display:flex;flex-wrap:wrap;gap:10px;margin-top:10px;align-items:flex-end}
.shots figure{margin:0;width:128px}.shots figcaption{font-size:.72rem;color:var(--muted);overflow-wrap:anywhere}
.more{color:var(--muted);font-size:.85rem}
details.group{margin:0 0 10px}details.group>summary{cursor:pointer;padding:6px 0;font-weight:600}
.thumb{display:block;width:128px;height:128px;object-fit:contain;border-radius:6px;background:var(--stripe)}
.missing{display:grid;place-items:center;text-align:center;font-size:.72rem;color:var(--error);border:1px dashed var(--error);padding:6px;overflow:hidden}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:18px}
.chart{margin:0;background:var(--surface);border:1px solid var(--border);border-radius:10px;padding:14px 16px 10px;break-inside:avoid;min-width:0}
.chart figcaption{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap;margin-bottom:6px}
.kind{font-size:.75rem;color:var(--muted);border:1px solid var(--border);border-radius:99px;padding:0 8px}
.chart svg{display:block;height:auto;font-size:12px;overflow:visible}
.chart text{fill:var(--text)}.chart .tick,.chart .na{fill:var(--muted);font-size:11px}.chart .value{font-weight:600}
.chart .legend{font-size:11.5px}
.chart text.flag-error,th.flag-error{fill:var(--error);color:var(--error);font-weight:700}
.chart text.flag-warning,th.flag-warning{fill:var(--warning);color:var(--warning);font-weight:700}
.grid{stroke:var(--border);stroke-width:1}.stripe{fill:var(--stripe)}
.bar-declared{fill:var(--declared)}.bar-predicted{fill:var(--predicted)}.bar-realised{fill:var(--realised)}
.key{font-weight:600;white-space:nowrap}.key::before{content:"";display:inline-block;width:.7em;height:.7em;border-radius:2px;margin-right:.3em}
.key-declared::before{background:var(--declared)}.key-predicted::before{background:var(--predicted)}.key-realised::before{background:var(--realised)}
.figures summary{cursor:pointer;font-size:.85rem;color:var(--muted);padding:4px 0}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{text-align:left;padding:5px 10px;border-bottom:1px solid var(--border);vertical-align:top}
thead th{font-size:.72rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600}
.num{text-align:right;white-space:nowrap}
.sheet{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:14px}
.sheet li{background:var(--surface);border:1px solid var(--border);border-radius:10px;padding:6px;display:flex;flex-direction:column;align-items:center;content-visibility:auto;contain-intrinsic-size:auto 170px}
.sheet li.flag-error{border-color:var(--error);box-shadow:0 0 0 2px var(--error-bg)}
.sheet li.flag-warning{border-color:var(--warning);box-shadow:0 0 0 2px var(--warning-bg)}
.sheet li:target{outline:3px solid var(--link)}
.cap{display:flex;justify-content:space-between;width:128px;font-size:.78rem;margin-top:4px}.cap span{color:var(--muted)}
.table-wrap{overflow-x:auto;background:var(--surface);border:1px solid var(--border);border-radius:10px}
.ranking td:last-child{line-height:1.9}.ranking td:nth-child(3){white-space:nowrap}
.attr{display:inline-block;border:1px solid var(--border);border-radius:6px;padding:0 6px;margin:0 4px 0 0;white-space:nowrap;font-size:.8rem}
.attr span{color:var(--muted)}
.foot{color:var(--muted);font-size:.8rem;padding-top:28px;padding-bottom:36px}
@media (max-width:560px){.wrap{padding-left:14px;padding-right:14px}h1{font-size:1.5rem}.charts{grid-template-columns:1fr}.verdict{min-width:0;width:100%}}
@media print{body{background:#fff;color:#000;font-size:11pt}.toc{display:none}.top{border:0}
.chart,.finding,.table-wrap,.sheet li{border-color:#ccc;box-shadow:none}
.sheet{grid-template-columns:repeat(6,1fr);gap:6px}.sheet li{content-visibility:visible}
section{break-before:auto}h2{break-after:avoid}*{print-color-adjust:exact;-webkit-print-color-adjust:exact}
a{color:inherit}}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc(r#"<a href="x">&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(10_000_000), "10,000,000");
    }

    #[test]
    fn urls_are_encoded() {
        assert_eq!(url_encode("images/a b#1?.png"), "images/a%20b%231%3F.png");
        assert_eq!(url_path(Path::new("./images/../x/1.png")), "images/../x/1.png");
    }

    #[test]
    fn axes_are_round() {
        assert_eq!(axis(0.33), (0.1, 0.4));
        assert_eq!(axis(0.0), (0.001, 0.001));
        assert_eq!(axis(1.0), (0.2, 1.0));
        let (step, top) = axis(0.0125);
        assert!((step - 0.005).abs() < 1e-12 && (top - 0.015).abs() < 1e-12);
    }

    #[test]
    fn thumbnails_keep_their_aspect() {
        assert_eq!(thumbnail_size((256, 256), 128), (128, 128));
        assert_eq!(thumbnail_size((1000, 500), 128), (128, 64));
        assert_eq!(thumbnail_size((64, 32), 128), (64, 32));
        assert_eq!(thumbnail_size((3000, 1), 128), (128, 1));
    }
}
