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
//!
//! The page is written with maud's compiled templates (`html!`), which
//! escape every interpolated value by construction: a string from the user
//! (collection, trait, variant and token names, attribute values, messages,
//! paths) cannot become markup, whatever a later edit forgets. The only
//! text inserted unescaped is the stylesheet, `report.css`, a file of this
//! crate. The page is a pure function of its input, so the same input gives
//! the same bytes.
//!
//! [`ReportInput::from_collection`] fills the input from a model, its tokens
//! and the findings of an audit; [`write_report`] writes the thumbnails and
//! the page; [`render_html`] is the page alone, without I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io;

use maud::{DOCTYPE, Markup, PreEscaped, html};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use super::{Finding, Severity, Subject};
use crate::diagnostic::{plural, thousands};
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
    /// Its expected share among the generated tokens of a collection of
    /// exactly `size` tokens, with `unique`, counts and legendaries
    /// (`dropc simulate`'s `expected`), when known.
    pub expected: Option<f64>,
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
    /// ones from [`crate::plan::predicted_shares`] (left out when the rules
    /// cannot be compiled), realised counts from the tokens, and the ranking
    /// `rarity.json` publishes (same scores, same order). Images and metadata
    /// are where `dropc run` writes them; thumbnails use the collection's
    /// resize filter.
    pub fn from_collection(model: &Model, tokens: &Tokens, seed: &str, findings: &'a [Finding]) -> ReportInput<'a> {
        let predicted = crate::plan::predicted_shares(model).ok();
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
                        name: var.name.to_string(),
                        declared: if total > 0.0 { var.weight / total } else { 0.0 },
                        predicted: predicted.as_ref().and_then(|p| p.get(t)?.get(v).copied()),
                        expected: None,
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
    /// Takes every variant's expected share (`dropc simulate`'s
    /// `expected`, by trait then variant in declaration order) for the
    /// charts.
    pub fn use_expected(&mut self, expected: &[Vec<f64>]) {
        for (chart, shares) in self.traits.iter_mut().zip(expected) {
            for (bars, &share) in chart.variants.iter_mut().zip(shares) {
                bars.expected = share.is_finite().then_some(share);
            }
        }
    }

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
    // Decoded row by row into its pixels: a thread holds one image's pixels
    // and its thumbnail, no more.
    let pixels = super::image::decode_rgba(&bytes).map_err(ThumbError::Image)?;
    drop(bytes);
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

/// The Content-Security-Policy of the page: nothing from the network, no
/// script, its own images only.
const CSP: &str =
    "default-src 'none'; img-src 'self' file:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// The page for `input`, with thumbnails as `thumbs` says: a pure function,
/// the same input gives the same bytes.
pub fn render_html(input: &ReportInput<'_>, thumbs: &Thumbnails) -> String {
    let mut tokens: Vec<&RankedToken> = input.tokens.iter().collect();
    tokens.sort_by_key(|t| (t.rank, t.id));
    let mut findings: Vec<&Finding> = input.findings.iter().collect();
    findings.sort_by(|a, b| {
        (a.severity, a.code.as_str(), &a.subject, &a.message).cmp(&(
            b.severity,
            b.code.as_str(),
            &b.subject,
            &b.message,
        ))
    });
    let page = Page { input, thumbs, by_image: by_image(input), tokens, findings };
    page.render().into_string()
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

    fn render(&self) -> Markup {
        let version = env!("CARGO_PKG_VERSION");
        html! {
            (DOCTYPE) "\n"
            html lang="en" {
                "\n"
                head {
                    "\n"
                    meta charset="utf-8"; "\n"
                    meta name="viewport" content="width=device-width, initial-scale=1"; "\n"
                    meta http-equiv="Content-Security-Policy" content=(CSP); "\n"
                    meta name="color-scheme" content="light dark"; "\n"
                    meta name="generator" content={ "dropc " (version) }; "\n"
                    title { (self.input.collection) " · QA report" } "\n"
                    style { (PreEscaped(CSS)) } "\n"
                }
                "\n"
                body {
                    "\n"
                    (self.header())
                    main class="wrap" {
                        "\n"
                        (self.findings_section())
                        (self.traits_section())
                        (self.sheet_section())
                        (self.ranking_section())
                    }
                    "\n"
                    footer class="wrap foot" {
                        "Written by dropc " (version) " · this page loads nothing from the network; thumbnails are in "
                        code { (THUMBS_DIR) "/" } "."
                    }
                    "\n"
                }
                "\n"
            }
            "\n"
        }
    }

    fn header(&self) -> Markup {
        let input = self.input;
        let (errors, warnings) = (self.errors(), self.warnings());
        let (class, mark, headline, detail) = match (errors, warnings) {
            (0, 0) => ("ok", "✓", "Clean".to_string(), "no findings".to_string()),
            (0, w) => ("warn", "!", plural(w, "warning"), "nothing blocks the release; look at each".to_string()),
            (e, w) => {
                ("error", "×", plural(e, "error"), format!("{} · must be fixed before release", plural(w, "warning")))
            }
        };
        let legendaries = input.size.saturating_sub(input.generated);
        html! {
            header class="top" {
                "\n"
                div class="wrap top-row" {
                    "\n"
                    div class="title" {
                        "\n"
                        p class="eyebrow" { "dropc quality report" } "\n"
                        h1 { (input.collection) } "\n"
                        dl class="facts" {
                            "\n"
                            div { dt { "Tokens" } dd { (thousands(input.size)) } } "\n"
                            div { dt { "Generated" } dd { (thousands(input.generated)) } } "\n"
                            div { dt { "Legendaries" } dd { (thousands(legendaries)) } } "\n"
                            div { dt { "Seed" } dd { code { (input.seed) } } } "\n"
                            @if let Some(p) = &input.provenance {
                                div class="wide" { dt { "Provenance" } dd { code class="hash" { (p) } } } "\n"
                            }
                        }
                        "\n"
                    }
                    "\n"
                    div class={ "verdict verdict-" (class) } role="status" {
                        span class="verdict-mark" aria-hidden="true" { (mark) }
                        div { strong { (headline) } span { (detail) } }
                    }
                    "\n"
                }
                "\n"
                nav class="wrap toc" aria-label="Sections" {
                    a href="#findings" { "Findings " span { (self.findings.len()) } }
                    a href="#traits" { "Traits " span { (input.traits.len()) } }
                    a href="#sheet" { "Contact sheet " span { (thousands(self.tokens.len() as u64)) } }
                    a href="#ranking" { "Rarity ranking" }
                }
                "\n"
            }
            "\n"
        }
    }

    fn findings_section(&self) -> Markup {
        html! {
            section id="findings" {
                "\n"
                h2 { "Findings" } "\n"
                @if self.findings.is_empty() {
                    p class="clean" {
                        span aria-hidden="true" { "✓" } " Every audit passed: no errors, no warnings."
                    }
                    "\n"
                }
                @for severity in [Severity::Error, Severity::Warning, Severity::Note] {
                    @let of: Vec<&Finding> = self.findings.iter().copied().filter(|f| f.severity == severity).collect();
                    @let (word, class) = match severity {
                        Severity::Error => ("Errors", "error"),
                        Severity::Warning => ("Warnings", "warning"),
                        Severity::Note => ("Notes", "note"),
                    };
                    @if !of.is_empty() {
                        h3 class={ "sev sev-" (class) } { (word) " " span class="count" { (of.len()) } } "\n"
                        @for group in of.chunk_by(|a, b| a.code == b.code) {
                            @if group.len() > OPEN_FINDINGS {
                                details class="group" {
                                    summary {
                                        code { (group.first().map_or("", |f| f.code.as_str())) }
                                        " · " (thousands(group.len() as u64)) " findings"
                                        @if let Some(f) = group.first() {
                                            span class="cause" { (f.code.cause()) }
                                        }
                                    }
                                    "\n"
                                    @for f in group { (self.finding(f, class)) }
                                }
                                "\n"
                            } @else {
                                @for f in group { (self.finding(f, class)) }
                            }
                        }
                    }
                }
            }
            "\n"
        }
    }

    fn finding(&self, f: &Finding, class: &str) -> Markup {
        let subject = html! {
            @match &f.subject {
                Subject::Collection => "collection",
                Subject::Token { id } => a href={ "#token-" (id) } { "token " (id) },
                Subject::File { path } => code { (path) },
                Subject::Variant { trait_name, variant } => code { (trait_name) "." (variant) },
            }
        };
        html! {
            article class={ "finding finding-" (class) } {
                "\n"
                p class="finding-head" {
                    span class={ "badge badge-" (class) } { (class) } " "
                    code class="code" { (f.code) } " "
                    span class="subject" { (subject) }
                }
                "\n"
                p class="message" { (f.message) } "\n"
                @if !f.help.is_empty() {
                    p class="help" { span { "help" } " " (f.help) } "\n"
                }
                @if !f.images.is_empty() {
                    div class="shots" {
                        @for image in f.images.iter().take(FINDING_IMAGES) {
                            @let label = url_path(image);
                            figure {
                                a href=(url_encode(&label)) { (self.thumb(image, &label)) }
                                figcaption { (label) }
                            }
                        }
                        @if f.images.len() > FINDING_IMAGES {
                            p class="more" { "and " (thousands((f.images.len() - FINDING_IMAGES) as u64)) " more" }
                        }
                    }
                    "\n"
                }
            }
            "\n"
        }
    }

    /// An `<img>` of the thumbnail of `image`, or a placeholder of the same
    /// size when there is none.
    fn thumb(&self, image: &Path, alt: &str) -> Markup {
        let size = self.input.thumbnails.size.max(1);
        // Pixel art (resized `nearest`) is shown with square pixels: a
        // browser would blur a small thumbnail it scales up.
        let pixelated = matches!(
            self.input.thumbnails.filter,
            ResizeFilter::Nearest | ResizeFilter::Scale2x | ResizeFilter::Scale3x | ResizeFilter::Scale4x
        );
        html! {
            @match self.thumbs.missing.get(image) {
                Some(reason) => span class="thumb missing" role="img" aria-label={ (alt) " " (reason) } {
                    span { "image" br; (reason) }
                },
                None => img class=(if pixelated { "thumb pixelated" } else { "thumb" })
                    src=(url_encode(&url_path(&thumbnail_path(&self.by_image, image))))
                    width=(size) height=(size) loading="lazy" decoding="async" alt=(alt);,
            }
        }
    }

    fn traits_section(&self) -> Markup {
        // Variants a finding is about are marked, with its severity.
        let mut flagged: BTreeMap<(&str, &str), Severity> = BTreeMap::new();
        for f in &self.findings {
            if let Subject::Variant { trait_name, variant } = &f.subject {
                let worst = flagged.entry((trait_name.as_str(), variant.as_str())).or_insert(f.severity);
                *worst = (*worst).min(f.severity);
            }
        }
        html! {
            section id="traits" {
                "\n"
                h2 { "Traits" } "\n"
                p class="lede" {
                    "For every variant, its share of the generated tokens four ways: "
                    span class="key key-declared" { "declared" } " by its weight, "
                    span class="key key-predicted" { "predicted" } " for one token under the rules, "
                    span class="key key-expected" { "expected" } " among this many tokens (with "
                    code { "unique" } ", counts and legendaries, as " code { "dropc simulate" } " says), and "
                    span class="key key-realised" { "realised" } " in this sample."
                }
                "\n"
                div class="charts" {
                    "\n"
                    @for (i, t) in self.input.traits.iter().enumerate() {
                        @let marks: Vec<Option<Severity>> = t
                            .variants
                            .iter()
                            .map(|v| flagged.get(&(t.name.as_str(), v.name.as_str())).copied())
                            .collect();
                        (chart(i, t, &marks, self.input.generated))
                    }
                }
                "\n"
            }
            "\n"
        }
    }

    fn sheet_section(&self) -> Markup {
        let flagged = self.flagged_tokens();
        html! {
            section id="sheet" {
                "\n"
                h2 { "Contact sheet" } "\n"
                p class="lede" {
                    (thousands(self.tokens.len() as u64))
                    " tokens, rarest first. Each thumbnail opens the full image; the number opens its metadata."
                }
                "\n"
                ol class="sheet" {
                    "\n"
                    @for t in &self.tokens {
                        @let class = match flagged.get(&t.id) {
                            Some(Severity::Error) => Some("flag-error"),
                            Some(Severity::Warning) => Some("flag-warning"),
                            Some(Severity::Note) | None => None,
                        };
                        @let tip: Vec<String> = t.attributes.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                        li id={ "token-" (t.id) } class=[class] title={ (t.name) "\n" (tip.join("\n")) } {
                            a href=(url_encode(&url_path(&t.image))) {
                                (self.thumb(&t.image, &format!("{} (token {})", t.name, t.id)))
                            }
                            span class="cap" {
                                a href=(url_encode(&url_path(&t.metadata))) { "#" (t.id) }
                                span { "rank " (t.rank) }
                            }
                        }
                        "\n"
                    }
                }
                "\n"
            }
            "\n"
        }
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

    fn ranking_section(&self) -> Markup {
        let shown = self.tokens.len().min(RANKING_ROWS);
        html! {
            section id="ranking" {
                "\n"
                h2 { "Rarity ranking" } "\n"
                @if shown < self.tokens.len() {
                    p class="lede" {
                        "The " (thousands(shown as u64)) " rarest of " (thousands(self.tokens.len() as u64))
                        " tokens; the full ranking is in " code { (crate::output::RARITY) } "."
                    }
                } @else {
                    p class="lede" {
                        "OpenRarity scores, as published in " code { (crate::output::RARITY) }
                        ": tokens with equal scores share a rank."
                    }
                }
                "\n"
                div class="table-wrap" {
                    table class="ranking" {
                        "\n"
                        thead {
                            tr {
                                th scope="col" { "Rank" }
                                th scope="col" { "Id" }
                                th scope="col" { "Name" }
                                th scope="col" class="num" { "Score" }
                                th scope="col" { "Attributes" }
                            }
                        }
                        "\n"
                        tbody {
                            "\n"
                            @for t in self.tokens.iter().take(RANKING_ROWS) {
                                tr {
                                    td class="num" { (t.rank) }
                                    td class="num" { a href={ "#token-" (t.id) } { (t.id) } }
                                    td { (t.name) }
                                    td class="num" { (format!("{:.4}", t.score)) }
                                    td {
                                        @for (k, v) in &t.attributes {
                                            span class="attr" { span { (k) } " " (v) }
                                        }
                                    }
                                }
                                "\n"
                            }
                        }
                        "\n"
                    }
                }
                "\n"
            }
            "\n"
        }
    }
}

// ---------------------------------------------------------------------------
// Charts.

/// Width of a chart's view box when every variant name fits its label
/// column in one line of [`LABEL_CHARS`].
const CHART_WIDTH: f64 = 640.0;
/// Where variant names end (right-aligned) and bars start.
const LABEL_END: f64 = 152.0;
const BARS_START: f64 = 162.0;
const BARS_END: f64 = 570.0;
/// Where the realised share is written, right of the bars.
const VALUE_X: f64 = BARS_END + 16.0;
/// Height of one bar and of one variant's row (four bars).
const BAR: f64 = 6.0;
const ROW: f64 = 34.0;
/// Height of a line of a variant's name.
const LINE: f64 = 14.0;
/// Height above the first row: legend and axis labels.
const CHART_TOP: f64 = 46.0;
/// Characters of a variant name in one line of the label column; longer
/// names are broken into lines (at spaces where they can be), and a
/// collection with names longer than two lines of it widens the column.
const LABEL_CHARS: usize = 22;
/// About how wide one character of a label is, in view-box units.
const CHAR_WIDTH: f64 = 6.6;

/// A coordinate with one decimal.
fn f1(x: f64) -> String {
    format!("{x:.1}")
}

/// `name` in lines of at most `width` characters, broken at spaces where
/// it can be (a longer word is broken where it must); never cut short.
fn wrap(name: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in name.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        let used = line.chars().count();
        if used > 0 && used + 1 + word.len() <= width {
            line.push(' ');
            line.extend(word.iter());
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            lines.push(word.drain(..width).collect());
        }
        line = word.into_iter().collect();
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A bar chart of one trait's variants (declared, predicted, expected,
/// realised) and the same figures as a table; `marks` holds, for each
/// variant, the worst severity of a finding about it.
fn chart(index: usize, t: &TraitChart, marks: &[Option<Severity>], generated: u64) -> Markup {
    let mark = |row: usize| match marks.get(row).copied().flatten() {
        Some(Severity::Error) => Some("flag-error"),
        Some(Severity::Warning) => Some("flag-warning"),
        Some(Severity::Note) | None => None,
    };
    let realised = |v: &VariantBars| if generated > 0 { v.count as f64 / generated as f64 } else { 0.0 };
    let max = t
        .variants
        .iter()
        .flat_map(|v| [v.declared, v.predicted.unwrap_or(0.0), v.expected.unwrap_or(0.0), realised(v)])
        .filter(|x| x.is_finite())
        .fold(0.0_f64, f64::max);
    let (step, top) = axis(max);
    // The label column: wide enough for every name in two lines.
    let longest = t.variants.iter().map(|v| v.name.chars().count()).max().unwrap_or(0);
    let width = LABEL_CHARS.max(longest.div_ceil(2));
    let shift = (width - LABEL_CHARS) as f64 * CHAR_WIDTH;
    let (label_end, bars_start, bars_end, value_x) =
        (LABEL_END + shift, BARS_START + shift, BARS_END + shift, VALUE_X + shift);
    let labels: Vec<Vec<String>> = t.variants.iter().map(|v| wrap(&v.name, width)).collect();
    let heights: Vec<f64> = labels.iter().map(|l| ROW.max(LINE * l.len() as f64 + 6.0)).collect();
    let tops: Vec<f64> = heights
        .iter()
        .scan(CHART_TOP, |y, h| {
            let top = *y;
            *y += h;
            Some(top)
        })
        .collect();
    let bottom = CHART_TOP + heights.iter().sum::<f64>();
    let height = bottom + 8.0;
    let x = |share: f64| {
        let share = if share.is_finite() { share.clamp(0.0, top) } else { 0.0 };
        bars_start + (bars_end - bars_start) * share / top
    };
    let kind = match t.kind {
        TraitKind::Visible => None,
        TraitKind::Hidden => Some("hidden: drawn, not in metadata"),
        TraitKind::MetadataOnly => Some("metadata only: not drawn"),
    };
    let unknown = |what: &str, share: Option<f64>| {
        share.map_or_else(|| format!("{what} unknown"), |p| format!("{what} {}", pct(p)))
    };
    let description: Vec<String> = t
        .variants
        .iter()
        .map(|v| {
            format!(
                "{}: declared {}, {}, {}, realised {} ({} tokens)",
                v.name,
                pct(v.declared),
                unknown("predicted", v.predicted),
                unknown("expected", v.expected),
                pct(realised(v)),
                v.count
            )
        })
        .collect();
    let ticks = (top / step).round() as usize;
    html! {
        figure class="chart" id={ "trait-" (index) } {
            "\n"
            figcaption { h3 { (t.name) } @if let Some(kind) = kind { span class="kind" { (kind) } } }
            "\n"
            svg viewBox={ "0 0 " (CHART_WIDTH + shift) " " (height) } width="100%" role="img"
                aria-labelledby={ "trait-" (index) "-title trait-" (index) "-desc" } preserveAspectRatio="xMinYMin meet" {
                "\n"
                title id={ "trait-" (index) "-title" } {
                    (t.name) ": share of each variant, declared, predicted, expected and realised"
                }
                "\n"
                desc id={ "trait-" (index) "-desc" } { (description.join("; ")) }
                "\n"
                // Legend.
                @for (i, class) in BAR_KINDS.into_iter().enumerate() {
                    @let lx = bars_start + 96.0 * i as f64;
                    rect class={ "bar-" (class) } x=(lx) y="6" width="10" height="10" rx="2" {}
                    text class="legend" x=(lx + 14.0) y="15" { (class) }
                }
                "\n"
                // Axis: grid lines and their labels.
                @for i in 0..=ticks {
                    @let share = step * i as f64;
                    @let gx = f1(x(share));
                    line class="grid" x1=(gx) y1=(f1(CHART_TOP - 6.0)) x2=(gx) y2=(f1(bottom)) {}
                    text class="tick" x=(gx) y=(f1(CHART_TOP - 10.0)) text-anchor="middle" { (tick_label(share, step)) }
                }
                // The column of realised shares is headed on the legend's line, clear of the axis labels.
                text class="tick" x=(f1(value_x)) y="15" { "realised" }
                "\n"
                @for (row, v) in t.variants.iter().enumerate() {
                    @let (y0, h) = (tops[row], heights[row]);
                    @if row % 2 == 1 {
                        rect class="stripe" x="0" y=(f1(y0)) width=(CHART_WIDTH + shift) height=(h) {}
                    }
                    @let (class, sign, why) = match mark(row) {
                        None => ("label", "", ""),
                        Some(class) => (class, "⚑ ", " (see the findings)"),
                    };
                    @let lines = &labels[row];
                    @let first = y0 + h / 2.0 + 4.0 - LINE / 2.0 * (lines.len() - 1) as f64;
                    text class=(class) x=(f1(label_end)) y=(f1(first)) text-anchor="end" {
                        title { (v.name) (why) }
                        @for (i, line) in lines.iter().enumerate() {
                            @if i == 0 {
                                (sign) (line)
                            } @else {
                                tspan x=(f1(label_end)) dy=(LINE) { (line) }
                            }
                        }
                    }
                    @for (i, (class, share)) in BAR_KINDS.into_iter().zip([Some(v.declared), v.predicted, v.expected, Some(realised(v))]).enumerate() {
                        @let by = y0 + (h - ROW) / 2.0 + 3.0 + (BAR + 1.0) * i as f64;
                        @match share {
                            Some(s) => {
                                rect class={ "bar-" (class) } x=(f1(bars_start)) y=(f1(by)) width=(f1(x(s) - bars_start))
                                    height=(BAR) rx="1" {
                                    title { (v.name) ": " (class) " " (pct(s)) }
                                }
                            }
                            None => {
                                text class="na" x=(f1(bars_start)) y=(f1(by + BAR)) { (class) ": unknown" }
                            }
                        }
                    }
                    text class="value" x=(f1(value_x)) y=(f1(y0 + h / 2.0 + 4.0)) { (pct(realised(v))) }
                    "\n"
                }
            }
            "\n"
            // The figures, for reading and for screen readers.
            details class="figures" {
                summary { "Figures" } "\n"
                table {
                    "\n"
                    thead {
                        tr {
                            th scope="col" { "Variant" }
                            th scope="col" class="num" { "Declared" }
                            th scope="col" class="num" { "Predicted" }
                            th scope="col" class="num" { "Expected" }
                            th scope="col" class="num" { "Realised" }
                            th scope="col" class="num" { "Tokens" }
                            th scope="col" class="num" title="realised minus expected (or predicted, when the expected share is unknown), in percentage points" { "Δ" }
                        }
                    }
                    "\n"
                    tbody {
                        "\n"
                        @for (row, v) in t.variants.iter().enumerate() {
                            @let r = realised(v);
                            tr {
                                th scope="row" class=(mark(row).unwrap_or("")) { (v.name) }
                                td class="num" { (pct(v.declared)) }
                                td class="num" { (v.predicted.map_or_else(|| "–".to_string(), pct)) }
                                td class="num" { (v.expected.map_or_else(|| "–".to_string(), pct)) }
                                td class="num" { (pct(r)) }
                                td class="num" { (thousands(v.count)) }
                                td class="num" {
                                    (v.expected.or(v.predicted).map_or_else(|| "–".to_string(), |p| format!("{:+.1}", (r - p) * 100.0)))
                                }
                            }
                            "\n"
                        }
                    }
                    "\n"
                }
                "\n"
            }
            "\n"
        }
        "\n"
    }
}

/// The bars of a variant, top to bottom, as their CSS class and legend.
const BAR_KINDS: [&str; 4] = ["declared", "predicted", "expected", "realised"];

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

/// The page's style (`report.css`): system fonts, a restrained palette with
/// a dark variant, a responsive grid, and a print layout.
const CSS: &str = include_str!("report.css");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interpolation_is_escaped() {
        let name = r#"<a href="x">&'</a>"#;
        let page = html! { p title=(name) { (name) } }.into_string();
        assert_eq!(
            page,
            "<p title=\"&lt;a href=&quot;x&quot;&gt;&amp;'&lt;/a&gt;\">&lt;a href=&quot;x&quot;&gt;&amp;'&lt;/a&gt;</p>"
        );
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
