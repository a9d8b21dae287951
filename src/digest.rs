//! SHA-256 digests and their hex form: what `collection.json`, the manifest
//! and `provenance.json` record of every file, what `check` compares art by
//! (identical layers) and what `qa` recomputes.
//!
//! A foundation of its own (it imports only [`crate::files`]) so that the
//! checker can hash art without depending on the publishing stage.
//! Invariant: the hex form is lowercase, two digits a byte, as the records
//! store it.

use std::io::Read as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::files::{Links, Unread};

/// A SHA-256 digest.
pub type Sha256Digest = [u8; 32];

/// Lowercase hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Sha256Digest {
    Sha256::digest(bytes).into()
}

/// SHA-256 of `bytes`, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha256(bytes))
}

/// SHA-256 of the file at `path`, opened through [`crate::files::open`]
/// (a regular file of at most `limit` bytes, a link followed or refused as
/// `links` says) and streamed through the hasher in chunks.
pub fn sha256_file(path: &Path, limit: u64, links: Links) -> Result<Sha256Digest, Unread> {
    let file = crate::files::open(path, limit, links)?;
    let mut file = file.take(limit);
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| Unread::Refused(format!("cannot be read: {}", crate::files::describe_io(&e))))?;
        if n == 0 {
            break;
        }
        hasher.update(buffer.get(..n).unwrap_or_default());
    }
    Ok(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"abc").unwrap();
        assert_eq!(sha256_file(&dir.path().join("a"), 3, Links::Refuse).unwrap(), sha256(b"abc"));
        assert!(sha256_file(&dir.path().join("a"), 2, Links::Refuse).is_err());
    }
}
