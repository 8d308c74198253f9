"""Export a result: an image file with its params, the clipboard, or a time-lapse.

Every export goes through a save dialog whose filter picks the format (PNG, JPEG, WebP,
16-bit TIFF; animated WebP or GIF for time-lapses). The dialog function is injectable
(``file_dialog``, same signature as ``QFileDialog.getSaveFileName``) so tests never open
a native dialog. Failures are shown as one clear sentence, never a traceback.

An image export then asks its options (``gui.export_dialog``, injectable as ``options``): a
print size and resolution, written into the file (PNG pHYs, JPEG JFIF, TIFF XResolution), the
print's pixel size if asked (never enlarged), JPEG quality; or "Render at print size" / "Queue at
print size", handed to ``render_at_size`` / ``queue_at_size`` instead of exporting.

The file is written in the background (a 16-bit TIFF or a 160-frame time-lapse takes
seconds): the functions return the chosen path at once, say "Exporting…" in the status bar
of a main-window parent, and report the outcome there (or the error, naming the file).
The image and time-lapse dialogs share the last folder used.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QStandardPaths
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QWidget

from nst_desktop.engine.spec.events import ImageArray, PreviewArray
from nst_desktop.engine.spec.region_masks import RegionMask
from nst_desktop.engine.spec.schedule import SIZE_LIMIT
from nst_desktop.gui import background
from nst_desktop.gui.background import run_in_background
from nst_desktop.gui.errors import show_error, user_message
from nst_desktop.gui.export_dialog import ExportChoice, ask_export_options
from nst_desktop.gui.qimage import array_to_qimage
from nst_desktop.io import images, masks
from nst_desktop.io.overwrite import Input, overwritten_input
from nst_desktop.io.timelapse import read_frames, write_timelapse

FileDialog = Callable[..., tuple[str, str]]
"""``(parent, caption, dir, filter, selectedFilter) -> (path, chosen filter)``."""

ErrorBox = Callable[[QWidget | None, str], object]
Done = Callable[[Path], object]
Confirm = Callable[[QWidget | None, str, str], bool]
"""``(parent, title, text) -> yes?`` (tests answer for the user)."""
OptionsDialog = Callable[..., ExportChoice | None]
"""``(parent, picture_wh, fmt, file_name, render_limit, can_queue) -> choice``: ``ask_export_options``."""
RenderAtSize = Callable[[int], object]
"""Paint the picture on show up to this long side (the window's promote)."""

# (filter text, extension written when the user typed none); the first is the default.
IMAGE_FILTERS: tuple[tuple[str, str], ...] = (
    ("PNG image (*.png)", ".png"),
    ("JPEG image (*.jpg *.jpeg)", ".jpg"),
    ("WebP image (*.webp)", ".webp"),
    ("16-bit TIFF for print (*.tif *.tiff)", ".tif"),
)
TIMELAPSE_FILTERS: tuple[tuple[str, str], ...] = (
    ("Animated WebP (*.webp)", ".webp"),
    ("Animated GIF (*.gif)", ".gif"),
)

_last_folder: Path | None = None


def last_folder() -> Path:
    """Where the next save dialog opens: the last folder used, else the Pictures folder."""
    if _last_folder is not None and _last_folder.is_dir():
        return _last_folder
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures) if pictures and Path(pictures).is_dir() else Path.home()


def used_folder() -> Path | None:
    """The folder the last export went to (None before any), to keep for the next launch."""
    return _last_folder


def set_last_folder(folder: Path | None) -> None:
    """Remember ``folder`` for the next dialog (the main window may restore it from settings)."""
    global _last_folder
    _last_folder = folder


def default_file_stem(content_path: str | os.PathLike[str] | None,
                      style_paths: Sequence[str | os.PathLike[str]] = ()) -> str:
    """A safe file name stem from the inputs, e.g. ``tubingen-starry_night``."""
    names = [_sanitise(Path(p).stem) for p in ([content_path] if content_path else [])]
    names += [_sanitise(Path(p).stem) for p in style_paths]
    stem = "-".join(n for n in names if n)
    return stem[:100].rstrip("-_.") or "stylized"


def _sanitise(name: str) -> str:
    # ASCII only, so the name survives every file system, zip tool and web upload form.
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_name.strip())
    return cleaned.strip("._-")[:48]


def export_image(
    parent: QWidget | None,
    image: npt.NDArray[np.generic],
    metadata: dict[str, Any] | None,
    default_stem: str,
    file_dialog: FileDialog | None = None,
    *,
    error_box: ErrorBox | None = None,
    on_done: Done | None = None,
    mask: RegionMask | None = None,
    inputs: Sequence[Input] = (),
    confirm: Confirm | None = None,
    options: OptionsDialog | None = None,
    render_at_size: RenderAtSize | None = None,
    queue_at_size: RenderAtSize | None = None,
) -> Path | None:
    """Ask where to save ``image`` and how (print size, resolution, quality), and save it with its
    params in the background; the path (``on_done(path)`` once written), or None if cancelled or
    the picture is to be painted at the print's size instead (``render_at_size(long_side)`` or
    ``queue_at_size(long_side)``). A ``mask`` is written
    beside it (``name.mask.png``), so ``--params`` on the export replays it. A path that would
    write over one of ``inputs`` (the photo, a style) is written only if the user says so."""
    path = _ask_path(parent, "Export image", default_stem, IMAGE_FILTERS, file_dialog)
    if path is None:
        return None
    height, width = image.shape[:2]
    ask = ask_export_options if options is None else options
    choice = ask(parent, (width, height), images.FORMATS[path.suffix.lower()], path.name,
                 SIZE_LIMIT if render_at_size is not None else None, queue_at_size is not None)
    if choice is None:
        return None
    if choice.action != "export":  # painted at the print's size first; exported once it is done
        paint = render_at_size if choice.action == "render" else queue_at_size
        if paint is not None:
            paint(choice.plan.needed_long_side)
        return None
    if not _may_replace(parent, path, inputs, mask is not None, confirm):
        return None

    def write() -> None:
        if mask is not None:
            masks.save_beside(mask, path)
        images.save_image(_for_print(_as_float(image), choice), path,
                          masks.with_mask_file(metadata, path) if metadata is not None else None,
                          quality=choice.quality, dpi=choice.plan.dpi)

    _write_in_background(parent, path, "the image", error_box, on_done, write)
    return path


