//! `dropc qa DIR` needs no more memory than the `dropc run` that wrote the
//! folder (issue 10): the output audit decodes each image row by row and
//! compares it with the token composited again, so a thread holds one
//! canvas, where `run` holds one canvas and an encoder's buffers; the
//! report's thumbnails decode one image at a time into its pixels.
//!
//! Measured in the process, as the most heap live at once (dhat's heap
//! profiler in its testing mode), with one worker thread for both, so the
//! figures are exact and the same on every machine: resident memory would
//! add the allocator's caching and the scheduling of threads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

use std::path::Path;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// The most heap that `f`'s own allocations held at once (dhat's
/// `max_bytes` of a profiler started for it alone).
/// Its profile, if written at all, goes to `profile`.
fn peak_of<T>(profile: &Path, f: impl FnOnce() -> T) -> (T, usize) {
    let profiler = dhat::Profiler::builder().testing().file_name(profile).build();
    let value = f();
    let peak = dhat::HeapStats::get().max_bytes;
    drop(profiler);
    (value, peak)
}

/// The geometry of a test project: the canvas's side, the extra size's
/// side and how the extra size is made.
#[derive(Clone, Copy)]
struct Geometry {
    side: u32,
    extra: u32,
    resize: &'static str,
}

/// A project of `side`² art: an opaque background and two traits of
/// translucent discs, 18 tokens and an extra size.
fn write_project(root: &Path, Geometry { side, extra, resize }: Geometry) -> String {
    let scale = |v: u32| v * side / 384;
    let disc = move |seed: u32| {
        image::RgbaImage::from_fn(side, side, move |x, y| {
            let (cx, cy, r) =
                (scale(100 + seed * 37 % 180), scale(90 + seed * 53 % 200), scale(60 + seed * 11 % 50).max(1));
            let d = ((x as i64 - cx as i64).pow(2) + (y as i64 - cy as i64).pow(2)) as f64;
            let a = (255.0 * (1.0 - d.sqrt() / r as f64).clamp(0.0, 1.0)) as u8;
            image::Rgba([(seed * 40) as u8, (x % 256) as u8, (y % 256) as u8, a])
        })
    };
    for v in 0..3u32 {
        let dir = root.join("layers/Back");
        std::fs::create_dir_all(&dir).unwrap();
        let back = image::RgbaImage::from_fn(side, side, |x, y| image::Rgba([(x * v) as u8, (y ^ x) as u8, 90, 255]));
        back.save(dir.join(format!("B{v}.png"))).unwrap();
        for (t, name) in [(1, "Left"), (2, "Right")] {
            let dir = root.join("layers").join(name);
            std::fs::create_dir_all(&dir).unwrap();
            disc(v * 3 + t).save(dir.join(format!("D{v}.png"))).unwrap();
        }
    }
    format!(
        "collection \"Memory\" {{\n    size 18\n    seed \"m\"\n    canvas {side} x {side}\n    sizes {extra}\n    \
         resize {resize}\n    \
         name \"Memory #{{id}}\"\n    description \"d\"\n    image \"ipfs://x/{{id}}.png\"\n}}\n\
         trait Back < B0: 1, B1: 1, B2: 1 >\ntrait Left < D0: 1, D1: 1, D2: 1 >\ntrait Right < D0: 1, D1: 1, D2: 1 >\n"
    )
}

#[test]
fn qa_of_a_folder_needs_no_more_heap_than_the_run_that_wrote_it() {
    qa_needs_no_more_heap_than_run(Geometry { side: 384, extra: 96, resize: "lanczos3" });
}

/// Pixel art: a small canvas published with a much larger copy (the
/// `solana-sprites` example's 24 × 24 with 384 × 384), where the extra
/// size, not the canvas, is the largest image either command holds.
#[test]
fn qa_of_pixel_art_with_a_large_extra_size_needs_no_more_heap_than_run() {
    qa_needs_no_more_heap_than_run(Geometry { side: 24, extra: 384, resize: "nearest" });
}

