"""One row of the style list: thumbnail, name, blend weight, move up/down, remove."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from nst_desktop.gui.loaded_image import LoadedImage


class StyleRow(QFrame):
    """Emits requests; the inputs panel owns the list and its order."""

    weightChanged = Signal(float)  # noqa: N815 - Qt signal name
    removeRequested = Signal()  # noqa: N815 - Qt signal name
    moveRequested = Signal(int)  # noqa: N815 - -1 up, +1 down

    def __init__(self, loaded: LoadedImage, weight: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
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
        button.clicked.connect(slot)
        return button
