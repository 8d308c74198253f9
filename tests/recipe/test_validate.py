"""The one check of a recipe, before torch (recipe.validate)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.engine.spec.errors import ImageError, ParamsError, WeightsError
from nst_desktop.engine.spec.live import Edit
from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.engine.spec.region_masks import MaskSettings, Region, RegionMask
from nst_desktop.recipe.recipe import Recipe, StyleRef
from nst_desktop.recipe.validate import check


def _files(tmp_path: Path, photo_size: tuple[int, int] = (64, 48)) -> Recipe:
    rng = np.random.default_rng(0)
    width, height = photo_size
    Image.fromarray(rng.integers(0, 255, (height, width, 3), np.uint8)).save(tmp_path / "p.png")
    Image.fromarray(rng.integers(0, 255, (40, 40, 3), np.uint8)).save(tmp_path / "s.png")
    styles = (StyleRef(str(tmp_path / "s.png")),)
    return Recipe(str(tmp_path / "p.png"), styles, DEFAULTS.with_changes(size=64))


def test_a_good_recipe_passes_and_its_sizes_come_from_the_headers(tmp_path: Path) -> None:
    sizes = check(_files(tmp_path))
    assert sizes is not None and sizes.photo == (64, 48) and sizes.styles == ((40, 40),)


def test_each_part_of_a_recipe_is_checked(tmp_path: Path) -> None:
    recipe = _files(tmp_path)
    with pytest.raises(ParamsError, match="at least one style"):
        check(Recipe(recipe.photo, ()), files=False)
    with pytest.raises(ParamsError, match="not all zero"):
        check(recipe.with_styles(recipe.style_paths, [0.0]), files=False)
    with pytest.raises(ParamsError):
        check(Recipe(recipe.photo, recipe.styles, recipe.params, edits=(Edit(3, {"style_weight": -1.0}),)),
              files=False)
    with pytest.raises(WeightsError, match="Unknown weight set"):
        check(recipe.with_params(recipe.params.with_changes(weights="nope")), files=False)
    with pytest.raises(ParamsError, match="float16"):
        check(recipe.with_params(recipe.params.with_changes(device="cpu", precision="float16")), files=False)


def test_a_missing_photo_is_named(tmp_path: Path) -> None:
    recipe = _files(tmp_path)
    (tmp_path / "p.png").unlink()
    with pytest.raises(ImageError, match="p.png"):
        check(recipe)


def test_a_mask_of_another_shape_is_refused_with_the_files(tmp_path: Path) -> None:
    recipe = _files(tmp_path)
    labels = np.ones((64, 16), np.uint8)  # tall; the photo is wide
    mask = RegionMask(labels, MaskSettings((Region(1, (0,)),)))
    masked = Recipe(recipe.photo, recipe.styles, recipe.params, mask=mask)
    check(masked, files=False)  # its own settings are fine
    with pytest.raises(ParamsError, match="paint the mask on this photo"):
        check(masked)


def test_a_blend_is_refused_under_the_name_it_was_given() -> None:
    from nst_desktop.recipe.validate import check_blend

    with pytest.raises(ParamsError, match="^--style-weights must be finite"):
        check_blend([float("nan")], "--style-weights")
    with pytest.raises(ParamsError, match="^The style blend weights must be finite"):
        check_blend([-1.0])


def test_the_earlier_pictures_of_a_promoted_recipe_are_checked_too(tmp_path: Path) -> None:
    """They are painted first, on this machine, from this photo: their settings and shape."""
    recipe = _files(tmp_path, photo_size=(400, 20))  # a strip: fine at 400 px, too thin at 64
    recipe = recipe.with_params(recipe.params.with_changes(size=400))
    earlier = {"params": {"size": 400, "device": "cpu", "precision": "float16"}}
    with pytest.raises(ParamsError, match="float16"):
        check(Recipe(recipe.photo, recipe.styles, recipe.params, continued_from=earlier), files=False)
    check(Recipe(recipe.photo, recipe.styles, recipe.params, continued_from={"params": {"size": 400}}))
    strip = {"params": {"size": 400}, "continued_from": {"params": {"size": 64}}}
    with pytest.raises(ImageError, match="too narrow to paint at 64 px"):
        check(Recipe(recipe.photo, recipe.styles, recipe.params, continued_from=strip))


def test_weights_false_leaves_the_weight_set_to_whoever_replaces_it(tmp_path: Path) -> None:
    recipe = _files(tmp_path)
    missing = recipe.with_params(recipe.params.with_changes(weights=str(tmp_path / "no.pth")))
    with pytest.raises(WeightsError, match="no.pth"):
        check(missing, files=False)
    assert check(missing, files=False, weights=False) is None
