//! Preprocessing shared by every query: turns a validated [`Network`] into an
//! equivalent, smaller problem before any elimination happens.
//!
//! Steps, each of which preserves the product function on every assignment
//! that can have positive mass:
//! 1. unary factors and evidence become per-value weights, 0-ary factors a constant;
//! 2. factors with the same scope are multiplied together, and a factor whose
//!    scope is contained in another's is multiplied into it;
//! 3. generalised arc consistency removes values that have no positive entry in
//!    some factor given the other variables' remaining values (such values have
//!    zero mass in every assignment), to a fixpoint;
//! 4. domains are re-indexed to the surviving values and factor tables restricted.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::elim::{Shape, for_each_index, select_table, strides};
use super::{ClassMap, Network, SolveError};

/// A factor over compact (surviving-value) domains.
///
/// Its table is borrowed from the network when preprocessing left it as it
/// was (a 100,000-variant trait's tables are tens of megabytes: every query
/// copying them was most of `check`'s memory).
#[derive(Debug, Clone)]
pub(super) struct CFactor<'a> {
    /// Scope, strictly increasing.
    pub vars: Vec<usize>,
    /// Dense row-major table over the compact domains of `vars`, or over
    /// their classes when `classes` is given.
    pub table: Cow<'a, [f64]>,
    /// For every scope variable, the class of each compact value (classes
    /// numbered in order of their first value); `None`: the table is over
    /// the compact values themselves.
    pub classes: Option<Cow<'a, [ClassMap]>>,
}

impl CFactor<'_> {
    /// The same factor owning its table.
    pub fn to_owned(&self) -> CFactor<'static> {
        CFactor {
            vars: self.vars.clone(),
            table: Cow::Owned(self.table.to_vec()),
            classes: self.classes.as_ref().map(|c| Cow::Owned(c.to_vec())),
        }
    }

    /// The number of table entries along each scope variable (compact
    /// domain sizes, or class counts).
    pub fn dims(&self, sizes: &[usize]) -> Vec<usize> {
        match &self.classes {
            None => self.vars.iter().map(|&v| sizes[v]).collect(),
            Some(classes) => classes.iter().map(|c| c.count).collect(),
        }
    }

    /// Its scope and partitions (identity ones over compact values).
    pub fn shape(&self, sizes: &[usize]) -> Shape {
        let maps = match &self.classes {
            None => self.vars.iter().map(|&v| (0..sizes[v] as u32).collect()).collect(),
            Some(classes) => classes.iter().map(|c| c.of.clone()).collect(),
        };
        Shape { vars: self.vars.clone(), maps, dims: self.dims(sizes) }
    }

    /// The same factor over compact values (a factor over classes expanded).
    pub fn densified(&self, sizes: &[usize]) -> CFactor<'static> {
        let Some(classes) = &self.classes else { return self.to_owned() };
        let cst = strides(&self.dims(sizes));
        let dims: Vec<usize> = self.vars.iter().map(|&v| sizes[v]).collect();
        let mut table = Vec::with_capacity(dims.iter().product());
        for_each_index(&dims, |digits, _| {
            let at: usize = digits.iter().zip(classes.iter()).zip(&cst).map(|((&x, c), s)| c.of[x] as usize * s).sum();
            table.push(self.table[at]);
        });
        CFactor { vars: self.vars.clone(), table: Cow::Owned(table), classes: None }
    }

    /// The factor with the variables of `fixed` set to the given compact
    /// values: over the other variables (their classes kept).
    pub fn restrict(&self, fixed: &[(usize, usize)], sizes: &[usize]) -> CFactor<'static> {
        let dims = self.dims(sizes);
        let super::Restricted { scope: vars, classes: free_classes, table } =
            super::restrict_table(&self.vars, &dims, self.classes.as_deref(), &self.table, fixed);
        let classes = self.classes.as_ref().map(|_| Cow::Owned(free_classes));
        CFactor { vars, table: table.into(), classes }
    }
}

