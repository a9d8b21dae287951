//! `parse` and `check` on a generated 10,000-line collection: 900 traits of
//! 8 variants in 300 groups of 3 (rules link traits within a group, as the
//! rules of real collections link a few traits each: hats with hair, eyes
//! with eyewear), about 9,000 rules of every kind. Art is not read (`NoArt`): art validation reads only PNG
//! headers and is measured separately by `dropc check` on the examples.
//!
//! `cargo bench --bench check`

// Tests and benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dropc::check::{NoArt, check};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

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
            _ => {
                let _ = writeln!(out, "count T{a}.V{va} <= {}", 5000 + below(5000));
            }
        }
        rule += 1;
    }
    out
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
