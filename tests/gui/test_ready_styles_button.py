"""The "Ready styles" button: one menu entry per bundled style, icons read on first opening."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from nst_desktop.gui.input_files import ready_styles
from nst_desktop.gui.ready_styles_button import ReadyStylesButton


def test_each_bundled_style_is_an_entry_that_says_its_path(qtbot: QtBot) -> None:
    button = ReadyStylesButton()
    qtbot.addWidget(button)
    actions = button.menu_of_styles.actions()
    assert [Path(a.data()) for a in actions] == ready_styles()
    with qtbot.waitSignal(button.chosen) as blocker:
        actions[-1].trigger()
    assert blocker.args == [ready_styles()[-1]]


def test_icons_are_read_in_the_background_when_the_menu_first_opens(qtbot: QtBot) -> None:
    button = ReadyStylesButton()
    qtbot.addWidget(button)
    actions = button.menu_of_styles.actions()
    assert all(a.icon().isNull() for a in actions)  # nothing read at start-up
    button.menu_of_styles.aboutToShow.emit()
    qtbot.waitUntil(lambda: not any(a.icon().isNull() for a in actions), timeout=10_000)
    qtbot.waitUntil(lambda: button._icon_job is None)  # noqa: SLF001  (the job ended)
