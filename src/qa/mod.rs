//! Quality assurance: audits no human review can match, of a collection's
//! inputs (art files, before anything is generated) and of its output folder
//! (every image, metadata file, rarity and provenance record, after `run`).
//!
//! This stage sits after publishing in the pipeline:
//!
//! ```text
//! Model ─audit_inputs─▶ findings          (dropc qa FILE.drop)
//! output folder ─audit_output─▶ findings   (dropc qa DIR, dropc run --qa)
//!                 ─report─▶ report.html
//! ```
//!
//! An audit never stops at the first problem and never prints: it returns
//! every [`Finding`], each naming what it is about (a token, a file, a variant
//! or the whole collection), what is wrong and what to do. The CLI turns them
//! into text, JSON or the HTML report.

use std::path::PathBuf;

use serde::Serialize;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The collection is wrong and must not ship as it is.
    Error,
    /// Probably a mistake; look at it.
    Warning,
}

/// What a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Subject {
    /// The collection as a whole (counts, distribution, provenance).
    Collection,
    /// One token of the output, by id.
    Token {
        /// The token id.
        id: u64,
    },
    /// A file: an art file (relative to the project folder) or an output file
    /// (relative to the output folder).
    File {
        /// The file's path, `/`-separated.
        path: String,
    },
    /// One variant of a trait.
    Variant {
        /// The trait's name.
        #[serde(rename = "trait")]
        trait_name: String,
        /// The variant's name.
        variant: String,
    },
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Collection => write!(f, "collection"),
            Subject::Token { id } => write!(f, "token {id}"),
            Subject::File { path } => write!(f, "`{path}`"),
            Subject::Variant { trait_name, variant } => write!(f, "`{trait_name}.{variant}`"),
        }
    }
}

/// One problem an audit found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// A stable code, `qa::snake_case`; every code is listed in the reference.
    pub code: &'static str,
    /// What it is about.
    pub subject: Subject,
    /// What is wrong: lowercase, one line, no final period.
    pub message: String,
    /// What to do about it.
    pub help: String,
    /// Images that show the problem, relative to the output folder (for the
    /// report); may be empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<PathBuf>,
}

impl Finding {
    /// An error finding.
    pub fn error(code: &'static str, subject: Subject, message: impl Into<String>, help: impl Into<String>) -> Finding {
        Finding { severity: Severity::Error, code, subject, message: message.into(), help: help.into(), images: vec![] }
    }

    /// A warning finding.
    pub fn warning(
        code: &'static str,
        subject: Subject,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        Finding {
            severity: Severity::Warning,
            code,
            subject,
            message: message.into(),
            help: help.into(),
            images: vec![],
        }
    }

    /// The same finding, showing `images` in the report.
    pub fn with_images(mut self, images: impl IntoIterator<Item = PathBuf>) -> Finding {
        self.images.extend(images);
        self
    }
}

/// Sorts findings into the order they are reported: errors first, then by
/// subject, code and message, so output never depends on thread scheduling.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.severity, &a.subject, a.code, &a.message).cmp(&(b.severity, &b.subject, b.code, &b.message))
    });
}

/// Findings as plain text, one block per finding:
///
/// ```text
/// error[qa::missing_image]: token 17: `images/17.png` is missing
///   help: run `dropc run` again; it renders only what is missing
/// ```
pub fn render_human(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let severity = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!("{severity}[{}]: {}: {}\n", f.code, f.subject, f.message));
        if !f.help.is_empty() {
            out.push_str(&format!("  help: {}\n", f.help));
        }
    }
    out
}

pub mod distribution;
pub mod image;
pub mod inputs;
pub mod occlusion;
pub mod output;
pub mod parity;
pub mod profiles;
pub mod read;
pub mod record;
pub mod report;
pub mod schema;
