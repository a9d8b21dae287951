//! The allowed assignment with the best score: branch and bound over the
//! support of a factor graph.
//!
//! The score of an assignment is a sum of weighted [`Term`]s, a term counting
//! when the assignment has *any* of its `(variable, value)` literals. Only
//! assignments with positive mass (every factor positive) are considered.
//! The count stage prices strata it has not enumerated with it (the most
//! useful signature under given dual prices, `crate::plan::counts`), so the
//! answer must be exact, not a good guess: the search is complete, and it
//! stops with [`OverBudget`] rather than guess.
//!
//! # The search
//!
//! Variables and terms split into independent *blocks* (connected by a
//! factor or by sharing a term), each searched on its own; the best
//! assignment is the union of each block's best.
//!
//! The score only tells values apart by the terms they satisfy, so the
//! values of a term's variable fall into *classes* (the values satisfying
//! the same terms), and a block is searched in two stages:
//!
//! 1. **Classes.** The terms' variables are each given a class (the
//!    variable keeps the values of that class), one at a time in a fixed
//!    order, classes by the score they add (then in order of their first
//!    value). Once every one has its class the score is known. With the
//!    order fixed, the maximum found is the first of the equal ones in that
//!    order, whatever the pruning, so the columns the count stage generates
//!    do not depend on how much the search can cut.
//! 2. **A completion.** If that score beats the best found (and `exclude`
//!    does not refuse it), one allowed assignment is searched for within
//!    those classes (every variable, the fewest values left first); the
//!    first one found becomes the best. None found: the classes are not
//!    allowed together, and the search goes on.
//!
//! A variable keeps the set of values still possible, and after every
//! choice the factors are made *arc consistent*: a value is removed when no
//! combination of the possible values of the factor's other variables
//! gives the factor a positive value (for a factor whose possible
//! combinations are too many to list, only once all but one of its
//! variables are fixed). A variable left with no value ends the branch.
//! Removing a value that no allowed assignment of the branch has loses
//! nothing, and every assignment kept is checked against every factor, so
//! the completions found are exactly allowed ones.
//!
//! **The bound.** At a node the score still to come is at most, for every
//! term variable without a class, the best gain of its classes still
//! possible from the terms lying on it alone (a negative term counts when
//! every possible class has it), plus every positive term spread over
//! several variables that is not held yet and still has a possible literal.
//! A term is counted once, by the variable it lies on or as a spread term,
//! so no completion scores more than the node's score plus that: a node
//! whose bound does not exceed the best found, or the floor asked for
//! ([`best_above`]), holds nothing better and is cut. The search thus ends
//! with the maximum, or with the proof that no allowed assignment exceeds
//! the floor. It branches over classes, not values: values the score cannot
//! tell apart are never tried one by one, which is what makes a pricing
//! over many counted traits with many variants each tractable.

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
    best_above(net, terms, max_nodes, None, None)
}

/// [`best`] among the assignments whose values on the terms' variables
/// `exclude` does not refuse. It is given an assignment of every variable
/// in which only the terms' variables are meaningful, each holding one
/// value of its class (the values that satisfy the same terms): it must
/// answer alike for any values of the same classes. All the terms'
/// variables are then searched as one block.
pub fn best_excluding(
    net: &Network,
    terms: &[Term],
    max_nodes: u64,
    exclude: Option<Exclude<'_>>,
) -> Result<Option<Best>, OverBudget> {
    best_above(net, terms, max_nodes, exclude, None)
}

