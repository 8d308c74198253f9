"""issue 19: the window's queue on the render farm, against a farm in this process (tests.gui.farm_fakes):
each job runs here or on the farm (kept with the job), progress in its row within a second, cancel
stops the remote work, an unreachable farm says since when and its job goes on, a waiting farm job
moved to run locally, a version mismatch said once, the farm's jobs not held while the artist paints."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from nst_desktop import __version__
from nst_desktop.farm.protocol import version_problem
from nst_desktop.gui.queue_farm import FarmLink, PlaceControls, farm_link
from nst_desktop.gui.queue_panel import STATUS_ROLE
from nst_desktop.gui.settings import Settings
from nst_desktop.io.images import load_image, read_metadata
from nst_desktop.queue.store import Output, Place, QueuedJob, Status
from tests.gui.farm_fakes import HOST, FakeFarm
from tests.gui.queue_fixtures import Rig, make_rig, wait_idle
from tests.queue.conftest import ScaleFake


@pytest.fixture
def farm() -> FakeFarm:
    return FakeFarm(ScaleFake(step_s=0.05))


@pytest.fixture
def rig(qtbot: QtBot, tmp_path: Path, farm: FakeFarm) -> Iterator[Rig]:
    chosen = {"run_on": "local"}
    link = FarmLink(lambda: (farm.url, "t" * 20), lambda: chosen["run_on"],
                    lambda place: chosen.update(run_on=place), connect=lambda url, token: farm)
    yield from make_rig(qtbot, tmp_path, link)


def _places(rig: Rig) -> PlaceControls:
    assert rig.controller.places is not None
    return rig.controller.places


def _run_on(rig: Rig, place: Place) -> None:
    choice = _places(rig).choice
    choice.setCurrentIndex(choice.findData(place.value))


def _status(rig: Rig, job: QueuedJob) -> str:
    """What the job's row in the panel says."""
    tree = rig.controller.panel.tree
    for row in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(row)
        if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == job.id:
            return str(item.data(0, STATUS_ROLE))
    return ""


def _add(rig: Rig, name: str, place: Place) -> QueuedJob:
    return rig.store.add(rig.recipe, Output(str(rig.out), name), place=place)


def test_run_on_the_farm_paints_there_and_the_picture_lands_in_the_history_once_in_16_bits(
        qtbot: QtBot, rig: Rig, farm: FakeFarm) -> None:
    added = []
    rig.controller.entryAdded.connect(added.append)
    _run_on(rig, Place.FARM)
    with qtbot.waitSignal(rig.controller.jobsAdded, timeout=5000):
        rig.controller.add_current()
    (job,) = rig.jobs()
    assert job.place == Place.FARM
    wait_idle(qtbot, rig)
    done = rig.store.get(job.id)
    assert done.status == Status.DONE, done.reason
    assert farm.submitted == [job.uid] and len(farm.engine.calls) == 1
    assert rig.engine.calls == []  # nothing painted on this computer
    qtbot.waitUntil(lambda: len(added) == 1)
    assert [e.id for e in rig.library.entries()] == [added[0].id] == [done.entry_id]  # once
    record = read_metadata(str(done.output_path))
    assert record is not None and record["farm"]["host"] == HOST  # the full record, where it was painted
    assert record["queue"]["job"] == job.uid and record["inputs"]["content"] == str(rig.photo)
    # 16 bits when the job asks for them (a .tif output): the farm's float pixels, not 8-bit steps.
    tif = rig.store.add(rig.recipe, Output(str(rig.out), "deep.tif"), place=Place.FARM)
    rig.controller.kick()
    wait_idle(qtbot, rig)
    pixels = load_image(str(rig.store.get(tif.id).output_path))
    sent = farm.results[tif.uid]  # a grey of 0.35: 8 bits are 0.001 off it, 16 bits 0.00001
    assert pixels.shape == sent.shape and np.abs(pixels - sent).max() < 2e-5


