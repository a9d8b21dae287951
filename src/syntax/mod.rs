//! Syntax: `.drop` text to [`File`] (the AST).
//!
//! The grammar lives in `grammar/drop.pest`; [`parse`] runs it, lowers pest's
//! pairs into the span-carrying AST of [`ast`], and turns pest's errors into
//! plain-worded diagnostics.

mod ast;
mod parse;

pub use ast::*;
pub use parse::{DropParser, Rule, parse};

/// The language's keywords: a name spelt like one is written quoted, and
/// completion offers them.
pub const KEYWORDS: &[&str] = &[
    "collection",
    "trait",
    "hidden",
    "metadata",
    "folder",
    "below",
    "above",
    "from",
    "hue",
    "palette",
    "blend",
    "opacity",
    "offset",
    "profiles",
    "forbid",
    "with",
    "require",
    "when",
    "art",
    "count",
    "unique",
    "visually",
    "by",
    "legendary",
    "at",
    "group",
];

use crate::diagnostic::{Code, Diagnostic};

/// The text of a `.drop` file from its bytes. A file that is not UTF-8 is
/// the input's fault: its text with every invalid sequence replaced by
/// `U+FFFD` (so that the diagnostic can show where), and a `syntax` error
/// pointing at the first invalid byte.
pub fn source_text(bytes: Vec<u8>) -> Result<String, (String, Diagnostic)> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let byte = e.as_bytes().get(at).copied().unwrap_or(0);
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // The text before `at` is unchanged; U+FFFD is 3 bytes.
            let span = Span::new(at, (at + 3).min(text.len()));
            let diagnostic = Diagnostic::new(
                Code::Syntax,
                span,
                format!("the file is not UTF-8 text: byte 0x{byte:02X} here is not valid UTF-8"),
            )
            .label("not UTF-8")
            .help("save the file as UTF-8 (most editors: Save with Encoding > UTF-8)");
            Err((text, diagnostic))
        }
    }
}
