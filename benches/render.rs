//! Rendering: compositing and PNG encoding of 1024 × 1024 tokens made of 8
//! layers of antialiased art with alpha, as in the issue's measurements.
//!
//! The layer set is generated here, reproducibly (seeded ChaCha): an opaque
//! textured background and 7 traits of 4 variants each, every variant a few
//! soft-edged, outlined, shaded blobs covering 20–60 % of the canvas. It is
//! written as PNGs under Cargo's benchmark temp folder and loaded through
//! [`Renderer::new`] like a real collection.
//!
//! `cargo bench --bench render` first prints CPU-time figures on one core
//! (least of several rounds, so that a shared, loaded machine disturbs them
//! less): compositing of the 16 benchmark tokens, compositing of 1,000
//! tokens in the order `dropc run` renders them, and the pipeline of
//! `dropc run` per image but the file write (composite, encode, SHA-256) at
//! each level with its images per second per core. Then criterion measures
//! compositing, the source-over kernel and encoding at each level, and
//! prints bytes per image. `DROPC_BENCH_PIPELINE=0` skips the pipeline.
//!
//! `DROPC_BENCH_SURVEY=1 cargo bench --bench render` also prints a table of
//! deflate implementations and levels (fdeflate, zlib-rs 1–9, libdeflate
//! 1–12) × row filters, CPU time and size: the measurement the compression
//! levels were chosen from (on 4 images). `DROPC_BENCH_SURVEY=only` runs
//! only the survey, on all 16 images; `DROPC_BENCH_SURVEY_SETTINGS=zlib
//! 6,libdeflate 7` limits it to the settings named.
//!
//! `DROPC_BENCH_REFERENCE=TSV DROPC_BENCH_REFERENCE_IMAGES=DIR cargo bench
//! --bench render` only compares settings with the size reference of
//! `balanced`: the PNGs a `dropc run` wrote into `DIR` encoded again at each
//! setting (`DROPC_BENCH_SURVEY_SETTINGS`, default libdeflate 5–7; filters
//! in `DROPC_BENCH_SURVEY_FILTERS`, default `up,adaptive,entropy,paeth`)
//! against Pillow's and zlib's sizes of the same images, which
//! `python3 benches/pillow_baseline.py --reference DIR TSV` writes.
//!
//! `DROPC_BENCH_PROJECT=DIR cargo bench --bench render` only writes the
//! layer set with a `bench.drop` of 10,000 tokens (`DROPC_BENCH_TOKENS=N`
//! for another count, `DROPC_BENCH_COMPRESSION=fast|balanced|small`) into
//! `DIR`, for end-to-end runs: `/usr/bin/time -v dropc run DIR/bench.drop -o
//! OUT` gives the wall time, CPU time and peak memory. It also writes the
//! benchmark's tokens there (`tokens.txt`), so that
//! `python3 benches/pillow_baseline.py DIR 19 2` runs Pillow on the same layers.
//!
//! Pillow baseline, same layers and tokens (written by any run of this
//! benchmark to `<target>/tmp/render-bench`), one core:
//!
//! ```text
//! cargo bench --bench render -- composite   # writes the layers and tokens.txt
//! python3 benches/pillow_baseline.py target/tmp/render-bench
//! ```
//!
//! (with `$CARGO_TARGET_DIR/tmp/render-bench` when `CARGO_TARGET_DIR` is set).

// Benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::fmt::Write;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use dropc::check::{DiskArt, check_text};
use dropc::model::Compression;
use dropc::render::encode::{Deflate, Filter, encode_png, encode_with};
use dropc::render::{Image, Renderer};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::Digest;

const SIDE: u32 = 1024;
const TRAITS: usize = 8;
const VARIANTS: usize = 4;

