//! Diagnostics: what every stage reports about the input.
//!
//! Stages collect [`Diagnostic`]s (data: a code, a message, labelled spans and
//! help) and never print. This module turns them into miette's graphical
//! reports or into the JSON format of `dropc check --format json`, in one place.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use serde::Serialize;

use crate::span::Span;

/// How serious a diagnostic (or a `dropc qa` finding) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The collection cannot be generated as written, or must not ship as
    /// it is.
    Error,
    /// Probably not as meant: look at it.
    Warning,
    /// Worth knowing, nothing to fix: dropc did something on its own (it
    /// cropped a transparent margin, ignored a colour profile as told).
    Note,
}

/// A table of stable codes: an enum with every code's name and severity.
/// `codes! { enum QaCode = "qa"; MissingImage => "missing_image", Error; }`
/// makes codes written `qa::missing_image`; without `enum`, the table is
/// `drop::`'s [`Code`]. Every code table of dropc (`drop::` here, `qa::` in
/// [`crate::qa`]) is made by this macro, so they share [`Severity`], naming
/// and display.
macro_rules! codes {
    (enum $enum:ident = $prefix:literal; $($variant:ident => $name:literal, $severity:ident;)*) => {
        #[doc = concat!("A stable code, written `", $prefix, "::name`.")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $enum {
            $(
                #[doc = concat!("`", $prefix, "::", $name, "`")]
                $variant,
            )*
        }

        impl $enum {
            /// Every code, in declaration order.
            pub const ALL: &'static [$enum] = &[$($enum::$variant),*];

            #[doc = concat!("The code's name without the `", $prefix, "::` prefix.")]
            pub const fn name(self) -> &'static str {
                match self { $($enum::$variant => $name,)* }
            }

            #[doc = concat!("The code as written: `", $prefix, "::name`.")]
            pub const fn as_str(self) -> &'static str {
                match self { $($enum::$variant => concat!($prefix, "::", $name),)* }
            }

            /// The severity of everything reported with this code.
            pub const fn severity(self) -> $crate::diagnostic::Severity {
                match self { $($enum::$variant => $crate::diagnostic::Severity::$severity,)* }
            }
        }

        impl std::fmt::Display for $enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    ($($variant:ident => $name:literal, $severity:ident;)*) => {
        codes! { enum Code = "drop"; $($variant => $name, $severity;)* }
    };
}
pub(crate) use codes;

codes! {
    Syntax => "syntax", Error;
    MissingCollection => "missing_collection", Error;
    DuplicateCollection => "duplicate_collection", Error;
    UnknownSetting => "unknown_setting", Error;
    DuplicateSetting => "duplicate_setting", Error;
    MissingSetting => "missing_setting", Error;
    InvalidValue => "invalid_value", Error;
    LimitExceeded => "limit_exceeded", Error;
    DuplicateTrait => "duplicate_trait", Error;
    DuplicateVariant => "duplicate_variant", Error;
    UnknownTrait => "unknown_trait", Error;
    UnknownVariant => "unknown_variant", Error;
    UnknownGroup => "unknown_group", Error;
    DuplicateGroup => "duplicate_group", Error;
    EmptyGroup => "empty_group", Error;
    GroupShadowsTrait => "group_shadows_trait", Error;
    InvalidWeight => "invalid_weight", Error;
    NegativeWeight => "negative_weight", Error;
    ZeroWeights => "zero_weights", Error;
    ReservedName => "reserved_name", Error;
    InvalidOption => "invalid_option", Error;
    InvalidPlacement => "invalid_placement", Error;
    InvalidDerive => "invalid_derive", Error;
    ArtOnMetadataTrait => "art_on_metadata_trait", Error;
    WhenCycle => "when_cycle", Error;
    AmbiguousWhen => "ambiguous_when", Error;
    AmbiguousWhenArt => "ambiguous_when_art", Error;
    ConflictingUnique => "conflicting_unique", Error;
    CountConflict => "count_conflict", Error;
    CountInfeasible => "count_infeasible", Error;
    SizeInfeasible => "size_infeasible", Error;
    PathEscape => "path_escape", Error;
    MissingArt => "missing_art", Error;
    AmbiguousArt => "ambiguous_art", Error;
    InvalidArt => "invalid_art", Error;
    ArtSizeMismatch => "art_size_mismatch", Error;
    ArtColourProfile => "art_colour_profile", Error;
    VisualNeedsArt => "visual_needs_art", Error;
    VisualConditionalArt => "visual_conditional_art", Error;
    LegendaryConflict => "legendary_conflict", Error;
    MetaplexLimit => "metaplex_limit", Error;
    CreatorShares => "creator_shares", Error;
    UnusedVariant => "unused_variant", Warning;
    ImpossibleVariant => "impossible_variant", Warning;
    RuleNeverFires => "rule_never_fires", Warning;
    DuplicateRule => "duplicate_rule", Warning;
    ImprobableCount => "improbable_count", Warning;
    UniquenessDrift => "uniqueness_drift", Warning;
    FeasibilityUnknown => "feasibility_unknown", Warning;
    ArtGamma => "art_gamma", Warning;
    MixedColourProfiles => "mixed_colour_profiles", Warning;
    IgnoredColourProfile => "ignored_colour_profile", Warning;
    IdenticalArt => "identical_art", Warning;
    RedundantSize => "redundant_size", Warning;
    RedundantProfiles => "redundant_profiles", Warning;
    TranslucentTokens => "translucent_tokens", Warning;
    ArtCropped => "art_cropped", Note;
    ColourProfilesIgnored => "colour_profiles_ignored", Note;
}

