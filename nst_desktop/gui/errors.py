"""Turn any exception into text a user can act on, and show it without blocking.

The worker thread only ever sends strings (``Worker.failed``), produced here, so the
GUI never has to inspect an exception object from another thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from nst_desktop.engine.spec.errors import NSTError, OutOfMemoryError, display_path

_OOM_MARKERS = ("out of memory", "cuda error: out of memory", "mps backend out of memory")


def user_message(exc: BaseException) -> str:
    """One or two sentences: what happened and what to do about it."""
    if isinstance(exc, NSTError):
        return exc.user_text()
    if isinstance(exc, MemoryError) or any(m in str(exc).lower() for m in _OOM_MARKERS):
        return OutOfMemoryError("The run needed more memory than this computer has.").user_text()
    if isinstance(exc, OSError) and exc.filename:
        return f"{display_path(exc.filename)}: {exc.strerror or exc}."
    return f"Unexpected error ({type(exc).__name__}: {exc}). Please report it; the app keeps working."


def show_error(parent: QWidget | None, text: str, title: str = "NST Desktop") -> QMessageBox:
    """Show ``text`` in a window-modal box that does not block the caller (tests keep running)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorBox")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


ReportError = Callable[[str], None]
"""Says a problem to the user (the window's dialog and status bar): what controllers are given
instead of the window."""
