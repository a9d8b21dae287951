//! Metadata/visual parity: does every image show what its metadata says?
//!
//! A token's metadata lists its visible and metadata-only traits (a `none`
//! variant is left out, a hidden trait too); its hidden traits are in
//! `tokens.json`. [`Parity::described`] maps those back to one variant per
//! trait of the model (a visible trait missing from the metadata is its
//! `none` variant), or to a legendary when the token's `name` is a
//! legendary's. [`Parity::check`] composites that token again with the
//! run's own renderer and compares the result with the decoded image, pixel
//! for pixel (8-bit RGBA; an opaque image stored as RGB is compared with
//! alpha 255). Compositing is exact integer arithmetic, so a clean run
//! matches bit for bit and a single changed pixel is found.
//!
//! [`audit`] does this for every token of an output folder, in parallel; the
//! output audit ([`super::output`]) renders with [`Parity::render_described`]
//! and compares each row of the image as it decodes it for its other checks
//! ([`verdict`] says what the comparison means).

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use crate::model::Model;
use crate::model::TraitKind;
use crate::render::{Image, RenderError, Renderer};

use super::record::Record;
use super::{Finding, QaCode, Subject};

/// What a token's metadata says its image shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Look {
    /// A generated token: the variant index of every trait of the model.
    Generated(Vec<usize>),
    /// Legendary number `index` of the model.
    Legendary(usize),
}

/// Re-composites tokens of one model; built once per audit (it decodes the
/// art). `Sync`: check tokens from many threads.
#[derive(Debug)]
pub struct Parity<'m> {
    model: &'m Model,
    renderer: Renderer,
}

/// A parity mismatch, or why a token's metadata cannot be mapped back.
pub const MISMATCH: QaCode = QaCode::ParityMismatch;
/// Metadata that names no variant of the collection.
pub const UNMAPPED: QaCode = QaCode::ParityUnmapped;
/// A token whose parity could not be checked (its files are missing or
/// unreadable, or the art cannot be rendered).
pub const UNCHECKED: QaCode = QaCode::ParityUnchecked;

