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

use std::io::Read as _;
use std::path::Path;

/// Why a file of the folder was not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unread {
    /// There is no such file (the folder listing reports it).
    Missing,
    /// Something is there but cannot be used: a phrase after the file's
    /// name (`is a symbolic link (to `/dev/zero`), not a file`).
    Refused(String),
}

impl Unread {
    /// The phrase after the file's name.
    pub fn phrase(&self) -> String {
        match self {
            Unread::Missing => "is missing".to_string(),
            Unread::Refused(why) => why.clone(),
        }
    }
}

/// A number of bytes for a message (`2.0 GiB`, `512 KiB`, `17 bytes`).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// How an I/O error reads in a message: the error without the OS's number.
pub fn describe_io(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// What kind of thing a non-regular entry is, as a phrase after its name.
fn not_a_file(kind: std::fs::FileType) -> String {
    if kind.is_dir() {
        "is a folder, not a file".to_string()
    } else {
        "is not a regular file (a FIFO, socket or device): qa reads only files".to_string()
    }
}

/// Reads `path`, a file of an untrusted folder: only a regular file, not a
/// symbolic link, of at most `limit` bytes (checked before a byte is read,
/// and again while reading). Opening never blocks (a FIFO swapped in after
/// the check is refused, not waited on).
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, Unread> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unread::Missing),
        Err(e) => return Err(Unread::Refused(format!("cannot be read: {}", describe_io(&e)))),
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        let target = std::fs::read_link(path).map(|t| format!(" (to `{}`)", t.display())).unwrap_or_default();
        return Err(Unread::Refused(format!(
            "is a symbolic link{target}, not a file: qa does not follow links out of the folder"
        )));
    }
    if !kind.is_file() {
        return Err(Unread::Refused(not_a_file(kind)));
    }
    let too_large = |len: u64| {
        Unread::Refused(format!("is {}, more than such a file can hold ({} at most)", bytes(len), bytes(limit)))
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let file = open_no_follow(path).map_err(|e| Unread::Refused(format!("cannot be read: {}", describe_io(&e))))?;
    // The entry may have been replaced between the two looks: what was
    // opened is what counts.
    let opened = file.metadata().map_err(|e| Unread::Refused(format!("cannot be read: {}", describe_io(&e))))?;
    if !opened.is_file() {
        return Err(Unread::Refused(not_a_file(opened.file_type())));
    }
    if opened.len() > limit {
        return Err(too_large(opened.len()));
    }
    let mut buf = Vec::with_capacity(usize::try_from(opened.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| Unread::Refused(format!("cannot be read: {}", describe_io(&e))))?;
    if buf.len() as u64 > limit {
        return Err(too_large(buf.len() as u64));
    }
    Ok(buf)
}

/// Opens for reading without following a final symbolic link and without
/// waiting on a FIFO.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path)
}

/// Opens for reading (the kind of the entry was checked just before).
#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// What is wrong with a folder of the output, when something is: `None`
/// for a real folder (not a link), else a phrase after its name.
pub fn folder_problem(path: &Path) -> Option<Unread> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(Unread::Missing),
        Err(e) => Some(Unread::Refused(format!("cannot be read: {}", describe_io(&e)))),
        Ok(m) if m.file_type().is_symlink() => {
            let target = std::fs::read_link(path).map(|t| format!(" (to `{}`)", t.display())).unwrap_or_default();
            Some(Unread::Refused(format!(
                "is a symbolic link{target}, not a folder: qa does not follow links out of the folder"
            )))
        }
        Ok(m) if !m.is_dir() => Some(Unread::Refused("is not a folder".to_string())),
        Ok(_) => None,
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("dropc-qa-read-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn regular_files_within_the_limit_only() {
        let dir = temp("kinds");
        std::fs::write(dir.join("a"), b"12345").unwrap();
        assert_eq!(read_file(&dir.join("a"), 5).unwrap(), b"12345");
        assert!(matches!(read_file(&dir.join("a"), 4), Err(Unread::Refused(w)) if w.contains("5 bytes")));
        assert_eq!(read_file(&dir.join("none"), 5), Err(Unread::Missing));
        assert!(matches!(read_file(&dir, 5), Err(Unread::Refused(w)) if w.contains("folder")));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("a"), dir.join("link")).unwrap();
            assert!(matches!(read_file(&dir.join("link"), 5), Err(Unread::Refused(w)) if w.contains("symbolic link")));
            std::os::unix::fs::symlink("/dev/zero", dir.join("zero")).unwrap();
            assert!(matches!(read_file(&dir.join("zero"), 5), Err(Unread::Refused(w)) if w.contains("/dev/zero")));
            let devnull = read_file(Path::new("/dev/null"), 5);
            assert!(matches!(devnull, Err(Unread::Refused(w)) if w.contains("not a regular file")));
        }
        let _ = std::fs::remove_dir_all(&dir);
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
        assert_eq!(bytes(17), "17 bytes");
        assert_eq!(bytes(2 << 30), "2.0 GiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert!(png_limit((32, 32)) > 32 * 33 * 4);
    }
}
