//! `unique visually` and identical art: `check` counts looks with the very
//! key the sampler uses, judged against enumeration of every combination;
//! a size equal to the looks is generated with every token looking
//! different, one more is refused.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dropc::model::{Model, VariantId};

use dropc::check::{DiskArt, check_text};
use dropc::diagnostic::Code;
use dropc::sample::sample;

fn art() -> DiskArt {
    DiskArt { root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/art") }
}

/// Whether a combination of every trait is allowed: positive weight (under
/// any `when` that applies), every `forbid` and `require` holds.
fn allowed(model: &Model, row: &[usize]) -> bool {
    for (t, tr) in model.traits.iter().enumerate() {
        let mut weight = tr.variants[row[t]].weight;
        for w in &model.whens {
            if w.conditions.contains(&row[w.condition_trait]) {
                if let Some((_, ws)) = w.overrides.iter().find(|(o, _)| *o == t) {
                    weight = ws[row[t]];
                }
            }
        }
        if weight <= 0.0 {
            return false;
        }
    }
    let has = |v: VariantId| row[v.trait_id] == v.index;
    model.forbids.iter().all(|f| !f.variants.iter().all(|&v| has(v)))
        && model.requires.iter().all(|r| !has(r.when) || r.alternatives.iter().any(|&a| has(a)))
}

/// Distinct visual keys on the unique traits, by enumeration.
fn brute_force_looks(model: &Model) -> usize {
    let visibility = model.visibility.as_deref().unwrap();
    let domains: Vec<usize> = model.traits.iter().map(|t| t.variants.len()).collect();
    let mut row = vec![0usize; domains.len()];
    let mut keys = BTreeSet::new();
    let mut key = Vec::new();
    loop {
        if allowed(model, &row) {
            let values: Vec<u32> = model.unique.iter().map(|&t| row[t] as u32).collect();
            visibility.key(&model.unique, &values, &mut key);
            keys.insert(key.clone());
        }
        let mut t = 0;
        loop {
            if t == domains.len() {
                return keys.len();
            }
            row[t] += 1;
            if row[t] < domains[t] {
                break;
            }
            row[t] = 0;
            t += 1;
        }
    }
}

fn source(size: u64, rules: &str) -> String {
    format!(
        "collection \"Looks\" {{ size {size} canvas 8 x 8 seed \"s\" layers \"visual-layers\" }}\n\
         trait Background < Blue: 1, Red: 1, Navy: 1 \"Background/Blue.png\" >\n\
         trait Eyes < Normal: 3, Laser: 1, Cyber: 1, Twin: 1 \"Eyes/Normal.png\" >\n\
         trait Head < none: 2, Cap: 1, Helmet: 1, Visor: 1 \"Head/Helmet.png\" >\n\
         {rules}\n"
    )
}

/// Rules that change which looks exist, each with `unique visually`.
const CASES: &[&str] = &[
    "unique visually",
    "unique visually\nforbid Eyes.Laser with Head.Cap",
    "unique visually\nforbid Head.Helmet with Background.Red, Background.Navy",
    "unique visually\nrequire Eyes.Twin -> Head.Helmet | Head.Visor",
    "unique visually by Eyes, Head",
    "unique visually by Background, Eyes",
    "unique visually\nwhen Background.Red { Eyes < Laser: 1 > }",
    "unique visually\nforbid Eyes.Normal with Head.none\nforbid Eyes.Twin with Head.Cap",
    // Conditional art: resolved in the key.
    "unique visually\nwhen Background.Red { art Eyes.Laser \"Eyes/Normal.png\" }",
    "unique visually\nwhen Background.Red { art Eyes.Twin \"Eyes/Laser.png\" }",
    "unique visually\nwhen Background.Red { art Head.Cap \"Head/Helmet.png\" }",
    "unique visually\nwhen Background.Navy { art Head.Helmet \"Head/Cap.png\" }",
    "unique visually\nwhen Background.Red | Background.Navy { art Eyes hue 180 }",
    "unique visually by Background, Eyes\nwhen Background.Red { art Head.Cap \"Head/Helmet.png\" }",
    "unique visually by Eyes, Head\nwhen Eyes.Laser { art Head.Visor \"Head/Cap.png\" }",
    "unique visually\nwhen Head.Visor { art Eyes.Twin \"Eyes/Cyber.png\" }\nforbid Head.Visor with Background.Blue",
];

#[test]
fn check_counts_looks_as_enumeration_does_and_the_sampler_agrees() {
    for rules in CASES {
        // A size of 1 checks whatever the number of looks: learn it.
        let checked = check_text(&source(1, rules), &art());
        let model = checked.model.unwrap_or_else(|| panic!("{rules}: {:?}", checked.diagnostics));
        let looks = brute_force_looks(&model);
        assert!(looks > 1, "{rules}");

        // `size` = looks: accepted, and generated with every token looking different.
        let checked = check_text(&source(looks as u64, rules), &art());
        let model =
            checked.model.unwrap_or_else(|| panic!("{rules}: {looks} looks refused: {:?}", checked.diagnostics));
        let tokens = sample(&model, "s").unwrap_or_else(|e| panic!("{rules}: {e}"));
        let visibility = model.visibility.as_deref().unwrap();
        let mut seen = BTreeSet::new();
        let mut key = Vec::new();
        for (_, row) in tokens.generated() {
            let values: Vec<u32> = model.unique.iter().map(|&t| row[t]).collect();
            visibility.key(&model.unique, &values, &mut key);
            assert!(seen.insert(key.clone()), "{rules}: two tokens look the same");
        }
        assert_eq!(seen.len(), looks, "{rules}");

        // One more: refused, saying these are looks.
        let checked = check_text(&source(looks as u64 + 1, rules), &art());
        let refusal = checked
            .diagnostics
            .iter()
            .find(|d| d.code == Code::SizeInfeasible)
            .unwrap_or_else(|| panic!("{rules}: size {} accepted", looks + 1));
        assert!(refusal.message.contains(&format!("only {looks} different looks")), "{rules}: {}", refusal.message);
    }
}

#[test]
fn identical_art_is_one_look_and_a_warning_naming_both_variants() {
    let checked = check_text(&source(1, "unique visually"), &art());
    let warnings: Vec<&str> =
        checked.diagnostics.iter().filter(|d| d.code == Code::IdenticalArt).map(|d| d.message.as_str()).collect();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings.iter().any(|w| w.starts_with("`Eyes.Normal` and `Eyes.Twin` draw identical art")));
    assert!(warnings.iter().any(|w| w.starts_with("`Head.Helmet` and `Head.Visor` draw identical art")));
    let model = checked.model.unwrap();
    let v = model.visibility.as_deref().unwrap();
    let eyes = model.traits.iter().position(|t| t.name == "Eyes").unwrap();
    assert_eq!(v.same_as(VariantId { trait_id: eyes, index: 3 }), 0, "Twin shows as Normal");
}

