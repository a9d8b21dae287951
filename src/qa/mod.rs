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

use serde::{Serialize, Serializer};

pub use crate::diagnostic::Severity;
use crate::diagnostic::{Code, codes};

codes! { enum QaCode = "qa";
    // Inputs (`inputs`).
    UnreadableArt => "unreadable_art", Error;
    TransparentVariant => "transparent_variant", Warning;
    ArtOutsideCanvas => "art_outside_canvas", Warning;
    CoveringLayer => "covering_layer", Warning;
    OccludedVariant => "occluded_variant", Warning;
    VisualDuplicate => "visual_duplicate", Error;
    // The output folder's files (`output`).
    MissingImage => "missing_image", Error;
    MissingMetadata => "missing_metadata", Error;
    MissingRecord => "missing_record", Error;
    UnreadableRecord => "unreadable_record", Error;
    ExtraFile => "extra_file", Error;
    ImageUnreadable => "image_unreadable", Error;
    ImageSize => "image_size", Error;
    ImageFormat => "image_format", Error;
    ImageSrgb => "image_srgb", Warning;
    BlankImage => "blank_image", Error;
    SizeMismatch => "size_mismatch", Warning;
    DuplicateImage => "duplicate_image", Error;
    NearDuplicate => "near_duplicate", Warning;
    MetadataUnreadable => "metadata_unreadable", Error;
    MetadataSchema => "metadata_schema", Error;
    MetadataAttributes => "metadata_attributes", Error;
    MetadataUri => "metadata_uri", Error;
    MetadataField => "metadata_field", Error;
    // Parity of images and metadata (`parity`).
    ParityMismatch => "parity_mismatch", Error;
    ParityUnmapped => "parity_unmapped", Error;
    ParityUnchecked => "parity_unchecked", Error;
    // The records (`output`, `distribution`).
    TokensRecord => "tokens_record", Error;
    TokenIds => "token_ids", Error;
    DrawMismatch => "draw_mismatch", Error;
    CountViolated => "count_violated", Error;
    Distribution => "distribution", Error;
    RarityRecord => "rarity_record", Error;
    ProvenanceRecord => "provenance_record", Error;
    ProvenanceHash => "provenance_hash", Error;
    ManifestRecord => "manifest_record", Error;
    ManifestVersion => "manifest_version", Warning;
    ManifestHash => "manifest_hash", Error;
    ManifestKey => "manifest_key", Error;
    CollectionRecord => "collection_record", Error;
    SourceChanged => "source_changed", Warning;
    ArtChanged => "art_changed", Warning;
}

impl QaCode {
    /// The usual cause of many findings of this code at once, in one line:
    /// what the report says above a group it folds.
    pub const fn cause(self) -> &'static str {
        match self {
            QaCode::UnreadableArt => "art files whose pixels cannot be decoded: corrupted or cut-short exports",
            QaCode::TransparentVariant => "variants whose art draws nothing: empty layers or `opacity 0`",
            QaCode::ArtOutsideCanvas => "offsets that push art past the canvas edge, where it is cut off",
            QaCode::CoveringLayer => "an opaque full-canvas layer above other traits hides everything below it",
            QaCode::OccludedVariant => "variants hidden by others that the rules allow with them",
            QaCode::VisualDuplicate => "tokens that differ only in variants nobody can see: identical or hidden art",
            QaCode::MissingImage => "images missing from the folder: an interrupted run, or files removed after it",
            QaCode::MissingMetadata => {
                "metadata missing from the folder: an interrupted run, or files removed after it"
            }
            QaCode::MissingRecord => "record files missing: the run did not finish, or the folder was copied in part",
            QaCode::UnreadableRecord => "record files that cannot be read or are not JSON: damaged or replaced files",
            QaCode::ExtraFile => "files that are no token's in the published folders: they would be published too",
            QaCode::ImageUnreadable => "images that cannot be read or decoded: links, damaged or foreign files",
            QaCode::ImageSize => "images of another size than the `.drop` gives: edited or from another run",
            QaCode::ImageFormat => "images re-encoded by another tool (not indexed, 8-bit RGB or RGBA)",
            QaCode::ImageSrgb => "images re-encoded by another tool, which dropped the `sRGB` chunk",
            QaCode::BlankImage => "single-colour images: empty or fully transparent layers",
            QaCode::SizeMismatch => "extra sizes that do not show their canvas image: edited or swapped files",
            QaCode::DuplicateImage => "tokens with identical pixels: variants that draw the same, or no `unique`",
            QaCode::NearDuplicate => "tokens that look almost alike: traits that barely show",
            QaCode::MetadataUnreadable => "metadata files that cannot be read or are not JSON",
            QaCode::MetadataSchema => "metadata that breaks its flavour's schema: edited by another tool",
            QaCode::MetadataAttributes => "metadata whose attributes were edited after the run",
            QaCode::MetadataUri => "`image` or `external_url` not from the `.drop`'s templates: changed templates",
            QaCode::MetadataField => "metadata fields other than the `.drop` gives: edited, or the `.drop` changed",
            QaCode::ParityMismatch => "images that do not show what their metadata says: edited images or art",
            QaCode::ParityUnmapped => "metadata naming what the collection does not have: edited metadata",
            QaCode::ParityUnchecked => "tokens whose parity could not be checked: missing files or broken art",
            QaCode::TokensRecord => "a record of another collection, seed or `.drop`",
            QaCode::TokenIds => "token ids missing, doubled or out of range in `tokens.json`",
            QaCode::DrawMismatch => "a record that is not what the `.drop` draws: edited, or the `.drop` changed",
            QaCode::CountViolated => "`count` statements the record does not keep",
            QaCode::Distribution => "variants drawn improbably often or rarely: an edited or foreign record",
            QaCode::RarityRecord => "a ranking other than the recorded tokens give",
            QaCode::ProvenanceRecord => "a provenance record that is not consistent with itself",
            QaCode::ProvenanceHash => "images changed after the run: the provenance no longer commits to them",
            QaCode::ManifestRecord => "a manifest that does not list every token and size",
            QaCode::ManifestVersion => "a folder written by another dropc version",
            QaCode::ManifestHash => "images changed after the run: the manifest no longer describes them",
            QaCode::ManifestKey => "images made from other inputs than the record and the `.drop` give",
            QaCode::CollectionRecord => "a summary that disagrees with the record or the `.drop`",
            QaCode::SourceChanged => "the `.drop` changed since the run",
            QaCode::ArtChanged => "art changed since the run: the tokens that use it are stale",
        }
    }
}

