#!/usr/bin/env python3
"""Writes the tiny fixture art of tests/ref (standard library only).

Every file is written in a deliberately different PNG colour type, so that the
reference renders also exercise decoding: RGB, grey with tRNS, grey+alpha,
indexed with tRNS at 8 and 2 bits, RGB with tRNS, and 16-bit RGBA / grey+alpha.
`colour/` holds the same pixels in a native colour type and as plain 8-bit
RGBA (`*.rgba.png`): the decoder must turn both into the same RGBA.

Run from anywhere: `python3 tests/ref/make_art.py`. Output is deterministic.
"""

import math
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def chunk(kind, data):
    out = struct.pack(">I", len(data)) + kind + data
    return out + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples, bit_depth):
    """Packs a row of integer samples at bit_depth (1, 2, 4, 8 or 16)."""
    if bit_depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if bit_depth == 8:
        return bytes(samples)
    per_byte = 8 // bit_depth
    out = bytearray()
    for i in range(0, len(samples), per_byte):
        byte = 0
        group = samples[i:i + per_byte]
        for j in range(per_byte):
            byte <<= bit_depth
            if j < len(group):
                byte |= group[j]
        out.append(byte)
    return bytes(out)


def write_png(rel, width, height, colour_type, bit_depth, rows, plte=None, trns=None):
    """rows: list of lists of integer samples (channels interleaved)."""
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    raw = b"".join(b"\x00" + pack_row(r, bit_depth) for r in rows)
    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0))
    if plte is not None:
        png += chunk(b"PLTE", b"".join(bytes(c) for c in plte))
    if trns is not None:
        png += chunk(b"tRNS", trns)
    png += chunk(b"IDAT", zlib.compress(raw, 9))
    png += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def rgba8(rel, pixels, width, height):
    """pixels: function (x, y) -> (r, g, b, a)."""
    rows = [[v for x in range(width) for v in pixels(x, y)] for y in range(height)]
    write_png(rel, width, height, 6, 8, rows)


N = 16  # canvas side


def dist(x, y, cx, cy):
    return math.hypot(x + 0.5 - cx, y + 0.5 - cy)


# --- the collection's layers -------------------------------------------------

# Background/Grad.png: opaque RGB gradient.
write_png("layers/Background/Grad.png", N, N, 2, 8,
          [[v for x in range(N) for v in (x * 16, y * 16, 128)] for y in range(N)])

# Background/half.png: grey + alpha, semi-transparent everywhere.
write_png("layers/Background/half.png", N, N, 4, 8,
          [[v for x in range(N) for v in (200, 96 + 8 * x)] for y in range(N)])

# Body/Disc.png: indexed, 8-bit, with tRNS (0 clear, 3 a half-transparent edge).
DISC_PLTE = [(0, 0, 0), (0xC0, 0x30, 0x30), (0x80, 0x10, 0x10), (0xC0, 0x30, 0x30)]


def disc_index(x, y):
    d = dist(x, y, 8, 9)
    return 1 if d < 3.5 else 2 if d < 4.8 else 3 if d < 5.8 else 0


write_png("layers/Body/Disc.png", N, N, 3, 8,
          [[disc_index(x, y) for x in range(N)] for y in range(N)],
          plte=DISC_PLTE, trns=bytes([0, 255, 255, 128]))

# Body/small.png: 6 x 6 RGBA checker, placed with an offset.
rgba8("layers/Body/small.png",
      lambda x, y: (250, 220, 40, 255) if (x + y) % 2 == 0 else (40, 200, 250, 160), 6, 6)

# Shade/blob.png: 16-bit RGBA soft blob (values are 8-bit ones times 257).
def blob(x, y):
    a = max(0, min(255, int(round(255 - 28 * dist(x, y, 9, 7)))))
    return (x * 17, y * 17, 255 - x * 8, a)


write_png("layers/Shade/blob.png", N, N, 6, 16,
          [[v * 257 for x in range(N) for v in blob(x, y)] for y in range(N)])

# Hair/long-back.png: grey with a tRNS key (grey 0 is transparent).
write_png("layers/Hair/long-back.png", N, N, 0, 8,
          [[90 if 2 <= x <= 13 and y >= 5 else 0 for x in range(N)] for y in range(N)],
          trns=struct.pack(">H", 0))

# Hair/long-front.png: RGBA fringe.
rgba8("layers/Hair/long-front.png",
      lambda x, y: (60, 40, 20, 255) if 4 <= x <= 11 and 2 <= y <= 4 else (0, 0, 0, 0), N, N)

