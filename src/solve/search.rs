//! Exact counting and sampling for rule graphs too dense to eliminate:
//! search with component caching, as #SAT model counters do.
//!
//! Variable elimination needs a table over a variable and all its neighbours;
//! an "all different" matrix of 9 traits (every pair forbids equal variants)
//! needs 9⁹ entries and fails. Yet such graphs have few *distinct
//! sub-problems*: after some traits are fixed, what is left depends only on
//! which values each remaining trait may still take and with what weight.
//! This module computes the partition function by depth-first search over
//! that structure:
//!
//! ```text
//! Z(C) = Σ_x  r_v(x) · Π_{C' ∈ components(C \ v | v = x)} Z(C')
//! ```
//!
//! where `C` is a connected set of unassigned variables (connected through
//! factors that still have two or more unassigned variables), `v ∈ C` is the
//! branching variable, and `r_u` is the *residual* weight vector of an
//! unassigned variable `u`: its prior times every factor whose other variables
//! are all assigned, evaluated at their values. Correctness:
//!
//! * the unnormalised mass of a full assignment is the product of all
//!   factors; splitting that product between the residuals (factors with at
//!   most one unassigned variable) and the factors still *active* (two or more
//!   unassigned variables) is exact at every node of the search;
//! * variables not connected by an active factor are independent given the
//!   assignment so far, so the sum over their joint values is the product of
//!   the sums per component;
//! * `Z(C)` is a function of `C`, the residuals of `C`'s variables and the
//!   assigned values of any active factor that is partially assigned (the
//!   *key*); every one of these is in the cache key, so a cached value is
//!   reused only where it is the value being asked for. Residuals are stored
//!   by their exact bit patterns: two states share an entry only when their
//!   numbers are identical.
//!
//! The same recursion counts (projected) combinations in the saturating
//! integer semiring, with the positivity of the residuals as 0/1 weights:
//! branching only on projected variables (distinct values are distinct
//! projected combinations), and counting a component without projected
//! variables as 1 when it has a satisfying assignment and 0 otherwise.
//!
//! **Sampling** ([`SearchModel::draw`]) walks down the same recursion: at a
//! component it draws the branching variable `v` from
//! `P(v = x) ∝ r_v(x) · Π Z(C')`, by inverse CDF with the caller's uniform for
//! `v`, assigns it and samples each sub-component independently. That is the
//! chain rule of the exact distribution; every `Z` it needs was computed
//! when the model was compiled (the compile visits every reachable state with
//! positive mass), so drawing reads the cache and never writes it.
//!
//! Cost is the number of distinct keys, which for the matrices studios write
//! (all-different, dense random forbids over a dozen or two traits) is
//! thousands to millions; a budget on cache entries and work bounds it, and
//! the caller falls back to bounds when it is exceeded.

use std::collections::HashMap;

/// The caches' hasher: fast and seeded with a constant (keys are the
/// search's own states; nothing iterates a cache, so only speed depends on it).
type Cache = HashMap<Vec<u64>, u128, foldhash::fast::FixedState>;

use super::elim::{Sat, Semiring, strides};
use super::prep::{CFactor, Reduced, reduce};
use super::{Network, SolveError};

/// Limits of one search.
#[derive(Clone, Copy, Debug)]
pub struct SearchBudget {
    /// Most cache entries.
    pub max_entries: usize,
    /// Most search nodes (branching variable assignments) visited.
    pub max_nodes: u64,
}

impl Default for SearchBudget {
    fn default() -> Self {
        SearchBudget { max_entries: 1 << 18, max_nodes: 1 << 20 }
    }
}

/// The budget ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverBudget;

/// What a search sums: weights (`f64`) or saturating counts ([`Sat`]): the
/// elimination's semirings, plus how a residual weight enters the sum and
/// how a value is kept in the cache.
trait Value: Semiring {
    /// The value of a residual weight: itself, or 1 when positive (counting).
    fn of_residual(w: f64) -> Self;
    /// Clamp to "exists" (counting components without projected variables).
    fn exists(self) -> Self;
    /// The value of [`Semiring::bits`].
    fn load(x: u128) -> Self;
    /// `min(self, cap)` for counts (weights are never capped).
    fn capped(self, cap: Option<u128>) -> Self;
    /// Whether a count reached `cap` (never for weights).
    fn at_cap(self, cap: Option<u128>) -> bool;
}

