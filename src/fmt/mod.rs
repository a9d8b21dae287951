//! Formatting: a `.drop` file in its one canonical layout (`dropc fmt`, and
//! whole-document formatting in `dropc lsp`).
//!
//! Invariants, both checked on every call: the formatted text parses to the
//! same syntax tree as the input (tree equality ignores spans, so the model
//! `check` builds is the same), and formatting formatted text changes
//! nothing. Every comment is kept where it stands: on its own line before the
//! same item, or at the end of the same line.
//!
//! The layout is printed from the syntax tree; every leaf (a name, a number,
//! a string, a colour) is copied from the source as written, so quoting,
//! escapes and number spelling never change. Pest skips comments as trivia,
//! so [`comments::scan`] finds them in a separate lossless pass, and the
//! printer places each one by its position between the tree's spans. The
//! rare comment that sits inside what the layout puts on one line (between
//! a key and its value, say) keeps that piece of source text as written.
//!
//! The layout:
//! - one statement per line, one setting per line, one rule per line; a run
//!   of blank lines between statements (or settings, variants) becomes one
//!   blank line, and none is added;
//! - a trait's variants on one line (`trait Hat < none: 5, Cap: 2 >`) when
//!   that fits in [`WIDTH`] columns and no comment sits among them, else one
//!   variant per line, with a trailing comma, names padded so that weights
//!   line up; the same for a `when` block's weights and for palettes;
//! - consecutive one-line traits line up their `<`, consecutive `count`
//!   rules their comparison, a `collection` block its values;
//! - comments at the ends of lines line up within a run of lines at one
//!   indentation with no blank line between, two spaces after the longest
//!   commented line's code;
//! - four spaces of indentation, one newline at the end of the file.

mod comments;

pub use comments::{Comment, scan};

use crate::diagnostic::Diagnostic;
use crate::syntax::{
    ArtPart, Collection, Count, File, LayerOption, Legendary, Name, Node, Override, Recolour, Ref, Span, Statement,
    TraitDecl, TraitKind, Value, VariantDecl, VariantRef, VariantSource, When, WhenArt,
};

/// Lines longer than this are broken where the layout allows (variant
/// lists, palettes); rules stay on one line whatever their length.
pub const WIDTH: usize = 100;

/// Why a file was not formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The file does not parse: its syntax errors.
    Syntax(Vec<Diagnostic>),
    /// The formatter would have changed what the file means (a bug in the
    /// formatter, never the input's fault); the file is left as it is.
    Changed,
}

/// `source` in the canonical layout.
pub fn format(source: &str) -> Result<String, FormatError> {
    let file = crate::syntax::parse(source).map_err(FormatError::Syntax)?;
    let once = print(source, &file);
    // The guarantees, checked: same tree, and a fixed point.
    let reparsed = crate::syntax::parse(&once).map_err(|_| FormatError::Changed)?;
    if reparsed != file || print(&once, &reparsed) != once {
        return Err(FormatError::Changed);
    }
    Ok(once)
}

/// Prints a parsed file (without the checks of [`format`]).
pub fn print(source: &str, file: &File) -> String {
    let mut printer = Printer::new(source);
    printer.file(file);
    printer.finish()
}

/// One output line.
#[derive(Debug, Default)]
struct Line {
    /// Indentation level (four spaces each).
    indent: usize,
    /// The code (may hold newlines when copied from the source as written).
    code: String,
    /// A comment at the end of the line.
    comment: Option<String>,
    /// An empty line between groups.
    blank: bool,
}

struct Printer<'s> {
    src: &'s str,
    comments: Vec<Comment>,
    /// Index of the first comment not yet printed.
    next: usize,
    lines: Vec<Line>,
    indent: usize,
    /// Source offset just past the last thing printed.
    last_end: usize,
    /// Right after an opening line: no blank line may follow.
    block_start: bool,
}

impl<'s> Printer<'s> {
    fn new(src: &'s str) -> Self {
        Printer { src, comments: scan(src), next: 0, lines: Vec::new(), indent: 0, last_end: 0, block_start: true }
    }

