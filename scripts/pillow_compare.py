#!/usr/bin/env python3
"""Compares dropc's compositing with Pillow's `Image.alpha_composite` and with
exact arithmetic, on the same layers.

    python3 scripts/pillow_compare.py DIR

DIR holds `layer0.png`, `layer1.png`, ... (straight RGBA, all the same size,
bottom first) and `dropc.png`, dropc's render of those layers stacked with
blend `normal`. Prints one JSON object:

- `dropc_vs_exact`, `pillow_vs_exact`: the largest difference, over every
  channel of every pixel whose output alpha is at least 1 (alpha alone where
  it is 0), between that image and exact source-over of the whole stack
  (Python `Fraction`s, rounded only when compared);
- `dropc_vs_pillow`: the largest difference between the two images, and
  `differing_pixels`, how many pixels differ at all.

`tests/pillow.rs` runs it (when python3 and Pillow are installed).
"""

import json
import os
import sys
from fractions import Fraction

from PIL import Image


def exact_stack(pixels):
    """Exact straight RGBA (0-255 scale) of straight RGBA `pixels`, bottom first."""
    cb = [Fraction(0)] * 3
    ab = Fraction(0)
    for r, g, b, a in pixels:
        sa = Fraction(a, 255)
        cb = [Fraction(c, 255) * sa + d * (1 - sa) for c, d in zip((r, g, b), cb)]
        ab = sa + ab * (1 - sa)
    if ab == 0:
        return [Fraction(0)] * 4
    return [c / ab * 255 for c in cb] + [ab * 255]


def pixels(image):
    """The RGBA tuples of `image`, row by row (`getdata` is deprecated in Pillow 13)."""
    raw = image.tobytes()
    return [tuple(raw[i : i + 4]) for i in range(0, len(raw), 4)]


def main() -> None:
    root = sys.argv[1]
    names = sorted(
        (n for n in os.listdir(root) if n.startswith("layer") and n.endswith(".png")),
        key=lambda n: int(n[5:-4]),
    )
    layers = [Image.open(os.path.join(root, n)).convert("RGBA") for n in names]
    dropc = Image.open(os.path.join(root, "dropc.png")).convert("RGBA")
    pillow = layers[0]
    for layer in layers[1:]:
        pillow = Image.alpha_composite(pillow, layer)
    data = [pixels(layer) for layer in layers]
    got_d, got_p = pixels(dropc), pixels(pillow)
    worst = {"dropc_vs_exact": 0.0, "pillow_vs_exact": 0.0, "dropc_vs_pillow": 0}
    differing = 0
    for i, (d, p) in enumerate(zip(got_d, got_p)):
        want = exact_stack([layer[i] for layer in data])
        for key, got in (("dropc_vs_exact", d), ("pillow_vs_exact", p)):
            channels = range(4) if got[3] > 0 else range(3, 4)
            for c in channels:
                worst[key] = max(worst[key], float(abs(got[c] - want[c])))
        # Fully transparent in both: the colour means nothing.
        diff = 0 if d[3] == p[3] == 0 else max(abs(x - y) for x, y in zip(d, p))
        worst["dropc_vs_pillow"] = max(worst["dropc_vs_pillow"], diff)
        differing += diff > 0
    worst["differing_pixels"] = differing
    worst["pixels"] = len(got_d)
    worst["pillow"] = Image.__version__
    print(json.dumps(worst))


if __name__ == "__main__":
    main()
