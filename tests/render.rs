//! Rendering tests: reference images, colour types, errors, determinism.
//!
//! Reference renders of `tests/ref/ref.drop` are compared pixel by pixel
//! (exactly: compositing is deterministic IEEE arithmetic) with `tests/ref/expected/*.png`.
//! After an intended change, regenerate them with
//!
//! ```text
//! DROPC_UPDATE_REFS=1 cargo test --test render
//! ```
//!
//! and look at the new images before committing them. The art is written by
//! `tests/ref/make_art.py`.

// Tests may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use dropc::model::{Compression, Model, ResizeFilter};

use dropc::check::{ArtHeader, ArtProblem, ArtStore, DiskArt, check_text};
use dropc::png::decode;
use dropc::render::{Image, RenderError, Renderer, encode_png, resize};

fn ref_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ref")
}

fn model() -> Model {
    let root = ref_dir();
    let text = std::fs::read_to_string(root.join("ref.drop")).unwrap();
    let checked = check_text(&text, &DiskArt { root });
    checked.model.unwrap_or_else(|| panic!("ref.drop does not check: {:#?}", checked.diagnostics))
}

/// Variant indices for a token given as variant names in trait order.
fn token(model: &Model, names: &[&str]) -> Vec<usize> {
    assert_eq!(names.len(), model.traits.len(), "one name per trait");
    model
        .traits
        .iter()
        .zip(names)
        .map(|(t, n)| {
            t.variants.iter().position(|v| &*v.name == *n).unwrap_or_else(|| panic!("no variant `{}.{n}`", t.name))
        })
        .collect()
}

/// Reference cases: file name and variants (Background, Body, Shade, Hair, Eyes, Glow, Faction).
const CASES: &[(&str, [&str; 7])] = &[
    ("base", ["Grad", "Disc", "none", "none", "Dots", "none", "Ghosts"]),
    ("shade-normal", ["Grad", "Disc", "Normal", "none", "none", "none", "Ghosts"]),
    ("shade-multiply", ["Grad", "Disc", "Multiply", "none", "none", "none", "Ghosts"]),
    ("shade-screen", ["Grad", "Disc", "Screen", "none", "none", "none", "Ghosts"]),
    ("shade-overlay", ["Grad", "Disc", "Overlay", "none", "none", "none", "Ghosts"]),
    ("shade-darken", ["Grad", "Disc", "Darken", "none", "none", "none", "Ghosts"]),
    ("shade-lighten", ["Grad", "Disc", "Lighten", "none", "none", "none", "Ghosts"]),
    ("shade-add", ["Grad", "Disc", "Add", "none", "none", "none", "Ghosts"]),
    ("shade-half", ["Grad", "Disc", "Half", "none", "none", "none", "Ghosts"]),
    ("shade-ghost", ["Grad", "Disc", "Ghost", "none", "none", "none", "Ghosts"]),
    ("body-hue", ["Grad", "Red", "none", "none", "none", "none", "Ghosts"]),
    ("body-palette", ["Grad", "Gold", "none", "none", "none", "none", "Ghosts"]),
    ("body-offset-clipped", ["Grad", "Shifted", "none", "none", "none", "none", "Ghosts"]),
    ("body-small-placed", ["Grad", "Small", "none", "none", "none", "none", "Ghosts"]),
    ("body-faded", ["Grad", "Faded", "none", "none", "Dots", "none", "Ghosts"]),
    ("hair-long-below-body", ["Grad", "Disc", "none", "Long", "Dots", "none", "Ghosts"]),
    ("hair-cap-above-eyes", ["Grad", "Disc", "none", "Cap", "Dots", "none", "Ghosts"]),
    ("glow-hidden-trait", ["Grad", "Disc", "none", "none", "Dots", "Soft", "Ghosts"]),
    ("clear-background", ["Clear", "Disc", "Multiply", "Long", "none", "Soft", "Ghosts"]),
    ("clear-only", ["Clear", "Small", "none", "none", "none", "none", "Ghosts"]),
];

