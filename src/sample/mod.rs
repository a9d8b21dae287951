//! Sampling: [`Model`] to [`Tokens`], the variant of every trait for every
//! token id — exactly, reproducibly, and without ever stalling.
//!
//! # The distribution
//!
//! A token's law is the product of its traits' normalised weights (`when`
//! replacing its trait's weights) restricted to the combinations every
//! `forbid` and `require` allows (the language reference, §7.5). Over
//! the collection, every `count` holds exactly and no two generated tokens are
//! equal on the `unique` traits. Legendaries take their ids and are left out
//! of sampling, counts and uniqueness.
//!
//! # The algorithm
//!
//! 1. **Ids.** Legendaries with `at` take their ids; the others, in file
//!    order, take ids drawn (ChaCha8, keyed by the seed) among the ids still
//!    free. Generated tokens take the remaining ids in increasing order.
//! 2. **Compile** ([`crate::plan`]). The rule graph splits into independent
//!    components; each is compiled by exact variable elimination
//!    ([`crate::solve::WeightedModel`]) into an exact *backward sampler*
//!    ([`crate::solve::Sampler`]): per trait, in reverse elimination order, its
//!    conditional distribution given the traits drawn before it. Drawing
//!    trait after trait from these conditionals, by inverse CDF, yields a
//!    token from the exact law — no rejection, whatever the rules.
//! 3. **Draw** every generated token from that law, in parallel. Each
//!    token's draw of each trait uses a uniform from its own stream, a pure
//!    function of (seed, trait name, token id, attempt) ([`crate::plan::streams`]), so the
//!    result is the same on any machine and any number of threads, and a
//!    trait's draw only changes when its conditional changes: editing a
//!    trait's weights moves other traits only in its own component (where a
//!    rule ties them to it).
//! 4. **Counts** ([`crate::plan::counts`]): tokens are grouped by *signature* (which
//!    counted variant of each counted trait they have). Counts constrain only
//!    the number of tokens per signature; when the draw breaks one, an exact
//!    integer program moves the fewest tokens between signatures that makes
//!    every count hold together (it fails only when no collection can meet
//!    them, which `check` reports), and moved tokens are redrawn from the
//!    law conditioned on their new signature.
//! 5. **Unique** ([`crate::plan::unique`]): token after token, each is drawn from its
//!    law restricted to the unique combinations not yet taken (successive
//!    sampling without replacement): by redrawing on collision while that is
//!    cheap, and from an exactly weighted, pre-shuffled pool of the stratum's
//!    combinations when it is scarce. Both draw from the same law, so
//!    switching is exact; the pool cannot stall. Strata that compete for
//!    the same combinations (a counted trait outside `unique`) and have
//!    fewer combinations than tokens drawn go first, through an exact
//!    assignment ([`crate::plan::sharing`]): a combination is offered to such a token only
//!    when every token still to place can then get one (a maximum-flow
//!    test), so the restriction is "free and completable", and they can
//!    never run out where a collection exists. Tokens go in order of their
//!    stratum's combinations (fewest first), then by id.
//!    Under `unique visually` combinations are compared by their visual
//!    keys (a variant nobody can see counts as "nothing"; see
//!    [`crate::check::visibility`]), using the occlusion relation that
//!    `check` stored in the model.
//!
//! # Why it is correct
//!
//! * Every token satisfies every `forbid`/`require`/`when`: it is drawn from
//!   an exact sampler whose support is the allowed combinations.
//! * Given the signatures, every token is distributed exactly as the law
//!   conditioned on its signature (kept draws were drawn from the law and
//!   kept for a reason that depends on the signature only; moved ones are
//!   drawn from the conditioned law), and uniqueness conditions each token on
//!   the combinations still free, the definition of drawing without
//!   replacement.
//! * Counts hold exactly because the signature counts satisfy them before any
//!   token is finished, and uniqueness never changes a token's signature
//!   (redraws and pools are per stratum).
//! * Uniqueness never fails where `check` accepts: the integer program that
//!   fixes the signature counts includes the exact assignment of shared
//!   combinations ([`crate::plan::sharing`]), the stage keeps that assignment completable
//!   at every token, and a stratum left out of it has at least as many
//!   combinations as tokens are drawn, so it finds free ones whatever the
//!   others took.
//! * Termination: the integer program is finite (branch and bound); rejection
//!   is bounded (after [`REJECTIONS`] tries a pool takes over, and a pool is
//!   a finite list); so sampling returns `size` tokens or an error, never a
//!   hang and never fewer tokens.
//!
//! What is *not* claimed: the count repair is the nearest feasible point to
//! the multinomial draw, not an exact draw of the signature counts conditioned
//! on the counts holding (which is #P-hard in general).

