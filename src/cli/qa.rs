//! `dropc qa PATH [--drop FILE] [--format human|json] [--jobs N]`: audit a
//! collection.
//!
//! PATH is an output folder of `dropc run` — its `.drop` is the one named in
//! `collection.json` (`inputs.source_path`, relative to the folder), or the
//! only `.drop` in the folder's parent, or `--drop FILE` — and both the
//! inputs (the art) and the output are audited; or PATH is a `.drop` file,
//! and only its inputs are.
//!
//! Exit codes: 0 when no finding is an error (warnings are allowed, as for
//! `check`), 1 when one is (a failed audit, or a `.drop` with errors), 2 for
//! a usage or I/O error (no such path, no `.drop` found). Human output goes
//! to stderr like `check`'s diagnostics, ending in a one-line summary; JSON
//! is one document on stdout, `{"findings": [...], "errors", "warnings",
//! ...}`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use super::common::{load, model_or_report, thread_pool};
use super::{EXIT_INPUT, EXIT_USAGE, Format};
use dropc::diagnostic::Code;
use dropc::model::Model;
use dropc::qa::{Finding, OutputScope, Scope};

/// Arguments of `dropc qa`.
#[derive(Debug, clap::Args)]
pub struct QaArgs {
    /// An output folder of `dropc run` (inputs and output are audited), or a
    /// `.drop` file (its inputs only).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// The `.drop` file of the output folder (default: the one its
    /// `collection.json` names, or the only one in the folder's parent).
    #[arg(long, value_name = "FILE")]
    pub drop: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Worker threads, 1 to 256 (default: one per core). Findings are the same whatever it is.
    #[arg(long, value_name = "N", value_parser = super::jobs)]
    pub jobs: Option<usize>,
    /// Instead of auditing, convert every art file in a colour space other
    /// than sRGB (an ICC profile or `cICP`) to sRGB, keeping each original
    /// as `<name>.png.orig`.
    #[arg(long)]
    pub fix_profiles: bool,
    /// Do not write `report.html` (output folders only).
    #[arg(long)]
    pub no_report: bool,
}

/// Runs `dropc qa`.
pub fn run(args: &QaArgs) -> ExitCode {
    let pool = match thread_pool(args.jobs) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (drop_file, output) = if args.path.is_dir() {
        match args.drop.clone().map_or_else(|| dropc::qa::read::find_drop(&args.path), Ok) {
            Ok(file) => (file, Some(args.path.clone())),
            Err(why) => {
                errln!("error: {why}");
                return ExitCode::from(EXIT_USAGE);
            }
        }
    } else if args.path.is_file() {
        (args.path.clone(), None)
    } else {
        errln!("error: `{}` is neither an output folder nor a `.drop` file", args.path.display());
        return ExitCode::from(EXIT_USAGE);
    };
    if args.fix_profiles {
        return fix_profiles(&drop_file);
    }
    let loaded = match load(&drop_file, false) {
        Ok(l) => l,
        Err(code) => return code,
    };
    // Art that `check` refuses (missing, unreadable, in another colour
    // space) is what the audit reports as findings: when those are the only
    // errors, the model comes from checking without the art.
    let art_only = loaded.checked.diagnostics.iter().filter(|d| d.is_error()).all(|d| {
        matches!(d.code, Code::MissingArt | Code::InvalidArt | Code::ArtColourProfile | Code::ArtSizeMismatch)
    });
    let loaded = if loaded.checked.has_errors() && art_only {
        match load(&drop_file, true) {
            Ok(without) if !without.checked.has_errors() => without,
            _ => loaded,
        }
    } else {
        loaded
    };
    let model = match model_or_report(&loaded, args.format) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let root = dropc::publish::run::project_root(&drop_file);
    match output {
        Some(dir) => {
            let report = !args.no_report;
            let feasibility = loaded.checked.feasibility.as_ref();
            audit_output(model, loaded.source.text.as_bytes(), &root, &dir, args.format, report, feasibility, &pool)
        }
        None => {
            let started = Instant::now();
            let mut findings = pool.install(|| dropc::qa::inputs::audit(model, &root));
            dropc::qa::sort(&mut findings);
            print(&findings, None, args.format, &format!("`{}`", drop_file.display()), started);
            exit_code(&findings)
        }
    }
}

