//! Is the realised distribution one the sampler could have drawn?
//!
//! For every variant, the number of generated tokens that drew it is tested
//! against what the sampler gives on average. That average is *not* the
//! law of one token (`dropc simulate`'s predicted share, reported beside
//! it): `count` pins variants and shifts the rest of their trait and of the
//! traits tied to it, and `unique` draws without replacement, which
//! flattens shares when a collection uses much of its combinations. So the
//! expected count is measured on the real algorithm: the collection is drawn
//! again with [`replicates`] other seeds (derived from the record's, so the
//! audit is deterministic), and each variant's mean count and its standard
//! error are taken over those draws.
//!
//! The test is a two-sided exact binomial test of the observed count `k`
//! among `n` generated tokens, with success probability `c / n`, where `c`
//! is the replicates' mean moved towards `k` by up to three standard errors
//! (the expectation is only known to that precision). A binomial is the
//! conservative choice: `count` and `unique` only make realised counts less
//! variable than independent draws (a Poisson-binomial's variance, and
//! sampling without replacement's, are below the binomial's), so the
//! p-value is never smaller than the truth. A variant is flagged when its
//! p-value is below [`ALPHA`] divided by the number of variants tested
//! (Bonferroni), so a clean collection is flagged less than once in
//! 10,000 audits; variants pinned by a `count =` are not tested (their
//! count is checked exactly), nor are traits with one variant.
//!
//! Every `count` statement is also checked to hold exactly.

use serde::Serialize;

use crate::model::{Model, VariantId};
use crate::plan::Plan;
use crate::plan::predicted_shares;
use crate::plan::streams::StreamKey;
use crate::sample::{Tokens, sample_with_plan};

use super::{Finding, QaCode, Subject};

/// Family-wise significance of the distribution test.
pub const ALPHA: f64 = 1e-4;
/// Standard errors of the replicates' mean given to the expectation.
pub const SLACK_STANDARD_ERRORS: f64 = 3.0;
/// Most replicate draws.
pub const MAX_REPLICATES: usize = 64;
/// Fewest replicate draws.
pub const MIN_REPLICATES: usize = 16;

/// Replicate draws for a collection of `generated` tokens: 64 up to 78,125
/// tokens, then fewer (about five million tokens drawn in all), never under 16.
pub fn replicates(generated: usize) -> usize {
    (5_000_000 / generated.max(1)).clamp(MIN_REPLICATES, MAX_REPLICATES)
}

/// One variant's shares.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariantShare {
    /// The variant's name.
    pub name: String,
    /// Generated tokens that drew it (legendaries are not counted).
    pub count: u64,
    /// `count` over the generated tokens.
    pub realised: f64,
    /// The law of one token under every `forbid`, `require` and `when`
    /// (what `dropc simulate` predicts).
    pub predicted: f64,
    /// The mean share over the replicate draws (with `count` and `unique`).
    pub expected: f64,
    /// The test's p-value; `None` when the variant is not tested.
    pub p_value: Option<f64>,
    /// Whether the test flagged it.
    pub flagged: bool,
}

/// One trait's shares, variants in declaration order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraitShares {
    /// The trait's name.
    pub name: String,
    /// Its variants.
    pub variants: Vec<VariantShare>,
}

