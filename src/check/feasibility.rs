//! Whole-collection reasoning: can `size` unique tokens be drawn, can every
//! `count` hold, which variants and rules can never matter?
//!
//! The collection becomes a factor graph ([`crate::solve::network`]): one variable per
//! trait, its (possibly `when`-conditional) weights as a prior, and a 0/1
//! factor per rule. [`crate::solve`] answers exactly, by variable elimination,
//! without enumerating combinations.
//!
//! Counts are checked one at a time against the unique combinations: with
//! `G` tokens drawn from `N` unique combinations of which `N_v` contain `v`,
//! at most `min(G, N_v)` tokens can have `v` and at least `G - (N - N_v)`
//! must. Counts that are each feasible may still be infeasible together:
//! then the joint problem (every `count`, `size`, the rules and `unique`, an
//! integer program over the strata the counts define, solved exactly in
//! `crate::plan::counts`) decides, and an irreducible set of conflicting
//! counts is reported with the number of tokens each can have. It is the
//! very program `run` solves, with the same exact model of strata that share
//! unique combinations (`crate::plan::sharing`), so `check` accepts exactly
//! what `run` generates.

use rayon::prelude::*;

use super::settings::SettingSpans;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::CountOp;
use crate::model::*;
use crate::solve::network::{budget, merged_factor, merged_network, rule_tables};
use crate::solve::{self, Budget, Count, Factor, Network};

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
    /// Natural log of the probability that a token of independent traits
    /// (each drawn from its normalised weights) satisfies every rule, when
    /// every component could be compiled exactly.
    pub log_partition: Option<f64>,
    /// Where whole-collection diagnostics point: the `size` setting.
    pub size_span: crate::span::Span,
}

/// Metaplex's own limits: name at most 32 bytes, symbol at most 10.
pub fn check_metaplex(model: &Model, spans: &SettingSpans, diagnostics: &mut Vec<Diagnostic>) {
    let s = &model.settings;
    if s.metadata != MetadataFlavour::Metaplex {
        return;
    }
    if s.symbol.len() > 10 {
        diagnostics.push(
            Diagnostic::new(
                Code::MetaplexLimit,
                spans.get("symbol"),
                format!("the symbol `{}` is {} bytes; Metaplex allows 10", s.symbol, s.symbol.len()),
            )
            .label("too long")
            .help("shorten the symbol to at most 10 bytes"),
        );
    }
    let last_id = s.first_id + s.size.saturating_sub(1);
    let longest = s.token_name_of(last_id);
    if longest.len() > 32 {
        diagnostics.push(
            Diagnostic::new(
                Code::MetaplexLimit,
                spans.get("name"),
                format!("token names reach {} bytes (`{longest}`); Metaplex allows 32", longest.len()),
            )
            .label("this name template")
            .help("shorten the template, e.g. `name \"Ape #{id}\"`"),
        );
    }
    for l in &model.legendaries {
        if l.name.len() > 32 {
            diagnostics.push(
                Diagnostic::new(
                    Code::MetaplexLimit,
                    l.span,
                    format!("the legendary name `{}` is {} bytes; Metaplex allows 32", l.name, l.name.len()),
                )
                .label("too long")
                .help("shorten the name to at most 32 bytes"),
            );
        }
    }
}

/// One connected component of the factor graph: traits linked by rules or
/// `when`. Components are independent, so counts multiply and every
/// question about one variant needs only its own component.
struct Component {
    /// Global trait ids, ascending; local variable `i` is `traits[i]`.
    traits: Vec<TraitId>,
    /// Global indices of the factors whose scope lies in this component.
    factors: Vec<usize>,
    /// The component's network, over local variables.
    net: Network,
    /// Local indices of the `unique` traits in this component.
    unique: Vec<usize>,
}

impl Component {
    fn local(&self, trait_id: TraitId) -> usize {
        self.traits.binary_search(&trait_id).unwrap_or(0)
    }

    /// Position of global factor `g` in [`Component::factors`] (and in `net`).
    fn position(&self, g: usize) -> usize {
        self.factors.binary_search(&g).unwrap_or(0)
    }

