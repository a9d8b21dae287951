//! The output folder of `dropc run`: its layout and every record file it
//! holds, as the one definition that the writer (`dropc run`), the auditor
//! (`dropc qa`) and any later tool read and write through.
//!
//! ```text
//! DIR/
//!   collection.json         CollectionRecord: format version, settings, counts, input hashes
//!   tokens.json             TokensRecord: every token's variants (the record of the draw)
//!   rarity.json             [RarityLine]: OpenRarity ranks and scores
//!   provenance.json         ProvenanceRecord: every image's SHA-256 and the provenance hash
//!   manifest.json           Manifest: what each image was made from, and its SHA-256
//!   images/<id>.png         the canvas-size image of every token
//!   images/<W>x<H>/<id>.png every extra size
//!   metadata/<id>.json      every token's marketplace metadata
//!   manifest.journal        while a run renders: one ManifestEntry per finished token
//!   .dropc.lock             while a run holds the folder: its process id
//!   report.html             `dropc qa`'s report
//!   report/thumbs/          its thumbnails (`<id>.png`, `other/<hash>.png`, `index.json`)
//! ```
//!
//! Invariant: no other module spells a file name of the folder or parses a
//! record with anything but these types. `collection.json` carries
//! [`FORMAT_VERSION`]; a reader accepts every version up to its own (a
//! folder written before versions were recorded reads as version 0, which
//! had the same fields) and refuses later ones, which it cannot know.

mod records;

use std::path::{Path, PathBuf};

pub use records::{
    CollectionRecord, ImageDigest, Inputs, JournalLine, LegendaryId, Manifest, ManifestEntry, ProvenanceRecord,
    RarityLine, SizedImage, TokenEntry, TokensRecord, TraitCounts, VariantCount, rarity_to_json,
};

/// The version of the folder's format that this dropc writes, recorded in
/// `collection.json`. Version 1 added `format_version`, `sizes` and
/// `images` to `collection.json` and per-size entries to the manifest.
pub const FORMAT_VERSION: u32 = 1;

/// The collection summary: settings, realised counts, input hashes.
pub const COLLECTION: &str = "collection.json";
/// The record of the draw.
pub const TOKENS: &str = "tokens.json";
/// OpenRarity ranks and scores.
pub const RARITY: &str = "rarity.json";
/// The provenance commitment.
pub const PROVENANCE: &str = "provenance.json";
/// What every image was made from.
pub const MANIFEST: &str = "manifest.json";
/// A rendering run's progress, one line per finished token; folded into
/// the manifest when the run ends.
pub const JOURNAL: &str = "manifest.journal";
/// The lock file of a run in progress.
pub const LOCK: &str = ".dropc.lock";
/// The folder of images.
pub const IMAGES: &str = "images";
/// The folder of metadata.
pub const METADATA: &str = "metadata";
/// `dropc qa`'s report.
pub const REPORT: &str = "report.html";
/// The folder of the report's files.
pub const REPORT_DIR: &str = "report";
/// The folder of the report's thumbnails, relative to the output folder.
pub const THUMBS: &str = "report/thumbs";
/// The record of the thumbnails made, in [`THUMBS`].
pub const THUMBS_INDEX: &str = "index.json";

/// Every record file at the top of the folder, in the order a run writes
/// them.
pub const RECORDS: [&str; 5] = [COLLECTION, TOKENS, RARITY, PROVENANCE, MANIFEST];

/// The name of an extra size's folder under `images/`: `512x512`.
pub fn size_folder((w, h): (u32, u32)) -> String {
    format!("{w}x{h}")
}

/// The size named by a folder under `images/` (`512x512`), if it is one.
pub fn parse_size_folder(name: &str) -> Option<(u32, u32)> {
    let (w, h) = name.split_once('x')?;
    let size = (w.parse().ok()?, h.parse().ok()?);
    (size_folder(size) == name).then_some(size)
}

/// Paths in one output folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    dir: PathBuf,
}

impl Layout {
    /// The layout of the folder `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Layout {
        Layout { dir: dir.into() }
    }

    /// The folder itself.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A top-level file of the folder (one of the record names above).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `images/`.
    pub fn images(&self) -> PathBuf {
        self.dir.join(IMAGES)
    }

    /// `metadata/`.
    pub fn metadata_folder(&self) -> PathBuf {
        self.dir.join(METADATA)
    }

    /// `images/<W>x<H>/` for an extra size, `images/` for the canvas size
    /// (`None`).
    pub fn image_folder(&self, size: Option<(u32, u32)>) -> PathBuf {
        match size {
            None => self.images(),
            Some(size) => self.images().join(size_folder(size)),
        }
    }

    /// `images/<id>.png` (canvas size, `None`) or `images/<W>x<H>/<id>.png`.
    pub fn image(&self, id: u64, size: Option<(u32, u32)>) -> PathBuf {
        self.image_folder(size).join(image_name(id))
    }

    /// `metadata/<id>.json`.
    pub fn metadata(&self, id: u64) -> PathBuf {
        self.metadata_folder().join(metadata_name(id))
    }
}

