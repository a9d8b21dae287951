//! Rarity at the collection's size: the *expected* share of every variant
//! among the generated tokens of a collection of exactly `size` tokens, with
//! `unique`, every `count` and the legendaries taken into account.
//!
//! The *predicted* share (`crate::plan::predicted_shares`) is the law of one
//! token. A collection is not `size` independent tokens: uniqueness draws
//! without replacement, so when `size` uses a large part of the unique
//! combinations the common combinations run out and the rare ones fill the
//! collection (HashLips' own example, 242 tokens of 242 combinations: a
//! colour predicted at 69% ends at 22%); counts pin their variants and move
//! the traits tied to them.
//!
//! # How it is computed
//!
//! * **Exact** for the `unique` traits when the collection draws exactly as
//!   many tokens as there are unique combinations (and uniqueness compares
//!   names, not looks): every combination is then drawn once, whatever the
//!   seed, so every draw has the same share of each variant.
//! * **Exact** (the predicted share) when nothing acts on the collection as a
//!   whole: no `count`, and uniqueness cannot bind (no `unique` trait, or one
//!   token).
//! * **Predicted within a bound** when there is no `count` and uniqueness
//!   provably moves no share by more than [`BOUNDED_LIMIT`] (0.08 points,
//!   the standard error that the replicate draws below reach for a share of
//!   one half: the bound is then a worst case as tight as the estimate
//!   would be, and costs nothing): see [`uniqueness_bound`].
//! * In both cases the predicted share is itself an estimate for the traits
//!   of a rule group too dense to compile exactly (drawn by rejection from a
//!   relaxation, [`predicted_exact`]): their expected share is then
//!   **estimated**, with the predicted share's standard error
//!   ([`RELAXED_ERROR`], plus the uniqueness bound).
//! * Otherwise **estimated** by replicate draws of the real sampler
//!   (`crate::sample`), with the standard error of the mean over replicates.
//!   Replicates are seeded from the collection's seed (the first replicate is
//!   the collection `run` generates), so the estimate is deterministic. Their
//!   number is chosen so that simulation stays fast: [`REPLICATE_TOKENS`]
//!   tokens drawn in all, between [`MIN_REPLICATES`] and [`MAX_REPLICATES`]
//!   replicates. With `p` a share and `G` the generated tokens, the standard
//!   error is at most about `sqrt(p (1 - p) / (G R))`: under 0.5 points for
//!   any collection of 100 tokens or more. When every trait's predicted
//!   share is itself estimated (one rule group drawn from a relaxation,
//!   whose shares carry a standard error up to [`RELAXED_ERROR`]), the
//!   replicates draw [`RELAXED_REPLICATE_TOKENS`] tokens in all: the
//!   expected share's standard error (at most `0.5 / sqrt(40,000)`, 0.25
//!   points) then stays below the predicted share's, with which it is
//!   compared, at a tenth of the cost (each relaxed token costs a few
//!   proposals). With fewer than [`FEW_REPLICATES`] replicates the error is
//!   at least the binomial `sqrt(p (1 - p) / (G R))`.
//!
//! # The uniqueness bound
//!
//! The `k`-th token is drawn from the law of one token restricted to the
//! combinations not yet taken; if the taken ones have mass `m`, that law is
//! at total-variation distance exactly `m` from the unrestricted one, and
//! `m <= k p_max`, `p_max` the largest mass of one unique combination. So no
//! expected share moves by more than `(G - 1) p_max / 2`. `p_max` is at most
//! the product over the `unique` traits of their largest normalised weight,
//! divided by `Z`, the probability that a token with independent traits
//! satisfies every rule (the partition function `check` computes anyway).
//! Where `check` could not compute `Z` (a rule group too dense to eliminate),
//! [`log_partition_lower_bound`] bounds it from below: `Z` is a product over
//! the independent rule groups, each group's factor is exact where the group
//! compiled, for a group drawn from a relaxation the relaxation's exact
//! factor minus the union bound of the rules it dropped
//! (`RelaxedModel::log_partition_lower_bound`), and elsewhere at least one
//! minus the sum, over the group's rules, of the probability that
//! independent traits break the rule (the union bound). A lower bound of `Z`
//! gives an upper bound of the shift, so the bound stays a bound.

