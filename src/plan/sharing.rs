//! Strata that share unique combinations: the exact assignment of
//! combinations to them.
//!
//! # Why it exists
//!
//! A token's stratum (its signature, see [`super`]) says which counted
//! variant of each counted trait it has. When every counted trait is
//! `unique`, a unique combination determines the stratum, strata never share
//! a combination and "at most `cap_s` tokens in stratum `s`" is all that
//! uniqueness asks. When a counted trait is outside `unique` (or, under
//! `unique visually`, when a counted variant can be invisible), one
//! combination (a *key*: the values of the `unique` traits, or their look)
//! can serve tokens of several strata, and the strata compete for keys. The
//! exact condition for `n_s` tokens per stratum to get distinct keys is then
//! Hall's: every set `A` of strata must have at least `Σ_{s∈A} n_s` keys
//! usable by one of them; per-stratum and per-group capacities are necessary
//! but not sufficient, and a greedy assignment stratum by stratum can run out
//! where an assignment exists.
//!
//! # The model: a transportation problem over key types
//!
//! With `G` the number of drawn tokens, a stratum is *small* when it has
//! fewer than `G` keys and *large* otherwise. Only small strata need the exact
//! model: once the small strata have their keys, a large stratum `s` still
//! finds `n_s` free keys whatever the others took (at most `G − n_s` keys are
//! taken by other tokens, and it has at least `G`). So the keys of the small
//! strata of each group that holds at least two of them are enumerated
//! (exactly, from the strata's compiled samplers: [`super::unique::enumerate`]),
//! and each key gets its *type*, the set of small strata it can serve. Keys of
//! one type are interchangeable, so a vector `n` is realisable exactly when
//! the transportation problem "stratum `s` receives `n_s` keys, type `τ`
//! gives at most `m_τ` (its number of keys), only to its own strata" has an
//! integer solution — a bipartite b-matching, i.e. a maximum flow. It is exact
//! both ways: a solution assigns distinct keys of each type; an assignment of
//! keys is a solution.
//!
//! `check` and `run` both use this model: the integer program over strata
//! ([`super::counts::Quotas`]) carries one variable per (type, stratum) pair,
//! so `check` accepts exactly the realisable count vectors, and `run` never
//! meets a count vector it cannot realise.
//!
//! # Sampling with it
//!
//! The uniqueness stage draws the tokens of the small strata first, each from
//! its stratum's law restricted to the keys that are still free **and** still
//! completable: a key of type `τ` is offered to a token of stratum `s` only
//! when taking it leaves a feasible transportation problem for the tokens
//! still to place ([`Transport::take`] decides this exactly, by one
//! augmenting-path search on the current flow). This is successive sampling
//! without replacement, conditioned at every step on the collection staying
//! completable. What is exact about it: every such token, given the tokens
//! before it, is distributed as its stratum's law (LANGUAGE.md's law of a
//! token, conditioned on its counted variants) restricted to the keys that
//! are free and leave a valid collection possible — the law is touched only
//! where uniqueness and the counts force it, and where no key is forced
//! (the usual case: plenty of keys) it is plain successive sampling. What is
//! not claimed: that the joint law of the collection equals independent
//! draws conditioned on the whole collection being valid (computing that
//! conditioning is #P-hard in general); the same holds of the rest of the
//! uniqueness stage.
//!
//! A refusal is permanent: if taking a key of type `τ` for `s` is infeasible,
//! there is a Hall-tight set `A` of strata (`Σ_{A} n = keys(A)`) with
//! `s ∉ A` and `τ` serving `A`; a later feasible step either serves `A`
//! (both sides drop by one) or takes a key that does not serve `A`, so `A`
//! stays tight. That is what makes skipping refused entries of a weighted
//! pool exact (the exponential race over the entries still offered is
//! memoryless), and rejection redraws exact (they condition on the offered
//! set).

use std::collections::HashMap;
use std::collections::VecDeque;

use super::Plan;
use super::unique::{POOL_LIMIT, UsedSet, enumerate};
use crate::model::Model;

/// The keys the small strata share, grouped by type.
#[derive(Clone, Debug, Default)]
pub struct Sharing {
    /// Global signatures of the strata in the model, ascending.
    pub strata: Vec<usize>,
    /// Per type: its strata (indices into `strata`, ascending) and its number of keys.
    pub types: Vec<(Vec<usize>, u64)>,
    /// Type of every key, by its stored form ([`UsedSet::key_of`]).
    type_of: HashMap<Vec<u32>, usize>,
    /// Per global signature: its index in `strata`.
    index: HashMap<usize, usize>,
}

/// The shared keys could not be enumerated (too many, or a rule graph too
/// dense to draw its unique traits first): only necessary capacities apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unknown;

