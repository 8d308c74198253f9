"""Masks inside a record (io.masks): a repainted run's start mask and repaints, as base64 PNGs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.live import MASK, MASK_REPAINTED, Edit
from nst_desktop.engine.spec.region_masks import MaskSettings, Region, RegionMask
from nst_desktop.io.masks import (
    START_KEY,
    edit_record,
    embed_mask,
    embedded_labels,
    embedded_mask,
    start_mask_record,
    with_repaints,
)
from nst_desktop.io.metadata import edits_from_metadata


def _mask() -> RegionMask:
    labels = np.zeros((30, 40), np.uint8)
    labels[5:20, 10:30] = 1
    labels[22:, :] = 2
    settings = MaskSettings((Region(1, (0, 1), (3.0, 1.0), 1.5), Region(2, (1,))), "style", 0, 4.0)
    return RegionMask(labels, settings)


def test_an_embedded_mask_comes_back_exactly_through_json() -> None:
    mask = _mask()
    data = json.loads(json.dumps(embed_mask(mask)))
    back = embedded_mask(data)
    assert np.array_equal(back.labels, mask.labels) and back.settings == mask.settings
    stretched = embedded_labels(data, (60, 80))
    assert stretched.labels.shape == (60, 80) and stretched.note is not None
    with pytest.raises(ParamsError, match="base64"):
        embedded_mask({**data, "png": "%%%"})
    with pytest.raises(ParamsError, match="no pixels"):
        embedded_mask({"regions": []})


def test_repaints_are_recorded_with_their_pixels_and_read_back_as_edits() -> None:
    mask = _mask()
    recorded = json.loads(json.dumps([edit_record(Edit(3, {MASK: mask, "tv_weight": 2.0}))]))
    (edit,) = edits_from_metadata({"edits": recorded})
    assert edit.step == 3 and edit.changes["tv_weight"] == 2.0
    assert np.array_equal(edit.changes[MASK].labels, mask.labels)
    # A record made before the pixels were kept has a marker: the repaint is dropped, the rest kept.
    old = [{"step": 3, "changes": {MASK: MASK_REPAINTED, "tv_weight": 2.0}}]
    assert edits_from_metadata({"edits": old}) == (Edit(3, {"tv_weight": 2.0}),)
    assert with_repaints(None) is None


def test_the_start_mask_is_kept_only_after_a_repaint() -> None:
    mask = _mask()
    assert START_KEY not in start_mask_record(mask, mask, False, "a.mask.png")
    record = start_mask_record(mask, _mask(), True, "a.mask.png")
    assert np.array_equal(embedded_mask(record[START_KEY]).labels, mask.labels)
    assert start_mask_record(mask, None, True, "")[START_KEY] is None  # began without a mask
