//! The language server (`dropc lsp`): `check`, `simulate` and `fmt` where
//! the author types, over the Language Server Protocol (JSON-RPC on stdin
//! and stdout, `Content-Length` framing, handled by the `lsp-server` crate).
//!
//! Invariants:
//! - the diagnostics of a document are exactly `check`'s (same codes, same
//!   spans, converted to line and UTF-16 column), for the text the editor
//!   holds, with the art read from disk beside the file ([`art::CachedArt`]
//!   reuses each art file's check until the file changes);
//! - names resolve from the syntax tree ([`index::Index`]), so definition,
//!   references, rename and symbols work while the file has check errors;
//!   hover adds the checked model's figures when the file checks;
//! - formatting is [`crate::fmt::format`], the same text `dropc fmt` writes.
//!
//! Diagnostics after a change wait for [`DEBOUNCE`] without further changes,
//! so a burst of keystrokes costs one check. Requests are answered in order,
//! on one thread.

pub mod art;
pub mod index;
pub mod text;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionOptions, CompletionResponse, DiagnosticRelatedInformation,
    DiagnosticSeverity, DocumentSymbol, DocumentSymbolResponse, Hover, HoverContents, HoverProviderCapability,
    Location, MarkupContent, MarkupKind, NumberOrString, OneOf, Position, PublishDiagnosticsParams, Range,
    RenameOptions, ServerCapabilities, SymbolKind, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, TextEdit, Uri, WorkspaceEdit,
};

use crate::check::{ArtStore, NoArt};
use crate::diagnostic::Severity;
use crate::model::{Art, Model, ProfilePolicy};
use crate::syntax::{File, Statement};
use index::{Index, Symbol};
use text::LineIndex;

/// How long diagnostics wait after a change for the next one.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// Serves the protocol on stdin and stdout until the client exits.
pub fn serve_stdio() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (connection, io_threads) = Connection::stdio();
    let capabilities = serde_json::to_value(capabilities())?;
    connection.initialize(capabilities)?;
    Server::default().run(&connection)?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// What the server can do.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::FULL),
            // Saving may come with new art: diagnostics are computed again.
            save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            ..TextDocumentSyncOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

/// An open document.
struct Document {
    text: String,
    version: i32,
    lines: LineIndex,
    /// The syntax tree, when the text parses.
    tree: Option<File>,
    index: Index,
    /// The art of the document's folder (none for a document not on disk).
    art: Option<std::sync::Arc<art::CachedArt>>,
    /// The checked model, when the text checks without errors; with the
    /// predicted shares, computed on the first hover.
    model: Option<Model>,
    predicted: Option<Option<Vec<Vec<f64>>>>,
    /// Whether diagnostics were published for this text.
    checked: bool,
    /// The traits and their variants (with weights as written) of the last
    /// text that parsed: completion needs them most while the text does not.
    traits: Vec<(String, Vec<(String, String)>)>,
}

#[derive(Default)]
struct Server {
    documents: HashMap<String, Document>,
    /// Documents whose diagnostics are due, and when.
    due: HashMap<String, Instant>,
    /// Art caches by project folder, shared by the documents in it.
    art: HashMap<PathBuf, std::sync::Arc<art::CachedArt>>,
}

type Outcome = Result<(), Box<dyn std::error::Error + Send + Sync>>;

