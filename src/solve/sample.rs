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
    /// contributed by each of its *original* values (0 for values that cannot
    /// occur).
    others: Vec<(usize, Offsets)>,
}

/// Offsets into an input table by original value: the input's own map of
/// values to classes with the variable's stride when every value of the
/// variable can occur (shared with the model: a 100,000-value neighbour
/// costs nothing more), else in 32 bits when the table is that small, as
/// every table within an elimination budget is (400 KB instead of 800).
#[derive(Debug, Clone)]
enum Offsets {
    Scaled { classes: super::ClassOf, stride: usize },
    Narrow(Vec<u32>),
    Wide(Vec<usize>),
}

impl Offsets {
    /// The offset of every original value of a variable of `domain` values
    /// into a table of `len` entries: `at(value)` for the `(value, offset)`
    /// pairs of `at`, 0 for the others.
    fn new(domain: usize, len: usize, at: impl Iterator<Item = (usize, usize)>) -> Offsets {
        if u32::try_from(len).is_ok() {
            // Every offset is below `len`.
            let mut offs = vec![0u32; domain];
            at.for_each(|(value, offset)| offs[value] = offset as u32);
            Offsets::Narrow(offs)
        } else {
            let mut offs = vec![0usize; domain];
            at.for_each(|(value, offset)| offs[value] = offset);
            Offsets::Wide(offs)
        }
    }

    fn get(&self, value: usize) -> usize {
        match self {
            Offsets::Scaled { classes, stride } => classes[value] as usize * stride,
            Offsets::Narrow(at) => at[value] as usize,
            Offsets::Wide(at) => at[value],
        }
    }
}

/// The conditional of one variable given the variables drawn before it.
#[derive(Debug, Clone)]
pub struct SamplerStep {
    /// The variable drawn at this step.
    pub var: usize,
    /// Original value of every compact value (the values that can occur;
    /// the model's list, shared).
    values: std::sync::Arc<[u32]>,
    /// Weight of every compact value (the model's, shared).
    weights: std::sync::Arc<Vec<f64>>,
    /// Refined class of every compact value: every input is constant on a
    /// class, so products are taken once per class.
    class_of: super::ClassOf,
    /// Number of refined classes.
    classes: usize,
    inputs: Vec<Input>,
    /// When the step has no inputs its conditional never changes: the
    /// running sums of `weights` (summed in value order, exactly as
    /// [`SamplerStep::draw_linear`] sums them), so a draw is a
    /// binary search instead of a pass over every value.
    cumulative: Option<Vec<f64>>,
    /// For a step with inputs and many more values than refined classes
    /// ([`Grouped::worth_it`]): its values grouped by class, so that a draw
    /// picks a class, then a value in it by binary search.
    grouped: Option<Grouped>,
}

/// The values of a step grouped by refined class. Every input is constant on
/// a class, so the conditional of a class is its total weight times the
/// product of the inputs, and within the class the conditional is the
/// normalised weights: drawing the class from the first, then the value from
/// the second, draws from exactly the conditional, in `O(classes + log n)`
/// instead of `O(n)`. The running sums differ from the value-order ones of
/// [`SamplerStep::draw_linear`], so the same uniform may give another value than the linear pass:
/// the law is the same, the stream is not, which is why small steps (those
/// the linear pass handles fast, every step of a typical collection) keep it.
#[derive(Debug, Clone)]
struct Grouped {
    /// Compact value indices, by class, then by value.
    order: Vec<u32>,
    /// Where each class starts in `order` (one more entry: the end).
    start: Vec<usize>,
    /// Running sums of the weights within each class, aligned with `order`.
    cumulative: Vec<f64>,
}

impl Grouped {
    /// Fewest values for which a step draws by class.
    const MIN_VALUES: usize = 64;

    /// Whether a step of `values` values in `classes` refined classes draws
    /// by class: when the pass over its values is long and the classes are
    /// few in comparison.
    fn worth_it(values: usize, classes: usize) -> bool {
        values >= Self::MIN_VALUES && classes.saturating_mul(4) <= values
    }

