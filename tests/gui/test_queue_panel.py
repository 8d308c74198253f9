"""issue 18.3: the Queue panel: a row per job (thumbnail, name, status, progress, time left), the
total, and its commands on the durable queue."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QProgressBar
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.gui.queue_panel import (
    PROGRESS_COLUMN,
    STATUS_ROLE,
    THUMB,
    USER_PAUSE,
    QueuePanel,
)
from nst_desktop.gui.queue_rows import seconds_per_work, status_text
from nst_desktop.queue.runner import QueueProgress
from nst_desktop.queue.store import Output, QueuedJob, QueueStore, Status
from tests.queue.conftest import SMALL, draw, recipe_of


@pytest.fixture
def store(tmp_path: Path) -> Iterator[QueueStore]:
    made = QueueStore(tmp_path / "queue" / "queue.sqlite3")
    yield made
    made.close()


@pytest.fixture
def panel(qtbot: QtBot, store: QueueStore) -> Iterator[QueuePanel]:
    made = QueuePanel(store, open_url=lambda url: opened.append(url) is None)
    qtbot.addWidget(made)
    yield made
    made.stop_refreshing()  # before the store closes: its timer would read a closed database


opened: list[QUrl] = []


def _add(store: QueueStore, tmp_path: Path, name: str, seed: int = 1) -> QueuedJob:
    photo = draw(tmp_path / f"photo{seed}.png", seed)
    style = draw(tmp_path / "style.png", 9)
    return store.add(recipe_of(photo, style, params=SMALL), Output(str(tmp_path / "out"), name))


def _event(step: int, total: int, left: float) -> ProgressEvent:
    return ProgressEvent(1, 2, 64, 48, step, total, step, total, {}, 1.0, left)


def _row_texts(panel: QueuePanel) -> list[tuple[str, str]]:
    rows = []
    for i in range(panel.tree.topLevelItemCount()):
        item = panel.tree.topLevelItem(i)
        assert item is not None
        rows.append((item.text(0).split("\n")[0], item.data(0, STATUS_ROLE)))
    return rows


def _in_states(store: QueueStore, tmp_path: Path) -> list[QueuedJob]:
    """Five jobs: done (with its file), running, waiting, failed, cancelled."""
    jobs = [_add(store, tmp_path, f"{n}.png", i + 1) for i, n in enumerate("abcde")]
    owner = "me:1:x"
    done = store.claim(owner)
    assert done is not None
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    draw(out / "a.png", 5)
    store.reserve_output(done.id, owner, out / "a.png", lambda p: True)
    store.mark_done(done.id, owner)
    assert store.claim(owner) is not None  # b runs
    store.move(jobs[3].id, 2)  # d before c
    failed = store.claim(owner)
    assert failed is not None and failed.name == "d.png"
    store.mark_failed(failed.id, owner, "photo4.png: cannot be read")
    store.cancel(jobs[4].id)
    return jobs


def test_a_row_per_job_with_its_status_progress_and_time_left(qtbot: QtBot, panel: QueuePanel,
                                                               store: QueueStore, tmp_path: Path) -> None:
    jobs = _in_states(store, tmp_path)
    panel.refresh()
    assert _row_texts(panel) == [("a.png", "done"), ("b.png", "painting"), ("d.png",
                                 "failed: photo4.png: cannot be read"), ("c.png", "waiting"),
                                 ("e.png", "cancelled")]
    running = store.get(jobs[1].id)
    panel.show_progress(QueueProgress(running, 1, 3, _event(3, 4, 30.0), 95.0))
    row = panel.tree.topLevelItem(1)
    assert row is not None
    assert row.text(0) == "b.png\npainting · 30 s left"
    assert row.toolTip(0).startswith("b.png: painting, scale 2 of 2\n")
    cell = panel.tree.itemWidget(row, PROGRESS_COLUMN)
    bar = cell.findChild(QProgressBar) if cell is not None else None
    assert isinstance(bar, QProgressBar) and bar.value() == 75
    # Two lines of text beside the thumbnail: the row is as tall as the thumbnail.
    assert panel.tree.visualItemRect(row).height() >= THUMB
    waiting = panel.tree.topLevelItem(3)
    # What the queue's total says of it: (95 s - 30 s) over the one job waiting.
    assert waiting is not None and waiting.text(0) == "c.png\nwaiting · about 1 min 05 s"
    assert "1 of 5 done" in panel.total_label.text()
    assert "1 min 35 s left in all" in panel.total_label.text()
    qtbot.waitUntil(lambda: panel.icons_known() >= 4, timeout=5000)  # photos, and the done job's result
    done_row = panel.tree.topLevelItem(0)
    assert done_row is not None and not done_row.icon(0).isNull()


def test_the_running_row_says_it_waits_for_the_artist(panel: QueuePanel, store: QueueStore,
                                                      tmp_path: Path) -> None:
    _in_states(store, tmp_path)
    panel.set_held(True)
    assert _row_texts(panel)[1] == ("b.png", "paused: you are painting")
    assert panel.total_label.text().startswith("Waiting while you paint.")


def test_reorder_cancel_retry_and_clear(qtbot: QtBot, panel: QueuePanel, store: QueueStore,
                                        tmp_path: Path) -> None:
    jobs = _in_states(store, tmp_path)
    panel.refresh()
    panel.select(jobs[2].id)  # c, fourth
    panel.move_selected(-1)
    assert [j.name for j in store.jobs()][:4] == ["a.png", "b.png", "c.png", "d.png"]
    assert panel.selected_ids() == [jobs[2].id]
    panel.cancel_selected()
    assert store.get(jobs[2].id).status == Status.CANCELLED
    panel.select()
    with qtbot.waitSignal(panel.changed):
        panel.retry_failed()  # nothing selected: every failed job
    assert store.get(jobs[3].id).status == Status.WAITING
    panel.cancel_all()
    assert {j.status for j in store.jobs()} == {Status.DONE, Status.CANCELLED}
    panel.clear_finished()
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 0, timeout=5000)
    assert store.jobs() == []
    assert panel.total_label.text() == "The queue is empty."


def test_pause_and_resume_the_whole_queue(qtbot: QtBot, panel: QueuePanel, store: QueueStore,
                                          tmp_path: Path) -> None:
    _add(store, tmp_path, "a.png")
    panel.refresh()
    with qtbot.waitSignal(panel.pauseRequested) as paused:
        panel.pause_button.click()
    assert paused.args == [True]
    assert store.paused() == (True, USER_PAUSE)
    assert panel.pause_button.text() == "Resume queue"
    assert panel.total_label.text().startswith("Paused: paused by you.")
    with qtbot.waitSignal(panel.pauseRequested) as resumed:
        panel.pause_button.click()
    assert resumed.args == [False]
    assert store.paused() == (False, "")


def test_open_a_done_job_and_its_file(qtbot: QtBot, panel: QueuePanel, store: QueueStore,
                                      tmp_path: Path) -> None:
    jobs = _in_states(store, tmp_path)
    panel.refresh()
    panel.select(jobs[1].id)  # running: nothing to open
    assert not panel.open_button.isEnabled()
    with qtbot.assertNotEmitted(panel.openRequested):
        panel.open_selected()
    panel.select(jobs[0].id)
    assert panel.open_button.isEnabled()
    with qtbot.waitSignal(panel.openRequested) as blocker:
        panel.open_selected()
    assert blocker.args[0].id == jobs[0].id
    opened.clear()
    panel.show_file()
    assert [u.toLocalFile() for u in opened] == [str(tmp_path / "out" / "a.png")]


def test_a_change_made_elsewhere_shows_within_the_refresh(qtbot: QtBot, panel: QueuePanel, store: QueueStore,
                                                          tmp_path: Path) -> None:
    """``nst-desktop queue add`` from a terminal: the panel reads the store again by itself."""
    assert panel.tree.topLevelItemCount() == 0
    elsewhere = QueueStore(store.path)  # another process's store on the same file
    _add(elsewhere, tmp_path, "from-the-cli.png")
    elsewhere.close()
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=5000)


def test_texts() -> None:
    assert seconds_per_work(None, 10.0) is None
    assert math.isclose(seconds_per_work(QueueProgress(_job_stub(), 1, 2, _event(1, 2, 10.0), 30.0), 10.0)
                        or 0.0, 2.0)


def _job_stub() -> QueuedJob:
    return QueuedJob(1, "u", recipe_of(Path("p.png"), Path("s.png")), Output("o", "a.png"), Status.RUNNING)


def test_status_of_an_interrupted_job_says_it_goes_on() -> None:
    from dataclasses import replace

    from nst_desktop.queue.store import INTERRUPTED

    job = replace(_job_stub(), status=Status.WAITING, reason=INTERRUPTED)
    assert status_text(job, False) == f"waiting ({INTERRUPTED})"
