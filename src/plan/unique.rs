//! `unique`: no two generated tokens equal on the unique traits.
//!
//! Tokens are made unique by *successive sampling without replacement*, in
//! token-id order: each token is drawn from its (stratum's) distribution
//! restricted to the unique combinations no earlier token took. Two exact
//! ways to draw from that restriction are used, and they may be switched
//! between at any token because both draw the next token from the same law:
//!
//! * **Rejection on collision** ([`UsedSet`]): redraw the token's unique
//!   components from fresh streams until its combination is new. Exact
//!   (rejecting a draw conditions on its complement) and cheap while most
//!   mass is still free: the usual case, since collections are far smaller
//!   than their spaces.
//! * **A weighted pool** ([`Pool`]): when a stratum asks for more than half of
//!   its combinations, or rejection needs more than a few dozen tries, every
//!   unique combination of the stratum is enumerated with its probability
//!   `p` (exactly, as a product of the sampler's conditionals over the unique
//!   traits, which it draws first), given an exponential key `E / p`
//!   (`E = −ln U`, `U` from the combination's own stream) and sorted by key
//!   (Efraimidis–Spirakis). Taking the smallest keys in order *is* successive
//!   sampling without replacement (exponential races), and skipping entries
//!   taken meanwhile by other strata keeps it so, since those choices do not
//!   depend on this pool's keys. It never stalls: each token costs a pointer
//!   step, and running out means the stratum has no combination left, which
//!   is reported as an error with the numbers. A stratum that competes for
//!   shared combinations also skips entries whose taking would leave another
//!   token without one ([`super::sharing`]); such a refusal is permanent, so
//!   skipping stays exact for the same reason.
//!
//! Under `unique visually` the same two methods run on *visual keys*
//! ([`crate::model::Visibility::key`]): a combination is free when no taken
//! combination looks the same. The law of the next token is then its law
//! restricted to the combinations whose look is still free: rejection draws
//! from it as before, and the pool skips entries whose look was taken (by
//! another entry of the same look), which conditions the exponential race on
//! the same event. The key depends on the unique traits only (conditional
//! art of a unique trait is resolved on them: `check` refuses a `when` on a
//! trait outside `unique visually by` that gives a compared trait art), so
//! drawing the other traits is unchanged; the counts in messages are then
//! numbers of looks, not of combinations.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

use super::Plan;
use super::streams::{StreamKey, to_unit};
use crate::model::{Model, TraitId, Visibility};

/// Most combinations a pool may enumerate.
pub const POOL_LIMIT: u64 = 1 << 21;

/// The unique combinations taken so far.
///
/// Under `unique visually` a combination is stored as its visual key
/// ([`Visibility::key`]): a combination counts as taken when one that looks
/// the same is.
#[derive(Debug)]
pub struct UsedSet {
    /// Mixed-radix multipliers when every combination fits a `u128`.
    radix: Option<Vec<u128>>,
    packed: HashSet<u128>,
    wide: HashSet<Vec<u32>>,
    /// The occlusion relation and the unique traits, under `unique visually`.
    visual: Option<(Arc<Visibility>, Vec<TraitId>)>,
    /// Scratch space for visual keys.
    key: RefCell<Vec<u32>>,
}

impl UsedSet {
    /// An empty set for `model`'s unique traits.
    pub fn new(model: &Model, capacity: usize) -> Self {
        let visual = match (model.visually, &model.visibility) {
            (Some(_), Some(v)) => Some((Arc::clone(v), model.unique.clone())),
            _ => None,
        };
        // A visual key's values are the trait's looks (its variants' own art,
        // then conditional art) and one more: "nothing visible".
        let values = |t: TraitId| match &visual {
            Some((v, _)) => v.looks_len(t).max(model.traits[t].variants.len()) as u128 + 1,
            None => model.traits[t].variants.len() as u128,
        };
        let mut radix = Some(Vec::new());
        let mut mult: u128 = 1;
        for &t in &model.unique {
            if let Some(r) = radix.as_mut() {
                r.push(mult);
            }
            match mult.checked_mul(values(t)) {
                Some(m) => mult = m,
                None => radix = None,
            }
        }
        let packed = if radix.is_some() { HashSet::with_capacity(capacity) } else { HashSet::new() };
        UsedSet { radix, packed, wide: HashSet::new(), visual, key: RefCell::new(Vec::new()) }
    }

