"""How large a render decodes its inputs, and how a replay decodes them as the run it repeats did.

A 48 MP photo painted at 512 px needs megabytes, not gigabytes: each input is decoded reduced,
to at least :data:`DECODE_MARGIN` times the size the run uses it at. A record notes how its
inputs were decoded (:data:`DECODED_KEY`), so a replay gets the very pixels the run got.
Shared by the command line, the window's worker and :func:`nst_desktop.recipe.jobs.job_for`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nst_desktop.engine.spec.params import Params

DECODED_KEY = "decoded"  # in a run's metadata: the long side each input was decoded at
DECODE_MARGIN = 2
"""Inputs are decoded at least this many times larger than the run uses them, so the final,
antialiased resize (not the decoder's coarse reduction) is what shapes the pixels."""


@dataclass(frozen=True)
class DecodeTargets:
    """The long side each input needs to be decoded at (see ``io.images.load_image``)."""

    content: int
    styles: tuple[int, ...]
    init: int

    def to_dict(self) -> dict[str, Any]:
        return {"content": self.content, "styles": list(self.styles), "init": self.init}


WHOLE = 0  # a target of 0: decode the whole file


def replay_targets(record: Any, fresh: DecodeTargets) -> DecodeTargets:
    """Decode targets that repeat a recorded run bit for bit: the engine must get the very
    pixels the run got. A record made here says how it decoded ("decoded"); one without it
    (made by the app, or before reduced decoding) had its files decoded whole. A target is
    only ever raised to ``fresh`` (an option such as --size changed what the run needs)."""
    recorded: Any = record.get(DECODED_KEY) if isinstance(record, dict) else None
    try:
        old = DecodeTargets(int(recorded["content"]), tuple(int(t) for t in recorded["styles"]),
                            int(recorded["init"]))
    except (KeyError, TypeError, ValueError):
        old = DecodeTargets(WHOLE, (WHOLE,) * len(fresh.styles), WHOLE)
    if len(old.styles) != len(fresh.styles):
        return fresh

    def merge(was: int, now: int) -> int:
        return WHOLE if WHOLE in (was, now) else max(was, now)

    return DecodeTargets(merge(old.content, fresh.content),
                         tuple(merge(a, b) for a, b in zip(old.styles, fresh.styles, strict=True)),
                         merge(old.init, fresh.init))


def with_decoding(record: dict[str, Any], targets: DecodeTargets) -> dict[str, Any]:
    """``record`` (a run's metadata) noting how its inputs were decoded, for replay_targets."""
    return {**record, DECODED_KEY: targets.to_dict()}


def decode_targets(params: Params, style_sizes: Sequence[tuple[int, int]]) -> DecodeTargets:
    """How large each input must be decoded. The content (and a start image) end at the output
    size; a style is scaled to style_scale^2 times the output's area, so its long side can reach
    style_scale * size * sqrt(its aspect ratio) (a square output being the largest area)."""
    def style(size: tuple[int, int]) -> int:
        aspect = max(size) / max(1, min(size))
        return math.ceil(DECODE_MARGIN * params.style_scale * params.size * math.sqrt(aspect))

    return DecodeTargets(content=DECODE_MARGIN * params.size, styles=tuple(style(s) for s in style_sizes),
                         init=DECODE_MARGIN * params.size)
