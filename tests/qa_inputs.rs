//! Input audits (`dropc::qa::inputs`) and the sRGB conversion of art
//! (`dropc::qa::profiles`): each problem made on purpose in a small project
//! written to a temporary folder, with the exact finding it must give.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};

use dropc::model::Model;

use dropc::check::{DiskArt, NoArt, check_text};
use dropc::png::ColourSpace;
use dropc::qa::{Finding, Severity, Subject};

// ---------------------------------------------------------------------------
// Writing PNGs by hand, with any chunk before the pixels.

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend(kind);
    out.extend(data);
    out.extend(crc.sum().to_be_bytes());
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// An 8-bit RGBA PNG of `w × h` whose pixel `(x, y)` is `pixel(x, y)`, with `extra` chunks before IDAT.
fn png_with(w: u32, h: u32, pixel: impl Fn(u32, u32) -> [u8; 4], extra: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    for (kind, data) in extra {
        chunk(&mut out, kind, data);
    }
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0);
        for x in 0..w {
            raw.extend(pixel(x, y));
        }
    }
    chunk(&mut out, b"IDAT", &zlib(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

fn png(w: u32, h: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    png_with(w, h, pixel, &[])
}

/// An `iCCP` chunk holding `profile`.
fn iccp(name: &str, profile: &[u8]) -> (&'static [u8; 4], Vec<u8>) {
    let mut data = name.as_bytes().to_vec();
    data.extend([0, 0]);
    data.extend(zlib(profile));
    (b"iCCP", data)
}

fn display_p3() -> Vec<u8> {
    moxcms::ColorProfile::new_display_p3().encode().unwrap()
}

// ---------------------------------------------------------------------------
// Projects in temporary folders.

/// A project folder, removed when dropped (even if the test panics).
struct Project {
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Project {
    fn new(name: &str) -> Project {
        let dir = tempfile::Builder::new().prefix(&format!("dropc-qa-inputs-{name}-")).tempdir().unwrap();
        Project { root: dir.path().to_path_buf(), _dir: dir }
    }

    fn file(&self, path: &str, bytes: &[u8]) -> &Project {
        let full = self.root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
        self
    }

    /// The model of `source` checked without art (so that art the checker
    /// refuses still reaches the audit).
    fn model(&self, source: &str) -> Model {
        let checked = check_text(source, &NoArt);
        assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
        checked.model.unwrap()
    }

    fn audit(&self, source: &str) -> Vec<Finding> {
        dropc::qa::inputs::audit(&self.model(source), &self.root)
    }
}

fn file(path: &str) -> Subject {
    Subject::File { path: path.into() }
}

fn variant(t: &str, v: &str) -> Subject {
    Subject::Variant { trait_name: t.into(), variant: v.into() }
}

/// The (code, subject) of every finding, sorted.
fn codes(findings: &[Finding]) -> Vec<(&'static str, Subject)> {
    let mut out: Vec<_> = findings.iter().map(|f| (f.code.as_str(), f.subject.clone())).collect();
    out.sort();
    out
}

const CLEAR: [u8; 4] = [0, 0, 0, 0];

// ---------------------------------------------------------------------------
// Colour profiles and their conversion.

/// sRGB encoding of a linear value.
fn encode_srgb(l: f64) -> f64 {
    let l = l.clamp(0.0, 1.0);
    if l <= 0.003_130_8 { 12.92 * l } else { 1.055 * l.powf(1.0 / 2.4) - 0.055 }
}

fn decode_srgb(v: f64) -> f64 {
    if v <= 0.040_45 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
}

/// Display P3 (sRGB transfer, P3 primaries, D65) to sRGB, computed independently of moxcms.
fn p3_to_srgb(rgb: [u8; 3]) -> [f64; 3] {
    const M: [[f64; 3]; 3] =
        [[1.224_940_2, -0.224_940_2, 0.0], [-0.042_056_9, 1.042_056_9, 0.0], [-0.019_637_6, -0.078_636_0, 1.098_273_6]];
    let lin: Vec<f64> = rgb.iter().map(|&c| decode_srgb(f64::from(c) / 255.0)).collect();
    let mut out = [0.0; 3];
    for (o, row) in out.iter_mut().zip(M) {
        *o = 255.0 * encode_srgb(row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2]);
    }
    out
}

#[test]
fn a_display_p3_layer_is_recognised_and_converted_to_srgb() {
    let colours = [[200u8, 100, 50], [10, 200, 30], [128, 128, 128], [0, 0, 255], [250, 240, 10]];
    let p3 = png_with(
        colours.len() as u32,
        1,
        |x, _| {
            let c = colours[x as usize];
            [c[0], c[1], c[2], 40 + 50 * x as u8]
        },
        &[iccp("Display P3", &display_p3())],
    );
    let space = dropc::qa::profiles::colour_space(&p3).unwrap();
    assert!(matches!(&space, ColourSpace::Icc { name, .. } if name == "Display P3"), "{space:?}");
    assert!(space.needs_conversion());

    let converted = dropc::qa::profiles::convert_to_srgb(&p3).unwrap();
    assert_eq!(dropc::qa::profiles::colour_space(&converted).unwrap(), ColourSpace::Srgb);
    let decoded = dropc::png::decode_bytes(&converted).unwrap();
    assert_eq!((decoded.width, decoded.height), (colours.len() as u32, 1));
    for (x, (c, px)) in colours.iter().zip(decoded.rgba.chunks_exact(4)).enumerate() {
        let want = p3_to_srgb(*c);
        for k in 0..3 {
            assert!(
                (f64::from(px[k]) - want[k]).abs() <= 1.5,
                "P3 {c:?} became {px:?}, expected about {want:?} (channel {k})"
            );
        }
        assert_eq!(px[3], 40 + 50 * x as u8, "alpha is kept");
    }
}

#[test]
fn sixteen_bit_art_converts_at_sixteen_bits() {
    // One 16-bit RGBA pixel, P3 (200·257, 100·257, 50·257), alpha 0x1234.
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(1u32.to_be_bytes());
    ihdr.extend(1u32.to_be_bytes());
    ihdr.extend([16, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let (name, data) = iccp("Display P3", &display_p3());
    chunk(&mut out, name, &data);
    let mut raw = vec![0u8];
    for v in [200u16 * 257, 100 * 257, 50 * 257, 0x1234] {
        raw.extend(v.to_be_bytes());
    }
    chunk(&mut out, b"IDAT", &zlib(&raw));
    chunk(&mut out, b"IEND", &[]);

    let converted = dropc::qa::profiles::convert_to_srgb(&out).unwrap();
    let mut decoder = png::Decoder::new(std::io::Cursor::new(&converted));
    decoder.set_transformations(png::Transformations::IDENTITY);
    let mut reader = decoder.read_info().unwrap();
    assert_eq!(reader.info().bit_depth, png::BitDepth::Sixteen);
    assert!(reader.info().srgb.is_some() && reader.info().icc_profile.is_none());
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut buf).unwrap();
    let px: Vec<u16> = buf.chunks_exact(2).map(|s| u16::from_be_bytes([s[0], s[1]])).collect();
    let want = p3_to_srgb([200, 100, 50]);
    for k in 0..3 {
        assert!((f64::from(px[k]) / 257.0 - want[k]).abs() <= 1.0, "{px:?} vs {want:?}");
    }
    assert_eq!(px[3], 0x1234, "alpha is kept exactly");
}

#[test]
fn the_srgb_profile_photoshop_embeds_is_srgb() {
    let srgb = moxcms::ColorProfile::new_srgb().encode().unwrap();
    let bytes = png_with(2, 2, |_, _| [1, 2, 3, 255], &[iccp("sRGB IEC61966-2.1", &srgb)]);
    assert_eq!(dropc::qa::profiles::colour_space(&bytes).unwrap(), ColourSpace::Srgb);
    assert!(dropc::qa::profiles::convert_to_srgb(&bytes).is_err(), "nothing to convert from");
}

#[test]
fn fix_profiles_rewrites_the_p3_layer_and_keeps_the_original() {
    let p = Project::new("fix");
    let p3 = png_with(4, 4, |_, _| [200, 100, 50, 255], &[iccp("Display P3", &display_p3())]);
    p.file("layers/Body/Ape.png", &png(4, 4, |_, _| [9, 9, 9, 255]));
    p.file("layers/Body/Robot.png", &p3);
    let source = r#"collection "Fix" { size 2  canvas 4 x 4 }
trait Body < Ape: 1, Robot: 1 >"#;
    let checked = check_text(source, &DiskArt { root: p.root.clone() });
    assert!(checked.diagnostics.iter().any(|d| d.code.name() == "art_colour_profile"));

    let fixes = dropc::qa::profiles::fix_profiles(&p.model(source), &p.root);
    assert_eq!(fixes.len(), 1, "{fixes:?}");
    assert_eq!(fixes[0].path, Path::new("layers/Body/Robot.png"));
    assert_eq!(fixes[0].from, "ICC profile `Display P3`");
    assert_eq!(fixes[0].result, Ok(()));
    assert_eq!(std::fs::read(p.root.join("layers/Body/Robot.png.orig")).unwrap(), p3);
    let checked = check_text(source, &DiskArt { root: p.root.clone() });
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);

    // Once more: nothing left to convert.
    assert!(dropc::qa::profiles::fix_profiles(&p.model(source), &p.root).is_empty());
}

#[test]
fn dropc_qa_fix_profiles_converts_so_that_check_passes() {
    let p = Project::new("fix-cli");
    p.file("layers/Body/Ape.png", &png(4, 4, |_, _| [9, 9, 9, 255]));
    p.file("layers/Body/Robot.png", &png_with(4, 4, |_, _| [200, 100, 50, 255], &[iccp("Display P3", &display_p3())]));
    let drop = p.root.join("fix.drop");
    std::fs::write(&drop, "collection \"Fix\" { size 2  canvas 4 x 4 }\ntrait Body < Ape: 1, Robot: 1 >\n").unwrap();
    let dropc = |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).output().unwrap();
    let path = drop.to_str().unwrap();
    assert_eq!(dropc(&["check", path]).status.code(), Some(1), "a P3 layer is an error");
    let out = dropc(&["qa", "--fix-profiles", path]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("converted `layers/Body/Robot.png` from ICC profile `Display P3` to sRGB"), "{stderr}");
    assert!(p.root.join("layers/Body/Robot.png.orig").is_file());
    assert_eq!(dropc(&["check", path]).status.code(), Some(0));
    let out = dropc(&["qa", "--fix-profiles", path]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("every art file is already in sRGB"));
}

#[test]
fn a_p3_layer_and_a_gamma_only_layer_are_reported_with_their_files() {
    let p = Project::new("colour");
    p.file("layers/Body/Ape.png", &png(4, 4, |_, _| [9, 9, 9, 255]));
    p.file("layers/Body/Robot.png", &png(4, 4, |_, _| [9, 9, 10, 255]));
    p.file("layers/Body/Zombie.png", &png(4, 4, |_, _| [9, 10, 9, 255]));
    p.file(
        "layers/Eyes/P3.png",
        &png_with(4, 4, |x, _| if x == 1 { [200, 9, 9, 255] } else { CLEAR }, &[iccp("Display P3", &display_p3())]),
    );
    p.file(
        "layers/Eyes/Dim.png",
        &png_with(
            4,
            4,
            |x, _| if x == 2 { [9, 9, 200, 255] } else { CLEAR },
            &[(b"gAMA", 45455u32.to_be_bytes().to_vec())],
        ),
    );
    p.file("layers/Eyes/Round.png", &png(4, 4, |x, y| if (x, y) == (1, 1) { [0, 0, 0, 255] } else { CLEAR }));
    p.file("layers/Eyes/Wide.png", &png(4, 4, |x, y| if y == 1 && x < 3 { [0, 0, 0, 255] } else { CLEAR }));
    let findings = p.audit(
        r#"collection "C" { size 2  canvas 4 x 4 }
trait Body < Ape: 1, Robot: 1, Zombie: 1 >
trait Eyes < P3: 1, Dim: 1, Round: 1, Wide: 1 >"#,
    );
    assert_eq!(
        codes(&findings),
        vec![
            ("drop::art_colour_profile", file("layers/Eyes/P3.png")),
            ("drop::art_gamma", file("layers/Eyes/Dim.png")),
            // Most layers of `Eyes` are sRGB: the other two stand out.
            ("drop::mixed_colour_profiles", file("layers/Eyes/Dim.png")),
            ("drop::mixed_colour_profiles", file("layers/Eyes/P3.png")),
        ]
    );
    let p3 = findings.iter().find(|f| f.code == "drop::art_colour_profile").unwrap();
    assert_eq!(p3.severity, Severity::Error);
    assert_eq!(p3.message, "`layers/Eyes/P3.png` is in ICC profile `Display P3`, not sRGB");
    assert!(p3.help.contains("--fix-profiles"), "{}", p3.help);
    // `profiles ignore`: the author takes the numbers as sRGB; no colour finding, and check accepts it.
    let ignored = r#"collection "C" { size 2  canvas 4 x 4  profiles ignore }
trait Body < Ape: 1, Robot: 1, Zombie: 1 >
trait Eyes < P3: 1, Dim: 1, Round: 1, Wide: 1 >"#;
    assert_eq!(codes(&p.audit(ignored)), vec![]);
    let checked = check_text(ignored, &DiskArt { root: p.root.clone() });
    let seen: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(seen, vec!["drop::colour_profiles_ignored"], "{:#?}", checked.diagnostics);
    assert!(checked.diagnostics[0].message.contains("3 findings"), "{}", checked.diagnostics[0].message);
}

#[test]
fn a_corrupted_png_is_unreadable() {
    let p = Project::new("corrupt");
    let mut broken = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(4u32.to_be_bytes());
    ihdr.extend(4u32.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    chunk(&mut broken, b"IHDR", &ihdr);
    chunk(&mut broken, b"IDAT", b"these bytes are not zlib data at all");
    chunk(&mut broken, b"IEND", &[]);
    p.file("layers/Body/Ape.png", &png(4, 4, |_, _| [9, 9, 9, 255]));
    p.file("layers/Body/Broken.png", &broken);
    let source = r#"collection "C" { size 2  canvas 4 x 4 }
trait Body < Ape: 1, Broken: 1 >"#;
    // The header is fine, but `check` decodes the pixels as `run` will.
    let checked = check_text(source, &DiskArt { root: p.root.clone() });
    let messages: Vec<&str> = checked.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].starts_with("art `layers/Body/Broken.png` is not a valid PNG"), "{messages:?}");
    let findings = p.audit(source);
    assert_eq!(codes(&findings), vec![("qa::unreadable_art", file("layers/Body/Broken.png"))]);
    assert_eq!(findings[0].severity, Severity::Error);

    // A legendary's image (no layer of any trait) is decoded too.
    p.file("legendaries/one.png", &broken);
    let source = r#"collection "C" { size 2  canvas 4 x 4 }
trait Body < Ape: 1 >
legendary "One" "legendaries/one.png" { Body: Ape }"#;
    let checked = check_text(source, &DiskArt { root: p.root.clone() });
    let messages: Vec<&str> = checked.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].starts_with("art `legendaries/one.png` is not a valid PNG"), "{messages:?}");
    let findings = p.audit(source);
    assert_eq!(codes(&findings), vec![("qa::unreadable_art", file("legendaries/one.png"))]);
}

