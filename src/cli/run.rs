//! `dropc run FILE [-o DIR] [--jobs N] [--no-images] [--force] [--qa]`: check
//! and sample the collection, then hand it to the library's pipeline
//! ([`dropc::publish::run`]), which owns the output folder; this module only
//! turns its progress into bars and its result into a message and an exit
//! code. `--qa` audits the folder right after (`dropc qa DIR`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{EXIT_INPUT, EXIT_USAGE, Format, RunArgs, colour_stderr, report_width};
use dropc::SourceFile;
use dropc::check::{ArtStore, Checked, DiskArt, NoArt, check_text};
use dropc::diagnostic::{Diagnostic, Style, render_human, to_json};
use dropc::model::Model;

/// A checked file: its model (when it has no errors) and source.
pub(super) struct Loaded {
    pub checked: Checked,
    pub source: SourceFile,
}

/// Reads and checks `path`; on failure returns the exit code to use.
pub(super) fn load(path: &Path, no_art: bool) -> Result<Loaded, ExitCode> {
    let bytes = std::fs::read(path).map_err(|e| {
        errln!("error: cannot read `{}`: {e}", path.display());
        ExitCode::from(EXIT_USAGE)
    })?;
    let root = path.parent().map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf);
    let disk = DiskArt { root };
    let art: &dyn ArtStore = if no_art { &NoArt } else { &disk };
    let (text, checked) = match dropc::syntax::source_text(bytes) {
        Ok(text) => {
            let checked = check_text(&text, art);
            (text, checked)
        }
        Err((text, d)) => (text, Checked { model: None, diagnostics: vec![d], feasibility: None }),
    };
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

/// The test hook's environment variable: stop the run, as a kill would,
/// after this many files are written (see [`dropc::publish::run::Options`]).
pub const STOP_AFTER_FILES: &str = "DROPC_TEST_STOP_AFTER_FILES";

/// Exit code of a run stopped by the test hook.
const EXIT_STOPPED: u8 = 3;

/// Runs `dropc run`.
pub fn run(args: &RunArgs) -> ExitCode {
    let loaded = match load(&args.file, args.no_art) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let model = match model_or_report(&loaded, Format::Human) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let warnings: Vec<Diagnostic> = loaded.checked.diagnostics.clone();
    if !warnings.is_empty() {
        report(&warnings, &loaded.source, Format::Human);
    }
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(args.jobs.unwrap_or(0)).build() {
        Ok(p) => p,
        Err(e) => {
            errln!("error: cannot start worker threads: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let seed = model.settings.seed.clone();
    let tokens = match pool.install(|| dropc::sample(model, &seed)) {
        Ok(t) => t,
        Err(e) => {
            report(&e.to_diagnostics(model), &loaded.source, Format::Human);
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let dir: PathBuf = args
        .output
        .clone()
        .unwrap_or_else(|| args.file.parent().map_or_else(|| PathBuf::from("out"), |p| p.join("out")));
    let root = args.file.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let options = dropc::publish::run::Options {
        dir: dir.clone(),
        root: root.clone(),
        drop_file: args.file.clone(),
        source: loaded.source.text.as_bytes().to_vec(),
        // Without the art checked, no image is drawn from it.
        images: !args.no_images && !args.no_art,
        force: args.force,
        stop_after_files: std::env::var(STOP_AFTER_FILES).ok().and_then(|n| n.trim().parse().ok()),
    };
    let started = std::time::Instant::now();
    let bars = Bars::new();
    let result = pool.install(|| dropc::publish::run::run(model, &tokens, &options, &bars));
    bars.finish();
    let summary = match result {
        Ok(s) => s,
        Err(e @ dropc::publish::run::Error::Art(_)) => {
            errln!("error: {e}");
            return ExitCode::from(EXIT_INPUT);
        }
        Err(e @ dropc::publish::run::Error::Stopped(_)) => {
            errln!("{}: {e}", loaded.source.name);
            return ExitCode::from(EXIT_STOPPED);
        }
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let removed = match summary.removed {
        0 => String::new(),
        1 => "; removed 1 file of an earlier run".to_string(),
        n => format!("; removed {n} files of an earlier run"),
    };
    if args.no_images || args.no_art {
        let why = if args.no_images { "" } else { " (`--no-art`: no images)" };
        errln!(
            "{}: wrote metadata of {} to `{}` ({} changed){removed}{why}",
            loaded.source.name,
            super::check::plural(summary.tokens, "token"),
            dir.display(),
            summary.metadata_written
        );
        return ExitCode::SUCCESS;
    }
    errln!(
        "{}: wrote {} to `{}`: rendered {}, derived {}, reused {} ({} in {seconds:.1} s){removed}",
        loaded.source.name,
        super::check::plural(summary.tokens, "token"),
        dir.display(),
        summary.rendered,
        summary.derived,
        summary.reused,
        super::check::plural(summary.images, "image"),
    );
    if args.qa {
        let source = loaded.source.text.as_bytes();
        return super::qa::audit_output(model, source, &root, &dir, Format::Human, true, &pool);
    }
    ExitCode::SUCCESS
}

/// Progress bars on a terminal, one per step, with rate and ETA; hidden
/// otherwise (pipes, CI logs), so that scripts see only the final summary.
struct Bars {
    terminal: bool,
    bar: std::sync::RwLock<indicatif::ProgressBar>,
}

impl Bars {
    fn new() -> Bars {
        use std::io::IsTerminal;
        Bars {
            terminal: std::io::stderr().is_terminal(),
            bar: std::sync::RwLock::new(indicatif::ProgressBar::hidden()),
        }
    }

    fn finish(&self) {
        if let Ok(bar) = self.bar.read() {
            bar.finish_and_clear();
        }
    }
}

impl dropc::publish::run::Progress for Bars {
    fn start(&self, step: dropc::publish::run::Step, total: u64) {
        if !self.terminal || total == 0 {
            return;
        }
        let bar = indicatif::ProgressBar::new(total);
        let template = format!("{{spinner}} {:<20} [{{bar:40}}] {{pos}}/{{len}}  {{rate}}  ETA {{eta}}", step.label());
        let style = indicatif::ProgressStyle::with_template(&template).map(|s| {
            s.progress_chars("=> ").with_key("rate", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            })
        });
        if let Ok(style) = style {
            bar.set_style(style);
        }
        if let Ok(mut current) = self.bar.write() {
            current.finish_and_clear();
            *current = bar;
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(bar) = self.bar.read() {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        self.finish();
    }
}
