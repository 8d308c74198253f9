"""The picture: zoom (fit, 100 %, wheel), pan (drag) and a before/after split view.

A plain QWidget painting with QPainter is enough here and keeps the split view simple:
the "before" image (the content photo, or an older result) is scaled into the same
rectangle as the "after" image and drawn left of the split line, which you can drag.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

MIN_ZOOM = 0.05
MAX_ZOOM = 16.0
ZOOM_STEP = 1.25
SPLIT_GRAB_PX = 8  # how close to the split line a press grabs it


class Canvas(QWidget):
    """Shows the current image; ``set_before`` gives the image to compare against."""

    zoomChanged = Signal(float)
    splitChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._caption = ""
        self.setObjectName("canvas")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 150)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self._image = QImage()
        self._before = QImage()
        self._zoom = 1.0
        self._fit = True
        self._offset = QPointF(0.0, 0.0)  # pan, in widget pixels from the centred position
        self._split_on = False
        self._split = 0.5  # position of the split line, 0..1 across the image
        self._drag: str | None = None
        self._drag_start = QPointF()
        self._offset_start = QPointF()
        self.placeholder = "Drop a photo here, or use File ▸ Open photo…"

    # --- state ---------------------------------------------------------------------------------
    def image(self) -> QImage:
        return self._image

    def set_image(self, image: QImage) -> None:
        """Show ``image``; keeps zoom and pan when the size is unchanged (live previews)."""
        old = self._image
        self._image = image
        if not self._fit and not old.isNull() and not image.isNull() and image.width() != old.width():
            # coarse-to-fine scales grow the image: keep its size on screen constant
            self._zoom = max(MIN_ZOOM, min(MAX_ZOOM, self._zoom * old.width() / image.width()))
        self.update()
        if self._fit:
            self.zoomChanged.emit(self.zoom())

    def set_before(self, image: QImage) -> bool:
        """Compare against ``image``; False (and no repaint) when it is already the one."""
        if image.cacheKey() == self._before.cacheKey():
            return False  # the same photo again (a blend tick): nothing to redraw
        self._before = image
        self.update()
        return True

    def before(self) -> QImage:
        return self._before

    def zoom(self) -> float:
        return self._fit_zoom() if self._fit else self._zoom

    def smooth_scaling(self) -> bool:
        """Smooth when fitting (a small early-scale preview blown up to the window must not
        look like a mosaic); crisp pixels only when the user zooms in far on purpose."""
        return self._fit or self.zoom() < 2.0

    def is_fit(self) -> bool:
        return self._fit

    def split_enabled(self) -> bool:
        return self._split_on

    def split_position(self) -> float:
        return self._split

    # --- view commands (menu actions) ----------------------------------------------------------
    def fit(self) -> None:
        self._fit = True
        self._offset = QPointF(0.0, 0.0)
        self.update()
        self.zoomChanged.emit(self.zoom())

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / ZOOM_STEP)

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the image point under ``anchor`` (widget coordinates) in place."""
        old = self.zoom()
        new = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if anchor is not None and old > 0:
            centre = QPointF(self.width() / 2, self.height() / 2) + self._offset
            self._offset += (anchor - centre) * (1 - new / old)
        self._fit = False
        self._zoom = new
        self.update()
        self.zoomChanged.emit(new)

    def set_split_enabled(self, on: bool) -> None:
        if on != self._split_on:
            self._split_on = on
            self.update()
            self.splitChanged.emit(on)

    def toggle_split(self) -> None:
        self.set_split_enabled(not self._split_on)

    def set_split_position(self, fraction: float) -> None:
        self._split = max(0.0, min(1.0, fraction))
        self.update()

    # --- geometry -------------------------------------------------------------------------------
    def _fit_zoom(self) -> float:
        if self._image.isNull():
            return 1.0
        ratio = self.devicePixelRatioF()
        scale_w = self.width() * ratio / self._image.width()
        scale_h = self.height() * ratio / self._image.height()
        return min(scale_w, scale_h, MAX_ZOOM)

    def image_rect(self) -> QRectF:
        """Where the image is drawn, in widget coordinates."""
        if self._image.isNull():
            return QRectF()
        scale = self.zoom() / self.devicePixelRatioF()  # zoom 1 = one image pixel per device pixel
        w, h = self._image.width() * scale, self._image.height() * scale
        offset = QPointF(0.0, 0.0) if self._fit else self._offset
        centre = QPointF(self.width() / 2, self.height() / 2) + offset
        return QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)

    def _split_x(self, rect: QRectF) -> float:
        return rect.left() + self._split * rect.width()

    # --- painting -------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window().color().darker(115))
        if self._image.isNull():
            painter.setPen(self.palette().text().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            return
        rect = self.image_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.smooth_scaling())
        painter.drawImage(rect, self._image)
        if self._split_on and not self._before.isNull():
            self._paint_before(painter, rect)
        if self._caption:
            self._paint_caption(painter)

    def set_caption(self, text: str) -> None:
        """A small badge over the picture saying what it is ("Stopped at 256 px of 512")."""
        self._caption = text
        self.update()

    def caption(self) -> str:
        return self._caption

    def _paint_caption(self, painter: QPainter) -> None:
        metrics = painter.fontMetrics()
        box = QRectF(8, 8, metrics.horizontalAdvance(self._caption) + 16, metrics.height() + 8)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self._caption)

    def _paint_before(self, painter: QPainter, rect: QRectF) -> None:
        x = self._split_x(rect)
        painter.save()
        painter.setClipRect(QRectF(rect.left(), rect.top(), x - rect.left(), rect.height()))
        painter.drawImage(rect, self._before)
        painter.restore()
        painter.setPen(QPen(QColor(255, 255, 255, 220), 2))
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        handle = QRectF(x - 7, rect.center().y() - 18, 14, 36)
        painter.setBrush(QColor(255, 255, 255, 200))
        painter.setPen(QPen(QColor(0, 0, 0, 120), 1))
        painter.drawRoundedRect(handle, 5, 5)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(QRectF(rect.left() + 8, rect.top() + 6, 80, 20), "Before")
        painter.drawText(QRectF(rect.right() - 88, rect.top() + 6, 80, 20),
                         Qt.AlignmentFlag.AlignRight, "After")

    # --- input ----------------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_zoom(self.zoom() * ZOOM_STEP**steps, anchor=event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._image.isNull():
            return
        rect = self.image_rect()
        pos = event.position()
        near_split = abs(pos.x() - self._split_x(rect)) <= SPLIT_GRAB_PX
        if self._split_on and near_split and rect.top() <= pos.y() <= rect.bottom():
            self._drag = "split"
        else:
            self._drag = "pan"
            if self._fit:  # start panning from where the fitted image is
                self._zoom, self._fit = self._fit_zoom(), False
            self._drag_start, self._offset_start = pos, QPointF(self._offset)
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag == "split":
            rect = self.image_rect()
            if rect.width() > 0:
                self.set_split_position((pos.x() - rect.left()) / rect.width())
        elif self._drag == "pan":
            self._offset = self._offset_start + (pos - self._drag_start)
            self.update()
        elif self._split_on and not self._image.isNull():
            near = abs(pos.x() - self._split_x(self.image_rect())) <= SPLIT_GRAB_PX
            self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        self.unsetCursor()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self._fit:
            self.set_zoom(1.0, anchor=event.position())
        else:
            self.fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.toggle_split()
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit:
            self.zoomChanged.emit(self.zoom())
