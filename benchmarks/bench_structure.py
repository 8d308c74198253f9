"""The structure content term (``content_loss="structure"``) against the features term: time.

Per step: one engine step (forward to relu4_2, the loss, backward to the image) at 256 and 512 px,
Tübingen + Starry Night and Astronaut + The Scream, default params otherwise, the two terms
interleaved step by step in one process so that the machine's load hits both alike; min and
median of ``--repeats`` steps each after a warm-up step (bench_style_loss's stepper).

``--runs N``: N whole default runs of each at ``--run-size`` (512) px, alternating features and
structure, on Astronaut + The Scream: the run's time, set-up and coarse scales included (issue 20.6:
"the new default stays within 1.25x of today's time at 512 px"); the pictures are saved in
benchmarks/out/structure/ to compare the faces at that size.

Run: ``python benchmarks/bench_structure.py`` (~3 min on 2 cores), ``--runs 2`` (~25 min),
``--quick`` to check that it runs.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_style_loss import stepper  # noqa: E402
from benchmarks.common import IMAGES, load_rgb, machine, to_float, today  # noqa: E402
from benchmarks.common import OUT as BENCH_OUT  # noqa: E402
from nst_desktop.engine.run.stylize import stylize  # noqa: E402
from nst_desktop.engine.spec.events import StyleInput, to_uint8  # noqa: E402
from nst_desktop.engine.spec.params import DEFAULTS  # noqa: E402

TERMS = ("features", "structure")
OUT = BENCH_OUT / "structure"
PAIRS = (("tubingen", "starry_night"), ("astronaut", "the_scream"))


def _pair(photo: str, style: str) -> tuple[object, object]:
    return (to_float(load_rgb(IMAGES / "content" / f"{photo}.jpg")),
            to_float(load_rgb(IMAGES / "style" / f"{style}.jpg")))


def step_times(sizes: list[int], repeats: int) -> None:
    for photo, style in PAIRS:
        content, painting = _pair(photo, style)
        for size in sizes:
            steppers = {term: stepper(size, content, painting, content_loss=term) for term in TERMS}
            times: dict[str, list[float]] = {term: [] for term in TERMS}
            for term in TERMS:
                steppers[term]()  # warm-up
            for _ in range(repeats):
                for term in TERMS:
                    times[term].append(steppers[term]())
            f, s = (statistics.median(times[t]) for t in TERMS)
            print(f"{photo} x {style} {size} px: features min {min(times['features']):.3f} med {f:.3f} "
                  f"s/step | structure min {min(times['structure']):.3f} med {s:.3f} | ratio of medians "
                  f"{s / f:.3f}", flush=True)


def run_times(runs: int, size: int) -> None:
    content, painting = _pair("astronaut", "the_scream")
    seconds: dict[str, list[float]] = {term: [] for term in TERMS}
    for _ in range(runs):
        for term in TERMS:
            params = DEFAULTS.with_changes(size=size, device="cpu", content_loss=term)
            started = time.perf_counter()
            result = stylize(content, [StyleInput(painting, 1.0, "the_scream")], params)  # type: ignore[arg-type]
            seconds[term].append(time.perf_counter() - started)
            OUT.mkdir(parents=True, exist_ok=True)  # to look at the two faces at this size
            Image.fromarray(to_uint8(result.image)).save(OUT / f"astronaut_the_scream_{size}_{term}.png")
            print(f"astronaut x the_scream {size} px, whole default run, {term}: {seconds[term][-1]:.1f} s",
                  flush=True)
    f, s = (statistics.median(seconds[t]) for t in TERMS)
    print(f"whole runs at {size} px: features median {f:.1f} s, structure median {s:.1f} s, "
          f"ratio {s / f:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--runs", type=int, default=0, help="whole default runs of each (0: none)")
    ap.add_argument("--run-size", type=int, default=512)
    ap.add_argument("--quick", action="store_true", help="64 px, 2 repeats, one 64 px run each")
    args = ap.parse_args()
    print(f"# {today()}  {machine()}")
    print(f"# command: python {shlex.join(sys.argv)}")
    if args.quick:
        step_times([64], 2)
        run_times(1, 64)
        return
    step_times(args.sizes, args.repeats)
    if args.runs:
        run_times(args.runs, args.run_size)


if __name__ == "__main__":
    main()