#[test]
fn without_unique_visually_identical_art_is_still_found() {
    let checked = check_text(&source(1, "unique"), &art());
    let w: Vec<_> = checked.diagnostics.iter().filter(|d| d.code == Code::IdenticalArt).collect();
    assert_eq!(w.len(), 3);
    let help = w[0].help.as_deref().unwrap();
    assert!(help.contains("`unique visually`") && help.contains("`unique by` cannot help"), "{help}");
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/art/visual-layers/Eyes/Normal.png").exists());
}

/// A project in a temporary folder with the identical-art fixture's files.
/// Removed when dropped, even if the test panics.
fn identical_project(name: &str, unique: &str) -> tempfile::TempDir {
    let tmp = tempfile::Builder::new().prefix(&format!("dropc-looks-{name}-")).tempdir().unwrap();
    let root = tmp.path();
    let art = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/art/identical-layers");
    for file in ["Face/a.png", "Shirt/one.png", "Shirt/three.png"] {
        std::fs::create_dir_all(root.join("layers").join(file).parent().unwrap()).unwrap();
        std::fs::copy(art.join(file), root.join("layers").join(file)).unwrap();
    }
    std::fs::write(
        root.join("faces.drop"),
        format!(
            "collection \"Faces\" {{ size 4 canvas 8 x 8 seed \"f\" }}\n\
             trait Shirt < One: 1 \"Shirt/one.png\", Three: 1 \"Shirt/three.png\" >\n\
             trait Face < faceA: 1 \"Face/a.png\", faceB: 1 \"Face/a.png\" >\n{unique}\n"
        ),
    )
    .unwrap();
    tmp
}

