"""Spin boxes for int and float fields, bounded by the field's ``min`` / ``max``."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QSpinBox, QWidget

from nst_desktop.gui.controls.base import FieldControl

INT_LIMIT = 2**31 - 1


class IntControl(FieldControl):
    """An integer spin box; ``step`` and ``suffix`` for fields like the output size."""

    def __init__(self, name: str, step: int = 1, suffix: str = "", parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.spin = QSpinBox()
        low, high = self.meta.get("min"), self.meta.get("max")
        self.spin.setRange(int(low) if low is not None else 0, int(high) if high is not None else INT_LIMIT)
        self.spin.setSingleStep(step)
        self.spin.setSuffix(suffix)
        self.spin.setKeyboardTracking(False)  # one change per finished edit, not per keystroke
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spin)
        self.spin.valueChanged.connect(self._emit)

    def _show(self, value: Any) -> None:
        self.spin.setValue(int(value))


class FloatControl(FieldControl):
    """A float spin box with enough decimals for the field's range."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.spin = QDoubleSpinBox()
        low, high = self.meta.get("min"), self.meta.get("max")
        self.spin.setDecimals(4)
        self.spin.setRange(float(low) if low is not None else -1e9, float(high) if high is not None else 1e9)
        self.spin.setSingleStep(0.05)
        self.spin.setKeyboardTracking(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spin)
        self.spin.valueChanged.connect(self._emit)

    def _show(self, value: Any) -> None:
        self.spin.setValue(float(value))
