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

pub use check::{Checked, check, check_text};
pub use diagnostic::{Code, Diagnostic, Severity, SourceFile};
pub use model::Model;
pub use syntax::parse;

pub mod check;
pub mod import;
pub mod output;
pub mod publish;
pub mod qa;
pub mod render;
pub mod sample;
pub mod solve;

pub use render::{RenderError, Renderer};
pub use sample::{SampleError, Tokens, sample};