fn updating() -> bool {
    std::env::var_os("DROPC_UPDATE_REFS").is_some_and(|v| v != "0")
}

/// Compares `image` with `expected/<name>.png`, or rewrites it when updating.
fn compare(name: &str, image: &Image) -> Result<(), String> {
    let path = ref_dir().join("expected").join(format!("{name}.png"));
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, encode_png(image, Compression::Small).unwrap()).unwrap();
        return Ok(());
    }
    let bytes = std::fs::read(&path)
        .map_err(|e| format!("{name}: cannot read {} ({e}); run with DROPC_UPDATE_REFS=1", path.display()))?;
    let expected = decode::decode_bytes(&bytes).map_err(|e| format!("{name}: {e}"))?;
    if (expected.width, expected.height) != image.dimensions() {
        return Err(format!("{name}: size {:?}, expected {}x{}", image.dimensions(), expected.width, expected.height));
    }
    let diffs: Vec<_> = image
        .as_raw()
        .chunks_exact(4)
        .zip(expected.rgba.chunks_exact(4))
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .collect();
    if let Some((i, (got, want))) = diffs.first() {
        let w = expected.width as usize;
        return Err(format!(
            "{name}: {} pixels differ; first at ({}, {}): got {got:?}, expected {want:?}",
            diffs.len(),
            i % w,
            i / w
        ));
    }
    Ok(())
}

#[test]
fn reference_images() {
    let model = model();
    let renderer = Renderer::new(&model, &ref_dir()).unwrap();
    let mut failures = Vec::new();
    for (name, names) in CASES {
        let image = renderer.render(&token(&model, names)).unwrap();
        assert_eq!(image.dimensions(), (16, 16));
        if let Err(e) = compare(name, &image) {
            failures.push(e);
        }
    }
    let legendary = renderer.render_legendary(0).unwrap();
    if let Err(e) = compare("legendary", &legendary) {
        failures.push(e);
    }
    assert!(failures.is_empty(), "reference mismatches:\n{}", failures.join("\n"));
}

#[test]
fn legendary_is_its_own_image() {
    let model = model();
    let renderer = Renderer::new(&model, &ref_dir()).unwrap();
    let own = decode::decode_bytes(&std::fs::read(ref_dir().join("legendaries/one.png")).unwrap()).unwrap();
    assert_eq!(renderer.render_legendary(0).unwrap().as_raw(), &own.rgba);
    assert_eq!(renderer.render_legendary(1), Err(RenderError::NoLegendary(1)));
}

#[test]
fn metadata_traits_and_none_draw_nothing() {
    let model = model();
    let renderer = Renderer::new(&model, &ref_dir()).unwrap();
    let a = renderer.render(&token(&model, &["Grad", "Disc", "none", "none", "Dots", "none", "Ghosts"])).unwrap();
    let b = renderer.render(&token(&model, &["Grad", "Disc", "none", "none", "Dots", "none", "Runners"])).unwrap();
    assert_eq!(a, b, "a metadata-only trait changed the pixels");
    // Only the background: exactly the background art.
    let bg = renderer.render(&token(&model, &["Grad", "Small", "none", "none", "none", "none", "Ghosts"])).unwrap();
    let grad = decode::decode_bytes(&std::fs::read(ref_dir().join("layers/Background/Grad.png")).unwrap()).unwrap();
    // Pixels outside the small body at (9, 9)..(15, 15) are the background's.
    for (i, (got, want)) in bg.as_raw().chunks_exact(4).zip(grad.rgba.chunks_exact(4)).enumerate() {
        let (x, y) = (i % 16, i / 16);
        if !(9..15).contains(&x) || !(9..15).contains(&y) {
            assert_eq!(got, want, "pixel ({x}, {y})");
        }
    }
}