/// [`best_excluding`] among the assignments scoring more than `floor`:
/// `Ok(None)` when none does (or none is allowed). Every branch that cannot
/// pass the floor is cut from the start, so proving that nothing passes it
/// is much cheaper than finding the maximum.
pub fn best_above(
    net: &Network,
    terms: &[Term],
    max_nodes: u64,
    exclude: Option<Exclude<'_>>,
    floor: Option<f64>,
) -> Result<Option<Best>, OverBudget> {
    // The search reads tables by value.
    let net = &*net.densified();
    let n = net.domains.len();
    // Blocks: components of the factor graph, merged by terms.
    let term_scopes: Vec<Vec<usize>> = terms.iter().map(|t| t.literals.iter().map(|l| l.0).collect()).collect();
    let together: Option<Vec<usize>> =
        exclude.map(|_| terms.iter().flat_map(|t| t.literals.iter().map(|l| l.0)).collect());
    let scopes =
        net.factors.iter().map(|f| &f.scope[..]).chain(term_scopes.iter().map(|v| &v[..])).chain(together.as_deref());
    let block_of = super::components_of(n, scopes);
    let blocks = block_of.iter().max().map_or(0, |&b| b + 1);
    let terms_of: Vec<Vec<&Term>> = (0..blocks)
        .map(|b| terms.iter().filter(|t| t.literals.first().is_some_and(|l| block_of[l.0] == b)).collect())
        .collect();
    // Blocks without terms only need one allowed assignment: they go first.
    // The floor applies to a block's own score when it is the only one with terms.
    let mut order: Vec<usize> = (0..blocks).collect();
    order.sort_by_key(|&b| !terms_of[b].is_empty());
    let scored = terms_of.iter().filter(|t| !t.is_empty()).count();
    let block_floor = if scored == 1 { floor } else { None };
    let mut assignment = vec![0u32; n];
    let mut score = 0.0;
    let mut nodes = 0u64;
    for b in order {
        let vars: Vec<usize> = (0..n).filter(|&v| block_of[v] == b).collect();
        let own_floor = if terms_of[b].is_empty() { None } else { block_floor };
        let mut search = Block::new(net, &vars, &terms_of[b], own_floor);
        search.exclude = exclude;
        match search.run(&mut nodes, max_nodes)? {
            None => return Ok(None),
            Some(s) => {
                score += s;
                for (&v, &x) in search.vars.iter().zip(&search.best) {
                    assignment[v] = x;
                }
            }
        }
    }
    if floor.is_some_and(|f| score <= f) {
        return Ok(None);
    }
    Ok(Some(Best { score, assignment }))
}

/// Most combinations of possible values a factor is scanned over to make
/// it arc consistent; a larger one is only checked once all but one of its
/// variables are fixed.
const SCAN_LIMIT: usize = 4096;

/// A factor as the search checks it.
struct Check<'a> {
    /// Its scope, as positions of the block.
    scope: Vec<usize>,
    /// The table stride of each scope position.
    stride: Vec<usize>,
    table: &'a [f64],
    /// For a factor over two positions of at most 64 values each: per
    /// value of the first, the values of the second it is positive with
    /// (bits), and the same the other way.
    supports: Option<(Vec<u64>, Vec<u64>)>,
}

/// A class of a term variable's values: the terms they satisfy.
struct Class {
    terms: Vec<usize>,
    values: Vec<usize>,
    /// The summed weight of its terms that lie on this variable alone.
    local: f64,
}

/// The values [`Block::restrict`] keeps.
#[derive(Clone, Copy)]
enum Keep {
    /// Those of a class of a term position.
    Class(usize),
    /// One value.
    Value(usize),
}

/// The search of one block (variables by *position*, the terms' first).
struct Block<'a> {
    /// The variable at each position.
    vars: Vec<usize>,
    /// Positions `0..term_vars` are the terms' variables.
    term_vars: usize,
    /// Per position and value: whether the value is still possible.
    alive: Vec<Vec<bool>>,
    /// Per position of at most 64 values: `alive` as bits.
    alive_bits: Vec<u64>,
    /// Per position: how many values are still possible.
    left: Vec<usize>,
    /// Per term position: its classes, and whether it has been given one.
    classes: Vec<Vec<Class>>,
    chosen: Vec<bool>,
    /// Per term position and value: its class.
    class_of: Vec<Vec<usize>>,
    factors: Vec<Check<'a>>,
    /// Per position: the factors over it.
    touching: Vec<Vec<usize>>,
    /// Per term: its weight.
    weight: Vec<f64>,
    /// Terms over several positions: their literals.
    spread: Vec<(usize, Vec<(usize, usize)>)>,
    /// Per term: how many chosen classes satisfy it.
    held: Vec<u32>,
    /// Removed `(position, value)`s, undone on backtracking.
    trail: Vec<(usize, usize)>,
    /// Factors waiting to be made arc consistent, and whether each waits.
    queue: Vec<usize>,
    queued: Vec<bool>,
    /// The best assignment found, per position.
    best: Vec<u32>,
    /// Whether one was found, and the score to beat (its score, or the floor).
    found: bool,
    threshold: f64,
    /// Refuses assignments of the term variables.
    exclude: Option<Exclude<'a>>,
    /// A whole assignment for `exclude`.
    global: Vec<u32>,
    /// Reused buffers of [`Block::revise_small`].
    scratch: (Vec<bool>, Vec<bool>),
}

