//! `parse` and `check` on a generated 10,000-line collection: 900 traits of
//! 12 variants in 300 groups of 3 (rules link traits within a group, as the
//! rules of real collections link a few traits each: hats with hair, eyes
//! with eyewear), about 9,000 `forbid` and `require` rules and 12 `count`s
//! (each counted variant splits tokens in two for the count stage, which
//! supports at most 16,384 classes; the file had about 450 counts before
//! `check` refused what `run` could not generate). Art is not read (`NoArt`): art validation reads only PNG
//! headers and is measured separately by `dropc check` on the examples.
//!
//! Then `check` and `simulate` (check, predicted and expected shares) at
//! scale, on generated files ([`scale_files`]): 12 traits × 50 variants with
//! 500 rules; one trait of 100,000 variants with 500 `forbid`s (and 250:
//! under 300 rules each rule is tested for never firing); one of 10,000
//! with 250; 1,000 traits with 4,000 rules between nearby traits; and a 5 MB
//! file of 10,000 traits for peak memory.
//!
//! `cargo bench --bench check` (criterion); `DROPC_BENCH_SCALE_DIR=DIR cargo
//! bench --bench check` writes the scale files to `DIR` and exits, for
//! `/usr/bin/time -v dropc check DIR/<name>.drop` (peak memory) and `perf`.

// Tests and benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::fmt::Write;
use std::hint::black_box;

use criterion::Criterion;
use dropc::check::{NoArt, check};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Counted variants in the 10,000-line file: each splits tokens in two for
/// the count stage, which supports at most 16,384 classes (so 14 at most).
const COUNTED_TRAITS: usize = 12;

/// The generated source and its line count.
pub fn large_collection(groups: usize, traits_per_group: usize, variants: usize, lines: usize) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut below = move |n: u64| rng.random_range(0..n);
    let mut out = String::new();
    let _ =
        writeln!(out, "collection \"Benchmark\" {{\n    size 10000\n    seed \"bench\"\n    canvas 1024 x 1024\n}}");
    let traits = groups * traits_per_group;
    for t in 0..traits {
        let list: Vec<String> = (0..variants).map(|v| format!("V{v}: {}", 1 + below(40))).collect();
        let _ = writeln!(out, "trait T{t} < {} >", list.join(", "));
    }
    let mut rule = 0;
    let mut counted = 0;
    let mut seen = std::collections::HashSet::new();
    let mut line_count = out.lines().count();
    while line_count < lines {
        let g = below(groups as u64) as usize * traits_per_group;
        let a = g + below(traits_per_group as u64) as usize;
        let mut b = g + below(traits_per_group as u64) as usize;
        if a == b {
            b = g + (b - g + 1) % traits_per_group;
        }
        let (va, vb, vc) = (below(variants as u64), below(variants as u64), below(variants as u64));
        if !seen.insert((a.min(b), a.max(b), va, vb)) {
            continue;
        }
        line_count += 1;
        match rule % 20 {
            0..=13 => {
                let _ = writeln!(out, "forbid T{a}.V{va} with T{b}.V{vb}");
            }
            14..=17 => {
                let vd = (vc + 1) % variants as u64;
                let _ = writeln!(out, "require T{a}.V{va} -> T{b}.V{vb} | T{b}.V{vc} | T{b}.V{vd}");
            }
            _ if counted < COUNTED_TRAITS && counted < groups => {
                // One counted variant on the first trait of each of the first groups.
                let _ = writeln!(out, "count T{}.V0 <= {}", counted * traits_per_group, 5000 + below(5000));
                counted += 1;
            }
            _ => {
                let _ = writeln!(out, "forbid T{a}.V{va} with T{b}.V{vb}");
            }
        }
        rule += 1;
    }
    out
}

#[path = "../src/solve/splitmix.rs"]
mod splitmix;
use splitmix::Rng;

/// `count` traits named `{prefix}{i}` with `variants` variants (weights 1..=40).
fn traits(out: &mut String, rng: &mut Rng, prefix: &str, count: usize, variants: usize) {
    for t in 0..count {
        let list: Vec<String> = (0..variants).map(|v| format!("v{v}: {}", 1 + rng.below(40))).collect();
        let _ = writeln!(out, "trait {prefix}{t} < {} >", list.join(", "));
    }
}

/// `traits` traits of `variants` variants and `rules` rules (four in five
/// `forbid`, one in five `require` with two alternatives) between traits at
/// most `window` apart, unique on every trait.
fn rule_collection(name: &str, size: u64, traits_n: usize, variants: usize, rules: usize, window: usize) -> String {
    let mut rng = Rng(2026);
    let mut out = format!("collection \"{name}\" {{ size {size} canvas 8 x 8 seed \"scale\" }}\n");
    traits(&mut out, &mut rng, "T", traits_n, variants);
    let mut seen = std::collections::HashSet::new();
    let mut written = 0;
    while written < rules {
        let a = rng.below(traits_n);
        let b = (a + 1 + rng.below(window.min(traits_n - 1))) % traits_n;
        let (x, y, z) = (rng.below(variants), rng.below(variants), rng.below(variants));
        if !seen.insert((a.min(b), a.max(b), x, y)) {
            continue;
        }
        if written % 5 == 4 {
            let _ = writeln!(out, "require T{a}.v{x} -> T{b}.v{y} | T{b}.v{z}");
        } else {
            let _ = writeln!(out, "forbid T{a}.v{x} with T{b}.v{y}");
        }
        written += 1;
    }
    out
}

