//! Variable elimination over factors whose variables have compressed domains.
//!
//! Every [`LFactor`] stores, for each variable in its scope, a map from the
//! variable's (compact) values to *local classes*: values the factor cannot
//! tell apart share a class, and the table is dense over classes only. A rule
//! `forbid A.x with B.y` is thus a 2×2 table whatever the domain sizes.
//!
//! Eliminating a variable `A` multiplies the factors of its bucket and sums
//! `A` out. Over the bucket, each variable's values only need to be split as
//! finely as the *common refinement* of the bucket factors' partitions, so the
//! product is evaluated over refined classes ([`bucket`]); the weight of a
//! refined class of `A` is the sum of its values' weights, which is exact
//! because every bucket factor is constant on it. The resulting message keeps
//! the refined partitions of the remaining variables.
//!
//! The same code runs in several commutative semirings ([`Semiring`]): boolean
//! (support), saturating `u128` (counts) and `f64` (probability mass). The
//! [`Engine`] can keep every message so that [`backward`] can run reverse-mode
//! differentiation: the derivative of the partition function with respect to
//! the weight of a value is the mass of all assignments using that value,
//! which yields all marginals at about three times the cost of one forward
//! pass. (Derivatives are formal, so this is valid in any commutative
//! semiring as long as the computation is structural: merges decided from
//! numeric coincidences, as [`compress_exact`] on messages does, are only
//! used when no backward pass follows.) The kept messages and per-step refined
//! partitions are also what a forward-filtering / backward-sampling sampler needs.

use std::time::Instant;

use rayon::prelude::*;

/// Row-major strides of a dense table with the given dimensions.
pub(crate) fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; dims.len()];
    for j in (0..dims.len().saturating_sub(1)).rev() {
        s[j] = s[j + 1] * dims[j + 1];
    }
    s
}

/// Calls `f(digits, linear_index)` for every multi-index of a dense table, in
/// row-major order (last digit fastest). Nothing is called if a dimension is 0.
pub(crate) fn for_each_index(dims: &[usize], mut f: impl FnMut(&[usize], usize)) {
    if dims.contains(&0) {
        return;
    }
    let mut digits = vec![0usize; dims.len()];
    let mut lin = 0usize;
    loop {
        f(&digits, lin);
        lin += 1;
        if !next_index(&mut digits, dims) {
            return;
        }
    }
}

/// Moves `digits` to the next multi-index over `dims` (row-major, last digit
/// fastest); false after the last one.
pub(crate) fn next_index(digits: &mut [usize], dims: &[usize]) -> bool {
    for j in (0..digits.len()).rev() {
        digits[j] += 1;
        if digits[j] < dims[j] {
            return true;
        }
        digits[j] = 0;
    }
    false
}

/// A commutative semiring in which elimination can be carried out.
pub(super) trait Semiring: Copy + Send + Sync + PartialEq + std::fmt::Debug + 'static {
    /// Additive identity (and multiplicative annihilator).
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Semiring addition.
    fn add(self, other: Self) -> Self;
    /// Semiring multiplication.
    fn mul(self, other: Self) -> Self;
    /// Bits identifying the value, for hashing equal table slices.
    fn bits(self) -> u128;
    /// Whether the value is the additive identity.
    fn is_zero(self) -> bool {
        self == Self::ZERO
    }
    /// Rescales a freshly computed message to avoid under/overflow and returns
    /// the natural log of the factor divided out (0 when not rescaled).
    fn normalize(_table: &mut [Self]) -> f64 {
        0.0
    }
}

impl Semiring for bool {
    const ZERO: Self = false;
    const ONE: Self = true;
    fn add(self, other: Self) -> Self {
        self | other
    }
    fn mul(self, other: Self) -> Self {
        self & other
    }
    fn bits(self) -> u128 {
        u128::from(self)
    }
}

impl Semiring for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn add(self, other: Self) -> Self {
        self + other
    }
    fn mul(self, other: Self) -> Self {
        self * other
    }
    fn bits(self) -> u128 {
        u128::from(self.to_bits())
    }
    fn normalize(table: &mut [Self]) -> f64 {
        let max = table.iter().copied().fold(0.0f64, f64::max);
        if max > 0.0 && max != 1.0 {
            let inv = 1.0 / max;
            table.iter_mut().for_each(|x| *x *= inv);
            max.ln()
        } else {
            0.0
        }
    }
}

/// A natural number with saturating arithmetic: `u128::MAX` stands for "`u128::MAX` or more".
/// `n ↦ min(n, u128::MAX)` is a semiring homomorphism, so results are exact up to saturation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sat(pub u128);

impl Semiring for Sat {
    const ZERO: Self = Sat(0);
    const ONE: Self = Sat(1);
    fn add(self, other: Self) -> Self {
        Sat(self.0.saturating_add(other.0))
    }
    fn mul(self, other: Self) -> Self {
        // Most entries are 0/1 rule tables: avoid the wide multiplication then.
        if other.0 <= 1 { if other.0 == 0 { Sat(0) } else { self } } else { Sat(self.0.saturating_mul(other.0)) }
    }
    fn bits(self) -> u128 {
        self.0
    }
}

