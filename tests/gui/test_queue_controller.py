"""issue 18.3: the window's render queue: jobs added from the recipe on screen, the Variations grid
and a batch; painted in the background; the artist first; the history once; notifications; a
restart goes on."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.variations import variations
from nst_desktop.gui.queue_controller import QueueController, queue_recipe
from nst_desktop.gui.run_request import RunRequest
from nst_desktop.gui.worker import RunThread
from nst_desktop.queue.batch import plan
from nst_desktop.queue.store import Output, QueueStore, Status
from nst_desktop.recipe.recipe import StyleRef
from tests.gui.conftest import WindowFactory
from tests.gui.fakes import FakeStylize
from tests.gui.queue_fixtures import Rig, make_rig, wait_idle
from tests.queue.conftest import ScaleFake


@pytest.fixture
def rig(qtbot: QtBot, tmp_path: Path) -> Iterator[Rig]:
    yield from make_rig(qtbot, tmp_path)


SLOW = 0.05  # s per fake step: a job of a few steps is caught mid-way


def _steps(engine: ScaleFake) -> int:
    return len(engine.calls)


def test_add_current_paints_in_the_background_and_each_entry_reaches_the_history_once(
        qtbot: QtBot, rig: Rig) -> None:
    added = []
    rig.controller.entryAdded.connect(added.append)
    rig.controller.add_current()
    rig.controller.add_current()
    qtbot.waitUntil(lambda: len(rig.jobs()) == 2, timeout=5000)
    wait_idle(qtbot, rig)
    done = rig.jobs(Status.DONE)
    assert len(done) == 2, [(j.status, j.reason, j.problem) for j in rig.jobs()]
    assert sorted(Path(str(j.output_path)).name for j in done) == ["photo_wave-2.png", "photo_wave.png"]
    assert all(Path(str(j.output_path)).is_file() for j in done)
    qtbot.waitUntil(lambda: len(added) == 2)
    assert sorted(e.id for e in added) == sorted(str(j.entry_id) for j in done)  # once each
    assert len(rig.library.entries()) == 2
    assert "The queue is done: 2 pictures painted" in rig.controller.notifier.last
    assert "2 of 2 done" in rig.controller.panel.total_label.text()


def test_a_job_with_bad_input_is_said_when_added_and_the_others_are_painted(qtbot: QtBot, rig: Rig,
                                                                            tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    planned = plan([broken, rig.photo], [(StyleRef(str(rig.styles[0])),)], rig.recipe, rig.out)
    with qtbot.waitSignal(rig.controller.jobsAdded, timeout=5000):
        rig.controller.add_planned(planned)
    assert "1 cannot be painted" in rig.status_bar.currentMessage()
    wait_idle(qtbot, rig)
    assert [j.status for j in rig.jobs()] == [Status.FAILED, Status.DONE]
    assert "broken.png" in rig.jobs(Status.FAILED)[0].reason
    assert "The queue is done: 1 picture painted" in rig.controller.notifier.last


def test_a_job_failing_while_painted_notifies_at_once(qtbot: QtBot, rig: Rig) -> None:
    rig.engine.kill_after_scale = None
    rig.store.add(rig.recipe, Output(str(rig.out), "a.png"))

    def diverge(*args: object, **kwargs: object) -> None:
        from nst_desktop.engine.spec.errors import DivergedError

        raise DivergedError("The picture went NaN.")

    rig.controller.painter.worker._stylize_fn = diverge  # noqa: SLF001 - the engine fails this job
    said: list[str] = []  # connected after the controller: what it said when the job ended
    rig.controller.painter.jobEnded.connect(lambda *_: said.append(rig.controller.notifier.last))
    rig.controller.kick()
    qtbot.waitUntil(lambda: bool(said), timeout=10_000)
    assert said[0].startswith("A queued job failed: a.png")
    assert "went NaN" in said[0]
    wait_idle(qtbot, rig)
    assert rig.jobs()[0].status == Status.FAILED
    assert "1 failed" in rig.status_bar.currentMessage()


def test_the_queue_holds_after_the_current_step_while_the_artist_paints(qtbot: QtBot, rig: Rig) -> None:
    rig.engine.step_s = SLOW
    rig.store.add(rig.recipe, Output(str(rig.out), "a.png"))
    rig.store.add(rig.recipe, Output(str(rig.out), "b.png"))
    steps: list[int] = []
    rig.controller.painter.progressed.connect(lambda p: steps.append(p.event.total_step))
    rig.controller.kick()
    qtbot.waitUntil(lambda: len(steps) >= 1, timeout=5000)
    rig.controller.set_artist_painting("run", True)
    time.sleep(3 * SLOW)  # the step under way ends; then it holds
    qtbot.wait(50)
    held_at = len(steps)
    qtbot.wait(int(10 * SLOW * 1000))
    assert len(steps) == held_at, "the queue painted on while the artist painted"
    assert rig.jobs(Status.RUNNING), "the job keeps its place and memory (paused, not given back)"
    assert "you are painting" in rig.controller.panel.tree.topLevelItem(0).text(0)
    rig.controller.set_artist_painting("run", False)
    wait_idle(qtbot, rig)
    assert len(rig.jobs(Status.DONE)) == 2


def test_no_new_job_starts_while_the_artist_paints(qtbot: QtBot, rig: Rig) -> None:
    rig.controller.set_artist_painting("variations", True)
    rig.store.add(rig.recipe, Output(str(rig.out), "a.png"))
    rig.controller.kick()
    qtbot.wait(600)
    assert _steps(rig.engine) == 0
    assert [j.status for j in rig.jobs()] == [Status.WAITING]
    rig.controller.set_artist_painting("variations", False)
    wait_idle(qtbot, rig)
    assert rig.jobs()[0].status == Status.DONE


def test_the_artists_runs_hold_the_queue_and_are_never_blocked_by_it(qtbot: QtBot, rig: Rig) -> None:
    """A real RunThread: its run starts and ends while a queued job is paused mid-way; the queue
    goes on afterwards."""
    import numpy as np

    from nst_desktop.engine.spec.events import StyleInput

    rig.engine.step_s = SLOW
    long_job = rig.recipe.with_params(rig.recipe.params.with_changes(steps=30))  # ~2 s: caught mid-way
    rig.store.add(long_job, Output(str(rig.out), "a.png"))
    artist = RunThread(ScaleFake(step_s=SLOW))
    rig.controller.watch_runs(artist)
    queue_steps: list[float] = []
    rig.controller.painter.progressed.connect(lambda p: queue_steps.append(time.monotonic()))
    rig.controller.kick()
    qtbot.waitUntil(lambda: bool(queue_steps), timeout=5000)
    pixels = np.full((32, 32, 3), 0.5, np.float32)
    with qtbot.waitSignal(artist.worker.done, timeout=10_000):
        started = time.monotonic()
        assert artist.start(RunRequest.of_images(pixels, (StyleInput(pixels, 1.0, "s"),),
                                       rig.recipe.params.with_changes(steps=12)))
    artist_took = time.monotonic() - started
    assert artist_took < 5.0
    assert rig.jobs(Status.RUNNING), "the queued job was still under way: it was held, not finished"
    # One step may end after the hold (it was under way); none starts after it.
    during = [t for t in queue_steps if started + 3 * SLOW < t < started + artist_took - SLOW]
    assert not during, f"{len(during)} queued steps ran during the artist's run of {artist_took:.2f} s"
    wait_idle(qtbot, rig)
    assert rig.jobs()[0].status == Status.DONE
    artist.shutdown(5000)


def test_queue_all_queues_each_variation_at_full_size(qtbot: QtBot, rig: Rig) -> None:
    rig.controller.set_artist_painting("variations", True)  # only the adding is looked at here
    base = rig.recipe.with_styles([str(rig.styles[0]), str(rig.styles[1])], [1.0, 1.0])
    rig.controller._recipe = lambda: base  # noqa: SLF001 - two styles on screen
    sweep = variations(base.params, list(base.blend), "style_weight", names=["wave", "dots"])
    with qtbot.waitSignal(rig.controller.jobsAdded, timeout=5000):
        rig.controller.add_variations(sweep)
    jobs = rig.jobs()
    assert len(jobs) == len(sweep)
    assert [j.recipe.params.style_weight for j in jobs] == [v.params.style_weight for v in sweep]
    assert all(j.recipe.params.size == base.params.size for j in jobs)  # full size, not the quick look
    assert len({j.output.name for j in jobs}) == len(jobs)


def test_a_batch_is_queued_once_and_a_rerun_skips_what_is_painted(qtbot: QtBot, rig: Rig) -> None:
    looks = [(StyleRef(str(rig.styles[0])),), (StyleRef(str(rig.styles[1])),)]
    planned = plan([rig.photo], looks, rig.recipe, rig.out)
    with qtbot.waitSignal(rig.controller.jobsAdded, timeout=5000) as first:
        rig.controller.add_planned(planned)
    assert first.args == [2]
    wait_idle(qtbot, rig)
    with qtbot.waitSignal(rig.controller.jobsAdded, timeout=5000) as second:
        rig.controller.add_planned(plan([rig.photo], looks, rig.recipe, rig.out))
    assert second.args == [0]
    assert "2 already painted, skipped" in rig.status_bar.currentMessage()
    assert len(rig.jobs()) == 2


def test_after_a_kill_the_queue_comes_back_and_goes_on(qtbot: QtBot, rig: Rig, tmp_path: Path) -> None:
    """A job left 'running' by a window that was killed (its process is gone) is painted at the
    next start, with the artist's priority intact."""
    job = rig.store.add(rig.recipe, Output(str(rig.out), "a.png"))
    dead = f"{socket.gethostname()}:{_dead_pid()}:cafe"
    assert rig.store.claim(dead) is not None
    store = QueueStore(rig.store.path)  # the next start opens the store: it recovers the job
    assert store.get(job.id).status == Status.WAITING
    later = QueueController(store, rig.library, lambda: rig.recipe, lambda: str(rig.out),
                            rig.controller.notifier, stylize_fn=ScaleFake(step_s=0.01), resume_delay_ms=0)
    qtbot.addWidget(later.panel)
    later.set_artist_painting("run", True)
    later.resume_at_start(0)
    qtbot.wait(400)
    assert store.get(job.id).status == Status.WAITING  # Start pressed first: it still waits
    later.set_artist_painting("run", False)
    qtbot.waitUntil(lambda: store.get(job.id).status == Status.DONE, timeout=10_000)
    later.shutdown(5000)


