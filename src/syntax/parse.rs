//! The pest parser, the lowering of its pairs into the AST, and syntax errors
//! in plain words.

use pest::Parser;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use super::ast::*;
use crate::diagnostic::{Code, Diagnostic};

pub use generated::{DropParser, Rule};

/// The parser pest derives from the grammar (its `Rule` enum mirrors the
/// grammar's rules, documented there).
mod generated {
    #![allow(missing_docs)]

    /// The parser generated from `grammar/drop.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "grammar/drop.pest"]
    pub struct DropParser;
}

/// Parses a whole `.drop` file.
///
/// On success returns the AST. On failure returns every syntax error found:
/// after the first one, parsing resumes at the next line that starts a
/// statement, so that one typo does not hide the next.
pub fn parse(source: &str) -> Result<File, Vec<Diagnostic>> {
    parse_with(source, &LIMITS)
}

/// [`parse`] with the given chunk sizes (tests make them tiny).
fn parse_with(source: &str, limits: &Limits) -> Result<File, Vec<Diagnostic>> {
    let file = match parse_in_parallel(source, limits) {
        Some(file) => file,
        None => match parse_chunk(source, 0, source.len()) {
            Ok(statements) => File { statements },
            Err(error) => return Err(recover(source, error)),
        },
    };
    let too_large = numbers_out_of_range(source);
    if too_large.is_empty() { Ok(file) } else { Err(too_large) }
}

/// Digits a number needs before its point to exceed `f64::MAX` (about 1.8 · 10^308).
const OUT_OF_RANGE_DIGITS: usize = 309;

/// A `limit_exceeded` error for every number too large to be represented
/// (the grammar has no exponent, so only a run of at least 309 digits can
/// be; files without one are not parsed again).
fn numbers_out_of_range(source: &str) -> Vec<Diagnostic> {
    let mut run = 0;
    let long_run = source.bytes().any(|b| {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        run >= OUT_OF_RANGE_DIGITS
    });
    if !long_run {
        return Vec::new();
    }
    let Ok(pairs) = DropParser::parse(Rule::file, source) else { return Vec::new() };
    pairs
        .flatten()
        .filter(|p| matches!(p.as_rule(), Rule::number | Rule::integer | Rule::percentage))
        .filter(|p| !p.as_str().trim_end_matches('%').parse::<f64>().is_ok_and(f64::is_finite))
        .map(|p| {
            let text = p.as_str();
            let digits = text.bytes().filter(u8::is_ascii_digit).count();
            let shown = format!("{}…{}", &text[..6.min(text.len())], &text[text.len().saturating_sub(3)..]);
            Diagnostic::new(
                Code::LimitExceeded,
                Span::new(p.as_span().start(), p.as_span().end()),
                format!("the number `{shown}` ({digits} digits) is out of range"),
            )
            .label("too large to represent")
            .help("numbers are at most about 1.8e308; weights are relative, so scale them all down alike")
        })
        .collect()
}

/// How a file is cut for parsing.
struct Limits {
    /// Files of at least this size are parsed in chunks on all cores.
    parallel: usize,
    /// The largest chunk of statements parsed at once: pest holds a token
    /// for the start and the end of every pair of a chunk until it is
    /// lowered (about 30 times the text of a rule), so chunks are kept small.
    chunk: usize,
    /// A statement at least this long is parsed on its own, and a trait's
    /// variant list in pieces of about `piece` bytes.
    long: usize,
    /// The length of a piece of a long variant list.
    piece: usize,
    /// Files of at least this size are parsed chunk after chunk on the
    /// calling thread. With glibc's allocator each thread allocates from an
    /// arena of its own, and memory freed in one arena serves only that
    /// arena: a syntax tree built on other threads stays resident in theirs
    /// once it is freed, beside the model the calling thread builds from it
    /// (12 MB of the 4.2 MB scale file's 95 MB). For files this large the
    /// peak memory is the target (20 times the file); the parse's wall time
    /// on two cores is what it costs.
    one_thread: usize,
}

/// The sizes [`parse`] uses.
const LIMITS: Limits =
    Limits { parallel: 64 * 1024, chunk: 64 * 1024, long: 64 * 1024, piece: 16 * 1024, one_thread: 1 << 20 };

/// Parses a large file as chunks that start at statement keywords, in
/// parallel. Statements are self-delimiting, so a split at a true statement
/// start parses exactly as the whole file does; a split in the wrong place
/// (a keyword-like word at the start of a line inside a block comment, say)
/// makes a chunk fail, and then the caller parses the whole file in one go.
/// A long statement is a chunk of its own: a trait's long variant list is
/// parsed in pieces ([`parse_long_trait`]).
fn parse_in_parallel(source: &str, limits: &Limits) -> Option<File> {
    use rayon::prelude::*;
    if source.len() < limits.parallel {
        return None;
    }
    let starts = statement_starts(source);
    let pieces = (rayon::current_num_threads() * 4).max(2);
    let step = (source.len() / pieces).min(limits.chunk);
    // (start, end, long): chunks of whole statements.
    let mut chunks: Vec<(usize, usize, bool)> = Vec::new();
    let mut from = 0;
    for (i, &start) in starts.iter().enumerate() {
        let next = starts.get(i + 1).copied().unwrap_or(source.len());
        if next - start >= limits.long {
            if start > from {
                chunks.push((from, start, false));
            }
            chunks.push((start, next, true));
            from = next;
        } else if start >= from + step {
            chunks.push((from, start, false));
            from = start;
        }
    }
    if from < source.len() {
        chunks.push((from, source.len(), false));
    }
    if chunks.len() < 2 && !chunks.iter().any(|c| c.2) {
        return None;
    }
    let parse = |&(start, end, long): &(usize, usize, bool)| {
        let pieces = if long { parse_long_trait(source, start, end, limits.piece) } else { None };
        pieces.or_else(|| parse_chunk(source, start, end).ok())
    };
    let parsed: Vec<Option<Vec<Statement>>> = if source.len() >= limits.one_thread {
        chunks.iter().map(parse).collect()
    } else {
        chunks.par_iter().map(parse).collect()
    };
    let mut statements = Vec::with_capacity(parsed.iter().flatten().map(Vec::len).sum());
    for chunk in parsed {
        statements.extend(chunk?);
    }
    Some(File { statements })
}

