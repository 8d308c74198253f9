"""The style list: one row per style (thumbnail, name, blend weight, move up/down, remove)
in a container that accepts dropped files.

A row can also be dragged (press anywhere but on its controls) and dropped elsewhere in
the list; it carries its index in a private MIME type that only the style list accepts.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData, QPoint, Qt, Signal
from PySide6.QtGui import (
    QDrag,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QApplication,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.gui.loaded_image import LoadedImage
from nst_desktop.gui.wheel_guard import guard_wheel

STYLE_ROW_MIME = "application/x-nst-desktop-style-row"


def style_row_mime(index: int) -> QMimeData:
    """The drag payload of the row at ``index``."""
    mime = QMimeData()
    mime.setData(STYLE_ROW_MIME, QByteArray(str(index).encode("ascii")))
    return mime


def style_row_index(mime: QMimeData) -> int | None:
    """The row index a drag carries; None for anything else (files, images, text)."""
    if not mime.hasFormat(STYLE_ROW_MIME):
        return None
    try:
        return int(bytes(mime.data(STYLE_ROW_MIME).data()).decode("ascii"))
    except ValueError:
        return None


class StyleRow(QFrame):
    """Emits requests; the inputs panel owns the list and its order."""

    weightChanged = Signal(float)
    removeRequested = Signal()
    moveRequested = Signal(int)  # -1 up, +1 down

    def __init__(self, loaded: LoadedImage, weight: float, parent: QWidget | None = None, *,
                 index: int = 0) -> None:
        super().__init__(parent)
        self.index = index
        self._press: QPoint | None = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setToolTip("Drag to change the order of the styles")
        thumb = QLabel()
        thumb.setFixedSize(56, 56)
        thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        thumb.setPixmap(loaded.thumb.scaled(56, 56, Qt.AspectRatioMode.KeepAspectRatio,
                                            Qt.TransformationMode.SmoothTransformation))
        name = QLabel(loaded.name)
        name.setToolTip(str(loaded.path) if loaded.path else loaded.name)
        name.setMinimumWidth(40)
        self.weight = QDoubleSpinBox()
        self.weight.setRange(0.0, 10.0)
        self.weight.setSingleStep(0.1)
        self.weight.setDecimals(2)
        self.weight.setValue(weight)
        self.weight.setPrefix("blend ")
        self.weight.setToolTip("Blend weight of this style (weights are normalised to sum to 1)")
        self.weight.valueChanged.connect(self.weightChanged)
        self.weight.setCursor(Qt.CursorShape.ArrowCursor)
        guard_wheel(self.weight)  # scrolling past the row leaves its blend alone (issue 16.5)
        self.up = self._tool("▲", "Move up", lambda: self.moveRequested.emit(-1))
        self.down = self._tool("▼", "Move down", lambda: self.moveRequested.emit(1))
        self.remove = self._tool("✕", "Remove this style", self.removeRequested.emit)
        text = QVBoxLayout()
        text.addWidget(name)
        text.addWidget(self.weight)
        buttons = QVBoxLayout()
        buttons.setSpacing(0)
        for button in (self.up, self.remove, self.down):
            buttons.addWidget(button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(thumb)
        layout.addLayout(text, 1)
        layout.addLayout(buttons)

    def _tool(self, text: str, tip: str, slot: object) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.setCursor(Qt.CursorShape.ArrowCursor)
        button.clicked.connect(slot)
        return button

    # --- drag to reorder -----------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        super().mouseReleaseEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        press = self._press
        if (press is None or not event.buttons() & Qt.MouseButton.LeftButton
                or (event.position().toPoint() - press).manhattanLength() < QApplication.startDragDistance()):
            super().mouseMoveEvent(event)
            return
        self._press = None
        drag = QDrag(self)
        drag.setMimeData(style_row_mime(self.index))
        drag.setPixmap(self.grab())
        drag.setHotSpot(press)
        # Blocking until the drop; the list is rebuilt afterwards (queued), so this row must
        # not be touched once exec() returns.
        drag.exec(Qt.DropAction.MoveAction)


class StyleDropArea(QWidget):
    """The style list's container: accepts dropped files to add as styles, and its own rows
    dragged to a new place (a line shows where the row will land)."""

    dropped = Signal(QMimeData)
    rowMoved = Signal(int, int)  # row index, insertion position (0..row count, before the move)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self._indicator_y: int | None = None

    def rows(self) -> list[StyleRow]:
        """The style rows, top to bottom."""
        layout = self.layout()
        items = [layout.itemAt(i) for i in range(layout.count())] if layout else []
        widgets = [item.widget() for item in items if item is not None]
        return [w for w in widgets if isinstance(w, StyleRow)]

    def drop_position(self, y: float) -> int:
        """Where a row dropped at height ``y`` goes: before the first row whose middle is below."""
        rows = self.rows()
        return next((i for i, row in enumerate(rows) if y < row.geometry().center().y()), len(rows))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._accept(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accept(event) and style_row_index(event.mimeData()) is not None:
            self._show_indicator(self.drop_position(event.position().y()))

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._show_indicator(None)

    def dropEvent(self, event: QDropEvent) -> None:
        self._show_indicator(None)
        index = style_row_index(event.mimeData())
        if index is None:
            self.dropped.emit(event.mimeData())
            event.acceptProposedAction()
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()
        self.rowMoved.emit(index, self.drop_position(event.position().y()))

    def _accept(self, event: QDragEnterEvent | QDragMoveEvent) -> bool:
        mime = event.mimeData()
        if style_row_index(mime) is not None:
            if not isinstance(event.source(), StyleRow):
                return False  # a row of another window's list: its index means nothing here
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
            return True
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()
            return True
        return False

    def _show_indicator(self, position: int | None) -> None:
        rows = self.rows()
        if position is None or not rows:
            self._indicator_y = None
        elif position < len(rows):
            self._indicator_y = rows[position].geometry().top() - 1
        else:
            self._indicator_y = rows[-1].geometry().bottom() + 1
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._indicator_y is not None:
            painter = QPainter(self)
            painter.setPen(QPen(self.palette().highlight().color(), 2))
            painter.drawLine(0, self._indicator_y, self.width(), self._indicator_y)
            painter.end()
