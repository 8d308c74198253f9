"""Time a Variations sweep with the real engine: four quick looks, one after another, as
the Variations dialog paints them (issue 7.4).

The engine is warmed up first with the app's own warm-up (``gui.worker.default_warm_up``:
one tiny run that pays torch's lazy imports and builds VGG19), so the times are what an
artist waits for after the window has been open a moment, not the process's first run.

    python benchmarks/bench_variations.py [--sweep style_weight] [--count 4] [--size 192]
    python benchmarks/bench_variations.py --size 64          # a quick check that it runs

Images: Tübingen and The Starry Night from ../shared/images (or the app's own samples).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import IMAGES, ROOT, machine, today  # noqa: E402

from nst_desktop.engine.run.stylize import stylize  # noqa: E402
from nst_desktop.engine.spec.control import RunControl  # noqa: E402
from nst_desktop.engine.spec.events import StyleInput  # noqa: E402
from nst_desktop.engine.spec.params import DEFAULTS  # noqa: E402
from nst_desktop.engine.spec.presets import VARIATION_SIZE, quick_look  # noqa: E402
from nst_desktop.engine.spec.variations import SWEEPS, variations  # noqa: E402
from nst_desktop.gui.worker import default_warm_up  # noqa: E402  (no Qt objects are made)
from nst_desktop.io.images import load_image  # noqa: E402


def _find(name: str, shared: str, bundled: str) -> Path:
    """The shared benchmark copy if present, else the sample shipped with the app."""
    for path in (IMAGES / shared / name, ROOT / "resources" / bundled / name):
        if path.exists():
            return path
    raise SystemExit(f"{name} not found in {IMAGES / shared} or resources/{bundled}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sweep", choices=list(SWEEPS), default="style_weight")
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--size", type=int, default=VARIATION_SIZE, help="long side of each quick look")
    ap.add_argument("--content", default="tubingen.jpg")
    ap.add_argument("--style", default="starry_night.jpg")
    args = ap.parse_args()

    content_path = _find(args.content, "content", "samples")
    style_path = _find(args.style, "style", "styles")
    print(f"# Variations benchmark, {today()}")
    print(f"machine: {machine()}")
    print(f"command: python {shlex.join(sys.argv)}")
    print(f"images: {content_path.name} + {style_path.name}")

    content = load_image(content_path)
    styles = [StyleInput(load_image(style_path), 1.0, style_path.stem)]
    params = DEFAULTS
    started = time.perf_counter()
    default_warm_up(params)
    print(f"warm-up (tiny run, the app does it when its window opens): {time.perf_counter() - started:.2f} s")

    sweep = variations(params, [1.0], args.sweep, args.count)
    total = 0.0
    for variation in sweep:
        # what the dialog paints (quick_params at VARIATION_SIZE); --size changes the long side only
        quick = quick_look(variation.params, args.size)
        styles_now = [replace(s, weight=w) for s, w in zip(styles, variation.blend, strict=True)]
        t0 = time.perf_counter()
        result = stylize(content, styles_now, quick, control=RunControl(), preview_every=2)
        seconds = time.perf_counter() - t0
        total += seconds
        h, w = result.image.shape[:2]
        print(f"  {variation.label:<32} {w}x{h} px, {result.steps_done} steps, {seconds:6.2f} s "
              f"on {result.device}")
    print(f"total: {total:.2f} s for {len(sweep)} variations ({total / len(sweep):.2f} s each); "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
