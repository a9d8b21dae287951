//! Trait declarations and every lookup of a trait or variant by name.

use std::path::PathBuf;

use super::Resolver;
use super::problem::Problem;
use crate::model::*;
use crate::syntax::{self as ast, Node, Statement};

impl<'a> Resolver<'a> {
    /// Declares every trait by name (a duplicate is reported and left out);
    /// returns the kept declarations, in trait id order, each with its
    /// position among the `trait` statements.
    pub(super) fn declare_traits(&mut self) -> Vec<(usize, &'a Node<ast::TraitDecl>)> {
        let decls =
            self.file.statements.iter().filter_map(|s| if let Statement::Trait(t) = s { Some(t) } else { None });
        let mut kept = Vec::new();
        self.traits.reserve_exact(decls.clone().count());
        for (ordinal, decl) in decls.enumerate() {
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
                defaults: std::sync::OnceLock::new(),
            });
            kept.push((ordinal, decl));
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
            Some(index) => index.get(&self.traits[trait_id].variants, name),
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

/// A large trait's variants by name: their positions sorted by name, the
/// names themselves read from the model's variants, so that the index
/// borrows nothing from the AST (whose declarations may be freed once the
/// trait is resolved) and costs 4 bytes a variant; a lookup is a binary
/// search.
#[derive(Debug, Default)]
pub(super) struct NameIndex {
    sorted: Vec<u32>,
}

impl NameIndex {
    /// The index of `variants` (of distinct names).
    pub(super) fn new(variants: &[Variant]) -> NameIndex {
        let mut sorted: Vec<u32> = (0..variants.len() as u32).collect();
        sorted.sort_unstable_by(|&a, &b| variants[a as usize].name.as_str().cmp(variants[b as usize].name.as_str()));
        NameIndex { sorted }
    }

    /// The position of the variant named `name` in `variants` (the ones the
    /// index was made of).
    pub(super) fn get(&self, variants: &[Variant], name: &str) -> Option<usize> {
        let found = self.sorted.binary_search_by(|&i| {
            variants.get(i as usize).map_or(std::cmp::Ordering::Greater, |v| v.name.as_str().cmp(name))
        });
        found.ok().map(|k| self.sorted[k] as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    fn variant(name: &str) -> Variant {
        Variant::new(name, Span::default(), 1.0, Art::Empty, 0)
    }

    #[test]
    fn the_name_index_finds_every_variant_and_no_other() {
        let variants: Vec<Variant> = (0..1000).map(|i| variant(&format!("v{i}"))).collect();
        let index = NameIndex::new(&variants);
        for (i, v) in variants.iter().enumerate() {
            assert_eq!(index.get(&variants, &v.name), Some(i));
        }
        for missing in ["v1000", "", "v", "v01", "w", "u9"] {
            assert_eq!(index.get(&variants, missing), None, "{missing}");
        }
        // Names in no particular order, some of them prefixes of others.
        let names = ["b", "a", "ab", "\u{e9}", "aa", "B", "a b", "z", "\"a\""];
        let variants: Vec<Variant> = names.iter().map(|n| variant(n)).collect();
        let index = NameIndex::new(&variants);
        for (i, n) in names.iter().enumerate() {
            assert_eq!(index.get(&variants, n), Some(i), "{n}");
        }
        assert_eq!(index.get(&variants, "c"), None);
    }
}
