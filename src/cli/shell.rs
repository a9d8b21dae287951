//! `dropc completions SHELL` and `dropc man [--dir DIR]`: shell completion
//! scripts and man pages, generated from the clap definition of the command
//! line, so that they can never disagree with it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory as _;

use super::{Cli, EXIT_USAGE};

/// Arguments of `dropc completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// Arguments of `dropc man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write `dropc.1` and one page per command (`dropc-check.1`, ...) into
    /// this folder instead of printing `dropc.1`.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Prints the completion script.
pub fn completions(args: &CompletionsArgs) -> ExitCode {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "dropc", &mut out);
    emit(&out)
}

/// Prints `dropc.1`, or writes every page into a folder.
pub fn man(args: &ManArgs) -> ExitCode {
    let command = Cli::command();
    match &args.dir {
        None => {
            let mut out = Vec::new();
            if let Err(e) = clap_mangen::Man::new(command).render(&mut out) {
                errln!("error: cannot render the man page: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
            emit(&out)
        }
        Some(dir) => match write_pages(command, dir) {
            Ok(n) => {
                errln!("wrote {n} man pages into `{}`", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                errln!("error: cannot write man pages into `{}`: {e}", dir.display());
                ExitCode::from(EXIT_USAGE)
            }
        },
    }
}

fn emit(bytes: &[u8]) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(EXIT_USAGE),
    }
}

/// `dropc.1` and a page per subcommand (nested ones too: `dropc-import-hashlips.1`).
fn write_pages(command: clap::Command, dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let command = command.disable_help_subcommand(true);
    let mut count = 0;
    let mut stack = vec![(command, "dropc".to_string(), "dropc".to_string())];
    while let Some((cmd, name, bin)) = stack.pop() {
        let cmd = cmd.display_name(name.clone()).bin_name(bin.clone());
        let mut bytes = Vec::new();
        clap_mangen::Man::new(cmd.clone()).render(&mut bytes)?;
        std::fs::write(dir.join(format!("{name}.1")), bytes)?;
        count += 1;
        for sub in cmd.get_subcommands() {
            stack.push((sub.clone(), format!("{name}-{}", sub.get_name()), format!("{bin} {}", sub.get_name())));
        }
    }
    Ok(count)
}