use std::sync::Arc;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Model, TraitId, VariantId};
use crate::plan::streams::StreamKey;
use crate::plan::{Plan, SampleError, shares_of_plan};
use crate::sample::sample_with_plan;
use crate::solve::Count;
use crate::span::Span;

/// Tokens drawn in all by the replicates of one estimate.
pub const REPLICATE_TOKENS: u64 = 400_000;
/// Fewest replicates (more if the collection is small).
pub const MIN_REPLICATES: u64 = 1;
/// Most replicates.
pub const MAX_REPLICATES: u64 = 64;
/// Largest uniqueness bound for which the predicted share, within the
/// bound, is the expected one ([`Method::Bounded`]): `0.5 / sqrt(REPLICATE_TOKENS)`,
/// the standard error of the replicate estimate of a share of one half.
pub const BOUNDED_LIMIT: f64 = 7.905_694_150_420_949e-4;
/// Below this many replicates, an estimated share's standard error is at
/// least the binomial one (the sample variance of a few replicates is itself
/// too uncertain).
pub const FEW_REPLICATES: u64 = 8;
/// Tokens drawn in all by the replicates when every trait's predicted share
/// is estimated from a relaxation: twice the draws behind those shares
/// ([`RELAXED_DRAWS`](crate::plan::RELAXED_DRAWS)), so the expected
/// share's standard error (at most `0.5 / sqrt(RELAXED_REPLICATE_TOKENS)`)
/// stays below the predicted share's bound [`RELAXED_ERROR`].
pub const RELAXED_REPLICATE_TOKENS: u64 = 2 * crate::plan::RELAXED_DRAWS;

/// How an expected share was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Computed exactly.
    Exact,
    /// The predicted share, which uniqueness provably moves by at most the error.
    Bounded,
    /// The mean over replicate draws; the error is its standard error.
    Estimated,
}

/// Upper bound on the standard error of a predicted share estimated from
/// [`RELAXED_DRAWS`](crate::plan::RELAXED_DRAWS) exact draws (`sqrt(p (1 - p) / n) <= 0.5 / sqrt(n)`).
pub const RELAXED_ERROR: f64 = 0.003_535_533_905_932_738;

/// Per trait: whether its predicted share (`crate::plan::shares_of_plan`)
/// is exact (compiled by elimination or search) rather than estimated from
/// [`RELAXED_DRAWS`](crate::plan::RELAXED_DRAWS) draws of a relaxation.
pub fn predicted_exact(model: &Model, plan: &Plan) -> Vec<bool> {
    let mut exact = vec![true; model.traits.len()];
    for c in &plan.components {
        if !c.base.exact_marginals() {
            for &t in &c.traits {
                exact[t] = false;
            }
        }
    }
    exact
}

/// Expected shares of every variant, `[trait][variant]`.
#[derive(Clone, Debug)]
pub struct Expected {
    /// The expected share among generated tokens (shared with the
    /// predicted shares when they are the same: 800 KB for 100,000 variants).
    pub shares: Arc<[Vec<f64>]>,
    /// Standard error of each estimate (0 where exact; the bound where bounded).
    pub errors: Errors,
    /// Per trait: how its shares were obtained.
    pub methods: Vec<Method>,
    /// Replicate draws made (0 when none was needed).
    pub replicates: u64,
}

/// The standard errors of [`Expected::shares`]: one per variant, or one
/// for every variant of a trait (exact and bounded shares, which need no
/// table of equal numbers).
#[derive(Clone, Debug, PartialEq)]
pub enum Errors {
    /// `[trait][variant]`.
    PerVariant(Vec<Vec<f64>>),
    /// `[trait]`: the error of each of its variants.
    PerTrait(Vec<f64>),
}

impl Errors {
    /// The error of variant `v` of trait `t`.
    pub fn get(&self, t: usize, v: usize) -> f64 {
        match self {
            Errors::PerVariant(e) => e[t][v],
            Errors::PerTrait(e) => e[t],
        }
    }

    /// Every error of trait `t` (of `len` variants), in variant order.
    pub fn of_trait(&self, t: usize, len: usize) -> impl Iterator<Item = f64> + '_ {
        (0..len).map(move |v| self.get(t, v))
    }
}