    fn localise(&self, f: &Factor) -> Factor {
        Factor { scope: f.scope.iter().map(|&t| self.local(t)).collect(), ..f.clone() }
    }
}

/// Splits the network into its connected components.
/// The tables of `net`'s factors move into the components.
fn components(model: &Model, net: &mut Network) -> (Vec<Component>, Vec<usize>) {
    let component_of = net.components();
    let count = component_of.iter().max().map_or(0, |m| m + 1);
    let mut comps: Vec<Component> = (0..count)
        .map(|_| Component {
            traits: Vec::new(),
            factors: Vec::new(),
            net: Network::new(Vec::new()),
            unique: Vec::new(),
        })
        .collect();
    for (t, &c) in component_of.iter().enumerate() {
        comps[c].traits.push(t);
    }
    for (g, f) in net.factors.iter().enumerate() {
        if let Some(&first) = f.scope.first() {
            comps[component_of[first]].factors.push(g);
        }
    }
    for c in &mut comps {
        c.net = Network::new(c.traits.iter().map(|&t| net.domains[t]).collect());
        // The tables move into the components (the global network keeps
        // scopes only): one copy of every table, not two.
        let local: Vec<Factor> = c
            .factors
            .iter()
            .map(|&g| {
                let f = &mut net.factors[g];
                Factor {
                    scope: f.scope.iter().map(|&t| c.local(t)).collect(),
                    table: std::mem::take(&mut f.table),
                    classes: f.classes.take(),
                }
            })
            .collect();
        for f in local {
            c.net.push(f);
        }
        c.unique = model.unique.iter().filter(|t| c.traits.binary_search(t).is_ok()).map(|&t| c.local(t)).collect();
    }
    (comps, component_of)
}

/// Product of independent counts, saturating; `u128::MAX` stays "unbounded".
fn product(counts: impl IntoIterator<Item = Count>) -> Count {
    let (mut lower, mut upper, mut exact) = (1u128, 1u128, true);
    for c in counts {
        exact &= c.exact().is_some();
        lower = lower.saturating_mul(c.lower());
        upper = if c.upper() == 0 || upper == 0 { 0 } else { upper.saturating_mul(c.upper()) };
    }
    if exact && lower != u128::MAX { Count::Exact(lower) } else { Count::Bounds { lower, upper } }
}

/// Per-variant probabilities of one component, or why they are unknown.
type Marginals = Result<Vec<Vec<f64>>, solve::SolveError>;

/// A component's elimination ([`crate::plan::eliminate`]).
type Eliminated = Result<(solve::WeightedModel, bool), solve::SolveError>;

const UNKNOWN: Count = Count::Bounds { lower: 0, upper: u128::MAX };