def test_the_run_on_choice_is_remembered_and_new_jobs_follow_it(qtbot: QtBot, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.ini")
    link = farm_link(settings)
    assert link.run_on() == "local"
    rig = make_rig(qtbot, tmp_path, link)
    made = next(rig)
    try:
        _still_remembered(qtbot, tmp_path, settings, made)
    finally:
        next(rig, None)  # the rig's teardown


def _still_remembered(qtbot: QtBot, tmp_path: Path, settings: Settings, made: Rig) -> None:
    _run_on(made, Place.FARM)
    assert settings.read("queue/run_on") == "farm" and made.controller.place() == Place.FARM
    made.controller.add_current()
    qtbot.waitUntil(lambda: len(made.jobs()) == 1, timeout=5000)
    assert made.jobs()[0].place == Place.FARM
    # No farm is set in these settings: the job waits and its row and the farm line say why.
    qtbot.waitUntil(lambda: "no farm set" in _status(made, made.jobs()[0]), timeout=5000)
    assert _places(made).line.text().startswith("No render farm set")
    assert made.jobs()[0].status == Status.WAITING
    again = PlaceControls(made.controller.panel, farm_link(Settings(tmp_path / "settings.ini")))
    assert again.place == Place.FARM  # the next launch starts where the artist left it


def test_farm_progress_reaches_its_row_within_a_second_of_the_step(qtbot: QtBot, rig: Rig,
                                                                  farm: FakeFarm) -> None:
    farm.engine.step_s = 0.15
    seen: list[tuple[int, float]] = []
    assert rig.controller.farm is not None
    rig.controller.farm.painter.progressed.connect(
        lambda p: seen.append((p.event.total_step, time.perf_counter())) if p.event and p.event.is_step
        else None)
    job = _add(rig, "a.png", Place.FARM)
    rig.controller.kick()
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=10_000)
    assert _status(rig, job) == "farm"
    row = rig.controller.panel.tree.topLevelItem(0)
    assert row is not None and " left" in row.text(0)
    wait_idle(qtbot, rig)
    made = farm.step_times
    assert [s for s, _ in seen] == sorted(made)  # every step, in order
    late = max(t - made[step] for step, t in seen)
    assert late < 1.0, f"a step reached the panel {late:.2f} s after the farm made it"


def test_cancel_in_the_panel_stops_the_remote_work_at_once(qtbot: QtBot, rig: Rig, farm: FakeFarm) -> None:
    farm.engine.step_s = 0.2
    # 40 steps (8 s): the small recipe's 5 steps (1 s) could end on a loaded machine before the
    # click, and then there is nothing left to cancel (seen once in CI).
    long_job = rig.recipe.with_params(rig.recipe.params.with_changes(steps=40))
    job = rig.store.add(long_job, Output(str(rig.out), "a.png"), place=Place.FARM)
    rig.controller.kick()
    qtbot.waitUntil(lambda: any(j.events for j in farm.jobs.values()), timeout=10_000)
    panel = rig.controller.panel
    # The artist clicks a row on show: the panel's timer may not have drawn the new job's row yet
    # on a loaded machine, and select() of a row not drawn selects nothing (then nothing was
    # cancelled and the job simply finished: the CI failure of this test).
    panel.refresh()
    panel.select(job.id)
    assert panel.selected_ids() == [job.id]
    clicked = time.perf_counter()
    panel.cancel_selected()
    qtbot.waitUntil(lambda: bool(farm.cancelled), timeout=10_000)
    # Not at the lease's next renewal (5 s); 3 s leaves room for a loaded machine (the full
    # suite at a load of 5 once took over 1.5 s).
    assert farm.cancelled[0][1] - clicked < 3.0
    wait_idle(qtbot, rig)
    assert rig.store.get(job.id).status == Status.CANCELLED
    # The farm's engine stops within a step (0.2 s here).
    qtbot.waitUntil(lambda: [j.state for j in farm.jobs.values()] == ["cancelled"], timeout=1000)
    assert rig.library.entries() == []