def _may_replace(parent: QWidget | None, path: Path, inputs: Sequence[Input], mask: bool,
                 confirm: Confirm | None) -> bool:
    """True unless saving to ``path`` would replace an input and the user does not want that.
    The save dialog's own "replace?" reads like any other file's: this one says what is lost."""
    clash = overwritten_input(path, inputs, mask=mask)
    if clash is None:
        return True
    written, role = clash
    ask = ask_replace if confirm is None else confirm
    return ask(parent, "Replace an input?",
               f"{written.name} is {role}.\n\nExporting there replaces it with the painting; "
               "it cannot be brought back. Replace it?")


def ask_replace(parent: QWidget | None, title: str, text: str) -> bool:
    """Replace or Cancel, Cancel the default: a stray Enter keeps the photo."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Cancel, parent)
    replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is replace


def export_timelapse(
    parent: QWidget | None,
    frames: Sequence[npt.NDArray[np.uint8]] | str | os.PathLike[str],
    default_stem: str,
    file_dialog: FileDialog | None = None,
    *,
    fps: float = 12,
    error_box: ErrorBox | None = None,
    on_done: Done | None = None,
) -> Path | None:
    """Ask where to save the run's previews as an animation; the path, or None if cancelled.

    ``frames`` is a list of uint8 previews, or the path of a stored animation (a history
    entry's ``timelapse_path``) which is re-encoded in the chosen format.
    """
    path = _ask_path(parent, "Export time-lapse", f"{default_stem}-timelapse", TIMELAPSE_FILTERS,
                     file_dialog)
    if path is None:
        return None
    source = frames if isinstance(frames, (str, os.PathLike)) else list(frames)

    def write() -> None:
        write_timelapse(read_frames(source) if isinstance(source, (str, os.PathLike)) else source, path, fps)

    _write_in_background(parent, path, "the time-lapse", error_box, on_done, write)
    return path


def _write_in_background(parent: QWidget | None, path: Path, what: str, error_box: ErrorBox | None,
                         on_done: Done | None, write: Callable[[], object]) -> None:
    """Run ``write`` in a worker; the outcome goes to the status bar, an error to ``error_box``."""
    status = parent.statusBar() if isinstance(parent, QMainWindow) else None
    if status is not None:
        status.showMessage(f"Exporting {what} to {path.name}…")

    def written(_: object) -> None:
        if status is not None:
            status.showMessage(f"Exported {path.name}.", 5000)
        if on_done is not None:
            on_done(path)

    def failed(exc: object) -> None:
        if status is not None:
            status.clearMessage()
        reason = user_message(exc) if isinstance(exc, Exception) else str(exc)
        named = "" if path.name in reason else f" ({path})"
        box = show_error if error_box is None else error_box
        box(parent, f"Could not export {what}. {reason}{named}")

    run_in_background(write, on_success=written, on_failure=failed)


def exports_pending() -> int:
    """Background jobs still running (exports among them): tests and closing wait on it."""
    return background.pending()


def copy_image_to_clipboard(image: ImageArray | PreviewArray) -> None:
    """Put ``image`` on the system clipboard (paste it into any painting app)."""
    QGuiApplication.clipboard().setImage(array_to_qimage(image))


def _ask_path(
    parent: QWidget | None,
    caption: str,
    stem: str,
    filters: tuple[tuple[str, str], ...],
    file_dialog: FileDialog | None,
) -> Path | None:
    ask = QFileDialog.getSaveFileName if file_dialog is None else file_dialog
    start = last_folder() / f"{stem}{filters[0][1]}"
    filter_text = ";;".join(text for text, _ in filters)
    chosen, chosen_filter = ask(parent, caption, str(start), filter_text, filters[0][0])
    if not chosen:
        return None
    path = _with_extension(Path(chosen), chosen_filter, filters)
    set_last_folder(path.parent)
    return path


def _with_extension(path: Path, chosen_filter: str, filters: tuple[tuple[str, str], ...]) -> Path:
    """The typed extension wins when it is one we write; otherwise the filter's is added."""
    known = {ext for text, _ in filters for ext in re.findall(r"\*(\.\w+)", text)}
    if path.suffix.lower() in known:
        return path
    default_ext = next((ext for text, ext in filters if text == chosen_filter), filters[0][1])
    return path.with_name(path.name + default_ext)


def _for_print(image: npt.NDArray[np.float32], choice: ExportChoice) -> npt.NDArray[np.float32]:
    """The picture at the pixel size the print asks for: scaled down when asked, never up."""
    width, height = choice.plan.output_wh
    if (height, width) == image.shape[:2]:
        return image
    small: npt.NDArray[np.float32] = images.thumbnail(image, max(width, height))
    return small


def _as_float(image: npt.NDArray[np.generic]) -> npt.NDArray[np.float32]:
    if image.dtype == np.uint8:
        return image.astype(np.float32) / np.float32(255.0)
    return np.asarray(image, dtype=np.float32)
