"""Compare two history entries: the images (split slider or side by side), each with its
after-touches as the history strip shows it, and what differs.

Artists iterate by changing one or two settings; the table lists only the params that
differ so the cause of a change in look is obvious.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.gui import describe
from nst_desktop.gui.entry_looks import entry_looks
from nst_desktop.gui.qimage import array_to_qimage
from nst_desktop.io.library import Entry


class SplitView(QWidget):
    """Two images over each other: A left of the split line, B right of it; or side by side."""

    def __init__(self, pixmap_a: QPixmap, pixmap_b: QPixmap, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pixmap_a = pixmap_a
        self.pixmap_b = pixmap_b
        self.split = 0.5  # fraction of the width showing A
        self.side_by_side = False
        self.setMinimumSize(320, 240)

    def sizeHint(self) -> QSize:
        return QSize(800, 560)

    def set_split(self, fraction: float) -> None:
        self.split = min(1.0, max(0.0, fraction))
        self.update()

    def set_side_by_side(self, on: bool) -> None:
        self.side_by_side = on
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), self.palette().window())
        if self.side_by_side:
            half = self.width() // 2
            left = QRect(0, 0, half - 2, self.height())
            right = QRect(half + 2, 0, self.width() - half - 2, self.height())
            painter.drawPixmap(_fit(self.pixmap_a, left), self.pixmap_a)
            painter.drawPixmap(_fit(self.pixmap_b, right), self.pixmap_b)
        else:
            # Both images share one frame (B's size) so the split compares the same pixels.
            target = _fit(self.pixmap_b, self.rect())
            split_x = target.left() + round(target.width() * self.split)
            painter.drawPixmap(target, self.pixmap_b)
            painter.setClipRect(QRect(target.left(), target.top(), split_x - target.left(), target.height()))
            painter.drawPixmap(target, self.pixmap_a)
            painter.setClipping(False)
            painter.setPen(QPen(QColor(255, 255, 255, 220), 2))
            painter.drawLine(split_x, target.top(), split_x, target.bottom())
        painter.end()


def _fit(pixmap: QPixmap, area: QRect) -> QRect:
    """The largest rectangle with the pixmap's aspect ratio centred in ``area``."""
    if pixmap.isNull() or area.width() <= 0 or area.height() <= 0:
        return area
    size = pixmap.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    return QRect(area.left() + (area.width() - size.width()) // 2,
                 area.top() + (area.height() - size.height()) // 2, size.width(), size.height())


def _looks(entry: Entry) -> tuple[QPixmap, str]:
    """The entry's picture with its after-touches, and a note (" (…)") on what is missing."""
    image, missing = entry_looks(entry)
    pixmap = QPixmap.fromImage(array_to_qimage(image)) if image is not None else QPixmap()
    return pixmap, f" ({missing})" if missing else ""


def differing_params(meta_a: dict[str, Any], meta_b: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(label, value in A, value in B)`` for each setting, input, blend, after-touch or live
    edit that differs, in the words of the params panel (see gui.describe)."""
    if describe.record_params(meta_a) is not None and describe.record_params(meta_b) is not None:
        return describe.record_rows(meta_a, meta_b)
    # Old or foreign metadata: compare the raw params dicts instead of dropping the table.
    raw_a, raw_b = meta_a.get("params", {}), meta_b.get("params", {})
    if not isinstance(raw_a, dict) or not isinstance(raw_b, dict):
        return []
    return [(describe.field_label(key), describe.value_text(key, raw_a.get(key)),
             describe.value_text(key, raw_b.get(key)))
            for key in sorted(set(raw_a) | set(raw_b)) if raw_a.get(key) != raw_b.get(key)]


class CompareDialog(QDialog):
    """Two history entries side by side (or split) with a table of the params that differ."""

    def __init__(self, entry_a: Entry, entry_b: Entry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare {entry_a.title} and {entry_b.title}")
        self.entry_a, self.entry_b = entry_a, entry_b
        (pixmap_a, note_a), (pixmap_b, note_b) = _looks(entry_a), _looks(entry_b)
        self.view = SplitView(pixmap_a, pixmap_b, self)

        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 1000)
        self.slider.setValue(500)
        self.slider.setToolTip("Drag to move the line between the two images")
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.side_check = QCheckBox("Side by side", self)
        self.side_check.toggled.connect(self._on_side_toggled)
        controls = QHBoxLayout()
        self.label_a = QLabel(f"A: {entry_a.title}{note_a}", self)
        self.label_b = QLabel(f"B: {entry_b.title}{note_b}", self)
        controls.addWidget(self.label_a)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.label_b)
        controls.addWidget(self.side_check)

        self.rows = differing_params(entry_a.metadata, entry_b.metadata)
        self.table = QTableWidget(len(self.rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Setting", "A", "B"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, values in enumerate(self.rows):
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(value))
        self.table.setMaximumHeight(180)
        summary = QLabel("Same settings." if not self.rows else f"{len(self.rows)} setting(s) differ:", self)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(controls)
        layout.addWidget(summary)
        layout.addWidget(self.table)
        layout.addWidget(buttons)

    def _on_slider_moved(self, value: int) -> None:
        self.view.set_split(value / 1000)

    def _on_side_toggled(self, on: bool) -> None:
        self.view.set_side_by_side(on)
        self.slider.setEnabled(not on)