#[test]
fn hidden_traits_are_drawn() {
    let model = model();
    let renderer = Renderer::new(&model, &ref_dir()).unwrap();
    let plain = renderer.render(&token(&model, &["Grad", "Disc", "none", "none", "Dots", "none", "Ghosts"])).unwrap();
    let glow = renderer.render(&token(&model, &["Grad", "Disc", "none", "none", "Dots", "Soft", "Ghosts"])).unwrap();
    assert_ne!(plain, glow);
}

#[test]
fn placement_below_puts_the_back_part_behind_the_body() {
    let model = model();
    let renderer = Renderer::new(&model, &ref_dir()).unwrap();
    let long = renderer.render(&token(&model, &["Grad", "Disc", "none", "Long", "none", "none", "Ghosts"])).unwrap();
    // (8, 9) is the disc's centre: the back hair (grey 90) is there but hidden.
    assert_eq!(long.get_pixel(8, 9).0, [0xc0, 0x30, 0x30, 255]);
    // (2, 12) is outside the disc: the back hair shows.
    assert_eq!(long.get_pixel(2, 12).0, [90, 90, 90, 255]);
    // (5, 3) is the fringe, drawn at Hair's own depth.
    assert_eq!(long.get_pixel(5, 3).0, [60, 40, 20, 255]);
}

#[test]
fn source_over_by_hand_on_the_composite() {
    // The half-opacity blob over the opaque background at a pixel away from the disc:
    // checks opacity folding and the documented formula end to end.
    let model = model();
    let renderer = Renderer::new(&model, &ref_dir()).unwrap();
    let img = renderer.render(&token(&model, &["Grad", "Small", "Half", "none", "none", "none", "Ghosts"])).unwrap();
    let (x, y) = (9u32, 4u32);
    // Background Grad at (9, 4) = (144, 64, 128); blob = (153, 68, 183, a) with
    // a = round(255 − 28·dist) where dist = |(9.5, 4.5) − (9, 7)| = √6.5.
    let a_blob = (255.0 - 28.0 * 6.5f64.sqrt()).round();
    let a = (a_blob * 0.5).round() as u32; // opacity 50%, rounded half away from zero
    let over = |s: u32, d: u32| (s * a + d * (255 - a) + 127) / 255;
    let want = [over(153, 144), over(68, 64), over(183, 128), 255].map(|v| v as u8);
    assert_eq!(img.get_pixel(x, y).0, want);
}

#[test]
fn colour_types_decode_like_their_rgba_equivalents() {
    let dir = ref_dir().join("colour");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".png") && !n.ends_with(".rgba.png"))
        .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    for name in names {
        let native = decode::decode_bytes(&std::fs::read(dir.join(&name)).unwrap()).unwrap();
        let rgba = decode::decode_bytes(&std::fs::read(dir.join(name.replace(".png", ".rgba.png"))).unwrap()).unwrap();
        assert_eq!(native, rgba, "{name}");
    }
}

#[test]
fn sixteen_bit_samples_round() {
    // One 16-bit grey+alpha pixel: 0x8080 → round(32896·255/65535) = 128, 0x00ff → 1.
    let mut png = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png, 1, 1);
        enc.set_color(png::ColorType::GrayscaleAlpha);
        enc.set_depth(png::BitDepth::Sixteen);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[0x80, 0x80, 0x00, 0xff]).unwrap();
    }
    assert_eq!(decode::decode_bytes(&png).unwrap().rgba, vec![128, 128, 128, 1]);
}

#[test]
fn rendering_and_encoding_are_deterministic() {
    let model = model();
    let one = Renderer::new(&model, &ref_dir()).unwrap();
    let two = Renderer::new(&model, &ref_dir()).unwrap();
    for (_, names) in CASES {
        let t = token(&model, names);
        let a = one.render(&t).unwrap();
        assert_eq!(a, one.render(&t).unwrap());
        assert_eq!(a, two.render(&t).unwrap());
        for level in [Compression::Fast, Compression::Balanced, Compression::Small] {
            let bytes = encode_png(&a, level).unwrap();
            assert_eq!(bytes, encode_png(&a, level).unwrap());
            // Round trip: the PNG holds exactly the pixels.
            assert_eq!(decode::decode_bytes(&bytes).unwrap().rgba, *a.as_raw());
        }
    }
}

