"""engine.run.inputs: a style is never resampled by a pixel or two (issue 20.7), so the engine's
loss of its picture is the race scorer's (benchmarks/bench_race_pastiche.py) on wide, tall and
square photos."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from benchmarks.common import Scorer, pastiche_hw
from nst_desktop.engine.run.inputs import style_hw
from nst_desktop.engine.run.stylize import stylize
from nst_desktop.engine.spec.events import ProgressEvent, StyleInput, to_uint8
from nst_desktop.engine.spec.presets import PRESETS
from tests.engine.conftest import _image_path, keep_steps

STEPS = 25


def test_a_style_within_two_pixels_of_the_size_asked_for_is_used_as_it_is() -> None:
    style = torch.zeros(1, 3, 165, 208)
    # issue 20.7's held-out pair: a 256 x 135 photo and a style pastiche had sized to 208 x 165
    assert style_hw(style, (135, 256), 1.0) == (165, 208)  # was (166, 209), a bicubic resample
    assert style_hw(style, (135, 256), 1.0, like_pastiche=True) == (165, 208)
    assert style_hw(style, (140, 260), 1.0) == (170, 214)  # five and six pixels off: resized
    assert style_hw(style, (135, 256), 2.0) == (331, 417)
    assert style_hw(torch.zeros(1, 3, 10, 12), (4, 4), 1.0) == (16, 16)  # never under 16 px


def test_like_pastiche_rounds_the_height_then_the_width_from_it() -> None:
    """pastiche's load_image: h = round(sqrt(pixels h / w)), w = round(w / h * h')."""
    style = torch.zeros(1, 3, 640, 1024)  # The Starry Night
    for hw in [(48, 64), (20, 48), (100, 71), (433, 577)]:
        want = pastiche_hw((1024, 640), pixels=hw[0] * hw[1])
        assert style_hw(style, hw, 1.0, like_pastiche=True) == want
    assert style_hw(style, (20, 48), 1.0) == (24, 39) != style_hw(style, (20, 48), 1.0, like_pastiche=True)


def _crop(photo: Image.Image, aspect: float) -> Image.Image:
    """The largest centred crop of ``photo`` with width / height = ``aspect``."""
    w, h = photo.size
    cw, ch = (w, round(w / aspect)) if w / h < aspect else (round(h * aspect), h)
    cw, ch = min(cw, w), min(ch, h)
    left, top = (w - cw) // 2, (h - ch) // 2
    return photo.crop((left, top, left + cw, top + ch))


@pytest.mark.parametrize("aspect", [2.0, 0.5, 1.0], ids=["wide", "tall", "square"])
def test_the_engines_loss_is_the_race_scorers_on_the_saved_picture(aspect: float) -> None:
    """The race's set-up at 136 px, where both the old area match and pastiche's own rounding
    resampled the pastiche-sized Scream by a pixel on all three shapes (68x136: 109x86 -> 108x85;
    136x136: 153x120 -> 154x120): the engine's reported loss of its best picture and the scorer's
    value of that picture as saved agree."""
    size = 136
    with Image.open(_image_path("content", "tubingen.jpg")) as im:
        photo = _crop(im.convert("RGB"), aspect)
    with Image.open(_image_path("style", "the_scream.jpg")) as im:
        painting = im.convert("RGB")
    hw = pastiche_hw(photo.size, size=size)
    sized = pastiche_hw(painting.size, pixels=hw[0] * hw[1])
    content = np.asarray(photo.resize((hw[1], hw[0]), Image.Resampling.BILINEAR))
    style = np.asarray(painting.resize((sized[1], sized[0]), Image.Resampling.BILINEAR))
    params = PRESETS["pastiche"].with_changes(size=size, min_size=size, steps=STEPS, precision="float32",
                                               device="cpu")
    events: list[ProgressEvent] = []
    result = stylize(content.astype(np.float32) / 255, [StyleInput(style.astype(np.float32) / 255)], params,
                     callback=keep_steps(events))
    reported = min(e.losses["total"] for e in events)  # the best picture's: the one returned
    scored = Scorer(content, style).scores(to_uint8(result.image))["objective"]
    print(f"{aspect}: reported {reported:.6g}, scored {scored:.6g}")
    assert scored == pytest.approx(reported, rel=0.01)


# --- issue 20.2: the brush size ---------------------------------------------------------------------
def test_a_1x_brush_paints_from_the_style_as_given() -> None:
    from nst_desktop.engine.run.inputs import brush_source
    from nst_desktop.engine.spec.params import Params

    style = torch.rand(1, 3, 640, 1024)
    assert brush_source(style, Params(), (384, 512)) is style  # not a copy: today's pixels, bit for bit


def test_a_bigger_brush_paints_from_the_styles_1x_size_never_enlarged() -> None:
    from nst_desktop.engine.run.inputs import brush_source, resize
    from nst_desktop.engine.spec.params import Params

    style = torch.rand(1, 3, 640, 1024)
    for brush in (2.0, 4.0):
        source = brush_source(style, Params(brush_size=brush), (384, 512))
        assert tuple(source.shape[-2:]) == style_hw(style, (384, 512), 1.0) == (351, 561)  # the 1x size
        assert torch.equal(source, resize(style, (351, 561)))
    small = torch.rand(1, 3, 100, 160)  # a style smaller than the output: its own pixels, not enlarged
    assert brush_source(small, Params(brush_size=4.0), (384, 512)) is small


def test_each_scale_sizes_the_style_brush_times_larger() -> None:
    from nst_desktop.engine.spec.params import Params
    from nst_desktop.engine.spec.schedule import brush_style_scale

    assert brush_style_scale(Params(style_scale=1.5, brush_size=2.0)) == 3.0
    assert brush_style_scale(Params(style_scale=0.7)) == 0.7  # 1x: the style scale, exactly