    fn text(&self, span: Span) -> &'s str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    /// Whether a comment not yet printed starts inside `span`.
    fn has_comments(&self, span: Span) -> bool {
        self.comments[self.next..].iter().any(|c| c.span.start >= span.start && c.span.start < span.end)
    }

    /// Whether the source between `from` and `to` holds an empty line.
    fn blank_between(&self, from: usize, to: usize) -> bool {
        self.src.get(from.min(to)..to).is_some_and(|gap| gap.matches('\n').count() >= 2)
    }

    /// Prints every comment that starts before `pos`.
    fn flush(&mut self, pos: usize) {
        while let Some(c) = self.comments.get(self.next).copied() {
            if c.span.start >= pos {
                break;
            }
            self.next += 1;
            let text = self.text(c.span).to_string();
            let attach = c.trailing && self.lines.last().is_some_and(|l| !l.blank);
            if attach {
                if let Some(line) = self.lines.last_mut() {
                    line.comment = Some(match line.comment.take() {
                        Some(before) => format!("{before} {text}"),
                        None => text,
                    });
                }
            } else {
                self.separate(c.span.start);
                self.push(text);
                self.block_start = false;
            }
            self.last_end = c.span.end;
        }
    }

    /// A blank line before something starting at `start`, when the source
    /// has one there.
    fn separate(&mut self, start: usize) {
        if !self.block_start && !self.lines.is_empty() && self.blank_between(self.last_end, start) {
            self.lines.push(Line { blank: true, ..Line::default() });
        }
    }

    /// Starts an item (statement, setting, variant...) at `span`: prints the
    /// comments before it and keeps a blank line.
    fn start(&mut self, span: Span) {
        self.flush(span.start);
        self.separate(span.start);
        self.block_start = false;
    }

    fn push(&mut self, code: String) {
        self.lines.push(Line { indent: self.indent, code, comment: None, blank: false });
    }

    /// Prints `span` as written, comments inside included.
    fn verbatim(&mut self, span: Span, suffix: &str) {
        let code = format!("{}{suffix}", self.text(span));
        self.push(code);
        while self.comments.get(self.next).is_some_and(|c| c.span.start < span.end) {
            self.next += 1;
        }
        self.last_end = span.end;
    }

    /// Opens a block: `header` ends with the delimiter found at `open`.
    fn open(&mut self, header: String, open: usize) {
        self.push(header);
        self.last_end = open + 1;
        self.indent += 1;
        self.block_start = true;
    }

    /// Closes a block at the delimiter found at `close`.
    fn close(&mut self, close: usize, closer: String) {
        self.flush(close);
        self.indent = self.indent.saturating_sub(1);
        self.push(closer);
        self.last_end = close + 1;
        self.block_start = false;
    }

    /// The offset of the delimiter `ch` that is the first thing after `from`
    /// (skipping whitespace, commas and comments).
    fn find_forward(&self, from: usize, ch: u8) -> Option<usize> {
        let bytes = self.src.as_bytes();
        let mut i = from;
        while i < bytes.len() {
            if let Some(c) = self.comments.iter().find(|c| c.span.start == i) {
                i = c.span.end;
                continue;
            }
            match bytes[i] {
                b if b == ch => return Some(i),
                b' ' | b'\t' | b'\r' | b'\n' | b',' => i += 1,
                _ => return None,
            }
        }
        None
    }

    /// The offset of the delimiter `ch` that is the last thing before `to`.
    fn find_back(&self, to: usize, ch: u8) -> Option<usize> {
        let bytes = self.src.as_bytes();
        let mut i = to;
        while i > 0 {
            if let Some(c) = self.comments.iter().find(|c| c.span.end == i) {
                i = c.span.start;
                continue;
            }
            match bytes[i - 1] {
                b if b == ch => return Some(i - 1),
                b' ' | b'\t' | b'\r' | b'\n' => i -= 1,
                _ => return None,
            }
        }
        None
    }

    /// Whether a comment sits in `from..to`.
    fn comments_in(&self, from: usize, to: usize) -> bool {
        from < to && self.has_comments(Span::new(from, to))
    }

