"""The service's job table without a cluster: abandoned pictures do not hold memory forever."""

from __future__ import annotations

import time

import numpy as np
import pytest

from nst_desktop.farm.jobs import KEEP_FINISHED_S, FarmJob, FarmJobs, encode_result
from nst_desktop.farm.protocol import FarmError


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