/// Counts unique combinations and checks `size`, counts, variants and rules.
pub fn analyse(model: &Model, spans: &SettingSpans, diagnostics: &mut Vec<Diagnostic>) -> Feasibility {
    let (mut net, scopes) = merged_network(model);
    let budget = budget();
    let drawn = u128::from(model.generated_size());
    let unique_names = trait_list(model, &model.unique);
    let (comps, component_of) = components(model, &mut net);

    // Components are independent: solve them in parallel (results are
    // collected in component order, so output does not depend on threads).
    // Each component is preprocessed once, for its count and its
    // elimination in the order the sampler needs (`plan::eliminate`): its
    // marginals and partition function are read here, and the same
    // elimination is the base of the plan the counts are decided with (kept
    // only when there are counts to decide).
    let keep = !model.counts.is_empty();
    type Solved = (Count, Marginals, Option<f64>, Option<Eliminated>);
    let solved: Vec<Solved> = comps
        .par_iter()
        .map(|c| {
            let (eliminated, count) = solve::eliminate_and_count(&c.net, &c.unique, &Budget::default(), &budget);
            let log_z = eliminated.as_ref().ok().map(|(m, _)| m.log_partition());
            let marginals = eliminated.as_ref().map(|(m, _)| m.marginals()).map_err(Clone::clone);
            let count = count.unwrap_or(UNKNOWN);
            (count, marginals, log_z, keep.then_some(eliminated))
        })
        .collect();
    let log_partition = solved.iter().map(|(_, _, z, _)| *z).sum::<Option<f64>>();
    let (solved, eliminated): (Vec<(Count, Marginals)>, Vec<Option<Eliminated>>) =
        solved.into_iter().map(|(n, m, _, e)| ((n, m), e)).unzip();
    let counts: Vec<Count> = solved.iter().map(|(n, _)| *n).collect();
    let combinations = product(counts.iter().copied());
    let shown = combinations.describe();
    let size_span = spans.get("size");
    let legendary_note = match model.legendaries.len() {
        0 => String::new(),
        1 => format!(" ({} tokens less 1 legendary)", model.settings.size),
        n => format!(" ({} tokens less {n} legendaries)", model.settings.size),
    };
    let rules = !(model.forbids.is_empty() && model.requires.is_empty() && model.whens.is_empty());
    let allow = if rules { "the rules allow only" } else { "the traits make only" };
    if drawn > combinations.upper() {
        diagnostics.push(
            Diagnostic::new(
                Code::SizeInfeasible,
                size_span,
                format!("the collection draws {drawn} tokens{legendary_note} but {allow} {shown} unique combinations"),
            )
            .label(format!("{drawn} > {shown}"))
            .help(format!("combinations are unique on {unique_names}; lower `size`, add variants, loosen rules or `unique by` fewer traits")),
        );
    } else if drawn > combinations.lower() {
        diagnostics.push(
            Diagnostic::new(
                Code::FeasibilityUnknown,
                size_span,
                format!(
                    "could not prove that {drawn} unique tokens exist: the rules allow {shown} unique combinations"
                ),
            )
            .label("feasibility unknown")
            .help("the rule graph is too dense to count exactly; the sampler reports it if the combinations run out"),
        );
    }
    if combinations.upper() == 0 || drawn > combinations.upper() {
        // Nothing more to learn: everything else would only repeat this error.
        return Feasibility { combinations, count_ranges: Vec::new(), log_partition, size_span };
    }

    // Per component: the probability of every variant; a variant can occur
    // exactly when its probability is positive (weights are positive reals,
    // so no product of them underflows to zero at these sizes).
    let mut possible: Vec<Vec<bool>> = model.traits.iter().map(|t| vec![true; t.variants.len()]).collect();
    let mut marginals: Vec<Vec<f64>> = model.traits.iter().map(|t| vec![f64::NAN; t.variants.len()]).collect();
    for (c, (_, m)) in comps.iter().zip(&solved) {
        let p = match m {
            Ok(m) => Ok(m.iter().map(|row| row.iter().map(|&x| x > 0.0).collect()).collect()),
            Err(_) => solve::possible_values(&c.net),
        };
        for (i, &t) in c.traits.iter().enumerate() {
            if let Ok(p) = &p {
                possible[t].clone_from(&p[i]);
            }
            if let Ok(m) = m {
                marginals[t].clone_from(&m[i]);
            }
        }
    }
    report_impossible(model, &possible, diagnostics);
    if model.forbids.len() + model.requires.len() <= PRECISE_RULE_LIMIT {
        // Components too dense to count exactly would make one count per
        // rule slow: those get the cheap test.
        let exact: Vec<bool> = counts.iter().map(|c| c.exact().is_some()).collect();
        let cheap = |v: VariantId| !exact[component_of[v.trait_id]];
        let graph = RuleGraph { net: &net, scopes: &scopes, comps: &comps, component_of: &component_of };
        report_idle_rules(model, &graph, &possible, &budget, &cheap, diagnostics);
    } else {
        report_idle_rules_cheaply(model, &possible, diagnostics);
    }

    let mut count_ranges = Vec::new();
    let errors_before = diagnostics.iter().filter(|d| d.is_error()).count();
    // Only `min(with, drawn)` and `min(without, drawn)` below are read (the
    // range, and the numbers in messages only when they are below `drawn`),
    // and the other components' counts are at least 1 here: a component's
    // count is searched only until it reaches `drawn`.
    let cap = drawn.max(1);
    for rule in &model.counts {
        let (with, without) = match rule.single() {
            Some(v) => {
                let ci = component_of[v.trait_id];
                let c = &comps[ci];
                let local = c.local(v.trait_id);
                let others = || counts.iter().enumerate().filter(|(i, _)| *i != ci).map(|(_, n)| *n);
                // When the other components alone offer `drawn` combinations, one
                // combination here with (without) `v` is enough for `drawn` with
                // (without) it: possibility answers without counting.
                let plenty = product(others()).lower() >= drawn;
                let v_possible = possible[v.trait_id][v.index];
                let other_possible = possible[v.trait_id].iter().enumerate().any(|(i, &p)| p && i != v.index);
                let with = if plenty {
                    if v_possible { Count::Bounds { lower: drawn, upper: u128::MAX } } else { Count::Exact(0) }
                } else {
                    let with_here = solve::count_given_up_to(&c.net, &c.unique, &[(local, v.index)], &budget, cap)
                        .unwrap_or(UNKNOWN);
                    product(others().chain([with_here]))
                };
                let without = if plenty {
                    if other_possible { Count::Bounds { lower: drawn, upper: u128::MAX } } else { Count::Exact(0) }
                } else {
                    let mut mask = vec![1.0; model.traits[v.trait_id].variants.len()];
                    mask[v.index] = 0.0;
                    let mut without_net = c.net.clone();
                    without_net.push(Factor::unary(local, mask));
                    let without_here =
                        solve::count_given_up_to(&without_net, &c.unique, &[], &budget, cap).unwrap_or(UNKNOWN);
                    product(others().chain([without_here]))
                };
                (with, without)
            }
            None => group_count_split(model, rule, &comps, &component_of, &counts, &combinations, &budget),
        };
        let most = drawn.min(with.upper());
        let least = drawn.saturating_sub(without.upper());
        count_ranges.push((least, most));
        let name = &rule.target;
        let (min, max) = (u128::from(rule.min), u128::from(rule.max));
        let written = format!("count {name} {} {}", rule.op, rule.written);
        if min > most {
            let why = if with.upper() < drawn {
                format!("only {} unique combinations have `{name}`", with.describe())
            } else {
                format!("the collection draws only {drawn} tokens")
            };
            diagnostics.push(
                Diagnostic::new(
                    Code::CountInfeasible,
                    rule.span,
                    format!("`{written}` cannot hold: it needs {min} tokens with `{name}` but {why}"),
                )
                .label(format!("at most {most} tokens can have `{name}`"))
                .help(format!("lower the count to at most {most}, or loosen the rules on `{name}`")),
            );
        } else if max < least {
            diagnostics.push(
                Diagnostic::new(
                    Code::CountInfeasible,
                    rule.span,
                    format!("`{written}` cannot hold: {drawn} tokens from {shown} unique combinations need at least {least} with `{name}`"),
                )
                .label(format!("only {} unique combinations lack `{name}`", without.describe()))
                .with_label(size_span, "the collection's size")
                .help(format!("allow at least {least}, lower `size`, or add combinations without `{name}`")),
            );
        } else {
            // The share of tokens with the target (for a group: with any of its variants).
            let p = match rule.single() {
                Some(v) => marginals[v.trait_id][v.index],
                None => solve::network::share_of_any(model, &rule.variants).unwrap_or(f64::NAN),
            };
            if p.is_finite() {
                improbable(model, rule, p, drawn, (least, most), diagnostics);
            }
        }
    }
    if !model.counts.is_empty() && diagnostics.iter().filter(|d| d.is_error()).count() == errors_before {
        joint_counts(model, comps, eliminated, &counts, size_span, diagnostics);
    }
    Feasibility { combinations, count_ranges, log_partition, size_span }
}

