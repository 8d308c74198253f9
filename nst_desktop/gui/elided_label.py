"""A one-line label that shows "…" where its text is cut, and the whole text as its tooltip.

The run panel's status and estimate lines must keep their size (a label that grows or wraps
makes the canvas above jump), so a long text is cut at the label's width; a plain QLabel cuts
it mid-word without a sign, and the end of an estimate ("…; a quick look 8 s") was lost.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget


class ElidedLabel(QLabel):
    """``text()`` is the whole text; what is painted is cut to the width with "…"."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._hint = ""
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self._elide()

    def text(self) -> str:
        return self._full

    def set_hint(self, hint: str) -> None:
        """A tooltip that explains the text; the whole text goes above it when cut."""
        self._hint = hint
        self._elide()

    def is_elided(self) -> bool:
        return super().text() != self._full

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width) if width > 0 \
            else self._full
        super().setText(shown)
        parts = [self._full] if shown != self._full else []
        self.setToolTip("\n\n".join([*parts, self._hint] if self._hint else parts))