#[test]
fn a_fully_transparent_variant_draws_nothing() {
    let p = Project::new("transparent");
    p.file("layers/Body/Ape.png", &png(4, 4, |_, _| [9, 9, 9, 255]));
    p.file("layers/Hat/Cap.png", &png(4, 4, |x, y| if y == 0 && x < 3 { [0, 200, 0, 255] } else { CLEAR }));
    p.file("layers/Hat/Ghost.png", &png(4, 4, |_, _| [255, 255, 255, 0]));
    let findings = p.audit(
        r#"collection "C" { size 3  canvas 4 x 4 }
trait Body < Ape: 1 >
trait Hat < none: 1, Cap: 1, Ghost: 1, Faded: 1 "Hat/Cap.png" opacity 0 >"#,
    );
    assert_eq!(
        codes(&findings),
        vec![
            ("qa::transparent_variant", variant("Hat", "Faded")),
            ("qa::transparent_variant", variant("Hat", "Ghost")),
            // None, Ghost and Faded all show the bare ape.
            ("qa::visual_duplicate", Subject::Token { id: 1 }),
        ]
    );
    let faded = findings.iter().find(|f| f.subject == variant("Hat", "Faded")).unwrap();
    assert_eq!(faded.message, "`Hat.Faded` draws nothing: its opacity is 0");
}

