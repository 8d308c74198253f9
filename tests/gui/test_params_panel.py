"""Params panel: simple knobs, generated advanced controls, presets, invalid combinations."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QSlider
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.params import DEFAULTS, param_fields
from nst_desktop.engine.spec.presets import PRESETS
from nst_desktop.gui.controls.layers import LayerWeightsControl
from nst_desktop.gui.controls.log_slider import LogSliderControl
from nst_desktop.gui.params_panel import ParamsPanel


def _panel(qtbot: QtBot) -> ParamsPanel:
    panel = ParamsPanel(DEFAULTS)
    qtbot.addWidget(panel)
    return panel


def test_every_field_has_a_control(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    assert {f.name for f in param_fields()} <= set(panel.controls)
    assert isinstance(panel.controls["style_layer_weights"], LayerWeightsControl)


def test_simple_edit_emits_new_params(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    with qtbot.waitSignal(panel.paramsChanged) as blocker:
        panel.controls["size"].spin.setValue(384)
    assert blocker.args[0].size == 384 and panel.params().size == 384
    with qtbot.waitSignal(panel.paramsChanged) as blocker:
        panel.controls["colour"].combo.setCurrentIndex(1)
    assert blocker.args[0].colour == "luminance"


def test_log_slider_maps_decades_evenly(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    smooth = panel.controls["tv_weight"]
    assert isinstance(smooth, LogSliderControl)
    assert smooth.to_position(1.0) == 500  # 1 is halfway between 0.01 and 100 on a log scale
    with qtbot.waitSignal(panel.paramsChanged) as blocker:
        smooth.slider.setValue(750)
    assert blocker.args[0].tv_weight == 10.0
    assert smooth.spin.value() == 10.0
    smooth.slider.setValue(0)
    assert panel.params().tv_weight == 0.0  # the far left is "no smoothing at all"


# --- issue 16.8: style strength is steerable ------------------------------------------------------
def _strength(panel: ParamsPanel) -> LogSliderControl:
    control = panel.controls["style_weight"]
    assert isinstance(control, LogSliderControl)
    return control


def test_style_strength_default_sits_in_the_middle_of_the_track(qtbot: QtBot) -> None:
    control = _strength(_panel(qtbot))
    assert control.slider.value() == 500 == control.to_position(DEFAULTS.style_weight)
    assert control.to_value(500) == DEFAULTS.style_weight


def test_half_the_track_stays_within_a_small_factor_of_the_default(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    control, default = _strength(panel), DEFAULTS.style_weight
    for position in (250, 750):  # half the track from the middle, either way
        control.slider.setValue(position)
        value = panel.params().style_weight
        assert default / 3 <= value <= default * 3, (position, value)  # was 0.04 .. 8 on the old track
        assert control.spin.value() == value
    # fine near the default: a tenth of the half-track moves it by under 10 % (the old track: 58 %)
    assert abs(control.to_value(550) / default - 1) < 0.1
    assert abs(control.to_value(450) / default - 1) < 0.1
    # and the ends still reach well past it, both ways
    assert control.to_value(0) <= default / 10 and control.to_value(1000) >= default * 10


def test_the_number_box_takes_the_whole_valid_range(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    control = _strength(panel)
    meta = DEFAULTS.__dataclass_fields__["style_weight"].metadata
    for value, end in ((meta["min"], 0), (meta["max"], 1000)):
        control.spin.setValue(value)
        assert panel.params().style_weight == value  # beyond the slider's ends, still accepted
        assert control.slider.value() == end  # the slider shows it pinned at its end
    control.spin.setValue(12.5)
    assert panel.params().style_weight == 12.5
    assert control.to_value(control.slider.value()) == pytest.approx(12.5, rel=0.01)  # slider in step


def test_quality_slider_sets_integer_steps(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.controls["steps"].slider.setValue(1000)
    assert panel.params().steps == 2000 and isinstance(panel.params().steps, int)


def test_layers_table_edits_both_fields(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    control = panel.controls["style_layers"]
    assert isinstance(control, LayerWeightsControl)
    control.set_layer("relu1_1", False)
    control.set_layer("relu3_2", True, weight=0.5)
    params = panel.params()
    assert "relu1_1" not in params.style_layers
    assert dict(zip(params.style_layers, params.style_layer_weights, strict=True))["relu3_2"] == 0.5


def test_invalid_combination_shows_error_then_completes(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    with qtbot.assertNotEmitted(panel.paramsChanged):
        assert not panel.update_fields(init="image")
    assert "start image" in panel.error_label.text()
    assert panel.params().init == "content"
    assert panel.update_fields(init_image="/tmp/start.png")  # the pending edit is completed
    assert (panel.params().init, panel.params().init_image) == ("image", "/tmp/start.png")
    assert panel.error_label.isHidden()


def test_preset_keeps_seed_and_device(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.update_fields(seed=42, device="cpu")
    panel.apply_preset("draft")
    params = panel.params()
    assert params.steps == PRESETS["draft"].steps and params.size == PRESETS["draft"].size
    assert (params.seed, params.device) == (42, "cpu")
    assert panel.preset_combo.currentData() == "draft"
    panel.update_fields(steps=123)
    assert panel.preset_combo.currentText() == "Custom"


def test_set_params_updates_controls_silently(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    seen: list[object] = []
    panel.paramsChanged.connect(seen.append)
    panel.set_params(DEFAULTS.with_changes(size=1024, optimizer="adam"))
    assert len(seen) == 1  # one change, not one per control
    assert panel.controls["size"].spin.value() == 1024
    assert panel.controls["optimizer"].combo.currentData() == "adam"


def test_dice_gives_a_new_seed(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.controls["seed"].dice.click()
    assert panel.params().seed != DEFAULTS.seed


def test_programmatic_update_is_shown_in_the_controls(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.update_fields(size=320, steps=60)
    assert panel.controls["size"].spin.value() == 320
    assert panel.controls["steps"].spin.value() == 60


def test_advanced_choices_show_human_names_and_keep_their_values(qtbot: QtBot) -> None:
    panel = _panel(qtbot)

    def items(name: str) -> dict[str, str]:
        combo = panel.controls[name].combo  # type: ignore[attr-defined]
        return {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}

    assert items("optimizer") == {"lbfgs": "L-BFGS", "adam": "Adam"}
    assert items("loss_normalisation") == {"size_invariant": "Same look at any size",
                                           "pastiche": "pastiche's formulas",
                                           "classic": "neural-style's formulas"}
    for name in ("colour", "init", "pooling", "device", "precision"):
        assert all(text != value for value, text in items(name).items()), name
    combo = panel.controls["optimizer"].combo  # type: ignore[attr-defined]
    combo.setCurrentIndex(combo.findText("Adam"))
    assert panel.params().optimizer == "adam"  # the value behind the name is what the engine gets


def test_layer_weights_are_bounded_by_their_range(qtbot: QtBot) -> None:
    """-1 and 1e30 were accepted (issue 16.12): the weight column edits within the field's
    range, and a number outside it (typed in an older version, pasted) is brought inside."""
    from PySide6.QtWidgets import QDoubleSpinBox, QStyleOptionViewItem

    panel = _panel(qtbot)
    control = panel.controls["style_layers"]
    assert isinstance(control, LayerWeightsControl)
    row = 5  # relu3_2
    editor = control.delegate.createEditor(control.table.viewport(), QStyleOptionViewItem(),
                                           control.table.model().index(row, 1))
    assert isinstance(editor, QDoubleSpinBox)
    field = DEFAULTS.__dataclass_fields__["style_layer_weights"].metadata
    assert (editor.minimum(), editor.maximum()) == (field["min"], field["max"]) == (0.0, 1000.0)
    control.set_layer("relu3_2", True, weight=1e30)
    weights = dict(zip(panel.params().style_layers, panel.params().style_layer_weights, strict=True))
    assert weights["relu3_2"] == 1000.0
    control.set_layer("relu3_3", True, weight=-1)
    weights = dict(zip(panel.params().style_layers, panel.params().style_layer_weights, strict=True))
    assert weights["relu3_3"] == 0.0


# --- issue 20.2: the brush size ---------------------------------------------------------------------
def test_brush_size_slider_sets_1x_2x_and_4x(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    brush = panel.controls["brush_size"]
    assert isinstance(brush, LogSliderControl) and brush.spin.suffix() == "x"
    assert brush.slider.value() == 0 and panel.params().brush_size == 1.0  # 1x (today's look) at the left
    with qtbot.waitSignal(panel.paramsChanged) as blocker:
        brush.slider.setValue(500)  # 2x halfway: 1x, 2x and 4x equally far apart
    assert blocker.args[0].brush_size == 2.0
    brush.slider.setValue(1000)
    assert panel.params().brush_size == 4.0 and brush.spin.value() == 4.0
    brush.spin.setValue(3.0)  # and anything in between, typed
    assert panel.params().brush_size == 3.0


def test_brush_size_is_a_simple_knob_and_style_scale_an_advanced_one(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    assert panel.advanced.isAncestorOf(panel.controls["style_scale"])
    assert not panel.advanced.isAncestorOf(panel.controls["brush_size"])
    panel.set_params(DEFAULTS.with_changes(brush_size=2.5))  # a restored picture's brush is shown
    assert panel.controls["brush_size"].spin.value() == 2.5  # type: ignore[attr-defined]


def test_a_click_on_a_slider_track_moves_a_tenth_of_it(qtbot: QtBot) -> None:
    """Seen in the Xvfb walk-through: a click on Brush size's track went 1x -> 1.03x (Qt's page
    of 1 %), as if nothing happened; a tenth of the track is a visible step."""
    panel = _panel(qtbot)
    brush = panel.controls["brush_size"]
    assert isinstance(brush, LogSliderControl)
    brush.slider.triggerAction(QSlider.SliderAction.SliderPageStepAdd)  # what a click on the track does
    assert panel.params().brush_size == pytest.approx(4.0 ** 0.1, abs=0.01)  # 1.15x
