"""The window's controllers built from their collaborators only, without a window (issue 17.2):
one document, the panels as its views, the runner, the session, the run controller, the tweak
loop, the after-touches and the picture on show, as ``MainWindow`` wires them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QStatusBar, QWidget
from pytestqt.qtbot import QtBot

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
    inputs: InputsPanel
    params: ParamsPanel
    session: RunSession
    runs: RunController
    tweaks: TweakLoop
    touches: AfterTouches
    pictures: PictureOnShow
    views: DocumentViews
    canvas: Canvas
    actions: Actions
    status: QStatusBar


def build_parts(qtbot: QtBot, tmp_path: Path) -> Parts:
    """The controllers around a document, with a photo and one style in the panel."""
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
    runs.runStarted.connect(touches.run_started)
    runner.worker.done.connect(touches.on_run_done)
    pictures = PictureOnShow(document, session, touches, owner)
    views = DocumentViews(document, held, params, inputs, touches, owner)  # the panels: views of the document
    photo = np.random.default_rng(0).random((36, 48, 3), dtype=np.float32)
    inputs.set_content(LoadedImage(photo, Path("/photos/cat.png"), "cat.png"))
    inputs.add_style(LoadedImage(photo[::-1].copy(), Path("/styles/a.png"), "a"), 1.0)
    return Parts(document, runner, inputs, params, session, runs, tweaks, touches, pictures, views, canvas,
                 actions, status)


def wait_for_steps(qtbot: QtBot, parts: Parts, steps: int = 3) -> None:
    seen: list[int] = []
    parts.runner.worker.progressed.connect(lambda e: seen.append(e.total_step))
    qtbot.waitUntil(lambda: len(seen) >= steps, timeout=10_000)


def stop_and_wait(qtbot: QtBot, parts: Parts) -> None:
    with qtbot.waitSignal(parts.runner.worker.done, timeout=20_000):
        parts.runs.stop()
    qtbot.waitUntil(lambda: not parts.runner.running, timeout=5000)