#[test]
fn a_full_canvas_opaque_layer_above_the_bottom_hides_everything_below() {
    let p = Project::new("covering");
    p.file("layers/Background/Blue.png", &png(4, 4, |_, _| [0, 0, 255, 255]));
    p.file("layers/Background/Red.png", &png(4, 4, |_, _| [255, 0, 0, 255]));
    p.file("layers/Frame/Gold.png", &png(4, 4, |_, _| [255, 215, 0, 255]));
    let findings = p.audit(
        r#"collection "C" { size 2  canvas 4 x 4 }
trait Background < Blue: 1, Red: 1 >
trait Frame < Gold: 1 >"#,
    );
    assert_eq!(
        codes(&findings),
        vec![("qa::covering_layer", variant("Frame", "Gold")), ("qa::visual_duplicate", Subject::Token { id: 1 }),]
    );
    let covering = &findings.iter().find(|f| f.code == "qa::covering_layer").unwrap().message;
    assert!(covering.contains("(`Background`)"), "{covering}");
    // The bottom trait may be opaque: backgrounds are.
    let findings = p.audit(
        r#"collection "C" { size 2  canvas 4 x 4 }
trait Background < Blue: 1, Red: 1 >"#,
    );
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn content_pushed_outside_the_canvas_by_an_offset_is_reported() {
    let p = Project::new("outside");
    p.file("layers/Body/Ape.png", &png(8, 8, |_, _| [9, 9, 9, 255]));
    // A 4 x 4 drawing in the top-left corner of canvas-sized art, moved by (6, 6): 4 of 16 pixels remain.
    p.file("layers/Badge/Star.png", &png(8, 8, |x, y| if x < 4 && y < 4 { [255, 255, 0, 255] } else { CLEAR }));
    let findings = p.audit(
        r#"collection "C" { size 1  canvas 8 x 8 }
trait Body < Ape: 1 >
trait Badge < Star: 1 offset (6, 6) >"#,
    );
    assert_eq!(codes(&findings), vec![("qa::art_outside_canvas", variant("Badge", "Star"))]);
    assert_eq!(
        findings[0].message,
        "`Badge.Star`: `layers/Badge/Star.png` at offset (6, 6): 12 of its 16 visible pixels lie outside the canvas \
         and are cut off"
    );
}

// ---------------------------------------------------------------------------
// Occlusion and `unique visually`: tests/fixtures/art/visual.drop, where an
// opaque helmet hides the eyes.

fn visual_fixture() -> (PathBuf, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/art");
    let text = std::fs::read_to_string(root.join("visual.drop")).unwrap();
    (root, text)
}

/// The model of the visual fixture, with `unique` written as `unique_line` and `size`.
fn visual_model(unique_line: &str, size: u64) -> Model {
    let (root, text) = visual_fixture();
    let text = text.replace("unique visually", unique_line).replace("size   14", &format!("size   {size}"));
    let checked = check_text(&text, &DiskArt { root });
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    checked.model.unwrap()
}

/// How each generated token looks: its visual key on every trait.
fn looks(model: &Model, visibility: &dropc::model::Visibility, tokens: &dropc::Tokens) -> Vec<Vec<u32>> {
    let traits: Vec<usize> = (0..model.traits.len()).collect();
    tokens
        .generated()
        .map(|(_, row)| {
            let mut key = Vec::new();
            visibility.key(&traits, row, &mut key);
            key
        })
        .collect()
}

fn duplicated_tokens(looks: &[Vec<u32>]) -> usize {
    let mut count = std::collections::BTreeMap::<&Vec<u32>, usize>::new();
    for l in looks {
        *count.entry(l).or_default() += 1;
    }
    count.values().filter(|&&n| n > 1).sum()
}

#[test]
fn plain_unique_makes_visual_duplicates_that_qa_counts() {
    // 18 combinations but 14 looks: 16 tokens unique on names must repeat a look.
    let model = visual_model("unique", 16);
    assert!(model.visibility.is_none());
    let (root, _) = visual_fixture();
    let visibility = dropc::model::Visibility::compute(&model, &DiskArt { root: root.clone() }).unwrap();
    let tokens = dropc::sample(&model, &model.settings.seed).unwrap();
    let looks = looks(&model, &visibility, &tokens);
    let affected = duplicated_tokens(&looks);
    assert!(affected >= 3, "pigeonhole: 16 tokens in 14 looks, got {affected}");

    let findings = dropc::qa::inputs::audit(&model, &root);
    let occluded: Vec<&Finding> = findings.iter().filter(|f| f.code == "qa::occluded_variant").collect();
    assert_eq!(
        occluded.iter().map(|f| f.subject.clone()).collect::<Vec<_>>(),
        vec![variant("Eyes", "Cyber"), variant("Eyes", "Laser"), variant("Eyes", "Normal")]
    );
    for f in &occluded {
        let Subject::Variant { variant: eyes, .. } = &f.subject else { unreachable!() };
        let index = model.traits[1].variants.iter().position(|v| *v.name == **eyes).unwrap() as u32;
        let both = tokens.generated().filter(|(_, row)| row[1] == index && row[2] == 2).count();
        assert_eq!(
            f.message,
            format!(
                "`Eyes.{eyes}` is hidden by `Head.Helmet`, which the rules allow with it: {both} of the 16 \
                 generated tokens have both"
            )
        );
    }
    let duplicates: Vec<&Finding> = findings.iter().filter(|f| f.code == "qa::visual_duplicate").collect();
    assert!(!duplicates.is_empty());
    for f in &duplicates {
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message.contains(&format!("{affected} of the 16 generated tokens look like another")),
            "{}",
            f.message
        );
        assert!(f.message.contains("`Eyes` (hidden by `Head.Helmet`)"), "{}", f.message);
    }
    let grouped: usize = duplicates
        .iter()
        .map(|f| f.message.split(" tokens look identical").next().unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(grouped, affected);
    assert_eq!(codes(&findings).len(), occluded.len() + duplicates.len(), "{findings:#?}");
}

#[test]
fn unique_visually_never_makes_two_tokens_that_look_the_same() {
    // All 14 looks, from 18 combinations: the sampler must avoid every visual duplicate.
    let model = visual_model("unique visually", 14);
    let visibility = model.visibility.clone().expect("check attaches the relation");
    let (root, _) = visual_fixture();
    let tokens = dropc::sample(&model, &model.settings.seed).unwrap();
    let looks = looks(&model, &visibility, &tokens);
    assert_eq!(duplicated_tokens(&looks), 0);
    let findings = dropc::qa::inputs::audit(&model, &root);
    assert!(findings.iter().all(|f| f.code == "qa::occluded_variant"), "{findings:#?}");
    assert_eq!(findings.len(), 3);
    // Deterministic: the same tokens again.
    assert_eq!(dropc::sample(&model, &model.settings.seed).unwrap(), tokens);

    // A 15th token has no look left: `check` says so, in looks.
    let (root, text) = visual_fixture();
    let checked = check_text(&text.replace("size   14", "size   15"), &DiskArt { root });
    let refusal: Vec<&str> = checked.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.as_str()).collect();
    assert_eq!(refusal, ["the collection draws 15 tokens but only 14 different looks exist"]);
}

