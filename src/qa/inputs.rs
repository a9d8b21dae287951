//! Audits of a collection's inputs: its art files, before anything is generated.
//!
//! `dropc check` reads only the headers of the art; this audit decodes every
//! file, as rendering will, and looks at the pixels:
//!
//! | Code | Severity | Subject | What |
//! |---|---|---|---|
//! | `qa::unreadable_art` | error | file | the file cannot be decoded (a corrupted PNG) |
//! | `drop::art_colour_profile` | error | file | an ICC profile or `cICP` other than sRGB |
//! | `drop::art_gamma` | warning | file | `gAMA`/`cHRM` without `sRGB` |
//! | `drop::mixed_colour_profiles` | warning | file | a layer whose colour space differs from most layers of its trait |
//! | `qa::transparent_variant` | warning | variant | a variant (not `none`) whose art has no visible pixel |
//! | `qa::art_outside_canvas` | warning | variant | content that its offset puts outside the canvas (clipped) |
//! | `qa::covering_layer` | warning | variant | a layer that paints the whole canvas opaque above another trait |
//! | `qa::occluded_variant` | warning | variant | a variant hidden by another that the rules allow with it ([`super::occlusion`]) |
//! | `drop::identical_art` | warning | variant | variants of one trait that draw identical art |
//! | `qa::visual_duplicate` | error | token | tokens of the sampled collection that look identical ([`super::occlusion`]) |
//!
//! A problem that `check` reports too keeps `check`'s code (`drop::`): one
//! problem, one code, whichever command finds it.
//!
//! The occlusion audits sample the collection with its own seed, exactly as
//! `dropc run` would, to count the tokens affected.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::check::art::{CONVERT_HELP, audit_art, png_info};
use crate::check::{ArtProblem, ArtStore as _, DiskArt};
use crate::model::LayerMask;
use crate::model::TraitKind;
use crate::model::{Art, ArtSource, ConditionalArt, IdenticalArt, Look, Model, VariantId, Visibility};
use crate::png::ColourSpace;

use super::{Finding, QaCode, Subject};
use crate::diagnostic::Code;

/// Every finding about the art of `model`, whose paths are relative to `root`.
pub fn audit(model: &Model, root: &Path) -> Vec<Finding> {
    let mut findings = Vec::new();
    colour_findings(model, root, &mut findings);

    let store = DiskArt { root: root.to_path_buf() };
    let (layers, mut failures) = Visibility::layers(model, &store);
    // Legendaries are no layer: their images are decoded here, one at a
    // time, so that a corrupt one is found before `dropc run`.
    let legendaries: BTreeSet<&Path> = model.legendaries.iter().map(|l| l.image.as_path()).collect();
    for path in legendaries {
        if failures.iter().any(|(p, _)| p == path) {
            continue;
        }
        if let Err(problem) = store.pixels(path) {
            failures.push((path.to_path_buf(), problem));
        }
    }
    let failed: BTreeSet<PathBuf> = failures.iter().map(|(p, _)| p.clone()).collect();
    for (path, problem) in &failures {
        let why = match problem {
            ArtProblem::Missing => "is missing".to_string(),
            ArtProblem::Invalid(why) => why.clone(),
            ArtProblem::Outside(target) => format!("is a link to `{}`, outside the project folder", target.display()),
        };
        findings.push(Finding::new(
            QaCode::UnreadableArt,
            file_subject(path),
            format!("`{}` {why}", shown(path)),
            "export the layer again as a PNG; `dropc run` cannot render tokens that use it",
        ));
    }
    pixel_findings(model, &layers, &failed, &mut findings);
    let identical = identical_findings(model, &store, &mut findings);
    if failed.is_empty() {
        let visibility = Visibility::from_layers(layers).with_looks(model).with_identical(&identical);
        findings.extend(super::occlusion::audit(model, &visibility));
    }
    super::sort(&mut findings);
    findings
}

/// One `drop::identical_art` finding per group of variants that draw
/// identical art (found as `check` finds them); returns the groups.
fn identical_findings(model: &Model, store: &DiskArt, findings: &mut Vec<Finding>) -> IdenticalArt {
    let (diagnostics, identical) = audit_art(model, store);
    let mut said = diagnostics.iter().filter(|d| d.code == Code::IdenticalArt);
    for (trait_id, firsts) in identical.first.iter().enumerate() {
        for (index, &first) in firsts.iter().enumerate() {
            // One finding per group, on its first variant (the diagnostics come in that order).
            if first != index || !firsts.iter().enumerate().any(|(i, &f)| f == index && i != index) {
                continue;
            }
            if let Some(d) = said.next() {
                findings.push(Finding::new(
                    Code::IdenticalArt,
                    variant_subject(model, trait_id, index),
                    d.message.clone(),
                    d.help.clone().unwrap_or_default(),
                ));
            }
        }
    }
    identical
}

