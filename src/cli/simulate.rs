//! `dropc simulate FILE [--format human|json]`: the rarity a collection will
//! really have, before anything is generated.
//!
//! Shares are exact: the law of one token under every `forbid`, `require` and
//! `when`, computed by variable elimination (`dropc::sample::predicted_shares`),
//! not estimated. `count` and `unique` act on the whole collection afterwards:
//! a count pins its variant's number of tokens (so its share becomes the
//! count, and the other variants of that trait and of tied traits shift), and
//! uniqueness draws without replacement, which flattens shares slightly when
//! the collection uses a large part of its combinations. Both are reported
//! (counts with whether they can hold, and the fraction of combinations used).

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use super::run::{load, model_or_report, report};
use super::{EXIT_INPUT, Format, SimulateArgs};
use dropc::check::expected::{self, DRIFT_TOLERANCE, Expected, Method};
use dropc::check::feasibility::describe;
use dropc::model::Model;
use dropc::sample::SampleError;
use dropc::solve::Count;
use serde_json::{Value, json};

/// Predicted shares further than this from the declared ones are flagged.
pub const TOLERANCE: f64 = 0.05;

/// Runs `dropc simulate`.
pub fn run(args: &SimulateArgs) -> ExitCode {
    let loaded = match load(&args.file, args.no_art) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let model = match model_or_report(&loaded, args.format) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let predicted = match dropc::sample::predicted_shares(model) {
        Ok(p) => p,
        Err(e) => {
            report(&e.to_diagnostics(model), &loaded.source, args.format);
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let feasibility = loaded.checked.feasibility.as_ref();
    let combinations = feasibility.map(|f| f.combinations);
    let ranges: Vec<(u128, u128)> = feasibility.map(|f| f.count_ranges.clone()).unwrap_or_default();
    let expected = dropc::sample::plan::Plan::new(model).and_then(|plan| {
        expected::expected(
            model,
            &plan,
            combinations.and_then(|c| c.exact()),
            feasibility.and_then(|f| f.log_partition),
        )
    });
    let doc = document(model, &predicted, &expected, combinations, &ranges);
    let text = match args.format {
        Format::Json => format!("{doc:#}\n"),
        Format::Human => human(model, &doc, combinations),
    };
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    ExitCode::SUCCESS
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

fn document(
    model: &Model,
    predicted: &[Vec<f64>],
    expected: &Result<Expected, SampleError>,
    combinations: Option<Count>,
    ranges: &[(u128, u128)],
) -> Value {
    let g = model.generated_size();
    let exp = expected.as_ref().ok();
    let traits: Vec<Value> = model
        .traits
        .iter()
        .enumerate()
        .map(|(t, tr)| {
            let d = declared(model, t);
            let variants: Vec<Value> = tr
                .variants
                .iter()
                .enumerate()
                .map(|(v, var)| {
                    let p = predicted[t][v];
                    json!({
                        "name": var.name,
                        "declared": d[v],
                        "predicted": p,
                        "expected": exp.map(|e| e.shares[t][v]),
                        "expected_error": exp.map(|e| e.errors[t][v]),
                        "expected_tokens": exp.map_or(p, |e| e.shares[t][v]) * g as f64,
                        "flagged": (p - d[v]).abs() > TOLERANCE,
                        "expected_flagged": exp.is_some_and(|e| (e.shares[t][v] - p).abs() > DRIFT_TOLERANCE),
                    })
                })
                .collect();
            json!({
                "name": tr.name,
                "expected_method": exp.map(|e| method_name(e.methods[t])),
                "variants": variants,
            })
        })
        .collect();
    let counts: Vec<Value> = model
        .counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let p = predicted[c.variant.trait_id][c.variant.index];
            let range = ranges.get(i).copied();
            let holds = range.map(|(least, most)| u128::from(c.min) <= most && u128::from(c.max) >= least);
            json!({
                "rule": format!("count {} {} {}", model.variant_name(c.variant), c.op, c.written),
                "variant": model.variant_name(c.variant),
                "min": c.min,
                "max": c.max,
                "expected_without_count": p * g as f64,
                "possible": range.map(|(least, most)| json!({ "least": least.to_string(), "most": most.to_string() })),
                "can_hold": holds,
            })
        })
        .collect();
    let (exact, lower, upper) = match combinations {
        Some(Count::Exact(n)) => (Some(n), n, n),
        Some(Count::Bounds { lower, upper }) => (None, lower, upper),
        None => (None, 0, u128::MAX),
    };
    json!({
        "collection": model.settings.name,
        "size": model.settings.size,
        "generated": g,
        "tolerance": TOLERANCE,
        "traits": traits,
        "combinations": exact.map(|n| json!(u64::try_from(n).map_or_else(|_| json!(n.to_string()), |n| json!(n)))),
        "combinations_bounds": { "lower": lower.to_string(), "upper": upper.to_string() },
        "unique_traits": model.unique.iter().map(|&t| model.traits[t].name.clone()).collect::<Vec<_>>(),
        "counts": counts,
        "expected_replicates": exp.map(|e| e.replicates),
        "expected_unavailable": expected.as_ref().err().map(ToString::to_string),
        "exact": "predicted shares are the exact law of one token under forbid, require and when; expected shares are among the generated tokens of this collection, with count, unique and legendaries",
    })
}

fn human(model: &Model, doc: &Value, combinations: Option<Count>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} tokens ({} generated)",
        model.settings.name,
        model.settings.size,
        model.generated_size()
    );
    let _ = writeln!(
        out,
        "shares: declared (weights), predicted (exact law of one token under forbid/require/when) and expected\n\
         (among this collection's {} generated tokens, with unique and count); `!` marks a predicted share over\n\
         {:.0} points from the declared one, `*` an expected share over {:.0} points from the predicted one\n",
        model.generated_size(),
        TOLERANCE * 100.0,
        DRIFT_TOLERANCE * 100.0
    );
    let width =
        model.traits.iter().flat_map(|t| t.variants.iter().map(|v| v.name.chars().count())).max().unwrap_or(4).max(7);
    let mut worst_error: f64 = 0.0;
    for tr in doc["traits"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "{}", tr["name"].as_str().unwrap_or(""));
        let _ = writeln!(
            out,
            "  {:<width$}  {:<20}  {:>8}  {:>9}  {:>8}",
            "variant", "", "declared", "predicted", "expected"
        );
        for v in tr["variants"].as_array().into_iter().flatten() {
            let p = v["predicted"].as_f64().unwrap_or(0.0);
            let d = v["declared"].as_f64().unwrap_or(0.0);
            let e = v["expected"].as_f64();
            worst_error = worst_error.max(v["expected_error"].as_f64().unwrap_or(0.0));
            let filled = (e.unwrap_or(p) * 20.0).round() as usize;
            let bar: String = "█".repeat(filled.min(20)) + &"·".repeat(20 - filled.min(20));
            let flag = if v["flagged"].as_bool().unwrap_or(false) { "  !" } else { "" };
            let drift = if v["expected_flagged"].as_bool().unwrap_or(false) { "  *" } else { "" };
            let expected = e.map_or_else(|| "?".to_string(), |e| format!("{:.1}%", e * 100.0));
            let _ = writeln!(
                out,
                "  {:<width$}  {bar}  {:>7.1}%  {:>8.1}%  {:>8}{flag}{drift}",
                v["name"].as_str().unwrap_or(""),
                d * 100.0,
                p * 100.0,
                expected
            );
        }
        let _ = writeln!(out);
    }
    let methods: Vec<&str> =
        doc["traits"].as_array().into_iter().flatten().filter_map(|t| t["expected_method"].as_str()).collect();
    if let Some(why) = doc["expected_unavailable"].as_str() {
        let _ = writeln!(out, "expected shares unavailable: {why}");
    } else if methods.iter().all(|m| *m == "exact") {
        let _ = writeln!(out, "expected shares: exact");
    } else if methods.contains(&"estimated") {
        let r = doc["expected_replicates"].as_u64().unwrap_or(0);
        let _ = writeln!(
            out,
            "expected shares: {}estimated from {r} replicate draw{} of the collection (standard error at most {:.2} points)",
            if methods.contains(&"exact") { "exact for the unique traits, the others " } else { "" },
            if r == 1 { "" } else { "s" },
            worst_error * 100.0
        );
    } else {
        let _ = writeln!(
            out,
            "expected shares: the predicted ones; uniqueness moves none by more than {:.1e} at this size",
            worst_error
        );
    }
    if let Some(c) = combinations {
        let unique: Vec<String> = model.unique.iter().map(|&t| model.traits[t].name.clone()).collect();
        let _ = writeln!(out, "unique combinations of {}: {}", unique.join(", "), describe(&c));
    }
    for c in doc["counts"].as_array().into_iter().flatten() {
        let verdict = match c["can_hold"].as_bool() {
            Some(true) => "can hold",
            Some(false) => "cannot hold",
            None => "not checked",
        };
        let _ = writeln!(
            out,
            "{}: {verdict} (weights alone give about {:.1} tokens)",
            c["rule"].as_str().unwrap_or(""),
            c["expected_without_count"].as_f64().unwrap_or(0.0)
        );
    }
    out
}