#[test]
fn unique_visually_holds_for_many_seeds_and_sizes() {
    for size in [6u64, 10, 13, 14] {
        let model = visual_model("unique visually", size);
        let visibility = model.visibility.clone().unwrap();
        for seed in 0..12 {
            let tokens = dropc::sample(&model, &format!("seed {seed}")).unwrap();
            assert_eq!(tokens.len() as u64, size);
            assert_eq!(duplicated_tokens(&looks(&model, &visibility, &tokens)), 0, "size {size}, seed {seed}");
        }
    }
}

#[test]
fn unique_visually_needs_the_art() {
    let (_, text) = visual_fixture();
    let checked = check_text(&text, &NoArt);
    assert!(checked.model.is_none());
    assert_eq!(checked.diagnostics.len(), 1, "{:#?}", checked.diagnostics);
    assert_eq!(checked.diagnostics[0].code.name(), "visual_needs_art");
}

// ---------------------------------------------------------------------------
// The bundled examples are clean.

#[test]
fn the_examples_give_no_findings() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for (dir, file) in [
        ("neon-apes", "apes.drop"),
        ("pixel-pets", "pets.drop"),
        ("solana-sprites", "sprites.drop"),
        ("match-monsters", "monsters.drop"),
    ] {
        let root = examples.join(dir);
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let checked = check_text(&text, &DiskArt { root: root.clone() });
        let model = checked.model.unwrap_or_else(|| panic!("{dir}: {:#?}", checked.diagnostics));
        let findings = dropc::qa::inputs::audit(&model, &root);
        assert!(
            findings.is_empty(),
            "{dir}:\n{}",
            dropc::qa::render_human(&findings, &Default::default(), "inputs", 0.0)
        );
    }
}

