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
fn png_imports_nothing_but_the_file_opener() {
    only_imports(&["src/png"], &["png", "files"]);
}

#[test]
fn the_file_opener_imports_nothing_and_digests_only_it() {
    only_imports(&["src/files.rs"], &[]);
    only_imports(&["src/digest.rs"], &["files"]);
}

/// `check` reads the model, art (through `files`, `png`, `digest`) and the
/// solver; it uses `sample`'s quota plan to decide `count` rules, so that
/// it accepts exactly what `run` can draw (ARCHITECTURE.md). It imports no
/// later stage: not `render`, `publish`, `output` or `qa`.
#[test]
fn the_checker_imports_no_later_stage() {
    only_imports(
        &["src/check"],
        &["check", "model", "span", "diagnostic", "png", "files", "digest", "syntax", "solve", "sample"],
    );
}

/// The solver is a library of algorithms over factor graphs built from the
/// model; the sampler draws with it. Neither reads art or writes files.
#[test]
fn the_solver_and_the_sampler_import_no_later_stage() {
    only_imports(&["src/solve"], &["solve", "model"]);
    only_imports(&["src/sample"], &["sample", "solve", "model", "span", "diagnostic"]);
}

/// Every file dropc reads of art, records and output images goes through
/// `files` (a FIFO never blocks, a device or folder is refused, sizes are
/// bounded): no module opens such a file by itself, the importers'
/// `config.js` and layers included. What stays outside is the command line,
/// the parser's tests and the language server, which read the `.drop` files
/// the user names (the command line through `files` too).
#[test]
fn art_and_records_are_opened_only_through_the_file_opener() {
    let found = code_containing(
        &["fs::read(", "File::open(", "fs::read_to_string("],
        &["src/files.rs", "src/cli/", "src/syntax/", "src/lsp/"],
    );
    assert!(found.is_empty(), "files opened outside `files`:\n{}", found.join("\n"));
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
