//! Layers ready to draw: cropped, placed, with opacity folded in, and
//! described row by row as runs so that compositing touches only the pixels
//! that change something.
//!
//! A layer keeps only the bounding box of its non-transparent pixels that
//! falls on the canvas (offsets are applied and clipped once, at load). Each
//! row of that box is split into runs: fully transparent stretches are
//! dropped, long fully opaque stretches are copied, the rest is blended.
//! Short opaque or transparent gaps (under 16 pixels, `MIN_RUN`) are folded
//! into the surrounding blended run: a copy or a skip costs more than it saves
//! below that length.

use crate::check::BlendMode;

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
    /// Left edge on the canvas.
    pub x: u32,
    /// Top edge on the canvas.
    pub y: u32,
    /// Width of the kept box.
    pub width: u32,
    /// Height of the kept box.
    pub height: u32,
    /// Straight RGBA, opacity folded into alpha, `width · height · 4` bytes.
    pub pixels: Vec<u8>,
    /// How it combines with what is below.
    pub blend: BlendMode,
    /// Runs of every row, row after row.
    runs: Vec<Run>,
    /// `row_runs[y]..row_runs[y + 1]` are the runs of row `y`.
    row_runs: Vec<u32>,
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
                pixels: Vec::new(),
                blend,
                runs: Vec::new(),
                row_runs: vec![0],
            };
        }
        let (kw, kh) = ((bx1 - bx0) as usize, (by1 - by0) as usize);
        let mut pixels = Vec::with_capacity(kw * kh * 4);
        for y in by0..by1 {
            let start = ((y * w + bx0) * 4) as usize;
            pixels.extend_from_slice(&rgba[start..start + kw * 4]);
        }
        let mut runs = Vec::new();
        let mut row_runs = Vec::with_capacity(kh + 1);
        row_runs.push(0);
        for row in pixels.chunks_exact(kw * 4) {
            row_into_runs(row, blend == BlendMode::Normal, &mut runs);
            row_runs.push(runs.len() as u32);
        }
        Layer {
            x: (bx0 + ox) as u32,
            y: (by0 + oy) as u32,
            width: kw as u32,
            height: kh as u32,
            pixels,
            blend,
            runs,
            row_runs,
        }
    }

    /// Composites the layer onto a premultiplied canvas `canvas_width` wide.
    pub fn draw(&self, canvas: &mut [u8], canvas_width: u32) {
        let stride = canvas_width as usize * 4;
        let row_bytes = self.width as usize * 4;
        for (y, bounds) in self.row_runs.windows(2).enumerate() {
            let runs = &self.runs[bounds[0] as usize..bounds[1] as usize];
            let src_row = &self.pixels[y * row_bytes..(y + 1) * row_bytes];
            let dst_start = (self.y as usize + y) * stride + self.x as usize * 4;
            let dst_row = &mut canvas[dst_start..dst_start + row_bytes];
            for run in runs {
                let range = run.start as usize * 4..(run.start + run.len) as usize * 4;
                if run.copy {
                    dst_row[range.clone()].copy_from_slice(&src_row[range]);
                } else {
                    blend::blend(self.blend, &mut dst_row[range.clone()], &src_row[range]);
                }
            }
        }
    }

    /// Whether this layer alone paints every pixel of the canvas opaque.
    pub fn covers(&self, canvas: (u32, u32)) -> bool {
        (self.x, self.y, self.width, self.height) == (0, 0, canvas.0, canvas.1)
            && self.runs.len() == canvas.1 as usize
            && self.runs.iter().all(|r| r.copy && r.start == 0 && r.len == canvas.0)
    }

    /// Number of bytes held.
    pub fn bytes(&self) -> usize {
        self.pixels.len() + self.runs.len() * std::mem::size_of::<Run>() + self.row_runs.len() * 4
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
        let mut canvas = vec![0u8; 64];
        l.draw(&mut canvas, 4);
        assert_eq!(canvas[(4 + 1) * 4 + 3], 255);
    }
}
