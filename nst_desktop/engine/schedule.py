"""Coarse-to-fine schedule: the sizes of the successive scales and the steps at each.

Starting small and upsampling (as in crowsonkb's style-transfer-pytorch) lets the large
structures of the style settle where steps are cheap (a 128 px step costs 1/16 of a 512 px
one), so the expensive final scale only has to add detail.
"""

from __future__ import annotations

from nst_desktop.engine.params import Params


def fit_long_side(hw: tuple[int, int], long_side: int) -> tuple[int, int]:
    """(h, w) scaled so that max(h, w) == long_side, keeping the aspect ratio (min 1 px)."""
    h, w = hw
    factor = long_side / max(h, w)
    return max(1, round(h * factor)), max(1, round(w * factor))


def scale_sizes(params: Params, content_hw: tuple[int, int]) -> list[tuple[int, int]]:
    """(h, w) of every scale, smallest first; the last is the output size.

    Long sides are min_size * ratio**k below ``size``, then ``size``. A coarse scale closer
    to the next than sqrt(ratio) is dropped: it would cost a scale's steps for little change.
    """
    longs: list[int] = []
    current = float(params.min_size)
    while round(current) < params.size:
        longs.append(round(current))
        current *= params.scale_ratio
    longs.append(params.size)
    margin = params.scale_ratio**0.5
    kept = [n for i, n in enumerate(longs) if i == len(longs) - 1 or longs[i + 1] / n >= margin]
    return [fit_long_side(content_hw, n) for n in kept]


def steps_per_scale(params: Params, n_scales: int) -> list[int]:
    """``coarse_steps`` at every scale but the last, ``steps`` at the last."""
    return [params.coarse_steps] * (n_scales - 1) + [params.steps]


def first_scale_after(sizes: list[tuple[int, int]], long_side: int) -> int:
    """Index of the first scale larger than a picture of ``long_side`` px, to continue from it.

    A picture already at a scale's size has done that scale's work; the schedule goes on
    from the next one up. At least the last scale always runs: continuing from a picture at
    the output size (a stopped run) refines it there.
    """
    for index, (h, w) in enumerate(sizes):
        if max(h, w) > long_side * 1.02:  # 2 %: rounding of the aspect ratio is not a new scale
            return index
    return len(sizes) - 1