impl Sharing {
    /// The sharing model of `model` under `plan`: `feasible[s]` says whether
    /// stratum `s` can hold a token, `caps[s]` bounds its unique combinations
    /// and `groups[s]` is its group (strata of different groups never share
    /// a combination, see [`Plan::group`]). Empty when no strata compete.
    pub fn build(
        model: &Model,
        plan: &Plan,
        feasible: &[bool],
        caps: &[u64],
        groups: &[usize],
    ) -> Result<Sharing, Unknown> {
        let g = model.generated_size();
        if model.unique.is_empty() || plan.counted.is_empty() || g == 0 {
            return Ok(Sharing::default());
        }
        let visual = model.visually.is_some();
        // Under `unique visually` a counted variant nobody sees does not tell
        // looks apart: every stratum may share with every other.
        let group_of = |s: usize| if visual { 0 } else { groups[s] };
        // Candidates: strata with fewer than `G` combinations (under
        // `unique visually`, looks are at most combinations: strata with up
        // to `POOL_LIMIT` combinations are enumerated and their looks counted).
        let limit = if visual { POOL_LIMIT.max(g) } else { g };
        let candidates: Vec<usize> =
            (0..feasible.len()).filter(|&s| feasible[s] && caps[s] > 0 && caps[s] < limit).collect();
        let mut per_group: HashMap<usize, usize> = HashMap::new();
        for &s in &candidates {
            *per_group.entry(group_of(s)).or_default() += 1;
        }
        let candidates: Vec<usize> = candidates.into_iter().filter(|&s| per_group[&group_of(s)] >= 2).collect();
        if candidates.is_empty() {
            return Ok(Sharing::default());
        }
        let used = UsedSet::new(model, 0);
        let width = model.unique.len().max(1);
        let mut keys_of: Vec<(usize, Vec<Vec<u32>>)> = Vec::new();
        let mut enumerated: u64 = 0;
        for &s in &candidates {
            let (values, _) = enumerate(model, plan, s).ok_or(Unknown)?;
            enumerated += (values.len() / width) as u64;
            if enumerated > POOL_LIMIT {
                return Err(Unknown);
            }
            let mut keys: Vec<Vec<u32>> = values.chunks_exact(width).map(|c| used.key_of(c)).collect();
            if visual {
                let mut seen = std::collections::HashSet::new();
                keys.retain(|k| seen.insert(k.clone()));
                if keys.len() as u64 >= g {
                    continue;
                }
            }
            keys_of.push((s, keys));
        }
        // Small strata, by group; only groups with two or more compete.
        let mut per_group: HashMap<usize, usize> = HashMap::new();
        for (s, _) in &keys_of {
            *per_group.entry(group_of(*s)).or_default() += 1;
        }
        keys_of.retain(|(s, _)| per_group[&group_of(*s)] >= 2);
        let strata: Vec<usize> = keys_of.iter().map(|(s, _)| *s).collect();
        let index: HashMap<usize, usize> = strata.iter().enumerate().map(|(i, &s)| (s, i)).collect();
        // Key -> its strata, in first-seen order (deterministic).
        let mut members: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut lists: Vec<Vec<usize>> = Vec::new();
        let mut order: Vec<Vec<u32>> = Vec::new();
        for (i, (_, keys)) in keys_of.into_iter().enumerate() {
            for k in keys {
                match members.get(&k) {
                    Some(&at) => {
                        if lists[at].last() != Some(&i) {
                            lists[at].push(i);
                        }
                    }
                    None => {
                        members.insert(k.clone(), lists.len());
                        lists.push(vec![i]);
                        order.push(k);
                    }
                }
            }
        }
        let mut type_ids: HashMap<Vec<usize>, usize> = HashMap::new();
        let mut types: Vec<(Vec<usize>, u64)> = Vec::new();
        let mut type_of: HashMap<Vec<u32>, usize> = HashMap::with_capacity(order.len());
        for k in order {
            let list = &lists[members[&k]];
            let t = *type_ids.entry(list.clone()).or_insert_with(|| {
                types.push((list.clone(), 0));
                types.len() - 1
            });
            types[t].1 += 1;
            type_of.insert(k, t);
        }
        Ok(Sharing { strata, types, type_of, index })
    }

    /// Whether no strata compete (nothing to model).
    pub fn is_empty(&self) -> bool {
        self.strata.is_empty()
    }

    /// Index in [`Sharing::strata`] of global signature `s`, if it is modelled.
    pub fn stratum(&self, s: usize) -> Option<usize> {
        self.index.get(&s).copied()
    }

    /// Type of a key (its stored form), if it belongs to a modelled stratum.
    pub fn type_of(&self, key: &[u32]) -> Option<usize> {
        self.type_of.get(key).copied()
    }

