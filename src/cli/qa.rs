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
use dropc::qa::report::ReportInput;
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
        match args.drop.clone().map_or_else(|| find_drop(&args.path), Ok) {
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

/// Audits the inputs and the output folder `dir` of `model` and prints the
/// findings, and writes `report.html` into `dir` when `report` is set (its
/// charts take the expected shares from `check`'s `feasibility`, as
/// `dropc simulate` does); the exit code of the audit. Used by `dropc qa
/// DIR` and `dropc run --qa`.
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
    let (mut findings, audit) = pool.install(|| {
        let mut findings = dropc::qa::inputs::audit(model, root);
        let audit = dropc::qa::output::audit(model, source, root, dir);
        findings.extend(audit.findings.iter().cloned());
        (findings, audit)
    });
    dropc::qa::sort(&mut findings);
    print(&findings, Some(&audit), format, &format!("`{}`", dir.display()), started);
    if report {
        let mut input = ReportInput::from_collection(model, &audit.tokens, &audit.seed, &findings);
        input.use_recorded_ranking(audit.rarity.iter().map(|l| (l.id, l.rank, l.score)));
        let expected = pool.install(|| {
            dropc::sample::plan::Plan::new(model).and_then(|plan| {
                dropc::check::expected::expected(
                    model,
                    &plan,
                    feasibility.and_then(|f| f.combinations.exact()),
                    feasibility.and_then(|f| f.log_partition),
                )
            })
        });
        if let Ok(expected) = &expected {
            input.use_expected(&expected.shares);
        }
        if let Err(e) = pool.install(|| dropc::qa::report::write_report(dir, &input)) {
            errln!("error: cannot write the report into `{}`: {e}", dir.display());
            return ExitCode::from(EXIT_USAGE);
        }
        if format == Format::Human {
            errln!("qa: report: `{}`", dir.join(dropc::qa::report::REPORT_FILE).display());
        }
    }
    exit_code(&findings)
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
    if fixes.is_empty() {
        errln!("{}: every art file is already in sRGB", drop_file.display());
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

/// The `.drop` of the output folder `dir`: the one `collection.json` names,
/// else the only `.drop` in the folder's parent. The recorded path is data:
/// an absolute one, one that climbs out of a folder it named, or one that
/// is not a `.drop` (or resolves to a file that is not) is never opened
/// (the audit reports it); the parent's `.drop` is used instead.
fn find_drop(dir: &Path) -> Result<PathBuf, String> {
    let summary = dropc::qa::read::read_file(&dir.join(dropc::output::COLLECTION), dropc::qa::read::record_limit(0));
    let recorded: Option<String> = summary
        .ok()
        .and_then(|b| serde_json::from_slice::<dropc::output::CollectionRecord>(&b).ok())
        .and_then(|r| r.inputs.source_path);
    let mut refused = String::new();
    if let Some(recorded) = recorded {
        match dropc::qa::read::recorded_path(&recorded, Some("drop")) {
            Ok(relative) => {
                let path = dir.join(relative);
                let real = std::fs::canonicalize(&path).map_err(|e| {
                    format!(
                        "`{}` names `{}` as the `.drop`, which cannot be opened ({}); pass --drop FILE",
                        dropc::output::COLLECTION,
                        path.display(),
                        dropc::qa::read::describe_io(&e)
                    )
                })?;
                return if real.is_file() && real.extension().is_some_and(|e| e == "drop") {
                    Ok(path)
                } else {
                    Err(format!(
                        "`{}` names `{}` as the `.drop`, which is `{}`, not a `.drop` file; pass --drop FILE",
                        dropc::output::COLLECTION,
                        path.display(),
                        real.display()
                    ))
                };
            }
            Err(why) => refused = format!(" (`{}` names `{recorded}`, which {why})", dropc::output::COLLECTION),
        }
    }
    let parent = std::fs::canonicalize(dir)
        .map_err(|e| format!("cannot read `{}`: {}", dir.display(), dropc::qa::read::describe_io(&e)))?
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("cannot tell which `.drop` wrote `{}`; pass --drop FILE", dir.display()))?;
    let mut drops: Vec<PathBuf> = Vec::new();
    let entries = std::fs::read_dir(&parent)
        .map_err(|e| format!("cannot list `{}`: {}", parent.display(), dropc::qa::read::describe_io(&e)))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list `{}`: {}", parent.display(), dropc::qa::read::describe_io(&e)))?
            .path();
        if path.extension().is_some_and(|e| e == "drop") && path.is_file() {
            drops.push(path);
        }
    }
    match drops.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!("cannot tell which `.drop` wrote `{}`{refused}; pass --drop FILE", dir.display())),
    }
}
