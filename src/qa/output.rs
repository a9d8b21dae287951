//! Audits of an output folder written by `dropc run`.
//!
//! `tokens.json` is the record of the draw: everything else — files present,
//! metadata, images, counts, rarity, provenance, the manifest — must agree
//! with it, and it must agree with a fresh draw of the `.drop`. Each image
//! is read and decoded once, on the rayon pool, and that one decode serves
//! every check of the token: format and size, blankness, the SHA-256 of its
//! file (provenance, manifest), a pixel hash (exact duplicates), a
//! perceptual fingerprint (near duplicates, and whether each extra size
//! shows the same picture) and parity with its metadata (the token composited
//! again and compared pixel for pixel). Only hashes outlive a token's turn,
//! so memory does not grow with the collection's image size.
//!
//! Every finding's code is listed, with what to do, in the reference
//! (`docs/reference.md`, "dropc qa").

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use crate::model::Model;
use crate::publish::provenance::{Sha256Digest, hex, sha256, sha256_hex};
use crate::render::Image;
use crate::sample::{Token, Tokens};

use super::distribution::{self, TraitShares};
use super::image::{self as img, Fingerprint};
use super::parity::{self, Parity};
use super::read::{self, Unread};
use super::record::Record;
use super::{Finding, Subject};

/// Two images whose fingerprints (16 × 16 cells of mean colour) differ by
/// at most this many 8-bit levels in every cell and channel, and whose
/// pixels differ, are near duplicates. On the bundled examples the closest
/// distinct tokens are 40 levels apart or more; see the reference.
pub const NEAR_DUPLICATE_LEVELS: u8 = 6;
/// An extra size whose fingerprint differs from its canvas image's by more
/// than [`size_tolerance`] levels in some cell does not show the same picture.
pub const SIZE_MISMATCH_LEVELS: u8 = 8;

/// How far the fingerprint of a resized copy may be from its canvas image's:
/// [`SIZE_MISMATCH_LEVELS`] plus `96 / s` levels, `s` being the side of a
/// fingerprint cell in pixels of the smaller image. A smooth filter blurs a
/// pixel or two across every cell border, which weighs more the smaller the
/// cells; measured on a high-contrast test image, the five filters stay
/// within about `70 / s` (2 levels at 512 px, 17 at 64 px), and different
/// tokens of the examples differ by 40 levels or more.
pub fn size_tolerance(canvas: (u32, u32), size: (u32, u32)) -> u8 {
    let side = canvas.0.min(canvas.1).min(size.0).min(size.1).max(1);
    let cell = f64::from(side) / super::image::GRID as f64;
    (f64::from(SIZE_MISMATCH_LEVELS) + 96.0 / cell).min(255.0) as u8
}

/// Most ids listed in one message.
const LISTED: usize = 8;

/// What [`audit`] found, with what the report shows beside the findings.
#[derive(Clone, Debug)]
pub struct Audit {
    /// Every finding, unsorted (see [`super::sort`]).
    pub findings: Vec<Finding>,
    /// The recorded tokens (`tokens.json`, or a fresh draw when it cannot be
    /// read), as tokens of the model: what the report shows.
    pub tokens: Tokens,
    /// The seed of the record.
    pub seed: String,
    /// Image files decoded (all sizes).
    pub images: usize,
    /// Realised, predicted and expected share of every variant.
    pub shares: Vec<TraitShares>,
    /// `rarity.json` as recorded (`id`, `rank`, `score`), rarest first;
    /// empty when it cannot be read.
    pub rarity: Vec<RarityLine>,
    /// What the folder does not hold and was therefore not audited, one
    /// phrase each (images, after `--no-images`): said beside the findings.
    pub not_audited: Vec<String>,
}

pub use crate::output::RarityLine;

/// What one token's turn leaves for the collection-wide checks.
struct TokenScan {
    id: u64,
    findings: Vec<Finding>,
    /// SHA-256 of `images/<id>.png`'s bytes.
    sha256: Option<Sha256Digest>,
    /// Pixel hash and fingerprint of the canvas-size image.
    pixels: Option<(u128, Fingerprint)>,
    /// Image files decoded.
    decoded: usize,
}

fn file(path: impl Into<String>) -> Subject {
    Subject::File { path: path.into() }
}

fn list(ids: &[u64]) -> String {
    let shown: Vec<String> = ids.iter().take(LISTED).map(u64::to_string).collect();
    let more = ids.len().saturating_sub(LISTED);
    if more > 0 { format!("{} and {more} more", shown.join(", ")) } else { shown.join(", ") }
}

const RERUN: &str = "run `dropc run` again: it rewrites what is missing or changed";

/// Reads a record file of the output folder (see [`read::read_file`]): a
/// finding for a missing or unreadable one. `limit` is the most it may take.
fn read_record(dir: &Path, name: &str, limit: u64, findings: &mut Vec<Finding>) -> Option<Vec<u8>> {
    match read::read_file(&dir.join(name), limit) {
        Err(Unread::Missing) => {
            findings.push(Finding::error("qa::missing_record", file(name), format!("`{name}` is missing"), RERUN));
            None
        }
        Err(Unread::Refused(why)) => {
            findings.push(Finding::error("qa::unreadable_record", file(name), format!("`{name}` {why}"), RERUN));
            None
        }
        Ok(bytes) => Some(bytes),
    }
}

/// Reads and parses a JSON record of the output folder; findings for a
/// missing or unreadable one.
fn read_json(dir: &Path, name: &str, limit: u64, findings: &mut Vec<Finding>) -> Option<Value> {
    match read_record(dir, name, limit, findings) {
        None => None,
        Some(bytes) => match serde_json::from_slice(&bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                findings.push(Finding::error("qa::unreadable_record", file(name), format!("is not JSON: {e}"), RERUN));
                None
            }
        },
    }
}

