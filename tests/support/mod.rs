//! Helpers shared by the tests that drive tools outside Rust (node and npm,
//! Vim, Neovim, the tree-sitter CLI, Python with Pillow, Chromium): finding
//! a tool, and what a missing one means. A missing tool skips its test
//! loudly, or fails it when `DROPC_REQUIRE_ALL_TOOLS` is set (as CI does), so
//! that a test cannot pass silently for want of its tool.
#![allow(dead_code)]

use std::env;
use std::path::PathBuf;

/// Whether `DROPC_REQUIRE_ALL_TOOLS` asks for a missing tool to be an error.
pub fn require_all_tools() -> bool {
    env::var_os("DROPC_REQUIRE_ALL_TOOLS").is_some_and(|v| !v.is_empty())
}

/// A missing tool: an error under `DROPC_REQUIRE_ALL_TOOLS`, else a loud skip.
pub fn missing_tool(what: &str) {
    assert!(!require_all_tools(), "{what}, and DROPC_REQUIRE_ALL_TOOLS is set (unset it to skip this test instead)");
    eprintln!(
        "\n\
         ************************************************************************\n\
         SKIPPED: {what} (set DROPC_REQUIRE_ALL_TOOLS=1 to make this an error)\n\
         ************************************************************************\n"
    );
}

/// The full path of an executable found on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    find_any_on_path(&[name])
}

/// The first of `names` found on `PATH`, directory by directory (in a
/// directory, in the order of `names`).
pub fn find_any_on_path(names: &[&str]) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    let files: Vec<String> = if cfg!(windows) {
        names.iter().flat_map(|name| ["exe", "cmd", "bat"].map(|ext| format!("{name}.{ext}"))).collect()
    } else {
        names.iter().map(|name| name.to_string()).collect()
    };
    env::split_paths(&path).flat_map(|dir| files.iter().map(move |f| dir.join(f))).find(|candidate| candidate.is_file())
}
