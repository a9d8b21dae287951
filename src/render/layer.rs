//! Layers ready to draw: cropped, placed, with opacity folded in, and
//! described row by row as runs so that compositing touches only the pixels
//! that change something.
//!
//! A layer keeps only the part of its non-transparent pixels that falls on
//! the canvas (offsets are applied and clipped once, at load). Each row is
//! split into runs: fully transparent stretches are dropped, long fully
//! opaque stretches are copied, the rest is blended. Short opaque or
//! transparent gaps (under 16 pixels, `MIN_RUN`) are folded into the
//! surrounding blended run: a copy or a skip costs more than it saves below
//! that length. Only the pixels of runs are stored, packed run after run and
//! row after row: less memory than the bounding box, and what one token
//! reads lies close together.
//!
//! [`composite`] draws a stack of layers row by row, top layer first in the
//! bookkeeping: an opaque run hides everything below it, so the parts of
//! lower layers under it are never drawn (on typical art each canvas pixel
//! is written about once instead of once per layer covering it), and each
//! canvas row is finished (its translucent stretches composited in `f32`
//! and turned into straight colour, [`blend`]) while it is in cache. The
//! pixels are exactly those of drawing every layer bottom to top: under an
//! opaque run the canvas is that run's pixel whatever was below.

use crate::model::BlendMode;

use super::blend;

/// Shortest opaque or transparent stretch kept as a run of its own.
const MIN_RUN: usize = 16;

/// A stretch of one row of a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// First pixel, relative to the layer's left edge.
    pub start: u32,
    /// Number of pixels.
    pub len: u32,
    /// Every pixel is fully opaque (and the mode is normal): copy it.
    pub copy: bool,
}

/// One art file of one variant, ready to composite.
#[derive(Clone, Debug)]
pub struct Layer {
    /// Left edge of its box on the canvas.
    pub x: u32,
    /// Top edge of its box on the canvas.
    pub y: u32,
    /// Width of the box of its non-transparent pixels on the canvas.
    pub width: u32,
    /// Height of that box.
    pub height: u32,
    /// How it combines with what is below.
    pub blend: BlendMode,
    /// Straight RGBA of every run (opacity folded into alpha), run after
    /// run, row after row.
    pixels: Vec<u8>,
    /// Runs of every row, row after row.
    runs: Vec<Run>,
    /// `row_runs[y]..row_runs[y + 1]` are the runs of row `y`.
    row_runs: Vec<u32>,
    /// `row_pixels[y]`: the index in `pixels`, in pixels, of row `y`'s first run.
    row_pixels: Vec<u32>,
}

impl Layer {
    /// Builds a layer from a whole straight-RGBA image of `width × height`
    /// whose top-left corner sits at `offset` on a `canvas`.
    pub fn new(
        rgba: &[u8],
        width: u32,
        height: u32,
        offset: (i32, i32),
        canvas: (u32, u32),
        blend: BlendMode,
    ) -> Layer {
        let (w, h) = (width as i64, height as i64);
        let (ox, oy) = (i64::from(offset.0), i64::from(offset.1));
        // The part of the image that lands on the canvas, in image coordinates.
        let x0 = (-ox).clamp(0, w);
        let x1 = (i64::from(canvas.0) - ox).clamp(x0, w);
        let y0 = (-oy).clamp(0, h);
        let y1 = (i64::from(canvas.1) - oy).clamp(y0, h);
        let alpha = |x: i64, y: i64| rgba[((y * w + x) * 4 + 3) as usize];
        // Bounding box of non-transparent pixels within it.
        let (mut bx0, mut bx1, mut by0, mut by1) = (x1, x0, y1, y0);
        for y in y0..y1 {
            let row = (x0..x1).filter(|&x| alpha(x, y) != 0);
            let mut row = row.peekable();
            if let Some(&first) = row.peek() {
                let last = (x0..x1).rev().find(|&x| alpha(x, y) != 0).unwrap_or(first);
                bx0 = bx0.min(first);
                bx1 = bx1.max(last + 1);
                by0 = by0.min(y);
                by1 = by1.max(y + 1);
            }
        }
        if bx0 >= bx1 || by0 >= by1 {
            return Layer {
                x: 0,
                y: 0,
                width: 0,
                height: 0,
                blend,
                pixels: Vec::new(),
                runs: Vec::new(),
                row_runs: vec![0],
                row_pixels: vec![0],
            };
        }
        let (kw, kh) = ((bx1 - bx0) as usize, (by1 - by0) as usize);
        let mut pixels = Vec::new();
        let mut runs = Vec::new();
        let mut row_runs = Vec::with_capacity(kh + 1);
        let mut row_pixels = Vec::with_capacity(kh + 1);
        row_runs.push(0);
        row_pixels.push(0);
        for y in by0..by1 {
            let start = ((y * w + bx0) * 4) as usize;
            let row = &rgba[start..start + kw * 4];
            let first = runs.len();
            row_into_runs(row, blend == BlendMode::Normal, &mut runs);
            for run in &runs[first..] {
                pixels.extend_from_slice(&row[run.start as usize * 4..(run.start + run.len) as usize * 4]);
            }
            row_runs.push(runs.len() as u32);
            row_pixels.push((pixels.len() / 4) as u32);
        }
        pixels.shrink_to_fit();
        runs.shrink_to_fit();
        Layer {
            x: (bx0 + ox) as u32,
            y: (by0 + oy) as u32,
            width: kw as u32,
            height: kh as u32,
            blend,
            pixels,
            runs,
            row_runs,
            row_pixels,
        }
    }

