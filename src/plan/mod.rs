//! The compiled law of a model: what the sampler draws from, and what
//! `check` decides the `count` rules with, so that `check` accepts exactly
//! the collections `run` can draw.
//!
//! The factor graph of the model (`solve::network::network`) splits into
//! connected components: traits tied by a rule or a `when`. Components are
//! independent under the distribution of a token, so each is compiled and
//! drawn on its own (and a change to one component never moves another's
//! draws: the basis of stable re-rolls).
//!
//! Counted variants cut the token space into *strata*: a token's stratum (its
//! *signature*) says, for each trait with a `count`, which of its counted
//! variants the token has, or "none of them". Per component, one exact
//! sampler is compiled for the unconditioned distribution and one per local
//! signature (the distribution conditioned on that signature, by 0/1 unary
//! factors), with the `unique` traits eliminated last so that they are drawn
//! first: that lets the uniqueness stage enumerate, weigh and fix the unique
//! part of a token before drawing the rest.
//!
//! Beside the compiled [`Plan`]: the integer program that decides how many
//! tokens each stratum gets ([`counts`], through [`quotas`]), the exact
//! assignment of unique combinations that strata share ([`sharing`]), the
//! enumeration of a stratum's unique combinations ([`unique`]), the random
//! streams every draw is a pure function of ([`streams`]), and the exact
//! predicted shares of one token ([`predicted_shares`]). Drawing the
//! collection is [`crate::sample`]'s.

pub mod counts;
mod error;
pub mod sharing;
pub mod streams;
pub mod unique;

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::model::{Model, TraitId};
use crate::solve::network::{budget as count_budget, network};
use crate::solve::{
    self, Budget, Count, Factor, Network, RelaxedModel, Sampler, SamplerStep, SearchBudget, SearchModel, SolveError,
    WeightedModel,
};

pub use error::SampleError;
use streams::StreamKey;

/// A trait with `count` rules and its counted variants.
#[derive(Clone, Debug)]
pub struct Counted {
    /// The trait.
    pub trait_id: TraitId,
    /// Its counted variants, ascending: class `i + 1` is `variants[i]`, class 0 is any other.
    pub variants: Vec<usize>,
}

/// How a component's distribution is compiled.
#[derive(Clone, Debug)]
pub enum Engine {
    /// Variable elimination (the fast path) and its backward sampler.
    Elimination {
        /// The compiled model (marginals for `simulate`).
        model: Box<WeightedModel>,
        /// Its exact sampler.
        sampler: Sampler,
    },
    /// Search with component caching, for graphs too dense to eliminate.
    Search(Arc<SearchModel>),
    /// Rejection from a relaxation that eliminates (exact draws; marginals
    /// estimated from [`RELAXED_DRAWS`] draws), when search is over budget too.
    Relaxed(Arc<RelaxedModel>, Vec<usize>),
}

/// Accepted draws behind the estimated shares of a relaxed component.
pub const RELAXED_DRAWS: u64 = 20_000;

/// One compiled distribution of a component.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The exact compiled distribution.
    pub engine: Engine,
    /// Whether the sampler draws the component's unique traits first.
    pub unique_first: bool,
    /// Unique projections (assignments of the component's unique traits) with positive mass.
    pub capacity: Count,
    /// Unique projections compatible with the classes of the counted traits
    /// that are themselves unique (the others left free): the combinations
    /// this stratum shares with the strata that differ only on counted traits
    /// outside `unique`.
    pub group_capacity: Count,
}

/// A connected component of the rule graph.
#[derive(Clone, Debug)]
pub struct Component {
    /// Global trait ids, ascending; local variable `i` is `traits[i]`.
    pub traits: Vec<TraitId>,
    /// The component's factor graph (local variables), which its strata
    /// condition: kept when it has counted traits, empty (no variables)
    /// otherwise, since nothing reads it once [`Component::base`] is compiled
    /// (the priors and rule tables of 400,000 variants are about 10 MB).
    pub net: Network,
    /// Local indices of the `unique` traits.
    pub unique: Vec<usize>,
    /// Indices into [`Plan::counted`] of the counted traits in this component.
    pub counted: Vec<usize>,
    /// The unconditioned distribution.
    pub base: Compiled,
    /// Per local signature (mixed radix over `counted`, first fastest... see
    /// [`Plan::local_signature`]): the conditioned distribution, `None` when
    /// empty. Compiled up front unless the plan is [`Plan::lazy`].
    pub strata: Vec<Option<Compiled>>,
    /// In a lazy plan, the strata of the local signatures counted so far
    /// ([`Plan::prepare_caps`]), each compiled for drawing when a token is
    /// first drawn from it ([`Plan::compiled_for`]).
    pub lazy_strata: BTreeMap<usize, LazyStratum>,
    /// In a lazy plan, the unique combinations of the local signatures
    /// counted so far ([`Plan::prepare_caps`]): `None` when no token has
    /// it; at least [`Plan::lazy_cap`] is kept as `Bounds { lower, upper:
    /// u128::MAX }`.
    pub lazy_caps: BTreeMap<usize, Option<Count>>,
}