/// Scope and per-variable partitions of a factor (its table excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Shape {
    /// Variables of the factor.
    pub vars: Vec<usize>,
    /// For each scope variable, its compact value -> local class (shared
    /// with the factor's classes and the other shapes that copy it).
    pub maps: Vec<super::ClassOf>,
    /// Number of local classes of each scope variable.
    pub dims: Vec<usize>,
}

impl Shape {
    /// Position of `var` in the scope.
    pub fn position(&self, var: usize) -> Option<usize> {
        self.vars.iter().position(|&v| v == var)
    }

    /// Number of table entries.
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    /// The shape without the variables flagged in `mask` (what conditioning on them leaves).
    pub fn without(&self, mask: &[bool]) -> Shape {
        let mut s = Shape { vars: Vec::new(), maps: Vec::new(), dims: Vec::new() };
        for (p, &v) in self.vars.iter().enumerate() {
            if !mask[v] {
                s.vars.push(v);
                s.maps.push(self.maps[p].clone());
                s.dims.push(self.dims[p]);
            }
        }
        s
    }

    /// Removes scope variables with a single class: the table does not depend on them.
    fn drop_unit_dims(&mut self) {
        let mut p = 0;
        while p < self.vars.len() {
            if self.dims[p] == 1 {
                self.vars.remove(p);
                self.maps.remove(p);
                self.dims.remove(p);
            } else {
                p += 1;
            }
        }
    }
}

/// A factor over local classes.
#[derive(Debug, Clone)]
pub(super) struct LFactor<S> {
    /// Scope and partitions.
    pub shape: Shape,
    /// Dense row-major table over the local classes.
    pub table: Vec<S>,
}

impl<S: Semiring> LFactor<S> {
    /// The same factor in another semiring.
    pub fn convert<T: Semiring>(self, f: impl Fn(S) -> T) -> LFactor<T> {
        LFactor { shape: self.shape, table: self.table.into_iter().map(f).collect() }
    }

    /// Keeps, at scope position `j`, only the classes `keep` (in that order), and
    /// composes the variable's map with `new_of_old`.
    fn select(&mut self, j: usize, keep: &[usize], new_of_old: &[u32]) {
        self.table = select_table(&self.table, &self.shape.dims, j, keep);
        self.shape.dims[j] = keep.len();
        self.shape.maps[j] = self.shape.maps[j].iter().map(|&x| new_of_old[x as usize]).collect();
    }
}

/// The table over `dims` keeping, at scope position `j`, only the classes `keep` (in that order).
pub(super) fn select_table<S: Copy>(table: &[S], dims: &[usize], j: usize, keep: &[usize]) -> Vec<S> {
    let d = dims[j];
    let inner: usize = dims[j + 1..].iter().product();
    let outer: usize = dims[..j].iter().product();
    let mut out = Vec::with_capacity(outer * keep.len() * inner);
    for o in 0..outer {
        for &c in keep {
            let start = (o * d + c) * inner;
            out.extend_from_slice(&table[start..start + inner]);
        }
    }
    out
}

/// Slice `c` of scope position `j` of a table: entries with that class at `j`.
fn slice_iter<S: Copy>(table: &[S], dims: &[usize], j: usize, c: usize) -> impl Iterator<Item = S> {
    let d = dims[j];
    let inner: usize = dims[j + 1..].iter().product();
    let outer: usize = dims[..j].iter().product();
    (0..outer).flat_map(move |o| {
        let start = (o * d + c) * inner;
        table[start..start + inner].iter().copied()
    })
}