# Hair/Cap.png: RGB with a tRNS colour key (magenta is transparent).
write_png("layers/Hair/Cap.png", N, N, 2, 8,
          [[v for x in range(N) for v in ((20, 60, 200) if 3 <= x <= 12 and 1 <= y <= 5 else (255, 0, 255))]
           for y in range(N)],
          trns=struct.pack(">HHH", 255, 0, 255))

# Eyes/Dots.png: 16-bit grey + alpha, two white dots whose top row the cap hides.
write_png("layers/Eyes/Dots.png", N, N, 4, 16,
          [[v * 257 for x in range(N) for v in
            ((255, 255) if (x in (5, 6, 9, 10) and y in (5, 6)) else (0, 0))] for y in range(N)])

# Glow/Soft.png: 2-bit indexed with tRNS: diagonal stripes.
write_png("layers/Glow/Soft.png", N, N, 3, 2,
          [[(1 if (x + y) % 4 == 0 else 2 if (x + y) % 4 == 1 else 0) for x in range(N)] for y in range(N)],
          plte=[(0, 0, 0), (255, 255, 128), (128, 255, 255)], trns=bytes([0, 200, 255]))

# legendaries/one.png: the legendary's own image, opaque RGB.
write_png("legendaries/one.png", N, N, 2, 8,
          [[v for x in range(N) for v in ((255, 215, 0) if (x // 4 + y // 4) % 2 else (30, 0, 60))]
           for y in range(N)])

# --- colour types, each with its 8-bit RGBA equivalent -----------------------

W, H = 7, 5  # odd width: low bit depths end mid-byte


def pair(name, colour_type, bit_depth, rows, rgba, plte=None, trns=None):
    write_png(f"colour/{name}.png", W, H, colour_type, bit_depth, rows, plte, trns)
    rgba8(f"colour/{name}.rgba.png", rgba, W, H)


def grey(x, y):
    return (x * 37 + y * 11) % 256


pair("grey8", 0, 8, [[grey(x, y) for x in range(W)] for y in range(H)],
     lambda x, y: (grey(x, y),) * 3 + (255,))
pair("grey4", 0, 4, [[(x + 3 * y) % 16 for x in range(W)] for y in range(H)],
     lambda x, y: ((x + 3 * y) % 16 * 17,) * 3 + (255,))
pair("grey8-trns", 0, 8, [[grey(x, y) for x in range(W)] for y in range(H)],
     lambda x, y: (grey(x, y),) * 3 + ((0,) if grey(x, y) == grey(2, 1) else (255,)),
     trns=struct.pack(">H", grey(2, 1)))
pair("greyalpha8", 4, 8, [[v for x in range(W) for v in (grey(x, y), 40 * y)] for y in range(H)],
     lambda x, y: (grey(x, y),) * 3 + (40 * y,))
pair("greyalpha16", 4, 16, [[v * 257 for x in range(W) for v in (grey(x, y), 40 * y)] for y in range(H)],
     lambda x, y: (grey(x, y),) * 3 + (40 * y,))
PAL = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 20, 30)]
ALPHA = [255, 128, 0]  # index 3 has no tRNS entry: opaque
pair("indexed8-trns", 3, 8, [[(x + y) % 4 for x in range(W)] for y in range(H)],
     lambda x, y: PAL[(x + y) % 4] + ((ALPHA + [255])[(x + y) % 4],), plte=PAL, trns=bytes(ALPHA))
pair("indexed2-trns", 3, 2, [[(x * y) % 4 for x in range(W)] for y in range(H)],
     lambda x, y: PAL[(x * y) % 4] + ((ALPHA + [255])[(x * y) % 4],), plte=PAL, trns=bytes(ALPHA))
pair("rgb16", 2, 16, [[v * 257 for x in range(W) for v in (x * 30, y * 50, 77)] for y in range(H)],
     lambda x, y: (x * 30, y * 50, 77, 255))
pair("rgba16", 6, 16, [[v * 257 for x in range(W) for v in (x * 30, y * 50, 77, 255 - 50 * y)] for y in range(H)],
     lambda x, y: (x * 30, y * 50, 77, 255 - 50 * y))
pair("rgb8-trns", 2, 8, [[v for x in range(W) for v in ((x % 2) * 200, 10, 20)] for y in range(H)],
     lambda x, y: ((x % 2) * 200, 10, 20, 0 if x % 2 == 0 else 255), trns=struct.pack(">HHH", 0, 10, 20))
