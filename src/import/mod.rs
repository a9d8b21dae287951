//! `dropc import`: a `.drop` file from the layers folder of another art
//! engine (HashLips, nftchef/art-engine).
//!
//! Each engine module reads its folder layout into the same [`Draft`]: the
//! traits in layer order, their variants with weights and the files each
//! draws (at the trait's depth, or below the first / above the last trait,
//! where the engine's depth prefixes put them). [`write`] turns a draft into
//! the `.drop` text a careful author would write, with comments saying where
//! everything came from.
//!
//! Invariant: rendering the written file gives, for every combination, the
//! pixels the source engine's layering gives (the same files, drawn in the
//! same order, with the same blend and opacity), except where a comment and
//! a warning say otherwise; and every art path points at the original file.

mod config;
mod hashlips;
mod nftchef;
mod write;

use std::collections::HashMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

pub use config::{Config, Js, LayerConfiguration, LayerOptions};
pub use write::drop_dir;

/// The art engine whose folder layout is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// HashLips art engine: `DIR/<Layer>/<Variant>#<weight>.png`.
    HashLips,
    /// nftchef/art-engine: HashLips' layout plus nested weighted folders,
    /// `z<N>,` depth prefixes and `NONE` files.
    NftChef,
}

impl Engine {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Engine::HashLips => "hashlips",
            Engine::NftChef => "nftchef",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Engine::HashLips => "HashLips art engine",
            Engine::NftChef => "nftchef/art-engine",
        }
    }
}

/// What to import and where the `.drop` file will be.
#[derive(Clone, Debug)]
pub struct Options {
    /// The layer order, bottom to top (`--order`); else `config.js`'s
    /// `layersOrder`, else alphabetical.
    pub order: Option<Vec<String>>,
    /// The folder the `.drop` file is written to: art paths are relative to
    /// it, and the layers folder must be inside it.
    pub drop_dir: PathBuf,
}

/// A written `.drop` and what the reader should know about it.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The `.drop` text.
    pub text: String,
    /// Things that could not be kept exactly as the engine has them (also
    /// written as comments in the text).
    pub warnings: Vec<String>,
}

/// Why a folder cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportError {
    /// The folder's content cannot be made into a collection (exit 1).
    Input(String),
    /// The folder cannot be read, or the `.drop` cannot be placed (exit 2).
    Io(String),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Input(m) | ImportError::Io(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ImportError {}

/// Reads the layers folder `dir` of `engine` and writes a `.drop`.
pub fn import(engine: Engine, dir: &Path, options: &Options) -> Result<Imported, ImportError> {
    let source = Source::open(dir, &options.drop_dir)?;
    let config_path = config::find(&source.dir);
    let config = match &config_path {
        Some(path) => Some(Config::read(path).map_err(|why| ImportError::Io(format!("`{}` {why}", path.display())))?),
        None => None,
    };
    let plan = LayerPlan::new(&source, config.as_ref(), options.order.as_deref())?;
    let mut draft = match engine {
        Engine::HashLips => hashlips::read(&source, &plan, config.as_ref())?,
        Engine::NftChef => nftchef::read(&source, &plan, config.as_ref())?,
    };
    draft.engine = engine;
    finish(&source, &plan, config.as_ref(), &mut draft)?;
    let text = write::write(&source, &draft);
    Ok(Imported { text, warnings: draft.warnings })
}

/// The layers folder and where the `.drop` file goes.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    /// The layers folder, absolute.
    pub dir: PathBuf,
    /// The layers folder as given on the command line (for comments).
    pub shown: String,
    /// The layers folder relative to the `.drop` file's folder, `/`-separated.
    pub layers_setting: String,
    /// The `.drop` file's folder, absolute.
    pub drop_dir: PathBuf,
}

/// `path` relative to `base` when it is inside it, else as it is.
fn shown_path(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}

impl Source {
    fn open(dir: &Path, drop_dir: &Path) -> Result<Source, ImportError> {
        let abs =
            std::fs::canonicalize(dir).map_err(|e| ImportError::Io(format!("cannot read `{}`: {e}", dir.display())))?;
        if !abs.is_dir() {
            return Err(ImportError::Io(format!("`{}` is not a folder", dir.display())));
        }
        let drop_abs = std::fs::canonicalize(drop_dir)
            .map_err(|e| ImportError::Io(format!("cannot use the folder `{}`: {e}", drop_dir.display())))?;
        let Ok(rel) = abs.strip_prefix(&drop_abs) else {
            return Err(ImportError::Io(format!(
                "`{}` is outside `{}`, the folder of the .drop file: art paths may not leave a project's folder; \
                 write the .drop into a folder that holds the layers (e.g. `-o {}`)",
                dir.display(),
                drop_dir.display(),
                abs.parent().unwrap_or(&abs).join("collection.drop").display()
            )));
        };
        let parts: Vec<String> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        Ok(Source {
            dir: abs,
            shown: dir.display().to_string(),
            layers_setting: if parts.is_empty() { ".".to_string() } else { parts.join("/") },
            drop_dir: drop_abs,
        })
    }
}

