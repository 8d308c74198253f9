"""A batch against separate renders, and the queue's overhead per job (issue 18.5).

1. Twenty quick looks (the app's quick-look settings at ``--size`` px: ``quick_look``) of one photo
   and one style, each at another style weight, painted two ways in one run of this script:
   as one ``nst-desktop batch`` process (torch, the model and the weights loaded once), and as
   twenty ``nst-desktop render`` processes, one per picture. Wall-clock of each, and the ratio.
2. The queue's overhead per job, in this process: the wall-clock of ``Runner.run`` over the same
   twenty jobs minus the engine's own time for each (``RunResult.elapsed_s``): claiming, the
   lease, decoding the kept inputs, the checkpoints, the history entry, the output file, the
   store's writes. Measured with the real engine (after a warm-up) and with an engine that paints
   nothing (the overhead alone, without a busy CPU's noise).
3. The style cache (engine.run.style_cache): the same twenty jobs painted in this process twice
   each, interleaved, once with the cache and once with one that keeps nothing (the style's
   statistics built for every job, as before it); seconds per job each way, and the pictures
   compared to the bit. ``--cache-only`` measures this part alone.

    python benchmarks/bench_batch.py [--jobs 20] [--size 96] [--cache-only] [--write]

Every process runs with ``NST_DESKTOP_HOME`` in a temporary folder (the queue, the history).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, replace_block, today  # noqa: E402

from nst_desktop.engine.spec.params import DEFAULTS, Params  # noqa: E402
from nst_desktop.engine.spec.presets import quick_look  # noqa: E402

PHOTO = ROOT / "resources" / "samples" / "tubingen.jpg"
STYLE = ROOT / "resources" / "styles" / "starry_night.jpg"
CLI = "import sys; from nst_desktop.cli import main; sys.exit(main(sys.argv[1:]))"


def look_params(size: int, steps: int | None) -> Params:
    """The app's quick look at ``size`` px (``steps``: fewer steps, for a busy machine)."""
    look = quick_look(DEFAULTS, size).with_changes(device="cpu")
    return look.with_changes(steps=steps) if steps else look


def settings(look: Params) -> list[str]:
    return ["--size", str(look.size), "--min-size", str(look.min_size), "--steps", str(look.steps),
            "--coarse-steps", str(look.coarse_steps), "--device", "cpu", "-q"]


def weights(jobs: int) -> list[float]:
    return [round(2.0 * 1.2**i, 3) for i in range(jobs)]


