"""What a run takes in besides :class:`Params`, what it reports, and how it is steered.

Images cross the engine boundary as NumPy arrays, ``float32``, shape ``(H, W, 3)``, RGB,
values in ``0..1``: the io layer loads and saves them, the GUI shows them, and the engine
never touches a file path. That keeps the engine testable on arrays made in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from nst_desktop.engine.spec.live import Edit
from nst_desktop.engine.spec.params import Params

ImageArray = npt.NDArray[np.float32]
"""RGB image, float32, shape (H, W, 3), values in 0..1."""

PreviewArray = npt.NDArray[np.uint8]
"""RGB image, uint8, shape (H, W, 3): cheap to hand to a GUI."""


def to_uint8(image: ImageArray | PreviewArray) -> PreviewArray:
    """``float 0..1`` to ``uint8 0..255`` (rounded, clipped, NaN as 0); uint8 passes through.

    The one conversion of the app: previews, the canvas, time-lapses and saved files all go
    through it, so a picture looks the same wherever it is shown or written.
    """
    if image.dtype == np.uint8:
        return np.asarray(image, dtype=np.uint8)
    scaled = np.rint(np.clip(np.nan_to_num(image, nan=0.0), 0.0, 1.0) * 255.0)
    return np.asarray(scaled, dtype=np.uint8)


@dataclass(frozen=True)
class StyleInput:
    """One style image and its blend weight (weights are normalised to sum to 1)."""

    image: ImageArray
    weight: float = 1.0
    name: str = ""


#: ``ProgressEvent.phase`` of the event reported after every optimisation step.
STEP = "step"
#: ``ProgressEvent.phase`` of the event reported just BEFORE slow set-up work: the style targets
#: of a new scale, or of a live edit that changes them (style scale, colours). At print sizes or
#: with a raised style scale that takes a minute, with no step to report: without this event a
#: window's progress line and clock froze with no word (issue 16.7). ``step`` counts the steps
#: done (0 at a new scale), the losses are empty and there is no preview.
PREPARING = "preparing"


@dataclass(frozen=True)
class ProgressEvent:
    """Reported after every optimisation step, and before each slow set-up (``phase``)."""

    scale_index: int  # 0-based index of the current scale
    scale_count: int  # number of scales in the coarse-to-fine schedule
    width: int  # size of the image being optimised at this scale
    height: int
    step: int  # 1-based step within this scale (a PREPARING event: the steps done so far)
    scale_steps: int  # steps planned at this scale
    total_step: int  # 1-based step over the whole run: the number a window shows (issue 16.7)
    total_steps: int  # steps planned over the whole run
    losses: dict[str, float]  # "content", "style", "tv", "total" (weighted terms)
    elapsed_s: float
    remaining_s: float  # estimate; inf before it can be estimated
    preview: PreviewArray | None = None  # present every ``preview_every`` steps and at scale ends
    edit: Mapping[str, Any] | None = None  # the live edit that landed just before this step
    phase: str = STEP  # STEP, or PREPARING: slow set-up work starts now (see PREPARING)

    @property
    def is_step(self) -> bool:
        """True for the event of a step done; False for a set-up about to start."""
        return self.phase == STEP

    @property
    def fraction(self) -> float:
        return self.total_step / self.total_steps if self.total_steps else 0.0


@dataclass(frozen=True)
class RunResult:
    """What a finished or stopped run returns."""

    image: ImageArray  # the best image so far (lowest loss at the last scale reached)
    params: Params  # the full params that made it
    stopped: bool  # True when the run was stopped before its last step
    steps_done: int
    elapsed_s: float
    losses: dict[str, float]  # final loss terms
    device: str  # the device actually used, e.g. "cpu", "cuda:0"
    loss_history: list[dict[str, float]] = field(default_factory=list)
    edits: tuple[Edit, ...] = ()  # live edits applied during the run (``params`` is the start)
    start_size: int = 0  # long side the run continued from (promote), 0 for a fresh run


ProgressCallback = Callable[[ProgressEvent], None]
