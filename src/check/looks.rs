//! How many different looks a collection under `unique visually` can have.
//!
//! `unique visually` keeps apart tokens whose visual keys differ
//! ([`Visibility::key`], the very key the sampler stores), so `size` must fit
//! the number of distinct visual keys among the combinations the rules
//! allow, not the number of combinations. That number is a projected model
//! count: the factor graph of the rules ([`crate::solve::network::network`]) is
//! extended with one *key variable* `K_t` per unique trait `t`, tied by a
//! 0/1 factor to `t`, to the traits whose variants decide which look `t`
//! draws (the conditions of its conditional art), to the unique traits
//! whose looks cover some look of `t` and to what decides theirs, that holds
//! exactly when `K_t` is the key's entry for `t` (the first look with
//! identical art, or "nothing" when the look drawn is blank or covered). The
//! number of assignments of the key variables that extend to an allowed
//! token is then the number of looks, counted by [`crate::solve::count`]
//! exactly where its budget allows and bounded otherwise.
//!
//! A key factor whose table would be too large (a trait covered by looks
//! of many large traits) is replaced by two cheaper ones that bound the
//! count: ignoring what covers the trait (every look that is not blank
//! shows: at least as many looks) and hiding every look that anything can
//! cover (at most as many looks). Both are functions of the exact key (or
//! it of them), since looks with identical art cover and are covered alike.

use super::settings::SettingSpans;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Visibility;
use crate::model::{ArtSource, LookId, Model, TraitId};
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
    domains.extend(traits.iter().map(|&t| visibility.looks_len(t) + 1));
    let mut net = Network::new(domains.clone());
    for f in base.factors {
        net.push(f);
    }
    for (k, &t) in traits.iter().enumerate() {
        let key_var = model.traits.len() + k;
        let nothing = visibility.looks_len(t);
        let looks = 0..nothing;
        // The traits whose variants decide which look `t` draws.
        let deciders = |u: TraitId| -> Vec<TraitId> {
            let mut d = vec![u];
            if visibility.has_conditional(u) {
                d.extend(
                    (0..visibility.looks_len(u))
                        .filter_map(|look| match visibility.look(LookId { trait_id: u, look }).source {
                            ArtSource::When { rule, .. } => model.whens.get(rule).map(|w| w.condition_trait),
                            ArtSource::Own => None,
                        })
                        .filter(|c| traits.contains(c)),
                );
            }
            d
        };
        // The unique traits whose looks cover some look of `t`.
        let mut coverers: Vec<TraitId> = looks
            .clone()
            .flat_map(|look| visibility.covered_by(LookId { trait_id: t, look }).iter().map(|u| u.trait_id))
            .filter(|u| traits.contains(u))
            .collect();
        coverers.sort_unstable();
        coverers.dedup();
        // The key's scope: `t` and what decides its look, then the coverers and what decides theirs.
        let mut own_scope = deciders(t);
        own_scope.sort_unstable();
        own_scope.dedup();
        let mut full_scope = own_scope.clone();
        full_scope.extend(coverers.iter().flat_map(|&c| deciders(c)));
        full_scope.sort_unstable();
        full_scope.dedup();
        let entries = full_scope.iter().fold(nothing + 1, |acc, &c| acc.saturating_mul(domains[c]));
        let covering = match force {
            Some(c) => c,
            None if entries <= KEY_TABLE_LIMIT => Covering::Exact,
            None => return None,
        };
        let shown = |look: usize| visibility.same_as(LookId { trait_id: t, look });
        let blank = |look: usize| visibility.is_blank(LookId { trait_id: t, look });
        let scope = if covering == Covering::Exact { full_scope } else { own_scope };
        // The look of trait `u` under an assignment `a` of `[key_var, scope...]`.
        let look_in = |u: TraitId, a: &[usize]| -> usize {
            let at = |w: TraitId| scope.iter().position(|&x| x == w).map_or(usize::MAX, |p| a[1 + p]);
            visibility.look_in(u, at(u), at)
        };
        let mut vars = vec![key_var];
        vars.extend(&scope);
        let factor = Factor::from_fn(vars, &domains, |a| {
            let key = a[0];
            let look = look_in(t, a);
            let id = LookId { trait_id: t, look };
            let hidden = blank(look)
                || match covering {
                    Covering::Exact => visibility
                        .covered_by(id)
                        .iter()
                        .any(|u| coverers.contains(&u.trait_id) && look_in(u.trait_id, a) == u.look),
                    Covering::Always => visibility.covered_by(id).iter().any(|u| traits.contains(&u.trait_id)),
                    Covering::Ignored => false,
                };
            let want = if hidden { nothing } else { shown(look) };
            if key == want { 1.0 } else { 0.0 }
        });
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
    let shown = looks.describe();
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