/// A stratum of a lazy plan: compiled (`None`: empty) on first use, by
/// whichever thread asks first; the compilation is deterministic, so the
/// result is the same whoever compiles it.
pub type LazyStratum = std::sync::OnceLock<Result<Option<Compiled>, SampleError>>;

/// A connected component of the model's network before it is compiled
/// into a [`Component`], with what `check` has computed of it already.
#[derive(Debug)]
pub(crate) struct Part {
    /// Global trait ids, ascending; local variable `i` is `traits[i]`.
    pub traits: Vec<TraitId>,
    /// The component's factor graph (local variables, factors in network order).
    pub net: Network,
    /// Local indices of the `unique` traits (in the order of [`Model::unique`]).
    pub unique: Vec<usize>,
    /// The component's [`eliminate`], when done already.
    pub eliminated: Option<Result<(WeightedModel, bool), SolveError>>,
    /// Its unique projections, when counted already.
    pub capacity: Option<Count>,
}

/// Everything the sampler needs, compiled once per model.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Components in order of their first trait.
    pub components: Vec<Component>,
    /// Component of every trait and its local index there.
    pub place: Vec<(usize, usize)>,
    /// Traits with counts.
    pub counted: Vec<Counted>,
    /// Per trait: its index in `counted`, if any.
    pub counted_of_trait: Vec<Option<usize>>,
    /// Number of global signatures (product of class counts).
    pub signatures: usize,
    /// Whether the signatures are more than [`MAX_SIGNATURES`]: the strata
    /// are then compiled on demand ([`Plan::prepare`]) and the count stage
    /// works over the signatures it generates (see [`super::counts`]).
    pub lazy: bool,
    /// Per trait: its stream key.
    pub keys: Vec<StreamKey>,
}

/// Most global signatures the count stage enumerates up front; beyond it the
/// plan is [`Plan::lazy`].
pub const MAX_SIGNATURES: usize = 1 << 14;

thread_local! {
    /// The limit [`Plan::new`] and [`Plan::build`] use on this thread.
    static LIMIT: std::cell::Cell<usize> = const { std::cell::Cell::new(MAX_SIGNATURES) };
}

/// Sets the limit on enumerated signatures for plans compiled on this
/// thread ([`MAX_SIGNATURES`] unless set): tests send small collections
/// down the lazy path with it, through `check` and `run` alike.
#[doc(hidden)]
pub fn set_enumerated_limit(limit: usize) {
    LIMIT.with(|l| l.set(limit));
}

impl Plan {
    /// Compiles `model`.
    pub fn new(model: &Model) -> Result<Plan, SampleError> {
        Plan::build(model, true)
    }

    /// Compiles `model`; without `strata`, only the unconditioned
    /// distributions (enough for shares, not for counts).
    pub fn build(model: &Model, strata: bool) -> Result<Plan, SampleError> {
        Plan::build_with_limit(model, strata, LIMIT.with(std::cell::Cell::get))
    }

    /// [`Plan::new`] with another limit on the signatures enumerated up
    /// front: tests send small collections down the lazy path with it.
    pub fn with_limit(model: &Model, limit: usize) -> Result<Plan, SampleError> {
        Plan::build_with_limit(model, true, limit)
    }

    /// [`Plan::new`] from the connected components of the model's network
    /// as `check` has split and compiled them already ([`Part`], in the
    /// order of their first trait): the same plan, without building the
    /// network, counting the unique projections or eliminating the
    /// components again.
    pub(crate) fn from_parts(model: &Model, parts: Vec<Part>) -> Result<Plan, SampleError> {
        let mut place = vec![(0, 0); model.traits.len()];
        for (ci, part) in parts.iter().enumerate() {
            for (local, &t) in part.traits.iter().enumerate() {
                place[t] = (ci, local);
            }
        }
        Plan::assemble(model, true, LIMIT.with(std::cell::Cell::get), place, parts)
    }

    fn build_with_limit(model: &Model, strata: bool, limit: usize) -> Result<Plan, SampleError> {
        let net = network(model);
        let n = net.domains.len();
        let component_of = net.components();
        let mut groups: Vec<Vec<TraitId>> = Vec::new();
        let mut place = vec![(0, 0); n];
        for (t, slot) in place.iter_mut().enumerate() {
            let c = component_of[t];
            if c == groups.len() {
                groups.push(Vec::new());
            }
            *slot = (c, groups[c].len());
            groups[c].push(t);
        }
        // Per component: its traits, its network (every factor in network
        // order) and its unique traits.
        let mut parts: Vec<Part> = groups
            .into_iter()
            .map(|traits| {
                let net = Network::new(traits.iter().map(|&t| net.domains[t]).collect());
                Part { traits, net, unique: Vec::new(), eliminated: None, capacity: None }
            })
            .collect();
        for f in net.factors {
            if let Some(&first) = f.scope.first() {
                let scope = f.scope.iter().map(|&t| place[t].1).collect();
                parts[place[first].0].net.push(Factor { scope, ..f });
            }
        }
        for &t in &model.unique {
            parts[place[t].0].unique.push(place[t].1);
        }
        Plan::assemble(model, strata, limit, place, parts)
    }