def test_an_unreachable_farm_says_since_when_and_its_job_goes_on_when_it_is_back(
        qtbot: QtBot, rig: Rig, farm: FakeFarm) -> None:
    farm.down = True
    job = _add(rig, "a.png", Place.FARM)
    rig.controller.kick()
    qtbot.waitUntil(lambda: _status(rig, job).startswith("farm unreachable since "), timeout=10_000)
    now = datetime.now()
    since = {f"farm unreachable since {t:%H:%M}" for t in (now, now - timedelta(minutes=1))}
    assert _status(rig, job) in since
    line = _places(rig).line
    assert line.isVisibleTo(rig.controller.panel) and line.text().startswith("Render farm unreachable since ")
    assert rig.store.get(job.id).status == Status.RUNNING  # it waits for the farm; it did not fail
    farm.down = False
    wait_idle(qtbot, rig)
    assert rig.store.get(job.id).status == Status.DONE and farm.submitted == [job.uid]
    assert len(rig.library.entries()) == 1


def test_a_farm_job_waiting_for_the_farm_moved_to_run_locally_is_painted_here_and_back(
        qtbot: QtBot, rig: Rig, farm: FakeFarm) -> None:
    farm.down = True
    job = _add(rig, "a.png", Place.FARM)
    rig.controller.kick()
    qtbot.waitUntil(lambda: _status(rig, job).startswith("farm unreachable"), timeout=10_000)
    places = _places(rig)
    rig.controller.panel.select(job.id)
    tree = rig.controller.panel.tree
    tree.customContextMenuRequested.emit(QPoint(5, 5))  # a right-click on the rows
    shown = [m for m in tree.findChildren(QMenu) if m.isVisible()]
    assert len(shown) == 1 and [a.text() for a in shown[0].actions()] == ["Run on the farm", "Run locally"]
    shown[0].close()
    menu = places.menu()
    assert [a.text() for a in menu.actions()] == ["Run on the farm", "Run locally"]
    assert not places.to_farm.isEnabled() and places.to_local.isEnabled()
    places.to_local.trigger()
    wait_idle(qtbot, rig)
    moved = rig.store.get(job.id)
    assert (moved.status, moved.place) == (Status.DONE, Place.LOCAL)
    assert len(rig.engine.calls) == 1 and farm.submitted == []  # painted here; the farm never had it
    # ... and back: a job waiting here (the artist paints) moved to the farm is painted there.
    farm.down = False
    rig.controller.set_artist_painting("run", True)
    other = _add(rig, "b.png", Place.LOCAL)
    rig.controller.panel.refresh()
    rig.controller.panel.select(other.id)
    assert places.move_selected(Place.FARM) == 1
    wait_idle(qtbot, rig)
    assert rig.store.get(other.id).status == Status.DONE and farm.submitted == [other.uid]
    assert len(rig.engine.calls) == 1


def test_farm_jobs_go_on_while_the_artist_paints_and_local_ones_wait(qtbot: QtBot, rig: Rig,
                                                                     farm: FakeFarm) -> None:
    # A farm job uses none of this computer's cores: the artist's priority holds only local jobs.
    rig.controller.set_artist_painting("run", True)
    here, there = _add(rig, "here.png", Place.LOCAL), _add(rig, "there.png", Place.FARM)
    rig.controller.kick()
    qtbot.waitUntil(lambda: rig.store.get(there.id).status == Status.DONE, timeout=10_000)
    assert rig.store.get(here.id).status == Status.WAITING and rig.engine.calls == []
    rig.controller.set_artist_painting("run", False)
    wait_idle(qtbot, rig)
    assert rig.store.get(here.id).status == Status.DONE
    assert "The queue is done: 2 pictures painted" in rig.controller.notifier.last  # both painters' jobs


def test_another_version_on_the_farm_is_one_message_in_the_panel_and_the_jobs_wait(
        qtbot: QtBot, rig: Rig, farm: FakeFarm) -> None:
    farm.version = "0.0.1"
    job = _add(rig, "a.png", Place.FARM)
    rig.controller.kick()
    message = version_problem("0.0.1", farm_side=False)
    line = _places(rig).line
    qtbot.waitUntil(lambda: line.text() == message, timeout=10_000)
    assert line.isVisibleTo(rig.controller.panel)
    waiting = rig.store.get(job.id)
    assert (waiting.status, waiting.attempts) == (Status.WAITING, 0)  # never claimed, never failed
    assert farm.submitted == []
    assert not rig.controller.kick()  # not asked again in a loop
    farm.version = __version__
    rig.controller.panel.changed.emit()  # the artist steers the queue: the farm is asked again
    wait_idle(qtbot, rig)
    assert rig.store.get(job.id).status == Status.DONE and line.isHidden()


