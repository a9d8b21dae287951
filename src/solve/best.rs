//! The allowed assignment with the best score: branch and bound over the
//! support of a factor graph.
//!
//! The score of an assignment is a sum of weighted [`Term`]s, a term counting
//! when the assignment has *any* of its `(variable, value)` literals. Only
//! assignments with positive mass (every factor positive) are considered.
//! The count stage prices strata it has not enumerated with it (the most
//! useful signature under given dual prices, `crate::plan::counts`), so the
//! answer must be the exact maximum, not a good one: the search is complete,
//! and it stops with [`OverBudget`] rather than guess.
//!
//! # The search
//!
//! Variables and terms split into independent *blocks* (connected by a
//! factor or by sharing a term), each searched on its own; the best
//! assignment is the union of each block's best. In a block the variables of
//! the terms are branched on first, values in order of the score they add;
//! a factor is checked as soon as its last variable is set. A node is cut
//! when its score plus every undecided positive term cannot beat the best
//! found. Once the term variables are set, the score is known and only one
//! completion of the rest is searched for (depth first).

use super::Network;
use super::search::OverBudget;

/// A weighted disjunction of literals.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// Added to the score when any literal holds.
    pub weight: f64,
    /// `(variable, value)` pairs.
    pub literals: Vec<(usize, usize)>,
}

/// Refuses assignments (see [`best_excluding`]).
pub type Exclude<'a> = &'a dyn Fn(&[u32]) -> bool;

/// The best allowed assignment.
#[derive(Clone, Debug, PartialEq)]
pub struct Best {
    /// Its score.
    pub score: f64,
    /// The value of every variable.
    pub assignment: Vec<u32>,
}

/// The allowed assignment of `net` maximising the sum of the `terms` it
/// satisfies; `Ok(None)` when no assignment has positive mass. Visits at most
/// `max_nodes` search nodes in all.
pub fn best(net: &Network, terms: &[Term], max_nodes: u64) -> Result<Option<Best>, OverBudget> {
    best_excluding(net, terms, max_nodes, None)
}

/// [`best`] among the assignments whose values on the terms' variables
/// `exclude` does not refuse (it is given an assignment of every variable
/// in which only the terms' variables are meaningful). All the terms'
/// variables are then searched as one block.
pub fn best_excluding(
    net: &Network,
    terms: &[Term],
    max_nodes: u64,
    exclude: Option<Exclude<'_>>,
) -> Result<Option<Best>, OverBudget> {
    let n = net.domains.len();
    // Blocks: components of the factor graph, merged by terms.
    let term_scopes: Vec<Vec<usize>> = terms.iter().map(|t| t.literals.iter().map(|l| l.0).collect()).collect();
    let together: Option<Vec<usize>> =
        exclude.map(|_| terms.iter().flat_map(|t| t.literals.iter().map(|l| l.0)).collect());
    let scopes =
        net.factors.iter().map(|f| &f.scope[..]).chain(term_scopes.iter().map(|v| &v[..])).chain(together.as_deref());
    let block_of = super::components_of(n, scopes);
    let blocks = block_of.iter().max().map_or(0, |&b| b + 1);
    let mut assignment = vec![0u32; n];
    let mut score = 0.0;
    let mut nodes = 0u64;
    for b in 0..blocks {
        let vars: Vec<usize> = (0..n).filter(|&v| block_of[v] == b).collect();
        let my_terms: Vec<&Term> =
            terms.iter().filter(|t| t.literals.first().is_some_and(|l| block_of[l.0] == b)).collect();
        let mut search = Block::new(net, &vars, &my_terms);
        search.exclude = exclude;
        match search.run(&mut nodes, max_nodes)? {
            None => return Ok(None),
            Some(s) => {
                score += s;
                for (&v, &x) in search.order.iter().zip(&search.best) {
                    assignment[v] = x;
                }
            }
        }
    }
    Ok(Some(Best { score, assignment }))
}

/// The search of one block.
struct Block<'a> {
    /// Variables in branching order (term variables first).
    order: Vec<usize>,
    /// How many of `order` are term variables.
    term_vars: usize,
    /// Domain per position.
    domain: Vec<usize>,
    /// Per position: the factors (scope as positions, table) whose last variable it is.
    checks: Vec<Vec<(Vec<usize>, &'a [f64])>>,
    /// Per position and value: the terms that value satisfies.
    satisfies: Vec<Vec<Vec<usize>>>,
    /// Per term: its weight and the positions of its literals.
    terms: Vec<(f64, Vec<usize>)>,
    /// The value per position of the current node.
    current: Vec<u32>,
    /// The best assignment found, per position.
    best: Vec<u32>,
    /// Its score.
    best_score: Option<f64>,
    /// Refuses assignments of the term variables.
    exclude: Option<Exclude<'a>>,
    /// A whole assignment for `exclude`.
    global: Vec<u32>,
}

