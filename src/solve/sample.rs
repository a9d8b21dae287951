//! Exact sampling from a compiled [`WeightedModel`]: backward sampling over
//! the kept elimination steps.
//!
//! Bucket elimination writes the (unnormalised) distribution as a product,
//! step by step: eliminating `A` multiplies `A`'s weights with every factor
//! and message of its bucket, and every other variable of the bucket is
//! eliminated *later*. Hence, in reverse elimination order,
//!
//! ```text
//! P(A = x | every variable eliminated after A)  ∝  w_A(x) · Π_{f in bucket(A)} f(x, …)
//! ```
//!
//! exactly, because the message a bucket sends is the sum over `A` of that
//! product (the standard forward-filtering / backward-sampling identity).
//! [`Sampler`] keeps, per step, just what evaluating that product needs, so a
//! token costs one table lookup per bucket input and value: no rejection, no
//! dependence on how restrictive the rules are. The sampler only reads the
//! compiled model; the random numbers come from the caller, one uniform per
//! step, so callers control streams (see `crate::sample`).

use super::WeightedModel;
use super::elim::strides;

/// One bucket input: its table and where each variable's value points in it.
#[derive(Debug, Clone)]
struct Input {
    /// Dense table over the input's local classes.
    table: Vec<f64>,
    /// Offset contributed by each refined class of the step's variable.
    own: Vec<usize>,
    /// For every other variable of the input: the variable and the offset
    /// contributed by each of its *original* values (0 for values that cannot occur).
    others: Vec<(usize, Vec<usize>)>,
}

/// The conditional of one variable given the variables drawn before it.
#[derive(Debug, Clone)]
pub struct SamplerStep {
    /// The variable drawn at this step.
    pub var: usize,
    /// Original value of every compact value (the values that can occur).
    values: Vec<u32>,
    /// Weight of every compact value.
    weights: Vec<f64>,
    /// Refined class of every compact value: every input is constant on a
    /// class, so products are taken once per class.
    class_of: Vec<u32>,
    /// Number of refined classes.
    classes: usize,
    inputs: Vec<Input>,
    /// When the step has no inputs its conditional never changes: the
    /// running sums of `weights` (summed in value order, exactly as
    /// [`SamplerStep::conditional`] and [`pick`] sum them), so a draw is a
    /// binary search instead of a pass over every value.
    cumulative: Option<Vec<f64>>,
}

impl SamplerStep {
    /// The values this variable can take (in increasing order) with their
    /// unnormalised conditional probabilities, given `assignment` (indexed by
    /// variable; only the variables of earlier steps are read), written to `out`.
    /// Returns the total.
    pub fn conditional(&self, assignment: &[u32], out: &mut Vec<(u32, f64)>) -> f64 {
        const STACK: usize = 16;
        let mut small = [1.0f64; STACK];
        let mut large = Vec::new();
        let prod: &mut [f64] = if self.classes <= STACK {
            &mut small[..self.classes]
        } else {
            large.resize(self.classes, 1.0);
            &mut large
        };
        for input in &self.inputs {
            let base: usize = input.others.iter().map(|(var, offs)| offs[assignment[*var] as usize]).sum();
            for (p, &own) in prod.iter_mut().zip(&input.own) {
                *p *= input.table[base + own];
            }
        }
        out.clear();
        let mut total = 0.0;
        for ((&v, &w), &c) in self.values.iter().zip(&self.weights).zip(&self.class_of) {
            let x = w * prod[c as usize];
            total += x;
            out.push((v, x));
        }
        total
    }

    /// Draws this step's variable by inverse CDF from `u` in `[0, 1)`,
    /// using `scratch` as a buffer. Returns `None` when the conditional is
    /// zero everywhere (the earlier values have no positive completion).
    pub fn draw(&self, assignment: &[u32], u: f64, scratch: &mut Vec<(u32, f64)>) -> Option<u32> {
        if let Some(cum) = &self.cumulative {
            return self.pick_constant(cum, u);
        }
        let total = self.conditional(assignment, scratch);
        pick(scratch, total, u)
    }

