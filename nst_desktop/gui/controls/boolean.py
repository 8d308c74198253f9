"""A check box for a bool field."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget

from nst_desktop.gui.controls.base import FieldControl


class BoolControl(FieldControl):
    """On/off; the field's label is shown by the form, the box carries no text."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.box = QCheckBox()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        self.box.toggled.connect(self._emit)

    def _show(self, value: Any) -> None:
        self.box.setChecked(bool(value))