/// A labelled span: where the problem is and what is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The span in the source.
    pub span: Span,
    /// What the label says (may be empty).
    pub message: String,
}

/// One finding about the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable code.
    pub code: Code,
    /// One line, lowercase, no final period; user input in backticks.
    pub message: String,
    /// Labelled spans; the first is the primary one.
    pub labels: Vec<Label>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with `code`'s severity, pointing at `span`.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: code.severity(),
            code,
            message: message.into(),
            labels: vec![Label { span, message: String::new() }],
            help: None,
        }
    }

    /// Sets the primary label's text.
    pub fn label(mut self, message: impl Into<String>) -> Self {
        if let Some(first) = self.labels.first_mut() {
            first.message = message.into();
        }
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label { span, message: message.into() });
        self
    }

    /// Sets the help text.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The primary span.
    pub fn span(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts diagnostics by position, then code, so output is stable.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.span().start, a.span().end, a.code, &a.message).cmp(&(b.span().start, b.span().end, b.code, &b.message))
    });
}

/// A source file: its display name and text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown in reports (usually the path as given).
    pub name: String,
    /// The whole text.
    pub text: String,
    /// Byte offset of the start of every line, computed on first use.
    line_starts: std::sync::OnceLock<Vec<usize>>,
    /// Whether the text holds a `\r`, computed on first use.
    has_cr: std::sync::OnceLock<bool>,
}

impl SourceFile {
    /// A source file named `name` holding `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
            has_cr: std::sync::OnceLock::new(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s <= offset);
        let line_start = starts.get(line.saturating_sub(1)).copied().unwrap_or(0);
        let column = self.text.get(line_start..offset).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }
}

impl SourceFile {
    /// Whether every line from the one holding `start` to the one holding
    /// `end`, and the line either side (drawn as context), is at most
    /// `limit` bytes long.
    fn lines_within(&self, start: usize, end: usize, limit: usize) -> bool {
        let starts = self.line_starts();
        let first = starts.partition_point(|&s| s <= start.min(self.text.len())).saturating_sub(1);
        let last = starts.partition_point(|&s| s <= end.min(self.text.len())).saturating_sub(1);
        (first.saturating_sub(1)..=(last + 1).min(starts.len() - 1)).all(|line| {
            let from = starts[line];
            let to = starts.get(line + 1).copied().unwrap_or(self.text.len());
            to - from <= limit
        })
    }

    /// Byte offset of the start of every line (after each `\n`).
    fn line_starts(&self) -> &[usize] {
        self.line_starts
            .get_or_init(|| std::iter::once(0).chain(self.text.match_indices('\n').map(|(i, _)| i + 1)).collect())
    }
}

