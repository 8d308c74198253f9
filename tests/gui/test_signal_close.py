"""SIGTERM, SIGHUP and SIGINT close the window through Qt's event loop (issue 16.13); the
handlers are put back afterwards. The real app killed with SIGTERM: tests/gui/test_app_kill.py."""

from __future__ import annotations

import signal

import pytest
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from nst_desktop.gui.signal_close import CLOSING_SIGNALS, SignalCloser


class ClosingWindow(QWidget):
    """Counts its close events (MainWindow saves its state in its own)."""

    closes = 0

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closes += 1
        event.accept()


@pytest.mark.parametrize("number", CLOSING_SIGNALS, ids=lambda n: n.name)
def test_a_closing_signal_closes_the_window(qtbot: QtBot, number: signal.Signals) -> None:
    window = ClosingWindow()
    qtbot.addWidget(window)
    window.show()
    before = signal.getsignal(number)
    closer = SignalCloser(window)
    try:
        signal.raise_signal(number)  # with the default handler, SIGTERM would end pytest here
        qtbot.waitUntil(lambda: window.closes == 1, timeout=3000)
        assert not window.isVisible()
    finally:
        closer.uninstall()
    assert signal.getsignal(number) == before


def test_another_signal_leaves_the_window_open(qtbot: QtBot) -> None:
    window = ClosingWindow()
    qtbot.addWidget(window)
    window.show()
    closer = SignalCloser(window, signals=(signal.SIGTERM,))
    previous = signal.signal(signal.SIGUSR1, lambda *args: None)
    try:
        signal.raise_signal(signal.SIGUSR1)
        qtbot.wait(200)
        assert window.closes == 0 and window.isVisible()
    finally:
        signal.signal(signal.SIGUSR1, previous)
        closer.uninstall()
