"""Shared fixtures for the CLI tests: a private settings home, and small copies of a photo and
a style (so a render and its replay read the same pixels)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.cli import main
from nst_desktop.resources import resource_path


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NST_DESKTOP_HOME", str(tmp_path / "home"))


@pytest.fixture
def small_inputs(tmp_path: Path) -> tuple[Path, Path]:
    """64 px PNG copies of the bundled Tübingen photo and The Starry Night."""
    paths = []
    for source, name in ((resource_path("samples", "tubingen.jpg"), "photo.png"),
                         (resource_path("styles", "starry_night.jpg"), "style.png")):
        with Image.open(source) as im:
            im = im.convert("RGB")
            im.thumbnail((64, 64))
            im.save(tmp_path / name)
        paths.append(tmp_path / name)
    return paths[0], paths[1]


def pixels(path: Path) -> np.ndarray:
    """A saved picture's RGB pixels (uint8)."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def replay(record_png: Path, out: Path) -> np.ndarray:
    """``nst-desktop render --params record_png -o out``; the replayed pixels."""
    assert main(["render", "--params", str(record_png), "-o", str(out), "--quiet"]) == 0
    return pixels(out)
