//! Dense rule graphs are generated exactly, never refused for lack of a method.
//!
//! The all-different matrix has an independent exact law: a token is a
//! permutation drawn with probability proportional to the product of its
//! weights, so `P(trait i = v_k) = w_ik · perm(W without row i, column k) / perm(W)`,
//! with permanents by Ryser's formula. Shares and realised frequencies are
//! tested against it (chi-square at p = 0.001); the random dense matrices of
//! the quoted collections are generated with every rule holding.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod sample_support;

use dropc::plan::predicted_shares;
use dropc::sample::sample;
use sample_support::{chi_critical, chi_square, model, validate};

/// Weight of variant `k` of trait `i`.
fn weight(i: usize, k: usize) -> f64 {
    1.0 + ((i * 7 + k * 3) % 5) as f64
}

/// `n` traits over the variants v1..vn, every pair forbidding equal variants;
/// with a `Serial` trait of its own making uniqueness irrelevant when `serial`.
fn all_different(n: usize, size: u64, serial: bool) -> String {
    let mut s = format!("collection \"AllDiff\" {{ size {size} canvas 8 x 8 seed \"perm\" }}\n");
    for i in 0..n {
        let vs: Vec<String> = (0..n).map(|k| format!("v{}: {}", k + 1, weight(i, k))).collect();
        s += &format!("metadata trait T{i} < {} >\n", vs.join(", "));
    }
    for i in 0..n {
        for j in i + 1..n {
            for k in 1..=n {
                s += &format!("forbid T{i}.v{k} with T{j}.v{k}\n");
            }
        }
    }
    if serial {
        let vs: Vec<String> = (0..4 * size).map(|i| format!("s{i}: 1")).collect();
        s += &format!("metadata trait Serial < {} >\nunique by Serial\n", vs.join(", "));
    }
    s
}

/// The permanent of a square matrix by Ryser's formula (with Gray code).
fn permanent(m: &[Vec<f64>]) -> f64 {
    let n = m.len();
    if n == 0 {
        return 1.0;
    }
    let mut row_sums = vec![0.0; n];
    let mut total = 0.0;
    let mut gray = 0usize;
    for step in 1..(1usize << n) {
        let next = step ^ (step >> 1);
        let changed = (gray ^ next).trailing_zeros() as usize;
        let sign = if next & (1 << changed) != 0 { 1.0 } else { -1.0 };
        for (r, s) in row_sums.iter_mut().enumerate() {
            *s += sign * m[r][changed];
        }
        gray = next;
        let prod: f64 = row_sums.iter().product();
        total += if (n - next.count_ones() as usize) % 2 == 0 { prod } else { -prod };
    }
    total
}

/// Exact `P(T_i = v_k)` of the all-different law.
fn ryser_marginals(n: usize) -> Vec<Vec<f64>> {
    let w: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|k| weight(i, k)).collect()).collect();
    let total = permanent(&w);
    (0..n)
        .map(|i| {
            (0..n)
                .map(|k| {
                    let minor: Vec<Vec<f64>> = (0..n)
                        .filter(|&r| r != i)
                        .map(|r| (0..n).filter(|&c| c != k).map(|c| w[r][c]).collect())
                        .collect();
                    w[i][k] * permanent(&minor) / total
                })
                .collect()
        })
        .collect()
}

#[test]
fn ryser_is_right_on_a_small_case() {
    // perm([[1,2],[3,4]]) = 1*4 + 2*3.
    assert_eq!(permanent(&[vec![1.0, 2.0], vec![3.0, 4.0]]), 10.0);
    let ones = vec![vec![1.0; 5]; 5];
    assert_eq!(permanent(&ones), 120.0);
}

#[test]
fn all_different_shares_equal_ryser() {
    for n in [9, 12] {
        let m = model(&all_different(n, 10, false));
        let predicted = predicted_shares(&m).unwrap();
        let exact = ryser_marginals(n);
        for i in 0..n {
            for k in 0..n {
                let (a, b) = (predicted[i][k], exact[i][k]);
                assert!((a - b).abs() < 1e-9, "n {n}: T{i}.v{}: {a} vs {b}", k + 1);
            }
        }
    }
}

#[test]
fn all_different_draws_match_ryser() {
    let n = 9;
    let size = 6000;
    let m = model(&all_different(n, size, true));
    let tokens = sample(&m, "perm").unwrap();
    validate(&m, &tokens);
    let exact = ryser_marginals(n);
    for (i, probs) in exact.iter().enumerate() {
        let mut observed = vec![0u64; n];
        for (_, t) in tokens.generated() {
            observed[t[i] as usize] += 1;
        }
        let (chi, df) = chi_square(&observed, probs);
        assert!(
            chi < chi_critical(df),
            "T{i}: chi-square {chi:.1} with {df} d.o.f. (critical {:.1})",
            chi_critical(df)
        );
    }
}

#[test]
fn all_different_without_serial_uses_unique_permutations() {
    let m = model(&all_different(9, 300, false));
    validate(&m, &sample(&m, "x").unwrap());
}

/// `traits` traits of `variants` variants with `forbids` random forbid pairs
/// (a fixed generator, so the file is the same every time).
fn random_dense(traits: usize, variants: usize, forbids: usize, seed: u64) -> String {
    let mut state = seed;
    let mut next = |n: usize| {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    };
    let mut s = "collection \"Dense\" { size 100 canvas 8 x 8 seed \"d\" }\n".to_string();
    for i in 0..traits {
        let vs: Vec<String> = (0..variants).map(|k| format!("v{k}: {}", 1 + next(9))).collect();
        s += &format!("metadata trait T{i} < {} >\n", vs.join(", "));
    }
    let mut seen = std::collections::HashSet::new();
    while seen.len() < forbids {
        let (a, b) = (next(traits), next(traits));
        if a == b {
            continue;
        }
        let (x, y) = (next(variants), next(variants));
        let key = if a < b { (a, x, b, y) } else { (b, y, a, x) };
        if seen.insert(key) {
            s += &format!("forbid T{}.v{} with T{}.v{}\n", key.0, key.1, key.2, key.3);
        }
    }
    s
}

fn dense_random_matrix_is_generated_with_every_rule(traits: usize, variants: usize, forbids: usize) {
    let m = model(&random_dense(traits, variants, forbids, 7));
    let tokens = sample(&m, "d").unwrap_or_else(|e| panic!("{traits}x{variants}: {e}"));
    validate(&m, &tokens);
}

#[test]
fn dense_random_14_by_10_with_150_forbids_is_generated() {
    dense_random_matrix_is_generated_with_every_rule(14, 10, 150);
}

#[test]
fn dense_random_20_by_6_with_400_forbids_is_generated() {
    dense_random_matrix_is_generated_with_every_rule(20, 6, 400);
}
