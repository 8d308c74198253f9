"""Time left for the whole queue, without torch and without a calibration run.

A job's work is the pixels it optimises times the steps, over its scales (``job_work``, from the
schedule alone: the photo's size is known from its header when the job is added). The running
job's own time left is the engine's (``ProgressEvent.remaining_s``: ``engine.run.cost`` times the
speed the run has shown). The jobs still waiting are costed at the seconds per unit of work this
queue has shown: its finished jobs, else the running job's forecast (elapsed + left). Jobs
painted side by side (the render farm's lanes, ``queue.pool``) share one :class:`Tally`: "job i of
n" numbers them in the order they started, and the waiting work is shared out over the lanes.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.schedule import scale_sizes, steps_per_scale
from nst_desktop.queue.job import QueuedJob


def job_work(params: Params, photo_hw: tuple[int, int]) -> float:
    """Pixel-steps of a full render of a photo of ``photo_hw`` (1 for an unknown size: counted as a job)."""
    if min(photo_hw) <= 0:
        return 1.0
    sizes = scale_sizes(params, photo_hw)
    steps = steps_per_scale(params, len(sizes))
    return float(sum(h * w * n for (h, w), n in zip(sizes, steps, strict=True))) or 1.0


class QueueClock:
    """Seconds per unit of work, learnt from the jobs this runner painted."""

    def __init__(self) -> None:
        self._seconds = 0.0
        self._work = 0.0

    def finished(self, work: float, seconds: float) -> None:
        """A job of ``work`` took ``seconds`` (its render, not its wait)."""
        if work > 0 and seconds > 0:
            self._work += work
            self._seconds += seconds

    def left(self, event: ProgressEvent | None, current_work: float, waiting_work: float) -> float:
        """Seconds left for the running job (from its event) and the waiting ones; inf while unknown."""
        current_left = event.remaining_s if event is not None else math.inf
        rate = self._rate(event, current_work)
        if rate is None:
            return math.inf
        if not math.isfinite(current_left):
            current_left = rate * current_work
        return current_left + rate * waiting_work

    def _rate(self, event: ProgressEvent | None, current_work: float) -> float | None:
        if self._work > 0:
            return self._seconds / self._work
        if event is not None and math.isfinite(event.remaining_s) and current_work > 0:
            return (event.elapsed_s + event.remaining_s) / current_work
        return None


class Tally:
    """What the runners of one run share, thread-safe: the jobs claimed, in order (the "i" of "job i
    of n"), the seconds per unit of work, and how many jobs are painted at once (``lanes``)."""

    def __init__(self, lanes: int = 1) -> None:
        self._lock = threading.Lock()
        self._clock = QueueClock()
        self._claimed: list[int] = []  # job ids in the order this run's lanes claimed them
        self.lanes = max(1, lanes)

    def claim(self, take: Callable[[], QueuedJob | None]) -> QueuedJob | None:
        """``take()`` (the store's claim) numbered in claim order: the job's "i"."""
        with self._lock:
            job = take()
            if job is not None and job.id not in self._claimed:
                self._claimed.append(job.id)
            return job

    def number(self, job_id: int) -> int:
        """The job's "i" in this run (1-based; 1 for a job not claimed through this tally)."""
        with self._lock:
            return self._claimed.index(job_id) + 1 if job_id in self._claimed else 1

    def count(self, waiting: Callable[[], int]) -> int:
        """The "n": the jobs claimed in this run and the ``waiting()`` ones, read as one (no
        lane claims between the two)."""
        with self._lock:
            return len(self._claimed) + waiting()

    def finished(self, work: float, seconds: float) -> None:
        with self._lock:
            self._clock.finished(work, seconds)

    def left(self, event: ProgressEvent | None, current_work: float, waiting_work: float) -> float:
        """As :meth:`QueueClock.left`; the waiting jobs are painted ``lanes`` at a time."""
        with self._lock:
            return self._clock.left(event, current_work, waiting_work / self.lanes)
