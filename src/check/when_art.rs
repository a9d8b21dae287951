//! Conditional art that would be ambiguous: two `when` blocks that give art
//! for the same variant, and whose conditions one token can meet under the
//! rules. Which art such a token draws would depend on the order of the
//! blocks, so `check` refuses it (`ambiguous_when_art`), pointing at both.
//!
//! Blocks whose conditions are disjoint as written (one condition trait,
//! no common variant) never meet; for the others the factor graph of the
//! model ([`crate::solve::network`]) is asked whether a token with both
//! conditions and one of the variants both give art for has positive mass.
//! When that cannot be decided within the budget, the pair is reported:
//! an accepted collection is never ambiguous.

use crate::diagnostic::{Code, Diagnostic};
use crate::model::*;
use crate::solve::network::{budget, network};
use crate::solve::{self, Factor};

/// Two `when` blocks that give art for the same variants, written so that
/// one token could meet both.
#[derive(Clone, Debug)]
struct Overlap {
    /// The two rules' indices in [`Model::whens`], earlier first.
    rules: (usize, usize),
    /// The `art` lines' indices in each rule.
    art: (usize, usize),
    /// The tokens that would meet both: per trait, the variants allowed.
    tokens: Vec<(TraitId, Vec<usize>)>,
}

/// Reports every pair of `art` lines of different `when` blocks that can
/// apply to one variant of one token.
pub fn check_ambiguous(model: &Model, diagnostics: &mut Vec<Diagnostic>) {
    let overlaps = overlaps(model);
    if overlaps.is_empty() {
        return;
    }
    let net = network(model);
    let budget = budget();
    for o in overlaps {
        let mut constrained = net.clone();
        for (t, allowed) in &o.tokens {
            let mut mask = vec![0.0; net.domains[*t]];
            allowed.iter().for_each(|&v| mask[v] = 1.0);
            constrained.push(Factor::unary(*t, mask));
        }
        let meets = solve::count(&constrained, &[], &budget).map_or(true, |n| n.upper() > 0);
        if meets {
            diagnostics.push(diagnostic(model, &o));
        }
    }
}

fn diagnostic(model: &Model, o: &Overlap) -> Diagnostic {
    let (first, second) = (&model.whens[o.rules.0], &model.whens[o.rules.1]);
    let (art_a, art_b) = (&first.art[o.art.0], &second.art[o.art.1]);
    let t = art_b.trait_id;
    let variants: Vec<&[usize]> = o.tokens.iter().filter(|(x, _)| *x == t).map(|(_, v)| v.as_slice()).collect();
    let names: Vec<String> = variants
        .first()
        .map(|vs| vs.iter().map(|&v| model.variant_name(VariantId { trait_id: t, index: v })).collect())
        .unwrap_or_default();
    let shown: Vec<&str> = names.iter().map(String::as_str).take(3).collect();
    let mut what = super::resolve::quote_list(&shown);
    if names.len() > 3 {
        what = format!("{what} and {} more", names.len() - 3);
    }
    let condition = |w: &WhenRule| {
        let ids: Vec<String> = w
            .conditions
            .iter()
            .map(|&c| model.variant_name(VariantId { trait_id: w.condition_trait, index: c }))
            .collect();
        ids.join(" | ")
    };
    Diagnostic::new(
        Code::AmbiguousWhenArt,
        art_b.span,
        format!("two `when` blocks give art for {what} to the same tokens"),
    )
    .label(format!("art while `{}`", condition(second)))
    .with_label(art_a.span, format!("art while `{}`", condition(first)))
    .with_label(first.span, "this block")
    .with_label(second.span, "and this block can both apply to one token")
    .help("give the art in one block, make the conditions exclusive (a `forbid`), or name different variants")
}

/// Pairs of `art` lines that name a common variant in blocks whose
/// conditions are not disjoint as written.
fn overlaps(model: &Model) -> Vec<Overlap> {
    let mut out = Vec::new();
    let whens = &model.whens;
    // The variants an `art` line gives art for: a trait-level line covers
    // the variants that draw something and that no variant-level line of
    // its block names (those win in the block).
    let covered = |rule: &WhenRule, art: &WhenArt| -> Vec<usize> {
        let t = &model.traits[art.trait_id];
        match art.change {
            ArtChange::Variant { index, .. } => vec![index],
            ArtChange::Trait(_) => (0..t.variants.len())
                .filter(|&v| !matches!(t.variants[v].art, Art::Empty))
                .filter(|&v| {
                    !rule.art.iter().any(|other| {
                        other.trait_id == art.trait_id
                            && matches!(other.change, ArtChange::Variant { index, .. } if index == v)
                    })
                })
                .collect(),
        }
    };
    for (j, b) in whens.iter().enumerate().filter(|(_, w)| !w.art.is_empty()) {
        for (i, a) in whens[..j].iter().enumerate().filter(|(_, w)| !w.art.is_empty()) {
            let conditions: Vec<(TraitId, Vec<usize>)> = if a.condition_trait == b.condition_trait {
                let both: Vec<usize> = a.conditions.iter().copied().filter(|c| b.conditions.contains(c)).collect();
                vec![(a.condition_trait, both)]
            } else {
                vec![(a.condition_trait, a.conditions.clone()), (b.condition_trait, b.conditions.clone())]
            };
            if conditions.iter().any(|(_, v)| v.is_empty()) {
                continue;
            }
            // One finding per pair of blocks and trait: the first pair of
            // lines, with every variant both blocks give art for.
            let mut found: Vec<Overlap> = Vec::new();
            for (x, art_b) in b.art.iter().enumerate() {
                for (y, art_a) in a.art.iter().enumerate().filter(|(_, art_a)| art_a.trait_id == art_b.trait_id) {
                    let t = art_b.trait_id;
                    let on_b = covered(b, art_b);
                    let common: Vec<usize> = covered(a, art_a).into_iter().filter(|v| on_b.contains(v)).collect();
                    let mut tokens = conditions.clone();
                    match tokens.iter_mut().find(|(c, _)| *c == t) {
                        // The art's trait is a condition's: both must hold on it.
                        Some((_, allowed)) => allowed.retain(|v| common.contains(v)),
                        None => tokens.push((t, common)),
                    }
                    if tokens.iter().any(|(_, allowed)| allowed.is_empty()) {
                        continue;
                    }
                    let same_trait = |o: &&mut Overlap| model.whens[j].art[o.art.1].trait_id == t;
                    match found.iter_mut().find(same_trait) {
                        Some(o) => {
                            for (trait_id, allowed) in tokens.into_iter().filter(|(c, _)| *c == t) {
                                if let Some((_, mine)) = o.tokens.iter_mut().find(|(c, _)| *c == trait_id) {
                                    mine.extend(allowed);
                                    mine.sort_unstable();
                                    mine.dedup();
                                }
                            }
                        }
                        None => found.push(Overlap { rules: (i, j), art: (y, x), tokens }),
                    }
                }
            }
            out.extend(found);
        }
    }
    out
}
