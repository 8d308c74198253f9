"""RunRequest: the run's hand-over, made a Job by recipe.jobs.job_for in the run's thread."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.events import StyleInput
from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.gui.run_request import RunRequest


def test_a_run_decodes_a_reduced_photo_at_its_size_and_records_it(qtbot: QtBot, tmp_path: Path) -> None:
    """Issue 16.11: the photo held reduced is decoded again, in the run's thread, at the size the
    run needs (as the CLI decodes: recipe.decoding.decode_targets), and the record says so."""
    from PIL import Image

    from nst_desktop.gui.loaded_image import WORKING_LONG_SIDE, load_file
    from nst_desktop.io.images import load_image
    from nst_desktop.recipe.decoding import DECODED_KEY, decode_targets

    Image.new("RGB", (6000, 1000), (90, 120, 200)).save(tmp_path / "pano.jpg")
    photo = load_file(tmp_path / "pano.jpg", for_display=True)
    assert photo.reduced
    style = StyleInput(np.full((16, 16, 3), 0.5, np.float32), 1.0, "s")
    big = RunRequest.of_images(photo.image, (style,), DEFAULTS.with_changes(size=2500), photo=photo)
    assert big.content_hw == (1000, 6000)
    job = big.run_job()
    assert job.content.shape[:2] == (1000, 6000)  # 2 x 2500 px asked for: the whole file
    assert job.extra[DECODED_KEY]["content"] == decode_targets(big.params, ()).content
    small = replace(big, recipe=big.recipe.with_params(DEFAULTS.with_changes(size=512))).run_job()
    assert small.content is photo.image and small.extra[DECODED_KEY]["content"] == WORKING_LONG_SIDE
    held = big.held_job()  # a variation adopted: painted from the copy held, and recorded so
    assert held.content is photo.image and held.extra[DECODED_KEY]["content"] == WORKING_LONG_SIDE
    for run in (job, small, held):  # a replay of the record (the CLI) decodes the very same pixels
        again = load_image(tmp_path / "pano.jpg", target_long_side=run.extra[DECODED_KEY]["content"])
        assert np.array_equal(run.content, again)