/// The layers to import, bottom to top, with their `layersOrder` options.
#[derive(Clone, Debug)]
pub(crate) struct LayerPlan {
    pub layers: Vec<LayerOptions>,
    /// Where the order came from (for the header comment).
    pub origin: String,
    /// Folders of DIR that are not imported.
    pub skipped: Vec<String>,
    /// `growEditionSizeTo` of the configuration used.
    pub edition_size: Option<u64>,
    /// nftchef's `namePrefix` of the configuration used.
    pub name_prefix: Option<String>,
    /// More configurations that are not imported.
    pub other_configurations: usize,
}

impl LayerPlan {
    fn new(source: &Source, config: Option<&Config>, order: Option<&[String]>) -> Result<LayerPlan, ImportError> {
        let folders = list_dir(&source.dir)?
            .into_iter()
            .filter(|e| e.is_dir && !hidden(&e.name))
            .map(|e| e.name)
            .collect::<Vec<_>>();
        if folders.is_empty() {
            return Err(ImportError::Input(format!(
                "`{}` holds no layer folders: an engine's layers folder has one folder per layer (`{}/Background/Blue#10.png`)",
                source.shown, source.shown
            )));
        }
        let configs = config.map(Config::layer_configurations).unwrap_or_default();
        let (layers, origin, edition_size, name_prefix, others) = if let Some(order) = order {
            let layers =
                order.iter().map(|name| LayerOptions { name: name.clone(), ..LayerOptions::default() }).collect();
            (layers, "from `--order`".to_string(), None, None, 0)
        } else if let (Some(first), Some(config)) = (configs.first(), config) {
            if first.layers.is_empty() {
                return Err(ImportError::Input(format!(
                    "`{}` has no `layersOrder` list that dropc can read: give the order with `--order A,B,...`",
                    config.path.display()
                )));
            }
            let size = first.grow_edition_size_to.filter(|n| *n >= 1.0 && n.fract() == 0.0).map(|n| n as u64);
            (
                first.layers.clone(),
                format!("from `layersOrder` in `{}`", shown_path(&config.path, &source.drop_dir)),
                size,
                first.name_prefix.clone(),
                configs.len() - 1,
            )
        } else {
            let mut sorted = folders.clone();
            sorted.sort();
            let layers = sorted.into_iter().map(|name| LayerOptions { name, ..LayerOptions::default() }).collect();
            (layers, "alphabetical: no `config.js` with a `layersOrder` was found beside or above the folder, and no `--order` was given: check it".to_string(), None, None, 0)
        };
        for layer in &layers {
            if !folders.contains(&layer.name) {
                return Err(ImportError::Input(format!(
                    "the layer `{}` ({origin}) has no folder in `{}`; its folders are: {}",
                    layer.name,
                    source.shown,
                    folders.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for layer in &layers {
            if !seen.insert(&layer.name) {
                return Err(ImportError::Input(format!("the layer `{}` is listed twice ({origin})", layer.name)));
            }
        }
        let mut skipped: Vec<String> = folders.into_iter().filter(|f| !layers.iter().any(|l| &l.name == f)).collect();
        skipped.sort();
        Ok(LayerPlan { layers, origin, skipped, edition_size, name_prefix, other_configurations: others })
    }
}

/// A collection read from a folder, before it is written.
#[derive(Clone, Debug)]
pub(crate) struct Draft {
    pub engine: Engine,
    pub traits: Vec<DraftTrait>,
    /// Comments for the file's header.
    pub notes: Vec<String>,
    /// Also printed to stderr.
    pub warnings: Vec<String>,
    pub name: String,
    pub description: Option<String>,
    pub size: u64,
    pub canvas: (u32, u32),
    /// The engine's output size, when it differs from the art's.
    pub sizes: Option<(u32, u32)>,
    /// `unique by` these traits (when some layer bypasses the engine's uniqueness check).
    pub unique_by: Option<Vec<String>>,
    /// Rules translated from the engine's settings, in the order written.
    pub rules: Vec<DraftRule>,
}

/// A rule of a draft, over (trait, variant) names.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DraftRule {
    pub kind: RuleKind,
    pub left: Vec<(String, String)>,
    pub right: Vec<(String, String)>,
    /// Where it comes from, written before it.
    pub comment: String,
}

/// `forbid left with right` or `require left -> right`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RuleKind {
    Forbid,
    Require,
}

/// One trait of a draft.
#[derive(Clone, Debug)]
pub(crate) struct DraftTrait {
    pub name: String,
    /// The folder name under the layers folder.
    pub folder: String,
    pub variants: Vec<DraftVariant>,
    pub blend: Option<&'static str>,
    pub opacity: Option<f64>,
    /// Comments written above the trait.
    pub comments: Vec<String>,
}

/// One variant of a draft.
#[derive(Clone, Debug)]
pub(crate) struct DraftVariant {
    /// The name (`none` for the empty variant).
    pub name: String,
    pub weight: Weight,
    /// The files it draws, bottom to top.
    pub parts: Vec<DraftPart>,
    /// A comment written after it.
    pub comment: Option<String>,
}

/// One file a variant draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DraftPart {
    /// Relative to the layers folder, `/`-separated.
    pub path: String,
    pub place: Place,
}

/// Where a part is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Place {
    /// At the trait's own depth.
    Own,
    /// Below the first trait (the bottom of every image).
    Bottom,
    /// Above the last trait (the top of every image).
    Top,
}

/// A weight as written: a whole number, or a decimal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Weight {
    Whole(u128),
    Decimal(f64),
}

