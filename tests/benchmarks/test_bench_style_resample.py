"""The style resamples of benchmarks/bench_style_resample.py (issue 20.7): each reaches exactly the
size the engine gives the style, so the engine does not resample it again, and they really differ.
Tiny synthetic images, no render."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from benchmarks import bench_style_resample as bench
from benchmarks import stipple
from nst_desktop.engine.run.inputs import style_hw
from nst_desktop.engine.spec.schedule import fit_long_side

PARAMS = bench.params_for(64, quick=True)
PHOTO_SHAPE = (96, 128, 3)  # painted at 48 x 64


def _noise_style(shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A style whose every pixel differs from its neighbours: what a resample filter acts on most."""
    return np.random.default_rng(seed).integers(0, 256, (*shape, 3), dtype=np.uint8)


@pytest.mark.parametrize("style_shape", [(150, 210), (20, 28)], ids=["shrinking", "enlarging"])
@pytest.mark.parametrize("variant", list(bench.VARIANTS))
def test_every_variant_reaches_the_engines_size(variant: str, style_shape: tuple[int, int]) -> None:
    hw = bench.target_hw(style_shape, PHOTO_SHAPE, PARAMS)
    # The size the engine gives this style at the output scale, asked of the engine directly.
    output_hw = fit_long_side(PHOTO_SHAPE[:2], PARAMS.size)
    assert hw == style_hw(torch.empty(1, 3, *style_shape), output_hw, PARAMS.style_scale)
    assert hw != style_shape
    styled = bench.resampled(variant, _noise_style(style_shape), hw)
    assert styled.shape == (*hw, 3)
    assert styled.dtype == np.float32 and styled.min() >= 0.0 and styled.max() <= 1.0
    # Given this, the engine uses it as it is: its size for it is its own.
    assert bench.target_hw(styled.shape, PHOTO_SHAPE, PARAMS) == hw


def _shrunk() -> dict[str, np.ndarray]:
    style = _noise_style((150, 210))
    hw = bench.target_hw(style.shape, PHOTO_SHAPE, PARAMS)
    return {name: bench.resampled(name, style, hw) for name in bench.VARIANTS}


def test_the_variants_differ_from_each_other() -> None:
    styles = _shrunk()
    for a, b in itertools.combinations(styles, 2):
        assert np.abs(styles[a] - styles[b]).mean() > 2e-3, f"{a} and {b} resample alike"


def test_no_antialias_keeps_the_aliased_fine_texture() -> None:
    styles = _shrunk()
    # Point-sampling noise keeps its full contrast; the antialiased filter averages ~3 x 3 pixels.
    assert stipple.fine_energy(styles["bicubic_aliased"]) > 1.5 * stipple.fine_energy(styles["engine"])


def test_the_enlarged_half_size_scan_is_smoother() -> None:
    styles = _shrunk()
    assert stipple.fine_energy(styles["upsampled"]) < 0.6 * stipple.fine_energy(styles["engine"])


def test_the_jpeg_variant_carries_jpeg_artefacts() -> None:
    # A smooth ramp has no 8 px blocks of its own: JPEG q40 adds them, and they survive a mild shrink.
    ramp = np.linspace(0, 255, 96)[None, :, None] * np.linspace(0.6, 1.0, 80)[:, None, None] * np.ones(3)
    style = np.clip(ramp + np.random.default_rng(1).normal(0, 6, ramp.shape), 0, 255).astype(np.uint8)
    hw = bench.target_hw(style.shape, PHOTO_SHAPE, PARAMS)
    engine, jpeg = (bench.resampled(name, style, hw) for name in ("engine", "jpeg_q40"))
    assert np.abs(jpeg - engine).mean() > 2e-3
    assert stipple.fine_energy(jpeg) < stipple.fine_energy(engine)  # q40 drops the fine grain


def test_the_sheets_crop_is_where_the_picture_stipples() -> None:
    picture = np.full((48, 64, 3), 128, dtype=np.uint8)
    picture[24:, 32:] = _noise_style((24, 32), seed=3)  # dots in the bottom-right quarter only
    left, top, right, bottom = bench._half_window(picture)
    assert (right - left, bottom - top) == (32, 24)
    # Most of the window in the dotted quarter (the block median cannot tell a window three
    # quarters inside it from one wholly inside).
    assert left > 16 and top > 12


def test_area_is_the_box_average() -> None:
    style = _noise_style((48, 64), seed=4)
    blocks = (style.astype(np.float32) / 255.0).reshape(24, 2, 32, 2, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(bench.resampled("area", style, (24, 32)), blocks, atol=1e-6)
