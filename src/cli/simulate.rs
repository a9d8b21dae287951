//! `dropc simulate FILE [--format human|json]`: the rarity a collection will
//! really have, before anything is generated.
//!
//! Predicted shares are the law of one token under every `forbid`, `require`
//! and `when`, computed exactly (variable elimination or search) except for a
//! rule group too dense for both, drawn by rejection from a relaxation: its
//! shares are estimated from exact draws, and labelled so (`predicted_method`,
//! `predicted_error`; `~` in the table). `count` and `unique` act on the whole collection afterwards:
//! a count pins its variant's number of tokens (so its share becomes the
//! count, and the other variants of that trait and of tied traits shift), and
//! uniqueness draws without replacement, which flattens shares slightly when
//! the collection uses a large part of its combinations. Both are reported
//! (counts with whether they can hold, and the fraction of combinations used).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use super::common::{Loaded, load, model_or_report, read_source, report};
use super::{EXIT_INPUT, Format, SimulateArgs};
use dropc::SourceFile;
use dropc::model::Model;
use dropc::plan::Plan;
use dropc::plan::shares_of_plan;
use dropc::sample::SampleError;
use dropc::sample::expected::{self, DRIFT_TOLERANCE, Expected, Method};
use dropc::solve::Count;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// Predicted shares further than this from the declared ones are flagged.
pub const TOLERANCE: f64 = 0.05;

/// Runs `dropc simulate`.
pub fn run(args: &SimulateArgs) -> ExitCode {
    let loaded = match load(&args.file, args.no_art) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if let Err(code) = model_or_report(&loaded, args.format) {
        return code;
    }
    // From here on the source is only needed to show an error of the plan,
    // which a checked collection does not meet: its text (as large as the
    // file, over a megabyte for the largest) is let go before the plan and
    // the shares are built, and read again only for such an error.
    let Loaded { checked, source } = loaded;
    let source = Unloaded::of(source);
    let Some(model) = checked.model.as_ref() else { return ExitCode::from(EXIT_INPUT) };
    // One compiled plan for both shares (the predicted ones read only the
    // unconditioned distributions); when the `count` rules' strata are
    // beyond the sampler, the unconditioned plan alone still predicts.
    let full = Plan::new(model);
    let fallback;
    let base: &Plan = match &full {
        Ok(plan) => plan,
        Err(_) => match Plan::build(model, false) {
            Ok(plan) => {
                fallback = plan;
                &fallback
            }
            Err(e) => {
                match source.reload(&args.file) {
                    Ok(source) => report(&e.to_diagnostics(model), &source, args.format),
                    Err(why) => errln!("error: {why}"),
                }
                return ExitCode::from(EXIT_INPUT);
            }
        },
    };
    // The predicted shares, shared with the expected ones when those are the same.
    let predicted: std::sync::Arc<[Vec<f64>]> = shares_of_plan(model, base).into();
    let predicted_exact = expected::predicted_exact(model, base);
    let feasibility = checked.feasibility.as_ref();
    let combinations = feasibility.map(|f| f.combinations);
    let ranges: Vec<(u128, u128)> = feasibility.map(|f| f.count_ranges.clone()).unwrap_or_default();
    let expected = full.as_ref().map_err(Clone::clone).and_then(|plan| {
        expected::expected_given(
            model,
            plan,
            &predicted,
            combinations.and_then(|c| c.exact()),
            feasibility.and_then(|f| f.log_partition),
        )
    });
    let doc = Document {
        model,
        predicted: &predicted,
        predicted_exact: &predicted_exact,
        expected: &expected,
        combinations,
        ranges: &ranges,
    };
    // Written as it is made, through one buffer. A closed pipe (`| head`) is
    // not an error worth a panic: writing just stops.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let _ = match args.format {
        Format::Json => serde_json::to_writer_pretty(&mut out, &doc)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n")),
        Format::Human => human(&doc, &mut out),
    };
    let _ = out.flush();
    ExitCode::SUCCESS
}

/// A checked source whose text was let go: its name and the digest of its
/// bytes, enough to read it again and know it is the text that was checked.
struct Unloaded {
    name: String,
    digest: dropc::digest::Sha256Digest,
}

impl Unloaded {
    fn of(source: SourceFile) -> Unloaded {
        Unloaded { digest: dropc::digest::sha256(source.text.as_bytes()), name: source.name }
    }

