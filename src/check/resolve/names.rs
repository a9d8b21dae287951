//! Trait declarations and every lookup of a trait or variant by name.

use std::path::PathBuf;

use super::Resolver;
use super::problem::Problem;
use crate::model::*;
use crate::syntax::{self as ast, Node, Statement};

impl<'a> Resolver<'a> {
    /// Declares every trait by name (a duplicate is reported and left out);
    /// returns the kept declarations, in trait id order.
    pub(super) fn declare_traits(&mut self) -> Vec<&'a Node<ast::TraitDecl>> {
        let decls =
            self.file.statements.iter().filter_map(|s| if let Statement::Trait(t) = s { Some(t) } else { None });
        let mut kept = Vec::new();
        for decl in decls {
            if let Some(&first) = self.by_name.get(&decl.name.node) {
                let first = self.traits[first].span;
                self.report(Problem::DuplicateTrait { name: decl.name.node.clone(), span: decl.name.span, first });
                continue;
            }
            self.by_name.insert(decl.name.node.clone(), self.traits.len());
            self.traits.push(Trait {
                name: decl.name.node.clone(),
                span: decl.name.span,
                kind: decl.kind.as_ref().map_or(TraitKind::Visible, |k| k.node),
                folder: PathBuf::new(),
                variants: Vec::new(),
                options: Vec::new(),
            });
            kept.push(decl);
        }
        kept
    }

    pub(super) fn lookup_trait(&mut self, name: &ast::Name) -> Option<TraitId> {
        if let Some(&id) = self.by_name.get(&name.node) {
            return Some(id);
        }
        let declared = self.traits.iter().map(|t| t.name.clone()).collect();
        self.report(Problem::UnknownTrait { name: name.node.clone(), span: name.span, declared });
        None
    }

    pub(super) fn lookup_variant(&mut self, r: &ast::VariantRef) -> Option<VariantId> {
        let trait_id = self.lookup_trait(&r.trait_name)?;
        self.lookup_variant_in(trait_id, &r.variant)
    }

    pub(super) fn lookup_variant_in(&mut self, trait_id: TraitId, name: &ast::Name) -> Option<VariantId> {
        if let Some(index) = self.variant_position(trait_id, &name.node) {
            return Some(VariantId { trait_id, index });
        }
        let candidates: Vec<String> = self.traits[trait_id].variants.iter().map(|v| String::from(&*v.name)).collect();
        self.unknown_variant_in(trait_id, name, candidates);
        None
    }

    /// The index of the variant called `name` in trait `trait_id`.
    pub(super) fn variant_position(&self, trait_id: TraitId, name: &str) -> Option<usize> {
        match self.variant_index.get(&trait_id) {
            Some(index) => index.get(name).copied(),
            None => self.traits[trait_id].variants.iter().position(|v| &*v.name == name),
        }
    }

    pub(super) fn unknown_variant_in(&mut self, trait_id: TraitId, name: &ast::Name, candidates: Vec<String>) {
        let t = &self.traits[trait_id];
        self.report(Problem::UnknownVariant {
            trait_name: t.name.clone(),
            trait_span: t.span,
            name: name.node.clone(),
            span: name.span,
            candidates,
        });
    }
}
