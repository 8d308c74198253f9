"""The Ray task that paints one farm job, streaming its progress (Ray streaming generator).

Each job is one task. It yields a progress item per engine event (read by the service within
milliseconds) and last a result item: ``{"image", "record"}`` or ``{"error"}``. Items pass
between Ray processes of the cluster; nothing the client sent is unpickled (the service
parses the client's JSON, farm.protocol).

- Ray reuses worker processes and torch fixes its thread count at first use, so every task
  sets torch's threads to what Ray gave it (OMP_NUM_THREADS) before anything else.
- A killed worker: Ray runs the task again (``max_retries``); a generator re-run yields its
  items again and Ray drops the ones the caller already has, so the result arrives once.
- Cancel: ``ray.cancel`` raises KeyboardInterrupt in the task's main thread; the generator's
  ``finally`` stops the engine through its RunControl (honoured between steps, and between
  the tiles of a print-size step) and the task ends within a step.
"""

from __future__ import annotations

import math
import os
import queue
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ray

from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.farm.protocol import JobRequest

MAX_RETRIES = 3  # for a worker that died (killed, out of memory); a user error is never retried
_END = object()


def progress_item(event: ProgressEvent, node: str, pid: int) -> dict[str, Any]:
    """What the client sees of one engine event (plain JSON values); ``t``: when, on the node."""
    losses = {k: float(v) for k, v in event.losses.items() if math.isfinite(v)}  # JSON has no NaN
    return {"phase": event.phase, "step": event.total_step, "steps": event.total_steps,
            "scale": event.scale_index, "scales": event.scale_count, "scale_step": event.step,
            "scale_steps": event.scale_steps, "width": event.width, "height": event.height,
            "losses": losses, "elapsed_s": round(event.elapsed_s, 3),
            "remaining_s": None if event.remaining_s == float("inf") else round(event.remaining_s, 1),
            "node": node, "pid": pid, "t": time.time()}


def set_torch_threads() -> int:
    """torch's thread count from what Ray gave this task (a reused worker keeps its old one)."""
    import torch

    threads = max(1, int(os.environ.get("OMP_NUM_THREADS", "1") or "1"))
    torch.set_num_threads(threads)
    return threads


@ray.remote(max_retries=MAX_RETRIES, retry_exceptions=False)
def paint(request: JobRequest) -> Iterator[dict[str, Any]]:
    """Paint ``request`` (a parsed, size-checked JobRequest), yielding progress then the result."""
    set_torch_threads()
    node, pid = ray.get_runtime_context().get_node_id(), os.getpid()
    events: queue.Queue[Any] = queue.Queue()
    control = RunControl()
    outcome: dict[str, Any] = {}

    def work() -> None:
        from nst_desktop.farm.inputs import render_request

        try:
            with tempfile.TemporaryDirectory(prefix="nst-farm-") as folder:
                image, record = render_request(request, Path(folder), control=control,
                                               callback=lambda e: events.put(progress_item(e, node, pid)))
            outcome.update(image=image, record=record)
        except NSTError as exc:
            outcome["error"] = exc.user_text()
        except Exception as exc:  # noqa: BLE001  the client gets one line; the worker log the rest
            import logging

            logging.getLogger(__name__).exception("farm job failed")
            outcome["error"] = f"The farm failed to paint the job: {type(exc).__name__}: {exc}"
        finally:
            events.put(_END)

    thread = threading.Thread(target=work, name="nst-farm-render", daemon=True)
    thread.start()
    try:
        while (item := events.get()) is not _END:
            yield item
        yield outcome
    finally:
        # ray.cancel raises KeyboardInterrupt here, or in Ray's own code between two items, and
        # then this generator is closed (GeneratorExit): either way the engine is told to stop
        # and ends within a step, so a reused worker never goes on painting a cancelled job.
        control.stop()
        thread.join()
