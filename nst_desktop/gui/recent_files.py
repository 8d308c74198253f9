"""File > Recent photos: the photos opened last (kept in the settings), each reopened by a click."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QMenu

from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.settings import Settings


class RecentFiles(QObject):
    """Keeps ``menu`` listing the settings' recent photos; a photo opened is added to them."""

    def __init__(self, settings: Settings, menu: QMenu, inputs: InputsPanel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings, self.menu, self.inputs = settings, menu, inputs
        inputs.fileOpened.connect(self._on_file_opened)
        self.rebuild()

    @Slot(str)
    def _on_file_opened(self, path: str) -> None:
        self.settings.add_recent(path)
        self.rebuild()

    def rebuild(self) -> None:
        self.menu.clear()
        for path in self.settings.recent_files():
            action = self.menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.inputs.open_content_file(p))
        self.menu.setEnabled(bool(self.menu.actions()))
