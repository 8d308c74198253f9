"""A free-text field (a file path or a weight-set name), with an optional Browse button."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QToolButton, QWidget

from nst_desktop.gui.controls.base import FieldControl
from nst_desktop.io.formats import dialog_filter

Chooser = Callable[[QWidget, str], str | None]  # (parent, current) -> new value or None


def choose_image_file(parent: QWidget, current: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Choose an image", current, dialog_filter(all_files=False))
    return path or None


class TextControl(FieldControl):
    """Emits on editing finished; an empty text means ``None`` when the field is optional."""

    def __init__(self, name: str, chooser: Chooser | None = None, optional: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.optional = optional
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("(none)" if optional else "")
        self.edit.setClearButtonEnabled(optional)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        self.chooser = chooser
        if chooser is not None:
            browse = QToolButton()
            browse.setText("…")
            browse.setToolTip("Browse")
            browse.clicked.connect(self._on_browse)
            layout.addWidget(browse)
        self.edit.editingFinished.connect(self._on_edited)

    def _value(self) -> str | None:
        text = self.edit.text().strip()
        return None if (self.optional and not text) else text

    def _on_edited(self) -> None:
        self._emit(self._value())

    def _on_browse(self) -> None:
        assert self.chooser is not None
        chosen = self.chooser(self, self.edit.text())
        if chosen is not None:
            self.edit.setText(chosen)
            self._emit(self._value())

    def _show(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))
