//! The comments of a `.drop` file, which pest's grammar skips as trivia.
//!
//! A lossless pass over the source that only needs to tell strings from
//! comments: in a file that parses, `"` opens a string (one line, with `\`
//! escapes) and `//` or `/*` outside a string opens a comment; nothing else
//! in the language holds a `/` or a `"`. Every comment is found, in order.

use crate::syntax::Span;

/// One comment of the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Where it is, `//` or `/*` included (a line comment ends before its newline).
    pub span: Span,
    /// Whether code or another comment precedes it on its line (a comment at
    /// the end of a line of code), rather than it standing on a line of its own.
    pub trailing: bool,
}

/// Every comment of `source`, in source order.
pub fn scan(source: &str) -> Vec<Comment> {
    let bytes = source.as_bytes();
    let mut comments = Vec::new();
    let mut i = 0;
    // Whether anything but whitespace was seen since the last newline.
    let mut line_has_code = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                line_has_code = false;
                i += 1;
            }
            b'"' => {
                line_has_code = true;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = source[i..].find('\n').map_or(source.len(), |n| i + n);
                // A `\r\n` line ending is not part of the comment.
                let end = if end > i && bytes[end - 1] == b'\r' { end - 1 } else { end };
                comments.push(Comment { span: Span::new(i, end), trailing: line_has_code });
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = source[i + 2..].find("*/").map_or(source.len(), |n| i + 2 + n + 2);
                comments.push(Comment { span: Span::new(i, end), trailing: line_has_code });
                line_has_code = true;
                i = end;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            _ => {
                line_has_code = true;
                i += 1;
            }
        }
    }
    comments.retain(|c| c.span.end <= source.len());
    comments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_hide_comment_markers() {
        let src = "a \"x // y /* z\" // real\n/* block */ b // two\n";
        let found: Vec<(&str, bool)> = scan(src).iter().map(|c| (&src[c.span.start..c.span.end], c.trailing)).collect();
        assert_eq!(found, vec![("// real", true), ("/* block */", false), ("// two", true)]);
    }

    #[test]
    fn escaped_quotes_stay_in_the_string() {
        let src = "\"a \\\" // not\" // yes";
        let found: Vec<&str> = scan(src).iter().map(|c| &src[c.span.start..c.span.end]).collect();
        assert_eq!(found, vec!["// yes"]);
    }
}
