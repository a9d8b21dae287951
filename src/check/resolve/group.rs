//! `group Name = A.x, B.y, Other`: a name for a set of variants, and every
//! list of references (`forbid`, `require`, `when`, `count`) resolved
//! through it. Groups only abbreviate: a rule naming a group means the rule
//! written out over the group's variants.

use super::Resolver;
use super::problem::Problem;
use crate::model::*;
use crate::span::Span;
use crate::syntax::{self as ast, Node, Statement};

/// A declared group: its variants (sorted, without repeats) and where it was declared.
pub(super) struct GroupDef {
    pub variants: Vec<VariantId>,
    pub span: Span,
}

/// One variant named by a list of references.
#[derive(Clone, Copy, Debug)]
pub(super) struct Named {
    /// The variant.
    pub id: VariantId,
    /// The reference that named it (the group's name for a group member).
    pub span: Span,
    /// Whether it was named through a group.
    pub via_group: bool,
}

impl Resolver<'_> {
    /// Declares every group, in source order (a group may name groups declared before it).
    pub(super) fn declare_groups(&mut self) {
        let file = self.file;
        for statement in &file.statements {
            let Statement::Group(group) = statement else { continue };
            let name = &group.name;
            if let Some(&t) = self.by_name.get(&name.node) {
                self.report(Problem::GroupShadowsTrait {
                    name: name.node.clone(),
                    span: name.span,
                    trait_span: self.traits[t].span,
                });
                continue;
            }
            if let Some(first) = self.groups.get(&name.node) {
                let first = first.span;
                self.report(Problem::DuplicateGroup { name: name.node.clone(), span: name.span, first });
                continue;
            }
            if group.members.is_empty() {
                self.report(Problem::EmptyGroup { name: name.node.clone(), span: group.span });
                continue;
            }
            let Some(named) = self.resolve_refs(&group.members) else { continue };
            let mut variants: Vec<VariantId> = named.iter().map(|n| n.id).collect();
            variants.sort_unstable();
            variants.dedup();
            self.groups.insert(name.node.clone(), GroupDef { variants, span: name.span });
        }
    }

    /// The variants a list of references names, in order (a group's in
    /// variant order); `None` when a reference is unknown (reported).
    pub(super) fn resolve_refs(&mut self, refs: &[Node<ast::Ref>]) -> Option<Vec<Named>> {
        let mut out = Vec::with_capacity(refs.len());
        let mut ok = true;
        for r in refs {
            ok &= self.resolve_ref_into(r, &mut out);
        }
        ok.then_some(out)
    }

    /// The variants one reference names; `None` when it is unknown (reported).
    pub(super) fn resolve_ref(&mut self, r: &Node<ast::Ref>) -> Option<Vec<Named>> {
        let mut out = Vec::new();
        self.resolve_ref_into(r, &mut out).then_some(out)
    }

    /// Appends the variants one reference names to `out`; `false` (and
    /// nothing appended) when it is unknown (reported).
    fn resolve_ref_into(&mut self, r: &Node<ast::Ref>, out: &mut Vec<Named>) -> bool {
        match &r.node {
            ast::Ref::Variant(v) => match self.lookup_variant(v) {
                Some(id) => {
                    out.push(Named { id, span: r.span, via_group: false });
                    true
                }
                None => false,
            },
            ast::Ref::Group(name) => {
                if let Some(group) = self.groups.get(&name.node) {
                    out.extend(group.variants.iter().map(|&id| Named { id, span: r.span, via_group: true }));
                    return true;
                }
                self.unknown_group(name);
                false
            }
        }
    }

    fn unknown_group(&mut self, name: &ast::Name) {
        let is_trait = self.by_name.contains_key(&name.node);
        let later = self.file.statements.iter().find_map(|s| match s {
            Statement::Group(g) if g.name.node == name.node && g.name.span.start > name.span.start => Some(g.name.span),
            _ => None,
        });
        let mut groups: Vec<String> = self.groups.keys().cloned().collect();
        groups.sort();
        self.report(Problem::UnknownGroup { name: name.node.clone(), span: name.span, is_trait, later, groups });
    }
}
