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
use std::process::ExitCode;

use super::common::{load, model_or_report, report};
use super::{EXIT_INPUT, Format, SimulateArgs};
use dropc::model::Model;
use dropc::plan::Plan;
use dropc::plan::shares_of_plan;
use dropc::sample::SampleError;
use dropc::sample::expected::{self, DRIFT_TOLERANCE, Expected, Method};
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
                report(&e.to_diagnostics(model), &loaded.source, args.format);
                return ExitCode::from(EXIT_INPUT);
            }
        },
    };
    let (predicted, predicted_exact) = (shares_of_plan(model, base), expected::predicted_exact(model, base));
    let feasibility = loaded.checked.feasibility.as_ref();
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
    let doc = document(model, (&predicted, &predicted_exact), &expected, combinations, &ranges);
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
    (predicted, predicted_exact): (&[Vec<f64>], &[bool]),
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
                        "predicted_error": if predicted_exact[t] { 0.0 } else { expected::RELAXED_ERROR },
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
                "predicted_method": if predicted_exact[t] { "exact" } else { "estimated" },
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
            let p = match c.single() {
                Some(v) => Some(predicted[v.trait_id][v.index]),
                // A group: the share of tokens with any of its variants.
                None => dropc::solve::network::share_of_any(model, &c.variants),
            };
            let range = ranges.get(i).copied();
            let holds = range.map(|(least, most)| u128::from(c.min) <= most && u128::from(c.max) >= least);
            json!({
                "rule": format!("count {} {} {}", c.target, c.op, c.written),
                "variant": c.target,
                "min": c.min,
                "max": c.max,
                "expected_without_count": p.map(|p| p * g as f64),
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
        "methods": "predicted shares are the law of one token under forbid, require and when, exact unless the trait's predicted_method is estimated (a rule group too dense to compile, estimated from exact draws of a relaxation, predicted_error its standard error bound); expected shares are among the generated tokens of this collection, with count, unique and legendaries, obtained as the trait's expected_method says",
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
        "shares: declared (weights), predicted (law of one token under forbid/require/when; exact unless marked `~`)\n\
         and expected (among this collection's {} generated tokens, with unique and count); `!` marks a predicted\n\
         share over {:.0} points from the declared one, `*` an expected share over {:.0} points from the predicted one\n",
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
            let approx = if tr["predicted_method"] == "estimated" { "~" } else { "" };
            let predicted = format!("{approx}{:.1}%", p * 100.0);
            let _ = writeln!(
                out,
                "  {:<width$}  {bar}  {:>7.1}%  {:>9}  {:>8}{flag}{drift}",
                v["name"].as_str().unwrap_or(""),
                d * 100.0,
                predicted,
                expected
            );
        }
        let _ = writeln!(out);
    }
    let relaxed: Vec<&str> = doc["traits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["predicted_method"] == "estimated")
        .filter_map(|t| t["name"].as_str())
        .collect();
    if !relaxed.is_empty() {
        let names: Vec<String> = relaxed.iter().map(|n| format!("`{}`", dropc::model::source_name(n))).collect();
        let _ = writeln!(
            out,
            "predicted shares of {}: estimated (`~`) from {} exact draws, the rules being too dense to compile \
             (standard error at most {:.2} points)",
            names.join(", "),
            dropc::plan::RELAXED_DRAWS,
            expected::RELAXED_ERROR * 100.0
        );
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
        let _ = writeln!(out, "unique combinations of {}: {}", unique.join(", "), c.describe());
    }
    for c in doc["counts"].as_array().into_iter().flatten() {
        let verdict = match c["can_hold"].as_bool() {
            Some(true) => "can hold",
            Some(false) => "cannot hold",
            None => "not checked",
        };
        let rule = c["rule"].as_str().unwrap_or("");
        let _ = match c["expected_without_count"].as_f64() {
            Some(n) => writeln!(out, "{rule}: {verdict} (weights alone give about {n:.1} tokens)"),
            None => writeln!(out, "{rule}: {verdict}"),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use dropc::check::{NoArt, check_text};

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
        let doc = document(&model, (&predicted, &exact), &e, combinations, &[]);
        assert!(doc["traits"].as_array().unwrap().iter().all(|t| t["predicted_method"] == "exact"));
        // Only the header's legend mentions `~`.
        assert_eq!(human(&model, &doc, combinations).matches('~').count(), 1);

        // The same shares, as a relaxed group would give them.
        let relaxed = vec![true, false];
        let doc = document(&model, (&predicted, &relaxed), &e, combinations, &[]);
        assert_eq!(doc["traits"][0]["predicted_method"], "exact");
        assert_eq!(doc["traits"][1]["predicted_method"], "estimated");
        assert_eq!(doc["traits"][1]["variants"][0]["predicted_error"], expected::RELAXED_ERROR);
        assert_eq!(doc["traits"][0]["variants"][0]["predicted_error"], 0.0);
        let table = human(&model, &doc, combinations);
        assert!(table.contains("predicted shares of `\"B b\"`: estimated (`~`) from 20000 exact draws"), "{table}");
        // The legend, the two shares of `"B b"` and the note.
        assert_eq!(table.matches('~').count(), 4, "{table}");
    }
}
