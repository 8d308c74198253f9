"""``render --params`` repeats pictures made with live edits and promoted pictures exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.cli import main
from nst_desktop.engine.events import RunControl, StyleInput
from nst_desktop.engine.params import Params
from nst_desktop.engine.stylize import stylize
from nst_desktop.io.images import load_image, read_metadata, save_image
from nst_desktop.io.metadata import run_metadata
from nst_desktop.resources import resource_path

TINY = Params(size=48, min_size=32, steps=5, coarse_steps=3, device="cpu", precision="float32")


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NST_DESKTOP_HOME", str(tmp_path / "home"))


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    """Small copies of the photo and a style, so both runs read the same pixels."""
    paths = []
    for source, name in ((resource_path("samples", "tubingen.jpg"), "photo.png"),
                         (resource_path("styles", "starry_night.jpg"), "style.png")):
        with Image.open(source) as im:
            im = im.convert("RGB")
            im.thumbnail((64, 64))
            im.save(tmp_path / name)
        paths.append(tmp_path / name)
    return paths[0], paths[1]


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _replay(record_png: Path, out: Path) -> np.ndarray:
    assert main(["render", "--params", str(record_png), "-o", str(out), "--quiet"]) == 0
    return _pixels(out)


def test_live_edits_replay_to_the_same_picture(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    photo_path, style_path = inputs
    photo, style = load_image(photo_path), load_image(style_path)
    control = RunControl()

    def edit_after_four(event: object) -> None:
        if getattr(event, "total_step", 0) == 4:
            control.edit({"style_weight": 8.0, "colour": "luminance"})

    result = stylize(photo, [StyleInput(style)], TINY, control=control, callback=edit_after_four)
    assert result.edits  # the edit landed
    original = tmp_path / "live.png"
    save_image(result.image, original, run_metadata(result, photo_path, [style_path]))
    assert read_metadata(original)["edits"][0]["step"] == 4
    again = _replay(original, tmp_path / "again.png")
    assert np.array_equal(again, _pixels(original))
    plain = stylize(photo, [StyleInput(style)], TINY)  # without the edits: another picture
    assert not np.array_equal(np.round(plain.image * 255), again)


def test_a_promoted_picture_replays_from_its_quick_look(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    photo_path, style_path = inputs
    photo, style = load_image(photo_path), load_image(style_path)
    quick = stylize(photo, [StyleInput(style)], TINY.with_changes(size=32))
    quick_record = run_metadata(quick, photo_path, [style_path])
    promoted = stylize(photo, [StyleInput(style)], TINY, start_from=quick.image)
    original = tmp_path / "promoted.png"
    save_image(promoted.image, original, run_metadata(promoted, photo_path, [style_path],
                                                      continued_from=quick_record))
    again_path = tmp_path / "again.png"
    again = _replay(original, again_path)
    assert np.array_equal(again, _pixels(original))
    assert read_metadata(again_path)["continued_from"]["params"]["size"] == 32  # still repeatable