/// The preprocessed problem.
#[derive(Debug, Clone)]
pub(super) struct Reduced<'a> {
    /// Original domain sizes.
    pub domains: Vec<usize>,
    /// For every variable, the surviving original values (compact index ->
    /// value), in 32 bits (a domain is a trait's variants; 400 KB for
    /// 100,000 of them, kept by every compiled model and shared with its
    /// sampler).
    pub alive: Vec<std::sync::Arc<[u32]>>,
    /// For every variable, the weight of each surviving value (all positive).
    pub weights: Vec<Vec<f64>>,
    /// Factors of arity >= 2 over compact domains, with pairwise distinct scopes.
    pub factors: Vec<CFactor<'a>>,
    /// Natural log of the product of 0-ary factors.
    pub log_constant: f64,
    /// True when the support is provably empty (then the other fields are unspecified).
    pub empty: bool,
}

impl<'a> Reduced<'a> {
    /// Compact domain sizes.
    pub fn sizes(&self) -> Vec<usize> {
        self.alive.iter().map(|a| a.len()).collect()
    }

    /// The factors, and the rest (domains, surviving values, weights) to keep
    /// without them.
    pub fn split(self) -> (Reduced<'static>, Vec<CFactor<'a>>) {
        let Reduced { domains, alive, weights, factors, log_constant, empty } = self;
        (Reduced { domains, alive, weights, factors: Vec::new(), log_constant, empty }, factors)
    }
}

/// Rearranges a table from `scope` order into the order of `target` (a permutation of `scope`).
fn permute(scope: &[usize], table: &[f64], target: &[usize], domains: &[usize]) -> Vec<f64> {
    let old_dims: Vec<usize> = scope.iter().map(|&v| domains[v]).collect();
    let old_strides = strides(&old_dims);
    let new_dims: Vec<usize> = target.iter().map(|&v| domains[v]).collect();
    // For each target position, the stride of that variable in the old table.
    let src: Vec<usize> =
        target.iter().map(|v| scope.iter().position(|s| s == v).map_or(0, |p| old_strides[p])).collect();
    let mut out = Vec::with_capacity(table.len());
    for_each_index(&new_dims, |digits, _| {
        let idx: usize = digits.iter().zip(&src).map(|(d, s)| d * s).sum();
        out.push(table[idx]);
    });
    out
}

/// A factor table while preprocessing: borrowed from the network until it
/// has to change (a 100,000-variant trait's tables are tens of megabytes),
/// over values or (third) over classes of values.
type Table<'a> = (Vec<usize>, Cow<'a, [f64]>, Option<Cow<'a, [ClassMap]>>);

/// A table and its classes, without its scope.
type TableData<'a> = (Cow<'a, [f64]>, Option<Cow<'a, [ClassMap]>>);

/// `table` over values: expanded when it is over classes.
fn dense(table: &mut Table<'_>, domains: &[usize]) {
    let Some(classes) = table.2.take() else { return };
    let f = CFactor { vars: table.0.clone(), table: std::mem::take(&mut table.1), classes: Some(classes) };
    table.1 = f.densified(domains).table;
}

/// Multiplies `small` (whose scope is a subset of `big`'s) into `big`.
fn absorb(big: &mut Table<'_>, small: &Table<'_>, domains: &[usize]) {
    dense(big, domains);
    let small_dims: Vec<usize> = small.0.iter().map(|&v| domains[v]).collect();
    let small_strides = strides(&small_dims);
    let big_dims: Vec<usize> = big.0.iter().map(|&v| domains[v]).collect();
    let map: Vec<usize> =
        big.0.iter().map(|v| small.0.iter().position(|s| s == v).map_or(0, |p| small_strides[p])).collect();
    let small_table = match &small.2 {
        None => Cow::Borrowed(&small.1[..]),
        Some(c) => {
            let f = CFactor { vars: small.0.clone(), table: Cow::Borrowed(&small.1[..]), classes: Some(c.clone()) };
            f.densified(domains).table
        }
    };
    let table = big.1.to_mut();
    for_each_index(&big_dims, |digits, lin| {
        let idx: usize = digits.iter().zip(&map).map(|(d, s)| d * s).sum();
        table[lin] *= small_table[idx];
    });
}

/// Preprocesses `net` conditioned on `evidence`. Validates the network first.
pub(super) fn reduce<'a>(net: &'a Network, evidence: &[(usize, usize)]) -> Result<Reduced<'a>, SolveError> {
    net.validate()?;
    reduce_valid(net, evidence)
}

