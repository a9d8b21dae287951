//! Whole-collection reasoning: can `size` unique tokens be drawn, can every
//! `count` hold, which variants and rules can never matter?
//!
//! The collection becomes a factor graph ([`network`]): one variable per
//! trait, its (possibly `when`-conditional) weights as a prior, and a 0/1
//! factor per rule. [`crate::solve`] answers exactly, by variable elimination,
//! without enumerating combinations.
//!
//! Counts are checked one at a time against the unique combinations: with
//! `G` tokens drawn from `N` unique combinations of which `N_v` contain `v`,
//! at most `min(G, N_v)` tokens can have `v` and at least `G - (N - N_v)`
//! must. Several counts that are each feasible may still be infeasible
//! together; the sampler reports that case with the rules involved.


use super::model::*;
use super::settings::SettingSpans;
use crate::diagnostic::{Code, Diagnostic};
use crate::solve::{self, Budget, Count, Factor, Network};
use crate::syntax::CountOp;

/// Above this many rules, "rule never fires" uses a cheaper test (one
/// variable elimination per rule is too slow for generated giants).
const PRECISE_RULE_LIMIT: usize = 300;

/// What feasibility analysis found.
#[derive(Clone, Debug)]
pub struct Feasibility {
    /// Unique combinations of the `unique` traits the rules allow.
    pub combinations: Count,
    /// Per `count` rule (same order as [`Model::counts`]): how many tokens
    /// with the variant are possible, as `(least, most)`.
    pub count_ranges: Vec<(u128, u128)>,
}

/// The factor graph of a model: priors from weights (and `when`), 0/1 rules.
pub fn network(model: &Model) -> Network {
    let domains: Vec<usize> = model.traits.iter().map(|t| t.variants.len()).collect();
    let mut net = Network::new(domains.clone());
    for (trait_id, t) in model.traits.iter().enumerate() {
        let base = normalised(t.variants.iter().map(|v| v.weight));
        let whens: Vec<(&WhenRule, &Vec<f64>)> = model
            .whens
            .iter()
            .filter_map(|w| w.overrides.iter().find(|(target, _)| *target == trait_id).map(|(_, weights)| (w, weights)))
            .collect();
        match whens.first() {
            None => net.push(Factor::unary(trait_id, base)),
            Some((first, _)) => {
                let condition = first.condition_trait;
                let rows = domains[condition];
                let mut table = Vec::with_capacity(rows * base.len());
                for c in 0..rows {
                    let row = whens
                        .iter()
                        .find(|(w, _)| w.condition_trait == condition && w.conditions.contains(&c))
                        .map_or_else(|| base.clone(), |(_, weights)| normalised(weights.iter().copied()));
                    table.extend(row);
                }
                net.push(Factor::new(vec![condition, trait_id], table));
            }
        }
    }
    for f in &model.forbids {
        net.push(Factor::forbid((f.a.trait_id, f.a.index), (f.b.trait_id, f.b.index), &domains));
    }
    for r in &model.requires {
        let options: Vec<(usize, usize)> = r.alternatives.iter().map(|a| (a.trait_id, a.index)).collect();
        net.push(Factor::require((r.when.trait_id, r.when.index), &options, &domains));
    }
    net
}

fn normalised(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let w: Vec<f64> = weights.collect();
    let total: f64 = w.iter().sum();
    if total > 0.0 { w.iter().map(|x| x / total).collect() } else { w }
}

/// The budget `check` gives the solver: exact in well under a second for
/// realistic collections, bounds beyond.
pub fn budget() -> Budget {
    Budget { max_table_entries: 1 << 22, max_branches: 256, ..Budget::default() }
}

/// Metaplex's own limits: name at most 32 bytes, symbol at most 10.
pub fn check_metaplex(model: &Model, spans: &SettingSpans, diagnostics: &mut Vec<Diagnostic>) {
    let s = &model.settings;
    if s.metadata != MetadataFlavour::Metaplex {
        return;
    }
    if s.symbol.len() > 10 {
        diagnostics.push(
            Diagnostic::new(Code::MetaplexLimit, spans.get("symbol"), format!("the symbol `{}` is {} bytes; Metaplex allows 10", s.symbol, s.symbol.len()))
                .label("too long")
                .help("shorten the symbol to at most 10 bytes"),
        );
    }
    let last_id = s.first_id + s.size.saturating_sub(1);
    let longest = token_name(&s.token_name, &s.name, last_id);
    if longest.len() > 32 {
        diagnostics.push(
            Diagnostic::new(Code::MetaplexLimit, spans.get("name"), format!("token names reach {} bytes (`{longest}`); Metaplex allows 32", longest.len()))
                .label("this name template")
                .help("shorten the template, e.g. `name \"Ape #{id}\"`"),
        );
    }
    for l in &model.legendaries {
        if l.name.len() > 32 {
            diagnostics.push(
                Diagnostic::new(Code::MetaplexLimit, l.span, format!("the legendary name `{}` is {} bytes; Metaplex allows 32", l.name, l.name.len()))
                    .label("too long")
                    .help("shorten the name to at most 32 bytes"),
            );
        }
    }
}

