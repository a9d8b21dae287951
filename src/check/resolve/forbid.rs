//! `forbid A with B [with C ...]`: one rule per combination of one variant
//! from every list (pairs for two lists, triples for three, and so on).

use super::Resolver;
use super::group::Named;
use super::problem::Problem;
use crate::model::*;
use crate::span::Span;
use crate::syntax::{self as ast, Node};

/// The combinations forbidden so far.
#[derive(Default)]
pub(super) struct Forbids {
    /// One rule per combination.
    pub rules: Vec<ForbidRule>,
    /// Each combination (sorted) with where it was first forbidden.
    seen: super::FastMap<Vec<VariantId>, Span>,
    /// Statements already reported as too large.
    too_large: Vec<Span>,
}

/// Most combinations one `forbid` statement may expand to.
const MAX_COMBINATIONS: usize = 1 << 20;

/// Most entries of the table of one chain's traits (the product of their
/// variant counts): 2^24, 128 MiB of `f64`.
const MAX_TABLE: usize = 1 << 24;

impl Resolver<'_> {
    pub(super) fn resolve_forbid(&mut self, rule: &Node<ast::Forbid>, out: &mut Forbids) {
        let mut lists: Vec<Vec<Named>> = Vec::with_capacity(rule.lists.len());
        for list in &rule.lists {
            // Every reference is looked up (and reported) even after a failure.
            lists.push(self.resolve_refs(list).unwrap_or_default());
        }
        if lists.iter().any(Vec::is_empty) {
            return;
        }
        let total = lists.iter().try_fold(1usize, |n, l| n.checked_mul(l.len())).unwrap_or(usize::MAX);
        if total > MAX_COMBINATIONS {
            self.report(Problem::ForbidTooLarge { combinations: total, limit: MAX_COMBINATIONS, span: rule.span });
            return;
        }
        let mut kept = 0usize;
        let mut skipped_same_trait: Option<(Named, Named)> = None;
        let mut digits = vec![0usize; lists.len()];
        for _ in 0..total {
            let picked: Vec<Named> = digits.iter().zip(&lists).map(|(&d, l)| l[d]).collect();
            self.forbid_combination(rule, &picked, out, &mut kept, &mut skipped_same_trait);
            for j in (0..digits.len()).rev() {
                digits[j] += 1;
                if digits[j] < lists[j].len() {
                    break;
                }
                digits[j] = 0;
            }
        }
        // A statement whose every combination names one trait twice through a
        // group forbids nothing: say so once.
        if kept == 0 {
            if let Some((a, b)) = skipped_same_trait {
                self.report_same_trait(a, b);
            }
        }
    }

    /// `forbid` pairs two variants of one trait (`b` after `a`).
    fn report_same_trait(&mut self, a: Named, b: Named) {
        self.report(Problem::ForbidSameTrait {
            a: self.name_of(a.id),
            b: self.name_of(b.id),
            same: a.id == b.id,
            span: b.span,
            other: a.span,
        });
    }

    fn forbid_combination(
        &mut self,
        rule: &Node<ast::Forbid>,
        picked: &[Named],
        out: &mut Forbids,
        kept: &mut usize,
        skipped_same_trait: &mut Option<(Named, Named)>,
    ) {
        let via_group = picked.iter().any(|n| n.via_group);
        for (j, b) in picked.iter().enumerate() {
            if let Some(a) = picked[..j].iter().find(|a| a.id.trait_id == b.id.trait_id) {
                // Two variants of one trait never meet: the combination is void.
                if via_group {
                    skipped_same_trait.get_or_insert((*a, *b));
                } else {
                    self.report_same_trait(*a, *b);
                }
                return;
            }
        }
        // The rule is one table over its traits: a chain over traits too
        // large for one table is refused here, not by the sampler.
        let entries = picked.iter().try_fold(1usize, |n, v| n.checked_mul(self.traits[v.id.trait_id].variants.len()));
        if picked.len() > 2 && entries.is_none_or(|n| n > MAX_TABLE) {
            if !out.too_large.contains(&rule.span) {
                out.too_large.push(rule.span);
                let limit = MAX_TABLE;
                self.report(Problem::ChainTooLarge { entries: entries.unwrap_or(usize::MAX), limit, span: rule.span });
            }
            return;
        }
        let mut key: Vec<VariantId> = picked.iter().map(|n| n.id).collect();
        key.sort_unstable();
        let span = picked[0].span.to(picked[picked.len() - 1].span);
        *kept += 1;
        if let Some(&first) = out.seen.get(&key) {
            // A group overlapping another rule repeats combinations by design.
            if !via_group && first != span {
                let names: Vec<String> = picked.iter().map(|n| self.name_of(n.id)).collect();
                self.report(Problem::DuplicateForbid { names, span, first });
            }
            return;
        }
        out.seen.insert(key, span);
        let variants = picked.iter().map(|n| n.id).collect();
        out.rules.push(ForbidRule { variants, via_group, span: rule.span });
    }
}
