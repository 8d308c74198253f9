"""One job painted on the farm from start to picture, through outages (stdlib only, no Ray).

The farm is a place where jobs run, not a record of them: when it cannot be reached the job
waits (``on_waiting`` says since when) and goes on when it is back; when it no longer knows
the job (its service or head node restarted) the job is sent again under the same key. The
picture is fetched once and the farm told to forget it; the caller (the queue) records it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nst_desktop.engine.spec.events import ImageArray, ProgressEvent
from nst_desktop.farm.client import FarmClient
from nst_desktop.farm.protocol import FarmError, FarmJobLostError, FarmUnreachableError, JobRequest

RETRY_S = 2.0  # how often an unreachable farm is asked again


@dataclass(frozen=True)
class FarmResult:
    """A farm job's picture (exact float32 pixels) and its full record."""

    image: ImageArray
    record: dict[str, Any]


class FarmCancelledError(FarmError):
    """The job was cancelled (by the caller, or on the farm)."""


def progress_event(item: dict[str, Any]) -> ProgressEvent:
    """A farm progress item as the engine's own event, for the progress bars that show local runs."""
    remaining = item.get("remaining_s")
    return ProgressEvent(
        scale_index=int(item["scale"]), scale_count=int(item["scales"]), width=int(item["width"]),
        height=int(item["height"]), step=int(item["scale_step"]), scale_steps=int(item["scale_steps"]),
        total_step=int(item["step"]), total_steps=int(item["steps"]),
        losses={str(k): float(v) for k, v in dict(item.get("losses") or {}).items()},
        elapsed_s=float(item["elapsed_s"]),
        remaining_s=float("inf") if remaining is None else float(remaining),
        phase=str(item["phase"]))


def unreachable_text(since: datetime) -> str:
    """What the queue shows while the farm is down."""
    return f"farm unreachable since {since:%H:%M}"


def paint_on_farm(client: FarmClient, request: JobRequest, *,
                  on_progress: Callable[[dict[str, Any]], None] = lambda item: None,
                  on_waiting: Callable[[str], None] = lambda text: None,
                  stop_requested: Callable[[], bool] = lambda: False,
                  retry_s: float = RETRY_S) -> FarmResult:
    """Send ``request`` and follow it to its picture. FarmCancelledError once ``stop_requested``
    (the farm's job is cancelled, within a step); FarmError for a job the farm refused or failed."""
    job_id: str | None = None
    seen = 0
    down_since: datetime | None = None
    while True:
        try:
            if job_id is None:
                job_id, seen = str(client.submit(request)["id"]), 0
            events, job = client.events(job_id, seen, wait_s=1.0)
            down_since = None
            seen += len(events)
            for item in events:
                on_progress(item)
            if stop_requested():
                client.cancel(job_id)
                raise FarmCancelledError("Cancelled.")
            if job["state"] == "done":
                result = FarmResult(client.result_image(job_id), dict(job["record"]))
                _forget(client, job_id)
                return result
            if job["state"] == "failed":
                raise FarmError(str(job["error"]))
            if job["state"] == "cancelled":
                raise FarmCancelledError("The job was cancelled on the farm.")
        except FarmJobLostError:
            job_id = None  # the farm restarted: send the job again (same key)
        except FarmUnreachableError:
            if down_since is None:
                down_since = datetime.now()
                on_waiting(unreachable_text(down_since))
            if stop_requested():
                raise FarmCancelledError("Cancelled while the farm was unreachable.") from None
            time.sleep(retry_s)


def _forget(client: FarmClient, job_id: str) -> None:
    """Free the picture's memory on the farm; a farm gone meanwhile has forgotten it anyway."""
    with contextlib.suppress(FarmError):
        client.delete(job_id)
