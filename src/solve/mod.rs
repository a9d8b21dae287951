//! Exact reasoning about the distribution of tokens a collection can mint.
//!
//! The checker needs three facts that depend on *all* traits and rules at
//! once: how many unique tokens exist (so a `supply` larger than that can be
//! rejected), which variants the rules make impossible, and how rare each
//! variant will really be once `when` overrides and rejection of rule
//! violations are taken into account. Enumerating the token space is
//! exponential, so this module models a collection as a factor graph
//! ([`Network`]: one variable per trait, non-negative [`Factor`]s for priors,
//! conditional priors and 0/1 rules) and answers those questions with
//! variable elimination:
//!
//! * [`count`] / [`count_given`]: exact *projected* model counting (how many
//!   distinct combinations of some traits extend to a valid token), with a
//!   cutset-conditioning fallback that returns provable bounds when the exact
//!   computation would exceed a [`Budget`];
//! * [`possible_values`]: which variants occur in at least one valid token;
//! * [`marginals`] / [`WeightedModel`]: the probability of every variant under
//!   the normalised product distribution.
//!
//! Rules usually mention only a few variants of a trait, so before and during
//! elimination every factor stores, for each variable it mentions, a
//! partition of that variable's values into classes the factor cannot tell
//! apart ("compressed domains"). Eliminating a variable only has to range over
//! the common refinement of those partitions, which keeps realistic
//! collections tiny. See `elim` for the machinery and `prep` for the
//! preprocessing (evidence, factor merging, arc consistency, compression).

mod best;
mod count;
mod elim;
mod infer;
pub mod network;
mod prep;
mod relax;
mod sample;
mod search;
mod splitmix;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

pub use best::{Best, Term, best, best_above, best_excluding};
pub use count::{count, count_given, count_given_up_to};
pub use infer::{WeightedModel, eliminate_and_count, marginals, possible_values, possible_values_given};
pub use relax::RelaxedModel;
pub use sample::{Sampler, SamplerStep};
pub use search::{OverBudget, SearchBudget, SearchModel};

/// A non-negative function of a few variables, stored as a dense table over
/// their values or over classes of their values.
///
/// The table is row-major over `scope`: the last variable of the scope varies
/// fastest. Without [`Factor::classes`] it is indexed by the values
/// themselves, and its length must be the product of the domain sizes of the
/// scope variables; with them, every scope variable's values are mapped to
/// classes (values the factor treats alike) and the table is indexed by
/// classes, its length the product of the class counts. Every entry must be
/// finite and `>= 0`, and a variable may appear at most once in the scope.
///
/// Classes keep a rule table over a large trait small: the `forbid`s between
/// a 100,000-variant trait and one of 8 mention a few hundred of its values,
/// and the others share one class, so the table has a few thousand entries
/// instead of 800,000.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// The variables the factor depends on, in table order.
    pub scope: Vec<usize>,
    /// The dense table, row-major over `scope` (last variable fastest), over
    /// the values of each variable, or over their classes when
    /// [`Factor::classes`] is given.
    pub table: Vec<f64>,
    /// For every scope variable (in scope order), the class of each of its
    /// values, when the table is over classes; `None`: over values.
    pub classes: Option<Vec<ClassMap>>,
}

/// A table with some of its variables fixed ([`restrict_table`]).
pub(crate) struct Restricted {
    /// The variables left, in scope order.
    pub scope: Vec<usize>,
    /// Their classes, when the table is over classes (else empty).
    pub classes: Vec<ClassMap>,
    /// The table over them.
    pub table: Vec<f64>,
}

