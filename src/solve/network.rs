//! The model as a factor graph: one variable per trait, its weights (or its
//! `when`-conditional weights) as a prior, and the rules as 0/1 tables.
//! `check` asks it whether the collection can be made, `sample` draws from
//! it, `qa` re-derives what it audits from it: one translation, here.

use rayon::prelude::*;

use super::{Budget, ClassMap, Factor, Network};
use crate::model::*;

/// The factor graph of a model: priors from weights (and `when`), 0/1 rules.
/// Rules on the same traits share one table (their product), which keeps the
/// graph small for collections with thousands of rules.
pub fn network(model: &Model) -> Network {
    merged_network(model).0
}

/// [`network`], with the scope of every merged rule table (its factors
/// follow the one prior per trait, in this order).
pub(crate) fn merged_network(model: &Model) -> (Network, Vec<Vec<usize>>) {
    let domains: Vec<usize> = model.traits.iter().map(|t| t.variants.len()).collect();
    let mut net = Network::new(domains.clone());
    for (trait_id, _) in model.traits.iter().enumerate() {
        net.push(prior(model, trait_id, &domains));
    }
    let mut merged: std::collections::BTreeMap<Vec<usize>, Vec<RuleTable>> = std::collections::BTreeMap::new();
    for rule in rule_tables(model, &domains) {
        merged.entry(rule.scope.clone()).or_default().push(rule);
    }
    // Every scope's table is built on its own: in parallel, collected in
    // scope order (the network does not depend on the threads).
    let merged: Vec<(Vec<usize>, Vec<RuleTable>)> = merged.into_iter().collect();
    let factors: Vec<Factor> = merged.par_iter().map(|(scope, rules)| merged_factor(scope, rules, &domains)).collect();
    let scopes: Vec<Vec<usize>> = merged.into_iter().map(|(scope, _)| scope).collect();
    for f in factors {
        net.push(f);
    }
    (net, scopes)
}

/// The product of `rules` (all over `scope`) as one 0/1 factor: over the
/// classes of values the rules treat alike when that is much smaller than
/// the table over values (a rule table between a trait of 100,000 variants
/// and one of 8 has 800,000 entries, nearly all ones), else over values.
///
/// Two values of a scope variable share a class exactly when their slices of
/// the table are identical (the same zeros at the same places of the other
/// variables); classes are numbered in order of their first value. Within a
/// class every value is interchangeable for the factor, so the classes give
/// the same function of the values.
pub(crate) fn merged_factor<'r>(
    scope: &[usize],
    rules: impl IntoIterator<Item = &'r RuleTable>,
    domains: &[usize],
) -> Factor {
    let mut zeros: Vec<usize> = Vec::new();
    for rule in rules {
        match &rule.zeros {
            RuleZeros::Entry(i) => zeros.push(*i),
            RuleZeros::Entries(list) => zeros.extend_from_slice(list),
        }
    }
    zeros.sort_unstable();
    zeros.dedup();
    let dims: Vec<usize> = scope.iter().map(|&t| domains[t]).collect();
    let len = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    // Small: over values, without looking for classes.
    if let Some(len) = len.filter(|&len| len < 256) {
        return dense(scope, len, &zeros);
    }
    // The digits of every zero, then per scope position the classes.
    let st = super::elim::strides(&dims);
    let digits: Vec<Vec<usize>> =
        zeros.iter().map(|&z| dims.iter().zip(&st).map(|(&d, &s)| (z / s) % d.max(1)).collect()).collect();
    let classes: Vec<ClassMap> = (0..dims.len()).map(|j| classes_at(j, &dims, &st, &digits)).collect();
    let class_len = classes.iter().try_fold(1usize, |n, c| n.checked_mul(c.count)).unwrap_or(usize::MAX);
    let map_len: usize = dims.iter().sum();
    match len {
        // Not much larger than its classes: over values.
        Some(len) if class_len.saturating_add(map_len / 2) > len / 4 => dense(scope, len, &zeros),
        _ => {
            let cst = super::elim::strides(&classes.iter().map(|c| c.count).collect::<Vec<_>>());
            let mut table = vec![1.0; class_len];
            for d in &digits {
                let at: usize = d.iter().zip(&classes).zip(&cst).map(|((&x, c), s)| c.of[x] as usize * s).sum();
                table[at] = 0.0;
            }
            Factor::over_classes(scope.to_vec(), classes, table)
        }
    }
}