def test_closing_gives_the_running_job_back_to_the_queue(qtbot: QtBot, rig: Rig) -> None:
    rig.engine.step_s = SLOW
    job = rig.store.add(rig.recipe, Output(str(rig.out), "a.png"))
    rig.controller.kick()
    qtbot.waitUntil(lambda: rig.store.get(job.id).status == Status.RUNNING, timeout=5000)
    assert rig.controller.shutdown(10_000)
    assert rig.store.get(job.id).status == Status.WAITING
    assert not rig.controller.kick()  # closed: nothing starts any more


def test_controller_takes_only_its_collaborators() -> None:
    import inspect

    names = list(inspect.signature(QueueController).parameters)
    assert "window" not in names and "main_window" not in names


def _dead_pid() -> int:
    pid = 999_999
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


# --- in the window (the wiring block of gui/main_window.py) ---------------------------------------
def test_the_window_has_a_queue_dock_and_menu_commands(make_window: WindowFactory) -> None:
    window = make_window()
    assert window.queue_dock.objectName() == "dock_queue"
    assert not window.queue_dock.isVisible()  # until there are jobs
    assert window.queue_dock.toggleViewAction() in window.menu_actions.view_menu.actions()
    assert window.menu_actions.add_to_queue.text() == "Add to &queue"
    assert window.menu_actions.batch.isEnabled()