/// The entries of a table over `scope` (of dimensions `dims`: values, or
/// classes when `classes` is given) where the variables of `fixed` have the
/// given values: a table over the other variables.
pub(crate) fn restrict_table(
    scope: &[usize],
    dims: &[usize],
    classes: Option<&[ClassMap]>,
    table: &[f64],
    fixed: &[(usize, usize)],
) -> Restricted {
    let st = elim::strides(dims);
    let mut base = 0;
    let (mut free, mut free_dims, mut free_strides, mut free_classes) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (p, &v) in scope.iter().enumerate() {
        match fixed.iter().find(|(u, _)| *u == v) {
            Some(&(_, x)) => base += classes.map_or(x, |c| c[p].of[x] as usize) * st[p],
            None => {
                free.push(v);
                free_dims.push(dims[p]);
                free_strides.push(st[p]);
                if let Some(c) = classes {
                    free_classes.push(c[p].clone());
                }
            }
        }
    }
    let mut out = Vec::with_capacity(free_dims.iter().product());
    elim::for_each_index(&free_dims, |digits, _| {
        out.push(table[base + digits.iter().zip(&free_strides).map(|(d, s)| d * s).sum::<usize>()]);
    });
    Restricted { scope: free, classes: free_classes, table: out }
}

/// A map from every value of a variable to its class, shared by the
/// factors and stages that read it (cloning it is a reference count).
pub type ClassOf = std::sync::Arc<[u32]>;

/// The classes of one variable's values in a [`Factor`] over classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassMap {
    /// The class of every value (`0..count`), shared: a factor's classes
    /// are read by every stage that compiles it (preprocessing, planning,
    /// elimination), which refer to them instead of copying (100,000 values
    /// are 400 KB a map).
    pub of: ClassOf,
    /// The number of classes.
    pub count: usize,
}

impl Factor {
    /// A factor from its scope and dense table (validated by [`Network::validate`]).
    pub fn new(scope: Vec<usize>, table: Vec<f64>) -> Self {
        Factor { scope, table, classes: None }
    }

    /// A factor whose table is over classes of values (see [`Factor::classes`]).
    pub fn over_classes(scope: Vec<usize>, classes: Vec<ClassMap>, table: Vec<f64>) -> Self {
        Factor { scope, table, classes: Some(classes) }
    }

    /// A prior (or any unary weight vector) over one variable.
    pub fn unary(var: usize, weights: Vec<f64>) -> Self {
        Factor::new(vec![var], weights)
    }

    /// A factor over two variables; `table[x * domain(b) + y]` is the value for `a = x, b = y`.
    pub fn pair(a: usize, b: usize, table: Vec<f64>) -> Self {
        Factor::new(vec![a, b], table)
    }

