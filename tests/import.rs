//! `dropc import`: the real example layer sets of HashLips and
//! nftchef/art-engine (small downscaled subsets in `tests/data/import/`, see
//! its README for their origin and licence) become `.drop` files that check
//! with no errors, and rendering them gives, token by token, the pixels the
//! engine's own layering gives. The expected images are composited here by a
//! straightforward source-over compositor, from the files each engine's
//! documented rules draw (written out by hand below, not taken from the
//! importer).

// Tests may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn dropc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).current_dir(dir).output().expect("dropc runs")
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("data").join("import").join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fresh copy of a layer set in a temporary folder.
/// (removed when dropped, even if the test panics).
fn project(set: &str, test: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix(&format!("dropc-import-{test}-")).tempdir().unwrap();
    copy_dir(&data(set), dir.path());
    dir
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn rgba(path: &Path) -> image::RgbaImage {
    image::open(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display())).to_rgba8()
}

/// Source-over, straight alpha, in floating point.
fn composite(layers: &[PathBuf], (w, h): (u32, u32)) -> Vec<[f64; 4]> {
    let mut out = vec![[0.0f64; 4]; (w * h) as usize];
    for layer in layers {
        let img = rgba(layer);
        assert_eq!(img.dimensions(), (w, h), "{}", layer.display());
        for (i, p) in img.pixels().enumerate() {
            let sa = f64::from(p[3]) / 255.0;
            let d = out[i];
            let oa = sa + d[3] * (1.0 - sa);
            let mut o = [0.0; 4];
            for c in 0..3 {
                o[c] = if oa == 0.0 { 0.0 } else { (f64::from(p[c]) / 255.0 * sa + d[c] * d[3] * (1.0 - sa)) / oa };
            }
            o[3] = oa;
            out[i] = o;
        }
    }
    out
}

/// Compares dropc's image with the expected composite (within rounding).
fn assert_pixels(image: &Path, expected: &[[f64; 4]], what: &str) {
    let img = rgba(image);
    let mut worst = 0.0f64;
    for (p, e) in img.pixels().zip(expected) {
        // Colours compared premultiplied: what is seen, over any background
        // (an 8-bit colour at alpha 3/255 is rounding noise).
        let a = f64::from(p[3]) / 255.0;
        worst = worst.max((a - e[3]).abs() * 255.0);
        for c in 0..3 {
            worst = worst.max((f64::from(p[c]) / 255.0 * a - e[c] * e[3]).abs() * 255.0);
        }
    }
    // dropc composites in 8 bits per layer: rounding adds up over a stack.
    assert!(worst <= 3.0, "{what}: {} differs from the engine's layering by up to {worst:.1} levels", image.display());
}

/// Imports, checks, renders `size` tokens at the canvas size only; returns each token's variants.
fn import_and_run(dir: &Path, engine: &str, size: u32) -> (String, Vec<(u64, Vec<String>)>) {
    let output = dropc(&["import", engine, "layers", "-o", "imported.drop"], dir);
    assert!(output.status.success(), "import failed:\n{}", text(&output));
    assert!(text(&output).contains("checks with no errors"), "{}", text(&output));
    let written = fs::read_to_string(dir.join("imported.drop")).unwrap();
    let check = dropc(&["check", "imported.drop", "--format", "json"], dir);
    assert!(check.status.success(), "the imported file does not check:\n{}\n{written}", text(&check));
    let tokens = run_resized(dir, &written, size, "");
    (written, tokens)
}

/// Runs `written` with `size` tokens, no extra output size and `extra` lines
/// appended; returns each token's variants.
fn run_resized(dir: &Path, written: &str, size: u32, extra: &str) -> Vec<(u64, Vec<String>)> {
    let mut bigger: String = written
        .lines()
        .filter(|l| !l.trim_start().starts_with("sizes"))
        .map(|l| if l.trim_start().starts_with("size ") { format!("    size {size}") } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n");
    bigger.push('\n');
    bigger.push_str(extra);
    fs::write(dir.join("many.drop"), bigger).unwrap();
    let run = dropc(&["run", "many.drop", "-o", "out"], dir);
    assert!(run.status.success(), "run failed:\n{}", text(&run));
    let tokens: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("out").join("tokens.json")).unwrap()).unwrap();
    tokens["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let id = t["id"].as_u64().unwrap();
            let variants = t["variants"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
            (id, variants)
        })
        .collect()
}

