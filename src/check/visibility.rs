//! Which variants can be seen: the occlusion relation between variants,
//! computed from the alpha of their art.
//!
//! Two tokens that differ only in a variant nobody can see render to the same
//! image: `Eyes.Laser` under an opaque `Head.Helmet` that covers every one of
//! its pixels looks exactly like `Eyes.Normal` under it. This module computes,
//! once per collection, what is needed to tell:
//!
//! * a variant is **blank** when it draws no visible pixel on the canvas: no
//!   art (`none`, a metadata-only trait), art that is fully transparent, an
//!   opacity of 0, or art whose offset puts all of it off the canvas;
//! * a variant `U` **covers** a variant `L` of another trait when every
//!   visible pixel of every art file of `L` lies under a fully opaque pixel
//!   (alpha 255 after opacity, blend `normal`) of an art file of `U` that is
//!   drawn after that file of `L` (in the renderer's order: depth from
//!   `below`/`above`, then trait order, then file order; see `render`).
//!
//! What an opaque `normal` pixel is drawn over never shows, whatever is
//! drawn later, so a covered variant changes no pixel of any token in which
//! its coverer is present, and a blank variant changes no pixel anywhere.
//! * two variants of a trait are **the same** when they draw identical art
//!   (the same files, or files with identical pixels, with the same options;
//!   found by `check`'s art pass, [`IdenticalArt`]).
//!
//! All three are said of **looks**, not variants: a look is one way a
//! variant can be drawn, its own art or the art a `when` block gives it
//! ([`ConditionalArt::looks`]; look `i` below the number of variants is
//! variant `i`'s own art). Which look a variant draws in a token depends on
//! the token's variants of the `when` conditions
//! ([`Visibility::look_in`]).
//!
//! Hence the **visual key** of a token on traits `T` (what `unique visually`
//! compares, [`Visibility::key`]): per trait of `T`, the look its variant
//! draws (the first of the looks that are the same as it), or "nothing" when
//! that look is blank or covered by the look of another trait of `T`.
//! Tokens with equal keys on all drawn traits render identically.
//!
//! Only pairwise covers are found: a variant hidden by the *union* of two
//! others (a helmet's left half and a visor's right half), or two variants
//! whose art differs only where it is covered, are not recognised (their
//! tokens count as different). Semi-transparent coverers, and coverers with
//! another blend mode, never hide anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::art::{ArtProblem, ArtStore};
use crate::model::{
    BlendMode, ConditionalArt, LayerMask, LayerStyle, Look, Mask, Model, Recolour, Side, TraitId, TraitKind, VariantId,
    Visibility,
};
use crate::png::Decoded;

/// What one layer is made from.
struct Job<'m> {
    trait_id: TraitId,
    look: usize,
    file_index: usize,
    path: &'m Path,
    placement: Option<(Side, TraitId)>,
    recolours: Vec<&'m Recolour>,
    style: &'m LayerStyle,
}

impl Visibility {
    /// Computes the relation for `model`, decoding each art file once through
    /// `store`; on failure, every file that could not be decoded.
    pub fn compute(model: &Model, store: &dyn ArtStore) -> Result<Visibility, Vec<(PathBuf, ArtProblem)>> {
        let (layers, failures) = Visibility::layers(model, store);
        if failures.is_empty() { Ok(Visibility::from_layers(layers).with_looks(model)) } else { Err(failures) }
    }

