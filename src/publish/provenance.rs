//! `provenance.json`: a commitment to the art before reveal.
//!
//! The recipe the largest collections publish (Bored Ape Yacht Club and its
//! followers): hash every image with SHA-256, concatenate the lowercase hex
//! digests in token-id order with no separator, and hash that string. The
//! final hash can be published (or written on chain) before the images are;
//! anyone can later recompute it from the revealed images and check that
//! neither the art nor its order changed.
//!
//! The file lists every image's digest too, so a single image can be checked
//! without rehashing the collection. Hashing streams files through the hasher:
//! memory does not grow with the image size or the collection.
//!
//! [`summary_json`] is the other half of the audit trail, `collection.json`:
//! what went in (the `.drop` source and every art file, by SHA-256, with the
//! seed and the dropc version) and what came out (how many tokens drew each
//! variant), so a published collection can be reproduced and checked.

use std::path::{Path, PathBuf};

use crate::model::Model;
use crate::model::TraitKind;
use crate::output::{CollectionRecord, ImageDigest, Inputs, LegendaryId, ProvenanceRecord, TraitCounts, VariantCount};
use crate::sample::Tokens;

pub use crate::digest::{Sha256Digest, hex, sha256, sha256_hex};

/// SHA-256 of the image file at `path` (a regular file, not a link: see
/// [`crate::digest::sha256_file`]), streamed through the hasher.
pub fn sha256_file(path: &Path) -> std::io::Result<Sha256Digest> {
    crate::digest::sha256_file(path, u64::MAX, crate::files::Links::Refuse)
        .map_err(|e| std::io::Error::other(format!("`{}` {e}", path.display())))
}

/// `provenance.json` from each image's digest. Images are put in id order
/// (whatever the order given); the result is
/// `{"algorithm": "sha256", "images": [{"id", "sha256"}], "concatenated",
/// "provenance"}` where `provenance` is the SHA-256 of `concatenated`.
pub fn provenance_json_from_digests(digests: &[(u64, Sha256Digest)]) -> Vec<u8> {
    let mut sorted: Vec<&(u64, Sha256Digest)> = digests.iter().collect();
    sorted.sort_by_key(|(id, _)| *id);
    let images: Vec<ImageDigest> = sorted.iter().map(|(id, d)| ImageDigest { id: *id, sha256: hex(d) }).collect();
    let concatenated: String = images.iter().map(|i| i.sha256.as_str()).collect();
    let provenance = sha256_hex(concatenated.as_bytes());
    ProvenanceRecord { algorithm: "sha256".to_string(), images, concatenated, provenance }.to_json()
}

/// `provenance.json` from the bytes of every image (see
/// [`provenance_json_from_digests`]).
pub fn provenance_json<B: AsRef<[u8]>>(images: &[(u64, B)]) -> Vec<u8> {
    let digests: Vec<(u64, Sha256Digest)> = images.iter().map(|(id, b)| (*id, sha256(b.as_ref()))).collect();
    provenance_json_from_digests(&digests)
}

/// `provenance.json` from the image files (see
/// [`provenance_json_from_digests`]), each streamed through the hasher.
pub fn provenance_json_from_files<P: AsRef<Path>>(images: &[(u64, P)]) -> std::io::Result<Vec<u8>> {
    let digests =
        images.iter().map(|(id, path)| Ok((*id, sha256_file(path.as_ref())?))).collect::<std::io::Result<Vec<_>>>()?;
    Ok(provenance_json_from_digests(&digests))
}

/// Every art file the model reads (variants' files, conditional art and legendaries' images),
/// relative to the `.drop` file's folder, sorted, each once: the list to hash
/// for [`summary_json`].
pub fn art_paths(model: &Model) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = model
        .art_files()
        .map(|(_, f)| f.path.to_path_buf())
        .chain(model.legendaries.iter().map(|l| l.image.clone()))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// `collection.json`: dropc version, collection name, seed, size (legendaries