    /// Composites the layer alone onto a [`blend::Wide`] canvas `canvas_width`
    /// wide: the reference [`composite`] is tested against.
    pub fn draw(&self, canvas: &mut [blend::Wide], canvas_width: u32) {
        let stride = canvas_width as usize;
        for y in self.y..self.y + self.height {
            let Some((runs, mut at)) = self.row(y) else { continue };
            let dst_row = &mut canvas[y as usize * stride..(y as usize + 1) * stride];
            for run in runs {
                let x = (self.x + run.start) as usize;
                let dst = &mut dst_row[x..x + run.len as usize];
                let src = &self.pixels[at * 4..(at + run.len as usize) * 4];
                if run.copy {
                    dst.iter_mut().zip(src.chunks_exact(4)).for_each(|(d, s)| *d = blend::widen(s));
                } else {
                    blend::blend(self.blend, dst, src);
                }
                at += run.len as usize;
            }
        }
    }

    /// The runs of canvas row `y` and the index in `pixels` (in pixels) of
    /// the first one's first pixel, if the layer has that row.
    fn row(&self, y: u32) -> Option<(&[Run], usize)> {
        let r = y.checked_sub(self.y).filter(|&r| r < self.height)? as usize;
        let runs = &self.runs[self.row_runs[r] as usize..self.row_runs[r + 1] as usize];
        Some((runs, self.row_pixels[r] as usize))
    }

    /// Number of bytes held.
    pub fn bytes(&self) -> usize {
        self.pixels.len() + self.runs.len() * std::mem::size_of::<Run>() + self.row_runs.len() * 8
    }
}

/// A visible part of a run: canvas pixels `x0..x1` of layer number `layer`,
/// whose first pixel is `pixels[4 · at..]`.
#[derive(Clone, Copy, Debug)]
struct Piece {
    layer: u32,
    x0: u32,
    x1: u32,
    at: u32,
    copy: bool,
}

/// Reusable buffers of [`composite`].
#[derive(Debug, Default)]
pub struct Scratch {
    /// Canvas intervals `[x0, x1)` hidden by opaque runs of the layers seen so far.
    hidden: Vec<(u32, u32)>,
    /// The next `hidden`, while merging.
    merged: Vec<(u32, u32)>,
    /// What to draw in this row, top layer first.
    pieces: Vec<Piece>,
    /// Canvas intervals `[x0, x1)` that translucent pieces touch, sorted, disjoint.
    mixed: Vec<(u32, u32)>,
    /// The row's pixels in those intervals, while compositing.
    wide: Vec<blend::Wide>,
}

