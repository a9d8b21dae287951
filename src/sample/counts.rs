//! Exact `count`s: how many generated tokens fall in each stratum.
//!
//! A token's *signature* records, for every trait with a `count`, which of its
//! counted variants it has (or none). Every `count` is a linear constraint on
//! the number of tokens per signature, `n_s`, and nothing else; so counts are
//! settled on the vector `n` alone, before any token is finished:
//!
//! 1. every token is first drawn from the unconditioned distribution, which
//!    gives `n` the multinomial law the definition prescribes;
//! 2. [`repair`] then moves as few tokens as it can between signatures until
//!    every count holds and no stratum holds more tokens than it has unique
//!    combinations. It minimises the total violation
//!    `V(n) = Σ_rules dist(c_r(n), [min_r, max_r]) + Σ_s max(0, n_s − cap_s)`
//!    greedily: each move takes `a` tokens from one signature to another, the
//!    one that lowers `V` most per token (ties: fewest counted traits changed,
//!    then lowest indices), with the `a` that minimises `V` along that move
//!    (`V` is convex in `a`). `V` is a non-negative integer that strictly
//!    decreases, so the loop ends; it ends at 0 (all counts exact) or at a
//!    point no single move improves, which is reported as counts that cannot
//!    hold together, naming the rules still violated and by how much.
//! 3. which tokens move is decided by a seeded priority per token id, and a
//!    moved token is redrawn from the distribution conditioned on its new
//!    signature, only in the components whose part of the signature changed.
//!
//! A token that is not moved keeps its draw, whose law given its signature is
//! exactly the conditioned distribution; a moved one is drawn from it. So the
//! tokens are exactly distributed given the signatures, and the signatures are
//! the multinomial draw changed by a minimal (greedy) repair.

use super::SampleError;
use super::plan::Plan;
use crate::check::Model;

/// Membership of signatures in each count rule, and the rules' bounds.
struct Rules {
    /// Per rule: whether each signature has the counted variant.
    member: Vec<Vec<bool>>,
    /// Per rule: `(min, max)`.
    bounds: Vec<(u64, u64)>,
}

fn dist(c: u64, (lo, hi): (u64, u64)) -> u64 {
    lo.saturating_sub(c) + c.saturating_sub(hi)
}