    fn new(weights: &[f64], class_of: &[u32], classes: usize) -> Grouped {
        let mut start = vec![0usize; classes + 1];
        for &c in class_of {
            start[c as usize + 1] += 1;
        }
        for c in 0..classes {
            start[c + 1] += start[c];
        }
        let mut next = start.clone();
        let mut order = vec![0u32; class_of.len()];
        for (i, &c) in class_of.iter().enumerate() {
            order[next[c as usize]] = i as u32;
            next[c as usize] += 1;
        }
        let mut cumulative = Vec::with_capacity(order.len());
        for c in 0..classes {
            let mut sum = 0.0;
            for &i in &order[start[c]..start[c + 1]] {
                sum += weights[i as usize];
                cumulative.push(sum);
            }
        }
        Grouped { order, start, cumulative }
    }

    /// Total weight of class `c`.
    fn total(&self, c: usize) -> f64 {
        if self.start[c + 1] > self.start[c] { self.cumulative[self.start[c + 1] - 1] } else { 0.0 }
    }
}

impl SamplerStep {
    /// The values this variable can take (in increasing order) with their
    /// unnormalised conditional probabilities, given `assignment` (indexed by
    /// variable; only the variables of earlier steps are read), written to `out`.
    /// Returns the total.
    pub fn conditional(&self, assignment: &[u32], out: &mut Vec<(u32, f64)>) -> f64 {
        self.with_class_products::<16, _>(assignment, |prod| {
            out.clear();
            let mut total = 0.0;
            for ((&v, &w), &c) in self.values.iter().zip(self.weights.iter()).zip(self.class_of.iter()) {
                let x = w * prod[c as usize];
                total += x;
                out.push((v, x));
            }
            total
        })
    }

    /// Calls `f` with the product of the step's inputs per refined class
    /// given `assignment` ([`SamplerStep::class_products`]), held on the
    /// stack when there are at most `STACK` classes.
    fn with_class_products<const STACK: usize, R>(&self, assignment: &[u32], f: impl FnOnce(&[f64]) -> R) -> R {
        let mut small = [1.0f64; STACK];
        let mut large = Vec::new();
        let prod: &mut [f64] = if self.classes <= STACK {
            &mut small[..self.classes]
        } else {
            large.resize(self.classes, 1.0);
            &mut large
        };
        self.class_products(assignment, prod);
        f(prod)
    }

    /// Multiplies into `prod` (one entry per refined class, starting at 1)
    /// the product of the step's inputs given `assignment`.
    fn class_products(&self, assignment: &[u32], prod: &mut [f64]) {
        for input in &self.inputs {
            let base: usize = input.others.iter().map(|(var, offs)| offs.get(assignment[*var] as usize)).sum();
            for (p, &own) in prod.iter_mut().zip(&input.own) {
                *p *= input.table[base + own];
            }
        }
    }

    /// Draws by class, then by value within the class (see [`Grouped`]):
    /// the class by inverse CDF over the class masses from `u`, the value by
    /// binary search over the class's running sums at the rest of `u`'s target.
    fn draw_grouped(&self, grouped: &Grouped, assignment: &[u32], u: f64, prod: &mut Vec<f64>) -> Option<u32> {
        prod.clear();
        prod.resize(self.classes, 1.0);
        self.class_products(assignment, prod);
        for (c, p) in prod.iter_mut().enumerate() {
            *p *= grouped.total(c);
        }
        let total: f64 = prod.iter().sum();
        if !(total > 0.0 && total.is_finite()) {
            return None;
        }
        let target = u * total;
        let mut before = 0.0;
        let mut chosen = None;
        for (c, &mass) in prod.iter().enumerate() {
            if mass > 0.0 {
                chosen = Some((c, before));
                if before + mass > target {
                    break;
                }
                before += mass;
            }
        }
        // Rounding may leave no class above the target: the last positive one.
        let (c, before) = chosen?;
        let class_total = grouped.total(c);
        let scale = prod[c] / class_total;
        let inner = ((target - before) / scale).clamp(0.0, class_total);
        let sums = &grouped.cumulative[grouped.start[c]..grouped.start[c + 1]];
        let mut i = sums.partition_point(|&s| s <= inner);
        if i == sums.len() {
            // Rounding put the target at the class's end: its last positive value.
            i = sums.partition_point(|&s| s < class_total);
        }
        Some(self.values[grouped.order[grouped.start[c] + i] as usize])
    }

