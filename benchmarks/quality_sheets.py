"""Contact sheets of the old default, the new default and ``classic`` (issue 9.1), and their times.

Every cell is one render of photo x style by one variant, at ``--size`` px (256 by default):

* ``old``: the balanced default before issue 9 (spelled out here, since params.py moved on);
* ``new``: today's ``DEFAULTS`` (the balanced preset) at that size;
* ``classic``: the ``classic`` preset (jcjohnson/neural-style's defaults) at that size, one
  scale, ``--classic-steps`` steps (its 1000 unless cut, and the label says so);
* ``cand_*``: the candidates that were tried for the new default (``--variants``).
* ``p_*``: the content terms tried for painted portraits (issue 20.3); ``p_struct`` is the
  ``portrait`` preset (docs/quality/README.md says what each did).

``--photos`` picks the sheets' photos, ``--name`` their file names (``structure_{photo}.jpg`` for the
issue-20.3 sheets: ``--variants new,p_struct,classic --classic-steps 300``).

Renders are cached in benchmarks/out/quality/ (the PNG and a JSON with its seconds), keyed by
photo, style, size and a hash of the params, so a sheet can be remade without painting again; delete
the folder (or pass ``--fresh``) after an engine change. Writes docs/quality/defaults_<photo>.png
(rows: styles; columns: style, old, new, classic; each cell labelled with its variant and time)
and prints the machine, the command and every render's time.

Picasso's Seated Nude and Escher's sphere are left out by default: ../shared/images/SOURCES.md
allows them "for tests only", and a sheet in docs/ is published with the source, which is more
than a test. ``--all-styles`` adds them for a local look (do not commit those sheets).

Run: ``python benchmarks/quality_sheets.py`` (all sheets; ~1 h on 2 busy cores with classic's
1000 steps), ``--quick`` (64 px, few steps: checks that it runs),
``--pairs tubingen:starry_night --variants old,new,classic`` (some cells only, no sheet).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    IMAGES,
    LOOK_BEFORE,
    OUT,
    ROOT,
    engine_look,
    load_rgb,
    machine,
    to_float,
    today,
)
from nst_desktop.engine.run.stylize import stylize  # noqa: E402
from nst_desktop.engine.spec.events import StyleInput, to_uint8  # noqa: E402
from nst_desktop.engine.spec.params import DEFAULTS, Params  # noqa: E402
from nst_desktop.engine.spec.presets import PRESETS  # noqa: E402

PHOTOS = ("tubingen", "golden_gate", "astronaut", "chelsea", "coffee")
PUBLIC_STYLES = ("starry_night", "the_scream", "shipwreck", "woman-with-hat-matisse")
TEST_ONLY_STYLES = ("seated-nude", "escher_sphere")  # copyrighted: SOURCES.md says tests only
CACHE = OUT / "quality"
SHEETS = ROOT / "docs" / "quality"

#: The balanced default before issue 9 (commit f1e52af), every field that issue 9 changed.
OLD_DEFAULT = Params(
    content_weight=1.0, style_weight=1.0, tv_weight=1.0,
    style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
    style_layer_weights=(1.0, 1.0, 1.0, 1.0, 1.0), init="content", init_noise=0.0,
    steps=120, coarse_steps=50, min_size=128, lbfgs_history=30,
)


@dataclass(frozen=True)
class Variant:
    label: str
    params: Callable[[int, int], Params]  # (size, classic steps) -> params


def _sized(base: Params) -> Callable[[int, int], Params]:
    # The default's own coarse-to-fine schedule and steps, only smaller: min_size 128 stays.
    return lambda size, _steps: base.with_changes(size=size, min_size=min(base.min_size, size))


def _classic(size: int, steps: int) -> Params:
    return PRESETS["classic"].with_changes(size=size, min_size=size, steps=steps)


VARIANTS: dict[str, Variant] = {
    "old": Variant("old default", _sized(OLD_DEFAULT)),
    "new": Variant("default", _sized(DEFAULTS)),
    "classic": Variant("classic", _classic),
    # The candidates tried for the new default (presets.py says what was measured).
    "cand_a": Variant("A: style 4, deep layers", _sized(OLD_DEFAULT.with_changes(
        style_weight=4.0, style_layer_weights=(0.5, 0.75, 1.0, 1.5, 1.5)))),
    "cand_b": Variant("B: A + noise start 0.5", _sized(OLD_DEFAULT.with_changes(
        style_weight=4.0, style_layer_weights=(0.5, 0.75, 1.0, 1.5, 1.5), init_noise=0.5))),
    "cand_c": Variant("C: style 8, deep, noise 0.5, TV 2", _sized(OLD_DEFAULT.with_changes(
        style_weight=8.0, style_layer_weights=(0.5, 0.75, 1.0, 1.5, 1.5), init_noise=0.5, tv_weight=2.0))),
    # Second round (the new default copied a face of Woman with a Hat into Tübingen's river):
    "cand_d": Variant("D: B, equal layers", _sized(OLD_DEFAULT.with_changes(
        style_weight=4.0, init_noise=0.5))),
    "cand_e": Variant("E: B, relu5_1 0.5", _sized(OLD_DEFAULT.with_changes(
        style_weight=4.0, style_layer_weights=(0.75, 1.0, 1.0, 1.0, 0.5), init_noise=0.5))),
    "cand_f": Variant("F: style 6, equal layers", _sized(OLD_DEFAULT.with_changes(
        style_weight=6.0, init_noise=0.5))),
    "cand_g": Variant("G: B, deep layers 0.5 / 0.25", _sized(OLD_DEFAULT.with_changes(
        style_weight=4.0, style_layer_weights=(1.0, 1.0, 1.0, 0.5, 0.25), init_noise=0.5))),
    "cand_j": Variant("J: B without relu5_1", _sized(OLD_DEFAULT.with_changes(
        style_weight=4.0, style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1"),
        style_layer_weights=(0.5, 0.75, 1.0, 1.5), init_noise=0.5))),
    "cand_k": Variant("K: B, relu5_1 0.25", _sized(OLD_DEFAULT.with_changes(
        style_weight=4.0, style_layer_weights=(0.5, 0.75, 1.0, 1.5, 0.25), init_noise=0.5))),
    "cand_l": Variant("L: J with style 8", _sized(OLD_DEFAULT.with_changes(
        style_weight=8.0, style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1"),
        style_layer_weights=(0.5, 0.75, 1.0, 1.5), init_noise=0.5))),
    "cand_m": Variant("M: L, relu4_1 3", _sized(OLD_DEFAULT.with_changes(
        style_weight=8.0, style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1"),
        style_layer_weights=(0.5, 0.75, 1.0, 3.0), init_noise=0.5))),
    "cand_n": Variant("N: J with style 16", _sized(OLD_DEFAULT.with_changes(
        style_weight=16.0, style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1"),
        style_layer_weights=(0.5, 0.75, 1.0, 1.5), init_noise=0.5))),
    # Painted portraits (issue 20.3): content that protects structure, not pixels.
    "p_deep": Variant("content relu5_2", _sized(DEFAULTS.with_changes(content_layers=("relu5_2",)))),
    "p_mix": Variant("content relu4_2 .5 + relu5_2", _sized(DEFAULTS.with_changes(
        content_layers=("relu4_2", "relu5_2"), content_layer_weights=(0.5, 1.0)))),
    "p_struct": Variant("portrait (structure)", _sized(PRESETS["portrait"])),
    "p_struct2": Variant("structure, relu3_1 + relu4_2", _sized(DEFAULTS.with_changes(
        content_loss="structure", content_layers=("relu3_1", "relu4_2"), content_layer_weights=(1.0, 1.0)))),
    "p_s2w2": Variant("structure relu3_1 + relu4_2, content 2", _sized(DEFAULTS.with_changes(
        content_loss="structure", content_layers=("relu3_1", "relu4_2"), content_layer_weights=(1.0, 1.0),
        content_weight=2.0))),
    "p_s2s16": Variant("structure, content 2, style 16", _sized(DEFAULTS.with_changes(
        content_loss="structure", content_layers=("relu3_1", "relu4_2"), content_layer_weights=(1.0, 1.0),
        content_weight=2.0, style_weight=16.0))),
    "p_s2tv": Variant("structure, content 2, TV 3", _sized(DEFAULTS.with_changes(
        content_loss="structure", content_layers=("relu3_1", "relu4_2"), content_layer_weights=(1.0, 1.0),
        content_weight=2.0, tv_weight=3.0))),
    "p_s3": Variant("structure relu2_1 + relu3_1 + relu4_2", _sized(DEFAULTS.with_changes(
        content_loss="structure", content_layers=("relu2_1", "relu3_1", "relu4_2"),
        content_layer_weights=(1.0, 1.0, 1.0)))),
    "p_weak": Variant("content weight 0.5", _sized(DEFAULTS.with_changes(content_weight=0.5))),
    "cand_i": Variant("I: B at one scale", lambda size, _steps: OLD_DEFAULT.with_changes(
        size=size, min_size=size, style_weight=4.0, style_layer_weights=(0.5, 0.75, 1.0, 1.5, 1.5),
        init_noise=0.5)),
}


def _photo(name: str) -> np.ndarray:
    return to_float(load_rgb(IMAGES / "content" / f"{name}.jpg"))


def _style(name: str) -> np.ndarray:
    return to_float(load_rgb(IMAGES / "style" / f"{name}.jpg"))


def render(photo: str, style: str, variant: str, size: int, classic_steps: int, fresh: bool = False
           ) -> tuple[np.ndarray, float, Params]:
    """One cell: (uint8 picture, seconds, params), from the cache when it is there."""
    params = VARIANTS[variant].params(size, classic_steps).with_changes(device="cpu")
    # Keyed by the params, not the variant's name: the new default is the candidate it was.
    digest = hashlib.sha1(params.to_json().encode()).hexdigest()[:10]
    picture, seconds = cached_picture(
        CACHE / f"{photo}__{style}__{size}__{digest}.png", params,
        lambda: stylize(_photo(photo), [StyleInput(_style(style), 1.0, style)], params).image,
        f"{photo} x {style} {variant}", fresh)
    return picture, seconds, params


def cached_picture(png: Path, params: Params, paint: Callable[[], np.ndarray], label: str,
                   fresh: bool = False) -> tuple[np.ndarray, float]:
    """(uint8 picture, seconds) of ``paint()``, the benchmarks' one render cache: ``png`` and a
    JSON beside it (seconds, params, engine look, date, threads), read back only for the same
    ``params`` and ``common.engine_look()``.
    ``paint`` is called only on a miss (or ``fresh``), so a hit loads no input image."""
    meta = png.with_suffix(".json")
    if png.exists() and meta.exists() and not fresh:
        record = json.loads(meta.read_text())
        if record["params"] == params.to_dict() and record.get("look", LOOK_BEFORE) == engine_look():
            return np.asarray(Image.open(png).convert("RGB")), float(record["seconds"])
    started = time.perf_counter()
    image = paint()
    seconds = time.perf_counter() - started
    picture = to_uint8(image)
    png.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).save(png)
    meta.write_text(json.dumps({"seconds": seconds, "params": params.to_dict(), "look": engine_look(),
                                "date": today(),
                                "threads": torch.get_num_threads()}))
    print(f"  painted {label}: {seconds:.1f} s", flush=True)  # a cell takes minutes on a busy CPU
    return picture, seconds


def time_classic(photo: str, style: str, size: int, steps: int) -> dict[str, float]:
    """classic's time for its 1000 steps from ``steps`` of them: it runs at one scale, every step
    is one VGG pass of the same size, so the time is the set-up plus 1000 x the median step."""
    params = _classic(size, steps).with_changes(device="cpu")
    stamps: list[float] = []
    started = time.perf_counter()
    stylize(_photo(photo), [StyleInput(_style(style), 1.0, style)], params,
            callback=lambda event: stamps.append(time.perf_counter()) if event.is_step else None)
    per_step = sorted(b - a for a, b in zip(stamps, stamps[1:], strict=False))
    median = per_step[len(per_step) // 2]
    setup = stamps[0] - started - median  # model, targets, and not the first step
    full = PRESETS["classic"].steps
    return {"steps_run": float(steps), "seconds_run": time.perf_counter() - started,
            "s_per_step_median": median, "s_per_step_min": per_step[0], "setup_s": setup,
            "seconds_1000": setup + full * median}


def _label(im: Image.Image, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> None:
    ImageDraw.Draw(im).text((4, 3), text, fill="white", font=font, stroke_width=2, stroke_fill="black")


def sheet(photo: str, styles: tuple[str, ...], variants: list[str], size: int, classic_steps: int,
          fresh: bool, name: str = "defaults_{photo}.png") -> Path:
    """Rows: styles; columns: the style image, then one cell per variant, each labelled."""
    font = ImageFont.load_default(size=max(10, size // 18))
    rows = []
    for style in styles:
        cells = []
        for variant in variants:
            picture, seconds, params = render(photo, style, variant, size, classic_steps, fresh)
            im = Image.fromarray(picture)
            steps = f", {params.steps} steps" if variant == "classic" else ""
            _label(im, f"{VARIANTS[variant].label}{steps}: {seconds:.0f} s", font)
            cells.append(im)
        height = cells[0].height
        thumb = Image.open(IMAGES / "style" / f"{style}.jpg").convert("RGB")
        thumb = thumb.resize((max(1, round(thumb.width * height / thumb.height)), height),
                             Image.Resampling.LANCZOS)
        _label(thumb, style, font)
        rows.append([thumb, *cells])
    canvas = paste_rows(rows)
    path = SHEETS / name.format(photo=photo)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, optimize=True, quality=90)  # quality: for a .jpg name (the PNGs ignore it)
    return path


def paste_rows(rows: list[list[Image.Image]], gap: int = 4) -> Image.Image:
    """One white sheet of ``rows`` of cells, ``gap`` px apart (the contact sheets' one layout)."""
    width = max(sum(c.width for c in row) + gap * (len(row) - 1) for row in rows)
    canvas = Image.new("RGB", (width, sum(r[0].height for r in rows) + gap * (len(rows) - 1)), "white")
    y = 0
    for row in rows:
        x = 0
        for cell in row:
            canvas.paste(cell, (x, y))
            x += cell.width + gap
        y += row[0].height + gap
    return canvas


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--classic-steps", type=int, default=1000, help="classic's steps (its own: 1000)")
    ap.add_argument("--variants", default="old,new,classic", help="comma-separated: " + ",".join(VARIANTS))
    ap.add_argument("--pairs", default="", help="photo:style,... : render these cells only, no sheet")
    ap.add_argument("--all-styles", action="store_true", help="add Picasso and Escher (not for docs/)")
    ap.add_argument("--photos", default=",".join(PHOTOS), help="comma-separated: whose sheets to make")
    ap.add_argument("--rows", default="", help="photo:style,... : only these rows on the sheets")
    ap.add_argument("--fresh", action="store_true", help="ignore the render cache")
    ap.add_argument("--name", default="defaults_{photo}.png", help="the sheets' file names in docs/quality/")
    ap.add_argument("--quick", action="store_true", help="64 px, 20 classic steps: checks that it runs")
    ap.add_argument("--timing", type=int, default=0, metavar="N",
                    help="with --pairs: the new default's time against classic's 1000 steps, the latter "
                         "from N of its steps (see time_classic)")
    args = ap.parse_args()
    size, classic_steps = (64, 20) if args.quick else (args.size, args.classic_steps)
    variants = args.variants.split(",")
    print(f"# {today()}  {machine()}")
    print(f"# command: python {shlex.join(sys.argv)}")
    if args.pairs:
        for pair in args.pairs.split(","):
            photo, style = pair.split(":")
            if args.timing:
                _, new_s, _ = render(photo, style, "new", size, classic_steps, fresh=True)
                classic = time_classic(photo, style, size, args.timing)
                print(f"{photo} x {style} {size} px: new default {new_s:.1f} s; classic "
                      f"{classic['s_per_step_median']:.3f} s/step (min {classic['s_per_step_min']:.3f}) "
                      f"x 1000 + {classic['setup_s']:.1f} s set-up = {classic['seconds_1000']:.0f} s "
                      f"(ran {args.timing} steps in {classic['seconds_run']:.0f} s); "
                      f"new / classic = {new_s / classic['seconds_1000']:.3f}", flush=True)
                continue
            for variant in variants:
                _, seconds, params = render(photo, style, variant, size, classic_steps, args.fresh)
                print(f"{photo} x {style} {variant} ({params.steps} steps): {seconds:.1f} s")
        return
    styles = PUBLIC_STYLES + (TEST_ONLY_STYLES if args.all_styles else ())
    rows = [tuple(pair.split(":")) for pair in args.rows.split(",")] if args.rows else []
    for photo in args.photos.split(","):
        mine = tuple(s for p, s in rows if p == photo) if rows else styles
        if mine:
            print(f"sheet {photo}:", flush=True)
            print("wrote", sheet(photo, mine, variants, size, classic_steps, args.fresh, args.name))


if __name__ == "__main__":
    main()
