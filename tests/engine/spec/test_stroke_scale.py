"""The stroke-scale measure (issue 20.2): a picture's stroke width in pixels, torch-free."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from nst_desktop.engine.spec.stroke_scale import radial_autocorrelation, stroke_scale


def _blotches(block: int, size: int = 192, seed: int = 0) -> np.ndarray:
    """Random grey blotches about ``block`` px wide: noise of size/block cells, sized up smoothly."""
    cells = np.random.default_rng(seed).integers(0, 256, (size // block, size // block), np.uint8)
    grey = np.asarray(Image.fromarray(cells).resize((size, size), Image.Resampling.BICUBIC), np.float64)
    return np.repeat(grey[..., None] / 255.0, 3, axis=2)


def test_the_width_grows_with_the_blotches() -> None:
    widths = [stroke_scale(_blotches(block)) for block in (2, 4, 8)]
    assert widths[0] < widths[1] < widths[2]
    # Twice the blotch, about twice the width (measured 1.1, 2.1, 3.9 px at 2, 4, 8 px blotches).
    assert widths[1] / widths[0] == pytest.approx(2.0, rel=0.25)
    assert widths[2] / widths[1] == pytest.approx(2.0, rel=0.25)


def test_the_photos_layout_is_not_a_stroke() -> None:
    # A smooth left-to-right ramp (layout) under fine blotches: the ramp adds no width.
    ramp = np.repeat(np.linspace(0, 0.5, 192)[None, :, None], 192, axis=0).repeat(3, axis=2)
    fine = _blotches(2)
    assert stroke_scale(0.5 * fine + ramp) == pytest.approx(stroke_scale(fine), rel=0.1)


def test_a_flat_picture_has_no_strokes_and_the_profile_starts_at_one() -> None:
    assert stroke_scale(np.full((32, 48, 3), 0.3)) == 0.0
    from nst_desktop.engine.spec.stroke_scale import luminance_detail

    profile = radial_autocorrelation(luminance_detail(_blotches(4, size=64)))
    assert profile[0] == pytest.approx(1.0) and profile.size == 32


def test_a_non_rgb_array_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match=r"expected an RGB image \(H, W, 3\)"):
        stroke_scale(np.zeros((16, 16)))