/// miette reads a report's source through this. Its own implementation for
/// text scans from the start of the file for every span, which made a report
/// of a few hundred warnings in a 10,000-line file take half a second; this
/// one jumps to the lines around the span with the line index and lets miette
/// scan only from there, so the result is the same, span for span.
impl miette::SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        // miette also breaks lines at a lone `\r`, which the index does not:
        // such files take miette's own path.
        let (skipped_lines, window) = if *self.has_cr.get_or_init(|| self.text.contains('\r')) {
            (0, 0)
        } else {
            let starts = self.line_starts();
            let line = starts.partition_point(|&s| s <= span.offset()).saturating_sub(1);
            // One line more than the context: miette's scan looks at the
            // byte before the span, which may end the line above.
            line.checked_sub(context_lines_before + 1).map_or((0, 0), |first| (first, starts[first]))
        };
        let shifted = miette::SourceSpan::new(span.offset().saturating_sub(window).into(), span.len());
        let inner = self.text.as_bytes()[window..].read_span(&shifted, context_lines_before, context_lines_after)?;
        let data = inner.data();
        let start = window + inner.span().offset();
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[start..start + data.len()],
            (start, data.len()).into(),
            inner.line() + skipped_lines,
            inner.column(),
            inner.line_count() + skipped_lines,
        )))
    }
}

/// A diagnostic together with its source, as miette wants it.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: &'a SourceFile,
    /// Whether miette draws the source lines under the message. Off when a
    /// label sits on a line too long to draw (see [`SNIPPET_LINE_LIMIT`]):
    /// the labels are then given as `file:line:column` in the help.
    snippet: bool,
    /// The help text, with the labels' locations when there is no snippet.
    help: Option<String>,
}

/// The longest line (in bytes) whose labels miette draws under the source.
/// miette pads with a width argument that must fit in a `u16`, so a label
/// past column 65,535 made it panic; a line of thousands of characters is
/// unreadable drawn anyway (a generated file with every variant on one line).
const SNIPPET_LINE_LIMIT: usize = 4096;

impl<'a> Report<'a> {
    fn new(diagnostic: &'a Diagnostic, source: &'a SourceFile) -> Self {
        let snippet = diagnostic
            .labels
            .iter()
            .all(|label| source.lines_within(label.span.start, label.span.end, SNIPPET_LINE_LIMIT));
        let help = if snippet {
            diagnostic.help.clone()
        } else {
            let mut text = String::new();
            for label in &diagnostic.labels {
                let (line, column) = source.line_column(label.span.start);
                text.push_str(&format!("at {}:{line}:{column}", source.name));
                if !label.message.is_empty() {
                    text.push_str(&format!(": {}", label.message));
                }
                text.push('\n');
            }
            match &diagnostic.help {
                Some(help) => text.push_str(help),
                None => {
                    text.pop();
                }
            }
            Some(text)
        };
        Report { diagnostic, source, snippet, help }
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.snippet.then_some(self.source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.snippet {
            return None;
        }
        let labels = self.diagnostic.labels.iter().enumerate().map(|(i, label)| {
            let text = (!label.message.is_empty()).then(|| label.message.clone());
            if i == 0 {
                LabeledSpan::new_primary_with_span(text, label.span)
            } else {
                LabeledSpan::new_with_span(text, label.span)
            }
        });
        Some(Box::new(labels))
    }
}

/// How human reports are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Unicode boxes with colours (for terminals).
    Colour,
    /// Unicode boxes, no colours (for files, pipes and snapshots).
    Plain,
}

/// Renders diagnostics as miette graphical reports, `width` columns wide.
pub fn render_human(diagnostics: &[Diagnostic], source: &SourceFile, style: Style, width: usize) -> String {
    let theme = match style {
        Style::Colour => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(width);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let report = Report::new(diagnostic, source);
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &report);
        out.push('\n');
    }
    out
}

/// A label in the JSON format.
#[derive(Clone, Debug, Serialize)]
pub struct JsonLabel {
    /// 1-based line of the span's start.
    pub line: usize,
    /// 1-based column (in characters) of the span's start.
    pub column: usize,
    /// Byte offset of the span's start.
    pub offset: usize,
    /// Byte length of the span.
    pub length: usize,
    /// 1-based line of the span's end.
    pub end_line: usize,
    /// 1-based column of the span's end.
    pub end_column: usize,
    /// The label's text.
    pub message: String,
}