/// [`reduce`] of a network the caller has just validated ([`Network::validate`]).
pub(super) fn reduce_valid<'a>(net: &'a Network, evidence: &[(usize, usize)]) -> Result<Reduced<'a>, SolveError> {
    net.check_evidence(evidence)?;
    let domains = net.domains.clone();
    let n = domains.len();
    let mut weights: Vec<Vec<f64>> = domains.iter().map(|&d| vec![1.0; d]).collect();
    let mut constant = 1.0f64;
    let mut log_constant = 0.0f64;
    let mut grouped: BTreeMap<Vec<usize>, TableData<'a>> = BTreeMap::new();
    for f in &net.factors {
        match f.scope.len() {
            0 => {
                constant *= f.table[0];
                // Keep the constant in a sane range while accumulating.
                if constant > 0.0 && !(1e-100..=1e100).contains(&constant) {
                    log_constant += constant.ln();
                    constant = 1.0;
                }
            }
            1 => {
                for (w, t) in weights[f.scope[0]].iter_mut().zip(f.dense_table(&domains).iter()) {
                    *w *= t;
                }
            }
            _ => {
                let mut sorted = f.scope.clone();
                sorted.sort_unstable();
                // A table already in scope order is read where it is (over
                // classes if it is); another is put in order over values.
                let (table, classes) = if sorted == f.scope {
                    (Cow::Borrowed(&f.table[..]), f.classes.as_deref().map(Cow::Borrowed))
                } else {
                    (Cow::Owned(permute(&f.scope, &f.dense_table(&domains), &sorted, &domains)), None)
                };
                match grouped.get_mut(&sorted) {
                    Some(existing) => {
                        // Several tables over one scope: their product, over values.
                        let mut mine = (sorted.clone(), std::mem::take(&mut existing.0), existing.1.take());
                        let mut other = (sorted.clone(), table, classes);
                        dense(&mut mine, &domains);
                        dense(&mut other, &domains);
                        mine.1.to_mut().iter_mut().zip(other.1.iter()).for_each(|(a, b)| *a *= b);
                        *existing = (mine.1, None);
                    }
                    None => {
                        grouped.insert(sorted, (table, classes));
                    }
                }
            }
        }
    }
    for &(var, value) in evidence {
        for (x, w) in weights[var].iter_mut().enumerate() {
            if x != value {
                *w = 0.0;
            }
        }
    }
    let empty_result = |domains: Vec<usize>| Reduced {
        alive: domains.iter().map(|_| std::sync::Arc::from([])).collect(),
        weights: domains.iter().map(|_| Vec::new()).collect(),
        domains,
        factors: Vec::new(),
        log_constant: 0.0,
        empty: true,
    };
    if constant == 0.0 {
        return Ok(empty_result(domains));
    }
    log_constant += constant.ln();

    // Subset absorption: smallest arity first, each into the smallest superset.
    let mut facs: Vec<Table<'_>> = grouped.into_iter().map(|(vars, (table, classes))| (vars, table, classes)).collect();
    facs.sort_by_key(|f| f.0.len());
    let mut keep = vec![true; facs.len()];
    for i in 0..facs.len() {
        let target = (i + 1..facs.len())
            .filter(|&j| keep[j] && facs[j].0.len() > facs[i].0.len())
            .filter(|&j| facs[i].0.iter().all(|v| facs[j].0.binary_search(v).is_ok()))
            .min_by_key(|&j| facs[j].0.iter().map(|&v| domains[v]).product::<usize>());
        if let Some(j) = target {
            let small = std::mem::take(&mut facs[i]);
            absorb(&mut facs[j], &small, &domains);
            keep[i] = false;
        }
    }
    let facs: Vec<Table<'_>> = facs.into_iter().zip(keep).filter(|(_, k)| *k).map(|(f, _)| f).collect();

    // Generalised arc consistency to a fixpoint.
    let mut alive: Vec<Vec<bool>> = weights.iter().map(|w| w.iter().map(|&x| x > 0.0).collect()).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for (scope, table, classes) in &facs {
            let Some(classes) = classes else {
                let dims: Vec<usize> = scope.iter().map(|&v| domains[v]).collect();
                let mut supported: Vec<Vec<bool>> = dims.iter().map(|&d| vec![false; d]).collect();
                for_each_index(&dims, |digits, lin| {
                    if table[lin] > 0.0 && digits.iter().zip(scope).all(|(&x, &v)| alive[v][x]) {
                        for (p, &x) in digits.iter().enumerate() {
                            supported[p][x] = true;
                        }
                    }
                });
                for (p, &v) in scope.iter().enumerate() {
                    for x in 0..domains[v] {
                        if alive[v][x] && !supported[p][x] {
                            alive[v][x] = false;
                            changed = true;
                        }
                    }
                }
                continue;
            };
            // Over classes: an entry supports its classes when each has a
            // value still alive; a value is supported when its class is.
            let dims: Vec<usize> = classes.iter().map(|c| c.count).collect();
            let mut live: Vec<Vec<bool>> = dims.iter().map(|&d| vec![false; d]).collect();
            for (p, &v) in scope.iter().enumerate() {
                for (x, &c) in classes[p].of.iter().enumerate() {
                    live[p][c as usize] |= alive[v][x];
                }
            }
            let mut supported: Vec<Vec<bool>> = dims.iter().map(|&d| vec![false; d]).collect();
            for_each_index(&dims, |digits, lin| {
                if table[lin] > 0.0 && digits.iter().enumerate().all(|(p, &c)| live[p][c]) {
                    for (p, &c) in digits.iter().enumerate() {
                        supported[p][c] = true;
                    }
                }
            });
            for (p, &v) in scope.iter().enumerate() {
                for (x, &c) in classes[p].of.iter().enumerate() {
                    if alive[v][x] && !supported[p][c as usize] {
                        alive[v][x] = false;
                        changed = true;
                    }
                }
            }
        }
    }
    let alive: Vec<std::sync::Arc<[u32]>> = alive
        .iter()
        .map(|a| {
            let mut kept = Vec::with_capacity(a.iter().filter(|&&k| k).count());
            kept.extend(a.iter().enumerate().filter(|(_, k)| **k).map(|(x, _)| x as u32));
            std::sync::Arc::from(kept)
        })
        .collect();
    if alive.iter().any(|a| a.is_empty()) {
        return Ok(empty_result(domains));
    }
    let weights: Vec<Vec<f64>> = (0..n).map(|v| alive[v].iter().map(|&x| weights[v][x as usize]).collect()).collect();

    // Restrict tables to surviving values.
    let mut factors = Vec::with_capacity(facs.len());
    for (vars, table, classes) in facs {
        if vars.iter().all(|&v| alive[v].len() == domains[v]) {
            // Every value survives: the table is already over the compact domains.
            factors.push(CFactor { vars, table, classes });
            continue;
        }
        if let Some(classes) = classes {
            // Over classes: the surviving values keep their classes, those
            // left without a value go, and the rest are renumbered in order
            // of their first surviving value.
            let mut kept_classes = Vec::with_capacity(vars.len());
            let mut keep_lists = Vec::with_capacity(vars.len());
            for (p, &v) in vars.iter().enumerate() {
                let mut new_of_old = vec![u32::MAX; classes[p].count];
                let mut keep = Vec::new();
                let of: Vec<u32> = alive[v]
                    .iter()
                    .map(|&x| {
                        let c = classes[p].of[x as usize] as usize;
                        if new_of_old[c] == u32::MAX {
                            new_of_old[c] = keep.len() as u32;
                            keep.push(c);
                        }
                        new_of_old[c]
                    })
                    .collect();
                kept_classes.push(ClassMap { of: of.into(), count: keep.len() });
                keep_lists.push(keep);
            }
            let mut table = table;
            let mut dims: Vec<usize> = classes.iter().map(|c| c.count).collect();
            for (j, keep) in keep_lists.iter().enumerate() {
                if keep.len() < dims[j] || keep.iter().enumerate().any(|(i, &c)| i != c) {
                    table = Cow::Owned(select_table(&table, &dims, j, keep));
                    dims[j] = keep.len();
                }
            }
            factors.push(CFactor { vars, table, classes: Some(Cow::Owned(kept_classes)) });
            continue;
        }
        let dims: Vec<usize> = vars.iter().map(|&v| alive[v].len()).collect();
        let old_strides = strides(&vars.iter().map(|&v| domains[v]).collect::<Vec<_>>());
        let mut out = Vec::with_capacity(dims.iter().product());
        for_each_index(&dims, |digits, _| {
            let idx: usize =
                digits.iter().zip(&vars).zip(&old_strides).map(|((&c, &v), s)| alive[v][c] as usize * s).sum();
            out.push(table[idx]);
        });
        factors.push(CFactor { vars, table: Cow::Owned(out), classes: None });
    }
    Ok(Reduced { domains, alive, weights, factors, log_constant, empty: false })
}