    /// Calls `f` with what is stored for `combination`: itself, or its visual key.
    fn stored<R>(&self, combination: &[u32], f: impl FnOnce(&[u32]) -> R) -> R {
        match &self.visual {
            None => f(combination),
            Some((visibility, traits)) => {
                let mut key = self.key.borrow_mut();
                visibility.key(traits, combination, &mut key);
                f(&key)
            }
        }
    }

    /// Inserts a combination (values of the unique traits, in `Model::unique`
    /// order); false if it was taken already.
    pub fn insert(&mut self, combination: &[u32]) -> bool {
        let mut key = std::mem::take(self.key.get_mut());
        let stored: &[u32] = match &self.visual {
            None => combination,
            Some((visibility, traits)) => {
                visibility.key(traits, combination, &mut key);
                &key
            }
        };
        let new = match &self.radix {
            Some(r) => self.packed.insert(pack(r, stored)),
            None => self.wide.insert(stored.to_vec()),
        };
        *self.key.get_mut() = key;
        new
    }

    /// Whether a combination is taken.
    pub fn contains(&self, combination: &[u32]) -> bool {
        self.stored(combination, |c| match &self.radix {
            Some(r) => self.packed.contains(&pack(r, c)),
            None => self.wide.contains(c),
        })
    }

    /// What is stored for `combination`: itself, or its visual key.
    pub fn key_of(&self, combination: &[u32]) -> Vec<u32> {
        self.stored(combination, <[u32]>::to_vec)
    }

    /// Whether combinations are compared by their visual keys.
    pub fn is_visual(&self) -> bool {
        self.visual.is_some()
    }

    /// How many different things (combinations, or visual keys) `combinations` hold.
    pub fn distinct<'a>(&self, combinations: impl Iterator<Item = &'a [u32]>) -> usize {
        let mut seen: HashSet<Vec<u32>> = HashSet::new();
        for c in combinations {
            self.stored(c, |k| seen.insert(k.to_vec()));
        }
        seen.len()
    }
}

fn pack(radix: &[u128], combination: &[u32]) -> u128 {
    combination.iter().zip(radix).map(|(&v, &m)| u128::from(v) * m).sum()
}

/// One component's combination (values in step order) and its log-probability.
type Entry = (Vec<u32>, f64);
/// A depth-first frame: depth, options with probabilities, next option, log-probability so far.
type Frame = (usize, Vec<(u32, f64)>, usize, f64);

/// The unique combinations of one stratum in successive-sampling order.
#[derive(Debug)]
pub struct Pool {
    /// Combinations, flat, `width` values each (in `Model::unique` order).
    values: Vec<u32>,
    width: usize,
    /// Entry indices sorted by key.
    order: Vec<u32>,
    next: usize,
}

impl Pool {
    /// Enumerates stratum `sig`'s unique combinations, or `None` when they are
    /// more than [`POOL_LIMIT`] or a component cannot draw its unique traits first.
    pub fn build(model: &Model, plan: &Plan, sig: usize, key: &StreamKey) -> Option<Pool> {
        let (values, logps) = enumerate(model, plan, sig)?;
        let width = model.unique.len();
        let total = logps.len();
        let mut keys: Vec<f64> = Vec::with_capacity(total);
        for (row, logp) in values.chunks_exact(width.max(1)).zip(&logps) {
            let mut h = 0u64;
            for (i, &v) in row.iter().enumerate() {
                h = key.mix(h ^ (i as u64).rotate_left(40), u64::from(v));
            }
            // U in (0, 1): E = -ln U is exponential; the key E / p compares as ln E - ln p.
            let u = to_unit(h) + 0.5 / (1u64 << 53) as f64;
            keys.push((-u.ln()).ln() - logp);
        }
        let mut order: Vec<u32> = (0..total as u32).collect();
        order.sort_by(|&a, &b| {
            keys[a as usize].total_cmp(&keys[b as usize]).then_with(|| {
                values[a as usize * width..(a as usize + 1) * width]
                    .cmp(&values[b as usize * width..(b as usize + 1) * width])
            })
        });
        Some(Pool { values, width, order, next: 0 })
    }