/// Unique combinations with and without any variant of a group `count`
/// (variants of one or several traits): "without" conditions every trait
/// involved on none of its group variants; "with" is the rest.
fn group_count_split(
    model: &Model,
    rule: &CountRule,
    comps: &[Component],
    component_of: &[usize],
    counts: &[Count],
    combinations: &Count,
    budget: &Budget,
) -> (Count, Count) {
    let per_component = counts.iter().enumerate().map(|(ci, &n)| {
        let c = &comps[ci];
        let mine: Vec<&VariantId> = rule.variants.iter().filter(|v| component_of[v.trait_id] == ci).collect();
        if mine.is_empty() {
            return n;
        }
        let mut net = c.net.clone();
        for &t in &c.traits {
            let mut mask = vec![1.0; model.traits[t].variants.len()];
            let mut any = false;
            for v in mine.iter().filter(|v| v.trait_id == t) {
                mask[v.index] = 0.0;
                any = true;
            }
            if any {
                net.push(Factor::unary(c.local(t), mask));
            }
        }
        solve::count(&net, &c.unique, budget).unwrap_or(UNKNOWN)
    });
    let without = product(per_component);
    // When every trait of the group is `unique`, a unique combination either
    // has a group variant or lacks them all: "with" is the rest. Otherwise one
    // combination may serve tokens of both kinds (`T1` outside `unique` can
    // hold the group's `T1.v0` or not): the rest is only a lower bound, and
    // every combination an upper one (the joint decision is exact).
    let unique_group = rule.variants.iter().all(|v| model.unique.contains(&v.trait_id));
    let with = match (combinations.exact(), without.exact()) {
        (Some(all), Some(none)) if unique_group => Count::Exact(all.saturating_sub(none)),
        _ => Count::Bounds {
            lower: combinations.lower().saturating_sub(without.upper()),
            upper: if unique_group {
                combinations.upper().saturating_sub(without.lower())
            } else {
                combinations.upper()
            },
        },
    };
    (with, without)
}