fn mix(h: u64, x: u128) -> u64 {
    let folded = (x as u64) ^ ((x >> 64) as u64);
    (h.rotate_left(5) ^ folded).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// Merges, for every scope variable, local classes whose table slices are
/// identical, then drops variables left with one class. Exact: the table is
/// the same function of the compact values before and after.
pub(super) fn compress_exact<S: Semiring>(f: &mut LFactor<S>) {
    for j in 0..f.shape.vars.len() {
        let d = f.shape.dims[j];
        if d <= 1 {
            continue;
        }
        let hashes: Vec<u64> =
            (0..d).map(|c| slice_iter(&f.table, &f.shape.dims, j, c).fold(0u64, |h, x| mix(h, x.bits()))).collect();
        let mut keep: Vec<usize> = Vec::new();
        let mut new_of_old = vec![0u32; d];
        for c in 0..d {
            let found = keep.iter().position(|&k| {
                hashes[k] == hashes[c]
                    && slice_iter(&f.table, &f.shape.dims, j, k).eq(slice_iter(&f.table, &f.shape.dims, j, c))
            });
            new_of_old[c] = match found {
                Some(i) => i as u32,
                None => {
                    keep.push(c);
                    (keep.len() - 1) as u32
                }
            };
        }
        if keep.len() < d {
            f.select(j, &keep, &new_of_old);
        }
    }
    f.shape.drop_unit_dims();
}

/// Relative tolerance under which two normalised slices count as proportional.
const PROPORTIONAL_TOLERANCE: f64 = 1e-12;

/// Like [`compress_exact`] for probability tables, but merges classes whose
/// slices are *proportional*; the ratio to the class representative is moved
/// into the per-value `weights` of the variable (`weights[var][value]`), which
/// leaves the product of weights and factors unchanged (up to the tolerance).
///
/// The factor is the dense one over the compact domains `sizes` of `vars`
/// with `table`, which is read where it is (borrowed from the network) and
/// copied only once it has shrunk.
/// A factor over classes starts from its classes (values of one class have
/// identical slices, so the result is the same as from the values).
pub(super) fn compress_proportional_from(
    cf: super::prep::CFactor<'_>,
    sizes: &[usize],
    weights: &mut [Vec<f64>],
) -> LFactor<f64> {
    let shape = cf.shape(sizes);
    compress_shaped(shape, cf.table, weights)
}

fn compress_shaped(shape: Shape, table: std::borrow::Cow<'_, [f64]>, weights: &mut [Vec<f64>]) -> LFactor<f64> {
    let mut table = table;
    let mut shape = shape;
    for j in 0..shape.vars.len() {
        let d = shape.dims[j];
        if d <= 1 {
            continue;
        }
        let maxes: Vec<f64> = (0..d).map(|c| slice_iter(&table, &shape.dims, j, c).fold(0.0f64, f64::max)).collect();
        let scale = |c: usize| if maxes[c] > 0.0 { 1.0 / maxes[c] } else { 1.0 };
        let hashes: Vec<u64> = (0..d)
            .map(|c| {
                let s = scale(c);
                slice_iter(&table, &shape.dims, j, c)
                    .fold(0u64, |h, x| mix(h, (x * s * (1u64 << 36) as f64).round() as u128))
            })
            .collect();
        let mut keep: Vec<usize> = Vec::new();
        let mut new_of_old = vec![0u32; d];
        let mut ratio = vec![1.0f64; d];
        for c in 0..d {
            let (sc, dims) = (scale(c), &shape.dims);
            let found = keep.iter().position(|&k| {
                let sk = scale(k);
                hashes[k] == hashes[c]
                    && slice_iter(&table, dims, j, k)
                        .zip(slice_iter(&table, dims, j, c))
                        .all(|(a, b)| (a == 0.0) == (b == 0.0) && (a * sk - b * sc).abs() <= PROPORTIONAL_TOLERANCE)
            });
            new_of_old[c] = match found {
                Some(i) => {
                    let k = keep[i];
                    if maxes[k] > 0.0 {
                        ratio[c] = maxes[c] / maxes[k];
                    }
                    i as u32
                }
                None => {
                    keep.push(c);
                    (keep.len() - 1) as u32
                }
            };
        }
        if keep.len() < d {
            let var = shape.vars[j];
            for (x, &c) in shape.maps[j].iter().enumerate() {
                weights[var][x] *= ratio[c as usize];
            }
            table = std::borrow::Cow::Owned(select_table(&table, &shape.dims, j, &keep));
            shape.dims[j] = keep.len();
            shape.maps[j] = shape.maps[j].iter().map(|&x| new_of_old[x as usize]).collect();
        }
    }
    shape.drop_unit_dims();
    LFactor { shape, table: table.into_owned() }
}

/// The common refinement of several partitions of `0..n`, numbered by first appearance.
pub(super) fn refine(n: usize, parts: &[(&[u32], usize)]) -> (Vec<u32>, usize) {
    let mut cur = vec![0u32; n];
    let mut count = usize::from(n > 0);
    for &(map, classes) in parts {
        let mut lookup = vec![u32::MAX; count * classes];
        let mut next = 0u32;
        for (x, c) in cur.iter_mut().enumerate() {
            let key = *c as usize * classes + map[x] as usize;
            if lookup[key] == u32::MAX {
                lookup[key] = next;
                next += 1;
            }
            *c = lookup[key];
        }
        count = next as usize;
    }
    (cur, count)
}

/// [`refine`] of the partitions at `parts` (each a shape's map and class
/// count), shared with the one partition it is when there is one, numbered
/// by first appearance already (a variable only one factor of a bucket
/// mentions: its classes pass through the step unchanged, and a map over
/// 100,000 values is not copied for it).
fn refine_shared(n: usize, parts: &[(&super::ClassOf, usize)]) -> (super::ClassOf, usize) {
    if let [(map, _)] = parts {
        let mut next = 0u32;
        let canonical = map.iter().all(|&c| {
            if c == next {
                next += 1;
            }
            c < next
        });
        if canonical && map.len() == n {
            return (super::ClassOf::clone(map), next as usize);
        }
    }
    let slices: Vec<(&[u32], usize)> = parts.iter().map(|&(m, d)| (&m[..], d)).collect();
    let (map, count) = refine(n, &slices);
    (map.into(), count)
}

/// Index arithmetic of one elimination step.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    /// Dimensions (refined class counts) of the output message.
    pub out_dims: Vec<usize>,
    /// For every output position: the inputs mentioning that variable, with the
    /// offset into the input table contributed by each refined class.
    pos: Vec<Vec<(usize, Vec<usize>)>>,
    /// Offsets contributed by each refined class `r` of the eliminated variable,
    /// flattened as `a_off[r * inputs + i]`.
    a_off: Vec<usize>,
    /// Number of inputs.
    inputs: usize,
    /// Number of refined classes of the eliminated variable.
    pub a_dim: usize,
}

/// A refined partition: compact value -> refined class, class count, and for
/// each input mentioning the variable, the table offset of each refined class.
type Refined = (super::ClassOf, usize, Vec<(usize, Vec<usize>)>);