impl Weight {
    pub fn value(self) -> f64 {
        match self {
            Weight::Whole(n) => n as f64,
            Weight::Decimal(x) => x,
        }
    }

    pub fn from_f64(x: f64) -> Weight {
        if x.fract() == 0.0 && (0.0..1e30).contains(&x) { Weight::Whole(x as u128) } else { Weight::Decimal(x) }
    }

    fn add(self, other: Weight) -> Weight {
        match (self, other) {
            (Weight::Whole(a), Weight::Whole(b)) => {
                a.checked_add(b).map_or(Weight::Decimal(a as f64 + b as f64), Weight::Whole)
            }
            (a, b) => Weight::from_f64(a.value() + b.value()),
        }
    }
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weight::Whole(n) => write!(f, "{n}"),
            Weight::Decimal(x) => write!(f, "{x}"),
        }
    }
}

/// An entry of a folder.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub name: String,
    pub is_dir: bool,
}

/// The entries of `dir` in the order Node's `fs.readdirSync` gives them
/// (libuv sorts by bytes): the order the engines number elements in.
pub(crate) fn list_dir(dir: &Path) -> Result<Vec<Entry>, ImportError> {
    let read = std::fs::read_dir(dir).map_err(|e| ImportError::Io(format!("cannot read `{}`: {e}", dir.display())))?;
    let mut entries = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| ImportError::Io(format!("cannot read `{}`: {e}", dir.display())))?;
        let Ok(name) = entry.file_name().into_string() else {
            return Err(ImportError::Input(format!(
                "`{}` holds a file whose name is not UTF-8: rename it",
                dir.join(entry.file_name()).display()
            )));
        };
        entries.push(Entry { is_dir: entry.path().is_dir(), name });
    }
    entries.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    Ok(entries)
}

/// Names the engines skip: `.DS_Store` and other dot files.
pub(crate) fn hidden(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next() == Some('.') && chars.next().is_some_and(|c| c != '.' && c != '/')
}

/// What the pixels of an art file are.
#[derive(Clone, Debug)]
pub(crate) struct Pixels {
    pub size: (u32, u32),
    /// SHA-256 of the size and the RGBA pixels.
    pub digest: [u8; 32],
    /// Every pixel fully transparent.
    pub empty: bool,
}

/// Decodes each file (relative to `root`), in parallel.
pub(crate) fn inspect(root: &Path, files: &[String]) -> Result<HashMap<String, Pixels>, ImportError> {
    files
        .par_iter()
        .map(|rel| {
            let full = root.join(rel);
            let bytes = crate::files::read(&full, crate::files::ART_LIMIT, crate::files::Links::Follow)
                .map_err(|why| ImportError::Io(format!("`{}` {why}", full.display())))?;
            let decoded = crate::png::decode::decode_bytes(&bytes)
                .map_err(|why| ImportError::Input(format!("`{}` {why}", full.display())))?;
            let mut hash = Sha256::new();
            hash.update(decoded.width.to_le_bytes());
            hash.update(decoded.height.to_le_bytes());
            hash.update(&decoded.rgba);
            let empty = decoded.rgba.chunks_exact(4).all(|p| p[3] == 0);
            Ok((rel.clone(), Pixels { size: (decoded.width, decoded.height), digest: hash.finalize().into(), empty }))
        })
        .collect()
}