pub mod expected;

use rayon::prelude::*;

use crate::model::Model;
pub use crate::plan::SampleError;
use crate::plan::streams::{StreamKey, below, chacha};
use crate::plan::unique::{Pool, UsedSet};
use crate::plan::{Plan, counts, sharing, strata, unique};

/// Collisions a token may meet before its stratum switches to a pool.
pub const REJECTIONS: u32 = 48;
/// Collisions after which a token gives up when no pool can be built.
const HARD_REJECTIONS: u32 = 100_000;

/// The sampled collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens {
    /// Number of traits (values per generated token).
    pub traits: usize,
    /// Ids of the generated tokens, increasing.
    pub ids: Vec<u64>,
    /// Variant index of every trait of every generated token, row-major
    /// (`traits` values per token, in trait order).
    pub variants: Vec<u32>,
    /// Legendaries as `(id, index in Model::legendaries)`, by increasing id.
    pub legendaries: Vec<(u64, usize)>,
}

/// One token of a [`Tokens`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// A generated token: its variant index per trait.
    Generated {
        /// Its id.
        id: u64,
        /// Variant index per trait, in trait order.
        variants: &'a [u32],
    },
    /// A legendary.
    Legendary {
        /// Its id.
        id: u64,
        /// Index in `Model::legendaries`.
        index: usize,
    },
}

impl Token<'_> {
    /// The token's id.
    pub fn id(&self) -> u64 {
        match *self {
            Token::Generated { id, .. } | Token::Legendary { id, .. } => id,
        }
    }
}