    /// Draws this step's variable by inverse CDF from `u` in `[0, 1)`.
    /// Returns `None` when the conditional is zero everywhere (the earlier
    /// values have no positive completion).
    pub fn draw(&self, assignment: &[u32], u: f64) -> Option<u32> {
        if let Some(cum) = &self.cumulative {
            return self.pick_constant(cum, u);
        }
        if let Some(grouped) = &self.grouped {
            // One buffer per thread for the class masses: no allocation per draw.
            thread_local! {
                static PROD: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
            }
            return PROD.with_borrow_mut(|prod| self.draw_grouped(grouped, assignment, u, prod));
        }
        self.draw_linear(assignment, u)
    }

    /// Inverse CDF over [`SamplerStep::conditional`] in value order (the
    /// first value whose running sum exceeds `u · total`; the last positive
    /// one if rounding leaves none), without writing the conditional out:
    /// one pass for the total, one for the running sums. Every product
    /// `w · prod[class]` is computed by the same expression in both passes
    /// and the total is summed in the same order as `conditional` sums it.
    fn draw_linear(&self, assignment: &[u32], u: f64) -> Option<u32> {
        self.with_class_products::<64, _>(assignment, |prod| {
            let mut total = 0.0;
            for (&w, &c) in self.weights.iter().zip(self.class_of.iter()) {
                total += w * prod[c as usize];
            }
            if !(total > 0.0 && total.is_finite()) {
                return None;
            }
            let target = u * total;
            let mut cum = 0.0;
            let mut last = None;
            for ((&v, &w), &c) in self.values.iter().zip(self.weights.iter()).zip(self.class_of.iter()) {
                let x = w * prod[c as usize];
                if x > 0.0 {
                    cum += x;
                    last = Some(v);
                    if cum > target {
                        return Some(v);
                    }
                }
            }
            last
        })
    }