#[test]
fn hashlips_example_layers() {
    let tmp = project("hashlips", "hashlips");
    let dir = tmp.path().to_path_buf();
    let (written, tokens) = import_and_run(&dir, "hashlips", 40);

    // Traits in `layersOrder` (src/config.js), weights from the file names,
    // `Goo` (not in layersOrder) left out and said so.
    let order = ["Background", "Eyeball", "\"Eye color\"", "Iris", "Shine", "\"Bottom lid\"", "\"Top lid\""];
    let mut at = 0;
    for name in order {
        let found = written[at..]
            .find(&format!("trait {name} "))
            .unwrap_or_else(|| panic!("no trait {name} in order:\n{written}"));
        at += found;
    }
    assert!(written.contains("trait Eyeball < Red: 50, White: 50 >"), "{written}");
    assert!(written.contains("    Yellow: 10,"), "{written}");
    assert!(written.contains("trait Iris < Large: 20, Medium: 20, Small: 60 >"), "{written}");
    assert!(written.contains("Not imported (not in the layer order): `Goo`"), "{written}");
    assert!(written.lines().any(|l| l.split_whitespace().eq(["layers", "\"layers\""])), "{written}");
    assert!(written.starts_with("// Imported by `dropc import hashlips` from `layers`"), "{written}");
    assert!(written.contains("size        10"), "growEditionSizeTo is 10:\n{written}");

    // HashLips draws one file per layer, in layersOrder, source-over: the file
    // of a variant is the one whose name up to `#` is the variant's.
    let layers = ["Background", "Eyeball", "Eye color", "Iris", "Shine", "Bottom lid", "Top lid"];
    let file_of = |layer: &str, variant: &str| -> PathBuf {
        let folder = dir.join("layers").join(layer);
        let matches: Vec<PathBuf> = fs::read_dir(&folder)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_stem().unwrap().to_str().unwrap().split('#').next() == Some(variant))
            .collect();
        assert_eq!(matches.len(), 1, "{layer}/{variant}");
        matches[0].clone()
    };
    assert_eq!(tokens.len(), 40);
    for (id, variants) in &tokens {
        let files: Vec<PathBuf> = layers.iter().zip(variants).map(|(l, v)| file_of(l, v)).collect();
        let expected = composite(&files, (64, 64));
        assert_pixels(
            &dir.join("out").join("images").join(format!("{id}.png")),
            &expected,
            &format!("token {id} {variants:?}"),
        );
    }
}

