"""The After-touches panel: keep the photo's colours, fade toward the photo.

Only the controls; what a touch does to the picture on show is
:class:`~nst_desktop.gui.after_touches.AfterTouches`' business, told by ``touchesChanged``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QWidget

from nst_desktop.engine.spec.touches import Touches

FADE_STEPS = 100  # the slider counts percent


class TouchesPanel(QWidget):
    """Emits ``touchesChanged(Touches)`` after each user edit; :meth:`set_touches` is silent."""

    touchesChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("touchesPanel")
        self.keep_colours = QCheckBox("Keep photo colours")
        self.keep_colours.setToolTip("The painting's light and shade with the photo's colours; "
                                     "instant, no new painting.")
        self.fade_slider = QSlider(Qt.Orientation.Horizontal)
        self.fade_slider.setRange(0, FADE_STEPS)
        self.fade_slider.setObjectName("fadeSlider")
        self.fade_slider.setMaximumWidth(240)
        self.fade_slider.setToolTip("Mix the photo back in: 0 % is the painting, 100 % the photo.")
        self.fade_value = QLabel()
        self.fade_value.setMinimumWidth(40)
        self.fade_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setEnabled(False)  # greyed: a remark, not a control
        self._build()
        self.set_touches(Touches())
        self.keep_colours.toggled.connect(self._on_control_changed)
        self.fade_slider.valueChanged.connect(self._on_control_changed)
        self.set_available(False)

    def _build(self) -> None:
        # One row under the picture: the touches sit next to what they change.
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 0)
        layout.addWidget(QLabel("<b>After-touches</b>"))
        layout.addSpacing(8)
        layout.addWidget(self.keep_colours)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Fade toward the photo"))
        layout.addWidget(self.fade_slider, 1)
        layout.addWidget(self.fade_value)
        layout.addWidget(self.note, 1)

    # --- model ---------------------------------------------------------------------------
    def touches(self) -> Touches:
        return Touches(keep_photo_colours=self.keep_colours.isChecked(),
                       fade=self.fade_slider.value() / FADE_STEPS)

    def set_touches(self, touches: Touches) -> None:
        """Show ``touches`` without emitting ``touchesChanged`` (undo, history, restore)."""
        for widget in (self.keep_colours, self.fade_slider):
            widget.blockSignals(True)
        self.keep_colours.setChecked(touches.keep_photo_colours)
        self.fade_slider.setValue(round(touches.fade * FADE_STEPS))
        for widget in (self.keep_colours, self.fade_slider):
            widget.blockSignals(False)
        self._show_fade()

    def set_available(self, available: bool, note: str = "") -> None:
        """Enable the controls when a finished picture (and its photo) is on show; ``note``
        says why not, or anything else worth knowing."""
        self.keep_colours.setEnabled(available)
        self.fade_slider.setEnabled(available)
        self.note.setText(note)
        self.note.setVisible(bool(note))

    # --- slots -----------------------------------------------------------------------------
    def _on_control_changed(self) -> None:
        self._show_fade()
        self.touchesChanged.emit(self.touches())

    def _show_fade(self) -> None:
        self.fade_value.setText(f"{self.fade_slider.value()} %")