/// The largest normalised weight of every trait (over its `when` overrides too).
fn max_prior(model: &Model, t: TraitId) -> f64 {
    let normal_max = |ws: &mut dyn Iterator<Item = f64>| {
        let ws: Vec<f64> = ws.collect();
        let total: f64 = ws.iter().sum();
        if total > 0.0 { ws.iter().fold(0.0f64, |m, w| m.max(w / total)) } else { 0.0 }
    };
    let mut m = normal_max(&mut model.traits[t].variants.iter().map(|v| v.weight));
    for w in &model.whens {
        for (target, weights) in &w.overrides {
            if *target == t {
                m = m.max(normal_max(&mut weights.iter().copied()));
            }
        }
    }
    m
}

/// An upper bound on how far uniqueness can move any expected share from the
/// predicted one, given `log_z`, the natural log of the probability that a
/// token of independent traits satisfies every rule (module docs).
pub fn uniqueness_bound(model: &Model, log_z: f64) -> f64 {
    let g = model.generated_size();
    if model.unique.is_empty() || g <= 1 {
        return 0.0;
    }
    let log_p_max: f64 = model.unique.iter().map(|&t| max_prior(model, t).ln()).sum::<f64>() - log_z;
    let bound = (g - 1) as f64 / 2.0 * log_p_max.min(0.0).exp();
    if bound.is_finite() { bound.min(1.0) } else { 1.0 }
}

/// A lower bound of the natural log of `Z` (see [`uniqueness_bound`]) from
/// the compiled `plan`, for when `check` could not compute `Z` exactly: per
/// rule group, its exact partition function where it compiled by
/// elimination, the relaxation's bound where it is drawn from one, else the
/// union bound over its rules (module docs). `None`
/// when a group neither compiled nor has a positive union bound, or a `when`
/// rule ties it (its traits are then not independent before the rules).
pub fn log_partition_lower_bound(model: &Model, plan: &Plan) -> Option<f64> {
    let prior = |t: TraitId| {
        let total: f64 = model.traits[t].variants.iter().map(|v| v.weight).sum();
        move |v: usize| if total > 0.0 { model.traits[t].variants[v].weight / total } else { 0.0 }
    };
    let p = |id: VariantId| prior(id.trait_id)(id.index);
    let mut log_z = 0.0;
    for (ci, c) in plan.components.iter().enumerate() {
        match &c.base.engine {
            crate::plan::Engine::Elimination { model: compiled, .. } => {
                log_z += compiled.log_partition();
                continue;
            }
            crate::plan::Engine::Relaxed(relaxed, _) => {
                if let Some(bound) = relaxed.log_partition_lower_bound() {
                    log_z += bound;
                    continue;
                }
            }
            crate::plan::Engine::Search(_) => {}
        }
        let inside = |t: TraitId| plan.place[t].0 == ci;
        if model.whens.iter().any(|w| inside(w.condition_trait) || w.overrides.iter().any(|(t, _)| inside(*t))) {
            return None;
        }
        let mut broken = 0.0;
        for f in model.forbids.iter().filter(|f| f.variants.first().is_some_and(|v| inside(v.trait_id))) {
            // The variants are of distinct traits: independent.
            broken += f.variants.iter().map(|&v| p(v)).product::<f64>();
        }
        for r in model.requires.iter().filter(|r| inside(r.when.trait_id)) {
            // The premise holds and, on every trait of the alternatives, none of them does.
            let mut prob = p(r.when);
            let mut traits: Vec<TraitId> = r.alternatives.iter().map(|a| a.trait_id).collect();
            traits.sort_unstable();
            traits.dedup();
            for t in traits {
                let mut values: Vec<usize> =
                    r.alternatives.iter().filter(|a| a.trait_id == t).map(|a| a.index).collect();
                values.sort_unstable();
                values.dedup();
                if t == r.when.trait_id {
                    if values.contains(&r.when.index) {
                        prob = 0.0;
                    }
                } else {
                    let held: f64 = values.iter().map(|&v| prior(t)(v)).sum();
                    prob *= (1.0 - held).max(0.0);
                }
            }
            broken += prob;
        }
        // A margin for the rounding of the sum.
        let z = 1.0 - broken * (1.0 + 1e-9) - 1e-12;
        if z.is_nan() || z <= 0.0 {
            return None;
        }
        log_z += z.ln();
    }
    Some(log_z)
}

