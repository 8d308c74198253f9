"""Issue 16.5: the mouse wheel scrolls the settings panel; it changes a value only in the control
that has focus (combo boxes, sliders, spin boxes: the knobs, the style rows' blend boxes, the
mask panel)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.gui.params_panel import ParamsPanel
from tests.gui.conftest import WindowFactory


def _wheel_down(widget: QWidget) -> None:
    """One notch of the wheel over the middle of ``widget``, as a synthesized event."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre)), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(widget, event)


def _scrolled_panel(qtbot: QtBot) -> tuple[QScrollArea, ParamsPanel]:
    panel = ParamsPanel(DEFAULTS)
    area = QScrollArea()
    area.setWidget(panel)
    area.setWidgetResizable(True)
    area.resize(380, 220)  # much shorter than the panel: there is somewhere to scroll to
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    return area, panel


def _knobs(panel: ParamsPanel) -> dict[str, tuple[QWidget, Callable[[], object]]]:
    """A control of each kind in the panel, and how to read what it shows."""
    colour = panel.controls["colour"].combo  # type: ignore[attr-defined]
    scale = panel.controls["brush_size"].slider  # type: ignore[attr-defined]
    steps = panel.controls["steps"].spin  # type: ignore[attr-defined]
    size = panel.controls["size"].spin  # type: ignore[attr-defined]
    return {"colour combo": (colour, colour.currentIndex), "brush size slider": (scale, scale.value),
            "steps spin box": (steps, steps.value), "size spin box": (size, size.value),
            "preset combo": (panel.preset_combo, panel.preset_combo.currentText)}


def _assert_scrolls_without_changing(area: QAbstractScrollArea, widget: QWidget,
                                     shown: Callable[[], object]) -> None:
    bar = area.verticalScrollBar()
    bar.setValue(0)
    before = shown()
    _wheel_down(widget)
    assert shown() == before  # the value under the pointer stays
    assert bar.value() > 0  # and the panel scrolled instead
    assert not widget.hasFocus()  # the wheel gave it no focus either


def test_the_wheel_scrolls_the_panel_over_unfocused_controls(qtbot: QtBot) -> None:
    area, panel = _scrolled_panel(qtbot)
    start = panel.params()
    preset = panel.preset_combo.currentText()
    for name, (widget, shown) in _knobs(panel).items():
        assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus, name  # a click or Tab focuses it
        _assert_scrolls_without_changing(area, widget, shown)
    assert panel.params() == start  # no Colours switch, no nudged Brush size
    assert panel.preset_combo.currentText() == preset != "Custom"


@pytest.mark.parametrize("name", ["colour combo", "brush size slider", "steps spin box"])
def test_the_wheel_changes_a_focused_control(qtbot: QtBot, name: str) -> None:
    area, panel = _scrolled_panel(qtbot)
    panel.update_fields(brush_size=2.0)  # mid-track: at 1x (the far left) a wheel down cannot move it
    widget, shown = _knobs(panel)[name]
    area.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=2000)
    before, start = shown(), panel.params()
    _wheel_down(widget)
    assert shown() != before
    assert panel.params() != start  # the edit reached the settings


def test_style_blend_and_mask_boxes_leave_their_values_to_the_focus(qtbot: QtBot,
                                                                    make_window: WindowFactory) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: bool(window.inputs.rows), timeout=5000)
    side = window.side_dock.widget()
    assert isinstance(side, QAbstractScrollArea)
    side.widget().setMinimumHeight(2000)  # whatever the screen: the panel has room to scroll
    blend = window.inputs.rows[0].weight
    _assert_scrolls_without_changing(side, blend, blend.value)
    window.mask_dock.dock.show()
    panel = window.mask_dock.panel
    panel.add_button.click()
    qtbot.waitUntil(lambda: bool(panel._rows), timeout=2000)
    _, weights, strength = next(iter(panel._rows.values()))
    settings = window.mask_dock.layer.settings()
    for box in (*weights, strength, panel.feather_spin, panel.size_spin):
        value = box.value()
        _wheel_down(box)
        assert box.value() == value and not box.hasFocus()
        assert box.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert window.mask_dock.layer.settings() == settings
