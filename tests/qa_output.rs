//! `dropc qa` on output folders: every bundled example passes clean, and
//! each audit is triggered by a fixture made by tampering with a real run
//! (deleting, adding, corrupting and editing files, and a collection drawn
//! from another `.drop`), asserting the exact findings (code and subject).
//! Also metadata/visual parity on its own, on `neon-apes` (hidden traits,
//! metadata-only traits, derived colours, legendaries).
//!
//! Each example is run once per test binary and copied for each fixture.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};

fn dropc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).output().expect("dropc runs")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dropc-qa-output-{}", std::process::id())).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn example(name: &str) -> PathBuf {
    let file = match name {
        "neon-apes" => "apes.drop",
        "pixel-pets" => "pets.drop",
        _ => "sprites.drop",
    };
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name).join(file)
}

/// The output of `dropc run` on an example, made once.
fn base(name: &'static str) -> &'static Path {
    static APES: OnceLock<PathBuf> = OnceLock::new();
    static PETS: OnceLock<PathBuf> = OnceLock::new();
    static SPRITES: OnceLock<PathBuf> = OnceLock::new();
    let cell = match name {
        "neon-apes" => &APES,
        "pixel-pets" => &PETS,
        _ => &SPRITES,
    };
    cell.get_or_init(|| {
        let out = temp(&format!("base-{name}"));
        let run = dropc(&["run", example(name).to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
        out
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() { copy_dir(&src, &dst) } else { std::fs::copy(&src, &dst).map(|_| ()).unwrap() }
    }
}

/// A private copy of an example's output.
fn fixture(example_name: &'static str, name: &str) -> PathBuf {
    let dir = temp(name);
    copy_dir(base(example_name), &dir);
    dir
}

/// `dropc qa DIR --drop FILE --format json`: exit code and the findings as
/// `(code, subject)` pairs (`token 5`, `file images/x.png`, `variant T.V`,
/// `collection`).
fn audit(dir: &Path, drop: &Path) -> (i32, BTreeSet<(String, String)>, Value) {
    let out = dropc(&["qa", dir.to_str().unwrap(), "--drop", drop.to_str().unwrap(), "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    let findings = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), subject(&f["subject"])))
        .collect();
    (out.status.code().unwrap(), findings, doc)
}

fn subject(s: &Value) -> String {
    match s["kind"].as_str().unwrap() {
        "token" => format!("token {}", s["id"]),
        "file" => format!("file {}", s["path"].as_str().unwrap()),
        "variant" => format!("variant {}.{}", s["trait"].as_str().unwrap(), s["variant"].as_str().unwrap()),
        other => other.to_string(),
    }
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items.iter().map(|(c, s)| (format!("qa::{c}"), s.to_string())).collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

fn decode(path: &Path) -> dropc::render::Image {
    dropc::qa::image::decode(&std::fs::read(path).unwrap()).unwrap().into_rgba()
}

fn encode(image: &dropc::render::Image) -> Vec<u8> {
    dropc::render::encode_png(image, dropc::check::Compression::Fast).unwrap()
}

#[test]
fn every_example_passes_clean() {
    for name in ["neon-apes", "pixel-pets", "solana-sprites"] {
        let (code, findings, doc) = audit(base(name), &example(name));
        assert_eq!(findings, BTreeSet::new(), "{name}: {doc:#}");
        assert_eq!(code, 0, "{name}");
        assert_eq!(doc["errors"], 0);
        assert!(doc["images"].as_u64().unwrap() > 0);
    }
}

#[test]
fn the_drop_is_found_from_collection_json_and_run_qa_audits() {
    // No --drop: `collection.json` names the `.drop` relative to the folder.
    let summary = read_json(&base("solana-sprites").join("collection.json"));
    assert!(summary["inputs"]["source_path"].as_str().unwrap().ends_with("sprites.drop"));
    let out = dropc(&["qa", base("solana-sprites").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no findings"));
    // `run --qa`.
    let dir = temp("run-qa");
    let out = dropc(&["run", example("solana-sprites").to_str().unwrap(), "-o", dir.to_str().unwrap(), "--qa"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("24 tokens and 48 images audited"));
    // Both write the report, with a thumbnail per token; --no-report does not.
    assert!(dir.join("report.html").is_file());
    assert_eq!(
        std::fs::read_dir(dir.join("report/thumbs"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "png"))
            .count(),
        24
    );
    let bare = temp("no-report");
    let out = dropc(&["run", example("solana-sprites").to_str().unwrap(), "-o", bare.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(dropc(&["qa", bare.to_str().unwrap(), "--no-report"]).status.code(), Some(0));
    assert!(!bare.join("report.html").exists());
    let _ = std::fs::remove_dir_all(&bare);
    // A `.drop` alone: the inputs only.
    let out = dropc(&["qa", example("solana-sprites").to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc.get("tokens").is_none());
    // Usage and I/O errors.
    assert_eq!(dropc(&["qa", "/nonexistent/dropc-qa"]).status.code(), Some(2));
    let stray = temp("stray");
    std::fs::create_dir_all(stray.join("nested")).unwrap();
    let out = dropc(&["qa", stray.join("nested").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--drop"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&stray);
}

#[test]
fn missing_and_extra_files() {
    let dir = fixture("pixel-pets", "files");
    std::fs::remove_file(dir.join("images/5.png")).unwrap();
    std::fs::remove_file(dir.join("images/512x512/7.png")).unwrap();
    std::fs::remove_file(dir.join("metadata/9.json")).unwrap();
    std::fs::copy(dir.join("images/1.png"), dir.join("images/65.png")).unwrap();
    std::fs::write(dir.join("metadata/notes.txt"), "draft").unwrap();
    std::fs::create_dir_all(dir.join("images/64x64")).unwrap();
    let (code, findings, _) = audit(&dir, &example("pixel-pets"));
    assert_eq!(
        findings,
        set(&[
            ("missing_image", "token 5"),
            ("missing_image", "token 7"),
            ("missing_metadata", "token 9"),
            ("extra_file", "file images/65.png"),
            ("extra_file", "file images/64x64/"),
            ("extra_file", "file metadata/notes.txt"),
        ])
    );
    assert_eq!(code, 1);
    // A whole folder missing is one finding, not one per token.
    std::fs::remove_dir_all(dir.join("images/512x512")).unwrap();
    let (_, findings, _) = audit(&dir, &example("pixel-pets"));
    assert!(findings.contains(&("qa::missing_image".into(), "file images/512x512/".into())));
    assert!(!findings.contains(&("qa::missing_image".into(), "token 7".into())));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn broken_images() {
    let dir = fixture("pixel-pets", "images");
    let img = |id: u64| dir.join(format!("images/{id}.png"));
    // 3: cut short.
    let bytes = std::fs::read(img(3)).unwrap();
    std::fs::write(img(3), &bytes[..bytes.len() / 2]).unwrap();
    // 6: a single colour.
    std::fs::write(img(6), encode(&dropc::render::Image::from_pixel(32, 32, image::Rgba([9, 9, 9, 255])))).unwrap();
    // 8: the same pixels without an sRGB chunk.
    let pixels = decode(&img(8));
    let mut plain = Vec::new();
    {
        let mut e = png::Encoder::new(&mut plain, 32, 32);
        e.set_color(png::ColorType::Rgba);
        e.set_depth(png::BitDepth::Eight);
        let mut w = e.write_header().unwrap();
        w.write_image_data(pixels.as_raw()).unwrap();
    }
    std::fs::write(img(8), plain).unwrap();
    // 10: 16 x 16; 11: grey.
    std::fs::write(
        img(10),
        encode(&image::imageops::resize(&decode(&img(10)), 16, 16, image::imageops::FilterType::Nearest)),
    )
    .unwrap();
    let grey = image::DynamicImage::ImageRgba8(decode(&img(11))).to_luma8();
    let mut grey_png = Vec::new();
    grey.write_to(&mut std::io::Cursor::new(&mut grey_png), image::ImageFormat::Png).unwrap();
    std::fs::write(img(11), grey_png).unwrap();
    // 2 takes 1's image exactly; 13 takes 12's with one pixel changed.
    std::fs::copy(img(1), img(2)).unwrap();
    let mut near = decode(&img(12));
    let p = *near.get_pixel(0, 0);
    near.put_pixel(0, 0, image::Rgba([p[0] ^ 1, p[1], p[2], p[3]]));
    std::fs::write(img(13), encode(&near)).unwrap();
    // 15's thumbnail is 16's.
    std::fs::copy(dir.join("images/512x512/16.png"), dir.join("images/512x512/15.png")).unwrap();

    let (code, findings, _) = audit(&dir, &example("pixel-pets"));
    // Every changed file also breaks its provenance and manifest hashes;
    // every canvas image showing another picture breaks parity, and its
    // thumbnail no longer matches.
    let mut expected = vec![
        ("image_unreadable", "token 3"),
        ("blank_image", "token 6"),
        ("image_srgb", "token 8"),
        ("image_size", "token 10"),
        ("image_format", "token 11"),
        ("image_srgb", "token 11"),
        ("duplicate_image", "token 2"),
        ("near_duplicate", "token 13"),
        ("size_mismatch", "token 15"),
    ];
    for id in ["token 3", "token 6", "token 8", "token 10", "token 11", "token 2", "token 13"] {
        expected.push(("provenance_hash", id));
        expected.push(("manifest_hash", id));
    }
    for id in ["token 6", "token 11", "token 2", "token 13"] {
        expected.push(("parity_mismatch", id));
    }
    for id in ["token 6", "token 11", "token 2", "token 13"] {
        expected.push(("size_mismatch", id));
    }
    assert_eq!(findings, set(&expected));
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tampered_metadata() {
    let dir = fixture("pixel-pets", "metadata");
    let meta = |id: u64| dir.join(format!("metadata/{id}.json"));
    let edit = |id: u64, f: &dyn Fn(&mut Value)| {
        let mut doc = read_json(&meta(id));
        f(&mut doc);
        write_json(&meta(id), &doc);
    };
    // 4: another background (a real variant): the record and the image disagree.
    edit(4, &|d| {
        let a = d["attributes"].as_array_mut().unwrap().iter_mut().find(|a| a["trait_type"] == "Background").unwrap();
        a["value"] = json!(if a["value"] == "Mint" { "Peach" } else { "Mint" });
    });
    // 5: a variant that does not exist.
    edit(5, &|d| d["attributes"][1]["value"] = json!("Dragon"));
    // 6: no name; 8: an extra field; 12: an attribute of the wrong shape.
    edit(6, &|d| {
        d.as_object_mut().unwrap().remove("name");
    });
    edit(8, &|d| d["animation_url"] = json!("ipfs://x"));
    edit(12, &|d| d["attributes"][0] = json!(["Background", "Mint"]));
    // 10: another image URI; 11: another description.
    edit(10, &|d| d["image"] = json!("ipfs://CID/11.png"));
    edit(11, &|d| d["description"] = json!("Tiny pets."));
    // 14: not JSON.
    std::fs::write(meta(14), "{\"name\": ").unwrap();
    let (code, findings, doc) = audit(&dir, &example("pixel-pets"));
    assert_eq!(
        findings,
        set(&[
            ("metadata_attributes", "token 4"),
            ("parity_mismatch", "token 4"),
            ("metadata_attributes", "token 5"),
            ("parity_unmapped", "token 5"),
            ("metadata_schema", "token 6"),
            ("metadata_schema", "token 8"),
            ("metadata_schema", "token 12"),
            ("metadata_uri", "token 10"),
            ("metadata_field", "token 11"),
            ("metadata_unreadable", "token 14"),
        ]),
        "{doc:#}"
    );
    assert_eq!(code, 1);
    let message = |code: &str, id: u64| {
        doc["findings"].as_array().unwrap().iter().find(|f| f["code"] == code && f["subject"]["id"] == id).unwrap()
            ["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        message("qa::metadata_schema", 6).contains("\"name\" is a required property"),
        "{}",
        message("qa::metadata_schema", 6)
    );
    assert!(message("qa::parity_unmapped", 5).contains("Dragon"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn broken_records() {
    let dir = fixture("pixel-pets", "records");
    // provenance.json: token 12's hash replaced.
    let mut provenance = read_json(&dir.join("provenance.json"));
    provenance["images"][11]["sha256"] = json!("0".repeat(64));
    write_json(&dir.join("provenance.json"), &provenance);
    // rarity.json: the first two ranks swapped.
    let mut rarity = read_json(&dir.join("rarity.json"));
    let (a, b) = (rarity[0]["id"].clone(), rarity[1]["id"].clone());
    rarity[0]["id"] = b;
    rarity[1]["id"] = a;
    write_json(&dir.join("rarity.json"), &rarity);
    // collection.json: a count off by one.
    let mut summary = read_json(&dir.join("collection.json"));
    let n = summary["traits"][0]["variants"][0]["count"].as_u64().unwrap();
    summary["traits"][0]["variants"][0]["count"] = json!(n + 1);
    write_json(&dir.join("collection.json"), &summary);
    // manifest.json: token 20's image hash.
    let mut manifest = read_json(&dir.join("manifest.json"));
    manifest["tokens"]["20"]["sha256"] = json!("f".repeat(64));
    write_json(&dir.join("manifest.json"), &manifest);
    let (code, findings, doc) = audit(&dir, &example("pixel-pets"));
    assert_eq!(
        findings,
        set(&[
            ("provenance_hash", "token 12"),
            ("provenance_record", "file provenance.json"),
            ("rarity_record", "file rarity.json"),
            ("collection_record", "file collection.json"),
            ("manifest_hash", "token 20"),
        ]),
        "{doc:#}"
    );
    assert_eq!(code, 1);
    // The provenance hash itself.
    let mut provenance = read_json(&base("pixel-pets").join("provenance.json"));
    provenance["provenance"] = json!("0".repeat(64));
    write_json(&dir.join("provenance.json"), &provenance);
    std::fs::remove_file(dir.join("rarity.json")).unwrap();
    std::fs::write(dir.join("tokens.json"), "[]").unwrap();
    let (_, findings, doc) = audit(&dir, &example("pixel-pets"));
    for expected in [
        ("qa::provenance_record", "file provenance.json"),
        ("qa::missing_record", "file rarity.json"),
        ("qa::unreadable_record", "file tokens.json"),
    ] {
        assert!(findings.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {doc:#}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A whole collection drawn from another `.drop` (other weights, another
/// count), consistent in itself, audited against the original.
#[test]
fn a_skewed_draw_is_caught() {
    let project = temp("skewed-project");
    copy_dir(example("pixel-pets").parent().unwrap(), &project);
    let source = std::fs::read_to_string(project.join("pets.drop")).unwrap();
    let skewed = source
        .replace(
            "Mint: 10, Peach: 10, Sky: 10, Lavender: 6, Night: 5",
            "Mint: 400, Peach: 10, Sky: 10, Lavender: 6, Night: 5",
        )
        .replace("count Hat.Crown = 2", "count Hat.Crown = 3");
    assert_ne!(skewed, source);
    std::fs::write(project.join("skewed.drop"), skewed).unwrap();
    let dir = temp("skewed");
    let run = dropc(&["run", project.join("skewed.drop").to_str().unwrap(), "-o", dir.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let (code, findings, doc) = audit(&dir, &project.join("pets.drop"));
    assert_eq!(
        findings,
        set(&[
            ("draw_mismatch", "file tokens.json"),
            ("distribution", "variant Background.Mint"),
            ("count_violated", "variant Hat.Crown"),
            ("source_changed", "file collection.json"),
        ]),
        "{doc:#}"
    );
    assert_eq!(code, 1);
    // The shares behind it, for the report.
    let background = &doc["shares"][0];
    assert_eq!(background["name"], "Background");
    assert!(background["variants"][0]["realised"].as_f64().unwrap() > 0.8);
    assert!((background["variants"][0]["predicted"].as_f64().unwrap() - 10.0 / 41.0).abs() < 0.05);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&project);
}

/// An edited `.drop` (a comment) is a warning: exit 0.
#[test]
fn a_changed_source_is_a_warning() {
    let project = temp("edited-project");
    copy_dir(example("solana-sprites").parent().unwrap(), &project);
    let drop = project.join("sprites.drop");
    let mut text = std::fs::read_to_string(&drop).unwrap();
    text.push_str("// edited after the run\n");
    std::fs::write(&drop, text).unwrap();
    let (code, findings, _) = audit(base("solana-sprites"), &drop);
    assert_eq!(findings, set(&[("source_changed", "file collection.json")]));
    assert_eq!(code, 0);
    let _ = std::fs::remove_dir_all(&project);
}

/// Parity on its own (`dropc::qa::parity::audit`): clean on every token of
/// `neon-apes`; then one metadata attribute, one pixel and one hidden trait
/// in `tokens.json` changed give exactly three findings.
#[test]
fn metadata_and_images_agree_token_for_token() {
    let apes = example("neon-apes");
    let root = apes.parent().unwrap();
    let model = dropc::check_text(
        &std::fs::read_to_string(&apes).unwrap(),
        &dropc::check::DiskArt { root: root.to_path_buf() },
    )
    .model
    .unwrap();
    assert_eq!(dropc::qa::parity::audit(&model, root, base("neon-apes")), vec![]);

    let dir = fixture("neon-apes", "parity");
    // Token 1: another background in its metadata.
    let path = dir.join("metadata/1.json");
    let mut doc = read_json(&path);
    let bg = doc["attributes"].as_array_mut().unwrap().iter_mut().find(|a| a["trait_type"] == "Background").unwrap();
    bg["value"] = json!(if bg["value"] == "Grid" { "Toxic" } else { "Grid" });
    write_json(&path, &doc);
    // Token 2: one pixel.
    let mut image = decode(&dir.join("images/2.png"));
    let p = *image.get_pixel(40, 30);
    image.put_pixel(40, 30, image::Rgba([p[0].wrapping_add(1), p[1], p[2], p[3]]));
    std::fs::write(dir.join("images/2.png"), encode(&image)).unwrap();
    // Token 3: its hidden shadow, which only tokens.json records.
    let tokens = std::fs::read_to_string(dir.join("tokens.json")).unwrap();
    let line = tokens.lines().find(|l| l.starts_with("{\"id\":3,")).unwrap();
    let flipped = if line.contains("\"Soft\"") {
        line.replace("\"Soft\"", "\"Hard\"")
    } else {
        line.replace("\"Hard\"", "\"Soft\"")
    };
    std::fs::write(dir.join("tokens.json"), tokens.replace(line, &flipped)).unwrap();

    let findings = dropc::qa::parity::audit(&model, root, &dir);
    let got: Vec<(&str, String)> = findings.iter().map(|f| (f.code, f.subject.to_string())).collect();
    assert_eq!(
        got,
        vec![
            ("qa::parity_mismatch", "token 1".to_string()),
            ("qa::parity_mismatch", "token 2".to_string()),
            ("qa::parity_mismatch", "token 3".to_string()),
        ]
    );
    assert_eq!(
        findings[1].message,
        "its image differs from what its metadata describes at 1 pixel (first at x 40, y 30)"
    );
    assert_eq!(findings[1].images, vec![PathBuf::from("images/2.png")]);
    // The legendaries (drawn from their own files) still pass.
    assert!(!findings.iter().any(|f| f.subject.to_string() == "token 100"));
    let _ = std::fs::remove_dir_all(&dir);
}
