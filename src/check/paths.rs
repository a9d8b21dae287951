//! Paths named in a `.drop` file stay inside the project folder.
//!
//! A collection is shared, built in CI and run on other people's machines: a
//! path like `../../etc/passwd` or `/home/me/art` must not be read. Paths are
//! checked lexically, before any file is opened.

use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::Span;

/// Why a path is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escape {
    /// An absolute path or a drive prefix.
    Absolute,
    /// `..` climbs above the project folder.
    Parent,
    /// An empty path.
    Empty,
}

/// Normalises `path` relative to the project folder, refusing escapes.
pub fn project_relative(path: &str) -> Result<PathBuf, Escape> {
    join_inside(Path::new(""), path)
}

/// `base/path`, normalised, refusing anything that leaves the project folder.
/// `base` is itself project-relative and normalised.
pub fn join_inside(base: &Path, path: &str) -> Result<PathBuf, Escape> {
    if path.trim().is_empty() {
        return Err(Escape::Empty);
    }
    let mut out: Vec<Component<'_>> = base.components().collect();
    for component in Path::new(path).components() {
        match component {
            Component::Prefix(_) | Component::RootDir => return Err(Escape::Absolute),
            Component::CurDir => {}
            Component::ParentDir => {
                if out.pop().is_none() {
                    return Err(Escape::Parent);
                }
            }
            Component::Normal(_) => out.push(component),
        }
    }
    Ok(out.iter().collect())
}

/// The diagnostic for a refused path.
pub fn escape_diagnostic(span: Span, path: &str, why: Escape) -> Diagnostic {
    let (message, label) = match why {
        Escape::Absolute => (format!("the path `{path}` is absolute"), "absolute path"),
        Escape::Parent => {
            (format!("the path `{path}` leaves the project folder"), "climbs above the folder of the `.drop` file")
        }
        Escape::Empty => ("the path is empty".to_string(), "empty path"),
    };
    Diagnostic::new(Code::PathEscape, span, message)
        .label(label)
        .help("paths are relative to the `.drop` file and stay inside its folder; copy the art into the project")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_paths_are_normalised() {
        assert_eq!(project_relative("layers/./Eyes/../Head"), Ok(PathBuf::from("layers/Head")));
        assert_eq!(join_inside(Path::new("layers"), "../art/x.png"), Ok(PathBuf::from("art/x.png")));
    }

    #[test]
    fn escapes_are_refused() {
        assert_eq!(project_relative("../../etc/passwd"), Err(Escape::Parent));
        assert_eq!(project_relative("/etc/passwd"), Err(Escape::Absolute));
        assert_eq!(join_inside(Path::new("layers"), "../../x.png"), Err(Escape::Parent));
        assert_eq!(project_relative(" "), Err(Escape::Empty));
    }
}
