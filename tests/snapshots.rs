//! Rendered reports, as a user sees them in a terminal, for a representative
//! set of fixtures. Rendered without colour at 80 columns so that snapshots
//! are stable; review changes with `cargo insta review`.

// Tests and benchmarks may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use dropc::SourceFile;
use dropc::check::{ArtStore, DiskArt, NoArt};
use dropc::check_text;
use dropc::diagnostic::{Style, render_human};

fn render(fixture: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let path = root.join(fixture);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{fixture}: {e}"));
    let disk = DiskArt { root: path.parent().map(Path::to_path_buf).unwrap_or_default() };
    let store: &dyn ArtStore = if fixture.starts_with("art/") { &disk } else { &NoArt };
    let checked = check_text(&text, store);
    render_human(&checked.diagnostics, &SourceFile::new(fixture, text), Style::Plain, 80)
}

macro_rules! snapshots {
    ($($name:ident => $fixture:literal,)*) => {
        $(
            #[test]
            fn $name() {
                insta::assert_snapshot!(stringify!($name), render($fixture));
            }
        )*
    };
}

snapshots! {
    syntax_missing_weight => "syntax/missing_weight.drop",
    syntax_several_errors => "syntax/several_errors.drop",
    syntax_unterminated_string => "syntax/unterminated_string.drop",
    unknown_setting => "settings/unknown_setting.drop",
    invalid_value => "settings/invalid_value.drop",
    unknown_variant => "names/unknown_variant.drop",
    duplicate_trait => "names/duplicate_trait.drop",
    invalid_weight => "weights/invalid_weight.drop",
    when_cycle => "rules/when_cycle.drop",
    ambiguous_when => "rules/ambiguous_when.drop",
    count_conflict => "rules/count_conflict.drop",
    rule_never_fires => "rules/rule_never_fires.drop",
    path_escape => "rules/path_escape.drop",
    size_infeasible => "feasibility/size_infeasible.drop",
    count_infeasible => "feasibility/count_infeasible.drop",
    improbable_count => "feasibility/improbable_count.drop",
    art_checks => "art/art_checks.drop",
    legendary_conflict => "legendary/legendary_conflict.drop",
    metaplex_limit => "legendary/metaplex_limit.drop",
}
