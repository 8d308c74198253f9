"""Edit > Undo / Redo of params changes and after-touches; drags merge into one step."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.touches import Touches
from nst_desktop.gui.main_window import MainWindow
from nst_desktop.recipe import document as document_module
from tests.gui.conftest import WindowFactory


def _settled(qtbot: QtBot, window: MainWindow) -> MainWindow:
    """No start-up change (e.g. the first launch's Draft preset) may land in the middle of a test."""
    qtbot.waitUntil(lambda: not window.estimator.busy(), timeout=20_000)
    qtbot.wait(50)
    window.undo_history.clear()
    return window


def test_undo_and_redo_restore_a_params_control(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = _settled(qtbot, make_window())
    panel, actions = window.params_panel, window.menu_actions
    before = panel.params().steps
    assert not actions.undo.isEnabled()
    panel.controls["steps"].spin.setValue(before + 37)  # a user edit, through the control
    assert panel.params().steps == before + 37 and actions.undo.isEnabled()
    assert "steps" in actions.undo.text().lower()
    actions.undo.trigger()
    assert panel.params().steps == before
    assert panel.controls["steps"].spin.value() == before  # the control shows it too
    assert actions.redo.isEnabled() and not actions.undo.isEnabled()
    actions.redo.trigger()
    assert panel.params().steps == before + 37 and panel.controls["steps"].spin.value() == before + 37


def test_a_slider_drag_is_one_step_but_two_controls_are_two(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = _settled(qtbot, make_window())
    panel = window.params_panel
    start = panel.params()
    slider = panel.controls["style_weight"].slider
    start_position = slider.value()
    for position in range(start_position + 10, start_position + 110, 10):
        slider.setValue(position)
    panel.update_fields(size=start.size + 64)
    assert window.undo_history.count() == 2  # the drag, then the size
    window.menu_actions.undo.trigger()
    assert panel.params().size == start.size and panel.params().style_weight != start.style_weight
    window.menu_actions.undo.trigger()
    assert panel.params() == start
    assert slider.value() == start_position  # the slider is back where the drag began


def test_changes_far_apart_in_time_are_separate_steps(qtbot: QtBot, make_window: WindowFactory,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    window = _settled(qtbot, make_window())
    monkeypatch.setattr(document_module, "MERGE_WINDOW_S", 0.0)  # every change stands alone
    window.params_panel.controls["steps"].spin.setValue(101)
    qtbot.wait(5)
    window.params_panel.controls["steps"].spin.setValue(102)
    assert window.undo_history.count() == 2


def test_after_touches_undo_and_redo(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = _settled(qtbot, make_window())
    panel = window.touches_panel
    panel.set_available(True)  # the controls work without a picture too (nothing to re-render)
    panel.keep_colours.setChecked(True)
    for value in (10, 20, 30, 45):
        panel.fade_slider.setValue(value)
    assert window.after_touches.touches() == Touches(keep_photo_colours=True, fade=0.45)
    assert window.undo_history.count() == 2  # the checkbox, then one drag
    window.menu_actions.undo.trigger()
    assert panel.fade_slider.value() == 0 and panel.keep_colours.isChecked()
    assert window.after_touches.touches() == Touches(keep_photo_colours=True)
    window.menu_actions.undo.trigger()
    assert not panel.keep_colours.isChecked() and window.after_touches.touches() == Touches()
    window.menu_actions.redo.trigger()
    window.menu_actions.redo.trigger()
    assert panel.fade_slider.value() == 45 and panel.fade_value.text() == "45 %"
    assert window.after_touches.touches() == Touches(keep_photo_colours=True, fade=0.45)


def _paint(qtbot: QtBot, window: MainWindow) -> None:
    window.params_panel.update_fields(size=48, steps=5, min_size=48, coarse_steps=0)
    with qtbot.waitSignal(window.runner.worker.done, timeout=30_000):
        assert window.runs.start()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=2000)


def test_undoing_a_touch_of_another_picture_leaves_the_one_on_show(qtbot: QtBot,
                                                                     make_window: WindowFactory) -> None:
    window = _settled(qtbot, make_window())
    _paint(qtbot, window)
    first = window.session.result_image
    window.touches_panel.fade_slider.setValue(30)  # on the first picture
    _paint(qtbot, window)  # a second picture, untouched
    window.menu_actions.undo.trigger()  # the fade of the first picture: not on this one
    assert window.after_touches.touches() == Touches() and window.touches_panel.fade_slider.value() == 0
    assert "another picture" in window.statusBar().currentMessage()
    assert window.session.result_image is not first


def test_undo_shortcuts(qtbot: QtBot) -> None:
    from PySide6.QtCore import QObject
    from PySide6.QtGui import QKeySequence

    from nst_desktop.gui.actions import Actions

    owner = QObject()
    actions = Actions(owner)
    assert QKeySequence("Ctrl+Z") in actions.undo.shortcuts()
    assert QKeySequence("Ctrl+Shift+Z") in actions.redo.shortcuts()


def test_undo_needs_only_the_document_and_its_views(qtbot: QtBot, tmp_path: Path) -> None:
    """No window: the document, the panels as its views, the after-touches and two actions."""
    from PySide6.QtCore import QObject
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QStatusBar, QWidget

    from nst_desktop.engine.spec.params import DEFAULTS
    from nst_desktop.gui.after_touches import AfterTouches
    from nst_desktop.gui.canvas import Canvas
    from nst_desktop.gui.document_views import DocumentViews
    from nst_desktop.gui.held_inputs import HeldInputs
    from nst_desktop.gui.inputs_panel import InputsPanel
    from nst_desktop.gui.params_panel import ParamsPanel
    from nst_desktop.gui.run_panel import RunPanel
    from nst_desktop.gui.run_session import RunSession
    from nst_desktop.gui.touches_panel import TouchesPanel
    from nst_desktop.gui.undo import UndoActions
    from nst_desktop.io.library import Library
    from nst_desktop.recipe.document import Document
    from nst_desktop.recipe.recipe import Recipe

    owner, status, canvas = QWidget(), QStatusBar(), Canvas()
    inputs, params, touches_panel = InputsPanel(), ParamsPanel(DEFAULTS), TouchesPanel()
    for widget in (owner, status, canvas, inputs, params, touches_panel):
        qtbot.addWidget(widget)
    document = Document(Recipe("", (), DEFAULTS))
    held = HeldInputs(document)
    session = RunSession(document, held, inputs, RunPanel(owner), lambda: None, lambda _text: None, status,
                         owner, Library(tmp_path / "library"))
    touches = AfterTouches(touches_panel, session, canvas, status, owner)
    DocumentViews(document, held, params, inputs, touches, owner)
    undo, redo = QAction(QObject(owner)), QAction(QObject(owner))
    UndoActions(document, undo, redo, status, owner)
    params.controls["steps"].spin.setValue(DEFAULTS.steps + 5)  # a user edit, through the control
    assert document.recipe.params.steps == DEFAULTS.steps + 5 and undo.isEnabled()
    assert "steps" in undo.text().lower()
    touches_panel.set_available(True)
    touches_panel.keep_colours.setChecked(True)
    assert document.recipe.touches == Touches(keep_photo_colours=True) and document.undo_count() == 2
    undo.trigger()
    assert not touches_panel.keep_colours.isChecked() and touches.touches() == Touches()
    undo.trigger()
    assert params.params().steps == DEFAULTS.steps and params.controls["steps"].spin.value() == DEFAULTS.steps
    assert redo.isEnabled() and not undo.isEnabled()
    redo.trigger()
    assert params.params().steps == DEFAULTS.steps + 5
