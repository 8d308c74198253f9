"""The Mask dock: paint where each style goes, in the main window.

Owns the :class:`MaskLayer` (the label image at the photo's size), the :class:`MaskOverlay`
over the canvas and the :class:`MaskPanel` in a dock that is hidden until View ▸ Mask opens
it. The rule for a run: the mask is used when the dock is open and something is painted;
otherwise the run is a normal one (closing the dock turns the mask off and keeps the paint).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.engine.spec.live import MASK
from nst_desktop.engine.spec.region_masks import RegionMask
from nst_desktop.gui.canvas import Canvas
from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.mask_layer import MaskLayer
from nst_desktop.gui.mask_panel import MaskPanel
from nst_desktop.gui.mask_tools import MaskOverlay
from nst_desktop.gui.worker import RunThread

# Wide enough for the tools and a region row of two styles (more styles: a scroll bar); with the
# Picture panel's 340 and the picture's own minimum it leaves the window inside a 1280 px screen
# (issue 16.4).
MIN_WIDTH = 300
REPAINT_DEBOUNCE_MS = 150  # a brush stroke changes the mask per dab; the run gets it a few times a second


class MaskDock(QObject):
    def __init__(self, window: QMainWindow, canvas: Canvas, inputs: InputsPanel) -> None:
        super().__init__(window)
        self.inputs = inputs
        self.layer = MaskLayer(self)
        self.overlay = MaskOverlay(canvas, self.layer)
        self.panel = MaskPanel(self.layer, self.overlay)
        self.dock = QDockWidget("Mask", window)
        self.dock.setObjectName("maskDock")
        self.dock.setWidget(self._scrolled(self.panel))
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                              | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self.overlay.set_shown(False)
        self.dock.toggleViewAction().toggled.connect(self._on_opened)
        self._photo: object = None  # the photo array the layer was made for
        self._names: list[str] = []
        inputs.changed.connect(self.on_inputs_changed)
        self._runner: RunThread | None = None
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(REPAINT_DEBOUNCE_MS)
        self._repaint.timeout.connect(self._send_repaint)

    @staticmethod
    def _scrolled(panel: MaskPanel) -> QScrollArea:
        """The panel in a scroll area: the dock's width no longer has to hold every region's
        row whole, so it fits beside the other panels on a 1280 px screen (issue 16.4)."""
        scroll = QScrollArea()
        scroll.setObjectName("maskScroll")
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumWidth(MIN_WIDTH)
        return scroll

    def follow_runs(self, runner: RunThread) -> None:
        """Repainting while ``runner`` paints lands at its next step (the "mask" live edit)."""
        self._runner = runner
        self.layer.changed.connect(self._repaint.start)
        self.layer.settingsChanged.connect(self._repaint.start)

    def _send_repaint(self) -> None:
        if self._runner is None or not self._runner.running:
            return  # nothing to send it to (a new photo resets the layer, too)
        mask = self.request_mask()
        # An emptied mask (or a closed dock) is not sent: the run keeps the last one it had.
        if self._runner is not None and self._runner.running and mask is not None:
            self._runner.edit({MASK: mask})

    def is_open(self) -> bool:
        return self.dock.toggleViewAction().isChecked()

    def _on_opened(self, opened: bool) -> None:
        self.overlay.set_shown(opened)
        if not opened:
            self.overlay.set_tool("none")  # the canvas pans and zooms as usual again

    def on_inputs_changed(self) -> None:
        """A new photo: a blank layer of its size. New styles: the panel's style names."""
        content = self.inputs.content()
        if content is not None and content.image is not self._photo:
            self._photo = content.image
            self.layer.reset(content.full_hw)  # the photo's own size, also when held reduced
        names = [s.name or f"Style {i + 1}" for i, s in enumerate(self.inputs.style_inputs())]
        if names != self._names:
            self._names = names
            self.panel.set_style_names(names)

    def request_mask(self) -> RegionMask | None:
        """The mask for the next run, or None for a normal run (dock closed, nothing painted)."""
        if not self.is_open() or not self.layer.painted_regions():  # no pass over the labels
            return None
        return self.layer.region_mask()

    def restore(self, metadata: Any, folder: Path) -> str | None:
        """Bring a history entry's mask back into the layer (and open the dock); why not, if not."""
        from nst_desktop.io.masks import mask_from_record

        try:
            mask = mask_from_record(metadata, folder)
        except NSTError as exc:
            return f"the mask cannot be read ({exc.user_text()})"
        if mask is None:  # painted without a mask: so is the next run (the paint is kept)
            self.dock.hide()
            return None
        self.layer.set_settings(mask.settings)
        self.layer.set_labels(mask.labels)
        self.dock.show()
        return None
