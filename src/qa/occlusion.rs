//! Occlusion: variants that cannot be seen, and tokens that look identical.
//!
//! A variant whose every visible pixel lies under an opaque pixel of a
//! variant of another trait (see [`crate::check::visibility`]) vanishes from
//! every token that has both; two such tokens that differ only there render
//! to the same image, though their metadata says they differ. This audit
//! reports:
//!
//! * `qa::occluded_variant` (warning), once per pair the rules allow
//!   together: "`Eyes.Laser` is hidden by `Head.Helmet`", with the number of
//!   tokens of the sampled collection that have both. Pairs that no token
//!   can have (a `forbid`, or `require`s that exclude each other; asked of
//!   the solver) are not reported, nor coverers that paint the whole canvas
//!   (`qa::covering_layer` says that once).
//! * `qa::visual_duplicate` (error), once per group of sampled tokens with
//!   the same visual key on every trait: tokens that render identically.
//!   Under `unique visually` the sampler never makes them (unless the cover
//!   comes from a trait left out of `unique visually by …`).
//!
//! Only pairwise covers are found: a variant hidden by the union of two
//! others is not (see the visibility module).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::{ArtSource, LookId, Model, VariantId, Visibility};
use crate::solve::network::{budget, network};
use crate::solve::{Budget, Factor, Network, possible_values_given};

use super::inputs::variant_subject;
use super::{Finding, QaCode, Subject};

/// Occlusion findings of `model`, whose occlusion relation is `visibility`.
pub fn audit(model: &Model, visibility: &Visibility) -> Vec<Finding> {
    let mut findings = Vec::new();
    let canvas = model.settings.canvas;
    let visual = model.visually.is_some();
    // The collection as `dropc run` draws it (with the relation the sampler needs under `unique visually`).
    let with_relation;
    let sampled_model = if visual && model.visibility.is_none() {
        let mut m = model.clone();
        m.visibility = Some(Arc::new(visibility.clone()));
        with_relation = m;
        &with_relation
    } else {
        model
    };
    let tokens = crate::sample(sampled_model, &model.settings.seed).ok();

    let net = network(model);
    let budget = budget();
    let all: Vec<usize> = (0..model.traits.len()).collect();
    // The look each trait draws in each sampled token.
    let token_looks: Vec<Vec<u32>> = tokens
        .as_ref()
        .map(|tokens| {
            let mut looks = Vec::new();
            tokens
                .generated()
                .map(|(_, row)| {
                    visibility.looks_of(&all, row, &mut looks);
                    looks.clone()
                })
                .collect()
        })
        .unwrap_or_default();
    for (lt, t) in model.traits.iter().enumerate() {
        for look in 0..visibility.looks_len(lt) {
            let lower = LookId { trait_id: lt, look };
            let li = visibility.look(lower).variant;
            if li >= t.variants.len() {
                continue;
            }
            let coverers: Vec<LookId> = visibility
                .covered_by(lower)
                .iter()
                .filter(|u| !visibility.layers[u.trait_id][u.look].iter().any(|l| l.covers_canvas(canvas)))
                .copied()
                .collect();
            if coverers.is_empty() {
                continue;
            }
            // Which variants can appear together with `lower`'s variant (all, if the solver gives up).
            let possible = possible_values_given(&net, &[(lt, li)], &budget).ok();
            for u in coverers {
                let uv = visibility.look(u).variant;
                if possible.as_ref().is_some_and(|p| !p[u.trait_id].get(uv).copied().unwrap_or(false)) {
                    continue;
                }
                if !can_meet(model, &net, &budget, visibility, &[lower, u]) {
                    continue;
                }
                let lower_variant = VariantId { trait_id: lt, index: li };
                let upper_variant = VariantId { trait_id: u.trait_id, index: uv };
                let (l_name, u_name) = (model.variant_name(lower_variant), model.variant_name(upper_variant));
                let count = tokens.as_ref().map(|tokens| {
                    let both = tokens.generated().zip(&token_looks).filter(|((_, row), looks)| {
                        row[lt] as usize == li
                            && row[u.trait_id] as usize == uv
                            && looks[lt] as usize == look
                            && looks[u.trait_id] as usize == u.look
                    });
                    (both.count(), tokens.ids.len())
                });
                let how_many = match count {
                    Some((n, of)) => format!("{n} of the {of} generated tokens have both"),
                    None => "the collection could not be sampled to count the tokens".into(),
                };
                let help = if visual {
                    format!(
                        "`unique visually` already counts tokens that differ only there as equal; \
                         if `{l_name}` should always show, `forbid {l_name} with {u_name}` or change the art"
                    )
                } else {
                    format!(
                        "if that is not meant: change the art, `forbid {l_name} with {u_name}`, or write \
                         `unique visually` so that tokens differing only there count as equal"
                    )
                };
                findings.push(Finding::new(
                    QaCode::OccludedVariant,
                    variant_subject(model, lt, li),
                    format!(
                        "{} is hidden by {}, which the rules allow with it: {how_many}",
                        look_name(model, visibility, lower),
                        look_name(model, visibility, u)
                    ),
                    help,
                ));
            }
        }
    }
    if let Some(tokens) = &tokens {
        findings.extend(duplicates(model, visibility, tokens));
    }
    findings
}

/// A look, for messages: `` `Eyes.Laser` `` for a variant's own art,
/// `` `Eyes.Laser` (its art while `Background` is `Red`) `` for conditional art.
pub(super) fn look_name(model: &Model, visibility: &Visibility, l: LookId) -> String {
    let look = visibility.look(l);
    super::inputs::when_look_name(model, l.trait_id, look.variant, look.source)
}

