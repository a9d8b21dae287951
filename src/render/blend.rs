//! The compositing arithmetic: one layer's pixels onto a stretch of canvas.
//!
//! Representation: a layer is 8-bit **straight** sRGB RGBA with its opacity
//! already folded into its alpha. Where a layer is translucent, the canvas
//! is held as [`Wide`] pixels, **premultiplied** colour and alpha in `f32`
//! on the 0–255 scale, and converted to 8-bit straight colour once, when the
//! row is finished ([`to_straight`]). No linearisation: this is what
//! Photoshop, Procreate, Pillow and the HTML canvas do by default, and what
//! an artist previews.
//!
//! Why not 8-bit premultiplied: a pixel of alpha 1 keeps only
//! `round(c / 255)` of its colour premultiplied, so one layer over a
//! transparent canvas turned `(107, 193, 192, 1)` into `(0, 255, 255, 1)`.
//! Why not 8-bit straight with a rounding per layer (Pillow's way): each
//! layer rounds, and a pixel covered by several translucent layers drifts
//! by up to half a level per layer. In `f32` the whole stack is computed
//! with a relative error under 10⁻⁶ and rounded once, so **every output
//! channel is within half a level (plus that error) of the exact rational
//! result** of the formulas below applied to the whole stack of layers:
//! `tests/composite_exact.rs` checks it against exact rational arithmetic on
//! random translucent stacks, every blend mode. One layer blended onto an
//! opaque pixel is therefore the exact rounding of the formula, which is
//! what Pillow's `alpha_composite` computes on opaque backdrops (the unit
//! tests compare the two exhaustively).
//!
//! ```text
//! normal (source-over), colour channels c, premultiplied canvas d, straight layer s, αs = s_a / 255:
//!     d_c ← s_c · αs + d_c · (1 − αs)
//!     d_a ← 255 · αs + d_a · (1 − αs)
//! output: a = round(d_a); c = round(255 · d_c / d_a) (a = 0 gives (0, 0, 0, 0))
//! ```
//!
//! Rust's `f32` arithmetic is IEEE 754 with no contraction into fused
//! multiply-adds unless written, so these bytes are the same on every
//! machine.
//!
//! Opaque pixels never take this path: a layer's fully opaque runs are
//! copied as bytes into the 8-bit canvas row ([`super::layer`]), and only the
//! stretches of a row that some translucent run touches are widened.
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
//! premultiplied backdrop without dividing (e.g. multiply: `cb · Cs`), then
//! `co` is clamped to `[0, αo]` to stay a valid premultiplied value.

use crate::model::BlendMode;

/// A canvas pixel while translucent layers are composited: premultiplied
/// red, green, blue and alpha, each on the 0–255 scale.
pub type Wide = [f32; 4];

/// `round(x / 255)` for `0 ≤ x ≤ 65 025`.
#[inline(always)]
pub fn div255(x: u16) -> u16 {
    let t = x + 128;
    (t + (t >> 8)) >> 8
}

/// An 8-bit straight pixel that is opaque or fully transparent (so equal
/// to its premultiplied form), widened.
#[inline(always)]
pub fn widen(p: &[u8]) -> Wide {
    [f32::from(p[0]), f32::from(p[1]), f32::from(p[2]), f32::from(p[3])]
}

/// Source-over of straight `src` pixels onto `dst`.
pub fn over(dst: &mut [Wide], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src.chunks_exact(4)) {
        let Ok(s) = <&[u8; 4]>::try_from(s) else { continue };
        over_pixel(d, s);
    }
}

/// [`over`] on one pixel, written lane by lane on fixed-size arrays so that
/// it becomes straight-line SIMD code (the alpha lane is a colour lane
/// whose straight value is 255).
#[inline(always)]
fn over_pixel(d: &mut Wide, s: &[u8; 4]) {
    let a = f32::from(s[3]) * (1.0 / 255.0);
    let colour = [f32::from(s[0]), f32::from(s[1]), f32::from(s[2]), 255.0];
    for i in 0..4 {
        d[i] = colour[i] * a + d[i] * (1.0 - a);
    }
}