    /// The table over values (row-major over `scope`): the table itself, or,
    /// for a factor over classes, its entries expanded to every value.
    pub fn dense_table(&self, domains: &[usize]) -> std::borrow::Cow<'_, [f64]> {
        let Some(classes) = &self.classes else { return std::borrow::Cow::Borrowed(&self.table) };
        let class_strides = elim::strides(&classes.iter().map(|c| c.count).collect::<Vec<_>>());
        let dims: Vec<usize> = self.scope.iter().map(|&v| domains.get(v).copied().unwrap_or(0)).collect();
        let mut table = Vec::with_capacity(dims.iter().product());
        elim::for_each_index(&dims, |digits, _| {
            let at: usize =
                digits.iter().zip(classes).zip(&class_strides).map(|((&x, c), s)| c.of[x] as usize * s).sum();
            table.push(self.table[at]);
        });
        std::borrow::Cow::Owned(table)
    }

    /// The factor with the variables of `fixed` set to the given values: a
    /// factor over the other variables (a constant when none is left), over
    /// their classes if this one is over classes.
    pub fn restrict(&self, domains: &[usize], fixed: &[(usize, usize)]) -> Factor {
        if !self.scope.iter().any(|v| fixed.iter().any(|(u, _)| u == v)) {
            return self.clone();
        }
        let dims: Vec<usize> = match &self.classes {
            None => self.scope.iter().map(|&v| domains[v]).collect(),
            Some(classes) => classes.iter().map(|c| c.count).collect(),
        };
        let Restricted { scope, classes: free_classes, table } =
            restrict_table(&self.scope, &dims, self.classes.as_deref(), &self.table, fixed);
        // A constant: `for_each_index` over no dimension visits the one entry.
        match &self.classes {
            Some(_) if !scope.is_empty() => Factor::over_classes(scope, free_classes, table),
            _ => Factor::new(scope, table),
        }
    }

    /// The same factor over values (a factor over classes expanded).
    pub fn densified(&self, domains: &[usize]) -> Factor {
        Factor::new(self.scope.clone(), self.dense_table(domains).into_owned())
    }

    /// The entry for the values `x` of the scope variables (in scope order).
    pub fn at(&self, x: &[usize], domains: &[usize]) -> f64 {
        match &self.classes {
            None => self.table[x.iter().zip(&self.scope).fold(0, |at, (&x, &v)| at * domains[v] + x)],
            Some(classes) => self.table[x.iter().zip(classes).fold(0, |at, (&x, c)| at * c.count + c.of[x] as usize)],
        }
    }

    /// A factor whose entries are computed by `f` from the assignment of the scope
    /// variables (in scope order). Variables missing from `domains` get domain size 0,
    /// which [`Network::validate`] then reports.
    pub fn from_fn(scope: Vec<usize>, domains: &[usize], mut f: impl FnMut(&[usize]) -> f64) -> Self {
        let dims: Vec<usize> = scope.iter().map(|&v| domains.get(v).copied().unwrap_or(0)).collect();
        let mut table = Vec::with_capacity(dims.iter().product());
        elim::for_each_index(&dims, |digits, _| table.push(f(digits)));
        Factor::new(scope, table)
    }

    /// The 0/1 factor of `forbid a.x with b.y`: zero exactly when `a = x` and `b = y`.
    pub fn forbid(a: (usize, usize), b: (usize, usize), domains: &[usize]) -> Self {
        if a.0 == b.0 {
            // Both literals on one variable: only forbidden if it is the same value.
            return Factor::from_fn(vec![a.0], domains, |v| if v[0] == a.1 && v[0] == b.1 { 0.0 } else { 1.0 });
        }
        Factor::from_fn(vec![a.0, b.0], domains, |v| if v[0] == a.1 && v[1] == b.1 { 0.0 } else { 1.0 })
    }

    /// The 0/1 factor of `require p.x -> q.y | r.z | ...`: zero exactly when the
    /// premise holds and none of the options does. The scope is the premise
    /// variable followed by the distinct option variables in order of appearance.
    pub fn require(premise: (usize, usize), options: &[(usize, usize)], domains: &[usize]) -> Self {
        let mut scope = vec![premise.0];
        for &(v, _) in options {
            if !scope.contains(&v) {
                scope.push(v);
            }
        }
        let pos = |v: usize| scope.iter().position(|&s| s == v).unwrap_or(0);
        let opts: Vec<(usize, usize)> = options.iter().map(|&(v, x)| (pos(v), x)).collect();
        let dims: Vec<usize> = scope.iter().map(|&v| domains.get(v).copied().unwrap_or(0)).collect();
        let mut table = vec![1.0; dims.iter().product()];
        // The premise is the first variable of the scope: the entries where
        // it holds are one contiguous block (row-major, last variable
        // fastest), the only place a zero can be.
        if premise.1 < dims[0] {
            let rest: usize = dims[1..].iter().product();
            let block = &mut table[premise.1 * rest..(premise.1 + 1) * rest];
            let mut vals = vec![premise.1; dims.len()];
            elim::for_each_index(&dims[1..], |digits, i| {
                vals[1..].copy_from_slice(digits);
                // An option on the premise's own variable holds when it names the premise's value.
                if !opts.iter().any(|&(p, x)| vals[p] == x) {
                    block[i] = 0.0;
                }
            });
        }
        Factor::new(scope, table)
    }
}