/// One trait of `variants` variants (a serial-like `Edition`, weights
/// 1..=40) next to four traits of 8 variants, and `forbids` rules between an
/// edition and a variant of one of the four; unique on every trait.
fn big_trait(variants: usize, forbids: usize) -> String {
    let mut rng = Rng(7);
    let mut out = String::from("collection \"Editions\" { size 10000 canvas 8 x 8 seed \"scale\" }\n");
    let list: Vec<String> = (0..variants).map(|v| format!("e{v}: {}", 1 + rng.below(40))).collect();
    let _ = writeln!(out, "trait Edition < {} >", list.join(", "));
    traits(&mut out, &mut rng, "S", 4, 8);
    let mut seen = std::collections::HashSet::new();
    while seen.len() < forbids {
        let (e, t, v) = (rng.below(variants), rng.below(4), rng.below(8));
        if seen.insert((e, t, v)) {
            let _ = writeln!(out, "forbid Edition.e{e} with S{t}.v{v}");
        }
    }
    out
}

/// The scale files, by name.
pub fn scale_files() -> Vec<(&'static str, String)> {
    vec![
        ("12x50_500_rules", rule_collection("Dense", 10_000, 12, 50, 500, 12)),
        ("100k_variants_500_forbids", big_trait(100_000, 500)),
        ("100k_variants_250_forbids", big_trait(100_000, 250)),
        ("10k_variants_250_forbids", big_trait(10_000, 250)),
        ("1000_traits_4000_rules", rule_collection("Wide", 10_000, 1_000, 6, 4_000, 3)),
        ("5mb_10000_traits", rule_collection("Large", 100_000, 10_000, 40, 20_000, 3)),
    ]
}

/// `dropc simulate`'s computation on a checked model: predicted shares, and
/// expected shares at the collection's size.
fn simulate(checked: &dropc::check::Checked) {
    let model = checked.model.as_ref().expect("a model");
    let predicted = dropc::plan::predicted_shares(model).expect("shares");
    let f = checked.feasibility.as_ref();
    let plan = dropc::plan::Plan::new(model).expect("a plan");
    let expected = dropc::sample::expected::expected(
        model,
        &plan,
        f.and_then(|f| f.combinations.exact()),
        f.and_then(|f| f.log_partition),
    );
    black_box((predicted, expected.map(|e| e.shares)).0);
}

fn scale(c: &mut Criterion) {
    let mut group = c.benchmark_group("check_scale");
    group.sample_size(10);
    for (name, source) in scale_files() {
        if name.starts_with("5mb") {
            continue;
        }
        let checked = dropc::check_text(&source, &NoArt);
        assert!(checked.model.is_some(), "{name}: {:?}", checked.diagnostics.iter().find(|d| d.is_error()));
        eprintln!(
            "{name}: {} bytes, {} unique combinations, {} diagnostics",
            source.len(),
            checked.feasibility.as_ref().map_or("?".into(), |f| f.combinations.to_string()),
            checked.diagnostics.len()
        );
        group.bench_function(format!("{name}/check"), |b| b.iter(|| dropc::check_text(black_box(&source), &NoArt)));
        group.bench_function(format!("{name}/simulate"), |b| {
            b.iter(|| simulate(&dropc::check_text(black_box(&source), &NoArt)))
        });
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    let source = large_collection(300, 3, 12, 10_000);
    assert_eq!(source.lines().count(), 10_000);
    if let Some(path) = std::env::var_os("DROPC_BENCH_DUMP") {
        std::fs::write(path, &source).expect("dump the generated source");
    }
    let file = dropc::parse(&source).expect("the generated file parses");
    let checked = check(&file, &NoArt);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics.iter().find(|d| d.is_error()));
    eprintln!(
        "10,000 lines: {} traits, {} forbids, {} requires, {} counts; {} unique combinations; {} warnings",
        checked.model.as_ref().map_or(0, |m| m.traits.len()),
        checked.model.as_ref().map_or(0, |m| m.forbids.len()),
        checked.model.as_ref().map_or(0, |m| m.requires.len()),
        checked.model.as_ref().map_or(0, |m| m.counts.len()),
        checked.feasibility.as_ref().map_or("?".into(), |f| f.combinations.to_string()),
        checked.diagnostics.len(),
    );
    let mut group = c.benchmark_group("check_10k_lines");
    group.sample_size(20);
    group.bench_function("parse", |b| b.iter(|| dropc::parse(black_box(&source))));
    group.bench_function("parse_and_check", |b| {
        b.iter(|| {
            let file = dropc::parse(black_box(&source)).expect("parses");
            check(&file, &NoArt)
        })
    });
    group.finish();

    // A typical file, as `dropc lsp` checks it on every change: the neon-apes
    // example (13 traits, rules, counts, legendaries), its art verified once
    // and then reused from the cache while the files are unchanged.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/neon-apes");
    let text = std::fs::read_to_string(root.join("apes.drop")).expect("the example is readable");
    let art = dropc::lsp::art::CachedArt::new(root);
    assert!(!dropc::check_text(&text, &art).has_errors());
    let mut group = c.benchmark_group("check_typical");
    group.sample_size(20);
    group.bench_function("neon_apes_cached_art", |b| b.iter(|| dropc::check_text(black_box(&text), &art)));
    group.bench_function("neon_apes_no_art", |b| b.iter(|| dropc::check_text(black_box(&text), &NoArt)));
    group.bench_function("fmt_neon_apes", |b| b.iter(|| dropc::fmt::format(black_box(&text))));
    group.finish();
}

fn main() {
    if let Some(dir) = std::env::var_os("DROPC_BENCH_SCALE_DIR") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("create the folder");
        for (name, source) in scale_files() {
            std::fs::write(dir.join(format!("{name}.drop")), source).expect("write a scale file");
        }
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    scale(&mut c);
    bench(&mut c);
    c.final_summary();
}