    /// Compiles the plan of `parts` (the connected components, in the order
    /// of their first trait; `place` says where every trait is).
    fn assemble(
        model: &Model,
        strata: bool,
        limit: usize,
        place: Vec<(usize, usize)>,
        parts: Vec<Part>,
    ) -> Result<Plan, SampleError> {
        let n = place.len();
        let mut counted: Vec<Counted> = Vec::new();
        let mut counted_of_trait = vec![None; n];
        for v in model.counts.iter().flat_map(|rule| rule.variants.iter().copied()) {
            let i = *counted_of_trait[v.trait_id].get_or_insert_with(|| {
                counted.push(Counted { trait_id: v.trait_id, variants: Vec::new() });
                counted.len() - 1
            });
            if !counted[i].variants.contains(&v.index) {
                counted[i].variants.push(v.index);
                counted[i].variants.sort_unstable();
            }
        }
        let mut signatures: Option<usize> = Some(1);
        for c in &counted {
            signatures = signatures.and_then(|s| s.checked_mul(c.variants.len() + 1));
        }
        let Some(signatures) = signatures else {
            return Err(SampleError::TooComplex {
                what: format!(
                    "the `count` rules split tokens into more than {} classes (the product of one more than the \
                     counted variants of each counted trait)",
                    usize::MAX
                ),
            });
        };
        let lazy = signatures > limit;
        if lazy && strata && !model.unique.is_empty() {
            // Strata that share unique combinations need the exact
            // assignment of `sharing`, which enumerates them all.
            let outside: Vec<TraitId> =
                counted.iter().map(|c| c.trait_id).filter(|t| !model.unique.contains(t)).collect();
            if !outside.is_empty() || model.visually.is_some() {
                let why = if outside.is_empty() {
                    "under `unique visually`".to_string()
                } else {
                    format!("with counted traits outside `unique` ({})", trait_names(model, &outside))
                };
                return Err(SampleError::TooComplex {
                    what: format!(
                        "the `count` rules split tokens into {signatures} classes, which share unique combinations \
                         {why} (at most {limit} such classes are supported)"
                    ),
                });
            }
        }

        let mut counted_of_part: Vec<Vec<usize>> = vec![Vec::new(); parts.len()];
        for (i, c) in counted.iter().enumerate() {
            counted_of_part[place[c.trait_id].0].push(i);
        }
        // Components are independent: compiled in parallel, collected in
        // order (the first error in component order is the one returned, as
        // when they were compiled one after the other).
        let build = |(part, my_counted): (Part, Vec<usize>)| {
            let Part { traits, net, unique, eliminated, capacity } = part;
            let known = capacity.filter(|_| !unique.is_empty());
            let base = compile_known(&net, &unique, model, &traits, known, eliminated)?.ok_or_else(|| {
                SampleError::Empty { traits: traits.iter().map(|&t| model.traits[t].name.clone()).collect() }
            })?;
            let total: usize = my_counted.iter().map(|&i| counted[i].variants.len() + 1).product();
            let net = if my_counted.is_empty() { Network::new(Vec::new()) } else { net };
            let mut component = Component {
                traits,
                net,
                unique,
                counted: my_counted,
                base,
                strata: vec![None],
                lazy_strata: BTreeMap::new(),
                lazy_caps: BTreeMap::new(),
            };
            if !component.counted.is_empty() && strata && !lazy {
                // Collected whole, then the first error in order: rayon's
                // `Result` collection returns whichever error a thread met first.
                let compiled: Vec<Result<Option<Compiled>, SampleError>> = (0..total)
                    .into_par_iter()
                    .map(|sig| component.compile_stratum(model, &counted, sig, None))
                    .collect();
                component.strata = compiled.into_iter().collect::<Result<_, SampleError>>()?;
            }
            Ok(component)
        };
        let built: Vec<Result<Component, SampleError>> =
            parts.into_par_iter().zip(counted_of_part).map(build).collect();
        let components = built.into_iter().collect::<Result<Vec<Component>, SampleError>>()?;
        let keys = model.traits.iter().map(|t| StreamKey::new(&model.settings.seed, "trait", &t.name)).collect();
        Ok(Plan { components, place, counted, counted_of_trait, signatures, lazy, keys })
    }

    /// The unique combinations up to which a lazy plan counts a stratum:
    /// twice the tokens drawn (at least 1). Every reader of a stratum's
    /// combinations compares them with at most that: the integer program
    /// with `size` (a capacity of `size` or more cannot bind), and the
    /// unique stage's test for a scarce stratum (more than half of its
    /// combinations asked for, by at most `size` tokens).
    pub fn lazy_cap(model: &Model) -> u128 {
        u128::from(model.generated_size()).saturating_mul(2).max(1)
    }

