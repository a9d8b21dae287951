//! Checking: AST to [`Model`], with every diagnostic at once.
//!
//! [`check`] runs, in order: the `collection` block ([`settings`]), name
//! resolution and validation of traits and rules ([`resolve`]), art headers
//! ([`art`], [`colour`]), conditional art that two `when` blocks would both
//! give one token ([`when_art`]), under `unique visually` the art's alpha
//! ([`visibility`]), and — when the collection is otherwise sound — the whole-
//! collection questions that need reasoning over all rules at once
//! ([`feasibility`]): how many unique combinations exist, whether `size` and
//! every `count` can hold, which variants and rules can never matter; under
//! `unique visually`, how many different looks exist ([`looks`]).
//!
//! Whether uniqueness at this size moves shares far from the predicted ones
//! is a question for the sampler (it is answered with its draws): the
//! warning is [`crate::sample::expected::warn_drift`], which
//! [`crate::check()`](fn@crate::check), the entry point of the command line
//! and the language server, adds to what this module finds.

pub mod art;
pub mod feasibility;
pub mod looks;
pub(crate) mod resolve;
pub mod settings;
pub mod visibility;
pub mod when_art;

/// Paths named in a `.drop` file ([`crate::model::paths`]).
pub use crate::model::paths;
pub use art::{ArtHeader, ArtInfo, ArtProblem, ArtStore, DiskArt, NoArt, Verified};
pub use feasibility::Feasibility;

use crate::diagnostic::{self, Code, Diagnostic};
use crate::model::{IdenticalArt, Model, Visibility};
use crate::span::Span;
use crate::syntax::{File, Statement, VariantDecl};

/// What [`check`] found.
#[derive(Debug)]
pub struct Checked {
    /// The model, when the file has no errors.
    pub model: Option<Model>,
    /// Every error and warning, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// Unique combinations and count feasibility, when computed.
    pub feasibility: Option<Feasibility>,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Resolves and validates a parsed file, reading art headers from `art`.
/// Everything but the sampler's drift warning, which [`crate::check()`](fn@crate::check)
/// adds.
pub fn check(file: &File, art: &dyn ArtStore) -> Checked {
    match resolve_file(file, None, art) {
        Resolved::Done(checked) => checked,
        Resolved::Model(resolved) => analyse(resolved, art),
    }
}

/// What [`resolve_file`] leaves for [`analyse`]: nothing of the AST, so
/// that a caller who owns the AST can drop it before the whole-collection
/// analysis, whose own tables then have the memory the tree held.
enum Resolved {
    /// Checking stopped (errors, or settings too broken to go on).
    Done(Checked),
    /// The resolved model, to be analysed.
    Model(ResolvedModel),
}

/// A model resolved from the AST, with the diagnostics so far.
struct ResolvedModel {
    model: Model,
    spans: settings::SettingSpans,
    diagnostics: Vec<Diagnostic>,
}

/// The part of [`check`] that reads the AST: settings, names and rules.
/// `detached`: the variant declarations of every `trait` statement, taken
/// out of `file` ([`detach_variants`]), freed trait by trait as they are resolved.
fn resolve_file(file: &File, detached: Option<Vec<Vec<VariantDecl>>>, art: &dyn ArtStore) -> Resolved {
    let mut diagnostics = Vec::new();
    let collections: Vec<_> =
        file.statements.iter().filter_map(|s| if let Statement::Collection(c) = s { Some(c) } else { None }).collect();
    let Some(collection) = collections.first() else {
        let span = file.statements.first().map_or(Span::new(0, 0), |s| Span::new(s.span().start, s.span().start));
        diagnostics.push(
            Diagnostic::new(Code::MissingCollection, span, "the file has no `collection` block")
                .label("expected `collection \"Name\" { ... }`")
                .help("start the file with `collection \"Name\" { size 100  canvas 1024 x 1024 }`"),
        );
        return Resolved::Done(finish(None, diagnostics, None));
    };
    for extra in &collections[1..] {
        diagnostics.push(
            Diagnostic::new(Code::DuplicateCollection, extra.name.span, "a file describes one collection")
                .label("second `collection` block")
                .with_label(collection.name.span, "first `collection` block")
                .help("merge the two blocks, or move this collection to its own `.drop` file"),
        );
    }
    let (settings, spans, complete) = settings::resolve(collection, &mut diagnostics);
    let mut resolver = resolve::Resolver::new(file, &settings, &spans, &mut diagnostics).with_art(art);
    if let Some(lists) = detached {
        resolver = resolver.with_detached_variants(lists);
    }
    let model = resolver.resolve();
    if !complete {
        // Names and rules are checked; what depends on `size` or `canvas` is not.
        return Resolved::Done(finish(None, diagnostics, None));
    }
    Resolved::Model(ResolvedModel { model, spans, diagnostics })
}

/// The part of [`check`] after the AST: art, then the whole-collection questions.
fn analyse(resolved: ResolvedModel, art: &dyn ArtStore) -> Checked {
    let ResolvedModel { model, spans, mut diagnostics } = resolved;
    let (art_diagnostics, identical, opaque, silenced) = art::audit_art_opaque(&model, art);
    diagnostics.extend(art_diagnostics);
    diagnostics.extend(art::profile_notes(&silenced, spans.get("profiles")));
    feasibility::check_metaplex(&model, &spans, &mut diagnostics);

    if diagnostics.iter().any(Diagnostic::is_error) {
        return finish(None, diagnostics, None);
    }
    when_art::check_ambiguous(&model, &mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return finish(None, diagnostics, None);
    }
    let mut model = model;
    if let Some(span) = model.visually {
        visual_conditional_art(&model, span, &mut diagnostics);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return finish(None, diagnostics, None);
        }
        attach_visibility(&mut model, art, &identical, span, &mut diagnostics);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return finish(None, diagnostics, None);
        }
    }
    let feasibility = feasibility::analyse(&model, &spans, &mut diagnostics);
    if let Some(visibility) = model.visibility.as_deref() {
        if !diagnostics.iter().any(Diagnostic::is_error) {
            looks::check_size(&model, visibility, &spans, &mut diagnostics);
        }
    }
    let ok = !diagnostics.iter().any(Diagnostic::is_error);
    if ok {
        if let Some(opaque) = &opaque {
            art::warn_translucent(&model, opaque, spans.collection, &mut diagnostics);
        }
    }
    finish(ok.then_some(model), diagnostics, Some(feasibility))
}