/// The table over values: ones, with the given zeros.
fn dense(scope: &[usize], len: usize, zeros: &[usize]) -> Factor {
    let mut table = vec![1.0; len];
    zeros.iter().for_each(|&z| table[z] = 0.0);
    Factor::new(scope.to_vec(), table)
}

/// The classes of the values at scope position `j` of a 0/1 table with the
/// given zeros (as digits): values with the same zeros elsewhere (the same
/// slice) share a class, numbered in order of their first value. Only the
/// values some zero mentions are compared; the others (all ones) share one
/// class, so a trait of 100,000 variants costs one pass over its values.
fn classes_at(j: usize, dims: &[usize], st: &[usize], digits: &[Vec<usize>]) -> ClassMap {
    // (value, zero's linear index with position `j` left out), sorted: each
    // mentioned value's slice is a run, in increasing order.
    let mut pairs: Vec<(usize, usize)> = digits
        .iter()
        .map(|d| {
            let rest: usize = d.iter().zip(st).enumerate().filter(|&(p, _)| p != j).map(|(_, (&x, &s))| x * s).sum();
            (d[j], rest)
        })
        .collect();
    pairs.sort_unstable();
    let mut index: std::collections::HashMap<Vec<usize>, u32, foldhash::fast::FixedState> = Default::default();
    let mut rest_class: Option<u32> = None;
    let mut count = 0u32;
    let mut of = Vec::with_capacity(dims[j]);
    let mut at = 0;
    for x in 0..dims[j] {
        let start = at;
        while at < pairs.len() && pairs[at].0 == x {
            at += 1;
        }
        let class = if start == at {
            *rest_class.get_or_insert_with(|| {
                count += 1;
                count - 1
            })
        } else {
            let slice: Vec<usize> = pairs[start..at].iter().map(|p| p.1).collect();
            *index.entry(slice).or_insert_with(|| {
                count += 1;
                count - 1
            })
        };
        of.push(class);
    }
    ClassMap { of: of.into(), count: count as usize }
}

#[cfg(test)]
fn table_len(scope: &[usize], domains: &[usize]) -> usize {
    scope.iter().map(|&t| domains[t]).product()
}

/// One `forbid` combination (a pair, or a triple and more from a `with`
/// chain: an n-ary factor) or `require` as the zeros it puts into the merged
/// table of its scope: a forbid is one entry (kept sparse: a dense table per pair
/// of a 100,000-variant trait was what made `check` slow), a require the
/// entries where its premise holds and none of its options does (kept sparse
/// too: 4,000 requires between traits of 40 variants held 52 MB of dense
/// tables at once).
pub(crate) struct RuleTable {
    /// The traits it is over, in increasing order.
    pub(crate) scope: Vec<usize>,
    zeros: RuleZeros,
}

enum RuleZeros {
    /// The one entry a `forbid` combination zeroes.
    Entry(usize),
    /// The entries a `require` zeroes, in increasing order.
    Entries(Vec<usize>),
}

#[cfg(test)]
impl RuleTable {
    /// Puts the rule's zeros into `table` (the merged table of its scope).
    fn apply(&self, table: &mut [f64]) {
        match &self.zeros {
            RuleZeros::Entry(i) => table[*i] = 0.0,
            // The same as multiplying by the rule's 0/1 table: entries are
            // finite and non-negative, so `x * 0.0` is `0.0` and `x * 1.0` is `x`.
            RuleZeros::Entries(zeros) => zeros.iter().for_each(|&i| table[i] = 0.0),
        }
    }
}

