//! Marginals of the product distribution and support membership of values.
//!
//! Both run one forward elimination that keeps every message, then the
//! reverse pass of `elim::backward`: for every variable `A`, the partition
//! function is linear in `A`'s value weights, `Z = Σ_x w(x) · ∂Z/∂w(x)`, so
//! `P(A = x) = w(x) · ∂Z/∂w(x) / Z`. In the boolean semiring the same formula
//! says whether some support assignment uses `x`.

use std::time::Instant;

use super::elim::{
    Engine, EngineOptions, LFactor, Semiring, backward, compress_exact, compress_proportional_from, plan,
};
use super::prep::{CFactor, Reduced, reduce, reduce_valid};
use super::{Budget, Network, SolveError};

/// A compiled probabilistic model: the product distribution of a [`Network`]
/// (optionally conditioned on evidence) after a forward elimination pass.
///
/// Compiling does the preprocessing and the forward pass; the elimination
/// order and all messages are kept, which is what [`WeightedModel::marginals`]
/// (and exact sampling, variable by variable in reverse elimination order)
/// needs.
#[derive(Debug, Clone)]
pub struct WeightedModel {
    pub(super) red: Reduced<'static>,
    /// Per-value weights after moving compression ratios into them (shared
    /// with the sampler's steps).
    pub(super) weights: Vec<std::sync::Arc<Vec<f64>>>,
    pub(super) engine: Engine<f64>,
    pub(super) order: Vec<usize>,
    log_z: f64,
}

impl WeightedModel {
    /// Compiles `net` conditioned on `evidence` (`(var, value)` pairs that must hold).
    ///
    /// Fails with [`SolveError::EmptySupport`] if no assignment has positive
    /// mass, [`SolveError::TooLarge`] if the elimination needs a step larger
    /// than `budget.max_table_entries`, and [`SolveError::TimedOut`] if the
    /// time limit passes.
    pub fn compile(net: &Network, evidence: &[(usize, usize)], budget: &Budget) -> Result<Self, SolveError> {
        Self::compile_with_last(net, evidence, budget, &[])
    }

    /// Like [`WeightedModel::compile`], but eliminates the variables of `last`
    /// after all others, so that exact sampling (which runs in reverse
    /// elimination order, see [`WeightedModel::sampler`]) draws them first.
    pub fn compile_with_last(
        net: &Network,
        evidence: &[(usize, usize)],
        budget: &Budget,
        last: &[usize],
    ) -> Result<Self, SolveError> {
        net.check_vars(last)?;
        let start = Instant::now();
        let red = reduce(net, evidence)?;
        Self::compile_reduced(red, budget, last, start)
    }

    /// [`WeightedModel::compile_with_last`] of a network preprocessed into
    /// `red` (`last` checked), started at `start`.
    fn compile_reduced(red: Reduced<'_>, budget: &Budget, last: &[usize], start: Instant) -> Result<Self, SolveError> {
        if red.empty {
            return Err(SolveError::EmptySupport);
        }
        let (red, dense) = red.split();
        Self::compile_split(red, dense, budget, last, start)
    }

