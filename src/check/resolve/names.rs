//! Trait declarations and every lookup of a trait or variant by name.

use std::collections::hash_map::Entry;
use std::hash::BuildHasher;
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

/// A large trait's variants by name: the 64-bit hash of each name to its
/// index, the names themselves read from the model's variants, so that the
/// index borrows nothing from the AST (whose declarations may be freed once
/// the trait is resolved) and costs 16 bytes a variant. Names whose hashes
/// collide are kept apart in `more`.
#[derive(Debug, Default)]
pub(super) struct NameIndex {
    first: super::FastMap<u64, u32>,
    more: super::FastMap<u64, Vec<u32>>,
}

impl NameIndex {
    /// The index of `variants` (of distinct names).
    pub(super) fn new(variants: &[Variant]) -> NameIndex {
        let mut first = super::FastMap::with_capacity_and_hasher(variants.len(), Default::default());
        let mut more: super::FastMap<u64, Vec<u32>> = super::FastMap::default();
        for (i, v) in variants.iter().enumerate() {
            let hash = name_hash(&v.name);
            match first.entry(hash) {
                Entry::Vacant(e) => {
                    e.insert(i as u32);
                }
                Entry::Occupied(_) => more.entry(hash).or_default().push(i as u32),
            }
        }
        NameIndex { first, more }
    }

    /// The position of the variant named `name` in `variants` (the ones the
    /// index was made of).
    pub(super) fn get(&self, variants: &[Variant], name: &str) -> Option<usize> {
        let hash = name_hash(name);
        let first = *self.first.get(&hash)?;
        std::iter::once(first)
            .chain(self.more.get(&hash).into_iter().flatten().copied())
            .map(|i| i as usize)
            .find(|&i| variants.get(i).is_some_and(|v| &*v.name == name))
    }
}

fn name_hash(name: &str) -> u64 {
    foldhash::fast::FixedState::default().hash_one(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    fn variant(name: &str) -> Variant {
        Variant { name: name.into(), span: Span::default(), weight: 1.0, art: Art::Empty, options: 0 }
    }

    #[test]
    fn the_name_index_finds_every_variant_and_no_other() {
        let variants: Vec<Variant> = (0..1000).map(|i| variant(&format!("v{i}"))).collect();
        let index = NameIndex::new(&variants);
        for (i, v) in variants.iter().enumerate() {
            assert_eq!(index.get(&variants, &v.name), Some(i));
        }
        assert_eq!(index.get(&variants, "v1000"), None);
        assert_eq!(index.get(&variants, ""), None);
    }

    #[test]
    fn names_whose_hashes_collide_are_told_apart() {
        // Two names filed under one hash, as a collision would file them.
        let variants = vec![variant("a"), variant("b")];
        let hash = name_hash("a");
        let index =
            NameIndex { first: [(hash, 0u32)].into_iter().collect(), more: [(hash, vec![1u32])].into_iter().collect() };
        assert_eq!(index.get(&variants, "a"), Some(0));
        // "b" is looked up under its own hash, which the index does not hold.
        assert_eq!(index.get(&variants, "b"), None);
        // Under the shared hash, the name decides.
        let both = NameIndex {
            first: [(name_hash("b"), 0u32)].into_iter().collect(),
            more: [(name_hash("b"), vec![1u32])].into_iter().collect(),
        };
        assert_eq!(both.get(&variants, "b"), Some(1));
    }
}
