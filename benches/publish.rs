//! Benchmark of `dropc run --no-images`'s writes: 20,000 metadata files (and
//! the records) into a fresh folder, again unchanged (nothing is rewritten),
//! and again after the description changed (every metadata file rewritten).
//! Prints metadata files per second for each; the target is 5,000 per second
//! on the development machine.
//!
//! `cargo bench --bench publish` (set `DROPC_BENCH_DIR` to write elsewhere
//! than the system's temporary folder).

// Benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::print_stderr)]

use std::time::Instant;

use dropc::check::{NoArt, check_text};
use dropc::publish::run::{Options, Silent, run};

const TOKENS: usize = 20_000;

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

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("publish/metadata: benchmark");
        return;
    }
    let base = std::env::var_os("DROPC_BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let dir = base.join(format!("dropc-bench-publish-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (what, description) in
        [("fresh folder", "first"), ("rerun, unchanged", "first"), ("rerun, all changed", "second")]
    {
        let text = text(description);
        let model = check_text(&text, &NoArt).model.expect("model");
        let tokens = dropc::sample(&model, &model.settings.seed).expect("sample");
        let options = Options {
            dir: dir.clone(),
            root: dir.clone(),
            drop_file: dir.join("bench.drop"),
            source: text.into_bytes(),
            images: false,
            force: false,
            stop_after_files: None,
        };
        let started = Instant::now();
        let summary = run(&model, &tokens, &options, &Silent).expect("run");
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "publish/metadata {what}: {TOKENS} tokens in {seconds:.2} s: {:.0} metadata files/s ({} written)",
            TOKENS as f64 / seconds,
            summary.metadata_written
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
