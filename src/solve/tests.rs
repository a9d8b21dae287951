//! Tests of the solver against brute-force enumeration on thousands of small
//! random networks, plus the worked example of the language design.

use std::collections::{HashMap, HashSet};

use super::elim::for_each_index;
use super::*;

use super::splitmix::Rng;

/// Test-only draws on top of the shared generator.
impl Rng {
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn distinct(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut out = Vec::new();
        while out.len() < k.min(n) {
            let v = self.below(n);
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }
}

/// Everything brute force knows about a network.
struct Brute {
    /// (assignment, product) for every assignment with positive product.
    support: Vec<(Vec<usize>, f64)>,
}

impl Brute {
    fn new(net: &Network) -> Self {
        let mut support = Vec::new();
        for_each_index(&net.domains, |a, _| {
            let mut p = 1.0;
            for f in &net.factors {
                let x: Vec<usize> = f.scope.iter().map(|&v| a[v]).collect();
                p *= f.at(&x, &net.domains);
            }
            if p > 0.0 {
                support.push((a.to_vec(), p));
            }
        });
        Brute { support }
    }

    fn count(&self, projection: &[usize], evidence: &[(usize, usize)]) -> u128 {
        let set: HashSet<Vec<usize>> = self
            .support
            .iter()
            .filter(|(a, _)| evidence.iter().all(|&(v, x)| a[v] == x))
            .map(|(a, _)| projection.iter().map(|&v| a[v]).collect())
            .collect();
        set.len() as u128
    }

    fn possible(&self, domains: &[usize]) -> Vec<Vec<bool>> {
        let mut out: Vec<Vec<bool>> = domains.iter().map(|&d| vec![false; d]).collect();
        for (a, _) in &self.support {
            for (v, &x) in a.iter().enumerate() {
                out[v][x] = true;
            }
        }
        out
    }

    fn marginals(&self, domains: &[usize]) -> Option<Vec<Vec<f64>>> {
        let z: f64 = self.support.iter().map(|(_, p)| p).sum();
        if self.support.is_empty() {
            return None;
        }
        let mut out: Vec<Vec<f64>> = domains.iter().map(|&d| vec![0.0; d]).collect();
        for (a, p) in &self.support {
            for (v, &x) in a.iter().enumerate() {
                out[v][x] += p / z;
            }
        }
        Some(out)
    }

    fn log_z(&self) -> f64 {
        self.support.iter().map(|(_, p)| p).sum::<f64>().ln()
    }
}

/// `f` (over values) as a factor over classes: values with identical
/// slices share a class, numbered by first value, as `network::merged_factor`
/// builds them; with `split`, classes are also split at random and numbered
/// in a shuffled order (still a valid factor over classes, just not the
/// coarsest).
fn over_classes(f: &Factor, domains: &[usize], split: Option<&mut Rng>) -> Factor {
    let dims: Vec<usize> = f.scope.iter().map(|&v| domains[v]).collect();
    let st = super::elim::strides(&dims);
    let mut classes: Vec<ClassMap> = Vec::new();
    for (j, &d) in dims.iter().enumerate() {
        let mut others = dims.clone();
        others[j] = 1;
        let slice = |x: usize| {
            let mut out = Vec::new();
            for_each_index(&others, |digits, _| {
                let at: usize =
                    digits.iter().zip(&st).enumerate().map(|(p, (&y, s))| if p == j { x * s } else { y * s }).sum();
                out.push(f.table[at].to_bits());
            });
            out
        };
        let mut seen: Vec<Vec<u64>> = Vec::new();
        let of: Vec<u32> = (0..d)
            .map(|x| {
                let s = slice(x);
                match seen.iter().position(|t| *t == s) {
                    Some(c) => c as u32,
                    None => {
                        seen.push(s);
                        (seen.len() - 1) as u32
                    }
                }
            })
            .collect();
        classes.push(ClassMap { of: of.into(), count: seen.len() });
    }
    if let Some(rng) = split {
        for c in &mut classes {
            // Move some values to classes of their own, then shuffle the numbers.
            let mut of = c.of.to_vec();
            for k in &mut of {
                if rng.chance(0.3) {
                    *k = c.count as u32;
                    c.count += 1;
                }
            }
            let mut perm: Vec<u32> = (0..c.count as u32).collect();
            for i in (1..perm.len()).rev() {
                perm.swap(i, rng.below(i + 1));
            }
            c.of = of.iter().map(|&k| perm[k as usize]).collect();
        }
    }
    let cdims: Vec<usize> = classes.iter().map(|c| c.count).collect();
    let mut table = vec![0.0; cdims.iter().product()];
    let cst = super::elim::strides(&cdims);
    for_each_index(&dims, |digits, lin| {
        let at: usize = digits.iter().zip(&classes).zip(&cst).map(|((&x, c), s)| c.of[x] as usize * s).sum();
        table[at] = f.table[lin];
    });
    Factor::over_classes(f.scope.clone(), classes, table)
}

/// `net` with every factor of two or more variables over classes.
fn classed(net: &Network, mut split: Option<&mut Rng>) -> Network {
    let mut out = Network::new(net.domains.clone());
    for f in &net.factors {
        out.push(if f.scope.len() >= 2 { over_classes(f, &net.domains, split.as_deref_mut()) } else { f.clone() });
    }
    out
}

fn random_projection(rng: &mut Rng, n: usize) -> Vec<usize> {
    match rng.below(4) {
        0 => (0..n).collect(),
        _ => (0..n).filter(|_| rng.chance(0.5)).collect(),
    }
}

/// Proptest properties over random networks: a failure shrinks to a small
/// network (fewer factors, smaller domains, simpler tables), printed in full.
mod props {
    use proptest::prelude::*;

