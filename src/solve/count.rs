//! Projected model counting: how many distinct assignments of some variables
//! extend to an assignment with positive mass.
//!
//! Only the support matters, so factors become boolean. Non-projected
//! variables are eliminated first with OR (existential quantification
//! commutes with the AND of the factors that do not mention the variable),
//! then projected ones with a saturating sum in which a refined class counts
//! as many times as it has values: the count is
//! `Σ_X [∃Y. Π f(X, Y)]`, and distinct values of a projected variable are
//! distinct projected assignments.
//!
//! When the best elimination order needs a step larger than the budget, or
//! the exact attempt runs out of time, variables are conditioned on (a
//! *cutset*) until the rest fits, and the conditioning assignments are
//! enumerated over their compressed classes; see [`Counter::cutset`] for the
//! bounds reported when the enumeration cannot finish.

use std::time::Instant;

use super::elim::{
    Abort, EngineOptions, LFactor, Plan, Sat, Semiring, Shape, compress_exact, fits, next_index, plan, quick_plan,
    refine,
};
use super::prep::{CFactor, Reduced, reduce_valid};
use super::{Budget, Count, Network, SolveError};

/// The number of distinct assignments to the `projection` variables that
/// extend to at least one assignment of all variables with positive product
/// (with `projection` = all variables: the size of the support).
///
/// Exact when the computation fits `budget`; otherwise a [`Count::Bounds`]
/// that provably contains the true number.
pub fn count(net: &Network, projection: &[usize], budget: &Budget) -> Result<Count, SolveError> {
    count_given(net, projection, &[], budget)
}

/// Like [`count`], restricted to assignments where every `(var, value)` of
/// `evidence` holds (e.g. "how many unique combinations contain `Eyes.Laser`").
pub fn count_given(
    net: &Network,
    projection: &[usize],
    evidence: &[(usize, usize)],
    budget: &Budget,
) -> Result<Count, SolveError> {
    net.validate()?;
    net.check_vars(projection)?;
    let start = Instant::now();
    // Validated above: the projection's variables are checked between the
    // two, as callers have always seen them reported.
    let red = reduce_valid(net, evidence)?;
    Ok(count_reduced(&red, projection, budget, start))
}

/// [`count_given`] where only `min(count, cap)` matters: the same number
/// when it is below `cap`; at or above it, possibly only a
/// [`Count::Bounds`] whose lower bound is at least `cap`. A rule graph too
/// dense to eliminate is then searched only until the count reaches `cap`
/// (see `search::count_reduced_capped`), where [`count_given`] would search
/// it whole.
pub fn count_given_up_to(
    net: &Network,
    projection: &[usize],
    evidence: &[(usize, usize)],
    budget: &Budget,
    cap: u128,
) -> Result<Count, SolveError> {
    net.validate()?;
    net.check_vars(projection)?;
    let start = Instant::now();
    let red = reduce_valid(net, evidence)?;
    Ok(count_reduced_capped(&red, projection, budget, start, Some(cap)))
}

/// The count of [`count_given`] on the preprocessed network `red` (the
/// projection's variables checked), started at `start`.
pub(super) fn count_reduced(red: &Reduced<'_>, projection: &[usize], budget: &Budget, start: Instant) -> Count {
    count_reduced_capped(red, projection, budget, start, None)
}

/// [`count_reduced`], searched only up to `cap` when there is one (see [`count_given_up_to`]).
fn count_reduced_capped(
    red: &Reduced<'_>,
    projection: &[usize],
    budget: &Budget,
    start: Instant,
    cap: Option<u128>,
) -> Count {
    if red.empty {
        return Count::Exact(0);
    }
    let sizes = red.sizes();
    let mut projected = vec![false; sizes.len()];
    for &v in projection {
        projected[v] = true;
    }
    let mut support = Vec::with_capacity(red.factors.len());
    for cf in &red.factors {
        match support_factor(cf, &sizes) {
            Support::Factor(f) => support.push(Some(f)),
            Support::True => support.push(None),
            Support::False => return Count::Exact(0),
        }
    }
    let factors = support.iter().flatten().cloned().collect();
    let counter = Counter { sizes, projected, budget: *budget, cfactors: &red.factors, support, factors, start, cap };
    counter.run()
}

