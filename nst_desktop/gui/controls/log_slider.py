"""A slider on a log scale with an exact spin box beside it.

The slider is the artist's knob (weights span decades, so equal slider travel should be
an equal ratio); the spin box lets an expert type the exact value. A field whose minimum
is 0 (e.g. smoothness) gets 0 at the slider's far left.

``curve`` above 1 makes the middle of the track finer and its ends coarser: the log of the
value moves as the travel from the middle raised to that power. Style strength needs it
(issue 16.8): on a plain log track half the travel took it from 8 to 0.04 and the painting
vanished; curved, the same travel stays within a small factor of the default in the middle.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QLabel, QSlider, QSpinBox, QWidget

from nst_desktop.gui.controls.base import FieldControl

TICKS = 1000


class LogSliderControl(FieldControl):
    """Slider (log) + spin box for a number field. ``low``/``high`` narrow the slider's range
    (the spin box keeps the field's whole range); ``curve`` > 1 makes the middle finer;
    ``suffix`` follows the number in the spin box ("x" for a brush size)."""

    def __init__(self, name: str, *, low: float | None = None, high: float | None = None,
                 integer: bool = False, captions: tuple[str, str] = ("", ""), curve: float = 1.0,
                 suffix: str = "", parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        meta_low, meta_high = self.meta.get("min"), self.meta.get("max")
        self.allow_zero = meta_low == 0  # 0 sits at the slider's far left, below ``low``
        low = low if low not in (None, 0) else (meta_low if meta_low not in (None, 0) else 1e-3)
        self.low = float(low)
        self.high = float(high if high is not None else meta_high or self.low * 1e6)
        self.integer = integer
        self.curve = curve
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, TICKS)
        # A click on the track moves a tenth of it (Qt's default page is 1 %: a click on Brush size
        # went 1x -> 1.03x, which looked like nothing happened; seen in the Xvfb walk-through).
        self.slider.setPageStep(TICKS // 10)
        self.spin: QSpinBox | QDoubleSpinBox = QSpinBox() if integer else QDoubleSpinBox()
        self._setup_spin(meta_low, meta_high)
        self.spin.setSuffix(suffix)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 0, 0, 1, 2)
        layout.addWidget(self.spin, 0, 2)
        if any(captions):
            for col, (text, align) in enumerate(zip(captions, (Qt.AlignmentFlag.AlignLeft,
                                                                 Qt.AlignmentFlag.AlignRight), strict=True)):
                caption = QLabel(f"<small>{text}</small>")
                caption.setAlignment(align)
                layout.addWidget(caption, 1, col)
        self.slider.valueChanged.connect(self._on_slider)
        self.spin.valueChanged.connect(self._on_spin)

    def _setup_spin(self, meta_low: Any, meta_high: Any) -> None:
        spin = self.spin
        if isinstance(spin, QDoubleSpinBox):
            spin.setDecimals(4 if self.low < 0.01 else 3)
            spin.setRange(float(meta_low or 0.0), float(meta_high or 1e9))
            spin.setSingleStep(0.1)
        else:
            spin.setRange(int(meta_low or 0), int(meta_high or 2**31 - 1))
        spin.setKeyboardTracking(False)
        spin.setMinimumWidth(80)

    def _set_spin(self, value: float) -> None:
        if isinstance(self.spin, QSpinBox):
            self.spin.setValue(int(value))
        else:
            self.spin.setValue(value)

    def to_position(self, value: float) -> int:
        if value <= 0 or value < self.low and self.allow_zero:
            return 0
        value = min(max(value, self.low), self.high)
        log_frac = math.log(value / self.low) / math.log(self.high / self.low)
        return round(_bend(log_frac, 1 / self.curve) * TICKS)

    def to_value(self, position: int) -> float:
        if position == 0 and self.allow_zero:
            return 0.0
        value = self.low * (self.high / self.low) ** _bend(position / TICKS, self.curve)
        if self.integer:
            return float(round(value))
        return float(f"{value:.3g}")  # 3 significant digits: clean numbers in settings and files

    def _on_slider(self, position: int) -> None:
        value = self.to_value(position)
        self.spin.blockSignals(True)
        self._set_spin(value)
        self.spin.blockSignals(False)
        self._emit(int(value) if self.integer else value)

    def _on_spin(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(self.to_position(value))
        self.slider.blockSignals(False)
        self._emit(int(value) if self.integer else float(value))

    def _show(self, value: Any) -> None:
        self.spin.blockSignals(True)
        self.slider.blockSignals(True)
        self._set_spin(float(value))
        self.slider.setValue(self.to_position(float(value)))
        self.spin.blockSignals(False)
        self.slider.blockSignals(False)


def _bend(frac: float, power: float) -> float:
    """``frac`` (0..1) with its distance from the middle raised to ``power``, sign kept: the
    middle stays the middle, the ends stay the ends, and 1 / power undoes it."""
    offset = 2 * frac - 1
    return (1 + math.copysign(abs(offset) ** power, offset)) / 2
