//! Audits of an output folder written by `dropc run`.
//!
//! `tokens.json` is the record of the draw: everything else — files present,
//! metadata, images, counts, rarity, provenance, the manifest — must agree
//! with it, and it must agree with a fresh draw of the `.drop`. Each image
//! is read and decoded once, on the rayon pool, and that one decode serves
//! every check of the token: format and size, blankness, the SHA-256 of its
//! file (provenance, manifest), a pixel hash (exact duplicates), a
//! perceptual fingerprint (near duplicates) and parity with its metadata
//! (the token composited again and compared pixel for pixel); each extra
//! size is compared pixel for pixel with the canvas image resized again as
//! `dropc run` resizes it.
//!
//! Memory: the token is composited first (with the renderer `dropc run`
//! uses, its layers decoded once per audit), then its image is decoded row
//! by row and each row compared as it comes, so a thread holds one canvas
//! and a row, never the decoded image beside the render; when they are
//! equal the render serves as the canvas image's pixels for the extra
//! sizes. Only hashes and a sketch of the fingerprint (about 200 bytes)
//! outlive a token's turn, so `dropc qa` needs no more memory than the `dropc run` that wrote
//! the folder (`tests/qa_memory.rs`).
//!
//! Every finding's code is listed, with what to do, in the reference
//! (`docs/reference.md`, "dropc qa").

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::model::Model;
use crate::output::{
    self, COLLECTION, CollectionRecord, IMAGES, Layout, MANIFEST, METADATA, Manifest, PROVENANCE, ProvenanceRecord,
    RARITY, TOKENS, image_folder_rel, image_rel, metadata_rel, size_folder,
};
use crate::publish::provenance::{Sha256Digest, hex, sha256, sha256_hex};
use crate::render::Image;
use crate::sample::{Token, Tokens};

use super::distribution::{self, TraitShares};
use super::image::{self as img, Fingerprint, Sketch};
use super::parity::{self, Parity};
use super::read::{self, Unread};
use super::record::Record;
use super::{Finding, QaCode, Subject};

/// Two images whose fingerprints (16 × 16 cells of mean colour) differ by
/// at most this many 8-bit levels in every cell and channel, and whose
/// pixels differ, are near duplicates. On the bundled examples the closest
/// distinct tokens are 40 levels apart or more; see the reference.
pub const NEAR_DUPLICATE_LEVELS: u8 = 6;
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

/// A canvas image's pixel hash and fingerprint sketch, for the search for
/// duplicates.
struct Look {
    id: u64,
    hash: u128,
    sketch: Sketch,
}

/// What one token's turn leaves for the collection-wide checks.
struct TokenScan {
    id: u64,
    findings: Vec<Finding>,
    /// SHA-256 of `images/<id>.png`'s bytes.
    sha256: Option<Sha256Digest>,
    /// SHA-256 of every extra size's file that could be read.
    sized: BTreeMap<(u32, u32), Sha256Digest>,
    /// Image files decoded.
    decoded: usize,
    /// Whether the canvas image of a generated token has a pixel under alpha
    /// 255 (`None`: a legendary, or no canvas image decoded).
    translucent: Option<bool>,
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
fn read_record(layout: &Layout, name: &str, limit: u64, findings: &mut Vec<Finding>) -> Option<Vec<u8>> {
    match read::read_file(&layout.file(name), limit) {
        Err(Unread::Missing) => {
            findings.push(Finding::new(QaCode::MissingRecord, file(name), format!("`{name}` is missing"), RERUN));
            None
        }
        Err(Unread::Refused(why)) => {
            findings.push(Finding::new(QaCode::UnreadableRecord, file(name), format!("`{name}` {why}"), RERUN));
            None
        }
        Ok(bytes) => Some(bytes),
    }
}

/// Reads and parses a record of the output folder as its type of
/// [`crate::output`]: findings for a missing or unreadable file, for one
/// that is not JSON (`qa::unreadable_record`), and for JSON that is not the
/// record (`invalid`, the record's own code: "`{name}` {what}: {why}").
fn read_typed<T: DeserializeOwned>(
    layout: &Layout,
    name: &str,
    limit: u64,
    (invalid, what): (QaCode, &str),
    findings: &mut Vec<Finding>,
) -> Option<T> {
    let bytes = read_record(layout, name, limit, findings)?;
    match serde_json::from_slice(&bytes) {
        Ok(v) => Some(v),
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            findings.push(Finding::new(invalid, file(name), format!("{what}: {e}"), RERUN));
            None
        }
        Err(e) => {
            findings.push(Finding::new(QaCode::UnreadableRecord, file(name), format!("is not JSON: {e}"), RERUN));
            None
        }
    }
}

