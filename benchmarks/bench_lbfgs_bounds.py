"""Keeping the pixels in 0..1 under L-BFGS: which way is best (issue 9, point 0).

The ``pastiche`` preset (one scale, L-BFGS, no TV) at a small size; for each way of keeping
the pixels valid the same loop as the engine's (its model, targets, loss and L-BFGS set-up)
runs ``--steps`` steps, and the best image is *saved as 8 bits* and scored with the engine's
own loss. Reported: the engine's best loss, the saved image's score, their gap, seconds, and
the saved score reached per second. Ways:

* ``none``: the engine before the fix (pixels clamped only on save);
* ``clamp``: clamp after every step, L-BFGS history untouched;
* ``project``: clamp after every step and store the step actually taken in L-BFGS's state, so
  its next curvature pair is true;
* ``project_pg``: ``project`` plus a projected gradient (components pushing a pixel further
  out of range at a bound are zeroed, so the search direction does not keep pointing outwards);
* ``sigmoid``: optimise z with x = sigmoid(z);
* ``penalty``: a quadratic penalty on the out-of-range part (``PENALTY`` x the start loss).

Run: ``python benchmarks/bench_lbfgs_bounds.py --size 192 --steps 300`` (~15 min on 2 cores);
``--quick`` for a check that it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import IMAGES, OUT, load_rgb, machine, to_float, today  # noqa: E402
from nst_desktop.engine.losses.terms import Targets, total_loss  # noqa: E402
from nst_desktop.engine.model.vgg import (
    VGG19,  # noqa: E402
    cached_model,  # noqa: E402
)
from nst_desktop.engine.model.weights import load_caffe_weights  # noqa: E402
from nst_desktop.engine.run import bounds
from nst_desktop.engine.run.inputs import initial, layout, load_inputs, prepare, targets  # noqa: E402
from nst_desktop.engine.run.runstate import to_preview  # noqa: E402
from nst_desktop.engine.run.stylize import _optimizer, stylize  # noqa: E402
from nst_desktop.engine.spec.events import StyleInput  # noqa: E402
from nst_desktop.engine.spec.params import Params  # noqa: E402
from nst_desktop.engine.spec.presets import PRESETS  # noqa: E402
from nst_desktop.engine.spec.schedule import scale_sizes  # noqa: E402

WAYS = ("none", "clamp", "project", "project_pg", "sigmoid", "penalty")
PENALTY = 1.0e3


@torch.no_grad()
def project_gradient(x: Tensor) -> None:
    """Zero the gradient components that push a pixel at a bound further out of range."""
    grad = x.grad
    if grad is not None:
        grad.masked_fill_(((x <= 0.0) & (grad > 0.0)) | ((x >= 1.0) & (grad < 0.0)), 0.0)


def _score(model: VGG19, x: Tensor, tg: Targets, params: Params) -> float:
    """The engine's loss of ``x`` as saved: clamped and rounded to 8 bits."""
    saved = (x.detach().clamp(0, 1) * 255.0 + 0.5).floor() / 255.0
    with torch.no_grad():
        layers = sorted(set(params.content_layers) | set(params.style_layers))
        feats = model(layout(saved, saved.device), layers)
        return float(total_loss(feats, saved, tg, params)["total"])


def run_way(way: str, model: VGG19, x0: Tensor, tg: Targets, params: Params, steps: int) -> dict[str, object]:
    layers = sorted(set(params.content_layers) | set(params.style_layers))
    sig = way == "sigmoid"
    var = torch.logit(x0.clamp(1 / 512, 1 - 1 / 512)) if sig else x0.clone()
    var.requires_grad_(True)
    opt = _optimizer(params, var)
    pixels: Callable[[Tensor], Tensor] = torch.sigmoid if sig else (lambda t: t)
    best, best_x = float("inf"), x0.clone()
    start_loss: list[float] = []
    curve: list[tuple[float, float]] = []

    def closure() -> float:
        nonlocal best, best_x
        opt.zero_grad(set_to_none=True)
        x = pixels(var)
        total = total_loss(model(layout(x, x.device), layers), x, tg, params)["total"]
        value = float(total.detach())
        if not start_loss:
            start_loss.append(value)
        if way == "penalty":
            out = (x - x.clamp(0, 1)).square().mean()
            total = total + PENALTY * start_loss[0] * out
        total.backward()  # type: ignore[no-untyped-call]
        if way == "project_pg":
            project_gradient(var)
        if value < best:
            best, best_x = value, x.detach().clone()
        return value

    started = time.perf_counter()
    for step in range(steps):
        before = var.detach().clone()
        opt.step(closure)
        if way in ("clamp", "project", "project_pg"):
            with torch.no_grad():
                var.clamp_(0.0, 1.0)
            if way != "clamp":
                bounds.record_projected_step(opt, var, before)
        if (step + 1) % 25 == 0:
            curve.append((time.perf_counter() - started, _score(model, best_x, tg, params)))
    seconds = time.perf_counter() - started
    saved = _score(model, best_x, tg, params)
    out_of_range = float((best_x - best_x.clamp(0, 1)).abs().max())
    return {"way": way, "engine_loss": best, "saved_score": saved, "gap": saved / best - 1.0, "s": seconds,
            "max_out_of_range": out_of_range, "curve": curve}