    fn file(&mut self, file: &File) {
        let statements = &file.statements;
        let aligned = self.statement_padding(statements);
        for (statement, pad) in statements.iter().zip(aligned) {
            let span = statement.span();
            self.start(span);
            self.statement(statement, pad);
            self.last_end = self.last_end.max(span.end);
        }
        self.flush(self.src.len() + 1);
    }

    /// For each statement, the width its head is padded to, so that runs of
    /// consecutive one-line traits line up their `<` and runs of `count`
    /// rules their comparison.
    fn statement_padding(&self, statements: &[Statement]) -> Vec<usize> {
        let heads: Vec<Option<(u8, usize)>> = statements
            .iter()
            .map(|s| match s {
                Statement::Trait(t) if self.trait_line(t).is_some() => Some((0, self.trait_head(t).chars().count())),
                Statement::Count(c) if !self.has_comments(c.span) => Some((1, self.count_head(c).chars().count())),
                _ => None,
            })
            .collect();
        let mut pads = vec![0; statements.len()];
        let mut i = 0;
        while i < statements.len() {
            let Some((kind, _)) = heads[i] else {
                i += 1;
                continue;
            };
            let mut j = i + 1;
            while j < statements.len()
                && heads[j].is_some_and(|(k, _)| k == kind)
                && self.adjacent(statements[j - 1].span(), statements[j].span())
            {
                j += 1;
            }
            let width = heads[i..j].iter().flatten().map(|&(_, w)| w).max().unwrap_or(0);
            pads[i..j].fill(width);
            i = j;
        }
        pads
    }

    /// Whether `b` starts on the line right after `a` ends, with no comment
    /// on a line of its own between them.
    fn adjacent(&self, a: Span, b: Span) -> bool {
        let gap = self.src.get(a.end..b.start).unwrap_or("");
        gap.matches('\n').count() <= 1
            && !self.comments.iter().any(|c| c.span.start >= a.end && c.span.start < b.start && !c.trailing)
    }

    fn statement(&mut self, statement: &Statement, pad: usize) {
        match statement {
            Statement::Collection(c) => self.collection(c),
            Statement::Trait(t) => self.trait_decl(t, pad),
            Statement::Forbid(f) => {
                let lists: Vec<String> = f.lists.iter().map(|l| self.refs(l, ", ")).collect();
                let line = format!("forbid {}", lists.join(" with "));
                self.line(f.span, line);
            }
            Statement::Require(r) => {
                let line = format!("require {} -> {}", self.refs(&r.left, ", "), self.refs(&r.right, " | "));
                self.line(r.span, line);
            }
            Statement::When(w) => self.when(w),
            Statement::Count(c) => {
                let line = format!("{:<pad$} {} {}", self.count_head(c), c.op.node, self.value(&c.value));
                self.line(c.span, line);
            }
            Statement::Unique(u) => {
                let mut line = "unique".to_string();
                if u.visually {
                    line.push_str(" visually");
                }
                if let Some(traits) = &u.traits {
                    line.push_str(" by ");
                    line.push_str(&self.names(traits));
                }
                self.line(u.span, line);
            }
            Statement::Legendary(l) => self.legendary(l),
            Statement::Group(g) => {
                let mut line = format!("group {} =", self.text(g.name.span));
                if !g.members.is_empty() {
                    line = format!("{line} {}", self.refs(&g.members, ", "));
                }
                self.line(g.span, line);
            }
        }
    }

    /// A one-line statement: as laid out, or as written when a comment sits inside.
    fn line(&mut self, span: Span, line: String) {
        if self.has_comments(span) {
            self.verbatim(span, "");
        } else {
            self.push(line);
            self.last_end = span.end;
        }
    }