impl<'a> Block<'a> {
    fn new(net: &'a Network, vars: &[usize], terms: &[&Term]) -> Block<'a> {
        let mut order: Vec<usize> = Vec::with_capacity(vars.len());
        for t in terms {
            for &(v, _) in &t.literals {
                if !order.contains(&v) {
                    order.push(v);
                }
            }
        }
        order.sort_unstable();
        let term_vars = order.len();
        let rest: Vec<usize> = vars.iter().copied().filter(|v| !order.contains(v)).collect();
        order.extend(rest);
        let mut pos = vec![usize::MAX; net.domains.len()];
        for (p, &v) in order.iter().enumerate() {
            pos[v] = p;
        }
        let mut checks: Vec<Vec<(Vec<usize>, &[f64])>> = vec![Vec::new(); order.len()];
        for f in &net.factors {
            if f.scope.first().is_some_and(|&v| pos[v] != usize::MAX) {
                let scope: Vec<usize> = f.scope.iter().map(|&v| pos[v]).collect();
                let last = scope.iter().copied().max().unwrap_or(0);
                checks[last].push((scope, &f.table));
            }
        }
        let domain: Vec<usize> = order.iter().map(|&v| net.domains[v]).collect();
        let mut satisfies: Vec<Vec<Vec<usize>>> = domain.iter().map(|&d| vec![Vec::new(); d]).collect();
        for (i, t) in terms.iter().enumerate() {
            for &(v, x) in &t.literals {
                if let Some(list) = satisfies[pos[v]].get_mut(x) {
                    if !list.contains(&i) {
                        list.push(i);
                    }
                }
            }
        }
        let terms = terms.iter().map(|t| (t.weight, t.literals.iter().map(|&(v, _)| pos[v]).collect())).collect();
        Block {
            current: vec![0; order.len()],
            best: vec![0; order.len()],
            order,
            term_vars,
            domain,
            checks,
            satisfies,
            terms,
            best_score: None,
            exclude: None,
            global: vec![0; net.domains.len()],
        }
    }

    /// Whether every factor checked at position `p` is positive.
    fn consistent(&self, p: usize) -> bool {
        self.checks[p].iter().all(|(scope, table)| {
            let mut index = 0;
            for &q in scope {
                index = index * self.domain[q] + self.current[q] as usize;
            }
            table[index] > 0.0
        })
    }

    /// The best score, `None` when the block has no allowed assignment.
    fn run(&mut self, nodes: &mut u64, max: u64) -> Result<Option<f64>, OverBudget> {
        let mut held = vec![0u32; self.terms.len()];
        self.branch(0, 0.0, &mut held, nodes, max)?;
        Ok(self.best_score)
    }

    /// The most the terms can still add at depth `p`: every positive term not
    /// yet held that has a literal on a variable not yet set.
    fn optimism(&self, p: usize, held: &[u32]) -> f64 {
        self.terms
            .iter()
            .zip(held)
            .filter(|((w, lits), h)| **h == 0 && *w > 0.0 && lits.iter().any(|&q| q >= p))
            .map(|((w, _), _)| *w)
            .sum()
    }

    fn branch(&mut self, p: usize, score: f64, held: &mut [u32], nodes: &mut u64, max: u64) -> Result<(), OverBudget> {
        if p == self.term_vars && p > 0 {
            if let Some(exclude) = self.exclude {
                for q in 0..self.term_vars {
                    self.global[self.order[q]] = self.current[q];
                }
                if exclude(&self.global) {
                    return Ok(());
                }
            }
        }
        if p == self.order.len() {
            if self.best_score.is_none_or(|b| score > b) {
                self.best_score = Some(score);
                self.best.clone_from(&self.current);
            }
            return Ok(());
        }
        if p < self.term_vars {
            if self.best_score.is_some_and(|b| score + self.optimism(p, held) <= b) {
                return Ok(());
            }
        } else if p == self.term_vars && self.best_score.is_some_and(|b| score <= b) {
            return Ok(());
        }
        // Values by the score they add (then by index).
        let gain = |x: usize, held: &[u32]| -> f64 {
            self.satisfies[p][x].iter().filter(|&&t| held[t] == 0).map(|&t| self.terms[t].0).sum()
        };
        let mut values: Vec<(f64, usize)> = (0..self.domain[p]).map(|x| (gain(x, held), x)).collect();
        if p < self.term_vars {
            values.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        }
        for (g, x) in values {
            *nodes += 1;
            if *nodes > max {
                return Err(OverBudget);
            }
            self.current[p] = x as u32;
            if !self.consistent(p) {
                continue;
            }
            for &t in &self.satisfies[p][x] {
                held[t] += 1;
            }
            let before = self.best_score;
            let result = self.branch(p + 1, score + g, held, nodes, max);
            for &t in &self.satisfies[p][x] {
                held[t] -= 1;
            }
            result?;
            // Past the term variables one completion is enough.
            if p >= self.term_vars && self.best_score != before {
                return Ok(());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::solve::Factor;

    /// Brute force: the best score over every allowed assignment.
    fn brute(net: &Network, terms: &[Term]) -> Option<f64> {
        let n = net.domains.len();
        let mut x = vec![0usize; n];
        let mut best: Option<f64> = None;
        loop {
            let allowed = net.factors.iter().all(|f| {
                let mut i = 0;
                for &v in &f.scope {
                    i = i * net.domains[v] + x[v];
                }
                f.table[i] > 0.0
            });
            if allowed {
                let s: f64 =
                    terms.iter().filter(|t| t.literals.iter().any(|&(v, a)| x[v] == a)).map(|t| t.weight).sum();
                best = Some(best.map_or(s, |b: f64| b.max(s)));
            }
            let mut k = 0;
            loop {
                if k == n {
                    return best;
                }
                x[k] += 1;
                if x[k] < net.domains[k] {
                    break;
                }
                x[k] = 0;
                k += 1;
            }
        }
    }

    fn random_case(seed: u64) -> (Network, Vec<Term>) {
        let mut rng = crate::solve::splitmix::Rng(seed);
        let n = 3 + rng.below(4);
        let domains: Vec<usize> = (0..n).map(|_| 2 + rng.below(3)).collect();
        let mut net = Network::new(domains.clone());
        for _ in 0..rng.below(3 * n) {
            let (a, b) = (rng.below(n), rng.below(n));
            if a != b {
                net.push(Factor::forbid((a, rng.below(domains[a])), (b, rng.below(domains[b])), &domains));
            }
        }
        if rng.below(3) == 0 {
            let v = rng.below(n);
            net.push(Factor::unary(v, (0..domains[v]).map(|i| if i == 0 { 0.0 } else { 1.0 }).collect()));
        }
        let terms = (0..1 + rng.below(4))
            .map(|_| Term {
                weight: rng.below(7) as f64 - 3.0,
                literals: (0..1 + rng.below(2))
                    .map(|_| {
                        let v = rng.below(n);
                        (v, rng.below(domains[v]))
                    })
                    .collect(),
            })
            .collect();
        (net, terms)
    }

    #[test]
    fn the_best_score_equals_brute_force_and_its_assignment_is_allowed() {
        for seed in 0..400 {
            let (net, terms) = random_case(seed);
            let found = best(&net, &terms, 1 << 20).unwrap();
            assert_eq!(found.as_ref().map(|b| b.score), brute(&net, &terms), "seed {seed}");
            if let Some(b) = found {
                let x: Vec<usize> = b.assignment.iter().map(|&v| v as usize).collect();
                assert!(net.factors.iter().all(|f| {
                    let mut i = 0;
                    for &v in &f.scope {
                        i = i * net.domains[v] + x[v];
                    }
                    f.table[i] > 0.0
                }));
                let s: f64 =
                    terms.iter().filter(|t| t.literals.iter().any(|&(v, a)| x[v] == a)).map(|t| t.weight).sum();
                assert_eq!(s, b.score, "seed {seed}");
            }
        }
    }

    #[test]
    fn excluded_assignments_are_skipped() {
        let net = Network::new(vec![3, 3]);
        let terms =
            vec![Term { weight: 2.0, literals: vec![(0, 2)] }, Term { weight: 1.0, literals: vec![(1, 1), (1, 2)] }];
        let all = best(&net, &terms, 1000).unwrap().unwrap();
        assert_eq!(all.score, 3.0);
        // Refusing (2, 1) and (2, 2) leaves the best at (2, 0) or (x, 1): 2.
        let refuse = |a: &[u32]| a[0] == 2 && a[1] >= 1;
        let found = best_excluding(&net, &terms, 1000, Some(&refuse)).unwrap().unwrap();
        assert_eq!(found.score, 2.0);
        assert!(!refuse(&found.assignment));
    }

    #[test]
    fn an_empty_support_has_no_best_and_a_tiny_budget_is_refused() {
        let mut net = Network::new(vec![2, 2]);
        net.push(Factor::unary(0, vec![0.0, 0.0]));
        assert_eq!(best(&net, &[], 100).unwrap(), None);
        let net = Network::new(vec![3; 8]);
        let terms = vec![Term { weight: 1.0, literals: vec![(7, 2)] }];
        assert_eq!(best(&net, &terms, 3), Err(OverBudget));
        assert_eq!(best(&net, &terms, 100).unwrap().map(|b| b.score), Some(1.0));
    }
}