def run_engine(pair: str, params: Params, projection: bool) -> dict[str, object]:
    """The real engine (stylize, with its L-BFGS restart) before and after the fix."""
    photo, style = pair.split(":")
    content = to_float(load_rgb(IMAGES / "content" / f"{photo}.jpg"))
    painting = to_float(load_rgb(IMAGES / "style" / f"{style}.jpg"))
    # Before the fix: no clamp, every step recorded as taken (then only a capped one was: for the
    # others that is L-BFGS's own step, up to rounding).
    project = bounds.project
    bounds.project = project if projection else bounds.record_projected_step
    try:
        result = stylize(content, [StyleInput(painting)], params)
    finally:
        bounds.project = project
    model = cached_model(load_caffe_weights(), params.pooling, torch.device("cpu"), None)
    raw = load_inputs(content, [StyleInput(painting)], params, None, torch.device("cpu"))
    tg = targets(model, prepare(raw, params, raw.blend), params, result.image.shape[:2])
    saved = to_preview(result.image).astype(np.float32) / 255.0
    score = _score(model, torch.from_numpy(saved).permute(2, 0, 1)[None].contiguous(), tg, params)
    engine = result.losses["total"]
    return {"pair": pair, "way": "engine, projected" if projection else "engine, before (no projection)",
            "engine_loss": engine, "saved_score": score, "gap": score / engine - 1.0, "s": result.elapsed_s,
            "curve": [h["total"] for h in result.loss_history[::25]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--pairs", nargs="+", default=["tubingen:starry_night"])
    ap.add_argument("--ways", nargs="+", default=list(WAYS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--engine", action="store_true", help="run stylize itself, before and after the fix")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.size, args.steps, args.pairs = 64, 10, args.pairs[:1]
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    params = PRESETS["pastiche"].with_changes(size=args.size, min_size=args.size, steps=args.steps,
                                              device="cpu")
    model = cached_model(load_caffe_weights(), params.pooling, torch.device("cpu"), None)
    results = []
    if args.engine:
        for pair in args.pairs:
            for projection in (False, True):
                r = run_engine(pair, params, projection)
                results.append(r)
                print(f"{pair:28s} {r['way']:32s} engine {r['engine_loss']:.4g} saved {r['saved_score']:.4g} "
                      f"gap {100 * float(r['gap']):+.1f}% {r['s']:.0f}s", flush=True)
    for pair in [] if args.engine else args.pairs:
        photo, style = pair.split(":")
        content = to_float(load_rgb(IMAGES / "content" / f"{photo}.jpg"))
        painting = to_float(load_rgb(IMAGES / "style" / f"{style}.jpg"))
        raw = load_inputs(content, [StyleInput(painting)], params, None, torch.device("cpu"))
        inputs = prepare(raw, params, raw.blend)
        hw = scale_sizes(params, tuple(raw.content.shape[-2:]))[-1]
        tg = targets(model, inputs, params, hw)
        x0 = initial(params, inputs, hw, torch.Generator().manual_seed(0))
        for way in args.ways:
            r = run_way(way, model, x0, tg, params, args.steps)
            r["pair"] = pair
            results.append(r)
            print(f"{pair:28s} {way:10s} engine {r['engine_loss']:.4g} saved {r['saved_score']:.4g} "
                  f"gap {100 * r['gap']:+.1f}% {r['s']:.0f}s out {r['max_out_of_range']:.2f}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"lbfgs_bounds_{args.size}{'_engine' if args.engine else ''}.json"
    record = {"machine": machine(), "date": today(), "args": vars(args), "results": results}
    path.write_text(json.dumps(record, indent=1))
    print("wrote", path)


if __name__ == "__main__":
    main()