/// A diagnostic in the JSON format.
#[derive(Clone, Debug, Serialize)]
pub struct JsonDiagnostic {
    /// The file the diagnostic is about.
    pub file: String,
    /// `"error"`, `"warning"` or `"note"`.
    pub severity: Severity,
    /// `drop::...`
    pub code: String,
    /// The one-line message.
    pub message: String,
    /// Labelled spans, the primary first.
    pub labels: Vec<JsonLabel>,
    /// Help text, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// Converts a diagnostic to its JSON form.
pub fn to_json(diagnostic: &Diagnostic, source: &SourceFile) -> JsonDiagnostic {
    JsonDiagnostic {
        file: source.name.clone(),
        severity: diagnostic.severity,
        code: diagnostic.code.to_string(),
        message: diagnostic.message.clone(),
        labels: diagnostic
            .labels
            .iter()
            .map(|label| {
                let (line, column) = source.line_column(label.span.start);
                let (end_line, end_column) = source.line_column(label.span.end);
                JsonLabel {
                    line,
                    column,
                    offset: label.span.start,
                    length: label.span.len(),
                    end_line,
                    end_column,
                    message: label.message.clone(),
                }
            })
            .collect(),
        help: diagnostic.help.clone(),
    }
}

/// The closest candidate to a misspelt `name`, if one is close enough.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `1 token`, `2 tokens`, `10,000 tokens`: a count in a message, the report
/// or the command line's summaries, always worded the same way.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{} {word}s", thousands(n as u64)) }
}

/// `12345` as `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A label far along a very long line (a generated file with every
    /// variant on one line) made miette panic; such a report names the
    /// place instead of drawing the line.
    #[test]
    fn labels_on_very_long_lines_are_located_not_drawn() {
        let mut text = "trait Serial < ".to_string();
        for i in 0..20_000 {
            text.push_str(&format!("s{i}: 1, "));
        }
        text.push_str(">\n// one\n// two\nforbid A.x with B.y\n");
        let far = text.find("s19999").unwrap_or_default();
        let source = SourceFile::new("serial.drop", text);
        let long = Diagnostic::new(Code::Syntax, Span::new(far, far + 6), "far along").label("here").help("do this");
        let short =
            Diagnostic::new(Code::Syntax, Span::new(source.text.len() - 20, source.text.len() - 1), "on a short line");
        let next_to_long =
            Diagnostic::new(Code::Syntax, Span::new(source.text.len() - 34, source.text.len() - 28), "next to it");
        let out = render_human(&[long, short, next_to_long], &source, Style::Plain, 80);
        let (line, column) = source.line_column(far);
        assert_eq!(line, 1);
        assert!(out.contains(&format!("at serial.drop:1:{column}: here")), "{out}");
        assert!(out.contains("at serial.drop:2:1"), "a label beside the long line is located: {out}");
        assert!(out.contains("do this"), "{out}");
        assert!(out.contains("forbid A.x with B.y"), "the short line is still drawn: {out}");
        assert!(!out.contains("s19998"), "the long line is not drawn: {out}");
    }

    #[test]
    fn line_and_column_count_characters_from_one() {
        let source = SourceFile::new("x.drop", "ab\ncdé\n\nf");
        assert_eq!(source.line_column(0), (1, 1));
        assert_eq!(source.line_column(2), (1, 3));
        assert_eq!(source.line_column(3), (2, 1));
        assert_eq!(source.line_column(7), (2, 4)); // after `é` (two bytes)
        assert_eq!(source.line_column(8), (3, 1));
        assert_eq!(source.line_column(9), (4, 1));
        assert_eq!(source.line_column(100), (4, 2));
    }

    /// The indexed source reads exactly what miette's own scan of the text
    /// reads, for every span and amount of context.
    #[test]
    fn indexed_spans_equal_miettes_own() {
        use miette::SourceCode;
        let texts = [
            "trait A < X: 1 >\n\ntrait B < Y: 2, Z: 3 >\n// c\nforbid A.X with B.Y\n",
            "a\nb\nc",
            "\n\n\n",
            "x\r\ny\rz\n",
        ];
        for text in texts {
            let source = SourceFile::new("f.drop", text);
            for start in 0..=text.len() {
                for len in 0..=(text.len() - start).min(12) {
                    let span = miette::SourceSpan::new(start.into(), len);
                    for before in 0..3 {
                        for after in 0..3 {
                            let ours = source.read_span(&span, before, after).map_err(|e| e.to_string());
                            let theirs = text.as_bytes().read_span(&span, before, after).map_err(|e| e.to_string());
                            let view = |c: Result<Box<dyn miette::SpanContents<'_> + '_>, String>| {
                                c.map(|c| (c.data().to_vec(), *c.span(), c.line(), c.column(), c.line_count()))
                            };
                            assert_eq!(view(ours), view(theirs), "{text:?} {start}+{len} context {before}/{after}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn counts_are_worded_one_way() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(10_000_000), "10,000,000");
        assert_eq!(plural(1, "token"), "1 token");
        assert_eq!(plural(0, "token"), "0 tokens");
        assert_eq!(plural(10_000, "image"), "10,000 images");
    }
}