/// Parses `source[start..end]` as whole statements, with spans in `source`.
fn parse_chunk(source: &str, start: usize, end: usize) -> Result<Vec<Statement>, pest::error::Error<Rule>> {
    let text = source.get(start..end).unwrap_or("");
    let mut pairs = DropParser::parse(Rule::file, text)?;
    let mut statements = Vec::new();
    if let Some(pair) = pairs.next() {
        with_base(start, || statements.extend(pair.into_inner().filter_map(lower_statement)));
    }
    Ok(statements)
}

/// Runs `f` with spans lowered relative to `base`.
fn with_base<T>(base: usize, f: impl FnOnce() -> T) -> T {
    let old = BASE.with(|b| b.replace(base));
    let out = f();
    BASE.with(|b| b.set(old));
    out
}

/// Parses `source[start..end]`, a chunk that starts with a trait declaration
/// whose variant list is long, holding pest's tokens for one piece of the
/// list at a time: `trait_head` up to the `<`, then `variant_run` on the
/// text between every few commas of the list, then `trait_tail` from the
/// `>`, then the rest of the chunk as `file`. `None` when any of these fails
/// (or the list cannot be split): the chunk is then parsed whole.
///
/// The pieces give what the whole parse gives. The list is split only at
/// commas outside strings, comments and brackets, which no rule of a variant
/// consumes, so each variant matches the same text in its piece as in the
/// whole declaration; at a piece's end a rule sees the end of the piece
/// instead of a `,`, and every rule that can look there (the lookaheads
/// after a weight and a variant, an identifier's `-`, a number's end, the
/// art and options after a variant) decides alike on both.
fn parse_long_trait(source: &str, start: usize, end: usize, piece: usize) -> Option<Vec<Statement>> {
    let text = source.get(start..end)?;
    let head = DropParser::parse(Rule::trait_head, text).ok()?.next()?;
    let open = head.as_span().end();
    let (commas, close) = list_commas(text, open)?;
    let mut decl = TraitDecl { kind: None, name: Name::default(), variants: Vec::new(), options: Vec::new() };
    with_base(start, || head.into_inner().for_each(|p| lower_trait_part(p, &mut decl)));
    // Cut at a comma when the piece before it is long enough, never at the
    // last comma (a trailing comma would leave a piece without a variant).
    let mut cuts = vec![open];
    for (i, &comma) in commas.iter().enumerate() {
        if i + 1 < commas.len() && comma >= cuts[cuts.len() - 1] + piece {
            cuts.push(comma + 1);
        }
    }
    for (i, &from) in cuts.iter().enumerate() {
        let to = cuts.get(i + 1).map_or(close, |&next| next - 1);
        let run = DropParser::parse(Rule::variant_run, text.get(from..to)?).ok()?.next()?;
        with_base(start + from, || {
            for p in run.into_inner() {
                lower_trait_part(p, &mut decl);
            }
        });
    }
    decl.variants.shrink_to_fit();
    let tail = DropParser::parse(Rule::trait_tail, text.get(close..)?).ok()?.next()?;
    let tail_end = close + tail.as_span().end();
    with_base(start + close, || tail.into_inner().for_each(|p| lower_trait_part(p, &mut decl)));
    // The statement's text is what `trait_decl` would have matched, and its
    // span is trimmed as `span_of` trims it.
    let span = Span::new(start, start + trimmed_len(&text[..tail_end]));
    let mut statements = vec![Statement::Trait(Node::new(decl, span))];
    statements.extend(parse_chunk(source, start + tail_end, end).ok()?);
    Some(statements)
}

/// The commas of a variant list that starts at `from` in `text` (outside
/// strings, comments and brackets) and the offset of its closing `>`;
/// `None` when the list is not closed or a string or bracket in it is not.
fn list_commas(text: &str, from: usize) -> Option<(Vec<usize>, usize)> {
    let bytes = text.as_bytes();
    let mut commas = Vec::new();
    let mut depth = 0usize;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while bytes.get(i) != Some(&b'"') {
                    match bytes.get(i)? {
                        b'\n' => return None,
                        b'\\' => i += 2,
                        _ => i += 1,
                    }
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i += text[i..].find('\n')?;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2 + text.get(i + 2..)?.find("*/")? + 1;
            }
            b'[' | b'{' | b'(' => depth += 1,
            b']' | b'}' | b')' => depth = depth.checked_sub(1)?,
            b',' if depth == 0 => commas.push(i),
            b'>' if depth == 0 => return (bytes.get(i.wrapping_sub(1)) != Some(&b'-')).then_some((commas, i)),
            _ => {}
        }
        i += 1;
    }
    None
}

thread_local! {
    /// Offset of the chunk being lowered within the whole source: spans are
    /// always offsets into the whole file.
    static BASE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Collects the first error and the errors of later statements.
fn recover(source: &str, first: pest::error::Error<Rule>) -> Vec<Diagnostic> {
    let first_at = error_offset(&first);
    let mut diagnostics = vec![syntax_error(source, 0, first)];
    let starts = statement_starts(source);
    // Resume at the first statement start after the error, parse each later
    // chunk on its own.
    let resume: Vec<usize> = starts.iter().copied().filter(|&s| s > first_at).collect();
    for (i, &start) in resume.iter().enumerate() {
        let end = resume.get(i + 1).copied().unwrap_or(source.len());
        let Some(chunk) = source.get(start..end) else { continue };
        if let Err(error) = DropParser::parse(Rule::file, chunk) {
            diagnostics.push(syntax_error(source, start, error));
        }
    }
    diagnostics
}

fn error_offset(error: &pest::error::Error<Rule>) -> usize {
    match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
}

/// Byte offsets of lines that begin with a statement keyword.
fn statement_starts(source: &str) -> Vec<usize> {
    const KEYWORDS: &[&str] =
        &["collection", "trait", "hidden", "forbid", "require", "when", "count", "unique", "legendary", "group"];
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let at = offset + (line.len() - trimmed.len());
        let end = trimmed.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).unwrap_or(trimmed.len());
        let word = &trimmed[..end];
        let rest = trimmed[end..].trim_start();
        let is_start = KEYWORDS.contains(&word) || (word == "metadata" && rest.starts_with("trait"));
        if is_start {
            starts.push(at);
        }
        offset += line.len();
    }
    starts
}