impl Value for f64 {
    fn of_residual(w: f64) -> f64 {
        w
    }
    fn exists(self) -> f64 {
        self
    }
    fn load(x: u128) -> f64 {
        f64::from_bits(x as u64)
    }
    fn capped(self, _: Option<u128>) -> f64 {
        self
    }
    fn at_cap(self, _: Option<u128>) -> bool {
        false
    }
}

impl Value for Sat {
    fn of_residual(w: f64) -> Sat {
        Sat(u128::from(w > 0.0))
    }
    fn exists(self) -> Sat {
        Sat(u128::from(self.0 > 0))
    }
    fn load(x: u128) -> Sat {
        Sat(x)
    }
    fn capped(self, cap: Option<u128>) -> Sat {
        Sat(cap.map_or(self.0, |c| self.0.min(c)))
    }
    fn at_cap(self, cap: Option<u128>) -> bool {
        cap.is_some_and(|c| self.0 >= c)
    }
}

/// The static problem: compact domains, factors and who touches what.
#[derive(Clone, Debug)]
struct Problem {
    sizes: Vec<usize>,
    factors: Vec<CFactor<'static>>,
    strides: Vec<Vec<usize>>,
    var_factors: Vec<Vec<usize>>,
    /// Initial residuals: the per-value weights after preprocessing.
    weights: Vec<Vec<f64>>,
    /// Whether each variable is projected (counting); all true when weighing.
    projected: Vec<bool>,
}

impl Problem {
    fn new(red: &Reduced<'_>, projected: Vec<bool>) -> Problem {
        Problem::from_parts(red.sizes(), &red.factors, &red.weights, projected)
    }

    fn from_parts(sizes: Vec<usize>, factors: &[CFactor<'_>], weights: &[Vec<f64>], projected: Vec<bool>) -> Problem {
        let mut var_factors = vec![Vec::new(); sizes.len()];
        for (i, f) in factors.iter().enumerate() {
            for &v in &f.vars {
                var_factors[v].push(i);
            }
        }
        let strides = factors.iter().map(|f| strides(&f.vars.iter().map(|&v| sizes[v]).collect::<Vec<_>>())).collect();
        let weights = if projected.iter().all(|&p| p) {
            weights.to_vec()
        } else {
            weights.iter().map(|w| w.iter().map(|&x| if x > 0.0 { 1.0 } else { 0.0 }).collect()).collect()
        };
        // The search indexes tables by value: over values, its own copy.
        let factors = factors.iter().map(|f| f.densified(&sizes)).collect();
        Problem { sizes, factors, strides, var_factors, weights, projected }
    }
}

const NONE: u32 = u32::MAX;

/// The mutable state of one search: assignment, residuals, active counts.
struct State<'p> {
    p: &'p Problem,
    assigned: Vec<u32>,
    residual: Vec<Vec<f64>>,
    unassigned_in: Vec<usize>,
    /// Residuals overwritten by [`State::assign`], to restore: the variable
    /// and where its old residual starts in `undo_values`.
    undo: Vec<(usize, usize)>,
    undo_values: Vec<f64>,
    mark: Vec<u32>,
    epoch: u32,
}

