//! Exact `count`s: how many generated tokens fall in each stratum, decided
//! jointly for every `count`, `size` and `unique` at once.
//!
//! A token's *signature* records, for every trait with a `count`, which of its
//! counted variants it has (or none). Every `count` is a linear constraint on
//! the number of tokens per signature, `n_s`, and nothing else; `size` fixes
//! `Σ n_s`; uniqueness bounds each `n_s` by the unique combinations of its
//! stratum (`cap_s`) and each group of strata that share combinations (strata
//! differing only on counted traits outside `unique`) by the combinations the
//! group has. So whether the counts can hold together is an *integer
//! feasibility problem* over the vector `n` ([`Quotas`]), which is solved
//! exactly by branch and bound (the `microlp` crate, pure Rust), every
//! solution being verified here in integer arithmetic before it is used.
//!
//! `check` asks [`Quotas::conflict`] whether the problem has a solution and,
//! when it has none, for an irreducible set of `count`s that cannot hold
//! together (a deletion filter: a count is dropped from the set when the
//! others are still infeasible without it), and for each of them the range
//! its number of tokens can take while the others hold.
//!
//! `run` settles `n` before any token is finished:
//!
//! 1. every token is first drawn from the unconditioned distribution, which
//!    gives `n` the multinomial law the definition prescribes;
//! 2. when that draw breaks a `count` or a capacity, [`repair`] moves it to
//!    the *nearest* feasible vector: the integer program minimises the number
//!    of tokens that change stratum (`Σ_s |n_s − m_s| / 2`), so a feasible set
//!    of counts is never refused, and a draw that already satisfies them is
//!    kept as it is. The vector is *proved* nearest: the branch and bound
//!    stops when its bound, rounded up to the next even distance (every
//!    token moved counts twice in `Σ_s |n_s − m_s|`), reaches the distance of
//!    the best vector it found, which is the vector it would end with (see
//!    [`Quotas::nearest`]: without that rounding the search did not end on
//!    some draws of 20 densely ruled counted traits). The search is bounded
//!    in nodes, not time, so it answers the same on every machine; if both
//!    of its programs run out of nodes, `run` fails with the distances
//!    reached rather than use a vector not proved nearest;
//! 3. which tokens move is decided by a seeded priority per token id, and a
//!    moved token is redrawn from the distribution conditioned on its new
//!    signature, only in the components whose part of the signature changed.
//!
//! A token that is not moved keeps its draw, whose law given its signature is
//! exactly the conditioned distribution; a moved one is drawn from it. So the
//! tokens are exactly distributed given the signatures, and the signatures are
//! the multinomial draw moved the least distance that makes every count hold.
//!
//! Exactness of the capacities: when every counted trait is `unique` (the
//! default, `unique` over all traits), strata never share a combination and
//! `n_s ≤ cap_s` is exactly what uniqueness demands. When a counted trait is
//! outside `unique`, strata of one group share combinations; the per-stratum
//! and per-group bounds are then only necessary, and the exact condition
//! (Hall's, over every subset of the competing strata) is carried by a
//! transportation problem over the shared keys' types ([`super::sharing`]):
//! one integer variable per (type, stratum), which makes the program exact.
//! Only when the shared keys cannot be enumerated (more than
//! [`super::unique::POOL_LIMIT`], or a rule graph too dense to draw its
//! unique traits first) do the necessary bounds stand alone.
//!
//! # Too many signatures to enumerate: columns generated on demand
//!
//! The signatures are the product of the counted traits' classes: 16
//! counted traits of one variant each already make 65,536, and in a dense
//! rule graph they all fall in one component, whose strata cannot all be
//! compiled. Beyond [`super::plan::MAX_SIGNATURES`] the plan is *lazy*
//! ([`Plan::lazy`]): no stratum is compiled up front, and the integer program
//! is solved over a few signatures (*columns*) chosen so that the decision
//! stays exact.
//!
//! * **The relaxation over every signature, exactly.** The linear relaxation
//!   ("fractional tokens per signature") of `Σ n_s = G` and the counts is
//!   solved over all signatures by column generation. Its dual has one
//!   variable per constraint (`y_0` for `size`; `α_r ≥ 0`, `β_r ≥ 0` for
//!   rule `r`'s bounds) and one constraint per signature,
//!   `y_0 + Σ_{r ∋ s} (α_r − β_r) ≤ c_s`. The dual over the columns so far is
//!   solved (`microlp`), then the *pricing* finds the signature violating it
//!   most: the allowed combination of the whole factor graph maximising
//!   `Σ_r (α_r − β_r) · [it has one of r's variants]` ([`crate::solve::best`],
//!   an exact branch and bound over the rules' support: a signature is only
//!   generated from a combination with positive mass, so every column can
//!   hold a token). While one violates, it becomes a column; when none
//!   does, the dual solution is feasible for every signature and, by
//!   duality, the restricted optimum is the optimum over all of them. The
//!   search only looks above the score of zero profit (less is of no use,
//!   and proving that nothing passes it is what ends the generation), and
//!   it branches over classes of values (those satisfying the same rules;
//!   a term of weight 0 per counted variant makes every class one of the
//!   plan's, so one signature): with 20 counted traits of 6 variants and
//!   400 forbidden pairs it takes about a second where a search over the
//!   values ran over its budget.
//! * **Infeasible, proved.** Feasibility is the elastic program "minimise
//!   the tokens by which `size` and the counts are missed", whose dual is
//!   bounded (prices in `[−1, 1]`). If its optimum over every signature is
//!   positive, no vector of non-negative reals meets the counts, let alone
//!   one of whole tokens: `check` refuses, with an irreducible set found by
//!   the deletion filter (a rule is dropped only when the rest is *proved*
//!   infeasible without it) and each rule's range under the others from the
//!   relaxation (its whole numbers: an outer range).
//! * **Feasible, proved.** When the relaxation can be met, the integer
//!   program with the capacities (unique combinations per stratum of the
//!   generated columns, counted exactly up to twice the tokens drawn:
//!   see "What it costs" below) is solved over the generated columns; a
//!   solution there is a solution. Under plain `unique` with every counted
//!   trait unique, strata never share combinations, so the per-stratum
//!   capacity is exact; counted traits outside `unique`, or `unique
//!   visually`, need the enumerated assignment of [`super::sharing`], and
//!   such a collection keeps the limit (refused by `check`, with the reason).
//! * **Neither.** When the relaxation holds but no integer point lies among
//!   the generated columns (an integrality gap, or capacities that bind:
//!   the relaxation ignores them), or the pricing runs over its budget, the
//!   collection is refused by `check` with that reason; `run` never meets
//!   it.
//!
//! At `run`, the same columns are generated (the computation is
//! deterministic) and the draw's own signatures are added; the nearest
//! feasible vector ([`repair`]) is then sought over these columns. It exists
//! (the witness lies among them), so a collection `check` accepts is never
//! refused. The tokens stay exactly distributed given their signatures, by
//! the argument above (which tokens move depends on the signature counts and
//! the ids only; moved ones are drawn from their stratum, compiled when first
//! needed). What is weaker than in the enumerated case: the repair is the
//! nearest point among the draw's signatures and the generated ones, not
//! among all signatures.
//!
//! ## What it costs, and why the shortcuts change nothing
//!
//! With 20 counted traits in one dense component (2^20 classes), the work
//! is the pricing and whatever is done per column; each shortcut below
//! keeps every number that is read, so decisions and outputs are those of
//! the plain computation:
//!
//! * A column's capacity is counted only up to [`Plan::lazy_cap`] (twice
//!   the tokens drawn): the integer program cannot tell a capacity of
//!   `size` or more from an unbounded one, and the unique stage calls a
//!   stratum scarce only below twice the tokens it holds; the rest of that
//!   stage only orders strata among themselves, and in a lazy plan strata
//!   share no unique combination (every counted trait is `unique`), so
//!   their order changes no draw. The count stops as soon as it reaches
//!   the cap ([`crate::solve::count_given_up_to`]).
//! * A column is not compiled for drawing when it is generated or counted,
//!   only when a token is first drawn from it ([`Plan::compiled_for`]): the
//!   strata tokens move to, and those where the unique stage redraws or
//!   builds a pool. Compiling is deterministic, so when it happens changes
//!   nothing.
//! * The deletion filter of an infeasible set skips the rules that the
//!   dual solution proving the current set infeasible does not use (see
//!   `Generator::conflict`): it finds the same set.
//! * At `check`, each `count`'s unique combinations with and without its
//!   variant are counted only up to the tokens drawn (only their minimum
//!   with it is read).

