//! How many different looks a collection under `unique visually` can have.
//!
//! `unique visually` keeps apart tokens whose visual keys differ
//! ([`Visibility::key`], the very key the sampler stores), so `size` must fit
//! the number of distinct visual keys among the combinations the rules
//! allow, not the number of combinations. That number is a projected model
//! count: the factor graph of the rules ([`crate::solve::network::network`]) is
//! extended with one *key variable* `K_t` per unique trait `t`, tied by a
//! 0/1 factor to `t` and to the unique traits whose variants cover some
//! variant of `t`, that holds exactly when `K_t` is the key's entry for `t`
//! (the first variant with identical art, or "nothing" when the variant is
//! blank or covered). The number of assignments of the key variables that
//! extend to an allowed token is then the number of looks, counted by
//! [`crate::solve::count`] exactly where its budget allows and bounded
//! otherwise.
//!
//! A key factor whose table would be too large (a trait covered by variants
//! of many large traits) is replaced by two cheaper ones that bound the
//! count: ignoring what covers the trait (every variant that is not blank
//! shows: at least as many looks) and hiding every variant that anything can
//! cover (at most as many looks).

use super::settings::SettingSpans;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Visibility;
use crate::model::{Model, TraitId, VariantId};
use crate::solve::{self, Count, Factor, Network};

/// Largest key factor built exactly (entries of its table).
const KEY_TABLE_LIMIT: usize = 1 << 20;

/// How a trait's key variable is tied to the traits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Covering {
    /// As the key is defined: hidden when blank or covered.
    Exact,
    /// Hidden only when blank (more looks than the truth, or as many).
    Ignored,
    /// Hidden when blank or when some variant of the key's traits can cover it
    /// (fewer looks than the truth, or as many).
    Always,
}

/// The number of different visual keys on the `unique` traits among the
/// combinations the rules allow.
pub fn count(model: &Model, visibility: &Visibility) -> Count {
    let traits = &model.unique;
    let budget = crate::solve::network::budget();
    let exact = keyed_network(model, visibility, traits, None);
    match exact {
        Some(net) => count_keys(&net, model, traits, &budget),
        None => {
            let upper = keyed_network(model, visibility, traits, Some(Covering::Ignored))
                .map_or(Count::Bounds { lower: 0, upper: u128::MAX }, |n| count_keys(&n, model, traits, &budget));
            let lower = keyed_network(model, visibility, traits, Some(Covering::Always))
                .map_or(Count::Bounds { lower: 0, upper: u128::MAX }, |n| count_keys(&n, model, traits, &budget));
            Count::Bounds { lower: lower.lower(), upper: upper.upper() }
        }
    }
}

fn count_keys(net: &Network, model: &Model, traits: &[TraitId], budget: &solve::Budget) -> Count {
    let first_key = model.traits.len();
    let projection: Vec<usize> = (first_key..first_key + traits.len()).collect();
    solve::count(net, &projection, budget).unwrap_or(Count::Bounds { lower: 0, upper: u128::MAX })
}

/// The rule network with a key variable per unique trait (variables
/// `traits.len()` after the model's traits); `None` when `force` is `None`
/// and some exact key factor would be too large.
fn keyed_network(
    model: &Model,
    visibility: &Visibility,
    traits: &[TraitId],
    force: Option<Covering>,
) -> Option<Network> {
    let base = crate::solve::network::network(model);
    let mut domains = base.domains.clone();
    domains.extend(traits.iter().map(|&t| model.traits[t].variants.len() + 1));
    let mut net = Network::new(domains.clone());
    for f in base.factors {
        net.push(f);
    }
    for (k, &t) in traits.iter().enumerate() {
        let key_var = model.traits.len() + k;
        let n = model.traits[t].variants.len();
        let nothing = n;
        // The unique traits whose variants cover some variant of `t`.
        let mut coverers: Vec<TraitId> = (0..n)
            .flat_map(|index| visibility.covered_by(VariantId { trait_id: t, index }).iter().map(|u| u.trait_id))
            .filter(|u| traits.contains(u))
            .collect();
        coverers.sort_unstable();
        coverers.dedup();
        let entries = coverers.iter().fold((n + 1) * n, |acc, &c| acc.saturating_mul(domains[c]));
        let covering = match force {
            Some(c) => c,
            None if entries <= KEY_TABLE_LIMIT => Covering::Exact,
            None => return None,
        };
        let shown = |index: usize| visibility.same_as(VariantId { trait_id: t, index });
        let blank = |index: usize| visibility.is_blank(VariantId { trait_id: t, index });
        let factor = match covering {
            Covering::Exact => {
                let mut scope = vec![key_var, t];
                scope.extend(&coverers);
                Factor::from_fn(scope, &domains, |a| {
                    let (key, index) = (a[0], a[1]);
                    let v = VariantId { trait_id: t, index };
                    let covered = visibility.covered_by(v).iter().any(|u| {
                        coverers.iter().position(|&c| c == u.trait_id).is_some_and(|pos| a[2 + pos] == u.index)
                    });
                    let want = if blank(index) || covered { nothing } else { shown(index) };
                    if key == want { 1.0 } else { 0.0 }
                })
            }
            Covering::Ignored | Covering::Always => Factor::from_fn(vec![key_var, t], &domains, |a| {
                let (key, index) = (a[0], a[1]);
                let v = VariantId { trait_id: t, index };
                let coverable = covering == Covering::Always
                    && visibility.covered_by(v).iter().any(|u| traits.contains(&u.trait_id));
                let want = if blank(index) || coverable { nothing } else { shown(index) };
                if key == want { 1.0 } else { 0.0 }
            }),
        };
        net.push(factor);
    }
    Some(net)
}

/// Under `unique visually`: an error when `size` exceeds the number of
/// looks, a warning when that cannot be decided.
pub fn check_size(model: &Model, visibility: &Visibility, spans: &SettingSpans, diagnostics: &mut Vec<Diagnostic>) {
    let Some(visually) = model.visually else { return };
    if model.unique.is_empty() {
        return;
    }
    let looks = count(model, visibility);
    let drawn = u128::from(model.generated_size());
    let shown = super::feasibility::describe(&looks);
    let legendary_note = match model.legendaries.len() {
        0 => String::new(),
        1 => format!(" ({} tokens less 1 legendary)", model.settings.size),
        n => format!(" ({} tokens less {n} legendaries)", model.settings.size),
    };
    let why = "under `unique visually` tokens that differ only in variants nobody sees (blank, or covered by \
               another layer) or in variants with identical art look the same";
    if drawn > looks.upper() {
        diagnostics.push(
            Diagnostic::new(
                Code::SizeInfeasible,
                spans.get("size"),
                format!("the collection draws {drawn} tokens{legendary_note} but only {shown} different looks exist"),
            )
            .label(format!("{drawn} > {shown} looks"))
            .with_label(visually, "compares looks, not combinations")
            .help(format!(
                "{why}; lower `size` to at most {}, give variants art that tells them apart, or write `unique` \
                 to compare variant names",
                looks.upper()
            )),
        );
    } else if drawn > looks.lower() {
        diagnostics.push(
            Diagnostic::new(
                Code::FeasibilityUnknown,
                spans.get("size"),
                format!("could not prove that {drawn} different looks exist: there are {shown}"),
            )
            .label("feasibility unknown")
            .with_label(visually, "compares looks, not combinations")
            .help(format!("{why}; the sampler reports it if the looks run out")),
        );
    }
}