impl Server {
    fn run(&mut self, connection: &Connection) -> Outcome {
        loop {
            let message = match self.due.values().min() {
                Some(&when) => match connection.receiver.recv_timeout(when.saturating_duration_since(Instant::now())) {
                    Ok(m) => Some(m),
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return Ok(()),
                },
                None => match connection.receiver.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return Ok(()),
                },
            };
            match message {
                Some(Message::Request(request)) => {
                    if connection.handle_shutdown(&request)? {
                        return Ok(());
                    }
                    let response = self.request(request);
                    connection.sender.send(Message::Response(response))?;
                }
                Some(Message::Notification(notification)) => {
                    if notification.method == "exit" {
                        return Ok(());
                    }
                    self.notification(notification);
                }
                Some(Message::Response(_)) => {}
                None => {}
            }
            let now = Instant::now();
            let ready: Vec<String> = self.due.iter().filter(|&(_, &t)| t <= now).map(|(u, _)| u.clone()).collect();
            for uri in ready {
                self.due.remove(&uri);
                self.publish(connection, &uri)?;
            }
        }
    }

    fn notification(&mut self, notification: Notification) {
        let params = notification.params;
        match notification.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(params) else { return };
                let uri = p.text_document.uri.as_str().to_string();
                self.open(&uri, p.text_document.text, p.text_document.version);
                // Diagnostics of a newly opened file are due now.
                self.due.insert(uri, Instant::now());
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(params) else { return };
                let uri = p.text_document.uri.as_str().to_string();
                // Full synchronisation: the last change holds the whole text.
                if let Some(change) = p.content_changes.into_iter().last() {
                    self.open(&uri, change.text, p.text_document.version);
                    self.due.insert(uri, Instant::now() + DEBOUNCE);
                }
            }
            "textDocument/didSave" => {
                // The art may have changed with the file: check again now.
                let Ok(p) = serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(params) else { return };
                let uri = p.text_document.uri.as_str().to_string();
                if let Some(doc) = self.documents.get_mut(&uri) {
                    doc.checked = false;
                    self.due.insert(uri, Instant::now());
                }
            }
            "textDocument/didClose" => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(params) else { return };
                let uri = p.text_document.uri.as_str().to_string();
                self.documents.remove(&uri);
                self.due.remove(&uri);
            }
            _ => {}
        }
    }

    /// Stores a document's new text, parsed and indexed.
    fn open(&mut self, uri: &str, text: String, version: i32) {
        let tree = crate::syntax::parse(&text).ok();
        let index = tree.as_ref().map(Index::new).unwrap_or_default();
        let art = file_path(uri).and_then(|path| path.parent().map(PathBuf::from)).map(|root| {
            self.art.entry(root.clone()).or_insert_with(|| std::sync::Arc::new(art::CachedArt::new(root))).clone()
        });
        let lines = LineIndex::new(&text);
        let traits = match &tree {
            Some(tree) => declared_traits(tree, &text),
            None => match self.documents.get(uri) {
                Some(previous) if !previous.traits.is_empty() => previous.traits.clone(),
                _ => traits_of_broken(&text),
            },
        };
        let doc =
            Document { text, version, lines, tree, index, art, model: None, predicted: None, checked: false, traits };
        self.documents.insert(uri.to_string(), doc);
    }

    /// Checks a document and publishes its diagnostics.
    fn publish(&mut self, connection: &Connection, uri: &str) -> Outcome {
        let Some(doc) = self.documents.get_mut(uri) else { return Ok(()) };
        if doc.checked {
            return Ok(());
        }
        let store: &dyn ArtStore = match &doc.art {
            Some(art) => art.as_ref(),
            None => &NoArt,
        };
        let checked = match &doc.tree {
            Some(tree) => crate::check(tree, store),
            None => crate::check_text(&doc.text, store),
        };
        let diagnostics = checked.diagnostics.iter().map(|d| to_lsp(d, doc, uri)).collect();
        doc.model = if checked.has_errors() { None } else { checked.model };
        doc.predicted = None;
        doc.checked = true;
        let params = PublishDiagnosticsParams { uri: uri.parse::<Uri>()?, diagnostics, version: Some(doc.version) };
        connection
            .sender
            .send(Message::Notification(Notification::new("textDocument/publishDiagnostics".into(), params)))?;
        Ok(())
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            "textDocument/hover" => self.with_position(request, |s, uri, offset| s.hover(uri, offset)),
            "textDocument/completion" => self.with_position(request, |s, uri, offset| s.completion(uri, offset)),
            "textDocument/definition" => self.with_position(request, |s, uri, offset| s.definition(uri, offset)),
            "textDocument/references" => self.with_position(request, |s, uri, offset| s.references(uri, offset)),
            "textDocument/prepareRename" => self.with_position(request, |s, uri, offset| s.prepare_rename(uri, offset)),
            "textDocument/rename" => match serde_json::from_value::<lsp_types::RenameParams>(request.params) {
                Ok(p) => {
                    let uri = p.text_document_position.text_document.uri.as_str().to_string();
                    self.rename(&uri, p.text_document_position.position, &p.new_name)
                }
                Err(e) => Err(invalid(e)),
            },
            "textDocument/documentSymbol" => {
                match serde_json::from_value::<lsp_types::DocumentSymbolParams>(request.params) {
                    Ok(p) => Ok(self.symbols(p.text_document.uri.as_str())),
                    Err(e) => Err(invalid(e)),
                }
            }
            "textDocument/formatting" => {
                match serde_json::from_value::<lsp_types::DocumentFormattingParams>(request.params) {
                    Ok(p) => Ok(self.formatting(p.text_document.uri.as_str())),
                    Err(e) => Err(invalid(e)),
                }
            }
            other => Err((ErrorCode::MethodNotFound, format!("`{other}` is not supported"))),
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    /// Runs a request whose parameters are a document and a position.
    fn with_position(
        &mut self,
        request: Request,
        handler: impl FnOnce(&mut Self, &str, usize) -> serde_json::Value,
    ) -> Result<serde_json::Value, (ErrorCode, String)> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct At {
            text_document: lsp_types::TextDocumentIdentifier,
            position: Position,
        }
        let at: At = serde_json::from_value(request.params).map_err(invalid)?;
        let uri = at.text_document.uri.as_str().to_string();
        let Some(doc) = self.documents.get(&uri) else { return Ok(serde_json::Value::Null) };
        let offset = doc.lines.offset(&doc.text, at.position);
        Ok(handler(self, &uri, offset))
    }

    fn hover(&mut self, uri: &str, offset: usize) -> serde_json::Value {
        let Some(doc) = self.documents.get_mut(uri) else { return serde_json::Value::Null };
        let Some(occurrence) = doc.index.at(offset).cloned() else { return serde_json::Value::Null };
        let Some(tree) = &doc.tree else { return serde_json::Value::Null };
        if doc.predicted.is_none() {
            doc.predicted = Some(doc.model.as_ref().and_then(|m| crate::plan::predicted_shares(m).ok()));
        }
        let predicted = doc.predicted.as_ref().and_then(Option::as_ref);
        let text = match &occurrence.symbol {
            Symbol::Trait(name) => hover_trait(tree, doc.model.as_ref(), name),
            Symbol::Variant(t, v) => hover_variant(tree, doc.model.as_ref(), predicted, doc.art.as_deref(), t, v),
            Symbol::Group(name) => hover_group(tree, name),
        };
        let Some(text) = text else { return serde_json::Value::Null };
        let hover = Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: text }),
            range: Some(doc.lines.range(&doc.text, occurrence.span)),
        };
        serde_json::to_value(hover).unwrap_or_default()
    }

    fn completion(&mut self, uri: &str, offset: usize) -> serde_json::Value {
        let Some(doc) = self.documents.get(uri) else { return serde_json::Value::Null };
        let before = doc.text.get(..offset).unwrap_or("");
        let line = before.rsplit('\n').next().unwrap_or("");
        // The word being typed.
        let typed = line.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_' || c == '-');
        let traits = &doc.traits;
        let mut items = Vec::new();
        if let Some(owner) = typed.strip_suffix('.').and_then(trait_before_dot) {
            // `Trait.` : the trait's variants.
            for (name, variants) in traits {
                if *name == owner {
                    for (variant, weight) in variants {
                        items.push(item(&crate::model::source_name(variant), CompletionItemKind::ENUM_MEMBER, weight));
                    }
                }
            }
        } else if in_collection_block(doc, offset) && typed.trim().is_empty() {
            for key in crate::check::settings::KEYS {
                items.push(item(key, CompletionItemKind::PROPERTY, "setting"));
            }
        } else {
            for (name, variants) in traits {
                let detail = format!("trait, {} variant{}", variants.len(), if variants.len() == 1 { "" } else { "s" });
                items.push(item(&crate::model::source_name(name), CompletionItemKind::CLASS, &detail));
            }
            let groups = doc.tree.iter().flat_map(|t| &t.statements).filter_map(|s| match s {
                Statement::Group(g) => Some(g),
                _ => None,
            });
            for g in groups {
                let detail =
                    format!("group of {} member{}", g.members.len(), if g.members.len() == 1 { "" } else { "s" });
                items.push(item(&crate::model::source_name(&g.name.node), CompletionItemKind::CONSTANT, &detail));
            }
            for keyword in crate::syntax::KEYWORDS.iter().chain(&["none"]) {
                items.push(item(keyword, CompletionItemKind::KEYWORD, "keyword"));
            }
        }
        serde_json::to_value(CompletionResponse::Array(items)).unwrap_or_default()
    }

    fn definition(&mut self, uri: &str, offset: usize) -> serde_json::Value {
        let Some(doc) = self.documents.get(uri) else { return serde_json::Value::Null };
        let Some(occurrence) = doc.index.at(offset) else { return serde_json::Value::Null };
        let Some(declaration) = doc.index.declaration(&occurrence.symbol) else { return serde_json::Value::Null };
        match uri.parse::<Uri>() {
            Ok(u) => {
                serde_json::to_value(Location::new(u, doc.lines.range(&doc.text, declaration.span))).unwrap_or_default()
            }
            Err(_) => serde_json::Value::Null,
        }
    }

    fn references(&mut self, uri: &str, offset: usize) -> serde_json::Value {
        let Some(doc) = self.documents.get(uri) else { return serde_json::Value::Null };
        let Some(occurrence) = doc.index.at(offset) else { return serde_json::Value::Null };
        let Ok(u) = uri.parse::<Uri>() else { return serde_json::Value::Null };
        let locations: Vec<Location> = doc
            .index
            .all(&occurrence.symbol)
            .map(|o| Location::new(u.clone(), doc.lines.range(&doc.text, o.span)))
            .collect();
        serde_json::to_value(locations).unwrap_or_default()
    }

    fn prepare_rename(&mut self, uri: &str, offset: usize) -> serde_json::Value {
        let Some(doc) = self.documents.get(uri) else { return serde_json::Value::Null };
        match doc.index.at(offset) {
            Some(o) if !is_none(&o.symbol) => {
                serde_json::to_value(doc.lines.range(&doc.text, o.span)).unwrap_or_default()
            }
            _ => serde_json::Value::Null,
        }
    }

    fn rename(
        &mut self,
        uri: &str,
        position: Position,
        new_name: &str,
    ) -> Result<serde_json::Value, (ErrorCode, String)> {
        let Some(doc) = self.documents.get(uri) else { return Ok(serde_json::Value::Null) };
        let offset = doc.lines.offset(&doc.text, position);
        let Some(occurrence) = doc.index.at(offset) else {
            return Err((ErrorCode::InvalidParams, "there is no trait or variant name here".into()));
        };
        let new_name = new_name.trim();
        let new_name = new_name.strip_prefix('"').and_then(|n| n.strip_suffix('"')).unwrap_or(new_name);
        if new_name.is_empty() || new_name.contains(['"', '\\', '\n']) {
            return Err((ErrorCode::InvalidParams, format!("`{new_name}` cannot be a name")));
        }
        if is_none(&occurrence.symbol) || new_name == "none" {
            return Err((ErrorCode::InvalidParams, "`none` is reserved: it cannot be renamed or taken".into()));
        }
        let clash = match &occurrence.symbol {
            Symbol::Trait(_) => Symbol::Trait(new_name.to_string()),
            Symbol::Variant(t, _) => Symbol::Variant(t.clone(), new_name.to_string()),
            Symbol::Group(_) => Symbol::Group(new_name.to_string()),
        };
        // Groups and traits share bare names (a group may not shadow a trait).
        let shared = match &occurrence.symbol {
            Symbol::Trait(_) => Some(Symbol::Group(new_name.to_string())),
            Symbol::Group(_) => Some(Symbol::Trait(new_name.to_string())),
            Symbol::Variant(..) => None,
        };
        if doc.index.declaration(&clash).is_some() || shared.is_some_and(|s| doc.index.declaration(&s).is_some()) {
            return Err((ErrorCode::InvalidParams, format!("`{new_name}` is already declared")));
        }
        let written = crate::model::source_name(new_name).into_owned();
        // A trait's occurrences include the `Trait` of every `Trait.Variant`.
        let edits: Vec<TextEdit> = doc
            .index
            .all(&occurrence.symbol)
            .map(|o| TextEdit::new(doc.lines.range(&doc.text, o.span), written.clone()))
            .collect();
        let Ok(u) = uri.parse::<Uri>() else { return Ok(serde_json::Value::Null) };
        let edit = WorkspaceEdit { changes: Some(HashMap::from([(u, edits)])), ..WorkspaceEdit::default() };
        Ok(serde_json::to_value(edit).unwrap_or_default())
    }

    fn symbols(&self, uri: &str) -> serde_json::Value {
        let Some(doc) = self.documents.get(uri) else { return serde_json::Value::Null };
        let Some(tree) = &doc.tree else { return serde_json::Value::Null };
        let range = |span| doc.lines.range(&doc.text, span);
        let mut symbols = Vec::new();
        for statement in &tree.statements {
            match statement {
                Statement::Collection(c) => {
                    let children = c
                        .settings
                        .iter()
                        .map(|s| symbol(&s.key.node, SymbolKind::PROPERTY, range(s.span), range(s.key.span), None))
                        .collect();
                    symbols.push(symbol(
                        &c.name.node,
                        SymbolKind::MODULE,
                        range(c.span),
                        range(c.name.span),
                        Some(children),
                    ));
                }
                Statement::Trait(t) => {
                    let children = t
                        .variants
                        .iter()
                        .map(|v| symbol(v.name(), SymbolKind::ENUM_MEMBER, range(v.span()), range(v.name_span()), None))
                        .collect();
                    symbols.push(symbol(
                        &t.name.node,
                        SymbolKind::ENUM,
                        range(t.span),
                        range(t.name.span),
                        Some(children),
                    ));
                }
                Statement::Legendary(l) => {
                    symbols.push(symbol(&l.name.node, SymbolKind::OBJECT, range(l.span), range(l.name.span), None));
                }
                Statement::Group(g) => {
                    symbols.push(symbol(&g.name.node, SymbolKind::CONSTANT, range(g.span), range(g.name.span), None));
                }
                Statement::Forbid(_)
                | Statement::Require(_)
                | Statement::When(_)
                | Statement::Count(_)
                | Statement::Unique(_) => {
                    let span = statement.span();
                    let text = doc.text.get(span.start..span.end).unwrap_or("");
                    let head = text.split('\n').next().unwrap_or("").trim_end_matches('{').trim();
                    let mut selection = span;
                    selection.end = selection.start + text.find(' ').unwrap_or(text.len());
                    symbols.push(symbol(head, SymbolKind::EVENT, range(span), range(selection), None));
                }
            }
        }
        serde_json::to_value(DocumentSymbolResponse::Nested(symbols)).unwrap_or_default()
    }

    fn formatting(&self, uri: &str) -> serde_json::Value {
        let Some(doc) = self.documents.get(uri) else { return serde_json::Value::Null };
        match crate::fmt::format(&doc.text) {
            Ok(formatted) if formatted != doc.text => {
                let whole = Range::new(Position::new(0, 0), doc.lines.position(&doc.text, doc.text.len()));
                serde_json::to_value(vec![TextEdit::new(whole, formatted)]).unwrap_or_default()
            }
            Ok(_) => serde_json::json!([]),
            // A file with syntax errors is left as is (its errors are in the diagnostics).
            Err(_) => serde_json::Value::Null,
        }
    }
}

