//! The occlusion relation's data: which looks (a variant's own art, or the
//! art a `when` block gives it) draw nothing, which hide which, which draw
//! the same art. `check` computes it from the art
//! (`check::visibility`, whose documentation defines the terms); sampling
//! (`unique visually`) and `qa` read it.

use std::path::PathBuf;

use rayon::prelude::*;

use std::collections::HashMap;

use super::{ArtSource, ConditionalArt, Look, Model, TraitId, VariantId};

/// A set of canvas pixels within a bounding box.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mask {
    /// Left edge of the box on the canvas.
    pub x: u32,
    /// Top edge of the box on the canvas.
    pub y: u32,
    /// Width of the box.
    pub width: u32,
    /// Height of the box.
    pub height: u32,
    /// Number of pixels in the set.
    pub count: u64,
    /// One bit per pixel of the box, row by row, each row `⌈width / 64⌉` words.
    bits: Vec<u64>,
}

impl Mask {
    /// The pixels `(x, y)` of a `canvas` for which `inside(x, y)` holds.
    pub(crate) fn from_fn(canvas: (u32, u32), bbox: (u32, u32, u32, u32), inside: impl Fn(u32, u32) -> bool) -> Mask {
        let (x0, y0, x1, y1) = bbox;
        if x0 >= x1 || y0 >= y1 || x1 > canvas.0 || y1 > canvas.1 {
            return Mask::default();
        }
        let (width, height) = (x1 - x0, y1 - y0);
        let stride = width.div_ceil(64) as usize;
        let mut bits = vec![0u64; stride * height as usize];
        let mut count = 0;
        for dy in 0..height {
            for dx in 0..width {
                if inside(x0 + dx, y0 + dy) {
                    bits[dy as usize * stride + dx as usize / 64] |= 1 << (dx % 64);
                    count += 1;
                }
            }
        }
        Mask { x: x0, y: y0, width, height, count, bits }
    }

    /// Whether canvas pixel `(x, y)` is in the set.
    pub fn contains(&self, x: u32, y: u32) -> bool {
        if x < self.x || y < self.y || x >= self.x + self.width || y >= self.y + self.height {
            return false;
        }
        let (dx, dy) = (x - self.x, y - self.y);
        let stride = self.width.div_ceil(64) as usize;
        self.bits[dy as usize * stride + dx as usize / 64] >> (dx % 64) & 1 == 1
    }

    /// Every pixel of the set, row by row.
    pub fn pixels(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let stride = self.width.div_ceil(64) as usize;
        (0..self.height).flat_map(move |dy| {
            (0..self.width)
                .filter(move |&dx| self.bits[dy as usize * stride + dx as usize / 64] >> (dx % 64) & 1 == 1)
                .map(move |dx| (self.x + dx, self.y + dy))
        })
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// One art file of one variant as it lands on the canvas.
#[derive(Clone, Debug)]
pub struct LayerMask {
    /// The file, relative to the project folder.
    pub path: PathBuf,
    /// Drawing order `(depth, trait, file index)`, as the renderer draws.
    pub order: (usize, usize, usize),
    /// Pixels of the file that are not fully transparent (after opacity), on or off the canvas.
    pub content: u64,
    /// The canvas pixels it changes: alpha above 0 after opacity.
    pub visible: Mask,
    /// The canvas pixels it paints fully opaque with blend `normal` (empty for other modes).
    pub opaque: Mask,
}

impl LayerMask {
    /// Pixels with content that an offset puts outside the canvas.
    pub fn off_canvas(&self) -> u64 {
        self.content.saturating_sub(self.visible.count)
    }

    /// Whether it paints every pixel of the canvas opaque.
    pub fn covers_canvas(&self, canvas: (u32, u32)) -> bool {
        self.opaque.count == u64::from(canvas.0) * u64::from(canvas.1)
    }
}

/// One look of a trait ([`crate::model::ConditionalArt::looks`]): look `i`
/// below the trait's number of variants is variant `i`'s own art, the others
/// are conditional art.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LookId {
    /// The trait.
    pub trait_id: TraitId,
    /// The look's index among the trait's looks.
    pub look: usize,
}

impl From<VariantId> for LookId {
    /// A variant's own art.
    fn from(v: VariantId) -> LookId {
        LookId { trait_id: v.trait_id, look: v.index }
    }
}

/// The occlusion relation of a model's looks (see the module docs): each
/// variant's own art, and each art a `when` block gives it.
#[derive(Clone, Debug, Default)]
pub struct Visibility {
    /// `layers[trait][look]`: the look's art files on the canvas (look `i`
    /// below the number of variants: variant `i`'s own art).
    pub layers: Vec<Vec<Vec<LayerMask>>>,
    /// `blank[trait][look]`.
    blank: Vec<Vec<bool>>,
    /// `covered_by[trait][look]`: the looks that cover it, in order.
    covered_by: Vec<Vec<Vec<LookId>>>,
    /// `same[trait][look]`: the first look of the trait whose art is
    /// identical ([`IdenticalArt`]); empty when not known.
    same: Vec<Vec<usize>>,
    /// `looks[trait]`: what each look is; empty when every look is a
    /// variant's own art.
    looks: Vec<Vec<Look>>,
    /// Per trait, the index of each conditional look.
    index: Vec<HashMap<Look, usize>>,
    /// Which art a variant draws in a token.
    conditional: ConditionalArt,
}

impl Visibility {
    /// The relation from each look's layers (`layers[trait][look]`; without
    /// [`Visibility::with_looks`], look `i` is variant `i`).
    pub fn from_layers(layers: Vec<Vec<Vec<LayerMask>>>) -> Visibility {
        let blank: Vec<Vec<bool>> =
            layers.iter().map(|t| t.iter().map(|v| v.iter().all(|l| l.visible.is_empty())).collect()).collect();
        let ids: Vec<LookId> = layers
            .iter()
            .enumerate()
            .flat_map(|(trait_id, t)| (0..t.len()).map(move |look| LookId { trait_id, look }))
            .collect();
        let covered_by: Vec<Vec<Vec<LookId>>> = layers
            .iter()
            .enumerate()
            .map(|(lt, t)| {
                t.par_iter()
                    .enumerate()
                    .map(|(li, lower)| {
                        if blank[lt][li] {
                            return Vec::new();
                        }
                        ids.iter()
                            .filter(|u| u.trait_id != lt && covers(&layers[u.trait_id][u.look], lower))
                            .copied()
                            .collect()
                    })
                    .collect()
            })
            .collect();
        Visibility { layers, blank, covered_by, ..Visibility::default() }
    }

