"""Region masks without torch: regions, settings JSON, validation, feathered soft masks."""

from __future__ import annotations

import numpy as np
import pytest

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.region_masks import (
    MAX_REGIONS,
    MaskSettings,
    Region,
    RegionMask,
    default_settings,
    soft_masks,
    validate,
)


def _halves(h: int = 32, w: int = 48) -> np.ndarray:
    labels = np.zeros((h, w), np.uint8)
    labels[:, w // 2:] = 1
    return labels


def test_region_defaults_and_blend() -> None:
    region = Region(2, (0, 1), (1.0, 3.0), strength=1.5)
    assert region.blend() == ((0, 0.25), (1, 0.75))
    assert region.colour.startswith("#") and region.colour != Region(1, (0,)).colour
    assert Region(1, (0, 2)).weights == (1.0, 1.0)
    assert Region(1, (0, 1), (0.0, 2.0)).blend() == ((1, 1.0),)  # a zero share is left out


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"index": 0, "styles": (0,)}, "numbered 1 to"),
    ({"index": MAX_REGIONS + 1, "styles": (0,)}, "numbered 1 to"),
    ({"index": 1, "styles": ()}, "style numbers"),
    ({"index": 1, "styles": (0, 0)}, "named twice"),
    ({"index": 1, "styles": (0, 1), "weights": (1.0,)}, "2 styles but 1 blend weights"),
    ({"index": 1, "styles": (0,), "weights": (0.0,)}, "all zero"),
    ({"index": 1, "styles": (0,), "strength": 11.0}, "between 0 and 10"),
    ({"index": 1, "styles": (0,), "strength": float("nan")}, "not a number"),
])
def test_region_refuses_nonsense_with_one_line(kwargs: dict, words: str) -> None:
    with pytest.raises(ParamsError, match=words) as info:
        Region(**kwargs)
    assert "\n" not in str(info.value)


def test_settings_round_trip_through_json_dict() -> None:
    settings = MaskSettings((Region(2, (1,), strength=0.5), Region(1, (0, 1), (1, 3))), "style", 1, 4.0)
    assert [r.index for r in settings.regions] == [1, 2]  # kept in order
    again = MaskSettings.from_dict(settings.to_dict() | {"future_key": 1})
    assert again == settings
    assert [r.index for r in settings.styled_regions()] == [0, 1, 2]
    assert [r.index for r in MaskSettings(settings.regions).styled_regions()] == [1, 2]
    with pytest.raises(ParamsError, match="not a JSON object"):
        MaskSettings.from_dict([1, 2])
    with pytest.raises(ParamsError, match="keep_photo or style"):
        MaskSettings.from_dict({"unpainted": "sky"})
    with pytest.raises(ParamsError, match="needs an 'index'"):
        MaskSettings.from_dict({"regions": [{"styles": [0]}]})


def test_more_regions_than_styles_is_refused_unless_assigned() -> None:
    labels = np.zeros((8, 9), np.uint8)
    labels[:, 3:6], labels[:, 6:] = 1, 3
    with pytest.raises(ParamsError, match="2 regions but only 1 style: give region 3 a style"):
        default_settings(labels, 1)
    settings = default_settings(labels, 1, MaskSettings((Region(3, (0,)),)))
    assert [(r.index, r.styles) for r in settings.regions] == [(1, (0,)), (3, (0,))]
    validate(RegionMask(labels, settings), 1)


@pytest.mark.parametrize(("settings", "words"), [
    (MaskSettings((Region(1, (0,)), Region(2, (0,)))), "Region 2 is empty"),
    (MaskSettings(()), "Region 1 is painted but has no style"),
    (MaskSettings((Region(1, (2,)),)), "asks for style 2, but there are only 2"),
    (MaskSettings((Region(1, (0,)),), "style", 5), "unpainted area asks for style 5"),
])
def test_validate_names_the_problem(settings: MaskSettings, words: str) -> None:
    with pytest.raises(ParamsError, match=words):
        validate(RegionMask(_halves(), settings), 2)


def test_nothing_painted_and_keep_photo_is_refused() -> None:
    blank = np.zeros((4, 4), np.uint8)
    with pytest.raises(ParamsError, match="nowhere to put a style"):
        validate(RegionMask(blank), 1)
    validate(RegionMask(blank, MaskSettings(unpainted="style")), 1)  # style everywhere is fine


def test_soft_masks_hard_and_area_average() -> None:
    labels = _halves(4, 4)
    hard = soft_masks(labels, (4, 4), 0.0)
    assert hard.shape == (2, 4, 4) and hard.dtype == np.float32
    np.testing.assert_array_equal(hard[1], labels.astype(np.float32))
    # a border through the middle of a coarse cell: that cell is half covered by each side
    odd = np.zeros((6, 6), np.uint8)
    odd[:, 3:] = 1
    coarse = soft_masks(odd, (2, 2), 0.0)
    np.testing.assert_allclose(coarse[1], [[0.0, 1.0], [0.0, 1.0]], atol=1e-6)
    middle = soft_masks(odd, (3, 3), 0.0)
    np.testing.assert_allclose(middle[1, 0], [0.0, 0.5, 1.0], atol=1e-6)
    assert soft_masks(labels, (4, 4), 0.0, channels=4).shape == (4, 4, 4)


def test_feathered_masks_sum_to_one_and_cross_smoothly() -> None:
    labels = np.zeros((64, 96), np.uint8)
    labels[:, 40:] = 2
    labels[10:20, 60:70] = 1
    for hw in ((64, 96), (16, 24), (5, 7)):
        masks = soft_masks(labels, hw, 6.0)
        assert masks.shape == (3, *hw)
        np.testing.assert_allclose(masks.sum(axis=0), 1.0, atol=1e-5)  # no halo: never a dip or overlap
        assert masks.min() >= 0.0
    row = soft_masks(labels, (64, 96), 6.0)[2, 40]
    steps = np.abs(np.diff(row))
    assert steps.max() < 0.1  # hard: a step of 1 at column 40
    assert row[30] < 0.1 and row[50] > 0.9 and np.all(np.diff(row[:60]) >= -1e-6)
    assert np.abs(np.diff(soft_masks(labels, (64, 96), 0.0)[2, 40])).max() == pytest.approx(1.0)


def test_soft_masks_refuse_bad_labels() -> None:
    with pytest.raises(ParamsError, match="single-channel"):
        soft_masks(np.zeros((4, 4, 3), np.uint8), (2, 2), 1.0)
    with pytest.raises(ParamsError, match="0 to 255"):
        soft_masks(np.full((4, 4), 300), (2, 2), 1.0)