/// Every finding about the output folder `dir` of `model`, whose `.drop`
/// source is `source` and whose art is relative to `root`. Runs on the
/// current rayon pool.
pub fn audit(model: &Model, source: &[u8], root: &Path, dir: &Path) -> Audit {
    let mut findings: Vec<Finding> = Vec::new();
    let s = &model.settings;

    // The record, or a fresh draw when it cannot be read (so that the other
    // checks still run).
    let fresh = crate::sample(model, &s.seed).ok();
    let limit = read::record_limit(s.size);
    let record = match read_record(dir, "tokens.json", limit, &mut findings) {
        None => None,
        Some(bytes) => match Record::parse(&bytes) {
            Ok(r) => Some(r),
            Err(e) => {
                findings.push(Finding::error("qa::unreadable_record", file("tokens.json"), e, RERUN));
                None
            }
        },
    };
    let record = match (record, &fresh) {
        (Some(r), _) => r,
        (None, Some(tokens)) => Record::of(model, tokens, &s.seed),
        (None, None) => {
            findings.push(Finding::error(
                "qa::unreadable_record",
                file("tokens.json"),
                "cannot be replaced by a fresh draw: the `.drop` cannot be sampled",
                "run `dropc check` on the `.drop`",
            ));
            let tokens = Tokens { traits: model.traits.len(), ids: vec![], variants: vec![], legendaries: vec![] };
            return Audit {
                findings,
                tokens,
                seed: s.seed.clone(),
                images: 0,
                shares: Vec::new(),
                rarity: Vec::new(),
                not_audited: vec!["everything: `tokens.json` cannot be read, nor the `.drop` sampled".to_string()],
            };
        }
    };
    let (tokens, problems) = record.to_tokens(model);
    for (id, problem) in problems {
        let subject = id.map_or_else(|| file("tokens.json"), |id| Subject::Token { id });
        findings.push(Finding::error("qa::tokens_record", subject, format!("`tokens.json` {problem}"), RERUN));
    }
    if record.collection != s.name {
        findings.push(Finding::error(
            "qa::tokens_record",
            file("tokens.json"),
            format!("is the record of `{}`, not of `{}`", record.collection, s.name),
            "audit the folder with the `.drop` that wrote it (`--drop FILE`)",
        ));
    }
    if record.seed != s.seed {
        findings.push(Finding::error(
            "qa::tokens_record",
            file("tokens.json"),
            format!("was drawn with seed `{}` but the `.drop` says `{}`", record.seed, s.seed),
            RERUN,
        ));
    }
    check_ids(model, &record, &mut findings);
    if let Some(fresh) = &fresh {
        check_draw(model, &record, fresh, &mut findings);
    }

    // Files present, and per-token checks on every file, in parallel.
    let ids: Vec<u64> = {
        let set: BTreeSet<u64> = record.tokens.iter().map(|(id, _)| *id).collect();
        set.into_iter().collect()
    };
    // A folder written with `--no-images` holds no images, provenance or
    // manifest: what it holds is audited, and the rest is said to be not
    // audited (and must not be there).
    let summary = read_json(dir, "collection.json", limit, &mut findings);
    let with_images = summary.as_ref().and_then(|v| v.get("images")).and_then(Value::as_bool) != Some(false);
    let mut not_audited = Vec::new();
    if !with_images {
        not_audited.push(
            "images, parity, duplicates, provenance and the manifest: `collection.json` says the run wrote no images \
             (--no-images)"
                .to_string(),
        );
    }
    let listing = check_folders(model, &ids, dir, with_images, &mut findings);
    let parity = match Parity::new(model, root) {
        Ok(p) => Some(p),
        Err(e) => {
            findings.push(Finding::error(
                parity::UNCHECKED,
                Subject::Collection,
                format!("cannot render the art to check images against metadata: {e}"),
                "fix the art (see `dropc qa` on the `.drop` file)",
            ));
            None
        }
    };
    let by_id: HashMap<u64, Token<'_>> = tokens.iter().map(|t| (t.id(), t)).collect();
    let entries: HashMap<u64, &super::record::Entry> = record.tokens.iter().map(|(id, e)| (*id, e)).collect();
    let context = TokenContext { model, dir, parity: parity.as_ref(), record: &record, listing };
    let scans: Vec<TokenScan> = ids
        .par_iter()
        .map_init(
            || Image::new(0, 0),
            |scratch, &id| context.scan(id, by_id.get(&id).copied(), entries.get(&id).copied(), scratch),
        )
        .collect();
    let images = scans.iter().map(|s| s.decoded).sum();
    for scan in &scans {
        findings.extend(scan.findings.iter().cloned());
    }
    check_duplicates(model, &tokens, &scans, &mut findings);

    // Collection-wide records.
    let (shares, distribution_findings) = distribution::analyse(model, &tokens, &record.seed);
    findings.extend(distribution_findings);
    let digests: BTreeMap<u64, Sha256Digest> = scans.iter().filter_map(|s| Some((s.id, s.sha256?))).collect();
    if !with_images {
        for name in ["provenance.json", crate::publish::manifest::FILE] {
            if std::fs::symlink_metadata(dir.join(name)).is_ok() {
                findings.push(Finding::error(
                    "qa::extra_file",
                    file(name),
                    format!("`{name}` describes images, but `collection.json` says the run wrote none (--no-images)"),
                    "run `dropc run` again (with or without --no-images): it removes what it did not write",
                ));
            }
        }
    } else if let Some(provenance) = read_json(dir, "provenance.json", limit, &mut findings) {
        check_provenance(&provenance, &ids, &digests, &mut findings);
    }
    // Art keys are data: only those inside the project are used (the
    // others are findings of `check_summary`).
    let recorded_art: Option<BTreeMap<PathBuf, String>> = summary.as_ref().and_then(|v| {
        let art = v.get("inputs")?.get("art")?.as_object()?;
        Some(
            art.iter()
                .filter(|(k, _)| read::inside(k))
                .filter_map(|(k, v)| Some((PathBuf::from(k), v.as_str()?.to_string())))
                .collect(),
        )
    });
    let manifest =
        if with_images { read_json(dir, crate::publish::manifest::FILE, limit, &mut findings) } else { None };
    if let Some(manifest) = manifest {
        check_manifest(model, &manifest, &tokens, &digests, recorded_art.as_ref(), root, &mut findings);
    }
    let rarity = match read_json(dir, "rarity.json", limit, &mut findings) {
        Some(v) => check_rarity(model, &tokens, v, &mut findings),
        None => Vec::new(),
    };
    if let Some(summary) = &summary {
        check_summary(model, &tokens, &record, summary, source, root, &mut findings);
    }
    Audit { findings, tokens, seed: record.seed, images, shares, rarity, not_audited }
}

