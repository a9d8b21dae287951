#!/usr/bin/env python3
"""Pillow baseline for `benches/render.rs`: the same layers, the same tokens,
composited and saved the straightforward way.

Run `cargo bench --bench render` first (it writes the layer set and the
benchmark's tokens), then:

    python3 benches/pillow_baseline.py [PROJECT_DIR] [ROUNDS] [WORKERS]

PROJECT_DIR defaults to `target/tmp/render-bench` (use
`$CARGO_TARGET_DIR/tmp/render-bench` when CARGO_TARGET_DIR is set). Each
token is `Image.alpha_composite` of its 8 layers bottom to top, converted to
RGB when fully opaque (as dropc writes it), and saved as PNG at
`compress_level=6` (zlib level 6 with Pillow's adaptive row filter) into
memory.

With WORKERS = 1 (the default) it prints CPU milliseconds per image for
compositing and for encoding, the images per second of both together on
one core, and KiB per image. With WORKERS > 1 it is the script a studio
would write for a multi-core machine: a `multiprocessing` pool of that many
processes, each loading the layers once, the tokens shared out among them;
it prints wall-clock images per second and KiB per image.
"""

import io
import os
import sys
import time
from multiprocessing import Pool

from PIL import Image

ROOT = ""
LAYERS = {}


def load(root, tokens):
    layers = {}
    for token in tokens:
        for t, v in enumerate(token):
            if (t, v) not in layers:
                with Image.open(os.path.join(root, "layers", f"T{t}", f"V{v}.png")) as im:
                    layers[(t, v)] = im.convert("RGBA")
                    layers[(t, v)].load()
    return layers


def composite(layers, token):
    image = layers[(0, token[0])].copy()
    for t, v in enumerate(token[1:], start=1):
        image = Image.alpha_composite(image, layers[(t, v)])
    if image.getextrema()[3] == (255, 255):
        image = image.convert("RGB")
    return image


def save(image):
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.tell()


def worker_init(root, tokens):
    global LAYERS
    LAYERS = load(root, tokens)


def worker(token):
    return save(composite(LAYERS, token))


def main() -> None:
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(target, "tmp", "render-bench")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    with open(os.path.join(root, "tokens.txt")) as f:
        tokens = [[int(v) for v in line.split()] for line in f if line.strip()]

    if workers > 1:
        work = tokens * rounds
        with Pool(workers, initializer=worker_init, initargs=(root, tokens)) as pool:
            pool.map(worker, tokens[:workers])  # every worker has loaded its layers
            start = time.perf_counter()
            sizes = pool.map(worker, work, chunksize=1)
            wall = time.perf_counter() - start
        print(f"Pillow {Image.__version__}, {len(work)} images, {workers} worker processes (wall clock):")
        print(f"  {len(work) / wall:.1f} images/s, {sum(sizes) / len(work) / 1024:.0f} KiB per image")
        return

    layers = load(root, tokens)
    composite_s = encode_s = 0.0
    total_bytes = 0
    for _ in range(rounds):
        for token in tokens:
            start = time.process_time()
            image = composite(layers, token)
            middle = time.process_time()
            total_bytes += save(image)
            end = time.process_time()
            composite_s += middle - start
            encode_s += end - middle
    n = len(tokens) * rounds
    per_image = (composite_s + encode_s) / n
    print(f"Pillow {Image.__version__}, {n} images of {image.width}x{image.height}, one core (CPU time):")
    print(f"  composite {composite_s / n * 1000:.2f} ms, encode (compress_level 6) {encode_s / n * 1000:.1f} ms per image")
    print(f"  {1 / per_image:.1f} images/s, {total_bytes / n / 1024:.0f} KiB per image")


if __name__ == "__main__":
    main()
