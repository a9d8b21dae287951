//! Tests of the editor support in `editors/`.
//!
//! - `textmate_grammar_tests` runs the VS Code grammar's assertion files
//!   (`editors/vscode/test/*.test.drop`) with `vscode-tmgrammar-test`, which
//!   tokenizes with `vscode-textmate`, the tokenizer VS Code itself uses. It
//!   needs `node` and `npm`; without them it is skipped with a loud message,
//!   or fails when `DROPC_REQUIRE_ALL_TOOLS` is set.
//! - `vscode_extension_packages_as_vsix` packages the extension (language
//!   client and grammar) with `@vscode/vsce` into
//!   `target/tmp/vscode/dropc-drop.vsix`, as CI publishes it; skipped like the
//!   grammar tests without node and npm.
//! - `vscode_extension_manifest` checks that every JSON file of the extension
//!   parses and that the manifest ties language `drop`, `.drop` files and the
//!   grammar `source.drop` together.
//! - `vim_syntax_highlights` loads the Vim syntax in a headless Vim (when one
//!   with `+syntax` is installed) and checks the highlight groups that
//!   `editors/vim/test/sample.drop` states in its `//>` comments.

// Tests and benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

// A test fails by panicking, with everything the failed tool printed.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vscode_dir() -> PathBuf {
    repo_root().join("editors").join("vscode")
}

/// Whether `DROPC_REQUIRE_ALL_TOOLS` asks for a missing tool to be an error.
fn require_all_tools() -> bool {
    env::var_os("DROPC_REQUIRE_ALL_TOOLS").is_some_and(|v| !v.is_empty())
}

/// The full path of an executable found on `PATH`.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    let names: Vec<String> = if cfg!(windows) {
        ["exe", "cmd", "bat"].iter().map(|ext| format!("{name}.{ext}")).collect()
    } else {
        vec![name.to_string()]
    };
    env::split_paths(&path).flat_map(|dir| names.iter().map(move |n| dir.join(n))).find(|candidate| candidate.is_file())
}

/// A missing tool: an error under `DROPC_REQUIRE_ALL_TOOLS`, else a loud skip.
fn missing_tool(what: &str) {
    assert!(!require_all_tools(), "{what}, and DROPC_REQUIRE_ALL_TOOLS is set (unset it to skip this test instead)");
    eprintln!(
        "\n\
         ************************************************************************\n\
         SKIPPED: {what} (set DROPC_REQUIRE_ALL_TOOLS=1 to make this an error)\n\
         ************************************************************************\n"
    );
}

/// Runs a command to completion, failing the test if it cannot start.
fn run(program: &Path, args: &[&str], dir: &Path) -> Output {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .env("NO_UPDATE_NOTIFIER", "1")
        .env("npm_config_update_notifier", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_audit", "false");
    match command.output() {
        Ok(output) => output,
        Err(err) => panic!("cannot run {} {}: {err}", program.display(), args.join(" ")),
    }
}

/// Asserts that a command succeeded, showing everything it printed if not.
fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}).\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

#[test]
fn textmate_grammar_tests() {
    let (Some(_node), Some(npm)) = (find_on_path("node"), find_on_path("npm")) else {
        missing_tool("TextMate grammar tests need node and npm");
        return;
    };
    let dir = vscode_dir();
    npm_ci(&npm, &dir);
    // `npm test`: checks that syntaxes/drop.tmLanguage.json is up to date with
    // scripts/build-grammar.mjs, runs every test/*.test.drop, then the
    // extension's activation test (test/extension.test.js).
    let output = run(&npm, &["test"], &dir);
    assert_success("`npm test` in editors/vscode (TextMate grammar tests)", &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(".test.drop run successfuly"), "the TextMate grammar tests ran no test file:\n{stdout}");
    assert!(stdout.contains("activation tests passed"), "the extension's activation test did not run:\n{stdout}");
}

/// `npm ci` in `dir` unless its packages are installed; once at a time.
fn npm_ci(npm: &Path, dir: &Path) {
    static NPM: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = NPM.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let modules = dir.join("node_modules");
    let installed = ["vscode-tmgrammar-test", "@vscode/vsce", "vscode-languageclient"]
        .iter()
        .all(|package| modules.join(package).join("package.json").is_file());
    if !installed {
        let output = run(npm, &["ci", "--no-audit", "--no-fund"], dir);
        assert_success("`npm ci` in editors/vscode", &output);
    }
}

/// The extension packaged as CI publishes it: `target/tmp/vscode/dropc-drop.vsix`,
/// holding the extension's code, its language client and the grammar.
#[test]
fn vscode_extension_packages_as_vsix() {
    let (Some(_node), Some(npm)) = (find_on_path("node"), find_on_path("npm")) else {
        missing_tool("packaging the VS Code extension needs node and npm");
        return;
    };
    let dir = vscode_dir();
    npm_ci(&npm, &dir);
    let out_dir = repo_root().join("target").join("tmp").join("vscode");
    fs::create_dir_all(&out_dir).unwrap();
    let vsix = out_dir.join("dropc-drop.vsix");
    let _ = fs::remove_file(&vsix);
    let vsce = dir.join("node_modules").join(".bin").join(if cfg!(windows) { "vsce.cmd" } else { "vsce" });
    let output =
        run(&vsce, &["package", "--allow-missing-repository", "--skip-license", "--out", vsix.to_str().unwrap()], &dir);
    assert_success("`vsce package` in editors/vscode", &output);
    let bytes = fs::read(&vsix).unwrap();
    // A zip names every member in plain text in its central directory.
    for member in [
        "extension/package.json",
        "extension/extension.js",
        "extension/syntaxes/drop.tmLanguage.json",
        "extension/language-configuration.json",
        "extension/node_modules/vscode-languageclient/package.json",
    ] {
        assert!(bytes.windows(member.len()).any(|w| w == member.as_bytes()), "{member} missing from the .vsix");
    }
    assert!(!bytes.windows(b"extension/test/".len()).any(|w| w == b"extension/test/"), "tests must not be packaged");
}