/// Ids must be `first_id ..= first_id + size - 1`, each once.
fn check_ids(model: &Model, record: &Record, findings: &mut Vec<Finding>) {
    let s = &model.settings;
    let expected: BTreeSet<u64> = (s.first_id..s.first_id.saturating_add(s.size)).collect();
    let mut seen: BTreeSet<u64> = BTreeSet::new();
    let mut twice: Vec<u64> = Vec::new();
    for (id, _) in &record.tokens {
        if !seen.insert(*id) {
            twice.push(*id);
        }
    }
    let missing: Vec<u64> = expected.difference(&seen).copied().collect();
    let extra: Vec<u64> = seen.difference(&expected).copied().collect();
    let last = s.first_id.saturating_add(s.size).saturating_sub(1);
    let mut problem = |what: String| {
        findings.push(Finding::error("qa::token_ids", file("tokens.json"), what, RERUN));
    };
    if !missing.is_empty() {
        problem(format!("lacks ids {} of {}..={last}", list(&missing), s.first_id));
    }
    if !extra.is_empty() {
        problem(format!("has ids {} outside {}..={last}", list(&extra), s.first_id));
    }
    if !twice.is_empty() {
        problem(format!("lists ids {} more than once", list(&twice)));
    }
}

/// The record must be what the `.drop` draws.
fn check_draw(model: &Model, record: &Record, fresh: &Tokens, findings: &mut Vec<Finding>) {
    let fresh = Record::of(model, fresh, &model.settings.seed);
    let drawn: HashMap<u64, &super::record::Entry> = fresh.tokens.iter().map(|(id, e)| (*id, e)).collect();
    let names: Vec<&str> = model.traits.iter().map(|t| t.name.as_str()).collect();
    let mut differ: Vec<u64> = record
        .tokens
        .iter()
        .filter(|(id, entry)| match (drawn.get(id), entry) {
            (Some(super::record::Entry::Generated(a)), super::record::Entry::Generated(b)) => {
                // Compare by trait name: the record may order traits otherwise.
                names.iter().zip(a).any(|(n, va)| {
                    record.traits.iter().position(|t| t == n).and_then(|c| b.get(c)).is_none_or(|vb| vb != va)
                })
            }
            (Some(a), b) => *a != b,
            (None, _) => false,
        })
        .map(|(id, _)| *id)
        .collect();
    differ.sort_unstable();
    if !differ.is_empty() {
        findings.push(Finding::error(
            "qa::draw_mismatch",
            file("tokens.json"),
            format!(
                "{} token{} differ{} from what the `.drop` draws with seed `{}`: {}",
                differ.len(),
                if differ.len() == 1 { "" } else { "s" },
                if differ.len() == 1 { "s" } else { "" },
                model.settings.seed,
                list(&differ)
            ),
            "the record was edited, or the `.drop` changed after the run: run `dropc run` again",
        ));
    }
}

/// The folders `images/`, `images/<W>x<H>/` and `metadata/` hold exactly
/// one file per token; without images (`--no-images`), the image folders
/// must be absent. Returns what they hold.
fn check_folders(model: &Model, ids: &[u64], dir: &Path, with_images: bool, findings: &mut Vec<Finding>) -> Listing {
    let sizes: Vec<String> = model.settings.sizes.iter().map(|(w, h)| format!("{w}x{h}")).collect();
    let mut folders: Vec<(String, &str, &'static str)> =
        vec![("images".into(), "png", "qa::missing_image"), ("metadata".into(), "json", "qa::missing_metadata")];
    folders.extend(sizes.iter().map(|s| (format!("images/{s}"), "png", "qa::missing_image")));
    let mut listing = Listing::default();
    if !with_images {
        if std::fs::symlink_metadata(dir.join("images")).is_ok() {
            findings.push(Finding::error(
                "qa::extra_file",
                file("images/"),
                "`images/` is there, but `collection.json` says the run wrote no images (--no-images): it would be \
                 published",
                "run `dropc run` again (with or without --no-images): it removes what it did not write",
            ));
        }
        folders.retain(|(folder, _, _)| folder == "metadata");
        listing.unlisted.extend(["images".to_string()].into_iter().chain(sizes.iter().map(|s| format!("images/{s}"))));
    }
    for (folder, ext, code) in &folders {
        let unlisted = |why: String| {
            Finding::error(code, file(format!("{folder}/")), format!("the folder `{folder}` {why}"), RERUN)
        };
        let entries = match read::folder_problem(&dir.join(folder)) {
            None => std::fs::read_dir(dir.join(folder))
                .map_err(|e| Unread::Refused(format!("cannot be listed: {}", read::describe_io(&e)))),
            Some(problem) => Err(problem),
        };
        let entries = match entries {
            Ok(entries) => entries,
            Err(problem) => {
                let why = match problem {
                    Unread::Missing => "is missing: no token has its file there".to_string(),
                    Unread::Refused(why) => format!("{why}: none of its files is audited"),
                };
                findings.push(unlisted(why));
                listing.unlisted.insert(folder.clone());
                continue;
            }
        };
        let mut present: BTreeSet<String> = BTreeSet::new();
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    findings.push(unlisted(format!("cannot be listed: {}", read::describe_io(&e))));
                    continue;
                }
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            // Not followed: a link to a folder is a link.
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if folder == "images" && sizes.contains(&name) {
                // The folder of an extra size: checked on its own.
                continue;
            }
            // A token's name is its file's, whatever is there: reading it
            // says what is wrong with it (a folder, a link, a FIFO).
            let wanted = name
                .strip_suffix(&format!(".{ext}"))
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|id| ids.binary_search(&id).is_ok() && name == format!("{id}.{ext}"));
            if wanted {
                if let Some(id) = name.strip_suffix(&format!(".{ext}")).and_then(|n| n.parse::<u64>().ok()) {
                    listing.present.insert((folder.clone(), id));
                }
                present.insert(name);
            } else {
                let path = format!("{folder}/{name}{}", if is_dir { "/" } else { "" });
                findings.push(Finding::error(
                    "qa::extra_file",
                    file(path.clone()),
                    format!("`{path}` is no token's file: it would be published with the collection"),
                    "remove it (`dropc run` removes what it did not write only when asked with --force)",
                ));
            }
        }
        for &id in ids {
            let name = format!("{id}.{ext}");
            if !present.contains(&name) {
                findings.push(Finding::error(
                    code,
                    Subject::Token { id },
                    format!("`{folder}/{name}` is missing"),
                    RERUN,
                ));
            }
        }
    }
    listing
}