    /// The transportation problem with `demand[i]` tokens for stratum
    /// `strata[i]`, solved: `None` when no assignment exists.
    pub fn transport(&self, demand: Vec<u64>) -> Option<Transport> {
        let mut t = Transport::new(&self.types, demand);
        t.fill().then_some(t)
    }
}

/// A feasible flow of keys from types to strata, kept complete while keys
/// are taken one at a time.
#[derive(Clone, Debug)]
pub struct Transport {
    /// Per type: its strata, ascending.
    members: Vec<Vec<usize>>,
    /// Per type: keys given to each of its strata (aligned with `members`).
    flow: Vec<Vec<u64>>,
    /// Per type: keys not yet taken.
    room: Vec<u64>,
    /// Per type: `Σ flow`.
    used: Vec<u64>,
    /// Per stratum: tokens still to place.
    demand: Vec<u64>,
    /// Per stratum: `Σ flow` into it.
    placed: Vec<u64>,
    /// Per stratum: `(type, position in its members)`.
    of_stratum: Vec<Vec<(usize, usize)>>,
}

impl Transport {
    fn new(types: &[(Vec<usize>, u64)], demand: Vec<u64>) -> Transport {
        let r = demand.len();
        let mut of_stratum = vec![Vec::new(); r];
        for (t, (members, _)) in types.iter().enumerate() {
            for (p, &s) in members.iter().enumerate() {
                of_stratum[s].push((t, p));
            }
        }
        Transport {
            members: types.iter().map(|(m, _)| m.clone()).collect(),
            flow: types.iter().map(|(m, _)| vec![0; m.len()]).collect(),
            room: types.iter().map(|&(_, n)| n).collect(),
            used: vec![0; types.len()],
            placed: vec![0; r],
            demand,
            of_stratum,
        }
    }

    /// The flow from each type to each of its strata (`[type][position]`).
    pub fn flows(&self) -> &[Vec<u64>] {
        &self.flow
    }

    /// Completes the flow (greedy, then augmenting paths); whether every
    /// demand is met.
    fn fill(&mut self) -> bool {
        for s in 0..self.demand.len() {
            for k in 0..self.of_stratum[s].len() {
                let (t, p) = self.of_stratum[s][k];
                let give = (self.demand[s] - self.placed[s]).min(self.room[t] - self.used[t]);
                self.flow[t][p] += give;
                self.used[t] += give;
                self.placed[s] += give;
            }
        }
        for s in 0..self.demand.len() {
            while self.placed[s] < self.demand[s] {
                let want = self.demand[s] - self.placed[s];
                if !self.augment(s, want) {
                    return false;
                }
            }
        }
        true
    }

