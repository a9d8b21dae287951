//! What every name in a file refers to: the declarations and references of
//! traits, variants and groups, from the syntax tree alone (so it is there even when
//! `check` finds errors).
//!
//! Invariant: every occurrence's span is exactly the name as written (quotes
//! included), so that replacing it with another name as written renames it.

use crate::syntax::{File, Name, Node, Ref, Statement, Value, VariantRef, VariantSource, WhenArt};

/// What a name refers to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// A trait, by name.
    Trait(String),
    /// A variant: its trait's name and its own.
    Variant(String, String),
    /// A group, by name.
    Group(String),
}

/// One place a symbol is written.
#[derive(Clone, Debug)]
pub struct Occurrence {
    /// The name as written.
    pub span: crate::syntax::Span,
    /// What it names.
    pub symbol: Symbol,
    /// Whether this is the declaration.
    pub declaration: bool,
}

/// Every occurrence of a trait or variant name in a file.
#[derive(Debug, Default)]
pub struct Index {
    /// In source order.
    pub occurrences: Vec<Occurrence>,
}

impl Index {
    /// The index of `file`.
    pub fn new(file: &File) -> Self {
        let mut index = Index::default();
        let declared: std::collections::HashSet<(String, String)> = file
            .statements
            .iter()
            .filter_map(|s| if let Statement::Trait(t) = s { Some(t) } else { None })
            .flat_map(|t| t.variants.iter().map(|v| (t.name.node.clone(), v.name().to_string())))
            .collect();
        for statement in &file.statements {
            match statement {
                Statement::Collection(_) => {}
                Statement::Trait(t) => {
                    index.add(&t.name, Symbol::Trait(t.name.node.clone()), true);
                    for v in &t.variants {
                        index.add(&v.name_node(), Symbol::Variant(t.name.node.clone(), v.name().to_string()), true);
                        index.source(&t.name, v.source());
                    }
                }
                Statement::Forbid(f) => index.refs(f.lists.iter().flatten()),
                Statement::Require(r) => index.refs(r.left.iter().chain(&r.right)),
                Statement::Group(g) => {
                    index.add(&g.name, Symbol::Group(g.name.node.clone()), true);
                    index.refs(g.members.iter());
                }
                Statement::When(w) => {
                    index.refs(w.conditions.iter());
                    for a in &w.art {
                        match &a.node {
                            WhenArt::Variant { target, source, .. } => {
                                index.variant_ref(target);
                                index.source(&target.trait_name, source.as_ref());
                            }
                            WhenArt::Trait { trait_name, .. } => {
                                index.add(trait_name, Symbol::Trait(trait_name.node.clone()), false);
                            }
                        }
                    }
                    for o in &w.overrides {
                        index.add(&o.trait_name, Symbol::Trait(o.trait_name.node.clone()), false);
                        for weight in &o.weights {
                            let symbol = Symbol::Variant(o.trait_name.node.clone(), weight.variant.node.clone());
                            index.add(&weight.variant, symbol, false);
                        }
                    }
                }
                Statement::Count(c) => index.refs(std::iter::once(&c.target)),
                Statement::Unique(u) => {
                    for name in u.traits.iter().flatten() {
                        index.add(name, Symbol::Trait(name.node.clone()), false);
                    }
                }
                Statement::Legendary(l) => {
                    for a in &l.attributes {
                        index.add(&a.trait_name, Symbol::Trait(a.trait_name.node.clone()), false);
                        // A legendary's value names a variant when the trait has one of that name.
                        if let Value::Word(value) | Value::String(value) = &a.value.node {
                            let key = (a.trait_name.node.clone(), value.clone());
                            if declared.contains(&key) {
                                let name = Node::new(value.clone(), a.value.span);
                                index.add(&name, Symbol::Variant(key.0, key.1), false);
                            }
                        }
                    }
                }
            }
        }
        index.occurrences.sort_by_key(|o| o.span.start);
        index
    }

    fn add(&mut self, name: &Name, symbol: Symbol, declaration: bool) {
        self.occurrences.push(Occurrence { span: name.span, symbol, declaration });
    }

    fn refs<'a>(&mut self, refs: impl Iterator<Item = &'a Node<Ref>>) {
        for r in refs {
            match &r.node {
                Ref::Variant(v) => self.variant_ref(v),
                Ref::Group(name) => self.add(name, Symbol::Group(name.node.clone()), false),
            }
        }
    }

    fn variant_ref(&mut self, r: &VariantRef) {
        self.add(&r.trait_name, Symbol::Trait(r.trait_name.node.clone()), false);
        self.add(&r.variant, Symbol::Variant(r.trait_name.node.clone(), r.variant.node.clone()), false);
    }

    /// The names a variant's art or derivation mentions (`from V`, `below T`).
    fn source(&mut self, trait_name: &Name, source: Option<&Node<VariantSource>>) {
        match source.map(|s| &s.node) {
            Some(VariantSource::Derived(d)) => {
                self.add(&d.from, Symbol::Variant(trait_name.node.clone(), d.from.node.clone()), false);
            }
            Some(VariantSource::Art(parts)) => {
                for p in parts.iter().filter_map(|p| p.placement.as_ref()) {
                    self.add(&p.trait_name, Symbol::Trait(p.trait_name.node.clone()), false);
                }
            }
            None => {}
        }
    }

    /// The occurrence under byte `offset` (its end included, so that a
    /// cursor just after a name finds it).
    pub fn at(&self, offset: usize) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| o.span.start <= offset && offset <= o.span.end)
    }

    /// Where `symbol` is declared (the first declaration, when declared twice).
    pub fn declaration(&self, symbol: &Symbol) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| o.declaration && &o.symbol == symbol)
    }

    /// Every occurrence of `symbol`, declarations included.
    pub fn all(&self, symbol: &Symbol) -> impl Iterator<Item = &Occurrence> {
        self.occurrences.iter().filter(move |o| &o.symbol == symbol)
    }
}