/// What the folders of the output hold.
#[derive(Default)]
struct Listing {
    /// Folders that are missing or cannot be listed (reported once, not per
    /// token).
    unlisted: BTreeSet<String>,
    /// `(folder, id)` of every token's file the listing saw.
    present: BTreeSet<(String, u64)>,
}

/// What every token's check needs.
struct TokenContext<'a> {
    model: &'a Model,
    dir: &'a Path,
    parity: Option<&'a Parity<'a>>,
    record: &'a Record,
    listing: Listing,
}

impl TokenContext<'_> {
    /// Whether the folder listing saw the token's file in `folder`.
    fn present(&self, folder: &str, id: u64) -> bool {
        self.listing.present.contains(&(folder.to_string(), id))
    }

    /// Every check of one token that needs its files.
    fn scan(
        &self,
        id: u64,
        token: Option<Token<'_>>,
        entry: Option<&super::record::Entry>,
        scratch: &mut Image,
    ) -> TokenScan {
        let mut scan = TokenScan { id, findings: Vec::new(), sha256: None, pixels: None, decoded: 0 };
        let metadata = self.metadata(id, token, &mut scan.findings);
        let canvas = self.model.settings.canvas;
        let image_path = PathBuf::from(format!("images/{id}.png"));
        // The canvas image (its pixels and fingerprint), when it decodes at
        // the canvas size.
        let mut main_image = None;
        if let Some(main) = self.image("images", id, canvas, &mut scan) {
            let pixels = main.into_rgba();
            let f = img::fingerprint(&pixels);
            scan.pixels = Some((img::pixel_hash(&pixels), f));
            if let (Some(parity), Some(metadata)) = (self.parity, &metadata) {
                let recorded = entry.map(|e| self.record.variant_names(self.model, e)).unwrap_or_default();
                scan.findings.extend(parity.check(id, metadata, &recorded, &pixels, &image_path, scratch));
            }
            main_image = Some((pixels, f));
        }
        let filter = self.model.settings.resize;
        for &(w, h) in &self.model.settings.sizes {
            let folder = format!("images/{w}x{h}");
            let Some(decoded) = self.image(&folder, id, (w, h), &mut scan) else { continue };
            let Some((pixels, fingerprint)) = &main_image else { continue };
            // Nearest neighbour picks one pixel in each block, so a smaller
            // copy's cells need not average like the canvas image's (thin
            // lines vanish): it is compared with the canvas image resized as
            // `dropc run` resizes it, which costs a lookup per pixel. Smooth
            // filters average, and are compared with the canvas image itself.
            let (reference, tolerance) = if filter == crate::model::ResizeFilter::Nearest {
                (img::fingerprint(&crate::render::resize(pixels, (w, h), filter)), SIZE_MISMATCH_LEVELS)
            } else {
                (*fingerprint, size_tolerance(canvas, (w, h)))
            };
            let distance = reference.distance(&decoded.fingerprint());
            if distance > tolerance {
                scan.findings.push(
                    Finding::warning(
                        "qa::size_mismatch",
                        Subject::Token { id },
                        format!(
                            "`{folder}/{id}.png` does not look like `images/{id}.png` \
                             (a region differs by {distance}/255)"
                        ),
                        RERUN,
                    )
                    .with_images([image_path.clone(), PathBuf::from(format!("{folder}/{id}.png"))]),
                );
            }
        }
        scan
    }

    /// Reads, decodes and checks one image; `None` when it cannot be used.
    /// The canvas-size image's SHA-256 goes into `scan`, decodable or not.
    fn image(&self, folder: &str, id: u64, size: (u32, u32), scan: &mut TokenScan) -> Option<img::Decoded> {
        if self.listing.unlisted.contains(folder) {
            return None;
        }
        let rel = format!("{folder}/{id}.png");
        let unusable = |why: String| {
            Finding::error("qa::image_unreadable", Subject::Token { id }, format!("`{rel}` {why}"), RERUN)
        };
        let bytes = match read::read_file(&self.dir.join(&rel), read::png_limit(size)) {
            Ok(bytes) => bytes,
            // Reported by the folder listing (`qa::missing_image`).
            Err(Unread::Missing) if !self.present(folder, id) => return None,
            Err(why) => {
                scan.findings.push(unusable(why.phrase()));
                return None;
            }
        };
        if folder == "images" {
            scan.sha256 = Some(sha256(&bytes));
        }
        // The header first: pixels are allocated only for the expected size
        // (a header may declare 100000 x 100000).
        let declared = match img::dimensions(&bytes) {
            Ok(d) => d,
            Err(why) => {
                scan.findings.push(unusable(why));
                return None;
            }
        };
        if declared != size {
            scan.findings.push(Finding::error(
                "qa::image_size",
                Subject::Token { id },
                format!("`{rel}` is {} x {}, not {} x {}", declared.0, declared.1, size.0, size.1),
                RERUN,
            ));
            return None;
        }
        let decoded = match img::decode(&bytes) {
            Ok(d) => d,
            Err(why) => {
                scan.findings.push(Finding::error(
                    "qa::image_unreadable",
                    Subject::Token { id },
                    format!("`{rel}` {why}"),
                    RERUN,
                ));
                return None;
            }
        };
        scan.decoded += 1;
        let shown = || vec![PathBuf::from(&rel)];
        let subject = || Subject::Token { id };
        if !decoded.is_rgb8() {
            scan.findings.push(Finding::error(
                "qa::image_format",
                subject(),
                format!(
                    "`{rel}` is {:?} at {} bits per sample, not 8-bit RGB or RGBA",
                    decoded.colour, decoded.depth as u8
                ),
                RERUN,
            ));
        }
        if !decoded.srgb {
            scan.findings.push(Finding::warning(
                "qa::image_srgb",
                subject(),
                format!("`{rel}` has no `sRGB` chunk: viewers may show its colours otherwise"),
                "dropc writes one; the file was re-encoded by another tool: run `dropc run` again",
            ));
        }
        if decoded.is_blank() {
            let colour = decoded.data.get(..decoded.channels).map_or(String::new(), |c| format!(" (#{})", hex(c)));
            scan.findings.push(
                Finding::error(
                    "qa::blank_image",
                    subject(),
                    format!("`{rel}` is a single colour{colour}"),
                    "check the art of its variants (an empty or fully transparent layer?) and run `dropc run` again",
                )
                .with_images(shown()),
            );
        }
        Some(decoded)
    }

    /// Reads and checks `metadata/<id>.json`: valid JSON, the flavour's
    /// schema, and agreement with the record and the `.drop`. Returns the
    /// document when parity can use it (it parses and passes the schema).
    fn metadata(&self, id: u64, token: Option<Token<'_>>, findings: &mut Vec<Finding>) -> Option<Value> {
        if self.listing.unlisted.contains("metadata") {
            return None;
        }
        let rel = format!("metadata/{id}.json");
        let subject = || Subject::Token { id };
        let bytes = match read::read_file(&self.dir.join(&rel), read::METADATA_LIMIT) {
            Ok(bytes) => bytes,
            // Reported by the folder listing (`qa::missing_metadata`).
            Err(Unread::Missing) if !self.present("metadata", id) => return None,
            Err(why) => {
                findings.push(Finding::error(
                    "qa::metadata_unreadable",
                    subject(),
                    format!("`{rel}` {}", why.phrase()),
                    RERUN,
                ));
                return None;
            }
        };
        let doc: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                findings.push(Finding::error(
                    "qa::metadata_unreadable",
                    subject(),
                    format!("`{rel}` is not JSON: {e}"),
                    RERUN,
                ));
                return None;
            }
        };
        let flavour = self.model.settings.metadata;
        let violations = super::schema::violations(flavour, &doc);
        if !violations.is_empty() {
            let more = violations.len().saturating_sub(3);
            let mut shown: Vec<String> = violations.into_iter().take(3).collect();
            if more > 0 {
                shown.push(format!("and {more} more"));
            }
            findings.push(Finding::error(
                "qa::metadata_schema",
                subject(),
                format!("`{rel}` breaks the {} schema: {}", flavour_name(flavour), shown.join("; ")),
                format!("the schema is `schemas/{}.schema.json`; {RERUN}", flavour_name(flavour).to_lowercase()),
            ));
            return None;
        }
        let Some(token) = token else { return Some(doc) };
        let expected = crate::publish::metadata(self.model, token);
        // Attributes: the record's variants.
        if doc.get("attributes") != expected.get("attributes") {
            findings.push(Finding::error(
                "qa::metadata_attributes",
                subject(),
                format!("`{rel}` {}", attribute_difference(&doc, &expected)),
                "the metadata was edited after the run: run `dropc run` again",
            ));
        }
        // `image` and `external_url`: the templates with the id.
        for key in ["image", "external_url"] {
            match (doc.get(key), expected.get(key)) {
                (a, b) if a == b => {}
                (Some(a), Some(b)) => findings.push(Finding::error(
                    "qa::metadata_uri",
                    subject(),
                    format!("`{rel}` has `{key}` {a}, but the template gives {b}"),
                    RERUN,
                )),
                (None, Some(b)) => findings.push(Finding::error(
                    "qa::metadata_uri",
                    subject(),
                    format!("`{rel}` has no `{key}`; the template gives {b}"),
                    RERUN,
                )),
                (Some(a), None) => findings.push(Finding::error(
                    "qa::metadata_uri",
                    subject(),
                    format!("`{rel}` has `{key}` {a}, but the `.drop` has no `{key}` template"),
                    RERUN,
                )),
                (None, None) => {}
            }
        }
        // Everything else: as the `.drop` says.
        let fields: Vec<String> = expected
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !matches!(k.as_str(), "attributes" | "image" | "external_url"))
            .filter(|(k, v)| doc.get(k.as_str()) != Some(*v))
            .map(|(k, v)| match doc.get(k.as_str()) {
                Some(a) => format!("`{k}` is {} where the `.drop` gives {}", clip(a), clip(v)),
                None => format!("`{k}` is missing"),
            })
            .collect();
        if !fields.is_empty() {
            findings.push(Finding::error(
                "qa::metadata_field",
                subject(),
                format!("`{rel}`: {}", fields.join("; ")),
                "the metadata was edited after the run, or the `.drop` changed: run `dropc run` again",
            ));
        }
        Some(doc)
    }
}