/// Decides whether every `count` holds together with `size`, the rules and
/// `unique` (an integer program over the strata the counts define, see
/// `crate::plan::counts`), and reports an irreducible set that cannot.
/// `comps` are the components of the model's network, `eliminated` their
/// eliminations and `counts` their unique combinations: the plan is built
/// from them without compiling or counting them again.
fn joint_counts(
    model: &Model,
    comps: Vec<Component>,
    eliminated: Vec<Option<Eliminated>>,
    counts: &[Count],
    size_span: crate::span::Span,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let parts = comps
        .into_iter()
        .zip(eliminated)
        .zip(counts)
        .map(|((c, eliminated), &capacity)| crate::plan::Part {
            traits: c.traits,
            net: c.net,
            unique: c.unique,
            eliminated,
            capacity: Some(capacity),
        })
        .collect();
    let mut plan = match crate::plan::Plan::from_parts(model, parts) {
        Ok(plan) => plan,
        Err(e) => {
            // `run` would stop here: say so now rather than accept.
            let span = model.counts.first().map_or(size_span, |r| r.span);
            diagnostics.push(
                Diagnostic::new(Code::LimitExceeded, span, e.to_string())
                    .label("the counts cannot be decided together")
                    .help(
                        "count fewer variants (each counted variant multiplies the classes), or split dense rule sets",
                    ),
            );
            return;
        }
    };
    let limit = |what: String, diagnostics: &mut Vec<Diagnostic>| {
        diagnostics.push(
            Diagnostic::new(Code::LimitExceeded, model.counts.first().map_or(size_span, |r| r.span), what)
                .label("the counts cannot be decided together")
                .help("count fewer variants (each counted variant multiplies the classes), or split dense rule sets"),
        );
    };
    if plan.lazy {
        // Too many classes to enumerate: decided by column generation.
        let conflict = match crate::plan::counts::lazy_conflict(model, &mut plan) {
            Ok(Ok(None)) => return,
            Ok(Ok(Some(c))) => c,
            Ok(Err(why)) => return limit(crate::plan::counts::undecided(&plan, &why), diagnostics),
            Err(e) => return limit(e.to_string(), diagnostics),
        };
        return report_conflict(model, size_span, &conflict, diagnostics);
    }
    let (quotas, exact) = crate::plan::quotas(model, &plan);
    let conflict = match quotas.conflict() {
        Ok(Some(c)) => c,
        Ok(None) if exact.is_ok() => return,
        Ok(None) => {
            diagnostics.push(
                Diagnostic::new(
                    Code::FeasibilityUnknown,
                    model.counts.first().map_or(size_span, |r| r.span),
                    "could not prove that the counted tokens can all be unique: tokens with different counted \
                     variants share unique combinations too many to enumerate",
                )
                .label("feasibility unknown")
                .help("make the counted traits `unique` too, or the sampler reports it if the combinations run out"),
            );
            return;
        }
        Err(e) => {
            diagnostics.push(
                Diagnostic::new(
                    Code::FeasibilityUnknown,
                    model.counts.first().map_or(size_span, |r| r.span),
                    format!("could not decide whether the `count` rules hold together: {}", e.0),
                )
                .label("feasibility unknown")
                .help("the sampler reports it if the counts cannot be met"),
            );
            return;
        }
    };
    report_conflict(model, size_span, &conflict, diagnostics);
}