/// dhat counts every allocation of the process and allows one profiler at a
/// time, so the tests of this file measure one after the other.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Checks the project `text` in `root`, then the peak heap of `dropc run`
/// into `root/out` and of `dropc qa` on it (with its report when
/// `report`), each on one worker thread; `qa` must find no error.
fn peaks(root: &Path, text: &str, report: bool) -> (usize, usize) {
    let drop_file = root.join("collection.drop");
    std::fs::write(&drop_file, text).unwrap();
    let checked = dropc::check_text(text, &dropc::check::DiskArt { root: root.to_path_buf() });
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let model = checked.model.unwrap();
    let out = root.join("out");
    let options = dropc::publish::run::Options::new(&drop_file, Some(&out), text.as_bytes().to_vec());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let profile = root.join("dhat-heap.json");
    let (result, run) = peak_of(&profile, || {
        pool.install(|| dropc::publish::run::publish(&model, &options, &dropc::publish::run::Silent))
    });
    result.expect("the run");
    let (findings, qa) = peak_of(&profile, || {
        pool.install(|| {
            let folder = dropc::qa::audit_folder(&model, text.as_bytes(), root, &out);
            if report {
                dropc::qa::write_folder_report(&model, &folder, None, &out).expect("the report");
            }
            folder.findings
        })
    });
    let errors: Vec<_> = findings.iter().filter(|f| f.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    (run, qa)
}

fn qa_needs_no_more_heap_than_run(geometry: Geometry) {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Geometry { side, extra, .. } = geometry;
    let dir = tempfile::Builder::new().prefix("dropc-qa-memory-").tempdir().unwrap();
    let root = dir.path();
    let text = write_project(root, geometry);
    let (run, qa) = peaks(root, &text, true);
    assert!(root.join("out/report/thumbs").is_dir(), "no thumbnails were made");

    let canvas = (side * side * 4) as usize;
    eprintln!(
        "peak heap, one thread, {side} x {side} with {extra} x {extra} (a canvas is {} KiB): run {} KiB, qa {} KiB",
        canvas >> 10,
        run >> 10,
        qa >> 10
    );
    assert!(qa <= run, "qa's peak heap {qa} bytes is more than run's {run}");
}

/// Many small tokens, where what each token's audit leaves for the
/// collection-wide checks (hashes, a sketch of its fingerprint, its line
/// of `tokens.json`) is what grows: 3,000 tokens of 16 × 16 from three
/// traits of 16 variants.
#[test]
fn qa_of_many_tokens_needs_no_more_heap_than_run() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::Builder::new().prefix("dropc-qa-memory-").tempdir().unwrap();
    let root = dir.path();
    let mut text = String::from(
        "collection \"Many\" {\n    size 3000\n    seed \"many\"\n    canvas 16 x 16\n    name \"Many #{id}\"\n    \
         description \"d\"\n    image \"ipfs://x/{id}.png\"\n}\n",
    );
    for (t, name) in ["Back", "Body", "Hat"].iter().enumerate() {
        let folder = root.join("layers").join(name);
        std::fs::create_dir_all(&folder).unwrap();
        let variants: Vec<String> = (0..16u32)
            .map(|v| {
                let art = image::RgbaImage::from_fn(16, 16, |x, y| {
                    let inside = t == 0 || (x + y) % 3 == t as u32 || x == v;
                    let a = if inside { 255 } else { 0 };
                    image::Rgba([(v * 16) as u8, (x * 16 + t as u32 * 40) as u8, (y * 16) as u8, a])
                });
                art.save(folder.join(format!("V{v}.png"))).unwrap();
                format!("V{v}: 1")
            })
            .collect();
        text.push_str(&format!("trait {name} < {} >\n", variants.join(", ")));
    }
    text.push_str("unique by Back, Body, Hat\n");
    let (run, qa) = peaks(root, &text, false);
    eprintln!("peak heap, one thread, 3,000 tokens of 16 x 16: run {} KiB, qa {} KiB", run >> 10, qa >> 10);
    assert!(qa <= run, "qa's peak heap {qa} bytes is more than run's {run}");
}
