"""Pick the control class for a Params field from its type and metadata."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtWidgets import QWidget

from nst_desktop.engine.spec.params import Params
from nst_desktop.gui.controls.base import FieldControl
from nst_desktop.gui.controls.boolean import BoolControl
from nst_desktop.gui.controls.choice import ChoiceControl
from nst_desktop.gui.controls.layers import LayerWeightsControl
from nst_desktop.gui.controls.log_slider import LogSliderControl
from nst_desktop.gui.controls.number import FloatControl, IntControl
from nst_desktop.gui.controls.seed import SeedControl
from nst_desktop.gui.controls.text import TextControl, choose_image_file
from nst_desktop.gui.describe import CHOICE_LABELS


def choose_weights(parent: QWidget, current: str) -> str | None:
    """The weight-set dialog (downloads, imports, licences); None when cancelled."""
    from nst_desktop.gui.weights_dialog import WeightsDialog

    dialog = WeightsDialog(current or "caffe", parent)
    return dialog.selected_spec() if dialog.exec() else None


def paired_weight_fields() -> set[str]:
    """``*_layer_weights`` fields: edited by their layer list's control, not on their own."""
    names = {f.name for f in dataclasses.fields(Params)}
    return {f"{n.removesuffix('s')}_weights" for n in names if n.endswith("_layers")} & names


def control_for(f: dataclasses.Field[Any], parent: QWidget | None = None) -> FieldControl | None:
    """The control for field ``f``, or None for a field edited by another control."""
    meta, default = f.metadata, f.default
    if f.name in paired_weight_fields():
        return None
    if f.name.endswith("_layers"):
        return LayerWeightsControl(f.name, parent)
    if f.name == "seed":
        return SeedControl(f.name, parent)
    if meta.get("choices") and isinstance(default, str):
        return ChoiceControl(f.name, labels=CHOICE_LABELS.get(f.name), parent=parent)
    if isinstance(default, bool):
        return BoolControl(f.name, parent)
    if isinstance(default, int):
        return IntControl(f.name, parent=parent)
    if isinstance(default, float):
        if meta.get("log_scale"):
            return LogSliderControl(f.name, parent=parent)
        return FloatControl(f.name, parent)
    chooser = choose_image_file if "image" in f.name else choose_weights if f.name == "weights" else None
    return TextControl(f.name, chooser=chooser, optional=default is None, parent=parent)