use microlp::{ComparisonOp, OptimizationDirection, Problem, Variable};

use super::sharing::Sharing;
use super::{Plan, SampleError};
use crate::model::Model;

/// The integer problem over tokens per signature.
#[derive(Clone, Debug)]
pub struct Quotas {
    /// Tokens to draw.
    total: u64,
    /// Per signature: its capacity when a token can have it (`None`: impossible).
    cap: Vec<Option<u64>>,
    /// Per signature: its group.
    group: Vec<usize>,
    /// Per group: the unique combinations its strata share.
    group_cap: Vec<u64>,
    /// Per rule: whether each signature has the counted variant.
    member: Vec<Vec<bool>>,
    /// Per rule: `(min, max)`.
    bounds: Vec<(u64, u64)>,
    /// The keys that competing small strata share, by type (exact Hall
    /// condition, see [`super::sharing`]).
    sharing: Sharing,
}

/// Why the solver gave no answer (a numerical failure or a size beyond its integers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SolverFailure(pub String);

/// `count`s that cannot hold together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// Indices into `Model::counts`: an irreducible set (without any one of
    /// them, the others can hold). Empty when `size` and uniqueness alone
    /// cannot be met.
    pub rules: Vec<usize>,
    /// Per rule of `rules`: the least and most tokens its variant can have
    /// while the other rules of the set hold (`None`: not even that).
    pub ranges: Vec<Option<(u64, u64)>>,
}

