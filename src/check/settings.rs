//! The `collection` block: every setting's type, range and default.

use std::collections::HashMap;

use super::paths::project_relative;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::model::*;
use crate::span::Span;
use crate::syntax::{Collection, Node, Setting, Value};

/// Largest canvas side and output size, in pixels.
pub const MAX_PIXELS: u64 = 16_384;
/// Largest collection.
pub const MAX_SIZE: u64 = 10_000_000;

/// Every setting the `collection` block accepts.
pub const KEYS: &[&str] = &[
    "size",
    "seed",
    "canvas",
    "layers",
    "first_id",
    "name",
    "description",
    "image",
    "external_url",
    "sizes",
    "resize",
    "compression",
    "background",
    "profiles",
    "metadata",
    "symbol",
    "royalty",
    "creators",
];

/// Spans of settings, for later diagnostics (`size 45` when it cannot hold).
#[derive(Clone, Debug, Default)]
pub struct SettingSpans {
    /// The `collection` block's name.
    pub collection: Span,
    /// Each setting as written, by key.
    pub by_key: HashMap<String, Span>,
}

impl SettingSpans {
    /// The span of a setting, or of the collection's name when it was not written.
    pub fn get(&self, key: &str) -> Span {
        self.by_key.get(key).copied().unwrap_or(self.collection)
    }
}

