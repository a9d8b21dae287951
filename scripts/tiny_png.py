"""Writes tiny RGBA PNGs with the standard library only (no Pillow).

Used to make the art of the checker's fixtures under tests/fixtures/art:
    python3 scripts/tiny_png.py

Colour fixtures (tests/fixtures/art/colour.drop) carry colour chunks before
their pixels: `iCCP` with the ICC profiles in tests/fixtures/art/profiles/
(written by moxcms: `ColorProfile::new_display_p3().encode()` and
`new_srgb()`), `sRGB`, `gAMA` and `cICP`.
"""
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "art")


def png(path, width, height, rgba=(255, 0, 0, 255), extra=(), rects=None, grey_alpha=False):
    """Writes an RGBA PNG: flat `rgba`, or transparent with `rects` of
    (x, y, w, h, rgba) painted on it; `extra` chunks (kind, data) go before IDAT.
    With `grey_alpha`, a flat grey + alpha PNG of `rgba`'s first and last values."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    colour_type = 6
    if grey_alpha:
        colour_type = 4
        raw = (b"\x00" + bytes((rgba[0], rgba[3])) * width) * height
    elif rects is None:
        raw = (b"\x00" + bytes(rgba) * width) * height
    else:
        pixels = [[(0, 0, 0, 0)] * width for _ in range(height)]
        for x0, y0, w, h, colour in rects:
            for y in range(y0, y0 + h):
                for x in range(x0, x0 + w):
                    pixels[y][x] = colour
        raw = b"".join(b"\x00" + b"".join(bytes(p) for p in row) for row in pixels)
    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
    for kind, body in extra:
        data += chunk(kind, body)
    data += chunk(b"IDAT", zlib.compress(raw, 9))
    data += chunk(b"IEND", b"")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    layers = os.path.join(ROOT, "layers")
    png(os.path.join(layers, "Background", "Blue.png"), 8, 8, (0, 0, 255, 255))
    png(os.path.join(layers, "Background", "Red.png"), 8, 8, (255, 0, 0, 255))
    png(os.path.join(layers, "Eyes", "Normal.png"), 8, 8, (0, 0, 0, 128))
    png(os.path.join(layers, "Eyes", "Wide.png"), 6, 6)
    png(os.path.join(layers, "Eyes", "Small.png"), 4, 4)
    png(os.path.join(layers, "Eyes", "Big.png"), 4, 4)
    png(os.path.join(layers, "hats", "cap.png"), 8, 8, (0, 255, 0, 200))
    png(os.path.join(ROOT, "legendaries", "one.png"), 8, 8, (255, 215, 0, 255))
    with open(os.path.join(layers, "Eyes", "Laser.png"), "w") as f:
        f.write("this is not a png\n")
    with open(os.path.join(layers, "Eyes", "Cut.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n\x00\x00")

    colour()
    visual()


def iccp(name, profile_file):
    with open(os.path.join(ROOT, "profiles", profile_file), "rb") as f:
        profile = f.read()
    return (b"iCCP", name + b"\x00\x00" + zlib.compress(profile, 9))


def colour():
    layers = os.path.join(ROOT, "colour-layers")
    srgb = (b"sRGB", b"\x00")
    gama = (b"gAMA", struct.pack(">I", 45455))
    p3 = iccp(b"Display P3", "display-p3.icc")
    png(os.path.join(layers, "Background", "Plain.png"), 8, 8, (0, 0, 255, 255))
    png(os.path.join(layers, "Background", "Tagged.png"), 8, 8, (0, 0, 255, 255), [gama, srgb])
    png(os.path.join(layers, "Background", "Photoshop.png"), 8, 8, (0, 0, 255, 255), [iccp(b"sRGB", "srgb.icc")])
    png(os.path.join(layers, "Eyes", "Normal.png"), 8, 8, (200, 100, 50, 255), [p3])
    png(os.path.join(layers, "Eyes", "Wide.png"), 8, 8, (200, 100, 50, 255), [gama])
    # cICP: primaries 9 (BT.2020), transfer 16 (PQ), matrix 0, full range.
    png(os.path.join(layers, "Glow", "Hdr.png"), 8, 8, (255, 255, 255, 255), [(b"cICP", bytes([9, 16, 0, 1]))])
    png(os.path.join(ROOT, "colour-layers", "legendary-p3.png"), 8, 8, (255, 0, 0, 255), [p3])
    # Grey + alpha carrying an RGB profile (Display P3): PNG says to ignore it (ignored_profile.drop).
    png(os.path.join(layers, "Mask", "Grey.png"), 8, 8, (90, 90, 90, 200), [p3], grey_alpha=True)


def visual():
    """tests/fixtures/art/visual.drop: an opaque helmet that hides the eyes."""
    layers = os.path.join(ROOT, "visual-layers")
    png(os.path.join(layers, "Background", "Blue.png"), 8, 8, (0, 0, 255, 255))
    png(os.path.join(layers, "Background", "Red.png"), 8, 8, (255, 0, 0, 255))
    png(os.path.join(layers, "Eyes", "Normal.png"), 8, 8, rects=[(2, 3, 1, 1, (0, 0, 0, 255)), (5, 3, 1, 1, (0, 0, 0, 255))])
    png(os.path.join(layers, "Eyes", "Laser.png"), 8, 8, rects=[(2, 3, 4, 1, (255, 0, 0, 200))])
    png(os.path.join(layers, "Eyes", "Cyber.png"), 8, 8, rects=[(2, 3, 4, 2, (0, 255, 255, 255))])
    png(os.path.join(layers, "Head", "Cap.png"), 8, 8, rects=[(1, 0, 6, 2, (0, 128, 0, 255))])
    png(os.path.join(layers, "Head", "Helmet.png"), 8, 8, rects=[(1, 1, 6, 5, (128, 128, 128, 255))])


if __name__ == "__main__":
    main()
