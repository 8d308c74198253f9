"""issue 19: the farm's jobs painted side by side (queue.pool), against a farm in this process
(tests.gui.farm_fakes: fast, no Ray): as many at once as the farm paints and never more, each
claimed and delivered once, a cancel stops its one job, "job i of n" counts them all, fewer
lanes when the farm shrinks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from nst_desktop.farm.batch import FarmRender
from nst_desktop.io.library import Library
from nst_desktop.queue.pool import RunnerPool
from nst_desktop.queue.runner import JobOutcome, QueueProgress, Runner
from nst_desktop.queue.store import Output, Place, QueuedJob, QueueStore, Status
from nst_desktop.queue.timing import Tally
from tests.gui.farm_fakes import FakeFarm
from tests.queue.conftest import Inputs, ScaleFake, recipe_of


def queue_farm_jobs(tmp_path: Path, inputs: Inputs, count: int) -> tuple[QueueStore, list[QueuedJob]]:
    photo, wave, _ = inputs
    store = QueueStore()
    jobs = [store.add(recipe_of(photo, wave), Output(str(tmp_path / "out"), f"job{i}.png"), place=Place.FARM)
            for i in range(count)]
    return store, jobs


def farm_pool(store: QueueStore, farm: FakeFarm, library: Library | None = None,
              on_progress: Callable[[QueueProgress], None] | None = None,
              on_ended: Callable[[JobOutcome], None] | None = None, recheck_s: float = 0.2) -> RunnerPool:
    render = FarmRender(farm)

    def make_runner(tally: Tally) -> Runner:
        return Runner(store, library, render_fn=render, place=Place.FARM, tally=tally,
                      on_progress=on_progress, on_ended=on_ended)

    return RunnerPool(store, make_runner, render.lanes, recheck_s=recheck_s)


def test_the_farm_paints_as_many_jobs_at_once_as_it_can_each_delivered_once(tmp_path: Path,
                                                                           inputs: Inputs) -> None:
    farm = FakeFarm(ScaleFake(step_s=0.05))
    farm.cpus = 3.0  # it paints 3 at once
    store, jobs = queue_farm_jobs(tmp_path, inputs, 7)
    library = Library()
    reports: list[QueueProgress] = []
    summary = farm_pool(store, farm, library, on_progress=reports.append).run()
    assert farm.most_at_once == 3  # every lane busy, and never more than the farm can paint
    assert sorted(farm.submitted) == sorted(j.uid for j in jobs)  # each claimed and sent once
    assert [o.status for o in summary.outcomes] == [Status.DONE] * 7
    assert sorted(o.job.id for o in summary.outcomes) == [j.id for j in jobs]  # each ended once
    markers = sorted(e.metadata["queue"]["job"] for e in library.entries())
    assert markers == sorted(j.uid for j in jobs)  # each in the history exactly once
    assert len({str(store.get(j.id).output_path) for j in jobs}) == 7  # each its own file
    # "job i of n": each job its own number, n the whole batch, however the jobs interleave
    numbers = {(r.job.id, r.index) for r in reports}
    assert sorted(i for _, i in numbers) == list(range(1, 8)) and {r.count for r in reports} == {7}


def test_cancelling_one_farm_job_leaves_the_others_painting(tmp_path: Path, inputs: Inputs) -> None:
    farm = FakeFarm(ScaleFake(step_s=0.1))
    store, jobs = queue_farm_jobs(tmp_path, inputs, 2)  # the fake farm paints 2 at once
    pool = farm_pool(store, farm)
    result: list[object] = []
    runs = threading.Thread(target=lambda: result.append(pool.run()))
    runs.start()
    deadline = time.monotonic() + 10
    while (pool.in_flight < 2 or farm.painting < 2) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pool.in_flight == 2 and farm.painting == 2
    store.cancel(jobs[0].id)
    pool.recheck()  # as the window does after a cancel
    runs.join(20)
    assert not runs.is_alive()
    assert [store.get(j.id).status for j in jobs] == [Status.CANCELLED, Status.DONE]
    assert len(farm.cancelled) == 1  # only that job's remote work was stopped
    cancelled_key = next(j.key for j in farm.jobs.values() if j.id == farm.cancelled[0][0])
    assert cancelled_key == jobs[0].uid


def test_stop_gives_back_every_job_in_flight(tmp_path: Path, inputs: Inputs) -> None:
    farm = FakeFarm(ScaleFake(step_s=0.1))
    store, jobs = queue_farm_jobs(tmp_path, inputs, 3)
    pool = farm_pool(store, farm)
    runs = threading.Thread(target=pool.run)
    runs.start()
    deadline = time.monotonic() + 10
    while pool.in_flight < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    pool.stop()  # Ctrl-C in batch --farm, or the window closing
    runs.join(20)
    assert not runs.is_alive() and len(farm.cancelled) == 2
    assert [store.get(j.id).status for j in jobs] == [Status.WAITING] * 3  # all given back, none lost


def test_fewer_lanes_when_the_farm_shrinks(tmp_path: Path, inputs: Inputs) -> None:
    farm = FakeFarm(ScaleFake(step_s=0.05))
    store, _ = queue_farm_jobs(tmp_path, inputs, 8)

    def on_ended(_outcome: JobOutcome) -> None:
        farm.cpus = 1.0  # a node left: from the next look at its status, one job at a time

    summary = farm_pool(store, farm, on_ended=on_ended, recheck_s=0.02).run()
    assert [o.status for o in summary.outcomes] == [Status.DONE] * 8
    assert farm.most_at_once == 2 and farm.painting == 0
    # After the shrink (the lane in excess finishes its job, then claims no other) one at a time.
    last = sorted(farm.spans[k] for k in farm.submitted[-3:])
    assert all(b[0] >= a[1] for a, b in zip(last, last[1:], strict=False))
