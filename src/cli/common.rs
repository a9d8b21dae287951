//! What the subcommands share: reading and checking a `.drop` file,
//! printing diagnostics, the worker pool, counted words. Printing and exit
//! codes only; the work is the library's.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::{EXIT_INPUT, EXIT_USAGE, Format, colour_stderr, report_width};
use dropc::SourceFile;
use dropc::check::{ArtStore, Checked, DiskArt, NoArt};
use dropc::check_bytes;
pub(super) use dropc::diagnostic::plural;
use dropc::diagnostic::{Diagnostic, Style, render_human, to_json};
use dropc::model::Model;

/// A checked file: its model (when it has no errors) and source.
pub(super) struct Loaded {
    pub checked: Checked,
    pub source: SourceFile,
}

/// The bytes of a `.drop` file named on the command line: a regular file
/// only, read through `dropc::files` (a FIFO or device named by mistake is
/// refused at once instead of blocking the command). `None` once the reason
/// is printed.
pub(super) fn read_source(path: &Path) -> Option<Vec<u8>> {
    dropc::files::read(path, dropc::files::SOURCE_LIMIT, dropc::files::Links::Follow)
        .inspect_err(|why| errln!("error: cannot read `{}`: it {why}", path.display()))
        .ok()
}

/// Reads and checks `path`; on failure returns the exit code to use.
pub(super) fn load(path: &Path, no_art: bool) -> Result<Loaded, ExitCode> {
    let bytes = read_source(path).ok_or(ExitCode::from(EXIT_USAGE))?;
    let disk = DiskArt::beside(path);
    let art: &dyn ArtStore = if no_art { &NoArt } else { &disk };
    let (text, checked) = check_bytes(bytes, art);
    Ok(Loaded { checked, source: SourceFile::new(path.display().to_string(), text) })
}

/// Prints diagnostics in `format` (JSON: one document on stdout).
pub(super) fn report(diagnostics: &[Diagnostic], source: &SourceFile, format: Format) {
    match format {
        Format::Json => {
            let json: Vec<_> = diagnostics.iter().map(|d| to_json(d, source)).collect();
            let text = format!("{:#}\n", serde_json::json!({ "diagnostics": json }));
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
        Format::Human => {
            let style = if colour_stderr() { Style::Colour } else { Style::Plain };
            let _ = write!(std::io::stderr().lock(), "{}", render_human(diagnostics, source, style, report_width()));
        }
    }
}

/// The model of a loaded file, or the exit code after printing its errors.
pub(super) fn model_or_report(loaded: &Loaded, format: Format) -> Result<&Model, ExitCode> {
    match &loaded.checked.model {
        Some(m) if !loaded.checked.has_errors() => Ok(m),
        _ => {
            report(&loaded.checked.diagnostics, &loaded.source, format);
            Err(ExitCode::from(EXIT_INPUT))
        }
    }
}

/// The worker pool of `--jobs N` (default: one thread per core), or the
/// exit code after saying why it cannot start.
pub(super) fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, ExitCode> {
    rayon::ThreadPoolBuilder::new().num_threads(jobs.unwrap_or(0)).build().map_err(|e| {
        errln!("error: cannot start worker threads: {e}");
        ExitCode::from(EXIT_USAGE)
    })
}
