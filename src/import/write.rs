//! The `.drop` text of a [`Draft`]: a header saying where it came from,
//! the collection block, one trait per layer with aligned variant lists, and
//! comments where the engine's meaning needed a choice.

use std::fmt::Write as _;
use std::path::Path;

use super::{Draft, DraftPart, DraftTrait, DraftVariant, Place, RuleKind, Source};

/// A name as written: bare when it is an identifier, else quoted.
pub(crate) fn name(text: &str) -> String {
    let mut chars = text.chars();
    let bare = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !text.ends_with('-')
        && !crate::syntax::KEYWORDS.contains(&text);
    if bare { text.to_string() } else { string(text) }
}

/// A string literal.
pub(crate) fn string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A comment line (one line, whatever the text holds).
fn comment(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// Wraps `text` into `//` lines of at most about 100 columns.
fn comment_block(out: &mut String, indent: &str, text: &str) {
    let mut line = String::new();
    for word in comment(text).split(' ') {
        if !line.is_empty() && line.len() + word.len() + 1 > 96 {
            let _ = writeln!(out, "{indent}// {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}// {line}");
    }
}

/// Whether the check's default lookup finds this part's file from the
/// variant's name: `<folder>/<name>.png`, or the one `<name>#<weight>.png`.
fn found_by_default(source: &Source, t: &DraftTrait, v: &DraftVariant, part: &DraftPart) -> bool {
    let Some((folder, file)) = part.path.rsplit_once('/') else { return false };
    if folder != t.folder || v.name.contains(['/', '\\']) || v.name == "." || v.name == ".." {
        return false;
    }
    let plain = format!("{}.png", v.name);
    if file == plain {
        return true;
    }
    let dir = source.dir.join(folder);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    if names.contains(&plain) {
        return false;
    }
    crate::model::paths::weighted_art_names(&v.name, names.iter().map(String::as_str)) == [file]
}

fn placement(part: &DraftPart, first: &str, last: &str) -> String {
    match part.place {
        Place::Own => String::new(),
        Place::Bottom => format!(" below {}", name(first)),
        Place::Top => format!(" above {}", name(last)),
    }
}

/// What follows a variant's weight: its art.
fn art(source: &Source, t: &DraftTrait, v: &DraftVariant, first: &str, last: &str) -> String {
    match v.parts.as_slice() {
        [] => String::new(),
        [one] if one.place == Place::Own && found_by_default(source, t, v, one) => String::new(),
        [one] => format!("{}{}", string(&one.path), placement(one, first, last)),
        parts => {
            let listed: Vec<String> =
                parts.iter().map(|p| format!("{}{}", string(&p.path), placement(p, first, last))).collect();
            format!("[{}]", listed.join(", "))
        }
    }
}

pub(crate) fn write(source: &Source, draft: &Draft) -> String {
    let mut out = String::new();
    let engine = draft.engine;
    let _ = writeln!(out, "// Imported by `dropc import {}` from `{}`,", engine.name(), source.shown);
    let _ = writeln!(out, "// a {} layers folder.", engine.title());
    for note in &draft.notes {
        comment_block(&mut out, "", note);
    }
    out.push('\n');

    let _ = writeln!(out, "collection {} {{", string(&draft.name));
    let mut settings: Vec<(&str, String)> = vec![
        ("size", draft.size.to_string()),
        ("canvas", format!("{} x {}", draft.canvas.0, draft.canvas.1)),
        ("layers", string(&source.layers_setting)),
    ];
    if let Some((w, h)) = draft.sizes {
        settings.push(("sizes", format!("{w} x {h}")));
    }
    if let Some(d) = &draft.description {
        settings.push(("description", string(d)));
    }
    let width = settings.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in settings {
        let _ = writeln!(out, "    {key:width$} {value}");
    }
    out.push_str("}\n");

    let (first, last) = match (draft.traits.first(), draft.traits.last()) {
        (Some(f), Some(l)) => (f.name.clone(), l.name.clone()),
        _ => (String::new(), String::new()),
    };
    for t in &draft.traits {
        out.push('\n');
        for c in &t.comments {
            comment_block(&mut out, "", c);
        }
        let mut options = String::new();
        if t.folder != t.name {
            let _ = write!(options, " folder {}", string(&t.folder));
        }
        if let Some(b) = t.blend {
            let _ = write!(options, " blend {b}");
        }
        if let Some(o) = t.opacity {
            let _ = write!(options, " opacity {}%", (o * 1000.0).round() / 10.0);
        }
        let rows: Vec<(String, String, String, Option<String>)> = t
            .variants
            .iter()
            .map(|v| {
                (
                    format!("{}:", name(&v.name)),
                    v.weight.to_string(),
                    art(source, t, v, &first, &last),
                    v.comment.clone(),
                )
            })
            .collect();
        let simple = rows.len() <= 4 && rows.iter().all(|(_, _, a, c)| a.is_empty() && c.is_none());
        if simple {
            let listed: Vec<String> = rows.iter().map(|(n, w, _, _)| format!("{n} {w}")).collect();
            let _ = writeln!(out, "trait {} < {} >{options}", name(&t.name), listed.join(", "));
            continue;
        }
        let _ = writeln!(out, "trait {} <", name(&t.name));
        let name_width = rows.iter().map(|(n, _, _, _)| n.chars().count()).max().unwrap_or(0);
        let weight_width = rows.iter().map(|(_, w, _, _)| w.len()).max().unwrap_or(0);
        for (n, w, a, c) in &rows {
            let mut line = format!("    {n:name_width$} {w:>weight_width$}");
            if !a.is_empty() {
                line.push(' ');
                line.push_str(a);
            }
            line.push(',');
            if let Some(c) = c {
                line.push_str("  // ");
                line.push_str(&comment(c));
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        let _ = writeln!(out, ">{options}");
    }
    if !draft.rules.is_empty() {
        out.push('\n');
    }
    for rule in &draft.rules {
        comment_block(&mut out, "", &rule.comment);
        let refs = |list: &[(String, String)]| -> Vec<String> {
            list.iter().map(|(t, v)| format!("{}.{}", name(t), name(v))).collect()
        };
        let _ = match rule.kind {
            RuleKind::Forbid => {
                writeln!(out, "forbid {} with {}", refs(&rule.left).join(", "), refs(&rule.right).join(", "))
            }
            RuleKind::Require => {
                writeln!(out, "require {} -> {}", refs(&rule.left).join(", "), refs(&rule.right).join(" | "))
            }
        };
    }
    if let Some(names) = &draft.unique_by {
        out.push('\n');
        out.push_str("// Layers with `bypassDNA` do not count for uniqueness.\n");
        let listed: Vec<String> = names.iter().map(|n| name(n)).collect();
        let _ = writeln!(out, "unique by {}", listed.join(", "));
    }
    out
}

/// The folder a `.drop` written to `output` is in (the current folder for stdout).
pub fn drop_dir(output: Option<&Path>) -> std::path::PathBuf {
    match output.and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_when_needed() {
        assert_eq!(name("Red"), "Red");
        assert_eq!(name("Eye color"), "\"Eye color\"");
        assert_eq!(name("shirt one "), "\"shirt one \"");
        assert_eq!(name("trait"), "\"trait\"");
        assert_eq!(name("3D"), "\"3D\"");
        assert_eq!(name("a-"), "\"a-\"");
        assert_eq!(name("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
    }
}
