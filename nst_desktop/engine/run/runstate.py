"""Book-keeping of one run: step counters, best image, timing, events, pause/stop."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from torch import Tensor

from nst_desktop.engine.run.cost import countdown_costs
from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.events import (
    PREPARING,
    STEP,
    ImageArray,
    PreviewArray,
    ProgressCallback,
    ProgressEvent,
    RunResult,
    to_uint8,
)
from nst_desktop.engine.spec.live import Edit
from nst_desktop.engine.spec.params import Params

Recolour = Callable[[Tensor], Tensor]
"""Turns the optimised tensor into the image shown to the user (clamp, chroma)."""


def to_array(image: Tensor) -> ImageArray:
    """(1, 3, H, W) tensor -> (H, W, 3) float32 NumPy array in 0..1."""
    array = image.detach()[0].float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    return np.ascontiguousarray(array, dtype=np.float32)


to_preview = to_uint8  # the one float-to-uint8 conversion (engine.spec.events)


class RunState:
    """Counts steps, keeps the best image of the current scale and emits events.

    "Best" is the lowest total loss among evaluated images of the current scale: losses
    of different scales are not comparable, and a later scale is always preferred.
    The time left is the cost model's (engine.run.cost) for the remaining setups and steps,
    scaled by how fast the run has gone so far against the same model: the estimate before
    the run and this countdown are one model, and the countdown corrects its speed as it goes.
    """

    def __init__(
        self, params: Params, sizes: list[tuple[int, int]], steps: list[int],
        callback: ProgressCallback | None, control: RunControl | None, preview_every: int,
        device: str, started: float, display: Recolour, n_styles: int = 1,
    ) -> None:
        self.params, self.sizes, self.steps = params, sizes, steps
        self.callback, self.control, self.preview_every = callback, control, preview_every
        self.device, self.started, self.display = device, started, display
        self.paused_s = 0.0
        self.total_step = 0
        self.scale_index = 0
        self.step = 0
        # On the run's device: the scales stylize will paint in tiles are costed as tiled.
        self.n_styles = n_styles
        self.costs = countdown_costs(params, sizes, steps, n_styles, device)
        self.work_total = sum(c.seconds for c in self.costs)  # modelled seconds, start-up excluded
        self.work_done = 0.0
        self.first_scale_at: float | None = None  # elapsed s: what came before is fixed start-up
        self.history: list[dict[str, float]] = []
        self._best: Tensor | None = None
        self._best_loss = math.inf
        self._best_terms: dict[str, float] = {}
        self._last_terms: dict[str, float] = {}
        self._edit: Mapping[str, Any] | None = None  # reported with the next event

    @property
    def scale_steps(self) -> int:
        return self.steps[self.scale_index]

    def elapsed(self) -> float:
        return time.perf_counter() - self.started - self.paused_s

    def checkpoint(self) -> bool:
        """Block while paused (not counted as run time); True when the run must stop."""
        if self.control is None:
            return False
        before = time.perf_counter()
        stop = self.control.checkpoint()
        self.paused_s += time.perf_counter() - before
        return stop

    def stop_requested(self) -> bool:
        """True once a stop is asked for; never blocks (asked between the tiles of a step)."""
        return self.control is not None and self.control.stopped

    def start_scale(self, index: int, start: Tensor) -> None:
        self.scale_index, self.step = index, 0
        if self.first_scale_at is None:
            self.first_scale_at = self.elapsed()
        self.work_done += self.costs[index].setup_s  # credited with the scale's first step
        self._best, self._best_loss = start.detach().clone(), math.inf

    def evaluated(self, x: Tensor, terms: dict[str, float]) -> None:
        """Called for every loss evaluation (L-BFGS may evaluate more than once a step)."""
        self._last_terms = terms
        if terms["total"] < self._best_loss:
            self._best_loss, self._best_terms = terms["total"], terms
            self._best = x.detach().clone()

    def edited(self, x: Tensor, changes: Mapping[str, Any], params: Params, rebuilt: bool = False) -> None:
        """A live edit landed: losses before and after measure different objectives, so the
        best image starts again from the current one (which is what the artist sees).
        ``rebuilt``: the style targets were built again for it (a set-up's cost)."""
        self._best, self._best_loss, self._best_terms = x.detach().clone(), math.inf, {}
        self._edit = dict(changes)
        self._recost(params, rebuilt)

    def _recost(self, params: Params, rebuilt: bool) -> None:
        """The work left, costed with the edited look: a raised style scale makes every later
        set-up dearer (and may tile sooner), and the time left must say so from now on."""
        costs = countdown_costs(params, self.sizes, self.steps, self.n_styles, self.device)
        here = costs[self.scale_index]
        if rebuilt:  # its time is in the time spent: credited, the run's measured speed stays true
            self.work_done += here.setup_s
        later = sum(c.seconds for c in costs[self.scale_index + 1:])
        left = here.step_s * (self.scale_steps - self.step) + later
        self.costs, self.work_total = costs, self.work_done + left

    def best_image(self) -> Tensor:
        assert self._best is not None
        return self._best

    @property
    def best_loss(self) -> float:
        """Lowest total loss seen at the current scale (inf before the first evaluation)."""
        return self._best_loss

    def step_done(self) -> None:
        self.step += 1
        self.total_step += 1
        self.work_done += self.costs[self.scale_index].step_s
        self.history.append(dict(self._last_terms))
        if self.callback is None:
            return
        preview = None
        last = self.step == self.scale_steps
        if last or (self.preview_every > 0 and self.step % self.preview_every == 0):
            preview = to_preview(to_array(self.display(self.best_image())))
        edit, self._edit = self._edit, None
        self.callback(self._event(STEP, dict(self._last_terms), preview, edit))

    def preparing(self) -> None:
        """Slow set-up work (style targets) starts now: say so before it, not after.

        The edit of the next step stays for that step's event, which says it landed.
        """
        if self.callback is not None:
            self.callback(self._event(PREPARING, {}))

    def _event(self, phase: str, losses: dict[str, float], preview: PreviewArray | None = None,
               edit: Mapping[str, Any] | None = None) -> ProgressEvent:
        elapsed = self.elapsed()
        remaining = math.inf
        if self.work_done > 0 and self.total_step >= 2:
            spent = elapsed - (self.first_scale_at or 0.0)
            remaining = spent / self.work_done * max(0.0, self.work_total - self.work_done)
        h, w = self.sizes[self.scale_index]
        return ProgressEvent(
            scale_index=self.scale_index, scale_count=len(self.sizes), width=w, height=h,
            step=self.step, scale_steps=self.scale_steps, total_step=self.total_step,
            total_steps=sum(self.steps), losses=losses, elapsed_s=elapsed,
            remaining_s=remaining, preview=preview, edit=edit, phase=phase,
        )

    def result(self, stopped: bool, edits: tuple[Edit, ...] = (), start_size: int = 0) -> RunResult:
        image = to_array(self.display(self.best_image()))
        return RunResult(
            image=image, params=self.params, stopped=stopped, steps_done=self.total_step,
            elapsed_s=self.elapsed(), losses=dict(self._best_terms or self._last_terms),
            device=self.device, loss_history=list(self.history), edits=edits, start_size=start_size,
        )