    /// Counts, for a lazy plan, the unique combinations of the strata of
    /// the global signatures `sigs` not counted yet, up to
    /// [`Plan::lazy_cap`], without compiling them for drawing: whether a
    /// token can have the signature and its capacity are all that deciding
    /// the counts needs ([`counts`]). Exact: a count is searched only until
    /// it reaches the cap ([`solve::count_given_up_to`]), and one that
    /// reaches it is kept as "at least the cap". When a count is not
    /// settled within its budget, the stratum is compiled whole as before,
    /// and its capacity read from that.
    pub fn prepare_caps(&mut self, model: &Model, sigs: &[usize]) -> Result<(), SampleError> {
        if !self.lazy {
            return Ok(());
        }
        let cap = Plan::lazy_cap(model);
        for ci in 0..self.components.len() {
            if self.components[ci].counted.is_empty() {
                continue;
            }
            let mut wanted: Vec<usize> = sigs.iter().map(|&s| self.local_signature(ci, s)).collect();
            wanted.sort_unstable();
            wanted.dedup();
            let c = &self.components[ci];
            wanted.retain(|l| !c.lazy_caps.contains_key(l));
            // Per stratum: its capacity, and the stratum when it had to be compiled.
            type Capacity = (Option<Count>, Option<Option<Compiled>>);
            let counted: Vec<Result<Capacity, SampleError>> = wanted
                .par_iter()
                .map(|&l| match c.stratum_capacity(&self.counted, l, cap) {
                    Some(known) => Ok((known, None)),
                    None => {
                        let compiled = c.compile_stratum(model, &self.counted, l, None)?;
                        Ok((compiled.as_ref().map(|m| m.capacity), Some(compiled)))
                    }
                })
                .collect();
            let counted = counted.into_iter().collect::<Result<Vec<_>, SampleError>>()?;
            let c = &mut self.components[ci];
            for (l, (known, compiled)) in wanted.into_iter().zip(counted) {
                // Compiled already when its count needed it; empty; or
                // compiled when first drawn from.
                let stratum = LazyStratum::new();
                if let Some(compiled) = compiled {
                    stratum.get_or_init(|| Ok(compiled));
                } else if known.is_none() {
                    stratum.get_or_init(|| Ok(None));
                }
                c.lazy_caps.insert(l, known);
                c.lazy_strata.insert(l, stratum);
            }
        }
        Ok(())
    }

    /// Class of `value` for counted trait `i` (0: none of its counted variants).
    pub fn class(&self, i: usize, value: u32) -> usize {
        self.counted[i].variants.iter().position(|&v| v == value as usize).map_or(0, |p| p + 1)
    }

    /// The global signature of a token (mixed radix over `counted`, first fastest).
    pub fn signature(&self, token: &[u32]) -> usize {
        let mut sig = 0;
        let mut mult = 1;
        for (i, c) in self.counted.iter().enumerate() {
            sig += self.class(i, token[c.trait_id]) * mult;
            mult *= c.variants.len() + 1;
        }
        sig
    }

    /// The group of a global signature: its classes on counted traits that are
    /// `unique` (the others zeroed). Strata of one group may share unique
    /// combinations; strata of different groups never do.
    pub fn group(&self, model: &Model, sig: usize) -> usize {
        self.group_of(&self.unique_counted(model), sig)
    }

    /// Per counted trait: whether it is `unique`.
    fn unique_counted(&self, model: &Model) -> Vec<bool> {
        self.counted.iter().map(|c| model.unique.contains(&c.trait_id)).collect()
    }

    /// [`Plan::group`] given [`Plan::unique_counted`] (which `strata` takes
    /// once for all its columns rather than once per column).
    fn group_of(&self, unique: &[bool], sig: usize) -> usize {
        self.group_of_classes(unique, &self.classes(sig))
    }

    /// [`Plan::group_of`] given the signature's classes ([`Plan::classes`]).
    fn group_of_classes(&self, unique: &[bool], classes: &[usize]) -> usize {
        let mut g = 0;
        let mut mult = 1;
        for ((&class, c), &is_unique) in classes.iter().zip(&self.counted).zip(unique) {
            if is_unique {
                g += class * mult;
            }
            mult *= c.variants.len() + 1;
        }
        g
    }

    /// The classes of a global signature.
    pub fn classes(&self, mut sig: usize) -> Vec<usize> {
        self.counted
            .iter()
            .map(|c| {
                let r = c.variants.len() + 1;
                let class = sig % r;
                sig /= r;
                class
            })
            .collect()
    }

    /// Component `ci`'s local signature within global signature `sig`.
    pub fn local_signature(&self, ci: usize, sig: usize) -> usize {
        self.local_of(ci, &self.classes(sig))
    }

    /// Component `ci`'s local signature given every counted trait's class
    /// ([`Plan::classes`]).
    fn local_of(&self, ci: usize, classes: &[usize]) -> usize {
        let mut local = 0;
        let mut mult = 1;
        for &i in &self.components[ci].counted {
            local += classes[i] * mult;
            mult *= self.counted[i].variants.len() + 1;
        }
        local
    }