/// A rounding margin for comparing a bound (summed in another order than a
/// score) with the best score.
fn slack(x: f64) -> f64 {
    1e-9 * (1.0 + x.abs())
}

impl<'a> Block<'a> {
    fn new(net: &'a Network, vars: &[usize], terms: &[&Term], floor: Option<f64>) -> Block<'a> {
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
        let domain: Vec<usize> = order.iter().map(|&v| net.domains[v]).collect();
        let mut factors = Vec::new();
        let mut touching: Vec<Vec<usize>> = vec![Vec::new(); order.len()];
        for f in &net.factors {
            if f.scope.first().is_none_or(|&v| pos[v] == usize::MAX) {
                continue;
            }
            let scope: Vec<usize> = f.scope.iter().map(|&v| pos[v]).collect();
            let mut stride = vec![1usize; scope.len()];
            for k in (0..scope.len().saturating_sub(1)).rev() {
                stride[k] = stride[k + 1] * domain[scope[k + 1]];
            }
            for &p in &scope {
                touching[p].push(factors.len());
            }
            let supports = match scope[..] {
                [a, b] if domain[a] <= 64 && domain[b] <= 64 => {
                    let (mut of_a, mut of_b) = (vec![0u64; domain[a]], vec![0u64; domain[b]]);
                    for (x, partners) in of_a.iter_mut().enumerate() {
                        for (y, back) in of_b.iter_mut().enumerate() {
                            if f.table[x * stride[0] + y * stride[1]] > 0.0 {
                                *partners |= 1 << y;
                                *back |= 1 << x;
                            }
                        }
                    }
                    Some((of_a, of_b))
                }
                _ => None,
            };
            factors.push(Check { scope, stride, table: &f.table, supports });
        }
        // Per term position and value: the terms it satisfies; then the classes.
        let mut satisfies: Vec<Vec<Vec<usize>>> = domain[..term_vars].iter().map(|&d| vec![Vec::new(); d]).collect();
        let mut spread = Vec::new();
        let mut lies_on: Vec<Option<usize>> = vec![None; terms.len()];
        for (i, t) in terms.iter().enumerate() {
            let mut lits: Vec<(usize, usize)> =
                t.literals.iter().map(|&(v, x)| (pos[v], x)).filter(|&(p, x)| x < domain[p]).collect();
            lits.sort_unstable();
            lits.dedup();
            for &(p, x) in &lits {
                satisfies[p][x].push(i);
            }
            match lits.first() {
                Some(&(p, _)) if lits.iter().all(|l| l.0 == p) => lies_on[i] = Some(p),
                Some(_) => spread.push((i, lits)),
                None => {}
            }
        }
        let classes: Vec<Vec<Class>> = satisfies
            .iter()
            .enumerate()
            .map(|(p, by_value)| {
                let mut classes: Vec<Class> = Vec::new();
                for (x, ts) in by_value.iter().enumerate() {
                    match classes.iter_mut().find(|c| &c.terms == ts) {
                        Some(c) => c.values.push(x),
                        None => {
                            let local = ts.iter().filter(|&&t| lies_on[t] == Some(p)).map(|&t| terms[t].weight).sum();
                            classes.push(Class { terms: ts.clone(), values: vec![x], local });
                        }
                    }
                }
                classes
            })
            .collect();
        let class_of = classes
            .iter()
            .zip(&domain)
            .map(|(cs, &d)| {
                let mut of = vec![0; d];
                for (c, class) in cs.iter().enumerate() {
                    for &x in &class.values {
                        of[x] = c;
                    }
                }
                of
            })
            .collect();
        Block {
            vars: order,
            class_of,
            term_vars,
            alive: domain.iter().map(|&d| vec![true; d]).collect(),
            alive_bits: domain.iter().map(|&d| if d <= 64 { u64::MAX >> (64 - d.max(1)) } else { 0 }).collect(),
            left: domain.clone(),
            classes,
            chosen: vec![false; term_vars],
            queued: vec![false; factors.len()],
            queue: Vec::new(),
            factors,
            touching,
            weight: terms.iter().map(|t| t.weight).collect(),
            spread,
            held: vec![0; terms.len()],
            trail: Vec::new(),
            best: vec![0; domain.len()],
            found: false,
            threshold: floor.unwrap_or(f64::NEG_INFINITY),
            exclude: None,
            global: vec![0; net.domains.len()],
            scratch: (Vec::new(), Vec::new()),
        }
    }

    /// Removes value `x` of position `q` and queues its factors.
    fn remove(&mut self, q: usize, x: usize) {
        self.alive[q][x] = false;
        if x < 64 {
            self.alive_bits[q] &= !(1 << x);
        }
        self.left[q] -= 1;
        self.trail.push((q, x));
        for &f in &self.touching[q] {
            if !self.queued[f] {
                self.queued[f] = true;
                self.queue.push(f);
            }
        }
    }

    /// Makes factor `f` arc consistent (see the module docs); false when a
    /// position is left without values.
    fn revise(&mut self, f: usize) -> bool {
        let check = &self.factors[f];
        let k = check.scope.len();
        if k == 0 {
            return check.table[0] > 0.0;
        }
        if check.scope.iter().any(|&q| self.left[q] == 0) {
            return false;
        }
        let combinations = check.scope.iter().try_fold(1usize, |acc, &q| acc.checked_mul(self.left[q]));
        let unfixed = check.scope.iter().filter(|&&q| self.left[q] > 1).count();
        if combinations.is_none_or(|c| c > SCAN_LIMIT) && unfixed > 1 {
            return true;
        }
        if k <= 2 {
            return self.revise_small(f);
        }
        let lists: Vec<Vec<usize>> =
            check.scope.iter().map(|&q| (0..self.alive[q].len()).filter(|&y| self.alive[q][y]).collect()).collect();
        // Mark every value that some positive combination uses.
        let mut supported: Vec<Vec<bool>> = lists.iter().map(|l| vec![false; l.len()]).collect();
        let mut digit = vec![0usize; k];
        let table = check.table;
        'combinations: loop {
            let index: usize = (0..k).map(|j| lists[j][digit[j]] * check.stride[j]).sum();
            if table[index] > 0.0 {
                for j in 0..k {
                    supported[j][digit[j]] = true;
                }
            }
            let mut j = k;
            loop {
                if j == 0 {
                    break 'combinations;
                }
                j -= 1;
                digit[j] += 1;
                if digit[j] < lists[j].len() {
                    break;
                }
                digit[j] = 0;
            }
        }
        let scope = check.scope.clone();
        for (j, &q) in scope.iter().enumerate() {
            for (i, &y) in lists[j].iter().enumerate() {
                if !supported[j][i] {
                    self.remove(q, y);
                }
            }
            if self.left[q] == 0 {
                return false;
            }
        }
        true
    }