fn flavour_name(flavour: crate::model::MetadataFlavour) -> &'static str {
    match flavour {
        crate::model::MetadataFlavour::Erc721 => "ERC721",
        crate::model::MetadataFlavour::Metaplex => "Metaplex",
    }
}

/// A JSON value in a message, cut short.
fn clip(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s }
}

/// How a document's attributes differ from the expected ones, as a phrase.
fn attribute_difference(doc: &Value, expected: &Value) -> String {
    let pairs = |v: &Value| -> Vec<(String, Value)> {
        v.get("attributes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|x| {
                        let t = x.get("trait_type").and_then(Value::as_str).unwrap_or_default().to_string();
                        (t, x.get("value").cloned().unwrap_or(Value::Null))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (have, want) = (pairs(doc), pairs(expected));
    let show = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    for (t, w) in &want {
        match have.iter().find(|(h, _)| h == t) {
            None => return format!("lacks `{t}: {}`, which `tokens.json` records", show(w)),
            Some((_, h)) if h != w => {
                return format!("says `{t}: {}` where `tokens.json` records `{}`", show(h), show(w));
            }
            Some(_) => {}
        }
    }
    for (t, h) in &have {
        if !want.iter().any(|(w, _)| w == t) {
            return format!("has `{t}: {}`, which `tokens.json` does not record", show(h));
        }
    }
    "lists its attributes in another order or more than once".to_string()
}

/// The variants two generated tokens with identical images differ in:
/// `; they differ only in `Face.faceA` / `Face.faceB``, or nothing.
fn duplicate_cause(model: &Model, a: Option<&[u32]>, b: Option<&[u32]>) -> String {
    let (Some(a), Some(b)) = (a, b) else { return String::new() };
    let pairs: Vec<String> = (0..model.traits.len().min(a.len()).min(b.len()))
        .filter(|&t| a[t] != b[t])
        .map(|t| {
            let name = |v: u32| model.variant_name(crate::model::VariantId { trait_id: t, index: v as usize });
            format!("`{}` / `{}`", name(a[t].min(b[t])), name(a[t].max(b[t])))
        })
        .collect();
    if pairs.is_empty() {
        "; they have the same variants".to_string()
    } else {
        format!("; they differ only in {}, which draw the same pixels here", pairs.join(", "))
    }
}

/// What to do about a duplicate image: `unique by` helps only when the two
/// tokens have the same variants.
fn duplicate_help(model: &Model, a: Option<&[u32]>, b: Option<&[u32]>) -> &'static str {
    match (a, b) {
        (Some(a), Some(b)) if a != b => {
            "the variants they differ in draw identical art (check's `identical_art`) or are hidden by another \
             layer: give them art that tells them apart, or write `unique visually` so that tokens that look the \
             same are kept apart (`unique by` cannot help: the tokens already differ in names); then run \
             `dropc run` again"
        }
        _ if model.unique.len() < model.traits.len() => {
            "declare `unique by` over the traits that are drawn (or give the traits that differ visible art) \
             and run `dropc run` again"
        }
        _ => "run `dropc run` again: a fresh draw keeps generated tokens unique",
    }
}

/// Identical pixels across tokens (errors) and near duplicates (warnings):
/// each token is reported once, against the first token it matches.
fn check_duplicates(model: &Model, tokens: &Tokens, scans: &[TokenScan], findings: &mut Vec<Finding>) {
    let hashed: Vec<(u64, u128, Fingerprint)> =
        scans.iter().filter_map(|s| s.pixels.map(|(h, f)| (s.id, h, f))).collect();
    let rows: HashMap<u64, &[u32]> = tokens.generated().collect();
    let mut first_with: HashMap<u128, u64> = HashMap::new();
    for &(id, hash, _) in &hashed {
        match first_with.get(&hash) {
            Some(&first) => findings.push(
                Finding::error(
                    "qa::duplicate_image",
                    Subject::Token { id },
                    format!(
                        "its image has exactly the pixels of token {first}'s{}",
                        duplicate_cause(model, rows.get(&first).copied(), rows.get(&id).copied())
                    ),
                    duplicate_help(model, rows.get(&first).copied(), rows.get(&id).copied()),
                )
                .with_images([PathBuf::from(format!("images/{first}.png")), PathBuf::from(format!("images/{id}.png"))]),
            ),
            None => {
                first_with.insert(hash, id);
            }
        }
    }
    // Near duplicates. Fingerprints within the limit have mean brightness
    // within 3 × (limit + 1): sorted by brightness, each image is compared
    // only with the few whose brightness is that close (every pair, in the
    // worst case of a collection of one colour).
    let mut order: Vec<(f64, usize)> = hashed.iter().enumerate().map(|(i, h)| (h.2.brightness(), i)).collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let band = 3.0 * (f64::from(NEAR_DUPLICATE_LEVELS) + 1.0);
    let (hashed, order) = (&hashed, &order);
    let mut near: Vec<(u64, u64, u8)> = (0..order.len())
        .into_par_iter()
        .flat_map_iter(|k| {
            let (b, i) = order[k];
            let (id, hash, f) = &hashed[i];
            order[k + 1..].iter().take_while(move |(c, _)| c - b <= band).filter_map(move |&(_, j)| {
                let (other, other_hash, g) = &hashed[j];
                (other_hash != hash && f.within(g, NEAR_DUPLICATE_LEVELS)).then(|| {
                    let (a, b) = if id < other { (*id, *other) } else { (*other, *id) };
                    (b, a, f.distance(g))
                })
            })
        })
        .collect();
    // Each token once, against its closest earlier token.
    near.sort_unstable_by_key(|&(id, other, d)| (id, d, other));
    near.dedup_by_key(|&mut (id, _, _)| id);
    for (id, other, d) in near {
        findings.push(
            Finding::warning(
                "qa::near_duplicate",
                Subject::Token { id },
                format!("its image looks almost like token {other}'s (no region differs by more than {d}/255)"),
                "make the traits that tell them apart more visible, or accept the pair",
            )
            .with_images([PathBuf::from(format!("images/{other}.png")), PathBuf::from(format!("images/{id}.png"))]),
        );
    }
}

/// `provenance.json` lists every image's SHA-256 in id order, their
/// concatenation and its hash.
fn check_provenance(doc: &Value, ids: &[u64], digests: &BTreeMap<u64, Sha256Digest>, findings: &mut Vec<Finding>) {
    let bad = |what: String| Finding::error("qa::provenance_record", file("provenance.json"), what, RERUN);
    if doc.get("algorithm").and_then(Value::as_str) != Some("sha256") {
        findings.push(bad("does not name the `sha256` algorithm".into()));
    }
    let listed: Vec<(u64, String)> = doc
        .get("images")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter().filter_map(|i| Some((i.get("id")?.as_u64()?, i.get("sha256")?.as_str()?.to_string()))).collect()
        })
        .unwrap_or_default();
    let listed_ids: Vec<u64> = listed.iter().map(|(id, _)| *id).collect();
    if listed_ids != ids {
        findings.push(bad(format!("lists {} images, not the {} tokens in id order", listed_ids.len(), ids.len())));
    }
    for (id, digest) in &listed {
        if let Some(actual) = digests.get(id) {
            if hex(actual) != *digest {
                findings.push(
                    Finding::error(
                        "qa::provenance_hash",
                        Subject::Token { id: *id },
                        format!(
                            "`images/{id}.png` has SHA-256 {} but `provenance.json` commits to {digest}",
                            hex(actual)
                        ),
                        "the image changed after the run (if the provenance hash is published, the image must be \
                     restored); otherwise run `dropc run` again",
                    )
                    .with_images([PathBuf::from(format!("images/{id}.png"))]),
                );
            }
        }
    }
    let concatenated: String = listed.iter().map(|(_, d)| d.as_str()).collect();
    match doc.get("concatenated").and_then(Value::as_str) {
        Some(c) if c == concatenated => {}
        _ => findings.push(bad("`concatenated` is not the images' hashes joined in id order".into())),
    }
    let recorded = doc.get("concatenated").and_then(Value::as_str).unwrap_or_default();
    if doc.get("provenance").and_then(Value::as_str) != Some(sha256_hex(recorded.as_bytes()).as_str()) {
        findings.push(bad("`provenance` is not the SHA-256 of `concatenated`".into()));
    }
}

