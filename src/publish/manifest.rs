//! The run manifest: what each token's images were made from, so that a
//! run after an edit renders only the tokens whose inputs changed, and a run
//! killed at any moment is finished by running it again.
//!
//! Each token gets a *key*: the SHA-256 of everything that shapes its
//! canvas-size pixels — dropc's version, canvas, compression and `background`, and for
//! every trait the token's variant with the art it draws in this token (its
//! own or a `when` block's conditional art: the SHA-256 of every file it
//! uses, placements, recolourings) and rendering style; for a legendary,
//! its image's hash. Each extra size gets a key of its own, from the canvas
//! key, the size, the resize filter and the compression
//! ([`size_key`]): adding a size needs no rendering, the new image is
//! derived from the canvas image already on disk.
//!
//! Invariant: an image is reused only when its manifest entry has the key
//! of this run *and* the file's bytes hash to the entry's SHA-256. So
//! neither a kill nor any sequence of edits can leave an image that its
//! record does not describe: an image replaced by an interrupted run no
//! longer hashes to the old record and is rendered again. While rendering,
//! each finished token is appended to `manifest.journal`, so a rerun after
//! a kill reuses everything finished before it; the journal is folded into
//! `manifest.json` when the run ends.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::model::{Art, ArtSource, ConditionalArt, Model, VariantId};
use crate::publish::provenance::sha256_hex;
use crate::sample::Token;

/// The manifest's file name in the output folder.
pub const FILE: &str = crate::output::MANIFEST;

pub use crate::output::{JournalLine, Manifest, ManifestEntry as Entry, SizedImage};

/// Reads `dir/manifest.json` and the journal of an interrupted run
/// (`manifest.journal`, whose lines override the manifest's entries); an
/// unreadable, foreign or other-version manifest counts as empty: every
/// entry is verified against its image's hash before it is trusted, so an
/// empty one only costs rendering.
pub fn load(dir: &Path) -> Manifest {
    let layout = crate::output::Layout::new(dir);
    let mut manifest = crate::output::read_record::<Manifest>(&layout.file(FILE))
        .ok()
        .filter(|m| m.dropc_version == env!("CARGO_PKG_VERSION"))
        .unwrap_or_else(|| Manifest { dropc_version: env!("CARGO_PKG_VERSION").to_string(), ..Manifest::default() });
    let journal = layout.file(crate::output::JOURNAL);
    if let Ok(journal) = crate::files::read(&journal, crate::output::RECORD_LIMIT, crate::files::Links::Refuse) {
        for line in JournalLine::parse_all(&journal) {
            manifest.tokens.insert(line.id, line.entry);
        }
    }
    manifest
}

/// The SHA-256 of every art file, by project-relative path, from files
/// already read (the run reads the art once, for the summary and for this).
pub fn art_hashes(art: &[(PathBuf, Vec<u8>)]) -> BTreeMap<PathBuf, String> {
    art.iter().map(|(path, bytes)| (path.clone(), sha256_hex(bytes))).collect()
}

/// The key of one token's canvas-size image: see the module documentation.
pub fn token_key(model: &Model, token: Token<'_>, art: &BTreeMap<PathBuf, String>) -> String {
    let s = &model.settings;
    let mut text =
        format!("dropc {}\ncanvas {:?}\ncompression {:?}\n", env!("CARGO_PKG_VERSION"), s.canvas, s.compression);
    let hash = |p: &Path| art.get(p).map_or("missing", String::as_str).to_string();
    match token {
        Token::Generated { variants, .. } => {
            // Written only when set, so that keys without one stay as they were.
            if let Some(colour) = s.background {
                let _ = writeln!(text, "background {colour:?}");
            }
            // Conditional art is an input of the image: the art each variant
            // draws in this token is in the key, not only its own.
            let conditional = model.whens.iter().any(|w| !w.art.is_empty()).then(|| ConditionalArt::new(model));
            let variant_of = |t: usize| variants.get(t).map_or(usize::MAX, |&v| v as usize);
            for (trait_id, (t, &v)) in model.traits.iter().zip(variants).enumerate() {
                let Some(variant) = t.variants.get(v as usize) else { continue };
                let id = VariantId { trait_id, index: v as usize };
                let source = conditional.as_ref().map_or(ArtSource::Own, |c| c.source(variant_of, id));
                let _ = write!(text, "{} {:?} {} {:?}", t.name, t.kind, variant.name, t.options_of(variant).style);
                if let Art::Derived { from, recolour } = &variant.art {
                    let _ = write!(text, " from {from} {recolour:?}");
                }
                if let Ok(drawn) = model.drawn_from(id, source) {
                    if source != ArtSource::Own {
                        let recolours: Vec<&crate::model::Recolour> = drawn.recolours().collect();
                        let _ = write!(text, " when-art {:?} {recolours:?}", drawn.style);
                    }
                    for f in drawn.files {
                        let placement = f.placement().map(|(side, target)| (side, model.traits[target].name.as_str()));
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

/// The key of one extra size of a token whose canvas image has the key
/// `canvas_key`.
pub fn size_key(model: &Model, canvas_key: &str, size: (u32, u32)) -> String {
    let s = &model.settings;
    sha256_hex(
        format!("{canvas_key}\nsize {size:?}\nresize {:?}\ncompression {:?}\n", s.resize, s.compression).as_bytes(),
    )
}

/// Removes temporary files a killed run may have left in `dir` and its
/// output folders.
pub fn remove_leftovers(dir: &Path) {
    let layout = crate::output::Layout::new(dir);
    let mut folders = vec![dir.to_path_buf(), layout.metadata_folder(), layout.images()];
    if let Ok(entries) = std::fs::read_dir(layout.images()) {
        folders.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
    }
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if crate::output::is_temporary(&name) {
                // A temporary folder is the metadata folder a killed run
                // was filling (never a link: `file_type` does not follow).
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    let _ = std::fs::remove_dir_all(entry.path());
                } else {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}