/// One straight-RGBA layer: `blobs` soft shaded ellipses with dark outlines.
fn blob_layer(rng: &mut ChaCha8Rng, coverage: f64) -> Vec<u8> {
    let n = SIDE as usize;
    let mut rgba = vec![0u8; n * n * 4];
    let blobs = rng.random_range(1..=3usize);
    for _ in 0..blobs {
        // Area of one ellipse ≈ coverage / blobs of the canvas.
        let area = coverage / blobs as f64 * (n * n) as f64;
        let aspect = rng.random_range(0.6..1.6f64);
        let rx = (area / std::f64::consts::PI * aspect).sqrt();
        let ry = (area / std::f64::consts::PI / aspect).sqrt();
        let cx = rng.random_range(rx * 0.5..n as f64 - rx * 0.5);
        let cy = rng.random_range(ry * 0.5..n as f64 - ry * 0.5);
        let base = [rng.random_range(30..230u8), rng.random_range(30..230u8), rng.random_range(30..230u8)];
        let soft = rng.random_bool(0.3);
        let y0 = (cy - ry - 2.0).max(0.0) as usize;
        let y1 = ((cy + ry + 2.0) as usize).min(n);
        let x0 = (cx - rx - 2.0).max(0.0) as usize;
        let x1 = ((cx + rx + 2.0) as usize).min(n);
        for y in y0..y1 {
            for x in x0..x1 {
                let dx = (x as f64 + 0.5 - cx) / rx;
                let dy = (y as f64 + 0.5 - cy) / ry;
                let r = (dx * dx + dy * dy).sqrt();
                // Distance to the edge in pixels (approximately).
                let edge = (1.0 - r) * rx.min(ry);
                let alpha = if soft { (edge / 40.0).clamp(0.0, 1.0) } else { (edge + 0.5).clamp(0.0, 1.0) };
                if alpha <= 0.0 {
                    continue;
                }
                // Shading: lighter top-left, a painted texture, a dark outline.
                let shade = 1.0 - 0.35 * (dx + dy + 1.4).clamp(0.0, 2.8) / 2.8;
                let texture = 1.0 + 0.04 * ((x as f64 * 0.11).sin() * (y as f64 * 0.07).cos());
                let outline = if !soft && edge < 6.0 { 0.25 } else { 1.0 };
                let c = base.map(|v| (f64::from(v) * shade * texture * outline).clamp(0.0, 255.0));
                let i = (y * n + x) * 4;
                let a = alpha;
                let da = f64::from(rgba[i + 3]) / 255.0;
                let oa = a + da * (1.0 - a);
                for k in 0..3 {
                    let d = f64::from(rgba[i + k]);
                    rgba[i + k] = ((c[k] * a + d * da * (1.0 - a)) / oa).round() as u8;
                }
                rgba[i + 3] = (oa * 255.0).round() as u8;
            }
        }
    }
    rgba
}

/// An opaque textured gradient.
fn background(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let n = SIDE as usize;
    let a = [rng.random_range(0..255u8), rng.random_range(0..255u8), rng.random_range(0..255u8)].map(f64::from);
    let b = [rng.random_range(0..255u8), rng.random_range(0..255u8), rng.random_range(0..255u8)].map(f64::from);
    let mut rgba = Vec::with_capacity(n * n * 4);
    for y in 0..n {
        for x in 0..n {
            let t = (x + y) as f64 / (2 * n) as f64;
            let grain = 3.0 * ((x as f64 * 0.05).sin() + (y as f64 * 0.031).cos());
            for k in 0..3 {
                rgba.push((a[k] * (1.0 - t) + b[k] * t + grain).clamp(0.0, 255.0).round() as u8);
            }
            rgba.push(255);
        }
    }
    rgba
}

/// The `.drop` of the bench collection: `size` tokens at `compression`.
fn drop_text(size: usize, compression: &str) -> String {
    let mut drop = format!(
        "collection \"Bench\" {{ size {size}  canvas {SIDE} x {SIDE}  seed \"bench\"  compression {compression} }}\n"
    );
    for t in 0..TRAITS {
        let vs: Vec<String> = (0..VARIANTS).map(|v| format!("V{v}: 1")).collect();
        let _ = writeln!(drop, "trait T{t} < {} >", vs.join(", "));
    }
    drop
}

/// Writes the layer set (`layers/T<t>/V<v>.png`, always the same pixels)
/// and `drop` as `bench.drop` into `root`, unless they are already there.
fn write_project(root: &Path, drop: &str) {
    write_layers(root, drop, false);
}