/// What nftchef/art-engine draws for each variant of its example layers, by
/// its documented rules (src/main.js, documentation/readme/): a weighted
/// folder draws every file it holds without a weight, in name order; `NONE`
/// draws nothing; `z<N>,` gives the file (or the folder's files) depth N, 0
/// without. Layer, variant (the engine's attribute value) → (depth, file).
fn nftchef_files(layer: &str, variant: &str) -> Vec<(i32, &'static str)> {
    match (layer, variant) {
        ("Background", "coulds") => vec![(0, "Background/coulds#5.png")],
        ("Background", "stars") => vec![(0, "Background/stars#5.png")],
        ("Background", "swirl") => vec![(0, "Background/swirl#5.png")],
        ("Back Accessory", "Backpack") => {
            vec![
                (0, "Back Accessory/Backpack#50/1backpack-lines.png"),
                (0, "Back Accessory/Backpack#50/backpack-FILL.png"),
            ]
        }
        ("Back Accessory", "rockets") => vec![(0, "Back Accessory/rockets#40.png")],
        ("Head", "faceA") => vec![(0, "Head/faceA#3.png")],
        ("Head", "faceB") => vec![(0, "Head/faceB#3.png")],
        ("Clothes", "Shirt three") => {
            vec![(0, "Clothes/Shirt three#44/3shadow.png"), (0, "Clothes/Shirt three#44/shirt-FILL.png")]
        }
        ("Clothes", "floral") => vec![(0, "Clothes/floral#30.png")],
        ("Clothes", "gray tee") => vec![(0, "Clothes/gray tee#30.png")],
        ("Clothes", "shirt one ") => vec![(0, "Clothes/shirt one #3.png")],
        ("Clothes", "shirt two") => vec![(0, "Clothes/shirt two#3.png")],
        ("Eyes", "happy") => vec![(1, "Eyes/z1,eye#50/happy#50/eye2.png")],
        ("Eyes", "normal") => vec![(1, "Eyes/z1,eye#50/normal#50/eye1.png")],
        ("Eyes", "star eyes") => vec![(1, "Eyes/z1,star eyes#30.png")],
        ("Hair", "bluehair") => vec![(1, "Hair/z1,Hair#20/bluehair#50.png")],
        ("Hair", "purplehair") => vec![(1, "Hair/z1,Hair#20/purplehair#50.png")],
        ("Accessory", "Space Helmet") => vec![(0, "Accessory/Helmet#10/Helmet.png")],
        ("Accessory", "MetallicShades") => vec![(0, "Accessory/MetallicShades#1.png")],
        ("Accessory", "none") => vec![],
        ("Accessory", "Purple Glasses") => vec![
            (-10, "Accessory/Purple Glasses#25/z-10,Glasses back.png"),
            (0, "Accessory/Purple Glasses#25/Glasses front.png"),
        ],
        ("Shirt Accessories", "Golden Sakura") => vec![(0, "Shirt Accessories/Golden Sakura#1.png")],
        ("Shirt Accessories", "GOLDEN NECKLACE") => vec![(0, "Shirt Accessories/gold chain#40.png")],
        ("Shirt Accessories", "nametag") => vec![(0, "Shirt Accessories/nametag#40.png")],
        _ => panic!("the engine has no variant {variant:?} in {layer}"),
    }
}

#[test]
fn nftchef_example_layers() {
    let tmp = project("nftchef", "nftchef");
    let dir = tmp.path().to_path_buf();
    let (written, tokens) = import_and_run(&dir, "nftchef", 120);

    // Nested weighted folders flattened, weights multiplied: `z1,eye#50`
    // holds happy#50 and normal#50 beside `z1,star eyes#30`.
    for line in [
        "    happy:       25 \"Eyes/z1,eye#50/happy#50/eye2.png\" above \"Shirt Accessories\",",
        "    \"star eyes\": 30 \"Eyes/z1,star eyes#30.png\" above \"Shirt Accessories\",",
        "    \"Purple Glasses\":  25 [\"Accessory/Purple Glasses#25/z-10,Glasses back.png\" below Background, \"Accessory/Purple Glasses#25/Glasses front.png\"],",
        "    none:             100,  // `Accessory/NONE#100.png`",
        "    \"Space Helmet\":    10 \"Accessory/Helmet#10/Helmet.png\",",
        "    \"GOLDEN NECKLACE\": 40 \"Shirt Accessories/gold chain#40.png\",",
        "    rockets:  40,",
        "collection \"Series 2\" {",
    ] {
        assert!(written.contains(line), "missing {line:?} in:\n{written}");
    }
    assert!(written.contains("`faceA` and `faceB` draw identical pixels"), "{written}");

    // The engine draws a token's files sorted by depth, then by layer
    // (layersOrder), then in the folder's order.
    let layers = ["Background", "Back Accessory", "Head", "Clothes", "Eyes", "Hair", "Accessory", "Shirt Accessories"];
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (id, variants) in &tokens {
        let mut files: Vec<(i32, usize, usize, &str)> = Vec::new();
        for (l, (layer, variant)) in layers.iter().zip(variants).enumerate() {
            for (k, (z, file)) in nftchef_files(layer, variant).into_iter().enumerate() {
                files.push((z, l, k, file));
            }
            *seen.entry(format!("{layer}/{variant}")).or_default() += 1;
        }
        files.sort();
        let paths: Vec<PathBuf> = files.iter().map(|f| dir.join("layers").join(f.3)).collect();
        let expected = composite(&paths, (64, 64));
        assert_pixels(
            &dir.join("out").join("images").join(format!("{id}.png")),
            &expected,
            &format!("token {id} {variants:?}"),
        );
    }
    for needed in
        ["Accessory/Purple Glasses", "Back Accessory/Backpack", "Clothes/Shirt three", "Eyes/happy", "Accessory/none"]
    {
        assert!(seen.contains_key(needed), "no token drew {needed}: the test covers too little");
    }
}

