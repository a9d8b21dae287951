//! `dropc lsp`, driven as an editor drives it: the binary is spawned and
//! spoken to over stdin and stdout in JSON-RPC with `Content-Length`
//! framing, and every answer is checked against `check`, `fmt` and the file.

// Tests and benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

/// A running server.
struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for responses.
    notifications: Vec<Value>,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dropc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 {
                        return;
                    }
                    let header = header.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    if let Some(n) = header.strip_prefix("Content-Length: ") {
                        length = Some(n.parse::<usize>().unwrap());
                    }
                }
                let mut body = vec![0; length.expect("every message has a Content-Length")];
                reader.read_exact(&mut body).unwrap();
                if send.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let mut server = Server { child, stdin, messages, next_id: 0, notifications: Vec::new() };
        let init = server.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
        let caps = &init["capabilities"];
        for capability in [
            "hoverProvider",
            "completionProvider",
            "definitionProvider",
            "referencesProvider",
            "renameProvider",
            "documentSymbolProvider",
            "documentFormattingProvider",
        ] {
            assert!(!caps[capability].is_null(), "{capability} missing from {caps}");
        }
        server.notify("initialized", json!({}));
        server
    }

    fn send(&mut self, message: Value) {
        let body = serde_json::to_vec(&message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn next(&mut self) -> Value {
        self.messages.recv_timeout(Duration::from_secs(60)).expect("the server answered within a minute")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.next();
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{method} failed: {message}");
                return message["result"].clone();
            }
            self.notifications.push(message);
        }
    }

    /// A request that must fail; its error message.
    fn request_error(&mut self, method: &str, params: Value) -> String {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.next();
            if message["id"] == json!(id) {
                return message["error"]["message"].as_str().expect("an error").to_string();
            }
            self.notifications.push(message);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        if let Some(i) = self.notifications.iter().position(|m| is_diagnostics_for(m, uri)) {
            return self.notifications.remove(i)["params"]["diagnostics"].as_array().unwrap().clone();
        }
        loop {
            let message = self.next();
            if is_diagnostics_for(&message, uri) {
                return message["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.notifications.push(message);
        }
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "drop", "version": 1, "text": text } }),
        );
    }

    fn shutdown(mut self) {
        let result = self.request("shutdown", Value::Null);
        assert!(result.is_null());
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

fn is_diagnostics_for(message: &Value, uri: &str) -> bool {
    message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == uri
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } })
}

/// The `(line, character)` of the `n`th occurrence of `needle` in `text`.
fn find(text: &str, needle: &str, n: usize) -> (u32, u32) {
    let offset = text.match_indices(needle).nth(n).unwrap_or_else(|| panic!("`{needle}` #{n}")).0;
    let line = text[..offset].matches('\n').count();
    let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
    (line as u32, column as u32)
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const TEXT: &str = r#"collection "Test" {
    size 3
    canvas 8 x 8
}
trait Body < Ape: 3, Robot: 1 >
trait "Eye colour" < Blue: 1, Red: 1 >
forbid Body.Robot with "Eye colour".Red
count Body.Ape >= 1
"#;

#[test]
fn diagnostics_match_check_on_open_and_change() {
    let fixture = repo().join("tests/fixtures/names/unknown_variant.drop");
    let text = std::fs::read_to_string(&fixture).unwrap();
    // Not a `file:` URI: no art is read, as with `check --no-art`.
    let uri = "untitled:unknown_variant.drop";
    let mut server = Server::start();
    server.open(uri, &text);
    let published = server.diagnostics(uri);

    let check = Command::new(env!("CARGO_BIN_EXE_dropc"))
        .args(["check", "--no-art", "--format", "json"])
        .arg(&fixture)
        .output()
        .unwrap();
    let expected: Value = serde_json::from_slice(&check.stdout).unwrap();
    let expected = expected["diagnostics"].as_array().unwrap();
    assert!(!expected.is_empty());
    assert_eq!(published.len(), expected.len(), "{published:?}");
    for (got, want) in published.iter().zip(expected) {
        assert_eq!(got["code"], want["code"]);
        assert_eq!(got["severity"], if want["severity"] == "error" { 1 } else { 2 });
        assert!(got["message"].as_str().unwrap().starts_with(want["message"].as_str().unwrap()));
        let label = &want["labels"][0];
        // `check` counts 1-based lines and columns (in characters); the protocol 0-based.
        assert_eq!(got["range"]["start"]["line"], label["line"].as_u64().unwrap() - 1);
        assert_eq!(got["range"]["start"]["character"], label["column"].as_u64().unwrap() - 1);
    }

    // A change that fixes the file clears the errors (after the debounce).
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": TEXT }] }),
    );
    let published = server.diagnostics(uri);
    assert!(published.iter().all(|d| d["severity"] != 1), "{published:?}");

    // A syntax error is reported with check's code.
    let broken = TEXT.replace("Ape: 3", "Ape 3");
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": broken }] }),
    );
    let published = server.diagnostics(uri);
    assert_eq!(published[0]["code"], "drop::syntax", "{published:?}");
    server.shutdown();
}

