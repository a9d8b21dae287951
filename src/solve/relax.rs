//! Exact sampling from a relaxation, for graphs that neither elimination nor
//! search can compile (many weak rules over a dozen or more traits).
//!
//! Let the distribution be `π(x) ∝ Π_f f(x)`. Split the factors into kept
//! ones `K` and dropped ones `D`, each dropped factor scaled to a maximum of 1
//! (`g_d = f_d / max f_d`, so `0 ≤ g_d ≤ 1`). Then
//!
//! ```text
//! π(x) ∝ q(x) · Π_{d ∈ D} g_d(x),   q(x) ∝ Π_{f ∈ K} f(x)
//! ```
//!
//! and the classic rejection step is exact: draw `x` from `q` (exactly, by
//! variable elimination over the kept factors, which compiles because enough
//! factors were dropped), accept it with probability `Π g_d(x)`, else draw
//! again. Accepted draws have law `π` whatever `D` is; only the cost depends on
//! it: the acceptance rate is `E_q[Π g_d]`, and a draw costs `1 / rate`
//! proposals on average.
//!
//! Choosing `D`: factors are ranked by how little mass they remove under the
//! product of the unary priors, and the fewest weakest ones are dropped that
//! make the rest compile within the budget (a binary search over that
//! ranking). The acceptance rate is then *estimated* from a fixed number of
//! proposals (with a fixed internal seed, so compiling is deterministic); a
//! rate of zero in the estimate means the relaxation is useless and is
//! reported as too dense. Draws give up after `1000 / rate` proposals, which
//! an exact sampler of that rate exceeds with probability below `e^-1000`.
//!
//! Marginals of `π` are not known exactly here: [`RelaxedModel::estimate_marginals`]
//! estimates them from accepted draws and says how many it used.

use super::splitmix::Rng as SplitMix64;
use super::{Budget, Factor, Network, Sampler, SolveError, WeightedModel};

/// Proposals used to estimate the acceptance rate when compiling.
const PILOT: u64 = 4096;

/// A relaxation and its exact rejection sampler.
#[derive(Clone, Debug)]
pub struct RelaxedModel {
    sampler: Sampler,
    /// Dropped factors, scaled to a maximum of 1.
    dropped: Vec<Factor>,
    /// Per dropped factor whose values are all 0 or 1 (every `forbid` and
    /// `require`): its table as bits, 64 times smaller than the `f64` one,
    /// so that the tables of hundreds of dropped rules stay in cache while
    /// proposals are tested. `g_d(x)` is the bit, as `0.0` or `1.0`.
    bits: Vec<Option<Vec<u64>>>,
    /// Per dropped factor: its scope's strides.
    strides: Vec<Vec<usize>>,
    /// Per sampler step: the dropped factors whose scope is complete once
    /// that step is drawn (their last variable in drawing order).
    complete_after: Vec<Vec<usize>>,
    /// Estimated acceptance rate (accepted / proposals of the pilot run).
    rate: f64,
    /// Proposals of the pilot run and how many were accepted.
    pilot: (u64, u64),
    /// A lower bound of the natural log of the partition function, when one is known
    /// ([`RelaxedModel::log_partition_lower_bound`]).
    log_z_lower: Option<f64>,
}

/// `table` as bits when every value is 0 or 1.
fn bit_table(table: &[f64]) -> Option<Vec<u64>> {
    if !table.iter().all(|&x| x == 0.0 || x == 1.0) {
        return None;
    }
    let mut bits = vec![0u64; table.len().div_ceil(64)];
    for (i, _) in table.iter().enumerate().filter(|(_, x)| **x == 1.0) {
        bits[i / 64] |= 1 << (i % 64);
    }
    Some(bits)
}

/// A fresh uniform in `[0, 1)` from `u` and a round number.
fn remix(u: f64, round: u64, salt: u64) -> f64 {
    let bits = (u * (1u64 << 53) as f64) as u64;
    let mut s = SplitMix64(bits ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt);
    (s.next() >> 11) as f64 / (1u64 << 53) as f64
}

