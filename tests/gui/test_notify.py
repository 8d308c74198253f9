"""issue 18.3: a notification never blocks: a tray balloon where there is a tray, and the status bar."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QStatusBar, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from nst_desktop.gui.notify import Notifier


def test_without_a_tray_the_status_bar_says_it(qtbot: QtBot) -> None:
    bar = QStatusBar()
    qtbot.addWidget(bar)
    Notifier(lambda: bar, tray_available=lambda: False).notify("The queue is done", "3 pictures painted.")
    assert bar.currentMessage() == "The queue is done: 3 pictures painted."
    assert QApplication.activeModalWidget() is None  # no box waits for a click
    assert not isinstance(QApplication.activeWindow(), QMessageBox)


def test_with_a_tray_a_balloon_shows_it(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[tuple[Any, ...]] = []
    monkeypatch.setattr(QSystemTrayIcon, "showMessage", lambda self, *args: shown.append(args))
    bar = QStatusBar()
    qtbot.addWidget(bar)
    notifier = Notifier(lambda: bar, tray_available=lambda: True)
    notifier.notify("A queued job failed", "a.png: cannot be read", failure=True)
    assert shown and shown[0][:3] == ("A queued job failed", "a.png: cannot be read",
                                      QSystemTrayIcon.MessageIcon.Warning)
    assert "a.png: cannot be read" in bar.currentMessage()  # a balloon may be missed