impl Tokens {
    /// The generated tokens with their ids, by increasing id.
    pub fn generated(&self) -> impl ExactSizeIterator<Item = (u64, &[u32])> + '_ {
        self.ids.iter().copied().zip(self.variants.chunks_exact(self.traits.max(1)))
    }

    /// How many generated tokens have each variant: `[trait][variant]`
    /// (legendaries are not counted).
    pub fn variant_counts(&self, model: &Model) -> Vec<Vec<u64>> {
        let mut counts: Vec<Vec<u64>> = model.traits.iter().map(|t| vec![0; t.variants.len()]).collect();
        for (_, variants) in self.generated() {
            for (trait_counts, &v) in counts.iter_mut().zip(variants) {
                if let Some(n) = trait_counts.get_mut(v as usize) {
                    *n += 1;
                }
            }
        }
        counts
    }

    /// Every token, by increasing id.
    pub fn iter(&self) -> impl Iterator<Item = Token<'_>> + '_ {
        let mut generated = self.generated().peekable();
        let mut legendaries = self.legendaries.iter().copied().peekable();
        std::iter::from_fn(move || match (generated.peek(), legendaries.peek()) {
            (Some(&(g, _)), Some(&(l, _))) if l < g => {
                legendaries.next().map(|(id, index)| Token::Legendary { id, index })
            }
            (Some(_), _) => generated.next().map(|(id, variants)| Token::Generated { id, variants }),
            (None, Some(_)) => legendaries.next().map(|(id, index)| Token::Legendary { id, index }),
            (None, None) => None,
        })
    }

    /// Number of tokens, legendaries included.
    pub fn len(&self) -> usize {
        self.ids.len() + self.legendaries.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `Trait.Variant` list of a signature, for messages.
pub(crate) fn describe_signature(model: &Model, plan: &Plan, sig: usize) -> String {
    let parts: Vec<String> = plan
        .classes(sig)
        .iter()
        .zip(&plan.counted)
        .map(|(&class, c)| {
            let name = &model.traits[c.trait_id].name;
            if class == 0 {
                let vs: Vec<&str> =
                    c.variants.iter().map(|&v| model.traits[c.trait_id].variants[v].name.as_ref()).collect();
                format!("without `{name}.{}`", vs.join("`/`"))
            } else {
                format!("with `{name}.{}`", model.traits[c.trait_id].variants[c.variants[class - 1]].name)
            }
        })
        .collect();
    parts.join(", ")
}

/// The ids of the legendaries (in `Model::legendaries` order) and of the generated tokens.
pub fn place_ids(model: &Model, seed: &str) -> (Vec<(u64, usize)>, Vec<u64>) {
    let s = &model.settings;
    let mut taken: Vec<u64> = model.legendaries.iter().filter_map(|l| l.id).collect();
    taken.sort_unstable();
    let mut legendaries: Vec<(u64, usize)> = Vec::new();
    let mut rng = chacha(seed, "legendary ids");
    for (index, l) in model.legendaries.iter().enumerate() {
        let id = match l.id {
            Some(id) => id,
            None => {
                let free = s.size.saturating_sub(taken.len() as u64);
                if free == 0 {
                    continue;
                }
                // The r-th free id.
                let mut id = s.first_id + below(&mut rng, free);
                for &t in &taken {
                    if t <= id {
                        id += 1;
                    }
                }
                let pos = taken.partition_point(|&t| t < id);
                taken.insert(pos, id);
                id
            }
        };
        legendaries.push((id, index));
    }
    legendaries.sort_unstable();
    let mut generated = Vec::with_capacity(model.generated_size() as usize);
    let mut li = 0;
    for id in s.first_id..s.first_id.saturating_add(s.size) {
        if taken.get(li) == Some(&id) {
            li += 1;
        } else {
            generated.push(id);
        }
    }
    (legendaries, generated)
}

/// Samples the collection of `model` from `seed` (normally `model.settings.seed`).
pub fn sample(model: &Model, seed: &str) -> Result<Tokens, SampleError> {
    if model.generated_size() == 0 && (model.visually.is_none() || model.visibility.is_some()) {
        // Only legendaries: nothing is drawn, so nothing needs compiling
        // (rules that no token could satisfy do not matter).
        let (legendaries, ids) = place_ids(model, seed);
        return Ok(Tokens { traits: model.traits.len(), ids, variants: Vec::new(), legendaries });
    }
    let plan = Plan::new_seeded(model, seed)?;
    sample_with_plan(model, &plan, seed)
}

/// Draws the components of one token (row) from `sig`'s samplers.
struct Drawer<'a> {
    model: &'a Model,
    plan: &'a Plan,
    local: Vec<u32>,
    /// Why a stratum of a lazy plan, compiled when first drawn from, could not be.
    error: Option<SampleError>,
}

impl<'a> Drawer<'a> {
    fn new(model: &'a Model, plan: &'a Plan) -> Self {
        Drawer { model, plan, local: Vec::new(), error: None }
    }

    /// The error of a failed draw: the stratum's, or `internal`'s.
    fn failure(&mut self, internal: impl FnOnce() -> SampleError) -> SampleError {
        self.error.take().unwrap_or_else(internal)
    }

    /// Draws component `ci` of `row` (signature `sig`) at `attempt`; the first
    /// `fixed` steps keep the values already in `row`.
    fn draw(&mut self, ci: usize, sig: usize, id: u64, attempt: u64, row: &mut [u32], fixed: usize) -> bool {
        let plan = self.plan;
        let c = &plan.components[ci];
        let compiled = match plan.compiled_for(self.model, ci, sig) {
            Ok(Some(compiled)) => compiled,
            Ok(None) => return false,
            Err(e) => {
                self.error = Some(e);
                return false;
            }
        };
        self.local.clear();
        self.local.extend(c.traits.iter().map(|&t| row[t]));
        let keys = &plan.keys;
        let traits = &c.traits;
        let ok = compiled.draw_from(fixed, &mut self.local, |v| keys[traits[v]].uniform(id, attempt));
        for (&t, &v) in c.traits.iter().zip(&self.local) {
            row[t] = v;
        }
        ok
    }
}

