"""``render --params`` repeats masked pictures exactly: a mask repainted during the run, and a
promoted ("Render full size") picture whose earlier picture was painted with a mask."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.events import ProgressEvent, StyleInput
from nst_desktop.engine.spec.live import MASK
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.region_masks import MaskSettings, Region, RegionMask
from nst_desktop.io.images import load_image, read_metadata
from nst_desktop.io.masks import load_mask, mask_path_for
from nst_desktop.service.job import Job
from nst_desktop.service.render import Rendered, render, save
from tests.cli.conftest import pixels, replay

TINY = Params(size=48, min_size=32, steps=5, coarse_steps=3, device="cpu", precision="float32")


@pytest.fixture
def inputs(small_inputs: tuple[Path, Path]) -> tuple[Path, Path]:
    return small_inputs


def _half(hw: tuple[int, int], right: bool) -> RegionMask:
    labels = np.zeros(hw, np.uint8)
    if right:
        labels[:, hw[1] // 2:] = 1
    else:
        labels[:, : hw[1] // 2] = 1
    return RegionMask(labels, MaskSettings((Region(1, (0,), strength=2.0),), feather_px=3.0))


def _job(inputs: tuple[Path, Path], params: Params, mask: RegionMask, **more: object) -> Job:
    photo_path, style_path = inputs
    styles = (StyleInput(load_image(style_path), 1.0, "style"),)
    return Job(load_image(photo_path), styles, params, photo_path, (style_path,), mask=mask,
               **more)  # type: ignore[arg-type]


def _repainting(job: Job, step: int, repaint: RegionMask) -> Rendered:
    control = RunControl()

    def callback(event: ProgressEvent) -> None:
        if event.total_step == step:
            control.edit({MASK: repaint})

    rendered = render(job, callback=callback, control=control, preview_every=0)
    assert [e.step for e in rendered.result.edits] == [step]  # the repaint landed
    return rendered


def test_a_mask_repainted_during_the_run_replays_to_the_same_picture(inputs: tuple[Path, Path],
                                                                     tmp_path: Path) -> None:
    hw = load_image(inputs[0]).shape[:2]
    start, repaint = _half(hw, right=True), _half(hw, right=False)
    job = _job(inputs, TINY, start)
    original = tmp_path / "repainted.png"
    save(_repainting(job, 4, repaint), job, original)
    record = read_metadata(original)
    assert record is not None
    assert isinstance(record["edits"][0]["changes"][MASK]["png"], str)  # the repaint's pixels
    assert isinstance(record["mask"]["start"]["png"], str)  # and the mask it started with
    assert np.array_equal(load_mask(mask_path_for(original)).labels, repaint.labels)  # beside: the final
    again_path = tmp_path / "again.png"
    again = replay(original, again_path)
    assert np.array_equal(again, pixels(original))
    assert np.array_equal(load_mask(mask_path_for(again_path)).labels, repaint.labels)
    # Painting with the final mask throughout (what a replay did before) is another picture.
    final_only = tmp_path / "final_only.png"
    plain_job = _job(inputs, TINY, repaint)
    save(render(plain_job, preview_every=0), plain_job, final_only)
    assert not np.array_equal(pixels(final_only), again)


def test_a_promoted_masked_picture_replays_its_earlier_picture_with_the_mask(inputs: tuple[Path, Path],
                                                                             tmp_path: Path) -> None:
    hw = load_image(inputs[0]).shape[:2]
    mask = _half(hw, right=True)
    quick = render(_job(inputs, TINY.with_changes(size=32), mask), preview_every=0)
    assert quick.metadata["mask"]["file"] == ""  # on show, not saved: no PNG to find later
    job = _job(inputs, TINY, mask, start_from=quick.image, continued_from=quick.metadata)
    original = tmp_path / "promoted.png"
    save(render(job, preview_every=0), job, original)
    again = replay(original, tmp_path / "again.png")
    assert np.array_equal(again, pixels(original))


def test_a_promoted_picture_whose_quick_look_was_repainted_replays_exactly(inputs: tuple[Path, Path],
                                                                           tmp_path: Path) -> None:
    """The quick look's record carries its own start mask and repaint; the full-size run
    starts from the repainted mask (the one on show when "Render full size" was chosen)."""
    hw = load_image(inputs[0]).shape[:2]
    start, repaint = _half(hw, right=True), _half(hw, right=False)
    quick = _repainting(_job(inputs, TINY.with_changes(size=32, min_size=32, steps=4), start), 2, repaint)
    job = _job(inputs, TINY, repaint, start_from=quick.image, continued_from=quick.metadata)
    original = tmp_path / "promoted.png"
    save(render(job, preview_every=0), job, original)
    assert read_metadata(original)["continued_from"]["mask"]["start"]["png"]  # type: ignore[index]
    again = replay(original, tmp_path / "again.png")
    assert np.array_equal(again, pixels(original))


def test_a_broken_repaint_in_a_record_is_refused_before_torch_is_imported(inputs: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    hw = load_image(inputs[0]).shape[:2]
    job = _job(inputs, TINY.with_changes(size=32, min_size=32, steps=3), _half(hw, right=True))
    record = _repainting(job, 1, _half(hw, right=False)).metadata
    record["edits"][0]["changes"][MASK]["png"] = "not base64!"
    params_file = tmp_path / "broken.json"
    params_file.write_text(json.dumps(record), encoding="utf-8")
    argv = ["render", "--params", str(params_file), "-o", str(tmp_path / "x.png")]
    code = ("import contextlib, io, json, sys\n"
            "from nst_desktop.cli import main\n"
            "err = io.StringIO()\n"
            "with contextlib.redirect_stderr(err):\n"
            f"    rc = main({argv!r})\n"
            "print(json.dumps([rc, err.getvalue(), 'torch' in sys.modules]))\n")
    env = {**os.environ, "NST_DESKTOP_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    rc, err, torch_imported = json.loads(proc.stdout.strip().splitlines()[-1])
    assert rc == 1 and not torch_imported
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "broken.json" in lines[0] and "base64" in lines[0]
