"""Params.validate refuses NaN and infinity in every float setting, naming the setting.

NaN passes every range check (all comparisons with it are false), so before this check a
NaN weight ran a whole render and then failed, and a NaN learning rate was taken by L-BFGS.
"""

from __future__ import annotations

import math
import typing
from typing import Any

import pytest

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.params import DEFAULTS, Params, param_fields

HINTS = typing.get_type_hints(Params)
FLOAT_FIELDS = [f.name for f in param_fields() if HINTS[f.name] is float]
FLOAT_TUPLE_FIELDS = [f.name for f in param_fields() if HINTS[f.name] == tuple[float, ...]]


def _label(name: str) -> str:
    return str(Params.__dataclass_fields__[name].metadata["label"])


def test_the_float_fields_are_found() -> None:
    """Guards the parametrisation below: an empty list would test nothing."""
    assert {"learning_rate", "style_scale", "scale_ratio", "content_weight", "style_weight",
            "tv_weight"} <= set(FLOAT_FIELDS)
    assert {"content_layer_weights", "style_layer_weights"} <= set(FLOAT_TUPLE_FIELDS)


@pytest.mark.parametrize("name", FLOAT_FIELDS)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_every_float_field_must_be_finite(name: str, bad: float) -> None:
    with pytest.raises(ParamsError, match="finite") as info:
        DEFAULTS.with_changes(**{name: bad})
    assert _label(name) in info.value.user_text()


@pytest.mark.parametrize("name", FLOAT_TUPLE_FIELDS)
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_every_element_of_float_tuples_must_be_finite(name: str, bad: float) -> None:
    values: tuple[Any, ...] = getattr(DEFAULTS, name)
    changed = (*values[:-1], bad)
    with pytest.raises(ParamsError, match="finite") as info:
        DEFAULTS.with_changes(**{name: changed})
    assert _label(name) in info.value.user_text()


def test_nan_from_a_saved_file_is_refused_too() -> None:
    """JSON allows NaN; a params file carrying it gets the same one-line refusal."""
    with pytest.raises(ParamsError, match="Learning rate"):
        Params.from_dict({"learning_rate": float("nan"), "optimizer": "lbfgs"})


def test_finite_values_still_pass() -> None:
    assert DEFAULTS.with_changes(learning_rate=0.5, style_layer_weights=(0.5, 1.0, 2.0, 0.0))


def test_every_number_has_a_range() -> None:
    """The CLI prints the range in --help and the GUI bounds its controls with it: a number
    field without one accepted -1 and 1e30 (the layer weights did)."""
    hints = typing.get_type_hints(Params)
    numeric = [f for f in param_fields() if hints[f.name] in (int, float, tuple[float, ...])]
    assert {f.name for f in numeric} >= {"content_layer_weights", "style_layer_weights", "style_weight"}
    for f in numeric:
        assert f.metadata["min"] is not None and f.metadata["max"] is not None, f.name


@pytest.mark.parametrize("name", ["content_layer_weights", "style_layer_weights"])
@pytest.mark.parametrize("bad", [-1.0, 1e30])
def test_layer_weights_are_refused_outside_their_range(name: str, bad: float) -> None:
    count = len(getattr(DEFAULTS, name))
    with pytest.raises(ParamsError, match=r"layer weights must be between 0 and 1000, not"):
        DEFAULTS.with_changes(**{name: (1.0,) * (count - 1) + (bad,)})
    edge = DEFAULTS.with_changes(**{name: (0.0,) * (count - 1) + (1000.0,)})
    assert getattr(edge, name)[-1] == 1000.0


def test_a_choice_must_be_one_of_its_strings_and_a_layer_is_named_once() -> None:
    with pytest.raises(ParamsError, match="Colours must be one of"):
        DEFAULTS.with_changes(colour=3)
    with pytest.raises(ParamsError, match="relu1_1 is named twice"):
        DEFAULTS.with_changes(style_layers=("relu1_1", "relu1_1"), style_layer_weights=(1.0, 1.0))


def test_the_active_layers_are_those_of_non_zero_weight_in_their_order() -> None:
    """The engine's one filter of layers to compute: a layer weighted 0 is switched off."""
    params = Params(style_layers=("relu3_1", "relu1_1", "relu2_1"), style_layer_weights=(2.0, 0.0, 0.5),
                    content_layers=("relu4_2", "relu2_2"), content_layer_weights=(0.0, 1.5))
    assert params.active_layers("style") == [("relu3_1", 2.0), ("relu2_1", 0.5)]
    assert params.active_layers("content") == [("relu2_2", 1.5)]