    use super::super::*;
    use super::{Brute, Rng};

    /// One factor of a generated network, as raw numbers read modulo the
    /// network's sizes (so every shrunk value still builds a network).
    #[derive(Clone, Debug)]
    struct Spec {
        /// 0: prior, 1-2: forbid, 3: require on one trait, 4: conditional
        /// prior, 5: require on two traits, 6: dense random 0/1 table.
        kind: u8,
        vars: (usize, usize, usize),
        lits: (usize, usize, usize),
        /// Weights (0 is weight 0, else `0.25 + (w - 1) / 4`).
        weights: Vec<u8>,
        /// Seed of a dense table's bits.
        bits: u64,
    }

    fn spec() -> impl Strategy<Value = Spec> {
        (
            0u8..7,
            (0usize..8, 0usize..8, 0usize..8),
            (0usize..8, 0usize..8, 0usize..8),
            prop::collection::vec(0u8..41, 1..13),
            any::<u64>(),
        )
            .prop_map(|(kind, vars, lits, weights, bits)| Spec { kind, vars, lits, weights, bits })
    }

    fn weight(specs: &[u8], i: usize) -> f64 {
        let w = specs[i % specs.len()];
        if w == 0 { 0.0 } else { 0.25 + f64::from(w - 1) / 4.0 }
    }

    /// Builds the network: `domains`, then each spec's factor (specs whose
    /// variables coincide are skipped), then an optional constant factor.
    fn build(domains: &[usize], specs: &[Spec], constant: Option<bool>) -> Network {
        let n = domains.len();
        let mut net = Network::new(domains.to_vec());
        for s in specs {
            let (a, b, c) = (s.vars.0 % n, s.vars.1 % n, s.vars.2 % n);
            let lit = |v: usize, x: usize| (v, x % domains[v]);
            let w = |i: usize| weight(&s.weights, i);
            match s.kind {
                0 => net.push(Factor::unary(a, (0..domains[a]).map(w).collect())),
                _ if a == b => {}
                1 | 2 => net.push(Factor::forbid(lit(a, s.lits.0), lit(b, s.lits.1), domains)),
                3 => {
                    let opts = [lit(b, s.lits.1), lit(b, s.lits.2)];
                    let k = 1 + usize::from(s.bits % 2 == 1);
                    net.push(Factor::require(lit(a, s.lits.0), &opts[..k], domains));
                }
                4 => {
                    // Conditional prior P(b | a): one special row for a = lit.
                    let special = s.lits.0 % domains[a];
                    let d = domains[b];
                    net.push(Factor::from_fn(
                        vec![a, b],
                        domains,
                        |x| {
                            if x[0] == special { w(d + x[1]) } else { w(x[1]) }
                        },
                    ));
                }
                _ if a == c || b == c => {}
                5 => net.push(Factor::require(lit(a, s.lits.0), &[lit(b, s.lits.1), lit(c, s.lits.2)], domains)),
                _ => {
                    let mut rng = Rng(s.bits);
                    let density = 0.5 + rng.below(5) as f64 / 10.0;
                    let scope = if s.bits % 3 == 0 { vec![a, b] } else { vec![a, b, c] };
                    net.push(Factor::from_fn(scope, domains, |_| {
                        if (rng.next() >> 11) as f64 / (1u64 << 53) as f64 <= density { 1.0 } else { 0.0 }
                    }));
                }
            }
        }
        if let Some(big) = constant {
            net.push(Factor::new(vec![], vec![if big { 2.0 } else { 0.5 }]));
        }
        net
    }

    /// A network of 2..=`vars` variables with domains 1..=`dom`, up to
    /// 2·vars + 1 factors.
    fn network(vars: usize, dom: usize) -> impl Strategy<Value = Network> {
        (
            prop::collection::vec(1..=dom, 2..=vars),
            prop::collection::vec(spec(), 0..=2 * vars + 1),
            prop::option::weighted(0.1, any::<bool>()),
        )
            .prop_map(|(domains, specs, constant)| build(&domains, &specs, constant))
    }

    /// A network with a projection (a subset of its variables) and at most one evidence pair.
    fn with_query(vars: usize, dom: usize) -> impl Strategy<Value = (Network, Vec<usize>, Vec<(usize, usize)>)> {
        (network(vars, dom), any::<u64>(), any::<bool>(), any::<(usize, usize)>()).prop_map(|(net, mask, all, ev)| {
            let n = net.domains.len();
            let proj: Vec<usize> = (0..n).filter(|&v| all || mask >> v & 1 == 1).collect();
            let v = ev.0 % n;
            let evidence = if ev.1 % 2 == 0 { vec![(v, (ev.1 / 2) % net.domains[v])] } else { Vec::new() };
            (net, proj, evidence)
        })
    }