/// `unique visually by …` compares the pictures made of the `unique`
/// traits' layers, and the visual key resolves conditional art on those
/// traits alone ([`Visibility::key`]): conditional art of a compared trait
/// whose `when` condition is on a trait left out of `by` would make the
/// picture depend on a trait the key does not see, so it is refused.
/// Conditional art on other traits is outside the picture compared.
fn visual_conditional_art(model: &Model, span: Span, diagnostics: &mut Vec<Diagnostic>) {
    for w in &model.whens {
        if model.unique.contains(&w.condition_trait) {
            continue;
        }
        for line in w.art.iter().filter(|a| model.unique.contains(&a.trait_id)) {
            let name = crate::model::source_name(&model.traits[line.trait_id].name).into_owned();
            let condition = crate::model::source_name(&model.traits[w.condition_trait].name).into_owned();
            diagnostics.push(
                Diagnostic::new(
                    Code::VisualConditionalArt,
                    line.span,
                    format!(
                        "the art of `{name}` depends on `{condition}`, which `unique visually by` does not compare"
                    ),
                )
                .label(format!("conditional art while `{condition}` is {}", condition_names(model, w)))
                .with_label(span, format!("compares `{name}` but not `{condition}`"))
                .help(format!(
                    "add `{condition}` to `unique visually by` (its variant decides what `{name}` looks like), \
                     or leave `{name}` out"
                )),
            );
        }
    }
}

/// The condition variants of a `when`, for messages (`` `Zombie` or `Ghost` ``).
fn condition_names(model: &Model, w: &crate::model::WhenRule) -> String {
    let t = &model.traits[w.condition_trait];
    let names: Vec<String> =
        w.conditions.iter().map(|&c| format!("`{}`", crate::model::source_name(&t.variants[c].name))).collect();
    names.join(" or ")
}

/// `unique visually`: reads every layer's alpha and stores which looks hide
/// which in the model, for the sampler.
fn attach_visibility(
    model: &mut Model,
    art: &dyn ArtStore,
    identical: &IdenticalArt,
    span: Span,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if !art.enabled() {
        diagnostics.push(
            Diagnostic::new(Code::VisualNeedsArt, span, "`unique visually` needs the art")
                .label("which variants hide which is read from the art's pixels")
                .help("run without `--no-art`, or write `unique` to compare variant names only"),
        );
        return;
    }
    match Visibility::compute(model, art) {
        Ok(v) => model.visibility = Some(std::sync::Arc::new(v.with_identical(identical))),
        Err(failures) => {
            for (path, problem) in failures {
                let why = match problem {
                    ArtProblem::Missing => "is missing".to_string(),
                    ArtProblem::Invalid(why) => why,
                    ArtProblem::Outside(target) => {
                        format!("is a link to `{}`, outside the project folder", target.display())
                    }
                };
                diagnostics.push(
                    Diagnostic::new(Code::InvalidArt, span, format!("art `{}` {why}", path.display()))
                        .label("`unique visually` reads the pixels of every layer")
                        .help("export the layer again as a PNG"),
                );
            }
        }
    }
}

fn finish(model: Option<Model>, mut diagnostics: Vec<Diagnostic>, feasibility: Option<Feasibility>) -> Checked {
    diagnostic::sort(&mut diagnostics);
    Checked { model, diagnostics, feasibility }
}

/// Checks the bytes of a `.drop` file: its text (for showing diagnostics;
/// invalid UTF-8 replaced by `U+FFFD`) and what [`check_text`] found. A file
/// that is not UTF-8 is one `syntax` error at its first invalid byte.
pub fn check_bytes(bytes: Vec<u8>, art: &dyn ArtStore) -> (String, Checked) {
    match crate::syntax::source_text(bytes) {
        Ok(text) => {
            let checked = check_text(&text, art);
            (text, checked)
        }
        Err((text, d)) => (text, Checked { model: None, diagnostics: vec![d], feasibility: None }),
    }
}

/// Takes the variant declarations of every `trait` statement out of `file`,
/// in statement order (the declarations are left with none).
fn detach_variants(file: &mut File) -> Vec<Vec<VariantDecl>> {
    file.statements
        .iter_mut()
        .filter_map(|s| if let Statement::Trait(t) = s { Some(std::mem::take(&mut t.node.variants)) } else { None })
        .collect()
}

/// Parses and checks source text in one go (the parse errors, if any, are
/// the only diagnostics then).
///
/// The AST is dropped once the model is resolved from it, before the
/// whole-collection analysis: on a large file the two need not be held
/// at once.
pub fn check_text(text: &str, art: &dyn ArtStore) -> Checked {
    match crate::syntax::parse(text) {
        Ok(mut file) => {
            let detached = detach_variants(&mut file);
            let resolved = resolve_file(&file, Some(detached), art);
            drop(file);
            match resolved {
                Resolved::Done(checked) => checked,
                Resolved::Model(resolved) => analyse(resolved, art),
            }
        }
        Err(diagnostics) => finish(None, diagnostics, None),
    }
}
