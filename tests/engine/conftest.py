"""Shared fixtures for the engine tests: tiny real images and the real default weights."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import Tensor

from nst_desktop.engine.model.weights import WeightSet, load_caffe_weights
from nst_desktop.engine.run import tiled_pass
from nst_desktop.engine.spec import tile_plan as geo
from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.events import ProgressCallback, ProgressEvent, RunResult, to_uint8

_ROOT = Path(__file__).resolve().parents[2]
_SHARED = _ROOT / ".." / "shared" / "images"
# The same public-domain pictures ship in resources/, so the suite also runs on a clone
# without the shared data folder beside it.
_BUNDLED = {"content": _ROOT / "resources" / "samples", "style": _ROOT / "resources" / "styles"}


def _image_path(kind: str, name: str) -> Path:
    shared = _SHARED / kind / name
    return shared if shared.is_file() else _BUNDLED[kind] / name


def _load(path: Path, long_side: int) -> np.ndarray:
    with Image.open(path) as im:
        im = im.convert("RGB")
        im.thumbnail((long_side, long_side))
        return np.asarray(im, dtype=np.float32) / 255.0


@pytest.fixture(scope="session")
def caffe() -> WeightSet:
    return load_caffe_weights()


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """Tübingen, 64 px long side (48x64)."""
    return _load(_image_path("content", "tubingen.jpg"), 64)


@pytest.fixture(scope="session")
def painting() -> np.ndarray:
    """The Starry Night, 64 px long side."""
    return _load(_image_path("style", "starry_night.jpg"), 64)


@pytest.fixture(scope="session")
def scream() -> np.ndarray:
    return _load(_image_path("style", "the_scream.jpg"), 64)


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """Tiny images gain nothing from a second thread, and on a busy 2-core machine OpenMP
    threads waiting at barriers for a descheduled sibling make runs several times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


#: The tiling tests' image size: not a multiple of the tiles, so the border tiles are partial.
TILING_HW = (96, 128)


@pytest.fixture(scope="module")
def tiling_images() -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Photo, two styles of other sizes, and an image part-way between photo and noise
    (random: the tiled-equals-untiled tests need no real pictures)."""
    gen = torch.Generator().manual_seed(0)
    content = torch.rand(1, 3, *TILING_HW, generator=gen)
    styles = torch.rand(1, 3, 80, 100, generator=gen), torch.rand(1, 3, 64, 64, generator=gen)
    x = 0.7 * content + 0.3 * torch.rand(1, 3, *TILING_HW, generator=gen)
    return content, styles[0], styles[1], x


class StopInPass:
    """Stands in for ``tile_window`` (the one way a tiled pass takes a tile) and asks the run's
    control to stop at the ``at``-th window that ``where`` (the function taking it) takes during
    step ``step`` (1-based; the scale's targets count as step 1, before its pass)."""

    def __init__(self, control: RunControl, step: int, where: str, at: int = 2) -> None:
        self.control, self.step, self.where, self.at = control, step, where, at
        self.real = tiled_pass.tile_window
        self.windows: list[tuple[int, str]] = []  # (step, function) of every window taken
        self.events: list[ProgressEvent] = []

    def __call__(self, x: Tensor, tile: geo.Tile) -> Tensor:
        taken = (len(self.events) + 1, sys._getframe(1).f_code.co_name)
        self.windows.append(taken)
        if taken == (self.step, self.where) and self.windows.count(taken) == self.at:
            self.control.stop()
        return self.real(x, tile)

    def check_stopped_at_once(self, result: RunResult) -> None:
        """Stopped with no tile after the one that saw the stop, keeping the last whole step's picture."""
        assert result.stopped and result.steps_done == self.step - 1 == len(self.events)
        assert self.windows[-1] == (self.step, self.where)
        assert self.windows.count((self.step, self.where)) == self.at
        if self.events:  # the picture shown after the last whole step is the one kept
            assert self.events[-1].preview is not None
            np.testing.assert_array_equal(to_uint8(result.image), self.events[-1].preview)


def keep_steps(events: list[ProgressEvent]) -> ProgressCallback:
    """A callback that records the events of steps only, not the PREPARING ones of set-ups."""
    def callback(event: ProgressEvent) -> None:
        if event.is_step:
            events.append(event)
    return callback