#[test]
fn encoding_picks_indexed_rgb_or_rgba_and_writes_srgb() {
    let model = model();
    let renderer = Renderer::new(&model, &ref_dir()).unwrap();
    let colour_type = |bytes: &[u8]| bytes[25]; // IHDR: 8 signature + 8 chunk header + 9
    let has = |bytes: &[u8], chunk: &[u8]| bytes.windows(4).any(|w| w == chunk);
    // 16 x 16: at most 256 colours, so indexed; tRNS only with translucency.
    let opaque = renderer.render(&token(&model, &CASES[0].1)).unwrap();
    for level in [Compression::Fast, Compression::Balanced, Compression::Small] {
        let bytes = encode_png(&opaque, level).unwrap();
        assert_eq!(colour_type(&bytes), 3, "indexed");
        assert!(has(&bytes, b"sRGB") && has(&bytes, b"PLTE") && !has(&bytes, b"tRNS"));
        assert_eq!(decode::decode_bytes(&bytes).unwrap().rgba, *opaque.as_raw());
    }
    let clear = renderer.render(&token(&model, &["Clear", "Disc", "none", "none", "none", "none", "Ghosts"])).unwrap();
    let bytes = encode_png(&clear, Compression::Fast).unwrap();
    assert_eq!(colour_type(&bytes), 3, "indexed");
    assert!(has(&bytes, b"tRNS"));
    assert_eq!(decode::decode_bytes(&bytes).unwrap().rgba, *clear.as_raw());
    // Upscaled 4 x: 1,024 pixels of more than 256 colours once noise is added.
    let mut big = resize(&opaque, (64, 64), ResizeFilter::Nearest);
    big.pixels_mut().enumerate().for_each(|(i, p)| p.0[0] = p.0[0].wrapping_add((i % 7) as u8));
    let bytes = encode_png(&big, Compression::Balanced).unwrap();
    assert_eq!((colour_type(&bytes), bytes[24]), (2, 8), "8-bit RGB");
    big.pixels_mut().for_each(|p| p.0[3] = 200);
    let bytes = encode_png(&big, Compression::Balanced).unwrap();
    assert_eq!((colour_type(&bytes), bytes[24]), (6, 8), "8-bit RGBA");
    assert!(has(&bytes, b"sRGB"));
}

#[test]
fn scale_filters_upscale_pixel_art_without_new_colours() {
    let model = model();
    let renderer = Renderer::new(&model, &ref_dir()).unwrap();
    let img = renderer.render(&token(&model, &CASES[0].1)).unwrap();
    let colours = |i: &Image| i.pixels().map(|p| p.0).collect::<std::collections::BTreeSet<_>>();
    for (filter, k) in [(ResizeFilter::Scale2x, 2), (ResizeFilter::Scale3x, 3), (ResizeFilter::Scale4x, 4)] {
        let big = resize(&img, (16 * k, 16 * k), filter);
        assert_eq!(big.dimensions(), (16 * k, 16 * k));
        assert!(colours(&big).is_subset(&colours(&img)), "{filter:?} invents no colour");
        // Each block's centre (or, for even factors, at least one pixel of it) keeps the source pixel.
        let differs = big.enumerate_pixels().filter(|(x, y, p)| *p != img.get_pixel(x / k, y / k)).count();
        assert!(differs > 0 && differs < (16 * 16 * k * k / 4) as usize, "{filter:?}: {differs} pixels smoothed");
        // Another size larger than the canvas: from the upscale by nearest; a thumbnail: nearest alone.
        assert_eq!(resize(&img, (40, 40), filter).dimensions(), (40, 40));
        assert_eq!(resize(&img, (8, 8), filter), resize(&img, (8, 8), ResizeFilter::Nearest));
    }
}

