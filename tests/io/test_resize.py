"""fit_photo: the photo at the painting's exact size, for the after-touches."""

from __future__ import annotations

import numpy as np
import pytest

from nst_desktop.io.resize import fit_photo


def test_fits_to_the_exact_size_and_keeps_the_picture() -> None:
    photo = np.zeros((60, 80, 3), np.float32)
    photo[:, 40:] = 1.0  # left black, right white
    fitted = fit_photo(photo, (33, 47))
    assert fitted.shape == (33, 47, 3) and fitted.dtype == np.float32
    assert fitted.min() >= 0.0 and fitted.max() <= 1.0  # bicubic overshoot clipped
    assert fitted[:, :10].max() < 0.05 and fitted[:, -10:].min() > 0.95


def test_same_size_is_returned_as_is_and_nonsense_refused() -> None:
    photo = np.random.default_rng(0).random((10, 12, 3), dtype=np.float32)
    assert fit_photo(photo, (10, 12)) is photo
    with pytest.raises(ValueError):
        fit_photo(photo, (0, 12))
