"""Shared pieces of the Queue panel tests: a store and a library in the test's folder, inputs drawn
in the test, the queue tests' scale-by-scale fake engine, and a controller built on them alone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QStatusBar
from pytestqt.qtbot import QtBot

from nst_desktop.gui.notify import Notifier
from nst_desktop.gui.queue_controller import QueueController
from nst_desktop.gui.queue_farm import FarmLink
from nst_desktop.io.library import Library
from nst_desktop.queue.store import QueuedJob, QueueStore, Status
from nst_desktop.recipe.recipe import Recipe
from tests.queue.conftest import SMALL, ScaleFake, draw, recipe_of


@dataclass
class Rig:
    store: QueueStore
    library: Library
    controller: QueueController
    engine: ScaleFake
    status_bar: QStatusBar
    photo: Path
    styles: tuple[Path, Path]
    out: Path
    recipe: Recipe

    def jobs(self, *statuses: Status) -> list[QueuedJob]:
        return self.store.jobs(statuses=statuses or None)


def make_rig(qtbot: QtBot, tmp_path: Path, farm: FarmLink | None = None) -> Iterator[Rig]:
    """A controller over a private store, with a slow enough fake engine to catch mid-job (the
    body of each test module's ``rig`` fixture); ``farm``: its link to a render farm."""
    photo, wave, dots = (draw(tmp_path / f"{n}.png", i) for i, n in enumerate(("photo", "wave", "dots"), 1))
    store = QueueStore(tmp_path / "queue" / "queue.sqlite3")
    library = Library(tmp_path / "library")
    engine = ScaleFake(step_s=0.02)
    bar = QStatusBar()
    recipe = recipe_of(photo, wave, params=SMALL)
    controller = QueueController(store, library, lambda: recipe, lambda: str(tmp_path / "out"),
                                 Notifier(lambda: bar, tray_available=lambda: False), stylize_fn=engine,
                                 resume_delay_ms=0, farm=farm)
    qtbot.addWidget(controller.panel)
    yield Rig(store, library, controller, engine, bar, photo, (wave, dots), tmp_path / "out", recipe)
    controller.shutdown(10_000)
    store.close()


def wait_idle(qtbot: QtBot, rig: Rig, timeout: int = 15_000) -> None:
    """Until nothing waits or runs and the painter has reported its end."""
    farm = rig.controller.farm
    qtbot.waitUntil(lambda: not rig.jobs(Status.WAITING, Status.RUNNING)
                    and not rig.controller.painter.running and (farm is None or not farm.painter.running),
                    timeout=timeout)