/// What the integer program optimises.
enum Objective<'a> {
    /// Any feasible point.
    None,
    /// The nearest point (in tokens moved) to this vector.
    Nearest(&'a [u64]),
    /// The nearest point to this vector of the same sum, in tokens moved
    /// (`Σ_s (n_s − m_s)^+`, whole numbers).
    Moved(&'a [u64]),
    /// The number of tokens with rule `r`'s variant, minimised or maximised.
    Rule(usize, bool),
}

impl Quotas {
    /// The problem of `model` under `plan` over the strata `cols` (global
    /// signatures; every signature unless the plan is lazy): `feasible[s]`
    /// says whether a token can have column `s`'s signature, `cap[s]` bounds
    /// its tokens, `group_cap[g]` the tokens of group `g` (see [`Plan::group`]).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model: &Model,
        plan: &Plan,
        cols: &[usize],
        feasible: &[bool],
        cap: &[u64],
        group: &[usize],
        group_cap: &[u64],
        sharing: &Sharing,
    ) -> Quotas {
        let s_count = feasible.len();
        let classes: Vec<Vec<usize>> = cols.iter().map(|&s| plan.classes(s)).collect();
        let member = model
            .counts
            .iter()
            .map(|r| {
                // A signature counts under a rule when it holds any of the rule's variants.
                let wanted: Vec<(usize, _)> = r
                    .variants
                    .iter()
                    .map(|v| {
                        let i = plan.counted_of_trait[v.trait_id].unwrap_or(0);
                        (i, plan.class(i, v.index as u32))
                    })
                    .collect();
                classes.iter().map(|c| wanted.iter().any(|(i, k)| c.get(*i) == Some(k))).collect()
            })
            .collect();
        let unique = !model.unique.is_empty();
        Quotas {
            total: model.generated_size(),
            cap: (0..s_count)
                .map(|s| (feasible[s] && (!unique || cap[s] > 0)).then(|| if unique { cap[s] } else { u64::MAX }))
                .collect(),
            group: group.to_vec(),
            group_cap: if unique { group_cap.to_vec() } else { vec![u64::MAX; group_cap.len()] },
            member,
            bounds: model.counts.iter().map(|r| (r.min, r.max)).collect(),
            sharing: if unique { sharing.clone() } else { Sharing::default() },
        }
    }

    /// The problem and a draw `start` as text (one line per field), for
    /// test fixtures: only a problem without shared keys (a lazy plan's).
    #[doc(hidden)]
    pub fn to_text(&self, start: &[u64]) -> String {
        let join = |xs: &mut dyn Iterator<Item = String>| xs.collect::<Vec<_>>().join(" ");
        let mut out = format!("total {}\n", self.total);
        out += &format!("caps {}\n", join(&mut self.cap.iter().map(|c| c.map_or("-".into(), |c| c.to_string()))));
        out += &format!("groups {}\n", join(&mut self.group.iter().map(|g| g.to_string())));
        out += &format!("group_caps {}\n", join(&mut self.group_cap.iter().map(u64::to_string)));
        out += &format!("bounds {}\n", join(&mut self.bounds.iter().map(|(lo, hi)| format!("{lo}:{hi}"))));
        for row in &self.member {
            out += &format!("member {}\n", row.iter().map(|&b| if b { '1' } else { '0' }).collect::<String>());
        }
        out += &format!("start {}\n", join(&mut start.iter().map(u64::to_string)));
        out
    }

    /// A problem and a draw read back from [`Quotas::to_text`]; `None` when
    /// the text is not one.
    #[doc(hidden)]
    pub fn from_text(text: &str) -> Option<(Quotas, Vec<u64>)> {
        let mut q = Quotas {
            total: 0,
            cap: Vec::new(),
            group: Vec::new(),
            group_cap: Vec::new(),
            member: Vec::new(),
            bounds: Vec::new(),
            sharing: Sharing::default(),
        };
        let mut start = Vec::new();
        let nums = |rest: &str| rest.split_whitespace().map(str::parse::<u64>).collect::<Result<Vec<_>, _>>().ok();
        for line in text.lines() {
            let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
            match key {
                "total" => q.total = rest.trim().parse().ok()?,
                "caps" => {
                    q.cap = rest
                        .split_whitespace()
                        .map(|c| if c == "-" { Some(None) } else { c.parse().ok().map(Some) })
                        .collect::<Option<_>>()?
                }
                "groups" => q.group = nums(rest)?.into_iter().map(|g| g as usize).collect(),
                "group_caps" => q.group_cap = nums(rest)?,
                "bounds" => {
                    q.bounds = rest
                        .split_whitespace()
                        .map(|b| b.split_once(':').and_then(|(lo, hi)| Some((lo.parse().ok()?, hi.parse().ok()?))))
                        .collect::<Option<_>>()?
                }
                "member" => q.member.push(rest.trim().chars().map(|c| c == '1').collect()),
                "start" => start = nums(rest)?,
                _ => return None,
            }
        }
        let n = q.cap.len();
        let consistent = q.group.len() == n
            && start.len() == n
            && q.member.len() == q.bounds.len()
            && q.member.iter().all(|row| row.len() == n)
            && q.group.iter().all(|&g| g < q.group_cap.len());
        consistent.then_some((q, start))
    }

    /// Tokens with rule `r`'s variant under `n`.
    fn rule_count(&self, r: usize, n: &[u64]) -> u64 {
        self.member[r].iter().zip(n).filter(|(m, _)| **m).map(|(_, &x)| x).sum()
    }

    /// Whether `n` meets every active rule, `size` and every capacity (exact, in integers).
    fn holds(&self, n: &[u64], active: &[bool]) -> bool {
        if n.iter().sum::<u64>() != self.total {
            return false;
        }
        let mut in_group = vec![0u64; self.group_cap.len()];
        for (s, &x) in n.iter().enumerate() {
            match self.cap[s] {
                None if x > 0 => return false,
                Some(c) if x > c => return false,
                _ => {}
            }
            in_group[self.group[s]] += x;
        }
        if in_group.iter().zip(&self.group_cap).any(|(&x, &c)| x > c) {
            return false;
        }
        if !self.sharing.is_empty()
            && self.sharing.transport(self.sharing.strata.iter().map(|&s| n[s]).collect()).is_none()
        {
            return false;
        }
        (0..self.bounds.len()).filter(|&r| active[r]).all(|r| {
            let c = self.rule_count(r, n);
            self.bounds[r].0 <= c && c <= self.bounds[r].1
        })
    }

    /// A solution that puts every token in one stratum, when one can hold
    /// them all and every `count` allows it (each rule's range contains the
    /// total if the stratum has its variant, zero if not), verified like
    /// every solution ([`Quotas::holds`]): a witness of feasibility found
    /// without the integer program. Collections whose counts only cap rare
    /// variants have one (the stratum of none of them), and the integer
    /// program over thousands of strata is most of `check`'s time on them.
    fn one_stratum(&self) -> Option<Vec<u64>> {
        let total = self.total;
        let s = (0..self.cap.len()).find(|&s| {
            self.cap[s].is_some_and(|c| c >= total)
                && self
                    .bounds
                    .iter()
                    .enumerate()
                    .all(|(r, &(lo, hi))| if self.member[r][s] { lo <= total && total <= hi } else { lo == 0 })
        })?;
        let mut n = vec![0; self.cap.len()];
        n[s] = total;
        self.satisfied_by(&n).then_some(n)
    }

    /// Whether `n` meets every rule and capacity.
    pub fn satisfied_by(&self, n: &[u64]) -> bool {
        self.holds(n, &vec![true; self.bounds.len()])
    }

    /// Solves the integer program over the active rules; `Ok(None)` when it is infeasible.
    fn solve(&self, active: &[bool], objective: Objective<'_>) -> Result<Option<Vec<u64>>, SolverFailure> {
        let Some((p, vars)) = self.program(active, objective)? else { return Ok(None) };
        let solution = match p.solve() {
            Ok(outcome) => outcome.into_solution().map_err(|_| SolverFailure("the solver was interrupted".into()))?,
            Err(microlp::Error::Infeasible) => return Ok(None),
            Err(e) => return Err(SolverFailure(e.to_string())),
        };
        self.verified(active, &vars, &solution).map(Some)
    }

    /// The whole tokens per signature of a solver's `solution`, verified
    /// against the active rules and every capacity in integers.
    fn verified(
        &self,
        active: &[bool],
        vars: &[Option<Variable>],
        solution: &microlp::Solution,
    ) -> Result<Vec<u64>, SolverFailure> {
        let n: Vec<u64> = vars.iter().map(|v| v.map_or(0, |v| solution.var_value(v).round().max(0.0) as u64)).collect();
        if !self.holds(&n, active) {
            return Err(SolverFailure("the solver's answer does not meet the counts".into()));
        }
        Ok(n)
    }

    /// The integer program over the active rules with its variables `n_s`
    /// (`None` for a signature no token can have); `Ok(None)` when a rule
    /// asks for more tokens than there are.
    #[allow(clippy::type_complexity)]
    fn program(
        &self,
        active: &[bool],
        objective: Objective<'_>,
    ) -> Result<Option<(Problem, Vec<Option<Variable>>)>, SolverFailure> {
        let limit =
            |x: u64| i32::try_from(x).map_err(|_| SolverFailure(format!("{x} tokens exceed the solver's range")));
        let total = limit(self.total)?;
        let direction = match objective {
            Objective::Rule(_, true) => OptimizationDirection::Maximize,
            _ => OptimizationDirection::Minimize,
        };
        let mut p = Problem::new(direction);
        let vars: Vec<Option<Variable>> = self
            .cap
            .iter()
            .enumerate()
            .map(|(s, cap)| {
                cap.map(|c| {
                    let coeff = match objective {
                        Objective::Rule(r, _) if self.member[r][s] => 1.0,
                        _ => 0.0,
                    };
                    p.add_integer_var(coeff, (0, i32::try_from(c.min(self.total)).unwrap_or(total)))
                })
            })
            .collect();
        let terms = |pick: &dyn Fn(usize) -> bool| -> Vec<(Variable, f64)> {
            vars.iter().enumerate().filter(|(s, _)| pick(*s)).filter_map(|(_, v)| v.map(|v| (v, 1.0))).collect()
        };
        p.add_constraint(terms(&|_| true), ComparisonOp::Eq, f64::from(total));
        for (r, &(lo, hi)) in self.bounds.iter().enumerate() {
            if !active[r] {
                continue;
            }
            let expr = terms(&|s| self.member[r][s]);
            if lo > self.total {
                return Ok(None);
            }
            let (lo, hi) = (limit(lo)?, limit(hi.min(self.total))?);
            if lo == hi {
                p.add_constraint(expr, ComparisonOp::Eq, f64::from(lo));
            } else {
                if lo > 0 {
                    p.add_constraint(expr.clone(), ComparisonOp::Ge, f64::from(lo));
                }
                if hi < total {
                    p.add_constraint(expr, ComparisonOp::Le, f64::from(hi));
                }
            }
        }
        // The strata of every group, ascending (one pass, not one per group).
        let mut members_of: Vec<Vec<usize>> = vec![Vec::new(); self.group_cap.len()];
        for (s, &g) in self.group.iter().enumerate().take(self.cap.len()) {
            if let Some(members) = members_of.get_mut(g) {
                members.push(s);
            }
        }
        for (members, &gc) in members_of.iter().zip(&self.group_cap) {
            let room: u64 = members.iter().map(|&s| self.cap[s].unwrap_or(0)).fold(0, u64::saturating_add);
            if members.len() > 1 && room > gc && gc < self.total {
                let expr: Vec<(Variable, f64)> = members.iter().filter_map(|&s| vars[s].map(|v| (v, 1.0))).collect();
                p.add_constraint(expr, ComparisonOp::Le, f64::from(limit(gc)?));
            }
        }
        // Competing small strata: keys of each type go to its strata, at
        // most as many as it has, and every stratum gets a key per token.
        // The flows may stay continuous: for integer `n` the transportation
        // polytope is integral (its matrix is totally unimodular), so it is
        // non-empty exactly when an integer assignment exists; only `n` is
        // branched on.
        let mut supply: Vec<Vec<Variable>> = vec![Vec::new(); self.sharing.strata.len()];
        for (members, keys) in &self.sharing.types {
            let bound = |i: usize| (*keys).min(self.cap[self.sharing.strata[i]].unwrap_or(0)).min(self.total);
            let mut xs: Vec<Variable> = Vec::with_capacity(members.len());
            for &i in members {
                xs.push(p.add_var(0.0, (0.0, f64::from(limit(bound(i))?))));
            }
            if members.iter().map(|&i| bound(i)).sum::<u64>() > *keys {
                p.add_constraint(
                    xs.iter().map(|&x| (x, 1.0)).collect::<Vec<_>>(),
                    ComparisonOp::Le,
                    f64::from(limit(*keys)?),
                );
            }
            for (&i, &x) in members.iter().zip(&xs) {
                supply[i].push(x);
            }
        }
        for (i, xs) in supply.iter().enumerate() {
            if let Some(n) = vars[self.sharing.strata[i]] {
                let mut expr: Vec<(Variable, f64)> = xs.iter().map(|&x| (x, 1.0)).collect();
                expr.push((n, -1.0));
                p.add_constraint(expr, ComparisonOp::Ge, 0.0);
            }
        }
        if let Objective::Moved(start) = objective {
            // e_s >= n_s - m_s, e_s >= 0, whole: Σ e_s is the tokens moved in.
            for (s, v) in vars.iter().enumerate() {
                if let Some(v) = *v {
                    let m = limit(start[s])?;
                    let e = p.add_integer_var(1.0, (0, total));
                    p.add_constraint([(e, 1.0), (v, -1.0)], ComparisonOp::Ge, -f64::from(m));
                }
            }
        }
        if let Objective::Nearest(start) = objective {
            // d_s >= |n_s - m_s|: minimising Σ d_s moves the fewest tokens.
            for (s, v) in vars.iter().enumerate() {
                if let Some(v) = *v {
                    let m = f64::from(limit(start[s])?);
                    let d = p.add_var(1.0, (0.0, f64::INFINITY));
                    p.add_constraint([(d, 1.0), (v, -1.0)], ComparisonOp::Ge, -m);
                    p.add_constraint([(d, 1.0), (v, 1.0)], ComparisonOp::Ge, m);
                }
            }
        }
        Ok(Some((p, vars)))
    }

    /// The feasible vector nearest to `start` (fewest tokens moved), or `None`
    /// when the counts cannot hold together; proved nearest, or an error.
    ///
    /// The program minimises `Σ_s d_s` with `d_s ≥ |n_s − m_s|`. At whole
    /// `n` that is a whole number, and an even one when `Σ n = Σ m` (every
    /// token moved leaves one signature and enters another), which the
    /// solver does not know: its bound can sit just below a nearest vector
    /// it has already found, and on some draws (20 counted traits in 200
    /// signatures) its search then does not end. So it runs by
    /// [`REPAIR_CHUNK`] nodes, and between two runs the distance of its
    /// best vector (in integers) is compared with its bound rounded up to
    /// the next possible distance: when they meet, that vector is the
    /// nearest, proved, and it is the one the search would end with (it
    /// only replaces a vector by a strictly nearer one). Past
    /// [`REPAIR_NODES`] nodes, the search starts again on the program in
    /// tokens moved (`Σ_s e_s`, `e_s ≥ n_s − m_s`, whole), whose bound the
    /// solver rounds itself, from the best vector found; past as many
    /// nodes again, the repair fails with the distances it reached (an
    /// error, never a vector that is not proved nearest).
    pub fn nearest(&self, start: &[u64]) -> Result<Option<Vec<u64>>, SolverFailure> {
        self.nearest_within(start, REPAIR_NODES)
    }

    /// [`Quotas::nearest`] with the first search stopped after `budget`
    /// nodes (rounded up to [`REPAIR_CHUNK`]; none at all for 0) rather
    /// than [`REPAIR_NODES`]: tests reach the second search so.
    #[doc(hidden)]
    pub fn nearest_within(&self, start: &[u64], budget: u64) -> Result<Option<Vec<u64>>, SolverFailure> {
        let all = vec![true; self.bounds.len()];
        if self.holds(start, &all) {
            return Ok(Some(start.to_vec()));
        }
        let Some((p, vars)) = self.program(&all, Objective::Nearest(start))? else { return Ok(None) };
        let failed = |e: microlp::Error| match e {
            microlp::Error::Infeasible => Ok(None),
            e => Err(SolverFailure(e.to_string())),
        };
        let distance = |n: &[u64]| n.iter().zip(start).map(|(&a, &b)| a.abs_diff(b)).sum::<u64>();
        // Every distance at a whole `n` is a multiple of `step`.
        let step = if start.iter().sum::<u64>() == self.total { 2.0 } else { 1.0 };
        let (best, least) = if budget == 0 {
            (None, None)
        } else {
            let mut options = microlp::SolveOptions::default();
            options.node_limit = Some(REPAIR_CHUNK);
            let mut outcome = match p.solve_with(options) {
                Ok(outcome) => outcome,
                Err(e) => return failed(e),
            };
            let mut nodes = 0;
            loop {
                let best = match outcome.solution() {
                    Some(solution) => Some(self.verified(&all, &vars, solution)?),
                    None => None,
                };
                if outcome.is_optimal() {
                    return Ok(best);
                }
                // The least distance still possible, proved by the solver's bound.
                let least = outcome.stats().best_bound.map(|b| (step * ((b - 1e-6) / step).ceil()).max(0.0) as u64);
                if let (Some(n), Some(least)) = (&best, least) {
                    if distance(n) <= least {
                        return Ok(best);
                    }
                }
                nodes += REPAIR_CHUNK;
                if nodes >= budget {
                    break (best, least);
                }
                outcome = match outcome.resume() {
                    Ok(outcome) => outcome,
                    Err(e) => return failed(e),
                };
            }
        };
        let gave_up = |nodes: u64, best: Option<Vec<u64>>, least: Option<u64>| {
            SolverFailure(format!(
                "the nearest counts were not proved in {nodes} branch-and-bound nodes (the nearest found moves {}, \
                 at least {} must move)",
                best.map_or("no token".to_string(), |n| format!("{} tokens", distance(&n) / 2)),
                least.unwrap_or(0).div_ceil(2)
            ))
        };
        if step != 2.0 {
            return Err(gave_up(budget, best, least));
        }
        let Some((p, vars)) = self.program(&all, Objective::Moved(start))? else { return Ok(None) };
        let mut options = microlp::SolveOptions::default();
        options.node_limit = Some(REPAIR_NODES);
        options.warm_start =
            best.as_ref().map(|n| vars.iter().zip(n).filter_map(|(v, &x)| v.map(|v| (v, x as f64))).collect());
        let outcome = match p.solve_with(options) {
            Ok(outcome) => outcome,
            Err(e) => return failed(e),
        };
        if outcome.is_optimal() {
            return match outcome.solution() {
                Some(solution) => self.verified(&all, &vars, solution).map(Some),
                None => Err(SolverFailure("the solver proved no solution optimal".into())),
            };
        }
        let found = match outcome.solution() {
            Some(solution) => Some(self.verified(&all, &vars, solution)?),
            None => best,
        };
        let bound = outcome.stats().best_bound.map(|b| 2 * (b - 1e-6).ceil().max(0.0) as u64);
        Err(gave_up(budget + REPAIR_NODES, found, bound.max(least)))
    }

    /// `None` when every count can hold together (with `size` and uniqueness);
    /// otherwise an irreducible conflicting set with the numbers.
    pub fn conflict(&self) -> Result<Option<Conflict>, SolverFailure> {
        let mut active = vec![true; self.bounds.len()];
        if self.one_stratum().is_some() {
            return Ok(None);
        }
        if self.solve(&active, Objective::None)?.is_some() {
            return Ok(None);
        }
        // Deletion filter: keep a rule only if the others are feasible without it.
        for r in (0..active.len()).rev() {
            active[r] = false;
            if self.solve(&active, Objective::None)?.is_some() {
                active[r] = true;
            }
        }
        let rules: Vec<usize> = (0..active.len()).filter(|&r| active[r]).collect();
        let mut ranges = Vec::with_capacity(rules.len());
        for &r in &rules {
            let mut others = active.clone();
            others[r] = false;
            let lo = self.solve(&others, Objective::Rule(r, false))?;
            let hi = self.solve(&others, Objective::Rule(r, true))?;
            ranges.push(match (lo, hi) {
                (Some(lo), Some(hi)) => Some((self.rule_count(r, &lo), self.rule_count(r, &hi))),
                _ => None,
            });
        }
        Ok(Some(Conflict { rules, ranges }))
    }
}