/// Reports an infeasible set of counts.
fn report_conflict(
    model: &Model,
    size_span: crate::span::Span,
    conflict: &crate::plan::counts::Conflict,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let detail = crate::plan::counts::describe_conflict(model, conflict);
    let Some(&first) = conflict.rules.first() else {
        diagnostics.push(
            Diagnostic::new(Code::SizeInfeasible, size_span, format!("the collection cannot be drawn: {detail}"))
                .label("the collection's size")
                .help("lower `size`, add variants or loosen the rules"),
        );
        return;
    };
    let names: Vec<String> =
        conflict.rules.iter().map(|&r| format!("`{}`", crate::plan::counts::written(model, r))).collect();
    let message = if names.len() == 1 {
        format!("{} cannot hold: {detail}", names[0])
    } else {
        format!("{} cannot hold together: {detail}", crate::plan::counts::join_and(&names))
    };
    let label = |i: usize| -> String {
        let v = &model.counts[conflict.rules[i]].target;
        match conflict.ranges[i] {
            Some((lo, hi)) if lo == hi => format!("with the others, exactly {lo} tokens can have `{v}`"),
            Some((lo, hi)) => format!("with the others, {lo} to {hi} tokens can have `{v}`"),
            None => "involved".to_string(),
        }
    };
    let mut d = Diagnostic::new(Code::CountInfeasible, model.counts[first].span, message).label(label(0));
    for i in 1..conflict.rules.len() {
        d = d.with_label(model.counts[conflict.rules[i]].span, label(i));
    }
    d = d.with_label(size_span, "the collection's size");
    diagnostics.push(d.help("loosen one of these counts, lower `size`, or allow more combinations"));
}

/// Warns about a count far from what the weights give. The weights' number
/// is first clamped to what uniqueness allows (`range`): a count cannot be
/// blamed for forcing a variant below a cap that uniqueness already sets.
fn improbable(
    model: &Model,
    rule: &CountRule,
    p: f64,
    drawn: u128,
    range: (u128, u128),
    diagnostics: &mut Vec<Diagnostic>,
) {
    let g = drawn as f64;
    let (least, most) = (range.0 as f64, range.1 as f64);
    let mean = (g * p).clamp(least, most.max(least));
    let (alone, capped) = if mean < g * p {
        ("", format!(" (uniqueness allows at most {most:.0})"))
    } else if mean > g * p {
        ("", format!(" (uniqueness needs at least {least:.0})"))
    } else {
        (" alone", String::new())
    };
    let share = if g > 0.0 { mean / g } else { p };
    let sd = (g * share * (1.0 - share)).sqrt();
    let name = &rule.target;
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
            format!(
                "weights{alone} would give about {mean:.1} tokens with `{name}`{capped}; this `count` forces {side} {forced}"
            ),
        )
        .label("far from what the weights predict")
        .help(format!(
            "the count holds, but it distorts the shares of `{}`; adjust the weight of `{name}` to match",
            model.traits[rule.variants[0].trait_id].name
        )),
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
                let mut d = Diagnostic::new(
                    Code::ImpossibleVariant,
                    variant.span(),
                    format!("`{}` can never be drawn: the rules exclude every token with it", model.variant_name(id)),
                )
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
fn rules_on(model: &Model, v: VariantId) -> Vec<crate::span::Span> {
    let mut spans: Vec<_> = model
        .forbids
        .iter()
        .filter(|f| f.variants.contains(&v))
        .map(|f| f.span)
        .chain(model.requires.iter().filter(|r| r.when == v || r.alternatives.contains(&v)).map(|r| r.span))
        .collect();
    spans.sort();
    spans.dedup();
    spans
}