/// Whether one token can draw every look of `looks` (of distinct traits):
/// the rules allow their variants together with the conditions of the
/// conditional ones (a variant's own art is taken to be drawable wherever
/// the variant is). True when the solver cannot tell.
fn can_meet(model: &Model, net: &Network, budget: &Budget, visibility: &Visibility, looks: &[LookId]) -> bool {
    let mut allowed: Vec<Option<Vec<bool>>> = vec![None; net.domains.len()];
    let mut restrict = |t: usize, ok: &dyn Fn(usize) -> bool| {
        let mask = allowed[t].get_or_insert_with(|| vec![true; net.domains[t]]);
        for (v, m) in mask.iter_mut().enumerate() {
            *m &= ok(v);
        }
    };
    let mut conditional = false;
    for &l in looks {
        let look = visibility.look(l);
        restrict(l.trait_id, &|v| v == look.variant);
        if let ArtSource::When { rule, .. } = look.source {
            let Some(w) = model.whens.get(rule) else { continue };
            restrict(w.condition_trait, &|v| w.conditions.contains(&v));
            conditional = true;
        }
    }
    if !conditional {
        return true;
    }
    let mut constrained = net.clone();
    for (t, mask) in allowed.into_iter().enumerate() {
        if let Some(mask) = mask {
            if !mask.iter().any(|&m| m) {
                return false;
            }
            constrained.push(Factor::unary(t, mask.into_iter().map(|m| if m { 1.0 } else { 0.0 }).collect()));
        }
    }
    crate::solve::count(&constrained, &[], budget).map_or(true, |n| n.upper() > 0)
}

/// Most ids or traits named in one finding.
const LISTED: usize = 8;

/// The first [`LISTED`] of `items` (`len` of them), joined, and how many
/// more there are: a group of thousands of tokens is one line, not 17 KB.
fn listed(items: impl Iterator<Item = String>, len: usize) -> String {
    let shown: Vec<String> = items.take(LISTED).collect();
    match len.saturating_sub(LISTED) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// One finding per group of generated tokens that render identically.
fn duplicates(model: &Model, visibility: &Visibility, tokens: &crate::Tokens) -> Vec<Finding> {
    let traits: Vec<usize> = (0..model.traits.len()).collect();
    let mut groups: BTreeMap<Vec<u32>, Vec<(u64, &[u32])>> = BTreeMap::new();
    let mut key = Vec::new();
    for (id, row) in tokens.generated() {
        visibility.key(&traits, row, &mut key);
        groups.entry(key.clone()).or_default().push((id, row));
    }
    let mut looks = Vec::new();
    let mut out = Vec::new();
    let affected: usize = groups.values().filter(|g| g.len() > 1).map(Vec::len).sum();
    for group in groups.values().filter(|g| g.len() > 1) {
        let ids = listed(group.iter().map(|(id, _)| id.to_string()), group.len());
        // The traits they differ in, and what hides them.
        let (_, first) = group[0];
        let mut differ: Vec<String> = Vec::new();
        for (t, tr) in model.traits.iter().enumerate() {
            if group.iter().any(|(_, row)| row[t] != first[t]) {
                let hidden_by: Vec<String> = group
                    .iter()
                    .flat_map(|(_, row)| {
                        visibility.looks_of(&traits, row, &mut looks);
                        let l = LookId { trait_id: t, look: looks[t] as usize };
                        visibility
                            .covered_by(l)
                            .iter()
                            .filter(|u| looks[u.trait_id] as usize == u.look)
                            .map(|u| look_name(model, visibility, *u))
                            .collect::<Vec<_>>()
                    })
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                // The looks drawn by the trait's variants in these tokens, and the variants.
                let drawn: std::collections::BTreeSet<(usize, usize)> = group
                    .iter()
                    .map(|(_, row)| {
                        visibility.looks_of(&traits, row, &mut looks);
                        (looks[t] as usize, row[t] as usize)
                    })
                    .filter(|&(look, _)| !visibility.is_blank(LookId { trait_id: t, look }))
                    .collect();
                let shown: std::collections::BTreeSet<usize> = drawn.iter().map(|&(_, index)| index).collect();
                let same_art = shown.len() > 1
                    && drawn.iter().all(|&(look, _)| {
                        let first = drawn.iter().next().map_or(look, |&(l, _)| l);
                        visibility.same_as(LookId { trait_id: t, look })
                            == visibility.same_as(LookId { trait_id: t, look: first })
                    });
                differ.push(if tr.kind == crate::model::TraitKind::MetadataOnly {
                    format!("`{}` (metadata only)", tr.name)
                } else if same_art && hidden_by.is_empty() {
                    let names: Vec<String> = shown
                        .iter()
                        .map(|&index| format!("`{}`", model.variant_name(VariantId { trait_id: t, index })))
                        .collect();
                    format!("`{}` ({}, which draw identical art)", tr.name, names.join(", "))
                } else if hidden_by.is_empty() {
                    format!("`{}` (which draws nothing)", tr.name)
                } else {
                    format!("`{}` (hidden by {})", tr.name, hidden_by.join(", "))
                });
            }
        }
        out.push(Finding::new(
            QaCode::VisualDuplicate,
            Subject::Token { id: group[0].0 },
            format!(
                "{} tokens look identical ({ids}): they differ only in {}; {affected} of the {} generated tokens look \
                 like another",
                group.len(),
                listed(differ.iter().cloned(), differ.len()),
                tokens.ids.len()
            ),
            if model.visually.is_some() {
                "add the traits whose art hides others to `unique visually by …`".to_string()
            } else {
                "write `unique visually` (see the reference, §5.6): the sampler then keeps tokens that look \
                 the same apart"
                    .to_string()
            },
        ));
    }
    out
}
