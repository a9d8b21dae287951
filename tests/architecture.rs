//! The import graph's invariants (ARCHITECTURE.md, "Invariants"), checked
//! mechanically: every path into the crate (`crate::module`) written in a
//! module's source files, comments aside, names a module the invariant allows.

#![allow(clippy::panic)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `path` (or `path` itself when it is a file).
fn sources(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(path)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", path.display()))
        .map(|e| e.map(|e| e.path()).unwrap_or_else(|e| panic!("cannot list {}: {e}", path.display())))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// The top-level modules of the crate that `file` names through
/// `crate::<module>`, with the line, comments left out.
fn crate_modules(file: &Path) -> Vec<(usize, String)> {
    let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = &rest[..at];
            rest = &rest[at + "crate::".len()..];
            // `dropc::crate::` does not exist; `$crate::` is a macro's own crate.
            if before.ends_with('$') || before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let module: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            out.push((n + 1, module));
        }
    }
    out
}

/// Fails with every place where a module under `paths` names a crate
/// module outside `allowed`.
fn only_imports(paths: &[&str], allowed: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let allowed: BTreeSet<&str> = allowed.iter().copied().collect();
    let mut wrong = Vec::new();
    for p in paths {
        let files = sources(&root.join(p));
        assert!(!files.is_empty(), "no sources under {p}");
        for file in files {
            for (line, module) in crate_modules(&file) {
                if !allowed.contains(module.as_str()) {
                    wrong.push(format!(
                        "{}:{line} names `crate::{module}`",
                        file.strip_prefix(root).unwrap_or(&file).display()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} may name only {allowed:?}:\n{}", paths.join(", "), wrong.join("\n"));
}

#[test]
fn span_imports_nothing_of_the_crate() {
    only_imports(&["src/span.rs"], &[]);
}

#[test]
fn the_model_imports_nothing_but_spans_and_diagnostics() {
    only_imports(&["src/model"], &["model", "span", "diagnostic"]);
}

#[test]
fn diagnostics_import_nothing_but_spans() {
    only_imports(&["src/diagnostic.rs"], &["diagnostic", "span"]);
}

#[test]
fn the_renderer_does_not_import_the_checker() {
    only_imports(&["src/render"], &["render", "model", "span", "diagnostic", "png"]);
}

#[test]
fn png_imports_nothing_of_the_crate() {
    only_imports(&["src/png"], &["png"]);
}

#[test]
fn the_checker_does_not_import_the_renderer() {
    only_imports(
        &["src/check"],
        &["check", "model", "span", "diagnostic", "png", "syntax", "solve", "sample", "publish"],
    );
}

/// Every place in `src/`, outside the paths starting with one of `outside`, where a
/// line of code, comments aside, contains one of `needles`.
fn code_containing(needles: &[&str], outside: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for file in sources(&root.join("src")) {
        let rel = file.strip_prefix(root).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        if outside.iter().any(|o| rel.starts_with(o)) {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for needle in needles {
                if code.contains(needle) {
                    found.push(format!("{rel}:{} `{needle}`", n + 1));
                }
            }
        }
    }
    found
}

#[test]
fn only_the_command_line_prints_or_reads_the_environment() {
    let found = code_containing(
        &["println!", "eprintln!", "print!(", "eprint!(", "stdout()", "stderr()", "stdin()", "env::var", "env::args"],
        &["src/cli/", "src/main.rs"],
    );
    assert!(found.is_empty(), "printing or environment outside src/cli:\n{}", found.join("\n"));
}

#[test]
fn only_the_output_module_names_the_output_files() {
    let exceptions = ["src/output/"];
    let names = [
        "\"collection.json\"",
        "\"tokens.json\"",
        "\"rarity.json\"",
        "\"provenance.json\"",
        "\"manifest.json\"",
        "\"manifest.journal\"",
        "\".dropc.lock\"",
        "join(\"metadata\")",
        "join(\"images\")",
    ];
    let found = code_containing(&names, &exceptions);
    assert!(found.is_empty(), "output file names spelt outside src/output:\n{}", found.join("\n"));
}
