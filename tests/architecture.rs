//! The import graph's invariants (ARCHITECTURE.md, "Invariants"), checked
//! mechanically: every path into the crate (`crate::module`) written in a
//! module's source files, comments and its test module aside, names a module
//! the invariant allows. (A unit test may build its model from source text
//! with the checker; clippy's `items_after_test_module` keeps the test
//! module at the end of its file, so nothing after it escapes the check.)

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
/// `crate::<module>`, with the line, comments and the test module (a
/// `#[cfg(test)]` module, the file's last item) left out.
fn crate_modules(file: &Path) -> Vec<(usize, String)> {
    let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        if line.trim() == "#[cfg(test)]" && lines.peek().is_some_and(|(_, next)| next.trim_start().starts_with("mod "))
        {
            break;
        }
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

/// The scanner sees paths in code and in items after a `#[cfg(test)]`
/// attribute that is not on a module, and nothing in comments or in the
/// test module.
#[test]
fn the_scanner_leaves_out_only_comments_and_the_test_module() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary folder: {e}"));
    let file = dir.path().join("m.rs");
    let text = "use crate::a::X; // crate::comment\n#[cfg(test)]\nfn helper() { crate::b::f() }\n\
                #[cfg(test)]\nmod tests {\n    use crate::c::Y;\n}\n";
    fs::write(&file, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
    assert_eq!(crate_modules(&file), vec![(1, "a".to_string()), (3, "b".to_string())]);
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

/// `check` reads the model, art (through `files`, `png`, `digest`), the
/// solver, and the compiled law (`plan`) with which it decides `count`
/// rules as `run` does, so that it accepts exactly what `run` can draw. It
/// imports no later stage: not `sample`, `render`, `publish`, `output` or
/// `qa` (ARCHITECTURE.md).
#[test]
fn the_checker_imports_no_later_stage() {
    only_imports(
        &["src/check"],
        &["check", "model", "span", "diagnostic", "png", "files", "digest", "syntax", "solve", "plan"],
    );
}

/// The solver is a library of algorithms over factor graphs built from the
/// model; `plan` compiles a model with it into the law the sampler draws
/// from and `check` decides counts with; the sampler draws. None reads
/// art, checks source or writes files.
#[test]
fn the_solver_the_plan_and_the_sampler_import_no_later_stage() {
    only_imports(&["src/solve"], &["solve", "model"]);
    only_imports(&["src/plan"], &["plan", "solve", "model", "span", "diagnostic"]);
    only_imports(&["src/sample"], &["sample", "plan", "solve", "model", "span", "diagnostic"]);
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
