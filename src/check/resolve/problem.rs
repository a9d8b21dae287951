//! What the resolver finds wrong, as data, and the one place where each
//! finding becomes a [`Diagnostic`] (code, message, labels, help).
//!
//! The resolver's modules say *what* is wrong and where ([`Problem`]);
//! [`Problem::diagnostic`] says it to the user. Keeping the wording here keeps
//! it consistent (backticks around user input, lowercase, no final period)
//! and lets the checks be read without the prose.

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::model::CountOp;
use crate::model::paths::{Escape, escape_diagnostic};
use crate::span::Span;

use super::quote_list;

/// Why a variant cannot be derived from the variant it names.
pub(super) enum BadSource {
    /// `from` names the variant itself.
    Itself,
    /// `from none`.
    None,
    /// `from` names a derived variant (its name).
    Derived(String),
}

/// Why a `below`/`above` placement is refused.
pub(super) enum BadPlacement {
    /// Relative to the variant's own trait (its name).
    OwnTrait(String),
    /// Relative to a metadata trait (its name).
    Metadata(String),
}

/// Why two `when` rules cannot both hold.
pub(super) enum WhenClash {
    /// `target`'s weights depend on two traits.
    TwoTraits { target: String, first: String, second: String },
    /// Two rules give `target` weights for the same condition variant.
    SameCondition { target: String, condition_trait: String, variant: String },
}

/// One finding of the resolver.
pub(super) enum Problem {
    // --- Names --------------------------------------------------------------
    /// A trait declared twice.
    DuplicateTrait { name: String, span: Span, first: Span },
    /// A trait name that no declaration has.
    UnknownTrait { name: String, span: Span, declared: Vec<String> },
    /// A variant name that its trait lacks.
    UnknownVariant { trait_name: String, trait_span: Span, name: String, span: Span, candidates: Vec<String> },

    // --- Groups -------------------------------------------------------------
    /// A bare name where variants are expected that names no group.
    UnknownGroup { name: String, span: Span, is_trait: bool, later: Option<Span>, groups: Vec<String> },
    /// A group declared twice.
    DuplicateGroup { name: String, span: Span, first: Span },
    /// A group with no members.
    EmptyGroup { name: String, span: Span },
    /// A group named like a trait.
    GroupShadowsTrait { name: String, span: Span, trait_span: Span },

    // --- Paths --------------------------------------------------------------
    /// A path leaving the project folder.
    Escape { span: Span, path: String, why: Escape },
    /// A trait name that cannot be its art folder.
    TraitFolderName { name: String, span: Span },
    /// A variant name that cannot be its art file.
    VariantFileName { name: String, span: Span },
    /// No `<Variant>.png`, and several `<Variant>#<weight>.png`.
    AmbiguousArt {
        span: Span,
        missing: String,
        reference: String,
        variant: String,
        example: String,
        candidates: Vec<String>,
    },

