"""The one check of a recipe, before torch is imported (issue 17.1).

Every source of a recipe goes through :func:`check`: the command line's options, a record
(``--params``, a history entry, a queue row, a farm request) and the window. Importing torch
takes seconds and a render can take hours: whatever a recipe gets wrong is said at once, in
one line naming the file or the setting, never after that wait.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nst_desktop.engine.spec.errors import ImageError, ParamsError
from nst_desktop.engine.spec.live import replay
from nst_desktop.engine.spec.params import Params, check_precision
from nst_desktop.engine.spec.region_masks import check_fit, validate
from nst_desktop.engine.spec.schedule import check_shape
from nst_desktop.recipe.recipe import Recipe, chain_masks


@dataclass(frozen=True)
class InputSizes:
    """(width, height) of each input file, read from its header by :func:`check`."""

    photo: tuple[int, int]
    styles: tuple[tuple[int, int], ...]

    @property
    def photo_hw(self) -> tuple[int, int]:
        return self.photo[1], self.photo[0]


def check(recipe: Recipe, *, files: bool = True, weights: bool = True) -> InputSizes | None:
    """ParamsError or ImageError (one line) for a recipe that cannot be painted as it says.

    ``files``: also read the headers of the photo, the styles and a start image (a missing,
    unreadable, truncated or too large file is named), and check the photo's shape against the
    settings and the mask, and the masks of the earlier pictures a promoted recipe repaints
    first. ``files=False`` checks what the recipe says without touching the disk (the window
    checks a recipe whose images it holds already); then None is returned.
    """
    check_blend(recipe.blend)
    check_settings(recipe.params)
    replay(recipe.params, recipe.blend, recipe.edits)  # each live edit as the engine applies it
    earlier = _earlier_params(recipe)
    for params in earlier:  # painted first, on this machine: the same settings rules hold
        check_settings(params)
    if weights and recipe.params.weights != "caffe":  # the built-in set is never a file
        from nst_desktop.io.weight_sets import check_spec

        check_spec(recipe.params.weights)
    if not files:
        if recipe.mask is not None:
            validate(recipe.mask, len(recipe.styles))
        return None
    found = _check_files(recipe)
    for params in earlier:
        check_shape(params, found.photo_hw, recipe.photo)
    chain_masks(recipe, found.photo_hw)  # each earlier picture's mask, read and fitted now
    return found


def _earlier_params(recipe: Recipe) -> list[Params]:
    """The settings of each earlier picture a promoted recipe goes on from, its records checked
    whole (io.records) first."""
    if recipe.continued_from is None:
        return []
    from nst_desktop.io.metadata import continued_from_metadata, params_from_metadata
    from nst_desktop.io.records import check_record

    check_record(dict(recipe.continued_from), len(recipe.styles))
    found = []
    link: dict[str, Any] | None = dict(recipe.continued_from)
    while link is not None:
        found.append(params_from_metadata(link)[0])
        link = continued_from_metadata(link)
    return found


def check_blend(weights: Sequence[float], name: str = "The style blend weights") -> None:
    """One finite, non-negative weight per style, not all zero; at least one style and no more
    than a run can hold. ``name``: what the weights are called where they were given (the
    command line names its --style-weights)."""
    from nst_desktop.io.records import MAX_STYLES

    if not weights:
        raise ParamsError("A recipe needs at least one style image.")
    if len(weights) > MAX_STYLES:
        raise ParamsError(f"{len(weights)} style images: at most {MAX_STYLES} can be blended.")
    if not all(math.isfinite(w) and w >= 0 for w in weights) or sum(weights) <= 0:
        raise ParamsError(f"{name} must be finite, non-negative and not all zero.")


def check_settings(params: Params) -> None:
    """Settings that are valid one by one but not together (Params checks each alone); the
    command line also refuses an explicit --min-size above --size (cli.checks)."""
    if params.device == "cpu":  # "auto" can only be resolved with torch: stylize checks that one
        check_precision(params.precision, "cpu")


def check_images(paths: Sequence[str | os.PathLike[str]]) -> list[tuple[int, int]]:
    """(width, height) of each image, read from its header: a missing, unreadable, broken,
    truncated or too large file, a pipe or a device, is refused here, naming it, before anything
    is decoded (a truncated JPEG or PNG is found from its end, see ``check_complete``)."""
    from nst_desktop.io.decoding import check_complete
    from nst_desktop.io.images import DEFAULT_MAX_PIXELS, image_size

    sizes = []
    for path in map(Path, paths):
        if path.is_file() and not os.access(path, os.R_OK):
            raise ImageError(path, "permission denied: the file cannot be read.")
        sizes.append(image_size(path))
        check_complete(path, DEFAULT_MAX_PIXELS)
    return sizes


def _check_files(recipe: Recipe) -> InputSizes:
    params = recipe.params
    init = [params.init_image] if params.init == "image" and params.init_image else []
    sizes = check_images([recipe.photo, *recipe.style_paths, *init])
    found = InputSizes(sizes[0], tuple(sizes[1:1 + len(recipe.styles)]))
    check_shape(params, found.photo_hw, recipe.photo)
    if recipe.mask is not None:
        check_fit(recipe.mask, len(recipe.styles), found.photo_hw)
    return found
