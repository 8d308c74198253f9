"""The random seed: a spin box and a dice button for a new random one."""

from __future__ import annotations

import random
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QSpinBox, QToolButton, QWidget

from nst_desktop.gui.controls.base import FieldControl


class SeedControl(FieldControl):
    """Same seed + same settings on the CPU = the same picture; the dice gives a new one."""

    def __init__(self, name: str = "seed", parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.spin = QSpinBox()
        self.spin.setRange(int(self.meta.get("min") or 0), int(self.meta.get("max") or 2**31 - 1))
        self.spin.setKeyboardTracking(False)
        self.dice = QToolButton()
        self.dice.setText("Random")
        self.dice.setToolTip("A new random seed")
        self.dice.setObjectName("diceButton")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spin, 1)
        layout.addWidget(self.dice)
        self.spin.valueChanged.connect(self._emit)
        self.dice.clicked.connect(self.roll)

    def roll(self) -> None:
        current = self.spin.value()
        new = current
        while new == current:
            new = random.randint(0, min(self.spin.maximum(), 999_999))
        self.spin.setValue(new)

    def _show(self, value: Any) -> None:
        self.spin.setValue(int(value))