/// The file name of a token's image: `<id>.png`.
pub fn image_name(id: u64) -> String {
    format!("{id}.png")
}

/// The file name of a token's metadata: `<id>.json`.
pub fn metadata_name(id: u64) -> String {
    format!("{id}.json")
}

/// `images/<id>.png` or `images/<W>x<H>/<id>.png`, `/`-separated, relative
/// to the folder: how messages and reports name an image.
pub fn image_rel(id: u64, size: Option<(u32, u32)>) -> String {
    match size {
        None => format!("{IMAGES}/{id}.png"),
        Some(size) => format!("{IMAGES}/{}/{id}.png", size_folder(size)),
    }
}

/// `images` (canvas size, `None`) or `images/<W>x<H>`, relative to the
/// folder.
pub fn image_folder_rel(size: Option<(u32, u32)>) -> String {
    match size {
        None => IMAGES.to_string(),
        Some(size) => format!("{IMAGES}/{}", size_folder(size)),
    }
}

/// `metadata/<id>.json`, relative to the folder.
pub fn metadata_rel(id: u64) -> String {
    format!("{METADATA}/{id}.json")
}

/// The temporary file an atomic write of `path` goes through:
/// `.<name>.tmp-<pid>` beside it.
pub fn temporary_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Whether `name` is a temporary file of an atomic write (see
/// [`temporary_path`]), which a killed run may leave behind.
pub fn is_temporary(name: &str) -> bool {
    name.starts_with('.')
        && name
            .rsplit_once(".tmp-")
            .is_some_and(|(head, pid)| head.len() > 1 && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether a top-level entry named `name` is one dropc writes into every
/// output folder (records, image and metadata folders, the journal, the
/// lock, `dropc qa`'s report) or a temporary file of one.
pub fn is_dropc_file(name: &str) -> bool {
    RECORDS.contains(&name)
        || [IMAGES, METADATA, JOURNAL, LOCK, REPORT, REPORT_DIR].contains(&name)
        || is_temporary(name)
}

/// Why a record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file does not exist.
    #[error("is missing")]
    Missing,
    /// The file exists but cannot be read.
    #[error("cannot be read: {0}")]
    Io(std::io::Error),
    /// The file is not the record it should be.
    #[error("is not a dropc record: {0}")]
    Invalid(String),
}

/// The most a record file (`tokens.json`, the manifest, its journal) may
/// take when a run reads it back: a million tokens' records are a few
/// hundred MiB.
pub const RECORD_LIMIT: u64 = 1 << 30;

/// Reads and parses a record file: a regular file, not a link, of at most
/// [`RECORD_LIMIT`] bytes ([`crate::files::read`]).
pub fn read_record<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReadError> {
    let bytes = crate::files::read(path, RECORD_LIMIT, crate::files::Links::Refuse).map_err(|e| match e {
        crate::files::Unread::Missing => ReadError::Missing,
        crate::files::Unread::Refused(why) => ReadError::Io(std::io::Error::other(why)),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| ReadError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let l = Layout::new("out");
        assert_eq!(l.image(3, None), Path::new("out/images/3.png"));
        assert_eq!(l.image(3, Some((64, 32))), Path::new("out/images/64x32/3.png"));
        assert_eq!(l.metadata(3), Path::new("out/metadata/3.json"));
        assert_eq!(image_rel(3, Some((64, 32))), "images/64x32/3.png");
        assert_eq!(parse_size_folder("64x32"), Some((64, 32)));
        assert_eq!(parse_size_folder("064x32"), None);
        assert_eq!(parse_size_folder("x"), None);
    }

    #[test]
    fn temporary_names() {
        let tmp = temporary_path(Path::new("out/images/3.png"));
        let name = tmp.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        assert!(is_temporary(name), "{name}");
        assert!(is_temporary(".collection.json.tmp-12"));
        assert!(!is_temporary(".tmp-12"));
        assert!(!is_temporary("notes.tmp-12"));
        assert!(!is_temporary(".notes.tmp-"));
        assert!(!is_temporary(".notes.tmp-1a"));
        assert!(is_dropc_file(".dropc.lock") && is_dropc_file("manifest.journal") && !is_dropc_file("notes.txt"));
    }
}