def test_add_to_queue_paints_the_recipe_on_screen_beside_the_artists_own_runs(
        qtbot: QtBot, make_window: WindowFactory, tmp_path: Path) -> None:
    store = QueueStore(tmp_path / "q" / "q.sqlite3")
    window = make_window(stylize_fn=FakeStylize(step_s=0.005), queue_store=store)
    window.settings.write("queue/output_folder", str(tmp_path / "out"))
    content = window.inputs.content()
    assert content is not None and content.path is not None
    history = window.session.history
    before = len(history.entries())
    window.menu_actions.add_to_queue.trigger()
    qtbot.waitUntil(window.queue_dock.isVisible, timeout=5000)  # shown when the job is queued
    job = window.queue.store.jobs()[0]
    assert job.recipe.photo == str(content.path)
    assert job.recipe.same_as(queue_recipe(window.document.recipe))  # issue 17.1: the document's recipe
    assert job.recipe.params.size == window.params_panel.params().size  # full size
    window.queue.kick()  # at once (at start it waits for the window to be up)
    assert window.runs.start()  # Start is never blocked by the queue
    qtbot.waitUntil(lambda: not window.runner.running, timeout=10_000)
    qtbot.waitUntil(lambda: window.queue.store.jobs()[0].status == Status.DONE, timeout=15_000)
    qtbot.waitUntil(lambda: len(history.entries()) == before + 2, timeout=5000)  # the run's and the job's
    done = window.queue.store.jobs()[0]
    assert [e.id for e in history.entries()].count(str(done.entry_id)) == 1
    assert Path(str(done.output_path)).is_file()
    window.queue.panel.select(done.id)
    window.queue.panel.open_selected()  # its history entry on the canvas
    qtbot.waitUntil(lambda: window.session.metadata is not None
                    and window.session.metadata.get("queue", {}).get("job") == done.uid, timeout=5000)


