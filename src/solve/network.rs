//! The model as a factor graph: one variable per trait, its weights (or its
//! `when`-conditional weights) as a prior, and the rules as 0/1 tables.
//! `check` asks it whether the collection can be made, `sample` draws from
//! it, `qa` re-derives what it audits from it: one translation, here.

use super::{Budget, Factor, Network};
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
    let mut merged: std::collections::BTreeMap<Vec<usize>, Vec<f64>> = std::collections::BTreeMap::new();
    for rule in rule_tables(model, &domains) {
        let table = merged.entry(rule.scope.clone()).or_insert_with(|| vec![1.0; table_len(&rule.scope, &domains)]);
        rule.apply(table);
    }
    let mut scopes = Vec::with_capacity(merged.len());
    for (scope, table) in merged {
        scopes.push(scope.clone());
        net.push(Factor::new(scope, table));
    }
    (net, scopes)
}

pub(crate) fn table_len(scope: &[usize], domains: &[usize]) -> usize {
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

impl RuleTable {
    /// Puts the rule's zeros into `table` (the merged table of its scope).
    pub(crate) fn apply(&self, table: &mut [f64]) {
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
    for r in &model.requires {
        let options: Vec<(usize, usize)> = r.alternatives.iter().map(|a| (a.trait_id, a.index)).collect();
        let f = Factor::require((r.when.trait_id, r.when.index), &options, domains);
        let zeros = f.table.iter().enumerate().filter(|(_, x)| **x == 0.0).map(|(i, _)| i).collect();
        out.push(RuleTable { scope: f.scope, zeros: RuleZeros::Entries(zeros) });
    }
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
            sub.push(Factor::new(f.scope.iter().map(|&t| local(t)).collect(), f.table.clone()));
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
