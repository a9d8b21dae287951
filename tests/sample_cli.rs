//! `dropc simulate` and `dropc run --no-images` through the real binary.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::process::Command;

fn dropc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap()
}

const EXAMPLES: [&str; 3] =
    ["examples/neon-apes/apes.drop", "examples/pixel-pets/pets.drop", "examples/solana-sprites/sprites.drop"];

#[test]
fn simulate_json_has_shares_and_combinations() {
    for file in EXAMPLES {
        let out = dropc(&["simulate", file, "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", String::from_utf8_lossy(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let traits = doc["traits"].as_array().unwrap();
        assert!(!traits.is_empty());
        for t in traits {
            let vs = t["variants"].as_array().unwrap();
            let sum: f64 = vs.iter().map(|v| v["predicted"].as_f64().unwrap()).sum();
            assert!((sum - 1.0).abs() < 1e-9, "{file}: {}", t["name"]);
            let declared: f64 = vs.iter().map(|v| v["declared"].as_f64().unwrap()).sum();
            assert!((declared - 1.0).abs() < 1e-9);
        }
        assert!(doc["combinations"].as_u64().unwrap() > 0, "{file}");
    }
}

#[test]
fn simulate_human_flags_distorted_variants() {
    let out = dropc(&["simulate", "examples/neon-apes/apes.drop"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Gold") && text.contains('!'), "{text}");
    assert!(text.contains("count Headwear.Crown = 8: can hold"), "{text}");
}

#[test]
fn simulate_reports_errors_with_exit_1() {
    let dir = tempfile::Builder::new().prefix("dropc-sim-").tempdir().unwrap();
    let file = dir.path().join("bad.drop");
    std::fs::write(&file, "collection \"B\" { size 10 canvas 8 x 8 }\ntrait A < x: 1 >\n").unwrap();
    let out = dropc(&["simulate", file.to_str().unwrap(), "--no-art", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["diagnostics"][0]["code"].as_str().unwrap().contains("size_infeasible"));
}

#[test]
fn run_no_images_writes_identical_metadata_whatever_the_jobs() {
    for file in EXAMPLES {
        let base = tempfile::Builder::new().prefix("dropc-run-").tempdir().unwrap();
        let (a, b) = (base.path().join("a"), base.path().join("b"));
        for (dir, jobs) in [(&a, "1"), (&b, "4")] {
            let out = dropc(&["run", file, "--no-images", "-o", dir.to_str().unwrap(), "--jobs", jobs]);
            assert_eq!(out.status.code(), Some(0), "{file}: {}", String::from_utf8_lossy(&out.stderr));
        }
        let model = dropc::check::check_text(
            &std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap(),
            &dropc::check::NoArt,
        )
        .model
        .unwrap();
        let s = &model.settings;
        for id in s.first_id..s.first_id + s.size {
            let name = format!("metadata/{id}.json");
            let x = std::fs::read(a.join(&name)).unwrap();
            assert_eq!(x, std::fs::read(b.join(&name)).unwrap(), "{file} {name}");
            let doc: serde_json::Value = serde_json::from_slice(&x).unwrap();
            assert!(doc["name"].is_string() && doc["image"].as_str().unwrap().contains(&id.to_string()));
            for attr in doc["attributes"].as_array().unwrap() {
                assert_ne!(attr["value"], "none");
                assert!(attr["trait_type"] != "Shadow", "hidden traits stay out of metadata");
            }
        }
        assert_eq!(std::fs::read(a.join("tokens.json")).unwrap(), std::fs::read(b.join("tokens.json")).unwrap());
    }
}

#[test]
fn run_renders_every_token_identically_whatever_the_jobs() {
    let base = tempfile::Builder::new().prefix("dropc-run-images-").tempdir().unwrap();
    let (a, b) = (base.path().join("a"), base.path().join("b"));
    for (dir, jobs) in [(&a, "1"), (&b, "2")] {
        let out = dropc(&["run", "examples/pixel-pets/pets.drop", "-o", dir.to_str().unwrap(), "--jobs", jobs]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut files = 0;
    for sub in ["images", "images/512x512", "metadata"] {
        let mut names: Vec<_> = std::fs::read_dir(a.join(sub)).unwrap().flatten().map(|e| e.file_name()).collect();
        names.sort();
        let pngs = names
            .iter()
            .filter(|n| n.to_string_lossy().ends_with(".png") || n.to_string_lossy().ends_with(".json"))
            .count();
        assert_eq!(pngs, 64, "{sub}: one file per token");
        for name in names.iter().filter(|n| !a.join(sub).join(n).is_dir()) {
            files += 1;
            assert_eq!(
                std::fs::read(a.join(sub).join(name)).unwrap(),
                std::fs::read(b.join(sub).join(name)).unwrap(),
                "{sub}/{name:?}"
            );
        }
    }
    assert_eq!(files, 3 * 64);
    // Provenance commits to the images as written; rarity ranks every token.
    let provenance: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("provenance.json")).unwrap()).unwrap();
    let images = provenance["images"].as_array().unwrap();
    assert_eq!(images.len(), 64);
    let first = dropc::publish::provenance::sha256_hex(&std::fs::read(a.join("images/1.png")).unwrap());
    assert_eq!(images[0]["id"], 1);
    assert_eq!(images[0]["sha256"], first.as_str());
    let concatenated: String = images.iter().map(|i| i["sha256"].as_str().unwrap()).collect();
    assert_eq!(provenance["concatenated"], concatenated.as_str());
    assert_eq!(provenance["provenance"], dropc::publish::provenance::sha256_hex(concatenated.as_bytes()).as_str());
    let rarity: serde_json::Value = serde_json::from_slice(&std::fs::read(a.join("rarity.json")).unwrap()).unwrap();
    assert_eq!(rarity.as_array().unwrap().len(), 64);
    assert_eq!(rarity[0]["rank"], 1);
    for name in ["provenance.json", "rarity.json", "collection.json"] {
        assert_eq!(std::fs::read(a.join(name)).unwrap(), std::fs::read(b.join(name)).unwrap(), "{name}");
    }
    // Canvas size, the extra size, and an sRGB chunk.
    for (path, size) in [(a.join("images/1.png"), 32), (a.join("images/512x512/1.png"), 512)] {
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (size, size));
        assert!(info.srgb.is_some(), "{path:?} has an sRGB chunk");
    }
}

#[test]
fn run_into_an_unwritable_folder_is_an_io_error() {
    let out = dropc(&["run", "examples/pixel-pets/pets.drop", "-o", "/proc/dropc-cannot-write-here"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
}

#[test]
fn run_refuses_a_folder_holding_another_collection_unless_forced() {
    let tmp = tempfile::Builder::new().prefix("dropc-run-force-").tempdir().unwrap();
    let base = tmp.path().join("out");
    let dir = base.to_str().unwrap();
    let first = dropc(&["run", "examples/pixel-pets/pets.drop", "--no-images", "-o", dir]);
    assert_eq!(first.status.code(), Some(0));
    // The same collection again: fine.
    assert_eq!(dropc(&["run", "examples/pixel-pets/pets.drop", "--no-images", "-o", dir]).status.code(), Some(0));
    // Another collection: refused, nothing touched.
    let before = std::fs::read(base.join("collection.json")).unwrap();
    let other = dropc(&["run", "examples/solana-sprites/sprites.drop", "--no-images", "-o", dir]);
    assert_eq!(other.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("another collection"),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    assert_eq!(std::fs::read(base.join("collection.json")).unwrap(), before);
    // Forced: written.
    let forced = dropc(&["run", "examples/solana-sprites/sprites.drop", "--no-images", "--force", "-o", dir]);
    assert_eq!(forced.status.code(), Some(0));
    assert_ne!(std::fs::read(base.join("collection.json")).unwrap(), before);
    // A folder of unrelated files is refused too.
    let stranger = base.join("stranger");
    std::fs::create_dir_all(&stranger).unwrap();
    std::fs::write(stranger.join("notes.txt"), "mine").unwrap();
    let out = dropc(&["run", "examples/pixel-pets/pets.drop", "--no-images", "-o", stranger.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}