#[test]
fn resize_keeps_pixel_art_sharp() {
    let model = model();
    let renderer = Renderer::new(&model, &ref_dir()).unwrap();
    let img = renderer.render(&token(&model, &CASES[0].1)).unwrap();
    let big = resize(&img, (64, 64), ResizeFilter::Nearest);
    for (x, y, p) in big.enumerate_pixels() {
        assert_eq!(p, img.get_pixel(x / 4, y / 4));
    }
    let small = resize(&img, (8, 8), ResizeFilter::Lanczos3);
    assert_eq!(small.dimensions(), (8, 8));
    let clear = renderer.render(&token(&model, &["Clear", "Disc", "none", "none", "none", "none", "Ghosts"])).unwrap();
    let small = resize(&clear, (5, 5), ResizeFilter::CatmullRom);
    assert_eq!(small.dimensions(), (5, 5));
}

#[test]
fn invalid_tokens_are_errors() {
    let model = model();
    let renderer = Renderer::new(&model, &ref_dir()).unwrap();
    assert!(matches!(renderer.render(&[0, 0]), Err(RenderError::Token(_))));
    let err = renderer.render(&[0, 99, 0, 0, 0, 0, 0]).unwrap_err();
    assert_eq!(err.to_string(), "invalid token: trait `Body` has no variant number 99");
}

/// Every header is fine: lets a model reach the renderer with bad files.
struct AnyArt;

impl ArtStore for AnyArt {
    fn header(&self, _: &Path) -> Result<ArtHeader, ArtProblem> {
        Ok(ArtHeader { width: 4, height: 4 })
    }
}

#[test]
fn missing_and_corrupt_art_are_clear_errors() {
    let tmp = tempfile::Builder::new().prefix("dropc-render-bad-art-").tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("layers/A")).unwrap();
    let real = std::fs::read(ref_dir().join("legendaries/one.png")).unwrap();
    std::fs::write(root.join("layers/A/Broken.png"), &real[..real.len() / 2]).unwrap();
    std::fs::write(root.join("layers/A/Text.png"), b"hello").unwrap();
    let _ = std::fs::remove_file(root.join("layers/A/Gone.png"));
    let cases = [
        ("Gone", "cannot use art `layers/A/Gone.png`: it does not exist"),
        ("Broken", "cannot use art `layers/A/Broken.png`: it is not a PNG, or is cut short"),
        ("Text", "cannot use art `layers/A/Text.png`: it is not a valid PNG"),
    ];
    for (variant, message) in cases {
        let text = format!("collection \"Bad\" {{ size 1  canvas 4 x 4 }}\ntrait A < {variant}: 1 >\n");
        let model = check_text(&text, &AnyArt).model.unwrap();
        let err = Renderer::new(&model, root).unwrap_err();
        assert!(matches!(&err, RenderError::Art { path, .. } if path == Path::new(&format!("layers/A/{variant}.png"))));
        assert!(err.to_string().starts_with(message), "{err}");
    }
}

#[test]
fn a_derived_variant_draws_its_sources_files_recoloured() {
    let model = model();
    let body = model.traits.iter().position(|t| t.name == "Body").unwrap();
    let index = |name: &str| model.traits[body].variants.iter().position(|v| &*v.name == name).unwrap();
    let id = |name: &str| dropc::model::VariantId { trait_id: body, index: index(name) };
    let disc = model.drawn(id("Disc")).unwrap();
    let red = model.drawn(id("Red")).unwrap();
    assert!(disc.recolour.is_none() && !disc.files.is_empty());
    let paths = |d: &dropc::model::Drawn<'_>| d.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
    assert_eq!(paths(&red), paths(&disc));
    assert_eq!(red.recolour, Some(&dropc::model::Recolour::Hue(120.0)));
    // A model `check` would refuse (`invalid_derive`): the source has no art.
    let mut broken = model.clone();
    broken.traits[body].variants[index("Disc")].art = dropc::model::Art::Empty;
    assert_eq!(broken.drawn(id("Red")).unwrap_err().variant, id("Red"));
    match Renderer::new(&broken, &ref_dir()) {
        Err(RenderError::Token(why)) => assert!(why.contains("derived from a variant without art"), "{why}"),
        other => panic!("expected a refusal, got {:?}", other.err()),
    }
}