/// A boolean factor after compression.
enum Support {
    /// Depends on some variables.
    Factor(LFactor<bool>),
    /// Constant true (can be dropped).
    True,
    /// Constant false (empty support).
    False,
}

/// The positivity pattern of a factor, compressed.
fn support_factor(cf: &CFactor<'_>, sizes: &[usize]) -> Support {
    let table = cf.table.iter().map(|&x| x > 0.0).collect();
    let mut f = LFactor { shape: cf.shape(sizes), table };
    compress_exact(&mut f);
    if !f.shape.vars.is_empty() {
        Support::Factor(f)
    } else if f.table.first().copied().unwrap_or(false) {
        Support::True
    } else {
        Support::False
    }
}

/// `Π` of saturating numbers.
fn sat_product(xs: impl IntoIterator<Item = u128>) -> u128 {
    xs.into_iter().fold(1u128, u128::saturating_mul)
}

/// The compressed classes of a conditioning variable.
struct Classes {
    /// One representative compact value per class.
    reps: Vec<usize>,
    /// Number of values per class.
    mults: Vec<u128>,
}

/// A preprocessed counting problem.
struct Counter<'a> {
    /// Compact domain sizes.
    sizes: Vec<usize>,
    /// Whether each variable is projected.
    projected: Vec<bool>,
    budget: Budget,
    /// The preprocessed factors over compact domains (to restrict when conditioning).
    cfactors: &'a [CFactor<'a>],
    /// The compressed support factor of each of them (`None`: constant true).
    support: Vec<Option<LFactor<bool>>>,
    /// The non-constant support factors.
    factors: Vec<LFactor<bool>>,
    start: Instant,
    /// Only `min(count, cap)` is asked for (see [`count_given_up_to`]).
    cap: Option<u128>,
}