/// Composites `layers` (bottom first) into a straight 8-bit canvas of
/// `width × height` (`canvas` is overwritten entirely, no need to clear
/// it). See the module docs.
pub fn composite(layers: &[&Layer], canvas: &mut [u8], width: u32, scratch: &mut Scratch) {
    let Scratch { hidden, merged, pieces, mixed, wide } = scratch;
    let stride = width as usize * 4;
    for (y, row) in canvas.chunks_exact_mut(stride).enumerate() {
        let y = y as u32;
        hidden.clear();
        pieces.clear();
        for (k, layer) in layers.iter().enumerate().rev() {
            let Some((runs, mut at)) = layer.row(y) else { continue };
            // The visible parts of each run: the run minus `hidden` (both sorted).
            let mut h = 0;
            for run in runs {
                let start = layer.x + run.start;
                let (mut x0, x1) = (start, start + run.len);
                while h < hidden.len() && hidden[h].1 <= x0 {
                    h += 1;
                }
                let mut i = h;
                while x0 < x1 {
                    let (end, next) = match hidden.get(i) {
                        Some(&(h0, h1)) if h0 < x1 => (h0, h1.min(x1)),
                        _ => (x1, x1),
                    };
                    if x0 < end {
                        let at = (at + (x0 - start) as usize) as u32;
                        pieces.push(Piece { layer: k as u32, x0, x1: end, at, copy: run.copy });
                    }
                    x0 = x0.max(next);
                    i += 1;
                }
                at += run.len as usize;
            }
            // Its opaque runs hide what is below.
            if runs.iter().any(|r| r.copy) {
                merged.clear();
                let mut own = runs.iter().filter(|r| r.copy).map(|r| (layer.x + r.start, layer.x + r.start + r.len));
                let mut next_own = own.next();
                let mut h = 0;
                loop {
                    let next = match (hidden.get(h), next_own) {
                        (Some(&a), Some(b)) if a.0 <= b.0 => {
                            h += 1;
                            a
                        }
                        (_, Some(b)) => {
                            next_own = own.next();
                            b
                        }
                        (Some(&a), None) => {
                            h += 1;
                            a
                        }
                        (None, None) => break,
                    };
                    match merged.last_mut() {
                        Some(last) if next.0 <= last.1 => last.1 = last.1.max(next.1),
                        _ => merged.push(next),
                    }
                }
                std::mem::swap(hidden, merged);
                if hidden.first() == Some(&(0, width)) {
                    break;
                }
            }
        }
        // What no opaque run covers starts transparent.
        let mut x = 0;
        for &(h0, h1) in hidden.iter() {
            row[x as usize * 4..h0 as usize * 4].fill(0);
            x = h1;
        }
        row[x as usize * 4..].fill(0);
        // Opaque pieces are bytes to copy, and never overlap each other.
        for piece in pieces.iter().filter(|p| p.copy) {
            let layer = layers[piece.layer as usize];
            let (x0, x1, at) = (piece.x0 as usize, piece.x1 as usize, piece.at as usize);
            row[x0 * 4..x1 * 4].copy_from_slice(&layer.pixels[at * 4..(at + x1 - x0) * 4]);
        }
        // Where translucent pieces fall, the row is composited wide. An opaque
        // piece hides everything below it, so under a translucent piece the row
        // already holds the backdrop: an opaque pixel or a clear one.
        mixed.clear();
        mixed.extend(pieces.iter().filter(|p| !p.copy).map(|p| (p.x0, p.x1)));
        if mixed.is_empty() {
            continue;
        }
        mixed.sort_unstable();
        let mut n = 0;
        for i in 1..mixed.len() {
            if mixed[i].0 <= mixed[n].1 {
                mixed[n].1 = mixed[n].1.max(mixed[i].1);
            } else {
                n += 1;
                mixed[n] = mixed[i];
            }
        }
        mixed.truncate(n + 1);
        wide.resize(width as usize, [0.0; 4]);
        for &(x0, x1) in mixed.iter() {
            let (x0, x1) = (x0 as usize, x1 as usize);
            wide[x0..x1].iter_mut().zip(row[x0 * 4..x1 * 4].chunks_exact(4)).for_each(|(w, p)| *w = blend::widen(p));
        }
        // Bottom layer first.
        for piece in pieces.iter().rev().filter(|p| !p.copy) {
            let layer = layers[piece.layer as usize];
            let (x0, x1, at) = (piece.x0 as usize, piece.x1 as usize, piece.at as usize);
            blend::blend(layer.blend, &mut wide[x0..x1], &layer.pixels[at * 4..(at + x1 - x0) * 4]);
        }
        for &(x0, x1) in mixed.iter() {
            let (x0, x1) = (x0 as usize, x1 as usize);
            blend::to_straight(&wide[x0..x1], &mut row[x0 * 4..x1 * 4]);
        }
    }
}