    fn close(got: &[Vec<f64>], want: &[Vec<f64>]) -> bool {
        got.iter().flatten().zip(want.iter().flatten()).all(|(g, w)| (g - w).abs() < 1e-9)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn counts_match_brute_force((net, proj, evidence) in with_query(6, 6)) {
            let brute = Brute::new(&net);
            let got = count_given(&net, &proj, &evidence, &Budget::default()).unwrap();
            prop_assert_eq!(got, Count::Exact(brute.count(&proj, &evidence)));
        }

        /// One preprocessing for the count and the elimination changes
        /// neither: the same count, the same floats, the same draws as the
        /// two queries made apart (`unique` last, else any order).
        #[test]
        fn eliminate_and_count_matches_the_two_queries((net, proj, _) in with_query(6, 6), tight in any::<bool>()) {
            let budget = if tight { Budget { max_table_entries: 8, ..Budget::default() } } else { Budget::default() };
            let count_budget = Budget::default();
            let (compiled, count) = eliminate_and_count(&net, &proj, &budget, &count_budget);
            prop_assert_eq!(count, count_given(&net, &proj, &[], &count_budget));
            let apart = match WeightedModel::compile_with_last(&net, &[], &budget, &proj) {
                Ok(m) => Ok((m, true)),
                Err(SolveError::TooLarge { .. }) => WeightedModel::compile(&net, &[], &budget).map(|m| (m, false)),
                Err(e) => Err(e),
            };
            match (compiled, apart) {
                (Ok((a, la)), Ok((b, lb))) => {
                    prop_assert_eq!(la, lb);
                    prop_assert_eq!(a.log_partition().to_bits(), b.log_partition().to_bits());
                    prop_assert_eq!(a.elimination_order(), b.elimination_order());
                    let bits = |m: &WeightedModel| -> Vec<Vec<u64>> {
                        m.marginals().iter().map(|row| row.iter().map(|x| x.to_bits()).collect()).collect()
                    };
                    prop_assert_eq!(bits(&a), bits(&b));
                    let (sa, sb) = (a.sampler(), b.sampler());
                    for seed in 0..8u64 {
                        let mut rng = super::Rng(seed);
                        let uniforms: Vec<f64> =
                            (0..net.domains.len()).map(|_| (rng.next() >> 11) as f64 / (1u64 << 53) as f64).collect();
                        let (mut xa, mut xb) = (vec![0u32; net.domains.len()], vec![0u32; net.domains.len()]);
                        prop_assert_eq!(sa.draw_from(0, &mut xa, |v| uniforms[v]), sb.draw_from(0, &mut xb, |v| uniforms[v]));
                        prop_assert_eq!(xa, xb);
                    }
                }
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (a, b) => prop_assert!(false, "{:?} vs {:?}", a.map(|m| m.1), b.map(|m| m.1)),
            }
        }

        #[test]
        fn possible_values_match_brute_force(net in network(6, 6)) {
            prop_assert_eq!(possible_values(&net).unwrap(), Brute::new(&net).possible(&net.domains));
        }

        #[test]
        fn marginals_and_partition_match_brute_force(net in network(6, 6)) {
            let brute = Brute::new(&net);
            match (marginals(&net), brute.marginals(&net.domains)) {
                (Err(SolveError::EmptySupport), None) => {}
                (Ok(got), Some(want)) => {
                    prop_assert!(close(&got, &want), "{:?} vs {:?}", got, want);
                    let lz = WeightedModel::compile(&net, &[], &Budget::default()).unwrap().log_partition();
                    prop_assert!((lz - brute.log_z()).abs() < 1e-9, "log Z {} vs {}", lz, brute.log_z());
                }
                (got, want) => prop_assert!(false, "{:?} vs {:?}", got, want),
            }
        }

        #[test]
        fn conditional_marginals_match_brute_force((net, _, evidence) in with_query(5, 5)) {
            let Some(&(v, x)) = evidence.first() else { return Ok(()) };
            let mut with_evidence = net.clone();
            let mut ind = vec![0.0; net.domains[v]];
            ind[x] = 1.0;
            with_evidence.push(Factor::unary(v, ind));
            let brute = Brute::new(&with_evidence);
            match (WeightedModel::compile(&net, &[(v, x)], &Budget::default()), brute.marginals(&net.domains)) {
                (Err(SolveError::EmptySupport), None) => {}
                (Ok(model), Some(want)) => prop_assert!(close(&model.marginals(), &want)),
                (got, want) => prop_assert!(false, "{:?} vs {:?}", got.map(|m| m.marginals()), want),
            }
        }

        #[test]
        fn search_counts_match_brute_force((net, proj, evidence) in with_query(6, 5)) {
            let brute = Brute::new(&net);
            let red = super::super::prep::reduce(&net, &evidence).unwrap();
            let got = if red.empty {
                0
            } else {
                let mut projected = vec![false; net.domains.len()];
                proj.iter().for_each(|&v| projected[v] = true);
                super::super::search::count_reduced(&red.sizes(), &red.factors, &projected, SearchBudget::default()).unwrap()
            };
            prop_assert_eq!(got, brute.count(&proj, &evidence));
        }

        /// The search capped at `cap` gives `min(count, cap)`, for caps
        /// below, at and above the count.
        #[test]
        fn capped_search_counts_match_brute_force((net, proj, evidence) in with_query(6, 5), cap in 1u128..200) {
            let brute = Brute::new(&net).count(&proj, &evidence);
            let red = super::super::prep::reduce(&net, &evidence).unwrap();
            let mut projected = vec![false; net.domains.len()];
            proj.iter().for_each(|&v| projected[v] = true);
            for cap in [cap, brute.max(1), brute + 1] {
                let got = if red.empty {
                    0
                } else {
                    super::super::search::count_reduced_capped(
                        &red.sizes(), &red.factors, &projected, SearchBudget::default(), cap,
                    )
                    .unwrap()
                };
                prop_assert_eq!(got, brute.min(cap), "cap {}", cap);
            }
        }

        /// A network whose rule tables are over classes answers every
        /// question as the same network over values: exactly the same
        /// numbers (the same floats, the same draws) with the coarsest
        /// classes, which elimination would have found itself; the same
        /// counts and the same law with any finer ones.
        #[test]
        fn factors_over_classes_answer_as_over_values((net, proj, evidence) in with_query(6, 6), seed in any::<u64>()) {
            let coarse = super::classed(&net, None);
            prop_assert!(coarse.validate().is_ok());
            let mut rng = Rng(seed);
            let fine = super::classed(&net, Some(&mut rng));
            prop_assert!(fine.validate().is_ok());
            let want = count_given(&net, &proj, &evidence, &Budget::default()).unwrap();
            prop_assert_eq!(count_given(&coarse, &proj, &evidence, &Budget::default()).unwrap(), want);
            prop_assert_eq!(count_given(&fine, &proj, &evidence, &Budget::default()).unwrap(), want);
            let possible = possible_values(&net).unwrap();
            prop_assert_eq!(&possible_values(&coarse).unwrap(), &possible);
            prop_assert_eq!(&possible_values(&fine).unwrap(), &possible);
            let budget = Budget::default();
            match WeightedModel::compile(&net, &evidence, &budget) {
                Ok(m) => {
                    let c = WeightedModel::compile(&coarse, &evidence, &budget).unwrap();
                    prop_assert_eq!(c.log_partition().to_bits(), m.log_partition().to_bits());
                    prop_assert_eq!(c.marginals(), m.marginals());
                    let f = WeightedModel::compile(&fine, &evidence, &budget).unwrap();
                    prop_assert!((f.log_partition() - m.log_partition()).abs() < 1e-9);
                    prop_assert!(close(&f.marginals(), &m.marginals()));
                    // The same uniforms draw the same tokens.
                    let (sm, sc) = (m.sampler(), c.sampler());
                    let mut draws = Rng(seed ^ 1);
                    let (mut a, mut b) = (vec![0u32; net.domains.len()], vec![0u32; net.domains.len()]);
                    for _ in 0..50 {
                        let us: Vec<f64> = (0..a.len()).map(|_| (draws.next() >> 11) as f64 / (1u64 << 53) as f64).collect();
                        prop_assert_eq!(sm.draw_from(0, &mut a, |v| us[v]), sc.draw_from(0, &mut b, |v| us[v]));
                        prop_assert_eq!(&a, &b);
                    }
                }
                Err(e) => {
                    prop_assert_eq!(WeightedModel::compile(&coarse, &evidence, &budget).err(), Some(e.clone()));
                    prop_assert_eq!(WeightedModel::compile(&fine, &evidence, &budget).err(), Some(e));
                }
            }
            match (SearchModel::compile(&net, &[], SearchBudget::default()), SearchModel::compile(&fine, &[], SearchBudget::default())) {
                (Ok(m), Ok(f)) => prop_assert_eq!(f.marginals(), m.marginals()),
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (a, b) => prop_assert!(false, "{:?} vs {:?}", a.map(|m| m.entries()), b.map(|m| m.entries())),
            }
            // Restricting keeps the function.
            if let Some(&(v, x)) = evidence.first() {
                for (f, g) in net.factors.iter().zip(&fine.factors) {
                    let (rf, rg) = (f.restrict(&net.domains, &[(v, x)]), g.restrict(&net.domains, &[(v, x)]));
                    prop_assert_eq!(&rf.scope, &rg.scope);
                    prop_assert_eq!(rf.dense_table(&net.domains), rg.dense_table(&net.domains));
                }
            }
        }

        #[test]
        fn search_marginals_match_brute_force(net in network(6, 5)) {
            let brute = Brute::new(&net);
            match (SearchModel::compile(&net, &[], SearchBudget::default()), brute.marginals(&net.domains)) {
                (Err(SolveError::EmptySupport), None) => {}
                (Ok(m), Some(want)) => prop_assert!(close(&m.marginals(), &want)),
                (got, want) => prop_assert!(false, "{:?} vs {:?}", got.map(|m| m.entries()), want),
            }
        }
    }
}

/// Larger networks shaped like real collections: many values, few mentioned by rules.
fn rule_network(rng: &mut Rng, n: usize, d: usize, rules: usize) -> Network {
    let domains = vec![d; n];
    let mut net = Network::new(domains.clone());
    for v in 0..n {
        net.push(Factor::unary(v, (0..d).map(|_| 1.0 + rng.below(20) as f64).collect()));
    }
    for _ in 0..rules {
        let vs = rng.distinct(n, 3);
        let (a, b) = ((vs[0], rng.below(d)), (vs[1], rng.below(d)));
        match rng.below(4) {
            0 | 1 => net.push(Factor::forbid(a, b, &domains)),
            2 => net.push(Factor::require(a, &[b], &domains)),
            _ => net.push(Factor::require(a, &[b, (vs[2], rng.below(d))], &domains)),
        }
    }
    net
}

#[test]
fn rule_networks_match_brute_force() {
    let mut rng = Rng(5);
    for case in 0..24 {
        let net = rule_network(&mut rng, 6, 6, 4 + case / 2);
        let brute = Brute::new(&net);
        let proj = random_projection(&mut rng, 6);
        assert_eq!(count(&net, &proj, &Budget::default()).unwrap(), Count::Exact(brute.count(&proj, &[])));
        assert_eq!(possible_values(&net).unwrap(), brute.possible(&net.domains));
        if let Some(want) = brute.marginals(&net.domains) {
            let got = marginals(&net).unwrap();
            for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
                assert!((g - w).abs() < 1e-9, "case {case}");
            }
        }
    }
}