/// A finding's code: `qa::` for what only the audit finds, `drop::` for a
/// problem `dropc check` also reports (an art file's colour space, art
/// drawn twice): one problem, one code, whichever command finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingCode {
    /// A code of the audits' table, [`QaCode`].
    Qa(QaCode),
    /// A code of `check`'s table, [`Code`].
    Drop(Code),
}

impl FindingCode {
    /// The code as written: `qa::missing_image`, `drop::art_gamma`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FindingCode::Qa(c) => c.as_str(),
            FindingCode::Drop(c) => c.as_str(),
        }
    }

    /// The severity of its findings, from its table.
    pub const fn severity(self) -> Severity {
        match self {
            FindingCode::Qa(c) => c.severity(),
            FindingCode::Drop(c) => c.severity(),
        }
    }

    /// The usual cause of many findings of this code, in one line (see
    /// [`QaCode::cause`]).
    pub const fn cause(self) -> &'static str {
        match self {
            FindingCode::Qa(c) => c.cause(),
            FindingCode::Drop(Code::ArtColourProfile) => "art exported in another colour space than sRGB",
            FindingCode::Drop(Code::ArtGamma) => "art exported with gamma chunks but no `sRGB` chunk",
            FindingCode::Drop(Code::MixedColourProfiles) => "layers of one trait exported with other colour settings",
            FindingCode::Drop(Code::IdenticalArt) => "variants that draw the same art",
            FindingCode::Drop(_) => "what `dropc check` reports too: run it for the spans",
        }
    }
}

impl From<QaCode> for FindingCode {
    fn from(code: QaCode) -> Self {
        FindingCode::Qa(code)
    }
}

impl From<Code> for FindingCode {
    fn from(code: Code) -> Self {
        FindingCode::Drop(code)
    }
}

impl std::fmt::Display for FindingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FindingCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for FindingCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
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
    /// How bad it is: its code's severity.
    pub severity: Severity,
    /// A stable code (`qa::snake_case`, or `drop::` for what `check` also
    /// finds); every code is listed in the reference.
    pub code: FindingCode,
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
    /// A finding with `code`, of its code's severity.
    pub fn new(
        code: impl Into<FindingCode>,
        subject: Subject,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        let code = code.into();
        Finding { severity: code.severity(), code, subject, message: message.into(), help: help.into(), images: vec![] }
    }

    /// The same finding, showing `images` in the report.
    pub fn with_images(mut self, images: impl IntoIterator<Item = PathBuf>) -> Finding {
        self.images.extend(images);
        self
    }

    /// Whether it is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts findings into the order they are reported: errors first, then by
/// subject, code and message, so output never depends on thread scheduling.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.severity, &a.subject, a.code.as_str(), &a.message).cmp(&(
            b.severity,
            &b.subject,
            b.code.as_str(),
            &b.message,
        ))
    });
}

/// What was audited besides the findings: said in both output formats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Tokens and image files audited, for an output folder; `None` for a
    /// `.drop`'s inputs alone.
    pub output: Option<OutputScope>,
    /// What was not audited, one phrase each.
    pub not_audited: Vec<String>,
}

