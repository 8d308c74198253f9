"""What makes the default's fine dot pattern (issue 20.1): one change at a time, measured.

Every candidate is today's default with ONE thing changed, rendered at ``--size`` px on a few
photo x style pairs; each picture is scored by benchmarks/stipple.py (the stipple ratio: the
median 8 px block energy of its luminance's fine band against the style's, resized to the
picture's area; 1 = as fine-grained as the painting) and the edge ratio (90th percentile: the
sharp detail a fix must keep). Prints the machine, the command and a table (candidate, pair,
stipple, edges, seconds), and the median over the pairs per candidate.

Renders are cached in benchmarks/out/stipple/ (PNG + JSON with the seconds), keyed by candidate,
pair, size and the params; ``--fresh`` paints them again. ``--timing N`` instead times the
candidates given, interleaved (a, b, a, b, ...), N rounds, on the first pair, never cached.

Run: ``python benchmarks/bench_stipple.py --size 384`` (every candidate, the default pairs),
``--quick`` (64 px, a few steps: checks that it runs),
``--candidates default,float32 --pairs tubingen:starry_night``, ``--all-pairs`` (5 photos x the
four public-domain styles), ``--timing 2 --candidates default,new --size 512``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch.nn import functional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import stipple  # noqa: E402
from benchmarks.common import IMAGES, OUT, load_rgb, machine, to_float, today  # noqa: E402
from nst_desktop.engine.run import bounds  # noqa: E402
from nst_desktop.engine.run import stylize as stylize_module  # noqa: E402
from nst_desktop.engine.spec.events import StyleInput  # noqa: E402
from nst_desktop.engine.spec.params import DEFAULTS, Params  # noqa: E402

PHOTOS = ("tubingen", "golden_gate", "astronaut", "chelsea", "coffee")
PUBLIC_STYLES = ("starry_night", "the_scream", "shipwreck", "woman-with-hat-matisse")
DEFAULT_PAIRS = ("tubingen:starry_night", "astronaut:woman-with-hat-matisse", "coffee:the_scream")
CACHE = OUT / "stipple"

Patch = Callable[[], contextlib.AbstractContextManager[None]]


@contextlib.contextmanager
def _no_patch() -> Iterator[None]:
    yield


@contextlib.contextmanager
def _bilinear_upsampling() -> Iterator[None]:
    """The picture carried to the next scale bilinearly instead of bicubically (bicubic's
    overshoot sharpens, and could seed dots). Shrinking (the photo, the style) stays as it is."""
    original = stylize_module.resize

    def resize(image: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
        if image.shape[-2] * image.shape[-1] >= hw[0] * hw[1]:
            return original(image, hw)
        return functional.interpolate(image, size=hw, mode="bilinear", align_corners=False).clamp(0.0, 1.0)

    stylize_module.resize = resize
    try:
        yield
    finally:
        stylize_module.resize = original


@contextlib.contextmanager
def _step_cap(rms: float) -> Iterator[None]:
    original = bounds.STEP_CAP_RMS
    bounds.STEP_CAP_RMS = rms
    try:
        yield
    finally:
        bounds.STEP_CAP_RMS = original


@dataclass(frozen=True)
class Candidate:
    label: str
    changes: dict[str, object]
    patch: Patch = _no_patch


CANDIDATES: dict[str, Candidate] = {
    # precision "auto" is float32 on a CPU without native bfloat16 and bfloat16 with it (devices.py):
    # both are named, so the table says which the default ran on every machine.
    "default": Candidate("today's default", {}),
    "float32": Candidate("float32", {"precision": "float32"}),
    "bfloat16": Candidate("bfloat16 (emulated, slow, without AVX512-BF16)", {"precision": "bfloat16"}),
    "avg_pool": Candidate("average pooling", {"pooling": "avg"}),
    "tv4": Candidate("TV weight 4 (x4)", {"tv_weight": 4.0}),
    "tv16": Candidate("TV weight 16 (x16)", {"tv_weight": 16.0}),
    "one_scale": Candidate("one scale (no coarse-to-fine)", {"min_size": -1}),
    "bilinear_up": Candidate("bilinear upsampling between scales", {}, _bilinear_upsampling),
    "cap_002": Candidate("step cap 0.02 RMS (0.1)", {}, lambda: _step_cap(0.02)),
    "steps240": Candidate("240 final steps (120)", {"steps": 240}),
    "no_noise": Candidate("start noise 0 (0.5)", {"init_noise": 0.0}),
    # Not a listed suspect but the hypothesis the others leave: the finest style layer asks for the
    # style's pixel-scale texture. Weight 0 switches relu1_1 off (Params.active_layers).
    "no_relu1_1": Candidate("relu1_1 weight 0 (0.5)", {"style_layer_weights": (0.0, 0.75, 1.0, 1.5)}),
}


#: ``--quick``: a few steps at each scale, only to check that the script runs.
QUICK = {"steps": 4, "coarse_steps": 2}
_quick = False


def params_for(name: str, size: int) -> Params:
    changes = {"size": size, "min_size": min(DEFAULTS.min_size, size), "device": "cpu",
               **CANDIDATES[name].changes, **(QUICK if _quick else {})}
    if changes["min_size"] == -1:  # one scale: the first scale is the output size
        changes["min_size"] = size
    return DEFAULTS.with_changes(**changes)


def _image(kind: str, name: str) -> np.ndarray:
    return load_rgb(IMAGES / kind / f"{name}.jpg")


def paint(name: str, photo: str, style: str, size: int) -> tuple[np.ndarray, float]:
    """(uint8 picture, seconds) of one candidate on one pair."""
    params = params_for(name, size)
    started = time.perf_counter()
    with CANDIDATES[name].patch():
        result = stylize_module.stylize(to_float(_image("content", photo)),
                                        [StyleInput(to_float(_image("style", style)), 1.0, style)], params)
    seconds = time.perf_counter() - started
    return (np.clip(result.image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8), seconds


def cached_paint(name: str, photo: str, style: str, size: int, fresh: bool) -> tuple[np.ndarray, float]:
    params = params_for(name, size)
    digest = hashlib.sha1(f"{name}|{params.to_json()}".encode()).hexdigest()[:10]
    png = CACHE / f"{photo}__{style}__{size}__{name}__{digest}.png"
    meta = png.with_suffix(".json")
    if png.exists() and meta.exists() and not fresh:
        return np.asarray(Image.open(png).convert("RGB")), float(json.loads(meta.read_text())["seconds"])
    picture, seconds = paint(name, photo, style, size)
    CACHE.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).save(png)
    meta.write_text(json.dumps({"seconds": seconds, "params": params.to_dict(), "date": today()}))
    return picture, seconds


def sweep(names: list[str], pairs: list[tuple[str, str]], size: int, fresh: bool) -> None:
    # The photo's own ratio (resized to the picture) is the baseline: what a painting that added
    # no fine texture to the photo would score.
    print("| candidate | pair | stipple ratio | edge ratio | the photo's ratio | seconds |\n"
          "| --- | --- | --- | --- | --- | --- |")
    ratios: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
    for photo, style in pairs:
        for name in names:  # candidates inner: a load change hits all of a pair's cells alike
            picture, seconds = cached_paint(name, photo, style, size, fresh)
            score = stipple.measure(picture, _image("style", style))
            photo_hw = (picture.shape[1], picture.shape[0])
            resized = np.asarray(Image.fromarray(_image("content", photo)).resize(photo_hw,
                                                                               Image.Resampling.BICUBIC))
            baseline = stipple.measure(resized, _image("style", style)).ratio
            ratios[name].append((score.ratio, score.edge_ratio, seconds))
            print(f"| {name} | {photo} x {style} | {score.ratio:.3f} | {score.edge_ratio:.3f} "
                  f"| {baseline:.3f} | {seconds:.0f} |", flush=True)
    print("\nMedian over the pairs:\n\n| candidate | what | stipple ratio | edge ratio | seconds |\n"
          "| --- | --- | --- | --- | --- |")
    for name, rows in ratios.items():
        med = [statistics.median(column) for column in zip(*rows, strict=True)]
        print(f"| {name} | {CANDIDATES[name].label} | {med[0]:.3f} | {med[1]:.3f} | {med[2]:.0f} |")


def timing(names: list[str], photo: str, style: str, size: int, rounds: int) -> None:
    """Wall seconds of each candidate, interleaved, ``rounds`` times (never cached)."""
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names:
            _, took = paint(name, photo, style, size)
            seconds[name].append(took)
            print(f"round {round_ + 1}: {name} {took:.1f} s ({today()})", flush=True)
    base = statistics.median(seconds[names[0]])
    print(f"\n| candidate | seconds ({photo} x {style}, {size} px) | median | vs {names[0]} |\n"
          "| --- | --- | --- | --- |")
    for name, times in seconds.items():
        med = statistics.median(times)
        print(f"| {name} | {' / '.join(f'{t:.1f}' for t in times)} | {med:.1f} | {med / base:.2f}x |")


CROP_PX = 128  # the 100 % crop; the 200 % one is its middle 64 px, doubled


def worst_window(picture: np.ndarray, window: tuple[int, int] = (CROP_PX, CROP_PX), grid: int = 32
                 ) -> tuple[int, int]:
    """Top-left of the (h, w) ``window`` whose typical fine-band energy is highest (on a ``grid`` px
    grid): where the stipple shows most, and not an edge (the median of its blocks ignores edges)."""
    (h, w), (wh, ww) = picture.shape[:2], window
    spots = [(y, x) for y in range(0, h - wh + 1, grid) for x in range(0, w - ww + 1, grid)]
    return max(spots or [(0, 0)], key=lambda yx: stipple.fine_energy(picture[yx[0]:yx[0] + wh,
                                                                 yx[1]:yx[1] + ww]))


def crops(names: list[str], pairs: list[tuple[str, str]], size: int, out: Path) -> None:
    """One row per pair: each candidate's 100 % crop, then each one's 200 % crop, all from the
    window where the first candidate (today's default) stipples most; labelled; saved as JPEG."""
    rows = []
    for photo, style in pairs:
        pictures = [cached_paint(name, photo, style, size, False)[0] for name in names]
        y, x = worst_window(pictures[0])
        full = [Image.fromarray(p[y:y + CROP_PX, x:x + CROP_PX]) for p in pictures]
        q = CROP_PX // 4
        double = [im.crop((q, q, q + CROP_PX // 2, q + CROP_PX // 2)).resize((CROP_PX, CROP_PX),
                  Image.Resampling.NEAREST) for im in full]
        cells = full + double
        for cell, label in zip(cells, [f"{n} 100%" for n in names] + [f"{n} 200%" for n in names],
                               strict=True):
            ImageDraw.Draw(cell).text((3, 2), label, fill="white", stroke_width=2,
                                      stroke_fill="black")
        ImageDraw.Draw(cells[0]).text((3, CROP_PX - 14), f"{photo} x {style}", fill="white",
                                      stroke_width=2, stroke_fill="black")
        rows.append(cells)
    gap, side = 4, CROP_PX
    sheet = Image.new("RGB", (len(rows[0]) * (side + gap) - gap, len(rows) * (side + gap) - gap), "white")
    for r, cells in enumerate(rows):
        for c, cell in enumerate(cells):
            sheet.paste(cell, (c * (side + gap), r * (side + gap)))
    sheet.save(out, quality=90)
    print(f"crops: {out} ({out.stat().st_size // 1024} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--pairs", default=",".join(DEFAULT_PAIRS))
    parser.add_argument("--all-pairs", action="store_true", help="5 photos x the public-domain styles")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--timing", type=int, default=0, metavar="ROUNDS")
    parser.add_argument("--quick", action="store_true", help="64 px, a few steps: checks that it runs")
    parser.add_argument("--crops", type=Path, metavar="JPEG",
                        help="write 100 %% and 200 %% crops of the candidates (first: the reference)")
    args = parser.parse_args()
    if args.quick:
        global _quick
        _quick, args.size = True, 64
    names = [n for n in args.candidates.split(",") if n]
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        parser.error(f"unknown candidate(s): {', '.join(unknown)}; known: {', '.join(CANDIDATES)}")
    pairs = ([(p, s) for p in PHOTOS for s in PUBLIC_STYLES] if args.all_pairs
             else [tuple(pair.split(":", 1)) for pair in args.pairs.split(",")])
    print(f"Measured {today()} on: {machine()}\n\nCommand: `python benchmarks/bench_stipple.py "
          f"{shlex.join(sys.argv[1:])}`\n", flush=True)
    if args.crops:
        crops(names, [(p, s) for p, s in pairs], args.size, args.crops)
    elif args.timing:
        timing(names, pairs[0][0], pairs[0][1], args.size, args.timing)
    else:
        sweep(names, [(p, s) for p, s in pairs], args.size, args.fresh)


if __name__ == "__main__":
    main()