#[test]
fn rule_networks_over_classes_answer_as_over_values() {
    let mut rng = Rng(15);
    for case in 0..12 {
        let net = rule_network(&mut rng, 6, 40, 10 + case);
        let coarse = classed(&net, None);
        let all: Vec<usize> = (0..6).collect();
        let b = Budget::default();
        assert_eq!(count(&coarse, &all, &b).unwrap(), count(&net, &all, &b).unwrap(), "case {case}");
        let (m, c) =
            (WeightedModel::compile(&net, &[], &b).unwrap(), WeightedModel::compile(&coarse, &[], &b).unwrap());
        assert_eq!(c.marginals(), m.marginals(), "case {case}");
        for x in [0, 7, 39] {
            assert_eq!(
                count_given(&coarse, &all, &[(2, x)], &b).unwrap(),
                count_given(&net, &all, &[(2, x)], &b).unwrap()
            );
        }
    }
}

#[test]
fn budget_fallback_gives_valid_bounds() {
    let mut rng = Rng(6);
    let mut inexact = 0;
    for case in 0..60 {
        // Dense random 0/1 factors over 7 variables: elimination needs big tables.
        let n = 7;
        let domains: Vec<usize> = (0..n).map(|_| rng.range(3, 4)).collect();
        let mut net = Network::new(domains.clone());
        for _ in 0..12 {
            let arity = 2 + rng.below(2);
            let scope = rng.distinct(n, arity);
            let f = Factor::from_fn(scope, &domains, |_| 0.0);
            let table = f.table.iter().map(|_| if rng.chance(0.8) { 1.0 } else { 0.0 }).collect();
            net.push(Factor::new(f.scope, table));
        }
        let brute = Brute::new(&net);
        let proj = if case % 3 == 0 { (0..n).collect() } else { random_projection(&mut rng, n) };
        let truth = brute.count(&proj, &[]);
        let budget = Budget { max_table_entries: 20, max_branches: 1 + rng.below(30) as u64, ..Budget::default() };
        let got = count(&net, &proj, &budget).unwrap();
        assert!(got.contains(truth), "case {case}: {got:?} does not contain {truth}");
        assert!(got.upper() <= proj.iter().map(|&v| domains[v] as u128).product());
        if got.exact().is_none() {
            inexact += 1;
        }
        // With enough branches and all variables projected the fallback is exact.
        let roomy = Budget { max_table_entries: 20, max_branches: u64::MAX, ..Budget::default() };
        let all: Vec<usize> = (0..n).collect();
        assert_eq!(count(&net, &all, &roomy).unwrap(), Count::Exact(brute.count(&all, &[])), "case {case}");
    }
    assert!(inexact > 10, "the tiny budget should force bounds: {inexact}");
}

