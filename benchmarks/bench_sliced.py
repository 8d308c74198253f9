"""The sliced Wasserstein style loss (issue 20.4) against Gram and W2: cost, calibration, a sheet.

Timing (default): at ``--sizes`` (512 px), Tübingen + Starry Night, default params otherwise
(precision ``auto``), the three losses interleaved step by step in one process so that the
machine's load hits them alike; after a warm-up, ``--repeats`` of each of

* a whole step: VGG forward to relu5_1, the loss, backward to the image (for sliced, the step's
  directions and the style's sorted projections too: ``targets_for_step``, paid every step);
* the style term alone: from a step's features (detached, so no VGG), the style loss of the
  four default style layers and its backward to the features. That is the loss's own cost.

``--calibrate``: SLICED_GAIN. At the photo (the start image), 256 px, the norm of the image
gradient of the Gram style term over that of the sliced term with gain 1, for Tübingen and
Golden Gate x Starry Night and The Scream, averaged over 5 steps' directions; the gain is the
geometric mean of the four ratios (as W2_GAIN was calibrated).

``--sheet``: docs/quality/sliced_vs_gram.png, Tübingen x Starry Night and The Scream at 384 px
(the ``draft`` preset: 30 + 60 steps), Gram / W2 / sliced, labelled.

Run: ``python benchmarks/bench_sliced.py`` (~3 min on 2 busy cores), ``--calibrate`` (~1 min),
``--sheet`` (~8 min), ``--quick`` to check that it runs.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import IMAGES, OUT, ROOT, load_rgb, machine, save_small, to_float, today  # noqa: E402
from nst_desktop.engine.losses import sliced  # noqa: E402
from nst_desktop.engine.losses.statistics import FeatureStats  # noqa: E402
from nst_desktop.engine.losses.terms import (  # noqa: E402
    backward_pass,
    layer_terms,
    style_sum,
    targets_for_step,
    total_loss,
)
from nst_desktop.engine.model.devices import autocast_dtype, pick_device  # noqa: E402
from nst_desktop.engine.model.vgg import cached_model  # noqa: E402
from nst_desktop.engine.model.weights import load_caffe_weights  # noqa: E402
from nst_desktop.engine.run.inputs import layout, load_inputs, prepare, resize, targets  # noqa: E402
from nst_desktop.engine.run.stylize import stylize  # noqa: E402
from nst_desktop.engine.spec.events import StyleInput  # noqa: E402
from nst_desktop.engine.spec.params import Params  # noqa: E402
from nst_desktop.engine.spec.presets import PRESETS  # noqa: E402

LOSSES = ("gram", "wasserstein", "sliced")
Timer = Callable[[], float]


def _setup(loss: str, size: int, content: np.ndarray, style: np.ndarray):  # type: ignore[no-untyped-def]
    """The model, params, targets and the start image (the photo) of one loss at ``size``."""
    params = Params(size=size, min_size=size, style_loss=loss, device="cpu")  # type: ignore[arg-type]
    device = pick_device(params.device)
    amp = autocast_dtype(params.precision, device)
    model = cached_model(load_caffe_weights(), params.pooling, device, amp)
    raw = load_inputs(content, [StyleInput(style)], params, None, device)
    inputs = prepare(raw, params, raw.blend)
    scale = size / max(raw.content.shape[-2:])
    hw = (round(raw.content.shape[-2] * scale), round(raw.content.shape[-1] * scale))
    x = resize(inputs.content, hw).clone().requires_grad_(True)
    return params, model, targets(model, inputs, params, hw), x


def _timers(loss: str, size: int, content: np.ndarray, style: np.ndarray) -> tuple[Timer, Timer]:
    """(a whole step, the style term alone) of ``loss``: each call times one."""
    params, model, tg, x = _setup(loss, size, content, style)
    layers = sorted(set(params.content_layers) | set(params.style_layers))
    device, count = x.device, [0]

    def whole_step() -> float:
        started = time.perf_counter()
        step_tg = targets_for_step(tg, [1.0], params, count[0])
        count[0] += 1
        x.grad = None
        terms = total_loss(model(layout(x, device), layers), x, step_tg, params)
        backward_pass(terms["total"], x, model.compute_dtype)
        float(terms["total"].detach())
        return time.perf_counter() - started

    with torch.no_grad():
        fixed = model(layout(x, device), list(params.style_layers))

    def style_term_alone() -> float:
        feats = {k: v.detach().clone().requires_grad_(True) for k, v in fixed.items()}
        started = time.perf_counter()
        step_tg = targets_for_step(tg, [1.0], params, count[0])
        count[0] += 1
        stats = {k: FeatureStats(v) for k, v in feats.items()}
        value = style_sum(layer_terms(step_tg, params), stats, params.loss_normalisation, device)
        value.backward()  # type: ignore[no-untyped-call]
        float(value.detach())
        return time.perf_counter() - started

    return whole_step, style_term_alone


def timing(sizes: list[int], repeats: int) -> list[dict[str, object]]:
    content = to_float(load_rgb(IMAGES / "content" / "tubingen.jpg"))
    style = to_float(load_rgb(IMAGES / "style" / "starry_night.jpg"))
    rows: list[dict[str, object]] = []
    for size in sizes:
        timers = {loss: _timers(loss, size, content, style) for loss in LOSSES}
        times: dict[str, dict[str, list[float]]] = {loss: {"step": [], "loss": []} for loss in LOSSES}
        for loss in LOSSES:  # warm-up
            timers[loss][0]()
            timers[loss][1]()
        for _ in range(repeats):
            for loss in LOSSES:
                times[loss]["step"].append(timers[loss][0]())
                times[loss]["loss"].append(timers[loss][1]())
        row: dict[str, object] = {"size": size}
        for loss in LOSSES:
            row[loss] = {kind: {"min": min(t), "median": statistics.median(t), "all": t}
                         for kind, t in times[loss].items()}
            step, alone = (statistics.median(times[loss][k]) for k in ("step", "loss"))
            print(f"{size} px {loss:12s} step min {min(times[loss]['step']):.3f} med {step:.3f} s | "
                  f"style term alone min {min(times[loss]['loss']):.4f} med {alone:.4f} s", flush=True)
        rows.append(row)
    return rows


def calibrate(size: int, steps: int) -> dict[str, float]:
    """Gram's image-gradient norm over the ungained sliced term's, per pair; their geometric mean."""
    ratios = {}
    for photo in ("tubingen", "golden_gate"):
        content = to_float(load_rgb(IMAGES / "content" / f"{photo}.jpg"))
        for style_name in ("starry_night", "the_scream"):
            style = to_float(load_rgb(IMAGES / "style" / f"{style_name}.jpg"))
            norms = {}
            for loss in ("gram", "sliced"):
                params, model, tg, x = _setup(loss, size, content, style)
                params = params.with_changes(content_weight=0.0, tv_weight=0.0)
                layers = sorted(set(params.style_layers) | set(params.content_layers))
                found = []
                for step in range(steps if loss == "sliced" else 1):
                    x.grad = None
                    terms = total_loss(model(layout(x, x.device), layers), x,
                                       targets_for_step(tg, [1.0], params, step), params)
                    found.append(float(backward_pass(terms["style"], x, model.compute_dtype).norm()))
                norms[loss] = statistics.mean(found) / (sliced.SLICED_GAIN if loss == "sliced" else 1.0)
            ratios[f"{photo} x {style_name}"] = norms["gram"] / norms["sliced"]
            print(f"{photo} x {style_name}: Gram / ungained sliced gradient norm "
                  f"{ratios[f'{photo} x {style_name}']:.3f}", flush=True)
    ratios["geometric mean"] = math.exp(statistics.mean(math.log(r) for r in ratios.values()))
    print(f"geometric mean {ratios['geometric mean']:.3f}")
    return ratios


def sheet(changes: dict[str, object]) -> Path:
    """Rows = Tübingen x two styles; columns = photo, style, Gram, W2, sliced."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default(size=14)
    content = to_float(load_rgb(IMAGES / "content" / "tubingen.jpg"))
    tiles = []
    for style_name in ("starry_night", "the_scream"):
        style = to_float(load_rgb(IMAGES / "style" / f"{style_name}.jpg"))
        cells = [(content, "tubingen"), (style, style_name)]
        for loss in LOSSES:
            params = PRESETS["draft"].with_changes(style_loss=loss, **changes)  # type: ignore[arg-type]
            result = stylize(content, [StyleInput(style)], params)
            print(f"tubingen x {style_name} {loss}: {result.elapsed_s:.0f} s", flush=True)
            cells.append((result.image, f"{loss} ({result.elapsed_s:.0f} s)"))
        height = cells[-1][0].shape[0]
        ims = []
        for image, label in cells:
            im = Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
            im = im.resize((round(im.width * height / im.height), height), Image.Resampling.LANCZOS)
            ImageDraw.Draw(im).text((4, 4), label, fill="white", font=font, stroke_width=2,
                                    stroke_fill="black")
            ims.append(im)
        row = Image.new("RGB", (sum(i.width for i in ims) + 4 * (len(ims) - 1), height), "white")
        left = 0
        for im in ims:
            row.paste(im, (left, 0))
            left += im.width + 4
        tiles.append(row)
    canvas = Image.new("RGB", (max(t.width for t in tiles), sum(t.height + 4 for t in tiles)), "white")
    top = 0
    for t in tiles:
        canvas.paste(t, (0, top))
        top += t.height + 4
    path = ROOT / "docs" / "quality" / "sliced_vs_gram.png"
    save_small(canvas, path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[512])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--sheet", action="store_true")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"# {machine()}\n# {today()}", flush=True)
    if args.calibrate:
        ratios = calibrate(64 if args.quick else 256, 2 if args.quick else 5)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "sliced_calibration.json").write_text(json.dumps(ratios, indent=1))
        return
    if args.sheet:
        print("wrote", sheet({"size": 64, "steps": 4, "coarse_steps": 2} if args.quick else {}))
        return
    rows = timing([64] if args.quick else args.sizes, 2 if args.quick else args.repeats)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "sliced_timing.json"
    path.write_text(json.dumps({"machine": machine(), "date": today(), "threads": torch.get_num_threads(),
                                "rows": rows}, indent=1))
    print("wrote", path)


if __name__ == "__main__":
    main()