    /// [`Self::revise`] of a factor over one or two positions, without
    /// allocating: the same values removed in the same order (the first
    /// position's, ascending, then the second's), so the search is the same.
    fn revise_small(&mut self, f: usize) -> bool {
        let check = &self.factors[f];
        let table = check.table;
        let (a, sa) = (check.scope[0], check.stride[0]);
        let second = (check.scope.len() == 2).then(|| (check.scope[1], check.stride[1]));
        let mut sup_a = std::mem::take(&mut self.scratch.0);
        let mut sup_b = std::mem::take(&mut self.scratch.1);
        sup_a.clear();
        sup_a.resize(self.alive[a].len(), false);
        sup_b.clear();
        match second {
            None => {
                for (x, sup) in sup_a.iter_mut().enumerate() {
                    *sup = self.alive[a][x] && table[x * sa] > 0.0;
                }
            }
            Some((b, _)) if check.supports.is_some() => {
                // The same supports from bits: a value is supported when
                // its positive partners meet the other position's values.
                let (of_a, of_b) = check.supports.as_ref().map_or((&[][..], &[][..]), |(x, y)| (&x[..], &y[..]));
                let (bits_a, bits_b) = (self.alive_bits[a], self.alive_bits[b]);
                sup_b.resize(self.alive[b].len(), false);
                for (x, sup) in sup_a.iter_mut().enumerate() {
                    *sup = self.alive[a][x] && of_a[x] & bits_b != 0;
                }
                for (y, sup) in sup_b.iter_mut().enumerate() {
                    *sup = self.alive[b][y] && of_b[y] & bits_a != 0;
                }
            }
            Some((b, sb)) => {
                sup_b.resize(self.alive[b].len(), false);
                for x in (0..sup_a.len()).filter(|&x| self.alive[a][x]) {
                    for y in (0..sup_b.len()).filter(|&y| self.alive[b][y]) {
                        if table[x * sa + y * sb] > 0.0 {
                            sup_a[x] = true;
                            sup_b[y] = true;
                        }
                    }
                }
            }
        }
        let mut ok = true;
        for (x, &sup) in sup_a.iter().enumerate() {
            if self.alive[a][x] && !sup {
                self.remove(a, x);
            }
        }
        if self.left[a] == 0 {
            ok = false;
        } else if let Some((b, _)) = second {
            for (y, &sup) in sup_b.iter().enumerate() {
                if self.alive[b][y] && !sup {
                    self.remove(b, y);
                }
            }
            ok = self.left[b] > 0;
        }
        self.scratch = (sup_a, sup_b);
        ok
    }