#[test]
fn background_colour_fills_under_every_layer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("layers/Body")).unwrap();
    // Left half opaque red, right half clear, one column at alpha 116.
    let art = Image::from_fn(4, 2, |x, _| match x {
        0 | 1 => image::Rgba([255, 0, 0, 255]),
        2 => image::Rgba([0, 0, 255, 116]),
        _ => image::Rgba([0, 0, 0, 0]),
    });
    std::fs::write(dir.path().join("layers/Body/A.png"), encode_png(&art, Compression::Fast).unwrap()).unwrap();
    let drop =
        |background: &str| format!("collection \"B\" {{ size 1 canvas 4 x 2 {background} }}\ntrait Body < A: 1 >\n");
    let render = |text: &str| {
        let checked = check_text(text, &DiskArt { root: dir.path().to_path_buf() });
        let model = checked.model.unwrap_or_else(|| panic!("{:#?}", checked.diagnostics));
        Renderer::new(&model, dir.path()).unwrap().render(&[0]).unwrap()
    };
    let plain = render(&drop(""));
    assert_eq!(plain.get_pixel(3, 0).0, [0, 0, 0, 0]);
    let filled = render(&drop("background #336699"));
    assert_eq!(filled.get_pixel(0, 1).0, [255, 0, 0, 255]);
    assert_eq!(filled.get_pixel(3, 0).0, [0x33, 0x66, 0x99, 255]);
    // 116/255 of blue over the fill: r = 0x33 · 139/255 = 27.8, g = 0x66 · 139/255 = 55.6,
    // b = 255 · 116/255 + 0x99 · 139/255 = 116 + 83.4 = 199.4.
    assert_eq!(filled.get_pixel(2, 0).0, [28, 56, 199, 255]);
    let checked = check_text(&drop("background \"blue\""), &DiskArt { root: dir.path().to_path_buf() });
    assert!(checked.diagnostics.iter().any(|d| d.code.name() == "invalid_value"), "{:#?}", checked.diagnostics);
}

/// Art larger than the canvas whose margin is transparent is accepted with a
/// note and drawn cropped: a 9 x 8 frame (its ninth column empty) and a
/// 10 x 10 badge at (-2, -2) whose 4 x 4 star lands at (3, 3).
#[test]
fn art_with_a_transparent_margin_outside_the_canvas_is_drawn_cropped() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/art");
    let text = std::fs::read_to_string(root.join("art_cropped.drop")).unwrap();
    let checked = check_text(&text, &DiskArt { root: root.clone() });
    let notes: Vec<_> = checked.diagnostics.iter().filter(|d| d.code == dropc::diagnostic::Code::ArtCropped).collect();
    assert_eq!((notes.len(), checked.diagnostics.len()), (2, 2), "{:#?}", checked.diagnostics);
    let model = checked.model.expect("a note does not refuse");
    let image = Renderer::new(&model, &root).unwrap().render(&[0, 1]).unwrap();
    assert_eq!(image.dimensions(), (8, 8));
    for y in 0..8u32 {
        for x in 0..8u32 {
            let star = (3..7).contains(&x) && (3..7).contains(&y);
            let want = if star { [255, 255, 0, 255] } else { [200, 120, 40, 255] };
            assert_eq!(image.get_pixel(x, y).0, want, "pixel ({x}, {y})");
        }
    }
}
