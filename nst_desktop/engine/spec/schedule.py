"""Coarse-to-fine schedule: the sizes of the successive scales and the steps at each.

Starting small and upsampling (as in crowsonkb's style-transfer-pytorch) lets the large
structures of the style settle where steps are cheap (a 128 px step costs 1/16 of a 512 px
one), so the expensive final scale only has to add detail.
"""

from __future__ import annotations

import math

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.engine.spec.params import Params

SIZE_LIMIT = int(Params.__dataclass_fields__["size"].metadata["max"])


def fit_long_side(hw: tuple[int, int], long_side: int) -> tuple[int, int]:
    """(h, w) scaled so that max(h, w) == long_side, keeping the aspect ratio (min 1 px)."""
    h, w = hw
    factor = long_side / max(h, w)
    return max(1, round(h * factor)), max(1, round(w * factor))


def brush_style_scale(params: Params) -> float:
    """The style's size against each scale's (linear), the brush included: every scale's style is
    sized, costed and planned for at this squared times the scale's area (engine.run.inputs)."""
    return params.style_scale * params.brush_size


def min_side(params: Params) -> int:
    """The shortest side VGG19 takes up to the deepest layer the run uses: each pooling before
    it halves a side (rounding down), and a side of 0 px is an error (relu4_1: 8 px)."""
    deepest = max(int(name.removeprefix("relu").split("_")[0])
                  for name in (*params.content_layers, *params.style_layers))
    return int(2 ** (deepest - 1))


def min_long_side(params: Params, content_hw: tuple[int, int]) -> int:
    """The smallest output long side at which a photo of ``content_hw`` is thick enough to paint
    (its short side reaches :func:`min_side`): a few px for most photos, more for a panorama."""
    return math.ceil(min_side(params) * max(content_hw) / max(1, min(content_hw)))


def check_shape(params: Params, content_hw: tuple[int, int], name: str = "the photo") -> None:
    """Refuse, naming ``name``, a photo so thin (a 4000x20 panorama strip) that the output's short
    side is below :func:`min_side`; said before any work, with the size that would paint it."""
    need, short = min_side(params), min(fit_long_side(content_hw, params.size))
    if short >= need:
        return
    enough = min_long_side(params, content_hw)
    hint = (f"Raise the output size to {enough} px or crop the photo." if enough <= SIZE_LIMIT
            else "Crop the photo to a less narrow shape.")
    raise ImageError(name, f"too narrow to paint at {params.size} px: its short side would be {short} px, "
                     f"and the painting needs at least {need} px.", hint=hint)


def scale_sizes(params: Params, content_hw: tuple[int, int]) -> list[tuple[int, int]]:
    """(h, w) of every scale, smallest first; the last is the output size.

    Long sides are min_size * ratio**k below ``size``, then ``size``. A coarse scale closer
    to the next than sqrt(ratio) is dropped: it would cost a scale's steps for little change;
    so is one whose short side VGG19 cannot take (:func:`min_side`: a panorama's first scales).
    """
    longs: list[int] = []
    current = float(params.min_size)
    while round(current) < params.size:
        longs.append(round(current))
        current *= params.scale_ratio
    longs.append(params.size)
    margin = params.scale_ratio**0.5
    kept = [n for i, n in enumerate(longs) if i == len(longs) - 1 or longs[i + 1] / n >= margin]
    sizes = [fit_long_side(content_hw, n) for n in kept]
    return [hw for hw in sizes[:-1] if min(hw) >= min_side(params)] + sizes[-1:]


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