    /// Runs the queue of factors to a fixed point; false on a position left
    /// without values (the queue is then emptied).
    fn propagate(&mut self) -> bool {
        while let Some(f) = self.queue.pop() {
            self.queued[f] = false;
            if !self.revise(f) {
                for g in self.queue.drain(..) {
                    self.queued[g] = false;
                }
                return false;
            }
        }
        true
    }

    /// Keeps only the values of position `p` that `keep` names (and are
    /// still possible) and propagates; false on a contradiction. Undone by
    /// [`Self::undo`].
    fn restrict(&mut self, p: usize, keep: Keep) -> bool {
        for y in 0..self.alive[p].len() {
            let kept = match keep {
                Keep::Class(c) => self.class_of[p][y] == c,
                Keep::Value(x) => y == x,
            };
            if self.alive[p][y] && !kept {
                self.remove(p, y);
            }
        }
        self.left[p] > 0 && self.propagate()
    }

    fn undo(&mut self, mark: usize) {
        while self.trail.len() > mark {
            if let Some((q, y)) = self.trail.pop() {
                self.alive[q][y] = true;
                if y < 64 {
                    self.alive_bits[q] |= 1 << y;
                }
                self.left[q] += 1;
            }
        }
    }

    /// Its best score (the best found above the floor), `None` when the
    /// block has no allowed assignment scoring more than the floor.
    fn run(&mut self, nodes: &mut u64, max: u64) -> Result<Option<f64>, OverBudget> {
        for f in 0..self.factors.len() {
            self.queued[f] = true;
            self.queue.push(f);
        }
        if !self.propagate() {
            return Ok(None);
        }
        self.branch(0.0, nodes, max)?;
        Ok(self.found.then_some(self.threshold))
    }