    /// The text read again from `path`, or why it cannot be shown: it
    /// cannot be read, or it changed since it was checked (the spans of a
    /// diagnostic would point into another text).
    fn reload(&self, path: &Path) -> Result<SourceFile, String> {
        let bytes =
            read_source(path).ok_or_else(|| format!("`{}` cannot be read again to show an error", self.name))?;
        match dropc::syntax::source_text(bytes) {
            Ok(text) if dropc::digest::sha256(text.as_bytes()) == self.digest => {
                Ok(SourceFile::new(self.name.clone(), text))
            }
            _ => Err(format!("`{}` changed while it was simulated; run `dropc simulate` again", self.name)),
        }
    }
}

fn declared(model: &Model, t: usize) -> Vec<f64> {
    let ws: Vec<f64> = model.traits[t].variants.iter().map(|v| v.weight).collect();
    let total: f64 = ws.iter().sum();
    ws.iter().map(|w| if total > 0.0 { w / total } else { 0.0 }).collect()
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Exact => "exact",
        Method::Bounded => "bounded",
        Method::Estimated => "estimated",
    }
}

/// The JSON document of `simulate`, serialised as it is made: every trait's
/// rows are computed while they are written, so the document is never held
/// whole (a 100,000-variant trait made a tree of about 130 MB). Keys are in
/// the order `serde_json`'s map sorts them, which the document had when it was
/// built as a `serde_json::Value`: the bytes are the same.
struct Document<'a> {
    model: &'a Model,
    predicted: &'a [Vec<f64>],
    predicted_exact: &'a [bool],
    expected: &'a Result<Expected, SampleError>,
    combinations: Option<Count>,
    ranges: &'a [(u128, u128)],
}

/// One variant's row (fields in sorted key order).
#[derive(Serialize)]
struct VariantRow<'a> {
    declared: f64,
    expected: Option<f64>,
    expected_error: Option<f64>,
    expected_flagged: bool,
    expected_tokens: f64,
    flagged: bool,
    name: &'a str,
    predicted: f64,
    predicted_error: f64,
}

/// One trait's row; its variants are made as they are written.
#[derive(Serialize)]
struct TraitRow<'a> {
    expected_method: Option<&'static str>,
    name: &'a str,
    predicted_method: &'static str,
    variants: Variants<'a>,
}

struct Variants<'a> {
    doc: &'a Document<'a>,
    t: usize,
}

struct Traits<'a>(&'a Document<'a>);

/// One `count` rule's row.
#[derive(Serialize)]
struct CountRow<'a> {
    can_hold: Option<bool>,
    expected_without_count: Option<f64>,
    max: u64,
    min: u64,
    possible: Option<Possible>,
    rule: String,
    variant: &'a str,
}

#[derive(Serialize)]
struct Possible {
    least: String,
    most: String,
}

#[derive(Serialize)]
struct Bounds {
    lower: String,
    upper: String,
}

const METHODS: &str = "predicted shares are the law of one token under forbid, require and when, exact unless the trait's predicted_method is estimated (a rule group too dense to compile, estimated from exact draws of a relaxation, predicted_error its standard error bound); expected shares are among the generated tokens of this collection, with count, unique and legendaries, obtained as the trait's expected_method says";

impl<'a> Document<'a> {
    fn exp(&self) -> Option<&'a Expected> {
        self.expected.as_ref().ok()
    }

    fn trait_row(&'a self, t: usize) -> TraitRow<'a> {
        let exact = self.predicted_exact[t];
        TraitRow {
            expected_method: self.exp().map(|e| method_name(e.methods[t])),
            name: &self.model.traits[t].name,
            predicted_method: if exact { "exact" } else { "estimated" },
            variants: Variants { doc: self, t },
        }
    }

    /// The rows of trait `t`'s variants.
    fn variant_rows(&self, t: usize) -> impl Iterator<Item = VariantRow<'a>> + '_ {
        let (model, exp, g) = (self.model, self.exp(), self.model.generated_size());
        let d = declared(model, t);
        let exact = self.predicted_exact[t];
        model.traits[t].variants.iter().enumerate().map(move |(v, var)| {
            let p = self.predicted[t][v];
            VariantRow {
                declared: d[v],
                expected: exp.map(|e| e.shares[t][v]),
                expected_error: exp.map(|e| e.errors.get(t, v)),
                expected_flagged: exp.is_some_and(|e| (e.shares[t][v] - p).abs() > DRIFT_TOLERANCE),
                expected_tokens: exp.map_or(p, |e| e.shares[t][v]) * g as f64,
                flagged: (p - d[v]).abs() > TOLERANCE,
                name: &var.name,
                predicted: p,
                predicted_error: if exact { 0.0 } else { expected::RELAXED_ERROR },
            }
        })
    }

    fn count_rows(&self) -> impl Iterator<Item = CountRow<'a>> + '_ {
        let (model, g) = (self.model, self.model.generated_size());
        model.counts.iter().enumerate().map(move |(i, c)| {
            let p = match c.single() {
                Some(v) => Some(self.predicted[v.trait_id][v.index]),
                // A group: the share of tokens with any of its variants.
                None => dropc::solve::network::share_of_any(model, &c.variants),
            };
            let range = self.ranges.get(i).copied();
            CountRow {
                can_hold: range.map(|(least, most)| u128::from(c.min) <= most && u128::from(c.max) >= least),
                expected_without_count: p.map(|p| p * g as f64),
                max: c.max,
                min: c.min,
                possible: range.map(|(least, most)| Possible { least: least.to_string(), most: most.to_string() }),
                rule: format!("count {} {} {}", c.target, c.op, c.written),
                variant: &c.target,
            }
        })
    }
}

