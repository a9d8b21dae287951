//! `require A -> B | C`: one rule per left-hand variant.

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
    seen: super::FastMap<(VariantId, Vec<VariantId>), Span>,
}

impl Resolver<'_> {
    pub(super) fn resolve_require(&mut self, rule: &Node<ast::Require>, out: &mut Requires) {
        let left = self.resolve_refs(&rule.left);
        let Some(right) = self.resolve_refs(&rule.right) else { return };
        let Some(left) = left else { return };
        let mut alternatives: Vec<VariantId> = right.iter().map(|n| n.id).collect();
        alternatives.sort();
        alternatives.dedup();
        for named in left {
            let when = named.id;
            if alternatives.contains(&when) {
                // Through a group, a variant that satisfies itself is simply left out.
                if !named.via_group {
                    self.report(Problem::RequiresItself { name: self.name_of(when), span: named.span });
                }
                continue;
            }
            if let Some(&first) = out.seen.get(&(when, alternatives.clone())) {
                if !named.via_group && first != rule.span {
                    self.report(Problem::DuplicateRequire { name: self.name_of(when), span: named.span, first });
                }
                continue;
            }
            out.seen.insert((when, alternatives.clone()), rule.span);
            out.rules.push(RequireRule { when, alternatives: alternatives.clone(), span: rule.span });
        }
    }
}
