"""issue 18.3: the queue's own thread: the artist's gate, and a close that a long step outlasts."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from nst_desktop.gui import worker as worker_module
from nst_desktop.gui.queue_thread import ArtistGate, QueueThread
from nst_desktop.queue.store import Output, QueueStore, Status
from tests.gui.fakes import FakeStylize
from tests.queue.conftest import SMALL, draw, recipe_of


class _Runner:
    def __init__(self) -> None:
        self.paused = 0
        self.stopped = 0

    def pause(self) -> None:
        self.paused += 1

    def resume(self) -> None:
        pass

    def stop(self) -> None:
        self.stopped += 1


def test_the_gate_holds_the_runner_attached_and_releases_it() -> None:
    gate = ArtistGate()
    runner = _Runner()
    gate.attach(runner)  # type: ignore[arg-type]
    gate.hold()
    assert runner.paused == 1 and gate.held
    gate.release()
    assert not gate.held


def test_a_stopping_gate_lets_nothing_wait_and_stops_a_runner_attached_late() -> None:
    gate = ArtistGate()
    gate.hold()
    gate.stop()
    gate.wait_between_jobs()  # returns: the window closes
    runner = _Runner()
    gate.attach(runner)  # type: ignore[arg-type]
    assert runner.stopped == 1


def test_a_step_that_outlasts_the_close_keeps_its_thread_alive(qtbot: QtBot, tmp_path: Path) -> None:
    """A QThread destroyed while it runs aborts the app: one still in a long step is kept until it ends."""
    store = QueueStore(tmp_path / "q.sqlite3")
    photo, style = draw(tmp_path / "p.png", 1), draw(tmp_path / "s.png", 2)
    job = store.add(recipe_of(photo, style, params=SMALL), Output(str(tmp_path / "out"), "a.png"))
    engine = FakeStylize(block_at=1)  # deaf to stops until released
    painter = QueueThread(store, None, engine)
    assert painter.start()
    assert engine.blocked.wait(10)
    assert not painter.shutdown(timeout_ms=200)
    assert any(thread is painter.qthread for thread, _ in worker_module._UNFINISHED)  # noqa: SLF001
    engine.release.set()
    assert painter.qthread.wait(10_000)
    assert store.get(job.id).status == Status.WAITING  # stopped: it goes on at the next start
