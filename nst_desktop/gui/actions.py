"""Every menu command of the main window, with standard shortcuts, built in one place."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar

Std = QKeySequence.StandardKey


def _action(parent: QObject, text: str, shortcut: QKeySequence.StandardKey | str | None = None,
            tip: str = "", checkable: bool = False) -> QAction:
    action = QAction(text, parent)
    if isinstance(shortcut, QKeySequence.StandardKey):
        action.setShortcuts(shortcut)
    elif shortcut:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.setCheckable(checkable)
    return action


class Actions:
    """The QActions; the main window connects them to its slots."""

    def __init__(self, parent: QObject) -> None:
        a = _action
        self.open_content = a(parent, "&Open photo…", Std.Open, "Choose the photo to paint")
        self.add_style = a(parent, "&Add style…", "Ctrl+Shift+O", "Add a style image")
        self.export = a(parent, "&Export…", Std.Save, "Save the picture (PNG, JPEG, WebP, 16-bit TIFF)")
        self.export_timelapse = a(parent, "Export &time-lapse…", "Ctrl+Shift+S",
                                  "Save the painting process as an animation")
        self.quit = a(parent, "&Quit", Std.Quit)
        self.copy = a(parent, "&Copy image", Std.Copy, "Copy the picture to the clipboard")
        self.paste = a(parent, "&Paste photo", Std.Paste,
                       "Use the clipboard's image or file as the photo")
        self.paste_style = a(parent, "Paste as &style", "Ctrl+Shift+V",
                             "Add the clipboard's image as a style")
        self.fit = a(parent, "&Fit in window", "Ctrl+0")
        self.actual_size = a(parent, "&100 %", "Ctrl+1")
        self.zoom_in = a(parent, "Zoom &in", Std.ZoomIn)
        self.zoom_out = a(parent, "Zoom &out", Std.ZoomOut)
        self.before_after = a(parent, "&Before / after", "B", "Compare with the photo: drag the line",
                              checkable=True)
        self.start = a(parent, "&Start", "Ctrl+R", "Paint the picture")
        self.pause = a(parent, "&Pause", "Ctrl+P", checkable=True)
        self.stop = a(parent, "S&top", "Esc", "Stop and keep the best picture so far")
        self.weights = a(parent, "&Weights…", None, "Network weight sets: download, import, licences")
        self.about = a(parent, "&About NST Desktop", None)
        self.recent_menu = QMenu("Open &recent")

    def build_menus(self, bar: QMenuBar) -> None:
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.open_content, self.add_style])
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.export, self.export_timelapse])
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.copy, self.paste, self.paste_style])
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.fit, self.actual_size, self.zoom_in, self.zoom_out])
        view_menu.addSeparator()
        view_menu.addAction(self.before_after)
        self.view_menu = view_menu
        run_menu = bar.addMenu("&Run")
        run_menu.addActions([self.start, self.pause, self.stop])
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.weights, self.about])

    def set_running(self, running: bool) -> None:
        self.start.setEnabled(not running)
        self.pause.setEnabled(running)
        self.stop.setEnabled(running)
        if not running:
            self.pause.setChecked(False)

    def set_has_result(self, has_result: bool, has_frames: bool) -> None:
        self.export.setEnabled(has_result)
        self.copy.setEnabled(has_result)
        self.export_timelapse.setEnabled(has_frames)