    /// [`pick`] over this step's constant conditional, in `O(log n)`: the same
    /// value for the same `u`, because the running sums are the same floats
    /// (a value of weight 0 adds nothing) and the first running sum above
    /// `u · total` belongs to a value of positive weight.
    fn pick_constant(&self, cum: &[f64], u: f64) -> Option<u32> {
        let total = cum.last().copied().unwrap_or(0.0);
        if !(total > 0.0 && total.is_finite()) {
            return None;
        }
        let target = u * total;
        let i = cum.partition_point(|&c| c <= target);
        if i < cum.len() {
            return Some(self.values[i]);
        }
        // Rounding left no sum above the target: the last positive value.
        self.weights.iter().rposition(|&w| w > 0.0).map(|i| self.values[i])
    }
}

/// Inverse CDF over `(value, weight)` pairs in order: the first value whose
/// cumulative weight exceeds `u · total` (the last positive one if rounding
/// leaves none).
pub(crate) fn pick(weights: &[(u32, f64)], total: f64, u: f64) -> Option<u32> {
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    let target = u * total;
    let mut cum = 0.0;
    let mut last = None;
    for &(v, w) in weights {
        if w > 0.0 {
            cum += w;
            last = Some(v);
            if cum > target {
                return Some(v);
            }
        }
    }
    last
}

/// An exact sampler for the distribution of a [`WeightedModel`].
#[derive(Debug, Clone)]
pub struct Sampler {
    steps: Vec<SamplerStep>,
    domains: Vec<usize>,
}

impl Sampler {
    /// The steps in drawing order (reverse elimination order): each step's
    /// conditional reads only variables of earlier steps.
    pub fn steps(&self) -> &[SamplerStep] {
        &self.steps
    }

    /// Domain size of every variable.
    pub fn domains(&self) -> &[usize] {
        &self.domains
    }

    /// Draws every variable into `assignment` (one uniform per step, from
    /// `uniform(var)`), starting at step `from` (earlier steps' variables
    /// must already be set). Returns false if some step had no positive value.
    pub fn draw_from(
        &self,
        from: usize,
        assignment: &mut [u32],
        mut uniform: impl FnMut(usize) -> f64,
        scratch: &mut Vec<(u32, f64)>,
    ) -> bool {
        for step in &self.steps[from.min(self.steps.len())..] {
            match step.draw(assignment, uniform(step.var), scratch) {
                Some(v) => assignment[step.var] = v,
                None => return false,
            }
        }
        true
    }
}

impl WeightedModel {
    /// The exact sampler of this model's distribution (see the module docs of
    /// `solve::sample`): per variable, in reverse elimination order, its
    /// conditional given the variables drawn before it.
    pub fn sampler(&self) -> Sampler {
        let domains = self.red.domains.clone();
        let mut steps = Vec::with_capacity(self.engine.steps.len());
        for step in self.engine.steps.iter().rev() {
            let v = step.var;
            let alive = &self.red.alive[v];
            let mut inputs = Vec::with_capacity(step.inputs.len());
            for &id in &step.inputs {
                let f = &self.engine.factors[id];
                let st = strides(&f.shape.dims);
                let mut own = vec![0usize; step.layout.a_dim];
                let mut others = Vec::new();
                for (p, &u) in f.shape.vars.iter().enumerate() {
                    let map = &f.shape.maps[p];
                    if u == v {
                        for (x, &r) in step.a_map.iter().enumerate() {
                            own[r as usize] = map[x] as usize * st[p];
                        }
                    } else {
                        let mut offs = vec![0usize; domains[u]];
                        for (x, &orig) in self.red.alive[u].iter().enumerate() {
                            offs[orig] = map[x] as usize * st[p];
                        }
                        others.push((u, offs));
                    }
                }
                inputs.push(Input { table: f.table.clone(), own, others });
            }
            let cumulative = inputs.is_empty().then(|| {
                let mut sum = 0.0;
                self.weights[v]
                    .iter()
                    .map(|&w| {
                        sum += w;
                        sum
                    })
                    .collect()
            });
            steps.push(SamplerStep {
                var: v,
                values: alive.iter().map(|&x| x as u32).collect(),
                weights: self.weights[v].clone(),
                class_of: step.a_map.clone(),
                classes: step.layout.a_dim,
                inputs,
                cumulative,
            });
        }
        Sampler { steps, domains }
    }
}
