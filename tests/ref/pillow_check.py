#!/usr/bin/env python3
"""Cross-checks the source-over reference renders against Pillow.

Recomposes the `normal`-mode cases of tests/render.rs with Pillow's
`Image.alpha_composite` (the peers' Python scripts do exactly this) and
compares with tests/ref/expected/. They must be equal pixel for pixel: on an
opaque backdrop dropc's source-over is Pillow's formula.

`python3 tests/ref/pillow_check.py` (needs Pillow).
"""
import os
import sys

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def layer(rel, offset=(0, 0), opacity=1.0):
    art = Image.open(os.path.join(HERE, "layers", rel)).convert("RGBA")
    if opacity < 1.0:
        r, g, b, a = art.split()
        a = a.point(lambda v: int(v * opacity + 0.5))
        art = Image.merge("RGBA", (r, g, b, a))
    canvas = Image.new("RGBA", (16, 16), (0, 0, 0, 0))
    canvas.paste(art, offset)
    return canvas


CASES = {
    "base": [layer("Background/Grad.png"), layer("Body/Disc.png"), layer("Eyes/Dots.png")],
    "shade-normal": [layer("Background/Grad.png"), layer("Body/Disc.png"), layer("Shade/blob.png")],
    "shade-half": [layer("Background/Grad.png"), layer("Body/Disc.png"), layer("Shade/blob.png", opacity=0.5)],
    "body-offset-clipped": [layer("Background/Grad.png"), layer("Body/Disc.png", (5, -3))],
    "body-small-placed": [layer("Background/Grad.png"), layer("Body/small.png", (9, 9))],
    "body-faded": [layer("Background/Grad.png"), layer("Body/Disc.png", opacity=0.5), layer("Eyes/Dots.png")],
    "hair-long-below-body": [layer("Background/Grad.png"), layer("Hair/long-back.png"), layer("Body/Disc.png"),
                             layer("Hair/long-front.png"), layer("Eyes/Dots.png")],
    "hair-cap-above-eyes": [layer("Background/Grad.png"), layer("Body/Disc.png"), layer("Eyes/Dots.png"),
                            layer("Hair/Cap.png")],
}

bad = 0
for name, layers in CASES.items():
    out = layers[0]
    for l in layers[1:]:
        out = Image.alpha_composite(out, l)
    expected = Image.open(os.path.join(HERE, "expected", name + ".png")).convert("RGBA")
    got, want = out.tobytes(), expected.tobytes()
    px = lambda buf, i: tuple(buf[4 * i:4 * i + 4])
    diff = [(i % 16, i // 16, px(got, i), px(want, i)) for i in range(256) if px(got, i) != px(want, i)]
    print(f"{name}: {'ok' if not diff else f'{len(diff)} pixels differ, first {diff[0]}'}")
    bad += bool(diff)
sys.exit(1 if bad else 0)