/// `manifest.json` records each image's SHA-256 and the key of the inputs
/// it was rendered from, which must be the key of the recorded token.
fn check_manifest(
    model: &Model,
    doc: &Value,
    tokens: &Tokens,
    digests: &BTreeMap<u64, Sha256Digest>,
    recorded_art: Option<&BTreeMap<PathBuf, String>>,
    root: &Path,
    findings: &mut Vec<Finding>,
) {
    let manifest: crate::publish::manifest::Manifest = match serde_json::from_value(doc.clone()) {
        Ok(m) => m,
        Err(e) => {
            findings.push(Finding::error(
                "qa::manifest_record",
                file(crate::publish::manifest::FILE),
                format!("is not a dropc manifest: {e}"),
                RERUN,
            ));
            return;
        }
    };
    let same_version = manifest.dropc_version == env!("CARGO_PKG_VERSION");
    if !same_version {
        findings.push(Finding::warning(
            "qa::manifest_record",
            file(crate::publish::manifest::FILE),
            format!(
                "was written by dropc {}, not {}: its keys cannot be checked",
                manifest.dropc_version,
                env!("CARGO_PKG_VERSION")
            ),
            RERUN,
        ));
    }
    let current_art;
    let art = match recorded_art {
        Some(a) => a,
        None => {
            // An art file that cannot be read is left out, as `dropc run`
            // leaves it out of the keys; the inputs audit reports it
            // (`qa::unreadable_art`).
            current_art = crate::publish::provenance::art_paths(model)
                .into_iter()
                .filter_map(|p| art_hash(root, &p).map(|h| (p, h)))
                .collect();
            &current_art
        }
    };
    let listed: BTreeSet<u64> = manifest.tokens.keys().copied().collect();
    let ids: BTreeSet<u64> = tokens.iter().map(|t| t.id()).collect();
    if listed != ids {
        let missing: Vec<u64> = ids.difference(&listed).copied().collect();
        let extra: Vec<u64> = listed.difference(&ids).copied().collect();
        findings.push(Finding::error(
            "qa::manifest_record",
            file(crate::publish::manifest::FILE),
            format!("lists other tokens than `tokens.json`: {} missing, {} extra", list(&missing), list(&extra)),
            RERUN,
        ));
    }
    let keyed: Vec<(u64, bool)> = tokens
        .iter()
        .collect::<Vec<_>>()
        .par_iter()
        .filter_map(|&t| {
            let entry = manifest.tokens.get(&t.id())?;
            Some((t.id(), same_version && entry.key != crate::publish::manifest::token_key(model, t, art)))
        })
        .collect();
    for (id, stale) in keyed {
        let Some(entry) = manifest.tokens.get(&id) else { continue };
        if let Some(actual) = digests.get(&id) {
            if hex(actual) != entry.sha256 {
                findings.push(Finding::error(
                    "qa::manifest_hash",
                    Subject::Token { id },
                    format!(
                        "`images/{id}.png` has SHA-256 {} but `manifest.json` records {}",
                        hex(actual),
                        entry.sha256
                    ),
                    RERUN,
                ));
            }
        }
        if stale {
            findings.push(Finding::error(
                "qa::manifest_key",
                Subject::Token { id },
                "`manifest.json` says its image was rendered from other traits or settings than `tokens.json` and \
                 the `.drop` give",
                RERUN,
            ));
        }
    }
}