/// Resolves the collection block into [`Settings`]. The flag is false when
/// `size` or `canvas` is missing or wrong: the settings then hold
/// placeholders good enough to go on resolving names, but nothing that
/// depends on the size or the canvas should be checked.
pub fn resolve(collection: &Node<Collection>, diagnostics: &mut Vec<Diagnostic>) -> (Settings, SettingSpans, bool) {
    let mut spans = SettingSpans { collection: collection.name.span, by_key: HashMap::new() };
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut settings = Settings::defaults(collection.name.node.clone());
    let mut size = None;
    let mut canvas = None;
    let mut royalty_given = false;
    let mut size_spans: Vec<Span> = Vec::new();

    for setting in &collection.settings {
        let key = setting.key.node.as_str();
        let Some(&known) = KEYS.iter().find(|k| **k == key) else {
            let mut d = Diagnostic::new(Code::UnknownSetting, setting.key.span, format!("unknown setting `{key}`"))
                .label("not a collection setting");
            d = match did_you_mean(key, KEYS.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!(
                    "settings are {}",
                    KEYS.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                )),
            };
            diagnostics.push(d);
            continue;
        };
        if let Some(first) = seen.get(known) {
            diagnostics.push(
                Diagnostic::new(Code::DuplicateSetting, setting.key.span, format!("`{key}` is set twice"))
                    .label("set again here")
                    .with_label(*first, "first set here")
                    .help("keep one of them"),
            );
            continue;
        }
        seen.insert(known, setting.span);
        let value_span = setting
            .values
            .iter()
            .fold(setting.key.span, |span, v| span.to(v.paired.as_ref().map_or(v.value.span, |p| p.span)));
        spans.by_key.insert(known.to_string(), value_span);
        let mut v = Values { setting, diagnostics };
        match known {
            "size" => {
                if let Some((n, span)) = v.integer() {
                    if n == 0 {
                        v.invalid(span, "`size` must be at least 1", "a collection has at least one token");
                    } else if n > MAX_SIZE {
                        v.push(
                            Diagnostic::new(
                                Code::LimitExceeded,
                                span,
                                format!("`size` of {n} is beyond the limit of {MAX_SIZE} tokens"),
                            )
                            .label("too many tokens")
                            .help("split the collection into several drops"),
                        );
                    } else {
                        size = Some(n);
                    }
                }
            }
            "seed" => {
                if let Some(value) = v.single() {
                    match &value.node {
                        Value::String(s) => settings.seed = s.clone(),
                        Value::Number(n) if n.fract() == 0.0 && *n >= 0.0 => settings.seed = format!("{n}"),
                        other => v.wrong_kind(value.span, other, "a string or a whole number"),
                    }
                }
            }
            "canvas" => {
                if let Some(value) = v.single() {
                    match value.node {
                        Value::Dimension(w, h) => {
                            if let Some(dim) = v.dimension(w, h, value.span, "`canvas`") {
                                canvas = Some(dim);
                            }
                        }
                        ref other => v.wrong_kind(value.span, other, "a size like `1024 x 1024`"),
                    }
                }
            }
            "layers" => {
                if let Some((path, span)) = v.string() {
                    match project_relative(&path) {
                        Ok(p) => settings.layers = p,
                        Err(why) => v.push(super::paths::escape_diagnostic(span, &path, why)),
                    }
                }
            }
            "first_id" => {
                if let Some((n, _)) = v.integer() {
                    settings.first_id = n;
                }
            }
            "name" => {
                if let Some((s, span)) = v.string() {
                    v.template(&s, span, &["id", "collection"]);
                    settings.token_name = s;
                }
            }
            "description" => {
                if let Some((s, _)) = v.string() {
                    settings.description = s;
                }
            }
            "image" => {
                if let Some((s, span)) = v.string() {
                    v.template(&s, span, &["id"]);
                    settings.image = s;
                }
            }
            "external_url" => {
                if let Some((s, span)) = v.string() {
                    v.template(&s, span, &["id"]);
                    settings.external_url = Some(s);
                }
            }
            "symbol" => {
                if let Some((s, _)) = v.string() {
                    settings.symbol = s;
                }
            }
            "sizes" => {
                let mut sizes = Vec::new();
                for item in &setting.values {
                    if v.unpaired(item) {
                        continue;
                    }
                    let value = &item.value;
                    match value.node {
                        Value::Dimension(w, h) => {
                            if let Some(dim) = v.dimension(w, h, value.span, "an output size") {
                                sizes.push((dim, value.span));
                            }
                        }
                        Value::Number(n) if n.fract() != 0.0 || n < 1.0 => {
                            v.invalid(
                                value.span,
                                &format!("an output size is a whole number of pixels of at least 1, not {n}"),
                                "e.g. `sizes 512, 256 x 256`",
                            );
                        }
                        Value::Number(n) => {
                            // Height follows later, from the canvas's aspect ratio.
                            if let Some(dim) = v.dimension(n as u64, n as u64, value.span, "an output size") {
                                sizes.push(((dim.0, 0), value.span));
                            }
                        }
                        ref other => v.wrong_kind(value.span, other, "a width like `256` or a size like `256 x 256`"),
                    }
                }
                size_spans = sizes.iter().map(|(_, span)| *span).collect();
                settings.sizes = sizes.into_iter().map(|(d, _)| d).collect();
            }
            "resize" => {
                const NAMES: &[(&str, ResizeFilter)] = &[
                    ("nearest", ResizeFilter::Nearest),
                    ("triangle", ResizeFilter::Triangle),
                    ("catmull-rom", ResizeFilter::CatmullRom),
                    ("gaussian", ResizeFilter::Gaussian),
                    ("lanczos3", ResizeFilter::Lanczos3),
                    ("scale2x", ResizeFilter::Scale2x),
                    ("scale3x", ResizeFilter::Scale3x),
                    ("scale4x", ResizeFilter::Scale4x),
                ];
                if let Some(f) = v.word("resize filter", NAMES) {
                    settings.resize = f;
                }
            }
            "compression" => {
                const NAMES: &[(&str, Compression)] =
                    &[("fast", Compression::Fast), ("balanced", Compression::Balanced), ("small", Compression::Small)];
                if let Some(c) = v.word("compression level", NAMES) {
                    settings.compression = c;
                }
            }
            "background" => {
                if let Some(value) = v.single() {
                    match value.node {
                        Value::Colour(c) => settings.background = Some(c),
                        ref other => v.wrong_kind(value.span, other, "a colour like `#1a1a2e`"),
                    }
                }
            }
            "profiles" => {
                const NAMES: &[(&str, bool)] = &[("check", false), ("ignore", true)];
                if let Some(ignore) = v.word("profiles policy", NAMES) {
                    settings.ignore_profiles = ignore;
                }
            }
            "metadata" => {
                const NAMES: &[(&str, MetadataFlavour)] = &[
                    ("erc721", MetadataFlavour::Erc721),
                    ("opensea", MetadataFlavour::Erc721),
                    ("metaplex", MetadataFlavour::Metaplex),
                    ("solana", MetadataFlavour::Metaplex),
                ];
                if let Some(m) = v.word("metadata flavour", NAMES) {
                    settings.metadata = m;
                }
            }
            "royalty" => {
                if let Some(value) = v.single() {
                    match value.node {
                        Value::Percentage(p) if (0.0..=100.0).contains(&p) => {
                            settings.royalty_basis_points = (p * 100.0).round() as u32;
                            royalty_given = true;
                        }
                        Value::Percentage(p) => v.invalid(
                            value.span,
                            &format!("a royalty of {p}% is out of range"),
                            "royalties are between 0% and 100%",
                        ),
                        ref other => v.wrong_kind(value.span, other, "a percentage like `5%`"),
                    }
                }
            }
            "creators" => {
                let mut creators = Vec::new();
                let mut total = 0.0;
                let mut ok = true;
                for item in &setting.values {
                    let (Value::String(address), Some(Node { node: Value::Percentage(share), span: share_span })) =
                        (&item.value.node, &item.paired)
                    else {
                        v.invalid(
                            item.value.span,
                            "a creator is written `\"ADDRESS\": SHARE%`",
                            "e.g. `creators \"7xKX...\": 60%, \"9yQm...\": 40%`",
                        );
                        ok = false;
                        continue;
                    };
                    if share.fract() != 0.0 || *share < 0.0 || *share > 100.0 {
                        v.push(
                            Diagnostic::new(
                                Code::CreatorShares,
                                *share_span,
                                format!("a creator's share must be a whole percentage, not {share}%"),
                            )
                            .label("not a whole percentage")
                            .help("Metaplex shares are whole numbers from 0 to 100"),
                        );
                        ok = false;
                        continue;
                    }
                    total += share;
                    creators.push((address.clone(), *share as u8));
                }
                if ok && total != 100.0 {
                    v.push(
                        Diagnostic::new(
                            Code::CreatorShares,
                            setting.span,
                            format!("creators' shares add up to {total}%, not 100%"),
                        )
                        .label("these shares")
                        .help("Metaplex requires the creators' shares to sum to exactly 100"),
                    );
                }
                settings.creators = creators;
            }
            _ => {}
        }
    }

    let _ = royalty_given;
    for (key, found) in [("size", size.is_some()), ("canvas", canvas.is_some())] {
        if !found && !seen.contains_key(key) {
            let example = if key == "size" { "size 10000" } else { "canvas 1024 x 1024" };
            diagnostics.push(
                Diagnostic::new(Code::MissingSetting, collection.name.span, format!("the collection has no `{key}`"))
                    .label(format!("`{key}` missing in this collection"))
                    .help(format!("add `{example}` to the `collection` block")),
            );
        }
    }
    // Extra sizes given as a width keep the canvas's aspect ratio.
    if let Some((w, h)) = canvas {
        for size in &mut settings.sizes {
            if size.1 == 0 {
                let height = ((u64::from(size.0) * u64::from(h) + u64::from(w) / 2) / u64::from(w)).max(1);
                if height > MAX_PIXELS {
                    diagnostics.push(
                        Diagnostic::new(Code::LimitExceeded, spans.get("sizes"), format!("an output size {} pixels wide is {height} pixels high, beyond the limit of {MAX_PIXELS}", size.0))
                            .label("too large at the canvas's aspect ratio")
                            .help(format!("images are at most {MAX_PIXELS} x {MAX_PIXELS}; give a smaller width or `W x H`")),
                    );
                }
                size.1 = height.min(MAX_PIXELS) as u32;
            }
        }
    }
    if let Some(canvas) = canvas {
        redundant_sizes(&mut settings.sizes, &size_spans, canvas, diagnostics);
    }
    let complete = size.is_some() && canvas.is_some();
    settings.size = size.unwrap_or(MAX_SIZE);
    settings.canvas = canvas.unwrap_or((1, 1));
    (settings, spans, complete)
}

