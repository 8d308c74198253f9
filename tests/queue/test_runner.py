"""The runner: jobs one after another, resume from the last finished scale, exactly once, bad
input, a full disk, cancel and stop."""

from __future__ import annotations

import errno
import math
from pathlib import Path

import pytest

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.io.images import read_metadata
from nst_desktop.io.library import Library
from nst_desktop.queue import runner as runner_module
from nst_desktop.queue.runner import QueueProgress, Runner
from nst_desktop.queue.store import Output, Place, QueueStore, Status, checkpoint_path
from tests.queue.conftest import Inputs, Killed, ScaleFake, all_files, recipe_of


def queue_two(tmp_path: Path, inputs: Inputs) -> QueueStore:
    photo, wave, dots = inputs
    store = QueueStore()
    store.add(recipe_of(photo, wave), Output(str(tmp_path / "out"), "wave.png"))
    store.add(recipe_of(photo, dots), Output(str(tmp_path / "out"), "dots.jpg"))
    return store


def test_jobs_run_one_after_another_with_progress(tmp_path: Path, inputs: Inputs) -> None:
    store = queue_two(tmp_path, inputs)
    library = Library(tmp_path / "library")
    reports: list[QueueProgress] = []
    fake = ScaleFake()
    summary = Runner(store, library, stylize_fn=fake, on_progress=reports.append).run()
    assert [o.status for o in summary.outcomes] == [Status.DONE, Status.DONE] and not summary.stopped
    assert all_files(tmp_path / "out") == ["dots.jpg", "dots.jpg.json", "wave.png"]
    assert len(library.entries()) == 2
    assert {(r.index, r.count) for r in reports} == {(1, 2), (2, 2)}
    first_job_last = [r for r in reports if r.index == 1][-1]
    assert 0 < first_job_last.queue_left_s < math.inf  # job 2 is still to come
    record = read_metadata(tmp_path / "out" / "wave.png")
    assert record is not None and record["inputs"]["content"] == str(inputs[0])  # not the kept copy
    assert record["queue"]["job"] == store.jobs()[0].uid
    assert len(fake.calls) == 2 and all(c["start_from"] is None for c in fake.calls)


def test_a_photo_deleted_after_queueing_still_renders(tmp_path: Path, inputs: Inputs) -> None:
    store = queue_two(tmp_path, inputs)
    inputs[0].unlink()
    summary = Runner(store, stylize_fn=ScaleFake()).run()
    assert [o.status for o in summary.outcomes] == [Status.DONE, Status.DONE]


def test_a_killed_job_goes_on_from_its_last_finished_scale(tmp_path: Path, inputs: Inputs) -> None:
    store = queue_two(tmp_path, inputs)
    with pytest.raises(Killed):  # killed once scale 1 (24 x 32) is done, during scale 2
        Runner(store, stylize_fn=ScaleFake(kill_after_scale=0)).run()
    job = store.jobs()[0]
    assert job.status == Status.RUNNING and checkpoint_path(store, job.uid).is_file()
    store.close()
    again = QueueStore()  # the next start
    assert again.get(job.id).status == Status.WAITING
    fake = ScaleFake()
    Runner(again, stylize_fn=fake).run()
    start = fake.calls[0]["start_from"]
    assert start is not None and start.shape == (24, 32, 3)  # from scale 1's picture, not from scratch
    assert fake.calls[1]["start_from"] is None  # the other job had not started
    assert not checkpoint_path(again, job.uid).exists()  # a finished job's checkpoint is removed
    assert again.get(job.id).status == Status.DONE


@pytest.mark.parametrize("killed_at", ["set_entry", "reserve_output", "mark_done"])
def test_exactly_once_after_a_kill_while_finishing(tmp_path: Path, inputs: Inputs,
                                                   killed_at: str) -> None:
    """Killed after the history entry was written (before the store heard of it), after the
    entry but before the file, and after the file but before "done": each step once."""
    store = queue_two(tmp_path, inputs)
    library = Library(tmp_path / "library")

    def killed(*args: object, **kwargs: object) -> None:
        raise Killed

    with pytest.MonkeyPatch.context() as patch, pytest.raises(Killed):
        patch.setattr(store, killed_at, killed)
        Runner(store, library, stylize_fn=ScaleFake(), only=[store.jobs()[0].id]).run()
    store.close()
    again = QueueStore()
    fake = ScaleFake()
    summary = Runner(again, library, stylize_fn=fake).run()
    assert [o.status for o in summary.outcomes] == [Status.DONE, Status.DONE]
    assert len(fake.calls) == 1  # the first job's picture was already painted: not painted again
    entries = library.entries()
    assert sorted(e.metadata["queue"]["job"] for e in entries) == sorted(j.uid for j in again.jobs())
    assert all_files(tmp_path / "out") == ["dots.jpg", "dots.jpg.json", "wave.png"]