    /// The compiled distribution of component `ci` for global signature `sig`
    /// (`None`: no token of the component has it).
    pub fn compiled(&self, ci: usize, sig: usize) -> Option<&Compiled> {
        let c = &self.components[ci];
        if c.counted.is_empty() { Some(&c.base) } else { self.stratum(ci, self.local_signature(ci, sig)) }
    }

    /// The unique combinations of component `ci`'s stratum of local
    /// signature `local` and those it shares with its group (`None`: empty,
    /// or not counted yet in a lazy plan, whose counts stop at
    /// [`Plan::lazy_cap`]: see [`Plan::prepare_caps`]).
    fn stratum_capacities(&self, ci: usize, local: usize) -> Option<(Count, Count)> {
        if self.lazy {
            // Each column of a lazy plan is its own group.
            self.components[ci].lazy_caps.get(&local).copied().flatten().map(|n| (n, n))
        } else {
            self.stratum(ci, local).map(|m| (m.capacity, m.group_capacity))
        }
    }

    /// Component `ci`'s compiled stratum of local signature `local` (`None`:
    /// empty, or not compiled yet in a lazy plan).
    fn stratum(&self, ci: usize, local: usize) -> Option<&Compiled> {
        let c = &self.components[ci];
        if self.lazy {
            c.lazy_strata.get(&local).and_then(|m| m.get()).and_then(|m| m.as_ref().ok()).and_then(Option::as_ref)
        } else {
            c.strata.get(local).and_then(Option::as_ref)
        }
    }

    /// Compiles, for a lazy plan, the strata of the global signatures `sigs`
    /// that were counted but not compiled yet, in parallel (each once). To
    /// call before drawing from them in parallel: a stratum compiled inside
    /// a parallel loop by [`Plan::compiled_for`] could have the thread that
    /// compiles it, waiting for its own parallel work, take another draw of
    /// the same stratum, which would wait for itself.
    pub fn compile_for(&self, model: &Model, sigs: &[usize]) -> Result<(), SampleError> {
        if !self.lazy {
            return Ok(());
        }
        let mut wanted: Vec<(usize, usize)> = Vec::new();
        for (ci, c) in self.components.iter().enumerate() {
            if c.counted.is_empty() {
                continue;
            }
            let mut locals: Vec<usize> = sigs.iter().map(|&s| self.local_signature(ci, s)).collect();
            locals.sort_unstable();
            locals.dedup();
            wanted.extend(
                locals.into_iter().filter(|l| c.lazy_strata.get(l).is_some_and(|m| m.get().is_none())).map(|l| (ci, l)),
            );
        }
        let done: Vec<Result<(), SampleError>> =
            wanted.par_iter().map(|&(ci, local)| self.lazy_compiled(model, ci, local).map(|_| ())).collect();
        done.into_iter().collect()
    }

    /// [`Plan::compiled`], compiling the stratum of a lazy plan now when it
    /// was counted ([`Plan::prepare_caps`]) but not compiled yet: `Ok(None)`
    /// when no token of the component has the signature, or when it was
    /// never counted (not a column).
    pub fn compiled_for(&self, model: &Model, ci: usize, sig: usize) -> Result<Option<&Compiled>, SampleError> {
        let c = &self.components[ci];
        if !self.lazy || c.counted.is_empty() {
            return Ok(self.compiled(ci, sig));
        }
        self.lazy_compiled(model, ci, self.local_signature(ci, sig))
    }

    /// Component `ci`'s stratum of local signature `local` in a lazy plan,
    /// compiled now (once, whichever thread asks first) if it was counted
    /// but not compiled yet; `Ok(None)` when it is empty or was never
    /// counted.
    fn lazy_compiled(&self, model: &Model, ci: usize, local: usize) -> Result<Option<&Compiled>, SampleError> {
        let c = &self.components[ci];
        let Some(stratum) = c.lazy_strata.get(&local) else { return Ok(None) };
        let known = c.lazy_caps.get(&local).copied().flatten();
        match stratum.get_or_init(|| c.compile_stratum(model, &self.counted, local, known)) {
            Ok(compiled) => Ok(compiled.as_ref()),
            Err(e) => Err(e.clone()),
        }
    }
}

impl Component {
    /// The network of the component conditioned on local signature `sig`
    /// (0/1 unary factors on its counted traits), and the same with only
    /// its unique counted traits conditioned when `group` asks for it
    /// (`None` otherwise, or when that is the same network: every counted
    /// trait of the component is unique).
    fn stratum_networks(&self, counted: &[Counted], sig: usize, group: bool) -> (Network, Option<Network>) {
        debug_assert!(!self.counted.is_empty(), "only a component with counted traits keeps its network");
        let mut net_sig = self.net.clone();
        let all_unique = self.counted.iter().all(|&i| {
            let var = self.traits.iter().position(|&t| t == counted[i].trait_id).unwrap_or(0);
            self.unique.contains(&var)
        });
        let mut net_group = if group && !all_unique { Some(self.net.clone()) } else { None };
        let mut rest = sig;
        for &i in &self.counted {
            let c = &counted[i];
            let radix = c.variants.len() + 1;
            let class = rest % radix;
            rest /= radix;
            let var = self.traits.iter().position(|&t| t == c.trait_id).unwrap_or(0);
            let mask: Vec<f64> = (0..self.net.domains[var])
                .map(|x| {
                    let cls = c.variants.iter().position(|&v| v == x).map_or(0, |p| p + 1);
                    if cls == class { 1.0 } else { 0.0 }
                })
                .collect();
            if let Some(net_group) = net_group.as_mut().filter(|_| self.unique.contains(&var)) {
                net_group.push(Factor::unary(var, mask.clone()));
            }
            net_sig.push(Factor::unary(var, mask));
        }
        (net_sig, net_group)
    }

