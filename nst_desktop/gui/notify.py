"""Desktop notifications that never block: the queue is done, a job failed (issue 18.3).

A tray balloon (``QSystemTrayIcon.showMessage``) where the desktop has a system tray; else the
window's status bar. Never a modal box: a batch painting overnight must not stop on a question.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStatusBar, QSystemTrayIcon, QWidget

TRAY_MS = 10_000  # how long a balloon stays (the desktop may shorten it)
STATUS_MS = 30_000  # the status bar keeps it longer: nobody may be looking when it comes


class Notifier:
    """``notify(title, text)``: a tray balloon if a tray is available (``tray_available``,
    injectable for tests), else a message in ``status_bar``."""

    def __init__(self, status_bar: Callable[[], QStatusBar], parent: QWidget | None = None, *,
                 tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable) -> None:
        self._status_bar = status_bar
        self._parent = parent
        self._tray_available = tray_available
        self._tray: QSystemTrayIcon | None = None
        self.last = ""  # the last text shown, whichever way (tests, the drill)

    def notify(self, title: str, text: str, *, failure: bool = False) -> None:
        self.last = f"{title}: {text}"
        tray = self._tray_icon()
        if tray is not None:
            icon = (QSystemTrayIcon.MessageIcon.Warning if failure
                    else QSystemTrayIcon.MessageIcon.Information)
            tray.showMessage(title, text, icon, TRAY_MS)
        self._status_bar().showMessage(self.last, STATUS_MS)  # also when a balloon is missed

    def status(self, text: str) -> None:
        """A passing word (jobs queued): the status bar only, no balloon."""
        self._status_bar().showMessage(text, STATUS_MS)

    def _tray_icon(self) -> QSystemTrayIcon | None:
        if not self._tray_available():
            return None
        if self._tray is None:
            app = QApplication.instance()
            icon = app.windowIcon() if isinstance(app, QApplication) else QIcon()
            self._tray = QSystemTrayIcon(icon, self._parent)
            self._tray.show()  # a balloon needs a visible icon on most desktops
        return self._tray