fn dropc(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).output().unwrap()
}

fn findings(output: &std::process::Output) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    doc["findings"].as_array().cloned().unwrap_or_default()
}

#[test]
fn qa_names_the_variants_whose_identical_art_makes_duplicate_images() {
    let tmp = identical_project("qa", "unique");
    let root = tmp.path().to_path_buf();
    let drop = root.join("faces.drop");
    // The input audit reports the identical art.
    let inputs = findings(&dropc(&["qa".as_ref(), drop.as_os_str(), "--format".as_ref(), "json".as_ref()]));
    let identical: Vec<_> = inputs.iter().filter(|f| f["code"] == "drop::identical_art").collect();
    assert_eq!(identical.len(), 1, "{inputs:#?}");
    assert!(identical[0]["message"].as_str().unwrap().starts_with("`Face.faceA` and `Face.faceB` draw identical art"));

    // 4 tokens, 2 looks: the run makes duplicate images, and qa says why.
    let out = root.join("out");
    let run = dropc(&["run".as_ref(), drop.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let output = findings(&dropc(&[
        "qa".as_ref(),
        out.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--no-report".as_ref(),
    ]));
    let duplicates: Vec<_> = output.iter().filter(|f| f["code"] == "qa::duplicate_image").collect();
    assert_eq!(duplicates.len(), 2, "{output:#?}");
    for d in duplicates {
        let message = d["message"].as_str().unwrap();
        assert!(message.contains("they differ only in `Face.faceA` / `Face.faceB`"), "{message}");
        let help = d["help"].as_str().unwrap();
        assert!(help.contains("`unique visually`") && help.contains("`unique by` cannot help"), "{help}");
    }

    // Under `unique visually` they are one look: 2 tokens fit, 4 do not.
    let tmp = identical_project("qa-visually", "unique visually");
    let root = tmp.path().to_path_buf();
    let check = dropc(&["check".as_ref(), root.join("faces.drop").as_os_str()]);
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stderr).contains("only 2 different looks exist"));
}

/// Conditional art that makes two combinations look the same, that tells
/// identical art apart, that covers or stops covering: cases where the
/// key's looks are exactly the different images (no cover by a union, no
/// recolouring that leaves pixels as they were).
const CONDITIONAL: &[&str] = &[
    // Red + Laser draws Normal's eyes: looks like Red + Normal.
    "unique visually\nwhen Background.Red { art Eyes.Laser \"Eyes/Normal.png\" }",
    // Twin draws what Normal draws, except on Red (wide eyes, wider than the helmet).
    "unique visually\nwhen Background.Red { art Eyes.Twin \"When/Eyes-wide.png\" }",
    // On Red the cap is a helmet, and hides the eyes.
    "unique visually\nwhen Background.Red { art Head.Cap \"Head/Helmet.png\" }",
    // On Navy the helmet is a cap, and hides nothing.
    "unique visually\nwhen Background.Navy { art Head.Helmet \"Head/Cap.png\" }",
    // Conditioned on a trait it covers.
    "unique visually\nwhen Eyes.Laser | Eyes.Cyber { art Head.Visor \"Head/Cap.png\" }",
];

/// The images of every allowed combination, rendered.
fn rendered_looks(model: &Model, root: &Path) -> BTreeSet<Vec<u8>> {
    let renderer = dropc::render::Renderer::new(model, root).unwrap();
    let domains: Vec<usize> = model.traits.iter().map(|t| t.variants.len()).collect();
    let mut row = vec![0usize; domains.len()];
    let mut images = BTreeSet::new();
    loop {
        if allowed(model, &row) {
            images.insert(renderer.render(&row).unwrap().as_raw().clone());
        }
        let mut t = 0;
        loop {
            if t == domains.len() {
                return images;
            }
            row[t] += 1;
            if row[t] < domains[t] {
                break;
            }
            row[t] = 0;
            t += 1;
        }
    }
}