impl RelaxedModel {
    /// Drops the weakest factors of arity two or more until the rest compiles
    /// within `budget`, and estimates the acceptance rate.
    pub fn compile(net: &Network, budget: &Budget) -> Result<RelaxedModel, SolveError> {
        net.validate()?;
        // Acceptance reads rule tables by value.
        let net = &*net.densified();
        let n = net.domains.len();
        let mut prior: Vec<Vec<f64>> = net.domains.iter().map(|&d| vec![1.0; d]).collect();
        for f in net.factors.iter().filter(|f| f.scope.len() == 1) {
            prior[f.scope[0]].iter_mut().zip(&f.table).for_each(|(p, t)| *p *= t);
        }
        // Natural log of the total mass of the unary factors alone.
        let mut log_mass = 0.0;
        for p in &mut prior {
            let total: f64 = p.iter().sum();
            log_mass += total.ln();
            if total > 0.0 {
                p.iter_mut().for_each(|x| *x /= total);
            }
        }
        // Strength of each droppable factor: the prior mass it removes.
        let mut candidates: Vec<(f64, usize)> = Vec::new();
        for (i, f) in net.factors.iter().enumerate() {
            if f.scope.len() < 2 {
                continue;
            }
            let max = f.table.iter().copied().fold(0.0f64, f64::max);
            if max <= 0.0 {
                return Err(SolveError::EmptySupport);
            }
            let dims: Vec<usize> = f.scope.iter().map(|&v| net.domains[v]).collect();
            let mut kept = 0.0;
            super::elim::for_each_index(&dims, |digits, lin| {
                let p: f64 = digits.iter().zip(&f.scope).map(|(&x, &v)| prior[v][x]).product();
                kept += p * f.table[lin] / max;
            });
            candidates.push((1.0 - kept, i));
        }
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let all_rules =
            net.factors.iter().filter(|f| f.scope.len() >= 2).all(|f| f.table.iter().all(|&x| x == 0.0 || x == 1.0));
        let relaxed = |k: usize| -> Network {
            let mut drop = vec![false; net.factors.len()];
            candidates.iter().take(k).for_each(|&(_, i)| drop[i] = true);
            let mut r = Network::new(net.domains.clone());
            for (f, _) in net.factors.iter().zip(&drop).filter(|(_, d)| !**d) {
                r.push(f.clone());
            }
            r
        };
        // The proposal is compiled once; the search for it only plans.
        let budget = &Budget { max_table_entries: budget.max_table_entries.min(1 << 20), ..*budget };
        let fits = |k: usize| super::infer::elimination_fits(&relaxed(k), budget);
        let (mut lo, mut hi) = (0usize, candidates.len());
        if !fits(hi)? {
            return Err(SolveError::TooLarge { needed: u128::MAX, budget: budget.max_table_entries });
        }
        while lo < hi {
            let mid = (lo + hi) / 2;
            if fits(mid)? {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let proposal = WeightedModel::compile(&relaxed(lo), &[], budget)?;
        // Every factor of two or more variables a 0/1 rule: `Z ≥ Z_q − M Σ_d P(d broken)`.
        let log_z_lower = (all_rules && log_mass.is_finite())
            .then(|| {
                let broken: f64 = candidates.iter().take(lo).map(|&(strength, _)| strength).sum();
                let share = (proposal.log_partition() - log_mass).exp() - broken * (1.0 + 1e-9) - 1e-12;
                (share > 0.0).then(|| log_mass + share.ln())
            })
            .flatten();
        let dropped: Vec<Factor> = candidates
            .iter()
            .take(lo)
            .map(|&(_, i)| {
                let f = &net.factors[i];
                let max = f.table.iter().copied().fold(0.0f64, f64::max);
                Factor::new(f.scope.clone(), f.table.iter().map(|x| x / max).collect())
            })
            .collect();
        let strides = dropped
            .iter()
            .map(|f| super::elim::strides(&f.scope.iter().map(|&v| net.domains[v]).collect::<Vec<_>>()))
            .collect();
        let bits = dropped.iter().map(|f| bit_table(&f.table)).collect();
        let sampler = proposal.sampler();
        let mut position = vec![0usize; n];
        for (k, step) in sampler.steps().iter().enumerate() {
            position[step.var] = k;
        }
        let mut complete_after = vec![Vec::new(); sampler.steps().len()];
        for (i, f) in dropped.iter().enumerate() {
            let last = f.scope.iter().map(|&v| position[v]).max().unwrap_or(0);
            if let Some(list) = complete_after.get_mut(last) {
                list.push(i);
            }
        }
        let mut model =
            RelaxedModel { sampler, dropped, bits, strides, complete_after, rate: 1.0, pilot: (0, 0), log_z_lower };
        let mut rng = SplitMix64(0x005e_ed0f_7e1a_c5ed);
        let mut assignment = vec![0u32; n];
        let mut accepted = 0;
        for _ in 0..PILOT {
            let us: Vec<f64> = (0..n).map(|_| (rng.next() >> 11) as f64 / (1u64 << 53) as f64).collect();
            if !model.sampler.draw_from(0, &mut assignment, |v| us[v]) {
                return Err(SolveError::EmptySupport);
            }
            let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
            if u < model.accept(&assignment) {
                accepted += 1;
            }
        }
        if accepted == 0 {
            return Err(SolveError::TooLarge { needed: u128::MAX, budget: budget.max_table_entries });
        }
        model.pilot = (PILOT, accepted);
        model.rate = accepted as f64 / PILOT as f64;
        Ok(model)
    }

    /// `Π g_d(x)`: the probability of accepting proposal `x`.
    fn accept(&self, x: &[u32]) -> f64 {
        let mut p = 1.0;
        for d in 0..self.dropped.len() {
            p *= self.factor(d, x);
            if p == 0.0 {
                break;
            }
        }
        p
    }

    /// `g_d(x)`, reading only the variables of `d`'s scope.
    fn factor(&self, d: usize, x: &[u32]) -> f64 {
        let f = &self.dropped[d];
        let idx: usize = f.scope.iter().zip(&self.strides[d]).map(|(&v, s)| x[v] as usize * s).sum();
        match &self.bits[d] {
            Some(bits) => f64::from(u8::from(bits[idx / 64] >> (idx % 64) & 1 == 1)),
            None => f.table[idx],
        }
    }

    /// A proven lower bound of the natural log of the partition function
    /// `Z` of the network this relaxes, when every factor of two or more
    /// variables is a 0/1 rule. With `P` the measure of the unary factors
    /// (total mass `M`), `Z = P(every rule holds) ≥ P(the kept rules hold) −
    /// Σ_d P(dropped rule d is broken)`: the first term is the proposal's
    /// exact partition function `Z_q`, each `P(d broken)` is `M` times the
    /// normalised prior mass the rule removes (the strength the dropped rules
    /// were chosen by, as the weakest). `None` when that difference is not
    /// positive or a factor is not 0/1.
    pub fn log_partition_lower_bound(&self) -> Option<f64> {
        self.log_z_lower
    }

    /// The estimated acceptance rate and the pilot run `(proposals, accepted)` it comes from.
    pub fn acceptance(&self) -> (f64, (u64, u64)) {
        (self.rate, self.pilot)
    }

    /// Number of rules dropped from the proposal.
    pub fn dropped(&self) -> usize {
        self.dropped.len()
    }

    /// Draws every variable into `assignment` from the exact law: proposals
    /// from the relaxation, each round's uniforms derived from `uniform(var)`
    /// and the round number. Returns false after `1000 / rate` rejected rounds.
    ///
    /// A proposal is accepted when its round's acceptance uniform `u` is
    /// below `Π g_d(x)`. Every `g_d` is at most 1, so the product of the
    /// factors whose scope is drawn so far only falls as the proposal goes
    /// on: once it is at most `u` the proposal is rejected whatever the rest
    /// draws, and the round stops there. The decision is the one the whole
    /// proposal would get (for 0/1 rules exactly; a factor with other values
    /// is multiplied in drawing order, which can round the product's last
    /// bit differently), and the next round's uniforms do not depend on this
    /// round's values, so this only saves work: the law is unchanged.
    pub fn draw(&self, assignment: &mut [u32], mut uniform: impl FnMut(usize) -> f64) -> bool {
        let max_rounds = (1000.0 / self.rate).min(1e12) as u64;
        let n = assignment.len();
        // The round's base uniforms, on the stack for the usual component of
        // at most a few dozen traits.
        const STACK: usize = 32;
        let mut small = [0.0f64; STACK];
        let mut large = Vec::new();
        let base: &mut [f64] = if n <= STACK {
            &mut small[..n]
        } else {
            large.resize(n, 0.0);
            &mut large
        };
        base.iter_mut().enumerate().for_each(|(v, b)| *b = uniform(v));
        let base: &[f64] = base;
        'rounds: for round in 0..max_rounds {
            let u = remix(base.first().copied().unwrap_or(0.5), round, 0xacce_97ed);
            let mut p = 1.0;
            for (step, complete) in self.sampler.steps().iter().zip(&self.complete_after) {
                match step.draw(assignment, remix(base[step.var], round, 0)) {
                    Some(x) => assignment[step.var] = x,
                    None => return false,
                }
                for &d in complete {
                    p *= self.factor(d, assignment);
                }
                if u >= p {
                    continue 'rounds;
                }
            }
            return true;
        }
        false
    }

    /// Marginals estimated from `draws` accepted draws (fixed internal seed):
    /// each share has a standard error of at most `0.5 / sqrt(draws)`.
    pub fn estimate_marginals(&self, domains: &[usize], draws: u64) -> Vec<Vec<f64>> {
        let mut out: Vec<Vec<f64>> = domains.iter().map(|&d| vec![0.0; d]).collect();
        let mut rng = SplitMix64(0x003a_261a_150f_da7a);
        let mut assignment = vec![0u32; domains.len()];
        let mut got = 0u64;
        while got < draws {
            let us: Vec<f64> = (0..domains.len()).map(|_| (rng.next() >> 11) as f64 / (1u64 << 53) as f64).collect();
            if !self.draw(&mut assignment, |v| us[v]) {
                break;
            }
            for (v, &x) in assignment.iter().enumerate() {
                out[v][x as usize] += 1.0;
            }
            got += 1;
        }
        if got > 0 {
            out.iter_mut().flatten().for_each(|x| *x /= got as f64);
        }
        out
    }
}
