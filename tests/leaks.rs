//! Small leaks between what `check` accepts and what `run` does, each
//! closed: `run --no-art` draws no images, a `.drop` that is not UTF-8 is
//! the input's fault, legendary integers stay integers, and art problems
//! are found (and worded) as a studio expects.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dropc::check::{DiskArt, check_text};
use dropc::diagnostic::Code;

fn dropc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).output().unwrap()
}

/// A fresh project folder, removed when dropped (even if the test panics).
fn project(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("dropc-leaks-{name}-")).tempdir().unwrap()
}

/// An opaque square PNG of `side` pixels.
fn png(side: u32, rgba: [u8; 4]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Rgba);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&rgba.repeat((side * side) as usize)).unwrap();
    writer.finish().unwrap();
    out
}

fn write(root: &Path, path: &str, bytes: &[u8]) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, bytes).unwrap();
}

#[test]
fn run_no_art_writes_no_images_and_never_fails_half_way() {
    let tmp = project("no-art");
    let root = tmp.path().to_path_buf();
    // 32 x 32 art for an 8 x 8 canvas, and a file that does not exist.
    write(&root, "layers/Body/Big.png", &png(32, [9, 9, 9, 255]));
    write(&root, "c.drop", b"collection \"C\" { size 2 canvas 8 x 8 }\ntrait Body < Big: 1, Gone: 1 >\n");
    let out = root.join("out");
    let run = dropc(&["run", "--no-art", root.join("c.drop").to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("wrote metadata of 2 tokens") && stderr.contains("`--no-art`: no images"), "{stderr}");
    assert!(!out.join("images").exists(), "no image is drawn from unchecked art");
    assert!(out.join("metadata/1.json").exists() && out.join("metadata/2.json").exists());
    // With the art, the same file is refused before anything is written.
    let out2 = root.join("out2");
    let run = dropc(&["run", root.join("c.drop").to_str().unwrap(), "-o", out2.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    assert!(!out2.exists());
    // `--qa` audits images, which `--no-art` does not draw.
    let both = dropc(&["run", "--no-art", "--qa", root.join("c.drop").to_str().unwrap()]);
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn a_drop_that_is_not_utf8_is_an_input_error_with_a_diagnostic() {
    let tmp = project("latin1");
    let root = tmp.path().to_path_buf();
    write(&root, "c.drop", b"collection \"C\" { size 1 canvas 8 x 8 }\n// caf\xe9\ntrait A < B: 1 >\n");
    let file = root.join("c.drop");
    let check = dropc(&["check", "--format", "json", file.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "drop::syntax");
    assert_eq!(d["message"], "the file is not UTF-8 text: byte 0xE9 here is not valid UTF-8");
    assert_eq!((d["labels"][0]["line"].as_u64(), d["labels"][0]["column"].as_u64()), (Some(2), Some(7)));
    for command in ["run", "simulate"] {
        let out = dropc(&[command, file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8"), "{command}");
    }
}

#[test]
fn legendary_integers_stay_integers_in_metadata() {
    let tmp = project("legendary");
    let root = tmp.path().to_path_buf();
    write(&root, "one.png", &png(8, [1, 2, 3, 255]));
    write(&root, "layers/Body/Ape.png", &png(8, [9, 9, 9, 255]));
    write(
        &root,
        "c.drop",
        b"collection \"C\" { size 2 canvas 8 x 8 }\ntrait Body < Ape: 1 >\n\
          legendary \"One\" at 1 \"one.png\" { Power: 100, Speed: 1.5, Big: 100000000000000000000, Kind: \"gold\" }\n",
    );
    let out = root.join("out");
    let run = dropc(&["run", "--no-images", root.join("c.drop").to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(out.join("metadata/1.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let value = |name: &str| {
        doc["attributes"].as_array().unwrap().iter().find(|a| a["trait_type"] == name).unwrap()["value"].clone()
    };
    assert_eq!(value("Power"), serde_json::json!(100));
    assert!(text.contains("\"value\": 100") && !text.contains("100.0"), "{text}");
    assert_eq!(value("Speed"), serde_json::json!(1.5));
    assert!(value("Big").is_f64(), "beyond 2^53 a float is what the file can promise");
    assert_eq!(value("Kind"), serde_json::json!("gold"));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("wrote metadata of 2 tokens"), "{stderr}");
}

#[test]
fn one_token_is_one_token() {
    let tmp = project("one");
    let root = tmp.path().to_path_buf();
    write(&root, "layers/Body/Ape.png", &png(8, [9, 9, 9, 255]));
    write(&root, "c.drop", b"collection \"C\" { size 1 canvas 8 x 8 }\ntrait Body < Ape: 1 >\n");
    let run = dropc(&["run", root.join("c.drop").to_str().unwrap(), "-o", root.join("out").to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("wrote 1 token to") && stderr.contains("(1 image in"), "{stderr}");
}

#[test]
fn art_problems_are_worded_for_what_helps() {
    let tmp = project("art-words");
    let root = tmp.path().to_path_buf();
    write(&root, "layers/Body/Big.png", &png(16, [9, 9, 9, 255]));
    write(&root, "layers/Body/Small.png", &png(4, [9, 9, 9, 255]));
    write(&root, "layers/Body/Empty.png", b"");
    let text = "collection \"C\" { size 1 canvas 8 x 8 }\ntrait Body < Big: 1, Small: 1, Empty: 1 >\n";
    let checked = check_text(text, &DiskArt { root: root.clone() });
    let find = |needle: &str| checked.diagnostics.iter().find(|d| d.message.contains(needle)).unwrap();
    // Larger than the canvas: no offset can help.
    let big = find("Big.png");
    assert!(!big.help.as_deref().unwrap().contains("offset"), "{big:?}");
    // Smaller: an offset places it.
    assert!(find("Small.png").help.as_deref().unwrap().contains("offset"));
    assert_eq!(find("Empty.png").message, "art `layers/Body/Empty.png` is empty (0 bytes)");
}

#[test]
fn a_file_in_another_colour_space_is_reported_once_however_many_variants_use_it() {
    let art = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/art");
    let text = "collection \"C\" { size 1 canvas 8 x 8 layers \"colour-layers\" }\n\
                trait Eyes < A: 1 \"Eyes/Normal.png\", B: 1 \"Eyes/Normal.png\", C: 1 \"Eyes/Normal.png\" offset (0, 0) >\n";
    let checked = check_text(text, &DiskArt { root: art });
    let profile: Vec<_> = checked.diagnostics.iter().filter(|d| d.code == Code::ArtColourProfile).collect();
    assert_eq!(profile.len(), 1, "{profile:?}");
}
