"""Restore from history brings back the whole recipe: photo, styles with their blend,
params and after-touches; what is missing is named once and the rest still restored."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.gui.main_window import MainWindow
from nst_desktop.io.images import save_image
from nst_desktop.resources import resource_path
from tests.gui.conftest import WindowFactory
from tests.gui.parts import Parts

PHOTO = resource_path("samples", "tubingen.jpg")
STARRY = resource_path("styles", "starry_night.jpg")
SCREAM = resource_path("styles", "the_scream.jpg")
TURNER = resource_path("styles", "shipwreck.jpg")


def _paint(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.runner.worker.done, timeout=30_000):
        assert window.runs.start()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=2000)
    qtbot.waitUntil(lambda: window.session.history.list.count() >= 1, timeout=10_000)


def _set_recipe(window: MainWindow, photo: Path, styles: list[tuple[Path, float]], steps: int) -> None:
    inputs = window.inputs
    assert inputs.load_content_file(photo)
    inputs.clear_styles()
    for path, weight in styles:
        assert inputs.add_style_files([path]) == 1
        inputs.set_style_weight(len(inputs.styles()) - 1, weight)
    window.params_panel.update_fields(size=48, steps=steps, min_size=48, coarse_steps=0)


def _recipe(window: MainWindow) -> tuple[Path | None, list[tuple[Path | None, float]], Params]:
    content = window.inputs.content()
    return (content.path if content else None,
            [(s.loaded.path, s.weight) for s in window.inputs.styles()], window.params_panel.params())


def _other_photo(tmp_path: Path) -> Path:
    path = tmp_path / "other_photo.png"
    save_image(np.random.default_rng(1).random((30, 40, 3), dtype=np.float32), path, None)
    return path


def _error_boxes(window: MainWindow) -> list[QMessageBox]:
    return [w for w in window.findChildren(QMessageBox) if w.objectName() == "errorBox" and w.isVisible()]


def _touch(window: MainWindow, keep_colours: bool, fade_percent: int) -> None:
    window.touches_panel.keep_colours.setChecked(keep_colours)
    window.touches_panel.fade_slider.setValue(fade_percent)
    window.after_touches.flush()


def test_restore_brings_back_photo_styles_blend_params_and_touches(qtbot: QtBot, make_window: WindowFactory,
                                                                  tmp_path: Path) -> None:
    window = make_window()
    _set_recipe(window, PHOTO, [(STARRY, 3.0), (SCREAM, 0.5)], steps=12)
    painted = _recipe(window)
    _paint(qtbot, window)
    _touch(window, True, 40)  # the picture's own touches, written into its entry
    entry = window.session.library.entries()[0]
    # Something else entirely: another photo, one other style, other params, a picture with other touches.
    _set_recipe(window, _other_photo(tmp_path), [(TURNER, 1.0)], steps=30)
    _paint(qtbot, window)
    qtbot.waitUntil(lambda: window.session.history.list.count() == 2, timeout=10_000)
    _touch(window, False, 10)
    changed, other_picture = _recipe(window), window.session.result_image
    window.session.history.select_ids(entry.id)
    window.session.history.restore_button.click()
    assert _recipe(window) == painted  # photo, styles in order, blend weights, every param
    assert [row.weight.value() for row in window.inputs.rows] == [3.0, 0.5]  # the blend boxes show it
    assert window.after_touches.touches() == Touches(keep_photo_colours=True, fade=0.4)
    assert window.touches_panel.keep_colours.isChecked() and window.touches_panel.fade_slider.value() == 40
    assert not _error_boxes(window)
    window.menu_actions.undo.trigger()  # the whole restore is one step
    assert _recipe(window) == changed
    # ... and the picture that was on show is back with its own touches, the entry keeps its own.
    assert window.session.result_image is other_picture
    assert window.after_touches.touches() == Touches(fade=0.1)
    assert window.touches_panel.fade_slider.value() == 10
    assert window.session.library.get(entry.id).metadata["touches"] == Touches(True, 0.4).to_dict()
    window.menu_actions.redo.trigger()
    assert _recipe(window) == painted
    assert window.after_touches.touches() == Touches(keep_photo_colours=True, fade=0.4)


def test_missing_files_are_named_once_and_the_rest_restored(qtbot: QtBot, make_window: WindowFactory,
                                                            tmp_path: Path) -> None:
    photo, style = tmp_path / "my_photo.jpg", tmp_path / "my_style.jpg"
    shutil.copy(PHOTO, photo)
    shutil.copy(STARRY, style)
    window = make_window()
    _set_recipe(window, photo, [(style, 2.0), (SCREAM, 1.0)], steps=12)
    _paint(qtbot, window)
    entry = window.session.history.entries()[0]
    photo.unlink()
    style.unlink()
    other = _other_photo(tmp_path)
    _set_recipe(window, other, [(TURNER, 1.0)], steps=30)
    window.session.history.restoreRequested.emit(entry)
    boxes = _error_boxes(window)
    assert len(boxes) == 1
    assert "my_photo.jpg" in boxes[0].text() and "my_style.jpg" in boxes[0].text()
    content, styles, params = _recipe(window)
    assert content == other  # the current photo is kept rather than lost
    assert styles == [(SCREAM, 1.0)]  # the style that still exists, with its blend weight
    assert params.steps == 12
    boxes[0].close()


def _record(**changes: Any) -> dict[str, Any]:
    """A sound entry record (two styles, touches of its own) with ``changes`` merged in."""
    return {"params": {**Params(steps=7).to_dict(), **changes.pop("params", {})},
            "inputs": {"content": str(PHOTO), "styles": [str(SCREAM), str(STARRY)],
                       "style_weights": [2.0, 1.0]},
            "touches": Touches(fade=0.3).to_dict(), **changes}


def _edit(changes: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"step": 1, "changes": changes}]


def _window_state(window: MainWindow) -> tuple[object, ...]:
    document = window.document
    return (_recipe(window), window.session.result_image, window.after_touches.touches(),
            document.undo_count(), document.can_redo(), document.recipe, document.picture)


# Each damaged record, and a word its message must hold besides the entry's id.
DAMAGED = {
    "nan-param": (_record(params={"style_weight": math.nan}), "Style strength"),
    "blend-wrong-length": (_record(edits=_edit({"style_blend": [1.0]})), "blend"),
    "bad-touches": (_record(touches={"fade": 2}), "fade"),
    "unknown-edit-field": (_record(edits=_edit({"brush": 3})), "brush"),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_a_damaged_entry_is_refused_and_the_window_left_as_it_was(case: str, make_window: WindowFactory,
                                                                   tmp_path: Path) -> None:
    record, word = DAMAGED[case]
    window = make_window()
    entry = window.session.library.add(np.full((8, 8, 3), 0.5, np.float32), record)
    window.session.history.refresh()
    _set_recipe(window, _other_photo(tmp_path), [(TURNER, 1.0)], steps=30)
    before = _window_state(window)
    window.session.history.restoreRequested.emit(entry)  # raises through the test if it crashes
    assert _window_state(window) == before
    assert len(_error_boxes(window)) == 1
    assert entry.id in window.last_error and word in window.last_error


def test_a_record_the_one_conversion_refuses_is_said(make_window: WindowFactory, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17.1: a restore reads its record only through recipe.from_record; its refusal is one
    line naming the entry, and nothing in the window changes."""
    from nst_desktop.engine.spec.errors import ParamsError
    from nst_desktop.gui import restore

    seen: list[dict[str, Any]] = []

    def refusing(record: dict[str, Any], **_kw: Any) -> Any:
        seen.append(record)
        raise ParamsError("The record's recipe is refused by from_record.")

    monkeypatch.setattr(restore, "from_record", refusing)
    window = make_window()
    entry = window.session.library.add(np.full((8, 8, 3), 0.5, np.float32), _record())
    window.session.history.refresh()
    _set_recipe(window, _other_photo(tmp_path), [(TURNER, 1.0)], steps=30)
    before = _window_state(window)
    window.session.history.restoreRequested.emit(entry)
    assert seen and seen[0]["params"]["steps"] == 7
    assert _window_state(window) == before and len(_error_boxes(window)) == 1
    assert window.last_error == (f"Cannot restore the picture of {entry.title} ({entry.id}): "
                                 "The record's recipe is refused by from_record.")


