"""issue 19: the window's queue sends a job to a real farm (two Ray nodes on loopback) and its
picture lands in the history exactly once, with the farm's record; progress reached its row."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QStatusBar
from pytestqt.qtbot import QtBot

from nst_desktop.gui.notify import Notifier
from nst_desktop.gui.queue_controller import QueueController
from nst_desktop.gui.queue_farm import FarmLink
from nst_desktop.io.images import read_metadata
from nst_desktop.io.library import Library
from nst_desktop.queue.store import Place, QueueStore, Status
from tests.farm.conftest import Farm, tiny_recipe


@pytest.mark.farm
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="multi-node Ray is Linux-only")
def test_the_windows_queue_paints_a_job_on_the_farm_into_the_history_once(
        qtbot: QtBot, farm: Farm, pictures: tuple[Path, Path], tmp_path: Path) -> None:
    store, library = QueueStore(tmp_path / "queue.sqlite3"), Library(tmp_path / "history")
    recipe = tiny_recipe(pictures, seed=7)
    token = farm.token_file.read_text().strip()
    link = FarmLink(lambda: (farm.url, token), lambda: "farm", lambda place: None)
    bar = QStatusBar()
    controller = QueueController(store, library, lambda: recipe, lambda: str(tmp_path / "out"),
                                 Notifier(lambda: bar, tray_available=lambda: False), resume_delay_ms=0,
                                 farm=link)
    qtbot.addWidget(controller.panel)
    added, steps, lines = [], [], []
    controller.entryAdded.connect(added.append)
    assert controller.farm is not None
    controller.farm.lineChanged.connect(lines.append)
    controller.farm.painter.progressed.connect(
        lambda p: steps.append((p.event.total_step, p.event.total_steps)) if p.event else None)
    try:
        controller.set_artist_painting("run", True)  # the farm's jobs do not wait for the artist
        with qtbot.waitSignal(controller.jobsAdded, timeout=10_000):
            controller.add_current()  # "Run on" remembered as the farm
        (job,) = store.jobs()
        assert job.place == Place.FARM
        qtbot.waitUntil(lambda: store.get(job.id).status not in (Status.WAITING, Status.RUNNING),
                        timeout=25_000)
        done = store.get(job.id)
        assert done.status == Status.DONE, done.reason
        qtbot.waitUntil(lambda: len(added) == 1, timeout=5000)
        assert [e.id for e in library.entries()] == [added[0].id] == [done.entry_id]  # exactly once
        record = read_metadata(str(done.output_path))
        assert record is not None and record["farm"]["device"] == "cpu" and record["seed"] == 7
        assert record["queue"]["job"] == job.uid
        assert steps and steps[-1][0] == steps[-1][1] > 1  # the farm's steps reached the panel, to the last
        # While it painted, the panel said which farm: "Painting on the farm: NST Desktop … 2 nodes".
        said = [text for text in lines if text.startswith("Painting on the farm: NST Desktop")]
        assert said and "2 nodes" in said[0]
    finally:
        controller.shutdown(10_000)
        store.close()
