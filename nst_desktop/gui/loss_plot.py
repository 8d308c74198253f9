"""A small live plot of the loss terms, drawn with QPainter on a log scale.

Loss terms span several decades and fall fast at first, so a log y axis is the only
scale on which all of them stay readable. No plotting library: a polyline per term.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

COLOURS = {
    "content": QColor(80, 160, 255),
    "style": QColor(255, 140, 60),
    "tv": QColor(120, 200, 120),
}
MAX_POINTS = 2000  # per term; beyond this, every other point is dropped


class LossPlot(QWidget):
    """Accumulates ``(step, {term: value})`` points and draws them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossPlot")
        # A sparkline beside the run controls: narrow enough that the Picture and Mask panels and
        # the picture fit a 1280 px screen together (issue 16.4); it grows with the window.
        self.setMinimumSize(110, 60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._series: dict[str, list[tuple[float, float]]] = {}
        self._markers: list[tuple[float, str]] = []  # (step, what changed): live edits
        self.setToolTip("Loss terms (log scale): they should fall and level off.")

    def sizeHint(self) -> QSize:
        return QSize(240, 80)

    def clear(self) -> None:
        self._series.clear()
        self._markers.clear()
        self.update()

    def add_marker(self, step: float, label: str) -> None:
        """A vertical line where a live edit landed: the curves jump there by design."""
        self._markers.append((float(step), label))
        tips = "\n".join(f"step {s:.0f}: {text}" for s, text in self._markers[-5:])
        self.setToolTip(f"Loss terms (log scale). Live edits:\n{tips}")
        self.update()

    def markers(self) -> list[tuple[float, str]]:
        return list(self._markers)

    def series(self) -> dict[str, list[tuple[float, float]]]:
        return {name: list(points) for name, points in self._series.items()}

    def add_point(self, step: float, losses: dict[str, float]) -> None:
        for name, value in losses.items():
            if not (value > 0 and math.isfinite(value)):
                continue  # log scale: zero, negative and NaN values cannot be drawn
            points = self._series.setdefault(name, [])
            points.append((float(step), float(value)))
            if len(points) > MAX_POINTS:
                self._series[name] = points[::2]
        self.update()

    def _bounds(self) -> tuple[float, float, float, float] | None:
        xs = [x for pts in self._series.values() for x, _ in pts]
        ys = [math.log10(y) for pts in self._series.values() for _, y in pts]
        if not xs:
            return None
        y_low, y_high = min(ys), max(ys)
        if y_high - y_low < 1e-6:
            y_low, y_high = y_low - 0.5, y_high + 0.5
        return min(xs), max(max(xs), min(xs) + 1), y_low, y_high

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        bounds = self._bounds()
        area = QRectF(self.rect()).adjusted(4, 14, -4, -4)
        if bounds is None:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Loss")
            return
        x0, x1, y0, y1 = bounds
        self._draw_decades(painter, area, y0, y1)
        self._draw_markers(painter, area, x0, x1)
        for name, points in self._series.items():
            poly = QPolygonF([
                QPointF(area.left() + (x - x0) / (x1 - x0) * area.width(),
                        area.bottom() - (math.log10(y) - y0) / (y1 - y0) * area.height())
                for x, y in points
            ])
            painter.setPen(QPen(self._colour(name), 1.5))
            painter.drawPolyline(poly)
        self._draw_legend(painter)

    def _colour(self, name: str) -> QColor:
        # the total follows the theme's text colour so it reads on light and dark palettes
        return COLOURS.get(name, self.palette().text().color())

    def _draw_decades(self, painter: QPainter, area: QRectF, y0: float, y1: float) -> None:
        grid = self.palette().mid().color()
        grid.setAlpha(90)
        painter.setPen(QPen(grid, 1, Qt.PenStyle.DotLine))
        for decade in range(math.ceil(y0), math.floor(y1) + 1):
            y = area.bottom() - (decade - y0) / (y1 - y0) * area.height()
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))

    def _draw_markers(self, painter: QPainter, area: QRectF, x0: float, x1: float) -> None:
        painter.setPen(QPen(QColor(220, 60, 200), 1.5, Qt.PenStyle.DashLine))
        for step, _ in self._markers:
            x = area.left() + (step - x0) / (x1 - x0) * area.width()
            painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))

    def _draw_legend(self, painter: QPainter) -> None:
        x = 6.0
        font = painter.font()
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        painter.setFont(font)
        for name in self._series:
            painter.setPen(self._colour(name))
            label = f"{name} {self._series[name][-1][1]:.3g}"
            painter.drawText(QPointF(x, 11), label)
            x += painter.fontMetrics().horizontalAdvance(label) + 10