    /// The relation of `model`, whose layers were made for the looks of
    /// [`crate::model::ConditionalArt::looks`] (as `check` makes them).
    pub fn with_looks(mut self, model: &Model) -> Visibility {
        let conditional = ConditionalArt::new(model);
        if conditional.is_empty() {
            return self;
        }
        self.looks = model.traits.iter().enumerate().map(|(t, tr)| conditional.looks(t, tr.variants.len())).collect();
        self.index = self
            .looks
            .iter()
            .map(|looks| {
                looks.iter().enumerate().filter(|(_, l)| l.source != ArtSource::Own).map(|(i, l)| (*l, i)).collect()
            })
            .collect();
        self.conditional = conditional;
        self
    }

    /// The relation where looks with identical art ([`IdenticalArt`])
    /// count as one: the visual key shows the first of them.
    pub fn with_identical(mut self, identical: &IdenticalArt) -> Visibility {
        self.same.clone_from(if identical.looks.is_empty() { &identical.first } else { &identical.looks });
        self
    }

    /// The first look of `l`'s trait that draws exactly what `l` draws.
    pub fn same_as(&self, l: impl Into<LookId>) -> usize {
        let l = l.into();
        self.same.get(l.trait_id).and_then(|t| t.get(l.look)).copied().unwrap_or(l.look)
    }

    /// Whether look `l` draws no visible pixel on the canvas.
    pub fn is_blank(&self, l: impl Into<LookId>) -> bool {
        let l = l.into();
        self.blank.get(l.trait_id).and_then(|t| t.get(l.look)).copied().unwrap_or(true)
    }

    /// The looks that cover `l` (none when `l` is blank).
    pub fn covered_by(&self, l: impl Into<LookId>) -> &[LookId] {
        let l = l.into();
        self.covered_by.get(l.trait_id).and_then(|t| t.get(l.look)).map_or(&[], Vec::as_slice)
    }

    /// Whether `upper` covers `lower`.
    pub fn covers(&self, upper: impl Into<LookId>, lower: impl Into<LookId>) -> bool {
        self.covered_by(lower).contains(&upper.into())
    }

    /// The number of looks of trait `t`.
    pub fn looks_len(&self, t: TraitId) -> usize {
        self.blank.get(t).map_or(0, Vec::len)
    }

    /// What look `l` is: which variant, drawing which art.
    pub fn look(&self, l: LookId) -> Look {
        self.looks
            .get(l.trait_id)
            .and_then(|t| t.get(l.look))
            .copied()
            .unwrap_or(Look { variant: l.look, source: ArtSource::Own })
    }

    /// Whether some look of trait `t` is conditional art.
    pub fn has_conditional(&self, t: TraitId) -> bool {
        self.conditional.touches(t)
    }

