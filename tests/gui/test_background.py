"""Background jobs: a finished or superseded job lets go of its arguments (issue 16.11)."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest
from pytestqt.exceptions import TimeoutError as WaitTimeout
from pytestqt.qtbot import QtBot

from nst_desktop.gui.background import LatestJob, run_in_background


def _shape(photo: np.ndarray) -> tuple[int, ...]:
    return photo.shape


def _photo_freed(ref: weakref.ref[np.ndarray], qtbot: QtBot) -> bool:
    def dead() -> bool:
        gc.collect()
        return ref() is None

    try:
        # superqt lets go of its worker a moment after the job ended (its own queued signal),
        # later still on a loaded machine
        qtbot.waitUntil(dead, timeout=10_000)
    except WaitTimeout:
        return False
    return True


def test_latest_job_lets_go_of_a_finished_jobs_photo(qtbot: QtBot) -> None:
    latest = LatestJob()
    results: list[tuple[int, ...]] = []
    photo = np.zeros((64, 64, 3), np.float32)
    ref = weakref.ref(photo)
    latest.start(_shape, photo, on_success=results.append)
    del photo
    qtbot.waitUntil(lambda: results == [(64, 64, 3)] and not latest.busy(), timeout=5000)
    assert _photo_freed(ref, qtbot), "a finished job's photo is still referenced"


def test_latest_job_lets_go_of_a_superseded_jobs_photo(qtbot: QtBot) -> None:
    latest = LatestJob()
    gate = threading.Event()
    results: list[tuple[int, ...]] = []

    def slow_shape(photo: np.ndarray) -> tuple[int, ...]:
        gate.wait(5)
        return photo.shape

    first = np.zeros((32, 32, 3), np.float32)
    ref = weakref.ref(first)
    latest.start(slow_shape, first, on_success=results.append)
    del first
    latest.start(_shape, np.zeros((8, 8, 3), np.float32), on_success=results.append)
    gate.set()
    qtbot.waitUntil(lambda: not latest.busy(), timeout=5000)
    assert _photo_freed(ref, qtbot), "a superseded job's photo is still referenced"
    assert results == [(8, 8, 3)]  # the older answer is never delivered


def test_a_plain_background_job_lets_go_of_its_photo(qtbot: QtBot) -> None:
    results: list[tuple[int, ...]] = []
    photo = np.zeros((16, 16, 3), np.float32)
    ref = weakref.ref(photo)
    job = run_in_background(_shape, photo, on_success=results.append)
    del photo
    qtbot.waitUntil(lambda: not job.running(), timeout=5000)
    assert results == [(16, 16, 3)]
    assert _photo_freed(ref, qtbot), "the job object keeps its photo after it ended"


def test_after_the_app_finished_no_new_job_starts(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slot run during the window's teardown must not start a job that runs after its QObjects
    are deleted ("Signal source has been deleted" at every quit in the real app)."""
    from nst_desktop.gui import background

    monkeypatch.setattr(background, "_refusing", False)
    ran: list[int] = []
    assert background.finish(5000)
    job = background.run_in_background(lambda: ran.append(1))
    qtbot.wait(200)
    assert ran == [] and job.cancelled() and not job.running()
