//! Scale2x and Scale3x (Andrea Mazzoleni's refinements of EPX), the
//! pixel-art upscalers of the `resize` filters `scale2x`, `scale3x` and
//! `scale4x` (Scale2x twice).
//!
//! Each source pixel `E` becomes a 2 × 2 or 3 × 3 block. A block's corner
//! takes a neighbour's colour where two neighbours that meet at that corner
//! are equal and the diagonal they form is not crossed by a third, so
//! staircase edges become diagonals and nothing else changes: no colour is
//! invented, a flat area or an isolated pixel just grows. Neighbours outside
//! the image are the edge pixel itself. Colours are compared as whole RGBA
//! values, exactly. The rules, with `A B C / D E F / G H I` the 3 × 3
//! neighbourhood of `E` (from scale2x.it's description of the algorithm):
//!
//! ```text
//! Scale2x, E → E0 E1 / E2 E3:
//!   E0 = D == B && B != F && D != H ? D : E     E1 = B == F && B != D && F != H ? F : E
//!   E2 = D == H && D != B && H != F ? D : E     E3 = H == F && D != H && B != F ? F : E
//! Scale3x, E → E0 E1 E2 / E3 E4 E5 / E6 E7 E8:
//!   E0 = D == B && B != F && D != H ? D : E
//!   E1 = (D == B && B != F && D != H && E != C) || (B == F && B != D && F != H && E != A) ? B : E
//!   E2 = B == F && B != D && F != H ? F : E
//!   E3 = (D == B && B != F && D != H && E != G) || (D == H && D != B && H != F && E != A) ? D : E
//!   E4 = E
//!   E5 = (B == F && B != D && F != H && E != I) || (H == F && D != H && B != F && E != C) ? F : E
//!   E6 = D == H && D != B && H != F ? D : E
//!   E7 = (D == H && D != B && H != F && E != I) || (H == F && D != H && B != F && E != G) ? H : E
//!   E8 = H == F && D != H && B != F ? F : E
//! ```

use super::Image;

/// The pixels of `image` as RGBA words, and its size.
fn words(image: &Image) -> (Vec<u32>, usize, usize) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let px = image.as_raw().chunks_exact(4).map(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]])).collect();
    (px, w, h)
}

/// An image of `w × h` from RGBA words.
fn image(px: &[u32], w: usize, h: usize) -> Image {
    let raw: Vec<u8> = px.iter().flat_map(|p| p.to_le_bytes()).collect();
    Image::from_raw(w as u32, h as u32, raw).unwrap_or_else(|| Image::new(0, 0))
}

/// The 3 × 3 neighbourhood `[A, B, C, D, E, F, G, H, I]` of `(x, y)`,
/// edges repeated.
#[inline]
fn around(px: &[u32], w: usize, h: usize, x: usize, y: usize) -> [u32; 9] {
    let (xl, xr) = (x.saturating_sub(1), (x + 1).min(w - 1));
    let (yu, yd) = (y.saturating_sub(1), (y + 1).min(h - 1));
    let at = |x: usize, y: usize| px[y * w + x];
    [at(xl, yu), at(x, yu), at(xr, yu), at(xl, y), at(x, y), at(xr, y), at(xl, yd), at(x, yd), at(xr, yd)]
}

/// Scale2x: `image` at twice its width and height.
pub fn scale2x(image_in: &Image) -> Image {
    let (px, w, h) = words(image_in);
    if w == 0 || h == 0 {
        return image_in.clone();
    }
    let mut out = vec![0u32; 4 * w * h];
    for y in 0..h {
        for x in 0..w {
            let [_, b, _, d, e, f, _, hh, _] = around(&px, w, h, x, y);
            let pick = |cond: bool, c: u32| if cond { c } else { e };
            let block = [
                pick(d == b && b != f && d != hh, d),
                pick(b == f && b != d && f != hh, f),
                pick(d == hh && d != b && hh != f, d),
                pick(hh == f && d != hh && b != f, f),
            ];
            let (ox, oy) = (2 * x, 2 * y);
            out[oy * 2 * w + ox] = block[0];
            out[oy * 2 * w + ox + 1] = block[1];
            out[(oy + 1) * 2 * w + ox] = block[2];
            out[(oy + 1) * 2 * w + ox + 1] = block[3];
        }
    }
    image(&out, 2 * w, 2 * h)
}

