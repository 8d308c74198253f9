"""Variations: the values each sweep paints, kept inside the fields' ranges, and quick params."""

from __future__ import annotations

import pytest

from nst_desktop.engine.spec.params import DEFAULTS, Params
from nst_desktop.engine.spec.presets import VARIATION_SIZE
from nst_desktop.engine.spec.variations import SWEEPS, ladder, seed_matters, sweep_problem, variations


def _field(name: str, params: list[Params]) -> list[float]:
    return [getattr(p, name) for p in params]


def test_style_strength_spreads_geometrically_around_the_current_value() -> None:
    base = DEFAULTS.with_changes(style_weight=2.0)
    five = variations(base, [1.0], "style_weight", 5)
    assert _field("style_weight", [v.params for v in five]) == [0.5, 1.0, 2.0, 4.0, 8.0]
    four = variations(base, [1.0], "style_weight", 4)
    assert _field("style_weight", [v.params for v in four]) == [1.0, 2.0, 4.0, 8.0]
    assert [v.label for v in four][1] == "Style strength 2 (now)"
    # only the swept field changes
    assert all(v.params.with_changes(style_weight=2.0) == base for v in five)


def test_style_strength_near_the_top_slides_down_instead_of_repeating_the_maximum() -> None:
    top = float(Params.__dataclass_fields__["style_weight"].metadata["max"])
    values = _field("style_weight", [v.params for v in variations(
        DEFAULTS.with_changes(style_weight=top * 0.9), [1.0], "style_weight", 4)])
    assert len(set(values)) == 4 and max(values) <= top
    assert top * 0.9 in values  # the current look stays in the grid for comparison


def test_style_strength_near_the_bottom_slides_up() -> None:
    low = float(Params.__dataclass_fields__["style_weight"].metadata["min"])
    values = _field("style_weight", [v.params for v in variations(
        DEFAULTS.with_changes(style_weight=low), [1.0], "style_weight", 5)])
    assert values[0] == low and len(set(values)) == 5 and values == sorted(values)


def test_ladder_clamps_when_the_range_is_narrower_than_the_ladder() -> None:
    assert ladder(1.0, 2.0, 9, 0.5, 4.0) == [0.5, 1.0, 2.0, 4.0]


def test_style_scale_spans_half_to_double_and_stays_in_range() -> None:
    scales = _field("style_scale", [v.params for v in variations(DEFAULTS, [1.0], "style_scale", 5)])
    assert scales == [0.5, 0.707, 1.0, 1.41, 2.0]
    high = float(Params.__dataclass_fields__["style_scale"].metadata["max"])
    near_top = _field("style_scale", [v.params for v in variations(
        DEFAULTS.with_changes(style_scale=high), [1.0], "style_scale", 4)])
    assert max(near_top) == high and len(set(near_top)) == 4


def test_seed_sweep_takes_the_current_and_next_seeds_wrapping_at_the_top() -> None:
    noisy = DEFAULTS.with_changes(init="noise", seed=7)
    assert [v.params.seed for v in variations(noisy, [1.0], "seed", 4)] == [7, 8, 9, 10]
    top = int(Params.__dataclass_fields__["seed"].metadata["max"])
    assert [v.params.seed for v in variations(noisy.with_changes(seed=top), [1.0], "seed", 3)] == [top, 0, 1]


def test_seed_matters_only_when_starting_from_noise() -> None:
    assert seed_matters(DEFAULTS.with_changes(init="noise"))
    for init in ("content", "style"):
        assert not seed_matters(DEFAULTS.with_changes(init=init, init_noise=0.0))
        assert seed_matters(DEFAULTS.with_changes(init=init, init_noise=0.5))  # noise mixed in
    assert sweep_problem("seed", DEFAULTS.with_changes(init="content", init_noise=0.0), 2) != ""
    assert sweep_problem("seed", DEFAULTS.with_changes(init="noise"), 2) == ""


def test_each_style_alone_is_one_hot_and_named() -> None:
    result = variations(DEFAULTS, [3.0, 1.0, 0.0], "style", names=["Starry Night", ""])
    assert [v.blend for v in result] == [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]
    assert [v.label for v in result] == ["Starry Night alone", "Style 2 alone", "Style 3 alone"]
    assert all(v.params == DEFAULTS for v in result)
    assert sweep_problem("style", DEFAULTS, 1) != "" and sweep_problem("style", DEFAULTS, 2) == ""


def test_other_sweeps_keep_the_blend() -> None:
    for sweep in ("style_weight", "style_scale", "seed"):
        assert {v.blend for v in variations(DEFAULTS, [3, 1], sweep)} == {(3.0, 1.0)}


def test_variation_keeps_full_params_and_paints_a_quick_look() -> None:
    big = DEFAULTS.with_changes(size=1024, steps=300)
    v = variations(big, [1.0], "style_weight")[0]
    assert v.params.size == 1024 and v.params.steps == 300  # what a click takes
    assert v.quick_params.size == VARIATION_SIZE and v.quick_params.steps < 300
    assert v.quick_params.style_weight == v.params.style_weight


def test_bad_sweep_or_count_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown sweep"):
        variations(DEFAULTS, [1.0], "tv_weight")
    with pytest.raises(ValueError, match="between"):
        variations(DEFAULTS, [1.0], "style_weight", 1)
    with pytest.raises(ValueError, match="at least one style"):
        variations(DEFAULTS, [], "style")
    assert list(SWEEPS) == ["style_weight", "style_scale", "seed", "style"]