/// nftchef's `incompatible` and `forcedCombinations` become `forbid` and
/// `require` rules that every generated token keeps; where the engine itself
/// would ignore an entry (a key after the layers it names), the import says so.
#[test]
fn nftchef_incompatible_and_forced_combinations_become_rules() {
    let tmp = project("nftchef", "rules");
    let dir = tmp.path().to_path_buf();
    let config = dir.join("src").join("config.js");
    let js = fs::read_to_string(&config).unwrap();
    let js = js.replacen(
        "const incompatible = {",
        "const incompatible = {\n  \"gray tee\": [\"Backpack\"],\n  happy: [\"Helmet\"],\n  faceA: [\"stars\"],\n  nobody: [\"stars\"],",
        1,
    );
    let js = js.replacen(
        "const forcedCombinations = {",
        "const forcedCombinations = {\n  floral: [\"MetallicShades\", \"Golden Sakura\"],\n  \"star eyes\": [\"Purple Glasses\"],",
        1,
    );
    fs::write(&config, js).unwrap();
    let output = dropc(&["import", "nftchef", "layers", "-o", "imported.drop"], &dir);
    let said = text(&output);
    assert!(output.status.success(), "{said}");
    for warning in [
        "`incompatible` of `faceA` names `stars` in `Background`, a layer drawn before `Head`: the engine ignores it there, dropc enforces it",
        "`incompatible` names `nobody`, which no weighted file or folder is called",
    ] {
        assert!(said.contains(warning), "missing warning {warning:?} in:\n{said}");
    }
    let written = fs::read_to_string(dir.join("imported.drop")).unwrap();
    for line in [
        "forbid Clothes.\"gray tee\" with \"Back Accessory\".Backpack",
        // The key is a nested pick (`z1,eye#50/happy#50`), the name a folder whose value is overridden.
        "forbid Eyes.happy with Accessory.\"Space Helmet\"",
        "forbid Head.faceA with Background.stars",
        "require Clothes.floral -> Accessory.MetallicShades",
        "require Clothes.floral -> \"Shirt Accessories\".\"Golden Sakura\"",
        "require Eyes.\"star eyes\" -> Accessory.\"Purple Glasses\"",
    ] {
        assert!(written.contains(line), "missing {line:?} in:\n{written}");
    }
    // Forced picks are rare by weight: counts make the sample show them.
    let counts = "count Clothes.floral = 3\ncount Eyes.\"star eyes\" >= 5\ncount Clothes.\"gray tee\" >= 5\ncount Eyes.happy >= 5\n";
    let tokens = run_resized(&dir, &written, 40, counts);
    let of = |variants: &[String], layer: usize| variants[layer].clone();
    // Layer order: Background, Back Accessory, Head, Clothes, Eyes, Hair, Accessory, Shirt Accessories.
    for (id, v) in &tokens {
        let bad = (of(v, 3) == "gray tee" && of(v, 1) == "Backpack")
            || (of(v, 4) == "happy" && of(v, 6) == "Space Helmet")
            || (of(v, 2) == "faceA" && of(v, 0) == "stars")
            || (of(v, 3) == "floral" && (of(v, 6) != "MetallicShades" || of(v, 7) != "Golden Sakura"))
            || (of(v, 4) == "star eyes" && of(v, 6) != "Purple Glasses");
        assert!(!bad, "token {id} breaks an imported rule: {v:?}");
    }
    assert_eq!(tokens.iter().filter(|(_, v)| of(v, 3) == "floral").count(), 3);
}

