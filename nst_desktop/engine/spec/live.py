"""Live edits: changing the look of a run while it paints, and replaying those changes.

An artist moves a slider while the picture forms; waiting for the run to end and starting
again costs minutes. Instead the GUI hands the change to the running :func:`stylize` through
:class:`EditQueue` (thread-safe), and the engine applies it before its next step: it
re-weights the loss, rebuilds the style targets when their inputs changed (style scale,
blend, colour mode), and starts a fresh L-BFGS history (the old curvature pairs describe
another objective). Nothing already painted is lost.

Every applied change is recorded as an :class:`Edit` with the step it landed before, so
the result stays repeatable: ``stylize(..., edits=result.edits)`` replays them at the same
steps and, on the CPU with the same seed, paints the same picture bit for bit.

No torch here: the GUI and the CLI read this module without paying torch's import.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.region_masks import RegionMask, validate

#: Params fields that can change during a run (the rest define the schedule or the model).
LIVE_FIELDS: tuple[str, ...] = ("style_weight", "content_weight", "tv_weight", "style_scale", "colour")
#: The key of a change of the styles' blend weights (one number per style, any scale).
BLEND = "style_blend"
#: The key of a repainted region mask (an engine.spec.region_masks.RegionMask): lands at the next step.
MASK = "mask"
#: How ``Edit.to_dict`` writes a repaint: a RegionMask is pixels, and the engine knows no PNG.
#: A saved record has the pixels instead (io.masks.edit_record); only older records hold this
#: marker, which :meth:`Edit.from_dict` drops (their replay paints with the final mask).
MASK_REPAINTED = "repainted"
#: Changes that need the style targets rebuilt (the rest only re-weight the loss).
RETARGETING: frozenset[str] = frozenset({"style_scale", "colour", BLEND})

Changes = Mapping[str, Any]


@dataclass(frozen=True)
class Edit:
    """``changes`` applied before step ``step + 1`` of the run (``step`` steps were done)."""

    step: int
    changes: Changes

    def to_dict(self) -> dict[str, Any]:
        changes = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.changes.items()}
        if MASK in changes:
            changes[MASK] = MASK_REPAINTED
        return {"step": self.step, "changes": changes}

    @classmethod
    def from_dict(cls, data: Any) -> Edit:
        if not isinstance(data, Mapping) or not isinstance(data.get("changes"), Mapping):
            raise ParamsError(f"An edit must be {{'step': N, 'changes': {{...}}}}, not {data!r}.")
        step = data.get("step")
        if not isinstance(step, int) or isinstance(step, bool) or step < 0:
            raise ParamsError(f"An edit's step must be a whole number >= 0, not {step!r}.")
        # A repaint recorded without its pixels (see MASK_REPAINTED) cannot be replayed: left out.
        changes = {k: v for k, v in data["changes"].items() if not (k == MASK and v == MASK_REPAINTED)}
        return cls(step, changes)


def edits_from_list(data: Any) -> tuple[Edit, ...]:
    """Edits from JSON (a list of ``Edit.to_dict()``), sorted by step; ParamsError if malformed."""
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ParamsError(f"'edits' must be a list, not {type(data).__name__}.")
    edits = (Edit.from_dict(item) for item in data)
    return tuple(sorted((e for e in edits if e.changes), key=lambda e: e.step))


def repainted(data: Any) -> bool:
    """True when a recorded edit list (JSON) holds a repaint of the mask."""
    return isinstance(data, list) and any(
        isinstance(item, Mapping) and isinstance(item.get("changes"), Mapping)
        and item["changes"].get(MASK) == MASK_REPAINTED for item in data)


def check_changes(params: Params, changes: Changes, n_styles: int) -> tuple[Params, tuple[float, ...] | None]:
    """The params after ``changes`` and the new blend (None if unchanged); ParamsError if invalid.

    Only :data:`LIVE_FIELDS` and :data:`BLEND` may change: a new size or optimiser would
    need another schedule or model, which is a new run, not an edit.
    """
    unknown = sorted(set(changes) - set(LIVE_FIELDS) - {BLEND, MASK})
    if unknown:
        raise ParamsError(f"These settings cannot change during a run: {', '.join(unknown)}.")
    if MASK in changes:
        _check_mask(changes[MASK], n_styles)
    fields = {k: v for k, v in changes.items() if k not in (BLEND, MASK)}
    new_params = params.with_changes(**fields) if fields else params
    blend = None
    if BLEND in changes:
        blend = _numbers(changes[BLEND])
        if len(blend) != n_styles:
            raise ParamsError(f"Give one blend weight per style ({n_styles}), not {len(blend)}.")
        if not all(math.isfinite(w) and w >= 0 for w in blend) or sum(blend) <= 0:
            raise ParamsError("Blend weights must be non-negative numbers and not all zero.")
    return new_params, blend


def _numbers(value: Any) -> tuple[float, ...]:
    """A blend from JSON: a list of numbers (a string or a lone number is a corrupt record)."""
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(w, (int, float)) and not isinstance(w, bool) for w in value):
        raise ParamsError("A blend must be a list of numbers, one per style.")
    return tuple(float(w) for w in value)


def _check_mask(mask: Any, n_styles: int) -> None:
    if not isinstance(mask, RegionMask):
        raise ParamsError(f"A repainted mask must be a RegionMask, not {type(mask).__name__}.")
    validate(mask, n_styles)


def replay(params: Params, blend: Sequence[float], edits: Sequence[Edit]) -> tuple[Params, tuple[float, ...]]:
    """The params and blend in force after every edit: the look the picture ended with."""
    current, weights = params, tuple(float(w) for w in blend)
    for edit in edits:
        current, new_blend = check_changes(current, edit.changes, len(weights))
        weights = new_blend if new_blend is not None else weights
    return current, weights


class EditQueue:
    """Changes waiting for a running :func:`stylize`; safe to call from any thread.

    Several changes made between two steps merge into one edit (the later value of a
    field wins), so a dragged slider costs one L-BFGS restart per step at most.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}

    def submit(self, changes: Changes) -> None:
        with self._lock:
            self._pending.update(changes)

    def take(self) -> dict[str, Any]:
        """The changes since the last call (empty if none)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        return pending