/// included), the realised count of every variant of every trait (in
/// declaration order, zero counts included; hidden and metadata-only traits
/// too; legendaries count for no variant), each legendary's id, the path of
/// the `.drop` relative to the output folder (`source_path`, when given: see
/// [`relative_path`]), and the SHA-256 of the `.drop` source and of every art
/// file (path, with `/` separators, to hash; sorted by path). Pure: the
/// caller reads the files.
pub fn summary_json<P: AsRef<Path>, B: AsRef<[u8]>>(
    model: &Model,
    tokens: &Tokens,
    seed: &str,
    source: (Option<&Path>, &[u8]),
    art: &[(P, B)],
) -> Vec<u8> {
    summary(model, tokens, seed, source, art, true).to_json()
}

/// The record [`summary_json`] writes; `images` is whether the run writes
/// images (false for `--no-images`).
pub fn summary<P: AsRef<Path>, B: AsRef<[u8]>>(
    model: &Model,
    tokens: &Tokens,
    seed: &str,
    source: (Option<&Path>, &[u8]),
    art: &[(P, B)],
    images: bool,
) -> CollectionRecord {
    let (source_path, source) = source;
    let counts = tokens.variant_counts(model);
    let traits = model
        .traits
        .iter()
        .zip(&counts)
        .map(|(t, counts)| TraitCounts {
            name: t.name.clone(),
            kind: match t.kind {
                TraitKind::Visible => "visible",
                TraitKind::Hidden => "hidden",
                TraitKind::MetadataOnly => "metadata",
            }
            .to_string(),
            variants: t
                .variants
                .iter()
                .zip(counts)
                .map(|(v, &count)| VariantCount { name: v.name.to_string(), count })
                .collect(),
        })
        .collect();
    let legendaries = tokens
        .legendaries
        .iter()
        .filter_map(|&(id, index)| model.legendaries.get(index).map(|l| LegendaryId { name: l.name.clone(), id }))
        .collect();
    let art = art.iter().map(|(path, bytes)| (slash_path(path.as_ref()), sha256_hex(bytes.as_ref()))).collect();
    CollectionRecord {
        format_version: crate::output::FORMAT_VERSION,
        dropc_version: env!("CARGO_PKG_VERSION").to_string(),
        collection: model.settings.name.clone(),
        seed: seed.to_string(),
        size: tokens.len(),
        generated: tokens.ids.len(),
        images,
        sizes: model.settings.sizes.iter().map(|&s| crate::output::size_folder(s)).collect(),
        traits,
        legendaries,
        inputs: Inputs { source_path: source_path.map(slash_path), source: sha256_hex(source), art },
    }
}

/// A relative path with `/` separators, whatever the platform.
pub fn slash_path(path: &Path) -> String {
    let parts: Vec<String> = path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    parts.join("/")
}

