//! Opening the files dropc reads but did not make: art, records and images
//! of an output folder, all of which anyone may have replaced.
//!
//! A path that should name a PNG or a record may name a FIFO (opening it
//! blocks until a writer comes; reading it never ends), a device
//! (`/dev/zero` is endless, `/dev/tty` waits for a key), a folder, a sparse
//! file of gigabytes, or a file this user may not read. Every read of art,
//! records and output images in the crate goes through this module, so that
//! none of them can hang, exhaust memory or mistake such a thing for a file.
//!
//! Invariant: [`open`] hands out only a regular file no longer than its
//! limit, judged on the *opened* handle (so a file swapped for a FIFO
//! between a look and the open is refused, not waited on), and the open
//! itself never blocks (`O_NONBLOCK`); [`read`] reads such a file and stops
//! at the limit even if the file grows meanwhile. Every refusal is a
//! [`Unread`] with a phrase that reads after the file's name. This module
//! imports nothing of the crate, so `png` and every stage can use it.

use std::io::Read as _;
use std::path::Path;

/// The most an art file may take: a 16-bit RGBA layer of 8192 × 8192 stored
/// uncompressed is 512 MiB; anything larger is not a layer.
pub const ART_LIMIT: u64 = 1 << 30;

/// The most a `.drop` file may take (the largest real collections are a few
/// megabytes).
pub const SOURCE_LIMIT: u64 = 1 << 30;

/// Whether a symbolic link at the path itself is followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// Follow it: art in the project folder may be a link, which the caller
    /// has resolved and found inside the project
    /// (`model::paths::resolve_inside`).
    Follow,
    /// Refuse it: a file of an output folder is never a link (a link there
    /// can point anywhere, `/dev/zero` or a secret, and is published as is).
    Refuse,
}

/// Why a file was not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unread {
    /// There is no such file.
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

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.phrase())
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
        "is not a regular file (a FIFO, socket or device): dropc reads only files".to_string()
    }
}

fn cannot_read(e: &std::io::Error) -> Unread {
    if e.kind() == std::io::ErrorKind::NotFound {
        Unread::Missing
    } else {
        Unread::Refused(format!("cannot be read: {}", describe_io(e)))
    }
}

fn too_large(len: u64, limit: u64) -> Unread {
    Unread::Refused(format!("is {}, more than such a file can hold ({} at most)", bytes(len), bytes(limit)))
}

/// Opens `path` for reading: only a regular file of at most `limit` bytes,
/// a final symbolic link followed or refused as `links` says. The open never
/// blocks, and the kind and size are those of the opened handle.
pub fn open(path: &Path, limit: u64, links: Links) -> Result<std::fs::File, Unread> {
    if links == Links::Refuse {
        // Only for the message: the open below refuses a link by itself.
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(path).map(|t| format!(" (to `{}`)", t.display())).unwrap_or_default();
                return Err(Unread::Refused(format!(
                    "is a symbolic link{target}, not a file: dropc does not follow links out of the folder"
                )));
            }
        }
    }
    let file = open_nonblocking(path, links).map_err(|e| {
        if is_link_refused(&e) {
            Unread::Refused("is a symbolic link, not a file: dropc does not follow links out of the folder".into())
        } else {
            cannot_read(&e)
        }
    })?;
    let opened = file.metadata().map_err(|e| cannot_read(&e))?;
    if !opened.is_file() {
        return Err(Unread::Refused(not_a_file(opened.file_type())));
    }
    if opened.len() > limit {
        return Err(too_large(opened.len(), limit));
    }
    Ok(file)
}

/// Reads `path` whole: [`open`], then at most `limit` bytes (a file that
/// grew past it while being read is refused too).
pub fn read(path: &Path, limit: u64, links: Links) -> Result<Vec<u8>, Unread> {
    let file = open(path, limit, links)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| Unread::Refused(format!("cannot be read: {}", describe_io(&e))))?;
    if buf.len() as u64 > limit {
        return Err(too_large(buf.len() as u64, limit));
    }
    Ok(buf)
}