    /// The layers of every look (`[trait][look]`, the looks of
    /// [`ConditionalArt::looks`]: each variant's own art first, then
    /// conditional art; each art file decoded once through `store`), and
    /// the files that could not be decoded (left out of the layers).
    #[allow(clippy::type_complexity)]
    pub fn layers(model: &Model, store: &dyn ArtStore) -> (Vec<Vec<Vec<LayerMask>>>, Vec<(PathBuf, ArtProblem)>) {
        let conditional = ConditionalArt::new(model);
        let looks: Vec<Vec<Look>> =
            model.traits.iter().enumerate().map(|(t, tr)| conditional.looks(t, tr.variants.len())).collect();
        let mut jobs = Vec::new();
        for (trait_id, t) in model.traits.iter().enumerate() {
            if t.kind == TraitKind::MetadataOnly {
                continue;
            }
            for (look, l) in looks[trait_id].iter().enumerate() {
                let Ok(drawn) = model.drawn_from(VariantId { trait_id, index: l.variant }, l.source) else { continue };
                let recolours: Vec<&Recolour> = drawn.recolour.into_iter().chain(drawn.then).collect();
                for (file_index, f) in drawn.files.iter().enumerate() {
                    jobs.push(Job {
                        trait_id,
                        look,
                        file_index,
                        path: &f.path,
                        placement: f.placement(),
                        recolours: recolours.clone(),
                        style: drawn.style,
                    });
                }
            }
        }
        let paths: Vec<&Path> = {
            let mut p: Vec<&Path> = jobs.iter().map(|j| j.path).collect();
            p.sort();
            p.dedup();
            p
        };
        // Each file is decoded, made into the mask of every layer drawn from
        // it, and dropped: memory holds the masks (two bits per canvas pixel
        // of a layer's box) and one decoded file per thread, never every
        // file at once (110 layers of 1720 x 1445 decoded together took
        // 1.1 GB).
        let mut uses: BTreeMap<&Path, Vec<usize>> = BTreeMap::new();
        for (j, job) in jobs.iter().enumerate() {
            uses.entry(job.path).or_default().push(j);
        }
        let canvas = model.settings.canvas;
        let jobs = &jobs;
        let made: Vec<Result<Vec<(usize, LayerMask)>, (PathBuf, ArtProblem)>> = paths
            .par_iter()
            .map(|p| {
                let image = store.pixels(p).map_err(|e| (p.to_path_buf(), e))?;
                let masks =
                    uses.get(p).into_iter().flatten().map(|&j| (j, job_mask(&jobs[j], &image, canvas))).collect();
                Ok(masks)
            })
            .collect();
        let mut failures = Vec::new();
        let mut masks: Vec<(usize, LayerMask)> = Vec::with_capacity(jobs.len());
        for m in made {
            match m {
                Ok(m) => masks.extend(m),
                Err(failure) => failures.push(failure),
            }
        }
        // Job order: each variant's files in their order.
        masks.sort_by_key(|(j, _)| *j);
        let mut layers: Vec<Vec<Vec<LayerMask>>> = looks.iter().map(|l| vec![Vec::new(); l.len()]).collect();
        for (j, mask) in masks {
            let job = &jobs[j];
            layers[job.trait_id][job.look].push(mask);
        }
        (layers, failures)
    }
}

/// The mask of one layer, drawn from its decoded file `image`.
fn job_mask(job: &Job<'_>, image: &Decoded, canvas: (u32, u32)) -> LayerMask {
    let style = job.style;
    let depth = match job.placement {
        None => 3 * job.trait_id + 1,
        Some((Side::Below, other)) => 3 * other,
        Some((Side::Above, other)) => 3 * other + 2,
    };
    let recoloured;
    // Only a palette changes alpha.
    let rgba: &[u8] = if job.recolours.iter().any(|r| matches!(r, Recolour::Palette(_))) {
        let mut copy = image.rgba.clone();
        for r in &job.recolours {
            crate::model::recolour::recolour(&mut copy, r);
        }
        recoloured = copy;
        &recoloured
    } else {
        &image.rgba
    };
    layer_mask(
        job.path,
        (depth, job.trait_id, job.file_index),
        rgba,
        (image.width, image.height),
        style.offset,
        style.opacity,
        style.blend,
        canvas,
    )
}

/// The masks of one art file: straight RGBA of `size`, placed at `offset`,
/// with `opacity` folded into its alpha as the renderer does.
#[allow(clippy::too_many_arguments)]
pub fn layer_mask(
    path: &Path,
    order: (usize, usize, usize),
    rgba: &[u8],
    size: (u32, u32),
    offset: (i32, i32),
    opacity: f32,
    blend: BlendMode,
    canvas: (u32, u32),
) -> LayerMask {
    if rgba.len() as u64 != u64::from(size.0) * u64::from(size.1) * 4 {
        // Not a whole image (a store that lies about its pixels): nothing to see.
        return LayerMask {
            path: path.to_path_buf(),
            order,
            content: 0,
            visible: Mask::default(),
            opaque: Mask::default(),
        };
    }
    let opacity = f64::from(opacity).clamp(0.0, 1.0);
    let table: Vec<u8> = (0..=255u8).map(|a| (f64::from(a) * opacity).round() as u8).collect();
    let (w, h) = (i64::from(size.0), i64::from(size.1));
    let alpha = |x: i64, y: i64| table[usize::from(rgba[((y * w + x) * 4 + 3) as usize])];
    let content = rgba.chunks_exact(4).filter(|p| table[usize::from(p[3])] > 0).count() as u64;
    let (ox, oy) = (i64::from(offset.0), i64::from(offset.1));
    // The part of the image on the canvas, in canvas coordinates.
    let x0 = ox.clamp(0, i64::from(canvas.0));
    let y0 = oy.clamp(0, i64::from(canvas.1));
    let x1 = (ox + w).clamp(x0, i64::from(canvas.0));
    let y1 = (oy + h).clamp(y0, i64::from(canvas.1));
    let bbox = (x0 as u32, y0 as u32, x1 as u32, y1 as u32);
    let at = |x: u32, y: u32| alpha(i64::from(x) - ox, i64::from(y) - oy);
    let visible = shrink(Mask::from_fn(canvas, bbox, |x, y| at(x, y) > 0), canvas);
    let opaque = if blend == BlendMode::Normal {
        shrink(
            Mask::from_fn(
                canvas,
                (visible.x, visible.y, visible.x + visible.width, visible.y + visible.height),
                |x, y| at(x, y) == 255,
            ),
            canvas,
        )
    } else {
        Mask::default()
    };
    LayerMask { path: path.to_path_buf(), order, content, visible, opaque }
}

