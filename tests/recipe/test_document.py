"""The window's document without Qt (issue 17.3): start, live edit, promote, restore, undo with
touches, and a new photo ending promote."""

from __future__ import annotations

from typing import Any

import numpy as np

from nst_desktop.engine.spec.live import BLEND
from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.recipe.document import MERGE_WINDOW_S, Document
from nst_desktop.recipe.picture import Picture
from nst_desktop.recipe.recipe import Recipe, StyleRef

RECIPE = Recipe("/p/cat.jpg", (StyleRef("/s/a.png", 1.0), StyleRef("/s/b.png", 1.0)),
                DEFAULTS.with_changes(size=512))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _picture(long_side: int = 256, photo: str = RECIPE.photo, stopped: bool = False) -> Picture:
    image = np.zeros((long_side * 3 // 4, long_side, 3), np.float32)
    return Picture(image, {"params": {"size": long_side}, "stopped": stopped}, "quick", photo)


def _doc() -> tuple[Document, list[tuple[str, Any]], Clock]:
    clock = Clock()
    doc = Document(RECIPE, clock=clock)
    seen: list[tuple[str, Any]] = []
    doc.recipeChanged.connect(lambda r: seen.append(("recipe", r)))
    doc.pictureChanged.connect(lambda p: seen.append(("picture", p)))
    return doc, seen, clock


def test_a_run_starts_untouched_from_the_recipe_now() -> None:
    doc, _, _ = _doc()
    doc.set_touches(Touches(fade=0.4))
    started = doc.start("full")
    assert started.touches.is_identity and started.params == RECIPE.params
    assert doc.running is not None and doc.running.kind == "full"


def test_a_live_edit_goes_to_the_running_picture_and_the_rest_waits() -> None:
    doc, _, _ = _doc()
    doc.start("quick")
    doc.set_params(RECIPE.params.with_changes(style_weight=RECIPE.params.style_weight * 2, steps=99))
    doc.edit(RECIPE.with_styles(RECIPE.style_paths, (3.0, 1.0)).with_params(doc.recipe.params))
    live, waiting = doc.live_changes()
    assert live == {"style_weight": RECIPE.params.style_weight * 2, BLEND: (3.0, 1.0)}
    assert waiting == [DEFAULTS.__dataclass_fields__["steps"].metadata["label"]]
    doc.sent(live)
    assert doc.live_changes() == ({}, waiting)  # sent once: its look now


def test_promote_goes_on_only_from_a_smaller_picture_of_this_photo() -> None:
    doc, _, _ = _doc()
    assert "Needs" in doc.promote_problem()
    doc.start("quick")
    assert not doc.can_promote()  # not while a run paints
    doc.run_ended(_picture(256))
    assert doc.can_promote()
    doc.run_ended(_picture(512))
    assert "already at full size" in doc.promote_problem()
    doc.run_ended(_picture(512, stopped=True))
    assert doc.can_promote()


def test_a_new_photo_ends_promote() -> None:
    doc, _, _ = _doc()
    doc.run_ended(_picture(256))
    doc.set_photo("/p/dog.jpg")
    assert "another photo" in doc.promote_problem()
    doc.undo()
    assert doc.can_promote() and doc.recipe.photo == RECIPE.photo


def test_a_restore_undoes_whole_touches_and_picture_included() -> None:
    doc, seen, _ = _doc()
    shown = _picture(256)
    doc.run_ended(shown)
    doc.set_touches(Touches(keep_photo_colours=True))
    entry = _picture(512, photo="/p/old.jpg")
    old = Recipe("/p/old.jpg", (StyleRef("/s/c.png", 1.0),), DEFAULTS.with_changes(size=640),
                 Touches(fade=0.7))
    doc.restore(old, entry)
    assert doc.recipe == old and doc.picture is entry
    seen.clear()
    doc.undo()
    assert doc.picture is shown and doc.recipe.touches == Touches(keep_photo_colours=True)
    assert doc.recipe.photo == RECIPE.photo and [k for k, _ in seen] == ["picture", "recipe"]
    doc.redo()
    assert doc.recipe == old and doc.picture is entry


def test_touches_undone_while_another_picture_is_on_show_change_nothing_and_say_so() -> None:
    doc, _, _ = _doc()
    doc.run_ended(_picture(256))
    doc.set_touches(Touches(fade=0.5))
    doc.run_ended(_picture(256))  # a new run's picture starts untouched
    assert doc.recipe.touches.is_identity
    message = doc.undo()
    assert "another picture" in message and doc.recipe.touches.is_identity


def test_a_slider_drag_is_one_undo_step_but_a_pause_makes_two() -> None:
    doc, _, clock = _doc()
    for weight in (2.0, 3.0, 4.0):
        clock.now += 0.1
        doc.set_params(RECIPE.params.with_changes(style_weight=weight), merge_key="style_weight")
    clock.now += MERGE_WINDOW_S + 1
    doc.set_params(RECIPE.params.with_changes(style_weight=5.0), merge_key="style_weight")
    doc.undo()
    assert doc.recipe.params.style_weight == 4.0
    doc.undo()
    assert doc.recipe.params == RECIPE.params and not doc.can_undo()


def test_a_slider_dragged_back_to_where_it_started_leaves_no_undo_step() -> None:
    doc, _, clock = _doc()
    start = RECIPE.params.style_weight
    for weight in (start + 1.0, start + 2.0, start):
        clock.now += 0.1
        doc.set_params(RECIPE.params.with_changes(style_weight=weight), merge_key="style_weight")
    assert doc.recipe.params == RECIPE.params and not doc.can_undo()


def test_an_edit_that_changes_nothing_is_no_step() -> None:
    doc, seen, _ = _doc()
    doc.set_params(RECIPE.params)
    assert not doc.can_undo() and not seen


def test_an_undo_puts_back_only_what_its_step_changed() -> None:
    """Touches a new picture dropped, and the photo the window follows, stay as they are now."""
    doc, _, _ = _doc()
    doc.run_ended(_picture(256))
    doc.set_touches(Touches(fade=0.5))
    doc.set_params(RECIPE.params.with_changes(steps=77))
    doc.run_ended(_picture(256))  # the new picture is untouched: no step of its own
    doc.follow(RECIPE.with_params(doc.recipe.params).with_styles(["/s/z.png"], [2.0]))
    assert doc.undo_count() == 2  # following the inputs is no step
    doc.undo()
    assert doc.recipe.params == RECIPE.params and doc.recipe.touches.is_identity
    assert doc.recipe.style_paths == ("/s/z.png",)
    doc.redo()
    assert doc.recipe.params.steps == 77 and doc.recipe.touches.is_identity


def test_following_the_window_says_so_once_and_clearing_forgets_every_step() -> None:
    doc, seen, _ = _doc()
    moved = RECIPE.with_styles(RECIPE.style_paths, (1.0, 3.0))
    doc.follow(moved)
    doc.follow(moved)  # the same recipe again: no event
    assert seen == [("recipe", moved)]
    doc.set_params(RECIPE.params.with_changes(steps=5))
    assert doc.held_recipes() == [moved, doc.recipe]
    doc.clear_undo()
    assert not doc.can_undo() and doc.undo_count() == 0 and doc.held_recipes() == []


def test_live_changes_split_what_can_change_now() -> None:
    """Moved from tests/gui/test_tweak_loop.py: the tweak loop asks the document now."""
    from nst_desktop.recipe.document import Running, live_changes

    quick_started = Recipe(RECIPE.photo, RECIPE.styles, DEFAULTS)
    quick = Running("quick", quick_started, DEFAULTS.with_changes(size=256, steps=40), quick_started.blend)
    changes, waiting = live_changes(quick, quick_started.with_params(DEFAULTS.with_changes(tv_weight=3.0,
                                                                                           pooling="avg")))
    assert changes == {"tv_weight": 3.0}
    assert waiting == ["Pooling"]  # the quick look's own size and steps are not the artist's change
    full = Running("full", quick_started, DEFAULTS, quick_started.blend)
    _, waiting = live_changes(full, quick_started.with_params(DEFAULTS.with_changes(size=1024)))
    assert waiting == ["Output size"]