/// What a grammar rule is called in error messages.
fn rule_name(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "the end of the file",
        Rule::collection
        | Rule::kw_collection
        | Rule::trait_decl
        | Rule::trait_kind
        | Rule::kw_trait
        | Rule::kw_hidden
        | Rule::kw_metadata
        | Rule::forbid_rule
        | Rule::kw_forbid
        | Rule::require_rule
        | Rule::kw_require
        | Rule::when_rule
        | Rule::kw_when
        | Rule::count_rule
        | Rule::kw_count
        | Rule::unique_rule
        | Rule::kw_unique
        | Rule::legendary
        | Rule::kw_legendary
        | Rule::group_decl
        | Rule::kw_group => "a statement",
        Rule::setting | Rule::setting_key => "a setting",
        Rule::setting_value | Rule::value => "a value",
        Rule::dimension => "a size like `1024 x 1024`",
        Rule::variant => "a variant",
        Rule::weight => "a weight",
        Rule::art | Rule::art_part => "an art file",
        Rule::placement | Rule::kw_below | Rule::kw_above => "`below` or `above`",
        Rule::derived | Rule::kw_from => "`from`",
        Rule::hue_shift | Rule::kw_hue | Rule::palette | Rule::kw_palette => "`hue` or `palette`",
        Rule::colour_pair | Rule::colour => "a colour like `#ff8800`",
        Rule::blend
        | Rule::kw_blend
        | Rule::opacity
        | Rule::kw_opacity
        | Rule::offset
        | Rule::kw_offset
        | Rule::folder
        | Rule::kw_folder
        | Rule::profiles
        | Rule::kw_profiles => "an option",
        Rule::kw_with => "`with`",
        Rule::override_decl => "a trait's weights",
        Rule::override_weight => "a variant's weight",
        Rule::comparison => "a comparison (`=`, `<=`, `>=`, `<`, `>`)",
        Rule::count_value => "a number of tokens",
        Rule::kw_by => "`by`",
        Rule::kw_visually => "`visually`",
        Rule::kw_at => "`at`",
        Rule::ref_list | Rule::alternatives | Rule::variant_ref | Rule::group_ref => "`Trait.Variant`",
        Rule::when_art | Rule::kw_art => "`art`",
        Rule::attribute => "an attribute",
        Rule::ident | Rule::string | Rule::string_inner => "a name",
        Rule::number | Rule::integer => "a number",
        Rule::percentage => "a percentage",
        Rule::escape => "an escape (`\\\"`, `\\\\`, `\\n`, `\\t`, `\\u{...}`)",
        Rule::file | Rule::statement | Rule::WHITESPACE => return None,
        _ => return None,
    })
}

/// Turns a pest error into a diagnostic in plain words.
fn syntax_error(source: &str, base: usize, error: pest::error::Error<Rule>) -> Diagnostic {
    let at = (base + error_offset(&error)).min(source.len());
    let rest = &source[at..];
    let before = &source[..at];

    // Well-known shapes first.
    if rest.starts_with("/*") {
        return Diagnostic::new(Code::Syntax, Span::new(at, at + 2), "unterminated block comment")
            .label("this comment is never closed")
            .help("close it with `*/`");
    }
    if let Some(escape) = rest.strip_prefix('"').and_then(bad_escape) {
        let start = at + 1 + escape;
        let len = rest[1 + escape..].chars().take(2).map(char::len_utf8).sum::<usize>();
        let text = &source[start..start + len];
        return Diagnostic::new(
            Code::Syntax,
            Span::new(start, start + len),
            format!("unknown escape `{text}` in a string"),
        )
        .label("not an escape")
        .help("strings know `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{...}`; write `\\\\` for a backslash");
    }
    if rest.starts_with('"') {
        let line_end = rest.find('\n').unwrap_or(rest.len());
        if !rest[1..line_end].contains('"') {
            return Diagnostic::new(Code::Syntax, Span::new(at, at + line_end), "unterminated string")
                .label("this string has no closing quote")
                .help("strings end with `\"` on the same line");
        }
    }

    let mut expected: Vec<String> = Vec::new();
    let push = |expected: &mut Vec<String>, s: String| {
        if !expected.contains(&s) {
            expected.push(s);
        }
    };
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            if let Some(name) = rule_name(*rule) {
                push(&mut expected, name.to_string());
            }
        }
    }
    let has_comparison = expected.iter().any(|e| e.starts_with("a comparison"));
    let has_art = expected.iter().any(|e| e == "an art file");
    let covered = |l: &str| match l {
        "<" | ">" | "=" | "<=" | ">=" => has_comparison,
        "[" => has_art,
        _ => false,
    };
    for literal in expected_literals(source, base, at) {
        if covered(&literal) {
            continue;
        }
        push(&mut expected, format!("`{literal}`"));
    }
    if expected.is_empty() {
        push(&mut expected, "something else".to_string());
    }

    let previous = previous_token(before);
    let found = found_token(rest);
    let list = join_or(&expected);
    let message = match previous {
        Some(prev) => format!("expected {list} after `{prev}`"),
        None => format!("expected {list}"),
    };
    let span = Span::new(at, at + found.len());
    let label = if found.is_empty() { "the file ends here".to_string() } else { format!("found `{found}`") };
    let mut diagnostic = Diagnostic::new(Code::Syntax, span, message).label(label);
    if let Some(help) = syntax_help(&expected, found) {
        diagnostic = diagnostic.help(help);
    }
    diagnostic
}

