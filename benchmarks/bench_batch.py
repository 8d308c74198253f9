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

    python benchmarks/bench_batch.py [--jobs 20] [--size 96] [--write]

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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=20)
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--steps", type=int, default=None, help="fewer steps than a quick look (a busy machine)")
    ap.add_argument("--write", action="store_true", help="write the figures into RESULTS.md")
    args = ap.parse_args()
    from nst_desktop.engine.run.stylize import stylize
    from nst_desktop.gui.worker import default_warm_up  # no Qt object is made

    look = look_params(args.size, args.steps)
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
        replace_block("bench_batch", "## Queue: a batch against separate renders (issue 18.5)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
