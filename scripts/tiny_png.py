"""Writes tiny RGBA PNGs with the standard library only (no Pillow).

Used to make the art of the checker's fixtures under tests/fixtures/art:
    python3 scripts/tiny_png.py
"""
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "art")


def png(path, width, height, rgba=(255, 0, 0, 255)):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgba) * width
    raw = row * height
    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
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


if __name__ == "__main__":
    main()