/// Finds signature counts satisfying every `count` and capacity, starting from
/// `n` (tokens per signature) and moving as few tokens as it can. `feasible[s]`
/// says whether a token can have signature `s`; `cap[s]` bounds its tokens.
///
/// `group[s]` is the group of `s` (see [`Plan::group`]) and `group_cap[g]` the
/// unique combinations the strata of group `g` share: their tokens together
/// may not exceed it.
pub fn repair(
    model: &Model,
    plan: &Plan,
    mut n: Vec<u64>,
    feasible: &[bool],
    cap: &[u64],
    group: &[usize],
    group_cap: &[u64],
) -> Result<Vec<u64>, SampleError> {
    let s_count = n.len();
    let mut in_group = vec![0u64; group_cap.len()];
    for s in 0..s_count {
        in_group[group[s]] += n[s];
    }
    let classes: Vec<Vec<usize>> = (0..s_count).map(|s| plan.classes(s)).collect();
    let rules = Rules {
        member: model
            .counts
            .iter()
            .map(|r| {
                let i = plan.counted_of_trait[r.variant.trait_id].unwrap_or(0);
                let k = plan.class(i, r.variant.index as u32);
                classes.iter().map(|c| c[i] == k).collect()
            })
            .collect(),
        bounds: model.counts.iter().map(|r| (r.min, r.max)).collect(),
    };
    let mut c: Vec<u64> = rules.member.iter().map(|m| (0..s_count).filter(|&s| m[s]).map(|s| n[s]).sum()).collect();
    let total_v = |c: &[u64], n: &[u64], in_group: &[u64]| -> u64 {
        c.iter().zip(&rules.bounds).map(|(&x, &b)| dist(x, b)).sum::<u64>()
            + n.iter().zip(cap).map(|(&x, &k)| x.saturating_sub(k)).sum::<u64>()
            + in_group.iter().zip(group_cap).map(|(&x, &k)| x.saturating_sub(k)).sum::<u64>()
    };
    // V after moving `a` tokens from `s` to `t`, relative to now.
    let delta = |c: &[u64], n: &[u64], in_group: &[u64], s: usize, t: usize, a: u64| -> i128 {
        let mut d: i128 = 0;
        for (r, m) in rules.member.iter().enumerate() {
            let new = match (m[s], m[t]) {
                (true, false) => c[r] - a,
                (false, true) => c[r] + a,
                _ => continue,
            };
            d += i128::from(dist(new, rules.bounds[r])) - i128::from(dist(c[r], rules.bounds[r]));
        }
        let over = |x: u64, k: u64| i128::from(x.saturating_sub(k));
        d += over(n[s] - a, cap[s]) - over(n[s], cap[s]);
        d += over(n[t] + a, cap[t]) - over(n[t], cap[t]);
        let (gs, gt) = (group[s], group[t]);
        if gs != gt {
            d += over(in_group[gs] - a, group_cap[gs]) - over(in_group[gs], group_cap[gs]);
            d += over(in_group[gt] + a, group_cap[gt]) - over(in_group[gt], group_cap[gt]);
        }
        d
    };
    let differing = |s: usize, t: usize| classes[s].iter().zip(&classes[t]).filter(|(a, b)| a != b).count();
    let restrict = s_count > 256;
    let mut guard = 0u64;
    while total_v(&c, &n, &in_group) > 0 {
        guard += 1;
        let mut best: Option<(i128, usize, usize, usize)> = None;
        for s in (0..s_count).filter(|&s| n[s] > 0) {
            for t in (0..s_count).filter(|&t| t != s && feasible[t]) {
                let diff = differing(s, t);
                if restrict && diff > 2 {
                    continue;
                }
                let d = delta(&c, &n, &in_group, s, t, 1);
                if d < 0 && best.is_none_or(|(bd, bdiff, bs, bt)| (d, diff, s, t) < (bd, bdiff, bs, bt)) {
                    best = Some((d, diff, s, t));
                }
            }
        }
        let Some((_, _, s, t)) = best else { break };
        // Largest `a` whose last step still lowers V (V is convex along the move).
        let (mut lo, mut hi) = (1u64, n[s]);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if delta(&c, &n, &in_group, s, t, mid) < delta(&c, &n, &in_group, s, t, mid - 1) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let a = lo;
        for (r, m) in rules.member.iter().enumerate() {
            match (m[s], m[t]) {
                (true, false) => c[r] -= a,
                (false, true) => c[r] += a,
                _ => {}
            }
        }
        n[s] -= a;
        n[t] += a;
        in_group[group[s]] -= a;
        in_group[group[t]] += a;
        if guard > 1_000_000 {
            break;
        }
    }
    if total_v(&c, &n, &in_group) == 0 {
        return Ok(n);
    }
    let violated: Vec<usize> = (0..model.counts.len()).filter(|&r| dist(c[r], rules.bounds[r]) > 0).collect();
    let over: Vec<usize> = (0..s_count).filter(|&s| n[s] > cap[s]).collect();
    let detail = if violated.is_empty() {
        match over.first() {
            Some(&s) => format!(
                "the counts leave {} tokens {} but only {} unique combinations have that",
                n[s],
                super::describe_signature(model, plan, s),
                cap[s]
            ),
            None => {
                let s = (0..s_count).find(|&s| in_group[group[s]] > group_cap[group[s]]).unwrap_or(0);
                format!(
                    "the counts leave {} tokens {} (whatever the other counted traits) but only {} unique combinations have that",
                    in_group[group[s]],
                    super::describe_group(model, plan, s),
                    group_cap[group[s]]
                )
            }
        }
    } else {
        let parts: Vec<String> = violated
            .iter()
            .map(|&r| {
                let rule = &model.counts[r];
                format!("`{}` would get {} tokens", model.variant_name(rule.variant), c[r])
            })
            .collect();
        format!("with the other counts holding, {}", parts.join(" and "))
    };
    Err(SampleError::CountsConflict {
        rules: if violated.is_empty() { (0..model.counts.len()).collect() } else { violated },
        detail,
    })
}
