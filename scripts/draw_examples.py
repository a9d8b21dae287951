#!/usr/bin/env python3
"""Draw the art of the example collections under `examples/`.

Usage (from anywhere; paths are found from this file's location):

    pip install pillow
    python3 scripts/draw_examples.py

It writes every art file that the example `.drop` files name, and nothing else:

    examples/pixel-pets/layers/...        32 x 32 pixel art
    examples/neon-apes/layers/...         256 x 256 antialiased art
    examples/neon-apes/legendaries/...    the two hand-made one-of-ones
    examples/solana-sprites/layers/...    24 x 24 pixel art
    examples/match-monsters/layers/...    16 x 16 pixel art

The output is deterministic: every shape has fixed coordinates, the few
scattered details (stars, bubbles, rain, windows) come from `random.Random`
with fixed seeds, and PNGs are written without timestamps or text chunks, so
running the script twice gives byte-identical files (for a given Pillow/zlib).

How the art is made:

- Pixel art (Pixel Pets, Solana Sprites) is drawn straight at canvas size with
  hard edges; `resize nearest` in the `.drop` files keeps it crisp when scaled.
- Neon Apes is drawn at SS times the canvas size and reduced with a box filter
  over premultiplied alpha, which antialiases every edge.
- Source art of a `palette` derivation must contain the palette's colours
  exactly. Those layers (`Body/Ape.png`, `Slime/Green.png`) use only flat
  colours: Ape.png is reduced with `Art.exact_image`, which antialiases the
  alpha but keeps every pixel's colour one of the flat colours drawn.

Every file is RGBA. Trait layers are transparent outside their drawing;
backgrounds and legendaries are opaque everywhere.
"""

import math
import random
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CLEAR = (0, 0, 0, 0)


# ---------------------------------------------------------------------------
# Shared helpers


