//! `dropc lsp`: the language server ([`dropc::lsp`]) on stdin and stdout.

use std::process::ExitCode;

use super::EXIT_USAGE;

/// Runs `dropc lsp` until the client asks it to exit.
pub fn run() -> ExitCode {
    match dropc::lsp::serve_stdio() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: language server: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
