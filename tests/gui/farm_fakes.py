"""A render farm in the test's process, for the window's queue tests (issue 19): fast, no Ray.

:class:`FakeFarm` answers as ``farm.client.FarmClient`` does. Each request is unpacked and checked
by the farm's own ``farm.inputs.unpack`` and painted through the one render path with the queue
tests' fake engine on a thread; its progress items (the farm's wire format) are long-polled as the
service's are. It can be made unreachable or another version, and it records each submit, cancel
and when each progress item became available, and how many jobs painted at once (``most_at_once``;
its status says it paints ``int(cpus)`` at once).
"""

from __future__ import annotations

import math
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nst_desktop import __version__
from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.events import ImageArray, ProgressEvent
from nst_desktop.farm.client import FarmClient, FarmStatus
from nst_desktop.farm.protocol import FarmJobLostError, FarmUnreachableError, FarmVersionError, JobRequest
from tests.queue.conftest import ScaleFake

HOST = "fake-farm"


@dataclass
class FakeJob:
    id: str
    key: str
    state: str = "queued"
    events: list[dict[str, Any]] = field(default_factory=list)
    made_at: list[float] = field(default_factory=list)  # perf_counter when each item was available
    image: ImageArray | None = None
    record: dict[str, Any] | None = None
    error: str = ""
    control: RunControl = field(default_factory=RunControl)

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "state": self.state, "error": self.error,
                "record": self.record}


class FakeFarm(FarmClient):
    """See the module docstring. ``down``: unreachable; ``version``: the farm's version."""

    def __init__(self, engine: ScaleFake | None = None) -> None:
        super().__init__("http://fake-farm:8765", "t" * 20)
        self.engine = engine or ScaleFake(step_s=0.05)
        self.down = False
        self.version = __version__
        self.jobs: dict[str, FakeJob] = {}
        self.submitted: list[str] = []  # the keys sent (the queue's job uids)
        self.cancelled: list[tuple[str, float]] = []  # job id, perf_counter of the cancel
        self.step_times: dict[int, float] = {}  # the last job's step -> perf_counter when it was available
        self.results: dict[str, ImageArray] = {}  # key -> the picture sent back
        self.cpus = 2.0  # what its status says: it paints int(cpus) jobs at once (FarmStatus.lanes)
        self.painting = 0  # jobs painting now
        self.most_at_once = 0  # the most jobs that were painting at the same time
        self.spans: dict[str, tuple[float, float]] = {}  # key -> perf_counter when it started, ended
        self._changed = threading.Condition()
        self._folder = Path(tempfile.mkdtemp(prefix="fake-farm-"))

    # --- the client's calls -------------------------------------------------------------------
    def status(self) -> FarmStatus:
        self._answer()
        return FarmStatus(self.version, "2.60.0", ({"address": "127.0.0.1", "cpus": self.cpus, "gpus": 0},),
                          self.cpus, 0.0, {})

    def submit(self, request: JobRequest) -> dict[str, Any]:
        self._answer()
        with self._changed:
            for job in self.jobs.values():
                if job.key == request.key and job.state != "cancelled":
                    return job.summary()
            job = FakeJob(uuid.uuid4().hex, request.key)
            self.jobs[job.id] = job
            self.submitted.append(request.key)
        threading.Thread(target=self._paint, args=(job, request), daemon=True).start()
        return job.summary()

    def events(self, job_id: str, after: int = 0, wait_s: float = 1.0) -> tuple[list[dict[str, Any]],
                                                                                 dict[str, Any]]:
        self._answer()
        job = self._job(job_id)
        deadline = time.monotonic() + wait_s
        with self._changed:
            while len(job.events) <= after and job.state not in ("done", "failed", "cancelled"):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return list(job.events[after:]), job.summary()

    def cancel(self, job_id: str) -> dict[str, Any]:
        self._answer()
        job = self._job(job_id)
        self.cancelled.append((job_id, time.perf_counter()))
        job.control.stop()
        return job.summary()

    def result_image(self, job_id: str) -> ImageArray:
        self._answer()
        job = self._job(job_id)
        assert job.image is not None
        self.results[job.key] = job.image
        return job.image

    def delete(self, job_id: str) -> None:
        with self._changed:
            self.jobs.pop(job_id, None)

    # --- the farm's side ----------------------------------------------------------------------
    def _answer(self) -> None:
        if self.down:
            raise FarmUnreachableError(f"The farm at {self.url} cannot be reached (connection refused).")
        if self.version != __version__:
            from nst_desktop.farm.protocol import version_problem

            raise FarmVersionError(version_problem(self.version, farm_side=False))

    def _job(self, job_id: str) -> FakeJob:
        with self._changed:
            job = self.jobs.get(job_id)
        if job is None:
            raise FarmJobLostError("The farm does not know this job.")
        return job

    def _paint(self, job: FakeJob, request: JobRequest) -> None:
        from nst_desktop.farm.inputs import unpack
        from nst_desktop.recipe.jobs import job_for
        from nst_desktop.service.render import render

        folder = self._folder / job.id
        folder.mkdir()
        unpacked = unpack(request, folder)  # the farm's own checks
        service_job = job_for(unpacked.recipe, "full")
        with self._changed:
            self.painting += 1
            self.most_at_once = max(self.most_at_once, self.painting)
        began = time.perf_counter()
        try:
            rendered = render(service_job, callback=lambda event: self._add(job, event), control=job.control,
                              stylize_fn=self.engine)
        finally:
            with self._changed:
                self.painting -= 1
                self.spans[job.key] = (began, time.perf_counter())
        record = {**rendered.metadata, "inputs": dict(request.record["inputs"]),
                  "farm": {"host": HOST, "device": "cpu", "precision": "float32"}}
        with self._changed:
            if rendered.result.stopped:
                job.state, job.error = "cancelled", "Cancelled."
            else:
                job.image, job.record, job.state = rendered.image, record, "done"
            self._changed.notify_all()

    def _add(self, job: FakeJob, event: ProgressEvent) -> None:
        item = {"phase": event.phase, "step": event.total_step, "steps": event.total_steps,
                "scale": event.scale_index, "scales": event.scale_count, "scale_step": event.step,
                "scale_steps": event.scale_steps, "width": event.width, "height": event.height,
                "losses": {k: v for k, v in event.losses.items() if math.isfinite(v)},
                "elapsed_s": event.elapsed_s, "remaining_s": event.remaining_s, "node": HOST, "pid": 1}
        with self._changed:
            job.state = "running"
            job.events.append(item)
            job.made_at.append(time.perf_counter())
            if event.is_step:
                self.step_times[event.total_step] = job.made_at[-1]
            self._changed.notify_all()
