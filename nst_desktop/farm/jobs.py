"""The farm service's jobs: each one a Ray task, followed by one thread of the driver.

Ray keeps no queue after a restart and neither does this table: it lives in the service's
memory, for the jobs running now. The app's queue is the durable record; a client that finds
its job gone (the service or the head restarted) sends it again (farm.runner). A job sent
again with the same key while the farm still has it is the same job, not a second one.
"""

from __future__ import annotations

import io
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import ray

from nst_desktop.engine.spec.events import ImageArray
from nst_desktop.farm.protocol import FINISHED, FarmError, FarmStoppingError, JobRequest
from nst_desktop.farm.tasks import paint

log = logging.getLogger(__name__)
MAX_EVENTS = 2000  # the newest progress items kept per job: a client reads them within a second
KEEP_FINISHED_S = 24 * 3600  # a finished job nobody fetched (its client gone) is dropped after this


@dataclass
class FarmJob:
    """One job on the farm: its state, progress items and, once done, its picture and record."""

    id: str
    key: str
    kind: str
    state: str = "queued"
    events: list[dict[str, Any]] = field(default_factory=list)
    first_event: int = 0  # the index of events[0]: older items were dropped (MAX_EVENTS)
    error: str = ""
    image: ImageArray | None = None
    record: dict[str, Any] | None = None
    created: float = field(default_factory=time.time)
    ended: float = 0.0  # when it finished (time.time()), 0 while it runs
    ref: Any = None  # the task's ObjectRefGenerator

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "kind": self.kind, "state": self.state,
                "events": self.first_event + len(self.events), "error": self.error,
                "created": self.created, "record": self.record}


class FarmJobs:
    """Submit, follow, cancel and hand back jobs; thread-safe (the HTTP server is threaded)."""

    def __init__(self, task_options: Callable[[], dict[str, Any]]) -> None:
        self._options = task_options
        self._jobs: dict[str, FarmJob] = {}
        self._changed = threading.Condition()
        self.closing = False  # set once the service stops: see close()

    def close(self) -> None:
        """Called before the driver leaves Ray. From now on a follower's error is the shutdown's
        (ray.get after ray.shutdown), not the job's: no job is marked failed, and every waiting
        or new request gets FarmStoppingError (HTTP 503), so a client waits and sends its job
        again to the restarted farm instead of reporting a failure the artist never caused."""
        with self._changed:
            self.closing = True
            self._changed.notify_all()

    def submit(self, request: JobRequest) -> tuple[FarmJob, bool]:
        """(the job, whether it is new): a key the farm already holds returns that job."""
        with self._changed:
            self._refuse_if_closing()
            self._drop_abandoned()
            for job in self._jobs.values():
                if job.key == request.key and job.state != "cancelled":
                    return job, False
            job = FarmJob(uuid.uuid4().hex, request.key, request.kind)
            self._jobs[job.id] = job
            job.ref = paint.options(**self._options()).remote(request)
        threading.Thread(target=self._follow, args=(job,), name=f"farm-job-{job.id[:8]}", daemon=True).start()
        return job, True

    def get(self, job_id: str) -> FarmJob:
        with self._changed:
            self._refuse_if_closing()  # every job route goes through here
            job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(job_id)
        return job

    def events(self, job_id: str, after: int, wait_s: float) -> tuple[list[dict[str, Any]], FarmJob]:
        """Progress items from index ``after`` on, waiting up to ``wait_s`` for one to come."""
        job = self.get(job_id)
        deadline = time.monotonic() + wait_s
        with self._changed:
            while job.first_event + len(job.events) <= after and job.state not in FINISHED:
                left = deadline - time.monotonic()
                if left <= 0 or self.closing:
                    break
                self._changed.wait(left)
            self._refuse_if_closing()
            start = max(0, after - job.first_event)
            return list(job.events[start:]), job

    def cancel(self, job_id: str) -> FarmJob:
        job = self.get(job_id)
        if job.state not in FINISHED:
            ray.cancel(job.ref)  # KeyboardInterrupt in the task: its RunControl stops the engine
        return job

    def delete(self, job_id: str) -> None:
        """Forget a job (the client has its result): its picture's memory is freed."""
        job = self.cancel(job_id)
        with self._changed:
            self._jobs.pop(job.id, None)

    def counts(self) -> dict[str, int]:
        with self._changed:
            states = [job.state for job in self._jobs.values()]
        return {state: states.count(state) for state in sorted(set(states))}

    def _refuse_if_closing(self) -> None:
        if self.closing:
            raise FarmStoppingError("The farm is stopping; it will be asked again.")

    def _drop_abandoned(self) -> None:
        """Forget finished jobs older than KEEP_FINISHED_S: their pictures hold the driver's memory."""
        now = time.time()
        for job_id in [j.id for j in self._jobs.values() if j.ended and now - j.ended > KEEP_FINISHED_S]:
            del self._jobs[job_id]

    def _follow(self, job: FarmJob) -> None:
        """Read the task's stream into the job until it ends, fails or is cancelled."""
        try:
            for ref in job.ref:
                item = ray.get(ref)
                if "phase" in item:
                    self._add_event(job, item)
                else:
                    self._finish(job, item)
        except ray.exceptions.TaskCancelledError:
            self._set_state(job, "cancelled", "Cancelled.")
        except ray.exceptions.RayError as exc:  # retries spent, node lost...
            log.warning("farm job %s failed: %s", job.id, exc)
            self._set_state(job, "failed", f"The farm lost the job: {str(exc).splitlines()[0][:200]}")
        except Exception as exc:  # a job must never stay "running" because its follower died
            log.exception("following farm job %s failed", job.id)
            self._set_state(job, "failed", f"The farm failed to follow the job: {type(exc).__name__}: {exc}")

    def _add_event(self, job: FarmJob, item: dict[str, Any]) -> None:
        with self._changed:
            job.state = "running"
            job.events.append(item)
            if len(job.events) > MAX_EVENTS:
                drop = len(job.events) - MAX_EVENTS
                del job.events[:drop]
                job.first_event += drop
            self._changed.notify_all()

    def _finish(self, job: FarmJob, item: dict[str, Any]) -> None:
        with self._changed:
            if "error" in item:
                job.state, job.error = "failed", str(item["error"])
            else:
                job.image, job.record, job.state = item["image"], item["record"], "done"
            job.ended = time.time()
            self._changed.notify_all()

    def _set_state(self, job: FarmJob, state: str, error: str) -> None:
        with self._changed:
            if self.closing:  # the error came from the service's own shutdown: see close()
                log.debug("farm job %s left as %s at shutdown (%s)", job.id, job.state, error)
                return
            job.state, job.error, job.ended = state, error, time.time()
            self._changed.notify_all()


def encode_result(job: FarmJob, fmt: str) -> bytes:
    """The job's picture as ``fmt``: "png" (8-bit), "png16" (16-bit), both with the record
    inside, or "float32" (the exact pixels, a NumPy .npy file read without pickle)."""
    if job.state != "done" or job.image is None:
        raise FarmError(f"The job is {job.state}: it has no picture.")
    if fmt == "float32":
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(job.image, dtype=np.float32), allow_pickle=False)
        return buffer.getvalue()
    from nst_desktop.io.images import encode

    return encode(job.image, "PNG16" if fmt == "png16" else "PNG", job.record)