    /// Whether class `c` of term position `p` has a possible value.
    fn possible(&self, p: usize, c: usize) -> bool {
        self.classes[p][c].values.iter().any(|&x| self.alive[p][x])
    }

    /// The term position to give a class next: the first without one.
    /// (A fixed order makes the maximum found the first in that order
    /// among equal ones, whatever the pruning.)
    fn pick_term(&self) -> Option<usize> {
        (0..self.term_vars).find(|&p| !self.chosen[p])
    }

    /// The most the terms can still add (see the module docs).
    fn optimism(&self) -> f64 {
        let mut sum = 0.0;
        for p in 0..self.term_vars {
            if !self.chosen[p] {
                sum += (0..self.classes[p].len())
                    .filter(|&c| self.possible(p, c))
                    .map(|c| self.classes[p][c].local)
                    .fold(f64::NEG_INFINITY, f64::max);
            }
        }
        for (t, lits) in &self.spread {
            let w = self.weight[*t];
            if w > 0.0 && self.held[*t] == 0 && lits.iter().any(|&(q, y)| !self.chosen[q] && self.alive[q][y]) {
                sum += w;
            }
        }
        sum
    }

    fn branch(&mut self, score: f64, nodes: &mut u64, max: u64) -> Result<(), OverBudget> {
        let Some(p) = self.pick_term() else {
            // The score is known: keep it if it beats the best and the
            // classes chosen have an allowed completion.
            if score <= self.threshold {
                return Ok(());
            }
            if let Some(exclude) = self.exclude {
                if self.term_vars > 0 {
                    for q in 0..self.term_vars {
                        let x = self.alive[q].iter().position(|&a| a).unwrap_or(0);
                        self.global[self.vars[q]] = x as u32;
                    }
                    if exclude(&self.global) {
                        return Ok(());
                    }
                }
            }
            if self.complete(nodes, max)? {
                self.found = true;
                self.threshold = score;
            }
            return Ok(());
        };
        let bound = score + self.optimism();
        if bound + slack(bound) <= self.threshold {
            return Ok(());
        }
        // Classes by the score they add (then in order).
        let gain = |c: &Class| -> f64 { c.terms.iter().filter(|&&t| self.held[t] == 0).map(|&t| self.weight[t]).sum() };
        let mut options: Vec<(f64, usize)> = (0..self.classes[p].len())
            .filter(|&c| self.possible(p, c))
            .map(|c| (gain(&self.classes[p][c]), c))
            .collect();
        options.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (g, c) in options {
            *nodes += 1;
            if *nodes > max {
                return Err(OverBudget);
            }
            let mark = self.trail.len();
            let result = if self.restrict(p, Keep::Class(c)) {
                self.chosen[p] = true;
                let terms = std::mem::take(&mut self.classes[p][c].terms);
                for &t in &terms {
                    self.held[t] += 1;
                }
                let result = self.branch(score + g, nodes, max);
                for &t in &terms {
                    self.held[t] -= 1;
                }
                self.classes[p][c].terms = terms;
                self.chosen[p] = false;
                result
            } else {
                Ok(())
            };
            self.undo(mark);
            result?;
        }
        Ok(())
    }

    /// Whether every factor is positive when each position has its first
    /// possible value.
    fn allowed(&self) -> bool {
        self.factors.iter().all(|f| {
            let index: usize = f
                .scope
                .iter()
                .zip(&f.stride)
                .map(|(&q, &s)| self.alive[q].iter().position(|&a| a).unwrap_or(0) * s)
                .sum();
            f.table[index] > 0.0
        })
    }