/// Every finding about the output folder `dir` of `model`, whose `.drop`
/// source is `source` and whose art is relative to `root`. Runs on the
/// current rayon pool.
pub fn audit(model: &Model, source: &[u8], root: &Path, dir: &Path) -> Audit {
    let mut findings: Vec<Finding> = Vec::new();
    let s = &model.settings;
    let layout = Layout::new(dir);

    // The record, or a fresh draw when it cannot be read (so that the other
    // checks still run).
    let fresh = crate::sample(model, &s.seed).ok();
    let limit = read::record_limit(s.size);
    let record = match read_record(&layout, TOKENS, limit, &mut findings) {
        None => None,
        Some(bytes) => match Record::parse(&bytes) {
            Ok(r) => Some(r),
            Err(e) => {
                findings.push(Finding::new(QaCode::UnreadableRecord, file(TOKENS), e, RERUN));
                None
            }
        },
    };
    let record = match (record, &fresh) {
        (Some(r), _) => r,
        (None, Some(tokens)) => Record::of(model, tokens, &s.seed),
        (None, None) => {
            findings.push(Finding::new(
                QaCode::UnreadableRecord,
                file(TOKENS),
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
                not_audited: vec![format!("everything: `{TOKENS}` cannot be read, nor the `.drop` sampled")],
            };
        }
    };
    let (tokens, problems) = record.to_tokens(model);
    for (id, problem) in problems {
        let subject = id.map_or_else(|| file(TOKENS), |id| Subject::Token { id });
        findings.push(Finding::new(QaCode::TokensRecord, subject, format!("`{TOKENS}` {problem}"), RERUN));
    }
    if record.collection != s.name {
        findings.push(Finding::new(
            QaCode::TokensRecord,
            file(TOKENS),
            format!("is the record of `{}`, not of `{}`", record.collection, s.name),
            "audit the folder with the `.drop` that wrote it (`--drop FILE`)",
        ));
    }
    if record.seed != s.seed {
        findings.push(Finding::new(
            QaCode::TokensRecord,
            file(TOKENS),
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
    let summary: Option<CollectionRecord> = read_typed(
        &layout,
        COLLECTION,
        limit,
        (QaCode::CollectionRecord, "is not a dropc collection record"),
        &mut findings,
    );
    let with_images = summary.as_ref().is_none_or(|c| c.images);
    let mut not_audited = Vec::new();
    if !with_images {
        not_audited.push(format!(
            "images, parity, duplicates, provenance and the manifest: `{COLLECTION}` says the run wrote no images \
             (--no-images)"
        ));
    }
    let listing = check_folders(model, &ids, &layout, with_images, &mut findings);
    let parity = match Parity::new(model, root) {
        Ok(p) => Some(p),
        Err(e) => {
            findings.push(Finding::new(
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
    let mut context = TokenContext {
        model,
        layout: &layout,
        parity: parity.as_ref(),
        record: &record,
        listing,
        schema_broken: HashMap::new(),
    };
    context.schema_broken = context.schema_pass(&ids);
    // Each canvas image's id, pixel hash and sketch: kept apart from the
    // scans, to be freed once duplicates are found.
    let (mut scans, looks): (Vec<TokenScan>, Vec<Option<Look>>) = ids
        .par_iter()
        .map_init(
            || Image::new(0, 0),
            |scratch, &id| context.scan(id, by_id.get(&id).copied(), entries.get(&id).copied(), scratch),
        )
        .unzip();
    // The renderer (every layer decoded) and the per-token indexes are done
    // with: what follows reads the records, which must not come on top.
    drop(context);
    drop((parity, by_id, entries, fresh));
    let images = scans.iter().map(|s| s.decoded).sum();
    for scan in &mut scans {
        findings.append(&mut scan.findings);
    }
    let looks: Vec<Look> = looks.into_iter().flatten().collect();
    check_duplicates(model, &tokens, &looks, &layout, &mut findings);
    drop(looks);
    // Most generated tokens translucent: what `dropc run` measured.
    let rendered = scans.iter().filter(|s| s.translucent.is_some()).count();
    let translucent = scans.iter().filter(|s| s.translucent == Some(true)).count();
    if let Some(d) = crate::check::art::translucent_rendered(model, translucent, rendered, crate::span::Span::new(0, 0))
    {
        findings.push(Finding::new(
            d.code,
            Subject::Collection,
            d.message.replace("tokens rendered", "generated tokens' images"),
            d.help.unwrap_or_default(),
        ));
    }

    // Collection-wide records.
    let (shares, distribution_findings) = distribution::analyse(model, &tokens, &record.seed);
    findings.extend(distribution_findings);
    let digests: BTreeMap<u64, Sha256Digest> = scans.iter().filter_map(|s| Some((s.id, s.sha256?))).collect();
    if !with_images {
        for name in [PROVENANCE, MANIFEST] {
            if std::fs::symlink_metadata(layout.file(name)).is_ok() {
                findings.push(Finding::new(
                    QaCode::ExtraFile,
                    file(name),
                    format!("`{name}` describes images, but `{COLLECTION}` says the run wrote none (--no-images)"),
                    "run `dropc run` again (with or without --no-images): it removes what it did not write",
                ));
            }
        }
    } else if let Some(provenance) = read_typed::<ProvenanceRecord>(
        &layout,
        PROVENANCE,
        limit,
        (QaCode::ProvenanceRecord, "is not a dropc provenance record"),
        &mut findings,
    ) {
        check_provenance(&provenance, &ids, &digests, &mut findings);
    }
    // Art keys are data: only those inside the project are used (the
    // others are findings of `check_summary`).
    let recorded_art: Option<BTreeMap<PathBuf, String>> = summary.as_ref().map(|c| {
        c.inputs.art.iter().filter(|(k, _)| read::inside(k)).map(|(k, v)| (PathBuf::from(k), v.clone())).collect()
    });
    let manifest: Option<Manifest> = if with_images {
        read_typed(&layout, MANIFEST, limit, (QaCode::ManifestRecord, "is not a dropc manifest"), &mut findings)
    } else {
        None
    };
    if let Some(manifest) = manifest {
        check_manifest(model, &manifest, &tokens, &scans, recorded_art.as_ref(), root, &mut findings);
    }
    // Scoring the rarity again holds every token's attributes: the scans
    // (a fingerprint per token) must not come on top.
    drop((scans, digests));
    let rarity = match read_typed::<Vec<RarityLine>>(
        &layout,
        RARITY,
        limit,
        (QaCode::RarityRecord, "is not a list of `{id, rank, score}`"),
        &mut findings,
    ) {
        Some(recorded) => check_rarity(model, &tokens, recorded, &mut findings),
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
        findings.push(Finding::new(QaCode::TokenIds, file(TOKENS), what, RERUN));
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
        findings.push(Finding::new(
            QaCode::DrawMismatch,
            file(TOKENS),
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
fn check_folders(
    model: &Model,
    ids: &[u64],
    layout: &Layout,
    with_images: bool,
    findings: &mut Vec<Finding>,
) -> Listing {
    let sizes: Vec<String> = model.settings.sizes.iter().map(|&s| size_folder(s)).collect();
    // (folder relative to the output folder, its token's file name, the
    // code of a missing one)
    type FileName = fn(u64) -> String;
    let mut folders: Vec<(String, FileName, QaCode)> = vec![
        (IMAGES.to_string(), output::image_name, QaCode::MissingImage),
        (METADATA.to_string(), output::metadata_name, QaCode::MissingMetadata),
    ];
    folders.extend(
        model
            .settings
            .sizes
            .iter()
            .map(|&s| (image_folder_rel(Some(s)), output::image_name as FileName, QaCode::MissingImage)),
    );
    let mut listing = Listing::default();
    if !with_images {
        if std::fs::symlink_metadata(layout.images()).is_ok() {
            findings.push(Finding::new(
                QaCode::ExtraFile,
                file(format!("{IMAGES}/")),
                format!(
                    "`{IMAGES}/` is there, but `{COLLECTION}` says the run wrote no images (--no-images): it would be \
                     published"
                ),
                "run `dropc run` again (with or without --no-images): it removes what it did not write",
            ));
        }
        folders.retain(|(folder, _, _)| folder == METADATA);
        listing
            .unlisted
            .extend(std::iter::once(None).chain(model.settings.sizes.iter().copied().map(Some)).map(image_folder_rel));
    }
    for (folder, file_name, code) in &folders {
        let unlisted = |why: String| {
            Finding::new(*code, file(format!("{folder}/")), format!("the folder `{folder}` {why}"), RERUN)
        };
        let entries = match read::folder_problem(&layout.dir().join(folder)) {
            None => std::fs::read_dir(layout.dir().join(folder))
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
            if folder == IMAGES && sizes.contains(&name) {
                // The folder of an extra size: checked on its own.
                continue;
            }
            // A token's name is its file's, whatever is there: reading it
            // says what is wrong with it (a folder, a link, a FIFO).
            let wanted = name
                .split_once('.')
                .and_then(|(n, _)| n.parse::<u64>().ok())
                .filter(|&id| ids.binary_search(&id).is_ok() && name == file_name(id));
            if let Some(id) = wanted {
                listing.present.insert((folder.clone(), id));
                present.insert(name);
            } else {
                let path = format!("{folder}/{name}{}", if is_dir { "/" } else { "" });
                findings.push(Finding::new(
                    QaCode::ExtraFile,
                    file(path.clone()),
                    format!("`{path}` is no token's file: it would be published with the collection"),
                    "remove it (`dropc run` removes what it did not write only when asked with --force)",
                ));
            }
        }
        for &id in ids {
            let name = file_name(id);
            if !present.contains(&name) {
                findings.push(Finding::new(
                    *code,
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

/// What decoding one image row by row gave ([`stream`]).
struct Streamed {
    /// The colour type, bit depth and `sRGB` chunk as stored.
    colour: png::ColorType,
    depth: png::BitDepth,
    srgb: bool,
    /// Stored as dropc writes images.
    rgb8: bool,
    /// The one colour of a single-colour image (its stored channels), else
    /// `None`.
    blank: Option<Vec<u8>>,
    /// [`img::pixel_hash`] of its pixels.
    hash: u128,
    /// Its fingerprint, when asked.
    fingerprint: Option<Fingerprint>,
    /// Pixels that differ from the image compared with, and the first (row
    /// by row); `(0, None)` when none was compared.
    differing: (usize, Option<(u32, u32)>),
    /// Whether some pixel has alpha under 255.
    translucent: bool,
}

/// Decodes `bytes` (a PNG whose header was checked) row by row, holding one
/// row: blankness, the pixel hash, the fingerprint when asked, and the
/// pixels that differ from `against` when it has the image's size. The
/// error is a phrase after the file's name.
fn stream(bytes: &[u8], against: Option<&Image>, fingerprint: bool) -> Result<Streamed, String> {
    let mut rows = crate::png::stored_rows(bytes)?;
    let size = rows.size;
    let against = against.filter(|a| a.dimensions() == size);
    let mut hasher = img::PixelHasher::new(size);
    let mut sums = fingerprint.then(|| img::FingerprintSums::new(size));
    let row_len = size.0 as usize * 4;
    let mut first_pixel: Option<[u8; 4]> = None;
    let mut blank = true;
    let mut translucent = false;
    let mut differing = (0usize, None);
    let mut y = 0u32;
    while let Some(row) = rows.next_row()? {
        hasher.update(row);
        translucent = translucent || row.chunks_exact(4).any(|q| q[3] != 255);
        if let Some(sums) = &mut sums {
            sums.add_row(row, 4);
        }
        if let Some(p) = row.get(..4) {
            let first = *first_pixel.get_or_insert([p[0], p[1], p[2], p[3]]);
            blank = blank && row.chunks_exact(4).all(|q| q == first);
        }
        if let Some(a) = against {
            let start = y as usize * row_len;
            if let Some(expected) = a.as_raw().get(start..start + row_len) {
                let (count, first) = parity::row_differences(row, expected);
                differing.0 += count;
                if differing.1.is_none() {
                    differing.1 = first.map(|x| (x, y));
                }
            }
        }
        y += 1;
    }
    let channels = rows.channels;
    Ok(Streamed {
        colour: rows.colour,
        depth: rows.depth,
        srgb: rows.srgb,
        rgb8: rows.is_rgb8(),
        blank: blank.then(|| first_pixel.map(|p| p[..channels.min(4)].to_vec()).unwrap_or_default()),
        hash: hasher.finish(),
        fingerprint: sums.map(|s| s.finish()),
        differing,
        translucent,
    })
}

/// What every token's check needs.
struct TokenContext<'a> {
    model: &'a Model,
    layout: &'a Layout,
    parity: Option<&'a Parity<'a>>,
    record: &'a Record,
    listing: Listing,
    /// Per token whose metadata breaks the flavour's schema, the finding
    /// that says how ([`TokenContext::schema_pass`]).
    schema_broken: HashMap<u64, Finding>,
}

impl TokenContext<'_> {
    /// The metadata documents checked against the flavour's JSON Schema,
    /// in a pass of their own before the images, so that the compiled
    /// schema is dropped before any image is decoded: the findings of the
    /// documents that break it. A document that cannot be read or parsed
    /// is skipped here and reported by [`TokenContext::metadata`].
    fn schema_pass(&self, ids: &[u64]) -> HashMap<u64, Finding> {
        if self.listing.unlisted.contains(METADATA) {
            return HashMap::new();
        }
        let flavour = self.model.settings.metadata;
        let schema = match super::schema::Schema::compile(flavour) {
            Ok(schema) => schema,
            Err(e) => {
                let why = format!("the {flavour:?} schema does not compile: {e}");
                return ids.iter().map(|&id| (id, self.schema_finding(id, vec![why.clone()]))).collect();
            }
        };
        ids.par_iter()
            .filter_map(|&id| {
                let bytes = read::read_file(&self.layout.metadata(id), read::METADATA_LIMIT).ok()?;
                let doc: Value = serde_json::from_slice(&bytes).ok()?;
                let violations = schema.violations(&doc);
                (!violations.is_empty()).then(|| (id, self.schema_finding(id, violations)))
            })
            .collect()
    }

    /// `qa::metadata_schema` for token `id` whose document breaks the schema in `violations`.
    fn schema_finding(&self, id: u64, violations: Vec<String>) -> Finding {
        let flavour = self.model.settings.metadata;
        let more = violations.len().saturating_sub(3);
        let mut shown: Vec<String> = violations.into_iter().take(3).collect();
        if more > 0 {
            shown.push(format!("and {more} more"));
        }
        Finding::new(
            QaCode::MetadataSchema,
            Subject::Token { id },
            format!("`{}` breaks the {} schema: {}", metadata_rel(id), flavour_name(flavour), shown.join("; ")),
            format!("the schema is `schemas/{}.schema.json`; {RERUN}", flavour_name(flavour).to_lowercase()),
        )
    }

    /// Whether the folder listing saw the token's file in `folder`.
    fn present(&self, folder: &str, id: u64) -> bool {
        self.listing.present.contains(&(folder.to_string(), id))
    }

    /// Every check of one token that needs its files. What its metadata
    /// describes is rendered into `scratch` first (parity), so that each
    /// image is compared row by row as it decodes and is never held whole:
    /// besides the art, a thread holds one canvas (`scratch`, which serves
    /// as the canvas image's pixels once they are found equal), the image
    /// files' compressed bytes, a row, and an extra size's expected pixels.
    fn scan(
        &self,
        id: u64,
        token: Option<Token<'_>>,
        entry: Option<&super::record::Entry>,
        scratch: &mut Image,
    ) -> (TokenScan, Option<Look>) {
        let mut look = None;
        let mut scan =
            TokenScan { id, findings: Vec::new(), sha256: None, sized: BTreeMap::new(), decoded: 0, translucent: None };
        let metadata = self.metadata(id, token, &mut scan.findings);
        let image_path = PathBuf::from(image_rel(id, None));
        let rendered = match (self.parity, &metadata) {
            (Some(parity), Some(metadata)) => {
                let recorded = entry.map(|e| self.record.variant_names(self.model, e)).unwrap_or_default();
                match parity.render_described(id, metadata, &recorded, scratch) {
                    Ok(()) => true,
                    Err(finding) => {
                        scan.findings.push(*finding);
                        false
                    }
                }
            }
            _ => false,
        };
        // The canvas image: its pixel hash and fingerprint, and parity.
        let canvas = self.model.settings.canvas;
        let mut canvas_image: Option<(Vec<u8>, bool)> = None;
        if let Some((bytes, streamed)) = self.image(None, id, &mut scan, rendered.then_some(&*scratch), true) {
            if let Some(fingerprint) = streamed.fingerprint {
                look = Some(Look { id, hash: streamed.hash, sketch: fingerprint.sketch() });
            }
            if matches!(token, Some(Token::Generated { .. })) {
                scan.translucent = Some(streamed.translucent);
            }
            let mut equal = false;
            if rendered {
                match parity::verdict(id, canvas, scratch.dimensions(), streamed.differing, &image_path) {
                    Some(finding) => scan.findings.push(finding),
                    None => equal = true,
                }
            }
            canvas_image = Some((bytes, equal));
        }
        let filter = self.model.settings.resize;
        let sizes = &self.model.settings.sizes;
        // `dropc run` makes every extra size from the canvas image's pixels
        // with the one deterministic resize, whatever the filter: resizing
        // them again gives exactly the pixels the file must decode to. No
        // tolerance, for smooth filters either. The canvas pixels are the
        // render when the image equals it, else the image decoded again.
        let decoded_again: Option<Image> = match &canvas_image {
            Some((bytes, false)) if !sizes.is_empty() => match img::decode_rgba(bytes) {
                Ok(pixels) => Some(pixels),
                Err(why) => {
                    scan.findings.push(Finding::new(
                        QaCode::ImageUnreadable,
                        Subject::Token { id },
                        format!("`{}` {why}: its extra sizes were not compared with it", image_path.display()),
                        RERUN,
                    ));
                    None
                }
            },
            _ => None,
        };
        let pixels: Option<&Image> = match &canvas_image {
            Some((_, true)) => Some(&*scratch),
            Some((_, false)) => decoded_again.as_ref(),
            None => None,
        };
        for &size in sizes {
            let sized_path = image_rel(id, Some(size));
            let expected = pixels.map(|p| crate::render::resize(p, size, filter));
            let Some((_, streamed)) = self.image(Some(size), id, &mut scan, expected.as_ref(), false) else {
                continue;
            };
            let (count, first) = streamed.differing;
            if let (Some(_), Some((x, y))) = (&expected, first) {
                scan.findings.push(
                    Finding::new(
                        QaCode::SizeMismatch,
                        Subject::Token { id },
                        format!(
                            "`{sized_path}` is not `{}` resized as the `.drop` says ({filter:?}): {count} pixel{} \
                             differ (first at x {x}, y {y})",
                            image_path.display(),
                            if count == 1 { "" } else { "s" }
                        ),
                        RERUN,
                    )
                    .with_images([image_path.clone(), PathBuf::from(sized_path)]),
                );
            }
        }
        (scan, look)
    }

    /// Reads and checks one image, at the canvas size (`None`) or an extra
    /// size, decoding it row by row: each row is compared with `against`
    /// (when it has the image's size) and, for the canvas image
    /// (`fingerprint`), hashed and fingerprinted. `None` when it cannot be
    /// used; else its file's bytes and what the rows gave. Its SHA-256 goes
    /// into `scan`, decodable or not.
    fn image(
        &self,
        extra: Option<(u32, u32)>,
        id: u64,
        scan: &mut TokenScan,
        against: Option<&Image>,
        fingerprint: bool,
    ) -> Option<(Vec<u8>, Streamed)> {
        let folder = image_folder_rel(extra);
        if self.listing.unlisted.contains(&folder) {
            return None;
        }
        let size = extra.unwrap_or(self.model.settings.canvas);
        let rel = image_rel(id, extra);
        let unusable =
            |why: String| Finding::new(QaCode::ImageUnreadable, Subject::Token { id }, format!("`{rel}` {why}"), RERUN);
        let bytes = match read::read_file(&self.layout.image(id, extra), read::png_limit(size)) {
            Ok(bytes) => bytes,
            // Reported by the folder listing (`qa::missing_image`).
            Err(Unread::Missing) if !self.present(&folder, id) => return None,
            Err(why) => {
                scan.findings.push(unusable(why.phrase()));
                return None;
            }
        };
        match extra {
            None => scan.sha256 = Some(sha256(&bytes)),
            Some(size) => {
                scan.sized.insert(size, sha256(&bytes));
            }
        }
        // The header first: pixels are decoded only at the expected size
        // (a header may declare 100000 x 100000).
        let declared = match img::dimensions(&bytes) {
            Ok(d) => d,
            Err(why) => {
                scan.findings.push(unusable(why));
                return None;
            }
        };
        if declared != size {
            scan.findings.push(Finding::new(
                QaCode::ImageSize,
                Subject::Token { id },
                format!("`{rel}` is {} x {}, not {} x {}", declared.0, declared.1, size.0, size.1),
                RERUN,
            ));
            return None;
        }
        let streamed = match stream(&bytes, against, fingerprint) {
            Ok(s) => s,
            Err(why) => {
                scan.findings.push(unusable(why));
                return None;
            }
        };
        scan.decoded += 1;
        let shown = || vec![PathBuf::from(&rel)];
        let subject = || Subject::Token { id };
        if !streamed.rgb8 {
            scan.findings.push(Finding::new(
                QaCode::ImageFormat,
                subject(),
                format!(
                    "`{rel}` is {:?} at {} bits per sample, not indexed, 8-bit RGB or 8-bit RGBA",
                    streamed.colour, streamed.depth as u8
                ),
                RERUN,
            ));
        }
        if !streamed.srgb {
            scan.findings.push(Finding::new(
                QaCode::ImageSrgb,
                subject(),
                format!("`{rel}` has no `sRGB` chunk: viewers may show its colours otherwise"),
                "dropc writes one; the file was re-encoded by another tool: run `dropc run` again",
            ));
        }
        if let Some(colour) = &streamed.blank {
            let colour = if colour.is_empty() { String::new() } else { format!(" (#{})", hex(colour)) };
            scan.findings.push(
                Finding::new(
                    QaCode::BlankImage,
                    subject(),
                    format!("`{rel}` is a single colour{colour}"),
                    "check the art of its variants (an empty or fully transparent layer?) and run `dropc run` again",
                )
                .with_images(shown()),
            );
        }
        Some((bytes, streamed))
    }

    /// Reads and checks `metadata/<id>.json`: valid JSON, the flavour's
    /// schema, and agreement with the record and the `.drop`. Returns the
    /// document when parity can use it (it parses and passes the schema).
    fn metadata(&self, id: u64, token: Option<Token<'_>>, findings: &mut Vec<Finding>) -> Option<Value> {
        if self.listing.unlisted.contains(METADATA) {
            return None;
        }
        let rel = metadata_rel(id);
        let subject = || Subject::Token { id };
        let bytes = match read::read_file(&self.layout.metadata(id), read::METADATA_LIMIT) {
            Ok(bytes) => bytes,
            // Reported by the folder listing (`qa::missing_metadata`).
            Err(Unread::Missing) if !self.present(METADATA, id) => return None,
            Err(why) => {
                findings.push(Finding::new(
                    QaCode::MetadataUnreadable,
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
                findings.push(Finding::new(
                    QaCode::MetadataUnreadable,
                    subject(),
                    format!("`{rel}` is not JSON: {e}"),
                    RERUN,
                ));
                return None;
            }
        };
        if let Some(finding) = self.schema_broken.get(&id) {
            findings.push(finding.clone());
            return None;
        }
        let Some(token) = token else { return Some(doc) };
        let expected = crate::publish::metadata(self.model, token);
        // Attributes: the record's variants.
        if doc.get("attributes") != expected.get("attributes") {
            findings.push(Finding::new(
                QaCode::MetadataAttributes,
                subject(),
                format!("`{rel}` {}", attribute_difference(&doc, &expected)),
                "the metadata was edited after the run: run `dropc run` again",
            ));
        }
        // `image` and `external_url`: the templates with the id.
        for key in ["image", "external_url"] {
            match (doc.get(key), expected.get(key)) {
                (a, b) if a == b => {}
                (Some(a), Some(b)) => findings.push(Finding::new(
                    QaCode::MetadataUri,
                    subject(),
                    format!("`{rel}` has `{key}` {a}, but the template gives {b}"),
                    RERUN,
                )),
                (None, Some(b)) => findings.push(Finding::new(
                    QaCode::MetadataUri,
                    subject(),
                    format!("`{rel}` has no `{key}`; the template gives {b}"),
                    RERUN,
                )),
                (Some(a), None) => findings.push(Finding::new(
                    QaCode::MetadataUri,
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
            findings.push(Finding::new(
                QaCode::MetadataField,
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
            None => return format!("lacks `{t}: {}`, which `{TOKENS}` records", show(w)),
            Some((_, h)) if h != w => {
                return format!("says `{t}: {}` where `{TOKENS}` records `{}`", show(h), show(w));
            }
            Some(_) => {}
        }
    }
    for (t, h) in &have {
        if !want.iter().any(|(w, _)| w == t) {
            return format!("has `{t}: {}`, which `{TOKENS}` does not record", show(h));
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
fn check_duplicates(model: &Model, tokens: &Tokens, looks: &[Look], layout: &Layout, findings: &mut Vec<Finding>) {
    let hashed: Vec<(u64, u128, &Sketch)> = looks.iter().map(|l| (l.id, l.hash, &l.sketch)).collect();
    let rows: HashMap<u64, &[u32]> = tokens.generated().collect();
    let mut first_with: HashMap<u128, u64> = HashMap::new();
    for &(id, hash, _) in &hashed {
        match first_with.get(&hash) {
            Some(&first) => findings.push(
                Finding::new(
                    QaCode::DuplicateImage,
                    Subject::Token { id },
                    format!(
                        "its image has exactly the pixels of token {first}'s{}",
                        duplicate_cause(model, rows.get(&first).copied(), rows.get(&id).copied())
                    ),
                    duplicate_help(model, rows.get(&first).copied(), rows.get(&id).copied()),
                )
                .with_images([PathBuf::from(image_rel(first, None)), PathBuf::from(image_rel(id, None))]),
            ),
            None => {
                first_with.insert(hash, id);
            }
        }
    }
    // Near duplicates, in two steps so that a token keeps 192 bytes, not
    // 816, while the collection is scanned. First the sketches rule pairs
    // out: only the images with a pair left are fingerprinted again.
    let limit = NEAR_DUPLICATE_LEVELS;
    let pairs = |items: &[(u64, u128, f64)], near: &(dyn Fn(usize, usize) -> bool + Sync)| -> Vec<(usize, usize)> {
        // Pairs within the limit have brightness within 3 × limit (one
        // level of margin below): sorted by brightness, each image is
        // compared only with the few whose brightness is that close (every
        // pair, in the worst case of a collection of one colour).
        let mut order: Vec<(f64, usize)> = items.iter().enumerate().map(|(i, h)| (h.2, i)).collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let band = 3.0 * (f64::from(limit) + 1.0);
        let order = &order;
        (0..order.len())
            .into_par_iter()
            .flat_map_iter(|k| {
                let (b, i) = order[k];
                order[k + 1..]
                    .iter()
                    .take_while(move |(c, _)| c - b <= band)
                    .filter(move |&&(_, j)| items[i].1 != items[j].1 && near(i, j))
                    .map(move |&(_, j)| (i, j))
            })
            .collect()
    };
    let sketched: Vec<(u64, u128, f64)> = hashed.iter().map(|&(id, h, s)| (id, h, s.brightness())).collect();
    let maybe = pairs(&sketched, &|i, j| hashed[i].2.may_be_within(hashed[j].2, limit));
    let mut again: Vec<usize> = maybe.iter().flat_map(|&(i, j)| [i, j]).collect();
    again.sort_unstable();
    again.dedup();
    drop(maybe);
    let canvas = model.settings.canvas;
    let fingerprinted: Vec<Result<(u64, u128, Fingerprint), Box<Finding>>> = again
        .par_iter()
        .map(|&i| {
            let (id, hash, _) = hashed[i];
            let rel = image_rel(id, None);
            let changed = |why: String| {
                Box::new(Finding::new(
                    QaCode::ImageUnreadable,
                    Subject::Token { id },
                    format!("`{rel}` {why} when read again to compare it with images like it"),
                    "make sure nothing writes to the output folder while `dropc qa` reads it, and audit it again",
                ))
            };
            let bytes = read::read_file(&layout.image(id, None), read::png_limit(canvas))
                .map_err(|why| changed(why.phrase()))?;
            let streamed = stream(&bytes, None, true).map_err(changed)?;
            match streamed.fingerprint {
                Some(f) if streamed.hash == hash => Ok((id, hash, f)),
                _ => Err(changed("has other pixels".to_string())),
            }
        })
        .collect();
    let mut fingerprints = Vec::with_capacity(fingerprinted.len());
    for result in fingerprinted {
        match result {
            Ok(found) => fingerprints.push(found),
            Err(finding) => findings.push(*finding),
        }
    }
    // Then the fingerprints decide, among the images left.
    let brightness: Vec<(u64, u128, f64)> =
        fingerprints.iter().map(|&(id, h, ref f)| (id, h, f.sketch().brightness())).collect();
    let mut near: Vec<(u64, u64, u8)> = pairs(&brightness, &|i, j| fingerprints[i].2.within(&fingerprints[j].2, limit))
        .into_iter()
        .map(|(i, j)| {
            let ((a, _, f), (b, _, g)) = (&fingerprints[i], &fingerprints[j]);
            (*a.max(b), *a.min(b), f.distance(g))
        })
        .collect();
    // Each token once, against its closest earlier token.
    near.sort_unstable_by_key(|&(id, other, d)| (id, d, other));
    near.dedup_by_key(|&mut (id, _, _)| id);
    for (id, other, d) in near {
        findings.push(
            Finding::new(
                QaCode::NearDuplicate,
                Subject::Token { id },
                format!("its image looks almost like token {other}'s (no region differs by more than {d}/255)"),
                "make the traits that tell them apart more visible, or accept the pair",
            )
            .with_images([PathBuf::from(image_rel(other, None)), PathBuf::from(image_rel(id, None))]),
        );
    }
}

/// `provenance.json` lists every image's SHA-256 in id order, their
/// concatenation and its hash.
fn check_provenance(
    record: &ProvenanceRecord,
    ids: &[u64],
    digests: &BTreeMap<u64, Sha256Digest>,
    findings: &mut Vec<Finding>,
) {
    let bad = |what: String| Finding::new(QaCode::ProvenanceRecord, file(PROVENANCE), what, RERUN);
    if record.algorithm != "sha256" {
        findings.push(bad("does not name the `sha256` algorithm".into()));
    }
    let listed_ids: Vec<u64> = record.images.iter().map(|i| i.id).collect();
    if listed_ids != ids {
        findings.push(bad(format!("lists {} images, not the {} tokens in id order", listed_ids.len(), ids.len())));
    }
    for image in &record.images {
        let id = image.id;
        if let Some(actual) = digests.get(&id) {
            if hex(actual) != image.sha256 {
                findings.push(
                    Finding::new(
                        QaCode::ProvenanceHash,
                        Subject::Token { id },
                        format!(
                            "`{}` has SHA-256 {} but `{PROVENANCE}` commits to {}",
                            image_rel(id, None),
                            hex(actual),
                            image.sha256
                        ),
                        "the image changed after the run (if the provenance hash is published, the image must be \
                         restored); otherwise run `dropc run` again",
                    )
                    .with_images([PathBuf::from(image_rel(id, None))]),
                );
            }
        }
    }
    let concatenated: String = record.images.iter().map(|i| i.sha256.as_str()).collect();
    if record.concatenated != concatenated {
        findings.push(bad("`concatenated` is not the images' hashes joined in id order".into()));
    }
    if record.provenance != sha256_hex(record.concatenated.as_bytes()) {
        findings.push(bad("`provenance` is not the SHA-256 of `concatenated`".into()));
    }
}

/// `manifest.json` records the SHA-256 of each token's image at the canvas
/// size and at every extra size, and the key of the inputs each was made
/// from, which must be the key of the recorded token (and, for an extra
/// size, of its canvas image resized as the `.drop` says).
fn check_manifest(
    model: &Model,
    manifest: &Manifest,
    tokens: &Tokens,
    scans: &[TokenScan],
    recorded_art: Option<&BTreeMap<PathBuf, String>>,
    root: &Path,
    findings: &mut Vec<Finding>,
) {
    let same_version = manifest.dropc_version == env!("CARGO_PKG_VERSION");
    if !same_version {
        findings.push(Finding::new(
            QaCode::ManifestVersion,
            file(MANIFEST),
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
        findings.push(Finding::new(
            QaCode::ManifestRecord,
            file(MANIFEST),
            format!("lists other tokens than `{TOKENS}`: {} missing, {} extra", list(&missing), list(&extra)),
            RERUN,
        ));
    }
    let scans: HashMap<u64, &TokenScan> = scans.iter().map(|s| (s.id, s)).collect();
    let sizes = &model.settings.sizes;
    let keyed: Vec<(u64, bool)> = tokens
        .iter()
        .collect::<Vec<_>>()
        .par_iter()
        .filter_map(|&t| {
            let entry = manifest.tokens.get(&t.id())?;
            Some((t.id(), same_version && entry.key != crate::publish::manifest::token_key(model, t, art)))
        })
        .collect();
    // Tokens whose entry lacks an extra size, or lists one the `.drop` does
    // not have, by size folder.
    let mut lacking: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut foreign: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (id, stale) in keyed {
        let Some(entry) = manifest.tokens.get(&id) else { continue };
        let scan = scans.get(&id);
        let recorded = [(None, &entry.sha256)]
            .into_iter()
            .chain(sizes.iter().filter_map(|&size| Some((Some(size), &entry.sizes.get(&size_folder(size))?.sha256))));
        for (size, sha256) in recorded {
            let actual = match size {
                None => scan.and_then(|s| s.sha256),
                Some(size) => scan.and_then(|s| s.sized.get(&size).copied()),
            };
            if let Some(actual) = actual {
                if hex(&actual) != *sha256 {
                    let rel = image_rel(id, size);
                    findings.push(
                        Finding::new(
                            QaCode::ManifestHash,
                            Subject::Token { id },
                            format!("`{rel}` has SHA-256 {} but `{MANIFEST}` records {sha256}", hex(&actual)),
                            RERUN,
                        )
                        .with_images([PathBuf::from(rel)]),
                    );
                }
            }
        }
        let mut stale_sizes: Vec<String> = Vec::new();
        for &size in sizes {
            let name = size_folder(size);
            match entry.sizes.get(&name) {
                None => lacking.entry(name).or_default().push(id),
                Some(sized) => {
                    if same_version
                        && !stale
                        && sized.key != crate::publish::manifest::size_key(model, &entry.key, size)
                    {
                        stale_sizes.push(name);
                    }
                }
            }
        }
        for name in entry.sizes.keys() {
            if output::parse_size_folder(name).is_none_or(|s| !sizes.contains(&s)) {
                foreign.entry(name.clone()).or_default().push(id);
            }
        }
        if stale {
            findings.push(Finding::new(
                QaCode::ManifestKey,
                Subject::Token { id },
                format!(
                    "`{MANIFEST}` says its image was rendered from other traits or settings than `{TOKENS}` and the \
                     `.drop` give"
                ),
                RERUN,
            ));
        } else if !stale_sizes.is_empty() {
            findings.push(Finding::new(
                QaCode::ManifestKey,
                Subject::Token { id },
                format!(
                    "`{MANIFEST}` says its image at {} was resized otherwise than the `.drop` says (size, filter or \
                     compression)",
                    stale_sizes.join(", ")
                ),
                RERUN,
            ));
        }
    }
    for (name, ids) in lacking {
        findings.push(Finding::new(
            QaCode::ManifestRecord,
            file(MANIFEST),
            format!("records no `{name}` image for tokens {}", list(&ids)),
            RERUN,
        ));
    }
    for (name, ids) in foreign {
        findings.push(Finding::new(
            QaCode::ManifestRecord,
            file(MANIFEST),
            format!("records a `{name}` image, a size the `.drop` does not have, for tokens {}", list(&ids)),
            RERUN,
        ));
    }
}

/// The SHA-256 of an art file of the project, `None` when it cannot be
/// read (an error of the inputs audit, `qa::unreadable_art`).
fn art_hash(root: &Path, path: &Path) -> Option<String> {
    let full = crate::model::paths::resolve_inside(root, path).ok()?;
    let digest = crate::digest::sha256_file(&full, crate::files::ART_LIMIT, crate::files::Links::Follow);
    digest.ok().map(|d| crate::digest::hex(&d))
}

/// `rarity.json` must be OpenRarity's ranking of the recorded tokens.
fn check_rarity(
    model: &Model,
    tokens: &Tokens,
    recorded: Vec<RarityLine>,
    findings: &mut Vec<Finding>,
) -> Vec<RarityLine> {
    let bad = |what: String| Finding::new(QaCode::RarityRecord, file(RARITY), what, RERUN);
    let expected: Vec<RarityLine> = crate::publish::rarity::rarity_lines(model, tokens);
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

/// `collection.json`: format, counts, size, sizes and legendaries as the
/// record has them, and the inputs' hashes as they are now.
fn check_summary(
    model: &Model,
    tokens: &Tokens,
    record: &Record,
    summary: &CollectionRecord,
    source: &[u8],
    root: &Path,
    findings: &mut Vec<Finding>,
) {
    let mut bad = |what: String| {
        findings.push(Finding::new(QaCode::CollectionRecord, file(COLLECTION), what, RERUN));
    };
    if summary.format_version > output::FORMAT_VERSION {
        bad(format!(
            "is in format version {}, later than this dropc's ({}): audit the folder with the dropc that wrote it \
             ({})",
            summary.format_version,
            output::FORMAT_VERSION,
            summary.dropc_version
        ));
    }
    if summary.collection != model.settings.name {
        bad(format!("does not name the collection `{}`", model.settings.name));
    }
    if summary.seed != record.seed {
        bad(format!("does not give the seed `{}` of `{TOKENS}`", record.seed));
    }
    if summary.size != tokens.len() {
        bad(format!("gives size {}, but `{TOKENS}` has {} tokens", summary.size, tokens.len()));
    }
    if summary.generated != tokens.ids.len() {
        bad(format!("gives {} generated tokens, but `{TOKENS}` has {}", summary.generated, tokens.ids.len()));
    }
    let sizes: Vec<String> = model.settings.sizes.iter().map(|&s| size_folder(s)).collect();
    if summary.images && summary.format_version >= 1 && summary.sizes != sizes {
        let shown = |s: &[String]| if s.is_empty() { "none".to_string() } else { s.join(", ") };
        bad(format!("lists the extra sizes {}, but the `.drop` gives {}", shown(&summary.sizes), shown(&sizes)));
    }
    let counts = tokens.variant_counts(model);
    for (t, tr) in model.traits.iter().enumerate() {
        let listed = summary.traits.iter().find(|x| x.name == tr.name);
        for (v, variant) in tr.variants.iter().enumerate() {
            let count = listed.and_then(|x| x.variants.iter().find(|y| *y.name == *variant.name)).map(|y| y.count);
            if count != Some(counts[t][v]) {
                bad(format!(
                    "counts {} for `{}.{}`, but `{TOKENS}` has {}",
                    count.map_or_else(|| "nothing".to_string(), |c| c.to_string()),
                    tr.name,
                    variant.name,
                    counts[t][v]
                ));
            }
        }
    }
    let legendaries: BTreeSet<(String, u64)> = summary.legendaries.iter().map(|l| (l.name.clone(), l.id)).collect();
    let recorded: BTreeSet<(String, u64)> =
        tokens.legendaries.iter().map(|&(id, index)| (model.legendaries[index].name.clone(), id)).collect();
    if legendaries != recorded {
        bad(format!("gives the legendaries other ids than `{TOKENS}`"));
    }
    // Inputs: paths are data, never opened here; a tampered one is a finding.
    let inputs = &summary.inputs;
    if let Some(path) = &inputs.source_path {
        if let Err(why) = read::recorded_path(path, Some("drop")) {
            findings.push(Finding::new(
                QaCode::CollectionRecord,
                file(COLLECTION),
                format!("names the `.drop` as `{path}`, which {why}: it was not used"),
                "run `dropc run` again; audit with --drop FILE meanwhile",
            ));
        }
    }
    let outside: Vec<&str> = inputs.art.keys().map(String::as_str).filter(|k| !read::inside(k)).collect();
    if !outside.is_empty() {
        let shown: Vec<String> = outside.iter().take(LISTED).map(|k| format!("`{k}`")).collect();
        findings.push(Finding::new(
            QaCode::CollectionRecord,
            file(COLLECTION),
            format!(
                "records art outside the project folder ({}{}): the record was tampered with; it was not used",
                shown.join(", "),
                if outside.len() > LISTED { format!(" and {} more", outside.len() - LISTED) } else { String::new() }
            ),
            RERUN,
        ));
    }
    // Changed since the run?
    if inputs.source != sha256_hex(source) {
        findings.push(Finding::new(
            QaCode::SourceChanged,
            file(COLLECTION),
            "the `.drop` changed since the run: its SHA-256 is not the one recorded",
            "run `dropc run` again so that the output is the `.drop`'s",
        ));
    }
    for path in crate::publish::provenance::art_paths(model) {
        let key: Vec<String> = path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let key = key.join("/");
        // Art that cannot be read is an error of the inputs audit
        // (`qa::unreadable_art`): whether it changed cannot be told.
        let now = art_hash(root, &path);
        if now.is_some() && inputs.art.get(&key) != now.as_ref() {
            findings.push(Finding::new(
                QaCode::ArtChanged,
                file(key.clone()),
                format!("`{key}` changed since the run (or was not recorded)"),
                "run `dropc run` again: it redraws the tokens that use it",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    /// Three images of 160 × 160 (cells of 10 × 10 pixels): token 2 is
    /// token 1 with one pixel changed, token 3 differs everywhere. The scans keep sketches; the search reads the
    /// images of the pairs they leave again.
    fn scanned(dir: &Path) -> (Model, Vec<Look>) {
        let model = crate::check_text(
            "collection \"T\" { size 3 canvas 160 x 160 seed \"s\" }\ntrait A < a: 1, b: 1, c: 1 >\n",
            &crate::check::NoArt,
        )
        .model
        .expect("model");
        let one = Image::from_fn(160, 160, |x, y| image::Rgba([x as u8, y as u8, 90, 255]));
        let mut two = one.clone();
        two.put_pixel(7, 7, image::Rgba([255, 255, 255, 255]));
        let three = Image::from_fn(160, 160, |x, y| image::Rgba([200, (x * y) as u8, 10, 255]));
        let layout = Layout::new(dir);
        std::fs::create_dir_all(layout.images()).expect("folder");
        let looks = [one, two, three]
            .iter()
            .zip(1..)
            .map(|(image, id)| {
                let bytes = crate::render::encode_png(image, crate::model::Compression::Fast).expect("encodes");
                std::fs::write(layout.image(id, None), &bytes).expect("writes");
                let streamed = stream(&bytes, None, true).expect("decodes");
                Look { id, hash: streamed.hash, sketch: streamed.fingerprint.expect("fingerprint").sketch() }
            })
            .collect();
        (model, looks)
    }

    fn found(findings: &[Finding]) -> Vec<(String, Subject)> {
        findings.iter().map(|f| (f.code.as_str().to_string(), f.subject.clone())).collect()
    }

    #[test]
    fn near_duplicates_are_found_from_sketches_and_images_read_again() {
        let dir = tempfile::tempdir().expect("temp");
        let (model, looks) = scanned(dir.path());
        let tokens = Tokens { traits: 1, ids: vec![], variants: vec![], legendaries: vec![] };
        let mut findings = Vec::new();
        check_duplicates(&model, &tokens, &looks, &Layout::new(dir.path()), &mut findings);
        assert_eq!(found(&findings), [("qa::near_duplicate".to_string(), Subject::Token { id: 2 })]);
        assert!(findings[0].message.contains("like token 1's"), "{}", findings[0].message);
    }

    /// An image replaced between the scan and the search is said to have
    /// changed, and is not compared with what it no longer is.
    #[test]
    fn an_image_changed_while_audited_is_a_finding() {
        let dir = tempfile::tempdir().expect("temp");
        let (model, looks) = scanned(dir.path());
        let layout = Layout::new(dir.path());
        std::fs::copy(layout.image(3, None), layout.image(2, None)).expect("copies");
        let tokens = Tokens { traits: 1, ids: vec![], variants: vec![], legendaries: vec![] };
        let mut findings = Vec::new();
        check_duplicates(&model, &tokens, &looks, &layout, &mut findings);
        assert_eq!(found(&findings), [("qa::image_unreadable".to_string(), Subject::Token { id: 2 })]);
        assert!(findings[0].message.contains("has other pixels when read again"), "{}", findings[0].message);
    }
}