/// A factor graph over finitely-valued variables: the unnormalised
/// distribution is the product of all factors.
///
/// Variable `v` takes values `0..domains[v]`. Nothing is assumed about the
/// factors beyond non-negativity; several factors may share a scope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Network {
    /// Domain size of every variable.
    pub domains: Vec<usize>,
    /// The factors whose product is the unnormalised distribution.
    pub factors: Vec<Factor>,
}

impl Network {
    /// A network with the given domain sizes and no factors (the uniform distribution).
    pub fn new(domains: Vec<usize>) -> Self {
        Network { domains, factors: Vec::new() }
    }

    /// Adds a factor (validated lazily by [`Network::validate`]).
    pub fn push(&mut self, factor: Factor) {
        self.factors.push(factor);
    }

    /// The same network with every factor over values: borrowed when no
    /// factor is over classes (for the few computations that index tables
    /// by value directly).
    pub fn densified(&self) -> std::borrow::Cow<'_, Network> {
        if self.factors.iter().all(|f| f.classes.is_none()) {
            return std::borrow::Cow::Borrowed(self);
        }
        let factors = self
            .factors
            .iter()
            .map(|f| if f.classes.is_some() { f.densified(&self.domains) } else { f.clone() })
            .collect();
        std::borrow::Cow::Owned(Network { domains: self.domains.clone(), factors })
    }

    /// Connected components of the factor graph: for every variable the
    /// index of its component, components numbered in order of their lowest
    /// variable (so the numbering is deterministic).
    pub fn components(&self) -> Vec<usize> {
        components_of(self.domains.len(), self.factors.iter().map(|f| &f.scope[..]))
    }

    /// Checks scopes, table lengths and entries of every factor.
    pub fn validate(&self) -> Result<(), SolveError> {
        for (i, f) in self.factors.iter().enumerate() {
            let mut expected: usize = 1;
            for (p, &v) in f.scope.iter().enumerate() {
                let Some(&d) = self.domains.get(v) else {
                    return Err(SolveError::VarOutOfRange { factor: i, var: v });
                };
                if f.scope[..p].contains(&v) {
                    return Err(SolveError::DuplicateVar { factor: i, var: v });
                }
                let d = match &f.classes {
                    None => d,
                    Some(classes) => match classes.get(p) {
                        Some(c) if c.of.len() == d && c.of.iter().all(|&k| (k as usize) < c.count) => c.count,
                        _ => return Err(SolveError::BadClasses { factor: i, var: v }),
                    },
                };
                expected = expected.checked_mul(d).ok_or(SolveError::TableSize {
                    factor: i,
                    expected: usize::MAX,
                    found: f.table.len(),
                })?;
            }
            if f.classes.as_ref().is_some_and(|c| c.len() != f.scope.len()) {
                return Err(SolveError::BadClasses { factor: i, var: f.scope.first().copied().unwrap_or(0) });
            }
            if f.table.len() != expected {
                return Err(SolveError::TableSize { factor: i, expected, found: f.table.len() });
            }
            // One pass without early exit (it vectorises), the position only
            // when some entry is bad: this runs before every query.
            // `0 <= x <= MAX` is `x >= 0` and finite (NaN fails both).
            let bad = f.table.iter().fold(false, |bad, &x| bad | !(0.0..=f64::MAX).contains(&x));
            if bad {
                let index = f.table.iter().position(|&x| !(x.is_finite() && x >= 0.0)).unwrap_or(0);
                return Err(SolveError::BadEntry { factor: i, index });
            }
        }
        Ok(())
    }

    fn check_vars(&self, vars: &[usize]) -> Result<(), SolveError> {
        match vars.iter().find(|&&v| v >= self.domains.len()) {
            Some(&var) => Err(SolveError::UnknownVar { var }),
            None => Ok(()),
        }
    }

    fn check_evidence(&self, evidence: &[(usize, usize)]) -> Result<(), SolveError> {
        for &(var, value) in evidence {
            match self.domains.get(var) {
                None => return Err(SolveError::UnknownVar { var }),
                Some(&d) if value >= d => return Err(SolveError::ValueOutOfRange { var, value }),
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// Limits on the work an exact computation may do before falling back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Largest table (product of the compressed domain sizes of the eliminated
    /// variable and its neighbours) a single elimination step may range over.
    pub max_table_entries: u64,
    /// Most conditioning assignments the cutset fallback of [`count`] may enumerate.
    pub max_branches: u64,
    /// Most table entries (summed over elimination steps, as planned) the
    /// cutset fallback of [`count`] may spend on enumerating assignments.
    pub max_work: u64,
    /// Optional wall-clock limit (checked between chunks of work, so slightly
    /// soft). [`count`] gives the exact attempt half of it, the cutset
    /// enumeration up to 85% and the relaxed upper bound the rest; the other
    /// queries fail with [`SolveError::TimedOut`]. Without it every result is
    /// deterministic.
    pub time_limit: Option<Duration>,
}

impl Default for Budget {
    /// 2^24 table entries, 4096 branches, 2^28 entries of fallback work
    /// (on the order of a second), no time limit.
    fn default() -> Self {
        Budget { max_table_entries: 1 << 24, max_branches: 1 << 12, max_work: 1 << 28, time_limit: None }
    }
}

/// The result of a (projected) count.
///
/// Arithmetic saturates: `u128::MAX` in either position means "`u128::MAX` or more".
/// A saturated exact count is therefore reported as
/// `Bounds { lower: u128::MAX, upper: u128::MAX }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// The exact number (always below `u128::MAX`).
    Exact(u128),
    /// The true number lies in `lower..=upper` (with the saturation convention above).
    Bounds {
        /// A proven lower bound.
        lower: u128,
        /// A proven upper bound (`u128::MAX`: unbounded).
        upper: u128,
    },
}

impl Count {
    /// A count from a saturating total: `u128::MAX` becomes "at least `u128::MAX`".
    fn from_saturating(n: u128) -> Count {
        if n == u128::MAX { Count::Bounds { lower: u128::MAX, upper: u128::MAX } } else { Count::Exact(n) }
    }

    /// The best known lower bound.
    pub fn lower(&self) -> u128 {
        match *self {
            Count::Exact(n) => n,
            Count::Bounds { lower, .. } => lower,
        }
    }

    /// The count in words: `44`, `at least 10`, `between 5 and 9`, `more than 10^38`.
    pub fn describe(&self) -> String {
        match *self {
            Count::Exact(n) => n.to_string(),
            Count::Bounds { lower, .. } if lower == u128::MAX => "more than 10^38".to_string(),
            Count::Bounds { lower, upper } if upper == u128::MAX => format!("at least {lower}"),
            Count::Bounds { lower, upper } => format!("between {lower} and {upper}"),
        }
    }

    /// The best known upper bound (`u128::MAX` when unbounded).
    pub fn upper(&self) -> u128 {
        match *self {
            Count::Exact(n) => n,
            Count::Bounds { upper, .. } => upper,
        }
    }

    /// The exact value, if known.
    pub fn exact(&self) -> Option<u128> {
        match *self {
            Count::Exact(n) => Some(n),
            Count::Bounds { .. } => None,
        }
    }

    /// Whether `n` is consistent with this result.
    pub fn contains(&self, n: u128) -> bool {
        match *self {
            Count::Exact(m) => m == n,
            Count::Bounds { lower, upper } => lower <= n && (n <= upper || upper == u128::MAX),
        }
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Count::Exact(n) => write!(f, "{n}"),
            Count::Bounds { lower, .. } if lower == u128::MAX => write!(f, "at least {lower}"),
            Count::Bounds { lower, upper } if upper == u128::MAX => write!(f, "at least {lower}"),
            Count::Bounds { lower, upper } => write!(f, "between {lower} and {upper}"),
        }
    }
}

