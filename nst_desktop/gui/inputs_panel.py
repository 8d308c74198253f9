"""The content photo and the list of styles (with blend weights), filled by every route:
Open dialog, drag and drop, paste, and the ready styles bundled with the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QMimeData, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.engine.spec.events import StyleInput
from nst_desktop.gui.background import LatestJob, run_in_background
from nst_desktop.gui.image_well import ImageWell
from nst_desktop.gui.input_files import (
    IMAGE_SUFFIXES as IMAGE_SUFFIXES,  # re-exported: the folder listings' one list
)
from nst_desktop.gui.input_files import (
    ReadInputs,
    StyleResult,
    error_text,
    read_inputs,
    read_pasted_style,
    ready_styles,
    sample_contents,
    style_name,
    weight_of,
)
from nst_desktop.gui.loaded_image import (
    IMAGE_FILTER,
    LoadedImage,
    from_qimage,
    image_from_mime,
    load_file,
    paths_from_mime,
)
from nst_desktop.gui.ready_styles_button import ReadyStylesButton
from nst_desktop.gui.style_row import StyleDropArea, StyleRow
from nst_desktop.resources import resources_dir

FileDialog = Callable[[QWidget, str, str, str], list[str]]
"""(parent, caption, directory, filter) -> chosen paths; tests inject a fake."""


def qt_file_dialog(parent: QWidget, caption: str, directory: str, filter_: str) -> list[str]:
    paths, _ = QFileDialog.getOpenFileNames(parent, caption, directory, filter_)
    return list(paths)


@dataclass
class _Batch:
    """A background read on its way: ``photo_request`` numbers the photo it reads (None: styles only)."""

    photo_request: int | None
    read: ReadInputs | None = None


@dataclass
class StyleItem:
    """One style in the list: the image and its blend weight."""

    loaded: LoadedImage
    weight: float = 1.0


class InputsPanel(QWidget):
    """Holds the inputs; ``changed`` on any edit, ``errorOccurred(text)`` for bad files.

    Files are read in the background (``open_*``, drops, pastes, restore): the panel says
    what it is reading (``busyChanged(text)``, empty when done) and applies the result."""

    changed = Signal()
    errorOccurred = Signal(str)
    fileOpened = Signal(str)  # a path the user chose (for Recent files)
    photoOpened = Signal()  # the user opened, dropped or pasted a new photo: show it
    busyChanged = Signal(str)  # what is being read ("Opening photo.jpg…"); "" when nothing

    def __init__(self, parent: QWidget | None = None, file_dialog: FileDialog | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inputsPanel")
        self.file_dialog: FileDialog = file_dialog or qt_file_dialog
        self.last_dir = ""
        self._content: LoadedImage | None = None
        self._styles: list[StyleItem] = []
        self._content_job = LatestJob(self)  # a newer photo supersedes one still being read
        self._content_job.busyChanged.connect(self._on_content_busy_changed)
        self._style_batches: list[_Batch] = []  # in request order, applied in that order
        self._photo_requests = 0  # counts photos asked for: only the newest one is set
        self.busy_label = QLabel("")
        self.busy_label.setObjectName("inputsBusy")
        self.busy_label.setEnabled(False)  # a quiet grey line under the photo
        self.busy_label.hide()
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
        ready = ReadyStylesButton(self)
        ready.chosen.connect(lambda path: self.open_style_files([path]))
        self.ready_menu = ready.menu_of_styles
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(ready)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.content_well)
        layout.addWidget(self.busy_label)
        layout.addWidget(QLabel("<b>Styles</b>"))
        layout.addWidget(self.style_area)
        layout.addLayout(buttons)

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
        self._photo_requests += 1  # a photo still being read for an older request must not replace it
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
            widget = item.widget() if item is not None else None
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

    # --- loading: blocking (scripts, tests, restore.py) -----------------------------------------
    def _load(self, path: Path, *, style: bool = False) -> LoadedImage | None:
        try:
            loaded = load_file(path, name=style_name(path) if style else path.name)
        except Exception as exc:  # a decoder bug must not take the app down
            self.errorOccurred.emit(error_text(path, exc))
            return None
        self._remember_folder(path)
        return loaded

    def load_content_file(self, path: Path | str) -> bool:
        """Open ``path`` as the photo now, in this thread (the window's routes use
        :meth:`open_content_file`, which decodes in the background)."""
        loaded = self._load(Path(path))
        if loaded is not None:
            self.set_content(loaded)
            self.fileOpened.emit(str(path))
        return loaded is not None

    def add_style_files(self, paths: list[Path]) -> int:
        """Add styles now, in this thread (see :meth:`open_style_files`); how many were added."""
        added = 0
        for path in paths:
            loaded = self._load(Path(path), style=True)
            if loaded is not None:
                self.add_style(loaded)
                added += 1
        return added

    # --- loading in the background: every route of the window ------------------------------
    def loading(self) -> bool:
        """Whether a photo or styles are still being read."""
        return self._content_job.busy() or bool(self._style_batches)

    def open_content_file(self, path: Path | str) -> None:
        """Read ``path`` in the background, then make it the photo (and show it: ``photoOpened``).
        A newer photo request supersedes this one; an error names the file."""
        path = Path(path)
        self._photo_requests += 1  # supersedes a photo a restore is still reading
        self._set_busy_text(f"Opening {path.name}…")
        self._content_job.start(partial(load_file, path, for_display=True),
                                on_success=lambda loaded: self._on_content_loaded(loaded, path),
                                on_failure=lambda exc: self._on_load_failed(path, exc))

    def _on_content_loaded(self, loaded: LoadedImage, path: Path | None) -> None:
        self._set_busy_text("")
        if path is not None:
            self._remember_folder(Path(path))
        self.set_content(loaded)
        self.photoOpened.emit()
        if path is not None:
            self.fileOpened.emit(str(path))

    def _on_load_failed(self, path: Path | str, exc: object) -> None:
        self._set_busy_text("")
        self.errorOccurred.emit(error_text(path, exc))

    def open_style_files(self, paths: list[Path], weights: list[float] | None = None) -> None:
        """Read styles in the background; they join the list in the order asked for (a
        later batch never overtakes an earlier one), each with its weight (default 1)."""
        self._read_in_background(None, paths, weights)

    def _read_in_background(self, photo: Path | None, paths: list[Path],
                            weights: list[float] | None = None) -> None:
        """One batch: styles, and a photo that is set only if no newer photo was asked for."""
        items = [(Path(p), w) for p, w in zip(paths, weights or [1.0] * len(paths), strict=True)]
        if photo is None and not items:
            return
        self._start_batch(partial(read_inputs, photo, items), photo_request=photo is not None)

    def _start_batch(self, read: Callable[[], ReadInputs], photo_request: bool = False) -> None:
        if photo_request:
            self._content_job.cancel()  # an older photo being read: this one is newer
            self._photo_requests += 1
        batch = _Batch(self._photo_requests if photo_request else None)
        self._style_batches.append(batch)
        self._set_busy_text("Opening the photo and styles…" if photo_request else "Opening styles…")
        run_in_background(read, on_success=lambda read: self._on_batch_read(batch, read),
                          on_failure=lambda exc: self._on_batch_read(batch, ReadInputs([("Styles", exc)])),
                          parent=self)

    def _on_batch_read(self, batch: _Batch, read: ReadInputs) -> None:
        batch.read = read
        while self._style_batches and self._style_batches[0].read is not None:
            done = self._style_batches.pop(0)
            self._apply_batch(done, done.read or ReadInputs())
        if not self.loading():
            self._set_busy_text("")

    def _apply_batch(self, batch: _Batch, read: ReadInputs) -> None:
        if batch.photo_request == self._photo_requests:  # no newer photo asked for since
            if read.photo is not None:
                self.set_content(read.photo)
                self.fileOpened.emit(str(read.photo.path))
            elif read.photo_error is not None:
                self.errorOccurred.emit(error_text(*read.photo_error))
        for item in read.styles:
            self._add_read_style(item)

    def _add_read_style(self, item: StyleResult) -> None:
        loaded, outcome = item
        if isinstance(loaded, LoadedImage) and isinstance(outcome, float):
            if loaded.path is not None:
                self._remember_folder(loaded.path)
            self._styles.append(StyleItem(loaded, outcome))
            self._refresh_styles()
            self.changed.emit()
        else:
            self.errorOccurred.emit(error_text(str(loaded), outcome))

    def _on_content_busy_changed(self, busy: bool) -> None:
        if not busy:
            self._set_busy_text("")

    def _set_busy_text(self, text: str) -> None:
        busy = text or ("Opening…" if self.loading() else "")
        self.busy_label.setText(busy)
        self.busy_label.setVisible(bool(busy))
        self.busyChanged.emit(busy)

    def _remember_folder(self, path: Path) -> None:
        """Where the next Open dialog starts: the folder of the artist's last file, never the app's
        own samples and ready styles (seen under Xvfb: after the first launch's sample, Open photo
        started in the app's styles folder; in a Mac bundle that is inside the app)."""
        folder = Path(path).resolve().parent
        if not folder.is_relative_to(resources_dir().resolve()):
            self.last_dir = str(folder)

    def _dialog_folder(self) -> str:
        pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        return self.last_dir or (pictures if pictures and Path(pictures).is_dir() else str(Path.home()))

    def open_content(self) -> None:
        paths = self.file_dialog(self, "Open photo", self._dialog_folder(), IMAGE_FILTER)
        if paths:
            self.open_content_file(paths[0])

    def open_styles(self) -> None:
        paths = self.file_dialog(self, "Add style images", self._dialog_folder(), IMAGE_FILTER)
        self.open_style_files([Path(p) for p in paths])

    # --- drop and paste ----------------------------------------------------------------------
    def _on_content_dropped(self, mime: QMimeData) -> None:
        self.paste_content(mime)

    def paste_content(self, mime: QMimeData) -> bool:
        """Set the content from dropped/pasted data (read in the background): the first
        file, else the image data. False when there is nothing to read."""
        paths = paths_from_mime(mime)
        if paths:
            self.open_content_file(paths[0])
            return True
        if mime.hasImage():
            qimage = image_from_mime(mime)
            self._photo_requests += 1
            self._set_busy_text("Reading the pasted image…")
            self._content_job.start(partial(from_qimage, qimage, for_display=True),
                                    on_success=lambda loaded: self._on_content_loaded(loaded, None),
                                    on_failure=lambda exc: self._on_load_failed("Pasted image", exc))
            return True
        self.errorOccurred.emit("The clipboard holds no image and no image file.")
        return False

    def add_styles_from_mime(self, mime: QMimeData) -> bool:
        """Add the dropped/pasted files (or image data) as styles, read in the background."""
        paths = paths_from_mime(mime)
        if paths:
            self.open_style_files(paths)
            return True
        if mime.hasImage():
            qimage = image_from_mime(mime)
            self._start_batch(partial(read_pasted_style, qimage))
            return True
        self.errorOccurred.emit("The clipboard holds no image and no image file.")
        return False

    # --- persistence -------------------------------------------------------------------------
    def state(self) -> tuple[str, list[list[object]]]:
        """(content path, [[style path, weight], …]) of the inputs that have files."""
        content = str(self._content.path) if self._content and self._content.path else ""
        styles = [[str(s.loaded.path), s.weight] for s in self._styles if s.loaded.path]
        return content, styles

    def restore(self, content: str, styles: list[list[object]]) -> None:
        """Reload saved inputs in the background; files that vanished are skipped (and reported)."""
        entries = [e for e in styles if isinstance(e, (list, tuple)) and len(e) == 2]
        paths, weights = [Path(str(e[0])) for e in entries], [weight_of(e[1]) for e in entries]
        self._read_in_background(Path(content) if content else None, paths, weights)

    def load_first_launch(self) -> None:
        """A sample photo and one style, so that a single click on Start gives a picture."""
        samples, styles = sample_contents(), ready_styles()
        preferred = [p for p in styles if "starry" in p.stem] or styles
        self._read_in_background(samples[0] if samples else None, preferred[:1])