/// Every forbid combination (in model order), then every require.
pub(crate) fn rule_tables(model: &Model, domains: &[usize]) -> Vec<RuleTable> {
    let mut out = Vec::with_capacity(model.forbids.len() + model.requires.len());
    for f in &model.forbids {
        // The scope is the traits in increasing order; the entry's index in
        // the row-major table over it, last trait fastest.
        let mut variants = f.variants.clone();
        variants.sort_unstable();
        let entry = variants.iter().fold(0, |at, v| at * domains[v.trait_id] + v.index);
        out.push(RuleTable { scope: variants.iter().map(|v| v.trait_id).collect(), zeros: RuleZeros::Entry(entry) });
    }
    // A `require`'s table is built whole to find its zeros: in parallel,
    // collected in rule order.
    let requires: Vec<RuleTable> = model
        .requires
        .par_iter()
        .map(|r| {
            let options: Vec<(usize, usize)> = r.alternatives.iter().map(|a| (a.trait_id, a.index)).collect();
            let f = Factor::require((r.when.trait_id, r.when.index), &options, domains);
            let zeros = f.table.iter().enumerate().filter(|(_, x)| **x == 0.0).map(|(i, _)| i).collect();
            RuleTable { scope: f.scope, zeros: RuleZeros::Entries(zeros) }
        })
        .collect();
    out.extend(requires);
    out
}

/// The prior of one trait: its normalised weights, or a table conditional on
/// the trait its `when` rules look at.
fn prior(model: &Model, trait_id: TraitId, domains: &[usize]) -> Factor {
    let t = &model.traits[trait_id];
    let base = normalised(t.variants.iter().map(|v| v.weight));
    let whens: Vec<(&WhenRule, &Vec<f64>)> = model
        .whens
        .iter()
        .filter_map(|w| w.overrides.iter().find(|(target, _)| *target == trait_id).map(|(_, weights)| (w, weights)))
        .collect();
    match whens.first() {
        None => Factor::unary(trait_id, base),
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
            Factor::new(vec![condition, trait_id], table)
        }
    }
}

fn normalised(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let w: Vec<f64> = weights.collect();
    let total: f64 = w.iter().sum();
    if total > 0.0 { w.iter().map(|x| x / total).collect() } else { w }
}

/// The budget `check` (and the stages that ask what it asked) gives the solver for each question: exact in
/// milliseconds for realistic collections, bounds beyond. Deterministic: no
/// time limit, so the same file always gets the same answer.
pub fn budget() -> Budget {
    Budget { max_table_entries: 1 << 22, max_branches: 256, max_work: 1 << 22, time_limit: None }
}