#[test]
fn visually_is_a_keyword_only_right_after_unique() {
    use dropc::syntax::Statement;
    let unique = |text: &str| {
        let file =
            dropc::parse(&format!("collection \"C\" {{ size 1  canvas 1 x 1 }}\ntrait visually < a: 1 >\n{text}"))
                .unwrap();
        let Some(Statement::Unique(u)) = file.statements.last() else { panic!("{text}: no unique") };
        let names: Option<Vec<String>> = u.node.traits.as_ref().map(|t| t.iter().map(|n| n.node.clone()).collect());
        (u.node.visually, names)
    };
    assert_eq!(unique("unique"), (false, None));
    assert_eq!(unique("unique visually"), (true, None));
    assert_eq!(unique("unique by visually"), (false, Some(vec!["visually".into()])));
    assert_eq!(unique("unique visually by visually"), (true, Some(vec!["visually".into()])));
    assert_eq!(unique("unique\n  visually\n  by visually"), (true, Some(vec!["visually".into()])));
}

/// A collection of metadata traits only: every token looks the same (an
/// empty canvas), one finding, whose line names the group's size and a few
/// ids, not all 2,000.
#[test]
fn a_metadata_only_collection_is_one_short_finding() {
    let p = Project::new("all-metadata");
    let variants = |prefix: &str, n: usize| (0..n).map(|i| format!("{prefix}{i}: 1")).collect::<Vec<_>>().join(", ");
    let source = format!(
        r#"collection "Cards" {{
    size 2000
    seed "cards"
    canvas 8 x 8
    name "Card #{{id}}"
    description "Cards."
    image "ipfs://CID/{{id}}.png"
}}
metadata trait Suit < {} >
metadata trait Rank < {} >
metadata trait Luck < {} >
"#,
        variants("S", 20),
        variants("R", 20),
        variants("L", 10)
    );
    let findings = p.audit(&source);
    let duplicates: Vec<&Finding> = findings.iter().filter(|f| f.code == "qa::visual_duplicate").collect();
    assert_eq!(duplicates.len(), 1, "{findings:#?}");
    let message = &duplicates[0].message;
    assert!(message.len() < 400, "{} bytes: {message}", message.len());
    assert!(message.starts_with("2000 tokens look identical (1, 2, 3, 4, 5, 6, 7, 8 and 1992 more)"), "{message}");
    assert!(message.contains("`Suit` (metadata only), `Rank` (metadata only), `Luck` (metadata only)"), "{message}");
}