/// Appends the runs of one row (straight RGBA) to `out`.
fn row_into_runs(row: &[u8], can_copy: bool, out: &mut Vec<Run>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Clear,
        Solid,
        Mixed,
    }
    let kind = |a: u8| match a {
        0 => Kind::Clear,
        255 if can_copy => Kind::Solid,
        _ => Kind::Mixed,
    };
    // Maximal stretches of one kind.
    let mut stretches: Vec<(Kind, usize, usize)> = Vec::new();
    for (x, px) in row.chunks_exact(4).enumerate() {
        let k = kind(px[3]);
        match stretches.last_mut() {
            Some((last, _, len)) if *last == k => *len += 1,
            _ => stretches.push((k, x, 1)),
        }
    }
    // Short clear or solid stretches become mixed; then merge neighbours.
    let mut merged: Vec<(Kind, usize, usize)> = Vec::new();
    for (k, start, len) in stretches {
        let k = if k != Kind::Mixed && len < MIN_RUN { Kind::Mixed } else { k };
        match merged.last_mut() {
            Some((last, _, l)) if *last == k => *l += len,
            _ => merged.push((k, start, len)),
        }
    }
    // Leading and trailing transparency is never blended.
    for (k, start, len) in merged {
        let mut start = start;
        let mut len = len;
        if k == Kind::Clear {
            continue;
        }
        if k == Kind::Mixed {
            let px = &row[start * 4..(start + len) * 4];
            let lead = px.chunks_exact(4).take_while(|p| p[3] == 0).count();
            let trail = px.chunks_exact(4).rev().take_while(|p| p[3] == 0).count();
            if lead == len {
                continue;
            }
            start += lead;
            len -= lead + trail;
        }
        out.push(Run { start: start as u32, len: len as u32, copy: k == Kind::Solid });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(alphas: &[u8]) -> Vec<u8> {
        alphas.iter().flat_map(|&a| [9, 9, 9, a]).collect()
    }

    #[test]
    fn runs_skip_clear_and_copy_solid() {
        let mut a = vec![0u8; 20];
        a.extend([128; 3]);
        a.extend([255; 40]);
        a.extend([7; 2]);
        a.extend([0; 30]);
        let mut out = Vec::new();
        row_into_runs(&row(&a), true, &mut out);
        assert_eq!(
            out,
            vec![
                Run { start: 20, len: 3, copy: false },
                Run { start: 23, len: 40, copy: true },
                Run { start: 63, len: 2, copy: false }
            ]
        );
        out.clear();
        row_into_runs(&row(&a), false, &mut out);
        assert_eq!(out, vec![Run { start: 20, len: 45, copy: false }]);
    }

    #[test]
    fn short_gaps_are_blended() {
        let mut a = vec![255u8; 4];
        a.extend([0; 3]);
        a.extend([255; 4]);
        let mut out = Vec::new();
        row_into_runs(&row(&a), true, &mut out);
        assert_eq!(out, vec![Run { start: 0, len: 11, copy: false }]);
    }

    #[test]
    fn composite_equals_drawing_every_layer_bottom_to_top() {
        let mut state = 0x9e37_79b9_u32;
        let mut next = move |n: u32| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state % n
        };
        let (w, h) = (97u32, 23u32);
        for round in 0..40 {
            let mut layers = Vec::new();
            for l in 0..5 {
                // Rectangles of opaque, translucent and clear pixels, long and short, at an offset.
                let (lw, lh) = (20 + next(100), 5 + next(25));
                let mut rgba = vec![0u8; (lw * lh * 4) as usize];
                for y in 0..lh {
                    let mut x = 0;
                    while x < lw {
                        let long = next(2) == 0;
                        let len = 1 + next(if long { 40 } else { 6 });
                        let alpha = [0, 255, 255, 128, 1, 254][next(6) as usize];
                        for xx in x..(x + len).min(lw) {
                            let i = ((y * lw + xx) * 4) as usize;
                            rgba[i..i + 4].copy_from_slice(&[next(256) as u8, next(256) as u8, 9, alpha]);
                        }
                        x += len;
                    }
                }
                let offset = (next(60) as i32 - 30, next(20) as i32 - 10);
                let blend = if round % 3 == 0 && l == 3 { BlendMode::Multiply } else { BlendMode::Normal };
                layers.push(Layer::new(&rgba, lw, lh, offset, (w, h), blend));
            }
            let mut wide = vec![[0f32; 4]; (w * h) as usize];
            for layer in &layers {
                layer.draw(&mut wide, w);
            }
            let mut expected = vec![0u8; (w * h * 4) as usize];
            blend::to_straight(&wide, &mut expected);
            let refs: Vec<&Layer> = layers.iter().collect();
            let mut got = vec![7u8; expected.len()];
            composite(&refs, &mut got, w, &mut Scratch::default());
            assert_eq!(got, expected, "round {round}");
        }
    }

    #[test]
    fn offsets_clip_and_crop() {
        // 4×4 image, only pixel (3, 3) visible, placed at (-1, -1) on a 2×2 canvas: nothing lands.
        let mut img = vec![0u8; 64];
        img[(3 * 4 + 3) * 4 + 3] = 255;
        let l = Layer::new(&img, 4, 4, (-1, -1), (2, 2), BlendMode::Normal);
        assert_eq!((l.width, l.height), (0, 0));
        // At (0, 0) on a 4×4 canvas: a 1×1 layer at (3, 3).
        let l = Layer::new(&img, 4, 4, (0, 0), (4, 4), BlendMode::Normal);
        assert_eq!((l.x, l.y, l.width, l.height), (3, 3, 1, 1));
        // At (-2, -2) on a 4×4 canvas: at (1, 1).
        let l = Layer::new(&img, 4, 4, (-2, -2), (4, 4), BlendMode::Normal);
        assert_eq!((l.x, l.y, l.width, l.height), (1, 1, 1, 1));
        let mut canvas = vec![[0f32; 4]; 16];
        l.draw(&mut canvas, 4);
        assert_eq!(canvas[4 + 1][3], 255.0);
    }
}