/// The result of analysing one bucket: the output's shape and the step's layout.
#[derive(Debug, Clone)]
pub(super) struct Bucket {
    /// Shape of the output message (refined partitions, unit dimensions kept).
    pub out: Shape,
    /// Refined classes of the eliminated variable, by compact value.
    pub a_map: super::ClassOf,
    /// Index arithmetic.
    pub layout: Layout,
}

/// Analyses the elimination of `var` from the factors with the given shapes.
pub(super) fn bucket(shapes: &[&Shape], var: usize, sizes: &[usize]) -> Bucket {
    let mut union: Vec<usize> = shapes.iter().flat_map(|s| s.vars.iter().copied()).filter(|&v| v != var).collect();
    union.sort_unstable();
    union.dedup();
    let in_strides: Vec<Vec<usize>> = shapes.iter().map(|s| strides(&s.dims)).collect();
    // Refined partition of `v` and, per input mentioning it, offsets by refined class.
    let refine_var = |v: usize| -> Refined {
        let parts: Vec<(usize, usize)> =
            shapes.iter().enumerate().filter_map(|(i, s)| s.position(v).map(|p| (i, p))).collect();
        let maps: Vec<(&super::ClassOf, usize)> =
            parts.iter().map(|&(i, p)| (&shapes[i].maps[p], shapes[i].dims[p])).collect();
        let (map, count) = refine_shared(sizes[v], &maps);
        let offs = parts
            .iter()
            .map(|&(i, p)| {
                let mut off = vec![0usize; count];
                for (x, &r) in map.iter().enumerate() {
                    off[r as usize] = shapes[i].maps[p][x] as usize * in_strides[i][p];
                }
                (i, off)
            })
            .collect();
        (map, count, offs)
    };
    let mut out = Shape { vars: union.clone(), maps: Vec::new(), dims: Vec::new() };
    let mut pos = Vec::with_capacity(union.len());
    for &v in &union {
        let (map, count, offs) = refine_var(v);
        out.maps.push(map);
        out.dims.push(count);
        pos.push(offs);
    }
    let (a_map, a_dim, a_offs) = refine_var(var);
    let k = shapes.len();
    let mut a_off = vec![0usize; a_dim * k];
    for (i, off) in a_offs {
        for (r, o) in off.into_iter().enumerate() {
            a_off[r * k + i] = o;
        }
    }
    let layout = Layout { out_dims: out.dims.clone(), pos, a_off, inputs: k, a_dim };
    Bucket { out, a_map, layout }
}

/// The output shape of [`bucket`] without its layout, and the step's size
/// (entries ranged over: output entries times refined classes of the
/// eliminated variable): what the greedy orders score candidates by.
fn bucket_shape(shapes: &[&Shape], var: usize, sizes: &[usize]) -> (Shape, f64) {
    let mut union: Vec<usize> = shapes.iter().flat_map(|s| s.vars.iter().copied()).filter(|&v| v != var).collect();
    union.sort_unstable();
    union.dedup();
    let refine_var = |v: usize| -> (super::ClassOf, usize) {
        let maps: Vec<(&super::ClassOf, usize)> =
            shapes.iter().filter_map(|s| s.position(v).map(|p| (&s.maps[p], s.dims[p]))).collect();
        refine_shared(sizes[v], &maps)
    };
    let mut out = Shape { vars: union, maps: Vec::new(), dims: Vec::new() };
    for j in 0..out.vars.len() {
        let (map, count) = refine_var(out.vars[j]);
        out.maps.push(map);
        out.dims.push(count);
    }
    let (_, a_dim) = refine_var(var);
    let size = out.dims.iter().map(|&d| d as f64).product::<f64>() * a_dim as f64;
    (out, size)
}

/// Initial digits and input offsets for output index `start`.
fn start_state(lay: &Layout, start: usize) -> (Vec<usize>, Vec<usize>) {
    let m = lay.out_dims.len();
    let mut digits = vec![0usize; m];
    let mut rem = start;
    for j in (0..m).rev() {
        digits[j] = rem % lay.out_dims[j];
        rem /= lay.out_dims[j];
    }
    let mut base = vec![0usize; lay.inputs];
    for (j, entries) in lay.pos.iter().enumerate() {
        for (i, offs) in entries {
            base[*i] += offs[digits[j]];
        }
    }
    (digits, base)
}

/// Moves to the next output index (row-major), updating input offsets.
#[inline]
fn advance(lay: &Layout, digits: &mut [usize], base: &mut [usize]) {
    let mut j = digits.len();
    while j > 0 {
        j -= 1;
        let d = digits[j];
        let next = if d + 1 < lay.out_dims[j] { d + 1 } else { 0 };
        for (i, offs) in &lay.pos[j] {
            base[*i] = base[*i] - offs[d] + offs[next];
        }
        digits[j] = next;
        if next != 0 {
            return;
        }
    }
}

/// Computes `out[o] = ⊕_r wa[r] ⊗ ⊗_i inputs[i][..]` for output indices `start..start + out.len()`.
fn forward_range<S: Semiring>(lay: &Layout, inputs: &[&[S]], wa: &[S], out: &mut [S], start: usize) {
    let (mut digits, mut base) = start_state(lay, start);
    let k = lay.inputs;
    for o in out.iter_mut() {
        let mut acc = S::ZERO;
        for (r, &w) in wa.iter().enumerate() {
            let offs = &lay.a_off[r * k..(r + 1) * k];
            let mut p = w;
            for i in 0..k {
                if p.is_zero() {
                    break;
                }
                p = p.mul(inputs[i][base[i] + offs[i]]);
            }
            acc = acc.add(p);
        }
        *o = acc;
        advance(lay, &mut digits, &mut base);
    }
}

