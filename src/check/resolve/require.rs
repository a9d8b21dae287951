//! `require A -> B | C`: one rule per left-hand variant.

use std::collections::HashMap;

use super::Resolver;
use super::problem::Problem;
use crate::model::*;
use crate::span::Span;
use crate::syntax::{self as ast, Node};

/// The requirements so far.
#[derive(Default)]
pub(super) struct Requires {
    /// One rule per left-hand variant.
    pub rules: Vec<RequireRule>,
    /// Each requirement with where it was first written.
    seen: HashMap<(VariantId, Vec<VariantId>), Span>,
}

impl Resolver<'_> {
    pub(super) fn resolve_require(&mut self, rule: &Node<ast::Require>, out: &mut Requires) {
        let left: Vec<_> = rule.left.iter().map(|r| self.lookup_variant(r)).collect();
        let right: Vec<_> = rule.right.iter().map(|r| self.lookup_variant(r)).collect();
        if right.iter().any(Option::is_none) {
            return;
        }
        let mut alternatives: Vec<VariantId> = right.into_iter().flatten().collect();
        alternatives.sort();
        alternatives.dedup();
        for (when, r) in left.into_iter().zip(&rule.left) {
            let Some(when) = when else { continue };
            if alternatives.contains(&when) {
                self.report(Problem::RequiresItself { name: self.name_of(when), span: r.span });
                continue;
            }
            if let Some(&first) = out.seen.get(&(when, alternatives.clone())) {
                self.report(Problem::DuplicateRequire { name: self.name_of(when), span: r.span, first });
                continue;
            }
            out.seen.insert((when, alternatives.clone()), rule.span);
            out.rules.push(RequireRule { when, alternatives: alternatives.clone(), span: rule.span });
        }
    }
}
