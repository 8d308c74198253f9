"""What the Queue panel's rows and total say (no widgets): a job's status, progress and time left,
painted on this computer or on the render farm (issues 18.3 and 19).

Two painters may report at once (this computer's and the farm's: ``gui.queue_farm``), so
:class:`QueueView` keeps each running job's own last report: one row never shows another's
figures. The artist's priority holds only the jobs painted here: a farm job uses none of this
computer's cores, so its row keeps painting while the artist paints. A farm job whose farm
cannot be reached says since when (``farm.runner.unreachable_text``) and waits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.formatting import format_duration
from nst_desktop.queue.runner import QueueProgress
from nst_desktop.queue.store import Place, QueuedJob, Status
from nst_desktop.queue.timing import job_work

NO_FARM = "no render farm set: Edit ▸ Render farm…"  # the farm line's (the row says "no farm set")


def status_text(job: QueuedJob, held: bool, farm_note: str = "", farm_set: bool = True) -> str:
    """A row's status: the word, what it waits for, a failure's reason. ``held``: the artist
    paints (only this computer's jobs wait for them); ``farm_note``: why a farm job waits."""
    on_farm = job.place == Place.FARM
    # Short: the row is ~28 characters wide in a 300 px dock, its time left after the status
    # ("farm · 1 min 29 s left"); the whole reason is in its tooltip, the panel elides the rest.
    if job.status == Status.RUNNING:
        if on_farm:
            return farm_note or "farm"
        return "paused: you are painting" if held else "painting"
    if job.status == Status.FAILED:
        return f"failed: {job.reason}" if job.reason else "failed"
    if job.status == Status.WAITING and on_farm:
        if not farm_set:
            return "waiting · no farm set"
        return f"waiting · farm ({job.reason})" if job.reason else "waiting · farm"
    if job.status == Status.WAITING and job.reason:
        return f"waiting ({job.reason})"
    return job.status.value


def seconds_per_work(progress: QueueProgress | None, waiting_work: float) -> float | None:
    """The queue's seconds per unit of work: what its total time left says of the waiting jobs."""
    if progress is None or progress.event is None or waiting_work <= 0:
        return None
    left = progress.queue_left_s - progress.event.remaining_s
    return left / waiting_work if math.isfinite(left) and left >= 0 else None


@dataclass
class QueueView:
    """The painters' last reports, per running job and per place, and the farm's notes."""

    held: bool = False  # the artist paints: this computer's running job waits for them
    farm_set: Callable[[], bool] = lambda: True  # whether a farm address is set (Settings ▸ Render farm)
    progress: dict[int, QueueProgress] = field(default_factory=dict)  # job id -> its last report
    latest: dict[Place, QueueProgress] = field(default_factory=dict)  # place -> its painter's last
    notes: dict[int, str] = field(default_factory=dict)  # farm job id -> "farm unreachable since …"

    def report(self, progress: QueueProgress) -> None:
        """A painter's report: its job paints again (a farm that was down is back)."""
        self.progress[progress.job.id] = progress
        self.latest[progress.job.place] = progress
        self.notes.pop(progress.job.id, None)

    def keep_running(self, jobs: list[QueuedJob]) -> None:
        """Forget the reports and notes of jobs no longer running (ended, given back, moved), and
        a painter's last report once its place has nothing left to paint."""
        running = {j.id for j in jobs if j.status == Status.RUNNING}
        for table in (self.progress, self.notes):
            for job_id in [i for i in table if i not in running]:
                del table[job_id]
        busy = {j.place for j in jobs if j.status in (Status.WAITING, Status.RUNNING)}
        self.latest = {place: report for place, report in self.latest.items() if place in busy}

    def status(self, job: QueuedJob) -> str:
        return status_text(job, self.held, self.notes.get(job.id, ""), self.farm_set())

    def event(self, job: QueuedJob) -> ProgressEvent | None:
        progress = self.progress.get(job.id)
        return progress.event if progress is not None and job.status == Status.RUNNING else None

    def percent(self, job: QueuedJob) -> int:
        if job.status == Status.DONE:
            return 100
        event = self.event(job)
        return round(100 * event.fraction) if event is not None else 0

    def scale_text(self, job: QueuedJob) -> str:
        event = self.event(job)
        return "" if event is None or event.scale_count < 2 else \
            f", scale {event.scale_index + 1} of {event.scale_count}"

    def left_text(self, job: QueuedJob, rate: float | None) -> str:
        event = self.event(job)
        if event is not None and job.id not in self.notes:
            return format_duration(event.remaining_s) + " left"
        if job.status == Status.WAITING and rate is not None:
            return "about " + format_duration(rate * job_work(job.recipe.params, job.photo_hw))
        if job.status == Status.DONE and job.started and job.finished:
            return "took " + format_duration(job.finished - job.started)
        return ""

    def rate(self, place: Place, jobs: list[QueuedJob]) -> float | None:
        """Seconds per unit of work of ``place``'s painter, from its queue's time left."""
        latest = self.latest.get(place)
        current = latest.job.id if latest is not None else None
        waiting = sum(job_work(j.recipe.params, j.photo_hw) for j in jobs
                      if j.status == Status.WAITING and j.place == place and j.id != current)
        return seconds_per_work(latest, waiting)

    def queue_left_s(self) -> float | None:
        """The whole queue's time left: the two painters work side by side, so the longer one's."""
        return max((p.queue_left_s for p in self.latest.values()), default=None)