/// Reverse of [`forward_range`] for output indices `start..start + adj_out.len()`:
/// accumulates into `grads[i]` (for inputs that need it) and `adj_wa` the
/// derivatives of `Σ_o adj_out[o] · out[o]`.
fn backward_range<S: Semiring>(
    lay: &Layout,
    inputs: &[&[S]],
    wa: &[S],
    adj_out: &[S],
    start: usize,
    grads: &mut [Option<Vec<S>>],
    adj_wa: &mut [S],
) {
    let (mut digits, mut base) = start_state(lay, start);
    let k = lay.inputs;
    let mut vals = vec![S::ZERO; k];
    let mut prefix = vec![S::ONE; k + 1];
    for &a in adj_out {
        if !a.is_zero() {
            for (r, &w) in wa.iter().enumerate() {
                let offs = &lay.a_off[r * k..(r + 1) * k];
                for i in 0..k {
                    vals[i] = inputs[i][base[i] + offs[i]];
                    prefix[i + 1] = prefix[i].mul(vals[i]);
                }
                adj_wa[r] = adj_wa[r].add(a.mul(prefix[k]));
                let aw = a.mul(w);
                if aw.is_zero() {
                    continue;
                }
                let mut suffix = S::ONE;
                for i in (0..k).rev() {
                    if let Some(g) = grads[i].as_mut() {
                        let idx = base[i] + offs[i];
                        g[idx] = g[idx].add(aw.mul(prefix[i]).mul(suffix));
                    }
                    suffix = suffix.mul(vals[i]);
                }
            }
        }
        advance(lay, &mut digits, &mut base);
    }
}

/// Derivatives of one step: per input (if requested), and per refined class of the eliminated variable.
type StepGrads<S> = (Vec<Option<Vec<S>>>, Vec<S>);

/// Number of output ranges a large backward step is split into. Fixed (not
/// the thread count) so that floating-point results do not depend on the machine.
const BACKWARD_PARTS: usize = 4;

/// Derivatives of one step: per input (`None` where `needs_grad` is false) and
/// per refined class of the eliminated variable. Large steps are split into
/// [`BACKWARD_PARTS`] output ranges computed in parallel and summed in order.
fn backward_step<S: Semiring>(
    lay: &Layout,
    inputs: &[&[S]],
    wa: &[S],
    adj_out: &[S],
    needs_grad: &[bool],
) -> StepGrads<S> {
    let fresh = || -> StepGrads<S> {
        let grads = inputs.iter().zip(needs_grad).map(|(t, &n)| n.then(|| vec![S::ZERO; t.len()])).collect();
        (grads, vec![S::ZERO; wa.len()])
    };
    let work = adj_out.len().saturating_mul(wa.len()).saturating_mul(inputs.len().max(1));
    let parts = if work >= 4 * PARALLEL_WORK && adj_out.len() >= BACKWARD_PARTS { BACKWARD_PARTS } else { 1 };
    let chunk = adj_out.len().div_ceil(parts);
    let results: Vec<StepGrads<S>> = (0..parts)
        .into_par_iter()
        .map(|p| {
            let (mut grads, mut adj_wa) = fresh();
            let start = (p * chunk).min(adj_out.len());
            let end = (start + chunk).min(adj_out.len());
            backward_range(lay, inputs, wa, &adj_out[start..end], start, &mut grads, &mut adj_wa);
            (grads, adj_wa)
        })
        .collect();
    let mut results = results.into_iter();
    let (mut grads, mut adj_wa) = results.next().unwrap_or_else(fresh);
    for (more_grads, more_wa) in results {
        for (g, m) in grads.iter_mut().zip(more_grads) {
            if let (Some(g), Some(m)) = (g.as_mut(), m) {
                g.iter_mut().zip(m).for_each(|(a, b)| *a = a.add(b));
            }
        }
        adj_wa.iter_mut().zip(more_wa).for_each(|(a, b)| *a = a.add(b));
    }
    (grads, adj_wa)
}

/// Why an elimination stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Abort {
    /// The deadline passed.
    Timeout,
}

/// One elimination step, as kept for the backward pass (and a future sampler).
#[derive(Debug, Clone)]
pub(super) struct Step<S> {
    /// The eliminated variable.
    pub var: usize,
    /// Ids of the factors of its bucket.
    pub inputs: Vec<usize>,
    /// Id of the produced message.
    pub output: usize,
    /// Index arithmetic of the step.
    pub layout: Layout,
    /// Refined class of each compact value of `var`.
    pub a_map: super::ClassOf,
    /// Weight of each refined class of `var`.
    pub weights: Vec<S>,
}

/// Options of an [`Engine`].
#[derive(Debug, Clone, Copy)]
pub(super) struct EngineOptions {
    /// Keep consumed factors and steps (needed by [`backward`]).
    pub keep: bool,
    /// Merge identical slices of every new message (not allowed with `keep`).
    pub post_compress: bool,
    /// Give up when this instant has passed.
    pub deadline: Option<Instant>,
}

/// Work (entries × inputs) above which a step is spread over threads.
const PARALLEL_WORK: usize = 1 << 16;
/// Output entries per parallel chunk (also the granularity of deadline checks).
const CHUNK: usize = 1 << 12;

