"""Draw the app icon (a painter's palette and brush) with Pillow.

Writes resources/icon.png (1024 px), resources/icon.icns (macOS) and resources/icon.ico
(Windows). Re-run after changing the drawing: ``python scripts/make_icon.py``.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

SIZE = 1024
OUT = Path(__file__).resolve().parent.parent / "resources"
# Paint blobs: van Gogh blue, cadmium yellow, vermilion, viridian, white, violet.
PAINTS = [(28, 62, 160), (245, 196, 30), (220, 60, 40), (30, 140, 100), (245, 242, 232), (120, 60, 150)]


def _background() -> Image.Image:
    """Rounded square with a night-sky gradient and a few swirling strokes (a nod to Starry Night)."""
    grad = Image.new("RGB", (SIZE, SIZE))
    px = grad.load()
    assert px is not None
    for y in range(SIZE):
        t = y / (SIZE - 1)
        row = (int(20 + 30 * t), int(40 + 50 * t), int(110 + 60 * t))
        for x in range(SIZE):
            px[x, y] = row
    draw = ImageDraw.Draw(grad)
    rng = random.Random(7)  # fixed seed: the icon must be reproducible
    for _ in range(36):
        cx, cy, r = rng.randint(0, SIZE), rng.randint(0, SIZE // 2), rng.randint(60, 260)
        start = rng.randint(0, 360)
        colour = rng.choice([(90, 130, 210), (140, 170, 230), (230, 210, 120)])
        draw.arc((cx - r, cy - r, cx + r, cy + r), start, start + rng.randint(40, 120), fill=colour, width=10)
    grad = grad.filter(ImageFilter.GaussianBlur(2))
    mask = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(mask).rounded_rectangle((40, 40, SIZE - 40, SIZE - 40), radius=200, fill=255)
    icon = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    icon.paste(grad, (0, 0), mask)
    return icon


def _palette() -> Image.Image:
    """A wooden palette (ellipse minus a thumb hole) with paint blobs."""
    layer = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    shape = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(shape).ellipse((150, 300, 880, 860), fill=255)
    hole = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(hole).ellipse((300, 620, 420, 740), fill=255)
    notch = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(notch).ellipse((90, 560, 300, 760), fill=255)
    shape = ImageChops.subtract(ImageChops.subtract(shape, hole), notch)
    shadow = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 110))
    layer.paste(shadow, (14, 22), shape.filter(ImageFilter.GaussianBlur(12)))
    layer.paste((205, 160, 105, 255), (0, 0), shape)
    draw = ImageDraw.Draw(layer)
    for i, colour in enumerate(PAINTS):
        angle = math.radians(200 + i * 32)
        cx, cy = 515 + 270 * math.cos(angle), 580 + 200 * math.sin(angle)
        draw.ellipse((cx - 58, cy - 50, cx + 58, cy + 50), fill=colour + (255,))
        draw.ellipse((cx - 30, cy - 32, cx - 6, cy - 14), fill=(255, 255, 255, 150))  # highlight
    return layer


def _brush() -> Image.Image:
    """A brush lying diagonally across the palette: handle, ferrule and a blue-tipped head."""
    layer = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    draw.line((840, 170, 560, 560), fill=(120, 40, 30, 255), width=46)  # handle
    draw.line((560, 560, 500, 645), fill=(200, 200, 210, 255), width=52)  # ferrule
    draw.polygon([(470, 620), (530, 665), (450, 780), (430, 740)], fill=(28, 62, 160, 255))  # bristles
    return layer


def make_icon() -> Image.Image:
    icon = _background()
    icon.alpha_composite(_palette())
    icon.alpha_composite(_brush())
    return icon


def main() -> None:
    icon = make_icon()
    icon.save(OUT / "icon.png", optimize=True)
    icon.save(OUT / "icon.icns")
    icon.save(OUT / "icon.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    for name in ("icon.png", "icon.icns", "icon.ico"):
        print(name, (OUT / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
