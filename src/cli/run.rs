//! `dropc run FILE [-o DIR] [--jobs N] [--no-images] [--force] [--qa]`: check
//! the collection, then hand it to the library ([`dropc::publish::run::publish`]
//! samples it and brings the output folder, [`Options::new`] picks the
//! folder); this module only turns arguments into options, progress into
//! bars and the result into a message and an exit code. `--qa` audits the
//! folder right after (`dropc qa DIR`).

use std::process::ExitCode;

use super::common::{load, model_or_report, plural, report, thread_pool};
use super::{EXIT_INPUT, EXIT_USAGE, Format, RunArgs};
use dropc::diagnostic::Diagnostic;
use dropc::publish::run::Options;

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
    let pool = match thread_pool(args.jobs) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut options = Options::new(&args.file, args.output.as_deref(), loaded.source.text.as_bytes().to_vec());
    // Without the art checked, no image is drawn from it.
    options.images = !args.no_images && !args.no_art;
    options.force = args.force;
    options.stop_after_files = std::env::var(STOP_AFTER_FILES).ok().and_then(|n| n.trim().parse().ok());
    let dir = &options.dir;
    let started = std::time::Instant::now();
    let bars = Bars::new();
    let result = pool.install(|| dropc::publish::run::publish(model, &options, &bars));
    bars.finish();
    let summary = match result {
        Ok((_, s)) => s,
        Err(dropc::publish::run::Error::Sample(e)) => {
            report(&e.to_diagnostics(model), &loaded.source, Format::Human);
            return ExitCode::from(EXIT_INPUT);
        }
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
            plural(summary.tokens, "token"),
            dir.display(),
            summary.metadata_written
        );
        return ExitCode::SUCCESS;
    }
    errln!(
        "{}: wrote {} to `{}`: rendered {}, derived {}, reused {} ({} in {seconds:.1} s){removed}",
        loaded.source.name,
        plural(summary.tokens, "token"),
        dir.display(),
        summary.rendered,
        summary.derived,
        summary.reused,
        plural(summary.images, "image"),
    );
    // Measured on the images: said with the code `check` predicts it with.
    let collection = dropc::syntax::parse(&loaded.source.text).ok().and_then(|file| {
        file.statements.iter().find_map(|s| match s {
            dropc::syntax::Statement::Collection(c) => Some(c.name.span),
            _ => None,
        })
    });
    let span = collection.unwrap_or(dropc::span::Span::new(0, 0));
    if let Some(d) = dropc::check::art::translucent_rendered(model, summary.translucent, summary.rendered, span) {
        report(&[d], &loaded.source, Format::Human);
    }
    if args.qa {
        let source = loaded.source.text.as_bytes();
        let feasibility = loaded.checked.feasibility.as_ref();
        return super::qa::audit_output(model, source, &options.root, dir, Format::Human, true, feasibility, &pool);
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