/// Bucket elimination state: all factors ever created, and which are still active.
#[derive(Debug, Clone)]
pub(super) struct Engine<S> {
    /// Compact domain sizes.
    sizes: Vec<usize>,
    /// Original factors first, then one message per step.
    pub factors: Vec<LFactor<S>>,
    /// Number of original factors.
    pub originals: usize,
    consumed: Vec<bool>,
    by_var: Vec<Vec<usize>>,
    /// Steps in elimination order (only with `keep`).
    pub steps: Vec<Step<S>>,
    /// Sum of the logs of the scale factors divided out of messages.
    pub log_scale: f64,
    opts: EngineOptions,
}

impl<S: Semiring> Engine<S> {
    /// An engine over `factors` (variables have compact domains `sizes`).
    pub fn new(factors: Vec<LFactor<S>>, sizes: &[usize], opts: EngineOptions) -> Self {
        let mut by_var = vec![Vec::new(); sizes.len()];
        for (id, f) in factors.iter().enumerate() {
            for &v in &f.shape.vars {
                by_var[v].push(id);
            }
        }
        Engine {
            sizes: sizes.to_vec(),
            originals: factors.len(),
            consumed: vec![false; factors.len()],
            factors,
            by_var,
            steps: Vec::new(),
            log_scale: 0.0,
            opts,
        }
    }

    /// Eliminates `var`; `weights(a_map, a_dim)` gives the weight of each refined class.
    pub fn eliminate(&mut self, var: usize, weights: impl FnOnce(&[u32], usize) -> Vec<S>) -> Result<(), Abort> {
        let mut ids: Vec<usize> = self.by_var[var].iter().copied().filter(|&id| !self.consumed[id]).collect();
        ids.sort_unstable();
        ids.dedup();
        self.by_var[var].clear();
        let shapes: Vec<&Shape> = ids.iter().map(|&id| &self.factors[id].shape).collect();
        let b = bucket(&shapes, var, &self.sizes);
        let wa = weights(&b.a_map, b.layout.a_dim);
        let inputs: Vec<&[S]> = ids.iter().map(|&id| self.factors[id].table.as_slice()).collect();
        let len = b.out.len();
        let mut out = vec![S::ZERO; len];
        let work = len.saturating_mul(b.layout.a_dim).saturating_mul(ids.len().max(1));
        let deadline = self.opts.deadline;
        let expired = || deadline.is_some_and(|d| Instant::now() >= d);
        let lay = &b.layout;
        if work >= PARALLEL_WORK {
            out.par_chunks_mut(CHUNK).enumerate().try_for_each(|(c, chunk)| {
                if expired() {
                    return Err(Abort::Timeout);
                }
                forward_range(lay, &inputs, &wa, chunk, c * CHUNK);
                Ok(())
            })?;
        } else {
            if expired() {
                return Err(Abort::Timeout);
            }
            forward_range(lay, &inputs, &wa, &mut out, 0);
        }
        self.log_scale += S::normalize(&mut out);
        for &id in &ids {
            self.consumed[id] = true;
            if !self.opts.keep {
                self.factors[id].table = Vec::new();
            }
        }
        let mut message = LFactor { shape: b.out, table: out };
        if self.opts.post_compress && !self.opts.keep {
            compress_exact(&mut message);
        } else {
            message.shape.drop_unit_dims();
        }
        let output = self.factors.len();
        for &v in &message.shape.vars {
            self.by_var[v].push(output);
        }
        self.factors.push(message);
        self.consumed.push(false);
        if self.opts.keep {
            self.steps.push(Step { var, inputs: ids, output, layout: b.layout, a_map: b.a_map, weights: wa });
        }
        Ok(())
    }

    /// Ids of the factors not consumed yet.
    pub fn remaining(&self) -> Vec<usize> {
        (0..self.factors.len()).filter(|&id| !self.consumed[id]).collect()
    }

    /// The factors not consumed yet.
    pub fn into_remaining(self) -> Vec<LFactor<S>> {
        let consumed = self.consumed;
        self.factors.into_iter().zip(consumed).filter(|(_, c)| !c).map(|(f, _)| f).collect()
    }

    /// Product of the remaining factors, which must all be scalars (all variables eliminated).
    pub fn scalar_product(&self) -> S {
        self.remaining()
            .iter()
            .fold(S::ONE, |acc, &id| acc.mul(self.factors[id].table.first().copied().unwrap_or(S::ZERO)))
    }
}