fn invalid(e: serde_json::Error) -> (ErrorCode, String) {
    (ErrorCode::InvalidParams, format!("invalid parameters: {e}"))
}

fn is_none(symbol: &Symbol) -> bool {
    matches!(symbol, Symbol::Variant(_, v) if v == "none")
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be given; it is `None`.
fn symbol(
    name: &str,
    kind: SymbolKind,
    range: Range,
    selection: Range,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    DocumentSymbol {
        name: if name.is_empty() { "?".into() } else { name.to_string() },
        detail: None,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range: selection,
        children,
    }
}

fn item(label: &str, kind: CompletionItemKind, detail: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail.to_string()),
        ..CompletionItem::default()
    }
}

/// The trait name right before a `.` (`Body`, `"Eye colour"`), unquoted.
fn trait_before_dot(before: &str) -> Option<String> {
    if let Some(quoted) = before.strip_suffix('"') {
        let start = quoted.rfind('"')?;
        return Some(quoted[start + 1..].to_string());
    }
    let start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).map_or(0, |i| i + 1);
    let word = &before[start..];
    (!word.is_empty()).then(|| word.to_string())
}

/// Whether `offset` is inside the `collection` block's braces.
fn in_collection_block(doc: &Document, offset: usize) -> bool {
    let collection = doc.tree.as_ref().and_then(|t| {
        t.statements.iter().find_map(|s| if let Statement::Collection(c) = s { Some(c.span) } else { None })
    });
    match collection {
        Some(span) => {
            let open =
                doc.text.get(span.start..span.end).and_then(|t| t.find('{')).map_or(span.end, |i| span.start + i);
            open < offset && offset < span.end
        }
        // While the file does not parse: the last `collection ... {` before the cursor is not closed yet.
        None => {
            let before = doc.text.get(..offset).unwrap_or("");
            before.rfind("collection").is_some_and(|at| {
                let rest = &before[at..];
                rest.contains('{') && !rest.contains('}')
            })
        }
    }
}