/// The probability that a token (under the weights and rules, before
/// `count` and `unique`) has any of `variants` (a `count` on a group):
/// one minus the probability of none, a ratio of two partition functions
/// over the components the variants lie in. `None` when a component is too
/// dense to compile exactly.
pub fn share_of_any(model: &Model, variants: &[VariantId]) -> Option<f64> {
    let net = network(model);
    let component_of = net.components();
    let mut components: Vec<usize> = variants.iter().map(|v| component_of[v.trait_id]).collect();
    components.sort_unstable();
    components.dedup();
    let mut log_none = 0.0;
    for c in components {
        let traits: Vec<usize> = (0..net.domains.len()).filter(|&t| component_of[t] == c).collect();
        let local = |t: usize| traits.binary_search(&t).unwrap_or(0);
        let mut sub = Network::new(traits.iter().map(|&t| net.domains[t]).collect());
        for f in net.factors.iter().filter(|f| f.scope.first().is_some_and(|&t| component_of[t] == c)) {
            sub.push(Factor { scope: f.scope.iter().map(|&t| local(t)).collect(), ..f.clone() });
        }
        let all = super::WeightedModel::compile(&sub, &[], &budget()).ok()?.log_partition();
        for &t in &traits {
            let mine: Vec<usize> = variants.iter().filter(|v| v.trait_id == t).map(|v| v.index).collect();
            if !mine.is_empty() {
                let mut mask = vec![1.0; net.domains[t]];
                mine.iter().for_each(|&i| mask[i] = 0.0);
                sub.push(Factor::unary(local(t), mask));
            }
        }
        match super::WeightedModel::compile(&sub, &[], &budget()) {
            Ok(m) => log_none += m.log_partition() - all,
            // No token lacks them all: the share is one.
            Err(super::SolveError::EmptySupport) => return Some(1.0),
            Err(_) => return None,
        }
    }
    Some(1.0 - log_none.exp())
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::solve::splitmix::Rng;

    /// A trait of `n` variants, three of 6, `forbid`s between the large one
    /// and the others, `require`s among the small ones and from the large one.
    fn source(n: usize, small: usize, forbids: usize, seed: u64) -> String {
        let mut rng = Rng(seed);
        let mut out = String::from("collection \"C\" { size 10 canvas 8 x 8 seed \"s\" }\n");
        let list: Vec<String> = (0..n).map(|v| format!("e{v}: {}", 1 + rng.below(9))).collect();
        let _ = writeln!(out, "trait E < {} >", list.join(", "));
        for t in 0..3 {
            let list: Vec<String> = (0..small).map(|v| format!("v{v}: {}", 1 + rng.below(9))).collect();
            let _ = writeln!(out, "trait S{t} < {} >", list.join(", "));
        }
        let mut seen = std::collections::HashSet::new();
        while seen.len() < forbids {
            let (e, t, v) = (rng.below(n), rng.below(3), rng.below(small));
            if seen.insert((e, t, v)) {
                let _ = writeln!(out, "forbid E.e{e} with S{t}.v{v}");
            }
        }
        let _ = writeln!(out, "require S0.v1 -> S1.v2 | S1.v3");
        let _ = writeln!(out, "require E.e{} -> S2.v0 | S2.v5", rng.below(n));
        let _ = writeln!(out, "forbid E.e{} with S0.v0 with S1.v1", rng.below(n));
        out
    }

    /// The merged network is the product of the rule tables, whether a
    /// table is kept over values or over classes.
    #[test]
    fn merged_tables_are_the_product_of_the_rules() {
        let cases = [(3, 6, 4, 1), (40, 6, 30, 2), (40, 40, 12, 5), (500, 6, 60, 3), (2_000, 6, 200, 4)];
        for (n, small, forbids, seed) in cases {
            let checked = crate::check_text(&source(n, small, forbids, seed), &crate::check::NoArt);
            let model = checked.model.as_ref().expect("a model");
            let (net, scopes) = merged_network(model);
            assert_eq!(net.validate(), Ok(()));
            let domains = &net.domains;
            let mut want: std::collections::BTreeMap<Vec<usize>, Vec<f64>> = std::collections::BTreeMap::new();
            for rule in rule_tables(model, domains) {
                let table =
                    want.entry(rule.scope.clone()).or_insert_with(|| vec![1.0; table_len(&rule.scope, domains)]);
                rule.apply(table);
            }
            let priors = model.traits.len();
            assert_eq!(scopes, want.keys().cloned().collect::<Vec<_>>());
            let mut over_classes = 0;
            for (f, (scope, table)) in net.factors[priors..].iter().zip(&want) {
                assert_eq!(&f.scope, scope);
                assert_eq!(&*f.dense_table(domains), &table[..], "n = {n}, scope {scope:?}");
                if let Some(classes) = &f.classes {
                    over_classes += 1;
                    // Classes are the values with identical slices: no two of one
                    // variable's classes have the same slice of the class table.
                    assert!(f.table.len() * 4 < table.len());
                    for c in classes {
                        assert!(c.of.iter().enumerate().all(|(x, &k)| k as usize <= x), "numbered by first value");
                    }
                }
            }
            // Small tables stay over values; those over a large trait go over classes.
            match (n, small) {
                (3, _) => assert_eq!(over_classes, 0),
                (40, 6) => assert_eq!(over_classes, 1, "the table of the forbid over three traits"),
                // 40 × 40 tables with a few zeros each, as in the 4 MB benchmark file.
                (40, _) => assert_eq!(over_classes, 5, "E with each S, S0 with S1, and E, S0, S1"),
                _ => assert_eq!(over_classes, 4, "n = {n}: E with each S, and E, S0, S1"),
            }
        }
    }
}