#[test]
fn existential_cutsets_give_valid_bounds() {
    // Few projected variables and a budget too small for the existential part:
    // the cutset must include existential variables, whose branches are unioned.
    let mut rng = Rng(9);
    let mut unions = 0;
    for case in 0..60 {
        let n = 7;
        let domains: Vec<usize> = (0..n).map(|_| rng.range(2, 4)).collect();
        let mut net = Network::new(domains.clone());
        for _ in 0..14 {
            let scope = rng.distinct(n, 2);
            let f = Factor::from_fn(scope, &domains, |_| 0.0);
            let table = f.table.iter().map(|_| if rng.chance(0.75) { 1.0 } else { 0.0 }).collect();
            net.push(Factor::new(f.scope, table));
        }
        let brute = Brute::new(&net);
        let proj: Vec<usize> = (0..1 + case % 2).collect();
        let truth = brute.count(&proj, &[]);
        for max_branches in [3, u64::MAX] {
            let budget = Budget { max_table_entries: 6, max_branches, ..Budget::default() };
            let got = count(&net, &proj, &budget).unwrap();
            assert!(got.contains(truth), "case {case}: {got:?} does not contain {truth}");
            assert!(got.upper() <= proj.iter().map(|&v| domains[v] as u128).product());
            // With unlimited branches only a union over existential branches is inexact.
            unions += usize::from(max_branches == u64::MAX && got.exact().is_none());
        }
    }
    assert!(unions > 0, "no case exercised the existential union bounds");
}

#[test]
fn time_limit_gives_valid_bounds() {
    let mut rng = Rng(7);
    let net = rule_network(&mut rng, 6, 6, 12);
    let brute = Brute::new(&net);
    let all: Vec<usize> = (0..6).collect();
    let budget = Budget { max_table_entries: 8, time_limit: Some(std::time::Duration::ZERO), ..Budget::default() };
    let got = count(&net, &all, &budget).unwrap();
    assert!(got.contains(brute.count(&all, &[])), "{got:?}");
}