/// A count rule as written, for messages: `count Hat.Crown = 3`.
pub fn written(model: &Model, r: usize) -> String {
    let rule = &model.counts[r];
    format!("count {} {} {}", rule.target, rule.op, rule.written)
}

/// One line per rule of a conflict: what it asks and what the others allow.
pub fn describe_conflict(model: &Model, conflict: &Conflict) -> String {
    if conflict.rules.is_empty() {
        return format!("{} tokens cannot be unique under the rules", model.generated_size());
    }
    let (r, range) = (conflict.rules[0], conflict.ranges[0]);
    let rule = &model.counts[r];
    let name = &rule.target;
    let others: Vec<String> = conflict.rules[1..].iter().map(|&o| format!("`{}`", written(model, o))).collect();
    let asks = if rule.min == rule.max {
        format!("{}", rule.min)
    } else if rule.max >= model.generated_size() {
        format!("at least {}", rule.min)
    } else if rule.min == 0 {
        format!("at most {}", rule.max)
    } else {
        format!("between {} and {}", rule.min, rule.max)
    };
    let with = if others.is_empty() { String::new() } else { format!("with {}, ", join_and(&others)) };
    let unique = if model.unique.is_empty() { "" } else { "unique " };
    let can = match range {
        Some((lo, hi)) if lo == hi => format!("exactly {lo}"),
        Some((lo, hi)) => format!("between {lo} and {hi}"),
        None => "none".to_string(),
    };
    format!(
        "{with}{} {unique}tokens can have {can} with `{name}`, but `{}` asks for {asks}",
        model.generated_size(),
        written(model, r)
    )
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Finds signature counts satisfying every `count` and capacity of
/// `quotas` nearest to `n` (tokens per signature as drawn).
pub fn repair(model: &Model, quotas: &Quotas, n: Vec<u64>) -> Result<Vec<u64>, SampleError> {
    let failure = |e: SolverFailure| SampleError::TooComplex {
        what: format!("the integer program that fits the `count` rules together failed ({})", e.0),
    };
    match quotas.nearest(&n).map_err(failure)? {
        Some(target) => Ok(target),
        None => {
            let conflict =
                quotas.conflict().map_err(failure)?.unwrap_or(Conflict { rules: Vec::new(), ranges: vec![] });
            Err(SampleError::CountsConflict {
                detail: describe_conflict(model, &conflict),
                rules: if conflict.rules.is_empty() { (0..model.counts.len()).collect() } else { conflict.rules },
            })
        }
    }
}

/// Penalty per token of violation in the elastic programs of a lazy plan
/// (the dual prices are bounded by it).
fn penalty(total: u64) -> f64 {
    (4.0 * total as f64).max(1e4)
}

/// Branch-and-bound nodes between two checks of the repair's bound
/// ([`Quotas::nearest`]).
const REPAIR_CHUNK: u64 = 64;

/// Branch-and-bound nodes each of the repair's two programs may visit
/// ([`Quotas::nearest`]): deterministic, unlike a time limit.
const REPAIR_NODES: u64 = 10_000;

/// Search nodes one pricing may visit ([`crate::solve::best`]).
const PRICING_NODES: u64 = 1 << 22;

/// Columns one lazy decision may generate.
const MAX_COLUMNS: usize = 20_000;

/// Where a lazy plan's counts stand.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Decision {
    /// They hold together: an integer solution over these columns exists.
    Feasible,
    /// Proved impossible (the relaxation is infeasible over every signature).
    Infeasible,
    /// Neither proved: why.
    Undecided(String),
}

