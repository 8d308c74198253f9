"""The After-touches panel: its controls, its signal, and silent programmatic changes."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.touches import Touches
from nst_desktop.gui.touches_panel import TouchesPanel


def test_user_edits_emit_the_touches(qtbot: QtBot) -> None:
    panel = TouchesPanel()
    qtbot.addWidget(panel)
    panel.set_available(True)
    with qtbot.waitSignal(panel.touchesChanged) as blocker:
        panel.keep_colours.setChecked(True)
    assert blocker.args[0] == Touches(keep_photo_colours=True)
    with qtbot.waitSignal(panel.touchesChanged) as blocker:
        panel.fade_slider.setValue(40)
    assert blocker.args[0] == Touches(keep_photo_colours=True, fade=0.4)
    assert panel.fade_value.text() == "40 %"


def test_set_touches_is_silent_and_shown(qtbot: QtBot) -> None:
    panel = TouchesPanel()
    qtbot.addWidget(panel)
    with qtbot.assertNotEmitted(panel.touchesChanged):
        panel.set_touches(Touches(keep_photo_colours=True, fade=0.25))
    assert panel.keep_colours.isChecked() and panel.fade_slider.value() == 25
    assert panel.fade_value.text() == "25 %" and panel.touches() == Touches(True, 0.25)


def test_disabled_until_a_picture_is_on_show(qtbot: QtBot) -> None:
    panel = TouchesPanel()
    qtbot.addWidget(panel)
    assert not panel.keep_colours.isEnabled() and not panel.fade_slider.isEnabled()
    panel.set_available(True)
    assert panel.keep_colours.isEnabled() and panel.fade_slider.isEnabled()
    panel.set_available(False, "The photo is missing.")
    assert not panel.fade_slider.isEnabled() and "missing" in panel.note.text()
