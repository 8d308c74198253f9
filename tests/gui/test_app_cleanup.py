"""At start the app removes stale temporary files a killed write left in the history."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from nst_desktop.gui import app
from nst_desktop.gui.main_window import MainWindow
from nst_desktop.gui.settings import Settings
from nst_desktop.io.library import Library
from nst_desktop.io.paths import library_dir
from tests.gui.fakes import FakeStylize


def _leftover(folder: Path, name: str, age_s: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    os.close(fd)
    os.utime(path, (time.time() - age_s,) * 2)
    return Path(path)


def test_start_cleans_stale_temporaries_in_the_history(qtbot: QtBot, tmp_path: Path) -> None:
    history = library_dir()  # under NST_DESKTOP_HOME (tests/conftest.py)
    stale = _leftover(history / "20240101-000000-0001", "entry.json", 2 * 3600)
    fresh = _leftover(history / "20240101-000000-0001", "image.png", 10)

    def new_window() -> MainWindow:
        window = MainWindow(Settings(tmp_path / "settings.ini"), library=Library(tmp_path / "library"),
                            stylize_fn=FakeStylize(), confirm=lambda *args: True)
        qtbot.addWidget(window)
        return window

    _app, window, _handler = app.build([], window_factory=new_window)
    try:
        qtbot.waitUntil(lambda: not stale.exists(), timeout=3000)
        assert fresh.exists()  # maybe being written right now by another instance
    finally:
        window.close()


def test_cleaning_a_history_that_does_not_exist_yet_is_quiet(monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    history = library_dir(create=False)
    assert not history.exists()
    raised: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    caplog.set_level(logging.INFO)
    worker = app.clean_history_temps()
    worker.join(timeout=10)
    assert not worker.is_alive() and raised == []  # done, without an exception in its thread
    assert not history.exists()  # cleaning never creates the history
    assert caplog.records == []  # and says nothing
