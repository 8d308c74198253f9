"""``render --params`` replays the recorded after-touches (a real tiny render)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from nst_desktop.cli import main
from nst_desktop.io.images import load_image, read_metadata
from nst_desktop.io.resize import fit_photo
from nst_desktop.resources import resource_path

CONTENT = resource_path("samples", "tubingen.jpg")
STYLE = resource_path("styles", "starry_night.jpg")
TINY = ["--size", "48", "--min-size", "48", "--steps", "2", "--device", "cpu", "--precision", "float32"]


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).astype(np.int16)


def test_params_replay_applies_and_records_the_touches(tmp_path: Path) -> None:
    first = tmp_path / "first.png"
    # Started from noise, so the painting is far from the photo after two steps.
    assert main(["render", str(CONTENT), str(STYLE), "-o", str(first), *TINY, "--seed", "3",
                 "--init", "noise", "-q"]) == 0
    recipe = read_metadata(first)
    assert recipe is not None and "touches" not in recipe
    recipe["touches"] = {"keep_photo_colours": False, "fade": 1.0}  # all the way to the photo
    recipe_file = tmp_path / "recipe.json"
    recipe_file.write_text(json.dumps(recipe), encoding="utf-8")
    again = tmp_path / "again.png"
    assert main(["render", "--params", str(recipe_file), "-o", str(again), "-q"]) == 0
    pixels = _pixels(again)
    photo = fit_photo(load_image(CONTENT), pixels.shape[:2])
    expected = np.rint(photo * 255).astype(np.int16)
    assert np.abs(pixels - expected).max() <= 1  # the photo, not the painting
    assert np.abs(pixels - _pixels(first)).max() > 10
    saved = read_metadata(again)
    assert saved is not None and saved["touches"] == {"keep_photo_colours": False, "fade": 1.0}