#[test]
fn occlusion_follows_conditional_art() {
    // On a Robot the cap is drawn from the helmet's file (and hides the eyes)
    // and the helmet from the cap's (and hides nothing).
    let p = Project::new("when-occlusion");
    p.file("layers/Body/Ape.png", &png(4, 4, |_, _| [9, 9, 9, 255]));
    p.file("layers/Body/Robot.png", &png(4, 4, |_, _| [90, 90, 90, 255]));
    p.file("layers/Eyes/Laser.png", &png(4, 4, |x, y| if (x, y) == (1, 1) { [255, 0, 0, 255] } else { CLEAR }));
    p.file("layers/Head/Cap.png", &png(4, 4, |_, y| if y == 0 { [0, 200, 0, 255] } else { CLEAR }));
    p.file("layers/Head/Helmet.png", &png(4, 4, |_, y| if y < 3 { [200, 200, 200, 255] } else { CLEAR }));
    let source = r#"collection "C" { size 6  canvas 4 x 4 }
trait Body < Ape: 1, Robot: 1 >
trait Eyes < Laser: 1 >
trait Head < none: 1, Cap: 1, Helmet: 1 >
when Body.Robot {
    art Head.Cap "Head/Helmet.png"
    art Head.Helmet "Head/Cap.png"
}"#;
    let findings = p.audit(source);
    let model = p.model(source);
    let tokens = dropc::sample(&model, &model.settings.seed).unwrap();
    let with = |body: u32, head: u32| tokens.generated().filter(|(_, r)| r[0] == body && r[2] == head).count();
    let messages: Vec<&str> =
        findings.iter().filter(|f| f.code == "qa::occluded_variant").map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            format!(
                "`Eyes.Laser` is hidden by `Head.Cap` (its art while `Body` is `Robot`), which the rules allow \
                 with it: {} of the 6 generated tokens have both",
                with(1, 1)
            ),
            format!(
                "`Eyes.Laser` is hidden by `Head.Helmet`, which the rules allow with it: {} of the 6 generated \
                 tokens have both",
                with(0, 2)
            ),
        ],
        "{findings:#?}"
    );
    // A forbid that keeps Robots capless: the conditional cover cannot happen.
    let findings = p.audit(&format!("{}\nforbid Body.Robot with Head.Cap", source.replace("size 6", "size 5")));
    let messages: Vec<&str> =
        findings.iter().filter(|f| f.code == "qa::occluded_variant").map(|f| f.message.as_str()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("hidden by `Head.Helmet`,"), "{messages:?}");
}

// ---------------------------------------------------------------------------
// `profiles ignore` / `profiles check` on a trait, a variant or an `art` line.

/// The codes of `check`'s diagnostics with their messages, sorted by code.
fn checked_codes(p: &Project, source: &str) -> Vec<(String, String)> {
    let checked = check_text(source, &DiskArt { root: p.root.clone() });
    let mut out: Vec<(String, String)> =
        checked.diagnostics.iter().map(|d| (d.code.name().to_string(), d.message.clone())).collect();
    out.sort();
    out
}

/// A project whose `Body.Robot` and `Eyes.Laser` are Display P3, the rest untagged.
fn p3_project(name: &str) -> (Project, Vec<u8>) {
    let p = Project::new(name);
    let p3 = png_with(4, 4, |_, _| [200, 100, 50, 255], &[iccp("Display P3", &display_p3())]);
    p.file("layers/Body/Ape.png", &png(4, 4, |_, _| [9, 9, 9, 255]));
    p.file("layers/Body/Robot.png", &p3);
    p.file("layers/Eyes/Round.png", &png(4, 4, |x, y| if (x, y) == (1, 1) { [0, 0, 0, 255] } else { CLEAR }));
    p.file(
        "layers/Eyes/Laser.png",
        &png_with(4, 4, |x, _| if x == 2 { [250, 0, 0, 255] } else { CLEAR }, &[iccp("Display P3", &display_p3())]),
    );
    (p, p3)
}

