"""Brush size (issue 20.2): the stroke scale and the time of 1x, 2x and 4x, and their contact sheet.

Every cell is one render of Tübingen x a public-domain style at ``--size`` px with one brush size,
the other settings those of ``--preset`` (``draft``: the default's look, 30 coarse + 60 final steps;
``balanced``: the default itself), float32 on the CPU. For each it prints the seconds (wall, in this
process; compare the brushes of one style, which run back to back) and the stroke scale
(engine.spec.stroke_scale: the autocorrelation width of the luminance detail, in px of the render)
with its ratio to the style's 1x render. Renders are cached in benchmarks/out/brush/ (PNG + JSON,
keyed by the params), so the sheet can be remade without painting again (``--fresh`` paints anew).

Writes docs/quality/brush_sizes.jpg (rows: styles; columns: the style, 1x, 2x, 4x, each cell labelled
with its brush, stroke scale and seconds) and, with ``--results``, the table into RESULTS.md.

Run: ``python benchmarks/bench_brush.py --size 384`` (9 renders: ~15 min on 2 quiet cores),
``--quick`` (96 px, a few steps: checks that it runs).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import IMAGES, OUT, ROOT, load_rgb, machine, replace_block, to_float, today  # noqa: E402
from benchmarks.quality_sheets import paste_rows  # noqa: E402
from nst_desktop.engine.run.stylize import stylize  # noqa: E402
from nst_desktop.engine.spec.events import PREPARING, ProgressEvent, StyleInput  # noqa: E402
from nst_desktop.engine.spec.params import Params  # noqa: E402
from nst_desktop.engine.spec.presets import PRESETS  # noqa: E402
from nst_desktop.engine.spec.stroke_scale import stroke_scale  # noqa: E402

STYLES = ("starry_night", "the_scream", "woman-with-hat-matisse")  # public domain (SOURCES.md)
BRUSHES = (1.0, 2.0, 4.0)
CACHE = OUT / "brush"
SHEET = ROOT / "docs" / "quality" / "brush_sizes.jpg"


def params_for(preset: str, size: int, brush: float, quick: bool) -> Params:
    base = PRESETS[preset].with_changes(size=size, min_size=min(PRESETS[preset].min_size, size),
                                        brush_size=brush, device="cpu", precision="float32")
    return base.with_changes(steps=6, coarse_steps=3) if quick else base


def split_times(stamps: list[tuple[float, ProgressEvent]]) -> tuple[float, float]:
    """(set-up seconds, median seconds of a last-scale step) from the run's timed events.

    A scale's set-up (its content and style targets: where a bigger brush costs) is the time from
    its PREPARING event to its first step's event, less one step of that scale (the median)."""
    steps: dict[int, list[float]] = {}
    for (t0, _), (t1, event) in zip(stamps, stamps[1:], strict=False):
        if event.is_step and event.step > 1:
            steps.setdefault(event.scale_index, []).append(t1 - t0)
    median = {k: sorted(v)[len(v) // 2] for k, v in steps.items()}
    setup = 0.0
    for (t0, before), (t1, event) in zip(stamps, stamps[1:], strict=False):
        if before.phase == PREPARING and event.is_step and event.step == 1:
            setup += t1 - t0 - median.get(event.scale_index, 0.0)
    return setup, median.get(max(median), 0.0) if median else 0.0


def render(photo: str, style: str, params: Params, fresh: bool) -> tuple[np.ndarray, dict[str, float]]:
    """One cell: (float picture, {seconds, setup_s, step_s}), from the cache when it is there."""
    digest = hashlib.sha1(params.to_json().encode()).hexdigest()[:10]
    png, meta = CACHE / f"{photo}__{style}__{digest}.png", CACHE / f"{photo}__{style}__{digest}.json"
    if png.exists() and meta.exists() and not fresh:
        record = json.loads(meta.read_text())
        if record["params"] == params.to_dict():
            return to_float(np.asarray(Image.open(png).convert("RGB"))), record["times"]
    content = to_float(load_rgb(IMAGES / "content" / f"{photo}.jpg"))
    painting = to_float(load_rgb(IMAGES / "style" / f"{style}.jpg"))
    stamps: list[tuple[float, ProgressEvent]] = []
    started = time.perf_counter()
    result = stylize(content, [StyleInput(painting, 1.0, style)], params,
                     callback=lambda event: stamps.append((time.perf_counter(), event)))
    seconds = time.perf_counter() - started
    setup, step = split_times(stamps)
    times = {"seconds": seconds, "setup_s": setup, "step_s": step}
    picture = (np.clip(result.image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    CACHE.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).save(png)
    meta.write_text(json.dumps({"times": times, "params": params.to_dict(), "date": today(),
                                "threads": torch.get_num_threads()}))
    return to_float(picture), times


def _label(im: Image.Image, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> None:
    ImageDraw.Draw(im).text((4, 3), text, fill="white", font=font, stroke_width=2, stroke_fill="black")


def contact_sheet(rows: list[tuple[str, list[tuple[np.ndarray, str]]]], path: Path) -> None:
    """Rows of (style, [(picture, label)]): the style's thumbnail, then each labelled cell."""
    height = rows[0][1][0][0].shape[0]
    font = ImageFont.load_default(size=max(10, height // 18))
    images: list[list[Image.Image]] = []
    for style, cells in rows:
        thumb = Image.open(IMAGES / "style" / f"{style}.jpg").convert("RGB")
        thumb = thumb.resize((max(1, round(thumb.width * height / thumb.height)), height),
                             Image.Resampling.LANCZOS)
        _label(thumb, style, font)
        row = [thumb]
        for picture, text in cells:
            cell = Image.fromarray((picture * 255.0 + 0.5).astype(np.uint8))
            _label(cell, text, font)
            row.append(cell)
        images.append(row)
    canvas = paste_rows(images)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, quality=90, optimize=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--preset", default="draft", choices=sorted(PRESETS))
    ap.add_argument("--photo", default="tubingen")
    ap.add_argument("--styles", default=",".join(STYLES))
    ap.add_argument("--brushes", default=",".join(f"{b:g}" for b in BRUSHES),
                    help="brush sizes, the first the ratio's base (a second process can paint others)")
    ap.add_argument("--fresh", action="store_true", help="ignore the render cache")
    ap.add_argument("--quick", action="store_true", help="96 px, a few steps: checks that it runs")
    ap.add_argument("--results", action="store_true", help="write the table into RESULTS.md")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch threads (0: torch's choice; 1 on a busy machine, where two threads wait "
                         "at each other's barriers)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    size = 96 if args.quick else args.size
    header = [f"Measured {today()} on: {machine()}.", "",
              f"Command: `python {shlex.join(['benchmarks/bench_brush.py', *sys.argv[1:]])}`", "",
              "| style | brush | seconds | set-up s (targets) | s / final step | stroke scale (px) "
              "| against 1x |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    print("\n".join(header), flush=True)
    lines, rows = list(header), []
    for style in args.styles.split(","):
        cells, base = [], 0.0
        for brush in [float(b) for b in args.brushes.split(",")]:
            picture, times = render(args.photo, style, params_for(args.preset, size, brush, args.quick),
                                    args.fresh)
            width = stroke_scale(picture)
            base = base or width
            line = (f"| {style} | {brush:g}x | {times['seconds']:.0f} | {times['setup_s']:.1f} | "
                    f"{times['step_s']:.2f} | {width:.2f} | {width / base:.2f}x |")
            print(line, flush=True)
            lines.append(line)
            cells.append((picture, f"Brush {brush:g}x: stroke {width:.1f} px, {times['seconds']:.0f} s"))
        rows.append((style, cells))
    if not args.quick:
        contact_sheet(rows, SHEET)
        print("wrote", SHEET)
    if args.results:
        replace_block("bench_brush", "## Brush size (issue 20.2)", "\n".join(lines))


if __name__ == "__main__":
    main()
