"""Closing the window during a long step (gui.closing): no abort, "Stopping… keeping the picture"
while it waits, the picture painted so far in the history, and then the window closes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, Slot
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.events import to_uint8
from nst_desktop.gui.closing import STOPPING_TEXT
from nst_desktop.gui.main_window import MainWindow
from tests.gui.conftest import WindowFactory
from tests.gui.fakes import FakeStylize


def _start_a_long_step(window: MainWindow, fake: FakeStylize) -> None:
    """A run whose step ``fake.block_at`` lasts until the test releases it (a print-size step)."""
    window.params_panel.update_fields(size=48, steps=50, min_size=48, coarse_steps=0)
    assert window.runs.start()
    assert fake.blocked.wait(10)


def test_closing_during_a_long_step_stops_keeps_the_picture_and_then_closes(
        qtbot: QtBot, make_window: WindowFactory) -> None:
    fake = FakeStylize(block_at=3)
    window = make_window(stylize_fn=fake)
    _start_a_long_step(window, fake)
    assert not window.close()  # returns at once (no blocking wait): the window waits, live
    assert window.isVisible() and window.runner.running and window.runner.worker.control.stopped
    assert window.run_panel.status_label.text() == STOPPING_TEXT
    assert window.statusBar().currentMessage() == STOPPING_TEXT
    qtbot.wait(100)  # events are processed meanwhile (a frozen window would not get here)
    assert not window.close()  # a second close aborts nothing either
    assert window.isVisible() and window.run_panel.status_label.text() == STOPPING_TEXT
    fake.release.set()  # the long step ends; the run sees the stop
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert window.runner.qthread.isFinished()
    result = window.session.result
    assert result is not None and result.stopped and result.steps_done == 3  # painted so far
    entries = window.session.library.entries()
    assert len(entries) == 1 and entries[0].metadata["stopped"] is True
    with Image.open(entries[0].image_path) as saved:
        np.testing.assert_array_equal(np.asarray(saved.convert("RGB")), to_uint8(result.image))


def test_closing_without_a_run_closes_at_once(make_window: WindowFactory) -> None:
    window = make_window()
    assert window.close()
    assert not window.isVisible() and not window.closing.waiting


class _CloseThenStart(QObject):
    """Closes the window and then presses Start, in the GUI thread (a QObject's slot)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.started: list[bool] = []

    @Slot()
    def act(self) -> None:
        self.window.close()
        self.started.append(self.window.runs.start())


def test_closing_just_after_a_run_waits_for_its_history_entry(qtbot: QtBot,
                                                              make_window: WindowFactory) -> None:
    """The entry of a run that has just ended is still being written (its job reaches the pool
    from a timer): the window closes once it is in the history, not before."""
    window = make_window()
    window.params_panel.update_fields(size=48, steps=5, min_size=48, coarse_steps=0)
    user = _CloseThenStart(window)
    window.runner.worker.done.connect(user.act)  # the moment the run has ended (its last slot)
    assert window.runs.start()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert len(window.session.library.entries()) == 1
    assert user.started == [False]  # no new run starts in a closing window


_CLOSE_DURING_A_LONG_STEP = """
import gc, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from nst_desktop.gui import estimator
from nst_desktop.gui.main_window import MainWindow
from nst_desktop.gui.settings import Settings
from nst_desktop.io.library import Library
from tests.gui.fakes import FakeStylize

estimator._forecast = lambda *args: (estimator.Forecast(1.0, 10), "CPU")  # no torch: not what is tested
home = Path(sys.argv[1])
app = QApplication([])
fake = FakeStylize(block_at=3)
window = MainWindow(Settings(home / "settings.ini"), library=Library(home / "library"), stylize_fn=fake,
                    confirm=lambda *args: True)
window.show()

def later(ms, what):
    QTimer.singleShot(ms, what)

def start():
    if window.inputs.content() is None:
        return later(50, start)
    window.params_panel.update_fields(size=48, steps=50, min_size=48, coarse_steps=0)
    window.runs.start()
    wait_for_the_long_step()

def wait_for_the_long_step():
    if not fake.blocked.is_set():
        return later(20, wait_for_the_long_step)
    window.close()
    later(300, window.close)  # closed again while it stops
    later(600, fake.release.set)

later(0, start)
app.exec()
print("history entries:", len(Library(home / "library").entries()))
del window
gc.collect()
"""


def test_a_window_closed_during_a_long_step_exits_cleanly(tmp_path: Path) -> None:
    """The whole life of a window process: Qt aborted it (exit 134) when the running thread was
    destroyed with the window; now it exits 0 with the stopped picture in the history."""
    script = tmp_path / "close_during_step.py"
    script.write_text(_CLOSE_DURING_A_LONG_STEP)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "QT_QPA_PLATFORM": "offscreen",
           "NST_DESKTOP_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "history entries: 1" in done.stdout


def test_close_after_run_needs_only_its_collaborators(qtbot: QtBot) -> None:
    """No window: the runner, the saver, the run panel, a status bar and the close to call."""
    from PySide6.QtWidgets import QStatusBar

    from nst_desktop.engine.spec.events import StyleInput
    from nst_desktop.engine.spec.params import DEFAULTS
    from nst_desktop.gui.closing import CloseAfterRun
    from nst_desktop.gui.history_saver import HistorySaver
    from nst_desktop.gui.run_panel import RunPanel
    from nst_desktop.gui.run_request import RunRequest
    from nst_desktop.gui.worker import RunThread

    fake = FakeStylize(block_at=3)
    runner, saver, panel, status = RunThread(fake), HistorySaver(), RunPanel(), QStatusBar()
    qtbot.addWidget(panel)
    qtbot.addWidget(status)
    closes: list[int] = []
    closing = CloseAfterRun(runner, saver, panel, status, lambda: closes.append(1))
    assert closing.may_close()  # nothing painting, nothing to write: at once
    image = np.full((24, 32, 3), 0.5, np.float32)
    runner.start(RunRequest.of_images(image, (StyleInput(image, 1.0, "s"),),
                                      DEFAULTS.with_changes(size=32, steps=9)))
    assert fake.blocked.wait(10)
    try:
        assert not closing.may_close() and closing.waiting
        assert runner.worker.control.stopped  # it asked the run to stop
        assert status.currentMessage() == STOPPING_TEXT and panel.status_label.text() == STOPPING_TEXT
        assert closes == []
        fake.release.set()
        qtbot.waitUntil(lambda: closes == [1], timeout=10_000)  # once the run has ended: the one real close
        assert not closing.waiting
    finally:
        fake.release.set()
        runner.shutdown(5000)