/// Every `*.json` file under `dir`, outside `node_modules`.
fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.file_name() != Some(OsStr::new("node_modules")) {
                json_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn read_json(path: &Path) -> Value {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => panic!("cannot read {}: {err}", path.display()),
    };
    match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(err) => panic!("{} is not valid JSON: {err}", path.display()),
    }
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

#[test]
fn vscode_extension_manifest() {
    let dir = vscode_dir();
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    let names: Vec<String> = files
        .iter()
        .filter_map(|p| p.strip_prefix(&dir).ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    for expected in
        ["package.json", "package-lock.json", "language-configuration.json", "syntaxes/drop.tmLanguage.json"]
    {
        assert!(names.iter().any(|n| n == expected), "missing editors/vscode/{expected}");
    }
    for file in &files {
        read_json(file);
    }
    let manifest = &read_json(&dir.join("package.json"));

    assert_eq!(str_at(manifest, "/name"), Some("dropc-drop"));
    assert_eq!(str_at(manifest, "/publisher"), Some("dropc"));
    assert!(str_at(manifest, "/displayName").is_some(), "package.json has no displayName");
    assert!(str_at(manifest, "/engines/vscode").is_some(), "package.json has no engines.vscode");
    let tester = str_at(manifest, "/devDependencies/vscode-tmgrammar-test").unwrap_or("");
    assert!(
        !tester.is_empty() && tester.chars().all(|c| c.is_ascii_digit() || c == '.'),
        "vscode-tmgrammar-test must be pinned to an exact version, not {tester:?}"
    );

    // contributes.languages: id `drop` for `.drop` files, with its configuration.
    let languages = manifest.pointer("/contributes/languages").and_then(Value::as_array);
    let drop = languages.into_iter().flatten().find(|l| str_at(l, "/id") == Some("drop"));
    let Some(drop) = drop else {
        panic!("package.json contributes no language `drop`");
    };
    let extensions: Vec<&str> =
        drop.pointer("/extensions").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    assert!(extensions.contains(&".drop"), "language `drop` has no `.drop` extension");
    let aliases = drop.pointer("/aliases").and_then(Value::as_array).map_or(0, Vec::len);
    assert!(aliases > 0, "language `drop` has no aliases");
    let config_path = str_at(drop, "/configuration").unwrap_or("");
    let config = read_json(&dir.join(config_path));
    assert_eq!(str_at(&config, "/comments/lineComment"), Some("//"));
    assert_eq!(str_at(&config, "/comments/blockComment/0"), Some("/*"));
    assert_eq!(str_at(&config, "/comments/blockComment/1"), Some("*/"));

    // contributes.grammars: `source.drop` for language `drop`, and the grammar
    // file it names says the same.
    let grammars = manifest.pointer("/contributes/grammars").and_then(Value::as_array);
    let grammar = grammars.into_iter().flatten().find(|g| str_at(g, "/language") == Some("drop"));
    let Some(grammar) = grammar else {
        panic!("package.json contributes no grammar for language `drop`");
    };
    assert_eq!(str_at(grammar, "/scopeName"), Some("source.drop"));
    let grammar_path = str_at(grammar, "/path").unwrap_or("");
    let tm = read_json(&dir.join(grammar_path));
    assert_eq!(str_at(&tm, "/scopeName"), Some("source.drop"));
    assert!(tm.pointer("/patterns").and_then(Value::as_array).is_some_and(|p| !p.is_empty()));

    // Every `#name` the grammar includes exists in its repository.
    let mut includes = Vec::new();
    collect_includes(&tm, &mut includes);
    for include in includes {
        if let Some(name) = include.strip_prefix('#') {
            assert!(
                tm.pointer(&format!("/repository/{name}")).is_some(),
                "the grammar includes `#{name}`, which its repository lacks"
            );
        }
    }
}

fn collect_includes(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("include", Value::String(s)) => out.push(s.clone()),
                    _ => collect_includes(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_includes(v, out)),
        _ => {}
    }
}

#[test]
fn vim_syntax_highlights() {
    let Some(vim) = find_on_path("vim") else {
        missing_tool("Vim syntax tests need vim");
        return;
    };
    let test_dir = repo_root().join("editors").join("vim").join("test");
    // Removed when dropped, even if the test panics.
    let out_dir = tempfile::Builder::new().prefix("dropc-vim-test-").tempdir().unwrap();
    let result = out_dir.path().join("result.txt");
    let script = test_dir.join("check.vim");
    let mut command = Command::new(&vim);
    command
        .args(["-N", "-u", "NONE", "-i", "NONE", "-n", "-es", "-S"])
        .arg(&script)
        .env("DROPC_VIM_RESULT", &result)
        .current_dir(&test_dir);
    let output = match command.output() {
        Ok(output) => output,
        Err(err) => panic!("cannot run {}: {err}", vim.display()),
    };
    let report = fs::read_to_string(&result).unwrap_or_default();
    if report.starts_with("SKIP") {
        missing_tool("Vim syntax tests need a vim with +syntax");
        return;
    }
    assert!(
        report.starts_with("OK"),
        "Vim syntax test failed ({}):\n{report}\n--- vim stdout ---\n{}\n--- vim stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    eprintln!("vim: {}", report.lines().next().unwrap_or(""));
}
