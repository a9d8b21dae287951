//! Rendering: a token's variants to the pixels of its image.
//!
//! This stage sits between sampling and publishing. [`Renderer::new`] does
//! every expensive, token-independent step once per run: it decodes each art
//! file the model needs (any PNG colour type, converted to 8-bit sRGB RGBA,
//! see [`crate::png`]), computes each derived colour variant ([`crate::model::recolour`]),
//! folds each variant's opacity into its alpha, applies its offset, and crops
//! every layer to the part of its content that lands on the canvas
//! ([`layer`]). [`Renderer::render`] then only composites prepared layers
//! ([`blend`]), so a collection of 10,000 tokens decodes each layer once, not
//! 10,000 times. [`encode_png`] and [`resize`] turn the result into files.
//!
//! # Order of layers
//!
//! Traits render bottom to top in declaration order. Each art file of a
//! variant has a depth: a file drawn at its own trait `t` has depth `3t + 1`;
//! a file placed `below T` has depth `3T`, `above T` has `3T + 2`. A token's
//! files are drawn in increasing `(depth, trait index, file index)`: at equal
//! depth (two variants placed below the same trait), the earlier-declared
//! trait is drawn first, and the parts of one variant in the order written.
//!
//! # What is drawn
//!
//! A `background` colour is a canvas-size layer under all of them (not
//! under legendaries, which are their own image).
//!
//! `none` and every other variant without art draws nothing; metadata-only
//! traits draw nothing; hidden traits are drawn like visible ones. A derived
//! variant draws its source's files (with their placements), recoloured, with
//! its own rendering options. Conditional art (`art` inside `when`) is
//! prepared like any variant's, once per `art` line and variant it applies
//! to; which art a token's variant draws is decided per token by
//! [`ConditionalArt::source`]. Legendaries are not composited: their own image
//! is returned by [`Renderer::render_legendary`].

pub mod blend;
pub mod encode;
pub mod layer;
pub mod scale;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::model::{ArtChange, ArtFile, ArtSource, ConditionalArt, LayerStyle, Model, Side, TraitKind, VariantId};

pub use encode::{encode_png, resize};
use layer::Layer;

thread_local! {
    /// [`layer::composite`]'s buffers, kept between tokens.
    static SCRATCH: std::cell::RefCell<layer::Scratch> = std::cell::RefCell::new(layer::Scratch::default());
}

/// An image: 8-bit straight (not premultiplied) sRGB RGBA.
pub type Image = image::RgbaImage;

/// Why rendering failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// An art file or legendary image could not be read or decoded.
    #[error("cannot use art `{}`: it {reason}", path.display())]
    Art {
        /// The file, relative to the project folder.
        path: PathBuf,
        /// What is wrong, as a phrase after "it" (`is not a valid PNG (…)`).
        reason: String,
    },
    /// A legendary image is not the canvas size.
    #[error("legendary image `{}` is {width} x {height} but the canvas is {} x {}", path.display(), canvas.0, canvas.1)]
    LegendarySize {
        /// The file, relative to the project folder.
        path: PathBuf,
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
        /// The canvas size.
        canvas: (u32, u32),
    },
    /// The variant choices do not describe a token of this model.
    #[error("invalid token: {0}")]
    Token(String),
    /// No legendary has this index.
    #[error("no legendary number {0}")]
    NoLegendary(usize),
    /// The PNG encoder failed.
    #[error("cannot encode PNG: {0}")]
    Encode(String),
}

/// One art file of a variant, placed in the drawing order.
#[derive(Clone, Copy, Debug)]
struct Part {
    /// `(depth, trait index, file index)`: see the module docs.
    order: (usize, usize, usize),
    /// Index in [`Renderer::layers`].
    layer: usize,
}

/// Composites tokens of one model; built once per run. `Sync`: render tokens
/// from many threads at once.
#[derive(Debug)]
pub struct Renderer {
    canvas: (u32, u32),
    /// `parts[trait][variant]`: the files that variant draws (its own art).
    parts: Vec<Vec<Vec<Part>>>,
    /// The files a variant draws from conditional art, by trait, variant and source.
    conditional_parts: std::collections::HashMap<(usize, usize, ArtSource), Vec<Part>>,
    /// Which art a token's variant draws.
    conditional: ConditionalArt,
    layers: Vec<Layer>,
    trait_names: Vec<String>,
    /// Project folder.
    root: PathBuf,
    /// Each legendary's image, relative to the project folder.
    legendaries: Vec<PathBuf>,
    /// The layer of the `background` colour, under every generated token.
    background: Option<usize>,
}

/// What one layer is made from, before decoding.
struct LayerJob<'m> {
    trait_id: usize,
    variant: usize,
    source: ArtSource,
    file_index: usize,
    file: &'m ArtFile,
    recolour: Option<&'m crate::model::Recolour>,
    then: Option<&'m crate::model::Recolour>,
    style: &'m LayerStyle,
}

