"""How big a picture's brush strokes are, as one number: the autocorrelation width of its
luminance detail (issue 20.2). NumPy only, so a test, a benchmark or a front end can judge a
picture without torch.

The photo's own layout (sky against houses) also correlates over long distances; a stroke does
so over its own width. So the luminance is high-passed first, keeping wavelengths shorter than
:data:`DETAIL_FRACTION` of the long side, and the measure is the lag at which the radially
averaged autocorrelation of what is left falls to half its value at 0: a fine stipple of 1-2 px
dots decorrelates within a pixel or two, strokes twice as wide twice as far away. The width is in
pixels of the picture as given; compare pictures of the same size.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Wavelengths longer than this share of the long side are the photo's layout, not strokes:
#: removed before the autocorrelation. An eighth of a 512 px picture is 64 px, larger than a 4x
#: brush's strokes there, so they stay in the measure.
DETAIL_FRACTION = 1 / 8

#: The autocorrelation level whose lag is the width: half, the usual full width at half maximum.
HALF = 0.5

_LUMA = np.array([0.299, 0.587, 0.114])  # Rec. 601, as engine.losses.colour uses


def luminance_detail(image: npt.ArrayLike, detail_fraction: float = DETAIL_FRACTION
                     ) -> npt.NDArray[np.float64]:
    """The luminance of an (H, W, 3) image in 0..1 with wavelengths longer than ``detail_fraction``
    of its long side taken out (a Gaussian high-pass in frequency space)."""
    array = np.asarray(image, dtype=np.float64)
    if array.ndim != 3 or array.shape[2] != 3 or min(array.shape[:2]) < 4:
        raise ValueError(f"expected an RGB image (H, W, 3) of at least 4x4 px, got shape {array.shape}")
    luma = array @ _LUMA
    h, w = luma.shape
    cut = 1.0 / (detail_fraction * max(h, w))  # cycles per pixel: 1 / the longest kept wavelength
    radius2 = np.fft.fftfreq(h)[:, None] ** 2 + np.fft.fftfreq(w)[None, :] ** 2
    keep = 1.0 - np.exp(-radius2 / (2.0 * cut**2))
    return np.real(np.fft.ifft2(np.fft.fft2(luma - luma.mean()) * keep))


def radial_autocorrelation(detail: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The autocorrelation of ``detail``, averaged over directions, 1 at lag 0, for the lags
    0 .. half the short side (zero-padded: the picture does not wrap around)."""
    h, w = detail.shape
    spectrum = np.fft.fft2(detail, s=(2 * h, 2 * w))
    auto = np.fft.fftshift(np.real(np.fft.ifft2(np.abs(spectrum) ** 2)))
    centre = auto[h, w]
    if centre <= 0.0:
        return np.zeros(min(h, w) // 2)  # a flat picture: no detail at any lag
    rows, cols = np.indices(auto.shape)
    lag = np.hypot(rows - h, cols - w).astype(np.int64).ravel()
    longest = min(h, w) // 2
    sums = np.bincount(lag, (auto / centre).ravel(), minlength=longest)[:longest]
    return sums / np.bincount(lag, minlength=longest)[:longest]


def stroke_scale(image: npt.ArrayLike, detail_fraction: float = DETAIL_FRACTION) -> float:
    """The stroke width of an (H, W, 3) picture in 0..1, in its pixels: the lag at which the
    autocorrelation of its luminance detail falls to :data:`HALF` (interpolated between lags).
    0 for a flat picture; half the short side when it never falls that far."""
    profile = radial_autocorrelation(luminance_detail(image, detail_fraction))
    below = np.nonzero(profile < HALF)[0]
    if profile.size == 0 or profile[0] < HALF:
        return 0.0
    if below.size == 0:
        return float(profile.size)
    lag = int(below[0])
    before, after = profile[lag - 1], profile[lag]
    return float(lag - 1 + (before - HALF) / (before - after))