    /// The look variant `variant` of trait `t` draws in the token whose
    /// variant of trait `u` is `variant_of(u)` ([`ConditionalArt::source`]).
    pub fn look_in(&self, t: TraitId, variant: usize, variant_of: impl Fn(TraitId) -> usize) -> usize {
        if !self.conditional.touches(t) {
            return variant;
        }
        match self.conditional.source(variant_of, VariantId { trait_id: t, index: variant }) {
            ArtSource::Own => variant,
            source => self.index.get(t).and_then(|m| m.get(&Look { variant, source })).copied().unwrap_or(variant),
        }
    }

    /// The looks of a token on `traits` (trait ids, increasing) whose variant
    /// of `traits[i]` is `values[i]`; a `when` whose condition trait is not
    /// among `traits` is taken not to hold.
    pub fn looks_of(&self, traits: &[TraitId], values: &[u32], out: &mut Vec<u32>) {
        out.clear();
        let variant_of = |u: TraitId| {
            traits.binary_search(&u).ok().and_then(|pos| values.get(pos)).map_or(usize::MAX, |&v| v as usize)
        };
        for (&t, &v) in traits.iter().zip(values) {
            out.push(self.look_in(t, v as usize, variant_of) as u32);
        }
    }

    /// The visual key of a token on `traits` (trait ids, increasing), whose
    /// variant of `traits[i]` is `values[i]`: per trait, the look its
    /// variant draws there (the first look with identical art, see
    /// [`Visibility::same_as`]), or the trait's number of looks ("nothing")
    /// when that look is blank or covered by the look of another trait in
    /// `traits`. Conditional art is resolved on `traits` ([`Visibility::looks_of`]).
    pub fn key(&self, traits: &[TraitId], values: &[u32], out: &mut Vec<u32>) {
        self.looks_of(traits, values, out);
        let n = out.len();
        for i in 0..n {
            let id = LookId { trait_id: traits[i], look: out[i] as usize };
            let hidden = self.is_blank(id)
                || self
                    .covered_by(id)
                    .iter()
                    .any(|u| traits.binary_search(&u.trait_id).is_ok_and(|pos| out[pos] as usize == u.look));
            let nothing = self.looks_len(id.trait_id) as u32;
            let entry = if hidden { nothing } else { self.same_as(id) as u32 };
            out.push(entry);
        }
        out.drain(..n);
    }
}

/// Whether the layers of an upper variant hide every visible pixel of the
/// layers of a lower one (each under an opaque pixel drawn after it).
pub(crate) fn covers(upper: &[LayerMask], lower: &[LayerMask]) -> bool {
    lower.iter().all(|l| {
        if l.visible.is_empty() {
            return true;
        }
        let later: Vec<&Mask> =
            upper.iter().filter(|u| u.order > l.order && !u.opaque.is_empty()).map(|u| &u.opaque).collect();
        if later.is_empty() {
            return false;
        }
        // Quick refusal: the opaque boxes together must span the visible box.
        let v = &l.visible;
        let (x0, y0) = (later.iter().map(|m| m.x).min(), later.iter().map(|m| m.y).min());
        let (x1, y1) = (later.iter().map(|m| m.x + m.width).max(), later.iter().map(|m| m.y + m.height).max());
        if x0 > Some(v.x) || y0 > Some(v.y) || x1 < Some(v.x + v.width) || y1 < Some(v.y + v.height) {
            return false;
        }
        v.pixels().all(|(x, y)| later.iter().any(|m| m.contains(x, y)))
    })
}

/// Which variants of each trait draw exactly the same pixels as an earlier
/// variant of the same trait: the same art files (or files with identical
/// pixels) at the same depths, with the same blend, opacity, offset and
/// recolouring.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdenticalArt {
    /// `first[trait][variant]`: the first variant of the trait whose art is
    /// identical to this one's (the variant itself when there is none, and
    /// for variants without art); empty when no two variants share their
    /// art ([`IdenticalArt::none`]).
    pub first: Vec<Vec<usize>>,
    /// `looks[trait][look]`: the same over every look of the trait
    /// ([`crate::model::ConditionalArt::looks`]: each variant's own art, then
    /// conditional art), so that conditional art identical to a variant's
    /// own shows as that variant; empty when only `first` is known.
    pub looks: Vec<Vec<usize>>,
}

impl IdenticalArt {
    /// No two variants share their art, said with empty lists (a list of
    /// every variant of a large file would be 8 bytes a variant).
    pub fn none() -> IdenticalArt {
        IdenticalArt::default()
    }

    /// No two variants share their art so far, every variant listed as its
    /// own first, for the art checks to fill in.
    pub fn each_its_own(model: &Model) -> IdenticalArt {
        IdenticalArt {
            first: model.traits.iter().map(|t| (0..t.variants.len()).collect()).collect(),
            looks: Vec::new(),
        }
    }

    /// Whether some variant draws what another draws.
    pub fn any(&self) -> bool {
        self.first.iter().any(|t| t.iter().enumerate().any(|(i, &f)| f != i))
    }
}