def test_bad_input_fails_that_job_and_the_batch_goes_on(tmp_path: Path, inputs: Inputs) -> None:
    photo, wave, dots = inputs
    store = QueueStore()
    unreadable = tmp_path / "unreadable.png"
    unreadable.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    bad = store.add(recipe_of(unreadable, wave), Output(str(tmp_path / "out"), "bad.png"))
    vanished = store.add(recipe_of(photo, tmp_path / "vanished.png"), Output(str(tmp_path / "out"), "v.png"))
    good = store.add(recipe_of(photo, dots), Output(str(tmp_path / "out"), "good.png"))
    store.retry_failed()  # failed when added: a retry tries again, and fails again with the reason
    summary = Runner(store, stylize_fn=ScaleFake()).run()
    ends = {o.job.id: o for o in summary.outcomes}
    assert ends[good.id].status == Status.DONE
    assert ends[bad.id].status == Status.FAILED and "unreadable.png" in ends[bad.id].reason
    assert ends[vanished.id].status == Status.FAILED and "vanished.png" in ends[vanished.id].reason
    assert [o.job.id for o in summary.failed] == [bad.id, vanished.id]


def test_a_full_disk_pauses_the_queue(tmp_path: Path, inputs: Inputs,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    store = queue_two(tmp_path, inputs)

    def full(*args: object, **kwargs: object) -> None:
        raise ImageError("wave.png", "could not write the file") from OSError(errno.ENOSPC, "No space left")

    monkeypatch.setattr("nst_desktop.queue.delivery.save", full)
    summary = Runner(store, stylize_fn=ScaleFake()).run()
    assert len(summary.outcomes) == 1 and summary.outcomes[0].status == Status.WAITING
    paused, message = store.paused()
    assert paused and "disk is full" in message and summary.paused == message
    assert [j.status for j in store.jobs()] == [Status.WAITING, Status.WAITING]  # none failed
    job = store.jobs()[0]
    assert checkpoint_path(store, job.uid).is_file()  # the painted picture is kept for the next try


def test_stop_keeps_the_picture_and_gives_the_job_back(tmp_path: Path, inputs: Inputs) -> None:
    store = queue_two(tmp_path, inputs)
    fake = ScaleFake()
    runner = Runner(store, stylize_fn=fake, on_progress=lambda p: runner.stop()
                    if p.event and p.event.step == 1 and p.event.scale_index == 1 else None)
    summary = runner.run()
    assert summary.stopped and [o.status for o in summary.outcomes] == [Status.WAITING]
    job = store.jobs()[0]
    assert job.status == Status.WAITING and checkpoint_path(store, job.uid).is_file()
    assert all_files(tmp_path / "out") == []
    next_fake = ScaleFake()
    Runner(store, stylize_fn=next_fake).run()
    assert next_fake.calls[0]["start_from"] is not None


def test_cancel_stops_the_running_job(tmp_path: Path, inputs: Inputs,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "RENEW_S", 0.02)
    store = queue_two(tmp_path, inputs)
    first = store.jobs()[0]
    other = QueueStore()  # the window, in another process
    runner = Runner(store, stylize_fn=ScaleFake(step_s=0.05),
                    on_progress=lambda p: other.cancel(first.id) if p.job.id == first.id else None)
    summary = runner.run()
    assert [o.status for o in summary.outcomes] == [Status.CANCELLED, Status.DONE]
    assert store.get(first.id).status == Status.CANCELLED
    assert all_files(tmp_path / "out") == ["dots.jpg", "dots.jpg.json"]


def test_pause_holds_the_running_job(tmp_path: Path, inputs: Inputs) -> None:
    store = queue_two(tmp_path, inputs)
    seen: list[int] = []
    runner: Runner

    def on_progress(p: QueueProgress) -> None:
        seen.append(p.index)
        if len(seen) == 1:
            runner.pause()
            import threading

            threading.Timer(0.3, runner.resume).start()

    runner = Runner(store, stylize_fn=ScaleFake(), on_progress=on_progress)
    import time

    started = time.perf_counter()
    summary = runner.run()
    assert time.perf_counter() - started >= 0.3  # held while paused, then went on
    assert [o.status for o in summary.outcomes] == [Status.DONE, Status.DONE]


def test_without_a_history_a_written_file_is_not_painted_again(tmp_path: Path,
                                                               inputs: Inputs) -> None:
    store = queue_two(tmp_path, inputs)

    def killed(*args: object, **kwargs: object) -> None:
        raise Killed

    with pytest.MonkeyPatch.context() as patch, pytest.raises(Killed):
        patch.setattr(store, "mark_done", killed)
        Runner(store, stylize_fn=ScaleFake()).run()
    fake = ScaleFake()
    Runner(QueueStore(), stylize_fn=fake).run()
    assert len(fake.calls) == 1  # only the second job was painted
    assert all_files(tmp_path / "out") == ["dots.jpg", "dots.jpg.json", "wave.png"]


def test_a_stop_in_a_coarse_scale_keeps_the_last_scale_end(tmp_path: Path, inputs: Inputs) -> None:
    """A picture stopped half-way through a coarse scale is not kept: going on from it would skip
    the rest of that scale."""
    store = queue_two(tmp_path, inputs)
    runner = Runner(store, stylize_fn=ScaleFake(), on_progress=lambda p: runner.stop()
                    if p.event and p.event.step == 1 and p.event.scale_index == 0 else None)
    assert runner.run().stopped
    assert not checkpoint_path(store, store.jobs()[0].uid).exists()
    fake = ScaleFake()
    Runner(store, stylize_fn=fake).run()
    assert fake.calls[0]["start_from"] is None and len(fake.calls) == 2


def test_a_pause_between_jobs_holds_the_next_one(tmp_path: Path, inputs: Inputs) -> None:
    import threading
    import time

    store = queue_two(tmp_path, inputs)
    steps: list[tuple[int, float]] = []
    runner: Runner

    def on_ended(outcome: object) -> None:
        if not steps or steps[-1][0] == 1:  # the first job just ended: the artist starts painting
            runner.pause()
            threading.Timer(0.4, runner.resume).start()

    runner = Runner(store, stylize_fn=ScaleFake(), on_ended=on_ended,
                    on_progress=lambda p: steps.append((p.index, time.perf_counter())))
    paused_at = time.perf_counter()
    runner.run()
    first_of_second = min(t for i, t in steps if i == 2)
    last_of_first = max(t for i, t in steps if i == 1)
    assert first_of_second - last_of_first >= 0.35 and paused_at < last_of_first


def test_a_promoted_job_paints_its_earlier_picture_then_goes_on_from_it(tmp_path: Path,
                                                                      inputs: Inputs) -> None:
    """Issue 20.5, "Queue at print size": a recipe that goes on from an earlier picture (its record
    in ``continued_from``) has that picture painted again first, then only the larger scales."""
    from dataclasses import replace

    photo, wave, _ = inputs
    store = QueueStore()
    store.add(recipe_of(photo, wave), Output(str(tmp_path / "out"), "small.png"))
    Runner(store, stylize_fn=ScaleFake()).run()
    record = read_metadata(tmp_path / "out" / "small.png")  # a 64 px picture's record
    assert record is not None
    big = recipe_of(photo, wave)
    big = replace(big.with_params(big.params.with_changes(size=128)), continued_from=record)
    store.add(big, Output(str(tmp_path / "out"), "big.png"))
    fake = ScaleFake()
    summary = Runner(store, stylize_fn=fake).run()
    assert [o.status for o in summary.outcomes] == [Status.DONE]
    earlier, going_on = fake.calls
    assert earlier["params"].size == 64 and earlier["start_from"] is None  # painted again from its record
    assert going_on["params"].size == 128 and going_on["start_from"] is not None
    assert going_on["start_from"].shape == (48, 64, 3)  # it went on from the 64 px picture


def test_a_runner_of_one_place_paints_only_its_jobs_and_a_job_moved_away_stops_at_once(
        tmp_path: Path, inputs: Inputs) -> None:
    photo, wave, dots = inputs
    store = QueueStore()
    farm_job = store.add(recipe_of(photo, wave), Output(str(tmp_path / "out"), "farm.png"), place=Place.FARM)
    here = store.add(recipe_of(photo, dots), Output(str(tmp_path / "out"), "here.png"))
    moved_at: list[int] = []

    def move_away(progress: QueueProgress) -> None:  # the window moves it to the farm, then rechecks
        if progress.job.id == here.id and not moved_at and progress.event is not None:
            moved_at.append(progress.event.total_step)
            store.set_place([here.id], Place.FARM)
            runner.recheck()

    engine = ScaleFake(step_s=0.01)
    runner = Runner(store, stylize_fn=engine, place=Place.LOCAL, on_progress=move_away)
    summary = runner.run()  # RENEW_S is 5 s: only recheck() can stop it within the run's ~0.1 s
    assert [(o.job.id, o.status, o.reason) for o in summary.outcomes] == [(here.id, Status.WAITING, "moved")]
    assert len(engine.calls) == 1 and store.get(farm_job.id).status == Status.WAITING  # not painted here
    assert (store.get(here.id).place, store.get(here.id).status) == (Place.FARM, Status.WAITING)
    assert all_files(tmp_path / "out") == []
