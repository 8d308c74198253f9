"""Worker: signals re-emitted from engine events, throttled previews, stop semantics,
failures as text, and the QThread life cycle."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.events import StyleInput
from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.gui.run_request import RunRequest
from nst_desktop.gui.worker import FrameRecorder, RunThread, Worker, default_warm_up
from nst_desktop.service.job import Job
from tests.gui.fakes import FakeStylize


def _request(steps: int = 10, **changes: object) -> RunRequest:
    content = np.zeros((24, 32, 3), np.float32)
    style = StyleInput(np.ones((16, 16, 3), np.float32), 1.0, "s")
    params = DEFAULTS.with_changes(size=48, steps=steps, min_size=48, coarse_steps=0, **changes)
    return RunRequest.of_images(content, (style,), params, preview_every=1)


def test_worker_reemits_events_and_throttles_previews(qtbot: QtBot) -> None:
    worker = Worker(FakeStylize())
    progressed: list[object] = []
    previews: list[object] = []
    finished: list[object] = []
    worker.progressed.connect(progressed.append)
    worker.previewReady.connect(previews.append)
    worker.finished.connect(finished.append)
    with qtbot.assertNotEmitted(worker.stopped), qtbot.assertNotEmitted(worker.failed):
        worker.run(_request(steps=30))
    # the set-up's PREPARING event first (issue 16.7: the window says what it waits for), then the steps
    assert len(progressed) == 31 and [e.is_step for e in progressed[:2]] == [False, True]  # type: ignore[attr-defined]
    assert all(e.preview is None for e in progressed)  # type: ignore[attr-defined]
    # 30 previews produced within milliseconds: the first and the scale's last get through
    assert 2 <= len(previews) < 30
    assert len(finished) == 1 and not finished[0].result.stopped  # type: ignore[attr-defined]
    assert len(finished[0].frames) == 30  # type: ignore[attr-defined]  # the time-lapse travels with it
    assert finished[0].rendered.metadata["params"]["steps"] == 30  # type: ignore[attr-defined]


def test_stop_emits_only_the_stopped_result(qtbot: QtBot) -> None:
    worker = Worker(FakeStylize())
    seen: list[int] = []

    def on_progress(event: object) -> None:
        seen.append(event.step)  # type: ignore[attr-defined]
        if event.step == 3:  # type: ignore[attr-defined]
            worker.stop()

    worker.progressed.connect(on_progress)
    stopped: list[object] = []
    worker.stopped.connect(stopped.append)
    with qtbot.assertNotEmitted(worker.finished):
        worker.run(_request(steps=20))
    assert seen == [0, 1, 2, 3]  # 0: the set-up before the first step
    assert len(stopped) == 1 and stopped[0].result.stopped  # type: ignore[attr-defined]


def test_failure_becomes_text_and_keeps_last_good_result(qtbot: QtBot) -> None:
    worker = Worker(FakeStylize(fail_at=4))
    with qtbot.waitSignal(worker.failed, timeout=1000) as blocker:
        worker.run(_request(steps=10))
    assert "NaN" in blocker.args[0] and "Adam" in blocker.args[0]  # message + DivergedError hint
    partial = blocker.args[1].result  # the failed signal carries the last good picture
    assert partial is not None and partial.steps_done == 4
    assert blocker.args[1].rendered.metadata["params"]["steps"] == 10


def test_unexpected_exception_is_reported_not_raised(qtbot: QtBot) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("CUDA error: out of memory")

    worker = Worker(broken)
    with qtbot.waitSignal(worker.failed, timeout=1000) as blocker:
        worker.run(_request())
    assert "memory" in blocker.args[0].lower() and "smaller" in blocker.args[0]


def test_frame_recorder_thins_evenly() -> None:
    recorder = FrameRecorder(limit=8)
    for i in range(100):
        recorder.add(np.full((2, 2, 3), i, np.uint8))
    values = [int(f[0, 0, 0]) for f in recorder.frames]
    assert len(values) < 8
    assert values == sorted(values) and values[-1] > 50  # spans the run, in order


def test_thread_pause_resume_stop_and_shutdown(qtbot: QtBot) -> None:
    runner = RunThread(FakeStylize(step_s=0.02))
    worker = runner.worker
    steps: list[int] = []
    worker.progressed.connect(lambda e: steps.append(e.step))
    with qtbot.waitSignal(worker.progressed, timeout=5000):
        assert runner.start(_request(steps=500))
    assert not runner.start(_request())  # one run at a time
    runner.pause()
    qtbot.wait(150)  # let the step in flight land
    count = len(steps)
    qtbot.wait(200)
    assert len(steps) == count  # paused: no progress
    runner.resume()
    qtbot.waitUntil(lambda: len(steps) > count + 2, timeout=5000)
    with qtbot.waitSignal(worker.stopped, timeout=5000) as blocker:
        runner.stop()
    assert blocker.args[0].result.stopped
    qtbot.waitUntil(lambda: not runner.running, timeout=2000)
    assert runner.shutdown(5000)
    assert runner.qthread.isFinished()


def test_shutdown_during_run_stops_the_thread(qtbot: QtBot) -> None:
    runner = RunThread(FakeStylize(step_s=0.02))
    with qtbot.waitSignal(runner.worker.progressed, timeout=5000):
        runner.start(_request(steps=10_000))
    assert runner.shutdown(5000)
    assert runner.qthread.isFinished()


@pytest.mark.slow
def test_real_engine_run_emits_previews_and_finishes(qtbot: QtBot) -> None:
    pytest.importorskip("nst_desktop.engine.run.stylize")
    runner = RunThread()  # the real engine and the real built-in weights
    rng = np.random.default_rng(0)
    content = rng.random((36, 48, 3), dtype=np.float32)
    style = StyleInput(rng.random((40, 40, 3), dtype=np.float32), 1.0, "noise")
    params = DEFAULTS.with_changes(size=48, steps=3, min_size=48, coarse_steps=0, device="cpu")
    previews: list[np.ndarray] = []
    runner.worker.previewReady.connect(previews.append)
    with qtbot.waitSignal(runner.worker.finished, timeout=60_000) as blocker:
        runner.start(RunRequest.of_images(content, (style,), params, preview_every=1))
    result = blocker.args[0].result
    assert result.image.shape == (36, 48, 3) and not result.stopped
    assert previews and previews[-1].dtype == np.uint8
    assert runner.shutdown(5000)


def test_warm_up_runs_once_in_the_worker_thread(qtbot: QtBot) -> None:
    calls: list[tuple[object, str]] = []
    runner = RunThread(FakeStylize(), warm_up_fn=lambda p: calls.append((p, threading.current_thread().name)))
    with qtbot.waitSignal(runner.worker.warmedUp, timeout=5000) as blocker:
        assert runner.warm_up(DEFAULTS)
    assert blocker.args == [True]
    assert calls[0][0] is DEFAULTS and calls[0][1] != threading.main_thread().name  # off the GUI thread
    assert not runner.warm_up(DEFAULTS)  # once is enough
    assert runner.shutdown(5000)


def test_no_warm_up_after_a_run_or_for_an_injected_engine(qtbot: QtBot) -> None:
    calls: list[object] = []
    runner = RunThread(FakeStylize(), warm_up_fn=calls.append)
    with qtbot.waitSignal(runner.worker.done, timeout=5000):
        runner.start(_request())
    assert not runner.warm_up(DEFAULTS)  # the run already paid the one-time costs
    assert runner.shutdown(5000) and not calls
    assert not RunThread(FakeStylize()).warm_up(DEFAULTS)  # a fake engine has nothing to warm


def test_failed_warm_up_is_not_fatal(qtbot: QtBot) -> None:
    def broken(params: object) -> None:
        raise RuntimeError("no weights")

    worker = Worker(FakeStylize(), broken)
    with qtbot.waitSignal(worker.warmedUp, timeout=1000) as blocker:
        worker.warm_up(DEFAULTS)
    assert blocker.args == [False]
    with qtbot.waitSignal(worker.finished, timeout=5000):  # and runs still work
        worker.run(_request())


@pytest.mark.slow
def test_default_warm_up_loads_the_weights_and_spares_later_collections() -> None:
    from nst_desktop.engine.model.weights import load_caffe_weights

    load_caffe_weights.cache_clear()
    try:
        default_warm_up(DEFAULTS.with_changes(device="cpu", init="image", init_image="/missing.png"))
        assert load_caffe_weights.cache_info().currsize == 1  # the first run will not read the file
        assert gc.isenabled() and gc.get_freeze_count() > 10_000  # torch's objects: never scanned again
    finally:
        gc.unfreeze()


def test_a_stop_after_the_last_step_reports_the_finished_picture(qtbot: QtBot) -> None:
    """Stop pressed after the engine's last step, before the worker looked at the control:
    the picture is finished, and is reported so (issue 16.14)."""
    fake = FakeStylize()

    def stop_after_the_last_step(*args: object, **kwargs: object) -> object:
        result = fake(*args, **kwargs)  # type: ignore[arg-type]
        kwargs["control"].stop()  # type: ignore[attr-defined]
        return result

    worker = Worker(stop_after_the_last_step)  # type: ignore[arg-type]
    finished: list[object] = []
    worker.finished.connect(finished.append)
    with qtbot.assertNotEmitted(worker.stopped):
        worker.run(_request(steps=5))
    assert worker.control.stopped  # the Stop did land
    assert len(finished) == 1 and not finished[0].result.stopped  # type: ignore[attr-defined]
    assert finished[0].rendered.metadata["stopped"] is False  # type: ignore[attr-defined]


_OUTLIVED_SHUTDOWN = """
import gc
from PySide6.QtCore import QCoreApplication
from nst_desktop.gui.worker import RunThread
from tests.gui.fakes import FakeStylize
from tests.gui.test_worker import _request

