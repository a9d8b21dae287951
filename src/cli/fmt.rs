//! `dropc fmt FILE... [--check]`: rewrites files in the canonical layout
//! ([`dropc::fmt`]).
//!
//! A file is replaced whole or not at all: the new text goes to a temporary
//! file beside it, which is then renamed over it (keeping its permissions).
//! A file with syntax errors is left as it is, with its diagnostics.

use std::path::Path;
use std::process::ExitCode;

use super::{EXIT_INPUT, EXIT_USAGE, FmtArgs, colour_stderr, report_width};
use dropc::SourceFile;
use dropc::diagnostic::{Style, render_human};
use dropc::fmt::FormatError;

/// Runs `dropc fmt`.
pub fn run(args: &FmtArgs) -> ExitCode {
    let mut input_error = false;
    let mut io_error = false;
    let mut would_change = false;
    let style = if colour_stderr() { Style::Colour } else { Style::Plain };
    for path in &args.files {
        let Some(bytes) = super::common::read_source(path) else {
            io_error = true;
            continue;
        };
        let name = path.display().to_string();
        let text = match dropc::syntax::source_text(bytes) {
            Ok(text) => text,
            Err((text, d)) => {
                let source = SourceFile::new(name, text);
                errw(&render_human(&[d], &source, style, report_width()));
                input_error = true;
                continue;
            }
        };
        let formatted = match dropc::fmt::format(&text) {
            Ok(f) => f,
            Err(FormatError::Syntax(diagnostics)) => {
                let source = SourceFile::new(name, text);
                errw(&render_human(&diagnostics, &source, style, report_width()));
                errln!("{}: not formatted (syntax errors)", source.name);
                input_error = true;
                continue;
            }
            Err(FormatError::Changed) => {
                errln!(
                    "error: `{name}` was left as it is: formatting it would change its meaning (a bug in dropc fmt; please report it with the file)"
                );
                io_error = true;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if args.check {
            would_change = true;
            outln!("{name}");
            continue;
        }
        if let Err(e) = replace(path, &formatted) {
            errln!("error: cannot write `{name}`: {e}");
            io_error = true;
        }
    }
    if io_error {
        ExitCode::from(EXIT_USAGE)
    } else if input_error || would_change {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}

/// Replaces `path`'s contents with `text` through a temporary file beside it.
fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    let permissions = std::fs::metadata(path)?.permissions();
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{file_name}.dropc-fmt.tmp"));
    let written = std::fs::write(&temporary, text)
        .and_then(|()| std::fs::set_permissions(&temporary, permissions))
        .and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Writes rendered reports to stderr, ignoring a closed stderr.
fn errw(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
