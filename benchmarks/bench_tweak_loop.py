"""Figures of the tweak loop (issue 7) with the real engine on this machine.

* live edit: a style-strength change submitted in the middle of a step; how many steps
  and seconds until the engine applied it (the first event that carries it), and until
  the first preview painted under it;
* quick look: time to the first frame and to done (256 px, from 128 px);
* promote: quick look + "Render full size" against a fresh run of the same final size,
  and how far the promoted picture, downscaled, is from its quick look (mean absolute
  difference in 8-bit levels), next to the same distance for the fresh run;
* after-touches at 1024 px: keep photo colours + fade, median of 30.

The engine is warmed up first (the app does this while the window opens).

    python benchmarks/bench_tweak_loop.py [--size 512] [--repeats 2]
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import IMAGES, machine, today  # noqa: E402

from nst_desktop.engine.run.stylize import stylize  # noqa: E402
from nst_desktop.engine.spec.control import RunControl  # noqa: E402
from nst_desktop.engine.spec.events import ProgressEvent, StyleInput  # noqa: E402
from nst_desktop.engine.spec.params import DEFAULTS, Params  # noqa: E402
from nst_desktop.engine.spec.presets import quick_look  # noqa: E402
from nst_desktop.engine.spec.touches import Touches, apply_touches  # noqa: E402
from nst_desktop.gui.worker import default_warm_up  # noqa: E402  (no Qt objects are made)
from nst_desktop.io.images import load_image  # noqa: E402

PAIRS = (("tubingen.jpg", "starry_night.jpg"), ("golden_gate.jpg", "the_scream.jpg"))


def _pair(content: str, style: str) -> tuple[np.ndarray, list[StyleInput]]:
    return load_image(IMAGES / "content" / content), [
        StyleInput(load_image(IMAGES / "style" / style), 1.0, style)
    ]


def live_edit(
    photo: np.ndarray, styles: list[StyleInput], params: Params, delay_s: float
) -> dict[str, float]:
    """Submit an edit from another thread ``delay_s`` after the run's last scale starts (any
    moment within a step, as a slider moved by hand), then time until the engine applied it
    (the first event that carries it) and until the first preview painted under it."""
    control = RunControl()
    marks: dict[str, float] = {}
    last_step: list[int] = [0]

    def submit() -> None:
        marks["submitted_after_step"] = last_step[0]
        marks["t0"] = time.perf_counter()
        control.edit({"style_weight": params.style_weight * 4})

    def callback(event: ProgressEvent) -> None:
        now = time.perf_counter()
        last_step[0] = event.total_step
        if event.scale_index == event.scale_count - 1 and event.step == 1 and "timer" not in marks:
            marks["timer"] = 1.0
            threading.Timer(delay_s, submit).start()
        if event.edit and "applied" not in marks:
            marks["applied"] = now - marks["t0"]
            marks["applied_step"] = event.total_step
        elif "applied" in marks and event.preview is not None and "preview" not in marks:
            marks["preview"] = now - marks["t0"]
            marks["preview_step"] = event.total_step
            control.stop()

    stylize(photo, styles, params, control=control, callback=callback, preview_every=2)
    return marks


def quick(photo: np.ndarray, styles: list[StyleInput], params: Params) -> tuple[dict[str, float], np.ndarray]:
    started = time.perf_counter()
    first: list[float] = []

    def callback(event: ProgressEvent) -> None:
        if event.preview is not None and not first:
            first.append(time.perf_counter() - started)

    result = stylize(photo, styles, quick_look(params), callback=callback, preview_every=2)
    return {"first_frame": first[0], "done": time.perf_counter() - started}, result.image


def _downscale(image: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    pil = Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
    return np.asarray(pil.resize((hw[1], hw[0]), Image.Resampling.LANCZOS), dtype=np.float32)


def promote(photo: np.ndarray, styles: list[StyleInput], params: Params) -> dict[str, float]:
    times, look = quick(photo, styles, params)
    started = time.perf_counter()
    promoted = stylize(photo, styles, params, start_from=look).image
    promote_s = time.perf_counter() - started
    started = time.perf_counter()
    fresh = stylize(photo, styles, params).image
    fresh_s = time.perf_counter() - started
    look8 = np.clip(look, 0, 1) * 255
    return {
        "quick": times["done"],
        "promote": promote_s,
        "fresh": fresh_s,
        "diff_promoted": float(np.abs(_downscale(promoted, look.shape[:2]) - look8).mean()),
        "diff_fresh": float(np.abs(_downscale(fresh, look.shape[:2]) - look8).mean()),
    }


def touches_ms(photo: np.ndarray) -> float:
    painting = np.random.default_rng(0).random((768, 1024, 3), dtype=np.float32)
    fitted = _downscale(photo, (768, 1024)) / 255.0
    touches = Touches(keep_photo_colours=True, fade=0.3)
    times = []
    for _ in range(30):
        started = time.perf_counter()
        apply_touches(painting, fitted.astype(np.float32), touches)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=DEFAULTS.size)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"# {today()}  {machine()}")
    print(f"# command: python benchmarks/{Path(__file__).name} {shlex.join(sys.argv[1:])}")
    started = time.perf_counter()
    default_warm_up(DEFAULTS)
    print(f"warm-up {time.perf_counter() - started:.1f} s")
    params = DEFAULTS.with_changes(size=args.size)
    for content, style in PAIRS:
        photo, styles = _pair(content, style)
        print(f"\n## {content} + {style}, {args.size} px, defaults")
        for repeat in range(args.repeats):
            times, _ = quick(photo, styles, params)
            print(
                f"quick look #{repeat + 1}: first frame {times['first_frame']:.2f} s, "
                f"done {times['done']:.1f} s"
            )
        for label, run_params in (("quick look", quick_look(params)), (f"{args.size} px run", params)):
            for delay in (1.3, 2.7):
                m = live_edit(photo, styles, run_params, delay)
                print(
                    f"live edit ({label}, final scale, {delay} s in): submitted after step "
                    f"{m['submitted_after_step']:.0f}, applied with step {m['applied_step']:.0f} "
                    f"({m['applied_step'] - m['submitted_after_step']:.0f} step) {m['applied']:.2f} s later; "
                    f"first preview under it at step {m['preview_step']:.0f}, {m['preview']:.2f} s"
                )
        for repeat in range(args.repeats):
            p = promote(photo, styles, params)
            print(
                f"promote #{repeat + 1}: quick look {p['quick']:.1f} s + promote {p['promote']:.1f} s "
                f"= {p['quick'] + p['promote']:.1f} s; fresh {args.size} px run {p['fresh']:.1f} s; "
                f"promoted/fresh {p['promote'] / p['fresh']:.2f}; downscaled to the quick look, mean |diff| "
                f"promoted {p['diff_promoted']:.1f} levels, fresh {p['diff_fresh']:.1f} levels"
            )
        print(
            f"after-touches at 1024x768 (keep photo colours + fade 30 %): {touches_ms(photo):.1f} ms median"
        )


if __name__ == "__main__":
    main()