/// The SHA-256 of an art file of the project, `None` when it cannot be
/// read (an error of the inputs audit, `qa::unreadable_art`).
fn art_hash(root: &Path, path: &Path) -> Option<String> {
    match std::fs::read(root.join(path)) {
        Ok(bytes) => Some(sha256_hex(&bytes)),
        Err(_) => None,
    }
}

/// `rarity.json` must be OpenRarity's ranking of the recorded tokens.
fn check_rarity(model: &Model, tokens: &Tokens, doc: Value, findings: &mut Vec<Finding>) -> Vec<RarityLine> {
    let bad = |what: String| Finding::error("qa::rarity_record", file("rarity.json"), what, RERUN);
    let recorded: Vec<RarityLine> = match serde_json::from_value(doc) {
        Ok(r) => r,
        Err(e) => {
            findings.push(bad(format!("is not a list of `{{id, rank, score}}`: {e}")));
            return Vec::new();
        }
    };
    let expected: Vec<RarityLine> =
        serde_json::from_slice(&crate::publish::rarity::rarity_json(model, tokens)).unwrap_or_default();
    let by_id: HashMap<u64, &RarityLine> = recorded.iter().map(|l| (l.id, l)).collect();
    let mut wrong: Vec<u64> = expected
        .iter()
        .filter(|e| by_id.get(&e.id).is_none_or(|r| r.rank != e.rank || r.score != e.score))
        .map(|e| e.id)
        .collect();
    wrong.sort_unstable();
    if !wrong.is_empty() {
        findings.push(bad(format!(
            "gives {} token{} another rank or score than the recorded tokens have: {}",
            wrong.len(),
            if wrong.len() == 1 { "" } else { "s" },
            list(&wrong)
        )));
    } else if recorded.len() != expected.len() {
        findings.push(bad(format!("lists {} tokens, not {}", recorded.len(), expected.len())));
    }
    recorded
}