#[test]
fn hover_shows_shares_and_art() {
    let path = repo().join("examples/pixel-pets/pets.drop");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = file_uri(&path);
    let mut server = Server::start();
    server.open(&uri, &text);
    assert_eq!(server.diagnostics(&uri), Vec::<Value>::new());

    let (line, character) = find(&text, "Crown", 1); // `Hat.Crown` in a rule
    let hover = server.request("textDocument/hover", at(&uri, line, character + 2));
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("**Hat.Crown**"), "{markdown}");
    // Crown: 8 of 20 + 6 + 6 + 3 + 8 = 43.
    assert!(markdown.contains("declared share: 18.6%"), "{markdown}");
    assert!(markdown.contains("predicted share under the rules:"), "{markdown}");
    assert!(markdown.contains("art: `layers/Hat/Crown.png`"), "{markdown}");
    assert!(markdown.contains("![Hat.Crown](file://"), "{markdown}");

    let (line, character) = find(&text, "Body", 0);
    let hover = server.request("textDocument/hover", at(&uri, line, character));
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("**Body**: trait, 4 variants"), "{markdown}");
    assert!(markdown.contains("layer 2 of 5"), "{markdown}");
    server.shutdown();
}

#[test]
fn completion_offers_traits_variants_keywords_and_settings() {
    let uri = "untitled:completion.drop";
    let mut server = Server::start();
    let text = TEXT.replace("count Body.Ape >= 1\n", "count Body.Ape >= 1\nforbid \"Eye colour\".\n");
    server.open(uri, &text);
    server.diagnostics(uri);

    let labels = |result: &Value| -> Vec<String> {
        result.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
    };
    let (line, character) = find(&text, "\"Eye colour\".\n", 0);
    let items = server.request("textDocument/completion", at(uri, line, character + "\"Eye colour\".".len() as u32));
    assert_eq!(labels(&items), ["Blue", "Red"]);

    let (line, _) = find(&text, "count", 0);
    let items = labels(&server.request("textDocument/completion", at(uri, line, 0)));
    for expected in ["Body", "\"Eye colour\"", "forbid", "require", "unique", "legendary"] {
        assert!(items.iter().any(|i| i == expected), "{expected} missing from {items:?}");
    }

    let (line, _) = find(&text, "canvas", 0);
    let items = labels(&server.request("textDocument/completion", at(uri, line, 4)));
    for expected in ["size", "seed", "canvas", "resize", "metadata"] {
        assert!(items.iter().any(|i| i == expected), "{expected} missing from {items:?}");
    }
    assert!(!items.iter().any(|i| i == "forbid"), "{items:?}");
    server.shutdown();
}

#[test]
fn profiles_option_is_completed_and_shown_on_hover() {
    let uri = "untitled:profiles.drop";
    let mut server = Server::start();
    let text = TEXT.replace("Robot: 1 >", "Robot: 1 profiles ignore >");
    server.open(uri, &text);
    assert!(server.diagnostics(uri).iter().all(|d| d["severity"] != 1));

    let (line, _) = find(&text, "count", 0);
    let items = server.request("textDocument/completion", at(uri, line, 0));
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"profiles"), "{labels:?}");

    let (line, character) = find(&text, "Robot", 0);
    let hover = server.request("textDocument/hover", at(uri, line, character + 1));
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("colour spaces the art declares are ignored (its `profiles ignore`)"), "{markdown}");
    let (line, character) = find(&text, "Ape", 0);
    let hover = server.request("textDocument/hover", at(uri, line, character + 1));
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(!markdown.contains("ignored"), "{markdown}");

    // Written on the trait: its hover says so, and a variant's hover names it.
    let text = TEXT.replace("Robot: 1 >", "Robot: 1 > profiles ignore blend multiply opacity 0.5 offset (1, -2)");
    let uri = "untitled:profiles-trait.drop";
    server.open(uri, &text);
    assert!(server.diagnostics(uri).iter().all(|d| d["severity"] != 1));
    let (line, character) = find(&text, "Body", 0);
    let hover = server.request("textDocument/hover", at(uri, line, character + 1));
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("colour spaces its art declares are ignored (its `profiles ignore`)"), "{markdown}");
    assert!(markdown.contains("every variant drawn with `blend multiply`"), "{markdown}");
    assert!(markdown.contains("every variant drawn at `opacity 0.5`"), "{markdown}");
    assert!(markdown.contains("every variant drawn at `offset (1, -2)`"), "{markdown}");
    let (line, character) = find(&text, "Ape", 0);
    let hover = server.request("textDocument/hover", at(uri, line, character + 1));
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(
        markdown.contains("colour spaces the art declares are ignored (its trait's `profiles ignore`)"),
        "{markdown}"
    );
    server.shutdown();
}

