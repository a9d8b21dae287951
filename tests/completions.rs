//! `dropc completions SHELL` and `dropc man`: generated from the clap
//! definition, so every command and flag is there; the bash and zsh scripts
//! are valid for their shells (when installed), the man pages are roff with
//! one page per command.

// Tests may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

fn dropc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).output().expect("dropc runs")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Checks a script's syntax with `shell -n` when that shell is installed.
fn syntax_ok(shell: &str, script: &str) {
    let tmp = tempfile::Builder::new().prefix("dropc-completion-").tempdir().unwrap();
    let path = tmp.path().join(shell);
    std::fs::write(&path, script).unwrap();
    match Command::new(shell).arg("-n").arg(&path).output() {
        Ok(out) => assert!(out.status.success(), "{shell} -n: {}", String::from_utf8_lossy(&out.stderr)),
        Err(_) => eprintln!("note: {shell} is not installed; its completion script's syntax is not checked"),
    }
}

#[test]
fn completion_scripts_know_every_command() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&dropc(&["completions", shell]));
        for word in ["check", "simulate", "run", "qa", "import", "hashlips", "nftchef", "order", "format"] {
            assert!(script.contains(word), "the {shell} completion script does not know `{word}`");
        }
    }
    syntax_ok("bash", &stdout(&dropc(&["completions", "bash"])));
    syntax_ok("zsh", &stdout(&dropc(&["completions", "zsh"])));
    let bad = dropc(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn man_pages() {
    let page = stdout(&dropc(&["man"]));
    assert!(page.starts_with(".ie \\n(.g .ds Aq \\(aq") || page.contains(".TH dropc 1"), "{page}");
    assert!(page.contains(".TH dropc 1"), "{page}");
    for word in ["check", "import", "completions"] {
        assert!(page.contains(word), "dropc.1 does not mention `{word}`");
    }
    let tmp = tempfile::Builder::new().prefix("dropc-man-").tempdir().unwrap();
    let dir = tmp.path().join("man");
    let output = dropc(&["man", "--dir", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for name in [
        "dropc.1",
        "dropc-check.1",
        "dropc-run.1",
        "dropc-import.1",
        "dropc-import-hashlips.1",
        "dropc-import-nftchef.1",
    ] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.contains(".TH "), "{name} is not a man page");
    }
    let hashlips = std::fs::read_to_string(dir.join("dropc-import-hashlips.1")).unwrap();
    assert!(hashlips.contains("order") && hashlips.contains("dropc import hashlips"), "{hashlips}");
    if Path::new("/usr/bin/man").exists() {
        let rendered = Command::new("man").arg(dir.join("dropc-import-hashlips.1")).env("MANPAGER", "cat").output();
        if let Ok(out) = rendered {
            assert!(out.status.success(), "man cannot render the page: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