    // --- Traits and variants -------------------------------------------------
    /// A variant declared twice in its trait.
    DuplicateVariant { name: String, trait_name: String, span: Span, first: Span },
    /// Every variant of a trait has weight 0.
    ZeroWeights { trait_name: String, span: Span },
    /// Art, an art folder or rendering options on a metadata trait.
    ArtOnMetadataTrait { trait_name: String, what: &'static str, span: Span },
    /// A rendering option given twice in one list.
    RepeatedOption { key: &'static str, whose: String, span: Span, first: Span },
    /// An unknown blend mode.
    UnknownBlend { mode: String, span: Span, names: Vec<&'static str> },
    /// `profiles` followed by a word other than `check` and `ignore`.
    UnknownProfiles { word: String, span: Span },
    /// A `profiles` option that changes nothing (`why`), and the option or
    /// setting that says the same already.
    RedundantProfiles { word: &'static str, why: String, span: Span, already: Option<Span> },
    /// Opacity outside 0..=100%.
    Opacity { span: Span },
    /// An offset that is not a whole number of pixels.
    OffsetFraction { value: f64, limit: f64, span: Span },
    /// An offset beyond the largest canvas.
    OffsetBeyond { value: f64, limit: f64, span: Span },
    /// A negative (or infinite) weight.
    NegativeWeight { value: f64, span: Span },
    /// A weight written as a percentage.
    PercentWeight { value: f64, span: Span },
    /// A weight that is not a number.
    NotAWeight { kind: &'static str, span: Span },
    /// Art given to `none`.
    NoneWithArt { span: Span, name: Span },
    /// A refused `below`/`above`.
    InvalidPlacement { why: BadPlacement, span: Span },
    /// A refused `from`.
    InvalidDerive { why: BadSource, span: Span },
    /// `hue` that is not a number.
    HueNotNumber { kind: &'static str, span: Span },
    /// `hue` beyond one turn either way.
    HueOutOfRange { value: f64, limit: f64, span: Span },
    /// A palette colour mapped twice.
    ColourMappedTwice { span: Span, first: Span },
    /// A variant never drawn: weight 0 and no `when` enables it.
    UnusedVariant { trait_name: String, name: String, span: Span, weight: Span },

    // --- forbid ---------------------------------------------------------------
    /// A `forbid` pair within one trait (`same`: the same variant twice).
    ForbidSameTrait { a: String, b: String, same: bool, span: Span, other: Span },
    /// A combination forbidden twice.
    DuplicateForbid { names: Vec<String>, span: Span, first: Span },
    /// A `forbid` naming more combinations than the checker expands.
    ForbidTooLarge { combinations: usize, limit: usize, span: Span },
    /// A `with` chain over traits whose joint table is too large.
    ChainTooLarge { entries: usize, limit: usize, span: Span },

    // --- require --------------------------------------------------------------
    /// `require A -> A | ...`.
    RequiresItself { name: String, span: Span },
    /// The same requirement twice.
    DuplicateRequire { name: String, span: Span, first: Span },

    // --- when -----------------------------------------------------------------
    /// One `when` whose conditions span two traits.
    WhenMixesTraits { first_trait: String, other_trait: String, span: Span, first: Span },
    /// A `when` that overrides nothing.
    EmptyWhen { span: Span },
    /// A `when` that overrides its own condition trait.
    WhenOnOwnTrait { trait_name: String, span: Span, condition: Span },
    /// A trait given weights twice in one `when`.
    WhenTraitTwice { trait_name: String, span: Span, first: Span },
    /// A variant listed twice in a `when`'s weights.
    WhenVariantTwice { name: String, span: Span, first: Span },
    /// A `when` that gives every variant weight 0.
    WhenZeroWeights { trait_name: String, span: Span },
    /// Two `when` rules that would both give one trait weights.
    WhenClash { why: WhenClash, span: Span, other: Span },
    /// Art given twice for one variant (or one trait) in one `when`.
    WhenArtTwice { what: String, span: Span, first: Span },
    /// `when` rules depending on each other in a cycle.
    WhenCycle { names: Vec<String>, span: Span },

    // --- count ----------------------------------------------------------------
    /// `count … = p%` that is not a whole number of tokens.
    CountPercentNotWhole { percent: f64, size: u64, tokens: f64, span: Span },
    /// A count that is a fractional or huge number.
    CountNotWhole { value: f64, span: Span },
    /// A percentage outside 0..=100.
    CountPercentRange { percent: f64, span: Span },
    /// A count that is neither a number nor a percentage.
    CountNotANumber { kind: &'static str, span: Span },
    /// `count … < 0`.
    CountBelowZero { span: Span },
    /// A count asking for more tokens than are drawn.
    CountAboveSize { name: String, op: CountOp, written: String, min: u64, size: u64, span: Span },
    /// Two counts of one variant with no common number.
    CountsContradict { name: String, span: Span, bounds: (u64, u64), other: Span, other_bounds: (u64, u64) },
    /// The counted variants of a trait need more tokens than are drawn.
    CountsNeedMore { trait_name: String, least: u64, size: u64, span: Span },
    /// Every variant of a trait is capped below the drawn tokens.
    CountsAllowFewer { trait_name: String, most: u64, size: u64, span: Span },

    // --- unique ---------------------------------------------------------------
    /// A second `unique` rule.
    UniqueTwice { span: Span, first: Span },
    /// A trait listed twice in `unique by`.
    UniqueListedTwice { name: String, span: Span },

    // --- legendary ------------------------------------------------------------
    /// A legendary attribute given twice.
    AttributeTwice { name: String, span: Span, first: Span },
    /// A legendary's `at` id outside the collection's ids.
    LegendaryIdOutside { id: u64, first: u64, last: u64, span: Span },
    /// Two legendaries with one id.
    LegendaryIdTaken { id: u64, span: Span, first: Span },
    /// More legendaries than tokens.
    TooManyLegendaries { count: usize, size: u64, span: Span },
}

impl Problem {
    /// The diagnostic for this problem; `size` is the span of the
    /// collection's `size`, which some diagnostics point at too.
    pub(super) fn diagnostic(self, size: Span) -> Diagnostic {
        match self {
            Problem::DuplicateTrait { name, span, first } => {
                Diagnostic::new(Code::DuplicateTrait, span, format!("trait `{name}` is declared twice"))
                    .label("declared again here")
                    .with_label(first, "first declared here")
                    .help("give each trait a distinct name, or merge their variants")
            }
            Problem::UnknownTrait { name, span, declared } => {
                let d = Diagnostic::new(Code::UnknownTrait, span, format!("unknown trait `{name}`"))
                    .label("no trait has this name");
                let names: Vec<&str> = declared.iter().map(String::as_str).collect();
                match did_you_mean(&name, names.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None if names.is_empty() => d.help("declare it with `trait Name < Variant: weight, ... >`"),
                    None => d.help(format!("declared traits: {}", quote_list(&names))),
                }
            }
            Problem::UnknownGroup { name, span, is_trait, later, groups } => {
                let d = Diagnostic::new(Code::UnknownGroup, span, format!("unknown group `{name}`"))
                    .label("no group has this name");
                let names: Vec<&str> = groups.iter().map(String::as_str).collect();
                if let Some(later) = later {
                    d.with_label(later, "declared only here, later")
                        .help(format!("declare `group {name}` before the groups that use it"))
                } else if is_trait {
                    d.help(format!("`{name}` is a trait; name one of its variants: `{name}.Variant`"))
                } else {
                    match did_you_mean(&name, names.iter().copied()) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help(format!(
                            "write `Trait.Variant`, or declare the group: `group {name} = Trait.Variant, ...`"
                        )),
                    }
                }
            }
            Problem::DuplicateGroup { name, span, first } => {
                Diagnostic::new(Code::DuplicateGroup, span, format!("group `{name}` is declared twice"))
                    .label("declared again here")
                    .with_label(first, "first declared here")
                    .help("give each group a distinct name, or merge their variants")
            }
            Problem::EmptyGroup { name, span } => {
                Diagnostic::new(Code::EmptyGroup, span, format!("group `{name}` has no variants"))
                    .label("empty")
                    .help(format!("list its variants: `group {name} = Trait.Variant, ...`"))
            }
            Problem::GroupShadowsTrait { name, span, trait_span } => {
                Diagnostic::new(Code::GroupShadowsTrait, span, format!("group `{name}` has the name of a trait"))
                    .label("group")
                    .with_label(trait_span, "trait declared here")
                    .help("rename the group: a bare name in a rule would not say which is meant")
            }
            Problem::UnknownVariant { trait_name, trait_span, name, span, candidates } => {
                let d = Diagnostic::new(
                    Code::UnknownVariant,
                    span,
                    format!("trait `{trait_name}` has no variant `{name}`"),
                )
                .label(format!("not a variant of `{trait_name}`"));
                let names: Vec<&str> = candidates.iter().map(String::as_str).collect();
                let d = match did_you_mean(&name, names.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!("`{trait_name}` has {}", quote_list(&names))),
                };
                d.with_label(trait_span, "trait declared here")
            }
            Problem::Escape { span, path, why } => escape_diagnostic(span, &path, why),
            Problem::TraitFolderName { name, span } => {
                Diagnostic::new(Code::PathEscape, span, format!("the trait name `{name}` cannot be a folder name"))
                    .label("contains `/`, `\\` or is `.`/`..`")
                    .help("give the trait's art folder with `folder \"path\"`")
            }
            Problem::VariantFileName { name, span } => {
                Diagnostic::new(Code::PathEscape, span, format!("the variant name `{name}` cannot be a file name"))
                    .label("contains `/`, `\\` or is `.`/`..`")
                    .help(format!("give its art path after the weight: `{name}: 1 \"folder/file.png\"`"))
            }
            Problem::AmbiguousArt { span, missing, reference, variant, example, candidates } => {
                let listed: Vec<String> = candidates.iter().map(|n| format!("`{n}`")).collect();
                Diagnostic::new(
                    Code::AmbiguousArt,
                    span,
                    format!(
                        "`{missing}` does not exist and {} files could be the art of `{reference}`: {}",
                        candidates.len(),
                        listed.join(", ")
                    ),
                )
                .label("which file is this variant's art?")
                .help(format!(
                    "give the path after the weight, e.g. `{variant}: 1 \"{example}\"`, or remove the other files"
                ))
            }
            Problem::DuplicateVariant { name, trait_name, span, first } => Diagnostic::new(
                Code::DuplicateVariant,
                span,
                format!("`{name}` is declared twice in trait `{trait_name}`"),
            )
            .label("declared again here")
            .with_label(first, "first declared here")
            .help("give each variant a distinct name"),
            Problem::ZeroWeights { trait_name, span } => {
                Diagnostic::new(Code::ZeroWeights, span, format!("every variant of `{trait_name}` has weight 0"))
                    .label("no variant can be drawn")
                    .help("give at least one variant a positive weight")
            }
            Problem::ArtOnMetadataTrait { trait_name, what, span } => Diagnostic::new(
                Code::ArtOnMetadataTrait,
                span,
                format!("metadata trait `{trait_name}` cannot have {what}"),
            )
            .label("a metadata trait has no art")
            .help("remove this, or declare the trait without `metadata` to render it"),
            Problem::RepeatedOption { key, whose, span, first } => {
                Diagnostic::new(Code::DuplicateSetting, span, format!("`{key}` is given twice for {whose}"))
                    .label("given again here")
                    .with_label(first, "first given here")
                    .help("keep one of them")
            }
            Problem::UnknownBlend { mode, span, names } => {
                let list = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
                let help = match did_you_mean(&mode, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? (blend modes: {list})"),
                    None => format!("blend modes: {list}"),
                };
                Diagnostic::new(Code::InvalidOption, span, format!("unknown blend mode `{mode}`"))
                    .label("not a blend mode")
                    .help(help)
            }
            Problem::UnknownProfiles { word, span } => {
                let help = match did_you_mean(&word, ["check", "ignore"]) {
                    Some(s) => format!("did you mean `{s}`? (`profiles check` or `profiles ignore`)"),
                    None => "write `profiles ignore` to take the art's numbers as sRGB whatever it declares, \
                             or `profiles check` (the default)"
                        .to_string(),
                };
                Diagnostic::new(Code::InvalidOption, span, format!("unknown `profiles` policy `{word}`"))
                    .label("not `check` or `ignore`")
                    .help(help)
            }
            Problem::RedundantProfiles { word, why, span, already } => {
                let d = Diagnostic::new(
                    Code::RedundantProfiles,
                    span,
                    format!("`profiles {word}` changes nothing here: {why}"),
                )
                .label("changes nothing");
                let d = match already {
                    Some(first) => d.with_label(first, "says so already"),
                    None => d,
                };
                d.help("remove it")
            }
            Problem::Opacity { span } => {
                Diagnostic::new(Code::InvalidOption, span, "opacity must be between 0% and 100%")
                    .label("out of range")
                    .help("write a percentage like `60%` or a fraction like `0.6`")
            }
            Problem::OffsetFraction { value, limit, span } => Diagnostic::new(
                Code::InvalidOption,
                span,
                format!("an offset is a whole number of pixels, not {value}"),
            )
            .label("not a valid offset")
            .help(format!("offsets are whole numbers of pixels within ±{limit}")),
            Problem::OffsetBeyond { value, limit, span } => {
                Diagnostic::new(Code::InvalidOption, span, format!("an offset of {value} pixels is beyond ±{limit}"))
                    .label("not a valid offset")
                    .help(format!("offsets are whole numbers of pixels within ±{limit}"))
            }
            Problem::NegativeWeight { value, span } => {
                Diagnostic::new(Code::NegativeWeight, span, format!("weight {value} is negative"))
                    .label("negative weight")
                    .help("weights are relative and non-negative; use 0 for a variant that is never drawn")
            }
            Problem::PercentWeight { value, span } => Diagnostic::new(
                Code::InvalidWeight,
                span,
                format!("weights are relative numbers, not percentages (`{value}%`)"),
            )
            .label("a percentage")
            .help(format!("write `{value}`: weights are normalised within their trait")),
            Problem::NotAWeight { kind, span } => {
                Diagnostic::new(Code::InvalidWeight, span, format!("a weight must be a number, not {kind}"))
                    .label("not a number")
                    .help("a variant is written `Name: weight`, e.g. `Cyber: 3` or `Rare: 0.5`")
            }
            Problem::NoneWithArt { span, name } => Diagnostic::new(Code::ReservedName, span, "`none` cannot have art")
                .label("art for `none`")
                .with_label(name, "`none` is the empty variant")
                .help("`none` renders nothing; give this variant another name to draw it"),
            Problem::InvalidPlacement { why, span } => {
                let message = match why {
                    BadPlacement::OwnTrait(t) => {
                        format!("a part of `{t}` cannot be placed relative to its own trait")
                    }
                    BadPlacement::Metadata(t) => {
                        format!("`{t}` is a metadata trait and has no layer to sit next to")
                    }
                };
                Diagnostic::new(Code::InvalidPlacement, span, message)
                    .label("this trait")
                    .help("`below`/`above` name another rendered trait")
            }
            Problem::InvalidDerive { why, span } => {
                let message = match why {
                    BadSource::Itself => "a variant cannot be derived from itself".to_string(),
                    BadSource::None => "`none` has no art to recolour".to_string(),
                    BadSource::Derived(name) => {
                        format!("`{name}` is itself derived; derive from a variant with its own art")
                    }
                };
                Diagnostic::new(Code::InvalidDerive, span, message)
                    .label("cannot recolour this")
                    .help("`from` names a variant of the same trait that has its own art")
            }
            Problem::HueNotNumber { kind, span } => {
                Diagnostic::new(Code::InvalidOption, span, format!("`hue` takes a number of degrees, not {kind}"))
                    .label("not a number")
                    .help("e.g. `hue 120` or `hue -45`")
            }
            Problem::HueOutOfRange { value, limit, span } => Diagnostic::new(
                Code::InvalidOption,
                span,
                format!("a `hue` rotation of {value} degrees is out of range"),
            )
            .label(format!("not between -{limit} and {limit}"))
            .help("a rotation repeats every 360 degrees: write the same turn between -360 and 360"),
            Problem::ColourMappedTwice { span, first } => {
                Diagnostic::new(Code::InvalidOption, span, "this colour is mapped twice")
                    .label("mapped again here")
                    .with_label(first, "first mapped here")
                    .help("map each colour once")
            }
            Problem::UnusedVariant { trait_name, name, span, weight } => {
                Diagnostic::new(Code::UnusedVariant, span, format!("`{trait_name}.{name}` is never drawn"))
                    .label("weight 0, and no `when` gives it weight")
                    .with_label(weight, "")
                    .help("give it a positive weight, enable it in a `when`, or remove it")
            }
            Problem::ForbidSameTrait { a, b, same, span, other } => {
                let (message, help) = if same {
                    (format!("`{a}` is forbidden with itself"), "to exclude a variant, give it weight 0")
                } else {
                    (
                        format!("`{a}` and `{b}` are variants of the same trait"),
                        "a token has one variant of each trait, so these never meet; forbid variants of different traits",
                    )
                };
                Diagnostic::new(Code::RuleNeverFires, span, message)
                    .label("same trait")
                    .with_label(other, "")
                    .help(help)
            }
            Problem::DuplicateForbid { names, span, first } => {
                let message = match names.as_slice() {
                    [a, b] => format!("`{a}` is already forbidden with `{b}`"),
                    _ => {
                        let names: Vec<&str> = names.iter().map(String::as_str).collect();
                        format!("{} are already forbidden together", quote_list(&names))
                    }
                };
                Diagnostic::new(Code::DuplicateRule, span, message)
                    .label("forbidden again here")
                    .with_label(first, "first forbidden here")
                    .help("remove one of the two")
            }
            Problem::ForbidTooLarge { combinations, limit, span } => Diagnostic::new(
                Code::LimitExceeded,
                span,
                format!("this `forbid` names {combinations} combinations; at most {limit} are supported"),
            )
            .label("too many combinations")
            .help(
                "split the rule, or forbid fewer lists at once (`forbid A with B` instead of `forbid A with B with C`)",
            ),
            Problem::ChainTooLarge { entries, limit, span } => Diagnostic::new(
                Code::LimitExceeded,
                span,
                format!(
                    "this chain ties traits with {entries} combinations of variants; at most {limit} are supported"
                ),
            )
            .label("traits too large to tie together")
            .help("forbid fewer lists at once, or split the large traits"),
            Problem::RequiresItself { name, span } => {
                Diagnostic::new(Code::RuleNeverFires, span, format!("`{name}` requires itself"))
                    .label("always satisfied")
                    .help("a rule `require A -> A | ...` never excludes anything")
            }
            Problem::DuplicateRequire { name, span, first } => {
                Diagnostic::new(Code::DuplicateRule, span, format!("`{name}` already has this requirement"))
                    .label("required again here")
                    .with_label(first, "first required here")
                    .help("remove one of the two")
            }
            Problem::WhenMixesTraits { first_trait, other_trait, span, first } => Diagnostic::new(
                Code::AmbiguousWhen,
                span,
                format!("a `when` combines variants of `{first_trait}` and `{other_trait}`"),
            )
            .label("another trait")
            .with_label(first, "")
            .help("the alternatives of one `when` must be variants of one trait; write one `when` per trait"),
            Problem::EmptyWhen { span } => Diagnostic::new(
                Code::RuleNeverFires,
                span,
                "this `when` changes no weights or art",
            )
            .label("empty")
            .help("list the traits whose weights change, e.g. `when Body.Zombie { Eyes < Normal: 1, Laser: 4 > }`"),
            Problem::WhenOnOwnTrait { trait_name, span, condition } => Diagnostic::new(
                Code::WhenCycle,
                span,
                format!("a `when` on `{trait_name}` cannot change the weights of `{trait_name}` itself"),
            )
            .label("the condition's own trait")
            .with_label(condition, "condition")
            .help("a trait's weights can depend on other traits only"),
            Problem::WhenTraitTwice { trait_name, span, first } => Diagnostic::new(
                Code::AmbiguousWhen,
                span,
                format!("`{trait_name}` is given weights twice in this `when`"),
            )
            .label("given again here")
            .with_label(first, "first given here")
            .help("merge the two lists"),
            Problem::WhenArtTwice { what, span, first } => {
                Diagnostic::new(Code::AmbiguousWhenArt, span, format!("this `when` gives art for {what} twice"))
                    .label("given again here")
                    .with_label(first, "first given here")
                    .help("keep one `art` line for it")
            }
            Problem::WhenVariantTwice { name, span, first } => {
                Diagnostic::new(Code::DuplicateVariant, span, format!("`{name}` is listed twice"))
                    .label("listed again here")
                    .with_label(first, "first listed here")
                    .help("list each variant once")
            }
            Problem::WhenZeroWeights { trait_name, span } => Diagnostic::new(
                Code::ZeroWeights,
                span,
                format!("this `when` gives every variant of `{trait_name}` weight 0"),
            )
            .label("no variant can be drawn under this condition")
            .help("give at least one variant a positive weight, or forbid the condition instead"),
            Problem::WhenClash { why, span, other } => {
                let message = match why {
                    WhenClash::TwoTraits { target, first, second } => {
                        format!("the weights of `{target}` depend on both `{first}` and `{second}`")
                    }
                    WhenClash::SameCondition { target, condition_trait, variant } => {
                        format!("two `when` rules give `{target}` weights for `{condition_trait}.{variant}`")
                    }
                };
                Diagnostic::new(Code::AmbiguousWhen, span, message)
                    .label("this `when`")
                    .with_label(other, "and this one")
                    .help("a token would get two sets of weights; make each trait's weights depend on one trait's variants, each listed once")
            }
            Problem::WhenCycle { names, span } => {
                let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                Diagnostic::new(Code::WhenCycle, span, format!("`when` rules form a cycle: {}", names.join(" → ")))
                    .label("closes the cycle")
                    .help("each trait's weights may depend on traits that do not depend on it in turn")
            }
            Problem::CountPercentNotWhole { percent, size, tokens, span } => Diagnostic::new(
                Code::InvalidValue,
                span,
                format!("{percent}% of {size} tokens is {tokens} tokens, not a whole number"),
            )
            .label("not a whole number of tokens")
            .help("use a number of tokens, or `<=`/`>=` which round"),
            Problem::CountNotWhole { value, span } => {
                Diagnostic::new(Code::InvalidValue, span, format!("a count is a whole number of tokens, not {value}"))
                    .label("not a whole number")
                    .help("e.g. `count Head.Crown = 2` or `count Eyes.Laser <= 5%`")
            }
            Problem::CountPercentRange { percent, span } => {
                Diagnostic::new(Code::InvalidValue, span, format!("a count of {percent}% is out of range"))
                    .label("not between 0% and 100%")
                    .help("a percentage of the drawn tokens, from 0% to 100%")
            }
            Problem::CountNotANumber { kind, span } => Diagnostic::new(
                Code::InvalidValue,
                span,
                format!("a count is a whole number of tokens or a percentage, not {kind}"),
            )
            .label("not a count")
            .help("e.g. `count Head.Crown = 2` or `count Eyes.Laser <= 5%`"),
            Problem::CountBelowZero { span } => Diagnostic::new(Code::CountConflict, span, "no count is below 0")
                .label("can never hold")
                .help("to exclude a variant, give it weight 0"),
            Problem::CountAboveSize { name, op, written, min, size: drawn, span } => Diagnostic::new(
                Code::CountConflict,
                span,
                format!("`count {name} {op} {written}` asks for {min} tokens but the collection draws {drawn}"),
            )
            .label(format!("{min} > {drawn}"))
            .with_label(size, "the collection's size")
            .help("lower the count or raise `size`"),
            Problem::CountsContradict { name, span, bounds, other, other_bounds } => {
                Diagnostic::new(Code::CountConflict, span, format!("counts of `{name}` contradict each other"))
                    .label(format!("needs {}..={}", bounds.0, bounds.1))
                    .with_label(other, format!("needs {}..={}", other_bounds.0, other_bounds.1))
                    .help("no number of tokens satisfies both; remove or change one")
            }
            Problem::CountsNeedMore { trait_name, least, size: drawn, span } => Diagnostic::new(
                Code::CountConflict,
                span,
                format!("counts of `{trait_name}` need at least {least} tokens but the collection draws {drawn}"),
            )
            .label("these counts together")
            .with_label(size, "the collection's size")
            .help("a token has one variant of each trait; lower the counts or raise `size`"),
            Problem::CountsAllowFewer { trait_name, most, size: drawn, span } => Diagnostic::new(
                Code::CountConflict,
                span,
                format!("counts of `{trait_name}` allow at most {most} tokens but the collection draws {drawn}"),
            )
            .label("every variant is capped")
            .with_label(size, "the collection's size")
            .help("a token has one variant of each trait; raise a cap or lower `size`"),
            Problem::UniqueTwice { span, first } => {
                Diagnostic::new(Code::ConflictingUnique, span, "`unique` is given twice")
                    .label("given again here")
                    .with_label(first, "first given here")
                    .help("keep one `unique` rule")
            }
            Problem::UniqueListedTwice { name, span } => {
                Diagnostic::new(Code::DuplicateRule, span, format!("`{name}` is listed twice"))
                    .label("listed again")
                    .help("list each trait once")
            }
            Problem::AttributeTwice { name, span, first } => {
                Diagnostic::new(Code::LegendaryConflict, span, format!("attribute `{name}` is given twice"))
                    .label("given again here")
                    .with_label(first, "first given here")
                    .help("give each attribute once")
            }
            Problem::LegendaryIdOutside { id, first, last, span } => Diagnostic::new(
                Code::LegendaryConflict,
                span,
                format!("id {id} is outside the collection's ids {first}..={last}"),
            )
            .label("no such token")
            .with_label(size, "the collection's size")
            .help(format!("choose an id from {first} to {last}, or leave out `at` for a seeded random id")),
            Problem::LegendaryIdTaken { id, span, first } => {
                Diagnostic::new(Code::LegendaryConflict, span, format!("two legendaries take id {id}"))
                    .label("this one")
                    .with_label(first, "and this one")
                    .help("give each legendary its own id")
            }
            Problem::TooManyLegendaries { count, size: total, span } => Diagnostic::new(
                Code::LegendaryConflict,
                span,
                format!("{count} legendaries do not fit in a collection of {total}"),
            )
            .label("one too many")
            .with_label(size, "the collection's size")
            .help("raise `size` or remove legendaries"),
        }
    }
}
