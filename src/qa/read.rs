//! Reading the files of a folder that `dropc qa` does not trust.
//!
//! An output folder is published as it is, and anyone may have edited it: a
//! file may have become a symbolic link (to a folder, to `/dev/zero`, to a
//! secret outside the folder), a FIFO that never ends, a sparse file of
//! gigabytes, or a file the auditor may not read. The audit must never
//! certify what it could not read, hang, or exhaust memory on such a folder.
//!
//! Invariant: [`read_file`] returns the bytes of a regular file, not
//! reached through a symbolic link, no longer than its limit, or says why
//! not; every caller turns the reason into a finding naming the token or
//! file. Nothing is skipped silently.

use std::path::{Path, PathBuf};

pub use crate::files::{Unread, bytes, describe_io, folder_problem};

/// Reads `path`, a file of an untrusted folder: only a regular file, not a
/// symbolic link, of at most `limit` bytes ([`crate::files::read`], which
/// never blocks on a FIFO).
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, Unread> {
    crate::files::read(path, limit, crate::files::Links::Refuse)
}

/// The most a PNG of `w × h` pixels written by dropc (8-bit RGBA at most)
/// can take: every row stored uncompressed with its filter byte, the
/// deflate and chunk framing of that, and 16 MiB for ancillary chunks.
pub fn png_limit(size: (u32, u32)) -> u64 {
    let raw = u64::from(size.1) * (1 + 4 * u64::from(size.0));
    raw + raw / 64 + (16 << 20)
}

/// The most a metadata file may take (dropc's are a few KiB; a description
/// of megabytes is no one's metadata).
pub const METADATA_LIMIT: u64 = 16 << 20;

/// The most a record file (`tokens.json`, `rarity.json`, …) of a collection
/// of `tokens` tokens may take: 16 KiB a token, and 64 MiB besides.
pub fn record_limit(tokens: u64) -> u64 {
    tokens.saturating_mul(16 << 10).saturating_add(64 << 20)
}

/// A path recorded in a file of the output folder (`collection.json`'s
/// `inputs.source_path`, or an art file's key), checked before anything is
/// opened through it: records are data, and a tampered one must not make qa
/// read `/etc/shadow`. The path must be relative and `/`-separated, may
/// climb out of the output folder only at its start (`../../proj/a.drop`),
/// never after naming a folder (`art/../../x`), and when `extension` is given
/// must end with it. The error is a phrase after the path.
pub fn recorded_path(path: &str, extension: Option<&str>) -> Result<std::path::PathBuf, String> {
    use std::path::Component;
    if path.is_empty() {
        return Err("is empty".to_string());
    }
    let p = Path::new(path);
    if p.has_root() {
        return Err("is an absolute path: a record's paths are relative to the output folder".to_string());
    }
    let mut named = false;
    for c in p.components() {
        match c {
            Component::ParentDir if named => return Err("climbs out of a folder it named (`..`)".to_string()),
            Component::ParentDir | Component::CurDir => {}
            Component::Normal(_) => named = true,
            Component::RootDir | Component::Prefix(_) => {
                return Err("is an absolute path: a record's paths are relative to the output folder".to_string());
            }
        }
    }
    if !named {
        return Err("names no file".to_string());
    }
    if let Some(ext) = extension {
        if p.extension().and_then(|e| e.to_str()) != Some(ext) {
            return Err(format!("is not a `.{ext}` file"));
        }
    }
    Ok(p.to_path_buf())
}

/// Whether `path`, recorded as an art file, stays inside the project folder:
/// relative, with no `..` at all.
pub fn inside(path: &str) -> bool {
    recorded_path(path, None).is_ok_and(|p| p.components().all(|c| matches!(c, std::path::Component::Normal(_))))
}

/// The `.drop` of the output folder `dir`: the one `collection.json` names,
/// else the only `.drop` in the folder's parent. The recorded path is data:
/// an absolute one, one that climbs out of a folder it named, or one that
/// is not a `.drop` (or resolves to a file that is not) is never opened
/// (the audit reports it); the parent's `.drop` is used instead.
pub fn find_drop(dir: &Path) -> Result<PathBuf, String> {
    let summary = read_file(&dir.join(crate::output::COLLECTION), record_limit(0));
    let recorded: Option<String> = summary
        .ok()
        .and_then(|b| serde_json::from_slice::<crate::output::CollectionRecord>(&b).ok())
        .and_then(|r| r.inputs.source_path);
    let mut refused = String::new();
    if let Some(recorded) = recorded {
        match recorded_path(&recorded, Some("drop")) {
            Ok(relative) => {
                let path = dir.join(relative);
                let real = std::fs::canonicalize(&path).map_err(|e| {
                    format!(
                        "`{}` names `{}` as the `.drop`, which cannot be opened ({}); pass --drop FILE",
                        crate::output::COLLECTION,
                        path.display(),
                        describe_io(&e)
                    )
                })?;
                return if real.is_file() && real.extension().is_some_and(|e| e == "drop") {
                    Ok(path)
                } else {
                    Err(format!(
                        "`{}` names `{}` as the `.drop`, which is `{}`, not a `.drop` file; pass --drop FILE",
                        crate::output::COLLECTION,
                        path.display(),
                        real.display()
                    ))
                };
            }
            Err(why) => refused = format!(" (`{}` names `{recorded}`, which {why})", crate::output::COLLECTION),
        }
    }
    let parent = std::fs::canonicalize(dir)
        .map_err(|e| format!("cannot read `{}`: {}", dir.display(), describe_io(&e)))?
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("cannot tell which `.drop` wrote `{}`; pass --drop FILE", dir.display()))?;
    let mut drops: Vec<PathBuf> = Vec::new();
    let entries =
        std::fs::read_dir(&parent).map_err(|e| format!("cannot list `{}`: {}", parent.display(), describe_io(&e)))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("cannot list `{}`: {}", parent.display(), describe_io(&e)))?.path();
        if path.extension().is_some_and(|e| e == "drop") && path.is_file() {
            drops.push(path);
        }
    }
    match drops.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!("cannot tell which `.drop` wrote `{}`{refused}; pass --drop FILE", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn links_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"12345").unwrap();
        assert_eq!(read_file(&dir.path().join("a"), 5).unwrap(), b"12345");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("link")).unwrap();
            let link = read_file(&dir.path().join("link"), 5);
            assert!(matches!(link, Err(Unread::Refused(w)) if w.contains("symbolic link")));
        }
    }

    #[test]
    fn recorded_paths_are_data() {
        assert!(recorded_path("../pets.drop", Some("drop")).is_ok());
        assert!(recorded_path("../../a/b/pets.drop", Some("drop")).is_ok());
        assert!(recorded_path("/etc/shadow", Some("drop")).unwrap_err().contains("absolute"));
        assert!(recorded_path("/etc/x.drop", Some("drop")).unwrap_err().contains("absolute"));
        assert!(recorded_path("../etc/shadow", Some("drop")).unwrap_err().contains("`.drop`"));
        assert!(recorded_path("a/../../x.drop", Some("drop")).unwrap_err().contains("climbs"));
        assert!(recorded_path("..", None).is_err());
        assert!(inside("layers/Body/a.png"));
        assert!(!inside("../outside/a.png"));
        assert!(!inside("layers/../../a.png"));
        assert!(!inside("/etc/shadow"));
    }

    #[test]
    fn sizes_read_well() {
        assert!(png_limit((32, 32)) > 32 * 33 * 4);
    }
}