impl Counter<'_> {
    fn deadline(&self, fraction: f64) -> Option<Instant> {
        self.budget.time_limit.map(|t| self.start + t.mul_f64(fraction))
    }

    fn fits(&self, size: f64) -> bool {
        size <= self.budget.max_table_entries as f64
    }

    fn shapes(factors: &[LFactor<bool>]) -> Vec<Shape> {
        factors.iter().map(|f| f.shape.clone()).collect()
    }

    fn run(&self) -> Count {
        if let Some(cap) = self.cap {
            // Only `min(count, cap)` is asked: a search that stops at `cap`
            // settles most such questions in a few thousand nodes, where
            // elimination would count everything. Given a small budget
            // (proportional to the cap), it leaves the rest to the exact
            // methods below.
            let nodes = cap.saturating_mul(self.sizes.len() as u128 + 1).saturating_mul(8).min(1 << 20) as u64;
            let budget = super::search::SearchBudget { max_entries: 1 << 16, max_nodes: nodes.max(1 << 12) };
            if let Ok(n) = super::search::count_reduced_capped(&self.sizes, self.cfactors, &self.projected, budget, cap)
            {
                return self.capped(n, cap);
            }
        }
        let vars: Vec<usize> = (0..self.sizes.len()).collect();
        let group = |v: usize| u8::from(self.projected[v]);
        let shapes = Self::shapes(&self.factors);
        let budget = self.budget.max_table_entries as f64;
        // The exact count is the same in every order that fits: one greedy
        // heuristic first, the best of all of them only when it does not fit.
        let quick = quick_plan(&shapes, &self.sizes, &vars, &group, budget);
        let p = if self.fits(quick.max_size) { quick } else { plan(&shapes, &self.sizes, &vars, &group, budget) };
        if self.fits(p.max_size) {
            // Leave half of any time budget to the fallback.
            match self.exact(self.factors.clone(), &p.order, self.deadline(0.5)) {
                Ok(n) => return Count::from_saturating(n),
                Err(Abort::Timeout) => {}
            }
        } else {
            // Too dense to eliminate: exact search with component caching
            // (`search`), within a deterministic budget scaled to this one.
            let budget = super::search::SearchBudget {
                max_entries: (self.budget.max_table_entries / 16) as usize,
                max_nodes: self.budget.max_table_entries / 16,
            };
            if let Some(cap) = self.cap {
                if let Ok(n) =
                    super::search::count_reduced_capped(&self.sizes, self.cfactors, &self.projected, budget, cap)
                {
                    return self.capped(n, cap);
                }
            } else if let Ok(n) = super::search::count_reduced(&self.sizes, self.cfactors, &self.projected, budget) {
                return Count::from_saturating(n);
            }
        }
        self.cutset()
    }

    /// The count of a search capped at `cap` that found `n`: exact below
    /// the cap; at it, at least `cap` and at most every projected assignment.
    fn capped(&self, n: u128, cap: u128) -> Count {
        if n < cap {
            return Count::Exact(n);
        }
        let all = sat_product((0..self.sizes.len()).filter(|&v| self.projected[v]).map(|v| self.sizes[v] as u128));
        Count::Bounds { lower: cap, upper: all.max(cap) }
    }

    /// Exact projected count by elimination in `order` (existential variables first).
    fn exact(&self, factors: Vec<LFactor<bool>>, order: &[usize], deadline: Option<Instant>) -> Result<u128, Abort> {
        let split = order.iter().position(|&v| self.projected[v]).unwrap_or(order.len());
        let opts = EngineOptions { keep: false, post_compress: true, deadline };
        let mut exists = super::elim::Engine::new(factors, &self.sizes, opts);
        for &v in &order[..split] {
            exists.eliminate(v, |_, d| vec![true; d])?;
        }
        let rest: Vec<LFactor<Sat>> =
            exists.into_remaining().into_iter().map(|f| f.convert(|b| if b { Sat::ONE } else { Sat::ZERO })).collect();
        let mut sum = super::elim::Engine::new(rest, &self.sizes, opts);
        for &v in &order[split..] {
            sum.eliminate(v, |map, d| {
                let mut w = vec![Sat::ZERO; d];
                for &r in map {
                    w[r as usize] = w[r as usize].add(Sat::ONE);
                }
                w
            })?;
        }
        Ok(sum.scalar_product().0)
    }

    /// Chooses conditioning variables until the remaining network fits the
    /// budget: repeatedly the variables with most neighbours, projected ones
    /// first (conditioning on them splits the count into an exact sum); one
    /// at a time at first, then in batches of a quarter of the cutset so far.
    /// Returns the cutset and an elimination order for the other variables.
    fn choose_cutset(&self) -> (Vec<usize>, Plan) {
        let n = self.sizes.len();
        let budget = self.budget.max_table_entries as f64;
        let mut cut: Vec<usize> = Vec::new();
        let mut shapes = Self::shapes(&self.factors);
        let group = |v: usize| u8::from(self.projected[v]);
        loop {
            let rest: Vec<usize> = (0..n).filter(|v| !cut.contains(v)).collect();
            if fits(&shapes, &self.sizes, &rest, &group, budget) {
                return (cut, plan(&shapes, &self.sizes, &rest, &group, budget));
            }
            let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); n];
            for s in &shapes {
                for &v in &s.vars {
                    neighbours[v].extend(s.vars.iter().copied().filter(|&u| u != v));
                }
            }
            let mut candidates: Vec<(bool, usize, usize)> = rest
                .iter()
                .map(|&v| {
                    let nb = &mut neighbours[v];
                    nb.sort_unstable();
                    nb.dedup();
                    (self.projected[v], nb.len(), v)
                })
                .filter(|&(_, d, _)| d > 0)
                .collect();
            if candidates.is_empty() {
                // Nothing connected is left, so every step is tiny; cannot happen in practice.
                return (cut, plan(&shapes, &self.sizes, &rest, &group, f64::INFINITY));
            }
            candidates.sort_by_key(|&(p, d, v)| (std::cmp::Reverse(p), std::cmp::Reverse(d), v));
            let batch = if cut.len() < 4 { 1 } else { cut.len() / 4 };
            let added: Vec<usize> = candidates.iter().take(batch).map(|&(_, _, v)| v).collect();
            cut.extend(&added);
            let conditioned = |cut: &[usize]| -> Vec<Shape> {
                let mut mask = vec![false; n];
                cut.iter().for_each(|&v| mask[v] = true);
                self.factors.iter().map(|f| f.shape.without(&mask)).filter(|s| !s.vars.is_empty()).collect()
            };
            shapes = conditioned(&cut);
            let rest_of = |cut: &[usize]| -> Vec<usize> { (0..n).filter(|v| !cut.contains(v)).collect() };
            if added.len() > 1 && fits(&shapes, &self.sizes, &rest_of(&cut), &group, budget) {
                // A batch may overshoot: keep the shortest prefix of it that fits
                // (binary search, assuming more conditioning never hurts).
                let before = cut.len() - added.len();
                let (mut lo, mut hi) = (1, added.len());
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    let trial = &cut[..before + mid];
                    if fits(&conditioned(trial), &self.sizes, &rest_of(trial), &group, budget) {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                cut.truncate(before + lo);
                shapes = conditioned(&cut);
            }
        }
    }

    /// The compressed classes of `v` with respect to all factors.
    fn classes(&self, v: usize) -> Classes {
        let parts: Vec<(&[u32], usize)> = self
            .factors
            .iter()
            .filter_map(|f| f.shape.position(v).map(|p| (&f.shape.maps[p][..], f.shape.dims[p])))
            .collect();
        let (cur, count) = refine(self.sizes[v], &parts);
        let mut reps = vec![usize::MAX; count];
        let mut mults = vec![0u128; count];
        for (x, &c) in cur.iter().enumerate() {
            if reps[c as usize] == usize::MAX {
                reps[c as usize] = x;
            }
            mults[c as usize] += 1;
        }
        // Largest classes first: the values no rule singles out come first, so a
        // truncated enumeration covers as much mass as possible early.
        let mut idx: Vec<usize> = (0..count).collect();
        idx.sort_by_key(|&c| (std::cmp::Reverse(mults[c]), c));
        let reps = idx.iter().map(|&c| reps[c]).collect();
        let mults = idx.iter().map(|&c| mults[c]).collect();
        Classes { reps, mults }
    }

    /// Exact count of the network with the `fixed` (variable, compact value) pairs
    /// conditioned on: those variables are removed, their factors restricted.
    fn branch(&self, fixed: &[(usize, usize)], order: &[usize], deadline: Option<Instant>) -> Result<u128, Abort> {
        let mut factors = Vec::with_capacity(self.factors.len());
        for (cf, lf) in self.cfactors.iter().zip(&self.support) {
            if !cf.vars.iter().any(|v| fixed.iter().any(|(u, _)| u == v)) {
                if let Some(lf) = lf {
                    factors.push(lf.clone());
                }
                continue;
            }
            match support_factor(&cf.restrict(fixed, &self.sizes), &self.sizes) {
                Support::Factor(f) => factors.push(f),
                Support::True => {}
                Support::False => return Ok(0),
            }
        }
        self.exact(factors, order, deadline)
    }

    /// Cutset conditioning. Let `C = Cp ∪ Ce` be the conditioning variables
    /// (projected / existential) and, for an assignment `p` of `Cp` classes,
    /// `S(p, e)` the set of projected assignments of the other variables
    /// consistent with `p` and the `Ce` classes `e`. Then
    /// `count = Σ_p mult(p) · |∪_e S(p, e)|` exactly, where `mult(p)` is the
    /// number of `Cp` value tuples in the classes `p` (values in one class are
    /// interchangeable for every factor). For each enumerated `p`:
    /// * `max_e |S(p,e)| ≤ |∪_e S(p,e)| ≤ Σ_e |S(p,e)|`, with equality on the
    ///   left when at most one `e` has a non-empty set (always when `Ce = ∅`);
    ///   the right side is also capped by the number of projected assignments
    ///   of the non-conditioned variables.
    /// * Every `p` not (fully) enumerated within the budget contributes at most
    ///   `mult(p) · U`, where `U` is the projected count of the network without
    ///   any factor that touches `C`: removing factors only enlarges the
    ///   support, so `U ≥ |S(p, e)|` for all `p, e` and hence `U ≥ |∪_e S(p,e)|`.
    ///   `U` is computed exactly with the same elimination order, which fits
    ///   the budget because its interaction graph is a subgraph of the
    ///   conditioned one and its partitions are coarser.
    ///
    /// The lower bound sums what was enumerated; the upper bound is finally
    /// capped by the number of projected assignments with positive weight.
    fn cutset(&self) -> Count {
        let (mut cut, sub_plan) = self.choose_cutset();
        let order = sub_plan.order;
        // Deterministic work limit: each branch costs about `sub_plan.total` entries.
        let max_branches = self.budget.max_branches.min((self.budget.max_work as f64 / sub_plan.total.max(1.0)) as u64);
        cut.sort_by_key(|&v| (!self.projected[v], v));
        let split = cut.iter().position(|&v| !self.projected[v]).unwrap_or(cut.len());
        let classes: Vec<Classes> = cut.iter().map(|&v| self.classes(v)).collect();
        let outer_dims: Vec<usize> = classes[..split].iter().map(|c| c.reps.len()).collect();
        let inner_dims: Vec<usize> = classes[split..].iter().map(|c| c.reps.len()).collect();
        let deadline = self.deadline(0.85);
        let cap_rest = sat_product(
            (0..self.sizes.len()).filter(|&v| self.projected[v] && !cut.contains(&v)).map(|v| self.sizes[v] as u128),
        );
        let cap_all = sat_product((0..self.sizes.len()).filter(|&v| self.projected[v]).map(|v| self.sizes[v] as u128));
        let total_mass = sat_product(cut[..split].iter().map(|&v| self.sizes[v] as u128));

        let mut branches = 0u64;
        let (mut lower, mut upper_done, mut done_mass) = (0u128, 0u128, 0u128);
        let mut exact = true;
        let mut outer = vec![0usize; outer_dims.len()];
        // Once the lower bound saturates there is nothing left to learn.
        while lower < u128::MAX {
            let mult = sat_product(outer.iter().enumerate().map(|(i, &c)| classes[i].mults[c]));
            let (mut best, mut sum, mut nonzero, mut complete) = (0u128, 0u128, 0usize, true);
            let mut inner = vec![0usize; inner_dims.len()];
            loop {
                if branches >= max_branches || deadline.is_some_and(|d| Instant::now() >= d) {
                    complete = false;
                    break;
                }
                branches += 1;
                let fixed: Vec<(usize, usize)> =
                    outer.iter().chain(&inner).enumerate().map(|(i, &c)| (cut[i], classes[i].reps[c])).collect();
                match self.branch(&fixed, &order, deadline) {
                    Ok(n) => {
                        best = best.max(n);
                        sum = sum.saturating_add(n);
                        nonzero += usize::from(n > 0);
                    }
                    Err(Abort::Timeout) => {
                        complete = false;
                        break;
                    }
                }
                if !next_index(&mut inner, &inner_dims) {
                    break;
                }
            }
            lower = lower.saturating_add(mult.saturating_mul(best));
            if !complete {
                break;
            }
            let upper_p = if nonzero <= 1 { best } else { sum.min(cap_rest) };
            exact &= nonzero <= 1;
            upper_done = upper_done.saturating_add(mult.saturating_mul(upper_p));
            done_mass = done_mass.saturating_add(mult);
            if !next_index(&mut outer, &outer_dims) {
                break;
            }
        }
        if lower == u128::MAX {
            return Count::Bounds { lower, upper: u128::MAX };
        }
        let remaining_mass = if total_mass == u128::MAX { u128::MAX } else { total_mass - done_mass.min(total_mass) };
        if remaining_mass == 0 && exact {
            return Count::from_saturating(lower);
        }
        // Without a cutset the relaxed network is the whole network, as hard as the exact count.
        let relaxed = if remaining_mass == 0 {
            0
        } else if cut.is_empty() {
            cap_rest
        } else {
            self.relaxed_bound(&cut, &order).unwrap_or(cap_rest)
        };
        let upper = upper_done.saturating_add(remaining_mass.saturating_mul(relaxed)).min(cap_all);
        Count::Bounds { lower: lower.min(upper), upper }
    }

    /// The projected count of the network without the factors touching `cut`
    /// (given the last 15% of any time limit).
    fn relaxed_bound(&self, cut: &[usize], order: &[usize]) -> Result<u128, Abort> {
        let factors: Vec<LFactor<bool>> =
            self.factors.iter().filter(|f| !f.shape.vars.iter().any(|v| cut.contains(v))).cloned().collect();
        self.exact(factors, order, self.deadline(1.0))
    }
}
