//! `parse` and `check` on a generated 10,000-line collection: 300 traits of
//! 20 variants in 30 groups of 10 (rules link traits within a group, as the
//! rules of real collections link a few traits each), about 9,000 rules of
//! every kind. Art is not read (`NoArt`): art validation reads only PNG
//! headers and is measured separately by `dropc check` on the examples.
//!
//! `cargo bench --bench check`

use std::fmt::Write;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use dropc::check::{check, NoArt};

/// A deterministic pseudo-random sequence (splitmix64).
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The generated source and its line count.
pub fn large_collection(groups: usize, traits_per_group: usize, variants: usize, lines: usize) -> String {
    let mut rng = Mix(2026);
    let mut out = String::new();
    let _ = writeln!(out, "collection \"Benchmark\" {{\n    size 10000\n    seed \"bench\"\n    canvas 1024 x 1024\n}}");
    let traits = groups * traits_per_group;
    for t in 0..traits {
        let list: Vec<String> = (0..variants).map(|v| format!("V{v}: {}", 1 + rng.below(40))).collect();
        // Declarations wrap at five variants a line, as people write them.
        let _ = write!(out, "trait T{t} <");
        for (i, chunk) in list.chunks(5).enumerate() {
            if i > 0 {
                out.push_str("\n   ");
            }
            let _ = write!(out, " {},", chunk.join(", "));
        }
        out.push_str(" >\n");
    }
    let mut rule = 0;
    while out.lines().count() < lines {
        let g = rng.below(groups as u64) as usize * traits_per_group;
        let a = g + rng.below(traits_per_group as u64) as usize;
        let mut b = g + rng.below(traits_per_group as u64) as usize;
        if a == b {
            b = g + (b - g + 1) % traits_per_group;
        }
        let (va, vb, vc) = (rng.below(variants as u64), rng.below(variants as u64), rng.below(variants as u64));
        match rule % 20 {
            0..=13 => {
                let _ = writeln!(out, "forbid T{a}.V{va} with T{b}.V{vb}");
            }
            14..=18 => {
                let _ = writeln!(out, "require T{a}.V{va} -> T{b}.V{vb} | T{b}.V{vc}");
            }
            _ => {
                let _ = writeln!(out, "count T{a}.V{va} <= {}", 2000 + rng.below(2000));
            }
        }
        rule += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let source = large_collection(30, 10, 20, 10_000);
    assert_eq!(source.lines().count(), 10_000);
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