/// The path of `target` relative to the folder `base` (both absolute, or both
/// relative to the same folder, and free of `..`): `../apes.drop` for
/// `examples/neon-apes/apes.drop` from `examples/neon-apes/out`.
pub fn relative_path(base: &Path, target: &Path) -> PathBuf {
    let base: Vec<_> = base.components().collect();
    let target: Vec<_> = target.components().collect();
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..base.len() {
        out.push("..");
    }
    for c in target.get(common..).unwrap_or_default() {
        out.push(c.as_os_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    /// FIPS 180-2 / NIST test vectors.
    #[test]
    fn known_sha256_values() {
        assert_eq!(sha256_hex(b""), EMPTY);
        assert_eq!(sha256_hex(b"abc"), ABC);
        assert_eq!(
            sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    /// The document for two images given out of order; the provenance hash
    /// was computed independently (`printf %s "$ABC$EMPTY" | sha256sum`).
    #[test]
    fn provenance_document() {
        let bytes = provenance_json(&[(1u64, b"".as_slice()), (0, b"abc".as_slice())]);
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(v["algorithm"], "sha256");
        assert_eq!(v["images"][0]["id"], 0);
        assert_eq!(v["images"][0]["sha256"], ABC);
        assert_eq!(v["images"][1]["id"], 1);
        assert_eq!(v["images"][1]["sha256"], EMPTY);
        assert_eq!(v["concatenated"], format!("{ABC}{EMPTY}"));
        assert_eq!(v["provenance"], PROVENANCE_ABC_EMPTY);
        // Field order is fixed.
        let text = String::from_utf8(bytes).expect("utf-8");
        let at = |k: &str| text.find(&format!("\"{k}\"")).unwrap_or(usize::MAX);
        assert!(at("algorithm") < at("images") && at("images") < at("concatenated"));
        assert!(at("concatenated") < at("provenance"));
    }

    #[test]
    fn relative_paths() {
        let rel = |a: &str, b: &str| relative_path(Path::new(a), Path::new(b));
        assert_eq!(rel("/p/examples/apes/out", "/p/examples/apes/apes.drop"), PathBuf::from("../apes.drop"));
        assert_eq!(rel("/tmp/out", "/p/apes.drop"), PathBuf::from("../../p/apes.drop"));
        assert_eq!(rel("/p", "/p/x/a.drop"), PathBuf::from("x/a.drop"));
    }

    const PROVENANCE_ABC_EMPTY: &str = "17076dc047c0c18dc1ba5e0310336762a1db0b7daa275b1004887c2cca2c25b0";

    /// Files hash like their bytes; a missing file is an error.
    #[test]
    fn files_hash_like_bytes() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let dir = tmp.path().to_path_buf();
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.join("0.png"), &big).expect("write");
        std::fs::write(dir.join("1.png"), b"abc").expect("write");
        let from_files =
            provenance_json_from_files(&[(0u64, dir.join("0.png")), (1, dir.join("1.png"))]).expect("hash files");
        assert_eq!(from_files, provenance_json(&[(0u64, big.as_slice()), (1, b"abc".as_slice())]));
        assert!(provenance_json_from_files(&[(2u64, dir.join("missing.png"))]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    const DROP: &str = r#"collection "S" {
    size 7
    seed 3
    canvas 4 x 4
    layers "layers"
    name "S #{id}"
    description "d"
    image "ipfs://x/{id}.png"
}
hidden trait Shadow < Soft: 1, Hard: 1 >
trait Body < Ape: 3, Robot: 1, Ghost: 0 >
metadata trait Mood < Calm: 1, Angry: 1 >
legendary "The One" at 4 "legendaries/one.png" { Body: "Gold" }
"#;

    /// Counts add up per trait, zero-weight variants are listed with 0,
    /// hashes are the inputs', and the output is deterministic.
    #[test]
    fn summary_document() {
        let checked = crate::check_text(DROP, &crate::check::NoArt);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let model = checked.model.expect("model");
        let tokens = crate::sample(&model, "3").expect("sample");
        let paths = art_paths(&model);
        assert!(paths.contains(&PathBuf::from("legendaries/one.png")));
        let art = [(PathBuf::from("layers/Body/Ape.png"), b"abc".to_vec()), (PathBuf::from("a.png"), Vec::new())];
        let bytes = summary_json(&model, &tokens, "3", (Some(Path::new("../s.drop")), b"abc"), &art);
        assert_eq!(bytes, summary_json(&model, &tokens, "3", (Some(Path::new("../s.drop")), b"abc"), &art));
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(v["dropc_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["seed"], "3");
        assert_eq!(v["size"], tokens.len());
        assert_eq!(v["generated"], tokens.ids.len());
        let traits = v["traits"].as_array().expect("traits");
        assert_eq!(traits.len(), 3);
        assert_eq!(traits[0]["kind"], "hidden");
        assert_eq!(traits[2]["kind"], "metadata");
        for t in traits {
            let sum: u64 =
                t["variants"].as_array().expect("variants").iter().map(|v| v["count"].as_u64().unwrap_or(0)).sum();
            assert_eq!(sum, tokens.ids.len() as u64);
        }
        assert_eq!(traits[1]["variants"][2]["name"], "Ghost");
        assert_eq!(traits[1]["variants"][2]["count"], 0);
        assert_eq!(v["legendaries"][0]["id"], 4);
        assert_eq!(v["inputs"]["source"], ABC);
        assert_eq!(v["inputs"]["source_path"], "../s.drop");
        assert_eq!(v["inputs"]["art"]["layers/Body/Ape.png"], ABC);
        assert_eq!(v["inputs"]["art"]["a.png"], EMPTY);
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.find("\"a.png\"") < text.find("\"layers/Body/Ape.png\""));
        assert!(text.find("\"dropc_version\"") < text.find("\"inputs\""));
    }
}
