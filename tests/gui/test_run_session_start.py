"""RunSession: Start pressed while the launch still reopens the last photo waits for it (issue 16.12)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from nst_desktop.gui import inputs_panel
from nst_desktop.gui.main_window import MainWindow
from nst_desktop.gui.settings import Settings
from nst_desktop.io.library import Library
from tests.gui.conftest import WindowFactory
from tests.gui.fakes import FakeStylize
from tests.gui.parts import Parts


def _next_start(tmp_path: Path, qtbot: QtBot, stylize: FakeStylize) -> MainWindow:
    window = MainWindow(Settings(tmp_path / "settings.ini"), library=Library(tmp_path / "library"),
                        stylize_fn=stylize, confirm=lambda *args: True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.inputs.loading, timeout=3000)  # the last photo and style being reopened
    return window


@pytest.fixture
def slow_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reopening takes half a second, as a big photo on a slow disk does."""
    read = inputs_panel.read_inputs

    def slow(*args: Any) -> Any:
        time.sleep(0.5)
        return read(*args)

    monkeypatch.setattr(inputs_panel, "read_inputs", slow)


@pytest.mark.usefixtures("slow_reads")
def test_start_while_the_last_photo_reopens_waits_for_it(qtbot: QtBot, make_window: WindowFactory,
                                                          tmp_path: Path) -> None:
    make_window().close()  # a first session: its photo and style are written
    stylize = FakeStylize()
    window = _next_start(tmp_path, qtbot, stylize)
    window.params_panel.update_fields(steps=5)
    assert window.inputs.content() is None
    assert not window.runs.start()  # not now: once the photo is read
    assert "painting starts once they are read" in window.run_panel.status_label.text()
    assert window.runs.start() is False  # pressed twice: still one run
    qtbot.waitUntil(lambda: window.session.result_image is not None, timeout=10_000)
    qtbot.waitUntil(lambda: not window.runner.running, timeout=5000)
    assert window.last_error == ""  # no "Add a photo first"
    assert len(stylize.calls) == 1 and stylize.calls[0]["params"].steps == 5
    assert "Finished" in window.run_panel.status_label.text()
    window.runner.shutdown(5000)
    window.estimator.wait(5000)


@pytest.mark.usefixtures("slow_reads")
def test_start_waiting_for_a_photo_that_is_gone_says_add_a_photo(qtbot: QtBot, make_window: WindowFactory,
                                                                 tmp_path: Path) -> None:
    first = make_window()
    first.close()
    settings = Settings(tmp_path / "settings.ini")
    settings.write("inputs/content", str(tmp_path / "deleted.jpg"))
    settings.sync()
    stylize = FakeStylize()
    window = _next_start(tmp_path, qtbot, stylize)
    assert not window.runs.start()
    assert window.last_error == ""  # it waits for the read…
    qtbot.waitUntil(lambda: "Add a photo first" in window.last_error, timeout=10_000)  # …which failed
    assert stylize.calls == []
    window.runner.shutdown(5000)
    window.estimator.wait(5000)


@pytest.mark.usefixtures("slow_reads")
def test_a_quick_look_while_the_last_photo_reopens_waits_for_it(qtbot: QtBot, make_window: WindowFactory,
                                                                tmp_path: Path) -> None:
    make_window().close()
    stylize = FakeStylize()
    window = _next_start(tmp_path, qtbot, stylize)
    assert window.inputs.content() is None
    assert not window.tweaks.start_quick_look()
    assert "painting starts once they are read" in window.run_panel.status_label.text()
    qtbot.waitUntil(lambda: len(stylize.calls) == 1, timeout=10_000)
    qtbot.waitUntil(lambda: not window.runner.running, timeout=5000)
    assert window.last_error == ""
    assert window.session.result is not None and window.session.result.params.size <= 256  # a quick look
    window.runner.shutdown(5000)
    window.estimator.wait(5000)


def test_a_start_waits_for_the_photo_being_read_without_a_window(qtbot: QtBot, parts: Parts, tmp_path: Path,
                                                                 slow_reads: None) -> None:
    """No window: the session and the inputs panel; the start runs once the photo is read."""
    from PIL import Image

    Image.new("RGB", (40, 30), (90, 120, 200)).save(tmp_path / "next.png")
    parts.inputs.clear_styles()
    parts.inputs.open_style_files([tmp_path / "next.png"])  # read in the background, slowly
    assert parts.inputs.loading() and not parts.inputs.ready()
    started: list[int] = []
    assert parts.session.wait_for_inputs(lambda: started.append(1))
    assert started == [] and "once they are read" in parts.session.run_panel.status_label.text()
    qtbot.waitUntil(lambda: started == [1], timeout=5000)
    assert parts.inputs.ready() and parts.document.recipe.style_paths == (str(tmp_path / "next.png"),)