/// Literal tokens (`{`, `>`, `,` ...) pest tried at the error position.
fn expected_literals(source: &str, base: usize, at: usize) -> Vec<String> {
    let Some(chunk) = source.get(base..) else { return Vec::new() };
    pest::set_error_detail(true);
    let detailed = DropParser::parse(Rule::file, chunk);
    pest::set_error_detail(false);
    let Err(error) = detailed else { return Vec::new() };
    let Some(attempts) = error.parse_attempts() else { return Vec::new() };
    if base + attempts.max_position != at {
        return Vec::new();
    }
    let mut literals: Vec<String> = attempts
        .expected_tokens()
        .into_iter()
        .map(|token| token.to_string())
        .filter(|t| !t.contains("..") && !t.starts_with('^') && !t.starts_with("BUILTIN"))
        .filter(|t| {
            !matches!(t.as_str(), " " | "\t" | "\r" | "\n" | "\u{feff}" | "//" | "/*" | "-" | "." | "\"" | "#" | "_")
        })
        .filter(|t| !t.chars().all(|c| c.is_alphabetic()))
        .collect();
    literals.sort_by_key(|t| literal_rank(t));
    literals
}

fn literal_rank(token: &str) -> usize {
    [":", ",", ">", "<", "{", "}", "(", ")", "[", "]", "->", "|", "x", "%"]
        .iter()
        .position(|t| *t == token)
        .unwrap_or(usize::MAX)
}

/// Offset of the first invalid escape in a string body (after its opening quote).
fn bad_escape(body: &str) -> Option<usize> {
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' | '\n' => return None,
            '\\' => match chars.next() {
                Some((_, '"' | '\\' | 'n' | 't')) => {}
                Some((j, 'u')) if body[j + 1..].starts_with('{') => {}
                _ => return Some(i),
            },
            _ => {}
        }
    }
    None
}

/// The last whitespace-separated piece of text before the error.
fn previous_token(before: &str) -> Option<String> {
    let mut text = before.trim_end();
    // Skip a trailing line comment.
    loop {
        let line_start = text.rfind('\n').map_or(0, |i| i + 1);
        match text[line_start..].find("//") {
            Some(i) => text = text[..line_start + i].trim_end(),
            None => break,
        }
    }
    let token: String = text.rsplit(char::is_whitespace).next()?.chars().rev().take(24).collect();
    let token: String = token.chars().rev().collect();
    (!token.is_empty()).then_some(token)
}

/// The token at the error position, for the label.
fn found_token(rest: &str) -> &str {
    let Some(first) = rest.chars().next() else { return "" };
    let len = if first.is_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.')).unwrap_or(rest.len())
    } else if first == '"' {
        rest[1..].find('"').map_or(1, |i| i + 2)
    } else {
        first.len_utf8()
    };
    &rest[..len]
}

fn syntax_help(expected: &[String], found: &str) -> Option<String> {
    let has = |s: &str| expected.iter().any(|e| e == s);
    if has("a weight") {
        Some("a variant is written `Name: weight`, e.g. `Cyber: 3`".into())
    } else if has("`Trait.Variant`") {
        Some("rules name variants as `Trait.Variant`, e.g. `Eyes.Cyber`".into())
    } else if has("a statement") && !found.is_empty() {
        Some("statements start with `collection`, `trait`, `forbid`, `require`, `when`, `count`, `unique` or `legendary`".into())
    } else if has("`,`") && has("`>`") {
        Some("separate variants with `,` and close the list with `>`".into())
    } else {
        None
    }
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

// ---------------------------------------------------------------------------
// Lowering

/// The span of a pair, without the whitespace and comments pest's implicit
/// skipping leaves at its end (`a ~ b?` skips before trying `b`).
fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    let base = BASE.with(std::cell::Cell::get);
    Span::new(base + s.start(), base + s.start() + trimmed_len(s.as_str()))
}

/// Length of `text` without trailing whitespace and comments.
fn trimmed_len(text: &str) -> usize {
    let mut text = text.trim_end();
    if !text.contains('/') {
        // No comment can end it (the common case, found with one `memchr`).
        return text.len();
    }
    loop {
        if let Some(before) = text.strip_suffix("*/") {
            match before.rfind("/*") {
                Some(open) => {
                    text = text[..open].trim_end();
                    continue;
                }
                None => break,
            }
        }
        let line_start = text.rfind('\n').map_or(0, |i| i + 1);
        match line_comment_start(&text[line_start..]) {
            Some(at) => text = text[..line_start + at].trim_end(),
            None => break,
        }
    }
    text.len()
}

/// Where a `//` comment starts in one line, ignoring `//` inside strings.
fn line_comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            return Some(i);
        }
    }
    None
}

