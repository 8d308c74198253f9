"""The common shape of a params control: label, tooltip, ``changed(dict)``, ``set_params``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from nst_desktop.engine.spec.params import Params


def field_meta(name: str) -> dict[str, Any]:
    return dict(Params.__dataclass_fields__[name].metadata)


class FieldControl(QWidget):
    """Base class: edits ``names`` of a Params; emits ``changed({name: value})`` on user edits.

    ``set_params`` updates the widget silently (no ``changed``), so that loading a preset
    or restoring a history entry never echoes back as an edit.
    """

    changed = Signal(dict)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.meta = field_meta(name)
        self.label = str(self.meta.get("label", name))
        self.setObjectName(f"control_{name}")
        self.setToolTip(str(self.meta.get("help", "")))

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,)

    def set_params(self, params: Params) -> None:
        self.blockSignals(True)
        try:
            self._show(getattr(params, self.name))
        finally:
            self.blockSignals(False)

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def _emit(self, value: Any) -> None:
        self.changed.emit({self.name: value})