impl Serialize for Variants<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.doc.variant_rows(self.t))
    }
}

impl Serialize for Traits<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((0..self.0.model.traits.len()).map(|t| self.0.trait_row(t)))
    }
}

/// A `count` row list, made as it is written.
struct Counts<'a>(&'a Document<'a>);

impl Serialize for Counts<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.count_rows())
    }
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let model = self.model;
        let (exact, lower, upper) = match self.combinations {
            Some(Count::Exact(n)) => (Some(n), n, n),
            Some(Count::Bounds { lower, upper }) => (None, lower, upper),
            None => (None, 0, u128::MAX),
        };
        let mut m = s.serialize_map(Some(12))?;
        m.serialize_entry("collection", &model.settings.name)?;
        m.serialize_entry(
            "combinations",
            &exact.map(|n| u64::try_from(n).map_or_else(|_| Value::from(n.to_string()), Value::from)),
        )?;
        m.serialize_entry("combinations_bounds", &Bounds { lower: lower.to_string(), upper: upper.to_string() })?;
        m.serialize_entry("counts", &Counts(self))?;
        m.serialize_entry("expected_replicates", &self.exp().map(|e| e.replicates))?;
        m.serialize_entry("expected_unavailable", &self.expected.as_ref().err().map(ToString::to_string))?;
        m.serialize_entry("generated", &model.generated_size())?;
        m.serialize_entry("methods", METHODS)?;
        m.serialize_entry("size", &model.settings.size)?;
        m.serialize_entry("tolerance", &TOLERANCE)?;
        m.serialize_entry("traits", &Traits(self))?;
        let unique: Vec<&str> = model.unique.iter().map(|&t| model.traits[t].name.as_str()).collect();
        m.serialize_entry("unique_traits", &unique)?;
        m.end()
    }
}

