"""VGG19 layers with their weights: one table editing two fields that must stay in step
(``style_layers`` + ``style_layer_weights``, or the content pair)."""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QHBoxLayout,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from nst_desktop.engine.spec.params import VGG19_LAYERS, Params
from nst_desktop.gui.controls.base import FieldControl

Index = QModelIndex | QPersistentModelIndex


class WeightDelegate(QStyledItemDelegate):
    """The weight column's editor: a spin box over the field's range (from the Params metadata,
    like every other number's control), so -1 or 1e30 cannot be typed in."""

    def __init__(self, low: float, high: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.low, self.high = low, high

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:  # noqa: N802
        spin = QDoubleSpinBox(parent)
        spin.setRange(self.low, self.high)
        spin.setDecimals(3)
        spin.setSingleStep(0.1)
        return spin

    def setEditorData(self, editor: QWidget, index: Index) -> None:  # noqa: N802
        if isinstance(editor, QDoubleSpinBox):
            editor.setValue(self.bounded(str(index.data())))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:  # noqa: N802
        if isinstance(editor, QDoubleSpinBox):
            model.setData(index, f"{editor.value():g}")

    def bounded(self, text: str) -> float:
        """The number ``text`` says, within the range (1 when it says none)."""
        try:
            value = float(text)
        except ValueError:
            value = 1.0
        return min(max(value if math.isfinite(value) else 1.0, self.low), self.high)


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
        meta = Params.__dataclass_fields__[self.weights_name].metadata
        self.delegate = WeightDelegate(meta["min"], meta["max"], self.table)
        self.table.setItemDelegateForColumn(1, self.delegate)
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
                weights.append(self.delegate.bounded(self._weights[row].text()))
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