/// Why a computation could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SolveError {
    /// A factor mentions a variable the network does not have.
    VarOutOfRange {
        /// Index of the factor.
        factor: usize,
        /// The unknown variable.
        var: usize,
    },
    /// A factor mentions the same variable twice.
    DuplicateVar {
        /// Index of the factor.
        factor: usize,
        /// The repeated variable.
        var: usize,
    },
    /// A factor's table length is not the product of its scope's domain sizes.
    TableSize {
        /// Index of the factor.
        factor: usize,
        /// Required length (`usize::MAX` if it overflows).
        expected: usize,
        /// Actual length.
        found: usize,
    },
    /// A table entry is negative, infinite or NaN.
    BadEntry {
        /// Index of the factor.
        factor: usize,
        /// Index of the offending entry.
        index: usize,
    },
    /// A projection or evidence variable does not exist.
    UnknownVar {
        /// The unknown variable.
        var: usize,
    },
    /// A factor over classes has no class map for a scope variable, or one
    /// of the wrong length or with a class out of range.
    BadClasses {
        /// Index of the factor.
        factor: usize,
        /// The variable.
        var: usize,
    },
    /// An evidence value is outside its variable's domain.
    ValueOutOfRange {
        /// The variable.
        var: usize,
        /// The value.
        value: usize,
    },
    /// The product of the factors is zero everywhere: nothing can be minted.
    EmptySupport,
    /// Exact inference would need a table larger than the budget allows.
    TooLarge {
        /// Entries of the first over-budget elimination step of the best order
        /// found (a lower bound of what that order needs).
        needed: u128,
        /// The budget's [`Budget::max_table_entries`].
        budget: u64,
    },
    /// The budget's time limit ran out.
    TimedOut,
}