/// The distribution findings of the generated tokens of `tokens` (drawn from
/// `model` with `seed`), and every variant's shares for the report.
pub fn analyse(model: &Model, tokens: &Tokens, seed: &str) -> (Vec<TraitShares>, Vec<Finding>) {
    let n = tokens.ids.len();
    let counts = tokens.variant_counts(model);
    let predicted = predicted_shares(model).unwrap_or_else(|_| zeros(model));
    let (mean, standard_error) = replicate_counts(model, seed, n);
    let pinned = |t: usize, v: usize| {
        model.counts.iter().any(|c| c.single() == Some(VariantId { trait_id: t, index: v }) && c.min == c.max)
    };
    let tested = |t: usize, v: usize| model.traits[t].variants.len() > 1 && !pinned(t, v) && mean.is_some();
    let tests = (0..model.traits.len())
        .map(|t| (0..model.traits[t].variants.len()).filter(|&v| tested(t, v)).count())
        .sum::<usize>()
        .max(1);
    let threshold = ALPHA / tests as f64;
    let mut findings = Vec::new();
    let mut shares = Vec::with_capacity(model.traits.len());
    for (t, tr) in model.traits.iter().enumerate() {
        let mut variants = Vec::with_capacity(tr.variants.len());
        for (v, variant) in tr.variants.iter().enumerate() {
            let k = counts[t][v];
            let share = |c: f64| if n == 0 { 0.0 } else { c / n as f64 };
            let (m, se) = match (&mean, &standard_error) {
                (Some(m), Some(se)) => (m[t][v], se[t][v]),
                _ => (predicted[t][v] * n as f64, 0.0),
            };
            let p_value = tested(t, v).then(|| {
                let slack = SLACK_STANDARD_ERRORS * se;
                let centre = (k as f64).clamp(m - slack, m + slack);
                binomial_two_sided(n as u64, k, share(centre))
            });
            let flagged = p_value.is_some_and(|p| p < threshold);
            if flagged {
                findings.push(Finding::new(
                    QaCode::Distribution,
                    Subject::Variant { trait_name: tr.name.clone(), variant: variant.name.to_string() },
                    format!(
                        "drawn by {k} of {n} tokens ({:.1} %) where the sampler gives {m:.1} ({:.1} %) on average: \
                         a chance of {:.1e} (flagged below {threshold:.1e})",
                        100.0 * share(k as f64),
                        100.0 * share(m),
                        p_value.unwrap_or(0.0),
                    ),
                    "`tokens.json` (and with it the metadata) was edited, or was not drawn from this `.drop`: \
                     run `dropc run` again",
                ));
            }
            variants.push(VariantShare {
                name: variant.name.to_string(),
                count: k,
                realised: share(k as f64),
                predicted: predicted[t][v],
                expected: share(m),
                p_value,
                flagged,
            });
        }
        shares.push(TraitShares { name: tr.name.clone(), variants });
    }
    for rule in &model.counts {
        let k = match rule.single() {
            Some(v) => counts[v.trait_id][v.index],
            None => tokens.variants.chunks(tokens.traits.max(1)).filter(|token| rule.matches(token)).count() as u64,
        };
        if k < rule.min || k > rule.max {
            let subject = match rule.single() {
                Some(v) => {
                    let tr = &model.traits[v.trait_id];
                    Subject::Variant { trait_name: tr.name.clone(), variant: tr.variants[v.index].name.to_string() }
                }
                None => Subject::Collection,
            };
            findings.push(Finding::new(
                QaCode::CountViolated,
                subject,
                format!(
                    "drawn by {k} tokens, but `count {} {} {}` allows {}",
                    rule.target,
                    rule.op,
                    rule.written,
                    if rule.min == rule.max {
                        format!("exactly {}", rule.min)
                    } else if rule.max >= n as u64 {
                        format!("at least {}", rule.min)
                    } else {
                        format!("{} to {}", rule.min, rule.max)
                    }
                ),
                "`tokens.json` (and with it the metadata) was edited: run `dropc run` again",
            ));
        }
    }
    (shares, findings)
}

fn zeros(model: &Model) -> Vec<Vec<f64>> {
    model.traits.iter().map(|t| vec![0.0; t.variants.len()]).collect()
}

/// Mean count of every variant over the replicate draws, and the standard
/// error of that mean; `None` when the model cannot be drawn.
#[allow(clippy::type_complexity)]
fn replicate_counts(model: &Model, seed: &str, n: usize) -> (Option<Vec<Vec<f64>>>, Option<Vec<Vec<f64>>>) {
    let Ok(mut plan) = Plan::new(model) else { return (None, None) };
    let k = replicates(n);
    let mut sum: Vec<Vec<f64>> = zeros(model);
    let mut squares: Vec<Vec<f64>> = zeros(model);
    let mut drawn = 0usize;
    for r in 0..k {
        let seed = format!("{seed}\u{0}qa replicate {r}");
        plan.keys = model.traits.iter().map(|t| StreamKey::new(&seed, "trait", &t.name)).collect();
        let Ok(tokens) = sample_with_plan(model, &plan, &seed) else { continue };
        drawn += 1;
        for (t, c) in tokens.variant_counts(model).iter().enumerate() {
            for (v, &x) in c.iter().enumerate() {
                sum[t][v] += x as f64;
                squares[t][v] += (x as f64) * (x as f64);
            }
        }
    }
    if drawn < 2 {
        return (None, None);
    }
    let d = drawn as f64;
    let mean: Vec<Vec<f64>> = sum.iter().map(|s| s.iter().map(|x| x / d).collect()).collect();
    let se = squares
        .iter()
        .zip(&mean)
        .map(|(sq, m)| {
            sq.iter().zip(m).map(|(q, m)| ((q - d * m * m) / (d - 1.0)).max(0.0).sqrt() / d.sqrt()).collect()
        })
        .collect();
    (Some(mean), Some(se))
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, nine terms: about 15 digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// `P(X = k)` for `X ~ Binomial(n, p)`, `0 < p < 1`.
fn pmf(n: u64, k: u64, p: f64) -> f64 {
    let (n, k) = (n as f64, k as f64);
    let ln_choose = ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0);
    (ln_choose + k * p.ln() + (n - k) * (-p).ln_1p()).exp()
}