/// `path` with `/` separators.
fn shown(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn file_subject(path: &Path) -> Subject {
    Subject::File { path: shown(path) }
}

/// `` `Hair.Long` (its art while `Body` is `Zombie`) ``: a variant and the
/// `when` whose art it draws.
pub(super) fn when_look_name(model: &Model, trait_id: usize, index: usize, source: ArtSource) -> String {
    let name = model.variant_name(VariantId { trait_id, index });
    let ArtSource::When { rule, .. } = source else { return format!("`{name}`") };
    let Some(w) = model.whens.get(rule) else { return format!("`{name}`") };
    let t = &model.traits[w.condition_trait];
    let names: Vec<String> =
        w.conditions.iter().map(|&c| format!("`{}`", crate::model::source_name(&t.variants[c].name))).collect();
    format!("`{name}` (its art while `{}` is {})", crate::model::source_name(&t.name), names.join(" or "))
}

pub(super) fn variant_subject(model: &Model, trait_id: usize, index: usize) -> Subject {
    let t = &model.traits[trait_id];
    Subject::Variant { trait_name: t.name.clone(), variant: t.variants[index].name.to_string() }
}

/// Every art file of each drawn trait, in order (a derived variant's are its source's; conditional art's last).
fn trait_files(model: &Model) -> Vec<(usize, Vec<&Path>)> {
    let mut out = Vec::new();
    for (trait_id, t) in model.traits.iter().enumerate() {
        if t.kind == TraitKind::MetadataOnly {
            continue;
        }
        let mut files: Vec<&Path> = Vec::new();
        for (_, f) in model.art_files().filter(|(t, _)| *t == trait_id) {
            if !files.contains(&f.path.as_path()) {
                files.push(&f.path);
            }
        }
        out.push((trait_id, files));
    }
    out
}

/// Colour spaces from the headers: non-sRGB profiles, gamma without sRGB,
/// and layers whose space differs from the rest of their trait. Files whose
/// spaces are ignored (`profiles ignore` on the collection, their trait or
/// variant: [`Model::profile_policies`]) are left out: the author takes their
/// numbers as sRGB.
fn colour_findings(model: &Model, root: &Path, findings: &mut Vec<Finding>) {
    let policies = model.profile_policies();
    let checked = |p: &&Path| !policies.get(p).is_some_and(|policy| policy.ignored());
    let mut spaces: BTreeMap<&Path, ColourSpace> = BTreeMap::new();
    let per_trait: Vec<(usize, Vec<&Path>)> =
        trait_files(model).into_iter().map(|(t, files)| (t, files.into_iter().filter(checked).collect())).collect();
    let all: BTreeSet<&Path> = per_trait
        .iter()
        .flat_map(|(_, files)| files.iter().copied())
        .chain(model.legendaries.iter().map(|l| l.image.as_path()).filter(checked))
        .collect();
    for path in all {
        // A file that cannot be opened or whose header is broken is an
        // `unreadable_art` error of the decoding below, not a colour finding.
        let Ok(full) = crate::model::paths::resolve_inside(root, path) else { continue };
        let Ok(file) = crate::files::open(&full, crate::files::ART_LIMIT, crate::files::Links::Follow) else {
            continue;
        };
        let Ok(info) = png_info(std::io::BufReader::new(file)) else { continue };
        let subject = file_subject(path);
        match &info.colour {
            // Ignored as PNG says (an RGB profile in a grey image): `check` notes it.
            ColourSpace::Untagged | ColourSpace::Srgb | ColourSpace::IgnoredIcc { .. } => {}
            ColourSpace::Gamma { .. } => findings.push(Finding::new(
                Code::ArtGamma,
                subject,
                format!("`{}` declares {} but not sRGB", shown(path), info.colour.describe()),
                "dropc uses its numbers as sRGB, but viewers that honour gAMA may show it lighter or darker; \
                 export it again with an sRGB profile (or without colour chunks)",
            )),
            ColourSpace::BadIcc { why } => findings.push(Finding::new(
                Code::ArtColourProfile,
                subject,
                format!("`{}` has an ICC profile dropc cannot use: {why}", shown(path)),
                "export the layer again in sRGB",
            )),
            ColourSpace::Icc { .. } | ColourSpace::Cicp { .. } => findings.push(Finding::new(
                Code::ArtColourProfile,
                subject,
                format!("`{}` is in {}, not sRGB", shown(path), info.colour.describe()),
                CONVERT_HELP,
            )),
        }
        spaces.insert(path, info.colour);
    }
    for (trait_id, files) in per_trait {
        let named: Vec<(&Path, String)> =
            files.iter().filter_map(|p| spaces.get(p).map(|c| (*p, c.describe()))).collect();
        let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, d) in &named {
            *tally.entry(d.as_str()).or_default() += 1;
        }
        if tally.len() < 2 {
            continue;
        }
        // The most common space (ties: sRGB, then by name) is the trait's; the others stand out.
        let common = tally
            .iter()
            .max_by_key(|(d, n)| (**n, **d == "sRGB", std::cmp::Reverse(**d)))
            .map(|(d, _)| d.to_string())
            .unwrap_or_default();
        let name = &model.traits[trait_id].name;
        for (path, d) in &named {
            if *d != common {
                findings.push(Finding::new(
                    Code::MixedColourProfiles,
                    file_subject(path),
                    format!("`{}` is in {d} while most layers of `{name}` are in {common}", shown(path)),
                    "export every layer of a trait with the same colour settings (sRGB)",
                ));
            }
        }
    }
}