/// Prints the audit of the inputs and the output folder `dir` of `model`
/// ([`dropc::qa::audit_folder`]) and, when `report` is set, writes
/// `report.html` into `dir` ([`dropc::qa::write_folder_report`]); the exit
/// code of the audit. Used by `dropc qa DIR` and `dropc run --qa`.
#[allow(clippy::too_many_arguments)]
pub(super) fn audit_output(
    model: &Model,
    source: &[u8],
    root: &Path,
    dir: &Path,
    format: Format,
    report: bool,
    feasibility: Option<&dropc::check::Feasibility>,
    pool: &rayon::ThreadPool,
) -> ExitCode {
    let started = Instant::now();
    let folder = pool.install(|| dropc::qa::audit_folder(model, source, root, dir));
    print(&folder.findings, Some(&folder.audit), format, &format!("`{}`", dir.display()), started);
    if report {
        match pool.install(|| dropc::qa::write_folder_report(model, &folder, feasibility, dir)) {
            Ok(written) if format == Format::Human => errln!("qa: report: `{}`", written.display()),
            Ok(_) => {}
            Err(e) => {
                errln!("error: cannot write the report into `{}`: {e}", dir.display());
                return ExitCode::from(EXIT_USAGE);
            }
        }
    }
    exit_code(&folder.findings)
}

/// `dropc qa --fix-profiles`: converts the art of `drop_file` to sRGB and
/// says what it did. The file is checked without its art, since art in
/// another colour space is exactly what makes `check` fail.
fn fix_profiles(drop_file: &Path) -> ExitCode {
    let loaded = match load(drop_file, true) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let model = match model_or_report(&loaded, Format::Human) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let root = dropc::publish::run::project_root(drop_file);
    let fixes = dropc::qa::profiles::fix_profiles(model, &root);
    let mut failed = false;
    for fix in &fixes {
        let path = fix.path.display();
        match &fix.result {
            Ok(()) => errln!("converted `{path}` from {} to sRGB (the original is `{path}.orig`)", fix.from),
            Err(why) => {
                failed = true;
                errln!("error: cannot convert `{path}` from {}: {why}", fix.from);
            }
        }
    }
    let ignored = dropc::qa::profiles::ignored(model);
    if !ignored.is_empty() {
        let n = ignored.len();
        let (files, their) = if n == 1 { ("art file", "its") } else { ("art files", "their") };
        errln!(
            "left {n} {files} as they are: {their} colour spaces are ignored (`profiles ignore`), the first `{}`",
            ignored[0].display()
        );
    }
    if fixes.is_empty() {
        let checked = if ignored.is_empty() { "every art file" } else { "every other art file" };
        errln!("{}: {checked} is already in sRGB", drop_file.display());
    }
    if failed { ExitCode::from(EXIT_INPUT) } else { ExitCode::SUCCESS }
}

/// 1 when any finding is an error, else 0.
fn exit_code(findings: &[Finding]) -> ExitCode {
    if findings.iter().any(Finding::is_error) { ExitCode::from(EXIT_INPUT) } else { ExitCode::SUCCESS }
}

/// Prints the findings and the summary in `format`.
fn print(findings: &[Finding], audit: Option<&dropc::qa::output::Audit>, format: Format, what: &str, started: Instant) {
    let scope = Scope {
        output: audit.map(|a| OutputScope {
            tokens: a.tokens.len(),
            images: a.images,
            shares: serde_json::to_value(&a.shares).unwrap_or_default(),
        }),
        not_audited: audit.map(|a| a.not_audited.clone()).unwrap_or_default(),
    };
    match format {
        Format::Json => {
            let _ = std::io::stdout().lock().write_all(dropc::qa::render_json(findings, &scope).as_bytes());
        }
        Format::Human => {
            let text = dropc::qa::render_human(findings, &scope, what, started.elapsed().as_secs_f64());
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
        }
    }
}
