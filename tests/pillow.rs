//! dropc's compositing next to Pillow's `Image.alpha_composite` and exact
//! arithmetic, through `scripts/pillow_compare.py`: layers are written as
//! PNGs into a tiny project, rendered by dropc's renderer, and the script
//! composites them with Pillow and with Python fractions.
//!
//! - One translucent layer over an opaque one (every alpha 0–255): dropc's
//!   pixels are Pillow's, byte for byte.
//! - Six translucent layers (many faint) over nothing: dropc is within half
//!   a level of exact source-over on every channel; Pillow's own distance is
//!   printed (it rounds once per layer, and works with 7-bit coefficients).
//!
//! Needs `python3` with Pillow (`apt install python3-pil` or `pip install
//! pillow`); without them the test is skipped with a loud message, or fails
//! when `DROPC_REQUIRE_ALL_TOOLS` is set.

// Tests may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use dropc::check::{DiskArt, check_text};
use dropc::model::Compression;
use dropc::render::{Image, Renderer, encode_png};
use serde_json::Value;
use support::missing_tool;

mod support;

const SIDE: u32 = 64;

/// `python3` when it can import Pillow.
fn python_with_pillow() -> Option<&'static str> {
    let ok = Command::new("python3").args(["-c", "import PIL"]).output().is_ok_and(|o| o.status.success());
    ok.then_some("python3")
}

/// A xorshift byte source: the same layers on every run.
struct Bytes(u32);

impl Bytes {
    fn next(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 >> 24) as u8
    }
}

/// Writes `layers` (straight RGBA, canvas size, bottom first) as a project
/// of one trait per layer and as `layerN.png`, renders the token with
/// dropc into `dropc.png`, and runs the comparison script.
fn compare(dir: &Path, layers: &[Vec<u8>]) -> Value {
    let mut drop = format!("collection \"Pillow\" {{ size 1  canvas {SIDE} x {SIDE} }}\n");
    for (i, rgba) in layers.iter().enumerate() {
        let image = Image::from_raw(SIDE, SIDE, rgba.clone()).unwrap();
        std::fs::create_dir_all(dir.join(format!("layers/T{i}"))).unwrap();
        let png = encode_png(&image, Compression::Fast).unwrap();
        std::fs::write(dir.join(format!("layers/T{i}/V.png")), &png).unwrap();
        std::fs::write(dir.join(format!("layer{i}.png")), &png).unwrap();
        writeln!(drop, "trait T{i} < V: 1 >").unwrap();
    }
    let model = check_text(&drop, &DiskArt { root: dir.to_path_buf() }).model.expect("test model");
    let renderer = Renderer::new(&model, dir).unwrap();
    let image = renderer.render(&vec![0; layers.len()]).unwrap();
    std::fs::write(dir.join("dropc.png"), encode_png(&image, Compression::Fast).unwrap()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/pillow_compare.py");
    let out = Command::new("python3").arg(&script).arg(dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("{report}");
    report
}

#[test]
fn compositing_next_to_pillow_and_exact() {
    if python_with_pillow().is_none() {
        missing_tool("python3 with Pillow is not installed (apt install python3-pil, or pip install pillow)");
        return;
    }
    let mut bytes = Bytes(0x1234_5678);
    let pixels = (SIDE * SIDE) as usize;

    // One translucent layer, every alpha value, over an opaque one.
    let dir = tempfile::tempdir().unwrap();
    let backdrop: Vec<u8> = (0..pixels).flat_map(|_| [bytes.next(), bytes.next(), bytes.next(), 255]).collect();
    let top: Vec<u8> = (0..pixels).flat_map(|i| [bytes.next(), bytes.next(), bytes.next(), i as u8]).collect();
    let report = compare(dir.path(), &[backdrop, top]);
    assert_eq!(report["dropc_vs_pillow"], 0, "one layer over an opaque backdrop: {report}");
    assert!(report["dropc_vs_exact"].as_f64().unwrap() < 0.5 + 1e-3, "{report}");

    // Six translucent layers over nothing, a third of the pixels faint.
    let dir = tempfile::tempdir().unwrap();
    let layers: Vec<Vec<u8>> = (0..6)
        .map(|_| {
            (0..pixels)
                .flat_map(|_| {
                    let a = match bytes.next() % 3 {
                        0 => 1 + bytes.next() % 4,
                        1 => 0,
                        _ => bytes.next(),
                    };
                    [bytes.next(), bytes.next(), bytes.next(), a]
                })
                .collect()
        })
        .collect();
    let report = compare(dir.path(), &layers);
    assert!(report["dropc_vs_exact"].as_f64().unwrap() < 0.5 + 1e-3, "six translucent layers: {report}");
}
