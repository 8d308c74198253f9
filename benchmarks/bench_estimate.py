"""Estimate before a run and countdown during it, against the measured wall time (issue 8.4).

For each setting: the app's first-guess estimate (``engine.run.cost.estimate``: calibrated once
per process, as in the app), the wall time of ``stylize`` (engine warmed up first, as the app
does while its window opens), their ratio, and what the countdown predicted for the whole run
(elapsed + time left) at 10 % and 50 % of the steps. "learned" is the estimate the app shows
after the runs before it (``gui.learned_speed``, as ``gui.estimator`` learns: the speed the
first learnt run was modelled at, and the measured / modelled ratio of full runs and of quick
looks, each averaged over the runs so far). With ``--learned FILE`` that state is read from
FILE at start and written back after every row: run the benchmark twice to see the estimate
after a restart (the second process calibrates afresh, and its "learned" column does not
depend on that calibration, as in the app). "load" is the 1-minute load average before and after
the row: on a shared machine a run slows down with it, which no up-front estimate can know;
"CPU s / threads" (the process's CPU time over torch's threads) is what the run would take
with its threads to itself, nearly: a figure less sensitive to other users' load.

    python benchmarks/bench_estimate.py [--only 256] [--content tubingen.jpg] [--tile 192] [--learned FILE]

``--tile N`` paints every scale longer than N px in tiles of N px (``common.force_tile``,
as bench_tiling.py does), and the estimate sees the same tiles (``cost.device_plan``
asks the same function): the tiled time model checked on whole runs at sizes that fit here.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch  # noqa: E402
from common import IMAGES, force_tile, machine, today  # noqa: E402

from nst_desktop.engine.run.cost import Speed, calibrated_speed, estimate, speed_key  # noqa: E402
from nst_desktop.engine.run.stylize import stylize  # noqa: E402
from nst_desktop.engine.spec.events import ProgressEvent, StyleInput  # noqa: E402
from nst_desktop.engine.spec.params import DEFAULTS, Params  # noqa: E402
from nst_desktop.engine.spec.presets import PRESETS, quick_look  # noqa: E402
from nst_desktop.gui.learned_speed import LearnedSpeed, from_settings, to_settings  # noqa: E402
from nst_desktop.gui.worker import default_warm_up  # noqa: E402  (no Qt objects are made)
from nst_desktop.io.images import load_image  # noqa: E402

STYLES = ("starry_night.jpg", "the_scream.jpg")
CHECKPOINTS = (0.1, 0.5)  # fractions of the steps at which the countdown is read


@dataclass(frozen=True)
class Setting:
    name: str
    params: Params
    n_styles: int


def settings() -> list[Setting]:
    draft = PRESETS["draft"]
    return [
        Setting("default", DEFAULTS.with_changes(size=256), 1),
        Setting("quick look", quick_look(DEFAULTS), 1),
        Setting("default", DEFAULTS.with_changes(size=256), 2),
        Setting("draft", draft.with_changes(size=256), 1),
        Setting("draft", draft.with_changes(size=512), 1),
        Setting("default", DEFAULTS, 1),
    ]


def measure(setting: Setting, photo: object, styles: list[StyleInput]
            ) -> tuple[float, float, dict[float, float]]:
    """(wall s, process CPU s, {fraction: elapsed + remaining the countdown said at that fraction})."""
    said: dict[float, float] = {}

    def callback(event: ProgressEvent) -> None:
        for mark in CHECKPOINTS:
            if mark not in said and event.total_step >= mark * event.total_steps:
                said[mark] = time.perf_counter() - started + event.remaining_s

    started, cpu = time.perf_counter(), time.process_time()
    stylize(photo, styles[: setting.n_styles], setting.params, callback=callback)  # type: ignore[arg-type]
    return time.perf_counter() - started, time.process_time() - cpu, said


def kind_of(setting: Setting) -> str:
    return "quick" if setting.params == quick_look(DEFAULTS) else "full"


def learned_guess(learned: dict[str, LearnedSpeed], setting: Setting, hw: tuple[int, int]) -> float | None:
    """What the app would show after the runs learnt so far (None: nothing learnt yet)."""
    entry = learned.get(speed_key(setting.params))
    factor = entry.factor(kind_of(setting)) if entry is not None else None
    if entry is None or factor is None:
        return None
    speed = Speed(**entry.speed)  # type: ignore[arg-type]
    return estimate(setting.params, hw, setting.n_styles, speed=speed).seconds * factor


def learn(learned: dict[str, LearnedSpeed], setting: Setting, hw: tuple[int, int], wall: float) -> None:
    """As gui.estimator.learn: the ratio measured / modelled at the speed the learning started with."""
    key = speed_key(setting.params)
    entry = learned.get(key) or LearnedSpeed(asdict(calibrated_speed(setting.params)), {})
    speed = Speed(**entry.speed)  # type: ignore[arg-type]
    modelled = estimate(setting.params, hw, setting.n_styles, speed=speed).seconds
    learned[key] = entry.learnt(kind_of(setting), wall / modelled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", type=int, default=0, help="only the settings of this output size")
    parser.add_argument("--content", default="tubingen.jpg")
    parser.add_argument("--tile", type=int, default=0, help="force tiles of this many px (0: the app's rule)")
    parser.add_argument("--learned", type=Path, help="read and write what runs taught (a restart: run twice)")
    args = parser.parse_args()
    stored = args.learned is not None and args.learned.exists()
    learned = from_settings(json.loads(args.learned.read_text())) if stored else {}
    if args.tile:
        force_tile(args.tile)
    photo = load_image(IMAGES / "content" / args.content)
    styles = [StyleInput(load_image(IMAGES / "style" / name), 1.0, name) for name in STYLES]
    default_warm_up(DEFAULTS)
    hw = (photo.shape[0], photo.shape[1])
    print(f"Measured {today()} on: {machine()}.\n")
    print(f"Command: `python benchmarks/bench_estimate.py {shlex.join(sys.argv[1:])}`")
    tiles = f"; every scale over {args.tile} px in tiles of {args.tile} px" if args.tile else ""
    print(f"\nPhoto {args.content} ({hw[1]}x{hw[0]}), styles {', '.join(STYLES)}; precision auto{tiles}.\n")
    if learned:
        print(f"Learnt before this process (from {args.learned.name}): "
              + "; ".join(f"{k}: {e.factors}" for k, e in learned.items()) + ".\n")
    print("| setting | size | styles | estimate s | measured s | ratio | learned s | ratio "
          "| countdown at 10 % | at 50 % | CPU s / threads | load before/after |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for setting in settings():
        if args.only and setting.params.size != args.only:
            continue
        load = os.getloadavg()[0]
        guess = estimate(setting.params, hw, setting.n_styles).seconds
        taught = learned_guess(learned, setting, hw)
        wall, cpu, said = measure(setting, photo, styles)
        shown = f"{taught:.1f} | {taught / wall:.2f}" if taught else "— | —"
        learn(learned, setting, hw, wall)
        if args.learned:
            args.learned.write_text(json.dumps(to_settings(learned)))
        marks = " | ".join(f"{said[m]:.0f} s ({said[m] / wall:.2f})" if m in said else "—"
                           for m in CHECKPOINTS)
        print(f"| {setting.name} | {setting.params.size} | {setting.n_styles} | {guess:.1f} | {wall:.1f} "
              f"| **{guess / wall:.2f}** | {shown} | {marks} | {cpu / torch.get_num_threads():.1f} "
              f"| {load:.1f}/{os.getloadavg()[0]:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