/// [`write_project`], with every pixel of the art made fully opaque or fully
/// transparent when `hard` (alpha thresholded at 128): art without
/// antialiasing, such as pixel art, which composites by copying alone.
fn write_layers(root: &Path, drop: &str, hard: bool) {
    let marker = root.join("bench.drop");
    if std::fs::read_to_string(&marker).is_ok_and(|d| d == drop) {
        return;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(1024);
    for t in 0..TRAITS {
        let dir = root.join(format!("layers/T{t}"));
        std::fs::create_dir_all(&dir).unwrap();
        for v in 0..VARIANTS {
            let coverage = rng.random_range(0.2..0.6);
            let mut rgba = if t == 0 { background(&mut rng) } else { blob_layer(&mut rng, coverage) };
            if hard {
                rgba.chunks_exact_mut(4).for_each(|p| p[3] = if p[3] >= 128 { 255 } else { 0 });
            }
            let image = Image::from_raw(SIDE, SIDE, rgba).unwrap();
            std::fs::write(dir.join(format!("V{v}.png")), encode_png(&image, Compression::Fast).unwrap()).unwrap();
        }
    }
    std::fs::write(&marker, drop).unwrap();
}

/// The bench project under Cargo's benchmark temp folder; also writes the
/// benchmark's tokens to `tokens.txt` (one token a line, variant numbers)
/// for `benches/pillow_baseline.py`.
fn project() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("render-bench");
    write_project(&root, &drop_text(100, "balanced"));
    write_tokens(&root);
    root
}

/// The benchmark's tokens as `root/tokens.txt`.
fn write_tokens(root: &Path) {
    let lines: Vec<String> =
        tokens().iter().map(|t| t.iter().map(usize::to_string).collect::<Vec<_>>().join(" ")).collect();
    std::fs::write(root.join("tokens.txt"), lines.join("\n") + "\n").unwrap();
}

fn tokens() -> Vec<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    (0..16).map(|_| (0..TRAITS).map(|_| rng.random_range(0..VARIANTS)).collect()).collect()
}

fn renderer() -> Renderer {
    load(&project())
}

/// The bench project's art made hard-edged ([`write_layers`]), under Cargo's
/// benchmark temp folder.
fn opaque_renderer() -> Renderer {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("render-bench-opaque");
    write_layers(&root, &drop_text(100, "balanced"), true);
    load(&root)
}

fn load(root: &Path) -> Renderer {
    let root = root.to_path_buf();
    let text = std::fs::read_to_string(root.join("bench.drop")).unwrap();
    let model = check_text(&text, &DiskArt { root: root.clone() }).model.expect("bench model");
    Renderer::new(&model, &root).unwrap()
}

/// CPU time of this thread (`CLOCK_THREAD_CPUTIME_ID`), so that figures on
/// a shared, loaded machine measure work, not waiting for a core.
fn cpu_time() -> Duration {
    cpu_time::ThreadTime::now().as_duration()
}