    /// The next combination not in `used` (in `Model::unique` order) that
    /// `accept` takes, if any. An entry passed over is never offered again:
    /// `accept` must refuse only what stays refused (see [`super::sharing`]).
    pub fn next(&mut self, used: &UsedSet, mut accept: impl FnMut(&[u32]) -> bool) -> Option<&[u32]> {
        while self.next < self.order.len() {
            let e = self.order[self.next] as usize;
            self.next += 1;
            let row = &self.values[e * self.width..(e + 1) * self.width];
            if !used.contains(row) && accept(row) {
                return Some(row);
            }
        }
        None
    }

    /// Every combination of the pool (in `Model::unique` order), in no particular order.
    pub fn combinations(&self) -> impl Iterator<Item = &[u32]> + '_ {
        self.values.chunks_exact(self.width.max(1))
    }

    /// Number of combinations in the pool.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// Every unique combination of stratum `sig` with positive probability
/// (flat, `Model::unique.len()` values each, in `Model::unique` order) and
/// its log-probability under the stratum's law; `None` when they are more
/// than [`POOL_LIMIT`] or a component cannot draw its unique traits first.
pub fn enumerate(model: &Model, plan: &Plan, sig: usize) -> Option<(Vec<u32>, Vec<f64>)> {
    let width = model.unique.len();
    // Per component: its combinations (local unique values in step order) and log-probabilities.
    let mut parts: Vec<(Vec<usize>, Vec<Entry>)> = Vec::new();
    let mut total: u64 = 1;
    for (ci, c) in plan.components.iter().enumerate() {
        if c.unique.is_empty() {
            continue;
        }
        let compiled = plan.compiled_for(model, ci, sig).ok().flatten()?;
        if !compiled.unique_first {
            return None;
        }
        let steps = &compiled.steps()?[..c.unique.len()];
        let mut list: Vec<Entry> = Vec::new();
        let mut assignment = vec![0u32; c.traits.len()];
        let mut scratch = Vec::new();
        // Depth-first over the unique steps.
        let mut stack: Vec<Frame> = Vec::new();
        let total0 = steps[0].conditional(&assignment, &mut scratch);
        stack.push((0, normalise(&scratch, total0), 0, 0.0));
        while let Some((depth, options, next, logp)) = stack.last_mut() {
            if *next >= options.len() {
                stack.pop();
                continue;
            }
            let (value, p) = options[*next];
            *next += 1;
            let (depth, logp) = (*depth, *logp + p.ln());
            assignment[steps[depth].var] = value;
            if depth + 1 == steps.len() {
                list.push((steps.iter().map(|s| assignment[s.var]).collect(), logp));
                if list.len() as u64 > POOL_LIMIT {
                    return None;
                }
            } else {
                let t = steps[depth + 1].conditional(&assignment, &mut scratch);
                stack.push((depth + 1, normalise(&scratch, t), 0, logp));
            }
        }
        total = total.saturating_mul(list.len() as u64);
        if total > POOL_LIMIT {
            return None;
        }
        // Global position (in `Model::unique`) of each step's trait.
        let positions: Vec<usize> =
            steps.iter().map(|s| model.unique.iter().position(|&t| t == c.traits[s.var]).unwrap_or(0)).collect();
        parts.push((positions, list));
    }
    let total = total as usize;
    let mut values = vec![0u32; total * width];
    let mut logps: Vec<f64> = Vec::with_capacity(total);
    let mut digits = vec![0usize; parts.len()];
    for e in 0..total {
        let row = &mut values[e * width..(e + 1) * width];
        let mut logp = 0.0;
        for (k, (positions, list)) in parts.iter().enumerate() {
            let (vals, lp) = &list[digits[k]];
            logp += lp;
            for (&pos, &v) in positions.iter().zip(vals) {
                row[pos] = v;
            }
        }
        logps.push(logp);
        for k in (0..digits.len()).rev() {
            digits[k] += 1;
            if digits[k] < parts[k].1.len() {
                break;
            }
            digits[k] = 0;
        }
    }
    Some((values, logps))
}

fn normalise(weights: &[(u32, f64)], total: f64) -> Vec<(u32, f64)> {
    weights.iter().filter(|w| w.1 > 0.0).map(|&(v, w)| (v, w / total)).collect()
}