#[test]
fn profiles_ignore_on_one_variant_spares_its_art_and_checks_the_rest() {
    let (p, p3) = p3_project("variant-ignore");
    let source = r#"collection "C" { size 2  canvas 4 x 4 }
trait Body < Ape: 1, Robot: 1 profiles ignore >
trait Eyes < Round: 1, Laser: 1 >"#;
    let seen = checked_codes(&p, source);
    let codes: Vec<&str> = seen.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, vec!["art_colour_profile", "colour_profiles_ignored", "mixed_colour_profiles"], "{seen:#?}");
    assert!(seen[0].1.contains("layers/Eyes/Laser.png"), "{seen:#?}");
    assert!(seen[1].1.contains("2 findings") && seen[1].1.contains("layers/Body/Robot.png"), "{seen:#?}");
    // The note points at the option that silenced it.
    let checked = check_text(source, &DiskArt { root: p.root.clone() });
    let note = checked.diagnostics.iter().find(|d| d.code.name() == "colour_profiles_ignored").unwrap();
    assert_eq!(&source[note.span().start..note.span().end], "profiles ignore");

    // qa: a colour finding for the Eyes layer only.
    assert_eq!(
        codes_of(&p.audit(source)),
        vec![
            ("drop::art_colour_profile", file("layers/Eyes/Laser.png")),
            ("drop::mixed_colour_profiles", file("layers/Eyes/Laser.png")),
        ]
    );
    // --fix-profiles converts the Eyes layer and leaves the ignored one as it is.
    let model = p.model(source);
    assert_eq!(dropc::qa::profiles::ignored(&model), vec![Path::new("layers/Body/Robot.png")]);
    let fixes = dropc::qa::profiles::fix_profiles(&model, &p.root);
    let fixed: Vec<&Path> = fixes.iter().map(|f| f.path.as_path()).collect();
    assert_eq!(fixed, vec![Path::new("layers/Eyes/Laser.png")], "{fixes:?}");
    assert_eq!(std::fs::read(p.root.join("layers/Body/Robot.png")).unwrap(), p3, "left as it was");
    assert!(!p.root.join("layers/Body/Robot.png.orig").exists());
    let seen = checked_codes(&p, source);
    assert_eq!(seen.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(), vec!["colour_profiles_ignored"]);
}

fn codes_of(findings: &[Finding]) -> Vec<(&'static str, Subject)> {
    codes(findings)
}

#[test]
fn the_most_specific_profiles_option_decides() {
    let (p, _) = p3_project("specific");
    let codes_for = |source: &str| -> Vec<String> { checked_codes(&p, source).into_iter().map(|(c, _)| c).collect() };
    // A trait's `ignore`, a variant's `check` over it.
    let over_trait = r#"collection "C" { size 2  canvas 4 x 4 }
trait Body < Ape: 1, Robot: 1 > profiles ignore
trait Eyes < Round: 1, Laser: 1 profiles check > profiles ignore"#;
    assert_eq!(
        codes_for(over_trait),
        vec!["art_colour_profile", "colour_profiles_ignored", "colour_profiles_ignored"],
        "Laser is checked; Robot ignored, and the trait warning Laser and Round would make"
    );
    // The collection's `ignore`, a trait's `check` over it.
    let over_collection = r#"collection "C" { size 2  canvas 4 x 4  profiles ignore }
trait Body < Ape: 1, Robot: 1 > profiles check
trait Eyes < Round: 1, Laser: 1 >"#;
    let seen = checked_codes(&p, over_collection);
    assert_eq!(
        seen.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        vec!["art_colour_profile", "colour_profiles_ignored", "mixed_colour_profiles"],
        "{seen:#?}"
    );
    assert!(seen[0].1.contains("layers/Body/Robot.png"), "{seen:#?}");
    assert!(seen[2].1.contains("`Body`"), "{seen:#?}");
    // An `art` line in a `when` takes its variant's policy unless it writes its own;
    // a file that any use checks is checked.
    let when_inherits = r#"collection "C" { size 2  canvas 4 x 4 }
trait Body < Ape: 1, Robot: 1 > profiles ignore
trait Eyes < Round: 1 >
when Eyes.Round { art Body.Ape "Eyes/Laser.png" }"#;
    assert_eq!(codes_for(when_inherits), vec!["colour_profiles_ignored"]);
    let when_checks = r#"collection "C" { size 2  canvas 4 x 4 }
trait Body < Ape: 1, Robot: 1 > profiles ignore
trait Eyes < Round: 1 >
when Eyes.Round { art Body.Ape "Body/Robot.png" profiles check }"#;
    let seen = checked_codes(&p, when_checks);
    // (Body's warning about Ape and Robot needs Ape, whose space the trait ignores.)
    assert_eq!(
        seen.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        vec!["art_colour_profile", "colour_profiles_ignored"],
        "{seen:#?}"
    );
    assert!(seen[0].1.contains("layers/Body/Robot.png"), "{seen:#?}");
    // Reported where it is checked, not at `Body.Robot`, which ignores it.
    let checked = check_text(when_checks, &DiskArt { root: p.root.clone() });
    let error = checked.diagnostics.iter().find(|d| d.code.name() == "art_colour_profile").unwrap();
    assert_eq!(&when_checks[error.span().start..error.span().end], "\"Body/Robot.png\"");
    let model = p.model(when_checks);
    assert_eq!(
        dropc::qa::profiles::ignored(&model),
        vec![Path::new("layers/Body/Ape.png")],
        "Robot.png is checked through the `art` line"
    );
    let when_redundant = r#"collection "C" { size 2  canvas 4 x 4 }
trait Body < Ape: 1, Robot: 1 > profiles ignore
trait Eyes < Round: 1 >
when Eyes.Round { art Body.Ape "Eyes/Laser.png" profiles ignore }"#;
    assert_eq!(codes_for(when_redundant), vec!["colour_profiles_ignored", "redundant_profiles"]);
}

