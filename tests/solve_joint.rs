//! Counts decided jointly: `check` refuses exactly the sets of counts that no
//! collection can meet, and `run` generates every set it accepts.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod sample_support;

use dropc::check::{NoArt, check_text};
use dropc::diagnostic::Code;
use dropc::sample::sample;
use sample_support::{model, validate};

/// Feasible (Crown 3, Cap 5, Green 24, Normal 23, Bow 4 is one solution) but
/// refused once by a greedy count repair ("`Hat.Cap` would get 7 tokens").
const FEASIBLE: &str = r#"collection "Counts" { size 42 canvas 16 x 16 seed "c" }
trait Background < Red: 1, Blue: 1, Green: 1 >
trait Eyes < Normal: 1, Laser: 1, Sleepy: 1 >
trait Hat < none: 5, Cap: 3, Crown: 1, Bow: 2 >
metadata trait Mood < a: 1, b: 1, c: 1, d: 1 >
legendary "Leg" at 5 "leg.png" { Hat: Crown }
legendary Leg2 "leg.png"
count Hat.Crown = 3
count Hat.Cap <= 5
count Background.Green >= 20
count Eyes.Normal > 50%
count Hat.Bow = 10%
"#;

/// Infeasible: 33 tokens need `T1.v0`, and at most 25 unique combinations have
/// it with `T2.v2` used at most once. Each count alone is feasible.
const INFEASIBLE: &str = r#"collection "Counts 22" { size 36 seed "c22" canvas 8 x 8 }
metadata trait T0 < v0: 2, v1: 3, v2: 1 >
metadata trait T1 < v0: 2, v1: 1 >
metadata trait T2 < v0: 1, v1: 5, v2: 5, v3: 3 >
metadata trait T3 < v0: 2, v1: 2, v2: 3, v3: 3 >
forbid T2.v3 with T1.v0
forbid T0.v2 with T1.v1
count T2.v2 <= 1
count T0.v1 <= 16
count T1.v1 = 3
"#;

#[test]
fn a_feasible_set_of_counts_is_generated_under_many_seeds() {
    let m = model(FEASIBLE);
    for seed in ["c", "1", "2", "3", "4", "5", "6", "7", "8", "9"] {
        let tokens = sample(&m, seed).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        validate(&m, &tokens);
    }
}

#[test]
fn an_infeasible_set_of_counts_is_refused_with_the_counts_and_numbers() {
    let checked = check_text(INFEASIBLE, &NoArt);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = errors[0];
    assert_eq!(e.code, Code::CountInfeasible);
    assert!(e.message.contains("`count T2.v2 <= 1` and `count T1.v1 = 3` cannot hold together"), "{}", e.message);
    assert!(e.message.contains("between 9 and 15 with `T2.v2`"), "{}", e.message);
    assert!(checked.model.is_none());
    // Loosening either count of the conflict makes it feasible, and it runs.
    for (from, to) in [("count T2.v2 <= 1", "count T2.v2 <= 9"), ("count T1.v1 = 3", "count T1.v1 = 11")] {
        let m = model(&INFEASIBLE.replace(from, to));
        validate(&m, &sample(&m, "x").unwrap());
    }
}