def test_a_farm_set_later_takes_the_waiting_farm_jobs_at_once(qtbot: QtBot, tmp_path: Path,
                                                              farm: FakeFarm) -> None:
    address = {"url": ""}
    link = FarmLink(lambda: (address["url"], "t" * 20), lambda: "farm", lambda place: None,
                    connect=lambda url, token: farm)
    rig = make_rig(qtbot, tmp_path, link)
    made = next(rig)
    try:
        job = _add(made, "a.png", Place.FARM)
        assert not made.controller.kick()  # no farm set: it waits
        made.controller.panel.refresh()
        assert _status(made, job) == "waiting · no farm set"
        address["url"] = farm.url  # Edit ▸ Render farm… OK'd (gui.queue_dock.edit_farm)
        made.controller.farm_changed()
        wait_idle(qtbot, made)
        assert made.store.get(job.id).status == Status.DONE and farm.submitted == [job.uid]
    finally:
        next(rig, None)


def _row_text(rig: Rig, job: QueuedJob) -> str:
    tree = rig.controller.panel.tree
    for row in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(row)
        if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == job.id:
            return item.text(0)
    return ""


def test_the_farms_jobs_paint_side_by_side_each_row_its_own_progress(qtbot: QtBot, rig: Rig,
                                                                     farm: FakeFarm) -> None:
    farm.engine.step_s = 0.1  # the fake farm paints 2 at once (its status: 2 CPUs, no GPU)
    jobs = [_add(rig, f"side{i}.png", Place.FARM) for i in range(3)]
    rig.controller.kick()
    both = jobs[:2]
    view = rig.controller.panel.view
    qtbot.waitUntil(lambda: all(view.percent(rig.store.get(j.id)) > 0 for j in both), timeout=10_000)
    assert [rig.store.get(j.id).status for j in jobs] == [Status.RUNNING, Status.RUNNING, Status.WAITING]
    for job in both:  # two rows painting at once, each with its own figures
        assert _status(rig, job) == "farm" and " left" in _row_text(rig, job).splitlines()[1]
    assert _status(rig, jobs[2]) == "waiting · farm"
    wait_idle(qtbot, rig)
    assert farm.most_at_once == 2  # never more than the farm paints at once
    assert [rig.store.get(j.id).status for j in jobs] == [Status.DONE] * 3
    markers = sorted(e.metadata["queue"]["job"] for e in rig.library.entries())
    assert markers == sorted(j.uid for j in jobs)  # each in the history once
    assert rig.controller.panel.total_label.text().startswith("3 of 3 done")


def test_a_farm_rows_status_reads_whole_in_a_narrow_dock_and_is_cut_at_its_end(qtbot: QtBot,
                                                                                rig: Rig) -> None:
    panel = rig.controller.panel
    job = rig.store.add(rig.recipe, Output(str(rig.out), "tubingen_shipwreck_3.png"), place=Place.FARM)
    panel.resize(300, 400)
    panel.show()
    qtbot.waitExposed(panel)
    panel.refresh()
    line = _row_text(rig, job).splitlines()[1]
    assert line.startswith("waiting · farm")  # whole, from its start (no "…" in the middle)
    room = panel.tree.columnWidth(0) - 40 - 16
    assert panel.tree.fontMetrics().horizontalAdvance(line) <= room
    claimed = rig.store.claim("tester", None, Place.FARM)  # given back with a long reason
    assert claimed is not None
    rig.store.release(claimed.id, "tester", "the upload was refused: the style is over the farm's limit")
    panel.refresh()
    cut = _row_text(rig, job).splitlines()[1]
    assert cut.startswith("waiting · farm (the upload") and cut.endswith("…")  # cut at its end
    assert panel.tree.fontMetrics().horizontalAdvance(cut) <= room
