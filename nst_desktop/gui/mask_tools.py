"""Painting the mask on the canvas: a transparent layer widget laid over the Canvas.

It needs nothing from the canvas but its public geometry (``image_rect()``): it is a child
widget covering the canvas, so Qt paints it after the canvas whenever the canvas repaints
(zoom, pan, a new preview) and the tint always sits on the picture. While a tool is active
it takes the mouse: a left drag paints, erases or fills in photo pixels; a middle or right
drag is handed to the canvas as its own (left) pan drag, and the wheel is handed to
the canvas, so zoom and pan work while painting.
With no tool it is transparent for the mouse and the canvas behaves as before.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from nst_desktop.gui.canvas import Canvas
from nst_desktop.gui.mask_layer import MaskLayer

Tool = Literal["none", "brush", "eraser", "fill"]
_PAN_BUTTONS = (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton)


class MaskOverlay(QWidget):
    """Shows ``layer`` tinted over ``canvas`` and turns mouse drags into mask edits."""

    toolChanged = Signal(str)
    shownChanged = Signal(bool)

    def __init__(self, canvas: Canvas, layer: MaskLayer) -> None:
        super().__init__(canvas)
        self.setObjectName("maskOverlay")
        self.canvas, self.layer = canvas, layer
        self._tool: Tool = "none"
        self._shown = True
        self._cursor: QPointF | None = None
        self._panning = False
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setGeometry(canvas.rect())
        canvas.installEventFilter(self)  # follow the canvas's size
        layer.changed.connect(self.update)
        self.show()

    # --- state ----------------------------------------------------------------------------------
    def tool(self) -> Tool:
        return self._tool

    def set_tool(self, tool: Tool) -> None:
        if tool == self._tool:
            return
        self._tool = tool
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, tool == "none")
        self.setCursor(Qt.CursorShape.PointingHandCursor if tool == "fill" else Qt.CursorShape.CrossCursor)
        if tool == "none":
            self.unsetCursor()
            self._cursor = None
        self.update()
        self.toolChanged.emit(tool)

    def is_shown(self) -> bool:
        return self._shown

    def set_shown(self, shown: bool) -> None:
        if shown != self._shown:
            self._shown = shown
            self.update()
            self.shownChanged.emit(shown)

    def to_photo(self, pos: QPointF) -> tuple[float, float] | None:
        """Widget position -> (x, y) in mask (photo) pixels; None without a picture or mask.

        Goes through the fraction of the shown picture, so it holds while the canvas shows a
        smaller coarse-scale preview or a result of another resolution than the photo."""
        labels = self.layer.labels()
        rect = self.canvas.image_rect()
        if labels is None or rect.isEmpty():
            return None
        return ((pos.x() - rect.left()) / rect.width() * labels.shape[1],
                (pos.y() - rect.top()) / rect.height() * labels.shape[0])

    def brush_radius_px(self) -> float:
        """The brush's radius on screen, in widget pixels."""
        labels = self.layer.labels()
        rect = self.canvas.image_rect()
        if labels is None or rect.isEmpty():
            return 0.0
        width: int = labels.shape[1]
        return self.layer.brush_size / 2 * rect.width() / width

    # --- Qt -------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.canvas and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.canvas.rect())
        return False

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.canvas.image_rect()
        if rect.isEmpty():
            return
        painter = QPainter(self)
        if self._shown and self.layer.labels() is not None:
            # crisp edges when zoomed in: the artist paints pixels and must see which
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.canvas.zoom() < 1.0)
            painter.drawImage(rect, self.layer.overlay())
        if self._cursor is not None and self._tool in ("brush", "eraser"):
            radius = self.brush_radius_px()
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(0, 0, 0, 160), 3))
            painter.drawEllipse(self._cursor, radius, radius)
            painter.setPen(QPen(QColor(255, 255, 255, 230), 1))
            painter.drawEllipse(self._cursor, radius, radius)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() in _PAN_BUTTONS:
            self._panning = True
            self._forward(event)
            return
        point = self.to_photo(event.position())
        if event.button() != Qt.MouseButton.LeftButton or point is None:
            return
        if self._tool == "fill":
            self.layer.fill(*point)
        elif self._tool in ("brush", "eraser"):
            self.layer.begin_stroke(*point, erase=self._tool == "eraser")

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._panning:
            self._forward(event)
            return
        self._cursor = event.position()
        point = self.to_photo(event.position())
        if point is not None and event.buttons() & Qt.MouseButton.LeftButton and self._tool != "fill":
            self.layer.stroke_to(*point)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._panning and event.button() in _PAN_BUTTONS:
            self._panning = False
            self._forward(event)
        elif event.button() == Qt.MouseButton.LeftButton:
            self.layer.end_stroke()

    def leaveEvent(self, event: QEvent) -> None:
        self._cursor = None
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        # Handed on explicitly: Qt does not propagate a synthesised wheel event to the parent.
        QApplication.sendEvent(self.canvas, event.clone())
        event.accept()

    def _forward(self, event: QMouseEvent) -> None:
        """Hand a middle/right drag to the canvas as the left drag it pans with (same coordinates:
        this widget covers the canvas exactly)."""
        kind, left, no = event.type(), Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
        button = no if kind == QEvent.Type.MouseMove else left
        held = no if kind == QEvent.Type.MouseButtonRelease else left
        QApplication.sendEvent(self.canvas, QMouseEvent(kind, event.position(), event.globalPosition(),
                                                        button, held, event.modifiers()))