impl<'m> Parity<'m> {
    /// Prepares the renderer of `model`, whose art is relative to `root`.
    pub fn new(model: &'m Model, root: &Path) -> Result<Parity<'m>, RenderError> {
        Ok(Parity { model, renderer: Renderer::new(model, root)? })
    }

    /// The look `metadata` describes, with the hidden traits' variants from
    /// `recorded` (variant names by model trait, from `tokens.json`). The
    /// error says, as a phrase after "its metadata", what cannot be mapped.
    pub fn described(&self, metadata: &Value, recorded: &[Option<&str>]) -> Result<Look, String> {
        let model = self.model;
        if let Some(name) = metadata.get("name").and_then(Value::as_str) {
            if let Some(index) = model.legendaries.iter().position(|l| l.name == name) {
                return Ok(Look::Legendary(index));
            }
        }
        let attributes = metadata.get("attributes").and_then(Value::as_array).ok_or("has no list of `attributes`")?;
        let mut chosen: Vec<Option<usize>> = vec![None; model.traits.len()];
        for a in attributes {
            let trait_type =
                a.get("trait_type").and_then(Value::as_str).ok_or("has an attribute without `trait_type`")?;
            let value = a.get("value").ok_or_else(|| format!("has no value for `{trait_type}`"))?;
            let Some(t) = model.traits.iter().position(|t| t.name == trait_type) else {
                return Err(format!("names `{trait_type}`, which is no trait of the collection"));
            };
            if model.traits[t].kind == TraitKind::Hidden {
                return Err(format!("lists `{trait_type}`, a hidden trait"));
            }
            let Some(value) = value.as_str() else {
                return Err(format!("gives `{trait_type}` the value {value}, which is no variant name"));
            };
            let Some(v) = model.traits[t].variants.iter().position(|v| &*v.name == value) else {
                return Err(format!("names `{trait_type}: {value}`, which is no variant of `{trait_type}`"));
            };
            if chosen[t].replace(v).is_some() {
                return Err(format!("lists `{trait_type}` twice"));
            }
        }
        let mut variants = Vec::with_capacity(model.traits.len());
        for (t, (tr, c)) in model.traits.iter().zip(chosen).enumerate() {
            let v = match c {
                Some(v) => v,
                None if tr.kind == TraitKind::Hidden => {
                    let name = recorded.get(t).copied().flatten().ok_or_else(|| {
                        format!("leaves out the hidden trait `{}` and `tokens.json` has no variant of it", tr.name)
                    })?;
                    tr.variants.iter().position(|v| &*v.name == name).ok_or_else(|| {
                        format!(
                            "leaves out `{}`, and `tokens.json` names `{}.{name}`, which is no variant",
                            tr.name, tr.name
                        )
                    })?
                }
                None => tr.variants.iter().position(|v| v.is_none()).ok_or_else(|| {
                    format!("has no `{}` attribute, and `{}` has no `none` variant", tr.name, tr.name)
                })?,
            };
            variants.push(v);
        }
        Ok(Look::Generated(variants))
    }

    /// Renders `look` into `scratch` (reused between calls by one thread).
    pub fn render(&self, look: &Look, scratch: &mut Image) -> Result<(), RenderError> {
        match look {
            Look::Generated(variants) => self.renderer.render_into(variants, scratch),
            Look::Legendary(index) => {
                *scratch = self.renderer.render_legendary(*index)?;
                Ok(())
            }
        }
    }

    /// Renders into `scratch` what token `id`'s metadata describes (with the
    /// hidden traits from `recorded`, see [`Self::described`]); the finding
    /// when it cannot: metadata that names no look of the collection
    /// ([`UNMAPPED`]), art that cannot be rendered ([`UNCHECKED`]).
    pub fn render_described(
        &self,
        id: u64,
        metadata: &Value,
        recorded: &[Option<&str>],
        scratch: &mut Image,
    ) -> Result<(), Box<Finding>> {
        let subject = Subject::Token { id };
        let look = self.described(metadata, recorded).map_err(|why| {
            Box::new(Finding::new(
                UNMAPPED,
                subject.clone(),
                format!("its metadata {why}"),
                "fix the metadata file (or run `dropc run` again to rewrite it)",
            ))
        })?;
        self.render(&look, scratch).map_err(|e| {
            Box::new(Finding::new(UNCHECKED, subject, format!("cannot render what its metadata says: {e}"), ""))
        })
    }

    /// The parity finding of token `id` (none when its image shows exactly
    /// what its metadata says). `image` is its decoded canvas-size image,
    /// `image_path` its path relative to the output folder.
    pub fn check(
        &self,
        id: u64,
        metadata: &Value,
        recorded: &[Option<&str>],
        image: &Image,
        image_path: &Path,
        scratch: &mut Image,
    ) -> Option<Finding> {
        if let Err(finding) = self.render_described(id, metadata, recorded, scratch) {
            return Some(*finding);
        }
        let (differing, first) =
            if image.dimensions() == scratch.dimensions() { differences(image, scratch) } else { (0, None) };
        verdict(id, image.dimensions(), scratch.dimensions(), (differing, first), image_path)
    }
}

/// The parity finding of token `id` whose image of `size` was compared with
/// the render of its metadata, of `rendered` size: `(differing pixels, the
/// first)` when the sizes agree. `None` when the image shows exactly what its
/// metadata says.
pub fn verdict(
    id: u64,
    size: (u32, u32),
    rendered: (u32, u32),
    (differing, first): (usize, Option<(u32, u32)>),
    image_path: &Path,
) -> Option<Finding> {
    let subject = Subject::Token { id };
    let shown = || vec![image_path.to_path_buf()];
    if size != rendered {
        let ((w, h), (cw, ch)) = (size, rendered);
        return Some(
            Finding::new(
                MISMATCH,
                subject,
                format!("its image is {w} x {h} but what its metadata describes is {cw} x {ch}"),
                "run `dropc run` again to redraw it",
            )
            .with_images(shown()),
        );
    }
    if differing == 0 {
        return None;
    }
    let (x, y) = first.unwrap_or((0, 0));
    Some(
        Finding::new(
            MISMATCH,
            subject,
            format!(
                "its image differs from what its metadata describes at {differing} pixel{} (first at x {x}, y {y})",
                if differing == 1 { "" } else { "s" }
            ),
            "the image or its metadata was changed after the run (or the art was): run `dropc run` again",
        )
        .with_images(shown()),
    )
}

/// Number of differing RGBA pixels of two rows of one width, and the first.
pub(super) fn row_differences(a: &[u8], b: &[u8]) -> (usize, Option<u32>) {
    let mut count = 0;
    let mut first = None;
    for (x, (p, q)) in a.chunks_exact(4).zip(b.chunks_exact(4)).enumerate() {
        if p != q {
            count += 1;
            first.get_or_insert(x as u32);
        }
    }
    (count, first)
}

/// Number of differing pixels of two images of one size, and the first
/// (row by row).
pub(super) fn differences(a: &Image, b: &Image) -> (usize, Option<(u32, u32)>) {
    let w = a.width().max(1);
    let mut count = 0;
    let mut first = None;
    for (i, (p, q)) in a.as_raw().chunks_exact(4).zip(b.as_raw().chunks_exact(4)).enumerate() {
        if p != q {
            count += 1;
            first.get_or_insert(((i as u32) % w, (i as u32) / w));
        }
    }
    (count, first)
}

/// Parity of every token of the output folder `dir` of `model` (art relative
/// to `root`), in parallel on the current rayon pool. Ids come from
/// `tokens.json` (which also gives the hidden traits); tokens whose files
/// are missing or unreadable are reported as unchecked.
pub fn audit(model: &Model, root: &Path, dir: &Path) -> Vec<Finding> {
    let unchecked = |subject: Subject, why: String| {
        Finding::new(UNCHECKED, subject, why, "run `dropc run` again to rewrite the missing files")
    };
    let read = |rel: &Path, limit: u64| super::read::read_file(&dir.join(rel), limit).map_err(|e| e.phrase());
    let tokens_json = crate::output::TOKENS;
    let record = match read(Path::new(tokens_json), super::read::record_limit(model.settings.size))
        .and_then(|b| Record::parse(&b))
    {
        Ok(r) => r,
        Err(e) => return vec![unchecked(Subject::File { path: tokens_json.into() }, format!("`{tokens_json}` {e}"))],
    };
    let parity = match Parity::new(model, root) {
        Ok(p) => p,
        Err(e) => return vec![unchecked(Subject::Collection, format!("cannot render the art: {e}"))],
    };
    let mut findings: Vec<Finding> = record
        .tokens
        .par_iter()
        .map_init(
            || Image::new(0, 0),
            |scratch, (id, entry)| {
                let id = *id;
                let meta_path = PathBuf::from(crate::output::metadata_rel(id));
                let metadata: Value = match read(&meta_path, super::read::METADATA_LIMIT)
                    .and_then(|b| serde_json::from_slice(&b).map_err(|e| format!("is not JSON: {e}")))
                {
                    Ok(v) => v,
                    Err(e) => {
                        return Some(unchecked(Subject::Token { id }, format!("`{}` {e}", meta_path.display())));
                    }
                };
                let image_path = PathBuf::from(crate::output::image_rel(id, None));
                let canvas = model.settings.canvas;
                let decoded =
                    match read(&image_path, super::read::png_limit(canvas)).and_then(
                        |b| match super::image::dimensions(&b)? {
                            size if size == canvas => super::image::decode_rgba(&b),
                            (w, h) => Err(format!("is {w} x {h}, not {} x {}", canvas.0, canvas.1)),
                        },
                    ) {
                        Ok(d) => d,
                        Err(e) => {
                            return Some(unchecked(Subject::Token { id }, format!("`{}` {e}", image_path.display())));
                        }
                    };
                let recorded = record.variant_names(model, entry);
                parity.check(id, &metadata, &recorded, &decoded, &image_path, scratch)
            },
        )
        .flatten()
        .collect();
    super::sort(&mut findings);
    findings
}
