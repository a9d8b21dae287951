//! Syntax: `.drop` text to [`File`] (the AST).
//!
//! The grammar lives in `grammar/drop.pest`; [`parse`] runs it, lowers pest's
//! pairs into the span-carrying AST of [`ast`], and turns pest's errors into
//! plain-worded diagnostics.

mod ast;
mod parse;

pub use ast::*;
pub use parse::{DropParser, Rule, parse};
