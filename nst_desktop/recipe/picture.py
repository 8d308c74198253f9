"""A Picture: one painted result and what it came from.

The window shows one, the history stores them, the queue and the farm deliver them. A
picture knows the photo it was painted from, so "Render full size" goes on only from a
picture of the recipe's photo (:func:`nst_desktop.recipe.jobs.job_for`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from nst_desktop.engine.spec.events import ImageArray, PreviewArray
from nst_desktop.engine.spec.region_masks import RegionMask

PictureKind = Literal["full", "quick", "variation", "promoted"]
KINDS: tuple[PictureKind, ...] = ("full", "quick", "variation", "promoted")


@dataclass(frozen=True, eq=False)
class Picture:
    """A painted picture (without its after-touches, which are the recipe's) and its record.

    ``painted_from``: the photo's path (None for a photo without a file, e.g. pasted).
    ``entry_id``: its history entry once saved there. ``stopped``/``size``: whether the run
    stopped before its end, and the output size it was painting towards.
    """

    image: ImageArray
    record: dict[str, Any]
    kind: PictureKind = "full"
    painted_from: str | None = None
    mask: RegionMask | None = None
    frames: tuple[ImageArray | PreviewArray, ...] = field(default=(), repr=False)  # its time-lapse
    entry_id: str | None = None

    @property
    def long_side(self) -> int:
        return int(max(self.image.shape[:2]))

    @property
    def stopped(self) -> bool:
        return bool(self.record.get("stopped", False))

    def saved_as(self, entry_id: str) -> Picture:
        """This picture once the history holds it as ``entry_id``."""
        return replace(self, entry_id=entry_id)
