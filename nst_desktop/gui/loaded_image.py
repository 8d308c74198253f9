"""An input image as the GUI holds it: the pixels, where they came from, and a thumbnail."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMimeData, QSize, Qt, QUrl
from PySide6.QtGui import QImage, QPixmap

from nst_desktop.engine.errors import ImageError
from nst_desktop.engine.events import ImageArray
from nst_desktop.gui.qimage import array_to_qimage, qimage_to_array
from nst_desktop.io.formats import dialog_filter

THUMB_SIZE = QSize(72, 72)
IMAGE_FILTER = dialog_filter()  # io owns the one list of image types


@dataclass
class LoadedImage:
    """Pixels (RGB float32 0..1), their file (None for pasted data) and a display name."""

    image: ImageArray
    path: Path | None
    name: str
    thumb: QPixmap = field(default_factory=QPixmap)

    def __post_init__(self) -> None:
        if self.thumb.isNull():
            self.thumb = make_thumb(self.image)


def make_thumb(image: ImageArray, size: QSize = THUMB_SIZE) -> QPixmap:
    """A small pixmap; subsample first so a 40 MP photo does not go through Qt whole."""
    step = max(1, min(image.shape[0], image.shape[1]) // (4 * size.height()))
    qimage = array_to_qimage(image[::step, ::step])
    scaled = qimage.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                           Qt.TransformationMode.SmoothTransformation)
    return QPixmap.fromImage(scaled)


def load_file(path: Path | str) -> LoadedImage:
    """Read an image file; raises :class:`ImageError` naming the file and the problem."""
    from nst_desktop.io.images import load_image  # Pillow: loaded on the first image only

    path = Path(path)
    image = load_image(path)  # io's one pixel limit (100 MP), the CLI's too
    return LoadedImage(image=image, path=path, name=path.name)


def from_qimage(qimage: QImage, name: str = "Pasted image") -> LoadedImage:
    if qimage.isNull():
        raise ImageError(name, "the clipboard image is empty")
    return LoadedImage(image=qimage_to_array(qimage), path=None, name=name)


def paths_from_mime(mime: QMimeData) -> list[Path]:
    """Local files named in dropped or pasted data (URLs, or plain text paths)."""
    urls = [QUrl(u) for u in mime.urls()] if mime.hasUrls() else []
    if not urls and mime.hasText():
        urls = [QUrl.fromUserInput(line.strip()) for line in mime.text().splitlines() if line.strip()]
    return [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]


def images_from_mime(mime: QMimeData) -> list[LoadedImage]:
    """Every image in ``mime``: files first, else raw image data. Raises ImageError."""
    paths = paths_from_mime(mime)
    if paths:
        return [load_file(p) for p in paths]
    if mime.hasImage():
        data = mime.imageData()
        qimage = data if isinstance(data, QImage) else QImage(data)
        return [from_qimage(qimage)]
    raise ImageError("Clipboard", "holds no image and no image file")
