//! `dropc check FILE... [--format human|json]`

use std::io::Write;
use std::process::ExitCode;

use super::common::plural;
use super::{CheckArgs, EXIT_INPUT, EXIT_USAGE, Format, colour_stderr, report_width};
use dropc::check::{ArtStore, DiskArt, NoArt};
use dropc::check_bytes;
use dropc::diagnostic::{JsonDiagnostic, Style, render_human, to_json};
use dropc::{Severity, SourceFile};

/// Runs `dropc check`.
pub fn run(args: &CheckArgs) -> ExitCode {
    let mut json: Vec<JsonDiagnostic> = Vec::new();
    let mut any_error = false;
    let mut io_error = false;
    let style = if colour_stderr() { Style::Colour } else { Style::Plain };
    for path in &args.files {
        let Some(bytes) = super::common::read_source(path) else {
            io_error = true;
            continue;
        };
        let disk = DiskArt::beside(path);
        let art: &dyn ArtStore = if args.no_art { &NoArt } else { &disk };
        let (text, checked) = check_bytes(bytes, art);
        let source = SourceFile::new(path.display().to_string(), text);
        let errors = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        let notes = checked.diagnostics.iter().filter(|d| d.severity == Severity::Note).count();
        let warnings = checked.diagnostics.len() - errors - notes;
        any_error |= errors > 0;
        match args.format {
            Format::Json => json.extend(checked.diagnostics.iter().map(|d| to_json(d, &source))),
            Format::Human => {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "{}", render_human(&checked.diagnostics, &source, style, report_width()));
                let summary = match (errors, warnings) {
                    (0, 0) => "no problems".to_string(),
                    _ => format!("{} and {}", plural(errors, "error"), plural(warnings, "warning")),
                };
                let summary = match notes {
                    0 => summary,
                    n => format!("{summary} ({})", plural(n, "note")),
                };
                let facts = match (&checked.model, &checked.feasibility) {
                    (Some(model), Some(f)) => format!(
                        " ({}, {}, {} unique {})",
                        plural(model.settings.size as usize, "token"),
                        plural(model.traits.len(), "trait"),
                        f.combinations.describe(),
                        if f.combinations.exact() == Some(1) { "combination" } else { "combinations" }
                    ),
                    _ => String::new(),
                };
                let _ = writeln!(err, "{}: {summary}{facts}", source.name);
            }
        }
    }
    if args.format == Format::Json {
        let document = serde_json::json!({ "diagnostics": json });
        outln!("{document:#}");
    }
    if io_error {
        ExitCode::from(EXIT_USAGE)
    } else if any_error {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}
