"""From a recipe to the service's Job (recipe.jobs)."""

from __future__ import annotations

from dataclasses import replace
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
from nst_desktop.service.job import Job


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


def test_a_replay_decodes_as_the_recorded_run_did(tmp_path: Path) -> None:
    """The very pixels of the run it repeats: an app record (no note) was decoded whole."""
    recipe = _recipe(tmp_path)
    assert max(job_for(recipe, "full", replaying={"params": {}}).content.shape[:2]) == 800
    noted = {"decoded": {"content": 300, "styles": [0], "init": 256}}
    job = job_for(recipe, "full", replaying=noted)
    assert job.extra["decoded"] == {"content": 300, "styles": [0], "init": 256}
    assert 300 <= max(job.content.shape[:2]) < 800 and job.styles[0].image.shape[:2] == (300, 300)


def test_a_promoted_recipe_has_its_earlier_pictures_painted_first_deepest_first(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path)
    quick = {"params": {"size": 32, "steps": 3}, "inputs": {"styles": ["s.png"], "style_weights": [5.0]}}
    stopped = {"params": {"size": 64}, "edits": [{"step": 1, "changes": {"tv_weight": 3.0}}],
               "continued_from": quick}
    painted: list[Job] = []

    def paint(job: Job) -> np.ndarray:
        painted.append(job)
        return np.full((4, 4, 3), len(painted), np.float32)

    job = job_for(replace(recipe, continued_from=stopped), "full", paint_earlier=paint)
    assert [j.params.size for j in painted] == [32, 64]  # the quick look, then the stopped picture
    assert painted[0].start_from is None and painted[1].start_from is not None
    assert painted[1].start_from[0, 0, 0] == 1 and job.start_from is not None and job.start_from[0, 0, 0] == 2
    assert [j.styles[0].weight for j in painted] == [5.0, 2.0]  # each its own blend, else the later one's
    assert [e.step for e in painted[1].edits] == [1] and painted[0].edits == ()
    assert all(j.content is job.content for j in painted)  # the run's own decoded photo
    assert job.continued_from == stopped
    assert job_for(replace(recipe, continued_from=stopped), "full").start_from is None  # no painter
