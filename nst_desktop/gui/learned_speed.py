"""This computer's speed as finished runs measured it, kept between launches (issue 16.9).

No Qt and no torch here (the estimator uses it in the GUI thread, bench_estimate.py without a
window). An estimate is the cost model (``engine.run.cost``) at a :class:`~nst_desktop.engine.run.cost.Speed`
that each process calibrates by timing a few small passes, and that calibration moves with the
load of its moment: another program, or the app's own start-up work in the thread pool, made it
2-3x slower. The app used to keep only the ratio measured / modelled, and apply it to the next
process's calibration: a ratio learnt against a slow calibration, applied to a fast one, said
"a few seconds" for a 16 s quick look after a restart. So the ratio is kept together with the
speed it was measured against, and a later launch estimates with that same speed: the same
settings give the same forecast after a restart. Kept per ``cost.speed_key`` (device, precision,
threads), and per kind of run: a quick look is small scales and fixed costs, which the model
gets less right than a full run's, so each has its own ratio (the other's stands in until then).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

KINDS = ("full", "quick")
FACTOR_RANGE = (0.05, 20.0)  # beyond this a measurement is more likely wrong than the model
NEW_RUN_SHARE = 0.5  # weight of the latest run in a learnt ratio (geometric mean with the old one)
SPEED_FIELDS = {"flops_per_s": float, "pass_overhead_s": float, "new_size_s": float,
                "float32": bool, "cpu": bool}  # engine.run.cost.Speed's, as plain values


@dataclass(frozen=True)
class LearnedSpeed:
    """A calibrated speed and, per kind of run, the ratio of the measured to the modelled time
    at that speed."""

    speed: dict[str, float | bool]
    factors: dict[str, float]

    def factor(self, kind: str) -> float | None:
        """The ratio for ``kind``, else the other kind's (closer than the bare model), else None."""
        if kind in self.factors:
            return self.factors[kind]
        return next(iter(self.factors.values()), None)

    def learnt(self, kind: str, measured: float) -> LearnedSpeed:
        """With a run of ``kind`` that took ``measured`` times the model's time at :attr:`speed`:
        averaged in log space with the ratio learnt before (2x too slow and 2x too fast cancel
        out, and one run on a busy machine does not swing it), clamped to :data:`FACTOR_RANGE`."""
        old = self.factors.get(kind)
        if old is not None:
            measured = math.exp(NEW_RUN_SHARE * math.log(measured) + (1 - NEW_RUN_SHARE) * math.log(old))
        low, high = FACTOR_RANGE
        return LearnedSpeed(self.speed, {**self.factors, kind: min(high, max(low, measured))})


def to_settings(learned: dict[str, LearnedSpeed]) -> list[dict[str, Any]]:
    """The form the settings keep (a JSON list)."""
    return [{"key": key, "speed": entry.speed, "factors": entry.factors} for key, entry in learned.items()]


def from_settings(stored: Any) -> dict[str, LearnedSpeed]:
    """What :func:`to_settings` wrote; an entry that is not well formed (an edited or damaged
    settings file) is left out: the app then calibrates as on a first launch."""
    learned: dict[str, LearnedSpeed] = {}
    for item in stored if isinstance(stored, list) else []:
        entry = _entry(item)
        if entry is not None:
            learned[str(item["key"])] = entry
    return learned


def _entry(item: Any) -> LearnedSpeed | None:
    try:
        speed, factors = dict(item["speed"]), dict(item["factors"])
        if not isinstance(item["key"], str) or set(speed) != set(SPEED_FIELDS):
            return None
        values = {name: kind(speed[name]) for name, kind in SPEED_FIELDS.items()}
        ratios = {kind: float(factors[kind]) for kind in KINDS if kind in factors}
    except (KeyError, TypeError, ValueError):
        return None
    low, high = FACTOR_RANGE
    numbers = [v for v in values.values() if not isinstance(v, bool)]
    if not all(math.isfinite(v) and v >= 0 for v in numbers) or values["flops_per_s"] <= 0:
        return None
    if not ratios or not all(low <= r <= high for r in ratios.values()):
        return None
    return LearnedSpeed(values, ratios)
