"""Variations: sweep one control and paint a small quick look of each value (issue 7.4).

An artist unsure whether the picture wants more style, bigger strokes, another seed or
one of the styles alone gets a grid of small pictures instead of a guess. Each
:class:`Variation` keeps the *full* params (what the artist takes with a click: size,
steps and everything else unchanged); :attr:`Variation.quick_params` is what is painted.
No torch import: the GUI reads this module while it builds its menus.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.presets import VARIATION_SIZE, quick_look

#: The controls that can be swept, with their display names, in menu order.
SWEEPS: dict[str, str] = {
    "style_weight": "Style strength",
    "style_scale": "Style scale",
    "seed": "Seed",
    "style": "Each style",
}
MIN_COUNT = 2
MAX_COUNT = 9  # a 3 x 3 grid: more pictures would be too small to judge
#: Ratio between neighbouring values. Style strength acts on a log scale: x2 is the
#: smallest change that reads clearly as "more painting" in a 192 px look. Stroke size
#: changes faster with the scale, so its steps are finer (x0.5 .. x2 over five values).
_RATIOS: dict[str, float] = {"style_weight": 2.0, "style_scale": math.sqrt(2.0)}


@dataclass(frozen=True)
class Variation:
    """One picture of a sweep: its label, the full params and style blend it stands for."""

    label: str
    params: Params
    blend: tuple[float, ...]

    @property
    def quick_params(self) -> Params:
        """What is painted for the grid: the same look, small and quick."""
        return quick_look(self.params, VARIATION_SIZE)


def seed_matters(params: Params) -> bool:
    """Whether another seed changes the picture: only a start from (or mixed with) noise draws
    random numbers."""
    return params.init == "noise" or params.init_noise > 0.0


def sweep_problem(sweep: str, params: Params, n_styles: int) -> str:
    """Why ``sweep`` would show nothing useful now (a tooltip for a disabled entry), or ""."""
    if sweep == "seed" and not seed_matters(params):
        return ("The seed changes the picture only when it starts from noise (Advanced > Start from, "
                "Start noise).")
    if sweep == "style" and n_styles < 2:
        return "Add a second style to compare the styles one by one."
    return ""


def variations(params: Params, blend: Sequence[float], sweep: str, count: int = 4, *,
               names: Sequence[str] = ()) -> list[Variation]:
    """``count`` variations of ``params`` along ``sweep`` (one of :data:`SWEEPS`).

    ``blend`` holds the styles' blend weights; a "style" sweep makes one variation per
    style (``count`` is ignored) labelled with ``names`` where given. Values that would
    leave a field's range are moved inside it, so the pictures always differ.
    """
    if sweep not in SWEEPS:
        raise ValueError(f"Unknown sweep {sweep!r}; choose one of {', '.join(SWEEPS)}.")
    blend = tuple(float(w) for w in blend)
    if sweep == "style":
        return _each_style(params, blend, names)
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise ValueError(f"Give between {MIN_COUNT} and {MAX_COUNT} variations, not {count}.")
    if sweep == "seed":
        return _seeds(params, blend, count)
    return _ladder(params, blend, sweep, count)


def _ladder(params: Params, blend: tuple[float, ...], name: str, count: int) -> list[Variation]:
    current = float(getattr(params, name))
    values = ladder(current, _RATIOS[name], count, *_field_range(name))
    out = []
    for value in values:
        suffix = " (now)" if value == current else f" (x{value / current:.2g})"
        out.append(Variation(f"{SWEEPS[name]} {value:.4g}{suffix}",
                             params.with_changes(**{name: value}), blend))
    return out


def ladder(current: float, ratio: float, count: int, low: float, high: float) -> list[float]:
    """``count`` values ``current * ratio**k`` around ``current`` (it included), inside [low, high].

    Centred where the range allows (one more step up than down for an even count); near
    an end of the range the whole ladder slides inwards by whole steps rather than
    clamping, which would repeat the end value in several pictures. ``current`` must be
    positive and inside the range (Params validation sees to that).
    """
    exponents = [k - (count - 1) // 2 for k in range(count)]
    top = math.floor(math.log(high / current, ratio) + 1e-9)
    bottom = math.ceil(math.log(low / current, ratio) - 1e-9)
    shift = min(0, top - exponents[-1]) or max(0, bottom - exponents[0])
    values = {current if e + shift == 0 else _round(min(high, max(low, current * ratio ** (e + shift))))
              for e in exponents}
    return sorted(values)  # a range narrower than the ladder gives fewer values


def _seeds(params: Params, blend: tuple[float, ...], count: int) -> list[Variation]:
    top = _field_range("seed")[1]
    wrap = int(top) + 1  # past the largest seed, start again from 0
    seeds = [(params.seed + k) % wrap for k in range(count)]
    return [Variation(f"Seed {seed}" + (" (now)" if seed == params.seed else ""),
                      params.with_changes(seed=seed), blend) for seed in seeds]


def _each_style(params: Params, blend: tuple[float, ...], names: Sequence[str]) -> list[Variation]:
    if not blend:
        raise ValueError("A style sweep needs at least one style.")

    def label(i: int) -> str:
        return names[i] if i < len(names) and names[i] else f"Style {i + 1}"

    return [Variation(f"{label(i)} alone", params,
                      tuple(1.0 if j == i else 0.0 for j in range(len(blend)))) for i in range(len(blend))]


def _field_range(name: str) -> tuple[float, float]:
    meta = Params.__dataclass_fields__[name].metadata
    return float(meta["min"]), float(meta["max"])


def _round(value: float) -> float:
    """Three significant digits: clean numbers in the params and in the history."""
    return float(f"{value:.3g}")
