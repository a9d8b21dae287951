//! No input makes the parser or the checker panic.
//!
//! Two generators: arbitrary text (mostly garbage, exercising the parser's
//! error path), and real `.drop` files mutated by deleting, duplicating and
//! inserting language tokens (mostly almost-valid files, exercising the
//! checker). CI runs a few thousand cases; for a longer run:
//! `PROPTEST_CASES=200000 cargo test --release --test robustness`.

// Tests and benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::sync::LazyLock;

use dropc::check::NoArt;
use dropc::check_text;
use proptest::prelude::*;

/// Seed files: every fixture and example small enough to check quickly.
fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut stack = vec![root.join("tests/fixtures"), root.join("examples")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "drop") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    if text.len() < 8_000 {
                        files.push(text);
                    }
                }
            }
        }
    }
    files.sort();
    files
}

/// What token soups are made of: every keyword of the language
/// (`dropc::syntax::KEYWORDS`), and the other words, numbers and punctuation.
static TOKENS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| dropc::syntax::KEYWORDS.iter().copied().chain(OTHER_TOKENS.iter().copied()).collect());

const OTHER_TOKENS: &[&str] = &[
    "none",
    "size",
    "canvas",
    "seed",
    "sizes",
    "{",
    "}",
    "<",
    ">",
    "[",
    "]",
    "(",
    ")",
    ",",
    ":",
    ".",
    "->",
    "|",
    "=",
    "<=",
    ">=",
    "0",
    "1",
    "-1",
    "0.5",
    "99999999999999999999",
    "50%",
    "#ff00ff",
    "1024 x 1024",
    "\"",
    "\"x\"",
    "\"../../x\"",
    "Eyes",
    "Eyes.Cyber",
    "Head.none",
    "/*",
    "*/",
    "//",
    "\n",
    " ",
    "é",
    "\\u{1F600}",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    Duplicate { at: usize, len: usize },
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for m in mutations {
        let n = bytes.len().max(1);
        match *m {
            Mutation::Delete { at, len } => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                bytes.drain(at.min(bytes.len())..end);
            }
            Mutation::Insert { at, token } => {
                let at = (at % n).min(bytes.len());
                let t = TOKENS[token % TOKENS.len()].as_bytes();
                bytes.splice(at..at, t.iter().copied());
            }
            Mutation::Duplicate { at, len } => {
                let at = (at % n).min(bytes.len());
                let end = (at + len).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
    // Byte edits may split a character; the checker sees only valid UTF-8.
    String::from_utf8_lossy(&bytes).into_owned()
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), any::<usize>()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        (any::<usize>(), 1usize..200).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*") {
        let _ = check_text(&text, &NoArt);
    }

    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(0usize..TOKENS.len(), 0..60)) {
        let text: Vec<&str> = tokens.iter().map(|&i| TOKENS[i]).collect();
        let _ = check_text(&text.join(" "), &NoArt);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(3000), ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_never_panic(seed in any::<usize>(), mutations in proptest::collection::vec(mutation(), 1..6)) {
        let corpus = corpus();
        let text = &corpus[seed % corpus.len()];
        let mutated = mutate(text, &mutations);
        let checked = check_text(&mutated, &NoArt);
        // Every diagnostic points inside the text.
        for d in &checked.diagnostics {
            for label in &d.labels {
                prop_assert!(label.span.end <= mutated.len(), "{:?} outside the text", label.span);
                prop_assert!(mutated.is_char_boundary(label.span.start) && mutated.is_char_boundary(label.span.end));
            }
        }
    }
}
