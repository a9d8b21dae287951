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

/// A folder path `name` (not yet created) inside a temporary folder that is
/// removed when this is dropped, even when the test panics.
struct Temp {
    _root: tempfile::TempDir,
    path: PathBuf,
}

impl std::ops::Deref for Temp {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for Temp {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<std::ffi::OsStr> for Temp {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.path.as_os_str()
    }
}

fn temp(name: &str) -> Temp {
    let root = tempfile::Builder::new().prefix("dropc-qa-output-").tempdir().unwrap();
    let path = root.path().join(name);
    Temp { _root: root, path }
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
        // Made once per test binary and kept for its whole run, so it lives
        // under cargo's own temporary folder, replaced by the next run.
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("qa-output-base").join(name);
        let _ = std::fs::remove_dir_all(&out);
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
fn fixture(example_name: &'static str, name: &str) -> Temp {
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
    items
        .iter()
        .map(|(c, s)| (if c.contains("::") { c.to_string() } else { format!("qa::{c}") }, s.to_string()))
        .collect()
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
    dropc::render::encode_png(image, dropc::model::Compression::Fast).unwrap()
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
        ("manifest_hash", "token 15"),
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
        .replace("count Hat.Crown  = 2", "count Hat.Crown  = 3");
    assert!(skewed.contains("Mint: 400") && skewed.contains("count Hat.Crown  = 3"), "the example changed: {skewed}");
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
    let line = tokens.lines().find(|l| l.trim_start().starts_with("{\"id\":3,")).unwrap();
    let flipped = if line.contains("\"Soft\"") {
        line.replace("\"Soft\"", "\"Hard\"")
    } else {
        line.replace("\"Hard\"", "\"Soft\"")
    };
    std::fs::write(dir.join("tokens.json"), tokens.replace(line, &flipped)).unwrap();

    let findings = dropc::qa::parity::audit(&model, root, &dir);
    let got: Vec<(&str, String)> = findings.iter().map(|f| (f.code.as_str(), f.subject.to_string())).collect();
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

/// `dropc qa` with `args`, killed (and the test failed) if it runs longer
/// than a minute: a hostile folder must not hang the audit.
fn dropc_within_a_minute(args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dropc"));
    command.args(args);
    within_a_minute(command)
}

/// Runs `command`, killed (and the test failed) after a minute.
fn within_a_minute(mut command: Command) -> std::process::Output {
    let args = format!("{command:?}");
    let mut child =
        command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().expect("dropc runs");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("{args} ran for a minute: it hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// The findings of a JSON audit as `(code, subject)` pairs, and the document.
fn findings_of(out: &std::process::Output) -> (BTreeSet<(String, String)>, Value) {
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    let findings = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), subject(&f["subject"])))
        .collect();
    (findings, doc)
}

/// The message of the finding `code` about token `id`.
fn message(doc: &Value, code: &str, id: u64) -> String {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code && f["subject"]["id"] == id)
        .unwrap_or_else(|| panic!("no {code} for token {id} in {doc:#}"))["message"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A PNG whose header declares `w × h` (valid chunks and CRCs) but whose
/// data is a few bytes: decoding it naively allocates `4 w h` bytes.
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// Files replaced by what an attacker (or an accident) leaves: links that
/// dangle or lead to a folder or to `/dev/zero`, FIFOs, a folder, a header
/// declaring 100000 x 100000, a 2 GiB sparse file and an unreadable file.
/// Each is an error naming its token; none hangs qa or costs it memory; the
/// report still gets written.
#[cfg(unix)]
#[test]
fn hostile_files_are_errors_naming_their_token() {
    use std::os::unix::fs::{PermissionsExt as _, symlink};
    let dir = fixture("pixel-pets", "hostile");
    let img = |id: u64| dir.join(format!("images/{id}.png"));
    let meta = |id: u64| dir.join(format!("metadata/{id}.json"));
    let replace = |path: &Path| std::fs::remove_file(path).unwrap();
    replace(&img(5));
    symlink(dir.join("no-such-file.png"), img(5)).unwrap();
    replace(&meta(6));
    symlink(dir.join("no-such-file.json"), meta(6)).unwrap();
    replace(&img(7));
    symlink(dir.join("metadata"), img(7)).unwrap();
    replace(&img(8));
    symlink("/dev/zero", img(8)).unwrap();
    for path in [img(9), meta(10)] {
        replace(&path);
        let made = Command::new("mkfifo").arg(&path).status().expect("mkfifo runs");
        assert!(made.success());
    }
    replace(&img(11));
    std::fs::create_dir(img(11)).unwrap();
    std::fs::write(img(12), png_declaring(100_000, 100_000)).unwrap();
    std::fs::OpenOptions::new().write(true).open(img(13)).unwrap().set_len(2 << 30).unwrap();
    std::fs::set_permissions(img(14), std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads a file whatever its mode: then the unreadable file is
    // audited by another user below.
    let unreadable = std::fs::read(img(14)).is_err();
    if !unreadable {
        std::fs::set_permissions(img(14), std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    let out = dropc_within_a_minute(&[
        "qa",
        dir.to_str().unwrap(),
        "--drop",
        example("pixel-pets").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let (findings, doc) = findings_of(&out);
    let mut expected = vec![
        ("image_unreadable", "token 5"),
        ("metadata_unreadable", "token 6"),
        ("image_unreadable", "token 7"),
        ("image_unreadable", "token 8"),
        ("image_unreadable", "token 9"),
        ("metadata_unreadable", "token 10"),
        ("image_unreadable", "token 11"),
        ("image_size", "token 12"),
        // The bomb's bytes are read (they are few) and hashed.
        ("provenance_hash", "token 12"),
        ("manifest_hash", "token 12"),
        ("image_unreadable", "token 13"),
    ];
    if unreadable {
        expected.push(("image_unreadable", "token 14"));
    }
    assert_eq!(findings, set(&expected), "{doc:#}");
    assert_eq!(out.status.code(), Some(1));
    assert!(message(&doc, "qa::image_unreadable", 5).contains("symbolic link"));
    assert!(message(&doc, "qa::metadata_unreadable", 6).contains("symbolic link"));
    assert!(message(&doc, "qa::image_unreadable", 8).contains("/dev/zero"));
    assert!(message(&doc, "qa::image_unreadable", 9).contains("not a regular file"));
    assert!(message(&doc, "qa::metadata_unreadable", 10).contains("not a regular file"));
    assert!(message(&doc, "qa::image_unreadable", 11).contains("folder"));
    assert!(message(&doc, "qa::image_size", 12).contains("100000 x 100000"));
    assert!(message(&doc, "qa::image_unreadable", 13).contains("2.0 GiB"));
    if unreadable {
        assert!(message(&doc, "qa::image_unreadable", 14).contains("ermission denied"));
    }
    // The report was written, with placeholders for what could not be read.
    assert!(dir.join("report.html").is_file());
    let _ = std::fs::set_permissions(img(14), std::fs::Permissions::from_mode(0o644));
    let _ = std::fs::remove_dir_all(&dir);
    if !unreadable {
        unreadable_file_audited_as_another_user();
    }
}

/// As root, a `chmod 000` file is still readable: the audit is run as
/// `nobody` (`setpriv`), as when another user audits a studio's folder.
/// Skipped, loudly, where that cannot be done.
#[cfg(unix)]
fn unreadable_file_audited_as_another_user() {
    use std::os::unix::fs::PermissionsExt as _;
    let skip = |why: &str| {
        eprintln!(
            "\n*** SKIPPED: the unreadable-file case of `hostile_files_are_errors_naming_their_token`: running as \
             root, where `chmod 000` does not stop reading, and {why} ***\n"
        );
    };
    let dir = fixture("pixel-pets", "hostile-unreadable");
    let image = dir.join("images/14.png");
    std::fs::set_permissions(&image, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut probe = Command::new("setpriv");
    probe.args(["--reuid=65534", "--regid=65534", "--clear-groups", "cat"]).arg(&image);
    match probe.output() {
        Err(e) => return skip(&format!("`setpriv` cannot be run ({e})")),
        Ok(out) if out.status.success() => return skip("`nobody` can read the file too"),
        Ok(out) if !String::from_utf8_lossy(&out.stderr).contains("ermission denied") => {
            return skip(&format!(
                "`setpriv` cannot run a command as `nobody`: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(_) => {}
    }
    let mut audit = Command::new("setpriv");
    audit
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_dropc"), "qa"])
        .arg(&dir)
        .arg("--drop")
        .arg(example("pixel-pets"))
        .args(["--format", "json", "--no-report"]);
    let out = within_a_minute(audit);
    let (findings, doc) = findings_of(&out);
    assert_eq!(findings, set(&[("image_unreadable", "token 14")]), "{doc:#}");
    assert_eq!(out.status.code(), Some(1));
    assert!(message(&doc, "qa::image_unreadable", 14).contains("ermission denied"), "{doc:#}");
    let _ = std::fs::set_permissions(&image, std::fs::Permissions::from_mode(0o644));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Folders and records that are links or not what they should be.
#[cfg(unix)]
#[test]
fn hostile_folders_and_records_are_errors() {
    use std::os::unix::fs::symlink;
    let dir = fixture("pixel-pets", "hostile-folders");
    // The extra size's folder is a link to another copy; `rarity.json` a
    // FIFO; `provenance.json` a link to `/dev/zero`; `manifest.json` a folder.
    let elsewhere = temp("hostile-elsewhere");
    copy_dir(&dir.join("images/512x512"), &elsewhere);
    std::fs::remove_dir_all(dir.join("images/512x512")).unwrap();
    symlink(&elsewhere, dir.join("images/512x512")).unwrap();
    std::fs::remove_file(dir.join("rarity.json")).unwrap();
    assert!(Command::new("mkfifo").arg(dir.join("rarity.json")).status().unwrap().success());
    std::fs::remove_file(dir.join("provenance.json")).unwrap();
    symlink("/dev/zero", dir.join("provenance.json")).unwrap();
    std::fs::remove_file(dir.join("manifest.json")).unwrap();
    std::fs::create_dir(dir.join("manifest.json")).unwrap();
    let out = dropc_within_a_minute(&[
        "qa",
        dir.to_str().unwrap(),
        "--drop",
        example("pixel-pets").to_str().unwrap(),
        "--format",
        "json",
        "--no-report",
    ]);
    let (findings, doc) = findings_of(&out);
    assert_eq!(
        findings,
        set(&[
            ("missing_image", "file images/512x512/"),
            ("unreadable_record", "file rarity.json"),
            ("unreadable_record", "file provenance.json"),
            ("unreadable_record", "file manifest.json"),
        ]),
        "{doc:#}"
    );
    assert_eq!(out.status.code(), Some(1));
    let text = doc.to_string();
    assert!(text.contains("`images/512x512` is a symbolic link"), "{doc:#}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&elsewhere);
}

/// A tampered `collection.json` naming a secret (absolute, or climbing out
/// of a folder it names) as the `.drop`, and art outside the project: qa
/// opens none of them, says so, and audits with the `.drop` beside the
/// folder.
#[test]
fn a_tampered_collection_json_is_data() {
    let project = temp("tampered-project");
    copy_dir(example("pixel-pets").parent().unwrap(), &project);
    let secret = temp("tampered-secret");
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::write(secret.join("shadow"), "root:TOP-SECRET-HASH:19000:0:99999:7:::\n").unwrap();
    std::fs::write(secret.join("shadow.drop"), "root:TOP-SECRET-HASH:19000:0:99999:7:::\n").unwrap();
    let dir = project.join("out");
    copy_dir(base("pixel-pets"), &dir);
    for (source_path, why) in [
        (secret.join("shadow").to_str().unwrap().to_string(), "absolute"),
        ("../layers/../../tampered-secret/shadow.drop".to_string(), "climbs"),
        ("../../tampered-secret/shadow".to_string(), "`.drop`"),
    ] {
        let mut summary = read_json(&dir.join("collection.json"));
        summary["inputs"]["source_path"] = json!(source_path);
        summary["inputs"]["art"]["/etc/shadow"] = json!("0".repeat(64));
        write_json(&dir.join("collection.json"), &summary);
        for format in ["json", "human"] {
            let out = dropc_within_a_minute(&["qa", dir.to_str().unwrap(), "--format", format, "--no-report"]);
            let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(!all.contains("TOP-SECRET"), "{source_path}: {all}");
            assert_eq!(out.status.code(), Some(1), "{source_path}: {all}");
            if format == "json" {
                let (findings, doc) = findings_of(&out);
                assert_eq!(findings, set(&[("collection_record", "file collection.json")]), "{source_path}: {doc:#}");
                let messages: Vec<&str> =
                    doc["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
                assert!(messages.iter().any(|m| m.contains(why) && m.contains("not used")), "{messages:?}");
                assert!(messages.iter().any(|m| m.contains("`/etc/shadow`")), "{messages:?}");
            }
        }
    }
    // A recorded path that resolves to a file that is not a `.drop` (a link
    // named like one): refused before it is read.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(secret.join("shadow"), project.join("evil.drop")).unwrap();
        let mut summary = read_json(&dir.join("collection.json"));
        summary["inputs"]["source_path"] = json!("../evil.drop");
        write_json(&dir.join("collection.json"), &summary);
        let out = dropc_within_a_minute(&["qa", dir.to_str().unwrap(), "--no-report"]);
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!all.contains("TOP-SECRET"), "{all}");
        assert_eq!(out.status.code(), Some(2), "{all}");
        assert!(all.contains("not a `.drop` file"), "{all}");
    }
    let _ = std::fs::remove_dir_all(&project);
    let _ = std::fs::remove_dir_all(&secret);
}

/// `manifest.json`: a key that is not the token's (`manifest_key`), a token
/// left out and a document that is not a manifest (`manifest_record`), and
/// one written by another version of dropc (a warning: keys unchecked).
#[test]
fn manifest_keys_and_records() {
    let dir = fixture("pixel-pets", "manifest");
    let path = dir.join("manifest.json");
    let original = read_json(&path);
    let mut manifest = original.clone();
    manifest["tokens"]["3"]["key"] = json!("0".repeat(64));
    manifest["tokens"].as_object_mut().unwrap().remove("4");
    write_json(&path, &manifest);
    let (code, findings, doc) = audit(&dir, &example("pixel-pets"));
    assert_eq!(findings, set(&[("manifest_key", "token 3"), ("manifest_record", "file manifest.json")]), "{doc:#}");
    assert_eq!(code, 1);
    assert!(doc.to_string().contains("4 missing"), "{doc:#}");

    write_json(&path, &json!({"dropc_version": "0.1.0", "tokens": 5}));
    let (code, findings, doc) = audit(&dir, &example("pixel-pets"));
    assert_eq!(findings, set(&[("manifest_record", "file manifest.json")]), "{doc:#}");
    assert!(doc.to_string().contains("is not a dropc manifest"), "{doc:#}");
    assert_eq!(code, 1);

    let mut manifest = original;
    manifest["dropc_version"] = json!("0.0.1");
    manifest["tokens"]["3"]["key"] = json!("0".repeat(64));
    write_json(&path, &manifest);
    let (code, findings, doc) = audit(&dir, &example("pixel-pets"));
    assert_eq!(findings, set(&[("manifest_version", "file manifest.json")]), "{doc:#}");
    assert_eq!(doc["findings"][0]["severity"], "warning");
    assert_eq!(code, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `tokens.json` of another collection, another seed, naming a variant that
/// does not exist (`tokens_record`); ids missing, outside the range and
/// twice (`token_ids`).
#[test]
fn tokens_record_and_ids() {
    let dir = fixture("pixel-pets", "tokens-record");
    let path = dir.join("tokens.json");
    let original = read_json(&path);
    let mut tokens = original.clone();
    tokens["collection"] = json!("Pixel Pests");
    tokens["seed"] = json!("another-seed");
    tokens["tokens"][2]["variants"][1] = json!("Dragon");
    write_json(&path, &tokens);
    let (code, findings, doc) = audit(&dir, &example("pixel-pets"));
    // The unknown variant leaves token 3 out of the record's tokens, which
    // the manifest, the rarity and the counts then disagree with.
    assert_eq!(
        findings,
        set(&[
            ("tokens_record", "file tokens.json"),
            ("tokens_record", "token 3"),
            ("draw_mismatch", "file tokens.json"),
            ("manifest_record", "file manifest.json"),
            ("rarity_record", "file rarity.json"),
            ("collection_record", "file collection.json"),
        ]),
        "{doc:#}"
    );
    let text = doc.to_string();
    for phrase in ["`Pixel Pests`", "`another-seed`", "`Body.Dragon`"] {
        assert!(text.contains(phrase), "{phrase} in {doc:#}");
    }
    assert_eq!(code, 1);

    // Token 64 renumbered 65; token 2 listed twice.
    let mut tokens = original;
    tokens["tokens"][63]["id"] = json!(65);
    let second = tokens["tokens"][1].clone();
    tokens["tokens"].as_array_mut().unwrap().push(second);
    write_json(&path, &tokens);
    let (code, findings, doc) = audit(&dir, &example("pixel-pets"));
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "qa::token_ids")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{doc:#}");
    assert!(ids.iter().any(|m| m.contains("lacks ids 64 of 1..=64")), "{ids:?}");
    assert!(ids.iter().any(|m| m.contains("has ids 65 outside 1..=64")), "{ids:?}");
    assert!(ids.iter().any(|m| m.contains("lists ids 2 more than once")), "{ids:?}");
    assert!(findings.contains(&("qa::token_ids".into(), "file tokens.json".into())));
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An art file changed since the run, its pixels the same (bytes after
/// `IEND`): `art_changed`, a warning. An art file cut short: the inputs
/// audit's `unreadable_art`, and no image can be checked against its
/// metadata (`parity_unchecked`).
#[test]
fn changed_and_missing_art() {
    let project = temp("art-project");
    copy_dir(example("pixel-pets").parent().unwrap(), &project);
    let drop = project.join("pets.drop");
    let dir = project.join("out");
    let run = dropc(&["run", drop.to_str().unwrap(), "-o", dir.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let cat = project.join("layers/Body/Cat.png");
    let mut bytes = std::fs::read(&cat).unwrap();
    bytes.extend_from_slice(b"trailing bytes");
    std::fs::write(&cat, &bytes).unwrap();
    let (code, findings, doc) = audit(&dir, &drop);
    assert_eq!(findings, set(&[("art_changed", "file layers/Body/Cat.png")]), "{doc:#}");
    assert_eq!(code, 0);

    // Cut short: its header still reads (`check` passes), its pixels do not.
    std::fs::write(&cat, &bytes[..bytes.len() / 2]).unwrap();
    let (code, findings, doc) = audit(&dir, &drop);
    assert_eq!(
        findings,
        set(&[
            ("unreadable_art", "file layers/Body/Cat.png"),
            ("art_changed", "file layers/Body/Cat.png"),
            ("parity_unchecked", "collection"),
        ]),
        "{doc:#}"
    );
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&project);
}

/// `resize nearest` downscaling (32 to 12 and 20: one pixel kept of each
/// block, thin lines lost) is what `dropc run` writes, not a mismatch; a
/// thumbnail of another token still is.
#[test]
fn nearest_downscales_are_no_size_mismatch() {
    let project = temp("nearest-project");
    copy_dir(example("pixel-pets").parent().unwrap(), &project);
    let drop = project.join("pets.drop");
    let source = std::fs::read_to_string(&drop).unwrap();
    let smaller = source.replace("sizes       512 ", "sizes       12, 20 ");
    assert_ne!(smaller, source);
    std::fs::write(&drop, smaller).unwrap();
    let dir = project.join("out");
    let run = dropc(&["run", drop.to_str().unwrap(), "-o", dir.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let (code, findings, doc) = audit(&dir, &drop);
    assert_eq!(findings, set(&[]), "{doc:#}");
    assert_eq!(code, 0);
    std::fs::copy(dir.join("images/20x20/4.png"), dir.join("images/20x20/3.png")).unwrap();
    let (_, findings, doc) = audit(&dir, &drop);
    // The manifest's hash of the copy at that size no longer holds either.
    assert_eq!(findings, set(&[("size_mismatch", "token 3"), ("manifest_hash", "token 3")]), "{doc:#}");
    let _ = std::fs::remove_dir_all(&project);
}

/// A folder written with `--no-images` passes when what it holds is right,
/// says what was not audited, and still catches edited metadata and images
/// or records of images that should not be there.
#[test]
fn a_no_images_folder_is_audited_for_what_it_holds() {
    let dir = temp("no-images");
    let drop = example("pixel-pets");
    let run = dropc(&["run", drop.to_str().unwrap(), "-o", dir.to_str().unwrap(), "--no-images"]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let (code, findings, doc) = audit(&dir, &drop);
    assert_eq!(findings, set(&[]), "{doc:#}");
    assert_eq!(code, 0);
    assert!(doc["not_audited"][0].as_str().unwrap().contains("--no-images"), "{doc:#}");
    let human = dropc(&["qa", dir.to_str().unwrap(), "--drop", drop.to_str().unwrap(), "--no-report"]);
    assert!(String::from_utf8_lossy(&human.stderr).contains("qa: not audited: images"));

    let mut meta = read_json(&dir.join("metadata/3.json"));
    meta["description"] = json!("edited");
    write_json(&dir.join("metadata/3.json"), &meta);
    std::fs::create_dir_all(dir.join("images")).unwrap();
    std::fs::copy(base("pixel-pets").join("images/1.png"), dir.join("images/1.png")).unwrap();
    std::fs::copy(base("pixel-pets").join("provenance.json"), dir.join("provenance.json")).unwrap();
    let (code, findings, doc) = audit(&dir, &drop);
    assert_eq!(
        findings,
        set(&[("metadata_field", "token 3"), ("extra_file", "file images/"), ("extra_file", "file provenance.json"),]),
        "{doc:#}"
    );
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every extra size is audited against the manifest: an image swapped for
/// another token's (`manifest_hash` at that size, and it no longer looks
/// like its canvas image), a size key that is not the canvas key resized as
/// the `.drop` says (`manifest_key`), a size an entry lacks and a size the
/// `.drop` does not have (`manifest_record`), and `collection.json` listing
/// other sizes than the `.drop` (`collection_record`).
#[test]
fn extra_sizes_are_audited_against_the_manifest() {
    let dir = fixture("pixel-pets", "sized-manifest");
    std::fs::copy(dir.join("images/512x512/4.png"), dir.join("images/512x512/3.png")).unwrap();
    let path = dir.join("manifest.json");
    let mut manifest = read_json(&path);
    manifest["tokens"]["5"]["sizes"]["512x512"]["key"] = json!("0".repeat(64));
    manifest["tokens"]["6"]["sizes"].as_object_mut().unwrap().remove("512x512");
    manifest["tokens"]["7"]["sizes"]["64x64"] = manifest["tokens"]["7"]["sizes"]["512x512"].clone();
    write_json(&path, &manifest);
    let mut summary = read_json(&dir.join("collection.json"));
    summary["sizes"] = json!(["512x512", "64x64"]);
    write_json(&dir.join("collection.json"), &summary);
    let (code, findings, doc) = audit(&dir, &example("pixel-pets"));
    assert_eq!(
        findings,
        set(&[
            ("manifest_hash", "token 3"),
            ("size_mismatch", "token 3"),
            ("manifest_key", "token 5"),
            ("manifest_record", "file manifest.json"),
            ("collection_record", "file collection.json"),
        ]),
        "{doc:#}"
    );
    let text = doc.to_string();
    for phrase in ["`images/512x512/3.png` has SHA-256", "at 512x512", "no `512x512` image for tokens 6", "`64x64`"] {
        assert!(text.contains(phrase), "{phrase} in {doc:#}");
    }
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&dir);
}