/// The traits of a text that does not parse: those of its statements that
/// parse on their own (a statement starts on a line that starts with a
/// statement keyword).
fn traits_of_broken(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    const STARTS: &[&str] = &[
        "collection",
        "trait",
        "hidden",
        "metadata",
        "forbid",
        "require",
        "when",
        "count",
        "unique",
        "legendary",
        "group",
    ];
    let mut starts: Vec<usize> = text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .chain([0])
        .filter(|&i| {
            let word = text[i..].split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
            STARTS.contains(&word)
        })
        .collect();
    starts.sort_unstable();
    starts.push(text.len());
    starts
        .windows(2)
        .filter_map(|w| text.get(w[0]..w[1]))
        .filter_map(|chunk| crate::syntax::parse(chunk).ok().map(|tree| declared_traits(&tree, chunk)))
        .flatten()
        .collect()
}

/// Every trait declared in a file, with its variants' weights as written.
fn declared_traits(tree: &File, text: &str) -> Vec<(String, Vec<(String, String)>)> {
    tree.statements
        .iter()
        .filter_map(|s| if let Statement::Trait(t) = s { Some(t) } else { None })
        .map(|t| {
            let variants = t
                .variants
                .iter()
                .map(|v| {
                    let span = v.weight().span;
                    let weight = text.get(span.start..span.end).unwrap_or("");
                    (v.name().to_string(), format!("weight {weight}"))
                })
                .collect();
            (t.name.node.clone(), variants)
        })
        .collect()
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p != 0.0 && p.abs() < 0.1 { format!("{p:.3}%") } else { format!("{p:.1}%") }
}