/// The seed of replicate `r`: the collection's own seed first.
pub fn replicate_seed(seed: &str, r: u64) -> String {
    if r == 0 { seed.to_string() } else { format!("{seed}/expected/{r}") }
}

/// Replicates for a collection of `g` generated tokens.
pub fn replicates_for(g: u64) -> u64 {
    (REPLICATE_TOKENS / g.max(1)).clamp(MIN_REPLICATES, MAX_REPLICATES)
}

/// Replicates for a collection of `g` generated tokens whose traits all
/// have estimated predicted shares (see [`RELAXED_REPLICATE_TOKENS`]).
pub fn relaxed_replicates_for(g: u64) -> u64 {
    (RELAXED_REPLICATE_TOKENS / g.max(1)).clamp(MIN_REPLICATES, MAX_REPLICATES)
}

/// Replicates to draw for `g` generated tokens: one when every trait is
/// unique and every combination is drawn once (every draw is then the same
/// up to order), [`relaxed_replicates_for`] when every trait's predicted share
/// is estimated (`exact` all false), else [`replicates_for`].
fn replicate_count(g: u64, every_once: bool, exact: &[bool]) -> u64 {
    if every_once {
        1
    } else if !exact.is_empty() && exact.iter().all(|&e| !e) {
        relaxed_replicates_for(g)
    } else {
        replicates_for(g)
    }
}

/// Expected shares of `model` (compiled into `plan`, e.g. `Plan::new`).
/// `combinations` is the exact number of unique combinations, if known;
/// `log_z` as for [`uniqueness_bound`], if known (else bounded from below
/// by [`log_partition_lower_bound`]).
pub fn expected(
    model: &Model,
    plan: &Plan,
    combinations: Option<u128>,
    log_z: Option<f64>,
) -> Result<Expected, SampleError> {
    expected_given(model, plan, &shares_of_plan(model, plan).into(), combinations, log_z)
}

/// [`expected`], given the predicted shares of `plan` (`shares_of_plan`),
/// when the caller has them already (they are estimated by draws for a rule
/// group too dense to compile, so computing them twice costs).
pub fn expected_given(
    model: &Model,
    plan: &Plan,
    predicted: &Arc<[Vec<f64>]>,
    combinations: Option<u128>,
    log_z: Option<f64>,
) -> Result<Expected, SampleError> {
    let g = model.generated_size();
    let zeros = || model.traits.iter().map(|t| vec![0.0; t.variants.len()]).collect::<Vec<_>>();
    let exact = predicted_exact(model, plan);
    // The predicted shares as expected ones, with one error per trait:
    // estimated, not exact or bounded, where the predicted share is itself
    // an estimate.
    let whole = |method: Method, error: f64| {
        let mut errors = vec![error; model.traits.len()];
        let methods = (0..model.traits.len())
            .map(|t| {
                if exact[t] {
                    method
                } else {
                    errors[t] += RELAXED_ERROR;
                    Method::Estimated
                }
            })
            .collect();
        Expected { shares: Arc::clone(predicted), errors: Errors::PerTrait(errors), methods, replicates: 0 }
    };
    if model.counts.is_empty() {
        if model.unique.is_empty() || g <= 1 {
            return Ok(whole(Method::Exact, 0.0));
        }
        if let Some(bound) =
            log_z.or_else(|| log_partition_lower_bound(model, plan)).map(|z| uniqueness_bound(model, z))
            && bound <= BOUNDED_LIMIT
        {
            return Ok(whole(Method::Bounded, bound));
        }
    }
    if g == 0 {
        return Ok(Expected {
            shares: zeros().into(),
            errors: Errors::PerTrait(vec![0.0; model.traits.len()]),
            methods: vec![Method::Exact; model.traits.len()],
            replicates: 0,
        });
    }
    let every_once = combinations == Some(u128::from(g)) && model.visually.is_none();
    let r = replicate_count(g, every_once && model.unique.len() == model.traits.len(), &exact);
    let mut plan = plan.clone();
    let mut sum = zeros();
    let mut sum_sq = zeros();
    for i in 0..r {
        let seed = replicate_seed(&model.settings.seed, i);
        plan.keys = model.traits.iter().map(|t| StreamKey::new(&seed, "trait", &t.name)).collect();
        let tokens = sample_with_plan(model, &plan, &seed)?;
        for (t, counts) in tokens.variant_counts(model).iter().enumerate() {
            for (v, &n) in counts.iter().enumerate() {
                let share = n as f64 / g as f64;
                sum[t][v] += share;
                sum_sq[t][v] += share * share;
            }
        }
    }
    let rf = r as f64;
    let mut methods = vec![Method::Estimated; model.traits.len()];
    let mut errors = zeros();
    let mut shares = zeros();
    for t in 0..model.traits.len() {
        let exact = every_once && model.unique.contains(&t);
        if exact {
            methods[t] = Method::Exact;
        }
        for v in 0..shares[t].len() {
            let mean = sum[t][v] / rf;
            shares[t][v] = mean;
            errors[t][v] = if exact {
                0.0
            } else {
                // The binomial error of `r G` independent tokens, which
                // draws without replacement and exact counts only make
                // smaller: the error of one replicate, and a floor under
                // the spread of a few (with under `FEW_REPLICATES` the
                // sample variance has too few degrees of freedom to trust
                // alone).
                let binomial = (mean * (1.0 - mean) / (g as f64 * rf)).sqrt();
                if r >= 2 {
                    let var = ((sum_sq[t][v] - rf * mean * mean) / (rf - 1.0)).max(0.0);
                    let spread = (var / rf).sqrt();
                    if r < FEW_REPLICATES { spread.max(binomial) } else { spread }
                } else {
                    binomial
                }
            };
        }
    }
    Ok(Expected { shares: shares.into(), errors: Errors::PerVariant(errors), methods, replicates: r })
}