impl Plan {
    /// [`Plan::new`]; the trait streams are keyed by `seed`.
    pub fn new_seeded(model: &Model, seed: &str) -> Result<Plan, SampleError> {
        let mut plan = Plan::new(model)?;
        plan.keys = model.traits.iter().map(|t| StreamKey::new(seed, "trait", &t.name)).collect();
        Ok(plan)
    }
}

/// Samples with an already compiled plan.
pub fn sample_with_plan(model: &Model, plan: &Plan, seed: &str) -> Result<Tokens, SampleError> {
    if model.visually.is_some() && model.visibility.is_none() {
        return Err(SampleError::NeedsArt);
    }
    let t = model.traits.len();
    let (legendaries, ids) = place_ids(model, seed);
    let g = ids.len();
    let mut variants = vec![0u32; g * t];
    let n_comp = plan.components.len();
    let internal = |what: &str| SampleError::TooComplex { what: format!("internal sampler inconsistency ({what})") };

    // 3. Unconditioned draws, in parallel; each row depends only on its id.
    let ok = variants.par_chunks_mut(t.max(1)).zip(ids.par_iter()).all(|(row, &id)| {
        let mut d = Drawer::new(model, plan);
        (0..n_comp).all(|ci| d.draw_base(ci, id, row))
    });
    if !ok {
        return Err(internal("unconditioned draw"));
    }
    let mut attempts = vec![0u64; g];

    // 4. Counts. The strata are the columns `cols` (global signatures,
    // ascending): every signature, or in a lazy plan the ones the draw
    // occupies and those the count stage generated (see [`counts`]).
    let mut sigs: Vec<usize> = vec![0; g];
    let mut extended: Option<Plan> = None;
    let cols: Vec<usize> = if plan.lazy && !plan.counted.is_empty() {
        let mut p = plan.clone();
        let mut cols = counts::witness(model, &mut p)?;
        sigs.par_iter_mut().zip(variants.par_chunks(t.max(1))).for_each(|(s, row)| *s = p.signature(row));
        cols.extend_from_slice(&sigs);
        cols.sort_unstable();
        cols.dedup();
        p.prepare_caps(model, &cols)?;
        for s in &mut sigs {
            *s = cols.binary_search(s).map_err(|_| internal("a drawn signature without its column"))?;
        }
        extended = Some(p);
        cols
    } else {
        (0..plan.signatures).collect()
    };
    let plan = extended.as_ref().unwrap_or(plan);
    let s_count = cols.len();
    let (feasible, caps, groups, group_caps) = strata(model, plan, &cols);
    let shared = if plan.lazy {
        sharing::Sharing::default()
    } else {
        sharing::Sharing::build(model, plan, &feasible, &caps, &groups).unwrap_or_default()
    };
    let mut moves: Vec<(usize, usize)> = Vec::new();
    if !plan.counted.is_empty() {
        if !plan.lazy {
            sigs.par_iter_mut().zip(variants.par_chunks(t.max(1))).for_each(|(s, row)| *s = plan.signature(row));
        }
        let mut n = vec![0u64; s_count];
        for &s in &sigs {
            n[s] += 1;
        }
        let quotas = counts::Quotas::new(model, plan, &cols, &feasible, &caps, &groups, &group_caps, &shared);
        let target = counts::repair(model, &quotas, n.clone())?;
        let key = StreamKey::new(seed, "count repair", "");
        // Rows leaving each signature: lowest priority first.
        let mut by_sig: Vec<Vec<(u64, usize)>> = vec![Vec::new(); s_count];
        for (row, &s) in sigs.iter().enumerate() {
            if target[s] < n[s] {
                by_sig[s].push((key.mix(ids[row], 0), row));
            }
        }
        let mut pool: Vec<(u64, usize)> = Vec::new();
        for (s, rows) in by_sig.iter_mut().enumerate() {
            if target[s] < n[s] {
                rows.sort_unstable();
                pool.extend(rows.iter().take((n[s] - target[s]) as usize));
            }
        }
        pool.sort_unstable();
        moves.reserve(pool.len());
        let mut next = pool.iter();
        for (s, (&want, &have)) in target.iter().zip(&n).enumerate() {
            for _ in have..want.max(have) {
                if let Some(&(_, row)) = next.next() {
                    moves.push((row, s));
                }
            }
        }
    }
    if !moves.is_empty() {
        // A lazy plan's strata that tokens move to, compiled before the
        // parallel draws (see [`Plan::compile_for`]).
        let targets: Vec<usize> = moves.iter().map(|&(_, s)| cols[s]).collect();
        plan.compile_for(model, &targets)?;
        let old: Vec<usize> = moves.iter().map(|&(row, _)| sigs[row]).collect();
        for &(row, s) in &moves {
            sigs[row] = s;
            attempts[row] = 1;
        }
        let redraws: Vec<(usize, Vec<u32>)> = moves
            .par_iter()
            .zip(old.par_iter())
            .map(|(&(row, s), &was)| {
                let mut d = Drawer::new(model, plan);
                let mut values = variants[row * t..(row + 1) * t].to_vec();
                let mut ok = true;
                for ci in 0..n_comp {
                    if plan.local_signature(ci, cols[s]) != plan.local_signature(ci, cols[was]) {
                        ok &= d.draw(ci, cols[s], ids[row], 1, &mut values, 0);
                    }
                }
                if ok { Ok((row, values)) } else { Err(d.failure(|| internal("conditioned draw"))) }
            })
            .collect::<Result<_, SampleError>>()?;
        for (row, values) in redraws {
            variants[row * t..(row + 1) * t].copy_from_slice(&values);
        }
    }

    // 5. Unique.
    if !model.unique.is_empty() && g > 0 {
        let mut n = vec![0u64; s_count];
        for &s in &sigs {
            n[s] += 1;
        }
        let unique_comps: Vec<usize> = (0..n_comp).filter(|&ci| !plan.components[ci].unique.is_empty()).collect();
        let pool_key = StreamKey::new(seed, "unique pool", "");
        let mut pools: Vec<Option<Pool>> = (0..s_count).map(|_| None).collect();
        let mut tried_pool = vec![false; s_count];
        let mut in_group = vec![0u64; s_count];
        for s in 0..s_count {
            in_group[groups[s]] += n[s];
        }
        for s in 0..s_count {
            let scarce =
                n[s].saturating_mul(2) > caps[s] || in_group[groups[s]].saturating_mul(2) > group_caps[groups[s]];
            if n[s] > 0 && scarce && caps[s] <= unique::POOL_LIMIT {
                tried_pool[s] = true;
                pools[s] = Pool::build(model, plan, cols[s], &pool_key);
            }
        }
        let mut used = UsedSet::new(model, g);
        // Competing small strata take their keys through the exact assignment.
        let mut transport = if shared.is_empty() {
            None
        } else {
            let demand = shared.strata.iter().map(|&s| n[s]).collect();
            Some(shared.transport(demand).ok_or_else(|| SampleError::UniqueExhausted {
                stratum: String::new(),
                needed: shared.strata.iter().map(|&s| n[s]).sum(),
                available: shared.types.iter().map(|t| t.1).sum(),
            })?)
        };
        let flow_of: Vec<Option<usize>> = (0..s_count).map(|s| shared.stratum(s)).collect();
        let mut combination = vec![0u32; model.unique.len()];
        let mut d = Drawer::new(model, plan);
        let mut taken = vec![0u64; s_count];
        // The competing small strata first (their keys are assigned
        // exactly, see [`crate::plan::sharing`]; a large stratum always finds enough keys
        // after them), then the strata with the fewest combinations, then the
        // scarcest, then by id.
        let mut rows: Vec<usize> = (0..g).collect();
        if s_count > 1 {
            let scarcity = |s: usize| (u128::from(n[s]), u128::from(caps[s].max(1)));
            rows.sort_by(|&a, &b| {
                let ((na, ca), (nb, cb)) = (scarcity(sigs[a]), scarcity(sigs[b]));
                let (fa, fb) = (flow_of[sigs[a]].is_none(), flow_of[sigs[b]].is_none());
                fa.cmp(&fb)
                    .then(ca.cmp(&cb))
                    .then((nb * ca).cmp(&(na * cb)))
                    .then(sigs[a].cmp(&sigs[b]))
                    .then(a.cmp(&b))
            });
        }
        for row in rows {
            let s = sigs[row];
            let id = ids[row];
            let values = &mut variants[row * t..(row + 1) * t];
            let mut collisions = 0u32;
            loop {
                if let Some(pool) = pools[s].as_mut() {
                    let accept = |row: &[u32]| match (transport.as_mut(), flow_of[s]) {
                        (Some(tr), Some(i)) => shared.type_of(&used.key_of(row)).is_some_and(|ty| tr.take(ty, i)),
                        _ => true,
                    };
                    let Some(next) = pool.next(&used, accept) else {
                        let available =
                            if used.is_visual() { used.distinct(pool.combinations()) } else { pool.len() } as u64;
                        return Err(SampleError::UniqueExhausted {
                            stratum: describe_signature(model, plan, cols[s]),
                            needed: n[s],
                            available,
                        });
                    };
                    for (&tr, &v) in model.unique.iter().zip(next) {
                        values[tr] = v;
                    }
                    attempts[row] += 1;
                    for &ci in &unique_comps {
                        let fixed = plan.components[ci].unique.len();
                        if !d.draw(ci, cols[s], id, attempts[row], values, fixed) {
                            return Err(d.failure(|| internal("pool completion")));
                        }
                    }
                }
                for (c, &tr) in combination.iter_mut().zip(&model.unique) {
                    *c = values[tr];
                }
                // A drawn key is kept when it is free and, for a competing
                // stratum, leaves every token still to place a key (a pool's
                // entry was already taken by `accept`).
                let completable = pools[s].is_some()
                    || match (transport.as_mut(), flow_of[s]) {
                        (Some(tr), Some(i)) => {
                            !used.contains(&combination)
                                && shared.type_of(&used.key_of(&combination)).is_some_and(|ty| tr.take(ty, i))
                        }
                        _ => true,
                    };
                if completable && used.insert(&combination) {
                    break;
                }
                if pools[s].is_some() {
                    return Err(internal("pool gave a taken combination"));
                }
                collisions += 1;
                if collisions >= REJECTIONS && !tried_pool[s] {
                    tried_pool[s] = true;
                    pools[s] = Pool::build(model, plan, cols[s], &pool_key);
                    if pools[s].is_some() {
                        continue;
                    }
                }
                if collisions >= HARD_REJECTIONS {
                    return Err(SampleError::UniqueExhausted {
                        stratum: describe_signature(model, plan, cols[s]),
                        needed: n[s],
                        available: taken[s],
                    });
                }
                attempts[row] += 1;
                for &ci in &unique_comps {
                    if !d.draw(ci, cols[s], id, attempts[row], values, 0) {
                        return Err(d.failure(|| internal("redraw")));
                    }
                }
            }
            taken[s] += 1;
        }
    }
    Ok(Tokens { traits: t, ids, variants, legendaries })
}

impl Drawer<'_> {
    /// Draws component `ci` of `row` from the unconditioned law at attempt 0.
    fn draw_base(&mut self, ci: usize, id: u64, row: &mut [u32]) -> bool {
        let plan = self.plan;
        let c = &plan.components[ci];
        self.local.clear();
        self.local.resize(c.traits.len(), 0);
        let keys = &plan.keys;
        let traits = &c.traits;
        let ok = c.base.draw_from(0, &mut self.local, |v| keys[traits[v]].uniform(id, 0));
        for (&t, &v) in c.traits.iter().zip(&self.local) {
            row[t] = v;
        }
        ok
    }
}
