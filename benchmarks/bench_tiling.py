"""Print sizes by tiling: seconds per step and peak memory of a tiled render (engine.run.tiled_pass).

    python benchmarks/bench_tiling.py --size 4096 --steps 3 --tile 512            # own L-BFGS loop
    python benchmarks/bench_tiling.py --size 4096 --steps 3 --tile 512 --stylize  # through stylize()
    python benchmarks/bench_tiling.py --size 2048 --steps 40 --tile 512 --stylize \
        --start-from 1024 --save docs/quality/tiled_2048.png                      # a whole render

The own loop needs nothing of stylize's integration: targets by tiled passes, then L-BFGS
(stylize's settings: one iteration per step, no line search) on the tiled loss and gradient,
clamped to 0..1 after each step. ``--stylize`` runs the real entry point with the tile size
forced (engine.run.tiled_pass.plan_tile patched), one scale (min_size = size). Peak memory is the
process's ru_maxrss, so it counts everything: weights, inputs, L-BFGS history, tiles.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
from common import IMAGES, force_tile, load_rgb, machine, peak_rss_mib, to_float, today

from nst_desktop.engine.model.devices import autocast_dtype, pick_device
from nst_desktop.engine.model.vgg import VGG19
from nst_desktop.engine.model.weights import load_caffe_weights
from nst_desktop.engine.run import tiled_pass
from nst_desktop.engine.run.inputs import RawInputs, prepare, resize, to_tensor
from nst_desktop.engine.spec import tile_plan as geo
from nst_desktop.engine.spec.events import StyleInput
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.schedule import fit_long_side


def own_loop(content: np.ndarray, style: np.ndarray, params: Params, tile: int) -> list[float]:
    """Seconds of: model + targets, then each step."""
    device = pick_device("cpu")
    started = time.perf_counter()
    model = VGG19(load_caffe_weights(), params.pooling)
    amp = autocast_dtype(params.precision, device)
    if amp is not None:
        model.set_compute_dtype(amp)
    model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    hw = fit_long_side(content.shape[:2], params.size)
    raw = RawInputs(to_tensor(content, "photo", device), (to_tensor(style, "style", device),), (1.0,), None)
    inputs = prepare(raw, params, raw.blend)
    tg = tiled_pass.tiled_targets(model, inputs, params, hw, tile)
    x = resize(inputs.content, hw).clone().requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=params.lbfgs_history,
                            tolerance_grad=0.0, tolerance_change=0.0)
    gen = torch.Generator().manual_seed(params.seed)
    times = [time.perf_counter() - started]

    def closure() -> float:
        opt.zero_grad(set_to_none=True)
        terms = tiled_pass.tiled_loss_and_grad(model, x, tg, params, tile, gen)
        print(f"  loss {terms}", flush=True)
        return terms["total"]

    for _ in range(params.steps):
        start = time.perf_counter()
        opt.step(closure)  # type: ignore[arg-type]
        with torch.no_grad():
            x.clamp_(0.0, 1.0)
        times.append(time.perf_counter() - start)
        print(f"step {len(times) - 1}: {times[-1]:.1f} s, peak RSS {peak_rss_mib():.0f} MiB", flush=True)
    return times


def via_stylize(content: np.ndarray, style: np.ndarray, params: Params, tile: int,
                start_from: np.ndarray | None, save: Path | None) -> list[float]:
    from nst_desktop.engine.run.stylize import stylize

    force_tile(tile)
    stamps = [time.perf_counter()]

    def progress(event: object) -> None:
        if not getattr(event, "is_step", True):
            return  # a set-up about to start (engine.spec.events.PREPARING), not a step
        stamps.append(time.perf_counter())
        step = getattr(event, "step", len(stamps) - 1)
        print(f"step {step}: {stamps[-1] - stamps[-2]:.1f} s, peak RSS {peak_rss_mib():.0f} MiB", flush=True)

    result = stylize(content, [StyleInput(style, 1.0, "style")], params, callback=progress,
                     start_from=start_from, preview_every=10**6)
    if save is not None:
        from PIL import Image

        picture = (np.clip(result.image, 0, 1) * 255 + 0.5).astype(np.uint8)
        save.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(picture).save(save, optimize=True)
        if save.stat().st_size > 5_000_000:
            Image.fromarray(picture).save(save.with_suffix(".jpg"), quality=92)
            save.unlink()
    return [b - a for a, b in zip(stamps, stamps[1:], strict=False)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--tile", type=int, default=512)
    parser.add_argument("--content", default="tubingen.jpg")
    parser.add_argument("--style", default="starry_night.jpg")
    parser.add_argument("--stylize", action="store_true", help="run through stylize()")
    parser.add_argument("--start-from", type=int, default=0, help="promote a render at this long side")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"{today()}; {machine()}; load {os.getloadavg()}", flush=True)
    content = to_float(load_rgb(IMAGES / "content" / args.content))
    style = to_float(load_rgb(IMAGES / "style" / args.style))
    # One scale: the size itself (a promoted run skips the scales below its start anyway).
    params = Params(size=args.size, min_size=args.size, steps=args.steps, seed=0)
    hw = fit_long_side(content.shape[:2], args.size)
    halo = geo.halo_for("relu5_1")
    print(f"{hw[1]}x{hw[0]} px, tile {args.tile} + halo {halo}, window area ratio "
          f"{geo.window_area_ratio(hw, args.tile, halo):.2f}, cost factor "
          f"{geo.tiled_step_cost_factor(hw, args.tile, halo):.2f}", flush=True)
    if args.stylize:
        start = None
        if args.start_from:
            from nst_desktop.engine.run.stylize import stylize

            small = Params(size=args.start_from, steps=60, coarse_steps=30, seed=0)  # a quick look
            start = stylize(content, [StyleInput(style, 1.0, "style")], small).image
            print(f"start picture {start.shape[1]}x{start.shape[0]}, {peak_rss_mib():.0f} MiB", flush=True)
        times = via_stylize(content, style, params, args.tile, start, args.save)
    else:
        times = own_loop(content, style, params, args.tile)
    steps = times[1:]
    print(f"RESULT size {args.size} tile {args.tile}: set-up {times[0]:.1f} s, "
          f"steps {[round(t, 1) for t in steps]}, "
          f"mean {sum(steps) / max(len(steps), 1):.1f} s/step, peak RSS {peak_rss_mib():.0f} MiB, "
          f"load {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
