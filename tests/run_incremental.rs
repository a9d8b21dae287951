//! `dropc run` is incremental and crash-safe: after an art edit only the
//! tokens that use the edited file are redrawn, and a run killed midway and
//! run again leaves exactly what an uninterrupted run leaves.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn dropc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).output().expect("dropc runs")
}

/// A private copy of an example, so that its art can be edited.
fn copy_example(name: &str, to: &Path) -> PathBuf {
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            let (src, dst) = (entry.path(), to.join(entry.file_name()));
            if src.is_dir() {
                if entry.file_name() != "out" {
                    copy_dir(&src, &dst);
                }
            } else {
                std::fs::copy(&src, &dst).unwrap();
            }
        }
    }
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name), to);
    to.to_path_buf()
}

/// Every file below `dir` with its bytes, by relative path.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn summary_counts(stderr: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(stderr);
    let number_after = |word: &str| -> usize {
        let at = text.find(word).unwrap_or_else(|| panic!("`{word}` in {text}")) + word.len();
        text[at..].trim_start().split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
    };
    (number_after("rendered"), number_after("reused"))
}

#[test]
fn an_art_edit_redraws_only_the_tokens_that_use_it() {
    let base = std::env::temp_dir().join(format!("dropc-incremental-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let project = copy_example("pixel-pets", &base.join("project"));
    let drop = project.join("pets.drop");
    let out = base.join("out");
    let first = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    assert_eq!(summary_counts(&first.stderr), (64, 0));

    // Nothing changed: nothing is redrawn.
    let again = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(summary_counts(&again.stderr), (0, 64));

    // Redraw the crown: exactly the crowned tokens are rendered again.
    let tokens: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("tokens.json")).unwrap()).unwrap();
    let hat = tokens["traits"].as_array().unwrap().iter().position(|t| t == "Hat").unwrap();
    let crowned: Vec<u64> = tokens["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["variants"][hat] == "Crown")
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert!(!crowned.is_empty());
    let before = snapshot(&out);
    std::fs::copy(project.join("layers/Hat/Bow.png"), project.join("layers/Hat/Crown.png")).unwrap();
    let edited = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(edited.status.code(), Some(0), "{}", String::from_utf8_lossy(&edited.stderr));
    assert_eq!(summary_counts(&edited.stderr), (crowned.len(), 64 - crowned.len()));
    let after = snapshot(&out);
    let changed: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b.1 != a.1)
        .map(|(b, _)| b.0.as_str())
        .filter(|name| name.starts_with("images/") && !name.contains('x'))
        .collect();
    let expected: Vec<String> = crowned.iter().map(|id| format!("images/{id}.png")).collect();
    let mut changed: Vec<String> = changed.iter().map(|s| s.to_string()).collect();
    changed.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(changed, expected, "only the crowned tokens' images change");

    // And the result is what a fresh run on the edited art gives.
    let fresh = base.join("fresh");
    let clean = dropc(&["run", drop.to_str().unwrap(), "-o", fresh.to_str().unwrap()]);
    assert_eq!(clean.status.code(), Some(0));
    assert_eq!(snapshot(&out), snapshot(&fresh));
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn a_killed_run_finishes_whole_and_correct_when_run_again() {
    let base = std::env::temp_dir().join(format!("dropc-killed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let project = copy_example("pixel-pets", &base.join("project"));
    let drop = project.join("pets.drop");
    // Slow the run down so that the kill lands midway: a large extra size.
    let text: Vec<String> = std::fs::read_to_string(&drop)
        .unwrap()
        .lines()
        .map(|l| if l.trim_start().starts_with("sizes") { "    sizes 512, 1024".to_string() } else { l.to_string() })
        .collect();
    assert!(text.iter().any(|l| l.contains("1024")));
    let text = text.join("\n");
    std::fs::write(&drop, text).unwrap();
    let reference = base.join("reference");
    let full = dropc(&["run", drop.to_str().unwrap(), "-o", reference.to_str().unwrap(), "--jobs", "2"]);
    assert_eq!(full.status.code(), Some(0), "{}", String::from_utf8_lossy(&full.stderr));

    let out = base.join("out");
    for delay_ms in [100, 400, 1000] {
        let _ = std::fs::remove_dir_all(&out);
        let mut child = Command::new(env!("CARGO_BIN_EXE_dropc"))
            .args(["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap(), "--jobs", "1"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let again = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap(), "--jobs", "2"]);
        assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stderr));
        let (got, want) = (snapshot(&out), snapshot(&reference));
        let names = |s: &[(String, Vec<u8>)]| s.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&got), names(&want), "after a kill at {delay_ms} ms: the same files, no leftovers");
        assert!(got == want, "after a kill at {delay_ms} ms: every file byte-identical to an uninterrupted run");
    }
    let _ = std::fs::remove_dir_all(&base);
}
