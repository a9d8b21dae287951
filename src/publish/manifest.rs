//! The run manifest: what each token's image was made from, so that a run
//! after an edit re-renders only the tokens whose inputs changed, and a run
//! killed at any moment can be finished by running it again.
//!
//! Each token gets a *key*: the SHA-256 of everything that shapes its pixels
//! — dropc's version, canvas, extra sizes, resize filter and compression, and
//! for every trait the token's variant with its art (the SHA-256 of every file
//! it uses, placements, recolouring) and rendering style; for a legendary, its
//! image's hash. `manifest.json` maps each id to its key and the SHA-256 of
//! its image. A token is re-rendered unless the manifest has the same key and
//! every image file of the token exists.
//!
//! Crash safety needs no journal: every file is written atomically
//! (temporary file, then rename) and the manifest last, so after a kill the
//! manifest is the previous one (or missing), and re-running re-renders at
//! most what the killed run had not recorded. Leftover temporary files are
//! removed at the start of a run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::check::{Art, Model};
use crate::publish::provenance::sha256_hex;
use crate::sample::Token;

/// The manifest's file name in the output folder.
pub const FILE: &str = "manifest.json";

/// What was rendered for each token.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// The dropc version that wrote it.
    pub dropc_version: String,
    /// Per token id.
    pub tokens: BTreeMap<u64, Entry>,
}

/// One token's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Hash of every input that shapes the token's images.
    pub key: String,
    /// SHA-256 of its canvas-size image.
    pub sha256: String,
}

impl Manifest {
    /// Reads `dir/manifest.json`; an unreadable or foreign manifest counts as
    /// empty (everything is re-rendered, which is always correct).
    pub fn load(dir: &Path) -> Manifest {
        std::fs::read(dir.join(FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Manifest>(&bytes).ok())
            .filter(|m| m.dropc_version == env!("CARGO_PKG_VERSION"))
            .unwrap_or_default()
    }

    /// The manifest as written to disk (deterministic).
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// The SHA-256 of every art file, by project-relative path, from files
/// already read (the run reads the art once, for the summary and for this).
pub fn art_hashes(art: &[(PathBuf, Vec<u8>)]) -> BTreeMap<PathBuf, String> {
    art.iter().map(|(path, bytes)| (path.clone(), sha256_hex(bytes))).collect()
}

/// The key of one token: see the module documentation.
pub fn token_key(model: &Model, token: Token<'_>, art: &BTreeMap<PathBuf, String>) -> String {
    let s = &model.settings;
    let mut text = format!(
        "dropc {}\ncanvas {:?}\nsizes {:?}\nresize {:?}\ncompression {:?}\n",
        env!("CARGO_PKG_VERSION"),
        s.canvas,
        s.sizes,
        s.resize,
        s.compression
    );
    let hash = |p: &Path| art.get(p).map_or("missing", String::as_str).to_string();
    match token {
        Token::Generated { variants, .. } => {
            for (t, &v) in model.traits.iter().zip(variants) {
                let Some(variant) = t.variants.get(v as usize) else { continue };
                let _ = write!(text, "{} {:?} {} {:?}", t.name, t.kind, variant.name, variant.style);
                let files = match &variant.art {
                    Art::Derived { from, recolour } => {
                        let _ = write!(text, " from {from} {recolour:?}");
                        t.variants.get(*from).map(|source| &source.art)
                    }
                    other => Some(other),
                };
                if let Some(Art::Files(files)) = files {
                    for f in files {
                        let placement = f.placement.map(|(side, target)| (side, model.traits[target].name.as_str()));
                        let _ = write!(text, " [{} {} {placement:?}]", f.path.display(), hash(&f.path));
                    }
                }
                text.push('\n');
            }
        }
        Token::Legendary { index, .. } => {
            if let Some(l) = model.legendaries.get(index) {
                let _ = writeln!(text, "legendary {} {}", l.image.display(), hash(&l.image));
            }
        }
    }
    sha256_hex(text.as_bytes())
}

/// Removes temporary files a killed run may have left in `dir` and its
/// output folders.
pub fn remove_leftovers(dir: &Path) {
    let mut folders = vec![dir.to_path_buf(), dir.join("metadata"), dir.join("images")];
    if let Ok(entries) = std::fs::read_dir(dir.join("images")) {
        folders.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
    }
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.contains(".tmp-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}
