//! Name resolution and validation of traits and rules: AST to [`Model`].
//!
//! One module per construct, each an `impl` block of [`Resolver`]:
//! [`names`] (trait declarations and every lookup of a trait or variant),
//! [`traits`] (variants, weights, art, rendering options, derived colours,
//! unused variants), [`forbid`], [`require`], [`when`], [`count`] (each
//! `count` resolved and all counts checked together, in one place),
//! [`unique`] and [`legendary`]. `collection` settings are [`super::settings`].
//!
//! Invariant: the checks say what is wrong as data ([`problem::Problem`]);
//! [`Resolver::report`] turns each into a diagnostic in one place
//! ([`problem::Problem::diagnostic`]), as [`crate::model::paths`] does for
//! paths. The model returned is only meaningful when no error was reported.

mod count;
mod forbid;
mod group;
mod legendary;
mod names;
mod problem;
mod require;
mod traits;
mod unique;
mod when;

use std::collections::{HashMap, HashSet};

use super::art::ArtStore;
use super::settings::SettingSpans;
use crate::diagnostic::Diagnostic;
use crate::model::*;
use crate::span::Span;
use crate::syntax::{self as ast, Statement, Value};
use problem::Problem;

/// A hash map with a fast hasher and a fixed seed, for the lookups of every
/// name and rule (a 10,000-line file makes tens of thousands); nothing
/// iterates these maps, so their order never reaches the output.
pub(super) type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Traits and rules resolved against the declared names.
pub struct Resolver<'a> {
    file: &'a ast::File,
    settings: &'a Settings,
    spans: &'a SettingSpans,
    diagnostics: &'a mut Vec<Diagnostic>,
    traits: Vec<Trait>,
    by_name: FastMap<String, TraitId>,
    /// Per trait with many variants, its variants' indices by name (names
    /// borrowed from the AST): a rule naming a variant of a trait of
    /// 100,000 is one lookup, not a scan.
    variant_index: FastMap<TraitId, names::NameIndex>,
    /// The variant declarations of every `trait` statement, in statement
    /// order, when the caller took them out of the AST
    /// ([`Resolver::with_detached_variants`]).
    detached: Option<Vec<Vec<ast::VariantDecl>>>,
    /// Declared groups by name.
    groups: HashMap<String, group::GroupDef>,
    /// Variants some `when` gives a positive weight.
    enabled_by_when: HashSet<VariantId>,
    /// The variants of weight 0 with where their weight was written, in
    /// declaration order (the model keeps no weight's span).
    zero_weights: Vec<(VariantId, Span)>,
    /// Tokens drawn by the sampler: `size` less legendaries.
    drawn: u64,
    /// Where art folders are listed for `<Variant>#<weight>.png` files.
    art: Option<&'a dyn ArtStore>,
    /// The file names of each trait folder listed so far.
    listings: HashMap<std::path::PathBuf, Vec<String>>,
}

impl<'a> Resolver<'a> {
    /// A resolver for `file` with its checked `settings`.
    pub fn new(
        file: &'a ast::File,
        settings: &'a Settings,
        spans: &'a SettingSpans,
        diagnostics: &'a mut Vec<Diagnostic>,
    ) -> Self {
        let legendaries = file.statements.iter().filter(|s| matches!(s, Statement::Legendary(_))).count() as u64;
        let drawn = settings.size.saturating_sub(legendaries);
        Resolver {
            file,
            settings,
            spans,
            diagnostics,
            traits: Vec::new(),
            by_name: FastMap::default(),
            variant_index: FastMap::default(),
            detached: None,
            groups: HashMap::new(),
            enabled_by_when: HashSet::new(),
            zero_weights: Vec::new(),
            drawn,
            art: None,
            listings: HashMap::new(),
        }
    }

    /// Looks in `art`'s folders for default files named `<Variant>#<weight>.png`
    /// (when `<Variant>.png` does not exist).
    pub fn with_art(mut self, art: &'a dyn ArtStore) -> Self {
        self.art = art.enabled().then_some(art);
        self
    }

    /// Resolves the traits from `lists`, the variant declarations of every
    /// `trait` statement in statement order, taken out of the AST (whose
    /// trait declarations then have none): each trait's are freed as soon as
    /// it is resolved, so that the declarations of a large file and the
    /// model built from them are not all held at once.
    pub fn with_detached_variants(mut self, lists: Vec<Vec<ast::VariantDecl>>) -> Self {
        self.detached = Some(lists);
        self
    }

    /// Reports `problem`: the one place where findings become diagnostics.
    fn report(&mut self, problem: Problem) {
        let d = problem.diagnostic(self.spans.get("size"));
        self.diagnostics.push(d);
    }

    /// Resolves everything into a model (which is only meaningful when no
    /// error was reported).
    pub fn resolve(mut self) -> Model {
        // Names first, so that placements can refer to any trait.
        let kept = self.declare_traits();
        let mut detached = self.detached.take();
        for (id, &(ordinal, decl)) in kept.iter().enumerate() {
            let list = detached.as_mut().and_then(|l| l.get_mut(ordinal)).map(std::mem::take);
            self.resolve_trait(id, decl, list);
        }
        drop(detached);
        self.declare_groups();

        let mut forbids = forbid::Forbids::default();
        let mut requires = require::Requires::default();
        let mut whens = Vec::new();
        let mut counts = Vec::new();
        let mut unique = unique::Unique::default();
        let mut legendaries = Vec::new();
        for statement in &self.file.statements {
            match statement {
                Statement::Forbid(rule) => self.resolve_forbid(rule, &mut forbids),
                Statement::Require(rule) => self.resolve_require(rule, &mut requires),
                Statement::When(rule) => whens.extend(self.resolve_when(rule)),
                Statement::Count(rule) => counts.extend(self.resolve_count(rule)),
                Statement::Unique(rule) => self.resolve_unique(rule, &mut unique),
                Statement::Legendary(rule) => legendaries.extend(self.resolve_legendary(rule)),
                Statement::Collection(_) | Statement::Trait(_) | Statement::Group(_) => {}
            }
        }
        self.check_whens(&whens);
        self.check_counts(&counts);
        self.check_legendaries(&legendaries);
        self.check_unused();

        let (unique, visually) = unique.finish(self.traits.len());
        Model {
            settings: self.settings.clone(),
            traits: self.traits,
            forbids: forbids.rules,
            requires: requires.rules,
            whens,
            counts,
            unique,
            visually,
            visibility: None,
            legendaries,
        }
    }

    /// `Trait.Variant`, for messages.
    fn name_of(&self, v: VariantId) -> String {
        let t = &self.traits[v.trait_id];
        format!("{}.{}", t.name, t.variants[v.index].name)
    }
}

/// A value as written, for messages.
fn value_text(value: &Value) -> String {
    match value {
        Value::Percentage(p) => format!("{p}%"),
        Value::Number(n) => format!("{n}"),
        other => other.kind().to_string(),
    }
}

/// `` `a`, `b` and `c` ``
pub fn quote_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => "no variants".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}
