//! `dropc` through the real binary: the command-line contract of CLI.md
//! (output streams, JSON shape, exit codes) and every bundled example.

// Tests and benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dropc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dropc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the dropc binary runs")
}

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&root).expect("examples/ exists").flatten() {
        if entry.path().is_dir() {
            for file in std::fs::read_dir(entry.path()).expect("example folder").flatten() {
                if file.path().extension().is_some_and(|e| e == "drop") {
                    found.push(file.path());
                }
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_example_checks_without_warnings() {
    let examples = examples();
    assert!(examples.len() >= 2, "at least two examples are bundled");
    for example in examples {
        let out = dropc(&["check", example.to_str().expect("utf-8 path")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{}:\n{stderr}", example.display());
        assert!(stderr.contains("no problems"), "{}:\n{stderr}", example.display());
    }
}

#[test]
fn every_example_checks_clean_in_json() {
    for example in examples() {
        let out = dropc(&["check", example.to_str().expect("utf-8 path"), "--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
        assert_eq!(json["diagnostics"].as_array().map(Vec::len), Some(0), "{}: {json:#}", example.display());
        assert_eq!(out.status.code(), Some(0));
    }
}

#[test]
fn json_diagnostics_have_the_documented_shape() {
    let out = dropc(&["check", "tests/fixtures/feasibility/count_infeasible.drop", "--format", "json", "--no-art"]);
    assert_eq!(out.status.code(), Some(1), "errors exit with 1");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    let diagnostics = json["diagnostics"].as_array().expect("a diagnostics array");
    let error = diagnostics.iter().find(|d| d["code"] == "drop::count_infeasible").expect("the count error");
    assert_eq!(error["severity"], "error");
    assert!(error["message"].as_str().is_some_and(|m| m.contains("need at least 6")));
    let label = &error["labels"][0];
    assert_eq!(label["line"], 34);
    assert_eq!(label["column"], 1);
    assert_eq!(label["length"], "count Eyes.Laser <= 5".len());
    let text = std::fs::read_to_string("tests/fixtures/feasibility/count_infeasible.drop").expect("fixture");
    let offset = label["offset"].as_u64().expect("offset") as usize;
    assert!(text[offset..].starts_with("count Eyes.Laser <= 5"));
    let warning = diagnostics.iter().find(|d| d["severity"] == "warning").expect("a warning");
    assert_eq!(warning["code"], "drop::improbable_count");
}

#[test]
fn human_reports_go_to_stderr_with_code_and_help() {
    let out = dropc(&["check", "tests/fixtures/names/unknown_variant.drop", "--no-art"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "human reports are on stderr only");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("drop::unknown_variant"), "{stderr}");
    assert!(stderr.contains("did you mean `Helmet`?"), "{stderr}");
    assert!(stderr.contains("2 errors and 0 warnings"), "{stderr}");
}

#[test]
fn warnings_alone_exit_zero() {
    let out = dropc(&["check", "tests/fixtures/rules/duplicate_rule.drop", "--no-art"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn several_files_are_checked_at_once() {
    let out = dropc(&[
        "check",
        "--no-art",
        "--format",
        "json",
        "tests/fixtures/names/unknown_trait.drop",
        "tests/fixtures/weights/negative_weight.drop",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let files: std::collections::BTreeSet<&str> =
        json["diagnostics"].as_array().into_iter().flatten().filter_map(|d| d["file"].as_str()).collect();
    assert_eq!(files.len(), 2, "{json:#}");
}

#[test]
fn unreadable_file_is_a_usage_error() {
    let out = dropc(&["check", "no/such/file.drop"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn bad_flags_are_usage_errors() {
    assert_eq!(dropc(&["check", "--format", "xml", "x.drop"]).status.code(), Some(2));
    assert_eq!(dropc(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(dropc(&["check"]).status.code(), Some(2));
}

#[test]
fn missing_art_is_listed_file_by_file() {
    let out = dropc(&["check", "tests/fixtures/ok/core.drop", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let missing =
        json["diagnostics"].as_array().into_iter().flatten().filter(|d| d["code"] == "drop::missing_art").count();
    assert_eq!(missing, 14, "every variant's missing file is reported");
}

/// Most tokens translucent: `check` predicts it and `run` measures it, both
/// with the code `drop::translucent_tokens`; a `background` silences both.
#[test]
fn translucent_tokens_are_warned_by_check_and_by_run() {
    let tmp = tempfile::Builder::new().prefix("dropc-cli-swirl-").tempdir().unwrap();
    let root = tmp.path();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/art");
    for file in ["Background/Blue.png", "Background/Swirl.png", "Eyes/Normal.png"] {
        let to = root.join("translucent-layers").join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from.join("translucent-layers").join(file), to).unwrap();
    }
    let text = std::fs::read_to_string(from.join("translucent.drop")).unwrap();
    let drop = root.join("swirl.drop");
    // Only Swirl: every token is translucent.
    std::fs::write(&drop, text.replace("Blue: 1, Swirl: 3", "Blue: 0, Swirl: 3")).unwrap();
    let check = dropc(&["check", drop.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(stderr.contains("drop::translucent_tokens"), "{stderr}");
    let out = root.join("out");
    let run = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let flat = stderr.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("1 of the 1 tokens rendered have translucent pixels"), "{stderr}");
    assert_eq!(stderr.matches("drop::translucent_tokens").count(), 2, "predicted and measured: {stderr}");
    // qa measures it on the output folder too.
    let qa = dropc(&["qa", out.to_str().unwrap(), "--format", "json", "--no-report"]);
    let doc: serde_json::Value = serde_json::from_slice(&qa.stdout).unwrap();
    let found = doc["findings"].as_array().unwrap().iter().any(|f| {
        f["code"] == "drop::translucent_tokens" && f["message"].as_str().unwrap().starts_with("1 of the 1 generated")
    });
    assert!(found, "{doc:#}");
    // A background: neither.
    std::fs::write(&drop, text.replace("size   1", "size   1\n    background #101018")).unwrap();
    let run = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success() && !stderr.contains("translucent"), "{stderr}");
}