impl fmt::Display for SolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SolveError::VarOutOfRange { factor, var } => write!(f, "factor {factor} mentions unknown variable {var}"),
            SolveError::DuplicateVar { factor, var } => write!(f, "factor {factor} mentions variable {var} twice"),
            SolveError::TableSize { factor, expected, found } => {
                write!(f, "factor {factor} has {found} table entries, expected {expected}")
            }
            SolveError::BadEntry { factor, index } => {
                write!(f, "factor {factor} has a negative or non-finite entry at index {index}")
            }
            SolveError::BadClasses { factor, var } => {
                write!(f, "factor {factor} has no valid classes of the values of variable {var}")
            }
            SolveError::UnknownVar { var } => write!(f, "unknown variable {var}"),
            SolveError::ValueOutOfRange { var, value } => write!(f, "value {value} is out of range for variable {var}"),
            SolveError::EmptySupport => write!(f, "no assignment satisfies all factors"),
            SolveError::TooLarge { needed, budget } => {
                write!(f, "exact inference needs {needed} table entries, more than the budget of {budget}")
            }
            SolveError::TimedOut => write!(f, "the time budget ran out"),
        }
    }
}

impl std::error::Error for SolveError {}

/// Connected components of `n` variables linked by `scopes` (every variable
/// of a scope in one component): for every variable the index of its
/// component, components numbered in order of their lowest variable (so the
/// numbering is deterministic).
pub fn components_of<'a>(n: usize, scopes: impl IntoIterator<Item = &'a [usize]>) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for scope in scopes {
        if let Some((&first, rest)) = scope.split_first() {
            for &other in rest {
                let (a, b) = (root(&mut parent, first), root(&mut parent, other));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut index_of_root = vec![usize::MAX; n];
    let mut next = 0;
    (0..n)
        .map(|v| {
            let r = root(&mut parent, v);
            if index_of_root[r] == usize::MAX {
                index_of_root[r] = next;
                next += 1;
            }
            index_of_root[r]
        })
        .collect()
}