/// Whether a file name is a PNG (by its extension, in any case).
pub(crate) fn is_png(name: &str) -> bool {
    name.len() > 4 && name.get(name.len() - 4..).is_some_and(|ext| ext.eq_ignore_ascii_case(".png"))
}

/// The `.drop` blend mode for a canvas composite operation.
pub(crate) fn blend_mode(op: &str) -> Option<&'static str> {
    Some(match op {
        "source-over" | "normal" => "normal",
        "multiply" => "multiply",
        "screen" => "screen",
        "overlay" => "overlay",
        "darken" => "darken",
        "lighten" => "lighten",
        "lighter" | "add" => "add",
        _ => return None,
    })
}

/// Settles what is common to both engines: the canvas, `none`, identical
/// files, the collection's size and name.
/// Rules name the variants merged into `none` as `none`, once per list.
fn rename_merged(rules: &mut [DraftRule], merged: &[(String, String)]) {
    for rule in rules {
        for list in [&mut rule.left, &mut rule.right] {
            let mut renamed: Vec<(String, String)> = Vec::new();
            for (trait_name, variant) in std::mem::take(list) {
                let variant = if merged.iter().any(|(t, v)| *t == trait_name && *v == variant) {
                    "none".to_string()
                } else {
                    variant
                };
                if !renamed.iter().any(|(t, v)| *t == trait_name && *v == variant) {
                    renamed.push((trait_name, variant));
                }
            }
            *list = renamed;
        }
    }
}