    /// The distribution of the component conditioned on local signature
    /// `sig` (0/1 unary factors on its counted traits); `None` when empty.
    /// With `known`, its unique combinations as [`Component::stratum_capacity`]
    /// counted them (not counted again).
    fn compile_stratum(
        &self,
        model: &Model,
        counted: &[Counted],
        sig: usize,
        known: Option<Count>,
    ) -> Result<Option<Compiled>, SampleError> {
        // The group's network is read only when its count is not known.
        let (net_sig, net_group) = self.stratum_networks(counted, sig, known.is_none());
        let mut compiled = compile_known(&net_sig, &self.unique, model, &self.traits, known, None)?;
        if let Some(c) = compiled.as_mut() {
            // When every counted trait is unique the group's network is the
            // stratum's: the same count.
            c.group_capacity = match (known, net_group) {
                (Some(known), _) => known,
                (None, Some(net_group)) => projections(&net_group, &self.unique),
                (None, None) => c.capacity,
            };
        }
        Ok(compiled)
    }

    /// The unique combinations of the stratum of local signature `sig`,
    /// counted up to `cap` ([`Plan::lazy_cap`]): `Some(None)` when no token
    /// has it, `Some(Some(n))` with `n` exact below `cap` or `Bounds {
    /// lower: cap, upper: u128::MAX }` at or above it; `None` when the count
    /// was not settled within its budget (the caller compiles the stratum).
    /// Without unique traits in the component, only whether it is empty is
    /// asked (a count of its combinations up to 1), and its capacity is 1 as
    /// in [`compile_known`].
    fn stratum_capacity(&self, counted: &[Counted], sig: usize, cap: u128) -> Option<Option<Count>> {
        let (net_sig, _) = self.stratum_networks(counted, sig, false);
        let budget = count_budget();
        if self.unique.is_empty() {
            let all: Vec<usize> = (0..self.traits.len()).collect();
            return match solve::count_given_up_to(&net_sig, &all, &[], &budget, 1).ok()? {
                Count::Exact(0) => Some(None),
                n if n.lower() >= 1 => Some(Some(Count::Exact(1))),
                _ => None,
            };
        }
        match solve::count_given_up_to(&net_sig, &self.unique, &[], &budget, cap).ok()? {
            Count::Exact(0) => Some(None),
            Count::Exact(n) if n < cap => Some(Some(Count::Exact(n))),
            n if n.lower() >= cap => Some(Some(Count::Bounds { lower: cap, upper: u128::MAX })),
            _ => None,
        }
    }
}

/// Variable elimination of a component's distribution, with its `unique`
/// variables eliminated last when that fits the budget (the sampler then
/// draws them first); else in any order. The flag says whether `unique`
/// went last. The one elimination both `check` (marginals, the partition
/// function) and the plan (the sampler) use.
/// `check` computes the same with the component's count
/// ([`solve::eliminate_and_count`]).
pub(crate) fn eliminate(net: &Network, unique: &[usize]) -> Result<(WeightedModel, bool), SolveError> {
    let budget = Budget::default();
    match WeightedModel::compile_with_last(net, &[], &budget, unique) {
        Ok(m) => Ok((m, true)),
        Err(SolveError::TooLarge { .. }) => WeightedModel::compile(net, &[], &budget).map(|m| (m, false)),
        Err(e) => Err(e),
    }
}