/// The merged factor graph ([`merged_network`]) and its components.
struct RuleGraph<'a> {
    net: &'a Network,
    /// Scope of every merged rule table, in factor order after the priors.
    scopes: &'a [Vec<usize>],
    comps: &'a [Component],
    component_of: &'a [usize],
}

/// Warns about `forbid`, `require` and `when` rules that never change anything.
///
/// A rule never fires when no token it would exclude has positive mass under
/// the other rules: one exact count per rule, with the rule's literals as
/// evidence, on its component's network where the merged table of the
/// rule's scope is rebuilt from the other rules of that scope. Rules are
/// tested last to first; a rule found redundant is dropped (its scope's table
/// rebuilt without it) before earlier ones are tested, so that of two rules
/// that each make the other redundant only the later one is reported.
fn report_idle_rules(
    model: &Model,
    graph: &RuleGraph<'_>,
    possible: &[Vec<bool>],
    budget: &Budget,
    cheap: &dyn Fn(VariantId) -> bool,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let priors = model.traits.len();
    let RuleGraph { net, scopes, comps, component_of } = *graph;
    let is_possible = |v: VariantId| possible[v.trait_id][v.index];
    let rules = rule_tables(model, &net.domains);
    // Per rule: the global index of its scope's merged factor.
    let factor_of: Vec<usize> =
        rules.iter().map(|r| priors + scopes.binary_search(&r.scope).unwrap_or(usize::MAX - priors)).collect();
    let mut by_factor: std::collections::HashMap<usize, Vec<usize>> = std::collections::HashMap::new();
    for (i, &g) in factor_of.iter().enumerate() {
        by_factor.entry(g).or_default().push(i);
    }
    let mut active = vec![true; rules.len()];
    // Merged tables whose rules changed (a redundant rule dropped).
    let mut replaced: std::collections::HashMap<usize, Option<Factor>> = std::collections::HashMap::new();
    let rebuilt = |g: usize, without: usize, active: &[bool]| -> Option<Factor> {
        let scope = &scopes[g - priors];
        let mut kept = by_factor.get(&g).into_iter().flatten().filter(|&&i| i != without && active[i]).peekable();
        kept.peek().is_some().then(|| merged_factor(scope, kept.map(|&i| &rules[i]), &net.domains))
    };
    let mut violable = |rule: usize, evidence: &[(usize, usize)], excluded: &[VariantId]| -> bool {
        let Some(&first) = evidence.first() else { return true };
        let g = factor_of[rule];
        if g >= net.factors.len() {
            return true;
        }
        let c = &comps[component_of[first.0]];
        let evidence: Vec<(usize, usize)> = evidence.iter().map(|&(t, v)| (c.local(t), v)).collect();
        // Every table is cut down to the evidence first: a table over a
        // trait of 100,000 variants becomes one row.
        let domains = &c.net.domains;
        let mut local = Network::new(domains.clone());
        for &h in &c.factors {
            if h == g {
                if let Some(f) = rebuilt(g, rule, &active) {
                    local.push(restrict(&c.localise(&f), domains, &evidence));
                }
            } else {
                match replaced.get(&h) {
                    Some(Some(f)) => local.push(restrict(&c.localise(f), domains, &evidence)),
                    Some(None) => {}
                    None => local.push(restrict(&c.net.factors[c.position(h)], domains, &evidence)),
                }
            }
        }
        for ex in excluded {
            let mut mask = vec![1.0; model.traits[ex.trait_id].variants.len()];
            mask[ex.index] = 0.0;
            local.push(Factor::unary(c.local(ex.trait_id), mask));
        }
        let fires = solve::count_given(&local, &[], &evidence, budget).map_or(true, |n| n.upper() > 0);
        if !fires {
            active[rule] = false;
            replaced.insert(g, rebuilt(g, usize::MAX, &active));
        }
        fires
    };
    let mut report = idle_reporter(diagnostics);
    let forbids = model.forbids.len();
    for (i, r) in model.requires.iter().enumerate().rev() {
        let fires = if cheap(r.when) {
            is_possible(r.when)
        } else {
            violable(forbids + i, &[(r.when.trait_id, r.when.index)], &r.alternatives)
        };
        if !fires {
            report(
                r.span,
                format!(
                    "`{}` never occurs without one of the alternatives, even without this `require`",
                    model.variant_name(r.when)
                ),
                "weights or other rules already ensure it; remove the rule",
            );
        }
    }
    // A statement naming a group is judged whole: a combination of one of
    // the group's variants that never occurs anyway is the group's
    // business, not the rule's.
    let mut grouped: std::collections::BTreeMap<crate::span::Span, (usize, usize)> = std::collections::BTreeMap::new();
    for (i, f) in model.forbids.iter().enumerate().rev() {
        let fires = if f.variants.iter().any(|&v| cheap(v)) {
            f.variants.iter().all(|&v| is_possible(v))
        } else {
            let evidence: Vec<(usize, usize)> = f.variants.iter().map(|v| (v.trait_id, v.index)).collect();
            violable(i, &evidence, &[])
        };
        if f.via_group {
            let (idle, total) = grouped.entry(f.span).or_default();
            *total += 1;
            *idle += usize::from(!fires);
        } else if !fires {
            report(
                f.span,
                format!("{} never meet, even without this `forbid`", quoted_names(model, &f.variants)),
                "weights or other rules already keep them apart; remove the rule",
            );
        }
    }
    for (span, (idle, total)) in grouped {
        if idle == total {
            report(
                span,
                "none of the combinations this `forbid` names occurs, even without it".to_string(),
                "weights or other rules already exclude them; remove the rule",
            );
        }
    }
    idle_whens(model, possible, &mut report);
}