/// Column generation over the signatures of a lazy plan (see the module docs).
struct Generator<'a> {
    model: &'a Model,
    /// The whole factor graph, for pricing.
    net: crate::solve::Network,
    /// Per rule: its `(trait, variant)` literals.
    literals: Vec<Vec<(usize, usize)>>,
    /// Columns generated so far (global signatures) and their capacity
    /// (unique combinations; `None` when it cannot bind: at least `G`).
    cols: std::collections::BTreeMap<usize, Option<u64>>,
    /// Per rule: its prices `(α_r, β_r)` in the dual solution the last
    /// relaxation ended with, when it ended by proving that no signature
    /// violates it (a certificate of its optimum over every signature);
    /// `None` otherwise.
    certificate: Option<Vec<(f64, f64)>>,
}

impl<'a> Generator<'a> {
    fn new(model: &'a Model) -> Self {
        Generator {
            model,
            net: crate::solve::network::network(model),
            literals: model.counts.iter().map(|r| r.variants.iter().map(|v| (v.trait_id, v.index)).collect()).collect(),
            cols: std::collections::BTreeMap::new(),
            certificate: None,
        }
    }

    /// Whether global signature `sig` has one of rule `r`'s variants.
    fn member(&self, plan: &Plan, r: usize, sig: usize) -> bool {
        let classes = plan.classes(sig);
        self.model.counts[r]
            .variants
            .iter()
            .any(|v| plan.counted_of_trait[v.trait_id].is_some_and(|i| classes[i] == plan.class(i, v.index as u32)))
    }