/// Reverse pass over an engine that eliminated every variable with `keep`:
/// for every step, the derivative of the final product with respect to the
/// weight of each refined class of the eliminated variable.
pub(super) fn backward<S: Semiring>(eng: &Engine<S>) -> Vec<Vec<S>> {
    let mut adj: Vec<Option<Vec<S>>> = vec![None; eng.factors.len()];
    // Seeds: the derivative of a product of scalars with respect to one of them.
    let finals = eng.remaining();
    for (n, &id) in finals.iter().enumerate() {
        let others = finals
            .iter()
            .enumerate()
            .filter(|&(m, _)| m != n)
            .fold(S::ONE, |acc, (_, &o)| acc.mul(eng.factors[o].table.first().copied().unwrap_or(S::ZERO)));
        adj[id] = Some(vec![others; eng.factors[id].table.len()]);
    }
    let mut result = vec![Vec::new(); eng.steps.len()];
    for (s, step) in eng.steps.iter().enumerate().rev() {
        let adj_out = adj[step.output].take().unwrap_or_else(|| vec![S::ZERO; eng.factors[step.output].table.len()]);
        let inputs: Vec<&[S]> = step.inputs.iter().map(|&id| eng.factors[id].table.as_slice()).collect();
        // Original factors are constants: only messages need derivatives.
        let needs_grad: Vec<bool> = step.inputs.iter().map(|&id| id >= eng.originals).collect();
        let (grads, adj_wa) = backward_step(&step.layout, &inputs, &step.weights, &adj_out, &needs_grad);
        for (&id, g) in step.inputs.iter().zip(grads) {
            if let Some(g) = g {
                adj[id] = Some(match adj[id].take() {
                    Some(prev) => prev.into_iter().zip(g).map(|(a, b)| a.add(b)).collect(),
                    None => g,
                });
            }
        }
        result[s] = adj_wa;
    }
    result
}

/// An elimination order and the largest step it needs.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// Variables in elimination order.
    pub order: Vec<usize>,
    /// Largest step size ([`bucket_shape`]) over the steps (an upper bound: the engine may compress more).
    pub max_size: f64,
    /// Sum of the step sizes (proportional to the work).
    pub total: f64,
}

/// Greedy criteria for choosing the next variable to eliminate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Heuristic {
    /// Smallest step (product of refined class counts of the bucket).
    MinSize,
    /// Fewest new interactions (fill edges), then smallest step.
    MinFill,
    /// Smallest sum over fill edges of the product of the two variables' class counts.
    WeightedFill,
}

/// Scores of a candidate variable.
#[derive(Debug, Clone, Default)]
struct Score {
    size: f64,
    factors: usize,
    fill: f64,
    weighted_fill: f64,
    /// Refined class count of each neighbour in the variable's bucket.
    dims: Vec<(usize, usize)>,
    /// The output shape of the variable's bucket (as [`bucket_shape`] gives it).
    out: Option<Shape>,
}

/// Greedy elimination order for `vars`, simulated on shapes, with the given
/// heuristic; every variable of a lower `group` goes before any of a higher
/// one. Step sizes account for the refined partitions, so a variable whose
/// factors only distinguish a few of its values is cheap.
///
/// Stops at the first step larger than `abort_above`: the returned plan then
/// has that step's size as `max_size` (a lower bound for the full order) and
/// an incomplete order.
fn greedy(
    shapes: &[Shape],
    sizes: &[usize],
    vars: &[usize],
    group: &dyn Fn(usize) -> u8,
    heuristic: Heuristic,
    abort_above: f64,
    initial: &Scores,
) -> Plan {
    let Scores { by_var, adj, scores } = initial;
    let (mut by_var, mut adj, mut scores) = (by_var.clone(), adj.clone(), scores.clone());
    let mut facs: Vec<Option<Shape>> = shapes.iter().cloned().map(Some).collect();
    let n = sizes.len();
    let mut pending = vec![false; n];
    for &v in vars {
        pending[v] = true;
    }
    let key = |v: usize, s: &Score| -> (u8, f64, f64, f64) {
        match heuristic {
            Heuristic::MinSize => (group(v), s.size, s.factors as f64, v as f64),
            Heuristic::MinFill => (group(v), s.fill, s.size, v as f64),
            Heuristic::WeightedFill => (group(v), s.weighted_fill, s.size, v as f64),
        }
    };
    let mut order = Vec::with_capacity(vars.len());
    let (mut max_size, mut total) = (0.0f64, 0.0f64);
    for _ in 0..vars.len() {
        let best = (0..n)
            .filter(|&v| pending[v])
            .min_by(|&a, &b| key(a, &scores[a]).partial_cmp(&key(b, &scores[b])).unwrap_or(std::cmp::Ordering::Equal));
        let Some(v) = best else { break };
        pending[v] = false;
        order.push(v);
        let ids: Vec<usize> = by_var[v].iter().copied().filter(|&id| facs[id].is_some()).collect();
        // The score of a pending variable is always that of its current
        // bucket (rescored whenever a factor of it changes): its output
        // shape is the step's.
        let (mut out, size) = match scores[v].out.take() {
            Some(out) => (out, scores[v].size),
            None => {
                let shapes: Vec<&Shape> = ids.iter().filter_map(|&id| facs[id].as_ref()).collect();
                bucket_shape(&shapes, v, sizes)
            }
        };
        max_size = max_size.max(size);
        total += size;
        if size > abort_above {
            break;
        }
        for &id in &ids {
            facs[id] = None;
        }
        out.drop_unit_dims();
        let touched = out.vars.clone();
        if !out.vars.is_empty() {
            let id = facs.len();
            for &u in &out.vars {
                by_var[u].push(id);
            }
            facs.push(Some(out));
        }
        // The bucket's variables become pairwise adjacent; `v` disappears.
        let neighbours = std::mem::take(&mut adj[v]);
        for &u in &neighbours {
            let a = &mut adj[u];
            a.retain(|&w| w != v);
            a.extend(touched.iter().copied().filter(|&w| w != u));
            a.sort_unstable();
            a.dedup();
        }
        for &u in &touched {
            by_var[u].retain(|&id| facs[id].is_some());
            if pending[u] {
                let mut s = std::mem::take(&mut scores[u]);
                bucket_score(&facs, &by_var, u, sizes, &mut s);
                scores[u] = s;
            }
        }
        if heuristic != Heuristic::MinSize {
            let mut affected: Vec<usize> =
                neighbours.iter().flat_map(|&u| adj[u].iter().copied().chain(std::iter::once(u))).collect();
            affected.sort_unstable();
            affected.dedup();
            for u in affected {
                if pending[u] {
                    let mut s = std::mem::take(&mut scores[u]);
                    fill_score(&adj, u, &mut s);
                    scores[u] = s;
                }
            }
        }
    }
    Plan { order, max_size, total }
}