/// `f` with the variables of `fixed` set to their values: a factor over the
/// other variables (a constant when none is left).
fn restrict(f: &Factor, domains: &[usize], fixed: &[(usize, usize)]) -> Factor {
    f.restrict(domains, fixed)
}

/// The cheap test for collections with very many rules: a rule never fires
/// when a variant it needs can never occur.
fn report_idle_rules_cheaply(model: &Model, possible: &[Vec<bool>], diagnostics: &mut Vec<Diagnostic>) {
    let is_possible = |v: VariantId| possible[v.trait_id][v.index];
    let mut report = idle_reporter(diagnostics);
    for r in model.requires.iter().filter(|r| !is_possible(r.when)) {
        report(
            r.span,
            format!("`{}` can never occur, so this `require` never applies", model.variant_name(r.when)),
            "remove the rule",
        );
    }
    for f in model.forbids.iter().filter(|f| !f.via_group) {
        let Some(&gone) = f.variants.iter().find(|&&v| !is_possible(v)) else { continue };
        report(
            f.span,
            format!("`{}` can never occur, so this `forbid` never applies", model.variant_name(gone)),
            "remove the rule",
        );
    }
    idle_whens(model, possible, &mut report);
}

/// Reports `rule_never_fires` once per rule (a rule with several pairs is
/// one statement).
fn idle_reporter(diagnostics: &mut Vec<Diagnostic>) -> impl FnMut(crate::span::Span, String, &str) + '_ {
    let mut reported: Vec<crate::span::Span> = Vec::new();
    move |span, message, help| {
        if !reported.contains(&span) {
            reported.push(span);
            diagnostics.push(
                Diagnostic::new(Code::RuleNeverFires, span, message)
                    .label("never excludes a token")
                    .help(help.to_string()),
            );
        }
    }
}

fn idle_whens(model: &Model, possible: &[Vec<bool>], report: &mut impl FnMut(crate::span::Span, String, &str)) {
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

/// `` `A.x` and `B.y` ``, `` `A.x`, `B.y` and `C.z` ``.
fn quoted_names(model: &Model, variants: &[VariantId]) -> String {
    let names: Vec<String> = variants.iter().map(|&v| model.variant_name(v)).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    super::resolve::quote_list(&names)
}

fn trait_list(model: &Model, traits: &[TraitId]) -> String {
    let names: Vec<std::borrow::Cow<'_, str>> = traits.iter().map(|&t| source_name(&model.traits[t].name)).collect();
    let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    super::resolve::quote_list(&names)
}