    /// Searches one allowed assignment within the possible values and keeps
    /// it as the best; false when there is none.
    fn complete(&mut self, nodes: &mut u64, max: u64) -> Result<bool, OverBudget> {
        let p = (0..self.vars.len()).filter(|&q| self.left[q] > 1).min_by_key(|&q| (self.left[q], q));
        let Some(p) = p else {
            if !self.allowed() {
                return Ok(false);
            }
            for q in 0..self.vars.len() {
                self.best[q] = self.alive[q].iter().position(|&a| a).unwrap_or(0) as u32;
            }
            return Ok(true);
        };
        for x in 0..self.alive[p].len() {
            if !self.alive[p][x] {
                continue;
            }
            *nodes += 1;
            if *nodes > max {
                return Err(OverBudget);
            }
            let mark = self.trail.len();
            let result = if self.restrict(p, Keep::Value(x)) { self.complete(nodes, max) } else { Ok(false) };
            self.undo(mark);
            if result? {
                return Ok(true);
            }
        }
        Ok(false)
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
            // A factor over three variables, zero on a third of its entries.
            let mut scope: Vec<usize> = (0..n).collect();
            for i in 0..3 {
                scope.swap(i, i + rng.below(n - i));
            }
            scope.truncate(3);
            let len: usize = scope.iter().map(|&v| domains[v]).product();
            net.push(Factor::new(scope, (0..len).map(|_| if rng.below(3) == 0 { 0.0 } else { 1.0 }).collect()));
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
    fn above_a_floor_only_a_better_assignment_is_found() {
        for seed in 0..400 {
            let (net, terms) = random_case(seed);
            let Some(top) = brute(&net, &terms) else { continue };
            assert_eq!(best_above(&net, &terms, 1 << 20, None, Some(top)).unwrap(), None, "seed {seed}");
            let found = best_above(&net, &terms, 1 << 20, None, Some(top - 0.5)).unwrap();
            assert_eq!(found.map(|b| b.score), Some(top), "seed {seed}");
        }
    }

    /// 20 variables of 6 values, 400 random forbidden pairs, a term on one
    /// value of each variable: the pricing of 20 counted traits.
    fn dense_case(seed: u64) -> (Network, Vec<Term>) {
        let mut rng = crate::solve::splitmix::Rng(seed);
        let domains = vec![6; 20];
        let mut net = Network::new(domains.clone());
        let mut pairs = std::collections::HashSet::new();
        while pairs.len() < 400 {
            let (a, b, x, y) = (rng.below(20), rng.below(20), rng.below(6), rng.below(6));
            if a < b && pairs.insert((a, b, x, y)) {
                net.push(Factor::forbid((a, x), (b, y), &domains));
            }
        }
        let terms = (0..20)
            .map(|v| Term { weight: rng.below(2001) as f64 / 100.0 - 10.0, literals: vec![(v, rng.below(6))] })
            .collect();
        (net, terms)
    }

    #[test]
    fn the_pricing_of_twenty_densely_ruled_traits_is_exact_within_its_budget() {
        for seed in 0..4 {
            let (net, terms) = dense_case(seed);
            let top = best(&net, &terms, 1 << 22).unwrap().unwrap();
            let x: Vec<usize> = top.assignment.iter().map(|&v| v as usize).collect();
            assert!(net.factors.iter().all(|f| f.table[x[f.scope[0]] * 6 + x[f.scope[1]]] > 0.0));
            let s: f64 = terms.iter().filter(|t| x[t.literals[0].0] == t.literals[0].1).map(|t| t.weight).sum();
            assert!((s - top.score).abs() < 1e-9, "seed {seed}");
            // Nothing scores more, and the optimum is above anything below it.
            assert_eq!(best_above(&net, &terms, 1 << 22, None, Some(top.score + 1e-6)).unwrap(), None);
            let below = best_above(&net, &terms, 1 << 22, None, Some(top.score - 1e-6)).unwrap();
            assert!(below.is_some_and(|b| (b.score - top.score).abs() < 1e-9), "seed {seed}");
            // Refusing the optimum's classes gives a second best, not above it.
            let on = |a: &[u32], t: &Term| a[t.literals[0].0] as usize == t.literals[0].1;
            let refuse = |a: &[u32]| terms.iter().all(|t| on(a, t) == on(&top.assignment, t));
            let second = best_excluding(&net, &terms, 1 << 22, Some(&refuse)).unwrap().unwrap();
            assert!(second.score <= top.score && !refuse(&second.assignment), "seed {seed}");
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