/// Two-sided p-value of `k` successes in `n` trials of probability `p`:
/// twice the probability of the tail `k` is in, at most 1.
pub fn binomial_two_sided(n: u64, k: u64, p: f64) -> f64 {
    let p = p.clamp(0.0, 1.0);
    if p <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if p >= 1.0 {
        return if k == n { 1.0 } else { 0.0 };
    }
    if k > n {
        return 0.0;
    }
    let mean = n as f64 * p;
    let odds = p / (1.0 - p);
    let mut term = pmf(n, k, p);
    let mut tail = term;
    if k as f64 >= mean {
        // P(X >= k), summed outwards until the terms no longer matter.
        let mut i = k;
        while i < n {
            term *= (n - i) as f64 / (i + 1) as f64 * odds;
            tail += term;
            i += 1;
            if term <= tail * 1e-17 {
                break;
            }
        }
    } else {
        // P(X <= k).
        let mut i = k;
        while i > 0 {
            term *= i as f64 / (n - i + 1) as f64 / odds;
            tail += term;
            i -= 1;
            if term <= tail * 1e-17 {
                break;
            }
        }
    }
    (2.0 * tail).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCARCE: &str = "collection \"S\" { size 60 canvas 8 x 8 }
trait A < a: 1, b: 2, c: 5, d: 9, e: 1 >
trait B < x: 1, y: 3, z: 7, w: 1 >
trait C < p: 1, q: 6, r: 2, s: 1, t: 1 >
forbid A.c with B.x
count A.d <= 20
unique by A, B, C
";

    fn model(text: &str) -> Model {
        crate::check_text(text, &crate::check::NoArt).model.expect("model")
    }

    /// Clean draws (other seeds) are never flagged, even where `unique`
    /// uses 60 of its 95 combinations and a `count` binds; in release, 60
    /// seeds of each of the examples gave no finding either (smallest
    /// Bonferroni-adjusted p-value 0.05).
    #[test]
    fn clean_draws_are_not_flagged() {
        for text in [SCARCE, include_str!("../../examples/pixel-pets/pets.drop")] {
            let m = model(text);
            for seed in 0..4 {
                let seed = format!("clean-{seed}");
                let tokens = crate::sample(&m, &seed).expect("sample");
                let (shares, findings) = analyse(&m, &tokens, &seed);
                assert_eq!(findings, vec![], "{seed}");
                assert!(shares.iter().flat_map(|t| &t.variants).any(|v| v.p_value.is_some()));
            }
        }
    }

    /// Moving 15 of 60 tokens from a common variant to a rare one is flagged,
    /// and a broken `count` too.
    #[test]
    fn skewed_counts_are_flagged() {
        let m = model(SCARCE);
        let mut tokens = crate::sample(&m, "skew").expect("sample");
        let (d, q) = (3u32, 1u32);
        let mut moved = 0;
        for row in tokens.variants.chunks_mut(3) {
            if row[2] == q && moved < 15 {
                row[2] = 4;
                moved += 1;
            }
        }
        assert_eq!(moved, 15);
        for row in tokens.variants.chunks_mut(3).filter(|r| r[0] != d).take(25) {
            row[0] = d;
        }
        let (_, findings) = analyse(&m, &tokens, "skew");
        let codes: Vec<(&str, String)> = findings.iter().map(|f| (f.code.as_str(), f.subject.to_string())).collect();
        assert!(codes.contains(&(QaCode::Distribution.as_str(), "`C.t`".to_string())), "{codes:?}");
        assert!(codes.contains(&(QaCode::CountViolated.as_str(), "`A.d`".to_string())), "{codes:?}");
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut factorial = 1.0f64;
        for n in 1..30u32 {
            factorial *= f64::from(n);
            assert!((ln_gamma(f64::from(n) + 1.0) - factorial.ln()).abs() < 1e-10, "{n}");
        }
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }

    /// Tails computed by hand (twice the tail the count is in).
    #[test]
    fn binomial_tails() {
        // P(X >= 9 | n = 10, p = 0.5) = 11/1024.
        assert!((binomial_two_sided(10, 9, 0.5) - 22.0 / 1024.0).abs() < 1e-12);
        // P(X <= 1 | n = 10, p = 0.5) = 11/1024.
        assert!((binomial_two_sided(10, 1, 0.5) - 22.0 / 1024.0).abs() < 1e-12);
        assert_eq!(binomial_two_sided(10, 5, 0.5), 1.0);
        // P(X = 64 | n = 64, p = 0.25) = 0.25^64.
        let p = binomial_two_sided(64, 64, 0.25);
        assert!((p / (2.0 * 0.25f64.powi(64)) - 1.0).abs() < 1e-9, "{p}");
        assert_eq!(binomial_two_sided(5, 0, 0.0), 1.0);
        assert_eq!(binomial_two_sided(5, 1, 0.0), 0.0);
        // Large n: a count 5 standard deviations out is rare but not zero.
        let p = binomial_two_sided(1_000_000, 500_000 + 2_500, 0.5);
        assert!(p > 1e-7 && p < 1e-6, "{p}");
    }
}