#[test]
fn saturation_is_reported_as_lower_bound() {
    let net = Network::new(vec![10; 40]);
    let all: Vec<usize> = (0..40).collect();
    let got = count(&net, &all, &Budget::default()).unwrap();
    assert_eq!(got, Count::Bounds { lower: u128::MAX, upper: u128::MAX });
    assert!(got.to_string().starts_with("at least"));
    let small = Network::new(vec![10; 38]);
    let all: Vec<usize> = (0..38).collect();
    assert_eq!(count(&small, &all, &Budget::default()).unwrap(), Count::Exact(10u128.pow(38)));
}

#[test]
fn validation_errors() {
    let mut net = Network::new(vec![2, 3]);
    net.push(Factor::pair(0, 1, vec![1.0; 5]));
    assert!(matches!(net.validate(), Err(SolveError::TableSize { factor: 0, expected: 6, found: 5 })));
    let mut net = Network::new(vec![2, 3]);
    net.push(Factor::pair(0, 2, vec![1.0; 6]));
    assert!(matches!(count(&net, &[0], &Budget::default()), Err(SolveError::VarOutOfRange { .. })));
    let mut net = Network::new(vec![2, 3]);
    net.push(Factor::pair(1, 1, vec![1.0; 9]));
    assert!(matches!(marginals(&net), Err(SolveError::DuplicateVar { .. })));
    let mut net = Network::new(vec![2]);
    net.push(Factor::unary(0, vec![1.0, f64::NAN]));
    assert!(matches!(possible_values(&net), Err(SolveError::BadEntry { factor: 0, index: 1 })));
    let net = Network::new(vec![2]);
    assert!(matches!(count(&net, &[3], &Budget::default()), Err(SolveError::UnknownVar { var: 3 })));
    assert!(matches!(
        count_given(&net, &[0], &[(0, 2)], &Budget::default()),
        Err(SolveError::ValueOutOfRange { var: 0, value: 2 })
    ));
    let mut empty = Network::new(vec![2]);
    empty.push(Factor::unary(0, vec![0.0, 0.0]));
    assert_eq!(marginals(&empty), Err(SolveError::EmptySupport));
    assert_eq!(count(&empty, &[0], &Budget::default()).unwrap(), Count::Exact(0));
    assert_eq!(possible_values(&empty).unwrap(), vec![vec![false, false]]);
}

#[test]
fn degenerate_networks() {
    let none = Network::new(vec![]);
    assert_eq!(count(&none, &[], &Budget::default()).unwrap(), Count::Exact(1));
    assert_eq!(marginals(&none).unwrap(), Vec::<Vec<f64>>::new());
    let zero_domain = Network::new(vec![3, 0]);
    assert_eq!(count(&zero_domain, &[0], &Budget::default()).unwrap(), Count::Exact(0));
    let free = Network::new(vec![3, 4]);
    assert_eq!(count(&free, &[1], &Budget::default()).unwrap(), Count::Exact(4));
    assert_eq!(count(&free, &[], &Budget::default()).unwrap(), Count::Exact(1));
    assert_eq!(marginals(&free).unwrap(), vec![vec![1.0 / 3.0; 3], vec![0.25; 4]]);
}

/// Builds the worked example of the language design. Returns the network and
/// the indices `(background, body, eyes, head, mouth)`.
fn worked_example() -> Network {
    // Variables: 0 Background<Neon,Sunset,Void>, 1 Body<Ape,Zombie,Robot>,
    // 2 Eyes<Normal,Cyber,Laser>, 3 Head<none,Cap,Helmet,Crown>, 4 Mouth<Smile,Gold Grill>.
    let domains = vec![3, 3, 3, 4, 2];
    let mut net = Network::new(domains.clone());
    net.push(Factor::unary(0, vec![10.0, 25.0, 5.0]));
    net.push(Factor::unary(1, vec![20.0, 5.0, 2.0]));
    // Eyes depend on Body: default <20,3,1>, under Zombie <Normal:1, Laser:4>.
    let default = [20.0 / 24.0, 3.0 / 24.0, 1.0 / 24.0];
    let zombie = [1.0 / 5.0, 0.0, 4.0 / 5.0];
    net.push(Factor::from_fn(vec![1, 2], &domains, |a| if a[0] == 1 { zombie[a[1]] } else { default[a[1]] }));
    net.push(Factor::unary(3, vec![30.0, 15.0, 5.0, 1.0]));
    net.push(Factor::unary(4, vec![10.0, 1.0]));
    net.push(Factor::forbid((2, 1), (3, 2), &domains)); // forbid Eyes.Cyber with Head.Helmet
    net.push(Factor::forbid((1, 2), (3, 1), &domains)); // forbid Body.Robot with Head.Cap
    net.push(Factor::forbid((1, 2), (3, 3), &domains)); // ... and with Head.Crown
    net.push(Factor::require((3, 3), &[(0, 2)], &domains)); // require Head.Crown -> Background.Void
    net.push(Factor::require((1, 2), &[(2, 1), (2, 2)], &domains)); // require Body.Robot -> Eyes.Cyber | Eyes.Laser
    net
}

#[test]
fn worked_example_counts() {
    let net = worked_example();
    let unique = [1, 2, 3, 4];
    let b = Budget::default();
    assert_eq!(count(&net, &unique, &b).unwrap(), Count::Exact(44));
    assert_eq!(count_given(&net, &unique, &[(3, 3)], &b).unwrap(), Count::Exact(10));
    assert_eq!(count_given(&net, &unique, &[(2, 2)], &b).unwrap(), Count::Exact(20));
    let brute = Brute::new(&net);
    let all: Vec<usize> = (0..5).collect();
    assert_eq!(count(&net, &all, &b).unwrap(), Count::Exact(brute.count(&all, &[])));
    // Every variant stays possible.
    assert!(possible_values(&net).unwrap().iter().flatten().all(|&p| p));
    let got = marginals(&net).unwrap();
    let want = brute.marginals(&net.domains).unwrap();
    for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
        assert!((g - w).abs() < 1e-12);
    }
}