/// What every greedy order starts from: the factors of each variable, the
/// interaction graph and the score of every variable to eliminate (the
/// same for every heuristic, so computed once).
struct Scores {
    by_var: Vec<Vec<usize>>,
    adj: Vec<Vec<usize>>,
    scores: Vec<Score>,
}

impl Scores {
    /// The starting point for eliminating `vars`; `fill`: with the fill
    /// scores (only [`Heuristic::MinSize`] goes without).
    fn new(shapes: &[Shape], sizes: &[usize], vars: &[usize], fill: bool) -> Scores {
        let n = sizes.len();
        let mut by_var: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (id, f) in shapes.iter().enumerate() {
            for &v in &f.vars {
                by_var[v].push(id);
                adj[v].extend(f.vars.iter().copied().filter(|&u| u != v));
            }
        }
        for a in &mut adj {
            a.sort_unstable();
            a.dedup();
        }
        let facs: Vec<Option<Shape>> = shapes.iter().cloned().map(Some).collect();
        let mut scores: Vec<Score> = vec![Score::default(); n];
        for &v in vars {
            bucket_score(&facs, &by_var, v, sizes, &mut scores[v]);
            if fill {
                fill_score(&adj, v, &mut scores[v]);
            }
        }
        Scores { by_var, adj, scores }
    }
}

/// Scores `v` by the bucket of its current factors.
fn bucket_score(facs: &[Option<Shape>], by_var: &[Vec<usize>], v: usize, sizes: &[usize], score: &mut Score) {
    let shapes: Vec<&Shape> = by_var[v].iter().filter_map(|&id| facs[id].as_ref()).collect();
    let (out, size) = bucket_shape(&shapes, v, sizes);
    score.size = size;
    score.factors = shapes.len();
    score.dims = out.vars.iter().copied().zip(out.dims.iter().copied()).collect();
    score.out = Some(out);
}

/// Scores `v` by the interactions its elimination adds.
fn fill_score(adj: &[Vec<usize>], v: usize, score: &mut Score) {
    let nb = &adj[v];
    let dim = |u: usize| score.dims.iter().find(|(w, _)| *w == u).map_or(1.0, |&(_, d)| d as f64);
    let (mut fill, mut weighted) = (0.0, 0.0);
    for (i, &a) in nb.iter().enumerate() {
        for &b in &nb[i + 1..] {
            if adj[a].binary_search(&b).is_err() {
                fill += 1.0;
                weighted += dim(a) * dim(b);
            }
        }
    }
    score.fill = fill;
    score.weighted_fill = weighted;
}

/// The best of the greedy orders for `vars` (see [`greedy`]): the one with the
/// least total work among those whose largest step fits `budget`. If none
/// fits, the returned plan's `max_size` exceeds `budget` (it is then only a
/// lower bound of what that order would need) and its order is incomplete.
pub(super) fn plan(
    shapes: &[Shape],
    sizes: &[usize],
    vars: &[usize],
    group: &dyn Fn(usize) -> u8,
    budget: f64,
) -> Plan {
    let initial = Scores::new(shapes, sizes, vars, true);
    let plans = [Heuristic::MinFill, Heuristic::WeightedFill, Heuristic::MinSize]
        .map(|h| greedy(shapes, sizes, vars, group, h, budget, &initial));
    let fits = |p: &Plan| p.max_size <= budget;
    let mut best = plans[0].clone();
    for p in &plans[1..] {
        let better = match (fits(p), fits(&best)) {
            (true, true) => p.total < best.total,
            (true, false) => true,
            (false, true) => false,
            (false, false) => p.max_size < best.max_size,
        };
        if better {
            best = p.clone();
        }
    }
    best
}

/// The order of a single greedy heuristic (smallest step first), stopping at
/// the first step over `budget`: for queries whose answer does not depend
/// on the order (exact counts), enough when it fits.
pub(super) fn quick_plan(
    shapes: &[Shape],
    sizes: &[usize],
    vars: &[usize],
    group: &dyn Fn(usize) -> u8,
    budget: f64,
) -> Plan {
    let initial = Scores::new(shapes, sizes, vars, false);
    greedy(shapes, sizes, vars, group, Heuristic::MinSize, budget, &initial)
}

/// A quick check of whether `vars` can be eliminated within `budget` (a single
/// greedy heuristic, stopping at the first step over budget).
pub(super) fn fits(
    shapes: &[Shape],
    sizes: &[usize],
    vars: &[usize],
    group: &dyn Fn(usize) -> u8,
    budget: f64,
) -> bool {
    quick_plan(shapes, sizes, vars, group, budget).max_size <= budget
}
