//! Audits of an output folder written by `dropc run`.

use std::path::Path;

use crate::check::Model;

use super::Finding;

/// Every finding about the output folder `dir` of `model` (project folder `root`).
pub fn audit(model: &Model, root: &Path, dir: &Path) -> Vec<Finding> {
    let _ = (model, root, dir);
    Vec::new()
}