/// The same set in its smallest bounding box.
fn shrink(mask: Mask, canvas: (u32, u32)) -> Mask {
    if mask.is_empty() {
        return Mask::default();
    }
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y) in mask.pixels() {
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x + 1);
        y1 = y1.max(y + 1);
    }
    if (x0, y0, x1 - x0, y1 - y0) == (mask.x, mask.y, mask.width, mask.height) {
        return mask;
    }
    Mask::from_fn(canvas, (x0, y0, x1, y1), |x, y| mask.contains(x, y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::visibility::covers;

    fn square(canvas: u32, x0: u32, y0: u32, side: u32, alpha: u8) -> Vec<u8> {
        let mut rgba = vec![0u8; (canvas * canvas * 4) as usize];
        for y in y0..y0 + side {
            for x in x0..x0 + side {
                rgba[((y * canvas + x) * 4 + 3) as usize] = alpha;
            }
        }
        rgba
    }

    fn mask(order: usize, rgba: &[u8], opacity: f32) -> LayerMask {
        layer_mask(Path::new("x.png"), (order, 0, 0), rgba, (8, 8), (0, 0), opacity, BlendMode::Normal, (8, 8))
    }

    #[test]
    fn an_opaque_square_covers_a_smaller_one_below_it_only() {
        let eyes = [mask(1, &square(8, 3, 3, 2, 255), 1.0)];
        let helmet = mask(4, &square(8, 2, 2, 4, 255), 1.0);
        assert!(covers(std::slice::from_ref(&helmet), &eyes));
        // Drawn first, the helmet hides nothing.
        let below = LayerMask { order: (0, 0, 0), ..helmet.clone() };
        assert!(!covers(&[below], &eyes));
        // Half transparent, or at 99 % opacity, it hides nothing either.
        assert!(!covers(&[mask(4, &square(8, 2, 2, 4, 254), 1.0)], &eyes));
        assert!(!covers(&[mask(4, &square(8, 2, 2, 4, 255), 0.99)], &eyes));
        // A larger lower square is not covered.
        assert!(!covers(&[helmet], &[mask(1, &square(8, 1, 1, 6, 255), 1.0)]));
    }

    #[test]
    fn masks_clip_to_the_canvas_and_count_what_falls_off() {
        let rgba = square(8, 0, 0, 4, 255);
        let m = layer_mask(Path::new("x.png"), (1, 0, 0), &rgba, (8, 8), (6, 6), 1.0, BlendMode::Normal, (8, 8));
        assert_eq!((m.content, m.visible.count, m.off_canvas()), (16, 4, 12));
        assert_eq!((m.visible.x, m.visible.y, m.visible.width, m.visible.height), (6, 6, 2, 2));
        let gone = layer_mask(Path::new("x.png"), (1, 0, 0), &rgba, (8, 8), (-8, 0), 1.0, BlendMode::Normal, (8, 8));
        assert!(gone.visible.is_empty());
        let full = layer_mask(
            Path::new("x.png"),
            (1, 0, 0),
            &square(8, 0, 0, 8, 255),
            (8, 8),
            (0, 0),
            1.0,
            BlendMode::Multiply,
            (8, 8),
        );
        assert!(full.opaque.is_empty() && !full.covers_canvas((8, 8)));
    }

    #[test]
    fn the_key_hides_covered_and_blank_variants() {
        let eyes = vec![vec![mask(1, &square(8, 3, 3, 2, 255), 1.0)], vec![mask(1, &square(8, 3, 3, 1, 255), 1.0)]];
        let head = vec![vec![], vec![mask(4, &square(8, 2, 2, 4, 255), 1.0)]];
        let v = Visibility::from_layers(vec![eyes, head]);
        assert!(v.covers(VariantId { trait_id: 1, index: 1 }, VariantId { trait_id: 0, index: 0 }));
        assert!(v.is_blank(VariantId { trait_id: 1, index: 0 }));
        let mut key = Vec::new();
        v.key(&[0, 1], &[0, 1], &mut key);
        assert_eq!(key, [2, 1]);
        v.key(&[0, 1], &[1, 1], &mut key);
        assert_eq!(key, [2, 1], "both eyes vanish under the helmet");
        v.key(&[0, 1], &[1, 0], &mut key);
        assert_eq!(key, [1, 2], "no helmet: the eyes show, `none` does not");
        v.key(&[0], &[1], &mut key);
        assert_eq!(key, [1], "the helmet is not among the traits");
    }
}
