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
//! - `neovim_setup_headless` runs `editors/neovim/test/check.lua` in a
//!   headless Neovim (skipped like the others without `nvim`): filetype
//!   detection, then the server from `lsp/drop.lua` publishing diagnostics
//!   and answering hover (`vim.lsp.enable` on Neovim 0.11+, the same
//!   configuration through `vim.lsp.start_client` before).
//! - `helix_languages_toml` checks the Helix set-up statically (Helix is not
//!   packaged for Debian): the TOML, the server command, the grammar path,
//!   and that every highlight capture is a scope Helix's themes style.

// Tests and benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

// A test fails by panicking, with everything the failed tool printed.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::{find_on_path, missing_tool};

mod support;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vscode_dir() -> PathBuf {
    repo_root().join("editors").join("vscode")
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

/// The Neovim set-up (`editors/neovim`), driven headless by
/// `editors/neovim/test/check.lua`: `ftdetect/drop.lua` gives a `.drop` file
/// the filetype `drop`, and the server configured by `lsp/drop.lua` publishes
/// check's diagnostics and answers hover. On Neovim 0.11+ the script enables
/// the server with `vim.lsp.enable('drop')`; older versions (Debian's is
/// 0.7.2) start the same configuration with `vim.lsp.start_client`.
#[test]
fn neovim_setup_headless() {
    let Some(nvim) = find_on_path("nvim") else {
        missing_tool("the Neovim set-up test needs nvim");
        return;
    };
    let work = tempfile::Builder::new().prefix("dropc-nvim-test-").tempdir().unwrap();
    let pets = fs::read_to_string(repo_root().join("examples/pixel-pets/pets.drop")).unwrap();
    let broken = pets.replacen("forbid Body.Bunny", "forbid Body.Bunnny", 1);
    assert_ne!(broken, pets, "the example changed: pick another line to break");
    let file = work.path().join("pets.drop");
    fs::write(&file, broken).unwrap();
    let result = work.path().join("result.txt");
    let neovim = repo_root().join("editors").join("neovim");
    let mut child = Command::new(&nvim)
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-c", "luafile test/check.lua"])
        .current_dir(&neovim)
        .env("DROPC_NVIM_RUNTIME", &neovim)
        .env("DROPC_NVIM_SERVER", env!("CARGO_BIN_EXE_dropc"))
        .env("DROPC_NVIM_FILE", &file)
        .env("DROPC_NVIM_RESULT", &result)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", nvim.display()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nvim did not finish within 90 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let report = fs::read_to_string(&result).unwrap_or_default();
    assert!(status.success() && report.starts_with("OK"), "Neovim set-up test failed ({status}): {report}");
    eprintln!("neovim: {}", report.trim_end());
}

/// The Helix set-up (`editors/helix/languages.toml`; Helix is not packaged
/// for Debian, so it is not run): the file parses as TOML, ties the language
/// `drop` to `.drop` files, the server `dropc lsp` and the grammar in
/// `editors/tree-sitter-drop`, and every capture of the highlight queries is
/// a scope Helix's themes style (the list of its theme documentation).
#[test]
fn helix_languages_toml() {
    let text = fs::read_to_string(repo_root().join("editors/helix/languages.toml")).unwrap();
    let config: toml::Table = text.parse().unwrap_or_else(|e| panic!("languages.toml: {e}"));
    let language = config["language"].as_array().unwrap().iter().find(|l| l["name"].as_str() == Some("drop")).unwrap();
    assert_eq!(language["file-types"].as_array().unwrap()[0].as_str(), Some("drop"));
    assert_eq!(language["scope"].as_str(), Some("source.drop"));
    let servers = language["language-servers"].as_array().unwrap();
    assert!(servers.iter().any(|s| s.as_str() == Some("dropc")), "{servers:?}");
    let server = &config["language-server"]["dropc"];
    assert_eq!(server["command"].as_str(), Some("dropc"));
    assert_eq!(server["args"].as_array().unwrap()[0].as_str(), Some("lsp"));
    let grammar = config["grammar"].as_array().unwrap().iter().find(|g| g["name"].as_str() == Some("drop")).unwrap();
    let path = grammar["source"]["path"].as_str().unwrap();
    assert!(path.ends_with("editors/tree-sitter-drop"), "{path}");
    assert!(repo_root().join("editors/tree-sitter-drop/grammar.js").is_file());

    // https://docs.helix-editor.com/themes.html#syntax-highlighting
    const HELIX_SCOPES: &[&str] = &[
        "attribute",
        "type",
        "type.builtin",
        "type.parameter",
        "type.enum",
        "type.enum.variant",
        "constructor",
        "constant",
        "constant.builtin",
        "constant.builtin.boolean",
        "constant.character",
        "constant.character.escape",
        "constant.numeric",
        "constant.numeric.integer",
        "constant.numeric.float",
        "string",
        "string.regexp",
        "string.special",
        "string.special.path",
        "string.special.url",
        "string.special.symbol",
        "comment",
        "comment.line",
        "comment.block",
        "comment.block.documentation",
        "variable",
        "variable.builtin",
        "variable.parameter",
        "variable.other",
        "variable.other.member",
        "variable.other.member.private",
        "label",
        "punctuation",
        "punctuation.delimiter",
        "punctuation.bracket",
        "punctuation.special",
        "keyword",
        "keyword.control",
        "keyword.control.conditional",
        "keyword.control.repeat",
        "keyword.control.import",
        "keyword.control.return",
        "keyword.control.exception",
        "keyword.operator",
        "keyword.directive",
        "keyword.function",
        "keyword.storage",
        "keyword.storage.type",
        "keyword.storage.modifier",
        "operator",
        "function",
        "function.builtin",
        "function.method",
        "function.macro",
        "function.special",
        "tag",
        "tag.builtin",
        "namespace",
        "special",
    ];
    let queries = fs::read_to_string(repo_root().join("editors/tree-sitter-drop/queries/highlights.scm")).unwrap();
    let mut captures: Vec<&str> = queries
        .split('@')
        .skip(1)
        .map(|rest| rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_')).next().unwrap_or(""))
        .filter(|c| !c.is_empty())
        .collect();
    captures.sort_unstable();
    captures.dedup();
    assert!(captures.len() >= 5, "captures not found: {captures:?}");
    let unknown: Vec<&&str> = captures.iter().filter(|c| !HELIX_SCOPES.contains(c)).collect();
    assert!(unknown.is_empty(), "captures Helix themes do not style: {unknown:?}");
}