fn finish(source: &Source, plan: &LayerPlan, config: Option<&Config>, draft: &mut Draft) -> Result<(), ImportError> {
    let files: Vec<String> = {
        let mut all: Vec<String> = draft
            .traits
            .iter()
            .flat_map(|t| t.variants.iter().flat_map(|v| v.parts.iter().map(|p| p.path.clone())))
            .collect();
        all.sort();
        all.dedup();
        all
    };
    let pixels = inspect(&source.dir, &files)?;
    draft.notes.insert(0, format!("Layer order {}.", plan.origin));
    if !plan.skipped.is_empty() {
        let listed: Vec<String> = plan.skipped.iter().map(|s| format!("`{s}`")).collect();
        draft.notes.push(format!("Not imported (not in the layer order): {}.", listed.join(", ")));
    }
    if plan.other_configurations > 0 {
        draft.notes.push(format!(
            "config.js has {} more layer configuration(s): this file is the first; import another with `--order`.",
            plan.other_configurations
        ));
    }

    // The canvas: the size most files have.
    let mut sizes: HashMap<(u32, u32), usize> = HashMap::new();
    for p in pixels.values() {
        *sizes.entry(p.size).or_default() += 1;
    }
    let Some((&canvas, _)) = sizes.iter().max_by_key(|(size, n)| (**n, std::cmp::Reverse(**size))) else {
        return Err(ImportError::Input(format!("`{}` holds no PNG layer files", source.shown)));
    };
    draft.canvas = canvas;
    let mut odd: Vec<&String> = files.iter().filter(|f| pixels.get(*f).is_some_and(|p| p.size != canvas)).collect();
    odd.sort();
    if !odd.is_empty() {
        let shown: Vec<String> = odd.iter().take(5).map(|f| format!("`{f}`")).collect();
        draft.warnings.push(format!(
            "{} file(s) are not {} x {} like the others ({}{}): the engine stretches every layer to its output size, dropc does not; export them at the canvas size",
            odd.len(),
            canvas.0,
            canvas.1,
            shown.join(", "),
            if odd.len() > 5 { ", ..." } else { "" }
        ));
    }
    if let Some(format) = config.and_then(Config::format) {
        if format != canvas {
            draft.sizes = Some(format);
            draft.notes.push(format!(
                "The engine's `format` is {} x {} and the art is {} x {}: the canvas is the art's size, and `sizes` also writes every image at {} x {}.",
                format.0, format.1, canvas.0, canvas.1, format.0, format.1
            ));
        }
    }
    if config.is_some_and(Config::generated_background) {
        draft.notes.push(
            "`background.generate` is on in config.js: the engine paints a random pastel colour under every image; dropc does not (add a Background trait with colour layers to get one).".to_string(),
        );
    }

    // (trait, old name) of the variants merged into `none`.
    let mut merged_into_none: Vec<(String, String)> = Vec::new();
    for t in &mut draft.traits {
        // Variants that draw nothing become `none` (one per trait).
        let mut none: Option<(Weight, Vec<String>)> = None;
        let mut kept = Vec::new();
        for v in std::mem::take(&mut t.variants) {
            let empty = v.name == "none" || v.parts.iter().all(|p| pixels.get(&p.path).is_some_and(|px| px.empty));
            if empty {
                if v.name != "none" {
                    merged_into_none.push((t.name.clone(), v.name.clone()));
                }
                let why = if v.parts.is_empty() {
                    v.comment.clone().unwrap_or_else(|| v.name.clone())
                } else {
                    v.parts.iter().map(|p| format!("`{}`", p.path)).collect::<Vec<_>>().join(" + ")
                        + if v.parts.len() == 1 { " is fully transparent" } else { " are fully transparent" }
                };
                let merged = match none.take() {
                    Some((w, mut whys)) => {
                        whys.push(why);
                        (w.add(v.weight), whys)
                    }
                    None => (v.weight, vec![why]),
                };
                none = Some(merged);
                if kept.iter().all(|k: &DraftVariant| k.name != "none") {
                    kept.push(DraftVariant { name: "none".into(), weight: v.weight, parts: Vec::new(), comment: None });
                }
            } else {
                kept.push(v);
            }
        }
        if let Some((weight, whys)) = none {
            if let Some(slot) = kept.iter_mut().find(|k| k.name == "none") {
                slot.weight = weight;
                slot.comment = Some(whys.join("; "));
            }
        }
        t.variants = kept;
        // Identical art.
        let mut by_look: HashMap<Vec<([u8; 32], Place)>, Vec<String>> = HashMap::new();
        for v in &t.variants {
            if v.parts.is_empty() {
                continue;
            }
            let look: Option<Vec<([u8; 32], Place)>> =
                v.parts.iter().map(|p| pixels.get(&p.path).map(|px| (px.digest, p.place))).collect();
            if let Some(look) = look {
                by_look.entry(look).or_default().push(v.name.clone());
            }
        }
        let mut groups: Vec<Vec<String>> = by_look.into_values().filter(|g| g.len() > 1).collect();
        groups.sort();
        for group in groups {
            let names: Vec<String> = group.iter().map(|n| format!("`{n}`")).collect();
            t.comments.push(format!(
                "{} draw identical pixels (`check` warns `identical_art`): tokens that differ only there look the same.",
                names.join(" and ")
            ));
        }
    }
    rename_merged(&mut draft.rules, &merged_into_none);

    // Size: the engine's edition size, at most the number of unique combinations.
    let counted: Vec<&DraftTrait> = match &draft.unique_by {
        Some(names) => draft.traits.iter().filter(|t| names.contains(&t.name)).collect(),
        None => draft.traits.iter().collect(),
    };
    let combinations = counted
        .iter()
        .fold(1u128, |acc, t| acc.saturating_mul(t.variants.iter().filter(|v| v.weight.value() > 0.0).count() as u128));
    let wanted = plan.edition_size.unwrap_or(100);
    draft.size = wanted.min(u64::try_from(combinations).unwrap_or(u64::MAX)).clamp(1, 10_000_000);
    if plan.edition_size.is_none() {
        draft.notes.push(format!(
            "`size {}`: no `growEditionSizeTo` was read; set the size you want (at most {combinations}, the unique combinations).",
            draft.size
        ));
    } else if draft.size < wanted {
        draft.notes.push(format!(
            "`growEditionSizeTo` is {wanted}, but these layers make only {combinations} unique combinations: `size {}`.",
            draft.size
        ));
    }
    draft.name = plan
        .name_prefix
        .clone()
        .or_else(|| config.and_then(|c| c.string("namePrefix")).map(str::to_string))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| {
            source
                .dir
                .parent()
                .and_then(Path::file_name)
                .map_or_else(|| "Imported".to_string(), |n| n.to_string_lossy().into_owned())
        });
    draft.description = config.and_then(|c| c.string("description")).map(str::to_string);
    for w in &draft.warnings {
        if !draft.notes.contains(w) {
            draft.notes.push(format!("Warning: {w}"));
        }
    }
    Ok(())
}
