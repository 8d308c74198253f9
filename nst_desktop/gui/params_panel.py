"""The knobs: a simple panel an artist understands, and every other field, generated from
the ``Params`` metadata, in a collapsible Advanced section.

The panel edits one immutable ``Params``: each control reports ``{field: value}``, the
panel builds a new ``Params`` (which validates itself) and emits ``paramsChanged``. An
inconsistent combination (e.g. "Start from: image" with no image) is shown in red and
the last valid ``Params`` is kept.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget
from superqt import QCollapsible

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.params import DEFAULTS, Params, param_fields
from nst_desktop.engine.spec.presets import apply_preset, matching_preset, preset_names
from nst_desktop.gui import screen_fit
from nst_desktop.gui.controls import FieldControl, control_for
from nst_desktop.gui.controls.choice import ChoiceControl
from nst_desktop.gui.controls.log_slider import LogSliderControl
from nst_desktop.gui.controls.number import IntControl
from nst_desktop.gui.controls.seed import SeedControl
from nst_desktop.gui.describe import CHOICE_LABELS
from nst_desktop.gui.print_sizes import attach_print_sizes
from nst_desktop.gui.wheel_guard import guard_wheel_under

COLOUR_LABELS = CHOICE_LABELS["colour"]  # one table of human names: gui/describe.py
CUSTOM = "Custom"


def simple_controls() -> list[FieldControl]:
    """The artist's panel: a few knobs with plain words at both ends."""
    return [
        IntControl("size", step=64, suffix=" px"),
        # The default (8) in the middle, 1/16 to 16 times it at the ends, finer near it (issue 16.8);
        # the number box still takes the field's whole range.
        LogSliderControl("style_weight", low=DEFAULTS.style_weight / 16, high=DEFAULTS.style_weight * 16,
                         curve=1.5, captions=("More photo", "More painting")),
        LogSliderControl("tv_weight", low=0.01, high=100.0, captions=("Crisp", "Smooth")),
        # The artist's brush (issue 20.2): 1x, 2x and 4x equally far apart on the track. Style scale,
        # which the artist used for it before and which mostly made the run slower, is in Advanced.
        LogSliderControl("brush_size", suffix="x", captions=("Fine strokes", "Big strokes")),
        ChoiceControl("colour", labels=COLOUR_LABELS),
        LogSliderControl("steps", low=10, high=2000, integer=True, captions=("Faster", "Better")),
        SeedControl("seed"),
    ]


class ParamsPanel(QWidget):
    """Edits a :class:`Params`; emits ``paramsChanged(Params)`` after each valid change."""

    paramsChanged = Signal(object)

    def __init__(self, params: Params = DEFAULTS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paramsPanel")
        self._params = params
        self._pending: dict[str, Any] = {}
        self.controls: dict[str, FieldControl] = {}
        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("presetCombo")
        screen_fit.let_shrink(self.preset_combo)
        self.preset_combo.setToolTip("Named settings: a good start you can then tweak.")
        for name in preset_names():
            self.preset_combo.addItem(name.title(), name)
        self.preset_combo.addItem(CUSTOM, None)
        self.preset_combo.activated.connect(self._on_preset_activated)
        self.error_label = QLabel()
        self.error_label.setObjectName("paramsError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #d04040;")
        self.error_label.hide()
        # ▶ closed / ▼ open, the usual disclosure arrows (superqt's default shows ▲ when closed)
        self.advanced = QCollapsible("Advanced", expandedIcon="▼", collapsedIcon="▶")
        self.advanced.setObjectName("advancedSection")
        self._build()
        guard_wheel_under(self)  # the wheel scrolls the panel; it edits only a focused control (16.5)
        self.set_params(params)

    def _build(self) -> None:
        simple = screen_fit.wrapping_form()
        simple.addRow("Preset", self.preset_combo)
        for control in simple_controls():
            self._add(control, simple)
        self.print_sizes = attach_print_sizes(self)  # A4/A3 and the largest that fits, by the size box
        advanced_body = QWidget()
        advanced_form = screen_fit.wrapping_form(advanced_body)
        advanced_form.setContentsMargins(0, 0, 0, 0)
        for f in param_fields():
            if f.metadata.get("advanced") and f.name not in self.controls:
                advanced = control_for(f)
                if advanced is not None:
                    self._add(advanced, advanced_form)
        self.advanced.addWidget(advanced_body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(simple)
        layout.addWidget(self.error_label)
        layout.addWidget(self.advanced)
        layout.addStretch(1)

    def _add(self, control: FieldControl, form: QFormLayout) -> None:
        for name in control.names:
            self.controls[name] = control
        control.changed.connect(self._on_control_changed)
        label = QLabel(control.label)
        label.setToolTip(control.toolTip())
        form.addRow(label, control)

    # --- model ---------------------------------------------------------------------------
    def params(self) -> Params:
        return self._params

    def set_params(self, params: Params) -> None:
        """Show ``params`` in every control and emit ``paramsChanged`` (if different)."""
        changed = params != self._params
        self._params = params
        self._pending = {}
        for control in set(self.controls.values()):
            control.set_params(params)
        self._show_error("")
        self._sync_preset()
        if changed:
            self.paramsChanged.emit(params)

    def apply_preset(self, name: str) -> None:
        self.set_params(apply_preset(self._params, name))

    def update_fields(self, source: FieldControl | None = None, **changes: Any) -> bool:
        """Change fields as a user edit would; False (and a red message) if invalid.

        An invalid edit is remembered and retried with the next one, so that a change
        needing two edits (e.g. "Start from: image", then the image) is not lost.
        """
        merged = {**self._pending, **changes}
        try:
            params = self._params.with_changes(**merged)
        except (ParamsError, TypeError, ValueError) as exc:
            self._pending = merged
            self._show_error(exc.user_text() if isinstance(exc, ParamsError) else str(exc))
            return False
        self._pending = {}
        self._show_error("")
        if params != self._params:
            self._params = params
            self._refresh_controls(set(merged), source)
            self._sync_preset()
            self.paramsChanged.emit(params)
        return True

    def _refresh_controls(self, names: set[str], source: FieldControl | None) -> None:
        """Show programmatic changes; the control the user is moving is left alone."""
        for control in {self.controls[n] for n in names if n in self.controls}:
            if control is not source:
                control.set_params(self._params)

    # --- slots -----------------------------------------------------------------------------
    def _on_control_changed(self, changes: dict[str, Any]) -> None:
        sender = self.sender()
        self.update_fields(sender if isinstance(sender, FieldControl) else None, **changes)

    def _on_preset_activated(self, index: int) -> None:
        name = self.preset_combo.itemData(index)
        if name is not None:
            self.apply_preset(name)

    def _sync_preset(self) -> None:
        """Show the preset the current params equal (ignoring kept fields), else Custom."""
        name = matching_preset(self._params)
        if name is not None:
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(name))
            return
        self.preset_combo.setCurrentIndex(self.preset_combo.count() - 1)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