    fn collection(&mut self, c: &Node<Collection>) {
        let header = format!("collection {} {{", self.text(c.name.span));
        let open = self.find_forward(c.name.span.end, b'{');
        let close = self.find_back(c.span.end, b'}');
        let (Some(open), Some(close)) = (open, close) else { return self.verbatim(c.span, "") };
        if self.comments_in(c.span.start, open) {
            return self.verbatim(c.span, "");
        }
        if c.settings.is_empty() && !self.comments_in(open, close) {
            self.push(format!("collection {} {{}}", self.text(c.name.span)));
            self.last_end = c.span.end;
            return;
        }
        let width = c.settings.iter().map(|s| self.text(s.key.span).chars().count()).max().unwrap_or(0);
        self.open(header, open);
        for setting in &c.settings {
            self.start(setting.span);
            let values: Vec<(Span, String)> = setting
                .values
                .iter()
                .map(|v| {
                    let span = v.paired.as_ref().map_or(v.value.span, |p| v.value.span.to(p.span));
                    let text = match &v.paired {
                        Some(p) => format!("{}: {}", self.value(&v.value), self.value(p)),
                        None => self.value(&v.value),
                    };
                    (span, text)
                })
                .collect();
            if !self.has_comments(setting.span) {
                let values: Vec<&str> = values.iter().map(|(_, t)| t.as_str()).collect();
                self.push(format!("{:<width$} {}", self.text(setting.key.span), values.join(", ")));
                self.last_end = setting.span.end;
                continue;
            }
            // Comments between values: one value per line, under the first.
            let first = values.first().map_or(setting.span.end, |(span, _)| span.start);
            if self.comments_in(setting.span.start, first) || values.iter().any(|(span, _)| self.has_comments(*span)) {
                self.verbatim(setting.span, "");
                continue;
            }
            for (i, (span, text)) in values.iter().enumerate() {
                let comma = if i + 1 < values.len() { "," } else { "" };
                if i == 0 {
                    self.push(format!("{:<width$} {text}{comma}", self.text(setting.key.span)));
                } else {
                    self.flush(span.start);
                    self.push(format!("{:width$} {text}{comma}", ""));
                }
                self.last_end = span.end;
            }
        }
        self.close(close, "}".into());
    }

    /// `hidden trait Name`.
    fn trait_head(&self, t: &TraitDecl) -> String {
        let kind = match t.kind.as_ref().map(|k| k.node) {
            Some(TraitKind::Hidden) => "hidden ",
            Some(TraitKind::MetadataOnly) => "metadata ",
            Some(TraitKind::Visible) | None => "",
        };
        format!("{kind}trait {}", self.text(t.name.span))
    }

    /// The options after a trait's `>`, with a leading space (or nothing).
    fn trait_options(&self, t: &TraitDecl) -> String {
        t.options.iter().map(|o| format!(" {}", self.option(o))).collect()
    }

    /// The whole trait on one line, when the layout puts it there.
    fn trait_line(&self, t: &Node<TraitDecl>) -> Option<String> {
        if self.has_comments(t.span) {
            return None;
        }
        let variants: Vec<String> = t.variants.iter().map(|v| self.variant_inline(v, 0)).collect();
        let line = format!("{} < {} >{}", self.trait_head(t), variants.join(", "), self.trait_options(t));
        (line.chars().count() <= WIDTH).then_some(line)
    }

    fn trait_decl(&mut self, t: &Node<TraitDecl>, pad: usize) {
        if self.trait_line(t).is_some() {
            let variants: Vec<String> = t.variants.iter().map(|v| self.variant_inline(v, 0)).collect();
            let line = format!("{:<pad$} < {} >{}", self.trait_head(t), variants.join(", "), self.trait_options(t));
            self.push(line);
            self.last_end = t.span.end;
            return;
        }
        let (Some(first), Some(last)) = (t.variants.first(), t.variants.last()) else {
            return self.verbatim(t.span, "");
        };
        let open = self.find_back(first.span().start, b'<');
        let close = self.find_forward(last.span().end, b'>');
        let (Some(open), Some(close)) = (open, close) else { return self.verbatim(t.span, "") };
        if self.comments_in(t.span.start, open) || self.comments_in(close, t.span.end) {
            return self.verbatim(t.span, "");
        }
        let width = t.variants.iter().map(|v| self.text(v.name_span()).chars().count() + 1).max().unwrap_or(0);
        self.open(format!("{} <", self.trait_head(t)), open);
        for v in &t.variants {
            self.start(v.span());
            self.variant_line(v, width);
        }
        self.close(close, format!(">{}", self.trait_options(t)));
    }

