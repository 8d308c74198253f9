"""app.main: self-test exit code passthrough; the window opens without importing torch;
photos from the command line and from macOS file-open events become the content."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QEvent
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nst_desktop.gui import app
from nst_desktop.gui.main_window import MainWindow
from nst_desktop.gui.settings import Settings
from nst_desktop.io.library import Library
from tests.gui.conftest import WindowFactory
from tests.gui.fakes import FakeStylize


def test_self_test_exit_code_is_passed_through(monkeypatch: pytest.MonkeyPatch) -> None:
    import nst_desktop.selftest as selftest

    monkeypatch.setattr(selftest, "run_self_test", lambda *a, **k: 3)
    assert app.main(["--self-test"]) == 3


def test_window_opens_without_importing_torch(tmp_path: object) -> None:
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from nst_desktop.gui.main_window import MainWindow\n"
        "from nst_desktop.gui.settings import Settings\n"
        f"w = MainWindow(Settings({str(tmp_path)!r} + '/s.ini'))\n"
        "w.show(); app.processEvents()\n"
        "print('torch' in sys.modules)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NST_DESKTOP_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_theme_palettes_follow_light_and_dark() -> None:
    from nst_desktop.gui.theme import palette_for

    dark, light = palette_for(True), palette_for(False)
    role = dark.ColorRole
    assert dark.color(role.Window).lightness() < 80 < light.color(role.Window).lightness()
    assert dark.color(role.Text).lightness() > 160 > light.color(role.Text).lightness()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "dropped photo.png"
    Image.new("RGB", (40, 30), (200, 40, 40)).save(path)
    return path


@pytest.fixture
def opener(qapp: QApplication) -> Iterator[app.FileOpenHandler]:
    handler = app.FileOpenHandler()
    qapp.installEventFilter(handler)
    yield handler
    qapp.removeEventFilter(handler)


def test_file_open_event_before_the_window_is_queued(
        qapp: QApplication, qtbot: QtBot, opener: app.FileOpenHandler, photo: Path) -> None:
    loaded: list[str] = []
    QApplication.sendEvent(qapp, QFileOpenEvent(str(photo)))
    assert opener.pending == str(photo) and loaded == []
    opener.set_target(loaded.append)
    qtbot.waitUntil(lambda: loaded == [str(photo)], timeout=2000)
    assert opener.pending is None


def test_other_events_pass_through(qapp: QApplication, opener: app.FileOpenHandler) -> None:
    assert opener.eventFilter(qapp, QEvent(QEvent.Type.User)) is False
    assert opener.pending is None


def test_dropped_file_becomes_the_content(qapp: QApplication, qtbot: QtBot, make_window: WindowFactory,
                                          opener: app.FileOpenHandler, photo: Path) -> None:
    window = make_window()
    opener.set_target(window.inputs.load_content_file)
    QApplication.sendEvent(qapp, QFileOpenEvent(str(photo)))
    qtbot.waitUntil(lambda: _content_path(window) == photo, timeout=3000)
    assert window.inputs.content().image.shape[:2] == (30, 40)  # type: ignore[union-attr]


def test_photo_on_the_command_line_becomes_the_content(
        qapp: QApplication, qtbot: QtBot, tmp_path: Path, photo: Path) -> None:
    def new_window() -> MainWindow:  # not waiting for its inputs, as in the real start-up
        window = MainWindow(Settings(tmp_path / "settings.ini"), library=Library(tmp_path / "library"),
                            stylize_fn=FakeStylize(), confirm=lambda *args: True)
        qtbot.addWidget(window)
        return window

    _app, window, handler = app.build([str(photo)], window_factory=new_window)
    try:
        # It lands after the first-launch sample photo, which must not replace it.
        qtbot.waitUntil(lambda: window.settings.read("inputs/initialised") is True, timeout=3000)
        qtbot.waitUntil(lambda: _content_path(window) == photo, timeout=3000)
        qtbot.waitUntil(lambda: not window.inputs.loading(), timeout=5000)  # read in the background
        assert _content_path(window) == photo and len(window.inputs.styles()) == 1
        QApplication.sendEvent(qapp, QFileOpenEvent(str(photo.with_name("missing.png"))))
        qtbot.waitUntil(lambda: "missing.png" in window.last_error, timeout=3000)
        assert _content_path(window) == photo  # a bad drop keeps the current photo
    finally:
        qapp.removeEventFilter(handler)
        window.runner.shutdown(5000)
        window.estimator.wait(5000)


def _content_path(window: MainWindow) -> Path | None:
    content = window.inputs.content()
    return Path(content.path) if content is not None and content.path else None
