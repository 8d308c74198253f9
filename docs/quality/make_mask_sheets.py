"""Contact sheets of region masks (issue 11), from the shared images, at 256 px:

    python docs/quality/make_mask_sheets.py [--steps 60]

* mask_sky_starry.png: Tübingen | its sky mask (painted by a colour rule) | unmasked Starry
  Night | the sky in Starry Night, the town kept as the photo.
* mask_two_styles.png: Tübingen | a foreground/background split | background Starry Night and
  foreground The Scream | the same regions swapped.

Also prints the cost per step of masked against unmasked runs (``--bench``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from nst_desktop.engine.run.stylize import stylize
from nst_desktop.engine.spec.events import StyleInput
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.region_masks import MaskSettings, Region, RegionMask
from nst_desktop.io.images import load_image

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / ".." / "shared" / "images"
SIZE = 256


def sky_labels(photo: np.ndarray) -> np.ndarray:
    """1 where the sky is: blue-ish and bright, connected to the top edge (so windows are not sky)."""
    r, b = photo[..., 0], photo[..., 2]
    candidate = (b > r + 0.02) & (b > 0.45) & (photo.mean(axis=2) > 0.45)
    sky = np.zeros_like(candidate)
    sky[0] = candidate[0]
    for row in range(1, len(candidate)):  # grow down from the top, a row at a time
        grown = sky[row - 1] | np.roll(sky[row - 1], 1) | np.roll(sky[row - 1], -1)
        sky[row] = candidate[row] & grown
    return sky.astype(np.uint8)


def split_labels(hw: tuple[int, int]) -> np.ndarray:
    """2 above the rooftops' rough line (background), 1 below it (foreground)."""
    labels = np.ones(hw, np.uint8)
    labels[: int(hw[0] * 0.45)] = 2
    return labels


def overlay(photo: np.ndarray, labels: np.ndarray) -> np.ndarray:
    tints = np.array([[0, 0, 0], [0.9, 0.1, 0.3], [0.25, 0.4, 0.85]], np.float32)
    alpha = np.where(labels > 0, 0.5, 0.0)[..., None]
    return (photo * (1 - alpha) + tints[labels] * alpha).astype(np.float32)


def sheet(tiles: list[tuple[str, np.ndarray]], out: Path) -> None:
    h, w = tiles[0][1].shape[:2]
    canvas = Image.new("RGB", (w * len(tiles), h + 18), "white")
    draw = ImageDraw.Draw(canvas)
    for i, (label, image) in enumerate(tiles):
        canvas.paste(Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8)), (i * w, 18))
        draw.text((i * w + 4, 3), label, fill="black")
    canvas.save(out)
    print("wrote", out)


def params(steps: int) -> Params:
    return Params(size=SIZE, min_size=128, steps=steps, coarse_steps=max(10, steps // 2), device="cpu")


def make_sky(steps: int) -> None:
    photo = load_image(SHARED / "content" / "tubingen.jpg", target_long_side=SIZE)
    starry = StyleInput(load_image(SHARED / "style" / "starry_night.jpg", target_long_side=512), 1.0, "s")
    labels = sky_labels(photo)
    mask = RegionMask(labels, MaskSettings((Region(1, (0,)),), feather_px=6.0))
    plain = stylize(photo, [starry], params(steps)).image
    masked = stylize(photo, [starry], params(steps), mask=mask).image
    print(f"sky: {labels.mean():.1%} of the picture")
    shown = np.asarray(Image.fromarray((photo * 255).astype(np.uint8)).resize(plain.shape[1::-1]),
                       np.float32) / 255
    lab = np.asarray(Image.fromarray(labels).resize(plain.shape[1::-1], Image.Resampling.NEAREST))
    sheet([("photo", shown), ("sky mask", overlay(shown, lab)), ("unmasked Starry Night", plain),
           ("sky Starry, town kept", masked)], HERE / "mask_sky_starry.png")


def make_two(steps: int) -> None:
    photo = load_image(SHARED / "content" / "tubingen.jpg", target_long_side=SIZE)
    styles = [StyleInput(load_image(SHARED / "style" / n, target_long_side=512), 1.0, n)
              for n in ("starry_night.jpg", "the_scream.jpg")]
    labels = split_labels(photo.shape[:2])
    a = RegionMask(labels, MaskSettings((Region(1, (1,)), Region(2, (0,))), feather_px=8.0))
    b = RegionMask(labels, MaskSettings((Region(1, (0,)), Region(2, (1,))), feather_px=8.0))
    one = stylize(photo, styles, params(steps), mask=a).image
    two = stylize(photo, styles, params(steps), mask=b).image
    shown = np.asarray(Image.fromarray((photo * 255).astype(np.uint8)).resize(one.shape[1::-1]),
                       np.float32) / 255
    lab = np.asarray(Image.fromarray(labels).resize(one.shape[1::-1], Image.Resampling.NEAREST))
    sheet([("photo", shown), ("regions: 2 top, 1 bottom", overlay(shown, lab)),
           ("top Starry, bottom Scream", one), ("top Scream, bottom Starry", two)],
          HERE / "mask_two_styles.png")


def bench(steps: int, repeats: int, style_loss: str = "gram") -> None:
    """Per-step seconds at 256 px (one scale), unmasked against masked (sky, 1 region), with
    the Gram or the Wasserstein style loss."""
    photo = load_image(SHARED / "content" / "tubingen.jpg", target_long_side=SIZE)
    starry = StyleInput(load_image(SHARED / "style" / "starry_night.jpg", target_long_side=512), 1.0, "s")
    mask = RegionMask(sky_labels(photo), MaskSettings((Region(1, (0,)),)))
    p = Params(size=SIZE, min_size=SIZE, steps=steps, coarse_steps=0, device="cpu",
               style_loss=style_loss)  # type: ignore[arg-type]
    print(f"style loss {style_loss}, precision {p.precision}")
    for name, kwargs in (("unmasked", {}), ("masked", {"mask": mask})) * repeats:
        times: list[float] = []
        last = [time.perf_counter()]

        def tick(_event: object, times: list[float] = times, last: list[float] = last) -> None:
            now = time.perf_counter()
            times.append(now - last[0])
            last[0] = now

        stylize(photo, [starry], p, callback=tick, preview_every=0, **kwargs)  # type: ignore[arg-type]
        steady = times[1:]  # the first includes the targets' VGG passes
        print(f"{name:9s} min {min(steady) * 1000:.0f} ms  median {statistics.median(steady) * 1000:.0f} ms "
              f"({len(steady)} steps)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--bench", type=int, default=0, metavar="STEPS")
    parser.add_argument("--only", choices=("sky", "two"))
    parser.add_argument("--style-loss", choices=("gram", "wasserstein"), default="gram",
                        help="the style loss of --bench")
    ns = parser.parse_args()
    if ns.bench:
        bench(ns.bench, 2, ns.style_loss)
        return
    if ns.only != "two":
        make_sky(ns.steps)
    if ns.only != "sky":
        make_two(ns.steps)


if __name__ == "__main__":
    main()
