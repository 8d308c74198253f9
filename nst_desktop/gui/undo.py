"""Edit > Undo and Redo: the document's undo history (``recipe.document``), on the menu.

The steps themselves (a settings change, an after-touch, a restore with its picture; a drag
merged into one step) are the document's; the panels show what an undo puts back because they
redraw on the document's events (``gui.document_views``). This only enables and names the two
actions after the history, and says in the status bar when an undo changed nothing (an
after-touch of a picture no longer on show).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QStatusBar

from nst_desktop.recipe.document import Document


class UndoActions(QObject):
    """The Edit menu's Undo and Redo, driven by ``document``."""

    def __init__(self, document: Document, undo: QAction, redo: QAction, status: QStatusBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self._undo_action, self._redo_action, self._status = document, undo, redo, status
        undo.triggered.connect(self.undo)
        redo.triggered.connect(self.redo)
        document.undoChanged.connect(self._on_history_changed)
        self._on_history_changed()

    def count(self) -> int:
        return self.document.undo_count()

    def clear(self) -> None:
        self.document.clear_undo()

    @Slot()
    def undo(self) -> None:
        self._say(self.document.undo())

    @Slot()
    def redo(self) -> None:
        self._say(self.document.redo())

    def _say(self, message: str) -> None:
        if message:
            self._status.showMessage(message, 8000)

    def _on_history_changed(self) -> None:
        self._undo_action.setEnabled(self.document.can_undo())
        self._redo_action.setEnabled(self.document.can_redo())
        self._undo_action.setText(f"&Undo {self.document.undo_text()}".strip())
        self._redo_action.setText(f"&Redo {self.document.redo_text()}".strip())
