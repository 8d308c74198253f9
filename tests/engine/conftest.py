"""Shared fixtures for the engine tests: tiny real images and the real default weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import Tensor

from nst_desktop.engine.events import ProgressCallback, ProgressEvent
from nst_desktop.engine.weights import WeightSet, load_caffe_weights

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


def keep_steps(events: list[ProgressEvent]) -> ProgressCallback:
    """A callback that records the events of steps only, not the PREPARING ones of set-ups."""
    def callback(event: ProgressEvent) -> None:
        if event.is_step:
            events.append(event)
    return callback