def cli(args: list[str], home: Path) -> None:
    env = {**os.environ, "NST_DESKTOP_HOME": str(home), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", CLI, *args], check=True, env=env, stdout=subprocess.DEVNULL)


def batch_vs_separate(jobs: int, look: Params, work: Path) -> tuple[float, float]:
    values = ",".join(f"{w:g}" for w in weights(jobs))
    started = time.perf_counter()
    cli(["batch", str(PHOTO), "--styles", str(STYLE), "--sweep", f"style-weight={values}",
         "--name", "{value}.png", "-o", str(work / "batch"), *settings(look)], work / "home-batch")
    batch_s = time.perf_counter() - started
    (work / "separate").mkdir()
    started = time.perf_counter()
    for w in weights(jobs):
        cli(["render", str(PHOTO), str(STYLE), "--style-weight", f"{w:g}", "-o",
             str(work / "separate" / f"{w:g}.png"), *settings(look)], work / "home-separate")
    return batch_s, time.perf_counter() - started


def overhead(jobs: int, look: Params, work: Path, engine: Any) -> tuple[float, float]:
    """(seconds of queue overhead per job, seconds of engine per job) of one Runner over ``jobs`` jobs."""
    from nst_desktop.io.library import Library
    from nst_desktop.queue.runner import Runner
    from nst_desktop.queue.store import Output, QueueStore
    from nst_desktop.recipe.recipe import Recipe, StyleRef

    store = QueueStore(work / "queue.sqlite3")
    ids = [store.add(Recipe(str(PHOTO), (StyleRef(str(STYLE)),), look.with_changes(style_weight=w)),
                     Output(str(work / "out"), f"{w:g}.png")).id for w in weights(jobs)]
    started = time.perf_counter()
    summary = Runner(store, Library(work / "library"), only=ids, stylize_fn=engine).run()
    wall = time.perf_counter() - started
    engine_s = sum(o.seconds for o in summary.outcomes)
    assert len(summary.outcomes) == jobs and not summary.failed
    return (wall - engine_s) / jobs, engine_s / jobs


def instant_engine() -> Any:
    """An engine that paints nothing: what is left of a job's time is the queue's own."""
    from nst_desktop.engine.spec.events import RunResult

    def stylize(content: Any, styles: Any, params: Any, **kwargs: Any) -> RunResult:
        return RunResult(content.copy(), params, False, 0, 1e-9, {}, "cpu")

    return stylize


def cache_effect(jobs: int, look: Params) -> tuple[float, float]:
    """(seconds per job with the style cache, without it): each job painted both ways, in turns,
    so that the machine's changing load falls on both; the pictures must be the same bits."""
    import numpy as np

    from nst_desktop.engine.run import inputs
    from nst_desktop.engine.run.style_cache import STYLE_CACHE, StyleCache
    from nst_desktop.engine.run.stylize import stylize
    from nst_desktop.engine.spec.events import StyleInput
    from nst_desktop.io.images import load_image

    photo, styles = load_image(PHOTO), [StyleInput(load_image(STYLE), 1.0, STYLE.stem)]
    kept, nothing = STYLE_CACHE, StyleCache(max_bytes=0)
    seconds: dict[bool, float] = {True: 0.0, False: 0.0}
    try:
        for index, w in enumerate(weights(jobs)):
            images = {}
            for cached in (True, False) if index % 2 else (False, True):
                inputs.STYLE_CACHE = kept if cached else nothing  # the one the engine reads
                started = time.perf_counter()
                images[cached] = stylize(photo, styles, look.with_changes(style_weight=w)).image
                seconds[cached] += time.perf_counter() - started
            assert np.array_equal(images[True], images[False]), f"job {index}: the cache changed the picture"
    finally:
        inputs.STYLE_CACHE = kept
    return seconds[True] / jobs, seconds[False] / jobs


def targets_cost(look: Params, repeats: int = 7) -> tuple[float, float]:
    """(median seconds, with the style's statistics kept, without) of one scale's inputs and targets
    (engine.run.inputs.targets): what the cache saves per scale and style, without the steps' noise."""
    import statistics

    import torch

    from nst_desktop.engine.model.vgg import cached_model
    from nst_desktop.engine.model.weights import load_caffe_weights
    from nst_desktop.engine.run import inputs
    from nst_desktop.engine.run.style_cache import STYLE_CACHE, StyleCache
    from nst_desktop.engine.spec.events import StyleInput
    from nst_desktop.engine.spec.schedule import scale_sizes
    from nst_desktop.io.images import load_image

    cpu = torch.device("cpu")
    model = cached_model(load_caffe_weights(), look.pooling, cpu, None)
    photo, styles = load_image(PHOTO), [StyleInput(load_image(STYLE), 1.0, STYLE.stem)]
    hw = scale_sizes(look, photo.shape[:2])[-1]
    medians = []
    for cache in (STYLE_CACHE, StyleCache(max_bytes=0)):
        inputs.STYLE_CACHE = cache
        seconds = []
        for _ in range(repeats):
            started = time.perf_counter()
            raw = inputs.load_inputs(photo, styles, look, None, cpu)
            inputs.targets(model, inputs.prepare(raw, look, raw.blend), look, hw)
            seconds.append(time.perf_counter() - started)
        medians.append(statistics.median(seconds))
    inputs.STYLE_CACHE = STYLE_CACHE
    return medians[0], medians[1]


def cache_lines(jobs: int, look: Params, with_cache: float, without: float) -> list[str]:
    kept, built = targets_cost(look)
    return [
        f"Style cache (engine.run.style_cache), in one process after a warm-up, each of the {jobs} jobs "
        "painted twice in turns, with the cache and with one that keeps nothing (the pictures equal "
        "to the bit):",
        "",
        "| style statistics | per job |",
        "| --- | ---: |",
        f"| built once per batch (the cache) | {with_cache:.2f} s |",
        f"| built for every job | {without:.2f} s |",
        "",
        f"**{without - with_cache:.2f} s saved per job ({(without - with_cache) / without:.0%})** at "
        f"{look.size} px, {look.steps} steps.",
        "",
        f"One scale's inputs and targets alone (median of 7, without the steps' noise): {kept * 1000:.0f} ms "
        f"with the style's statistics kept, {built * 1000:.0f} ms building them: "
        f"**{(built - kept) * 1000:.0f} ms saved per scale and style**.",
    ]


def sized_lines(sizes: list[int]) -> list[str]:
    """The cache's saving per scale and style at larger sizes (the default settings), where a style's
    VGG pass is no longer lost in the steps' noise."""
    lines = ["| the default settings at | targets, kept | targets, built | saved per scale and style |",
             "| ---: | ---: | ---: | ---: |"]
    for size in sizes:
        kept, built = targets_cost(DEFAULTS.with_changes(device="cpu", size=size), repeats=3)
        lines.append(f"| {size} px | {kept:.2f} s | {built:.2f} s | **{built - kept:.2f} s** |")
    return lines if sizes else []


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=20)
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--steps", type=int, default=None, help="fewer steps than a quick look (a busy machine)")
    ap.add_argument("--cache-only", action="store_true", help="measure the style cache alone")
    ap.add_argument("--targets-sizes", default="256,1024",
                    help="also the cache's saving per scale at these sizes of the default settings")
    ap.add_argument("--write", action="store_true", help="write the figures into RESULTS.md")
    args = ap.parse_args()
    from nst_desktop.engine.run.stylize import stylize
    from nst_desktop.gui.worker import default_warm_up  # no Qt object is made

    look = look_params(args.size, args.steps)
    if args.cache_only:
        default_warm_up(look)
        return _report_cache(args, look)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        batch_s, separate_s = batch_vs_separate(args.jobs, look, work)
        (work / "real").mkdir()
        (work / "none").mkdir()
        default_warm_up(look)
        real_over, real_engine = overhead(args.jobs, look, work / "real", stylize)
        none_over, _ = overhead(args.jobs, look, work / "none", instant_engine())
    lines = [
        f"Measured {today()} on: {machine()}. The machine is shared with other work (noisy).",
        "",
        f"Command: `{shlex.join(['python', 'benchmarks/bench_batch.py', *sys.argv[1:]])}`",
        "",
        f"{args.jobs} quick looks (the app's quick-look schedule at {look.size} px: one scale, "
        f"{look.steps} steps{' instead of 40' if args.steps else ''}), one photo and one style, each at "
        "another style weight:",
        "",
        "| how | wall-clock | per picture |",
        "| --- | ---: | ---: |",
        f"| one `nst-desktop batch` process | {batch_s:.1f} s | {batch_s / args.jobs:.2f} s |",
        f"| {args.jobs} `nst-desktop render` processes | {separate_s:.1f} s | "
        f"{separate_s / args.jobs:.2f} s |",
        "",
        f"**The batch is {separate_s / batch_s:.2f}x faster** (torch, the model and the weights loaded "
        "once).",
        "",
        f"Queue overhead per job beyond the render (in-process `Runner.run` wall-clock minus the engine's "
        f"time, {args.jobs} jobs; target < 0.5 s): **{real_over:.3f} s** with the real engine "
        f"({real_engine:.2f} s of engine per job), **{none_over:.3f} s** with an engine that paints nothing.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        replace_block("bench_batch", HEADING, text)
    return _report_cache(args, look)


HEADING = "## Queue: a batch against separate renders (issue 18.5)"


def _report_cache(args: argparse.Namespace, look: Params) -> int:
    with_cache, without = cache_effect(args.jobs, look)
    text = "\n".join([f"Measured {today()} on: {machine()}. The machine is shared with other work (noisy).",
                      "", f"Command: `{shlex.join(['python', 'benchmarks/bench_batch.py', *sys.argv[1:]])}`",
                      "", *cache_lines(args.jobs, look, with_cache, without), "",
                      *sized_lines([int(v) for v in args.targets_sizes.split(",") if v])])
    print(text)
    if args.write:
        replace_block("bench_batch_cache", HEADING, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
