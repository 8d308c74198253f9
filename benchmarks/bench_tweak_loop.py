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
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import IMAGES, machine, today  # noqa: E402

from nst_desktop.engine.events import ProgressEvent, RunControl, StyleInput  # noqa: E402
from nst_desktop.engine.params import DEFAULTS, Params  # noqa: E402
from nst_desktop.engine.presets import quick_look  # noqa: E402
from nst_desktop.engine.stylize import stylize  # noqa: E402
from nst_desktop.engine.touches import Touches, apply_touches  # noqa: E402
from nst_desktop.gui.worker import default_warm_up  # noqa: E402  (no Qt objects are made)
from nst_desktop.io.images import load_image  # noqa: E402

PAIRS = (("tubingen.jpg", "starry_night.jpg"), ("golden_gate.jpg", "the_scream.jpg"))


def _pair(content: str, style: str) -> tuple[np.ndarray, list[StyleInput]]:
    return load_image(IMAGES / "content" / content), [StyleInput(load_image(IMAGES / "style" / style), 1.0, style)]


def live_edit(photo: np.ndarray, styles: list[StyleInput], params: Params, after_s: float) -> dict[str, float]:
    """Submit an edit ``after_s`` into the run's last scale, in the middle of a step."""
    control = RunControl()
    marks: dict[str, float] = {}
    submitted: list[float] = []

    def callback(event: ProgressEvent) -> None:
        now = time.perf_counter()
        last_scale = event.scale_index == event.scale_count - 1
        if last_scale and not submitted and event.step >= 3:
            time.sleep(after_s)  # lands partway into the next step's wait, like a slider moved any time
            submitted.append(time.perf_counter())
            marks["submitted_step"] = event.total_step
            control.edit({"style_weight": params.style_weight * 4})
        elif event.edit and "applied" not in marks:
            marks["applied"] = now - submitted[0]
            marks["applied_step"] = event.total_step
        elif "applied" in marks and event.preview is not None and "preview" not in marks:
            marks["preview"] = now - submitted[0]
            marks["preview_step"] = event.total_step
        if "preview" in marks:
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
    return {"quick": times["done"], "promote": promote_s, "fresh": fresh_s,
            "diff_promoted": float(np.abs(_downscale(promoted, look.shape[:2]) - look8).mean()),
            "diff_fresh": float(np.abs(_downscale(fresh, look.shape[:2]) - look8).mean())}


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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
            print(f"quick look #{repeat + 1}: first frame {times['first_frame']:.2f} s, done {times['done']:.1f} s")
        for after in (0.0, 0.15):
            marks = live_edit(photo, styles, quick_look(params), after)
            print(f"live edit (quick look, submitted {after:.2f} s after a step): applied at step "
                  f"{marks['applied_step']:.0f} (submitted after step {marks['submitted_step']:.0f}), "
                  f"{marks['applied']:.2f} s; first preview under it {marks['preview']:.2f} s")
        for repeat in range(args.repeats):
            p = promote(photo, styles, params)
            print(f"promote #{repeat + 1}: quick look {p['quick']:.1f} s + promote {p['promote']:.1f} s "
                  f"= {p['quick'] + p['promote']:.1f} s; fresh {args.size} px run {p['fresh']:.1f} s; "
                  f"promoted/fresh {p['promote'] / p['fresh']:.2f}; downscaled to the quick look, mean |diff| "
                  f"promoted {p['diff_promoted']:.1f} levels, fresh {p['diff_fresh']:.1f} levels")
        print(f"after-touches at 1024x768 (keep photo colours + fade 30 %): {touches_ms(photo):.1f} ms median")


if __name__ == "__main__":
    main()