/// The human table, written to `out` trait by trait (a write error, such as a
/// closed pipe, ends it).
fn human(doc: &Document<'_>, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let model = doc.model;
    writeln!(out, "{} — {} tokens ({} generated)", model.settings.name, model.settings.size, model.generated_size())?;
    writeln!(
        out,
        "shares: declared (weights), predicted (law of one token under forbid/require/when; exact unless marked `~`)\n\
         and expected (among this collection's {} generated tokens, with unique and count); `!` marks a predicted\n\
         share over {:.0} points from the declared one, `*` an expected share over {:.0} points from the predicted one\n",
        model.generated_size(),
        TOLERANCE * 100.0,
        DRIFT_TOLERANCE * 100.0
    )?;
    let width =
        model.traits.iter().flat_map(|t| t.variants.iter().map(|v| v.name.chars().count())).max().unwrap_or(4).max(7);
    let mut worst_error: f64 = 0.0;
    let mut line = String::new();
    for t in 0..model.traits.len() {
        let tr = doc.trait_row(t);
        writeln!(out, "{}", tr.name)?;
        writeln!(out, "  {:<width$}  {:<20}  {:>8}  {:>9}  {:>8}", "variant", "", "declared", "predicted", "expected")?;
        for v in doc.variant_rows(t) {
            // Non-finite numbers are `null` in the JSON, and read as absent here.
            let finite = |x: f64| Some(x).filter(|x| x.is_finite());
            let (p, d) = (finite(v.predicted).unwrap_or(0.0), finite(v.declared).unwrap_or(0.0));
            let e = v.expected.and_then(finite);
            worst_error = worst_error.max(v.expected_error.and_then(finite).unwrap_or(0.0));
            let filled = (e.unwrap_or(p) * 20.0).round() as usize;
            let bar: String = "█".repeat(filled.min(20)) + &"·".repeat(20 - filled.min(20));
            let flag = if v.flagged { "  !" } else { "" };
            let drift = if v.expected_flagged { "  *" } else { "" };
            let expected = e.map_or_else(|| "?".to_string(), |e| format!("{:.1}%", e * 100.0));
            let approx = if tr.predicted_method == "estimated" { "~" } else { "" };
            let predicted = format!("{approx}{:.1}%", p * 100.0);
            line.clear();
            let _ = writeln!(
                line,
                "  {:<width$}  {bar}  {:>7.1}%  {:>9}  {:>8}{flag}{drift}",
                v.name,
                d * 100.0,
                predicted,
                expected
            );
            out.write_all(line.as_bytes())?;
        }
        writeln!(out)?;
    }
    let relaxed: Vec<&str> =
        (0..model.traits.len()).filter(|&t| !doc.predicted_exact[t]).map(|t| model.traits[t].name.as_str()).collect();
    if !relaxed.is_empty() {
        let names: Vec<String> = relaxed.iter().map(|n| format!("`{}`", dropc::model::source_name(n))).collect();
        writeln!(
            out,
            "predicted shares of {}: estimated (`~`) from {} exact draws, the rules being too dense to compile \
             (standard error at most {:.2} points)",
            names.join(", "),
            dropc::plan::RELAXED_DRAWS,
            expected::RELAXED_ERROR * 100.0
        )?;
    }
    let methods: Vec<&str> = (0..model.traits.len()).filter_map(|t| doc.trait_row(t).expected_method).collect();
    if let Err(why) = doc.expected {
        writeln!(out, "expected shares unavailable: {why}")?;
    } else if methods.iter().all(|m| *m == "exact") {
        writeln!(out, "expected shares: exact")?;
    } else if methods.contains(&"estimated") {
        let r = doc.exp().map_or(0, |e| e.replicates);
        writeln!(
            out,
            "expected shares: {}estimated from {r} replicate draw{} of the collection (standard error at most {:.2} points)",
            if methods.contains(&"exact") { "exact for the unique traits, the others " } else { "" },
            if r == 1 { "" } else { "s" },
            worst_error * 100.0
        )?;
    } else {
        writeln!(
            out,
            "expected shares: the predicted ones; uniqueness moves none by more than {:.1e} at this size",
            worst_error
        )?;
    }
    if let Some(c) = doc.combinations {
        let unique: Vec<String> = model.unique.iter().map(|&t| model.traits[t].name.clone()).collect();
        writeln!(out, "unique combinations of {}: {}", unique.join(", "), c.describe())?;
    }
    for c in doc.count_rows() {
        let verdict = match c.can_hold {
            Some(true) => "can hold",
            Some(false) => "cannot hold",
            None => "not checked",
        };
        let rule = &c.rule;
        match c.expected_without_count {
            Some(n) if n.is_finite() => writeln!(out, "{rule}: {verdict} (weights alone give about {n:.1} tokens)")?,
            Some(_) | None => writeln!(out, "{rule}: {verdict}")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use dropc::check::{NoArt, check_text};
    use dropc::sample::expected::Errors;

    /// The source let go during the plan is read again for an error only
    /// when it is still the text that was checked (a BOM and CRLF lines
    /// included, as `source_text` keeps them); changed or gone, it says so.
    #[test]
    fn a_source_let_go_is_read_again_only_unchanged() {
        let dir = std::env::temp_dir().join(format!("dropc-unloaded-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.drop");
        let bytes = b"\xEF\xBB\xBFcollection \"C\" { size 1 }\r\ntrait A < a: 1 >\r\n".to_vec();
        std::fs::write(&path, &bytes).unwrap();
        let text = dropc::syntax::source_text(bytes).map_err(|_| ()).unwrap();
        let unloaded = Unloaded::of(SourceFile::new("c.drop", text.clone()));
        let again = unloaded.reload(&path).unwrap();
        assert_eq!((again.name.as_str(), again.text.as_str()), ("c.drop", text.as_str()));
        std::fs::write(&path, b"collection \"C\" { size 2 }\n").unwrap();
        assert!(unloaded.reload(&path).unwrap_err().contains("changed while it was simulated"));
        std::fs::remove_file(&path).unwrap();
        assert!(unloaded.reload(&path).unwrap_err().contains("cannot be read again"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Shares of a rule group drawn from a relaxation are estimates: JSON and
    /// the table say so, never "exact".
    #[test]
    fn relaxed_shares_are_labelled_estimated() {
        let src = "collection \"S\" { size 1 canvas 8 x 8 seed \"s\" }\n\
                   metadata trait A < a: 1, b: 2 >\nmetadata trait \"B b\" < a: 1, b: 2 >\nforbid A.a with \"B b\".a\n";
        let checked = check_text(src, &NoArt);
        let model = checked.model.unwrap();
        let plan = Plan::build(&model, false).unwrap();
        let predicted = shares_of_plan(&model, &plan);
        let exact = expected::predicted_exact(&model, &plan);
        assert_eq!(exact, vec![true, true]);
        let combinations = checked.feasibility.as_ref().map(|f| f.combinations);
        let e = Err(SampleError::TooComplex { what: "not computed here".into() });
        fn doc_of<'a>(
            model: &'a Model,
            predicted: &'a [Vec<f64>],
            exact: &'a [bool],
            e: &'a Result<Expected, SampleError>,
            combinations: Option<Count>,
        ) -> Document<'a> {
            Document { model, predicted, predicted_exact: exact, expected: e, combinations, ranges: &[] }
        }
        let document = |exact| doc_of(&model, &predicted, exact, &e, combinations);
        let table_of = |doc: &Document<'_>| {
            let mut out = Vec::new();
            human(doc, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        // Written as made, the document has the bytes it had when built whole
        // as a `serde_json::Value` (whose maps sort their keys).
        for exact in [&exact[..], &[true, false]] {
            let streamed = serde_json::to_string_pretty(&document(exact)).unwrap();
            let whole = serde_json::to_value(document(exact)).unwrap();
            assert_eq!(streamed, format!("{whole:#}"));
        }
        let doc = serde_json::to_value(document(&exact)).unwrap();
        assert!(doc["traits"].as_array().unwrap().iter().all(|t| t["predicted_method"] == "exact"));
        // Only the header's legend mentions `~`.
        assert_eq!(table_of(&document(&exact)).matches('~').count(), 1);

        // The same shares, as a relaxed group would give them.
        let relaxed = vec![true, false];
        let doc = serde_json::to_value(document(&relaxed)).unwrap();
        assert_eq!(doc["traits"][0]["predicted_method"], "exact");
        assert_eq!(doc["traits"][1]["predicted_method"], "estimated");
        assert_eq!(doc["traits"][1]["variants"][0]["predicted_error"], expected::RELAXED_ERROR);
        assert_eq!(doc["traits"][0]["variants"][0]["predicted_error"], 0.0);
        let table = table_of(&document(&relaxed));
        assert!(table.contains("predicted shares of `\"B b\"`: estimated (`~`) from 20000 exact draws"), "{table}");
        assert_eq!(table.matches('~').count(), 4, "{table}");
    }

    /// The same with counts, expected shares and a name that needs escaping.
    #[test]
    fn streamed_document_is_the_whole_value() {
        let src = "collection \"S \\\"q\\\"\" { size 4 canvas 8 x 8 seed \"s\" }\n\
                   metadata trait A < a: 1, b: 2, c: 3 >\nmetadata trait B < a: 1, b: 2 >\nforbid A.a with B.a\n\
                   count A.b <= 2\ncount B.b >= 1\n";
        let checked = check_text(src, &NoArt);
        let model = checked.model.unwrap();
        let plan = Plan::build(&model, false).unwrap();
        let predicted = shares_of_plan(&model, &plan);
        let exact = expected::predicted_exact(&model, &plan);
        let errors: Vec<Vec<f64>> = predicted.iter().map(|p| vec![0.001; p.len()]).collect();
        let e = Ok(Expected {
            shares: predicted.clone().into(),
            errors: Errors::PerVariant(errors),
            methods: vec![Method::Estimated, Method::Exact],
            replicates: 3,
        });
        let doc = Document {
            model: &model,
            predicted: &predicted,
            predicted_exact: &exact,
            expected: &e,
            combinations: Some(Count::Bounds { lower: 3, upper: u128::MAX }),
            ranges: &[(0, 2), (1, 4)],
        };
        let streamed = serde_json::to_string_pretty(&doc).unwrap();
        let whole = serde_json::to_value(&doc).unwrap();
        assert_eq!(streamed, format!("{whole:#}"));
        assert_eq!(whole["counts"][1]["possible"]["most"], "4");
        assert_eq!(whole["traits"][0]["expected_method"], "estimated");
    }
}