impl<'p> State<'p> {
    fn new(p: &'p Problem) -> State<'p> {
        State {
            p,
            assigned: vec![NONE; p.sizes.len()],
            residual: p.weights.clone(),
            unassigned_in: p.factors.iter().map(|f| f.vars.len()).collect(),
            undo: Vec::new(),
            undo_values: Vec::new(),
            mark: vec![0; p.sizes.len()],
            epoch: 0,
        }
    }

    /// Assigns `v = x`, folding factors left with one unassigned variable into
    /// its residual. Returns the undo mark, and whether every residual touched
    /// still has a positive entry.
    fn assign(&mut self, v: usize, x: u32) -> (usize, bool) {
        let mark = self.undo.len();
        self.assigned[v] = x;
        let mut alive = true;
        for &f in &self.p.var_factors[v] {
            self.unassigned_in[f] -= 1;
            if self.unassigned_in[f] != 1 {
                continue;
            }
            let fac = &self.p.factors[f];
            let st = &self.p.strides[f];
            let mut base = 0;
            let mut free = (0, 0);
            for (i, &u) in fac.vars.iter().enumerate() {
                if self.assigned[u] == NONE {
                    free = (u, st[i]);
                } else {
                    base += self.assigned[u] as usize * st[i];
                }
            }
            let (u, stride) = free;
            self.undo.push((u, self.undo_values.len()));
            self.undo_values.extend_from_slice(&self.residual[u]);
            let mut any = false;
            for (y, r) in self.residual[u].iter_mut().enumerate() {
                *r *= fac.table[base + y * stride];
                any |= *r > 0.0;
            }
            alive &= any;
        }
        (mark, alive)
    }

    fn unassign(&mut self, v: usize, mark: usize) {
        while self.undo.len() > mark {
            if let Some((u, start)) = self.undo.pop() {
                self.residual[u].copy_from_slice(&self.undo_values[start..]);
                self.undo_values.truncate(start);
            }
        }
        for &f in &self.p.var_factors[v] {
            self.unassigned_in[f] += 1;
        }
        self.assigned[v] = NONE;
    }

    /// The branching variable of a component: projected ones first, then most
    /// active factors, then lowest index (a function of the state only).
    fn choose(&self, comp: &[usize]) -> usize {
        let any_projected = comp.iter().any(|&v| self.p.projected[v]);
        let mut best = (false, 0usize, usize::MAX);
        for &v in comp {
            if any_projected && !self.p.projected[v] {
                continue;
            }
            let degree = self.p.var_factors[v].iter().filter(|&&f| self.unassigned_in[f] >= 2).count();
            let key = (true, degree, usize::MAX - v);
            if key > best {
                best = key;
            }
        }
        usize::MAX - best.2
    }

    /// Connected components of `vars` (unassigned) through active factors, each sorted.
    fn components(&mut self, vars: &[usize]) -> Vec<Vec<usize>> {
        self.epoch = self.epoch.wrapping_add(2);
        if self.epoch < 2 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.epoch = 2;
        }
        let (member, seen) = (self.epoch, self.epoch + 1);
        for &v in vars {
            self.mark[v] = member;
        }
        let mut out = Vec::new();
        for &start in vars {
            if self.mark[start] != member {
                continue;
            }
            let mut comp = vec![start];
            self.mark[start] = seen;
            let mut i = 0;
            while i < comp.len() {
                let v = comp[i];
                i += 1;
                for &f in &self.p.var_factors[v] {
                    if self.unassigned_in[f] < 2 {
                        continue;
                    }
                    for &u in &self.p.factors[f].vars {
                        if self.mark[u] == member {
                            self.mark[u] = seen;
                            comp.push(u);
                        }
                    }
                }
            }
            comp.sort_unstable();
            out.push(comp);
        }
        out
    }

    /// The cache key of component `comp`.
    fn key(&self, comp: &[usize]) -> Vec<u64> {
        let mut key = Vec::with_capacity(1 + comp.len() * 4);
        key.push(comp.len() as u64);
        key.extend(comp.iter().map(|&v| v as u64));
        for &v in comp {
            key.extend(self.residual[v].iter().map(|r| r.to_bits()));
        }
        let mut partial: Vec<usize> = Vec::new();
        for &v in comp {
            for &f in &self.p.var_factors[v] {
                let n = self.unassigned_in[f];
                if n >= 2 && n < self.p.factors[f].vars.len() {
                    partial.push(f);
                }
            }
        }
        partial.sort_unstable();
        partial.dedup();
        for f in partial {
            key.push(u64::MAX - f as u64);
            key.extend(self.p.factors[f].vars.iter().map(|&u| u64::from(self.assigned[u])));
        }
        key
    }
}

/// A search with its cache.
struct Search<'p, V: Value> {
    state: State<'p>,
    cache: Cache,
    /// A read-only cache consulted first (the compiled model's).
    base: Option<&'p Cache>,
    nodes: u64,
    budget: SearchBudget,
    /// Counting only: every `Z` is computed as `min(Z, cap)` (see [`count_reduced_capped`]).
    cap: Option<u128>,
    _v: std::marker::PhantomData<V>,
}

impl<'p, V: Value> Search<'p, V> {
    fn new(p: &'p Problem, budget: SearchBudget) -> Self {
        Search {
            state: State::new(p),
            cache: Cache::default(),
            base: None,
            nodes: 0,
            budget,
            cap: None,
            _v: std::marker::PhantomData,
        }
    }

    fn lookup(&self, key: &[u64]) -> Option<V> {
        self.base.and_then(|b| b.get(key)).or_else(|| self.cache.get(key)).map(|&x| V::load(x))
    }

