//! `dropc import hashlips|nftchef DIR [--order A,B,...] [-o FILE.drop] [--force]`:
//! a `.drop` from another engine's layers folder ([`dropc::import`]), checked
//! before it is handed over: the written file checks with no errors, or the
//! command says so and exits 1.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{EXIT_INPUT, EXIT_USAGE, colour_stderr, report_width};
use dropc::SourceFile;
use dropc::check::DiskArt;
use dropc::check_text;
use dropc::diagnostic::{Style, render_human};
use dropc::import::{Engine, ImportError, Options, drop_dir, import};

/// Arguments of `dropc import <engine>`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The engine's layers folder (one folder per layer).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Layer order, bottom to top (default: `layersOrder` of a `config.js`
    /// beside or above DIR, else alphabetical).
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub order: Option<Vec<String>>,
    /// Write the `.drop` here (default: stdout; art paths are then relative
    /// to the current folder).
    #[arg(short, long, value_name = "FILE.drop")]
    pub output: Option<PathBuf>,
    /// Replace FILE.drop if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// The engines `dropc import` reads.
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// A HashLips art engine layers folder: `DIR/<Layer>/<Variant>#<weight>.png`.
    Hashlips(ImportArgs),
    /// An nftchef/art-engine layers folder: nested weighted folders, `z<N>,` depth prefixes, `NONE` files.
    Nftchef(ImportArgs),
}

/// Runs `dropc import`.
pub fn run(command: &ImportCommand) -> ExitCode {
    let (engine, args) = match command {
        ImportCommand::Hashlips(a) => (Engine::HashLips, a),
        ImportCommand::Nftchef(a) => (Engine::NftChef, a),
    };
    if let Some(order) = &args.order {
        if order.iter().any(|n| n.trim().is_empty()) {
            errln!("error: `--order` lists the layer folders, bottom to top, separated by commas; one is empty");
            return ExitCode::from(EXIT_USAGE);
        }
    }
    if let Some(out) = &args.output {
        if out.exists() && !args.force {
            errln!("error: `{}` exists; pass --force to replace it", out.display());
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let folder = drop_dir(args.output.as_deref());
    let options = Options { order: args.order.clone(), drop_dir: folder.clone() };
    let imported = match import(engine, &args.dir, &options) {
        Ok(i) => i,
        Err(ImportError::Input(m)) => {
            errln!("error: {m}");
            return ExitCode::from(EXIT_INPUT);
        }
        Err(ImportError::Io(m)) => {
            errln!("error: {m}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    for w in &imported.warnings {
        errln!("warning: {w}");
    }
    // The file must check as written.
    let checked = check_text(&imported.text, &DiskArt { root: folder });
    let shown = args.output.as_ref().map_or_else(|| "<stdout>".to_string(), |p| p.display().to_string());
    match &args.output {
        Some(path) => {
            if let Err(e) = write_atomically(path, imported.text.as_bytes()) {
                errln!("error: cannot write `{}`: {e}", path.display());
                return ExitCode::from(EXIT_USAGE);
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            if out.write_all(imported.text.as_bytes()).and_then(|()| out.flush()).is_err() {
                return ExitCode::from(EXIT_USAGE);
            }
        }
    }
    if checked.has_errors() {
        let source = SourceFile::new(shown.clone(), imported.text.clone());
        let style = if colour_stderr() { Style::Colour } else { Style::Plain };
        let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
        let _ = write!(std::io::stderr().lock(), "{}", render_human(&errors, &source, style, report_width()));
        errln!("error: the imported file `{shown}` does not check; fix the layers (or the file) and check it again");
        return ExitCode::from(EXIT_INPUT);
    }
    if let Some(path) = &args.output {
        let warnings = checked.diagnostics.len();
        let said = if warnings == 0 { String::new() } else { format!(" ({warnings} warning(s): run `dropc check`)") };
        errln!("wrote `{}`: it checks with no errors{said}", path.display());
    }
    ExitCode::SUCCESS
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map_or_else(|| "import.drop".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
