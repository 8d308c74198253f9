"""``render --params`` repeats pictures made with live edits and promoted pictures exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nst_desktop.engine.run.stylize import stylize
from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.events import StyleInput
from nst_desktop.engine.spec.params import Params
from nst_desktop.io.images import load_image, read_metadata, save_image
from nst_desktop.io.metadata import run_metadata
from tests.cli.conftest import pixels, replay

TINY = Params(size=48, min_size=32, steps=5, coarse_steps=3, device="cpu", precision="float32")


@pytest.fixture
def inputs(small_inputs: tuple[Path, Path]) -> tuple[Path, Path]:
    return small_inputs


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
    again = replay(original, tmp_path / "again.png")
    assert np.array_equal(again, pixels(original))
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
    again = replay(original, again_path)
    assert np.array_equal(again, pixels(original))
    assert read_metadata(again_path)["continued_from"]["params"]["size"] == 32  # still repeatable
