"""The service's job table without a cluster: abandoned pictures do not hold memory forever."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from nst_desktop.farm.jobs import KEEP_FINISHED_S, FarmJob, FarmJobs, encode_result
from nst_desktop.farm.protocol import FarmError, FarmStoppingError


def test_a_finished_job_nobody_fetched_is_dropped_after_a_day() -> None:
    jobs = FarmJobs(dict)
    old = FarmJob("old", "k1", "full", state="done", ended=time.time() - KEEP_FINISHED_S - 1)
    fresh = FarmJob("fresh", "k2", "full", state="done", ended=time.time() - 60)
    running = FarmJob("running", "k3", "full", state="running")
    for job in (old, fresh, running):
        jobs._jobs[job.id] = job
    jobs._drop_abandoned()
    assert set(jobs._jobs) == {"fresh", "running"}
    with pytest.raises(KeyError):
        jobs.get("old")


def test_a_result_is_encoded_only_once_the_job_is_done() -> None:
    image = np.random.default_rng(0).random((5, 7, 3), dtype=np.float32)
    done = FarmJob("a", "k", "full", state="done", image=image, record={"seed": 1})
    assert encode_result(done, "png16").startswith(b"\x89PNG")
    assert encode_result(done, "float32").startswith(b"\x93NUMPY")
    with pytest.raises(FarmError, match="running"):
        encode_result(FarmJob("b", "k", "full", state="running"), "png")


def _follow_a_task_that_dies_with(jobs: FarmJobs, error: Exception) -> FarmJob:
    def stream() -> Iterator[object]:
        raise error
        yield  # a generator, as Ray's ObjectRefGenerator is iterated

    job = FarmJob("j", "k", "full", state="running", ref=stream())
    jobs._jobs[job.id] = job
    jobs._follow(job)
    return job


def test_a_follower_that_dies_marks_its_job_failed_while_the_farm_runs() -> None:
    job = _follow_a_task_that_dies_with(FarmJobs(dict), AttributeError("boom"))
    assert job.state == "failed" and "boom" in job.error


def test_errors_of_the_services_own_shutdown_reach_no_client_as_a_failed_job() -> None:
    """ray.get after ray.shutdown raised AttributeError ('NoneType' ... 'address_info') in the
    followers; a client long-polling the job got "failed" and gave up instead of waiting."""
    jobs = FarmJobs(dict)
    jobs.close()
    shutdown_error = AttributeError("'NoneType' object has no attribute 'address_info'")
    job = _follow_a_task_that_dies_with(jobs, shutdown_error)
    assert job.state == "running" and job.error == ""
    with pytest.raises(FarmStoppingError):  # HTTP 503: the client waits, then sends the job again
        jobs.events(job.id, 0, wait_s=5.0)
    for route in (jobs.get, jobs.cancel, jobs.delete):  # ray.cancel after ray.shutdown would raise
        with pytest.raises(FarmStoppingError):
            route(job.id)


def test_a_client_long_polling_when_the_farm_stops_is_answered_at_once() -> None:
    jobs = FarmJobs(dict)
    jobs._jobs["j"] = FarmJob("j", "k", "full", state="running")
    threading.Timer(0.2, jobs.close).start()
    started = time.monotonic()
    with pytest.raises(FarmStoppingError):
        jobs.events("j", 0, wait_s=30.0)
    assert time.monotonic() - started < 10
