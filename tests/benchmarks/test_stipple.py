"""The stipple measure (benchmarks/stipple.py): fine dots raise it, a sharp edge does not."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import stipple


def _canvas(seed: int = 0) -> np.ndarray:
    """A smooth 128 px gradient with a faint fine grain, so the base energy is not zero."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.2, 0.8, 128)[None, :] * np.ones((128, 1))
    grain = rng.normal(0.0, 0.005, (128, 128))
    return np.repeat((ramp + grain)[..., None], 3, axis=2)


def _with_dots(image: np.ndarray, seed: int = 1) -> np.ndarray:
    """One pixel in five lightened or darkened by 0.15: a fine stipple."""
    rng = np.random.default_rng(seed)
    dots = (rng.random(image.shape[:2]) < 0.2) * rng.choice([-0.15, 0.15], image.shape[:2])
    return np.asarray(np.clip(image + dots[..., None], 0.0, 1.0))


def _with_edge(image: np.ndarray) -> np.ndarray:
    """A hard step of 0.4 down the middle (inside a block): sharp detail a fix must keep."""
    step = np.where(np.arange(128) < 61, -0.2, 0.2)[None, :, None]
    return np.asarray(np.clip(image + step, 0.0, 1.0))


def test_fine_dots_raise_the_measure() -> None:
    base = stipple.fine_energy(_canvas())
    assert stipple.fine_energy(_with_dots(_canvas())) > 5 * base


def test_a_sharp_edge_does_not_raise_it() -> None:
    canvas = _canvas()
    edged = _with_edge(canvas)
    # The edge does add fine-band energy where it runs (what a spectral share would count) ...
    assert stipple.block_energy(edged).max() > 5 * stipple.block_energy(canvas).max()
    # ... but only in the blocks it crosses: the typical block is unchanged.
    assert stipple.fine_energy(edged) == pytest.approx(stipple.fine_energy(canvas), rel=0.05)
    assert stipple.fine_energy(_with_dots(edged)) > 5 * stipple.fine_energy(edged)


def test_the_ratio_compares_with_the_style_at_the_paintings_area() -> None:
    style = (np.clip(_with_dots(_canvas(3), 4), 0.0, 1.0) * 255).astype(np.uint8)
    big_style = np.repeat(np.repeat(style, 2, axis=0), 2, axis=1)  # the same picture at twice the size
    assert stipple.measure(style, style).ratio == pytest.approx(1.0)
    assert stipple.style_at_scale(big_style, (128, 128)).shape == (128, 128, 3)
    assert stipple.style_at_scale(big_style, (64, 256)).shape == (128, 128, 3)  # the area, not the shape
    smooth = (np.clip(_canvas(5), 0.0, 1.0) * 255).astype(np.uint8)
    assert stipple.measure(smooth, big_style).ratio < 0.5
    assert stipple.measure(_with_dots(smooth / 255.0, 6), smooth).ratio > 3.0


def test_an_image_smaller_than_a_block_is_refused() -> None:
    with pytest.raises(ValueError, match="smaller than one 8 px block"):
        stipple.fine_energy(np.zeros((4, 40, 3)))


def test_against_uses_the_style_as_it_is() -> None:
    # A style a pixel off the painting's area: measure() resamples it, against() must not, since a
    # one-pixel resample blurs every pixel (issue 20.7).
    style = (np.clip(_with_dots(_canvas(7), 8), 0.0, 1.0) * 255).astype(np.uint8)[:, :127]
    painting = np.zeros((128, 128, 3), dtype=np.uint8)
    assert stipple.against(painting, style).style == stipple.fine_energy(style)
    assert stipple.measure(painting, style).style < 0.95 * stipple.fine_energy(style)


def test_specks_count_isolated_dots_not_lines_or_edges() -> None:
    canvas = _canvas()
    assert stipple.specks(canvas) == 0.0
    dotted = canvas.copy()
    dotted[10:120:10, 10:120:10] += 0.3  # 121 one-pixel dots, 10 px apart, in 16,384 pixels
    assert stipple.specks(np.clip(dotted, 0.0, 1.0)) == pytest.approx(1000 * 121 / 128**2)
    lined = canvas.copy()
    lined[:, 40] += 0.3  # a one-pixel line: each of its pixels has a like neighbour along it
    lined[70:90, 20:110] += 0.3  # a block: an edge all round
    assert stipple.specks(np.clip(lined, 0.0, 1.0)) == 0.0
    assert stipple.specks(np.clip(_with_edge(canvas), 0.0, 1.0)) == 0.0
