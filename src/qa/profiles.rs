//! Converting art to sRGB: the fix for `art_colour_profile`.
//!
//! dropc never converts colours behind the author's back: the art on disk is
//! what is rendered and hashed into the provenance record. A layer in another
//! colour space (an ICC profile such as Display P3, or `cICP` code points) is
//! an error of `dropc check`, and this module is the explicit way out:
//! [`fix_profiles`] rewrites each such file of a collection in sRGB and keeps
//! the original beside it as `<name>.png.orig` (`dropc qa --fix-profiles`).
//!
//! The conversion itself is [`crate::png::convert_to_srgb`] (which says what
//! a converted file keeps).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::model::Model;
pub use crate::png::{colour_space, convert_to_srgb};

/// The art files [`fix_profiles`] leaves as they are because their colour
/// spaces are ignored (`profiles ignore`), whatever they declare.
pub fn ignored(model: &Model) -> Vec<&Path> {
    model.profile_policies().into_iter().filter(|(_, policy)| policy.ignored()).map(|(p, _)| p).collect()
}

/// What [`fix_profiles`] did to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileFix {
    /// The art file, relative to the project folder.
    pub path: PathBuf,
    /// The colour space it was in (`ICC profile \`Display P3\``).
    pub from: String,
    /// `Ok` when the file now holds the sRGB version (the original is at
    /// `<path>.orig`), or why it was left as it was.
    pub result: Result<(), String>,
}

/// Converts every art file of `model` (paths relative to `root`) whose ICC
/// profile or `cICP` is not sRGB: the file is rewritten in sRGB and the
/// original kept as `<name>.png.orig`. Files already in sRGB (or untagged, or
/// with only `gAMA`) are left alone and not listed, and so are files whose
/// colour spaces the author ignores (`profiles ignore` on the collection,
/// their trait or variant: [`Model::profile_policies`]; see [`ignored`]). A
/// file whose backup name is taken is not converted (the error says so):
/// converting twice would lose the original.
pub fn fix_profiles(model: &Model, root: &Path) -> Vec<ProfileFix> {
    let paths: BTreeSet<&Path> =
        model.profile_policies().into_iter().filter(|(_, policy)| !policy.ignored()).map(|(p, _)| p).collect();
    let mut out = Vec::new();
    for path in paths {
        // The link itself is what a conversion replaces; where it leads must
        // stay inside the project.
        let full = root.join(path);
        if let Err(outside) = crate::model::paths::resolve_inside(root, path) {
            let why = format!("resolves to `{}`, outside the project folder", outside.target.display());
            out.push(ProfileFix { path: path.to_path_buf(), from: "an unknown colour space".into(), result: Err(why) });
            continue;
        }
        // A file that cannot be read or whose header is broken is not
        // skipped silently: it is listed as not converted, with why.
        let unread = |why: String| ProfileFix {
            path: path.to_path_buf(),
            from: "an unknown colour space".into(),
            result: Err(why),
        };
        let bytes = match crate::files::read(&full, crate::files::ART_LIMIT, crate::files::Links::Follow) {
            Ok(bytes) => bytes,
            Err(e) => {
                out.push(unread(e.phrase()));
                continue;
            }
        };
        let colour = match colour_space(&bytes) {
            Ok(colour) => colour,
            Err(why) => {
                out.push(unread(why));
                continue;
            }
        };
        if !colour.needs_conversion() {
            continue;
        }
        let result = convert_to_srgb(&bytes).and_then(|converted| {
            let mut backup = full.clone().into_os_string();
            backup.push(".orig");
            let backup = PathBuf::from(backup);
            if backup.exists() {
                return Err(format!("`{}` already exists; move it away first", backup.display()));
            }
            let mut temporary = full.clone().into_os_string();
            temporary.push(".srgb-tmp");
            let temporary = PathBuf::from(temporary);
            std::fs::write(&temporary, &converted).map_err(|e| format!("cannot write: {e}"))?;
            std::fs::rename(&full, &backup).map_err(|e| format!("cannot keep the original: {e}"))?;
            std::fs::rename(&temporary, &full).map_err(|e| format!("cannot replace the file: {e}"))
        });
        out.push(ProfileFix { path: path.to_path_buf(), from: colour.describe(), result });
    }
    out
}