#[test]
fn dropc_qa_fix_profiles_says_which_files_it_leaves_alone() {
    let (p, p3) = p3_project("fix-ignored");
    let drop = p.root.join("c.drop");
    std::fs::write(
        &drop,
        "collection \"C\" { size 2  canvas 4 x 4 }\ntrait Body < Ape: 1, Robot: 1 profiles ignore >\ntrait Eyes < Round: 1, Laser: 1 >\n",
    )
    .unwrap();
    let dropc = |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).output().unwrap();
    let path = drop.to_str().unwrap();
    let out = dropc(&["qa", "--fix-profiles", path]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("converted `layers/Eyes/Laser.png`"), "{stderr}");
    assert!(
        stderr.contains("left 1 art file as they are: its colour spaces are ignored (`profiles ignore`), the first `layers/Body/Robot.png`"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(p.root.join("layers/Body/Robot.png")).unwrap(), p3);
    let out = dropc(&["qa", "--fix-profiles", path]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("every other art file is already in sRGB"));
}

/// The pixel at (`x`, `y`) of a PNG.
fn pixel_of(path: &Path, x: u32, y: u32) -> [u8; 4] {
    let decoded = dropc::png::decode_bytes(&std::fs::read(path).unwrap()).unwrap();
    let at = ((y * decoded.width + x) * 4) as usize;
    decoded.rgba[at..at + 4].try_into().unwrap()
}

#[test]
fn a_p3_variant_renders_its_numbers_under_profiles_ignore_and_converted_after_fix_profiles() {
    let p = Project::new("render-ignored");
    let colour = [200u8, 100, 50];
    let p3 = png_with(4, 4, |_, _| [colour[0], colour[1], colour[2], 255], &[iccp("Display P3", &display_p3())]);
    p.file("layers/Body/Robot.png", &p3);
    p.file("layers/Eyes/Round.png", &png(4, 4, |_, _| CLEAR));
    let drop = p.root.join("c.drop");
    let write = |options: &str| {
        std::fs::write(
            &drop,
            format!(
                "collection \"C\" {{ size 1  canvas 4 x 4 }}\ntrait Body < Robot: 1{options}\ntrait Eyes < Round: 1 >\n"
            ),
        )
        .unwrap()
    };
    let dropc = |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).output().unwrap();
    let path = drop.to_str().unwrap();
    let out_dir = p.root.join("out");
    let out = out_dir.to_str().unwrap();
    let image = out_dir.join("images/1.png");

    // With the option: rendered from the file's numbers, unconverted.
    write(" profiles ignore >");
    let run = dropc(&["run", path, "-o", out]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(pixel_of(&image, 2, 2), [colour[0], colour[1], colour[2], 255]);
    // The option changes no pixel, so it is not part of an image's key: moving it re-renders nothing.
    write(" > profiles ignore");
    let run = dropc(&["run", path, "-o", out]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success() && stderr.contains("rendered 0, derived 0, reused 1"), "{stderr}");

    // Without it, the layer is refused until it is converted.
    write(" >");
    let run = dropc(&["run", path, "-o", out]);
    assert_eq!(run.status.code(), Some(1), "a P3 layer is an error");
    assert!(String::from_utf8_lossy(&run.stderr).contains("art_colour_profile"));
    assert_eq!(dropc(&["qa", "--fix-profiles", path]).status.code(), Some(0));
    let run = dropc(&["run", path, "-o", out]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let got = pixel_of(&image, 2, 2);
    let want = p3_to_srgb(colour);
    for k in 0..3 {
        assert!((f64::from(got[k]) - want[k]).abs() <= 1.5, "converted {got:?}, expected about {want:?}");
    }
    assert_ne!(got[..3], colour[..], "the conversion changed the pixels");
}

#[test]
fn fix_profiles_leaves_art_alone_under_the_collections_profiles_ignore() {
    let (p, p3) = p3_project("fix-collection-ignore");
    let source = r#"collection "C" { size 2  canvas 4 x 4  profiles ignore }
trait Body < Ape: 1, Robot: 1 >
trait Eyes < Round: 1, Laser: 1 >"#;
    let model = p.model(source);
    assert!(dropc::qa::profiles::fix_profiles(&model, &p.root).is_empty());
    assert_eq!(dropc::qa::profiles::ignored(&model).len(), 4);
    assert_eq!(std::fs::read(p.root.join("layers/Body/Robot.png")).unwrap(), p3);
}
