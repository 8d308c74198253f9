"""The Wasserstein-2 style loss against the Gram loss: seconds per step, and a contact sheet.

Timing: one engine step (forward to relu5_1, the loss, backward to the image) at 256 and
512 px, Tübingen + Starry Night, default params (precision ``auto``), the two losses
interleaved step by step in one process so that the machine's load hits both alike; min and
median of ``--repeats`` steps each after a warm-up step.

``--sheet``: docs/quality/w2_vs_gram.png, Tübingen and Golden Gate x Starry Night and The
Scream at 256 px with the default params, Gram against W2, labelled.

Run: ``python benchmarks/bench_style_loss.py`` (~3 min on 2 cores), ``--sheet [--steps 60]`` (~15 min),
``--quick`` to check that it runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import IMAGES, OUT, ROOT, load_rgb, machine, save_small, to_float, today  # noqa: E402
from nst_desktop.engine.losses.terms import backward_pass, total_loss  # noqa: E402
from nst_desktop.engine.model.devices import autocast_dtype, pick_device  # noqa: E402
from nst_desktop.engine.model.vgg import cached_model  # noqa: E402
from nst_desktop.engine.model.weights import load_caffe_weights  # noqa: E402
from nst_desktop.engine.run.inputs import layout, load_inputs, prepare, resize, targets  # noqa: E402
from nst_desktop.engine.run.stylize import stylize  # noqa: E402
from nst_desktop.engine.spec.events import StyleInput  # noqa: E402
from nst_desktop.engine.spec.params import Params  # noqa: E402

LOSSES = ("gram", "wasserstein")


def stepper(size: int, content: np.ndarray, style: np.ndarray, **changes: object):  # type: ignore[no-untyped-def]
    """One engine step of the default params with ``changes`` at ``size``, as a timed function."""
    params = Params(size=size, min_size=size, device="cpu").with_changes(**changes)
    device = pick_device(params.device)
    amp = autocast_dtype(params.precision, device)
    model = cached_model(load_caffe_weights(), params.pooling, device, amp)
    raw = load_inputs(content, [StyleInput(style)], params, None, device)
    inputs = prepare(raw, params, raw.blend)
    scale = size / max(raw.content.shape[-2:])
    hw = (round(raw.content.shape[-2] * scale), round(raw.content.shape[-1] * scale))
    tg = targets(model, inputs, params, hw)
    x = resize(inputs.content, hw).clone().requires_grad_(True)
    layers = sorted(set(params.content_layers) | set(params.style_layers))

    def step() -> float:
        started = time.perf_counter()
        x.grad = None
        terms = total_loss(model(layout(x, device), layers), x, tg, params)
        backward_pass(terms["total"], x, model.compute_dtype)
        float(terms["total"].detach())
        return time.perf_counter() - started

    return step


def timing(sizes: list[int], repeats: int) -> list[dict[str, object]]:
    content = to_float(load_rgb(IMAGES / "content" / "tubingen.jpg"))
    style = to_float(load_rgb(IMAGES / "style" / "starry_night.jpg"))
    rows = []
    for size in sizes:
        times: dict[str, list[float]] = {loss: [] for loss in LOSSES}
        steppers = {loss: stepper(size, content, style, style_loss=loss) for loss in LOSSES}
        for loss in LOSSES:
            steppers[loss]()  # warm-up
        for _ in range(repeats):
            for loss in LOSSES:
                times[loss].append(steppers[loss]())
        row: dict[str, object] = {"size": size}
        for loss in LOSSES:
            t = times[loss]
            row[loss] = {"min": min(t), "median": statistics.median(t), "all": t}
        rows.append(row)
        g, w = row["gram"], row["wasserstein"]
        assert isinstance(g, dict) and isinstance(w, dict)
        print(f"{size} px: gram min {g['min']:.3f} med {g['median']:.3f} s/step | W2 min {w['min']:.3f} "
              f"med {w['median']:.3f} | ratio of medians {w['median'] / g['median']:.2f}", flush=True)
    return rows


def sheet(size: int, params_changes: dict[str, object]) -> Path:
    """The Gram / W2 contact sheet, rows = photo x style, columns = photo, style, Gram, W2."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default(size=14)
    rows = []
    for photo in ("tubingen", "golden_gate"):
        content = to_float(load_rgb(IMAGES / "content" / f"{photo}.jpg"))
        for style_name in ("starry_night", "the_scream"):
            style = to_float(load_rgb(IMAGES / "style" / f"{style_name}.jpg"))
            cells = [(content, photo), (style, style_name)]
            for loss in LOSSES:
                params = Params(size=size, style_loss=loss, **params_changes)  # type: ignore[arg-type]
                result = stylize(content, [StyleInput(style)], params)
                print(f"{photo} x {style_name} {loss}: {result.elapsed_s:.0f} s", flush=True)
                cells.append((result.image, f"{loss} ({result.elapsed_s:.0f} s)"))
            rows.append(cells)
    tiles = []
    for cells in rows:
        ims = []
        for image, label in cells:
            im = Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
            im = im.resize((round(im.width * size * 0.75 / im.height), round(size * 0.75)))
            ImageDraw.Draw(im).text((4, 4), label, fill="white", font=font, stroke_width=2,
                                    stroke_fill="black")
            ims.append(im)
        row = Image.new("RGB", (sum(i.width for i in ims) + 4 * (len(ims) - 1), ims[0].height), "white")
        x = 0
        for im in ims:
            row.paste(im, (x, 0))
            x += im.width + 4
        tiles.append(row)
    canvas = Image.new("RGB", (max(t.width for t in tiles), sum(t.height + 4 for t in tiles)), "white")
    y = 0
    for t in tiles:
        canvas.paste(t, (0, y))
        y += t.height + 4
    path = ROOT / "docs" / "quality" / "w2_vs_gram.png"
    save_small(canvas, path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sheet", action="store_true")
    ap.add_argument("--steps", type=int, default=120, help="sheet: steps at 256 px (half per coarse scale)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.repeats = [64], 2
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.sheet:
        changes: dict[str, object] = {"steps": 5, "coarse_steps": 2} if args.quick else {
            "steps": args.steps, "coarse_steps": args.steps // 2}
        print("wrote", sheet(64 if args.quick else 256, changes))
        return
    rows = timing(args.sizes, args.repeats)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "style_loss_timing.json"
    path.write_text(json.dumps({"machine": machine(), "date": today(), "threads": torch.get_num_threads(),
                                "rows": rows}, indent=1))
    print("wrote", path)


if __name__ == "__main__":
    main()