/// Reads the values of one setting, reporting what is wrong with them.
/// Warns about an extra size given twice, or equal to the canvas (whose
/// images are written anyway), and drops the repeats.
fn redundant_sizes(sizes: &mut Vec<(u32, u32)>, spans: &[Span], canvas: (u32, u32), diagnostics: &mut Vec<Diagnostic>) {
    let mut kept: Vec<((u32, u32), Span)> = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let span = spans.get(i).copied().unwrap_or_default();
        let shown = format!("{} x {}", size.0, size.1);
        if size == canvas {
            diagnostics.push(
                Diagnostic::new(Code::RedundantSize, span, format!("the output size {shown} is the canvas size"))
                    .label("same as `canvas`")
                    .help("`images/` already holds every image at the canvas size; remove this size"),
            );
        } else if let Some((_, first)) = kept.iter().find(|(k, _)| *k == size) {
            diagnostics.push(
                Diagnostic::new(Code::RedundantSize, span, format!("the output size {shown} is listed twice"))
                    .label("again")
                    .with_label(*first, "first here")
                    .help("remove the repeat; each size is written once"),
            );
            continue;
        }
        kept.push((size, span));
    }
    *sizes = kept.into_iter().map(|(s, _)| s).collect();
}

struct Values<'a, 'd> {
    setting: &'a Node<Setting>,
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl<'a> Values<'a, '_> {
    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Checks that every `{placeholder}` of a template is one of `known`.
    fn template(&mut self, text: &str, span: Span, known: &[&str]) {
        let key = self.setting.key.node.clone();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            let name = &after[..close];
            rest = &after[close + 1..];
            if known.contains(&name) {
                continue;
            }
            let listed: Vec<String> = known.iter().map(|k| format!("`{{{k}}}`")).collect();
            let help = match crate::diagnostic::did_you_mean(name, known.iter().copied()) {
                Some(k) => format!("did you mean `{{{k}}}`? `{key}` knows {}", listed.join(" and ")),
                None => format!("`{key}` knows {}", listed.join(" and ")),
            };
            self.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    span,
                    format!("unknown placeholder `{{{name}}}` in the `{key}` template"),
                )
                .label("would be written as is into every token")
                .help(help),
            );
        }
    }

    fn invalid(&mut self, span: Span, message: &str, help: &str) {
        self.push(Diagnostic::new(Code::InvalidValue, span, message.to_string()).help(help.to_string()));
    }

    fn wrong_kind(&mut self, span: Span, found: &Value, expected: &str) {
        let key = &self.setting.key.node;
        self.push(
            Diagnostic::new(Code::InvalidValue, span, format!("`{key}` takes {expected}, not {}", found.kind()))
                .label(format!("{} here", found.kind()))
                .help(format!("`{key}` takes {expected}")),
        );
    }

    /// Reports a `: value` pair where none belongs; true when reported.
    fn unpaired(&mut self, item: &crate::syntax::SettingValue) -> bool {
        if let Some(paired) = &item.paired {
            let key = self.setting.key.node.clone();
            self.invalid(paired.span, &format!("`{key}` takes no `:` pairs"), "remove the `:` and what follows it");
            return true;
        }
        false
    }

    /// The setting's only value.
    fn single(&mut self) -> Option<&'a Node<Value>> {
        let values = &self.setting.values;
        if values.len() > 1 {
            let key = self.setting.key.node.clone();
            let span = values[1].value.span.to(values[values.len() - 1].value.span);
            self.invalid(span, &format!("`{key}` takes one value"), "remove the extra values");
            return None;
        }
        let item = values.first()?;
        if self.unpaired(item) {
            return None;
        }
        Some(&item.value)
    }

    fn string(&mut self) -> Option<(String, Span)> {
        let value = self.single()?;
        match &value.node {
            Value::String(s) => Some((s.clone(), value.span)),
            other => {
                self.wrong_kind(value.span, other, "a string in double quotes");
                None
            }
        }
    }

    fn integer(&mut self) -> Option<(u64, Span)> {
        let value = self.single()?;
        match value.node {
            Value::Number(n) if n.fract() == 0.0 && (0.0..9.0e15).contains(&n) => Some((n as u64, value.span)),
            Value::Number(n) => {
                let key = self.setting.key.node.clone();
                self.invalid(
                    value.span,
                    &format!("`{key}` must be a whole number, not {n}"),
                    "write a whole number like `100`",
                );
                None
            }
            ref other => {
                self.wrong_kind(value.span, other, "a whole number");
                None
            }
        }
    }

    fn dimension(&mut self, w: u64, h: u64, span: Span, what: &str) -> Option<(u32, u32)> {
        if w == 0 || h == 0 {
            self.invalid(span, &format!("{what} cannot be zero pixels"), "give a width and height of at least 1");
            return None;
        }
        if w > MAX_PIXELS || h > MAX_PIXELS {
            self.push(
                Diagnostic::new(
                    Code::LimitExceeded,
                    span,
                    format!("{what} of {w} x {h} is beyond the limit of {MAX_PIXELS} pixels a side"),
                )
                .label("too large")
                .help(format!("images are at most {MAX_PIXELS} x {MAX_PIXELS}")),
            );
            return None;
        }
        Some((w as u32, h as u32))
    }

    fn word<T: Copy>(&mut self, what: &str, names: &[(&str, T)]) -> Option<T> {
        let value = self.single()?;
        let list = names.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ");
        match &value.node {
            Value::Word(w) => {
                if let Some((_, t)) = names.iter().find(|(n, _)| n == w) {
                    return Some(*t);
                }
                let mut d = Diagnostic::new(Code::InvalidValue, value.span, format!("unknown {what} `{w}`"))
                    .label(format!("not a {what}"));
                d = match did_you_mean(w, names.iter().map(|(n, _)| *n)) {
                    Some(s) => d.help(format!("did you mean `{s}`? (one of {list})")),
                    None => d.help(format!("use one of {list}")),
                };
                self.push(d);
                None
            }
            other => {
                self.wrong_kind(value.span, other, &format!("a word: one of {list}"));
                None
            }
        }
    }
}