fn lower_statement(pair: Pair<'_, Rule>) -> Option<Statement> {
    let span = span_of(&pair);
    Some(match pair.as_rule() {
        Rule::collection => Statement::Collection(Node::new(lower_collection(pair), span)),
        Rule::trait_decl => Statement::Trait(Node::new(lower_trait(pair), span)),
        Rule::forbid_rule => {
            let mut lists: Vec<_> =
                pair.into_inner().filter(|p| p.as_rule() == Rule::ref_list).map(lower_refs).collect();
            lists.shrink_to_fit();
            Statement::Forbid(Node::new(Forbid { lists }, span))
        }
        Rule::group_decl => {
            let mut name = None;
            let mut members = Vec::new();
            for p in pair.into_inner() {
                match p.as_rule() {
                    Rule::ident | Rule::string => name = lower_name(p),
                    Rule::ref_list => members = lower_refs(p),
                    _ => {}
                }
            }
            Statement::Group(Node::new(Group { name: name?, members }, span))
        }
        Rule::require_rule => {
            let mut left = Vec::new();
            let mut right = Vec::new();
            for p in pair.into_inner() {
                match p.as_rule() {
                    Rule::ref_list => left = lower_refs(p),
                    Rule::alternatives => right = lower_refs(p),
                    _ => {}
                }
            }
            Statement::Require(Node::new(Require { left, right }, span))
        }
        Rule::when_rule => {
            let mut conditions = Vec::new();
            let mut overrides = Vec::new();
            let mut art = Vec::new();
            for p in pair.into_inner() {
                match p.as_rule() {
                    Rule::alternatives => conditions = lower_refs(p),
                    Rule::override_decl => overrides.push(lower_override(p)),
                    Rule::when_art => art.extend(lower_when_art(p)),
                    _ => {}
                }
            }
            Statement::When(Node::new(When { conditions, overrides, art }, span))
        }
        Rule::count_rule => {
            let mut target = None;
            let mut op = None;
            let mut value = None;
            for p in pair.into_inner() {
                match p.as_rule() {
                    Rule::variant_ref | Rule::group_ref => target = lower_reference(p),
                    Rule::comparison => {
                        let o = match p.as_str() {
                            "<=" => CountOp::Le,
                            ">=" => CountOp::Ge,
                            "<" => CountOp::Lt,
                            ">" => CountOp::Gt,
                            _ => CountOp::Eq,
                        };
                        op = Some(Node::new(o, span_of(&p)));
                    }
                    Rule::count_value => value = first_value(p),
                    _ => {}
                }
            }
            Statement::Count(Node::new(Count { target: target?, op: op?, value: value? }, span))
        }
        Rule::unique_rule => {
            let inner: Vec<Pair<'_, Rule>> = pair.into_inner().collect();
            let visually = inner.iter().any(|p| p.as_rule() == Rule::kw_visually);
            let names: Vec<Name> = inner.into_iter().filter_map(lower_name).collect();
            let has_by = span.len() > "unique".len() && !names.is_empty();
            Statement::Unique(Node::new(Unique { traits: has_by.then_some(names), visually }, span))
        }
        Rule::legendary => Statement::Legendary(Node::new(lower_legendary(pair)?, span)),
        _ => return None,
    })
}

fn lower_collection(pair: Pair<'_, Rule>) -> Collection {
    let mut name = Name::default();
    let mut settings = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::ident | Rule::string => name = lower_name(p).unwrap_or_default(),
            Rule::setting => {
                let span = span_of(&p);
                let mut key = Name::default();
                let mut values = Vec::new();
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::setting_key => key = Node::new(q.as_str().to_string(), span_of(&q)),
                        Rule::setting_value => {
                            let mut inner = q.into_inner().filter_map(lower_value);
                            if let Some(value) = inner.next() {
                                values.push(SettingValue { value, paired: inner.next() });
                            }
                        }
                        _ => {}
                    }
                }
                settings.push(Node::new(Setting { key, values }, span));
            }
            _ => {}
        }
    }
    Collection { name, settings }
}

fn lower_trait(pair: Pair<'_, Rule>) -> TraitDecl {
    let mut decl = TraitDecl { kind: None, name: Name::default(), variants: Vec::new(), options: Vec::new() };
    for p in pair.into_inner() {
        lower_trait_part(p, &mut decl);
    }
    decl.variants.shrink_to_fit();
    decl
}

/// One pair inside a trait declaration (or a piece of a long one).
fn lower_trait_part(p: Pair<'_, Rule>, decl: &mut TraitDecl) {
    match p.as_rule() {
        Rule::trait_kind => {
            let k = if p.as_str() == "hidden" { TraitKind::Hidden } else { TraitKind::MetadataOnly };
            decl.kind = Some(Node::new(k, span_of(&p)));
        }
        Rule::ident | Rule::string => decl.name = lower_name(p).unwrap_or_default(),
        Rule::variant => decl.variants.push(lower_variant(p)),
        Rule::kw_trait | Rule::EOI => {}
        _ => decl.options.extend(lower_option(p)),
    }
}

fn lower_variant(pair: Pair<'_, Rule>) -> VariantDecl {
    let span = span_of(&pair);
    let mut name = Name::default();
    let mut weight = Node::new(Value::Number(0.0), span);
    let mut source = None;
    let mut options = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::ident | Rule::string => name = lower_name(p).unwrap_or_default(),
            Rule::weight => {
                if let Some(w) = first_value(p) {
                    weight = w;
                }
            }
            Rule::art | Rule::derived => source = lower_source(p).or(source),
            _ => options.extend(lower_option(p)),
        }
    }
    VariantDecl::new(VariantParts { name, weight, source, options, span })
}

/// A variant's art (`Rule::art`) or derivation (`Rule::derived`).
fn lower_source(p: Pair<'_, Rule>) -> Option<Node<VariantSource>> {
    let source_span = span_of(&p);
    if p.as_rule() == Rule::art {
        let parts = p.into_inner().map(lower_art_part).collect();
        return Some(Node::new(VariantSource::Art(parts), source_span));
    }
    let mut from = Name::default();
    let mut recolour = None;
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::ident | Rule::string => from = lower_name(q).unwrap_or_default(),
            _ => recolour = lower_recolour(q).or(recolour),
        }
    }
    Some(Node::new(VariantSource::Derived(Derived { from, recolour: recolour? }), source_span))
}

/// `hue N` (`Rule::hue_shift`) or `palette {...}` (`Rule::palette`).
fn lower_recolour(q: Pair<'_, Rule>) -> Option<Node<Recolour>> {
    let q_span = span_of(&q);
    match q.as_rule() {
        Rule::hue_shift => q.into_inner().find_map(lower_value).map(|v| Node::new(Recolour::Hue(v), q_span)),
        Rule::palette => {
            let pairs = q
                .into_inner()
                .filter(|c| c.as_rule() == Rule::colour_pair)
                .filter_map(|c| {
                    let c_span = span_of(&c);
                    let mut colours = c.into_inner().map(|x| Node::new(parse_colour(x.as_str()), span_of(&x)));
                    let from = colours.next()?;
                    let to = colours.next()?;
                    Some(Node::new(ColourPair { from, to }, c_span))
                })
                .collect();
            Some(Node::new(Recolour::Palette(pairs), q_span))
        }
        _ => None,
    }
}