#[test]
fn order_flag_alphabetical_default_and_refusals() {
    let tmp = project("hashlips", "order");
    let dir = tmp.path().to_path_buf();
    fs::remove_dir_all(dir.join("src")).unwrap();
    // No config.js: alphabetical, and said so.
    let output = dropc(&["import", "hashlips", "layers"], &dir);
    assert!(output.status.success(), "{}", text(&output));
    let written = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(written.contains("Layer order alphabetical"), "{written}");
    let background = written.find("trait Background").unwrap();
    let bottom = written.find("trait \"Bottom lid\"").unwrap();
    let goo = written.find("trait Goo").unwrap();
    assert!(background < bottom && bottom < goo, "{written}");

    // --order picks and orders the layers.
    let output = dropc(&["import", "hashlips", "layers", "--order", "Background,Eyeball,Iris", "-o", "x.drop"], &dir);
    assert!(output.status.success(), "{}", text(&output));
    let written = fs::read_to_string(dir.join("x.drop")).unwrap();
    assert!(written.contains("Layer order from `--order`"), "{written}");
    assert!(written.contains("`Bottom lid`, `Eye color`, `Goo`, `Shine`, `Top lid`"), "{written}");
    assert_eq!(written.matches("\ntrait ").count(), 3, "{written}");

    // An existing file is kept without --force.
    let again = dropc(&["import", "hashlips", "layers", "--order", "Background", "-o", "x.drop"], &dir);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert_eq!(fs::read_to_string(dir.join("x.drop")).unwrap(), written);
    let forced = dropc(&["import", "hashlips", "layers", "--order", "Background", "-o", "x.drop", "--force"], &dir);
    assert!(forced.status.success(), "{}", text(&forced));

    // A layer that is not a folder; a folder that does not exist; a .drop outside.
    let bad = dropc(&["import", "hashlips", "layers", "--order", "Background,Nope"], &dir);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(text(&bad).contains("the layer `Nope`"), "{}", text(&bad));
    let missing = dropc(&["import", "nftchef", "no-such-folder"], &dir);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    let outside = dropc(&["import", "hashlips", "layers", "-o", "layers/Background/x.drop"], &dir);
    assert_eq!(outside.status.code(), Some(2), "{}", text(&outside));
    assert!(text(&outside).contains("is outside"), "{}", text(&outside));
}

#[test]
fn default_art_finds_weighted_file_names() {
    // Without explicit paths, `Blue` is `Blue#5.png`, `Green` is `Green.png`
    // (beside `Green#3.png`), `Gold` is `Gold#Rare.png`; `Red` has two: ambiguous.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/art/weighted.drop");
    let text = fs::read_to_string(&fixture).unwrap().replace(", Red: 50", "");
    let art = dropc::check::DiskArt { root: fixture.parent().unwrap().to_path_buf() };
    let checked = dropc::check_text(&text, &art);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let model = checked.model.unwrap();
    let t = &model.traits[0];
    let paths: Vec<String> = (0..t.variants.len())
        .map(|v| match t.own_files(v) {
            Some(files) => files[0].path.display().to_string(),
            None => panic!("{:?}", t.variants[v].art),
        })
        .collect();
    assert_eq!(
        paths,
        ["weighted-layers/Eyes/Blue#5.png", "weighted-layers/Eyes/Green.png", "weighted-layers/Eyes/Gold#Rare.png"]
    );
    // Without art (`--no-art`) nothing is looked up.
    let checked = dropc::check_text(&text, &dropc::check::NoArt);
    assert!(!checked.has_errors());
}
