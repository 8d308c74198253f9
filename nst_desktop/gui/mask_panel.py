"""The mask panel: painting tools and what each painted region becomes.

Tools (move, brush, eraser, fill) with brush size and hardness; undo, redo, clear,
invert and show/hide of the overlay; then one row per region: its colour (click to paint
with it), a blend weight per current style (0 = not used) and a strength; and what happens
where nothing is painted (keep the photo, or one of the styles). Everything goes through
the :class:`MaskLayer` model; this panel holds no state of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.region_masks import MAX_FEATHER_PX, MAX_STRENGTH, MaskSettings, Region
from nst_desktop.gui import screen_fit
from nst_desktop.gui.mask_layer import MaskLayer
from nst_desktop.gui.mask_tools import MaskOverlay, Tool
from nst_desktop.gui.wheel_guard import guard_wheel, guard_wheel_under

RegionRow = tuple[QRadioButton, list[QDoubleSpinBox], QDoubleSpinBox]  # paint-with, blend weights, strength
_TOOL_LABELS: dict[Tool, str] = {"none": "Move", "brush": "Brush", "eraser": "Eraser", "fill": "Fill"}


def swatch(colour: str, size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class MaskPanel(QWidget):
    def __init__(self, layer: MaskLayer, overlay: MaskOverlay, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("maskPanel")
        self.layer, self.overlay = layer, overlay
        self._styles: list[str] = []
        self._rows: dict[int, RegionRow] = {}
        box = QVBoxLayout(self)
        box.addLayout(self._tool_row())
        box.addLayout(self._brush_row())
        box.addLayout(self._action_row())
        self.grid = QGridLayout()
        self.region_group = QButtonGroup(self)
        box.addLayout(self.grid)
        self.add_button = QPushButton("Add region")
        self.add_button.clicked.connect(lambda: self.layer.add_region(len(self._styles)))
        add_row = QHBoxLayout()  # the overlay's Show here, not beside Undo…Invert: a narrower dock (16.4)
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        add_row.addWidget(self.show_check)
        box.addLayout(add_row)
        box.addLayout(self._unpainted_row())
        box.addStretch(1)
        layer.settingsChanged.connect(self._sync)
        layer.changed.connect(self._sync_undo)
        overlay.toolChanged.connect(lambda tool: self.tool_buttons[tool].setChecked(True))
        guard_wheel_under(self)  # the region rows guard their own boxes as they are made
        self._sync()

    # --- rows -----------------------------------------------------------------------------------
    def _tool_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.tool_group = QButtonGroup(self)
        self.tool_buttons: dict[str, QToolButton] = {}
        for tool, text in _TOOL_LABELS.items():
            button = QToolButton()
            button.setText(text)
            button.setCheckable(True)
            button.setToolTip({"none": "Zoom and pan only", "fill": "Fill the area under the cursor"}
                              .get(tool, f"{text}: drag on the picture; middle or right drag pans"))
            button.clicked.connect(lambda _=False, t=tool: self.overlay.set_tool(t))
            self.tool_group.addButton(button)
            self.tool_buttons[tool] = button
            row.addWidget(button)
        self.tool_buttons[self.overlay.tool()].setChecked(True)
        row.addStretch(1)
        return row

    def _brush_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.size_spin = QSpinBox(minimum=1, maximum=2000, suffix=" px", value=round(self.layer.brush_size))
        self.size_spin.valueChanged.connect(lambda v: setattr(self.layer, "brush_size", float(v)))
        self.hardness_spin = QSpinBox(minimum=0, maximum=100, suffix=" %",
                                      value=round(self.layer.hardness * 100))
        self.hardness_spin.valueChanged.connect(lambda v: setattr(self.layer, "hardness", v / 100))
        for text, widget in (("Size", self.size_spin), ("Hardness", self.hardness_spin)):
            row.addWidget(QLabel(text))
            row.addWidget(widget)
        return row

    def _action_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        # Tool buttons, as in the tool row: as wide as their word (push buttons are 80 px at
        # least, and four of them made the dock too wide for a 1280 px screen, issue 16.4).
        self.undo_button, self.redo_button = _action_button("Undo"), _action_button("Redo")
        self.clear_button, self.invert_button = _action_button("Clear"), _action_button("Invert")
        self.invert_button.setToolTip("Swap the chosen region and the unpainted area")
        for button, slot in ((self.undo_button, self.layer.undo), (self.redo_button, self.layer.redo),
                             (self.clear_button, self.layer.clear), (self.invert_button, self.layer.invert)):
            button.clicked.connect(slot)
            row.addWidget(button)
        self.show_check = QCheckBox("Show")
        self.show_check.setChecked(self.overlay.is_shown())
        self.show_check.toggled.connect(self.overlay.set_shown)
        self.overlay.shownChanged.connect(self.show_check.setChecked)
        return row

    def _unpainted_row(self) -> QFormLayout:
        form = screen_fit.wrapping_form()
        self.unpainted_combo = QComboBox()
        screen_fit.let_shrink(self.unpainted_combo)  # "Style: <a long file name>"
        self.unpainted_combo.currentIndexChanged.connect(self._unpainted_edited)
        self.feather_spin = QDoubleSpinBox(minimum=0.0, maximum=MAX_FEATHER_PX, suffix=" px", decimals=1)
        self.feather_spin.setToolTip("How far region borders blend into each other, in photo pixels")
        self.feather_spin.valueChanged.connect(self.layer.set_feather)
        form.addRow("Where nothing is painted", self.unpainted_combo)
        form.addRow("Soft borders", self.feather_spin)
        return form

    # --- styles ---------------------------------------------------------------------------------
    def set_style_names(self, names: Sequence[str]) -> None:
        """The run's current styles (in order); regions asking for a removed style lose it."""
        self._styles = list(names)
        count = max(1, len(self._styles))
        regions = []
        for region in self.layer.settings().regions:
            kept = [(s, w) for s, w in zip(region.styles, region.weights, strict=True) if s < count]
            styles, weights = zip(*kept, strict=True) if kept else ((0,), (1.0,))
            regions.append(replace(region, styles=tuple(styles), weights=tuple(weights)))
        settings = self.layer.settings()
        style = settings.unpainted_style if settings.unpainted_style < count else 0
        self._rows.clear()  # the columns change: rebuild every row
        self.layer.set_settings(MaskSettings(tuple(regions), settings.unpainted, style, settings.feather_px))

    # --- model -> widgets ----------------------------------------------------------------------
    def _sync(self) -> None:
        settings = self.layer.settings()
        if set(self._rows) != {r.index for r in settings.regions}:
            self._rebuild_grid(settings)
        for region in settings.regions:
            radio, weights, strength = self._rows[region.index]
            for style, spin in enumerate(weights):
                share = dict(zip(region.styles, region.weights, strict=True)).get(style, 0.0)
                _set_quietly(spin, share)
            _set_quietly(strength, region.strength)
            radio.setChecked(region.index == self.layer.active_region())
        self.unpainted_combo.blockSignals(True)
        self.unpainted_combo.clear()
        self.unpainted_combo.addItem("Keep the photo")
        self.unpainted_combo.addItems([f"Style: {name}" for name in self._styles])
        self.unpainted_combo.setCurrentIndex(
            0 if settings.unpainted == "keep_photo" else min(settings.unpainted_style + 1, len(self._styles)))
        self.unpainted_combo.blockSignals(False)
        _set_quietly(self.feather_spin, settings.feather_px)
        self.add_button.setEnabled(len(settings.regions) < 8)
        self._sync_undo()

    def _sync_undo(self) -> None:
        self.undo_button.setEnabled(self.layer.can_undo())
        self.redo_button.setEnabled(self.layer.can_redo())

    def _rebuild_grid(self, settings: MaskSettings) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._rows.clear()
        self.grid.addWidget(QLabel("Region"), 0, 0)
        for column, name in enumerate(self._styles, start=1):
            header = QLabel(name)
            header.setToolTip(f"Blend weight of {name} (0: not used)")
            self.grid.addWidget(header, 0, column)
        self.grid.addWidget(QLabel("Strength"), 0, len(self._styles) + 1)
        for row, region in enumerate(settings.regions, start=1):
            self._rows[region.index] = self._region_row(region, row)

    def _on_region_toggled(self, on: bool, index: int) -> None:
        if on:
            self.layer.set_active_region(index)

    def _region_row(self, region: Region, row: int) -> RegionRow:
        # Its number and colour under a "Region" header: a narrower dock than "Region 1" on every row
        radio = QRadioButton(str(region.index))
        radio.setIcon(swatch(region.colour))
        radio.setToolTip(f"Paint with region {region.index}")
        radio.toggled.connect(lambda on, k=region.index: self._on_region_toggled(on, k))
        self.region_group.addButton(radio)
        self.grid.addWidget(radio, row, 0)
        weights = []
        for column in range(len(self._styles)):
            spin = QDoubleSpinBox(minimum=0.0, maximum=100.0, singleStep=0.5, decimals=2)
            spin.valueChanged.connect(lambda _=0.0, k=region.index: self._region_edited(k))
            self.grid.addWidget(spin, row, column + 1)
            weights.append(spin)
        strength = QDoubleSpinBox(minimum=0.0, maximum=MAX_STRENGTH, singleStep=0.1, decimals=2)
        guard_wheel(*weights, strength)  # scrolling the panel changes no region (issue 16.5)
        strength.valueChanged.connect(lambda _=0.0, k=region.index: self._region_edited(k))
        self.grid.addWidget(strength, row, len(self._styles) + 1)
        return radio, weights, strength

    # --- widgets -> model ----------------------------------------------------------------------
    def _region_edited(self, index: int) -> None:
        _, weights, strength = self._rows[index]
        pairs = [(style, spin.value()) for style, spin in enumerate(weights) if spin.value() > 0]
        old = self.layer.settings().region(index)
        if not pairs or old is None:
            return  # all weights zero: keep the last blend until one is set again
        styles, values = zip(*pairs, strict=True)
        try:
            region = Region(index, tuple(styles), tuple(values), strength.value(), old.colour)
        except ParamsError:
            return
        self.layer.set_region(region)

    def _unpainted_edited(self, combo_index: int) -> None:
        if combo_index <= 0:
            self.layer.set_unpainted("keep_photo")
        else:
            self.layer.set_unpainted("style", combo_index - 1)


def _action_button(text: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    return button


def _set_quietly(spin: QDoubleSpinBox | QSpinBox, value: float) -> None:
    if abs(spin.value() - value) > 1e-9:
        spin.blockSignals(True)
        if isinstance(spin, QSpinBox):
            spin.setValue(round(value))
        else:
            spin.setValue(value)
        spin.blockSignals(False)
