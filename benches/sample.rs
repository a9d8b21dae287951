//! Benchmarks of the sampler and of `simulate`'s computation: 10,000 tokens
//! of the rich example, and 1,000,000 tokens of a generated collection of 12
//! traits × 30 variants with 100 rules, `unique` and 5 counts. (The rich
//! example is unique on all its traits here and its counts scaled by 50.)
//! And 10,000 tokens whose counted strata compete for every last unique
//! combination ([`shared_text`]).
//!
//! `DROPC_BENCH_ONCE=1 cargo bench --bench sample` samples the million once
//! and exits (for measuring peak memory with `/usr/bin/time -v`).

// Tests and benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;

use criterion::Criterion;
use dropc::check::{NoArt, check_text};
use dropc::model::Model;

#[path = "../src/solve/splitmix.rs"]
mod splitmix;
use splitmix::Rng;

/// 12 traits × 30 variants (weights 1..=50), 100 rules (half `forbid`, half
/// `require` with two alternatives), `unique` (all traits), 5 counts.
pub fn million_text() -> String {
    let mut rng = Rng(2026);
    let mut text = String::from("collection \"Million\" { size 1000000 canvas 8 x 8 seed \"bench\" }\n");
    for t in 0..12 {
        let vs: Vec<String> = (0..30).map(|v| format!("v{v}: {}", 1 + rng.below(50))).collect();
        text += &format!("trait T{t} < {} >\n", vs.join(", "));
    }
    let mut rules = 0;
    while rules < 100 {
        let (a, b) = (rng.below(12), rng.below(12));
        if a == b {
            continue;
        }
        let (x, y, z) = (rng.below(30), rng.below(30), rng.below(30));
        if rules % 2 == 0 {
            text += &format!("forbid T{a}.v{x} with T{b}.v{y}\n");
        } else {
            text += &format!("require T{a}.v{x} -> T{b}.v{y} | T{b}.v{z}\n");
        }
        rules += 1;
    }
    text +=
        "count T0.v0 >= 40000\ncount T1.v1 <= 20000\ncount T2.v2 = 30000\ncount T3.v3 >= 10000\ncount T4.v4 <= 50000\n";
    text
}

/// 10,000 tokens unique on `T1, T2` (10,000 combinations: every one is
/// used) with `count`s on `T0`, which is outside `unique`: the strata of
/// `T0.a` and `T0.b` have 5,000 combinations each, 2,500 of them shared, and
/// need 3,000 tokens each, so their combinations are assigned exactly
/// (`plan::sharing`) before the other 4,000 tokens take the rest.
pub fn shared_text() -> String {
    let weights = |n: usize, m: usize, p: &str| -> String {
        (0..n).map(|i| format!("{p}{i}: {}", 1 + i % m)).collect::<Vec<_>>().join(", ")
    };
    let list =
        |range: std::ops::Range<usize>| -> String { range.map(|i| format!("T1.v{i}")).collect::<Vec<_>>().join(", ") };
    format!(
        "collection \"Share\" {{ size 10000 canvas 8 x 8 seed \"s\" }}\n\
         metadata trait T0 < a: 1, b: 1, c: 1, d: 1 >\n\
         metadata trait T1 < {} >\nmetadata trait T2 < {} >\n\
         forbid T0.a with {}\nforbid T0.b with {}\n\
         count T0.a = 3000\ncount T0.b = 3000\nunique by T1, T2\n",
        weights(100, 3, "v"),
        weights(100, 5, "w"),
        list(0..50),
        list(25..75)
    )
}

fn model(text: &str) -> Model {
    let checked = check_text(text, &NoArt);
    checked.model.unwrap_or_else(|| panic!("{:#?}", checked.diagnostics))
}

fn benches(c: &mut Criterion) {
    let apes =
        model(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/neon-apes/apes.drop")).unwrap());
    let mut apes10k = apes.clone();
    apes10k.settings.size = 10_000;
    // 10,000 tokens need more than the 3180 combinations of the file's
    // `unique by`: unique on every trait instead.
    apes10k.unique = (0..apes10k.traits.len()).collect();
    apes10k.counts.iter_mut().for_each(|r| {
        r.min *= 50;
        r.max = (r.max * 50).min(10_000);
    });
    let million = model(&million_text());
    let mut group = c.benchmark_group("sample");
    group.sample_size(10);
    group.bench_function("apes_10k", |b| b.iter(|| black_box(dropc::sample(&apes10k, "bench").unwrap())));
    let shared = model(&shared_text());
    group.bench_function("shared_strata_10k", |b| b.iter(|| black_box(dropc::sample(&shared, "bench").unwrap())));
    group.bench_function("million_12x30_100_rules_unique_5_counts", |b| {
        b.iter(|| black_box(dropc::sample(&million, "bench").unwrap()))
    });
    group
        .bench_function("simulate_million", |b| b.iter(|| black_box(dropc::plan::predicted_shares(&million).unwrap())));
    group.finish();
}

fn main() {
    if std::env::var_os("DROPC_BENCH_ONCE").is_some() {
        let start = std::time::Instant::now();
        let m = model(&million_text());
        let checked_at = start.elapsed();
        let tokens = dropc::sample(&m, "bench").unwrap();
        eprintln!("check {:?}, sample {:?}, {} tokens", checked_at, start.elapsed() - checked_at, tokens.len());
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
