//! `forbid A with B`: one rule per pair of variants of different traits.

use std::collections::HashMap;

use super::Resolver;
use super::problem::Problem;
use crate::model::*;
use crate::span::Span;
use crate::syntax::{self as ast, Node};

/// The pairs forbidden so far.
#[derive(Default)]
pub(super) struct Forbids {
    /// One rule per pair.
    pub rules: Vec<ForbidRule>,
    /// Each pair (ordered) with where it was first forbidden.
    seen: HashMap<(VariantId, VariantId), Span>,
}

impl Resolver<'_> {
    pub(super) fn resolve_forbid(&mut self, rule: &Node<ast::Forbid>, out: &mut Forbids) {
        let left: Vec<_> = rule.left.iter().map(|r| (self.lookup_variant(r), r.span)).collect();
        let right: Vec<_> = rule.right.iter().map(|r| (self.lookup_variant(r), r.span)).collect();
        for &(a, a_span) in &left {
            for &(b, b_span) in &right {
                let (Some(a), Some(b)) = (a, b) else { continue };
                if a.trait_id == b.trait_id {
                    self.report(Problem::ForbidSameTrait {
                        a: self.name_of(a),
                        b: self.name_of(b),
                        same: a == b,
                        span: b_span,
                        other: a_span,
                    });
                    continue;
                }
                let key = if a < b { (a, b) } else { (b, a) };
                if let Some(&first) = out.seen.get(&key) {
                    let (a, b) = (self.name_of(a), self.name_of(b));
                    self.report(Problem::DuplicateForbid { a, b, span: a_span.to(b_span), first });
                    continue;
                }
                out.seen.insert(key, a_span.to(b_span));
                out.rules.push(ForbidRule { a, b, span: rule.span });
            }
        }
    }
}
