//! The `qa::` code table (`dropc::qa::QaCode`) against its tests and its
//! reference: every code is expected by name in some test of the audits
//! (an assertion on a finding, not merely mentioned), and has its row in
//! `docs/reference.md`. Like `drop::` codes and their fixtures
//! (`tests/fixtures.rs`), a code added without both fails here.

// Tests may fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use dropc::diagnostic::Severity;
use dropc::qa::{Finding, QaCode, Subject};

/// The test files that exercise the audits.
const TESTS: [&str; 5] = ["qa_inputs.rs", "qa_output.rs", "report.rs", "run_incremental.rs", "looks.rs"];

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_qa_code_has_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tests: String = TESTS.iter().map(|f| read(&root.join("tests").join(f))).collect();
    let missing: Vec<&str> = QaCode::ALL
        .iter()
        .map(|c| c.name())
        .filter(|name| {
            // Expected as `("name", subject)` (tests/qa_output.rs) or as
            // `"qa::name"` (the others).
            !tests.contains(&format!("(\"{name}\"")) && !tests.contains(&format!("\"qa::{name}\""))
        })
        .collect();
    assert!(missing.is_empty(), "qa codes that no test expects: {missing:?}");
}

#[test]
fn every_qa_code_is_in_the_reference_with_its_severity() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference = read(&root.join("docs/reference.md"));
    for code in QaCode::ALL {
        let severity = match code.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        let row = format!("| `{code}` | {severity} |");
        assert!(reference.contains(&row), "docs/reference.md has no row `{row}`");
    }
}

#[test]
fn a_finding_has_its_code_severity_and_is_written_with_its_prefix() {
    for &code in QaCode::ALL {
        let f = Finding::new(code, Subject::Collection, "m", "h");
        assert_eq!(f.severity, code.severity());
        assert_eq!(f.code.to_string(), format!("qa::{}", code.name()));
    }
    let f = Finding::new(dropc::diagnostic::Code::ArtGamma, Subject::Collection, "m", "h");
    assert_eq!(f.code.to_string(), "drop::art_gamma");
    assert_eq!(f.severity, Severity::Warning);
    let json = serde_json::to_value(&f).unwrap();
    assert_eq!(json["code"], "drop::art_gamma");
    assert_eq!(json["severity"], "warning");
    // Names are unique across both tables.
    let mut names: Vec<&str> = QaCode::ALL.iter().map(|c| c.name()).collect();
    names.extend(dropc::diagnostic::Code::ALL.iter().map(|c| c.name()));
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "a name is in both tables");
}