impl Renderer {
    /// Decodes and prepares every layer `model` needs. Art paths are relative
    /// to `project_root` (the `.drop` file's folder).
    pub fn new(model: &Model, project_root: &Path) -> Result<Renderer, RenderError> {
        let canvas = model.settings.canvas;
        let mut jobs = Vec::new();
        // Every variant's own art, then every conditional art it may draw.
        let mut sources: Vec<(usize, usize, ArtSource)> = Vec::new();
        for (trait_id, t) in model.traits.iter().enumerate() {
            if t.kind == TraitKind::MetadataOnly {
                continue;
            }
            sources.extend((0..t.variants.len()).map(|v| (trait_id, v, ArtSource::Own)));
        }
        for (rule, w) in model.whens.iter().enumerate() {
            for (art, line) in w.art.iter().enumerate() {
                let t = &model.traits[line.trait_id];
                if t.kind == TraitKind::MetadataOnly {
                    continue;
                }
                let source = ArtSource::When { rule, art };
                match line.change {
                    ArtChange::Variant { index, .. } => sources.push((line.trait_id, index, source)),
                    ArtChange::Trait(_) => sources.extend((0..t.variants.len()).map(|v| (line.trait_id, v, source))),
                }
            }
        }
        for (trait_id, variant, source) in sources {
            let id = VariantId { trait_id, index: variant };
            let Ok(drawn) = model.drawn_from(id, source) else {
                return Err(RenderError::Token(format!(
                    "`{}` is derived from a variant without art",
                    model.variant_name(id)
                )));
            };
            for (file_index, file) in drawn.files.iter().enumerate() {
                let (recolour, then, style) = (drawn.recolour, drawn.then, drawn.style);
                jobs.push(LayerJob { trait_id, variant, source, file_index, file, recolour, then, style });
            }
        }

        // Decode each file once, in parallel, and build its layers right away,
        // so that only the files being worked on are held decoded (not all at
        // once next to the layers). Report the first failure in path order.
        let mut by_path: BTreeMap<&Path, Vec<usize>> = BTreeMap::new();
        for (i, job) in jobs.iter().enumerate() {
            by_path.entry(job.file.path.as_path()).or_default().push(i);
        }
        let by_path: Vec<(&Path, Vec<usize>)> = by_path.into_iter().collect();
        let built: Vec<Result<Vec<(usize, Layer)>, RenderError>> = by_path
            .par_iter()
            .map(|(path, uses)| {
                let source = decode_art(&inside(project_root, path)?, path)?;
                Ok(uses.iter().map(|&i| (i, Self::layer(&jobs[i], &source, canvas))).collect())
            })
            .collect();
        let mut layers: Vec<Option<Layer>> = vec![None; jobs.len()];
        for result in built {
            for (i, layer) in result? {
                layers[i] = Some(layer);
            }
        }
        let layers: Vec<Layer> = layers
            .into_iter()
            .collect::<Option<_>>()
            .ok_or_else(|| RenderError::Token("an art file was not prepared".into()))?;

        let mut parts: Vec<Vec<Vec<Part>>> = model.traits.iter().map(|t| vec![Vec::new(); t.variants.len()]).collect();
        let mut conditional_parts: std::collections::HashMap<(usize, usize, ArtSource), Vec<Part>> =
            std::collections::HashMap::new();
        for (layer, job) in jobs.iter().enumerate() {
            let depth = match job.file.placement() {
                None => 3 * job.trait_id + 1,
                Some((Side::Below, other)) => 3 * other,
                Some((Side::Above, other)) => 3 * other + 2,
            };
            let part = Part { order: (depth, job.trait_id, job.file_index), layer };
            match job.source {
                ArtSource::Own => parts[job.trait_id][job.variant].push(part),
                source => conditional_parts.entry((job.trait_id, job.variant, source)).or_default().push(part),
            }
        }

        let mut layers = layers;
        let background = model.settings.background.map(|colour| {
            let fill: Vec<u8> = (0..u64::from(canvas.0) * u64::from(canvas.1)).flat_map(|_| colour).collect();
            layers.push(Layer::new(&fill, canvas.0, canvas.1, (0, 0), canvas, crate::model::BlendMode::Normal));
            layers.len() - 1
        });

        Ok(Renderer {
            canvas,
            parts,
            conditional_parts,
            conditional: ConditionalArt::new(model),
            layers,
            background,
            trait_names: model.traits.iter().map(|t| t.name.clone()).collect(),
            root: project_root.to_path_buf(),
            legendaries: model.legendaries.iter().map(|l| l.image.clone()).collect(),
        })
    }