/// Scale3x: `image` at three times its width and height.
pub fn scale3x(image_in: &Image) -> Image {
    let (px, w, h) = words(image_in);
    if w == 0 || h == 0 {
        return image_in.clone();
    }
    let mut out = vec![0u32; 9 * w * h];
    for y in 0..h {
        for x in 0..w {
            let [a, b, c, d, e, f, g, hh, i] = around(&px, w, h, x, y);
            let pick = |cond: bool, v: u32| if cond { v } else { e };
            let db = d == b && b != f && d != hh;
            let bf = b == f && b != d && f != hh;
            let dh = d == hh && d != b && hh != f;
            let hf = hh == f && d != hh && b != f;
            let block = [
                pick(db, d),
                pick((db && e != c) || (bf && e != a), b),
                pick(bf, f),
                pick((db && e != g) || (dh && e != a), d),
                e,
                pick((bf && e != i) || (hf && e != c), f),
                pick(dh, d),
                pick((dh && e != i) || (hf && e != g), hh),
                pick(hf, f),
            ];
            for (k, &v) in block.iter().enumerate() {
                out[(3 * y + k / 3) * 3 * w + 3 * x + k % 3] = v;
            }
        }
    }
    image(&out, 3 * w, 3 * h)
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: u32 = 0xff00_00ff; // opaque red (bytes r, g, b, a little-endian)
    const O: u32 = 0x0000_0000; // clear

    fn img(px: &[u32], w: usize) -> Image {
        image(px, w, px.len() / w)
    }

    fn px(image: &Image) -> Vec<u32> {
        words(image).0
    }

    #[test]
    fn scale2x_turns_a_staircase_into_a_diagonal() {
        // X .        X X . .
        // . X   →    X . X .
        //            . X . X
        //            . . X X
        let out = scale2x(&img(&[X, O, O, X], 2));
        assert_eq!(out.dimensions(), (4, 4));
        #[rustfmt::skip]
        let want = [
            X, X, O, O,
            X, O, X, O,
            O, X, O, X,
            O, O, X, X,
        ];
        assert_eq!(px(&out), want);
    }

    #[test]
    fn scale2x_leaves_flat_areas_and_lone_pixels_blocky() {
        let out = scale2x(&img(&[O, O, O, O, X, O, O, O, O], 3));
        let mut want = vec![O; 36];
        for (x, y) in [(2, 2), (3, 2), (2, 3), (3, 3)] {
            want[y * 6 + x] = X;
        }
        assert_eq!(px(&out), want);
        let flat = scale2x(&img(&[X; 6], 3));
        assert_eq!(px(&flat), vec![X; 24]);
    }

    #[test]
    fn scale3x_turns_a_staircase_into_a_diagonal() {
        // Worked by hand from the rules, edges repeated. Pixel (1, 0) = O has
        // A = X, B = C = O (the edge above repeats row 0), D = X, F = O, G = O, H = I = X:
        //   D == B no, so E0 = E; B == F, B != D, F != H: E1 = (… && E != A) → B = O, E2 = F = O;
        //   D == H, D != B, H != F: E3 = (… && E != A) → D = X, E6 = D = X, E7 = (… && E != I) → H = X;
        //   E5 = (B == F … && E != I) → F = O; H == F no, so E8 = E.
        // Its block is O O O / X O O / X X O: the X diagonal is widened from both sides.
        let out = scale3x(&img(&[X, O, O, X], 2));
        assert_eq!(out.dimensions(), (6, 6));
        #[rustfmt::skip]
        let want = [
            X, X, X, O, O, O,
            X, X, O, X, O, O,
            X, O, O, X, X, O,
            O, X, X, O, O, X,
            O, O, X, O, X, X,
            O, O, O, X, X, X,
        ];
        assert_eq!(px(&out), want);
    }

    #[test]
    fn scale3x_leaves_a_lone_pixel_a_block() {
        let out = scale3x(&img(&[O, O, O, O, X, O, O, O, O], 3));
        let mut want = vec![O; 81];
        for y in 3..6 {
            for x in 3..6 {
                want[y * 9 + x] = X;
            }
        }
        assert_eq!(px(&out), want);
    }
}
