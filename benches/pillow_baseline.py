#!/usr/bin/env python3
"""Pillow baseline for `benches/render.rs`: the same layers, the same tokens,
composited and saved the straightforward way, on one core.

Run `cargo bench --bench render` first (it writes the layer set and the
benchmark's tokens), then:

    python3 benches/pillow_baseline.py [PROJECT_DIR] [ROUNDS]

PROJECT_DIR defaults to `target/tmp/render-bench` (use
`$CARGO_TARGET_DIR/tmp/render-bench` when CARGO_TARGET_DIR is set). Each
token is `Image.alpha_composite` of its 8 layers bottom to top, converted to
RGB when fully opaque (as dropc writes it), and saved as PNG at
`compress_level=6` (zlib level 6 with Pillow's adaptive row filter) into
memory. Prints milliseconds per image for compositing and for encoding, the
images per second of both together, and KiB per image.
"""

import io
import os
import sys
import time

from PIL import Image


def main() -> None:
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(target, "tmp", "render-bench")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with open(os.path.join(root, "tokens.txt")) as f:
        tokens = [[int(v) for v in line.split()] for line in f if line.strip()]
    layers = {}
    for token in tokens:
        for t, v in enumerate(token):
            if (t, v) not in layers:
                with Image.open(os.path.join(root, "layers", f"T{t}", f"V{v}.png")) as im:
                    layers[(t, v)] = im.convert("RGBA")
                    layers[(t, v)].load()

    composite_s = encode_s = 0.0
    total_bytes = 0
    for _ in range(rounds):
        for token in tokens:
            start = time.process_time()
            image = layers[(0, token[0])].copy()
            for t, v in enumerate(token[1:], start=1):
                image = Image.alpha_composite(image, layers[(t, v)])
            if image.getextrema()[3] == (255, 255):
                image = image.convert("RGB")
            middle = time.process_time()
            out = io.BytesIO()
            image.save(out, format="PNG", compress_level=6)
            end = time.process_time()
            composite_s += middle - start
            encode_s += end - middle
            total_bytes += out.tell()
    n = len(tokens) * rounds
    per_image = (composite_s + encode_s) / n
    print(f"Pillow {Image.__version__}, {n} images of {image.width}x{image.height}, one core (CPU time):")
    print(f"  composite {composite_s / n * 1000:.2f} ms, encode (compress_level 6) {encode_s / n * 1000:.1f} ms per image")
    print(f"  {1 / per_image:.1f} images/s, {total_bytes / n / 1024:.0f} KiB per image")


if __name__ == "__main__":
    main()