    /// One variant on a line of its own (its palette on lines of their own
    /// when it does not fit or holds comments).
    fn variant_line(&mut self, v: &VariantDecl, width: usize) {
        let v_span = v.span();
        let palette = match v.source().map(|s| &s.node) {
            Some(VariantSource::Derived(d)) => match &d.recolour.node {
                Recolour::Palette(pairs) => Some((d, d.recolour.span, pairs)),
                Recolour::Hue(_) => None,
            },
            _ => None,
        };
        let inline = format!("{},", self.variant_inline(v, width));
        let fits = (self.indent * 4 + inline.chars().count()) <= WIDTH;
        match palette {
            Some((d, span, pairs)) if !pairs.is_empty() && (!fits || self.has_comments(span)) => {
                let open = self.find_forward(span.start + "palette".len(), b'{');
                let close = pairs.last().and_then(|p| self.find_forward(p.span.end, b'}'));
                let (Some(open), Some(close)) = (open, close) else { return self.verbatim(v_span, ",") };
                if self.comments_in(v_span.start, open) || self.comments_in(close, v_span.end) {
                    return self.verbatim(v_span, ",");
                }
                let head = format!(
                    "{:<width$} {} from {} palette {{",
                    format!("{}:", self.text(v.name_span())),
                    self.value(&v.weight()),
                    self.text(d.from.span)
                );
                self.open(head, open);
                for pair in pairs {
                    self.start(pair.span);
                    let line = format!("{} -> {},", self.text(pair.from.span), self.text(pair.to.span));
                    self.line(pair.span, line);
                }
                let options: String = v.options().iter().map(|o| format!(" {}", self.option(o))).collect();
                self.close(close, format!("}}{options},"));
                self.last_end = self.last_end.max(v_span.end);
            }
            _ => {
                if self.has_comments(v_span) {
                    self.verbatim(v_span, ",");
                } else {
                    self.push(inline);
                    self.last_end = v_span.end;
                }
            }
        }
    }

    /// `Name: weight source options`, the name and its colon padded to `width`.
    fn variant_inline(&self, v: &VariantDecl, width: usize) -> String {
        let mut out = format!("{:<width$} {}", format!("{}:", self.text(v.name_span())), self.value(&v.weight()));
        if let Some(source) = v.source() {
            out.push(' ');
            out.push_str(&self.source(&source.node));
        }
        for option in v.options() {
            out.push(' ');
            out.push_str(&self.option(option));
        }
        out
    }

    /// A variant's art files or derivation, on one line.
    fn source(&self, source: &VariantSource) -> String {
        match source {
            VariantSource::Art(parts) => match parts.as_slice() {
                [one] => self.art_part(one),
                many => {
                    let parts: Vec<String> = many.iter().map(|p| self.art_part(p)).collect();
                    format!("[{}]", parts.join(", "))
                }
            },
            VariantSource::Derived(d) => format!("from {} {}", self.text(d.from.span), self.recolour(&d.recolour.node)),
        }
    }

    /// `hue N` or `palette { #a -> #b, ... }`, on one line.
    fn recolour(&self, recolour: &Recolour) -> String {
        match recolour {
            Recolour::Hue(v) => format!("hue {}", self.value(v)),
            Recolour::Palette(pairs) => {
                let pairs: Vec<String> =
                    pairs.iter().map(|p| format!("{} -> {}", self.text(p.from.span), self.text(p.to.span))).collect();
                format!("palette {{ {} }}", pairs.join(", "))
            }
        }
    }

    /// `art Trait.Variant ...` / `art Trait hue N` inside `when`, on one line.
    fn when_art(&self, art: &WhenArt) -> String {
        match art {
            WhenArt::Variant { target, source, options } => {
                let mut out = format!("art {}", self.variant_ref(target));
                if let Some(source) = source {
                    out.push(' ');
                    out.push_str(&self.source(&source.node));
                }
                for option in options {
                    out.push(' ');
                    out.push_str(&self.option(option));
                }
                out
            }
            WhenArt::Trait { trait_name, recolour } => {
                format!("art {} {}", self.text(trait_name.span), self.recolour(&recolour.node))
            }
        }
    }