/// Blends straight `src` pixels onto `dst` with `mode`.
pub fn blend(mode: BlendMode, dst: &mut [Wide], src: &[u8]) {
    if mode == BlendMode::Normal {
        return over(dst, src);
    }
    for (d, s) in dst.iter_mut().zip(src.chunks_exact(4)) {
        if s[3] == 0 {
            continue;
        }
        let sa = f32::from(s[3]) / 255.0;
        let ab = d[3] / 255.0;
        let ao = sa + ab * (1.0 - sa);
        for c in 0..3 {
            let cs = f32::from(s[c]) / 255.0;
            // Premultiplied backdrop: cb = αb · Cb.
            let cb = d[c] / 255.0;
            // X = αb · B(Cb, Cs), from cb without dividing by αb.
            let x = match mode {
                BlendMode::Normal => ab * cs,
                BlendMode::Multiply => cb * cs,
                BlendMode::Screen => cb + ab * cs - cb * cs,
                BlendMode::Overlay => {
                    if 2.0 * cb <= ab {
                        2.0 * cb * cs
                    } else {
                        let k = 2.0 * cb - ab;
                        ab * cs + k - cs * k
                    }
                }
                BlendMode::Darken => cb.min(ab * cs),
                BlendMode::Lighten => cb.max(ab * cs),
                BlendMode::Add => ab.min(cb + ab * cs),
            };
            let co = sa * (1.0 - ab) * cs + sa * x.clamp(0.0, 1.0) + (1.0 - sa) * cb;
            d[c] = co.clamp(0.0, ao) * 255.0;
        }
        d[3] = ao * 255.0;
    }
}

