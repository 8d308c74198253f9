"""What the screenshot scripts share: the app's window in a fresh NST_DESKTOP_HOME, letting
the event loop run, waiting for a condition, and grabbing a widget as the screen shows it.

Imported by the make_*.py scripts beside it (run as files, so this folder is on sys.path).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
os.environ.setdefault("NST_DESKTOP_HOME", tempfile.mkdtemp(prefix="nst-shots-"))


def open_window(width: int = 1360, height: int = 860) -> tuple[Any, Any]:
    """(QApplication, MainWindow): the themed app window, shown at ``width`` x ``height``."""
    from PySide6.QtWidgets import QApplication

    from nst_desktop.gui.app import apply_theme
    from nst_desktop.gui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    window = MainWindow()
    window.resize(width, height)
    window.show()
    return app, window


def spin(ms: int) -> None:
    """Let the event loop run for ``ms`` milliseconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        spin(200)


def shot(widget: Any, name: str, settle_ms: int = 300) -> None:
    """Save ``widget`` as HERE/name: the real screen under X (what a user sees), else a grab."""
    spin(settle_ms)
    pixmap = widget.screen().grabWindow(widget.winId()) if os.environ.get("DISPLAY") else widget.grab()
    pixmap.save(str(HERE / name))
    print("saved", name, pixmap.width(), pixmap.height(), flush=True)