/// `art Trait.Variant ...` / `art Trait hue N` inside `when`.
fn lower_when_art(pair: Pair<'_, Rule>) -> Option<Node<WhenArt>> {
    let span = span_of(&pair);
    let mut target = None;
    let mut trait_name = None;
    let mut source = None;
    let mut recolour = None;
    let mut options = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::kw_art => {}
            Rule::variant_ref => target = Some(lower_ref(p)),
            Rule::ident | Rule::string => trait_name = lower_name(p),
            Rule::art | Rule::derived => source = lower_source(p),
            Rule::hue_shift | Rule::palette => recolour = lower_recolour(p),
            _ => options.extend(lower_option(p)),
        }
    }
    let art = match target {
        Some(target) => WhenArt::Variant { target, source, options },
        None => WhenArt::Trait { trait_name: trait_name?, recolour: recolour? },
    };
    Some(Node::new(art, span))
}

fn lower_art_part(pair: Pair<'_, Rule>) -> Node<ArtPart> {
    let span = span_of(&pair);
    let mut part = ArtPart { path: None, placement: None };
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::string => part.path = lower_name(p),
            Rule::placement => {
                let p_span = span_of(&p);
                let mut side = Side::Below;
                let mut trait_name = Name::default();
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::kw_above => side = Side::Above,
                        Rule::kw_below => side = Side::Below,
                        _ => trait_name = lower_name(q).unwrap_or_default(),
                    }
                }
                part.placement = Some(Node::new(Placement { side, trait_name }, p_span));
            }
            _ => {}
        }
    }
    Node::new(part, span)
}

fn lower_option(pair: Pair<'_, Rule>) -> Option<Node<LayerOption>> {
    let span = span_of(&pair);
    let rule = pair.as_rule();
    let mut inner = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
    let option = match rule {
        Rule::blend => LayerOption::Blend(lower_name(inner.next()?)?),
        Rule::opacity => LayerOption::Opacity(lower_value(inner.next()?)?),
        Rule::folder => LayerOption::Folder(lower_name(inner.next()?)?),
        Rule::profiles => LayerOption::Profiles(lower_name(inner.next()?)?),
        Rule::offset => {
            let x = inner.next()?;
            let y = inner.next()?;
            LayerOption::Offset(
                Node::new(x.as_str().parse().unwrap_or(0.0), span_of(&x)),
                Node::new(y.as_str().parse().unwrap_or(0.0), span_of(&y)),
            )
        }
        _ => return None,
    };
    Some(Node::new(option, span))
}

fn is_keyword(rule: Rule) -> bool {
    matches!(rule, Rule::kw_blend | Rule::kw_opacity | Rule::kw_offset | Rule::kw_folder | Rule::kw_profiles)
}

fn lower_override(pair: Pair<'_, Rule>) -> Node<Override> {
    let span = span_of(&pair);
    let mut trait_name = Name::default();
    let mut weights = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::override_weight => {
                let w_span = span_of(&p);
                let mut variant = Name::default();
                let mut weight = Node::new(Value::Number(0.0), w_span);
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::weight => {
                            if let Some(w) = first_value(q) {
                                weight = w;
                            }
                        }
                        _ => variant = lower_name(q).unwrap_or_default(),
                    }
                }
                weights.push(Node::new(OverrideWeight { variant, weight }, w_span));
            }
            _ => trait_name = lower_name(p).unwrap_or_default(),
        }
    }
    Node::new(Override { trait_name, weights }, span)
}

fn lower_legendary(pair: Pair<'_, Rule>) -> Option<Legendary> {
    let mut name = None;
    let mut id = None;
    let mut image = None;
    let mut attributes = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::ident | Rule::string if name.is_none() => name = lower_name(p),
            Rule::string => image = lower_name(p),
            Rule::integer => id = Some(Node::new(p.as_str().parse().unwrap_or(u64::MAX), span_of(&p))),
            Rule::attribute => {
                let a_span = span_of(&p);
                let mut inner = p.into_inner();
                let trait_name = lower_name(inner.next()?)?;
                let value = lower_value(inner.next()?)?;
                attributes.push(Node::new(Attribute { trait_name, value }, a_span));
            }
            _ => {}
        }
    }
    Some(Legendary { name: name?, id, image: image?, attributes })
}

fn lower_refs(pair: Pair<'_, Rule>) -> Vec<Node<Ref>> {
    // Sized exactly (a filtered iterator would start at four): a large file
    // has tens of thousands of lists, most of one reference.
    let inner = pair.into_inner();
    let mut refs = Vec::with_capacity(inner.len());
    refs.extend(inner.filter_map(lower_reference));
    refs
}

/// `Trait.Variant` or a group's name.
fn lower_reference(pair: Pair<'_, Rule>) -> Option<Node<Ref>> {
    match pair.as_rule() {
        Rule::variant_ref => {
            let r = lower_ref(pair);
            Some(Node::new(Ref::Variant(r.node), r.span))
        }
        Rule::group_ref => {
            let span = span_of(&pair);
            let name = pair.into_inner().find_map(lower_name)?;
            Some(Node::new(Ref::Group(name), span))
        }
        _ => None,
    }
}

fn lower_ref(pair: Pair<'_, Rule>) -> Node<VariantRef> {
    let span = span_of(&pair);
    let mut names = pair.into_inner().filter_map(lower_name);
    let trait_name = names.next().unwrap_or_default();
    let variant = names.next().unwrap_or_default();
    Node::new(VariantRef { trait_name, variant }, span)
}

fn lower_name(pair: Pair<'_, Rule>) -> Option<Name> {
    let span = span_of(&pair);
    match pair.as_rule() {
        Rule::ident | Rule::setting_key => Some(Node::new(pair.as_str().to_string(), span)),
        Rule::string => Some(Node::new(unescape(pair.as_str()), span)),
        _ => None,
    }
}