/// Transparent variants, content outside the canvas, full-canvas opaque layers above others.
fn pixel_findings(
    model: &Model,
    layers: &[Vec<Vec<LayerMask>>],
    failed: &BTreeSet<PathBuf>,
    findings: &mut Vec<Finding>,
) {
    let canvas = model.settings.canvas;
    // The first layer drawn by each trait, to tell what a layer is drawn above.
    let lowest: Vec<Option<(usize, usize, usize)>> =
        layers.iter().map(|t| t.iter().flatten().map(|l| l.order).min()).collect();
    let conditional = ConditionalArt::new(model);
    for (trait_id, t) in model.traits.iter().enumerate() {
        if t.kind == TraitKind::MetadataOnly {
            continue;
        }
        // Each variant's own art, then each conditional art it may draw.
        for (look, Look { variant: index, source }) in
            conditional.looks(trait_id, t.variants.len()).into_iter().enumerate()
        {
            let v = &t.variants[index];
            if matches!(v.art, Art::Empty) && source == ArtSource::Own {
                continue;
            }
            let Ok(drawn) = model.drawn_from(VariantId { trait_id, index }, source) else { continue };
            let files: Vec<&Path> = drawn.files.iter().map(|f| f.path.as_path()).collect();
            if files.iter().any(|f| failed.contains(*f)) {
                continue;
            }
            let Some(masks) = layers.get(trait_id).and_then(|l| l.get(look)) else { continue };
            let subject = || variant_subject(model, trait_id, index);
            let who = match source {
                ArtSource::Own => format!("`{}.{}`", t.name, v.name),
                ArtSource::When { .. } => {
                    format!("conditional art of {}", when_look_name(model, trait_id, index, source))
                }
            };
            let style = drawn.style;
            if masks.iter().all(|m| m.content == 0) {
                let why = if style.opacity <= 0.0 { "its opacity is 0" } else { "every pixel is fully transparent" };
                findings.push(Finding::new(
                    QaCode::TransparentVariant,
                    subject(),
                    format!("{who} draws nothing: {why}"),
                    "tokens with it show no trace of it but list it in their metadata; \
                     draw its art, or make it `none` if it is meant to be empty",
                ));
                continue;
            }
            for m in masks {
                let off = m.off_canvas();
                if off == 0 {
                    continue;
                }
                let (x, y) = style.offset;
                let what = if m.visible.is_empty() {
                    "all of it lies outside the canvas".to_string()
                } else {
                    format!("{off} of its {} visible pixels lie outside the canvas and are cut off", m.content)
                };
                findings.push(Finding::new(
                    QaCode::ArtOutsideCanvas,
                    subject(),
                    format!("{who}: `{}` at offset ({x}, {y}): {what}", shown(&m.path)),
                    "change the offset, or crop or move the drawing inside the canvas",
                ));
            }
            for m in masks.iter().filter(|m| m.covers_canvas(canvas)) {
                let below: Vec<String> = lowest
                    .iter()
                    .enumerate()
                    .filter(|&(other, low)| other != trait_id && low.is_some_and(|o| o < m.order))
                    .map(|(other, _)| format!("`{}`", model.traits[other].name))
                    .collect();
                if below.is_empty() {
                    continue;
                }
                findings.push(Finding::new(
                    QaCode::CoveringLayer,
                    subject(),
                    format!(
                        "{who}: `{}` paints the whole canvas opaque, hiding everything drawn below it ({})",
                        shown(&m.path),
                        below.join(", ")
                    ),
                    "export the layer with a transparent background, or move its trait to the bottom",
                ));
            }
        }
    }
}
