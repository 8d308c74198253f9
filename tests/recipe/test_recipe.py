"""The Recipe and its one conversion to and from a record (recipe.recipe)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.live import Edit
from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.engine.spec.region_masks import MaskSettings, Region, RegionMask
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.recipe.recipe import Recipe, StyleRef, chain_masks, from_record, to_record


def _mask() -> RegionMask:
    labels = np.zeros((8, 12), np.uint8)
    labels[:, 6:] = 1
    return RegionMask(labels, MaskSettings((Region(1, (0,)),)))


def _recipe() -> Recipe:
    return Recipe("/photos/cat.jpg", (StyleRef("/art/a.png", 3.0), StyleRef("/art/b.png", 1.0)),
                  DEFAULTS.with_changes(size=320, style_weight=7.5), Touches(True, 0.25),
                  mask=_mask(), edits=(Edit(4, {"style_weight": 2.0}),))


def test_a_recipe_survives_its_record_as_json() -> None:
    recipe = _recipe()
    back = from_record(json.loads(json.dumps(to_record(recipe))))
    assert back.same_as(recipe)
    assert back.blend == (3.0, 1.0) and back.params.size == 320 and back.touches == Touches(True, 0.25)
    assert back.mask is not None and np.array_equal(back.mask.labels, recipe.mask.labels)  # type: ignore[union-attr]
    assert back.edits == recipe.edits


def test_same_as_sees_the_mask_pixels_that_equality_leaves_out() -> None:
    recipe = _recipe()
    other = _mask()
    other.labels[0, 0] = 1
    changed = Recipe(recipe.photo, recipe.styles, recipe.params, recipe.touches, other, recipe.edits)
    assert changed == recipe and not changed.same_as(recipe)


def test_a_record_without_its_inputs_is_no_recipe() -> None:
    with pytest.raises(ParamsError, match="photo and styles"):
        from_record({"params": {"size": 256}})


def test_a_broken_record_is_refused_by_the_one_record_check() -> None:
    record = to_record(_recipe())
    record["inputs"]["styles"] = ["x.png"] * 40
    record["inputs"]["style_weights"] = [1.0] * 40
    with pytest.raises(ParamsError, match="at most 32"):
        from_record(record)


def test_a_mask_named_beside_a_picture_is_read_from_its_folder(tmp_path: Path) -> None:
    from nst_desktop.io.masks import mask_record, save_mask

    mask = _mask()
    save_mask(mask.labels, tmp_path / "p.mask.png")
    record = {**to_record(_recipe().with_params(DEFAULTS)), "mask": mask_record(mask, "p.mask.png")}
    back = from_record(record, folder=tmp_path)
    assert back.mask is not None and np.array_equal(back.mask.labels, mask.labels)
    with pytest.raises(ParamsError, match="folder"):
        from_record(record)


def test_the_recipe_package_imports_neither_torch_nor_qt() -> None:
    code = ("import sys\nimport nst_desktop.recipe.document, nst_desktop.recipe.jobs, "
            "nst_desktop.recipe.validate\n"
            "bad = [m for m in ('torch', 'PySide6') if m in sys.modules]\nassert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_command_lines_inputs_and_mask_replace_the_records(tmp_path: Path) -> None:
    """--params with CONTENT STYLE and --mask: the record's settings, touches and edits with
    other images, and the --mask pixels under the record's mask settings (a note if stretched)."""
    from nst_desktop.io.masks import save_mask

    labels = np.zeros((4, 6), np.uint8)
    labels[:, :3] = 1
    save_mask(labels, tmp_path / "other.png")
    notes: list[str] = []
    recipe = from_record(to_record(_recipe()), inputs=("/photos/dog.jpg", ["/art/c.png"]),
                         mask_file=tmp_path / "other.png", photo_hw=lambda photo: (8, 12), note=notes.append)
    assert recipe.photo == "/photos/dog.jpg" and recipe.blend == (1.0,) and recipe.params.size == 320
    assert recipe.mask is not None and recipe.mask.hw == (8, 12) and recipe.mask.labels[0, 0] == 1
    assert recipe.mask.settings == _mask().settings and len(notes) == 1 and "stretched" in notes[0]


def test_the_photo_header_is_read_only_for_a_mask() -> None:
    asked: list[str] = []

    def header(photo: str) -> tuple[int, int]:
        asked.append(photo)
        return (8, 12)

    from_record(to_record(replace(_recipe(), mask=None)), photo_hw=header)
    assert asked == []
    from_record(to_record(_recipe()), photo_hw=header)
    assert asked == ["/photos/cat.jpg"]


def test_a_records_own_weight_set_is_left_when_another_is_chosen() -> None:
    record = to_record(_recipe().with_params(DEFAULTS.with_changes(weights="/nowhere/vgg.pth")))
    with pytest.raises(ParamsError, match="vgg.pth"):
        from_record(record)
    assert from_record(record, check_weights=False).params.weights == "/nowhere/vgg.pth"


def test_an_earlier_pictures_mask_is_its_own_or_the_later_runs_pixels() -> None:
    later = _mask()
    own = {"params": {"size": 64}, "mask": {"file": "", **MaskSettings((Region(1, (1,)),)).to_dict()}}
    embedded = {"params": {"size": 64}, "mask": {"file": "", "start": to_record(_recipe())["mask"]["start"]}}
    unmasked = {"params": {"size": 64}, "mask": {"file": "", "start": None}}
    chain = {**own, "continued_from": {**embedded, "continued_from": unmasked}}
    recipe = Recipe("/p.png", (StyleRef("a.png"), StyleRef("b.png")), mask=later, continued_from=chain)
    masks = chain_masks(recipe, (8, 12))
    assert len(masks) == 3 and masks[2] is None
    assert masks[0] is not None and np.array_equal(masks[0].labels, later.labels)  # the later run's pixels
    assert masks[0].settings.region(1) == Region(1, (1,))  # under its own settings
    assert masks[1] is not None and masks[1].settings == later.settings
    with pytest.raises(ParamsError, match="not recorded"):
        chain_masks(replace(recipe, mask=None), (8, 12))


def test_ended_is_the_look_a_picture_ended_with_after_its_live_edits() -> None:
    """What a history restore shows: the edits replayed into the params and blend, none left."""
    edits = (Edit(3, {"style_weight": 25.0}), Edit(5, {"style_blend": [1.0, 3.0]}),
             Edit(7, {"style_weight": 40.0}))
    started = Recipe("p.png", (StyleRef("a.png", 2.0), StyleRef("b.png", 1.0)), DEFAULTS, edits=edits,
                     continued_from={"params": DEFAULTS.to_dict()})
    ended = started.ended()
    assert ended.params == DEFAULTS.with_changes(style_weight=40.0) and ended.blend == (1.0, 3.0)
    assert ended.style_paths == started.style_paths and ended.photo == "p.png"
    assert ended.edits == () and ended.continued_from is None
    assert Recipe("p.png", (StyleRef("a.png"),)).ended().same_as(Recipe("p.png", (StyleRef("a.png"),)))
