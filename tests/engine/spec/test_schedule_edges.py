"""Edge cases of the coarse-to-fine schedule that mutation testing found unchecked
(benchmarks/mutation.py; see "Mutation testing" in benchmarks/RESULTS.md)."""

from __future__ import annotations

from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.schedule import first_scale_after, fit_long_side, scale_sizes


def test_fit_long_side_never_gives_a_zero_pixel_side() -> None:
    # A 1x1000 strip shrunk to 100 px would round its short side to 0: it stays 1 px.
    assert fit_long_side((1, 1000), 100) == (1, 100)
    assert fit_long_side((1000, 1), 100) == (100, 1)


def test_a_coarse_scale_exactly_sqrt_ratio_below_the_next_is_kept() -> None:
    # ratio 4 -> margin sqrt(4) = 2: 100 px is exactly 2x below 200 px, so it is a scale.
    params = Params(size=200, min_size=100, scale_ratio=4.0)
    assert scale_sizes(params, (200, 200)) == [(100, 100), (200, 200)]
    # just above that, 101 -> 200 is less than 2x apart: the coarse scale is dropped.
    assert scale_sizes(params.with_changes(min_size=101), (200, 200)) == [(200, 200)]


def test_first_scale_after_skips_the_scales_a_picture_already_covers() -> None:
    sizes = [(24, 32), (36, 48), (48, 64)]
    assert first_scale_after(sizes, 16) == 0  # smaller than every scale: run them all
    assert first_scale_after(sizes, 32) == 1  # a picture at the first scale's size
    assert first_scale_after(sizes, 40) == 1
    assert first_scale_after(sizes, 48) == 2


def test_first_scale_after_treats_2_percent_larger_as_the_same_scale() -> None:
    # 51 px is exactly 2 % above 50 px: rounding of the aspect ratio, not a larger scale.
    assert first_scale_after([(38, 51), (75, 100)], 50) == 1
    assert first_scale_after([(38, 52), (75, 100)], 50) == 0


def test_first_scale_after_always_runs_the_last_scale() -> None:
    # A picture at (or beyond) the output size still refines at the output size.
    sizes = [(24, 32), (36, 48), (48, 64)]
    assert first_scale_after(sizes, 64) == 2
    assert first_scale_after(sizes, 500) == 2
    assert first_scale_after([(48, 64)], 64) == 0
