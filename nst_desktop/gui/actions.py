"""Every menu command of the main window, with standard shortcuts, built in one place."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar

from nst_desktop.engine.spec.variations import SWEEPS as VARIATION_SWEEPS  # no torch: cheap at start-up

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


def _unique(keys: list[QKeySequence]) -> list[QKeySequence]:
    seen: list[QKeySequence] = []
    for key in keys:
        if key not in seen:
            seen.append(key)
    return seen


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
        self.undo = a(parent, "&Undo", Std.Undo, "Undo the last change of settings or after-touches")
        # Ctrl+Shift+Z everywhere; the platform's own Redo key (Ctrl+Y on Windows) too.
        self.redo = a(parent, "&Redo", "Ctrl+Shift+Z", "Redo what was undone")
        self.redo.setShortcuts(_unique([QKeySequence("Ctrl+Shift+Z"), *QKeySequence.keyBindings(Std.Redo)]))
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
        self.quick_look = a(parent, "&Quick look", "Ctrl+Shift+R",
                            "A small version in seconds, to judge a tweak")
        self.promote = a(parent, "Render &full size", "Ctrl+Shift+F",
                         "Go on from the picture on show up to the output size, keeping its composition")
        self.variations_menu = QMenu("&Variations")
        self.variations = {sweep: a(parent, f"{label}…", None, f"A grid of quick looks: {label.lower()}")
                           for sweep, label in VARIATION_SWEEPS.items()}
        self.variations_menu.addActions(list(self.variations.values()))
        # issue 18.3: the render queue (gui.queue_controller)
        self.add_to_queue = a(parent, "Add to &queue", "Ctrl+Shift+Q",
                              "Paint the picture on screen at full size later, in the background")
        self.batch = a(parent, "&Batch…", "Ctrl+Shift+B",
                       "Photos or a folder × styles × a sweep, into the queue")
        self.pause = a(parent, "&Pause", "Ctrl+P", checkable=True)
        self.stop = a(parent, "S&top", "Esc", "Stop and keep the best picture so far")
        self.weights = a(parent, "&Weights…", None, "Network weight sets: download, import, licences")
        self.render_farm = a(parent, "Render &farm…", None,
                             "A farm of Linux machines to paint on: its address and token")
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
        edit_menu.addActions([self.undo, self.redo])
        edit_menu.addSeparator()
        edit_menu.addActions([self.copy, self.paste, self.paste_style])
        edit_menu.addSeparator()
        edit_menu.addAction(self.render_farm)
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.fit, self.actual_size, self.zoom_in, self.zoom_out])
        view_menu.addSeparator()
        view_menu.addAction(self.before_after)
        self.view_menu = view_menu
        run_menu = bar.addMenu("&Run")
        run_menu.addActions([self.start, self.quick_look, self.promote])
        run_menu.addMenu(self.variations_menu)
        run_menu.addSeparator()
        run_menu.addActions([self.add_to_queue, self.batch])  # issue 18.3
        run_menu.addSeparator()
        run_menu.addActions([self.pause, self.stop])
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.weights, self.about])

    def set_running(self, running: bool) -> None:
        self.start.setEnabled(not running)
        self.quick_look.setEnabled(not running)
        self.variations_menu.setEnabled(not running)
        if running:
            self.promote.setEnabled(False)
        self.pause.setEnabled(running)
        self.stop.setEnabled(running)
        if not running:
            self.pause.setChecked(False)

    def set_has_result(self, has_result: bool, has_frames: bool) -> None:
        self.export.setEnabled(has_result)
        self.copy.setEnabled(has_result)
        self.export_timelapse.setEnabled(has_frames)