fn hover_trait(tree: &File, model: Option<&Model>, name: &str) -> Option<String> {
    let decl = tree.statements.iter().find_map(|s| match s {
        Statement::Trait(t) if t.name.node == name => Some(t),
        _ => None,
    })?;
    let kind = match decl.kind.as_ref().map(|k| k.node) {
        Some(crate::syntax::TraitKind::Hidden) => "hidden trait (rendered, not in metadata)",
        Some(crate::syntax::TraitKind::MetadataOnly) => "metadata trait (in metadata, no art)",
        _ => "trait",
    };
    let mut text = format!("**{}**: {kind}, {} variants", crate::model::source_name(name), decl.variants.len());
    if let Some(t) = model.and_then(|m| m.traits.iter().position(|t| t.name == name).map(|i| (m, i))) {
        let (model, i) = t;
        let depth = i + 1;
        text.push_str(&format!(
            "\n\nlayer {depth} of {} (bottom to top); art in `{}`",
            model.traits.len(),
            model.traits[i].folder.display()
        ));
    }
    for option in &decl.options {
        text.push_str(&trait_option_line(&option.node));
    }
    Some(text)
}

/// A line of a trait's hover for an option written after its `>`.
fn trait_option_line(option: &crate::syntax::LayerOption) -> String {
    use crate::syntax::{LayerOption, Value};
    match option {
        LayerOption::Blend(mode) => format!("\n\nevery variant drawn with `blend {}`", mode.node),
        LayerOption::Opacity(value) => match &value.node {
            Value::Number(n) => format!("\n\nevery variant drawn at `opacity {n}`"),
            _ => String::new(),
        },
        LayerOption::Offset(x, y) => format!("\n\nevery variant drawn at `offset ({}, {})`", x.node, y.node),
        LayerOption::Folder(_) => String::new(),
        LayerOption::Profiles(word) => match word.node.as_str() {
            "ignore" => "\n\ncolour spaces its art declares are ignored (its `profiles ignore`): their numbers are taken as sRGB"
                .to_string(),
            "check" => "\n\ncolour spaces its art declares are checked (its `profiles check`)".to_string(),
            _ => String::new(),
        },
    }
}

