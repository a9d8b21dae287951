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

    python3 benches/pillow_baseline.py --reference IMAGES_DIR [TSV]

is the size reference of the `balanced` level instead: every PNG in
IMAGES_DIR (the `images` folder a `dropc run` wrote) is decoded and saved
again by Pillow at `compress_level=6`: zlib level 6 through the libz Pillow
loads (Pillow's wheels link the system's `libz.so.1`), with the Z_FILTERED
strategy, memory level 9 and Pillow's per-row filter choice among None, Up,
Sub and Paeth (least sum of absolute values). The same filtered rows are
also compressed again with Python's zlib at level 6, with those parameters
(which must give Pillow's size) and with the default strategy. It prints the total and
per-image bytes of each next to dropc's files, and how many of dropc's files
are larger than each reference. With TSV it also writes, one image a
line, its file name, Pillow's size and the default strategy's size (what
`DROPC_BENCH_REFERENCE` in `benches/render.rs` compares dropc's settings
with).
"""

import struct
import zlib

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


def chunks(png):
    """(type, data) of every chunk of the PNG bytes `png`."""
    pos = 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        yield png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        pos += 12 + length


def with_idat(png, stream):
    """The size of `png` with its IDAT chunks replaced by one holding `stream`."""
    other = sum(12 + len(data) for kind, data in chunks(png) if kind != b"IDAT")
    return 8 + other + 12 + len(stream)


def reference(images, tsv=None):
    names = sorted(n for n in os.listdir(images) if n.endswith(".png"))
    rows = []
    for name in names:
        path = os.path.join(images, name)
        dropc = os.path.getsize(path)
        with Image.open(path) as im:
            im.load()
            out = io.BytesIO()
            im.save(out, format="PNG", compress_level=6)
        pillow = out.getvalue()
        filtered = zlib.decompress(b"".join(d for k, d in chunks(pillow) if k == b"IDAT"))
        sizes = [dropc, len(pillow)]
        for strategy in (zlib.Z_FILTERED, zlib.Z_DEFAULT_STRATEGY):
            z = zlib.compressobj(6, zlib.DEFLATED, 15, 9, strategy)
            sizes.append(with_idat(pillow, z.compress(filtered) + z.flush()))
        rows.append(sizes)
    if tsv:
        with open(tsv, "w") as f:
            for name, r in zip(names, rows):
                f.write(f"{name}\t{r[1]}\t{r[3]}\n")
    n = len(rows)
    labels = [
        "dropc (as written)",
        "Pillow compress_level=6",
        "zlib 6, Pillow's filters, Z_FILTERED",
        "zlib 6, Pillow's filters, default",
    ]
    print(f"{n} images from {images}; Pillow {Image.__version__} (zlib {Image.core.zlib_version}), "
          f"Python's zlib {zlib.ZLIB_RUNTIME_VERSION}")
    for i, label in enumerate(labels):
        total = sum(r[i] for r in rows)
        line = f"  {label:38} {total:12,} bytes, {total / n / 1024:6.1f} KiB per image"
        if i > 0:
            larger = sum(1 for r in rows if r[0] > r[i])
            worst = max(r[0] / r[i] for r in rows) - 1
            line += f"; dropc larger on {larger} images (worst +{worst * 100:.2f} %), total {sum(r[0] for r in rows) / total - 1:+.2%}"
        print(line)


def main() -> None:
    if len(sys.argv) in (3, 4) and sys.argv[1] == "--reference":
        reference(sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else None)
        return
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
