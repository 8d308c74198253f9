"""Fixtures for GUI tests: a main window wired to fakes, in a temporary home."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from nst_desktop.gui.main_window import MainWindow
from nst_desktop.gui.settings import Settings
from nst_desktop.io.library import Library
from tests.gui.fakes import FakeExportOptions, FakeStylize
from tests.gui.parts import Parts, build_parts

WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot: QtBot, tmp_path: Path) -> Iterator[WindowFactory]:
    """Build main windows sharing one settings file and library; all closed at the end."""
    windows: list[MainWindow] = []

    def factory(**kwargs: Any) -> MainWindow:
        kwargs.setdefault("settings", Settings(tmp_path / "settings.ini"))
        kwargs.setdefault("library", Library(tmp_path / "library"))
        kwargs.setdefault("stylize_fn", FakeStylize())
        kwargs.setdefault("confirm", lambda *args: True)
        kwargs.setdefault("export_options", FakeExportOptions())  # a modal dialog would wait forever
        window = MainWindow(**kwargs)
        qtbot.addWidget(window)
        window.show()
        # The last photo loads in the background pool, which a window closed just before may
        # still be using (its timelapse being written): 5 s ran out once in CI. A wait, not a
        # timing target (those are in benchmarks/).
        qtbot.waitUntil(lambda: window.inputs.content() is not None or window.last_error != "",
                        timeout=20_000)
        windows.append(window)
        return window

    yield factory
    for window in windows:
        window.runner.shutdown(5000)
        window.estimator.wait(5000)


@pytest.fixture
def parts(qtbot: QtBot, tmp_path: Path) -> Iterator[Parts]:
    """The window's controllers built from their collaborators only (tests.gui.parts), no window."""
    built = build_parts(qtbot, tmp_path)
    yield built
    built.runner.shutdown(5000)


@pytest.fixture(autouse=True)
def _clear_clipboard() -> Iterator[None]:
    """Leave the clipboard empty after each test: mime data still owned by the offscreen
    clipboard when the interpreter exits crashes Qt at shutdown (exit 139)."""
    yield
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear()
