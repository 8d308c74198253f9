"""VGG19 layers with their weights: one table editing two fields that must stay in step
(``style_layers`` + ``style_layer_weights``, or the content pair)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QTableWidget, QTableWidgetItem, QWidget

from nst_desktop.engine.params import VGG19_LAYERS, Params
from nst_desktop.gui.controls.base import FieldControl


class LayerWeightsControl(FieldControl):
    """A row per VGG19 layer: tick it to use it, edit its weight in the second column."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.weights_name = name.removesuffix("s") + "_weights"  # style_layers -> style_layer_weights
        self.table = QTableWidget(len(VGG19_LAYERS), 2)
        self.table.setHorizontalHeaderLabels(["Layer", "Weight"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setMinimumHeight(150)
        self.table.setMaximumHeight(190)
        # The items, kept: the table's item(row, col) may answer None as far as the types go.
        self._checks: list[QTableWidgetItem] = []
        self._weights: list[QTableWidgetItem] = []
        for row, layer in enumerate(VGG19_LAYERS):
            check = QTableWidgetItem(layer)
            check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            check.setCheckState(Qt.CheckState.Unchecked)
            weight = QTableWidgetItem("1")
            self.table.setItem(row, 0, check)
            self.table.setItem(row, 1, weight)
            self._checks.append(check)
            self._weights.append(weight)
        self.table.resizeRowsToContents()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        self.table.itemChanged.connect(self._on_item_changed)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.weights_name)

    def set_params(self, params: Params) -> None:
        layers = getattr(params, self.name)
        weights = dict(zip(layers, getattr(params, self.weights_name), strict=True))
        self.table.blockSignals(True)
        for row, layer in enumerate(VGG19_LAYERS):
            on = layer in weights
            self._checks[row].setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            if on:
                self._weights[row].setText(f"{weights[layer]:g}")
        self.table.blockSignals(False)

    def selection(self) -> tuple[tuple[str, ...], tuple[float, ...]]:
        layers: list[str] = []
        weights: list[float] = []
        for row, layer in enumerate(VGG19_LAYERS):
            if self._checks[row].checkState() == Qt.CheckState.Checked:
                layers.append(layer)
                try:
                    weights.append(float(self._weights[row].text()))
                except ValueError:
                    weights.append(1.0)
        return tuple(layers), tuple(weights)

    def set_layer(self, layer: str, on: bool, weight: float | None = None) -> None:
        """Programmatic edit, as a user would make it (emits ``changed``)."""
        row = VGG19_LAYERS.index(layer)
        if weight is not None:
            self.table.blockSignals(True)
            self._weights[row].setText(f"{weight:g}")
            self.table.blockSignals(False)
        self._checks[row].setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        layers, weights = self.selection()
        self.changed.emit({self.name: layers, self.weights_name: weights})
