"""The queue's jobs painted on the farm (issue 19): ``nst-desktop batch ... --farm URL``.

The queue stays the only durable record: :class:`FarmRender` takes the place of the local
``service.render.render`` in the queue's :class:`~nst_desktop.queue.runner.Runner`, so claiming,
leases, delivery into the history and the output folder (exactly once, ``queue.delivery``) are
the queue's own. Each job goes to the farm under its queue uid: a job sent again after the app
restarted finds the farm's job still running instead of painting it twice, and after the farm's
head restarted it is painted again. While the farm is unreachable the job waits ("farm
unreachable since HH:MM") and goes on when it is back. The farm's jobs are painted side by side,
as many as the farm can paint at once (:meth:`FarmRender.lanes`, ``queue.pool.RunnerPool``: one
runner per lane). No Ray here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.events import ProgressEvent, RunResult
from nst_desktop.farm.client import FarmClient, request_for
from nst_desktop.farm.protocol import FarmUnreachableError
from nst_desktop.farm.runner import FarmCancelledError, paint_on_farm, progress_event
from nst_desktop.queue.runner import kept_recipe
from nst_desktop.queue.store import QueuedJob
from nst_desktop.service.job import Job
from nst_desktop.service.render import Rendered


def first_contact(client: FarmClient) -> str:
    """Ask the farm how it is before any job is claimed (``batch --farm`` and the window's queue):
    the line to show. A wrong token or another version raises its one-line FarmError, so no job
    is claimed only to fail; a farm that is down is not an error: its jobs wait for it."""
    try:
        return f"Painting on the farm: {client.status().text()}"
    except FarmUnreachableError as exc:
        return f"{exc.user_text()} The jobs wait for it."


class FarmRender:
    """Paints a queued job on the farm; called by the queue's Runner in place of a local render."""

    def __init__(self, client: FarmClient,
                 on_waiting: Callable[[QueuedJob, str], None] = lambda job, text: None) -> None:
        self.client = client
        self.on_waiting = on_waiting

    def lanes(self) -> int:
        """How many jobs to keep on the farm at once (``queue.pool``): what it can paint at once,
        asked again each time (a node that joined or left). FarmError while it cannot be asked."""
        return self.client.status().lanes

    def __call__(self, job: QueuedJob, service_job: Job, *, callback: Callable[[ProgressEvent], None],
                 control: RunControl) -> Rendered:
        # The kept copies' bytes go up; the record names the artist's files, as a local run's does.
        request = request_for(job.recipe, "full", key=job.uid, files=kept_recipe(job))

        def on_progress(item: dict[str, Any]) -> None:
            callback(progress_event(item))

        try:
            result = paint_on_farm(self.client, request, on_progress=on_progress,
                                   on_waiting=lambda text: self.on_waiting(job, text),
                                   stop_requested=lambda: control.stopped)
        except FarmCancelledError:
            # Stopped (Runner.stop, or cancelled in the queue): the Runner gives the job back. The
            # farm keeps no partial picture, so there is nothing to go on from (1 px: no checkpoint).
            nothing = RunResult(np.zeros((1, 1, 3), np.float32), service_job.params, True, 0, 0.0, {}, "farm")
            return Rendered(nothing, {}, service_job.mask)
        record = result.record
        run = RunResult(result.image, service_job.params, bool(record.get("stopped", False)),
                        int(record.get("steps", 0)), float(record.get("elapsed_s", 0.0)),
                        {k: float(v) for k, v in (record.get("losses") or {}).items() if v is not None},
                        str(record.get("device", "")))
        return Rendered(run, record, service_job.mask)