/// Share differences larger than this (5 points) are reported by `check`.
pub const DRIFT_TOLERANCE: f64 = 0.05;

/// The warning [`crate::check()`](fn@crate::check) adds to the checker's
/// diagnostics (given the model's unique `combinations` and the natural log
/// of its partition function, from `check`'s feasibility analysis, and the
/// span of `size`): variants whose expected share differs from the
/// predicted one by more than [`DRIFT_TOLERANCE`] (by more than that plus
/// two standard errors, when estimated: a warning the estimate's noise could
/// not explain) because of uniqueness at this size (estimated without the `count` rules, whose effect is meant;
/// counted variants are not reported). Skipped, at no cost, when [`uniqueness_bound`] proves no share
/// can move that far; otherwise the expected shares are estimated as
/// `simulate` does.
pub fn warn_drift(
    model: &Model,
    combinations: &Count,
    log_partition: Option<f64>,
    size_span: Span,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(log_z) = log_partition else { return };
    if uniqueness_bound(model, log_z) <= DRIFT_TOLERANCE {
        return;
    }
    if model.visually.is_some() && model.visibility.is_none() {
        return;
    }
    // Uniqueness alone: counts move shares on purpose, and `simulate` shows
    // their effect; this warning is about what the author did not write.
    let with_counts = model;
    let mut alone = model.clone();
    alone.counts.clear();
    let model = &alone;
    let Ok(plan) = Plan::new(model) else { return };
    let predicted = shares_of_plan(model, &plan);
    let Ok(expected) = expected(model, &plan, combinations.exact(), Some(log_z)) else { return };
    let g = model.generated_size();
    let used = match combinations.exact() {
        Some(n) => format!("{g} of the {n} unique combinations"),
        None => format!("{g} tokens from {} unique combinations", combinations.describe()),
    };
    let counted = |v: VariantId| with_counts.counts.iter().any(|c| c.variants.contains(&v));
    for (t, tr) in model.traits.iter().enumerate() {
        let moved: Vec<usize> = (0..tr.variants.len())
            .filter(|&v| {
                !counted(VariantId { trait_id: t, index: v })
                    && (expected.shares[t][v] - predicted[t][v]).abs() - 2.0 * expected.errors.get(t, v)
                        > DRIFT_TOLERANCE
            })
            .collect();
        let Some(&first) = moved.first() else { continue };
        let says = |v: usize| {
            format!(
                "`{}` from {:.1}% predicted to {:.1}% expected",
                model.variant_name(VariantId { trait_id: t, index: v }),
                predicted[t][v] * 100.0,
                expected.shares[t][v] * 100.0
            )
        };
        let more = match moved.len() {
            1 => String::new(),
            2 => format!(" and {}", says(moved[1])),
            n => format!(" and {} other variants", n - 1),
        };
        let counts_too = if with_counts.counts.is_empty() { "" } else { " (leaving the `count` rules aside)" };
        let mut d = Diagnostic::new(
            Code::UniquenessDrift,
            tr.span,
            format!("uniqueness at this size{counts_too} moves {}{more}", says(first)),
        )
        .label("shares drift at this size");
        for &v in moved.iter().take(4) {
            let e = expected.shares[t][v] * 100.0;
            d = d.with_label(tr.variants[v].span(), format!("expected {e:.1}%"));
        }
        diagnostics.push(
            d.with_label(size_span, "the collection's size")
                .help(format!(
                    "the collection draws {used}: once the likely combinations are taken the rare ones fill it; \
                     lower `size`, add variants, or set the weights to give the shares you want (`dropc simulate` shows them)"
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::check::{NoArt, check_text};

    #[test]
    fn bounded_limit_is_the_standard_error_of_the_replicates_for_one_half() {
        assert!((BOUNDED_LIMIT - 0.5 / (REPLICATE_TOKENS as f64).sqrt()).abs() < 1e-15);
        // The replicates of a relaxed collection estimate at least as
        // precisely as its predicted shares are known.
        assert!(0.5 / (RELAXED_REPLICATE_TOKENS as f64).sqrt() < RELAXED_ERROR);
    }

    #[test]
    fn relaxed_collections_draw_fewer_replicates() {
        assert_eq!(replicate_count(10_000, false, &[true, false]), 40);
        assert_eq!(replicate_count(10_000, false, &[false, false]), 4);
        assert_eq!(replicate_count(100, false, &[false]), MAX_REPLICATES);
        assert_eq!(replicate_count(1_000_000, false, &[false]), MIN_REPLICATES);
        assert_eq!(replicate_count(10_000, true, &[false, false]), 1);
    }

    /// Uniqueness that provably moves no share by more than
    /// [`BOUNDED_LIMIT`] (but more than 10⁻⁶): the predicted share, within
    /// the bound, which holds against a large replicate estimate.
    #[test]
    fn a_small_uniqueness_bound_keeps_the_predicted_shares_within_it() {
        let mut src = String::from("collection \"T\" { size 40 canvas 8 x 8 seed \"b\" }\n");
        for t in 0..11 {
            src.push_str(&format!("metadata trait T{t} < a: 3, b: 1, c: 1, d: 1, e: 1, f: 1 >\n"));
        }
        src.push_str("forbid T0.a with T1.a\n");
        let checked = check_text(&src, &NoArt);
        let model = checked.model.expect("checks");
        let f = checked.feasibility.expect("feasibility");
        let bound = uniqueness_bound(&model, f.log_partition.expect("compiled"));
        assert!(bound > 1e-6 && bound <= BOUNDED_LIMIT, "{bound}");
        let plan = Plan::new(&model).unwrap();
        let predicted = shares_of_plan(&model, &plan);
        let e = expected(&model, &plan, f.combinations.exact(), f.log_partition).unwrap();
        assert_eq!(e.methods, vec![Method::Bounded; 11]);
        assert_eq!(e.replicates, 0);
        assert_eq!(*e.shares, *predicted);
        assert_eq!(e.errors, Errors::PerTrait(vec![bound; model.traits.len()]));
        // 500 replicates of 40 tokens: the estimate is within the bound
        // plus five of its standard errors.
        let mut sum = [0.0; 6];
        let reps = 500;
        let mut plan = plan;
        for i in 0..reps {
            let seed = replicate_seed("b", i);
            plan.keys = model.traits.iter().map(|t| StreamKey::new(&seed, "trait", &t.name)).collect();
            let tokens = sample_with_plan(&model, &plan, &seed).unwrap();
            for (v, &n) in tokens.variant_counts(&model)[2].iter().enumerate() {
                sum[v] += n as f64 / 40.0;
            }
        }
        for (v, s) in sum.iter().enumerate() {
            let mean = s / reps as f64;
            let p = predicted[2][v];
            let se = (p * (1.0 - p) / (40.0 * reps as f64)).sqrt();
            assert!((mean - p).abs() <= bound + 5.0 * se, "{v}: {mean} vs {p} ± {bound}");
        }
    }

    #[test]
    fn relaxed_error_bounds_the_standard_error_of_the_relaxed_draws() {
        let n = crate::plan::RELAXED_DRAWS as f64;
        assert!((RELAXED_ERROR - 0.5 / n.sqrt()).abs() < 1e-12);
    }

    /// A rule group drawn by rejection from a relaxation has estimated
    /// predicted shares: never labelled exact or bounded, and the error says
    /// how far the estimate can be.
    #[test]
    fn shares_of_a_relaxed_group_are_estimated_not_exact() {
        let src = "collection \"R\" { size SIZE canvas 8 x 8 seed \"s\" }\n\
            metadata trait A < a: 1, b: 2, c: 3 >\n\
            metadata trait B < a: 1, b: 2, c: 3 >\n\
            metadata trait C < a: 1, b: 2, c: 3 >\n\
            forbid A.a with B.a\nforbid A.b with B.b\nforbid A.c with C.c\nforbid B.c with C.c\nforbid B.a with C.b\n";
        for size in ["1", "3"] {
            let checked = check_text(&src.replace("SIZE", size), &NoArt);
            let model = checked.model.expect("checks");
            let f = checked.feasibility.expect("feasibility");
            let mut plan = Plan::new(&model).unwrap();
            assert_eq!(predicted_exact(&model, &plan), vec![true; 3]);
            let exact = expected(&model, &plan, f.combinations.exact(), f.log_partition).unwrap();
            if size == "1" {
                // One token: uniqueness cannot bind, the predicted share is the expected one.
                assert_eq!(exact.methods, vec![Method::Exact; 3]);
            }

            // The same group compiled as a relaxation (a budget that forces rules out).
            let net = crate::solve::network::network(&model);
            let tiny = crate::solve::Budget { max_table_entries: 9, ..crate::solve::Budget::default() };
            let relaxed = crate::solve::RelaxedModel::compile(&net, &tiny).unwrap();
            assert_eq!(plan.components.len(), 1);
            plan.components[0].base.engine =
                crate::plan::Engine::Relaxed(std::sync::Arc::new(relaxed), net.domains.clone());
            assert_eq!(predicted_exact(&model, &plan), vec![false; 3]);
            let e = expected(&model, &plan, f.combinations.exact(), f.log_partition).unwrap();
            assert_eq!(e.methods, vec![Method::Estimated; 3], "size {size}");
            let every = |t: usize| e.errors.of_trait(t, model.traits[t].variants.len()).all(|x| x >= RELAXED_ERROR);
            assert!((0..model.traits.len()).all(every), "{:?}", e.errors);
            if size == "1" {
                // The estimate is near the exact law (5 standard errors).
                for (shares, exact_shares) in e.shares.iter().zip(exact.shares.iter()) {
                    for (s, x) in shares.iter().zip(exact_shares) {
                        assert!((s - x).abs() < 5.0 * RELAXED_ERROR, "{s} vs {x}");
                    }
                }
            }
        }
    }

    /// The bounds used for a rule group that did not compile by elimination
    /// (from its relaxation; the union bound) are below its exact partition
    /// function, and near it for weak rules.
    #[test]
    fn union_bound_is_below_the_partition_function() {
        let src = "collection \"R\" { size 3 canvas 8 x 8 seed \"s\" }\n\
            metadata trait A < a: 1, b: 2, c: 3, d: 4 >\n\
            metadata trait B < a: 1, b: 2, c: 3, d: 4 >\n\
            metadata trait C < a: 5, b: 2, c: 3 >\n\
            forbid A.a with B.a\nforbid A.b with B.b with C.a\nrequire A.c -> C.c | B.d\nforbid B.c with C.c\n";
        let checked = check_text(src, &NoArt);
        let model = checked.model.expect("checks");
        let exact = checked.feasibility.expect("feasibility").log_partition.expect("compiled");
        let mut plan = Plan::new(&model).unwrap();
        assert_eq!(log_partition_lower_bound(&model, &plan), Some(exact), "exact where it compiled");
        let net = crate::solve::network::network(&model);
        let tiny = crate::solve::Budget { max_table_entries: 9, ..crate::solve::Budget::default() };
        let relaxed = crate::solve::RelaxedModel::compile(&net, &tiny).unwrap();
        plan.components[0].base.engine =
            crate::plan::Engine::Relaxed(std::sync::Arc::new(relaxed), net.domains.clone());
        let bound = log_partition_lower_bound(&model, &plan).expect("a positive bound from the relaxation");
        assert!(bound <= exact && bound > exact - 0.3, "relaxation: {bound} vs {exact}");
        // A group compiled by search: the union bound over its rules.
        let search = crate::solve::SearchModel::compile(&net, &[], crate::solve::SearchBudget::default()).unwrap();
        plan.components[0].base.engine = crate::plan::Engine::Search(std::sync::Arc::new(search));
        let bound = log_partition_lower_bound(&model, &plan).expect("a positive union bound");
        assert!(bound <= exact && bound > exact - 0.3, "union: {bound} vs {exact}");
    }

    fn run(src: &str) -> (Model, Expected) {
        let checked = check_text(src, &NoArt);
        let model = checked.model.expect("checks");
        let f = checked.feasibility.expect("feasibility");
        let plan = Plan::new(&model).unwrap();
        let e = expected(&model, &plan, f.combinations.exact(), f.log_partition).unwrap();
        (model, e)
    }

    const SMALL: &str = "collection \"T\" { size SIZE canvas 8 x 8 seed \"s\" }\n\
        trait Eyes < Yellow: 20, Blue: 1, Green: 1 >\n\
        trait Mouth < Smile: 1, Frown: 1, Open: 1, Flat: 1 >\n";

    #[test]
    fn every_combination_once_is_exact() {
        let (_, e) = run(&SMALL.replace("SIZE", "12"));
        assert_eq!(e.methods, vec![Method::Exact, Method::Exact]);
        for share in &e.shares[0] {
            assert!((share - 1.0 / 3.0).abs() < 1e-12, "{share}");
        }
        assert!((0..e.shares.len()).all(|t| e.errors.of_trait(t, e.shares[t].len()).all(|x| x == 0.0)));
    }

    #[test]
    fn partial_use_is_estimated_deterministically_between_predicted_and_uniform() {
        let src = SMALL.replace("SIZE", "8");
        let (_, a) = run(&src);
        let (_, b) = run(&src);
        assert_eq!(a.shares, b.shares, "seeded from the collection's seed");
        assert_eq!(a.methods[0], Method::Estimated);
        assert_eq!(a.replicates, MAX_REPLICATES);
        let yellow = a.shares[0][0];
        // At most 4 combinations have Yellow, so at most 4 of 8 tokens: 50%.
        assert!(yellow <= 0.5 + 1e-12 && yellow > 1.0 / 3.0, "{yellow}");
        let total: f64 = a.shares[0].iter().sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!(a.errors.get(0, 1) > 0.0);
    }

    #[test]
    fn uniqueness_that_cannot_bind_keeps_the_predicted_shares() {
        let mut src = String::from("collection \"T\" { size 10 canvas 8 x 8 }\n");
        for t in 0..12 {
            src.push_str(&format!("metadata trait T{t} < a: 1, b: 1, c: 1, d: 1, e: 1, f: 1, g: 1, h: 1 >\n"));
        }
        let (model, e) = run(&src);
        assert_eq!(e.methods, vec![Method::Bounded; model.traits.len()]);
        assert!(e.errors.get(0, 0) <= 1e-6 && e.errors.get(0, 0) > 0.0);
        assert!((e.shares[0][0] - 0.125).abs() < 1e-12);
    }

    #[test]
    fn bound_holds_against_the_estimate() {
        let src = SMALL.replace("SIZE", "5");
        let checked = check_text(&src, &NoArt);
        let model = checked.model.unwrap();
        let f = checked.feasibility.unwrap();
        let bound = uniqueness_bound(&model, f.log_partition.unwrap());
        let plan = Plan::new(&model).unwrap();
        let predicted = shares_of_plan(&model, &plan);
        let e = expected(&model, &plan, f.combinations.exact(), f.log_partition).unwrap();
        for (p, x) in predicted.iter().flatten().zip(e.shares.iter().flatten()) {
            assert!((p - x).abs() <= bound + 0.02, "{p} {x} {bound}");
        }
    }
}