def test_a_restore_shows_the_look_the_picture_ended_with(make_window: WindowFactory, tmp_path: Path) -> None:
    """The entry's live edits replayed (Recipe.ended): the knobs and blend it ended with."""
    record = _record(edits=[{"step": 2, "changes": {"style_blend": [1.0, 4.0]}},
                            {"step": 4, "changes": {"tv_weight": 0.5}}])
    window = make_window()
    entry = window.session.library.add(np.full((8, 8, 3), 0.5, np.float32), record)
    window.session.history.refresh()
    window.session.history.restoreRequested.emit(entry)
    content, styles, params = _recipe(window)
    assert styles == [(SCREAM, 1.0), (STARRY, 4.0)] and params.tv_weight == 0.5 and params.steps == 7
    assert window.document.recipe.edits == () and not _error_boxes(window)


def test_a_sound_entry_of_the_same_shape_restores(make_window: WindowFactory, tmp_path: Path) -> None:
    window = make_window()
    entry = window.session.library.add(np.full((8, 8, 3), 0.5, np.float32), _record())
    window.session.history.refresh()
    _set_recipe(window, _other_photo(tmp_path), [(TURNER, 1.0)], steps=30)
    window.session.history.restoreRequested.emit(entry)
    content, styles, params = _recipe(window)
    assert content == PHOTO and styles == [(SCREAM, 2.0), (STARRY, 1.0)] and params.steps == 7
    assert window.after_touches.touches() == Touches(fade=0.3)
    assert not _error_boxes(window) and window.undo_history.count() >= 1