    /// `Z` of a connected component of unassigned variables.
    fn z(&mut self, comp: &[usize]) -> Result<V, OverBudget> {
        let projected = comp.iter().any(|&v| self.state.p.projected[v]);
        if let [v] = *comp {
            let mut total = V::ZERO;
            for &r in &self.state.residual[v] {
                total = total.add(V::of_residual(r));
            }
            return Ok(if projected { total.capped(self.cap) } else { total.exists() });
        }
        let key = self.state.key(comp);
        if let Some(z) = self.lookup(&key) {
            return Ok(z);
        }
        let v = self.state.choose(comp);
        let rest: Vec<usize> = comp.iter().copied().filter(|&u| u != v).collect();
        let mut total = V::ZERO;
        for x in 0..self.state.p.sizes[v] {
            let r = self.state.residual[v][x];
            if r <= 0.0 {
                continue;
            }
            self.nodes += 1;
            if self.nodes > self.budget.max_nodes {
                return Err(OverBudget);
            }
            let (mark, alive) = self.state.assign(v, x as u32);
            let mut prod = V::of_residual(r);
            if alive {
                for sub in self.state.components(&rest) {
                    prod = prod.mul(self.z(&sub)?);
                    if prod == V::ZERO {
                        break;
                    }
                }
            } else {
                prod = V::ZERO;
            }
            self.state.unassign(v, mark);
            total = total.add(prod).capped(self.cap);
            if !projected && total != V::ZERO {
                // Existence is settled by one satisfying branch.
                break;
            }
            if total.at_cap(self.cap) {
                // The other branches cannot lower a sum that reached the cap.
                break;
            }
        }
        let total = if projected { total } else { total.exists() };
        if self.cache.len() >= self.budget.max_entries {
            return Err(OverBudget);
        }
        self.cache.insert(key, total.bits());
        Ok(total)
    }

    /// `Z` of every component of the unassigned variables, multiplied.
    fn z_all(&mut self) -> Result<V, OverBudget> {
        let vars: Vec<usize> = (0..self.state.p.sizes.len()).filter(|&v| self.state.assigned[v] == NONE).collect();
        let mut prod = V::ONE;
        for comp in self.state.components(&vars) {
            prod = prod.mul(self.z(&comp)?);
            if prod == V::ZERO {
                break;
            }
        }
        Ok(prod)
    }
}