def test_a_pasted_photo_cannot_be_queued_and_says_why(qtbot: QtBot, make_window: WindowFactory) -> None:
    import numpy as np

    from nst_desktop.gui.loaded_image import LoadedImage

    window = make_window()
    pasted = LoadedImage(np.zeros((8, 8, 3), np.float32), None, "pasted image")
    window.inputs.set_content(pasted)
    window.menu_actions.add_to_queue.trigger()
    assert "The photo 'pasted image' was pasted and has no file" in window.last_error
    assert window.queue.store.jobs() == []


def test_the_queue_takes_the_documents_recipe_without_touches_and_with_the_mask_on_show() -> None:
    """Issue 17.1: "Add to queue" paints the document's recipe (not the panels read again)."""
    from dataclasses import replace

    from nst_desktop.engine.spec.errors import NSTError
    from nst_desktop.engine.spec.region_masks import MaskSettings, RegionMask
    from nst_desktop.engine.spec.touches import Touches
    from nst_desktop.recipe.recipe import Recipe, StyleRef

    mask = RegionMask(np.zeros((4, 4), np.uint8), MaskSettings())
    recipe = Recipe("/p/photo.png", (StyleRef("/s/a.png", 2.0),), touches=Touches(fade=0.5))
    queued = queue_recipe(recipe, mask)
    assert queued.photo == "/p/photo.png" and queued.blend == (2.0,) and queued.params == recipe.params
    assert queued.touches == Touches() and queued.mask is mask
    for wrong, said in ((Recipe("", recipe.styles), "Add a photo first"),
                        (Recipe("pasted:Clip#7f", recipe.styles), "The photo 'Clip' was pasted"),
                        (replace(recipe, styles=(StyleRef("pasted:Swirl#1a"),)), "The style 'Swirl' was"),
                        (replace(recipe, styles=(StyleRef("/s/a.png", 0.0),)), "blend weight above 0")):
        with pytest.raises(NSTError, match=said):
            queue_recipe(wrong)


@pytest.mark.parametrize("opened_mask", [True, False])
def test_the_queue_dock_fits_1280x800_with_the_other_panels_open(qtbot: QtBot, make_window: WindowFactory,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  opened_mask: bool) -> None:
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QApplication

    from nst_desktop.gui import screen_fit

    available = QRect(0, 0, 1280, 800)
    monkeypatch.setattr(screen_fit, "available_geometry", lambda at=None: QRect(available))
    window = make_window()
    for dock in (window.side_dock, window.history_dock, window.queue_dock):
        dock.show()
    window.mask_dock.dock.setVisible(opened_mask)
    window.queue_dock.raise_()
    for _ in range(5):
        QApplication.processEvents()
    assert screen_fit.fits(window.minimumSizeHint(), available), window.minimumSizeHint()
    assert screen_fit.fits(window.size(), available)
    panel = window.queue.panel
    right = panel.mapTo(window, QPoint(panel.width(), 0)).x()
    assert right <= window.width()
    for button in (panel.clear_button, panel.retry_button, panel.file_button):
        assert button.mapTo(window, QPoint(button.width(), 0)).x() <= window.width()
        assert button.width() >= button.minimumSizeHint().width()  # its text whole


