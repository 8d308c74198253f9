"""Runs without a window (issue 17.2): the run controller, the tweak loop and the picture on show
built from their collaborators only, around one document."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QStatusBar, QWidget
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.events import RunResult
from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.gui.actions import Actions
from nst_desktop.gui.after_touches import AfterTouches
from nst_desktop.gui.canvas import Canvas
from nst_desktop.gui.document_views import DocumentViews
from nst_desktop.gui.held_inputs import HeldInputs
from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.loaded_image import LoadedImage
from nst_desktop.gui.params_panel import ParamsPanel
from nst_desktop.gui.picture_on_show import PictureOnShow
from nst_desktop.gui.run_controller import RunController
from nst_desktop.gui.run_panel import RunPanel
from nst_desktop.gui.run_session import RunSession
from nst_desktop.gui.touches_panel import TouchesPanel
from nst_desktop.gui.tweak_loop import TweakLoop
from nst_desktop.gui.worker import RunThread
from nst_desktop.io.library import Library
from nst_desktop.recipe.document import Document
from nst_desktop.recipe.recipe import Recipe
from tests.gui.fakes import FakeStylize

PARAMS = DEFAULTS.with_changes(size=512, steps=400, min_size=128, coarse_steps=10)


@dataclass
class Parts:
    document: Document
    runner: RunThread
    session: RunSession
    runs: RunController
    tweaks: TweakLoop
    pictures: PictureOnShow
    actions: Actions
    status: QStatusBar


@pytest.fixture
def parts(qtbot: QtBot, tmp_path: Path) -> Iterator[Parts]:
    owner, status, canvas, touches_panel = QWidget(), QStatusBar(), Canvas(), TouchesPanel()
    inputs, params, run_panel = InputsPanel(), ParamsPanel(PARAMS), RunPanel()
    for widget in (owner, status, canvas, touches_panel, inputs, params, run_panel):
        qtbot.addWidget(widget)
    document = Document(Recipe("", (), PARAMS))
    held = HeldInputs(document)
    runner, actions = RunThread(FakeStylize(step_s=0.01)), Actions(owner)
    session = RunSession(document, held, inputs, run_panel, lambda: None, lambda _text: None, status, owner,
                         Library(tmp_path / "library"))
    runs = RunController(document, runner, session, inputs, canvas, run_panel, actions, status, owner)
    tweaks = TweakLoop(document, runs, inputs, params, run_panel, actions, status, lambda _text: None, owner)
    touches = AfterTouches(touches_panel, session, canvas, status, owner)
    pictures = PictureOnShow(document, session, touches, owner)
    DocumentViews(document, held, params, inputs, touches, owner)  # the panels: views of the document
    photo = np.random.default_rng(0).random((36, 48, 3), dtype=np.float32)
    inputs.set_content(LoadedImage(photo, Path("/photos/cat.png"), "cat.png"))
    inputs.add_style(LoadedImage(photo[::-1].copy(), Path("/styles/a.png"), "a"), 1.0)
    assert document.recipe.photo == "/photos/cat.png" and document.recipe.style_paths == ("/styles/a.png",)
    yield Parts(document, runner, session, runs, tweaks, pictures, actions, status)
    runner.shutdown(5000)


def _wait_for_steps(qtbot: QtBot, parts: Parts, steps: int = 3) -> None:
    seen: list[int] = []
    parts.runner.worker.progressed.connect(lambda e: seen.append(e.total_step))
    qtbot.waitUntil(lambda: len(seen) >= steps, timeout=10_000)


def _stop_and_wait(qtbot: QtBot, parts: Parts) -> None:
    with qtbot.waitSignal(parts.runner.worker.done, timeout=20_000):
        parts.runs.stop()
    qtbot.waitUntil(lambda: not parts.runner.running, timeout=5000)


def test_a_run_starts_in_the_document_and_its_picture_ends_on_show_there(qtbot: QtBot, parts: Parts) -> None:
    started: list[object] = []
    parts.runs.runStarted.connect(started.append)
    assert parts.runs.start()
    assert started and parts.document.running is not None and parts.document.running.kind == "full"
    assert parts.actions.stop.isEnabled() and not parts.actions.start.isEnabled()
    _wait_for_steps(qtbot, parts)
    _stop_and_wait(qtbot, parts)
    assert parts.document.running is None
    picture = parts.document.picture
    assert picture is not None and picture.image is parts.session.result_image
    assert picture.painted_from == "/photos/cat.png" and picture.stopped
    assert parts.actions.export.isEnabled() and parts.actions.start.isEnabled()


def test_a_blocker_holds_every_start(parts: Parts) -> None:
    parts.runs.add_blocker(lambda: True)
    assert not parts.runs.start() and not parts.runner.running and parts.document.running is None


def test_a_live_edit_of_the_document_reaches_the_engine(qtbot: QtBot, parts: Parts,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, object]] = []
    assert parts.runs.start()
    _wait_for_steps(qtbot, parts)
    monkeypatch.setattr(parts.runner, "edit", sent.append)
    parts.document.set_params(PARAMS.with_changes(style_weight=5.0))  # as the settings panel would
    assert sent == [{"style_weight": 5.0}] and "waits" in parts.status.currentMessage()
    running = parts.document.running
    assert running is not None and running.look.style_weight == 5.0
    parts.document.set_params(parts.document.recipe.params.with_changes(size=256))
    assert len(sent) == 1 and "next run" in parts.status.currentMessage()
    _stop_and_wait(qtbot, parts)


def test_a_chosen_variation_is_the_documents_picture(parts: Parts) -> None:
    image = np.full((24, 32, 3), 0.3, np.float32)
    parts.session.adopt(RunResult(image, PARAMS, False, 1, 0.1, {}, "cpu"), [1.0])
    picture = parts.document.picture
    assert picture is not None and picture.image is image and picture.kind == "variation"
    assert parts.tweaks.can_promote()  # a small picture of this photo: it can go on to full size