/// The exact projected count of a preprocessed problem (compact `sizes`,
/// factors of arity two or more, every value possible): the assignments of the
/// `projected` variables that extend to a positive one. `Err` when over `budget`.
pub(super) fn count_reduced(
    sizes: &[usize],
    factors: &[CFactor<'_>],
    projected: &[bool],
    budget: SearchBudget,
) -> Result<u128, OverBudget> {
    let weights: Vec<Vec<f64>> = sizes.iter().map(|&d| vec![1.0; d]).collect();
    let p = Problem::from_parts(sizes.to_vec(), factors, &weights, projected.to_vec());
    let mut s: Search<'_, Sat> = Search::new(&p, budget);
    s.z_all().map(|n| n.0)
}

/// `min(count, cap)` for the problem of [`count_reduced`]: the same search
/// in the semiring of counts saturating at `cap`, which ends a sum as soon
/// as it reaches `cap`. Exact: for non-negative integers,
/// `min(a + b, C) = min(min(a, C) + min(b, C), C)` and
/// `min(a · b, C) = min(min(a, C) · min(b, C), C)` (a zero factor gives zero
/// both ways; otherwise a factor at `C` makes both sides `C`), so every `Z`
/// computed and cached is `min(Z, C)` of the exact one, and the terms a sum
/// skips once it reached `C` cannot change it. Deciding whether a count
/// reaches the tokens drawn needs no more: a dense rule graph with more
/// combinations than that is settled after a few thousand nodes.
pub(super) fn count_reduced_capped(
    sizes: &[usize],
    factors: &[CFactor<'_>],
    projected: &[bool],
    budget: SearchBudget,
    cap: u128,
) -> Result<u128, OverBudget> {
    let weights: Vec<Vec<f64>> = sizes.iter().map(|&d| vec![1.0; d]).collect();
    let p = Problem::from_parts(sizes.to_vec(), factors, &weights, projected.to_vec());
    let mut s: Search<'_, Sat> = Search::new(&p, budget);
    s.cap = Some(cap);
    s.z_all().map(|n| n.0.min(cap))
}

/// An exactly compiled distribution for sampling and marginals (see the
/// module docs): the search's cache of partition functions.
#[derive(Clone, Debug)]
pub struct SearchModel {
    red: Reduced<'static>,
    p: Problem,
    cache: Cache,
    z: f64,
}

impl SearchModel {
    /// Compiles `net` (conditioned on `evidence`). Fails with
    /// [`SolveError::EmptySupport`] when nothing has positive mass and
    /// [`SolveError::TooLarge`] when the search exceeds `budget`.
    pub fn compile(net: &Network, evidence: &[(usize, usize)], budget: SearchBudget) -> Result<Self, SolveError> {
        let red = reduce(net, evidence)?;
        if red.empty {
            return Err(SolveError::EmptySupport);
        }
        let p = Problem::new(&red, vec![true; red.domains.len()]);
        let (z, cache) = {
            let mut s: Search<'_, f64> = Search::new(&p, budget);
            let z = s.z_all().map_err(|OverBudget| SolveError::TooLarge {
                needed: s.cache.len() as u128,
                budget: budget.max_entries as u64,
            })?;
            (z, s.cache)
        };
        if !(z > 0.0 && z.is_finite()) {
            // Either empty, or the weights underflowed: both leave nothing to sample from.
            return Err(SolveError::EmptySupport);
        }
        // The problem has its own copy of the factors.
        Ok(SearchModel { red: red.split().0, p, cache, z })
    }

    /// Number of cached sub-problems (a measure of the compiled size).
    pub fn entries(&self) -> usize {
        self.cache.len()
    }

    /// Draws every variable into `assignment` (original values), calling
    /// `uniform(var)` once per variable. Returns false if the model is
    /// inconsistent (never, for a compiled model).
    pub fn draw(&self, assignment: &mut [u32], mut uniform: impl FnMut(usize) -> f64) -> bool {
        let mut s: Search<'_, f64> =
            Search::new(&self.p, SearchBudget { max_entries: usize::MAX, max_nodes: u64::MAX });
        s.base = Some(&self.cache);
        let vars: Vec<usize> = (0..self.p.sizes.len()).collect();
        let mut stack: Vec<Vec<usize>> = s.state.components(&vars);
        let mut weights: Vec<f64> = Vec::new();
        while let Some(comp) = stack.pop() {
            let v = if comp.len() == 1 { comp[0] } else { s.state.choose(&comp) };
            let rest: Vec<usize> = comp.iter().copied().filter(|&u| u != v).collect();
            weights.clear();
            let mut total = 0.0;
            for x in 0..self.p.sizes[v] {
                let r = s.state.residual[v][x];
                let mut w = 0.0;
                if r > 0.0 {
                    let (mark, alive) = s.state.assign(v, x as u32);
                    if alive {
                        w = r;
                        for sub in s.state.components(&rest) {
                            match s.z(&sub) {
                                Ok(z) => w *= z,
                                Err(OverBudget) => return false,
                            }
                            if w == 0.0 {
                                break;
                            }
                        }
                    }
                    s.state.unassign(v, mark);
                }
                total += w;
                weights.push(w);
            }
            if total.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                return false;
            }
            let target = uniform(v) * total;
            let mut cum = 0.0;
            let mut chosen = None;
            for (x, &w) in weights.iter().enumerate() {
                if w > 0.0 {
                    cum += w;
                    chosen = Some(x);
                    if cum > target {
                        break;
                    }
                }
            }
            let Some(x) = chosen else { return false };
            s.state.assign(v, x as u32);
            assignment[v] = self.red.alive[v][x];
            stack.extend(s.state.components(&rest));
        }
        true
    }

    /// `P(var = value)` for every variable and original value: by
    /// conditioning, `P(v = x) = Z(v = x) / Z`, each `Z(v = x)` a search that
    /// reuses the compiled cache.
    pub fn marginals(&self) -> Vec<Vec<f64>> {
        let mut out: Vec<Vec<f64>> = self.red.domains.iter().map(|&d| vec![0.0; d]).collect();
        let mut s: Search<'_, f64> =
            Search::new(&self.p, SearchBudget { max_entries: usize::MAX, max_nodes: u64::MAX });
        s.base = Some(&self.cache);
        for v in 0..self.p.sizes.len() {
            for x in 0..self.p.sizes[v] {
                let r = s.state.residual[v][x];
                if r <= 0.0 {
                    continue;
                }
                let (mark, alive) = s.state.assign(v, x as u32);
                let z = if alive { s.z_all().unwrap_or(0.0) } else { 0.0 };
                s.state.unassign(v, mark);
                out[v][self.red.alive[v][x] as usize] = r * z / self.z;
            }
        }
        out
    }
}