#[test]
fn impossible_variant_is_detected() {
    let mut net = worked_example();
    let domains = net.domains.clone();
    // Robots must wear a Helmet, but Helmet is forbidden with Cyber and Robots need Cyber or Laser.
    // Forbidding Laser with Helmet too makes Robot impossible.
    net.push(Factor::require((1, 2), &[(3, 2)], &domains));
    net.push(Factor::forbid((2, 2), (3, 2), &domains));
    let possible = possible_values(&net).unwrap();
    assert!(!possible[1][2], "Robot should be impossible");
    assert!(possible[1][0] && possible[1][1]);
    let m = marginals(&net).unwrap();
    assert_eq!(m[1][2], 0.0);
}

#[test]
fn classes_are_validated() {
    let mut net = Network::new(vec![3, 2]);
    let good = ClassMap { of: vec![0, 1, 1].into(), count: 2 };
    net.push(Factor::over_classes(
        vec![0, 1],
        vec![good.clone(), ClassMap { of: vec![0, 0].into(), count: 1 }],
        vec![1.0, 0.0],
    ));
    assert_eq!(net.validate(), Ok(()));
    assert_eq!(net.factors[0].dense_table(&net.domains).to_vec(), vec![1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(net.factors[0].at(&[0, 1], &net.domains), 1.0);
    assert_eq!(count(&net, &[0, 1], &Budget::default()).unwrap(), Count::Exact(2));
    let bad = |classes: Vec<ClassMap>, table: Vec<f64>| {
        let mut n = Network::new(vec![3, 2]);
        n.push(Factor::over_classes(vec![0, 1], classes, table));
        n.validate()
    };
    let one = ClassMap { of: vec![0, 0].into(), count: 1 };
    assert!(matches!(bad(vec![good.clone()], vec![1.0, 1.0]), Err(SolveError::BadClasses { .. })));
    assert!(matches!(
        bad(vec![ClassMap { of: vec![0, 1].into(), count: 2 }, one.clone()], vec![1.0, 1.0]),
        Err(SolveError::BadClasses { .. })
    ));
    assert!(matches!(
        bad(vec![ClassMap { of: vec![0, 2, 1].into(), count: 2 }, one.clone()], vec![1.0, 1.0]),
        Err(SolveError::BadClasses { .. })
    ));
    assert!(matches!(bad(vec![good, one], vec![1.0]), Err(SolveError::TableSize { .. })));
}

#[test]
fn factor_helpers() {
    let domains = [2, 3, 2];
    let f = Factor::require((0, 1), &[(1, 2), (2, 0), (1, 0)], &domains);
    assert_eq!(f.scope, vec![0, 1, 2]);
    for_each_index(&[2, 3, 2], |a, lin| {
        let want = if a[0] == 1 && a[1] != 2 && a[2] != 0 && a[1] != 0 { 0.0 } else { 1.0 };
        assert_eq!(f.table[lin], want, "{a:?}");
    });
    let g = Factor::forbid((0, 1), (1, 2), &domains);
    assert_eq!(g.table, vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.0]);
    assert_eq!(Count::Exact(3).to_string(), "3");
    assert_eq!(Count::Bounds { lower: 2, upper: 9 }.to_string(), "between 2 and 9");
}

#[test]
fn realistic_network_is_fast_and_consistent() {
    // 10 traits × 24 variants with 40 rules: compression keeps this small.
    let mut rng = Rng(8);
    let net = rule_network(&mut rng, 10, 24, 40);
    let all: Vec<usize> = (0..10).collect();
    let total = count(&net, &all, &Budget::default()).unwrap();
    let total = total.exact().unwrap();
    // Σ over the values of one variable of the conditioned counts is the total.
    let sum: u128 =
        (0..24).map(|x| count_given(&net, &all, &[(0, x)], &Budget::default()).unwrap().exact().unwrap()).sum();
    assert_eq!(sum, total);
    let m = marginals(&net).unwrap();
    for row in &m {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
    let possible = possible_values(&net).unwrap();
    for (p, row) in possible.iter().zip(&m) {
        for (&p, &q) in p.iter().zip(row) {
            assert_eq!(p, q > 0.0);
        }
    }
}

/// Chi-square statistic of `draws` against the brute-force law (cells with
/// expectation below 5 pooled), with its degrees of freedom.
fn chi_square_of(brute: &Brute, draws: &HashMap<Vec<usize>, u64>, n: u64) -> (f64, usize) {
    let z: f64 = brute.support.iter().map(|(_, p)| p).sum();
    let (mut chi, mut df) = (0.0, 0usize);
    let (mut pooled_o, mut pooled_e) = (0.0, 0.0);
    for (a, p) in &brute.support {
        let e = n as f64 * p / z;
        let o = draws.get(a).copied().unwrap_or(0) as f64;
        if e < 5.0 {
            pooled_o += o;
            pooled_e += e;
        } else {
            chi += (o - e) * (o - e) / e;
            df += 1;
        }
    }
    if pooled_e > 0.0 {
        chi += (pooled_o - pooled_e) * (pooled_o - pooled_e) / pooled_e;
        df += 1;
    }
    let outside: u64 = draws.iter().filter(|(a, _)| !brute.support.iter().any(|(b, _)| b == *a)).map(|(_, c)| c).sum();
    assert_eq!(outside, 0, "draws outside the support");
    (chi, df.saturating_sub(1).max(1))
}

/// Chi-square critical value at p = 0.001 (Wilson–Hilferty).
fn chi_critical(df: usize) -> f64 {
    let k = df as f64;
    k * (1.0 - 2.0 / (9.0 * k) + 3.090_232 * (2.0 / (9.0 * k)).sqrt()).powi(3)
}

/// Draws `n` assignments with `draw` (uniforms from a fixed generator) and
/// tests them against the brute-force law.
fn draws_follow_the_law(net: &Network, n: u64, mut draw: impl FnMut(&mut [u32], &[f64]) -> bool) {
    let brute = Brute::new(net);
    let mut rng = Rng(99);
    let mut counts: HashMap<Vec<usize>, u64> = HashMap::new();
    let mut a = vec![0u32; net.domains.len()];
    for _ in 0..n {
        let us: Vec<f64> = (0..a.len()).map(|_| (rng.next() >> 11) as f64 / (1u64 << 53) as f64).collect();
        assert!(draw(&mut a, &us));
        *counts.entry(a.iter().map(|&x| x as usize).collect()).or_default() += 1;
    }
    let (chi, df) = chi_square_of(&brute, &counts, n);
    assert!(chi < chi_critical(df), "chi-square {chi:.1} with {df} d.o.f. (critical {:.1})", chi_critical(df));
}

/// An all-different network of `n` variables over `n` values with weights.
fn all_different(n: usize) -> Network {
    let mut net = Network::new(vec![n; n]);
    for i in 0..n {
        net.push(Factor::unary(i, (0..n).map(|k| 1.0 + ((i * 7 + k * 3) % 5) as f64).collect()));
    }
    for i in 0..n {
        for j in i + 1..n {
            net.push(Factor::from_fn(vec![i, j], &net.domains.clone(), |v| if v[0] == v[1] { 0.0 } else { 1.0 }));
        }
    }
    net
}

#[test]
fn search_draws_follow_the_law() {
    let mut rng = Rng(13);
    for _ in 0..6 {
        let net = rule_network(&mut rng, 5, 3, 8);
        if let Ok(m) = SearchModel::compile(&net, &[], SearchBudget::default()) {
            draws_follow_the_law(&net, 20_000, |a, us| m.draw(a, |v| us[v]));
        }
    }
    let net = all_different(5);
    let m = SearchModel::compile(&net, &[], SearchBudget::default()).unwrap();
    draws_follow_the_law(&net, 30_000, |a, us| m.draw(a, |v| us[v]));
}

#[test]
fn relaxed_draws_follow_the_law() {
    // A budget so small that most rules must be dropped from the proposal.
    let tiny = Budget { max_table_entries: 9, ..Budget::default() };
    let mut rng = Rng(14);
    let mut tried = 0;
    for _ in 0..6 {
        let net = rule_network(&mut rng, 5, 3, 8);
        if let Ok(m) = RelaxedModel::compile(&net, &tiny) {
            tried += 1;
            draws_follow_the_law(&net, 20_000, |a, us| m.draw(a, |v| us[v]));
        }
    }
    let net = all_different(4);
    let m = RelaxedModel::compile(&net, &tiny).unwrap();
    assert!(m.dropped() > 0);
    draws_follow_the_law(&net, 20_000, |a, us| m.draw(a, |v| us[v]));
    assert!(tried > 0);
}

#[test]
fn search_counts_permutations_where_elimination_gives_up() {
    // 10 traits, all different: 10! combinations, far beyond elimination's budget.
    let net = all_different(10);
    let budget = Budget { max_table_entries: 1 << 16, ..Budget::default() };
    assert!(matches!(WeightedModel::compile(&net, &[], &budget), Err(SolveError::TooLarge { .. })));
    assert_eq!(count(&net, &(0..10).collect::<Vec<_>>(), &Budget::default()).unwrap(), Count::Exact(3_628_800));
}

#[test]
fn counts_up_to_a_cap_where_elimination_gives_up() {
    // 10 traits, all different: searched to 300 combinations, not 10!.
    let net = all_different(10);
    let all: Vec<usize> = (0..10).collect();
    let budget = Budget::default();
    let capped = count_given_up_to(&net, &all, &[], &budget, 300).unwrap();
    assert!(capped.lower() >= 300 && capped.upper() >= 3_628_800, "{capped:?}");
    // With trait 0 = 0 and trait 1 = 0: nothing; with a value each: 8!.
    assert_eq!(count_given_up_to(&net, &all, &[(0, 0), (1, 0)], &budget, 300).unwrap(), Count::Exact(0));
    let given = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6)];
    assert_eq!(count_given_up_to(&net, &all, &given, &budget, 300).unwrap(), Count::Exact(6));
    assert_eq!(count_given_up_to(&net, &all, &given, &budget, 6).unwrap().lower(), 6);
    // A projection on some traits: distinct assignments of them.
    assert_eq!(count_given_up_to(&net, &[0, 1], &[], &budget, 1000).unwrap(), Count::Exact(90));
}
