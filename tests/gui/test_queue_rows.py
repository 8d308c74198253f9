"""issue 19: what a Queue row says of a job painted here or on the farm, two painters reporting at once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.gui.queue_rows import QueueView, status_text
from nst_desktop.queue.runner import QueueProgress
from nst_desktop.queue.store import Output, Place, QueuedJob, Status
from tests.queue.conftest import recipe_of


def _job(job_id: int, place: Place, status: Status = Status.RUNNING) -> QueuedJob:
    recipe = recipe_of(Path("p.png"), Path("s.png"))
    return QueuedJob(job_id, f"u{job_id}", recipe, Output("o", f"{job_id}.png"), status, place=place)


def _report(job: QueuedJob, step: int, left: float, queue_left: float) -> QueueProgress:
    event = ProgressEvent(0, 1, 64, 48, step, 10, step, 10, {}, 1.0, left)
    return QueueProgress(job, 1, 2, event, queue_left)


def test_a_farm_jobs_status_says_where_and_why_it_waits() -> None:
    running, waiting = _job(1, Place.FARM), _job(2, Place.FARM, Status.WAITING)
    assert status_text(running, held=True) == "farm"  # the artist's painting holds only local jobs
    assert status_text(_job(3, Place.LOCAL), held=True) == "paused: you are painting"
    assert status_text(running, False, "farm unreachable since 14:02") == "farm unreachable since 14:02"
    assert status_text(waiting, False) == "waiting · farm"
    assert status_text(waiting, False, farm_set=False) == "waiting · no farm set"
    assert status_text(replace(waiting, place=Place.LOCAL), False) == "waiting"


def test_two_painters_reports_stay_on_their_own_rows() -> None:
    here, there = _job(1, Place.LOCAL), _job(2, Place.FARM)
    view = QueueView()
    view.report(_report(here, 2, 80.0, 300.0))
    view.report(_report(there, 7, 30.0, 120.0))
    assert (view.percent(here), view.percent(there)) == (20, 70)
    assert (view.left_text(here, None), view.left_text(there, None)) == ("1 min 20 s left", "30 s left")
    assert view.queue_left_s() == 300.0  # side by side: the longer of the two
    view.notes[there.id] = "farm unreachable since 14:02"
    assert view.status(there) == "farm unreachable since 14:02" and view.left_text(there, None) == ""
    view.report(_report(there, 8, 20.0, 100.0))  # the farm is back
    assert view.status(there) == "farm"
    view.keep_running([here, replace(there, status=Status.DONE)])
    assert view.percent(replace(there, status=Status.RUNNING)) == 0 and view.queue_left_s() == 300.0
