//! Benchmark of `dropc run --no-images`'s writes: 20,000 metadata files (and
//! the records), in four situations, each measured several times (samples,
//! `DROPC_BENCH_SAMPLES`, 5 by default) and printed as metadata files per
//! second, min / median / max. The target is 5,000 per second on the
//! development machine.
//!
//! 1. *fresh folder*: each sample writes into a new folder; nothing is
//!    deleted until every sample of 1 to 3 is done. This is a studio's first
//!    run.
//! 2. *rerun, unchanged*: each of those folders again: every file compared,
//!    none written.
//! 3. *rerun, all changed*: the description changed, every metadata file
//!    rewritten.
//! 4. *after deleting the previous output*: each sample deletes one of the
//!    folders (`rm -rf out`) and writes it again right away.
//!
//! Why 1 and 4 are apart: on ext4 *without a journal*, the inode allocator
//! skips inodes freed in the last 60 s (up to 6 min while their inode table
//! is not yet written back), one by one for every new file, so writing just
//! after deleting tens of thousands of files can be ten times slower than
//! into a fresh disk. With a journal (ext4's default) freed inodes are
//! reused at once. A sample of 1 is only fresh if no large deletion in the
//! same block group came shortly before: the benchmark deletes its own
//! folders only after the fresh samples, and says when the previous run of
//! the benchmark deleted its folders less than 6 minutes before.
//!
//! `cargo bench --bench publish` (set `DROPC_BENCH_DIR` to write elsewhere
//! than the system's temporary folder, e.g. onto another file system).

// Benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use dropc::check::{NoArt, check_text};
use dropc::publish::run::{Options, Silent, run};

const TOKENS: usize = 20_000;

/// How long ext4 without a journal may skip a freed inode: 60 s, plus 300 s
/// while its inode table block is dirty.
const RECENT: Duration = Duration::from_secs(360);

fn text(description: &str) -> String {
    let mut text = format!(
        "collection \"Bench\" {{ size {TOKENS} canvas 8 x 8 seed \"bench\" name \"Bench #{{id}}\" \
         description \"{description}\" image \"ipfs://x/{{id}}.png\" }}\n"
    );
    for t in 0..8 {
        let vs: Vec<String> = (0..12).map(|v| format!("v{v}: {}", 1 + (t * 7 + v) % 9)).collect();
        text += &format!("trait T{t} < {} >\n", vs.join(", "));
    }
    text
}

/// One `dropc run --no-images` of `description` into `dir`: metadata files
/// per second, and how many were written.
fn sample(dir: &Path, description: &str) -> (f64, usize) {
    let text = text(description);
    let model = check_text(&text, &NoArt).model.expect("model");
    let tokens = dropc::sample(&model, &model.settings.seed).expect("sample");
    let options = Options {
        dir: dir.to_path_buf(),
        root: dir.to_path_buf(),
        drop_file: dir.join("bench.drop"),
        source: text.into_bytes(),
        images: false,
        force: false,
        stop_after_files: None,
    };
    let started = Instant::now();
    let summary = run(&model, &tokens, &options, &Silent).expect("run");
    (TOKENS as f64 / started.elapsed().as_secs_f64(), summary.metadata_written)
}

/// Prints the min / median / max of `rates`, and every sample in the order
/// they ran.
fn report(what: &str, rates: &[f64], written: usize) {
    let each: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
    let mut rates = rates.to_vec();
    rates.sort_by(f64::total_cmp);
    eprintln!(
        "publish/metadata {what}: {} / {} / {} files/s (min / median / max of {} samples, in order: {}; {written} files written each)",
        rates.first().map_or(0.0, |r| r.round()),
        rates.get(rates.len() / 2).map_or(0.0, |r| r.round()),
        rates.last().map_or(0.0, |r| r.round()),
        rates.len(),
        each.join(", ")
    );
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("publish/metadata: benchmark");
        return;
    }
    let samples: usize = std::env::var("DROPC_BENCH_SAMPLES").ok().and_then(|n| n.parse().ok()).unwrap_or(5).max(1);
    let base = std::env::var_os("DROPC_BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let stamp = base.join("dropc-bench-publish.deleted");
    if let Some(ago) = std::fs::metadata(&stamp).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()) {
        if ago < RECENT {
            eprintln!(
                "publish/metadata: the previous run of this benchmark deleted its folders {} s ago: on ext4 without a \
                 journal, the fresh-folder figures include skipping their inodes (wait {} s for a fresh disk)",
                ago.as_secs(),
                (RECENT - ago).as_secs()
            );
        }
    }
    let scratch = base.join(format!("dropc-bench-publish-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let folders: Vec<PathBuf> = (0..samples).map(|i| scratch.join(format!("out-{i}"))).collect();
    eprintln!("publish/metadata: {TOKENS} tokens, {samples} samples in `{}`, load {}", scratch.display(), load());

    let rates = |description: &str, before: &mut dyn FnMut(&Path)| -> (Vec<f64>, usize) {
        let mut written = 0;
        let rates = folders
            .iter()
            .map(|dir| {
                before(dir);
                let (rate, w) = sample(dir, description);
                written = w;
                rate
            })
            .collect();
        (rates, written)
    };
    let (fresh, written) = rates("first", &mut |_| {});
    report("fresh folder", &fresh, written);
    let (unchanged, written) = rates("first", &mut |_| {});
    report("rerun, unchanged", &unchanged, written);
    let (changed, written) = rates("second", &mut |_| {});
    report("rerun, all changed", &changed, written);
    let mut deleting = Vec::new();
    let (after, written) = rates("first", &mut |dir| {
        let started = Instant::now();
        std::fs::remove_dir_all(dir).unwrap();
        deleting.push(started.elapsed().as_secs_f64());
    });
    report("after deleting the previous output", &after, written);
    deleting.sort_by(f64::total_cmp);
    eprintln!(
        "publish/metadata: deleting an output folder took {:.2} s (median), load {}",
        deleting.get(deleting.len() / 2).copied().unwrap_or_default(),
        load()
    );
    let _ = std::fs::remove_dir_all(&scratch);
    let _ = std::fs::write(&stamp, format!("{:?}\n", SystemTime::now()));
}