/// Compiles one component distribution (`None` when it is empty), with
/// the component's unique projections when they are known already
/// (`projections(net, unique)`) and its [`eliminate`] when done already.
fn compile_known(
    net: &Network,
    unique: &[usize],
    model: &Model,
    traits: &[TraitId],
    capacity: Option<Count>,
    eliminated: Option<Result<(WeightedModel, bool), SolveError>>,
) -> Result<Option<Compiled>, SampleError> {
    let budget = Budget::default();
    // The unique projections first: counting them needs the component's
    // network preprocessed again and eliminated, which then is not held
    // beside the compiled model and its sampler (the same count either way).
    let capacity = capacity.unwrap_or_else(|| projections(net, unique));
    let too_complex = |e: SolveError| SampleError::TooComplex {
        what: format!("the rules tying {} are too dense to sample exactly ({e})", trait_names(model, traits)),
    };
    let search = || match SearchModel::compile(net, &[], SearchBudget::default()) {
        Ok(m) => Ok(Some(Engine::Search(Arc::new(m)))),
        Err(SolveError::EmptySupport) => Ok(None),
        Err(SolveError::TooLarge { .. }) => match RelaxedModel::compile(net, &budget) {
            Ok(m) => Ok(Some(Engine::Relaxed(Arc::new(m), net.domains.clone()))),
            Err(SolveError::EmptySupport) => Ok(None),
            Err(e) => Err(too_complex(e)),
        },
        Err(e) => Err(too_complex(e)),
    };
    let (engine, unique_first) = match eliminated.unwrap_or_else(|| eliminate(net, unique)) {
        Ok((m, last)) => (Some(Engine::Elimination { sampler: m.sampler(), model: Box::new(m) }), last),
        Err(SolveError::EmptySupport) => return Ok(None),
        Err(SolveError::TooLarge { .. }) => (search()?, false),
        Err(e) => return Err(too_complex(e)),
    };
    let Some(engine) = engine else { return Ok(None) };
    let unique_first = unique_first
        && matches!(&engine, Engine::Elimination { sampler, .. }
            if sampler.steps().iter().take(unique.len()).all(|s| unique.contains(&s.var)));
    Ok(Some(Compiled { engine, unique_first, capacity, group_capacity: capacity }))
}

impl Compiled {
    /// Draws the component into `local` (one uniform per variable, from
    /// `uniform(var)`); with elimination, the first `fixed` steps keep the
    /// values already in `local` (only used when [`Compiled::unique_first`]).
    pub fn draw_from(&self, fixed: usize, local: &mut [u32], uniform: impl FnMut(usize) -> f64) -> bool {
        match &self.engine {
            Engine::Elimination { sampler, .. } => sampler.draw_from(fixed, local, uniform),
            Engine::Search(m) => m.draw(local, uniform),
            Engine::Relaxed(m, _) => m.draw(local, uniform),
        }
    }

    /// Whether [`Compiled::marginals`] are exact (else estimated from
    /// [`RELAXED_DRAWS`] exact draws: standard error at most `0.5 / sqrt(RELAXED_DRAWS)`).
    pub fn exact_marginals(&self) -> bool {
        !matches!(self.engine, Engine::Relaxed(..))
    }

    /// `P(trait = variant)` for every local trait and variant.
    pub fn marginals(&self) -> Vec<Vec<f64>> {
        match &self.engine {
            Engine::Elimination { model, .. } => model.marginals(),
            Engine::Search(m) => m.marginals(),
            Engine::Relaxed(m, domains) => m.estimate_marginals(domains, RELAXED_DRAWS),
        }
    }

    /// The elimination sampler's steps (drawing order), when it has them.
    pub fn steps(&self) -> Option<&[SamplerStep]> {
        match &self.engine {
            Engine::Elimination { sampler, .. } => Some(sampler.steps()),
            Engine::Search(_) | Engine::Relaxed(..) => None,
        }
    }
}

/// Number of assignments of `unique` with positive mass (1 when there are none).
fn projections(net: &Network, unique: &[usize]) -> Count {
    if unique.is_empty() {
        Count::Exact(1)
    } else {
        solve::count(net, unique, &count_budget()).unwrap_or(Count::Bounds { lower: 0, upper: u128::MAX })
    }
}

/// Names of traits, for messages.
fn trait_names(model: &Model, traits: &[TraitId]) -> String {
    let names: Vec<String> = traits.iter().map(|&t| format!("`{}`", model.traits[t].name)).collect();
    names.join(", ")
}

/// Per column (a global signature of `cols`): whether a token can have it,
/// its unique combinations and its group; per group: the combinations its
/// strata share. In a lazy plan no two strata share combinations (see
/// [`Plan::lazy`]): each column is its own group.
pub fn strata(model: &Model, plan: &Plan, cols: &[usize]) -> (Vec<bool>, Vec<u64>, Vec<usize>, Vec<u64>) {
    // The components with counted traits, found once for every column (a
    // plan of 12 counted traits has 4,096 columns, a large file hundreds of
    // components).
    let counted = counted_components(plan);
    // Components without counted traits have their one distribution in every column.
    let fixed = uncounted_product(plan, |m| m.capacity);
    let fixed_group = uncounted_product(plan, |m| m.group_capacity);
    let unique = plan.unique_counted(model);
    // Every column in one pass over its classes, the columns in parallel
    // (collected in order).
    let per_column: Vec<Column> = cols
        .par_iter()
        .map(|&s| {
            let classes = plan.classes(s);
            let (mut cap, mut group_cap, mut feasible) = (fixed, fixed_group, true);
            for &ci in &counted {
                match plan.stratum_capacities(ci, plan.local_of(ci, &classes)) {
                    None => {
                        feasible = false;
                        break;
                    }
                    Some((capacity, group_capacity)) if !plan.components[ci].unique.is_empty() => {
                        cap = cap.saturating_mul(capacity.upper());
                        group_cap = group_cap.saturating_mul(group_capacity.upper());
                    }
                    Some(_) => {}
                }
            }
            let (cap, group_cap) = if feasible { (cap, group_cap) } else { (0, 0) };
            Column {
                feasible,
                cap: u64::try_from(cap).unwrap_or(u64::MAX),
                group: if plan.lazy { 0 } else { plan.group_of_classes(&unique, &classes) },
                group_cap: u64::try_from(group_cap).unwrap_or(u64::MAX),
            }
        })
        .collect();
    let feasible: Vec<bool> = per_column.iter().map(|c| c.feasible).collect();
    let caps: Vec<u64> = per_column.iter().map(|c| c.cap).collect();
    if plan.lazy {
        return (feasible, caps.clone(), (0..cols.len()).collect(), caps);
    }
    let groups: Vec<usize> = per_column.iter().map(|c| c.group).collect();
    // Unique combinations shared by each group (indexed by group id).
    let mut group_caps = vec![0u64; plan.signatures];
    for c in &per_column {
        group_caps[c.group] = group_caps[c.group].max(c.group_cap);
    }
    (feasible, caps, groups, group_caps)
}