/// `collection.json`: counts, size and legendaries as the record has them,
/// and the inputs' hashes as they are now.
fn check_summary(
    model: &Model,
    tokens: &Tokens,
    record: &Record,
    doc: &Value,
    source: &[u8],
    root: &Path,
    findings: &mut Vec<Finding>,
) {
    let mut bad = |what: String| {
        findings.push(Finding::error("qa::collection_record", file("collection.json"), what, RERUN));
    };
    let number = |key: &str| doc.get(key).and_then(Value::as_u64);
    if doc.get("collection").and_then(Value::as_str) != Some(model.settings.name.as_str()) {
        bad(format!("does not name the collection `{}`", model.settings.name));
    }
    if doc.get("seed").and_then(Value::as_str) != Some(record.seed.as_str()) {
        bad(format!("does not give the seed `{}` of `tokens.json`", record.seed));
    }
    if number("size") != Some(tokens.len() as u64) {
        bad(format!("gives size {:?}, but `tokens.json` has {} tokens", number("size"), tokens.len()));
    }
    if number("generated") != Some(tokens.ids.len() as u64) {
        bad(format!("gives {:?} generated tokens, but `tokens.json` has {}", number("generated"), tokens.ids.len()));
    }
    let counts = tokens.variant_counts(model);
    let traits = doc.get("traits").and_then(Value::as_array).cloned().unwrap_or_default();
    for (t, tr) in model.traits.iter().enumerate() {
        let listed = traits.iter().find(|x| x.get("name").and_then(Value::as_str) == Some(tr.name.as_str()));
        for (v, variant) in tr.variants.iter().enumerate() {
            let count = listed.and_then(|x| {
                x.get("variants")?
                    .as_array()?
                    .iter()
                    .find(|y| y.get("name").and_then(Value::as_str) == Some(variant.name.as_str()))?
                    .get("count")?
                    .as_u64()
            });
            if count != Some(counts[t][v]) {
                bad(format!(
                    "counts {} for `{}.{}`, but `tokens.json` has {}",
                    count.map_or_else(|| "nothing".to_string(), |c| c.to_string()),
                    tr.name,
                    variant.name,
                    counts[t][v]
                ));
            }
        }
    }
    let legendaries: BTreeSet<(String, u64)> = doc
        .get("legendaries")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter().filter_map(|l| Some((l.get("name")?.as_str()?.to_string(), l.get("id")?.as_u64()?))).collect()
        })
        .unwrap_or_default();
    let recorded: BTreeSet<(String, u64)> =
        tokens.legendaries.iter().map(|&(id, index)| (model.legendaries[index].name.clone(), id)).collect();
    if legendaries != recorded {
        bad("gives the legendaries other ids than `tokens.json`".to_string());
    }
    // Inputs: paths are data, never opened here; a tampered one is a finding.
    let inputs = doc.get("inputs");
    match inputs.and_then(|i| i.get("source_path")) {
        None | Some(Value::Null) => {}
        Some(Value::String(path)) => {
            if let Err(why) = read::recorded_path(path, Some("drop")) {
                findings.push(Finding::error(
                    "qa::collection_record",
                    file("collection.json"),
                    format!("names the `.drop` as `{path}`, which {why}: it was not used"),
                    "run `dropc run` again; audit with --drop FILE meanwhile",
                ));
            }
        }
        Some(other) => findings.push(Finding::error(
            "qa::collection_record",
            file("collection.json"),
            format!("gives `source_path` as {}, not a path", clip(other)),
            RERUN,
        )),
    }
    if let Some(art) = inputs.and_then(|i| i.get("art")).and_then(Value::as_object) {
        let outside: Vec<&str> = art.keys().map(String::as_str).filter(|k| !read::inside(k)).collect();
        if !outside.is_empty() {
            let shown: Vec<String> = outside.iter().take(LISTED).map(|k| format!("`{k}`")).collect();
            findings.push(Finding::error(
                "qa::collection_record",
                file("collection.json"),
                format!(
                    "records art outside the project folder ({}{}): the record was tampered with; it was not used",
                    shown.join(", "),
                    if outside.len() > LISTED {
                        format!(" and {} more", outside.len() - LISTED)
                    } else {
                        String::new()
                    }
                ),
                RERUN,
            ));
        }
    }
    // Changed since the run?
    let source_hash = sha256_hex(source);
    match inputs.and_then(|i| i.get("source")).and_then(Value::as_str) {
        Some(h) if h == source_hash => {}
        Some(_) => findings.push(Finding::warning(
            "qa::source_changed",
            file("collection.json"),
            "the `.drop` changed since the run: its SHA-256 is not the one recorded",
            "run `dropc run` again so that the output is the `.drop`'s",
        )),
        None => findings.push(Finding::error(
            "qa::collection_record",
            file("collection.json"),
            "records no hash of the `.drop`",
            RERUN,
        )),
    }
    let recorded_art: BTreeMap<String, String> = inputs
        .and_then(|i| i.get("art"))
        .and_then(Value::as_object)
        .map(|o| o.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    for path in crate::publish::provenance::art_paths(model) {
        let key: Vec<String> = path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let key = key.join("/");
        // Art that cannot be read is an error of the inputs audit
        // (`qa::unreadable_art`): whether it changed cannot be told.
        let now = art_hash(root, &path);
        if now.is_some() && recorded_art.get(&key) != now.as_ref() {
            findings.push(Finding::warning(
                "qa::art_changed",
                file(key.clone()),
                format!("`{key}` changed since the run (or was not recorded)"),
                "run `dropc run` again: it redraws the tokens that use it",
            ));
        }
    }
}