    fn art_part(&self, part: &ArtPart) -> String {
        let path = part.path.as_ref().map(|p| self.text(p.span).to_string());
        let placement = part.placement.as_ref().map(|p| {
            let side = match p.side {
                crate::syntax::Side::Below => "below",
                crate::syntax::Side::Above => "above",
            };
            format!("{side} {}", self.text(p.trait_name.span))
        });
        match (path, placement) {
            (Some(path), Some(placement)) => format!("{path} {placement}"),
            (Some(path), None) => path,
            (None, Some(placement)) => placement,
            (None, None) => String::new(),
        }
    }

    fn option(&self, option: &LayerOption) -> String {
        match option {
            LayerOption::Blend(mode) => format!("blend {}", self.text(mode.span)),
            LayerOption::Opacity(v) => format!("opacity {}", self.value(v)),
            LayerOption::Offset(x, y) => format!("offset ({}, {})", self.text(x.span), self.text(y.span)),
            LayerOption::Folder(path) => format!("folder {}", self.text(path.span)),
            LayerOption::Profiles(policy) => format!("profiles {}", self.text(policy.span)),
        }
    }

    fn when(&mut self, w: &Node<When>) {
        let header = format!("when {} {{", self.refs(&w.conditions, " | "));
        let after = w.conditions.last().map_or(w.span.start, |c| c.span.end);
        let open = self.find_forward(after, b'{');
        let close = self.find_back(w.span.end, b'}');
        let (Some(open), Some(close)) = (open, close) else { return self.verbatim(w.span, "") };
        if self.comments_in(w.span.start, open) {
            return self.verbatim(w.span, "");
        }
        if w.overrides.is_empty() && w.art.is_empty() && !self.comments_in(open, close) {
            self.push(format!("{}}}", header));
            self.last_end = w.span.end;
            return;
        }
        self.open(header, open);
        // Weights and art lines in the order written.
        let mut items: Vec<WhenItem<'_>> = w.overrides.iter().map(WhenItem::Weights).collect();
        items.extend(w.art.iter().map(WhenItem::Art));
        items.sort_by_key(|item| item.span().start);
        for item in items {
            let o = match item {
                WhenItem::Art(art) => {
                    self.start(art.span);
                    let line = self.when_art(&art.node);
                    self.line(art.span, line);
                    continue;
                }
                WhenItem::Weights(o) => o,
            };
            self.start(o.span);
            let head = self.text(o.trait_name.span).to_string();
            let weights: Vec<String> =
                o.weights.iter().map(|w| format!("{}: {}", self.text(w.variant.span), self.value(&w.weight))).collect();
            let inline = format!("{head} < {} >", weights.join(", "));
            if !self.has_comments(o.span) && self.indent * 4 + inline.chars().count() <= WIDTH {
                self.push(inline);
                self.last_end = o.span.end;
                continue;
            }
            let open = o.weights.first().and_then(|f| self.find_back(f.span.start, b'<'));
            let close = o.weights.last().and_then(|l| self.find_forward(l.span.end, b'>'));
            let (Some(open), Some(close)) = (open, close) else {
                self.verbatim(o.span, "");
                continue;
            };
            if self.comments_in(o.span.start, open) {
                self.verbatim(o.span, "");
                continue;
            }
            let width = o.weights.iter().map(|w| self.text(w.variant.span).chars().count() + 1).max().unwrap_or(0);
            self.open(format!("{head} <"), open);
            for weight in &o.weights {
                self.start(weight.span);
                let line = format!(
                    "{:<width$} {},",
                    format!("{}:", self.text(weight.variant.span)),
                    self.value(&weight.weight)
                );
                if self.has_comments(weight.span) {
                    self.verbatim(weight.span, ",");
                } else {
                    self.push(line);
                    self.last_end = weight.span.end;
                }
            }
            self.close(close, ">".into());
        }
        self.close(close, "}".into());
    }

