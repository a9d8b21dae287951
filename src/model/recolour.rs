//! Derived colour variants: one drawing, a family of colourways.
//!
//! Recolouring runs once per derived variant when the renderer is built,
//! on the source's decoded straight (unpremultiplied) 8-bit sRGB pixels, before
//! opacity is applied. No pixel is recoloured per token.
//!
//! - **Hue** (`hue DEG`): each pixel's hue is rotated by `DEG` degrees in the
//!   HSV/HSL hexcone on unpremultiplied sRGB values (no linearisation). The
//!   two models agree on hue rotation: the largest and smallest of R, G, B are
//!   kept, so saturation, value and lightness are unchanged, and only where
//!   the middle channel sits between them moves. Greys (R = G = B) do not
//!   change; alpha does not change. Arithmetic is `f64` with `+ − × ÷` only,
//!   rounded half away from zero at the end, so results are the same on every
//!   platform.
//! - **Palette** (`palette { #from -> #to }`): a pixel whose straight RGBA is
//!   exactly `from` (`#rrggbb` means alpha `ff`) becomes `to`; every other
//!   pixel is left alone. Matching is on all four channels, so a half
//!   transparent pixel of the same RGB is not a match.

use super::Recolour;

/// Applies `recolour` to straight RGBA pixels in place.
pub fn recolour(rgba: &mut [u8], recolour: &Recolour) {
    match recolour {
        Recolour::Hue(degrees) => {
            let turn = degrees / 60.0;
            for p in rgba.chunks_exact_mut(4) {
                if p[3] == 0 {
                    continue;
                }
                let [r, g, b] = rotate_hue([p[0], p[1], p[2]], turn);
                p[0] = r;
                p[1] = g;
                p[2] = b;
            }
        }
        Recolour::Palette(pairs) => {
            for p in rgba.chunks_exact_mut(4) {
                if let Some((_, to)) = pairs.iter().find(|(from, _)| from[..] == p[..]) {
                    p.copy_from_slice(to);
                }
            }
        }
    }
}

/// Rotates the hue of `rgb` by `sextants` sixths of a turn (60° each).
pub fn rotate_hue(rgb: [u8; 3], sextants: f64) -> [u8; 3] {
    let [r, g, b] = rgb.map(f64::from);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let d = max - min;
    if d == 0.0 {
        return rgb;
    }
    // Hue in sextants, 0 ≤ h < 6: red 0, yellow 1, green 2, cyan 3, blue 4, magenta 5.
    let h = if max == r {
        (g - b) / d
    } else if max == g {
        (b - r) / d + 2.0
    } else {
        (r - g) / d + 4.0
    };
    let h = (h + sextants).rem_euclid(6.0);
    let sector = h.floor();
    let f = h - sector;
    let rising = min + d * f;
    let falling = max - d * f;
    let out = match sector as u8 {
        0 => [max, rising, min],
        1 => [falling, max, min],
        2 => [min, max, rising],
        3 => [min, falling, max],
        4 => [rising, min, max],
        _ => [max, min, falling],
    };
    out.map(|v| v.round().clamp(0.0, 255.0) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primaries_rotate_by_thirds() {
        assert_eq!(rotate_hue([255, 0, 0], 2.0), [0, 255, 0]);
        assert_eq!(rotate_hue([255, 0, 0], 4.0), [0, 0, 255]);
        assert_eq!(rotate_hue([255, 0, 0], -2.0), [0, 0, 255]);
        assert_eq!(rotate_hue([255, 0, 0], 1.0), [255, 255, 0]);
        assert_eq!(rotate_hue([200, 100, 50], 6.0), [200, 100, 50]);
        assert_eq!(rotate_hue([77, 77, 77], 1.7), [77, 77, 77]);
    }

    #[test]
    fn rotation_keeps_extremes() {
        for deg in [-45.0, 12.5, 100.0, 359.0] {
            let out = rotate_hue([200, 120, 40], deg / 60.0);
            assert_eq!(*out.iter().max().unwrap(), 200);
            assert_eq!(*out.iter().min().unwrap(), 40);
        }
    }

    #[test]
    fn full_turns_are_identity() {
        for rgb in [[1, 2, 3], [250, 3, 99], [10, 200, 10]] {
            assert_eq!(rotate_hue(rgb, 6.0), rgb);
            assert_eq!(rotate_hue(rgb, -12.0), rgb);
        }
    }

    #[test]
    fn palette_matches_all_four_channels() {
        let mut px = vec![1, 2, 3, 255, 1, 2, 3, 128, 9, 9, 9, 255];
        recolour(&mut px, &Recolour::Palette(vec![([1, 2, 3, 255], [7, 7, 7, 128])]));
        assert_eq!(px, vec![7, 7, 7, 128, 1, 2, 3, 128, 9, 9, 9, 255]);
    }
}