    /// [`WeightedModel::compile_reduced`] of the parts of a preprocessed
    /// network ([`Reduced::split`]; not empty).
    fn compile_split<'a>(
        red: Reduced<'static>,
        dense: impl IntoIterator<Item = CFactor<'a>>,
        budget: &Budget,
        last: &[usize],
        start: Instant,
    ) -> Result<Self, SolveError> {
        let sizes = red.sizes();
        // The model keeps the domains and surviving values; the weights are
        // scaled into its own (a 100,000-value trait's are 800 KB).
        let mut red = red;
        let mut weights = std::mem::take(&mut red.weights);
        let mut log_constant = red.log_constant;
        // The tables become the engine's factors, compressed one by one as
        // they are read (from the network where preprocessing left them): the
        // model never holds a dense copy.
        let dense = dense.into_iter();
        let mut factors = Vec::with_capacity(dense.size_hint().0);
        for cf in dense {
            let f = compress_proportional_from(cf, &sizes, &mut weights);
            if f.shape.vars.is_empty() {
                let c = f.table.first().copied().unwrap_or(0.0);
                if c <= 0.0 {
                    return Err(SolveError::EmptySupport);
                }
                log_constant += c.ln();
            } else {
                factors.push(f);
            }
        }
        // Scale each variable's weights to a maximum of 1 (the scale goes to the constant).
        for w in &mut weights {
            let max = w.iter().copied().fold(0.0f64, f64::max);
            if max > 0.0 {
                w.iter_mut().for_each(|x| *x /= max);
                log_constant += max.ln();
            }
        }
        let group = |v: usize| u8::from(last.contains(&v));
        let (engine, order) = eliminate_all(factors, &sizes, &group, budget, start, |v, map, d| {
            let mut out = vec![0.0; d];
            for (x, &r) in map.iter().enumerate() {
                out[r as usize] += weights[v][x];
            }
            out
        })?;
        let z = engine.scalar_product();
        if z.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Err(SolveError::EmptySupport);
        }
        let log_z = log_constant + engine.log_scale + z.ln();
        let weights = weights.into_iter().map(std::sync::Arc::new).collect();
        Ok(WeightedModel { red, weights, engine, order, log_z })
    }

    /// `P(var = value)` for every variable and value of the original network
    /// (values removed by evidence or made impossible get 0).
    pub fn marginals(&self) -> Vec<Vec<f64>> {
        let adj = backward(&self.engine);
        let mut out: Vec<Vec<f64>> = self.red.domains.iter().map(|&d| vec![0.0; d]).collect();
        for (step, adj_w) in self.engine.steps.iter().zip(&adj) {
            let v = step.var;
            // Every value's score, summed, then computed again to be
            // divided: the same floats without a vector of them beside the
            // output (800 KB for 100,000 values).
            let score = |x: usize, r: u32| self.weights[v][x] * adj_w[r as usize];
            let total: f64 = step.a_map.iter().enumerate().map(|(x, &r)| score(x, r)).sum();
            for (x, &r) in step.a_map.iter().enumerate() {
                out[v][self.red.alive[v][x] as usize] = if total > 0.0 { score(x, r) / total } else { 0.0 };
            }
        }
        out
    }

    /// Natural log of the partition function: the sum over all assignments of
    /// the product of the factors (restricted to the evidence).
    pub fn log_partition(&self) -> f64 {
        self.log_z
    }

    /// The elimination order used by the forward pass.
    pub fn elimination_order(&self) -> &[usize] {
        &self.order
    }
}

/// Variable elimination of `net` with the variables of `unique` eliminated
/// last when that fits `budget` (so that the sampler draws them first),
/// else in any order (the flag says which), together with the number of
/// assignments of `unique` that extend to a token ([`super::count`] within
/// `count_budget`): the two share one preprocessing of the network. Each
/// result is the one [`WeightedModel::compile_with_last`] (then
/// [`WeightedModel::compile`] when the first is too large) and
/// [`super::count`] give.
pub fn eliminate_and_count(
    net: &Network,
    unique: &[usize],
    budget: &Budget,
    count_budget: &Budget,
) -> (Result<(WeightedModel, bool), SolveError>, Result<super::Count, SolveError>) {
    let valid = net.validate();
    let vars = net.check_vars(unique);
    let start = Instant::now();
    // Each query reports the errors it always did, in its own order.
    let red = match (&valid, &vars) {
        (Ok(()), Ok(())) => reduce_valid(net, &[]),
        (Err(e), _) | (Ok(()), Err(e)) => Err(e.clone()),
    };
    let red = match red {
        Ok(red) => red,
        Err(e) => {
            let compile_error = vars.clone().and(valid.clone()).err().unwrap_or_else(|| e.clone());
            let count_error = valid.and(vars).err().unwrap_or(e);
            return (Err(compile_error), Err(count_error));
        }
    };
    let count = super::count::count_reduced(&red, unique, count_budget, start);
    if red.empty {
        return (Err(SolveError::EmptySupport), Ok(count));
    }
    // The compiled model takes the preprocessed network over (its surviving
    // values and weights: 1.6 MB for a trait of 100,000 variants); in the
    // rare case where the unique traits cannot go last, the network is
    // preprocessed again for the second order (the same, deterministically).
    let (parts, factors) = red.split();
    let compiled = match WeightedModel::compile_split(parts, factors, budget, unique, start) {
        Ok(m) => Ok((m, true)),
        Err(SolveError::TooLarge { .. }) => reduce_valid(net, &[]).and_then(|red| {
            let (parts, factors) = red.split();
            WeightedModel::compile_split(parts, factors, budget, &[], start).map(|m| (m, false))
        }),
        Err(e) => Err(e),
    };
    (compiled, Ok(count))
}

