"""The content photo and the list of styles (with blend weights), filled by every route:
Open dialog, drag and drop, paste, and the ready styles bundled with the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMimeData, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.engine.errors import ImageError, NSTError
from nst_desktop.engine.events import StyleInput
from nst_desktop.gui.errors import user_message
from nst_desktop.gui.image_well import ImageWell
from nst_desktop.gui.loaded_image import IMAGE_FILTER, LoadedImage, from_qimage, load_file, paths_from_mime
from nst_desktop.gui.style_row import StyleDropArea, StyleRow
from nst_desktop.io.formats import READABLE_SUFFIXES
from nst_desktop.resources import resource_path

FileDialog = Callable[[QWidget, str, str, str], list[str]]
"""(parent, caption, directory, filter) -> chosen paths; tests inject a fake."""

IMAGE_SUFFIXES = frozenset(READABLE_SUFFIXES)


def qt_file_dialog(parent: QWidget, caption: str, directory: str, filter_: str) -> list[str]:
    paths, _ = QFileDialog.getOpenFileNames(parent, caption, directory, filter_)
    return list(paths)


def ready_styles() -> list[Path]:
    """The style images bundled with the app."""
    folder = resource_path("styles")
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def sample_contents() -> list[Path]:
    folder = resource_path("samples")
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def pretty_name(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").title()


@dataclass
class StyleItem:
    """One style in the list: the image and its blend weight."""

    loaded: LoadedImage
    weight: float = 1.0


class InputsPanel(QWidget):
    """Holds the inputs; ``changed`` on any edit, ``errorOccurred(text)`` for bad files."""

    changed = Signal()
    errorOccurred = Signal(str)
    fileOpened = Signal(str)  # a path the user chose (for Recent files)

    def __init__(self, parent: QWidget | None = None, file_dialog: FileDialog | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inputsPanel")
        self.file_dialog: FileDialog = file_dialog or qt_file_dialog
        self.last_dir = ""
        self._content: LoadedImage | None = None
        self._styles: list[StyleItem] = []
        self.content_well = ImageWell("Photo", "Click or drop a photo here")
        self.content_well.clicked.connect(self.open_content)
        self.content_well.dropped.connect(self._on_content_dropped)
        self.style_area = StyleDropArea()
        self.style_area.dropped.connect(self.add_styles_from_mime)
        # Queued: the dragged row is still inside its drag when the drop arrives, and moving
        # rebuilds (deletes) the rows.
        self.style_area.rowMoved.connect(
            lambda index, position: QTimer.singleShot(0, lambda: self.move_style_to(index, position)))
        self._style_layout = QVBoxLayout(self.style_area)
        self._style_layout.setContentsMargins(0, 0, 0, 0)
        self.empty_styles = QLabel("Drop style images here, or add one below.")
        self.empty_styles.setWordWrap(True)
        self._build()
        self._refresh_styles()

    def _build(self) -> None:
        add = QPushButton("Add style…")
        add.clicked.connect(self.open_styles)
        # A push button with a menu reserves room for the arrow (a tool button drew it over
        # the last letter).
        ready = QPushButton("Ready styles")
        ready.setToolTip("Styles that come with the app")
        self.ready_menu = QMenu(ready)
        for path in ready_styles():
            action = self.ready_menu.addAction(pretty_name(path))
            action.setData(str(path))
            action.triggered.connect(lambda _=False, p=path: self.add_style_files([p]))
        self.ready_menu.aboutToShow.connect(self._add_menu_icons)
        ready.setMenu(self.ready_menu)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(ready)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.content_well)
        layout.addWidget(QLabel("<b>Styles</b>"))
        layout.addWidget(self.style_area)
        layout.addLayout(buttons)

    def _add_menu_icons(self) -> None:
        """Thumbnails in the menu, made on first open only (keeps start-up fast)."""
        for action in self.ready_menu.actions():
            if action.icon().isNull():
                try:
                    action.setIcon(QIcon(load_file(action.data()).thumb))
                except NSTError:
                    continue

    # --- model -----------------------------------------------------------------------------
    def content(self) -> LoadedImage | None:
        return self._content

    def styles(self) -> list[StyleItem]:
        return list(self._styles)

    def style_inputs(self) -> tuple[StyleInput, ...]:
        return tuple(StyleInput(s.loaded.image, s.weight, s.loaded.name) for s in self._styles)

    def ready(self) -> bool:
        return self._content is not None and bool(self._styles) and any(s.weight > 0 for s in self._styles)

    def set_content(self, loaded: LoadedImage | None) -> None:
        self._content = loaded
        self.content_well.show_image(loaded)
        self.changed.emit()

    def add_style(self, loaded: LoadedImage, weight: float = 1.0) -> None:
        self._styles.append(StyleItem(loaded, weight))
        self._refresh_styles()
        self.changed.emit()

    def remove_style(self, index: int) -> None:
        del self._styles[index]
        self._refresh_styles()
        self.changed.emit()

    def move_style(self, index: int, delta: int) -> None:
        target = index + delta
        if 0 <= target < len(self._styles):
            self._styles[index], self._styles[target] = self._styles[target], self._styles[index]
            self._refresh_styles()
            self.changed.emit()

    def move_style_to(self, index: int, position: int) -> None:
        """Move style ``index`` to ``position`` counted before the move (0: first, count: last),
        as a drop between two rows asks."""
        count = len(self._styles)
        if not 0 <= index < count:
            return
        target = min(max(position, 0), count)
        target = target - 1 if target > index else target
        if target == index:
            return
        self._styles.insert(target, self._styles.pop(index))
        self._refresh_styles()
        self.changed.emit()

    def set_style_weight(self, index: int, weight: float) -> None:
        self._styles[index].weight = weight
        self.changed.emit()

    def clear_styles(self) -> None:
        self._styles.clear()
        self._refresh_styles()
        self.changed.emit()

    def _refresh_styles(self) -> None:
        while self._style_layout.count():
            item = self._style_layout.takeAt(0)
            widget = item.widget()
            if widget is not None and widget is not self.empty_styles:
                widget.deleteLater()
        self.rows: list[StyleRow] = []
        for index, style in enumerate(self._styles):
            row = StyleRow(style.loaded, style.weight, index=index)
            row.weightChanged.connect(lambda w, i=index: self.set_style_weight(i, w))
            row.removeRequested.connect(lambda i=index: self.remove_style(i))
            row.moveRequested.connect(lambda d, i=index: self.move_style(i, d))
            row.up.setEnabled(index > 0)
            row.down.setEnabled(index < len(self._styles) - 1)
            self._style_layout.addWidget(row)
            self.rows.append(row)
        self.empty_styles.setVisible(not self._styles)
        self._style_layout.addWidget(self.empty_styles)

    # --- loading -----------------------------------------------------------------------------
    def _load(self, path: Path) -> LoadedImage | None:
        try:
            loaded = load_file(path)
        except NSTError as exc:
            self.errorOccurred.emit(exc.user_text())
            return None
        except Exception as exc:  # a decoder bug must not take the app down
            self.errorOccurred.emit(f"{path}: {user_message(exc)}")
            return None
        self.last_dir = str(path.parent)
        return loaded

    def load_content_file(self, path: Path | str) -> bool:
        loaded = self._load(Path(path))
        if loaded is not None:
            self.set_content(loaded)
            self.fileOpened.emit(str(path))
        return loaded is not None

    def add_style_files(self, paths: list[Path]) -> int:
        added = 0
        for path in paths:
            loaded = self._load(Path(path))
            if loaded is not None:
                if Path(path).parent == resource_path("styles"):
                    loaded.name = pretty_name(Path(path))
                self.add_style(loaded)
                added += 1
        return added

    def open_content(self) -> None:
        paths = self.file_dialog(self, "Open photo", self.last_dir, IMAGE_FILTER)
        if paths:
            self.load_content_file(paths[0])

    def open_styles(self) -> None:
        paths = self.file_dialog(self, "Add style images", self.last_dir, IMAGE_FILTER)
        self.add_style_files([Path(p) for p in paths])

    # --- drop and paste ----------------------------------------------------------------------
    def _on_content_dropped(self, mime: QMimeData) -> None:
        self.paste_content(mime)

    def paste_content(self, mime: QMimeData) -> bool:
        """Set the content from dropped/pasted data: the first file, else the image data."""
        paths = paths_from_mime(mime)
        if paths:
            return self.load_content_file(paths[0])
        if mime.hasImage():
            try:
                self.set_content(from_qimage(mime.imageData()))
            except ImageError as exc:
                self.errorOccurred.emit(exc.user_text())
                return False
            return True
        self.errorOccurred.emit("The clipboard holds no image and no image file.")
        return False

    def add_styles_from_mime(self, mime: QMimeData) -> int:
        paths = paths_from_mime(mime)
        if paths:
            return self.add_style_files(paths)
        if mime.hasImage():
            try:
                self.add_style(from_qimage(mime.imageData(), "Pasted style"))
            except ImageError as exc:
                self.errorOccurred.emit(exc.user_text())
                return 0
            return 1
        self.errorOccurred.emit("The clipboard holds no image and no image file.")
        return 0

    # --- persistence -------------------------------------------------------------------------
    def state(self) -> tuple[str, list[list[object]]]:
        """(content path, [[style path, weight], …]) of the inputs that have files."""
        content = str(self._content.path) if self._content and self._content.path else ""
        styles = [[str(s.loaded.path), s.weight] for s in self._styles if s.loaded.path]
        return content, styles

    def restore(self, content: str, styles: list[list[object]]) -> None:
        """Reload saved inputs; files that vanished are skipped (and reported)."""
        if content:
            self.load_content_file(content)
        for entry in styles:
            if len(entry) == 2 and self.add_style_files([Path(str(entry[0]))]):
                self.set_style_weight(len(self._styles) - 1, float(str(entry[1])))
                self.rows[-1].weight.setValue(float(str(entry[1])))

    def load_first_launch(self) -> None:
        """A sample photo and one style, so that a single click on Start gives a picture."""
        samples, styles = sample_contents(), ready_styles()
        if samples:
            self.load_content_file(samples[0])
        preferred = [p for p in styles if "starry" in p.stem] or styles
        if preferred:
            self.add_style_files([preferred[0]])