/// Milliseconds of CPU per call of `f`: the least of `rounds` rounds over
/// `items` (the least is the run least disturbed by other work).
fn cpu_ms<T>(items: &[T], rounds: usize, mut f: impl FnMut(&T)) -> f64 {
    (0..rounds)
        .map(|_| {
            let start = cpu_time();
            items.iter().for_each(&mut f);
            (cpu_time() - start).as_secs_f64() * 1000.0 / items.len() as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Pixel art: 16 images of 64 × 64 pixels in a 16-colour palette (shapes
/// on a flat background), upscaled to 1024 × 1024 by `scale4x` then
/// nearest; encoded at `balanced` (indexed, as dropc writes them) and as
/// 8-bit RGB at the same deflate settings. CPU time per image, size.
fn pixel_art() {
    let mut rng = ChaCha8Rng::seed_from_u64(64);
    let palette: Vec<[u8; 4]> = (0..16)
        .map(|_| [rng.random_range(0..=255u8), rng.random_range(0..=255u8), rng.random_range(0..=255u8), 255])
        .collect();
    let images: Vec<Image> = (0..16)
        .map(|_| {
            let mut small = Image::from_pixel(64, 64, image::Rgba(palette[0]));
            for _ in 0..12 {
                let (x0, y0) = (rng.random_range(0..56u32), rng.random_range(0..56u32));
                let (w, h) = (rng.random_range(3..20u32), rng.random_range(3..20u32));
                let colour = image::Rgba(palette[rng.random_range(1..16usize)]);
                for y in y0..(y0 + h).min(64) {
                    for x in x0..(x0 + w).min(64) {
                        // Rounded corners: staircases for Scale2x to smooth.
                        let (dx, dy) = (x.min(x0 + w - 1 - x), y.min(y0 + h - 1 - y));
                        if dx + dy >= 2 {
                            small.put_pixel(x, y, colour);
                        }
                    }
                }
            }
            dropc::render::resize(
                &dropc::render::resize(&small, (256, 256), dropc::model::ResizeFilter::Scale4x),
                (SIDE, SIDE),
                dropc::model::ResizeFilter::Nearest,
            )
        })
        .collect();
    let mut bytes = 0;
    let indexed = cpu_ms(&images, 3, |i| bytes += encode_png(i, Compression::Balanced).unwrap().len());
    let indexed_kib = bytes / 3 / images.len() / 1024;
    bytes = 0;
    let (deflate, filter) = dropc::render::encode::settings(Compression::Balanced);
    let rgb = cpu_ms(&images, 3, |i| bytes += dropc::png::encode_truecolour_with(i, deflate, filter).unwrap().len());
    println!(
        "pixel art 1024x1024 (16 colours), balanced: indexed {indexed:.1} CPU ms, {indexed_kib} KiB; 8-bit RGB {rgb:.1} CPU ms, {} KiB",
        bytes / 3 / images.len() / 1024
    );
}

/// The encoder survey: every deflate setting × every row filter (only the
/// settings named in `DROPC_BENCH_SURVEY_SETTINGS`, comma-separated, e.g.
/// `zlib 6,libdeflate 7`, when it is set).
fn survey(images: &[Image]) {
    println!("\nencode survey ({} images of {SIDE}x{SIDE}): CPU ms per image, KiB per image", images.len());
    let mut settings = vec![("fdeflate".to_string(), Deflate::Fdeflate)];
    settings.extend((1..=9).map(|l| (format!("zlib {l}"), Deflate::Zlib(l))));
    settings.extend((1..=12).map(|l| (format!("libdeflate {l}"), Deflate::Libdeflate(l))));
    if let Ok(only) = std::env::var("DROPC_BENCH_SURVEY_SETTINGS") {
        let only: Vec<&str> = only.split(',').map(str::trim).collect();
        settings.retain(|(name, _)| only.contains(&name.as_str()));
    }
    let filters = [
        ("none", Filter::None),
        ("sub", Filter::Sub),
        ("up", Filter::Up),
        ("avg", Filter::Avg),
        ("paeth", Filter::Paeth),
        ("adaptive", Filter::Adaptive),
        ("entropy", Filter::Entropy),
        ("first-entropy", Filter::FirstChannelEntropy),
    ];
    for (name, deflate) in &settings {
        let mut line = format!("{name:>13}");
        for (fname, filter) in filters {
            let mut bytes = 0;
            let ms = cpu_ms(images, 1, |i| bytes += encode_with(i, *deflate, filter).unwrap().len());
            let _ = write!(line, "  {fname} {ms:6.1} ms {:4} KiB", bytes / images.len() / 1024);
        }
        println!("{line}");
    }
}

/// The size reference of `balanced`: the PNGs a `dropc run` wrote
/// (`DROPC_BENCH_REFERENCE_IMAGES`, its `images` folder) encoded again at
/// every setting named in `DROPC_BENCH_SURVEY_SETTINGS` (default libdeflate
/// 5–7) with each row filter, next to the sizes Pillow and zlib level 6 give
/// the same images (`DROPC_BENCH_REFERENCE`, the TSV `benches/pillow_baseline.py
/// --reference IMAGES TSV` writes): CPU ms per image, total size against
/// each reference, and on how many images the setting is larger than Pillow.
fn reference_survey(tsv: &Path, images: &Path) {
    let text = std::fs::read_to_string(tsv).unwrap();
    let rows: Vec<(String, usize, usize)> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect();
    let pictures: Vec<Image> = rows
        .iter()
        .map(|(name, _, _)| {
            let d = dropc::png::decode_bytes(&std::fs::read(images.join(name)).unwrap()).unwrap();
            Image::from_raw(d.width, d.height, d.rgba).unwrap()
        })
        .collect();
    let pillow: usize = rows.iter().map(|r| r.1).sum();
    let zlib: usize = rows.iter().map(|r| r.2).sum();
    println!(
        "\nreference ({} images): Pillow compress_level=6 {pillow} bytes, zlib 6 default strategy {zlib} bytes",
        rows.len()
    );
    let mut settings: Vec<(String, Deflate)> =
        (5..=7).map(|l| (format!("libdeflate {l}"), Deflate::Libdeflate(l))).collect();
    if let Ok(only) = std::env::var("DROPC_BENCH_SURVEY_SETTINGS") {
        settings = only
            .split(',')
            .map(|s| {
                let s = s.trim();
                let (lib, level) = s.split_once(' ').unwrap();
                let level: u8 = level.parse().unwrap();
                (s.to_string(), if lib == "zlib" { Deflate::Zlib(level) } else { Deflate::Libdeflate(level) })
            })
            .collect();
    }
    let filters = std::env::var("DROPC_BENCH_SURVEY_FILTERS").unwrap_or_else(|_| "up,adaptive,entropy,paeth".into());
    for (name, deflate) in &settings {
        for fname in filters.split(',') {
            let filter = match fname.trim() {
                "none" => Filter::None,
                "sub" => Filter::Sub,
                "up" => Filter::Up,
                "avg" => Filter::Avg,
                "paeth" => Filter::Paeth,
                "adaptive" => Filter::Adaptive,
                "entropy" => Filter::Entropy,
                "first-entropy" => Filter::FirstChannelEntropy,
                other => panic!("no filter {other}"),
            };
            let mut sizes = Vec::with_capacity(pictures.len());
            let ms = cpu_ms(&pictures, 1, |i| sizes.push(encode_with(i, *deflate, filter).unwrap().len()));
            let total: usize = sizes.iter().sum();
            let larger = sizes.iter().zip(&rows).filter(|(s, r)| **s > r.1).count();
            let worst = sizes.iter().zip(&rows).map(|(s, r)| *s as f64 / r.1 as f64 - 1.0).fold(f64::MIN, f64::max);
            println!(
                "{name:>13} {fname:>9}: {ms:5.1} CPU ms, {total} bytes ({:+.2} % vs Pillow, {:+.2} % vs zlib 6), larger than Pillow on {larger} (worst {:+.2} %)",
                (total as f64 / pillow as f64 - 1.0) * 100.0,
                (total as f64 / zlib as f64 - 1.0) * 100.0,
                worst * 100.0
            );
        }
    }
}

fn bench(c: &mut Criterion) {
    if let Some(tsv) = std::env::var_os("DROPC_BENCH_REFERENCE") {
        let images = std::env::var_os("DROPC_BENCH_REFERENCE_IMAGES").expect("DROPC_BENCH_REFERENCE_IMAGES");
        reference_survey(Path::new(&tsv), Path::new(&images));
        return;
    }
    if let Some(dir) = std::env::var_os("DROPC_BENCH_PROJECT") {
        let size = std::env::var("DROPC_BENCH_TOKENS").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000);
        let level = std::env::var("DROPC_BENCH_COMPRESSION").unwrap_or_else(|_| "balanced".into());
        let dir = PathBuf::from(dir);
        write_project(&dir, &drop_text(size, &level));
        write_tokens(&dir);
        println!("wrote {} ({size} tokens, compression {level})", dir.join("bench.drop").display());
        return;
    }
    let start = Instant::now();
    let renderer = renderer();
    println!(
        "layers loaded in {:.0} ms, {} MiB of layer pixels",
        start.elapsed().as_secs_f64() * 1000.0,
        renderer.layer_bytes() >> 20
    );
    let tokens = tokens();
    let images: Vec<Image> = tokens.iter().map(|t| renderer.render(t).unwrap()).collect();
    if std::env::var_os("DROPC_BENCH_SURVEY").is_some_and(|v| v == "only") {
        survey(&images);
        return;
    }

    // One core, the work of `dropc run` per image but the file write:
    // composite, encode, hash. CPU time, least of three rounds.
    let mut out = Image::new(0, 0);
    let pipeline = std::env::var_os("DROPC_BENCH_PIPELINE").is_none_or(|v| v != "0");
    let composite = cpu_ms(&tokens, 10, |t| renderer.render_into(t, &mut out).unwrap());
    println!("composite: {composite:.2} CPU ms per image (random tokens)");
    // As `dropc run` orders them: 1,000 distinct tokens sorted by the layers they draw.
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let mut run: Vec<Vec<usize>> =
        (0..1000).map(|_| (0..TRAITS).map(|_| rng.random_range(0..VARIANTS)).collect()).collect();
    run.sort_by_key(|t| renderer.draw_order(t).unwrap());
    run.dedup();
    let in_order = cpu_ms(&run, 3, |t| renderer.render_into(t, &mut out).unwrap());
    println!("composite: {in_order:.2} CPU ms per image ({} tokens in run order)", run.len());
    let opaque = opaque_renderer();
    let hard = cpu_ms(&tokens, 10, |t| opaque.render_into(t, &mut out).unwrap());
    println!("composite: {hard:.2} CPU ms per image (the same art hard-edged: opaque or clear pixels only)");
    for (name, level) in
        [("fast", Compression::Fast), ("balanced", Compression::Balanced), ("small", Compression::Small)]
    {
        if !pipeline {
            break;
        }
        let rounds = if level == Compression::Small { 1 } else { 3 };
        let mut bytes = 0;
        let ms = cpu_ms(&tokens, rounds, |t| {
            renderer.render_into(t, &mut out).unwrap();
            let png = encode_png(&out, level).unwrap();
            bytes += png.len();
            black_box(sha2::Sha256::digest(&png));
        });
        println!(
            "pipeline {name}: {ms:.1} CPU ms per image ({:.0} images/s per core), {} KiB per image",
            1000.0 / ms,
            bytes / rounds / tokens.len() / 1024
        );
    }

    pixel_art();

    let mut group = c.benchmark_group("render");
    group.sample_size(20);
    let mut i = 0;
    group.bench_function("composite 1024x1024, 8 layers", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            renderer.render_into(black_box(&tokens[i]), &mut out).unwrap();
            black_box(&out);
        })
    });
    let src: Vec<u8> = (0..SIDE * SIDE).flat_map(|i| [i as u8, (i >> 8) as u8, 77, (i % 251) as u8]).collect();
    let mut dst: Vec<[f32; 4]> =
        (0..SIDE * SIDE).map(|i| [f32::from((i >> 3) as u8), 20.0, f32::from((i >> 11) as u8), 255.0]).collect();
    group.bench_function("source-over kernel, 1M pixels", |b| {
        b.iter(|| dropc::render::blend::over(black_box(&mut dst), black_box(&src)))
    });
    for (name, level) in
        [("fast", Compression::Fast), ("balanced", Compression::Balanced), ("small", Compression::Small)]
    {
        let bytes: usize = images.iter().map(|img| encode_png(img, level).unwrap().len()).sum();
        println!("encode {name}: {} KiB per image", bytes / images.len() / 1024);
        let mut i = 0;
        group.bench_function(format!("encode {name}"), |b| {
            b.iter(|| {
                i = (i + 1) % images.len();
                black_box(encode_png(black_box(&images[i]), level).unwrap())
            })
        });
    }
    group.finish();

    if std::env::var_os("DROPC_BENCH_SURVEY").is_some() {
        survey(&images[..4]);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
