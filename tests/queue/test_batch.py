"""Batch planning: photos x looks x a sweep, the file-name pattern, the recipe key."""

from __future__ import annotations

from pathlib import Path

import pytest

from nst_desktop.engine.spec.errors import ImageError, ParamsError
from nst_desktop.queue.batch import check_pattern, parse_sweep, photos_in, plan, recipe_key
from nst_desktop.queue.store import Output
from nst_desktop.recipe.recipe import Recipe, StyleRef
from tests.queue.conftest import SMALL, Inputs, draw


def test_a_folder_gives_its_photos_sorted(tmp_path: Path) -> None:
    for name in ("b.jpg", "a.png", ".hidden.png", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    assert photos_in([tmp_path]) == [tmp_path / "a.png", tmp_path / "b.jpg"]
    with pytest.raises(ImageError, match="holds no photos"):
        photos_in([tmp_path / "sub"])


def test_plan_is_photos_times_looks_times_values(inputs: Inputs, tmp_path: Path) -> None:
    photo, wave, dots = inputs
    looks = [(StyleRef(str(wave)),), (StyleRef(str(wave), 3.0), StyleRef(str(dots), 1.0))]
    jobs = plan([photo], looks, Recipe("", (), SMALL), tmp_path, "{n:02}_{photo}_{style}_{value}.webp",
                parse_sweep("seed=1,2"))
    assert [j.output.name for j in jobs] == ["01_photo_wave_1.webp", "02_photo_wave_2.webp",
                                             "03_photo_wave+dots_1.webp", "04_photo_wave+dots_2.webp"]
    assert [j.recipe.params.seed for j in jobs] == [1, 2, 1, 2]
    assert jobs[2].recipe.blend == (3.0, 1.0) and jobs[0].recipe.params.size == SMALL.size
    assert len({j.key for j in jobs}) == 4


@pytest.mark.parametrize(("pattern", "says"), [
    ("{photo}.gif", "end it with one of"), ("{photo}/{style}.png", "a file name, not a path"),
    ("{nope}.png", "unknown field {nope}"), ("{photo.png", "--name"),
])
def test_bad_patterns_are_refused(pattern: str, says: str) -> None:
    with pytest.raises(ParamsError, match=says.replace("{", r"\{").replace("}", r"\}")):
        check_pattern(pattern)


def test_the_key_follows_the_photos_content(inputs: Inputs, tmp_path: Path) -> None:
    photo, wave, _ = inputs
    recipe = Recipe(str(photo), (StyleRef(str(wave)),), SMALL)
    output = Output(str(tmp_path), "a.png")
    key = recipe_key(recipe, output)
    assert recipe_key(recipe, output) == key
    assert recipe_key(recipe, Output(str(tmp_path), "a.jpg")) != key  # another format
    assert recipe_key(recipe.with_params(SMALL.with_changes(seed=9)), output) != key
    draw(photo, 7)  # the same name, another picture
    assert recipe_key(recipe, output) != key
