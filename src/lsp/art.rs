//! Art checks for the language server, cached by file metadata.
//!
//! `check` verifies every art file (reads and decodes it) on each run; as
//! the author types, the art does not change, so each file's result is kept
//! and reused while its size and modification time stay the same. A file
//! whose metadata cannot be read is not cached (it is missing, or unreadable,
//! and [`DiskArt`] says which).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::check::{ArtHeader, ArtInfo, ArtProblem, ArtStore, DiskArt, Verified};
use crate::png::Decoded;

/// What identifies a version of a file: its size and modification time.
type Stamp = (u64, Option<SystemTime>);

/// A file's verification, with the version of the file it holds for.
type Entry = (Stamp, Result<Verified, ArtProblem>);

/// [`DiskArt`] with each file's verification cached until the file changes.
#[derive(Debug)]
pub struct CachedArt {
    disk: DiskArt,
    cache: Mutex<HashMap<PathBuf, Entry>>,
}

impl CachedArt {
    /// Art under the project folder `root`.
    pub fn new(root: PathBuf) -> Self {
        CachedArt { disk: DiskArt { root }, cache: Mutex::new(HashMap::new()) }
    }

    /// The project folder.
    pub fn root(&self) -> &Path {
        &self.disk.root
    }

    fn stamp(&self, path: &Path) -> Option<Stamp> {
        let metadata = std::fs::metadata(self.disk.root.join(path)).ok()?;
        metadata.is_file().then(|| (metadata.len(), metadata.modified().ok()))
    }
}

impl ArtStore for CachedArt {
    fn header(&self, path: &Path) -> Result<ArtHeader, ArtProblem> {
        self.verify(path).map(|v| v.info.header)
    }

    fn info(&self, path: &Path) -> Result<ArtInfo, ArtProblem> {
        self.verify(path).map(|v| v.info)
    }

    fn pixels(&self, path: &Path) -> Result<Decoded, ArtProblem> {
        self.disk.pixels(path)
    }

    fn verify(&self, path: &Path) -> Result<Verified, ArtProblem> {
        let Some(stamp) = self.stamp(path) else { return self.disk.verify(path) };
        if let Ok(cache) = self.cache.lock() {
            if let Some((cached, result)) = cache.get(path) {
                if *cached == stamp {
                    return result.clone();
                }
            }
        }
        let result = self.disk.verify(path);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(path.to_path_buf(), (stamp, result.clone()));
        }
        result
    }
}
