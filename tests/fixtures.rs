//! The fixture suite: one test per `tests/fixtures/**/*.drop` file.
//!
//! Each fixture states the diagnostics it expects in its own comments, one
//! per line:
//!
//! ```text
//! // Error: drop::unknown_variant 12:14-12:20
//! // Warning: drop::unused_variant 3:5-3:9 "never drawn"
//! ```
//!
//! The code and the primary span (`line:column-line:column`, 1-based) must
//! match exactly; a quoted text, when given, must occur in the message. A
//! `// Help: text` line right after an expectation states the diagnostic's
//! help where it matters (a did-you-mean, the fix to suggest): the help must
//! contain that text. A fixture with no such lines must check cleanly. Fixtures under
//! `tests/fixtures/art/` read their art from disk; the others are checked
//! without art.

// Tests and benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use dropc::check::{ArtStore, DiskArt, NoArt};
use dropc::check_text;
use dropc::diagnostic::Code;
use dropc::{Severity, SourceFile};
use libtest_mimic::{Arguments, Failed, Trial};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    severity: String,
    code: String,
    span: String,
    text: Option<String>,
    help: Option<String>,
}

fn fixtures(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            fixtures(&path, out);
        } else if path.extension().is_some_and(|e| e == "drop") {
            out.push(path);
        }
    }
}

fn parse_expectations(text: &str) -> Result<Vec<Expected>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(help) = line.strip_prefix("// Help:") {
            let last: &mut Expected =
                out.last_mut().ok_or_else(|| format!("line {}: `// Help:` without an expectation before it", n + 1))?;
            if last.help.is_some() {
                return Err(format!("line {}: a second `// Help:` for one expectation", n + 1));
            }
            last.help = Some(help.trim().trim_matches('"').to_string());
            continue;
        }
        let Some(rest) = line
            .strip_prefix("// Error:")
            .map(|r| ("error", r))
            .or_else(|| line.strip_prefix("// Warning:").map(|r| ("warning", r)))
            .or_else(|| line.strip_prefix("// Note:").map(|r| ("note", r)))
        else {
            continue;
        };
        let (severity, rest) = rest;
        let mut parts = rest.trim().splitn(3, ' ');
        let code = parts.next().unwrap_or_default().to_string();
        let span = parts.next().ok_or_else(|| format!("line {}: expectation without a span", n + 1))?.to_string();
        let text = parts.next().map(|t| t.trim().trim_matches('"').to_string());
        out.push(Expected { severity: severity.to_string(), code, span, text, help: None });
    }
    Ok(out)
}

fn run_fixture(path: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let expected = parse_expectations(&text)?;
    let with_art = path.components().any(|c| c.as_os_str() == "art");
    let disk = DiskArt { root: path.parent().map(Path::to_path_buf).unwrap_or_default() };
    let store: &dyn ArtStore = if with_art { &disk } else { &NoArt };
    let checked = check_text(&text, store);
    let source = SourceFile::new(path.display().to_string(), text.clone());
    let mut found = Vec::new();
    for d in &checked.diagnostics {
        let (l1, c1) = source.line_column(d.span().start);
        let (l2, c2) = source.line_column(d.span().end);
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        found.push((
            severity.to_string(),
            d.code.to_string(),
            format!("{l1}:{c1}-{l2}:{c2}"),
            d.message.clone(),
            d.help.clone().unwrap_or_default(),
        ));
    }
    let mut problems = Vec::new();
    let mut unmatched: Vec<bool> = vec![true; found.len()];
    for e in &expected {
        let hit = found.iter().enumerate().position(|(i, f)| {
            unmatched[i]
                && f.0 == e.severity
                && f.1 == e.code
                && f.2 == e.span
                && e.text.as_ref().is_none_or(|t| f.3.contains(t.as_str()))
                && e.help.as_ref().is_none_or(|h| f.4.contains(h.as_str()))
        });
        match hit {
            Some(i) => unmatched[i] = false,
            None => problems.push(format!(
                "expected, not found: // {}: {} {} {:?}{}",
                capitalise(&e.severity),
                e.code,
                e.span,
                e.text,
                e.help.as_ref().map_or(String::new(), |h| format!(" with help {h:?}"))
            )),
        }
    }
    for (i, f) in found.iter().enumerate() {
        if unmatched[i] {
            problems.push(format!(
                "found, not expected: // {}: {} {} \"{}\"\n// Help: {}",
                capitalise(&f.0),
                f.1,
                f.2,
                f.3,
                f.4
            ));
        }
    }
    if !expected.iter().any(|e| e.severity == "error") && checked.model.is_none() {
        problems.push("no error expected, but the checker produced no model".into());
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("\n").into()) }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// Every diagnostic code is exercised by at least one fixture.
fn every_code_has_a_fixture(paths: &[PathBuf]) -> Result<(), Failed> {
    let mut seen = std::collections::BTreeSet::new();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        for e in parse_expectations(&text)? {
            seen.insert(e.code);
        }
    }
    let missing: Vec<String> = Code::ALL.iter().map(|c| c.to_string()).filter(|c| !seen.contains(c)).collect();
    if missing.is_empty() { Ok(()) } else { Err(format!("codes without a fixture: {}", missing.join(", ")).into()) }
}

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths = Vec::new();
    fixtures(&root, &mut paths);
    let mut trials: Vec<Trial> = paths
        .iter()
        .map(|path| {
            let name = path.strip_prefix(&root).unwrap_or(path).display().to_string();
            let path = path.clone();
            Trial::test(name, move || run_fixture(&path))
        })
        .collect();
    let all = paths.clone();
    trials.push(Trial::test("every_code_has_a_fixture", move || every_code_has_a_fixture(&all)));
    libtest_mimic::run(&args, trials).exit();
}