    /// The optimum of the linear relaxation over *every* signature of
    /// `min Σ c_s n_s + M · (violations)` subject to `Σ n_s = G` and the
    /// active rules, where `c_s` is `sign` for signatures with rule
    /// `objective`'s variant (0 without an objective). Solved through its
    /// dual, whose constraints are the columns: a column is added while the
    /// pricing finds a signature that violates the dual (its reduced cost is
    /// negative); when none does, the dual solution is feasible for every
    /// column and its value is the optimum.
    fn relaxation(
        &mut self,
        plan: &mut Plan,
        active: &[bool],
        objective: Option<(usize, f64)>,
        m: f64,
        stop_at_zero: bool,
    ) -> Result<f64, String> {
        let total = self.model.generated_size();
        let g = total as f64;
        let rules: Vec<usize> = (0..active.len()).filter(|&r| active[r]).collect();
        self.certificate = None;
        loop {
            if self.cols.len() > MAX_COLUMNS {
                return Err(format!("the relaxation needed more than {MAX_COLUMNS} classes"));
            }
            let mut p = Problem::new(OptimizationDirection::Maximize);
            let y0 = p.add_var(g, (-m, m));
            let mut ab: Vec<(Variable, Variable)> = Vec::with_capacity(rules.len());
            for &r in &rules {
                let lo = self.model.counts[r].min as f64;
                let hi = self.model.counts[r].max.min(total) as f64;
                ab.push((p.add_var(lo, (0.0, m)), p.add_var(-hi, (0.0, m))));
            }
            for (&s, &cap) in &self.cols {
                let mut expr: Vec<(Variable, f64)> = vec![(y0, 1.0)];
                if let Some(cap) = cap {
                    // n_s <= cap_s: its price γ_s >= 0.
                    expr.push((p.add_var(-(cap as f64), (0.0, f64::INFINITY)), -1.0));
                }
                for (k, &r) in rules.iter().enumerate() {
                    if self.member(plan, r, s) {
                        expr.push((ab[k].0, 1.0));
                        expr.push((ab[k].1, -1.0));
                    }
                }
                let c = match objective {
                    Some((r, sign)) if self.member(plan, r, s) => sign,
                    _ => 0.0,
                };
                p.add_constraint(expr, ComparisonOp::Le, c);
            }
            let solution = p.solve().map_err(|e| format!("the relaxation failed ({e})"))?;
            let solution = solution.into_solution().map_err(|_| "the relaxation was interrupted".to_string())?;
            let value = solution.objective();
            if stop_at_zero && value <= 1e-7 {
                return Ok(value);
            }
            // Pricing: the signature not yet a column maximising
            // y0 + Σ_{r ∋ s} (α_r − β_r) − c_s (a column outside the
            // restricted program has no tokens, at its lower bound, so its
            // capacity does not enter its reduced cost). Every rule is a
            // term (weight 0 when inactive), so that the terms' variables
            // are exactly the counted traits, which fix the signature.
            let mut terms: Vec<crate::solve::Term> = Vec::new();
            for r in 0..self.literals.len() {
                let mut w = match rules.iter().position(|&x| x == r) {
                    Some(k) => solution.var_value(ab[k].0) - solution.var_value(ab[k].1),
                    None => 0.0,
                };
                match objective {
                    Some((o, sign)) if o == r => w -= sign,
                    _ => {}
                }
                terms.push(crate::solve::Term { weight: w, literals: self.literals[r].clone() });
            }
            // A term of weight 0 per counted variant: the values the search
            // does not tell apart (same terms) are then those of one class
            // of the plan, so they have the same signature, which is what
            // `taken` looks at.
            for c in &plan.counted {
                for &v in &c.variants {
                    terms.push(crate::solve::Term { weight: 0.0, literals: vec![(c.trait_id, v)] });
                }
            }
            // Only a signature of positive profit is of use: the search
            // looks above the score that makes the profit zero (with the
            // tolerance), and finding none proves the optimum.
            let taken = |a: &[u32]| self.cols.contains_key(&plan.signature(a));
            let floor = 1e-9 * m.max(1.0) - solution.var_value(y0);
            let best = match crate::solve::best_above(&self.net, &terms, PRICING_NODES, Some(&taken), Some(floor)) {
                Ok(Some(b)) => b,
                // No signature outside the columns has a positive profit.
                Ok(None) => {
                    let mut prices = vec![(0.0, 0.0); self.literals.len()];
                    for (k, &r) in rules.iter().enumerate() {
                        prices[r] = (solution.var_value(ab[k].0), solution.var_value(ab[k].1));
                    }
                    self.certificate = Some(prices);
                    return Ok(value);
                }
                Err(_) => return Err("the search for the next class ran over its budget".into()),
            };
            let sig = plan.signature(&best.assignment);
            plan.prepare_caps(self.model, &[sig]).map_err(|e| e.to_string())?;
            let cap = super::column_caps(self.model, plan, &[sig])[0];
            let cap = match cap {
                Some(c) if self.model.unique.is_empty() || c >= total => None,
                Some(c) => Some(c),
                None => return Err("a generated class holds no token (internal inconsistency)".into()),
            };
            self.cols.insert(sig, cap);
        }
    }

