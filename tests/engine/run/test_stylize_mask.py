"""A region mask through the real run: kept areas stay the photo, repaints land at the next step,
and a mask that does not fit the run is refused with one line before any painting."""

from __future__ import annotations

import numpy as np
import pytest

from nst_desktop.engine.run.stylize import resize, stylize, to_array
from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.events import ProgressEvent, StyleInput
from nst_desktop.engine.spec.live import MASK, Edit, edits_from_list
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.region_masks import MaskSettings, Region, RegionMask
from tests.engine.conftest import keep_steps

TINY = Params(size=48, min_size=32, steps=6, coarse_steps=3, device="cpu")


def _half_mask(hw: tuple[int, int], styled_right: bool = True) -> RegionMask:
    labels = np.zeros(hw, np.uint8)
    if styled_right:
        labels[:, hw[1] // 2:] = 1
    else:
        labels[:, : hw[1] // 2] = 1
    return RegionMask(labels, MaskSettings((Region(1, (0,)),), feather_px=2.0))


def _photo_at(photo: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    import torch

    tensor = torch.from_numpy(photo).permute(2, 0, 1)[None]
    return to_array(resize(tensor, hw))


@pytest.mark.slow
def test_keep_photo_half_stays_near_the_photo_in_a_real_run(photo, painting) -> None:
    params = TINY.with_changes(size=64, steps=40, coarse_steps=0, min_size=64, style_weight=3.0)
    result = stylize(photo, [StyleInput(painting)], params, mask=_half_mask(photo.shape[:2]))
    plain = stylize(photo, [StyleInput(painting)], params)
    start = _photo_at(photo, result.image.shape[:2])
    w = result.image.shape[1]
    kept = np.abs(result.image - start)[:, : w // 2 - 6].mean()
    styled = np.abs(result.image - start)[:, w // 2 + 6:].mean()
    plain_left = np.abs(plain.image - start)[:, : w // 2 - 6].mean()
    assert styled > 0.03  # the style painted the right half...
    assert kept < 0.02 and kept < 0.3 * plain_left  # ...the kept half stayed the photo, unlike unmasked


def _repaint_at(step: int, mask: RegionMask, control: RunControl, events: list[ProgressEvent]):  # noqa: ANN202
    def callback(event: ProgressEvent) -> None:
        if not event.is_step:
            return
        events.append(event)
        if event.total_step == step:
            control.edit({MASK: mask})
    return callback


def test_repainting_during_a_run_lands_at_the_next_step(photo, painting) -> None:
    hw = photo.shape[:2]
    styles = [StyleInput(painting)]
    baseline: list[ProgressEvent] = []
    stylize(photo, styles, TINY, mask=_half_mask(hw), callback=keep_steps(baseline))
    control, events = RunControl(), []
    flipped = _half_mask(hw, styled_right=False)
    result = stylize(photo, styles, TINY, mask=_half_mask(hw), control=control,
                     callback=_repaint_at(4, flipped, control, events))
    for before, after in zip(baseline[:4], events[:4], strict=True):
        assert before.losses == after.losses and after.edit is None
    assert events[4].edit is not None and events[4].edit[MASK] is flipped
    assert events[4].losses != baseline[4].losses  # the other half is styled from step 5 on
    assert [e.step for e in result.edits] == [4] and result.edits[0].changes[MASK] is flipped
    # In a record the repaint is a marker (pixels are not JSON), dropped on replay.
    recorded = result.edits[0].to_dict()
    assert recorded["changes"][MASK] == "repainted"
    assert edits_from_list([recorded]) == ()
    assert edits_from_list([Edit(2, {MASK: flipped, "tv_weight": 2.0}).to_dict()]) == (
        Edit(2, {"tv_weight": 2.0}),)


def test_a_bad_repaint_is_ignored_and_the_run_goes_on(photo, painting) -> None:
    control, events = RunControl(), []
    bad = RegionMask(np.full(photo.shape[:2], 3, np.uint8), MaskSettings((Region(3, (5,)),)))
    result = stylize(photo, [StyleInput(painting)], TINY, mask=_half_mask(photo.shape[:2]), control=control,
                     callback=_repaint_at(2, bad, control, events))
    assert result.edits == () and not result.stopped


def test_a_mask_of_another_shape_or_style_count_is_refused(photo, painting) -> None:
    with pytest.raises(ParamsError, match="paint the mask on this photo"):
        stylize(photo, [StyleInput(painting)], TINY, mask=_half_mask((40, 40)))
    two = RegionMask(np.ones(photo.shape[:2], np.uint8), MaskSettings((Region(1, (1,)),)))
    with pytest.raises(ParamsError, match="only 1"):
        stylize(photo, [StyleInput(painting)], TINY, mask=two)

