"""From a recipe to the service's Job (recipe.jobs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.engine.spec.presets import QUICK_LOOK_SIZE
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.recipe.jobs import HeldImages, job_for
from nst_desktop.recipe.picture import Picture
from nst_desktop.recipe.recipe import Recipe, StyleRef


def _recipe(tmp_path: Path) -> Recipe:
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (600, 800, 3), np.uint8)).save(tmp_path / "p.png")
    Image.fromarray(rng.integers(0, 255, (300, 300, 3), np.uint8)).save(tmp_path / "s.png")
    return Recipe(str(tmp_path / "p.png"), (StyleRef(str(tmp_path / "s.png"), 2.0),),
                  DEFAULTS.with_changes(size=128, min_size=64), Touches(fade=0.2))


def test_a_full_job_decodes_the_files_reduced_and_keeps_the_recipe(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path)
    job = job_for(recipe, "full")
    assert job.params == recipe.params and job.touches == recipe.touches
    assert max(job.content.shape[:2]) < 800  # decoded reduced (x2 margin over 128 px), not whole
    assert job.styles[0].weight == 2.0 and job.style_paths == recipe.style_paths
    assert job.extra["decoded"]["content"] == 256


def test_a_quick_look_paints_small_and_short(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path).with_params(DEFAULTS.with_changes(size=1024))
    held = HeldImages(np.zeros((30, 40, 3), np.float32), (np.zeros((8, 8, 3), np.float32),))
    job = job_for(recipe, "quick", images=held)
    assert job.params.size == QUICK_LOOK_SIZE and job.params.steps <= recipe.params.steps
    assert job.content is held.photo


def test_promote_goes_on_from_a_picture_of_the_recipes_photo_only(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path)
    held = HeldImages(np.zeros((30, 40, 3), np.float32), (np.zeros((8, 8, 3), np.float32),))
    small = Picture(np.ones((48, 64, 3), np.float32), {"params": {"size": 64}}, "quick", recipe.photo)
    job = job_for(recipe, "promote", small, images=held)
    assert job.start_from is small.image and job.continued_from == small.record
    other = Picture(small.image, small.record, "quick", "/elsewhere.png")
    with pytest.raises(ParamsError, match="another photo"):
        job_for(recipe, "promote", other, images=held)
    with pytest.raises(ParamsError, match="needs a quick look"):
        job_for(recipe, "promote", None, images=held)
