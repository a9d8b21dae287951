//! Conditional art (`art` inside `when`), end to end on the bundled example
//! `examples/match-monsters`: reference renders of the tokens it changes,
//! pixels checked against the art by hand, the draw itself untouched by it,
//! the incremental key of a token's image following it, and `dropc qa`
//! (parity included) clean on a run.
//!
//! The reference images (`tests/ref/expected/when-*.png`) are opaque pixel
//! art: compositing them is exact whatever the blending arithmetic. After an
//! intended change, regenerate them with
//!
//! ```text
//! DROPC_UPDATE_REFS=1 cargo test --test conditional_art
//! ```
//!
//! and look at the new images before committing them.

// Tests may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use dropc::check::{DiskArt, NoArt, check_text};
use dropc::model::{ArtSource, Compression, Model, VariantId};
use dropc::png::decode;
use dropc::render::{Image, Renderer, encode_png};
use dropc::sample::{Token, sample};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/match-monsters")
}

fn source() -> String {
    std::fs::read_to_string(example().join("monsters.drop")).unwrap()
}

fn model_of(text: &str) -> Model {
    let checked = check_text(text, &DiskArt { root: example() });
    checked.model.unwrap_or_else(|| panic!("the example does not check: {:#?}", checked.diagnostics))
}

/// Variant indices for a token given as variant names in trait order
/// (Background, Body, Hair, Head, Eyes).
fn token(model: &Model, names: [&str; 5]) -> Vec<usize> {
    model
        .traits
        .iter()
        .zip(names)
        .map(|(t, n)| t.variants.iter().position(|v| &*v.name == n).unwrap_or_else(|| panic!("no `{}.{n}`", t.name)))
        .collect()
}

/// Reference cases: a Zombie's long hair from its own file, a Zombie's short
/// hair recoloured by `art Hair hue 120`, a Robot's helmet from its own
/// file, and the same hair and helmet without the conditions.
const CASES: &[(&str, [&str; 5])] = &[
    ("when-zombie-long-hair", ["Day", "Zombie", "Long", "none", "Normal"]),
    ("when-zombie-short-hair-hue", ["Day", "Zombie", "Short", "Cap", "Laser"]),
    ("when-robot-helmet", ["Dusk", "Robot", "Short", "Helmet", "Normal"]),
    ("when-ape-long-hair-own", ["Day", "Ape", "Long", "none", "Normal"]),
    ("when-gold-helmet-own", ["Dusk", "Gold", "Short", "Helmet", "Normal"]),
];

fn ref_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ref/expected")
}

fn compare(name: &str, image: &Image) -> Result<(), String> {
    let path = ref_dir().join(format!("{name}.png"));
    if std::env::var_os("DROPC_UPDATE_REFS").is_some_and(|v| v != "0") {
        std::fs::write(&path, encode_png(image, Compression::Small).unwrap()).unwrap();
        return Ok(());
    }
    let bytes = std::fs::read(&path)
        .map_err(|e| format!("{name}: cannot read {} ({e}); run with DROPC_UPDATE_REFS=1", path.display()))?;
    let expected = decode::decode_bytes(&bytes).map_err(|e| format!("{name}: {e}"))?;
    let differing = image.as_raw().chunks_exact(4).zip(expected.rgba.chunks_exact(4)).filter(|(a, b)| a != b).count();
    if (expected.width, expected.height) != image.dimensions() || differing > 0 {
        return Err(format!("{name}: {differing} pixels differ from the reference"));
    }
    Ok(())
}

#[test]
fn reference_images_of_conditional_art() {
    let model = model_of(&source());
    let renderer = Renderer::new(&model, &example()).unwrap();
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|(name, names)| compare(name, &renderer.render(&token(&model, *names)).unwrap()).err())
        .collect();
    assert!(failures.is_empty(), "reference mismatches:\n{}", failures.join("\n"));
}

fn art(path: &str) -> Vec<u8> {
    decode::decode_bytes(&std::fs::read(example().join("layers").join(path)).unwrap()).unwrap().rgba
}

/// Where `layer` is opaque, `image` shows it (it is the top layer there).
fn shows(image: &Image, layer: &[u8]) -> bool {
    image.as_raw().chunks_exact(4).zip(layer.chunks_exact(4)).all(|(got, want)| want[3] < 255 || got == want)
}

