//! Helpers shared by the `sample_*` tests: building models from text, an
//! independent rule checker, and a brute-force enumeration of a token's law.
#![allow(dead_code, clippy::panic)]

use dropc::model::Model;

use dropc::check::{NoArt, check_text};
use dropc::sample::Tokens;

/// The model of `text`, or a panic listing the diagnostics.
pub fn model(text: &str) -> Model {
    let checked = check_text(text, &NoArt);
    match checked.model {
        Some(m) => m,
        None => panic!("{text}\n{:#?}", checked.diagnostics),
    }
}

/// Normalised weights of `trait_id` for `token` (its `when` override if one matches).
fn weights(model: &Model, token: &[u32], trait_id: usize) -> Vec<f64> {
    let t = &model.traits[trait_id];
    let mut w: Vec<f64> = t.variants.iter().map(|v| v.weight).collect();
    for rule in &model.whens {
        if rule.conditions.contains(&(token[rule.condition_trait] as usize)) {
            if let Some((_, ws)) = rule.overrides.iter().find(|(tr, _)| *tr == trait_id) {
                w = ws.clone();
            }
        }
    }
    let total: f64 = w.iter().sum();
    w.iter().map(|x| if total > 0.0 { x / total } else { 0.0 }).collect()
}

/// Unnormalised probability of a token under the definition (0 if a rule rejects it).
pub fn mass(model: &Model, token: &[u32]) -> f64 {
    for f in &model.forbids {
        if f.variants.iter().all(|v| token[v.trait_id] as usize == v.index) {
            return 0.0;
        }
    }
    for r in &model.requires {
        if token[r.when.trait_id] as usize == r.when.index
            && !r.alternatives.iter().any(|a| token[a.trait_id] as usize == a.index)
        {
            return 0.0;
        }
    }
    (0..model.traits.len()).map(|t| weights(model, token, t)[token[t] as usize]).product()
}

/// Every token of the full space with its normalised probability.
pub fn brute_force(model: &Model) -> Vec<(Vec<u32>, f64)> {
    let dims: Vec<usize> = model.traits.iter().map(|t| t.variants.len()).collect();
    let mut out = Vec::new();
    let mut token = vec![0u32; dims.len()];
    loop {
        let m = mass(model, &token);
        if m > 0.0 {
            out.push((token.clone(), m));
        }
        let mut j = dims.len();
        loop {
            if j == 0 {
                let total: f64 = out.iter().map(|(_, m)| m).sum();
                return out.into_iter().map(|(t, m)| (t, m / total)).collect();
            }
            j -= 1;
            token[j] += 1;
            if (token[j] as usize) < dims[j] {
                break;
            }
            token[j] = 0;
        }
    }
}

/// Per trait and variant: probability under the brute-force law.
pub fn brute_marginals(model: &Model) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = model.traits.iter().map(|t| vec![0.0; t.variants.len()]).collect();
    for (token, p) in brute_force(model) {
        for (t, &v) in token.iter().enumerate() {
            out[t][v as usize] += p;
        }
    }
    out
}

/// Asserts everything `sample` promises about `tokens`.
pub fn validate(model: &Model, tokens: &Tokens) {
    let s = &model.settings;
    assert_eq!(tokens.len() as u64, s.size, "every id gets a token");
    let ids: Vec<u64> = tokens.iter().map(|t| t.id()).collect();
    let expected: Vec<u64> = (s.first_id..s.first_id + s.size).collect();
    assert_eq!(ids, expected);
    for &(id, index) in &tokens.legendaries {
        if let Some(at) = model.legendaries[index].id {
            assert_eq!(at, id);
        }
    }
    assert_eq!(tokens.ids.len() as u64, model.generated_size());
    let mut seen = std::collections::HashSet::new();
    for (id, token) in tokens.generated() {
        assert!(mass(model, token) > 0.0, "token {id} {token:?} breaks a rule or has weight 0");
        let key: Vec<u32> = model.unique.iter().map(|&t| token[t]).collect();
        assert!(seen.insert(key), "token {id} repeats a unique combination");
    }
    for rule in &model.counts {
        let n = tokens.generated().filter(|(_, t)| rule.matches(t)).count() as u64;
        assert!(rule.min <= n && n <= rule.max, "count {} = {n} outside {}..={}", rule.target, rule.min, rule.max);
    }
}

/// Upper critical value of chi-square with `df` degrees of freedom at p = 0.001
/// (Wilson–Hilferty).
pub fn chi_critical(df: usize) -> f64 {
    let k = df as f64;
    let z = 3.090_232;
    k * (1.0 - 2.0 / (9.0 * k) + z * (2.0 / (9.0 * k)).sqrt()).powi(3)
}

/// Chi-square statistic of observed counts against probabilities (cells
/// with expected count below 5 are pooled), with its degrees of freedom.
pub fn chi_square(observed: &[u64], probs: &[f64]) -> (f64, usize) {
    let n: u64 = observed.iter().sum();
    let mut cells: Vec<(f64, f64)> = Vec::new();
    let (mut po, mut pe) = (0.0, 0.0);
    for (&o, &p) in observed.iter().zip(probs) {
        let e = p * n as f64;
        if e < 5.0 {
            po += o as f64;
            pe += e;
        } else {
            cells.push((o as f64, e));
        }
    }
    if pe > 0.0 || po > 0.0 {
        cells.push((po, pe.max(1e-9)));
    }
    let chi = cells.iter().map(|(o, e)| (o - e) * (o - e) / e).sum();
    (chi, cells.len().saturating_sub(1).max(1))
}