/// A token's name from the template.
pub fn token_name(template: &str, collection: &str, id: u64) -> String {
    template.replace("{collection}", collection).replace("{id}", &id.to_string())
}

/// Counts unique combinations and checks `size`, counts, variants and rules.
pub fn analyse(model: &Model, spans: &SettingSpans, diagnostics: &mut Vec<Diagnostic>) -> Feasibility {
    let net = network(model);
    let budget = budget();
    let unique = &model.unique;
    let drawn = u128::from(model.generated_size());
    let unique_names = trait_list(model, unique);

    let combinations = solve::count(&net, unique, &budget).unwrap_or(Count::Bounds { lower: 0, upper: u128::MAX });
    let size_span = spans.get("size");
    let legendary_note = if model.legendaries.is_empty() {
        String::new()
    } else {
        format!(" ({} tokens less {} legendaries)", model.settings.size, model.legendaries.len())
    };
    if drawn > combinations.upper() {
        diagnostics.push(
            Diagnostic::new(
                Code::SizeInfeasible,
                size_span,
                format!("the collection draws {drawn} tokens{legendary_note} but the rules allow only {combinations} unique combinations"),
            )
            .label(format!("{drawn} > {combinations}"))
            .help(format!("combinations are unique on {unique_names}; lower `size`, add variants, loosen rules or `unique by` fewer traits")),
        );
    } else if drawn > combinations.lower() {
        diagnostics.push(
            Diagnostic::new(
                Code::FeasibilityUnknown,
                size_span,
                format!("could not prove that {drawn} unique tokens exist: the rules allow {combinations} unique combinations"),
            )
            .label("feasibility unknown")
            .help("the rule graph is too dense to count exactly; the sampler reports it if the combinations run out"),
        );
    }
    if combinations.upper() == 0 || drawn > combinations.upper() {
        // Nothing more to learn: everything else would only repeat this error.
        return Feasibility { combinations, count_ranges: Vec::new() };
    }

    let possible = solve::possible_values(&net).ok();
    if let Some(possible) = &possible {
        report_impossible(model, possible, diagnostics);
        report_idle_rules(model, &net, possible, &budget, diagnostics);
    }

    let marginals = solve::marginals(&net).ok();
    let mut count_ranges = Vec::new();
    for rule in &model.counts {
        let v = rule.variant;
        let with = solve::count_given(&net, unique, &[(v.trait_id, v.index)], &budget).unwrap_or(Count::Bounds { lower: 0, upper: u128::MAX });
        let mut without_net = net.clone();
        let mut mask = vec![1.0; model.traits[v.trait_id].variants.len()];
        mask[v.index] = 0.0;
        without_net.push(Factor::unary(v.trait_id, mask));
        let without = solve::count(&without_net, unique, &budget).unwrap_or(Count::Bounds { lower: 0, upper: u128::MAX });
        let most = drawn.min(with.upper());
        let least = drawn.saturating_sub(without.upper());
        count_ranges.push((least, most));
        let name = model.variant_name(v);
        let (min, max) = (u128::from(rule.min), u128::from(rule.max));
        let written = format!("count {name} {} {}", rule.op, rule.written);
        if min > most {
            let why = if with.upper() < drawn {
                format!("only {with} unique combinations have `{name}`")
            } else {
                format!("the collection draws only {drawn} tokens")
            };
            diagnostics.push(
                Diagnostic::new(Code::CountInfeasible, rule.span, format!("`{written}` cannot hold: it needs {min} tokens with `{name}` but {why}"))
                    .label(format!("at most {most} tokens can have `{name}`"))
                    .help(format!("lower the count to at most {most}, or loosen the rules on `{name}`")),
            );
        } else if max < least {
            diagnostics.push(
                Diagnostic::new(
                    Code::CountInfeasible,
                    rule.span,
                    format!("`{written}` cannot hold: {drawn} tokens from {combinations} unique combinations need at least {least} with `{name}`"),
                )
                .label(format!("only {without} unique combinations lack `{name}`"))
                .with_label(size_span, "the collection's size")
                .help(format!("allow at least {least}, lower `size`, or add combinations without `{name}`")),
            );
        } else if let Some(m) = &marginals {
            improbable(model, rule, m[v.trait_id][v.index], drawn, diagnostics);
        }
    }
    Feasibility { combinations, count_ranges }
}

fn improbable(model: &Model, rule: &CountRule, p: f64, drawn: u128, diagnostics: &mut Vec<Diagnostic>) {
    let g = drawn as f64;
    let mean = g * p;
    let sd = (g * p * (1.0 - p)).sqrt();
    let name = model.variant_name(rule.variant);
    let (forced, side) = if rule.min as f64 > mean + 3.0 * sd + 0.5 {
        (rule.min, "at least")
    } else if (rule.max as f64) < mean - 3.0 * sd - 0.5 {
        (rule.max, "at most")
    } else {
        return;
    };
    diagnostics.push(
        Diagnostic::new(
            Code::ImprobableCount,
            rule.span,
            format!("weights alone would give about {mean:.1} tokens with `{name}`; this `count` forces {side} {forced}"),
        )
        .label("far from what the weights predict")
        .help(format!("the count holds, but it distorts the shares of `{}`; adjust the weight of `{name}` to match", model.traits[rule.variant.trait_id].name)),
    );
    let _ = rule.op == CountOp::Eq;
}