#[test]
fn definition_references_and_rename() {
    let uri = "untitled:names.drop";
    let mut server = Server::start();
    server.open(uri, TEXT);
    server.diagnostics(uri);

    // Definition of `Robot` in the forbid rule: its declaration.
    let (line, character) = find(TEXT, "Robot", 1);
    let location = server.request("textDocument/definition", at(uri, line, character + 1));
    let (decl_line, decl_char) = find(TEXT, "Robot", 0);
    assert_eq!(location["range"]["start"], json!({ "line": decl_line, "character": decl_char }));

    // References of trait `Body`: the declaration and the two rules.
    let mut params = at(uri, decl_line, 7);
    params["context"] = json!({ "includeDeclaration": true });
    let references = server.request("textDocument/references", params);
    assert_eq!(references.as_array().unwrap().len(), 3, "{references}");

    // Rename the quoted trait to a plain word, then a variant to a name with a space.
    let (line, character) = find(TEXT, "\"Eye colour\"", 1);
    let prepared = server.request("textDocument/prepareRename", at(uri, line, character + 2));
    assert_eq!(prepared["start"]["character"], character);
    let mut params = at(uri, line, character + 2);
    params["newName"] = json!("Eyes");
    let edit = server.request("textDocument/rename", params);
    let edits = edit["changes"][uri].as_array().unwrap();
    assert_eq!(edits.len(), 2, "{edit}");
    assert!(edits.iter().all(|e| e["newText"] == "Eyes"));

    let (line, character) = find(TEXT, "Ape", 1);
    let mut params = at(uri, line, character);
    params["newName"] = json!("Old Ape");
    let edit = server.request("textDocument/rename", params);
    let edits = edit["changes"][uri].as_array().unwrap();
    assert_eq!(edits.len(), 2, "{edit}");
    assert!(edits.iter().all(|e| e["newText"] == "\"Old Ape\""));

    // Renaming onto an existing name is refused.
    let mut params = at(uri, line, character);
    params["newName"] = json!("Robot");
    let error = server.request_error("textDocument/rename", params);
    assert!(error.contains("already declared"), "{error}");
    server.shutdown();
}

#[test]
fn document_symbols_and_formatting() {
    let uri = "untitled:symbols.drop";
    let mut server = Server::start();
    let messy = "collection \"T\"{size 4 canvas 8x8}\ntrait Body<Ape:3,Robot:1> // two\n";
    server.open(uri, messy);
    server.diagnostics(uri);

    let symbols = server.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    let symbols = symbols.as_array().unwrap();
    assert_eq!(symbols[0]["name"], "T");
    assert_eq!(symbols[1]["name"], "Body");
    let variants: Vec<&str> =
        symbols[1]["children"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(variants, ["Ape", "Robot"]);

    let edits = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["newText"], dropc::fmt::format(messy).unwrap());
    assert_eq!(edits[0]["range"]["start"], json!({ "line": 0, "character": 0 }));
    assert_eq!(edits[0]["range"]["end"], json!({ "line": 2, "character": 0 }));
    server.shutdown();
}

const GROUPS: &str = r#"collection "Groups" {
    size 3
    canvas 8 x 8
}
metadata trait Body < Ape: 3, Robot: 1, Gold: 1 >
metadata trait Head < Cap: 1, Helmet: 1 >
metadata trait Eyes < Dots: 1, Laser: 1 >
group Metal = Body.Robot, Body.Gold
forbid Metal with Head.Cap with Eyes.Laser
forbid Body.Ape with Head.Helmet with Eyes.Laser
count Metal <= 2
when Head.Helmet { Body < Ape: 1, Robot: 1 > }
"#;

#[test]
fn groups_have_definition_hover_rename_and_completion() {
    let uri = "untitled:groups.drop";
    let mut server = Server::start();
    server.open(uri, GROUPS);
    assert_eq!(server.diagnostics(uri), Vec::<Value>::new());

    // Definition of `Metal` in `count`: the group's declaration.
    let (line, character) = find(GROUPS, "Metal", 2);
    let location = server.request("textDocument/definition", at(uri, line, character + 1));
    let (decl_line, decl_char) = find(GROUPS, "Metal", 0);
    assert_eq!(location["range"]["start"], json!({ "line": decl_line, "character": decl_char }));
    // Hover: its members.
    let hover = server.request("textDocument/hover", at(uri, line, character + 1));
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("group of `Body.Robot`, `Body.Gold`"), "{markdown}");
    // Rename: the declaration and both uses; onto a trait's name: refused.
    let mut params = at(uri, line, character + 1);
    params["newName"] = json!("Shiny");
    let edit = server.request("textDocument/rename", params);
    assert_eq!(edit["changes"][uri].as_array().unwrap().len(), 3, "{edit}");
    let mut params = at(uri, line, character + 1);
    params["newName"] = json!("Head");
    assert!(server.request_error("textDocument/rename", params).contains("already declared"));
    // References of `Body.Ape`: its declaration, the chain and the `when`.
    let (line, character) = find(GROUPS, "Ape", 1);
    let mut params = at(uri, line, character);
    params["context"] = json!({ "includeDeclaration": true });
    assert_eq!(server.request("textDocument/references", params).as_array().unwrap().len(), 3);
    // Completion offers the group and the new keywords.
    let completion = server.request("textDocument/completion", at(uri, 11, 0));
    let items: Vec<&str> = completion.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    for expected in ["Metal", "group", "art"] {
        assert!(items.contains(&expected), "{expected} missing from {items:?}");
    }
    server.shutdown();
}
