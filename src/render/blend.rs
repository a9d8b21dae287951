//! The compositing arithmetic: one layer row onto one canvas row.
//!
//! Representation: the canvas is 8-bit **premultiplied** sRGB RGBA; a layer
//! is 8-bit **straight** sRGB RGBA with its opacity already folded into its
//! alpha. No linearisation: this is what Photoshop, Procreate, Pillow and the
//! HTML canvas do by default, and what an artist previews.
//!
//! Keeping the layer straight lets source-over round **once** per channel
//! instead of twice (once to premultiply the layer, once to blend):
//!
//! ```text
//! normal (source-over), per colour channel c and for alpha:
//!     out_c = div255(s_c · s_a + d_c · (255 − s_a))      (s_c straight, d_c premultiplied)
//!     out_a = div255(255 · s_a + d_a · (255 − s_a))
//!     div255(x) = round(x / 255)  (ties cannot occur: 255 is odd)
//!               = (t + (t >> 8)) >> 8  with t = x + 128, exact for 0 ≤ x ≤ 65 025
//! ```
//!
//! Every intermediate fits in 16 bits (`255 · 255 = 65 025`), so the loop
//! works on `u16` lanes and LLVM vectorises it. On an opaque canvas (a
//! background layer, as in nearly every collection) the result is the exact
//! rounding of `(s_c · s_a + d_c · (255 − s_a)) / 255`, which is what
//! Pillow's `Image.alpha_composite` computes; the unit tests compare the two
//! exhaustively on opaque backdrops. Rows or parts of rows where the layer is
//! fully opaque are copied; fully transparent parts are never visited.
//!
//! Other modes follow the W3C *Compositing and Blending Level 1* separable
//! blend modes, composited with source-over:
//!
//! ```text
//! Cs' = (1 − αb) · Cs + αb · B(Cb, Cs)
//! co  = αs · Cs' + (1 − αs) · cb          (co, cb premultiplied)
//! αo  = αs + αb · (1 − αs)
//! ```
//!
//! with `B` = multiply `Cb·Cs`; screen `Cb + Cs − Cb·Cs`; overlay
//! `HardLight(Cs, Cb)`; darken `min`; lighten `max`; add (Photoshop's linear
//! dodge) `min(1, Cb + Cs)`. `αb · B(Cb, Cs)` is computed from the
//! premultiplied backdrop without dividing (e.g. multiply: `cb · Cs`), in
//! integers scaled by 255², and the result is rounded once:
//! `co = round((αs(255−αb)Cs + αs·X + (255−αs)·cb·255) / 255²)` where
//! `X = 255²·αb·B`, then clamped to `αo` to stay a valid premultiplied value.
//! For `normal` this reduces to the formula above, bit for bit.

use crate::model::BlendMode;

/// `round(x / 255)` for `0 ≤ x ≤ 65 025`.
#[inline(always)]
pub fn div255(x: u16) -> u16 {
    let t = x + 128;
    (t + (t >> 8)) >> 8
}

/// [`div255`] as one high-half multiply (`pmulhuw`):
/// `⌊(t + ⌊t/256⌋) / 256⌋ = ⌊257·t / 65 536⌋` for `t = x + 128`, since
/// `t + ⌊t/256⌋` is the integer part of `t + t/256` and dividing by 256
/// cannot cross an integer between the two.
#[inline(always)]
fn div255_mulhi(x: u16) -> u16 {
    ((u32::from(x + 128) * 257) >> 16) as u16
}