    /// The layer of `job` from its decoded file: recoloured, opacity folded
    /// into alpha, placed and cropped.
    fn layer(job: &LayerJob<'_>, source: &crate::png::Decoded, canvas: (u32, u32)) -> Layer {
        let style = job.style;
        let opacity = f64::from(style.opacity).clamp(0.0, 1.0);
        let build = |rgba: &[u8]| Layer::new(rgba, source.width, source.height, style.offset, canvas, style.blend);
        if job.recolour.is_none() && job.then.is_none() && opacity >= 1.0 {
            return build(&source.rgba);
        }
        let mut rgba = source.rgba.clone();
        for r in job.recolour.into_iter().chain(job.then) {
            crate::model::recolour::recolour(&mut rgba, r);
        }
        if opacity < 1.0 {
            let table: Vec<u8> = (0..=255u8).map(|a| (f64::from(a) * opacity).round() as u8).collect();
            rgba.chunks_exact_mut(4).for_each(|p| p[3] = table[usize::from(p[3])]);
        }
        build(&rgba)
    }

    /// The canvas size.
    pub fn canvas(&self) -> (u32, u32) {
        self.canvas
    }

    /// Bytes of pixel data held by the prepared layers.
    pub fn layer_bytes(&self) -> usize {
        self.layers.iter().map(Layer::bytes).sum()
    }

    /// The prepared layers the token `variants` draws (see
    /// [`Renderer::render`]), bottom first, as indices into this renderer's
    /// layers. Tokens rendered one after another on one thread in the order
    /// of these keys share their lower layers, whose pixels are then still
    /// in cache: `dropc run` renders in that order.
    pub fn draw_order(&self, variants: &[usize]) -> Result<Vec<usize>, RenderError> {
        if variants.len() != self.parts.len() {
            return Err(RenderError::Token(format!(
                "{} variants given for {} traits",
                variants.len(),
                self.parts.len()
            )));
        }
        let mut parts: Vec<Part> = Vec::with_capacity(variants.len() + 4);
        for (t, &v) in variants.iter().enumerate() {
            let Some(own) = self.parts[t].get(v) else {
                return Err(RenderError::Token(format!("trait `{}` has no variant number {v}", self.trait_names[t])));
            };
            let source = if self.conditional.touches(t) {
                self.conditional.source(|x| variants[x], VariantId { trait_id: t, index: v })
            } else {
                ArtSource::Own
            };
            match source {
                ArtSource::Own => parts.extend_from_slice(own),
                source => {
                    parts.extend_from_slice(self.conditional_parts.get(&(t, v, source)).map_or(&[][..], Vec::as_slice))
                }
            }
        }
        parts.sort_by_key(|p| p.order);
        Ok(self.background.into_iter().chain(parts.into_iter().map(|p| p.layer)).collect())
    }

    /// Composites the token whose variant of trait `t` is `variants[t]`
    /// (an index into that trait's variants), at canvas size.
    pub fn render(&self, variants: &[usize]) -> Result<Image, RenderError> {
        let mut image = Image::new(0, 0);
        self.render_into(variants, &mut image)?;
        Ok(image)
    }

    /// [`Renderer::render`] into `image`, reusing its allocation (resized to
    /// the canvas): a thread rendering many tokens allocates once.
    pub fn render_into(&self, variants: &[usize], image: &mut Image) -> Result<(), RenderError> {
        let order = self.draw_order(variants)?;
        let (w, h) = self.canvas;
        let len = w as usize * h as usize * 4;
        let mut canvas = std::mem::take(image).into_raw();
        canvas.resize(len, 0);
        let layers: Vec<&Layer> = order.iter().map(|&l| &self.layers[l]).filter(|l| l.height > 0).collect();
        SCRATCH.with_borrow_mut(|scratch| layer::composite(&layers, &mut canvas, w, scratch));
        *image = Image::from_raw(w, h, canvas).ok_or_else(|| RenderError::Token("canvas size overflow".into()))?;
        Ok(())
    }

    /// The image of legendary number `index` (in [`Model::legendaries`] order).
    pub fn render_legendary(&self, index: usize) -> Result<Image, RenderError> {
        let path = self.legendaries.get(index).ok_or(RenderError::NoLegendary(index))?;
        let decoded = decode_art(&inside(&self.root, path)?, path)?;
        if (decoded.width, decoded.height) != self.canvas {
            return Err(RenderError::LegendarySize {
                path: path.clone(),
                width: decoded.width,
                height: decoded.height,
                canvas: self.canvas,
            });
        }
        Image::from_raw(decoded.width, decoded.height, decoded.rgba)
            .ok_or_else(|| RenderError::Encode("decoded image has the wrong length".into()))
    }
}

/// Decodes the art file at `full` (reported as `shown`).
fn decode_art(full: &Path, shown: &Path) -> Result<crate::png::Decoded, RenderError> {
    crate::png::decode_file(full).map_err(|reason| RenderError::Art { path: shown.to_path_buf(), reason })
}

/// The art file `root/path`, its links resolved; art whose links leave the
/// project folder is refused, never opened.
fn inside(root: &Path, path: &Path) -> Result<PathBuf, RenderError> {
    crate::model::paths::resolve_inside(root, path).map_err(|o| RenderError::Art {
        path: path.to_path_buf(),
        reason: format!("is a link to `{}`, outside the project folder", o.target.display()),
    })
}