def save(img, path):
    """Writes `img` as a PNG without metadata, creating folders as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PNG", optimize=True)


def rgb(hex_colour):
    """`#rrggbb` -> (r, g, b)."""
    h = hex_colour.lstrip("#")
    return tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))


def mix(a, b, t):
    """Linear mix of two `#rrggbb` colours, as an (r, g, b) tuple."""
    ca, cb = rgb(a), rgb(b)
    return tuple(round(x + (y - x) * t) for x, y in zip(ca, cb))


def gradient_colour(stops, t):
    """Colour at `t` (0..1) of a gradient given as [(t0, colour), (t1, colour), ...]."""
    for (t0, c0), (t1, c1) in zip(stops, stops[1:]):
        if t <= t1:
            return mix(c0, c1, 0 if t1 == t0 else (t - t0) / (t1 - t0))
    return rgb(stops[-1][1])


def hue_shift(img, degrees):
    """Rotates the hue of every pixel of an RGBA image, keeping its alpha."""
    alpha = img.getchannel("A")
    h, s, v = img.convert("RGB").convert("HSV").split()
    step = round(degrees / 360 * 256)
    h = h.point(lambda x: (x + step) % 256)
    out = Image.merge("HSV", (h, s, v)).convert("RGB").convert("RGBA")
    out.putalpha(alpha)
    return out


def tint(img, dark, mid, light):
    """Recolours an RGBA image as a three-colour duotone of its brightness."""
    alpha = img.getchannel("A")
    out = ImageOps.colorize(img.convert("L"), black=dark, mid=mid, white=light).convert("RGBA")
    out.putalpha(alpha)
    return out


def with_opacity(img, opacity):
    """A copy of an RGBA image with its alpha scaled by `opacity` (0..1)."""
    out = img.copy()
    out.putalpha(img.getchannel("A").point(lambda a: round(a * opacity)))
    return out


def screen(base, layer):
    """`blend screen` of an RGBA layer onto an opaque RGBA base."""
    lit = ImageChops.screen(base.convert("RGB"), layer.convert("RGB")).convert("RGBA")
    return Image.composite(lit, base, layer.getchannel("A"))


# ---------------------------------------------------------------------------
# Pixel art: drawn at canvas size, one pixel at a time or with hard-edged shapes


def pixels(size):
    """A transparent pixel canvas and its drawing context."""
    img = Image.new("RGBA", size, CLEAR)
    return img, ImageDraw.Draw(img)


def stamp(draw, x0, y0, rows, colours):
    """Draws ASCII art: each character of `rows` is a key of `colours`; `.` is transparent."""
    for y, row in enumerate(rows):
        for x, ch in enumerate(row):
            if ch != ".":
                draw.point((x0 + x, y0 + y), fill=colours[ch])


def banded(size, colours, band):
    """An opaque RGBA image of horizontal colour bands, `band` pixels high, top to bottom."""
    img = Image.new("RGBA", size, "#000000")
    d = ImageDraw.Draw(img)
    for i, colour in enumerate(colours):
        d.rectangle((0, i * band, size[0], (i + 1) * band - 1), fill=colour)
    return img, d


# ---------------------------------------------------------------------------
# Pixel Pets (32 x 32)

PET = (32, 32)
PET_INK = "#1b1b2f"


def pets_backgrounds():
    out = {}
    # Mint: diagonal stripes.
    img = Image.new("RGBA", PET, "#b8f2d0")
    d = ImageDraw.Draw(img)
    for k in range(-32, 32, 6):
        d.line([(k, 32), (k + 32, 0)], fill="#a2e6bd", width=2)
    out["Mint"] = img
    # Peach: polka dots.
    img = Image.new("RGBA", PET, "#ffd9bd")
    d = ImageDraw.Draw(img)
    for y in range(2, 32, 8):
        for x in range(2 + (y // 8 % 2) * 4, 32, 8):
            d.rectangle((x, y, x + 1, y + 1), fill="#ffc19a")
    out["Peach"] = img
    # Sky: two clouds.
    img = Image.new("RGBA", PET, "#a8d8ff")
    d = ImageDraw.Draw(img)
    cloud = ["..###...", ".#####..", "########"]
    stamp(d, 2, 4, cloud, {"#": "#ffffff"})
    stamp(d, 21, 9, cloud, {"#": "#eef7ff"})
    out["Sky"] = img
    # Lavender: a soft checkerboard.
    img = Image.new("RGBA", PET, "#dccbff")
    d = ImageDraw.Draw(img)
    for y in range(0, 32, 4):
        for x in range((y // 4 % 2) * 4, 32, 8):
            d.rectangle((x, y, x + 3, y + 3), fill="#d0bcfb")
    out["Lavender"] = img
    # Night: stars and a crescent moon.
    img = Image.new("RGBA", PET, "#1d1f4a")
    d = ImageDraw.Draw(img)
    rng = random.Random(32)
    for _ in range(14):
        d.point((rng.randrange(32), rng.randrange(32)), fill=rng.choice(["#ffffff", "#fff3a8", "#9fa8ff"]))
    d.ellipse((22, 2, 29, 9), fill="#fff3a8")
    d.ellipse((24, 1, 31, 8), fill="#1d1f4a")
    out["Night"] = img
    return out


PET_FUR = {  # fur, belly, cheeks
    "Cat": ("#f2a541", "#ffe3b8", "#ff8fa3"),
    "Frog": ("#6cc04a", "#d8f5a2", "#ff9eb0"),
    "Bunny": ("#f4f2f8", "#ffd6e0", "#ff9eb8"),
}


def pet_body(kind):
    """One pet's body: ears or bumps, a round body, belly, cheeks and feet."""
    img, d = pixels(PET)
    if kind == "Ghost":
        body, edge = (236, 240, 255, 215), "#7b80b8"  # a little see-through
        d.pieslice((6, 8, 25, 27), 180, 360, fill=body, outline=edge)
        d.rectangle((6, 17, 25, 26), fill=body)
        d.line([(6, 17), (6, 27)], fill=edge)
        d.line([(25, 17), (25, 27)], fill=edge)
        # Wavy hem.
        for x in range(6, 26):
            y = 27 + (1 if (x // 3) % 2 else 0)
            d.line([(x, 26), (x, y)], fill=body)
            d.point((x, y + 1), fill=edge)
        d.point((9, 19), fill="#ffb3c6")
        d.point((22, 19), fill="#ffb3c6")
        return img
    fur, belly, cheek = PET_FUR[kind]
    if kind == "Cat":
        d.line([(24, 25), (28, 21), (28, 15)], fill=PET_INK, width=3)
        d.line([(24, 25), (28, 21), (28, 15)], fill=fur, width=1)
        d.polygon([(7, 14), (8, 5), (15, 11)], fill=fur, outline=PET_INK)
        d.polygon([(24, 14), (23, 5), (16, 11)], fill=fur, outline=PET_INK)
        d.point((9, 9), fill=cheek)
        d.point((22, 9), fill=cheek)
    elif kind == "Bunny":
        for x0 in (9, 17):
            d.ellipse((x0, 0, x0 + 5, 14), fill=fur, outline=PET_INK)
            d.line([(x0 + 2, 3), (x0 + 2, 10)], fill=cheek, width=2)
    elif kind == "Frog":
        d.ellipse((7, 7, 15, 15), fill=fur, outline=PET_INK)
        d.ellipse((16, 7, 24, 15), fill=fur, outline=PET_INK)
    d.ellipse((6, 10, 25, 29), fill=fur, outline=PET_INK)
    d.ellipse((11, 19, 20, 28), fill=belly)
    d.point((9, 19), fill=cheek)
    d.point((22, 19), fill=cheek)
    for x0 in (8, 18):
        d.ellipse((x0, 27, x0 + 5, 30), fill=fur, outline=PET_INK)
    return img


def pets_eyes():
    out = {}
    img, d = pixels(PET)
    for x in (11, 19):
        d.rectangle((x, 15, x + 1, 16), fill=PET_INK)
        d.point((x, 15), fill="#ffffff")
    out["Dots"] = img
    img, d = pixels(PET)
    for x in (10, 18):
        d.line([(x, 16), (x + 3, 16)], fill=PET_INK)
    stamp(d, 25, 3, ["####", "..#.", ".#..", "####"], {"#": "#7b80b8"})  # a little "z"
    out["Sleepy"] = img
    img, d = pixels(PET)
    heart = ["#.#", "###", ".#."]
    for x in (10, 18):
        stamp(d, x, 14, heart, {"#": "#ff3b6b"})
    out["Hearts"] = img
    img, d = pixels(PET)
    d.line([(8, 14), (23, 14)], fill=PET_INK)
    for x in (9, 17):
        d.rectangle((x, 14, x + 5, 17), fill=PET_INK)
        d.point((x + 1, 15), fill="#ffffff")
    out["Shades"] = img
    return out


def pets_mouths():
    out = {}
    img, d = pixels(PET)
    for p in [(14, 20), (15, 21), (16, 21), (17, 20)]:
        d.point(p, fill=PET_INK)
    out["Smile"] = img
    img, d = pixels(PET)
    d.line([(13, 20), (18, 20)], fill=PET_INK)
    d.rectangle((15, 21, 16, 22), fill="#ff6f91")
    out["Tongue"] = img
    img, d = pixels(PET)
    d.line([(13, 20), (18, 20)], fill=PET_INK)
    d.point((14, 21), fill="#ffffff")
    d.point((17, 21), fill="#ffffff")
    out["Fangs"] = img
    return out


def pets_hats():
    out = {}
    img, d = pixels(PET)
    d.chord((8, 4, 23, 18), 180, 360, fill="#e63946", outline=PET_INK)
    d.rectangle((8, 9, 23, 11), fill="#f1faee", outline=PET_INK)
    d.ellipse((13, 1, 18, 5), fill="#f1faee", outline=PET_INK)
    out["Beanie"] = img
    img, d = pixels(PET)
    bow = ["##...##", "###.###", "#######", "###.###", "##...##"]
    stamp(d, 18, 6, bow, {"#": "#ff5fa2"})
    d.rectangle((21, 8, 21, 8), fill="#c2185b")
    out["Bow"] = img
    img, d = pixels(PET)
    d.chord((10, 6, 21, 17), 180, 360, fill="#3a86ff", outline=PET_INK)
    d.line([(15, 3), (15, 6)], fill=PET_INK)
    d.line([(10, 3), (14, 3)], fill="#ff006e")
    d.line([(16, 3), (20, 3)], fill="#ffbe0b")
    out["Propeller"] = img
    img, d = pixels(PET)
    crown = ["#..#..#", "##.#.##", "#######", "#######"]
    stamp(d, 12, 6, crown, {"#": "#ffcc33"})
    d.point((15, 8), fill="#e63946")
    d.point((13, 9), fill="#3a86ff")
    d.point((17, 9), fill="#3a86ff")
    out["Crown"] = img
    return out


def draw_pixel_pets():
    layers = EXAMPLES / "pixel-pets" / "layers"
    for name, img in pets_backgrounds().items():
        save(img, layers / "Background" / f"{name}.png")
    for kind in ("Cat", "Frog", "Bunny", "Ghost"):
        save(pet_body(kind), layers / "Body" / f"{kind}.png")
    for name, img in pets_eyes().items():
        save(img, layers / "Eyes" / f"{name}.png")
    for name, img in pets_mouths().items():
        save(img, layers / "Mouth" / f"{name}.png")
    for name, img in pets_hats().items():
        save(img, layers / "Hat" / f"{name}.png")


# ---------------------------------------------------------------------------
# Solana Sprites (24 x 24)

SPRITE = (24, 24)
SLIME_BODY, SLIME_SHADE, SLIME_SHINE = "#4cc94c", "#2e8a3e", "#b6f0a0"  # Slime/Blue's palette sources


def draw_solana_sprites():
    layers = EXAMPLES / "solana-sprites" / "layers"
    skies = {
        "Dawn": ["#ffe3c2", "#ffd1a6", "#ffbf9b", "#ffad95", "#f79c94", "#e98b95"],
        "Dusk": ["#2b1d4f", "#3d2466", "#552c7a", "#73338a", "#933b93", "#b34694"],
        "Sea": ["#bde8ff", "#92d5f7", "#67c0ee", "#3fa6e0", "#2787c9", "#1b69ad"],
        "Moss": ["#e4f5c9", "#cfe9a7", "#b5d985", "#97c66a", "#7ab055", "#5e9743"],
    }
    for name, colours in skies.items():
        img, d = banded(SPRITE, colours, 4)
        if name == "Sea":
            for x in range(0, 24, 6):
                d.line([(x, 17), (x + 2, 16), (x + 4, 17)], fill="#e6f7ff")
        if name == "Dusk":
            for x, y in [(3, 2), (17, 3), (11, 6), (20, 9)]:
                d.point((x, y), fill="#fff3a8")
        save(img, layers / "Background" / f"{name}.png")

    img, d = pixels(SPRITE)
    slime = [
        "......######......",
        "....##oooooo##....",
        "...#oooooooooo#...",
        "..#ossooooooooo#..",
        "..#osoooooooooo#..",
        ".#oooooooooooooo#.",
        ".#oooooooooooooo#.",
        "#oooooooooooooooo#",
        "#oooooooooooooooo#",
        "#oooooooooooooooo#",
        "#ooo#oooooooo#ooo#",
        ".#######..#######.",
    ]
    stamp(d, 3, 8, slime, {"#": SLIME_SHADE, "o": SLIME_BODY, "s": SLIME_SHINE})
    save(img, layers / "Slime" / "Green.png")

    img, d = pixels(SPRITE)
    for x in (9, 14):
        d.line([(x, 14), (x, 15)], fill="#14213d")
    save(img, layers / "Eyes" / "Happy.png")
    img, d = pixels(SPRITE)
    d.line([(9, 14), (9, 15)], fill="#14213d")
    d.line([(13, 15), (15, 15)], fill="#14213d")
    save(img, layers / "Eyes" / "Wink.png")

    img, d = pixels(SPRITE)
    d.line([(12, 4), (12, 7)], fill="#6b4226")
    stamp(d, 9, 0, ["..###", ".####", "####.", "##..."], {"#": "#3fa34d"})
    save(img, layers / "Hat" / "Leaf.png")
    img, d = pixels(SPRITE)
    d.ellipse((6, 2, 17, 6), outline="#ffe066")
    d.ellipse((7, 3, 16, 5), outline="#fff6bf")
    save(img, layers / "Hat" / "Halo.png")


# ---------------------------------------------------------------------------
# Neon Apes (256 x 256, antialiased)

APE = 256
SS = 4  # supersampling factor

# Where things are, shared by every layer so that they fit together.
HEAD = (72, 44, 184, 172)             # head ellipse
EARS = [(72, 112), (184, 112)]        # ear centres (radius 20)
TORSO = (40, 168, 216, 340)           # torso ellipse (runs off the bottom)
EYES = [(110, 106), (146, 106)]       # eye centres
MOUTH_Y = 150

OUT = "#1b1026"  # outline ink shared by all layers

# Body/Ape.png's flat colours; Body.Gold maps these four (see apes.drop).
FUR, FUR_DARK, SKIN, SKIN_DARK = "#6b4a3a", "#523628", "#d9a784", "#b98463"


def _scale(value):
    """Scales coordinates (numbers, or nested tuples and lists of them) by SS."""
    if isinstance(value, (int, float)):
        return value * SS
    return type(value)(_scale(v) for v in value)


def grow(box, by):
    """A box grown by `by` on every side."""
    x0, y0, x1, y1 = box
    return (x0 - by, y0 - by, x1 + by, y1 + by)


def shift(box, dx, dy):
    """A box moved by (dx, dy)."""
    x0, y0, x1, y1 = box
    return (x0 + dx, y0 + dy, x1 + dx, y1 + dy)


class Art:
    """A drawing in canvas coordinates, kept at SS times the size until it is done."""

    def __init__(self, w=APE, h=APE, fill=CLEAR):
        self.w, self.h = w, h
        self.big = Image.new("RGBA", (w * SS, h * SS), fill)
        self.draw = ImageDraw.Draw(self.big)

    # Shapes; `width` is an outline or line width in canvas pixels.
    def ellipse(self, box, fill=None, outline=None, width=1):
        self.draw.ellipse(_scale(box), fill=fill, outline=outline, width=round(width * SS))

    def circle(self, centre, r, **kw):
        x, y = centre
        self.ellipse((x - r, y - r, x + r, y + r), **kw)

    def rect(self, box, fill=None, outline=None, width=1, radius=0):
        self.draw.rounded_rectangle(_scale(box), radius=radius * SS, fill=fill, outline=outline, width=round(width * SS))

    def polygon(self, points, fill=None, outline=None, width=1):
        self.draw.polygon(_scale(points), fill=fill, outline=outline, width=round(width * SS))

    def line(self, points, fill, width=1):
        self.draw.line(_scale(points), fill=fill, width=round(width * SS), joint="curve")

    def arc(self, box, start, end, fill, width=1):
        self.draw.arc(_scale(box), start, end, fill=fill, width=round(width * SS))

    def chord(self, box, start, end, fill=None, outline=None, width=1):
        self.draw.chord(_scale(box), start, end, fill=fill, outline=outline, width=round(width * SS))

    def pieslice(self, box, start, end, fill=None, outline=None, width=1):
        self.draw.pieslice(_scale(box), start, end, fill=fill, outline=outline, width=round(width * SS))

    # Combining drawings.
    def _replace(self, big):
        self.big = big
        self.draw = ImageDraw.Draw(self.big)

    def over(self, other, opacity=1.0):
        """Draws another Art of the same size on top of this one."""
        top = other.big if opacity == 1.0 else with_opacity(other.big, opacity)
        self._replace(Image.alpha_composite(self.big, top))

    def under(self, other):
        """Draws another Art of the same size below this one."""
        self._replace(Image.alpha_composite(other.big, self.big))

    def glow(self, colour, radius, strength=1.0):
        """Adds a soft halo of `colour` around (under) everything drawn so far."""
        mask = self.big.getchannel("A").filter(ImageFilter.GaussianBlur(radius * SS))
        if strength != 1.0:
            mask = mask.point(lambda a: min(255, round(a * strength)))
        halo = Image.new("RGBA", self.big.size, colour)
        halo.putalpha(mask)
        self._replace(Image.alpha_composite(halo, self.big))

    def erase(self, shape, *args):
        """Erases pixels: calls a shape method with a fully transparent fill."""
        getattr(self, shape)(*args, fill=CLEAR)

    # Finishing.
    def image(self):
        """The drawing at canvas size, antialiased (box filter, premultiplied alpha)."""
        return self.big.reduce(SS)

    def exact_image(self):
        """The drawing at canvas size, antialiased in alpha only.

        Each pixel takes the most common opaque colour among its SS x SS
        samples and an alpha equal to their coverage, so the result holds
        no colour that was not drawn (what a `palette` derivation needs).
        Only for drawings made of opaque flat colours.
        """
        src = self.big.load()
        out = Image.new("RGBA", (self.w, self.h), CLEAR)
        dst = out.load()
        samples = SS * SS
        for y in range(self.h):
            for x in range(self.w):
                counts = {}
                for dy in range(SS):
                    for dx in range(SS):
                        r, g, b, a = src[x * SS + dx, y * SS + dy]
                        if a:
                            counts[(r, g, b)] = counts.get((r, g, b), 0) + 1
                if counts:
                    colour = max(counts, key=counts.get)
                    dst[x, y] = colour + (round(255 * sum(counts.values()) / samples),)
        return out


def opaque(art):
    """A background drawing as an RGBA image with every pixel opaque."""
    img = art.image()
    img.putalpha(255)
    return img


def vertical_gradient(art, stops, top=0, bottom=APE):
    """Fills rows `top`..`bottom` of an Art with a vertical gradient."""
    y0, y1 = top * SS, bottom * SS
    for y in range(y0, y1):
        colour = gradient_colour(stops, (y - y0) / max(1, y1 - y0 - 1))
        art.draw.line([(0, y), (art.w * SS, y)], fill=colour)


def stars(art, rng, count, area=(0, 0, APE, APE)):
    """Scatters small stars of random brightness."""
    x0, y0, x1, y1 = area
    for _ in range(count):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        r = rng.choice([0.6, 0.8, 1.0, 1.4])
        art.circle((x, y), r, fill=rng.choice(["#ffffff", "#fff3c4", "#c9d6ff", "#ffd1f4"]))


# --- Background --------------------------------------------------------------


def ape_backgrounds():
    out = {}
    horizon = 150

    # Grid: a synthwave floor running to the horizon.
    art = Art(fill="#0b0221")
    vertical_gradient(art, [(0, "#0b0221"), (1, "#3b0a66")], 0, horizon)
    vertical_gradient(art, [(0, "#1d0638"), (1, "#0b0018")], horizon, APE)
    stars(art, random.Random(1), 40, (0, 0, APE, horizon - 20))
    grid = Art()
    for k in range(-10, 11):
        grid.line([(128 + k * 7, horizon), (128 + k * 52, APE + 8)], fill="#ff2bd6", width=1.2)
    for i in range(1, 10):
        y = horizon + (APE - horizon) * (i / 9) ** 2
        grid.line([(0, y), (APE, y)], fill="#ff2bd6", width=1.2)
    grid.line([(0, horizon), (APE, horizon)], fill="#ffb3f0", width=2)
    grid.glow("#ff2bd6", 3, 1.5)
    art.over(grid)
    out["Grid"] = opaque(art)

    # Sunset: a striped sun sinking behind a dark plain.
    art = Art()
    vertical_gradient(art, [(0, "#2b1055"), (0.6, "#d5418e"), (1, "#ff9966")])
    sun = Art()
    sun_box = (56, 70, 200, 214)
    vertical_gradient(sun, [(0, "#ffe66d"), (1, "#ff3d7f")], sun_box[1], sun_box[3])
    mask = Art()
    mask.ellipse(sun_box, fill="#ffffff")
    for i, y in enumerate(range(150, 200, 10)):
        mask.erase("rect", (0, y, APE, y + 2 + i))
    sun.big.putalpha(mask.big.getchannel("A"))
    sun.glow("#ff7eb3", 8, 0.8)
    art.over(sun)
    art.rect((0, 186, APE, APE), fill="#1a0933")
    art.line([(0, 186), (APE, 186)], fill="#ff7eb3", width=2)
    out["Sunset"] = opaque(art)

    # Toxic: green murk, slime dripping from the top, rising bubbles.
    art = Art()
    vertical_gradient(art, [(0, "#03140a"), (0.5, "#0d4d22"), (1, "#1f8a3a")])
    rng = random.Random(3)
    bubbles = Art()
    for _ in range(26):
        x, y, r = rng.uniform(0, APE), rng.uniform(30, APE), rng.uniform(3, 12)
        bubbles.circle((x, y), r, outline="#9dff8a", width=1.5)
        bubbles.circle((x - r / 3, y - r / 3), r / 4, fill="#d8ffcf")
    art.over(bubbles, 0.7)
    slime = Art()
    slime.rect((0, 0, APE, 14), fill="#39ff14")
    for x in range(6, APE, 22):
        length = rng.uniform(10, 40)
        slime.rect((x, 0, x + 7, 14 + length), fill="#39ff14", radius=3.5)
        slime.circle((x + 3.5, 14 + length), 5, fill="#39ff14")
    slime.glow("#39ff14", 4, 0.8)
    art.over(slime)
    out["Toxic"] = opaque(art)

    # Rain: a night skyline with lit windows, under slanted rain.
    art = Art()
    vertical_gradient(art, [(0, "#050a1f"), (1, "#1b2a5c")])
    rng = random.Random(4)
    city = Art()
    x = -6
    while x < APE:
        w = rng.randrange(22, 44)
        top = rng.randrange(110, 190)
        city.rect((x, top, x + w - 3, APE), fill="#0a0f24")
        for wy in range(top + 6, APE - 4, 9):
            for wx in range(x + 4, x + w - 8, 7):
                if rng.random() < 0.35:
                    city.rect((wx, wy, wx + 3, wy + 4), fill=rng.choice(["#ffd166", "#06d6a0", "#ef476f", "#7bdff2"]))
        x += w
    art.over(city)
    rain = Art()
    for _ in range(90):
        x, y, n = rng.uniform(-40, APE), rng.uniform(-20, APE), rng.uniform(8, 18)
        rain.line([(x, y), (x + n * 0.35, y + n)], fill="#9ab8ff", width=0.8)
    art.over(rain, 0.5)
    out["Rain"] = opaque(art)

    # Void: near-black, a faint purple heart of light, a few stars.
    art = Art(fill="#06060c")
    core = Art()
    core.circle((128, 120), 60, fill="#3a1366")
    core.big = core.big.filter(ImageFilter.GaussianBlur(40 * SS))
    art.over(core)
    stars(art, random.Random(5), 60)
    out["Void"] = opaque(art)
    return out


# --- Shadow (hidden trait, blend multiply) ------------------------------------


def ape_silhouette(art, dx, dy, colour):
    """Draws the ape's outer shape (head, ears, torso) moved by (dx, dy)."""
    art.ellipse(shift(grow(TORSO, 3), dx, dy), fill=colour)
    for x, y in EARS:
        art.circle((x + dx, y + dy), 23, fill=colour)
    art.ellipse(shift(grow(HEAD, 3), dx, dy), fill=colour)


def ape_shadows():
    colour = "#2b1450"
    soft = Art()
    ape_silhouette(soft, 14, 8, colour)
    soft.big.putalpha(soft.big.getchannel("A").filter(ImageFilter.GaussianBlur(8 * SS)))
    hard = Art()
    ape_silhouette(hard, 16, 10, colour)
    return {"Soft": soft.image(), "Hard": hard.image()}


# --- Body ----------------------------------------------------------------------


def ape_body():
    """Body/Ape.png: flat colours only, so that Body.Gold can swap them."""
    art = Art()
    art.ellipse(grow(TORSO, 3), fill=OUT)
    art.ellipse(TORSO, fill=FUR)
    art.ellipse((96, 214, 160, 272), fill=FUR_DARK)  # chest
    for centre in EARS:
        art.circle(centre, 23, fill=OUT)
        art.circle(centre, 20, fill=FUR)
        art.circle(centre, 11, fill=SKIN_DARK)
    art.ellipse(grow(HEAD, 3), fill=OUT)
    art.ellipse(HEAD, fill=FUR)
    art.ellipse((88, 76, 168, 100), fill=FUR_DARK)  # brow
    muzzle = (94, 116, 162, 168)
    for centre in EYES:
        art.circle(centre, 24, fill=OUT)
    art.ellipse(grow(muzzle, 2), fill=OUT)
    for centre in EYES:
        art.circle(centre, 22, fill=SKIN)
    art.ellipse(muzzle, fill=SKIN)
    art.ellipse((118, 128, 125, 135), fill=SKIN_DARK)  # nostrils
    art.ellipse((131, 128, 138, 135), fill=SKIN_DARK)
    return art.exact_image()


def robot_body():
    metal, metal_dark, plate, neon = "#9aa5b8", "#5c667a", "#23263a", "#00f0ff"
    art = Art()
    art.ellipse(TORSO, fill=metal, outline=OUT, width=3)
    art.line([(128, 200), (128, APE)], fill=metal_dark, width=2)
    art.rect((98, 214, 158, 258), fill=metal_dark, outline=OUT, width=2, radius=8)
    core = Art()
    core.circle((128, 236), 10, fill=neon)
    core.glow(neon, 6, 1.5)
    core.circle((128, 236), 5, fill="#e6fdff")
    art.over(core)
    for centre in EARS:
        art.circle(centre, 17, fill=metal_dark, outline=OUT, width=3)
        art.circle(centre, 7, fill=metal)
    antenna = Art()
    antenna.line([(128, 50), (128, 22)], fill=metal_dark, width=4)
    tip = Art()
    tip.circle((128, 18), 7, fill="#ff3355")
    tip.glow("#ff3355", 5, 1.2)
    antenna.over(tip)
    art.over(antenna)
    art.rect((76, 46, 180, 172), fill=metal, outline=OUT, width=3, radius=34)
    art.line([(96, 70), (160, 70)], fill=metal_dark, width=2)
    for x, y in [(90, 60), (166, 60), (90, 158), (166, 158)]:
        art.circle((x, y), 3, fill=metal_dark)
    art.rect((88, 80, 168, 166), fill=plate, outline=OUT, width=2, radius=20)
    return art.image()


# --- Outfit --------------------------------------------------------------------


def ape_outfits():
    out = {}
    # Hoodie: a hot pink hoodie with its hood bunched around the neck.
    art = Art()
    art.ellipse((36, 178, 220, 344), fill="#ff3d81", outline=OUT, width=3)
    art.arc((58, 170, 198, 238), 195, 345, fill="#c2185b", width=12)
    art.rect((92, 262, 164, 300), fill="#e0306f", outline="#c2185b", width=2, radius=10)
    for x0, x1 in [(116, 112), (140, 144)]:
        art.line([(x0, 200), (x1, 240)], fill="#f1faee", width=3)
        art.circle((x1, 242), 3, fill="#f1faee")
    out["Hoodie"] = art.image()

    # Jacket: black leather over a cyan shirt, neon lapels.
    art = Art()
    art.ellipse((34, 178, 222, 344), fill="#22222c", outline=OUT, width=3)
    art.polygon([(104, 180), (152, 180), (128, APE)], fill="#00d9f5")
    art.polygon([(100, 182), (128, APE), (110, APE), (84, 196)], fill="#15151c", outline="#ff2bd6", width=2)
    art.polygon([(156, 182), (128, APE), (146, APE), (172, 196)], fill="#15151c", outline="#ff2bd6", width=2)
    for x in (58, 70, 186, 198):
        art.circle((x, 214), 2.5, fill="#c0c6d4")
    out["Jacket"] = art.image()

    # Cape: drawn below Body (see apes.drop); the collar rises beside the head.
    art = Art()
    art.polygon([(40, 104), (100, 168), (156, 168), (216, 104), (252, APE + 4), (4, APE + 4)], fill="#5b1a8c", outline=OUT, width=3)
    art.polygon([(52, 122), (98, 172), (158, 172), (204, 122), (196, 190), (60, 190)], fill="#c1121f")
    art.line([(40, 104), (4, APE + 4)], fill="#b36bff", width=2)
    art.line([(216, 104), (252, APE + 4)], fill="#b36bff", width=2)
    out["Cape"] = art.image()
    return out


# --- Mouth ---------------------------------------------------------------------


def grin(art, teeth):
    box = (106, MOUTH_Y - 16, 150, MOUTH_Y + 12)
    art.chord(box, 0, 180, fill="#2a1020", outline=OUT, width=2)
    art.chord(grow(box, -3), 10, 170, fill=teeth)
    art.line([(108, MOUTH_Y - 2), (148, MOUTH_Y - 2)], fill=OUT, width=2)


def ape_mouths():
    out = {}
    art = Art()
    grin(art, "#f1faee")
    out["Grin"] = art.image()

    art = Art()
    art.line([(108, MOUTH_Y + 2), (128, MOUTH_Y + 4), (148, MOUTH_Y)], fill=OUT, width=4)
    out["Bored"] = art.image()

    art = Art()
    grin(art, "#f5c542")
    art.line([(118, MOUTH_Y), (118, MOUTH_Y + 6)], fill="#b8860b", width=1.5)
    art.line([(128, MOUTH_Y), (128, MOUTH_Y + 7)], fill="#b8860b", width=1.5)
    art.line([(138, MOUTH_Y), (138, MOUTH_Y + 6)], fill="#b8860b", width=1.5)
    art.circle((113, MOUTH_Y + 2), 1.6, fill="#fffbe0")
    out["Gold Grill"] = art.image()

    # Cigar: a 96 x 64 image placed at offset (124, 112), so the mouth
    # corner at local (0..24, 40) lands on the face at (124..148, 152).
    art = Art(96, 64)
    art.line([(-14, 40), (10, 41), (24, 38)], fill=OUT, width=4)
    art.rect((16, 35, 74, 45), fill="#7a4a2a", outline=OUT, width=2, radius=3)
    art.rect((26, 35, 33, 45), fill="#e63946")
    ember = Art(96, 64)
    ember.rect((71, 36, 80, 44), fill="#ff7b00", radius=3)
    ember.glow("#ff4d00", 4, 1.4)
    art.over(ember)
    smoke = Art(96, 64)
    smoke.line([(80, 34), (86, 24), (80, 14), (88, 4)], fill="#d9d9e6", width=3)
    smoke.line([(84, 32), (92, 20)], fill="#d9d9e6", width=2)
    art.over(smoke, 0.55)
    out["Cigar"] = art.image()
    return out


# --- Eyes ----------------------------------------------------------------------


def ape_eyes():
    out = {}
    art = Art()
    for x, y in EYES:
        art.ellipse((x - 12, y - 10, x + 12, y + 10), fill="#ffffff", outline=OUT, width=2)
        art.circle((x + 3, y + 1), 5.5, fill="#140a1f")
        art.circle((x + 1, y - 2), 1.8, fill="#ffffff")
    out["Normal"] = art.image()

    art = Art()
    for x, y in EYES:
        art.chord((x - 12, y - 10, x + 12, y + 10), 0, 180, fill="#ffffff", outline=OUT, width=2)
        art.chord((x - 2, y - 4, x + 10, y + 8), 0, 180, fill="#140a1f")
        art.line([(x - 14, y), (x + 14, y)], fill=OUT, width=4)
    out["Sleepy"] = art.image()

    # Visor: drawn opaque; `opacity 80%` in apes.drop makes it glassy.
    art = Art()
    art.rect((82, 92, 174, 120), fill="#19e3ff", outline=OUT, width=3, radius=12)
    art.rect((88, 97, 168, 102), fill="#c8f9ff", radius=2.5)
    art.line([(120, 92), (112, 120)], fill="#7ff0ff", width=3)
    out["Visor"] = art.image()

    # Laser: bright light on transparent, rendered with `blend screen`.
    art = Art()
    for x, y in EYES:
        art.polygon([(x, y - 3), (APE + 4, y - 12 + (x - 110) / 4), (APE + 4, y + 12 + (x - 110) / 4), (x, y + 3)], fill="#ff2a2a")
    art.glow("#ff0000", 5, 1.6)
    for x, y in EYES:
        art.circle((x, y), 8, fill="#ff5a3c")
        art.circle((x, y), 4, fill="#fff0d0")
    out["Laser"] = art.image()

    # X-Ray: green scanner rings, only for robots (via `when Body.Robot`).
    art = Art()
    for x, y in EYES:
        art.circle((x, y), 11, fill="#0b2e1a", outline="#39ff88", width=2.5)
        art.circle((x, y), 6, outline="#39ff88", width=1.5)
        art.circle((x, y), 2, fill="#d9ffe8")
    art.glow("#39ff88", 4, 1.2)
    out["X-Ray"] = art.image()
    return out


# --- Hair (folder "hair") -------------------------------------------------------


def ape_hair():
    out = {}
    # Mohawk: hot pink spikes; Hair."Toxic Mohawk" is this art hue-shifted.
    art = Art()
    spikes = [
        (102, 72), (96, 32), (110, 48), (110, 14), (121, 42), (128, 4),
        (135, 42), (146, 14), (146, 48), (160, 32), (154, 72), (128, 78),
    ]
    art.polygon(spikes, fill="#ff2e97", outline=OUT, width=2.5)
    art.line([(104, 60), (100, 40)], fill="#ff8cc6", width=2.5)
    art.line([(116, 56), (113, 26)], fill="#ff8cc6", width=2.5)
    art.line([(128, 54), (128, 16)], fill="#ff8cc6", width=2.5)
    art.line([(140, 56), (143, 26)], fill="#ff8cc6", width=2.5)
    out["Mohawk"] = art.image()

    violet, light = "#5a2ca0", "#9b6bff"
    # Long Hair, front part: a fringe and side locks over the ears.
    art = Art()
    for x0, x1 in [(60, 84), (172, 196)]:
        art.rect((x0, 66, x1, 178), fill=violet, outline=OUT, width=2.5, radius=12)
        art.line([(x0 + 8, 84), (x0 + 8, 166)], fill=light, width=2.5)
    art.chord((66, 36, 190, 112), 180, 360, fill=violet, outline=OUT, width=2.5)
    for x in range(80, 177, 16):
        art.polygon([(x - 9, 72), (x, 86), (x + 9, 72)], fill=violet, outline=OUT, width=2)
    art.rect((70, 66, 186, 74), fill=violet)
    art.arc((82, 44, 174, 100), 200, 300, fill=light, width=4)
    out["long-front"] = art.image()

    # Long Hair, back part: drawn below Body (see apes.drop).
    art = Art()
    art.rect((48, 60, 208, 248), fill=violet, outline=OUT, width=3, radius=60)
    art.line([(70, 120), (66, 230)], fill=light, width=3)
    art.line([(186, 120), (190, 230)], fill=light, width=3)
    out["long-back"] = art.image()
    return out


# --- Headwear ------------------------------------------------------------------


def ape_headwear():
    out = {}
    art = Art()
    art.ellipse((140, 74, 214, 94), fill="#a4161a", outline=OUT, width=2.5)
    art.chord((74, 34, 182, 116), 180, 360, fill="#e63946", outline=OUT, width=2.5)
    art.line([(128, 34), (128, 75)], fill="#a4161a", width=2)
    art.circle((128, 32), 4, fill="#a4161a")
    art.circle((106, 58), 8, fill="#f1faee")
    out["Cap"] = art.image()

    art = Art()
    art.arc((62, 30, 194, 176), 190, 350, fill=OUT, width=11)
    art.arc((62, 30, 194, 176), 190, 350, fill="#3d3d4e", width=7)
    for x0 in (50, 178):
        cup = Art()
        cup.rect((x0, 90, x0 + 28, 136), fill="#ff2bd6", outline=OUT, width=3, radius=10)
        cup.glow("#ff2bd6", 3, 0.9)
        cup.rect((x0 + 8, 98, x0 + 20, 128), fill="#3d3d4e", radius=5)
        art.over(cup)
    out["Headphones"] = art.image()

    art = Art()
    art.chord((64, 26, 192, 128), 180, 360, fill="#3a86ff", outline=OUT, width=3)
    art.rect((64, 70, 192, 82), fill="#1d4fa8", outline=OUT, width=2.5, radius=4)
    stripe = Art()
    stripe.line([(128, 28), (128, 70)], fill="#00f0ff", width=3)
    stripe.glow("#00f0ff", 3, 1.2)
    art.over(stripe)
    art.arc((80, 36, 176, 100), 205, 250, fill="#b8d4ff", width=4)
    out["Helmet"] = art.image()

    art = Art()
    crown = [(94, 56), (96, 18), (112, 36), (128, 10), (144, 36), (160, 18), (162, 56)]
    art.polygon(crown, fill="#f5c542", outline=OUT, width=2.5)
    art.rect((92, 48, 164, 60), fill="#e0a82e", outline=OUT, width=2.5, radius=3)
    art.circle((128, 54), 4.5, fill="#e63946")
    for x in (108, 148):
        art.circle((x, 54), 3.5, fill="#3a86ff")
    for x, y in [(96, 18), (128, 10), (160, 18)]:
        art.circle((x, y), 3.5, fill="#fff3b0", outline=OUT, width=1.5)
    out["Crown"] = art.image()
    return out


# --- Earring (trait offset (50, 120): 32 x 36 images) ----------------------------


def ape_earrings():
    out = {}
    art = Art(32, 36)
    art.circle((17, 17), 8.5, outline=OUT, width=4.5)
    art.circle((17, 17), 8.5, outline="#f5c542", width=2.5)
    out["Hoop"] = art.image()

    art = Art(32, 36)
    art.polygon([(17, 3), (23, 10), (17, 17), (11, 10)], fill="#19e3ff", outline=OUT, width=1.5)
    art.glow("#19e3ff", 3, 1.2)
    art.polygon([(17, 5), (20, 9), (17, 9)], fill="#e6fdff")
    out["Neon Stud"] = art.image()
    return out


# --- Legendaries ---------------------------------------------------------------


def legendary_architect(bg, robot, xray):
    """The Architect: a golden robot on the Void, circuits lit around it."""
    art = Art()
    rng = random.Random(100)
    traces = Art()
    for _ in range(14):
        x, y = rng.choice([rng.uniform(0, 60), rng.uniform(196, APE)]), rng.uniform(10, 240)
        points = [(x, y)]
        for _ in range(4):
            if len(points) % 2:
                x += rng.choice([-1, 1]) * rng.uniform(12, 40)
            else:
                y += rng.choice([-1, 1]) * rng.uniform(12, 40)
            points.append((x, y))
        traces.line(points, fill="#00f0ff", width=1.5)
        traces.circle(points[-1], 2.5, fill="#e6fdff")
    traces.glow("#00f0ff", 3, 1.3)
    halo = Art()
    halo.circle((128, 108), 84, outline="#ffd56b", width=4)
    halo.circle((128, 108), 94, outline="#ffd56b", width=1.5)
    halo.glow("#ffb300", 6, 1.4)
    art.over(traces)
    art.over(halo)
    img = Image.alpha_composite(bg.convert("RGBA"), art.image())
    img = Image.alpha_composite(img, tint(robot, "#2a1a00", "#c9962a", "#fff1b8"))
    img = Image.alpha_composite(img, xray)
    return img


def recolour(img, mapping):
    """Swaps exact colours of an RGBA image (like a `palette` derivation)."""
    table = {rgb(a): rgb(b) for a, b in mapping.items()}
    out = img.copy()
    px = out.load()
    for y in range(out.height):
        for x in range(out.width):
            r, g, b, a = px[x, y]
            if (r, g, b) in table:
                px[x, y] = table[(r, g, b)] + (a,)
    return out


def legendary_mother(bg, body, hair_back, hair_front, mouth, visor, crown):
    """Mother of Neon: a magenta ape in a cyan aura, long violet hair and a crown."""
    body = recolour(body, {FUR: "#8e2a6e", FUR_DARK: "#6a1f55", SKIN: "#ffc2e2", SKIN_DARK: "#e58bbd"})
    figure = Image.alpha_composite(hair_back, body)
    aura = Image.new("RGBA", figure.size, "#3df5ff")
    aura.putalpha(figure.getchannel("A").filter(ImageFilter.GaussianBlur(7)).point(lambda a: min(255, a * 2)))
    img = Image.alpha_composite(bg.convert("RGBA"), aura)
    for layer in (figure, mouth, hue_shift(hair_front, 40), with_opacity(visor, 0.8), crown):
        img = Image.alpha_composite(img, layer)
    return img


def draw_neon_apes():
    root = EXAMPLES / "neon-apes"
    layers = root / "layers"
    backgrounds = ape_backgrounds()
    for name, img in backgrounds.items():
        save(img, layers / "Background" / f"{name}.png")
    for name, img in ape_shadows().items():
        save(img, layers / "Shadow" / f"{name}.png")
    ape, robot = ape_body(), robot_body()
    save(ape, layers / "Body" / "Ape.png")
    save(robot, layers / "Body" / "Robot.png")
    for name, img in ape_outfits().items():
        save(img, layers / "Outfit" / f"{name}.png")
    mouths = ape_mouths()
    for name, img in mouths.items():
        save(img, layers / "Mouth" / f"{name}.png")
    eyes = ape_eyes()
    for name, img in eyes.items():
        # Eyes.Laser names its own file, "fx/laser-glow.png", relative to `layers`.
        save(img, layers / "fx" / "laser-glow.png" if name == "Laser" else layers / "Eyes" / f"{name}.png")
    hair = ape_hair()
    for name, img in hair.items():
        save(img, layers / "hair" / f"{name}.png")
    headwear = ape_headwear()
    for name, img in headwear.items():
        save(img, layers / "Headwear" / f"{name}.png")
    for name, img in ape_earrings().items():
        save(img, layers / "Earring" / f"{name}.png")

    save(legendary_architect(backgrounds["Void"], robot, eyes["X-Ray"]), root / "legendaries" / "architect.png")
    save(
        legendary_mother(
            backgrounds["Sunset"], ape, hair["long-back"], hair["long-front"], mouths["Grin"], eyes["Visor"], headwear["Crown"]
        ),
        root / "legendaries" / "mother-of-neon.png",
    )


# ---------------------------------------------------------------------------
# Match Monsters: 16 x 16 pixel art whose hair and helmets follow the body


MONSTER = (16, 16)


def draw_match_monsters():
    layers = EXAMPLES / "match-monsters" / "layers"
    for name, colours in {
        "Day": ["#bfe6ff", "#a6dbff", "#8ccfff", "#73c4ff"],
        "Dusk": ["#ffb38a", "#e58a8a", "#a86a9c", "#5c4a8a"],
        "Void": ["#0a0a12", "#0d0d18", "#10101e", "#131324"],
    }.items():
        img, _ = banded(MONSTER, colours, 4)
        save(img, layers / "Background" / f"{name}.png")

    body = [
        "....######....",
        "...########...",
        "..##########..",
        "..##########..",
        "..##########..",
        "...########...",
        "....######....",
        "..##########..",
        ".############.",
        ".############.",
    ]
    for name, colour in {"Ape": "#8a5a3c", "Zombie": "#6fa35a", "Robot": "#9aa3ad", "Gold": "#e0b12e"}.items():
        img, d = pixels(MONSTER)
        stamp(d, 1, 5, body, {"#": colour})
        save(img, layers / "Body" / f"{name}.png")

    for name, rows, colour in [
        ("Short", ["..########..", ".##########."], "#3b2a1e"),
        ("Long", ["..########..", ".##########.", ".##......##.", ".##......##.", ".#........#."], "#c0392b"),
        # On a Zombie, long hair hangs in tatters.
        ("Long-zombie", ["..#.####.#..", ".##.####.##.", ".#.......#..", "..#......#..", ".#.........."], "#c0392b"),
    ]:
        img, d = pixels(MONSTER)
        stamp(d, 2, 4, rows, {"#": colour})
        save(img, layers / "Hair" / f"{name}.png")

    for name, rows, colours in [
        ("Cap", ["...######...", "..########..", "##########.."], {"#": "#2e6fd1"}),
        ("Helmet", ["...######...", "..########..", "..#oooooo#.."], {"#": "#6b7480", "o": "#c9d1d9"}),
        # On a Robot, the helmet has an antenna.
        ("Helmet-robot", ["......r.....", "......#.....", "...######...", "..########..", "..#oooooo#.."],
         {"#": "#6b7480", "o": "#c9d1d9", "r": "#ff3b3b"}),
        ("Crown", ["..#..#..#...", "..########..", "..########.."], {"#": "#ffcc33"}),
    ]:
        img, d = pixels(MONSTER)
        stamp(d, 2, 5 - len(rows), rows, colours)
        save(img, layers / "Head" / f"{name}.png")

    for name, colour in {"Normal": "#1b1b1b", "Laser": "#ff2a2a"}.items():
        img, d = pixels(MONSTER)
        stamp(d, 5, 8, ["#...#"], {"#": colour})
        if name == "Laser":
            stamp(d, 4, 8, ["r...r"], {"r": "#ff9a9a"})
        save(img, layers / "Eyes" / f"{name}.png")


def main():
    draw_pixel_pets()
    draw_solana_sprites()
    draw_neon_apes()
    draw_match_monsters()


if __name__ == "__main__":
    main()
