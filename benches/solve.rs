//! Benchmarks of `dropc::solve` on deterministic synthetic collections: a
//! dense 12-trait collection with 100 rules and 3 `when` overrides, and a
//! 300-trait collection with 2000 rules between nearby traits.

// Tests and benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dropc::solve::{Budget, Factor, Network, count, marginals, possible_values};

#[path = "../src/solve/splitmix.rs"]
mod splitmix;
use splitmix::Rng;

/// A collection of `traits` traits with `variants` variants each (weights 1..=50),
/// `rules` pairwise rules (half `forbid a.x with b.y`, half `require a.x -> b.y`)
/// between random variants of traits at most `window` apart (`window >= traits`:
/// any two traits), and `overrides` `when c.x then t <...>` conditional priors
/// (also between traits at most `window` apart) that give 5 variants of `t`
/// new weights and exclude the others.
fn collection(seed: u64, traits: usize, variants: usize, rules: usize, window: usize, overrides: usize) -> Network {
    let mut rng = Rng(seed);
    let domains = vec![variants; traits];
    let mut net = Network::new(domains.clone());
    let weights: Vec<Vec<f64>> =
        (0..traits).map(|_| (0..variants).map(|_| 1.0 + rng.below(50) as f64).collect()).collect();
    let mut conditioned = vec![false; traits];
    for _ in 0..overrides {
        let c = rng.below(traits);
        let t = (c + 1 + rng.below(window.min(traits - 1))) % traits;
        if conditioned[t] {
            continue;
        }
        conditioned[t] = true;
        let special = rng.below(variants);
        let mut over = vec![0.0; variants];
        for _ in 0..5 {
            over[rng.below(variants)] = 1.0 + rng.below(10) as f64;
        }
        let (base_sum, over_sum): (f64, f64) = (weights[t].iter().sum(), over.iter().sum());
        let base = &weights[t];
        net.push(Factor::from_fn(vec![c, t], &domains, |a| {
            if a[0] == special { over[a[1]] / over_sum } else { base[a[1]] / base_sum }
        }));
    }
    for (t, w) in weights.into_iter().enumerate() {
        if !conditioned[t] {
            net.push(Factor::unary(t, w));
        }
    }
    for i in 0..rules {
        let a = rng.below(traits);
        let span = window.min(traits - 1);
        let offset = 1 + rng.below(span);
        let b = if window >= traits { (a + offset) % traits } else { (a + offset).min(traits - 1) };
        if a == b {
            continue;
        }
        let (x, y) = (rng.below(variants), rng.below(variants));
        if i % 2 == 0 {
            net.push(Factor::forbid((a, x), (b, y), &domains));
        } else {
            net.push(Factor::require((a, x), &[(b, y)], &domains));
        }
    }
    net
}

fn bench(c: &mut Criterion) {
    let budget = Budget::default();
    let dense = collection(12, 12, 30, 100, usize::MAX, 3);
    let all: Vec<usize> = (0..dense.domains.len()).collect();
    c.bench_function("count 12x30, 100 rules", |b| b.iter(|| count(black_box(&dense), &all, &budget)));
    c.bench_function("marginals 12x30, 100 rules", |b| b.iter(|| marginals(black_box(&dense))));
    c.bench_function("possible_values 12x30, 100 rules", |b| b.iter(|| possible_values(black_box(&dense))));

    let wide = collection(300, 300, 20, 2000, 4, 10);
    let all: Vec<usize> = (0..wide.domains.len()).collect();
    c.bench_function("count 300x20, 2000 local rules", |b| b.iter(|| count(black_box(&wide), &all, &budget)));
    c.bench_function("marginals 300x20, 2000 local rules", |b| b.iter(|| marginals(black_box(&wide))));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