fn first_value(pair: Pair<'_, Rule>) -> Option<Node<Value>> {
    pair.into_inner().find_map(lower_value)
}

fn lower_value(pair: Pair<'_, Rule>) -> Option<Node<Value>> {
    let span = span_of(&pair);
    let text = pair.as_str();
    let value = match pair.as_rule() {
        Rule::number | Rule::integer => Value::Number(text.parse().ok()?),
        Rule::percentage => Value::Percentage(text.trim_end_matches('%').parse().ok()?),
        Rule::dimension => {
            let mut parts = pair.into_inner();
            let w = parts.next()?.as_str().parse().unwrap_or(u64::MAX);
            let h = parts.next()?.as_str().parse().unwrap_or(u64::MAX);
            Value::Dimension(w, h)
        }
        Rule::string => Value::String(unescape(text)),
        Rule::colour => Value::Colour(parse_colour(text)),
        Rule::ident => Value::Word(text.to_string()),
        _ => return None,
    };
    Some(Node::new(value, span))
}

fn parse_colour(text: &str) -> [u8; 4] {
    let hex = text.trim_start_matches('#');
    let byte = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
    [byte(0).unwrap_or(0), byte(2).unwrap_or(0), byte(4).unwrap_or(0), byte(6).unwrap_or(255)]
}