    /// Decides the active rules (with `size` and the capacities of the
    /// columns used).
    fn decide(&mut self, plan: &mut Plan, active: &[bool]) -> Result<Decision, SampleError> {
        let violation = match self.relaxation(plan, active, None, 1.0, true) {
            Ok(v) => v,
            Err(why) => return Ok(Decision::Undecided(why)),
        };
        if violation > 1e-6 {
            return Ok(Decision::Infeasible);
        }
        let cols: Vec<usize> = self.cols.keys().copied().collect();
        plan.prepare_caps(self.model, &cols)?;
        let quotas = super::quotas_over(self.model, plan, &cols);
        Ok(match quotas.solve(active, Objective::None) {
            Ok(Some(_)) => Decision::Feasible,
            Ok(None) => Decision::Undecided(format!(
                "the relaxation holds, but no whole number of tokens per class was found among the {} classes \
                 generated",
                cols.len()
            )),
            Err(e) => Decision::Undecided(e.0),
        })
    }

    /// An irreducible infeasible set of rules, by a deletion filter that
    /// drops a rule only when the others are proved infeasible without it,
    /// with each rule's range under the others (from the relaxation: the
    /// whole numbers within its bounds). To be called right after
    /// [`Generator::decide`] found every rule infeasible together.
    ///
    /// A rule whose prices are both zero in the certificate of the current
    /// set's infeasibility (the dual solution that proved it) is dropped
    /// without deciding again: without the rule, that dual solution is
    /// still feasible for every signature (its constraints' sums do not
    /// involve the rule's zero prices) and has the same value (the rule's
    /// term `min_r · α_r − max_r · β_r` is zero), so the optimum over every
    /// signature is still at least that positive value, and deciding would
    /// say "infeasible": the filter drops the same rules as it did deciding
    /// every one, at the cost of the rules the certificate uses.
    /// Without `shortcut`, every rule is decided (tests compare the two).
    fn conflict(&mut self, plan: &mut Plan, shortcut: bool) -> Result<Conflict, SampleError> {
        let mut active = vec![true; self.model.counts.len()];
        for r in (0..active.len()).rev() {
            active[r] = false;
            let proved = shortcut && self.certificate.as_ref().is_some_and(|prices| prices[r] == (0.0, 0.0));
            if proved {
                continue;
            }
            let kept = self.certificate.take();
            if self.decide(plan, &active)? != Decision::Infeasible {
                active[r] = true;
                self.certificate = kept;
            }
        }
        let rules: Vec<usize> = (0..active.len()).filter(|&r| active[r]).collect();
        let m = penalty(self.model.generated_size());
        let mut ranges = Vec::with_capacity(rules.len());
        for &r in &rules {
            let mut others = active.clone();
            others[r] = false;
            let lo = self.relaxation(plan, &others, Some((r, 1.0)), m, false);
            let hi = self.relaxation(plan, &others, Some((r, -1.0)), m, false);
            ranges.push(match (lo, hi) {
                (Ok(lo), Ok(hi)) if lo <= -hi + 1e-6 => {
                    Some(((lo - 1e-6).ceil().max(0.0) as u64, (-hi + 1e-6).floor().max(0.0) as u64))
                }
                _ => None,
            });
        }
        Ok(Conflict { rules, ranges })
    }
}

