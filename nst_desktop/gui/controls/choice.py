"""A combo box for a field with ``choices``, with optional friendlier labels."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QWidget

from nst_desktop.gui import screen_fit
from nst_desktop.gui.controls.base import FieldControl


class ChoiceControl(FieldControl):
    """One of ``meta['choices']``; ``labels`` maps a value to the text shown."""

    def __init__(self, name: str, labels: dict[str, str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.combo = QComboBox()
        screen_fit.let_shrink(self.combo)
        for value in self.meta.get("choices") or ():
            self.combo.addItem((labels or {}).get(value, value), value)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        self.combo.currentIndexChanged.connect(lambda _: self._emit(self.combo.currentData()))

    def _show(self, value: Any) -> None:
        index = self.combo.findData(value)
        if index >= 0:
            self.combo.setCurrentIndex(index)