/// The contents of a quoted string with escapes resolved.
fn unescape(quoted: &str) -> String {
    let inner = quoted.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(quoted);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('u') => {
                let code: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.push(u32::from_str_radix(&code, 16).ok().and_then(char::from_u32).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parallel path gives exactly the sequential result, spans included.
    #[test]
    fn parallel_parse_matches_sequential() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let example = std::fs::read_to_string(root.join("examples/neon-apes/apes.drop")).unwrap();
        // Many copies of the same statements: names repeat, which the parser
        // does not mind; a block comment with keyword-like lines forces a
        // bad split that must fall back to the sequential parse.
        let mut big = String::new();
        while big.len() < 4 * LIMITS.parallel {
            big.push_str(&example);
            big.push('\n');
        }
        let parallel = parse_in_parallel(&big, &LIMITS).expect("splits at statement starts");
        let sequential = File { statements: parse_chunk(&big, 0, big.len()).unwrap() };
        assert_eq!(format!("{parallel:?}"), format!("{sequential:?}"));
        // The same chunks parsed one after the other on this thread, as a
        // file of over a megabyte is.
        let one_thread = parse_in_parallel(&big, &Limits { one_thread: 0, ..LIMITS }).expect("splits");
        assert_eq!(format!("{one_thread:?}"), format!("{sequential:?}"));

        let tricky = format!("{big}/*\ntrait Inside < A: 1 >\n*/\n{big}");
        assert!(
            parse_in_parallel(&tricky, &LIMITS).is_none()
                || format!("{:?}", parse(&tricky))
                    == format!("{:?}", parse_chunk(&tricky, 0, tricky.len()).map(|s| File { statements: s }))
        );
        let whole = parse(&tricky).unwrap();
        let sequential = File { statements: parse_chunk(&tricky, 0, tricky.len()).unwrap() };
        assert_eq!(format!("{whole:?}"), format!("{sequential:?}"));
    }

    /// Every statement its own chunk and every variant list in pieces of
    /// about one variant.
    const TINY: Limits = Limits { parallel: 0, chunk: 1, long: 1, piece: 1, one_thread: usize::MAX };

    /// The one-piece parse: the whole file with `file`.
    const WHOLE: Limits = Limits { parallel: usize::MAX, chunk: 0, long: 0, piece: 0, one_thread: usize::MAX };

    fn drop_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                drop_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "drop") {
                out.push(path);
            }
        }
    }

    /// The pieces of every trait declaration give what the one-piece parse
    /// gives, spans included; the whole result (diagnostics of files that
    /// do not parse included) is the same.
    fn assert_pieces_match(source: &str, piece: usize) {
        let whole = parse_with(source, &WHOLE);
        let tiny = Limits { piece, ..TINY };
        assert_eq!(format!("{:?}", parse_with(source, &tiny)), format!("{whole:?}"), "{source}");
        let Ok(file) = whole else { return };
        let starts: Vec<usize> = file.statements.iter().map(|s| s.span().start).collect();
        // Chunks start at lines that begin with a statement keyword; one
        // inside a block comment makes a chunk fail, and the file is then
        // parsed in one piece, by design. Otherwise the chunks must do.
        if statement_starts(source).iter().all(|s| starts.contains(s)) {
            assert!(parse_in_parallel(source, &tiny).is_some(), "{source}");
        }
        for (i, statement) in file.statements.iter().enumerate() {
            let Statement::Trait(_) = statement else { continue };
            let (start, end) = (starts[i], starts.get(i + 1).copied().unwrap_or(source.len()));
            let pieces = parse_long_trait(source, start, end, piece);
            let pieces = pieces.unwrap_or_else(|| panic!("not parsed in pieces: {}", &source[start..end]));
            assert_eq!(format!("{pieces:?}"), format!("{:?}", [statement]), "{}", &source[start..end]);
        }
    }

    #[test]
    fn pieces_match_the_whole_parse_on_every_fixture_and_example() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        drop_files(&root.join("tests/fixtures"), &mut files);
        drop_files(&root.join("examples"), &mut files);
        assert!(files.len() > 50, "{} files", files.len());
        let mut traits = 0;
        for path in files {
            let source = std::fs::read_to_string(&path).unwrap();
            traits += source.matches("trait ").count();
            for piece in [1, 20, 1 << 20] {
                assert_pieces_match(&source, piece);
            }
        }
        assert!(traits > 50, "{traits} trait declarations");
    }

    /// A long variant list in pieces: the scale of a 100,000-variant trait.
    #[test]
    fn a_long_list_is_parsed_in_pieces() {
        let list: Vec<String> = (0..20_000).map(|v| format!("e{v}: {}", 1 + v % 40)).collect();
        let source = format!(
            "collection \"C\" {{ size 10 }}\ntrait Edition < {} >\nforbid Edition.e1 with Edition.e2\n",
            list.join(", ")
        );
        assert!(source.len() > 2 * LIMITS.long);
        let file = parse(&source).unwrap();
        let Statement::Trait(decl) = &file.statements[1] else { panic!("{:?}", file.statements[1]) };
        assert_eq!(decl.variants.len(), 20_000);
        let (start, end) = (decl.span.start, file.statements[2].span().start);
        assert!(parse_long_trait(&source, start, end, LIMITS.piece).is_some());
        assert_eq!(format!("{file:?}"), format!("{:?}", parse_with(&source, &WHOLE).unwrap()));
    }

    /// The statement's span is trimmed as the whole parse trims it, even
    /// where that trimming reads a quote inside a block comment as a string
    /// (so the line comment after the `>` is kept in the span).
    #[test]
    fn a_statement_span_is_trimmed_as_in_the_whole_parse() {
        let source = "collection \"C\" { size 10 }\ntrait T < a: /* \"\n\" */ 1 [\"a.png\",] profiles ignore  > // done, >\n\nforbid A.b with C.d\n";
        assert_pieces_match(source, 1);
    }

    mod pieces {
        use super::*;
        use proptest::prelude::*;

        /// A name: a word, or a string with the list's separators, comment
        /// starts and escapes in it.
        fn name() -> impl Strategy<Value = String> {
            prop_oneof![
                "[a-z][a-z0-9_-]{0,6}",
                prop::sample::select(vec![
                    r#""a, b""#,
                    r#""x > y""#,
                    r#""// not a comment""#,
                    r#""/* nor this""#,
                    r#""q\"uote, \\ >""#,
                    r#""\u{2c}""#,
                    r#""<,>""#,
                ])
                .prop_map(str::to_string),
            ]
        }

        /// Whitespace or a comment between tokens, some with `,` and `>`.
        fn gap() -> impl Strategy<Value = &'static str> {
            prop::sample::select(vec![" ", "", "\n  ", " // a, b > c\n", " /* , > [ { ( */ ", "\t", " /* \"\n */ "])
        }

        fn variant() -> impl Strategy<Value = String> {
            let weight = prop::sample::select(vec!["1", "2.5", "0", "10", "3 x 4", "\"w\"", "50%", "-1", ".5", "abc"]);
            let source = prop::sample::select(vec![
                "",
                " \"a.png\"",
                " \"a, b > c.png\" below Body",
                " [\"a.png\", \"b,>.png\" above Head, below X]",
                " [\"a.png\",]",
                " above Head",
                " from Red hue 120",
                " from \"R, >\" palette { #ff0000 -> #00ff00, #0000ff -> #123456aa, }",
            ]);
            let options = prop::sample::select(vec![
                "",
                " blend multiply",
                " opacity 50%",
                " offset (1, -2)",
                " profiles ignore",
                " offset (3, 4) blend screen",
            ]);
            (name(), gap(), weight, source, options).prop_map(|(n, g, w, s, o)| format!("{n}:{g}{w}{s}{o}"))
        }

        fn trait_decl() -> impl Strategy<Value = String> {
            let kind = prop::sample::select(vec!["", "hidden ", "metadata "]);
            let tail =
                prop::sample::select(vec!["", " folder \"f, >\"", " blend multiply opacity 80%", " // done, >\n"]);
            (kind, name(), prop::collection::vec((variant(), gap()), 1..40), any::<bool>(), tail).prop_map(
                |(kind, name, variants, trailing, tail)| {
                    let list: Vec<String> = variants.into_iter().map(|(v, g)| format!("{v}{g}")).collect();
                    let comma = if trailing { "," } else { "" };
                    format!("{kind}trait {name} < {}{comma} >{tail}\n", list.join(", "))
                },
            )
        }

        fn file() -> impl Strategy<Value = String> {
            prop::collection::vec(trait_decl(), 1..4)
                .prop_map(|traits| format!("collection \"C\" {{ size 10 }}\n{}forbid A.b with C.d\n", traits.concat()))
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

            /// Generated long lists parse in pieces as in one piece.
            #[test]
            fn pieces_match_the_whole_parse(source in file(), piece in 1usize..200) {
                assert_pieces_match(&source, piece);
            }

            /// So do the same lists with one character removed or added
            /// (mostly wrong files: the same diagnostics).
            #[test]
            fn pieces_match_on_broken_lists(
                source in file(),
                at in any::<prop::sample::Index>(),
                insert in prop::option::of(prop::sample::select(vec![',', '>', '"', '[', ']', '{', '/', '*', '-', '(', '\n'])),
            ) {
                let mut source = source;
                let mut at = at.index(source.len());
                while !source.is_char_boundary(at) {
                    at -= 1;
                }
                match insert {
                    Some(c) => source.insert(at, c),
                    None if at < source.len() => {
                        source.remove(at);
                    }
                    None => {}
                }
                assert_pieces_match(&source, 1);
            }
        }
    }

    /// A line that starts with a statement keyword inside a block comment
    /// is no statement: the chunks split there fail, and the file is parsed
    /// in one piece, to the same tree.
    #[test]
    fn a_keyword_inside_a_block_comment_falls_back_to_the_whole_parse() {
        let source = "collection \"C\" { size 10 }\ntrait A < a: 1 /*\ntrait B < b: 1 > */ , c: 2 >\n";
        let Ok(file) = parse_with(source, &WHOLE) else { panic!("parses") };
        assert_eq!(file.statements.len(), 2);
        assert!(parse_in_parallel(source, &TINY).is_none());
        assert_pieces_match(source, 1);
    }

    #[test]
    fn spans_exclude_trailing_comments() {
        assert_eq!(trimmed_len("size 30   // tokens\n  "), "size 30".len());
        assert_eq!(trimmed_len("x \"a // b\" /* c */ "), "x \"a // b\"".len());
    }
}