app = QCoreApplication([])
fake = FakeStylize(block_at=2)
runner = RunThread(fake)
runner.start(_request(steps=5))
assert fake.blocked.wait(10)
ended = runner.shutdown(50)  # the long step goes on: the wait gives up
thread = runner.qthread
del runner, thread  # what closing the window did: the owner of the running thread goes
gc.collect()
fake.release.set()  # the step ends; the run sees the stop and ends too
print("shutdown ended the thread:", ended)
"""


def test_a_thread_outliving_its_shutdown_is_never_destroyed_while_it_runs(tmp_path: Path) -> None:
    """In a child process: a QThread destroyed while running aborts it (exit 134); it must exit 0."""
    script = tmp_path / "outlive.py"
    script.write_text(_OUTLIVED_SHUTDOWN)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, str(script)], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "shutdown ended the thread: False" in done.stdout


def test_the_worker_paints_the_job_that_job_for_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17.1: the run's thread makes its Job with recipe.jobs.job_for (the one way), from
    the request's recipe, kind and held images; the worker paints that very Job."""
    from nst_desktop.gui import run_request
    from nst_desktop.gui import worker as worker_module
    from nst_desktop.recipe.jobs import job_for

    made: list[object] = []

    def spy(recipe: object, kind: object, from_picture: object = None, **kw: object) -> object:
        job = job_for(recipe, kind, from_picture, **kw)  # type: ignore[arg-type]
        made.append((kind, kw["images"], job))
        return job

    monkeypatch.setattr(run_request, "job_for", spy)
    painted: list[object] = []

    def render(job: object, **_kw: object) -> object:
        painted.append(job)
        raise RuntimeError("painted")  # the worker's failure path: enough to see which Job it painted

    monkeypatch.setattr(worker_module, "render", render)
    request = replace(_request(), kind="quick")
    request = replace(request, recipe=request.recipe.with_params(DEFAULTS.with_changes(size=1024, steps=300)))
    Worker(FakeStylize()).run(request)
    (kind, images, job), = made
    assert kind == "quick" and images is request.images and len(painted) == 1
    painted_job = painted[0]
    assert isinstance(painted_job, Job) and isinstance(job, Job)
    assert painted_job.content is job.content is request.content and painted_job.styles == job.styles
    assert painted_job.params == job.params == request.params != request.recipe.params
