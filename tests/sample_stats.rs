//! Statistical tests with fixed seeds: realised frequencies against the exact
//! law, computed both by `dropc::plan::predicted_shares` and by an
//! independent brute-force enumeration in the test. Chi-square at p = 0.001.
//!
//! Uniqueness is made irrelevant by a `Serial` trait with many variants in a
//! component of its own: collisions only redraw that component, so the other
//! traits are independent draws from the law.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod sample_support;

use dropc::plan::predicted_shares;
use dropc::sample::sample;
use sample_support::{brute_force, brute_marginals, chi_critical, chi_square, model, validate};

fn with_serial(size: u64, body: &str) -> String {
    let serial: Vec<String> = (0..4 * size).map(|i| format!("s{i}: 1")).collect();
    format!(
        "collection \"T\" {{ size {size} canvas 8 x 8 seed \"stats\" }}\n{body}\ntrait Serial < {} >\nunique by Serial\n",
        serial.join(", ")
    )
}

const RULES: &str = "
trait Background < Neon: 10, Sunset: 25, Void: 5 >
trait Body       < Ape: 20, Zombie: 5, Robot: 2 >
trait Eyes       < Normal: 20, Cyber: 3, Laser: 1 >
trait Head       < none: 30, Cap: 15, Helmet: 5, Crown: 1 >
forbid Eyes.Cyber with Head.Helmet
forbid Body.Robot with Head.Cap, Head.Crown
require Head.Crown -> Background.Void
require Body.Robot -> Eyes.Cyber | Eyes.Laser
when Body.Zombie { Eyes < Normal: 1, Laser: 4 > }
";

#[test]
fn joint_frequencies_match_the_brute_force_law() {
    let size = 20_000;
    let m = model(&with_serial(size, RULES));
    let tokens = sample(&m, "joint").unwrap();
    validate(&m, &tokens);
    // Joint law of the four rule traits (Serial is uniform and independent).
    let mut m4 = m.clone();
    m4.traits.truncate(4);
    let law = brute_force(&m4);
    let mut observed = vec![0u64; law.len()];
    for (_, t) in tokens.generated() {
        let i = law.iter().position(|(c, _)| c[..] == t[..4]).expect("a token outside the support");
        observed[i] += 1;
    }
    let probs: Vec<f64> = law.iter().map(|(_, p)| *p).collect();
    let (chi, df) = chi_square(&observed, &probs);
    assert!(chi < chi_critical(df), "chi-square {chi:.1} with {df} d.o.f. (critical {:.1})", chi_critical(df));
}

#[test]
fn predicted_shares_equal_brute_force_and_realised_shares_match() {
    let size = 20_000;
    let m = model(&with_serial(size, RULES));
    let predicted = predicted_shares(&m).unwrap();
    let mut m4 = m.clone();
    m4.traits.truncate(4);
    let brute = brute_marginals(&m4);
    for t in 0..4 {
        for (a, b) in predicted[t].iter().zip(&brute[t]) {
            assert!((a - b).abs() < 1e-12, "trait {t}: {a} vs {b}");
        }
    }
    let tokens = sample(&m, "marginals").unwrap();
    for t in 0..4 {
        let mut observed = vec![0u64; predicted[t].len()];
        for (_, tok) in tokens.generated() {
            observed[tok[t] as usize] += 1;
        }
        let (chi, df) = chi_square(&observed, &predicted[t]);
        assert!(chi < chi_critical(df), "trait {t}: chi-square {chi:.1} with {df} d.o.f.");
    }
}

#[test]
fn fractional_weights_give_the_right_shares() {
    let size = 20_000;
    let m = model(&with_serial(size, "trait A < x: 0.2, y: 1.5 >\ntrait B < p: 0.5, q: 0, r: 2.5 >"));
    let tokens = sample(&m, "fractions").unwrap();
    let mut a = [0u64; 2];
    let mut b = [0u64; 3];
    for (_, t) in tokens.generated() {
        a[t[0] as usize] += 1;
        b[t[1] as usize] += 1;
    }
    assert_eq!(b[1], 0, "weight 0 is never drawn");
    let (chi, df) = chi_square(&a, &[0.2 / 1.7, 1.5 / 1.7]);
    assert!(chi < chi_critical(df), "A: {chi}");
    let (chi, df) = chi_square(&b, &[0.5 / 3.0, 0.0, 2.5 / 3.0]);
    assert!(chi < chi_critical(df), "B: {chi}");
    let p = predicted_shares(&m).unwrap();
    assert!((p[0][0] - 0.2 / 1.7).abs() < 1e-12);
}

#[test]
fn successive_sampling_in_a_scarce_space_matches_the_law_of_the_first_draw() {
    // With every combination taken, the first token id's combination is a
    // plain draw from the law: check it over many seeds.
    let text = "collection \"S\" { size 5 canvas 8 x 8 }\ntrait A < a: 1, b: 2, c: 5 >\ntrait B < x: 1, y: 3 >\nforbid A.c with B.x\n";
    let m = model(text);
    let law = brute_force(&m);
    let mut observed = vec![0u64; law.len()];
    let m5 = m.clone();
    for seed in 0..4000 {
        let tokens = sample(&m5, &seed.to_string()).unwrap();
        validate(&m5, &tokens);
        let first = tokens.generated().next().unwrap().1;
        observed[law.iter().position(|(c, _)| c[..] == first[..]).unwrap()] += 1;
    }
    let probs: Vec<f64> = law.iter().map(|(_, p)| *p).collect();
    let (chi, df) = chi_square(&observed, &probs);
    assert!(chi < chi_critical(df), "chi-square {chi:.1} with {df} d.o.f.");
}