/// Source-over of straight `src` pixels onto premultiplied `dst` pixels.
pub fn over(dst: &mut [u8], src: &[u8]) {
    const BLOCK: usize = 16; // 4 pixels: two SSE registers of u16 lanes
    // 255 in the alpha lanes. Hidden from the optimiser: known, it folds
    // `s | 255` to a constant lane and then builds each vector lane by lane.
    let opaque = std::hint::black_box([0u16, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
    let mut d_blocks = dst.chunks_exact_mut(BLOCK);
    let mut s_blocks = src.chunks_exact(BLOCK);
    for (d, s) in (&mut d_blocks).zip(&mut s_blocks) {
        if let (Ok(d), Ok(s)) = (<&mut [u8; BLOCK]>::try_from(d), <&[u8; BLOCK]>::try_from(s)) {
            over_block(d, s, &opaque);
        }
    }
    for (d, s) in d_blocks.into_remainder().chunks_exact_mut(4).zip(s_blocks.remainder().chunks_exact(4)) {
        let a = u16::from(s[3]);
        let ia = 255 - a;
        d[0] = div255(u16::from(s[0]) * a + u16::from(d[0]) * ia) as u8;
        d[1] = div255(u16::from(s[1]) * a + u16::from(d[1]) * ia) as u8;
        d[2] = div255(u16::from(s[2]) * a + u16::from(d[2]) * ia) as u8;
        d[3] = div255(255 * a + u16::from(d[3]) * ia) as u8;
    }
}

/// [`over`] on 4 pixels, written on fixed-size arrays so that it becomes
/// straight-line SIMD code (byte unpacks, word shuffles for the alpha,
/// multiplies, one pack): the alpha channel is treated as a colour channel
/// whose straight value is 255 (`opaque` is 255 in the alpha lanes, 0
/// elsewhere).
#[inline(always)]
fn over_block(d: &mut [u8; 16], s: &[u8; 16], opaque: &[u16; 16]) {
    // Plain loops over 16 lanes (fully unrolled), not `array::map`, which
    // is not always inlined.
    let (mut s16, mut d16, mut alpha) = ([0u16; 16], [0u16; 16], [0u16; 16]);
    for i in 0..16 {
        s16[i] = u16::from(s[i]);
        d16[i] = u16::from(d[i]);
    }
    for i in 0..16 {
        alpha[i] = s16[i | 3];
    }
    for i in 0..16 {
        let colour = s16[i] | opaque[i];
        d[i] = div255_mulhi(colour * alpha[i] + d16[i] * (255 - alpha[i])) as u8;
    }
}

/// Blends straight `src` pixels onto premultiplied `dst` pixels with `mode`.
pub fn blend(mode: BlendMode, dst: &mut [u8], src: &[u8]) {
    if mode == BlendMode::Normal {
        return over(dst, src);
    }
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
        let sa = i32::from(s[3]);
        if sa == 0 {
            continue;
        }
        let ab = i32::from(d[3]);
        let ao = (sa * 255 + ab * (255 - sa) + 127) / 255;
        for c in 0..3 {
            let cs = i32::from(s[c]);
            let cb = i32::from(d[c]);
            // X = 255² · αb · B(Cb, Cs), from premultiplied cb = 255 · αb · Cb.
            let x = match mode {
                BlendMode::Normal => ab * cs,
                BlendMode::Multiply => cb * cs,
                BlendMode::Screen => cb * 255 + ab * cs - cb * cs,
                BlendMode::Overlay => {
                    if 2 * cb <= ab {
                        2 * cb * cs
                    } else {
                        let k = 2 * cb - ab;
                        ab * cs + k * 255 - cs * k
                    }
                }
                BlendMode::Darken => (cb * 255).min(ab * cs),
                BlendMode::Lighten => (cb * 255).max(ab * cs),
                BlendMode::Add => (ab * 255).min(cb * 255 + ab * cs),
            };
            let n = sa * (255 - ab) * cs + sa * x.clamp(0, 65025) + (255 - sa) * cb * 255;
            let co = (n + 32512) / 65025;
            d[c] = co.clamp(0, ao) as u8;
        }
        d[3] = ao as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn div255_rounds_exactly() {
        for x in 0..=65025u32 {
            let expected = (2 * x + 255) / 510; // round half up; no ties for odd 255
            assert_eq!(u32::from(div255(x as u16)), expected, "x = {x}");
            assert_eq!(u32::from(div255_mulhi(x as u16)), expected, "x = {x}");
        }
    }

    /// Pillow's `ImagingAlphaComposite` (libImaging/AlphaComposite.c), one channel.
    fn pillow(src: [u8; 4], dst: [u8; 4]) -> [u8; 4] {
        const PRECISION_BITS: u32 = 7;
        let shift_div255 = |a: u32| ((a >> 8) + a) >> 8;
        if src[3] == 0 {
            return dst;
        }
        let sa = u32::from(src[3]);
        let blend = u32::from(dst[3]) * (255 - sa);
        let outa255 = sa * 255 + blend;
        let coef1 = sa * 255 * 255 * (1 << PRECISION_BITS) / outa255;
        let coef2 = 255 * (1 << PRECISION_BITS) - coef1;
        let mut out = [0; 4];
        for c in 0..3 {
            let tmp = u32::from(src[c]) * coef1 + u32::from(dst[c]) * coef2;
            out[c] = (shift_div255(tmp + (0x80 << PRECISION_BITS)) >> PRECISION_BITS) as u8;
        }
        out[3] = shift_div255(outa255 + 0x80) as u8;
        out
    }

    #[test]
    fn source_over_matches_pillow_on_opaque_backdrops() {
        let mut mismatches = 0u32;
        for sa in 0..=255u8 {
            for sc in 0..=255u8 {
                let src = [sc, 255 - sc, sc / 2, sa];
                let mut dst: Vec<u8> = (0..=255u8).flat_map(|dc| [dc, dc, 255 - dc, 255]).collect();
                let srcs: Vec<u8> = (0..256).flat_map(|_| src).collect();
                let before = dst.clone();
                over(&mut dst, &srcs);
                for (got, d) in dst.chunks_exact(4).zip(before.chunks_exact(4)) {
                    let want = pillow(src, [d[0], d[1], d[2], d[3]]);
                    if got != want {
                        mismatches += 1;
                    }
                }
            }
        }
        assert_eq!(mismatches, 0);
    }

    #[test]
    fn hand_computed_source_over() {
        // (255, 0, 0, 128) over opaque blue:
        //   r = round(255·128 / 255) = 128, g = 0, b = round(255·127 / 255) = 127, a = 255.
        let mut dst = [0, 0, 255, 255];
        over(&mut dst, &[255, 0, 0, 128]);
        assert_eq!(dst, [128, 0, 127, 255]);
        // Onto a transparent canvas the result is the premultiplied source.
        let mut dst = [0, 0, 0, 0];
        over(&mut dst, &[200, 100, 50, 51]);
        assert_eq!(dst, [40, 20, 10, 51]);
        // Half over half: αo = 0.5 + 0.5·0.5 = 0.75.
        let mut dst = [0, 0, 128, 128]; // premultiplied half-transparent blue
        over(&mut dst, &[255, 0, 0, 128]);
        assert_eq!(dst, [128, 0, 64, 192]);
    }

    /// One blend of straight `src` onto premultiplied `dst`.
    fn one(mode: BlendMode, dst: [u8; 4], src: [u8; 4]) -> [u8; 4] {
        let mut d = dst;
        blend(mode, &mut d, &src);
        d
    }

    #[test]
    fn blend_modes_on_an_opaque_backdrop() {
        // Backdrop (200, 100, 50), source (100, 150, 250), both opaque.
        let dst = [200, 100, 50, 255];
        let src = [100, 150, 250, 255];
        // multiply: round(200·100/255) = 78, round(100·150/255) = 59, round(50·250/255) = 49
        assert_eq!(one(BlendMode::Multiply, dst, src), [78, 59, 49, 255]);
        // screen: a + b − ab/255 → 222, 191, 251
        assert_eq!(one(BlendMode::Screen, dst, src), [222, 191, 251, 255]);
        // overlay: backdrop 200 > 127.5 → screen(100, 2·200−255 = 145) = 100 + 145 − 56.86 = 188;
        //          100 ≤ 127.5 → 2·100·150/255 = 117.6 → 118;  50 → 2·50·250/255 = 98.04 → 98
        assert_eq!(one(BlendMode::Overlay, dst, src), [188, 118, 98, 255]);
        assert_eq!(one(BlendMode::Darken, dst, src), [100, 100, 50, 255]);
        assert_eq!(one(BlendMode::Lighten, dst, src), [200, 150, 250, 255]);
        assert_eq!(one(BlendMode::Add, dst, src), [255, 250, 255, 255]);
        assert_eq!(one(BlendMode::Normal, dst, src), [100, 150, 250, 255]);
    }

    #[test]
    fn blend_modes_at_half_alpha() {
        // Multiply at αs = 0.5 on opaque (200, 100, 50): mix of backdrop and product.
        // r = round((128·78.43 + 127·200) / 255) = round(138.98) = 139,
        // g = round((128·58.82 + 127·100) / 255) = round(79.33) = 79, b = round(49.51) = 50
        let dst = [200, 100, 50, 255];
        let src = [100, 150, 250, 128];
        let m = one(BlendMode::Multiply, dst, src);
        assert_eq!(m, [139, 79, 50, 255]);
        // Onto a transparent backdrop every mode is plain source-over.
        for (_, mode) in BlendMode::NAMES {
            assert_eq!(one(*mode, [0, 0, 0, 0], [200, 100, 50, 51]), [40, 20, 10, 51], "{mode:?}");
        }
        // A transparent source leaves the backdrop alone.
        for (_, mode) in BlendMode::NAMES {
            assert_eq!(one(*mode, [10, 20, 30, 40], [200, 100, 50, 0]), [10, 20, 30, 40], "{mode:?}");
        }
    }

    #[test]
    fn general_path_agrees_with_fast_normal() {
        for sa in (0..=255u8).step_by(3) {
            for (sc, dc, da) in [(0u8, 0u8, 0u8), (255, 0, 255), (13, 200, 200), (90, 40, 77), (255, 255, 255)] {
                let dst = [dc.min(da), dc.min(da) / 2, 0, da];
                let src = [sc, 255 - sc, 7, sa];
                let mut fast = dst;
                over(&mut fast, &src);
                let mut slow = dst;
                for c in 0..3 {
                    let (cs, cb, ab, sa) = (i32::from(src[c]), i32::from(dst[c]), i32::from(da), i32::from(sa));
                    let n = sa * (255 - ab) * cs + sa * ab * cs + (255 - sa) * cb * 255;
                    slow[c] = ((n + 32512) / 65025) as u8;
                }
                slow[3] = fast[3];
                assert_eq!(fast, slow);
            }
        }
    }
}
