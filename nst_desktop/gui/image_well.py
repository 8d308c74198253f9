"""A drop target showing one image (the content photo): click to open, drop to replace."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nst_desktop.gui.loaded_image import LoadedImage


class ImageWell(QFrame):
    """Thumbnail + name; emits ``clicked`` and ``dropped(QMimeData)``."""

    clicked = Signal()
    dropped = Signal(QMimeData)

    def __init__(self, title: str, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAcceptDrops(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(hint)
        self._hint = hint
        self.thumb = QLabel()
        self.thumb.setFixedSize(72, 72)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel(f"<b>{title}</b>")
        self.name = QLabel(hint)
        self.name.setWordWrap(True)
        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.name, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.thumb)
        layout.addLayout(text, 1)

    def show_image(self, loaded: LoadedImage | None) -> None:
        if loaded is None:
            self.thumb.clear()
            self.thumb.setText("＋")
            self.name.setText(self._hint)
            return
        self.thumb.setPixmap(loaded.thumb)
        height, width = loaded.full_hw  # the photo's size, not its reduced copy's
        self.name.setText(f"{loaded.name}\n{width}×{height}")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.dropped.emit(event.mimeData())
        event.acceptProposedAction()