    fn legendary(&mut self, l: &Node<Legendary>) {
        let mut header = format!("legendary {}", self.text(l.name.span));
        if let Some(id) = &l.id {
            header.push_str(&format!(" at {}", self.text(id.span)));
        }
        header.push_str(&format!(" {}", self.text(l.image.span)));
        let open = self.find_forward(l.image.span.end, b'{');
        let close = self.find_back(l.span.end, b'}');
        let (Some(open), Some(close)) = (open, close) else {
            // No attribute block.
            return self.line(l.span, header);
        };
        if self.comments_in(l.span.start, open) {
            return self.verbatim(l.span, "");
        }
        if l.attributes.is_empty() && !self.comments_in(open, close) {
            self.push(header);
            self.last_end = l.span.end;
            return;
        }
        self.open(format!("{header} {{"), open);
        for a in &l.attributes {
            self.start(a.span);
            let line = format!("{}: {},", self.text(a.trait_name.span), self.value(&a.value));
            if self.has_comments(a.span) {
                self.verbatim(a.span, ",");
            } else {
                self.push(line);
                self.last_end = a.span.end;
            }
        }
        self.close(close, "}".into());
    }

    /// `count Trait.Variant`.
    fn count_head(&self, c: &Count) -> String {
        format!("count {}", self.reference(&c.target))
    }

    fn variant_ref(&self, r: &VariantRef) -> String {
        format!("{}.{}", self.text(r.trait_name.span), self.text(r.variant.span))
    }

    fn reference(&self, r: &Ref) -> String {
        match r {
            Ref::Variant(v) => self.variant_ref(v),
            Ref::Group(name) => self.text(name.span).to_string(),
        }
    }

    fn refs(&self, refs: &[Node<Ref>], separator: &str) -> String {
        refs.iter().map(|r| self.reference(r)).collect::<Vec<_>>().join(separator)
    }

    fn names(&self, names: &[Name]) -> String {
        names.iter().map(|n| self.text(n.span)).collect::<Vec<_>>().join(", ")
    }

    /// A value as written (a size as `W x H`).
    fn value(&self, value: &Node<Value>) -> String {
        let text = self.text(value.span);
        match value.node {
            Value::Dimension(..) => match text.split_once(['x']) {
                Some((w, h)) if !text.contains('/') => format!("{} x {}", w.trim(), h.trim()),
                _ => text.to_string(),
            },
            _ => text.to_string(),
        }
    }

    /// The lines joined, trailing comments aligned per run of lines.
    fn finish(self) -> String {
        // A run: consecutive lines, no blank one between, at one indentation.
        let mut columns = vec![0; self.lines.len()];
        let mut start = 0;
        while start < self.lines.len() {
            let first = &self.lines[start];
            let len = self.lines[start..].iter().take_while(|l| !l.blank && l.indent == first.indent).count().max(1);
            let run = &self.lines[start..start + len];
            let column = run.iter().filter(|l| l.comment.is_some()).map(Line::width).max().unwrap_or(0) + 2;
            columns[start..start + len].fill(column);
            start += len;
        }
        let mut out = String::new();
        for (line, column) in self.lines.iter().zip(columns) {
            if line.blank {
                out.push('\n');
                continue;
            }
            let mut text = format!("{}{}", " ".repeat(line.indent * 4), line.code.trim_end());
            if let Some(comment) = &line.comment {
                text.push_str(&" ".repeat(column.saturating_sub(line.width()).max(1)));
                text.push_str(comment);
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }
}

impl Line {
    /// The width of the code's last line, indentation included.
    fn width(&self) -> usize {
        let code = self.code.trim_end();
        match code.rsplit_once('\n') {
            Some((_, last)) => last.chars().count(),
            None => self.indent * 4 + code.chars().count(),
        }
    }
}

/// A line of a `when` block: a trait's weights or an `art` line.
enum WhenItem<'a> {
    Weights(&'a Node<Override>),
    Art(&'a Node<WhenArt>),
}

impl WhenItem<'_> {
    fn span(&self) -> Span {
        match self {
            WhenItem::Weights(o) => o.span,
            WhenItem::Art(a) => a.span,
        }
    }
}