fn hover_group(tree: &File, name: &str) -> Option<String> {
    let decl = tree.statements.iter().find_map(|s| match s {
        Statement::Group(g) if g.name.node == name => Some(g),
        _ => None,
    })?;
    let members: Vec<String> = decl
        .members
        .iter()
        .map(|m| match &m.node {
            crate::syntax::Ref::Variant(v) => format!(
                "`{}.{}`",
                crate::model::source_name(&v.trait_name.node),
                crate::model::source_name(&v.variant.node)
            ),
            crate::syntax::Ref::Group(g) => format!("`{}`", crate::model::source_name(&g.node)),
        })
        .collect();
    Some(format!("**{}**: group of {}", crate::model::source_name(name), members.join(", ")))
}

fn hover_variant(
    tree: &File,
    model: Option<&Model>,
    predicted: Option<&Vec<Vec<f64>>>,
    art: Option<&art::CachedArt>,
    trait_name: &str,
    name: &str,
) -> Option<String> {
    let decl = tree.statements.iter().find_map(|s| match s {
        Statement::Trait(t) if t.name.node == trait_name => Some(t),
        _ => None,
    })?;
    let variant = decl.variants.iter().find(|v| v.name() == name)?;
    let weights: Vec<f64> = decl
        .variants
        .iter()
        .map(|v| if let crate::syntax::Value::Number(w) = v.weight().node { w.max(0.0) } else { 0.0 })
        .collect();
    let total: f64 = weights.iter().sum();
    let weight = if let crate::syntax::Value::Number(w) = variant.weight().node { w } else { f64::NAN };
    let title = format!("{}.{}", crate::model::source_name(trait_name), crate::model::source_name(name));
    let mut text = format!("**{title}**\n\n");
    if total > 0.0 && weight.is_finite() {
        text.push_str(&format!(
            "- declared share: {} (weight {weight} of {total})\n",
            percent(weight.max(0.0) / total)
        ));
    }
    let found = model.and_then(|m| {
        let t = m.traits.iter().position(|t| t.name == trait_name)?;
        let v = m.traits[t].variants.iter().position(|v| &*v.name == name)?;
        Some((m, t, v))
    });
    match (found, predicted) {
        (Some((_, t, v)), Some(shares)) => {
            if let Some(share) = shares.get(t).and_then(|s| s.get(v)) {
                text.push_str(&format!("- predicted share under the rules: {}\n", percent(*share)));
            }
        }
        _ => text.push_str("- predicted share: shown when the file checks without errors\n"),
    }
    if let Some((m, t, v)) = found {
        match (&m.traits[t].variants[v].art, m.traits[t].own_files(v)) {
            (Art::Derived { from, .. }, _) => {
                let source = &m.traits[t].variants[*from as usize].name;
                text.push_str(&format!("- art: `{}` recoloured\n", crate::model::source_name(source)));
            }
            (_, None) => text.push_str("- no art\n"),
            (_, Some(files)) => {
                for file in files {
                    text.push_str(&format!("- art: `{}`\n", file.path.display()));
                }
                if let ProfilePolicy::Ignore { by } =
                    m.profile_policy(m.traits[t].options_of(&m.traits[t].variants[v]).profiles)
                {
                    let on_trait = |span: crate::syntax::Span| {
                        decl.options.iter().any(|o| o.span.start <= span.start && span.end <= o.span.end)
                    };
                    let whose = match by {
                        Some(span) if on_trait(span) => "its trait's `profiles ignore`",
                        Some(_) => "its `profiles ignore`",
                        None => "the collection's `profiles ignore`",
                    };
                    text.push_str(&format!(
                        "- colour spaces the art declares are ignored ({whose}): its numbers are taken as sRGB\n"
                    ));
                }
                // The first file as an image, when it is on disk (cheap: a link, the editor loads it).
                let image = files.first().and_then(|f| art.map(|a| a.root().join(&f.path)));
                if let Some(path) = image.filter(|p| p.is_file()) {
                    if let Ok(url) = url::Url::from_file_path(&path) {
                        text.push_str(&format!("\n![{title}]({url})\n"));
                    }
                }
            }
        }
    }
    Some(text)
}

/// `check`'s diagnostic as the protocol's.
fn to_lsp(d: &crate::Diagnostic, doc: &Document, uri: &str) -> lsp_types::Diagnostic {
    let range = doc.lines.range(&doc.text, d.span());
    let mut message = d.message.clone();
    if let Some(label) = d.labels.first().filter(|l| !l.message.is_empty()) {
        message.push_str(&format!("\n{}", label.message));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = match uri.parse::<Uri>() {
        Ok(u) => d
            .labels
            .iter()
            .skip(1)
            .map(|l| DiagnosticRelatedInformation {
                location: Location::new(u.clone(), doc.lines.range(&doc.text, l.span)),
                message: if l.message.is_empty() { "here".into() } else { l.message.clone() },
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Note => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("dropc".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}

/// The path of a `file:` URI.
fn file_path(uri: &str) -> Option<PathBuf> {
    url::Url::parse(uri).ok().filter(|u| u.scheme() == "file").and_then(|u| u.to_file_path().ok())
}