/// Wide pixels to 8-bit straight ones: alpha rounded, colour divided by the
/// unrounded alpha and rounded; alpha rounding to 0 gives `(0, 0, 0, 0)`.
pub fn to_straight(src: &[Wide], dst: &mut [u8]) {
    for (s, d) in src.iter().zip(dst.chunks_exact_mut(4)) {
        let a = s[3];
        let alpha = (a + 0.5).clamp(0.0, 255.0) as u8;
        if alpha == 0 {
            d.copy_from_slice(&[0, 0, 0, 0]);
            continue;
        }
        let k = 255.0 / a;
        for c in 0..3 {
            // `as` saturates: negative rounding noise gives 0, overshoot 255.
            d[c] = (s[c] * k + 0.5) as u8;
        }
        d[3] = alpha;
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
        }
    }

    /// Straight 8-bit result of blending `src` onto straight `dst` (opaque
    /// or clear, or any pixel when `dst` is first premultiplied exactly).
    fn one(mode: BlendMode, dst: [u8; 4], src: [u8; 4]) -> [u8; 4] {
        let a = f32::from(dst[3]) / 255.0;
        let mut d = [[f32::from(dst[0]) * a, f32::from(dst[1]) * a, f32::from(dst[2]) * a, f32::from(dst[3])]];
        blend(mode, &mut d, &src);
        let mut out = [0u8; 4];
        to_straight(&d, &mut out);
        out
    }

    /// Pillow's `ImagingAlphaComposite` (libImaging/AlphaComposite.c), one pixel.
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
    fn one_layer_on_an_opaque_backdrop_matches_pillow() {
        // Every source alpha and colour value against every backdrop value: 256³ blends.
        let mut mismatches = 0u32;
        let mut canvas = vec![[0f32; 4]; 256];
        let mut out = vec![0u8; 256 * 4];
        for sa in 0..=255u8 {
            for sc in 0..=255u8 {
                let src = [sc, 255 - sc, sc / 2, sa];
                let srcs: Vec<u8> = (0..256).flat_map(|_| src).collect();
                for (dc, d) in canvas.iter_mut().enumerate() {
                    *d = widen(&[dc as u8, dc as u8, 255 - dc as u8, 255]);
                }
                over(&mut canvas, &srcs);
                to_straight(&canvas, &mut out);
                for (dc, got) in out.chunks_exact(4).enumerate() {
                    let want = pillow(src, [dc as u8, dc as u8, 255 - dc as u8, 255]);
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
        assert_eq!(one(BlendMode::Normal, [0, 0, 255, 255], [255, 0, 0, 128]), [128, 0, 127, 255]);
        // Onto a transparent canvas the layer comes out unchanged, however faint.
        assert_eq!(one(BlendMode::Normal, [0, 0, 0, 0], [200, 100, 50, 51]), [200, 100, 50, 51]);
        assert_eq!(one(BlendMode::Normal, [0, 0, 0, 0], [107, 193, 192, 1]), [107, 193, 192, 1]);
        assert_eq!(one(BlendMode::Normal, [0, 0, 0, 0], [255, 128, 1, 1]), [255, 128, 1, 1]);
        // Red at 128 over blue at 128: d_a = 128 + 128·127/255 = 191.75 → 192;
        // r = 255 · 128 / 191.75 = 170.2 → 170, b = 255 · (128·127/255) / 191.75 = 84.8 → 85.
        assert_eq!(one(BlendMode::Normal, [0, 0, 255, 128], [255, 0, 0, 128]), [170, 0, 85, 192]);
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
        // Multiply at αs = 128/255 on opaque (200, 100, 50): mix of backdrop and product.
        // r = (128·78.43 + 127·200) / 255 = 138.98 → 139,
        // g = (128·58.82 + 127·100) / 255 = 79.33 → 79, b = (128·49.02 + 127·50) / 255 = 49.51 → 50
        assert_eq!(one(BlendMode::Multiply, [200, 100, 50, 255], [100, 150, 250, 128]), [139, 79, 50, 255]);
        // Onto a transparent backdrop every mode is plain source-over: the layer unchanged.
        for (_, mode) in BlendMode::NAMES {
            assert_eq!(one(*mode, [0, 0, 0, 0], [200, 100, 50, 51]), [200, 100, 50, 51], "{mode:?}");
        }
        // A transparent source leaves the backdrop alone.
        for (_, mode) in BlendMode::NAMES {
            assert_eq!(one(*mode, [10, 20, 30, 40], [200, 100, 50, 0]), [10, 20, 30, 40], "{mode:?}");
        }
    }

    #[test]
    fn general_path_agrees_with_normal() {
        for sa in (0..=255u8).step_by(3) {
            for (sc, dc, da) in [(0u8, 0u8, 0u8), (255, 0, 255), (13, 200, 200), (90, 40, 77), (255, 255, 255)] {
                let dst = [dc, dc / 2, 0, da];
                let src = [sc, 255 - sc, 7, sa];
                let fast = one(BlendMode::Normal, dst, src);
                let a = f32::from(da) / 255.0;
                let mut d = [[f32::from(dst[0]) * a, f32::from(dst[1]) * a, 0.0, f32::from(da)]];
                // The general path, forced: `blend` sends normal to `over`.
                let (s, b) = (f32::from(sa) / 255.0, a);
                let ao = s + b * (1.0 - s);
                for c in 0..3 {
                    let cs = f32::from(src[c]) / 255.0;
                    let cb = d[0][c] / 255.0;
                    d[0][c] = (s * (1.0 - b) * cs + s * b * cs + (1.0 - s) * cb).clamp(0.0, ao) * 255.0;
                }
                d[0][3] = ao * 255.0;
                let mut slow = [0u8; 4];
                to_straight(&d, &mut slow);
                assert_eq!(fast, slow, "sa {sa} dst {dst:?} src {src:?}");
            }
        }
    }
}
