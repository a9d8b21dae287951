//! `dropc fmt`: the canonical layout, its guarantees and the command.
//!
//! - Every fixture that parses and every example formats to a file that
//!   parses to the same syntax tree (spans aside), checks with the same
//!   diagnostics (codes and messages), keeps every comment, and formats to
//!   itself again.
//! - A snapshot of the layout of every construct (`tests/snapshots/fmt__messy.snap`,
//!   reviewed with `cargo insta review`); the examples are written in the
//!   canonical layout, so formatting leaves them unchanged.
//! - The command: rewriting, `--check`, files with syntax errors.

// Tests and benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use dropc::check::NoArt;
use dropc::check_text;
use dropc::fmt::{FormatError, format, scan};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn drop_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            drop_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "drop") {
            out.push(path);
        }
    }
}

/// The text of every comment, in order.
fn comment_texts(text: &str) -> Vec<String> {
    scan(text).iter().map(|c| text[c.span.start..c.span.end].trim_end().to_string()).collect()
}

/// Codes and messages of `check` (spans move when the layout does).
fn findings(text: &str) -> Vec<String> {
    check_text(text, &NoArt).diagnostics.iter().map(|d| format!("{} {}", d.code, d.message)).collect()
}

#[test]
fn every_fixture_and_example_formats_to_the_same_meaning() {
    let mut files = Vec::new();
    drop_files(&repo().join("tests/fixtures"), &mut files);
    drop_files(&repo().join("examples"), &mut files);
    let mut formatted_count = 0;
    let mut failures = Vec::new();
    for path in &files {
        let name = path.strip_prefix(repo()).unwrap().display().to_string();
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let Ok(tree) = dropc::parse(&text) else {
            assert!(matches!(format(&text), Err(FormatError::Syntax(_))), "{name}: a syntax error must be reported");
            continue;
        };
        let once = match format(&text) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{name}: {e:?}"));
                continue;
            }
        };
        formatted_count += 1;
        let again = dropc::parse(&once).unwrap_or_else(|e| panic!("{name}: formatted text does not parse: {e:?}"));
        if again != tree {
            failures.push(format!("{name}: the syntax tree changed"));
        }
        if format(&once).ok().as_deref() != Some(once.as_str()) {
            failures.push(format!("{name}: formatting is not idempotent"));
        }
        if comment_texts(&once) != comment_texts(&text) {
            failures.push(format!("{name}: comments lost or reordered"));
        }
        if findings(&once) != findings(&text) {
            failures.push(format!("{name}: check reports other findings after formatting"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(formatted_count > 50, "only {formatted_count} files formatted: fixtures not found?");
}

/// A file written carelessly: every construct, odd spacing, comments in
/// every position the layout distinguishes.
const MESSY: &str = r#"// Header comment.
/* block
   comment */
collection   "Messy"{ size 30 seed "s"   // the seed
canvas 64x64
  layers "layers"

   description "two groups of settings"
   creators "A": 60%,"B": 40%
}
trait Background<Neon:10,Sunset:25,Void:5>
trait Body<Ape:20,Zombie:5 from Ape hue 100,Robot:2>
hidden trait Shadow<Soft:3,Hard:1>blend multiply opacity 50%



trait Eyes <
  Normal: 20, // most
  // the rare ones
  Cyber: 3,
  Laser: 1 "eyes/laser.png" blend screen
>
trait Hair<none:6,"Long Hair":2["hair/front.png","hair/back.png" below Body],Gold:1 from "Long Hair" palette{#000000->#ffcc00,#111111->#eebb00,#222222->#ddaa00,#333333->#cc9900}>folder "hair"
forbid Eyes.Cyber,Eyes.Laser with Body.Robot
require Body.Robot->Eyes.Cyber|Eyes.Laser // robots see
when Body.Zombie|Body.Robot{Eyes<Normal:1,Laser:4>}
count Eyes.Laser<=10
count Background.Void   >=   5
unique   by Body,Eyes
legendary "One" at 3 "one.png"{Background:Void,Body:Ape}
/* trailing */
"#;

#[test]
fn layout_of_every_construct() {
    let formatted = format(MESSY).unwrap();
    insta::assert_snapshot!("messy", formatted);
}

/// The examples are what authors copy: they are written in the canonical
/// layout, so `dropc fmt` leaves every one of them unchanged.
#[test]
fn the_examples_are_in_the_canonical_layout() {
    let mut files = Vec::new();
    drop_files(&repo().join("examples"), &mut files);
    assert!(files.len() >= 3, "examples not found");
    let changed: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            format(&text).unwrap() != text
        })
        .map(|path| path.strip_prefix(repo()).unwrap().display().to_string())
        .collect();
    assert!(changed.is_empty(), "not in the canonical layout (run `dropc fmt` on them): {changed:?}");
}

#[test]
fn long_variant_lists_go_one_per_line_and_short_ones_stay_on_one() {
    let long = format!(
        "collection \"C\" {{ size 1 canvas 8 x 8 }}\ntrait T < {} >\ntrait U <\n    A: 1,\n    B: 2,\n>\n",
        (0..20).map(|i| format!("Variant{i}: {i}")).collect::<Vec<_>>().join(", ")
    );
    let formatted = format(&long).unwrap();
    assert!(formatted.contains("trait T <\n    Variant0:  0,\n"), "{formatted}");
    assert!(formatted.contains("    Variant19: 19,\n>\n"), "{formatted}");
    assert!(formatted.contains("trait U < A: 1, B: 2 >\n"), "{formatted}");
}

#[test]
fn profiles_options_keep_their_place_and_round_trip() {
    let messy = "collection \"C\" { size 2 canvas 8 x 8 profiles ignore }\n\
                 trait Eyes<Normal:3 profiles   check,Laser:1 \"eyes/laser.png\" blend screen profiles ignore>profiles ignore\n\
                 when Eyes.Laser{art Eyes.Normal \"eyes/odd.png\"   profiles check}\n";
    let formatted = format(messy).unwrap();
    assert!(
        formatted.contains(
            "trait Eyes <\n    Normal: 3 profiles check,\n    \
             Laser:  1 \"eyes/laser.png\" blend screen profiles ignore,\n> profiles ignore\n"
        ),
        "{formatted}"
    );
    assert!(formatted.contains("art Eyes.Normal \"eyes/odd.png\" profiles check\n"), "{formatted}");
    assert_eq!(dropc::parse(&formatted).unwrap(), dropc::parse(messy).unwrap(), "the same tree");
    assert_eq!(format(&formatted).unwrap(), formatted, "formatting is idempotent");
    assert_eq!(findings(&formatted), findings(messy));
}

#[test]
fn comments_inside_a_line_keep_the_text_as_written() {
    let text = "collection \"C\" { size 1 canvas 8 x 8 }\nforbid A.x, /* why */ A.y with B.z\n";
    let formatted = format(text).unwrap();
    assert!(formatted.contains("forbid A.x, /* why */ A.y with B.z\n"), "{formatted}");
}

fn dropc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).output().unwrap()
}

