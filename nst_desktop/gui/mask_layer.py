"""The painted mask as a model: a label image at the photo's size, its regions, and undo.

Widgets change it only through these methods (strokes, fill, clear, invert, region settings)
so that every change is undoable and announced once: ``changed`` for pixels (the overlay
repaints), ``settingsChanged`` for what the regions become. No torch here: the run gets
:meth:`MaskLayer.region_mask`, a plain :class:`~nst_desktop.engine.spec.region_masks.RegionMask`.

A brush's *hardness* below 1 dithers the edge of each dab (ordered 4x4 Bayer pattern): the
label image itself is hard, but the engine's feathering averages the dither into a soft
ramp, so a soft brush gives a soft transition where the artist wanted one.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QImage

from nst_desktop.engine.spec.region_masks import (
    MAX_REGIONS,
    MaskSettings,
    Region,
    RegionMask,
    UnpaintedMode,
    painted_labels,
)

OVERLAY_ALPHA = 110  # of 255: the photo stays readable under the tint
MAX_UNDO = 50
_BAYER = (np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]]) + 0.5) / 16.0

Labels = npt.NDArray[np.uint8]
Patch = tuple[int, int, Labels]  # top, left, the pixels before the change


class MaskLayer(QObject):
    changed = Signal()
    settingsChanged = Signal()
    activeRegionChanged = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._labels: Labels | None = None
        self._settings = MaskSettings((Region(1, (0,)),))
        self._active = 1
        self.brush_size = 40.0  # diameter, in photo pixels
        self.hardness = 1.0
        self._undo: list[Patch] = []
        self._redo: list[Patch] = []
        self._before: Labels | None = None  # the labels when the current stroke began
        self._last: tuple[float, float] | None = None
        self._erase = False
        self._overlay: QImage | None = None
        # The painted region numbers, worked out once per change: on a 48 MP photo a pass over
        # the labels costs ~130 ms, too long for the GUI thread at every run's start.
        self._present: frozenset[int] | None = frozenset()

    # --- state ----------------------------------------------------------------------------------
    def reset(self, hw: tuple[int, int]) -> None:
        """A blank mask of ``hw`` (the photo's height, width); forgets the undo history."""
        self._labels = np.zeros(hw, np.uint8)
        self._undo.clear()
        self._redo.clear()
        self._changed()
        self._present = frozenset()  # blank: nothing to count

    def set_labels(self, labels: Labels) -> None:
        """Show a mask loaded from a file or a history entry (undoable, like a stroke)."""
        self._begin()
        self._labels = np.array(labels, dtype=np.uint8)
        self._commit()

    def labels(self) -> Labels | None:
        return self._labels

    def settings(self) -> MaskSettings:
        return self._settings

    def active_region(self) -> int:
        return self._active

    def set_active_region(self, index: int) -> None:
        if index != self._active and self._settings.region(index) is not None:
            self._active = index
            self.activeRegionChanged.emit(index)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    # --- regions --------------------------------------------------------------------------------
    def set_settings(self, settings: MaskSettings) -> None:
        self._settings = settings
        if settings.region(self._active) is None and settings.regions:
            self.set_active_region(settings.regions[0].index)
        self.settingsChanged.emit()

    def set_region(self, region: Region) -> None:
        others = tuple(r for r in self._settings.regions if r.index != region.index)
        self.set_settings(replace(self._settings, regions=(*others, region)))
        self._overlay = None  # its colour may have changed
        self.changed.emit()

    def add_region(self, n_styles: int) -> Region | None:
        """A new region taking the next style in turn; None when all MAX_REGIONS exist."""
        used = {r.index for r in self._settings.regions}
        free = [k for k in range(1, MAX_REGIONS + 1) if k not in used]
        if not free:
            return None
        region = Region(free[0], ((free[0] - 1) % max(1, n_styles),))
        self.set_region(region)
        self.set_active_region(region.index)
        return region

    def set_unpainted(self, mode: UnpaintedMode, style: int = 0) -> None:
        self.set_settings(replace(self._settings, unpainted=mode, unpainted_style=style))

    def set_feather(self, feather_px: float) -> None:
        self.set_settings(replace(self._settings, feather_px=feather_px))

    def painted_regions(self) -> frozenset[int]:
        """The region numbers painted somewhere (0, unpainted, excluded)."""
        if self._present is None:
            self._present = frozenset() if self._labels is None else frozenset(painted_labels(self._labels))
        return self._present

    def region_mask(self) -> RegionMask | None:
        """The mask a run uses: painted regions only; None when there is nothing to use."""
        if self._labels is None:
            return None
        present = self.painted_regions()
        if not present and self._settings.unpainted == "keep_photo":
            return None
        regions = tuple(r for r in self._settings.regions if r.index in present)
        return RegionMask(self._labels.copy(), replace(self._settings, regions=regions))

    # --- painting (coordinates in photo pixels) -------------------------------------------------
    def begin_stroke(self, x: float, y: float, erase: bool = False) -> None:
        if self._labels is None:
            return
        self._begin()
        self._erase = erase
        self._last = (x, y)
        self._dab(x, y)
        self._changed()

    def stroke_to(self, x: float, y: float) -> None:
        if self._labels is None or self._last is None:
            return
        x0, y0 = self._last
        spacing = max(1.0, self.brush_size / 8)  # dabs close enough that the edge stays round
        count = max(1, math.ceil(math.hypot(x - x0, y - y0) / spacing))
        for i in range(1, count + 1):
            t = i / count
            self._dab(x0 + (x - x0) * t, y0 + (y - y0) * t)
        self._last = (x, y)
        self._changed()

    def end_stroke(self) -> None:
        if self._last is not None:
            self._last = None
            self._commit()

    def fill(self, x: float, y: float) -> None:
        """Flood-fill the connected area under (x, y) (4-neighbours) with the active region."""
        if self._labels is None or not self._inside(x, y):
            return
        self._begin()
        self._labels[flood(self._labels, int(y), int(x))] = self._active
        self._commit()

    def clear(self) -> None:
        if self._labels is not None:
            self._begin()
            self._labels[:] = 0
            self._commit()

    def invert(self) -> None:
        """Swap the active region and the unpainted area; other regions stay as they are."""
        if self._labels is not None:
            self._begin()
            region, blank = self._labels == self._active, self._labels == 0
            self._labels[region], self._labels[blank] = 0, self._active
            self._commit()

    def undo(self) -> None:
        self._swap(self._undo, self._redo)

    def redo(self) -> None:
        self._swap(self._redo, self._undo)

    # --- overlay --------------------------------------------------------------------------------
    def overlay(self) -> QImage:
        """The tinted layer (transparent where unpainted), cached until the next change."""
        if self._overlay is None:
            self._overlay = self._render_overlay()
        return self._overlay

    def _render_overlay(self) -> QImage:
        if self._labels is None:
            return QImage()
        lut = np.zeros((256, 4), np.uint8)  # premultiplied BGRA, as Format_ARGB32_Premultiplied stores it
        for index in range(1, MAX_REGIONS + 1):
            region = self._settings.region(index)
            colour = QColor(region.colour if region else Region(index, (0,)).colour)
            alpha = OVERLAY_ALPHA / 255
            lut[index] = [round(colour.blue() * alpha), round(colour.green() * alpha),
                          round(colour.red() * alpha), OVERLAY_ALPHA]
        pixels = np.ascontiguousarray(lut[self._labels])
        height, width = self._labels.shape
        image = QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_ARGB32_Premultiplied)
        return image.copy()  # own the pixels

    # --- internals ------------------------------------------------------------------------------
    def _inside(self, x: float, y: float) -> bool:
        assert self._labels is not None
        height: int = self._labels.shape[0]
        width: int = self._labels.shape[1]
        return 0 <= x < width and 0 <= y < height

    def _dab(self, x: float, y: float) -> None:
        assert self._labels is not None
        radius = max(0.5, self.brush_size / 2)
        height, width = self._labels.shape
        top, bottom = max(0, math.floor(y - radius)), min(height, math.ceil(y + radius) + 1)
        left, right = max(0, math.floor(x - radius)), min(width, math.ceil(x + radius) + 1)
        if top >= bottom or left >= right:
            return
        rows, cols = np.mgrid[top:bottom, left:right]
        distance = np.hypot(cols + 0.5 - x, rows + 0.5 - y)
        inner = radius * min(1.0, max(0.0, self.hardness))
        falloff = np.clip((radius - distance) / max(radius - inner, 1e-6), 0.0, 1.0)
        paint = falloff > _BAYER[rows % 4, cols % 4] if self.hardness < 1.0 else distance <= radius
        self._labels[top:bottom, left:right][paint] = 0 if self._erase else self._active

    def _begin(self) -> None:
        self._before = None if self._labels is None else self._labels.copy()

    def _commit(self) -> None:
        """Push what changed since _begin (its bounding box only) onto the undo stack."""
        before, self._before = self._before, None
        if before is not None and self._labels is not None and before.shape == self._labels.shape:
            rows, cols = np.nonzero(before != self._labels)
            if rows.size:
                top, left = int(rows.min()), int(cols.min())
                patch = before[top:rows.max() + 1, left:cols.max() + 1].copy()
                self._undo = [*self._undo[-(MAX_UNDO - 1):], (top, left, patch)]
                self._redo.clear()
        elif before is not None:
            self._undo.clear()  # a new size: old patches no longer fit
        self._changed()

    def _swap(self, source: list[Patch], target: list[Patch]) -> None:
        if not source or self._labels is None:
            return
        top, left, patch = source.pop()
        area = self._labels[top:top + patch.shape[0], left:left + patch.shape[1]]
        target.append((top, left, area.copy()))
        area[...] = patch
        self._changed()

    def _changed(self) -> None:
        self._overlay = None
        self._present = None
        self.changed.emit()


def flood(labels: Labels, y: int, x: int) -> npt.NDArray[np.bool_]:
    """The 4-connected area of ``labels[y, x]``'s value containing (y, x), by horizontal runs:
    one Python step per run, not per pixel, so filling a sky costs milliseconds."""
    same: npt.NDArray[np.bool_] = labels == labels[y, x]
    out = np.zeros_like(same)
    stack = [(y, x)]
    height = labels.shape[0]
    while stack:
        row, col = stack.pop()
        if out[row, col] or not same[row, col]:
            continue
        line = same[row]
        left = col - int(np.argmin(line[col::-1])) + 1 if not line[: col + 1].all() else 0
        right = col + (int(np.argmin(line[col:])) if not line[col:].all() else line.size - col)
        out[row, left:right] = True
        for other in (row - 1, row + 1):
            if 0 <= other < height:
                seeds = same[other, left:right] & ~out[other, left:right]
                starts = np.flatnonzero(seeds & ~np.concatenate(([False], seeds[:-1])))
                stack.extend((other, left + int(s)) for s in starts)
    return out
