"""Conversions between NumPy images and Qt images, done in the GUI thread.

Worker threads hand over NumPy arrays only (QPixmap must not be touched outside the GUI
thread); these helpers turn them into QImage cheaply (one copy of a uint8 buffer).
"""

from __future__ import annotations

import sys

import numpy as np
import numpy.typing as npt
from PySide6.QtGui import QImage, QPainter

from nst_desktop.engine.spec import events


def to_uint8(image: events.ImageArray | events.PreviewArray) -> events.PreviewArray:
    """A contiguous uint8 (H, W, 3) copy of a float 0..1 or uint8 RGB image."""
    out = events.to_uint8(image)
    if out.ndim == 2:
        out = np.repeat(out[:, :, None], 3, axis=2)
    return np.ascontiguousarray(out[:, :, :3])


def array_to_qimage(image: events.ImageArray | events.PreviewArray) -> QImage:
    """A QImage that owns its pixels (safe after ``image`` is freed)."""
    data = to_uint8(image)
    height, width = data.shape[:2]
    qimage = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return qimage.copy()  # detach from the NumPy buffer


def rgb32_qimage(pixels: npt.NDArray[np.uint8]) -> QImage:
    """A QImage in the format the painter draws fastest (no conversion on every paint),
    laid out by NumPy: safe in a worker thread, where Qt's own conversions and scaling
    would hold Python's GIL for the whole image and freeze the GUI thread."""
    if sys.byteorder != "little":
        return array_to_qimage(pixels)
    height, width = pixels.shape[:2]
    bgra = np.empty((height, width, 4), np.uint8)  # 0xffRRGGBB as little-endian words
    bgra[..., :3] = pixels[..., 2::-1]
    bgra[..., 3] = 255
    qimage = QImage(bgra.data, width, height, 4 * width, QImage.Format.Format_RGB32)
    return qimage.copy()  # one plain copy: the QImage owns its pixels


def qimage_to_array(qimage: QImage) -> npt.NDArray[np.float32]:
    """RGB float32 0..1 array from any QImage (alpha composited on white)."""
    if qimage.hasAlphaChannel():
        flat = QImage(qimage.size(), QImage.Format.Format_RGB888)
        flat.fill(0xFFFFFFFF)
        painter = QPainter(flat)
        painter.drawImage(0, 0, qimage)
        painter.end()
        qimage = flat
    rgb = qimage.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    buffer = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=stride * height)
    pixels = buffer.reshape(height, stride)[:, : 3 * width].reshape(height, width, 3)
    return pixels.astype(np.float32) / 255.0
