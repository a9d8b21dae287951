//! The `dropc` binary: a thin wrapper around [`cli::main`].

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