def test_a_restore_is_one_document_step_without_a_window(qtbot: QtBot, parts: Parts, tmp_path: Path) -> None:
    """No window: the history restore needs the picture on show, the document's views and the mask dock."""
    from PySide6.QtWidgets import QMainWindow

    from nst_desktop.gui.mask_dock import MaskDock
    from nst_desktop.gui.restore import HistoryRestore
    from nst_desktop.io.library import Library

    host = QMainWindow()
    qtbot.addWidget(host)
    errors: list[str] = []
    restorer = HistoryRestore(None, parts.pictures, parts.views, MaskDock(host, parts.canvas, parts.inputs),
                              errors.append)
    entry = Library(tmp_path / "kept").add(np.full((8, 8, 3), 0.5, np.float32), _record())
    before_recipe, steps_before = parts.document.recipe, parts.document.undo_count()
    assert restorer.restore(entry) == [] and errors == []
    recipe = parts.document.recipe
    assert recipe.photo == str(PHOTO) and recipe.style_paths == (str(SCREAM), str(STARRY))
    assert recipe.blend == (2.0, 1.0) and recipe.params.steps == 7 and recipe.touches == Touches(fade=0.3)
    assert parts.params.params().steps == 7 and parts.touches.touches() == Touches(fade=0.3)
    picture = parts.document.picture
    assert picture is not None and picture.image is parts.session.result_image
    assert parts.document.undo_count() == steps_before + 1  # the whole restore: one step
    assert parts.document.undo() == ""
    assert parts.document.recipe.same_as(before_recipe) and parts.document.picture is None
    assert parts.inputs.content() is not None and parts.inputs.content().path == Path("/photos/cat.png")


def test_an_entry_of_a_pasted_photo_restores_its_styles_and_settings(make_window: WindowFactory,
                                                                      tmp_path: Path) -> None:
    """Its record names no photo file: the photo on screen stays (said), the rest comes back."""
    record = _record()
    record["inputs"]["content"] = None
    window = make_window()
    entry = window.session.library.add(np.full((8, 8, 3), 0.5, np.float32), record)
    window.session.history.refresh()
    other = _other_photo(tmp_path)
    _set_recipe(window, other, [(TURNER, 1.0)], steps=30)
    window.session.history.restoreRequested.emit(entry)
    content, styles, params = _recipe(window)
    assert content == other and styles == [(SCREAM, 2.0), (STARRY, 1.0)] and params.steps == 7
    assert "the photo was not opened from a file, so the current photo is kept" in window.last_error
    assert entry.id not in window.last_error  # not refused as damaged
