"""Params.validate refuses NaN and infinity in every float setting, naming the setting.

NaN passes every range check (all comparisons with it are false), so before this check a
NaN weight ran a whole render and then failed, and a NaN learning rate was taken by L-BFGS.
"""

from __future__ import annotations

import math
import typing
from typing import Any

import pytest

from nst_desktop.engine.errors import ParamsError
from nst_desktop.engine.params import DEFAULTS, Params, param_fields

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
