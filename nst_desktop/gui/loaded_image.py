"""An input image as the GUI holds it: the pixels, where they came from, a thumbnail and the
picture the canvas shows for it.

Everything here but :attr:`LoadedImage.thumb` may run in a worker thread (QImage is safe
there, QPixmap is not): :func:`load_file` and :func:`from_qimage` decode and convert once,
in the loading thread, so the GUI thread never converts a photo again (a blend-weight tick
used to re-convert the whole photo for the before/after view).

A big photo file is held decoded reduced (:data:`WORKING_LONG_SIDE`): a whole 48 MP photo in
float32 is 576 MB, and the window went to 1.6 GB on opening one (issue 16.11). A run that needs
more pixels decodes the file again at its own size, in the run's thread
(:meth:`LoadedImage.run_pixels`); ``full_hw`` keeps the photo's real size for whatever needs
only that (the estimate, the mask layer, the size shown under the photo).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QSize, Qt, QUrl
from PySide6.QtGui import QImage, QPixmap

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.engine.spec.events import ImageArray
from nst_desktop.gui.qimage import array_to_qimage, qimage_to_array, rgb32_qimage, to_uint8
from nst_desktop.io.formats import dialog_filter

THUMB_SIZE = QSize(72, 72)
DISPLAY_LONG_SIDE = 4096  # the canvas's copy of a photo: sharp on a 4K screen, 37 MB at most
#: A photo file is decoded reduced to a long side of at least this (io.images' reduced decoding:
#: under twice it for most files): the canvas, quick looks and runs up to this size use that copy.
WORKING_LONG_SIDE = 2048
IMAGE_FILTER = dialog_filter()  # io owns the one list of image types


@dataclass(eq=False)
class LoadedImage:
    """Pixels (RGB float32 0..1), their file (None for pasted data) and a display name;
    ``thumb_image`` and ``display`` are made from the pixels when not given. ``full_hw``: the
    photo's (height, width) in its file, when ``image`` holds it reduced (decoded at
    ``decoded_at`` long side: see :func:`load_file`)."""

    image: ImageArray
    path: Path | None
    name: str
    thumb_image: QImage = field(default_factory=QImage, repr=False)
    display: QImage = field(default_factory=QImage, repr=False)
    full_hw: tuple[int, int] = (0, 0)  # (0, 0): the image's own size
    decoded_at: int = 0  # the long side ``image`` was decoded for (0: the whole file)
    _pixmap: QPixmap | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.thumb_image.isNull():
            self.thumb_image = make_thumb_image(self.image)
        if self.full_hw == (0, 0):
            self.full_hw = (int(self.image.shape[0]), int(self.image.shape[1]))

    @property
    def reduced(self) -> bool:
        """True when ``image`` holds fewer pixels than the file."""
        return self.full_hw != (self.image.shape[0], self.image.shape[1])

    def run_pixels(self, long_side: int) -> tuple[ImageArray, int]:
        """Blocking (the run's thread): pixels with a long side of at least ``long_side`` where
        the file has them, and the long side they were decoded for (0: the whole file), which
        the picture's record keeps so that a replay decodes the very same pixels."""
        if not self.reduced or self.path is None:
            return self.image, self.decoded_at
        if long_side <= self.decoded_at:
            return self.image, self.decoded_at
        from nst_desktop.io.images import load_image

        return load_image(self.path, target_long_side=long_side), long_side

    @property
    def thumb(self) -> QPixmap:
        """The thumbnail as a pixmap (GUI thread only), made once."""
        if self._pixmap is None:
            self._pixmap = QPixmap.fromImage(self.thumb_image)
        return self._pixmap

    def display_image(self) -> QImage:
        """The photo as the canvas shows it, converted once (in the loading thread when
        it came through :func:`load_file` or :func:`from_qimage`)."""
        if self.display.isNull():
            self.display = display_qimage(self.image)
        return self.display


def make_thumb_image(image: ImageArray, size: QSize = THUMB_SIZE) -> QImage:
    """A small image; subsample first so a 48 MP photo does not go through Qt whole."""
    step = max(1, min(image.shape[0], image.shape[1]) // (4 * size.height()))
    return array_to_qimage(image[::step, ::step]).scaled(
        size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


def display_qimage(image: ImageArray, long_side: int = DISPLAY_LONG_SIDE) -> QImage:
    """``image`` as a QImage no longer than ``long_side`` (a whole 48 MP photo would be
    192 MB and slow to paint): averaged over whole blocks of pixels in NumPy, which lets
    the GUI thread run meanwhile (QImage.scaled held the GIL 0.7 s on 48 MP)."""
    height, width = image.shape[:2]
    factor = max(1, math.ceil(max(height, width) / long_side))
    if factor > 1:  # a sum of factor² strided views: far quicker than a reshaped mean
        rows, cols = height // factor, width // factor
        total = np.zeros((rows, cols, image.shape[2]), np.float32)
        for dy in range(factor):
            for dx in range(factor):
                total += image[dy::factor, dx::factor][:rows, :cols]
        image = (total / np.float32(factor * factor)).astype(np.float32, copy=False)
    return rgb32_qimage(to_uint8(image))


def load_file(path: Path | str, *, name: str | None = None, for_display: bool = False) -> LoadedImage:
    """Read an image file; raises :class:`ImageError` naming the file and the problem.
    Blocking (seconds for a camera photo): call it in a worker (``gui.background``).
    ``for_display`` (a photo, not a style) decodes a big file reduced to
    :data:`WORKING_LONG_SIDE` and converts the canvas's copy too."""
    from nst_desktop.io.images import image_size, load_image  # Pillow: loaded on the first image only

    path = Path(path)
    if not for_display:
        return LoadedImage(image=load_image(path), path=path, name=name or path.name)
    width, height = image_size(path)  # the header: io's one pixel limit (100 MP), the CLI's too
    image = load_image(path, target_long_side=WORKING_LONG_SIDE)
    reduced = (image.shape[0], image.shape[1]) != (height, width)
    loaded = LoadedImage(image=image, path=path, name=name or path.name, full_hw=(height, width),
                         decoded_at=WORKING_LONG_SIDE if reduced else 0)
    loaded.display_image()
    return loaded


def from_qimage(qimage: QImage, name: str = "Pasted image", *, for_display: bool = False) -> LoadedImage:
    if qimage.isNull():
        raise ImageError(name, "the clipboard image is empty")
    loaded = LoadedImage(image=qimage_to_array(qimage), path=None, name=name)
    if for_display:
        loaded.display_image()
    return loaded


def paths_from_mime(mime: QMimeData) -> list[Path]:
    """Local files named in dropped or pasted data (URLs, or plain text paths)."""
    urls = [QUrl(u) for u in mime.urls()] if mime.hasUrls() else []
    if not urls and mime.hasText():
        urls = [QUrl.fromUserInput(line.strip()) for line in mime.text().splitlines() if line.strip()]
    return [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]


def image_from_mime(mime: QMimeData) -> QImage:
    """The raw image data of ``mime`` (GUI thread: mime data belongs to it), detached."""
    data = mime.imageData()
    if isinstance(data, QPixmap):
        return data.toImage()
    return QImage(data) if isinstance(data, QImage) else QImage()
