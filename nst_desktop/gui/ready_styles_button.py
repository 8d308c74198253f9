"""The "Ready styles" button: a menu of the styles bundled with the app, with thumbnails."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QMenu, QPushButton, QWidget

from nst_desktop.gui.background import BackgroundJob, run_in_background
from nst_desktop.gui.input_files import pretty_name, read_ready_icons, ready_styles


class ReadyStylesButton(QPushButton):
    """``chosen(path)`` when the artist picks a bundled style from the menu.

    A push button with a menu reserves room for the arrow (a tool button drew it over the
    last letter). The thumbnails are read in the background on the menu's first opening
    (keeps start-up fast); each icon appears as soon as it is made."""

    chosen = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Ready styles", parent)
        self.setToolTip("Styles that come with the app")
        self.menu_of_styles = QMenu(self)
        for path in ready_styles():
            action = self.menu_of_styles.addAction(pretty_name(path))
            action.setData(str(path))
            action.triggered.connect(lambda _=False, p=path: self.chosen.emit(p))
        self.menu_of_styles.aboutToShow.connect(self._on_menu_about_to_show)
        self.setMenu(self.menu_of_styles)
        self._icon_job: BackgroundJob | None = None

    def _on_menu_about_to_show(self) -> None:
        missing = [Path(a.data()) for a in self.menu_of_styles.actions() if a.icon().isNull()]
        if missing and self._icon_job is None:
            self._icon_job = run_in_background(read_ready_icons, missing, on_yield=self._on_icon_read,
                                               parent=self)
            self._icon_job.ended.connect(self._on_icons_ended)

    def _on_icon_read(self, item: tuple[str, QImage]) -> None:
        path, thumb = item
        for action in self.menu_of_styles.actions():
            if action.data() == path:
                action.setIcon(QIcon(QPixmap.fromImage(thumb)))

    def _on_icons_ended(self) -> None:
        self._icon_job = None