fn report_impossible(model: &Model, possible: &[Vec<bool>], diagnostics: &mut Vec<Diagnostic>) {
    let enabled = |v: VariantId| {
        model.variant(v).weight > 0.0
            || model.whens.iter().any(|w| w.overrides.iter().any(|(t, ws)| *t == v.trait_id && ws[v.index] > 0.0))
    };
    for (trait_id, t) in model.traits.iter().enumerate() {
        for (index, variant) in t.variants.iter().enumerate() {
            let id = VariantId { trait_id, index };
            if enabled(id) && !possible[trait_id][index] {
                let rules: Vec<_> = rules_on(model, id);
                let mut d = Diagnostic::new(Code::ImpossibleVariant, variant.span, format!("`{}` can never be drawn: the rules exclude every token with it", model.variant_name(id)))
                    .label("impossible under the rules");
                for span in rules.iter().take(3) {
                    d = d.with_label(*span, "involved");
                }
                diagnostics.push(d.help("loosen the rules that exclude it, or give it weight 0 to say it is meant"));
            }
        }
    }
}

/// Spans of rules that mention `v`.
fn rules_on(model: &Model, v: VariantId) -> Vec<crate::syntax::Span> {
    let mut spans: Vec<_> = model
        .forbids
        .iter()
        .filter(|f| f.a == v || f.b == v)
        .map(|f| f.span)
        .chain(model.requires.iter().filter(|r| r.when == v || r.alternatives.contains(&v)).map(|r| r.span))
        .collect();
    spans.sort();
    spans.dedup();
    spans
}

/// Warns about `forbid`, `require` and `when` rules that never change anything.
fn report_idle_rules(model: &Model, net: &Network, possible: &[Vec<bool>], budget: &Budget, diagnostics: &mut Vec<Diagnostic>) {
    let prior_factors = model.traits.len();
    let rule_count = model.forbids.len() + model.requires.len();
    let precise = rule_count <= PRECISE_RULE_LIMIT;
    let is_possible = |v: VariantId| possible[v.trait_id][v.index];
    // Rules are tested last to first; a rule found redundant is dropped
    // before testing earlier ones, so that of two rules that each make the
    // other redundant only the later one is reported.
    let mut active = vec![true; net.factors.len()];
    let mut violable = |factor_index: usize, evidence: &[(usize, usize)], excluded: &[VariantId]| -> bool {
        let mut reduced = Network::new(net.domains.clone());
        for (i, f) in net.factors.iter().enumerate() {
            if i != factor_index && active[i] {
                reduced.push(f.clone());
            }
        }
        for ex in excluded {
            let mut mask = vec![1.0; model.traits[ex.trait_id].variants.len()];
            mask[ex.index] = 0.0;
            reduced.push(Factor::unary(ex.trait_id, mask));
        }
        let fires = solve::count_given(&reduced, &[], evidence, budget).map_or(true, |c| c.upper() > 0);
        if !fires {
            active[factor_index] = false;
        }
        fires
    };
    let mut reported: Vec<crate::syntax::Span> = Vec::new();
    let mut report = |span: crate::syntax::Span, message: String, help: &str| {
        if !reported.contains(&span) {
            reported.push(span);
            diagnostics.push(Diagnostic::new(Code::RuleNeverFires, span, message).label("never excludes a token").help(help.to_string()));
        }
    };
    for (i, r) in model.requires.iter().enumerate().rev() {
        let fires = if precise {
            violable(prior_factors + model.forbids.len() + i, &[(r.when.trait_id, r.when.index)], &r.alternatives)
        } else {
            is_possible(r.when)
        };
        if !fires {
            report(
                r.span,
                format!("`{}` never occurs without one of the alternatives, even without this `require`", model.variant_name(r.when)),
                "weights or other rules already ensure it; remove the rule",
            );
        }
    }
    for (i, f) in model.forbids.iter().enumerate().rev() {
        let fires = if precise {
            violable(prior_factors + i, &[(f.a.trait_id, f.a.index), (f.b.trait_id, f.b.index)], &[])
        } else {
            is_possible(f.a) && is_possible(f.b)
        };
        if !fires {
            report(
                f.span,
                format!("`{}` and `{}` never meet, even without this `forbid`", model.variant_name(f.a), model.variant_name(f.b)),
                "weights or other rules already keep them apart; remove the rule",
            );
        }
    }
    for w in &model.whens {
        if !w.conditions.iter().any(|&c| possible[w.condition_trait][c]) {
            report(
                w.span,
                format!("no token can have the condition of this `when` (`{}`)", model.traits[w.condition_trait].name),
                "the condition's variants are never drawn; remove the rule or make them possible",
            );
        }
    }
}

fn trait_list(model: &Model, traits: &[TraitId]) -> String {
    let names: Vec<&str> = traits.iter().map(|&t| model.traits[t].name.as_str()).collect();
    super::resolve::quote_list(&names)
}
