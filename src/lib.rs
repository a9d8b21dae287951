//! dropc: a language and compiler for generative art collections.
//!
//! ```text
//! .drop text ─parse─▶ AST ─check─▶ Model ─sample─▶ Tokens ─render─▶ images
//!  (grammar/drop.pest)  (spans)  (resolved,   (traits per id,   (image, rayon)
//!                                validated)    seeded)          ─publish─▶ metadata
//! ```
//!
//! Each arrow is one public function, so that tests, the CLI, benchmarks and
//! editors can stop at any stage: [`parse`] turns text into a [`syntax::File`],
//! [`check`] resolves and validates it into a [`Model`] with every
//! diagnostic found. Stages never print; they return [`Diagnostic`]s.
//! [`publish::run::run`] is `dropc run` after sampling: it brings an output
//! folder, whose layout and record files [`output`] alone defines, to
//! exactly the collection's files.

pub mod diagnostic;
pub mod digest;
pub mod files;
pub mod fmt;
pub mod lsp;
pub mod model;
pub mod png;
pub mod span;
pub mod syntax;

pub use check::Checked;
pub use diagnostic::{Code, Diagnostic, Severity, SourceFile};
pub use model::Model;
pub use syntax::parse;

pub mod check;
pub mod import;
pub mod output;
pub mod plan;
pub mod publish;
pub mod qa;
pub mod render;
pub mod sample;
pub mod solve;

pub use render::{RenderError, Renderer};
pub use sample::{SampleError, Tokens, sample};

/// Checks a parsed file: what [`check::check`] finds and, when it found no
/// error, the sampler's warning that uniqueness at this size moves shares
/// far from the predicted ones ([`sample::expected::warn_drift`], which
/// draws to find out). The command line and the language server check
/// with this.
pub fn check(file: &syntax::File, art: &dyn check::ArtStore) -> Checked {
    with_drift(check::check(file, art))
}

/// [`check()`](fn@check) of source text: [`check::check_text`], then the
/// drift warning.
pub fn check_text(text: &str, art: &dyn check::ArtStore) -> Checked {
    with_drift(check::check_text(text, art))
}

/// [`check()`](fn@check) of a file's bytes: [`check::check_bytes`], then
/// the drift warning.
pub fn check_bytes(bytes: Vec<u8>, art: &dyn check::ArtStore) -> (String, Checked) {
    let (text, checked) = check::check_bytes(bytes, art);
    (text, with_drift(checked))
}

/// Adds the drift warning to a check without errors (the model is kept
/// only then), with the diagnostics sorted as `check` sorts them.
fn with_drift(mut checked: Checked) -> Checked {
    if let (Some(model), Some(f)) = (&checked.model, &checked.feasibility) {
        sample::expected::warn_drift(model, &f.combinations, f.log_partition, f.size_span, &mut checked.diagnostics);
        diagnostic::sort(&mut checked.diagnostics);
    }
    checked
}