/// What [`strata`] finds of one column.
struct Column {
    /// Whether a token can have it.
    feasible: bool,
    /// Its unique combinations (saturating; upper bounds when not exact).
    cap: u64,
    /// Its group (0 in a lazy plan).
    group: usize,
    /// The unique combinations it shares with its group.
    group_cap: u64,
}

/// Indices of the components with counted traits, ascending.
fn counted_components(plan: &Plan) -> Vec<usize> {
    plan.components.iter().enumerate().filter(|(_, c)| !c.counted.is_empty()).map(|(ci, _)| ci).collect()
}

/// The product of a capacity of the components without counted traits
/// (saturating): the same in every column. Saturating products of
/// non-negative factors do not depend on their order (a zero anywhere
/// makes zero; otherwise the true product, capped), so it can be taken apart
/// from the counted components'.
fn uncounted_product(plan: &Plan, capacity: impl Fn(&Compiled) -> Count) -> u128 {
    plan.components
        .iter()
        .filter(|c| c.counted.is_empty() && !c.unique.is_empty())
        .fold(1u128, |cap, c| cap.saturating_mul(capacity(&c.base).upper()))
}

/// The joint problem of `model`'s counts, `size` and uniqueness (see [`counts`]).
/// Also says whether the program is exact: `Err` when strata share
/// combinations that could not be enumerated, so that only necessary
/// capacities bound them ([`sharing::Unknown`]).
/// The plan must not be lazy (its strata are then decided by
/// [`counts::lazy_conflict`]); with `cols`, a lazy plan's problem over those
/// columns (prepared with [`Plan::prepare`]).
pub fn quotas(model: &Model, plan: &Plan) -> (counts::Quotas, Result<(), sharing::Unknown>) {
    let cols: Vec<usize> = (0..plan.signatures).collect();
    let (feasible, caps, groups, group_caps) = strata(model, plan, &cols);
    let shared = sharing::Sharing::build(model, plan, &feasible, &caps, &groups);
    let exact = shared.as_ref().map(|_| ()).map_err(|&e| e);
    let shared = shared.unwrap_or_default();
    (counts::Quotas::new(model, plan, &cols, &feasible, &caps, &groups, &group_caps, &shared), exact)
}

/// Per column of a lazy plan (prepared): its capacity, `None` when no token can have it.
pub(crate) fn column_caps(model: &Model, plan: &Plan, cols: &[usize]) -> Vec<Option<u64>> {
    let (feasible, caps, _, _) = strata(model, plan, cols);
    feasible.iter().zip(caps).map(|(&f, c)| f.then_some(c)).collect()
}

/// The problem of a lazy plan's counts over the columns `cols` (global
/// signatures, ascending, prepared with [`Plan::prepare`]).
pub(crate) fn quotas_over(model: &Model, plan: &Plan, cols: &[usize]) -> counts::Quotas {
    let (feasible, caps, groups, group_caps) = strata(model, plan, cols);
    counts::Quotas::new(model, plan, cols, &feasible, &caps, &groups, &group_caps, &sharing::Sharing::default())
}

/// Exact predicted share of every variant of every trait under the rules
/// (the law of one token, before `count` and `unique`), per trait in model order.
pub fn predicted_shares(model: &Model) -> Result<Vec<Vec<f64>>, SampleError> {
    let plan = Plan::build(model, false)?;
    Ok(shares_of_plan(model, &plan))
}

/// [`predicted_shares`] from a compiled plan.
pub fn shares_of_plan(model: &Model, plan: &Plan) -> Vec<Vec<f64>> {
    // Each component's marginals moved into place (not copied beside them:
    // 800 KB for a trait of 100,000 variants); a trait no component has
    // (none: the components cover every trait) would keep zeros.
    let mut out: Vec<Vec<f64>> = vec![Vec::new(); model.traits.len()];
    for c in &plan.components {
        for (row, &tr) in c.base.marginals().into_iter().zip(&c.traits) {
            out[tr] = row;
        }
    }
    for (row, t) in out.iter_mut().zip(&model.traits) {
        row.resize(t.variants.len(), 0.0);
    }
    out
}