/// What an audit of an output folder went through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputScope {
    /// Tokens of the record.
    pub tokens: usize,
    /// Image files decoded (all sizes).
    pub images: usize,
    /// Realised, predicted and expected shares, as JSON (`shares`).
    pub shares: serde_json::Value,
}

/// The one renderer of findings, in both formats of `dropc qa`: human
/// text ([`render_human`]) and JSON ([`render_json`]) say the same things.
///
/// Human, one block per finding and a summary:
///
/// ```text
/// error[qa::missing_image]: token 17: `images/17.png` is missing
///   help: run `dropc run` again; it renders only what is missing
/// qa: `out`: 64 tokens and 64 images audited in 0.4 s: 1 error, 0 warnings
/// ```
///
/// `what` names what was audited; `seconds` is how long it took.
pub fn render_human(findings: &[Finding], scope: &Scope, what: &str, seconds: f64) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut out = String::new();
    for f in findings {
        let severity = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        out.push_str(&format!("{severity}[{}]: {}: {}\n", f.code, f.subject, f.message));
        if !f.help.is_empty() {
            out.push_str(&format!("  help: {}\n", f.help));
        }
    }
    let audited = scope.output.as_ref().map_or_else(
        || "inputs".to_string(),
        |o| format!("{} and {}", plural(o.tokens, "token"), plural(o.images, "image")),
    );
    let errors = findings.iter().filter(|f| f.is_error()).count();
    let verdict = if findings.is_empty() {
        "no findings".to_string()
    } else {
        format!("{}, {}", plural(errors, "error"), plural(findings.len() - errors, "warning"))
    };
    out.push_str(&format!("qa: {what}: {audited} audited in {seconds:.1} s: {verdict}\n"));
    for missing in &scope.not_audited {
        out.push_str(&format!("qa: not audited: {missing}\n"));
    }
    out
}

/// The findings as one JSON document: `{"findings": [{"severity", "code",
/// "subject", "message", "help", "images"?}], "errors", "warnings"}`, and
/// for an output folder `"tokens"`, `"images"`, `"shares"` and
/// `"not_audited"`; see [`render_human`].
pub fn render_json(findings: &[Finding], scope: &Scope) -> String {
    let errors = findings.iter().filter(|f| f.is_error()).count();
    let mut doc = serde_json::json!({ "findings": findings, "errors": errors, "warnings": findings.len() - errors });
    if let Some(o) = &scope.output {
        doc["tokens"] = serde_json::json!(o.tokens);
        doc["images"] = serde_json::json!(o.images);
        doc["shares"] = o.shares.clone();
        doc["not_audited"] = serde_json::json!(scope.not_audited);
    }
    format!("{doc:#}\n")
}

/// The audit of an output folder: every finding (the inputs' and the
/// output's, sorted) and what the output audit read.
pub struct FolderAudit {
    /// Sorted as [`sort`] orders them.
    pub findings: Vec<Finding>,
    /// The output audit, whose records the report shows.
    pub audit: output::Audit,
}

/// Audits the inputs of `model` (art under `root`) and its output folder
/// `dir`, in the current rayon pool: `dropc qa DIR` and `dropc run --qa`.
pub fn audit_folder(
    model: &crate::model::Model,
    source: &[u8],
    root: &std::path::Path,
    dir: &std::path::Path,
) -> FolderAudit {
    let mut findings = inputs::audit(model, root);
    let audit = output::audit(model, source, root, dir);
    findings.extend(audit.findings.iter().cloned());
    sort(&mut findings);
    FolderAudit { findings, audit }
}

/// Writes `report.html` into `dir` for a folder audit, its charts with the
/// expected shares `dropc simulate` gives (from `check`'s `feasibility`)
/// where they can be computed; the path written.
pub fn write_folder_report(
    model: &crate::model::Model,
    folder: &FolderAudit,
    feasibility: Option<&crate::check::Feasibility>,
    dir: &std::path::Path,
) -> std::io::Result<PathBuf> {
    let audit = &folder.audit;
    let mut input = report::ReportInput::from_collection(model, &audit.tokens, &audit.seed, &folder.findings);
    input.use_recorded_ranking(audit.rarity.iter().map(|l| (l.id, l.rank, l.score)));
    let expected = crate::plan::Plan::new(model).and_then(|plan| {
        crate::sample::expected::expected(
            model,
            &plan,
            feasibility.and_then(|f| f.combinations.exact()),
            feasibility.and_then(|f| f.log_partition),
        )
    });
    if let Ok(expected) = &expected {
        input.use_expected(&expected.shares);
    }
    report::write_report(dir, &input)?;
    Ok(dir.join(report::REPORT_FILE))
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