#[test]
fn conditional_art_is_part_of_the_look_check_counts_and_the_sampler_keeps_apart() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/art");
    for rules in CONDITIONAL {
        let checked = check_text(&source(1, rules), &art());
        let model = checked.model.unwrap_or_else(|| panic!("{rules}: {:?}", checked.diagnostics));
        let looks = rendered_looks(&model, &root).len();
        assert_eq!(brute_force_looks(&model), looks, "{rules}: the key tells apart exactly the different images");

        let checked = check_text(&source(looks as u64, rules), &art());
        let model =
            checked.model.unwrap_or_else(|| panic!("{rules}: {looks} looks refused: {:?}", checked.diagnostics));
        let tokens = sample(&model, "s").unwrap_or_else(|e| panic!("{rules}: {e}"));
        let renderer = dropc::render::Renderer::new(&model, &root).unwrap();
        let mut images = BTreeSet::new();
        for (_, row) in tokens.generated() {
            let row: Vec<usize> = row.iter().map(|&v| v as usize).collect();
            assert!(images.insert(renderer.render(&row).unwrap().as_raw().clone()), "{rules}: a duplicate image");
        }

        let checked = check_text(&source(looks as u64 + 1, rules), &art());
        let refusal = checked.diagnostics.iter().find(|d| d.code == Code::SizeInfeasible);
        let refusal = refusal.unwrap_or_else(|| panic!("{rules}: size {} accepted", looks + 1));
        assert!(refusal.message.contains(&format!("only {looks} different looks")), "{rules}: {}", refusal.message);
    }
    // The numbers themselves, for the first two: without conditional art 14 looks (Navy is
    // drawn as Blue, Twin as Normal, Visor as Helmet: 2 backgrounds x (3 eyes x 2 heads that
    // show them + the helmet)).
    let count = |rules: &str| rendered_looks(&check_text(&source(1, rules), &art()).model.unwrap(), &root).len();
    assert_eq!(count("unique visually"), 14);
    assert_eq!(count(CONDITIONAL[0]), 12, "Red + Laser looks like Red + Normal under no head and under the cap");
    assert_eq!(count(CONDITIONAL[1]), 17, "Red + Twin, under each of the 3 heads, no longer looks like Red + Normal");
}

#[test]
fn conditional_art_on_a_condition_left_out_of_by_is_refused() {
    let rules = "unique visually by Eyes, Head\nwhen Background.Red { art Eyes.Laser \"Eyes/Normal.png\" }";
    let checked = check_text(&source(2, rules), &art());
    let d = checked.diagnostics.iter().find(|d| d.code == Code::VisualConditionalArt).expect("refused");
    assert!(d.message.contains("depends on `Background`"), "{}", d.message);
    assert!(d.help.as_deref().unwrap().contains("add `Background` to `unique visually by`"));
    // With the condition compared, accepted.
    let rules = "unique visually by Background, Eyes, Head\nwhen Background.Red { art Eyes.Laser \"Eyes/Normal.png\" }";
    assert!(check_text(&source(2, rules), &art()).model.is_some());
}

#[test]
fn a_run_of_conditional_art_under_unique_visually_has_no_duplicate_image() {
    let tmp = tempfile::Builder::new().prefix("dropc-looks-when-").tempdir().unwrap();
    let root = tmp.path();
    let from = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/art/visual-layers");
    for dir in ["Background", "Eyes", "Head"] {
        std::fs::create_dir_all(root.join("visual-layers").join(dir)).unwrap();
        for entry in std::fs::read_dir(from.join(dir)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), root.join("visual-layers").join(dir).join(entry.file_name())).unwrap();
        }
    }
    let rules = CONDITIONAL[0];
    let all = check_text(&source(1, rules), &DiskArt { root: root.to_path_buf() }).model.unwrap();
    let looks = rendered_looks(&all, root).len();
    let drop = root.join("looks.drop");
    std::fs::write(&drop, source(looks as u64, rules)).unwrap();
    let out = root.join("out");
    let run = dropc(&["run".as_ref(), drop.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let mut images = BTreeSet::new();
    for entry in std::fs::read_dir(out.join("images")).unwrap() {
        let path = entry.unwrap().path();
        let decoded = dropc::png::decode::decode_bytes(&std::fs::read(&path).unwrap()).unwrap();
        assert!(images.insert(decoded.rgba), "{} repeats an image", path.display());
    }
    assert_eq!(images.len(), looks);
    let qa = findings(&dropc(&[
        "qa".as_ref(),
        out.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--no-report".as_ref(),
    ]));
    assert!(!qa.iter().any(|f| f["code"] == "qa::duplicate_image" || f["code"] == "qa::visual_duplicate"), "{qa:#?}");
}
