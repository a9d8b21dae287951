//! Compositing against exact arithmetic: random stacks of translucent layers
//! (low alphas, every blend mode, offsets that clip) are composited by the
//! renderer and by an exact rational reference of the formulas in
//! `src/render/blend.rs`, applied to the whole stack with no rounding until
//! the end. Every output channel must be within half a level of the exact
//! value (the renderer rounds once, from `f32`; the margin covers its error),
//! colour channels wherever the output alpha is at least 1.

// Tests may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use dropc::model::BlendMode;
use dropc::render::layer::{Layer, Scratch, composite};
use num_rational::BigRational;
use num_traits::{One, ToPrimitive, Zero};
use proptest::prelude::*;

/// One layer: a straight RGBA image, where it sits, how it blends.
#[derive(Clone, Debug)]
struct Spec {
    width: u32,
    height: u32,
    offset: (i32, i32),
    mode: BlendMode,
    rgba: Vec<u8>,
}

fn alpha() -> impl Strategy<Value = u8> {
    prop_oneof![Just(0u8), Just(255u8), 1u8..=4, 250u8..=254, any::<u8>()]
}

fn mode() -> impl Strategy<Value = BlendMode> {
    let modes: Vec<BlendMode> = BlendMode::NAMES.iter().map(|(_, m)| *m).collect();
    prop_oneof![3 => Just(BlendMode::Normal), 2 => proptest::sample::select(modes)]
}

fn spec(canvas: (u32, u32)) -> impl Strategy<Value = Spec> {
    (1..=canvas.0 + 2, 1..=canvas.1 + 1, -2i32..=2, -1i32..=1, mode()).prop_flat_map(|(width, height, ox, oy, mode)| {
        let n = (width * height) as usize;
        proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), alpha()), n).prop_map(move |px| Spec {
            width,
            height,
            offset: (ox, oy),
            mode,
            rgba: px.into_iter().flat_map(|(r, g, b, a)| [r, g, b, a]).collect(),
        })
    })
}

fn stack() -> impl Strategy<Value = ((u32, u32), Vec<Spec>)> {
    (1u32..=20, 1u32..=3).prop_flat_map(|canvas| (Just(canvas), proptest::collection::vec(spec(canvas), 1..=6)))
}

fn r(n: i64, d: i64) -> BigRational {
    BigRational::new(n.into(), d.into())
}

/// The exact straight RGBA of canvas pixel `(x, y)` on the 0–255 scale:
/// the formulas of `render::blend` in rationals, premultiplied, normalised.
fn exact(layers: &[Spec], x: i64, y: i64) -> [BigRational; 4] {
    let (zero, one) = (BigRational::zero(), BigRational::one());
    let mut cb = [zero.clone(), zero.clone(), zero.clone()];
    let mut ab = zero.clone();
    for l in layers {
        let (ix, iy) = (x - i64::from(l.offset.0), y - i64::from(l.offset.1));
        if ix < 0 || iy < 0 || ix >= i64::from(l.width) || iy >= i64::from(l.height) {
            continue;
        }
        let i = ((iy * i64::from(l.width) + ix) * 4) as usize;
        let s = &l.rgba[i..i + 4];
        let sa = r(i64::from(s[3]), 255);
        let ao = &sa + &ab * (&one - &sa);
        for c in 0..3 {
            let cs = r(i64::from(s[c]), 255);
            let b = &cb[c];
            let two = r(2, 1);
            let x = match l.mode {
                BlendMode::Normal => &ab * &cs,
                BlendMode::Multiply => b * &cs,
                BlendMode::Screen => b + &ab * &cs - b * &cs,
                BlendMode::Overlay => {
                    if &two * b <= ab {
                        &two * b * &cs
                    } else {
                        let k = &two * b - &ab;
                        &ab * &cs + &k - &cs * &k
                    }
                }
                BlendMode::Darken => (b.clone()).min(&ab * &cs),
                BlendMode::Lighten => (b.clone()).max(&ab * &cs),
                BlendMode::Add => ab.clone().min(b + &ab * &cs),
            };
            cb[c] = &sa * (&one - &ab) * &cs + &sa * x + (&one - &sa) * b;
        }
        ab = ao;
    }
    let k = r(255, 1);
    if ab.is_zero() {
        return [zero.clone(), zero.clone(), zero.clone(), zero];
    }
    [&cb[0] / &ab * &k, &cb[1] / &ab * &k, &cb[2] / &ab * &k, &ab * &k]
}

fn check_stack(canvas: (u32, u32), specs: &[Spec]) -> Result<(), TestCaseError> {
    let layers: Vec<Layer> =
        specs.iter().map(|s| Layer::new(&s.rgba, s.width, s.height, s.offset, canvas, s.mode)).collect();
    let refs: Vec<&Layer> = layers.iter().filter(|l| l.height > 0).collect();
    let mut out = vec![0xA5u8; (canvas.0 * canvas.1 * 4) as usize];
    composite(&refs, &mut out, canvas.0, &mut Scratch::default());
    for y in 0..canvas.1 {
        for x in 0..canvas.0 {
            let want = exact(specs, i64::from(x), i64::from(y));
            let i = ((y * canvas.0 + x) * 4) as usize;
            let got = &out[i..i + 4];
            let channels = if got[3] == 0 { 3..4 } else { 0..4 };
            for c in channels {
                let error = (BigRational::from_integer(got[c].into()) - &want[c]).to_f64().unwrap().abs();
                prop_assert!(
                    error < 0.5 + 1e-3,
                    "pixel ({x}, {y}) channel {c}: got {got:?}, exact {:?}",
                    want.iter().map(|v| v.to_f64().unwrap()).collect::<Vec<_>>()
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        // A fixed seed: CI runs the same cases every time.
        rng_seed: proptest::test_runner::RngSeed::Fixed(12),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn translucent_stacks_are_within_half_a_level_of_exact((canvas, specs) in stack()) {
        check_stack(canvas, &specs)?;
    }
}

/// The cases: one faint layer over a transparent canvas comes out unchanged.
#[test]
fn faint_pixels_keep_their_colour() {
    for px in [[107u8, 193, 192, 1], [255, 128, 1, 1], [3, 250, 77, 4], [200, 100, 50, 116]] {
        let layer = Layer::new(&px, 1, 1, (0, 0), (1, 1), BlendMode::Normal);
        let mut out = vec![0u8; 4];
        composite(&[&layer], &mut out, 1, &mut Scratch::default());
        assert_eq!(out, px);
    }
}

/// Eight faint layers on one pixel: a rounding per layer would drift.
#[test]
fn many_faint_layers_do_not_drift() {
    let specs: Vec<Spec> = (0..8)
        .map(|i| Spec {
            width: 1,
            height: 1,
            offset: (0, 0),
            mode: BlendMode::Normal,
            rgba: vec![127 + i, 64, 255 - i, 2 + i % 3],
        })
        .collect();
    check_stack((1, 1), &specs).unwrap();
}
