//! [`SampleError`]: why a model could not be compiled ([`super::Plan`]), its
//! counts held ([`super::counts`]) or its collection drawn
//! ([`crate::sample`]), and the diagnostics that say so.

use std::fmt;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::Model;
use crate::span::Span;

/// Why a collection could not be sampled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SampleError {
    /// No token satisfies the rules of these traits.
    Empty {
        /// The traits of the empty component.
        traits: Vec<String>,
    },
    /// The rules are beyond the exact sampler's limits.
    TooComplex {
        /// What is too complex.
        what: String,
    },
    /// The `count` rules cannot hold together (with uniqueness and `size`).
    CountsConflict {
        /// Indices into `Model::counts` of the rules involved.
        rules: Vec<usize>,
        /// The numbers.
        detail: String,
    },
    /// `unique visually` without the occlusion relation (the model was
    /// checked without art).
    NeedsArt,
    /// A stratum ran out of unique combinations.
    UniqueExhausted {
        /// Which tokens (e.g. "with `Head.Crown`"), empty for all.
        stratum: String,
        /// Tokens that needed a combination.
        needed: u64,
        /// Combinations there were.
        available: u64,
    },
}

impl fmt::Display for SampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SampleError::Empty { traits } => write!(f, "no token satisfies the rules on {}", traits.join(", ")),
            SampleError::TooComplex { what } => write!(f, "{what}"),
            SampleError::NeedsArt => write!(f, "`unique visually` needs the art, which was not read"),
            SampleError::CountsConflict { detail, .. } => write!(f, "the `count` rules cannot all hold: {detail}"),
            SampleError::UniqueExhausted { stratum, needed, available } => write!(
                f,
                "{needed} tokens{} need unique combinations but only {available} exist",
                if stratum.is_empty() { String::new() } else { format!(" {stratum}") }
            ),
        }
    }
}

impl std::error::Error for SampleError {}

impl SampleError {
    /// The error as diagnostics pointing into the model's source.
    pub fn to_diagnostics(&self, model: &Model) -> Vec<Diagnostic> {
        let first_span =
            || model.unique.first().or(Some(&0)).and_then(|&t| model.traits.get(t)).map_or(Span::new(0, 0), |t| t.span);
        let d = match self {
            SampleError::Empty { traits } => Diagnostic::new(Code::SizeInfeasible, first_span(), self.to_string())
                .label("no valid combination")
                .help(format!("loosen the rules on {}", traits.join(", "))),
            SampleError::TooComplex { .. } => Diagnostic::new(Code::LimitExceeded, first_span(), self.to_string())
                .label("while sampling")
                .help("split dense rule sets, or reduce the number of counted variants"),
            SampleError::NeedsArt => {
                Diagnostic::new(Code::VisualNeedsArt, model.visually.unwrap_or_else(first_span), self.to_string())
                    .label("which variants hide which is read from the art's pixels")
                    .help("check the file with its art (without `--no-art`)")
            }
            SampleError::CountsConflict { rules, .. } => {
                let span = rules.first().and_then(|&r| model.counts.get(r)).map_or(first_span(), |r| r.span);
                let mut d =
                    Diagnostic::new(Code::CountInfeasible, span, self.to_string()).label("cannot hold with the others");
                for r in rules.iter().skip(1).filter_map(|&r| model.counts.get(r)) {
                    d = d.with_label(r.span, "involved");
                }
                d.help("loosen one of these counts, lower `size`, or allow more combinations")
            }
            SampleError::UniqueExhausted { .. } => {
                Diagnostic::new(Code::SizeInfeasible, first_span(), self.to_string())
                    .label("tokens are unique on these traits")
                    .help("lower `size`, loosen the rules or counts, or make fewer traits unique")
            }
        };
        vec![d]
    }
}
