import dataclasses

import pytest

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.schedule import (
    check_shape,
    fit_long_side,
    min_side,
    scale_sizes,
    steps_per_scale,
)


def test_default_schedule_grows_by_sqrt2_to_the_output_size() -> None:
    sizes = scale_sizes(Params(size=512, min_size=128), (768, 1024))
    longs = [max(s) for s in sizes]
    assert longs == [128, 181, 256, 362, 512]
    assert sizes[-1] == (384, 512)
    for a, b in zip(longs, longs[1:], strict=False):
        assert 1.3 < b / a < 1.5


def test_min_size_at_or_above_size_means_one_scale() -> None:
    assert scale_sizes(Params(size=256, min_size=256), (100, 200)) == [(128, 256)]
    assert scale_sizes(Params(size=100, min_size=128), (200, 100)) == [(100, 50)]


def test_min_size_is_included_when_not_a_power_of_the_ratio() -> None:
    longs = [max(s) for s in scale_sizes(Params(size=1024, min_size=200), (1000, 1000))]
    assert longs[0] == 200 and longs[-1] == 1024
    assert longs == sorted(longs)


def test_steps_per_scale() -> None:
    assert steps_per_scale(Params(steps=7, coarse_steps=3), 4) == [3, 3, 3, 7]
    assert steps_per_scale(Params(steps=7), 1) == [7]


def test_fit_long_side_keeps_aspect_for_portrait() -> None:
    assert fit_long_side((1528, 1200), 256) == (256, 201)


# --- a panorama strip (issue 16.12) -------------------------------------------------------------


def _layers(content: tuple[str, ...], style: tuple[str, ...], **changes: int) -> Params:
    return Params(content_layers=content, content_layer_weights=(1.0,) * len(content), style_layers=style,
                  style_layer_weights=(1.0,) * len(style), **changes)


def test_the_smallest_side_follows_the_deepest_layer() -> None:
    assert min_side(_layers(("relu4_2",), ("relu1_1", "relu4_1"))) == 8
    assert min_side(_layers(("relu2_2",), ("relu1_1", "relu5_1"))) == 16
    assert min_side(_layers(("relu1_2",), ("relu1_1",))) == 1


def test_coarse_scales_too_thin_for_vgg_are_dropped_and_the_output_kept() -> None:
    params = _layers(("relu4_2",), ("relu4_1",), size=2000, min_size=128)
    sizes = scale_sizes(params, (20, 4000))  # a panorama strip
    assert sizes[-1] == (10, 2000)
    assert all(min(hw) >= 8 for hw in sizes) and len(sizes) < len(scale_sizes(params, (3000, 4000)))
    check_shape(params, (20, 4000))  # paints: 10 px >= 8


def test_a_strip_too_thin_for_the_output_is_refused_in_one_line_naming_the_photo() -> None:
    params = _layers(("relu4_2",), ("relu4_1",), size=512)
    with pytest.raises(ImageError) as caught:
        check_shape(params, (20, 4000), "strip.png")
    text = caught.value.user_text()
    assert text.startswith("strip.png: too narrow") and "3 px" in text and "\n" not in text
    enough = int(text.split("output size to ")[1].split(" px")[0])
    check_shape(dataclasses.replace(params, size=enough), (20, 4000))  # the size it names paints
    with pytest.raises(ImageError) as beyond:
        check_shape(params, (1, 100_000))
    assert "less narrow" in beyond.value.user_text()  # no output size would do
