//! Tests of the tree-sitter grammar in `editors/tree-sitter-drop/`.
//!
//! With the `tree-sitter` CLI (found through `TREE_SITTER`, else on `PATH`;
//! install it with `cargo install tree-sitter-cli --locked`), in a copy of
//! the grammar's folder:
//!
//! - `tree-sitter generate` (with its built-in JavaScript runtime, so node is
//!   not needed) must give the committed `src/` files byte for byte: the
//!   parser editors build is never stale;
//! - `tree-sitter test` runs `test/corpus/`;
//! - every example and every fixture that `grammar/drop.pest` accepts parses
//!   with no `ERROR` or `MISSING` node;
//! - `queries/highlights.scm` compiles against the grammar, uses only
//!   predicates both Helix and Neovim know, and captures something in every
//!   example.
//!
//! Without the CLI the test is skipped with a loud message, or fails when
//! `DROPC_REQUIRE_ALL_TOOLS` is set.

// Tests may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{find_on_path, missing_tool};

mod support;

/// The CLI version that generated the committed `src/parser.c` (CI installs it).
const CLI_VERSION: &str = "0.27.1";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn grammar_dir() -> PathBuf {
    repo_root().join("editors").join("tree-sitter-drop")
}

/// The `tree-sitter` CLI: `$TREE_SITTER`, else `tree-sitter` on `PATH`.
fn tree_sitter() -> Option<PathBuf> {
    if let Some(path) = env::var_os("TREE_SITTER").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "TREE_SITTER is set to {}, which is not a file", path.display());
        return Some(path);
    }
    find_on_path("tree-sitter")
}

fn run(program: &Path, args: &[&str], dir: &Path, libdir: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("TREE_SITTER_LIBDIR", libdir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} {}: {e}", program.display(), args.join(" ")))
}

fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}).\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

/// Every `.drop` file under `dir`.
fn drop_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            drop_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "drop") {
            out.push(path);
        }
    }
}

#[test]
fn tree_sitter_grammar() {
    let Some(cli) = tree_sitter() else {
        missing_tool(
            "the tree-sitter CLI is not installed (`cargo install tree-sitter-cli --locked`, or set TREE_SITTER)",
        );
        return;
    };
    let tmp = tempfile::Builder::new().prefix("dropc-tree-sitter-").tempdir().unwrap();
    let work = tmp.path().to_path_buf();
    let copy = work.join("tree-sitter-drop");
    let libdir = work.join("lib");
    fs::create_dir_all(&libdir).unwrap();
    copy_dir(&grammar_dir(), &copy);

    // The committed parser is what the grammar generates (parser.c compared
    // only with the CLI version that wrote it: others lay tables out differently).
    let version = run(&cli, &["--version"], &copy, &libdir);
    let same_cli = String::from_utf8_lossy(&version.stdout).contains(CLI_VERSION);
    let output = run(&cli, &["generate", "--js-runtime", "native"], &copy, &libdir);
    assert_success("`tree-sitter generate`", &output);
    let mut generated_files = vec!["src/grammar.json", "src/node-types.json"];
    if same_cli {
        generated_files.push("src/parser.c");
    } else {
        eprintln!("note: tree-sitter is not {CLI_VERSION}: src/parser.c is not compared");
    }
    for generated in generated_files {
        let committed = fs::read(grammar_dir().join(generated)).unwrap_or_default();
        let fresh = fs::read(copy.join(generated)).unwrap();
        assert!(
            committed == fresh,
            "editors/tree-sitter-drop/{generated} is stale: run `tree-sitter generate` in editors/tree-sitter-drop and commit src/"
        );
    }

    let output = run(&cli, &["test"], &copy, &libdir);
    assert_success("`tree-sitter test` (test/corpus)", &output);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains('✓'), "`tree-sitter test` ran no test:\n{text}");

    // Every file the language accepts parses cleanly.
    let mut files = Vec::new();
    drop_files(&repo_root().join("examples"), &mut files);
    let examples = files.len();
    drop_files(&repo_root().join("tests").join("fixtures"), &mut files);
    drop_files(&repo_root().join("editors"), &mut files);
    let mut valid = Vec::new();
    for file in &files {
        let Ok(bytes) = fs::read(file) else { continue };
        let Ok(text) = String::from_utf8(bytes) else { continue };
        if dropc::parse(&text).is_ok() {
            valid.push(file.clone());
        }
    }
    assert!(examples >= 3 && valid.len() > 50, "too few files found ({} valid of {})", valid.len(), files.len());
    let mut failures = Vec::new();
    for chunk in valid.chunks(40) {
        let mut args: Vec<&str> = vec!["parse", "--quiet"];
        let names: Vec<String> = chunk.iter().map(|p| p.display().to_string()).collect();
        args.extend(names.iter().map(String::as_str));
        let output = run(&cli, &args, &copy, &libdir);
        let out = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
        if !output.status.success() || out.contains("ERROR") || out.contains("MISSING") {
            failures.push(out);
        }
    }
    assert!(failures.is_empty(), "files that dropc parses have ERROR or MISSING nodes:\n{}", failures.join("\n"));

    // The highlight queries compile and capture the examples.
    let queries = fs::read_to_string(copy.join("queries").join("highlights.scm")).unwrap();
    for line in queries.lines().filter(|l| !l.trim_start().starts_with(';')) {
        for predicate in line.split("(#").skip(1) {
            let name = predicate.split_whitespace().next().unwrap_or("");
            assert!(
                ["eq?", "not-eq?", "match?", "not-match?", "any-of?", "not-any-of?"].contains(&name),
                "highlights.scm uses the predicate #{name}, which Helix or Neovim does not know"
            );
        }
    }
    for example in &valid[..examples] {
        let name = example.display().to_string();
        let output = run(&cli, &["query", "queries/highlights.scm", &name], &copy, &libdir);
        assert_success("`tree-sitter query queries/highlights.scm`", &output);
        let text = String::from_utf8_lossy(&output.stdout);
        for capture in ["keyword", "type", "constructor", "constant.numeric", "comment"] {
            assert!(text.contains(&format!(" - {capture},")), "no `@{capture}` capture in {name}:\n{text}");
        }
    }
}