/// For a lazy plan: `None` when every count can hold together, else an
/// infeasible set with the numbers; `Err` when neither could be proved (why).
pub fn lazy_conflict(model: &Model, plan: &mut Plan) -> Result<Result<Option<Conflict>, String>, SampleError> {
    lazy_conflict_with(model, plan, true)
}

/// [`lazy_conflict`] with its deletion filter deciding every rule, even
/// those the last certificate of infeasibility proves can go (tests check
/// that both find the same set and ranges).
#[doc(hidden)]
pub fn lazy_conflict_deciding_every_rule(
    model: &Model,
    plan: &mut Plan,
) -> Result<Result<Option<Conflict>, String>, SampleError> {
    lazy_conflict_with(model, plan, false)
}

fn lazy_conflict_with(
    model: &Model,
    plan: &mut Plan,
    shortcut: bool,
) -> Result<Result<Option<Conflict>, String>, SampleError> {
    let mut generator = Generator::new(model);
    let all = vec![true; model.counts.len()];
    Ok(match generator.decide(plan, &all)? {
        Decision::Feasible => {
            let key = DecisionKey::of(model, &generator.net);
            let cols = generator.cols.into_keys().collect();
            if let Ok(mut last) = LAST_WITNESS.lock() {
                *last = Some((key, cols));
            }
            Ok(None)
        }
        Decision::Infeasible => Ok(Some(generator.conflict(plan, shortcut)?)),
        Decision::Undecided(why) => Err(why),
    })
}

/// For a lazy plan: the columns (global signatures, ascending) among which
/// an integer solution of the counts exists, their strata's unique
/// combinations counted ([`Plan::prepare_caps`]; a stratum is compiled for
/// drawing only when a token is drawn from it); the conflict when there is
/// none.
pub fn witness(model: &Model, plan: &mut Plan) -> Result<Vec<usize>, SampleError> {
    let mut generator = Generator::new(model);
    if let Ok(last) = LAST_WITNESS.lock() {
        if let Some((key, cols)) = last.as_ref() {
            if *key == DecisionKey::of(model, &generator.net) {
                return Ok(cols.clone());
            }
        }
    }
    let all = vec![true; model.counts.len()];
    match generator.decide(plan, &all)? {
        Decision::Feasible => Ok(generator.cols.into_keys().collect()),
        Decision::Infeasible => {
            let conflict = generator.conflict(plan, true)?;
            Err(SampleError::CountsConflict {
                detail: describe_conflict(model, &conflict),
                rules: if conflict.rules.is_empty() { (0..model.counts.len()).collect() } else { conflict.rules },
            })
        }
        Decision::Undecided(why) => Err(SampleError::TooComplex { what: undecided(plan, &why) }),
    }
}

/// Everything a lazy decision depends on: the factor graph (which the
/// plan's components and their strata are cut from), every count's
/// variants and bounds, the tokens drawn and the unique traits. The
/// decision is a deterministic function of these, so two equal keys have
/// the same columns.
#[derive(Debug, PartialEq)]
struct DecisionKey {
    net: crate::solve::Network,
    counts: Vec<CountKey>,
    total: u64,
    unique: Vec<crate::model::TraitId>,
}

impl DecisionKey {
    fn of(model: &Model, net: &crate::solve::Network) -> DecisionKey {
        DecisionKey {
            net: net.clone(),
            counts: model
                .counts
                .iter()
                .map(|r| (r.variants.iter().map(|v| (v.trait_id, v.index)).collect(), r.min, r.max))
                .collect(),
            total: model.generated_size(),
            unique: model.unique.clone(),
        }
    }
}

/// A count's `(trait, variant)`s, least and most tokens.
type CountKey = (Vec<(usize, usize)>, u64, u64);

/// The columns of the last feasible lazy decision and what it was made
/// from: `check` decides the counts of the collection `run` then draws,
/// and [`witness`] takes its columns rather than generating them again
/// (only for an equal key, so they are the columns it would generate).
static LAST_WITNESS: std::sync::Mutex<Option<(DecisionKey, Vec<usize>)>> = std::sync::Mutex::new(None);

/// The message of an undecided lazy plan.
pub fn undecided(plan: &Plan, why: &str) -> String {
    format!("the `count` rules split tokens into {} classes and could not be decided together: {why}", plan.signatures)
}
