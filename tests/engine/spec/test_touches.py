"""After-touches: keep the photo's colours, fade toward the photo; NumPy only."""

from __future__ import annotations

import numpy as np
import pytest

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.touches import RGB_TO_YIQ, Touches, apply_touches


def _images(h: int = 24, w: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    # Mid-range values: the recombined colours stay inside 0..1, so no clipping blurs the check.
    painting = rng.uniform(0.4, 0.6, (h, w, 3)).astype(np.float32)
    photo = rng.uniform(0.4, 0.6, (h, w, 3)).astype(np.float32)
    return painting, photo


def _yiq(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64) @ RGB_TO_YIQ.T


def test_keep_photo_colours_is_painting_luminance_with_photo_chroma() -> None:
    painting, photo = _images()
    out = apply_touches(painting, photo, Touches(keep_photo_colours=True))
    assert out.dtype == np.float32 and out.shape == painting.shape
    np.testing.assert_allclose(_yiq(out)[..., 0], _yiq(painting)[..., 0], atol=1e-5)
    np.testing.assert_allclose(_yiq(out)[..., 1:], _yiq(photo)[..., 1:], atol=1e-5)
    assert np.abs(out - painting).max() > 0.01  # it did change the colours


def test_fade_mixes_linearly_toward_the_photo() -> None:
    painting, photo = _images()
    np.testing.assert_allclose(apply_touches(painting, photo, Touches(fade=1.0)), photo, atol=1e-6)
    half = apply_touches(painting, photo, Touches(fade=0.25))
    np.testing.assert_allclose(half, painting * 0.75 + photo * 0.25, atol=1e-6)


def test_fade_comes_after_the_colour_touch() -> None:
    painting, photo = _images()
    coloured = apply_touches(painting, photo, Touches(keep_photo_colours=True))
    both = apply_touches(painting, photo, Touches(keep_photo_colours=True, fade=0.5))
    np.testing.assert_allclose(both, coloured * 0.5 + photo * 0.5, atol=1e-6)


def test_identity_returns_the_painting_unchanged() -> None:
    painting, photo = _images()
    assert Touches().is_identity and not Touches(fade=0.1).is_identity
    assert apply_touches(painting, photo, Touches()) is painting
    assert apply_touches(painting, photo, Touches(fade=0.0, keep_photo_colours=False)) is painting


def test_output_is_clipped_and_the_photo_must_match() -> None:
    painting = np.zeros((4, 4, 3), np.float32)
    photo = np.zeros((4, 4, 3), np.float32)
    photo[..., 0] = 1.0  # pure red: its chroma on black luminance leaves the gamut
    out = apply_touches(painting, photo, Touches(keep_photo_colours=True))
    assert out.min() >= 0.0 and out.max() <= 1.0
    with pytest.raises(ValueError, match="shape"):
        apply_touches(painting, photo[:2], Touches(fade=0.5))


def test_same_yiq_matrix_as_the_engine_colour_module() -> None:
    from nst_desktop.engine.losses import colour

    np.testing.assert_allclose(RGB_TO_YIQ, colour._RGB_TO_YIQ.double().numpy())


def test_dict_round_trip_is_forgiving_and_strict() -> None:
    touches = Touches(keep_photo_colours=True, fade=0.3)
    assert Touches.from_dict(touches.to_dict()) == touches
    assert Touches.from_dict({"fade": 1, "from_the_future": "x"}) == Touches(fade=1.0)
    assert Touches.from_dict({}) == Touches()
    for bad in ({"fade": "lots"}, {"fade": True}, {"fade": 1.5}, {"fade": float("nan")},
                {"keep_photo_colours": "yes"}, ["fade"]):
        with pytest.raises(ParamsError):
            Touches.from_dict(bad)
