//! `unique [visually] [by A, B]`: the traits no two tokens may share.

use super::Resolver;
use super::problem::Problem;
use crate::model::*;
use crate::span::Span;
use crate::syntax::{self as ast, Node};

/// The `unique` rule, once seen.
#[derive(Default)]
pub(super) struct Unique {
    /// Its traits and its span.
    rule: Option<(Vec<TraitId>, Span)>,
    /// Its span when it says `visually`.
    visually: Option<Span>,
}

impl Unique {
    /// The unique traits (every trait when no rule was given) and the
    /// `visually` span.
    pub(super) fn finish(self, traits: usize) -> (Vec<TraitId>, Option<Span>) {
        (self.rule.map_or_else(|| (0..traits).collect(), |(t, _)| t), self.visually)
    }
}

impl Resolver<'_> {
    pub(super) fn resolve_unique(&mut self, rule: &Node<ast::Unique>, out: &mut Unique) {
        if let Some((_, first)) = &out.rule {
            self.report(Problem::UniqueTwice { span: rule.span, first: *first });
            return;
        }
        let traits = self.unique_traits(rule);
        out.rule = Some((traits, rule.span));
        out.visually = rule.node.visually.then_some(rule.span);
    }

    fn unique_traits(&mut self, rule: &Node<ast::Unique>) -> Vec<TraitId> {
        let Some(names) = &rule.traits else { return (0..self.traits.len()).collect() };
        let mut out = Vec::new();
        for name in names {
            let Some(id) = self.lookup_trait(name) else { continue };
            if out.contains(&id) {
                self.report(Problem::UniqueListedTwice { name: name.node.clone(), span: name.span });
                continue;
            }
            out.push(id);
        }
        out.sort_unstable();
        out
    }
}
