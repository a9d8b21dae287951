//! The `dropc` command line: argument parsing and one module per subcommand.
//! Exit codes follow the contract: 0 success (warnings allowed), 1 the input
//! is wrong, 2 usage or I/O error outside the input.
//!
//! Only this module prints. It never uses `println!`/`eprintln!`, which
//! panic when the reader has gone (`dropc check --format json … | head`):
//! [`outln!`] and [`errln!`] write and ignore a closed pipe, so every command
//! ends quietly with its own exit code.

#![deny(clippy::print_stdout, clippy::print_stderr)]

/// `println!` that ignores a closed or failing stdout (`| head`) instead of
/// panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that ignores a closed or failing stderr instead of panicking.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod check;
mod common;
mod fmt;
mod import;
mod lsp;
mod qa;
mod run;
mod shell;
mod simulate;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// dropc: compile `.drop` collections into generative art drops.
#[derive(Debug, Parser)]
#[command(name = "dropc", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, resolve, type-check and lint `.drop` files.
    Check(CheckArgs),
    /// Predict the rarity of every variant under the rules.
    Simulate(SimulateArgs),
    /// Generate the collection.
    Run(RunArgs),
    /// Audit an output folder (and its `.drop`'s art), or a `.drop`'s art alone.
    Qa(qa::QaArgs),
    /// Rewrite `.drop` files in the canonical layout (comments kept, meaning unchanged).
    Fmt(FmtArgs),
    /// Run the language server on stdin and stdout (for editors).
    Lsp,
    /// Write a `.drop` from another art engine's layers folder.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(shell::CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a folder.
    Man(shell::ManArgs),
}

/// Arguments of `dropc fmt`.
#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// The `.drop` files to format.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Change nothing: list the files that would change, exit 1 if any would.
    #[arg(long)]
    pub check: bool,
}

/// Arguments of `dropc simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The `.drop` file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Skip reading art files.
    #[arg(long)]
    pub no_art: bool,
}

/// Arguments of `dropc run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The `.drop` file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output folder (default: `out` beside the file).
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Worker threads, 1 to 256 (default: one per core). The output is the same whatever it is.
    #[arg(long, value_name = "N", value_parser = jobs)]
    pub jobs: Option<usize>,
    /// Write everything but the images.
    #[arg(long)]
    pub no_images: bool,
    /// Skip reading art files: the art is not checked, so no images are
    /// written (as with --no-images).
    #[arg(long)]
    pub no_art: bool,
    /// Write into a folder that holds another collection (or other files).
    #[arg(long)]
    pub force: bool,
    /// Audit the output right after generating it, as `dropc qa DIR` does.
    #[arg(long, conflicts_with_all = ["no_images", "no_art"])]
    pub qa: bool,
}

/// Arguments of `dropc check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The `.drop` files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Skip reading art files (check the language only).
    #[arg(long)]
    pub no_art: bool,
}

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// miette reports on stderr.
    Human,
    /// One JSON document on stdout.
    Json,
}

/// Exit code: the input is wrong.
pub const EXIT_INPUT: u8 = 1;
/// Exit code: usage or I/O error.
pub const EXIT_USAGE: u8 = 2;

/// Parses arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Check(args) => on_workers(|| check::run(&args)),
        Command::Simulate(args) => on_workers(|| simulate::run(&args)),
        Command::Run(args) => run::run(&args),
        Command::Qa(args) => qa::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Lsp => lsp::run(),
        Command::Import(command) => import::run(&command),
        Command::Completions(args) => shell::completions(&args),
        Command::Man(args) => shell::man(&args),
    }
}

/// Stack of the threads [`on_workers`] runs a command on: the main
/// thread's usual size.
const WORKER_STACK: usize = 8 << 20;

/// Runs a command's work on a thread of the worker pool that also parses
/// its file, rather than on the main thread. With glibc's allocator each
/// thread allocates from an arena of its own, and memory freed in one arena
/// serves only that arena: the syntax tree, built on the workers and freed
/// while the model is built, is then reused for the model instead of
/// staying resident beside it.
fn on_workers(work: impl FnOnce() -> ExitCode + Send) -> ExitCode {
    match rayon::ThreadPoolBuilder::new().stack_size(WORKER_STACK).build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// Parses `--jobs`: 1 to [`dropc::publish::run::MAX_JOBS`] threads (more
/// only costs memory and minutes of thread start-up).
pub(crate) fn jobs(text: &str) -> Result<usize, String> {
    let max = dropc::publish::run::MAX_JOBS;
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("the number of worker threads must be a whole number from 1 to {max}")),
    }
}

/// Whether stderr gets colours.
pub(crate) fn colour_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Width for reports on stderr.
pub(crate) fn report_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(100)
}