    /// [`SamplerStep::draw_linear`] over this step's constant conditional, in `O(log n)`: the same
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
    pub fn draw_from(&self, from: usize, assignment: &mut [u32], mut uniform: impl FnMut(usize) -> f64) -> bool {
        for step in &self.steps[from.min(self.steps.len())..] {
            match step.draw(assignment, uniform(step.var)) {
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
                let mut others = Vec::with_capacity(f.shape.vars.len().saturating_sub(1));
                for (p, &u) in f.shape.vars.iter().enumerate() {
                    let map = &f.shape.maps[p];
                    if u == v {
                        for (x, &r) in step.a_map.iter().enumerate() {
                            own[r as usize] = map[x] as usize * st[p];
                        }
                    } else {
                        let alive = &self.red.alive[u];
                        let offsets = if alive.len() == domains[u] {
                            // Every value can occur: compact values are the original ones.
                            Offsets::Scaled { classes: super::ClassOf::clone(map), stride: st[p] }
                        } else {
                            let at =
                                alive.iter().enumerate().map(|(x, &orig)| (orig as usize, map[x] as usize * st[p]));
                            Offsets::new(domains[u], f.table.len(), at)
                        };
                        others.push((u, offsets));
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
            let grouped = (!inputs.is_empty() && Grouped::worth_it(alive.len(), step.layout.a_dim))
                .then(|| Grouped::new(&self.weights[v], &step.a_map, step.layout.a_dim));
            steps.push(SamplerStep {
                grouped,
                var: v,
                values: alive.clone(),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::solve::splitmix::Rng;
    use crate::solve::{Budget, Factor, Network};

    /// A 300-value trait next to a 4-value one, tied by 30 forbids and a
    /// pair factor that is not 0/1 on a few values: the big trait's step has
    /// inputs and few classes, so it draws by class.
    fn network() -> Network {
        let mut rng = Rng(11);
        let (a, b) = (300usize, 4usize);
        let mut net = Network::new(vec![a, b]);
        net.push(Factor::unary(0, (0..a).map(|_| 1.0 + rng.below(40) as f64).collect()));
        net.push(Factor::unary(1, (0..b).map(|_| 1.0 + rng.below(5) as f64).collect()));
        let mut table = vec![1.0; a * b];
        for _ in 0..30 {
            table[rng.below(a) * b + rng.below(b)] = 0.0;
        }
        for x in [3, 70, 71, 299] {
            table[x * b + 1] = 2.5;
            table[x * b + 2] = 0.25;
        }
        net.push(Factor::pair(0, 1, table));
        net
    }

    /// Inverse CDF on a fine grid of uniforms: every value of a step that
    /// draws by class is picked for a share of the grid equal to its
    /// conditional probability (computed by the linear pass), to within the
    /// grid's step, whatever the values drawn before it.
    #[test]
    fn drawing_by_class_follows_the_conditional_exactly() {
        let net = network();
        let model = WeightedModel::compile(&net, &[], &Budget::default()).unwrap();
        let sampler = model.sampler();
        let step = sampler.steps().iter().find(|s| s.grouped.is_some()).expect("a step drawn by class");
        let other = 1 - step.var;
        const GRID: usize = 200_000;
        let mut scratch = Vec::new();
        let mut prod = Vec::new();
        for earlier in 0..net.domains[other] as u32 {
            let mut assignment = vec![0u32; 2];
            assignment[other] = earlier;
            let total = step.conditional(&assignment, &mut scratch);
            assert!(total > 0.0);
            let mut picked = vec![0usize; net.domains[step.var]];
            for k in 0..GRID {
                let u = (k as f64 + 0.5) / GRID as f64;
                let v = step.draw(&assignment, u).unwrap();
                picked[v as usize] += 1;
            }
            step.conditional(&assignment, &mut scratch);
            let mut conditional = vec![0.0; net.domains[step.var]];
            for &(v, w) in &scratch {
                conditional[v as usize] = w / total;
            }
            for (v, (&n, &p)) in picked.iter().zip(&conditional).enumerate() {
                let share = n as f64 / GRID as f64;
                assert!((share - p).abs() <= 2.0 / GRID as f64, "value {v} given {earlier}: {share} vs {p}");
                if p == 0.0 {
                    assert_eq!(n, 0, "value {v} has no mass");
                }
            }
            // The ends of the unit interval still give values of positive mass.
            for u in [0.0, 1.0 - f64::EPSILON, 1.0] {
                let v = step.draw_grouped(step.grouped.as_ref().unwrap(), &assignment, u, &mut prod).unwrap();
                assert!(conditional[v as usize] > 0.0, "u {u} gave {v}");
            }
        }
    }

    /// Whole draws against the exact joint law (by enumeration): every pair
    /// within five standard errors over 400,000 draws.
    #[test]
    fn draws_by_class_follow_the_joint_law() {
        let net = network();
        let model = WeightedModel::compile(&net, &[], &Budget::default()).unwrap();
        let sampler = model.sampler();
        assert!(sampler.steps().iter().any(|s| s.grouped.is_some()));
        let (a, b) = (net.domains[0], net.domains[1]);
        let mut exact = vec![0.0; a * b];
        for x in 0..a {
            for y in 0..b {
                exact[x * b + y] = net.factors[0].table[x] * net.factors[1].table[y] * net.factors[2].table[x * b + y];
            }
        }
        let z: f64 = exact.iter().sum();
        let mut rng = Rng(5);
        const DRAWS: usize = 400_000;
        let mut seen = vec![0usize; a * b];
        let mut assignment = vec![0u32; 2];
        for _ in 0..DRAWS {
            let mut unit = || (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
            let us = [unit(), unit()];
            assert!(sampler.draw_from(0, &mut assignment, |v| us[v]));
            seen[assignment[0] as usize * b + assignment[1] as usize] += 1;
        }
        for (i, (&n, &w)) in seen.iter().zip(&exact).enumerate() {
            let p = w / z;
            let share = n as f64 / DRAWS as f64;
            let se = (p * (1.0 - p) / DRAWS as f64).sqrt();
            assert!((share - p).abs() <= 5.0 * se + 1e-9, "pair {i}: {share} vs {p}");
        }
    }
}
