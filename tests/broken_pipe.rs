//! Every command ends quietly, with its own exit code, when the reader of its
//! output goes away (`dropc check --format json big.drop | head`): no panic
//! ("failed printing to stdout: Broken pipe"), no exit code 101.
//!
//! Each output here is far larger than a pipe's buffer (64 KiB on Linux) and
//! the reading end is closed as soon as the process starts, so the write
//! fails with `EPIPE` whatever the timing.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// A collection with 4,000 variants and 300 rules naming unknown variants:
/// `check` reports 300 errors, and `simulate` of its valid part prints a
/// 4,000-line table.
fn big(dir: &Path, errors: bool) -> std::path::PathBuf {
    let mut text = String::from("collection \"Big\" { size 10 canvas 8 x 8 }\n");
    let variants: Vec<String> = (0..4000).map(|i| format!("v{i}: 1")).collect();
    let _ = writeln!(text, "metadata trait A < {} >", variants.join(", "));
    let _ = writeln!(text, "metadata trait B < x: 1, y: 1 >");
    if errors {
        for i in 0..300 {
            let _ = writeln!(text, "forbid B.w{i} with A.v0");
        }
    }
    let path = dir.join(if errors { "errors.drop" } else { "big.drop" });
    std::fs::write(&path, text).unwrap();
    path
}

/// The exit code of `dropc args` when its output is read.
fn normal(args: &[&str]) -> Option<i32> {
    Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).output().unwrap().status.code()
}

/// Runs `dropc args`, closing the reading end of `stream` (1: stdout, 2:
/// stderr) at once; returns the exit code and what the other stream said.
fn closed(args: &[&str], stream: u8) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dropc"));
    cmd.args(args).stdin(Stdio::null());
    if stream == 1 {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    } else {
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    }
    let mut child = cmd.spawn().unwrap();
    let mut other = String::new();
    if stream == 1 {
        drop(child.stdout.take());
        child.stderr.take().unwrap().read_to_string(&mut other).unwrap();
    } else {
        drop(child.stderr.take());
    }
    let status = child.wait().unwrap();
    (status.code(), other)
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let errors = big(dir.path(), true);
    let valid = big(dir.path(), false);
    let (errors, valid) = (errors.to_str().unwrap(), valid.to_str().unwrap());
    for (args, code) in [
        (vec!["check", "--format", "json", errors], Some(1)),
        (vec!["check", "--format", "json", valid], Some(0)),
        (vec!["simulate", valid], Some(0)),
        (vec!["simulate", "--format", "json", valid], Some(0)),
        (vec!["simulate", "--format", "json", errors], Some(1)),
        (vec!["qa", "--format", "json", valid], None),
    ] {
        let (status, stderr) = closed(&args, 1);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        let code = code.or_else(|| normal(&args));
        assert_eq!(status, code, "{args:?}: {stderr}");
    }
}

#[test]
fn a_closed_stderr_ends_every_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let errors = big(dir.path(), true);
    let errors = errors.to_str().unwrap();
    let missing = dir.path().join("missing.drop");
    let missing = missing.to_str().unwrap();
    for (args, code) in [
        (vec!["check", errors], 1),
        (vec!["simulate", errors], 1),
        (vec!["run", "--no-art", errors], 1),
        (vec!["check", missing], 2),
    ] {
        let (status, _) = closed(&args, 2);
        assert_eq!(status, Some(code), "{args:?}");
    }
}