def test_variations_hold_the_queue_and_queue_all_queues_each_at_full_size(qtbot: QtBot,
                                                                          make_window: WindowFactory) -> None:
    window = make_window(stylize_fn=FakeStylize(step_s=0.005))
    window.queue.store.pause("the test looks at what is queued, not at its painting")
    window.tweaks.open_variations("style_weight")
    dialog = window.tweaks.variations_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: window.queue.painter.gate.held, timeout=5000)  # the grid paints: held
    with qtbot.waitSignal(window.queue.jobsAdded, timeout=5000) as added:
        dialog.queue_all_button.click()
    assert added.args == [len(dialog.cells)]
    jobs = window.queue.store.jobs()
    swept = [c.variation.params.style_weight for c in dialog.cells]
    assert [j.recipe.params.style_weight for j in jobs] == swept
    assert all(j.recipe.params.size == window.params_panel.params().size for j in jobs)
    dialog.close()
    assert window.queue.painter.gate.held  # not at once: the artist may look again
    qtbot.waitUntil(lambda: not window.queue.painter.gate.held, timeout=6000)


def test_jobs_another_process_finishes_reach_the_history_once(qtbot: QtBot, rig: Rig) -> None:
    """``nst-desktop batch`` paints while the window is open: each entry is emitted once, as it ends."""
    from nst_desktop.queue.runner import Runner

    elsewhere = QueueStore(rig.store.path)
    jobs = [elsewhere.add(rig.recipe, Output(str(rig.out), f"{n}.png")) for n in "ab"]
    added: list[str] = []
    rig.controller.entryAdded.connect(lambda entry: added.append(entry.id))
    rig.controller.set_artist_painting("test", True)  # the window's own painter keeps out of it
    Runner(elsewhere, rig.library, stylize_fn=ScaleFake()).run()
    qtbot.waitUntil(lambda: len(added) == 2, timeout=10_000)
    rig.controller.panel.refresh()  # read again: nothing more
    qtbot.wait(300)
    assert sorted(added) == sorted(str(elsewhere.get(j.id).entry_id) for j in jobs)
    elsewhere.close()


def test_run_batch_opens_the_dialog_on_the_recipe_on_screen_and_queues_its_jobs(
        qtbot: QtBot, make_window: WindowFactory, tmp_path: Path) -> None:
    from nst_desktop.gui.batch_dialog import BatchDialog
    from tests.queue.conftest import draw

    window = make_window()
    window.queue.store.pause("the test looks at what is queued")
    window.menu_actions.batch.trigger()
    dialogs = window.findChildren(BatchDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    dialog = dialogs[0]
    assert dialog.styles.count() == len(window.inputs.styles())  # the styles on screen, checked
    dialog.add_photos([str(draw(tmp_path / "a.png", 1)), str(draw(tmp_path / "b.png", 2))])
    with qtbot.waitSignal(window.queue.jobsAdded, timeout=10_000) as added:
        dialog.queue_button.click()
    assert added.args == [2 * len(window.inputs.styles())]
    assert {Path(j.recipe.photo).name for j in window.queue.store.jobs()} == {"a.png", "b.png"}
    assert window.queue_dock.isVisible()


def test_a_damaged_queue_file_is_said_in_one_line_and_the_window_works_without_a_queue(
        qtbot: QtBot, make_window: WindowFactory) -> None:
    from nst_desktop.queue.store import default_path

    damaged = default_path()
    damaged.parent.mkdir(parents=True, exist_ok=True)
    damaged.write_bytes(b"this is not an SQLite database, it was damaged" * 100)
    window = make_window()
    qtbot.waitUntil(lambda: "queue" in window.last_error, timeout=5000)
    assert str(damaged) in window.last_error and "\n" not in window.last_error.split(". ")[0]
    assert window.queue is None
    assert not window.menu_actions.add_to_queue.isEnabled() and not window.menu_actions.batch.isEnabled()
    qtbot.waitUntil(window.inputs.ready, timeout=5000)
    assert window.runs.start()  # the artist's own painting is untouched
    qtbot.waitUntil(lambda: not window.runner.running, timeout=10_000)
