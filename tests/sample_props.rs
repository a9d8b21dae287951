//! Property tests over random small collections with random rules: every
//! sampled token satisfies every rule, counts are exact, uniqueness holds,
//! the same seed gives the same tokens, and one thread gives what many do.
//! Joint count conflicts that `check` cannot see may make sampling fail; it
//! must then fail with a count or uniqueness error, never panic or hang.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod sample_support;

use dropc::check::{NoArt, check_text};
use dropc::sample::{SampleError, sample};
use proptest::prelude::*;
use sample_support::validate;

#[derive(Debug, Clone)]
struct Spec {
    weights: Vec<Vec<u8>>,
    forbids: Vec<(usize, usize, usize, usize)>,
    requires: Vec<(usize, usize, usize, usize)>,
    when: Option<(usize, usize, usize, Vec<u8>)>,
    counts: Vec<(usize, usize, u8, u64)>,
    unique: Vec<bool>,
    size: u64,
    legendaries: u64,
}

fn spec() -> impl Strategy<Value = Spec> {
    (2usize..5).prop_flat_map(|traits| {
        (
            prop::collection::vec(prop::collection::vec(1u8..5, 2..6), traits),
            prop::collection::vec((0..traits, 0usize..4, 0..traits, 0usize..4), 0..4),
            prop::collection::vec((0..traits, 0usize..4, 0..traits, 0usize..4), 0..3),
            prop::option::of((0..traits, 0usize..4, 0..traits, prop::collection::vec(0u8..4, 4))),
            prop::collection::vec((0..traits, 0usize..4, 0u8..3, 0u64..6), 0..3),
            prop::collection::vec(any::<bool>(), traits),
            1u64..14,
            0u64..3,
        )
            .prop_map(|(weights, forbids, requires, when, counts, unique, size, legendaries)| Spec {
                weights,
                forbids,
                requires,
                when,
                counts,
                unique,
                size,
                legendaries,
            })
    })
}

fn text(s: &Spec) -> String {
    let name = |t: usize| format!("T{t}");
    let var = |t: usize, v: usize| format!("T{t}.v{}", v % s.weights[t].len());
    let mut out = format!("collection \"P\" {{ size {} canvas 8 x 8 seed \"p\" }}\n", s.size);
    for (t, ws) in s.weights.iter().enumerate() {
        let vs: Vec<String> = ws.iter().enumerate().map(|(i, w)| format!("v{i}: {}", f64::from(*w) * 0.5)).collect();
        out += &format!("trait {} < {} >\n", name(t), vs.join(", "));
    }
    for &(a, x, b, y) in &s.forbids {
        if a != b {
            out += &format!("forbid {} with {}\n", var(a, x), var(b, y));
        }
    }
    for &(a, x, b, y) in &s.requires {
        if a != b {
            out += &format!("require {} -> {} | {}\n", var(a, x), var(b, y), var(b, y + 1));
        }
    }
    if let Some((c, x, t, ws)) = &s.when {
        if c != t {
            let vs: Vec<String> = (0..s.weights[*t].len()).map(|i| format!("v{i}: {}", ws[i % ws.len()])).collect();
            out += &format!("when {} {{ {} < {} > }}\n", var(*c, *x), name(*t), vs.join(", "));
        }
    }
    for &(t, v, op, n) in &s.counts {
        let op = ["=", "<=", ">="][op as usize];
        out += &format!("count {} {op} {}\n", var(t, v), n.min(s.size));
    }
    let unique: Vec<String> = s.unique.iter().enumerate().filter(|(_, u)| **u).map(|(t, _)| name(t)).collect();
    if !unique.is_empty() {
        out += &format!("unique by {}\n", unique.join(", "));
    }
    for l in 0..s.legendaries.min(s.size) {
        out += &format!("legendary L{l} \"l{l}.png\"\n");
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn samples_keep_every_promise(s in spec()) {
        let text = text(&s);
        let checked = check_text(&text, &NoArt);
        let Some(model) = checked.model else { if std::env::var_os("SAMPLE_PROPS_DEBUG").is_some() { eprintln!("REJECTED {:?}", checked.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.code).collect::<Vec<_>>()); } return Ok(()) };
        let started = std::time::Instant::now();
        match sample(&model, "seed") {
            Ok(tokens) => {
                if std::env::var_os("SAMPLE_PROPS_DEBUG").is_some() { eprintln!("SAMPLED"); }
                validate(&model, &tokens);
                prop_assert_eq!(&tokens, &sample(&model, "seed").unwrap());
                let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| sample(&model, "seed").unwrap());
                prop_assert_eq!(&tokens, &one);
            }
            Err(e) => {
                prop_assert!(
                    matches!(e, SampleError::CountsConflict { .. } | SampleError::UniqueExhausted { .. }),
                    "unexpected error {e:?} for\n{text}"
                );
                prop_assert!(!e.to_diagnostics(&model).is_empty());
                if std::env::var_os("SAMPLE_PROPS_DEBUG").is_some() { eprintln!("SAMPLEERR {e}\n{text}"); }
            }
        }
        prop_assert!(started.elapsed().as_secs() < 5, "slow on\n{text}");
    }
}