    /// Pushes up to `want` units into stratum `start` along one shortest
    /// augmenting path (stratum → type it may use → stratum that type
    /// serves now → … → a type with a key to spare); false when none exists.
    fn augment(&mut self, start: usize, want: u64) -> bool {
        let (r, n_types) = (self.demand.len(), self.room.len());
        // How each type / stratum was reached: (from stratum, position) / (from type, position).
        let mut via_type: Vec<Option<(usize, usize)>> = vec![None; n_types];
        let mut via_stratum: Vec<Option<(usize, usize)>> = vec![None; r];
        let mut seen = vec![false; r];
        seen[start] = true;
        let mut queue = VecDeque::from([start]);
        let mut end = None;
        'search: while let Some(s) = queue.pop_front() {
            for &(t, p) in &self.of_stratum[s] {
                if via_type[t].is_some() {
                    continue;
                }
                via_type[t] = Some((s, p));
                if self.used[t] < self.room[t] {
                    end = Some(t);
                    break 'search;
                }
                for (q, &s2) in self.members[t].iter().enumerate() {
                    if self.flow[t][q] > 0 && !seen[s2] {
                        seen[s2] = true;
                        via_stratum[s2] = Some((t, q));
                        queue.push_back(s2);
                    }
                }
            }
        }
        let Some(end) = end else { return false };
        // Bottleneck: the spare keys at the end, the flows given back on the way.
        let mut amount = want.min(self.room[end] - self.used[end]);
        let mut t = end;
        while let Some((s, _)) = via_type[t] {
            if s == start {
                break;
            }
            let Some((t2, q)) = via_stratum[s] else { break };
            amount = amount.min(self.flow[t2][q]);
            t = t2;
        }
        // Apply: every type on the path gives `amount` more to the stratum
        // before it, and takes `amount` back from the stratum after it.
        self.used[end] += amount;
        let mut t = end;
        while let Some((s, p)) = via_type[t] {
            self.flow[t][p] += amount;
            if s == start {
                self.placed[s] += amount;
                break;
            }
            let Some((t2, q)) = via_stratum[s] else { break };
            self.flow[t2][q] -= amount;
            t = t2;
        }
        true
    }

    /// Takes one key of type `t` for a token of stratum `s` when the tokens
    /// still to place can then all get keys, updating the flow; otherwise
    /// changes nothing and returns false.
    pub fn take(&mut self, t: usize, s: usize) -> bool {
        let Ok(p) = self.members[t].binary_search(&s) else { return false };
        if self.demand[s] == 0 || self.room[t] == 0 {
            return false;
        }
        if self.flow[t][p] > 0 {
            self.flow[t][p] -= 1;
            self.used[t] -= 1;
            self.room[t] -= 1;
            self.demand[s] -= 1;
            self.placed[s] -= 1;
            return true;
        }
        // The token no longer needs the key the flow gave it elsewhere...
        let Some(&(t2, p2)) = self.of_stratum[s].iter().find(|&&(t2, p2)| self.flow[t2][p2] > 0) else {
            return false;
        };
        self.flow[t2][p2] -= 1;
        self.used[t2] -= 1;
        self.demand[s] -= 1;
        self.placed[s] -= 1;
        self.room[t] -= 1;
        if self.used[t] <= self.room[t] {
            return true;
        }
        // ...and type `t` now has one key too few: a stratum it served must
        // find another along an augmenting path.
        let Some(q) = (0..self.members[t].len()).find(|&q| self.flow[t][q] > 0) else {
            return self.undo(t, (t2, p2), s, None);
        };
        let s3 = self.members[t][q];
        self.flow[t][q] -= 1;
        self.used[t] -= 1;
        self.placed[s3] -= 1;
        if self.augment(s3, 1) {
            return true;
        }
        self.undo(t, (t2, p2), s, Some(q))
    }

    /// Reverts a refused [`Transport::take`]; returns false.
    fn undo(&mut self, t: usize, (t2, p2): (usize, usize), s: usize, taken_back: Option<usize>) -> bool {
        if let Some(q) = taken_back {
            let s3 = self.members[t][q];
            self.flow[t][q] += 1;
            self.used[t] += 1;
            self.placed[s3] += 1;
        }
        self.room[t] += 1;
        self.flow[t2][p2] += 1;
        self.used[t2] += 1;
        self.demand[s] += 1;
        self.placed[s] += 1;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way of taking keys one by one: `take` accepts exactly the moves
    /// after which an assignment still exists (decided by brute force).
    #[test]
    fn take_accepts_exactly_the_completable_moves() {
        // Three strata; types: {0}, {0,1}, {1,2}, {2}, {0,2}.
        let types = vec![(vec![0], 1), (vec![0, 1], 2), (vec![1, 2], 1), (vec![2], 1), (vec![0, 2], 1)];
        fn feasible(types: &[(Vec<usize>, u64)], demand: &[u64]) -> bool {
            // Brute force Hall over every subset of strata.
            (1u32..1 << demand.len()).all(|a| {
                let need: u64 = (0..demand.len()).filter(|&s| a & 1 << s != 0).map(|s| demand[s]).sum();
                let have: u64 = types.iter().filter(|(m, _)| m.iter().any(|&s| a & 1 << s != 0)).map(|(_, n)| n).sum();
                need <= have
            })
        }
        for d0 in 0..4 {
            for d1 in 0..4 {
                for d2 in 0..4 {
                    let demand = vec![d0, d1, d2];
                    let mut t = Transport::new(&types, demand.clone());
                    assert_eq!(t.fill(), feasible(&types, &demand), "{demand:?}");
                    if !feasible(&types, &demand) {
                        continue;
                    }
                    // Walk every move sequence greedily by first accepted move, checking each refusal.
                    let mut types_left = types.clone();
                    let mut demand_left = demand.clone();
                    loop {
                        let mut moved = false;
                        for ty in 0..types.len() {
                            for &s in &types[ty].0 {
                                if demand_left[s] == 0 || types_left[ty].1 == 0 {
                                    continue;
                                }
                                let mut after_types = types_left.clone();
                                after_types[ty].1 -= 1;
                                let mut after_demand = demand_left.clone();
                                after_demand[s] -= 1;
                                let expect = feasible(&after_types, &after_demand);
                                let before = t.clone();
                                let got = t.take(ty, s);
                                assert_eq!(got, expect, "{demand:?} left {demand_left:?} take {ty} for {s}");
                                if got {
                                    types_left = after_types;
                                    demand_left = after_demand;
                                    moved = true;
                                } else {
                                    assert_eq!(t.flow, before.flow);
                                    assert_eq!(t.room, before.room);
                                }
                            }
                        }
                        if !moved {
                            break;
                        }
                    }
                    assert!(demand_left.iter().all(|&d| d == 0), "{demand:?} stalled at {demand_left:?}");
                }
            }
        }
    }
}
