//! Paths named in a `.drop` file stay inside the project folder.
//!
//! A collection is shared, built in CI and run on other people's machines: a
//! path like `../../etc/passwd` or `/home/me/art` must not be read. Paths are
//! checked lexically, before any file is opened ([`join_inside`]); then,
//! before a file is opened, symbolic links are resolved ([`resolve_inside`]):
//! `layers/Body/Evil.png` linked to `../../outside/secret.png` or to
//! `/etc/shadow` is refused, while links that stay inside the project folder
//! keep working.

use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic};
use crate::span::Span;

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

/// The art files that can stand for a variant whose default file
/// `<variant>.png` does not exist: the names among `names` (the file names in
/// the trait's folder) of the form `<variant>#<weight>.png`, as HashLips-style
/// engines name layers (`Red#50.png`). Sorted; the lookup uses the file only
/// when there is exactly one.
pub fn weighted_art_names<'a>(variant: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut found: Vec<&str> = names
        .into_iter()
        .filter(|name| {
            name.strip_prefix(variant)
                .and_then(|rest| rest.strip_prefix('#'))
                .and_then(|rest| rest.strip_suffix(".png"))
                .is_some_and(|weight| !weight.is_empty())
        })
        .collect();
    found.sort_unstable();
    found
}

/// A project-relative path whose file resolves, through symbolic links,
/// outside the project folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outside {
    /// Where the links lead.
    pub target: PathBuf,
}

/// The file `root/path` with every symbolic link resolved, when it stays
/// inside the canonical `root`; a file that does not exist (or a `root`
/// that cannot be resolved) is returned as `root/path`, for the caller's
/// open to report.
pub fn resolve_inside(root: &Path, path: &Path) -> Result<PathBuf, Outside> {
    let full = root.join(path);
    let (Ok(root), Ok(target)) = (std::fs::canonicalize(root), std::fs::canonicalize(&full)) else {
        return Ok(full);
    };
    if target.starts_with(&root) { Ok(target) } else { Err(Outside { target }) }
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

    #[cfg(unix)]
    #[test]
    fn links_leaving_the_project_are_refused() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let base = tmp.path().to_path_buf();
        let project = base.join("project");
        std::fs::create_dir_all(project.join("layers/Body")).expect("folders");
        std::fs::create_dir_all(base.join("outside")).expect("folders");
        std::fs::write(base.join("outside/secret.png"), b"x").expect("write");
        std::fs::write(project.join("layers/Body/Real.png"), b"x").expect("write");
        let link = |target: &str, name: &str| {
            std::os::unix::fs::symlink(target, project.join("layers/Body").join(name)).expect("link");
        };
        link("../../../outside/secret.png", "Evil.png");
        link("Real.png", "Alias.png");
        link("/etc/passwd", "Passwd.png");
        std::os::unix::fs::symlink(base.join("outside"), project.join("linked")).expect("link");
        let resolve = |p: &str| resolve_inside(&project, Path::new(p));
        assert!(resolve("layers/Body/Alias.png").is_ok_and(|p| p.ends_with("layers/Body/Real.png")));
        assert!(resolve("layers/Body/Evil.png").is_err_and(|o| o.target.ends_with("outside/secret.png")));
        assert!(resolve("layers/Body/Passwd.png").is_err());
        assert!(resolve("linked/secret.png").is_err());
        assert_eq!(resolve("layers/Body/Missing.png"), Ok(project.join("layers/Body/Missing.png")));
    }

    #[test]
    fn weighted_names_match_the_variant_exactly() {
        let names = ["Red#50.png", "Redder#5.png", "Red.jpg", "Red#.png", "Red#1#2.png", "red#3.png", "Red#7.PNG"];
        assert_eq!(weighted_art_names("Red", names), ["Red#1#2.png", "Red#50.png"]);
        assert_eq!(weighted_art_names("Redder", names), ["Redder#5.png"]);
        assert!(weighted_art_names("Blue", names).is_empty());
    }

    #[test]
    fn escapes_are_refused() {
        assert_eq!(project_relative("../../etc/passwd"), Err(Escape::Parent));
        assert_eq!(project_relative("/etc/passwd"), Err(Escape::Absolute));
        assert_eq!(join_inside(Path::new("layers"), "../../x.png"), Err(Escape::Parent));
        assert_eq!(project_relative(" "), Err(Escape::Empty));
    }
}