/// Plans an elimination order of every variable (the variables of group 1
/// after those of group 0), refuses it when a step exceeds `budget`, and
/// eliminates in that order keeping every step (for the backward pass),
/// with `weigh(var, map, classes)` giving the eliminated variable's weight
/// per refined class. Returns the engine and the order.
fn eliminate_all<S: Semiring>(
    factors: Vec<LFactor<S>>,
    sizes: &[usize],
    group: &dyn Fn(usize) -> u8,
    budget: &Budget,
    start: Instant,
    weigh: impl Fn(usize, &[u32], usize) -> Vec<S>,
) -> Result<(Engine<S>, Vec<usize>), SolveError> {
    let vars: Vec<usize> = (0..sizes.len()).collect();
    let shapes: Vec<_> = factors.iter().map(|f| f.shape.clone()).collect();
    let p = plan(&shapes, sizes, &vars, group, budget.max_table_entries as f64);
    if p.max_size > budget.max_table_entries as f64 {
        return Err(SolveError::TooLarge { needed: p.max_size as u128, budget: budget.max_table_entries });
    }
    let deadline = budget.time_limit.map(|t| start + t);
    let opts = EngineOptions { keep: true, post_compress: false, deadline };
    let mut engine = Engine::new(factors, sizes, opts);
    for &v in &p.order {
        engine.eliminate(v, |map, d| weigh(v, map, d)).map_err(|_| SolveError::TimedOut)?;
    }
    Ok((engine, p.order))
}

/// Whether [`WeightedModel::compile`] of `net` fits `budget` (planning only,
/// nothing is eliminated). `Err(EmptySupport)` when nothing has positive mass.
pub(super) fn elimination_fits(net: &Network, budget: &Budget) -> Result<bool, SolveError> {
    let red = reduce(net, &[])?;
    if red.empty {
        return Err(SolveError::EmptySupport);
    }
    let sizes = red.sizes();
    let mut weights = red.weights;
    let mut shapes = Vec::with_capacity(red.factors.len());
    for cf in red.factors {
        let f = compress_proportional_from(cf, &sizes, &mut weights);
        if !f.shape.vars.is_empty() {
            shapes.push(f.shape.clone());
        }
    }
    let vars: Vec<usize> = (0..sizes.len()).collect();
    let p = plan(&shapes, &sizes, &vars, &|_| 0, budget.max_table_entries as f64);
    Ok(p.max_size <= budget.max_table_entries as f64)
}

/// `P(var = value)` for every variable and value under the normalised product
/// of all factors, computed exactly with the default [`Budget`].
///
/// Fails with [`SolveError::EmptySupport`] when the product is zero
/// everywhere (see [`WeightedModel::compile`] for the other errors).
///
/// Graphs too dense to eliminate are compiled by search with component
/// caching instead ([`super::SearchModel`]), exactly as well.
pub fn marginals(net: &Network) -> Result<Vec<Vec<f64>>, SolveError> {
    match WeightedModel::compile(net, &[], &Budget::default()) {
        Ok(m) => Ok(m.marginals()),
        Err(SolveError::TooLarge { .. }) => {
            Ok(super::SearchModel::compile(net, &[], super::SearchBudget { max_entries: 1 << 17, max_nodes: 1 << 18 })?
                .marginals())
        }
        Err(e) => Err(e),
    }
}

/// For every variable and value: whether some assignment with positive
/// product uses it (all `false` when the support is empty). Uses the default [`Budget`].
pub fn possible_values(net: &Network) -> Result<Vec<Vec<bool>>, SolveError> {
    possible_values_given(net, &[], &Budget::default())
}

/// Like [`possible_values`], restricted to assignments satisfying `evidence`.
///
/// Fails with [`SolveError::TooLarge`] / [`SolveError::TimedOut`] when the
/// exact computation does not fit `budget`.
pub fn possible_values_given(
    net: &Network,
    evidence: &[(usize, usize)],
    budget: &Budget,
) -> Result<Vec<Vec<bool>>, SolveError> {
    let start = Instant::now();
    let red = reduce(net, evidence)?;
    let mut out: Vec<Vec<bool>> = red.domains.iter().map(|&d| vec![false; d]).collect();
    if red.empty {
        return Ok(out);
    }
    let sizes = red.sizes();
    let mut factors = Vec::with_capacity(red.factors.len());
    for cf in &red.factors {
        let mut f = LFactor { shape: cf.shape(&sizes), table: cf.table.iter().map(|&x| x > 0.0).collect() };
        compress_exact(&mut f);
        if f.shape.vars.is_empty() {
            if !f.table.first().copied().unwrap_or(false) {
                return Ok(out);
            }
        } else {
            factors.push(f);
        }
    }
    let (engine, _) = eliminate_all(factors, &sizes, &|_| 0, budget, start, |_, _, d| vec![true; d])?;
    if !engine.scalar_product() {
        return Ok(out);
    }
    let adj = backward(&engine);
    for (step, adj_w) in engine.steps.iter().zip(&adj) {
        for (x, &r) in step.a_map.iter().enumerate() {
            out[step.var][red.alive[step.var][x] as usize] = adj_w[r as usize];
        }
    }
    Ok(out)
}