/// Opens for reading without waiting on a FIFO (and without following a
/// final link when asked). `O_NONBLOCK` changes nothing for the regular
/// files that [`open`] then accepts.
#[cfg(unix)]
fn open_nonblocking(path: &Path, links: Links) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let flags = match links {
        Links::Follow => libc::O_NONBLOCK,
        Links::Refuse => libc::O_NONBLOCK | libc::O_NOFOLLOW,
    };
    std::fs::OpenOptions::new().read(true).custom_flags(flags).open(path)
}

#[cfg(unix)]
fn is_link_refused(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// Opens for reading (elsewhere the kind is checked on the handle only).
#[cfg(not(unix))]
fn open_nonblocking(path: &Path, links: Links) -> std::io::Result<std::fs::File> {
    if links == Links::Refuse && std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(std::io::Error::other("is a symbolic link"));
    }
    std::fs::File::open(path)
}

#[cfg(not(unix))]
fn is_link_refused(_: &std::io::Error) -> bool {
    false
}

/// What is wrong with a folder that should be a real folder (not a link),
/// when something is: `None` for a folder, else a phrase after its name.
pub fn folder_problem(path: &Path) -> Option<Unread> {
    match std::fs::symlink_metadata(path) {
        Err(e) => Some(cannot_read(&e)),
        Ok(m) if m.file_type().is_symlink() => {
            let target = std::fs::read_link(path).map(|t| format!(" (to `{}`)", t.display())).unwrap_or_default();
            Some(Unread::Refused(format!(
                "is a symbolic link{target}, not a folder: dropc does not follow links out of the folder"
            )))
        }
        Ok(m) if !m.is_dir() => Some(Unread::Refused("is not a folder".to_string())),
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn regular_files_within_the_limit_only() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        std::fs::write(dir.join("a"), b"12345").unwrap();
        for links in [Links::Follow, Links::Refuse] {
            assert_eq!(read(&dir.join("a"), 5, links).unwrap(), b"12345");
            assert!(matches!(read(&dir.join("a"), 4, links), Err(Unread::Refused(w)) if w.contains("5 bytes")));
            assert_eq!(read(&dir.join("none"), 5, links), Err(Unread::Missing));
            assert!(matches!(read(dir, 5, links), Err(Unread::Refused(w)) if w.contains("folder")));
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("a"), dir.join("link")).unwrap();
            assert_eq!(read(&dir.join("link"), 5, Links::Follow).unwrap(), b"12345");
            let refused = read(&dir.join("link"), 5, Links::Refuse);
            assert!(matches!(refused, Err(Unread::Refused(w)) if w.contains("symbolic link")));
            std::os::unix::fs::symlink("/dev/zero", dir.join("zero")).unwrap();
            let zero = read(&dir.join("zero"), 5, Links::Refuse);
            assert!(matches!(zero, Err(Unread::Refused(w)) if w.contains("/dev/zero")));
            let zero = read(&dir.join("zero"), 1 << 40, Links::Follow);
            assert!(matches!(zero, Err(Unread::Refused(w)) if w.contains("not a regular file")));
            let devnull = read(Path::new("/dev/null"), 5, Links::Follow);
            assert!(matches!(devnull, Err(Unread::Refused(w)) if w.contains("not a regular file")));
        }
    }

    /// A FIFO with no writer: a blocking open would wait forever, so the
    /// test runs the open on a thread and gives it five seconds.
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("9.png");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        for links in [Links::Follow, Links::Refuse] {
            let (send, receive) = std::sync::mpsc::channel();
            let path = fifo.clone();
            std::thread::spawn(move || send.send(read(&path, 1 << 20, links)));
            let result = receive.recv_timeout(std::time::Duration::from_secs(5)).expect("the open blocked");
            assert!(matches!(result, Err(Unread::Refused(w)) if w.contains("FIFO")));
        }
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(bytes(17), "17 bytes");
        assert_eq!(bytes(2 << 30), "2.0 GiB");
        assert_eq!(bytes(1536), "1.5 KiB");
    }
}