/// A fresh temporary folder, removed when dropped (even if the test panics).
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("dropc-fmt-{name}-")).tempdir().unwrap()
}

#[test]
fn fmt_check_lists_files_that_would_change_and_changes_nothing() {
    let tmp = temp_dir("check");
    let dir = tmp.path().to_path_buf();
    let messy = dir.join("messy.drop");
    let tidy = dir.join("tidy.drop");
    std::fs::write(&messy, MESSY).unwrap();
    std::fs::write(&tidy, format(MESSY).unwrap()).unwrap();
    let out = dropc(&["fmt", "--check", messy.to_str().unwrap(), tidy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), messy.display().to_string());
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), MESSY, "--check must not write");

    let out = dropc(&["fmt", "--check", tidy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty());
}

#[test]
fn fmt_rewrites_in_place_and_leaves_files_with_syntax_errors() {
    let tmp = temp_dir("write");
    let dir = tmp.path().to_path_buf();
    let messy = dir.join("messy.drop");
    let broken = dir.join("broken.drop");
    let broken_text = "collection \"C\" {  size 1 }\ntrait T < A 1 >\n";
    std::fs::write(&messy, MESSY).unwrap();
    std::fs::write(&broken, broken_text).unwrap();
    let out = dropc(&["fmt", messy.to_str().unwrap(), broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), format(MESSY).unwrap());
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), broken_text, "a file with syntax errors is left as is");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("drop::syntax"), "{stderr}");
    assert!(std::fs::read_dir(&dir).unwrap().count() == 2, "no temporary file is left behind");

    let out = dropc(&["fmt", messy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = dropc(&["fmt", dir.join("missing.drop").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