#[test]
fn each_token_draws_the_art_its_conditions_select() {
    let model = model_of(&source());
    let renderer = Renderer::new(&model, &example()).unwrap();
    let render = |names| renderer.render(&token(&model, names)).unwrap();
    // Long hair: the Zombie's own file on a Zombie, the plain file on an Ape.
    let zombie = render(["Day", "Zombie", "Long", "none", "Normal"]);
    let ape = render(["Day", "Ape", "Long", "none", "Normal"]);
    assert!(shows(&zombie, &art("Hair/Long-zombie.png")), "a Zombie's long hair is `Hair/Long-zombie.png`");
    assert!(!shows(&zombie, &art("Hair/Long.png")));
    assert!(shows(&ape, &art("Hair/Long.png")), "an Ape's long hair is its own");
    // Short hair on a Zombie: its own art with the hue rotated by 120 degrees.
    let mut green = art("Hair/Short.png");
    dropc::model::recolour::recolour(&mut green, &dropc::model::Recolour::Hue(120.0));
    let zombie_short = render(["Day", "Zombie", "Short", "none", "Normal"]);
    assert!(shows(&zombie_short, &green), "a Zombie's short hair is recoloured");
    assert!(!shows(&zombie_short, &art("Hair/Short.png")));
    // The helmet: the antenna on a Robot only.
    let robot = render(["Day", "Robot", "none", "Helmet", "Normal"]);
    let gold = render(["Day", "Gold", "none", "Helmet", "Normal"]);
    assert!(shows(&robot, &art("Head/Helmet-robot.png")));
    assert!(shows(&gold, &art("Head/Helmet.png")) && !shows(&gold, &art("Head/Helmet-robot.png")));
    // The model says so too.
    let t = token(&model, ["Day", "Zombie", "Long", "none", "Normal"]);
    let hair = VariantId { trait_id: 2, index: t[2] };
    assert!(matches!(model.art_source(|x| t[x], hair), ArtSource::When { .. }));
    let t = token(&model, ["Day", "Ape", "Long", "none", "Normal"]);
    assert_eq!(model.art_source(|x| t[x], VariantId { trait_id: 2, index: t[2] }), ArtSource::Own);
}

/// The example without its `art` lines.
fn without_art(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with("art ")).collect::<Vec<_>>().join("\n")
}

#[test]
fn conditional_art_changes_pixels_only() {
    let with = model_of(&source());
    let plain_text = without_art(&source());
    assert_ne!(plain_text, source());
    let without = model_of(&plain_text);
    // The same tokens, variant for variant: the distribution, counts and
    // uniqueness ignore the art.
    assert_eq!(sample(&with, "s").unwrap(), sample(&without, "s").unwrap());
    assert_eq!(dropc::plan::predicted_shares(&with).unwrap(), dropc::plan::predicted_shares(&without).unwrap());
    // And the checker's answers (no art needed for them).
    let a = check_text(&source(), &NoArt).feasibility.unwrap();
    let b = check_text(&plain_text, &NoArt).feasibility.unwrap();
    assert_eq!(a.combinations, b.combinations);
}

fn key(model: &Model, names: [&str; 5], art: &BTreeMap<PathBuf, String>) -> String {
    let variants: Vec<u32> = token(model, names).into_iter().map(|v| v as u32).collect();
    dropc::publish::manifest::token_key(model, Token::Generated { id: 1, variants: &variants }, art)
}

#[test]
fn conditional_art_is_an_input_of_the_image_key() {
    let model = model_of(&source());
    let paths = dropc::publish::provenance::art_paths(&model);
    let zombie_hair = PathBuf::from("layers/Hair/Long-zombie.png");
    assert!(paths.contains(&zombie_hair), "conditional art is read and hashed: {paths:?}");
    let hashes: BTreeMap<PathBuf, String> = paths.iter().map(|p| (p.clone(), "a".to_string())).collect();
    let mut edited = hashes.clone();
    edited.insert(zombie_hair, "b".to_string());
    let zombie = ["Day", "Zombie", "Long", "none", "Normal"];
    let ape = ["Day", "Ape", "Long", "none", "Normal"];
    assert_ne!(key(&model, zombie, &hashes), key(&model, zombie, &edited), "the Zombie's image depends on the file");
    assert_eq!(key(&model, ape, &hashes), key(&model, ape, &edited), "the Ape's does not");
    // A recolouring edited in the `.drop`: only the tokens it applies to change.
    let other = model_of(&source().replace("art Hair hue 120", "art Hair hue 90"));
    let short = ["Day", "Zombie", "Short", "none", "Normal"];
    assert_ne!(key(&model, short, &hashes), key(&other, short, &hashes));
    assert_eq!(key(&model, ape, &hashes), key(&other, ape, &hashes));
}

#[test]
fn a_run_passes_qa_with_parity() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let drop = example().join("monsters.drop");
    let dropc =
        |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).env("NO_COLOR", "1").output().unwrap();
    let run = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let qa = dropc(&["qa", out.to_str().unwrap(), "--drop", drop.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&qa.stderr);
    assert_eq!(qa.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("no findings"), "{stderr}");
    // A Zombie with long hair was drawn from the Zombie's file.
    let tokens: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("tokens.json")).unwrap()).unwrap();
    let model = model_of(&source());
    let renderer = Renderer::new(&model, &example()).unwrap();
    let mut compared = 0;
    for t in tokens["tokens"].as_array().unwrap() {
        let names: Vec<&str> = t["variants"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        if names[1] != "Zombie" {
            continue;
        }
        let id = t["id"].as_u64().unwrap();
        let image = decode::decode_bytes(&std::fs::read(out.join(format!("images/{id}.png"))).unwrap()).unwrap();
        let want = renderer.render(&token(&model, names.try_into().unwrap())).unwrap();
        assert_eq!(&image.rgba, want.as_raw(), "token {id}");
        compared += 1;
    }
    assert!(compared > 0, "no Zombie drawn");
}
