"""Shared pieces of the queue tests: a private data folder, tiny pictures drawn in the test, and a
fake engine that paints scale by scale as the real one reports (its events, its previews at
scale ends, ``start_from`` skipping the scales at or below the picture's size)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.events import ImageArray, ProgressEvent, RunResult, StyleInput
from nst_desktop.engine.spec.live import Edit
from nst_desktop.engine.spec.params import DEFAULTS, Params
from nst_desktop.engine.spec.schedule import first_scale_after, scale_sizes, steps_per_scale
from nst_desktop.recipe.recipe import Recipe, StyleRef

Inputs = tuple[Path, Path, Path]  # a photo and two styles
SMALL = DEFAULTS.with_changes(size=64, min_size=32, scale_ratio=2.0, steps=3, coarse_steps=2, device="cpu")


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NST_DESKTOP_HOME", str(tmp_path / "home"))


def draw(path: Path, seed: int, size: tuple[int, int] = (64, 48)) -> Path:
    """A small RGB picture drawn with integer arithmetic (the same bytes on every machine)."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    pixels = np.stack([(x * 4 + seed * 37) % 256, (y * 5 + seed * 11) % 256, ((x + y) * 3) % 256], axis=2)
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


@pytest.fixture
def inputs(tmp_path: Path) -> Inputs:
    """A photo and two styles, as PNG files."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    return draw(folder / "photo.png", 1), draw(folder / "wave.png", 2), draw(folder / "dots.png", 3)


def recipe_of(photo: Path, *styles: Path, params: Params = SMALL) -> Recipe:
    return Recipe(str(photo), tuple(StyleRef(str(s)) for s in styles), params)


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs in the runner (not an error it handles)."""


@dataclass
class ScaleFake:
    """Paints ``params``' scales like the engine reports them. ``kill_after_scale``: raise Killed once
    that scale (0-based, of this call) is done, after its event; ``step_s``: seconds per step."""

    kill_after_scale: int | None = None
    step_s: float = 0.0
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, content: ImageArray, styles: Sequence[StyleInput], params: Params, *,
                 weights: Any = None, init_image: ImageArray | None = None, callback: Any = None,
                 control: RunControl | None = None, preview_every: int = 10, edits: Sequence[Edit] = (),
                 start_from: ImageArray | None = None) -> RunResult:
        self.calls.append({"params": params, "start_from": start_from, "content": content})
        sizes = scale_sizes(params, content.shape[:2])
        steps = steps_per_scale(params, len(sizes))
        first = 0 if start_from is None else first_scale_after(sizes, max(start_from.shape[:2]))
        sizes, steps = sizes[first:], steps[first:]
        total, done, started = sum(steps), 0, time.perf_counter()
        image = np.full((*sizes[0], 3), 0.25, np.float32)
        for index, ((h, w), n) in enumerate(zip(sizes, steps, strict=True)):
            image = np.full((h, w, 3), 0.25 + 0.1 * (first + index), np.float32)
            for step in range(1, n + 1):
                if control is not None and control.checkpoint():
                    return RunResult(image, params, True, done, 0.01, {}, "cpu")
                time.sleep(self.step_s)
                done += 1
                preview = (image * 255).astype(np.uint8) if step == n else None
                if callback is not None:
                    callback(ProgressEvent(index, len(sizes), w, h, step, n, done, total, {"total": 1.0},
                                           time.perf_counter() - started, 0.01 * (total - done), preview))
            if index == self.kill_after_scale:
                raise Killed
        return RunResult(image, params, False, done, max(time.perf_counter() - started, 1e-3),
                         {"total": 1.0}, "cpu")


def all_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def not_nan(x: float) -> bool:
    return not math.isnan(x)
