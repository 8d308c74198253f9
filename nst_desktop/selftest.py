"""A one-minute check that an installation (or a frozen app bundle) really works.

``nst-desktop self-test`` and ``nst-desktop-app --self-test`` call :func:`run_self_test`:
it loads the built-in weights, renders a tiny image from the bundled samples, writes it
as a PNG with its parameters, reads both back, and prints a short report. It exercises
the same code paths as a real run (weights file lookup, engine, image io, metadata), which
is what breaks when a bundle misses a data file or a dynamic library.
"""

from __future__ import annotations

import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from nst_desktop import __version__
from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.resources import resource_path

SAMPLE_CONTENT = ("samples", "tubingen.jpg")
SAMPLE_STYLE = ("styles", "starry_night.jpg")
TEST_SIZE = 64  # pixels on the long side: seconds on any CPU, still a real multi-layer VGG pass
TEST_STEPS = 5


class SelfTestError(Exception):
    """A check failed; the message says which and why."""


class _Report:
    """Runs the checks in order, printing one line each with its time."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.state: dict[str, Any] = {}

    def line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def check(self, name: str, fn: Callable[[dict[str, Any]], str]) -> None:
        start = time.perf_counter()
        detail = fn(self.state)
        self.line(f"  ok   {name:<28s} {time.perf_counter() - start:6.2f} s  {detail}")


def _check_environment(state: dict[str, Any]) -> str:
    import numpy
    import PIL
    import torch

    return (f"Python {platform.python_version()}, torch {torch.__version__}, numpy {numpy.__version__}, "
            f"Pillow {PIL.__version__}, threads {torch.get_num_threads()}")


def _check_resources(state: dict[str, Any]) -> str:
    paths = [resource_path(*SAMPLE_CONTENT), resource_path(*SAMPLE_STYLE)]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SelfTestError(f"bundled sample image(s) missing: {', '.join(missing)}")
    state["content_path"], state["style_path"] = paths
    return str(paths[0].parent.parent)


def _check_weights(state: dict[str, Any]) -> str:
    from nst_desktop.engine.model.weights import load_caffe_weights
    from nst_desktop.engine.spec.weights_file import caffe_weights_path

    weights = load_caffe_weights()
    state["weights"] = weights
    return f"{weights.name}: {caffe_weights_path()}"


def _check_load_images(state: dict[str, Any]) -> str:
    from nst_desktop.io.images import load_image

    state["content"] = load_image(state["content_path"])
    state["style"] = load_image(state["style_path"])
    h, w = state["content"].shape[:2]
    return f"content {w}x{h}, style {state['style'].shape[1]}x{state['style'].shape[0]}"


def _check_render(state: dict[str, Any]) -> str:
    import numpy as np

    from nst_desktop.engine.spec.events import StyleInput
    from nst_desktop.engine.spec.params import DEFAULTS
    from nst_desktop.service.job import Job
    from nst_desktop.service.render import render

    # One scale (min_size == size) keeps it short while still running the optimiser.
    params = DEFAULTS.with_changes(size=TEST_SIZE, min_size=TEST_SIZE, steps=TEST_STEPS, seed=1)
    job = Job(state["content"], (StyleInput(state["style"], 1.0, "style"),), params,
              content_path=state["content_path"], style_paths=(state["style_path"],))
    rendered = render(job)  # the same path as the window and the command line
    result = rendered.result
    image = result.image
    if image.ndim != 3 or image.shape[2] != 3 or max(image.shape[:2]) != TEST_SIZE:
        raise SelfTestError(f"the result has shape {image.shape}, expected a {TEST_SIZE} px RGB image")
    if not np.isfinite(image).all() or image.min() < 0.0 or image.max() > 1.0:
        raise SelfTestError("the result contains values outside 0..1 or NaN")
    if float(np.abs(image - image.mean()).max()) < 1e-3:
        raise SelfTestError("the result is a flat image")
    state["result"], state["job"], state["rendered"] = result, job, rendered
    return f"{image.shape[1]}x{image.shape[0]}, {result.steps_done} steps on {result.device}, " \
           f"loss {result.losses.get('total', float('nan')):.4g}"


def _check_save_and_read_back(state: dict[str, Any]) -> str:
    import numpy as np

    from nst_desktop.io.images import load_image, read_metadata
    from nst_desktop.io.metadata import params_from_metadata
    from nst_desktop.service.render import save

    result = state["result"]
    out: Path = state["out_dir"] / "self-test.png"
    save(state["rendered"], state["job"], out)
    back = load_image(out)
    if back.shape != result.image.shape or float(np.abs(back - result.image).max()) > 1.0 / 255 + 1e-6:
        raise SelfTestError(f"{out}: the image read back differs from the one written")
    stored = read_metadata(out)
    if stored is None:
        raise SelfTestError(f"{out}: no parameters embedded in the PNG")
    params, _inputs = params_from_metadata(stored)
    if params != result.params:
        raise SelfTestError(f"{out}: the parameters read back differ from the run's")
    return f"{out} ({out.stat().st_size} bytes, params read back)"


CHECKS: tuple[tuple[str, Callable[[dict[str, Any]], str]], ...] = (
    ("environment", _check_environment),
    ("bundled sample images", _check_resources),
    ("built-in VGG19 weights", _check_weights),
    ("load images", _check_load_images),
    (f"render {TEST_SIZE} px, {TEST_STEPS} steps", _check_render),
    ("save PNG and read back", _check_save_and_read_back),
)


def run_self_test(out_dir: Path | str | None = None, stream: TextIO | None = None) -> int:
    """Run every check, print a report; return 0 when all pass, 1 (with the reason) otherwise.

    ``out_dir`` keeps the rendered PNG there; by default a temporary folder is used and removed.
    """
    report = _Report(stream or sys.stdout)
    frozen = " (app bundle)" if getattr(sys, "frozen", False) else ""
    report.line(f"NST Desktop {__version__} self-test{frozen} on {platform.platform()}")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nst-selftest-") as tmp:
        report.state["out_dir"] = Path(out_dir) if out_dir is not None else Path(tmp)
        report.state["out_dir"].mkdir(parents=True, exist_ok=True)
        for name, fn in CHECKS:
            try:
                report.check(name, fn)
            except (SelfTestError, NSTError) as exc:
                text = exc.user_text() if isinstance(exc, NSTError) else str(exc)
                report.line(f"  FAIL {name}: {text}")
                report.line("Self-test FAILED.")
                return 1
            except Exception as exc:  # a broken install shows up as anything: report it, don't crash
                report.line(f"  FAIL {name}: {exc.__class__.__name__}: {exc}")
                report.line("".join(traceback.format_exception(exc)).rstrip())
                report.line("Self-test FAILED.")
                return 1
    report.line(f"Self-test passed in {time.perf_counter() - start:.1f} s.")
    return 0
